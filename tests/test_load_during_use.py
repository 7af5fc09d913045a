"""Load while the dashboard is in use (issue 8): a real `streamlit run` serves the warehouse and a
real browser session sits on the Overview. A load of more files (`python -m etl load`, in a
subprocess) runs to completion while the session keeps rerunning: every rerun finishes, with no
error page, no exception element and the connection up. After the load, the next rerun of the same
session shows the new state: the week under review moves and the tiles equal what `python -m
warehouse kpi` gives for the new state.

It fails if the dashboard does not pick up the new state (e.g. Snapshot stops comparing the file's
version, or the result cache is not keyed by it: the tiles keep the old week's numbers), if the load
cannot finish while the dashboard reads the file (a lock), or if a rerun during the load errors."""
from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import time

import polars as pl
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import DEMO_END, ROOT, connect, load, sign_in, streamlit_server
from test_browser import kpi, metric, no_exception, settle

USER, PASSWORD = "reliability", "a long enough password for the test 8"
CHILDREN = ("remit_lines", "remit_adjustments", "remit_remarks")
PRESS_AGAIN_S = 10                               # see rerun()
CUTOFF = DEMO_END - dt.timedelta(weeks=6)        # remits after this arrive in the load under test
# Finished script runs, counted from the records of the app's data-test-script-state attribute: a
# record whose old value is "running" and whose next value (the next record's old value, else the
# attribute now) is not is the end of a run. Old values are used because the browser may deliver a
# run's "running" and "notRunning" in one batch, when the attribute already reads "notRunning". And
# React may render a quick run's "running" and "notRunning" in one commit, so the attribute goes from
# "rerunRequested" (set by the `r` key) straight to "notRunning": the app leaves "rerunRequested" only
# through "running" (its sessionStatusChanged handler), so that record is the end of a run too.
COUNT_RUNS = """
window.__runs = 0;
new MutationObserver(ms => { ms.forEach((m, i) => {
    const later = ms.slice(i + 1).find(n => n.target === m.target);
    const next = later ? later.oldValue : m.target.getAttribute('data-test-script-state');
    if ((m.oldValue === 'running' && next !== 'running') ||
        (m.oldValue === 'rerunRequested' && next === 'notRunning')) window.__runs++;
}); }).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                          attributeFilter: ['data-test-script-state']});
"""


def _split(src, base, new) -> None:
    """The demo's files as two deliveries: everything up to CUTOFF, then the last six weeks' remits
    (with their lines, adjustments and remarks) and the appeals, write-offs and rejections."""
    base.mkdir()
    new.mkdir()
    for f in sorted(src.iterdir()):
        kind = re.sub(r"_\d+$", "", f.stem)
        if kind in ("sites", "providers", "payers", "claims", "claim_lines"):
            f.rename(base / f.name)
        elif kind in ("appeals", "write_offs", "rejections"):
            f.rename(new / f.name)
    for f in sorted(src.glob("remits*.csv")):
        remits = pl.read_csv(f, infer_schema=False)
        early = remits.filter(pl.col("remit_date") < CUTOFF.isoformat())
        early.write_csv(base / f.name)
        remits.filter(pl.col("remit_date") >= CUTOFF.isoformat()).write_csv(new / f.name)
        ids = early["remit_claim_id"]
        for child in CHILDREN:
            for c in sorted(src.glob(f"{child}_*.csv")):
                rows = pl.read_csv(c, infer_schema=False)
                rows.filter(pl.col("remit_claim_id").is_in(ids.implode())).write_csv(base / f"{f.stem}_{c.name}")
                rows.filter(~pl.col("remit_claim_id").is_in(ids.implode())).write_csv(new / f"{f.stem}_{c.name}")


@pytest.fixture()
def warehouse(tmp_path):
    from etl import demo
    files = demo.generate(tmp_path / "all", claims=3000, seed=11, end=DEMO_END)
    assert files
    _split(tmp_path / "all", tmp_path / "base", tmp_path / "new")
    db = tmp_path / "w.duckdb"
    load(db, tmp_path / "base")
    # a warehouse with real (non-demo) loads asks for a sign-in (docs/access.md): an administrator account
    res = run_cli_input(PASSWORD + "\n", "warehouse", "users", "add", USER, "--db", str(db), "--role",
                        "administrator", "--password-stdin")
    assert res.returncode == 0 or "invalid choice: 'users'" in res.stderr, res.stderr   # (a release without accounts)
    return db, tmp_path / "new"


def run_cli_input(stdin: str, module: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, input=stdin, capture_output=True,
                          text=True, timeout=300)


def open_overview(pg, url: str) -> None:
    """Open the Overview, signing in on the way when the dashboard asks."""
    pg.goto(url + "/")
    settle(pg)
    if "sign in" in pg.locator("[data-testid=stMain] h1").first.inner_text():
        sign_in(pg, USER, PASSWORD)
    check_whole(pg)


def expected(db) -> tuple[str, dict]:
    """(ISO week label, KPI row) of the last complete week of the published state, by the kpi command."""
    from warehouse import periods
    from warehouse.query import latest_remit_date
    con = connect(db)
    try:
        mon, sun = periods.last_complete_week(latest_remit_date(con))
    finally:
        con.close()
    return periods.week_label(mon), kpi(db, "--from", str(mon), "--to", str(sun))[0]


def rerun(pg, timeout: float = 60) -> None:
    """Rerun the page's script in the same session (Streamlit's `r` shortcut) and wait for the run to
    finish; then the page must be whole: title, no exception, connected.

    A CI run once waited 60 s here for the rerun after the load with no run counted (the likely cause,
    a quick run rendered in one commit, is counted now, see COUNT_RUNS). Should a key press still be
    lost (the app ignores `r` unless it is idle), the key is pressed again when no run has finished
    after PRESS_AGAIN_S and the app reads idle. A run that starts and never finishes fails the test."""
    before = pg.evaluate("window.__runs")
    deadline, presses = time.monotonic() + timeout, 0

    def finished(wait_s: float) -> bool:
        try:
            pg.wait_for_function(f"window.__runs > {before}", timeout=max(0.5, wait_s) * 1000)
            return True
        except PlaywrightTimeout:
            return False

    while True:
        pg.locator("[data-testid=stMain] h1").first.click()     # focus the page, not a widget
        pg.keyboard.press("r")
        presses += 1
        if finished(min(PRESS_AGAIN_S, deadline - time.monotonic())):
            break
        state = pg.locator("[data-testid=stApp]").get_attribute("data-test-script-state")
        if time.monotonic() < deadline and state == "notRunning":
            continue                                  # idle, nothing ran: the press was lost
        if time.monotonic() < deadline and finished(deadline - time.monotonic()):
            break                                     # a run under way finished in time
        raise AssertionError(f"no rerun finished in {timeout:.0f}s after {presses} press(es) of r; script state "
                             f"{pg.locator('[data-testid=stApp]').get_attribute('data-test-script-state')!r}, "
                             f"runs {pg.evaluate('window.__runs')} (before {before})")
    if presses > 1:
        print(f"rerun needed {presses} presses of r")
    check_whole(pg)


def check_whole(pg) -> None:
    assert pg.locator("[data-testid=stMain] h1").first.inner_text().strip() == "Overview"
    no_exception(pg)
    app = pg.locator("[data-testid=stApp]")
    assert app.get_attribute("data-test-connection-state") == "CONNECTED"
    assert pg.locator("[data-testid=stAlertContentError]").count() == 0


def shown(pg) -> tuple[str, str, str]:
    week = re.search(r"Week (\d{4}-W\d\d)", pg.locator("[data-testid=stMain]").inner_text()).group(1)
    return week, metric(pg, "Denial rate"), metric(pg, "Denied dollars")


def test_a_load_while_a_session_is_open(browser, warehouse):
    from pages.ui_tables import fmt
    db, new_files = warehouse
    old_week, old = expected(db)
    with streamlit_server(db) as url:
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        ctx.add_init_script(COUNT_RUNS)
        pg = ctx.new_page()
        try:
            open_overview(pg, url)
            assert shown(pg) == (old_week, fmt("denial_rate", old["denial_rate"]),
                                 fmt("denied_dollars", old["denied_dollars"]))

            proc = subprocess.Popen([sys.executable, "-m", "etl", "load", "--db", str(db), str(new_files)],
                                    cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
            during = 0                    # reruns that started while the load was running
            started = time.monotonic()
            while proc.poll() is None:
                assert time.monotonic() - started < 300, "the load did not finish"
                rerun(pg)
                during += 1
            out = proc.stdout.read()
            assert proc.returncode in (0, 3), out          # 3: some rows quarantined
            print(f"reruns during the load: {during}, load output: {out.strip().splitlines()[-1][:200]}")
            assert during >= 1, "no rerun overlapped the load"
            new_week, new = expected(db)
            assert new_week != old_week, "the load under test must move the last complete week"

            rerun(pg)                     # the first rerun after the commit shows the new state
            now = shown(pg)
            assert now == (new_week, fmt("denial_rate", new["denial_rate"]),
                           fmt("denied_dollars", new["denied_dollars"])), (now, old_week, during)
            assert now[2] != fmt("denied_dollars", old["denied_dollars"])
            # and a fresh session (a reload) agrees
            open_overview(pg, url)
            assert shown(pg) == now
        finally:
            ctx.close()
