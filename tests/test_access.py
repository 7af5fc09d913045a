"""Local accounts: argon2 hashes, lock-out, removal, scopes per role, the append-only audit log,
and the kpi command within a user's scope."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys

import pytest

from conftest import ROOT, run_cli
from warehouse.access import LOCKOUT, MAX_FAILURES, AccessError, AccessStore, session_expired, store_path

PW = "correct horse battery"


@pytest.fixture()
def store(tmp_path):
    s = AccessStore(tmp_path / "w.duckdb")
    s.add_user("ada", "administrator", password=PW)
    s.add_user("sam", "site_manager", ["S2"], password=PW)
    s.add_user("vic", "viewer", ["S1"], password=PW)
    return s


def test_passwords_are_argon2_hashes(store):
    con = sqlite3.connect(store.path)
    h = con.execute("SELECT password_hash FROM user_account WHERE username = 'sam'").fetchone()[0]
    assert h.startswith("$argon2id$") and PW not in h


def test_scopes_per_role(store):
    assert store.user("ada").scope.site_ids is None
    sam = store.user("sam").scope
    assert sam.site_ids == frozenset({"S2"}) and sam.claim_level
    vic = store.user("vic").scope
    assert vic.site_ids == frozenset({"S1"}) and not vic.claim_level
    with pytest.raises(PermissionError):
        vic.require_claim_level()


def test_wrong_password_then_lockout(store):
    now = dt.datetime(2026, 5, 1, 9, 0)
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(AccessError, match="Wrong user name or password"):
            store.sign_in("sam", "nope", now)
    with pytest.raises(AccessError, match="now locked"):
        store.sign_in("sam", "nope", now)
    with pytest.raises(AccessError, match="locked"):
        store.sign_in("sam", PW, now + dt.timedelta(minutes=1))      # even the right password
    assert store.sign_in("sam", PW, now + LOCKOUT + dt.timedelta(seconds=1)).username == "sam"


def test_removed_user_cannot_sign_in(store):
    store.remove_user("sam")
    with pytest.raises(AccessError, match="Wrong user name or password"):
        store.sign_in("sam", PW)
    assert store.user("sam") is None


def test_sessions_expire():
    t0 = dt.datetime(2026, 5, 1, 9, 0)
    assert not session_expired(t0, t0 + dt.timedelta(hours=7))
    assert session_expired(t0, t0 + dt.timedelta(hours=9))


def test_audit_log_is_append_only_and_chained(store):
    store.sign_in("ada", PW)
    store.audit("ada", "claim_viewed", "all sites", {"claim_id": "C1"})
    ada = store.user("ada")
    events = [r["event"] for r in store.read_audit(ada)]
    assert events[:2] == ["claim_viewed", "sign_in"] and "user_added" in events
    with pytest.raises(AccessError):
        store.read_audit(store.user("sam"))
    con = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM audit_log")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE audit_log SET actor = 'mallory'")
    assert store.verify_audit() == []
    # a change made around the triggers breaks the chain, and shows
    con.execute("DROP TRIGGER audit_no_update")
    con.execute("UPDATE audit_log SET actor = 'mallory' WHERE event = 'claim_viewed'")
    con.commit()
    assert store.verify_audit() != []


def test_users_command_and_kpi_within_a_users_scope(core_db, tmp_path):
    db = tmp_path / "w.duckdb"
    db.write_bytes(core_db.read_bytes())
    p = subprocess.run([sys.executable, "-m", "warehouse", "users", "add", "sam", "--db", str(db), "--role",
                        "site_manager", "--site", "S2", "--password-stdin"], input=PW + "\n", text=True,
                       capture_output=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    listed = run_cli("warehouse", "users", "list", "--db", str(db)).stdout
    assert "sam" in listed and "site_manager" in listed and "S2" in listed
    scoped = json.loads(run_cli("warehouse", "kpi", "--db", str(db), "--user", "sam", "--by", "site",
                                "--format", "json").stdout)
    assert [r["site"] for r in scoped] == ["S2"]
    total = json.loads(run_cli("warehouse", "kpi", "--db", str(db), "--user", "sam", "--format", "json").stdout)[0]
    assert total["claims_adjudicated"] == scoped[0]["claims_adjudicated"] == 4    # computed within the scope
    short = subprocess.run([sys.executable, "-m", "warehouse", "users", "add", "bob", "--db", str(db), "--role",
                            "viewer", "--password-stdin"], input="short\n", text=True, capture_output=True, cwd=ROOT)
    assert short.returncode == 2 and "12 characters" in short.stderr
    assert store_path(db).exists()
