"""X12 readers: 835 remittances, 837P/837I claims and 277CA acknowledgments -> contract rows.

    is_x12(head: bytes) -> bool
    read_x12(path, data=None, *, mapping=None, lenient=None) -> Iterator[etl.batch.Batch]

`read_x12` yields one Batch per transaction set (ST..SE), in file order, with frames keyed by
contract kind (all-string columns named as in etl/contract.py, plus the integer `_row`: the
1-based position of the segment the row came from). A transaction that cannot be trusted is
quarantined whole: its Batch has `error` (file, transaction, segment position, reason), no
frames, and `rows_read` = the rows it would have held (at least 1). The other transactions of
the file still load. A file that is not X12 gives one Batch with unit "file" and an error.
read_x12 never raises for bad data. docs/x12.md explains every rule.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

from etl.batch import Batch
from etl.mapping import Mapping, default_mapping
from etl.x12.common import ReadContext, Result
from etl.x12.r277 import read_277
from etl.x12.r835 import read_835, read_835_many
from etl.x12.r837 import read_837
from etl.x12.tokenizer import CHUNK, FileProblem, Problem, Trailer, Transaction, is_x12, walk

__all__ = ["is_x12", "read_x12", "LENIENT_CHECKS", "ENV_LENIENT"]

log = logging.getLogger(__name__)

ENV_LENIENT = "DENIALS_X12_LENIENT"
# Checks that quarantine by default and that a practice may turn into warnings.
LENIENT_CHECKS = ("se_count", "balance")
# consecutive 835 transactions are read together until they hold this many segments (a group is
# held in memory; one transaction bigger than this is read alone)
GROUP_SEGMENTS = 200_000
# groups of 835s are read by this many threads while the tokenizer cuts the next ones (polars
# releases the GIL, so a second core does real work); results are still yielded in file order
READ_THREADS = max(1, min(2, os.cpu_count() or 1))
# groups read (or waiting to be) before the oldest one's batches must be handed on: more than the
# threads, so that the tokenizer goes on while the first group waits for the file's hash
PENDING_GROUPS = 6
_ORDER = {"truncated": 0, "garbage": 1, "unsupported": 2, "se_count": 3, "balance": 4}
READERS = {"835": read_835, "837": read_837, "277": read_277}


def _lenient(value: str | None) -> frozenset[str]:
    if not value:
        return frozenset()
    items = {v.strip().lower() for v in value.replace(";", ",").split(",") if v.strip()}
    if "all" in items:
        return frozenset(LENIENT_CHECKS)
    return frozenset(i for i in items if i in LENIENT_CHECKS)


class _Hasher(threading.Thread):
    """sha1 of the file, computed beside the parsing (hashlib and file reads release the GIL);
    `digest()` waits for it. remit_claim_id needs it, but only when the first batch is built."""

    def __init__(self, path: str | Path, data: bytes | None) -> None:
        super().__init__(daemon=True, name="x12-sha1")
        self.path, self.data = path, data
        self.result: str | None = None
        self.exc: BaseException | None = None
        self.cancelled = False

    def run(self) -> None:
        try:
            h = hashlib.sha1()
            if self.data is not None:
                h.update(self.data)
            else:
                with open(self.path, "rb") as fh:
                    while not self.cancelled:
                        b = fh.read(CHUNK)
                        if not b:
                            break
                        h.update(b)
            self.result = h.hexdigest()[:12]
        except BaseException as exc:     # reported by digest()
            self.exc = exc

    def digest(self) -> str:
        self.join()
        if self.result is None:
            raise OSError(f"cannot hash the file: {self.exc}")
        return self.result


def _read(tx: Transaction, ctx: ReadContext) -> Result:
    reader = READERS.get(tx.st_id)
    if reader is None:
        res = Result()
        res.errors.append(Problem("unsupported", tx.start, (
            f"segment {tx.start}: transaction set {tx.st_id or '(none)'} is not read here (only 835, 837 and 277)")))
        return res
    try:
        return reader(tx, ctx)
    except Exception as exc:   # a reader bug on odd data must not stop the other transactions
        log.exception("%s: %s: reader failed", ctx.name, tx.unit)
        res = Result()
        res.errors.append(Problem("garbage", tx.start, (
            # the exception's type only: its text may quote a value of the file (int('SMITH')), and this message is
            # stored in the warehouse's quarantine; the log has the traceback
            f"segment {tx.start}: the transaction could not be read ({type(exc).__name__}; details in the log)")))
        return res


def _batch(tx: Transaction, ctx: ReadContext) -> Batch:
    return _finish(tx, _read(tx, ctx), ctx)


def _batches_835(group: list[Transaction], ctx: ReadContext) -> list[Batch]:
    """One Batch per transaction of a group of consecutive 835s read in one pass (read_835_many);
    if that pass fails, each transaction is read on its own, so a bad one cannot take the others."""
    if len(group) > 1 and READERS.get("835") is read_835:
        try:
            results = read_835_many(group, ctx)
        except Exception:
            log.debug("%s: grouped 835 read failed; reading the transactions one by one", ctx.name, exc_info=True)
        else:
            return [_finish(tx, res, ctx) for tx, res in zip(group, results)]
    return [_batch(tx, ctx) for tx in group]


def _finish(tx: Transaction, res: Result, ctx: ReadContext) -> Batch:
    hard: list[Problem] = []
    warnings: list[Problem] = list(tx.warnings) + list(res.warnings)
    for e in tx.errors + res.errors:
        (warnings if e.key in ctx.lenient else hard).append(e)
    extras = {"transactions": 1, **res.extras}
    if warnings:
        extras["warnings"] = len(warnings)
        for w in warnings:
            extras[f"warning_{w.key}"] = extras.get(f"warning_{w.key}", 0) + 1
        for w in warnings:
            log.warning("%s: %s: %s", ctx.name, tx.unit, w.message)
    rows = res.fact_rows()
    if hard:
        hard.sort(key=lambda p: (_ORDER.get(p.key, 9), p.position))
        seen: set[int] = set()
        hard = [p for p in hard if not (p.position in seen or seen.add(p.position))]   # one finding per segment
        shown = "; ".join(p.message for p in hard[:3])
        if len(hard) > 3:
            shown += f"; and {len(hard) - 3} more problem(s)"
        return Batch(source_file=ctx.file, unit=tx.unit, frames={}, error=f"{ctx.name}: {tx.unit}: {shown}",
                     rows_read=max(1, rows), extras=extras)
    return Batch(source_file=ctx.file, unit=tx.unit, frames=res.frames, rows_read=rows, extras=extras)


def _batches_of(item: Future | list[Batch]) -> list[Batch]:
    """A pending item's batches: a worker's group (waited for) or batches already made."""
    return item.result() if isinstance(item, Future) else item


def _drain(pending: deque) -> Iterator[Batch]:
    """After reading stopped: the batches already read, in order (a group whose reading failed is lost
    with the rest of the file, which the caller reports)."""
    while pending:
        item = pending.popleft()
        try:
            yield from _batches_of(item)
        except Exception:
            log.exception("a group of 835 transactions could not be read")
            pending.clear()


def read_x12(path: str | Path, data: bytes | None = None, *, mapping: Mapping | None = None,
             lenient: str | None = None) -> Iterator[Batch]:
    """Read an X12 file (or `data`, its bytes) one transaction set at a time.

    mapping: the site/payer mapping (default: etl.mapping.default_mapping()).
    lenient: comma list of checks to report as warnings instead of quarantining the transaction:
             "se_count", "balance" or "all" (default: $DENIALS_X12_LENIENT, else none)."""
    src = str(path)
    name = Path(src).name or src
    if data is None:
        try:
            with open(path, "rb"):
                pass
        except OSError as exc:
            yield Batch(source_file=src, unit="file", error=f"{name}: cannot be read ({exc})", rows_read=1,
                        extras={"transactions": 0})
            return
    hasher = _Hasher(path, data)
    hasher.start()
    if mapping is None:
        try:
            mapping = default_mapping()
        except Exception as exc:     # a broken config folder must not stop loading
            log.warning("mapping could not be read: %s", exc)
            mapping = Mapping()
    ctx = ReadContext(file=src, name=name, hasher=hasher.digest, mapping=mapping,
                      lenient=_lenient(lenient if lenient is not None else os.environ.get(ENV_LENIENT)))
    seen = 0
    group: list[Transaction] = []     # consecutive 835s with the same separators, read in one pass
    size = 0
    # batches in file order: a Future of a group's batches (read by a worker thread) or a list
    pending: deque[Future | list[Batch]] = deque()
    pool = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="x12-835") if READ_THREADS > 1 else None

    def submit(g: list[Transaction]) -> None:
        pending.append(pool.submit(_batches_835, g, ctx) if pool is not None else _batches_835(g, ctx))

    def ready(keep: int) -> Iterator[Batch]:
        """Yield the pending batches, in order, until at most `keep` groups are still pending."""
        while len(pending) > keep:
            item = pending.popleft()
            yield from _batches_of(item)

    try:
        for unit in walk(path, data):
            if group and not (isinstance(unit, Transaction) and unit.st_id == "835"
                              and unit.delims == group[0].delims and size + unit.frame.height <= GROUP_SEGMENTS):
                submit(group)
                group, size = [], 0
                yield from ready(PENDING_GROUPS if pool is not None else 0)
            if isinstance(unit, FileProblem):
                hasher.cancelled = True          # not X12: no ids to make, stop reading the file
                seen += 1
                pending.append([Batch(source_file=src, unit="file", error=f"{name}: {unit.message}", rows_read=1,
                                      extras={"transactions": 0})])
            elif isinstance(unit, Trailer):
                for w in unit.warnings:
                    log.warning("%s: %s", name, w.message)
            elif unit.st_id == "835":
                seen += 1
                group.append(unit)
                size += unit.frame.height
            else:
                seen += 1
                pending.append([_batch(unit, ctx)])
            yield from ready(PENDING_GROUPS if pool is not None else 0)
        if group:
            submit(group)
        yield from ready(0)
    except Exception as exc:       # never raise out for bad data
        log.exception("%s: reading stopped", name)
        yield from _drain(pending)
        seen += 1
        # an OSError says what failed on the file; any other exception's text may quote a value of the file
        detail = (f"{type(exc).__name__}: {exc}" if isinstance(exc, OSError)
                  else f"{type(exc).__name__}; details in the log")
        yield Batch(source_file=src, unit="file", error=f"{name}: reading stopped ({detail})",
                    rows_read=1, extras={"transactions": 0})
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    if not seen:
        yield Batch(source_file=src, unit="file", error=f"{name}: no transaction set (ST..SE) in the file",
                    rows_read=1, extras={"transactions": 0})
