-- Schema 5 -> 6: a remit's lines, adjustments and remarks no longer repeat its 32-character
-- adjudication_id nor the key of it: they name their remit by its event_seq (unique per remit, set
-- by the merge since schema 5), on which the models join them and the incremental refresh and the
-- merge find them. At 10M claims the two columns were 684 MB of a 7.1 GB warehouse (70 M rows).
-- No model changes: the models read event_seq already, so `python -m warehouse migrate` leaves them
-- as they are (their inputs digest is unchanged). 14.7 s at 10M claims.
ALTER TABLE adjudication_line DROP COLUMN adjudication_id;
ALTER TABLE adjudication_line DROP COLUMN adjudication_key;
ALTER TABLE adjudication_line ALTER COLUMN event_seq SET NOT NULL;
ALTER TABLE adjustment DROP COLUMN adjudication_id;
ALTER TABLE adjustment DROP COLUMN adjudication_key;
ALTER TABLE adjustment ALTER COLUMN event_seq SET NOT NULL;
ALTER TABLE remark DROP COLUMN adjudication_id;
ALTER TABLE remark DROP COLUMN adjudication_key;
ALTER TABLE remark ALTER COLUMN event_seq SET NOT NULL;
