"""Consecutive 835 transactions are read in one columnar pass (etl.x12.r835.read_835_many) and
cut back per transaction. These tests pin that the grouping changes nothing a reader of the
Batches can see: the same Batches, one per transaction, as reading each transaction alone, with
quarantine per transaction and the row accounting intact. (Speed itself is measured by
scripts/bench_x12.py, never asserted here.)"""
from __future__ import annotations

import sys

import polars as pl
import pytest

import etl.x12 as x12
from etl.batch import Batch
from etl.mapping import Mapping
from test_x12_support import FIXTURES, ROOT, SAMPLES, read

sys.path.insert(0, str(ROOT / "scripts"))
from bench_x12 import generate_835  # noqa: E402


def same(a: list[Batch], b: list[Batch]) -> None:
    assert [x.unit for x in a] == [y.unit for y in b]
    for x, y in zip(a, b):
        assert (x.unit, x.error, x.rows_read, x.extras) == (y.unit, y.error, y.rows_read, y.extras)
        assert list(x.frames) == list(y.frames), x.unit
        for k in x.frames:
            assert x.frames[k].schema == y.frames[k].schema, (x.unit, k)
            assert x.frames[k].equals(y.frames[k]), (x.unit, k)


def one_by_one(monkeypatch, name: str, data: bytes, **kw) -> list[Batch]:
    """Every transaction read on its own (a group never holds more than one)."""
    with monkeypatch.context() as m:
        m.setattr(x12, "GROUP_SEGMENTS", 1)
        return read(name, data=data, **kw)


def spoil(data: bytes, control: str, old: bytes, new: bytes) -> bytes:
    """Replace the first `old` inside the transaction with ST02 `control`."""
    st = data.index(b"ST*835*" + control.encode() + b"~")
    i = data.index(old, st)
    return data[:i] + new + data[i + len(old):]


def many_small(claims: int = 400, per: int = 7) -> bytes:
    return generate_835(claims, per_transaction=per)


def test_many_small_transactions_group_like_one_by_one(monkeypatch):
    data = many_small()
    grouped = read("gen.835", data=data)
    assert len(grouped) == 58 and all(b.error is None for b in grouped)
    assert [b.extras["transactions"] for b in grouped] == [1] * 58
    same(grouped, one_by_one(monkeypatch, "gen.835", data))
    assert sum(b.extras["claims"] for b in grouped) == 400


def test_claim_numbers_restart_in_each_transaction_of_a_group():
    bs = read("gen.835", data=many_small(30, 7))
    for b in bs:
        ids = b.frames["remits"]["remit_claim_id"].to_list()
        control = b.unit.split("*")[2].split()[0]
        assert [i.split(":")[1:] for i in ids] == [[control, str(n)] for n in range(1, len(ids) + 1)]
        # every line, CAS and remark of the transaction points at one of its own claims
        for kind in ("remit_lines", "remit_adjustments", "remit_remarks"):
            if kind in b.frames:
                assert set(b.frames[kind]["remit_claim_id"].to_list()) <= set(ids), (b.unit, kind)


@pytest.mark.parametrize("bad", [
    (b"CAS*CO*45*", b"CAS*CO*45*1"),          # a CAS amount off: the claim and its line do not balance
    (b"SE*", b"SE*9"),                        # SE01 wrong
    (b"DTM*232*", b"D\x01M*232*"),            # garbage segment
    (b"CLP*", b"CLP!"),                       # not a segment id
])
def test_one_bad_transaction_in_a_group_is_quarantined_alone(monkeypatch, bad):
    data = spoil(many_small(), "0004", *bad)
    grouped = read("gen.835", data=data)
    same(grouped, one_by_one(monkeypatch, "gen.835", data))
    errors = [b for b in grouped if b.error]
    assert [b.unit.split(" ")[0] for b in errors] == ["ST*835*0004"]
    assert errors[0].error.startswith("gen.835: ST*835*0004 (segments ")
    assert errors[0].rows_read >= 1 and errors[0].frames == {}
    good = [b for b in grouped if not b.error]
    # accounting: a loaded Batch's rows_read is exactly the rows of its frames (reference kinds aside)
    for b in good:
        assert b.rows_read == sum(f.height for k, f in b.frames.items() if k not in ("payers", "sites", "providers"))


def test_lenient_group_matches_one_by_one(monkeypatch):
    data = spoil(spoil(many_small(), "0002", b"CAS*CO*45*", b"CAS*CO*45*1"), "0005", b"SE*", b"SE*9")
    grouped = read("gen.835", data=data, lenient="all")
    same(grouped, one_by_one(monkeypatch, "gen.835", data, lenient="all"))
    assert all(b.error is None for b in grouped)
    assert grouped[1].extras["warning_balance"] == 2 and grouped[4].extras["warning_se_count"] == 1


def test_loops_do_not_cross_transactions(monkeypatch):
    """A transaction cut off inside a claim: the next transaction's leading CAS is stray in it,
    never an adjustment of the previous transaction's last claim."""
    data = many_small(60, 7)
    st = data.index(b"ST*835*0003~")
    data = data[:st] + b"ST*835*0099~CAS*CO*45*5~" + data[st:]      # a transaction without SE, then 0003
    grouped = read("gen.835", data=data)
    same(grouped, one_by_one(monkeypatch, "gen.835", data))
    cut = [b for b in grouped if b.unit.startswith("ST*835*0099")][0]
    assert "truncated" in cut.error or "cut off" in cut.error
    after = [b for b in grouped if b.unit.startswith("ST*835*0003")][0]
    assert after.error is None


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/x12-samples not present")
def test_samples_and_fixtures_glued_into_one_file(monkeypatch):
    """Transactions of every shape (4010, `|` elements, BOM, masked, PLB, MIA/MOA, other
    separators) one after another: groups break where the separators change."""
    parts = sorted((SAMPLES / "835").glob("*")) + sorted(FIXTURES.glob("835_*.x12"))
    data = b"\n".join(p.read_bytes() for p in parts)
    for lenient in ("", "all"):
        grouped = read("glued.835", data=data, lenient=lenient)
        same(grouped, one_by_one(monkeypatch, "glued.835", data, lenient=lenient))
    assert len(grouped) >= 25


def test_a_failing_group_is_read_one_by_one(monkeypatch):
    data = many_small(60, 7)
    expected = read("gen.835", data=data)

    def boom(*_a, **_k):
        raise RuntimeError("grouped read failed")

    monkeypatch.setattr(x12, "read_835_many", boom)
    same(read("gen.835", data=data), expected)


def test_a_big_transaction_is_read_alone(monkeypatch):
    monkeypatch.setattr(x12, "GROUP_SEGMENTS", 500)
    data = generate_835(120, per_transaction=60)          # two transactions of about 1,000 segments
    bs = read("gen.835", data=data)
    assert [b.extras["claims"] for b in bs] == [60, 60] and all(b.error is None for b in bs)
    monkeypatch.setattr(x12, "GROUP_SEGMENTS", 1 << 30)
    same(read("gen.835", data=data), bs)


def test_frames_are_plain_polars_frames():
    b = read("gen.835", data=many_small(30, 7))[2]
    assert isinstance(b.frames["remits"], pl.DataFrame) and b.frames["remits"]["_row"].dtype == pl.Int64
    assert b.frames["payers"].height == 1


def test_segment_id_check_stays_inside_its_transaction(monkeypatch):
    """A wrong segment id quarantines its own transaction, never the others read in the same group:
    grouped reading gives what reading each transaction alone gives. A 3-letter id runs to the
    separator ('REF56R*' is not REF)."""
    data = spoil(many_small(), "0002", b"DTM*232*", b"D!M*232*")
    data = spoil(data, "0004", b"REF*6R*", b"REF56R*")
    grouped = read("gen.835", data=data)
    same(grouped, one_by_one(monkeypatch, "gen.835", data))
    errors = [b for b in grouped if b.error]
    assert [b.unit.split(" ")[0] for b in errors] == ["ST*835*0002", "ST*835*0004"]
    assert "not an X12 segment: its segment id 'D!M' is not" in errors[0].error
    assert "not an X12 segment: it starts with 'REF' followed by a digit instead of" in errors[1].error


def test_groups_read_by_threads_come_out_in_file_order(monkeypatch):
    """Groups are read by READ_THREADS worker threads while the tokenizer goes on: the Batches,
    837s and a non-835 between them included, are exactly those of one thread, in file order."""
    parts = [many_small(90, 7), (FIXTURES / "837p_batch1.x12").read_bytes(), many_small(45, 4)]
    data = b"\n".join(parts)
    monkeypatch.setattr(x12, "GROUP_SEGMENTS", 300)       # many small groups in flight
    by_thread = {}
    for n in (1, 2, 3):
        monkeypatch.setattr(x12, "READ_THREADS", n)
        by_thread[n] = read("mixed.x12", data=data)
    same(by_thread[2], by_thread[1])
    same(by_thread[3], by_thread[1])
    units = [b.unit.split(" ")[0] for b in by_thread[1]]
    assert units.count("ST*837*0001") == 1 and len(units) == 13 + 1 + 12
    assert units.index("ST*837*0001") == 13                   # between the two 835 runs, as in the file


def test_a_reader_that_stops_early_leaves_no_thread_behind(monkeypatch):
    import threading
    monkeypatch.setattr(x12, "GROUP_SEGMENTS", 300)
    monkeypatch.setattr(x12, "READ_THREADS", 2)
    gen = x12.read_x12("gen.835", data=many_small(200, 7), mapping=Mapping(), lenient="")
    first = next(gen)
    assert first.error is None and first.extras["claims"] == 7
    gen.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("x12-835")]
