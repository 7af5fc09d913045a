"""The A/R marts (models 11-14: m_ar_move, m_ar_move_90, m_ar_claim, m_ar_open) give exactly what the
event ledger m_ar_event gives: query._ar, action.ar_aging, oldest_open_claims and ar_denied_share are
compared with the straight ledger queries they replaced, at many dates, slices, filters and scopes."""
from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest

from conftest import ROOT, connect, core_plus
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
                assert got.drop("denied_share").to_dicts() == want.to_dicts()


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


def _ar_at(con, claim_id: str, day: str):
    return con.sql("SELECT sum(amount) FROM m_ar_event WHERE claim_id = ? AND event_date <= ?",
                   params=[claim_id, day]).fetchall()[0][0]


def test_a_crossover_keeps_the_forwarded_patient_share_in_insurance_ar(tmp_path):
    """CLP02 19 (processed as primary, forwarded to an additional payer): the primary's PR amounts go to
    the secondary payer, so they stay in insurance A/R until the secondary's remit pays, adjusts or
    moves them to the patient. Claim X1, $1,000 (the core fixture plus this claim): the primary (19)
    pays 600, CO-45 250, PR-1 150 -> A/R 150; the secondary (2) pays 100, OA-23 850 (the primary's
    part, never counted), PR-2 50 -> A/R 0. Taking the primary's PR off as well left -100."""
    con = core_plus(tmp_path, {
        "claims": "X1,,1,,S1,1234567893,1111111112,PAYB,MRN-0099,ABC999999999,2026-05-04,,2026-05-05,1000.00,11,",
        "claim_lines": "X1,1,99214,,,1,1000.00,2026-05-04",
        "remits": "RX1,PAYB,TRN-B9,2026-05-12,X1,19,1000.00,600.00,150.00,PB-0099,\n"
                  "RX2,PAYA,TRN-A9,2026-05-19,X1,2,1000.00,100.00,50.00,PA-0099,",
        "remit_lines": "RX1,1,99214,,1,1000.00,600.00\nRX2,1,99214,,1,1000.00,100.00",
        "remit_adjustments": "RX1,1,CO,45,250.00\nRX1,1,PR,1,150.00\nRX2,1,OA,23,850.00\nRX2,1,PR,2,50.00",
    })
    assert (_ar_at(con, "X1", "2026-05-11"), _ar_at(con, "X1", "2026-05-12"), _ar_at(con, "X1", "2026-05-19")) == (1000, 150, 0)
    assert con.sql("SELECT balance FROM m_ar_claim WHERE claim_id = 'X1'").fetchall()[0][0] == 0


CROSSOVER_ROWS = {   # test_a_denial_stays_open_when_another_payer_pays_only_its_share (and test_incremental)
    "claims": "\n".join(f"{c},,1,,S1,1234567893,1111111112,PAYB,MRN-009{n},ABC99999999{n},2026-05-04,,2026-05-05,{t}.00,11,"
                        for n, (c, t) in enumerate([("XC1", 300), ("XC2", 300), ("XC3", 150), ("XC4", 300),
                                                    ("XC5", 300), ("XC6", 300), ("XC7", 300)])),
    "claim_lines": "\n".join([f"{c},1,99213,,,1,100.00,2026-05-04\n{c},2,20610,,,1,200.00,2026-05-04"
                              for c in ("XC1", "XC2", "XC4", "XC5", "XC6", "XC7")] + ["XC3,1,99213,,,1,150.00,2026-05-04"]),
    "remits": "RXC11,PAYB,TRN-B11,2026-05-12,XC1,19,300.00,60.00,20.00,PB-0093,\n"
              "RXC12,PAYA,TRN-A11,2026-05-19,XC1,2,100.00,20.00,0.00,PA-0093,\n"
              "RXC21,PAYB,TRN-B11,2026-05-12,XC2,19,300.00,60.00,20.00,PB-0094,\n"
              "RXC22,PAYA,TRN-A11,2026-05-19,XC2,2,100.00,20.00,0.00,PA-0094,\n"
              "RXC23,PAYB,TRN-B13,2026-06-02,XC2,19,200.00,150.00,0.00,PB-0094,\n"
              "RXC31,PAYB,TRN-B11,2026-05-12,XC3,4,150.00,0.00,0.00,PB-0095,\n"
              "RXC32,PAYA,TRN-A14,2026-05-26,XC3,1,150.00,120.00,0.00,PA-0095,\n"
              "RXC41,PAYB,TRN-B11,2026-05-12,XC4,1,300.00,60.00,20.00,PB-0096,\n"
              "RXC42,PAYA,TRN-A11,2026-05-26,XC4,2,100.00,20.00,0.00,PA-0096,\n"
              "RXC51,PAYB,TRN-B11,2026-05-12,XC5,19,300.00,60.00,20.00,PB-0097,\n"
              "RXC52,PAYA,TRN-A14,2026-05-26,XC5,2,300.00,140.00,0.00,PA-0097,\n"
              "RXC61,PAYB,TRN-B11,2026-05-12,XC6,19,300.00,60.00,20.00,PB-0098,\n"
              "RXC62,PAYA,TRN-A11,2026-05-19,XC6,2,100.00,20.00,0.00,PA-0098,\n"
              "RXC63,PAYB2,TRN-B13,2026-06-02,XC6,1,200.00,150.00,0.00,PB-0098,\n"
              "RXC71,PAYB,TRN-B11,2026-05-12,XC7,19,300.00,60.00,20.00,PB-0099,\n"
              "RXC72,PAYA,TRN-A11,2026-05-19,XC7,2,100.00,20.00,0.00,PA-0099,\n"
              "RXC73,PAYB,TRN-B13,2026-06-02,XC7,19,200.00,120.00,30.00,PB-0099,\n"
              "RXC74,PAYA,TRN-A14,2026-06-12,XC7,2,200.00,30.00,0.00,PA-0099,",
    # the primary's first remit (paid line 1, denied line 2) and the secondary's coinsurance on line 1
    "remit_lines": "\n".join(f"RXC{n}1,1,99213,,1,100.00,60.00\nRXC{n}1,2,20610,,1,200.00,0.00" for n in (1, 2, 4, 5, 6, 7))
                   + "\n" + "\n".join(f"RXC{n}2,1,99213,,1,100.00,20.00" for n in (1, 2, 4, 6, 7))
                   + "\nRXC23,2,20610,,1,200.00,150.00\nRXC31,1,99213,,1,150.00,0.00\nRXC32,1,99213,,1,150.00,120.00"
                     "\nRXC52,1,99213,,1,100.00,20.00\nRXC52,2,20610,,1,200.00,120.00\nRXC63,2,20610,,1,200.00,150.00"
                     "\nRXC73,2,20610,,1,200.00,120.00\nRXC74,2,20610,,1,200.00,30.00",
    "remit_adjustments": "\n".join(f"RXC{n}1,1,CO,45,20.00\nRXC{n}1,1,PR,2,20.00\nRXC{n}1,2,CO,{96 if n == 5 else 50},200.00"
                                    for n in (1, 2, 4, 5, 6, 7))
                         + "\n" + "\n".join(f"RXC{n}2,1,OA,23,80.00" for n in (1, 2, 4, 5, 6, 7))
                         + "\nRXC23,2,CO,45,50.00\nRXC31,1,CO,22,150.00\nRXC32,1,CO,45,30.00\nRXC52,2,CO,45,80.00"
                           "\nRXC63,2,CO,45,50.00\nRXC73,2,CO,45,50.00\nRXC73,2,PR,2,30.00\nRXC74,2,OA,23,170.00",
}


def test_a_denial_stays_open_when_another_payer_pays_only_its_share(tmp_path):
    """With remits from more than one payer, the initial payer's decide, and another payer's only where it
    pays a line the initial adjudication denied. Each claim (but XC3) has a $100 line 1 and a $200 line 2;
    the primary PAYB first pays line 1 60 (CO-45 20, PR-2 20) and denies line 2 (CO-50 200), so $200 denied.
    XC1, a crossover (19): the secondary PAYA pays the coinsurance 20 on line 1 (OA-23 80) and does not
    list line 2: recovered 0 (its share of line 1), open $200 = the balance (300 - 60 - 20 - 20). It read
    recovered $20, open $0, as the secondary's remit was the latest and denies nothing. XC2, the same, then
    PAYB pays line 2 on appeal (150, CO-45 50): recovered 150, open 0, balance 0. XC3: PAYB denies its $150
    line outright (status 4, CO-22: another payer is primary) and PAYA, the right payer, pays 120 (CO-45
    30): a recovery of 120, open 0, balance 0. XC4: no crossover (status 1; the practice bills PAYA
    itself), PAYA pays the coinsurance on line 1: recovered 0, open $200. XC5: Medicare denies line 2
    non-covered (CO-96) and Medicaid, the secondary, pays it 120 (CO-45 80) with the coinsurance 20 on line
    1: recovered 120, open 0, balance 0. XC6: PAYB's appeal payment of line 2 (150, CO-45 50) comes under
    another payer id (PAYB2): it pays the denied line, so recovered 150, open 0. XC7: PAYB pays line 2 on
    appeal and forwards it again (120, CO-45 50, PR-2 30), PAYA pays that coinsurance 30 on line 2:
    recovered 150 of the denied line, open 0, balance 0."""
    con = core_plus(tmp_path, CROSSOVER_ROWS)
    q = ("SELECT c.claim_id, c.initially_denied, c.denied_dollars, c.recovered_dollars, c.open_denied_dollars "
         "FROM m_claim c WHERE claim_id LIKE 'XC%' ORDER BY 1")
    assert con.sql(q).fetchall() == [("XC1", True, 200, 0, 200), ("XC2", True, 200, 150, 0), ("XC3", True, 150, 120, 0),
                                     ("XC4", True, 200, 0, 200), ("XC5", True, 200, 120, 0), ("XC6", True, 200, 150, 0),
                                     ("XC7", True, 200, 150, 0)]
    balance = dict(con.sql("SELECT claim_id, balance FROM m_ar_claim WHERE claim_id IN ('XC1', 'XC2', 'XC3', 'XC5', "
                           "'XC6', 'XC7')").fetchall())
    assert balance == {"XC1": 200, "XC2": 0, "XC3": 0, "XC5": 0, "XC6": 0, "XC7": 0}


def test_a_reversed_crossover_does_not_move_its_patient_share_back(tmp_path):
    """A crossover remit (19) moves no PR (the next payer's share), so its reversal (22) must not move the
    negated PR back either (from a review, 2026-12-07). XR1, $300 (line 1 $100, line 2 $200): PAYB (19)
    pays 60 + 150 (CO-45 20 + 30, PR-2 20 + 20) -> 300 - 210 - 50 = 40; the secondary PAYA (2) pays the
    coinsurance 20 + 20 (OA-23) -> 0; on 07-01 PAYB reverses it all (22: +210 paid, +50 CO-45, PR -40
    not moved) -> 260, and re-adjudicates (19) paying line 1 60 (CO-45 20, PR-2 20) and denying line 2
    (CO-50 200) -> 180: line 2's 200 less the secondary's 20 on it. It read 220 (the reversal's PR put
    40 back that had never been taken off). Denied after payment: PAYB's payments taken back and not
    paid again, 210 - 60 = $150 (the secondary's 40 is not PAYB's), dated 07-01, PAYB's re-adjudication,
    though the secondary sends a remit on 07-15 (it pays 0 on line 1, OA-23 100: the balance stays 180)."""
    con = core_plus(tmp_path, {
        "claims": "XR1,,1,,S1,1234567893,1111111112,PAYB,MRN-0090,ABC999999990,2026-05-04,,2026-05-05,300.00,11,",
        "claim_lines": "XR1,1,99213,,,1,100.00,2026-05-04\nXR1,2,20610,,,1,200.00,2026-05-04",
        "remits": "RXR1,PAYB,TRN-R1,2026-05-12,XR1,19,300.00,210.00,40.00,PB-0090,\n"
                  "RXR2,PAYA,TRN-R2,2026-05-19,XR1,2,300.00,40.00,0.00,PA-0090,\n"
                  "RXR3,PAYB,TRN-R3,2026-07-01,XR1,22,-300.00,-210.00,-40.00,PB-0090,\n"
                  "RXR4,PAYB,TRN-R4,2026-07-01,XR1,19,300.00,60.00,20.00,PB-0090,\n"
                  "RXR5,PAYA,TRN-R5,2026-07-15,XR1,2,100.00,0.00,0.00,PA-0090,",
        "remit_lines": "RXR1,1,99213,,1,100.00,60.00\nRXR1,2,20610,,1,200.00,150.00\n"
                       "RXR2,1,99213,,1,100.00,20.00\nRXR2,2,20610,,1,200.00,20.00\n"
                       "RXR3,1,99213,,1,-100.00,-60.00\nRXR3,2,20610,,1,-200.00,-150.00\n"
                       "RXR4,1,99213,,1,100.00,60.00\nRXR4,2,20610,,1,200.00,0.00\nRXR5,1,99213,,1,100.00,0.00",
        "remit_adjustments": "RXR1,1,CO,45,20.00\nRXR1,1,PR,2,20.00\nRXR1,2,CO,45,30.00\nRXR1,2,PR,2,20.00\n"
                             "RXR2,1,OA,23,80.00\nRXR2,2,OA,23,180.00\n"
                             "RXR3,1,CO,45,-20.00\nRXR3,1,PR,2,-20.00\nRXR3,2,CO,45,-30.00\nRXR3,2,PR,2,-20.00\n"
                             "RXR4,1,CO,45,20.00\nRXR4,1,PR,2,20.00\nRXR4,2,CO,50,200.00\nRXR5,1,OA,23,100.00",
    })
    assert (_ar_at(con, "XR1", "2026-05-12"), _ar_at(con, "XR1", "2026-05-19"), _ar_at(con, "XR1", "2026-07-01")) == (40, 0, 180)
    assert con.sql("SELECT balance FROM m_ar_claim WHERE claim_id = 'XR1'").fetchall()[0][0] == 180
    assert con.sql("SELECT initially_denied, redenied_dollars, redenied_on, last_adjudication_date FROM m_claim "
                   "WHERE claim_id = 'XR1'").fetchall() == [(False, 150, dt.date(2026, 7, 1), dt.date(2026, 7, 15))]
    # the work queue dates the re-denial by PAYB's re-adjudication, not by the secondary's later remit
    assert con.sql("SELECT status, denied_on FROM m_open_denial WHERE claim_id = 'XR1'").fetchall() == [
        ("denied after payment", dt.date(2026, 7, 1))]


def test_a_re_adjudicated_line_counts_its_latest_write_downs_only(tmp_path):
    """A payer that adjudicates a line again without reversing its first remit restates that line: its
    earlier write-downs are added back. X2 ($300: line 1 $100, line 2 $200): R1 pays line 1 80 (CO-45
    20) and denies line 2 (CO-45 50, CO-197 150) -> A/R 150; after the appeal R2 adjudicates line 2
    alone: pays 150, CO-45 50 -> A/R 0 (line 2's first CO-45 50 added back; without it, -50). X3, the
    same first remit, then a reversal (22) of it and a new full remit (paid 230, CO-45 70): after a
    reversal nothing is added back (it undid R1 itself) -> 150, 300, 0."""
    con = core_plus(tmp_path, {
        "claims": "X2,,1,,S1,1234567893,1111111112,PAYA,MRN-0097,ABC999999997,2026-05-04,,2026-05-05,300.00,11,\n"
                  "X3,,1,,S1,1234567893,1111111112,PAYA,MRN-0098,ABC999999998,2026-05-04,,2026-05-05,300.00,11,",
        "claim_lines": "X2,1,99213,,,1,100.00,2026-05-04\nX2,2,20610,,,1,200.00,2026-05-04\n"
                       "X3,1,99213,,,1,100.00,2026-05-04\nX3,2,20610,,,1,200.00,2026-05-04",
        "remits": "RX21,PAYA,TRN-A7,2026-05-12,X2,1,300.00,80.00,0,PA-0097,\n"
                  "RX22,PAYA,TRN-A8,2026-05-19,X2,1,200.00,150.00,0,PA-0097,\n"
                  "RX31,PAYA,TRN-A7,2026-05-12,X3,1,300.00,80.00,0,PA-0098,\n"
                  "RX32,PAYA,TRN-A8,2026-05-19,X3,22,-300.00,-80.00,0,PA-0098,\n"
                  "RX33,PAYA,TRN-A8,2026-05-20,X3,1,300.00,230.00,0,PA-0098,",
        "remit_lines": "RX21,1,99213,,1,100.00,80.00\nRX21,2,20610,,1,200.00,0.00\nRX22,2,20610,,1,200.00,150.00\n"
                       "RX31,1,99213,,1,100.00,80.00\nRX31,2,20610,,1,200.00,0.00\n"
                       "RX32,1,99213,,1,-100.00,-80.00\nRX32,2,20610,,1,-200.00,0.00\n"
                       "RX33,1,99213,,1,100.00,80.00\nRX33,2,20610,,1,200.00,150.00",
        "remit_adjustments": "RX21,1,CO,45,20.00\nRX21,2,CO,45,50.00\nRX21,2,CO,197,150.00\nRX22,2,CO,45,50.00\n"
                             "RX31,1,CO,45,20.00\nRX31,2,CO,45,50.00\nRX31,2,CO,197,150.00\n"
                             "RX32,1,CO,45,-20.00\nRX32,2,CO,45,-50.00\nRX32,2,CO,197,-150.00\n"
                             "RX33,1,CO,45,20.00\nRX33,2,CO,45,50.00",
    })
    assert (_ar_at(con, "X2", "2026-05-12"), _ar_at(con, "X2", "2026-05-19")) == (150, 0)
    assert (_ar_at(con, "X3", "2026-05-12"), _ar_at(con, "X3", "2026-05-19"), _ar_at(con, "X3", "2026-05-20")) == (150, 300, 0)
    assert con.sql("SELECT count(*) FROM m_ar_claim WHERE claim_id IN ('X2', 'X3') AND balance <> 0").fetchall() == [(0,)]


def test_open_denied_leaves_out_the_contractual_part_of_a_denied_line(tmp_path):
    """A denied line that also carries a contractual write-down: X4, one $1,000 line, paid 0, CO-45
    $400 (contract) and CO-197 $600 (no authorization). Denied dollars are the line's charge ($1,000);
    what the payer could still pay is $600, which is also the claim's insurance balance, so open denied
    is $600, not $1,000. A $150 write-off of the denial leaves $450 open; the balance is then $450 too."""
    con = core_plus(tmp_path, {
        "claims": "X4,,1,,S1,1234567893,1111111112,PAYB,MRN-0099,ABC999999999,2026-05-04,,2026-05-05,1000.00,11,",
        "claim_lines": "X4,1,99214,,,1,1000.00,2026-05-04",
        "remits": "RX4,PAYB,TRN-B9,2026-05-12,X4,1,1000.00,0.00,0.00,PB-0099,",
        "remit_lines": "RX4,1,99214,,1,1000.00,0.00",
        "remit_adjustments": "RX4,1,CO,45,400.00\nRX4,1,CO,197,600.00",
    })
    row = con.sql("SELECT initially_denied, denied_dollars, open_denied_dollars FROM m_claim WHERE claim_id = 'X4'").fetchall()
    assert row == [(True, 1000, 600)]
    assert con.sql("SELECT balance FROM m_ar_claim WHERE claim_id = 'X4'").fetchall()[0][0] == 600
    con.close()
    con = core_plus(tmp_path / "wo", {
        "claims": "X4,,1,,S1,1234567893,1111111112,PAYB,MRN-0099,ABC999999999,2026-05-04,,2026-05-05,1000.00,11,",
        "claim_lines": "X4,1,99214,,,1,1000.00,2026-05-04",
        "remits": "RX4,PAYB,TRN-B9,2026-05-12,X4,1,1000.00,0.00,0.00,PB-0099,",
        "remit_lines": "RX4,1,99214,,1,1000.00,0.00",
        "remit_adjustments": "RX4,1,CO,45,400.00\nRX4,1,CO,197,600.00",
        "write_offs": "X4,2026-05-20,150.00,auth_not_obtained",
    })
    assert con.sql("SELECT open_denied_dollars FROM m_claim WHERE claim_id = 'X4'").fetchall()[0][0] == 450
    assert con.sql("SELECT balance FROM m_ar_claim WHERE claim_id = 'X4'").fetchall()[0][0] == 450


def test_open_denied_counts_what_a_partly_won_appeal_still_denies(tmp_path):
    """A partial appeal win: X5, one $200 line. R1 (05-12) denies it: paid 0, CO-50 $200 (medical
    necessity) -> denied $200, open $200. R2 (05-26, the appeal decision) pays 80, CO-45 40 (contract),
    and keeps CO-50 80: the line is paid, so it is no longer denied outright, but the payer still denies
    $80 of it. Open denied = min(80 still denied, 200 denied - 0 write-downs - 80 recovered) - 0 written
    off = $80, which is also the insurance balance (200 - 80 paid - 40 contract). Before, it was $0.
    With a $30 write-off of the rest: min(80, 120) - 30 = $50 open, balance $50. X6, the same but R2 pays
    120 and keeps nothing but CO-45 80 (a full win): open $0, balance $0. X7: R2 pays 80 and moves the
    rest to the patient with PR-204 80 (PR is the patient's, not the payer's): open $0."""
    base = {
        "claims": "X5,,1,,S1,1234567893,1111111112,PAYB,MRN-0099,ABC999999999,2026-05-04,,2026-05-05,200.00,11,\n"
                  "X6,,1,,S1,1234567893,1111111112,PAYB,MRN-0098,ABC999999998,2026-05-04,,2026-05-05,200.00,11,\n"
                  "X7,,1,,S1,1234567893,1111111112,PAYB,MRN-0097,ABC999999997,2026-05-04,,2026-05-05,200.00,11,",
        "claim_lines": "X5,1,99214,,,1,200.00,2026-05-04\nX6,1,99214,,,1,200.00,2026-05-04\n"
                       "X7,1,99214,,,1,200.00,2026-05-04",
        "remits": "RX51,PAYB,TRN-B5,2026-05-12,X5,1,200.00,0.00,0.00,PB-0095,\n"
                  "RX52,PAYB,TRN-B6,2026-05-26,X5,1,200.00,80.00,0.00,PB-0095,\n"
                  "RX61,PAYB,TRN-B5,2026-05-12,X6,1,200.00,0.00,0.00,PB-0096,\n"
                  "RX62,PAYB,TRN-B6,2026-05-26,X6,1,200.00,120.00,0.00,PB-0096,\n"
                  "RX71,PAYB,TRN-B5,2026-05-12,X7,1,200.00,0.00,0.00,PB-0097,\n"
                  "RX72,PAYB,TRN-B6,2026-05-26,X7,1,200.00,80.00,80.00,PB-0097,",
        "remit_lines": "RX51,1,99214,,1,200.00,0.00\nRX52,1,99214,,1,200.00,80.00\n"
                       "RX61,1,99214,,1,200.00,0.00\nRX62,1,99214,,1,200.00,120.00\n"
                       "RX71,1,99214,,1,200.00,0.00\nRX72,1,99214,,1,200.00,80.00",
        "remit_adjustments": "RX51,1,CO,50,200.00\nRX52,1,CO,45,40.00\nRX52,1,CO,50,80.00\n"
                             "RX61,1,CO,50,200.00\nRX62,1,CO,45,80.00\n"
                             "RX71,1,CO,50,200.00\nRX72,1,CO,45,40.00\nRX72,1,PR,204,80.00",
    }
    q = ("SELECT c.claim_id, c.initially_denied, c.denied_dollars, c.recovered_dollars, c.open_denied_dollars, "
         "a.balance FROM m_claim c JOIN m_ar_claim a USING (claim_id) WHERE claim_id IN ('X5', 'X6', 'X7') ORDER BY 1")
    con = core_plus(tmp_path, base)
    assert con.sql(q).fetchall() == [("X5", True, 200, 80, 80, 80), ("X6", True, 200, 120, 0, 0),
                                     ("X7", True, 200, 80, 0, 0)]
    con.close()
    con = core_plus(tmp_path / "wo", {**base, "write_offs": "X5,2026-06-01,30.00,medical_necessity"})
    assert con.sql(q).fetchall()[0] == ("X5", True, 200, 80, 50, 50)


def test_a_reversed_appeal_payment_leaves_the_denial_open(tmp_path):
    """The payer takes back what an appeal paid and sends no new adjudication. X9, one $200 line denied
    CO-50 on 05-12; the appeal remit of 05-26 pays 120 (CO-45 80: a full win, open 0); the reversal
    (status 22) of 06-02 takes back -120 and -80. The last remit event is the reversal: the line is
    denied again, recovered = 120 - 120 = 0, open = 200 - 0 - 0 - 0 = $200 = the balance (200 - 120 - 80
    + 120 + 80). X10, the partial win of X5 (pays 80, CO-45 40, keeps CO-50 80) reversed the same way:
    open $200 = balance. Before, X9 read $0 open and left the work queue, X10 $80."""
    con = core_plus(tmp_path, {
        "claims": "X9,,1,,S1,1234567893,1111111112,PAYB,MRN-0099,ABC999999999,2026-05-04,,2026-05-05,200.00,11,\n"
                  "X10,,1,,S1,1234567893,1111111112,PAYB,MRN-0098,ABC999999998,2026-05-04,,2026-05-05,200.00,11,",
        "claim_lines": "X9,1,99214,,,1,200.00,2026-05-04\nX10,1,99214,,,1,200.00,2026-05-04",
        "remits": "RX91,PAYB,TRN-B5,2026-05-12,X9,1,200.00,0.00,0.00,PB-0095,\n"
                  "RX92,PAYB,TRN-B6,2026-05-26,X9,1,200.00,120.00,0.00,PB-0095,\n"
                  "RX93,PAYB,TRN-B7,2026-06-02,X9,22,-200.00,-120.00,0.00,PB-0095,\n"
                  "RX101,PAYB,TRN-B5,2026-05-12,X10,1,200.00,0.00,0.00,PB-0096,\n"
                  "RX102,PAYB,TRN-B6,2026-05-26,X10,1,200.00,80.00,0.00,PB-0096,\n"
                  "RX103,PAYB,TRN-B7,2026-06-02,X10,22,-200.00,-80.00,0.00,PB-0096,",
        "remit_lines": "RX91,1,99214,,1,200.00,0.00\nRX92,1,99214,,1,200.00,120.00\nRX93,1,99214,,1,-200.00,-120.00\n"
                       "RX101,1,99214,,1,200.00,0.00\nRX102,1,99214,,1,200.00,80.00\nRX103,1,99214,,1,-200.00,-80.00",
        "remit_adjustments": "RX91,1,CO,50,200.00\nRX92,1,CO,45,80.00\nRX93,1,CO,45,-80.00\n"
                             "RX101,1,CO,50,200.00\nRX102,1,CO,45,40.00\nRX102,1,CO,50,80.00\n"
                             "RX103,1,CO,45,-40.00\nRX103,1,CO,50,-80.00",
    })
    q = ("SELECT c.claim_id, c.recovered_dollars, c.open_denied_dollars, a.balance FROM m_claim c "
         "JOIN m_ar_claim a USING (claim_id) WHERE claim_id IN ('X9', 'X10') ORDER BY 1")
    assert con.sql(q).fetchall() == [("X10", 0, 200, 200), ("X9", 0, 200, 200)]


def test_a_patient_liable_denial_is_a_denial_but_not_open(tmp_path):
    """PR-96 / PR-204 stay denials (docs/taxonomy.md): the payer refused and the patient is liable.
    Y1, one $150 line: paid 0, PR-204 150 -> denied $150, root cause non_covered / patient_liable,
    open $0 (the balance moved to the patient: insurance A/R 150 - 150 = 0). Y2, paid 0, PR-1 150 (the
    deductible took it all): allowed 150, not a denial. Y3, a $200 line: paid 0, CO-45 50, PR-96 150 ->
    denied $200, open 200 - 50 (contractual) - 150 (patient's) = $0, balance 0. Before, a PR amount of
    any kind made the line 'allowed', so Y1 and Y3 were not denials at all."""
    con = core_plus(tmp_path, {
        "claims": "Y1,,1,,S1,1234567893,1111111112,PAYB,MRN-0091,ABC999999991,2026-05-04,,2026-05-05,150.00,11,\n"
                  "Y2,,1,,S1,1234567893,1111111112,PAYB,MRN-0092,ABC999999992,2026-05-04,,2026-05-05,150.00,11,\n"
                  "Y3,,1,,S1,1234567893,1111111112,PAYB,MRN-0093,ABC999999993,2026-05-04,,2026-05-05,200.00,11,",
        "claim_lines": "Y1,1,99214,,,1,150.00,2026-05-04\nY2,1,99214,,,1,150.00,2026-05-04\n"
                       "Y3,1,99214,,,1,200.00,2026-05-04",
        "remits": "RY1,PAYB,TRN-Y1,2026-05-12,Y1,1,150.00,0.00,150.00,PB-0191,\n"
                  "RY2,PAYB,TRN-Y1,2026-05-12,Y2,1,150.00,0.00,150.00,PB-0192,\n"
                  "RY3,PAYB,TRN-Y1,2026-05-12,Y3,1,200.00,0.00,150.00,PB-0193,",
        "remit_lines": "RY1,1,99214,,1,150.00,0.00\nRY2,1,99214,,1,150.00,0.00\nRY3,1,99214,,1,200.00,0.00",
        "remit_adjustments": "RY1,1,PR,204,150.00\nRY2,1,PR,1,150.00\nRY3,1,CO,45,50.00\nRY3,1,PR,96,150.00",
    })
    q = ("SELECT c.claim_id, c.initially_denied, c.denied_dollars, c.root_cause, c.sub_cause, c.open_denied_dollars, "
         "a.balance FROM m_claim c JOIN m_ar_claim a USING (claim_id) WHERE claim_id LIKE 'Y%' ORDER BY 1")
    assert con.sql(q).fetchall() == [("Y1", True, 150, "non_covered", "patient_liable", 0, 0),
                                     ("Y2", False, 0, None, None, 0, 0),
                                     ("Y3", True, 200, "non_covered", "patient_liable", 0, 0)]


def test_open_denied_follows_what_the_latest_remit_moved_to_the_patient(tmp_path):
    """Open denied dollars equal the insurance balance when a PR denial is involved (from a review of the
    change above; one $150 line each unless said). Z1: claim-level PR-204 on a remit with a line -> open
    0. Z2: the same on a remit with no lines -> 0. Z3: CO-96 on 05-12, re-adjudicated PR-204 on 05-26 ->
    0 (the latest remit moved it to the patient; it read 150). Z4: PR-204 then reversed (22) with
    nothing after -> 150 (the reversal put it back). Z5: PR-204 on a crossover remit (19: the next
    payer's share) -> 150. Z6: PR-204 then re-adjudicated CO-96 -> 150 (it read 0). Z7, a $200 line:
    PR-96 100, CO-45 50, CO-96 50 -> 50."""
    c = "{},,1,,S1,1234567893,1111111112,PAYB,MRN-00{},ABC9999999{},2026-05-04,,2026-05-05,{}.00,11,"
    con = core_plus(tmp_path, {
        "claims": "\n".join(c.format(z, 90 + i, 90 + i, 200 if z == "Z7" else 150)
                            for i, z in enumerate(["Z1", "Z2", "Z3", "Z4", "Z5", "Z6", "Z7"])),
        "claim_lines": "\n".join(f"{z},1,99214,,,1,{200 if z == 'Z7' else 150}.00,2026-05-04"
                                 for z in ["Z1", "Z2", "Z3", "Z4", "Z5", "Z6", "Z7"]),
        "remits": "RZ1,PAYB,TRN-RZ1,2026-05-12,Z1,1,150.00,0.00,150.00,PB-Z1,\n"
                  "RZ2,PAYB,TRN-RZ2,2026-05-12,Z2,1,150.00,0.00,150.00,PB-Z2,\n"
                  "RZ3a,PAYB,TRN-RZ3a,2026-05-12,Z3,1,150.00,0.00,0.00,PB-Z3,\n"
                  "RZ3b,PAYB,TRN-RZ3b,2026-05-26,Z3,1,150.00,0.00,150.00,PB-Z3,\n"
                  "RZ4a,PAYB,TRN-RZ4a,2026-05-12,Z4,1,150.00,0.00,150.00,PB-Z4,\n"
                  "RZ4b,PAYB,TRN-RZ4b,2026-05-20,Z4,22,-150.00,0.00,-150.00,PB-Z4,\n"
                  "RZ5,PAYB,TRN-RZ5,2026-05-12,Z5,19,150.00,0.00,150.00,PB-Z5,\n"
                  "RZ6a,PAYB,TRN-RZ6a,2026-05-12,Z6,1,150.00,0.00,150.00,PB-Z6,\n"
                  "RZ6b,PAYB,TRN-RZ6b,2026-05-26,Z6,1,150.00,0.00,0.00,PB-Z6,\n"
                  "RZ7,PAYB,TRN-RZ7,2026-05-12,Z7,1,200.00,0.00,100.00,PB-Z7,",
        "remit_lines": "RZ1,1,99214,,1,150.00,0.00\nRZ3a,1,99214,,1,150.00,0.00\nRZ3b,1,99214,,1,150.00,0.00\n"
                       "RZ4a,1,99214,,1,150.00,0.00\nRZ4b,1,99214,,1,-150.00,0.00\nRZ5,1,99214,,1,150.00,0.00\n"
                       "RZ6a,1,99214,,1,150.00,0.00\nRZ6b,1,99214,,1,150.00,0.00\nRZ7,1,99214,,1,200.00,0.00",
        "remit_adjustments": "RZ1,,PR,204,150.00\nRZ2,,PR,204,150.00\nRZ3a,1,CO,96,150.00\nRZ3b,1,PR,204,150.00\n"
                             "RZ4a,1,PR,204,150.00\nRZ4b,1,PR,204,-150.00\nRZ5,1,PR,204,150.00\n"
                             "RZ6a,1,PR,204,150.00\nRZ6b,1,CO,96,150.00\n"
                             "RZ7,1,PR,96,100.00\nRZ7,1,CO,45,50.00\nRZ7,1,CO,96,50.00",
    })
    rows = con.sql("SELECT c.claim_id, c.initially_denied, c.open_denied_dollars, a.balance FROM m_claim c "
                   "JOIN m_ar_claim a USING (claim_id) WHERE claim_id LIKE 'Z%' ORDER BY 1").fetchall()
    assert rows == [("Z1", True, 0, 0), ("Z2", True, 0, 0), ("Z3", True, 0, 0), ("Z4", True, 150, 150),
                    ("Z5", True, 150, 150), ("Z6", True, 150, 150), ("Z7", True, 50, 50)]


def test_a_pr_denial_on_a_paid_line_leaves_the_denied_line_open(tmp_path):
    """Two $100 lines, line 1 denied CO-16 (from a second review): a PR denial elsewhere on the remit is
    not the denied line's. P1: line 2 paid 80 + PR-204 20 -> open 100 (it read 80). P2: the PR-204 20 at
    claim level, line 1 having its own adjustments -> 100. P6: line 2 paid 70 + PR-2 10 + PR-96 20 -> 100.
    P3: both lines CO-16, then re-adjudicated PR-96 100 on line 1 and CO-16 100 on line 2 -> 100 (line 1
    moved to the patient). Each equals the insurance balance."""
    ids = ["P1", "P2", "P3", "P6"]
    c = "{},,1,,S1,1234567893,1111111112,PAYB,MRN-00{},ABC9999999{},2026-05-04,,2026-05-05,200.00,11,"
    con = core_plus(tmp_path, {
        "claims": "\n".join(c.format(z, 60 + i, 60 + i) for i, z in enumerate(ids)),
        "claim_lines": "\n".join(f"{z},1,99214,,,1,100.00,2026-05-04\n{z},2,99213,,,1,100.00,2026-05-04" for z in ids),
        "remits": "RP1,PAYB,TRN-P1,2026-05-12,P1,1,200.00,80.00,20.00,PB-P1,\n"
                  "RP2,PAYB,TRN-P2,2026-05-12,P2,1,200.00,80.00,20.00,PB-P2,\n"
                  "RP3a,PAYB,TRN-P3a,2026-05-12,P3,1,200.00,0.00,0.00,PB-P3,\n"
                  "RP3b,PAYB,TRN-P3b,2026-05-26,P3,1,200.00,0.00,100.00,PB-P3,\n"
                  "RP6,PAYB,TRN-P6,2026-05-12,P6,1,200.00,70.00,30.00,PB-P6,",
        "remit_lines": "RP1,1,99214,,1,100.00,0.00\nRP1,2,99213,,1,100.00,80.00\n"
                       "RP2,1,99214,,1,100.00,0.00\nRP2,2,99213,,1,100.00,80.00\n"
                       "RP3a,1,99214,,1,100.00,0.00\nRP3a,2,99213,,1,100.00,0.00\n"
                       "RP3b,1,99214,,1,100.00,0.00\nRP3b,2,99213,,1,100.00,0.00\n"
                       "RP6,1,99214,,1,100.00,0.00\nRP6,2,99213,,1,100.00,70.00",
        "remit_adjustments": "RP1,1,CO,16,100.00\nRP1,2,PR,204,20.00\nRP2,1,CO,16,100.00\nRP2,,PR,204,20.00\n"
                             "RP3a,1,CO,16,100.00\nRP3a,2,CO,16,100.00\nRP3b,1,PR,96,100.00\nRP3b,2,CO,16,100.00\n"
                             "RP6,1,CO,16,100.00\nRP6,2,PR,2,10.00\nRP6,2,PR,96,20.00",
    })
    rows = con.sql("SELECT c.claim_id, c.open_denied_dollars, a.balance FROM m_claim c "
                   "JOIN m_ar_claim a USING (claim_id) WHERE claim_id LIKE 'P_' ORDER BY 1").fetchall()
    assert rows == [("P1", 100, 100), ("P2", 100, 100), ("P3", 100, 100), ("P6", 100, 100)]


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
