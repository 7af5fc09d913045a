"""The weekly review's charts, drawn alike on the weekly-review page and in the HTML brief
(warehouse/brief.py builds the numbers, `WeeklyReview`; this module only draws them), and the
benchmark bands and colours other pages' charts share. Plotly only: no SQL, no streamlit."""
from __future__ import annotations

import html
from typing import TYPE_CHECKING

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from warehouse.metrics import KPIS, format_value

if TYPE_CHECKING:
    from warehouse.brief import WeeklyReview

STAGES = ["front_end", "back_end", "clinical", "payer"]
STAGE_LABELS = {"front_end": "Front end", "back_end": "Back end", "clinical": "Clinical", "payer": "Payer"}
STAGE_COLOURS = {"front_end": "#0969da", "back_end": "#8250df", "clinical": "#bf3989", "payer": "#9a6700"}
BAND_FILL = {"good": "rgba(26,127,55,0.13)", "typical": "rgba(212,167,44,0.16)", "concern": "rgba(207,34,46,0.10)"}
# a horizontal legend at the figure's foot (the container's bottom), not at a share of the plot's height
# below it: the plot keeps its room whatever the legend's rows, and the week ticks are not overlapped; above
# the plot at the right it ran over the title in a narrow chart (every chart with a legend in a row uses it)
FOOT_LEGEND = {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0, "xanchor": "left",
               "traceorder": "normal"}
TEMPLATE = "plotly_white"


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


def trends_grid(review: WeeklyReview, kpi_keys: list[str], cols: int = 4) -> go.Figure:
    """Small multiples of `kpi_keys` (add_trend each), `cols` to a row."""
    rows = -(-len(kpi_keys) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[KPIS[k].label for k in kpi_keys],
                        vertical_spacing=0.22, horizontal_spacing=0.06)
    for i, key in enumerate(kpi_keys):
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
    labels = s["label"].to_list()
    fig.update_layout(template=TEMPLATE, title={"text": f"Denied dollars by stage, {review.week}", "font": {"size": 14}},
                      height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      yaxis={"tickformat": "$~s", "nticks": 6},
                      # names flat on two lines ("Front<br>end"): slanted at 1,000 px they took a third of the plot
                      xaxis={"tickmode": "array", "tickvals": labels, "tickangle": 0,
                             "ticktext": [label.replace(" ", "<br>", 1) for label in labels]})
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
                      # every bar is labelled with its dollars: no axis numbers (they slanted or stood upright
                      # in the narrow plot beside the names, at 1,440 and 1,000 px)
                      xaxis={"showticklabels": False, "showgrid": False})
    return fig


def _good_or_bad(colour: str) -> bool:
    """A saturated green or red: the colours the dashboard gives good and bad (bands, deltas), so no root cause
    wears one (a review: the largest cause, authorization, drawn in the green that means 'good')."""
    import colorsys

    from plotly.colors import hex_to_rgb, unlabel_rgb
    r, g, b = (v / 255 for v in (hex_to_rgb(colour) if colour.startswith("#") else unlabel_rgb(colour)))
    hue, _, sat = colorsys.rgb_to_hls(r, g, b)
    return sat > 0.35 and (hue * 360 < 15 or hue * 360 > 345 or 75 < hue * 360 < 165)


def cause_colours(causes) -> dict[str, str]:
    """One colour per root cause (never a green or a red), fixed by the taxonomy's order of categories: a cause keeps its colour
    from week to week and in the web page and the brief alike, and no two causes of the taxonomy share
    one (the template's colorway has 10 colours for the taxonomy's 13 categories). A cause outside the
    taxonomy takes the next free colour. The root-cause page's trend lines use the same colours."""
    from plotly.colors import qualitative
    from warehouse import taxonomy
    # D3 without its green and red, then the colour-blind-safe set's hues D3 lacks (indigo, teal, wine, sand,
    # light blue, magenta), then Dark24's for causes outside the taxonomy
    safe = [c for c in qualitative.Safe if c in ("rgb(51, 34, 136)", "rgb(68, 170, 153)", "rgb(136, 34, 85)",
                                                 "rgb(221, 204, 119)", "rgb(136, 204, 238)", "rgb(170, 68, 153)")]
    palette = [c for c in qualitative.D3 + safe + qualitative.Dark24 if not _good_or_bad(c)]
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
                      legend={**FOOT_LEGEND, "font": {"size": 11}})
    week_axis(fig, review.trend["week"].to_list(), every=2)
    return fig
