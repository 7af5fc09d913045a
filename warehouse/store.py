"""Where the warehouse file lives, how readers open it, and how a writer publishes a new state.

Design (docs/architecture.md): the warehouse path always holds the last *complete* state. A writer
never opens that file. It copies it to a private `<db>.loading-<pid>` file, writes there, then
checkpoints, closes, fsyncs and atomically renames the copy over the published path. Readers attach
the published file read-only into a fresh in-memory DuckDB instance and keep that snapshot until
they notice the file changed (`Snapshot.version`). So:
  - a load never meets a lock held by the dashboard (they never open the same file read-write);
  - the dashboard never sees half a load (the rename is the commit point);
  - a killed or failed load leaves the published file untouched (the private copy is discarded);
  - two writers are serialised by an advisory lock on `<db>.lock`.

Copying the file costs seconds per GB, more than a morning's day of remits takes to merge and
refresh at MSO scale. So a small load (WriteSession(in_place=True)) writes the published file
itself, in one DuckDB transaction: it raises the `<db>.committing` marker, every reader in every
process drops its snapshot and waits (Snapshot's watcher), the writer opens the file read-write
once the readers' locks are gone, and the marker falls when the transaction is committed or rolled
back. Readers wait for the few seconds of that load instead of reading a copy; a crash leaves the
last committed state (DuckDB's write-ahead log); if the readers do not let go within
DENIALS_HANDOFF_S seconds (default 5), or a Snapshot of this very process is open (file locks do
not separate threads of one process), the writer copies as before.
"""
from __future__ import annotations

import contextlib
import ctypes
import fcntl
import mmap
import os
import shutil
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import duckdb

DEFAULT_DB = Path("data") / "warehouse.duckdb"
ENV_DB = "DENIALS_DB"


def resolve_db_path(cli_value: str | os.PathLike | None = None) -> Path:
    """`--db PATH` on the command line, else env DENIALS_DB, else data/warehouse.duckdb."""
    if cli_value:
        return Path(cli_value)
    if os.environ.get(ENV_DB):
        return Path(os.environ[ENV_DB])
    return DEFAULT_DB


@dataclass(frozen=True)
class Version:
    """Identity of one published state of the warehouse file (changes at every commit)."""
    inode: int
    mtime_ns: int
    size: int


def published_version(db_path: Path) -> Version | None:
    try:
        st = os.stat(db_path)
    except FileNotFoundError:
        return None
    return Version(st.st_ino, st.st_mtime_ns, st.st_size)


def advise_random_reads(path: Path) -> int:
    """Tell the kernel that this process reads `path` at random: POSIX_FADV_RANDOM on every
    descriptor of this process open on it (DuckDB's own, found in /proc/self/fd). For an in-place
    load: its incremental refresh reads a few 256 KB blocks of each column here and there, and
    Linux's readahead (up to read_ahead_kb, 8 MB on the bench machine) otherwise reads the whole
    table around them from disk: 5.4 GB instead of 3.5 GB for a 10M day of remits with the file
    not cached (docs/performance.md). Advice only: no effect on what is read. Returns how many
    descriptors were advised (0 where the platform has no posix_fadvise or /proc)."""
    if not hasattr(os, "posix_fadvise") or not os.path.isdir("/proc/self/fd"):
        return 0
    target, advised = os.path.realpath(path), 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.path.realpath(f"/proc/self/fd/{fd}") == target:
                os.posix_fadvise(int(fd), 0, 0, os.POSIX_FADV_RANDOM)
                advised += 1
        except (OSError, ValueError):             # closed meanwhile, or not a file
            continue
    return advised


def cached_share(path: Path) -> float | None:
    """The share of `path`'s pages that are in the OS page cache, asked with mincore(2) on a
    mapping of the file that is never read (so asking loads nothing); None where the platform
    cannot tell. A write session uses it to decide how many reads to keep in flight
    (incremental.scattered_reads)."""
    try:
        size = os.path.getsize(path)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
        libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    except (OSError, AttributeError):
        return None
    if size == 0:
        return 1.0
    pages = -(-size // mmap.PAGESIZE)
    with open(path, "rb") as fh:
        addr = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fh.fileno(), 0)
    if addr in (None, ctypes.c_void_p(-1).value):
        return None
    try:
        vec = (ctypes.c_ubyte * pages)()
        if libc.mincore(addr, size, vec) != 0:
            return None
        return (pages - bytes(vec).count(0)) / pages
    finally:
        libc.munmap(addr, size)


CACHED_ENOUGH = 0.8     # above this share of the file in the OS cache, reads need no extra threads
IO_THREADS_VARIABLE = "denials_io_threads"   # set to 0 by such a session: incremental.scattered_reads reads it


def marker_path(db_path: Path) -> Path:
    return Path(db_path).with_name(Path(db_path).name + ".committing")


def committing(db_path: Path) -> bool:
    """A writer is writing the published file in place: its marker is up and it holds the writer
    lock (a marker left by a killed writer, whose lock died with it, does not count)."""
    marker = marker_path(db_path)
    if not marker.exists():
        return False
    try:
        fd = os.open(Path(db_path).with_name(Path(db_path).name + ".lock"), os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


HANDOFF_WAIT_S = 600.0          # how long a reader waits for an in-place commit before giving up
_live_snapshots: "weakref.WeakSet[Snapshot]" = weakref.WeakSet()


_watcher: threading.Thread | None = None
_stop = threading.Event()


def _watch() -> None:
    """Every open Snapshot of this process lets go of its file as soon as a writer raises the
    marker, even when no page is running (an idle dashboard must not keep a commit waiting)."""
    while not _stop.wait(0.05):
        for snap in list(_live_snapshots):
            if snap._con is not None and committing(snap.db_path):
                snap._con = None     # dropped, not closed: a query running on a cursor finishes first


def _start_watcher() -> None:
    global _watcher
    if _watcher is None:
        import atexit
        _watcher = threading.Thread(target=_watch, daemon=True, name="snapshot-watch")
        _watcher.start()
        atexit.register(lambda: (_stop.set(), _watcher.join(1)))


class WarehouseMissing(FileNotFoundError):
    pass


def open_snapshot(db_path: Path) -> tuple[duckdb.DuckDBPyConnection, Version]:
    """A read-only connection to the published state as it is now, and that state's version.

    The file is attached into a new in-memory instance: DuckDB caches database instances by path
    inside a process, so a plain connect() would keep handing out the pre-load state."""
    version = published_version(db_path)
    if version is None:
        raise WarehouseMissing(f"no warehouse at {db_path}: build one with `python -m etl demo` "
                               f"or load files with `python -m etl load`")
    con = duckdb.connect(":memory:")
    con.execute("ATTACH ? AS wh (READ_ONLY)", [str(db_path)])
    con.execute("USE wh")
    from warehouse import schema
    schema.check(con)        # a warehouse of another release is refused with what to do
    _check_models(con, db_path)
    return con, version


def _check_models(con: duckdb.DuckDBPyConnection, db_path: Path) -> None:
    """A warehouse whose models an earlier release built (a model table this release added is missing,
    or the models were built from other model SQL: a column this release reads may be missing, and a page
    failed with DuckDB's binder error) is refused with the command that builds them; one with no models
    yet (never refreshed) is not."""
    from warehouse import refresh, schema
    present = {r[0] for r in con.sql(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = current_database()").fetchall()}
    expected = {m.table for m in refresh.models()}
    missing = sorted(expected - present)
    if not expected & present:
        return
    built = con.sql("SELECT max(value) FROM meta WHERE key = 'model_sql'").fetchall()[0][0]
    if missing or built != refresh.models_digest():
        what = f"{', '.join(missing)} missing" if missing else "from other model SQL"
        raise schema.ModelsTooOld(
            f"this warehouse's models were built by an earlier release ({what}): run "
            f"`python -m warehouse refresh --db {db_path}` (about 7 minutes at 10 million claims)")


class Snapshot:
    """A reader that follows the published file: `connection()` reopens after a commit."""

    def __init__(self, db_path: Path):
        self.db_path = Path(db_path)
        self._con: duckdb.DuckDBPyConnection | None = None
        self.version: Version | None = None
        _live_snapshots.add(self)

    def connection(self) -> duckdb.DuckDBPyConnection:
        if committing(self.db_path):
            self._con = None
            deadline = time.monotonic() + HANDOFF_WAIT_S
            while committing(self.db_path):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"a load has been committing to {self.db_path} for "
                                       f"{HANDOFF_WAIT_S:.0f}s")
                time.sleep(0.05)
        current = published_version(self.db_path)
        if self._con is None or current != self.version:
            # the previous state's connection is dropped, not closed: a query still running on a
            # cursor of it in another thread finishes on the old state; the file is freed when the
            # last cursor goes
            self._con, self.version = open_snapshot(self.db_path)
            _start_watcher()
        return self._con

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own for one thread (DuckDB connections are not shared across
        threads), on the current published state."""
        cur = self.connection().cursor()
        cur.execute("USE wh")
        return cur

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


class WriteSession:
    """Copy-on-write writer. Use as a context manager; call `publish()` to commit.

    Leaving the block without publish() (an exception, a return) discards every change."""

    def __init__(self, db_path: Path, lock_timeout_s: float = 600.0, in_place: bool = False):
        self.db_path = Path(db_path)
        self.lock_timeout_s = lock_timeout_s
        self.in_place = in_place
        self.work_path = self.db_path.with_name(f"{self.db_path.name}.loading-{os.getpid()}")
        self.con: duckdb.DuckDBPyConnection | None = None
        self._lock_fd: int | None = None
        self.published = False

    def __enter__(self) -> "WriteSession":
        return self.open(migrating=False)

    def open(self, migrating: bool) -> "WriteSession":
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self._acquire_lock()
        self._remove_stale_work_files()
        if self.in_place:
            self.in_place = self._open_in_place()
        if not self.in_place:
            if self.db_path.exists():
                shutil.copyfile(self.db_path, self.work_path)
            self.con = duckdb.connect(str(self.work_path))
        # bounded memory: DuckDB spills staging and model builds to disk beyond this
        self.con.execute("SET memory_limit = ?", [os.environ.get("DENIALS_MEMORY_LIMIT", "3GB")])
        # a file mostly in the OS cache is read at the cores' pace: the refresh's scattered reads
        # then keep one thread per core (incremental.scattered_reads); otherwise they keep more in flight
        share = cached_share(self.db_path if self.in_place else self.work_path)
        if share is not None and share >= CACHED_ENOUGH:
            self.con.execute(f"SET VARIABLE {IO_THREADS_VARIABLE} = 0")
        self.con.execute("SET temp_directory = ?", [str(self.db_path.parent / ".duckdb-tmp")])
        if self.in_place:
            self.con.execute("BEGIN TRANSACTION")
        if not migrating:
            from warehouse import schema
            schema.ensure(self.con)
        return self

    def _open_in_place(self) -> bool:
        """Raise the marker and open the published file read-write once readers let go."""
        if not self.db_path.exists() or any(s._con is not None and s.db_path.resolve() == self.db_path.resolve()
                                            for s in list(_live_snapshots)):
            return False
        marker = marker_path(self.db_path)
        marker.write_text(str(os.getpid()))
        deadline = time.monotonic() + float(os.environ.get("DENIALS_HANDOFF_S", "5"))
        while True:
            try:
                self.con = duckdb.connect(str(self.db_path))
                advise_random_reads(self.db_path)
                return True
            except duckdb.IOException:           # another process still holds it: wait a little
                if time.monotonic() > deadline:
                    marker.unlink(missing_ok=True)
                    return False
                time.sleep(0.05)
            except duckdb.Error:                 # attached elsewhere in this process: copy instead
                marker.unlink(missing_ok=True)
                return False

    def publish(self) -> None:
        assert self.con is not None
        if self.in_place:
            from warehouse import faults
            faults.point("commit")
            self.con.execute("COMMIT")
            self.con.execute("CHECKPOINT")
            self.con.close()
            self.con = None
            self.published = True
            marker_path(self.db_path).unlink(missing_ok=True)
            return
        self.con.execute("CHECKPOINT")
        self.con.close()
        self.con = None
        fd = os.open(self.work_path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        from warehouse import faults
        faults.point("commit")
        os.replace(self.work_path, self.db_path)
        dir_fd = os.open(self.db_path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self.published = True

    def __exit__(self, *exc) -> None:
        try:
            if self.con is not None:
                if self.in_place:
                    with contextlib.suppress(Exception):
                        self.con.execute("ROLLBACK")
                with contextlib.suppress(Exception):
                    self.con.close()
                self.con = None
            if self.in_place:
                marker_path(self.db_path).unlink(missing_ok=True)
            if not self.published and not self.in_place:
                for p in (self.work_path, Path(str(self.work_path) + ".wal")):
                    with contextlib.suppress(FileNotFoundError):
                        p.unlink()
        finally:
            self._release_lock()

    def _acquire_lock(self) -> None:
        lock_path = self.db_path.with_name(self.db_path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.lock_timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise TimeoutError(f"another load is writing {self.db_path}; gave up after "
                                       f"{self.lock_timeout_s:.0f}s") from None
                time.sleep(0.2)
        self._lock_fd = fd

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def _remove_stale_work_files(self) -> None:
        """Work files of loads that died (killed, power loss): we hold the lock, so none is live."""
        for p in self.db_path.parent.glob(self.db_path.name + ".loading-*"):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
