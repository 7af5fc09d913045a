"""A/R (where to act): days in A/R by week per site or payer, the insurance balance in aging buckets,
the share of A/R that is denied balances, and the oldest open claims."""
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from pages import ui, ui_action as ua, ui_tables as ut
from warehouse import brief
from warehouse.action import AGING_BUCKETS
from warehouse.metrics import KPIS
from warehouse.scope import ClaimLevelDenied

TILE_KPIS = ["ar_balance", "ar_days", "ar_over_90_pct"]
OLDEST = 50

ui.follow_goto()
ctx = ui.start("A/R", "Insurance A/R: days in A/R by week, the balance by age, how much of it is denied, and the "
                      "oldest open claims. Measured at the end of the date range (never after the latest remit).")
if ctx:
    ui.band_css()
    as_of = min(ctx.filters.date_to or ctx.as_of, ctx.as_of)
    with st.spinner("Computing A/R ..."):
        tot = ctx.kpis(kpi_keys=TILE_KPIS).to_dicts()[0]
        share = ua.call(ctx, "action.ar_denied_share", as_of=as_of, filters=ctx.filters).to_dicts()[0]
        aging = ua.call(ctx, "action.ar_aging", as_of=as_of, filters=ctx.filters)
    st.caption(f"A/R as of {as_of:%a %d %b %Y}.")
    cols = ui.grid(4, "ar-tiles")
    for i, key in enumerate(TILE_KPIS):
        ui.kpi_tile(cols[i], key, tot, key=f"ar-{key}")
    ua.tile(cols[3], "Denied share of A/R", ua.pct(share["denied_share"]), key="ar-denied-share",
            help="Insurance A/R balance of claims whose initial adjudication denied something / the whole insurance "
                 "A/R balance, at the same date. A denied balance stays in A/R until it is paid, written off or "
                 "moved to the patient.",
            caption=f"{ua.money(share['denied_balance'])} of {ua.money(share['ar_balance'])}"
                    + (f" (100% by construction: {ua.filters_phrase(share['denied_only'])} only claims with a "
                       "denial)" if share["denied_only"] and share["ar_balance"] else ""))

    # ------------------------------------------------------------ aging buckets
    st.subheader("Aging: insurance A/R by age from the date of service")
    if aging.height == 0 or not aging["ar_balance"].sum():
        ui.empty_note("an open A/R balance at this date")
    else:
        buckets = [b for b, _, _ in AGING_BUCKETS]
        rows = {r["bucket"]: r for r in aging.to_dicts()}
        denied = [rows.get(b, {}).get("denied_balance") or 0 for b in buckets]
        whole = [rows.get(b, {}).get("ar_balance") or 0 for b in buckets]
        other = [w - d for w, d in zip(whole, denied)]
        fig = go.Figure()
        fig.add_trace(go.Bar(x=buckets, y=other, name="Not denied", marker_color="#0969da",
                             hovertemplate="%{x} days: %{y:$,.0f} not denied<extra></extra>"))
        fig.add_trace(go.Bar(x=buckets, y=denied, name="Denied balances", marker_color="#cf222e",
                             hovertemplate="%{x} days: %{y:$,.0f} denied<extra></extra>"))
        fig.update_layout(template=brief.TEMPLATE, barmode="relative", height=340, yaxis_tickformat="$,.0f",
                          xaxis={"type": "category", "title": "Days since the date of service"},
                          margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h", "y": 1.1})
        c1, c2 = st.columns([3, 2])
        with c1:
            ui.chart(fig, key="ar-aging")
        with c2:
            table = pl.DataFrame({"bucket": buckets, "claims": [rows.get(b, {}).get("claims") or 0 for b in buckets],
                                  "ar_balance": [float(x) for x in whole], "denied_balance": [float(x) for x in denied]})
            ut.table(table, key="ar-aging-table", column_config={
                "bucket": st.column_config.TextColumn("Age (days)"),
                "claims": st.column_config.NumberColumn("Claims", format="localized",
                                                        help="Claims with a non-zero insurance balance in the bucket."),
                "ar_balance": st.column_config.NumberColumn("A/R", format="dollar", step=1,
                                                            help=KPIS["ar_balance"].definition),
                "denied_balance": st.column_config.NumberColumn("Denied part", format="dollar", step=1,
                                                                help="Balances of initially denied claims.")})
            ut.export_buttons(table, f"ar-aging-{as_of}", "ar-aging-x")
        st.caption("Age = days from the date of service to the as-of date. A credit balance (an overpayment) nets "
                   "against other claims' balances, so a bucket's not-denied part can be below zero.")
        by = st.radio("Aging by", ["site", "payer"], horizontal=True, key="ar_aging_by",
                      format_func={"site": "Site", "payer": "Payer"}.get)
        split = ua.call(ctx, "action.ar_aging", as_of=as_of, filters=ctx.filters, by=by)
        wide = (split.pivot(on="bucket", index=by, values="ar_balance", aggregate_function="sum")
                if split.height else pl.DataFrame())
        if wide.height:
            wide = ui.with_names(ctx, wide.select([by] + [b for b in buckets if b in wide.columns]), by)
            wide = wide.select([by, f"{by}_name"] + [b for b in buckets if b in wide.columns])
            ut.table(wide, key="ar-aging-by", column_config={
                by: None, f"{by}_name": st.column_config.TextColumn("Site" if by == "site" else "Payer", pinned=True)}
                | {b: st.column_config.NumberColumn(b, format="dollar", step=1,
                                                    help=f"Insurance A/R of claims {b} days past their date of service.")
                   for b in buckets})
            ut.export_buttons(wide, f"ar-aging-by-{by}", "ar-aging-by-x")

    # ------------------------------------------------------------ days in A/R trend
    st.subheader("Days in A/R by week")
    trend_by = st.radio("Lines per", ["site", "payer"], horizontal=True, key="ar_trend_by",
                        format_func={"site": "Site", "payer": "Payer"}.get)
    # claims_adjudicated gives kpis() the weeks to measure A/R at (an A/R-only request by week returns none)
    weekly = ctx.kpis(by=("week", trend_by), kpi_keys=["ar_days", "ar_balance", "claims_adjudicated"])
    weekly = weekly.filter(pl.col("week").is_not_null() & pl.col(trend_by).is_not_null())
    if weekly.height == 0:
        ui.empty_note("weekly A/R")
    else:
        name_col = {"site": "site_name", "payer": "payer_name"}[trend_by]
        weeks = sorted(weekly["week"].unique().to_list())
        y_max = max(60.0, (weekly["ar_days"].max() or 0) * 1.1)
        fig = go.Figure()
        for name, lo, hi in brief.band_ranges("ar_days", y_max, weekly):
            fig.add_hrect(y0=lo, y1=hi, fillcolor=brief.BAND_FILL[name], line_width=0, layer="below")
        for key in sorted(weekly[trend_by].unique().to_list()):
            part = weekly.filter(pl.col(trend_by) == key).sort("week")
            label = part[name_col].fill_null(part[trend_by])[0] if name_col in part.columns else key
            vals = dict(zip(part["week"], part["ar_days"]))
            fig.add_trace(go.Scatter(x=weeks, y=[vals.get(w) for w in weeks], mode="lines+markers", name=label,
                                     customdata=[[key] for _ in weeks], marker={"size": 4},
                                     hovertemplate=f"{label} " + "%{x}: %{y:.1f} days<extra></extra>"))
        # the legend at the figure's foot and flat week ticks ('W37', the year under the first, as the weekly
        # review): the legend at a share of the plot's height below it lay on the slanted '2026-W37' ticks
        # (a line a legend row in a narrow chart: the plot keeps its height whatever the number of lines)
        fig.update_layout(template=brief.TEMPLATE, height=max(400, 300 + 20 * len(fig.data)),
                          yaxis={"range": [0, y_max], "title": "Days in A/R"},
                          xaxis={"type": "category", "automargin": True},
                          margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend=brief.FOOT_LEGEND)
        brief.week_axis(fig, weeks, every=max(1, len(weeks) // 6))
        ui.chart(fig, key="ar-trend", on_select=ui.narrow("ar-trend", trend_by))
        st.caption("Each week measured at its last day (never after the latest remit). Shaded: the benchmark bands ("
                   + ut.band_words("ar_days") + "). Click a line to narrow every view to it.")
        show = weekly.select([c for c in ("week", trend_by, name_col, "ar_days", "ar_days__num", "ar_days__den",
                                          "ar_balance") if c in weekly.columns])
        ut.export_buttons(show, f"ar-days-by-week-{trend_by}", "ar-trend-x")

    # ------------------------------------------------------------ oldest open claims
    st.subheader(f"The oldest open claims (first {OLDEST})")
    try:
        oldest = ua.call(ctx, "action.oldest_open_claims", as_of=as_of, limit=OLDEST, filters=ctx.filters)
    except ClaimLevelDenied as exc:
        ua.claim_level_note(exc)
    else:
        if oldest.height == 0:
            ui.empty_note("open claims at this date")
        else:
            oldest = ui.with_names(ctx, ui.with_names(ctx, oldest, "site"), "payer")
            oldest = oldest.select("claim_id", "site", "site_name", "payer", "payer_name",
                                   *[c for c in oldest.columns if c not in ("claim_id", "site", "site_name", "payer",
                                                                            "payer_name")])
            ids = oldest["claim_id"].to_list()

            def _open_claim(ids=ids):
                picked = ui.selected("ar-oldest", ids)
                if picked is not None:
                    ui.open_page("payer_drilldown", extra={"claim": picked}, params={"claim": picked})

            ut.table(oldest, key="ar-oldest", on_select=_open_claim, selection_mode="single-row", column_config={
                "site": None, "payer": None, "site_name": "Site", "payer_name": "Payer",
                "claim_id": st.column_config.TextColumn("Claim", pinned=True),
                "balance": st.column_config.NumberColumn("Insurance balance", format="dollar",
                                                         help=KPIS["ar_balance"].definition),
                "age_days": st.column_config.NumberColumn("Age (days since service)"),
                "denied": st.column_config.CheckboxColumn("Initially denied")})
            st.caption("Oldest date of service first. Select a row to open that claim's detail in the payer drill-down.")
            ut.export_buttons(oldest, f"oldest-open-claims-{as_of}", "ar-oldest-x")
