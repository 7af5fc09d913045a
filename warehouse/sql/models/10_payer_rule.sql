-- m_payer_rule
-- refresh: full
-- grain: one row per payer: the appeal window and timely-filing limit the work queue uses.
-- Precedence: the practice's override file (config/payer_rules.csv, loaded into payer_rule_override
-- at refresh) > the payer's own values in the payers list > the payer-class default
-- (warehouse/rules/payer_rules.csv, loaded into payer_rule_default).
CREATE OR REPLACE TABLE m_payer_rule AS
SELECT p.payer_id,
       coalesce(o.appeal_window_days, p.appeal_window_days, d.appeal_window_days) AS appeal_window_days,
       coalesce(o.timely_filing_days, p.timely_filing_days, d.timely_filing_days) AS timely_filing_days,
       CASE WHEN o.appeal_window_days IS NOT NULL OR o.timely_filing_days IS NOT NULL THEN 'override file'
            WHEN p.appeal_window_days IS NOT NULL OR p.timely_filing_days IS NOT NULL THEN 'payers list'
            ELSE 'class default' END AS rule_source
FROM payer p
LEFT JOIN payer_rule_default d ON d.payer_class = p.payer_class
LEFT JOIN payer_rule_override o ON o.payer_id = p.payer_id;
