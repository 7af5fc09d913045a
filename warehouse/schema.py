"""The warehouse schema (sql/schema.sql) and its version."""
from __future__ import annotations

from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).with_name("sql")
SCHEMA_VERSION = 1


class SchemaTooNew(RuntimeError):
    pass


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    """Create missing tables and record the schema version; refuse a warehouse from a newer release."""
    found = stored_version(con)
    if found is not None and found > SCHEMA_VERSION:
        raise SchemaTooNew(f"this warehouse has schema version {found}; this release knows up to "
                           f"{SCHEMA_VERSION}: upgrade the software")
    con.execute((SQL_DIR / "schema.sql").read_text())
    if found is None:
        con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])


def stored_version(con: duckdb.DuckDBPyConnection) -> int | None:
    exists = scalar(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'meta' "
                         "AND database_name = current_database()")
    if not exists:
        return None
    value = scalar(con, "SELECT value FROM meta WHERE key = 'schema_version'")
    return int(value) if value is not None else None


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    """The single value of a one-row, one-column query (None when it returns no row)."""
    rows = con.sql(sql, params=params).fetchall() if params else con.sql(sql).fetchall()
    return rows[0][0] if rows else None
