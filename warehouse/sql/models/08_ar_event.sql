-- m_ar_event
-- refresh: transient claim_id
-- grain: one row per event that moves a claim's insurance balance.
--   + billed charges, dated the date of service;
--   − payer payments (every remit event but predeterminations; reversals add back, their
--     amounts being negative), dated the remit date;
--   − amounts moved to the patient (PR group) and adjustments that are not denials (CO-45 and the
--     like), dated the remit date; OA-23 (the prior payer's part) is left out because that payer's
--     own remit already moved the balance; denial adjustments do not move it: a denied balance
--     stays in A/R until it is paid, written off or moved to the patient;
--   − write-offs, dated the write-off date;
--   − a void (frequency 8): the balance the claim still had on the void date.
-- A/R at D is the plain sum of events dated on or before D of claims with date of service on or
-- before D, so it adds up across any slice and by day (credit balances net against debits).
CREATE OR REPLACE TABLE m_ar_event AS
WITH ev AS (
    SELECT claim_id, dos AS event_date, billed AS amount, 'charge' AS event FROM m_claim
    UNION ALL
    SELECT family_id, remit_date, -claim_paid, 'payment' FROM m_adjudication WHERE claim_status <> '25'
    UNION ALL
    SELECT j.family_id, j.remit_date, -j.amount, CASE WHEN j.group_code = 'PR' THEN 'patient' ELSE 'adjustment' END
    FROM m_adjustment j
    WHERE j.claim_status <> '25'
      AND (j.group_code = 'PR' OR (j.category = 'not_denial' AND NOT (j.group_code = 'OA' AND j.carc = '23')))
    UNION ALL
    SELECT r.family_id, w.write_off_date, -w.amount, 'write_off' FROM write_off w JOIN m_claim_ref r ON r.ref = w.claim_ref),
voids AS (
    SELECT c.claim_id, c.void_date AS event_date, -sum(ev.amount) AS amount, 'void' AS event
    FROM m_claim c JOIN ev ON ev.claim_id = c.claim_id AND ev.event_date <= c.void_date
    WHERE c.void_date IS NOT NULL GROUP BY c.claim_id, c.void_date),
all_ev AS (SELECT * FROM ev UNION ALL SELECT * FROM voids)
SELECT e.claim_id, e.event_date, e.event, e.amount::DECIMAL(18,2) AS amount, c.dos,
       c.site_id, c.rendering_npi, c.specialty, c.payer_id, c.payer_class,
       c.root_cause, c.sub_cause, c.stage, c.owner_team, c.soft_hard, c.initially_denied, c.family_key
FROM all_ev e JOIN m_claim c ON c.claim_id = e.claim_id;
