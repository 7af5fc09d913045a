-- m_remit_day
-- grain: one row per site × payer × remit date on which remit claim events (m_adjudication) of the
-- claim families in m_claim arrived, with their number: remit freshness per payer or site.
-- refresh: additive remits
CREATE OR REPLACE TABLE m_remit_day AS
SELECT c.site_id, a.payer_id, a.remit_date, count(*) AS remits
FROM m_adjudication a JOIN m_claim c ON c.claim_id = a.family_id
GROUP BY c.site_id, a.payer_id, a.remit_date;
