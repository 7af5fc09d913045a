"""python -m etl load|demo — see README and docs/input-format.md."""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from warehouse.store import resolve_db_path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m etl", description="Load claims history into the warehouse.")
    sub = p.add_subparsers(dest="command", required=True)
    ld = sub.add_parser("load", help="load CSV/Parquet exports and X12 835/837/277CA files or folders")
    ld.add_argument("--db", help="warehouse file (default: $DENIALS_DB or data/warehouse.duckdb)")
    ld.add_argument("paths", nargs="+", help="files or folders")
    ld.add_argument("--quiet", action="store_true", help="no progress lines")
    dm = sub.add_parser("demo", help="generate the synthetic demo MSO as input files and load them")
    dm.add_argument("--db")
    dm.add_argument("--claims", type=int, default=150_000)
    dm.add_argument("--seed", type=int, default=7)
    dm.add_argument("--end", type=dt.date.fromisoformat, default=None, help="last day of history (default today)")
    dm.add_argument("--out", help="folder for the generated input files (default: <db folder>/demo-input)")
    dm.add_argument("--format", choices=("csv", "parquet"), default="csv")
    dm.add_argument("--quiet", action="store_true", help="no progress lines")
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    from etl.load import LoadArgumentError, load_paths
    from warehouse.schema import SchemaTooNew, SchemaTooOld
    db = resolve_db_path(args.db)
    progress = None if getattr(args, "quiet", False) else (lambda m: print(m, file=sys.stderr, flush=True))
    try:
        if args.command == "demo":
            from etl import demo
            out = Path(args.out) if args.out else db.parent / "demo-input"
            if out.exists():
                for f in out.iterdir():
                    if f.is_file():
                        f.unlink()
            out.mkdir(parents=True, exist_ok=True)
            files = demo.generate(out, claims=args.claims, seed=args.seed, end=args.end, fmt=args.format,
                                  progress=progress)
            summary = load_paths(db, files, progress=progress, command="demo")
        else:
            summary = load_paths(db, args.paths, progress=progress, command="load")
    except (LoadArgumentError, SchemaTooOld, SchemaTooNew) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary.report())
    return summary.exit_status


if __name__ == "__main__":
    sys.exit(main())
