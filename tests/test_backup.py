"""Backup (consistent, also while a reader holds the file) and restore, compared by KPI output."""
from __future__ import annotations

import json

from conftest import FIXTURES, load, run_cli
from warehouse.store import Snapshot


def kpi(db) -> list:
    out = run_cli("warehouse", "kpi", "--db", str(db), "--by", "site", "--format", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_backup_then_restore_gives_the_same_numbers(tmp_path):
    db = tmp_path / "w.duckdb"
    core = FIXTURES / "core"
    load(db, *(p for p in core.iterdir() if p.name != "write_offs.csv"))
    before = kpi(db)
    reader = Snapshot(db).connection()              # the dashboard holds the file open meanwhile
    out = run_cli("warehouse", "backup", "--db", str(db), "--to", str(tmp_path / "bk"))
    assert out.returncode == 0, out.stderr
    copy = next((tmp_path / "bk").glob("*.duckdb"))
    assert json.loads((tmp_path / "bk" / (copy.name + ".json")).read_text())["loads"] == 1
    load(db, core / "write_offs.csv")               # the state moves on
    assert kpi(db) != before
    out = run_cli("warehouse", "restore", "--db", str(db), str(copy))
    assert out.returncode == 0, out.stderr
    assert kpi(db) == before
    assert reader.sql("SELECT count(*) FROM claim").fetchall() == [(12,)]


def test_restore_refuses_a_damaged_backup(tmp_path):
    db = tmp_path / "w.duckdb"
    load(db, FIXTURES / "core")
    run_cli("warehouse", "backup", "--db", str(db), "--to", str(tmp_path / "bk"))
    copy = next((tmp_path / "bk").glob("*.duckdb"))
    with open(copy, "r+b") as f:
        f.seek(5000)
        f.write(b"\xff\xff\xff")
    out = run_cli("warehouse", "restore", "--db", str(db), str(copy))
    assert out.returncode == 2 and "checksum" in out.stderr
