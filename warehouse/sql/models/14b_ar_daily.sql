-- m_ar_daily
-- refresh: full (from m_ar_move, model 11: days × sites × payers, small)
-- grain: one row per day × site × payer, from the first date of service to the latest event:
-- the insurance A/R balance at the end of that day and that day's charges (by date of service).
-- Same rule as m_ar_event (the balance at D sums events dated on or before D of claims with date
-- of service on or before D); used for A/R trends and aging over time.
CREATE OR REPLACE TABLE m_ar_daily AS
WITH bounds AS (SELECT min(day) AS d0, max(day) AS d1 FROM m_ar_move),
days AS (SELECT unnest(generate_series(d0, d1, INTERVAL 1 DAY))::DATE AS day FROM bounds WHERE d0 IS NOT NULL),
keys AS (SELECT DISTINCT site_id, payer_id FROM m_ar_move),
moves AS (SELECT site_id, payer_id, day, sum(amount) AS amount, sum(charges) AS charges FROM m_ar_move GROUP BY ALL),
grid AS (
    SELECT d.day, k.site_id, k.payer_id, coalesce(m.amount, 0) AS amount, coalesce(m.charges, 0) AS charges
    FROM days d CROSS JOIN keys k
    LEFT JOIN moves m ON m.day = d.day AND m.site_id IS NOT DISTINCT FROM k.site_id
                     AND m.payer_id IS NOT DISTINCT FROM k.payer_id)
SELECT day, site_id, payer_id,
       sum(amount) OVER w AS ar_balance,
       charges AS charges
FROM grid
WINDOW w AS (PARTITION BY site_id, payer_id ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);
