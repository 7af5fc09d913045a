"""Administrators only: the users (read-only: users are managed with `python -m warehouse users`) and the
audit log (sign-ins and failures, claim-detail views, exports, user changes) with filters and export.
The app can read the audit log but never change or delete a record (the store refuses UPDATE/DELETE,
and every record is chained to the one before by hash)."""
import datetime as dt

import polars as pl
import streamlit as st

from pages import ui_access, ui_tables as ut
from warehouse.access import AccessError

st.title("Admin: users and audit log")
st.caption("Read-only. Add, remove and reset users with `python -m warehouse users` (docs/access.md); "
           "the audit log cannot be changed or deleted from here or anywhere else without breaking its hash chain.")
user = ui_access.viewer()
st.sidebar.caption(ui_access.mode_text(user))
if user is None or not user.is_admin:
    st.error("Only administrators can see this page.")
    st.stop()

store = ui_access.access_store()

# ------------------------------------------------------------------ users
st.subheader("Users")
users = store.list_users()
if not users:
    st.info("No accounts yet (demo mode). Add one with `python -m warehouse users add NAME --role ROLE --site SITE`; "
            "from then on the dashboard requires sign-in.")
else:
    frame = pl.DataFrame([{**u, "sites": ", ".join(u["sites"]) or ("all" if u["role"] in ("administrator", "mso_leader")
                                                                   else "none")} for u in users])
    ut.table(frame, key="admin-users")

# ------------------------------------------------------------------ audit log
st.subheader("Audit log")
broken = store.verify_audit()
if broken:
    st.error(f"The audit log's hash chain is broken at record(s) {', '.join(map(str, broken[:20]))}: "
             "records were changed or removed outside the app.")
else:
    st.caption("Hash chain intact: no record was changed or removed.")
c1, c2, c3, c4 = st.columns([1.2, 1, 1, 1])
events = ["sign_in", "sign_in_failed", "sign_out", "session_expired", "claim_view", "export", "user_added",
          "user_removed", "password_reset"]
picked = c1.multiselect("Event", events, key="audit_event", placeholder="All")
actor = c2.text_input("User", key="audit_actor", placeholder="any")
since = c3.date_input("From", value=dt.date.today() - dt.timedelta(days=30), key="audit_from")
until = c4.date_input("To", value=dt.date.today(), key="audit_to")
try:
    rows = store.read_audit(user, limit=20000)
except AccessError as exc:
    st.error(str(exc))
    st.stop()
log = pl.DataFrame([{**r, "detail": ui_access.audit_json(r["detail"])} for r in rows],
                   schema={"seq": pl.Int64, "at": pl.String, "actor": pl.String, "event": pl.String,
                           "scope": pl.String, "detail": pl.String})
if log.height == 0:
    st.info("The audit log is empty.")
else:
    if picked:
        log = log.filter(pl.col("event").is_in(picked))
    if actor:
        log = log.filter(pl.col("actor").fill_null("").str.contains(actor, literal=True))
    log = log.filter((pl.col("at").str.slice(0, 10) >= since.isoformat())
                     & (pl.col("at").str.slice(0, 10) <= until.isoformat()))
    st.caption(f"{log.height:,} record(s), newest first (times in UTC).")
    ut.table(log, key="admin-audit", column_config={"detail": st.column_config.TextColumn("Detail", width="large")})
    ut.export_buttons(log, "audit-log", "admin-audit-x")
