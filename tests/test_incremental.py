"""Incremental refresh (issue 6): a load rebuilds only the claim families it touched, and the
models it leaves are exactly those a full rebuild gives. Every scenario loads real input files in
several loads and, after each, compares every model table with a full refresh of a copy."""
from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from conftest import DEMO_END, FIXTURES, load, skip_if_in_memory
from warehouse.schema import key_sql

CORE = FIXTURES / "core"


def model_tables() -> list[str]:
    from warehouse.refresh import models
    out = []
    for m in models():
        out += [t for t in ("m_claim_family", "m_claim_ref") if m.kind == "special" and m.table == "m_claim_ref"]
        out.append(m.table)
    return list(dict.fromkeys(out))


def _canon(value):
    """Lists whose order a model leaves open (e.g. m_ar_claim.moves) compared as sorted."""
    if isinstance(value, list):
        return sorted((_canon(v) for v in value), key=repr)
    if isinstance(value, dict):
        return {k: _canon(v) for k, v in value.items()}
    return value


def rows(db: Path) -> dict[str, list]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: sorted((tuple(_canon(v) for v in r) for r in con.sql(f"SELECT * FROM {t}").fetchall()), key=repr)
                for t in model_tables()}
    finally:
        con.close()


def mode(db: Path) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql("SELECT value FROM meta WHERE key = 'refresh_mode'").fetchall()[0][0]
    finally:
        con.close()


def full_refresh_of_copy(db: Path, tmp: Path) -> dict[str, list]:
    from warehouse.refresh import refresh
    from warehouse.store import WriteSession
    copy = tmp / f"full-{db.name}"
    shutil.copyfile(db, copy)
    with WriteSession(copy) as ws:
        assert refresh(ws.con, copy) == "full"
        ws.publish()
    return rows(copy)


def assert_same_as_full(db: Path, tmp: Path) -> None:
    inc, full = rows(db), full_refresh_of_copy(db, tmp)
    for table in full:
        assert inc[table] == full[table], f"{table}: incremental rows differ from a full rebuild"


def test_every_model_declares_its_refresh():
    from warehouse.refresh import models
    ms = models()
    assert [m.kind for m in ms if m.kind == "special"] == ["special", "special"]
    for m in ms:
        assert m.kind in ("special", "family", "transient", "additive", "full"), m.path.name
        if m.kind in ("family", "transient"):
            assert m.key, m.path.name
        if m.kind == "additive":
            assert m.measures, m.path.name


@pytest.fixture
def always_incremental(monkeypatch):
    """Small fixtures touch most of their families; lift the share above which a full rebuild is
    cheaper, so the incremental path runs wherever it is exact."""
    from warehouse import incremental
    monkeypatch.setattr(incremental, "MAX_TOUCHED", 1.0)


def test_core_fixture_file_by_file_matches_full_rebuild(tmp_path, always_incremental):
    """The hand-made fixture loaded kind by kind (claims, then remits, then rejections, appeals,
    write-offs): after every load the models equal a full rebuild's."""
    db = tmp_path / "wh.duckdb"
    steps = [["sites.csv", "providers.csv", "payers.csv"], ["claims.csv", "claim_lines.csv"],
             ["remits.csv", "remit_lines.csv", "remit_adjustments.csv", "remit_remarks.csv"],
             ["rejections.csv"], ["appeals.csv"], ["write_offs.csv"]]
    modes = []
    for files in steps:
        load(db, *[CORE / f for f in files])
        modes.append(mode(db))
        assert_same_as_full(db, tmp_path)
    # the first load builds everything; the first claims carry replacements (full rebuild); the
    # remits, rejections, appeals and write-offs only touch their families
    assert modes[0] == modes[1] == "full"
    assert modes[2:] == ["incremental"] * 4, modes


def _split_demo(src: Path, out: Path) -> dict[str, list[Path]]:
    """The demo input in three loads: (base) everything but the held-out claims and the last five
    remit days, with the held-out claims' remits (known only from their remit until their claim
    arrives); (claims) 40 held-out original claims and their lines; (days) the last five remit days."""
    from etl import demo
    files = demo.generate(src, claims=1500, seed=5, end=DEMO_END)
    base, late, days = out / "base", out / "claims", out / "days"
    for d in (base, late, days):
        d.mkdir(parents=True)
    claims = pl.concat([pl.read_csv(f, infer_schema=False) for f in files if f.name.startswith("claims_")])
    named = set(claims["original_claim_id"].drop_nulls().to_list())
    shared_pcn = claims.group_by("patient_control_number").len().filter(pl.col("len") > 1)["patient_control_number"]
    held = (claims.filter((pl.col("frequency_code") == "1") & ~pl.col("claim_id").is_in(list(named))
                          & ~pl.col("patient_control_number").is_in(shared_pcn.to_list()))
            .sort("claim_id").gather_every(25).head(40).select("claim_id"))
    remits = pl.concat([pl.read_csv(f, infer_schema=False) for f in files if f.name.startswith("remits_")])
    last_days = sorted(set(remits["remit_date"].to_list()))[-5:]
    held_remits = remits.filter(pl.col("remit_date").is_in(last_days)).select("remit_claim_id")
    for f in files:
        frame = pl.read_csv(f, infer_schema=False)
        kind = f.stem.rsplit("_", 1)[0] if f.stem[-1].isdigit() else f.stem
        if kind in ("claims", "claim_lines"):
            frame.join(held, on="claim_id", how="anti").write_csv(base / f.name)
            frame.join(held, on="claim_id", how="semi").write_csv(late / f.name)
        elif kind.startswith("remit"):
            frame.join(held_remits, on="remit_claim_id", how="anti").write_csv(base / f.name)
            frame.join(held_remits, on="remit_claim_id", how="semi").write_csv(days / f.name)
        else:
            shutil.copyfile(f, base / f.name)
    return {"base": sorted(base.iterdir()), "claims": sorted(late.iterdir()), "days": sorted(days.iterdir())}


def test_demo_late_claims_and_remit_days_match_full_rebuild(tmp_path, always_incremental):
    parts = _split_demo(tmp_path / "src", tmp_path / "split")
    db = tmp_path / "wh.duckdb"
    load(db, *parts["base"])
    assert mode(db) == "full"
    con = duckdb.connect(str(db), read_only=True)
    remit_only = con.sql("SELECT count(*) FROM m_claim WHERE known_from_remit").fetchall()[0][0]
    con.close()
    assert remit_only > 0           # the held-out claims' remits wait under REMIT:<pcn> families
    load(db, *parts["claims"])      # their claims arrive: the remits re-match to them
    assert mode(db) == "incremental"
    assert_same_as_full(db, tmp_path)
    con = duckdb.connect(str(db), read_only=True)
    assert con.sql("SELECT count(*) FROM m_claim WHERE known_from_remit").fetchall()[0][0] < remit_only
    con.close()
    summary = load(db, *parts["days"])   # five days of remits
    assert summary.per_kind["remits"] > 0
    assert mode(db) == "incremental"
    assert_same_as_full(db, tmp_path)


def test_changed_model_inputs_fall_back_to_full(tmp_path, monkeypatch, always_incremental):
    from warehouse import refresh as refresh_mod
    db = tmp_path / "wh.duckdb"
    load(db, *[CORE / f for f in ("sites.csv", "providers.csv", "payers.csv", "claims.csv", "claim_lines.csv")])
    load(db, CORE / "rejections.csv")
    assert mode(db) == "incremental"
    # a model input changed since the last refresh (here: the digest of what the models read)
    monkeypatch.setattr(refresh_mod, "inputs_digest", lambda con: "something else")
    load(db, CORE / "appeals.csv")
    assert mode(db) == "full"


def test_family_key_collision_rebuilds_both_families_exactly(tmp_path, always_incremental):
    """The refresh finds touched families by family_key = hash(family_id) >> 24. Two families whose
    keys collide are both deleted and both rebuilt, so the result is still exactly a full rebuild's.
    A collision cannot be produced on demand: family X, which the day of remits does not
    touch, is given the key of touched family Y in every model table."""
    from warehouse.refresh import models
    parts = _split_demo(tmp_path / "src", tmp_path / "split")
    db = tmp_path / "wh.duckdb"
    load(db, *parts["base"], *parts["claims"])
    day_pcns = pl.concat([pl.read_csv(f, infer_schema=False) for f in parts["days"]
                          if f.name.startswith("remits_")])["patient_control_number"].unique().to_list()
    con = duckdb.connect(str(db))
    touched = {r[0] for r in con.sql("SELECT DISTINCT family_id FROM m_claim_ref WHERE ref IN ?", params=[day_pcns]).fetchall()}
    y = sorted(touched)[0]
    x = con.sql("""SELECT min(c.claim_id) FROM m_claim c
                   WHERE c.adjudications > 1 AND c.appealed AND NOT c.known_from_remit
                     AND c.claim_id NOT IN ? AND c.claim_id NOT IN
                         (SELECT family_id FROM m_adjudication WHERE patient_control_number IN ?)""",
                params=[sorted(touched), day_pcns]).fetchall()[0][0]
    assert x and y and x != y
    family_tables = {"m_claim_family": "family_id", "m_claim_ref": "family_id", "m_adjudication": "family_id"}
    family_tables |= {m.table: m.key for m in models() if m.kind == "family"}
    faked = 0
    for table, key in family_tables.items():
        faked += con.execute(f"UPDATE {table} SET family_key = {key_sql('?')} WHERE {key} = ?", [y, x]).fetchall()[0][0]
    con.close()
    assert faked > 8                # X has rows in every family-keyed model
    load(db, *parts["days"])
    assert mode(db) == "incremental"
    con = duckdb.connect(str(db))
    # X was rebuilt: m_claim computes its key afresh (the stored rows of a collision keep Y's key)
    assert con.sql(f"SELECT family_key = {key_sql('claim_id')} FROM m_claim WHERE claim_id = ?", params=[x]).fetchall() == [(True,)]
    # where rows carry the stored key, a real collision would have key(X) = key(Y): undo the fake
    for table, key in family_tables.items():
        con.execute(f"UPDATE {table} SET family_key = {key_sql(key)} WHERE {key} = ?", [x])
    con.close()
    assert_same_as_full(db, tmp_path)      # X and Y exactly as a full rebuild: nothing lost or doubled


def test_fact_narrowing_is_exact_under_a_key_collision():
    """Facts are narrowed by their 40-bit key, then by the reference itself: a row whose key
    collides with a wanted one (faked here) is not taken. (The claims are; a remit's rows are found
    by event_seq.)"""
    from warehouse.incremental import _narrow_fact
    con = duckdb.connect()
    con.execute("CREATE TABLE claim AS SELECT * FROM (VALUES ('A', 1.0), ('A', 2.0), ('B', 3.0), ('C', 4.0)) "
                "t(claim_id, charge)")
    con.execute("ALTER TABLE claim ADD COLUMN claim_key UBIGINT")
    con.execute(f"UPDATE claim SET claim_key = {key_sql('claim_id')}")
    key_of_a = key_sql("'A'")
    con.execute(f"UPDATE claim SET claim_key = {key_of_a} WHERE claim_id = 'C'")   # collides with A
    con.execute("CREATE TABLE wanted AS SELECT 'A' AS claim_id UNION ALL SELECT 'B'")
    _narrow_fact(con, "_r_claim", "claim", "claim_key", "claim_id", "wanted", "claim_id")
    assert con.sql("SELECT claim_id, charge FROM _r_claim ORDER BY charge").fetchall() == [
        ("A", 1.0), ("A", 2.0), ("B", 3.0)]


def test_remit_children_arriving_in_a_later_load_refresh_their_family(tmp_path, always_incremental):
    """A remit's adjustments and remarks sent in a later file than the remit itself (the merge
    attaches them to the remit already loaded): that load touches the remit's family."""
    db = tmp_path / "wh.duckdb"
    load(db, *[CORE / f for f in ("sites.csv", "providers.csv", "payers.csv", "claims.csv", "claim_lines.csv",
                                  "remits.csv", "remit_lines.csv")])
    summary = load(db, CORE / "remit_adjustments.csv", CORE / "remit_remarks.csv")
    assert summary.per_kind["remit_adjustments"] > 0
    assert mode(db) == "incremental"
    assert_same_as_full(db, tmp_path)


def test_rows_matching_selects_exactly_the_matching_rows():
    """The refresh reads and deletes whole rows by the rowids a key-column scan found
    (incremental.rows_matching): stored rows and rows this transaction appended (their rowids start
    far above the stored ones), not a row it deleted, nothing else; with `find` the statement keeps
    `match` too, so a wider finding predicate selects no extra row."""
    from warehouse import incremental as r
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT i AS k, i % 7 AS g, 'row ' || i AS v FROM range(4 * 122880) s(i)")
    match = "k IN (5, 122879, 380000, 999999999)"
    where = r.rows_matching(con, "t", match)
    assert where == "rowid IN (SELECT rid FROM _rows_t)"
    assert con.sql(f"SELECT list(v ORDER BY k) FROM t WHERE {where}").fetchall() == [
        (["row 5", "row 122879", "row 380000"],)]
    assert con.sql(f"SELECT count(*) FROM t WHERE {r.rows_matching(con, 't', 'k < 0')}").fetchall() == [(0,)]
    con.execute("BEGIN")
    con.execute("INSERT INTO t VALUES (999999999, 3, 'appended')")
    con.execute("DELETE FROM t WHERE k = 5")
    where = r.rows_matching(con, "t", match)
    assert con.sql(f"SELECT list(v ORDER BY k) FROM t WHERE {where}").fetchall() == [
        (["row 122879", "row 380000", "appended"],)]
    con.execute(f"DELETE FROM t WHERE {where}")               # copy out, then delete: the same rows
    assert con.sql("SELECT count(*) FROM t").fetchall() == [(4 * 122880 - 3,)]
    assert con.sql(f"SELECT count(*) FROM t WHERE {match}").fetchall() == [(0,)]
    con.execute("ROLLBACK")
    where = r.rows_matching(con, "t", "k BETWEEN 100 AND 120 AND g = 3", find="k BETWEEN 100 AND 120")
    assert where.endswith(" AND (k BETWEEN 100 AND 120 AND g = 3)")
    assert con.sql(f"SELECT list(k ORDER BY k) FROM t WHERE {where}").fetchall() == [([101, 108, 115],)]
    # a list: the rows matching any of them, each once (k = 14 matches both)
    where = r.rows_matching(con, "t", ["k IN (7, 14)", "k IN (14, 380000)"])
    assert con.sql(f"SELECT list(k ORDER BY k) FROM t WHERE {where}").fetchall() == [([7, 14, 380000],)]
    # on event_seq alone the predicate is kept as it is (zone maps prune a nearly sorted column)
    assert r.rows_matching(con, "t", "event_seq IN (SELECT event_seq FROM _r_adjudication)") == \
        "event_seq IN (SELECT event_seq FROM _r_adjudication)"


def test_scattered_reads_raise_duckdbs_threads_and_restore_them():
    """The statements that read scattered row groups run with IO_THREADS threads (more reads in
    flight); everything else with DuckDB's default, also after a failed statement, whose own error
    is the one raised (not the aborted transaction's refusal to reset the setting)."""
    import os
    from warehouse.incremental import IO_THREADS, scattered_reads
    con = duckdb.connect()
    threads = lambda: con.sql("SELECT current_setting('threads')").fetchall()[0][0]
    default, raised = threads(), max(IO_THREADS, os.cpu_count() or 1)
    assert raised > default or default >= IO_THREADS
    with scattered_reads(con):
        assert threads() == raised
        with scattered_reads(con):            # re-entrant: the inner one leaves the setting alone
            assert threads() == raised
        assert threads() == raised
    assert threads() == default
    con.execute("BEGIN")
    with pytest.raises(duckdb.CatalogException):
        with scattered_reads(con):
            con.execute("SELECT * FROM no_such_table")
    con.execute("ROLLBACK")
    with scattered_reads(con):
        assert threads() == raised
    assert threads() == default
    # a write session that found its file in the OS cache sets this: the reads keep the default
    from warehouse.store import IO_THREADS_VARIABLE
    con.execute(f"SET VARIABLE {IO_THREADS_VARIABLE} = 0")
    with scattered_reads(con):
        assert threads() == default
    assert threads() == default


def test_cached_share_tells_a_file_in_the_os_cache_from_one_on_disk(tmp_path):
    """store.cached_share (mincore): a file just read is in the page cache; after fsync and
    POSIX_FADV_DONTNEED its pages are not (Linux; elsewhere the function may say None)."""
    import os
    from warehouse.store import cached_share
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(8 << 20))
    path.read_bytes()
    share = cached_share(path)
    if share is None:
        pytest.skip("this platform cannot tell which pages are cached")
    assert share > 0.9
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())
        os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    skip_if_in_memory(path)
    assert cached_share(path) < 0.1
    assert cached_share(tmp_path / "empty.bin") is None
    (tmp_path / "empty.bin").write_bytes(b"")
    assert cached_share(tmp_path / "empty.bin") == 1.0


def _kind_of(con, name: str) -> list[str]:
    return [k for k, fn in (("table", "duckdb_tables"), ("view", "duckdb_views"))
            if con.sql(f"SELECT count(*) FROM {fn}() WHERE {k}_name = ? AND NOT temporary "
                       "AND database_name = current_database()", params=[name]).fetchall()[0][0]]


def test_a_transient_model_is_stored_as_a_view_of_its_sql(tmp_path, always_incremental):
    """m_ar_event (`refresh: transient`) is a table only while a full build runs the models that
    read it; the warehouse then keeps a view of the model's own SQL (no rows to scan or delete on a
    day's load). A warehouse that stored it as a table gets the view at its next full build; the
    incremental loads after it leave it a view and the sums it feeds exact."""
    from warehouse.refresh import refresh
    from warehouse.store import WriteSession
    db = tmp_path / "wh.duckdb"
    load(db, CORE)
    con = duckdb.connect(str(db))
    assert _kind_of(con, "m_ar_event") == ["view"]
    # the core fixture's ledger: 12 claims' charges less payments, CO-45-like adjustments, the PR
    # share and the write-off: 410.00, the A/R balance test_ar_marts works out for week 21
    ledger = con.sql("SELECT event, count(*), sum(amount) FROM m_ar_event GROUP BY 1 ORDER BY 1").fetchall()
    assert ledger == [("adjustment", 5, Decimal("-266.00")), ("charge", 12, Decimal("1740.00")),
                      ("patient", 1, Decimal("-150.00")), ("payment", 15, Decimal("-664.00")),
                      ("write_off", 1, Decimal("-250.00"))]
    assert con.sql("SELECT sum(balance) FROM m_ar_claim").fetchall() == [(Decimal("410.00"),)]
    con.execute("DROP VIEW m_ar_event")
    con.execute("CREATE TABLE m_ar_event AS SELECT 1 AS stale")          # as an earlier release stored it
    con.close()
    with WriteSession(db) as ws:
        assert refresh(ws.con, db) == "full"
        ws.publish()
    con = duckdb.connect(str(db), read_only=True)
    assert _kind_of(con, "m_ar_event") == ["view"]
    assert con.sql("SELECT event, count(*), sum(amount) FROM m_ar_event GROUP BY 1 ORDER BY 1").fetchall() == ledger
    con.close()


def test_fact_rows_carry_the_load_that_appended_them(tmp_path):
    """A transient model's old rows come from the facts less the load's own rows: every appended
    fact row records its load_id (write-offs, rejections and payments included)."""
    db = tmp_path / "wh.duckdb"
    first = load(db, *[CORE / f for f in ("sites.csv", "providers.csv", "payers.csv", "claims.csv",
                                          "claim_lines.csv", "rejections.csv")])
    second = load(db, CORE / "write_offs.csv")
    con = duckdb.connect(str(db), read_only=True)
    for table, want in (("claim", first.load_id), ("rejection", first.load_id), ("write_off", second.load_id)):
        assert con.sql(f"SELECT DISTINCT load_id FROM {table}").fetchall() == [(want,)], table
    con.close()


def test_a_transient_model_reads_only_facts_that_loads_append(tmp_path):
    """Appeals are updated in place (pending -> decided): their rows before a load cannot be told
    from load_id, so a transient model may not read them."""
    from warehouse.incremental import _old_inputs
    from warehouse.refresh import Model
    path = tmp_path / "99_x.sql"
    path.write_text("-- m_x\n-- refresh: transient claim_id\nCREATE OR REPLACE TABLE m_x AS SELECT * FROM appeal;\n")
    con = duckdb.connect()
    with pytest.raises(ValueError, match="appeal"):
        _old_inputs(con, Model(path, "m_x", "transient", key="claim_id"), {"appeal": "_r_appeal"}, 1)


def test_model_header_names_are_plain_identifiers(tmp_path, monkeypatch):
    """Table, key and measure names from a model's header are written into the refresh's SQL: a
    header with anything but an identifier there is refused, naming the file."""
    from warehouse import refresh as refresh_mod
    bad = tmp_path / "99_bad.sql"
    bad.write_text("-- m_bad\n-- refresh: additive n;DROP\nCREATE OR REPLACE TABLE m_bad AS SELECT 1 AS n;\n")
    monkeypatch.setattr(refresh_mod, "MODEL_FILES", [bad])
    with pytest.raises(ValueError, match="99_bad.sql: table, key and measure names are plain identifiers"):
        refresh_mod.models()


def test_every_stored_key_is_the_key_the_refresh_looks_up(core_db):
    """The models write the key expression into their SQL (`hash(x) >> 24`) while the refresh and
    the merge build it with schema.key_sql: if the two ever differ, lookups silently find nothing.
    Every family and reference key a model stores equals key_sql of its reference."""
    from warehouse.refresh import models
    family_tables = {"m_claim_family": "family_id", "m_claim_ref": "family_id", "m_adjudication": "family_id"}
    family_tables |= {m.table: m.key for m in models() if m.kind == "family"}
    con = duckdb.connect(str(core_db), read_only=True)
    try:
        for table, family in family_tables.items():
            rows, wrong = con.sql(f"SELECT count(*), count(*) FILTER (WHERE family_key IS DISTINCT FROM "
                                  f"{key_sql(family)}) FROM {table}").fetchall()[0]
            assert rows > 0 and wrong == 0, table
        assert con.sql(f"SELECT count(*) FILTER (WHERE ref_key IS DISTINCT FROM {key_sql('ref')}) "
                       "FROM m_claim_ref").fetchall() == [(0,)]
    finally:
        con.close()


@pytest.mark.parametrize("which", ["core_db", "demo_db"])
def test_every_remit_row_carries_its_remits_event_seq(request, which):
    """A remit's lines, adjustments and remarks name it by event_seq alone (schema 6), and the refresh
    finds a remit's rows by it (incremental.REMIT_SEQ), so it rests on two rules, checked here on the
    stored rows (each query returns the rows breaking its rule): (1) no two remits share an
    event_seq, and every line, adjustment and remark carries one of a remit; (2) every row of
    m_adjustment and m_adjudication_line is (event_seq, family_id) of a row of m_adjudication."""
    from warehouse.incremental import REMIT_ROW_MODELS
    con = duckdb.connect(str(request.getfixturevalue(which)), read_only=True)
    try:
        assert con.sql("SELECT event_seq FROM adjudication GROUP BY 1 HAVING count(*) > 1").fetchall() == []
        for child in ("adjudication_line", "adjustment", "remark"):
            n = con.sql(f"SELECT count(*) FROM {child}").fetchall()[0][0]
            breaking = con.sql(f"SELECT * FROM {child} ANTI JOIN adjudication USING (event_seq) LIMIT 5").fetchall()
            assert n > 0 and breaking == [], (child, breaking)
        for table in REMIT_ROW_MODELS:
            n = con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            breaking = con.sql(f"""SELECT event_seq, family_id FROM {table}
                EXCEPT SELECT event_seq, family_id FROM m_adjudication LIMIT 5""").fetchall()
            assert n > 0 and breaking == [], (table, breaking)
    finally:
        con.close()


def test_a_model_out_of_memory_is_built_again_on_one_thread(tmp_path, capsys):
    """refresh.build_model: DuckDB out of memory on a model (seen at 10M claims under the 3 GB limit)
    builds it once more on one thread, then gives the threads back; a second failure is raised."""
    import duckdb
    from warehouse.refresh import build_model, models
    model = next(m for m in models() if m.table == "m_open_denial")

    class Flaky:
        def __init__(self, failures):
            self.failures, self.calls = failures, []

        def execute(self, sql, *a):
            self.calls.append(" ".join(sql.split())[:30])
            if sql == model.sql and self.failures:
                self.failures -= 1
                raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block")

    con = Flaky(1)
    build_model(con, model)
    assert con.calls == [con.calls[0], "SET threads = 1", con.calls[0], "RESET threads"]
    assert "07b_open_denial.sql: Out of Memory Error" in capsys.readouterr().err
    con = Flaky(2)
    with pytest.raises(duckdb.OutOfMemoryException):
        build_model(con, model)
    assert con.calls[-1] == "RESET threads"


def test_the_old_rows_kept_are_the_columns_the_sums_read(empty_db):
    """A touched family's old rows are kept only for the additive and transient models' sums, so only
    the columns those read are copied (incremental._columns_read, from DuckDB's plan). The plan is taken
    without statistics propagation: on a warehouse with no void on record (here: no rows at all) it
    would replace the scans by empty results, and a load bringing the first void would lack
    m_claim.void_date. Exactness against a full rebuild is the other tests' (the core fixture's
    file-by-file load failed with a binder error on void_date before that)."""
    from warehouse import incremental, refresh
    ms = refresh.models()
    readers = [m for m in ms if m.kind in ("additive", "transient")]
    con = duckdb.connect(str(empty_db), read_only=True)
    try:
        con.execute("SET disabled_optimizers = 'join_order'")
        cols = incremental._columns_read(con, {"m_adjudication_line", "m_adjustment", "m_claim", "m_line",
                                           "m_ar_claim"}, readers)
        assert con.sql("SELECT current_setting('disabled_optimizers')").fetchall() == [("join_order",)]
    finally:
        con.close()
    # the A/R events read a line's remit and number only (which remits restate which lines)
    assert cols["m_adjudication_line"] == ["line_number", "event_seq", "family_key"]
    assert {"void_date", "dos", "billed", "site_id", "payer_id", "root_cause"} <= set(cols["m_claim"])
    assert "patient_pseudonym" not in cols["m_claim"] and "appeals" not in cols["m_claim"]
    assert {"group_code", "amount", "is_write_down", "claim_status"} <= set(cols["m_adjustment"])
    assert "carc" not in cols["m_adjustment"]
    # the touched families' remits: what every model after 02 reads, through model 03's helper table
    con = duckdb.connect(str(empty_db), read_only=True)
    try:
        remits = incremental._columns_read(con, {"m_adjudication"}, [m for m in ms if m.table != "m_adjudication"])
    finally:
        con.close()
    assert {"event_seq", "family_id", "family_key", "payer_id", "remit_date", "claim_status", "claim_paid",
            "is_reversal"} <= set(remits["m_adjudication"])
    assert "adjudication_id" not in remits["m_adjudication"] and "trace_number" not in remits["m_adjudication"]
    # the touched families' facts: what the family and transient models read, with the references
    # the refresh narrows them by and the load that appended each row
    con = duckdb.connect(str(empty_db), read_only=True)
    try:
        facts = incremental._columns_read(con, set(incremental.REFRESH_READS), [m for m in ms if m.kind in ("family", "transient")],
                                      also=incremental.REFRESH_READS)
    finally:
        con.close()
    assert {"claim_id", "load_id", "site_id", "payer_id", "total_charge", "frequency_code"} <= set(facts["claim"])
    assert "member_id_masked" not in facts["claim"] and "claim_key" not in facts["claim"]
    assert {"event_seq", "load_id"} <= set(facts["adjudication"]) and "trace_number" not in facts["adjudication"]


def test_a_plan_that_fails_keeps_every_column_and_leaves_the_loads_transaction_alone(empty_db, tmp_path):
    """_columns_read plans on a cursor of its own: a model whose SQL cannot be planned there (here one
    reading a table that does not exist) gives no column list (every column is kept), and the
    caller's open transaction, where the load's work sits, goes on and commits (it was aborted when
    the plans ran on the load's own connection and model 03's helper table was missing)."""
    from types import SimpleNamespace
    from warehouse import incremental
    db = tmp_path / "w.duckdb"
    shutil.copyfile(empty_db, db)
    con = duckdb.connect(str(db))
    try:
        con.execute("BEGIN")
        con.execute("CREATE TABLE load_work AS SELECT 42 AS answer")
        broken = SimpleNamespace(table="m_x", path=Path("99_x.sql"),
                                 sql="CREATE OR REPLACE TABLE m_x AS SELECT line_number FROM m_adjudication_line "
                                     "JOIN no_such_table USING (event_seq)")
        assert incremental._columns_read(con, {"m_adjudication_line"}, [broken]) == {}
        assert con.sql("SELECT current_setting('disabled_optimizers')").fetchall() == [("",)]
        con.execute("COMMIT")
        assert con.sql("SELECT answer FROM load_work").fetchall() == [(42,)]
    finally:
        con.close()


def test_a_crossover_s_later_remits_refresh_exactly(tmp_path, always_incremental):
    """The claims of test_claim_lifecycle's CROSSOVER_ROWS (a primary's denial, a secondary's share, appeals, a COB
    denial paid by the right payer) and SECONDARY_ROWS (a secondary and a tertiary billed by the practice):
    the primaries' first remits, the secondaries', the appeals' and the last secondaries' in loads of their
    own, every model equal to a full rebuild after each, and the hand-worked figures at the end."""
    from test_claim_lifecycle import CROSSOVER_ROWS, SECONDARY_CASES, SECONDARY_ROWS, _one_line_claim
    rows = {k: CROSSOVER_ROWS[k] + "\n" + SECONDARY_ROWS[k] for k in CROSSOVER_ROWS}
    for cid, (remits, _) in SECONDARY_CASES.items():       # and the one-line claims, their k-th remits in step k
        for k, v in _one_line_claim(cid, remits).items():
            rows[k] = rows[k] + "\n" + v if v else rows[k]
    nth = [[r[0] for remits, _ in SECONDARY_CASES.values() for i, r in enumerate(remits) if i == k] for k in range(6)]
    src = tmp_path / "in"
    shutil.copytree(CORE, src)
    for name in ("claims", "claim_lines"):
        path = src / f"{name}.csv"
        path.write_text(path.read_text().rstrip("\n") + "\n" + rows[name] + "\n")
    db = tmp_path / "wh.duckdb"
    load(db, src)
    assert_same_as_full(db, tmp_path)
    steps = ([f"RXC{n}1" for n in range(1, 8)] + ["RXS1"] + nth[0], [f"RXC{n}2" for n in range(1, 8)] + ["RXS2"] + nth[1],
             ["RXC23", "RXC63", "RXC73", "RXS3", "RXS4"] + nth[2], ["RXC74", "RXS5"] + nth[3], nth[4], nth[5])
    for step, remits in enumerate(steps):
        day = tmp_path / f"day{step}"
        day.mkdir()
        for name in ("remits", "remit_lines", "remit_adjustments"):
            header = (CORE / f"{name}.csv").read_text().splitlines()[0]
            body = [r for r in rows[name].splitlines() if r.split(",")[0] in remits]
            (day / f"{name}.csv").write_text("\n".join([header, *body]) + "\n")
        load(db, day)
        assert mode(db) == "incremental"
        assert_same_as_full(db, tmp_path)
    con = duckdb.connect(str(db), read_only=True)
    got = con.sql("SELECT claim_id, recovered_dollars, open_denied_dollars FROM m_claim "
                  "WHERE claim_id LIKE 'XC%' OR claim_id = 'XS1' ORDER BY 1").fetchall()
    balance = con.sql("SELECT claim_id, balance FROM m_ar_claim WHERE claim_id IN ('XC4', 'XS1') ORDER BY 1").fetchall()
    held = con.sql("SELECT claim_id, balance FROM m_ar_claim WHERE claim_id LIKE 'SB%' AND balance <> 0").fetchall()
    con.close()
    assert got == [("XC1", 0, 200), ("XC2", 150, 0), ("XC3", 120, 0), ("XC4", 0, 200), ("XC5", 120, 0),
                   ("XC6", 150, 0), ("XC7", 150, 0), ("XS1", 170, 0)]
    assert balance == [("XC4", 200), ("XS1", 0)]
    assert held == [("SB3", 70)]                   # test_a_patient_share_held_by_the_next_payer_...
