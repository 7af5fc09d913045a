"""X12 tokenizer and envelope walker: bytes in, one `Transaction` (ST..SE) at a time out.

Design (docs/x12.md, "Reading the bytes"):
- The file is read in chunks (4 MiB) as bytes; only the current transaction's segments (and the
  finished one before it, until the next ST) are held in memory.
- Separators are found by content, never by fixed offsets: the element separator is the byte
  after `ISA`, ISA16 is found by counting 16 element separators (real files pad or do not pad
  ISA fields), the segment terminator is the byte after ISA16. When that byte is a line break
  and the next non-blank byte is punctuation (`...^\n~GS`), the punctuation is the terminator
  and the line breaks are layout. Every ISA re-reads the separators; an interchange with another
  terminator is cut off and read with its own. A file that starts at GS or ST gets its
  separators from its first segments.
- A chunk is cut into segments by a compiled loop (etl/x12/cut.py: string views into the chunk's
  bytes) when it is ASCII with a one-byte terminator and no control characters, else by polars'
  CSV reader (terminator as line end) when it has no control characters, else by str.split; text
  is UTF-8 when it decodes as UTF-8, else latin-1. All three give the same segments.
- Line breaks and blanks around segments are layout and are removed.
- Segment positions are 1-based over the whole file, counting non-empty segments.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import polars as pl

CHUNK = 1 << 22            # bytes read at a time
MAX_SEGMENT = 1 << 20      # a "segment" longer than this is garbage (binary, wrong terminator)
BOM = b"\xef\xbb\xbf"
_BLANK = " \t\r\n\x0b\x0c"
# Control characters that never occur in X12 text (separators are removed from this set per file).
_CONTROL = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\r\n") + "\x7f"


# the segments of a transaction before they are read (clear() of it is 30 times cheaper than
# building an empty frame, which a file of thousands of small transactions would do each time)
_NO_SEGMENTS = pl.DataFrame(schema={"s": pl.String})


@dataclass(frozen=True)
class Delimiters:
    element: str
    component: str
    segment: str
    repetition: str | None = None


@dataclass
class Problem:
    """A finding about a transaction: `key` says which rule (for lenient mode and extras)."""
    key: str
    position: int
    message: str


@dataclass
class Transaction:
    """One ST..SE transaction set, its segments (stripped text, no terminator) and its envelope."""
    st_id: str
    control: str
    version: str
    start: int
    delims: Delimiters
    gs_date: str | None = None
    gs_version: str | None = None
    # the segments (column "s": stripped text without terminator)
    frame: pl.DataFrame = field(default_factory=lambda: _NO_SEGMENTS.clear())
    end: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def segments(self) -> pl.Series:
        return self.frame["s"]

    @property
    def unit(self) -> str:
        return f"ST*{self.st_id}*{self.control} (segments {self.start}-{self.end})"


@dataclass
class FileProblem:
    """The file as a whole cannot be read (not X12, unreadable envelope)."""
    message: str


@dataclass
class Trailer:
    """Findings after the last transaction that have no transaction to attach to."""
    warnings: list[Problem] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# sniffing


def _strip_head(b: bytes) -> bytes:
    if b.startswith(BOM):
        b = b[3:]
    return b.lstrip(b" \t\r\n\x0b\x0c")


def is_x12(head: bytes) -> bool:
    """True when `head` (the first bytes of a file) looks like X12: an ISA, or a file that
    starts directly at GS or ST. A UTF-8 BOM and leading whitespace are tolerated."""
    h = _strip_head(bytes(head[:4096]))
    if h[:3] == b"ISA":
        sep = h[3:4]
        ok = h[4:6].isdigit() and h[6:7] == sep          # ISA01: two-digit qualifier
    elif h[:2] == b"GS":
        sep = h[2:3]
        ok = h[3:5].isalpha() and h[5:6] == sep          # GS01: two-letter functional id
    elif h[:2] == b"ST":
        sep = h[2:3]
        ok = h[3:6].isdigit() and h[6:7] == sep          # ST01: three-digit set id
    else:
        return False
    return ok and len(sep) == 1 and not sep.isalnum() and sep not in b" \t\r\n"


def _pick_terminator(text: str, q: int) -> str:
    """The segment terminator when the candidate at text[q] may be layout whitespace."""
    c = text[q] if q < len(text) else "~"
    if c not in _BLANK:
        return c
    j = q
    n = len(text)
    while j < n and text[j] in _BLANK and j - q < 64:
        j += 1
    nxt = text[j] if j < n else ""
    if nxt and not nxt.isalnum() and nxt not in _BLANK:
        return nxt          # "...:\n~GS": '~' terminates, the line break is layout
    return "\n"             # one segment per line, no terminator character


def parse_isa(text: str, start: int = 0) -> Delimiters | str:
    """Separators from an ISA starting at text[start]. Returns an error string when the ISA
    cannot be read. Works with non-fixed-width ISA fields."""
    if text[start:start + 3] != "ISA" or len(text) < start + 5:
        return "no ISA segment"
    es = text[start + 3]
    if es.isalnum() or es in _BLANK:
        return f"ISA element separator {es!r} is not a separator"
    p = start + 3
    limit = start + 400
    for k in range(15):
        p = text.find(es, p + 1, limit)
        if p < 0:
            return f"ISA has only {k + 1} of its 16 elements"
    # p is the separator before ISA16; ISA16 is one character
    if p + 1 >= len(text):
        return "ISA is cut off before ISA16"
    comp = text[p + 1]
    term = _pick_terminator(text, p + 2)
    if comp in _BLANK or comp.isalnum() and comp == term:
        return f"ISA16 component separator {comp!r} is not usable"
    if term == es or term == comp:
        return "ISA segment terminator equals another separator"
    fields = text[start:p + 1].split(es)
    rep = fields[11] if len(fields) > 11 else ""
    rep = rep if len(rep) == 1 and not rep.isalnum() and rep not in (es, comp, term) else None
    return Delimiters(es, comp, term, rep)


def _sniff_component(text: str, es: str, term: str) -> str:
    for tag, idx in (("SVC", 1), ("SV1", 1), ("SV2", 2), ("CLM", 5), ("PLB", 3), ("STC", 1)):
        at = text.find(tag + es)
        while at >= 0:
            seg_end = text.find(term, at)
            seg = text[at:seg_end if seg_end >= 0 else at + 300].split(es)
            if len(seg) > idx:
                for ch in seg[idx]:
                    if not ch.isalnum() and ch not in " .-":
                        return ch
            at = text.find(tag + es, at + 3)
            if at > 65536:
                break
    return ":"


def sniff_delimiters(text: str) -> Delimiters | str:
    """Separators of a text that starts (after BOM/whitespace) at ISA, GS or ST."""
    if text.startswith("ISA"):
        return parse_isa(text)
    if text[:2] not in ("GS", "ST") or len(text) < 4:
        return "the file does not start with ISA, GS or ST"
    es = text[2]
    term = ""
    for i in range(3, min(len(text), 600)):
        c = text[i]
        if c.isalnum() or c == es or c in " .-_/#&@()+,":
            continue
        term = _pick_terminator(text, i)
        break
    if not term:
        return "no segment terminator found in the first segment"
    return Delimiters(es, _sniff_component(text[:65536], es, term), term, None)


# ---------------------------------------------------------------------------------------------
# chunk sources


def _chunks(path: str | Path, data: bytes | None) -> Iterator[bytes]:
    if data is not None:
        mv = memoryview(data)
        for i in range(0, len(mv), CHUNK):
            yield bytes(mv[i:i + CHUNK])
        return
    with open(path, "rb") as fh:
        while True:
            b = fh.read(CHUNK)
            if not b:
                return
            yield b


def fix_text(s: str | None) -> str | None:
    """Undo the latin-1 decoding for UTF-8 text (names with accents)."""
    if not s or s.isascii():
        return s
    try:
        return s.encode("latin-1").decode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return s


def digits(v: str) -> bool:
    """Only ASCII digits 0-9 (and at least one). str.isdigit() alone also accepts '¹' or '٣',
    which int() then refuses: a fuzzed 837 with b'\\xb9' in a date raised inside the reader."""
    return v.isascii() and v.isdigit()


def _valid_id(seg_id: str) -> bool:
    return (2 <= len(seg_id) <= 3 and seg_id.isascii() and seg_id.isalnum()
            and seg_id[0].isalpha() and seg_id == seg_id.upper())


def segment_id(raw: str, es: str) -> str:
    i = raw.find(es, 0, 8)
    return raw if i < 0 else raw[:i]


# Segment ids the readers and the envelope know. A garbled segment that starts with one of them (and no letter
# after it) is named by it in its message: "'NM1' followed by ' ' instead of the element separator".
KNOWN_IDS = frozenset((
    "ISA", "IEA", "GS", "GE", "ST", "SE", "BHT", "BPR", "TRN", "CUR", "REF", "DTM", "DTP", "N1", "N2", "N3", "N4",
    "PER", "RDM", "LX", "TS3", "TS2", "CLP", "CAS", "NM1", "MIA", "MOA", "AMT", "QTY", "SVC", "LQ", "PLB", "HL",
    "PRV", "SBR", "PAT", "DMG", "CLM", "HI", "SV1", "SV2", "SV5", "CL1", "CR1", "CRC", "PWK", "K3", "NTE", "OI",
    "SVD", "LIN", "CTP", "CN1", "HCP", "STC", "MEA", "FRM", "LUI", "PS1"))


def _id_like(head: str) -> bool:
    """1-3 printable ASCII characters without blanks or lower-case letters: a broken segment id
    ('NM!', 'D!M'), not a piece of a value."""
    return (1 <= len(head) <= 3 and head.isascii() and head.isprintable() and " " not in head
            and head == head.upper())


def describe_garbage(raw: str, es: str) -> str:
    """What a message may say about a segment whose id is not an X12 segment id: at most its id,
    never an element. Such a segment may be a patient's NM1, DMG or N3 with one byte changed, and
    the message is logged and stored in the warehouse's quarantine, where patient data must never
    be (names, member ids, birth dates, addresses)."""
    i = raw.find(es) if es else -1
    head = raw if i < 0 else raw[:i]
    if _id_like(head):
        return f"its segment id {head!r} is not 2-3 upper-case letters and digits"
    for n in (3, 2):
        kid = raw[:n]
        if kid in KNOWN_IDS and len(raw) > n and not raw[n].isalpha():
            c = raw[n]
            after = ("a digit" if c.isdigit() else repr(c) if c.isascii() and c.isprintable()
                     else "a control character" if c.isascii() else "a non-ASCII character")
            return f"it starts with {kid!r} followed by {after} instead of the element separator {es!r}"
    return "it does not start with a segment id (2-3 upper-case letters and digits, then the element separator)"


def garbage_message(position: int, raw: str, es: str, more: int = 0) -> str:
    """The quarantine message for the first segment of a transaction that is not an X12 segment:
    its position and at most its id (describe_garbage), and how many more such segments there are."""
    tail = f" (and {more} more)" if more else ""
    return f"segment {position}: not an X12 segment: {describe_garbage(raw, es)}{tail}"


def bad_segment_rows(segments: pl.Series, es: str) -> list[int]:
    """Indexes of the segments whose id is not 2-3 upper-case letters and digits ending at the element
    separator (or at the end of the segment): 'NM1 IL*...', 'NM!*QC*...', 'CLPX*...'. Checked once per
    distinct 4-character start, as the 835 reader does."""
    valid = re.compile(r"[A-Z][A-Z0-9]{1,2}(?:" + re.escape(es) + r"|\Z)")
    k4 = segments.str.slice(0, 4)
    wrong = [t for t in k4.unique().to_list() if t is None or not valid.match(t)]
    if not wrong:
        return []
    return k4.is_in(wrong).arg_true().to_list()


# ---------------------------------------------------------------------------------------------
# the walker


def _control_re(d: Delimiters) -> str:
    seps = (d.element, d.component, d.segment, d.repetition or "")
    return "[" + re.escape("".join(c for c in _CONTROL if c not in seps)) + "]"


def _control_bytes(d: Delimiters) -> bytes:
    seps = (d.element, d.component, d.segment, d.repetition or "")
    return "".join(c for c in _CONTROL if c not in seps).encode("latin-1")


def _compiled():
    """etl/x12/cut.py, imported when X12 is first read (numba costs ~85 MB of memory and a moment
    to import: a load of CSV files never pays it)."""
    from etl.x12 import cut
    return cut


def _has_control(b: bytes, ctrl: bytes) -> bool:
    return _compiled().has_any(b, ctrl)


def _env_keys(es: str) -> list[str]:
    return ["ISA", "IEA", "GS" + es, "GE" + es, "ST" + es, "SE" + es, "GS", "GE", "ST", "SE"]


def _decode(b: bytes) -> str:
    """UTF-8 when the bytes are UTF-8 (names with accents), else latin-1 (never fails)."""
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return b.decode("latin-1")


def _split(b: bytes, term: str, plain: bool, es: str) -> tuple[pl.Series, list[int] | None]:
    """The non-empty segments of `b` (complete segments), layout whitespace removed, and the
    indexes of its envelope segments when they were found on the way (else None).

    `plain`: the bytes have no control characters. ASCII text with a one-byte terminator is then
    cut by a compiled loop into views of the bytes (etl/x12/cut.py); other plain text by polars'
    CSV reader (with the terminator as line end and a control character that does not occur as
    column separator); the rest by str.split. All three give the same segments."""
    tb = term.encode("latin-1")
    if tb not in b"\r\n" and (b"\n" in b or b"\r" in b):
        b = b.replace(b"\r", b"").replace(b"\n", b"")       # line breaks are layout, never data
    if plain:
        fast = _compiled().segments(b, tb, es.encode("latin-1"))
        if fast is not None:
            return fast
    head = b[:65536]
    pad = tb in b"\r\n" or (tb + b" ") in head or (tb + b"\t") in head or b[:1] in (b" ", b"\t")
    s = None
    if plain and len(b) > 4096:
        # a column separator that cannot occur: plain text has no control characters but the
        # file's own separators, which may be control characters themselves
        col_sep = next((c for c in "\x01\x02\x03\x04" if c.encode("latin-1") not in b), None)
        try:
            if col_sep is None:
                raise ValueError("no free column separator")
            s = pl.read_csv(io.BytesIO(b), has_header=False, separator=col_sep, eol_char=term, quote_char=None,
                            new_columns=["s"], schema={"s": pl.String}, infer_schema=False,
                            encoding="utf8", raise_if_empty=False)["s"]
        except Exception:     # not UTF-8, or anything the CSV reader does not take: the plain way
            s = None
    if s is None:
        parts = _decode(b).split(term)
        if parts and not parts[-1]:
            parts.pop()
        s = pl.Series("s", parts, dtype=pl.String)
    if not pad and len(b) > 65536:
        # indentation after the first 64 KiB: look at the first character of every segment
        pad = bool(s.str.slice(0, 1).is_in([" ", "\t"]).any())
    if pad:
        s = s.str.strip_chars()
    if s.len() and (s.is_null().any() or (s.str.len_bytes() == 0).any()):
        s = s.filter(s.str.len_bytes() > 0)
    return s, None


def walk(path: str | Path, data: bytes | None = None) -> Iterator[Transaction | FileProblem | Trailer]:
    """Yield each transaction of the file once its SE (or the reason it has none) is seen.

    The text is cut into segments a chunk at a time (one polars Series per chunk); only the
    envelope segments (ISA/GS/ST/SE/GE/IEA) are looked at one by one. Envelope findings that
    come after a transaction (GE/IEA counts, missing GE/IEA, stray segments) are attached as
    warnings to the last transaction read before them: a finished transaction is held until
    the next ST (or the end of the file), so at most one finished and one open transaction are
    in memory."""
    chunks = _chunks(path, data)
    head = b""
    for b in chunks:
        head += b
        if len(head) >= 8192:
            break
    head = _strip_head(head)
    if not head:
        yield FileProblem("the file is empty")
        return
    if not is_x12(head[:4096]):
        # no excerpt of the file: it may be anything, patient data included
        what = "binary data" if any(c < 0x20 and c not in (9, 10, 13) for c in head[:64]) else "text"
        yield FileProblem(f"not an X12 file (it does not start with ISA, GS or ST; it starts with {what})")
        return
    d = sniff_delimiters(head.decode("latin-1"))
    if isinstance(d, str):
        yield FileProblem(f"segment 1: cannot read the separators: {d}")
        return

    es, term = d.element, d.segment
    env = _env_keys(es)
    ctrl = _control_re(d)
    ctrl_bytes = _control_bytes(d)
    # control characters are looked for per chunk on the bytes (fast); when a chunk has some,
    # the segments of this and the next round are checked one by one
    ctrl_rounds = 2 if _has_control(head, ctrl_bytes) else 0
    buf = head
    del head
    tb = term.encode("latin-1")
    pos = 0                       # segments before the current chunk
    cur: Transaction | None = None
    parts: list[list] = []   # pieces of the open transaction: [chunk frame, offset, length]

    def add(chunk_: pl.DataFrame, off: int, length: int) -> None:
        """A piece of the open transaction; one that continues the last piece extends it."""
        if parts and parts[-1][0] is chunk_ and parts[-1][1] + parts[-1][2] == off:
            parts[-1][2] += length
        else:
            parts.append([chunk_, off, length])
    pending: Transaction | None = None
    trailer = Trailer()
    outside = outside_first = 0
    isa_control: str | None = None
    gs_control: str | None = None
    isa_groups = isa_pos = gs_count = gs_pos = 0
    in_isa = in_gs = False
    gs_date: str | None = None
    gs_version: str | None = None
    discarding = False
    eof = False
    switch: Delimiters | None = None   # separators of the next interchange, from the next round on
    reuse = True

    def warn_last(key: str, p: int, msg: str) -> None:
        target = cur if cur is not None else pending
        (target.warnings if target is not None else trailer.warnings).append(Problem(key, p, msg))

    def close(t: Transaction, p: int, what: str | None) -> Transaction:
        """Finish the open transaction: glue its pieces; `what` cut it off before its SE."""
        pieces = [c.slice(o, n) for c, o, n in parts]
        t.frame = pl.concat(pieces, rechunk=False) if len(pieces) != 1 else pieces[0]
        if what is not None:
            t.end = p - 1
            t.errors.append(Problem("truncated", p, f"segment {p}: {what} before the SE of this transaction "
                                    "(the transaction is cut off)"))
        return t

    while True:
        if switch is not None:
            # an interchange with other separators starts at the beginning of buf
            d, es, term = switch, switch.element, switch.segment
            tb = term.encode("latin-1")
            env, ctrl, ctrl_bytes = _env_keys(es), _control_re(d), _control_bytes(d)
            ctrl_rounds, switch = 2, None
        elif not reuse and not eof:
            try:
                b = next(chunks)
                if _has_control(b, ctrl_bytes):
                    ctrl_rounds = 2
                buf += b
                del b
            except StopIteration:
                eof = True
        reuse = False
        if eof:
            text, buf = buf, b""
        else:
            cut = buf.rfind(tb)
            if cut < 0:
                if len(buf) > MAX_SEGMENT:
                    # no terminator for a long stretch: binary data or a wrong terminator
                    if not discarding:
                        pos += 1
                        if cur is not None:
                            cur.errors.append(Problem("garbage", pos, f"segment {pos}: more than "
                                                      f"{MAX_SEGMENT} characters without a segment terminator "
                                                      "(binary data?)"))
                        else:
                            outside += 1
                            outside_first = outside_first or pos
                        discarding = True
                    buf = b""
                continue
            text, buf = buf[:cut + 1], buf[cut + 1:]
        if discarding:
            text = text[text.find(tb) + 1:]
            discarding = False
        # an interchange with another segment terminator: this round stops before its ISA
        off = _compiled().find(text, b"ISA", 0)
        while off >= 0:
            before = text[off - 1:off] if off else tb
            sep = text[off + 3:off + 4]
            if (before == tb or before in (b"\r", b"\n", b" ", b"\t")) and sep and not sep.isalnum():
                nd = parse_isa(text[off:off + 512].decode("latin-1"))
                if isinstance(nd, Delimiters) and nd.segment != term:
                    buf = text[off:] + buf
                    text = text[:off]
                    switch = nd
                    if eof:          # the rest is in buf now: read it in the next round
                        eof = False
                        chunks = iter(())
                    break
            off = _compiled().find(text, b"ISA", off + 1)
        if not text.strip():
            if eof and not buf:
                break
            continue
        check_ctrl = ctrl_rounds > 0
        seg, events = _split(text, term, not check_ctrl, es)
        n = seg.len()
        chunk = seg.to_frame()
        ctrl_rounds = max(0, ctrl_rounds - 1)
        if events is None:
            events = seg.str.slice(0, 3).is_in(env).arg_true().to_list()
        bad_rows = seg.str.contains(ctrl).arg_true().to_list() if check_ctrl else []
        cursor = 0                 # first segment of the chunk not yet given to a transaction
        bi = 0
        for j in events + [n]:
            # control characters inside the ordinary segments before j
            while bi < len(bad_rows) and bad_rows[bi] < j:
                b = bad_rows[bi]
                bi += 1
                if cur is not None:
                    sid = segment_id(seg[b], es)       # never the segment's elements: they may be patient data
                    where = f" in a {sid} segment" if _valid_id(sid) else ""
                    cur.errors.append(Problem("garbage", pos + b + 1, f"segment {pos + b + 1}: binary data or control "
                                              f"characters{where}"))
            if j > cursor:
                if cur is not None:
                    add(chunk, cursor, j - cursor)
                else:
                    outside += j - cursor
                    outside_first = outside_first or pos + cursor + 1
            if j == n:
                break
            cursor = j + 1
            raw = seg[j]
            p = pos + j + 1
            k = raw[:3]
            if k == "ISA":
                nd = parse_isa(raw + term)
                if isinstance(nd, str) or nd.segment != term:
                    warn_last("envelope", p, f"segment {p}: unreadable ISA ({nd}); the separators of the "
                              "previous interchange are kept")
                    nd = d
                if nd != d:
                    d, es = nd, nd.element
                    env, ctrl, ctrl_bytes = _env_keys(es), _control_re(nd), _control_bytes(nd)
                    ctrl_rounds = 2
                if cur is not None:
                    done = close(cur, p, "ISA")
                    if pending is not None:
                        yield pending
                    pending, cur, parts = done, None, []
                if in_gs:
                    warn_last("envelope", p, f"segment {p}: ISA before the GE of group {gs_control}")
                if in_isa:
                    warn_last("envelope", p, f"segment {p}: ISA before the IEA of interchange {isa_control}")
                f = raw.split(es)
                isa_control = f[13].strip() if len(f) > 13 else None
                isa_groups, isa_pos, in_isa, in_gs = 0, p, True, False
                continue
            f = raw.split(es)
            tag = f[0]
            if tag == "ST":
                if cur is not None:
                    done = close(cur, p, "the next ST")
                    if pending is not None:
                        yield pending
                    pending = done
                if pending is not None:
                    yield pending
                    pending = None
                version = (f[3].strip() if len(f) > 3 else "") or (gs_version or "")
                cur = Transaction(f[1].strip() if len(f) > 1 else "", f[2].strip() if len(f) > 2 else "",
                                  version, p, d, gs_date, gs_version)
                parts = []
                add(chunk, j, 1)
                gs_count += 1
            elif tag == "SE":
                if cur is None:
                    outside += 1
                    outside_first = outside_first or p
                    continue
                add(chunk, j, 1)
                cur.end = p
                close(cur, p, None)
                count = cur.frame.height
                se01 = f[1].strip() if len(f) > 1 else ""
                if not digits(se01) or int(se01) != count:
                    cur.errors.append(Problem("se_count", p, f"segment {p}: SE01 says {se01 or 'nothing'} "
                                              f"segments but the transaction has {count} (ST at segment "
                                              f"{cur.start} to SE at segment {p})"))
                se02 = f[2].strip() if len(f) > 2 else ""
                if se02 != cur.control:
                    cur.warnings.append(Problem("se_control", p, f"segment {p}: SE02 {se02!r} differs from "
                                                f"ST02 {cur.control!r}"))
                if pending is not None:
                    yield pending
                pending, cur, parts = cur, None, []
            elif tag == "GS":
                if cur is not None:
                    done = close(cur, p, "GS")
                    if pending is not None:
                        yield pending
                    pending, cur, parts = done, None, []
                if in_gs:
                    warn_last("envelope", p, f"segment {p}: GS before the GE of group {gs_control}")
                gs_date = f[4].strip() if len(f) > 4 else None
                gs_version = f[8].strip() if len(f) > 8 else None
                gs_control = f[6].strip() if len(f) > 6 else None
                gs_count, gs_pos, in_gs = 0, p, True
                isa_groups += 1
            elif tag == "GE":
                if cur is not None:
                    done = close(cur, p, "GE")
                    if pending is not None:
                        yield pending
                    pending, cur, parts = done, None, []
                ge01 = f[1].strip() if len(f) > 1 else ""
                if not digits(ge01) or int(ge01) != gs_count:
                    warn_last("ge_count", p, f"segment {p}: GE01 says {ge01 or 'nothing'} transactions but "
                              f"the group (GS at segment {gs_pos}) has {gs_count}")
                ge02 = f[2].strip() if len(f) > 2 else ""
                if gs_control is not None and ge02 != gs_control:
                    warn_last("ge_control", p, f"segment {p}: GE02 {ge02!r} differs from GS06 {gs_control!r}")
                in_gs = False
            elif tag == "IEA":
                if cur is not None:
                    done = close(cur, p, "IEA")
                    if pending is not None:
                        yield pending
                    pending, cur, parts = done, None, []
                if in_gs:
                    warn_last("envelope", p, f"segment {p}: IEA before the GE of group {gs_control}")
                    in_gs = False
                iea01 = f[1].strip() if len(f) > 1 else ""
                if not digits(iea01) or int(iea01) != isa_groups:
                    warn_last("iea_count", p, f"segment {p}: IEA01 says {iea01 or 'nothing'} groups but the "
                              f"interchange (ISA at segment {isa_pos}) has {isa_groups}")
                iea02 = f[2].strip() if len(f) > 2 else ""
                if isa_control is not None and iea02 != isa_control:
                    warn_last("iea_control", p, f"segment {p}: IEA02 {iea02!r} differs from ISA13 "
                              f"{isa_control!r}")
                in_isa = False
            else:           # e.g. "STX...": not an envelope segment after all
                if cur is not None:
                    add(chunk, j, 1)
                else:
                    outside += 1
                    outside_first = outside_first or p
        pos += n
        if outside:
            warn_last("outside", outside_first, f"segment {outside_first}: {outside} segment(s) outside any "
                      "ST..SE transaction were skipped")
            outside = outside_first = 0
        if eof:
            break
    if cur is not None:
        cur.end = pos
        close(cur, pos, None)
        cur.errors.append(Problem("truncated", pos, f"segment {pos}: the file ends inside this transaction "
                                  "(no SE: the file is truncated)"))
        if pending is not None:
            yield pending
        pending, cur = cur, None
    if in_gs:
        warn_last("envelope", pos, f"segment {pos}: the file ends without the GE of group {gs_control}")
    if in_isa:
        warn_last("envelope", pos, f"segment {pos}: the file ends without the IEA of interchange {isa_control}")
    if pending is not None:
        yield pending
    if trailer.warnings:
        yield trailer
