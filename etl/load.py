"""The loader: files in, validated rows staged, merged, models refreshed, one atomic publish.

Every input row ends as loaded, duplicate or quarantined (with file, row, field, value, reason);
the counts add up per file or the load fails. A load that fails at any point leaves the published
warehouse exactly as it was (warehouse.store.WriteSession)."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
import time
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import polars as pl

from etl.contract import apply_defaults
from etl.pseudonym import load_secret, pseudonymise
from etl.readers import expand, read_file
from etl.validate import BATCH_SHIFT, QUARANTINE_SCHEMA, validate
from warehouse import faults, ingest, ledger
from warehouse.refresh import FullRefreshNeeded, refresh
from warehouse.store import WriteSession


class LoadArgumentError(ValueError):
    """Unusable arguments (exit status 2)."""


class AccountingError(RuntimeError):
    """Rows read did not equal loaded + duplicates + quarantined: the load is refused."""


@dataclass
class FileResult:
    path: str
    sha256: str | None          # None: the file could not be read
    kinds: set[str] = field(default_factory=set)
    units: int = 0
    rows_read: int = 0
    loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    whole_file_duplicate: bool = False
    message: str | None = None


@dataclass
class LoadSummary:
    load_id: int
    files: list[FileResult]
    per_kind: Counter
    transactions: int
    messages: list[str]
    # wall seconds of the load's phases, in order: "files" (read, validate, pseudonymise and stage
    # every file), "merge" (into the facts), "models" (refresh), "publish" (commit, checkpoint); the
    # write session's open is the rest (make bench prints them, docs/performance.md)
    phases: dict[str, float] = field(default_factory=dict)

    def total(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.files)

    @property
    def exit_status(self) -> int:
        return 3 if self.total("quarantined") else 0

    def report(self) -> str:
        k = self.per_kind
        lines = [
            f"load {self.load_id}: {len(self.files)} files, {self.transactions} transactions, "
            f"{k['claims']:,} claims, {k['remits']:,} remit claims, "
            f"{k['claim_lines'] + k['remit_lines']:,} lines, {k['remit_adjustments']:,} adjustments, "
            f"{self.total('duplicates'):,} duplicates skipped, {self.total('quarantined'):,} quarantined "
            f"(rows read {self.total('rows_read'):,} = loaded {self.total('loaded'):,} + duplicates "
            f"{self.total('duplicates'):,} + quarantined {self.total('quarantined'):,})"]
        for m in self.messages[:20]:
            lines.append(f"  quarantined: {m}")
        if len(self.messages) > 20:
            lines.append(f"  ... and {len(self.messages) - 20} more (see the data-quality view or the quarantine table)")
        return "\n".join(lines)


def _sha256(path: Path) -> str | OSError:
    """The file's hash, or why it cannot be read (a link to nothing, no permission, an I/O error)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError as exc:
        return exc
    return h.hexdigest()


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# Small files are read and validated by worker threads ahead of the one being staged (polars and
# hashlib release the GIL): a day of remits comes as many small files. They go in groups of
# consecutive files (at most GROUP_FILES files and READ_AHEAD_BYTES of input a group), every batch
# of a group validated together (below, CHECK_ROWS), and at most GROUPS_AHEAD groups beyond the one
# being staged are held; a bigger file is read in the loading thread, CHECK_ROWS rows at a time
# (frames held ahead add to the load's peak memory, which the 10M-claim first load must keep under 4 GB).
READ_AHEAD_BYTES = 8 << 20
GROUP_FILES = 64
GROUPS_AHEAD = 1
WORKERS = max(1, min(2, os.cpu_count() or 1))


def _good(kind: str, good: pl.DataFrame, frame: pl.DataFrame, key: bytes) -> pl.DataFrame:
    """Validated rows ready to stage: the reader's unmapped flag, the contract's defaults, claims pseudonymised."""
    if "unmapped" in frame.columns:
        good = good.join(frame.select("_row", (pl.col("unmapped").str.to_lowercase() == "true")
                                      .alias("unmapped")), on="_row", how="left")
    good = apply_defaults(kind, good)
    return pseudonymise(good, key) if kind == "claims" else good


def _checked_together(batches: list, paths: list[str], key: bytes) -> list[list[tuple]]:
    """Each batch's non-empty frames validated: per batch, (kind, rows read, good rows ready to stage,
    quarantine records), the rows the reader itself could not use first (no good rows: None).
    `paths[i]` is batch i's file. Each kind's frames of all the batches are validated as one frame,
    every row keyed by its batch (etl.validate.BATCH_SHIFT), and handed back per batch."""
    out: list[list[tuple]] = []
    for b in batches:
        out.append([])
        if b.rejected:
            bad = pl.DataFrame(b.rejected, schema=QUARANTINE_SCHEMA)
            out[-1].append((bad["kind"][0], bad.height, None, bad))
    kinds: dict[str, list[int]] = {}
    for i, b in enumerate(batches):
        for kind, frame in b.frames.items():
            if frame.height:
                kinds.setdefault(kind, []).append(i)
    checked: dict[tuple[int, str], tuple] = {}
    for kind, idx in kinds.items():
        if len(idx) == 1:        # one batch (a first load's big file): checked as it is, no copy to split
            i = idx[0]
            frame = batches[i].frames[kind]
            good, bad = validate(kind, frame, paths[i])
            checked[i, kind] = (_good(kind, good, frame, key), bad)
            continue
        frame = pl.concat([batches[i].frames[kind].with_columns(pl.col("_row") + (i << BATCH_SHIFT)) for i in idx],
                          how="diagonal_relaxed", rechunk=True)
        good, bad = validate(kind, frame, paths)
        good = _good(kind, good, frame, key)
        good_of = good.with_columns(_b=pl.col("_row") // (1 << BATCH_SHIFT), _row=pl.col("_row") % (1 << BATCH_SHIFT)) \
            .partition_by("_b", as_dict=True, include_key=False)
        bad_of = bad.with_columns(_b=pl.col("row_number") // (1 << BATCH_SHIFT),
                                  row_number=pl.col("row_number") % (1 << BATCH_SHIFT)) \
            .partition_by("_b", as_dict=True, include_key=False)
        for i in idx:
            checked[i, kind] = (good_of.get((i,), good.clear()), bad_of.get((i,), bad.clear()))
    for i, b in enumerate(batches):
        for kind, frame in b.frames.items():
            if frame.height:
                out[i].append((kind, frame.height, *checked[i, kind]))
    return out


# Validating a frame costs ~9 ms whatever its size (dataframely builds and runs its rules' plan): a
# 20,000-claim 835 in 1,000 transactions spent 53 of its 61 s load validating 5,912 small frames, and
# the 10M bench's day of remits (60 small CSV files) ~0.6 s of CPU. So batches are validated together
# (a file's, CHECK_ROWS rows at a time; a group of small files' all at once) and handed back per batch
# (its file and transaction stay what a quarantined row names).
CHECK_ROWS = 100_000


def _checked_batches(paths: list[str], batches: list, key: bytes) -> Iterator[tuple]:
    """(batch, its checked frames) for each batch (`paths[i]`: batch i's file), checked together; each
    batch's raw frames freed once checked (at 10M claims a file's raw frame stood beside DuckDB's 3 GB
    while staging)."""
    usable = [i for i, b in enumerate(batches) if not b.error]
    checked = iter(_checked_together([batches[i] for i in usable], [paths[i] for i in usable], key))
    for b in batches:
        c = [] if b.error else next(checked)
        b.frames = {}
        yield b, c


def _read(path: Path, mapping) -> Iterator:
    """The reader's batches of a file, unchecked (the reader picks itself by the file's first bytes)."""
    with open(path, "rb") as f:
        head = f.read(4096)
    yield from read_file(path, head, mapping)


def _batches(path: Path, mapping, key: bytes) -> Iterator[tuple]:
    """(batch, its checked frames) of a file, its batches checked CHECK_ROWS rows at a time."""
    group: list = []
    rows = 0
    for batch in _read(path, mapping):
        group.append(batch)
        rows += sum(f.height for f in batch.frames.values())
        if rows >= CHECK_ROWS:
            yield from _checked_batches([str(path)] * len(group), group, key)
            group, rows = [], 0
    yield from _checked_batches([str(path)] * len(group), group, key)


def _read_group(files: list[Path], mapping, key: bytes) -> list[list[tuple]]:
    """Per file of a group of small files, its (batch, checked frames): every batch of the group
    checked together."""
    per_file = [list(_read(path, mapping)) for path in files]
    done = iter(_checked_batches([str(p) for p, bs in zip(files, per_file) for _ in bs],
                                 [b for bs in per_file for b in bs], key))
    return [[next(done) for _ in bs] for bs in per_file]


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None              # read in the loading thread, which reports the problem


def _read_in_order(pool: ThreadPoolExecutor, files: list[Path], skip: set[int], mapping, key: bytes) -> Iterator:
    """Per file, in order: its (batch, checked frames) — small files read ahead by `pool` in groups,
    a bigger one read as it is consumed; nothing (an empty list) for a file in `skip` (loaded before,
    or unreadable)."""
    plan: list[tuple[int, int]] = []   # (first, end): a group of small files, or (i, i) for file i alone
    i = 0
    while i < len(files):
        j, held = i, 0
        while j < len(files) and j - i < GROUP_FILES and j not in skip:
            size = _size(files[j])
            if size is None or size > READ_AHEAD_BYTES or held + size > READ_AHEAD_BYTES:
                break
            held += size
            j += 1
        plan.append((i, j))
        i = max(j, i + 1)
    ahead: deque = deque()
    submitted = 0
    for k, (first, end) in enumerate(plan):
        while submitted < len(plan) and submitted <= k + GROUPS_AHEAD:
            a, b = plan[submitted]
            ahead.append(pool.submit(_read_group, files[a:b], mapping, key) if b > a else None)
            submitted += 1
        future = ahead.popleft()
        if future is not None:
            yield from future.result()
        elif first in skip:
            yield []
        else:
            yield _batches(files[first], mapping, key)


def _quarantine_unit(con, load_id: int, res: FileResult, messages: list[str], unit: str, error: str, rows: int) -> None:
    """A whole unit (a file, an X12 transaction) that could not be read: its rows counted as read and
    quarantined with one reason."""
    res.rows_read += rows
    res.quarantined += rows
    messages.append(error)
    ledger.quarantine_unit(con, load_id, res.path, unit, error, rows)


IN_PLACE_SHARE = 0.02        # a load whose input is at most this share of the warehouse file writes in place
SMALL_WAREHOUSE = 256 << 20  # below this size a full model rebuild in place is only a short wait


def writes_in_place(db_path: Path, files: list[Path]) -> bool:
    """A small load into a big warehouse writes the published file in one transaction instead of
    copying it (warehouse/store.py); DENIALS_IN_PLACE=0 turns this off."""
    if os.environ.get("DENIALS_IN_PLACE", "1") == "0" or not Path(db_path).exists():
        return False
    return sum(_size(f) or 0 for f in files) <= IN_PLACE_SHARE * Path(db_path).stat().st_size


def load_paths(db_path: Path, paths, progress: Callable[[str], None] | None = _stderr,
               command: str = "load") -> LoadSummary:
    files = expand(paths)
    missing = [str(p) for p in map(Path, paths) if not Path(p).exists()]
    if missing:
        raise LoadArgumentError(f"no such file or folder: {', '.join(missing)}")
    if not files:
        raise LoadArgumentError("no input files found in " + ", ".join(map(str, paths)))
    progress = progress or (lambda _m: None)
    if writes_in_place(Path(db_path), files):
        try:
            return _load(db_path, files, progress, command, in_place=True)
        except FullRefreshNeeded:
            progress("this load needs every model rebuilt: loading it again on a copy of the warehouse, "
                     "so the dashboard keeps reading meanwhile")
    return _load(db_path, files, progress, command, in_place=False)


def _load(db_path: Path, files: list[Path], progress: Callable[[str], None], command: str,
          in_place: bool) -> LoadSummary:
    started = dt.datetime.now()
    key = load_secret(Path(db_path))
    from etl.mapping import default_mapping
    mapping = default_mapping(Path(db_path))
    with WriteSession(Path(db_path), in_place=in_place) as ws:
        con = ws.con
        load_id = ledger.next_load_id(con)
        ingest.create_stage(con)
        stager = ingest.Stager(con)
        results: list[FileResult] = []
        messages: list[str] = []
        transactions = 0
        phases: dict[str, float] = {}
        clock = [time.perf_counter()]

        def lap(name: str) -> None:          # the phase `name` ends now, the next one starts
            now = time.perf_counter()
            phases[name], clock[0] = now - clock[0], now
        with ThreadPoolExecutor(WORKERS, thread_name_prefix="load-read") as pool:
            shas = list(pool.map(_sha256, files))
            previous = ledger.previous_loads(con, [s for s in shas if isinstance(s, str)])
            skip = {i for i, s in enumerate(shas) if not isinstance(s, str) or s in previous}
            read = _read_in_order(pool, files, skip, mapping, key)
            for seq, (path, batches) in enumerate(zip(files, read), start=1):
                sha = shas[seq - 1]
                res = FileResult(str(path), sha if isinstance(sha, str) else None)
                results.append(res)
                if isinstance(sha, OSError):       # counted as one row read and quarantined, as a file of no kind
                    res.message = f"{path}: cannot be read ({sha.strerror or sha})"
                    _quarantine_unit(con, load_id, res, messages, "file", res.message, 1)
                    progress(f"[{seq}/{len(files)}] {res.message}")
                    continue
                prev = previous.get(res.sha256)
                if prev is not None:
                    res.whole_file_duplicate = True
                    res.rows_read = res.duplicates = prev
                    res.message = "identical file already loaded"
                    progress(f"[{seq}/{len(files)}] {path}: already loaded, {prev:,} rows skipped as duplicates")
                    continue
                last_note = time.monotonic()
                for batch, checked in batches:
                    if batch.unit != "file" or res.units == 0:     # a CSV read in batches is one unit
                        res.units += 1
                    if time.monotonic() - last_note > 5:       # a long file: say how far it got
                        last_note = time.monotonic()
                        progress(f"[{seq}/{len(files)}] {path}: {res.units:,} transactions, "
                                 f"{res.rows_read:,} rows so far ...")
                    transactions += batch.extras.get("transactions", 0)
                    if batch.error:
                        _quarantine_unit(con, load_id, res, messages, batch.unit, batch.error, batch.rows_read)
                        continue
                    for kind, n_read, good, bad in checked:
                        res.kinds.add(kind)
                        res.rows_read += n_read
                        res.quarantined += n_read - (good.height if good is not None else 0)
                        if bad.height:
                            messages.extend(bad["message"].head(50).to_list())
                            ledger.quarantine_rows(con, load_id, str(path), batch.unit, bad)
                        if good is not None:
                            stager.add(kind, good, seq, batch.unit)
                faults.point("parse")
                progress(f"[{seq}/{len(files)}] {path}: {res.rows_read:,} rows read"
                         + (f", {res.quarantined:,} quarantined" if res.quarantined else ""))
            stager.flush()
        lap("files")
        progress("merging and refreshing models ...")
        counts = ingest.merge(con, load_id, {i: r.path for i, r in enumerate(results, start=1)})
        for seq, res in enumerate(results, start=1):
            res.loaded += counts.loaded[seq]
            res.duplicates += counts.duplicates[seq]
            res.quarantined += counts.quarantined[seq]
            if res.rows_read != res.loaded + res.duplicates + res.quarantined:
                raise AccountingError(
                    f"{res.path}: rows read {res.rows_read} != loaded {res.loaded} + duplicates "
                    f"{res.duplicates} + quarantined {res.quarantined}; nothing was loaded")
        messages.extend(ledger.merge_messages(con, load_id))
        faults.point("write")
        lap("merge")
        mode = refresh(con, Path(db_path), load_id=load_id,
                       full_allowed=not ws.in_place or Path(db_path).stat().st_size < SMALL_WAREHOUSE)
        progress(f"models refreshed ({mode})")
        ledger.record(con, load_id, started, command, results)
        lap("models")
        ws.publish()
        lap("publish")
    return LoadSummary(load_id, results, counts.per_kind, transactions, messages, phases)
