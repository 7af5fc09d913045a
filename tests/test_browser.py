"""The pages in a real browser (headless Debian chromium through Playwright) against a real
`streamlit run`: every page opens without an error, a filter changes a number, a chart click narrows
the view, a claim's detail opens, a reload keeps the filters from the URL, exports download.
Screenshots of each page go to screenshots/ (git-ignored) for a human to look at."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import time
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import SCREENSHOTS, connect, run_cli, streamlit_server, metric, no_exception, settle

PAGES = {"overview": "", "weekly_review": "weekly-review", "site_comparison": "site-comparison",
         "payer_drilldown": "payer-drilldown"}
TITLES = {"overview": "Overview", "weekly_review": "Weekly review", "site_comparison": "Site comparison",
          "payer_drilldown": "Payer drill-down"}


@pytest.fixture(scope="module")
def db(request):
    """The demo warehouse when its generator is importable, else the hand-made fixture."""
    try:
        import etl.demo  # noqa: F401
    except ImportError:
        return request.getfixturevalue("core_db")
    return request.getfixturevalue("demo_db")


@pytest.fixture(scope="module")
def server(db):
    with streamlit_server(db) as url:
        yield url


@pytest.fixture(scope="module")
def page(browser, server):
    """One browser tab for the module; every test starts by loading its page from a URL."""
    ctx = browser.new_context(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
    pg = ctx.new_page()
    pg.goto(server + "/")
    settle(pg)
    yield pg
    ctx.close()





def wait_metric_change(pg, label: str, before: str, timeout: float = 30) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            now = metric(pg, label)
            if now != before:
                return now
        except Exception:
            pass
        time.sleep(0.3)
    return metric(pg, label)


def query(pg) -> dict[str, list[str]]:
    return parse_qs(urlparse(pg.evaluate("location.href")).query)


def shoot(pg, name: str, height: int = 4200) -> None:
    """The whole page: Streamlit scrolls inside its main block, so the viewport is made tall."""
    SCREENSHOTS.mkdir(exist_ok=True)
    size = pg.viewport_size
    pg.set_viewport_size({"width": 1500, "height": height})
    time.sleep(1.5)
    pg.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    pg.set_viewport_size(size)


def open_page(pg, server: str, name: str, query_string: str = "") -> None:
    pg.goto(f"{server}/{PAGES[name]}" + (f"?{query_string}" if query_string else ""))
    settle(pg)
    assert pg.locator("[data-testid=stMain] h1").first.inner_text().strip() == TITLES[name]
    no_exception(pg)


def pick(pg, label: str, option: str) -> None:
    """Choose `option` in the sidebar multiselect `label`."""
    box = pg.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").filter(has_text=label).first
    box.locator("input").click()
    box.locator("input").fill(option)
    pg.get_by_role("option", name=option).first.click()
    pg.keyboard.press("Escape")


def kpi(db, *args) -> list[dict]:
    res = run_cli("warehouse", "kpi", "--db", str(db), "--format", "json", *args)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_every_page_opens_and_is_photographed(page, server):
    for name in PAGES:
        open_page(page, server, name)
        shoot(page, name)


def test_filter_changes_a_number_and_survives_reload(page, server, db):
    from warehouse import periods
    from warehouse.query import latest_remit_date
    con = connect(db)
    mon, sun = periods.last_complete_week(latest_remit_date(con))
    by_site = {r["site_name"]: r for r in kpi(db, "--by", "site", "--from", str(mon), "--to", str(sun))}
    total = kpi(db, "--from", str(mon), "--to", str(sun))[0]
    from pages.ui_tables import fmt
    # a site whose denial rate differs from the total's, so the change shows
    name = next(n for n, r in sorted(by_site.items()) if fmt("denial_rate", r["denial_rate"]) !=
                fmt("denial_rate", total["denial_rate"]) and r["claims_adjudicated"])
    open_page(page, server, "weekly_review")
    before = metric(page, "Denial rate")
    assert before == fmt("denial_rate", total["denial_rate"])
    pick(page, "Site", name)
    after = wait_metric_change(page, "Denial rate", before)
    settle(page)
    assert after == fmt("denial_rate", by_site[name]["denial_rate"])
    assert metric(page, "Denied dollars") == fmt("denied_dollars", by_site[name]["denied_dollars"])
    assert query(page).get("site") == [name]                   # the filter is in the URL
    shoot(page, "weekly_review_filtered")
    page.reload()
    settle(page)
    assert query(page).get("site") == [name]
    assert metric(page, "Denial rate") == after                # same filters after a reload
    chips = page.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").filter(has_text="Site").first
    assert name in chips.inner_text()
    # a shared link opens the same view in a fresh tab
    other = page.context.new_page()
    other.goto(page.evaluate("location.href"))
    settle(other)
    assert metric(other, "Denial rate") == after
    other.close()


def test_chart_click_narrows_the_view(page, server):
    open_page(page, server, "weekly_review")
    assert "stage" not in query(page)
    bars = page.locator(".st-key-wr-stage .js-plotly-plot .bars path")
    assert bars.count() >= 1
    heights = [b.bounding_box()["height"] if b.bounding_box() else 0 for b in bars.all()]
    bars.nth(max(range(len(heights)), key=heights.__getitem__)).click(force=True)   # the biggest stage
    deadline = time.time() + 30
    while time.time() < deadline and "stage" not in query(page):
        time.sleep(0.3)
    settle(page)
    assert query(page).get("stage"), "a click on a stage bar sets the stage filter (and the URL)"
    stage_box = page.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").filter(has_text="Stage").first
    # the stage in words, in the sidebar and in the URL (the filter's values stay codes)
    assert any(s in stage_box.inner_text() for s in ("Front end", "Back end", "Clinical", "Payer"))
    assert query(page)["stage"][0] in ("Front end", "Back end", "Clinical", "Payer")
    no_exception(page)
    # a week on a trend becomes the week under review (kept in the URL)
    before = re.search(r"Week (\d{4}-W\d\d)", page.locator("[data-testid=stMain]").inner_text()).group(1)
    page.locator(".st-key-wr-trend-denied_dollars .js-plotly-plot .scatterlayer .trace:first-child .points path") \
        .nth(2).click(force=True)
    deadline = time.time() + 30
    while time.time() < deadline and "week" not in query(page):
        time.sleep(0.3)
    settle(page)
    after = re.search(r"Week (\d{4}-W\d\d)", page.locator("[data-testid=stMain]").inner_text()).group(1)
    assert query(page).get("week") == [after] and after != before
    # a payer × root cause cell narrows to that payer and that root cause
    open_page(page, server, "payer_drilldown")
    page.locator(".st-key-pd-heat .js-plotly-plot .scatterlayer .points path").first.click(force=True)
    deadline = time.time() + 30
    while time.time() < deadline and "root_cause" not in query(page):
        time.sleep(0.3)
    settle(page)
    assert query(page).get("payer") and query(page).get("root_cause")
    no_exception(page)


def test_site_click_opens_its_weekly_review(page, server):
    open_page(page, server, "site_comparison")
    points = page.locator(".st-key-sc-funnel-denial_rate .js-plotly-plot .scatterlayer .trace:last-child .points path")
    if points.count() == 0:
        pytest.skip("no site point on the funnel")
    points.first.click(force=True)
    deadline = time.time() + 30
    while time.time() < deadline and "weekly-review" not in page.evaluate("location.href"):
        time.sleep(0.3)
    settle(page)
    assert "weekly-review" in page.evaluate("location.href")
    assert query(page).get("site"), "the weekly review opens filtered to the clicked site"
    no_exception(page)


def test_claim_detail_and_exports(page, server, db):
    from warehouse import claims
    from warehouse.scope import Scope
    con = connect(db)
    denied = claims.claim_list(con, scope=Scope.all(), denied_only=True, limit=50)
    with_appeal = denied.filter(denied["appeals"] > 0)
    claim_id = (with_appeal if with_appeal.height else denied)["claim_id"][0]
    open_page(page, server, "payer_drilldown")
    box = page.get_by_label("Claim id")
    box.fill(claim_id)
    box.press("Enter")
    page.wait_for_selector(f"text=Claim {claim_id}", timeout=30000)
    settle(page)
    no_exception(page)
    body = page.locator("[data-testid=stMain]").inner_text()
    assert "Patient PT-" in body and "member id" in body
    assert query(page).get("claim") == [claim_id]             # a claim's detail is a shareable link
    page.get_by_role("tab", name="Adjudications").click()
    time.sleep(1)
    assert "initial adjudication" in page.locator("[data-testid=stMain]").inner_text()
    shoot(page, "payer_drilldown_claim", 5200)
    # the claim list downloads exactly as shown
    caption = page.locator("[data-testid=stCaptionContainer]").filter(has_text=re.compile(r"of [\d,]+ claims")).first
    shown = int(re.search(r"([\d,]+) of [\d,]+ claims", caption.inner_text()).group(1).replace(",", ""))
    button = page.locator(".st-key-pd-claims-x-csv button")
    with page.expect_download() as dl:
        button.click()
    rows = list(csv.DictReader(io.StringIO(open(dl.value.path()).read())))      # under the table's headers
    assert len(rows) == shown and all(r["Initially denied"] == "true" for r in rows)
    # and the same rows as Excel (built only when asked for)
    with page.expect_download() as dl:
        page.locator(".st-key-pd-claims-x-xlsx button").click()
    import tempfile

    import polars as pl
    saved = f"{tempfile.mkdtemp()}/{dl.value.suggested_filename}"
    dl.value.save_as(saved)
    assert saved.endswith(".xlsx")
    sheet = pl.read_excel(saved, engine="openpyxl")
    assert sheet.height == shown and sheet["Claim"].to_list() == [r["Claim"] for r in rows]


def test_weekly_brief_downloads(page, server):
    open_page(page, server, "weekly_review")
    week = re.search(r"Week (\d{4}-W\d\d)", page.locator("[data-testid=stMain]").inner_text()).group(1)
    with page.expect_download(timeout=60000) as dl:
        page.get_by_role("button", name=re.compile("Download the one-page brief")).click()
    html = open(dl.value.path(), encoding="utf-8").read()
    assert html.startswith("<!DOCTYPE html>") and f"week {week}" in html
    # named by its scope: several sites' briefs of a week no longer overwrite each other
    assert dl.value.suggested_filename == f"weekly-brief-{week}-all-sites.html"
    assert not re.search(r"<script[^>]+src=[\"']?https?:", html, re.I)
    # the changes it colours read green or red in a browser, not the notes' grey (a review: .note was
    # declared after .good and .bad, so every change was grey under a legend saying "green better")
    tab = page.context.new_page()
    try:
        tab.set_content(html, wait_until="domcontentloaded")
        colours = {cls: tab.eval_on_selector_all(
            f"div.note.{cls}", "els => [...new Set(els.map(e => getComputedStyle(e).color))]")
            for cls in ("good", "bad")}
        plain = tab.eval_on_selector("td div.note:not(.good):not(.bad)", "e => getComputedStyle(e).color")
    finally:
        tab.close()
    assert colours["good"] or colours["bad"], "the demo's latest week changes no KPI in either direction"
    assert set(colours["good"]) <= {"rgb(26, 127, 55)"} and set(colours["bad"]) <= {"rgb(207, 34, 46)"}, colours
    assert plain == "rgb(87, 96, 106)"


def test_deep_link_as_the_first_request_after_a_restart(browser, db):
    """A shared link is often the first thing a fresh server is asked for (pages.serve makes sure
    Streamlit routes it with st.navigation, not its old pages/ folder mode)."""
    with streamlit_server(db) as url:
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = ctx.new_page()
        pg.goto(url + "/weekly-review?range=last_4_weeks")
        settle(pg)
        assert pg.locator("[data-testid=stMain] h1").first.inner_text().strip() == "Weekly review"
        assert "Page not found" not in pg.content()
        nav = pg.locator("[data-testid=stSidebarNav]").inner_text()
        assert "ui" not in nav.split() and "serve" not in nav.split()
        no_exception(pg)
        ctx.close()


def sidebar_filter_text(pg, label: str) -> str:
    return pg.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").filter(has_text=label).first.inner_text()


def test_links_and_the_navigation_keep_the_filters(page, server, db):
    """A filter that came in by a link follows the user through the sidebar navigation (it fell back
    to 'All'), and an in-app link applies the filters it carries (the page left behind overrode them:
    a weekly review's 'open the payers behind it' lost its root cause and week)."""
    from urllib.parse import quote_plus
    from warehouse import catalog
    from warehouse.scope import Scope
    (first_id, first), (second_id, second) = catalog.choices(connect(db), scope=Scope.all(), dim="site")[:2]
    open_page(page, server, "overview", f"site={quote_plus(first)}")
    assert first in sidebar_filter_text(page, "Site")
    page.locator("[data-testid=stSidebarNav]").get_by_text("Weekly review").click()
    deadline = time.time() + 30
    while time.time() < deadline and "weekly-review" not in page.evaluate("location.href"):
        time.sleep(0.3)
    settle(page)
    assert "weekly-review" in page.evaluate("location.href")
    assert first in sidebar_filter_text(page, "Site"), "the site filter survives the navigation"
    no_exception(page)
    # the site comparison's links to each site's weekly review: the link's site replaces the filter
    open_page(page, server, "site_comparison")
    page.get_by_role("button", name=second).last.click()
    deadline = time.time() + 30
    while time.time() < deadline and "weekly-review" not in page.evaluate("location.href"):
        time.sleep(0.3)
    settle(page)
    assert query(page).get("site") == [second]
    shown = sidebar_filter_text(page, "Site")
    assert second in shown and first not in shown
    no_exception(page)
    # a weekly review's root-cause mover opens the payer drill-down for that cause and week
    open_page(page, server, "weekly_review")
    movers = page.get_by_role("button", name="Open the payers behind it")
    if movers.count() == 0:
        pytest.skip("no root-cause mover this week")
    movers.first.click()
    deadline = time.time() + 30
    while time.time() < deadline and "payer-drilldown" not in page.evaluate("location.href"):
        time.sleep(0.3)
    settle(page)
    q = query(page)
    assert q.get("root_cause") and q.get("range") == ["Custom range"] and q.get("from") and q.get("to")
    assert (dt.date.fromisoformat(q["to"][0]) - dt.date.fromisoformat(q["from"][0])).days == 6   # one week
    assert q["root_cause"][0] in sidebar_filter_text(page, "Root cause")
    no_exception(page)


def test_the_overview_has_one_address(page, server):
    """`/overview` opens the Overview (it showed "Page not found" over it); `/` forwards there with
    its filters."""
    page.goto(server + "/overview")
    settle(page)
    assert page.locator("[data-testid=stMain] h1").first.inner_text().strip() == "Overview"
    assert "Page not found" not in page.locator("body").inner_text()
    page.goto(server + "/?range=Last+4+complete+weeks")
    settle(page)
    deadline = time.time() + 30
    while time.time() < deadline and "/overview" not in page.evaluate("location.href"):
        time.sleep(0.3)
    assert "/overview" in page.evaluate("location.href") and query(page).get("range") == ["Last 4 complete weeks"]
    assert "Page not found" not in page.locator("body").inner_text()
    no_exception(page)


def test_tiles_wrap_on_a_narrow_window(browser, server):
    """A laptop window of 1,000 px with the sidebar open: the Overview's tiles wrap onto more rows
    (ui.grid) instead of cutting their values to '12.…' and their labels to 'Denial r…'."""
    ctx = browser.new_context(viewport={"width": 1000, "height": 1000})
    pg = ctx.new_page()
    try:
        pg.goto(server + "/")
        settle(pg)
        no_exception(pg)
        values = pg.locator('[data-testid="stMetricValue"]')
        try:            # a fresh server's first run under load: the status widget can pause before the tiles
            pg.wait_for_function("document.querySelectorAll('[data-testid=\"stMetricValue\"]').length >= 7",
                                 timeout=30_000)
        except PlaywrightTimeout:
            pass
        assert values.count() == 7
        cut_js = """() => [...document.querySelectorAll('[data-testid="stMetric"] div')]
                          .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"""
        try:            # the layout's last step (the grid's CSS, the emoji font) can land after the run ends
            pg.wait_for_function(f"({cut_js})().length === 0", timeout=15_000)
        except PlaywrightTimeout:
            pass
        assert pg.evaluate(cut_js) == []
        tops = sorted({round(b["y"]) for b in (values.nth(i).bounding_box() for i in range(values.count()))})
        assert len(tops) == 4          # 7 tiles two by two: the rows of four wrapped
    finally:
        ctx.close()


def test_the_page_menu_keeps_the_filters_in_the_address(page, server, db):
    """A link opens a payer's view; a move with the page menu keeps the filters (Session State) and now
    writes them back into the address (ui_address.sync_url), so the new page's address is a link to the same
    view: reloading it keeps the payer and the range (before, the address went bare and a reload
    fell back to 13 weeks and every payer)."""
    from warehouse import catalog
    from warehouse.scope import Scope
    name = catalog.choices(connect(db), scope=Scope.all(), dim="payer")[0][1]
    page.goto(server + "/payer-drilldown?" + urlencode({"payer": name, "range": "Last 4 complete weeks"}))
    settle(page)
    page.locator("[data-testid=stSidebarNav]").get_by_role("link", name="Root causes").click()
    deadline = time.time() + 30
    while time.time() < deadline and "payer" not in query(page):
        time.sleep(0.3)
    settle(page)
    assert urlparse(page.url).path.endswith("/root-causes")
    assert query(page) == {"payer": [name], "range": ["Last 4 complete weeks"]}
    page.reload()
    settle(page)
    no_exception(page)
    payer_box = page.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").filter(has_text="Payer").first
    assert name in payer_box.inner_text()
    assert query(page) == {"payer": [name], "range": ["Last 4 complete weeks"]}
