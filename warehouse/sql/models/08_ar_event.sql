-- m_ar_event
-- grain: one row per event that moves a claim's insurance balance.
--   + billed charges, dated the date of service;
--   − payer payments (every remit event but predeterminations; reversals add back, their
--     amounts being negative), dated the remit date;
--   − amounts moved to the patient (PR group) and adjustments that are not denials (CO-45 and the
--     like), dated the remit date; OA-23 (the prior payer's part) is left out because that payer's
--     own remit already moved the balance; denial adjustments do not move it: a denied balance
--     stays in A/R until it is paid, written off or moved to the patient;
--   − write-offs, dated the write-off date.
-- A claim's balance at D is the sum of its events dated on or before D, never below 0, for claims
-- with date of service on or before D and not voided by D.
CREATE OR REPLACE TABLE m_ar_event AS
WITH ev AS (
    SELECT claim_id, dos AS event_date, billed AS amount FROM m_claim
    UNION ALL
    SELECT family_id, remit_date, -claim_paid FROM m_adjudication WHERE claim_status <> '25'
    UNION ALL
    SELECT j.family_id, a.remit_date, -j.amount
    FROM m_adjustment j JOIN m_adjudication a USING (adjudication_id)
    WHERE a.claim_status <> '25'
      AND (j.group_code = 'PR' OR (j.category = 'not_denial' AND NOT (j.group_code = 'OA' AND j.carc = '23')))
    UNION ALL
    SELECT r.family_id, w.write_off_date, -w.amount FROM write_off w JOIN m_claim_ref r ON r.ref = w.claim_ref)
SELECT ev.claim_id, ev.event_date, ev.amount::DECIMAL(18,2) AS amount, c.dos, c.void_date,
       c.site_id, c.rendering_npi, c.specialty, c.payer_id, c.payer_class,
       c.root_cause, c.sub_cause, c.stage, c.owner_team, c.soft_hard, c.initially_denied
FROM ev JOIN m_claim c ON c.claim_id = ev.claim_id;
