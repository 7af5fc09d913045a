"""X12 files through the real loader into the warehouse, KPIs checked against hand arithmetic on the
segments (tests/fixtures/x12/README.md tells the story).

Families and their initial adjudication (ERA 1, 2024-02-01, unless said):
  C1001 $400  paid 280, PR 40, CO-45 80                     -> not denied, A/R 0
  C1002 $200  status 4, CO-197 (M62), no auth on the claim   -> denied $200, authorization
              corrected claim (freq 7, same CLM01, REF*F8 UHC0000002) paid 160 + CO-45 40 on 03-01
              -> recovered 160, A/R 0
  C1003 $300  L1 paid 110 (PR-3 20, CO-45 50); L2 $120 paid 0: CO-97 100 + CO-45 20 -> partial denial
              $120, bundling; A/R 300-110-20-50-20 = 100 (the CO-97 denial stays in A/R)
  C1004 $150  paid 110 + CO-45 40; ERA 2 reverses (-110, -40) and pays 120 + CO-45 30 -> not denied, A/R 0
  C1005 $2000 claim-level: paid 1500, CO-45 400, PR-1 100    -> not denied, A/R 0 (site ORTHO-S: facility NPI)
  C9999 $100  ERA 2 only (03-01): paid 80 + CO-45 20         -> a claim known from its remit
  C1006 $150  rejected by the 277CA on 2024-01-11, no remit  -> not clean, A/R 150
  H2001 $550  837I, Medicare, no remit                       -> A/R 550
Adjudicated 6, denied 2, billed 400+200+300+150+2000+100 = 3150, denied 320, clean 4 of 7 with an
outcome, recovered 160 (recovery 160/320), A/R at 2024-03-01 = 100+150+550 = 800, charges in the 90
days = 3850, days in A/R = 800 / (3850/90) = 18.70.
"""
from __future__ import annotations

import json
import shutil

import pytest

from conftest import FIXTURES, ROOT, connect, load, run_cli

X12 = FIXTURES / "x12"
GOOD = ["837p_batch1.x12", "837p_corrected.x12", "837i_hospital.x12", "835_era1.x12", "835_era2.x12",
        "835_era1_resent.x12", "277ca_rejection.x12"]


@pytest.fixture(scope="module")
def x12_db(tmp_path_factory):
    d = tmp_path_factory.mktemp("x12")
    folder = d / "in"
    folder.mkdir()
    for name in GOOD:
        shutil.copy(X12 / name, folder / name)
    mp = pytest.MonkeyPatch()
    mp.setenv("DENIALS_CONFIG_DIR", str(ROOT / "docs" / "examples" / "config"))
    db = d / "w.duckdb"
    first = load(db, folder)
    second = load(db, folder)
    yield db, first, second, folder
    mp.undo()


def kpi(db, *args) -> list[dict]:
    out = run_cli("warehouse", "kpi", "--db", str(db), "--format", "json", "--with-parts", *args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_loaded_once_with_the_resent_remit_a_duplicate(x12_db):
    db, first, second, _ = x12_db
    assert first.total("quarantined") == 0, first.messages
    resent = next(f for f in first.files if f.path.endswith("835_era1_resent.x12"))
    assert resent.loaded == 0 and resent.duplicates == resent.rows_read > 0   # C1003 again, same trace and amounts
    assert first.transactions == 7
    assert all(f.whole_file_duplicate for f in second.files) and second.total("loaded") == 0
    con = connect(db)
    assert con.sql("SELECT count(*) FROM adjudication").fetchall() == [(9,)]      # 5 + 4, the resent one once
    assert con.sql("SELECT count(*) FROM payment").fetchall() == [(2,)]
    assert con.sql("SELECT sum(amount) FROM provider_adjustment").fetchall()[0][0] == 47.50


def test_kpis_to_the_cent(x12_db):
    db = x12_db[0]
    r = kpi(db)[0]
    assert (r["claims_adjudicated"], r["claims_denied"]) == (6, 2)
    assert (r["billed_dollars"], r["denied_dollars"], r["recovered_dollars"]) == (3150.0, 320.0, 160.0)
    assert (r["clean_claim_rate__num"], r["clean_claim_rate__den"]) == (4, 7)
    assert r["denial_recovery_rate"] == pytest.approx(0.5)
    assert r["ar_balance"] == 800.0
    assert r["ar_days"] == pytest.approx(800 / (3850 / 90))


def test_root_causes_and_sites(x12_db):
    db = x12_db[0]
    causes = {r["root_cause"]: r for r in kpi(db, "--by", "root_cause")}
    assert set(causes) == {"authorization", "bundling"}
    assert (causes["authorization"]["denied_dollars"], causes["bundling"]["denied_dollars"]) == (200.0, 120.0)
    con = connect(db)
    c = {r[0]: r[1:] for r in con.sql("SELECT claim_id, site_id, payer_id, known_from_remit, corrected_claims "
                                       "FROM m_claim").fetchall()}
    assert c["C1005"][0] == "ORTHO-S" and c["C1001"][:2] == ("ORTHO-N", "UHC")
    assert c["H2001"][1] == "MEDICARE"
    assert c["REMIT:C9999"][2] is True
    assert c["C1002"][3] == 1                 # the corrected claim joined its original's family
    assert con.sql("SELECT count(*) FROM claim WHERE claim_id = 'C1002~7~2024-02-15'").fetchall() == [(1,)]


def test_bad_files_are_quarantined_with_file_transaction_segment(tmp_path):
    for name in ("bad_truncated.x12", "bad_se_count.x12", "bad_unbalanced.x12", "bad_garbage.x12",
                 "bad_not_x12.csv", "bad_binary.bin", "bad_envelope_counts.x12"):
        shutil.copy(X12 / name, tmp_path / name)
    out = run_cli("etl", "load", "--db", str(tmp_path / "w.duckdb"), "--quiet", str(tmp_path))
    assert out.returncode == 3, out.stderr
    text = out.stdout
    assert "bad_truncated.x12: " in text and "truncated" in text
    assert "SE01 says 14 segments but the transaction has 16" in text
    assert "does not balance" in text and "difference 50.00" in text
    con = connect(tmp_path / "w.duckdb")
    per_file = dict(con.sql("SELECT regexp_extract(path, '[^/]+$'), rows_read = rows_loaded + duplicates + quarantined "
                            "FROM load_file").fetchall())
    assert all(per_file.values()) and len(per_file) == 7
    # the good transactions of the damaged files loaded (C2002 three times over: once, then duplicates)
    assert con.sql("SELECT count(*) FROM adjudication WHERE patient_control_number = 'C2002'").fetchall() == [(1,)]


def test_claim_file_arriving_after_its_remit_joins(tmp_path, monkeypatch):
    monkeypatch.setenv("DENIALS_CONFIG_DIR", str(ROOT / "docs" / "examples" / "config"))
    db = tmp_path / "w.duckdb"
    load(db, X12 / "835_era1.x12")
    con = connect(db)
    assert con.sql("SELECT count(*) FROM m_claim WHERE known_from_remit").fetchall() == [(5,)]
    load(db, X12 / "837p_batch1.x12")
    con = connect(db)
    assert con.sql("SELECT count(*) FROM m_claim WHERE known_from_remit").fetchall() == [(0,)]
    c = con.sql("SELECT site_id, billed, initially_denied, denied_dollars FROM m_claim WHERE claim_id = 'C1002'").fetchall()
    assert c == [("ORTHO-N", 200, True, 200)]
