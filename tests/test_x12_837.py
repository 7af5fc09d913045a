"""837P/837I reader on the hand-made fixtures, and the 277CA reader."""
from __future__ import annotations

import polars as pl

from test_x12_support import FIXTURES, example_mapping, invalid, read


def rows(df: pl.DataFrame, *cols: str) -> list[tuple]:
    return df.select(cols).rows()


def test_batch1_claims():
    (b,) = read(FIXTURES / "837p_batch1.x12")
    assert b.error is None and b.unit == "ST*837*0001 (segments 3-93)"
    assert b.extras["claims"] == 6 and b.extras["lines"] == 8
    c = b.frames["claims"]
    assert rows(c, "claim_id", "patient_control_number", "frequency_code", "total_charge", "place_of_service",
                "rendering_npi") == [
        ("C1001", "C1001", "1", "400", "11", "1234567893"),
        ("C1002", "C1002", "1", "200", "11", "1234567893"),
        ("C1003", "C1003", "1", "300", "11", "1111111111"),      # no rendering loop: the billing provider
        ("C1004", "C1004", "1", "150", "11", "1234567893"),
        ("C1005", "C1005", "1", "2000", "22", "1234567893"),
        ("C1006", "C1006", "1", "150", "11", "1234567890"),
    ]
    assert set(c["submitted_date"].to_list()) == {"2024-01-10"}             # BHT04
    assert set(c["claim_type"].to_list()) == {"professional"}
    assert set(c["billing_npi"].to_list()) == {"1111111111"}
    assert set(c["payer_id"].to_list()) == {"87726"}
    assert c["service_date_from"].to_list() == ["2024-01-05", "2024-01-06", "2024-01-08", "2024-01-09",
                                                "2024-01-10", "2024-01-11"]
    assert c["prior_auth_number"].to_list() == [None, None, None, None, "AUTH555", None]
    assert c["patient_id"][0] == "M123456789|DOE|JANE|19800101"
    assert c["member_id"][0] == "M123456789"
    assert c["type_of_bill"].null_count() == 6
    assert c["_row"].to_list() == [19, 34, 46, 59, 71, 87]                   # the CLM segments
    lines = b.frames["claim_lines"]
    assert rows(lines, "claim_id", "line_number", "procedure_code", "modifier_1", "units", "line_charge") == [
        ("C1001", "1", "99213", None, "1", "150"), ("C1001", "2", "20610", "RT", "1", "250"),
        ("C1002", "1", "73630", None, "1", "200"),
        ("C1003", "1", "99214", None, "1", "180"), ("C1003", "2", "97110", "GP", "2", "120"),
        ("C1004", "1", "99213", None, "1", "150"), ("C1005", "1", "29881", "RT", "1", "2000"),
        ("C1006", "1", "99213", None, "1", "150")]
    assert lines.select(pl.col("line_charge").cast(pl.Float64).sum()).item() == 3200.0
    assert invalid([b]) == {}


def test_batch1_reference_rows_unmapped_and_mapped():
    (b,) = read(FIXTURES / "837p_batch1.x12")
    assert rows(b.frames["sites"], "site_id", "site_name", "state", "billing_npi", "tin", "unmapped") == [
        ("NPI-1111111111", "SUNRISE ORTHOPEDICS", "IL", "1111111111", "123456789", "true")]
    assert b.extras["unmapped_sites"] == 1 and b.extras["unmapped_payers"] == 1
    assert set(b.frames["claims"]["site_id"].to_list()) == {"NPI-1111111111"}
    prov = b.frames["providers"]
    assert rows(prov, "provider_npi", "provider_name", "specialty") == [
        ("1234567893", "BONE, ALICE", "orthopedics"), ("1111111111", "SUNRISE ORTHOPEDICS", "orthopedics"),
        ("1234567890", "KNEE, KARL", "unknown")]
    (m,) = read(FIXTURES / "837p_batch1.x12", mapping=example_mapping())
    assert m.frames["claims"]["site_id"].to_list() == ["ORTHO-N"] * 4 + ["ORTHO-S", "ORTHO-N"]
    assert rows(m.frames["sites"], "site_id", "site_name", "billing_npi", "unmapped") == [
        ("ORTHO-N", "Sunrise Orthopedics North", None, "false"), ("ORTHO-S", "Sunrise Surgery Center South", None,
                                                                  "false")]
    assert set(m.frames["claims"]["payer_id"].to_list()) == {"UHC"}
    assert m.extras["unmapped_sites"] == 0 and m.extras["unmapped_payers"] == 0
    assert invalid([m]) == {}


def test_names_stay_out_of_everything_but_patient_id():
    (b,) = read(FIXTURES / "837p_batch1.x12")
    c = b.frames["claims"].drop("patient_id")
    text = " ".join(str(v) for row in c.rows() for v in row)
    for name in ("JANE", "RICHARD", "EDGAR", "LISA", "HANK"):
        assert name not in text


def test_corrected_claim():
    (b,) = read(FIXTURES / "837p_corrected.x12")
    c = b.frames["claims"]
    assert rows(c, "claim_id", "patient_control_number", "frequency_code", "original_claim_id", "prior_auth_number",
                "submitted_date") == [("C1002", "C1002", "7", "UHC0000002", "AUTH778", "2024-02-15")]


def test_replacement_in_the_same_file_gets_a_suffixed_id():
    batch = (FIXTURES / "837p_batch1.x12").read_text()
    corrected = (FIXTURES / "837p_corrected.x12").read_text()
    both = batch + corrected          # two interchanges in one file: the original, then the replacement
    bs = read("two.837", data=both.encode())
    ids = [cid for b in bs for cid in b.frames["claims"]["claim_id"].to_list()]
    assert ids[-1] == "C1002~7~2024-02-15" and ids[:6] == ["C1001", "C1002", "C1003", "C1004", "C1005", "C1006"]
    assert bs[1].frames["claims"]["patient_control_number"].to_list() == ["C1002"]


def test_institutional():
    (b,) = read(FIXTURES / "837i_hospital.x12", mapping=example_mapping())
    c = b.frames["claims"]
    assert rows(c, "claim_id", "claim_type", "type_of_bill", "place_of_service", "rendering_npi", "billing_npi",
                "payer_id", "site_id", "service_date_from", "service_date_to", "total_charge") == [
        ("H2001", "institutional", "131", None, "1999999984", "3333333333", "MEDICARE", "HOSP", "2024-01-15",
         "2024-01-15", "550")]
    assert rows(b.frames["claim_lines"], "line_number", "revenue_code", "procedure_code", "line_charge") == [
        ("1", "0450", "99284", "500"), ("2", "0300", "85025", "50")]
    assert rows(b.frames["providers"], "provider_npi", "provider_name", "specialty", "site_id") == [
        ("1999999984", "HART, HENRY", "cardiology", "HOSP")]
    assert invalid([b]) == {}


def test_institutional_line_with_a_revenue_code_alone():
    """Room and board (SV2*0120 with no HCPCS, 3 days): the line has its revenue code and no procedure
    code, and validates (the contract needs one of the two)."""
    text = (FIXTURES / "837i_hospital.x12").read_text()
    text = text.replace("SV2*0300*HC:85025*50*UN*1~", "SV2*0120**1500*DA*3~").replace("CLM*H2001*550*", "CLM*H2001*2000*")
    (b,) = read("room.837", data=text.encode(), mapping=example_mapping())
    assert rows(b.frames["claim_lines"], "line_number", "revenue_code", "procedure_code", "units", "line_charge") == [
        ("1", "0450", "99284", "1", "500"), ("2", "0120", None, "3", "1500")]
    assert b.frames["claims"]["total_charge"].to_list() == ["2000"]
    assert invalid([b]) == {}


def test_277ca_rejection():
    (b,) = read(FIXTURES / "277ca_rejection.x12")
    assert b.error is None and b.unit == "ST*277*0001 (segments 3-34)"
    assert b.extras["claims"] == 2 and b.extras["rejected"] == 1 and b.extras["accepted"] == 1
    r = b.frames["rejections"]
    assert rows(r, "claim_id", "rejected_date", "status_code", "reason", "source", "_row") == [
        ("C1006", "2024-01-11", "A7:562", "INVALID RENDERING PROVIDER NPI", "clearinghouse", 31)]
    assert invalid([b]) == {}


def test_277ca_reason_from_the_code_when_no_text():
    text = (FIXTURES / "277ca_rejection.x12").read_text().replace("********INVALID RENDERING PROVIDER NPI", "")
    text = text.replace("SE*32*0001", "SE*32*0001")
    (b,) = read("ack.277", data=text.encode())
    assert b.frames["rejections"]["reason"].to_list() == [
        "A7:562 entity's National Provider Identifier (NPI) (rendering provider), rejected for invalid information"]
