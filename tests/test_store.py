"""The published warehouse file while loads run: readers never blocked, never half a load."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import duckdb
import pytest

from conftest import FIXTURES, ROOT, load
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
