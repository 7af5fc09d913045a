"""Readers: every input file becomes Batches of contract rows (all strings) — CSV/Parquet here,
X12 in etl/x12. The kind of a CSV/Parquet file is recognised from its header, never its name."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Iterator

import polars as pl

from etl.batch import Batch
from etl.contract import KINDS, detect_kind, required_columns

TABULAR_SUFFIXES = {".csv", ".txt", ".parquet", ".pq"}


def _x12():
    try:
        from etl import x12
        return x12
    except ImportError:       # the X12 readers are optional for tabular-only installs
        return None


def expand(paths) -> list[Path]:
    """Files named, and every file inside folders named (recursively, sorted). A link to nothing inside
    a folder is listed too: the load reports it as unreadable instead of passing over it."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if (q.is_file() or (q.is_symlink() and not q.exists()))
                          and not q.name.startswith("."))
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


def _header(columns: list[str]) -> list[str]:
    """Column names as the contract writes them: `Claim ID`, ` CLAIM_ID ` and `claim-id` are claim_id."""
    return [re.sub(r"[\s\-]+", "_", c.strip().lower()) for c in columns]


def _twice(header: list[str]) -> str | None:
    """A header naming a column twice (polars renames the second `x_duplicated_0`): which to read is a
    guess. Only input-format column names are quoted: a file without a header has data in its first row."""
    names = {h for h in header if header.count(h) > 1} \
        | {h.rsplit("_duplicated_", 1)[0] for h in header if re.search(r"_duplicated_\d+$", h)}
    names.discard("")              # empty cells of a first row that is data (no header) are not names
    if not names:
        return None
    known = sorted(n for n in names if any(n in KINDS[k].columns() for k in KINDS))
    return (f"the header names {', '.join(known)} more than once" if known else
            "the first row names a column more than once") + ": which column to read is ambiguous"


def _no_kind(header: list[str]) -> str:
    """Why a header matches no input kind: the closest kind and the required columns it lacks."""
    present = set(header)
    overlap = {k: len(present & set(KINDS[k].columns())) for k in KINDS}
    best = max(KINDS, key=lambda k: (overlap[k], -len(required_columns(k) - present)))
    if overlap[best] >= 2:
        missing = sorted(required_columns(best) - present)
        return (f"header looks like {best} but lacks the required column(s) {', '.join(missing)} "
                "(docs/input-format.md)")
    need = "; ".join(f"{k}: {', '.join(sorted(required_columns(k)))}" for k in KINDS)
    # the first row is not quoted: in a file without a header it is data (a patient's row)
    return (f"the first row matches no input kind ({overlap[best]} of its {len(header)} names are input-format "
            f"columns; is the header missing?). Required columns per kind — {need}")


def _header_problem(header: list[str]) -> str | None:
    """Why a (normalised) header cannot be read as an input kind, or None: a column named twice, or no
    kind whose required columns it has."""
    return _twice(header) or (_no_kind(header) if detect_kind(header) is None else None)


def _frame_batch(path: Path, df: pl.DataFrame, first_row: int, rejected: list[dict] | None = None) -> Batch:
    header = _header(df.columns)
    if problem := _header_problem(header):
        return _unknown(path, problem, max(df.height + len(rejected or ()), 1))
    kind = detect_kind(header)
    df = df.rename(dict(zip(df.columns, header)))
    known = [c for c in header if c in KINDS[kind].columns()]
    df = df.select([pl.col(c).cast(pl.String) for c in known]).with_row_index("_row", offset=first_row)
    for r in rejected or ():
        r["kind"] = kind
    return Batch(str(path), "file", {kind: df.with_columns(pl.col("_row").cast(pl.Int64))}, rows_read=df.height,
                 rejected=rejected or [])


EMPTY = "the file is empty (not even a header): nothing to load; was the transfer cut short?"
NOT_UTF8 = re.compile("[\udc80-\udcff]")     # the bytes that are not UTF-8, kept as surrogates
ROWS_PER_BATCH = 200_000      # the slow path's rows per batch: a big file is never held whole as Python lists
csv.field_size_limit(16 << 20)  # a field may be long (16 MB); the module's default is 128 KB


def _read_csv(path: Path, head: bytes) -> Iterator[Batch]:
    if b"\x00" in head:
        yield _unknown(path, "binary content: not a CSV, Parquet or X12 file")
        return
    try:
        df = pl.read_csv(path, infer_schema=False, encoding="utf8", truncate_ragged_lines=False)
    except pl.exceptions.NoDataError:       # not even a header: said, as an empty X12 file is
        yield _unknown(path, EMPTY)
        return
    except Exception:   # noqa: BLE001 - not UTF-8, a row with more fields than the header, ...: row by row
        yield from _read_csv_rows(path)
        return
    yield _frame_batch(path, df, first_row=2)     # row 1 is the header


def _read_csv_rows(path: Path) -> Iterator[Batch]:
    """A CSV the fast reader refuses, read with Python's csv module, streamed in batches: a row with
    more fields than the header, or with bytes that are not UTF-8 (another encoding: two different ids
    would read alike), is quarantined alone with its row and field; the other rows are read as usual."""
    with open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
        records = csv.reader(text)     # blank lines too: a row of empty fields, as the fast reader counts them
        row = 1                                        # row 1 is the header
        lines_done = 1                                 # physical lines of the rows read (a quoted value may span lines)
        good, rows, rejected = [], [], []
        try:
            header = next(records, None)
            if header is None:
                yield _unknown(path, EMPTY)
                return
            problem = ("the header has bytes that are not UTF-8: save the file as UTF-8"
                       if NOT_UTF8.search(",".join(header)) else _header_problem(_header(header)))
            if problem:                        # said before the rows are read, as _frame_batch would say it
                yield _unknown(path, problem, max(sum(1 for _ in records), 1))
                return
            width = len(header)
            for rec in records:
                row += 1
                lines_done = records.line_num
                bad = next((h for h, v in zip(header, rec) if NOT_UTF8.search(v)), None)
                if len(rec) > width:
                    rejected.append({"row_number": row, "field": "row", "rule": "fields", "message": (
                        f"{path}, row {row}: {len(rec)} fields where the header has {width} (a value with a "
                        "comma must be in quotes)")})
                elif bad is not None:
                    field = _header([bad])[0]
                    rejected.append({"row_number": row, "field": field, "rule": "encoding", "message": (
                        f"{path}, row {row}, field {field}: bytes that are not UTF-8 (the file is in another "
                        "encoding; save it as UTF-8)")})
                else:
                    good.append(rec + [None] * (width - len(rec)))
                    rows.append(row)
                if len(good) + len(rejected) >= ROWS_PER_BATCH:
                    yield _rows_batch(path, header, good, rows, rejected)
                    good, rows, rejected = [], [], []
            if good or rejected or row == 1:
                yield _rows_batch(path, header, good, rows, rejected)
        except csv.Error as exc:               # e.g. an unclosed quote swallowing the rest of the file
            if good or rejected:               # the rows read before it stay accounted for
                yield _rows_batch(path, header, good, rows, rejected)
            # the rest of the file is one quarantined unit, counted as the lines it holds: every input
            # row is loaded or quarantined
            rest = max(_line_count(path) - lines_done, 1)
            yield _unknown(path, (f"cannot be read as CSV from row {row + 1} on ({exc}); its last {rest:,} "
                                  "lines are quarantined unread") if row > 1 else f"cannot be read as CSV ({exc})",
                           rest)


def _line_count(path: Path) -> int:
    """Lines of a file as the row-by-row reader's text stream splits them (csv's line_num): ends at
    LF, CRLF and a lone CR; a last line without an ending counts."""
    n, last = 0, b"\n"
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            # a CRLF split across two chunks: the CR ended the line, its LF starts nothing
            crlf = chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
            n += chunk.count(b"\n") + chunk.count(b"\r") - crlf
            last = chunk[-1:]
    return n + (last not in (b"\n", b"\r"))


def _rows_batch(path: Path, header: list[str], good: list[list], rows: list[int], rejected: list[dict]) -> Batch:
    df = pl.DataFrame(good, schema={f"_c{j}": pl.String for j in range(len(header))}, orient="row")
    batch = _frame_batch(path, df.rename(dict(zip(df.columns, header))), first_row=2, rejected=rejected)
    if batch.frames:        # the good rows keep their own row numbers (rejected rows leave gaps)
        kind, frame = next(iter(batch.frames.items()))
        batch.frames[kind] = frame.with_columns(pl.Series("_row", rows, pl.Int64))
    return batch


def _read_parquet(path: Path) -> Iterator[Batch]:
    try:
        df = pl.read_parquet(path)
    except Exception as exc:   # noqa: BLE001
        yield _unknown(path, f"cannot be read as Parquet ({str(exc).splitlines()[0][:200]})")
        return
    # a date written as a timestamp (pandas writes dates so) reads as its date when every value is at midnight
    stamps = [c for c, t in df.schema.items() if isinstance(t, pl.Datetime)
              and df[c].drop_nulls().dt.time().eq(dt.time(0)).all()]
    yield _frame_batch(path, df.with_columns(pl.col(c).dt.date() for c in stamps), first_row=1)
