-- m_line
-- refresh: family claim_id
-- grain: one row per line of each claim's initial adjudication (the pseudo line 0 for a
-- claim-level remit), carrying the claim's slicing attributes. Used when a KPI is sliced by a
-- line attribute (procedure code, modifier, CARC); the line's own root cause is that of its largest
-- denial-class adjustment.
-- Ordered by initial adjudication date, like m_claim, so a date range skips most row groups.
CREATE OR REPLACE TABLE m_line AS
SELECT c.claim_id, l.line_number, coalesce(l.procedure_code, '(claim level)') AS procedure_code,
       CASE WHEN len(l.modifiers) = 0 THEN ['(none)'] ELSE l.modifiers END AS modifiers,
       l.charge::DECIMAL(18,2) AS charge, l.paid::DECIMAL(18,2) AS paid, l.is_denied,
       CASE WHEN l.is_denied THEN l.charge ELSE 0 END::DECIMAL(18,2) AS denied_dollars,
       CASE WHEN l.is_denied THEN coalesce(l.top_denial.category, 'other') END AS root_cause,
       CASE WHEN l.is_denied THEN l.top_denial.sub_cause END AS sub_cause,
       CASE WHEN l.is_denied THEN coalesce(l.top_denial.stage, 'payer') END AS stage,
       CASE WHEN l.is_denied THEN coalesce(l.top_denial.owner_team, 'billing') END AS owner_team,
       CASE WHEN l.is_denied THEN coalesce(l.top_denial.soft_hard, 'soft') END AS soft_hard,
       CASE WHEN l.is_denied THEN l.top_denial.carc END AS carc,
       CASE WHEN l.is_denied THEN l.top_denial.group_code END AS denial_group_code,
       c.site_id, c.rendering_npi, c.specialty, c.payer_id, c.payer_class, c.dos, c.initial_adjudication_date, c.family_key
FROM m_claim c
JOIN m_adjudication_line l ON l.event_seq = c.initial_seq
ORDER BY c.initial_adjudication_date, c.dos;
