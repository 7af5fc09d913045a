"""835 (health care claim payment/advice, 005010X221A1 and 004010X091A1) -> remits,
remit_lines, remit_adjustments, remit_remarks, provider_adjustments (+ the payer reference row).

Columnar: the transaction's segments are one polars column. Loop membership is computed on
the whole column (a claim is open from its CLP until the next CLP, LX, TS3/TS2 or PLB; a service
line from its SVC until the next SVC or the end of its claim), then each kind of row is taken
from the segments it comes from, element by element. No Python code runs per segment.

A group in the common case is read by the compiled path (etl/x12/fast835.py), several times
faster; this columnar reader is its reference (identical Results: tests/test_x12_fast.py) and
reads everything else. docs/x12.md has the measurements.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import polars as pl

from etl.x12.common import ReadContext, Result, clean_date, frame, iso_date, npi
from etl.x12.tokenizer import Problem, Transaction, bad_segment_rows, digits, fix_text, garbage_message

CAS_TRIPLES = (2, 5, 8, 11, 14, 17)          # CAS02/05/08/11/14/17: reason, amount, quantity
_PLB_PAIRS = (3, 5, 7, 9, 11, 13)             # PLB03/05/...: reason[:reference], amount
MIA_REMARKS = (5, 20, 21, 22, 23)
MOA_REMARKS = (3, 4, 5, 6, 7)
_TOLERANCE = 0.005
log = logging.getLogger(__name__)
# read a group with the compiled reader when it is in its common case (etl/x12/fast835.py); the
# columnar reader below is the reference it is tested against, and reads everything else
FAST = True                            # "to the cent"

_E = pl.col("e")
_S = pl.col("s")


def _get(i: int) -> pl.Expr:
    return _E.list.get(i, null_on_oob=True)


def _txt(name: str) -> pl.Expr:
    """Stripped text, empty -> null."""
    c = pl.col(name).str.strip_chars()
    return pl.when(c != "").then(c).alias(name)


def _nz(name: str) -> pl.Expr:
    """Empty -> null (values the file writes without padding: amounts, dates, codes)."""
    c = pl.col(name)
    return pl.when(c != "").then(c).alias(name)


def _first(frame_: pl.DataFrame, key: str) -> pl.DataFrame:
    """The first row per key of a frame whose key ascends (rows are in file order): cheaper than unique()."""
    c = pl.col(key)
    return frame_.filter(c.ne_missing(c.shift(1)))


def read_835(tx: Transaction, ctx: ReadContext) -> Result:
    """One transaction (read_835_many with a group of one)."""
    return read_835_many([tx], ctx)[0]


def _per_tx(tx_col: pl.Series, m: int) -> np.ndarray:
    """How many rows of a frame belong to each of the m transactions (`_tx` column)."""
    if not tx_col.len():
        return np.zeros(m, dtype=np.int64)
    return np.bincount(tx_col.to_numpy(), minlength=m)


def _pieces(df: pl.DataFrame, counts: np.ndarray) -> list[pl.DataFrame | None]:
    """Cut a frame whose rows are grouped by transaction (in order) into one slice per transaction."""
    out: list[pl.DataFrame | None] = []
    off = 0
    for c in counts.tolist():
        out.append(df.slice(off, c) if c else None)
        off += c
    return out


@dataclass
class _Head:
    """What the header of each transaction (before its first claim) says."""
    hdr: list[dict]
    payers: list
    remit_dates: list
    payees: list
    traces: list
    methods: list
    controls: list
    bad_npis: list
    ctx: ReadContext

    @property
    def prefixes(self) -> list[str]:
        """The start of each transaction's remit_claim_ids: the file's hash (which may still be being
        computed: asked for as late as possible) and the ST02 control number."""
        return [f"{self.ctx.file_hash}:{c}:" for c in self.controls]


def read_header(txs: list[Transaction], ctx: ReadContext, es: str, segments) -> _Head:
    """The header values of each transaction from its BPR, TRN, N1, REF and DTM segments before the
    first claim: `segments` yields (transaction index, segment text, segment position) in file order."""
    hdr: list[dict] = [{"payer_row": t.start, "loop": ""} for t in txs]
    for t, raw, row in segments:
        h = hdr[t]
        e = raw.split(es)
        g, n_e = e[0], len(e)
        if g == "BPR":
            h["bpr_amount"] = e[2] if n_e > 2 else None
            h["method"] = e[4] if n_e > 4 else None
            h["bpr_date"] = e[16] if n_e > 16 else None
        elif g == "TRN":
            h["trace"] = h.get("trace") or (e[2] if n_e > 2 else None)
        elif g == "N1":
            h["loop"] = loop = e[1] if n_e > 1 else ""
            if loop == "PR":
                h["payer_name"] = e[2] if n_e > 2 else None
                h["payer_n104"] = e[4] if n_e > 4 else None
                h["payer_row"] = row
            elif loop == "PE" and n_e > 4 and e[3] == "XX":
                h["payee_npi"] = e[4]
        elif g == "REF" and h["loop"] == "PR" and n_e > 2 and e[1] == "2U":
            h["payer_2u"] = e[2]
        elif g == "DTM" and n_e > 2:
            if e[1] == "405":
                h["dtm405"] = e[2]
            elif e[1] == "050":
                h["dtm050"] = e[2]
    payers, remit_dates, payees, traces, methods, bad_npis = [], [], [], [], [], []
    for tx, h in zip(txs, hdr):
        payers.append(ctx.mapping.payer((h.get("payer_n104") or "").strip() or (h.get("payer_2u") or "").strip()
                                        or None, fix_text(h.get("payer_name"))))
        bpr_date, dtm405, dtm050 = h.get("bpr_date"), h.get("dtm405"), h.get("dtm050")
        remit_date = None
        for cand in (bpr_date, dtm405, dtm050, tx.gs_date):
            v = clean_date(cand)
            if v and len(v) == 10 and v[4] == "-":
                remit_date = v
                break
        if remit_date is None:
            remit_date = clean_date(bpr_date or dtm405 or dtm050)
        remit_dates.append(remit_date)
        payee = (h.get("payee_npi") or "").strip()
        bad_npis.append(int(bool(payee) and not (len(payee) == 10 and digits(payee))))
        payees.append(payee if len(payee) == 10 and digits(payee) else None)
        traces.append((h.get("trace") or "").strip() or None)
        methods.append((h.get("method") or "").strip() or None)
    return _Head(hdr, payers, remit_dates, payees, traces, methods, [tx.control for tx in txs], bad_npis, ctx)


def per_tx(values: list, dtype=pl.String) -> pl.Expr:
    """A value of each row's transaction (column _tx)."""
    return pl.lit(pl.Series(values, dtype=dtype)).gather(pl.col("_tx"))


def provider_adjustments(plb: pl.DataFrame, es: str, comp: str) -> pl.DataFrame | None:
    """PLB segments (columns _tx, _row, s) -> one row per reason/amount pair (None: no PLB)."""
    plb = plb.select("_tx", "_row", e=_S.str.split(es)).with_columns(_n=_E.list.len())
    pparts = []
    for i, kk in enumerate(_PLB_PAIRS):
        sub = plb.filter(pl.col("_n") > kk)
        if not sub.height:
            break
        pparts.append(sub.select("_tx", "_row", _k=pl.lit(i, pl.Int32), payee_npi=_get(1), _date=_get(2),
                                 _rc=_get(kk), amount=_get(kk + 1)))
    provider = None
    if pparts:
        provider = (pl.concat(pparts).sort("_row", "_k")
                    .with_columns(_rc=pl.col("_rc").str.split(comp))
                    .with_columns(reason_code=pl.col("_rc").list.get(0, null_on_oob=True),
                                  reference=pl.col("_rc").list.get(1, null_on_oob=True))
                    .with_columns(_txt("payee_npi"), _txt("reason_code"), _txt("reference"), _nz("amount"))
                    .filter(pl.col("reason_code").is_not_null() | pl.col("amount").is_not_null()))
    return provider


def group_layout(txs: list[Transaction]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each segment of a group of transactions (concatenated in order) comes from: its
    transaction's index, its position in the file (1-based, as in the findings) and whether it is
    its transaction's first (its ST)."""
    lens = np.array([t.frame.height for t in txs], dtype=np.int64)
    starts = np.array([t.start for t in txs], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(lens)[:-1]))
    tx_idx = np.repeat(np.arange(len(txs), dtype=np.int32), lens)
    rowpos = np.arange(int(lens.sum()), dtype=np.int64) + np.repeat(starts - offsets, lens)
    first = np.zeros(tx_idx.size, dtype=bool)
    first[offsets[lens > 0]] = True
    return tx_idx, rowpos, first


def read_835_many(txs: list[Transaction], ctx: ReadContext) -> list[Result]:
    """Read consecutive 835 transactions that share their separators in one columnar pass.

    The segments of all of them are one polars column with a transaction index `_tx`; loops never
    cross a transaction (every forward fill restarts at the transaction's first segment), claim
    and line ids are unique across the group, and every finding, count and frame is then cut back
    per transaction: the Results are exactly those of reading each transaction on its own, but
    the per-operation cost of polars is paid once per group instead of once per transaction
    (files with many small transactions were 10 times slower per claim)."""
    if FAST:
        from etl.x12 import fast835    # here: numba is imported when an 835 is read, not with the package
        try:
            res = fast835.read(txs, ctx)
        except Exception:      # a bug of the compiled path must not cost a transaction: read it the reference way
            log.exception("%s: the compiled 835 reader failed; reading the group the columnar way", ctx.name)
            res = None
        if res is not None:
            return res
    m = len(txs)
    tx0 = txs[0]
    es = tx0.delims.element
    comp = tx0.delims.component
    T_LX, T_N1, T_LQ = "LX" + es, "N1" + es, "LQ" + es
    results = [Result() for _ in txs]

    tx_idx, rowpos, first = group_layout(txs)
    total_n = tx_idx.size
    # one contiguous column: polars pays per chunk in every operation, and a group of small transactions
    # would otherwise be hundreds of chunks
    src = pl.concat([t.frame for t in txs], rechunk=True) if m > 1 else tx0.frame.rechunk()
    src = src.with_columns(k=pl.col("s").str.slice(0, 3))       # the first 3 characters: the segment's kind

    k = pl.col("k")
    # segment ids as small integers: 1 CLP, 2 LX, 3 PLB, 4 TS3, 5 TS2 end or start claims; 6 SVC starts a line;
    # the others are the segments rows are read from (0: everything else)
    codes = {"CLP": 1, T_LX: 2, "PLB": 3, "TS3": 4, "TS2": 5, "SVC": 6, "CAS": 7, "DTM": 8, "REF": 9, "NM1": 10,
             "MIA": 11, "MOA": 12, T_LQ: 13, "BPR": 14, "TRN": 15, T_N1: 16}
    c = src.select(k.replace_strict(codes, default=0, return_dtype=pl.Int8))["k"].to_numpy()
    # loop state, computed on the integer codes with numpy; it restarts at each transaction's first
    # segment (its ST). A state is "forward filled" from the last row that sets it: idx = that row.
    at = np.arange(total_n)
    ends = (c >= 1) & (c <= 5)            # CLP, LX, PLB, TS3, TS2: a claim starts (CLP) or ends
    loops = ends | (c == 6)               # ... or a service line starts (SVC)
    idx = np.maximum.accumulate(np.where(ends | first, at, 0))
    in_claim_np = np.where(ends, c == 1, False)[idx]
    idx = np.maximum.accumulate(np.where(loops | first, at, 0))
    hdr_np = np.where(loops, False, True)[idx]                 # before the first CLP/LX/.../SVC
    svl_np = np.where(loops, c == 6, False)[idx]
    clp_n = np.cumsum(c == 1, dtype=np.int64)                   # claim ids, unique in the group
    svc_n = np.cumsum(c == 6, dtype=np.int64)                   # line ids, unique in the group
    in_line_np = in_claim_np & svl_np
    # a line's order in its claim: its id minus the line count at its claim's CLP
    at_clp = svc_n[np.maximum.accumulate(np.where(c == 1, at, 0))]
    df = src.with_columns(
        _row=pl.Series(rowpos), _tx=pl.Series(tx_idx), _hdr=pl.Series(hdr_np),
        _claim=pl.when(pl.Series(in_claim_np)).then(pl.Series(clp_n)),
        _lid=pl.when(pl.Series(in_line_np)).then(pl.Series(svc_n)),
        _ord=pl.when(pl.Series(in_line_np)).then(pl.Series(svc_n - at_clp)))
    in_claim = pl.col("_claim").is_not_null()
    in_line = pl.col("_lid").is_not_null()
    # the rows of each segment kind, gathered once
    body = df.drop("k")
    by_code = {}
    for v in np.unique(c).tolist():
        if v:
            by_code[(v,)] = body[np.flatnonzero(c == v)]
    empty = body.clear()

    def tag(t: str) -> pl.DataFrame:
        return by_code.get((codes[t],), empty)

    def rows(t: str, cond: pl.Expr | None = None) -> pl.DataFrame:
        f = tag(t)
        if cond is not None:
            f = f.filter(cond)
        return f.select("_tx", "_claim", "_ord", "_lid", "_row", e=_S.str.split(es))

    # ------------------------------------------------------------------ not X12 / outside claims
    # segment ids checked once per distinct 4-character start (a 3-character id must be followed by
    # the separator: 'CLP ' or 'CLPX' is not CLP), as the 837 and 277 readers check them
    wrong = bad_segment_rows(df["s"], es)
    if wrong:
        bad = df[wrong].select("_tx", "_row", "s")
        firsts: dict[int, tuple[int, str]] = {}
        nbad: dict[int, int] = {}
        for t, p, raw in bad.iter_rows():
            firsts.setdefault(t, (p, raw))
            nbad[t] = nbad.get(t, 0) + 1
        for t, (p, raw) in firsts.items():
            # the position and at most the id: the segment may be a patient's NM1/DMG/N3 with one byte changed
            results[t].errors.append(Problem("garbage", p, garbage_message(p, raw, es, nbad[t] - 1)))
    stray = np.bincount(tx_idx[np.isin(c, (6, 7, 11, 12, 13)) & ~in_claim_np], minlength=m)

    # ------------------------------------------------------------------ header (few segments: Python)
    head = pl.concat([tag(t).filter(pl.col("_hdr")).select("_tx", "s", "_row")
                      for t in ("BPR", "TRN", T_N1, "REF", "DTM")]).sort("_row")
    hd = read_header(txs, ctx, es, head.iter_rows())
    payers, remit_dates, payees, traces, methods, prefixes = (
        hd.payers, hd.remit_dates, hd.payees, hd.traces, hd.methods, hd.prefixes)

    # ------------------------------------------------------------------ claims (CLP)
    clp = tag("CLP").select("_tx", "_claim", "_row", e=_S.str.split(es))
    nclaims = _per_tx(clp["_tx"], m)
    # claim n of a transaction: its global claim id minus the claims of the transactions before it
    cbase = (np.cumsum(nclaims) - nclaims).tolist()
    claim_no = pl.col("_claim") - per_tx(cbase, pl.Int64)
    rid = pl.concat_str(per_tx(prefixes), claim_no.cast(pl.String)).alias("remit_claim_id")
    remits = clp.select(
        "_tx", "_claim", "_row", patient_control_number=_get(1), claim_status=_get(2), claim_charge=_get(3),
        claim_paid=_get(4), patient_responsibility=_get(5), filing_indicator=_get(6), payer_claim_number=_get(7),
    ).with_columns(_txt("patient_control_number"), _txt("claim_status"), _nz("claim_charge"), _nz("claim_paid"),
                   _nz("patient_responsibility"), _txt("filing_indicator"), _txt("payer_claim_number"))
    # claim level NM1*82 (rendering) and DTM*232/233 (service dates)
    nm1 = (tag("NM1").filter(in_claim & pl.col("_ord").is_null() & _S.str.starts_with("NM1" + es + "82" + es))
           .select("_claim", e=_S.str.split(es)).filter(_get(8) == "XX")
           .select("_claim", rendering_npi=_get(9).str.strip_chars()))
    nm1 = _first(nm1, "_claim")
    dtm = (tag("DTM").filter(in_claim).select("_claim", "_lid", x=_S.str.split_exact(es, 2)).unnest("x")
           .rename({"field_1": "q", "field_2": "v"}).drop("field_0"))
    cd = dtm.filter(pl.col("_lid").is_null())
    cfrom = _first(cd.filter(pl.col("q") == "232"), "_claim").select("_claim", service_date_from="v")
    cto = _first(cd.filter(pl.col("q") == "233"), "_claim").select("_claim", service_date_to="v")
    remits = (remits.join(nm1, on="_claim", how="left", maintain_order="left")
              .join(cfrom, on="_claim", how="left", maintain_order="left")
              .join(cto, on="_claim", how="left", maintain_order="left"))
    bad_rendering = _per_tx(remits.filter(pl.col("rendering_npi").is_not_null()
                                          & ~pl.col("rendering_npi").str.contains(r"^\d{10}$"))["_tx"], m)
    remits = remits.with_columns(
        rid, per_tx([p.payer_id for p in payers]).alias("payer_id"), per_tx(traces).alias("trace_number"),
        per_tx(remit_dates).alias("remit_date"), per_tx(payees).alias("payee_npi"),
        per_tx(methods).alias("payment_method"),
        pl.col("claim_status").str.strip_chars_start("0"),
        iso_date("service_date_from"), iso_date("service_date_to"), npi("rendering_npi"))

    # ------------------------------------------------------------------ service lines (SVC)
    svc = rows("SVC", in_claim).select(
        "_tx", "_claim", "_ord", "_lid", "_row", _svc=_get(1), line_charge=_get(2), line_paid=_get(3), units=_get(5),
        _orig=_get(6))
    # a composite written with another separator than the ISA declares ("HC>99213" with ':')
    c3 = pl.col("_svc").str.slice(2, 1)
    odd = (~pl.col("_svc").str.contains(comp, literal=True) & (pl.col("_svc").str.len_chars() > 3)
           & c3.str.contains(r"^[^A-Za-z0-9 ]$"))
    odd_comp = _per_tx(svc.filter(odd)["_tx"], m)
    o3 = pl.col("_orig").str.slice(2, 1)
    oddo = (~pl.col("_orig").str.contains(comp, literal=True) & (pl.col("_orig").str.len_chars() > 3)
            & o3.str.contains(r"^[^A-Za-z0-9 ]$"))
    if odd_comp.any():
        svc = svc.with_columns(_parts=pl.col("_svc").str.strip_chars().str.split(
            pl.when(odd).then(c3).otherwise(pl.lit(comp))))
    else:
        svc = svc.with_columns(_parts=pl.col("_svc").str.strip_chars().str.split(comp))
    svc = svc.with_columns(_oparts=pl.col("_orig").str.strip_chars().str.split(
        pl.when(oddo).then(o3).otherwise(pl.lit(comp))))
    ld = dtm.filter(pl.col("_lid").is_not_null())
    d472 = _first(ld.filter(pl.col("q") == "472"), "_lid").select("_lid", _d472="v")
    d150 = _first(ld.filter(pl.col("q") == "150"), "_lid").select("_lid", _d150="v")
    refs = (tag("REF").filter(in_line & _S.str.starts_with("REF" + es + "6R" + es))
            .select("_lid", x=_S.str.split_exact(es, 2)).unnest("x")
            .select("_lid", _ref=pl.col("field_2").str.strip_chars()))
    refs = _first(refs, "_lid")
    p = pl.col("_parts")
    lines = (svc.join(d472, on="_lid", how="left", maintain_order="left")
             .join(d150, on="_lid", how="left", maintain_order="left")
             .join(refs, on="_lid", how="left", maintain_order="left")
             .with_columns(
                 procedure_code=p.list.get(1, null_on_oob=True), modifier_1=p.list.get(2, null_on_oob=True),
                 modifier_2=p.list.get(3, null_on_oob=True), modifier_3=p.list.get(4, null_on_oob=True),
                 modifier_4=p.list.get(5, null_on_oob=True),
                 original_procedure_code=pl.col("_oparts").list.get(1, null_on_oob=True),
                 service_date=pl.coalesce(pl.col("_d472"), pl.col("_d150")),
                 _refnum=pl.when(pl.col("_ref").str.contains(r"^\d{1,9}$")).then(
                     pl.col("_ref").cast(pl.Int64, strict=False)))
             .with_columns(_nz("procedure_code"), _nz("modifier_1"), _nz("modifier_2"), _nz("modifier_3"),
                           _nz("modifier_4"), _nz("original_procedure_code"), _nz("line_charge"),
                           _nz("line_paid"), _nz("units"), _nz("service_date")))
    # REF*6R numbers the lines only when every line of the claim has a distinct 1..999 one
    if refs.height:
        okref = (lines.group_by("_claim").agg(
            _ok=pl.col("_refnum").is_between(1, 999).fill_null(False).all()
            & (pl.col("_refnum").n_unique() == pl.len())))
        lines = (lines.join(okref, on="_claim", how="left", maintain_order="left")
                 .with_columns(line_number=pl.when(pl.col("_ok")).then(pl.col("_refnum")).otherwise(pl.col("_ord"))))
    else:
        lines = lines.with_columns(line_number=pl.col("_ord"))
    renumbered = bool(lines.select((pl.col("line_number") != pl.col("_ord")).any()).item()) if lines.height else False
    line_key = lines.select("_lid", "line_number")

    def with_line(frame_: pl.DataFrame) -> pl.DataFrame:
        if renumbered:
            return frame_.join(line_key, on="_lid", how="left", maintain_order="left")
        return frame_.with_columns(line_number=pl.col("_ord"))

    # ------------------------------------------------------------------ adjustments (CAS)
    cas = rows("CAS", in_claim).with_columns(group_code=_get(1).str.strip_chars(), _n=_E.list.len())
    parts = []
    for i, kk in enumerate(CAS_TRIPLES):
        sub = cas if i == 0 else cas.filter(pl.col("_n") > kk)
        if not sub.height:
            break
        parts.append(sub.select("_tx", "_claim", "_ord", "_lid", "_row", "group_code", _k=pl.lit(i, pl.Int32),
                                carc=_get(kk), amount=_get(kk + 1), quantity=_get(kk + 2)))
    adjs = pl.concat(parts) if parts else pl.DataFrame(
        schema={"_tx": pl.Int32, "_claim": pl.Int64, "_ord": pl.Int64, "_lid": pl.Int64, "_row": pl.Int64,
                "group_code": pl.String, "_k": pl.Int32,
                "carc": pl.String, "amount": pl.String, "quantity": pl.String})
    adjs = (adjs.with_columns(_txt("carc"), _nz("amount"), _nz("quantity"), _nz("group_code"))
            .filter(pl.col("carc").is_not_null() | pl.col("amount").is_not_null()))
    if len(parts) > 1:
        adjs = adjs.sort("_row", "_k")

    # ------------------------------------------------------------------ remarks (MIA, MOA, LQ*HE)
    rparts = []
    for seg_id, idx in (("MIA", MIA_REMARKS), ("MOA", MOA_REMARKS)):
        mr = rows(seg_id, in_claim)
        if not mr.height:
            continue
        for i, kk in enumerate(idx):
            rparts.append(mr.select("_tx", pl.col("_claim"), _ord=pl.lit(None, pl.Int64),
                                    _lid=pl.lit(None, pl.Int64), _row=pl.col("_row"),
                                    _k=pl.lit(i, pl.Int32), rarc=_get(kk)))
    lq = rows(T_LQ, in_claim).filter(_get(1) == "HE")
    rparts.append(lq.select("_tx", "_claim", "_ord", "_lid", "_row", _k=pl.lit(0, pl.Int32), rarc=_get(2)))
    remarks = (pl.concat(rparts).with_columns(_txt("rarc")).filter(pl.col("rarc").is_not_null())
               .sort("_row", "_k"))

    # ------------------------------------------------------------------ provider adjustments (PLB)
    provider = provider_adjustments(tag("PLB").select("_tx", "_row", "s"), es, comp)

    # ------------------------------------------------------------------ balancing
    amt = pl.col("amount").cast(pl.Float64, strict=False)
    claim_sum = adjs.group_by("_claim").agg(_cas=amt.sum())
    line_sum = adjs.filter(pl.col("_lid").is_not_null()).group_by("_lid").agg(_cas=amt.sum())
    rb = (remits.select("_tx", "_claim", "patient_control_number", "claim_charge", "claim_paid", "_row")
          .join(claim_sum, on="_claim", how="left", maintain_order="left")
          .with_columns(_charge=pl.col("claim_charge").cast(pl.Float64, strict=False),
                        _paid=pl.col("claim_paid").cast(pl.Float64, strict=False),
                        _cas=pl.col("_cas").fill_null(0.0))
          .with_columns(_diff=pl.col("_charge") - pl.col("_paid") - pl.col("_cas"))
          .filter(pl.col("_diff").abs() >= _TOLERANCE))
    lb = (lines.select("_tx", "_claim", "_lid", "line_number", "line_charge", "line_paid", "_svc", "_row")
          .join(line_sum, on="_lid", how="left", maintain_order="left")
          .with_columns(_charge=pl.col("line_charge").cast(pl.Float64, strict=False),
                        _paid=pl.col("line_paid").cast(pl.Float64, strict=False),
                        _cas=pl.col("_cas").fill_null(0.0))
          .with_columns(_diff=pl.col("_charge") - pl.col("_paid") - pl.col("_cas"))
          .filter(pl.col("_diff").abs() >= _TOLERANCE))
    nrb, nlb = _per_tx(rb["_tx"], m), _per_tx(lb["_tx"], m)
    rb_first = _first(rb, "_tx").iter_rows(named=True) if rb.height else ()
    lb_first = {r["_tx"]: r for r in _first(lb, "_tx").iter_rows(named=True)} if lb.height else {}
    for r in rb_first:
        t = r["_tx"]
        more = f" ({nrb[t] - 1} more claim(s) do not balance either)" if nrb[t] > 1 else ""
        results[t].errors.append(Problem("balance", r["_row"], (
            f"segment {r['_row']}: claim {r['patient_control_number']!r} does not balance: CLP03 charge "
            f"{r['claim_charge']} - CLP04 paid {r['claim_paid']} = {r['_charge'] - r['_paid']:.2f}, but its claim "
            f"and line adjustments (CAS) sum to {r['_cas']:.2f}: difference {r['_diff']:.2f}{more}")))
    for t, r in lb_first.items():
        pcn = remits.filter(pl.col("_claim") == r["_claim"])["patient_control_number"][0]
        more = f" ({nlb[t] - 1} more line(s) do not balance either)" if nlb[t] > 1 else ""
        svc01 = r["_svc"] or ""
        if comp not in svc01:
            more += (f"; SVC01 {svc01!r} carries no procedure code, so the SVC elements look shifted by one "
                     "(a component separator written as an element separator?)")
        results[t].errors.append(Problem("balance", r["_row"], (
            f"segment {r['_row']}: line {r['line_number']} of claim {pcn!r} does not balance: SVC02 "
            f"charge {r['line_charge']} - SVC03 paid {r['line_paid']} = {r['_charge'] - r['_paid']:.2f}, but the "
            f"line's adjustments (CAS) sum to {r['_cas']:.2f}: difference {r['_diff']:.2f}{more}")))
    return finish(txs, results, hd, comp, remits,
                  lines.with_columns(rid, pl.col("line_number").cast(pl.String), iso_date("service_date")),
                  with_line(adjs).with_columns(rid, pl.col("line_number").cast(pl.String)),
                  with_line(remarks).with_columns(rid, pl.col("line_number").cast(pl.String)),
                  provider, odd_comp, stray, bad_rendering)


def finish(txs: list[Transaction], results: list[Result], hd: _Head, comp: str, remits: pl.DataFrame,
           lines: pl.DataFrame, adjs: pl.DataFrame, remarks: pl.DataFrame, provider: pl.DataFrame | None,
           odd_comp: np.ndarray, stray: np.ndarray, bad_rendering: np.ndarray,
           paid_total: list[float] | None = None) -> list[Result]:
    """The transactions' warnings, frames (cut per transaction) and counts, from the group's rows:
    remits, lines, adjustments and remarks with their contract columns and _tx."""
    m = len(txs)
    hdr, payers, remit_dates, payees, traces, methods, bad_npis = (
        hd.hdr, hd.payers, hd.remit_dates, hd.payees, hd.traces, hd.methods, hd.bad_npis)
    nclaims = _per_tx(remits["_tx"], m)
    # BPR02 = sum(CLP04) - sum(PLB amounts): a warning only
    if paid_total is None:
        paid_total = _sums(remits, "claim_paid", m)
    plb_total = _sums(provider, "amount", m) if provider is not None else [0.0] * m
    for t, (tx, h, res) in enumerate(zip(txs, hdr, results)):
        base = tx.start
        bpr_amount = h.get("bpr_amount")
        total = paid_total[t] or 0.0
        plb_t = plb_total[t] or 0.0
        try:
            bpr = float(bpr_amount) if bpr_amount not in (None, "") else None
        except ValueError:
            bpr = None
        if bpr is not None and abs(bpr - (total - plb_t)) >= _TOLERANCE:
            res.warnings.append(Problem("bpr_total", base + 1, (
                f"segment {base + 1}: BPR02 total {bpr_amount.strip()} is not the claims paid {total:.2f} minus the "
                f"provider adjustments {plb_t:.2f} (= {total - plb_t:.2f})")))
        if odd_comp[t]:
            res.warnings.append(Problem("component_separator", base, (
                f"{odd_comp[t]} SVC composite(s) use another component separator than the {comp!r} the ISA "
                "declares; read with the separator they use")))
        if stray[t]:
            res.warnings.append(Problem("stray", base, f"{stray[t]} CAS/SVC/remark segment(s) outside any claim "
                                        "were skipped"))

    # ------------------------------------------------------------------ frames, cut per transaction
    kinds: dict[str, tuple[pl.DataFrame, np.ndarray]] = {}
    if remits.height:
        kinds["remits"] = (remits.select(
            "remit_claim_id", "payer_id", "trace_number", "remit_date", "patient_control_number", "claim_status",
            "claim_charge", "claim_paid", "patient_responsibility", "payer_claim_number", "filing_indicator",
            "rendering_npi", "payee_npi", "service_date_from", "service_date_to", "payment_method", "_row"), nclaims)
    nlines = _per_tx(lines["_tx"], m)
    if lines.height:
        kinds["remit_lines"] = (lines.select(
            "remit_claim_id", "line_number", "procedure_code", "modifier_1", "modifier_2", "modifier_3", "modifier_4",
            "original_procedure_code", "units", "line_charge", "line_paid", "service_date", "_row"), nlines)
    nadjs = _per_tx(adjs["_tx"], m)
    if adjs.height:
        kinds["remit_adjustments"] = (adjs.select(
            "remit_claim_id", "line_number", "group_code", "carc", "amount", "quantity", "_row"), nadjs)
    nremarks = _per_tx(remarks["_tx"], m)
    if remarks.height:
        kinds["remit_remarks"] = (remarks.select(
            "remit_claim_id", "line_number", "rarc", "_row"), nremarks)
    nprov = _per_tx(provider["_tx"], m) if provider is not None else np.zeros(m, dtype=np.int64)
    if provider is not None and provider.height:
        # a transaction without a remittance date dates its PLB rows by the first PLB's date
        pdates = list(remit_dates)
        for t, d in _first(provider, "_tx").select("_tx", "_date").iter_rows():
            pdates[t] = pdates[t] or clean_date(d)
        kinds["provider_adjustments"] = (provider.with_columns(
            per_tx([p.payer_id for p in payers]).alias("payer_id"), per_tx(traces).alias("trace_number"),
            per_tx(pdates).alias("remit_date"),
        ).select("payer_id", "trace_number", "remit_date", "payee_npi", "reason_code", "reference", "amount", "_row"),
            nprov)
    pay_rows = [t for t, h in enumerate(hdr) if traces[t] and h.get("bpr_amount") not in (None, "")]
    if pay_rows:
        pay = np.zeros(m, dtype=np.int64)
        pay[pay_rows] = 1
        kinds["payments"] = (pl.DataFrame({
            "payer_id": [payers[t].payer_id for t in pay_rows], "trace_number": [traces[t] for t in pay_rows],
            "payment_date": [remit_dates[t] for t in pay_rows],
            "payment_amount": [hdr[t]["bpr_amount"].strip() for t in pay_rows],
            "payment_method": [methods[t] for t in pay_rows], "payee_npi": [payees[t] for t in pay_rows],
            "_row": [txs[t].start + 1 for t in pay_rows]},
            schema={**{c: pl.String for c in ("payer_id", "trace_number", "payment_date", "payment_amount",
                                              "payment_method", "payee_npi")}, "_row": pl.Int64}), pay)
    kinds["payers"] = (frame({"payer_id": [p.payer_id for p in payers], "payer_name": [p.payer_name for p in payers],
                              "payer_class": [p.payer_class for p in payers],
                              "unmapped": ["true" if p.unmapped else "false" for p in payers]},
                             [h["payer_row"] for h in hdr]), np.ones(m, dtype=np.int64))
    cut = {kind: _pieces(f, counts) for kind, (f, counts) in kinds.items()}
    for t, res in enumerate(results):
        res.frames = {kind: pieces[t] for kind, pieces in cut.items() if pieces[t] is not None}
        res.extras = {
            "claims": int(nclaims[t]), "lines": int(nlines[t]), "adjustments": int(nadjs[t]),
            "remarks": int(nremarks[t]), "provider_adjustments": int(nprov[t]),
            "unmapped_payers": int(payers[t].unmapped), "unmapped_sites": 0,
        }
        nb = bad_npis[t] + int(bad_rendering[t])
        if nb:
            res.extras["malformed_npis"] = nb
    return results


def _sums(df: pl.DataFrame, col: str, m: int) -> list[float]:
    """Sum of a column read as numbers, per transaction (0 for a transaction without rows)."""
    out = [0.0] * m
    if df.height:
        for t, v in df.group_by("_tx").agg(pl.col(col).cast(pl.Float64, strict=False).sum()).iter_rows():
            out[t] = v
    return out
