"""The warehouse schema (sql/schema.sql) and its version."""
from __future__ import annotations

from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).with_name("sql")
SCHEMA_VERSION = 3
# version n -> the script that takes a warehouse from n to n + 1 (sql/migrations/)
MIGRATIONS = {1: "001_to_002.sql", 2: "002_to_003.sql"}


class SchemaTooNew(RuntimeError):
    pass


class SchemaTooOld(RuntimeError):
    pass


def check(con: duckdb.DuckDBPyConnection) -> int | None:
    """The stored version, if this release can use it as it is; otherwise a clear refusal."""
    found = stored_version(con)
    if found is not None and found > SCHEMA_VERSION:
        raise SchemaTooNew(f"this warehouse has schema version {found}; this release knows up to "
                           f"{SCHEMA_VERSION}: upgrade the software")
    if found is not None and found < SCHEMA_VERSION:
        raise SchemaTooOld(f"this warehouse has schema version {found}; this release needs {SCHEMA_VERSION}: "
                           f"run `python -m warehouse migrate` (back it up first with `python -m warehouse backup`)")
    return found


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables of a new warehouse; refuse one written by another release (never rebuild)."""
    found = check(con)
    con.execute((SQL_DIR / "schema.sql").read_text())
    if found is None:
        con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the migrations from the stored version up to this release's; returns what ran."""
    found = stored_version(con)
    if found is None:
        raise SchemaTooOld("not a warehouse (no schema version recorded)")
    if found > SCHEMA_VERSION:
        check(con)
    done = []
    for version in range(found, SCHEMA_VERSION):
        script = MIGRATIONS[version]
        con.execute((SQL_DIR / "migrations" / script).read_text())
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version + 1)])
        done.append(script)
    return done


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
