"""Payer drill-down (the analyst): payer scorecard, payer × root cause, the payers' top CARC and RARC
codes, payer × procedure (with modifiers), the claims behind any selection, and one claim's story."""
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from pages import ui, ui_access, ui_action as ua, ui_matrix, ui_tables as ut
from warehouse import brief
from warehouse.claims import CLAIM_STATUS, GROUP_CODES, code_order
from warehouse.dimensions import CLAIM_LEVEL_PROCEDURE, DIMENSIONS
from warehouse.metrics import KPIS
from warehouse.query import Filters

SCORE_KPIS = ["claims_adjudicated", "denial_rate", "denied_dollars", "denial_rate_dollars", "clean_claim_rate",
              "ar_days", "appeal_win_ratio", "recovered_dollars", "open_denied_dollars"]
PARTS = ["denial_rate", "clean_claim_rate", "appeal_win_ratio"]
CLAIM_LIST_FIRST = ["claim_id", "denied_dollars", "open_denied_dollars", "root_cause", "denial_group_code", "carc",
                    "carc_description", "payer_name", "site_name", "dos", "initial_adjudication_date"]
MATRIX_MAX = 20          # procedure/modifier columns shown in the matrix (by denied dollars)


def claim_sections(ctx, procedures: list[str], modifiers: list[str]) -> None:
    """The claims behind the selection and one claim's story (claim-level scopes only)."""
    # ------------------------------------------------------------ the claim list
    st.subheader("Claims")
    f1, f2, f3, f4, f5 = st.columns([1.2, 1, 1, 1.2, 0.8])
    proc = f1.multiselect("Procedure code", procedures, key="procedure", bind="query-params", placeholder="All",
                          help=DIMENSIONS["procedure_code"].description)
    mods = f2.multiselect("Modifier", modifiers, key="modifier", bind="query-params", placeholder="All")
    # every code the filter can match here, and the ones a link names even when none matches now (a
    # multiselect drops a value it does not offer: the link would list every claim instead)
    carc_opts = sorted(set(ui.call(ctx, "claims.denial_carcs", filters=ctx.filters))
                       | set(st.query_params.get_all("carc")) | set(st.session_state.get("carc") or []),
                       key=code_order)
    carc = f3.multiselect("Denial CARC", carc_opts, key="carc", bind="query-params", placeholder="All",
                          help="The reason code of a denied line's largest denial adjustment (the code the "
                               "line's root cause comes from). The top-codes table below counts a code wherever it "
                               "appears among a claim's denial adjustments, so it can count more claims.")
    search = f4.text_input("Search", key="q", bind="query-params", placeholder="claim id, patient pseudonym, CARC (CO-197) or RARC")
    denied_only = f5.toggle("Denied only", value=True, key="denied_only", bind="query-params")
    values = dict(ctx.filters.as_dict())
    for key, picked in (("procedure_code", proc), ("modifier", mods), ("carc", carc)):
        if picked:
            values[key] = picked
    list_filters = Filters.make(values, ctx.filters.date_from, ctx.filters.date_to, ctx.filters.basis)
    with st.spinner("Listing claims ..."):
        claims, total = ui.call(ctx, "claims.claim_page", filters=list_filters, limit=ut.CLAIM_LIST_ROWS,
                                denied_only=denied_only, search=search or None)
        if search:
            total = claims.height
    if claims.height == 0:
        ui.empty_note("claims" + (" matching the search" if search else "") +
                      (" (only denied claims are listed: switch off 'Denied only')" if denied_only else ""))
    else:
        st.caption(f"{claims.height:,} of {total:,} claims" + (f" (the first {ut.CLAIM_LIST_ROWS:,} by denied dollars)"
                                                                 if total > claims.height else "")
                   + (". With a procedure code or modifier and 'Denied only': the claims whose line with it was "
                      "denied" if (proc or mods) and denied_only else "")
                   + (". The Denied column is each claim's whole denied amount; the KPIs for a procedure code, "
                      "modifier or CARC count the charges of the matching denied lines alone, so they can be less"
                      if proc or mods or carc else "")
                   + ". Sort by clicking a column header; select a row to open the claim below.")
        # the denial first (its dollars, cause and codes), then whose and when: at 1440 px Denied and CARC were
        # off-screen to the right of the site, payer, provider and dates (a review); the downloads follow
        claims = ut.columns_first(claims, CLAIM_LIST_FIRST)
        claim_ids = claims["claim_id"].to_list()

        def _open_claim(ids=claim_ids):
            picked = ui.selected("pd-claims", ids)
            if picked is not None:
                st.session_state["claim"] = picked

        ut.table(claims, key="pd-claims", on_select=_open_claim,
                     selection_mode="single-row", column_config={
                         "claim_id": st.column_config.TextColumn("Claim", pinned=True),
                         "site": None, "payer": None, "provider_npi": None,
                         "billed": st.column_config.NumberColumn("Billed", format="dollar"),
                         "denied_dollars": st.column_config.NumberColumn("Denied", format="dollar",
                                                                         help=KPIS["denied_dollars"].definition),
                         "recovered_dollars": st.column_config.NumberColumn("Recovered", format="dollar"),
                         "written_off_dollars": st.column_config.NumberColumn("Written off", format="dollar"),
                         "open_denied_dollars": st.column_config.NumberColumn("Open denied", format="dollar"),
                         "days_to_adjudicate": st.column_config.NumberColumn(
                             "Days to pay", help="Initial remit date − submitted date."),
                         "carc_description": st.column_config.TextColumn("CARC description", width="medium")})
        # the first ut.CLAIM_LIST_ROWS are drawn; the whole selection is read only for a download (as the work queue)
        ua.claim_downloads(ctx, claims, total, list_filters, "pd-claims", "claims", denied_only=denied_only,
                           search=search or None, columns=claims.columns)

    # ------------------------------------------------------------ one claim
    st.subheader("Claim detail")
    claim_id = st.text_input("Claim id", key="claim", bind="query-params",
                             placeholder="select a row above, or type a claim id")
    if claim_id:
        with st.spinner("Loading the claim ..."):
            d = ui.call(ctx, "claims.claim_detail", claim_id=claim_id.strip())
        ui_access.audit_once("claim_view", f"{claim_id.strip()}|{d is not None}",
                      {"claim_id": claim_id.strip(), "found": d is not None, "filters": ui_access.filter_state()})
        if d is None:
            st.warning(f"No claim {claim_id!r} within your access scope ({ctx.scope.label}).")
        else:
            c = d["claim"]
            st.markdown(f"#### Claim {c['claim_id']}" + (" · known only from its remit" if c["known_from_remit"] else "")
                        + (f" · voided {c['void_date']}" if c["void_date"] else ""))
            st.markdown(
                f"**Patient** {c['patient_pseudonym'] or '—'} · **member id** {c['member_id_masked'] or '—'} · "
                f"**site** {c['site_name'] or c['site_id'] or '—'} · **payer** {c['payer_name'] or c['payer_id']} "
                f"({ut.value_label('payer_class', c['payer_class']) if c['payer_class'] else '—'}) · "
                f"**rendering provider** {c['provider_name'] or c['rendering_npi'] or '—'} · "
                f"**date of service** {c['dos']} · **submitted** {c['submitted_date'] or '—'} · "
                f"**initial adjudication** {c['initial_adjudication_date'] or '—'}")
            m = ui.grid(6, "pd-claim-tiles")
            m[0].metric("Billed", ua.money(c['billed'] or 0, cents=True))
            m[1].metric("Denied", ua.money(c['denied_dollars'] or 0, cents=True), help=KPIS["denied_dollars"].definition)
            m[2].metric("Recovered", ua.money(c['recovered_dollars'] or 0, cents=True), help=KPIS["recovered_dollars"].definition)
            m[3].metric("Written off", ua.money(c['written_off_dollars'] or 0, cents=True))
            if c["redenied_dollars"]:
                # paid at first, then taken back and denied: the work queue's dollars, not the KPI's 0 (initial denials)
                m[4].metric("Open denied after payment", ua.money(c['redenied_dollars'], cents=True),
                            help="Paid at its initial adjudication, then denied by a later one (a reversal and a "
                                 "re-adjudication that denies): the payments taken back and not paid again, at most "
                                 "the charges of the lines it denies less their write-downs and patient-liable "
                                 "denials; less what was written off. The KPI's open denied dollars count initial "
                                 "denials only (this claim's is $0); the work queue lists it.")
            else:
                m[4].metric("Open denied", ua.money(c['open_denied_dollars'] or 0, cents=True),
                            help=KPIS["open_denied_dollars"].definition)
            bal = d["balance"]
            now = bal["balance"][-1] if bal.height else 0
            credit = now <= -0.005          # a credit at display precision (a cent or more)
            m[5].metric("Insurance balance now", f"−${-now:,.2f} credit" if credit else f"${now:,.2f}",
                        help=KPIS["ar_balance"].definition)
            if credit:
                st.caption(f"A credit balance of ${-now:,.2f}: the payers paid more than the claim's "
                           "open balance (an overpayment, or a payment after a write-off). It nets in insurance A/R; "
                           "a refund may be owed.")
            gap = float((c["denied_dollars"] or 0) - (c["recovered_dollars"] or 0) - (c["written_off_dollars"] or 0)
                        - (c["open_denied_dollars"] or 0))
            if c["initially_denied"] and c["remit_payers"] > 1:
                first = c["initial_payer_name"]
                st.caption(f"Remits from {c['remit_payers']} payers. The initial adjudication's payer, {first} "
                           f"({CLAIM_STATUS.get(c['initial_status'], c['initial_status'])}), decides what is recovered "
                           "and what is still denied; another payer's remit counts only where it pays a line that payer "
                           "denied. A secondary's payment of the patient's share of the paid lines is its own share, "
                           "not a recovery of the denial (docs/metrics.md, recovered dollars).")
            if c["forwarded_awaiting"] >= 0.005:
                st.caption(f"The insurance balance also holds ${c['forwarded_awaiting']:,.2f} of the patient's share "
                           "(deductible, coinsurance, copay) that the latest remit forwarded to the next payer, which "
                           "has not remitted yet: it leaves the balance when that payer pays, adjusts or moves it to "
                           "the patient (docs/metrics.md, A/R).")
            if c["void_date"] and c["initially_denied"]:
                st.caption(f"Voided on {c['void_date']} (a frequency 8 claim): the practice withdrew it, so none of its "
                           "denial is open (docs/metrics.md, open denied dollars).")
            elif gap >= 0.005:
                st.caption(f"Denied ${c['denied_dollars'] or 0:,.2f} = recovered + written off + open denied + "
                           f"${gap:,.2f} not counted as open: contractual write-downs (CO-45 and the like) are never "
                           "collectible, and once the latest adjudication pays the line (an appeal, a corrected claim) "
                           "only the denial adjustments it keeps are open; what it writes down or moves to the patient "
                           "(PR: deductible, coinsurance, copay) is not the payer's to pay (Adjudications tab; "
                           "docs/metrics.md, open denied dollars).")
            if c["initially_denied"]:
                lbl = ut.value_label
                whole = (d["adjudication_lines"].filter((pl.col("adjudication_id") == c["initial_adjudication_id"])
                                                         & (pl.col("line_number") == 0)).height > 0)
                denied_what = ("the whole claim (the remit denied it at claim level, with no service lines)" if whole
                               else f"{c['denied_lines']} line(s)")
                st.markdown(f"Initially **denied**: {denied_what}; root cause "
                            f"**{lbl('root_cause', c['root_cause']) if c['root_cause'] else '—'}**"
                            f"{' / ' + lbl('sub_cause', c['sub_cause']) if c['sub_cause'] else ''} "
                            f"({lbl('stage', c['stage']) if c['stage'] else '—'}, "
                            f"{lbl('soft_hard', c['soft_hard']) if c['soft_hard'] else '—'}), "
                            + (f"{c['denial_group_code']}-{c['carc']}: {c['carc_description'] or 'code not in the CARC list'}."
                               if c["carc"] else "no denial code on the remit (denied by its claim status alone)."))
            elif c["redenied_dollars"]:
                # paid at first, then taken back and denied: not an initial denial (no denial KPI counts it), and
                # the work queue lists it (docs/work-queue.md)
                lbl = ut.value_label
                st.markdown(f"Not denied on its initial adjudication; **denied after payment** on "
                            f"{c['redenied_on']}: ${c['redenied_dollars']:,.2f} open, root cause "
                            f"**{lbl('root_cause', c['redenial_cause'])}**"
                            + (f", CARC {c['redenial_carc']}" if c["redenial_carc"] else "")
                            + ". Outside the denial KPIs (the initial adjudication paid it); listed in the work queue.")
            else:
                st.markdown("Not denied on its initial adjudication." if c["initial_adjudication_date"]
                            else "Not adjudicated yet.")
            # each tab's tables download under it, named (a whole-claim workbook below the tabs)
            stem = f"claim-{c['claim_id'].replace(':', '_')}"
            remits = ut.remit_labels(d["adjudications"])
            adj_config = {
                "line_number": st.column_config.NumberColumn("Line", help="Empty: claim level."),
                "group_code": st.column_config.TextColumn(
                    "Group", help="; ".join(f"{k}: {v}" for k, v in GROUP_CODES.items())),
                "carc": "CARC", "carc_description": st.column_config.TextColumn("Description", width="medium"),
                "amount": st.column_config.NumberColumn("Amount", format="dollar"),
                "root_cause": "Root cause"}
            t1, t2, t3, t4 = st.tabs(["Submissions and lines", "Adjudications", "Rejections, appeals, write-offs",
                                      "Balance over time"])
            with t1:
                ut.table(d["submissions"])
                ut.export_buttons(d["submissions"], f"{stem}-submissions", "pd-detail-sub-x", what="submissions")
                ut.table(d["lines"])
                ut.export_buttons(d["lines"], f"{stem}-lines", "pd-detail-lines-x", what="service lines")
            with t2:
                if d["adjudications"].height == 0:
                    st.info("No remit for this claim yet.")
                for a in d["adjudications"].to_dicts():
                    aid = a["adjudication_id"]
                    tag = " · **initial adjudication**" if a["is_initial"] else (" · reversal" if a["is_reversal"] else "")
                    with st.container(border=True):
                        st.markdown(f"**{a['remit_date']}** · **{a['payer_name']}** · status {a['claim_status']} "
                                    f"({CLAIM_STATUS.get(a['claim_status'], 'other')}){tag} · charge "
                                    f"{ua.money(a['claim_charge'], cents=True)} · paid {ua.money(a['claim_paid'], cents=True)} · patient "
                                    f"{ua.money(a['patient_responsibility'] or 0, cents=True)} · payer claim {a['payer_claim_number'] or '—'}")
                        st.caption(f"Answers the submission with patient control number {a['patient_control_number']} "
                                   f"· remit claim {a['remit_claim_id']}")
                        lines = d["adjudication_lines"].filter(pl.col("adjudication_id") == aid).drop("adjudication_id")
                        adj = d["adjustments"].filter(pl.col("adjudication_id") == aid).drop("adjudication_id")
                        rem = d["remarks"].filter(pl.col("adjudication_id") == aid).drop("adjudication_id")
                        ut.table(lines)
                        if adj.height and a["is_reversal"]:
                            st.caption("A reversal repeats the adjustments it undoes with their signs flipped: these "
                                       "rows cancel the earlier ones (a write-down undone puts its amount back in the "
                                       "balance); they are not new denials.")
                        if adj.height:
                            ut.table(adj, column_config=adj_config)
                        if rem.height:
                            ut.table(rem, column_config={
                                "rarc": "RARC", "rarc_description": st.column_config.TextColumn("Description", width="medium")})
                # every remit's rows in one file each, a column naming the remit as above
                for what, part, config in (("adjustments", "adjustments", adj_config),
                                           ("remit lines", "adjudication_lines", None), ("remarks", "remarks", None)):
                    if d[part].height:
                        ut.export_buttons(ut.with_remits(d[part], remits), f"{stem}-{what.replace(' ', '-')}",
                                          "pd-detail-x" if part == "adjustments" else f"pd-detail-{what.replace(' ', '-')}-x",
                                          what=what, column_config=config)
            with t3:
                for name, frame in (("Rejections", d["rejections"]), ("Appeals", d["appeals"]),
                                    ("Write-offs", d["write_offs"])):
                    st.markdown(f"**{name}**")
                    if frame.height:
                        ut.table(frame)
                        ut.export_buttons(frame, f"{stem}-{name.lower()}", f"pd-detail-{name.lower()}-x",
                                          what=name.lower())
                    else:
                        st.caption(f"No {name.lower()}.")
            with t4:
                if bal.height:
                    fig = go.Figure(go.Scatter(x=bal["date"].to_list(), y=bal["balance"].to_list(), mode="lines+markers",
                                               line={"shape": "hv", "color": "#0969da"},
                                               customdata=bal["change"].to_list(),
                                               hovertemplate="%{x}: balance %{y:$,.2f} (change %{customdata:$,.2f})"
                                                             "<extra></extra>"))
                    last_date, last_balance = bal["date"][-1], bal["balance"][-1]
                    if last_date < ctx.as_of:      # the balance stands until today's data: the line reaches it
                        fig.add_trace(go.Scatter(x=[last_date, ctx.as_of], y=[last_balance, last_balance], mode="lines",
                                                 line={"color": "#0969da", "dash": "dot"},
                                                 hovertemplate=f"%{{x}}: balance %{{y:$,.2f}} (no change since "
                                                               f"{last_date:%d %b %Y})<extra></extra>"))
                    # from $0, so a balance that stays put is a flat line, not one magnified to a few dollars
                    fig.update_layout(template=brief.TEMPLATE, height=260, yaxis_tickformat="$,.0f",
                                      yaxis_rangemode="tozero", yaxis_title="Insurance balance", showlegend=False,
                                      margin={"l": 10, "r": 10, "t": 10, "b": 10})
                    ui.chart(fig, key="pd-balance")
                    ut.table(bal)
                    ut.export_buttons(bal, f"{stem}-balance", "pd-detail-balance-x", what="balance over time")
                    st.caption("Insurance balance: charges − payer payments − patient responsibility − "
                               "non-denial adjustments − write-offs (a denied balance stays until paid or written off). "
                               "The patient's part stays while a remit forwards the claim to a secondary payer "
                               "(status 19), and a re-adjudication replaces the earlier write-downs instead of adding "
                               "to them (docs/metrics.md, A/R).")
                else:
                    st.caption("No balance events.")
            ut.export_workbook({k: v for k, v in d.items() if k != "claim"} | {"claim": pl.DataFrame([c])},
                               stem, "pd-detail-all",
                               "Download the whole claim (Excel, a sheet per table)")


ui.follow_goto()
ctx = ui.start("Payer drill-down", "Which payers deny what, why, and on which codes — down to the claims and "
                                   "one claim's full story. Click a chart to narrow the view.")
if ctx:
    opened = (st.session_state.get("claim") or st.query_params.get("claim") or "").strip()
    if opened and ctx.scope.claim_level:   # opened from a link or another page: its detail is far below
        st.info(f"Claim {opened} is open: [jump to its detail](#claim-detail), below the payer views.",
                icon=":material/south:")
    with st.spinner("Computing the payer scorecard ..."):
        score = ctx.kpis(by=("payer",), kpi_keys=SCORE_KPIS)
        dtp = ui.call(ctx, "claims.days_to_pay", filters=ctx.filters, by="payer")
    score = score.filter(pl.col("payer").is_not_null())
    if score.height == 0 or not score["claims_adjudicated"].fill_null(0).sum():
        ui.empty_note("payers in this date range")
    else:
        payer_names = dict(zip(score["payer"], score["payer_name"].fill_null(score["payer"])))
        # ------------------------------------------------------------ scorecard
        st.subheader("Payer scorecard")
        card = (score.join(dtp, on="payer", how="left")
                .with_columns(pl.col("payer_name").fill_null(pl.col("payer")))
                .pipe(ut.with_bands, SCORE_KPIS).pipe(ut.with_parts, PARTS)
                .sort("denied_dollars", descending=True, nulls_last=True))
        cols = ["payer", "payer_name"]
        for k in SCORE_KPIS:
            cols += [k] + ([f"{k}_band"] if f"{k}_band" in card.columns else []) + ([f"{k}_parts"] if k in PARTS else [])
            if k == "clean_claim_rate":
                cols += ["days_to_pay_median", "days_to_pay_p90", "claims_paid_timed"]
        card = card.select(cols)
        config = {"payer": None, "payer_name": st.column_config.TextColumn("Payer", pinned=True),
                  "days_to_pay_median": st.column_config.NumberColumn(
                      "Days to pay (median)", format="%.0f",
                      help="Initial remit date − submitted date, median over the payer's adjudicated claims in the "
                           "period (claims known only from a remit have no submitted date and are left out)."),
                  "days_to_pay_p90": st.column_config.NumberColumn(
                      "Days to pay (90th pct)", format="%.0f",
                      help="Initial remit date − submitted date: 9 in 10 claims were paid (adjudicated) within this."),
                  "claims_paid_timed": st.column_config.NumberColumn(
                      "Claims timed", help="Claims the days to pay are measured over.")}
        for k in SCORE_KPIS:
            config[k] = ut.kpi_column(k)
            if f"{k}_band" in card.columns:
                config[f"{k}_band"] = ut.band_column(k)
            if k in PARTS:
                config[f"{k}_parts"] = ut.parts_column(k)
        order = list(card["payer"])

        def _pick_payer(order=order):
            picked = ui.selected("pd-card", order)
            if picked is not None:
                ui.carry_filters()
                ui.set_filter("payer", [picked])

        ut.dataframe(card, column_config=config, key="pd-card",
                     on_select=_pick_payer, selection_mode="single-row")
        st.caption("Select a row to narrow every view to that payer. Coloured pills: benchmark bands.")
        ut.export_buttons(ut.for_export(card), "payer-scorecard", "pd-card-x")

        # ------------------------------------------------------------ payer × root cause
        st.subheader("Payer × root cause")
        with st.spinner("Payer × root cause ..."):
            pc = ctx.kpis(by=("payer", "root_cause"), kpi_keys=["denied_dollars", "denial_rate", "claims_denied"])
        pc = pc.filter(pl.col("payer").is_not_null() & pl.col("root_cause").is_not_null())
        if pc.height == 0:
            ui.empty_note("denials by root cause")
        else:
            measure = st.segmented_control("Show", ["denied_dollars", "denial_rate"], default="denied_dollars",
                                           format_func={"denied_dollars": "Denied dollars",
                                                        "denial_rate": "Denial rate"}.get, key="pd_hm",
                                           bind="query-params") or "denied_dollars"
            cause_names = dict(ui.cached_choices(ctx.version, ctx.scope.cache_key, "root_cause"))
            payers = [p for p in order if p in set(pc["payer"])]
            causes = (pc.group_by("root_cause").agg(pl.col("denied_dollars").sum())
                      .sort("denied_dollars", descending=True)["root_cause"].to_list())
            cell = {(r["payer"], r["root_cause"]): r for r in pc.to_dicts()}
            z, text, custom = [], [], []
            for p in payers:
                zr, tr, cr = [], [], []
                for c in causes:
                    r = cell.get((p, c))
                    zr.append(r[measure] if r else None)
                    tr.append((f"{r[measure]:.1%}" if measure == "denial_rate" else ut.fmt(measure, r[measure]))
                              if r and r[measure] is not None else "")
                    cr.append([p, c, ut.fmt("denied_dollars", r["denied_dollars"]) if r else "$0",
                               ut.parts_text("denial_rate", r) if r else ""])
                z.append(zr)
                text.append(tr)
                custom.append(cr)
            fig = ui_matrix.matrix_figure(
                [cause_names.get(c, c) for c in causes], [payer_names.get(p, p) for p in payers], z, text, custom,
                "%{y} · %{x}<br>denied %{customdata[2]}<br>denial rate: %{customdata[3]}<extra></extra>",
                zmin=0, tickformat=".0%" if measure == "denial_rate" else "$,.0f", cell=34)
            ui.chart(fig, key="pd-heat", on_select=ui.narrow_many("pd-heat", [("payer", 0), ("root_cause", 1)]))
            st.caption(f"{KPIS[measure].label} per payer and root cause; the denial rate's denominator is all the "
                       "payer's adjudicated claims, so a payer's row adds up to its denial rate. Click a cell to "
                       "narrow to that payer and root cause.")
            ut.export_buttons(pc, "payer-root-cause", "pd-heat-x")

        # ------------------------------------------------------------ top CARC / RARC
        st.subheader("Top denial codes per payer")
        with st.spinner("Top CARC and RARC codes ..."):
            carcs = ui.call(ctx, "claims.top_codes", filters=ctx.filters, kind="carc", by="payer", limit=5)
            rarcs = ui.call(ctx, "claims.top_codes", filters=ctx.filters, kind="rarc", by="payer", limit=5)
        # the counts before the description (which takes what room is left, its whole text on hover):
        # after it they sat past the table's edge, behind a scroll, even at 1,440 px; the two tables
        # stack when side by side would leave each under 600 px
        carcs, rarcs = (t.select([c for c in t.columns if c != "description"] + ["description"])
                        for t in (carcs, rarcs))
        c1, c2 = ui.grid(2, "pd-codes", min_px=600)
        with c1:
            st.markdown("**CARC** (claim adjustment reason codes) on denied lines")
            if carcs.height == 0:
                ui.empty_note("denial CARCs")
            else:
                ut.dataframe(carcs, column_config={
                    "payer": None, "payer_name": "Payer", "group_code": st.column_config.TextColumn(
                        "Group", help="; ".join(f"{k}: {v}" for k, v in GROUP_CODES.items())),
                    "code": "CARC", "description": st.column_config.TextColumn("Description", width="medium"),
                    "claims": st.column_config.NumberColumn("Claims", help="Claims whose initial adjudication "
                                                            "carries this denial adjustment, as any of its "
                                                            "adjustments. The claim list's Denial CARC filter keeps "
                                                            "a claim only where the code is a denied line's largest "
                                                            "denial adjustment (its cause), so it can list fewer."),
                    "dollars": st.column_config.NumberColumn("Adjusted $", format="dollar", step=1,
                                                             help="Sum of the adjustment amounts with this code.")})
                ut.export_buttons(carcs, "top-carc", "pd-carc-x")
        with c2:
            st.markdown("**RARC** (remittance advice remark codes) on denied claims")
            if rarcs.height == 0:
                ui.empty_note("remark codes on denied claims")
            else:
                ut.dataframe(rarcs, column_config={
                    "payer": None, "payer_name": "Payer", "code": "RARC",
                    "description": st.column_config.TextColumn("Description", width="medium"),
                    "claims": st.column_config.NumberColumn("Claims", help="Initially denied claims with this remark."),
                    "dollars": st.column_config.NumberColumn("Denied $", format="dollar", step=1,
                                                             help="Denied dollars of those claims.")})
                ut.export_buttons(rarcs, "top-rarc", "pd-rarc-x")

        # ------------------------------------------------------------ payer × procedure (with modifiers)
        st.subheader("Payer × procedure code (with modifiers)")
        with st.spinner("Payer × procedure ..."):
            pm = ctx.kpis(by=("payer", "procedure_code", "modifier"),
                          kpi_keys=["claims_adjudicated", "claims_denied", "denial_rate", "denied_dollars"])
        pm = pm.filter(pl.col("payer").is_not_null() & pl.col("procedure_code").is_not_null())
        procedures = sorted(set(pm["procedure_code"].to_list())) if pm.height else []
        modifiers = sorted(set(pm["modifier"].drop_nulls().to_list())) if pm.height else []
        if pm.height == 0:
            ui.empty_note("procedure codes")
        else:
            pm = pm.with_columns(pl.when(pl.col("modifier") == "(none)").then(pl.col("procedure_code"))
                                 .otherwise(pl.col("procedure_code") + "-" + pl.col("modifier")).alias("code"))
            # a remit without line detail names no procedure: its pseudo line "(claim level)" is nearly
            # always a whole-claim denial, so its column read 100% for every payer (a review); it is left
            # out of the chart, said in the caption, and kept in the downloads
            claim_level = pm.filter(pl.col("procedure_code") == CLAIM_LEVEL_PROCEDURE)
            top = (pm.filter(pl.col("procedure_code") != CLAIM_LEVEL_PROCEDURE)
                   .group_by("code").agg(pl.col("denied_dollars").sum(), pl.col("claims_adjudicated").sum())
                   .sort(["denied_dollars", "claims_adjudicated", "code"], descending=[True, True, False])
                   .head(MATRIX_MAX)["code"].to_list())
            mp = [p for p in order if p in set(pm["payer"])]
            cell = {(r["payer"], r["code"]): r for r in pm.to_dicts()}
            z, text, custom = [], [], []
            for p in mp:
                zr, tr, cr = [], [], []
                for c in top:
                    r = cell.get((p, c))
                    zr.append(r["denial_rate"] if r else None)
                    tr.append(f"{r['denial_rate']:.1%}" if r and r["denial_rate"] else "")
                    cr.append([p, r["procedure_code"] if r else c.split("-")[0], r["modifier"] if r else "",
                               ut.parts_text("denial_rate", r) if r else "",
                               ut.fmt("denied_dollars", r["denied_dollars"]) if r else "",
                               ut.fmt("denial_rate", r["denial_rate"]) if r else ""])
                z.append(zr)
                text.append(tr)
                custom.append(cr)
            fig = ui_matrix.matrix_figure(
                top, [payer_names.get(p, p) for p in mp], z, text, custom,
                "%{y} · %{x}<br>denial rate %{customdata[5]}: %{customdata[3]}<br>denied %{customdata[4]}"
                "<extra></extra>", zmin=0, zmax=1, tickformat=".0%", cell=30)

            def _pick_code():
                pts = st.session_state.get("pd-proc", {}).get("selection", {}).get("points", [])
                if not pts:
                    return
                ui.carry_filters()
                ui.set_filter("payer", sorted({p["customdata"][0] for p in pts}))
                st.session_state["procedure"] = sorted({p["customdata"][1] for p in pts})
                mods = sorted({p["customdata"][2] for p in pts if p["customdata"][2]})
                st.session_state["modifier"] = mods

            ui.chart(fig, key="pd-proc", on_select=_pick_code)
            st.caption(f"Denial rate per payer and procedure code with modifier (a line with several modifiers counts "
                       f"under each); the {min(MATRIX_MAX, len(top))} codes with the most denied dollars. Click a cell "
                       "to list its claims below, those with a line carrying both the code and the modifier: with "
                       "'Denied only', those whose such line was denied (the cell's count). The list's denied "
                       "dollars are each claim's whole denied amount; the cell counts the charges of the denied lines "
                       f"with the code only. The downloads hold every payer × code cell ({pm.height:,}), not only "
                       "the chart's."
                       + (f" Not in the chart: {ut.count_text(claim_level['claims_denied'].sum(), 'claim')} the payers "
                          "denied without line detail on the remit "
                          f"({ut.fmt('denied_dollars', claim_level['denied_dollars'].sum())}), which name no procedure "
                          f"code ('{CLAIM_LEVEL_PROCEDURE}' in the downloads and the claims list)."
                          if claim_level.height else ""))
            ut.export_buttons(pm.drop("code"), "payer-procedure", "pd-proc-x", what="every payer × code cell")

        if ctx.scope.claim_level:
            claim_sections(ctx, procedures, modifiers)
        else:
            st.info("Your role shows totals only: the claim list, claim detail and claim-level exports "
                    "are not available.")
