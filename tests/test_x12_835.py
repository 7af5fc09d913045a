"""835 reader on the hand-made fixtures (tests/fixtures/x12/README.md has the expected contents)."""
from __future__ import annotations

import hashlib

import polars as pl
import pytest

from etl.mapping import Mapping
from etl.x12 import read_x12
from test_x12_support import FIXTURES, example_mapping, frames, invalid, read


def col(df: pl.DataFrame, name: str) -> list:
    return df[name].to_list()


def test_era1_remits():
    bs = read(FIXTURES / "835_era1.x12")
    assert len(bs) == 1 and bs[0].error is None
    b = bs[0]
    assert b.unit == "ST*835*0001 (segments 3-63)"
    assert b.extras["transactions"] == 1 and b.extras["claims"] == 5
    r = b.frames["remits"]
    digest = hashlib.sha1((FIXTURES / "835_era1.x12").read_bytes()).hexdigest()[:12]
    assert col(r, "remit_claim_id") == [f"{digest}:0001:{i}" for i in range(1, 6)]
    assert col(r, "patient_control_number") == ["C1001", "C1002", "C1003", "C1004", "C1005"]
    assert col(r, "claim_status") == ["1", "4", "1", "1", "1"]
    assert col(r, "claim_charge") == ["400", "200", "300", "150", "2000"]
    assert col(r, "claim_paid") == ["280", "0", "110", "110", "1500"]
    assert col(r, "patient_responsibility") == ["40", None, "20", None, "100"]
    assert col(r, "payer_claim_number") == [f"UHC000000{i}" for i in range(1, 6)]
    assert set(col(r, "trace_number")) == {"EFT0001"}
    assert set(col(r, "remit_date")) == {"2024-02-01"}          # BPR16
    assert set(col(r, "payee_npi")) == {"1111111111"}
    assert set(col(r, "payment_method")) == {"ACH"}
    assert set(col(r, "payer_id")) == {"87726"}                 # unmapped: the raw N1*PR04
    assert col(r, "rendering_npi") == ["1234567893", "1234567893", None, None, None]
    assert col(r, "service_date_from") == ["2024-01-05", "2024-01-06", "2024-01-08", "2024-01-09", "2024-01-10"]
    assert col(r, "service_date_to") == ["2024-01-05", None, None, None, "2024-01-11"]
    assert col(r, "_row") == [14, 29, 38, 49, 55]               # the CLP segments
    assert r.select(pl.col("claim_paid").cast(pl.Float64).sum()).item() == 2000.0
    assert invalid(bs) == {}


def test_era1_lines_adjustments_remarks_plb():
    b = read(FIXTURES / "835_era1.x12")[0]
    lines = b.frames["remit_lines"]
    assert lines.height == 6
    assert col(lines, "procedure_code") == ["99213", "20610", "73630", "99214", "97110", "99213"]
    assert col(lines, "modifier_1") == [None, "RT", None, None, "GP", None]
    assert col(lines, "line_number") == ["1", "2", "1", "1", "2", "1"]
    assert col(lines, "line_paid") == ["100", "180", "0", "110", "0", "110"]
    assert col(lines, "units") == ["1", "1", "1", "1", "2", "1"]
    assert col(lines, "service_date") == ["2024-01-05", "2024-01-05", "2024-01-06", "2024-01-08", "2024-01-08",
                                          "2024-01-09"]
    adj = b.frames["remit_adjustments"]
    got = list(zip(adj["remit_claim_id"].str.slice(-1).to_list(), col(adj, "line_number"), col(adj, "group_code"),
                   col(adj, "carc"), col(adj, "amount"), col(adj, "_row")))
    assert got == [
        ("1", "1", "CO", "45", "30", 21), ("1", "1", "PR", "3", "20", 22),
        ("1", "2", "CO", "45", "50", 26), ("1", "2", "PR", "1", "20", 27),
        ("2", "1", "CO", "197", "200", 35),
        ("3", "1", "CO", "45", "50", 43), ("3", "1", "PR", "3", "20", 44),
        ("3", "2", "CO", "97", "100", 47), ("3", "2", "CO", "45", "20", 47),   # two triples, one CAS
        ("4", "1", "CO", "45", "40", 54),
        ("5", None, "CO", "45", "400", 57), ("5", None, "PR", "1", "100", 58),  # claim level
    ]
    rem = b.frames["remit_remarks"]
    assert list(zip(col(rem, "line_number"), col(rem, "rarc"))) == [("1", "M62"), ("2", "N19"), (None, "MA01")]
    plb = b.frames["provider_adjustments"]
    assert list(zip(col(plb, "reason_code"), col(plb, "reference"), col(plb, "amount"))) == [
        ("L6", "C1001", "-2.50"), ("WO", "OVP123", "50.00")]
    assert set(col(plb, "payee_npi")) == {"1111111111"} and set(col(plb, "remit_date")) == {"2024-02-01"}
    assert "warnings" not in b.extras                        # BPR02 = paid - PLB: 2000 - 47.50 = 1952.50


def test_era2_reversal_and_unmatched():
    b = read(FIXTURES / "835_era2.x12")[0]
    assert b.error is None
    r = b.frames["remits"]
    assert list(zip(col(r, "patient_control_number"), col(r, "claim_status"), col(r, "claim_charge"),
                    col(r, "claim_paid"))) == [
        ("C1004", "22", "-150", "-110"), ("C1004", "1", "150", "120"), ("C1002", "1", "200", "160"),
        ("C9999", "1", "100", "80")]
    adj = b.frames["remit_adjustments"]
    assert col(adj, "amount") == ["-40", "30", "40", "20"]
    assert col(b.frames["remit_lines"], "units") == ["-1", "1", "1", "1"]
    assert invalid([b]) == {}


def test_resent_era_gets_its_own_ids():
    a = read(FIXTURES / "835_era1.x12")[0].frames["remits"]
    d = read(FIXTURES / "835_era1_resent.x12")[0].frames["remits"]
    c1003 = a.filter(pl.col("patient_control_number") == "C1003")
    cols = ["payer_id", "trace_number", "remit_date", "patient_control_number", "claim_status", "claim_charge",
            "claim_paid", "payer_claim_number"]
    assert d.select(cols).rows() == c1003.select(cols).rows()
    assert d["remit_claim_id"][0] != c1003["remit_claim_id"][0]


def test_mapping_applies_to_payers():
    b = read(FIXTURES / "835_era1.x12", mapping=example_mapping())[0]
    assert set(b.frames["remits"]["payer_id"].to_list()) == {"UHC"}
    p = b.frames["payers"]
    assert p.select("payer_id", "payer_name", "payer_class", "unmapped").rows() == [
        ("UHC", "UnitedHealthcare", "commercial", "false")]
    assert b.extras["unmapped_payers"] == 0
    unmapped = read(FIXTURES / "835_era1.x12")[0]
    assert unmapped.frames["payers"].select("payer_id", "payer_name", "payer_class", "unmapped").rows() == [
        ("87726", "UNITED HEALTHCARE", "other", "true")]
    assert unmapped.extras["unmapped_payers"] == 1


def test_unbalanced_transaction_is_quarantined_others_load():
    bs = read(FIXTURES / "bad_unbalanced.x12")
    assert [b.unit for b in bs] == ["ST*835*0001 (segments 3-18)", "ST*835*0002 (segments 19-34)"]
    bad, good = bs
    assert bad.frames == {} and bad.rows_read == 4     # claim, line, CAS and the payment (BPR)
    assert bad.error.startswith("bad_unbalanced.x12: ST*835*0001 (segments 3-18): segment 13: claim 'C2001' "
                                "does not balance")
    assert "difference 50.00" in bad.error
    assert good.error is None and good.frames["remits"]["patient_control_number"].to_list() == ["C2002"]


def test_lenient_balance_loads_with_a_warning(monkeypatch):
    monkeypatch.setenv("DENIALS_X12_LENIENT", "balance")
    bad = list(read_x12(FIXTURES / "bad_unbalanced.x12", mapping=Mapping()))[0]
    assert bad.error is None and bad.extras["warning_balance"] == 2      # the claim and its line
    assert bad.frames["remits"]["claim_charge"].to_list() == ["300"]


def test_se_count_quarantines_only_that_transaction():
    bad, good = read(FIXTURES / "bad_se_count.x12")
    assert bad.frames == {} and bad.rows_read == 4     # claim, line, CAS and the payment (BPR)
    assert "segment 18: SE01 says 14 segments but the transaction has 16" in bad.error
    assert good.error is None and good.extras["claims"] == 1
    lenient = read(FIXTURES / "bad_se_count.x12", lenient="se_count")
    assert [b.error for b in lenient] == [None, None]


def test_envelope_count_mismatch_is_a_warning():
    (b,) = read(FIXTURES / "bad_envelope_counts.x12")
    assert b.error is None
    assert b.extras["warning_ge_count"] == 1 and b.extras["warning_iea_count"] == 1


def test_truncated_file():
    (b,) = read(FIXTURES / "bad_truncated.x12")
    assert b.frames == {}
    assert b.error.startswith("bad_truncated.x12: ST*835*0001 (segments 3-37): segment 37: the file ends inside "
                              "this transaction (no SE: the file is truncated)")
    assert b.rows_read == 12                      # 2 claims, 3 lines, 5 CAS, 1 remark, 1 payment (BPR)


def test_garbage_inside_a_transaction():
    bad, good = read(FIXTURES / "bad_garbage.x12")
    assert bad.frames == {} and "segment 16: binary data or control characters" in bad.error
    assert good.error is None and good.extras["claims"] == 1


@pytest.mark.parametrize("name", ["bad_not_x12.csv", "bad_binary.bin"])
def test_not_x12(name):
    (b,) = read(FIXTURES / name)
    assert b.unit == "file" and b.frames == {} and b.rows_read == 1
    assert b.error.startswith(f"{name}: not an X12 file")


def test_two_interchanges_with_other_separators():
    bs = read(FIXTURES / "two_interchanges.x12")
    assert [b.error for b in bs] == [None, None]
    assert [b.unit for b in bs] == ["ST*835*0001 (segments 3-18)", "ST*835*0001 (segments 23-38)"]
    for b in bs:
        assert b.frames["remit_lines"]["procedure_code"].to_list() == ["99212"]
        assert b.frames["remit_adjustments"].select("group_code", "carc", "amount").rows() == [("CO", "45", "20")]
    assert invalid(bs) == {}


def test_all_good_fixtures_validate():
    for name in ("835_era1.x12", "835_era2.x12", "835_era1_resent.x12", "two_interchanges.x12"):
        assert invalid(read(FIXTURES / name, mapping=example_mapping())) == {}, name


def test_data_argument_and_no_envelope():
    text = (FIXTURES / "835_era2.x12").read_text()
    body = text[text.index("ST*835"):text.index("GE*")]
    bs = read("inline.835", data=("\ufeff  \n" + body).encode("utf-8"))
    assert [b.error for b in bs] == [None]
    assert bs[0].unit == "ST*835*0001 (segments 1-32)"
    assert frames(bs, "remits")["claim_paid"].to_list() == ["-110", "120", "160", "80"]
