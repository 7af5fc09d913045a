"""Every shared real-world sample (../shared/x12-samples) is read, or quarantined for the reason
pinned here. Values were checked by hand against the segments (docs/x12.md, "Shared samples")."""
from __future__ import annotations

import polars as pl
import pytest

from test_x12_support import SAMPLES, frames, invalid, read

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared X12 samples not available")

# file -> one entry per transaction: None (loads) or a piece of the quarantine message
OUTCOME: dict[str, list[str | None]] = {
    "835/affect__exhaustive_sample_masked.txt": [None],
    "835/affect__nevada_medicaid.txt": [None, None, None],
    "835/affect__sample_835.txt": ["segment 57: SE01 says 46 segments but the transaction has 55",
                                   "segment 163: SE01 says 96 segments but the transaction has 106"],
    "835/affect__sample_835_with_interests.txt": [
        "segment 57: SE01 says 46 segments but the transaction has 55",
        "segment 165: not an X12 segment: it does not start with a segment id"],
    "835/chs__test.835": ["segment 18: SE01 says 17 segments but the transaction has 16"],
    "835/keiron__blue_cross_nc_sample.txt": ["segment 32: SE01 says 33 segments but the transaction has 32"],
    "835/keiron__emedny_sample.txt": [None],
    "835/keiron__united_healthcare_legacy_sample.txt": [None],
    "835/lfh__cob-contractural-adjustment.835": [None],
    "835/lfh__managed-care.835": [None],
    "835/lfh__medicare-part-a.835": [None],
    "835/lfh__secondary-payment.835": [None],
    "835/lfh__tertiary-payment.835": ["segment 20: line 1 of claim '0001000054' does not balance"],
    "835/oopfactory__4010_835_DeIdent_02.dat": ["does not balance"] * 6,
    "835/oopfactory__5010_Example1.txt": [None],
    "835/pyx12__835_mult_loops.txt": [None],
    "835/tigershark__4010_835-example.txt": ["segment 49: SE01 says 43 segments but the transaction has 47"],
    "837/imsweb__x12_many_claims.txt": ["segment 11488: SE01 says 25 segments but the transaction has 11486"],
    "837/lfh__837I_institutional-claim.837i": [None],
    "837/lfh__837I_two-claims-single-provider.837i": [None],
    "837/lfh__837P_demo.ambulance.example5.837": [None],
    "837/lfh__837P_demo.cob.example3.A.837": [None],
    "837/lfh__837P_demo.example1.837": [None],
    "837/oopfactory__837I_5010_Spec_3.1.2_TwoClaimsForTheSameProvider.txt": [None],
    "837/oopfactory__837P_5010_Example1_HealthInsurance.txt": [None],
    "837/oopfactory__837P_5010_MedicaidExample.txt": [None],
}


def test_every_sample_is_pinned():
    found = sorted(str(p.relative_to(SAMPLES)) for p in SAMPLES.glob("*/*") if p.is_file())
    assert found == sorted(OUTCOME)


@pytest.mark.parametrize("name", sorted(OUTCOME))
def test_sample_outcome(name):
    bs = read(SAMPLES / name)
    assert len(bs) == len(OUTCOME[name]), [b.unit for b in bs]
    for b, expected in zip(bs, OUTCOME[name]):
        if expected is None:
            assert b.error is None, b.error
        else:
            assert b.error is not None and expected in b.error, b.error
            assert b.error.startswith(name.split("/")[1] + ": ST*")
            assert b.frames == {} and b.rows_read >= 1


# Rows a real file has that the contract rejects; the loader quarantines exactly these rows.
KNOWN_INVALID = {
    # masked placeholders: CARC 'XXX'/'X'/'XX', remark codes 'XXXX', '0000'...
    "835/affect__exhaustive_sample_masked.txt": {"remit_adjustments": {"carc|regex": 12},
                                                 "remit_remarks": {"rarc|regex": 11}},
    # the last segment is a bare "CLP*090909*22" with no amounts
    "835/oopfactory__5010_Example1.txt": {"remits": {"claim_charge|nullability": 1, "claim_paid|nullability": 1}},
}


@pytest.mark.parametrize("name", sorted(OUTCOME))
def test_sample_frames_validate(name):
    assert invalid(read(SAMPLES / name)) == KNOWN_INVALID.get(name, {})


def remit_summary(name: str, **kw) -> tuple:
    bs = read(SAMPLES / name, **kw)
    r = frames(bs, "remits")
    paid = round(r.select(pl.col("claim_paid").cast(pl.Float64, strict=False).sum()).item(), 2)
    charge = round(r.select(pl.col("claim_charge").cast(pl.Float64, strict=False).sum()).item(), 2)
    return (r.height, r["claim_status"].to_list(), paid, charge, frames(bs, "remit_lines").height,
            frames(bs, "remit_adjustments").height, frames(bs, "remit_remarks").height,
            frames(bs, "provider_adjustments").height)


@pytest.mark.parametrize("name, expected", [
    # claims, statuses, sum CLP04, sum CLP03, lines, CAS rows, remarks, PLB rows
    ("835/keiron__united_healthcare_legacy_sample.txt", (2, ["1", "1"], 349.99, 1157.52, 5, 7, 0, 0)),
    ("835/keiron__emedny_sample.txt", (3, ["1", "2", "2"], 45.75, 102.5, 10, 4, 2, 0)),
    ("835/lfh__managed-care.835", (2, ["1", "1"], 945.0, 2000.0, 2, 5, 0, 0)),
    ("835/lfh__medicare-part-a.835", (2, ["1", "1"], 149998.73, 226366.97, 0, 2, 1, 1)),
    ("835/lfh__secondary-payment.835", (2, ["2", "2"], 1222.0, 11075.14, 2, 5, 0, 0)),
    ("835/lfh__cob-contractural-adjustment.835", (1, ["2"], 34.0, 541.0, 1, 2, 0, 0)),
    ("835/affect__nevada_medicaid.txt", (3, ["4", "2", "4"], 0.0, 116465.04, 0, 5, 0, 6)),
    ("835/pyx12__835_mult_loops.txt", (1, ["4"], 0.0, 915.39, 3, 3, 3, 0)),
    ("835/oopfactory__5010_Example1.txt", (10, ["1", "4", "4", "2", "4", "1", "25", "22", "22", "22"], 5.75, 439.99,
                                           9, 21, 1, 1)),
])
def test_sample_remit_values(name, expected):
    assert remit_summary(name) == expected


@pytest.mark.parametrize("name, expected", [
    # read anyway in lenient mode (SE01 and balancing as warnings)
    ("835/affect__sample_835.txt", (6, ["2", "2", "1", "2", "2", "2"], 142.91, 867.0, 12, 16, 14, 2)),
    ("835/keiron__blue_cross_nc_sample.txt", (1, ["1"], 1922.86, 2100.0, 3, 3, 0, 0)),
    ("835/tigershark__4010_835-example.txt", (2, ["1", "1"], 12200.67, 23476.58, 2, 2, 2, 1)),
    ("835/chs__test.835", (1, ["1"], 1500.5, 2000.0, 2, 3, 0, 0)),
    ("835/oopfactory__4010_835_DeIdent_02.dat", (375, None, 529649.92, None, 1552, 2439, None, 1)),
])
def test_quarantined_samples_in_lenient_mode(name, expected):
    got = remit_summary(name, lenient="all")
    assert tuple(g if e is not None else None for g, e in zip(got, expected)) == expected


def test_uhc_legacy_details():
    bs = read(SAMPLES / "835/keiron__united_healthcare_legacy_sample.txt")
    r = frames(bs, "remits")
    assert r.select("patient_control_number", "payer_id", "trace_number", "remit_date", "payee_npi",
                    "service_date_from", "service_date_to").rows() == [
        ("001-18573-358", "87726", "1234567890", "2021-02-04", "1922164458", "2020-12-21", "2021-01-13"),
        ("001-18604-358", "87726", "1234567890", "2021-02-04", "1922164458", "2020-12-18", "2021-01-10")]
    lines = frames(bs, "remit_lines")
    # REF*6R values (800941258001 ...) are not line numbers 1..999: lines are numbered in order
    assert lines.select("line_number", "procedure_code", "units", "line_paid").rows() == [
        ("1", "B4152", "234", "88.92"), ("2", "B4152", "277", "0"), ("1", "B4154", "249", "204.18"),
        ("2", "B4034", "12", "27.84"), ("3", "B4154", "178", "29.05")]
    adj = frames(bs, "remit_adjustments")
    # CAS*PR*2*5.13**1*110: two reason/amount pairs on one segment
    assert adj.select("line_number", "group_code", "carc", "amount").rows()[-3:] == [
        ("3", "PR", "2", "5.13"), ("3", "PR", "1", "110"), ("3", "CO", "45", "184.32")]


def test_emedny_and_4010_and_reversals():
    e = read(SAMPLES / "835/keiron__emedny_sample.txt")
    rem = frames(e, "remit_remarks")
    assert rem.select("line_number", "rarc").rows() == [("3", "N206"), ("4", "N206")]
    ex = read(SAMPLES / "835/oopfactory__5010_Example1.txt")
    r = frames(ex, "remits")
    assert r.filter(pl.col("claim_status") == "22")["claim_paid"].to_list() == ["-42.58", "-86.76", None]
    adj = frames(ex, "remit_adjustments")
    assert adj.filter(pl.col("group_code") == "CR").select("carc", "amount").rows() == [
        ("18", "25.95"), ("141", "0"), ("42", "0"), ("22", "0"), ("22", "0"), ("42", "0")]
    plb = frames(ex, "provider_adjustments")
    assert plb.select("payee_npi", "reason_code", "reference", "amount", "remit_date").rows() == [
        ("123456", "CV", "9876514", "-1.27", "2004-03-15")]


def test_nevada_plb_only_transaction():
    bs = read(SAMPLES / "835/affect__nevada_medicaid.txt")
    assert bs[2].extras["claims"] == 0 and bs[2].extras["warning_iea_control"] == 1
    plb = bs[2].frames["provider_adjustments"]
    assert plb.select("reason_code", "reference", "amount").rows() == [
        ("CT", "888888888", "-1092.46"), ("CT", "888888888", "-719.81"), ("CS", "8888888888887", "-181.55"),
        ("CS", "8888888888887", "181.55"), ("CS", "8888888888888", "-130"), ("CS", "8888888888888", "130")]
    # no payer ID in N1*PR: the payer is keyed by its name
    assert set(frames(bs, "remits")["payer_id"].to_list()) == {"DIVISON OF HEALTH CARE FINANCING AND POLICY"}


def test_837_samples():
    inst = frames(read(SAMPLES / "837/lfh__837I_institutional-claim.837i"), "claims")
    assert inst.select("claim_id", "type_of_bill", "total_charge", "service_date_from", "submitted_date",
                       "payer_id", "rendering_npi").rows() == [
        ("756048Q", "141", "89.93", "1996-09-11", "1996-09-18", "00435", "9876540809")]   # NM1*71 has no NPI
    amb = read(SAMPLES / "837/lfh__837P_demo.ambulance.example5.837")
    assert frames(amb, "claim_lines").select("procedure_code", "modifier_1", "units", "line_charge").rows() == [
        ("A0427", "RH", "1.00", "700.00"), ("A0425", "RH", "21.00", "8.20"), ("A0422", "RH", "1.00", "46.00"),
        ("A0382", "RH", "1.00", "12.30")]
    cob = frames(read(SAMPLES / "837/lfh__837P_demo.cob.example3.A.837"), "claims")
    # the patient is TED (2010CA), not the other-payer subscriber JACK of loop 2330A
    assert cob.select("patient_id", "payer_id", "rendering_npi").rows() == [
        ("111223333|SMITH|TED|19730501", "999996666", "1999996666")]
    oop = read(SAMPLES / "837/oopfactory__837I_5010_Spec_3.1.2_TwoClaimsForTheSameProvider.txt")
    assert set(frames(oop, "claims")["claim_type"].to_list()) == {"institutional"}    # ST03 wins over GS08
    rng = frames(read(SAMPLES / "837/oopfactory__837P_5010_Example1_HealthInsurance.txt"), "claims")
    assert rng.select("service_date_from", "service_date_to").rows() == [("2006-10-03", "2006-10-25")]
    med = read(SAMPLES / "837/oopfactory__837P_5010_MedicaidExample.txt")
    assert med[0].extras["duplicate_claim_ids"] == 4
    assert frames(med, "claims")["place_of_service"].to_list() == ["99"] * 5
    ims = read(SAMPLES / "837/imsweb__x12_many_claims.txt", lenient="se_count")
    assert ims[0].extras["claims"] == 820 and ims[0].extras["lines"] == 820
