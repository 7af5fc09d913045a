-- m_catalog
-- grain: one row per combination of site, rendering provider, payer, payer class and specialty
-- found on claims (m_claim), with its number of claim families: the sidebar's filter choices,
-- read within a scope (site_id) without scanning the claims.
-- refresh: additive claims
CREATE OR REPLACE TABLE m_catalog AS
SELECT site_id, rendering_npi, payer_id, payer_class, specialty, count(*) AS claims
FROM m_claim
GROUP BY site_id, rendering_npi, payer_id, payer_class, specialty;
