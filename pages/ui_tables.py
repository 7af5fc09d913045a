"""KPI values and codes in words, and the tables that show them: number formats, a KPI's
definition and parts, benchmark-band pills, column headers and labels, st.dataframe with all of
that applied, and the CSV / Excel exports of exactly the rows shown. No SQL here."""
from __future__ import annotations

import hashlib
import io
from typing import Any

import polars as pl
import streamlit as st

from pages import ui_access
from pages.ui_base import CACHE_TTL_S
from warehouse import brief as _brief, metrics
from warehouse.metrics import KPIS

BAND_COLOURS = {"good": "#1a7f37", "typical": "#9a6700", "concern": "#cf222e", None: "#57606a"}
BAND_OPTIONS = ["good", "typical", "concern", metrics.FEW]


# ------------------------------------------------------------------ KPI values in words
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


# ------------------------------------------------------------------ headers and labels
# words of column names written as the field writes them in a table's header
HEADER_WORDS = {"id": "ID", "npi": "NPI", "carc": "CARC", "carcs": "CARCs", "rarc": "RARC", "rarcs": "RARCs",
                "dos": "date of service", "ar": "A/R", "cpt": "CPT", "pcn": "PCN"}


# boolean columns named as a question ('is_denied') read as the field's word ('Denied')
COLUMN_HEADERS = {"soft_hard": "Soft/hard", "is_denied": "Denied", "is_reversal": "Reversal",
                  "is_adjudication": "Adjudication"}


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
                    "specialty", "outcome")


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


# ------------------------------------------------------------------ tables
MISSING = "—"      # how a table shows a missing value (an empty ratio, a claim with no original id)


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
    so the table would disagree with the tiles and captions, which round. Exports keep full precision.
    A missing value shows as "—" (docs/metrics.md: a ratio whose denominator is 0), not Streamlit's "None"."""
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
                       on_click=ui_access.audit_export(name, "csv", frame.height))
    fingerprint = _fingerprint(frame)
    prepared = f"{key}-xlsx-prepared"
    if frame.height <= EAGER_EXCEL_ROWS or st.session_state.get(prepared) == fingerprint:
        c2.download_button("Download Excel", _workbook(name, fingerprint, frame), f"{name}.xlsx",
                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=f"{key}-xlsx",
                           on_click=ui_access.audit_export(name, "xlsx", frame.height))
    else:
        c2.button(f"Prepare Excel ({frame.height:,} rows)", key=f"{key}-xlsx-prepare",
                  on_click=lambda: st.session_state.__setitem__(prepared, fingerprint))


def export_workbook(frames: dict[str, pl.DataFrame], name: str, key: str, label: str = "Download all (Excel)") -> None:
    """One Excel workbook with a sheet per table (e.g. every table of a claim's detail)."""
    import xlsxwriter
    buf = io.BytesIO()
    with xlsxwriter.Workbook(buf) as wb:
        for sheet, frame in frames.items():
            for_export(frame).write_excel(wb, worksheet=sheet[:31])
    st.download_button(label, buf.getvalue(), f"{name}.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key=key,
                       on_click=ui_access.audit_export(name, "xlsx", sum(f.height for f in frames.values()),
                                             sheets=list(frames)))
