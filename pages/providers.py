"""Providers (where to act): a scorecard per rendering provider, compared fairly with peers of the
same specialty (funnel plot), and the modifiers that trigger denials, payer by payer, down to the claims."""
import polars as pl
import streamlit as st

from pages import ui, ui_action as ua, ui_funnel as uf, ui_matrix, ui_tables as ut
from warehouse import compare
from warehouse.metrics import KPIS

CARD_KPIS = ["claims_adjudicated", "denial_rate", "denied_dollars", "clean_claim_rate"]
PER_100 = {"medical_necessity": "Medical-necessity denials per 100 claims",
           "missing_information": "Missing-information denials per 100 claims"}
WATCHED_MODIFIERS = ["25", "59", "24", "57", "58", "78", "79"]


ui.follow_goto()
ctx = ui.start("Providers", "Each rendering provider's denials against the peers of the same specialty, and the "
                            "modifiers that trigger denials with each payer. Click a point or a cell to see the claims.")
if ctx:
    ui.band_css()
    with st.spinner("Computing the provider scorecard ..."):
        card = ctx.kpis(by=("provider", "specialty"), kpi_keys=CARD_KPIS)
        per100 = {cause: ctx.kpis(by=("provider",), kpi_keys=["denial_rate"],
                                  filters=ua.with_values(ctx.filters, root_cause=[cause]))
                  for cause in PER_100}
    card = card.filter(pl.col("provider_npi").is_not_null())
    if card.height == 0 or not card["claims_adjudicated"].fill_null(0).sum():
        ui.empty_note("providers in this date range")
    else:
        # per 100 claims: claims denied for the cause × 100 / claims adjudicated (the kpi's parts)
        for cause, frame in per100.items():
            card = card.join(frame.select("provider_npi", (pl.col("denial_rate") * 100).alias(f"{cause}_per_100"),
                                          pl.col("denial_rate__num").alias(f"{cause}_denied")),
                             on="provider_npi", how="left").with_columns(
                pl.col(f"{cause}_per_100").fill_null(pl.when(pl.col("claims_adjudicated") > 0).then(0.0)),
                pl.col(f"{cause}_denied").fill_null(0.0))
        card = card.with_columns(pl.col("provider").fill_null(pl.col("provider_npi")))
        # ------------------------------------------------------------ the scorecard
        st.subheader("Provider scorecard")
        table = ut.with_bands(card, ["denial_rate", "clean_claim_rate"]).pipe(ut.with_parts, ["denial_rate"])
        table = table.sort("denied_dollars", descending=True, nulls_last=True)
        show = table.select("provider", "specialty", "claims_adjudicated", "denial_rate", "denial_rate_band",
                            "denied_dollars", "clean_claim_rate", "clean_claim_rate_band", "medical_necessity_per_100",
                            "missing_information_per_100", "denial_rate_parts", "medical_necessity_denied",
                            "missing_information_denied", "provider_npi")
        cfg = {"provider_npi": st.column_config.TextColumn("NPI"),
               "provider": st.column_config.TextColumn("Provider", pinned=True),
               "claims_adjudicated": ut.kpi_column("claims_adjudicated", "Volume (claims adjudicated)"),
               "denial_rate": ut.kpi_column("denial_rate"), "denial_rate_band": ut.band_column("denial_rate"),
               "denial_rate_parts": ut.parts_column("denial_rate"), "denied_dollars": ut.kpi_column("denied_dollars"),
               "clean_claim_rate": ut.kpi_column("clean_claim_rate"),
               "clean_claim_rate_band": ut.band_column("clean_claim_rate"),
               "medical_necessity_per_100": st.column_config.NumberColumn(
                   "Med. necessity / 100 claims", format="%.1f",
                   help="Claims initially denied with root cause medical_necessity × 100 / claims adjudicated."),
               "medical_necessity_denied": st.column_config.NumberColumn("Med. necessity denials", format="%d"),
               "missing_information_per_100": st.column_config.NumberColumn(
                   "Missing info / 100 claims", format="%.1f",
                   help="Claims initially denied with root cause missing information × 100 / claims adjudicated: "
                        "missing or wrong claim data, provider identifiers, and records or attachments the payer "
                        "needed (documentation is one of its sub-causes; the Root causes page splits them)."),
               "missing_information_denied": st.column_config.NumberColumn("Missing-info denials", format="%d")}
        ut.table(show, key="pv-card", column_config=cfg)
        st.caption("Sorted by denied dollars. Coloured pills: benchmark band of the KPI to their left.")
        ut.export_buttons(ut.for_export(show), "provider-scorecard", "pv-card-x")

        # ------------------------------------------------------------ fair comparison within a specialty
        st.subheader("Compared with peers of the same specialty")
        specialties = sorted(s for s in card["specialty"].unique().to_list() if s)
        if specialties:
            c1, c2 = st.columns([1, 1])
            top = table["specialty"][0] if table.height and table["specialty"][0] in specialties else specialties[0]
            spec = c1.selectbox("Specialty", specialties, index=specialties.index(top), key="pv_specialty",
                                format_func=lambda v: ut.value_label("specialty", v), bind="query-params", help="By default the specialty of the provider with most "
                                                          "denied dollars.")
            kpi = c2.radio("Measure", ["denial_rate", "clean_claim_rate"], key="pv_measure", horizontal=True,
                           format_func=lambda k: KPIS[k].label)
            peers = card.filter(pl.col("specialty") == spec)
            spec_label = ut.value_label("specialty", spec)
            with_volume = peers.filter(pl.col(f"{kpi}__den").fill_null(0) > 0).height
            if with_volume == 0:
                ui.empty_note(f"{KPIS[kpi].label.lower()} of {spec_label.lower()} providers")
            elif with_volume < compare.MIN_UNITS:
                st.info(f"{spec_label} has {with_volume} provider{'s' if with_volume != 1 else ''} with volume in this "
                        f"selection: a funnel plot needs at least {compare.MIN_UNITS} peers to compare. Widen the date "
                        "range or clear a filter.")
            else:
                adjust = uf.limits_picker("pv_limits", "provider")
                f = compare.funnel(peers, kpi, adjust=adjust)
                names_ = f["provider"].to_list()
                fig = uf.figure(f, kpi, names_, f["provider_npi"].to_list(), f"{KPIS[kpi].label} vs volume, {spec_label}",
                                f"{spec_label} rate", "Volume (the KPI's denominator)")
                ui.chart(fig, key="pv-funnel", on_select=ui.narrow("pv-funnel", "provider"))
                st.caption(f"Group rate of {spec_label}: sum of numerators / sum of denominators of its {with_volume} "
                           "providers with volume. " + uf.caption(f, peers, kpi, names_, adjust, "provider")
                           + " Click a point to narrow every view to that provider.")

        # ------------------------------------------------------------ modifiers × payer
        st.subheader("Modifiers that trigger denials")
        mods = ctx.kpis(by=("modifier", "payer"), kpi_keys=["claims_adjudicated", "denial_rate", "denied_dollars"])
        mods = mods.filter(pl.col("modifier").is_not_null() & pl.col("payer").is_not_null())
        present = set(mods["modifier"].to_list())
        order = [m for m in WATCHED_MODIFIERS if m in present] + \
            sorted(m for m in present if m not in WATCHED_MODIFIERS and m != "(none)") + \
            (["(none)"] if "(none)" in present else [])
        if not order:
            ui.empty_note("modifiers in this date range")
        else:
            payers = sorted(set(mods["payer"].to_list()))
            pnames = dict(zip(mods["payer"], mods["payer_name"].fill_null(mods["payer"])))
            cells = {(r["modifier"], r["payer"]): r for r in mods.to_dicts()}
            z = [[cells.get((m, p), {}).get("denial_rate") for p in payers] for m in order]
            text = [[(f"{cells[(m, p)]['denial_rate']:.1%}" if (m, p) in cells and cells[(m, p)]["denial_rate"]
                      is not None else "") for p in payers] for m in order]
            cd = [[[m, p, cells.get((m, p), {}).get("denial_rate__num") or 0,
                    cells.get((m, p), {}).get("denial_rate__den") or 0] for p in payers] for m in order]
            fig = ui_matrix.matrix_figure([pnames[p] for p in payers], order, z, text, cd,
                                   "Modifier %{y} · %{x}<br>denial rate %{marker.color:.1%}<br>"
                                   "%{customdata[2]:,.0f} of %{customdata[3]:,.0f} claims<extra></extra>",
                                   zmin=0, zmax=max(0.3, max((v for row in z for v in row if v is not None),
                                                             default=0)), tickformat=".0%")

            def _pick_cell():
                for pt in ua.points("pv-mods"):
                    m, p = ua.custom(pt, 0), ua.custom(pt, 1)
                    if m in order and p in payers:
                        st.session_state["pv_mod"] = m
                        st.session_state["pv_payer"] = p
                        return

            ui.chart(fig, key="pv-mods", on_select=_pick_cell)
            st.caption("Denial rate per modifier and payer at line grain: a claim counts under every modifier it "
                       "has a line with, so the rows do not add up to the claim total. (none): lines without a "
                       "modifier, the baseline. Click a cell to list its claims: those whose line with the modifier "
                       "was denied (the cell's count); the list's denied dollars are each claim's whole denied amount.")
            mt = mods.select("modifier", "payer", "payer_name", "claims_adjudicated", "denial_rate",
                             "denial_rate__num", "denial_rate__den", "denied_dollars")
            with st.expander("The table behind the matrix"):
                ut.table(mt, key="pv-mods-table", column_config={"denial_rate": ut.kpi_column("denial_rate"),
                                                                 "denied_dollars": ut.kpi_column("denied_dollars")})
                ut.export_buttons(mt, "modifier-payer", "pv-mods-x")
            c1, c2 = st.columns(2)
            mod = c1.selectbox("Modifier", order, key="pv_mod", bind="query-params")
            payer = c2.selectbox("Payer", ["(all payers)"] + payers, key="pv_payer", bind="query-params",
                                 format_func=lambda p: pnames.get(p, p))
            f = ua.with_values(ctx.filters, modifier=[mod], payer=[payer] if payer != "(all payers)" else
                               ctx.filters.as_dict().get("payer"))
            ua.claim_table(ctx, f, "pv-claims", f"Claims whose modifier {mod} line was denied"
                           + (f", {pnames.get(payer, payer)}" if payer != "(all payers)" else ""))
