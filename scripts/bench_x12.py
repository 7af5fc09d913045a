"""Measure X12 835 parsers: speed on a generated ~100k-claim 835, and how much of each shared
sample 835 they read correctly. Writes a markdown table (docs/x12.md quotes it).

    .venv/bin/python scripts/bench_x12.py                 # everything, 5 runs each
    .venv/bin/python scripts/bench_x12.py --claims 20000 --runs 3 --out bench-results/x12.md
    .venv/bin/python scripts/bench_x12.py speed --claims 100000 500000 --per-transaction 5000 100
                                                          # ours vs oxedi vs floors only, round-robin

Parsers measured (each skipped with a note when it is not installed; none is a dependency of
the project: `pip install pyx12 oxedi edi-835-parser` into the venv to measure them):
  floor          bytes.split on the segment terminator only (the cost of touching the bytes)
  floor+elements the floor plus str.split of every segment into elements
  etl.x12        this project's reader: contract frames (remits, lines, CAS, remarks, PLB)
  oxedi          Rust 835 parser with Python bindings (tables)
  pyx12          X12 validator/parser (X12ContextReader loop walk; no validation report)
  edi-835-parser pure-Python 835 parser (TransactionSet objects)

Speed: claims per second, the median of --runs runs, wall time of parsing a file that is
already in the page cache (each parser reads it from disk as it normally would). The fast
parsers and the floors are timed round-robin in one process (the machine is shared: compare
ratios, not absolute times); `speed` mode does only that, on several file sizes and
transaction sizes.
Correctness: per sample file, whether the parser's claims count, sum of CLP04 paid and number
of CAS adjustment amounts equal the values read by hand from the segments (EXPECTED below).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import logging
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SAMPLES = ROOT.parent / "shared" / "x12-samples" / "835"

# Hand-checked against the segments of each sample: (CLP count, sum of CLP04, CAS amounts).
# "CAS amounts" counts every reason/amount pair with an amount (placeholder CAS included).
EXPECTED: dict[str, tuple[int, str, int]] = {
    "affect__exhaustive_sample_masked.txt": (1, "0.00", 12),
    "affect__nevada_medicaid.txt": (3, "0.00", 5),
    "affect__sample_835.txt": (6, "142.91", 16),
    "affect__sample_835_with_interests.txt": (6, "142.91", 16),
    "chs__test.835": (1, "1500.50", 3),
    "keiron__blue_cross_nc_sample.txt": (1, "1922.86", 3),
    "keiron__emedny_sample.txt": (3, "45.75", 4),
    "keiron__united_healthcare_legacy_sample.txt": (2, "349.99", 7),
    "lfh__cob-contractural-adjustment.835": (1, "34.00", 2),
    "lfh__managed-care.835": (2, "945.00", 5),
    "lfh__medicare-part-a.835": (2, "149998.73", 2),
    "lfh__secondary-payment.835": (2, "1222.00", 5),
    "lfh__tertiary-payment.835": (1, "187.50", 1),
    "oopfactory__4010_835_DeIdent_02.dat": (375, "529649.92", 2439),
    "oopfactory__5010_Example1.txt": (10, "5.75", 21),
    "pyx12__835_mult_loops.txt": (1, "0.00", 3),
    "tigershark__4010_835-example.txt": (2, "12200.67", 2),
}


# ---------------------------------------------------------------------------------------------
# generated file


def generate_835(claims: int, per_transaction: int = 5000, seed: int = 835) -> bytes:
    """A balanced 5010 835: `claims` claims in transactions of `per_transaction`."""
    rnd = random.Random(seed)
    cpt = ["99213", "99214", "97110", "73630", "20610", "J3301", "81003", "93000"]
    out: list[str] = ["ISA*00*          *00*          *ZZ*BENCHPAYER     *ZZ*BENCHCLINIC    *240110*0900*^*00501*000000001*0*P*:~",
                      "GS*HP*BENCHPAYER*BENCHCLINIC*20240110*0900*1*X*005010X221A1~"]
    nst = 0
    done = 0
    while done < claims:
        nst += 1
        n = min(per_transaction, claims - done)
        body: list[str] = []
        total = 0
        for c in range(n):
            k = done + c + 1
            lines = rnd.randint(1, 3)
            svc: list[str] = []
            charge_c = paid_c = pr_c = 0
            denied = rnd.random() < 0.12
            for ln in range(lines):
                ch = rnd.randint(50, 900) * 100 + rnd.choice((0, 50))
                if denied:
                    paid, co, pr = 0, ch, 0
                    cas = f"CAS*CO*{rnd.choice(('16', '50', '197', '29'))}*{ch / 100:.2f}~"
                else:
                    co = ch * rnd.randint(10, 45) // 100
                    pr = rnd.choice((0, 0, 2000, 3500))
                    pr = min(pr, ch - co)
                    paid = ch - co - pr
                    cas = f"CAS*CO*45*{co / 100:.2f}~" + (f"CAS*PR*3*{pr / 100:.2f}~" if pr else "")
                charge_c += ch
                paid_c += paid
                pr_c += pr
                svc.append(f"SVC*HC:{rnd.choice(cpt)}{':25' if rnd.random() < 0.1 else ''}*{ch / 100:.2f}*{paid / 100:.2f}**1~"
                           f"DTM*472*20240{rnd.randint(1, 9)}{rnd.randint(10, 28)}~{cas}REF*6R*{ln + 1}~"
                           f"AMT*B6*{(ch - co) / 100:.2f}~" + ("LQ*HE*N130~" if denied else ""))
            status = "4" if denied else "1"
            body.append(f"CLP*PCN{k:08d}*{status}*{charge_c / 100:.2f}*{paid_c / 100:.2f}*"
                        f"{pr_c / 100:.2f}*12*PAYERCLAIM{k:010d}*11*1~"
                        f"NM1*QC*1*DOE*JANE****MI*MEMBER{k % 5000:05d}~NM1*82*1*SMITH*ANN****XX*1234567893~"
                        f"DTM*232*20240105~DTM*233*20240105~AMT*AU*{charge_c / 100:.2f}~" + "".join(svc))
            total += paid_c
        head = (f"ST*835*{nst:04d}~BPR*I*{total / 100:.2f}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*"
                f"999988880*DA*98765*20240110~TRN*1*TRACE{nst:06d}*1512345678~DTM*405*20240109~"
                "N1*PR*BENCH HEALTH PLAN*XV*60054~N3*1 MAIN ST~N4*CITY*ST*12345~REF*2U*60054~"
                "N1*PE*BENCH CLINIC*XX*1234567893~LX*1~")
        segs = (head + "".join(body)).count("~") + 1
        out.append(head + "".join(body) + f"SE*{segs}*{nst:04d}~")
        done += n
    out.append(f"GE*{nst}*1~IEA*1*000000001~")
    return "\n".join(out).encode("ascii")


# ---------------------------------------------------------------------------------------------
# parsers: each returns (claims, sum of CLP04 as str, CAS amount count) or raises


def run_floor(path: Path):
    data = path.read_bytes()
    segs = data.split(b"~")
    return len(segs), None, None


def run_floor_elements(path: Path):
    data = path.read_bytes()
    n = 0
    for s in data.split(b"~"):
        s.split(b"*")
        n += 1
    return n, None, None


def run_ours(path: Path):
    import polars as pl
    from etl.mapping import Mapping
    from etl.x12 import read_x12
    claims = cas = 0
    paid_parts = []
    for b in read_x12(path, mapping=Mapping(), lenient="all"):
        f = b.frames
        if "remits" in f:
            claims += f["remits"].height
            paid_parts.append(f["remits"]["claim_paid"])
        if "remit_adjustments" in f:
            amounts = f["remit_adjustments"]["amount"]
            cas += amounts.len() - amounts.null_count()
    # one sum at the end, as for oxedi (whose tables come out whole)
    paid = (pl.concat(paid_parts).cast(pl.Decimal(18, 2), strict=False).sum() if paid_parts else None) or 0
    return claims, f"{paid:.2f}", cas


def run_oxedi(path: Path):
    import oxedi
    import polars as pl
    r = oxedi.parse_file(path)
    claims = r.tables["claims"].to_polars()
    adj = r.tables["adjustments"].to_polars()
    paid = claims.select(pl.col("payment_amount").cast(pl.Decimal(18, 2), strict=False).sum()).item() or 0
    return claims.height, f"{paid:.2f}", adj["amount"].is_not_null().sum()


def run_pyx12(path: Path):
    import pyx12.error_handler
    import pyx12.params
    import pyx12.x12context
    from decimal import Decimal, InvalidOperation
    param = pyx12.params.params()
    errh = pyx12.error_handler.errh_null()
    claims = cas = 0
    paid = Decimal(0)

    def count(node) -> int:
        n = 0
        for seg in node.select("CAS"):
            for k in (3, 6, 9, 12, 15, 18):
                if seg.get_value(f"CAS{k:02d}"):
                    n += 1
        return n

    with open(path, encoding="latin-1") as fh:
        src = pyx12.x12context.X12ContextReader(param, errh, fh)
        for node in src.iter_segments("2100"):
            if node.id != "2100":
                continue
            claims += 1
            with contextlib.suppress(InvalidOperation, TypeError):
                paid += Decimal(node.get_value("CLP04"))
            cas += count(node)
            for svc in node.select("2110"):
                cas += count(svc)
    return claims, f"{paid:.2f}", cas


def run_edi835(path: Path):
    import edi_835_parser
    from decimal import Decimal
    sets = edi_835_parser.parse(str(path)).transaction_sets
    claims = cas = 0
    paid = Decimal(0)
    for t in sets:
        for claim in t.claims:
            claims += 1
            paid += Decimal(str(claim.claim.paid_amount or 0))
            for svc in claim.services:          # edi-835-parser keeps no claim-level CAS
                cas += len(svc.adjustments or [])
    return claims, f"{paid:.2f}", cas


PARSERS = {
    "floor (split segments)": run_floor,
    "floor (split segments and elements)": run_floor_elements,
    "etl.x12 (ours)": run_ours,
    "oxedi": run_oxedi,
    "pyx12": run_pyx12,
    "edi-835-parser": run_edi835,
}


def available(name: str) -> str | None:
    mod = {"oxedi": "oxedi", "pyx12": "pyx12", "edi-835-parser": "edi_835_parser"}.get(name)
    if mod is None:
        return None
    try:
        __import__(mod)
    except ImportError:
        return f"{name} is not installed"
    return None


def version(name: str) -> str:
    import importlib.metadata as md
    dist = {"oxedi": "oxedi", "pyx12": "pyx12", "edi-835-parser": "edi-835-parser", "etl.x12 (ours)": None}.get(name)
    if not dist:
        return ""
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return ""


def timed_once(fn, path: Path) -> tuple[float, object]:
    sink = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        result = fn(path)
    return time.perf_counter() - t0, result


def timed(fn, path: Path, runs: int) -> tuple[float, object]:
    times = []
    result = None
    for _ in range(runs):
        t, result = timed_once(fn, path)
        times.append(t)
    return statistics.median(times), result


def interleaved(names: list[str], path: Path, runs: int) -> dict[str, tuple[list[float], object]]:
    """Time the parsers round-robin (run 1 of each, then run 2 of each, ...): on a shared machine
    a burst of load then hits every parser alike, so their ratios stay meaningful."""
    out: dict[str, tuple[list[float], object]] = {}
    for name in names:                  # imports and first-call costs are not timed
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            PARSERS[name](WARM)
    for _ in range(runs):
        for name in names:
            t, res = timed_once(PARSERS[name], path)
            out.setdefault(name, ([], res))[0].append(t)
    return out


def speed(argv: list[str] | None = None) -> int:
    """Side-by-side speed only (ours, oxedi, the two floors), round-robin, several files:

        .venv/bin/python scripts/bench_x12.py speed --claims 100000 500000 --per-transaction 5000 100 --runs 5
    """
    ap = argparse.ArgumentParser(prog="bench_x12.py speed")
    ap.add_argument("--claims", type=int, nargs="+", default=[100_000])
    ap.add_argument("--per-transaction", type=int, nargs="+", default=[5000])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", nargs="*", default=["floor (split segments)", "floor (split segments and elements)",
                                                   "etl.x12 (ours)", "oxedi"])
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    logging.disable(logging.WARNING)
    names = [n for n in args.only if n in PARSERS and not available(n)]
    lines = [f"Side by side in one process, round-robin, median of {args.runs} runs; claims/second; "
             "'ours / X' is our time divided by X's (below 1: ours is faster).\n",
             "| file | MB | segments | " + " | ".join(names) + " | ours / oxedi (time) | ours / floor (elements) "
             "| ours / floor (segments) |",
             "|---|---:|---:|" + "---:|" * (len(names) + 3)]
    global WARM
    with tempfile.TemporaryDirectory() as tmp:
        WARM = Path(tmp) / "warm.835"
        WARM.write_bytes(generate_835(20))
        for nclaims in args.claims:
            for per in args.per_transaction:
                path = Path(tmp) / f"g{nclaims}_{per}.835"
                data = generate_835(nclaims, per_transaction=per)
                path.write_bytes(data)
                nseg = data.count(b"~")
                del data
                res = interleaved(names, path, args.runs)
                med = {n: statistics.median(ts) for n, (ts, _r) in res.items()}
                ours = med.get("etl.x12 (ours)")

                def ratio(other: str) -> str:
                    return f"{ours / med[other]:.2f}" if ours and other in med else ""

                cells = [f"{nclaims / med[n]:,.0f}" for n in names]
                lines.append(f"| {nclaims:,} claims, {per:,} per ST..SE | {path.stat().st_size / 1e6:.1f} | {nseg:,} | "
                             + " | ".join(cells) + f" | {ratio('oxedi')} | {ratio('floor (split segments and elements)')} "
                             f"| {ratio('floor (split segments)')} |")
                print(lines[-1], file=sys.stderr, flush=True)
                for n, (ts, r) in res.items():
                    print(f"   {n}: " + " ".join(f"{t:.3f}" for t in ts) + f"  -> {r[0]}", file=sys.stderr, flush=True)
                path.unlink()
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


WARM = Path(tempfile.gettempdir()) / "bench_x12_warm.835"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--slow-claims", type=int, default=5_000,
                    help="claims of the (smaller) generated file the pure-Python libraries are timed on")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", nargs="*", help="parser names to run")
    ap.add_argument("--out", type=Path, help="also write the tables to this markdown file")
    args = ap.parse_args(argv)
    logging.disable(logging.WARNING)
    names = [n for n in PARSERS if not args.only or any(o.lower() in n.lower() for o in args.only)]
    lines: list[str] = []

    slow = ("pyx12", "edi-835-parser")
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "generated.835"
        big.write_bytes(generate_835(args.claims))
        small = Path(tmp) / "generated_small.835"
        small.write_bytes(generate_835(args.slow_claims))
        warm = Path(tmp) / "warm.835"
        warm.write_bytes(generate_835(20))
        size = big.stat().st_size
        lines.append(f"Generated 835: {args.claims:,} claims, {size / 1e6:.1f} MB, "
                     f"{big.read_bytes().count(b'~'):,} segments; median of {args.runs} runs. pyx12 and "
                     f"edi-835-parser (100 times slower) are timed on a {args.slow_claims:,}-claim file of the same "
                     "kind, one run.\n")
        lines.append("| parser | version | seconds | claims/second | x floor (segments) | x floor (elements) | claims read |")
        lines.append("|---|---|---:|---:|---:|---:|---:|")
        floor = {}
        # the fast parsers are timed round-robin on the big file (a burst of load on the shared
        # machine then hits all of them alike); a parser that fails is timed alone below
        global WARM
        WARM = warm
        fast = [n for n in names if n not in slow and not available(n)]
        try:
            together = {n: (statistics.median(ts), r) for n, (ts, r) in interleaved(fast, big, args.runs).items()}
        except Exception:
            together = {}
        for name in names:
            skip = available(name)
            if skip:
                lines.append(f"| {name} | | | | | | {skip} |")
                continue
            path, nclaims, runs = (small, args.slow_claims, 1) if name in slow else (big, args.claims, args.runs)
            try:
                if name in together:
                    secs, res = together[name]
                else:
                    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                        PARSERS[name](warm)          # imports and first-call costs are not timed
                    secs, res = timed(PARSERS[name], path, runs)
            except Exception as exc:  # a parser failing on the generated file is a result too
                lines.append(f"| {name} | {version(name)} | failed: {type(exc).__name__}: {str(exc)[:60]} | | | | |")
                continue
            if name.startswith("floor"):
                floor[name] = secs
                lines.append(f"| {name} | | {secs:.3f} | {nclaims / secs:,.0f} | | | |")
                continue
            cps = nclaims / secs
            f1 = (args.claims / floor["floor (split segments)"]) / cps if "floor (split segments)" in floor else float("nan")
            f2 = ((args.claims / floor["floor (split segments and elements)"]) / cps
                  if "floor (split segments and elements)" in floor else float("nan"))
            lines.append(f"| {name} | {version(name)} | {secs:.3f} | {cps:,.0f} | {f1:.1f} | {f2:.1f} "
                         f"| {res[0]:,} |")
            print("\n".join(lines[-1:]), file=sys.stderr)

    # correctness on the samples
    lines.append("")
    lines.append("Samples: does the parser's (claims, sum of CLP04, CAS amounts) equal the hand-checked values? "
                 "(ours: read in lenient mode, so quarantined transactions count too)\n")
    pnames = [n for n in names if not n.startswith("floor") and not available(n)]
    lines.append("| sample | expected | " + " | ".join(pnames) + " |")
    lines.append("|---|---|" + "---|" * len(pnames))
    score = {n: 0 for n in pnames}
    files = sorted(SAMPLES.glob("*")) if SAMPLES.is_dir() else []
    for path in files:
        exp = EXPECTED.get(path.name)
        cells = []
        for name in pnames:
            try:
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                    got = PARSERS[name](path)
                got = (int(got[0]), str(got[1]), int(got[2]))
                ok = exp is not None and got == exp
                score[name] += ok
                cells.append(("ok" if ok else f"{got[0]} / {got[1]} / {got[2]}"))
            except Exception as exc:
                cells.append(f"error: {type(exc).__name__}")
        e = f"{exp[0]} / {exp[1]} / {exp[2]}" if exp else "?"
        lines.append(f"| {path.name} | {e} | " + " | ".join(cells) + " |")
    if files:
        lines.append(f"| **read correctly** | {len(files)} files | " + " | ".join(str(score[n]) for n in pnames) + " |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["speed"]:
        raise SystemExit(speed(sys.argv[2:]))
    raise SystemExit(main())
