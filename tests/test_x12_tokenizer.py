"""Tokenizer and envelope: sniffing, separators, positions, streaming, robustness."""
from __future__ import annotations

import sys
import time

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.x12 import is_x12, tokenizer
from etl.x12.tokenizer import Delimiters, parse_isa, sniff_delimiters, walk
from test_x12_support import FIXTURES, ROOT, read

sys.path.insert(0, str(ROOT / "scripts"))
from bench_x12 import generate_835  # noqa: E402

ISA = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00501*000000001*0*P*:~"


@pytest.mark.parametrize("head, expected", [
    (ISA.encode(), True),
    (b"\xef\xbb\xbf  \r\n" + ISA.encode(), True),
    (b"ST*835*0001~BPR*I*1*C*ACH~", True),
    (b"GS*HP*A*B*20240101*1200*1*X*005010X221A1~", True),
    (b"ISA|00|          |00|", True),
    (b"STATUS,CLAIM\n1,2", False),
    (b"claim_id,amount\n", False),
    (b"\x00\x01\x02ISA*00", False),
    (b"", False),
    (b"ISA*XX*", False),
])
def test_is_x12(head, expected):
    assert is_x12(head) is expected


def test_isa_separators_fixed_and_not_fixed_width():
    assert parse_isa(ISA) == Delimiters("*", ":", "~", "^")
    short = "ISA*00* *00* *ZZ*NVMED *ZZ*99999999*180613*1230*^*00501*100000300*0*P*:~GS*HP"
    assert parse_isa(short) == Delimiters("*", ":", "~", "^")
    four010 = "ISA|00|          |00|          |ZZ|A|ZZ|B|120323|1938|U|00401|000015442|1|P|^\n~GS|HP"
    assert parse_isa(four010) == Delimiters("|", "^", "~", None)          # "\n~": '~' ends segments
    newline = "ISA*00*          *00*          *ZZ*A*ZZ*B*120323*1938*^*00501*1*1*P*>\r\nGS*HP"
    assert parse_isa(newline) == Delimiters("*", ">", "\n", "^")
    assert isinstance(parse_isa("ISA*00*short"), str)
    assert sniff_delimiters("ST*835*0001~SVC*NU>0305*1*1~") == Delimiters("*", ">", "~", None)


def test_positions_count_segments_over_the_file():
    txs = list(walk(FIXTURES / "835_era1.x12"))
    assert [(t.start, t.end, t.control) for t in txs] == [(3, 63, "0001")]
    assert txs[0].segments[0].startswith("ST*835") and txs[0].segments[-1].startswith("SE*61")
    crlf = (FIXTURES / "835_era1.x12").read_bytes().replace(b"\n", b"\r\n    ")
    b = read("crlf.835", data=crlf)[0]
    assert b.unit == "ST*835*0001 (segments 3-63)" and b.error is None
    assert b.frames["remits"]["_row"].to_list() == [14, 29, 38, 49, 55]


def test_streaming_in_small_chunks_gives_the_same_rows(monkeypatch):
    data = generate_835(300, per_transaction=120)       # 3 transactions; > 4 KiB: the CSV fast path
    whole = read("gen.835", data=data)
    monkeypatch.setattr(tokenizer, "CHUNK", 777)        # chunks cut segments and transactions anywhere
    small = read("gen.835", data=data)
    assert [b.unit for b in whole] == [b.unit for b in small]
    assert len(whole) == 3 and all(b.error is None for b in whole)
    for a, b in zip(whole, small):
        assert a.frames.keys() == b.frames.keys()
        for k in a.frames:
            assert a.frames[k].equals(b.frames[k]), k
    assert sum(b.extras["claims"] for b in whole) == 300


def test_control_characters_as_separators():
    """Some translators use control characters as separators (here 0x1D, 0x1F, 0x1C)."""
    data = generate_835(200, per_transaction=100).decode()
    odd = data.replace("~\n", "~").replace("*", "\x1d").replace(":", "\x1f").replace("~", "\x1c").encode()
    assert is_x12(odd)
    a, b = read("gen.835", data=data.encode()), read("odd.835", data=odd)
    assert [x.error for x in b] == [None, None]
    for x, y in zip(a, b):
        for k in x.frames:
            assert x.frames[k].drop("remit_claim_id", strict=False).equals(y.frames[k].drop("remit_claim_id", strict=False))


def test_generated_file_balances_and_validates():
    from test_x12_support import invalid
    bs = read("gen.835", data=generate_835(500, per_transaction=250))
    assert [b.error for b in bs] == [None, None]
    assert invalid(bs) == {}


def test_a_long_run_without_terminator_is_garbage(monkeypatch):
    monkeypatch.setattr(tokenizer, "MAX_SEGMENT", 2000)
    monkeypatch.setattr(tokenizer, "CHUNK", 512)
    text = (FIXTURES / "bad_se_count.x12").read_text()
    cut = text.index("NM1*QC")
    data = text[:cut].encode() + b"\x00" * 9000 + b"~" + text[cut:].encode()
    bs = read("run.835", data=data)
    assert len(bs) == 2
    assert "without a segment terminator" in bs[0].error
    assert bs[1].error is None


def test_file_with_only_envelopes():
    data = (ISA + "GS*HP*A*B*20240101*1200*1*X*005010X221A1~GE*0*1~IEA*1*000000001~").encode()
    (b,) = read("empty.835", data=data)
    assert b.unit == "file" and "no transaction set" in b.error


def test_empty_file(tmp_path):
    p = tmp_path / "empty.x12"
    p.write_bytes(b"")
    (b,) = read(p)
    assert b.unit == "file" and b.error == "empty.x12: the file is empty"


def test_missing_file(tmp_path):
    (b,) = read(tmp_path / "nope.835")
    assert b.unit == "file" and "cannot be read" in b.error


def test_unsupported_transaction_set():
    data = (ISA + "GS*FA*A*B*20240101*1200*1*X*005010X231A1~ST*999*0001*005010X231A1~AK1*HC*1*005010X222A1~"
            "AK9*A*1*1*1~SE*4*0001~GE*1*1~IEA*1*000000001~").encode()
    (b,) = read("ack.999", data=data)
    assert b.frames == {} and "transaction set 999 is not read here" in b.error


GOOD = {name: (FIXTURES / name).read_bytes()
        for name in ("835_era1.x12", "837p_batch1.x12", "837i_hospital.x12", "277ca_rejection.x12")}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_corrupted_files_never_raise(data):
    """Cut, overwrite and insert random bytes anywhere: read_x12 yields batches, never raises,
    and no reader crashes on the odd data (a crash would be reported as 'could not be read')."""
    b = bytearray(GOOD[data.draw(st.sampled_from(sorted(GOOD)))])
    for _ in range(data.draw(st.integers(0, 4))):
        op = data.draw(st.sampled_from(["cut", "overwrite", "insert"]))
        at = data.draw(st.integers(0, max(0, len(b) - 1)))
        chunk = data.draw(st.binary(min_size=1, max_size=40))
        if op == "cut":
            del b[at:]
        elif op == "overwrite":
            b[at:at + len(chunk)] = chunk
        else:
            b[at:at] = chunk
    t0 = time.perf_counter()
    out = read("fuzz.835", data=bytes(b))
    assert time.perf_counter() - t0 < 5
    assert out, "at least one batch"
    for batch in out:
        assert batch.error is None or batch.frames == {}
        assert "could not be read" not in (batch.error or ""), batch.error
        assert batch.rows_read >= (1 if batch.error else 0)
        assert all(isinstance(k, str) and type(v) is int for k, v in batch.extras.items()), batch.extras
        for df in batch.frames.values():
            assert df.schema["_row"] == pl.Int64


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=3000))
def test_random_bytes_never_raise(blob):
    out = read("random.bin", data=blob)
    assert out and all(b.error or b.frames is not None for b in out)
