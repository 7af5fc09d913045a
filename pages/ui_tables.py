"""KPI values and codes in words, and the tables that show them: number formats, a KPI's
definition and parts, benchmark-band pills, column headers and labels, st.dataframe with all of
that applied, and the CSV / Excel exports of exactly the rows shown. No SQL here."""
from __future__ import annotations

import hashlib
import io
import re
from collections import Counter
from typing import Any

import polars as pl
import streamlit as st

from pages import ui_access
from pages.ui_base import CACHE_TTL_S
from warehouse import brief as _brief, metrics
from warehouse.brief import band_words
from warehouse.claims import CLAIM_STATUS
from warehouse.metrics import KPIS, MEASURES

BAND_COLOURS = {"good": "#1a7f37", "typical": "#9a6700", "concern": "#cf222e", None: "#57606a"}
BAND_OPTIONS = ["good", "typical", "concern", metrics.FEW]


# ------------------------------------------------------------------ KPI values in words
def columns_first(frame: pl.DataFrame, first: list[str]) -> pl.DataFrame:
    """The frame with the columns `first` (those it has) leading, in that order, then the rest as they were:
    a long table leads with what its reader acts on, so it is in view without a sideways scroll."""
    lead = [c for c in first if c in frame.columns]
    return frame.select(lead + [c for c in frame.columns if c not in lead])


def count_text(n: int, noun: str) -> str:
    """'1 claim', '2,015 claims', 'no claims': a count with its noun in the right number."""
    n = int(n)
    return f"no {noun}s" if n == 0 else f"{n:,} {noun}" + ("" if n == 1 else "s")


def fmt(kpi_key: str, value) -> str:
    return metrics.format_value(kpi_key, value)


def parts_text(kpi_key: str, row: dict) -> str:
    """'312 of 2,410 claims' under a ratio KPI: the brief's wording (warehouse.brief.parts), so the
    page and the one-page brief say it the same way."""
    return _brief.parts(kpi_key, row)


def definition(kpi_key: str, row: dict | None = None) -> str:
    k = KPIS[kpi_key]
    lines = [f"**{k.label}** — {k.definition}"]
    if row is not None and parts_text(kpi_key, row):
        lines.append(f"This view: {parts_text(kpi_key, row)}.")
    if k.benchmark:
        lines.append(f"Benchmark: {band_words(kpi_key)}. Source: {k.benchmark.source}.")
    lines.append(f"Good direction: {'higher' if k.good_direction == 'up' else 'lower'} is better.")
    return "\n\n".join(lines)


# ------------------------------------------------------------------ KPI columns: bands and parts
def with_bands(frame: pl.DataFrame, kpi_keys) -> pl.DataFrame:
    """Adds `<kpi>_band` (a one-item list, shown as a coloured pill by band_column) per KPI."""
    exprs = []
    for key in kpi_keys:
        if KPIS[key].benchmark is None or key not in frame.columns:
            continue
        cols = [c for c in (key, f"{key}__den", f"{key}__share", f"{key}__short_history") if c in frame.columns]
        bands = [metrics.band_of(key, row) for row in frame.select(cols).iter_rows(named=True)]
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
    # the tiles' precision: rates to 0.1 point (step 0.001 fixes one decimal), KPI dollars whole, counts whole
    step = {"ratio": 0.001, "dollars": 1, "count": 1}.get(k.unit)
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


def kpi_columns(frame: pl.DataFrame) -> dict[str, Any]:
    """Column config of the columns a frame names by a KPI's key (a kpis() result): the KPI in its unit
    (kpi_column), its band pill and parts, and what kpis() adds beside a ratio: `<kpi>__num` and
    `<kpi>__den` (its two measures, in their units) and the flags `<kpi>__share` (a share of the whole),
    `<kpi>__whole` (not narrowed by the cause filter) and `<kpi>__short_history` (days in A/R over fewer
    than 90 days of charges)."""
    out: dict[str, Any] = {}
    for c, t in frame.schema.items():
        key, _, part = c.partition("__")
        if c in KPIS and t.is_numeric():
            out[c] = kpi_column(c)
        elif c.endswith("_band") and c[:-5] in KPIS and KPIS[c[:-5]].benchmark:
            out[c] = band_column(c[:-5])
        elif c.endswith("_parts") and c[:-6] in KPIS and KPIS[c[:-6]].denominator:
            out[c] = parts_column(c[:-6])
        elif key in KPIS and part in ("num", "den") and (KPIS[key].denominator or part == "num"):
            k = KPIS[key]
            m = MEASURES[k.numerator if part == "num" else k.denominator]
            out[c] = st.column_config.NumberColumn(
                f"{k.label}: {m.label}", format="dollar" if m.unit == "dollars" else "localized",
                step=None if m.unit == "dollars" else 1,
                help=f"The {'numerator' if part == 'num' else 'denominator'} of {k.label}: {m.description}")
        elif key in KPIS and part == "share":
            out[c] = st.column_config.CheckboxColumn(f"{KPIS[key].label}: share of the whole",
                                                     help="A cause's share of the whole: no benchmark band.")
        elif key in KPIS and part == "whole":
            out[c] = st.column_config.CheckboxColumn(f"{KPIS[key].label}: not narrowed by the cause filter",
                                                     help="The root-cause or stage filter does not narrow this ratio.")
        elif key in KPIS and part == "short_history":
            out[c] = st.column_config.CheckboxColumn(f"{KPIS[key].label}: short history",
                                                     help=metrics.SHORT_HISTORY_NOTE)
    return out


def for_export(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame as exported: band pills become plain text."""
    return frame.with_columns([pl.col(c).list.join(",").alias(c) for c, t in frame.schema.items()
                               if isinstance(t, pl.List) and t.inner == pl.String])


# ------------------------------------------------------------------ headers and labels
# words of column names written as the field writes them in a table's header
HEADER_WORDS = {"id": "ID", "npi": "NPI", "carc": "CARC", "carcs": "CARCs", "rarc": "RARC", "rarcs": "RARCs",
                "dos": "date of service", "ar": "A/R", "cpt": "CPT", "pcn": "PCN"}


# a column's name where the field says it otherwise ('days_to_adjudicate': the pages' "days to pay")
COLUMN_HEADERS = {"soft_hard": "Soft/hard", "write_offs": "Write-offs", "days_to_adjudicate": "Days to pay"}


def _in_words(code: str) -> str:
    """'rendering_npi' -> 'Rendering NPI', 'front_desk' -> 'Front desk' (HEADER_WORDS for the field's words)."""
    text = " ".join(HEADER_WORDS.get(w, w) for w in str(code).split("_"))
    return text[:1].upper() + text[1:]


def header(column: str) -> str:
    """A table header for a column name: 'rendering_npi' -> 'Rendering NPI', 'dos' -> 'Date of service';
    a boolean column named as a question reads as the field's word ('is_denied' -> 'Denied')."""
    return COLUMN_HEADERS.get(column) or _in_words(column[3:] if column.startswith("is_") else column)


def date_columns(frame: pl.DataFrame) -> dict[str, Any]:
    """Column config showing the frame's Date columns as dates (YYYY-MM-DD), not timestamps."""
    return {c: st.column_config.DateColumn(header(c), format="YYYY-MM-DD")
            for c, t in frame.schema.items() if t == pl.Date}


# columns holding codes of the taxonomy or of the product, shown by their labels: the cell shows
# "Coding and modifiers", the value (what filters and tests read) stays "coding_modifier"; exports write the label
LABELLED_COLUMNS = ("root_cause", "stage", "owner_team", "soft_hard", "sub_cause", "write_off_reason", "payer_class",
                    "specialty", "outcome")


# codes whose words alone mislead: 'None on file' read as a missing value (a review)
VALUE_WORDS = {("sub_cause", "none_on_file"): "No authorization on file"}


def value_label(column: str, value: str) -> str:
    """The label of a code in one of LABELLED_COLUMNS: a root cause's from the taxonomy, a stage's
    from the brief, otherwise the code in words ('front_desk' -> 'Front desk', an appeal's
    'partially_won' -> 'Partially won'); 'none' (not a denial: no stage, team or soft/hard) -> '—'."""
    if column == "root_cause":
        label = _cause_labels().get(value)
        if label:
            return label
    if column == "stage" and value in _brief.STAGE_LABELS:
        return _brief.STAGE_LABELS[value]
    if value == "none":
        return "—"
    return VALUE_WORDS.get((column, value)) or _in_words(value)


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


# ------------------------------------------------------------------ tables
MISSING = "—"      # how a table shows a missing value (an empty ratio, a claim with no original id)


def column_configs(frame: pl.DataFrame, column_config: dict | None = None) -> dict[str, Any]:
    """The column config of a table of the frame: readable headers, KPI columns in their unit (and their
    parts and bands), codes shown by their labels, dollars as dollars, dates as dates; a page's own
    config (`column_config`) over that. The one mapping of a column to its header and format: the
    table draws with it and the exports (export_frame) write their headers, values and Excel formats from it."""
    config = {c: st.column_config.NumberColumn(header(c), format="localized") if t.is_integer()   # counts: 9,382
              else st.column_config.Column(header(c) + (" ID" if f"{c}_name" in frame.columns else ""))   # a code beside its name
              for c, t in frame.schema.items()}
    config.update(kpi_columns(frame))
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
    return config


def table(frame: pl.DataFrame, key: str | None = None, column_config: dict | None = None, **kw) -> Any:
    """st.dataframe with readable headers, codes shown by their labels, dollars as dollars, dates shown
    as dates, no index, full width (column_configs)."""
    return dataframe(frame, key=key, column_config=column_configs(frame, column_config), **kw)


WHOLE_TABLE_ROWS = 25    # a table of up to this many rows is drawn whole, not in a 10-row window
ROW_PX = 35              # Streamlit's default row height


def dataframe(frame: pl.DataFrame, column_config: dict | None = None, **kw) -> Any:
    """st.dataframe (no index, full width) of the frame with every number column that has a `step`
    rounded to it first: Streamlit cuts a value to the step's decimals (12.48% would show 12.4%),
    so the table would disagree with the tiles and captions, which round. Exports keep full precision.
    A missing value shows as "—" (docs/metrics.md: a ratio whose denominator is 0), not Streamlit's "None".
    The column config is remembered for the export of the table (export_buttons: its headers and formats)."""
    _remember_shown(frame, column_config or {})
    if "height" not in kw and 10 < frame.height <= WHOLE_TABLE_ROWS:
        # Streamlit's "auto" height shows 10 rows: a payer scorecard of 12 payers hid two behind an inner
        # scroll (a review); a short table is drawn whole (35 px a row and the header, 3 px of border)
        kw["height"] = ROW_PX * (frame.height + 1) + 3
    return st.dataframe(shown_rounded(frame, column_config or {}),
                        **({"hide_index": True, "width": "stretch", "placeholder": MISSING} | kw),
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


# ------------------------------------------------------------------ exports
# What an export writes is the table as the screen shows it: each column under its header, a code by its
# label, in the Excel format of its column config (export_frame). Left out of every export:
# a patient identifier beyond the pseudonym (the masked member id a claim's header shows: a file that
# leaves the dashboard carries the pseudonym only, docs/pages.md)
NOT_EXPORTED = ("member_id_masked",)
# a remit's internal key (a 32-hex hash): a claim's workbook names the remit instead (remit_labels)
INTERNAL_KEYS = ("adjudication_id", "initial_adjudication_id")

_SHOWN = "_ut_shown_tables"    # Session State: page -> {a drawn table's columns: the column config it was drawn with}
_SHOWN_MAX = 64


def _page() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    ctx = get_script_run_ctx()
    return ctx.page_script_hash if ctx else ""


def _remember_shown(frame: pl.DataFrame, column_config: dict) -> None:
    """Keep the column config a table was drawn with, by its columns, for that table's export."""
    try:
        tables = st.session_state.setdefault(_SHOWN, {}).setdefault(_page(), {})
    except Exception:           # no session (a bare script run): nothing to export from
        return
    cols = tuple(frame.columns)
    tables.pop(cols, None)
    tables[cols] = column_config                    # the last drawn last
    while len(tables) > _SHOWN_MAX:
        tables.pop(next(iter(tables)))


def forget_shown() -> None:
    """At the start of a page's run: the tables drawn on its earlier runs (another claim, other filters)
    are no export's headers any more."""
    try:
        st.session_state.get(_SHOWN, {}).pop(_page(), None)
    except Exception:
        pass


def shown_config(columns) -> dict:
    """The column config of the table drawn on this page with these columns; else of the one drawn last
    whose columns hold all of these, or all of whose columns these hold (the whole work queue exports
    with the headers of its first 500 rows' table; a claim's adjustments with those of its remit's table).
    {} when no such table was drawn (a chart's data: column_configs's defaults)."""
    try:
        tables = st.session_state.get(_SHOWN, {}).get(_page(), {})
    except Exception:
        return {}
    cols = tuple(columns)
    if cols in tables:
        return tables[cols]
    want = set(cols)
    for shown, config in reversed(tables.items()):
        if want <= set(shown) or (len(shown) > 1 and set(shown) <= want):
            return config
    return {}


def _label(column: str, cfg) -> str:
    if isinstance(cfg, str):
        return cfg or header(column)
    if isinstance(cfg, dict) and cfg.get("label"):
        return cfg["label"]
    return header(column)


def _decimals(step) -> int | None:
    if step is None:
        return None
    return 0 if float(step).is_integer() else len(f"{step:f}".rstrip("0").split(".")[1])


_PRINTF = re.compile(r"^([^%]*)%([,']?)(?:\.(\d+))?([dif])(.*)$")


def excel_format(cfg, dtype) -> str | None:
    """The Excel number format of a column from its column config (what the table shows): a dollar
    column "$#,##0.00", a rate "0.0%" (its step's decimals), a count "#,##0", a printf format as it
    reads ('%.1f' -> "0.0"), a date "yyyy-mm-dd"; None for text (and datetimes: polars's own)."""
    if dtype == pl.Date:
        return "yyyy-mm-dd"
    if not dtype.is_numeric():
        return None
    tc = cfg.get("type_config") or {} if isinstance(cfg, dict) else {}
    fmt_, step = (tc.get("format"), tc.get("step")) if tc.get("type") == "number" else (None, None)
    decimals = _decimals(step)
    if fmt_ in ("dollar", "accounting"):
        return "$#,##0.00"
    if fmt_ == "euro":
        return "€#,##0.00"
    if fmt_ == "percent":
        d = 1 if decimals is None else max(decimals - 2, 0)
        return ("0." + "0" * d if d else "0") + "%"
    if fmt_ == "localized":
        return "#,##0" if dtype.is_integer() or decimals == 0 else "#,##0." + "0" * (decimals or 2)
    m = _PRINTF.match(fmt_ or "")
    if m:
        prefix, comma, places, kind, suffix = m.groups()
        number = ("#,##0" if comma else "0") + ("." + "0" * int(places) if kind == "f" and places and int(places) else "")
        quote = (lambda t: f'"{t.replace("%%", "%")}"' if t else "")
        return quote(prefix) + number + quote(suffix)
    if fmt_ in ("scientific", "engineering"):
        return "0.00E+00"
    return "#,##0" if dtype.is_integer() else "General"


def _is_count(column: str) -> bool:
    """A column that holds a count by definition: a count KPI, or the numerator or denominator of a KPI
    whose measure is a count (kpis() returns them as floats: '87.0' claims in a CSV)."""
    key, _, part = column.partition("__")
    if key not in KPIS:
        return False
    k = KPIS[key]
    if part == "":
        return k.unit == "count"
    measure = k.numerator if part == "num" else k.denominator if part == "den" else None
    return measure is not None and MEASURES[measure].unit == "count"


def export_frame(frame: pl.DataFrame, column_config: dict | None = None) -> tuple[pl.DataFrame, dict[str, str]]:
    """The frame as exported, and the Excel format of each of its columns: the headers, values and
    formats of its table on the screen (`column_config`, else the config the table was drawn with,
    shown_config; column_configs fills in the rest). A column the table hides keeps its header words
    (a code beside its name: 'Payer ID'); codes read as their labels ('—' for not a denial); band
    pills as text; the member id and the remits' internal keys are left out."""
    frame = for_export(frame)
    frame = frame.drop([c for c in NOT_EXPORTED + INTERNAL_KEYS if c in frame.columns])
    config = column_configs(frame, shown_config(frame.columns) if column_config is None else column_config)
    labels, formats, exprs = {}, {}, []
    for c, t in frame.schema.items():
        cfg = config.get(c)
        labels[c] = _label(c, cfg)
        if cfg is None and f"{c}_name" in frame.columns:          # a hidden code beside its name
            labels[c] = header(c) + " ID"
        tc = cfg.get("type_config") or {} if isinstance(cfg, dict) else {}
        options = {o["value"]: o.get("label") for o in tc.get("options") or [] if "label" in o}
        if t == pl.String and c in LABELLED_COLUMNS:       # codes by their labels, whatever the header
            names = {v: options.get(v) or value_label(c, v) for v in frame[c].drop_nulls().unique()}
            exprs.append(pl.col(c).replace_strict(names, default=pl.col(c), return_dtype=pl.String))
        if t.is_float() and _is_count(c):    # a count read as a float (87.0): written as the whole number it is
            exprs.append(pl.col(c).round(0).cast(pl.Int64))
            t = pl.Int64
        f = excel_format(cfg, t)
        if f:
            formats[c] = f
    counts = Counter(labels.values())
    for c in frame.columns:              # the same header twice: the band pills say whose band they are
        if counts[labels[c]] > 1 and c.endswith("_band") and c[:-5] in KPIS:
            labels[c] = f"{KPIS[c[:-5]].label}: band"
    seen: Counter = Counter()
    for c in frame.columns:              # any other: numbered
        seen[labels[c]] += 1
        if seen[labels[c]] > 1:
            labels[c] = f"{labels[c]} ({seen[labels[c]]})"
    out = frame.with_columns(exprs).rename(labels)
    return out, {labels[c]: f for c, f in formats.items()}


def remit_labels(adjudications: pl.DataFrame) -> dict[str, str]:
    """A claim's remits (claim_detail's `adjudications`) named as its Adjudications tab shows them, in
    order: adjudication_id -> 'Remit 1 · 2026-05-12 · status 1 (processed as primary) · initial
    adjudication'; the number tells two remits of a day apart (a reversal and its correction)."""
    out = {}
    for n, a in enumerate(adjudications.iter_rows(named=True), 1):
        tag = " · initial adjudication" if a.get("is_initial") else (" · reversal" if a.get("is_reversal") else "")
        out[a["adjudication_id"]] = (f"Remit {n} · {a['remit_date']} · status {a['claim_status']} "
                                     f"({CLAIM_STATUS.get(a['claim_status'], 'other')}){tag}")
    return out


def with_remits(frame: pl.DataFrame, labels: dict[str, str]) -> pl.DataFrame:
    """The frame with a remit's label (remit_labels) where it held the remit's key: `adjudication_id`
    becomes `remit` (first), a claim's `initial_adjudication_id` `initial_adjudication`."""
    renames = {"adjudication_id": "remit", "initial_adjudication_id": "initial_adjudication"}
    present = [c for c in renames if c in frame.columns]
    if not present:
        return frame
    frame = frame.with_columns([pl.col(c).cast(pl.String).replace_strict(labels, default=None, return_dtype=pl.String)
                                .alias(renames[c]) for c in present]).drop(present)
    return frame.select(["remit"] + [c for c in frame.columns if c != "remit"]) if "remit" in frame.columns else frame


def _fingerprint(frame: pl.DataFrame, *extra) -> str:
    """The table's content in a few bytes: shape, columns, types and a hash of every row (and `extra`)."""
    h = hashlib.blake2b(repr((frame.shape, frame.columns, [str(d) for d in frame.dtypes], extra)).encode(),
                        digest_size=16)
    if frame.height:
        h.update(frame.hash_rows(seed=7).to_numpy().tobytes())
    return h.hexdigest()


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=64)
def _csv(fingerprint: str, _frame: pl.DataFrame) -> bytes:
    """The CSV of an exported table, cached by its content (a whole work queue or claim selection is
    megabytes, and every rerun of the page drew its buttons again)."""
    return _frame.write_csv().encode()


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False, max_entries=256)
def _workbook(name: str, fingerprint: str, _frame: pl.DataFrame, _formats: dict[str, str]) -> bytes:
    """The .xlsx of an exported table (export_frame), cached by its content and formats (writing Excel was
    most of a rerun's time)."""
    buf = io.BytesIO()
    _frame.write_excel(buf, worksheet=name[:31], column_formats=_formats or None)
    return buf.getvalue()


EAGER_EXCEL_ROWS = 5_000   # above this, writing the .xlsx takes seconds: it waits for "Prepare Excel"


LIST_ROWS = 500          # rows of a long list a page draws (work queue); its downloads hold every row
CLAIM_LIST_ROWS = 5_000  # claims the payer drill-down's list draws; its downloads can hold the whole selection


def export_buttons(frame: pl.DataFrame, name: str, key: str, what: str | None = None,
                   column_config: dict | None = None) -> None:
    """CSV and Excel downloads of exactly the table shown (same rows, same filters), under its headers
    and in its formats (export_frame: `column_config`, else that of the table drawn with these columns).
    `what` names the table on the buttons ('Download adjustments (CSV)').

    The workbook is built before its download button is shown (an on-click build raced the audit
    rerun and sometimes never downloaded, docs/performance.md) and cached by the table's content.
    A large table (work queue, claim lists: writing 78,000 rows of Excel takes ~18 s) first shows
    "Prepare Excel"; its click builds the workbook for exactly these rows, then the download shows."""
    out, formats = export_frame(frame, column_config)
    fingerprint = _fingerprint(out, sorted(formats.items()))
    c1, c2 = st.columns(2)
    c1.download_button(f"Download {what} (CSV)" if what else "Download CSV", _csv(fingerprint, out), f"{name}.csv",
                       "text/csv", key=f"{key}-csv", on_click=ui_access.audit_export(name, "csv", frame.height))
    prepared = f"{key}-xlsx-prepared"
    if frame.height <= EAGER_EXCEL_ROWS or st.session_state.get(prepared) == fingerprint:
        c2.download_button(f"Download {what} (Excel)" if what else "Download Excel",
                           _workbook(name, fingerprint, out, formats), f"{name}.xlsx",
                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{key}-xlsx",
                           on_click=ui_access.audit_export(name, "xlsx", frame.height))
    else:
        c2.button(f"Prepare Excel ({frame.height:,} rows)", key=f"{key}-xlsx-prepare",
                  on_click=lambda: st.session_state.__setitem__(prepared, fingerprint))


def workbook_bytes(frames: dict[str, pl.DataFrame]) -> bytes:
    """One Excel workbook with a sheet per table, each as export_frame writes it (sheet names in words:
    'write_offs' -> 'Write-offs'). Where a sheet holds a claim's remits (adjudication_id and
    remit_date: claim_detail's `adjudications`), every sheet names a remit by its label (remit_labels)."""
    import xlsxwriter
    remits = next((remit_labels(f) for f in frames.values() if {"adjudication_id", "remit_date"} <= set(f.columns)), {})
    buf = io.BytesIO()
    with xlsxwriter.Workbook(buf) as wb:
        for sheet, frame in frames.items():
            out, formats = export_frame(with_remits(frame, remits))
            out.write_excel(wb, worksheet=(header(sheet) if sheet.islower() else sheet)[:31],
                            column_formats=formats or None)
    return buf.getvalue()


def export_workbook(frames: dict[str, pl.DataFrame], name: str, key: str, label: str = "Download all (Excel)") -> None:
    """One Excel workbook with a sheet per table (e.g. every table of a claim's detail: workbook_bytes)."""
    st.download_button(label, workbook_bytes(frames), f"{name}.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=key,
                       on_click=ui_access.audit_export(name, "xlsx", sum(f.height for f in frames.values()),
                                             sheets=list(frames)))
