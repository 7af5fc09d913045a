"""Overview: the last complete week's headline KPIs, week over week, with 13-week trends."""
import datetime as dt

import polars as pl
import streamlit as st

from pages import ui, ui_tables as ut
from warehouse import brief, periods
from warehouse.metrics import KPIS

TILES = ["denial_rate", "denial_rate_dollars", "clean_claim_rate", "appeal_win_ratio", "ar_days",
         "denied_dollars", "recovered_dollars"]

ctx = ui.start("Overview", "The last complete week against the week before, with the 13-week trend. "
                           "Hover a number for its definition and benchmark.")
if ctx:
    week_start = ui.default_week(ctx)
    week_end = week_start + dt.timedelta(days=6)
    # the 13 weeks shown, and the 13 before the week for its thin-week average (as the weekly review)
    base = brief.baseline_weeks(week_start, ctx.first)
    flt = ctx.filters.__class__(ctx.filters.values, week_start - dt.timedelta(weeks=brief.BASELINE_WEEKS),
                                week_end, ctx.filters.basis)
    with st.spinner("Computing KPIs ..."):
        weekly_all = ctx.kpis(by=("week",), filters=flt)
    shown_weeks = {w for w, _ in brief.week_labels(week_start, brief.TREND_WEEKS)}
    weekly = weekly_all.filter(pl.col("week").is_in(list(shown_weeks)))
    claims_by_week = dict(zip(weekly_all["week"].to_list(), weekly_all["claims_adjudicated"].to_list()))
    label = periods.week_label(week_start)
    st.subheader(f"Week {label} ({week_start:%d %b} – {week_end:%d %b %Y})")
    st.caption("The Overview always shows a week and the 13 weeks up to it: the last complete week before the "
               "end of the date range (a custom range ending earlier shows an earlier week; on the date-of-service "
               "basis, the latest week whose claims are mostly adjudicated). The other pages cover the whole date "
               "range.")
    rows = {r["week"]: r for r in weekly.to_dicts()}
    if label not in rows or not rows[label].get("claims_adjudicated"):
        ui.empty_note(f"week {label} with these filters", "clear a filter in the sidebar, or end the date range later")
    else:
        this = rows[label]
        prev = rows.get(periods.week_label(week_start - dt.timedelta(weeks=1)))
        average = sum(claims_by_week.get(w) or 0 for w, _ in base) / len(base) if base else None
        thin = brief.thin_note(label, this.get("claims_adjudicated"), average, ctx.filters.basis)
        if thin:
            st.warning(thin, icon=":material/hourglass_top:")
        for i, key in enumerate(TILES):
            if i % 4 == 0:                       # a row of four that wraps in two on a narrow window
                cols = ui.grid(4, f"ov-tiles-{i // 4}")
            trend = [rows[w].get(key) for w in sorted(rows)]
            ui.tile(cols[i % 4], key, this, prev, trend)
        st.caption("Coloured dots: benchmark band (🟢 good, 🟡 typical, 🔴 concern; ⚪ no band: too few claims or "
                   "appeals in the week to compare, a cause's share of the whole, or days in A/R over a short "
                   "history, as the tile says). Deltas compare with the week before; the small line is the 13-week trend."
                   + (" " + brief.LAGGING_NOTE if set(TILES) & set(brief.LAGGING_KPIS) else ""))
    st.subheader("13 weeks")
    if weekly.height:
        show = weekly.select(["week"] + [k for k in TILES] + ["claims_adjudicated", "claims_denied", "billed_dollars"]
                             ).sort("week", descending=True)            # the week on the tiles first
        ut.dataframe(show,
                     column_config={k: ut.kpi_column(k) if k in KPIS else ut.header(k) for k in show.columns})
        ut.export_buttons(show, f"overview-{label}", "overview")
    else:
        ui.empty_note()
