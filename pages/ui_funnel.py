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


# the plot a label is placed for: about the narrowest a funnel gets (a 540 px chart at 1,000 px: ~470 px
# wide; ~215 px from the lowest to the highest limit or rate), two labels apart there stay apart wider
PLOT_PX = (470.0, 215.0)
CHAR_PX, LABEL_PX, MARKER_PX = 5.4, 12.0, 12.0      # a character and a line of the 10 px labels, a marker


# a name is drawn LEADER_PX from its point with a thin line to it: names next to their points alone were
# read as the neighbour's where points crowd (a review at 1,280 px: 'Northside Physical Therapy' to the left of
# its point ran over the point beside it, and the reader took that point for it)
LEADER_PX = 14.0


def label_annotation(name: str, x: float, y: float, position: str, colour: str) -> dict:
    """A point's name at `position` ('top left' ...: _label_sides) as a plotly annotation: the text
    LEADER_PX away from the marker's edge, joined to the marker by a line."""
    v, h = position.split()
    dx = {"left": -1, "center": 0, "right": 1}[h] * (LEADER_PX if v != "middle" else LEADER_PX + 4)
    dy = {"top": -1, "middle": 0, "bottom": 1}[v] * LEADER_PX            # px, down positive
    return {"x": x, "y": y, "text": name, "showarrow": True, "arrowhead": 0, "arrowwidth": 1,
            "arrowcolor": "#afb8c1", "standoff": MARKER_PX / 2, "ax": dx, "ay": dy,
            "xanchor": {"left": "right", "center": "center", "right": "left"}[h],
            "yanchor": {"top": "bottom", "middle": "middle", "bottom": "top"}[v],
            "font": {"size": 10, "color": colour}}


def _label_box(x: float, y: float, position: str, width: float) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) in px of a label at `position` ('top left' ...) of a marker at (x, y),
    as label_annotation draws it (y up)."""
    v, h = position.split()
    if v == "middle":
        y0 = y - LABEL_PX / 2
        left = x + LEADER_PX + 4 if h == "right" else x - LEADER_PX - 4 - width
    else:
        y0 = y + LEADER_PX if v == "top" else y - LEADER_PX - LABEL_PX
        left = x - width / 2 if h == "center" else x + LEADER_PX if h == "right" else x - LEADER_PX - width
    return left, y0, left + width, y0 + LABEL_PX


def _overlap(a, b, pad: float = 2.0) -> float:
    return (max(0.0, min(a[2], b[2]) + pad - max(a[0], b[0])) *
            max(0.0, min(a[3], b[3]) + pad - max(a[1], b[1])))


def _label_sides(points: list[tuple[float, float]], n_lo: float, n_hi: float, y_lo: float, y_hi: float,
                 names: list[str] | None = None, labelled: list[bool] | None = None) -> list[str]:
    """Where each point's name goes (points: (volume, rate)). First choice: towards the middle of the
    x-axis (a long name at the smallest or largest volume is not cut off), and above the point when it
    is the higher of itself and its nearest neighbour, else below. A label that would then run into a
    marker or a label placed before it (in a ~470 px plot: 'Pruitt, Nathan' and 'Sorensen, Kai' printed
    over each other at 1,000 px) takes the first other position that is clear, else the least covered."""
    names = names if names is not None else [""] * len(points)
    labelled = labelled if labelled is not None else [True] * len(points)
    pw, ph = PLOT_PX

    def px(pt):
        return ((pt[0] - n_lo) / (n_hi - n_lo) * pw if n_hi > n_lo else pw / 2,
                (pt[1] - y_lo) / (y_hi - y_lo) * ph if y_hi > y_lo else ph / 2)

    xy = [px(pt) for pt in points]
    markers = [(x - MARKER_PX / 2, y - MARKER_PX / 2, x + MARKER_PX / 2, y + MARKER_PX / 2) for x, y in xy]
    placed: list[tuple[float, float, float, float]] = []
    out = []
    for i, pt in enumerate(points):
        x, y = xy[i]
        others = [(abs(x - ox) / pw + abs(y - oy) / ph, j) for j, (ox, oy) in enumerate(xy) if j != i]
        j = min(others)[1] if others else i
        above = pt[1] > points[j][1] or (pt[1] == points[j][1] and i > j)
        side = "right" if x < 0.3 * pw else "left" if x > 0.7 * pw else "center"
        first = f"{'top' if above else 'bottom'} {side}"
        if not labelled[i]:
            out.append(first)
            continue
        width = len(names[i]) * CHAR_PX
        vs = ["top", "bottom"] if above else ["bottom", "top"]
        hs = [side] + [h for h in ("center", "right", "left") if h != side]
        choices = [f"{v} {h}" for h in hs for v in vs] + ["middle right", "middle left"]
        best, best_cost = first, None
        for c in choices:
            box = _label_box(x, y, c, width)
            cost = sum(_overlap(box, m) for k, m in enumerate(markers) if k != i) + sum(_overlap(box, b) for b in placed)
            cost += max(0.0, -box[0]) * LABEL_PX + max(0.0, box[2] - pw) * LABEL_PX       # out of the plot: cut
            if best_cost is None or cost < best_cost:
                best, best_cost = c, cost
            if cost == 0:
                break
        placed.append(_label_box(x, y, best, width))
        out.append(best)
    return out


def figure(f: pl.DataFrame, kpi: str, names: list[str], ids: list[str], title: str, group_label: str,
           x_title: str) -> go.Figure:
    """The funnel of a compare.funnel() frame: limit lines, the group rate, one point per unit (named
    when outside the 95% limits, or every one up to NAME_ALL units); customdata[0] is the unit's id
    (clicks narrow to it). A frame of compare.mix_adjusted rates (`<kpi>__observed`, `<kpi>__expected`)
    says so in the hover, with the rate as it is and the expected one beside the adjusted."""
    k = KPIS[kpi]
    mixed = f"{kpi}__observed" in f.columns and f"{kpi}__expected" in f.columns
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
    named = [not (s_ == "within limits" and f.height > NAME_ALL) for s_ in placed["signal"]]
    sides = dict(zip(placed["_id"], _label_sides(list(zip(placed["n"], placed["rate"])), n_lo, n_hi, lo_y, hi_y,
                                                 placed["_name"].to_list(), named)))
    for signal, colour in SIGNAL_COLOURS.items():
        part = f.filter(pl.col("signal") == signal)
        if part.height == 0:
            continue
        fig.add_trace(go.Scatter(
            x=part["n"].to_list(), y=part["rate"].to_list(),
            mode="markers", name=signal, text=part["_name"].to_list(), cliponaxis=False,
            customdata=[[i, lo, hi, o, e] for i, lo, hi, o, e in zip(
                part["_id"], part["lo998"], part["hi998"],
                part[f"{kpi}__observed"] if mixed else [None] * part.height,
                part[f"{kpi}__expected"] if mixed else [None] * part.height)],
            marker={"size": 12, "color": colour, "line": {"color": "white", "width": 1}},
            hovertemplate="%{text}<br>" + k.label + (" adjusted for payer mix" if mixed else "")
                          + " %{y:.1%} of %{x:,.0f}"
                          + ("<br>as it is %{customdata[3]:.1%}, expected for its payer mix %{customdata[4]:.1%}"
                             if mixed else "")
                          + "<br>99.8% limits %{customdata[1]:.1%} – %{customdata[2]:.1%}<extra>" + signal + "</extra>"))
        if not (signal == "within limits" and f.height > NAME_ALL):
            for name, n, rate, i in zip(part["_name"], part["n"], part["rate"], part["_id"]):
                if rate is not None:
                    fig.add_annotation(label_annotation(name, n, rate, sides.get(i, "top center"),
                                                        "#57606a" if signal == "within limits" else colour))
    pad = (hi_y - lo_y) * 0.08
    fig.update_layout(template=brief.TEMPLATE, title={"text": title, "font": {"size": 14}}, height=400,
                      margin={"l": 10, "r": 10, "t": 40, "b": 10}, xaxis_title=x_title,
                      yaxis={"tickformat": ".0%", "range": [max(0, lo_y - pad), min(1, hi_y + pad)]},
                      # the names are annotations, which a legend click would leave over hidden points
                      legend={"orientation": "h", "y": -0.3, "itemclick": False, "itemdoubleclick": False})
    return fig


def caption(f: pl.DataFrame, frame: pl.DataFrame, kpi: str, names: list[str], adjust: bool, unit: str,
            adjusted_for: str | None = None) -> str:
    """What the limits are, how much the units differ beyond chance, and who is outside 99.8%.
    `adjusted_for` (e.g. 'payer mix'): the rates are adjusted for it (compare.mix_adjusted), so the caption
    says so and no longer offers it as what may set a unit apart."""
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
    return (f"{k.label}: group rate {p:.1%}" + (f"; rates adjusted for {adjusted_for}" if adjusted_for else "") + ". "
            + ("Outside the 99.8% limits: " + ", ".join(flagged) + ". " if flagged
               else f"No {unit} outside the 99.8% limits. "
               + _furthest(plain, names, unit, adjust and od["tau2"] > 0, adjusted_for))
            + spread)


def _furthest(plain: pl.DataFrame, names: list[str], unit: str, widened: bool, adjusted_for: str | None = None) -> str:
    """With nothing flagged, who to ask about first, in words: the units beyond chance alone on the worse
    side, furthest first (a review: the default limits, widened by the very sites that stand out, flagged
    none while one site was worst every week, and the caption told the leader nothing)."""
    if not widened:
        return ""
    # how far past its chance-alone 99.8% limit, in half-widths of that limit (a z-score of sorts)
    worse = [(abs(r["rate"] - r["group_rate"]) / abs(lim - r["group_rate"]), name, r)
             for name, r in zip(names, plain.iter_rows(named=True))
             if (r["signal"] or "") == "worse (99.8%)"
             for lim in [r["hi998"] if r["rate"] > r["group_rate"] else r["lo998"]] if lim != r["group_rate"]]
    if not worse:
        return ""
    worse.sort(key=lambda t: t[0], reverse=True)
    top = [f"{name} ({r['rate']:.1%} of {r['n']:,.0f})" for _, name, r in worse[:3]]
    reasons = ", ".join(r for r in ("case mix", "payer mix", "the causes of their denials") if r != adjusted_for)
    return (f"Furthest on the worse side, beyond chance alone: {', '.join(top)}. They are within the spread "
            f"between {unit}s, so the question is what sets them apart ({reasons}), not luck. ")
