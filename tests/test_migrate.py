"""A warehouse written by the previous release (schema 1) is refused with instructions, then
opens after the explicit migration, with the same numbers; never silently rebuilt."""
from __future__ import annotations

import json

import duckdb

from conftest import FIXTURES, load, run_cli
from warehouse import schema


def make_v1(db) -> None:
    """Turn a current warehouse into what release 1 wrote: no payment table, no fact keys (schema
    4), a remit's children naming it by its adjudication_id (schema 6), not by its event_seq (schema
    5), version 1."""
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE payment")
    for table in CHILDREN:          # adjudication_id first, as release 1 had it (migration 002 copies by position)
        con.execute(f"""CREATE TABLE {table}_v1 AS SELECT a.adjudication_id, t.* EXCLUDE (event_seq)
                        FROM {table} t JOIN adjudication a USING (event_seq)""")
        con.execute(f"DROP TABLE {table}")
        con.execute(f"ALTER TABLE {table}_v1 RENAME TO {table}")
    for table, keys in schema.FACT_KEYS.items():
        for key in keys:
            con.execute(f"ALTER TABLE {table} DROP COLUMN {key}")
    con.execute("DELETE FROM meta WHERE key = 'key_hash'")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.close()


CHILDREN = ("adjudication_line", "adjustment", "remark")


def children(con) -> dict[str, list]:
    """Every line, adjustment and remark with the adjudication_id of the remit its event_seq names."""
    return {table: con.sql(f"""SELECT a.adjudication_id, t.* EXCLUDE (event_seq) FROM {table} t
                               LEFT JOIN adjudication a USING (event_seq) ORDER BY ALL""").fetchall()
            for table in CHILDREN}


def assert_fact_keys_current(con) -> None:
    """Every fact key the incremental refresh narrows by is filled, and is schema.key_sql of its reference."""
    for table, keys in schema.FACT_KEYS.items():
        for key, ref in keys.items():
            rows, wrong = con.sql(f"SELECT count(*), count(*) FILTER (WHERE {key} IS DISTINCT FROM {schema.key_sql(ref)}) "
                                  f"FROM {table}").fetchall()[0]
            assert rows > 0 and wrong == 0, (table, key)


def test_previous_release_warehouse_migrates(tmp_path):
    db = tmp_path / "w.duckdb"
    load(db, FIXTURES / "core")
    before = json.loads(run_cli("warehouse", "kpi", "--db", str(db), "--by", "site", "--format", "json").stdout)
    with duckdb.connect(str(db), read_only=True) as con:
        children_before = children(con)
    assert all(children_before.values())
    make_v1(db)
    refused = run_cli("warehouse", "kpi", "--db", str(db))
    assert refused.returncode == 2 and "python -m warehouse migrate" in refused.stderr
    refused_load = run_cli("etl", "load", "--db", str(db), str(FIXTURES / "core" / "sites.csv"))
    assert refused_load.returncode == 2 and "migrate" in refused_load.stderr
    out = run_cli("warehouse", "migrate", "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert ("schema 1 -> 6 (001_to_002.sql, 002_to_003.sql, 003_to_004.sql, 004_to_005.sql, 005_to_006.sql)"
            in out.stdout)
    con = duckdb.connect(str(db), read_only=True)
    assert schema.stored_version(con) == schema.SCHEMA_VERSION
    assert con.sql("SELECT count(*) FROM payment").fetchall() == [(0,)]
    # the fact keys the incremental refresh narrows by are filled for the rows already there
    assert_fact_keys_current(con)
    # every line, adjustment and remark names its own remit by event_seq again, and only by it
    assert children(con) == children_before
    for table in CHILDREN:
        cols = [c for (c,) in con.sql(f"SELECT column_name FROM duckdb_columns() WHERE table_name = '{table}'").fetchall()]
        assert "event_seq" in cols and "adjudication_id" not in cols and "adjudication_key" not in cols, table
    con.close()
    after = json.loads(run_cli("warehouse", "kpi", "--db", str(db), "--by", "site", "--format", "json").stdout)
    assert after == before
    again = run_cli("warehouse", "migrate", "--db", str(db))
    assert again.returncode == 0 and "nothing to do" in again.stdout


def test_warehouse_keyed_by_the_full_hash_is_rekeyed_at_the_next_load(tmp_path):
    """Keys became 40 bits (schema.key_sql) after warehouses were written with the full 64-bit
    hash(). Such a warehouse needs no command: its recorded key probe differs, so the next load
    recomputes every fact key and rebuilds the models in full (an incremental refresh on old keys
    would find nothing), and the numbers are unchanged."""
    db = tmp_path / "w.duckdb"
    base = [FIXTURES / "core" / f for f in ("sites.csv", "payers.csv", "claims.csv", "claim_lines.csv")]
    remits = sorted((FIXTURES / "core").glob("remit*.csv"))
    load(db, *base)
    con = duckdb.connect(str(db))
    for table, keys in schema.FACT_KEYS.items():             # as the previous release wrote them
        con.execute(f"UPDATE {table} SET {', '.join(f'{k} = hash({ref})' for k, ref in keys.items())}")
    families = {"m_claim_family": "family_id", "m_claim_ref": "family_id", "m_claim": "claim_id"}
    for m, family in families.items():
        con.execute(f"UPDATE {m} SET family_key = hash({family})")
    con.execute("UPDATE meta SET value = CAST(hash(?) AS VARCHAR) WHERE key = 'key_hash'", [schema.KEY_PROBE])
    assert con.sql("SELECT count(*) FILTER (WHERE claim_key >= 1099511627776) FROM claim").fetchall()[0][0] > 0
    con.close()
    load(db, *remits)
    con = duckdb.connect(str(db), read_only=True)
    assert con.sql("SELECT value FROM meta WHERE key = 'refresh_mode'").fetchall() == [("full",)]
    assert con.sql("SELECT value FROM meta WHERE key = 'key_hash'").fetchall() == [(schema.key_hash(con),)]
    assert_fact_keys_current(con)
    for m, family in families.items():
        assert con.sql(f"SELECT count(*) FILTER (WHERE family_key IS DISTINCT FROM {schema.key_sql(family)}) "
                       f"FROM {m}").fetchall() == [(0,)], m
    con.close()
    fresh = tmp_path / "fresh.duckdb"
    load(fresh, *base, *remits)
    assert (json.loads(run_cli("warehouse", "kpi", "--db", str(db), "--by", "site", "--format", "json").stdout)
            == json.loads(run_cli("warehouse", "kpi", "--db", str(fresh), "--by", "site", "--format", "json").stdout))


def test_schema_5_warehouse_migrates_without_rebuilding_the_models(tmp_path, monkeypatch):
    """Schema 6 drops the remit's adjudication_id and its key from the lines, adjustments and remarks
    (event_seq names the remit). The models read neither, so the migration leaves them as they are
    (at 10M claims a rebuild is minutes): their refresh stamp is unchanged, the numbers too, and
    the next day loads incrementally."""
    db = tmp_path / "w.duckdb"
    base = [FIXTURES / "core" / f for f in ("sites.csv", "payers.csv", "providers.csv", "claims.csv", "claim_lines.csv")]
    load(db, *base, *sorted((FIXTURES / "core").glob("remit*.csv")))
    before = json.loads(run_cli("warehouse", "kpi", "--db", str(db), "--by", "site", "--format", "json").stdout)
    con = duckdb.connect(str(db))
    children_before = children(con)
    for table in CHILDREN:                              # as schema 5 had them
        con.execute(f"ALTER TABLE {table} ADD COLUMN adjudication_id VARCHAR")
        con.execute(f"ALTER TABLE {table} ADD COLUMN adjudication_key UBIGINT")
        con.execute(f"UPDATE {table} SET adjudication_id = a.adjudication_id, adjudication_key = a.adjudication_key "
                    f"FROM adjudication a WHERE a.event_seq = {table}.event_seq")
    con.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    stamp = con.sql("SELECT value FROM meta WHERE key = 'refreshed_at'").fetchall()
    con.close()
    out = run_cli("warehouse", "migrate", "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("schema 5 -> 6 (005_to_006.sql)"), out.stdout
    con = duckdb.connect(str(db), read_only=True)
    assert con.sql("SELECT value FROM meta WHERE key = 'refreshed_at'").fetchall() == stamp
    assert children(con) == children_before
    con.close()
    assert json.loads(run_cli("warehouse", "kpi", "--db", str(db), "--by", "site", "--format", "json").stdout) == before
    from warehouse import incremental
    monkeypatch.setattr(incremental, "MAX_TOUCHED", 1.0)    # a small fixture touches most of its families
    load(db, FIXTURES / "core" / "appeals.csv")
    con = duckdb.connect(str(db), read_only=True)
    assert con.sql("SELECT value FROM meta WHERE key = 'refresh_mode'").fetchall() == [("incremental",)]
    con.close()
