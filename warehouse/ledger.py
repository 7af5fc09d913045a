"""The load ledger: runs, files (with their SHA-256, so a file loaded again is skipped whole) and
quarantined rows. Written only inside a load's write session."""
from __future__ import annotations

import datetime as dt

import duckdb

from warehouse.schema import scalar
import polars as pl

MERGE_RULES = ("conflict", "unknown_reference", "duplicate_key")


# load_file's columns, in order (sql/schema.sql)
LOAD_FILE_SCHEMA = {"load_id": pl.Int32, "file_seq": pl.Int32, "path": pl.String, "sha256": pl.String,
                    "format": pl.String, "kinds": pl.String, "units": pl.Int32, "rows_read": pl.Int64,
                    "rows_loaded": pl.Int64, "duplicates": pl.Int64, "quarantined": pl.Int64,
                    "whole_file_duplicate": pl.Boolean, "message": pl.String}


def _insert(con, table: str, frame: pl.DataFrame) -> None:
    """Append a frame whose columns are `table`'s, in order, in one statement."""
    if table not in ("quarantine", "load_file"):          # the name goes into the SQL: a fixed list
        raise ValueError(f"not a ledger table: {table}")
    con.register("_ledger_rows", frame)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM _ledger_rows")
    finally:
        con.unregister("_ledger_rows")


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return scalar(con, "SELECT coalesce(max(load_id), 0) + 1 FROM load_run")


def previous_loads(con, sha256s: list[str]) -> dict[str, int]:
    """For each of these file hashes that was loaded before: the rows read when that exact file was
    first loaded (one query for a whole load's files) — unless its last reading quarantined rows whose
    parent was not loaded (rule unknown_reference: claim lines before their claim, remit lines before
    their remit). Such a file is read again: its rows loaded since count as duplicates and those rows
    get another chance. Any other quarantine (a bad date, a conflict) would only be repeated, and files
    whose latest row wins (appeals, reference lists) must not be read again over newer data."""
    if not sha256s:
        return {}
    rows = con.sql("""
        WITH f AS (SELECT sha256, load_id, path, rows_read FROM load_file
                   WHERE NOT whole_file_duplicate AND sha256 IN (SELECT unnest(?::VARCHAR[]))),
        latest AS (SELECT sha256, max(load_id) AS load_id, arg_min(rows_read, load_id) AS rows_read FROM f GROUP BY 1)
        SELECT l.sha256, l.rows_read FROM latest l JOIN f USING (sha256, load_id)
        WHERE NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.load_id = f.load_id AND q.path = f.path
                          AND q.rule = 'unknown_reference')""",
                   params=[sorted(set(sha256s))]).fetchall()
    return {sha: int(n) for sha, n in rows}


def quarantine_unit(con, load_id: int, path: str, unit: str, message: str, rows: int) -> None:
    con.execute("INSERT INTO quarantine VALUES (?, ?, ?, NULL, NULL, NULL, NULL, 'unreadable', ?)",
                [load_id, path, unit, f"{message} ({rows} row{'s' if rows != 1 else ''})"])


def quarantine_rows(con, load_id: int, path: str, unit: str, records: pl.DataFrame) -> None:
    frame = records.select(pl.lit(load_id).alias("load_id"), pl.lit(path).alias("path"), pl.lit(unit).alias("unit"),
                           "kind", "row_number", "field", "value", "rule", "message")
    _insert(con, "quarantine", frame)


def merge_messages(con, load_id: int, limit: int = 50) -> list[str]:
    return [r[0] for r in con.sql("SELECT message FROM quarantine WHERE load_id = ? AND list_contains(?, rule) "
                                  "ORDER BY path, row_number LIMIT ?",
                                  params=[load_id, list(MERGE_RULES), limit]).fetchall()]


def record(con, load_id: int, started: dt.datetime, command: str, results) -> None:
    if results:      # one statement for all the files (a day of remits can be hundreds)
        _insert(con, "load_file", pl.DataFrame(
            [(load_id, seq, r.path, r.sha256, "x12" if r.units > 1 else "tabular", ",".join(sorted(r.kinds)),
              r.units, r.rows_read, r.loaded, r.duplicates, r.quarantined, r.whole_file_duplicate, r.message)
             for seq, r in enumerate(results, start=1)],
            schema=LOAD_FILE_SCHEMA, orient="row"))
    con.execute("INSERT INTO load_run VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [load_id, started, dt.datetime.now(), command, len(results),
                 sum(r.rows_read for r in results), sum(r.loaded for r in results),
                 sum(r.duplicates for r in results), sum(r.quarantined for r in results)])
