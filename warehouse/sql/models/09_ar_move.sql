-- m_ar_move
-- refresh: additive amount,charges,events
-- grain: one row per day × site × payer: the sum of the A/R events that count from that day (an
-- event counts from the later of its own date and its claim's date of service, the rule of
-- m_ar_event), that day's charges, and the number of events. Additive, so a load adds its
-- families' new events and takes back their old ones instead of re-reading the ledger.
CREATE OR REPLACE TABLE m_ar_move AS
SELECT greatest(event_date, dos) AS day, site_id, payer_id,
       sum(amount) AS amount,
       coalesce(sum(amount) FILTER (WHERE event = 'charge'), 0) AS charges,
       count(*) AS events
FROM m_ar_event
GROUP BY ALL;
