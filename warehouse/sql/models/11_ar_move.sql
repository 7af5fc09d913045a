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
-- The events are summed per claim and day first, then joined to their claim's slice (m_claim).
CREATE OR REPLACE TABLE m_ar_move AS
WITH claim_day AS (
    SELECT claim_id,
           CASE WHEN event_date IS NOT NULL AND dos IS NOT NULL THEN greatest(event_date, dos) END AS day,
           count(*) AS events,
           sum(amount) AS amount,
           sum(CASE WHEN event = 'charge' THEN amount END) AS charges,
           count(CASE WHEN event = 'charge' THEN 1 END) AS charge_events
    FROM m_ar_event
    GROUP BY claim_id, CASE WHEN event_date IS NOT NULL AND dos IS NOT NULL THEN greatest(event_date, dos) END)
SELECT d.day,
       c.site_id, c.rendering_npi, c.specialty, c.payer_id, c.payer_class,
       c.root_cause, c.sub_cause, c.stage, c.owner_team, c.soft_hard, c.initially_denied,
       sum(d.events)::BIGINT AS events,
       sum(d.amount) AS amount,
       sum(d.charges) AS charges,
       sum(d.charge_events)::BIGINT AS charge_events
FROM claim_day d JOIN m_claim c ON c.claim_id = d.claim_id
GROUP BY d.day,
         c.site_id, c.rendering_npi, c.specialty, c.payer_id, c.payer_class,
       c.root_cause, c.sub_cause, c.stage, c.owner_team, c.soft_hard, c.initially_denied;
