"""The weekly review: one week's numbers against the week before and the 13-week average, where
the money leaks (denied dollars by stage and root cause), the biggest movers, and the same as a
one-page self-contained HTML brief (`python -m warehouse brief`).

The weekly-review page and the brief both call `weekly_review()` and draw the figures made here,
so the page and the brief always show the same numbers and charts. No streamlit; plotly only for
figures. Every number comes from warehouse.query.kpis (within the caller's scope).
"""
from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field

import duckdb
import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from warehouse import catalog, compare, periods
from warehouse.dimensions import DIMENSIONS
from warehouse.metrics import FEW, KPIS, SHORT_HISTORY_NOTE, band_of, format_value
from warehouse.query import Filters, kpis
from warehouse.scope import Scope

REVIEW_KPIS = ["denial_rate", "denial_rate_dollars", "clean_claim_rate", "appeal_win_ratio", "ar_days",
               "denied_dollars", "recovered_dollars", "open_denied_dollars"]
_QUERY_KPIS = REVIEW_KPIS + ["claims_adjudicated", "claims_denied", "billed_dollars"]
_POINT_IN_TIME = {"ar_days", "ar_balance", "ar_over_90_pct"}      # measured at a date, not summed
STAGES = ["front_end", "back_end", "clinical", "payer"]
STAGE_LABELS = {"front_end": "Front end", "back_end": "Back end", "clinical": "Clinical", "payer": "Payer"}
STAGE_COLOURS = {"front_end": "#0969da", "back_end": "#8250df", "clinical": "#bf3989", "payer": "#9a6700"}
BAND_FILL = {"good": "rgba(26,127,55,0.13)", "typical": "rgba(212,167,44,0.16)", "concern": "rgba(207,34,46,0.10)"}
TEMPLATE = "plotly_white"
BAND_COLOURS = {"good": "#1a7f37", "typical": "#9a6700", "concern": "#cf222e", FEW: "#8c959f", None: "#57606a"}
TREND_WEEKS = 13
BASELINE_WEEKS = 13
MOVER_DIMS = ("payer", "site", "root_cause")


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
    return WeeklyReview(label, week_start, week_end, filters, this, previous, baseline, base_labels, trend,
                        by_stage, by_stage_trend, by_cause, by_cause_trend, mv, cause_labels)


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


# ------------------------------------------------------------------ figures (page and brief)
def band_ranges(kpi_key: str, y_max: float, frame: pl.DataFrame | None = None) -> list[tuple[str, float, float]]:
    """The benchmark's (band, low, high) ranges to shade behind a chart of `kpi_key` up to `y_max`; none
    when the KPI has no benchmark or `frame` (the kpis() rows drawn) marks it a cause's share of the
    whole (`<kpi>__share`: the bands describe the whole, see metrics.share_of_whole)."""
    b = KPIS[kpi_key].benchmark
    if b is None or (frame is not None and f"{kpi_key}__share" in frame.columns):
        return []
    top = y_max
    out = []
    for name, (lo, hi) in (("good", b.good), ("typical", b.typical)):
        out.append((name, 0.0 if lo is None else lo, top if hi is None else hi))
    good_lo, good_hi = b.good
    typ_lo, typ_hi = b.typical
    if KPIS[kpi_key].good_direction == "down":
        out.append(("concern", typ_hi if typ_hi is not None else top, top))
    else:
        out.append(("concern", 0.0, typ_lo if typ_lo is not None else 0.0))
    return [(n, lo, hi) for n, lo, hi in out if hi > lo]


def _y_max(kpi_key: str, values: list) -> float:
    vals = [v for v in values if v is not None]
    k = KPIS[kpi_key]
    cap = max(vals) if vals else 0.0
    if k.benchmark:
        edges = [x for pair in (k.benchmark.good, k.benchmark.typical) for x in pair if x is not None]
        cap = max([cap] + edges)
    if k.unit == "ratio":
        return min(1.0, cap * 1.15) if cap > 0 else 1.0
    return cap * 1.15 if cap > 0 else 1.0


def add_trend(fig: go.Figure, review: WeeklyReview, kpi_key: str, row: int | None = None, col: int | None = None,
              show_legend: bool = False) -> None:
    """Weekly values of one KPI, its benchmark bands (hrect) and its 13-week average (dashed)."""
    k = KPIS[kpi_key]
    weeks = review.trend["week"].to_list()
    values = review.trend[kpi_key].to_list() if kpi_key in review.trend.columns else [None] * len(weeks)
    y_max = _y_max(kpi_key, values + [review.baseline.get(kpi_key)])
    where = {"row": row, "col": col} if row else {}
    band_where = dict(where, exclude_empty_subplots=False) if row else {}
    for name, lo, hi in band_ranges(kpi_key, y_max, review.trend):
        fig.add_hrect(y0=lo, y1=hi, fillcolor=BAND_FILL[name], line_width=0, layer="below", **band_where)
    tick = ".0%" if k.unit == "ratio" else ("$,.0f" if k.unit == "dollars" else ",.0f")
    custom = [[w] for w in weeks]
    fig.add_trace(go.Scatter(x=weeks, y=values, mode="lines+markers", name=k.label, customdata=custom,
                             line={"color": "#0969da", "width": 2}, marker={"size": 6},
                             hovertemplate=f"%{{x}}<br>{k.label}: %{{y:{tick}}}<extra></extra>",
                             showlegend=show_legend), **where)
    base = review.baseline.get(kpi_key)
    if base is not None:
        fig.add_trace(go.Scatter(x=[weeks[0], weeks[-1]], y=[base, base], mode="lines", name="13-week average",
                                 line={"color": "#57606a", "dash": "dash", "width": 1}, hoverinfo="skip",
                                 showlegend=show_legend), **where)
    fig.update_yaxes(tickformat=tick, range=[0, y_max], **where)


def week_axis(fig: go.Figure, weeks: list[str], every: int = 1, size: int = 10) -> None:
    """Week ticks that read flat: 'W36' under every `every`-th week counted back from the last (which
    always has one), the year under the first tick and under the first of a new year ('2026-W36'
    slanted at 45° was cut off and overlapped in narrow charts). The x values stay the full labels,
    so a click still names the week."""
    ticks = weeks[::-1][::max(1, every)][::-1]
    text, year = [], None
    for w in ticks:
        y, _, n = w.partition("-")
        text.append(f"{n}<br>{y}" if y != year else n)
        year = y
    fig.update_xaxes(tickmode="array", tickvals=ticks, ticktext=text, tickangle=0, tickfont={"size": size})


def trend_figure(review: WeeklyReview, kpi_key: str, height: int = 220) -> go.Figure:
    fig = go.Figure()
    add_trend(fig, review, kpi_key)
    fig.update_layout(template=TEMPLATE, title={"text": KPIS[kpi_key].label, "font": {"size": 14}}, height=height,
                      margin={"l": 10, "r": 10, "t": 36, "b": 10}, showlegend=False, clickmode="event+select")
    week_axis(fig, review.trend["week"].to_list(), every=4)
    return fig


def trends_grid(review: WeeklyReview, cols: int = 4) -> go.Figure:
    rows = -(-len(REVIEW_KPIS) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[KPIS[k].label for k in REVIEW_KPIS],
                        vertical_spacing=0.22, horizontal_spacing=0.06)
    for i, key in enumerate(REVIEW_KPIS):
        add_trend(fig, review, key, row=i // cols + 1, col=i % cols + 1)
    fig.update_layout(template=TEMPLATE, height=260 * rows, margin={"l": 10, "r": 10, "t": 40, "b": 10}, showlegend=False)
    week_axis(fig, review.trend["week"].to_list(), every=4)
    fig.update_annotations(font_size=12)
    return fig


def stage_figure(review: WeeklyReview, height: int = 300) -> go.Figure:
    s = review.by_stage
    fig = go.Figure(go.Bar(x=s["label"].to_list(), y=s["denied_dollars"].to_list(),
                           customdata=[[v] for v in s["stage"].to_list()],
                           marker_color=[STAGE_COLOURS.get(v, "#57606a") for v in s["stage"].to_list()],
                           text=[format_value("denied_dollars", v) for v in s["denied_dollars"].to_list()],
                           textposition="outside", cliponaxis=False,
                           hovertemplate="%{x}: %{y:$,.0f} denied<extra></extra>"))
    fig.update_layout(template=TEMPLATE, title={"text": f"Denied dollars by stage, {review.week}", "font": {"size": 14}},
                      height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10}, yaxis_tickformat="$,.0f")
    return fig


def stage_trend_figure(review: WeeklyReview, height: int = 300) -> go.Figure:
    weeks = review.trend["week"].to_list()
    fig = go.Figure()
    t = review.by_stage_trend
    for stage in STAGES + sorted(set(t["stage"].to_list()) - set(STAGES)):
        sub = t.filter(pl.col("stage") == stage)
        part = dict(zip(sub["week"].to_list(), sub["denied_dollars"].to_list()))
        fig.add_trace(go.Bar(x=weeks, y=[part.get(w, 0) for w in weeks], name=STAGE_LABELS.get(stage, stage),
                             customdata=[[stage] for _ in weeks], marker_color=STAGE_COLOURS.get(stage, "#57606a"),
                             hovertemplate=f"%{{x}} {STAGE_LABELS.get(stage, stage)}: %{{y:$,.0f}}<extra></extra>"))
    fig.update_layout(template=TEMPLATE, barmode="stack", title={"text": "Denied dollars by stage, 13 weeks", "font": {"size": 14}},
                      height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10}, yaxis_tickformat="$,.0f",
                      legend={"orientation": "h", "y": -0.3, "traceorder": "normal"})
    week_axis(fig, review.trend["week"].to_list(), every=2)
    return fig


def cause_figure(review: WeeklyReview, height: int = 300) -> go.Figure:
    c = review.by_cause.sort("denied_dollars")
    fig = go.Figure(go.Bar(y=c["label"].to_list(), x=c["denied_dollars"].to_list(), orientation="h",
                           customdata=[[v] for v in c["root_cause"].to_list()],
                           marker_color=[cause_colours(c["root_cause"].to_list())[v] for v in c["root_cause"].to_list()],
                           text=[format_value("denied_dollars", v) for v in c["denied_dollars"].to_list()],
                           textposition="outside", cliponaxis=False,
                           hovertemplate="%{y}: %{x:$,.0f} denied<extra></extra>"))
    fig.update_layout(template=TEMPLATE, title={"text": f"Denied dollars by root cause, {review.week}", "font": {"size": 14}},
                      height=max(height, 40 + 28 * c.height), margin={"l": 10, "r": 40, "t": 40, "b": 10},
                      xaxis_tickformat="$,.0f")
    return fig


def cause_colours(causes) -> dict[str, str]:
    """One colour per root cause, fixed by the taxonomy's order of categories: a cause keeps its colour
    from week to week and in the web page and the brief alike, and no two causes of the taxonomy share
    one (the template's colorway has 10 colours for the taxonomy's 13 categories). A cause outside the
    taxonomy takes the next free colour. The root-cause page's trend lines use the same colours."""
    from plotly.colors import qualitative
    from warehouse import taxonomy
    palette = qualitative.D3 + qualitative.Dark2 + qualitative.Set1
    wanted = set(causes)
    known = taxonomy.load_tables()["categories"]["category"].to_list()
    extra = sorted(wanted - set(known), key=str)
    return {c: palette[i % len(palette)] for i, c in enumerate(known + extra) if c in wanted}


TREND_CAUSES = 5          # causes drawn one by one on the 13-week chart; the rest stack as 'Other causes'
OTHER_CAUSES = "__other__"
OTHER_COLOUR = "#afb8c1"


def cause_trend_figure(review: WeeklyReview, height: int = 380) -> go.Figure:
    """Denied dollars per week, stacked by root cause: the TREND_CAUSES causes with most denied dollars
    over the 13 weeks, the others together as 'Other causes' (grey, named in its hover), so the legend
    stays a few lines under the chart: with all 13 causes it took most of the figure and squashed the
    plot to a sliver, in a scroll box of its own. The week's bar chart beside it names every cause."""
    weeks = review.trend["week"].to_list()
    t = review.by_cause_trend
    fig = go.Figure()
    order = (t.group_by("root_cause").agg(pl.col("denied_dollars").sum())
             .sort(["denied_dollars", "root_cause"], descending=[True, False])["root_cause"].to_list())
    shown, rest = (order, []) if len(order) <= TREND_CAUSES + 1 else (order[:TREND_CAUSES], order[TREND_CAUSES:])
    colours = cause_colours(shown)
    for cause in shown:
        part = t.filter(pl.col("root_cause") == cause)
        values = dict(zip(part["week"].to_list(), part["denied_dollars"].to_list()))
        label = review.cause_labels.get(cause, cause)
        fig.add_trace(go.Bar(x=weeks, y=[values.get(w, 0) for w in weeks], name=label, marker_color=colours[cause],
                             customdata=[[cause] for _ in weeks],
                             hovertemplate=f"%{{x}} {label}: %{{y:$,.0f}}<extra></extra>"))
    if rest:
        part = t.filter(pl.col("root_cause").is_in(rest)).group_by("week").agg(pl.col("denied_dollars").sum())
        values = dict(zip(part["week"].to_list(), part["denied_dollars"].to_list()))
        names = ", ".join(review.cause_labels.get(c, c) for c in rest)
        # no root cause to narrow to: a click on this bar leaves the filters as they are
        fig.add_trace(go.Bar(x=weeks, y=[round(values.get(w, 0), 2) for w in weeks], name="Other causes",
                             marker_color=OTHER_COLOUR, customdata=[[None] for _ in weeks],
                             hovertemplate=f"%{{x}} other causes: %{{y:$,.0f}}<br>({html.escape(names)})"
                                           "<extra></extra>"))
    fig.update_layout(template=TEMPLATE, barmode="stack", title={"text": "Denied dollars by root cause, 13 weeks", "font": {"size": 14}},
                      height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10}, yaxis_tickformat="$,.0f",
                      # at the foot of the figure, not at a share of the plot's height below it: the
                      # plot keeps its room and the week ticks (two lines) are not overlapped
                      legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0,
                              "font": {"size": 11}, "traceorder": "normal"})
    week_axis(fig, review.trend["week"].to_list(), every=2)
    return fig


# ------------------------------------------------------------------ the HTML brief
_CSS = """
body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;margin:24px;max-width:1100px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:18px 0 6px;border-bottom:1px solid #d0d7de;padding-bottom:3px}
.sub{color:#57606a;font-size:12px;margin-bottom:10px}
table{border-collapse:collapse;font-size:12px;width:100%} th,td{padding:4px 6px;border-bottom:1px solid #eaeef2;text-align:right}
th:first-child,td:first-child{text-align:left} th{background:#f6f8fa}
.band{display:inline-block;padding:1px 6px;border-radius:8px;color:#fff;font-size:11px}
.good{color:#1a7f37}.bad{color:#cf222e}.warn{background:#fff8c5;border-left:4px solid #d4a72c;padding:6px 10px}.note{color:#57606a;font-size:11px}
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
    """A KPI's benchmark bands in words: 'good under 5.0%, typical 5.0%–10.0%, otherwise a concern'
    (the brief's definitions, the dashboard's column and tile help)."""
    b = KPIS[kpi_key].benchmark

    def rng(r):
        lo, hi = r
        if lo is None:
            return f"under {format_value(kpi_key, hi)}"
        if hi is None:
            return f"{format_value(kpi_key, lo)} or more"
        return f"{format_value(kpi_key, lo)}–{format_value(kpi_key, hi)}"
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
        cls = "" if short else {True: "good", False: "bad", None: ""}[is_better(key, v, b)]
        rows.append(
            f"<tr title=\"{e(k.definition)}\"><td>{e(k.label)}</td><td><b>{format_value(key, v)}</b> "
            f"{_band_badge(key, review.this)}<div class='note'>{e(parts(key, review.this))}"
            f"{e(' (' + SHORT_HISTORY_NOTE + ')') if short else ''}</div></td>"
            f"<td>{format_value(key, p)}<div class='note'>{format_delta(key, v, p)}</div></td>"
            f"<td>{format_value(key, b)}<div class='note {cls}'>{format_delta(key, v, b)}</div></td></tr>")
    mv_rows = "".join(
        f"<tr><td>{e(r['dim_label'])}: {e(r['label'])}</td><td>{format_value('denied_dollars', r['this_week'])}</td>"
        f"<td>{format_value('denied_dollars', r['baseline_avg'])}</td>"
        f"<td class='{'bad' if r['change'] > 0 else 'good'}'>{format_delta('denied_dollars', r['change'], 0)}</td></tr>"
        for r in review.movers.to_dicts()) or "<tr><td colspan=4>No movement against the 13-week average.</td></tr>"
    cost, cost_note = rework_estimate(review.this.get("claims_denied"), cost=rework_cost, low=rework_low,
                                      high=rework_high)
    figs = [trends_grid(review), stage_figure(review, 280), cause_figure(review, 280),
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
<h2>The week in numbers</h2>
<table><tr><th>KPI</th><th>This week</th><th>Week before</th><th>13-week average</th></tr>{''.join(rows)}</table>
<p class="note">{review.this.get('claims_adjudicated') or 0:,} claims adjudicated, {review.this.get('claims_denied') or 0:,} denied,
{format_value('billed_dollars', review.this.get('billed_dollars') or 0)} billed. Bands: good / typical / concern against the benchmarks listed below.</p>
<div class="pb">{divs[0]}</div>
<h2>Where the money leaks</h2>
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
    """(HTML, review) for an ISO week label ('2026-W20'); default: the last complete week."""
    if week:
        monday, _ = periods.iso_week(week)
    else:
        _, last = catalog.data_span(con, scope=scope)
        if last is None:
            raise ValueError("the warehouse holds no adjudicated claims yet")
        monday, _ = periods.last_complete_week(last)
    review = weekly_review(con, scope=scope, filters=filters, week_start=monday)
    return render_html(review, scope_label=scope.label, filter_text=filter_text, rework_cost=rework_cost,
                       rework_low=rework_low, rework_high=rework_high), review
