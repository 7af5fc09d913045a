"""Work queue (the billing manager, Monday morning): every open denial, who owns it, its deadline
and what working it is expected to recover, ranked; denials past their deadline shown apart."""
import polars as pl
import streamlit as st

from pages import ui, ui_action as ua
from warehouse.queue import SMOOTHING_APPEALS
from warehouse.scope import ClaimLevelDenied

STATUSES = ["new", "appeal pending", "appeal lost", "corrected claim sent"]
TEAMS = ["front_desk", "authorization", "coding", "billing", "clinical_documentation"]
DUE_SOON_DAYS = 7
SHOWN = ["rank", "claim_id", "payer_name", "root_cause", "action", "deadline", "days_left", "open_denied_dollars",
         "expected_recovery", "priority", "owner_team", "status"]

ui.follow_goto()
ctx = ui.start("Work queue", "Every open denial, ranked: the ones worth most per day left come first. The queue is "
                             "as of the latest remit; the sidebar's site, payer, provider and root cause narrow it "
                             "(its date range does not: an open denial is open whatever its date).")
if ctx:
    flt = ctx.filters.as_dict()
    f1, f2 = st.columns(2)
    teams = f1.multiselect("Team", TEAMS, key="wq_team", bind="query-params", placeholder="All teams",
                           help="The team that owns the denial's root cause (taxonomy).")
    statuses = f2.multiselect("Status", STATUSES, key="wq_status", bind="query-params", placeholder="All statuses",
                              help="new: never worked; appeal pending; appeal lost (a next-level appeal may be "
                                   "possible); corrected claim sent.")
    try:
        with st.spinner("Ranking the open denials ..."):
            q = ua.call(ctx, "queue.work_queue", as_of=ctx.as_of, teams=tuple(teams) or None,
                        sites=flt.get("site"), payers=flt.get("payer"), statuses=tuple(statuses) or None)
    except ClaimLevelDenied as exc:
        st.warning(f"{exc} The work queue lists claims, so it is not available to your role; the Root causes, "
                   "Appeals and A/R pages show the totals.")
        q = None
    if q is not None:
        # the sidebar's other claim filters narrow the list the same way
        if flt.get("provider"):
            q = q.filter(pl.col("provider_npi").is_in(list(flt["provider"])))
        if flt.get("root_cause"):
            q = q.filter(pl.col("root_cause").is_in(list(flt["root_cause"])))
        q = q.select(SHOWN + [c for c in q.columns if c not in SHOWN])      # what to act on first, then the rest
        live, lost = q.filter(~pl.col("lost")), q.filter(pl.col("lost"))
        due = live.filter(pl.col("days_left") <= DUE_SOON_DAYS)
        t = st.columns(4)
        ua.tile(t[0], "Open denied dollars in the queue", ua.money(live["open_denied_dollars"].sum()), key="wq-open",
                help="Denied − recovered − written off, per open denial whose deadline has not passed.",
                caption=f"{live.height:,} open denials")
        ua.tile(t[1], "Expected recovery", ua.money(live["expected_recovery"].sum()), key="wq-expected",
                help="Sum over the live denials of open denied dollars × the smoothed historical appeal win ratio "
                     "of the payer and root cause.", caption="if every live denial is worked")
        ua.tile(t[2], f"Due in the next {DUE_SOON_DAYS} days", ua.money(due["open_denied_dollars"].sum()), key="wq-due",
                help=f"Open denied dollars of the live denials whose deadline is {DUE_SOON_DAYS} days away or less.",
                caption=f"{due.height:,} denials, {ua.money(due['expected_recovery'].sum())} expected")
        ua.tile(t[3], "Lost (deadline passed)", ua.money(lost["open_denied_dollars"].sum()), key="wq-lost",
                help="Open denied dollars whose appeal or corrected-claim deadline has passed: for write-off review, "
                     "not for work.", caption=f"{lost.height:,} denials")

        with st.expander("How the ranking works", expanded=False):
            st.markdown(
                f"- **Priority = expected recovery ÷ days left** (at least 1): the dollars at stake per day "
                f"remaining. A large denial due soon comes first, a small one with months left last; ties by open "
                f"dollars. A denial's priority rises every day it is not worked.\n"
                f"- **Expected recovery** = open denied dollars × the historical appeal win ratio for the payer and "
                f"root cause, smoothed: (won + {SMOOTHING_APPEALS} × payer ratio) / (decided + {SMOOTHING_APPEALS}), "
                f"the payer ratio itself smoothed toward the overall ratio, so two appeals do not swing it between "
                f"0% and 100%.\n"
                f"- **Deadline**: a corrected claim (coding, missing information, eligibility, coordination of "
                f"benefits, credentialing, duplicate) is due within the payer's timely-filing limit from the date of "
                f"service; an appeal within the payer's appeal window from the denial. Windows per payer: the Data "
                f"quality page.\n"
                f"- **Lost**: the deadline has passed; listed apart below, never mixed with the work.")
        st.caption(f"As of {ctx.as_of:%a %d %b %Y} (latest remit). Ranked by priority = expected recovery ÷ days left; "
                   "denials past their deadline are listed apart below.")

        cfg = {"rank": st.column_config.NumberColumn("Rank", pinned=True),
               "claim_id": st.column_config.TextColumn("Claim", pinned=True),
               "site": None, "payer": None, "lost": None,
               "open_denied_dollars": st.column_config.NumberColumn("Open denied", format="dollar"),
               "win_ratio": st.column_config.NumberColumn("Win ratio", format="percent",
                                                          help="Smoothed historical appeal win ratio (payer × cause)."),
               "expected_recovery": st.column_config.NumberColumn("Expected recovery", format="dollar"),
               "priority": st.column_config.NumberColumn("Priority ($/day)", format="%.2f",
                                                         help="Expected recovery ÷ days left (at least 1)."),
               "days_left": st.column_config.NumberColumn("Days left")}
        st.subheader(f"To work ({live.height:,})")
        if live.height == 0:
            st.info("Nothing to work: no open denial with a deadline ahead for these filters.")
        else:
            ui.table(live, key="wq-live", column_config=cfg)
            ui.export_buttons(live, f"work-queue-{ctx.as_of}", "wq-live-x")
        st.subheader(f"Lost: deadline passed ({lost.height:,})")
        if lost.height == 0:
            st.caption("No open denial has passed its deadline.")
        else:
            st.caption("For write-off review and for learning why they were not worked in time.")
            ui.table(lost, key="wq-lost", column_config=cfg)
            ui.export_buttons(lost, f"work-queue-lost-{ctx.as_of}", "wq-lost-x")
        st.caption("Same list for automation: `python -m warehouse queue --db PATH --format csv` "
                   "(with --team, --site, --payer, --status, --as-of).")
