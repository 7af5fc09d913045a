-- m_ar_move_90
-- grain: one row per day × claim slice (the slice columns of m_ar_move): the sum of the A/R events
--   (m_ar_event) that enter the over-90 balance on that day, the day being the later of the event's
--   date and its claim's date of service + 91 (an event counts in "A/R over 90 days" at D when it is
--   dated on or before D and D − date of service > 90; NULL when either date is missing).
--   events: how many events (a row with events = 0, left by an incremental refresh, counts as no
--   row); amount_90: what they move. The A/R over 90 days at D is the sum of amount_90 over days <= D.
-- refresh: additive events,amount_90
-- The events are summed per claim and day first, then joined to their claim's slice (m_claim).
CREATE OR REPLACE TABLE m_ar_move_90 AS
WITH claim_day AS (
    SELECT claim_id,
           CASE WHEN event_date IS NOT NULL AND dos IS NOT NULL THEN greatest(event_date, dos + 91) END AS day,
           count(*) AS events,
           sum(amount) AS amount_90
    FROM m_ar_event
    GROUP BY claim_id, CASE WHEN event_date IS NOT NULL AND dos IS NOT NULL THEN greatest(event_date, dos + 91) END)
SELECT d.day,
       c.site_id, c.rendering_npi, c.specialty, c.payer_id, c.payer_class,
       c.root_cause, c.sub_cause, c.stage, c.owner_team, c.soft_hard, c.initially_denied,
       sum(d.events)::BIGINT AS events,
       sum(d.amount_90) AS amount_90
FROM claim_day d JOIN m_claim c ON c.claim_id = d.claim_id
GROUP BY d.day,
         c.site_id, c.rendering_npi, c.specialty, c.payer_id, c.payer_class,
       c.root_cause, c.sub_cause, c.stage, c.owner_team, c.soft_hard, c.initially_denied;
