-- m_claim_family
-- refresh: special (incremental: new original claims are appended; see warehouse/refresh.py)
-- grain: one row per submitted claim, with the family (the original claim) it belongs to.
-- A replacement (7) or void (8) joins the family of the claim it names in original_claim_id
-- (a claim_id, or a payer claim number seen on a remit), else of the earliest original claim
-- sharing its patient control number. Chains are followed to the root (at most 20 steps).
-- family_key = hash(family_id) >> 24, in every family-keyed model: the incremental refresh finds a
-- load's touched families by this 40-bit key (warehouse/refresh.py; schema.key_sql says why 40).
CREATE OR REPLACE TABLE m_claim_family AS
WITH RECURSIVE
-- only replacements and voids have a parent: the lookups run for them alone (an MSO's history has
-- millions of originals; joining every claim to every other would not fit in the memory limit)
repl AS (SELECT claim_id, patient_control_number, original_claim_id FROM claim WHERE frequency_code IN ('7', '8')),
pcn_of_payer_claim AS (
    SELECT payer_claim_number, first(patient_control_number ORDER BY remit_date, event_seq) AS pcn
    FROM adjudication WHERE payer_claim_number IN (SELECT original_claim_id FROM repl) GROUP BY 1),
pcn_claim AS (
    SELECT patient_control_number AS pcn,
           first(claim_id ORDER BY frequency_code <> '1', submitted_date, claim_id) AS claim_id
    FROM claim
    WHERE patient_control_number IN (SELECT patient_control_number FROM repl UNION SELECT pcn FROM pcn_of_payer_claim)
    GROUP BY 1),
parent AS (
    SELECT c.claim_id,
           coalesce(p1.claim_id, p2.claim_id, CASE WHEN p3.claim_id <> c.claim_id THEN p3.claim_id END) AS parent_id
    FROM repl c
    LEFT JOIN claim p1 ON p1.claim_id = c.original_claim_id AND p1.claim_id <> c.claim_id
    LEFT JOIN pcn_of_payer_claim pp ON pp.payer_claim_number = c.original_claim_id
    LEFT JOIN pcn_claim p2 ON p2.pcn = pp.pcn AND p2.claim_id <> c.claim_id
    LEFT JOIN pcn_claim p3 ON p3.pcn = c.patient_control_number),
walk(claim_id, node, depth) AS (
    SELECT claim_id, claim_id, 0 FROM parent
    UNION ALL
    SELECT w.claim_id, p.parent_id, w.depth + 1
    FROM walk w JOIN parent p ON p.claim_id = w.node
    WHERE p.parent_id IS NOT NULL AND w.depth < 20)
SELECT claim_id, claim_id AS family_id, hash(claim_id) >> 24 AS family_key FROM claim WHERE frequency_code NOT IN ('7', '8')
UNION ALL
SELECT claim_id, arg_max(node, depth) AS family_id, hash(arg_max(node, depth)) >> 24 FROM walk GROUP BY claim_id;

-- m_claim_ref
-- grain: one row per claim reference string (claim_id or patient control number) -> its family;
-- ref_key = hash(ref) >> 24, by which the incremental refresh finds the references it needs.
CREATE OR REPLACE TABLE m_claim_ref AS
SELECT ref, family_id, hash(family_id) >> 24 AS family_key, hash(ref) >> 24 AS ref_key FROM (
    SELECT ref, coalesce(min(family_id) FILTER (WHERE prio = 1), min(family_id)) AS family_id FROM (
        SELECT claim_id AS ref, family_id, 1 AS prio FROM m_claim_family
        UNION ALL
        SELECT c.patient_control_number, f.family_id, 2
        FROM claim c JOIN m_claim_family f USING (claim_id)
    ) GROUP BY ref);
