"""Appeals (where to act): how often denials are appealed, how often appeals win — by payer, root
cause and level — what they recover and how long they take; the leakage (denials not worked in time) by
site and payer; and the denials written off, and why."""
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from pages import ui, ui_action as ua, ui_tables as ut
from warehouse import brief, metrics

TILE_KPIS = ["appeal_rate", "appeal_win_ratio", "appeals_decided", "recovered_dollars"]
COHORTS = {"decided": "Decided in the range (as the tiles)", "filed": "Filed in the range (outcome so far)"}
BY = {"payer": "Payer", "root_cause": "Root cause", "appeal_level": "Appeal level"}
# a chart beside its table goes above it where its column would be narrower than this: in 216 px (1,000 px
# window) the payer names took the whole width and were cut at the left
CHART_MIN_PX = 340
NAME_AXIS = {"type": "category", "automargin": True}

ui.follow_goto()
ctx = ui.start("Appeals", "Are denials appealed, do appeals win, what do they recover and how fast — and how many "
                          "dollars of denials not worked in time. Hover a number for its definition.")
if ctx:
    ui.band_css()
    with st.spinner("Computing appeals ..."):
        tot = ctx.kpis(kpi_keys=TILE_KPIS + ["denied_dollars"]).to_dicts()[0]
        timing = ua.call(ctx, "action.appeal_timing", filters=ctx.filters, by=None)
        decided = ua.call(ctx, "action.appeal_timing", filters=ctx.filters, by=None, cohort="decided")
    t = timing.to_dicts()[0] if timing.height else {}
    td = decided.to_dicts()[0] if decided.height else {}
    cols = ui.grid(6, "ap-tiles")
    for i, key in enumerate(TILE_KPIS):
        ui.kpi_tile(cols[i], key, tot, key=f"ap-{key}")
    ua.tile(cols[4], "Days to appeal", "—" if t.get("median_days_denial_to_appeal") is None
            else f"{t['median_days_denial_to_appeal']:.0f} days", key="ap-to-appeal",
            help="Median over the appeals filed in the date range (date-of-service basis: the appeals of the claims "
                 "served in it) of (appeal filed date − the claim's initial adjudication date).",
            caption=f"median; {t.get('appeals_filed') or 0:,} appeals "
                    + ("of these claims" if ctx.filters.basis == "service" else "filed in the range"))
    # over the appeals decided in the range (as "Appeals decided" beside it): over those filed in it, the
    # slow ones still pending were left out and the median came out short (41 days against 54, a review)
    ua.tile(cols[5], "Days to decision", "—" if td.get("median_days_to_decision") is None
            else f"{td['median_days_to_decision']:.0f} days", key="ap-to-decision",
            help="Median over the appeals decided in the date range (date-of-service basis: the decided appeals of "
                 "the claims served in it) of (decision date − filed date). Pending appeals have no decision yet.",
            caption=f"median of {td.get('appeals_decided') or 0:,} decided; {t.get('appeals_pending') or 0:,} "
                    + ("of these claims" if ctx.filters.basis == "service" else "filed in the range")
                    + " still pending")
    if ctx.filters.basis == "service":
        st.caption("Date-of-service basis: every number on this page is about the claims with a date of service in "
                   "the range: their denials, and their appeals whenever filed or decided.")
    else:
        st.caption("Appeal rate and recovered dollars: claims initially denied in the range. Appeal win ratio and "
                   "appeals decided: appeals decided in the range, as the tables below unless they are switched to the "
                   "appeals filed in the range (their outcome so far).")

    # ------------------------------------------------------------ win ratio by payer, cause, level
    st.subheader("Who wins appeals, for what")
    # which appeals the tables count: those decided in the range, as the win ratio everywhere else (tiles,
    # payer scorecard, kpi command), or those filed in it with their outcome so far (a filing cohort); on
    # the date-of-service basis the appeals of the claims served in the range, so no choice
    if ctx.filters.basis == "service":
        cohort = "filed"
    else:
        cohort = st.radio("Count the appeals", list(COHORTS), format_func=COHORTS.get, key="ap_cohort",
                          bind="query-params", horizontal=True,
                          help="Decided in the range: the same win ratios as the tiles, the payer scorecard and the "
                               "kpi command. Filed in the range: what became of the appeals filed then, pending "
                               "ones included (recent filings are mostly still pending).")
    of = ("of these claims" if ctx.filters.basis == "service" else
          "decided in range" if cohort == "decided" else "filed in range")
    tabs = st.tabs(list(BY.values()))
    for tab, (by, label) in zip(tabs, BY.items()):
        with tab:
            frame = ua.call(ctx, "action.appeal_timing", filters=ctx.filters, by=by, cohort=cohort)
            if frame.height == 0:
                ui.empty_note(f"appeals {of.replace('range', 'this date range')} by {label.lower()}")
                continue
            if by in ("payer", "root_cause"):
                rates = ctx.kpis(by=(by,), kpi_keys=["appeal_rate", "claims_denied"])
                keep = [c for c in (by, "payer_name", "appeal_rate", "appeal_rate__num", "appeal_rate__den")
                        if c in rates.columns]
                frame = frame.join(rates.select(keep), on=by, how="left")
            if cohort == "decided":     # no pending appeal in it, and its filings are its decisions: not shown
                frame = frame.drop("appeals_filed", "appeals_pending").sort("appeals_decided", descending=True)
            else:
                frame = frame.sort("appeals_filed", descending=True)
            if "payer_name" in frame.columns:
                frame = frame.with_columns(pl.col("payer_name").fill_null(pl.col("payer")))
            # the row's name, then the win ratio and its counts: after the counts, the ratio sat past the
            # table's edge at 1,440 px
            frame = ut.columns_first(frame, [by, "payer_name", "appeal_win_ratio", "appeals_won", "appeals_decided",
                                             "appeals_filed", "appeals_pending", "appeal_rate"])
            # bars named as the table beside them names its rows: payer names, root causes in words, "Level 2"
            names = frame["payer_name"].fill_null(frame["payer"]).to_list() if "payer_name" in frame.columns \
                else [ut.value_label(by, v) if by in ut.LABELLED_COLUMNS else f"Level {v}" if by == "appeal_level"
                      else str(v) for v in frame[by].to_list()]
            c1, c2 = ui.grid([2, 3], f"ap-win-{by}", min_px=CHART_MIN_PX)
            with c1:
                fig = go.Figure(go.Bar(
                    y=names, x=frame["appeal_win_ratio"].to_list(), orientation="h",
                    # each bar in its band's colour; grey under the minimum volume of decided appeals
                    marker_color=[brief.BAND_COLOURS[metrics.band("appeal_win_ratio", w, d)]
                                  for w, d in zip(frame["appeal_win_ratio"], frame["appeals_decided"])],
                    customdata=[[str(v), w, d] for v, w, d in zip(frame[by], frame["appeals_won"],
                                                                  frame["appeals_decided"])],
                    hovertemplate="%{y}: %{x:.1%} (%{customdata[1]} of %{customdata[2]} decided)<extra></extra>"))
                for name, lo, hi in brief.band_ranges("appeal_win_ratio", 1.0):
                    fig.add_vrect(x0=lo, x1=hi, fillcolor=brief.BAND_FILL[name], line_width=0, layer="below")
                fig.update_layout(template=brief.TEMPLATE, height=max(200, 60 + 28 * len(names)),
                                  xaxis={"tickformat": ".0%", "range": [0, 1], "dtick": 0.25},
                                  yaxis={"autorange": "reversed", **NAME_AXIS},
                                  margin={"l": 10, "r": 10, "t": 30, "b": 10},
                                  title={"text": f"Appeal win ratio by {label.lower()}", "font": {"size": 14}})
                dim = {"payer": "payer", "root_cause": "root_cause"}.get(by)
                ui.chart(fig, key=f"ap-win-{by}", on_select=ui.narrow(f"ap-win-{by}", dim) if dim else None)
            with c2:
                cfg = {"payer": None, "payer_name": st.column_config.TextColumn("Payer", pinned=True),
                              "appeal_win_ratio": ut.kpi_column("appeal_win_ratio", f"Win ratio (appeals {of})"),
                       "appeal_rate": ut.kpi_column("appeal_rate"),
                       "recovered_on_appeal": st.column_config.NumberColumn(
                           "Recovered on appeal", format="dollar", step=1,
                           help="What the appeal records report as recovered by the appeals won (the appeal file's "
                                "recovered amount). The Recovered dollars tile counts the payers' payments on the "
                                "remits instead, so the two can differ."),
                       "appeals_filed": st.column_config.NumberColumn("Appeals filed", format="localized",
                                                                      help="Appeals filed in the range."),
                       "appeals_decided": st.column_config.NumberColumn(
                           "Appeals decided", format="localized",
                           help="Appeals decided in the range (won, partly won, lost)." if cohort == "decided" else
                                "Of the appeals filed in the range, those decided (won, partly won, lost)."),
                       "appeals_won": st.column_config.NumberColumn(
                           "Appeals won", format="localized", help="Of those decided, won fully or in part."),
                       "appeals_pending": st.column_config.NumberColumn(
                           "Appeals pending", format="localized", help="Of the appeals filed in the range, those not "
                                                                       "decided yet."),
                       "median_days_denial_to_appeal": st.column_config.NumberColumn("Median days to appeal"),
                       "median_days_to_decision": st.column_config.NumberColumn("Median days to decision")}
                ut.table(frame, key=f"ap-table-{by}", column_config=cfg)
                ut.export_buttons(frame, f"appeals-by-{by}", f"ap-table-{by}-x")
    st.caption("Shaded: the appeal-win-ratio benchmark bands (" + ut.band_words("appeal_win_ratio") + "); a bar "
               f"takes its band's colour, grey with fewer than {metrics.MIN_BAND_VOLUME} appeals decided. Click a "
               "payer or root-cause bar to narrow every view to it.")

    # ------------------------------------------------------------ leakage
    st.subheader("Leakage: denials not worked in time")
    days = st.number_input("Not worked within (days of the denial)", min_value=1, max_value=365, value=30, step=1,
                           key="lk_days", bind="query-params", width=260,
                           help="A denial is leakage when, within this many days of its initial adjudication, it got "
                                "no appeal, no corrected claim and no write-off. Denials younger than this are not "
                                "counted yet.")
    by_site = ua.call(ctx, "action.leakage", as_of=ctx.as_of, days=int(days), filters=ctx.filters, by="site")
    by_payer = ua.call(ctx, "action.leakage", as_of=ctx.as_of, days=int(days), filters=ctx.filters, by="payer")
    lost_dollars = by_site["never_worked_dollars"].sum() if by_site.height else 0.0
    lost_claims = by_site["never_worked_claims"].sum() if by_site.height else 0
    denied_old = by_site["denied_dollars"].sum() if by_site.height else 0.0
    still_open = by_site["never_worked_open_dollars"].sum() if by_site.height else 0.0
    st.markdown(f"### {ua.money(lost_dollars)} of denials not worked within {int(days)} days")
    st.caption(f"{lost_claims:,} denied claims of the date range got no appeal, corrected claim or write-off within "
               f"{int(days)} days of the denial (as of {ctx.as_of:%d %b %Y}), out of {ua.money(denied_old)} denied on "
               f"claims denied at least {int(days)} days ago. Of them, {ua.money(still_open)} is still open denied "
               "dollars; the rest was worked later, paid, or is contractual (open denied dollars, docs/metrics.md).")
    if by_site.height == 0:
        ui.empty_note(f"denials at least {int(days)} days old")
    else:
        c1, c2 = ui.grid(2, "lk", min_px=CHART_MIN_PX)
        for col, frame, by, label in ((c1, by_site, "site", "Site"), (c2, by_payer, "payer", "Payer")):
            with col:
                frame = ui.with_names(ctx, frame.sort("never_worked_dollars", descending=True), by)
                frame = frame.select([by, f"{by}_name", "never_worked_dollars", "never_worked_claims",
                                      "never_worked_share", "never_worked_open_dollars", "denied_dollars",
                                      "denied_claims"])
                # bars along, names down the side: upright, the names (slanted or vertical) took most of the
                # chart in a narrow column and were cut ('Northside Orthopedics & Sports…')
                names = frame[f"{by}_name"].to_list()
                fig = go.Figure(go.Bar(y=names, x=frame["never_worked_dollars"].to_list(), orientation="h",
                                       marker_color="#cf222e", customdata=[[str(v)] for v in frame[by]],
                                       hovertemplate="%{y}: %{x:$,.0f} not worked in time<extra></extra>"))
                fig.update_layout(template=brief.TEMPLATE, height=max(200, 60 + 24 * len(names)),
                                  xaxis={"tickformat": "$~s", "nticks": 5, "automargin": True},
                                  yaxis={"autorange": "reversed", **NAME_AXIS},
                                  margin={"l": 10, "r": 10, "t": 30, "b": 10},
                                  title={"text": f"Not-worked dollars by {label.lower()}", "font": {"size": 14}})
                ui.chart(fig, key=f"lk-{by}", on_select=ui.narrow(f"lk-{by}", by))
                ut.table(frame, key=f"lk-table-{by}", column_config={
                    by: None, f"{by}_name": st.column_config.TextColumn(label, pinned=True),
                    "denied_dollars": st.column_config.NumberColumn(
                        "Denied", format="dollar", step=1,
                        help=f"Denied dollars of the claims denied at least {int(days)} days ago."),
                    "denied_claims": st.column_config.NumberColumn(
                        "Denied claims", format="localized", help=f"Claims denied at least {int(days)} days ago."),
                    "never_worked_dollars": st.column_config.NumberColumn(
                        "Not worked $", format="dollar", step=1,
                        help=f"Denied dollars of the claims with no appeal, corrected claim or write-off within "
                             f"{int(days)} days of the denial."),
                    "never_worked_claims": st.column_config.NumberColumn(
                        "Not worked claims", format="localized",
                        help=f"Claims with no appeal, corrected claim or write-off within {int(days)} days of the denial."),
                    "never_worked_share": st.column_config.NumberColumn(
                        "Share of claims not worked", format="percent", step=0.001,
                        help="Not worked claims / denied claims."),
                    "never_worked_open_dollars": st.column_config.NumberColumn(
                        "Still open $", format="dollar", step=1,
                        help="Open denied dollars of the not-worked claims today: what was not worked later, paid "
                             "or written off since.")})
                ut.export_buttons(frame, f"leakage-by-{by}", f"lk-table-{by}-x")

    # ------------------------------------------------------------ write-offs
    st.subheader("Denials written off, and why")
    wo = ua.call(ctx, "action.write_offs", filters=ctx.filters)
    if wo.height == 0:
        ui.empty_note("write-offs of denied claims")
    else:
        st.markdown(f"**{ua.money(wo['written_off_dollars'].sum())}** written off on {wo['claims'].sum():,} "
                    "initially denied claims of the date range.")
        c1, c2 = ui.grid([2, 3], "wo", min_px=CHART_MIN_PX)
        with c1:
            agg = wo.group_by("write_off_reason").agg(pl.col("written_off_dollars").sum()) \
                .sort("written_off_dollars", descending=True)
            fig = go.Figure(go.Bar(y=[ut.value_label("write_off_reason", v) if v else "(no reason)"
                                      for v in agg["write_off_reason"]], x=agg["written_off_dollars"].to_list(),
                                   orientation="h", marker_color="#57606a",
                                   hovertemplate="%{y}: %{x:$,.0f}<extra></extra>"))
            fig.update_layout(template=brief.TEMPLATE, height=max(200, 60 + 30 * agg.height),
                              xaxis={"tickformat": "$~s", "nticks": 5, "automargin": True},
                              yaxis={"autorange": "reversed", **NAME_AXIS},
                              margin={"l": 10, "r": 10, "t": 30, "b": 10},
                              title={"text": "Written off by reason", "font": {"size": 14}})
            ui.chart(fig, key="wo-reason")
        with c2:
            ut.table(wo, key="wo-table", column_config={
                "written_off_dollars": st.column_config.NumberColumn("Written off", format="dollar", step=1)})
            ut.export_buttons(wo, "write-offs", "wo-table-x")
