"""Where to act: appeals timing, leakage (denials not worked in time), write-offs, A/R aging, and the
week a cause's trend changed. Every function takes a scope; KPIs themselves come from query.kpis.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from warehouse.dimensions import DENIAL_KEYS, DIMENSIONS
from warehouse.query import Filters, _Sql, _filter_sql
from warehouse.scope import Scope

AGING_BUCKETS = [("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("91-120", 91, 120), ("over 120", 121, None)]


# Per-claim insurance balance at a date D (the sum of the claim's A/R events dated on or before D, for
# claims with date of service on or before D), from m_ar_claim: its final balance when its last move
# is on or before D, else the sum of its moves dated on or before D. {cols} are columns of m_ar_claim,
# {where} the filter on them; the bound values are _balance_params.
_AT = "list_sum(list_transform(list_filter(moves, lambda m: m.day <= ?::DATE), lambda m: m.amount))"
_BALANCES = f"""
    SELECT claim_id, {{cols}}, balance FROM m_ar_claim
    WHERE last_day <= ? AND {{where}}
    UNION ALL
    SELECT claim_id, {{cols}}, {_AT} AS balance FROM m_ar_claim
    WHERE last_day > ? AND first_day <= ? AND {{where}}"""


def _balance_params(as_of: dt.date, q: _Sql) -> list:
    return [as_of] + q.params + [as_of, as_of, as_of] + q.params


def _where(scope: Scope, filters: Filters | None, mart: str = "claim") -> _Sql:
    q = _Sql()
    _filter_sql(q, scope, (filters or Filters()).without({"procedure_code", "modifier", "carc"}), mart)
    return q


def _denied_in_range(q: _Sql, filters: Filters | None, alias: str = "") -> None:
    """Keep the claims of the filters' date range: by initial adjudication (the denial), or by date of
    service on that basis."""
    if filters is None:
        return
    col = f"{alias}dos" if filters.basis == "service" else f"{alias}initial_adjudication_date"
    if filters.date_from:
        q.add(f"{col} >= ?", filters.date_from)
    if filters.date_to:
        q.add(f"{col} <= ?", filters.date_to)


APPEAL_COHORTS = {"decided": "appeals decided in the range", "filed": "appeals filed in the range"}


def appeal_timing(con: duckdb.DuckDBPyConnection, *, scope: Scope, filters: Filters | None = None,
                  by: str | None = None, cohort: str = "filed") -> pl.DataFrame:
    """Appeals by payer, root cause or level: filed, decided, won, win ratio, recovered dollars, and
    median days from denial to appeal and from appeal to decision (grain of the input: one appeal).
    The date range keeps the appeals filed in it (cohort 'filed': their outcome so far) or decided in
    it (cohort 'decided': the appeal win ratio KPI's appeals, so the same ratio as the KPI for any
    slice, and a median time to decision not cut short by the slow ones still pending); on the
    date-of-service basis, either way, the appeals of claims with a date of service in it (as the
    appeal KPIs on that basis)."""
    groups = {None: "'all'", "payer": "payer_id", "root_cause": "root_cause", "appeal_level": "appeal_level::VARCHAR",
              "site": "site_id"}
    if by not in groups:
        raise ValueError(f"by must be one of {list(groups)}")
    if cohort not in APPEAL_COHORTS:
        raise ValueError(f"cohort must be one of {list(APPEAL_COHORTS)}")
    q = _where(scope, filters, "appeal")
    col = ("dos" if filters and filters.basis == "service" else
           "decided_date" if cohort == "decided" else "filed_date")
    if cohort == "decided":
        q.add("is_decided")
    if filters and filters.date_from:
        q.add(f"{col} >= ?", filters.date_from)
    if filters and filters.date_to:
        q.add(f"{col} <= ?", filters.date_to)
    sql = f"""
        SELECT {groups[by]} AS {by or 'slice'}, count(*) AS appeals_filed,
               count(*) FILTER (WHERE is_decided) AS appeals_decided, count(*) FILTER (WHERE is_won) AS appeals_won,
               count(*) FILTER (WHERE is_won) / nullif(count(*) FILTER (WHERE is_decided), 0) AS appeal_win_ratio,
               coalesce(sum(recovered_amount) FILTER (WHERE is_won), 0)::DOUBLE AS recovered_on_appeal,
               median(days_denial_to_appeal) AS median_days_denial_to_appeal,
               median(days_to_decision) FILTER (WHERE is_decided) AS median_days_to_decision,
               count(*) FILTER (WHERE outcome = 'pending') AS appeals_pending
        FROM m_appeal WHERE {q.clause()} GROUP BY 1 ORDER BY appeals_filed DESC"""
    return con.sql(sql, params=q.params).pl()


def leakage(con: duckdb.DuckDBPyConnection, *, scope: Scope, as_of: dt.date, days: int = 30,
            filters: Filters | None = None, by: str = "site") -> pl.DataFrame:
    """Denials not worked in time: initially denied, and within `days` of the denial no appeal, no
    corrected claim and no write-off (claims denied less than `days` ago are not yet leakage). Some
    were worked later or paid since: never_worked_open_dollars is what of them is still open.
    Grain of the result: one row per site or payer."""
    col = {"site": "c.site_id", "payer": "c.payer_id", "root_cause": "c.root_cause"}[by]
    q = _where(scope, filters)
    q.add("c.initially_denied")
    q.add("c.initial_adjudication_date <= ?::DATE - ?::INTEGER", as_of, days)
    _denied_in_range(q, filters, "c.")
    # worked within `days` of the denial: m_claim carries each family's first appeal filing, first
    # corrected claim submission and first write-off, so this is one scan of m_claim
    sql = f"""
        WITH worked AS (
            SELECT {col} AS {by}, c.denied_dollars, c.open_denied_dollars,
                   coalesce(c.first_appeal_date <= c.initial_adjudication_date + ?::INTEGER, false)
                   OR coalesce(c.first_corrected_date <= c.initial_adjudication_date + ?::INTEGER, false)
                   OR coalesce(c.first_write_off_date <= c.initial_adjudication_date + ?::INTEGER, false) AS worked
            FROM m_claim c WHERE {q.clause()})
        SELECT {by}, count(*) AS denied_claims, sum(denied_dollars)::DOUBLE AS denied_dollars,
               count(*) FILTER (WHERE NOT worked) AS never_worked_claims,
               coalesce(sum(denied_dollars) FILTER (WHERE NOT worked), 0)::DOUBLE AS never_worked_dollars,
               coalesce(sum(open_denied_dollars) FILTER (WHERE NOT worked), 0)::DOUBLE AS never_worked_open_dollars
        FROM worked GROUP BY 1 ORDER BY never_worked_dollars DESC"""
    frame = con.sql(sql, params=[days, days, days] + q.params).pl()
    return frame.with_columns((pl.col("never_worked_claims") / pl.col("denied_claims")).alias("never_worked_share"))


# a denial attribute of the sidebar -> m_claim's column of it for a claim denied after payment (model 05)
REDENIAL_COLUMNS = {"root_cause": "redenial_cause", "sub_cause": "redenial_sub_cause", "stage": "redenial_stage",
                    "owner_team": "redenial_owner_team", "soft_hard": "redenial_soft_hard"}


def takebacks(con: duckdb.DuckDBPyConnection, *, scope: Scope, start: dt.date, end: dt.date,
              filters: Filters | None = None) -> dict:
    """The claims denied after payment (paid at first, then a reversal and a re-adjudication that denies:
    m_claim.redenied_dollars > 0) whose re-denial (redenied_on, the deciding adjudication) falls in [start, end], on
    either date basis: {'claims': n, 'dollars': their open dollars}. The filters apply as on every page, a
    denial attribute (root cause, stage, team ...) to the re-denial's; the date range does not (start and
    end do). Outside the denial KPIs, which count initial denials; the work queue lists them."""
    f = filters or Filters()
    q = _Sql()
    _filter_sql(q, scope, f.without({"procedure_code", "modifier", "carc", *REDENIAL_COLUMNS}), "claim")
    for key, values in f.values:
        if key in REDENIAL_COLUMNS:
            q.add(f"list_contains(?::VARCHAR[], {REDENIAL_COLUMNS[key]})", list(values))
    q.add("redenied_dollars > 0")
    q.add("redenied_on BETWEEN ? AND ?", start, end)
    n, dollars = con.sql(f"SELECT count(*), coalesce(sum(redenied_dollars), 0)::DOUBLE FROM m_claim WHERE {q.clause()}",
                         params=q.params).fetchall()[0]
    return {"claims": n, "dollars": dollars}


def write_offs(con: duckdb.DuckDBPyConnection, *, scope: Scope, filters: Filters | None = None) -> pl.DataFrame:
    """Write-offs of the initially denied claims of the date range (by initial adjudication, or by date
    of service on that basis) by reason and root cause (grain: reason x cause)."""
    q = _where(scope, filters)
    q.add("initially_denied AND written_off_dollars > 0")
    _denied_in_range(q, filters)
    sql = f"""SELECT write_off_reason, root_cause, count(*) AS claims, sum(written_off_dollars)::DOUBLE AS written_off_dollars
              FROM m_claim WHERE {q.clause()} GROUP BY ALL ORDER BY written_off_dollars DESC"""
    return con.sql(sql, params=q.params).pl()


def ar_aging(con: duckdb.DuckDBPyConnection, *, scope: Scope, as_of: dt.date, filters: Filters | None = None,
             by: str | None = None) -> pl.DataFrame:
    """Insurance A/R at `as_of` in aging buckets by age from date of service, with the denied part
    (balances of claims whose initial adjudication denied something). Grain: bucket (x site/payer)."""
    col = {None: "'all'", "site": "site_id", "payer": "payer_id"}[by]
    q = _where(scope, filters, "ar")
    cases = " ".join(f"WHEN age BETWEEN {lo} AND {hi} THEN '{name}'" if hi is not None else f"WHEN age >= {lo} THEN '{name}'"
                     for name, lo, hi in AGING_BUCKETS)
    # per (date of service, slice): the claims' final state (m_ar_open), then, for the claims that moved
    # after as_of, their state at as_of instead of their final one
    sql = f"""
        WITH s AS (
            SELECT {col} AS slice, dos, initially_denied AS denied, claims AS n, open_claims AS nz, balance
            FROM m_ar_open WHERE first_day <= ? AND {q.clause()}
            UNION ALL
            SELECT {col}, dos, initially_denied, 0,
                   (CASE WHEN bal_at <> 0 THEN 1 ELSE 0 END) - (CASE WHEN balance <> 0 THEN 1 ELSE 0 END), bal_at - balance
            FROM (SELECT *, {_AT} AS bal_at FROM m_ar_claim WHERE last_day > ? AND first_day <= ? AND {q.clause()}))
        SELECT slice AS {by or 'slice'}, CASE {cases} END AS bucket, sum(nz)::BIGINT AS claims,
               sum(balance)::DOUBLE AS ar_balance,
               coalesce(sum(balance) FILTER (WHERE denied), 0)::DOUBLE AS denied_balance
        FROM (SELECT *, ?::DATE - dos AS age FROM s) GROUP BY ALL HAVING sum(n) > 0"""
    frame = con.sql(sql, params=[as_of] + q.params + [as_of, as_of, as_of] + q.params + [as_of]).pl()
    order = {name: i for i, (name, _, _) in enumerate(AGING_BUCKETS)}
    return frame.with_columns(pl.col("bucket").replace_strict(order, return_dtype=pl.Int64).alias("_o")) \
        .sort([by or "slice", "_o"]).drop("_o")


def oldest_open_claims(con: duckdb.DuckDBPyConnection, *, scope: Scope, as_of: dt.date, limit: int = 50,
                       filters: Filters | None = None) -> pl.DataFrame:
    """The claims with an open insurance balance at `as_of`, oldest date of service first."""
    scope.require_claim_level()
    q = _where(scope, filters, "ar")
    sql = f"""
        WITH bal AS ({_BALANCES.format(cols="site_id AS site, payer_id AS payer, dos, initially_denied AS denied, "
                                           "root_cause", where=q.clause())})
        SELECT claim_id, site, payer, dos, ?::DATE - dos AS age_days, balance::DOUBLE AS balance, denied, root_cause
        FROM bal WHERE balance > 0 ORDER BY dos, claim_id LIMIT ?"""
    return con.sql(sql, params=_balance_params(as_of, q) + [as_of, limit]).pl()


def change_week(weekly: pl.DataFrame, value: str = "denial_rate", week: str = "week",
                min_weeks: int = 4) -> str | None:
    """The week a series' level changed: the split that most reduces the squared error of a
    two-level step fit (a single change point), if the two levels differ by more than twice the
    pooled standard error; None when the series is flat or too short. Pure: no SQL."""
    series = weekly.select([week, value]).drop_nulls().sort(week)
    ys = series[value].to_list()
    n = len(ys)
    if n < 2 * min_weeks:
        return None
    best, best_k = None, None
    for k in range(min_weeks, n - min_weeks + 1):
        a, b = ys[:k], ys[k:]
        ma, mb = sum(a) / len(a), sum(b) / len(b)
        sse = sum((y - ma) ** 2 for y in a) + sum((y - mb) ** 2 for y in b)
        if best is None or sse < best:
            best, best_k = sse, k
    a, b = ys[:best_k], ys[best_k:]
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    pooled = (best / max(n - 2, 1)) ** 0.5
    se = pooled * (1 / len(a) + 1 / len(b)) ** 0.5
    if se == 0 and ma == mb:
        return None
    if se > 0 and abs(mb - ma) < 2 * se:
        return None
    return series[week][best_k]


def ar_denied_share(con: duckdb.DuckDBPyConnection, *, scope: Scope, as_of: dt.date,
                    filters: Filters | None = None) -> pl.DataFrame:
    """The share of insurance A/R at `as_of` that is denied balances (balances of claims whose initial
    adjudication denied something): one row with ar_balance, denied_balance and denied_share
    (denied_balance / ar_balance, null when the A/R is 0). Same ledger and filters as ar_aging.
    `denied_only` names the denial filters (root cause, stage ...: the CARC filter does not narrow A/R)
    that keep only claims with a denial, under which the share is 100% by construction; else ''."""
    q = _where(scope, filters, "ar")
    narrowing = [DIMENSIONS[k].label for k in sorted(DENIAL_KEYS - {"carc"})
                 if k in (filters or Filters()).as_dict()]
    sql = f"""
        SELECT coalesce(sum(amount), 0)::DOUBLE AS ar_balance,
               coalesce(sum(amount) FILTER (WHERE initially_denied), 0)::DOUBLE AS denied_balance
        FROM m_ar_move WHERE day <= ? AND events > 0 AND {q.clause()}"""
    frame = con.sql(sql, params=[as_of] + q.params).pl()
    return frame.with_columns(pl.when(pl.col("ar_balance") != 0)
                              .then(pl.col("denied_balance") / pl.col("ar_balance"))
                              .otherwise(None).alias("denied_share"),
                              pl.lit(", ".join(narrowing)).alias("denied_only"))
