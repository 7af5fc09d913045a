"""Who may see what: users, roles, site assignments, sign-in with lock-out, sessions that expire,
and an append-only audit log.

Where it lives: the published warehouse file is immutable (every load replaces it whole, see
docs/architecture.md), so state that changes while the dashboard runs — failed sign-in counters,
the audit log — cannot live inside it. It lives in a companion SQLite file beside it,
`<db>.access.sqlite` (WAL mode, safe for the dashboard and the command line at once). The audit
table refuses UPDATE and DELETE (triggers) and chains every record to the previous one by hash,
so a change made behind the app's back is detectable (`verify_audit`).

Roles (docs/access.md):
  administrator  all sites; claim level; manages users and loads; reads the audit log
  mso_leader     all sites; claim level
  site_manager   assigned sites; claim level
  analyst        assigned sites; claim level
  viewer         assigned sites; totals only: no claim list, no claim detail, no claim-level export
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from warehouse.scope import Scope

ROLES = {
    # role: (all sites?, claim-level detail?, administers?)
    "administrator": (True, True, True),
    "mso_leader": (True, True, False),
    "site_manager": (False, True, False),
    "analyst": (False, True, False),
    "viewer": (False, False, False),
}
MAX_FAILURES = 5            # consecutive failed sign-ins before lock-out
LOCKOUT = dt.timedelta(minutes=15)
SESSION_TTL = dt.timedelta(hours=8)
_HASHER = PasswordHasher()  # argon2id, the library's recommended memory-hard parameters

_SCHEMA = """
CREATE TABLE IF NOT EXISTS user_account (
    username TEXT PRIMARY KEY, display_name TEXT, role TEXT NOT NULL, password_hash TEXT,
    identity_subject TEXT UNIQUE, failures INTEGER NOT NULL DEFAULT 0, locked_until TEXT,
    created_at TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS user_site (username TEXT NOT NULL, site_id TEXT NOT NULL,
    PRIMARY KEY (username, site_id));
CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT, event TEXT NOT NULL,
    scope TEXT, detail TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


class AccessError(Exception):
    """A sign-in or permission refusal, with a message fit to show the user."""


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: str
    sites: frozenset[str]

    @property
    def scope(self) -> Scope:
        all_sites, claim_level, _ = ROLES[self.role]
        if all_sites:
            return Scope(None, "all sites", claim_level=claim_level)
        return Scope(frozenset(self.sites), ", ".join(sorted(self.sites)) or "no sites", claim_level=claim_level)

    @property
    def is_admin(self) -> bool:
        return ROLES[self.role][2]


def store_path(db_path: Path) -> Path:
    return Path(str(db_path) + ".access.sqlite")


class AccessStore:
    def __init__(self, db_path: Path):
        self.path = store_path(Path(db_path))
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def _con(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.executescript(_SCHEMA)
        return con

    # ---------------------------------------------------------------- users
    def add_user(self, username: str, role: str, sites=(), password: str | None = None,
                 display_name: str | None = None, identity_subject: str | None = None, actor: str = "cli") -> None:
        if role not in ROLES:
            raise AccessError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
        if password is not None and len(password) < 12:
            raise AccessError("a password needs at least 12 characters")
        con = self._con()
        try:
            con.execute("BEGIN IMMEDIATE")
            if con.execute("SELECT 1 FROM user_account WHERE username = ?", [username]).fetchone():
                raise AccessError(f"user {username!r} already exists")
            con.execute("INSERT INTO user_account (username, display_name, role, password_hash, identity_subject, "
                        "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                        [username, display_name or username, role,
                         _HASHER.hash(password) if password else None, identity_subject, _now()])
            con.executemany("INSERT INTO user_site VALUES (?, ?)", [(username, s) for s in sorted(set(sites))])
            self._audit(con, actor, "user_added", None, {"username": username, "role": role, "sites": sorted(set(sites))})
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    def remove_user(self, username: str, actor: str = "cli") -> None:
        con = self._con()
        try:
            con.execute("BEGIN IMMEDIATE")
            if not con.execute("SELECT 1 FROM user_account WHERE username = ? AND active = 1", [username]).fetchone():
                raise AccessError(f"no active user {username!r}")
            con.execute("UPDATE user_account SET active = 0, password_hash = NULL WHERE username = ?", [username])
            con.execute("DELETE FROM user_site WHERE username = ?", [username])
            self._audit(con, actor, "user_removed", None, {"username": username})
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    def reset_password(self, username: str, password: str, actor: str = "cli") -> None:
        if len(password) < 12:
            raise AccessError("a password needs at least 12 characters")
        con = self._con()
        try:
            cur = con.execute("UPDATE user_account SET password_hash = ?, failures = 0, locked_until = NULL "
                              "WHERE username = ? AND active = 1", [_HASHER.hash(password), username])
            if cur.rowcount == 0:
                raise AccessError(f"no active user {username!r}")
            self._audit(con, actor, "password_reset", None, {"username": username})
        finally:
            con.close()

    def list_users(self) -> list[dict]:
        con = self._con()
        try:
            rows = con.execute("SELECT u.username, u.display_name, u.role, u.active, u.locked_until, "
                               "group_concat(s.site_id, ',') FROM user_account u "
                               "LEFT JOIN user_site s USING (username) GROUP BY u.username ORDER BY u.username").fetchall()
        finally:
            con.close()
        return [{"username": r[0], "display_name": r[1], "role": r[2], "active": bool(r[3]),
                 "locked_until": r[4], "sites": sorted((r[5] or "").split(",")) if r[5] else []} for r in rows]

    def _load(self, con, username: str) -> User | None:
        row = con.execute("SELECT username, display_name, role FROM user_account WHERE username = ? AND active = 1",
                          [username]).fetchone()
        if row is None:
            return None
        sites = frozenset(r[0] for r in con.execute("SELECT site_id FROM user_site WHERE username = ?", [username]))
        return User(row[0], row[1], row[2], sites)

    def user(self, username: str) -> User | None:
        con = self._con()
        try:
            return self._load(con, username)
        finally:
            con.close()

    # ---------------------------------------------------------------- sign-in
    def sign_in(self, username: str, password: str, now: dt.datetime | None = None) -> User:
        """The user, or AccessError with a message for the screen. Locks after repeated failures."""
        now = now or _utcnow()
        con = self._con()
        try:
            con.execute("BEGIN IMMEDIATE")
            row = con.execute("SELECT password_hash, failures, locked_until, active FROM user_account WHERE username = ?",
                              [username]).fetchone()
            if row is None or not row[3] or row[0] is None:
                self._audit(con, username, "sign_in_failed", None, {"reason": "unknown or removed user"})
                con.execute("COMMIT")
                raise AccessError("Wrong user name or password.")
            pw_hash, failures, locked_until, _ = row
            if locked_until and dt.datetime.fromisoformat(locked_until) > now:
                self._audit(con, username, "sign_in_failed", None, {"reason": "locked"})
                con.execute("COMMIT")
                raise AccessError(f"This account is locked after {MAX_FAILURES} failed sign-ins until "
                                  f"{dt.datetime.fromisoformat(locked_until):%H:%M} UTC. Ask an administrator to reset it.")
            try:
                _HASHER.verify(pw_hash, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                failures += 1
                lock = (now + LOCKOUT).isoformat() if failures >= MAX_FAILURES else None
                con.execute("UPDATE user_account SET failures = ?, locked_until = ? WHERE username = ?",
                            [0 if lock else failures, lock, username])
                self._audit(con, username, "sign_in_failed", None, {"reason": "wrong password", "locked": bool(lock)})
                con.execute("COMMIT")
                raise AccessError("Wrong user name or password." + (
                    f" The account is now locked for {int(LOCKOUT.total_seconds() // 60)} minutes." if lock else ""))
            con.execute("UPDATE user_account SET failures = 0, locked_until = NULL WHERE username = ?", [username])
            user = self._load(con, username)
            self._audit(con, username, "sign_in", user.scope.label, {"method": "password", "role": user.role})
            con.execute("COMMIT")
            return user
        except AccessError:
            raise
        except Exception:
            con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    def sign_in_identity(self, subject: str, email: str | None, groups: list[str] | None,
                         group_roles: dict[str, str] | None = None) -> User:
        """A user signed in through the identity provider: matched on the token's subject (or email,
        as the user name), with the role from a provider group when a group mapping is configured."""
        con = self._con()
        try:
            row = con.execute("SELECT username FROM user_account WHERE active = 1 AND (identity_subject = ? OR username = ?)",
                              [subject, email or subject]).fetchone()
            if row is None:
                self._audit(con, email or subject, "sign_in_failed", None, {"reason": "no account for this identity"})
                raise AccessError("You signed in, but no account here is linked to your identity. "
                                  "Ask an administrator to add you.")
            user = self._load(con, row[0])
            for g in groups or []:
                if group_roles and g in group_roles and group_roles[g] in ROLES:
                    user = User(user.username, user.display_name, group_roles[g], user.sites)
                    break
            self._audit(con, user.username, "sign_in", user.scope.label, {"method": "oidc", "role": user.role})
            return user
        finally:
            con.close()

    # ---------------------------------------------------------------- audit
    def audit(self, actor: str, event: str, scope: str | None, detail: dict) -> None:
        con = self._con()
        try:
            con.execute("BEGIN IMMEDIATE")
            self._audit(con, actor, event, scope, detail)
            con.execute("COMMIT")
        finally:
            con.close()

    def _audit(self, con, actor, event, scope, detail) -> None:
        prev = con.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        prev_hash = prev[0] if prev else "genesis"
        at = _now()
        body = json.dumps(detail, sort_keys=True, default=str)
        h = hashlib.sha256("|".join([prev_hash, at, actor or "", event, scope or "", body]).encode()).hexdigest()
        con.execute("INSERT INTO audit_log (at, actor, event, scope, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [at, actor, event, scope, body, prev_hash, h])

    def read_audit(self, viewer: User, limit: int = 1000, event: str | None = None) -> list[dict]:
        if not viewer.is_admin:
            raise AccessError("Only administrators can read the audit log.")
        con = self._con()
        try:
            sql = "SELECT seq, at, actor, event, scope, detail FROM audit_log"
            params: list = []
            if event:
                sql += " WHERE event = ?"
                params.append(event)
            rows = con.execute(sql + " ORDER BY seq DESC LIMIT ?", params + [limit]).fetchall()
        finally:
            con.close()
        return [{"seq": r[0], "at": r[1], "actor": r[2], "event": r[3], "scope": r[4], "detail": json.loads(r[5])}
                for r in rows]

    def verify_audit(self) -> list[int]:
        """Sequence numbers whose hash chain is broken (empty: intact)."""
        con = self._con()
        try:
            rows = con.execute("SELECT seq, at, actor, event, scope, detail, prev_hash, hash FROM audit_log ORDER BY seq").fetchall()
        finally:
            con.close()
        broken, prev = [], "genesis"
        for seq, at, actor, event, scope, detail, prev_hash, h in rows:
            want = hashlib.sha256("|".join([prev, at, actor or "", event, scope or "", detail]).encode()).hexdigest()
            if prev_hash != prev or h != want:
                broken.append(seq)
            prev = h
        return broken


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _now() -> str:
    return _utcnow().isoformat(timespec="seconds")


def session_expired(signed_in_at: dt.datetime, now: dt.datetime | None = None) -> bool:
    return (now or _utcnow()) - signed_in_at > SESSION_TTL


# ================================================================== issue 7: what the app needs to decide who is looking
DEMO_USER = User("demo", "demo administrator", "administrator", frozenset())


def has_users(db_path: Path) -> bool:
    """Whether any account was ever created for this warehouse (active or removed). Does not create
    the access store when there is none."""
    path = store_path(Path(db_path))
    if not path.exists():
        return False
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        if not con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'user_account'").fetchone():
            return False
        return con.execute("SELECT count(*) FROM user_account").fetchone()[0] > 0
    finally:
        con.close()


def only_demo_loads(con) -> bool:
    """True when every load run of the warehouse was the demo generator's (`python -m etl demo`,
    load_run.command = 'demo'), or there was no load at all: nothing real to protect."""
    from warehouse.schema import scalar
    return not scalar(con, "SELECT count(*) FROM load_run WHERE command IS DISTINCT FROM 'demo'")
