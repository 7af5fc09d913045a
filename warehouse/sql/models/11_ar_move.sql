-- m_ar_move
-- grain: one row per day × claim slice (site, rendering provider, specialty, payer, payer class,
--   root cause, sub-cause, stage, owner team, soft/hard, initially denied): the sum of the A/R
--   events (m_ar_event) that enter the balance on that day, the day being the later of the event's
--   date and its claim's date of service (NULL when either is missing: such an event never counts).
--   events: how many events; amount: what they move; charges / charge_events: the charge events
--   among them (dated the date of service, so their day is the date of service). A row with
--   events = 0 (left by an incremental refresh) counts as no row.
--   The A/R balance at D is the sum of amount over days <= D; the charges with date of service in
--   the 90 days ending on D are the sum of charges over days in (D - 90, D].
-- refresh: additive events,amount,charges,charge_events
CREATE OR REPLACE TABLE m_ar_move AS
SELECT CASE WHEN event_date IS NOT NULL AND dos IS NOT NULL THEN greatest(event_date, dos) END AS day,
       site_id, rendering_npi, specialty, payer_id, payer_class,
       root_cause, sub_cause, stage, owner_team, soft_hard, initially_denied,
       count(*) AS events,
       sum(amount) AS amount,
       sum(CASE WHEN event = 'charge' THEN amount END) AS charges,
       count(CASE WHEN event = 'charge' THEN 1 END) AS charge_events
FROM m_ar_event
GROUP BY CASE WHEN event_date IS NOT NULL AND dos IS NOT NULL THEN greatest(event_date, dos) END,
         site_id, rendering_npi, specialty, payer_id, payer_class,
         root_cause, sub_cause, stage, owner_team, soft_hard, initially_denied;
