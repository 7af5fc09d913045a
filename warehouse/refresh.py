"""Rebuild the derived models from the facts and the current taxonomy.

Runs inside every load's write session (so a published state always has models matching its facts)
and on its own as `python -m warehouse refresh`, which is how a taxonomy change (a CARC moved to
another category) reaches every number without reloading any file."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from warehouse import taxonomy
from warehouse.schema import SQL_DIR, key_hash, scalar

MODEL_FILES = sorted((SQL_DIR / "models").glob("*.sql"))
TAXONOMY_TABLES = {  # warehouse table -> taxonomy frame key
    "root_cause_category": "categories",
    "carc": "carc",
    "rarc": "rarc",
    "root_cause_rule": "rules",
}


def _column_names(con, table: str) -> list[str]:
    """The columns of `table` (a name from the models or the schema, never from input), in order."""
    return [r[0] for r in con.sql(f"DESCRIBE {table}").fetchall()]


def load_taxonomy(con: duckdb.DuckDBPyConnection) -> None:
    tables = taxonomy.load_tables()
    for table, key in TAXONOMY_TABLES.items():
        frame = tables[key]
        cols = _column_names(con, table)
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


# ------------------------------------------------------------------------------------------ models

REFRESH_KINDS = ("special", "family", "transient", "additive", "full")


@dataclass(frozen=True)
class Model:
    """One model file: its table, how a load refreshes it, and its SQL."""
    path: Path
    table: str
    kind: str                     # special | family | transient | additive | full
    key: str | None = None        # family, transient: the column holding the family id
    measures: tuple[str, ...] = ()  # additive: the summed columns

    @property
    def sql(self) -> str:
        return self.path.read_text()


_HEADER = re.compile(r"^-- refresh:\s*(\w+)\s*([^\s(]*)", re.M)
_CREATE = re.compile(r"CREATE OR REPLACE TABLE (m_\w+) AS", re.I)


def models() -> list[Model]:
    """Every model file in run order, with the refresh contract its header declares."""
    out = []
    for path in MODEL_FILES:
        text = path.read_text()
        head = _HEADER.search(text)
        tables = _CREATE.findall(text)
        if not head or head.group(1) not in REFRESH_KINDS or not tables:
            raise ValueError(f"{path.name}: every model declares `-- refresh: special|family <column>|"
                             f"transient <column>|additive <measures>|full` and creates its table")
        kind, arg = head.group(1), head.group(2)
        key = arg if kind in ("family", "transient") else None
        measures = tuple(m for m in arg.split(",") if m) if kind == "additive" else ()
        if not all(re.fullmatch(r"\w+", name) for name in (*tables, *([key] if key is not None else []), *measures)):
            raise ValueError(f"{path.name}: table, key and measure names are plain identifiers "
                             f"(they are written into the refresh's SQL)")
        out.append(Model(path, tables[-1] if kind == "special" else tables[0], kind, key=key, measures=measures))
    return out


def inputs_digest(con: duckdb.DuckDBPyConnection) -> str:
    """What every model row depends on besides the facts: the model SQL, the taxonomy and the
    reference lists. A load may refresh incrementally only while this is unchanged."""
    h = hashlib.sha256()
    h.update(key_hash(con).encode())     # a DuckDB whose hash() differs: keys and models are rebuilt
    _hash_model_files(h)
    for table in (*TAXONOMY_TABLES, "site", "rendering_provider", "payer"):
        h.update(table.encode())
        h.update(str(scalar(con, f"SELECT md5(coalesce(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR), '')) "
                                 f"FROM {table} t")).encode())
    return h.hexdigest()


def _hash_model_files(h) -> None:
    """The model SQL into hasher `h`: part of inputs_digest, and alone models_digest."""
    for path in MODEL_FILES:
        h.update(path.name.encode() + b"\0" + path.read_bytes())


def models_digest() -> str:
    """The model SQL alone: stored at every refresh ('model_sql'), so a reader can tell models built by
    another release's SQL (a column this release reads may be missing) without the taxonomy tables."""
    h = hashlib.sha256()
    _hash_model_files(h)
    return h.hexdigest()


def _stamp_model_sql(con) -> None:
    """The models were built from this release's model SQL (read by store._check_models)."""
    con.execute("INSERT OR REPLACE INTO meta VALUES ('model_sql', ?)", [models_digest()])


def tracing() -> bool:
    """DENIALS_REFRESH_TRACE=1: the seconds of every model (full rebuild) and of every statement of
    the incremental refresh, on stderr."""
    return os.environ.get("DENIALS_REFRESH_TRACE") == "1"


def trace(msg: str) -> None:
    print(f"refresh: {msg}", file=sys.stderr, flush=True)


def _trace_sql(started: float, sql: str) -> None:
    trace(f"{time.perf_counter() - started:7.3f} s  {' '.join(sql.split())[:110]}")


class _Traced:
    """A connection whose execute calls report their seconds and SQL head (tracing only)."""

    def __init__(self, con):
        self._con = con

    def __getattr__(self, name):
        return getattr(self._con, name)

    def execute(self, sql, *args, **kw):
        t0 = time.perf_counter()
        out = self._con.execute(sql, *args, **kw)
        _trace_sql(t0, sql)
        return out


def run_models(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild every model from all facts (refresh() records that it did). A transient model is a
    table only while the models after it read it; it is then replaced by a view of its own SQL."""
    ms = models()
    for model in ms:
        t0 = time.perf_counter()
        if model.kind == "transient":
            _drop_object(con, model.table)
        build_model(con, model)
        if model.kind == "additive":
            _drop_empty_groups(con, model)
        if tracing():
            trace(f"{model.path.name} {time.perf_counter() - t0:.1f} s")
    for model in ms:
        if model.kind == "transient":
            _drop_object(con, model.table)
            con.execute(transient_view_sql(model))


def build_model(con, model: "Model") -> None:
    """CREATE the model's table; out of memory, once more on one thread. DuckDB's hash tables and sorts
    are per thread, so one thread needs less memory (at 10M claims under the 3 GB limit, one full
    rebuild in two failed on 2 threads). The failed statement changed nothing where each statement
    commits alone (a copy session: every big build); inside a transaction (an in-place session) it
    aborted the transaction, so there is nothing to retry in and the error stands."""
    try:
        con.execute(model.sql)
    except duckdb.OutOfMemoryException as exc:
        trace(f"{model.path.name}: {str(exc).splitlines()[0][:120]}; building it again on 1 thread")
        try:
            con.execute("SET threads = 1")
        except duckdb.Error:
            raise exc from None
        try:
            con.execute(model.sql)
        finally:
            con.execute("RESET threads")


def transient_view_sql(model: "Model") -> str:
    """The view that stands for a transient model between full builds: the model's own SQL."""
    return _CREATE.sub(f"CREATE OR REPLACE VIEW {model.table} AS", model.sql)


def _drop_object(con, name: str) -> None:
    """Drop table or view `name` of the warehouse, whichever it is (none: nothing)."""
    for kind in ("VIEW", "TABLE"):
        if scalar(con, f"SELECT count(*) FROM duckdb_{kind.lower()}s() WHERE {kind.lower()}_name = ? "
                       "AND database_name = current_database() AND NOT temporary", [name]):
            con.execute(f"DROP {kind} {name}")


def _drop_empty_groups(con, m: "Model") -> None:
    """An additive model keeps no group whose measures are all 0 (a payment and its reversal on one
    day): they add nothing to any sum, and the incremental refresh cannot tell them from a group
    whose rows all left, so neither refresh keeps them; a NULL measure is stored as 0."""
    con.execute(f"DELETE FROM {m.table} WHERE {' AND '.join(f'coalesce({c}, 0) = 0' for c in m.measures)}")
    # and no measure is NULL (a sum over no rows of that kind is 0), as the incremental sums give
    for c in m.measures:
        con.execute(f"UPDATE {m.table} SET {c} = 0 WHERE {c} IS NULL")


def _stamp(con, mode: str, digest: str) -> None:
    con.execute("INSERT OR REPLACE INTO meta VALUES ('refreshed_at', ?)",
                [dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")])
    con.execute("INSERT OR REPLACE INTO meta VALUES ('model_inputs', ?)", [digest])
    con.execute("INSERT OR REPLACE INTO meta VALUES ('refresh_mode', ?)", [mode])
    _stamp_model_sql(con)


class FullRefreshNeeded(RuntimeError):
    """Raised instead of a full rebuild the caller did not allow (an in-place load)."""


def refresh(con: duckdb.DuckDBPyConnection, db_path: Path | None = None, load_id: int | None = None,
            full_allowed: bool = True, if_stale: bool = False) -> str:
    """Bring the models up to date with the facts. With `load_id` (inside that load's write session,
    after its merge) only the claim families the load touched are rebuilt
    when that is exact (see `incremental`); otherwise, and for `python -m warehouse refresh`,
    every model is rebuilt. `if_stale` (a migration): nothing is rebuilt while the models' inputs
    digest is the one stored (a migration that changes what the models read changes their SQL or
    clears 'model_inputs', as sync_keys does). Returns 'incremental', 'full' or 'current'."""
    stored = scalar(con, "SELECT value FROM meta WHERE key = 'model_inputs'")
    load_taxonomy(con)
    load_payer_rules(con, db_path)
    digest = inputs_digest(con)
    if if_stale and stored == digest:
        _stamp_model_sql(con)        # built from this model SQL: it is part of the digest
        return "current"
    from warehouse.incremental import incremental   # here: warehouse.incremental imports this module
    inc_con = _Traced(con) if tracing() else con
    mode = "incremental" if load_id is not None and stored == digest and incremental(inc_con, load_id) else "full"
    if mode == "full":
        if not full_allowed:
            raise FullRefreshNeeded("the models need a full rebuild")
        run_models(con)
    _stamp(con, mode, digest)
    return mode
