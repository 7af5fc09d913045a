"""What every page shares: the warehouse snapshot, cached warehouse calls, the sidebar filters
(kept in the URL), KPI tiles with their definitions, number formats and exports.

No SQL here: every number comes from warehouse/ functions; this module only caches and draws."""
from __future__ import annotations

import datetime as dt
import io
import os
import threading
from pathlib import Path

import polars as pl
import streamlit as st

from warehouse import catalog, metrics, periods
from warehouse.metrics import KPIS
from warehouse.query import Filters, kpis
from warehouse.schema import SchemaTooNew, SchemaTooOld
from warehouse.scope import Scope
from warehouse.store import Snapshot, WarehouseMissing, resolve_db_path

CACHE_TTL_S = 600
FILTER_DIMS = [("site", "Site"), ("provider", "Rendering provider"), ("payer", "Payer"),
               ("payer_class", "Payer class"), ("root_cause", "Root cause"), ("stage", "Stage")]
BAND_COLOURS = {"good": "#1a7f37", "typical": "#9a6700", "concern": "#cf222e", None: "#57606a"}
BAND_ICONS = {"good": "🟢", "typical": "🟡", "concern": "🔴", None: "⚪"}


# ------------------------------------------------------------------ warehouse access
@st.cache_resource
def _snapshot(path: str) -> tuple[Snapshot, threading.Lock]:
    return Snapshot(Path(path)), threading.Lock()


def db_path() -> Path:
    return resolve_db_path(os.environ.get("DENIALS_DB"))


def connection():
    """(a cursor on the last published warehouse state, that state's version key).

    A load publishes a new file; the next call sees the new version and reopens, so the page
    never shows half a load and picks up the new state on its next rerun."""
    snap, lock = _snapshot(str(db_path().resolve()))
    with lock:
        cur = snap.cursor()
        version = snap.version
    return cur, f"{version.inode}:{version.mtime_ns}:{version.size}"


def current_scope() -> Scope:
    """The viewer's access scope. Until sign-in exists (issue 7) the local demo runs as the demo
    administrator: every site."""
    return Scope.all()


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=512)
def cached_kpis(version: str, scope_key: str, by: tuple[str, ...], filters: Filters, as_of: dt.date | None,
                kpi_keys: tuple[str, ...] | None = None) -> pl.DataFrame:
    con, _ = connection()
    return kpis(con, scope=_scope_from_key(scope_key), by=by, filters=filters, as_of=as_of,
                kpi_keys=list(kpi_keys) if kpi_keys else None)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def cached_choices(version: str, scope_key: str, dim: str) -> list[tuple[str, str]]:
    con, _ = connection()
    return catalog.choices(con, scope=_scope_from_key(scope_key), dim=dim)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def cached_span(version: str, scope_key: str):
    con, _ = connection()
    return catalog.data_span(con, scope=_scope_from_key(scope_key))


def _scope_from_key(key: str) -> Scope:
    return Scope.from_cache_key(key)


class Context:
    """Everything a page needs after the sidebar: version, scope, filters, as-of, span."""

    def __init__(self, version: str, scope: Scope, filters: Filters, as_of: dt.date | None,
                 first: dt.date | None, preset: str):
        self.version, self.scope, self.filters, self.as_of, self.first, self.preset = \
            version, scope, filters, as_of, first, preset

    def kpis(self, by=(), filters: Filters | None = None, kpi_keys=None, as_of=None) -> pl.DataFrame:
        return cached_kpis(self.version, self.scope.cache_key, tuple(by), filters or self.filters,
                           as_of or self.as_of, tuple(kpi_keys) if kpi_keys else None)


def start(title: str, caption: str) -> Context | None:
    """Page header, warehouse checks and the sidebar; None when there is nothing to show."""
    st.title(title)
    st.caption(caption)
    try:
        _, version = connection()
    except (WarehouseMissing, SchemaTooOld, SchemaTooNew) as exc:
        st.error(str(exc))
        return None
    scope = current_scope()
    first, as_of = cached_span(version, scope.cache_key)
    st.sidebar.caption(f"Signed in as **demo administrator** (local demo, bound to localhost) · "
                       f"scope: {scope.label}")
    if as_of is None:
        st.info("The warehouse holds no adjudicated claims yet: load 835 remits or a claims export "
                "(`python -m etl load FOLDER`) and this page fills in.")
        return None
    filters, preset = sidebar_filters(version, scope, as_of, first)
    st.sidebar.caption(f"Data through {as_of:%a %d %b %Y} (latest remit).")
    return Context(version, scope, filters, as_of, first, preset)


# ------------------------------------------------------------------ sidebar filters (in the URL)
def sidebar_filters(version: str, scope: Scope, as_of: dt.date, first: dt.date | None,
                    default_preset: str = "last_13_weeks") -> tuple[Filters, str]:
    sb = st.sidebar
    sb.header("Filters")
    preset = sb.selectbox("Date range", list(periods.PRESETS), index=list(periods.PRESETS).index(default_preset),
                          format_func=periods.PRESETS.get, key="range", bind="query-params")
    if preset == "custom":
        d_from = sb.date_input("From", value=as_of - dt.timedelta(days=90), key="from", bind="query-params")
        d_to = sb.date_input("To", value=as_of, key="to", bind="query-params")
    else:
        d_from, d_to = periods.preset_range(preset, as_of, first)
        sb.caption(f"{d_from:%d %b %Y} – {d_to:%d %b %Y}" if d_from else f"through {d_to:%d %b %Y}")
    basis = sb.radio("Date basis", ["adjudication", "service"], key="basis", bind="query-params", horizontal=True,
                     format_func={"adjudication": "Initial adjudication", "service": "Date of service"}.get,
                     help="Place each claim in a period by the date of its initial adjudication (default) "
                          "or by its date of service.")
    values = {}
    for dim, label in FILTER_DIMS:
        opts = cached_choices(version, scope.cache_key, dim)
        names = dict(opts)
        picked = sb.multiselect(label, [v for v, _ in opts], format_func=lambda v, n=names: n.get(v, v),
                                key=dim, bind="query-params", placeholder="All")
        if picked:
            values[dim] = picked
    return Filters.make(values, d_from, d_to, basis), preset


# ------------------------------------------------------------------ formats and tiles
def fmt(kpi_key: str, value) -> str:
    if value is None:
        return "—"
    unit = KPIS[kpi_key].unit
    if unit == "ratio":
        return f"{value:.1%}"
    if unit == "dollars":
        return f"${value:,.0f}"
    if unit == "days":
        return f"{value:.1f} days"
    return f"{value:,.0f}"


def parts_text(kpi_key: str, row: dict) -> str:
    k = KPIS[kpi_key]
    if k.denominator is None:
        return ""
    num, den = row.get(f"{kpi_key}__num"), row.get(f"{kpi_key}__den")
    if num is None or den is None:
        return ""
    money = k.parts_unit == "dollars"
    f = (lambda x: f"${x:,.0f}") if money else (lambda x: f"{x:,.0f}")
    if k.key == "ar_days":
        return f"{f(num)} A/R ÷ ({f(den)} charges in 90 days ÷ 90)"
    return f"{f(num)} of {f(den)}" + ("" if money else f" {k.parts_unit}")


def definition(kpi_key: str, row: dict | None = None) -> str:
    k = KPIS[kpi_key]
    lines = [f"**{k.label}** — {k.definition}"]
    if row is not None and parts_text(kpi_key, row):
        lines.append(f"This view: {parts_text(kpi_key, row)}.")
    if k.benchmark:
        lines.append(f"Benchmark: {band_words(kpi_key)}. Source: {k.benchmark.source}.")
    lines.append(f"Good direction: {'higher' if k.good_direction == 'up' else 'lower'} is better.")
    return "\n\n".join(lines)


def band_words(kpi_key: str) -> str:
    b = KPIS[kpi_key].benchmark
    f = (lambda x: fmt(kpi_key, x))

    def rng(r):
        lo, hi = r
        if lo is None:
            return f"under {f(hi)}"
        if hi is None:
            return f"{f(lo)} or more"
        return f"{f(lo)}–{f(hi)}"
    return f"good {rng(b.good)}, typical {rng(b.typical)}, otherwise a concern"


def tile(container, kpi_key: str, row: dict, previous: dict | None = None, trend: list | None = None,
         label: str | None = None) -> None:
    value = row.get(kpi_key)
    band = metrics.band(kpi_key, value)
    delta = None
    k = KPIS[kpi_key]
    if previous is not None and value is not None and previous.get(kpi_key) is not None:
        d = value - previous[kpi_key]
        delta = (f"{d * 100:+.1f} pts" if k.unit == "ratio" else
                 f"{'+' if d >= 0 else '−'}${abs(d):,.0f}" if k.unit == "dollars" else f"{d:+.1f}")
    container.metric(f"{BAND_ICONS[band] if k.benchmark else ''} {label or k.label}".strip(), fmt(kpi_key, value),
                     delta=delta, delta_color="inverse" if k.good_direction == "down" else "normal",
                     help=definition(kpi_key, row), border=True,
                     chart_data=[x for x in (trend or []) if x is not None] or None, chart_type="line")
    text = parts_text(kpi_key, row)
    if text:
        container.caption(text)


def empty_note(what: str = "these filters") -> None:
    st.info(f"No data for {what}: widen the date range or clear a filter in the sidebar.")


# ------------------------------------------------------------------ exports
def export_buttons(frame: pl.DataFrame, name: str, key: str) -> None:
    """CSV and Excel downloads of exactly the table shown (same rows, same filters)."""
    c1, c2 = st.columns(2)
    c1.download_button("Download CSV", frame.write_csv().encode(), f"{name}.csv", "text/csv", key=f"{key}-csv")
    buf = io.BytesIO()
    frame.write_excel(buf, worksheet=name[:31])
    c2.download_button("Download Excel", buf.getvalue(), f"{name}.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{key}-xlsx")
