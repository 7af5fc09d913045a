"""The published warehouse file while loads run: readers never blocked, never half a load."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import duckdb
import pytest

from conftest import FIXTURES, ROOT, load, skip_if_in_memory
from warehouse import schema
from warehouse.store import Snapshot, WriteSession

COUNT = "SELECT count(*) FROM claim"


def test_load_commits_while_another_process_reads(tmp_path):
    db = tmp_path / "w.duckdb"
    load(db, FIXTURES / "core" / "sites.csv", FIXTURES / "core" / "providers.csv", FIXTURES / "core" / "payers.csv")
    # a reader process opens the published state and keeps it open until told to query again
    reader = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from warehouse.store import Snapshot
        snap = Snapshot(__import__('pathlib').Path({str(db)!r}))
        con = snap.connection()
        print(con.sql({COUNT!r}).fetchall()[0][0], flush=True)
        sys.stdin.readline()
        print(con.sql({COUNT!r}).fetchall()[0][0], flush=True)            # same snapshot: old state
        print(snap.connection().sql({COUNT!r}).fetchall()[0][0], flush=True)  # follows the commit
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline().strip() == "0"
    summary = load(db, FIXTURES / "core")        # must not fail although the reader holds the file
    assert summary.total("quarantined") == 0
    reader.stdin.write("\n")
    reader.stdin.flush()
    assert reader.stdout.readline().strip() == "0"
    assert reader.stdout.readline().strip() == "12"
    assert reader.wait(timeout=30) == 0


def test_snapshot_in_process_follows_commits(tmp_path):
    db = tmp_path / "w.duckdb"
    load(db, FIXTURES / "core" / "sites.csv", FIXTURES / "core" / "providers.csv", FIXTURES / "core" / "payers.csv")
    snap = Snapshot(db)
    old = snap.cursor()
    assert old.sql(COUNT).fetchall() == [(0,)]
    load(db, FIXTURES / "core")
    assert old.sql(COUNT).fetchall() == [(0,)]       # a query on the old state stays consistent
    assert snap.cursor().sql(COUNT).fetchall() == [(12,)]


def test_schema_version_recorded_and_newer_refused(tmp_path):
    db = tmp_path / "w.duckdb"
    with WriteSession(db) as ws:
        assert schema.stored_version(ws.con) == schema.SCHEMA_VERSION
        ws.con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
        ws.publish()
    with pytest.raises(schema.SchemaTooNew):
        with WriteSession(db):
            pass
    assert duckdb.connect(str(db), read_only=True).sql("SELECT value FROM meta WHERE key='schema_version'").fetchall() == [("999",)]


def test_small_load_commits_in_place_while_an_idle_reader_waits(tmp_path):
    """A small load writes the published file itself (no copy): the idle reader process lets go of
    the file when the writer raises its marker and follows the commit on its next query."""
    import os
    from warehouse.store import marker_path
    db = tmp_path / "w.duckdb"
    core = FIXTURES / "core"
    load(db, *[core / f for f in ("sites.csv", "providers.csv", "payers.csv", "claims.csv", "claim_lines.csv",
                                  "remits.csv", "remit_lines.csv", "remit_adjustments.csv", "remit_remarks.csv")])
    inode = os.stat(db).st_ino
    rejected = "SELECT count(*) FROM m_claim WHERE rejections > 0"
    reader = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from warehouse.store import Snapshot
        snap = Snapshot(__import__('pathlib').Path({str(db)!r}))
        print(snap.cursor().sql({rejected!r}).fetchall()[0][0], flush=True)
        sys.stdin.readline()
        print(snap.cursor().sql({rejected!r}).fetchall()[0][0], flush=True)
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "0"
        summary = load(db, core / "rejections.csv")
        assert summary.per_kind["rejections"] > 0
        # written in place, not a renamed copy: the idle reader let go (else the writer falls back
        # to a copy after DENIALS_HANDOFF_S and the inode changes)
        assert os.stat(db).st_ino == inode
        assert not marker_path(db).exists()
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert int(reader.stdout.readline().strip()) > 0
        assert reader.wait(timeout=30) == 0
    finally:
        reader.kill()


def test_a_failed_in_place_load_leaves_the_warehouse_as_it_was(tmp_path, monkeypatch):
    import os
    import etl.load as loader
    db = tmp_path / "w.duckdb"
    core = FIXTURES / "core"
    load(db, core)
    before = duckdb.connect(str(db), read_only=True)
    counts = before.sql("SELECT (SELECT count(*) FROM write_off), (SELECT count(*) FROM m_claim), "
                        "(SELECT max(load_id) FROM load_run)").fetchall()
    before.close()
    inode = os.stat(db).st_ino

    def boom(*_a, **_k):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(loader, "refresh", boom)
    extra = tmp_path / "write_offs.csv"
    extra.write_text("claim_id,write_off_date,amount,reason\nC1001,2026-04-01,10.00,small balance\n")
    assert loader.writes_in_place(db, [extra])
    with pytest.raises(RuntimeError, match="disk on fire"):
        load(db, extra)
    assert os.stat(db).st_ino == inode
    after = duckdb.connect(str(db), read_only=True)
    assert after.sql("SELECT (SELECT count(*) FROM write_off), (SELECT count(*) FROM m_claim), "
                     "(SELECT max(load_id) FROM load_run)").fetchall() == counts
    after.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="posix_fadvise and /proc/self/fd are Linux's")
def test_an_in_place_load_advises_random_reads_on_the_warehouse_file(tmp_path, monkeypatch):
    """The in-place write session advises the kernel that DuckDB's descriptor on the published file
    is read at random (no 8 MB readahead around each block the incremental refresh reads); nothing
    else is advised, and the load itself is unchanged."""
    import warehouse.store as store
    db = tmp_path / "wh.duckdb"
    load(db, FIXTURES / "core")
    assert store.advise_random_reads(db) == 0                   # nothing of this process has it open
    seen = []
    real = store.advise_random_reads
    monkeypatch.setattr(store, "advise_random_reads", lambda path: seen.append((path, real(path))) or seen[-1][1])
    with WriteSession(db, in_place=True) as ws:
        assert ws.in_place
        ws.publish()
    assert seen == [(db, 1)]                                    # DuckDB's one descriptor on the file
    other = duckdb.connect(str(tmp_path / "other.duckdb"))
    assert store.advise_random_reads(db) == 0
    other.close()


def test_a_write_session_keeps_more_reads_in_flight_only_for_a_file_not_in_the_os_cache(tmp_path):
    """The write session asks which share of its file is in the page cache: mostly cached, it sets
    IO_THREADS_VARIABLE to 0 (incremental.scattered_reads keeps one thread per core); with the file's
    pages dropped it leaves the variable unset (the scattered reads run with more threads)."""
    import os
    from warehouse.store import IO_THREADS_VARIABLE
    db = tmp_path / "wh.duckdb"
    load(db, FIXTURES / "core")
    variable = f"SELECT getvariable('{IO_THREADS_VARIABLE}')"
    db.read_bytes()                                             # in the page cache
    with WriteSession(db, in_place=True) as ws:
        assert ws.con.sql(variable).fetchall() == [(0,)]
    skip_if_in_memory(db)
    with open(db, "rb") as fh:
        os.fsync(fh.fileno())
        os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    with WriteSession(db, in_place=True) as ws:
        assert ws.con.sql(variable).fetchall() == [(None,)]


def test_a_warehouse_missing_a_model_this_release_added_is_refused_with_the_command(tmp_path, monkeypatch):
    """Models added by a release (m_open_denial) are built by the next load or `python -m warehouse
    refresh`; until then the dashboard says so instead of failing on a missing table."""
    from conftest import run_cli
    from warehouse import store
    db = tmp_path / "old.duckdb"
    load(db, FIXTURES / "core")
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE m_open_denial")
    con.close()
    with pytest.raises(schema.ModelsTooOld, match=r"m_open_denial missing\): run `python -m warehouse refresh --db "):
        store.open_snapshot(db)
    # the dashboard (demo data, no accounts) cannot tell demo mode from a warehouse it cannot read: its
    # sign-in screen says what the administrator runs, without the server's path
    from conftest import app
    at = app(monkeypatch, db)
    said = " ".join(w.value for w in at.warning)
    assert at.title[0].value == "Denial analytics: sign in"
    assert "models were built by an earlier release" in said and "`python -m warehouse refresh --db <the warehouse>`" in said
    assert str(db) not in said
    run = run_cli("warehouse", "refresh", "--db", str(db))
    assert run.returncode == 0, run.stderr
    store.open_snapshot(db)[0].close()


def test_models_built_from_other_model_sql_are_refused_with_the_command(tmp_path):
    """Models built by another release's model SQL (a column this release reads may be missing: the
    claim page failed with 'Table "c" does not have a column named "redenied_on"' on a warehouse of the
    release before) are refused with the refresh command, like a missing model table; a warehouse of a
    release that stamped no model SQL at all likewise. After the refresh it opens."""
    from conftest import run_cli
    from warehouse import store
    db = tmp_path / "old.duckdb"
    load(db, FIXTURES / "core")
    store.open_snapshot(db)[0].close()
    for stamp in ("UPDATE meta SET value = 'other' WHERE key = 'model_sql'", "DELETE FROM meta WHERE key = 'model_sql'"):
        con = duckdb.connect(str(db))
        con.execute(stamp)
        con.close()
        with pytest.raises(schema.ModelsTooOld, match=r"\(from other model SQL\): run `python -m warehouse refresh --db "):
            store.open_snapshot(db)
        run = run_cli("warehouse", "refresh", "--db", str(db))
        assert run.returncode == 0, run.stderr
        store.open_snapshot(db)[0].close()
