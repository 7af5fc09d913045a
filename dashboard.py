"""Entry point: `streamlit run dashboard.py` (or `make run`). Routes to the pages; nothing else."""
from urllib.parse import urlsplit

import streamlit as st

st.set_page_config(page_title="Denial analytics", page_icon="📉", layout="wide")

from pages import ui_access  # noqa: E402
from pages.ui_base import CURRENT_PAGE  # noqa: E402

# Sign-in gate (docs/access.md): nothing below runs until someone is signed in (or in demo mode).
# The page the address asked for is kept, so signing in lands there rather than on the Overview.
if ui_access.gate() is None:
    st.session_state.setdefault(ui_access.PATH_BEFORE_SIGN_IN, (
        urlsplit(st.context.url or "").path.rstrip("/").rsplit("/", 1)[-1],
        {k: st.query_params.get_all(k) for k in st.query_params}))
    st.stop()



def _home() -> None:
    """`/` forwards to `/overview` with its query parameters, so the Overview has one address that
    works both ways (as the default page it was served at `/` only, and `/overview` showed Streamlit's
    "Page not found" notice over it). Right after sign-in it forwards to the page the address named."""
    target, query = st.session_state.pop(ui_access.PATH_BEFORE_SIGN_IN, (None, None))
    page = next((p for p in PAGES[1:] if p.url_path == target), PAGES[1])
    st.switch_page(page, query_params=query or {k: st.query_params.get_all(k) for k in st.query_params})


PAGES = [
    st.Page(_home, title="Home", url_path="home", default=True, visibility="hidden"),
    st.Page("pages/overview.py", title="Overview", icon="📊", url_path="overview"),
    st.Page("pages/weekly_review.py", title="Weekly review", icon=":material/event_note:", url_path="weekly-review"),
    st.Page("pages/site_comparison.py", title="Site comparison", icon=":material/compare:", url_path="site-comparison"),
    st.Page("pages/payer_drilldown.py", title="Payer drill-down", icon=":material/account_balance:",
            url_path="payer-drilldown"),
    st.Page("pages/root_causes.py", title="Root causes", icon=":material/troubleshoot:", url_path="root-causes"),
    st.Page("pages/providers.py", title="Providers", icon=":material/stethoscope:", url_path="providers"),
    st.Page("pages/appeals.py", title="Appeals", icon=":material/gavel:", url_path="appeals"),
    st.Page("pages/ar.py", title="A/R", icon=":material/hourglass_bottom:", url_path="ar"),
    st.Page("pages/work_queue.py", title="Work queue", icon=":material/checklist:", url_path="work-queue"),
    st.Page("pages/data_quality.py", title="Data quality", icon=":material/fact_check:", url_path="data-quality"),
]

if ui_access.is_admin():                   # the audit log and the users: administrators only
    PAGES.append(st.Page("pages/admin.py", title="Admin: users and audit log", icon=":material/shield_person:",
                         url_path="admin"))

page = st.navigation(PAGES)
st.session_state[CURRENT_PAGE] = page   # the page's filters go back into its address (ui_address.sync_url)
if page.url_path != PAGES[0].url_path:    # signed in on the page asked for: nothing left to forward
    st.session_state.pop(ui_access.PATH_BEFORE_SIGN_IN, None)
page.run()
