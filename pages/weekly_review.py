"""Weekly review (the practice owner): the last complete week against the week before and the
13-week average, where the money leaks, what it costs to rework, what changed, and the brief."""
import datetime as dt

import streamlit as st

from pages import ui, ui_access, ui_address, ui_tables as ut
from warehouse import brief, compare, periods

PICKER_WEEKS = 104

ui.follow_goto()
ctx = ui.start("Weekly review", "One week against the week before and the 13-week average. Hover a number for "
                                "its definition and benchmark; click a chart to narrow the view.")
if ctx:
    ui.band_css()
    # the week under review: a picker bound to the URL; by default the last complete week of the range
    latest, _ = periods.last_complete_week(ctx.as_of)
    default_monday = ui.default_week(ctx)
    # the picker reaches back to the range's week when the range ends long ago (it opened on the latest
    # week, unsaid, where the Overview shows the range's)
    back = max(PICKER_WEEKS, (latest - default_monday).days // 7 + 1)
    weeks = [periods.week_label(latest - dt.timedelta(weeks=i)) for i in range(back)]
    default = periods.week_label(default_monday)
    linked = st.query_params.get("week") if "week" not in st.session_state else None
    if linked is not None and linked not in weeks:      # a stale or future week in a link: said, as the sidebar does
        st.warning(f"This link names the week '{ui_address.md_literal(linked)}', which is not a complete week of this "
                   f"warehouse (the data runs through {ctx.as_of:%a %d %b %Y}): showing {default} instead.",
                   icon=":material/link_off:")
    week = st.selectbox("Week under review", weeks, index=weeks.index(default) if default in weeks else 0,
                        key="week", bind="query-params", width=220,
                        help="By default the last complete Monday–Sunday week ending on or before the end of the "
                             "sidebar's date range; on the date-of-service basis, the latest such week whose claims "
                             f"are at least {brief.MATURE_SHARE:.0%} adjudicated against the weeks before it (the "
                             "last weeks by date of service are still being adjudicated). Clicking a week on a "
                             "trend picks it.")
    week_start, week_end = periods.iso_week(week)
    with st.spinner("Computing the week ..."):
        review = ui.call(ctx, "brief.weekly_review", filters=ctx.filters, week_start=week_start, as_of=ctx.as_of)
    st.subheader(f"Week {review.week} ({week_start:%d %b} – {week_end:%d %b %Y})")
    base_note = (f"13-week average: {len(review.baseline_weeks)} week(s), {review.baseline_weeks[0]} – "
                 f"{review.baseline_weeks[-1]}" if review.baseline_weeks
                 else "No earlier weeks in the warehouse yet, so no 13-week average")
    st.caption(f"{base_note}. Tile border and badge: benchmark band. The sidebar filters apply; the week replaces "
               "the date range.")

    if not review.has_data:
        ui.empty_note(f"week {review.week} with these filters", "pick another week or clear a filter in the sidebar")
    else:
        thin = brief.thin_week_note(review, ctx.filters.basis)
        if thin:
            st.warning(thin, icon=":material/hourglass_top:")
        # ------------------------------------------------------------ the week in numbers
        for i, key in enumerate(brief.REVIEW_KPIS):
            if i % 4 == 0:
                cols = ui.grid(4, f"wr-tiles-{i // 4}")
            ui.kpi_tile(cols[i % 4], key, review.this, previous=review.previous, baseline=review.baseline,
                        trend=review.trend[key].to_list(), key=f"wr-{key}")
        st.caption(f"{review.this.get('claims_adjudicated') or 0:,} claims adjudicated, "
                   f"{review.this.get('claims_denied') or 0:,} denied, "
                   f"{ut.fmt('billed_dollars', review.this.get('billed_dollars'))} billed this week. Recovered "
                   "and open denied dollars follow each week's denials over time: a recent week's have had less "
                   "time to be appealed or corrected, so its recovered dollars start low and rise.")

        # ------------------------------------------------------------ 13-week trends
        st.subheader("13-week trends")
        st.caption("Shaded: the benchmark bands (green good, amber typical, red concern); dashed: the 13-week "
                   "average (the 13 weeks *before* the week under review). The lines end with the week under "
                   "review. Click a week to make it the week under review.")
        for i, key in enumerate(brief.REVIEW_KPIS):
            if i % 4 == 0:
                tcols = ui.grid(4, f"wr-trends-{i // 4}")
            with tcols[i % 4]:
                ui.chart(brief.trend_figure(review, key), key=f"wr-trend-{key}",
                         on_select=ui.narrow_week(f"wr-trend-{key}", weeks))

        # ------------------------------------------------------------ where the money leaks
        st.subheader("Where the money leaks")
        # paid claims taken back and denied this week: money already received leaking out, which the denial
        # KPIs (initial denials) do not count; first in the section, where it is seen
        took = brief.takeback_note(review)
        if took:
            # the link under the note, not beside it: in a quarter of the row its label was cut to
            # "Work queue: cl…" at 1,000 px (a review)
            st.warning(took, icon=":material/undo:")
            ui.page_link("work_queue", "Work queue: claims denied after payment", ctx,
                         params={"wq_status": "denied after payment"},
                         help="Every claim denied after payment not yet worked (status 'denied after payment'), "
                              "not only this week's; one appealed or corrected since shows under that status.")
        left, mid, right = ui.grid([2, 2, 1.3], "wr-leaks")
        with left:
            ui.chart(brief.stage_figure(review), key="wr-stage", on_select=ui.narrow("wr-stage", "stage"))
            ui.chart(brief.stage_trend_figure(review), key="wr-stage-trend",
                     on_select=ui.narrow("wr-stage-trend", "stage"))
        with mid:
            if review.by_cause.height:
                ui.chart(brief.cause_figure(review), key="wr-cause", on_select=ui.narrow("wr-cause", "root_cause"))
                ui.chart(brief.cause_trend_figure(review), key="wr-cause-trend",
                         on_select=ui.narrow("wr-cause-trend", "root_cause"))
            else:
                st.info(f"No denied dollars in week {review.week} with these filters.")
        with right:
            with st.container(border=True):
                st.markdown("**Cost of reworking this week's denials**")
                cost = st.number_input("Cost per reworked claim ($)", min_value=0.0, max_value=10_000.0,
                                       value=compare.REWORK_COST_DEFAULT, step=1.0, key="rework_cost",
                                       bind="query-params", help=compare.REWORK_COST_SOURCE)
                with st.expander("Range"):
                    low = st.number_input("Low ($ per claim)", min_value=0.0, max_value=10_000.0,
                                          value=compare.REWORK_COST_LOW, step=1.0, key="rework_low",
                                          bind="query-params")
                    high = st.number_input("High ($ per claim)", min_value=0.0, max_value=10_000.0,
                                           value=compare.REWORK_COST_HIGH, step=1.0, key="rework_high",
                                           bind="query-params")
                # the range holds the point (widened to it, with a note); the brief reads the same three
                est, note = brief.rework_estimate(review.this.get("claims_denied"), cost=cost, low=low, high=high)
                st.metric("Point estimate", f"${est['point']:,.0f}",
                          help=f"{est['claims']:,} denied claims × {brief.per_claim(cost)} per reworked claim. "
                               + compare.REWORK_COST_SOURCE)
                st.caption(f"Range ${est['low']:,.0f} – ${est['high']:,.0f}: {est['claims']:,} denied claims × "
                           f"{brief.per_claim(est['cost_low'])} – {brief.per_claim(est['cost_high'])} per claim.")
                if note:
                    st.warning(note, icon=":material/info:")

        # ------------------------------------------------------------ what changed
        st.subheader("What changed")
        st.caption("The five biggest movers in denied dollars this week against their 13-week weekly average, "
                   "across payer, site and root cause. Each link opens the view that explains it.")
        if review.movers.height == 0:
            st.info("No movers: " + ("no earlier weeks to compare with." if not review.baseline_weeks
                                     else "denied dollars did not move against the 13-week average."))
        else:
            for i, r in enumerate(review.movers.to_dicts()):
                change = brief.format_delta("denied_dollars", r["change"], 0)
                text = (f"**{r['dim_label']}: {r['label']}** {change} "
                        f"({ut.fmt('denied_dollars', r['this_week'])} this week vs "
                        f"{ut.fmt('denied_dollars', r['baseline_avg'])} a week on average)")
                c1, c2 = ui.grid([3, 1], f"wr-mover-{i}")
                c1.markdown((":red[:material/trending_up:] " if r["change"] > 0 else ":green[:material/trending_down:] ")
                            + text)
                if r["dim"] == "payer":
                    ui.page_link("payer_drilldown", "Open payer drill-down", ctx, container=c2,
                                 date_from=week_start, date_to=week_end, payer=[r["value"]])
                elif r["dim"] == "site":
                    ui.page_link("weekly_review", "Open this site's review", ctx, container=c2, site=[r["value"]],
                                 extra={"week": review.week})
                else:
                    ui.page_link("payer_drilldown", "Open the payers behind it", ctx, container=c2,
                                 date_from=week_start, date_to=week_end, root_cause=[r["value"]])
            ut.export_buttons(review.movers_export, f"movers-{review.week}", "wr-movers")

        # ------------------------------------------------------------ the weekly table and the brief
        st.subheader(f"The 13 weeks to {review.week}")
        st.caption(f"{review.trend['week'][0]} – {review.week}, the week under review included; the 13-week "
                   "average on the tiles is over the 13 weeks before it, so it is not this table's average.")
        table = review.trend.drop("week_start").select(
            ["week"] + [k for k in brief.REVIEW_KPIS] + ["claims_adjudicated", "claims_denied", "billed_dollars"]
        ).reverse()                                                     # the week under review first
        ut.dataframe(table,
                     column_config={"week": st.column_config.TextColumn("Week", pinned=True)}
                     | {k: ut.kpi_column(k) for k in brief.REVIEW_KPIS + ["claims_adjudicated", "claims_denied",
                                                                          "billed_dollars"]})
        ut.export_buttons(table, f"weekly-review-{review.week}", "wr-weeks")

        def _brief_html(version=ctx.version, scope_key=ctx.scope.cache_key, filters=ctx.filters,
                        week=review.week, rework=(cost, low, high), text=ui.filters_text(ctx)) -> bytes:
            return ui.cached_brief_html(version, scope_key, filters, week, *rework, text)

        # named by week and scope: the briefs of several sites (or payers) do not overwrite each other
        brief_name = brief.file_name(review.week, ctx.filters, ctx.scope)
        st.download_button("Download the one-page brief (HTML)", _brief_html, brief_name,
                           "text/html", key="wr-brief", icon=":material/description:",
                           on_click=ui_access.audit_export(brief_name.removesuffix(".html"), "html", 1),
                           help="The same numbers and charts as this page, with the rework cost set above, in "
                                f"one self-contained HTML file (also: `python -m warehouse brief --week {review.week} "
                                f"--rework-cost {cost:g} --rework-low {low:g} --rework-high {high:g} --out briefs/`, "
                                "with --filter for the sidebar's filters).")
