"""Accounting shown (issue 8): after any load, the ledger the data-quality page reads
(warehouse.quality.load_history) shows exactly the counts the load printed — per file and in total —
and every file balances (rows read = loaded + duplicates + quarantined).

Loads here mix clean files, bad rows, bad X12 transactions, row-level duplicates (a resent 835) and
whole-file duplicates (the same folder loaded again), through the real `python -m etl load`."""
from __future__ import annotations

import re
import shutil

import pytest

from conftest import FIXTURES, connect, load, run_cli
from warehouse.quality import load_history

X12 = FIXTURES / "x12"
REPORT = re.compile(r"^load (\d+): .*\(rows read ([\d,]+) = loaded ([\d,]+) \+ duplicates ([\d,]+) "
                    r"\+ quarantined ([\d,]+)\)$", re.M)


def _num(s: str) -> int:
    return int(s.replace(",", ""))


def cli_load(db, *paths) -> tuple[int, tuple[int, int, int, int]]:
    """Run the load command; (load id, (read, loaded, duplicates, quarantined)) as it printed them."""
    res = run_cli("etl", "load", "--db", str(db), "--quiet", *map(str, paths))
    assert res.returncode in (0, 3), res.stderr          # 3: something was quarantined
    m = REPORT.search(res.stdout)
    assert m, res.stdout
    load_id, *counts = map(_num, m.groups())
    assert counts[0] == counts[1] + counts[2] + counts[3]
    return load_id, tuple(counts)


def ledger_of(db, load_id: int):
    con = connect(db)
    try:
        h = load_history(con)
    finally:
        con.close()
    assert h["balanced"].all(), h.filter(~h["balanced"])
    return h.filter(h["load_id"] == load_id)


def totals(rows) -> tuple[int, int, int, int]:
    return tuple(int(rows[c].sum()) for c in ("rows_read", "rows_loaded", "duplicates", "quarantined"))


@pytest.fixture()
def inputs(tmp_path):
    """A folder of everything: core CSVs (with their bad rows), good and bad X12 files."""
    d = tmp_path / "in"
    shutil.copytree(FIXTURES / "core", d / "core")
    (d / "x12").mkdir()
    for name in ("837p_batch1.x12", "835_era1.x12", "835_era2.x12", "277ca_rejection.x12", "bad_truncated.x12",
                 "bad_se_count.x12", "bad_garbage.x12", "bad_binary.bin", "bad_unbalanced.x12"):
        shutil.copy(X12 / name, d / "x12" / name)
    return d


def test_ledger_shows_the_printed_counts_after_every_load(tmp_path, inputs):
    db = tmp_path / "w.duckdb"
    loads = [
        [inputs],                                          # first load: loaded + quarantined rows
        [X12 / "835_era1_resent.x12"],                     # row-level duplicates of a loaded remit
        [inputs],                                          # the same files again: whole-file duplicates
    ]
    seen_ids = []
    for paths in loads:
        load_id, printed = cli_load(db, *paths)
        rows = ledger_of(db, load_id)
        assert rows.height >= 1
        assert totals(rows) == printed, (rows, printed)
        seen_ids.append(load_id)
    assert seen_ids == sorted(set(seen_ids))
    # the scenario really exercised every column (else the test proves less than it says)
    con = connect(db)
    h = load_history(con)
    con.close()
    assert h["quarantined"].sum() > 0 and h["duplicates"].sum() > 0 and h["rows_loaded"].sum() > 0
    assert h["whole_file_duplicate"].any()


def test_ledger_matches_each_file_of_the_summary(tmp_path, inputs):
    """Per file: the summary the load returns (what the command prints per file while it runs and
    in total at the end) equals the ledger row of that file."""
    db = tmp_path / "w.duckdb"
    for paths in ([inputs], [X12 / "835_era1_resent.x12", X12 / "835_era1.x12"]):
        s = load(db, *paths)
        rows = ledger_of(db, s.load_id)
        ledger = {r["path"]: (r["rows_read"], r["rows_loaded"], r["duplicates"], r["quarantined"],
                              r["whole_file_duplicate"]) for r in rows.iter_rows(named=True)}
        summary = {f.path: (f.rows_read, f.loaded, f.duplicates, f.quarantined, f.whole_file_duplicate)
                   for f in s.files}
        assert ledger == summary
        for f in s.files:
            assert f.rows_read == f.loaded + f.duplicates + f.quarantined
