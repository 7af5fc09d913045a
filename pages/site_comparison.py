"""Site comparison (the MSO leader): every site on every KPI with benchmark colours, rank and volume;
funnel plots that tell a real outlier from a small site's chance variation; where each site's denied
dollars arise (stage); each site's weekly denial rate. A click on a site opens its weekly review."""
import textwrap

import plotly.graph_objects as go
import polars as pl
import streamlit as st
from plotly.subplots import make_subplots

from pages import ui, ui_funnel as uf, ui_tables as ut
from warehouse import brief, compare
from warehouse import metrics
from warehouse.metrics import KPI_FIELDS, KPIS, MEASURES

TITLE_WRAP = 22            # characters a line of a small multiple's title (the site's name)


def two_lines(name: str) -> list[str]:
    """A name on at most two lines of TITLE_WRAP characters, the second shortened with '…' (the hover
    names the site in full)."""
    lines = textwrap.wrap(name, TITLE_WRAP) or [name]
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), TITLE_WRAP, placeholder=" …")]
    return lines


TABLE_KPIS = [k for k in KPI_FIELDS if k not in ("claims_adjudicated",)] + ["open_denied_dollars"]
PARTS = ["denial_rate", "clean_claim_rate", "appeal_win_ratio"]
FUNNEL_KPIS = ("denial_rate", "clean_claim_rate")
MIX = "payer_class"        # what a site's rates are adjusted for on the funnels (compare.mix_adjusted)
MIX_LABELS = {"mix": "Adjusted for payer mix", "billed": "As they are"}


ui.follow_goto()
ctx = ui.start("Site comparison", "Every site on every KPI over the date range, with benchmark bands, rank and "
                                  "volume. Click a site (table row, funnel point, bar or trend) to open its weekly review.")
if ctx:
    with st.spinner("Computing KPIs per site ..."):
        sites = ctx.kpis(by=("site",), kpi_keys=["claims_adjudicated"] + TABLE_KPIS)
    sites = sites.filter(pl.col("site").is_not_null())
    with st.spinner("Computing KPIs per site and payer class ..."):
        by_mix = ctx.kpis(by=("site", MIX), kpi_keys=list(FUNNEL_KPIS))
    by_mix = by_mix.filter(pl.col("site").is_not_null())
    if sites.height == 0 or not sites["claims_adjudicated"].fill_null(0).sum():
        ui.empty_note("the sites in this date range")
    else:

        # ------------------------------------------------------------ the table
        st.subheader("Sites × KPIs")
        # each funnel KPI's rates adjusted for the sites' payer mix, once: the table shows the denial rate's
        # expected one, the funnels the adjusted rates
        adjusted = {kpi: compare.mix_adjusted(by_mix, kpi, "site", MIX) for kpi in FUNNEL_KPIS}
        expected = adjusted["denial_rate"].select("site", pl.col("denial_rate__expected").alias("denial_rate_expected"))
        table = (sites.with_columns(compare.rank(sites, "denial_rate").alias("rank"),
                                    pl.col("site_name").fill_null(pl.col("site")))
                 .join(expected, on="site", how="left")
                 .pipe(ut.with_bands, TABLE_KPIS).pipe(ut.with_parts, PARTS)
                 .sort(["rank", "site"], nulls_last=True))
        cols = ["rank", "site_name", "claims_adjudicated"]
        for k in TABLE_KPIS:
            cols.append(k)
            if f"{k}_band" in table.columns:
                cols.append(f"{k}_band")
            if k == "denial_rate":
                cols.append("denial_rate_expected")
            if k in PARTS:
                cols.append(f"{k}_parts")
        show = table.select(["site"] + cols)
        config = {"site": None,
                  "rank": st.column_config.NumberColumn(
                      f"Rank of {table['rank'].drop_nulls().len():,}",
                      help="Rank by denial rate among the sites listed here (your access and the sidebar's site "
                           "filter), 1 = lowest (best). Ties share a rank; a site with fewer than "
                           f"{metrics.MIN_BAND_VOLUME} claims adjudicated has none (too few to compare: its rate would "
                           "be chance). Ranks a few tenths of a point apart are no difference: the funnel plots below "
                           "say which gaps are more than chance."),
                  "site_name": st.column_config.TextColumn("Site", pinned=True),
                  "claims_adjudicated": ut.kpi_column("claims_adjudicated", "Volume (claims adjudicated)"),
                  "denial_rate_expected": st.column_config.NumberColumn(
                      "Expected for payer mix", format="percent", step=0.001,
                      help="The denial rate this site would have at the listed sites' own denial rate in each payer "
                           "class (commercial, Medicare, Medicaid, workers' comp, ...), given its mix of claims across "
                           "them. A site above it is denied more than its payers explain; one that bills mostly a "
                           "class with many denials is expected to be denied more, one that bills mostly Medicare "
                           "(few denials) less.")}
        for k in TABLE_KPIS:
            config[k] = ut.kpi_column(k)
            if f"{k}_band" in show.columns:
                config[f"{k}_band"] = ut.band_column(k)
            if k in PARTS:
                config[f"{k}_parts"] = ut.parts_column(k)
        order = list(show["site"])
        site_ids = order                 # the charts below list the sites in the table's (rank) order

        def _open_site(order=order):
            picked = ui.selected("sc-table", order)
            if picked is not None:
                ui.open_page("weekly_review", values={"site": [picked]})

        ut.dataframe(show, column_config=config, key="sc-table",
                     on_select=_open_site, selection_mode="single-row")
        st.caption("Coloured pills: benchmark band of the KPI to their left (hover the column header for the band "
                   "and its source). Select a row to open that site's weekly review.")
        ut.export_buttons(ut.for_export(show), "site-comparison", "sc-table-x")

        # ------------------------------------------------------------ funnel plots
        st.subheader("Funnel plots: outlier or chance?")
        with_volume = sites.filter(pl.col("claims_adjudicated").fill_null(0) > 0).height
        scoped = ctx.scope.site_ids is not None and len(ctx.scope.site_ids) < compare.MIN_UNITS
        if with_volume < compare.MIN_UNITS:
            # a user whose access covers fewer sites than a funnel needs cannot select more (a review: they
            # were told to clear a filter that was already clear)
            st.info(f"A funnel plot compares each site with the group of sites selected; this selection has "
                    f"{with_volume} site{'s' if with_volume != 1 else ''} with claims adjudicated. "
                    + (f"Your access covers {len(ctx.scope.site_ids)} site{'s' if len(ctx.scope.site_ids) != 1 else ''}"
                       f", and a comparison needs at least {compare.MIN_UNITS}: the table above and the stage split "
                       "below still compare them, and the benchmark pills place each against the industry."
                       if scoped else
                       f"Select at least {compare.MIN_UNITS} sites (or clear the site filter) to compare them."))
            if not scoped and ctx.filters.as_dict().get("site"):
                # back from a site's weekly review through the menu, the site filter came along and left one
                # site here (a review): one click back to the whole comparison
                st.button("Compare all sites", key="sc-all-sites", icon=":material/filter_alt_off:",
                          on_click=lambda: st.session_state.__setitem__("site", []))
        else:
            adjust = uf.limits_picker("sc_limits", "site")
            mixed = st.radio(
                "Rates on the funnels", list(MIX_LABELS), format_func=MIX_LABELS.get, key="sc_mix", horizontal=True,
                bind="query-params",
                help="Adjusted for payer mix (default): each site's rate less what its mix of payer classes accounts "
                     "for (its rate − the rate its mix would give at the group's rate per payer class + the group "
                     "rate). A site billing many claims of a class with many denials moves down, one billing mostly "
                     "a class with few denials (Medicare) moves up: neither is judged on its payers. Hover a point "
                     "for both rates. As they are: the rates of the table.") == "mix"
            st.caption("Each site's rate against its volume"
                       + (" (adjusted for its payer mix: its rate − the rate expected for its payer mix + the group "
                          "rate; hover a point for its rate as it is and the expected one)" if mixed else "")
                       + f". The lines are the group rate p of the {with_volume} "
                       f"sites selected (sum of numerators / sum of denominators) and its 95% (z = {compare.Z95}) and "
                       f"99.8% (z = {compare.Z998}) control limits: they widen as volume falls, so a small site outside "
                       "95% but inside 99.8% may be chance; outside 99.8% is a signal. The funnel compares a site with "
                       "this group, the pills in the table with the industry benchmark: a site can be like its peers "
                       "and still a concern.")
            fcols = ui.grid(2, "sc-funnels", min_px=460)   # side by side only where names have room
            for col, kpi in zip(fcols, FUNNEL_KPIS):
                k = KPIS[kpi]
                units = sites
                if mixed:     # the adjusted rates, with the sites' names; a site with no volume has no point
                    units = adjusted[kpi].join(sites.select("site", "site_name"), on="site", how="left")
                f = compare.funnel(units, kpi, adjust=adjust)
                with col:
                    if f["group_rate"][0] is None:
                        ui.empty_note(f"{k.label.lower()} in this date range")
                        continue
                    names_ = f["site_name"].fill_null(f["site"]).to_list()
                    fig = uf.figure(f, kpi, names_, f["site"].to_list(), f"{k.label} vs volume", "group rate",
                                    f"Volume: {MEASURES[k.denominator].label.lower()}")
                    ui.chart(fig, key=f"sc-funnel-{kpi}",
                             on_select=ui.narrow(f"sc-funnel-{kpi}", "site", goto="weekly_review"))
                    st.caption(uf.caption(f, units, kpi, names_, adjust, "site", "payer mix" if mixed else None))

        # ------------------------------------------------------------ stage split
        st.subheader("Where each site's denied dollars arise")
        with st.spinner("Splitting denied dollars by stage ..."):
            stages = ctx.kpis(by=("site", "stage"), kpi_keys=["denied_dollars", "claims_denied"])
        stages = stages.filter(pl.col("site").is_not_null())
        if stages.height == 0:
            ui.empty_note("denied dollars by stage")
        else:
            names = dict(zip(sites["site"], sites["site_name"].fill_null(sites["site"])))
            share = st.radio("Show", ["dollars", "share"], key="sc_stage_measure", horizontal=True,
                             bind="query-params", format_func={"dollars": "Denied dollars",
                                                               "share": "Share of the site's denied dollars"}.get,
                             help="Dollars: a large site's bar dwarfs the others. Share: each site's mix of "
                                  "stages, so sites of any size compare.") == "share"
            totals = dict(stages.group_by("site").agg(pl.col("denied_dollars").sum()).iter_rows())
            fig = go.Figure()
            for stage in brief.STAGES + sorted(set(stages["stage"]) - set(brief.STAGES)):
                part = stages.filter(pl.col("stage") == stage)
                values = dict(zip(part["site"], part["denied_dollars"]))
                dollars = [values.get(s) or 0 for s in site_ids]
                x = [d / totals[s] if totals.get(s) else 0 for d, s in zip(dollars, site_ids)] if share else dollars
                fig.add_trace(go.Bar(y=[names.get(s, s) for s in site_ids], x=x,
                                     orientation="h", name=brief.STAGE_LABELS.get(stage, stage),
                                     customdata=[[s, stage, d] for s, d in zip(site_ids, dollars)],
                                     marker_color=brief.STAGE_COLOURS.get(stage, "#57606a"),
                                     hovertemplate="%{y}<br>" + brief.STAGE_LABELS.get(stage, stage)
                                                   + ": %{customdata[2]:$,.0f} denied"
                                                   + (" (%{x:.0%})" if share else "") + "<extra></extra>"))
            # the legend at the figure's foot: above the plot it wrapped onto the title in a narrow chart
            fig.update_layout(template=brief.TEMPLATE, barmode="stack", height=110 + 34 * len(site_ids),
                              xaxis={"tickformat": ".0%" if share else "$~s", "automargin": True},
                              yaxis={"autorange": "reversed", "automargin": True},
                              margin={"l": 10, "r": 10, "t": 40, "b": 10},
                              legend=brief.FOOT_LEGEND,
                              title={"text": ("Share of each site's denied dollars" if share else "Denied dollars")
                                             + " by stage (front end, back end, clinical, payer)",
                                     "font": {"size": 14}})
            ui.chart(fig, key="sc-stage", on_select=ui.narrow("sc-stage", "site", goto="weekly_review"))
            st.caption("Sites in the table's order (rank by denial rate). Click a bar to open that site's weekly review.")
            split = stages.select("site", "site_name", "stage", "denied_dollars", "claims_denied")
            ut.export_buttons(split, "site-stage-split", "sc-stage-x")

        # ------------------------------------------------------------ small multiples
        st.subheader("Denial rate by week, per site")
        with st.spinner("Computing weekly trends ..."):
            weekly = ctx.kpis(by=("site", "week"), kpi_keys=["denial_rate"])
        weekly = weekly.filter(pl.col("site").is_not_null() & pl.col("week").is_not_null())
        if weekly.height == 0:
            ui.empty_note("weekly denial rates")
        else:
            n = len(site_ids)
            ncols = min(4, n)
            nrows = -(-n // ncols)
            names = dict(zip(sites["site"], sites["site_name"].fill_null(sites["site"])))
            # a site's name on two lines where long: four panels to a row leave ~125 px each at 1,000 px,
            # and 'Westbrook Behavioral Health' ran into the next panel's title
            titles = ["<br>".join(two_lines(names[s])) for s in site_ids]
            fig = make_subplots(rows=nrows, cols=ncols, subplot_titles=titles,
                                shared_yaxes=True, vertical_spacing=0.3 / max(nrows, 1) + 0.06)
            weeks = sorted(weekly["week"].unique().to_list())
            y_max = max(0.12, (weekly["denial_rate"].max() or 0) * 1.15)
            for i, s in enumerate(site_ids):
                r, c = i // ncols + 1, i % ncols + 1
                for name, lo, hi in brief.band_ranges("denial_rate", y_max, weekly):
                    fig.add_hrect(y0=lo, y1=hi, fillcolor=brief.BAND_FILL[name], line_width=0, layer="below",
                                  row=r, col=c, exclude_empty_subplots=False)
                part = weekly.filter(pl.col("site") == s)
                vals = dict(zip(part["week"], part["denial_rate"]))
                fig.add_trace(go.Scatter(x=weeks, y=[vals.get(w) for w in weeks], mode="lines+markers",
                                         customdata=[[s] for _ in weeks], line={"color": "#0969da", "width": 2},
                                         marker={"size": 4}, showlegend=False,
                                         hovertemplate=names[s] + " %{x}: %{y:.1%}<extra></extra>"), row=r, col=c)
            fig.update_yaxes(tickformat=".0%", range=[0, y_max])
            # three week labels under every site (first, middle, last), so a dip can be placed in time; 'W37'
            # with the year under the first, as the weekly review: '2026-W49' ran into the next panel's '2026-W37'
            brief.week_axis(fig, weeks, every=max(1, (len(weeks) - 1) // 2), size=9)
            fig.update_layout(template=brief.TEMPLATE, height=210 * nrows + 50, margin={"l": 10, "r": 10, "t": 50, "b": 10})
            fig.update_annotations(font_size=11)
            ui.chart(fig, key="sc-weekly", on_select=ui.narrow("sc-weekly", "site", goto="weekly_review"))
            st.caption("Shaded: the denial-rate benchmark bands. Click a line to open that site's weekly review.")
            ut.export_buttons(weekly.select("site", "site_name", "week", "denial_rate", "denial_rate__num",
                                            "denial_rate__den"), "site-weekly-denial-rate", "sc-weekly-x")

        st.markdown("**Open a site's weekly review**")
        lc = st.columns(min(4, len(site_ids)))
        names = dict(zip(sites["site"], sites["site_name"].fill_null(sites["site"])))
        for i, s in enumerate(site_ids):
            ui.page_link("weekly_review", names[s], ctx, container=lc[i % len(lc)], site=[s])
