"""The sidebar's filters and the address (URL): what a link names that the warehouse does not hold,
and the filters a page runs with put back into its address after a move with the page menu. Used by
pages.ui.sidebar_filters before its widgets are drawn; no SQL here."""
from __future__ import annotations

import datetime as dt
import re

import streamlit as st
from streamlit.errors import StreamlitAPIException

from pages.ui_base import BASIS_LABELS, CARRY, CURRENT_PAGE, FILTER_DIMS
from warehouse import periods

_URL_SYNCED = "_ui_url_synced"


def filters_in_url(choices: dict) -> dict[str, list[str]]:
    """The sidebar filters as their URL parameters: the labels the bound widgets write, no defaults."""
    ss = st.session_state
    want: dict[str, list[str]] = {}
    preset = ss.get("range", "last_13_weeks")
    if preset in periods.PRESETS and preset != "last_13_weeks":
        want["range"] = [periods.PRESETS[preset]]
        if preset == "custom":
            want |= {k: [ss[k].isoformat()] for k in ("from", "to") if isinstance(ss.get(k), dt.date)}
    if ss.get("basis") in BASIS_LABELS and ss["basis"] != "adjudication":
        want["basis"] = [BASIS_LABELS[ss["basis"]]]
    for dim, _ in FILTER_DIMS:
        names = dict(choices[dim])
        if ss.get(dim):
            want[dim] = [names.get(v, v) for v in ss[dim]]
    return want


def sync_url(choices: dict) -> None:
    """After a move with the page menu the filters follow in Session State (ui.carry_filters), but
    Streamlit writes no value set that way to the URL, so the address showed a bare page and a copied
    link lost the view (two reviewers). Before the widgets are drawn, a page whose address lacks some
    of the filters it runs with opens itself once more with them added. It only adds: a value the
    address holds is the address's (a link, the browser's Back button), as Streamlit's widgets have it.
    Once per page and missing set while they stay missing (where Streamlit refuses the switch, the
    filters still apply and the address stays as it was)."""
    page = st.session_state.get(CURRENT_PAGE)
    if page is None:
        return
    known = [k for k in CARRY if k in st.session_state]      # none yet: a link being opened sets them
    missing = {k: v for k, v in filters_in_url(choices).items() if k in known and k not in st.query_params}
    if not missing:
        st.session_state.pop(_URL_SYNCED, None)
        return
    mark = (page.url_path, tuple(sorted((k, tuple(v)) for k, v in missing.items())))
    if st.session_state.get(_URL_SYNCED) == mark:
        return
    st.session_state[_URL_SYNCED] = mark
    here = {k: st.query_params.get_all(k) for k in st.query_params}
    try:
        st.switch_page(page, query_params=here | missing)
    except StreamlitAPIException:
        pass


def md_literal(text: str) -> str:
    """Text from the address shown inside Markdown as typed: its Markdown characters escaped, so a
    crafted link cannot put a clickable link or formatting into a warning."""
    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~$:])", r"\\\1", text)


def unknown_link_values(choices: dict[str, list[tuple[str, str]]], restricted: bool = False) -> list[str]:
    """The URL's filter values that match no choice ("a site 'Nonexistent Site'"), read before the bound
    widgets drop them from the URL without a word: a stale shared link (a renamed site, another MSO's
    payer, a site outside the viewer's scope) would otherwise quietly show everything. Only for filters
    not already set in this session (a link being opened); a link carries the labels the widgets show."""
    out = []
    params = st.query_params
    checks = [("range", "date range", set(periods.PRESETS.values())), ("basis", "date basis", set(BASIS_LABELS.values()))]
    checks += [(dim, label.lower(), {name for _, name in choices[dim]}) for dim, label in FILTER_DIMS]
    for key, label, valid in checks:
        if key in st.session_state or key not in params:
            continue
        bad = [v for v in params.get_all(key) if v not in valid]
        if bad and key == "site" and restricted:      # a site-scoped user: no site name echoed back
            out.append(f"{len(bad)} site{'s' if len(bad) > 1 else ''} outside your access")
        elif bad:
            out.append(f"a {label} " + ", ".join(f"'{md_literal(v)}'" for v in bad))
    return out
