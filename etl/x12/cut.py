"""Cutting a chunk of X12 text into segments with a loop compiled by numba (the tokenizer's
common case: ASCII text, a one-byte segment terminator that is not a line break).

The segments become a polars String column of Arrow string views into the chunk's bytes: no
segment is copied, and no Python string is made. The result is the one the tokenizer's general
path gives (polars' CSV reader or str.split, then blanks stripped when the text is indented,
then empty segments dropped): tests/test_x12_fast.py compares them.
"""
from __future__ import annotations

import numba as nb
import numpy as np
import polars as pl
import pyarrow as pa


@nb.njit(nogil=True, cache=True)
def cut(data, ends, term, es):
    """The non-empty segments of data, as Arrow string views (16 bytes each), and the indexes of
    the envelope segments (first three characters ISA, IEA, GS*, GE*, ST*, SE*, or the whole
    segment GS, GE, ST or SE; * = `es`). `ends`: the positions of the terminators (numpy finds
    them: a vector compare is many times faster than a loop over the bytes); the piece after the
    last one is a segment too.

    A segment is stripped of blanks (tab, line feed, vertical tab, form feed, carriage return,
    space) when any segment starts with a space or a tab (the text is indented), as the general
    path does; else it is kept as it is."""
    n = data.size
    m = ends.size + 1
    pad = n > 0 and (data[0] == 32 or data[0] == 9)
    for i in range(ends.size):
        j = ends[i] + 1
        if j < n and (data[j] == 32 or data[j] == 9):
            pad = True
            break
    views = np.zeros(m * 16, np.uint8)
    events = np.empty(m, np.int64)
    ns = 0
    ne = 0
    s = 0
    for i in range(m):
        a = s
        b = ends[i] if i < ends.size else n
        s = b + 1
        if pad:
            while a < b and (data[a] == 32 or 9 <= data[a] <= 13):
                a += 1
            while b > a and (data[b - 1] == 32 or 9 <= data[b - 1] <= 13):
                b -= 1
        length = b - a
        if length == 0:
            continue
        c0 = data[a]
        c1 = data[a + 1] if length > 1 else 0
        c2 = data[a + 2] if length > 2 else 0
        env = False
        if length >= 3 and ((c0 == 73 and c1 == 83 and c2 == 65) or (c0 == 73 and c1 == 69 and c2 == 65)):
            env = True                                              # ISA, IEA
        elif length >= 2 and ((c0 == 71 and (c1 == 83 or c1 == 69)) or (c0 == 83 and (c1 == 84 or c1 == 69))):
            env = length == 2 or c2 == es                            # GS, GE, ST, SE
        if env:
            events[ne] = ns
            ne += 1
        # an Arrow string view, written out here as in fast835's loops: a shared numba helper
        # (even inline="always") made these loops 2-4 times slower (measured)
        p = ns * 16
        views[p] = length & 255
        views[p + 1] = (length >> 8) & 255
        views[p + 2] = (length >> 16) & 255
        views[p + 3] = (length >> 24) & 255
        if length <= 12:
            for q in range(length):
                views[p + 4 + q] = data[a + q]
        else:
            views[p + 4] = data[a]
            views[p + 5] = data[a + 1]
            views[p + 6] = data[a + 2]
            views[p + 7] = data[a + 3]
            views[p + 12] = a & 255
            views[p + 13] = (a >> 8) & 255
            views[p + 14] = (a >> 16) & 255
            views[p + 15] = (a >> 24) & 255
        ns += 1
    return views[:ns * 16], ns, events[:ne]


def segments(b: bytes, term: bytes, es: bytes) -> tuple[pl.Series, list[int]] | None:
    """The segments of `b` and the indexes of its envelope segments, or None when `b` is not the
    common case (not ASCII, a terminator or separator that is not one ASCII byte, a line-break
    terminator, 2 GiB or more)."""
    if (len(term) != 1 or len(es) != 1 or term in b"\r\n" or not b.isascii() or not term.isascii()
            or not es.isascii() or len(b) >= 1 << 31):
        return None
    data = np.frombuffer(b, dtype=np.uint8)
    views, n, events = cut(data, np.flatnonzero(data == term[0]), term[0], es[0])
    arr = pa.Array.from_buffers(pa.string_view(), n, [None, pa.py_buffer(views), pa.py_buffer(b)])
    return pl.Series("s", arr, dtype=pl.String), events.tolist()


@nb.njit(nogil=True, cache=True)
def _has_any(data, table):
    for j in range(data.size):
        if table[data[j]]:
            return True
    return False


@nb.njit(nogil=True, cache=True)
def _find3(data, c0, c1, c2, start):
    for j in range(start, data.size - 2):
        if data[j] == c0 and data[j + 1] == c1 and data[j + 2] == c2:
            return j
    return -1


def has_any(b: bytes, chars: bytes) -> bool:
    """Does `b` hold any of the bytes `chars`? (b.translate(None, chars) without the copy)"""
    if not chars or not b:
        return False
    table = np.zeros(256, dtype=np.bool_)
    table[np.frombuffer(chars, dtype=np.uint8)] = True
    return bool(_has_any(np.frombuffer(b, dtype=np.uint8), table))


def find(b: bytes, sub: bytes, start: int) -> int:
    """b.find(sub, start) for a 3-byte `sub` (a compiled loop: CPython's search is slower on
    upper-case text, where the first byte is frequent)."""
    assert len(sub) == 3
    return int(_find3(np.frombuffer(b, dtype=np.uint8), sub[0], sub[1], sub[2], start))
