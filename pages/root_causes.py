"""Root causes (where to act): which causes carry the denied dollars (Pareto), which CARCs within a
cause, who owns each cause and at which stage it arises, how much is avoidable, how each cause
trends (with the week its level changed), and the claims behind a cause and week."""
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from pages import ui, ui_action as ua, ui_matrix, ui_tables as ut
from warehouse import action, brief, periods
from warehouse.query import Filters

CAUSE_KPIS = ["denied_dollars", "claims_denied", "denial_rate", "denial_rate_dollars"]
PRACTICE_STAGES = ("front_end", "back_end", "clinical")
WHOLE = "(whole range)"


def _carc_label(carc: str, description: str | None) -> str:
    """'29 · Claim was filed after the p…': a CARC named on its bar, not 'CARC 29' alone (a review)."""
    return f"{carc} · {ui_matrix.short(description, 28)}" if description else f"CARC {carc}"


def pareto_layout(fig: go.Figure) -> go.Figure:
    """A Pareto (ua.pareto_figure) that reads at any width: the legend at the foot, every bar named
    (plotly dropped every other cause name in a narrow chart), the axes making room for their labels."""
    names = list(fig.data[0].x)
    fig.update_layout(legend=brief.FOOT_LEGEND)
    fig.update_xaxes(tickmode="array", tickvals=names, ticktext=names, tickangle=-45, automargin=True)
    fig.update_yaxes(automargin=True)
    return fig

ui.follow_goto()
ctx = ui.start("Root causes", "Which causes carry the denied dollars, who owns them, how much was avoidable, and "
                              "when a cause's trend changed. Click a bar or a week to see the claims behind it.")
if ctx:
    ui.band_css()
    with st.spinner("Computing denied dollars by cause ..."):
        causes = ctx.kpis(by=("root_cause", "stage", "owner_team", "soft_hard"), kpi_keys=CAUSE_KPIS)
        total = ctx.kpis(kpi_keys=["denied_dollars", "claims_denied", "denial_rate", "claims_adjudicated"])
        by_soft = ctx.kpis(by=("soft_hard",), kpi_keys=["denied_dollars"])
        by_stage = ctx.kpis(by=("stage",), kpi_keys=["denied_dollars", "claims_denied"])
    causes = causes.filter(pl.col("root_cause").is_not_null())
    tot = total.to_dicts()[0]
    if not tot.get("denied_dollars"):
        ui.empty_note("denied dollars in this date range")
    else:
        # ------------------------------------------------------------ tiles: how much was avoidable
        denied = tot["denied_dollars"]
        soft = by_soft.filter(pl.col("soft_hard") == "soft")["denied_dollars"].sum()
        hard = by_soft.filter(pl.col("soft_hard") == "hard")["denied_dollars"].sum()
        practice = by_stage.filter(pl.col("stage").is_in(PRACTICE_STAGES))["denied_dollars"].sum()
        t = ui.grid(4, "rc-tiles")
        ui.kpi_tile(t[0], "denied_dollars", tot, key="rc-denied")
        ua.tile(t[1], "Practice-controlled", ua.money(practice), key="rc-practice",
                help="Denied dollars whose cause arises at a stage the practice controls: front end "
                     "(registration, eligibility, authorization), back end (coding, billing) or clinical "
                     "(documentation, medical necessity). The rest arise at the payer.",
                caption=f"{ua.pct(practice / denied)} of denied dollars: preventable at the source")
        ua.tile(t[2], "Soft (workable)", ua.money(soft), key="rc-soft",
                help="Denied dollars of soft denials: a corrected claim or an appeal can still recover them.",
                caption=f"{ua.pct(soft / denied)} of denied dollars")
        ua.tile(t[3], "Hard (usually written off)", ua.money(hard), key="rc-hard",
                help="Denied dollars of hard denials (timely filing, non-covered, duplicate...): rarely "
                     "recovered, so only prevention helps.",
                caption=f"{ua.pct(hard / denied)} of denied dollars")

        # ------------------------------------------------------------ Pareto of causes
        st.subheader("Pareto: denied dollars by root cause")
        par = ua.pareto(causes, "denied_dollars", "root_cause")
        name = lambda v: ut.value_label("root_cause", v)          # noqa: E731  shown; the values stay codes
        par = par.with_columns(pl.col("root_cause").map_elements(name, return_dtype=pl.String).alias("cause_label"))
        cause_ids = par["root_cause"].to_list()
        cause_opts = cause_ids + sorted(set(causes["root_cause"]) - set(cause_ids))

        def _pick_cause():
            for p in ua.points("rc-pareto"):
                v = ua.custom(p, 0)
                if v in cause_opts:
                    st.session_state["rc_cause"] = v
                    return

        # side by side where the Pareto has room for its cause names (1,440 px), one above the other at 1,000 px
        left, right = ui.grid([3, 2], "rc-charts", min_px=360)
        with left:
            ui.chart(pareto_layout(ua.pareto_figure(par, "root_cause", "denied_dollars", "cause_label",
                                                    "Denied dollars by root cause")),
                     key="rc-pareto", on_select=_pick_cause)
            st.caption("Dotted line: 80% of denied dollars. Click a bar to break that cause down by CARC below.")
        with right:
            stage_fig = go.Figure()
            stage_rows = {r["stage"]: r for r in by_stage.filter(pl.col("stage").is_not_null()).to_dicts()}
            for r in [stage_rows[k] for k in brief.STAGES + sorted(set(stage_rows) - set(brief.STAGES))
                      if k in stage_rows]:
                stage_fig.add_trace(go.Bar(x=[r["denied_dollars"]], y=["Denied $"], orientation="h",
                                           name=brief.STAGE_LABELS.get(r["stage"], r["stage"]),
                                           marker_color=brief.STAGE_COLOURS.get(r["stage"], "#57606a"),
                                           customdata=[[r["stage"]]],
                                           hovertemplate=f"{brief.STAGE_LABELS.get(r['stage'], r['stage'])}: "
                                                         "%{x:$,.0f}<extra></extra>"))
            # short ticks ('$500k'), few of them: '$500,000' ticks slanted and overprinted in a 208 px column
            stage_fig.update_layout(template=brief.TEMPLATE, barmode="stack", height=230,
                                    xaxis={"tickformat": "$~s", "nticks": 5, "automargin": True},
                                    yaxis={"automargin": True},
                                    title={"text": "Where denials arise (stage)", "font": {"size": 14}},
                                    margin={"l": 10, "r": 10, "t": 40, "b": 10}, legend=brief.FOOT_LEGEND)
            ui.chart(stage_fig, key="rc-stage", on_select=ui.narrow("rc-stage", "stage"))
            st.caption("Click a stage to narrow every view to it (sidebar filter).")

        # ------------------------------------------------------------ the cause table: stage, team, share
        table = par.select("root_cause", "stage", "owner_team", "soft_hard", "denied_dollars", "cum_share",
                           "claims_denied", "denial_rate", "denial_rate__num", "denial_rate__den",
                           "denial_rate_dollars").with_columns(
            (pl.col("denied_dollars") / denied).alias("share_of_denied"))   # stage shown and exported by its label
        table = ut.with_parts(table, ["denial_rate"]).drop("denial_rate__num", "denial_rate__den")
        table = table.select("root_cause", "stage", "owner_team", "soft_hard", "denied_dollars", "share_of_denied",
                             "cum_share", "claims_denied", "denial_rate", "denial_rate_parts", "denial_rate_dollars")
        ut.table(table, key="rc-table", column_config={
            "root_cause": st.column_config.TextColumn("Root cause", pinned=True),
            "stage": st.column_config.TextColumn("Stage", help="Where the cause arises (taxonomy): front end, "
                                                 "back end, clinical or payer."),
            "owner_team": st.column_config.TextColumn("Owner team", help="The team that owns fixing the cause "
                                                      "(taxonomy)."),
            "soft_hard": st.column_config.TextColumn("Soft/hard", help="soft: can be worked; hard: usually written off."),
            "denied_dollars": ut.kpi_column("denied_dollars"),
            "share_of_denied": st.column_config.NumberColumn("Share of denied $", format="percent", step=0.001),
            "cum_share": st.column_config.NumberColumn("Cumulative share", format="percent", step=0.001),
            "claims_denied": ut.kpi_column("claims_denied"),
            "denial_rate": ut.kpi_column("denial_rate", "Denial rate (this cause)"),
            "denial_rate_parts": ut.parts_column("denial_rate"),
            "denial_rate_dollars": ut.kpi_column("denial_rate_dollars")})
        st.caption("A cause's denial rate is its denied claims over all claims adjudicated, so the causes add up "
                   "to the total denial rate.")
        ut.export_buttons(table, "root-causes", "rc-table-x")

        # ------------------------------------------------------------ CARCs within a cause
        st.subheader("Within a cause: which CARCs")
        cause = st.selectbox("Root cause", cause_opts, key="rc_cause", bind="query-params", width=320,
                             format_func=name, help="Click a bar of the Pareto to pick it.")
        carcs = ctx.kpis(by=("carc",), filters=ua.with_values(ctx.filters, root_cause=[cause]),
                         kpi_keys=["denied_dollars", "claims_denied"])
        carcs = ua.pareto(carcs.filter(pl.col("carc").is_not_null()), "denied_dollars", "carc")
        if carcs.height == 0:
            ui.empty_note(f"CARCs of {name(cause)}")
        else:
            ui.chart(pareto_layout(ua.pareto_figure(
                carcs.with_columns(pl.Series("lbl", [_carc_label(c, d) for c, d in
                                                     zip(carcs["carc"], carcs["carc_description"])], pl.String)),
                "carc", "denied_dollars", "lbl", f"{name(cause)}: denied dollars by CARC", colour="#d4a72c")),
                key="rc-carc")
            show = carcs.select("carc", "denied_dollars", "cum_share", "claims_denied", "carc_description")
            ut.table(show, key="rc-carc-table", column_config={
                "carc": st.column_config.TextColumn("CARC"),
                "denied_dollars": ut.kpi_column("denied_dollars"),
                "cum_share": st.column_config.NumberColumn("Cumulative share", format="percent", step=0.001),
                "claims_denied": st.column_config.NumberColumn("Claims denied", help="Claims with a denied line "
                                                               "whose largest denial adjustment has this CARC."),
                "carc_description": st.column_config.TextColumn("Description", width="medium")})
            ut.export_buttons(show, f"carcs-{cause}", "rc-carc-x")
            whole = table.filter(pl.col("root_cause") == cause)["denied_dollars"].sum()
            by_line = carcs["denied_dollars"].sum()
            st.caption(
                f"By line: each denied line's dollars under its own largest denial CARC, {ut.fmt('denied_dollars', by_line)} "
                f"for {name(cause)} in all; a claim with lines under two CARCs counts once under each in 'Claims "
                "denied'. " + ("" if abs(whole - by_line) < 0.5 else
                               f"The cause table above places each denied claim whole under the cause of its "
                               f"largest denied line ({ut.fmt('denied_dollars', whole)} for {name(cause)}): "
                               "the difference is the claims whose denied lines have different causes."))

        # ------------------------------------------------------------ trend per cause with change weeks
        st.subheader("Trend per cause")
        measure = st.radio("Measure", ["denied_dollars", "denial_rate"], horizontal=True, key="rc_measure",
                           format_func={"denied_dollars": "Denied dollars", "denial_rate": "Denial rate"}.get)
        weekly = ctx.kpis(by=("root_cause", "week"), kpi_keys=["denied_dollars", "denial_rate"])
        weeks_frame = ctx.kpis(by=("week",), kpi_keys=["claims_adjudicated"])
        weeks = sorted(w for w in weeks_frame["week"].to_list() if w)
        weekly = weekly.filter(pl.col("root_cause").is_not_null() & pl.col("week").is_not_null())
        # a week with claims but none denied for a cause is a 0 for that cause, not a gap
        grid = pl.DataFrame({"week": weeks}, schema={"week": pl.String}).join(
            pl.DataFrame({"root_cause": cause_opts}, schema={"root_cause": pl.String}), how="cross")
        series = grid.join(weekly.select("root_cause", "week", "denied_dollars", "denial_rate"),
                           on=["root_cause", "week"], how="left").with_columns(
            pl.col("denied_dollars").fill_null(0.0), pl.col("denial_rate").fill_null(0.0))
        per_cause, changes = {}, []
        for c in cause_opts:
            s = series.filter(pl.col("root_cause") == c).sort("week")
            if s.height == 0:
                continue
            wk = action.change_week(s, value=measure)
            per_cause[c] = (s, wk)
            if wk:
                changes.append({"root_cause": c, "change_week": wk,
                                "weekly_before": s.filter(pl.col("week") < wk)[measure].mean(),
                                "weekly_after": s.filter(pl.col("week") >= wk)[measure].mean()})
        changed = [r["root_cause"] for r in changes]
        shown = st.multiselect("Causes on the chart", cause_opts, format_func=name,
                               default=cause_ids[:5] + [c for c in changed if c not in cause_ids[:5]],
                               key="rc_trend_causes",
                               help="By default the five causes with most denied dollars and every cause whose "
                                    "level changed.")
        fig = go.Figure()
        colours = brief.cause_colours(cause_opts)        # as on the weekly review and the brief
        for c in cause_opts:
            if c not in per_cause or c not in shown:
                continue
            s, wk = per_cause[c]
            colour = colours[c]
            fig.add_trace(go.Scatter(x=s["week"].to_list(), y=s[measure].to_list(), mode="lines+markers", name=name(c),
                                     line={"color": colour, "width": 2}, marker={"size": 5},
                                     customdata=[[c, w] for w in s["week"]],
                                     hovertemplate=name(c) + " %{x}: " + ("%{y:$,.0f}" if measure == "denied_dollars"
                                                                    else "%{y:.1%}") + "<extra></extra>"))
            if wk:
                y = s.filter(pl.col("week") == wk)[measure][0]
                # no text label: several causes changing in one week printed theirs on top of each other;
                # the star takes its cause's colour, the hover names it, the table below lists every change
                fig.add_trace(go.Scatter(x=[wk], y=[y], mode="markers", showlegend=False, customdata=[[c, wk]],
                                         marker={"symbol": "star", "size": 16, "color": colour,
                                                 "line": {"color": "black", "width": 1}},
                                         hovertemplate=name(c) + ": level changed in %{x}<extra></extra>"))
        fig.update_layout(template=brief.TEMPLATE, height=420, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                          yaxis={"tickformat": "$,.0f" if measure == "denied_dollars" else ".1%"},
                          xaxis={"type": "category", "automargin": True}, legend=brief.FOOT_LEGEND)

        def _pick_week():
            for p in ua.points("rc-trend"):
                c, w = ua.custom(p, 0), ua.custom(p, 1)
                if c in cause_opts and w in weeks:
                    st.session_state["rc_cause"] = c
                    st.session_state["rc_week"] = w
                    return

        ui.chart(fig, key="rc-trend", on_select=_pick_week)
        st.caption("Stars, in their cause's colour (hover for its name; all listed in the table below): the week a "
                   "cause's weekly level changed (the best single step fit, kept only when the two "
                   "levels differ by more than twice their standard error; at least 4 weeks each side). Click a "
                   "point to list that cause's claims of that week below.")
        if changes:
            ch = pl.DataFrame(changes)
            fmt_ = ({"format": "dollar", "step": 1} if measure == "denied_dollars"
                    else {"format": "percent", "step": 0.001})
            ut.table(ch, key="rc-changes", column_config={
                "weekly_before": st.column_config.NumberColumn("Weekly level before", **fmt_),
                "weekly_after": st.column_config.NumberColumn("Weekly level from then on", **fmt_)})
        else:
            st.caption("No cause changed level in this range (or fewer than 8 weeks to tell).")

        # ------------------------------------------------------------ the claims behind a cause and week
        st.subheader("The claims behind it")
        wk_opts = [WHOLE] + list(reversed(weeks))
        week = st.selectbox("Week", wk_opts, key="rc_week", bind="query-params", width=220,
                            help="A click on the trend picks the cause and the week.")
        if week == WHOLE:
            d_from, d_to = ctx.filters.date_from, ctx.filters.date_to
        else:
            d_from, d_to = periods.iso_week(week)
        f = ua.with_values(ctx.filters, root_cause=[cause])
        f = Filters.make(f.as_dict(), d_from, d_to, f.basis)
        ui.page_link("payer_drilldown", f"Open {name(cause)} ({week if week != WHOLE else 'whole range'}) in the payer "
                     "drill-down", ctx, date_from=d_from, date_to=d_to, root_cause=[cause])
        ua.claim_table(ctx, f, "rc-claims", f"Claims denied for {name(cause)}, "
                       + (f"week {week}" if week != WHOLE else "over the date range"))
