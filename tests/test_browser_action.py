"""The "where to act" pages (issue 5) in a real browser (headless Debian chromium through Playwright)
against a real `streamlit run`: each page opens without an error and is photographed
(screenshots/action_*.png), a filter changes a number, a chart click narrows the view."""
from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import pytest

from conftest import SCREENSHOTS, connect, streamlit_server, metric, no_exception, settle

PAGES = {"root_causes": ("root-causes", "Root causes"), "providers": ("providers", "Providers"),
         "appeals": ("appeals", "Appeals"), "ar": ("ar", "A/R"), "work_queue": ("work-queue", "Work queue"),
         "data_quality": ("data-quality", "Data quality")}


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
    ctx = browser.new_context(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
    pg = ctx.new_page()
    pg.goto(server + "/")            # the entry page first (docs/pages.md: st.navigation must run once)
    settle(pg)
    yield pg
    ctx.close()





def wait_change(read, before: str, timeout: float = 30) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            now = read()
            if now != before:
                return now
        except Exception:           # noqa: BLE001 - the element is being redrawn
            pass
        time.sleep(0.3)
    return read()


def query(pg) -> dict[str, list[str]]:
    return parse_qs(urlparse(pg.evaluate("location.href")).query)


def shoot(pg, name: str, height: int = 3400) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    size = pg.viewport_size
    pg.set_viewport_size({"width": 1500, "height": height})
    time.sleep(1.0)
    pg.screenshot(path=str(SCREENSHOTS / f"action_{name}.png"))
    pg.set_viewport_size(size)


def open_page(pg, server: str, name: str, query_string: str = "") -> None:
    path, title = PAGES[name]
    pg.goto(f"{server}/{path}" + (f"?{query_string}" if query_string else ""))
    settle(pg)
    assert pg.locator("[data-testid=stMain] h1").first.inner_text().strip() == title
    no_exception(pg)


def pick(pg, label: str, option: str) -> None:
    box = pg.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").filter(has_text=label).first
    box.locator("input").click()
    box.locator("input").fill(option)
    pg.get_by_role("option", name=option).first.click()
    pg.keyboard.press("Escape")


def busiest(db, dim: str) -> str:
    """The display name of the site or payer with most claims (so narrowing to it changes the numbers)."""
    con = connect(db)
    table, id_col, name_col, fact_col = {"site": ("site", "site_id", "site_name", "site_id"),
                                         "payer": ("payer", "payer_id", "payer_name", "payer_id")}[dim]
    return con.sql(f"SELECT coalesce(t.{name_col}, c.{fact_col}) FROM m_claim c LEFT JOIN {table} t "
                   f"ON t.{id_col} = c.{fact_col} WHERE c.open_denied_dollars > 0 GROUP BY 1 "
                   "ORDER BY count(*) DESC, 1 LIMIT 1").fetchall()[0][0]


def test_root_causes_filter_changes_denied_dollars(page, server, db):
    open_page(page, server, "root_causes")
    shoot(page, "root_causes")
    before = metric(page, "Denied dollars")
    site = busiest(db, "site")
    pick(page, "Site", site)
    after = wait_change(lambda: metric(page, "Denied dollars"), before)
    settle(page)
    assert after != before and query(page).get("site") == [site]
    no_exception(page)


def test_providers_funnel_click_narrows_to_a_provider(page, server):
    open_page(page, server, "providers")
    shoot(page, "providers")
    pts = page.locator(".st-key-pv-funnel .js-plotly-plot .scatterlayer .trace .points path")
    if pts.count() == 0:
        pytest.skip("no provider point on the funnel")
    pts.last.click(force=True)
    deadline = time.time() + 30
    while time.time() < deadline and "provider" not in query(page):
        time.sleep(0.3)
    settle(page)
    assert query(page).get("provider"), "a click on a provider point sets the provider filter (and the URL)"
    no_exception(page)


def test_appeals_leakage_days_change_the_headline(page, server):
    open_page(page, server, "appeals")
    shoot(page, "appeals")
    main = page.locator("[data-testid=stMain]")

    def headline() -> str:
        return re.search(r"\$[\d,]+ of denials not worked within \d+ days", main.inner_text()).group(0)

    before = headline()
    box = page.locator("input[aria-label^='Not worked within']")
    box.fill("7")
    box.press("Enter")
    after = wait_change(headline, before)
    settle(page)
    assert after != before and query(page).get("lk_days") == ["7"]
    no_exception(page)


def test_ar_site_filter_changes_the_balance(page, server, db):
    open_page(page, server, "ar")
    shoot(page, "ar")
    before = metric(page, "Insurance A/R")
    pick(page, "Site", busiest(db, "site"))
    after = wait_change(lambda: metric(page, "Insurance A/R"), before)
    settle(page)
    assert after != before
    no_exception(page)


def select_first_row_to_open_its_claim(page, table_key: str) -> None:
    """Tick the first row of a claim table (canvas cells: by position) and wait for the claim's page."""
    table = page.locator(f".st-key-{table_key} [data-testid=stDataFrame]")
    table.scroll_into_view_if_needed()
    time.sleep(0.5)
    box = table.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 17)         # the first row's selection box
    deadline = time.time() + 30
    while time.time() < deadline and "payer-drilldown" not in page.evaluate("location.href"):
        time.sleep(0.3)
    settle(page)
    no_exception(page)


def test_an_oldest_open_claim_opens_with_its_own_address(page, server, db):
    """A/R: selecting one of the oldest open claims opens its detail on the payer drill-down, and the
    address names the claim and keeps the site filter (before, it was a bare /payer-drilldown: the claim
    could not be shared or reloaded)."""
    site = busiest(db, "site")
    open_page(page, server, "ar")
    pick(page, "Site", site)
    deadline = time.time() + 30
    while time.time() < deadline and not query(page).get("site"):
        time.sleep(0.3)
    settle(page)
    select_first_row_to_open_its_claim(page, "ar-oldest")
    q = query(page)
    assert q.get("claim") and q.get("site") == [site], q
    page.wait_for_selector(f"text=Claim {q['claim'][0]}", timeout=30000)
    page.reload()                                                   # the address alone brings it back
    settle(page)
    page.wait_for_selector(f"text=Claim {q['claim'][0]}", timeout=30000)


def test_a_work_queue_row_opens_its_claim(page, server):
    """Work queue: selecting a denial to work opens its claim's detail (remits, CARC/RARC, appeals) on
    the payer drill-down, with the claim in the address (a reviewer: the analyst had to copy the id)."""
    open_page(page, server, "work_queue")
    select_first_row_to_open_its_claim(page, "wq-live")
    claim = query(page).get("claim")
    assert claim, page.url
    page.wait_for_selector(f"text=Claim {claim[0]}", timeout=30000)


def test_a_link_from_a_custom_date_range_opens_its_page(page, server):
    """With a custom date range in the address, From and To are bound to the sidebar's date inputs and
    switch_page may not set them: the root causes' link to the payer drill-down (which names dates, as
    the weekly review's movers do) raised StreamlitAPIException. It now opens the page, the dates
    carried in Session State."""
    open_page(page, server, "root_causes", "range=Custom+range&from=2026-03-01&to=2026-05-31")
    page.get_by_role("button", name=re.compile(r"^Open .* in the payer drill-down$")).first.click()
    deadline = time.time() + 30
    while time.time() < deadline and "payer-drilldown" not in page.evaluate("location.href"):
        time.sleep(0.3)
    settle(page)
    no_exception(page)
    assert "payer-drilldown" in page.evaluate("location.href")
    assert page.locator("[data-testid=stMain] h1").first.inner_text().strip() == "Payer drill-down"


def test_work_queue_payer_filter_changes_the_queue(page, server, db):
    open_page(page, server, "work_queue")
    label = "Open denied dollars in the queue"
    before = metric(page, label)
    payer = busiest(db, "payer")
    pick(page, "Payer", payer)
    after = wait_change(lambda: metric(page, label), before)
    settle(page)
    assert after != before
    assert "ranking" in page.locator("[data-testid=stMain]").inner_text().lower()
    no_exception(page)
    shoot(page, "work_queue_filtered")


def test_data_quality_opens(page, server):
    open_page(page, server, "data_quality")
    shoot(page, "data_quality")
    assert "Load history" in page.locator("[data-testid=stMain]").inner_text()


def test_the_weekly_review_opens_the_taken_back_claims_in_the_work_queue(page, server, db):
    """A week in which paid claims were reversed and denied says so on the weekly review, and its link
    opens the work queue on them: status 'denied after payment', in the address too."""
    from warehouse import periods
    con = connect(db)
    as_of = con.sql("SELECT max(remit_date) FROM adjudication").fetchall()[0][0]
    day = con.sql("SELECT max(last_adjudication_date) FROM m_claim WHERE redenied_dollars > 0 "
                  "AND last_adjudication_date <= ?::DATE - 7", params=[as_of]).fetchall()[0][0]
    if day is None:
        pytest.skip("no claim denied after payment in a complete week")
    page.goto(f"{server}/weekly-review?week={periods.week_label(day)}")
    settle(page)
    page.wait_for_selector("text=Taken back:", timeout=30000)
    page.get_by_role("button", name="Work queue: claims denied after payment").click()
    deadline = time.time() + 30
    while time.time() < deadline and not query(page).get("wq_status"):
        time.sleep(0.3)
    settle(page)
    assert query(page).get("wq_status") == ["denied after payment"]
    assert page.locator("[data-testid=stMain] h1").first.inner_text().strip() == "Work queue"
    no_exception(page)
    assert "denied after payment" in page.locator("[data-testid=stMain] [data-testid=stMultiSelect]").filter(
        has_text="Status").first.inner_text()
