-- Schema 4 -> 5: a remit's lines, adjustments and remarks carry its event_seq (unique per remit),
-- so the models join them to their remit on an integer instead of the 32-character adjudication_id
-- (at 10M claims those joins and group-bys spilled under the memory limit). Filled here from the
-- remits; the next load or `python -m warehouse refresh` rebuilds the models (their SQL changed).
ALTER TABLE adjudication_line ADD COLUMN event_seq BIGINT;
ALTER TABLE adjustment ADD COLUMN event_seq BIGINT;
ALTER TABLE remark ADD COLUMN event_seq BIGINT;
UPDATE adjudication_line SET event_seq = a.event_seq FROM adjudication a WHERE a.adjudication_id = adjudication_line.adjudication_id;
UPDATE adjustment SET event_seq = a.event_seq FROM adjudication a WHERE a.adjudication_id = adjustment.adjudication_id;
UPDATE remark SET event_seq = a.event_seq FROM adjudication a WHERE a.adjudication_id = remark.adjudication_id;
