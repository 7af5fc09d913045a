"""The funnel plot shared by the site comparison (sites) and the providers page (peers of a specialty):
the limits picker, the figure and the caption. The maths is warehouse.compare (docs/pages.md)."""
from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from warehouse import brief, compare
from warehouse.metrics import KPIS

SIGNAL_COLOURS = {"within limits": "#57606a", "better (95%)": "#2da44e", "better (99.8%)": "#1a7f37",
                  "worse (95%)": "#d4a72c", "worse (99.8%)": "#cf222e", "no volume": "#afb8c1"}
NAME_ALL = 12           # up to this many units every point is named; beyond, only those outside 95%


def limits_picker(key: str, unit: str, container=st) -> bool:
    """The radio that picks the limits (in the URL as `key`); True = widen them by the over-dispersion."""
    labels = {"spread": f"Chance and the spread between {unit}s", "chance": "Chance alone (binomial)"}
    choice = container.radio(
        "Control limits", list(labels), format_func=labels.get, key=key, horizontal=True, bind="query-params",
        help=f"Chance and the spread between {unit}s (default): when the {unit}s differ by more than chance "
             f"alone explains (case mix, payer mix), the limits add that spread (Spiegelhalter's over-dispersion "
             f"adjustment), so a {unit} is flagged only when it stands out from its peers' usual spread too. "
             f"Chance alone: the plain binomial limits; at volumes in the thousands they are so narrow that most "
             f"{unit}s fall outside them.")
    return choice != "chance"


def _label_sides(points: list[tuple[float, float]], n_lo: float, n_hi: float, y_lo: float, y_hi: float) -> list[str]:
    """Where each point's name goes (points: (volume, rate)): towards the middle of the x-axis (a long
    name at the smallest or largest volume is not cut off), and above the point when it is the higher
    of itself and its nearest neighbour on the chart, else below, so two close points print their
    names apart instead of on top of each other."""
    def xy(pt):
        return ((pt[0] - n_lo) / (n_hi - n_lo) if n_hi > n_lo else 0.5,
                (pt[1] - y_lo) / (y_hi - y_lo) if y_hi > y_lo else 0.5)
    out = []
    for i, pt in enumerate(points):
        x, y = xy(pt)
        others = [(abs(x - ox) + abs(y - oy), j) for j, (ox, oy) in enumerate(map(xy, points)) if j != i]
        j = min(others)[1] if others else i
        above = pt[1] > points[j][1] or (pt[1] == points[j][1] and i > j)
        side = "right" if x < 0.3 else "left" if x > 0.7 else "center"
        out.append(f"{'top' if above else 'bottom'} {side}")
    return out


def figure(f: pl.DataFrame, kpi: str, names: list[str], ids: list[str], title: str, group_label: str,
           x_title: str) -> go.Figure:
    """The funnel of a compare.funnel() frame: limit lines, the group rate, one point per unit (named
    when outside the 95% limits, or every one up to NAME_ALL units); customdata[0] is the unit's id
    (clicks narrow to it)."""
    k = KPIS[kpi]
    p = f["group_rate"][0]
    tau2 = f["tau2"][0] or 0.0
    n_lo = max(1.0, (f.filter(pl.col("n") > 0)["n"].min() or 1) * 0.6)
    n_hi = max(f["n"].max() * 1.1, n_lo + 1)
    curve = compare.funnel_curve(p, n_hi, n_min=n_lo, tau2=tau2)
    fig = go.Figure()
    for lim, dash, colour, name in (("95", "dot", "#d4a72c", "95% limits"), ("998", "dash", "#cf222e", "99.8% limits")):
        for side in ("lo", "hi"):
            fig.add_trace(go.Scatter(x=curve["n"].to_list(), y=curve[f"{side}{lim}"].to_list(), mode="lines",
                                     line={"color": colour, "dash": dash, "width": 1.5}, name=name,
                                     legendgroup=name, showlegend=side == "lo", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=[n_lo, n_hi], y=[p, p], mode="lines", name=f"{group_label} {p:.1%}",
                             line={"color": "#0969da", "width": 1}, hoverinfo="skip"))
    f = f.with_columns(pl.Series("_name", names), pl.Series("_id", ids))
    lo_y = min(curve["lo998"].min(), f["rate"].min() or 0)
    hi_y = max(curve["hi998"].max(), f["rate"].max() or 0)
    placed = f.filter(pl.col("rate").is_not_null())
    sides = dict(zip(placed["_id"], _label_sides(list(zip(placed["n"], placed["rate"])), n_lo, n_hi, lo_y, hi_y)))
    for signal, colour in SIGNAL_COLOURS.items():
        part = f.filter(pl.col("signal") == signal)
        if part.height == 0:
            continue
        fig.add_trace(go.Scatter(
            x=part["n"].to_list(), y=part["rate"].to_list(),
            mode="markers" if signal == "within limits" and f.height > NAME_ALL else "markers+text", name=signal,
            text=part["_name"].to_list(), cliponaxis=False,
            textfont={"size": 10, "color": "#57606a" if signal == "within limits" else colour},
            textposition=[sides.get(i, "top center") for i in part["_id"]],
            customdata=[[i, lo, hi] for i, lo, hi in zip(part["_id"], part["lo998"], part["hi998"])],
            marker={"size": 12, "color": colour, "line": {"color": "white", "width": 1}},
            hovertemplate="%{text}<br>" + k.label + " %{y:.1%} of %{x:,.0f}<br>99.8% limits "
                          "%{customdata[1]:.1%} – %{customdata[2]:.1%}<extra>" + signal + "</extra>"))
    pad = (hi_y - lo_y) * 0.08
    fig.update_layout(template=brief.TEMPLATE, title={"text": title, "font": {"size": 14}}, height=400,
                      margin={"l": 10, "r": 10, "t": 40, "b": 10}, xaxis_title=x_title,
                      yaxis={"tickformat": ".0%", "range": [max(0, lo_y - pad), min(1, hi_y + pad)]},
                      legend={"orientation": "h", "y": -0.3})
    return fig


def caption(f: pl.DataFrame, frame: pl.DataFrame, kpi: str, names: list[str], adjust: bool, unit: str) -> str:
    """What the limits are, how much the units differ beyond chance, and who is outside 99.8%."""
    k = KPIS[kpi]
    p = f["group_rate"][0]
    od = compare.overdispersion(frame, kpi, p)
    flagged = [f"{name} ({r['rate']:.1%} of {r['n']:,.0f}, {r['signal']})"
               for name, r in zip(names, f.iter_rows(named=True)) if "99.8" in (r["signal"] or "")]
    plain = compare.funnel(frame, kpi, adjust=False)
    plain_out = int(plain["signal"].str.contains("99.8").sum())
    if od["phi"] is None:
        spread = ""
    elif adjust and od["tau2"] > 0:
        spread = (f"The {unit}s differ by more than chance: their squared z-scores average φ = {od['phi']:.1f} "
                  f"(1 would be chance alone), so the limits add a between-{unit} spread of τ = "
                  f"{od['tau2'] ** 0.5:.1%} (points of rate): p ± z·√(p(1−p)/n + τ²). With chance alone "
                  f"{plain_out} of {od['units']} would be outside 99.8%. ")
    elif adjust:
        spread = (f"The {unit}s differ no more than chance explains: their squared z-scores average φ = "
                  f"{od['phi']:.1f}, and {od['units']} × φ = {od['units'] * od['phi']:.1f} is below "
                  f"{compare.chi2_95(od['units'] - 1):.1f} (χ² with {od['units'] - 1} degrees of freedom, 95%): "
                  "binomial limits, p ± z·√(p(1−p)/n). ")
    else:
        spread = (f"Chance alone: p ± z·√(p(1−p)/n); the {unit}s' squared z-scores average φ = {od['phi']:.1f} "
                  "(1 would be chance alone). ")
    return (f"{k.label}: group rate {p:.1%}. " + spread
            + ("Outside the 99.8% limits: " + ", ".join(flagged) + "." if flagged
               else f"No {unit} outside the 99.8% limits."))
