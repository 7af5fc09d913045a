"""The load ledger: runs, files (with their SHA-256, so a file loaded again is skipped whole) and
quarantined rows. Written only inside a load's write session."""
from __future__ import annotations

import datetime as dt

import duckdb

from warehouse.schema import scalar
import polars as pl

MERGE_RULES = ("conflict", "unknown_reference", "duplicate_key")


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return scalar(con, "SELECT coalesce(max(load_id), 0) + 1 FROM load_run")


def previous_load_of(con, sha256: str) -> int | None:
    """Rows read when this exact file was first loaded, or None if it never was."""
    rows = scalar(con, "SELECT rows_read FROM load_file WHERE sha256 = ? AND NOT whole_file_duplicate "
                       "ORDER BY load_id LIMIT 1", [sha256])
    return None if rows is None else int(rows)


def quarantine_unit(con, load_id: int, path: str, unit: str, message: str, rows: int) -> None:
    con.execute("INSERT INTO quarantine VALUES (?, ?, ?, NULL, NULL, NULL, NULL, 'unreadable', ?)",
                [load_id, path, unit, f"{message} ({rows} row{'s' if rows != 1 else ''})"])


def quarantine_rows(con, load_id: int, path: str, unit: str, records: pl.DataFrame) -> None:
    frame = records.select(pl.lit(load_id).alias("load_id"), pl.lit(path).alias("path"), pl.lit(unit).alias("unit"),
                           "kind", "row_number", "field", "value", "rule", "message")
    con.register("_q", frame)
    try:
        con.execute("INSERT INTO quarantine SELECT * FROM _q")
    finally:
        con.unregister("_q")


def merge_messages(con, load_id: int, limit: int = 50) -> list[str]:
    return [r[0] for r in con.sql("SELECT message FROM quarantine WHERE load_id = ? AND list_contains(?, rule) "
                                  "ORDER BY path, row_number LIMIT ?",
                                  params=[load_id, list(MERGE_RULES), limit]).fetchall()]


def record(con, load_id: int, started: dt.datetime, command: str, results) -> None:
    for seq, r in enumerate(results, start=1):
        con.execute("INSERT INTO load_file VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [load_id, seq, r.path, r.sha256, "x12" if r.units > 1 else "tabular",
                     ",".join(sorted(r.kinds)), r.units, r.rows_read, r.loaded, r.duplicates, r.quarantined,
                     r.whole_file_duplicate, r.message])
    con.execute("INSERT INTO load_run VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [load_id, started, dt.datetime.now(), command, len(results),
                 sum(r.rows_read for r in results), sum(r.loaded for r in results),
                 sum(r.duplicates for r in results), sum(r.quarantined for r in results)])
