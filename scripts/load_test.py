"""Many users (issue 8): N concurrent dashboard sessions against a real `streamlit run`, for a fixed
time per N, reporting p50/p95 page times, errors and the server's memory.

    python scripts/load_test.py --db data/warehouse.duckdb [--users 1,5,20] [--duration 30]
    make load-test                      # the same against the demo warehouse

Each virtual user is a real Streamlit session spoken to over the app's own websocket protocol
(`/_stcore/stream`, the protobuf BackMsg/ForwardMsg classes shipped with streamlit): it opens a
page of the dashboard the way a browser tab does when it navigates to a URL (a new session, the
page name and the URL's query string), and waits for the script run to finish. Page time = from
opening the websocket to the `script_finished` message. That is the server's share of what a user
waits for; the browser's drawing is not included (a headless chromium per user would measure the
2-core test machine's browser, not the server).

Pages: overview, weekly-review, site-comparison, payer-drilldown, with changing filters in the query
string (date range preset, site, payer). An error is any of: the websocket failing, no finish within
--timeout, a run that does not finish successfully, an exception element, an st.error box, a
page-not-found. Memory: RSS of the streamlit process, sampled every 0.5 s.

Loopback only: the script starts its own server on 127.0.0.1 (or is pointed at one with --url and
--pid). It prints one table row per N as soon as that N is done, then how p95 grows with N."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = ["overview", "weekly-review", "site-comparison", "payer-drilldown"]
URL_PATH = {"overview": ""}       # the default page is served at "/"
TITLES = {"overview": "Overview", "weekly-review": "Weekly review", "site-comparison": "Site comparison",
          "payer-drilldown": "Payer drill-down"}
RANGES = ["last_week", "last_4_weeks", "last_13_weeks", "month", "quarter", "ytd", "all"]


@dataclass
class Result:
    users: int
    times: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    seconds: float = 0.0

    def pct(self, q: float) -> float | None:
        if not self.times:
            return None
        s = sorted(self.times)
        return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def choices(db: Path) -> dict[str, list[str]]:
    """Filter values that exist in this warehouse (sites and payers), read from its snapshot."""
    from warehouse import catalog
    from warehouse.scope import Scope
    from warehouse.store import open_snapshot
    con, _ = open_snapshot(db)
    try:
        return {dim: [v for v, _ in catalog.choices(con, scope=Scope.all(), dim=dim)] for dim in ("site", "payer")}
    finally:
        con.close()


def views(rng: random.Random, values: dict[str, list[str]]):
    """An endless walk through the pages with changing filters: (page, query string)."""
    while True:
        page = rng.choice(PAGES)
        q: list[tuple[str, str]] = [("range", rng.choice(RANGES))]
        if values.get("site") and rng.random() < 0.5:
            q.append(("site", rng.choice(values["site"])))
        if values.get("payer") and rng.random() < 0.3:
            q.append(("payer", rng.choice(values["payer"])))
        yield page, urlencode(q)


async def page_view(ws_url: str, page: str, query: str, timeout: float) -> tuple[float, str | None]:
    """Open one page in a new session; (seconds until its script run finished, error or None)."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    t0 = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None,
                                          open_timeout=timeout, ping_interval=None) as ws:
                msg = BackMsg()
                msg.rerun_script.query_string = query
                msg.rerun_script.page_name = URL_PATH.get(page, page)
                await ws.send(msg.SerializeToString())
                problem = None
                titled = False
                while True:
                    fwd = ForwardMsg()
                    fwd.ParseFromString(await ws.recv())
                    kind = fwd.WhichOneof("type")
                    if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                        el = fwd.delta.new_element
                        which = el.WhichOneof("type")
                        if which == "exception":
                            problem = problem or f"exception: {el.exception.type}: {el.exception.message[:200]}"
                        elif which == "alert" and el.alert.format == el.alert.ERROR:
                            problem = problem or f"error box: {el.alert.body[:200]}"
                        elif which == "heading":
                            if "sign in" in el.heading.body.lower():
                                problem = problem or ("the sign-in screen (this warehouse needs an account; "
                                                      "run against a demo warehouse)")
                            titled = titled or el.heading.body.strip() == TITLES[page]
                    elif kind == "page_not_found":
                        problem = problem or f"page not found: {page}"
                    elif kind == "script_finished":
                        status = ForwardMsg.ScriptFinishedStatus.Name(fwd.script_finished)
                        if status == "FINISHED_EARLY_FOR_RERUN":
                            continue              # the app asked for a rerun: wait for that run
                        if status != "FINISHED_SUCCESSFULLY":
                            problem = problem or f"run ended {status}"
                        if not titled:
                            problem = problem or f"the page's title ({TITLES[page]}) was not shown"
                        return time.perf_counter() - t0, problem
    except TimeoutError:
        return time.perf_counter() - t0, f"no finished run within {timeout:.0f}s"
    except Exception as exc:       # noqa: BLE001 - any failure of a session is an error to report
        return time.perf_counter() - t0, f"{type(exc).__name__}: {exc}"


async def user(ws_url: str, walk, deadline: float, timeout: float, think: float, res: Result) -> None:
    while time.monotonic() < deadline:
        page, query = next(walk)
        seconds, problem = await page_view(ws_url, page, query, timeout)
        if problem:
            res.errors.append(f"/{page}?{query}: {problem}")
        else:
            res.times.append(seconds)
        if think:
            await asyncio.sleep(think)


async def sample_rss(pid: int | None, res: Result, stop: asyncio.Event) -> None:
    if pid is None:
        return
    import psutil
    proc = psutil.Process(pid)
    while not stop.is_set():
        with contextlib.suppress(psutil.Error):
            res.rss.append(proc.memory_info().rss)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


async def run_level(ws_url: str, n: int, duration: float, timeout: float, think: float, pid: int | None,
                    values: dict[str, list[str]], seed: int) -> Result:
    res = Result(n)
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(pid, res, stop))
    t0 = time.monotonic()
    deadline = t0 + duration
    await asyncio.gather(*(user(ws_url, views(random.Random(seed * 1000 + i), values), deadline, timeout, think, res)
                           for i in range(n)))
    res.seconds = time.monotonic() - t0
    stop.set()
    await sampler
    return res


def fmt_s(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


HEADER = f"{'N':>4} {'views':>6} {'views/s':>8} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'errors':>7} {'RSS MB max':>11} {'RSS MB end':>11}"


def row(r: Result) -> str:
    mb = (lambda b: f"{b / 2**20:.0f}")
    return (f"{r.users:>4} {len(r.times):>6} {len(r.times) / r.seconds if r.seconds else 0:>8.2f} "
            f"{fmt_s(r.pct(0.5)):>7} {fmt_s(r.pct(0.95)):>7} {fmt_s(max(r.times) if r.times else None):>7} "
            f"{len(r.errors):>7} {mb(max(r.rss)) if r.rss else '—':>11} {mb(r.rss[-1]) if r.rss else '—':>11}")


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(db: Path):
    """`python -m pages.serve` (what `make run` starts) on a free loopback port, serving `db`."""
    port = free_port()
    log = tempfile.TemporaryFile()          # a file, not a pipe: a full pipe would stall the server
    proc = subprocess.Popen(
        [sys.executable, "-m", "pages.serve", "--server.address", "127.0.0.1", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "DENIALS_DB": str(db)}, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            break
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError("streamlit did not start: " + log.read().decode(errors="replace")[-3000:])
        time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError("streamlit did not start within 60 s")
    try:
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        if proc.poll() is None:
            proc.kill()
        log.seek(0)
        tail = log.read().decode(errors="replace").strip().splitlines()[-15:]
        log.close()
        if tail and os.environ.get("LOAD_TEST_SERVER_LOG"):
            print("server log (last lines):\n  " + "\n  ".join(tail), file=sys.stderr)


async def main_async(args, url: str, pid: int | None) -> int:
    host = urlparse(url)
    if host.hostname not in ("127.0.0.1", "localhost", "::1"):
        print("error: loopback only (--url must be on 127.0.0.1 or localhost)", file=sys.stderr)
        return 2
    ws_url = f"ws://{host.netloc}/_stcore/stream"
    values = choices(Path(args.db))
    levels = [int(x) for x in args.users.split(",") if x.strip()]
    # warm-up: every page once (first imports, caches), not measured
    for page in PAGES:
        _, problem = await page_view(ws_url, page, "range=last_13_weeks", args.timeout)
        if problem:
            print(f"warm-up /{page}: {problem}", file=sys.stderr)
    print(f"load test: {url}, {args.db}, {args.duration:.0f} s per level, think time {args.think:.1f} s, "
          f"pages {', '.join(PAGES)}; page time = websocket open -> script run finished", flush=True)
    print(HEADER, flush=True)
    results = []
    for n in levels:
        r = await run_level(ws_url, n, args.duration, args.timeout, args.think, pid, values, args.seed)
        results.append(r)
        print(row(r), flush=True)
        for e in sorted(set(r.errors))[:10]:
            print(f"     error: {e}", flush=True)
    base = results[0].pct(0.95) if results else None
    if base:
        growth = ", ".join(f"N={r.users}: x{r.pct(0.95) / base:.1f}" for r in results[1:] if r.pct(0.95))
        print(f"p95 growth relative to N={results[0].users}: {growth or '—'}", flush=True)
    total_errors = sum(len(r.errors) for r in results)
    print(f"errors: {total_errors}", flush=True)
    return 1 if total_errors else 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", required=True, help="warehouse file the server reads (and filter values come from)")
    p.add_argument("--users", default="1,5,20", help="comma list of concurrent session counts (default 1,5,20)")
    p.add_argument("--duration", type=float, default=30, help="seconds per level (default 30)")
    p.add_argument("--think", type=float, default=0.5, help="pause between a user's page views, seconds")
    p.add_argument("--timeout", type=float, default=60, help="a page view slower than this is an error")
    p.add_argument("--seed", type=int, default=8)
    p.add_argument("--url", help="an already running dashboard on loopback (default: start one)")
    p.add_argument("--pid", type=int, help="its process id, for the memory samples (with --url)")
    args = p.parse_args(argv)
    if not Path(args.db).exists():
        print(f"error: no warehouse at {args.db} (make demo builds one)", file=sys.stderr)
        return 2
    if args.url:
        return asyncio.run(main_async(args, args.url, args.pid))
    with server(Path(args.db)) as (url, pid):
        return asyncio.run(main_async(args, url, pid))


if __name__ == "__main__":
    sys.exit(main())
