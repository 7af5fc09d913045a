"""The public sample files in ../shared/x12-samples through the real loader: every file is loaded or
quarantined for a stated reason, counts add up per file, and what two of them leave in the warehouse
is pinned to values checked by hand against their segments."""
from __future__ import annotations

import shutil

import pytest

from conftest import SHARED, connect, load

SAMPLES = SHARED / "x12-samples"
pytestmark = pytest.mark.skipif(not SAMPLES.exists(), reason="../shared/x12-samples not present")

# file -> the reason its transactions are quarantined (checked by reading the segments)
QUARANTINED = {
    "affect__sample_835.txt": "SE01 says 46 segments but the transaction has 55",
    "affect__sample_835_with_interests.txt": "not an X12 segment",
    "chs__test.835": "SE01 says 17 segments but the transaction has 16",
    "keiron__blue_cross_nc_sample.txt": "SE01 says 33 segments but the transaction has 32",
    "lfh__tertiary-payment.835": "SVC elements look shifted",
    "oopfactory__4010_835_DeIdent_02.dat": "does not balance",          # amounts masked when de-identified
    "tigershark__4010_835-example.txt": "SE01 says",
    "imsweb__x12_many_claims.txt": "SE01 says 25 segments but the transaction has 11486",
    # a Markdown note beside the samples: read as a CSV whose header names no input kind (3defd25; it was
    # "cannot be read as CSV" before the loader read ragged CSV row by row)
    "SOURCES.md": "matches no input kind",
}


@pytest.fixture(scope="module")
def samples_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("samples") / "w.duckdb"
    summary = load(db, SAMPLES)
    return db, summary


def test_every_file_loaded_or_quarantined_with_its_reason(samples_db):
    db, s = samples_db
    for f in s.files:
        assert f.rows_read == f.loaded + f.duplicates + f.quarantined, f.path
    con = connect(db)
    for name, reason in QUARANTINED.items():
        msgs = [m for (m,) in con.sql("SELECT message FROM quarantine WHERE path LIKE ?", params=[f"%{name}"]).fetchall()]
        assert msgs and any(reason in m for m in msgs), (name, msgs[:2])
    fully_quarantined = {f.path.rsplit("/", 1)[-1] for f in s.files if f.quarantined == f.rows_read}
    assert fully_quarantined == set(QUARANTINED)


def test_managed_care_remit_by_hand(tmp_path):
    shutil.copy(SAMPLES / "835" / "lfh__managed-care.835", tmp_path / "era.835")
    db = tmp_path / "w.duckdb"
    load(db, tmp_path / "era.835")
    con = connect(db)
    rows = con.sql("SELECT claim_id, known_from_remit, billed, initially_denied, initial_adjudication_date "
                   "FROM m_claim ORDER BY claim_id").fetchall()
    # CLP*5554555444*1*800*450*300 (CO-A2 50, PR-1 300) and CLP*8765432112*1*1200*495*600 (CO-A2 55, PR-1 600, CO-45 50)
    import datetime as dt
    assert [(r[0], r[1], float(r[2]), r[3], r[4]) for r in rows] == [
        ("REMIT:5554555444", True, 800.0, False, dt.date(2002, 3, 14)),   # BPR16 is not a date: DTM*405
        ("REMIT:8765432112", True, 1200.0, False, dt.date(2002, 3, 14))]
    assert con.sql("SELECT sum(claim_paid) FROM adjudication").fetchall()[0][0] == 945   # = BPR02
    assert con.sql("SELECT sum(amount) FROM m_ar_event").fetchall()[0][0] == 0          # fully adjudicated


def test_denied_claim_with_lq_remarks_by_hand(tmp_path):
    shutil.copy(SAMPLES / "835" / "pyx12__835_mult_loops.txt", tmp_path / "era.txt")
    db = tmp_path / "w.duckdb"
    load(db, tmp_path / "era.txt")
    c = connect(db).sql("SELECT initially_denied, denied_dollars, denied_lines, root_cause, initial_status "
                        "FROM m_claim WHERE claim_id = 'REMIT:2005555A'").fetchall()[0]
    # CLP02 = 4: every line denied: 500.04 (CO-16, N14) + 127.80 (OA-A7) + 287.55 (OA-A7) = 915.39;
    # the largest denied line's largest denial adjustment is CO-16
    assert (c[0], float(c[1]), c[2], c[3], c[4]) == (True, 915.39, 3, "missing_information", "4")
