"""Readers: every input file becomes Batches of contract rows (all strings) — CSV/Parquet here,
X12 in etl/x12. The kind of a CSV/Parquet file is recognised from its header, never its name."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import polars as pl

from etl.batch import Batch
from etl.contract import KINDS, detect_kind

TABULAR_SUFFIXES = {".csv", ".txt", ".parquet", ".pq"}


def _x12():
    try:
        from etl import x12
        return x12
    except ImportError:       # the X12 readers are optional for tabular-only installs
        return None


def expand(paths) -> list[Path]:
    """Files named, and every file inside folders named (recursively, sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.is_file() and not q.name.startswith("."))
        else:
            out.append(p)
    return out


COMPRESSED = {b"\x1f\x8b": "gzip", b"PK\x03\x04": "zip", b"\x28\xb5\x2f\xfd": "zstd", b"BZh": "bzip2",
              b"\xfd7zXZ\x00": "xz", b"7z\xbc\xaf": "7z"}


def read_file(path: Path, head: bytes, mapping=None) -> Iterator[Batch]:
    """Batches of one file. `mapping` (etl.mapping.Mapping) names sites and payers met in X12 files."""
    for magic, name in COMPRESSED.items():
        if head.startswith(magic):
            yield _unknown(path, f"{name}-compressed file: unpack it and load the files inside "
                                 f"(compressed input is not opened, so a decompression bomb cannot exhaust memory)")
            return
    x12 = _x12()
    if x12 is not None and hasattr(x12, "is_x12") and x12.is_x12(head):
        yield from x12.read_x12(path, mapping=mapping)
        return
    if head.startswith(b"PAR1"):
        yield from _read_parquet(path)
        return
    yield from _read_csv(path, head)


def _unknown(path: Path, message: str, rows: int = 1) -> Batch:
    return Batch(str(path), "file", error=f"{path}: {message}", rows_read=rows)


def _frame_batch(path: Path, df: pl.DataFrame, first_row: int) -> Batch:
    header = [c.strip().lower() for c in df.columns]
    kind = detect_kind(header)
    if kind is None:
        need = "; ".join(f"{k}: {', '.join(sorted(c for c, col in KINDS[k].columns().items() if not col.nullable))}"
                         for k in KINDS)
        return _unknown(path, f"header {header[:8]} matches no input kind (required columns per kind — {need})",
                        max(df.height, 1))
    df = df.rename(dict(zip(df.columns, header)))
    known = [c for c in header if c in KINDS[kind].columns()]
    df = df.select([pl.col(c).cast(pl.String) for c in known]).with_row_index("_row", offset=first_row)
    return Batch(str(path), "file", {kind: df.with_columns(pl.col("_row").cast(pl.Int64))}, rows_read=df.height)


def _read_csv(path: Path, head: bytes) -> Iterator[Batch]:
    if b"\x00" in head:
        yield _unknown(path, "binary content: not a CSV, Parquet or X12 file")
        return
    try:
        df = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy", truncate_ragged_lines=False)
    except Exception as exc:   # noqa: BLE001 - any unreadable file is quarantined with the reason
        yield _unknown(path, f"cannot be read as CSV ({str(exc).splitlines()[0][:200]})")
        return
    yield _frame_batch(path, df, first_row=2)     # row 1 is the header


def _read_parquet(path: Path) -> Iterator[Batch]:
    try:
        df = pl.read_parquet(path)
    except Exception as exc:   # noqa: BLE001
        yield _unknown(path, f"cannot be read as Parquet ({str(exc).splitlines()[0][:200]})")
        return
    yield _frame_batch(path, df, first_row=1)
