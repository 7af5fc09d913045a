"""The compiled 835 path (etl/x12/fast835.py, etl/x12/cut.py) gives exactly what the columnar
reference gives (r835's polars reader, the tokenizer's CSV/str.split cutting): the same rows, the
same findings, the same counts, on every public sample, every fixture, a generated file, a file
made of the 835's corner cases, and fuzzed variants of them. And it is really used: on the common
case it reads the group (a test that compared the reference with itself could not fail).
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from conftest import FIXTURES, ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from bench_x12 import generate_835  # noqa: E402

from etl.mapping import Mapping  # noqa: E402
from etl.x12 import cut, fast835, r835, tokenizer  # noqa: E402
from etl.x12.common import ReadContext  # noqa: E402
from etl.x12.tokenizer import Transaction, walk  # noqa: E402

SAMPLES = ROOT.parent / "shared" / "x12-samples"

# Every corner the compiled path handles itself: a claim's rendering NM1*82 after a QC, a PI and an
# XX one (the first XX wins); claim dates 232/233; a status written 04 (read 4) and 000 (read "");
# a line with REF*6R renumbering its claim's lines, one whose DTM*472 has no date (its DTM*150
# counts), modifiers and an original procedure (SVC06); a CAS with three triples, one with blanks
# around its code; MIA and MOA remarks, LQ*HE (kept) and LQ*RX (not a RARC list); a CAS outside any claim
# (a warning); a PLB; indentation and line breaks (layout). Balanced, to the cent.
CORNERS = """ISA*00*          *00*          *ZZ*PAYER          *ZZ*CLINIC         *240110*0900*^*00501*000000001*0*P*:~
GS*HP*PAYER*CLINIC*20240110*0900*1*X*005010X221A1~
ST*835*0001~
BPR*I*210.00*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20240110~
TRN*1*TRACE1*1512345678~
DTM*405*20240109~
N1*PR*ACME HEALTH*XV*60054~
REF*2U*60054~
N1*PE*CLINIC*XX*1234567893~
CAS*CO*45*1.00~
LX*1~
CLP*PCN1*04*300.00*150.00*30.00*12*PAYER1*11*1~
NM1*QC*1*DOE*JANE****MI*M1~
NM1*82*1*SMITH*ANN****PI*999~
NM1*82*1*SMITH*ANN****XX* 1234567893 ~
DTM*232*20240105~
DTM*233*20240106~
{mia}~
MOA***MA01*MA02~
SVC*HC:99213:25:59*200.00*100.00**1*HC:99214~
DTM*472*20240105~
REF*6R*2~
CAS*CO* 45 *70.00~
CAS*PR*1*20.00**2*10.00**3*0.00~
LQ*HE*N130~
LQ*RX*X~
SVC*HC:97110*100.00*50.00**2~
DTM*472~
DTM*150*20240106~
REF*6R*1~
CAS*CO*45*50.00~
CLP*PCN2*000*60.00*60.00*0.00*12*PAYER2~
  SVC*HC:81003*60.00*60.00**1~
  DTM*472*20240107~
PLB*1234567893*20241231*WO:ABC*-0.00~
SE*34*0001~
GE*1*1~
IEA*1*000000001~
""".replace("{mia}", "*".join(["MIA", "0", "", "", "N1"] + [""] * 15 + ["M2", "M3"]))


def _ctx(name: str) -> ReadContext:
    return ReadContext(file=name, name=name, mapping=Mapping(), hasher=lambda: "0123456789ab")


def _groups(data: bytes) -> list[list[Transaction]]:
    """The 835 transactions of a file as read_x12 groups them (same separators), and one by one."""
    txs = [u for u in walk("x.835", data) if isinstance(u, Transaction) and u.st_id == "835"]
    by_delims: dict = {}
    for t in txs:
        by_delims.setdefault(t.delims, []).append(t)
    return list(by_delims.values()) + [[t] for t in txs]


def _same(a, b) -> None:
    assert [(e.key, e.position, e.message) for e in a.errors] == [(e.key, e.position, e.message) for e in b.errors]
    assert [(e.key, e.position, e.message) for e in a.warnings] == [
        (e.key, e.position, e.message) for e in b.warnings]
    assert a.extras == b.extras
    assert a.frames.keys() == b.frames.keys()
    for kind in a.frames:
        assert_frame_equal(a.frames[kind], b.frames[kind])


def _copy(txs: list[Transaction]) -> list[Transaction]:
    return [dataclasses.replace(t, errors=list(t.errors), warnings=list(t.warnings)) for t in txs]


def compare(data: bytes, monkeypatch) -> int:
    """Read every group of the file both ways and check they agree; returns how many groups the
    compiled path read itself."""
    used = 0
    for group in _groups(data):
        compiled = fast835.read(_copy(group), _ctx("x.835"))
        with monkeypatch.context() as m:
            m.setattr(r835, "FAST", False)
            reference = r835.read_835_many(_copy(group), _ctx("x.835"))
        if compiled is None:
            continue
        used += 1
        assert len(compiled) == len(reference)
        for a, b in zip(compiled, reference):
            _same(a, b)
    return used


def _units(data: bytes) -> list:
    out = []
    for u in walk("x.x12", data):
        if isinstance(u, Transaction):
            out.append((u.st_id, u.control, u.start, u.end, u.delims, u.gs_date,
                        [(e.key, e.position, e.message) for e in u.errors],
                        [(e.key, e.position, e.message) for e in u.warnings], u.frame["s"].to_list()))
        else:
            out.append((type(u).__name__, repr(u)))
    return out


def compare_cutting(data: bytes, monkeypatch) -> None:
    """The tokenizer gives the same transactions with the compiled cutting and without it."""
    compiled = _units(data)
    with monkeypatch.context() as m:
        m.setattr(cut, "segments", lambda *a: None)
        general = _units(data)
    assert compiled == general


def _files() -> list[Path]:
    files = sorted(p for p in (FIXTURES / "x12").iterdir() if p.suffix == ".x12")
    if SAMPLES.is_dir():
        files += sorted(p for p in SAMPLES.rglob("*") if p.is_file() and p.name != "SOURCES.md")
    return files


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_compiled_and_reference_paths_agree_on_every_sample_and_fixture(path, monkeypatch):
    data = path.read_bytes()
    compare_cutting(data, monkeypatch)
    compare(data, monkeypatch)


def test_the_compiled_path_reads_the_common_case_and_agrees(monkeypatch):
    """A generated 835 and the corner-case file are read by the compiled path (every group), and
    give what the reference gives; the corner file's rows are checked by hand too."""
    generated = generate_835(300, per_transaction=40, seed=3)
    groups = _groups(generated)
    assert compare(generated, monkeypatch) == len(groups)
    compare_cutting(generated, monkeypatch)
    data = CORNERS.encode("ascii")
    assert compare(data, monkeypatch) == 2                       # the group and the transaction alone
    compare_cutting(data, monkeypatch)
    (res,) = fast835.read(_groups(data)[0], _ctx("x.835"))
    remits = res.frames["remits"]
    assert remits["claim_status"].to_list() == ["4", ""]
    assert remits["rendering_npi"].to_list() == ["1234567893", None]
    assert remits["service_date_from"].to_list() == ["2024-01-05", None]
    lines = res.frames["remit_lines"]
    # REF*6R numbers claim 1's lines 2 and 1; claim 2 has no REF*6R: its line is 1 (its order)
    assert lines["line_number"].to_list() == ["2", "1", "1"]
    assert lines["modifier_2"].to_list() == ["59", None, None]
    assert lines["original_procedure_code"].to_list() == ["99214", None, None]
    assert lines["service_date"].to_list() == ["2024-01-05", "2024-01-06", "2024-01-07"]
    adj = res.frames["remit_adjustments"]
    assert adj.select("line_number", "group_code", "carc", "amount").rows() == [
        ("2", "CO", "45", "70.00"), ("2", "PR", "1", "20.00"), ("2", "PR", "2", "10.00"), ("2", "PR", "3", "0.00"),
        ("1", "CO", "45", "50.00")]
    assert res.frames["remit_remarks"].select("line_number", "rarc").rows() == [
        (None, "M2"), (None, "M3"), (None, "MA01"), (None, "MA02"), ("2", "N130")]
    assert res.frames["provider_adjustments"]["reference"].to_list() == ["ABC"]
    assert [w.key for w in res.warnings] == ["stray"]
    assert remits["remit_claim_id"].to_list() == ["0123456789ab:0001:1", "0123456789ab:0001:2"]


@pytest.mark.parametrize("change", [
    ("HC:99213:25:59", "HC>99213>25>59"),       # a composite with another separator than the ISA's
    ("CAS*CO*45*50.00~", "CAS*CO*45*49.00~"),     # a line and a claim that do not balance
    ("ACME HEALTH", "ACMÉ HEALTH"),               # text that is not ASCII
    ("*50.00~", "*5.0E1~"),                       # an amount a float parser reads but is not plain
    ("LQ*RX*X~", "Lq*RX*X~"),                     # a malformed segment id
])
def test_what_the_compiled_path_leaves_to_the_reference_reads_the_same(change, monkeypatch):
    data = CORNERS.replace(*change).encode("utf-8")
    compare(data, monkeypatch)
    compare_cutting(data, monkeypatch)
    with monkeypatch.context() as m:
        m.setattr(r835, "FAST", False)
        reference = [r.extras | {"errors": [e.message for e in r.errors]} for r in
                     r835.read_835_many(_copy(_groups(data)[0]), _ctx("x.835"))]
    got = [r.extras | {"errors": [e.message for e in r.errors]} for r in
           r835.read_835_many(_copy(_groups(data)[0]), _ctx("x.835"))]
    assert got == reference


@pytest.mark.parametrize("spoilt, said", [
    ("CLP *PCN2", "it starts with 'CLP' followed by ' ' instead of the element separator '*'"),
    ("CLPX*PCN2", "it does not start with a segment id (2-3 upper-case letters and digits, then the element "
                  "separator)")])
def test_a_three_letter_segment_id_ends_at_the_separator(spoilt, said, monkeypatch):
    """'CLP ' or 'CLPX' is not CLP: both paths quarantine the transaction and name the segment (the
    32nd, counting ISA as 1). Hypothesis found 'CLP ' read as a claim by both: the id was checked on
    its first 3 characters only."""
    data = CORNERS.replace("CLP*PCN2", spoilt).encode()
    group = _groups(data)[0]
    assert fast835.read(_copy(group), _ctx("x.835")) is None          # left to the reference
    for fast in (True, False):
        with monkeypatch.context() as m:
            m.setattr(r835, "FAST", fast)
            (res,) = r835.read_835_many(_copy(group), _ctx("x.835"))
        # the position and at most the id: never the segment's elements (tests/test_x12_privacy.py)
        assert [e.message for e in res.errors] == [f"segment 32: not an X12 segment: {said}"]


@st.composite
def mutated(draw) -> bytes:
    """The corner file or a generated 835 with a few X12-shaped edits: characters the reader cares
    about (separators, digits, letters, blanks) inserted, deleted or replaced, and segments dropped
    or repeated."""
    base = draw(st.sampled_from([CORNERS.encode("ascii"), generate_835(12, per_transaction=5, seed=11)]))
    data = bytearray(base)
    alphabet = st.sampled_from(list(b"*~:^ 0123456789.-ACDEHLMNOPQRSTXVZ\n\t"))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "drop", "repeat"]))
        i = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "insert":
            data[i:i] = bytes([draw(alphabet)])
        elif op == "delete" and data:
            del data[i]
        elif op == "replace" and data:
            data[i] = draw(alphabet)
        else:
            segs = bytes(data).split(b"~")
            k = draw(st.integers(0, len(segs) - 1))
            if op == "drop":
                del segs[k]
            else:
                segs.insert(k, segs[k])
            data = bytearray(b"~".join(segs))
    return bytes(data)


@settings(max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=mutated())
def test_fuzzed_835s_read_the_same_both_ways(data, monkeypatch):
    try:
        groups = _groups(data)
    except Exception:          # the tokenizer itself is fuzzed in test_fuzz_x12; here only the readers
        return
    for group in groups:
        with monkeypatch.context() as m:
            m.setattr(r835, "FAST", False)
            try:
                reference = r835.read_835_many(_copy(group), _ctx("x.835"))
            except Exception:
                continue       # read_x12 quarantines such a group one transaction at a time
        compiled = fast835.read(_copy(group), _ctx("x.835"))
        if compiled is not None:
            for a, b in zip(compiled, reference):
                _same(a, b)
    compare_cutting(data, monkeypatch)


def test_the_tokenizer_uses_the_compiled_cutting(monkeypatch):
    """The compiled cutting is wired in (the comparisons above would pass if it never ran)."""
    data = generate_835(50, per_transaction=10, seed=5)
    calls = []
    real = cut.segments

    def spy(*a):
        out = real(*a)
        calls.append(out is not None)
        return out
    monkeypatch.setattr(cut, "segments", spy)
    assert sum(1 for u in walk("x.835", data) if isinstance(u, Transaction)) == 5
    assert calls and all(calls)
    assert tokenizer._compiled() is cut


def test_loading_csv_files_does_not_import_numba():
    """numba (~85 MB) is imported when X12 is read, not by the loader or the X12 package."""
    code = ("import sys; import etl.load, etl.readers, etl.x12; "
            "from etl.readers import read_file; print('numba' in sys.modules)")
    import subprocess
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
