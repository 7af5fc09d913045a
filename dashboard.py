"""Entry point: `streamlit run dashboard.py` (or `make run`). Routes to the pages; nothing else."""
import streamlit as st

st.set_page_config(page_title="Denial analytics", page_icon="📉", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon="📊", url_path="overview", default=True),
]

st.navigation(PAGES).run()
