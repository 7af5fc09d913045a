"""Sign-in through an OpenID Connect provider with Streamlit's st.login: a real provider on loopback
(oidc-provider-mock), a real `streamlit run` with a secrets.toml of the test's own (outside the repo),
and a real browser. Each role signs in; a provider group maps to a role; an identity with no account
here is refused; sign-ins and exports land in the audit log."""
from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time

import pytest

from conftest import FIXTURES, ROOT, free_port, load
from warehouse.access import AccessStore

oidc_mock = pytest.importorskip("oidc_provider_mock")

PEOPLE = {   # provider subject -> (claims, account here: username, role, sites)
    "ada-sub": ({"email": "ada@example.org", "groups": ["staff"]}, ("ada@example.org", "administrator", [])),
    "sam-sub": ({"email": "sam@example.org", "groups": ["staff"]}, ("sam", "site_manager", ["S2"])),
    "vic-sub": ({"email": "vic@example.org", "groups": ["staff"]}, ("vic", "viewer", ["S1"])),
    "lea-sub": ({"email": "lea@example.org", "groups": ["denials-leaders"]}, ("lea", "viewer", ["S1"])),
    "eve-sub": ({"email": "eve@example.org", "groups": ["staff"]}, None),          # no account here
}


@pytest.fixture(scope="module")
def provider():
    users = [oidc_mock.User(sub=sub, claims=claims) for sub, (claims, _) in PEOPLE.items()]
    with oidc_mock.run_server_in_thread(user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    db = tmp_path_factory.mktemp("oidc") / "core.duckdb"
    load(db, FIXTURES / "core")
    store = AccessStore(db)
    for sub, (_, account) in PEOPLE.items():
        if account:
            name, role, sites = account
            # ada is matched on her email (as the user name), the others on the provider's subject
            store.add_user(name, role, sites, identity_subject=None if name.startswith("ada") else sub)
    return db


@pytest.fixture(scope="module")
def server(db, provider, tmp_path_factory):
    port = free_port()
    home = tmp_path_factory.mktemp("secrets")
    toml = home / "secrets.toml"
    toml.write_text(f'''
[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "{secrets.token_hex(32)}"
client_id = "denials-dashboard"
client_secret = "not-a-real-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"

[access]
provider_label = "Example Health sign-in"
role_claim = "groups"

[access.group_roles]
"denials-leaders" = "mso_leader"
''')
    proc = subprocess.Popen(
        [sys.executable, "-m", "pages.serve", "--server.address", "127.0.0.1", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false", "--secrets.files", str(toml)],
        cwd=ROOT, env={**os.environ, "DENIALS_DB": str(db)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            break
        time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError(proc.stdout.read().decode(errors="replace"))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        if proc.poll() is None:
            proc.kill()


def settle(pg, timeout: float = 60) -> None:
    pg.wait_for_selector("[data-testid=stMain] h1", timeout=timeout * 1000)
    deadline, quiet = time.time() + timeout, 0
    while time.time() < deadline and quiet < 3:
        quiet = 0 if pg.locator("[data-testid=stStatusWidget]").count() else quiet + 1
        time.sleep(0.25)
    time.sleep(0.3)


def sign_in(browser, server, sub, path="/"):
    """A new browser opens `path`, signs in with the provider as `sub` and is back in the app."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = ctx.new_page()
    pg.goto(server + path)
    settle(pg)
    assert "sign in" in pg.locator("[data-testid=stMain] h1").first.inner_text()
    pg.get_by_role("button", name="Sign in with Example Health sign-in").click()
    pg.wait_for_url("**/oauth2/authorize**", timeout=30000)
    pg.locator(f"button[name=sub][value='{sub}']").click()        # the provider's one-click user
    pg.wait_for_url(server + "/**", timeout=30000)
    settle(pg)
    return ctx, pg


def sidebar(pg) -> str:
    return pg.locator("[data-testid=stSidebar]").inner_text()


@pytest.mark.parametrize("sub, title, who, scope, claims_shown", [
    ("ada-sub", "Overview", "ada@example.org", "all sites", True),
    ("sam-sub", "Overview", "sam", "S2", True),
    ("vic-sub", "Overview", "vic", "S1", False),
    ("lea-sub", "Overview", "lea", "all sites", True),        # viewer here, mso_leader by the provider group
])
def test_sign_in_through_the_provider(browser, server, db, sub, title, who, scope, claims_shown):
    ctx, pg = sign_in(browser, server, sub)
    try:
        assert pg.locator("[data-testid=stMain] h1").first.inner_text().startswith(title)
        side = sidebar(pg)
        assert f"Signed in as {who}" in side and "identity provider" in side and f"scope: {scope}" in side
        if scope == "S2":
            assert "Alpha Orthopedics" not in pg.content()
        pg.goto(server + "/payer-drilldown")
        settle(pg)
        body = pg.locator("[data-testid=stMain]").inner_text()
        assert ("Claim detail" in body) == claims_shown
        if not claims_shown:
            assert "claim list, claim detail and claim-level exports are not available" in body
        admin_link = pg.locator("[data-testid=stSidebarNav] a[href$='/admin']").count()
        assert bool(admin_link) == (who == "ada@example.org")
    finally:
        ctx.close()
    store = AccessStore(db)
    rows = store.read_audit(store.user("ada@example.org"), event="sign_in")
    assert any(r["actor"] == who and r["detail"]["method"] == "oidc" for r in rows)


def test_identity_without_an_account_is_refused(browser, server, db):
    ctx, pg = sign_in(browser, server, "eve-sub")
    try:
        body = pg.locator("[data-testid=stMain]").inner_text()
        assert "no account here is linked to your identity" in body
        assert pg.locator("[data-testid=stMetric]").count() == 0
    finally:
        ctx.close()


def test_export_is_audited(browser, server, db):
    ctx, pg = sign_in(browser, server, "sam-sub")
    try:
        pg.goto(server + "/payer-drilldown")
        settle(pg)
        with pg.expect_download() as dl:
            pg.locator(".st-key-pd-claims-x-csv button").click()
        assert dl.value.suggested_filename == "claims.csv"
        time.sleep(1.5)
    finally:
        ctx.close()
    store = AccessStore(db)
    rows = [r for r in store.read_audit(store.user("ada@example.org"), event="export") if r["actor"] == "sam"]
    assert rows and rows[0]["detail"]["table"] == "claims" and rows[0]["scope"] == "S2"


def test_the_provider_sign_in_lands_on_the_page_the_link_named(browser, server):
    """A shared link opened before signing in with the provider: st.login comes back to the app's first
    page in a new session (streamlit/streamlit#10162); the link's page and filters are kept for this
    browser, so the user lands on the Appeals page of that site, not on the Overview. Another browser
    (no kept link) lands on the Overview."""
    ctx, pg = sign_in(browser, server, "ada-sub", "/appeals?site=Alpha+Orthopedics")
    try:
        pg.wait_for_function("location.pathname.endsWith('/appeals')", timeout=30000)
        settle(pg)
        assert pg.locator("[data-testid=stMain] h1").first.inner_text().startswith("Appeals")
        assert "site=Alpha+Orthopedics" in pg.evaluate("location.href")
    finally:
        ctx.close()
    ctx, pg = sign_in(browser, server, "ada-sub")
    try:
        assert pg.locator("[data-testid=stMain] h1").first.inner_text().startswith("Overview")
    finally:
        ctx.close()
