-- Schema 1 -> 2: payer payments (835 BPR/TRN) get a table of their own.
-- grain: one row per payer payment (a check or EFT, identified by payer and trace number)
CREATE TABLE IF NOT EXISTS payment (
    payer_id VARCHAR NOT NULL, trace_number VARCHAR NOT NULL, payment_date DATE,
    payment_amount DECIMAL(18,2), payment_method VARCHAR, payee_npi VARCHAR, load_id INTEGER);
