"""Rebuild the derived models from the facts and the current taxonomy.

Runs inside every load's write session (so a published state always has models matching its facts)
and on its own as `python -m warehouse refresh`, which is how a taxonomy change (a CARC moved to
another category) reaches every number without reloading any file."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl

from warehouse import taxonomy
from warehouse.schema import SQL_DIR

MODEL_FILES = sorted((SQL_DIR / "models").glob("*.sql"))
TAXONOMY_TABLES = {  # warehouse table -> taxonomy frame key
    "root_cause_category": "categories",
    "carc": "carc",
    "rarc": "rarc",
    "root_cause_rule": "rules",
}


def load_taxonomy(con: duckdb.DuckDBPyConnection) -> None:
    tables = taxonomy.load_tables()
    for table, key in TAXONOMY_TABLES.items():
        frame = tables[key]
        cols = [r[0] for r in con.sql(f"DESCRIBE {table}").fetchall()]
        frame = frame.select([pl.col(c) if c in frame.columns else pl.lit(None).alias(c) for c in cols])
        con.register("_taxonomy_frame", frame)
        try:
            con.execute(f"DELETE FROM {table}")
            # empty strings become NULL; dates cast by DuckDB
            select = ", ".join(f"nullif(trim(CAST({c} AS VARCHAR)), '')" for c in cols)
            con.execute(f"INSERT INTO {table} SELECT {select} FROM _taxonomy_frame")
        finally:
            con.unregister("_taxonomy_frame")
    # rules keep '*' wildcards and '' (= keep default) distinct from NULL: normalise NULL to ''
    con.execute("UPDATE root_cause_rule SET category = coalesce(category, ''), "
                "sub_cause = coalesce(sub_cause, ''), soft_hard = coalesce(soft_hard, ''), "
                "group_code = coalesce(group_code, '*'), carc = coalesce(carc, '*'), "
                "rarc = coalesce(rarc, '*'), claim_has_auth = coalesce(claim_has_auth, '*')")
    con.execute("INSERT OR REPLACE INTO meta VALUES ('taxonomy_version', ?)", [taxonomy.version()])


RULES_DIR = Path(__file__).with_name("rules")
ENV_CONFIG = "DENIALS_CONFIG_DIR"


def config_dir(db_path: Path | None) -> Path | None:
    """The practice's own configuration folder: $DENIALS_CONFIG_DIR, else config/ beside the warehouse."""
    import os
    if os.environ.get(ENV_CONFIG):
        return Path(os.environ[ENV_CONFIG])
    return Path(db_path).parent / "config" if db_path else None


def load_payer_rules(con: duckdb.DuckDBPyConnection, db_path: Path | None = None) -> None:
    """Class defaults from warehouse/rules/payer_rules.csv; per-payer overrides from the practice's
    config/payer_rules.csv (payer_id,appeal_window_days,timely_filing_days), if present."""
    defaults = pl.read_csv(RULES_DIR / "payer_rules.csv", infer_schema=False)
    con.execute("CREATE OR REPLACE TABLE payer_rule_default (payer_class VARCHAR, appeal_window_days INTEGER, "
                "timely_filing_days INTEGER, source VARCHAR)")
    con.register("_d", defaults)
    con.execute("INSERT INTO payer_rule_default SELECT payer_class, TRY_CAST(appeal_window_days AS INTEGER), "
                "TRY_CAST(timely_filing_days AS INTEGER), source FROM _d")
    con.unregister("_d")
    con.execute("CREATE OR REPLACE TABLE payer_rule_override (payer_id VARCHAR, appeal_window_days INTEGER, "
                "timely_filing_days INTEGER)")
    folder = config_dir(db_path)
    override = folder / "payer_rules.csv" if folder else None
    if override and override.exists():
        frame = pl.read_csv(override, infer_schema=False)
        con.register("_o", frame)
        con.execute("INSERT INTO payer_rule_override SELECT payer_id, TRY_CAST(appeal_window_days AS INTEGER), "
                    "TRY_CAST(timely_filing_days AS INTEGER) FROM _o")
        con.unregister("_o")


def run_models(con: duckdb.DuckDBPyConnection) -> None:
    for path in MODEL_FILES:
        con.execute(path.read_text())
    con.execute("INSERT OR REPLACE INTO meta VALUES ('refreshed_at', ?)",
                [dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")])


def refresh(con: duckdb.DuckDBPyConnection, db_path: Path | None = None) -> None:
    load_taxonomy(con)
    load_payer_rules(con, db_path)
    run_models(con)
