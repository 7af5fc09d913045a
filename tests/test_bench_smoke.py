"""`make bench SIZE=tiny` end to end (scripts/bench.py --size tiny): every row of the table is
printed and the JSON is written. About 5,000 claims; keeps well under a minute on 2 cores."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

pytest.importorskip("etl.demo")

# the rows every run must print (section, metric prefix)
EXPECTED = [
    ("load", "our load (load_paths)"), ("load", "DuckDB bare load"), ("memory", "peak RSS of the load"),
    ("x12", "etl.x12 (ours)"), ("x12", "plain split into segments"), ("x12", "oxedi"), ("x12", "pyx12"),
    ("limit", "bare aggregate over adjustment (cold)"), ("peer", "pandas KPIs by week and site [default]"),
    ("kpi", "python -m warehouse kpi"), ("memory", "dashboard server peak RSS"),
    ("incremental", "one day of remits"),
    ("load", "of which reading, checking and staging the files"), ("load", "of which merge into the facts"),
    ("load", "of which model refresh"), ("load", "of which publish (commit, checkpoint)"),
    ("incremental", "load: model refresh"),
] + [("pages", f"{p} [{v}] {m}") for p in ("overview", "weekly_review", "site_comparison", "payer_drilldown")
     for v in ("default", "narrow") for m in ("cold median", "cold p95", "warm median", "warm p95")]


def test_bench_tiny(tmp_path):
    out = tmp_path / "bench.json"
    env = {**os.environ, "BENCH_TMP": str(tmp_path / "scratch"), "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench.py"), "--size", "tiny", "--out", str(out), "--reps", "1",
                          "--clean"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    lines = res.stdout.splitlines()
    for section, metric in EXPECTED:
        assert any(line.startswith(section) and metric in line for line in lines), (section, metric, res.stdout)
    doc = json.loads(out.read_text())
    assert doc["sizes"] == ["tiny"] and doc["machine"]["nproc"]
    rows = {(r["section"], r["metric"]) for r in doc["rows"]}
    for section, metric in EXPECTED:
        assert any(s == section and m.strip().startswith(metric) for s, m in rows), (section, metric)
    errors = [e for e in doc["raw"]["tiny"]["pages"]["errors"] if "narrow view not measured" not in e]
    assert not errors                                            # no page raised
    assert doc["raw"]["tiny"]["incremental"]["shows_day"]
    assert not (tmp_path / "scratch" / "tiny").exists()          # --clean removed the scratch data
