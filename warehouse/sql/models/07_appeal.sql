-- m_appeal
-- refresh: family claim_id
-- grain: one row per appeal, with its claim's slicing attributes and root cause.
-- Decided = won, partially_won or lost; pending and withdrawn appeals are in neither side of the
-- win ratio.
CREATE OR REPLACE TABLE m_appeal AS
SELECT p.appeal_id, c.claim_id, p.appeal_level, p.filed_date, p.decided_date, p.outcome,
       p.recovered_amount, p.outcome IN ('won', 'partially_won', 'lost') AS is_decided,
       p.outcome IN ('won', 'partially_won') AS is_won,
       p.filed_date - c.initial_adjudication_date AS days_denial_to_appeal,
       p.decided_date - p.filed_date AS days_to_decision,
       c.site_id, c.rendering_npi, c.specialty, c.payer_id, c.payer_class, c.dos,
       c.root_cause, c.sub_cause, c.stage, c.owner_team, c.soft_hard, c.family_key
FROM appeal p
JOIN m_claim_ref r ON r.ref = p.claim_ref
JOIN m_claim c ON c.claim_id = r.family_id;
