"""`make bench SIZE=tiny|1m|10m[,..]`: measurements of load, X12 parsing, page data, incremental load,
memory and the kpi command, each with its ratio to a limit or peer measured in the same run.

    .venv/bin/python scripts/bench.py --size tiny            # ~5,000 claims (tests/test_bench_smoke.py)
    .venv/bin/python scripts/bench.py --size 1m,10m          # both sizes, plus the 1M -> 10M ratios

Scratch data (demo input, warehouses, 835 files) lives under $BENCH_TMP (default /tmp/denials-bench)
and is reused between invocations of the same size (the demo generator is deterministic); pass
--clean to delete it at the end. Results: a table on stdout and bench-results/bench-<sizes>-<utc>.json
(+ bench-results/latest.json). Every heavy step runs in a child process (`bench.py _<step> ...`)
so its peak RSS is its own; run the whole thing under `nice -n 19` on a shared machine.

Each figure is the median of several runs after one warm-up run; the repetitions per size are in
REPS below and in the JSON ("reps"). Targets (docs/performance.md) are the 10M-claim targets; rows
at smaller sizes are judged against the same numbers (a MISS at 1M is a MISS at 10M too).
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PY = sys.executable
TMP = Path(os.environ.get("BENCH_TMP", "/tmp/denials-bench"))
OUT = ROOT / "bench-results"

SIZES = {"tiny": 5_000, "1m": 1_000_000, "10m": 10_000_000}
SEED, END = 7, dt.date(2026, 5, 31)
# repetitions (after one warm-up) per size: load, x12, pages, pandas peer, incremental, kpi command
REPS = {"tiny": dict(load=3, x12=3, pages=3, peer=3, inc=3, kpi=3, limit=5),
        "1m": dict(load=1, x12=3, pages=3, peer=3, inc=1, kpi=3, limit=5),
        "10m": dict(load=1, x12=1, pages=3, peer=1, inc=3, kpi=2, limit=3)}
X12_CAP = 500_000          # claims in the generated 835 at most (rates are per claim; the file stays < 0.5 GB)
PYX12_CLAIMS = {"tiny": 200, "1m": 1_000, "10m": 1_000}
PAGES = {"overview": "pages/overview.py", "weekly_review": "pages/weekly_review.py",
         "site_comparison": "pages/site_comparison.py", "payer_drilldown": "pages/payer_drilldown.py"}
REMIT_KINDS = ("remits", "remit_lines", "remit_adjustments", "remit_remarks")
NARROW = {"site": "FAMILY-C", "payer": "MCR"}     # overridden by the busiest site/payer of the warehouse


def say(msg: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def median(xs):
    return statistics.median(xs) if xs else None


def p95(xs):
    if not xs:
        return None
    s = sorted(xs)
    k = 0.95 * (len(s) - 1)
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(step: str, *args: str, timeout: float = 7200) -> dict:
    """Run `bench.py _<step> args` in a child process; its last stdout line is its JSON result."""
    cmd = [PY, str(Path(__file__).resolve()), "_" + step, *args]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    if res.returncode != 0:
        raise RuntimeError(f"bench step {step} failed ({res.returncode}):\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


# ============================================================================ data
def size_dir(size: str) -> Path:
    return TMP / size


def build_input(size: str) -> dict:
    """The demo input for the size, with the last remit day held out into day/ (the incremental load)."""
    d = size_dir(size)
    base, day, marker = d / "input", d / "day", d / "input.complete"
    if not marker.exists():
        import polars as pl
        from etl.demo import generate
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(day, ignore_errors=True)
        say(f"{size}: generating the demo input ({SIZES[size]:,} claims) ...")
        t0 = time.perf_counter()
        generate(base, claims=SIZES[size], seed=SEED, end=END, fmt="csv")
        say(f"{size}: generated in {time.perf_counter() - t0:.0f} s; holding out the last remit day ...")
        remit_files = sorted(base.glob("remits_*.csv"))
        last = max(pl.scan_csv(f, infer_schema=False).select(pl.col("remit_date").max()).collect().item()
                   for f in remit_files)
        day.mkdir(parents=True)
        for f in remit_files:
            k = f.stem.split("_")[-1]
            remits = pl.read_csv(f, infer_schema=False)
            held = remits.filter(pl.col("remit_date") == last)
            ids = held.select("remit_claim_id")
            for kind in REMIT_KINDS:
                src = base / f"{kind}_{k}.csv"
                frame = remits if kind == "remits" else pl.read_csv(src, infer_schema=False)
                out = frame.join(ids, on="remit_claim_id", how="semi")
                keep = frame.join(ids, on="remit_claim_id", how="anti")
                out.write_csv(day / f"{kind}_{k}.csv")
                keep.write_csv(src)
        (d / "day.json").write_text(json.dumps({"day": last}))
        marker.write_text("ok")
    info = json.loads((d / "day.json").read_text())
    info["input_mb"] = sum(f.stat().st_size for f in base.glob("*.csv")) / 1e6
    info["day_rows"] = sum(max(0, sum(1 for _ in open(f)) - 1) for f in day.glob("*.csv"))
    return info


# ============================================================================ child steps
def step_load(argv):
    """Our load into a fresh warehouse: seconds, rows, peak RSS of this process."""
    db, src = Path(argv[0]), Path(argv[1])
    for p in db.parent.glob(db.name + "*"):
        p.unlink()
    from etl.load import load_paths
    t0 = time.perf_counter()
    s = load_paths(db, [src], progress=None, command="demo")   # the demo's data: demo mode, no sign-in
    secs = time.perf_counter() - t0
    rows = sum(r.rows_read for r in s.files)
    print(json.dumps({"seconds": secs, "rows": rows, "loaded": s.total("loaded"),
                      "quarantined": s.total("quarantined"), "rss_mb": maxrss_mb(), "phases": s.phases}))


def step_bare(argv):
    """DuckDB's bare load of the same files: CREATE TABLE AS SELECT * FROM read_csv, one process."""
    import duckdb
    db, src = Path(argv[0]), Path(argv[1])
    for p in db.parent.glob(db.name + "*"):
        p.unlink()
    files = sorted(src.glob("*.csv"))
    t0 = time.perf_counter()
    con = duckdb.connect(str(db))
    con.execute("SET enable_progress_bar = false")
    rows = 0
    for i, f in enumerate(files):
        con.execute(f"CREATE TABLE t{i} AS SELECT * FROM read_csv(?)", [str(f)])
        rows += con.execute(f"SELECT count(*) FROM t{i}").fetchone()[0]
    con.execute("CHECKPOINT")
    con.close()
    secs = time.perf_counter() - t0
    print(json.dumps({"seconds": secs, "rows": rows, "rss_mb": maxrss_mb()}))


def step_x12(argv):
    """835 parsing: ours vs the plain segment split, oxedi and pyx12 (claims per second)."""
    size, n, n_slow, reps = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    import logging
    import bench_x12 as bx
    logging.disable(logging.WARNING)
    d = size_dir(size)
    big, small, warm = d / f"bench_{n}.835", d / f"bench_small_{n_slow}.835", d / "warm.835"
    if not big.exists():
        big.write_bytes(bx.generate_835(n))
    if not small.exists():
        small.write_bytes(bx.generate_835(n_slow))
    warm.write_bytes(bx.generate_835(20))
    out = {"claims": n, "file_mb": big.stat().st_size / 1e6, "pyx12_claims": n_slow}
    # the files are read once first: every parser is timed on a file in the page cache (at 10M, one
    # run each, the plain split used to read it from disk and looked 8 times slower than ours)
    for p in (big, small):
        with open(p, "rb") as fh:
            while fh.read(1 << 24):
                pass
    parsers = (("split", bx.run_floor, big, n, reps), ("split_elements", bx.run_floor_elements, big, n, reps),
               ("ours", bx.run_ours, big, n, reps), ("oxedi", bx.run_oxedi, big, n, reps),
               ("pyx12", bx.run_pyx12, small, n_slow, 1))
    times: dict[str, list[float]] = {}
    results: dict[str, object] = {}
    for name, fn, *_ in parsers:            # imports and first-call costs are not timed
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                fn(warm)
            times[name] = []
        except Exception as exc:            # a missing or failing peer is a result, not a crash
            out[name] = {"error": f"{type(exc).__name__}: {exc}"[:200]}
    # round-robin (run 1 of each, then run 2 of each): a burst of load on the shared machine hits
    # every parser alike, so the ratios of one run stay meaningful
    for r in range(reps):
        for name, fn, path, claims, runs in parsers:
            if name not in times or r >= runs:
                continue
            try:
                secs, results[name] = bx.timed(fn, path, 1)
                times[name].append(secs)
            except Exception as exc:
                out[name] = {"error": f"{type(exc).__name__}: {exc}"[:200]}
                del times[name]
    for name, fn, path, claims, runs in parsers:
        if name in times and times[name]:
            secs = median(times[name])
            res = results[name]
            out[name] = {"seconds": secs, "claims_per_s": claims / secs, "runs": len(times[name]),
                         "claims_read": res[0] if not name.startswith("split") else None}
    print(json.dumps(out))


# ---------------------------------------------------------------------------- page instrumentation
class Recorder:
    """Wraps the warehouse entry points the pages use; records (name, depth, seconds) per call."""

    def __init__(self):
        self.calls: list[tuple[str, int, float]] = []
        self.depth = 0

    def wrap(self, name, fn):
        rec = self
        if getattr(fn, "_bench_wrapped", False):
            return fn

        def wrapper(*a, **k):
            rec.depth += 1
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                rec.depth -= 1
                rec.calls.append((name, rec.depth, time.perf_counter() - t0))
        wrapper._bench_wrapped = True
        wrapper.__wrapped__ = fn
        for attr in ("clear",):
            if hasattr(fn, attr):
                setattr(wrapper, attr, getattr(fn, attr))
        return wrapper

    def top(self) -> float:
        return sum(s for _, d, s in self.calls if d == 0)

    def inner(self) -> float:
        """Time inside warehouse functions (outermost warehouse call of each cached call)."""
        return sum(s for n, d, s in self.calls if not n.startswith("ui.") and d == 1) + \
            sum(s for n, d, s in self.calls if not n.startswith("ui.") and d == 0)

    def reset(self):
        self.calls.clear()
        self.depth = 0


WAREHOUSE_MODULES = ("warehouse.query", "warehouse.catalog", "warehouse.claims", "warehouse.compare",
                     "warehouse.action", "warehouse.queue", "warehouse.quality", "warehouse.brief")


# the pages' shared modules: their Streamlit-cached functions are the cache layer a page's data goes through
PAGE_MODULES = ("pages.ui_base", "pages.ui_access", "pages.ui_tables", "pages.ui", "pages.ui_action")


def _is_cached(val) -> bool:
    return type(val).__module__.startswith("streamlit.runtime.caching")


def instrument(rec: Recorder) -> None:
    """Monkeypatch the warehouse entry points where they are defined AND wherever pages/ui (and the
    warehouse modules themselves) imported them by name; wrap every Streamlit-cached function of
    the pages' shared modules (PAGE_MODULES: the cache layer) and ui_base.connection, and every entry of
    the pages' call tables (ui.WAREHOUSE_CALLS, ui_action.CALLS)."""
    import importlib
    import inspect
    for m in WAREHOUSE_MODULES + PAGE_MODULES:
        with contextlib.suppress(ImportError):
            importlib.import_module(m)
    targets = {}                         # id(original) -> (qualified name, wrapper)
    for m in WAREHOUSE_MODULES:
        mod = sys.modules.get(m)
        if mod is None:
            continue
        for attr, fn in list(vars(mod).items()):
            if attr.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != m:
                continue
            params = list(inspect.signature(fn).parameters)
            if m == "warehouse.brief" and (not params or params[0] != "con"):   # figures/formatting: drawing
                continue
            name = f"{m.split('.', 1)[1]}.{attr}"
            targets[id(fn)] = (name, rec.wrap(name, fn))
    for m in PAGE_MODULES:
        mod = sys.modules.get(m)
        if mod is None:
            continue
        short = m.split(".")[1]
        for attr, val in list(vars(mod).items()):
            if attr == "_workbook":           # an export being written, not the page's data
                continue
            if _is_cached(val) and callable(val) or (m == "pages.ui_base" and attr == "connection"):
                targets[id(val)] = (f"ui.{short}.{attr}", rec.wrap(f"ui.{short}.{attr}", val))
    for modname, mod in list(sys.modules.items()):
        if not (modname.startswith("warehouse") or modname.startswith("pages")) or mod is None:
            continue
        for attr, val in list(vars(mod).items()):
            if id(val) in targets:
                setattr(mod, attr, targets[id(val)][1])
    for m, table in (("pages.ui", "WAREHOUSE_CALLS"), ("pages.ui_action", "CALLS")):
        calls = getattr(sys.modules.get(m), table, None) or {}
        for k, fn in list(calls.items()):
            calls[k] = targets[id(fn)][1] if id(fn) in targets else rec.wrap(k, fn)


def registered_pages() -> dict[str, str]:
    """The pages registered in dashboard.py when the bench runs (name -> script path)."""
    import re
    src = (ROOT / "dashboard.py").read_text()
    paths = re.findall(r"st\.Page\(\s*[\"'](pages/[\w/]+\.py)[\"']", src)
    return {Path(p).stem: p for p in dict.fromkeys(paths)} or dict(PAGES)


def clear_caches():
    import streamlit as st
    st.cache_data.clear()
    st.cache_resource.clear()          # drops the Snapshot: the next call opens a fresh DuckDB instance


def step_pages(argv):
    """Every page: data time cold (caches cleared, fresh snapshot) and warm (a rerun from the cache),
    default view and narrow view (one site, one payer, last 13 weeks)."""
    db, reps = argv[0], int(argv[1])
    os.environ["DENIALS_DB"] = db
    os.chdir(ROOT)
    import logging
    logging.disable(logging.WARNING)
    from streamlit.testing.v1 import AppTest
    import streamlit as st  # noqa: F401
    rec = Recorder()
    instrument(rec)
    # the busiest site and payer: the narrow view
    import duckdb
    con = duckdb.connect(db, read_only=True)
    site = con.execute("SELECT site_id FROM m_claim GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    payer = con.execute("SELECT payer_id FROM m_claim GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    con.close()
    NARROW.update(site=site, payer=payer)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    at.run()
    errors = []
    out = {"narrow": {"site": site, "payer": payer}, "pages": {}}
    for page, path in registered_pages().items():
        res = {}
        for view in ("default", "narrow"):
            cold, warm, cold_inner, calls = [], [], [], None
            for i in range(reps + 1):                 # run 0: warm-up, not counted
                try:
                    at.switch_page(path).run()
                except Exception as exc:          # e.g. a page not in this session's navigation
                    errors.append(f"{page}: {type(exc).__name__}: {exc}"[:300])
                    break
                try:
                    for dim in ("site", "payer"):
                        at.sidebar.multiselect(key=dim).set_value([NARROW[dim]] if view == "narrow" else [])
                except (KeyError, ValueError, IndexError):     # a page without these filters
                    if view == "narrow":
                        errors.append(f"{page}: no site/payer filter, narrow view not measured")
                        break
                at.run()
                clear_caches()
                rec.reset()
                at.run()
                if at.exception:
                    errors.append(f"{page}/{view}: {[e.value for e in at.exception][:1]}")
                c, ci = rec.top(), rec.inner()
                if calls is None:
                    calls = {}
                    for n, d, s in rec.calls:
                        if not n.startswith("ui.") and d <= 1:
                            calls[n] = calls.get(n, 0) + s
                rec.reset()
                at.run()
                w = rec.top()
                if i:
                    cold.append(c)
                    cold_inner.append(ci)
                    warm.append(w)
            if not cold:
                continue
            res[view] = {"cold": cold, "warm": warm, "cold_inner": cold_inner,
                         "cold_median": median(cold), "cold_p95": p95(cold),
                         "warm_median": median(warm), "warm_p95": p95(warm), "calls_first_cold": calls}
        out["pages"][page] = res
    out["errors"] = list(dict.fromkeys(errors))
    out["rss_mb"] = maxrss_mb()
    print(json.dumps(out, default=str))


def step_limit(argv):
    """The limit: one bare aggregate over the largest fact table, cold (fresh instance) and warm."""
    db, reps = argv[0], int(argv[1])
    import duckdb
    con = duckdb.connect(db, read_only=True)
    sizes = con.sql("SELECT table_name, estimated_size FROM duckdb_tables() WHERE NOT internal "
                    "ORDER BY estimated_size DESC").fetchall()
    con.close()
    fact = "adjustment"
    sql = ("SELECT a.payer_id, sum(j.amount) FROM adjustment j JOIN adjudication a USING (event_seq) "
           "GROUP BY 1")
    bare = f"SELECT group_code, sum(amount) FROM {fact} GROUP BY 1"
    def cold_then_warm(query):
        """Seconds of the query on a fresh DuckDB instance (cold), then again on it (warm)."""
        con = duckdb.connect(":memory:")
        con.execute("ATTACH ? AS wh (READ_ONLY)", [db])
        con.execute("USE wh")
        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            con.sql(query).fetchall()
            times.append(time.perf_counter() - t0)
        con.close()
        return times

    cold, warm, cold_j, warm_j = [], [], [], []
    for i in range(reps + 1):
        c, w = cold_then_warm(bare)
        cj, wj = cold_then_warm(sql)
        if i:
            cold.append(c), warm.append(w), cold_j.append(cj), warm_j.append(wj)
    print(json.dumps({"table": fact, "rows_largest": sizes[:3], "sql": bare, "sql_payer": sql,
                      "cold": median(cold), "warm": median(warm),
                      "cold_payer": median(cold_j), "warm_payer": median(warm_j)}, default=str))


def step_peer(argv):
    """The pandas peer: denial rate, denied dollars and clean claim rate by week and site from the
    raw files loaded once into memory, recomputed per view the way a hand-made dashboard does."""
    src, reps, site, payer, as_of = Path(argv[0]), int(argv[1]), argv[2], argv[3], argv[4]
    import pandas as pd

    def read(kind, cols, dates=()):
        return pd.concat([pd.read_csv(f, usecols=cols, dtype=str) for f in sorted(src.glob(f"{kind}_*.csv"))],
                         ignore_index=True).assign(**{c: (lambda df, c=c: pd.to_datetime(df[c])) for c in dates})

    t0 = time.perf_counter()
    claims = read("claims", ["claim_id", "site_id", "payer_id"])
    remits = read("remits", ["remit_claim_id", "patient_control_number", "remit_date", "claim_status",
                             "claim_charge"], dates=("remit_date",))
    remits["claim_charge"] = remits["claim_charge"].astype(float)
    adj = read("remit_adjustments", ["remit_claim_id", "group_code", "carc", "amount"])
    adj["amount"] = adj["amount"].astype(float)
    rej = read("rejections", ["claim_id"])
    load_s = time.perf_counter() - t0
    end = pd.Timestamp(as_of)
    start = end - pd.Timedelta(weeks=13)

    def view(flt: dict | None):
        c = claims
        if flt:
            c = c[(c.site_id == flt["site"]) & (c.payer_id == flt["payer"])]
        r = remits[remits.claim_status.isin(["1", "2", "3", "4", "19", "20", "21"])]
        r = r.sort_values("remit_date").drop_duplicates("patient_control_number")     # initial adjudication
        r = r.merge(c, left_on="patient_control_number", right_on="claim_id")
        r = r[(r.remit_date > start) & (r.remit_date <= end)]
        den = adj[(adj.group_code != "PR") & (~adj.carc.isin(["45", "253", "23"])) & (adj.amount > 0)]
        r["denied"] = (r.claim_status == "4") | r.remit_claim_id.isin(den.remit_claim_id)
        r["rejected"] = r.claim_id.isin(rej.claim_id)
        r["week"] = r.remit_date.dt.to_period("W-SUN").astype(str)
        r["denied_charge"] = r.claim_charge.where(r.denied, 0.0)
        r["clean"] = ~r.denied & ~r.rejected
        g = r.groupby(["site_id", "week"]).agg(claims=("claim_id", "size"), denied=("denied", "sum"),
                                                denied_dollars=("denied_charge", "sum"),
                                                billed=("claim_charge", "sum"), clean=("clean", "sum"))
        g["denial_rate"] = g.denied / g.claims
        g["clean_claim_rate"] = g.clean / g.claims
        return g

    out = {"load_seconds": load_s}
    for name, flt in (("default", None), ("narrow", {"site": site, "payer": payer})):
        times = []
        for i in range(reps + 1):
            t0 = time.perf_counter()
            g = view(flt)
            if i:
                times.append(time.perf_counter() - t0)
        out[name] = {"median": median(times), "rows": len(g)}
    out["rss_mb"] = maxrss_mb()
    print(json.dumps(out))


def _overview(cur, scope):
    """The overview's first query: the data span, then the 13-week KPIs by week."""
    from warehouse import catalog, periods
    from warehouse.query import Filters, kpis
    first, as_of = catalog.data_span(cur, scope=scope)
    ws, we = periods.last_complete_week(as_of)
    kpis(cur, scope=scope, by=("week",), filters=Filters.make({}, ws - dt.timedelta(weeks=12), we), as_of=as_of)
    return as_of


def step_reader(argv):
    """A dashboard stand-in in its own process: holds a Snapshot of the warehouse (idle, as between
    two page views), and on a line from stdin shows the overview again: reopen + first query."""
    from warehouse.scope import Scope
    from warehouse.store import Snapshot
    snap, scope = Snapshot(Path(argv[0])), Scope.all()
    print(json.dumps({"as_of": str(_overview(snap.cursor(), scope))}), flush=True)
    sys.stdin.readline()
    t0 = time.perf_counter()
    cur = snap.cursor()
    t1 = time.perf_counter()
    as_of = _overview(cur, scope)
    t2 = time.perf_counter()
    print(json.dumps({"as_of": str(as_of), "reopen": t1 - t0, "query": t2 - t1}), flush=True)


def step_incremental(argv):
    """A day of remits into the size's warehouse while a dashboard process holds it open, until that
    process shows them: the load (this process, as `python -m etl load` runs) + the dashboard's
    reopen + the overview's first query."""
    db, day_dir, day = Path(argv[0]), Path(argv[1]), argv[2]
    from etl.load import load_paths
    reader = subprocess.Popen([PY, str(Path(__file__).resolve()), "_reader", str(db)], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        before = json.loads(reader.stdout.readline())["as_of"]
        inode = os.stat(db).st_ino
        t0 = time.perf_counter()
        s = load_paths(db, [day_dir], progress=None, command="demo")
        t1 = time.perf_counter()
        in_place = os.stat(db).st_ino == inode
        reader.stdin.write("\n")
        reader.stdin.flush()
        shown = json.loads(reader.stdout.readline())
        reader.wait(timeout=600)
    finally:
        reader.kill()
    print(json.dumps({"load": t1 - t0, "reopen": shown["reopen"], "query": shown["query"],
                      "total": t1 - t0 + shown["reopen"] + shown["query"], "in_place": in_place,
                      "loaded": s.total("loaded"), "as_of_before": before, "as_of_after": shown["as_of"],
                      "shows_day": shown["as_of"] == day, "rss_mb": maxrss_mb(), "phases": s.phases}))


def step_kpi(argv):
    """`python -m warehouse kpi --by site,week --format json` vs a bare process doing one aggregate."""
    db, reps = argv[0], int(argv[1])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [PY, "-m", "warehouse", "kpi", "--db", db, "--by", "site,week", "--format", "json"]
    bare = [PY, "-c", "import duckdb,sys; c=duckdb.connect(':memory:'); c.execute(\"ATTACH ? AS wh (READ_ONLY)\","
                      "[sys.argv[1]]); c.sql('SELECT site_id, sum(billed) FROM wh.m_claim GROUP BY 1').fetchall()", db]
    out = {}
    for name, c in (("kpi", cmd), ("bare", bare)):
        times, nbytes = [], 0
        for i in range(reps + 1):
            t0 = time.perf_counter()
            r = subprocess.run(c, cwd=ROOT, env=env, capture_output=True)
            if r.returncode:
                raise RuntimeError(r.stderr.decode()[-2000:])
            if i:
                times.append(time.perf_counter() - t0)
            nbytes = len(r.stdout)
        out[name] = {"median": median(times), "output_bytes": nbytes}
    out["rows"] = len(json.loads(subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True).stdout))
    print(json.dumps(out))


def step_serve(argv):
    """Peak RSS of a real `python -m pages.serve` serving one browser session of the overview."""
    db = argv[0]
    import socket
    import psutil
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([PY, "-m", "pages.serve", "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env={**os.environ, "DENIALS_DB": db, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = idle = 0.0
    shown = False
    err = None
    try:
        p = psutil.Process(proc.pid)

        def rss():
            tot = 0
            for q in [p] + p.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    tot += q.memory_info().rss
            return tot / 2**20
        deadline = time.time() + 60
        while time.time() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.2)
        time.sleep(1)
        idle = rss()
        import threading
        stop = threading.Event()

        def sample():
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, rss())
                time.sleep(0.05)
        th = threading.Thread(target=sample, daemon=True)
        th.start()
        t0 = time.perf_counter()
        try:
            from playwright.sync_api import sync_playwright
            with sync_playwright() as pw:
                b = pw.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                       headless=True, args=["--no-sandbox", "--disable-gpu"])
                pg = b.new_page()
                pg.goto(f"http://127.0.0.1:{port}/", timeout=120_000)
                pg.wait_for_selector("[data-testid=stMain] h1", timeout=120_000)
                try:
                    pg.wait_for_selector("[data-testid=stMetric]", timeout=180_000)
                    shown = True
                except Exception:
                    err = "no KPI tile within 180 s: " + pg.inner_text("[data-testid=stMain]")[:200]
                first_paint = time.perf_counter() - t0
                time.sleep(1)
                b.close()
        except Exception as exc:
            err = f"{type(exc).__name__}: {exc}"[:200]
            first_paint = None
        stop.set()
        th.join()
        peak = max(peak, rss())
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        if proc.poll() is None:
            proc.kill()
    print(json.dumps({"idle_mb": idle, "peak_mb": peak, "shown": shown, "seconds_to_tiles": first_paint,
                      "error": err}))


# ============================================================================ orchestration
def run_size(size: str, reps: dict, skip: set) -> dict:
    d = size_dir(size)
    d.mkdir(parents=True, exist_ok=True)
    r = {"size": size, "claims": SIZES[size], "reps": reps}
    r["data"] = build_input(size)
    src, db = str(d / "input"), str(d / "wh.duckdb")
    # read the files once so the first timed load does not pay for a cold page cache
    for f in (d / "input").glob("*.csv"):
        with open(f, "rb") as fh:
            while fh.read(1 << 24):
                pass
    if "load" not in skip:
        say(f"{size}: DuckDB bare load x{reps['load']} (+1 warm-up) ...")
        bare = [child("bare", str(d / "bare.duckdb"), src) for _ in range(reps["load"] + 1)][1:]
        (d / "bare.duckdb").unlink(missing_ok=True)
        say(f"{size}: our load x{reps['load']} ...")
        ours = [child("load", db, src) for _ in range(reps["load"])]
        r["load"] = {"ours": ours, "bare": bare,
                     "ours_seconds": median([x["seconds"] for x in ours]),
                     "bare_seconds": median([x["seconds"] for x in bare]),
                     "rows": ours[0]["rows"], "ours_rss_mb": max(x["rss_mb"] for x in ours),
                     "bare_rss_mb": max(x["rss_mb"] for x in bare), "phases": phase_medians(ours)}
        say(f"{size}: load {r['load']['ours_seconds']:.1f} s vs bare {r['load']['bare_seconds']:.1f} s")
    elif not Path(db).exists():
        child("load", db, src)
    if "x12" not in skip:
        n = min(X12_CAP, max(1_000, int(SIZES[size] * 1.09)))
        say(f"{size}: X12 835 parsing ({n:,} claims) ...")
        r["x12"] = child("x12", size, str(n), str(PYX12_CLAIMS[size]), str(reps["x12"]))
    say(f"{size}: limit query ...")
    r["limit"] = child("limit", db, str(reps["limit"]))
    if "pages" not in skip:
        say(f"{size}: pages x{reps['pages']} (cold + warm, default + narrow) ...")
        r["pages"] = child("pages", db, str(reps["pages"]))
        import duckdb
        con = duckdb.connect(db, read_only=True)
        as_of = con.execute("SELECT max(remit_date) FROM adjudication").fetchone()[0]
        con.close()
        say(f"{size}: pandas peer ...")
        r["peer"] = child("peer", src, str(reps["peer"]), r["pages"]["narrow"]["site"],
                          r["pages"]["narrow"]["payer"], str(as_of))
    if "kpi" not in skip:
        say(f"{size}: kpi command ...")
        r["kpi"] = child("kpi", db, str(reps["kpi"]))
    if "serve" not in skip:
        say(f"{size}: dashboard server RSS ...")
        try:
            r["serve"] = child("serve", db, timeout=1800)
        except Exception as exc:
            r["serve"] = {"error": str(exc)[-300:]}
    if "inc" not in skip:
        say(f"{size}: incremental day x{reps['inc']} with the warehouse on disk, x{reps['inc']} in the OS cache ...")
        states = {}
        for state in INC_STATES:
            runs = []
            for _ in range(reps["inc"]):
                inc = d / "inc.duckdb"
                copy_in_state(Path(db), inc, state)
                runs.append(child("incremental", str(inc), str(d / "day"), r["data"]["day"]))
                for p in d.glob("inc.duckdb*"):
                    p.unlink()
            states[state] = {"runs": runs, "total": median([x["total"] for x in runs]),
                             "load": median([x["load"] for x in runs]),
                             "reopen": median([x["reopen"] for x in runs]),
                             "query": median([x["query"] for x in runs]), "loaded": runs[0]["loaded"],
                             "shows_day": all(x["shows_day"] for x in runs),
                             "in_place": all(x.get("in_place") for x in runs), "state": state,
                             "phases": phase_medians(runs)}
        r["incremental"] = {**states["disk"], "in_cache": states["cached"]}
    return r


# the load's phases (etl.load.LoadSummary.phases) as the table names them
PHASES = {"files": "reading, checking and staging the files", "merge": "merge into the facts",
          "models": "model refresh", "publish": "publish (commit, checkpoint)"}


def phase_medians(runs: list[dict]) -> dict[str, float]:
    """Each phase's median over runs that report it (etl.load.LoadSummary.phases), in load order."""
    return {name: median([x["phases"][name] for x in runs]) for name in PHASES
            if runs and all(name in x.get("phases", {}) for x in runs)}


# A day of remits reads parts of every big table, so its time depends on how much of the warehouse
# file the OS has cached, and a copy made just before (each run needs a fresh one) leaves that to
# chance (the copy and its source compete for memory). Each run starts from a stated cache:
# "disk" = none of the copy cached (its pages dropped with posix_fadvise, no root needed): a
# morning after the night's other work; "cached" = all of it read once: a dashboard server that
# has had the warehouse open.
INC_STATES = ("disk", "cached")


def copy_in_state(src: Path, dst: Path, state: str) -> None:
    shutil.copyfile(src, dst)
    for key in src.parent.glob(src.name + ".key"):
        shutil.copyfile(key, str(dst) + ".key")
    with open(src, "rb") as fh:                   # the source's pages out too: only the copy competes for memory
        os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    with open(dst, "rb") as fh:
        os.fsync(fh.fileno())                     # written back: clean pages can be dropped
        os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        if state == "cached":
            while fh.read(1 << 24):
                pass


def rows_of(r: dict) -> list[dict]:
    """The table: one row per figure, with its ratio to a limit or peer and PASS/MISS where a target applies."""
    out = []

    def row(section, metric, value, unit, ratio=None, ratio_to="", target="", ok=None, key=None):
        out.append({"key": key or f"{section}.{metric}", "section": section, "metric": metric, "value": value,
                    "unit": unit, "ratio": ratio, "ratio_to": ratio_to, "target": target,
                    "status": None if ok is None else ("PASS" if ok else "MISS")})

    if "load" in r:
        L = r["load"]
        ratio = L["ours_seconds"] / L["bare_seconds"]
        row("load", "our load (load_paths)", L["rows"] / L["ours_seconds"], "rows/s", ratio,
            "x DuckDB bare load time", "<= 2x bare", ratio <= 2)
        row("load", "our load time", L["ours_seconds"], "s", ratio, "x DuckDB bare load time")
        for name, seconds in L.get("phases", {}).items():
            row("load", f"  of which {PHASES[name]}", seconds, "s", seconds / L["bare_seconds"],
                "x DuckDB bare load time", key=f"load.phase.{name}")
        row("load", "DuckDB bare load (CTAS read_csv)", L["rows"] / L["bare_seconds"], "rows/s", 1.0, "itself")
        row("memory", "peak RSS of the load", L["ours_rss_mb"], "MB", L["ours_rss_mb"] / L["bare_rss_mb"],
            "x bare load RSS", "< 4096 MB", L["ours_rss_mb"] < 4096)
    if "x12" in r:
        X = r["x12"]
        ours = X.get("ours", {}).get("claims_per_s")
        for name, label in (("ours", "etl.x12 (ours)"), ("split", "plain split into segments"),
                            ("split_elements", "split into segments and elements"), ("oxedi", "oxedi"),
                            ("pyx12", f"pyx12 ({X['pyx12_claims']:,}-claim file, 1 run)")):
            v = X.get(name, {})
            cps = v.get("claims_per_s")
            if cps is None:
                row("x12", label, None, "claims/s", None, v.get("error", "not run"))
                continue
            if name == "ours":
                split = X.get("split", {}).get("claims_per_s")
                ratio = split / cps if split else None
                row("x12", label, cps, "claims/s", ratio, "x slower than the plain split", "<= 3x split",
                    ratio is not None and ratio <= 3)
                peers = [X[p]["claims_per_s"] for p in ("oxedi", "pyx12") if X.get(p, {}).get("claims_per_s")]
                if peers:
                    row("x12", "ours vs fastest maintained parser", cps / max(peers), "x", cps / max(peers),
                        "ours / fastest peer claims/s", ">= 1x", cps >= max(peers), key="x12.vs_fastest")
            else:
                row("x12", label, cps, "claims/s", ours / cps if ours else None, "ours / this (claims/s)")
    if "pages" in r:
        P, lim, peer = r["pages"]["pages"], r["limit"], r.get("peer", {})
        worst = {"cold_p95": 0, "warm_p95": 0}
        min_speedup = None
        for page, views in P.items():
            for view, v in views.items():
                pm = peer.get(view, {}).get("median")
                row("pages", f"{page} [{view}] cold median", v["cold_median"], "s", v["cold_median"] / lim["cold"],
                    "x limit (bare aggregate, cold)")
                row("pages", f"{page} [{view}] cold p95", v["cold_p95"], "s", v["cold_p95"] / lim["cold"],
                    "x limit (bare aggregate, cold)", "< 1 s", v["cold_p95"] < 1)
                row("pages", f"{page} [{view}] warm median", v["warm_median"], "s",
                    v["warm_median"] / lim["warm"], "x limit (bare aggregate, warm)")
                row("pages", f"{page} [{view}] warm p95", v["warm_p95"], "s", v["warm_p95"] / lim["warm"],
                    "x limit (bare aggregate, warm)", "< 0.1 s", v["warm_p95"] < 0.1)
                if pm:
                    sp = pm / v["cold_median"]
                    min_speedup = sp if min_speedup is None else min(min_speedup, sp)
                    row("pages", f"{page} [{view}] vs pandas peer (cold)", sp, "x faster", sp,
                        "pandas time / page cold time", ">= 10x", sp >= 10)
                worst["cold_p95"] = max(worst["cold_p95"], v["cold_p95"])
                worst["warm_p95"] = max(worst["warm_p95"], v["warm_p95"])
        row("limit", "bare aggregate over adjustment (cold)", lim["cold"], "s", 1.0, "itself")
        row("limit", "bare aggregate over adjustment (warm)", lim["warm"], "s", 1.0, "itself")
        row("limit", "adjustment x adjudication by payer (cold)", lim["cold_payer"], "s",
            lim["cold_payer"] / lim["cold"], "x bare aggregate")
        for view in ("default", "narrow"):
            if peer.get(view):
                row("peer", f"pandas KPIs by week and site [{view}]", peer[view]["median"], "s",
                    peer[view]["median"] / lim["warm"], "x limit (warm)")
    if "kpi" in r:
        K = r["kpi"]
        row("kpi", "python -m warehouse kpi --by site,week", K["kpi"]["median"], "s",
            K["kpi"]["median"] / K["bare"]["median"], "x a bare python+duckdb process doing one aggregate")
    if "serve" in r:
        S = r["serve"]
        if S.get("peak_mb"):
            row("memory", "dashboard server peak RSS (one overview session)", S["peak_mb"], "MB",
                S["peak_mb"] / S["idle_mb"] if S.get("idle_mb") else None, "x the idle server",
                "< 4096 MB", S["peak_mb"] < 4096 and S.get("shown", False))
            if S.get("seconds_to_tiles"):
                row("memory", "browser: overview tiles shown after", S["seconds_to_tiles"], "s")
        else:
            row("memory", "dashboard server peak RSS", None, "MB", None, S.get("error", "failed"))
    if "incremental" in r:
        for I, where in ((r["incremental"], "on disk"), (r["incremental"].get("in_cache"), "in OS cache")):
            if not I:
                continue
            k = f"incremental.{where}"
            row("incremental", f"one day of remits ({I['loaded']:,} rows) -> dashboard, {where}",
                I["total"], "s", I["total"] / 10, "x the 10 s target", "< 10 s", I["total"] < 10 and I["shows_day"],
                key=f"{k}.total")
            row("incremental", "  of which load" + (" (committed in place)" if I.get("in_place") else " (on a copy)"),
                I["load"], "s", I["load"] / I["total"], "of total", key=f"{k}.load")
            for name, seconds in I.get("phases", {}).items():
                row("incremental", f"    load: {PHASES[name]}", seconds, "s", seconds / I["total"], "of total",
                    key=f"{k}.phase.{name}")
            row("incremental", "  of which snapshot reopen", I["reopen"], "s", I["reopen"] / I["total"], "of total",
                key=f"{k}.reopen")
            row("incremental", "  of which overview first query", I["query"], "s", I["query"] / I["total"],
                "of total", key=f"{k}.query")
    return out


def fmt_v(v):
    if v is None:
        return "—"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3f}"


def print_table(results: dict) -> list[dict]:
    sizes = list(results)
    table = {s: rows_of(results[s]) for s in sizes}
    keys = []
    for s in sizes:
        for x in table[s]:
            if x["key"] not in keys:
                keys.append(x["key"])
    print()
    for s in sizes:
        rr = results[s]
        reps = rr["reps"]
        print(f"## {s}: {rr['claims']:,} claims — medians of {reps} runs after a warm-up "
              f"(pyx12: 1 run); targets are the 10M targets")
        print(f"{'section':<12} {'metric':<58} {'value':>12} {'unit':<10} {'ratio':>9}  {'ratio to':<46} "
              f"{'target':<11} status")
        for x in table[s]:
            print(f"{x['section']:<12} {x['metric'][:58]:<58} {fmt_v(x['value']):>12} {x['unit']:<10} "
                  f"{fmt_v(x['ratio']):>9}  {x['ratio_to'][:46]:<46} {x['target']:<11} {x['status'] or ''}")
        print()
    scaling = []
    if "1m" in results and "10m" in results:
        a = {x["key"]: x for x in table["1m"]}
        b = {x["key"]: x for x in table["10m"]}
        print("## 1M -> 10M (value at 10M / value at 1M)")
        for k in keys:
            if k in a and k in b and a[k]["value"] and b[k]["value"] is not None:
                ratio = b[k]["value"] / a[k]["value"]
                scaling.append({"key": k, "ratio_10m_over_1m": ratio})
                print(f"{k[:72]:<72} {fmt_v(ratio):>9}")
        print()
    return [{"size": s, **x} for s in sizes for x in table[s]] + [{"size": "1m->10m", **x} for x in scaling]


def machine() -> dict:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = 0
    with contextlib.suppress(OSError):
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) / 2**20
    import duckdb
    import polars
    import streamlit
    return {"nproc": os.cpu_count(), "memory_gb": round(mem, 1), "cpu": cpu, "python": platform.python_version(),
            "duckdb": duckdb.__version__, "polars": polars.__version__, "streamlit": streamlit.__version__}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0].startswith("_"):
        sys.path.insert(0, str(ROOT / "scripts"))
        return globals()["step_" + argv[0][1:]](argv[1:]) or 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default=os.environ.get("SIZE", "1m"), help="tiny, 1m, 10m or a list: 1m,10m")
    ap.add_argument("--skip", default="", help="comma list of steps to skip: load,x12,pages,kpi,serve,inc")
    ap.add_argument("--reps", type=int, default=None, help="override every repetition count (the smoke test: 1)")
    ap.add_argument("--clean", action="store_true", help="delete the scratch data of these sizes at the end")
    ap.add_argument("--out", type=Path, default=None, help="JSON file (default bench-results/bench-<sizes>-<utc>.json)")
    args = ap.parse_args(argv)
    sizes = [s.strip() for s in args.size.split(",") if s.strip()]
    bad = [s for s in sizes if s not in SIZES]
    if bad:
        ap.error(f"unknown size {bad}; choose from {list(SIZES)}")
    skip = {s for s in args.skip.split(",") if s}
    started = dt.datetime.now(dt.timezone.utc)
    # the bytecode of a fresh checkout first: the day of remits has no warm-up run (each run needs its
    # own copy of the warehouse), so its first child process would compile etl/ and warehouse/ on the
    # clock (that run is still the slowest of three with the code compiled: docs/performance.md, run al)
    import compileall
    for package in ("etl", "warehouse", "pages", "scripts"):
        compileall.compile_dir(ROOT / package, quiet=1)
    results = {}
    for s in sizes:                      # never two sizes at once
        t0 = time.perf_counter()
        reps = {k: args.reps for k in REPS[s]} if args.reps else REPS[s]
        results[s] = run_size(s, reps, skip)
        results[s]["wall_seconds"] = time.perf_counter() - t0
        say(f"{s}: done in {results[s]['wall_seconds']:.0f} s")
    rows = print_table(results)
    OUT.mkdir(exist_ok=True)
    out = args.out or OUT / f"bench-{'-'.join(sizes)}-{started:%Y%m%dT%H%M%SZ}.json"
    doc = {"started": started.isoformat(), "machine": machine(), "sizes": sizes, "rows": rows, "raw": results}
    out.write_text(json.dumps(doc, indent=1, default=str))
    if args.out is None:                 # an explicit --out (the smoke test) leaves latest.json alone
        (OUT / "latest.json").write_text(json.dumps(doc, indent=1, default=str))
    print(f"wrote {out}")
    if args.clean:
        for s in sizes:
            shutil.rmtree(size_dir(s), ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
