"""Shared fixtures: real DuckDB files built from real input files, a real Streamlit server and a
real browser (Debian's chromium through Playwright)."""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = ROOT.parent / "shared"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DEMO_END = dt.date(2026, 5, 31)
DEMO_CLAIMS = 3000
DEMO_SEED = 11

sys.path.insert(0, str(ROOT))


def load(db: Path, *paths, command: str = "load") -> "object":
    from etl.load import load_paths
    return load_paths(db, [str(p) for p in paths], progress=None, command=command)


@pytest.fixture(scope="session")
def core_db(tmp_path_factory) -> Path:
    """The hand-made fixture of docs/metrics.md (tests/fixtures/core), loaded once. Recorded as a demo
    load: like the local demo, the app opens it without sign-in (docs/access.md)."""
    db = tmp_path_factory.mktemp("core") / "core.duckdb"
    load(db, FIXTURES / "core", command="demo")
    return db


def core_plus(tmp_path: Path, rows: dict[str, str]):
    """The core fixture plus `rows` (file stem -> CSV lines), loaded into tmp_path/w.duckdb as core_db is
    (a demo load: the app opens it without sign-in); a connection to it."""
    src = tmp_path / "in"
    shutil.copytree(FIXTURES / "core", src)
    for name, text in rows.items():
        path = src / f"{name}.csv"
        path.write_text(path.read_text().rstrip("\n") + "\n" + text + "\n")
    db = tmp_path / "w.duckdb"
    load(db, src, command="demo")
    return connect(db)


@pytest.fixture(scope="session")
def empty_db(tmp_path_factory) -> Path:
    """A warehouse with the schema and models but no data."""
    from warehouse.refresh import refresh
    from warehouse.store import WriteSession
    db = tmp_path_factory.mktemp("empty") / "empty.duckdb"
    with WriteSession(db) as ws:
        refresh(ws.con)
        ws.publish()
    return db


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """A small demo MSO (fixed seed and end date), generated and loaded like real data."""
    from etl import demo
    base = tmp_path_factory.mktemp("demo")
    files = demo.generate(base / "input", claims=DEMO_CLAIMS, seed=DEMO_SEED, end=DEMO_END)
    db = base / "demo.duckdb"
    load(db, *files, command="demo")
    return db


def skip_if_in_memory(path) -> None:
    """Skip a test that drops a file's pages from the OS cache where the file lives in memory
    (tmpfs, ramfs: its pages cannot leave). The file system is the longest mount point in
    /proc/mounts that holds `path`."""
    try:
        mounts = [line.split()[1:3] for line in open("/proc/mounts")]
    except OSError:
        return
    real = str(Path(path).resolve())
    kind = max((m for m in mounts if real == m[0] or real.startswith(m[0].rstrip("/") + "/")),
               key=lambda m: len(m[0]), default=["", ""])[1]
    if kind in ("tmpfs", "ramfs"):
        pytest.skip("a file in memory cannot leave the page cache")


def connect(db: Path):
    from warehouse.store import open_snapshot
    con, _ = open_snapshot(db)
    return con


def run_cli(module: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(db: Path):
    """A real `streamlit run dashboard.py` on a free loopback port, serving `db`."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pages.serve", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "DENIALS_DB": str(db)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            break
        time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError("streamlit did not start: " + proc.stdout.read().decode(errors="replace"))
    try:
        yield url
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        if proc.poll() is None:
            proc.kill()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium driven by Playwright. Required in CI; skipped locally without it."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it")
        pytest.skip("chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                                    "--disable-background-networking", "--disable-component-update",
                                    "--disable-sync"])
        yield b
        b.close()


SCREENSHOTS = ROOT / "screenshots"


# ------------------------------------------------------------------ browser helpers (Playwright pages)
def settle(pg, timeout: float = 60) -> None:
    """Wait until the script run has finished and the page shows its title."""
    import time
    pg.wait_for_selector("[data-testid=stMain] h1", timeout=timeout * 1000)
    deadline = time.time() + timeout
    quiet = 0
    while time.time() < deadline:
        running = pg.locator("[data-testid=stStatusWidget]").count() > 0
        quiet = 0 if running else quiet + 1
        if quiet >= 3:
            break
        time.sleep(0.25)
    time.sleep(0.3)


def sign_in(pg, user: str, password: str) -> None:
    """Fill the dashboard's sign-in form (local account) and wait until a page replaces it."""
    pg.get_by_role("textbox", name="User name").fill(user)
    pg.get_by_role("textbox", name="Password").fill(password)
    pg.get_by_role("button", name="Sign in").click()
    pg.wait_for_function("document.querySelector('[data-testid=stMain] h1') && "
                         "!document.querySelector('[data-testid=stMain] h1').innerText.includes('sign in')",
                         timeout=60000)
    settle(pg)


def no_exception(pg) -> None:
    errors = pg.locator("[data-testid=stException]")
    assert errors.count() == 0, errors.first.inner_text()


def metric(pg, label: str) -> str:
    """The value of the st.metric whose label is `label` (band markers around it ignored)."""
    import re
    box = pg.locator("[data-testid=stMetric]").filter(
        has=pg.locator("[data-testid=stMetricLabel]", has_text=re.compile(rf"^\W*{re.escape(label)}\W*$")))
    return box.first.locator("[data-testid=stMetricValue]").inner_text().strip()


# ------------------------------------------------------------------ AppTest helpers (every page test)
def registered_pages() -> list[str]:
    """The page files of dashboard.py's PAGES list (the pages every user gets), in menu order."""
    text = (ROOT / "dashboard.py").read_text()
    block = text[text.index("PAGES = ["):text.index("]", text.index("PAGES = ["))]
    return re.findall(r'st\.Page\("(pages/[a-z_]+\.py)"', block)


@pytest.fixture(scope="module")
def demo(request):
    return request.getfixturevalue("demo_db")


def app(monkeypatch, db, page: str | None = None, **query):
    """The dashboard in AppTest on `db`, switched to `page`, with URL query parameters; no exception."""
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("DENIALS_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def kpi_cli(db, *args) -> list[dict]:
    """`python -m warehouse kpi ... --format json --with-parts` as rows."""
    import json
    res = run_cli("warehouse", "kpi", "--db", str(db), "--format", "json", "--with-parts", *args)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def displayed(key: str, value):
    """A KPI value as a page's table holds it: rounded to what the table shows (pages.ui_tables.dataframe):
    rates to 0.1 point (0.571), KPI dollars whole; counts and other units as they are."""
    from warehouse.metrics import KPIS
    if value is None or key not in KPIS:
        return value
    unit = KPIS[key].unit
    return round(value, 3) if unit == "ratio" else round(value) if unit == "dollars" else value
