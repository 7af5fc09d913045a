"""Hostile tabular input: whatever bytes arrive, every file ends as loaded, duplicate or quarantined
rows with a reason — never a crash, a hang or a silently lost row. `make fuzz` runs many more
examples (FUZZ_EXAMPLES)."""
from __future__ import annotations

import gzip
import io
import os
import zipfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, load
from etl.readers import read_file
from etl.validate import validate

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
SEEDS = [(FIXTURES / "core" / n).read_bytes() for n in ("claims.csv", "remits.csv", "remit_adjustments.csv",
                                                        "claim_lines.csv", "appeals.csv")]


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["truncate", "flip", "insert", "separator", "encoding", "huge", "repeat", "binary"]))
        if op == "truncate" and data:
            del data[draw(st.integers(0, len(data) - 1)):]
        elif op == "flip" and data:
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
        elif op == "insert":
            i = draw(st.integers(0, len(data)))
            data[i:i] = draw(st.binary(min_size=1, max_size=20))
        elif op == "separator":
            data = bytearray(bytes(data).replace(b",", draw(st.sampled_from([b";", b"|", b"\t", b'"', b"\r"]))))
        elif op == "encoding":
            data = bytearray(bytes(data).decode("utf-8", "replace").encode(draw(st.sampled_from(["utf-16", "latin-1", "utf-8-sig"])), "replace"))
        elif op == "huge":
            i = draw(st.integers(0, len(data)))
            data[i:i] = b"9" * 200_000
        elif op == "repeat":
            lines = bytes(data).split(b"\n")
            data = bytearray(b"\n".join(lines[:2] + lines[1:2] * draw(st.integers(1, 3000)) + lines[2:]))
        elif op == "binary":
            data = bytearray(draw(st.binary(min_size=0, max_size=300)))
    return bytes(data)


def _accounted(path: Path) -> tuple[int, int]:
    """(rows read, rows good + quarantined) as the loader would count them, without a warehouse."""
    read = good_or_bad = 0
    head = path.read_bytes()[:4096]
    for batch in read_file(path, head):
        if batch.error:
            assert batch.rows_read >= 1 and str(path) in batch.error
            read += batch.rows_read
            good_or_bad += batch.rows_read
            continue
        for kind, frame in batch.frames.items():
            good, bad = validate(kind, frame, str(path))
            read += frame.height
            bad_rows = bad["row_number"].n_unique() if bad.height else 0
            assert good.height + bad_rows == frame.height
            good_or_bad += good.height + bad_rows
    return read, good_or_bad


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])
@given(data=mutated())
def test_reader_and_validator_account_for_every_row(tmp_path, data):
    path = tmp_path / "input.csv"
    path.write_bytes(data)
    read, accounted = _accounted(path)
    assert read == accounted


def test_compressed_and_binary_files_are_quarantined_not_opened(tmp_path):
    bomb = tmp_path / "claims.csv"
    bomb.write_bytes(gzip.compress(b"0" * 50_000_000))            # 50 MB of zeros in ~50 KB
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("claims.csv", b"claim_id\n" * 1_000_000)
    (tmp_path / "remits.835").write_bytes(buf.getvalue())
    (tmp_path / "photo.835").write_bytes(bytes(range(256)) * 100)
    s = load(tmp_path / "w.duckdb", bomb, tmp_path / "remits.835", tmp_path / "photo.835")
    assert s.total("quarantined") == 3 and s.total("loaded") == 0
    assert any("gzip-compressed" in m for m in s.messages) and any("zip-compressed" in m for m in s.messages)


@settings(max_examples=max(EXAMPLES // 6, 5), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=mutated())
def test_full_load_accounts_for_every_row(tmp_path_factory, data):
    d = tmp_path_factory.mktemp("fz")
    (d / "input.csv").write_bytes(data)
    s = load(d / "w.duckdb", d / "input.csv")
    for f in s.files:
        assert f.rows_read == f.loaded + f.duplicates + f.quarantined
