"""The loader: nothing lost, nothing counted twice, bad rows quarantined with reasons, a failed load
changes nothing, patient identifiers pseudonymised."""
from __future__ import annotations

import hashlib
import hmac
import shutil
from pathlib import Path

import polars as pl
import pytest

from conftest import FIXTURES, connect, load, run_cli
from etl.pseudonym import pseudonymise
from warehouse.query import kpis
from warehouse.scope import Scope


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def fresh(tmp_path) -> Path:
    db = tmp_path / "w.duckdb"
    load(db, FIXTURES / "core")
    return db


def totals(db: Path) -> dict:
    return kpis(connect(db), scope=Scope.all()).to_dicts()[0]


def test_counts_add_up_per_file(tmp_path):
    s = load(tmp_path / "w.duckdb", FIXTURES / "core")
    for f in s.files:
        assert f.rows_read == f.loaded + f.duplicates + f.quarantined, f.path
    assert s.total("rows_read") == 80 and s.total("quarantined") == 0 and s.exit_status == 0


def test_a_load_reports_its_phases_in_order(tmp_path):
    """LoadSummary.phases (what make bench prints under the load): files, merge, models, publish, in
    that order, each measured (not zero), within the load's own wall time."""
    import time
    t0 = time.perf_counter()
    s = load(tmp_path / "w.duckdb", FIXTURES / "core")
    wall = time.perf_counter() - t0
    assert list(s.phases) == ["files", "merge", "models", "publish"]
    assert all(v > 0 for v in s.phases.values()), s.phases
    assert sum(s.phases.values()) <= wall


def test_second_load_of_same_files_changes_nothing(fresh):
    before = totals(fresh)
    s = load(fresh, FIXTURES / "core")
    assert all(f.whole_file_duplicate for f in s.files)
    assert s.total("duplicates") == 80 and s.total("loaded") == 0
    assert totals(fresh) == before


def test_same_remit_in_another_file_is_loaded_once(fresh, tmp_path):
    before = totals(fresh)
    d = tmp_path / "again"
    d.mkdir()
    (d / "era2.csv").write_text(
        "remit_claim_id,payer_id,trace_number,remit_date,patient_control_number,claim_status,claim_charge,claim_paid,payer_claim_number\n"
        "COPY-R4,PAYA,TRN-A2,2026-05-13,C4,1,200.00,120.00,PA-0004\n")
    (d / "era2_adj.csv").write_text("remit_claim_id,line_number,group_code,carc,amount\nCOPY-R4,1,CO,45,80.00\n")
    s = load(fresh, d)
    assert s.total("duplicates") == 2 and s.total("loaded") == 0
    assert totals(fresh) == before


def test_bad_rows_are_quarantined_with_file_row_field(fresh, tmp_path):
    bad = tmp_path / "bad_claims.csv"
    shutil.copy(FIXTURES / "core" / "claims.csv", bad)
    text = bad.read_text().splitlines()
    text += [
        "N1,,1,,S1,1234567893,,PAYA,MRN-9,,2026-13-45,,2026-05-05,10.00,11,",     # row 14: bad date
        "N2,,1,,S1,12345,,PAYA,MRN-9,,2026-05-04,,2026-05-05,10.00,11,",          # row 15: bad NPI
        "N3,,1,,S1,1234567893,,PAYA,MRN-9,,2026-05-04,,2026-05-05,,11,",          # row 16: no charge
        "C1,,1,,S1,1234567893,,PAYA,MRN-0001,,2026-05-04,,2026-05-05,999.00,11,",  # row 17: conflicts with C1
        "N4,,1,,S1,1234567893,,PAYA,MRN-9,,2026-05-04,,2026-05-05,10.00,11,",     # row 18: good
    ]
    bad.write_text("\n".join(text) + "\n")
    s = load(fresh, bad)
    f = s.files[0]
    # 12 rows identical to the loaded claims, 1 new, 4 quarantined
    assert (f.rows_read, f.loaded, f.duplicates, f.quarantined) == (17, 1, 12, 4)
    assert s.exit_status == 3
    msgs = "\n".join(s.messages)
    assert f"{bad}, row 14, field service_date_from: value '2026-13-45' cannot be read as a date" in msgs
    assert f"{bad}, row 15, field rendering_npi: value '12345' does not have the expected format" in msgs
    assert f"{bad}, row 16, field total_charge: is required but empty" in msgs
    assert "row 17: claim_id C1 was already loaded with different values" in msgs
    q = connect(fresh).sql("SELECT row_number, field, rule FROM quarantine ORDER BY row_number").fetchall()
    assert q == [(14, "service_date_from", "dtype"), (15, "rendering_npi", "regex"),
                 (16, "total_charge", "nullability"), (17, "claim_id", "conflict")]


def test_line_of_unknown_claim_is_quarantined(fresh, tmp_path):
    f = tmp_path / "lines.csv"
    f.write_text("claim_id,line_number,procedure_code,line_charge\nNOPE,1,99213,10.00\n")
    s = load(fresh, f)
    assert s.total("quarantined") == 1 and "claim_id NOPE is not a loaded claim" in s.messages[0]


def test_unrecognised_file_is_quarantined_whole(fresh, tmp_path):
    f = tmp_path / "notes.csv"
    f.write_text("colour,size\nred,1\nblue,2\n")
    s = load(fresh, f)
    assert s.total("quarantined") == 2 and "matches no input kind" in s.messages[0]


def test_failed_load_leaves_the_warehouse_as_it_was(fresh, tmp_path, monkeypatch):
    before = sha(fresh)
    import etl.load as loader

    def boom(*_args, **_kwargs):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(loader, "refresh", boom)
    f = tmp_path / "lines.csv"
    f.write_text("claim_id,line_number,procedure_code,line_charge\nC12,2,99213,10.00\n")
    with pytest.raises(RuntimeError):
        load(fresh, f)
    assert sha(fresh) == before
    assert not list(fresh.parent.glob("*.loading-*"))


def test_patient_identifiers_never_reach_the_warehouse(fresh):
    assert b"MRN-0001" not in fresh.read_bytes()
    con = connect(fresh)
    pseudo, member = con.sql("SELECT patient_pseudonym, member_id_masked FROM claim WHERE claim_id = 'C1'").fetchall()[0]
    assert pseudo.startswith("PT-") and len(pseudo) == 19 and member == "****6789"
    # the same patient maps to the same pseudonym (C9 and its corrected claim)
    assert con.sql("SELECT count(DISTINCT patient_pseudonym) FROM claim WHERE claim_id IN ('C9', 'C9-C1')").fetchall() == [(1,)]
    # it is HMAC-SHA256 of the identifier under the warehouse's own key (etl/pseudonym.py)
    key = bytes.fromhex(Path(str(fresh) + ".key").read_text().strip())
    assert pseudo == "PT-" + hmac.new(key, b"MRN-0001", hashlib.sha256).hexdigest()[:16]


@pytest.mark.parametrize("key_len", [0, 1, 32, 64, 65, 200])
def test_pseudonym_is_rfc_2104_hmac_for_any_key_length(key_len):
    """The hand-unrolled HMAC (inner and outer states computed once) equals the standard library's,
    also for keys longer than SHA-256's 64-byte block (DENIALS_SECRET_FILE may hold any length)."""
    key = bytes(range(256))[:key_len]
    frame = pl.DataFrame({"patient_id": ["MRN-0001", "", "é-ünï", None, "MRN-0001"]})
    out = pseudonymise(frame, key)["patient_pseudonym"].to_list()
    expect = ["PT-" + hmac.new(key, v.encode(), hashlib.sha256).hexdigest()[:16] if v is not None else None
              for v in frame["patient_id"]]
    assert out == expect


def test_load_command_exit_status_and_summary(tmp_path):
    db = tmp_path / "w.duckdb"
    ok = run_cli("etl", "load", "--db", str(db), "--quiet", str(FIXTURES / "core"))
    assert ok.returncode == 0, ok.stderr
    assert "12 files" in ok.stdout and "0 quarantined" in ok.stdout and "duplicates skipped" in ok.stdout
    missing = run_cli("etl", "load", "--db", str(db), str(tmp_path / "nope"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_files_read_ahead_by_workers_load_exactly_like_files_read_in_turn(tmp_path, monkeypatch):
    """Small files are read by worker threads ahead of staging, in groups whose batches are checked
    together (the bad claims row shares its check with claims.csv); big ones in the loading thread.
    Either way: the same rows, quarantine, ledger (in file order) and messages."""
    import etl.load as etl_load
    from warehouse.ledger import previous_loads
    src = tmp_path / "in"
    shutil.copytree(FIXTURES / "core", src)
    (src / "zz_bad_claims.csv").write_text(
        "claim_id,patient_id,site_id,payer_id,rendering_npi,service_date_from,total_charge,submitted_date\n"
        "BAD1,P1,S1,MCR,1234567893,2026-13-45,100.00,2026-01-02\n")
    shutil.copy(FIXTURES / "core" / "remits.csv", src / "zz_remits_again.csv")   # same file twice in one load
    out = {}
    # 1,500 bytes: groups of a few files, the biggest read in turn; one file: groups of one
    for name, ahead_bytes, files in (("in turn", 0, 1), ("ahead", 1 << 20, 64), ("ahead, one file", 1 << 20, 1),
                                     ("ahead, 1,500 bytes", 1500, 4)):
        monkeypatch.setattr(etl_load, "READ_AHEAD_BYTES", ahead_bytes)
        monkeypatch.setattr(etl_load, "GROUP_FILES", files)
        db = tmp_path / f"{name}.duckdb"
        s = load(db, src)
        con = connect(db)
        ledger_rows = con.sql("SELECT file_seq, path, sha256, kinds, rows_read, rows_loaded, duplicates, quarantined "
                              "FROM load_file ORDER BY file_seq").fetchall()
        out[name] = (s.messages, ledger_rows, totals(db),
                     con.sql("SELECT path, row_number, field, rule FROM quarantine ORDER BY ALL").fetchall())
        assert previous_loads(con, [sha(src / "remits.csv"), "0" * 64]) == {sha(src / "remits.csv"): 15}
    assert out["in turn"][0][0].endswith("row 2, field service_date_from: value '2026-13-45' cannot be read as a date (YYYY-MM-DD)")
    assert out["ahead"] == out["in turn"] and out["ahead, one file"] == out["in turn"]
    assert out["ahead, 1,500 bytes"] == out["in turn"]
    assert [r[1].rsplit("/", 1)[1] for r in out["ahead"][1]][-2:] == ["zz_bad_claims.csv", "zz_remits_again.csv"]
    assert out["ahead"][1][-1][4:] == (15, 0, 0, 15)    # the second copy in the same load: quarantined (duplicate key)
