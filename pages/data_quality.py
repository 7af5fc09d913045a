"""Data quality: can the numbers be trusted? Load history with each file's accounting (rows read =
loaded + duplicates + quarantined), quarantined rows and why, remits that matched no claim, codes
outside the taxonomy, unmapped NPIs and payers, appeals, write-offs and rejections of no loaded claim,
freshness per payer and site, and where each payer's deadline rule came from."""
import polars as pl
import streamlit as st

from pages import ui, ui_action as ua, ui_tables as ut

ui.follow_goto()
ctx = ui.start("Data quality", "Can the numbers be trusted? What was loaded, what was set aside and why, what "
                               "matched nothing, and whether every payer is still sending remits.")


def _is_admin(context) -> bool:
    """The ledger (loads, files, quarantine) is installation-wide: administrators only."""
    check = getattr(ui, "is_admin", None)
    if callable(check):
        try:
            return bool(check())
        except Exception:       # noqa: BLE001 - a page without the sign-in gate: fall back to the scope
            pass
    return context.scope.site_ids is None


def _listing(context, title: str, call: str, empty: str, caption: str | None, key: str, export: str,
             column_config: dict | None = None) -> None:
    """A section listing what needs a look: its rows (with a caption and exports), or a line saying none."""
    st.subheader(title)
    frame = ua.call(context, call)
    if frame.height == 0:
        st.success(empty)
        return
    if caption:
        st.caption(caption)
    ut.table(frame, key=key, column_config=column_config)
    ut.export_buttons(frame, export, f"{key}-x")


if ctx:
    admin = _is_admin(ctx)
    # ------------------------------------------------------------ freshness
    st.subheader("Freshness: is every payer still sending remits?")
    fresh_payer = ua.call(ctx, "quality.freshness", as_of=ctx.as_of, by="payer")
    fresh_site = ua.call(ctx, "quality.freshness", as_of=ctx.as_of, by="site")
    # names beside the ids, first (the ids stay, hidden, for the export's joins)
    # the answer first (how long since the last remit, against the usual gap), then the history's size
    first = ["last_remit", "days_quiet", "usual_gap_p90", "gone_quiet"]
    fresh_payer = ut.columns_first(ui.with_names(ctx, fresh_payer, "payer"), ["payer_name", *first])
    fresh_site = ut.columns_first(ui.with_names(ctx, fresh_site, "site"), ["site_name", *first])
    quiet = fresh_payer.filter(pl.col("gone_quiet")) if fresh_payer.height else fresh_payer
    if quiet.height:
        st.warning("Gone quiet longer than usual: " + ", ".join(
            f"**{r['payer_name']}** (last remit {r['last_remit']}, {r['days_quiet']} days ago; usually every "
            f"{(r['usual_gap_p90'] or 0):.0f} days or less)" for r in quiet.to_dicts())
            + ". Check the clearinghouse feed before trusting this payer's recent numbers.")
    else:
        st.success(f"Every payer has sent remits within its usual rhythm as of {ctx.as_of:%d %b %Y}.")
    st.caption("Quiet: more than 7 days without a remit and more than twice the payer's usual gap (90th percentile "
               "of the days between its remit dates). Measured at the latest remit date.")
    fcfg = {"usual_gap_p90": st.column_config.NumberColumn("Usual gap (p90, days)", format="%.0f"),
            "days_quiet": st.column_config.NumberColumn("Days since last remit"),
            "gone_quiet": st.column_config.CheckboxColumn("Gone quiet"),
            "payer": None, "site": None, "payer_name": st.column_config.TextColumn("Payer", pinned=True),
            "site_name": st.column_config.TextColumn("Site", pinned=True)}
    # one above the other, each the page's width: side by side, half-width tables hid the usual gap, the
    # days since the last remit and the quiet flag behind a scroll (a review)
    st.markdown("**Per payer**")
    ut.table(fresh_payer, key="dq-fresh-payer", column_config=fcfg)
    ut.export_buttons(fresh_payer, "freshness-payer", "dq-fresh-payer-x")
    st.markdown("**Per site**")
    ut.table(fresh_site, key="dq-fresh-site", column_config=fcfg)
    ut.export_buttons(fresh_site, "freshness-site", "dq-fresh-site-x")

    # ------------------------------------------------------------ matching and codes
    st.subheader("Remits that matched no claim")
    n_unmatched = ua.call(ctx, "quality.unmatched_remit_count")
    st.caption(f"{ut.count_text(n_unmatched, 'claim').capitalize()} known only from their remit: they count in "
               "every KPI with the remit's payer, provider and dates, and join their claim when its file arrives.")
    unmatched = ua.call(ctx, "quality.unmatched_remits") if n_unmatched and ctx.scope.claim_level else None
    if n_unmatched and not ctx.scope.claim_level:
        st.caption("Your role shows totals only: the claims themselves are not listed.")
    elif unmatched is not None and unmatched.height:
        ut.table(unmatched, key="dq-unmatched", column_config={
            "billed": st.column_config.NumberColumn("Billed", format="dollar")})
        ut.export_buttons(unmatched, "unmatched-remits", "dq-unmatched-x")

    _listing(ctx, "Codes not in the taxonomy", "quality.unknown_codes",
             "Every CARC and RARC met on the remits is in the code lists.",
             "Counted with their dollars, never dropped: an unknown denial CARC falls under root cause "
             "'other' until warehouse/taxonomy maps it (then `python -m warehouse refresh`).",
             "dq-codes", "unknown-codes",
             {"dollars": st.column_config.NumberColumn("Dollars", format="dollar", step=1)})

    st.subheader("Payer rules: appeal window and timely filing")
    rules = ua.call(ctx, "quality.payer_rules")
    st.caption("The windows the work queue's deadlines use, and where each came from: the practice's override file "
               "(config/payer_rules.csv), the payers list, or the payer-class default (warehouse/rules).")
    ut.table(rules, key="dq-rules", column_config={
        "appeal_window_days": st.column_config.NumberColumn("Appeal window (days)"),
        "timely_filing_days": st.column_config.NumberColumn("Timely filing (days)"),
        "rule_source": st.column_config.TextColumn("Source")})
    ut.export_buttons(rules, "payer-rules", "dq-rules-x")

    # ------------------------------------------------------------ the ledger (administrators)
    if admin:
        _listing(ctx, "Unmapped NPIs, payers and sites", "quality.unmapped",
                 "Every site, payer and rendering NPI is in a mapping or reference list.", None,
                 "dq-unmapped", "unmapped")
        _listing(ctx, "Appeals, write-offs and rejections of no loaded claim", "quality.orphan_follow_ups",
                 "Every appeal, write-off and rejection names a loaded claim.",
                 "Kept as loaded, but no KPI counts them until their claim (by claim id or patient control "
                 "number) is loaded: load the claims file, and they attach.", "dq-orphans", "orphan-follow-ups",
                 {"dollars": st.column_config.NumberColumn("Dollars", format="dollar",
                                                           help="Recovered on appeal, or written off")})

        st.subheader("Load history")
        hist = ua.call(ctx, "quality.load_history")
        unbalanced = hist.filter(~pl.col("balanced")) if hist.height else hist
        t = ui.grid(4, "dq-tiles")
        t[0].metric("Loads", f"{hist['load_id'].n_unique() if hist.height else 0:,}", border=True)
        t[1].metric("Files", f"{hist.height:,}", border=True)
        t[2].metric("Rows read", f"{hist['rows_read'].sum() if hist.height else 0:,}", border=True,
                    help="Every row read = loaded + duplicates + quarantined, file by file.")
        t[3].metric("Rows quarantined", f"{hist['quarantined'].sum() if hist.height else 0:,}", border=True)
        if unbalanced.height:
            st.error(f"{unbalanced.height} file(s) do not balance (rows read ≠ loaded + duplicates + quarantined).")
        elif hist.height:
            st.caption("Every file balances: rows read = rows loaded + duplicates + quarantined.")
        hist = hist.select(["load_id", "finished_at", "kinds", "rows_read", "rows_loaded", "duplicates", "quarantined",
                            "balanced"] + [c for c in hist.columns if c not in (
                                "load_id", "finished_at", "kinds", "rows_read", "rows_loaded", "duplicates",
                                "quarantined", "balanced")])
        ut.table(hist, key="dq-history", column_config={
            "balanced": st.column_config.CheckboxColumn("Balanced", help="rows read = loaded + duplicates + quarantined"),
            "finished_at": st.column_config.DatetimeColumn("Finished", format="YYYY-MM-DD HH:mm")})
        ut.export_buttons(hist, "load-history", "dq-history-x")

        st.subheader("Quarantined rows, and why")
        quarantine = ua.call(ctx, "quality.quarantined")
        if quarantine.height == 0:
            st.success("No row was quarantined.")
        else:
            reasons = quarantine.group_by("rule").agg(pl.len().alias("rows")).sort("rows", descending=True)
            st.caption("By rule: " + ", ".join(f"{r['rule']} {r['rows']:,}" for r in reasons.to_dicts()))
            ut.table(quarantine, key="dq-quarantine")
            ut.export_buttons(quarantine, "quarantine", "dq-quarantine-x")
    else:
        st.info("The load history, quarantine and unmapped entries cover every site: administrators see them.")
