"""What every page stands on: the published warehouse (one DuckDB snapshot per process), how long
page data stays cached, and the names of the sidebar filters that the pages keep in the URL and
carry from page to page. No SQL here."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import streamlit as st

from warehouse.scope import Scope
from warehouse.store import Snapshot, resolve_db_path

CACHE_TTL_S = 600
FILTER_DIMS = [("site", "Site"), ("provider", "Rendering provider"), ("payer", "Payer"),
               ("payer_class", "Payer class"), ("root_cause", "Root cause"), ("stage", "Stage")]
FILTER_KEYS = [k for k, _ in FILTER_DIMS]
BASIS_LABELS = {"adjudication": "Initial adjudication", "service": "Date of service"}
# the sidebar widgets' keys: what carry_filters re-asserts and the audit log records
CARRY = FILTER_KEYS + ["range", "from", "to", "basis"]
CURRENT_PAGE = "_ui_page"        # dashboard.py keeps the running st.Page here (ui_address.sync_url)


# ------------------------------------------------------------------ the published warehouse
@st.cache_resource
def _snapshot(path: str) -> tuple[Snapshot, threading.Lock]:
    return Snapshot(Path(path)), threading.Lock()


def db_path() -> Path:
    return resolve_db_path(os.environ.get("DENIALS_DB"))


def connection():
    """(a cursor on the last published warehouse state, that state's version key).

    A load publishes a new file; the next call sees the new version and reopens, so the page
    never shows half a load and picks up the new state on its next rerun."""
    snap, lock = _snapshot(str(db_path().resolve()))
    with lock:
        cur = snap.cursor()
        version = snap.version
    return cur, f"{version.inode}:{version.mtime_ns}:{version.size}"


def scope_from_key(key: str) -> Scope:
    return Scope.from_cache_key(key)
