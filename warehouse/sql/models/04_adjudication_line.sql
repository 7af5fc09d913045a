-- m_adjudication_line
-- refresh: family family_id
-- grain: one row per service line of each remit claim event; an event that carries no service
-- lines (claim-level only remit) gets one pseudo line, line_number 0, holding the whole claim.
-- A line is denied (on an adjudication, never on a reversal or predetermination) when
--   the claim was denied outright (status 4), or
--   its allowed amount is 0 (paid 0 and no patient cost share) and it carries a denial-class
--   adjustment (a line with no adjustments of its own takes the claim-level ones). The patient cost
--   share is the PR amounts that are not denials (deductible, coinsurance, copay: PR-1/2/3 and the
--   like); a PR adjustment the taxonomy counts as a denial (PR-96, PR-204: the payer refused, the
--   patient is liable) does not make the line allowed: the line is denied, and patient_liable holds
--   that amount (the line's own; a line with no adjustments of its own takes the claim-level ones, at
--   most its charge; none on a crossover remit, 19-21, where PR is the next payer's share): model 05
--   does not count it as open, it moved to the patient. Claim-level cost share is not apportioned.
-- Its root cause is the category of its largest denial-class adjustment (line-level first, else
-- claim-level; equal amounts: the first in its file, then by group code and CARC, since a remit's
-- adjustments may come from several files); several CARCs never count a line's dollars twice: the
-- line's charge is counted once.
-- A remit's lines and adjustments are joined to it on event_seq (unique per remit, carried by its
-- children since schema 5), not on the 32-character adjudication_id: at 10M claims those joins spilled.
-- The rows carry event_seq, not the adjudication_id (m_adjudication has it).
CREATE OR REPLACE TABLE m_adjudication_line AS
WITH lines AS (
    SELECT l.event_seq, l.line_number, l.procedure_code,
           list_filter([l.modifier_1, l.modifier_2, l.modifier_3, l.modifier_4], lambda m: m IS NOT NULL AND m <> '') AS modifiers,
           l.line_charge AS charge, l.line_paid AS paid
    FROM adjudication_line l
    UNION ALL
    SELECT a.event_seq, 0, NULL, [], a.claim_charge, a.claim_paid
    FROM adjudication a
    WHERE NOT EXISTS (SELECT 1 FROM adjudication_line l WHERE l.event_seq = a.event_seq)),
has_lines AS (SELECT DISTINCT event_seq FROM adjudication_line),
-- adjustments as they apply to a line: line-level ones; for the pseudo line, the claim-level ones
line_adj AS (
    SELECT j.*, coalesce(j.line_number, 0) AS line_key FROM m_adjustment j
    WHERE j.line_number IS NOT NULL OR j.event_seq NOT IN (SELECT event_seq FROM has_lines)),
line_sum AS (
    SELECT event_seq, line_key AS line_number,
           sum(amount) FILTER (WHERE group_code = 'PR') AS patient_resp,
           sum(amount) FILTER (WHERE group_code = 'PR' AND NOT is_denial_class) AS cost_share,
           sum(amount) FILTER (WHERE group_code = 'PR' AND is_denial_class
                                 AND claim_status NOT IN ('19', '20', '21')) AS patient_liable,
           sum(amount) FILTER (WHERE is_write_down) AS written_down,
           count(*) AS n_adjustments,
           bool_or(is_denial_class AND amount > 0) AS has_denial_adj
    FROM line_adj GROUP BY 1, 2),
-- the largest denial-class adjustment, over those rows only (most adjustments are contractual)
line_top AS (
    SELECT event_seq, line_key AS line_number,
           arg_max(struct_pack(category, sub_cause, soft_hard, stage, owner_team, group_code, carc, rarcs),
                   (amount, -seq, group_code, carc)) AS top_denial
    FROM line_adj WHERE is_denial_class AND amount > 0 GROUP BY 1, 2),
claim_level AS (   -- claim-level denial adjustments, the fallback cause for lines that have none
    SELECT event_seq,
           arg_max(struct_pack(category, sub_cause, soft_hard, stage, owner_team, group_code, carc, rarcs),
                   (amount, -seq, group_code, carc)) AS top_denial,
           sum(amount) FILTER (WHERE group_code = 'PR' AND claim_status NOT IN ('19', '20', '21')) AS patient_liable
    FROM m_adjustment WHERE line_number IS NULL AND is_denial_class AND amount > 0 GROUP BY 1)
SELECT l.line_number, a.family_id, a.claim_status, a.is_adjudication, a.remit_date, a.event_seq,
       l.procedure_code, l.modifiers, l.charge, l.paid, coalesce(s.patient_resp, 0) AS patient_resp,
       coalesce(s.written_down, 0) AS written_down,
       CASE WHEN coalesce(s.n_adjustments, 0) = 0 THEN least(l.charge, coalesce(cl.patient_liable, 0))
            ELSE coalesce(s.patient_liable, 0) END AS patient_liable,
       a.is_adjudication AND (
           a.claim_status = '4'
           OR (l.paid = 0 AND coalesce(s.cost_share, 0) = 0
               AND (coalesce(s.has_denial_adj, false)
                    OR (coalesce(s.n_adjustments, 0) = 0 AND cl.top_denial IS NOT NULL)))
       ) AS is_denied,
       coalesce(t.top_denial, cl.top_denial) AS top_denial, a.family_key
FROM lines l
JOIN m_adjudication a ON a.event_seq = l.event_seq
LEFT JOIN line_sum s ON s.event_seq = l.event_seq AND s.line_number = l.line_number
LEFT JOIN line_top t ON t.event_seq = l.event_seq AND t.line_number = l.line_number
LEFT JOIN claim_level cl ON cl.event_seq = l.event_seq;
