"""What every page shares: the warehouse snapshot, cached warehouse calls, the sidebar filters
(kept in the URL), KPI tiles with their definitions, number formats and exports.

No SQL here: every number comes from warehouse/ functions; this module only caches and draws."""
from __future__ import annotations

import datetime as dt
import hashlib
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
BAND_ICONS = {"good": "🟢", "typical": "🟡", "concern": "🔴", metrics.FEW: "⚪", None: "⚪"}


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
    """The signed-in user's access scope (every site for the demo administrator in demo mode); a
    scope with no sites and no claim level when nobody is signed in (see the sign-in section below)."""
    user = viewer()
    return user.scope if user is not None else NO_ACCESS


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=512)
def cached_kpis(version: str, scope_key: str, by: tuple[str, ...], filters: Filters, as_of: dt.date | None,
                kpi_keys: tuple[str, ...] | None = None) -> pl.DataFrame:
    con, _ = connection()
    return kpis(con, scope=_scope_from_key(scope_key), by=by, filters=filters, as_of=as_of,
                kpi_keys=list(kpi_keys) if kpi_keys else None)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def cached_choices(version: str, scope_key: str, dim: str) -> list[tuple[str, str]]:
    """(code, name) of a filter's values; a code the catalog names by itself (payer class, stage) is
    named in words, as the tables show it ('managed_medicaid' -> 'Managed medicaid'). The sidebar and
    the links between pages both put these names in the URL."""
    con, _ = connection()
    return [(v, value_label(dim, v) if n == v and dim in LABELLED_COLUMNS else n)
            for v, n in catalog.choices(con, scope=_scope_from_key(scope_key), dim=dim)]


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def cached_span(version: str, scope_key: str):
    con, _ = connection()
    return catalog.data_span(con, scope=_scope_from_key(scope_key))


def with_names(ctx: "Context", frame: pl.DataFrame, dim: str) -> pl.DataFrame:
    """The frame with `<dim>_name` (a site's or payer's name, a code's words) beside its `dim` codes,
    from the filter choices; a code without a name keeps the code."""
    names = dict(cached_choices(ctx.version, ctx.scope.cache_key, dim))
    return frame.with_columns(pl.col(dim).cast(pl.String).replace_strict(names, default=pl.col(dim).cast(pl.String))
                              .alias(f"{dim}_name"))


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
    user = viewer()
    if user is None:                      # a page run without the dashboard's gate: sign in here
        signin_screen()
        return None
    if refusal(user):
        st.warning(refusal(user))
        return None
    scope = user.scope
    first, as_of = cached_span(version, scope.cache_key)
    identity_line()
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
    # the filters follow the user from page to page: Streamlit drops a widget's state when its page is
    # left unless the value was set through Session State, so a filter that came in by a link (the
    # URL) fell back to "All" at the next click in the navigation; re-asserting keeps every filter
    carry_filters()
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
    return metrics.format_value(kpi_key, value)


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
    band = metrics.band_of(kpi_key, row)
    delta = None
    k = KPIS[kpi_key]
    if previous is not None and value is not None and previous.get(kpi_key) is not None:
        delta = _brief.format_delta(kpi_key, value, previous[kpi_key]).replace("−", "-")  # st.metric reads the sign
    container.metric(f"{BAND_ICONS[band] if k.benchmark else ''} {label or k.label}".strip(), fmt(kpi_key, value),
                     delta=delta, **_delta_style(kpi_key, delta),
                     help=definition(kpi_key, row), border=True,
                     chart_data=[x for x in (trend or []) if x is not None] or None, chart_type="line")
    text = parts_text(kpi_key, row)
    if band == metrics.FEW:
        text += f" (too few for a benchmark colour: under {metrics.MIN_BAND_VOLUME})"
    if text:
        container.caption(text)


def _delta_style(kpi_key: str, delta: str | None) -> dict:
    """st.metric's arrow and colour for a delta text: none when it shows no change at display
    precision ('+$0'), otherwise green for the KPI's good direction."""
    if delta is not None and not any(ch in "123456789" for ch in delta):
        return {"delta_arrow": "off", "delta_color": "off"}
    return {"delta_arrow": "auto", "delta_color": "inverse" if KPIS[kpi_key].good_direction == "down" else "normal"}


def empty_note(what: str = "these filters", hint: str = "widen the date range or clear a filter in the sidebar") -> None:
    st.info(f"No data for {what}: {hint}.")


# ------------------------------------------------------------------ exports
def _fingerprint(frame: pl.DataFrame) -> str:
    """The table's content in a few bytes: shape, columns, types and a hash of every row."""
    h = hashlib.blake2b(repr((frame.shape, frame.columns, [str(d) for d in frame.dtypes])).encode(), digest_size=16)
    if frame.height:
        h.update(frame.hash_rows(seed=7).to_numpy().tobytes())
    return h.hexdigest()


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=256)
def _workbook(name: str, fingerprint: str, _frame: pl.DataFrame) -> bytes:
    """The .xlsx of a table, cached by its content (writing Excel was most of a rerun's time)."""
    buf = io.BytesIO()
    _frame.write_excel(buf, worksheet=name[:31])
    return buf.getvalue()


EAGER_EXCEL_ROWS = 5_000   # above this, writing the .xlsx takes seconds: it waits for "Prepare Excel"
LIST_ROWS = 500          # rows of a long list a page draws (work queue); its downloads hold every row


def export_buttons(frame: pl.DataFrame, name: str, key: str) -> None:
    """CSV and Excel downloads of exactly the table shown (same rows, same filters).

    The workbook is built before its download button is shown (an on-click build raced the audit
    rerun and sometimes never downloaded, docs/performance.md) and cached by the table's content.
    A large table (work queue, claim lists: writing 78,000 rows of Excel takes ~18 s) first shows
    "Prepare Excel"; its click builds the workbook for exactly these rows, then the download shows."""
    c1, c2 = st.columns(2)
    c1.download_button("Download CSV", frame.write_csv().encode(), f"{name}.csv", "text/csv", key=f"{key}-csv",
                       on_click=audit_export(name, "csv", frame.height))
    fingerprint = _fingerprint(frame)
    prepared = f"{key}-xlsx-prepared"
    if frame.height <= EAGER_EXCEL_ROWS or st.session_state.get(prepared) == fingerprint:
        c2.download_button("Download Excel", _workbook(name, fingerprint, frame), f"{name}.xlsx",
                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{key}-xlsx",
                           on_click=audit_export(name, "xlsx", frame.height))
    else:
        c2.button(f"Prepare Excel ({frame.height:,} rows)", key=f"{key}-xlsx-prepare",
                  on_click=lambda: st.session_state.__setitem__(prepared, fingerprint))


# ================================================================== issue 4: shared by the three users' pages
# (appended; nothing above changed). Chart clicks narrow the sidebar filters, links carry filters,
# cached warehouse calls beyond kpis(), band colours for tiles and table cells.
from typing import Any, Callable  # noqa: E402

from warehouse import brief as _brief, claims as _claims  # noqa: E402

FILTER_KEYS = [k for k, _ in FILTER_DIMS]
BASIS_LABELS = {"adjudication": "Initial adjudication", "service": "Date of service"}
BAND_BADGE = {"good": "green", "typical": "orange", "concern": "red", metrics.FEW: "gray"}
BAND_OPTIONS = ["good", "typical", "concern", metrics.FEW]
PAGE_FILES = {"overview": "pages/overview.py", "weekly_review": "pages/weekly_review.py",
              "site_comparison": "pages/site_comparison.py", "payer_drilldown": "pages/payer_drilldown.py"}
_GOTO = "_ui_goto"
_GOTO_PARAMS = "_ui_goto_params"
_CARRY = FILTER_KEYS + ["range", "from", "to", "basis"]

# warehouse functions a page may call through the cache (name -> function taking con, scope=, ...)
WAREHOUSE_CALLS: dict[str, Callable] = {
    "claims.claim_list": _claims.claim_list,
    "claims.claim_count": _claims.claim_count,
    "claims.claim_page": _claims.claim_page,
    "claims.claim_detail": _claims.claim_detail,
    "claims.days_to_pay": _claims.days_to_pay,
    "claims.top_codes": _claims.top_codes,
    "brief.weekly_review": _brief.weekly_review,
}


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=512)
def cached_call(version: str, scope_key: str, name: str, kwargs: tuple) -> Any:
    """A warehouse call cached per published version + scope + arguments (the filter set)."""
    con, _ = connection()
    return WAREHOUSE_CALLS[name](con, scope=_scope_from_key(scope_key), **dict(kwargs))


def call(ctx: Context, name: str, **kwargs) -> Any:
    """ui.call(ctx, "claims.claim_list", filters=..., limit=...): cached by version, scope and arguments."""
    return cached_call(ctx.version, ctx.scope.cache_key, name, tuple(sorted(kwargs.items())))


# ------------------------------------------------------------------ chart clicks narrow the view
def _points(chart_key: str) -> list[dict]:
    state = st.session_state.get(chart_key)
    if not state:
        return []
    try:
        return list(state["selection"]["points"])
    except (KeyError, TypeError):
        return []


def _custom(point: dict, field: int):
    cd = point.get("customdata")
    if isinstance(cd, (list, tuple)):
        return cd[field] if len(cd) > field else None
    return cd if field == 0 else None


def selected(table_key: str, values: list) -> Any:
    """In a table's on_select callback: the value (of `values`, one per shown row) of the row the
    user selected, None when the selection was cleared."""
    rows = st.session_state.get(table_key, {}).get("selection", {}).get("rows", [])
    return values[rows[0]] if rows else None


def carry_filters() -> None:
    """Re-assert the current filter values so they survive a page switch (Streamlit drops the
    widget state of a page it leaves; values set through Session State are kept)."""
    for key in _CARRY:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def set_filter(dim: str, values: list[str]) -> None:
    """Set a sidebar filter (a callback may call this; the bound widget updates the URL)."""
    try:
        _, version = connection()
        valid = {v for v, _ in cached_choices(version, current_scope().cache_key, dim)}
        values = [v for v in values if v in valid]
    except WarehouseMissing:
        return
    if values:
        st.session_state[dim] = values


def narrow(chart_key: str, dim: str, field: int = 0, goto: str | None = None) -> Callable[[], None]:
    """An on_select callback for st.plotly_chart: the clicked points' customdata[field] become the
    sidebar filter `dim` (site, provider, payer, payer_class, root_cause, stage); with `goto` (a key
    of PAGE_FILES) the app then opens that page with the filters."""
    def callback() -> None:
        values = []
        for p in _points(chart_key):
            v = _custom(p, field)
            if v is not None and str(v) not in values:
                values.append(str(v))
        if not values:
            return
        carry_filters()
        set_filter(dim, values)
        if goto:
            st.session_state[_GOTO] = goto
    return callback


def narrow_many(chart_key: str, dims: list[tuple[str, int]]) -> Callable[[], None]:
    """Like narrow() for points carrying several filters, e.g. a heatmap cell (payer, root cause)."""
    def callback() -> None:
        pts = _points(chart_key)
        if not pts:
            return
        carry_filters()
        for dim, field in dims:
            values = []
            for p in pts:
                v = _custom(p, field)
                if v is not None and str(v) not in values:
                    values.append(str(v))
            if values:
                set_filter(dim, values)
    return callback


def narrow_week(chart_key: str, valid: list[str], key: str = "week", field: int = 0) -> Callable[[], None]:
    """An on_select callback for a weekly trend: the clicked week (an ISO label in `valid`) becomes
    the value of the week picker `key` (a widget bound to the URL that every run renders)."""
    def callback() -> None:
        weeks = [_custom(p, field) or p.get("x") for p in _points(chart_key)]
        weeks = [w for w in weeks if w in valid]
        if weeks:
            carry_filters()
            st.session_state[key] = max(weeks)
    return callback


def follow_goto() -> None:
    """Call first thing on a page: if a click asked to open another page, open it (with the filters)."""
    target = st.session_state.pop(_GOTO, None)
    params = st.session_state.pop(_GOTO_PARAMS, {})
    if target in PAGE_FILES:
        st.switch_page(PAGE_FILES[target], query_params=params)


def chart(fig, key: str, on_select: Callable | None = None, **kw) -> None:
    """st.plotly_chart that narrows the view on click (points selection) when on_select is given."""
    fig.update_layout(clickmode="event+select")
    if on_select is None:
        st.plotly_chart(fig, key=key, width="stretch", config={"displaylogo": False}, **kw)
    else:
        st.plotly_chart(fig, key=key, width="stretch", on_select=on_select, selection_mode="points",
                        config={"displaylogo": False}, **kw)


# ------------------------------------------------------------------ links that carry the filters
def filter_params(ctx: Context, preset: str | None = None, date_from: dt.date | None = None,
                  date_to: dt.date | None = None, extra: dict | None = None, **values: list[str]) -> dict[str, Any]:
    """Query parameters (the widgets' labels, as Streamlit keeps them in the URL) reproducing the
    current sidebar filters, with `values` (dim -> ids) replacing a filter and `preset` the range
    (date_from/date_to: a custom range)."""
    out: dict[str, Any] = {}
    if date_from or date_to:
        preset = "custom"
    preset = preset or ctx.preset
    out["range"] = periods.PRESETS.get(preset, preset)
    if preset == "custom":
        f, t = date_from or ctx.filters.date_from, date_to or ctx.filters.date_to
        out["from"] = f.isoformat() if f else ""
        out["to"] = t.isoformat() if t else ""
    if ctx.filters.basis != "adjudication":
        out["basis"] = BASIS_LABELS[ctx.filters.basis]
    current = ctx.filters.as_dict()
    for dim in FILTER_KEYS:
        ids = list(values[dim]) if dim in values else list(current.get(dim, ()))
        if ids:
            names = dict(cached_choices(ctx.version, ctx.scope.cache_key, dim))
            out[dim] = [names.get(i, i) for i in ids]
    out.update(extra or {})
    return out


def page_link(page: str, label: str, ctx: Context, preset: str | None = None, help: str | None = None,
              date_from: dt.date | None = None, date_to: dt.date | None = None, container=None,
              extra: dict | None = None, **values: list[str]) -> None:
    """A link to another page (key of PAGE_FILES) with the current filters, narrowed by `values`
    (extra: more of the target page's widget values, e.g. the weekly review's week).

    Drawn as a link-styled button whose callback sets the filters in Session State and opens the
    page (follow_goto): an st.page_link with query parameters lost them on an in-app click, because
    the sidebar widgets' state from the page being left overrides the URL (root cause and range
    dropped). Shareable addresses still come from filter_params."""
    target = {"page": page, "preset": preset, "date_from": date_from, "date_to": date_to,
              "extra": dict(extra or {}), "values": {k: list(v) for k, v in values.items()}}
    key = "goto-" + hashlib.blake2b(repr(sorted(target.items(), key=str)).encode() + label.encode(),
                                    digest_size=8).hexdigest()
    (container or st).button(label, help=help, icon=":material/arrow_forward:", type="tertiary", key=key,
                             on_click=_open_page, kwargs=target)


def _open_page(page: str, preset: str | None, date_from: dt.date | None, date_to: dt.date | None,
               extra: dict, values: dict[str, list[str]]) -> None:
    """page_link's callback: the filters it names into Session State (the others kept), then open the page."""
    carry_filters()
    if date_from or date_to:
        st.session_state["range"] = "custom"
        if date_from:
            st.session_state["from"] = date_from
        if date_to:
            st.session_state["to"] = date_to
        # the date inputs do not write a value set through Session State into the URL: follow_goto does
        st.session_state[_GOTO_PARAMS] = {k: d.isoformat() for k, d in (("from", date_from), ("to", date_to)) if d}
    elif preset:
        st.session_state["range"] = preset
    for dim, ids in values.items():
        set_filter(dim, ids)
    for k, v in extra.items():
        st.session_state[k] = v
    st.session_state[_GOTO] = page


def filters_text(ctx: Context) -> str:
    """The dimension filters in words ('Site: Alpha Orthopedics; Payer: Acme Health'), '' if none."""
    out = []
    for dim, label in FILTER_DIMS:
        ids = ctx.filters.as_dict().get(dim)
        if ids:
            names = dict(cached_choices(ctx.version, ctx.scope.cache_key, dim))
            out.append(f"{label}: {', '.join(names.get(i, i) for i in ids)}")
    if ctx.filters.basis != "adjudication":
        out.append(f"Date basis: {BASIS_LABELS[ctx.filters.basis]}")
    return "; ".join(out)


# ------------------------------------------------------------------ tiles and table cells coloured by band
_BAND_CSS = """<style>
div[class*="st-key-band-good"]{border-left:6px solid #1a7f37 !important;background:rgba(26,127,55,.05)}
div[class*="st-key-band-typical"]{border-left:6px solid #d4a72c !important;background:rgba(212,167,44,.07)}
div[class*="st-key-band-concern"]{border-left:6px solid #cf222e !important;background:rgba(207,34,46,.05)}
</style>"""


def band_css() -> None:
    st.html(_BAND_CSS)


def band_badge(kpi_key: str, row: dict) -> str:
    """The band of a kpis() row's KPI as a coloured badge ('too few' under the minimum volume)."""
    b = metrics.band_of(kpi_key, row)
    return f":{BAND_BADGE[b]}-badge[{b}]" if b else ""


def kpi_tile(container, kpi_key: str, row: dict, *, previous: dict | None = None, baseline: dict | None = None,
             trend: list | None = None, label: str | None = None, key: str = "") -> None:
    """A KPI tile coloured by its benchmark band: value, delta vs the previous period, the definition
    on hover, 'num of den' and the comparison with a baseline (e.g. the 13-week average)."""
    k = KPIS[kpi_key]
    value = row.get(kpi_key)
    b = metrics.band_of(kpi_key, row)
    box = container.container(border=True, key=f"band-{(b or 'none').replace(' ', '-')}-{key or kpi_key}")
    delta = None
    if previous is not None and value is not None and previous.get(kpi_key) is not None:
        delta = _brief.format_delta(kpi_key, value, previous[kpi_key]).replace("−", "-")  # st.metric reads the sign
    help_text = definition(kpi_key, row)
    if baseline is not None:
        help_text += (f"\n\n13-week average: {fmt(kpi_key, baseline.get(kpi_key))}"
                      + (f" ({parts_text(kpi_key, baseline)})" if parts_text(kpi_key, baseline) else "") + ".")
    box.metric(label or k.label, fmt(kpi_key, value), delta=delta, **_delta_style(kpi_key, delta),
               delta_description="vs week before" if delta else None, help=help_text,
               chart_data=[x for x in (trend or []) if x is not None] or None, chart_type="line")
    lines = []
    if b:
        lines.append(band_badge(kpi_key, row))
    text = parts_text(kpi_key, row)
    if text:
        lines.append(text)
    if baseline is not None and baseline.get(kpi_key) is not None:
        lines.append(f"13-wk avg {fmt(kpi_key, baseline.get(kpi_key))} "
                     f"({_brief.format_delta(kpi_key, value, baseline.get(kpi_key))})")
    if lines:
        box.caption(" · ".join(lines))


def with_bands(frame: pl.DataFrame, kpi_keys) -> pl.DataFrame:
    """Adds `<kpi>_band` (a one-item list, shown as a coloured pill by band_column) per KPI."""
    exprs = []
    for key in kpi_keys:
        if KPIS[key].benchmark is None or key not in frame.columns:
            continue
        den = frame[f"{key}__den"].to_list() if f"{key}__den" in frame.columns else [None] * frame.height
        bands = [metrics.band(key, v, n) for v, n in zip(frame[key].to_list(), den)]
        exprs.append(pl.Series(f"{key}_band", [[b] if b else [] for b in bands], dtype=pl.List(pl.String)))
    return frame.with_columns(exprs) if exprs else frame


def band_column(kpi_key: str) -> Any:
    """Column config of a `<kpi>_band` column: coloured pill, the band and its source in the help."""
    k = KPIS[kpi_key]
    return st.column_config.MultiselectColumn(
        "Band", options=BAND_OPTIONS, color=[BAND_COLOURS["good"], "#d4a72c", BAND_COLOURS["concern"], _brief.BAND_COLOURS[metrics.FEW]],
        help=f"{k.label} benchmark: {band_words(kpi_key)}. Source: {k.benchmark.source}."
             + (f" 'too few': under {metrics.MIN_BAND_VOLUME} {k.parts_unit or 'events'}, too few to compare."
                if metrics.counted(kpi_key) else ""), width="small")


def kpi_column(kpi_key: str, label: str | None = None) -> Any:
    """Column config of a KPI column: its unit's format and its definition in the help."""
    k = KPIS[kpi_key]
    fmt_ = {"ratio": "percent", "dollars": "dollar", "days": "%.1f", "count": "localized"}[k.unit]
    # the tiles' precision: rates to 0.1 point (step 0.001 fixes one decimal), KPI dollars whole
    step = {"ratio": 0.001, "dollars": 1}.get(k.unit)
    return st.column_config.NumberColumn(label or k.label, format=fmt_, step=step, help=k.definition)


def parts_column(kpi_key: str) -> Any:
    k = KPIS[kpi_key]
    return st.column_config.TextColumn(f"{k.label}: parts", help=f"Numerator of denominator of {k.label}: "
                                       f"{k.definition}")


def with_parts(frame: pl.DataFrame, kpi_keys) -> pl.DataFrame:
    """Adds `<kpi>_parts` ('312 of 2,410 claims') per ratio KPI of the frame."""
    exprs = []
    for key in kpi_keys:
        if KPIS[key].denominator is None or f"{key}__num" not in frame.columns:
            continue
        exprs.append(pl.Series(f"{key}_parts", [parts_text(key, r) for r in
                                                 frame.select(f"{key}__num", f"{key}__den").to_dicts()], dtype=pl.String))
    return frame.with_columns(exprs) if exprs else frame


def for_export(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame as exported: band pills become plain text."""
    return frame.with_columns([pl.col(c).list.join(",").alias(c) for c, t in frame.schema.items()
                               if isinstance(t, pl.List) and t.inner == pl.String])


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=32)
def cached_brief_html(version: str, scope_key: str, filters: Filters, week: str, rework_cost: float,
                      filter_text: str) -> bytes:
    """The one-page weekly brief (warehouse.brief) for these filters, as bytes for a download."""
    con, _ = connection()
    html_text, _ = _brief.build(con, scope=_scope_from_key(scope_key), week=week, filters=filters,
                                rework_cost=rework_cost, filter_text=filter_text)
    return html_text.encode()


# words of column names written as the field writes them in a table's header
HEADER_WORDS = {"id": "ID", "npi": "NPI", "carc": "CARC", "carcs": "CARCs", "rarc": "RARC", "rarcs": "RARCs",
                "dos": "date of service", "ar": "A/R", "cpt": "CPT", "pcn": "PCN"}


COLUMN_HEADERS = {"soft_hard": "Soft/hard"}


def _in_words(code: str) -> str:
    """'rendering_npi' -> 'Rendering NPI', 'front_desk' -> 'Front desk' (HEADER_WORDS for the field's words)."""
    text = " ".join(HEADER_WORDS.get(w, w) for w in str(code).split("_"))
    return text[:1].upper() + text[1:]


def header(column: str) -> str:
    """A table header for a column name: 'rendering_npi' -> 'Rendering NPI', 'dos' -> 'Date of service'."""
    return COLUMN_HEADERS.get(column) or _in_words(column)


def date_columns(frame: pl.DataFrame) -> dict[str, Any]:
    """Column config showing the frame's Date columns as dates (YYYY-MM-DD), not timestamps."""
    return {c: st.column_config.DateColumn(header(c), format="YYYY-MM-DD")
            for c, t in frame.schema.items() if t == pl.Date}


# columns holding codes of the taxonomy or of the product, shown by their labels: the cell shows
# "Coding and modifiers", the value (what exports, filters and tests read) stays "coding_modifier"
LABELLED_COLUMNS = ("root_cause", "stage", "owner_team", "soft_hard", "sub_cause", "write_off_reason", "payer_class",
                    "specialty")


def value_label(column: str, value: str) -> str:
    """The label of a code in one of LABELLED_COLUMNS: a root cause's from the taxonomy, a stage's
    from the brief, otherwise the code in words ('front_desk' -> 'Front desk'); soft_hard 'none'
    (not a denial) -> '—'."""
    if column == "root_cause":
        label = _cause_labels().get(value)
        if label:
            return label
    if column == "stage" and value in _brief.STAGE_LABELS:
        return _brief.STAGE_LABELS[value]
    if column == "soft_hard" and value == "none":
        return "—"
    return _in_words(value)


@st.cache_data(show_spinner=False)
def _cause_labels() -> dict[str, str]:
    from warehouse import taxonomy
    cats = taxonomy.load_tables()["categories"]
    return dict(zip(cats["category"].to_list(), cats["label"].to_list()))


def labelled_columns(frame: pl.DataFrame) -> dict[str, Any]:
    """Column config showing LABELLED_COLUMNS by their labels (the values stay the codes)."""
    out = {}
    for c in LABELLED_COLUMNS:
        if c in frame.columns and frame.schema[c] == pl.String:
            options = frame[c].drop_nulls().unique().sort().to_list()
            out[c] = st.column_config.SelectboxColumn(header(c), options=options,
                                                      format_func=lambda v, c=c: value_label(c, v))
    return out


# numeric columns holding dollars, by name: shown as $1,234.00 unless a page configures them itself
_MONEY = ("charge", "paid", "amount", "dollars", "billed", "balance", "change", "patient_resp",
          "patient_responsibility", "recovered", "expected_recovery")


def money_columns(frame: pl.DataFrame) -> dict[str, Any]:
    """Column config showing the frame's dollar columns (numeric, named like _MONEY; not a KPI, whose own
    format a page sets with kpi_column: denial_rate_dollars is a ratio) as dollars."""
    return {c: st.column_config.NumberColumn(header(c), format="dollar") for c, t in frame.schema.items()
            if t.is_numeric() and c not in KPIS and any(c == m or c.endswith("_" + m) for m in _MONEY)}


def table(frame: pl.DataFrame, key: str | None = None, column_config: dict | None = None, **kw) -> Any:
    """st.dataframe with readable headers, codes shown by their labels, dollars as dollars, dates shown
    as dates, no index, full width."""
    config = {c: st.column_config.NumberColumn(header(c), format="localized") if t.is_integer()
              else st.column_config.Column(header(c)) for c, t in frame.schema.items()}   # counts: 9,382
    config.update(money_columns(frame))
    labelled = labelled_columns(frame)
    config.update(labelled)
    config.update(date_columns(frame))
    for c, cfg in (column_config or {}).items():
        if c in labelled and (isinstance(cfg, str) or (isinstance(cfg, dict) and cfg.get("type_config", {}).get("type")
                                                       in (None, "text"))):
            # a page's own title, help or pinning for a labelled column: kept, and the labels too
            given = {"label": cfg} if isinstance(cfg, str) else cfg
            config[c] = {**labelled[c], **{k: v for k, v in given.items() if k in ("label", "help", "pinned", "width")
                                           and v is not None}}
        else:
            config[c] = cfg
    return dataframe(frame, key=key, column_config=config, **kw)


def dataframe(frame: pl.DataFrame, column_config: dict | None = None, **kw) -> Any:
    """st.dataframe (no index, full width) of the frame with every number column that has a `step`
    rounded to it first: Streamlit cuts a value to the step's decimals (12.48% would show 12.4%),
    so the table would disagree with the tiles and captions, which round. Exports keep full precision."""
    return st.dataframe(shown_rounded(frame, column_config or {}), **({"hide_index": True, "width": "stretch"} | kw),
                        column_config=column_config)


def shown_rounded(frame: pl.DataFrame, column_config: dict) -> pl.DataFrame:
    """The frame with each float column whose column config has a step rounded to that step's decimals."""
    exprs = []
    for c, cfg in column_config.items():
        step = cfg.get("type_config", {}).get("step") if isinstance(cfg, dict) else None
        if step and c in frame.columns and frame.schema[c].is_float():
            decimals = 0 if float(step).is_integer() else len(f"{step:f}".rstrip("0").split(".")[1])
            exprs.append(pl.col(c).round(decimals))
    return frame.with_columns(exprs) if exprs else frame


def matrix_figure(x_labels: list[str], y_labels: list[str], z: list[list], text: list[list], customdata: list[list],
                  hovertemplate: str, *, zmin: float | None = None, zmax: float | None = None,
                  tickformat: str = "", cell: int = 30) -> Any:
    """A heatmap drawn as square markers, so a click on a cell is a point selection (plotly heatmaps
    cannot be selected). Cells with z None are left empty."""
    import plotly.graph_objects as go
    xs, ys, zs, ts, cs = [], [], [], [], []
    for i, y in enumerate(y_labels):
        for j, x in enumerate(x_labels):
            if z[i][j] is None:
                continue
            xs.append(x)
            ys.append(y)
            zs.append(z[i][j])
            ts.append(text[i][j])
            cs.append(customdata[i][j])
    top = zmax if zmax is not None else (max(zs) if zs else 1)
    colours = ["white" if top and v > 0.55 * top else "#1f2328" for v in zs]
    fig = go.Figure(go.Scatter(
        x=xs, y=ys, mode="markers+text", text=ts, customdata=cs, hovertemplate=hovertemplate,
        textfont={"size": 10, "color": colours},
        marker={"symbol": "square", "size": cell, "color": zs, "colorscale": "Reds", "cmin": zmin, "cmax": zmax,
                "showscale": True, "colorbar": {"tickformat": tickformat, "thickness": 12},
                "line": {"width": 0}}))
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=x_labels, side="top", showgrid=False,
                     tickangle=-35)
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=list(reversed(y_labels)), showgrid=False)
    fig.update_layout(template=_brief.TEMPLATE, height=max(220, 110 + (cell + 6) * len(y_labels)),
                      margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig


def export_workbook(frames: dict[str, pl.DataFrame], name: str, key: str, label: str = "Download all (Excel)") -> None:
    """One Excel workbook with a sheet per table (e.g. every table of a claim's detail)."""
    import xlsxwriter
    buf = io.BytesIO()
    with xlsxwriter.Workbook(buf) as wb:
        for sheet, frame in frames.items():
            for_export(frame).write_excel(wb, worksheet=sheet[:31])
    st.download_button(label, buf.getvalue(), f"{name}.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=key,
                       on_click=audit_export(name, "xlsx", sum(f.height for f in frames.values()),
                                             sheets=list(frames)))


# ================================================================== issue 7: sign-in, roles and site-level access
# (appended). Who is looking decides the scope of every number (current_scope); the dashboard's gate
# (gate(), called by dashboard.py before any page runs) shows the sign-in screen until someone is
# signed in. Demo mode — no sign-in, the demo administrator — only when nothing real is at stake:
# the warehouse holds only demo loads, no account was ever created and no [auth] section is set,
# and only for a browser on this machine. docs/access.md.
import json as _json  # noqa: E402
from dataclasses import replace as _replace  # noqa: E402

from warehouse import access as _access  # noqa: E402
from warehouse.access import DEMO_USER, ROLES, AccessError, AccessStore, User  # noqa: E402

NO_ACCESS = Scope(frozenset(), "not signed in", claim_level=False)
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_USER, _AT, _METHOD, _ROLE, _NOTICE = "_auth_user", "_auth_signed_in_at", "_auth_method", "_auth_role", "_auth_notice"
_OIDC_DONE = "_auth_oidc_done"            # the provider's sign-in was refused or expired: no silent retry
_AUDITED = "_auth_audited"
ROLE_LABELS = {"administrator": "administrator", "mso_leader": "MSO leader", "site_manager": "site manager",
               "analyst": "analyst", "viewer": "viewer (totals only)"}
AUDIT_FILTER_KEYS = _CARRY + ["procedure", "modifier", "carc", "q", "denied_only", "claim", "week"]


def access_store() -> AccessStore:
    return AccessStore(db_path())


def _secret(section: str) -> dict | None:
    try:
        value = st.secrets.get(section)
    except Exception:                     # no secrets.toml anywhere, or an unreadable one
        return None
    return value.to_dict() if hasattr(value, "to_dict") else (dict(value) if value else None)


def auth_settings() -> dict | None:
    """The [auth] section of .streamlit/secrets.toml (Streamlit's st.login), or None."""
    return _secret("auth") or None


def access_settings() -> dict:
    """The [access] section: provider (a named [auth.<name>] provider), provider_label, role_claim
    (default 'groups') and group_roles (provider group -> role)."""
    return _secret("access") or {}


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _only_demo_loads(version: str) -> bool:
    con, _ = connection()
    return _access.only_demo_loads(con)


def access_mode() -> str:
    """'demo' (no sign-in: the demo administrator) or 'sign-in' (local accounts and/or the identity provider)."""
    if auth_settings() or _access.has_users(db_path()):
        return "sign-in"
    try:
        _, version = connection()
    except WarehouseMissing:
        return "demo"                     # nothing to show: the page says how to build the warehouse
    except (SchemaTooOld, SchemaTooNew):
        return "sign-in"
    return "demo" if _only_demo_loads(version) else "sign-in"


def _loopback_only() -> bool:
    """Demo mode serves a browser on this machine only (make run binds 127.0.0.1)."""
    address = st.get_option("server.address")
    if address and address not in LOOPBACK:
        return False
    try:
        ip = st.context.ip_address
    except Exception:
        ip = None
    if not isinstance(ip, str):           # None: a browser on localhost (Streamlit reports no address)
        ip = None
    return ip is None or ip in LOOPBACK


def _provider_signed_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except Exception:
        return False


def _clear_session() -> None:
    for key in (_USER, _AT, _METHOD, _ROLE):
        st.session_state.pop(key, None)


def _resolve() -> User | None:
    """The signed-in user from this browser session (or the identity provider's cookie), None if nobody.
    Expired sessions and removed accounts end here, with a notice for the sign-in screen."""
    ss = st.session_state
    name = ss.get(_USER)
    if name:
        if _access.session_expired(ss[_AT]):
            method = ss.get(_METHOD)
            access_store().audit(name, "session_expired", None, {"method": method})
            _clear_session()
            ss[_NOTICE] = (f"Your session expired ({int(_access.SESSION_TTL.total_seconds() // 3600)} hours after "
                           "you signed in). Sign in again.")
            if method == "oidc":
                ss[_OIDC_DONE] = True
            return None
        user = access_store().user(name)
        if user is None:
            _clear_session()
            ss[_NOTICE] = "Your account is no longer active (removed by an administrator). You have been signed out."
            ss[_OIDC_DONE] = True
            return None
        if ss.get(_ROLE) in ROLES and ss[_ROLE] != user.role:
            user = _replace(user, role=ss[_ROLE])          # the role a provider group mapped to
        return user
    if auth_settings() and not ss.get(_OIDC_DONE) and _provider_signed_in():
        claims = st.user.to_dict()
        signed_at = _access._utcnow()
        if isinstance(claims.get("iat"), (int, float)):    # when the provider signed the user in
            signed_at = dt.datetime.fromtimestamp(claims["iat"], dt.timezone.utc).replace(tzinfo=None)
        if _access.session_expired(signed_at):
            ss[_NOTICE] = "Your session expired. Sign in again."
            ss[_OIDC_DONE] = True
            return None
        settings = access_settings()
        groups = claims.get(settings.get("role_claim", "groups")) or []
        groups = [groups] if isinstance(groups, str) else [str(g) for g in groups]
        try:
            user = access_store().sign_in_identity(str(claims.get("sub", "")), claims.get("email"), groups,
                                                   settings.get("group_roles") or {})
        except AccessError as exc:
            ss[_NOTICE] = str(exc)
            ss[_OIDC_DONE] = True
            return None
        ss[_USER], ss[_AT], ss[_METHOD], ss[_ROLE] = user.username, signed_at, "oidc", user.role
        return user
    return None


def viewer() -> User | None:
    """Who is looking: the signed-in user, the demo administrator in demo mode, or None."""
    if access_mode() == "demo":
        return DEMO_USER if _loopback_only() else None
    return _resolve()


def refusal(user: User) -> str | None:
    """Why a signed-in user still sees nothing (no sites assigned), or None."""
    if user.scope.site_ids is not None and not user.scope.site_ids:
        return (f"You are signed in as {user.display_name}, but your account has no sites assigned, so there is "
                "nothing to show. Ask an administrator to assign your sites.")
    return None


def sign_out() -> None:
    user, method = st.session_state.get(_USER), st.session_state.get(_METHOD)
    if user:
        access_store().audit(user, "sign_out", None, {"method": method})
    _clear_session()
    st.session_state[_OIDC_DONE] = True
    if method == "oidc" or (auth_settings() and _provider_signed_in()):
        st.logout()
    else:
        st.rerun()


def mode_text(user: User | None = None) -> str:
    user = user or viewer()
    if user is None:
        return "Not signed in."
    if user is DEMO_USER:
        return ("**Demo mode** · signed in as **demo administrator** (no accounts, demo data only, served on "
                f"localhost only) · scope: {user.scope.label}")
    method = {"oidc": "identity provider", "password": "local account"}.get(st.session_state.get(_METHOD),
                                                                           "local account")
    until = st.session_state.get(_AT)
    until = f" · session until {until + _access.SESSION_TTL:%H:%M} UTC" if until else ""
    return (f"Signed in as **{user.display_name}** ({ROLE_LABELS.get(user.role, user.role)}, {method}) · "
            f"scope: {user.scope.label}{until}")


def identity_line() -> None:
    """Who is signed in, how, and the mode; a sign-out button when there is something to sign out of."""
    user = viewer()
    st.sidebar.caption(mode_text(user))
    if user is not None and user is not DEMO_USER:
        st.sidebar.button("Sign out", key="_auth_sign_out", on_click=_sign_out_clicked)


def _sign_out_clicked() -> None:
    st.session_state["_auth_sign_out_now"] = True


def signin_screen() -> None:
    """The sign-in screen: the identity provider's button (when [auth] is set) and the local-account form."""
    ss = st.session_state
    st.title("Denial analytics: sign in")
    if access_mode() == "demo":
        st.error("Demo mode serves a browser on this machine only. Start the dashboard bound to localhost "
                 "(`make run`), or set up accounts (`python -m warehouse users add ...`) to serve it to others.")
        return
    st.caption("Sign-in required: this warehouse holds data other than the demo's, or accounts are set up. "
               "Your role and sites decide what you see.")
    notice = ss.get(_NOTICE)
    if notice:
        st.warning(notice)
    settings = access_settings()
    if auth_settings():
        provider = settings.get("provider")
        label = settings.get("provider_label", "your organisation's sign-in")
        if _provider_signed_in() and ss.get(_OIDC_DONE):
            if st.button(f"Sign out of {label} and sign in again", key="_auth_relogin", type="primary"):
                ss.pop(_NOTICE, None)
                st.logout()
        elif st.button(f"Sign in with {label}", key="_auth_login", type="primary"):
            ss.pop(_OIDC_DONE, None)
            st.login(provider) if provider else st.login()
    local = st.expander("Local account", expanded=not auth_settings()) if auth_settings() else st.container()
    with local:
        with st.form("_signin", clear_on_submit=True):
            username = st.text_input("User name", key="_signin_user")
            password = st.text_input("Password", type="password", key="_signin_password")
            submitted = st.form_submit_button("Sign in")
        if submitted:
            try:
                user = access_store().sign_in(username.strip(), password)
            except AccessError as exc:
                st.error(str(exc))
            else:
                _clear_session()
                ss[_USER], ss[_AT], ss[_METHOD], ss[_ROLE] = user.username, _access._utcnow(), "password", user.role
                ss.pop(_NOTICE, None)
                st.rerun()


def gate() -> User | None:
    """Called by dashboard.py before the pages: the viewer, or None after drawing the sign-in screen
    (or a refusal), in which case the caller stops."""
    if st.session_state.pop("_auth_sign_out_now", False):
        sign_out()
    user = viewer()
    if user is None:
        signin_screen()
        return None
    why = refusal(user)
    if why:
        st.title("Denial analytics")
        st.warning(why)
        st.caption(mode_text(user))
        if st.button("Sign out", key="_auth_refused_sign_out"):
            sign_out()
        return None
    return user


def is_admin() -> bool:
    user = viewer()
    return bool(user and user.is_admin)


# ------------------------------------------------------------------ the audit log: who saw and took what
def filter_state() -> dict[str, Any]:
    """The filters in force (sidebar and page filters, as the widgets hold them) for an audit record."""
    out: dict[str, Any] = {}
    for key in AUDIT_FILTER_KEYS:
        value = st.session_state.get(key)
        if value in (None, "", [], ()):
            continue
        out[key] = [str(v) for v in value] if isinstance(value, (list, tuple)) else str(value)
    return out


def audit(event: str, detail: dict) -> None:
    """Append a record (who, when, scope, detail) to the audit log; never fails the page."""
    user = viewer()
    try:
        access_store().audit(user.username if user else None, event, user.scope.label if user else None,
                             {**detail, "role": user.role if user else None})
    except Exception as exc:              # the log is evidence, but a locked file must not blank the page
        st.toast(f"Could not write the audit log: {exc}")


def audit_once(event: str, key: str, detail: dict) -> None:
    """audit() unless this session's last `event` record had the same key (a rerun of the same view)."""
    seen = st.session_state.setdefault(_AUDITED, {})
    if seen.get(event) == key:
        return
    seen[event] = key
    audit(event, detail)


def audit_export(name: str, fmt_: str, rows: int, **extra) -> Callable[[], None]:
    """An on_click for a download button: records the export (table, format, rows, filters)."""
    def callback() -> None:
        audit("export", {"table": name, "format": fmt_, "rows": rows, "filters": filter_state(), **extra})
    return callback


def audit_json(detail) -> str:
    return _json.dumps(detail, sort_keys=True, default=str)
