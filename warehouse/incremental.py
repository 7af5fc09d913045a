"""The incremental model refresh: a load's touched claim families rebuilt in place.

warehouse.refresh decides between this and the full rebuild (`refresh()`); this module finds the
touched families, narrows each model's SQL to them, and deletes and re-inserts their rows."""
from __future__ import annotations

import json
import os
import re
import threading
import time
from contextlib import contextmanager

import duckdb

from warehouse.ingest import KEEP_STAGED, LATE_CHILDREN
from warehouse.refresh import _CREATE, Model, _column_names, _drop_empty_groups, models, trace, tracing
from warehouse.schema import key_sql, scalar
from warehouse.store import IO_THREADS_VARIABLE

# A load touches few claim families (a day of remits: ~1% of them). Every family-keyed model row
# depends only on its own family's facts, so the refresh rebuilds those families' rows with the
# model files' own SQL, its table references narrowed to the touched families, and deletes and
# re-inserts them; additive models take back the old rows' sums and add the new ones. What could
# move a claim from one family to another in ways the narrowing cannot see — replacement or void
# claims, a new claim whose CLM01 or PCN is already known, a taxonomy, reference-list or model
# change — falls back to the full rebuild, as does a load touching more than MAX_TOUCHED of the
# families. tests/test_incremental.py checks that both ways give the same tables.
# Finding the touched rows among tens of millions is the cost at MSO scale, so every lookup runs on
# 40-bit keys (schema.key_sql): family-keyed models carry family_key = hash(family_id) >> 24 and are
# narrowed and deleted by the touched families' keys (so a family whose key collides with a touched
# one is rebuilt too: harmless, a rebuild is exact for any set of families, but each such family
# costs the row groups holding it, which is why keys are not shorter); the facts carry keys of their
# references (schema.FACT_KEYS) and are narrowed by key, then exactly by the reference.

MAX_TOUCHED = 0.2
BASE_TABLES = ("claim", "adjudication", "adjudication_line", "adjustment", "remark",
               "rejection", "write_off", "appeal")
# facts a load only appends to, each row stamped with that load's id (warehouse/ingest.py): their
# rows before a load are their rows less that load's
APPENDED_FACTS = ("claim", "adjudication", "rejection", "write_off")


def _narrow(sql: str, names: dict[str, str]) -> str:
    """Point `FROM t` / `JOIN t` at the narrowed tables; create into a temp table."""
    for name, repl in names.items():
        sql = re.sub(rf"\b(FROM|JOIN)(\s+){name}\b", rf"\1\2{repl}", sql)
    return _CREATE.sub(lambda m: f"CREATE OR REPLACE TEMP TABLE {names.get(m.group(1), '_n_' + m.group(1))} AS", sql)


IO_THREADS = 8          # DuckDB threads while reading scattered row groups (see scattered_reads)


_io_depth = threading.local()


@contextmanager
def scattered_reads(con):
    """Run the enclosed statements with IO_THREADS DuckDB threads, then with one per core again.

    The statements that find and read a load's touched families (key-column scans, whole rows of a
    few row groups here and there, deletes) wait on the disk when the file is not in the OS cache:
    DuckDB reads a block per thread at a time, so with one thread per core (2 here) two 256 KB
    reads are in flight. Eight keep the disk busier: a 10M day of remits from disk, file to
    dashboard, 14.7 → 9.75 s (docs/performance.md, runs n and o). The statements that compute on the
    narrowed temp tables keep one thread per core: more would only share the cores; so do these
    statements when the write session found the file mostly in the OS cache (`store.cached_share`;
    there the extra threads cost 0.6-1.3 s of a 10M day) and set IO_THREADS_VARIABLE to 0.
    Re-entrant (per thread)."""
    depth = getattr(_io_depth, "n", 0)
    raised = False
    if depth == 0:
        wanted = scalar(con, f"SELECT coalesce(getvariable('{IO_THREADS_VARIABLE}'), {IO_THREADS})")
        if wanted > (os.cpu_count() or 1):
            con.execute(f"SET threads = {wanted}")
            raised = True
    _io_depth.n = depth + 1
    done = False
    try:
        yield
        done = True
    finally:
        _io_depth.n = depth
        if raised:
            try:
                con.execute("RESET threads")
            except duckdb.Error:
                if done:        # after a failed statement an aborted transaction refuses it: that
                    raise       # statement's error is the one to report


_BY_EVENT_SEQ = re.compile(r"event_seq IN \(SELECT event_seq FROM \w+(?: WHERE [^()]*)?\)")


def rows_matching(con, table: str, match: str | list[str], find: str | None = None) -> str:
    """The WHERE of a statement that reads or deletes whole rows of `table` matching `match` (a
    predicate on key columns, or a list of them: rows matching any, each found by a scan of its own,
    since DuckDB joins OR'd IN subqueries row by row: 0.12 s against 0.06 s for the remits sharing a
    day's keys at 10M): `rowid IN` the rowids of those rows, found first by a scan that reads the key
    columns only (the merge uses it too). `find`, when given, is what finds the rows instead
    of `match`: a predicate every row matching `match` also satisfies, on a column that is cheaper to
    scan (event_seq: see REMIT_SEQ); the statement then keeps `match` as well.

    DuckDB pushes a semi join on rowid into the statement's scan as a filter on the row number,
    applied before any other column is read, so only the vectors holding a found row are read and
    nothing is joined after; with the key predicate itself in the statement (`family_key IN (SELECT
    ...)`, or two keys OR'd for the remits) every column of the scanned row groups was read and
    joined. This replaced rowid ranges of the row groups holding a match, whose OR DuckDB evaluated
    row by row (docs/performance.md, "Runs be and bg"). The rowids hold for the statements of the caller's
    transaction that follow while `table` is not written in between: each caller uses the predicate
    at once, to read the rows, or to copy them out and then delete them.

    A `match` on event_seq alone (REMIT_SEQ; the merge's lookup of old remits' children) is left as
    it is: event_seq is nearly sorted in the tables that carry it, so the min and max DuckDB pushes
    from the semi join prune row groups by their zone maps, and the rows it finds are mostly the
    ones this transaction appended, which a semi join on rowid probes slowly (0.10 s against 0.31 s
    for a day's adjustments at 10M)."""
    if isinstance(match, str) and find is None and _BY_EVENT_SEQ.fullmatch(match):
        return match
    any_of = [match] if isinstance(match, str) else list(match)
    rows = f"_rows_{table}"
    with scattered_reads(con):
        con.execute(f"CREATE OR REPLACE TEMP TABLE {rows} AS "
                    + " UNION ".join(f"SELECT rowid AS rid FROM {table} WHERE {p}" for p in ([find] if find else any_of)))
    return f"rowid IN (SELECT rid FROM {rows})" + (f" AND ({' OR '.join(any_of)})" if find else "")


# A remit's rows are found by its event_seq, not by the 40-bit key of its 32-character id: event_seq
# grows with every load in file and row order (warehouse/ingest.py), so in the tables written in that
# order (the remits and their lines, adjustments and remarks) and in the models built from them in
# date order (m_adjustment, m_adjudication_line) it is nearly sorted and DuckDB stores it in about 2
# bits a row, where a hash key takes 5: at 10M claims a cold scan of the six tables for a day's
# remits reads 176 MB instead of 1 GB (docs/performance.md, "Run q"). event_seq is unique per remit
# and every child row carries its remit's (the merge sets it; models 03 and 04 join on it), so
# matching on it is exact (tests/test_incremental.py checks both rules on stored rows).
REMIT_SEQ = "event_seq IN (SELECT event_seq FROM {remits})"
# family models with a row per remit line or adjustment: each row's (event_seq, family_id) is a remit
# of m_adjudication (models 03 and 04 join m_adjudication on event_seq and take its family), so the
# rows of the touched families lie among the rows of those families' old remits
REMIT_ROW_MODELS = ("m_adjustment", "m_adjudication_line")


def _narrow_fact(con, into: str, table: str, key: str, ref: str, ids: str, ids_ref: str,
                 columns: list[str] | None = None) -> None:
    """`into` := the rows of fact `table` whose `ref` is one of `ids`.`ids_ref`: first by the 40-bit
    `key` (within the row groups that hold one), then exactly on the few rows found."""
    _select_into(con, into, table, f"{key} IN (SELECT {key_sql(ids_ref)} FROM {ids})", columns)
    con.execute(f"DELETE FROM {into} WHERE {ref} NOT IN (SELECT {ids_ref} FROM {ids})")


def _narrow_remit_fact(con, into: str, table: str, remits: str, columns: list[str] | None = None) -> None:
    """`into` := the rows of fact `table` (the remits, or their lines, adjustments or remarks) that
    belong to a remit of temp table `remits` (by event_seq, REMIT_SEQ)."""
    _select_into(con, into, table, REMIT_SEQ.format(remits=remits), columns)


def _select_into(con, into: str, table: str, match: str, columns: list[str] | None = None) -> None:
    """Temp table `into` := the rows of `table` matching `match` (a predicate on key columns): every
    column, or `columns`."""
    cols = ", ".join(columns) if columns else "*"
    with scattered_reads(con):
        con.execute(f"CREATE OR REPLACE TEMP TABLE {into} AS SELECT {cols} FROM {table} WHERE {rows_matching(con, table, match)}")


# what the refresh itself reads of a narrowed fact beside what the models read: the reference that
# narrows it exactly (_narrow_fact) or that its children are found by (REMIT_SEQ), and the load
# that appended a row (_old_inputs)
REFRESH_READS = {"claim": ["claim_id", "load_id"], "adjudication": ["event_seq", "load_id"],
                 "adjudication_line": ["event_seq"], "adjustment": ["event_seq"]}


def _has_stage(con, table: str) -> bool:
    return bool(scalar(con, "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [table]))


def incremental(con: duckdb.DuckDBPyConnection, load_id: int) -> bool:
    """Rebuild only the families the load `load_id` touched. False (nothing changed) when the
    load is not one an incremental refresh reproduces exactly; the caller then rebuilds all."""
    if not scalar(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'm_claim' AND NOT temporary"):
        return False
    def q(sql, p=None):          # a count; through con.execute, so a traced connection reports it
        return con.execute(sql, p or []).fetchall()[0][0]
    # new claims: originals only, with a CLM01 and PCN nobody has referred to yet
    con.execute("CREATE OR REPLACE TEMP TABLE _new_claim AS SELECT * FROM claim WHERE load_id = ?", [load_id])
    con.execute("""CREATE OR REPLACE TEMP TABLE _new_ref AS
        SELECT claim_id AS ref FROM _new_claim UNION SELECT patient_control_number FROM _new_claim""")
    if q("SELECT count(*) FROM _new_claim WHERE frequency_code IN ('7', '8')") \
            or q("SELECT count(*) FROM m_claim_ref WHERE ref IN (SELECT ref FROM _new_ref)") \
            or q("SELECT count(*) FROM claim WHERE original_claim_id IN (SELECT ref FROM _new_ref)"):
        return False
    # new remits whose payer claim number a replacement claim names would change its family
    con.execute("CREATE OR REPLACE TEMP TABLE _new_adj AS SELECT adjudication_id, patient_control_number, "
                "payer_claim_number FROM adjudication WHERE load_id = ?", [load_id])
    if q("""SELECT count(*) FROM claim WHERE frequency_code IN ('7', '8')
            AND original_claim_id IN (SELECT payer_claim_number FROM _new_adj)"""):
        return False
    # 1. families of the new claims (model 01 on the new claims alone)
    ms = {m.table: m for m in models()}
    con.execute("CREATE OR REPLACE TEMP TABLE _no_adjudication AS SELECT * FROM adjudication LIMIT 0")
    narrow = {"claim": "_new_claim", "adjudication": "_no_adjudication",     # originals have no parent
              "m_claim_family": "_n_m_claim_family", "m_claim_ref": "_n_m_claim_ref"}
    con.execute(_narrow(ms["m_claim_ref"].sql, narrow))
    con.execute("INSERT INTO m_claim_family SELECT * FROM _n_m_claim_family")
    con.execute("INSERT INTO m_claim_ref SELECT * FROM _n_m_claim_ref")
    # 2. remits to (re)match: the new ones, those a new claim now matches, and every remit sharing
    #    their PCN or payer claim number (the matching looks across those, model 02)
    con.execute("""CREATE OR REPLACE TEMP TABLE _a0 AS
        SELECT patient_control_number AS pcn, payer_claim_number AS pcl FROM _new_adj
        UNION SELECT patient_control_number, payer_claim_number FROM adjudication
        WHERE patient_control_number IN (SELECT ref FROM _new_ref)""")
    #    The load's own remits are read by load_id (the zone maps of every earlier row group rule
    #    them out), the earlier ones by rowid (rows_matching): in an in-place load the load's own are
    #    rows this transaction appended, which a semi join on rowid probes slowly (a day's 18,000
    #    remits at 10M: 0.41 s by rowid, 0.02 s by load_id)
    con.execute("CREATE OR REPLACE TEMP TABLE _a_adjudication AS SELECT * FROM adjudication WHERE load_id = ?",
                [load_id])
    con.execute("SET VARIABLE denials_refresh_load = ?", [load_id])      # bound, for the predicates below
    earlier = "load_id IS DISTINCT FROM getvariable('denials_refresh_load')"
    with scattered_reads(con):
        con.execute("INSERT INTO _a_adjudication SELECT * FROM adjudication WHERE " + rows_matching(con, "adjudication", [
            f"pcn_key IN (SELECT {key_sql('pcn')} FROM _a0) AND {earlier}",
            f"pcl_key IN (SELECT {key_sql('pcl')} FROM _a0 WHERE pcl IS NOT NULL) AND {earlier}"]))
    con.execute("""DELETE FROM _a_adjudication
        WHERE NOT (patient_control_number IN (SELECT pcn FROM _a0)
                   OR coalesce(payer_claim_number IN (SELECT pcl FROM _a0 WHERE pcl IS NOT NULL), false))""")
    # model 02 looks up the remits' patient control numbers in m_claim_ref: those references only
    _select_into(con, "_a_m_claim_ref", "m_claim_ref", f"ref_key IN (SELECT {key_sql('patient_control_number')} FROM _a_adjudication)")
    con.execute("DELETE FROM _a_m_claim_ref WHERE ref NOT IN (SELECT patient_control_number FROM _a_adjudication)")
    con.execute(_narrow(ms["m_adjudication"].sql, {"adjudication": "_a_adjudication", "m_claim_ref": "_a_m_claim_ref",
                                                   "m_adjudication": "_n_m_adjudication"}))
    # 3. the touched families
    refs = " UNION ".join(f"SELECT claim_id FROM {t}" for t in KEEP_STAGED if _has_stage(con, t))
    # remits loaded earlier that received lines, adjustments or remarks in this load
    late = (f"UNION ALL SELECT family_key FROM m_adjudication WHERE event_seq IN (SELECT event_seq FROM {LATE_CHILDREN})"
            if _has_stage(con, LATE_CHILDREN) and q(f"SELECT count(*) FROM {LATE_CHILDREN}") else "")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _fk AS
        SELECT DISTINCT family_key FROM (
            SELECT family_key FROM m_adjudication WHERE event_seq IN (SELECT event_seq FROM _a_adjudication)
            UNION ALL SELECT family_key FROM _n_m_adjudication
            UNION ALL SELECT family_key FROM _n_m_claim_family
            {"UNION ALL SELECT family_key FROM m_claim_ref WHERE ref IN (" + refs + ")" if refs else ""}
            {late})""")
    touched = q("SELECT count(*) FROM _fk")
    if touched > MAX_TOUCHED * max(1, q("SELECT count(*) FROM m_claim")):
        return False
    # the old rows of the models an additive model sums (its sums are taken back), and of those a
    # transient model reads (it stores no rows: its old rows are its SQL over its sources' old rows)
    keep_old = {t for m in ms.values() if m.kind in ("additive", "transient")
                for t in _sources(m.sql) if t.startswith("m_")}
    for m in ms.values():
        if m.kind == "family" and "family_key" not in _column_names(con, m.table):
            raise ValueError(f"{m.path.name}: a family-keyed model carries family_key = hash({m.key}) >> 24")
    in_f = "family_key IN (SELECT family_key FROM _fk)"
    reads = _plan_reads(con, [m for m in ms.values() if m.kind != "special"])
    old_columns = _columns_read(con, keep_old - {"m_adjudication"},
                                [m for m in ms.values() if m.kind in ("additive", "transient")], reads)
    # the touched families' remits: as they were (_o_, for the additive and transient models) and as
    # they are now (_r_: the unchanged ones and the re-matched ones as matched now), with the columns
    # the models after 02 read of them; in the table the re-matched ones are replaced and the rest
    # stay where they are (not taken out with every column and written again: 0.45 s at 10M from disk)
    remit_cols = _columns_read(con, {"m_adjudication"}, [m for m in ms.values() if m.kind != "special"], reads)
    cols = ", ".join(remit_cols["m_adjudication"]) if "m_adjudication" in remit_cols else "*"
    with scattered_reads(con):
        where = rows_matching(con, "m_adjudication", in_f)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _o_m_adjudication AS SELECT {cols} FROM m_adjudication WHERE {where}")
        con.execute(f"DELETE FROM m_adjudication WHERE {where} AND event_seq IN (SELECT event_seq FROM _a_adjudication)")
    con.execute("INSERT INTO m_adjudication BY NAME SELECT * FROM _n_m_adjudication")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _r_m_adjudication AS
        SELECT * FROM _o_m_adjudication WHERE event_seq NOT IN (SELECT event_seq FROM _a_adjudication)
        UNION ALL BY NAME SELECT {cols} FROM _n_m_adjudication""")
    # 4. the touched families' facts
    _select_into(con, "_r_m_claim_family", "m_claim_family", in_f)
    fact_cols = _columns_read(con, set(REFRESH_READS), [m for m in ms.values() if m.kind in ("family", "transient")],
                              reads, also=REFRESH_READS)
    _narrow_fact(con, "_r_claim", "claim", "claim_key", "claim_id", "_r_m_claim_family", "claim_id",
                 fact_cols.get("claim"))
    _narrow_remit_fact(con, "_r_adjudication", "adjudication", "_r_m_adjudication", fact_cols.get("adjudication"))
    for t in ("adjudication_line", "adjustment", "remark"):
        _narrow_remit_fact(con, f"_r_{t}", t, "_r_adjudication", fact_cols.get(t))
    # the touched families' references: the rejections, write-offs and appeals that name them, and
    # all the models after 02 look up in m_claim_ref (they look up only those claims' references)
    _select_into(con, "_r_m_claim_ref", "m_claim_ref", in_f)
    for t in ("rejection", "write_off", "appeal"):
        con.execute(f"CREATE OR REPLACE TEMP TABLE _r_{t} AS SELECT * FROM {t} "
                    f"WHERE claim_ref IN (SELECT ref FROM _r_m_claim_ref)")
    names = {t: f"_r_{t}" for t in BASE_TABLES}
    names |= {"m_adjudication": "_r_m_adjudication", "m_claim_family": "_r_m_claim_family",
              "m_claim_ref": "_r_m_claim_ref"}
    # 5. the models after 02, in order
    for m in ms.values():
        if m.kind == "special":
            continue
        if m.kind == "family":
            find = REMIT_SEQ.format(remits="_o_m_adjudication") if m.table in REMIT_ROW_MODELS else None
            if m.table in keep_old:                 # one scan: the old rows out, kept for the sums
                _delete_into(con, m.table, f"_o_{m.table}", find, old_columns.get(m.table))
            else:
                with scattered_reads(con):
                    con.execute(f"DELETE FROM {m.table} WHERE {rows_matching(con, m.table, in_f, find)}")
            names[m.table] = f"_r_{m.table}"
            con.execute(_narrow(m.sql, names))
            con.execute(f"INSERT INTO {m.table} BY NAME SELECT * FROM _r_{m.table}")
        elif m.kind == "transient":               # nothing stored: new rows, and old ones for the sums
            names[m.table] = f"_r_{m.table}"
            con.execute(_narrow(m.sql, names))
            con.execute(_narrow(m.sql, {**names, **_old_inputs(con, m, names, load_id), m.table: f"_o_{m.table}"}))
        elif m.kind == "additive":
            _additive(con, m, names)
        elif m.kind == "full":
            con.execute(m.sql)
    return True


def _delete_into(con, table: str, into: str, find: str | None = None, columns: list[str] | None = None) -> None:
    """Delete the touched families' rows of `table` (by family_key) and keep them in temp table `into`
    (`find`: see rows_matching): every column, or only `columns` (see _columns_read)."""
    t0 = time.perf_counter()
    match = "family_key IN (SELECT family_key FROM _fk)"
    with scattered_reads(con):
        where = rows_matching(con, table, match, find)
        if columns is not None:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {into} AS SELECT {', '.join(columns)} FROM {table} WHERE {where}")
            con.execute(f"DELETE FROM {table} WHERE {where}")
            if tracing():
                trace(f"{time.perf_counter() - t0:7.3f} s  DELETE FROM {table} ... kept {len(columns)} columns")
            return
        old = con.sql(f"DELETE FROM {table} WHERE {where} RETURNING *").to_arrow_table()
    if tracing():
        trace(f"{time.perf_counter() - t0:7.3f} s  DELETE FROM {table} ... RETURNING * ({old.num_rows:,} rows)")
    con.register("_deleted", old)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {into} AS SELECT * FROM _deleted")
    finally:
        con.unregister("_deleted")


def _columns_read(con, tables: set[str], readers: list["Model"], reads: dict | None = None,
                  also: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """table -> the columns of it that the models `readers` use, as DuckDB's own plan says (EXPLAIN:
    the projections and filters of the scans of that table, views expanded), plus family_key and
    `also[table]` (what the refresh itself reads: REFRESH_READS); a table left out keeps every column
    (as does every table a reader whose plan failed reads). `reads`: _plan_reads of (at least)
    `readers`, when the caller has it already.

    The old rows of a touched family are kept only for the additive and transient models' sums, and
    its remits (m_adjudication) and facts for the models after 02. `DELETE ... RETURNING *`
    reads every column of the row groups that hold one, where a plain DELETE reads the key columns;
    at 10M claims from disk the old rows of m_adjudication_line took 0.9-1.0 s that way, and
    0.3-0.4 s as the few columns the A/R events read plus a plain DELETE (docs/performance.md,
    "Run al"). A column a reader needs and the plan did not name fails that model's SQL over the kept
    rows with a binder error (the load rolls back), never a wrong sum."""
    reads = _plan_reads(con, readers) if reads is None else reads
    words: dict[str, set[str]] = {t: set() for t in tables}
    unknown: set[str] = set()
    for m in readers:
        if not _sources(m.sql) & tables:
            continue
        scans = reads.get(m.table)
        if scans is None:                          # no plan: what it reads keeps every column
            unknown |= _sources(m.sql) | set(tables)
            continue
        for t, w in scans.items():
            if t in words:
                words[t] |= w
    out = {}
    for t, used in words.items():
        if t in unknown or not used:
            continue
        cols = _column_names(con, t)
        keep = [c for c in cols if c in used or c == "family_key" or c in (also or {}).get(t, ())]
        if len(keep) < len(cols):
            out[t] = keep
    return out


def _plan_reads(con, models: list["Model"]) -> dict[str, dict[str, set[str]] | None]:
    """model table -> {table its plan scans -> the words of those scans (columns read, filters)}, or
    None where the model could not be planned.

    The plans are taken on a cursor of their own (its own transaction: a statement that fails there
    leaves the load's transaction as it was) and without statistics propagation, which plans from
    the data as it is: with no void on record it replaced the scan that reads m_claim.void_date by an
    empty result, and a load bringing the first void would have needed that column. A model of
    several statements (03) is planned statement by statement, its helper tables created empty."""
    out: dict[str, dict[str, set[str]] | None] = {}
    plans = con.cursor()
    disabled = scalar(plans, "SELECT current_setting('disabled_optimizers')") or ""
    try:           # a global setting (every connection of this process): restored below
        plans.execute(f"SET disabled_optimizers = '{','.join(filter(None, [disabled, 'statistics_propagation']))}'")
        for m in models:
            try:
                scans: dict[str, set[str]] = {}
                for name, select, temp in _creates(m.sql):
                    plan = plans.execute("EXPLAIN (FORMAT JSON) " + select).fetchall()[0][1]
                    for scan in _scans(json.loads(plan)):
                        t = str(scan.get("Table", "")).rsplit(".", 1)[-1]
                        scans.setdefault(t, set()).update(re.findall(r"\w+", json.dumps(scan)))
                    if temp:       # a helper the model's next statement reads (03): empty, for the plan
                        shape = plans.execute("DESCRIBE " + select).fetchall()
                        plans.execute(f"CREATE OR REPLACE TEMP TABLE {name} ("
                                      + ", ".join(f'"{c}" {ty}' for c, ty, *_ in shape) + ")")
                out[m.table] = scans
            except (duckdb.Error, AttributeError, KeyError, IndexError, TypeError, ValueError) as exc:
                out[m.table] = None
                if tracing():
                    trace(f"{m.path.name}: no plan for the columns it reads ({str(exc).splitlines()[0][:100]})")
    finally:
        plans.execute(f"SET disabled_optimizers = '{disabled}'")
        plans.close()
    return out


def _creates(sql: str) -> list[tuple[str, str, bool]]:
    """(table, its SELECT, temporary?) of each CREATE OR REPLACE [TEMP] TABLE ... AS of a model's SQL,
    in order (a model is one such statement, or a few with helper temp tables: 03)."""
    out = []
    for statement in re.sub(r"--[^\n]*", "", sql).split(";"):
        m = re.search(r"CREATE\s+OR\s+REPLACE\s+(TEMP\s+|TEMPORARY\s+)?TABLE\s+(\w+)\s+AS\s", statement, flags=re.I)
        if m:
            out.append((m.group(2), statement[m.end():], bool(m.group(1))))
    if not out:
        raise ValueError("no CREATE TABLE ... AS in the model's SQL")
    return out


def _scans(node) -> list[dict]:
    """The extra_info of every table scan in an EXPLAIN (FORMAT JSON) plan."""
    if isinstance(node, list):
        return [s for n in node for s in _scans(n)]
    if not isinstance(node, dict):
        return []
    info = node.get("extra_info")
    own = [info] if isinstance(info, dict) and "Table" in info else []
    return own + _scans(node.get("children", []))


def _old_inputs(con, m: Model, names: dict[str, str], load_id: int) -> dict[str, str]:
    """Temp tables holding what transient model `m` reads, for the touched families, as it was
    before load `load_id`: a fact's narrowed rows less this load's (facts are only appended), a
    family model's deleted rows (kept, see keep_old), a special model's narrowed rows less the
    ones this load added (01 appends the new claims' rows)."""
    old = {}
    for t in sorted(_sources(m.sql) & set(names)):
        o = f"_o_{t}"
        if t in BASE_TABLES:
            if t not in APPENDED_FACTS:
                raise ValueError(f"{m.path.name}: a transient model reads only facts a load appends to "
                                 f"({', '.join(APPENDED_FACTS)}), not {t}")
            con.execute(f"CREATE OR REPLACE TEMP TABLE {o} AS SELECT * FROM {names[t]} "
                        f"WHERE load_id IS DISTINCT FROM ?", [load_id])
        elif not _has_stage(con, o):
            con.execute(f"CREATE OR REPLACE TEMP TABLE {o} AS SELECT * FROM {names[t]} EXCEPT ALL SELECT * FROM _n_{t}")
        old[t] = o
    return old


def _sources(sql: str) -> set[str]:
    """The tables a model's SQL reads (FROM / JOIN names that are not its own CTEs)."""
    return set(re.findall(r"\b(?:FROM|JOIN)\s+(\w+)", sql)) - _cte_names(sql)


def _cte_names(sql: str) -> set[str]:
    """Names a model's WITH clause defines (`name AS (` / `name AS MATERIALIZED (`)."""
    return set(re.findall(r"\b(\w+)\s+AS\s+(?:(?:NOT\s+)?MATERIALIZED\s+)?\(", sql, flags=re.I))


def _additive(con, m: Model, names: dict[str, str]) -> None:
    """m = m + sums over the touched families' new rows − sums over their old rows."""
    sources = _sources(m.sql)
    if not all(s.startswith("m_") for s in sources):
        raise ValueError(f"{m.path.name}: an additive model reads family-keyed models only, not {sorted(sources)}")
    new_sql = _narrow(m.sql, {**names, m.table: "_d_new"})
    old_sql = _narrow(m.sql, {**{k: "_o_" + k for k in names if k.startswith("m_")}, **{
        k: v for k, v in names.items() if not k.startswith("m_")}, m.table: "_d_old"})
    con.execute(new_sql)
    con.execute(old_sql)
    cols = _column_names(con, m.table)
    dims = [c for c in cols if c not in m.measures]
    neg = ", ".join([*dims, *(f"-{c}" for c in m.measures)])
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _d AS
        SELECT {', '.join(dims)}, {', '.join(f'sum({c}) AS {c}' for c in m.measures)}
        FROM (SELECT {', '.join(cols)} FROM _d_new UNION ALL SELECT {neg} FROM _d_old) GROUP BY ALL""")
    same = " AND ".join(f"t.{d} IS NOT DISTINCT FROM d.{d}" for d in dims) or "true"
    con.execute(f"UPDATE {m.table} AS t SET {', '.join(f'{c} = coalesce(t.{c}, 0) + coalesce(d.{c}, 0)' for c in m.measures)} "
                f"FROM _d AS d WHERE {same}")
    con.execute(f"INSERT INTO {m.table} BY NAME SELECT d.* FROM _d d "
                f"WHERE NOT EXISTS (SELECT 1 FROM {m.table} t WHERE {same})")
    _drop_empty_groups(con, m)
