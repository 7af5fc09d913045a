"""python -m warehouse kpi|refresh — the warehouse's own commands (see README)."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from warehouse.store import resolve_db_path


def _kpi(args) -> int:
    from warehouse.dimensions import UnknownDimension
    from warehouse.query import Filters, kpis
    from warehouse.scope import Scope
    from warehouse.store import WarehouseMissing, open_snapshot
    from warehouse.metrics import KPI_FIELDS

    by = [b.strip() for b in args.by.split(",") if b.strip()] if args.by else []
    filters = {}
    for f in args.filter or []:
        key, _, values = f.partition("=")
        filters[key.strip()] = [v.strip() for v in values.split(",") if v.strip()]
    from warehouse.schema import SchemaTooNew, SchemaTooOld
    try:
        con, _ = open_snapshot(resolve_db_path(args.db))
    except (WarehouseMissing, SchemaTooOld, SchemaTooNew) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        flt = Filters.make(filters, args.date_from, args.date_to, args.basis)
        frame = kpis(con, scope=Scope.all(), by=by, filters=flt, as_of=args.as_of)
    except (UnknownDimension, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    parts = [c for c in frame.columns if "__" in c]
    if not args.with_parts:
        frame = frame.drop(parts)
    if args.format == "json":
        rows = frame.to_dicts()
        print(json.dumps(rows, indent=1, default=str))
    elif args.format == "csv":
        sys.stdout.write(frame.write_csv())
    else:
        import polars as pl
        with pl.Config(tbl_rows=200, tbl_cols=40, tbl_width_chars=250, fmt_str_lengths=40):
            print(frame)
    return 0


def _refresh(args) -> int:
    from warehouse.refresh import refresh
    from warehouse.store import WriteSession
    db = resolve_db_path(args.db)
    if not db.exists():
        print(f"error: no warehouse at {db}", file=sys.stderr)
        return 2
    with WriteSession(db) as ws:
        refresh(ws.con)
        ws.publish()
    print(f"refreshed models of {db} with the current taxonomy")
    return 0


def _backup(args) -> int:
    from warehouse.maintenance import backup
    db = resolve_db_path(args.db)
    if not db.exists():
        print(f"error: no warehouse at {db}", file=sys.stderr)
        return 2
    target = backup(db, Path(args.to))
    print(f"backed up {db} to {target}")
    return 0


def _restore(args) -> int:
    from warehouse.maintenance import RestoreError, restore
    try:
        manifest = restore(resolve_db_path(args.db), Path(args.backup))
    except RestoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"restored {args.backup} (taken {manifest['taken_at']}, {manifest['loads']} loads)")
    return 0


def _migrate(args) -> int:
    from warehouse import schema
    from warehouse.refresh import refresh
    from warehouse.store import WriteSession
    db = resolve_db_path(args.db)
    if not db.exists():
        print(f"error: no warehouse at {db}", file=sys.stderr)
        return 2
    ws = WriteSession(db)
    try:
        ws.open(migrating=True)
        before = schema.stored_version(ws.con)
        done = schema.migrate(ws.con)
        refresh(ws.con)
        ws.publish()
    finally:
        ws.__exit__(None, None, None)
    print(f"{db}: schema {before} -> {schema.SCHEMA_VERSION}" + (f" ({', '.join(done)})" if done else " (nothing to do)"))
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m warehouse")
    sub = p.add_subparsers(dest="command", required=True)
    k = sub.add_parser("kpi", help="KPIs for any slice (JSON, CSV or a table)")
    k.add_argument("--db")
    k.add_argument("--by", help="comma-separated dimensions: day, week, month, quarter, site, provider, specialty, "
                                "payer, payer_class, root_cause, sub_cause, stage, owner_team, soft_hard, carc, "
                                "procedure_code, modifier")
    k.add_argument("--from", dest="date_from", type=dt.date.fromisoformat)
    k.add_argument("--to", dest="date_to", type=dt.date.fromisoformat)
    k.add_argument("--as-of", dest="as_of", type=dt.date.fromisoformat,
                   help="date A/R is measured at (default: the latest remit date)")
    k.add_argument("--basis", choices=("adjudication", "service"), default="adjudication",
                   help="place claims in periods by initial adjudication (default) or date of service")
    k.add_argument("--filter", action="append", metavar="DIM=V1,V2", help="keep only these values (repeatable)")
    k.add_argument("--format", choices=("json", "csv", "table"), default="table")
    k.add_argument("--with-parts", action="store_true", help="also print each ratio's numerator and denominator")
    r = sub.add_parser("refresh", help="rebuild the models from the facts and the current taxonomy")
    r.add_argument("--db")
    b = sub.add_parser("backup", help="a consistent copy of the warehouse (safe while the dashboard runs)")
    b.add_argument("--db")
    b.add_argument("--to", required=True, help="folder for the backup")
    mg = sub.add_parser("migrate", help="upgrade a warehouse written by an earlier release, in place of a rebuild")
    mg.add_argument("--db")
    rs = sub.add_parser("restore", help="replace the warehouse with a backup made by `backup`")
    rs.add_argument("--db")
    rs.add_argument("backup", help="the .duckdb file written by `backup`")
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    return {"kpi": _kpi, "refresh": _refresh, "backup": _backup, "restore": _restore,
            "migrate": _migrate}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
