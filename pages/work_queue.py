"""Work queue (the billing manager, Monday morning): every open denial, who owns it, its deadline
and what working it is expected to recover, ranked; denials past their deadline shown apart."""
import polars as pl
import streamlit as st

from pages import ui, ui_action as ua, ui_address, ui_tables as ut
from warehouse.metrics import KPIS
from warehouse.queue import APPEAL_FOLLOW_UP_DAYS, SMOOTHING_APPEALS, STATUSES
from warehouse.scope import ClaimLevelDenied

TEAMS = ["front_desk", "authorization", "coding", "billing", "clinical_documentation"]
DUE_SOON_DAYS = 7
# what decides the work first (the money, the deadline, the action), then who and why: at 1440 px the first
# seven columns are in view without scrolling (a review found the dollars and deadline off-screen)
SHOWN = ["rank", "claim_id", "open_denied_dollars", "expected_recovery", "days_left", "deadline", "action",
         "overdue_flag", "payer_name", "site_name", "root_cause", "owner_team", "win_ratio", "priority", "status"]
OVERDUE = "overdue"


def _team_label(code: str) -> str:
    return ut.value_label("owner_team", code)        # 'front_desk' -> 'Front desk', as the table shows it


def _teams_to_url() -> None:
    """The Team picker shows labels; the URL keeps the codes (wq_team=front_desk, as
    `python -m warehouse queue --team` takes them), so links made before the labels still open."""
    picked = st.session_state.get("wq_team") or []
    if picked:
        st.query_params["wq_team"] = picked
    else:
        st.query_params.pop("wq_team", None)

ui.follow_goto()
ctx = ui.start("Work queue", "Every open denial, ranked: the ones worth most per day left come first. The queue is "
                             "as of the latest remit; the sidebar's filters narrow it "
                             "(its date range and date basis do not: an open denial is open whatever its date).")
if ctx:
    flt = ctx.filters.as_dict()
    f1, f2 = st.columns(2)
    # not bound to the URL by Streamlit (a bound picker writes its labels there): synced by hand, as codes
    if "wq_team" not in st.session_state:
        linked = st.query_params.get_all("wq_team")
        st.session_state["wq_team"] = [t for t in linked if t in TEAMS]
        unknown = [t for t in linked if t not in TEAMS]
        if unknown:          # as the sidebar does for its filters (ui_address.unknown_link_values): say it, and drop it
            st.warning("This link names a team " + ", ".join(f"'{ui_address.md_literal(t)}'" for t in unknown)
                       + f", which is not one of {', '.join(_team_label(t) for t in TEAMS)}: left out.",
                       icon=":material/link_off:")
            _teams_to_url()
    teams = f1.multiselect("Team", TEAMS, format_func=_team_label, key="wq_team", on_change=_teams_to_url,
                           placeholder="All teams", help="The team that owns the denial's root cause (taxonomy).")
    statuses = f2.multiselect("Status", list(STATUSES), key="wq_status", bind="query-params", placeholder="All statuses",
                              help="; ".join(f"{k}: {v}" for k, v in STATUSES.items()) + ".")
    # every sidebar filter but the dates narrows the queue the same way (in the warehouse)
    values = {"teams": tuple(teams) or None, "sites": flt.get("site"), "payers": flt.get("payer"),
              "statuses": tuple(statuses) or None, "providers": flt.get("provider"),
              "root_causes": flt.get("root_cause"), "payer_classes": flt.get("payer_class"),
              "stages": flt.get("stage")}
    try:
        with st.spinner("Ranking the open denials ..."):
            # the tiles' totals and the top of both lists from one pass over the queue
            tot, live, lost = ua.call(ctx, "queue.queue_page", as_of=ctx.as_of, due_days=DUE_SOON_DAYS,
                                      limit=ut.LIST_ROWS, **values)
    except ClaimLevelDenied as exc:
        st.warning(f"{exc} The work queue lists claims, so it is not available to your role; the Root causes, "
                   "Appeals and A/R pages show the totals.")
        tot = None
    if tot is not None:
        def order(q: pl.DataFrame) -> pl.DataFrame:        # what to act on first, then the rest
            # the overdue flag as a red pill beside the action (display only: the exports keep `overdue`)
            q = q.with_columns(pl.when(pl.col("overdue")).then(pl.lit([OVERDUE])).otherwise(pl.lit([], pl.List(pl.String)))
                               .alias("overdue_flag"))
            return ut.columns_first(q, SHOWN)

        live, lost = order(live), order(lost)
        # the queue's money (open, expected, lost), then what is urgent (due soon, overdue): five tiles in one
        # row cut a million-dollar value short
        t = ui.grid(3, "wq-tiles-money")
        u = ui.grid(2, "wq-tiles-urgent")
        ua.tile(t[0], "Open denied dollars in the queue", ua.money(tot["live_dollars"]), key="wq-open",
                help=f"{KPIS['open_denied_dollars'].definition} Summed over the open denials whose deadline has not "
                     "passed, and the pending appeals past their follow-up date (overdue: never lost). With "
                     "them, the claims denied after payment (paid at first, then taken back and denied: status "
                     "'denied after payment'), which the KPI's open denied dollars, counted on initial denials, leave "
                     "out.",
                caption=f"{tot['live_denials']:,} open denials")
        ua.tile(t[1], "Expected recovery", ua.money(tot["live_expected"]), key="wq-expected",
                help="Sum over the live denials of open denied dollars × the smoothed historical appeal win ratio "
                     "of the payer and root cause.", caption="if every live denial is worked")
        ua.tile(u[0], f"Due in the next {DUE_SOON_DAYS} days", ua.money(tot["due_dollars"]), key="wq-due",
                help=f"Open denied dollars of the live denials whose deadline is today or up to {DUE_SOON_DAYS} days "
                     "away. An overdue follow-up (its date passed) is not counted here but in Overdue.",
                caption=f"{tot['due_denials']:,} denials, {ua.money(tot['due_expected'])} expected")
        ua.tile(u[1], "Overdue follow-ups", ua.money(tot["overdue_dollars"]), key="wq-overdue",
                help="Open denied dollars of the pending appeals whose follow-up date has passed: follow them up "
                     "with the payer now. A filed appeal is never lost, so they stay in the list to work, flagged "
                     "'overdue', with days left negative (the days since the follow-up date).",
                caption=f"{tot['overdue_denials']:,} pending appeal{'' if tot['overdue_denials'] == 1 else 's'}, "
                        f"{ua.money(tot['overdue_expected'])} expected")
        ua.tile(t[2], "Lost (deadline passed)", ua.money(tot["lost_dollars"]), key="wq-lost",
                help="Open denied dollars whose appeal or corrected-claim deadline has passed: for write-off review, "
                     "not for work.", caption=f"{tot['lost_denials']:,} denials")

        with st.expander("How the ranking works", expanded=False):
            st.markdown(
                f"- **Priority = expected recovery ÷ days left** (at least 1): the dollars at stake per day "
                f"remaining. A large denial due soon comes first, a small one with months left last; ties by open "
                f"dollars. A denial's priority rises every day it is not worked.\n"
                f"- **Expected recovery** = open denied dollars × the historical appeal win ratio for the payer and "
                f"root cause, smoothed: (won + {SMOOTHING_APPEALS} × payer ratio) / (decided + {SMOOTHING_APPEALS}), "
                f"the payer ratio itself smoothed toward the overall ratio, so two appeals do not swing it between "
                f"0% and 100%; 100% once the claim's latest appeal was won (the payment is to be chased).\n"
                f"- **Deadline**: a corrected claim (coding, missing information, eligibility, coordination of "
                f"benefits, credentialing, duplicate) is due within the payer's timely-filing limit from the date of "
                f"service; an appeal within the payer's appeal window from the denial. Once one of the claim's "
                f"appeals was decided, the window runs from the latest decision (a corrected claim is then due by the "
                f"later of the two). A pending appeal is due for a follow-up with the payer {APPEAL_FOLLOW_UP_DAYS} "
                f"days after filing and is never lost: past that date it is **overdue** (flagged, days left "
                f"negative, ranked as if due today). Windows per payer: the Data quality page.\n"
                f"- **Lost**: the deadline has passed (never for a pending appeal); listed apart below, never mixed "
                f"with the work.")
        st.caption(f"As of {ctx.as_of:%a %d %b %Y} (latest remit). Ranked by priority = expected recovery ÷ days left; "
                   "denials past their deadline are listed apart below.")

        cfg = {"rank": st.column_config.NumberColumn("Rank", pinned=True),
               "claim_id": st.column_config.TextColumn("Claim", pinned=True),
               "site": None, "payer": None, "lost": None, "site_name": st.column_config.TextColumn("Site"),
               "payer_name": st.column_config.TextColumn("Payer"),
               "open_denied_dollars": st.column_config.NumberColumn("Open denied", format="dollar"),
               "win_ratio": st.column_config.NumberColumn("Win ratio", format="percent", step=0.001,
                                                          help="Smoothed historical appeal win ratio (payer × cause)."),
               "expected_recovery": st.column_config.NumberColumn("Expected recovery", format="dollar"),
               "priority": st.column_config.NumberColumn("Priority ($/day)", format="dollar",
                                                         help="Expected recovery ÷ days left (at least 1)."),
               "action": st.column_config.TextColumn("Action", help="What to do next: follow up a pending appeal, chase "
                                                     "a won appeal's payment, send a corrected claim or appeal."),
               "deadline": st.column_config.DateColumn("Deadline", help="The date to act by; for a pending appeal, the "
                                                       "date to follow it up with the payer."),
               "days_left": st.column_config.NumberColumn("Days left", help="Deadline − today. Negative on an overdue "
                                                           "follow-up: the days since its follow-up date."),
               "overdue_flag": st.column_config.MultiselectColumn(
                   "Overdue", options=[OVERDUE], color=["#cf222e"], width="small",
                   help="A pending appeal past its follow-up date: follow it up with the payer now."),
               "overdue": None}
        for shown, total, lost_list, key, name in (
                (live, tot["live_denials"], False, "wq-live", f"work-queue-{ctx.as_of}"),
                (lost, tot["lost_denials"], True, "wq-lost", f"work-queue-lost-{ctx.as_of}")):
            if lost_list:
                st.subheader(f"Lost: deadline passed ({total:,})")
                if total == 0:
                    st.caption("No open denial has passed its deadline.")
                    continue
                st.caption("For write-off review and for learning why they were not resolved in time: some were "
                           "worked (a corrected claim sent, an appeal lost) and are still denied.")
            else:
                st.subheader(f"To work ({total:,})")
                if total == 0:
                    st.info("Nothing to work: no open denial with a deadline ahead for these filters.")
                    continue
            def _open_claim(key=key, ids=shown["claim_id"].to_list()):
                picked = ui.selected(key, ids)
                if picked is not None:
                    ui.open_page("payer_drilldown", extra={"claim": picked}, params={"claim": picked})

            # a lost denial has no recovery to expect and no days left: how long ago its deadline passed; its
            # downloads leave out what the table does not show (a priority of a lost denial means nothing)
            table_cfg = cfg | {
                "expected_recovery": None, "priority": None, "overdue_flag": None,
                "days_left": st.column_config.NumberColumn("Days left", help="Negative: days since the deadline.")
            } if lost_list else cfg
            not_exported = ["overdue_flag"] + (["expected_recovery", "priority", "overdue"] if lost_list else [])
            ut.table(shown, key=key, on_select=_open_claim, selection_mode="single-row", column_config=table_cfg)
            st.caption("Select a row to open that claim's detail (remits, CARC/RARC codes, appeals) in the payer "
                       "drill-down.")
            if total <= shown.height:
                ut.export_buttons(shown.drop(not_exported), name, f"{key}-x", column_config=table_cfg)
                continue
            # a long queue: the first ut.LIST_ROWS are drawn; the whole list is read only for a download
            st.caption(f"The first {shown.height:,} of {total:,} by rank; the downloads hold all {total:,}.")
            wanted = f"{key}-all"
            fingerprint = repr((ctx.version, ctx.scope.cache_key, str(ctx.as_of), sorted(values.items())))
            if st.session_state.get(wanted) != fingerprint:
                st.button(f"Prepare downloads ({total:,} rows)", key=f"{key}-prepare",
                          on_click=lambda k=wanted, f=fingerprint: st.session_state.__setitem__(k, f))
            else:
                full = order(ua.call(ctx, "queue.work_queue", as_of=ctx.as_of, lost=lost_list, **values))
                ut.export_buttons(full.drop(not_exported), name, f"{key}-x", column_config=table_cfg)
        st.caption("Same list for automation: `python -m warehouse queue --db PATH --format csv` "
                   "(with --team, --site, --payer, --status, --as-of).")
