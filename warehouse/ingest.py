"""Merge staged input rows into the facts: dedupe, conflicts and orphans, with per-file counts.

etl/ validates rows and stages each batch through a `Stager` (small ones gathered per kind); at
the end of the load `merge()` moves staged rows into the fact tables in dependency order (claims
before their lines, remits before their adjustments), so the order of files in a folder never matters. Every staged row ends as
exactly one of: loaded, duplicate (already in the warehouse or earlier in this load), or
quarantined (a conflict, or a reference to nothing), and the counts come back per file.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import duckdb
import numpy as np

from warehouse.schema import key_columns, key_sql, scalar
import polars as pl

# kind -> (fact table, staged columns in table order). Staged frames also carry _file, _row, _unit.
TABLE_COLUMNS: dict[str, tuple[str, list[str]]] = {
    "sites": ("site", ["site_id", "site_name", "specialty", "state", "billing_npi", "tin", "unmapped"]),
    "providers": ("rendering_provider", ["provider_npi", "provider_name", "specialty", "site_id", "unmapped"]),
    "payers": ("payer", ["payer_id", "payer_name", "payer_class", "appeal_window_days", "timely_filing_days", "unmapped"]),
    "claims": ("claim", ["claim_id", "patient_control_number", "frequency_code", "original_claim_id", "site_id",
                         "rendering_npi", "billing_npi", "payer_id", "patient_pseudonym", "member_id_masked",
                         "service_date_from", "service_date_to", "submitted_date", "total_charge",
                         "place_of_service", "type_of_bill", "prior_auth_number", "claim_type"]),
    "claim_lines": ("claim_line", ["claim_id", "line_number", "procedure_code", "modifier_1", "modifier_2",
                                   "modifier_3", "modifier_4", "revenue_code", "units", "line_charge", "service_date"]),
    "rejections": ("rejection", ["claim_id", "rejected_date", "status_code", "reason", "source"]),
    "remits": ("adjudication", ["remit_claim_id", "payer_id", "trace_number", "remit_date", "patient_control_number",
                                "claim_status", "claim_charge", "claim_paid", "patient_responsibility",
                                "payer_claim_number", "filing_indicator", "rendering_npi", "payee_npi",
                                "service_date_from", "service_date_to", "payment_method"]),
    "remit_lines": ("adjudication_line", ["remit_claim_id", "line_number", "procedure_code", "modifier_1", "modifier_2",
                                          "modifier_3", "modifier_4", "original_procedure_code", "units",
                                          "line_charge", "line_paid", "service_date"]),
    # seq: the adjustment's number among its remit's adjustments in its file, in row order (_prepared)
    "remit_adjustments": ("adjustment", ["remit_claim_id", "line_number", "group_code", "carc", "amount", "quantity",
                                         "seq"]),
    "remit_remarks": ("remark", ["remit_claim_id", "line_number", "rarc"]),
    "payments": ("payment", ["payer_id", "trace_number", "payment_date", "payment_amount", "payment_method",
                             "payee_npi"]),
    "provider_adjustments": ("provider_adjustment", ["payer_id", "trace_number", "remit_date", "payee_npi",
                                                     "reason_code", "reference", "amount"]),
    "appeals": ("appeal", ["appeal_id", "claim_id", "appeal_level", "filed_date", "decided_date", "outcome",
                           "recovered_amount"]),
    "write_offs": ("write_off", ["claim_id", "write_off_date", "amount", "reason"]),
}
STAGE_TYPES = {  # staged column -> DuckDB type (others VARCHAR)
    **{c: "DECIMAL(18,2)" for c in ("total_charge", "line_charge", "claim_charge", "claim_paid",
                                   "patient_responsibility", "line_paid", "amount", "recovered_amount")},
    "payment_amount": "DECIMAL(18,2)",
    **{c: "DATE" for c in ("payment_date", "service_date_from", "service_date_to", "submitted_date", "service_date",
                          "rejected_date", "remit_date", "filed_date", "decided_date", "write_off_date")},
    **{c: "INTEGER" for c in ("line_number", "appeal_level", "appeal_window_days", "timely_filing_days", "seq")},
    **{c: "DOUBLE" for c in ("units", "quantity")},
    "unmapped": "BOOLEAN",
}


@dataclass
class FileCounts:
    loaded: Counter = field(default_factory=Counter)
    duplicates: Counter = field(default_factory=Counter)
    quarantined: Counter = field(default_factory=Counter)
    per_kind: Counter = field(default_factory=Counter)   # loaded rows per kind


def _stage_table(kind: str) -> str:
    return f"stage_{kind}"


def create_stage(con: duckdb.DuckDBPyConnection) -> None:
    for kind, (_, cols) in TABLE_COLUMNS.items():
        coldefs = ", ".join(f"{c} {STAGE_TYPES.get(c, 'VARCHAR')}" for c in cols)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_stage_table(kind)} "
                    f"({coldefs}, _file INTEGER, _row BIGINT, _unit VARCHAR)")


def _prepared(kind: str, held: list[tuple[pl.DataFrame, int, str]]) -> pl.DataFrame:
    """Validated frames of one kind (typed, with `_row`), each with its file number and unit, as one
    frame in the staging table's column order (the file and unit columns built once, not per frame:
    an 835 of 1,000 transactions hands over ~6,000 small frames).

    A remit's adjustments are numbered here (`seq`, in row order within its file), not by a window
    over every staged adjustment in the merge (41.6 M rows at 10M claims)."""
    _, cols = TABLE_COLUMNS[kind]
    if len(held) == 1:               # a big frame alone (a first load's file)
        frame, file_seq, unit = held[0]
        frame = frame.with_columns(_file=pl.lit(file_seq, pl.Int32), _unit=pl.lit(unit, pl.String))
    else:
        frames = [f for f, _, _ in held]
        heights = np.array([f.height for f in frames])
        frame = pl.concat(frames, how="diagonal_relaxed", rechunk=True).with_columns(
            _file=pl.Series(np.repeat(np.array([n for _, n, _ in held], dtype=np.int32), heights)),
            _unit=pl.Series([u for _, _, u in held], dtype=pl.String).gather(np.repeat(np.arange(len(held)), heights)))
    if kind == "remit_adjustments":
        frame = frame.with_columns(pl.col("_row").rank("ordinal").over("_file", "remit_claim_id").alias("seq"))
    return frame.select([pl.col(c) if c in frame.columns else pl.lit(None).alias(c) for c in cols]
                        + ["_file", "_row", "_unit"])


def _insert(con: duckdb.DuckDBPyConnection, kind: str, frame: pl.DataFrame) -> None:
    _, cols = TABLE_COLUMNS[kind]
    con.register("_incoming", frame)
    try:
        casts = ", ".join(f"CAST({c} AS {STAGE_TYPES.get(c, 'VARCHAR')})" for c in cols)
        con.execute(f"INSERT INTO {_stage_table(kind)} SELECT {casts}, _file, _row, _unit FROM _incoming")
    finally:
        con.unregister("_incoming")


# A day of remits comes as many small files (the 10M bench's day: 160 files, 60 of them with rows) and
# an 835 as many transactions, and each insert into DuckDB costs ~10-15 ms whatever its size
# (registering the frame, planning the casts): 0.85 s of that day's load went to 60 inserts. Frames smaller than this are gathered per
# kind, in file order, and inserted together; a bigger one (a first load's files) goes in at once,
# so what is held back stays small beside the load's memory limit.
STAGE_BATCH_ROWS = 100_000


class Stager:
    """Appends a load's validated frames (typed, with `_row`) to the staging tables, the small ones of
    a kind gathered into one insert; `flush()` before the merge. Staging order does not change what
    loads: the merge orders by file and row."""

    def __init__(self, con: duckdb.DuckDBPyConnection, batch_rows: int = STAGE_BATCH_ROWS):
        self.con, self.batch_rows = con, batch_rows
        self.held: dict[str, list[tuple[pl.DataFrame, int, str]]] = {}
        self.rows: Counter = Counter()

    def add(self, kind: str, frame: pl.DataFrame, file_seq: int, unit: str) -> None:
        self.held.setdefault(kind, []).append((frame, file_seq, unit))
        self.rows[kind] += frame.height
        if self.rows[kind] >= self.batch_rows:
            self.flush(kind)

    def flush(self, kind: str | None = None) -> None:
        for k in [kind] if kind is not None else list(self.held):
            held = self.held.pop(k, [])
            self.rows.pop(k, None)
            if held:
                _insert(self.con, k, _prepared(k, held))


def _tally(counter: Counter, rows) -> None:
    for file_seq, n in rows:
        counter[file_seq] += n


def _count_loaded(con, counts: FileCounts, kind: str, rows_sql: str) -> None:
    """Count the rows a merge step loads (`rows_sql`, a query with column _file): per file and per kind."""
    n = con.sql(f"SELECT _file, count(*) FROM ({rows_sql}) GROUP BY 1").fetchall()
    _tally(counts.loaded, n)
    counts.per_kind[kind] += sum(c for _, c in n)


def _quarantine(con, load_id: int, paths: dict[int, str], kind: str, sql_rows: str, params: list,
                field_name: str, rule: str, message: str, counts: FileCounts) -> int:
    """Move staged rows selected by `sql_rows` (columns _file, _row, _unit, value) to quarantine;
    returns how many."""
    rows = con.sql(sql_rows, params=params).fetchall()
    if not rows:
        return 0
    con.executemany("INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(load_id, paths.get(f, "?"), u, kind, r, field_name, None if v is None else str(v), rule,
                      f"{paths.get(f, '?')}, row {r}: {message}".replace("{value}", str(v)))
                     for f, r, u, v in rows])
    counts.quarantined.update(Counter(f for f, _, _, _ in rows))
    return len(rows)


def merge(con: duckdb.DuckDBPyConnection, load_id: int, paths: dict[int, str]) -> FileCounts:
    """Merge the staged rows into the facts. New fact rows are appended in file order (the order
    they were sent, which follows time), so a table's row groups hold rows of neighbouring dates
    and the incremental refresh reads only the row groups of the families a load touched."""
    counts = FileCounts()
    _merge_reference(con, counts)
    _rekey_replacements(con)
    _merge_keyed(con, load_id, paths, counts, "claims", "claim", ["claim_id"])
    _orphans(con, load_id, paths, counts, "claim_lines", "claim_id",
             "SELECT claim_id FROM claim", "claim_id {value} is not a loaded claim (once it is, load this file again: "
             "the rows it quarantined are read again)")
    _merge_keyed(con, load_id, paths, counts, "claim_lines", "claim_line", ["claim_id", "line_number"])
    _merge_rejections(con, load_id, counts)
    _merge_remits(con, load_id, paths, counts)
    _merge_appeals(con, counts)
    _merge_all_fields(con, load_id, counts, "write_offs", "write_off",
                      "claim_ref, write_off_date, amount, reason", "claim_id, write_off_date, amount, reason")
    _merge_payments(con, load_id, counts)
    _merge_all_fields(con, load_id, counts, "provider_adjustments", "provider_adjustment",
                      "payer_id, trace_number, remit_date, payee_npi, reason_code, reference, amount",
                      "payer_id, trace_number, remit_date, payee_npi, reason_code, reference, amount")
    _drop_work_tables(con)
    return counts


# staged kinds the incremental refresh still reads (the claims they name are touched families)
KEEP_STAGED = ("stage_appeals", "stage_write_offs", "stage_rejections")
# the remits loaded earlier that this load gave new lines, adjustments or remarks (their families
# are touched too); kept for the incremental refresh like KEEP_STAGED
LATE_CHILDREN = "stage_late_children"


def _drop_work_tables(con) -> None:
    """Free the staged rows and the merge's work tables before the models are built: at MSO scale
    they are gigabytes, and the model build needs the memory limit for itself."""
    for (name,) in con.sql("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall():
        if name.startswith("_") or (name.startswith("stage_") and name not in (*KEEP_STAGED, LATE_CHILDREN)):
            con.execute(f'DROP TABLE IF EXISTS temp."{name}"')


def _rekey_replacements(con) -> None:
    """A replacement or void (frequency 7/8) often reuses its original's claim number (CLM01). When
    its claim_id is already taken (loaded, or by an earlier staged row) by a different claim, it
    becomes `<claim_id>~<frequency>~<submitted date>` — deterministic, so loading it again is a
    duplicate — and its lines from the same file follow it. It still matches remits through its
    patient control number and joins its original's family."""
    cols = TABLE_COLUMNS["claims"][1]
    # only the claim numbers that a staged replacement or void uses are hashed and ranked (a first
    # load's millions of originals are not)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _rekey AS
        WITH s AS (SELECT *, {_hash(cols)} AS _h,
                          row_number() OVER (PARTITION BY claim_id ORDER BY _file, _row) AS _rank
                   FROM stage_claims SEMI JOIN (SELECT DISTINCT claim_id FROM stage_claims
                                                WHERE frequency_code IN ('7', '8')) USING (claim_id))
        SELECT s._file, s._row, s.claim_id AS old_id,
               s.claim_id || '~' || s.frequency_code || '~' || strftime(s.submitted_date, '%Y-%m-%d') AS new_id
        FROM s
        WHERE s.frequency_code IN ('7', '8')
          AND (EXISTS (SELECT 1 FROM claim t WHERE t.claim_id = s.claim_id AND {_hash(cols, 't')} <> s._h)
               OR EXISTS (SELECT 1 FROM s e WHERE e.claim_id = s.claim_id AND e._rank < s._rank AND e._h <> s._h))""")
    con.execute("""UPDATE stage_claim_lines l SET claim_id = r.new_id FROM _rekey r
                   WHERE l._file = r._file AND l.claim_id = r.old_id""")
    con.execute("""UPDATE stage_claims c SET claim_id = r.new_id FROM _rekey r
                   WHERE c._file = r._file AND c._row = r._row""")


def _hash(cols: list[str], alias: str = "") -> str:
    p = f"{alias}." if alias else ""
    return "md5(concat_ws('|', " + ", ".join(f"coalesce(CAST({p}{c} AS VARCHAR), '\u2205')" for c in cols) + "))"


def _merge_reference(con, counts: FileCounts) -> None:
    """Reference lists: the latest row for a key wins; an unchanged row is a duplicate. An entry
    discovered in a file (unmapped) never overwrites one the practice listed."""
    for kind, (table, cols) in list(TABLE_COLUMNS.items())[:3]:
        key = cols[0]
        value_cols = [c for c in cols if c != "unmapped"]
        st = _stage_table(kind)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _ref AS
            SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY coalesce(unmapped, false), _file DESC, _row DESC) AS _rank
            FROM {st}""")
        _tally(counts.duplicates, con.sql("SELECT _file, count(*) FROM _ref WHERE _rank > 1 GROUP BY 1").fetchall())
        same = f"""SELECT r._file, count(*) FROM _ref r JOIN {table} t ON t.{key} = r.{key}
                   WHERE r._rank = 1 AND ({_hash(value_cols, 'r')} = {_hash(value_cols, 't')}
                                          OR (coalesce(r.unmapped, false) AND NOT coalesce(t.unmapped, false)))
                   GROUP BY 1"""
        _tally(counts.duplicates, con.sql(same).fetchall())
        new = f"""SELECT r.* EXCLUDE (_rank) FROM _ref r LEFT JOIN {table} t ON t.{key} = r.{key}
                  WHERE r._rank = 1 AND (t.{key} IS NULL OR ({_hash(value_cols, 'r')} <> {_hash(value_cols, 't')}
                        AND NOT (coalesce(r.unmapped, false) AND NOT coalesce(t.unmapped, false))))"""
        con.execute(f"CREATE OR REPLACE TEMP TABLE _ref_new AS {new}")
        _count_loaded(con, counts, kind, "SELECT _file FROM _ref_new")
        select = ", ".join(f"coalesce({c}, false)" if c == "unmapped" else c for c in cols)
        con.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(cols)}) SELECT {select} FROM _ref_new")


def _merge_keyed(con, load_id, paths, counts: FileCounts, kind: str, table: str, key: list[str],
                 ) -> None:
    """First row for a key wins; an identical row later (or already loaded) is a duplicate; a
    different row with a loaded key is quarantined as a conflict (nothing is silently overwritten).

    Only the rows whose key is repeated in this load or already loaded need that comparison (their
    content hashed, ranked by file and row): `_slow_keys` finds them with one aggregate and one
    semi join; every other row is new and loaded as it is (most rows of a first load, which no
    longer hashes and sorts millions of rows for nothing)."""
    _, cols = TABLE_COLUMNS[kind]
    st = _stage_table(kind)
    k = ", ".join(key)
    on = " AND ".join(f"t.{c} = s.{c}" for c in key)
    same_key = " AND ".join(f"s.{c} IS NOT DISTINCT FROM x.{c}" for c in key)
    h = _hash(cols, "s")
    th = _hash(cols, "t")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _slow_keys AS
        SELECT {k} FROM {st} GROUP BY ALL HAVING count(*) > 1
        UNION SELECT {', '.join('t.' + c for c in key)} FROM {table} t SEMI JOIN {st} s ON {on}""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _k AS
        SELECT s.*, {h} AS _h, row_number() OVER (PARTITION BY {', '.join('s.' + c for c in key)} ORDER BY s._file, s._row) AS _rank,
               first({h}) OVER (PARTITION BY {', '.join('s.' + c for c in key)} ORDER BY s._file, s._row) AS _first_h
        FROM {st} s SEMI JOIN _slow_keys x ON {same_key}""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _k2 AS
        SELECT s.*, CASE WHEN t.{key[0]} IS NULL THEN NULL ELSE {th} END AS _t_h
        FROM _k s LEFT JOIN {table} t ON {on}""")
    dup = "(_t_h IS NOT NULL AND _t_h = _h) OR (_t_h IS NULL AND _rank > 1 AND _h = _first_h)"
    _tally(counts.duplicates, con.sql(f"SELECT _file, count(*) FROM _k2 WHERE {dup} GROUP BY 1").fetchall())
    for where, when in (("_t_h IS NOT NULL AND _t_h <> _h", "was already loaded"),
                        ("_t_h IS NULL AND _rank > 1 AND _h <> _first_h", "comes earlier in this load")):
        _quarantine(con, load_id, paths, kind,
                    f"SELECT _file, _row, _unit, concat_ws('/', {k}) FROM _k2 WHERE {where}", [],
                    "/".join(key), "conflict",
                    f"{'/'.join(key)} {{value}} {when} with different values; send a replacement "
                    f"claim (frequency 7) or correct the file", counts)
    plain_rows = f"SELECT s.* FROM {st} s ANTI JOIN _slow_keys x ON {same_key}"
    slow_rows = "SELECT * EXCLUDE (_h, _rank, _first_h, _t_h) FROM _k2 WHERE _t_h IS NULL AND _rank = 1"
    _count_loaded(con, counts, kind, f"{plain_rows} UNION ALL {slow_rows}")
    extra = ", source_row" if table == "claim" else ""
    keys, key_exprs = key_columns(table)
    _append(con, f"INSERT INTO {table} ({', '.join([*cols, *keys])}, load_id{extra}) "
                 f"SELECT {', '.join([*cols, *key_exprs])}, ?{', _row' if extra else ''} FROM ",
            plain_rows, slow_rows, [load_id])


def _append(con, insert: str, plain_rows: str, slow_rows: str, params: list) -> None:
    """Append a kind's new rows: `insert` (ending in FROM) of the rows no other row can duplicate
    (`plain_rows`, nearly all), as the anti join that set the others aside streams them, then of the
    few compared ones (`slow_rows`) by file and row.

    Streamed is (file, row) order up to a few seams where the runs of DuckDB's two threads meet (1M
    claims: one descent in 1.0 M claims and in 2.4 M lines, as the remits' insert has had; 10-11 in
    the remit lines and adjustments, which follow their remit's event_seq): row groups stay with
    neighbouring files and remits for the day of remits' reads, without a sort of millions of
    wide rows (6-9 s a table at 10M claims)."""
    con.execute(f"{insert} ({plain_rows})", params)
    con.execute(f"{insert} ({slow_rows}) ORDER BY _file, _row", params)


def _orphans(con, load_id, paths, counts, kind: str, column: str, parents_sql: str, message: str) -> None:
    st = _stage_table(kind)
    if not scalar(con, f"SELECT count(*) FROM {st}"):
        return                                  # nothing staged: no scan of the parents
    cond = f"{column} NOT IN ({parents_sql})"
    if _quarantine(con, load_id, paths, kind, f"SELECT _file, _row, _unit, {column} FROM {st} WHERE {cond}", [],
                   column, "unknown_reference", message, counts):
        con.execute(f"DELETE FROM {st} WHERE {cond}")     # only when there are some (a scan of both)


def _merge_rejections(con, load_id: int, counts: FileCounts) -> None:
    st = _stage_table("rejections")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _r AS
        SELECT s.*, row_number() OVER (PARTITION BY claim_id, rejected_date, status_code ORDER BY _file, _row) AS _rank,
               EXISTS (SELECT 1 FROM rejection t WHERE t.claim_ref = s.claim_id AND t.rejected_date = s.rejected_date
                       AND t.status_code = s.status_code) AS _exists
        FROM {st} s""")
    _tally(counts.duplicates, con.sql("SELECT _file, count(*) FROM _r WHERE _exists OR _rank > 1 GROUP BY 1").fetchall())
    _count_loaded(con, counts, "rejections", "SELECT _file FROM _r WHERE NOT _exists AND _rank = 1")
    con.execute("INSERT INTO rejection SELECT claim_id, rejected_date, status_code, reason, source, ? "
                "FROM _r WHERE NOT _exists AND _rank = 1", [load_id])


def _merge_remits(con, load_id, paths, counts: FileCounts) -> None:
    """A remit is identified by its content (payer, trace, claim, status, amounts, payer claim number)
    and its occurrence within one file, so the same remit arriving again in another file is loaded
    once. Lines, adjustments and remarks follow their remit: children of a duplicate are duplicates.
    A line is its remit and line number, a remark its remit, line and RARC, an adjustment its remit
    and content and the occurrence of that content in its (remit, file) group."""
    content = ["payer_id", "trace_number", "patient_control_number", "claim_status", "claim_charge",
               "claim_paid", "payer_claim_number"]
    cols = TABLE_COLUMNS["remits"][1]
    content_hash = _hash(content, "s")
    # every staged remit's adjudication_id, in a narrow table. The occurrence of a content within its
    # file is counted (ranked) only where that content repeats in the file; elsewhere it is 0 (_plain)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _rc AS
        SELECT s._file, s._row, s._unit, s.remit_claim_id, {content_hash} AS _content FROM stage_remits s""")
    con.execute("""CREATE OR REPLACE TEMP TABLE _rid AS
        WITH m AS (SELECT _file, _content FROM _rc GROUP BY ALL HAVING count(*) > 1)
        SELECT _file, _row, _unit, remit_claim_id, md5(_content || '#0') AS adjudication_id, true AS _plain
        FROM _rc ANTI JOIN m USING (_file, _content)
        UNION ALL
        SELECT _file, _row, _unit, remit_claim_id,
               md5(_content || '#' || (row_number() OVER (PARTITION BY _file, _content ORDER BY _row) - 1)), false
        FROM _rc SEMI JOIN m USING (_file, _content)""")
    con.execute("DROP TABLE _rc")
    # a remit_claim_id used by two staged rows: the later ones are quarantined
    con.execute("""CREATE OR REPLACE TEMP TABLE _rdup AS
        SELECT _file, _row, _unit, remit_claim_id FROM (
            SELECT r.*, row_number() OVER (PARTITION BY remit_claim_id ORDER BY _file, _row) AS _id_rank
            FROM _rid r SEMI JOIN (SELECT remit_claim_id FROM _rid GROUP BY 1 HAVING count(*) > 1) d USING (remit_claim_id))
        WHERE _id_rank > 1""")
    _quarantine(con, load_id, paths, "remits", "SELECT _file, _row, _unit, remit_claim_id FROM _rdup", [],
                "remit_claim_id", "duplicate_key", "remit_claim_id {value} is used by two different remit rows", counts)
    con.execute("DELETE FROM _rid r USING _rdup d WHERE r._file = d._file AND r._row = d._row")
    # the staged ids already loaded: found by the 40-bit key within the row groups that hold one
    # (a day's remits against millions: the key column is read, not every id), then exactly
    from warehouse.incremental import rows_matching, scattered_reads   # here: it imports this module
    with scattered_reads(con):
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _rexist AS
            SELECT adjudication_id, event_seq FROM adjudication
            WHERE {rows_matching(con, "adjudication", f"adjudication_key IN (SELECT {key_sql('adjudication_id')} FROM _rid)")}""")
    con.execute("DELETE FROM _rexist WHERE adjudication_id NOT IN (SELECT adjudication_id FROM _rid)")
    # only a remit whose id repeats in this load or is already loaded can be a duplicate (ranked,
    # looked up); every other one is new. _twin: the event_seq of the row that stands for it (the
    # loaded one; else its id's first staged row, less base_seq)
    con.execute("""CREATE OR REPLACE TEMP TABLE _rslow AS
        SELECT r.*, row_number() OVER (PARTITION BY r.adjudication_id ORDER BY r._file, r._row) AS _rank,
               a.adjudication_id IS NOT NULL AS _exists,
               coalesce(a.event_seq, min((r._file::BIGINT << 32) + r._row) OVER (PARTITION BY r.adjudication_id)) AS _twin
        FROM (SELECT * FROM _rid SEMI JOIN (SELECT adjudication_id FROM _rid GROUP BY 1 HAVING count(*) > 1
                                            UNION SELECT adjudication_id FROM _rexist) x
              USING (adjudication_id)) r
        LEFT JOIN _rexist a USING (adjudication_id)""")
    _tally(counts.duplicates, con.sql("SELECT _file, count(*) FROM _rslow WHERE _exists OR _rank > 1 GROUP BY 1").fetchall())
    con.execute("""CREATE OR REPLACE TEMP TABLE _rnew_slow AS
        SELECT _file, _row, adjudication_id FROM _rslow WHERE NOT _exists AND _rank = 1
        UNION ALL SELECT _file, _row, adjudication_id FROM _rid ANTI JOIN _rslow USING (_file, _row) WHERE NOT _plain""")
    _count_loaded(con, counts, "remits", "SELECT _file FROM _rid ANTI JOIN _rslow USING (_file, _row) WHERE _plain "
                                         "UNION ALL SELECT _file FROM _rnew_slow")
    # event_seq: after every remit loaded before, in file and row order (not dense)
    base_seq = scalar(con, "SELECT coalesce(max(event_seq), 0) FROM adjudication")
    keys, key_exprs = key_columns("adjudication")
    insert = (f"INSERT INTO adjudication (adjudication_id, {', '.join(cols)}, event_seq, load_id, {', '.join(keys)}) "
              f"SELECT adjudication_id, {', '.join(cols)}, ? + (_file::BIGINT << 32) + _row, ?, {', '.join(key_exprs)} FROM ")
    # the new remits whose id is their content's first occurrence straight from the staged rows, in
    # their order (no join, no sort of millions of rows); then the few others, by file and row
    con.execute(f"""{insert} (SELECT md5({content_hash} || '#0') AS adjudication_id, s.* FROM stage_remits s
        ANTI JOIN (SELECT _file, _row FROM _rdup UNION ALL SELECT _file, _row FROM _rslow
                   UNION ALL SELECT _file, _row FROM _rid WHERE NOT _plain) x USING (_file, _row))""", [base_seq, load_id])
    con.execute(f"""{insert} (SELECT n.adjudication_id, s.* FROM stage_remits s JOIN _rnew_slow n USING (_file, _row)
        ORDER BY _file, _row)""", [base_seq, load_id])
    # remit_claim_id -> its remit's event_seq for this load (duplicates point at the loaded twin), then
    # earlier loads — looked up only for the ids the staged children name and this load lacks
    # (a remit's lines sent in a later file); _new: the remit was not in the warehouse before this
    # load, so none of its children can be there yet
    con.execute("""CREATE OR REPLACE TEMP TABLE _wanted AS
        SELECT DISTINCT remit_claim_id FROM (SELECT remit_claim_id FROM stage_remit_lines
                                             UNION ALL SELECT remit_claim_id FROM stage_remit_adjustments
                                             UNION ALL SELECT remit_claim_id FROM stage_remit_remarks)
        ANTI JOIN _rid USING (remit_claim_id)""")
    earlier = ""
    if scalar(con, "SELECT count(*) FROM _wanted"):
        earlier = """UNION ALL SELECT * FROM (
            SELECT remit_claim_id, event_seq, false AS _new FROM adjudication
            WHERE remit_claim_id IN (SELECT remit_claim_id FROM _wanted)
            QUALIFY row_number() OVER (PARTITION BY remit_claim_id ORDER BY adjudication_id) = 1)"""
    # the event_seq is all a child row keeps of its remit (schema 6): the models join a remit's
    # lines, adjustments and remarks to it on that integer, not on the 32-character adjudication_id
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _rmap AS
        SELECT r.remit_claim_id,
               CASE WHEN s._exists THEN s._twin ELSE ? + coalesce(s._twin, (r._file::BIGINT << 32) + r._row) END AS event_seq,
               NOT coalesce(s._exists, false) AS _new
        FROM _rid r LEFT JOIN _rslow s USING (_file, _row)
        {earlier}""", [base_seq])
    con.execute(f"CREATE OR REPLACE TEMP TABLE {LATE_CHILDREN} (event_seq BIGINT)")
    # an adjustment has no id of its own: it is its content and which occurrence of that content it
    # is among its remit's adjustments in one file (a payer may send the same CO-45 twice on a line)
    adj_content = ["line_number", "group_code", "carc", "amount", "quantity"]
    for kind, table, key in (("remit_lines", "adjudication_line", ["line_number"]),
                             ("remit_adjustments", "adjustment", [*adj_content, "occ"]),
                             ("remit_remarks", "remark", ["line_number", "rarc"])):
        st = _stage_table(kind)
        child_cols = [c for c in TABLE_COLUMNS[kind][1] if c != "remit_claim_id"]
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _ch AS
            SELECT m.event_seq, m._new, s.* FROM {st} s JOIN _rmap m USING (remit_claim_id)""")
        # _rmap names each remit_claim_id once, so a staged child is missing from _ch exactly when it
        # names no remit: those are looked for only when the counts differ (a scan of millions of rows)
        if scalar(con, f"SELECT count(*) FROM {st}") != scalar(con, "SELECT count(*) FROM _ch"):
            _quarantine(con, load_id, paths, kind,
                        f"SELECT _file, _row, _unit, remit_claim_id FROM {st} "
                        f"WHERE remit_claim_id NOT IN (SELECT remit_claim_id FROM _rmap)",
                        [], "remit_claim_id", "unknown_reference",
                        "remit_claim_id {value} matches no remit row in this load or the warehouse "
                        "(once it does, load this file again: the rows it quarantined are read again)", counts)
        on = " AND ".join(f"t.{c} IS NOT DISTINCT FROM c.{c}" for c in key)
        # children already loaded: only remits that existed before this load can have them
        exists = "false"
        if scalar(con, "SELECT count(*) FROM _ch WHERE NOT _new"):
            occ_sql = (f", row_number() OVER (PARTITION BY event_seq, {', '.join(adj_content)} ORDER BY seq) AS occ"
                       if kind == "remit_adjustments" else "")
            # found by their remits' event_seq (incremental.REMIT_SEQ) in the row groups that hold one,
            # not by a scan of the whole table (a resent 835 makes every remit of a day an old one)
            with scattered_reads(con):
                con.execute(f"""CREATE OR REPLACE TEMP TABLE _had AS
                    SELECT event_seq, {', '.join(k for k in key if k != 'occ')}{occ_sql} FROM {table}
                    WHERE {rows_matching(con, table, "event_seq IN (SELECT event_seq FROM _ch WHERE NOT _new)")}""")
            exists = f"EXISTS (SELECT 1 FROM _had t WHERE t.event_seq = c.event_seq AND {on})"
        # only a child whose remit existed before this load, or whose key repeats in it, can be a
        # duplicate (ranked, looked up); every other child is new and loaded as it is
        slow = "_ch c"
        if kind == "remit_adjustments":
            # an occurrence counts within its (remit_claim_id, file) group, so two adjustments share a
            # key only when their remit comes from two such groups (or was loaded before): found per
            # group, not per row; the occurrences are numbered for those remits alone
            same_key = "c.event_seq = x.event_seq"
            con.execute("""CREATE OR REPLACE TEMP TABLE _ch_slow AS
                SELECT event_seq FROM _ch GROUP BY 1
                HAVING min(_file) <> max(_file) OR min(remit_claim_id) <> max(remit_claim_id) OR bool_or(NOT _new)""")
            slow = f"""(SELECT c.*, row_number() OVER (PARTITION BY c.remit_claim_id, c._file, {', '.join('c.' + k for k in adj_content)}
                                                     ORDER BY c._row) AS occ
                       FROM _ch c SEMI JOIN _ch_slow x ON {same_key}) c"""
        else:
            ck = ["event_seq", *key]
            same_key = " AND ".join(f"c.{c} IS NOT DISTINCT FROM x.{c}" for c in ck)
            con.execute(f"""CREATE OR REPLACE TEMP TABLE _ch_slow AS
                SELECT {', '.join(ck)} FROM _ch GROUP BY ALL HAVING count(*) > 1 OR bool_or(NOT _new)""")
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _ch2 AS
            SELECT c.*, row_number() OVER (PARTITION BY c.event_seq, {', '.join('c.' + k for k in key)} ORDER BY c._file, c._row) AS _rank,
                   {exists} AS _exists
            FROM {slow} SEMI JOIN _ch_slow x ON {same_key}""")
        _tally(counts.duplicates, con.sql("SELECT _file, count(*) FROM _ch2 WHERE _exists OR _rank > 1 GROUP BY 1").fetchall())
        extra = ", occ" if kind == "remit_adjustments" else ""
        plain_rows = f"SELECT c.* FROM _ch c ANTI JOIN _ch_slow x ON {same_key}"
        slow_rows = f"SELECT * EXCLUDE (_rank, _exists{extra}) FROM _ch2 WHERE NOT _exists AND _rank = 1"
        _count_loaded(con, counts, kind, f"{plain_rows} UNION ALL {slow_rows}")
        insert_cols = ["event_seq"] + child_cols
        # _ch follows the staged rows or _rmap (whichever side DuckDB probes with): either way a
        # remit's children stay near their remit's event_seq
        _append(con, f"INSERT INTO {table} ({', '.join(insert_cols)}) SELECT {', '.join(insert_cols)} FROM ",
                plain_rows, slow_rows, [])
        con.execute(f"INSERT INTO {LATE_CHILDREN} SELECT DISTINCT event_seq FROM _ch2 "
                    f"WHERE NOT _new AND NOT _exists AND _rank = 1")


def _merge_appeals(con, counts: FileCounts) -> None:
    """An appeal's row is updated by a later row with the same appeal_id (pending -> decided)."""
    cols = TABLE_COLUMNS["appeals"][1]
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _ap AS
        SELECT s.*, {_hash(cols, 's')} AS _h,
               row_number() OVER (PARTITION BY appeal_id ORDER BY _file DESC, _row DESC) AS _rank
        FROM stage_appeals s""")
    tcols = ["appeal_id", "claim_ref", "appeal_level", "filed_date", "decided_date", "outcome", "recovered_amount"]
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _ap2 AS
        SELECT a.*, t.appeal_id IS NOT NULL AND {_hash(tcols, 't')} = a._h AS _same
        FROM _ap a LEFT JOIN appeal t USING (appeal_id)""")
    _tally(counts.duplicates, con.sql("SELECT _file, count(*) FROM _ap2 WHERE _rank > 1 OR _same GROUP BY 1").fetchall())
    _count_loaded(con, counts, "appeals", "SELECT _file FROM _ap2 WHERE _rank = 1 AND NOT _same")
    con.execute("""INSERT OR REPLACE INTO appeal
        SELECT appeal_id, claim_id, appeal_level, filed_date, decided_date, coalesce(outcome, 'pending'),
               coalesce(recovered_amount, 0), NULL
        FROM _ap2 WHERE _rank = 1 AND NOT _same""")


def _merge_payments(con, load_id: int, counts: FileCounts) -> None:
    """A payment is its payer and trace number: an ERA re-sent whole or split (with a smaller BPR
    total) is the same payment, so later rows are duplicates; the claims on it are deduplicated
    on their own."""
    cols = TABLE_COLUMNS["payments"][1]
    con.execute("""CREATE OR REPLACE TEMP TABLE _pm AS
        SELECT s.*, row_number() OVER (PARTITION BY payer_id, trace_number ORDER BY _file, _row) AS _rank,
               EXISTS (SELECT 1 FROM payment t WHERE t.payer_id = s.payer_id AND t.trace_number = s.trace_number) AS _exists
        FROM stage_payments s""")
    _tally(counts.duplicates, con.sql("SELECT _file, count(*) FROM _pm WHERE _exists OR _rank > 1 GROUP BY 1").fetchall())
    _count_loaded(con, counts, "payments", "SELECT _file FROM _pm WHERE NOT _exists AND _rank = 1")
    con.execute(f"INSERT INTO payment ({', '.join(cols)}, load_id) SELECT {', '.join(cols)}, ? "
                f"FROM _pm WHERE NOT _exists AND _rank = 1", [load_id])


def _merge_all_fields(con, load_id: int, counts: FileCounts, kind: str, table: str, table_cols: str,
                      stage_cols: str) -> None:
    """Rows with no key of their own: identical to a loaded (or earlier staged) row = duplicate."""
    st = _stage_table(kind)
    tc = [c.strip() for c in table_cols.split(",")]
    sc = [c.strip() for c in stage_cols.split(",")]
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _af AS
        SELECT s.*, {_hash(sc, 's')} AS _h, row_number() OVER (PARTITION BY {_hash(sc, 's')} ORDER BY _file, _row) AS _rank
        FROM {st} s""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _af2 AS
        SELECT a.*, a._h IN (SELECT {_hash(tc, 't')} FROM {table} t) AS _exists FROM _af a""")
    _tally(counts.duplicates, con.sql("SELECT _file, count(*) FROM _af2 WHERE _exists OR _rank > 1 GROUP BY 1").fetchall())
    _count_loaded(con, counts, kind, "SELECT _file FROM _af2 WHERE NOT _exists AND _rank = 1")
    con.execute(f"INSERT INTO {table} ({table_cols}, load_id) SELECT {stage_cols}, ? FROM _af2 "
                f"WHERE NOT _exists AND _rank = 1", [load_id])
