-- Schema 2 -> 3: the four big fact tables lose their primary-key indexes. The merge
-- (warehouse/ingest.py) already keeps their keys unique (first row wins, identical rows are
-- duplicates, different ones are quarantined as conflicts); the ART indexes only cost inserts,
-- checkpoints and memory at MSO scale (docs/performance.md). Columns and order are unchanged.

CREATE TABLE claim_v3 (
    claim_id VARCHAR NOT NULL, patient_control_number VARCHAR NOT NULL, frequency_code VARCHAR NOT NULL,
    original_claim_id VARCHAR, site_id VARCHAR NOT NULL, rendering_npi VARCHAR NOT NULL,
    billing_npi VARCHAR, payer_id VARCHAR NOT NULL, patient_pseudonym VARCHAR NOT NULL,
    member_id_masked VARCHAR, service_date_from DATE NOT NULL, service_date_to DATE,
    submitted_date DATE NOT NULL, total_charge DECIMAL(18,2) NOT NULL, place_of_service VARCHAR,
    type_of_bill VARCHAR, prior_auth_number VARCHAR, claim_type VARCHAR,
    load_id INTEGER, source_row BIGINT);
INSERT INTO claim_v3 SELECT * FROM claim;
DROP TABLE claim;
ALTER TABLE claim_v3 RENAME TO claim;

CREATE TABLE claim_line_v3 (
    claim_id VARCHAR NOT NULL, line_number INTEGER NOT NULL, procedure_code VARCHAR, modifier_1 VARCHAR,
    modifier_2 VARCHAR, modifier_3 VARCHAR, modifier_4 VARCHAR, revenue_code VARCHAR,
    units DOUBLE, line_charge DECIMAL(18,2) NOT NULL, service_date DATE, load_id INTEGER);
INSERT INTO claim_line_v3 SELECT * FROM claim_line;
DROP TABLE claim_line;
ALTER TABLE claim_line_v3 RENAME TO claim_line;

CREATE TABLE adjudication_v3 (
    adjudication_id VARCHAR NOT NULL, remit_claim_id VARCHAR, payer_id VARCHAR NOT NULL,
    trace_number VARCHAR NOT NULL, remit_date DATE NOT NULL, patient_control_number VARCHAR NOT NULL,
    claim_status VARCHAR NOT NULL, claim_charge DECIMAL(18,2) NOT NULL, claim_paid DECIMAL(18,2) NOT NULL,
    patient_responsibility DECIMAL(18,2), payer_claim_number VARCHAR, filing_indicator VARCHAR,
    rendering_npi VARCHAR, payee_npi VARCHAR, service_date_from DATE, service_date_to DATE,
    payment_method VARCHAR, event_seq BIGINT NOT NULL, load_id INTEGER);
INSERT INTO adjudication_v3 SELECT * FROM adjudication;
DROP TABLE adjudication;
ALTER TABLE adjudication_v3 RENAME TO adjudication;

CREATE TABLE adjudication_line_v3 (
    adjudication_id VARCHAR NOT NULL, line_number INTEGER NOT NULL, procedure_code VARCHAR, modifier_1 VARCHAR,
    modifier_2 VARCHAR, modifier_3 VARCHAR, modifier_4 VARCHAR, original_procedure_code VARCHAR,
    units DOUBLE, line_charge DECIMAL(18,2) NOT NULL, line_paid DECIMAL(18,2) NOT NULL,
    service_date DATE);
INSERT INTO adjudication_line_v3 SELECT * FROM adjudication_line;
DROP TABLE adjudication_line;
ALTER TABLE adjudication_line_v3 RENAME TO adjudication_line;
