"""Roles and site-level access through the app (Streamlit's AppTest with a signed-in session):
what each role may and may not see on every page, every filter's choices, the URL's query parameters,
exports, the kpi command with --user, sign-in refusals, the audit log, caches that never cross users,
and when the app runs as the demo administrator (docs/access.md)."""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from conftest import FIXTURES, ROOT, load, run_cli
from warehouse.access import SESSION_TTL, AccessStore, _utcnow

PW = "correct horse battery"
W20 = ("2026-05-11", "2026-05-17")               # the core fixture's last complete week
SITES = {"S1": "Alpha Orthopedics", "S2": "Beta Family Medicine"}
# who, role, sites -> what they may see
ROLE_TABLE = {
    #  user    role             sites     visible sites   claim level  admin page
    "ada": ("administrator", [], {"S1", "S2"}, True, True),
    "max": ("mso_leader", [], {"S1", "S2"}, True, False),
    "sam": ("site_manager", ["S2"], {"S2"}, True, False),
    "ana": ("analyst", ["S1"], {"S1"}, True, False),
    "vic": ("viewer", ["S1"], {"S1"}, False, False),
}


def dashboard_pages() -> list[str]:
    """Every page the dashboard routes to (pages another engineer adds included)."""
    return [p for p in re.findall(r'st\.Page\("(pages/[a-z_]+\.py)"', (ROOT / "dashboard.py").read_text())
            if (ROOT / p).exists() and p != "pages/admin.py"]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """The hand-made core fixture loaded as real data (command 'load'), with one user per role."""
    db = tmp_path_factory.mktemp("roles") / "core.duckdb"
    load(db, FIXTURES / "core")
    store = AccessStore(db)
    for name, (role, sites, *_) in ROLE_TABLE.items():
        store.add_user(name, role, sites, password=PW, display_name=name.capitalize())
    store.add_user("nina", "analyst", [], password=PW)                      # no sites assigned
    return db


def app(monkeypatch, db, user: str | None = None, page: str | None = None, signed_in_at=None,
        query: dict | None = None, run: bool = True) -> AppTest:
    monkeypatch.setenv("DENIALS_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    if user:
        role = ROLE_TABLE.get(user, ("analyst",))[0]
        at.session_state["_auth_user"] = user
        at.session_state["_auth_signed_in_at"] = signed_in_at or _utcnow()
        at.session_state["_auth_method"] = "password"
        at.session_state["_auth_role"] = role
    for k, v in (query or {}).items():
        at.query_params[k] = v
    if run:
        at.run()
        if page:
            at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def rendered(at) -> bytes:
    """Every element the run produced, serialised (text, tables as Arrow bytes, chart specs)."""
    return b"".join(n.proto.SerializeToString() for n in walk(at._tree) if getattr(n, "proto", None) is not None)


def claim_tables(at) -> list:
    return [df.value for df in at.dataframe if "claim_id" in df.value.columns]


def texts(at) -> str:
    return "\n".join([c.value for c in at.caption] + [m.value for m in at.markdown] + [t.value for t in at.title]
                     + [w.value for w in at.warning] + [e.value for e in at.error] + [i.value for i in at.info])


# ------------------------------------------------------------------ the role table, page by page
@pytest.mark.parametrize("user", list(ROLE_TABLE))
def test_role_table_on_every_page(monkeypatch, db, user):
    role, _, visible, claim_level, admin = ROLE_TABLE[user]
    hidden = {SITES[s] for s in SITES if s not in visible}
    at = app(monkeypatch, db, user)
    for page in dashboard_pages():
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert at.title and at.title[0].value != "Denial analytics: sign in", page
        assert f"Signed in as **{user.capitalize()}**" in texts(at), page          # the mode, on every page
        # every filter's choices: the sites of the scope only
        sites = at.sidebar.multiselect(key="site").options if any(
            m.key == "site" for m in at.sidebar.multiselect) else None
        if sites is not None:
            assert set(sites) == {SITES[s] for s in visible}, (page, sites)
        # nothing of another site anywhere on the page (text, tables, charts)
        blob = rendered(at)
        for name in hidden:
            assert name.encode() not in blob, (page, name)
        if not claim_level:
            assert not claim_tables(at), page
    # claim list and claim detail on the payer drill-down
    at = app(monkeypatch, db, user, "pages/payer_drilldown.py")
    if claim_level:
        listed = claim_tables(at)
        assert listed and set(listed[0]["site"]) <= visible
        assert [k for k in (b.proto.id for b in at.get("download_button")) if "pd-claims-x" in k]
    else:
        assert not claim_tables(at)
        assert "claim list, claim detail and claim-level exports are not available" in texts(at)
        assert not [k for k in (b.proto.id for b in at.get("download_button")) if "pd-claims-x" in k]
        assert not [t for t in at.text_input if t.key == "claim"]
    # the admin page: administrators only (not in their navigation; refused if reached anyway)
    at = app(monkeypatch, db, user)
    try:
        at.switch_page("pages/admin.py").run()
    except Exception:                   # not a page of this user's navigation
        assert not admin
        return
    assert not at.exception
    if admin:
        assert "Users" in [s.value for s in at.subheader]
    else:
        assert "Users" not in [s.value for s in at.subheader] and "Audit log" not in [s.value for s in at.subheader]


def test_viewer_typing_a_claim_in_the_url_sees_nothing(monkeypatch, db):
    at = app(monkeypatch, db, "vic", "pages/payer_drilldown.py", query={"claim": "C1"})
    assert not claim_tables(at) and "#### Claim C1" not in texts(at)


def test_site_manager_editing_the_url_to_another_site_gets_nothing(monkeypatch, db):
    at = app(monkeypatch, db, "sam", query={"site": SITES["S1"], "range": "Last complete week"})
    assert at.sidebar.multiselect(key="site").value == []            # the other site's name is dropped
    assert b"Alpha Orthopedics" not in rendered(at)
    # the link's filter left out is said, without naming the site (ui_address.unknown_link_values)
    assert [w.value.split(",")[0] for w in at.warning] == ["This link names 1 site outside your access"]
    tiles = {m.label.split(" ", 1)[-1]: m.value for m in at.metric}
    assert tiles["Denial rate"] == "25.0%"                              # S2 only: 1 of 4
    # and a claim of S1 typed into the URL is not found
    at = app(monkeypatch, db, "sam", "pages/payer_drilldown.py", query={"claim": "C1"})
    at.text_input(key="claim").input("C1").run()
    assert "#### Claim C1" not in texts(at)
    assert any("No claim 'C1' within your access scope" in w.value for w in at.warning)


def kpi_cli(db, *args) -> list[dict]:
    res = run_cli("warehouse", "kpi", "--db", str(db), "--format", "json", "--with-parts", *args)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.mark.parametrize("user", ["sam", "vic"])
def test_scoped_numbers_equal_the_kpi_command(monkeypatch, db, user):
    from pages.ui_tables import fmt
    from warehouse.metrics import KPIS
    at = app(monkeypatch, db, user)                                     # the Overview: last complete week
    expected = kpi_cli(db, "--from", W20[0], "--to", W20[1], "--user", user)[0]
    everyone = kpi_cli(db, "--from", W20[0], "--to", W20[1])[0]
    shown = {m.label.split(" ", 1)[-1] if m.label[:1] in "🟢🟡🔴⚪" else m.label: m.value for m in at.metric}
    for key in ("denial_rate", "denied_dollars", "denial_rate_dollars", "ar_days"):
        assert shown[KPIS[key].label] == fmt(key, expected[key]), key
    assert expected["denial_rate"] != everyone["denial_rate"]


def test_kpi_and_queue_commands_with_user(db):
    sam = kpi_cli(db, "--by", "site", "--user", "sam")
    assert {r["site"] for r in sam} == {"S2"}
    res = run_cli("warehouse", "queue", "--db", str(db), "--user", "vic")
    assert res.returncode != 0 and "totals only" in (res.stderr + res.stdout)
    res = run_cli("warehouse", "queue", "--db", str(db), "--user", "sam", "--format", "csv")
    assert res.returncode == 0 and "Alpha" not in res.stdout


# ------------------------------------------------------------------ refusals: a clear message and no data
def signin(at, user, password):
    at.text_input(key="_signin_user").input(user)
    at.text_input(key="_signin_password").input(password)
    [b for b in at.button if b.label == "Sign in"][0].click().run()
    return at


def test_sign_in_form_wrong_password_and_lockout(monkeypatch, db, tmp_path):
    copy = tmp_path / "w.duckdb"
    shutil.copy(db, copy)
    AccessStore(copy).add_user("lee", "analyst", ["S1"], password=PW)
    AccessStore(copy).add_user("ana", "analyst", ["S1"], password=PW, display_name="Ana")
    at = app(monkeypatch, copy)
    assert at.title[0].value == "Denial analytics: sign in" and not at.metric
    signin(at, "lee", "wrong password!")
    assert any("Wrong user name or password" in e.value for e in at.error) and not at.metric
    for _ in range(4):
        signin(at, "lee", "wrong password!")
    assert any("locked" in e.value for e in at.error)
    signin(at, "lee", PW)                                          # even the right password, while locked
    assert any("locked" in e.value for e in at.error) and not at.metric
    # a fresh account signs in and sees its scope
    signin(at, "ana", PW)
    assert not at.exception and at.title[0].value == "Overview" and at.metric
    assert "Signed in as **Ana**" in texts(at) and "local account" in texts(at)


def test_expired_session_asks_to_sign_in_again(monkeypatch, db):
    at = app(monkeypatch, db, "sam", signed_in_at=_utcnow() - SESSION_TTL - dt.timedelta(minutes=1))
    assert at.title[0].value == "Denial analytics: sign in" and not at.metric
    assert any("session expired" in w.value for w in at.warning)


def test_removed_user_is_signed_out(monkeypatch, db, tmp_path):
    copy = tmp_path / "w.duckdb"
    shutil.copy(db, copy)
    store = AccessStore(copy)
    store.add_user("rex", "analyst", ["S1"], password=PW)
    at = app(monkeypatch, copy)
    signin(at, "rex", PW)
    assert at.metric
    store.remove_user("rex")
    at.run()
    assert not at.metric and any("no longer active" in w.value for w in at.warning)


def test_user_with_no_sites_sees_nothing(monkeypatch, db):
    at = app(monkeypatch, db, "nina")
    assert not at.metric and not at.dataframe
    assert any("no sites assigned" in w.value for w in at.warning)


def test_not_signed_in_sees_nothing(monkeypatch, db):
    for page in dashboard_pages():
        at = app(monkeypatch, db, None, None)
        assert at.title[0].value == "Denial analytics: sign in" and not at.metric and not at.dataframe, page


# ------------------------------------------------------------------ caches never cross users
def test_cached_results_do_not_cross_users(monkeypatch, db):
    q = {"range": "Last complete week"}
    ada = app(monkeypatch, db, "ada", query=q)
    sam = app(monkeypatch, db, "sam", query=q)
    ada2 = app(monkeypatch, db, "ada", query=q)
    rate = lambda at: {m.label.split(" ", 1)[-1]: m.value for m in at.metric}["Denial rate"]   # noqa: E731
    assert rate(ada) == rate(ada2) == "45.5%" and rate(sam) == "25.0%"
    assert ada.sidebar.multiselect(key="site").options != sam.sidebar.multiselect(key="site").options


# ------------------------------------------------------------------ the audit log
def test_audit_records_claim_views_with_who_and_scope(monkeypatch, db):
    at = app(monkeypatch, db, "sam", "pages/payer_drilldown.py")
    at.text_input(key="claim").input("C6").run()
    store = AccessStore(db)
    rows = [r for r in store.read_audit(store.user("ada"), event="claim_view") if r["actor"] == "sam"]
    assert rows and rows[0]["detail"]["claim_id"] == "C6" and rows[0]["scope"] == "S2"
    assert "filters" in rows[0]["detail"]


def test_admin_page_lists_users_and_the_audit_log(monkeypatch, db):
    AccessStore(db).sign_in("ana", PW)
    at = app(monkeypatch, db, "ada", "pages/admin.py")
    users = at.dataframe[0].value
    assert set(ROLE_TABLE) <= set(users["username"])
    log = at.dataframe[1].value
    assert {"sign_in", "user_added"} <= set(log["event"])
    at.multiselect(key="audit_event").set_value(["sign_in"]).run()
    assert set(at.dataframe[1].value["event"]) == {"sign_in"}
    assert "Hash chain intact" in texts(at)
    # there is no widget that edits or deletes: only filters and downloads
    assert not at.button


# ------------------------------------------------------------------ demo mode, decided explicitly
@pytest.fixture()
def demo_only(tmp_path):
    db = tmp_path / "demo.duckdb"
    from etl.load import load_paths
    load_paths(db, [str(FIXTURES / "core")], progress=None, command="demo")
    return db


def test_demo_mode_only_with_demo_loads_and_no_users(monkeypatch, demo_only, db):
    at = app(monkeypatch, demo_only)
    assert at.title[0].value == "Overview" and at.metric
    assert "signed in as **demo administrator**" in texts(at) and "Demo mode" in texts(at)
    # real data (a load that is not the demo's) -> sign-in
    at = app(monkeypatch, db)
    assert at.title[0].value == "Denial analytics: sign in" and not at.metric
    # a user added to the demo warehouse -> sign-in
    AccessStore(demo_only).add_user("zed", "analyst", ["S1"], password=PW)
    at = app(monkeypatch, demo_only)
    assert at.title[0].value == "Denial analytics: sign in" and not at.metric


def test_demo_mode_not_with_an_auth_section(monkeypatch, demo_only):
    monkeypatch.setattr("pages.ui_access.auth_settings", lambda: {"client_id": "x"})
    at = app(monkeypatch, demo_only)
    assert at.title[0].value == "Denial analytics: sign in" and not at.metric


def test_signing_in_lands_on_the_page_the_address_named(db, browser):
    """A link to the Appeals page of one site opened before signing in: after the sign-in form, that page
    with its filter, not the Overview (the address is kept across the form)."""
    from conftest import settle, sign_in, streamlit_server
    with streamlit_server(db) as url:
        pg = browser.new_page()
        try:
            pg.goto(f"{url}/appeals?site=Alpha+Orthopedics")
            settle(pg)
            assert "sign in" in pg.locator("[data-testid=stMain] h1").first.inner_text()
            sign_in(pg, "ada", PW)
            assert pg.locator("[data-testid=stMain] h1").first.inner_text().startswith("Appeals")
            assert "/appeals" in pg.url and "site=Alpha+Orthopedics" in pg.url
        finally:
            pg.close()


def test_a_user_with_too_few_sites_is_not_told_to_select_more(monkeypatch, db):
    """A site manager of one site cannot select 3 (a review: "select at least 3 sites (or clear the site
    filter)" with the filter already clear); an MSO leader, who can, is told how."""
    at = app(monkeypatch, db, "sam", "pages/site_comparison.py")
    note = next(i.value for i in at.info if "funnel plot compares" in i.value)
    assert "Your access covers 1 site, and a comparison needs at least 3" in note and "Select at least" not in note
    at = app(monkeypatch, db, "max", "pages/site_comparison.py")
    note = next(i.value for i in at.info if "funnel plot compares" in i.value)
    assert "Select at least 3 sites (or clear the site filter)" in note
