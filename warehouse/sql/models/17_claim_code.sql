-- m_claim_code
-- grain: one row per claim family × denial code of its initial adjudication, with the claim's
-- slicing attributes and dates copied from m_claim (top codes per payer without joining the
-- adjustments):
--   kind 'carc': group code + CARC of the denial-class adjustments with a positive amount;
--     amount = the sum of those adjustments;
--   kind 'rarc': a remark code (RARC) on the initial adjudication of an initially denied claim;
--     amount = the claim's denied dollars.
-- Ordered by initial adjudication date, so a date range skips most row groups.
-- refresh: family claim_id
CREATE OR REPLACE TABLE m_claim_code AS
WITH codes AS (
    SELECT c.claim_id, 'carc' AS kind, j.group_code, j.carc AS code, sum(j.amount) AS amount
    FROM m_claim c JOIN m_adjustment j ON j.event_seq = c.initial_seq
    WHERE j.is_denial_class AND j.amount > 0
    GROUP BY c.claim_id, j.group_code, j.carc
    UNION ALL
    SELECT c.claim_id, 'rarc', NULL, r.rarc, c.denied_dollars
    FROM m_claim c JOIN (SELECT DISTINCT event_seq, rarc FROM remark) r
      ON r.event_seq = c.initial_seq
    WHERE c.initially_denied)
SELECT k.claim_id, k.kind, k.group_code, k.code, k.amount,
       c.site_id, c.rendering_npi, c.specialty, c.payer_id, c.payer_class,
       c.root_cause, c.sub_cause, c.stage, c.owner_team, c.soft_hard,
       c.dos, c.initial_adjudication_date, c.family_key
FROM codes k JOIN m_claim c USING (claim_id)
ORDER BY c.initial_adjudication_date, k.claim_id, k.kind, k.group_code, k.code;
