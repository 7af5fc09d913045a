"""The A/R marts (models 11-14: m_ar_move, m_ar_move_90, m_ar_claim, m_ar_open) give exactly what the
event ledger m_ar_event gives: query._ar, action.ar_aging, oldest_open_claims and ar_denied_share are
compared with the straight ledger queries they replaced, at many dates, slices, filters and scopes."""
from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest

from conftest import ROOT, connect
from warehouse import action, query
from warehouse.dimensions import DENIAL_KEYS, DIMENSIONS, LINE_KEYS, PERIOD_KEYS, period_end
from warehouse.metrics import AR, CLAIM
from warehouse.query import Filters, _filter_sql, _Sql
from warehouse.scope import Scope

ALL = Scope.all()
MODELS = sorted((ROOT / "warehouse" / "sql" / "models").glob("1[1-4]_*.sql"))
# the event ledger with its claims' slice columns (m_ar_event carries the claim's id, dos and key only)
LEDGER = """(SELECT e.*, c.site_id, c.rendering_npi, c.specialty, c.payer_id, c.payer_class, c.root_cause,
                   c.sub_cause, c.stage, c.owner_team, c.soft_hard, c.initially_denied
            FROM m_ar_event e JOIN m_claim c USING (claim_id))"""


# ----------------------------------------------------------------- the ledger queries, as they were

def ref_ar(con, dims, scope, filters, as_of, periods, measures):
    period_key = next((k for k in dims if k in PERIOD_KEYS), None)
    if period_key:
        starts = [s for _, s in periods]
        ends = [min(period_end(period_key, s), as_of) for s in starts]
    else:
        starts, ends = [None], [as_of]
    plain = [k for k in dims if k not in PERIOD_KEYS]
    dates = "SELECT unnest(?::DATE[]) AS period_start, unnest(?::DATE[]) AS as_of"
    frames = {}
    if {"ar_balance", "ar_over_90"} & set(measures):
        q = _Sql()
        _filter_sql(q, scope, filters.without({"procedure_code", "modifier", "carc"}), AR)
        sel = ", ".join(f"{DIMENSIONS[k].column} AS {DIMENSIONS[k].output}" for k in plain)
        for k in plain:
            if k in DENIAL_KEYS:
                q.add(f"{DIMENSIONS[k].column} IS NOT NULL")
        sql = f"""
            WITH d AS ({dates})
            SELECT d.period_start{', ' + sel if plain else ''},
                   sum(e.amount) AS ar_balance,
                   coalesce(sum(e.amount) FILTER (WHERE d.as_of - e.dos > 90), 0) AS ar_over_90
            FROM {LEDGER} e JOIN d ON e.event_date <= d.as_of AND e.dos <= d.as_of
            WHERE {q.clause()} GROUP BY ALL"""
        frames["balance"] = con.sql(sql, params=[starts, ends] + q.params).pl()
    if "daily_charges_90" in measures:
        base_dims = [k for k in plain if k not in DENIAL_KEYS]
        q = _Sql()
        _filter_sql(q, scope, filters.without(DENIAL_KEYS | LINE_KEYS), CLAIM)
        sel = ", ".join(f"{DIMENSIONS[k].column} AS {DIMENSIONS[k].output}" for k in base_dims)
        sql = f"""
            WITH d AS ({dates})
            SELECT d.period_start{', ' + sel if base_dims else ''},
                   sum(c.billed) FILTER (WHERE c.dos > d.as_of - 90) AS daily_charges_90,
                   min(c.dos) > any_value(d.as_of) - 89 AS daily_charges_90__short_history
            FROM m_claim c JOIN d ON c.dos <= d.as_of
            WHERE {q.clause()} GROUP BY ALL HAVING count(*) FILTER (WHERE c.dos > d.as_of - 90) > 0"""
        frames["charges"] = con.sql(sql, params=[starts, ends] + q.params).pl()
    return frames


def ref_aging(con, scope, as_of, filters=None, by=None):
    col = {None: "'all'", "site": "site_id", "payer": "payer_id"}[by]
    q = action._where(scope, filters, "ar")
    cases = " ".join(f"WHEN age BETWEEN {lo} AND {hi} THEN '{name}'" if hi is not None else f"WHEN age >= {lo} THEN '{name}'"
                     for name, lo, hi in action.AGING_BUCKETS)
    sql = f"""
        WITH bal AS (
            SELECT claim_id, {col} AS slice, any_value(initially_denied) AS denied, ?::DATE - any_value(dos) AS age,
                   sum(amount) AS balance
            FROM {LEDGER} WHERE event_date <= ? AND dos <= ? AND {q.clause()}
            GROUP BY claim_id, {col})
        SELECT slice AS {by or 'slice'}, CASE {cases} END AS bucket, count(*) FILTER (WHERE balance <> 0) AS claims,
               sum(balance)::DOUBLE AS ar_balance,
               coalesce(sum(balance) FILTER (WHERE denied), 0)::DOUBLE AS denied_balance
        FROM bal GROUP BY ALL"""
    return con.sql(sql, params=[as_of, as_of, as_of] + q.params).pl()


def ref_oldest(con, scope, as_of, limit, filters=None):
    q = action._where(scope, filters, "ar")
    sql = f"""
        SELECT claim_id, any_value(site_id) AS site, any_value(payer_id) AS payer, any_value(dos) AS dos,
               ?::DATE - any_value(dos) AS age_days, sum(amount)::DOUBLE AS balance,
               any_value(initially_denied) AS denied, any_value(root_cause) AS root_cause
        FROM {LEDGER} WHERE event_date <= ? AND dos <= ? AND {q.clause()}
        GROUP BY claim_id HAVING sum(amount) > 0 ORDER BY dos, claim_id LIMIT ?"""
    return con.sql(sql, params=[as_of, as_of, as_of] + q.params + [limit]).pl()


def ref_share(con, scope, as_of, filters=None):
    q = action._where(scope, filters, "ar")
    sql = f"""
        SELECT coalesce(sum(amount), 0)::DOUBLE AS ar_balance,
               coalesce(sum(amount) FILTER (WHERE initially_denied), 0)::DOUBLE AS denied_balance
        FROM {LEDGER} WHERE event_date <= ? AND dos <= ? AND {q.clause()}"""
    return con.sql(sql, params=[as_of, as_of] + q.params).pl()


# ----------------------------------------------------------------- helpers

def same(a: pl.DataFrame, b: pl.DataFrame, keys: list[str]) -> None:
    """Equal rows (any order), values compared exactly (decimals as numbers)."""
    assert sorted(a.columns) == sorted(b.columns)
    cols = sorted(a.columns)

    def rows(f):
        f = f.select(cols).with_columns([pl.col(c).cast(pl.Float64) for c in cols
                                         if f.schema[c].is_numeric() and c not in keys])
        return sorted(f.rows(), key=repr)
    assert rows(a) == rows(b)


def setting(con):
    first, last = con.sql("SELECT min(dos), max(remit_date) FROM m_claim, adjudication").fetchall()[0]
    site, payer, cause = con.sql("""SELECT (SELECT site_id FROM m_claim WHERE site_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1),
                                           (SELECT payer_id FROM m_claim GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1),
                                           (SELECT root_cause FROM m_claim WHERE root_cause IS NOT NULL
                                            GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1)""").fetchall()[0]
    return first, last, site, payer, cause


def as_of_dates(first, last):
    span = (last - first).days
    return sorted({first - dt.timedelta(days=3), first, first + dt.timedelta(days=span // 3),
                   last - dt.timedelta(days=91), last - dt.timedelta(days=7), last, last + dt.timedelta(days=40)})


def period_starts(key, first, last):
    return query._period_starts(key, first, last)


# ----------------------------------------------------------------- the tests

@pytest.mark.parametrize("fixture", ["core_db", "demo_db"])
def test_ar_measures_equal_the_ledger(request, fixture):
    con = connect(request.getfixturevalue(fixture))
    first, last, site, payer, cause = setting(con)
    measures = ["ar_balance", "ar_over_90", "daily_charges_90"]
    filter_sets = [Filters(), Filters.make({"site": [site]}), Filters.make({"site": [site], "payer": [payer]}),
                   Filters.make({"root_cause": [cause]}), Filters.make({"payer": [payer], "soft_hard": ["soft"]})]
    scopes = [ALL, Scope.sites({site})]
    dims_sets = [[], ["site"], ["payer", "root_cause"], ["provider", "payer_class"], ["stage"]]
    checked = 0
    for as_of in as_of_dates(first, last):
        for pk in (None, "week", "month", "day"):
            if pk:
                lo = max(first, as_of - dt.timedelta(days=91 if pk != "month" else 400))
                starts = period_starts(pk, lo, as_of)
                # also a gap (a period with no row) and a period starting after the as-of
                starts = starts[::2] + [as_of + dt.timedelta(days=10)] if len(starts) > 3 else starts
                periods = [(pk, s) for s in starts]
                if not periods:            # kpis never asks for A/R over no period
                    continue
            else:
                periods = [(None, None)]
            for dims in dims_sets:
                dims = ([pk] if pk else []) + dims
                for scope in scopes:
                    for filters in filter_sets[: (5 if not dims or dims == ["site"] else 2)]:
                        got = query._ar(con, dims, scope, filters, as_of, periods, measures)
                        want = ref_ar(con, dims, scope, filters, as_of, periods, measures)
                        keys = [DIMENSIONS[k].output for k in dims]
                        for name in want:
                            g, w = got[name], want[name]
                            w = w.rename({"period_start": DIMENSIONS[pk].output}) if pk else w.drop("period_start")
                            same(g, w, keys)
                            checked += 1
    assert checked > 100
    # ar_days alone: the balance without reading m_ar_move_90
    got = query._ar(con, ["site"], ALL, Filters(), last, [(None, None)], ["ar_balance", "daily_charges_90"])
    want = ref_ar(con, ["site"], ALL, Filters(), last, [(None, None)], measures)
    same(got["balance"], want["balance"].drop("period_start", "ar_over_90"), ["site"])


@pytest.mark.parametrize("fixture", ["core_db", "demo_db"])
def test_aging_oldest_share_equal_the_ledger(request, fixture):
    con = connect(request.getfixturevalue(fixture))
    first, last, site, payer, cause = setting(con)
    filter_sets = [None, Filters.make({"site": [site]}), Filters.make({"site": [site], "payer": [payer]}),
                   Filters.make({"root_cause": [cause]}), Filters.make({"provider": ["none"]})]
    for as_of in as_of_dates(first, last):
        for scope in (ALL, Scope.sites({site})):
            for filters in filter_sets:
                for by in (None, "site", "payer"):
                    got = action.ar_aging(con, scope=scope, as_of=as_of, filters=filters, by=by)
                    want = ref_aging(con, scope, as_of, filters, by)
                    same(got, want, [by or "slice", "bucket"])
                    assert got.schema == want.schema | {}
                got = action.oldest_open_claims(con, scope=scope, as_of=as_of, limit=40, filters=filters)
                want = ref_oldest(con, scope, as_of, 40, filters)
                assert got.to_dicts() == want.to_dicts()
                got = action.ar_denied_share(con, scope=scope, as_of=as_of, filters=filters)
                want = ref_share(con, scope, as_of, filters)
                assert got.drop("denied_share", "denied_only").to_dicts() == want.to_dicts()


def test_kpis_by_week_unchanged_on_the_hand_fixture(core_db):
    """The hand numbers of tests/fixtures/core.md through the marts (also pinned in test_core_kpis)."""
    con = connect(core_db)
    rows = {r["week"]: r for r in query.kpis(con, scope=ALL, by=["week"], kpi_keys=["ar_balance"],
                                             filters=Filters.make(date_from="2026-05-04", date_to="2026-05-21"))
            .to_dicts()}
    assert {w: r["ar_balance"] for w, r in rows.items()} == {"2026-W19": 1690, "2026-W20": 960, "2026-W21": 410}


def test_model_headers_follow_the_refresh_contract():
    kinds = {}
    for path in MODELS:
        text = path.read_text()
        name = path.stem.split("_", 1)[1]
        lines = text.splitlines()
        assert lines[0] == f"-- m_{name}"
        assert lines[1].startswith("-- grain: ")
        refresh = [ln for ln in lines if ln.startswith("-- refresh: ")]
        assert len(refresh) == 1
        kinds[name] = refresh[0].split()[2]
        assert len(re.findall(r"CREATE OR REPLACE TABLE", text)) == 1
        assert f"CREATE OR REPLACE TABLE m_{name} AS" in text
        body = "\n".join(ln for ln in lines if not ln.startswith("--"))
        if kinds[name] == "additive":
            assert not re.search(r"\bOVER\b|\bHAVING\b|\bDISTINCT\b|\bWINDOW\b", body, re.I)
    assert kinds == {"ar_move": "additive", "ar_move_90": "additive", "ar_claim": "family", "ar_open": "additive"}


def test_marts_add_up_to_the_ledger(demo_db):
    con = connect(demo_db)
    total = con.sql("SELECT sum(amount) FROM m_ar_event WHERE event_date IS NOT NULL AND dos IS NOT NULL").fetchall()[0][0]
    assert con.sql("SELECT sum(amount) FROM m_ar_move WHERE day IS NOT NULL").fetchall()[0][0] == total
    assert con.sql("SELECT sum(amount_90) FROM m_ar_move_90 WHERE day IS NOT NULL").fetchall()[0][0] == total
    assert con.sql("SELECT sum(balance) FROM m_ar_claim").fetchall()[0][0] == total
    assert con.sql("SELECT sum(balance) FROM m_ar_open").fetchall()[0][0] == total
    assert con.sql("SELECT count(*) FROM m_ar_claim WHERE first_day <> dos").fetchall()[0][0] == 0


def test_a_group_emptied_by_an_incremental_refresh_counts_as_no_row(core_db, tmp_path):
    """An additive refresh that subtracts a family can leave a group with events = 0 (and 0 amounts):
    it must not show up as a slice with a 0 balance."""
    import shutil

    import duckdb
    db = tmp_path / "w.duckdb"
    shutil.copy(core_db, db)
    con = duckdb.connect(str(db))
    con.execute("""INSERT INTO m_ar_move (day, site_id, events, amount, charges, charge_events)
                   VALUES ('2026-05-01', 'ZZ', 0, 0, 0, 0)""")
    con.execute("INSERT INTO m_ar_move_90 (day, site_id, events, amount_90) VALUES ('2026-05-01', 'ZZ', 0, 0)")
    as_of = dt.date(2026, 5, 21)
    got = query._ar(con, ["site"], ALL, Filters(), as_of, [(None, None)], ["ar_balance", "ar_over_90", "daily_charges_90"])
    assert "ZZ" not in got["balance"]["site"].to_list() and "ZZ" not in got["charges"]["site"].to_list()
    want = ref_ar(con, ["site"], ALL, Filters(), as_of, [(None, None)], ["ar_balance", "ar_over_90", "daily_charges_90"])
    same(got["balance"], want["balance"].drop("period_start"), ["site"])


def test_days_in_ar_says_when_it_rests_on_fewer_than_90_days_of_charges(core_db):
    """The fixture's first date of service is 2026-05-04 (C1, C2, C8). The charges window of a date D
    is (D - 90, D], so it holds 90 days of history from D = 05-04 + 89 = 2026-08-01 on. Before, the
    average daily charge is understated and days in A/R reads high: the value stays (the formula's),
    flagged, with no benchmark band."""
    from warehouse import metrics
    con = connect(core_db)
    keys = ["ar_days"]
    short = query.kpis(con, scope=ALL, kpi_keys=keys, as_of="2026-07-31").to_dicts()[0]
    full = query.kpis(con, scope=ALL, kpi_keys=keys, as_of="2026-08-01").to_dicts()[0]
    # A/R $410 at both dates (nothing moves after 05-21); charges with DOS in the window: all $1,740
    assert (short["ar_days__num"], short["ar_days__den"], round(short["ar_days"], 2)) == (410, 1740, 21.21)
    assert (full["ar_days__num"], full["ar_days__den"], round(full["ar_days"], 2)) == (410, 1740, 21.21)
    assert short["ar_days__short_history"] is True and full["ar_days__short_history"] is False
    assert metrics.band_of("ar_days", short) is None and metrics.band_of("ar_days", full) == "good"
    # each slice by its own first date of service: S2's first is 05-04 (C8), as is S1's (C1, C2)
    by_site = query.kpis(con, scope=ALL, by=["site"], kpi_keys=keys, as_of="2026-08-01").to_dicts()
    assert {r["site"]: r["ar_days__short_history"] for r in by_site} == {"S1": False, "S2": False}
    # by week, only the weeks ending on or after 08-01 rest on 90 days
    weeks = query.kpis(con, scope=ALL, by=["week"], kpi_keys=keys, as_of="2026-08-09",
                       filters=Filters.make(date_from="2026-07-20", date_to="2026-08-09")).to_dicts()
    assert {r["week"]: r["ar_days__short_history"] for r in weeks} == {
        "2026-W30": True, "2026-W31": False, "2026-W32": False}
