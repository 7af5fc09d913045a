"""The heatmap the pages draw (payer x root cause, payer x procedure, modifier x payer): square markers,
so a click on a cell is a point selection, with labels and axes that read in a narrow window. pages.ui.chart
draws it (and hides its cell labels below the width the figure names). No SQL here."""
from __future__ import annotations

import re
from typing import Any

import plotly.graph_objects as go

from warehouse import brief as _brief

LABEL_MAX = 26             # characters of a heatmap's row or column name shown on its axis
NARROW_CHART_PX = 540     # a full-width chart at a 1,000 px window with the sidebar open
TEXT_MIN_WIDTH = "text_min_width"       # a figure's layout.meta key: chart() hides its point labels below this width
MAX_WIDTH = "max_width"                 # a figure's layout.meta key: chart() draws it no wider than this


def short(label, most: int = LABEL_MAX) -> str:
    """A name cut to `most` characters with '…' (an axis label; the hover keeps the whole name)."""
    label = str(label)
    return label if len(label) <= most else label[:most - 1].rstrip() + "…"


def matrix_figure(x_labels: list[str], y_labels: list[str], z: list[list], text: list[list], customdata: list[list],
                  hovertemplate: str, *, zmin: float | None = None, zmax: float | None = None,
                  tickformat: str = "", cell: int = 30) -> Any:
    """A heatmap drawn as square markers, so a click on a cell is a point selection (plotly heatmaps
    cannot be selected). Cells with z None are left empty.

    The colour range is zmin..zmax, each defaulting to the cells' own lowest and highest value (plotly
    ignores a cmin without a cmax: zmin=0 alone was dropped). When every cell holds the same value
    (one cell: a click on Summit × Authorization) there is nothing to scale: no colour bar (it read
    '$205,244 / $205,243 / $205,243'), the cell in the scale's top colour. A label wider than its
    square ('$205,243' in 34 px) is shortened to three significant digits ('$205k'; the hover keeps
    the exact value), so it does not spill out of the cell; then every amount of $1,000 or more is, so
    the cells read in one format.

    At any width: the colour bar lies under the cells, names longer than LABEL_MAX are shortened on
    the axes (the categories, hence hover and clicks, keep them whole), and layout.meta tells chart()
    the narrowest chart whose columns leave room for the cell labels (narrower: the labels are hidden)."""
    def fits(label: str) -> bool:
        return len(label) * 4.5 <= cell - 2               # ~4.5 px a character at the cells' 10 px font

    def fit(label: str, every: bool = False) -> str:
        if fits(label) and not every:
            return label
        m = re.fullmatch(r"(-?)(\$?)([\d,]+)(?:\.\d+)?", label)
        if not m or len(m.group(3).replace(",", "")) < 4:
            return label
        v = float(m.group(3).replace(",", ""))
        for div, unit in ((1e3, "k"), (1e6, "M"), (1e9, "B")):
            short = f"{v / div:.3g}"
            if float(short) < 1000 or unit == "B":           # 999,999: not '1e+03k' but '1M'
                return f"{m.group(1)}{m.group(2)}{short}{unit}"
        return label

    # one label too wide: every amount of $1,000 or more is written short, so a row reads '$205k $12.9k',
    # not '$205k $12,874' (a review: two formats side by side)
    every = any(t is not None and not fits(str(t)) for row in text for t in row)
    xs, ys, zs, ts, cs = [], [], [], [], []
    for i, y in enumerate(y_labels):
        for j, x in enumerate(x_labels):
            if z[i][j] is None:
                continue
            xs.append(x)
            ys.append(y)
            zs.append(z[i][j])
            ts.append(fit(str(text[i][j]), every) if text[i][j] is not None else "")
            cs.append(customdata[i][j])
    low = zmin if zmin is not None else (min(zs) if zs else 0)
    high = zmax if zmax is not None else (max(zs) if zs else 1)
    flat = len(set(zs)) <= 1                              # one cell, or all alike: no scale to read
    if high <= low:                                        # a range plotly can draw: the value at the top
        low, high = (min(low, high - 1), high) if high > 0 else (high, high + 1)
    colours = ["white" if (v - low) > 0.55 * (high - low) else "#1f2328" for v in zs]
    # the colour bar lies under the cells, not beside them: at 1,000 px (a ~540 px chart) the upright bar
    # and its '$200,000' ticks took ~80 px from the columns, whose 34 px squares then overlapped and
    # printed their labels over each other; its dollar ticks are short ('$200k')
    bar = {"tickformat": "$~s" if tickformat.startswith("$") else tickformat, "thickness": 10, "len": 200,
           "lenmode": "pixels", "orientation": "h", "x": 1, "xanchor": "right",
           "y": 0, "yanchor": "bottom", "yref": "container", "ypad": 6}
    fig = go.Figure(go.Scatter(
        x=xs, y=ys, mode="markers+text", text=ts, customdata=cs, hovertemplate=hovertemplate,
        textfont={"size": 10, "color": colours},
        marker={"symbol": "square", "size": cell, "color": zs, "colorscale": "Reds", "cmin": low, "cmax": high,
                "showscale": not flat, "colorbar": bar, "line": {"width": 0}}))
    # the narrowest chart (px) whose columns are wide enough for the widest cell label (~5.4 px a
    # character at 10 px): the row names (~6 px a character at the ticks' 12 px), the columns, the slant
    # of the last column names past the right edge; chart() hides the labels in a narrower one, where
    # they printed over each other (11 payer × cause columns at 1,000 px), and the hover still tells
    widest = max((len(t) for t in ts), default=0) * 5.4 + 4
    rows = max((len(short(y)) for y in y_labels), default=0) * 6
    # column names slanted at 45° print over each other when a column is under ~20 px (14 px of a line
    # across the slant): in a 540 px chart (1,000 px window) 20 procedure codes get ~16 px, so they stand
    # upright; at 35° the 11 root causes' names (22 px columns) touched
    slant = max((len(short(x)) * 6 * 0.71 - (len(x_labels) - 1 - j) * widest for j, x in enumerate(x_labels)),
                default=0)
    upright = (NARROW_CHART_PX - 20 - rows - max(slant, 0)) / max(len(x_labels), 1) < 20
    slant = 0 if upright else slant
    # long names shortened on the axes only (a payer's 31 characters took a third of a narrow chart); the
    # categories keep the full names, so the hover and a click name the cell as before
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=x_labels, side="top", showgrid=False,
                     tickangle=-90 if upright else -45, tickmode="array", tickvals=x_labels,
                     ticktext=[short(v) for v in x_labels], automargin=True)
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=list(reversed(y_labels)), showgrid=False,
                     tickmode="array", tickvals=y_labels, ticktext=[short(v) for v in y_labels], automargin=True)
    text_min_width = int(20 + rows + len(x_labels) * widest + max(slant, 0))
    fig.update_layout(template=_brief.TEMPLATE,
                      height=max(220, 110 + (cell + 6) * len(y_labels) + (0 if flat else 40)),
                      margin={"l": 10, "r": 10, "t": 10, "b": 10 if flat else 50},
                      meta={TEXT_MIN_WIDTH: text_min_width,
                            # the width at which the squares stand ~4 px apart: stretched wider (11 causes
                            # across a 1,100 px chart), they read as thin strips with wide gaps (a review);
                            # never narrower than the cell labels need, and room for the colour bar (200 px)
                            MAX_WIDTH: int(max(20 + rows + len(x_labels) * (cell + 4) + max(slant, 0),
                                               text_min_width + 8, rows + 280))})
    return fig
