-- m_open_denial
-- grain: one row per claim (family) with open denied dollars (m_claim.open_denied_dollars > 0), or denied
--   after payment (m_claim.redenied_dollars > 0: paid at first, denied by a later adjudication; its cause,
--   date and dollars are the re-denial's, its status 'denied after payment' until it is worked): the
--   work queue's columns that depend on the family's own facts alone: the claim's slice, root cause,
--   date of service, initial adjudication (the denial), open denied dollars, and its status from its
--   latest appeal (else its corrected claims), with that appeal's filing date and the latest decision
--   of any of its appeals. The queue adds at query time what other families or the date move: the
--   payer rules' deadlines, the win ratios (any appeal moves them) and the days left (warehouse/queue.py).
-- refresh: family claim_id
CREATE OR REPLACE TABLE m_open_denial AS
WITH appeal_state AS (
    -- grain: one row per claim with appeals
    SELECT claim_id, first(struct_pack(outcome, filed_date) ORDER BY filed_date DESC, appeal_id DESC) AS latest,
           max(decided_date) FILTER (WHERE outcome IN ('won', 'partially_won', 'lost')) AS last_decided
    FROM m_appeal GROUP BY 1)
SELECT c.claim_id, c.site_id, c.payer_id, c.rendering_npi,
       coalesce(c.root_cause, c.redenial_cause) AS root_cause, coalesce(c.sub_cause, c.redenial_sub_cause) AS sub_cause,
       coalesce(c.owner_team, c.redenial_owner_team) AS owner_team, coalesce(c.soft_hard, c.redenial_soft_hard) AS soft_hard,
       coalesce(c.carc, c.redenial_carc) AS carc, c.dos,
       CASE WHEN c.initially_denied THEN c.initial_adjudication_date ELSE c.redenied_on END AS denied_on,
       (c.open_denied_dollars + c.redenied_dollars)::DECIMAL(18,2) AS open_denied_dollars,
       CASE WHEN a.latest.outcome = 'pending' THEN 'appeal pending'
            WHEN a.latest.outcome = 'won' THEN 'appeal won, still open'
            WHEN a.latest.outcome = 'partially_won' THEN 'appeal partly won'
            WHEN a.latest.outcome = 'lost' THEN 'appeal lost'
            WHEN a.latest.outcome = 'withdrawn' THEN 'appeal withdrawn'
            WHEN c.corrected_claims > 0 THEN 'corrected claim sent'
            WHEN c.redenied_dollars > 0 THEN 'denied after payment'
            ELSE 'new' END AS status,
       a.latest.filed_date AS appeal_filed, a.last_decided, c.family_key
FROM m_claim c
LEFT JOIN appeal_state a ON a.claim_id = c.claim_id
WHERE c.open_denied_dollars > 0 OR c.redenied_dollars > 0;
