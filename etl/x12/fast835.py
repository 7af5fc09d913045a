"""The 835 reader's compiled path: the same rows, findings and counts as r835's columnar reader,
for the common case, at the speed of a compiled parser.

r835.read_835_many reads a group of transactions with polars expressions (about a hundred
operations, each a pass over the group). This module reads the same group with a few loops
compiled by numba that walk the segment bytes once per question (which loop each segment is in,
where its elements start and end, how the claims balance) and build the contract's string
columns directly as Arrow buffers. It takes the common case only: text that is all ASCII with
one-byte separators, every segment id well formed, every SVC composite written with the ISA's
component separator, amounts written as plain decimals, every claim and line balanced. For
anything else `read` returns None and the caller reads the group the columnar way, which is
the reference: tests/test_x12_fast.py checks that both give the same Results on every sample
and fixture, and on generated and fuzzed files.

Element i of a segment is `segment.split(element_separator)[i]` (0 is the segment id); an
element beyond the last is missing (null), one that is there but empty is "". Values are built
in the modes below (what r835's `_get`, `_nz`, `_txt`, `iso_date` and `npi` do to them).
"""
from __future__ import annotations

import numba as nb
import numpy as np
import polars as pl
import pyarrow as pa

from etl.x12.common import ReadContext, Result
from etl.x12.tokenizer import Transaction

# value modes
RAW, NZ, TXT, STRIP, ZTXT, DATE, DATE_NZ, NPI = 0, 1, 2, 3, 4, 5, 6, 7
#   RAW      as written; missing -> null
#   NZ       as written; missing or "" -> null
#   TXT      blanks stripped; missing or "" after stripping -> null
#   STRIP    blanks stripped; missing -> null ("" stays "")
#   ZTXT     TXT, then leading zeros removed ("000" -> "")
#   DATE     as written, CCYYMMDD -> CCYY-MM-DD; missing -> null
#   DATE_NZ  DATE, "" -> null
#   NPI      blanks stripped; null unless 10 digits

# segment kinds (first three characters; LX, N1 and LQ with the element separator)
CLP, LX, PLB, TS3, TS2, SVC, CAS, DTM, REF, NM1, MIA, MOA, LQ, BPR, TRN, N1 = range(1, 17)

CAS_TRIPLES = np.array([2, 5, 8, 11, 14, 17], dtype=np.int64)
MIA_REMARKS = np.array([5, 20, 21, 22, 23], dtype=np.int64)
MOA_REMARKS = np.array([3, 4, 5, 6, 7], dtype=np.int64)
TOLERANCE = 0.005
_MARGIN = 1e-6          # a difference this close to the tolerance is left to the reference reader

_JIT = dict(nogil=True, cache=True)


# ---------------------------------------------------------------------------------------------
# kernels


@nb.njit(inline="always", **_JIT)
def _kind(c0, c1, c2, es):
    if c0 == 67:                                    # C
        if c1 == 76 and c2 == 80:
            return 1                                # CLP
        if c1 == 65 and c2 == 83:
            return 7                                # CAS
    elif c0 == 76:                                  # L
        if c1 == 88 and c2 == es:
            return 2                                # LX
        if c1 == 81 and c2 == es:
            return 13                               # LQ
    elif c0 == 80 and c1 == 76 and c2 == 66:
        return 3                                    # PLB
    elif c0 == 84:                                  # T
        if c1 == 83 and c2 == 51:
            return 4                                # TS3
        if c1 == 83 and c2 == 50:
            return 5                                # TS2
        if c1 == 82 and c2 == 78:
            return 15                               # TRN
    elif c0 == 83 and c1 == 86 and c2 == 67:
        return 6                                    # SVC
    elif c0 == 68 and c1 == 84 and c2 == 77:
        return 8                                    # DTM
    elif c0 == 82 and c1 == 69 and c2 == 70:
        return 9                                    # REF
    elif c0 == 78:                                  # N
        if c1 == 77 and c2 == 49:
            return 10                               # NM1
        if c1 == 49 and c2 == es:
            return 16                               # N1
    elif c0 == 77:                                  # M
        if c1 == 73 and c2 == 65:
            return 11                               # MIA
        if c1 == 79 and c2 == 65:
            return 12                               # MOA
    elif c0 == 66 and c1 == 80 and c2 == 82:
        return 14                                   # BPR
    return 0


@nb.njit(inline="always", **_JIT)
def _an(c):
    return (65 <= c <= 90) or (48 <= c <= 57)


@nb.njit(**_JIT)
def scan(data, offs, first, es):
    """One pass over the segments: kind, loop state, where the element separators are, and
    whether the segment ids are well formed.

    Returns kind (int8), claim id (int64, -1 outside a claim), line id (-1 outside a line), the
    line's order in its claim, hdr (before the first claim/line loop of its transaction), the
    separators' positions (seps) with each segment's first one (sep_start, n + 1), and ok (0 when
    a segment id is malformed)."""
    n = offs.size - 1
    kind = np.zeros(n, np.int8)
    claim = np.full(n, -1, np.int64)
    lid = np.full(n, -1, np.int64)
    order = np.zeros(n, np.int64)
    hdr = np.zeros(n, np.bool_)
    sep_start = np.empty(n + 1, np.int64)
    seps = np.empty(data.size + 1, np.int32)     # < 2 GiB of text: 32-bit positions halve the writes
    p = 0
    ok = 1
    cl = False
    hd = True
    sv = False
    clp_n = 0
    svc_n = 0
    at_clp = 0
    for i in range(n):
        a = offs[i]
        b = offs[i + 1]
        L = b - a
        sep_start[i] = p
        for j in range(a, b):
            if data[j] == es:
                seps[p] = j
                p += 1
        # segment id: a capital letter, a capital or digit, then the separator, a third one or the end
        if L < 2 or not (65 <= data[a] <= 90) or not _an(data[a + 1]):
            ok = 0
        elif L >= 3 and not (data[a + 2] == es or _an(data[a + 2])):
            ok = 0
        k = 0
        if L >= 3:
            k = _kind(data[a], data[a + 1], data[a + 2], es)
        kind[i] = k
        if first[i]:
            cl = False
            hd = True
            sv = False
        if 1 <= k <= 5:
            cl = k == 1
            hd = False
            sv = False
        elif k == 6:
            hd = False
            sv = True
        if k == 1:
            clp_n += 1
            at_clp = svc_n
        elif k == 6:
            svc_n += 1
        hdr[i] = hd
        if cl:
            claim[i] = clp_n
            if sv:
                lid[i] = svc_n
                order[i] = svc_n - at_clp
    sep_start[n] = p
    return kind, claim, lid, order, hdr, seps[:p], sep_start, ok


@nb.njit(**_JIT)
def elements(offs, seps, sep_start, rows, ks):
    """Start and end of element ks[r] of segment rows[r] (-1, -1: the segment has no such element)."""
    n = rows.size
    st = np.full(n, -1, np.int64)
    en = np.full(n, -1, np.int64)
    for r in range(n):
        i = rows[r]
        k = ks[r]
        f = sep_start[i]
        nsep = sep_start[i + 1] - f
        if k > nsep:
            continue
        st[r] = offs[i] if k == 0 else seps[f + k - 1] + 1
        en[r] = seps[f + k] if k < nsep else offs[i + 1]
    return st, en


@nb.njit(inline="always", **_JIT)
def _blank(c):
    return c == 32 or (9 <= c <= 13)


@nb.njit(inline="always", **_JIT)
def _digits(data, a, b):
    if a >= b:
        return False
    for j in range(a, b):
        if not (48 <= data[j] <= 57):
            return False
    return True


@nb.njit(**_JIT)
def spans(data, st, en, mode):
    """Where each value data[st:en] starts and ends after its mode, and its state: 0 null, 1 there,
    2 there and a CCYYMMDD date to write as CCYY-MM-DD. (One loop, nothing called per value:
    a numba function called per value with an array argument costs several times the work.)"""
    n = st.size
    a2 = np.zeros(n, np.int64)
    b2 = np.zeros(n, np.int64)
    state = np.zeros(n, np.int8)
    strip = mode == 2 or mode == 3 or mode == 4 or mode == 7
    no_empty = mode == 1 or mode == 2 or mode == 4 or mode == 6 or mode == 7
    date = mode == 5 or mode == 6
    for r in range(n):
        a = st[r]
        b = en[r]
        if a < 0:
            continue
        if strip:
            while a < b and (data[a] == 32 or 9 <= data[a] <= 13):
                a += 1
            while b > a and (data[b - 1] == 32 or 9 <= data[b - 1] <= 13):
                b -= 1
        if b == a and no_empty:
            continue
        if mode == 4:
            while a < b and data[a] == 48:
                a += 1
        digits = True
        if mode == 7 or date:
            for j in range(a, b):
                if not (48 <= data[j] <= 57):
                    digits = False
                    break
        if mode == 7 and not (b - a == 10 and digits):
            continue
        a2[r] = a
        b2[r] = b
        state[r] = 2 if date and b - a == 8 and digits else 1
    return a2, b2, state


@nb.njit(**_JIT)
def present(data, st, en, mode):
    """Whether each value of a column is there (not null) after its mode."""
    return spans(data, st, en, mode)[2] > 0


@nb.njit(**_JIT)
def views(data, st, en, mode):
    """A String column as Arrow string views into `data` (no copy of the text), and its validity.
    A view is 16 bytes: the length, then the value inline when 12 bytes or fewer, else its first 4
    bytes, data buffer 0 and the offset. (spans() and this loop in one, written out: this is
    the reader's busiest loop.)"""
    n = st.size
    v = np.zeros(n * 16, np.uint8)
    valid = np.zeros(n, np.bool_)
    strip = mode == 2 or mode == 3 or mode == 4 or mode == 7
    no_empty = mode == 1 or mode == 2 or mode == 4 or mode == 6 or mode == 7
    date = mode == 5 or mode == 6
    for r in range(n):
        a = st[r]
        b = en[r]
        if a < 0:
            continue
        if strip:
            while a < b and (data[a] == 32 or 9 <= data[a] <= 13):
                a += 1
            while b > a and (data[b - 1] == 32 or 9 <= data[b - 1] <= 13):
                b -= 1
        if b == a and no_empty:
            continue
        if mode == 4:
            while a < b and data[a] == 48:
                a += 1
        length = b - a
        digits = True
        if mode == 7 or (date and length == 8):
            for j in range(a, b):
                if not (48 <= data[j] <= 57):
                    digits = False
                    break
        if mode == 7 and not (length == 10 and digits):
            continue
        valid[r] = True
        p = r * 16
        if date and length == 8 and digits:
            v[p] = 10
            v[p + 4] = data[a]
            v[p + 5] = data[a + 1]
            v[p + 6] = data[a + 2]
            v[p + 7] = data[a + 3]
            v[p + 8] = 45
            v[p + 9] = data[a + 4]
            v[p + 10] = data[a + 5]
            v[p + 11] = 45
            v[p + 12] = data[a + 6]
            v[p + 13] = data[a + 7]
            continue
        v[p] = length & 255
        v[p + 1] = (length >> 8) & 255
        v[p + 2] = (length >> 16) & 255
        v[p + 3] = (length >> 24) & 255
        if length <= 12:
            for j in range(length):
                v[p + 4 + j] = data[a + j]
        else:
            v[p + 4] = data[a]
            v[p + 5] = data[a + 1]
            v[p + 6] = data[a + 2]
            v[p + 7] = data[a + 3]
            v[p + 12] = a & 255
            v[p + 13] = (a >> 8) & 255
            v[p + 14] = (a >> 16) & 255
            v[p + 15] = (a >> 24) & 255
    return v, valid


@nb.njit(**_JIT)
def by_kind(kind, n_kinds):
    """The segments grouped by kind, in file order within a kind (a counting sort): segments of
    kind k are index[start[k]:start[k + 1]]."""
    start = np.zeros(n_kinds + 1, np.int64)
    for i in range(kind.size):
        start[kind[i] + 1] += 1
    for k in range(n_kinds):
        start[k + 1] += start[k]
    fill = start[:-1].copy()
    index = np.empty(kind.size, np.int64)
    for i in range(kind.size):
        k = kind[i]
        index[fill[k]] = i
        fill[k] += 1
    return index, start


@nb.njit(**_JIT)
def element_views(data, offs, seps, sep_start, rows, k, mode):
    """views() of element k of the segments `rows` (the element found and written in one loop)."""
    n = rows.size
    st = np.empty(n, np.int64)
    en = np.empty(n, np.int64)
    for r in range(n):
        i = rows[r]
        f = sep_start[i]
        nsep = sep_start[i + 1] - f
        if k > nsep:
            st[r] = -1
            en[r] = -1
        else:
            st[r] = offs[i] if k == 0 else seps[f + k - 1] + 1
            en[r] = seps[f + k] if k < nsep else offs[i + 1]
    return views(data, st, en, mode)


@nb.njit(**_JIT)
def first_value(data, offs, seps, sep_start, rows, keys, n_keys, prefix, cond_k, cond, value_k):
    """For each key 0..n_keys-1: the start and end of element value_k of the first segment of
    `rows` (keys ascend with the rows) that starts with the bytes `prefix` and, when cond_k >= 0,
    whose element cond_k is exactly `cond`; -1 when there is none or it lacks that element."""
    st = np.full(n_keys, -1, np.int64)
    en = np.full(n_keys, -1, np.int64)
    done = np.zeros(n_keys, np.bool_)
    np_ = prefix.size
    nc = cond.size
    for r in range(rows.size):
        key = keys[r]
        if key < 0 or done[key]:
            continue
        i = rows[r]
        a = offs[i]
        b = offs[i + 1]
        if b - a < np_:
            continue
        same = True
        for j in range(np_):
            if data[a + j] != prefix[j]:
                same = False
                break
        if not same:
            continue
        f = sep_start[i]
        nsep = sep_start[i + 1] - f
        if cond_k >= 0:
            if cond_k > nsep:
                continue
            ca = a if cond_k == 0 else seps[f + cond_k - 1] + 1
            cb = seps[f + cond_k] if cond_k < nsep else b
            if cb - ca != nc:
                continue
            for j in range(nc):
                if data[ca + j] != cond[j]:
                    same = False
                    break
            if not same:
                continue
        done[key] = True
        if value_k <= nsep:
            st[key] = a if value_k == 0 else seps[f + value_k - 1] + 1
            en[key] = seps[f + value_k] if value_k < nsep else b
    return st, en


@nb.njit(**_JIT)
def tx_views(buf, boffs, bvalid, tx):
    """A value per transaction (buf[boffs[t]:boffs[t+1]], bvalid[t]) as a column: one view per row."""
    n = tx.size
    v = np.zeros(n * 16, np.uint8)
    valid = np.zeros(n, np.bool_)
    for r in range(n):
        t = tx[r]
        if not bvalid[t]:
            continue
        valid[r] = True
        a = boffs[t]
        length = boffs[t + 1] - a
        p = r * 16
        v[p] = length & 255
        v[p + 1] = (length >> 8) & 255
        if length <= 12:
            for j in range(length):
                v[p + 4 + j] = buf[a + j]
        else:
            for j in range(4):
                v[p + 4 + j] = buf[a + j]
            v[p + 12] = a & 255
            v[p + 13] = (a >> 8) & 255
            v[p + 14] = (a >> 16) & 255
            v[p + 15] = (a >> 24) & 255
    return v, valid


@nb.njit(**_JIT)
def equals(data, st, en, text):
    """Is the value data[st:en] exactly `text` (False when missing)?"""
    n = st.size
    out = np.zeros(n, np.bool_)
    m = text.size
    for r in range(n):
        a = st[r]
        if a < 0 or en[r] - a != m:
            continue
        same = True
        for j in range(m):
            if data[a + j] != text[j]:
                same = False
                break
        out[r] = same
    return out


@nb.njit(**_JIT)
def composite(data, st, en, comp, width):
    """Components 0..width-1 of composite values (blanks around the value stripped first), and
    whether each value is odd: no component separator, longer than 3, and a third character that
    is not a letter, digit or space (r835 then reads it with that character: not done here)."""
    n = st.size
    cst = np.full((n, width), -1, np.int64)
    cen = np.full((n, width), -1, np.int64)
    odd = False
    for r in range(n):
        a = st[r]
        b = en[r]
        if a < 0:
            continue
        has = False
        for j in range(a, b):
            if data[j] == comp:
                has = True
                break
        if not has and b - a > 3:
            c = data[a + 2]
            if not (_an(c) or (97 <= c <= 122) or c == 32):
                odd = True
        while a < b and _blank(data[a]):
            a += 1
        while b > a and _blank(data[b - 1]):
            b -= 1
        k = 0
        s = a
        for j in range(a, b):
            if data[j] == comp:
                if k < width:
                    cst[r, k] = s
                    cen[r, k] = j
                k += 1
                s = j + 1
        if k < width:
            cst[r, k] = s
            cen[r, k] = b
    return cst, cen, odd


@nb.njit(**_JIT)
def first_of(keys, pick, n_keys):
    """For each key 0..n_keys-1, the first r with pick[r] (keys ascend with r), else -1."""
    out = np.full(n_keys, -1, np.int64)
    for r in range(keys.size):
        if pick[r] and out[keys[r]] < 0:
            out[keys[r]] = r
    return out


@nb.njit(**_JIT)
def take(arr, at):
    """arr[at] with -1 -> -1."""
    out = np.full(at.size, -1, np.int64)
    for r in range(at.size):
        if at[r] >= 0:
            out[r] = arr[at[r]]
    return out


@nb.njit(**_JIT)
def line_numbers(data, ref_st, ref_en, line_claim, order):
    """REF*6R numbers the lines of a claim when every line of it has a distinct one in 1..999 (a
    ^\\d{1,9}$ value); else a line is numbered by its order in the claim. Lines are grouped by claim."""
    n = line_claim.size
    refnum = np.full(n, -1, np.int64)
    for r in range(n):
        a = ref_st[r]
        b = ref_en[r]
        if a < 0:
            continue
        while a < b and _blank(data[a]):
            a += 1
        while b > a and _blank(data[b - 1]):
            b -= 1
        if b - a < 1 or b - a > 9 or not _digits(data, a, b):
            continue
        v = 0
        for j in range(a, b):
            v = v * 10 + (data[j] - 48)
        refnum[r] = v
    out = order.copy()
    seen = np.zeros(1000, np.bool_)
    r = 0
    while r < n:
        e = r
        while e < n and line_claim[e] == line_claim[r]:
            e += 1
        good = True
        for q in range(r, e):
            v = refnum[q]
            if v < 1 or v > 999 or seen[v]:
                good = False
                break
            seen[v] = True
        for q in range(r, e):
            if 1 <= refnum[q] <= 999:
                seen[refnum[q]] = False
        if good:
            for q in range(r, e):
                out[q] = refnum[q]
        r = e
    return out


@nb.njit(inline="always", **_JIT)
def _number(data, a, b):
    """A plain decimal ([+-]digits[.digits], or .digits) -> (1, value); not a number -> (0, 0.0);
    anything a float parser might still read (exponent, inf, nan, too many digits) -> (2, 0.0)."""
    if a < 0 or a >= b:
        return 0, 0.0
    j = a
    neg = False
    if data[j] == 43 or data[j] == 45:
        neg = data[j] == 45
        j += 1
    mant = 0
    nd = 0
    frac = 0
    dot = False
    while j < b:
        c = data[j]
        if 48 <= c <= 57:
            mant = mant * 10 + (c - 48)
            nd += 1
            if dot:
                frac += 1
            if nd > 15:
                return 2, 0.0
        elif c == 46 and not dot:
            dot = True
        else:
            for q in range(a, b):
                c2 = data[q] | 32
                if c2 == 101 or c2 == 105 or c2 == 110:      # e, i(nf), n(an)
                    return 2, 0.0
            return 0, 0.0
        j += 1
    if nd == 0:
        return 0, 0.0
    v = mant / 10.0 ** frac
    return 1, -v if neg else v


@nb.njit(**_JIT)
def paid_by_tx(data, st, en, tx, m):
    """The sum of the claims' paid amounts per transaction (CLP04), and whether every amount was a
    plain decimal or empty (else a float parser might read one differently: the caller sums them
    the reference way)."""
    out = np.zeros(m, np.float64)
    for r in range(st.size):
        s, v = _number(data, st[r], en[r])
        if s == 2:
            return out, False
        if s == 1:
            out[tx[r]] += v
    return out, True


@nb.njit(**_JIT)
def balanced(data, charge_st, charge_en, paid_st, paid_en, adj_st, adj_en, adj_of, n_of):
    """Do the rows (claims or lines) balance: charge - paid = the sum of their adjustments (to the
    cent, with a margin)? adj_of[r]: the row each adjustment amount belongs to (-1: none).
    Returns False when one does not, or when an amount is not a plain decimal."""
    sums = np.zeros(n_of, np.float64)
    for r in range(adj_st.size):
        if adj_of[r] < 0:
            continue
        s, v = _number(data, adj_st[r], adj_en[r])
        if s == 2:
            return False
        sums[adj_of[r]] += v
    for r in range(n_of):
        s1, c = _number(data, charge_st[r], charge_en[r])
        s2, p = _number(data, paid_st[r], paid_en[r])
        if s1 == 2 or s2 == 2:
            return False
        if s1 == 1 and s2 == 1 and abs(c - p - sums[r]) >= TOLERANCE - _MARGIN:
            return False
    return True


@nb.njit(**_JIT)
def claim_ids(prefix_bytes, prefix_offs, tx, number):
    """remit_claim_id of each claim: its transaction's prefix and its number in the transaction
    (bytes and their offsets, one per claim)."""
    n = tx.size
    total = 0
    for r in range(n):
        total += prefix_offs[tx[r] + 1] - prefix_offs[tx[r]] + 20
    out = np.empty(total, np.uint8)
    offsets = np.empty(n + 1, np.int64)
    p = 0
    for r in range(n):
        offsets[r] = p
        for j in range(prefix_offs[tx[r]], prefix_offs[tx[r] + 1]):
            out[p] = prefix_bytes[j]
            p += 1
        v = number[r]
        k = 1
        t = v // 10
        while t > 0:
            k += 1
            t //= 10
        for q in range(k - 1, -1, -1):
            out[p + q] = 48 + v % 10
            v //= 10
        p += k
    offsets[n] = p
    return out[:p], offsets


@nb.njit(**_JIT)
def id_views(id_bytes, id_offs, at):
    """Views of the ids at `at` (0-based claim indexes) into id_bytes."""
    n = at.size
    v = np.zeros(n * 16, np.uint8)
    for r in range(n):
        a = id_offs[at[r]]
        length = id_offs[at[r] + 1] - a
        p = r * 16
        v[p] = length & 255
        v[p + 1] = (length >> 8) & 255
        if length <= 12:
            for j in range(length):
                v[p + 4 + j] = id_bytes[a + j]
        else:
            for j in range(4):
                v[p + 4 + j] = id_bytes[a + j]
            v[p + 12] = a & 255
            v[p + 13] = (a >> 8) & 255
            v[p + 14] = (a >> 16) & 255
            v[p + 15] = (a >> 24) & 255
    return v


@nb.njit(**_JIT)
def number_views(number):
    """Integers (>= 0; -1: null) as text views (inline: up to 12 digits)."""
    n = number.size
    v = np.zeros(n * 16, np.uint8)
    valid = np.zeros(n, np.bool_)
    for r in range(n):
        x = number[r]
        if x < 0:
            continue
        valid[r] = True
        k = 1
        t = x // 10
        while t > 0:
            k += 1
            t //= 10
        p = r * 16
        v[p] = k
        for q in range(k - 1, -1, -1):
            v[p + 4 + q] = 48 + x % 10
            x //= 10
    return v, valid


# ---------------------------------------------------------------------------------------------
# Arrow <-> numpy


def _buffers(col: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """A String column (no nulls) as its UTF-8 bytes and n + 1 offsets, without copying the text twice."""
    arr = col.to_arrow(compat_level=pl.CompatLevel.oldest())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    _, ob, db = arr.buffers()
    offs = np.frombuffer(ob, dtype=np.int64)[arr.offset:arr.offset + len(arr) + 1]
    data = np.frombuffer(db, dtype=np.uint8) if db is not None else np.zeros(0, np.uint8)
    return data, offs


_NO_BYTES = np.zeros(1, np.uint8)
_NONE = np.zeros(0, np.uint8)


def _series(name: str, views_: np.ndarray, valid: np.ndarray | None, buffer: np.ndarray) -> pl.Series:
    """A polars String column from Arrow string views into `buffer` (polars keeps the views and the
    buffer as they are: no copy)."""
    n = views_.size // 16
    nulls = 0 if valid is None else n - int(np.count_nonzero(valid))
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
    arr = pa.Array.from_buffers(pa.string_view(), n, [bitmap, pa.py_buffer(views_), pa.py_buffer(buffer)],
                                null_count=nulls)
    return pl.Series(name, arr, dtype=pl.String)


def take2(se: tuple[np.ndarray, np.ndarray], at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) pairs at `at` (-1: none)."""
    return take(se[0], at), take(se[1], at)


# ---------------------------------------------------------------------------------------------
# the reader


def read(txs: list[Transaction], ctx: ReadContext) -> list[Result] | None:
    """Read a group of consecutive 835 transactions (same separators) in the common case; None when
    the group is not (the caller reads it with r835's columnar reader)."""
    from etl.x12 import r835    # r835 imports this module

    tx0 = txs[0]
    es_s, comp_s = tx0.delims.element, tx0.delims.component
    if len(es_s.encode("utf-8")) != 1 or len(comp_s.encode("utf-8")) != 1 or ord(es_s) < 32 or ord(comp_s) < 32:
        return None
    es, comp = ord(es_s), ord(comp_s)
    m = len(txs)
    lens = np.array([t.frame.height for t in txs], dtype=np.int64)
    starts = np.array([t.start for t in txs], dtype=np.int64)
    tx_first = np.concatenate(([0], np.cumsum(lens)[:-1]))
    total_n = int(lens.sum())
    tx_idx = np.repeat(np.arange(m, dtype=np.int32), lens)
    rowpos = np.arange(total_n, dtype=np.int64) + np.repeat(starts - tx_first, lens)
    first = np.zeros(total_n, dtype=np.bool_)
    first[tx_first[lens > 0]] = True
    seg_col = pl.concat([t.frame["s"] for t in txs], rechunk=False) if m > 1 else tx0.frame["s"]
    data, offs = _buffers(seg_col)
    if data.size >= 1 << 31:               # views address their text with 32-bit offsets
        return None

    if data.size and data.max() >= 128:     # not ASCII
        return None
    kind, claim, lid, order, hdr_np, seps, sep_start, ok = scan(data, offs, first, es)
    if not ok:
        return None

    def E(rows: np.ndarray, k) -> tuple[np.ndarray, np.ndarray]:
        """Start and end of element k (one index, or one per row) of the segments `rows`."""
        ks = np.full(rows.size, k, dtype=np.int64) if np.isscalar(k) else k
        return elements(offs, seps, sep_start, rows, ks)

    def count(rows: np.ndarray) -> np.ndarray:
        """How many elements the segments `rows` have (the id included)."""
        return sep_start[rows + 1] - sep_start[rows] + 1

    def col(name: str, se: tuple[np.ndarray, np.ndarray], mode: int) -> pl.Series:
        """A column from value bounds."""
        st, en = np.ascontiguousarray(se[0]), np.ascontiguousarray(se[1])
        return _series(name, *views(data, st, en, mode), data)

    def ecol(name: str, rows: np.ndarray, k: int, mode: int) -> pl.Series:
        """A column from element k of the segments `rows`."""
        return _series(name, *element_views(data, offs, seps, sep_start, rows, k, mode), data)

    def text(t: str) -> np.ndarray:
        return np.frombuffer(t.encode("ascii"), dtype=np.uint8)

    def has(rows: np.ndarray, k: int, t: str) -> np.ndarray:
        """Is element k of the segments `rows` exactly `t`?"""
        return equals(data, *E(rows, k), np.frombuffer(t.encode("ascii"), dtype=np.uint8))

    in_claim = claim >= 0
    kind_index, kind_start = by_kind(kind, 17)

    def of(k: int, where: np.ndarray | None = None) -> np.ndarray:
        """The segments of kind k (in file order), those in `where` only."""
        rows = kind_index[kind_start[k]:kind_start[k + 1]]
        return rows if where is None else rows[where[rows]]
    stray = np.bincount(tx_idx[((kind == SVC) | (kind == CAS) | (kind == MIA) | (kind == MOA) | (kind == LQ))
                               & ~in_claim], minlength=m)
    results = [Result() for _ in txs]

    # header: a few segments per transaction, read in Python
    hsegs = np.flatnonzero(hdr_np & ((kind == BPR) | (kind == TRN) | (kind == N1) | (kind == REF) | (kind == DTM)))
    hd = r835._header(txs, ctx, es_s, ((int(tx_idx[i]), data[offs[i]:offs[i + 1]].tobytes().decode("ascii"),
                                        int(rowpos[i])) for i in hsegs.tolist()))

    # ------------------------------------------------------------------ claims (CLP)
    rc = of(CLP)
    n_claims = rc.size                     # claim ids are 1..n_claims in file order
    nclaims = np.bincount(tx_idx[rc], minlength=m)
    cbase = np.cumsum(nclaims) - nclaims
    claim_tx = tx_idx[rc]
    prefix = [p.encode("utf-8") for p in hd.prefixes]
    prefix_bytes = np.frombuffer(b"".join(prefix), dtype=np.uint8) if any(prefix) else np.zeros(0, np.uint8)
    prefix_offs = np.concatenate(([0], np.cumsum([len(p) for p in prefix]))).astype(np.int64)
    claim_no = np.arange(1, n_claims + 1, dtype=np.int64) - cbase[claim_tx]

    id_bytes, id_offs = claim_ids(prefix_bytes, prefix_offs, claim_tx, claim_no)

    def rid(claims: np.ndarray) -> pl.Series:
        """remit_claim_id of claim ids (1-based): views of each claim's id, written once."""
        return _series("remit_claim_id", id_views(id_bytes, id_offs, claims - 1), None, id_bytes)

    # claim level NM1*82 (rendering: the first that starts with "NM1*82*" and has NM108 XX)
    r82 = of(NM1, in_claim & (lid < 0))
    rend = first_value(data, offs, seps, sep_start, r82, claim[r82] - 1, n_claims, text("NM1" + es_s + "82" + es_s),
                       8, text("XX"), 9)
    # claim level DTM*232/233 (service dates): the first of each per claim
    rd = of(DTM, in_claim)
    rd_claim = rd[lid[rd] < 0]
    ckeys = claim[rd_claim] - 1
    date_from = first_value(data, offs, seps, sep_start, rd_claim, ckeys, n_claims, _NONE, 1, text("232"), 2)
    date_to = first_value(data, offs, seps, sep_start, rd_claim, ckeys, n_claims, _NONE, 1, text("233"), 2)
    rendering_strip = present(data, *rend, STRIP)
    rendering = col("rendering_npi", rend, NPI)
    bad_rendering = np.bincount(claim_tx[rendering_strip & rendering.is_null().to_numpy()], minlength=m)

    # ------------------------------------------------------------------ service lines (SVC)
    rs = of(SVC, in_claim)
    pst, pen, odd1 = composite(data, *E(rs, 1), comp, 6)
    ost, oen, odd2 = composite(data, *E(rs, 6), comp, 2)
    if odd1 or odd2:
        return None
    line_lid = lid[rs]                       # ascending; a stray SVC outside claims leaves a gap

    def line_of(lids: np.ndarray) -> np.ndarray:
        """The index in `rs` of the lines with these ids (-1 stays -1)."""
        return np.where(lids >= 0, np.searchsorted(line_lid, lids), -1)

    # a line's date: the first DTM*472's, else the first DTM*150's (coalesce: a 472 without a
    # date falls back to the 150)
    rl = rd[lid[rd] >= 0]
    lkeys = line_of(lid[rl])
    d472 = first_value(data, offs, seps, sep_start, rl, lkeys, rs.size, _NONE, 1, text("472"), 2)
    d150 = first_value(data, offs, seps, sep_start, rl, lkeys, rs.size, _NONE, 1, text("150"), 2)
    sdate = (np.where(d472[0] >= 0, d472[0], d150[0]), np.where(d472[0] >= 0, d472[1], d150[1]))
    # REF*6R: the first per line that starts with "REF*6R*"
    r6 = of(REF, lid >= 0)
    ref = first_value(data, offs, seps, sep_start, r6, line_of(lid[r6]), rs.size, text("REF" + es_s + "6R" + es_s),
                      -1, _NONE, 2)
    line_no = line_numbers(data, ref[0], ref[1], claim[rs], order[rs])

    # ------------------------------------------------------------------ adjustments (CAS)
    ra = of(CAS, in_claim)
    triples = (np.arange(6)[None, :] == 0) | (count(ra)[:, None] > CAS_TRIPLES[None, :])
    r_idx, k_idx = np.nonzero(triples)                        # row-major: file order, then triple
    a_rows = ra[r_idx]
    kk = CAS_TRIPLES[k_idx]
    carc_se, amt_se = E(a_rows, kk), E(a_rows, kk + 1)
    keep = present(data, *carc_se, TXT) | present(data, *amt_se, NZ)
    a_rows, kk = a_rows[keep], kk[keep]
    carc_se, amt_se = (carc_se[0][keep], carc_se[1][keep]), (amt_se[0][keep], amt_se[1][keep])

    # ------------------------------------------------------------------ balancing (or the reference)
    adj_line = line_of(lid[a_rows])
    if not balanced(data, *E(rc, 3), *E(rc, 4), *amt_se, claim[a_rows] - 1, n_claims):
        return None
    line_charge, line_paid = E(rs, 2), E(rs, 3)
    if not balanced(data, *line_charge, *line_paid, *amt_se, adj_line, rs.size):
        return None

    # ------------------------------------------------------------------ remarks (MIA, MOA, LQ*HE)
    rm = np.sort(np.concatenate([of(MIA, in_claim), of(MOA, in_claim), of(LQ, in_claim)]))
    mk = kind[rm]
    wanted = np.full((rm.size, 5), -1, dtype=np.int64)      # the elements each segment gives, in _k order
    wanted[mk == MIA] = MIA_REMARKS
    wanted[mk == MOA] = MOA_REMARKS
    wanted[(mk == LQ) & has(rm, 1, "HE"), 0] = 2
    m_r, m_k = np.nonzero(wanted >= 0)
    rem_rows = rm[m_r]
    rarc_se = E(rem_rows, wanted[m_r, m_k])
    keep_m = present(data, *rarc_se, TXT)
    rem_rows, m_r = rem_rows[keep_m], m_r[keep_m]
    rarc_se = (rarc_se[0][keep_m], rarc_se[1][keep_m])
    rem_lid = np.where(mk[m_r] == LQ, lid[rem_rows], -1)

    # ------------------------------------------------------------------ provider adjustments (PLB)
    rp = of(PLB)
    provider = None
    if rp.size:
        plb = pl.DataFrame({"_tx": pl.Series(tx_idx[rp], dtype=pl.Int32), "_row": rowpos[rp],
                            "s": col("s", (offs[:-1][rp], offs[1:][rp]), RAW)})
        provider = r835.provider_adjustments(plb, es_s, comp_s)

    # ------------------------------------------------------------------ the contract's rows

    def tx_col(name: str, per: list[str | None]) -> pl.Series:
        """A column of each claim's transaction's value."""
        enc = [(v or "").encode("utf-8") for v in per]
        buf = np.frombuffer(b"".join(enc) or b"\0", dtype=np.uint8)
        boffs = np.concatenate(([0], np.cumsum([len(e) for e in enc]))).astype(np.int64)
        return _series(name, *tx_views(buf, boffs, np.array([v is not None for v in per], dtype=np.bool_),
                                       claim_tx), buf)

    claims = np.arange(1, n_claims + 1, dtype=np.int64)
    remits = pl.DataFrame({
        "remit_claim_id": rid(claims), "_tx": pl.Series(claim_tx, dtype=pl.Int32),
        "patient_control_number": ecol("patient_control_number", rc, 1, TXT),
        "claim_status": ecol("claim_status", rc, 2, ZTXT),
        "claim_charge": ecol("claim_charge", rc, 3, NZ),
        "claim_paid": ecol("claim_paid", rc, 4, NZ),
        "patient_responsibility": ecol("patient_responsibility", rc, 5, NZ),
        "payer_claim_number": ecol("payer_claim_number", rc, 7, TXT),
        "filing_indicator": ecol("filing_indicator", rc, 6, TXT),
        "rendering_npi": rendering,
        "service_date_from": col("service_date_from", date_from, DATE),
        "service_date_to": col("service_date_to", date_to, DATE),
        "payer_id": tx_col("payer_id", [p.payer_id for p in hd.payers]),
        "trace_number": tx_col("trace_number", hd.traces), "remit_date": tx_col("remit_date", hd.remit_dates),
        "payee_npi": tx_col("payee_npi", hd.payees), "payment_method": tx_col("payment_method", hd.methods),
        "_row": rowpos[rc]})
    lines = pl.DataFrame({
        "remit_claim_id": rid(claim[rs]), "_tx": pl.Series(tx_idx[rs], dtype=pl.Int32),
        "line_number": _series("line_number", *number_views(line_no), _NO_BYTES),
        "procedure_code": col("procedure_code", (pst[:, 1], pen[:, 1]), NZ),
        "modifier_1": col("modifier_1", (pst[:, 2], pen[:, 2]), NZ),
        "modifier_2": col("modifier_2", (pst[:, 3], pen[:, 3]), NZ),
        "modifier_3": col("modifier_3", (pst[:, 4], pen[:, 4]), NZ),
        "modifier_4": col("modifier_4", (pst[:, 5], pen[:, 5]), NZ),
        "original_procedure_code": col("original_procedure_code", (ost[:, 1], oen[:, 1]), NZ),
        "units": ecol("units", rs, 5, NZ),
        "line_charge": col("line_charge", line_charge, NZ),
        "line_paid": col("line_paid", line_paid, NZ),
        "service_date": col("service_date", sdate, DATE_NZ),
        "_row": rowpos[rs]})

    def line_text(line_key: np.ndarray) -> pl.Series:
        return _series("line_number", *number_views(take(line_no, line_key)), _NO_BYTES)

    adjs = pl.DataFrame({
        "remit_claim_id": rid(claim[a_rows]), "_tx": pl.Series(tx_idx[a_rows], dtype=pl.Int32),
        "line_number": line_text(adj_line),
        "group_code": ecol("group_code", a_rows, 1, TXT),
        "carc": col("carc", carc_se, TXT),
        "amount": col("amount", amt_se, NZ),
        "quantity": col("quantity", E(a_rows, kk + 2), NZ),
        "_row": rowpos[a_rows]})
    remarks = pl.DataFrame({
        "remit_claim_id": rid(claim[rem_rows]), "_tx": pl.Series(tx_idx[rem_rows], dtype=pl.Int32),
        "line_number": line_text(line_of(rem_lid)),
        "rarc": col("rarc", rarc_se, TXT),
        "_row": rowpos[rem_rows]})
    # BPR02 = sum(CLP04) - sum(PLB): summed here unless a transaction is near or over the tolerance
    # (then finish sums them the reference way, so its warning says exactly the same)
    paid, plain = paid_by_tx(data, *E(rc, 4), claim_tx, m)
    paid_total = paid.tolist() if plain and provider is None else None
    if paid_total is not None:
        for t, h in enumerate(hd.hdr):
            bpr = h.get("bpr_amount")
            try:
                value = float(bpr) if bpr not in (None, "") else None
            except ValueError:
                value = None
            if value is not None and abs(value - paid_total[t]) >= TOLERANCE - _MARGIN:
                paid_total = None
                break
    return r835.finish(txs, results, hd, comp_s, remits, lines, adjs, remarks, provider,
                       np.zeros(m, dtype=np.int64), stray, bad_rendering, paid_total)
