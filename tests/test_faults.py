"""A load killed (SIGKILL) while parsing, while writing, or at the commit leaves the warehouse
exactly as it was; the dashboard still opens it; running the load again gives the state of an
uninterrupted load."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT, load, run_cli
from warehouse.faults import ENV, POINTS


def kpi_json(db) -> list:
    out = run_cli("warehouse", "kpi", "--db", str(db), "--by", "site,week", "--format", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A warehouse holding the reference lists and claims; the load under test adds the remits."""
    d = tmp_path_factory.mktemp("base")
    db = d / "base.duckdb"
    core = FIXTURES / "core"
    load(db, *(core / f for f in ("sites.csv", "providers.csv", "payers.csv", "claims.csv", "claim_lines.csv")))
    full = d / "full.duckdb"
    shutil.copy(db, full)
    shutil.copy(str(db) + ".key", str(full) + ".key")
    load(full, core)
    return db, kpi_json(full)


@pytest.mark.parametrize("point", POINTS)
def test_killed_load_changes_nothing_and_reruns_cleanly(base, tmp_path, point):
    src, expected = base
    db = tmp_path / "w.duckdb"
    shutil.copy(src, db)
    shutil.copy(str(src) + ".key", str(db) + ".key")
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    proc = subprocess.Popen([sys.executable, "-m", "etl", "load", "--db", str(db), str(FIXTURES / "core")],
                            cwd=ROOT, env={**os.environ, ENV: point}, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if line.startswith(f"FAULT-POINT {point}"):
            break
    else:
        pytest.fail(f"the load never reached {point}: exit {proc.wait()}")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    opened = run_cli("warehouse", "kpi", "--db", str(db), "--format", "json")   # the dashboard's read path
    assert opened.returncode == 0, opened.stderr
    again = run_cli("etl", "load", "--db", str(db), "--quiet", str(FIXTURES / "core"))
    assert again.returncode == 0, again.stderr
    assert not list(tmp_path.glob("*.loading-*"))
    assert kpi_json(db) == expected
