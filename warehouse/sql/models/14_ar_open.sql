-- m_ar_open
-- grain: one row per date of service × claim slice (site, rendering provider, specialty, payer,
--   payer class, root cause, sub-cause, stage, owner team, soft/hard, initially denied), from
--   m_ar_claim (first_day, always the date of service, rides along): claims, the number of claims;
--   open_claims, those whose balance after their last move is not 0; balance, the sum of those
--   balances. Aging at D sums it over dates of service on or before D, then swaps the claims that
--   moved after D (m_ar_claim.last_day > D) from their final state to their state at D.
-- refresh: additive claims,open_claims,balance
CREATE OR REPLACE TABLE m_ar_open AS
SELECT dos, first_day, site_id, rendering_npi, specialty, payer_id, payer_class,
       root_cause, sub_cause, stage, owner_team, soft_hard, initially_denied,
       count(*) AS claims,
       count(CASE WHEN balance <> 0 THEN 1 END) AS open_claims,
       sum(balance) AS balance
FROM m_ar_claim
GROUP BY dos, first_day, site_id, rendering_npi, specialty, payer_id, payer_class,
         root_cause, sub_cause, stage, owner_team, soft_hard, initially_denied;
