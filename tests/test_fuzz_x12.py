"""Hostile X12 input (issue 8): whatever bytes arrive under an .835/.837 name, the reader and the full
loader end every file as loaded, duplicate or quarantined rows with a reason — never a crash, a
hang or a silently lost row.

Seeds: the hand-made fixtures (tests/fixtures/x12), the public samples (../shared/x12-samples) and
a generated balanced 835 (scripts/bench_x12.generate_835). Mutations: truncation, byte flips and
inserts, wrong separators, huge elements, deeply repeated loops, wrong encodings (UTF-16, UTF-32,
latin-1), zip/gzip bombs and binary files. Every example runs under a timeout (SIGALRM).

`make test` runs a few examples; `make fuzz FUZZ_EXAMPLES=3000` runs many more."""
from __future__ import annotations

import contextlib
import gzip
import io
import os
import re
import signal
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, ROOT, load

sys.path.insert(0, str(ROOT / "scripts"))
from bench_x12 import generate_835  # noqa: E402

from etl.mapping import Mapping  # noqa: E402
from etl.readers import read_file  # noqa: E402
from etl.x12.tokenizer import Transaction, walk  # noqa: E402

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
READ_TIMEOUT_S = 30           # one example through the reader (huge inputs are a few MB)
LOAD_TIMEOUT_S = 90           # one example through the whole loader (fresh warehouse, models, publish)
# The 835 reader costs ~10 ms per transaction set (polars queries per transaction; measured in
# docs/reliability.md): a file of thousands of tiny transactions is slow, not hung. The time limit
# grows with the number of transactions, and whole-ST repeats stop at 1,000 to keep examples quick.
PER_TRANSACTION_S = 0.05
MAX_ST_REPEAT = 1000
MAX_BYTES = 8_000_000          # a generated input never grows past this (the machine's memory, not the reader's limit)
SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "x12-samples"


def _seeds() -> list[tuple[str, bytes]]:
    seeds = [(p.name, p.read_bytes()) for p in sorted((FIXTURES / "x12").iterdir())
             if p.suffix in (".x12", ".bin", ".csv")]
    if SAMPLES.is_dir():
        seeds += [(p.name, p.read_bytes()) for p in sorted(SAMPLES.rglob("*"))
                  if p.is_file() and p.name != "SOURCES.md"]
    seeds.append(("generated.835", generate_835(40, per_transaction=15, seed=8)))
    return seeds


SEEDS = _seeds()
SEED_NAMES = [n for n, _ in SEEDS]


class Hang(BaseException):
    """Not an Exception: the reader's own `except Exception` (which quarantines a transaction a reader
    crashed on) must not swallow it."""


@contextlib.contextmanager
def time_limit(seconds: int):
    """Fail the example (as a hang) when it runs longer than `seconds`."""
    def on_alarm(signum, frame):
        raise Hang(f"no result after {seconds}s")
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def limit(base_s: int, data: bytes) -> int:
    """Seconds an example may take: a base plus a share per transaction set in the input."""
    transactions = len(re.findall(rb"(?:^|[~\n'])\s*ST[*|^]", data))
    return int(base_s + PER_TRANSACTION_S * transactions)


def _block(data: bytes, tag: bytes) -> tuple[int, int] | None:
    """(start, end) of the first `tag` loop (e.g. CLP..next CLP or SE), in bytes."""
    m = re.search(rb"(^|[~\n'])\s*" + tag + rb"[*|^]", data)
    if not m:
        return None
    start = m.end() - len(tag) - 1
    nxt = re.search(rb"[~\n']\s*(" + tag + rb"|SE)[*|^]", data[start + 1:])
    if not nxt:
        return None
    return start, start + 1 + nxt.start() + 1


@st.composite
def hostile(draw) -> tuple[str, bytes]:
    """(file name, bytes): a seed put through 1-4 hostile mutations."""
    name, seed = draw(st.sampled_from(SEEDS))
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["truncate", "flip", "insert", "separator", "encoding", "huge", "repeat",
                                   "compress", "binary", "latin1_names", "drop_segment"]))
        if op == "truncate" and data:
            del data[draw(st.integers(0, len(data) - 1)):]
        elif op == "flip" and data:
            for _ in range(draw(st.integers(1, 8))):
                data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        elif op == "insert":
            i = draw(st.integers(0, len(data)))
            data[i:i] = draw(st.binary(min_size=1, max_size=40))
        elif op == "separator":
            old = draw(st.sampled_from([b"*", b"~", b":", b"^", b"\n"]))
            new = draw(st.sampled_from([b"|", b"~", b"*", b"\n", b"", b"\r\n", b"\x1d", b",", b"~~"]))
            data = bytearray(bytes(data).replace(old, new))
        elif op == "encoding":
            text = bytes(data).decode("latin-1")
            data = bytearray(text.encode(draw(st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "utf-32",
                                                                "utf-8-sig", "cp500"]))))
        elif op == "huge":
            stars = [m.end() for m in re.finditer(rb"[*|]", bytes(data))] or [len(data)]
            i = draw(st.sampled_from(stars))
            size = draw(st.sampled_from([1_000, 70_000, 1_100_000, 3_000_000]))
            data[i:i] = draw(st.sampled_from([b"9", b"A", b"\xe9", b" "])) * min(size, max(0, MAX_BYTES - len(data)))
        elif op == "repeat":
            tag = draw(st.sampled_from([b"CLP", b"CLM", b"SVC", b"CAS", b"LX", b"HL", b"ST"]))
            span = _block(bytes(data), tag)
            if span:
                a, b = span
                most = MAX_ST_REPEAT if tag == b"ST" else 3000
                times = min(draw(st.integers(2, most)), max(2, MAX_BYTES // max(1, b - a)))
                data[a:b] = data[a:b] * times
        elif op == "compress":
            kind = draw(st.sampled_from(["gzip", "zip", "bomb"]))
            if kind == "gzip":
                data = bytearray(gzip.compress(bytes(data)))
            else:
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                    z.writestr("remit.835", bytes(data) if kind == "zip" else b"\0" * 30_000_000)
                data = bytearray(buf.getvalue())
        elif op == "binary":
            data = bytearray(draw(st.sampled_from([b"\x7fELF\x02\x01\x01", b"\x89PNG\r\n\x1a\n", b"%PDF-1.7\n",
                                                    b"ISA*", b"ST*835*1~", b""]))
                             + draw(st.binary(min_size=0, max_size=2000)))
        elif op == "latin1_names":
            data = bytearray(re.sub(rb"(NM1[*|^][^*|^]*[*|^][^*|^]*[*|^])", lambda m: m.group(1) + b"M\xfcLLER\xe9", bytes(data)))
        elif op == "drop_segment":
            segs = bytes(data).split(b"~")
            if len(segs) > 2:
                del segs[draw(st.integers(0, len(segs) - 1))]
                data = bytearray(b"~".join(segs))
    ext = draw(st.sampled_from([".835", ".837", ".x12", ".txt"]))
    return Path(name).stem + ext, bytes(data)


def _count(tx: Transaction, tag: str) -> int:
    es = tx.delims.element
    return sum(1 for s in tx.segments.to_list() if s.startswith(tag + es))


def check_reader(path: Path) -> None:
    """The loader's reader dispatch on one file: batches, each loaded or quarantined with its reason,
    and a transaction that loads keeps every claim it holds."""
    head = path.read_bytes()[:4096]
    batches = list(read_file(path, head, Mapping()))
    assert batches, "a file gives at least one batch"
    for b in batches:
        if b.error:
            assert b.frames == {} and b.rows_read >= 1
            assert path.name in b.error, b.error
            # a reader that raised on odd data is a bug even though the transaction is quarantined
            assert "could not be read (" not in b.error, b.error
            assert "reading stopped (" not in b.error, b.error
        else:
            assert b.frames, f"{b.unit}: neither rows nor a reason"
            assert b.rows_read == sum(f.height for k, f in b.frames.items()
                                      if k not in ("payers", "sites", "providers")), b.unit
    # no silent loss inside a transaction that loads: one claim row per CLP (835) / CLM (837)
    loaded = {b.unit: b for b in batches if not b.error}
    if loaded:
        for tx in walk(path):
            if not isinstance(tx, Transaction) or tx.unit not in loaded:
                continue
            frames = loaded[tx.unit].frames
            rows = {k: f.height for k, f in frames.items()}
            if tx.st_id == "835":
                assert rows.get("remits", 0) == _count(tx, "CLP"), (tx.unit, rows)
            elif tx.st_id == "837":
                assert rows.get("claims", 0) == _count(tx, "CLM"), (tx.unit, rows)


def check_load(db: Path, path: Path) -> None:
    """The whole loader on one file: every row read is loaded, a duplicate or quarantined with a
    reason, and the ledger agrees."""
    from warehouse.quality import load_history, quarantined
    from warehouse.store import open_snapshot
    s = load(db, path)
    (f,) = s.files
    assert f.rows_read >= 1
    assert f.rows_read == f.loaded + f.duplicates + f.quarantined, f
    con, _ = open_snapshot(db)
    try:
        q = quarantined(con, load_id=s.load_id, limit=100_000)
        if f.quarantined:
            mine = q.filter(q["path"] == str(path))
            assert mine.height >= 1 and mine["message"].str.len_chars().min() > 0, "quarantined without a reason"
        hist = load_history(con)
        row = hist.filter(hist["load_id"] == s.load_id).row(0, named=True)
        assert (row["rows_read"], row["rows_loaded"], row["duplicates"], row["quarantined"]) == \
               (f.rows_read, f.loaded, f.duplicates, f.quarantined)
    finally:
        con.close()


_SETTINGS = dict(deadline=None, derandomize=False, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.large_base_example, HealthCheck.function_scoped_fixture])


@settings(max_examples=EXAMPLES, **_SETTINGS)
@given(case=hostile())
def test_reader_accounts_for_every_transaction(case):
    name, data = case
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / name
        path.write_bytes(data)
        with time_limit(limit(READ_TIMEOUT_S, data)):
            check_reader(path)


@settings(max_examples=max(EXAMPLES // 5, 6), **_SETTINGS)
@given(case=hostile())
def test_full_load_accounts_for_every_row(case):
    name, data = case
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / name
        path.write_bytes(data)
        with time_limit(limit(LOAD_TIMEOUT_S, data)):
            check_load(Path(d) / "w.duckdb", path)


@pytest.mark.parametrize("name", SEED_NAMES)
def test_every_seed_reads_cleanly(name):
    """The unmutated seeds themselves (so a mutation finding is never a seed finding)."""
    data = dict(SEEDS)[name]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / name
        path.write_bytes(data)
        with time_limit(READ_TIMEOUT_S):
            check_reader(path)


def _zip(payload: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("x.835", payload)
    return buf.getvalue()


def test_bombs_and_binaries_under_x12_names_are_quarantined(tmp_path):
    era = (FIXTURES / "x12" / "835_era1.x12").read_bytes()
    files = {
        "gz.835": gzip.compress(era + b"\0" * 20_000_000),
        "bomb.835": _zip(b"\0" * 50_000_000),
        "photo.835": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 50,
        "utf16.835": era.decode("latin-1").encode("utf-16"),
        "empty.835": b"",
    }
    for n, b in files.items():
        (tmp_path / n).write_bytes(b)
    s = load(tmp_path / "w.duckdb", *(tmp_path / n for n in files))
    for f in s.files:
        assert f.rows_read == f.loaded + f.duplicates + f.quarantined >= 1, f
        assert f.loaded == 0, f
    assert s.total("quarantined") == len(files)
