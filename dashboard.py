"""Entry point: `streamlit run dashboard.py` (or `make run`). Routes to the pages; nothing else."""
import streamlit as st

st.set_page_config(page_title="Denial analytics", page_icon="📉", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon="📊", url_path="overview", default=True),
    st.Page("pages/weekly_review.py", title="Weekly review", icon=":material/event_note:", url_path="weekly-review"),
    st.Page("pages/site_comparison.py", title="Site comparison", icon=":material/compare:", url_path="site-comparison"),
    st.Page("pages/payer_drilldown.py", title="Payer drill-down", icon=":material/account_balance:",
            url_path="payer-drilldown"),
]

st.navigation(PAGES).run()
