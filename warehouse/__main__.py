"""python -m warehouse kpi|queue|brief|refresh|migrate|backup|restore|users — the warehouse's commands (README)."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from warehouse.store import resolve_db_path


class CommandError(Exception):
    """A refusal with a message for the user (exit status 2)."""


def _open(args):
    """(a read-only snapshot connection, the warehouse path), or CommandError saying why not."""
    from warehouse.schema import SchemaTooNew, SchemaTooOld
    from warehouse.store import WarehouseMissing, open_snapshot
    db = resolve_db_path(args.db)
    try:
        con, _ = open_snapshot(db)
    except (WarehouseMissing, SchemaTooOld, SchemaTooNew) as exc:
        raise CommandError(str(exc)) from None
    return con, db


def _existing(args) -> Path:
    db = resolve_db_path(args.db)
    if not db.exists():
        raise CommandError(f"no warehouse at {db}")
    return db


def _scope(args, db):
    """All sites, or the access scope of `--user`."""
    from warehouse.scope import Scope
    if not getattr(args, "user", None):
        return Scope.all()
    from warehouse.access import AccessStore
    user = AccessStore(db).user(args.user)
    if user is None:
        raise CommandError(f"no active user {args.user!r}")
    return user.scope


def _filter_values(args) -> dict[str, list[str]]:
    """--filter DIM=V1,V2 (repeatable) -> {DIM: [V1, V2]}."""
    values = {}
    for f in args.filter or []:
        key, _, vals = f.partition("=")
        values[key.strip()] = [v.strip() for v in vals.split(",") if v.strip()]
    return values


def _warn_unknown_values(con, scope, values: dict[str, list[str]]) -> None:
    """On stderr, each --filter value the warehouse does not hold within the scope (a typo, another
    warehouse's site id): the result is then empty or narrower than meant, and says nothing itself."""
    from warehouse import catalog
    for dim, vals in values.items():
        try:
            known = {v for v, _ in catalog.choices(con, scope=scope, dim=dim)}
        except ValueError:                 # no list to check against (codes: procedure, modifier, CARC)
            continue
        missing = [v for v in vals if v not in known]
        if missing:
            listed = ", ".join(sorted(known)[:12]) + (", ..." if len(known) > 12 else "")
            print(f"warning: --filter {dim}={','.join(missing)}: no such {dim} in this warehouse"
                  f"{' within your scope' if scope.site_ids is not None else ''} (known: {listed or 'none'})",
                  file=sys.stderr)


def _emit(frame, fmt: str, rows: int = 200) -> None:
    if fmt == "json":
        print(json.dumps(frame.to_dicts(), indent=1, default=str))
    elif fmt == "csv":
        sys.stdout.write(frame.write_csv())
    else:
        import polars as pl
        with pl.Config(tbl_rows=rows, tbl_cols=40, tbl_width_chars=250, fmt_str_lengths=40):
            print(frame)


def _kpi(args) -> int:
    from warehouse.dimensions import UnknownDimension
    from warehouse.query import Filters, kpis

    from warehouse.metrics import KPIS

    by = [b.strip() for b in args.by.split(",") if b.strip()] if args.by else []
    keys = None                                   # the contract list (metrics.KPI_FIELDS)
    if args.kpis:
        keys = list(KPIS) if args.kpis.strip() == "all" else [k.strip() for k in args.kpis.split(",") if k.strip()]
        unknown = [k for k in keys if k not in KPIS]
        if unknown or not keys:
            raise CommandError(f"unknown KPI {', '.join(unknown) or repr(args.kpis)}: one of {', '.join(KPIS)}, or all")
    con, db = _open(args)
    scope = _scope(args, db)
    try:
        flt = Filters.make(_filter_values(args), args.date_from, args.date_to, args.basis)
        _warn_unknown_values(con, scope, _filter_values(args))
        frame = kpis(con, scope=scope, by=by, filters=flt, as_of=args.as_of, kpi_keys=keys)
    except (UnknownDimension, ValueError) as exc:
        raise CommandError(str(exc)) from None
    if not args.with_parts:
        frame = frame.drop([c for c in frame.columns if "__" in c])
    _emit(frame, args.format)
    return 0


def _refresh(args) -> int:
    from warehouse.refresh import refresh
    from warehouse.store import WriteSession
    db = _existing(args)
    with WriteSession(db) as ws:
        refresh(ws.con, db)
        ws.publish()
    print(f"refreshed models of {db} with the current taxonomy")
    return 0


def _backup(args) -> int:
    from warehouse.maintenance import backup
    db = _existing(args)
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
    db = _existing(args)
    ws = WriteSession(db)
    try:
        ws.open(migrating=True)
        before = schema.stored_version(ws.con)
        done = schema.migrate(ws.con)
        models = refresh(ws.con, db, if_stale=True)     # the models are rebuilt only when what they read changed
        ws.publish()
    finally:
        ws.__exit__(None, None, None)
    print(f"{db}: schema {before} -> {schema.SCHEMA_VERSION}" + (f" ({', '.join(done)})" if done else " (nothing to do)")
          + ("; models rebuilt" if models == "full" else ""))
    return 0


def _read_password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass
    first = getpass.getpass("Password (12+ characters): ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("error: the passwords differ")
    return first


def _users(args) -> int:
    from warehouse.access import AccessError, AccessStore
    store = AccessStore(resolve_db_path(args.db))
    if args.action != "list" and not args.username:
        print("error: name the user", file=sys.stderr)
        return 2
    if args.action == "add" and not args.role:
        print("error: --role is required", file=sys.stderr)
        return 2
    try:
        if args.action == "add":
            store.add_user(args.username, args.role, args.site or [], _read_password(args) if not args.oidc else None,
                           display_name=args.name, identity_subject=args.subject)
            sites = "all" if args.role in ("administrator", "mso_leader") else ", ".join(args.site or []) or "none"
            print(f"added {args.username} ({args.role}; sites: {sites})")
        elif args.action == "remove":
            store.remove_user(args.username)
            print(f"removed {args.username}")
        elif args.action == "reset-password":
            store.reset_password(args.username, _read_password(args))
            print(f"password reset for {args.username}; lock-out cleared")
        else:
            for u in store.list_users():
                state = "active" if u["active"] else "removed"
                if u["locked_until"]:
                    state += f", locked until {u['locked_until']}"
                print(f"{u['username']:<20} {u['role']:<14} {','.join(u['sites']) or '-':<30} {state}")
    except AccessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _queue(args) -> int:
    from warehouse.queue import work_queue
    from warehouse.query import latest_remit_date
    from warehouse.scope import ClaimLevelDenied
    con, db = _open(args)
    scope = _scope(args, db)
    try:
        frame = work_queue(con, scope=scope, as_of=args.as_of or latest_remit_date(con) or dt.date.today(),
                           teams=args.team, sites=args.site, payers=args.payer, statuses=args.status,
                           providers=args.provider, root_causes=args.root_cause, payer_classes=args.payer_class,
                           stages=args.stage)
    except ClaimLevelDenied as exc:
        raise CommandError(str(exc)) from None
    _emit(frame, args.format, rows=100)
    return 0


def _brief(args) -> int:
    """python -m warehouse brief --week 2026-W20 --out brief.html: the one-page weekly brief."""
    from warehouse.brief import build, file_name
    from warehouse.dimensions import UnknownDimension
    from warehouse.query import Filters
    costs = {"--rework-cost": args.rework_cost, "--rework-low": args.rework_low, "--rework-high": args.rework_high}
    bad = [f"{k} {v:g}" for k, v in costs.items() if not 0 <= v <= 10_000]
    if bad:
        print(f"error: a cost per reworked claim is between 0 and 10,000 dollars ({', '.join(bad)})", file=sys.stderr)
        return 2
    con, db = _open(args)
    scope = _scope(args, db)
    try:
        flt = Filters.make(_filter_values(args), basis=args.basis)
        text = "; ".join(f"{k}: {', '.join(v)}" for k, v in flt.values)
        html, review = build(con, scope=scope, week=args.week, filters=flt, rework_cost=args.rework_cost,
                             rework_low=args.rework_low, rework_high=args.rework_high, filter_text=text)
    except (UnknownDimension, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    if out.is_dir() or args.out.endswith(("/", "\\")):
        out = out / file_name(review.week, flt, scope)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    print(f"wrote the brief for week {review.week} to {out} ({len(html) // 1024:,} KiB)")
    return 0


def main(argv=None) -> int:
    from warehouse.compare import REWORK_COST_DEFAULT, REWORK_COST_HIGH, REWORK_COST_LOW
    from warehouse.queue import STATUSES as QUEUE_STATUSES
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
    k.add_argument("--kpis", help="comma-separated KPI keys (docs/metrics.md), or 'all' for every KPI of the registry "
                                  "(e.g. open_denied_dollars); default: the fifteen headline KPIs")
    k.add_argument("--user", help="compute within this user's access scope (default: all sites)")
    r = sub.add_parser("refresh", help="rebuild the models from the facts and the current taxonomy")
    r.add_argument("--db")
    b = sub.add_parser("backup", help="a consistent copy of the warehouse (safe while the dashboard runs)")
    b.add_argument("--db")
    b.add_argument("--to", required=True, help="folder for the backup")
    us = sub.add_parser("users", help="local accounts: add, remove, list, reset-password")
    us.add_argument("action", choices=("add", "remove", "list", "reset-password"))
    us.add_argument("username", nargs="?")
    us.add_argument("--db")
    us.add_argument("--role", choices=("administrator", "mso_leader", "site_manager", "analyst", "viewer"))
    us.add_argument("--site", action="append", help="a site the user may see (repeatable)")
    us.add_argument("--name", help="display name")
    us.add_argument("--oidc", action="store_true", help="signs in through the identity provider only (no password)")
    us.add_argument("--subject", help="the identity provider's subject (sub) for this user")
    us.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    qu = sub.add_parser("queue", help="the denial work queue: open denials ranked by expected recovery per day left")
    qu.add_argument("--db")
    qu.add_argument("--team", action="append", help="owner team (repeatable): front_desk, authorization, coding, "
                                                     "billing, clinical_documentation")
    qu.add_argument("--site", action="append")
    qu.add_argument("--payer", action="append")
    qu.add_argument("--status", action="append", help=", ".join(QUEUE_STATUSES))
    qu.add_argument("--provider", action="append", help="rendering provider NPI (repeatable)")
    qu.add_argument("--root-cause", dest="root_cause", action="append", help="root cause (taxonomy category)")
    qu.add_argument("--payer-class", dest="payer_class", action="append")
    qu.add_argument("--stage", action="append", help="front_end, back_end, clinical, payer")
    qu.add_argument("--as-of", dest="as_of", type=dt.date.fromisoformat, help="today for deadlines (default: latest remit)")
    qu.add_argument("--user", help="within this user's access scope")
    qu.add_argument("--format", choices=("json", "csv", "table"), default="table")
    mg = sub.add_parser("migrate", help="upgrade a warehouse written by an earlier release, in place of a rebuild")
    mg.add_argument("--db")
    rs = sub.add_parser("restore", help="replace the warehouse with a backup made by `backup`")
    rs.add_argument("--db")
    rs.add_argument("backup", help="the .duckdb file written by `backup`")
    bf = sub.add_parser("brief", help="the one-page weekly brief as a self-contained HTML file")
    bf.add_argument("--db")
    bf.add_argument("--week", help="ISO week, e.g. 2026-W20 (default: the last complete week)")
    bf.add_argument("--out", required=True, help="HTML file to write; an existing folder (or a path ending in /): "
                                                 "the file in it named by week and scope, as the page's download")
    bf.add_argument("--filter", action="append", metavar="DIM=V1,V2", help="keep only these values (repeatable)")
    bf.add_argument("--basis", choices=("adjudication", "service"), default="adjudication")
    bf.add_argument("--rework-cost", dest="rework_cost", type=float, default=REWORK_COST_DEFAULT,
                    help="cost per reworked claim for the point estimate (default $25)")
    bf.add_argument("--rework-low", dest="rework_low", type=float, default=REWORK_COST_LOW,
                    help="low end of the cost per reworked claim for the range (default $25)")
    bf.add_argument("--rework-high", dest="rework_high", type=float, default=REWORK_COST_HIGH,
                    help="high end of the cost per reworked claim for the range (default $118); a point "
                         "outside Low – High widens the range to it, as on the page")
    bf.add_argument("--user", help="within this user's access scope")
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    command = {"kpi": _kpi, "refresh": _refresh, "backup": _backup, "restore": _restore,
               "migrate": _migrate, "users": _users, "queue": _queue, "brief": _brief}[args.command]
    try:
        return command(args)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
