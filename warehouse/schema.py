"""The warehouse schema (sql/schema.sql) and its version."""
from __future__ import annotations

from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).with_name("sql")
SCHEMA_VERSION = 6
# version n -> the script that takes a warehouse from n to n + 1 (sql/migrations/)
MIGRATIONS = {1: "001_to_002.sql", 2: "002_to_003.sql", 3: "003_to_004.sql", 4: "004_to_005.sql",
              5: "005_to_006.sql"}

# fact table -> {key column: the reference it hashes}. A key is the top 40 bits of DuckDB's hash()
# of the reference (key_sql), set by the merge (warehouse/ingest.py); the incremental refresh
# narrows by keys first, then by the references (a collision only adds rows the second step drops).
# 40 bits, not 64: a key column is read whole for every lookup (a day of remits at 10M claims reads
# ~1.5 GB of them when the file is not cached) and DuckDB bit-packs values below 2^40 into 5 bytes
# (the column stays UBIGINT). Not 32: a false match costs little itself but makes the refresh read
# the whole row group that holds it, and at 32 bits a day's ~20k keys against 10M rows matched ~45
# stray rows per table, one in most row groups (measured: twice the rows read); at 40 bits, ~0.2.
FACT_KEYS = {
    "claim": {"claim_key": "claim_id"},
    "adjudication": {"adjudication_key": "adjudication_id", "pcn_key": "patient_control_number",
                     "pcl_key": "payer_claim_number"},
}
# (a remit's lines, adjustments and remarks are found by its event_seq: incremental.REMIT_SEQ)
# hash() is stable within a DuckDB release, not across them: the key of this probe is kept in meta
# ('key_hash'); when it differs (a new DuckDB, a new key form), every stored key is recomputed
# (sync_keys) and the models are rebuilt in full (the probe is part of refresh.inputs_digest).
KEY_PROBE = "denials-key-probe"


def key_sql(ref: str) -> str:
    """The SQL of the 40-bit key of reference `ref` (an expression). The models write the same
    expression, `hash(x) >> 24`, where they store family_key and ref_key."""
    return f"(hash({ref}) >> 24)"


def key_columns(table: str) -> tuple[list[str], list[str]]:
    """The key columns of a fact table and the expressions that fill them from its references."""
    keys = FACT_KEYS.get(table, {})
    return list(keys), [key_sql(ref) for ref in keys.values()]


def key_hash(con: duckdb.DuckDBPyConnection) -> str:
    """The stored keys' identity: this DuckDB's key of the probe, and the key's form (a warehouse
    keyed by the full 64-bit hash, before 40-bit keys, differs and is re-keyed)."""
    return "40:" + str(scalar(con, f"SELECT {key_sql('?')}", [KEY_PROBE]))


def sync_keys(con: duckdb.DuckDBPyConnection) -> bool:
    """Recompute every fact key when this DuckDB hashes differently from the one that stored them
    (or none was recorded: a migrated warehouse). True when it did."""
    current = key_hash(con)
    if scalar(con, "SELECT value FROM meta WHERE key = 'key_hash'") == current:
        return False
    for table, keys in FACT_KEYS.items():
        con.execute(f"UPDATE {table} SET {', '.join(f'{k} = {key_sql(ref)}' for k, ref in keys.items())}")
    con.execute("INSERT OR REPLACE INTO meta VALUES ('key_hash', ?)", [current])
    # the models' family and reference keys are of the old form too: the next refresh rebuilds all
    con.execute("DELETE FROM meta WHERE key = 'model_inputs'")
    return True


class SchemaTooNew(RuntimeError):
    pass


class SchemaTooOld(RuntimeError):
    pass


class ModelsTooOld(SchemaTooOld):
    """The schema is current but a model table this release reads is missing (store._check_models)."""


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
    sync_keys(con)


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
    if done:
        sync_keys(con)
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
