-- m_adjustment
-- refresh: family family_id
-- grain: one row per adjustment (group code + CARC + amount), classified by the taxonomy.
-- Classification key: (group code, CARC, the RARCs on the same line and on the claim, whether the
-- claim carried a prior-authorization number). The most specific matching rule of
-- root_cause_rule wins (specificity = number of non-'*' fields; ties: RARC, then CARC, then group
-- code, then auth); otherwise the CARC's default category; a CARC in no list is `other` and
-- carc_known = false. Distinct keys are classified once and joined back (rules are few, keys few).
-- The joined adjustments are staged once in a temp table: the statement below reads them twice, and
-- a CTE read twice would be held whole in memory (tens of millions of rows at MSO scale).
-- Joined to the remit on event_seq (an integer); the remit's date and status are carried along for
-- model 08, which then needs no join of the adjustments to the remits. The remit's 32-character
-- adjudication_id is not carried (41.6 M rows at 10M claims): event_seq identifies the remit, and the
-- one claim's detail joins m_adjudication for the id.
CREATE OR REPLACE TEMP TABLE _m_adjustment_in AS
WITH fam_auth AS (
    SELECT f.family_id, bool_or(c.prior_auth_number IS NOT NULL AND trim(c.prior_auth_number) <> '') AS has_auth
    FROM claim c JOIN m_claim_family f USING (claim_id) GROUP BY 1),
-- remark codes as one sorted string per claim (line_number NULL) and per line: joins stay on strings
remarks AS (
    SELECT event_seq, line_number, string_agg(DISTINCT rarc, ',' ORDER BY rarc) AS rarcs
    FROM remark GROUP BY 1, 2)
SELECT j.event_seq, j.line_number, j.seq, j.group_code, j.carc, j.amount, j.quantity, a.family_id, a.family_key, a.remit_date, a.claim_status, fa.has_auth,
       CASE WHEN j.line_number IS NULL THEN coalesce(cr.rarcs, '')
            ELSE concat_ws(',', cr.rarcs, lr.rarcs) END AS rarc_key
FROM adjustment j
JOIN m_adjudication a ON a.event_seq = j.event_seq
LEFT JOIN fam_auth fa ON fa.family_id = a.family_id
LEFT JOIN remarks cr ON cr.event_seq = j.event_seq AND cr.line_number IS NULL
LEFT JOIN remarks lr ON lr.event_seq = j.event_seq AND lr.line_number = j.line_number;

CREATE OR REPLACE TABLE m_adjustment AS
WITH combo AS (   -- the few distinct classification keys; the RARC set as a sorted list for rule matching
    SELECT group_code, carc, has_auth, rarc_key,
           list_sort(list_distinct(list_filter(string_split(rarc_key, ','), lambda r: r <> ''))) AS rarcs
    FROM (SELECT DISTINCT group_code, carc, has_auth, rarc_key FROM _m_adjustment_in)),
ruled AS (
    SELECT c.group_code, c.carc, c.has_auth, c.rarc_key, r.category, r.sub_cause, r.soft_hard
    FROM combo c JOIN root_cause_rule r
      ON (r.group_code = '*' OR r.group_code = c.group_code)
     AND (r.carc = '*' OR r.carc = c.carc)
     AND (r.rarc = '*' OR list_contains(c.rarcs, r.rarc))
     AND (r.claim_has_auth = '*' OR r.claim_has_auth = CASE WHEN c.has_auth THEN 'true' WHEN NOT c.has_auth THEN 'false' END)
    QUALIFY row_number() OVER (
        PARTITION BY c.group_code, c.carc, c.has_auth, c.rarc_key
        ORDER BY (r.group_code <> '*')::INT + (r.carc <> '*')::INT + (r.rarc <> '*')::INT + (r.claim_has_auth <> '*')::INT DESC,
                 r.rarc <> '*' DESC, r.carc <> '*' DESC, r.group_code <> '*' DESC, r.claim_has_auth <> '*' DESC,
                 r.rarc, r.carc, r.group_code) = 1),
classified AS (
    SELECT c.group_code, c.carc, c.has_auth, c.rarc_key, c.rarcs,
           coalesce(nullif(r.category, ''), k.category, 'other') AS category,
           nullif(r.sub_cause, '') AS sub_cause,
           coalesce(nullif(r.soft_hard, ''), k.soft_hard, 'soft') AS soft_hard,
           k.carc IS NOT NULL AS carc_known
    FROM combo c
    LEFT JOIN ruled r ON r.group_code = c.group_code AND r.carc = c.carc
        AND r.has_auth IS NOT DISTINCT FROM c.has_auth AND r.rarc_key = c.rarc_key
    LEFT JOIN carc k ON k.carc = c.carc)
SELECT adj.event_seq, adj.remit_date, adj.claim_status, adj.line_number, adj.seq, adj.group_code, adj.carc, adj.amount, adj.quantity,
       adj.family_id, cl.rarcs, cl.category, cl.sub_cause,
       CASE WHEN cl.category = 'not_denial' THEN 'none' ELSE cl.soft_hard END AS soft_hard,
       coalesce(cat.stage, 'payer') AS stage, coalesce(cat.owner_team, 'billing') AS owner_team,
       cl.carc_known, cl.category <> 'not_denial' AS is_denial_class,
       -- a contractual write-down (CO-45 and the like): not a denial and not the patient's, it leaves
       -- the insurance balance (model 08) and is never collectible (models 04, 05); OA-23 is the
       -- earlier payer's part, not a write-down
       cl.category = 'not_denial' AND adj.group_code <> 'PR' AND NOT (adj.group_code = 'OA' AND adj.carc = '23')
           AS is_write_down,
       adj.family_key
FROM _m_adjustment_in adj
JOIN classified cl ON cl.group_code = adj.group_code AND cl.carc = adj.carc
    AND cl.has_auth IS NOT DISTINCT FROM adj.has_auth AND cl.rarc_key = adj.rarc_key
LEFT JOIN root_cause_category cat ON cat.category = cl.category;
DROP TABLE _m_adjustment_in;
