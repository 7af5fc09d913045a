"""Sign-in, roles and site-level access (issue 7), and the audit log.

Who is looking decides the scope of every number (current_scope); the dashboard's gate (gate(),
called by dashboard.py before any page runs) shows the sign-in screen until someone is signed in.
Demo mode (no sign-in, the demo administrator) only when nothing real is at stake: the warehouse
holds only demo loads, no account was ever created and no [auth] section is set, and only for a
browser on this machine. docs/access.md."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from dataclasses import replace
from typing import Any, Callable

import streamlit as st

from pages.ui_base import CACHE_TTL_S, CARRY, connection, db_path
from warehouse import access as _access
from warehouse.access import DEMO_USER, ROLES, AccessError, AccessStore, User
from warehouse.schema import ModelsTooOld, SchemaTooNew, SchemaTooOld
from warehouse.scope import Scope
from warehouse.store import WarehouseMissing

NO_ACCESS = Scope(frozenset(), "not signed in", claim_level=False)
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_USER, _AT, _METHOD, _ROLE, _NOTICE = "_auth_user", "_auth_signed_in_at", "_auth_method", "_auth_role", "_auth_notice"
PATH_BEFORE_SIGN_IN = "path_before_sign_in"    # (page url_path, query) the address asked for (dashboard.py)
_OIDC_DONE = "_auth_oidc_done"            # the provider's sign-in was refused or expired: no silent retry
_AUDITED = "_auth_audited"
ROLE_LABELS = {"administrator": "administrator", "mso_leader": "MSO leader", "site_manager": "site manager",
               "analyst": "analyst", "viewer": "viewer (totals only)"}
AUDIT_FILTER_KEYS = CARRY + ["procedure", "modifier", "carc", "q", "denied_only", "claim", "week"]


def current_scope() -> Scope:
    """The signed-in user's access scope (every site for the demo administrator in demo mode); a
    scope with no sites and no claim level when nobody is signed in."""
    user = viewer()
    return user.scope if user is not None else NO_ACCESS


def access_store() -> AccessStore:
    return AccessStore(db_path())


def _secret(section: str) -> dict | None:
    try:
        value = st.secrets.get(section)
    except Exception:                     # no secrets.toml anywhere, or an unreadable one
        return None
    return value.to_dict() if hasattr(value, "to_dict") else (dict(value) if value else None)


# Streamlit's st.login comes back to the app's first page in a new session (streamlit/streamlit#10162),
# so the page and filters a shared link asked for are kept here, under a hash of the browser's XSRF
# cookie (set by Streamlit's server before any sign-in, the same across the provider's redirect), for
# the first signed-in run of that browser to pick up. Nothing is kept when the browser sends no cookie.
PENDING_LINK_TTL_S = 600
XSRF_COOKIE = "_streamlit_xsrf"


PENDING_LINKS_MAX = 10_000       # sign-in clicks kept at most (oldest dropped first)


@st.cache_resource(show_spinner=False)
def _pending_links() -> tuple[threading.Lock, dict[str, tuple[float, Any]]]:
    """Shared by every session's script thread: use it under its lock."""
    return threading.Lock(), {}


def _browser_key() -> str | None:
    """A hash of the browser's XSRF token. Tornado writes the cookie as '2|mask|masked token|time' with
    a new mask each time it sets it (the provider's callback does), so the token is unmasked first."""
    cookie = (st.context.cookies or {}).get(XSRF_COOKIE)
    if not cookie:
        return None
    parts = cookie.split("|")
    try:
        if len(parts) == 4 and parts[0] == "2":
            mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
            cookie = bytes(b ^ mask[i % len(mask)] for i, b in enumerate(masked)).hex()
    except ValueError:
        pass
    return hashlib.sha256(cookie.encode()).hexdigest()


def _remember_requested_page() -> None:
    """Keeps the page and filters this session's address named, unless it named none (a sign-in retried
    from the Overview after a cancelled one must not replace the link kept by the first)."""
    key, requested = _browser_key(), st.session_state.get(PATH_BEFORE_SIGN_IN)
    if not key or not requested:
        return
    target, query = requested
    if target in ("", "home", "overview") and not query:
        return
    lock, pending = _pending_links()
    now = time.time()
    with lock:
        for k in [k for k, (t, _) in pending.items() if now - t > PENDING_LINK_TTL_S]:
            del pending[k]
        pending.pop(key, None)             # re-inserted last: the dict stays in time order
        pending[key] = (now, requested)
        while len(pending) > PENDING_LINKS_MAX:
            del pending[next(iter(pending))]


def _recall_requested_page() -> None:
    """Once per session: the page a link asked for before the provider's sign-in, if this browser left one."""
    ss = st.session_state
    if ss.get("_auth_link_recalled"):
        return
    ss["_auth_link_recalled"] = True
    key = _browser_key()
    if not key:
        return
    lock, pending = _pending_links()
    with lock:
        kept = pending.pop(key, None)
    if kept and time.time() - kept[0] <= PENDING_LINK_TTL_S and PATH_BEFORE_SIGN_IN not in ss:
        ss[PATH_BEFORE_SIGN_IN] = kept[1]


def auth_settings() -> dict | None:
    """The [auth] section of .streamlit/secrets.toml (Streamlit's st.login), or None."""
    return _secret("auth") or None


def access_settings() -> dict:
    """The [access] section: provider (a named [auth.<name>] provider), provider_label, role_claim
    (default 'groups') and group_roles (provider group -> role)."""
    return _secret("access") or {}


@st.cache_data(ttl=CACHE_TTL_S, show_spinner=False)
def _only_demo_loads(version: str) -> bool:
    con, _ = connection()
    return _access.only_demo_loads(con)


def access_mode() -> str:
    """'demo' (no sign-in: the demo administrator) or 'sign-in' (local accounts and/or the identity provider)."""
    if auth_settings() or _access.has_users(db_path()):
        return "sign-in"
    try:
        _, version = connection()
    except WarehouseMissing:
        return "demo"                     # nothing to show: the page says how to build the warehouse
    except (SchemaTooOld, SchemaTooNew):
        return "sign-in"
    return "demo" if _only_demo_loads(version) else "sign-in"


def _loopback_only() -> bool:
    """Demo mode serves a browser on this machine only (make run binds 127.0.0.1)."""
    address = st.get_option("server.address")
    if address and address not in LOOPBACK:
        return False
    try:
        ip = st.context.ip_address
    except Exception:
        ip = None
    if not isinstance(ip, str):           # None: a browser on localhost (Streamlit reports no address)
        ip = None
    return ip is None or ip in LOOPBACK


def _provider_signed_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except Exception:
        return False


def _clear_session() -> None:
    for key in (_USER, _AT, _METHOD, _ROLE):
        st.session_state.pop(key, None)


def _resolve() -> User | None:
    """The signed-in user from this browser session (or the identity provider's cookie), None if nobody.
    Expired sessions and removed accounts end here, with a notice for the sign-in screen."""
    ss = st.session_state
    name = ss.get(_USER)
    if name:
        if _access.session_expired(ss[_AT]):
            method = ss.get(_METHOD)
            access_store().audit(name, "session_expired", None, {"method": method})
            _clear_session()
            ss[_NOTICE] = (f"Your session expired ({int(_access.SESSION_TTL.total_seconds() // 3600)} hours after "
                           "you signed in). Sign in again.")
            if method == "oidc":
                ss[_OIDC_DONE] = True
            return None
        user = access_store().user(name)
        if user is None:
            _clear_session()
            ss[_NOTICE] = "Your account is no longer active (removed by an administrator). You have been signed out."
            ss[_OIDC_DONE] = True
            return None
        if ss.get(_ROLE) in ROLES and ss[_ROLE] != user.role:
            user = replace(user, role=ss[_ROLE])          # the role a provider group mapped to
        return user
    if auth_settings() and not ss.get(_OIDC_DONE) and _provider_signed_in():
        claims = st.user.to_dict()
        signed_at = _access._utcnow()
        if isinstance(claims.get("iat"), (int, float)):    # when the provider signed the user in
            signed_at = dt.datetime.fromtimestamp(claims["iat"], dt.timezone.utc).replace(tzinfo=None)
        if _access.session_expired(signed_at):
            ss[_NOTICE] = "Your session expired. Sign in again."
            ss[_OIDC_DONE] = True
            return None
        settings = access_settings()
        groups = claims.get(settings.get("role_claim", "groups")) or []
        groups = [groups] if isinstance(groups, str) else [str(g) for g in groups]
        try:
            user = access_store().sign_in_identity(str(claims.get("sub", "")), claims.get("email"), groups,
                                                   settings.get("group_roles") or {})
        except AccessError as exc:
            ss[_NOTICE] = str(exc)
            ss[_OIDC_DONE] = True
            return None
        ss[_USER], ss[_AT], ss[_METHOD], ss[_ROLE] = user.username, signed_at, "oidc", user.role
        return user
    return None


def viewer() -> User | None:
    """Who is looking: the signed-in user, the demo administrator in demo mode, or None."""
    if access_mode() == "demo":
        return DEMO_USER if _loopback_only() else None
    return _resolve()


def refusal(user: User) -> str | None:
    """Why a signed-in user still sees nothing (no sites assigned), or None."""
    if user.scope.site_ids is not None and not user.scope.site_ids:
        return (f"You are signed in as {user.display_name}, but your account has no sites assigned, so there is "
                "nothing to show. Ask an administrator to assign your sites.")
    return None


def sign_out() -> None:
    user, method = st.session_state.get(_USER), st.session_state.get(_METHOD)
    if user:
        access_store().audit(user, "sign_out", None, {"method": method})
    _clear_session()
    st.session_state[_OIDC_DONE] = True
    if method == "oidc" or (auth_settings() and _provider_signed_in()):
        st.logout()
    else:
        st.rerun()


def mode_text(user: User | None = None) -> str:
    user = user or viewer()
    if user is None:
        return "Not signed in."
    if user is DEMO_USER:
        return ("**Demo mode** · signed in as **demo administrator** (no accounts, demo data only, served on "
                f"localhost only) · scope: {user.scope.label}")
    method = {"oidc": "identity provider", "password": "local account"}.get(st.session_state.get(_METHOD),
                                                                           "local account")
    until = st.session_state.get(_AT)
    until = f" · session until {until + _access.SESSION_TTL:%H:%M} UTC" if until else ""
    return (f"Signed in as **{user.display_name}** ({ROLE_LABELS.get(user.role, user.role)}, {method}) · "
            f"scope: {user.scope.label}{until}")


def identity_line() -> None:
    """Who is signed in, how, and the mode; a sign-out button when there is something to sign out of."""
    user = viewer()
    st.sidebar.caption(mode_text(user))
    if user is not None and user is not DEMO_USER:
        st.sidebar.button("Sign out", key="_auth_sign_out", on_click=_sign_out_clicked)


def _sign_out_clicked() -> None:
    st.session_state["_auth_sign_out_now"] = True


def _upgrade_needed() -> str | None:
    """What the warehouse needs before anyone can use it, said on the sign-in screen too: a warehouse
    the software cannot read cannot say whether it holds only the demo's data, so demo mode (no
    accounts) would otherwise show a sign-in form nobody can pass. No path is shown to a visitor."""
    try:
        connection()
    except ModelsTooOld:
        return ("This warehouse's models were built by an earlier release: an administrator runs "
                "`python -m warehouse refresh --db <the warehouse>` on the server, then reloads this page.")
    except SchemaTooOld:
        return ("This warehouse was written by an earlier release: an administrator runs `python -m warehouse "
                "migrate --db <the warehouse>` on the server (after a backup), then reloads this page.")
    except SchemaTooNew:
        return "This warehouse was written by a newer release: the software on this server needs an upgrade."
    except WarehouseMissing:       # the page says so itself
        pass
    return None


def signin_screen() -> None:
    """The sign-in screen: the identity provider's button (when [auth] is set) and the local-account form."""
    ss = st.session_state
    st.title("Denial analytics: sign in")
    if access_mode() == "demo":
        st.error("Demo mode serves a browser on this machine only. Start the dashboard bound to localhost "
                 "(`make run`), or set up accounts (`python -m warehouse users add ...`) to serve it to others.")
        return
    upgrade = _upgrade_needed()
    if upgrade:
        st.warning(upgrade)
    else:
        st.caption("Sign-in required: this warehouse holds data other than the demo's, or accounts are set up. "
                   "Your role and sites decide what you see.")
    notice = ss.get(_NOTICE)
    if notice:
        st.warning(notice)
    settings = access_settings()
    if auth_settings():
        provider = settings.get("provider")
        label = settings.get("provider_label", "your organisation's sign-in")
        if _provider_signed_in() and ss.get(_OIDC_DONE):
            if st.button(f"Sign out of {label} and sign in again", key="_auth_relogin", type="primary"):
                ss.pop(_NOTICE, None)
                st.logout()
        elif st.button(f"Sign in with {label}", key="_auth_login", type="primary"):
            ss.pop(_OIDC_DONE, None)
            _remember_requested_page()
            st.login(provider) if provider else st.login()
    local = st.expander("Local account", expanded=not auth_settings()) if auth_settings() else st.container()
    with local:
        with st.form("_signin", clear_on_submit=True):
            username = st.text_input("User name", key="_signin_user")
            password = st.text_input("Password", type="password", key="_signin_password")
            submitted = st.form_submit_button("Sign in")
        if submitted:
            try:
                user = access_store().sign_in(username.strip(), password)
            except AccessError as exc:
                st.error(str(exc))
            else:
                _clear_session()
                ss[_USER], ss[_AT], ss[_METHOD], ss[_ROLE] = user.username, _access._utcnow(), "password", user.role
                ss.pop(_NOTICE, None)
                st.rerun()


def gate() -> User | None:
    """Called by dashboard.py before the pages: the viewer, or None after drawing the sign-in screen
    (or a refusal), in which case the caller stops."""
    if st.session_state.pop("_auth_sign_out_now", False):
        sign_out()
    user = viewer()
    if user is None:
        signin_screen()
        return None
    why = refusal(user)
    if why:
        st.title("Denial analytics")
        st.warning(why)
        st.caption(mode_text(user))
        if st.button("Sign out", key="_auth_refused_sign_out"):
            sign_out()
        return None
    _recall_requested_page()
    return user


def is_admin() -> bool:
    user = viewer()
    return bool(user and user.is_admin)


# ------------------------------------------------------------------ the audit log: who saw and took what
def filter_state() -> dict[str, Any]:
    """The filters in force (sidebar and page filters, as the widgets hold them) for an audit record."""
    out: dict[str, Any] = {}
    for key in AUDIT_FILTER_KEYS:
        value = st.session_state.get(key)
        if value in (None, "", [], ()):
            continue
        out[key] = [str(v) for v in value] if isinstance(value, (list, tuple)) else str(value)
    return out


def audit(event: str, detail: dict) -> None:
    """Append a record (who, when, scope, detail) to the audit log; never fails the page."""
    user = viewer()
    try:
        access_store().audit(user.username if user else None, event, user.scope.label if user else None,
                             {**detail, "role": user.role if user else None})
    except Exception as exc:              # the log is evidence, but a locked file must not blank the page
        st.toast(f"Could not write the audit log: {exc}")


def audit_once(event: str, key: str, detail: dict) -> None:
    """audit() unless this session's last `event` record had the same key (a rerun of the same view)."""
    seen = st.session_state.setdefault(_AUDITED, {})
    if seen.get(event) == key:
        return
    seen[event] = key
    audit(event, detail)


def audit_export(name: str, fmt_: str, rows: int, **extra) -> Callable[[], None]:
    """An on_click for a download button: records the export (table, format, rows, filters)."""
    def callback() -> None:
        audit("export", {"table": name, "format": fmt_, "rows": rows, "filters": filter_state(), **extra})
    return callback


def audit_json(detail) -> str:
    return json.dumps(detail, sort_keys=True, default=str)
