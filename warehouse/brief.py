"""The weekly review: one week's numbers against the week before and the 13-week average, where
the money leaks (denied dollars by stage and root cause), the biggest movers, and the same as a
one-page self-contained HTML brief (`python -m warehouse brief`).

The weekly-review page and the brief both call `weekly_review()` and draw the figures of brief_figures,
so the page and the brief always show the same numbers and charts. No streamlit and no plotly here
(the brief embeds the figures). Every number comes from warehouse.query.kpis (within the caller's scope).
"""
from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field

import duckdb
import polars as pl

from warehouse import action, catalog, compare, periods
from warehouse.brief_figures import (  # noqa: F401  (the page draws them as brief.<name>)
    BAND_FILL, FOOT_LEGEND, STAGE_COLOURS, STAGE_LABELS, STAGES, TEMPLATE, band_ranges, cause_colours, cause_figure,
    cause_trend_figure, stage_figure, stage_trend_figure, trend_figure, trends_grid, week_axis)
from warehouse.dimensions import DIMENSIONS
from warehouse.metrics import FEW, KPIS, SHORT_HISTORY_NOTE, band_of, format_value
from warehouse.query import Filters, kpis
from warehouse.scope import Scope

REVIEW_KPIS = ["denial_rate", "denial_rate_dollars", "clean_claim_rate", "appeal_win_ratio", "ar_days",
               "denied_dollars", "recovered_dollars", "open_denied_dollars"]
_QUERY_KPIS = REVIEW_KPIS + ["claims_adjudicated", "claims_denied", "billed_dollars"]
_POINT_IN_TIME = {"ar_days", "ar_balance", "ar_over_90_pct"}      # measured at a date, not summed
BAND_COLOURS = {"good": "#1a7f37", "typical": "#9a6700", "concern": "#cf222e", FEW: "#8c959f", None: "#57606a"}
TREND_WEEKS = 13
BASELINE_WEEKS = 13
MOVER_DIMS = ("payer", "site", "root_cause")
# counted by the week of the claims' initial adjudication, so a recent week's are always behind
LAGGING_KPIS = ("recovered_dollars", "open_denied_dollars")
LAGGING_NOTE = ("Recovered and open denied dollars follow each week's denials over time: a recent week's have had less "
                "time to be appealed or corrected, so its recovered dollars start low and rise (their changes are "
                "not coloured).")


@dataclass
class WeeklyReview:
    """Everything the weekly review shows for one week (see weekly_review)."""
    week: str
    week_start: dt.date
    week_end: dt.date
    filters: Filters
    this: dict                    # kpis() row of the week (REVIEW_KPIS with parts, counts)
    previous: dict | None         # the week before
    baseline: dict                # kpi -> 13-week average (see docs/pages.md), with parts for ratios
    baseline_weeks: list[str]     # the weeks the average is taken over
    trend: pl.DataFrame           # one row per week of the 13 ending with this week (missing weeks: nulls)
    by_stage: pl.DataFrame        # stage, label, denied_dollars, claims_denied: this week, every stage
    by_stage_trend: pl.DataFrame  # week, stage, denied_dollars
    by_cause: pl.DataFrame        # root_cause, label, denied_dollars, claims_denied: this week
    by_cause_trend: pl.DataFrame  # week, root_cause, label, denied_dollars
    movers: pl.DataFrame          # compare.movers() output
    cause_labels: dict = field(default_factory=dict)
    # paid claims reversed and denied in the week (action.takebacks): {'claims', 'dollars'}
    takebacks: dict = field(default_factory=lambda: {"claims": 0, "dollars": 0.0})

    @property
    def has_data(self) -> bool:
        return bool(self.this.get("claims_adjudicated")) or bool(self.this.get("clean_claim_rate__den"))

    @property
    def movers_export(self) -> pl.DataFrame:
        """The movers as a download: the dimension and the code beside their names (a file joined to
        other exports or fed to the kpi command needs the codes: RIVERB, eligibility), then the dollars."""
        return self.movers.select(pl.col("dim").alias("dimension"), pl.col("value").alias("code"),
                                  pl.col("dim_label").alias("dimension_label"), pl.col("label").alias("name"),
                                  "this_week", "baseline_avg", "change")


def week_labels(last_monday: dt.date, n: int) -> list[tuple[str, dt.date]]:
    """The n ISO weeks ending with the week starting `last_monday`, oldest first."""
    return [(periods.week_label(m), m) for m in (last_monday - dt.timedelta(weeks=i) for i in range(n - 1, -1, -1))]


def baseline_weeks(week_start: dt.date, first: dt.date | None) -> list[tuple[str, dt.date]]:
    """The weeks a week is compared with (its '13-week average'): the BASELINE_WEEKS weeks before
    it that reach into the data (`first`: the first date of the data; None: no data, no weeks)."""
    return [(w, m) for w, m in week_labels(week_start - dt.timedelta(weeks=1), BASELINE_WEEKS)
            if first is not None and m + dt.timedelta(days=6) >= first]


def _range(filters: Filters, start: dt.date, end: dt.date) -> Filters:
    return Filters(filters.values, start, end, filters.basis)


def weekly_review(con: duckdb.DuckDBPyConnection, *, scope: Scope, filters: Filters | None, week_start: dt.date,
                  as_of: dt.date | None = None) -> WeeklyReview:
    """The week starting `week_start` (a Monday) under `filters` (their date range is ignored).

    Baseline = the 13 complete weeks before the week, counting only weeks that end on or after the
    first adjudication visible in the scope (a young warehouse is not averaged over empty weeks):
    ratios are sum(numerator) / sum(denominator) over those weeks; dollars and counts are the total
    divided by the number of weeks; days in A/R is the mean of the weekly values (it is measured at
    each week's end)."""
    filters = filters or Filters()
    week_end = week_start + dt.timedelta(days=6)
    label = periods.week_label(week_start)
    first, last = catalog.data_span(con, scope=scope)
    base = baseline_weeks(week_start, first)
    window_start = week_start - dt.timedelta(weeks=BASELINE_WEEKS)
    window = _range(filters, window_start, week_end)
    as_of = as_of or last

    weekly = kpis(con, scope=scope, by=("week",), filters=window, kpi_keys=_QUERY_KPIS, as_of=as_of)
    rows = {r["week"]: r for r in weekly.to_dicts()}
    this = rows.get(label) or _empty_row(label)
    previous = rows.get(periods.week_label(week_start - dt.timedelta(weeks=1)))

    baseline: dict = {}
    base_labels = [w for w, _ in base]
    if base:
        # point-in-time KPIs (days in A/R) average the weekly values above: not asked for over the range
        total = kpis(con, scope=scope, filters=_range(filters, base[0][1], week_start - dt.timedelta(days=1)),
                     kpi_keys=[k for k in _QUERY_KPIS if k not in _POINT_IN_TIME], as_of=as_of).to_dicts()[0]
        n = len(base)
        for key in _QUERY_KPIS:
            k = KPIS[key]
            if key in _POINT_IN_TIME:
                vals = [rows[w][key] for w in base_labels if w in rows and rows[w].get(key) is not None]
                baseline[key] = sum(vals) / len(vals) if vals else None
            elif k.denominator is not None:
                baseline[key] = total.get(key)
                baseline[f"{key}__num"] = total.get(f"{key}__num")
                baseline[f"{key}__den"] = total.get(f"{key}__den")
            else:
                baseline[key] = (total.get(key) or 0) / n
    else:
        baseline = {key: None for key in _QUERY_KPIS}

    trend_weeks = week_labels(week_start, TREND_WEEKS)
    trend = pl.DataFrame({"week": [w for w, _ in trend_weeks], "week_start": [m for _, m in trend_weeks]})
    trend = trend.join(weekly, on="week", how="left")

    # root-cause labels come from the taxonomy table (no site data), so the unrestricted scope is safe
    # here; catalog.choices(dim="root_cause") with a site scope currently fails (bound parameter
    # without a marker), reported to the lead
    cause_labels = dict(catalog.choices(con, scope=Scope.all(), dim="root_cause"))
    denial_keys = ["denied_dollars", "claims_denied"]
    # one scan for the four denial breakdowns: both measures are sums over claims and every claim is in
    # exactly one (week, root cause, stage, payer, site) group, so the coarser slices are their sums
    fine = kpis(con, scope=scope, by=("week", "root_cause", "stage", "payer", "site"), filters=window,
                kpi_keys=denial_keys, as_of=as_of)

    def rollup(by: tuple[str, ...], keys: list[str]) -> pl.DataFrame:
        return (fine.group_by(list(by))
                .agg(*(pl.col(k).sum().round(2) if KPIS[k].unit == "dollars" else pl.col(k).sum() for k in keys))
                .sort(list(by), nulls_last=True))

    stage_w = rollup(("week", "stage"), denial_keys)
    cause_w = rollup(("week", "root_cause"), denial_keys)
    trend_set = {w for w, _ in trend_weeks}

    this_stage = stage_w.filter(pl.col("week") == label)
    by_stage = (pl.DataFrame({"stage": STAGES, "label": [STAGE_LABELS[s] for s in STAGES]})
                .join(this_stage.select("stage", *denial_keys), on="stage", how="left")
                .with_columns(pl.col("denied_dollars").fill_null(0.0), pl.col("claims_denied").fill_null(0)))
    extra = this_stage.filter(~pl.col("stage").is_in(STAGES))
    if extra.height:    # a stage outside the four (a taxonomy change): shown, never dropped
        by_stage = pl.concat([by_stage, extra.select("stage", pl.col("stage").alias("label"), *denial_keys)],
                             how="vertical_relaxed")
    by_stage_trend = stage_w.filter(pl.col("week").is_in(list(trend_set))).select("week", "stage", "denied_dollars")

    this_cause = cause_w.filter(pl.col("week") == label)
    by_cause = (this_cause.select("root_cause", *denial_keys)
                .with_columns(pl.col("root_cause").replace_strict(cause_labels, default=pl.col("root_cause")).alias("label"))
                .select("root_cause", "label", *denial_keys)
                .sort(["denied_dollars", "root_cause"], descending=[True, False]))
    by_cause_trend = (cause_w.filter(pl.col("week").is_in(list(trend_set))).select("week", "root_cause", "denied_dollars")
                      .with_columns(pl.col("root_cause").replace_strict(cause_labels, default=pl.col("root_cause"))
                                    .alias("label")))

    frames = {"root_cause": cause_w}
    for dim in ("payer", "site"):       # with the name field the movers label rows with
        name = DIMENSIONS[dim].name_field
        frames[dim] = rollup((dim, name, "week") if name else (dim, "week"), ["denied_dollars"])
    # a dimension the filters pin to one value would only list that value, moving with the total
    pinned = {d for d, v in (filters.as_dict() if filters else {}).items() if len(v) == 1}
    if scope.site_ids is not None and len(scope.site_ids) == 1:     # a one-site user's scope
        pinned.add("site")
    mv = compare.movers({d: frames[d] for d in MOVER_DIMS if d not in pinned}, week=label,
                        baseline_weeks=base_labels, names=cause_labels)
    took = action.takebacks(con, scope=scope, start=week_start, end=week_end, filters=filters)
    return WeeklyReview(label, week_start, week_end, filters, this, previous, baseline, base_labels, trend,
                        by_stage, by_stage_trend, by_cause, by_cause_trend, mv, cause_labels, took)


def takeback_note(review: "WeeklyReview") -> str | None:
    """The week's paid claims reversed and denied, in words (the page and the brief); None without any."""
    n, dollars = review.takebacks["claims"], review.takebacks["dollars"]
    if not n:
        return None
    return (f"Taken back: {n:,} claim{'s' if n != 1 else ''} paid earlier {'were' if n != 1 else 'was'} reversed and "
            f"denied this week, {format_value('denied_dollars', dollars)} of payments taken back and not paid again. "
            "The denial KPIs count initial denials only; the work queue lists these claims as 'denied after payment'.")


def _empty_row(label: str) -> dict:
    row: dict = {"week": label}
    for key in _QUERY_KPIS:
        k = KPIS[key]
        row[key] = None if k.denominator is not None else 0
        if k.denominator is not None:
            row[f"{key}__num"] = 0.0
            row[f"{key}__den"] = 0.0
    return row


# ------------------------------------------------------------------ formats (values: metrics.format_value)


def format_delta(kpi_key: str, value, other) -> str:
    """this − other in the KPI's unit ('+2.1 pts', '−$120', '+3.0 days')."""
    if value is None or other is None:
        return "—"
    d = value - other
    unit = KPIS[kpi_key].unit
    if unit == "ratio":
        text = f"{abs(d) * 100:.1f} pts"
    elif unit == "dollars":
        text = f"${abs(d):,.0f}"
    elif unit == "days":
        text = f"{abs(d):.1f} days"
    else:
        text = f"{abs(d):,.0f}"
    if not shows_change(text):
        return "+" + text        # no change at display precision: never '−0.0 days'
    return ("+" if d >= 0 else "−") + text


def shows_change(delta_text: str) -> bool:
    """False for a change written as nothing at display precision ('+0.0 days', '+$0')."""
    return any(ch in "123456789" for ch in delta_text)


def parts(kpi_key: str, row: dict | None) -> str:
    """'5 of 11 claims' / '$870 of $1,650' for a ratio; '' otherwise."""
    k = KPIS[kpi_key]
    if row is None or k.denominator is None:
        return ""
    num, den = row.get(f"{kpi_key}__num"), row.get(f"{kpi_key}__den")
    if num is None or den is None:
        return ""
    money = k.parts_unit == "dollars"
    f = (lambda x: f"${x:,.0f}") if money else (lambda x: f"{x:,.0f}")
    if kpi_key == "ar_days":
        return f"{f(num)} A/R ÷ ({f(den)} charges in 90 days ÷ 90)"
    return f"{f(num)} of {f(den)}" + ("" if money else f" {k.parts_unit}")


def is_better(kpi_key: str, value, other) -> bool | None:
    if value is None or other is None or value == other:
        return None
    return (value > other) == (KPIS[kpi_key].good_direction == "up")


# ------------------------------------------------------------------ the HTML brief
_CSS = """
body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;margin:24px;max-width:1100px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:18px 0 6px;border-bottom:1px solid #d0d7de;padding-bottom:3px}
.sub{color:#57606a;font-size:12px;margin-bottom:10px}
table{border-collapse:collapse;font-size:12px;width:100%} th,td{padding:4px 6px;border-bottom:1px solid #eaeef2;text-align:right}
th:first-child,td:first-child{text-align:left} th{background:#f6f8fa}
.band{display:inline-block;padding:1px 6px;border-radius:8px;color:#fff;font-size:11px}
.note{color:#57606a;font-size:11px}.good{color:#1a7f37}.bad{color:#cf222e}.warn{background:#fff8c5;border-left:4px solid #d4a72c;padding:6px 10px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:8px}
@media print{body{margin:8mm}.pb{page-break-inside:avoid}}
"""


THIN_WEEK = 0.5    # a week with fewer claims than this share of the 13-week average is still filling in


def thin_week_note(review: "WeeklyReview", basis: str = "adjudication") -> str | None:
    """A warning when the week under review holds under THIN_WEEK of its 13-week average of claims
    adjudicated: on the date-of-service basis the latest weeks fill in as remits arrive, and any week
    can be short (a holiday, a payer's missing remit file), so its rates move on few claims."""
    return thin_note(review.week, review.this.get("claims_adjudicated"), review.baseline.get("claims_adjudicated"),
                     basis)


MATURE_SHARE = 0.9   # on the date-of-service basis the default week is the latest holding this share of the usual


def mature_week(claims_by_week: dict[str, float], latest: dt.date, share: float = MATURE_SHARE) -> dt.date:
    """The Monday of the latest complete week, from the week starting `latest` back, whose claims adjudicated
    reach `share` of the average of the BASELINE_WEEKS weeks before it (`claims_by_week`: week label ->
    claims adjudicated). On the date-of-service basis the last weeks fill in as their claims are adjudicated:
    the last complete week held 3 claims against ~1,160 a week, with a red clean claim rate of 3% (a review).
    `latest` itself when no week qualifies within a year (a young or sparse warehouse)."""
    for back in range(52):
        monday = latest - dt.timedelta(weeks=back)
        before = [claims_by_week.get(periods.week_label(monday - dt.timedelta(weeks=i))) or 0
                  for i in range(1, BASELINE_WEEKS + 1)]
        average = sum(before) / len(before)
        if average and (claims_by_week.get(periods.week_label(monday)) or 0) >= share * average:
            return monday
    return latest


def thin_note(week: str, claims: float | None, average: float | None, basis: str = "adjudication") -> str | None:
    """thin_week_note for a week's claims adjudicated against the weekly average of earlier weeks."""
    this = claims or 0
    avg = average
    if not avg or this >= THIN_WEEK * avg:
        return None
    why = ("with the date-of-service basis, a recent week keeps filling in as its claims are adjudicated"
           if basis == "service" else "a short week (a holiday, or a payer's remits not loaded yet)")
    return (f"Week {week} holds {this:,.0f} claims adjudicated against {avg:,.0f} a week on average before it: "
            f"{why}. Its rates and dollars rest on few claims; compare an earlier week before acting.")


def _band_badge(kpi_key: str, row: dict) -> str:
    b = band_of(kpi_key, row)
    if b is None:
        return ""
    return f'<span class="band" style="background:{BAND_COLOURS[b]}">{b}</span>'


def per_claim(v: float) -> str:
    """A cost per claim: '$40', '$40.50' (cents only when there are some)."""
    return f"${v:,.0f}" if float(v).is_integer() else f"${v:,.2f}"


def rework_estimate(denied_claims: int | None, *, cost: float = compare.REWORK_COST_DEFAULT,
                    low: float = compare.REWORK_COST_LOW, high: float = compare.REWORK_COST_HIGH
                    ) -> tuple[dict, str | None]:
    """(compare.rework_cost(...), a note or None) with the range made to hold the point estimate: Low
    above High are swapped, and a cost per claim outside Low – High widens the range to it (cost 25
    with Low 40 read 'point $5,000, range $8,000 – $12,000'). The note says what was changed, in the
    words the page and the brief both print."""
    notes = []
    if low > high:
        low, high = high, low
        notes.append(f"Low was above High: read as {per_claim(low)} – {per_claim(high)}.")
    if cost < low:
        notes.append(f"{per_claim(cost)} per claim is below Low ({per_claim(low)}): the range starts at "
                     f"{per_claim(cost)} to hold the point estimate.")
        low = cost
    elif cost > high:
        notes.append(f"{per_claim(cost)} per claim is above High ({per_claim(high)}): the range ends at "
                     f"{per_claim(cost)} to hold the point estimate.")
        high = cost
    return compare.rework_cost(denied_claims, cost=cost, low=low, high=high), " ".join(notes) or None


def file_name(week: str, filters: Filters | None = None, scope: Scope | None = None) -> str:
    """The brief's file name, naming what it covers so briefs of several sites (or payers) downloaded
    the same week do not overwrite each other: 'weekly-brief-2026-W20-all-sites.html',
    'weekly-brief-2026-W20-S1-payer-PAYA.html'. Sites: the site filter, else a site-limited scope,
    else 'all-sites'; then every other filter as dimension-values, and the date-of-service basis.
    Letters, digits, '.', '_' and '-' only; a name over 120 characters is cut and ends in a hash of
    the whole, so two scopes never share a name."""
    import hashlib
    import re
    values = dict(filters.values) if filters else {}
    sites = values.pop("site", None) or (sorted(scope.site_ids) if scope and scope.site_ids is not None else None)
    parts = ["_".join(sites) if sites else "all-sites"]
    parts += [f"{dim}-{'_'.join(v)}" for dim, v in sorted(values.items())]
    if filters and filters.basis != "adjudication":
        parts.append(f"{filters.basis}-basis")
    scope_part = re.sub(r"[^A-Za-z0-9._-]+", "_", "-".join(parts)).strip("._-") or "all-sites"
    if len(scope_part) > 120:
        scope_part = scope_part[:110].rstrip("._-") + "-" + hashlib.blake2b(scope_part.encode(),
                                                                          digest_size=4).hexdigest()
    return f"weekly-brief-{re.sub(r'[^A-Za-z0-9-]', '', week)}-{scope_part}.html"


def band_words(kpi_key: str) -> str:
    """A KPI's benchmark bands in words: 'good under 5.0%, typical 5.0% to under 10.0%, otherwise a concern'
    (the brief's definitions, the dashboard's column and tile help)."""
    b = KPIS[kpi_key].benchmark

    def rng(r):
        lo, hi = r
        if lo is None:
            return f"under {format_value(kpi_key, hi)}"
        if hi is None:
            return f"{format_value(kpi_key, lo)} or more"
        # the upper edge is the next band's: "10.0%" itself is a concern ("5.0%–10.0%" read as if typical)
        return f"{format_value(kpi_key, lo)} to under {format_value(kpi_key, hi)}"
    return f"good {rng(b.good)}, typical {rng(b.typical)}, otherwise a concern"


def render_html(review: WeeklyReview, *, title: str = "Weekly denial review", scope_label: str = "all sites",
                filter_text: str = "", rework_cost: float = compare.REWORK_COST_DEFAULT,
                rework_low: float = compare.REWORK_COST_LOW, rework_high: float = compare.REWORK_COST_HIGH) -> str:
    """A self-contained HTML page (plotly.js inlined once, no external resources). The rework cost's
    point and range are those set on the page (rework_estimate: the range holds the point)."""
    e = html.escape
    rows = []
    for key in REVIEW_KPIS:
        k = KPIS[key]
        v, p, b = review.this.get(key), (review.previous or {}).get(key), review.baseline.get(key)
        short = review.this.get(key + "__short_history")     # reads high: a change is no signal
        # coloured as on the page: the change from the week before (the 13-week average's stays grey); never
        # for the dollars that follow a week's denials over time (recovered, still open: a recent week's are
        # always behind, so they read "bad" every week), nor for a week with no claims
        plain = short or key in LAGGING_KPIS or not review.has_data
        cls = "" if plain else {True: "good", False: "bad", None: ""}[is_better(key, v, p)]
        rows.append(
            f"<tr title=\"{e(k.definition)}\"><td>{e(k.label)}</td><td><b>{format_value(key, v)}</b> "
            f"{_band_badge(key, review.this)}<div class='note'>{e(parts(key, review.this))}"
            f"{e(' (' + SHORT_HISTORY_NOTE + ')') if short else ''}</div></td>"
            f"<td>{format_value(key, p)}<div class='note {cls}'>{format_delta(key, v, p)}</div></td>"
            f"<td>{format_value(key, b)}<div class='note'>{format_delta(key, v, b)}</div></td></tr>")
    mv_rows = "".join(
        f"<tr><td>{e(r['dim_label'])}: {e(r['label'])}</td><td>{format_value('denied_dollars', r['this_week'])}</td>"
        f"<td>{format_value('denied_dollars', r['baseline_avg'])}</td>"
        f"<td class='{'bad' if r['change'] > 0 else 'good'}'>{format_delta('denied_dollars', r['change'], 0)}</td></tr>"
        for r in review.movers.to_dicts()) or "<tr><td colspan=4>No movement against the 13-week average.</td></tr>"
    if not review.has_data:     # every value at $0 against its average is no movement (as the page's empty note)
        mv_rows = "<tr><td colspan=4>No claims adjudicated this week for these filters: no movers.</td></tr>"
    took = takeback_note(review)
    cost, cost_note = rework_estimate(review.this.get("claims_denied"), cost=rework_cost, low=rework_low,
                                      high=rework_high)
    figs = [trends_grid(review, REVIEW_KPIS), stage_figure(review, 280), cause_figure(review, 280),
            stage_trend_figure(review, 380), cause_trend_figure(review, 380)]
    divs = [f.to_html(full_html=False, include_plotlyjs=(i == 0), config={"displayModeBar": False,
                                                                          "staticPlot": False})
            for i, f in enumerate(figs)]
    definitions = "".join(
        f"<li><b>{e(KPIS[k].label)}</b>: {e(KPIS[k].definition)}"
        + (f"<br>Benchmark: {e(band_words(k))}. Source: {e(KPIS[k].benchmark.source)}."
           if KPIS[k].benchmark else "") + "</li>"
        for k in REVIEW_KPIS)
    base_note = (f"13-week average over {len(review.baseline_weeks)} week(s) "
                 f"({review.baseline_weeks[0]} – {review.baseline_weeks[-1]})" if review.baseline_weeks
                 else "no earlier weeks in the warehouse: no 13-week average yet")
    thin = thin_week_note(review, review.filters.basis if review.filters else "adjudication")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)} {e(review.week)}</title>
<style>{_CSS}</style></head><body>
<h1>{e(title)} — week {e(review.week)}</h1>
<div class="sub">{review.week_start:%a %d %b} – {review.week_end:%a %d %b %Y} · {(e(filter_text) + ' (filters) · ') if filter_text else ''}data access: {e(scope_label)}
 · {e(base_note)} · generated {dt.date.today():%d %b %Y}</div>
{f'<p class="warn">{e(thin)}</p>' if thin else ''}
{'' if review.has_data else f'<p class="warn">No claims were adjudicated in week {e(review.week)} for these filters: the numbers below are empty, not zero.</p>'}
<h2>The week in numbers</h2>
<table><tr><th>KPI</th><th>This week</th><th>Week before<div class="note">under it: this week's change</div></th><th>13-week average<div class="note">under it: this week's change</div></th></tr>{''.join(rows)}</table>
<p class="note">{review.this.get('claims_adjudicated') or 0:,} claims adjudicated, {review.this.get('claims_denied') or 0:,} denied,
{format_value('billed_dollars', review.this.get('billed_dollars') or 0)} billed. Bands: good / typical / concern against the benchmarks listed below.
Under the week before and the 13-week average: this week's change from them; coloured: the change from the week before, green better, red worse. {e(LAGGING_NOTE)}</p>
<div class="pb">{divs[0]}</div>
<h2>Where the money leaks</h2>
{f'<p><b>{e(took)}</b></p>' if took else ''}
<div class="grid pb"><div>{divs[1]}</div><div>{divs[2]}</div><div>{divs[3]}</div><div>{divs[4]}</div></div>
<p><b>Estimated cost of reworking this week's {cost['claims']:,} denied claims:</b>
{format_value('denied_dollars', cost['low'])} – {format_value('denied_dollars', cost['high'])}
(at {per_claim(cost['cost_low'])}–{per_claim(cost['cost_high'])} per claim); point estimate
<b>{format_value('denied_dollars', cost['point'])}</b> at {per_claim(cost['cost'])} per claim.</p>
{f'<p class="note">{e(cost_note)}</p>' if cost_note else ''}
<p class="note">{e(compare.REWORK_COST_SOURCE)}</p>
<h2>What changed: the five biggest movers in denied dollars</h2>
<table><tr><th>Where</th><th>This week</th><th>13-week weekly average</th><th>Change</th></tr>{mv_rows}</table>
<h2>Definitions and benchmarks</h2>
<p class="note">How each number above is counted, and the benchmark its band is read against. In this brief,
hover a row of the table for its definition; on the dashboard, hover any number (or the question-mark
icon beside it).</p>
<ul class="note">{definitions}</ul>
</body></html>"""


def build(con: duckdb.DuckDBPyConnection, *, scope: Scope, week: str | None = None, filters: Filters | None = None,
          rework_cost: float = compare.REWORK_COST_DEFAULT, rework_low: float = compare.REWORK_COST_LOW,
          rework_high: float = compare.REWORK_COST_HIGH, filter_text: str = "") -> tuple[str, WeeklyReview]:
    """(HTML, review) for an ISO week label ('2026-W20'); default: the last complete week. A week that
    ends after the latest remit is refused (the current week, a future one): its numbers would be a
    few days' or none, its 13-week average partly empty weeks, and a scheduled job would mail them."""
    _, last = catalog.data_span(con, scope=scope)
    if last is None:
        raise ValueError("the warehouse holds no adjudicated claims yet")
    complete, _ = periods.last_complete_week(last)
    if week:
        monday, _ = periods.iso_week(week)
        if monday > complete:
            raise ValueError(f"week {week} is not complete: the data runs through {last:%a %d %b %Y} (latest "
                             f"remit); the last complete week is {periods.week_label(complete)}")
    else:
        monday = complete
    review = weekly_review(con, scope=scope, filters=filters, week_start=monday)
    return render_html(review, scope_label=scope.label, filter_text=filter_text, rework_cost=rework_cost,
                       rework_low=rework_low, rework_high=rework_high), review
