-- Schema 3 -> 4: the fact tables the incremental refresh narrows carry 64-bit keys of their
-- references (warehouse/schema.py FACT_KEYS): a day of remits finds its touched rows among tens of
-- millions by integers instead of 32-character strings. The columns are added empty; the migration
-- then fills them (schema.sync_keys: no 'key_hash' recorded yet), and the next load or
-- `python -m warehouse refresh` rebuilds the models (their SQL changed) with the families' keys.
ALTER TABLE claim ADD COLUMN claim_key UBIGINT;
ALTER TABLE adjudication ADD COLUMN adjudication_key UBIGINT;
ALTER TABLE adjudication ADD COLUMN pcn_key UBIGINT;
ALTER TABLE adjudication ADD COLUMN pcl_key UBIGINT;
ALTER TABLE adjudication_line ADD COLUMN adjudication_key UBIGINT;
ALTER TABLE adjustment ADD COLUMN adjudication_key UBIGINT;
ALTER TABLE remark ADD COLUMN adjudication_key UBIGINT;
