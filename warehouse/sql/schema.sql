-- Warehouse schema: reference tables, facts at line grain, and the load ledger.
-- Facts keep the claim references exactly as they arrived (claim_id, patient control number,
-- payer claim number); resolving them to a claim family happens in the models (sql/models/),
-- so a claim file that arrives after its remits still joins.
-- The *_key columns (claim_key, adjudication_key, pcn_key, pcl_key) are the top 40 bits of DuckDB's
-- hash() of the reference they name (schema.FACT_KEYS, schema.key_sql), filled by the merge: the
-- incremental refresh finds a load's touched rows by these integers first (bit-packed to 4 bytes a
-- row where the 32-character ids cost ~10x more), then keeps the exact matches by the reference.
-- A remit's lines, adjustments and remarks name it by its event_seq (unique per remit, set by the
-- merge), not by its 32-character adjudication_id (schema 6): the models join them to it on that
-- integer, and the refresh and the merge find them by it (nearly sorted: ~2 bits a row).

-- grain: one row per setting
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);

-- ------------------------------------------------------------------ load ledger
-- grain: one row per run of the loader that committed
CREATE TABLE IF NOT EXISTS load_run (
    load_id INTEGER PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP, command VARCHAR,
    files INTEGER, rows_read BIGINT, rows_loaded BIGINT, duplicates BIGINT, quarantined BIGINT);
-- grain: one row per input file per load
CREATE TABLE IF NOT EXISTS load_file (
    load_id INTEGER, file_seq INTEGER, path VARCHAR, sha256 VARCHAR, format VARCHAR,
    kinds VARCHAR, units INTEGER, rows_read BIGINT, rows_loaded BIGINT, duplicates BIGINT,
    quarantined BIGINT, whole_file_duplicate BOOLEAN, message VARCHAR,
    PRIMARY KEY (load_id, file_seq));
-- grain: one row per quarantined input row (or unusable unit: a file, an X12 transaction)
CREATE TABLE IF NOT EXISTS quarantine (
    load_id INTEGER, path VARCHAR, unit VARCHAR, kind VARCHAR, row_number BIGINT,
    field VARCHAR, value VARCHAR, rule VARCHAR, message VARCHAR);

-- ------------------------------------------------------------------ reference
-- grain: one row per site
CREATE TABLE IF NOT EXISTS site (
    site_id VARCHAR PRIMARY KEY, site_name VARCHAR NOT NULL, specialty VARCHAR, state VARCHAR,
    billing_npi VARCHAR, tin VARCHAR, unmapped BOOLEAN DEFAULT false, load_id INTEGER);
-- grain: one row per rendering provider (individual NPI)
CREATE TABLE IF NOT EXISTS rendering_provider (
    provider_npi VARCHAR PRIMARY KEY, provider_name VARCHAR NOT NULL, specialty VARCHAR,
    site_id VARCHAR, unmapped BOOLEAN DEFAULT false, load_id INTEGER);
-- grain: one row per payer as the practice groups them
CREATE TABLE IF NOT EXISTS payer (
    payer_id VARCHAR PRIMARY KEY, payer_name VARCHAR NOT NULL, payer_class VARCHAR NOT NULL,
    appeal_window_days INTEGER, timely_filing_days INTEGER, unmapped BOOLEAN DEFAULT false,
    load_id INTEGER);
-- Taxonomy tables (replaced from warehouse/taxonomy/ at every refresh).
-- grain: one row per root-cause category
CREATE TABLE IF NOT EXISTS root_cause_category (
    category VARCHAR PRIMARY KEY, label VARCHAR, stage VARCHAR, owner_team VARCHAR, description VARCHAR);
-- grain: one row per CARC
CREATE TABLE IF NOT EXISTS carc (
    carc VARCHAR PRIMARY KEY, description VARCHAR, category VARCHAR, soft_hard VARCHAR,
    start_date DATE, stop_date DATE, source VARCHAR);
-- grain: one row per RARC
CREATE TABLE IF NOT EXISTS rarc (
    rarc VARCHAR PRIMARY KEY, description VARCHAR, start_date DATE, stop_date DATE, source VARCHAR);
-- grain: one row per override rule (group code, CARC, RARC, claim carried an auth) -> cause
CREATE TABLE IF NOT EXISTS root_cause_rule (
    group_code VARCHAR, carc VARCHAR, rarc VARCHAR, claim_has_auth VARCHAR, category VARCHAR,
    sub_cause VARCHAR, soft_hard VARCHAR, note VARCHAR);

-- ------------------------------------------------------------------ facts
-- grain: one row per submitted claim (original, replacement or void)
CREATE TABLE IF NOT EXISTS claim (
    claim_id VARCHAR NOT NULL, patient_control_number VARCHAR NOT NULL, frequency_code VARCHAR NOT NULL,
    original_claim_id VARCHAR, site_id VARCHAR NOT NULL, rendering_npi VARCHAR NOT NULL,
    billing_npi VARCHAR, payer_id VARCHAR NOT NULL, patient_pseudonym VARCHAR NOT NULL,
    member_id_masked VARCHAR, service_date_from DATE NOT NULL, service_date_to DATE,
    submitted_date DATE NOT NULL, total_charge DECIMAL(18,2) NOT NULL, place_of_service VARCHAR,
    type_of_bill VARCHAR, prior_auth_number VARCHAR, claim_type VARCHAR,
    load_id INTEGER, source_row BIGINT,
    claim_key UBIGINT);
-- grain: one row per service line of a submitted claim
CREATE TABLE IF NOT EXISTS claim_line (
    claim_id VARCHAR NOT NULL, line_number INTEGER NOT NULL, procedure_code VARCHAR, modifier_1 VARCHAR,
    modifier_2 VARCHAR, modifier_3 VARCHAR, modifier_4 VARCHAR, revenue_code VARCHAR,
    units DOUBLE, line_charge DECIMAL(18,2) NOT NULL, service_date DATE, load_id INTEGER);
-- grain: one row per rejection before adjudication
CREATE TABLE IF NOT EXISTS rejection (
    claim_ref VARCHAR NOT NULL, rejected_date DATE NOT NULL, status_code VARCHAR NOT NULL,
    reason VARCHAR, source VARCHAR, load_id INTEGER,
    PRIMARY KEY (claim_ref, rejected_date, status_code));
-- grain: one row per remit claim event (835 CLP): an adjudication, reversal or predetermination
CREATE TABLE IF NOT EXISTS adjudication (
    adjudication_id VARCHAR NOT NULL, remit_claim_id VARCHAR, payer_id VARCHAR NOT NULL,
    trace_number VARCHAR NOT NULL, remit_date DATE NOT NULL, patient_control_number VARCHAR NOT NULL,
    claim_status VARCHAR NOT NULL, claim_charge DECIMAL(18,2) NOT NULL, claim_paid DECIMAL(18,2) NOT NULL,
    patient_responsibility DECIMAL(18,2), payer_claim_number VARCHAR, filing_indicator VARCHAR,
    rendering_npi VARCHAR, payee_npi VARCHAR, service_date_from DATE, service_date_to DATE,
    payment_method VARCHAR, event_seq BIGINT NOT NULL, load_id INTEGER,
    adjudication_key UBIGINT, pcn_key UBIGINT, pcl_key UBIGINT);
-- grain: one row per service line of a remit claim event (835 SVC)
CREATE TABLE IF NOT EXISTS adjudication_line (
    line_number INTEGER NOT NULL, procedure_code VARCHAR, modifier_1 VARCHAR,
    modifier_2 VARCHAR, modifier_3 VARCHAR, modifier_4 VARCHAR, original_procedure_code VARCHAR,
    units DOUBLE, line_charge DECIMAL(18,2) NOT NULL, line_paid DECIMAL(18,2) NOT NULL,
    service_date DATE, event_seq BIGINT NOT NULL);
-- grain: one row per adjustment (one group/CARC/amount of a CAS segment); line_number NULL = claim level
CREATE TABLE IF NOT EXISTS adjustment (
    line_number INTEGER, seq INTEGER NOT NULL, group_code VARCHAR NOT NULL,
    carc VARCHAR NOT NULL, amount DECIMAL(18,2) NOT NULL, quantity DOUBLE, event_seq BIGINT NOT NULL);
-- grain: one row per remark code on a remit claim or line; line_number NULL = claim level
CREATE TABLE IF NOT EXISTS remark (
    line_number INTEGER, rarc VARCHAR NOT NULL, event_seq BIGINT NOT NULL);
-- grain: one row per payer payment (a check or EFT, identified by payer and trace number: 835 BPR/TRN)
CREATE TABLE IF NOT EXISTS payment (
    payer_id VARCHAR NOT NULL, trace_number VARCHAR NOT NULL, payment_date DATE,
    payment_amount DECIMAL(18,2), payment_method VARCHAR, payee_npi VARCHAR, load_id INTEGER);
-- grain: one row per provider-level adjustment (835 PLB); never a claim denial
CREATE TABLE IF NOT EXISTS provider_adjustment (
    payer_id VARCHAR, trace_number VARCHAR, remit_date DATE, payee_npi VARCHAR, reason_code VARCHAR,
    reference VARCHAR, amount DECIMAL(18,2), load_id INTEGER);
-- grain: one row per appeal
CREATE TABLE IF NOT EXISTS appeal (
    appeal_id VARCHAR PRIMARY KEY, claim_ref VARCHAR NOT NULL, appeal_level INTEGER NOT NULL,
    filed_date DATE NOT NULL, decided_date DATE, outcome VARCHAR NOT NULL,
    recovered_amount DECIMAL(18,2) NOT NULL, load_id INTEGER);
-- grain: one row per write-off
CREATE TABLE IF NOT EXISTS write_off (
    claim_ref VARCHAR NOT NULL, write_off_date DATE NOT NULL, amount DECIMAL(18,2) NOT NULL,
    reason VARCHAR NOT NULL, load_id INTEGER);
