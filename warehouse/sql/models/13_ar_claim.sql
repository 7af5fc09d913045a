-- m_ar_claim
-- grain: one row per claim (family) with at least one counted A/R event (m_ar_event; an event counts
--   from its day, the later of its own date and its claim's date of service; events with either date
--   missing never count): its slice columns (from m_claim) and date of service;
--   first_day and last_day, the first and last day its balance moved (first_day is the date of
--   service: the charge); balance, its balance after the last move (the sum of every counted event);
--   moves, the list of (day, amount) per day it moved (any order). Its balance at D: nothing before
--   first_day, `balance` from last_day on, in between the sum of the moves dated on or before D.
--   Stored in order of date of service (oldest first).
-- refresh: family claim_id
CREATE OR REPLACE TABLE m_ar_claim AS
WITH by_day AS (
    SELECT claim_id, greatest(event_date, dos) AS day, sum(amount) AS amount
    FROM m_ar_event
    WHERE event_date IS NOT NULL AND dos IS NOT NULL
    GROUP BY claim_id, greatest(event_date, dos)),
by_claim AS (
    SELECT claim_id, min(day) AS first_day, max(day) AS last_day, sum(amount) AS balance,
           list({'day': day, 'amount': amount}) AS moves
    FROM by_day GROUP BY claim_id)
SELECT b.claim_id, c.site_id, c.rendering_npi, c.specialty, c.payer_id, c.payer_class,
       c.root_cause, c.sub_cause, c.stage, c.owner_team, c.soft_hard, c.initially_denied, c.dos,
       b.first_day, b.last_day, b.balance, b.moves, c.family_key
FROM by_claim b JOIN m_claim c ON c.claim_id = b.claim_id
ORDER BY c.dos, b.claim_id;
