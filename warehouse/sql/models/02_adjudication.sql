-- m_adjudication
-- refresh: special (incremental: the load's remits and the remits sharing their PCN or payer claim number)
-- grain: one row per remit claim event (835 CLP), resolved to its claim family.
-- Matching: patient control number (CLP01) to a claim_id or CLM01; else the payer claim number
-- (CLP07) of another remit that matched; else the remit stands for a claim known only from its
-- remit (family 'REMIT:<CLP01>'), counted like any other and listed on the data-quality view.
-- Status 22 is a reversal (its amounts arrive negated, so sums net it out); 23 (not our claim)
-- and 25 (predetermination) are not adjudications.
CREATE OR REPLACE TABLE m_adjudication AS
WITH by_pcn AS (   -- keyed by event_seq (unique per remit), not the 32-character adjudication_id
    SELECT a.event_seq, a.payer_claim_number, a.remit_date, r.family_id
    FROM adjudication a JOIN m_claim_ref r ON r.ref = a.patient_control_number),
payer_claim_family AS (
    SELECT payer_claim_number, first(family_id ORDER BY remit_date, event_seq) AS family_id
    FROM by_pcn WHERE payer_claim_number IS NOT NULL GROUP BY 1)
SELECT a.*,
       coalesce(b.family_id, pcf.family_id, 'REMIT:' || a.patient_control_number) AS family_id,
       hash(coalesce(b.family_id, pcf.family_id, 'REMIT:' || a.patient_control_number)) >> 24 AS family_key,
       b.family_id IS NULL AND pcf.family_id IS NULL AS known_from_remit,
       a.claim_status = '22' AS is_reversal,
       a.claim_status NOT IN ('22', '23', '25') AS is_adjudication
FROM adjudication a
LEFT JOIN by_pcn b USING (event_seq)
LEFT JOIN payer_claim_family pcf ON b.family_id IS NULL AND pcf.payer_claim_number = a.payer_claim_number;
