"""What every page does: the page frame (title, warehouse checks, sign-in, the sidebar filters kept
in the URL), cached warehouse calls, KPI tiles coloured by benchmark band, chart clicks that narrow
the filters and links that carry them to another page.

Beside it: pages/ui_base.py (the warehouse snapshot, cache lifetime, filter names),
pages/ui_access.py (sign-in, roles, audit log), pages/ui_tables.py (formats, tables, exports),
pages/ui_action.py (the "where to act" pages' calls).

No SQL here: every number comes from warehouse/ functions; this module only caches and draws."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any, Callable

import polars as pl
import streamlit as st
from streamlit.errors import StreamlitAPIException

from pages import ui_access, ui_address
from pages.ui_matrix import MAX_WIDTH, TEXT_MIN_WIDTH
from pages.ui_base import (BASIS_LABELS, CACHE_TTL_S, CARRY, FILTER_DIMS, FILTER_KEYS, connection,
                           scope_from_key)
from pages.ui_tables import LABELLED_COLUMNS, definition, fmt, forget_shown, parts_text, value_label
from warehouse import brief as _brief, catalog, claims as _claims, metrics, periods
from warehouse.metrics import KPIS
from warehouse.query import Filters, kpis
from warehouse.schema import SchemaTooNew, SchemaTooOld
from warehouse.scope import Scope
from warehouse.store import WarehouseMissing

BAND_ICONS = {"good": "🟢", "typical": "🟡", "concern": "🔴", metrics.FEW: "⚪", None: "⚪"}
BAND_BADGE = {"good": "green", "typical": "orange", "concern": "red", metrics.FEW: "gray"}
PAGE_FILES = {"overview": "pages/overview.py", "weekly_review": "pages/weekly_review.py",
              "site_comparison": "pages/site_comparison.py", "payer_drilldown": "pages/payer_drilldown.py",
              "root_causes": "pages/root_causes.py", "providers": "pages/providers.py",
              "appeals": "pages/appeals.py", "ar": "pages/ar.py", "work_queue": "pages/work_queue.py",
              "data_quality": "pages/data_quality.py"}
_GOTO = "_ui_goto"
_GOTO_PARAMS = "_ui_goto_params"

# warehouse functions a page may call through the cache (name -> function taking con, scope=, ...)
WAREHOUSE_CALLS: dict[str, Callable] = {
    "claims.claim_list": _claims.claim_list,
    "claims.claim_count": _claims.claim_count,
    "claims.claim_page": _claims.claim_page,
    "claims.claim_detail": _claims.claim_detail,
    "claims.days_to_pay": _claims.days_to_pay,
    "claims.top_codes": _claims.top_codes,
    "claims.denial_carcs": _claims.denial_carcs,
    "brief.weekly_review": _brief.weekly_review,
}


# ------------------------------------------------------------------ cached warehouse calls
@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=512)
def cached_kpis(version: str, scope_key: str, by: tuple[str, ...], filters: Filters, as_of: dt.date | None,
                kpi_keys: tuple[str, ...] | None = None) -> pl.DataFrame:
    con, _ = connection()
    return kpis(con, scope=scope_from_key(scope_key), by=by, filters=filters, as_of=as_of,
                kpi_keys=list(kpi_keys) if kpi_keys else None)


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def cached_choices(version: str, scope_key: str, dim: str) -> list[tuple[str, str]]:
    """(code, name) of a filter's values; a code the catalog names by itself (payer class, stage) is
    named in words, as the tables show it ('managed_medicaid' -> 'Managed medicaid'). The sidebar and
    the links between pages both put these names in the URL."""
    con, _ = connection()
    return [(v, value_label(dim, v) if n == v and dim in LABELLED_COLUMNS else n)
            for v, n in catalog.choices(con, scope=scope_from_key(scope_key), dim=dim)]


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def cached_span(version: str, scope_key: str):
    con, _ = connection()
    return catalog.data_span(con, scope=scope_from_key(scope_key))


def with_names(ctx: "Context", frame: pl.DataFrame, dim: str) -> pl.DataFrame:
    """The frame with `<dim>_name` (a site's or payer's name, a code's words) beside its `dim` codes,
    from the filter choices; a code without a name keeps the code."""
    names = dict(cached_choices(ctx.version, ctx.scope.cache_key, dim))
    return frame.with_columns(pl.col(dim).cast(pl.String).replace_strict(names, default=pl.col(dim).cast(pl.String))
                              .alias(f"{dim}_name"))


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=512)
def cached_call(version: str, scope_key: str, name: str, kwargs: tuple) -> Any:
    """A warehouse call cached per published version + scope + arguments (the filter set)."""
    con, _ = connection()
    return WAREHOUSE_CALLS[name](con, scope=scope_from_key(scope_key), **dict(kwargs))


def call(ctx: Context, name: str, **kwargs) -> Any:
    """ui.call(ctx, "claims.claim_list", filters=..., limit=...): cached by version, scope and arguments."""
    return cached_call(ctx.version, ctx.scope.cache_key, name, tuple(sorted(kwargs.items())))


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=32)
def cached_brief_html(version: str, scope_key: str, filters: Filters, week: str, rework_cost: float,
                      rework_low: float, rework_high: float, filter_text: str) -> bytes:
    """The one-page weekly brief (warehouse.brief) for these filters and the page's rework cost (point,
    low, high), as bytes for a download."""
    con, _ = connection()
    html_text, _ = _brief.build(con, scope=scope_from_key(scope_key), week=week, filters=filters,
                                rework_cost=rework_cost, rework_low=rework_low, rework_high=rework_high,
                                filter_text=filter_text)
    return html_text.encode()


# ------------------------------------------------------------------ the page frame
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
    forget_shown()
    st.title(title)
    st.caption(caption)
    try:
        _, version = connection()
    except (WarehouseMissing, SchemaTooOld, SchemaTooNew) as exc:
        st.error(str(exc))
        return None
    user = ui_access.viewer()
    if user is None:                      # a page run without the dashboard's gate: sign in here
        ui_access.signin_screen()
        return None
    if ui_access.refusal(user):
        st.warning(ui_access.refusal(user))
        return None
    scope = user.scope
    first, as_of = cached_span(version, scope.cache_key)
    ui_access.identity_line()
    if as_of is None:
        st.info("The warehouse holds no adjudicated claims yet: load 835 remits or a claims export "
                "(`python -m etl load FOLDER`) and this page fills in.")
        return None
    filters, preset = sidebar_filters(version, scope, as_of, first)
    st.sidebar.caption(f"Data through {as_of:%a %d %b %Y} (latest remit).")
    ctx = Context(version, scope, filters, as_of, first, preset)
    # the view's filters under the title: a filter set by a click or a link follows the user from page to
    # page, and a page that did not say so read as the whole practice (a review: "Denial rate 24.7%" for one
    # payer, seen only in the sidebar's chips, cut to "Valley Gastroentero…")
    narrowed = filters_text(ctx)
    if narrowed:
        st.caption(f":material/filter_alt: **Filtered to** {ui_address.md_literal(narrowed)} (sidebar filters).")
    return ctx


def default_week(ctx: Context) -> dt.date:
    """The Monday of the week the Overview and the weekly review open on: the last complete week ending on
    or before the end of the date range; on the date-of-service basis the latest such week whose claims are
    mostly adjudicated (brief.mature_week: the last weeks by date of service are still filling in)."""
    monday = periods.last_complete_week(min(ctx.filters.date_to or ctx.as_of, ctx.as_of))[0]
    if ctx.filters.basis != "service":
        return monday
    span = Filters(ctx.filters.values, monday - dt.timedelta(weeks=52 + _brief.BASELINE_WEEKS),
                   monday + dt.timedelta(days=6), "service")
    counts = ctx.kpis(by=("week",), filters=span, kpi_keys=["claims_adjudicated"])
    return _brief.mature_week(dict(zip(counts["week"].to_list(), counts["claims_adjudicated"].to_list())), monday)


def empty_note(what: str = "these filters", hint: str = "widen the date range or clear a filter in the sidebar") -> None:
    st.info(f"No data for {what}: {hint}.")


# ------------------------------------------------------------------ sidebar filters (in the URL)
def sidebar_filters(version: str, scope: Scope, as_of: dt.date, first: dt.date | None,
                    default_preset: str = "last_13_weeks") -> tuple[Filters, str]:
    # the filters follow the user from page to page: Streamlit drops a widget's state when its page is
    # left unless the value was set through Session State, so a filter that came in by a link (the
    # URL) fell back to "All" at the next click in the navigation; re-asserting keeps every filter
    carry_filters()
    sb = st.sidebar
    sb.header("Filters")
    choices = {dim: cached_choices(version, scope.cache_key, dim) for dim, _ in FILTER_DIMS}
    unknown = ui_address.unknown_link_values(choices, restricted=scope.site_ids is not None)
    ui_address.sync_url(choices)
    preset = sb.selectbox("Date range", list(periods.PRESETS), index=list(periods.PRESETS).index(default_preset),
                          format_func=periods.PRESETS.get, key="range", bind="query-params")
    if preset == "custom":
        d_from = sb.date_input("From", value=as_of - dt.timedelta(days=90), key="from", bind="query-params")
        d_to = sb.date_input("To", value=as_of, key="to", bind="query-params")
        if d_from and d_to and d_from > d_to:     # swapped by hand: read them the other way round, and say so
            sb.warning(f"From ({d_from:%d %b %Y}) is after To ({d_to:%d %b %Y}): showing {d_to:%d %b %Y} – "
                       f"{d_from:%d %b %Y}.")
            d_from, d_to = d_to, d_from
    else:
        d_from, d_to = periods.preset_range(preset, as_of, first)
        sb.caption(f"{d_from:%d %b %Y} – {d_to:%d %b %Y}" if d_from else f"through {d_to:%d %b %Y}")
    basis = sb.radio("Date basis", ["adjudication", "service"], key="basis", bind="query-params", horizontal=True,
                     format_func=BASIS_LABELS.get,
                     help="Place each claim in a period by the date of its initial adjudication (default) "
                          "or by its date of service.")
    values = {}
    if unknown:
        st.warning("This link names " + "; ".join(unknown) + ", which this warehouse does not hold (or your "
                   "access does not cover): those filters were left out, so the view is wider than the link meant.",
                   icon=":material/link_off:")
    for dim, label in FILTER_DIMS:
        opts = choices[dim]
        names = dict(opts)
        picked = sb.multiselect(label, [v for v, _ in opts], format_func=lambda v, n=names: n.get(v, v),
                                key=dim, bind="query-params", placeholder="All")
        if picked:
            values[dim] = picked
    return Filters.make(values, d_from, d_to, basis), preset




def carry_filters() -> None:
    """Re-assert the current filter values so they survive a page switch (Streamlit drops the
    widget state of a page it leaves; values set through Session State are kept)."""
    for key in CARRY:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def set_filter(dim: str, values: list[str]) -> None:
    """Set a sidebar filter (a callback may call this; the bound widget updates the URL)."""
    try:
        _, version = connection()
        valid = {v for v, _ in cached_choices(version, ui_access.current_scope().cache_key, dim)}
        values = [v for v in values if v in valid]
    except WarehouseMissing:
        return
    if values:
        st.session_state[dim] = values


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


# ------------------------------------------------------------------ KPI tiles coloured by band
def tile(container, kpi_key: str, row: dict, previous: dict | None = None, trend: list | None = None,
         label: str | None = None) -> None:
    """The Overview's KPI tile: a band dot in the label, value, delta vs the previous week, the
    13-week trend line, the definition on hover and 'num of den' under it."""
    value = row.get(kpi_key)
    band = metrics.band_of(kpi_key, row)
    delta = _delta_text(kpi_key, value, previous)
    k = KPIS[kpi_key]
    container.metric(f"{BAND_ICONS[band] if k.benchmark else ''} {label or k.label}".strip(), fmt(kpi_key, value),
                     delta=delta, **_delta_style(kpi_key, delta, row, previous),
                     help=definition(kpi_key, row), border=True,
                     chart_data=[x for x in (trend or []) if x is not None] or None, chart_type="line")
    text = parts_text(kpi_key, row)
    if band == metrics.FEW:
        text += f" (too few for a benchmark colour: under {metrics.MIN_BAND_VOLUME})"
    text += "".join(f" ({note})" for note in caveats(kpi_key, row))
    if text:
        container.caption(text)


SHORT_HISTORY_NOTE = metrics.SHORT_HISTORY_NOTE
SHARE_NOTE = ("this cause's share of the whole: the filter narrows the denials, not all claims or charges; "
              "no benchmark colour")


WHOLE_NOTE = "not narrowed by the root-cause or stage filter: all claims of the other filters"


def caveats(kpi_key: str, row: dict) -> list[str]:
    """What a kpis() row says about its value beside the number: a cause's share of the whole
    (`<kpi>__share`), a ratio the denial filter does not narrow (`<kpi>__whole`), days in A/R over a
    short history (`<kpi>__short_history`)."""
    return [note for flag, note in (("__share", SHARE_NOTE), ("__whole", WHOLE_NOTE),
                                    ("__short_history", SHORT_HISTORY_NOTE)) if row.get(kpi_key + flag)]


def kpi_tile(container, kpi_key: str, row: dict, *, previous: dict | None = None, baseline: dict | None = None,
             trend: list | None = None, label: str | None = None, key: str = "") -> None:
    """A KPI tile coloured by its benchmark band: value, delta vs the previous period, the definition
    on hover, 'num of den' and the comparison with a baseline (e.g. the 13-week average)."""
    k = KPIS[kpi_key]
    value = row.get(kpi_key)
    b = metrics.band_of(kpi_key, row)
    box = container.container(border=True, key=f"band-{(b or 'none').replace(' ', '-')}-{key or kpi_key}")
    delta = _delta_text(kpi_key, value, previous)
    help_text = definition(kpi_key, row)
    if baseline is not None:
        help_text += (f"\n\n13-week average: {fmt(kpi_key, baseline.get(kpi_key))}"
                      + (f" ({parts_text(kpi_key, baseline)})" if parts_text(kpi_key, baseline) else "") + ".")
    box.metric(label or k.label, fmt(kpi_key, value), delta=delta,
               **_delta_style(kpi_key, delta, row, previous),
               delta_description="vs week before" if delta else None, help=help_text,
               chart_data=[x for x in (trend or []) if x is not None] or None, chart_type="line")
    lines = []
    if b:
        lines.append(band_badge(kpi_key, row))
    text = parts_text(kpi_key, row)
    if text:
        lines.append(text)
    lines += caveats(kpi_key, row)
    if baseline is not None and baseline.get(kpi_key) is not None:
        lines.append(f"13-wk avg {fmt(kpi_key, baseline.get(kpi_key))} "
                     f"({_brief.format_delta(kpi_key, value, baseline.get(kpi_key))})")
    if lines:
        box.caption(" · ".join(lines))


def _delta_text(kpi_key: str, value, previous: dict | None) -> str | None:
    """The change against `previous` as the brief writes it ('+2.1 pts', '−$120'), with an ASCII
    minus, since st.metric reads the sign to draw its arrow; None when either value is missing."""
    if previous is None or value is None or previous.get(kpi_key) is None:
        return None
    return _brief.format_delta(kpi_key, value, previous[kpi_key]).replace("−", "-")


def _delta_style(kpi_key: str, delta: str | None, row: dict | None = None, previous: dict | None = None) -> dict:
    """st.metric's arrow and colour for a delta text: none when it shows no change at display
    precision ('+$0'); grey when either side is days in A/R over a short history (the fall from 61
    to 40 days over a new site's first weeks is the charges on record growing, not collections:
    neither good nor bad), and for recovered and open denied dollars, which follow a week's denials over
    time (brief.LAGGING_KPIS); otherwise green for the KPI's good direction."""
    if delta is not None and not _brief.shows_change(delta):
        return {"delta_arrow": "off", "delta_color": "off"}
    if any((side or {}).get(kpi_key + "__short_history") for side in (row, previous)):
        return {"delta_arrow": "auto", "delta_color": "off"}
    if kpi_key in _brief.LAGGING_KPIS:       # a recent week's are always behind: no good/bad colour (as the brief)
        return {"delta_arrow": "auto", "delta_color": "off"}
    return {"delta_arrow": "auto", "delta_color": "inverse" if KPIS[kpi_key].good_direction == "down" else "normal"}


def band_badge(kpi_key: str, row: dict) -> str:
    """The band of a kpis() row's KPI as a coloured badge ('too few' under the minimum volume)."""
    b = metrics.band_of(kpi_key, row)
    return f":{BAND_BADGE[b]}-badge[{b}]" if b else ""


_BAND_CSS = """<style>


div[class*="st-key-band-good"]{border-left:6px solid #1a7f37 !important;background:rgba(26,127,55,.05)}
div[class*="st-key-band-typical"]{border-left:6px solid #d4a72c !important;background:rgba(212,167,44,.07)}
div[class*="st-key-band-concern"]{border-left:6px solid #cf222e !important;background:rgba(207,34,46,.05)}
</style>"""
def band_css() -> None:
    st.html(_BAND_CSS)


# A row of tiles or small charts that wraps on a narrow window (a laptop at 1,000 px with the sidebar
# open leaves ~650 px: four tiles of ~150 px cut their values to "12.…"); Streamlit's columns only
# stack below 640 px, so the grid's columns keep a minimum width and wrap onto the next line.
GRID_MIN_PX = 210


def grid(spec, key: str, container=None, min_px: int = GRID_MIN_PX) -> list:
    """st.columns(spec) (a count or relative widths) that wrap onto more lines when one would be
    narrower than `min_px` (the grid's own columns only, not columns nested in a cell)."""
    box = (container or st).container(key=f"grid-{key}")
    row = f'.st-key-grid-{key} > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"]'
    col = f'{row} > [data-testid="stColumn"]'
    css = f'{row}{{flex-wrap:wrap;row-gap:1rem}}{col}{{min-width:min(100%,{min_px}px)}}'
    n = spec if isinstance(spec, int) else len(spec)
    per_row = [k for k in range(n - 1, 0, -1) if n % k == 0]       # 6: 3, 2, 1; 4: 2, 1
    if n >= 4 and len(per_row) > 1:
        # a row that does not fit wraps in equal rows (4 as two by two, 6 as three and three, then two by
        # two), not as 3 + 1 with the last tile stretched across the page (a review at 1,280 px): CSS
        # container queries on the grid's own width, the narrower ones last
        css += f'.st-key-grid-{key}{{container-type:inline-size}}'
        wider = n
        for k in per_row:
            fits = wider * min_px + (wider - 1) * 16
            share = f"calc((100% - {k - 1}rem) / {k})"
            css += f'@container (max-width:{fits - 1}px){{{col}{{flex:1 1 {share};min-width:{share}}}}}'
            wider = k
    box.html(f'<style>{css}</style>')
    return box.columns(spec)


# ------------------------------------------------------------------ chart clicks and table selections narrow the view
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
        if goto:
            open_page(goto, values={dim: values})
        else:
            carry_filters()
            set_filter(dim, values)
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
        try:
            st.switch_page(PAGE_FILES[target], query_params=params)
        except StreamlitAPIException:
            # a parameter bound to a widget of this page (From and To of a custom date range) may not be
            # set this way: the filters and dates travel in Session State all the same, the address
            # without them (switch_page without query_params would try to clear the bound ones: refused)
            st.switch_page(PAGE_FILES[target], query_params={k: v for k, v in params.items() if k not in CARRY})


def chart(fig, key: str, on_select: Callable | None = None, **kw) -> None:
    """st.plotly_chart that narrows the view on click (points selection) when on_select is given.

    A figure whose layout.meta names a TEXT_MIN_WIDTH (a heatmap's cell labels) shows its point labels
    only in a chart at least that wide: plotly draws a label at a fixed size wherever its point falls,
    so in a narrow chart the labels of neighbouring cells printed over each other (the hover keeps them).
    One whose layout.meta names a MAX_WIDTH (a heatmap) is drawn no wider than that, so its cells stay
    close together in a wide window."""
    fig.update_layout(clickmode="event+select")
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    rules = []
    if re.fullmatch(r"[\w-]+", key):
        if meta.get(MAX_WIDTH):
            rules.append(f".st-key-{key}{{max-width:{int(meta[MAX_WIDTH])}px;}}")
        if meta.get(TEXT_MIN_WIDTH):
            rules.append(f".st-key-{key}{{container-type:inline-size}}"
                         f"@container (max-width:{int(meta[TEXT_MIN_WIDTH])}px){{.st-key-{key} .textpoint{{display:none}}}}")
    if rules:
        st.html(f"<style>{''.join(rules)}</style>")
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
              extra: dict | None = None, params: dict | None = None, **values: list[str]) -> None:
    """A link to another page (key of PAGE_FILES) with the current filters, narrowed by `values`
    (extra: more of the target page's widget values, e.g. the weekly review's week; params: query
    parameters its address gets, e.g. those same values, so the page opened can be shared).

    Drawn as a link-styled button whose callback sets the filters in Session State and opens the
    page (follow_goto): an st.page_link with query parameters lost them on an in-app click, because
    the sidebar widgets' state from the page being left overrides the URL (root cause and range
    dropped). Shareable addresses still come from filter_params."""
    target = {"page": page, "preset": preset, "date_from": date_from, "date_to": date_to,
              "extra": dict(extra or {}), "values": {k: list(v) for k, v in values.items()},
              "params": dict(params or {})}
    key = "goto-" + hashlib.blake2b(repr(sorted(target.items(), key=str)).encode() + label.encode(),
                                    digest_size=8).hexdigest()
    (container or st).button(label, help=help, icon=":material/arrow_forward:", type="tertiary", key=key,
                             on_click=open_page, kwargs=target)


def open_page(page: str, preset: str | None = None, date_from: dt.date | None = None, date_to: dt.date | None = None,
              extra: dict | None = None, values: dict[str, list[str]] | None = None,
              params: dict[str, str] | None = None) -> None:
    """From a callback (page_link's, a chart click, a table selection): the filters it names into Session
    State (the others kept), `extra` Session State values, then open `page`; `params`: query parameters
    its address gets (e.g. the claim whose detail it opens, so it can be shared or reloaded: a value set
    through Session State is not written to the URL by its widget)."""
    carry_filters()
    goto_params = dict(params or {})
    if date_from or date_to:
        st.session_state["range"] = "custom"
        if date_from:
            st.session_state["from"] = date_from
        if date_to:
            st.session_state["to"] = date_to
        # the date inputs do not write a value set through Session State into the URL: follow_goto does
        goto_params |= {k: d.isoformat() for k, d in (("from", date_from), ("to", date_to)) if d}
    elif preset:
        st.session_state["range"] = preset
    for dim, ids in (values or {}).items():
        set_filter(dim, ids)
    for k, v in (extra or {}).items():
        st.session_state[k] = v
    st.session_state[_GOTO_PARAMS] = goto_params
    st.session_state[_GOTO] = page
