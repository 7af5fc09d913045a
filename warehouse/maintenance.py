"""Backup and restore of the warehouse file.

A published warehouse file is never modified in place (docs/architecture.md): a backup opens it and
copies from that open file, so even a load that commits during the copy cannot tear it (the copy
keeps reading the state it opened). Restore goes through the writer lock and an atomic rename,
like a load, so the dashboard switches from one complete state to the other."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path

import duckdb

from warehouse.store import WriteSession


def _sha256_fd(f) -> str:
    h = hashlib.sha256()
    f.seek(0)
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
    return h.hexdigest()


def backup(db_path: Path, to_dir: Path) -> Path:
    """Copy the published state (and its pseudonymisation key) into `to_dir`; returns the copy."""
    to_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    target = to_dir / f"{db_path.stem}-{stamp}.duckdb"
    with open(db_path, "rb") as src:          # this inode stays what we copy, whatever commits meanwhile
        with open(str(target) + ".part", "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
            dst.flush()
            os.fsync(dst.fileno())
        digest = _sha256_fd(src)
    os.replace(str(target) + ".part", target)
    key = Path(str(db_path) + ".key")
    if key.exists():
        shutil.copy2(key, str(target) + ".key")
    con = duckdb.connect(str(target), read_only=True)
    try:
        meta = dict(con.sql("SELECT key, value FROM meta").fetchall())
        loads = con.sql("SELECT count(*) FROM load_run").fetchall()[0][0]
    finally:
        con.close()
    manifest = {"source": str(db_path), "taken_at": stamp, "sha256": digest, "loads": loads,
                "schema_version": meta.get("schema_version"), "taxonomy_version": meta.get("taxonomy_version"),
                "with_key": key.exists()}
    Path(str(target) + ".json").write_text(json.dumps(manifest, indent=1))
    return target


class RestoreError(RuntimeError):
    pass


def restore(db_path: Path, backup_file: Path) -> dict:
    """Replace the warehouse with a backup after checking it against its manifest."""
    manifest_path = Path(str(backup_file) + ".json")
    if not backup_file.exists():
        raise RestoreError(f"no backup at {backup_file}")
    if not manifest_path.exists():
        raise RestoreError(f"{manifest_path} is missing: cannot verify the backup")
    manifest = json.loads(manifest_path.read_text())
    with open(backup_file, "rb") as f:
        if _sha256_fd(f) != manifest["sha256"]:
            raise RestoreError(f"{backup_file} does not match its manifest checksum: refusing to restore")
    with WriteSession(db_path) as ws:             # the writer lock, a private copy, an atomic rename
        ws.con.close()
        ws.con = None
        shutil.copyfile(backup_file, ws.work_path)
        con = duckdb.connect(str(ws.work_path))
        from warehouse import schema
        schema.ensure(con)                        # refuses a backup from a newer release
        ws.con = con
        key = Path(str(backup_file) + ".key")
        if key.exists():
            shutil.copy2(key, str(db_path) + ".key")
        ws.publish()
    return manifest
