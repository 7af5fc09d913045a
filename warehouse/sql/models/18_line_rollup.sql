-- m_line_rollup
-- grain: one row per key set × initial adjudication date × site × rendering provider × payer ×
-- procedure code and/or modifier found on the lines of the claims' initial adjudications (m_line):
--   claims: the claims with such a line, denied_claims: those with such a line denied,
--   charge / denied_dollars: the sums over those lines.
-- key_set 'procedure_code,modifier': per procedure code and modifier (a line with two modifiers is
-- under each, as m_line sliced by modifier); key_set 'modifier': per modifier (procedure_code null).
-- A claim is in one row per key value (its site, provider, payer and date are its own), so summing
-- `claims` over any grouping of those attributes counts each claim once: query.kpis reads this mart
-- for a slice by exactly one key set (on the adjudication date basis) instead of
-- count(DISTINCT claim_id) over m_line.
-- Built as lines counted per group, less the lines beyond a claim's first of the same key value
-- (grouping every line by claim first would cost the load far more). Dated by initial adjudication
-- only: the date-of-service basis, chosen far less often, reads m_line (a second dating would
-- double the rows and the build).
-- Ordered by key set and date, so a key set and a date range skip most row groups.
-- refresh: additive claims,charge,denied_claims,denied_dollars
CREATE OR REPLACE TABLE m_line_rollup AS
WITH line_modifier AS (
    SELECT claim_id, procedure_code, unnest(modifiers) AS modifier, charge, is_denied, denied_dollars,
           site_id, rendering_npi, specialty, payer_id, payer_class, initial_adjudication_date
    FROM m_line),
counted AS (
    SELECT CASE WHEN grouping(procedure_code) = 1 THEN 'modifier' ELSE 'procedure_code,modifier' END AS key_set,
           initial_adjudication_date, site_id, rendering_npi, specialty, payer_id, payer_class,
           procedure_code, modifier, count(*) AS claims, sum(charge) AS charge,
           count(*) FILTER (WHERE is_denied) AS denied_claims, sum(denied_dollars) AS denied_dollars
    FROM line_modifier
    GROUP BY GROUPING SETS (
        (initial_adjudication_date, site_id, rendering_npi, specialty, payer_id, payer_class, procedure_code, modifier),
        (initial_adjudication_date, site_id, rendering_npi, specialty, payer_id, payer_class, modifier))),
extra AS (      -- a claim's lines beyond its first of one key value (and beyond its first denied one)
    SELECT 'procedure_code,modifier' AS key_set, claim_id, procedure_code, modifier,
           count(*) - 1 AS lines, greatest(count(*) FILTER (WHERE is_denied) - 1, 0) AS denied_lines
    FROM line_modifier
    GROUP BY claim_id, procedure_code, modifier
    HAVING count(*) > 1
    UNION ALL
    SELECT 'modifier', claim_id, NULL, modifier,
           count(*) - 1, greatest(count(*) FILTER (WHERE is_denied) - 1, 0)
    FROM line_modifier
    GROUP BY claim_id, modifier
    HAVING count(*) > 1),
less AS (
    SELECT e.key_set, c.initial_adjudication_date, c.site_id, c.rendering_npi, c.specialty, c.payer_id,
           c.payer_class, e.procedure_code, e.modifier, -sum(e.lines) AS claims, 0 AS charge,
           -sum(e.denied_lines) AS denied_claims, 0 AS denied_dollars
    FROM extra e JOIN m_claim c USING (claim_id)
    GROUP BY ALL)
SELECT key_set, initial_adjudication_date, site_id, rendering_npi, specialty, payer_id, payer_class,
       procedure_code, modifier, sum(claims)::BIGINT AS claims, sum(charge)::DECIMAL(18,2) AS charge,
       sum(denied_claims)::BIGINT AS denied_claims, sum(denied_dollars)::DECIMAL(18,2) AS denied_dollars
FROM (SELECT * FROM counted UNION ALL SELECT * FROM less)
GROUP BY ALL
ORDER BY key_set, initial_adjudication_date;
