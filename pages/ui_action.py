"""Shared by the "where to act" pages (issue 5): cached calls to warehouse.action, warehouse.quality
and warehouse.queue, the Pareto arithmetic of a chart, and the inline claim list.

No SQL and no KPI formula here: numbers come from warehouse/ functions; this module caches and draws."""
from __future__ import annotations

from typing import Any, Callable

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from pages import ui, ui_base, ui_tables as ut
from warehouse import action, brief, claims, quality, queue
from warehouse.query import Filters
from warehouse.scope import ClaimLevelDenied

def _unscoped(fn: Callable) -> Callable:
    """The ledger functions are installation-wide (no scope argument): callers check the scope."""
    def call(con, *, scope, **kw):
        return fn(con, **kw)
    return call


CALLS: dict[str, Callable] = {
    "action.appeal_timing": action.appeal_timing,
    "action.leakage": action.leakage,
    "action.write_offs": action.write_offs,
    "action.ar_aging": action.ar_aging,
    "action.ar_denied_share": action.ar_denied_share,
    "action.oldest_open_claims": action.oldest_open_claims,
    "quality.load_history": _unscoped(quality.load_history),
    "quality.quarantined": _unscoped(quality.quarantined),
    "quality.unmapped": _unscoped(quality.unmapped),
    "quality.orphan_follow_ups": _unscoped(quality.orphan_follow_ups),
    "quality.unmatched_remits": quality.unmatched_remits,
    "quality.unmatched_remit_count": quality.unmatched_remit_count,
    "quality.unknown_codes": quality.unknown_codes,
    "quality.freshness": quality.freshness,
    "quality.payer_rules": quality.payer_rules,
    "queue.work_queue": queue.work_queue,
    "queue.queue_page": queue.queue_page,
    "claims.claim_list": claims.claim_list,
    "claims.claim_count": claims.claim_count,
    "claims.claim_page": claims.claim_page,
}


@st.cache_data(ttl=ui_base.CACHE_TTL_S, show_spinner=False, max_entries=512)
def _cached(version: str, scope_key: str, name: str, kwargs: tuple) -> Any:
    con, _ = ui_base.connection()
    return CALLS[name](con, scope=ui_base.scope_from_key(scope_key), **dict(kwargs))


def call(ctx: ui.Context, name: str, **kwargs) -> Any:
    """A warehouse call cached per published version + access scope + arguments."""
    return _cached(ctx.version, ctx.scope.cache_key, name, tuple(sorted(kwargs.items())))


def with_values(filters: Filters, **values) -> Filters:
    """The same filters with some dimension values replaced (None or [] removes the filter)."""
    vals = dict(filters.as_dict())
    for k, v in values.items():
        if v:
            vals[k] = list(v)
        else:
            vals.pop(k, None)
    return Filters.make(vals, filters.date_from, filters.date_to, filters.basis)


def money(v, cents: bool = False) -> str:
    """$1,234 (or $1,234.56 with cents); a negative amount as −$2,920 (a reversal), never $-2,920."""
    if v is None:
        return "—"
    return f"{'−' if v < 0 else ''}${abs(v):,.{2 if cents else 0}f}"


def pct(v) -> str:
    return "—" if v is None else f"{v:.1%}"


def tile(container, label: str, value: str, help: str, caption: str = "", key: str = "") -> None:
    """A number that is not a registry KPI (a sum or share of warehouse results), drawn like ui.kpi_tile:
    a bordered box with the value, its definition on hover and a caption inside."""
    box = container.container(border=True, key=f"band-none-{key}" if key else None)
    box.metric(label, value, help=help)
    if caption:
        box.caption(caption)


def filters_phrase(names: str) -> str:
    """'Root cause, Stage' (warehouse filter labels) -> 'the root cause and stage filters keep'."""
    parts = [n.strip().lower() for n in names.split(",") if n.strip()]
    if len(parts) == 1:
        return f"the {parts[0]} filter keeps"
    return f"the {', '.join(parts[:-1])} and {parts[-1]} filters keep"


def claim_level_note(exc: ClaimLevelDenied) -> None:
    st.info(f"{exc} Ask an administrator for a claim-level role to see the claims behind these totals.")


def pareto(frame: pl.DataFrame, value: str, key: str) -> pl.DataFrame:
    """Rows sorted by `value` (largest first, ties by `key`) with `cum_share`: the running total over
    the grand total — the line of a Pareto chart (drawing only; the values come from kpis())."""
    f = frame.filter(pl.col(value).fill_null(0) > 0).sort([value, key], descending=[True, False])
    total = f[value].sum() if f.height else 0
    return f.with_columns((pl.col(value).cum_sum() / total if total else pl.lit(None, pl.Float64)).alias("cum_share"))


def pareto_figure(frame: pl.DataFrame, x: str, value: str, label: str | None, title: str,
                  custom: list[str] | None = None, colour: str = "#cf222e") -> go.Figure:
    """Bars of `value` by `x` (largest first) and the cumulative share line on a second axis."""
    names = frame[label].fill_null(frame[x]).to_list() if label and label in frame.columns else frame[x].to_list()
    cd = [[r[c] for c in (custom or [x])] for r in frame.iter_rows(named=True)]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=names, y=frame[value].to_list(), name="Denied dollars", marker_color=colour,
                         customdata=cd, hovertemplate="%{x}: %{y:$,.0f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=names, y=frame["cum_share"].to_list(), name="Cumulative share", yaxis="y2",
                             mode="lines+markers", line={"color": "#0969da", "width": 2}, customdata=cd,
                             hovertemplate="%{x}: %{y:.0%} cumulative<extra></extra>"))
    fig.add_hline(y=0.8, yref="y2", line={"color": "#57606a", "dash": "dot", "width": 1})
    fig.update_layout(template=brief.TEMPLATE, title={"text": title, "font": {"size": 14}}, height=380,
                      margin={"l": 10, "r": 10, "t": 40, "b": 10}, yaxis={"tickformat": "$,.0f"},
                      yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%", "range": [0, 1.05],
                              "dtick": 0.2, "showgrid": False},
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
                      xaxis={"type": "category", "tickangle": -30})
    return fig


CLAIM_TABLE_ROWS = 500     # claims an inline list draws (by denied dollars); its downloads can hold them all


def claim_table(ctx: ui.Context, filters: Filters, key: str, title: str, denied_only: bool = True,
                limit: int | None = None) -> pl.DataFrame | None:
    """The claims behind a selection (warehouse.claims.claim_list), exportable; a totals-only role
    gets a message instead. Returns the frame shown (None when not allowed)."""
    st.markdown(f"**{title}**")
    limit = limit or CLAIM_TABLE_ROWS
    try:
        frame, total = call(ctx, "claims.claim_page", filters=filters, limit=limit, denied_only=denied_only)
    except ClaimLevelDenied as exc:
        claim_level_note(exc)
        return None
    if frame.height == 0:
        ui.empty_note("claims of this selection")
        return frame
    cols = [c for c in ("claim_id", "site_name", "payer_name", "provider", "dos", "initial_adjudication_date",
                        "billed", "denied_dollars", "root_cause", "carc", "carc_description", "recovered_dollars",
                        "open_denied_dollars", "appeals", "corrected_claims") if c in frame.columns]
    show = frame.select(cols)
    st.caption(f"{show.height:,} of {total:,} claims" + (f" (the first {limit:,} by denied dollars)"
                                                         if total > show.height else "")
               + ". Open one in the payer drill-down (type its id in Claim detail) for its full story.")
    ut.table(show, key=key, column_config={
        "claim_id": st.column_config.TextColumn("Claim", pinned=True),
        "billed": st.column_config.NumberColumn("Billed", format="dollar"),
        "denied_dollars": st.column_config.NumberColumn("Denied", format="dollar"),
        "recovered_dollars": st.column_config.NumberColumn("Recovered", format="dollar"),
        "open_denied_dollars": st.column_config.NumberColumn("Open denied", format="dollar")})
    claim_downloads(ctx, show, total, filters, key, key, denied_only=denied_only, columns=cols)
    return show


def claim_downloads(ctx: ui.Context, shown: pl.DataFrame, total: int, filters: Filters, key: str, name: str, *,
                    denied_only: bool, search: str | None = None, columns: list[str] | None = None) -> None:
    """The downloads of a claim list drawn to its first rows: those rows while they are the whole
    selection; else they (so named on the buttons) and a "Prepare downloads of all N claims" button that
    reads the whole selection for the downloads only (a page view never carries it). A review found the
    root-cause list's files stopping at its 500 drawn rows without a word."""
    if total <= shown.height:
        ut.export_buttons(shown, name, f"{key}-x")
        return
    wanted = f"{key}-all"
    fingerprint = repr((ctx.version, ctx.scope.cache_key, filters, denied_only, search))
    if st.session_state.get(wanted) != fingerprint:
        st.button(f"Prepare downloads of all {total:,} claims", key=f"{key}-prepare",
                  on_click=lambda: st.session_state.__setitem__(wanted, fingerprint))
        ut.export_buttons(shown, name, f"{key}-x", what=f"the first {shown.height:,} claims")
        return
    with st.spinner(f"Reading all {total:,} claims ..."):
        every = call(ctx, "claims.claim_list", filters=filters, limit=None, denied_only=denied_only, search=search)
    ut.export_buttons(every.select(columns) if columns else every, f"{name}-all", f"{key}-x",
                      what=f"all {every.height:,} claims")


def points(chart_key: str) -> list[dict]:
    return ui._points(chart_key)


def custom(point: dict, field: int):
    return ui._custom(point, field)
