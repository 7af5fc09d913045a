"""KPIs for any slice and filter, within an access scope.

`kpis()` is the one way numbers leave the warehouse: the pages, the brief, the `kpi` command and the
tests call it. It plans one aggregate query per (mart, role, date) group of measures, binds every
value as a parameter, and joins the results on the slice fields.

Rules (docs/metrics.md):
- claim attributes (site, provider, payer, period...) narrow every measure;
- denial attributes (root cause, stage, team, CARC...) narrow the denial measures only: the
  denominators of the rates stay "all claims of the slice", so by-cause rates add up to the total;
- line attributes (procedure, modifier, CARC) switch the claim-cohort measures to line grain;
  a slice by procedure code and modifier, or modifier alone, reads m_line_rollup, which counts
  each claim once per key value, so claims are summed instead of counted DISTINCT (same numbers).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from warehouse.schema import scalar
import polars as pl

from warehouse.dimensions import (DENIAL_KEYS, DIMENSIONS, LINE_KEYS, NAME_SQL, PERIOD_KEYS, check,
                                  period_end, period_expr, period_label)
from warehouse.metrics import (AR, CLAIM, KPI_FIELDS, KPIS, LINE, LINE_ROLLUP, MEASURES, APPEAL, measures_of,
                               not_narrowed, share_of_whole)
from warehouse.scope import Scope

# kpis()'s marker that a slice has fewer than 90 days of charges before the as-of date (see _ar)
SHORT_HISTORY = "daily_charges_90__short_history"
MART_TABLE = {CLAIM: "m_claim", LINE: "m_line", LINE_ROLLUP: "m_line_rollup", APPEAL: "m_appeal"}
# m_line_rollup's key sets (warehouse/sql/models/18_line_rollup.sql), by the line attributes they
# hold, and its one date column
LINE_ROLLUP_KEY_SETS = {frozenset({"procedure_code", "modifier"}): "procedure_code,modifier",
                        frozenset({"modifier"}): "modifier"}
LINE_ROLLUP_DATE = "initial_adjudication_date"
BASES = ("adjudication", "service")


@dataclass(frozen=True)
class Filters:
    """Filter values per dimension key (each a tuple of accepted values) and a date range."""
    values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    basis: str = "adjudication"

    @classmethod
    def make(cls, values: dict | None = None, date_from=None, date_to=None, basis="adjudication") -> "Filters":
        vals = tuple(sorted((k, tuple(sorted(str(x) for x in v))) for k, v in (values or {}).items() if v))
        check(k for k, _ in vals)
        if basis not in BASES:
            raise ValueError(f"basis must be one of {BASES}")
        return cls(vals, _as_date(date_from), _as_date(date_to), basis)

    def as_dict(self) -> dict[str, tuple[str, ...]]:
        return dict(self.values)

    def without(self, keys) -> "Filters":
        return Filters(tuple((k, v) for k, v in self.values if k not in keys), self.date_from, self.date_to, self.basis)


def _as_date(v):
    if v is None or isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v))


class _Sql:
    """Collects WHERE fragments and their bound parameters in order."""

    def __init__(self):
        self.where: list[str] = []
        self.params: list = []

    def add(self, fragment: str, *params) -> None:
        self.where.append(fragment)
        self.params.extend(params)

    def clause(self) -> str:
        return " AND ".join(self.where) if self.where else "true"


def line_match(filters: Filters, alias: str = "") -> tuple[str, list] | None:
    """The line attributes among `filters` (procedure code, modifier, CARC) as one predicate on a
    single m_line row, with its parameters; None when there are none.

    A line matches when it carries every one of them: procedure 29881 with modifier RT is a line
    29881-RT (RT among its modifiers), never a claim's 29881-LT line beside its 29877-RT line: the
    lines m_line_rollup counts per procedure code and modifier. The KPIs filtered by line attributes
    (m_line, _filter_sql) and the claims behind any slice (warehouse.claims: the claim list, its count,
    the denied ones) both match lines with this, so a cell and its claim list count the same claims."""
    col = f"{alias}." if alias else ""
    parts, params = [], []
    for key, values in filters.values:
        if key not in LINE_KEYS:
            continue
        if key == "modifier":      # m_line.modifiers is a list; one list_contains per value is much
            parts.append("(" + " OR ".join(f"list_contains({col}modifiers, ?)" for _ in values) + ")"
                         if values else "false")        # faster than list_has_any
            params.extend(str(v) for v in values)
        else:
            parts.append(f"list_contains(?::VARCHAR[], {col}{DIMENSIONS[key].column})")
            params.append(list(values))
    return (" AND ".join(parts), params) if parts else None


def _filter_sql(q: _Sql, scope: Scope, filters: Filters, mart: str) -> None:
    frag, params = scope.sql("site_id")
    q.add(frag, *params)
    for key, values in filters.values:
        dim = DIMENSIONS[key]
        if dim.kind == "period" or key in LINE_KEYS:
            continue
        q.add(f"list_contains(?::VARCHAR[], {dim.column})", list(values))
    # line attributes select lines: m_line's only (on another mart the caller decided they do not apply)
    line = line_match(filters) if mart == LINE else None
    if line:
        q.add(line[0], *line[1])


def _source(mart: str, dims: list[str]) -> str:
    table = MART_TABLE[mart]
    if mart == LINE and "modifier" in dims:
        return f"(SELECT *, unnest(modifiers) AS modifier FROM {table})"
    return table


def _line_rollup_key_set(measures: list[str], dims: list[str], filters: Filters, date_col: str | None) -> str | None:
    """The m_line_rollup key set that answers a line-grain group exactly, or None (read m_line).

    Exact when the group's line attributes are one key set and all in the slice (a filter on a line
    attribute selects lines, which the rollup no longer has), no denial attribute narrows it (a
    line's root cause or CARC is not in the rollup) and its date is the rollup's."""
    if date_col != LINE_ROLLUP_DATE or set(filters.as_dict()) & (LINE_KEYS | DENIAL_KEYS) or set(dims) & DENIAL_KEYS:
        return None
    if not all(LINE_ROLLUP in MEASURES[m].sql for m in measures):
        return None
    return LINE_ROLLUP_KEY_SETS.get(frozenset(set(dims) & LINE_KEYS))


def _aggregate(con, mart: str, measures: list[str], dims: list[str], scope: Scope, filters: Filters,
               date_col: str | None, key_set: str | None = None) -> pl.DataFrame:
    q = _Sql()
    if key_set:
        q.add("key_set = ?", key_set)
    _filter_sql(q, scope, filters, mart)
    if date_col:
        q.add(f"{date_col} IS NOT NULL")
        if filters.date_from:
            q.add(f"{date_col} >= ?", filters.date_from)
        if filters.date_to:
            q.add(f"{date_col} <= ?", filters.date_to)
    select, group = [], []
    for key in dims:
        d = DIMENSIONS[key]
        expr = period_expr(key, date_col) if d.kind == "period" else d.column
        select.append(f"{expr} AS {d.output}")
        group.append(expr)
        if d.kind == "denial" or key == "carc":
            q.add(f"{d.column} IS NOT NULL")
    for m in measures:
        select.append(f"{MEASURES[m].sql[mart]} AS {m}")
    sql = (f"SELECT {', '.join(select)} FROM {_source(mart, dims)} WHERE {q.clause()}"
           + (f" GROUP BY {', '.join(group)}" if group else ""))
    return con.sql(sql, params=q.params).pl()


def _buckets(points: list[dt.date]) -> tuple[list[dt.date], list[int]]:
    """Day -> bucket map for sorted distinct `points`: bucket i holds the days in (points[i-1],
    points[i]], so "day <= points[i]" is "bucket <= i". Returned for the days after the first point
    only (every day up to the first point is bucket 0), as two parallel lists for SQL."""
    days, idx = [], []
    for i in range(1, len(points)):
        d = points[i - 1] + dt.timedelta(days=1)
        while d <= points[i]:
            days.append(d)
            idx.append(i)
            d += dt.timedelta(days=1)
    return days, idx


# rows of an A/R mart (m_ar_move, m_ar_move_90: additive by day; a row of no events is no row) with
# their bucket; {src}, {cols}, {where} are filled from fixed names, the dates and values are bound
_BUCKETED = """
    SELECT coalesce(bm.b, 0) AS b{cols}
    FROM {src} LEFT JOIN (SELECT unnest(?::DATE[]) AS day, unnest(?::INTEGER[]) AS b) bm USING (day)
    WHERE day <= ? AND events > 0 AND {where}"""


def _ar(con, dims: list[str], scope: Scope, filters: Filters, as_of: dt.date,
        periods: list[tuple[str, dt.date | None]], measures: list[str]) -> dict[str, pl.DataFrame]:
    """A/R measures at one or several as-of dates.

    periods: [(period key, period start)] or [(None, None)] for a single as-of; each period is
    measured at its last day, but never after `as_of`.

    One pass over the day-grain marts (m_ar_move, m_ar_move_90): each row goes to the bucket of the
    first measuring date on or after its day, rows are summed per bucket and slice, and a balance at
    a date is the sum of the buckets up to it (no events x dates join)."""
    period_key = next((k for k in dims if k in PERIOD_KEYS), None)
    if period_key:
        starts = [s for _, s in periods]
        ends = [min(period_end(period_key, s), as_of) for s in starts]
    else:
        starts, ends = [None], [as_of]
    plain = [k for k in dims if k not in PERIOD_KEYS]
    out_period = [DIMENSIONS[period_key].output] if period_key else []
    frames: dict[str, pl.DataFrame] = {}
    # balances (denial attributes narrow them)
    if {"ar_balance", "ar_over_90"} & set(measures):
        points = sorted(set(ends))
        pos = {p: i for i, p in enumerate(points)}
        days, idx = _buckets(points)
        q = _Sql()
        _filter_sql(q, scope, filters.without({"procedure_code", "modifier", "carc"}), AR)
        for k in plain:
            if k in DENIAL_KEYS:
                q.add(f"{DIMENSIONS[k].column} IS NOT NULL")
        cols = "".join(f", {DIMENSIONS[k].column} AS {DIMENSIONS[k].output}" for k in plain)
        names = "".join(f", {DIMENSIONS[k].output}" for k in plain)
        outs = "".join(f", u.{DIMENSIONS[k].output}" for k in plain)
        bal = _BUCKETED.format(src="m_ar_move", cols=cols + ", amount AS bal, NULL::DECIMAL(38,2) AS o90, 1 AS has",
                               where=q.clause())
        params = [days, idx, points[-1]] + q.params
        if "ar_over_90" in measures:     # ar_days needs only the balance: m_ar_move_90 is not read
            bal += " UNION ALL " + _BUCKETED.format(
                src="m_ar_move_90", cols=cols + ", NULL AS bal, amount_90 AS o90, 0 AS has", where=q.clause())
            params += [days, idx, points[-1]] + q.params
        sql = f"""
            WITH u AS (SELECT b{names}, sum(bal) AS bal, sum(o90) AS o90, max(has) AS has
                       FROM ({bal}) GROUP BY ALL),
            p AS (SELECT unnest(?::DATE[]) AS period_start, unnest(?::INTEGER[]) AS i)
            SELECT p.period_start{outs}, sum(u.bal) AS ar_balance, coalesce(sum(u.o90), 0) AS ar_over_90
            FROM u JOIN p ON u.b <= p.i
            GROUP BY ALL HAVING max(u.has) = 1"""
        params += [starts, [pos[e] for e in ends]]
        frames["balance"] = con.sql(sql, params=params).pl()
        if "ar_over_90" not in measures:
            frames["balance"] = frames["balance"].drop("ar_over_90")
    if "daily_charges_90" in measures:
        # charges with date of service in (D - 90, D]: buckets in (bucket of D - 90, bucket of D]
        base_dims = [k for k in plain if k not in DENIAL_KEYS]
        lows = [e - dt.timedelta(days=90) for e in ends]
        points = sorted(set(ends) | set(lows))
        pos = {p: i for i, p in enumerate(points)}
        days, idx = _buckets(points)
        q = _Sql()
        _filter_sql(q, scope, filters.without(DENIAL_KEYS | LINE_KEYS), CLAIM)
        q.add("charge_events > 0")
        cols = "".join(f", {DIMENSIONS[k].column} AS {DIMENSIONS[k].output}" for k in base_dims)
        names = "".join(f", {DIMENSIONS[k].output}" for k in base_dims)
        outs = "".join(f", u.{DIMENSIONS[k].output}" for k in base_dims)
        src = _BUCKETED.format(src="m_ar_move", cols=cols + ", charges, day", where=q.clause())
        # short_history: the slice's first date of service falls inside the 90-day window, so the
        # window holds fewer than 90 days of charges and days in A/R reads high (docs/metrics.md)
        sql = f"""
            WITH u AS (SELECT b{names}, sum(charges) AS charges, min(day) AS first_day
                       FROM ({src}) GROUP BY ALL),
            p AS (SELECT unnest(?::DATE[]) AS period_start, unnest(?::INTEGER[]) AS lo,
                         unnest(?::INTEGER[]) AS hi, unnest(?::DATE[]) AS window_first)
            SELECT p.period_start{outs},
                   sum(u.charges) FILTER (WHERE u.b > p.lo) AS daily_charges_90,
                   min(u.first_day) > any_value(p.window_first) AS {SHORT_HISTORY}
            FROM u JOIN p ON u.b <= p.hi
            GROUP BY ALL HAVING count(*) FILTER (WHERE u.b > p.lo) > 0"""
        params = [days, idx, points[-1]] + q.params + [starts, [pos[x] for x in lows], [pos[e] for e in ends],
                                                        [lo + dt.timedelta(days=1) for lo in lows]]
        frames["charges"] = con.sql(sql, params=params).pl()
    for name, f in frames.items():
        frames[name] = f.rename({"period_start": out_period[0]}) if period_key else f.drop("period_start")
    return frames


def kpis(con: duckdb.DuckDBPyConnection, *, scope: Scope, by=(), filters: Filters | None = None,
         as_of: dt.date | str | None = None, kpi_keys=None, names: bool = True) -> pl.DataFrame:
    """One row per slice: the slice fields, then each KPI with `<kpi>__num` / `<kpi>__den` parts.

    Rates are fractions; a KPI whose denominator is 0 or missing is null. A/R KPIs are measured as
    of `as_of` (default: the latest remit date), or at each period's end when sliced by period."""
    filters = filters or Filters()
    dims = check(by)
    kpi_keys = list(kpi_keys or KPI_FIELDS)
    as_of = _as_date(as_of) or latest_remit_date(con)
    if filters.date_to and (as_of is None or filters.date_to < as_of):
        as_of_eff = filters.date_to
    else:
        as_of_eff = as_of
    line_mode = bool(LINE_KEYS & (set(dims) | set(filters.as_dict())))
    measures = measures_of(kpi_keys)

    groups: dict[tuple[str, str, str | None], list[str]] = {}
    unavailable: list[str] = []
    ar_measures: list[str] = []
    for m in measures:
        meas = MEASURES[m]
        if AR in meas.sql:
            (unavailable if line_mode else ar_measures).append(m)
            continue
        if line_mode:
            mart = LINE if LINE in meas.sql else None
        else:
            mart = CLAIM if CLAIM in meas.sql else (APPEAL if APPEAL in meas.sql else None)
        if mart is None:
            unavailable.append(m)
            continue
        groups.setdefault((mart, meas.role, meas.dates.get(filters.basis)), []).append(m)

    full: pl.DataFrame | None = None
    reduced: list[tuple[list[str], pl.DataFrame]] = []
    for (mart, role, date_col), ms in groups.items():
        if role == "base":
            g_dims = [k for k in dims if k not in DENIAL_KEYS]
            g_filters = filters.without(DENIAL_KEYS - LINE_KEYS if mart == LINE else DENIAL_KEYS)
            if mart == LINE:   # carc narrows only denied lines: base line measures ignore it
                g_filters = g_filters.without({"carc"})
                g_dims = [k for k in g_dims if k != "carc"]
        else:
            g_dims, g_filters = dims, filters
        key_set = _line_rollup_key_set(ms, g_dims, g_filters, date_col) if mart == LINE else None
        frame = _aggregate(con, LINE_ROLLUP if key_set else mart, ms, g_dims, scope, g_filters, date_col, key_set)
        outs = [DIMENSIONS[k].output for k in g_dims]
        if len(g_dims) == len(dims):
            full = frame if full is None else _outer(full, frame, outs)
        else:
            reduced.append((outs, frame))

    if ar_measures:
        periods = []
        pk = next((k for k in dims if k in PERIOD_KEYS), None)
        if pk and full is not None and DIMENSIONS[pk].output in full.columns:
            periods = [(pk, s) for s in full[DIMENSIONS[pk].output].drop_nulls().unique().sort()]
        if pk and not periods and as_of_eff is not None:
            # only A/R asked for: every period from the range's start (or the first service) to the as-of
            first = filters.date_from or scalar(con, "SELECT min(dos) FROM m_claim")
            periods = [(pk, s) for s in _period_starts(pk, first, as_of_eff)] if first else []
        if as_of_eff is not None and (not pk or periods):
            arf = _ar(con, dims, scope, filters, as_of_eff, periods, ar_measures)
            outs_all = [DIMENSIONS[k].output for k in dims]
            if "balance" in arf:
                full = arf["balance"] if full is None else _outer(full, arf["balance"], outs_all)
            if "charges" in arf:
                base_outs = [DIMENSIONS[k].output for k in dims if k not in DENIAL_KEYS]
                if len(base_outs) == len(outs_all):
                    full = arf["charges"] if full is None else _outer(full, arf["charges"], outs_all)
                else:
                    reduced.append((base_outs, arf["charges"]))
        else:
            unavailable.extend(ar_measures)

    if full is None:
        if reduced and not (set(dims) & DENIAL_KEYS):
            full = reduced.pop(0)[1]
        else:
            full = pl.DataFrame({DIMENSIONS[k].output: [] for k in dims})
    for outs, frame in reduced:
        if outs:
            full = full.join(frame, on=outs, how="left")
        elif full.height or dims:       # a slice with no rows stays a slice with no rows (and its columns)
            full = full.join(frame, how="cross")
        else:
            full = frame
    if not dims and full.height == 0:
        full = pl.DataFrame([{}])
    for m in measures:
        if m not in full.columns:
            full = full.with_columns(pl.lit(None).alias(m))
    narrowed = bool(DENIAL_KEYS & (set(dims) | set(filters.as_dict())))
    return _finish(con, full, dims, kpi_keys, set(unavailable), scope, names, narrowed)


def _period_starts(key: str, first: dt.date, last: dt.date) -> list[dt.date]:
    """Start dates of every period (day, ISO week, month, quarter) from the one holding `first`
    to the one holding `last`."""
    if key == "day":
        start = first
    elif key == "week":
        start = first - dt.timedelta(days=first.weekday())
    elif key == "month":
        start = first.replace(day=1)
    else:
        start = dt.date(first.year, 3 * ((first.month - 1) // 3) + 1, 1)
    out = []
    while start <= last:
        out.append(start)
        start = period_end(key, start) + dt.timedelta(days=1)
    return out


def _outer(a: pl.DataFrame, b: pl.DataFrame, on: list[str]) -> pl.DataFrame:
    if not on:   # one overall row each; an aggregate over no rows can come back empty
        a = a if a.height else a.clear(1)
        b = b if b.height else b.clear(1)
        return pl.concat([a, b], how="horizontal")
    return a.join(b, on=on, how="full", coalesce=True)


def _num(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Float64)


def _finish(con, df: pl.DataFrame, dims, kpi_keys, unavailable, scope: Scope, names: bool,
            narrowed: bool = False) -> pl.DataFrame:
    """The KPIs from the measures, with their parts; `narrowed` (a denial attribute filters or slices):
    `<kpi>__share` = true on the ratios that are then a cause's share of the whole (no benchmark band),
    `<kpi>__whole` = true on the ratios no denial attribute narrows (clean claim rate: all the slice's claims);
    `ar_days__short_history` = true where the slice has fewer than 90 days of charges (no band either)."""
    exprs = []
    count_like = {"count"}
    for key in kpi_keys:
        k = KPIS[key]
        num = MEASURES[k.numerator]
        if k.denominator is None:
            if k.numerator in unavailable:
                exprs.append(pl.lit(None, pl.Float64).alias(key))
            elif num.unit in count_like:
                exprs.append(pl.col(k.numerator).fill_null(0).cast(pl.Int64).alias(key))
            else:
                exprs.append(_num(k.numerator).fill_null(0).round(2).alias(key))
            continue
        if k.numerator in unavailable or k.denominator in unavailable:
            exprs += [pl.lit(None, pl.Float64).alias(key), pl.lit(None, pl.Float64).alias(f"{key}__num"),
                      pl.lit(None, pl.Float64).alias(f"{key}__den")]
            continue
        n = _num(k.numerator).fill_null(0)
        d = _num(k.denominator).fill_null(0)
        exprs += [pl.when(d != 0).then(n / d * k.scale).otherwise(None).alias(key),
                  n.round(2).alias(f"{key}__num"), d.round(2).alias(f"{key}__den")]
        if narrowed and share_of_whole(key):
            exprs.append(pl.lit(True).alias(f"{key}__share"))
        elif narrowed and not_narrowed(key):
            exprs.append(pl.lit(True).alias(f"{key}__whole"))
        if k.denominator == "daily_charges_90" and SHORT_HISTORY in df.columns:
            exprs.append(pl.col(SHORT_HISTORY).fill_null(False).alias(f"{key}__short_history"))
    out_dims = [DIMENSIONS[k].output for k in dims]
    df = df.with_columns(exprs).select(out_dims + [c for e in exprs for c in [e.meta.output_name()]])
    for k in dims:
        d = DIMENSIONS[k]
        if d.kind == "period":
            df = df.with_columns(pl.Series(d.output, [None if s is None else period_label(k, s)
                                                      for s in df[d.output].to_list()], dtype=pl.String))
    if names:
        for k in dims:
            d = DIMENSIONS[k]
            if d.name_table:
                id_col, name_col = NAME_SQL[d.name_table]
                lookup = con.sql(f"SELECT {id_col} AS {d.output}, {name_col} AS {d.name_field} FROM {d.name_table}").pl()
                df = df.join(lookup, on=d.output, how="left")
                cols = df.columns
                cols.remove(d.name_field)
                cols.insert(cols.index(d.output) + 1, d.name_field)
                df = df.select(cols)
    if out_dims:
        df = df.sort(out_dims, nulls_last=True)
    return df


def latest_remit_date(con) -> dt.date | None:
    return scalar(con, "SELECT max(remit_date) FROM adjudication")
