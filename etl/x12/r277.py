"""277CA (claim acknowledgment, 005010X214) -> rejections.

A claim is the 2200D loop under a patient HL (HL03 = PT; 22/23 in older 277s): it starts at its
TRN*2, whose TRN02 is the patient control number (CLM01) the claim was sent with (REF*1K is the
payer's claim number, not ours). Its STC segments (claim level, and 2220D service lines) carry
status composites `category:code[:entity]` in STC01, STC10 and STC11. Categories A3, A4, A6, A7
and A8 mean the claim was rejected before adjudication; A1/A2 (received/accepted) and anything
else are not rejections and produce no row.
"""
from __future__ import annotations

from etl.x12.common import ReadContext, Result, clean_date, frame
from etl.x12.tokenizer import Problem, Transaction, bad_segment_rows, fix_text, garbage_message

REJECTED = frozenset(("A3", "A4", "A6", "A7", "A8"))
CATEGORY = {
    "A3": "returned as unprocessable", "A4": "not found", "A6": "rejected for missing information",
    "A7": "rejected for invalid information", "A8": "rejected for relational field error",
}
# A few common claim status codes (code list 507); others are reported by number.
STATUS = {
    "0": "cannot provide further status electronically", "21": "missing or invalid information",
    "33": "subscriber and subscriber id not found", "54": "duplicate of a previously processed claim",
    "116": "claim submitted to the incorrect payer", "128": "entity's tax id",
    "145": "entity's specialty/taxonomy code", "164": "entity's contract/member number",
    "187": "date(s) of service", "562": "entity's National Provider Identifier (NPI)",
}
ENTITY = {
    "85": "billing provider", "82": "rendering provider", "IL": "subscriber", "QC": "patient", "PR": "payer",
    "77": "service location", "41": "submitter", "40": "receiver", "DN": "referring provider",
    "71": "attending physician", "87": "pay-to provider",
}


def _describe(comp: list[str]) -> str:
    cat = comp[0] if comp else ""
    code = comp[1] if len(comp) > 1 else ""
    ent = comp[2] if len(comp) > 2 else ""
    text = f"{cat}:{code}"
    what = STATUS.get(code.lstrip("0") or "0", "")
    if what:
        text += f" {what}"
    if ent:
        text += f" ({ENTITY.get(ent, 'entity ' + ent)})"
    if cat in CATEGORY:
        text += f", {CATEGORY[cat]}"
    return text


def read_277(tx: Transaction, ctx: ReadContext) -> Result:
    es = tx.delims.element
    comp = tx.delims.component
    base = tx.start
    T_HL = "HL" + es
    segs = tx.segments.to_list()
    # a segment whose id is not 2-3 upper-case letters and digits ending at the element separator quarantines
    # the transaction (as in the 835 and 837: 'TRN 2*...' is not a TRN); it is not read
    bad = bad_segment_rows(tx.segments, es)
    bad_raw = [(base + i, segs[i]) for i in bad[:1]]
    for i in bad:
        segs[i] = ""
    res = Result()
    bht = None
    source = None
    level = ""
    received = None
    claim: dict | None = None
    claims: list[dict] = []
    for i, raw in enumerate(segs):
        t = raw[:3]
        pos = base + i
        if t == "STC":
            if claim is None:
                continue
            e = raw.split(es)
            n = len(e)
            for k in (1, 10, 11):
                if k < n and e[k]:
                    c = [x.strip() for x in e[k].split(comp)]
                    claim["stc"].append((c, e[2] if n > 2 else None, e[12] if n > 12 else None, pos))
        elif t == "TRN":
            e = raw.split(es)
            if level in ("PT", "22", "23") and len(e) > 2 and e[1] == "2":
                claim = {"pcn": e[2], "row": pos, "stc": [], "source": source}
                claims.append(claim)
        elif t == T_HL:
            e = raw.split(es)
            level = e[3].strip() if len(e) > 3 else ""
            claim = None
        elif t == "NM1":
            e = raw.split(es)
            if level == "20" and source is None and len(e) > 1:
                source = "payer" if e[1] == "PR" else "clearinghouse" if e[1] in ("AY", "41") else None
        elif t == "DTP":
            e = raw.split(es)
            if claim is None and len(e) > 3 and e[1] in ("050", "009") and received is None:
                received = e[3]
        elif t == "BHT":
            e = raw.split(es)
            bht = e[4] if len(e) > 4 else None

    fallback = None
    for cand in (received, bht, tx.gs_date):
        v = clean_date(cand)
        if v and len(v) == 10 and v[4] == "-":
            fallback = v
            break
    cols = {k: [] for k in ("claim_id", "rejected_date", "status_code", "reason", "source")}
    rows: list[int] = []
    accepted = 0
    for c in claims:
        rejecting = [s for s in c["stc"] if s[0] and s[0][0] in REJECTED]
        if not rejecting:
            accepted += 1
            continue
        comp0, date, text, pos = rejecting[0]
        reason = fix_text((text or "").strip()) or _describe(comp0)
        others = [_describe(s[0]) for s in rejecting[1:]]
        if others:
            reason += "; also " + "; ".join(dict.fromkeys(others))
        cols["claim_id"].append(c["pcn"])
        cols["rejected_date"].append(clean_date(date) or fallback)
        cols["status_code"].append(":".join(comp0[:2]))
        cols["reason"].append(reason)
        cols["source"].append(c["source"])
        rows.append(pos)
    if rows:
        res.frames["rejections"] = frame(cols, rows)
    for p, raw in bad_raw:
        # the position and at most the id, never the elements (patient names and ids)
        res.errors.append(Problem("garbage", p, garbage_message(p, raw, es, len(bad) - 1)))
    if not claims and not bad_raw:
        # a 277CA acknowledges claims: one in which none is found was misread (a fuzz case: ISA16 lost, so '~'
        # became the component separator and every 'HL*4*3*PT~' read as level 'PT~'), and loading it as
        # "nothing rejected" would lose its rejections without a word
        res.errors.append(Problem("no_claims", base, (
            f"segment {base}: no claim found in this 277CA (no TRN*2 under a patient HL, HL03 = PT); check the "
            f"ISA's separators (component separator {comp!r})")))
    res.extras = {"claims": len(claims), "rejected": len(rows), "accepted": accepted}
    return res
