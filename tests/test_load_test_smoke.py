"""`make load-test` in miniature (issue 8, many users): scripts/load_test.py against a real server on a
small demo warehouse, N=1 and N=5 sessions for a few seconds each (5 concurrent sessions once deadlocked
the server inside polars callbacks: this is the regression test). It must print a row for every N
and the p95 growth line, and see zero errors (a page that errors, shows an exception or the sign-in
screen, or does not finish within the timeout is an error)."""
from __future__ import annotations

import re
import subprocess
import sys

from conftest import DEMO_END, ROOT


def test_load_test_prints_every_row_without_errors(tmp_path):
    db = tmp_path / "demo.duckdb"
    built = subprocess.run([sys.executable, "-m", "etl", "demo", "--db", str(db), "--claims", "1500", "--seed", "5",
                            "--end", DEMO_END.isoformat(), "--out", str(tmp_path / "in"), "--quiet"],
                           cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    res = subprocess.run([sys.executable, "scripts/load_test.py", "--db", str(db), "--users", "1,5",
                          "--duration", "6", "--timeout", "60"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    out = res.stdout
    assert res.returncode == 0, out + res.stderr
    rows = {int(m.group(1)): m for m in re.finditer(
        r"^\s*(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", out, re.M)}
    assert sorted(rows) == [1, 5], out
    for n, m in rows.items():
        assert int(m.group(2)) >= 1, f"N={n}: no page view finished\n{out}"
        assert int(m.group(7)) == 0, f"N={n}: errors\n{out}"
        assert int(m.group(8)) > 0, f"N={n}: no memory sample\n{out}"
        assert float(m.group(4)) <= float(m.group(5)) <= float(m.group(6))      # p50 <= p95 <= max
    assert re.search(r"^p95 growth relative to N=1: N=5: x[\d.]+$", out, re.M), out
    assert re.search(r"^errors: 0$", out, re.M), out
