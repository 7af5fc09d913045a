"""The 835 reader's compiled path: the same rows, findings and counts as r835's columnar reader,
for the common case, at the speed of a compiled parser.

r835.read_835_many reads a group of transactions with polars expressions (about a hundred
operations, each a pass over the group). This module reads the same group with loops compiled
by numba: scan() walks the segment bytes once (each segment's kind, its loop: claim, line or
header, and where its element separators are); extract() walks the claims' segments once more,
in file order, and notes where every value the contract needs starts and ends (the first
rendering NPI and dates of a claim, a line's composite, dates and REF*6R, each CAS triple and
remark kept); views() then writes each column as Arrow string views into the same bytes, so no
segment or value ever becomes a Python string. It takes the common case only: text that is all
ASCII with one-byte separators, every segment id well formed, every SVC composite written with
the ISA's component separator, amounts written as plain decimals, every claim and line
balanced. For anything else `read` returns None and the caller reads the group the columnar
way, which is the reference: tests/test_x12_fast.py checks that both give the same Results on
every sample and fixture, and on generated and fuzzed files.

Element i of a segment is `segment.split(element_separator)[i]` (0 is the segment id); an
element beyond the last is missing (null), one that is there but empty is "". Values are built
in the modes below (what r835's `_get`, `_nz`, `_txt`, `iso_date` and `npi` do to them).

Kernels are written out in full loops: a numba function called per value with an array argument
costs several times the work it does (measured: 67 against 15 ns a value).
"""
from __future__ import annotations

import numba as nb
import numpy as np
import polars as pl
import pyarrow as pa

from etl.x12 import r835
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

# where the values are, as the reference reader reads them (one definition: r835's)
CAS_TRIPLES = np.array(r835.CAS_TRIPLES, dtype=np.int64)       # CAS reason, then amount and quantity after it
MIA_REMARKS = np.array(r835.MIA_REMARKS, dtype=np.int64)
MOA_REMARKS = np.array(r835.MOA_REMARKS, dtype=np.int64)
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
        # segment id: a capital letter, a capital or digit, then the separator, a third one or the end;
        # after a third one, the separator or the end ('CLP ' is not CLP)
        if L < 2 or not (65 <= data[a] <= 90) or not _an(data[a + 1]):
            ok = 0
        elif L >= 3 and not (data[a + 2] == es or _an(data[a + 2])):
            ok = 0
        elif L >= 4 and data[a + 2] != es and data[a + 3] != es:
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
def views(data, st, en, mode):
    """A String column as Arrow string views into `data` (no copy of the text), and its validity.
    A view is 16 bytes: the length, then the value inline when 12 bytes or fewer, else its first 4
    bytes, data buffer 0 and the offset. (Written out: this is the reader's busiest loop.)"""
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
def extract(data, offs, seps, sep_start, kind, claim, lid, order, es, comp, triples, mia, moa):
    """The rows of a group, in one pass over its segments in file order (the claims' and lines'
    segments are next to each other in memory, so the pass reads the bytes once, in order).

    Returns element bounds (start, end pairs; -1 missing) per claim, line, adjustment and remark:
      claims  CL (n, 16): CLP elements 0..7; REND (n, 2): the rendering NPI (NM109 of the first
              NM1*82 with NM108 XX, not in a line); DFROM, DTO (n, 2): the first claim-level
              DTM*232 / DTM*233 date
      lines   SV (n, 14): SVC elements 0..6; PARTS (n, 12): SVC01's components 0..5 (SVC01 stripped
              of blanks); OPARTS (n, 4): SVC06's components 0..1; DATE (n, 2): the first DTM*472
              date, else the first DTM*150 date (a 472 without a date falls back); REF6 (n, 2):
              the first REF*6R's value; LCLAIM, LORDER, LSEG: claim, order in the claim, segment
      adjustments AD (n, 8): group code, CARC, amount, quantity of each triple kept (a CARC or an
              amount there); ADSEG, ADCLAIM, ADLINE (-1: the claim's)
      remarks RM (n, 2): the RARC; RMSEG, RMCLAIM, RMLINE
    and `odd`: an SVC composite written with another separator than `comp` (left to the
    reference reader). Claim ids are 1..n in file order (scan()); the claim index is id - 1.
    triples, mia, moa: the elements of a CAS reason code, and of the MIA and MOA remarks."""
    n = offs.size - 1
    nc = 0
    ns = 0
    ncas = 0
    nrm = 0
    for i in range(n):
        k = kind[i]
        if k == 1:
            nc += 1
        elif claim[i] >= 0:
            if k == 6:
                ns += 1
            elif k == 7:                  # one row per triple the segment has (at most)
                nsep = sep_start[i + 1] - sep_start[i]
                ncas += 1
                for t in range(1, triples.size):
                    if nsep + 1 > triples[t]:
                        ncas += 1
            elif k == 11:
                nrm += mia.size
            elif k == 12:
                nrm += moa.size
            elif k == 13:
                nrm += 1
    CL = np.full((nc, 16), -1, np.int64)
    REND = np.full((nc, 2), -1, np.int64)
    DFROM = np.full((nc, 2), -1, np.int64)
    DTO = np.full((nc, 2), -1, np.int64)
    c_flags = np.zeros((nc, 3), np.bool_)              # rendering, 232, 233 found
    SV = np.full((ns, 14), -1, np.int64)
    PARTS = np.full((ns, 12), -1, np.int64)
    OPARTS = np.full((ns, 4), -1, np.int64)
    D472 = np.full((ns, 2), -1, np.int64)
    D150 = np.full((ns, 2), -1, np.int64)
    REF6 = np.full((ns, 2), -1, np.int64)
    l_flags = np.zeros((ns, 3), np.bool_)              # 472, 150, REF*6R found
    LCLAIM = np.empty(ns, np.int64)
    LORDER = np.empty(ns, np.int64)
    LSEG = np.empty(ns, np.int64)
    AD = np.empty((ncas, 8), np.int64)                # every field of a kept row is written
    ADSEG = np.empty(ncas, np.int64)
    ADCLAIM = np.empty(ncas, np.int64)
    ADLINE = np.empty(ncas, np.int64)
    RM = np.empty((nrm, 2), np.int64)
    RMSEG = np.empty(nrm, np.int64)
    RMCLAIM = np.empty(nrm, np.int64)
    RMLINE = np.empty(nrm, np.int64)
    eb = np.full(52, -1, np.int64)                      # bounds of the current segment's elements 0..25
    prev_ne = 26
    odd = False
    li = -1
    na = 0
    nr = 0
    for i in range(n):
        k = kind[i]
        if k == 0 or k == 2 or k == 3 or k == 4 or k == 5 or k >= 14 or claim[i] < 0:
            continue
        a = offs[i]
        b = offs[i + 1]
        f = sep_start[i]
        nsep = sep_start[i + 1] - f
        ne = nsep + 1
        if ne > 26:
            ne = 26
        for e in range(ne):
            eb[2 * e] = a if e == 0 else seps[f + e - 1] + 1
            eb[2 * e + 1] = seps[f + e] if e < nsep else b
        for e in range(ne, prev_ne):                                       # the rest stays -1
            eb[2 * e] = -1
            eb[2 * e + 1] = -1
        prev_ne = ne
        ci = claim[i] - 1
        in_line = lid[i] >= 0
        if k == 1:                                                        # CLP
            for e in range(8):
                CL[ci, 2 * e] = eb[2 * e]
                CL[ci, 2 * e + 1] = eb[2 * e + 1]
        elif k == 10:                                                     # NM1*82*, NM108 XX
            if in_line or c_flags[ci, 0] or nsep < 2:
                continue
            if not (eb[1] - eb[0] == 3 and data[eb[0]] == 78 and data[eb[0] + 1] == 77 and data[eb[0] + 2] == 49):
                continue
            if not (eb[3] - eb[2] == 2 and data[eb[2]] == 56 and data[eb[2] + 1] == 50):
                continue
            if not (eb[16] >= 0 and eb[17] - eb[16] == 2 and data[eb[16]] == 88 and data[eb[16] + 1] == 88):
                continue
            c_flags[ci, 0] = True
            REND[ci, 0] = eb[18]
            REND[ci, 1] = eb[19]
        elif k == 8:                                                      # DTM
            if eb[2] < 0 or eb[3] - eb[2] != 3:
                continue
            q0 = data[eb[2]]
            q1 = data[eb[2] + 1]
            q2 = data[eb[2] + 2]
            if not in_line:
                if q0 == 50 and q1 == 51 and q2 == 50 and not c_flags[ci, 1]:            # 232
                    c_flags[ci, 1] = True
                    DFROM[ci, 0] = eb[4]
                    DFROM[ci, 1] = eb[5]
                elif q0 == 50 and q1 == 51 and q2 == 51 and not c_flags[ci, 2]:          # 233
                    c_flags[ci, 2] = True
                    DTO[ci, 0] = eb[4]
                    DTO[ci, 1] = eb[5]
            else:
                if q0 == 52 and q1 == 55 and q2 == 50 and not l_flags[li, 0]:            # 472
                    l_flags[li, 0] = True
                    D472[li, 0] = eb[4]
                    D472[li, 1] = eb[5]
                elif q0 == 49 and q1 == 53 and q2 == 48 and not l_flags[li, 1]:          # 150
                    l_flags[li, 1] = True
                    D150[li, 0] = eb[4]
                    D150[li, 1] = eb[5]
        elif k == 6:                                                      # SVC
            li += 1
            LCLAIM[li] = ci
            LORDER[li] = order[i]
            LSEG[li] = i
            for e in range(7):
                SV[li, 2 * e] = eb[2 * e]
                SV[li, 2 * e + 1] = eb[2 * e + 1]
            for which in range(2):
                ca = eb[2] if which == 0 else eb[12]
                cb = eb[3] if which == 0 else eb[13]
                if ca < 0:
                    continue
                has = False
                for j in range(ca, cb):
                    if data[j] == comp:
                        has = True
                        break
                if not has and cb - ca > 3:
                    c = data[ca + 2]
                    if not (_an(c) or (97 <= c <= 122) or c == 32):
                        odd = True
                while ca < cb and (data[ca] == 32 or 9 <= data[ca] <= 13):
                    ca += 1
                while cb > ca and (data[cb - 1] == 32 or 9 <= data[cb - 1] <= 13):
                    cb -= 1
                width = 6 if which == 0 else 2
                q = 0
                s0 = ca
                for j in range(ca, cb + 1):
                    if j == cb or data[j] == comp:
                        if q < width:
                            if which == 0:
                                PARTS[li, 2 * q] = s0
                                PARTS[li, 2 * q + 1] = j
                            else:
                                OPARTS[li, 2 * q] = s0
                                OPARTS[li, 2 * q + 1] = j
                        q += 1
                        s0 = j + 1
        elif k == 9:                                                      # REF*6R* (in a line)
            if not in_line or l_flags[li, 2] or nsep < 2:
                continue
            if not (eb[1] - eb[0] == 3 and data[eb[0]] == 82 and data[eb[0] + 1] == 69 and data[eb[0] + 2] == 70):
                continue
            if not (eb[3] - eb[2] == 2 and data[eb[2]] == 54 and data[eb[2] + 1] == 82):
                continue
            l_flags[li, 2] = True
            REF6[li, 0] = eb[4]
            REF6[li, 1] = eb[5]
        elif k == 7:                                                      # CAS
            for t in range(triples.size):
                kk = triples[t]
                if t > 0 and nsep + 1 <= kk:
                    break
                # kept when the CARC (stripped) or the amount is not empty
                ca = eb[2 * kk]
                cb = eb[2 * kk + 1]
                while ca >= 0 and ca < cb and (data[ca] == 32 or 9 <= data[ca] <= 13):
                    ca += 1
                while ca >= 0 and cb > ca and (data[cb - 1] == 32 or 9 <= data[cb - 1] <= 13):
                    cb -= 1
                carc_there = ca >= 0 and cb > ca
                amt_there = eb[2 * kk + 2] >= 0 and eb[2 * kk + 3] > eb[2 * kk + 2]
                if not (carc_there or amt_there):
                    continue
                AD[na, 0] = eb[2]
                AD[na, 1] = eb[3]
                AD[na, 2] = eb[2 * kk]
                AD[na, 3] = eb[2 * kk + 1]
                AD[na, 4] = eb[2 * kk + 2]
                AD[na, 5] = eb[2 * kk + 3]
                AD[na, 6] = eb[2 * kk + 4]
                AD[na, 7] = eb[2 * kk + 5]
                ADSEG[na] = i
                ADCLAIM[na] = ci
                ADLINE[na] = li if in_line else -1
                na += 1
        else:                                                             # MIA, MOA, LQ*HE
            for t in range(mia.size if k == 11 else moa.size if k == 12 else 1):
                if k == 13:
                    if t > 0 or not (eb[3] - eb[2] == 2 and data[eb[2]] == 72 and data[eb[2] + 1] == 69):
                        break
                    e = 2
                else:
                    e = mia[t] if k == 11 else moa[t]
                ra = eb[2 * e]
                rb = eb[2 * e + 1]
                while ra >= 0 and ra < rb and (data[ra] == 32 or 9 <= data[ra] <= 13):
                    ra += 1
                while ra >= 0 and rb > ra and (data[rb - 1] == 32 or 9 <= data[rb - 1] <= 13):
                    rb -= 1
                if ra < 0 or rb == ra:
                    continue
                RM[nr, 0] = eb[2 * e]
                RM[nr, 1] = eb[2 * e + 1]
                RMSEG[nr] = i
                RMCLAIM[nr] = ci
                RMLINE[nr] = li if (k == 13 and in_line) else -1
                nr += 1
    return (CL, REND, DFROM, DTO, SV, PARTS, OPARTS, D472, D150, REF6, LCLAIM, LORDER, LSEG,
            AD[:na], ADSEG[:na], ADCLAIM[:na], ADLINE[:na], RM[:nr], RMSEG[:nr], RMCLAIM[:nr], RMLINE[:nr], odd)


@nb.njit(**_JIT)
def picked_views(buf, boffs, bvalid, at):
    """A column whose row r is value at[r] of a list of values (buf[boffs[t]:boffs[t+1]]; null
    where not bvalid[t]): a transaction's value for each of its claims, a claim's id for each of
    its rows. One view per row, the text once."""
    n = at.size
    v = np.zeros(n * 16, np.uint8)
    valid = np.zeros(n, np.bool_)
    for r in range(n):
        t = at[r]
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


@nb.njit(**_JIT)
def numbers(data, bounds):
    """The values data[start:end] of an (n, 2) bounds array read as numbers: state 1 and the value
    for a plain decimal ([+-]digits[.digits], or .digits), 0 for no number (missing, empty or not
    one), 2 for what a float parser might still read differently (an exponent, inf, nan, more than
    15 digits). (One loop, written out: see the module's note.)"""
    n = bounds.shape[0]
    state = np.zeros(n, np.int8)
    value = np.zeros(n, np.float64)
    for r in range(n):
        a = bounds[r, 0]
        b = bounds[r, 1]
        if a < 0 or a >= b:
            continue
        j = a
        neg = False
        if data[j] == 43 or data[j] == 45:
            neg = data[j] == 45
            j += 1
        mant = 0
        nd = 0
        frac = 0
        dot = False
        st = 1
        while j < b:
            c = data[j]
            if 48 <= c <= 57:
                mant = mant * 10 + (c - 48)
                nd += 1
                if dot:
                    frac += 1
                if nd > 15:
                    st = 2
                    break
            elif c == 46 and not dot:
                dot = True
            else:
                st = 0
                for q in range(a, b):
                    c2 = data[q] | 32
                    if c2 == 101 or c2 == 105 or c2 == 110:      # e, i(nf), n(an)
                        st = 2
                        break
                break
            j += 1
        if st == 1 and nd == 0:
            st = 0
        state[r] = st
        if st == 1:
            v = mant / 10.0 ** frac              # an exact integer over an exact power of ten: correctly rounded
            value[r] = -v if neg else v
    return state, value


@nb.njit(**_JIT)
def paid_by_tx(state, value, tx, m):
    """The sum of the claims' paid amounts per transaction (CLP04), and whether every amount was a
    plain decimal or empty (else a float parser might read one differently: the caller sums them
    the reference way)."""
    out = np.zeros(m, np.float64)
    for r in range(state.size):
        if state[r] == 2:
            return out, False
        if state[r] == 1:
            out[tx[r]] += value[r]
    return out, True


@nb.njit(**_JIT)
def balanced(charge_state, charge, paid_state, paid, adj_state, adj, adj_of, n_of):
    """Do the rows (claims or lines) balance: charge - paid = the sum of their adjustments (to the
    cent, with a margin)? adj_of[r]: the row each adjustment amount belongs to (-1: none).
    Returns False when one does not, or when an amount is not a plain decimal."""
    sums = np.zeros(n_of, np.float64)
    for r in range(adj_state.size):
        if adj_of[r] < 0:
            continue
        if adj_state[r] == 2:
            return False
        sums[adj_of[r]] += adj[r]
    for r in range(n_of):
        if charge_state[r] == 2 or paid_state[r] == 2:
            return False
        if charge_state[r] == 1 and paid_state[r] == 1 and abs(charge[r] - paid[r] - sums[r]) >= TOLERANCE - _MARGIN:
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


def _series(name: str, views_: np.ndarray, valid: np.ndarray | None, buffer: np.ndarray) -> pl.Series:
    """A polars String column from Arrow string views into `buffer` (polars keeps the views and the
    buffer as they are: no copy)."""
    n = views_.size // 16
    nulls = 0 if valid is None else n - int(np.count_nonzero(valid))
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
    arr = pa.Array.from_buffers(pa.string_view(), n, [bitmap, pa.py_buffer(views_), pa.py_buffer(buffer)],
                                null_count=nulls)
    return pl.Series(name, arr, dtype=pl.String)


# ---------------------------------------------------------------------------------------------
# the reader


def read(txs: list[Transaction], ctx: ReadContext) -> list[Result] | None:
    """Read a group of consecutive 835 transactions (same separators) in the common case; None when
    the group is not (the caller reads it with r835's columnar reader)."""
    tx0 = txs[0]
    es_s, comp_s = tx0.delims.element, tx0.delims.component
    if len(es_s.encode("utf-8")) != 1 or len(comp_s.encode("utf-8")) != 1 or ord(es_s) < 32 or ord(comp_s) < 32:
        return None
    es, comp = ord(es_s), ord(comp_s)
    m = len(txs)
    tx_idx, rowpos, first = r835.group_layout(txs)
    seg_col = pl.concat([t.frame["s"] for t in txs], rechunk=False) if m > 1 else tx0.frame["s"]
    data, offs = _buffers(seg_col)
    if data.size >= 1 << 31:               # views address their text with 32-bit offsets
        return None

    if data.size and data.max() >= 128:     # not ASCII
        return None
    kind, claim, lid, order, hdr_np, seps, sep_start, ok = scan(data, offs, first, es)
    if not ok:
        return None

    def col(name: str, se: np.ndarray, mode: int) -> pl.Series:
        """A column from value bounds (an (n, 2) array of start, end)."""
        return _series(name, *views(data, np.ascontiguousarray(se[:, 0]), np.ascontiguousarray(se[:, 1]), mode),
                       data)

    def el(bounds: np.ndarray, e: int) -> np.ndarray:
        """The (start, end) columns of element e in a bounds array."""
        return bounds[:, 2 * e:2 * e + 2]

    results = [Result() for _ in txs]
    in_claim = claim >= 0
    stray = np.bincount(tx_idx[((kind == SVC) | (kind == CAS) | (kind == MIA) | (kind == MOA) | (kind == LQ))
                               & ~in_claim], minlength=m)
    # header: a few segments per transaction, read in Python
    hsegs = np.flatnonzero(hdr_np & ((kind == BPR) | (kind == TRN) | (kind == N1) | (kind == REF) | (kind == DTM)))
    hd = r835.read_header(txs, ctx, es_s, ((int(tx_idx[i]), data[offs[i]:offs[i + 1]].tobytes().decode("ascii"),
                                        int(rowpos[i])) for i in hsegs.tolist()))

    (CL, REND, DFROM, DTO, SV, PARTS, OPARTS, D472, D150, REF6, LCLAIM, LORDER, LSEG,
     AD, ADSEG, ADCLAIM, ADLINE, RM, RMSEG, RMCLAIM, RMLINE, odd) = extract(
        data, offs, seps, sep_start, kind, claim, lid, order, es, comp, CAS_TRIPLES, MIA_REMARKS, MOA_REMARKS)
    if odd:
        return None
    # balancing: charge - paid = the adjustments, per claim and per line (else the reference reads it)
    amounts = numbers(data, el(AD, 2))
    claim_paid = numbers(data, el(CL, 4))
    if not balanced(*numbers(data, el(CL, 3)), *claim_paid, *amounts, ADCLAIM, CL.shape[0]):
        return None
    if not balanced(*numbers(data, el(SV, 2)), *numbers(data, el(SV, 3)), *amounts, ADLINE, SV.shape[0]):
        return None

    # ------------------------------------------------------------------ ids
    rc = np.flatnonzero(kind == CLP)
    n_claims = rc.size                     # claim ids are 1..n_claims in file order
    nclaims = np.bincount(tx_idx[rc], minlength=m)
    cbase = np.cumsum(nclaims) - nclaims
    claim_tx = tx_idx[rc]
    claim_no = np.arange(1, n_claims + 1, dtype=np.int64) - cbase[claim_tx]
    # (asked for last: the file's hash may still be being computed beside the reading)
    prefix = [p.encode("utf-8") for p in hd.prefixes]
    prefix_bytes = np.frombuffer(b"".join(prefix), dtype=np.uint8) if any(prefix) else np.zeros(0, np.uint8)
    prefix_offs = np.concatenate(([0], np.cumsum([len(p) for p in prefix]))).astype(np.int64)
    id_bytes, id_offs = claim_ids(prefix_bytes, prefix_offs, claim_tx, claim_no)
    all_ids = np.ones(n_claims, dtype=np.bool_)

    def rid(claim_index: np.ndarray) -> pl.Series:
        """remit_claim_id of claims (0-based): views of each claim's id, written once."""
        return _series("remit_claim_id", *picked_views(id_bytes, id_offs, all_ids, claim_index), id_bytes)

    line_no = line_numbers(data, REF6[:, 0].copy(), REF6[:, 1].copy(), LCLAIM, LORDER)

    def line_text(line_index: np.ndarray) -> pl.Series:
        return _series("line_number", *number_views(take(line_no, line_index)), _NO_BYTES)

    # ------------------------------------------------------------------ provider adjustments (PLB)
    rp = np.flatnonzero(kind == PLB)
    provider = None
    if rp.size:
        plb = pl.DataFrame({"_tx": pl.Series(tx_idx[rp], dtype=pl.Int32), "_row": rowpos[rp],
                            "s": col("s", np.stack([offs[:-1][rp], offs[1:][rp]], axis=1), RAW)})
        provider = r835.provider_adjustments(plb, es_s, comp_s)

    # ------------------------------------------------------------------ the contract's rows
    def tx_col(name: str, per: list[str | None]) -> pl.Series:
        """A column of each claim's transaction's value."""
        enc = [(v or "").encode("utf-8") for v in per]
        buf = np.frombuffer(b"".join(enc) or b"\0", dtype=np.uint8)
        boffs = np.concatenate(([0], np.cumsum([len(e) for e in enc]))).astype(np.int64)
        return _series(name, *picked_views(buf, boffs, np.array([v is not None for v in per], dtype=np.bool_),
                                       claim_tx), buf)

    rendering = col("rendering_npi", REND, NPI)
    # a rendering NPI there (blanks stripped) but not 10 digits: counted as malformed, then null
    written = views(data, REND[:, 0].copy(), REND[:, 1].copy(), STRIP)[1]
    bad_rendering = np.bincount(claim_tx[written & rendering.is_null().to_numpy()], minlength=m)
    remits = pl.DataFrame({
        "remit_claim_id": rid(np.arange(n_claims)), "_tx": pl.Series(claim_tx, dtype=pl.Int32),
        "patient_control_number": col("patient_control_number", el(CL, 1), TXT),
        "claim_status": col("claim_status", el(CL, 2), ZTXT),
        "claim_charge": col("claim_charge", el(CL, 3), NZ),
        "claim_paid": col("claim_paid", el(CL, 4), NZ),
        "patient_responsibility": col("patient_responsibility", el(CL, 5), NZ),
        "payer_claim_number": col("payer_claim_number", el(CL, 7), TXT),
        "filing_indicator": col("filing_indicator", el(CL, 6), TXT),
        "rendering_npi": rendering,
        "service_date_from": col("service_date_from", DFROM, DATE),
        "service_date_to": col("service_date_to", DTO, DATE),
        "payer_id": tx_col("payer_id", [p.payer_id for p in hd.payers]),
        "trace_number": tx_col("trace_number", hd.traces), "remit_date": tx_col("remit_date", hd.remit_dates),
        "payee_npi": tx_col("payee_npi", hd.payees), "payment_method": tx_col("payment_method", hd.methods),
        "_row": rowpos[rc]})
    lines = pl.DataFrame({
        "remit_claim_id": rid(LCLAIM), "_tx": pl.Series(tx_idx[LSEG], dtype=pl.Int32),
        "line_number": _series("line_number", *number_views(line_no), _NO_BYTES),
        "procedure_code": col("procedure_code", el(PARTS, 1), NZ),
        "modifier_1": col("modifier_1", el(PARTS, 2), NZ),
        "modifier_2": col("modifier_2", el(PARTS, 3), NZ),
        "modifier_3": col("modifier_3", el(PARTS, 4), NZ),
        "modifier_4": col("modifier_4", el(PARTS, 5), NZ),
        "original_procedure_code": col("original_procedure_code", el(OPARTS, 1), NZ),
        "units": col("units", el(SV, 5), NZ),
        "line_charge": col("line_charge", el(SV, 2), NZ),
        "line_paid": col("line_paid", el(SV, 3), NZ),
        # the first DTM*472's date, else the first DTM*150's
        "service_date": col("service_date", np.where(D472[:, :1] >= 0, D472, D150), DATE_NZ),
        "_row": rowpos[LSEG]})
    adjs = pl.DataFrame({
        "remit_claim_id": rid(ADCLAIM), "_tx": pl.Series(tx_idx[ADSEG], dtype=pl.Int32),
        "line_number": line_text(ADLINE),
        "group_code": col("group_code", el(AD, 0), TXT),
        "carc": col("carc", el(AD, 1), TXT),
        "amount": col("amount", el(AD, 2), NZ),
        "quantity": col("quantity", el(AD, 3), NZ),
        "_row": rowpos[ADSEG]})
    remarks = pl.DataFrame({
        "remit_claim_id": rid(RMCLAIM), "_tx": pl.Series(tx_idx[RMSEG], dtype=pl.Int32),
        "line_number": line_text(RMLINE),
        "rarc": col("rarc", RM, TXT),
        "_row": rowpos[RMSEG]})

    # BPR02 = sum(CLP04) - sum(PLB): summed here unless a transaction is near or over the tolerance
    # (then finish sums them the reference way, so its warning says exactly the same)
    paid, plain = paid_by_tx(*claim_paid, claim_tx, m)
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
