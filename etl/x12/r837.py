"""837P (005010X222A1) and 837I (005010X223A2), and their 4010 predecessors -> claims and
claim_lines, plus the sites, payers and providers they name.

Loops used (TR3 names):
  2000A billing provider HL*20: PRV*BI, NM1*85 (name, NPI, or EIN in 4010), N4 (state), REF*EI (TIN)
  2000B subscriber HL*22: SBR, NM1*IL (name, member id), DMG (birth date), NM1*PR (payer)
  2000C patient HL*23: NM1*QC (name), DMG
  2300 claim CLM: CLM01 id, CLM02 charge, CLM05 place of service / facility code, qualifier, frequency;
       DTP*472 (837P service dates), DTP*434 (837I statement dates), REF*G1 prior auth, REF*F8 original
  2310x claim providers: NM1*82 rendering, NM1*71 attending (837I), NM1*77/FA service facility; PRV
  2320/2330x other payers (SBR inside a claim): skipped
  2400 line LX: SV1 (837P) / SV2 (837I), DTP*472; 2420A line rendering NM1*82
"""
from __future__ import annotations

import gc

import polars as pl

from etl.mapping import SiteRef
from etl.x12.common import (ReadContext, Result, clean_date, clean_npi, date_range, frame, payer_frame,
                            site_frame)
from etl.x12.tokenizer import Problem, Transaction, bad_segment_rows, digits, fix_text, garbage_message

# A few common taxonomy codes, for a readable specialty; other codes are kept as they are.
TAXONOMY = {
    "207X00000X": "orthopedics", "207R00000X": "internal medicine", "207RC0000X": "cardiology",
    "207Q00000X": "family medicine", "208D00000X": "general practice", "207P00000X": "emergency medicine",
    "2084P0800X": "psychiatry", "2084N0400X": "neurology", "207V00000X": "obstetrics and gynecology",
    "208000000X": "pediatrics", "207N00000X": "dermatology", "207W00000X": "ophthalmology",
    "207Y00000X": "otolaryngology", "2085R0202X": "radiology", "207L00000X": "anesthesiology",
    "208600000X": "general surgery", "207T00000X": "neurosurgery", "208800000X": "urology",
    "363L00000X": "nurse practitioner", "363A00000X": "physician assistant", "225100000X": "physical therapy",
    "282N00000X": "general acute care hospital", "261Q00000X": "clinic", "193200000X": "multi-specialty group",
    "204C00000X": "sports medicine", "3416L0300X": "ambulance",
}

_INSTITUTIONAL = ("X223", "X096")
_PROFESSIONAL = ("X222", "X098")


def specialty(taxonomy: str | None) -> str:
    t = (taxonomy or "").strip().upper()
    if not t:
        return "unknown"
    return TAXONOMY.get(t, f"taxonomy {t}")


def _fixc(v: str, comp: str) -> str:
    """A composite written with another separator than the ISA declares (`HC>99213` with ':')."""
    if v and comp not in v and len(v) > 3 and not v[2].isalnum() and v[2] != " ":
        return v.replace(v[2], comp)
    return v


def _name(e: list[str]) -> str:
    last = e[3].strip() if len(e) > 3 else ""
    first = e[4].strip() if len(e) > 4 else ""
    return fix_text(f"{last}, {first}" if last and first else last or first) or ""


def read_837(tx: Transaction, ctx: ReadContext) -> Result:
    # many small dicts per claim: the cyclic GC would rescan them over and over (superlinear)
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _read_837(tx, ctx)
    finally:
        if enabled:
            gc.enable()


def _read_837(tx: Transaction, ctx: ReadContext) -> Result:
    es = tx.delims.element
    comp = tx.delims.component
    segs = tx.segments.to_list()
    base = tx.start
    version = (tx.version or "").upper()
    if any(v in version for v in _INSTITUTIONAL):
        default_type = "institutional"
    elif any(v in version for v in _PROFESSIONAL):
        default_type = "professional"
    else:
        default_type = None
    T_HL, T_LX, T_N4 = "HL" + es, "LX" + es, "N4" + es
    # a segment whose id is not 2-3 upper-case letters and digits ending at the element separator is garbage:
    # the transaction is quarantined, as in the 835 ('NM1 IL*...' was read as an NM1 of entity '1': the
    # subscriber's member id was lost without a word). It is not read; well-formed ids the reader has no use
    # for (HI, N3, PER, ...) are skipped.
    bad = bad_segment_rows(tx.segments, es)
    bad_raw = [(base + i, segs[i]) for i in bad[:1]]
    for i in bad:
        segs[i] = ""
    res = Result()
    submitted = None
    bht = None
    for raw in segs[:3]:
        if raw.startswith("BHT" + es):
            e = raw.split(es)
            bht = e[4] if len(e) > 4 else None
    for cand in (bht, tx.gs_date):
        v = clean_date(cand)
        if v and len(v) == 10 and v[4] == "-":
            submitted = v
            break
    if submitted is None:
        submitted = clean_date(bht or tx.gs_date)

    # hierarchy state
    bill: dict = {}
    sub: dict = {}
    pat: dict | None = None
    payer: dict = {}
    entity = ""           # NM101 of the last NM1 (N4/REF/DMG/PRV attach to it)
    entity_info: dict | None = None
    bill_taxonomy = None
    claim: dict | None = None
    line: dict | None = None
    in_other = False      # 2320/2330 (other payer) loops of the current claim

    claims: list[dict] = []
    sites: dict[str, tuple[SiteRef, dict, int]] = {}
    payers: dict = {}
    providers: dict[str, tuple[str, str, str, int]] = {}
    dup_ids = 0

    def finish() -> None:
        nonlocal claim, line
        if claim is not None:
            claims.append(claim)
        claim = line = None

    for i, raw in enumerate(segs):
        t = raw[:3]
        pos = base + i
        if t == "SV1" or t == "SV2":
            if claim is None or line is None:
                if claim is None:
                    continue
                line = {"lx": None, "ord": len(claim["lines"]) + 1}
                claim["lines"].append(line)
            e = raw.split(es)
            n = len(e)
            if t == "SV1":
                line["proc"] = _fixc(e[1], comp) if n > 1 else None
                line["charge"] = e[2] if n > 2 else None
                line["units"] = e[4] if n > 4 else None
            else:
                line["rev"] = e[1] if n > 1 else None
                line["proc"] = _fixc(e[2], comp) if n > 2 else None
                line["charge"] = e[3] if n > 3 else None
                line["units"] = e[5] if n > 5 else None
            line["row"] = pos
        elif t == "DTP":
            e = raw.split(es)
            if len(e) < 4:
                continue
            q = e[1]
            if line is not None:
                if q == "472":
                    line["date"], line["date_to"] = date_range(e[2], e[3])
            elif claim is not None and not in_other:
                if q == "472" or (q == "434" and "from" not in claim):
                    claim["from"], claim["to"] = date_range(e[2], e[3])
        elif t == T_LX:
            if claim is None:
                continue
            e = raw.split(es)
            in_other = False
            line = {"lx": e[1].strip() if len(e) > 1 else None, "ord": len(claim["lines"]) + 1}
            claim["lines"].append(line)
        elif t == "REF":
            e = raw.split(es)
            if len(e) < 3:
                continue
            q = e[1]
            if line is not None or in_other:
                continue
            if claim is not None:
                if q == "G1":
                    claim["auth"] = e[2]
                elif q == "F8":
                    claim["original"] = e[2]
            elif entity == "85" and q == "EI":
                bill["tin"] = e[2]
        elif t == "NM1":
            e = raw.split(es)
            n = len(e)
            ent = e[1] if n > 1 else ""
            entity = ent
            entity_info = None
            ident = e[9].strip() if n > 9 else ""
            qual = e[8] if n > 8 else ""
            if claim is not None:
                if in_other:
                    continue
                if line is not None:
                    if ent == "82":
                        entity_info = {"npi": ident if qual == "XX" else None, "name": _name(e), "row": pos}
                        line["render"] = entity_info
                    continue
                if ent in ("82", "71", "77", "FA"):
                    entity_info = {"npi": ident if qual == "XX" else None, "name": _name(e), "row": pos}
                    claim[ent] = entity_info
                continue
            if ent == "85":
                bill.update({"name": _name(e), "npi": ident if qual == "XX" else None,
                             "person": (e[2] if n > 2 else "") == "1", "row": pos, "taxonomy": bill_taxonomy})
                if qual in ("24", "EI"):
                    bill["tin"] = ident
                entity_info = bill
            elif ent == "IL":
                sub.update({"last": e[3] if n > 3 else "", "first": e[4] if n > 4 else "", "member": ident})
                entity_info = sub
            elif ent == "QC":
                pat = {"last": e[3] if n > 3 else "", "first": e[4] if n > 4 else ""}
                entity_info = pat
            elif ent == "PR":
                payer.clear()
                payer.update({"name": e[3] if n > 3 else "", "id": ident, "row": pos})
        elif t == "CLM":
            finish()
            e = raw.split(es)
            n = len(e)
            c05 = _fixc(e[5] if n > 5 else "", comp).split(comp)
            claim = {"clm01": (e[1] if n > 1 else "").strip(), "charge": e[2] if n > 2 else None,
                     "c05_1": c05[0].strip(), "c05_2": c05[1].strip() if len(c05) > 1 else "",
                     "freq": c05[2].strip() if len(c05) > 2 else "", "row": pos, "lines": [],
                     "bill": dict(bill), "sub": dict(sub), "pat": dict(pat) if pat is not None else None,
                     "payer": dict(payer)}
            in_other = False
            entity = ""
        elif t == "SBR":
            if claim is not None:
                in_other = True
            else:
                sub = {}
                pat = None
        elif t == T_HL:
            finish()
            in_other = False
            e = raw.split(es)
            level = e[3].strip() if len(e) > 3 else ""
            if level == "20":
                bill = {}
                bill_taxonomy = None
                sub, pat, payer = {}, None, {}
            elif level == "22":
                sub, pat, payer = {}, None, {}
            elif level == "23":
                pat = {}
            entity = ""
        elif t == "PRV":
            e = raw.split(es)
            tax = e[3] if len(e) > 3 else None
            if (e[1] if len(e) > 1 else "") == "BI" and claim is None:
                bill_taxonomy = tax
                bill["taxonomy"] = tax
            elif entity_info is not None:
                entity_info["taxonomy"] = tax
        elif t == T_N4:
            if entity == "85" and claim is None:
                e = raw.split(es)
                bill["state"] = e[2] if len(e) > 2 else None
        elif t == "DMG":
            e = raw.split(es)
            if entity_info is not None and entity in ("IL", "QC") and len(e) > 2:
                entity_info["dob"] = e[2]
    finish()

    # ------------------------------------------------------------------ rows
    cols = {k: [] for k in ("claim_id", "patient_control_number", "frequency_code", "original_claim_id", "site_id",
                            "rendering_npi", "billing_npi", "payer_id", "patient_id", "member_id",
                            "service_date_from", "service_date_to", "submitted_date", "total_charge",
                            "place_of_service", "type_of_bill", "prior_auth_number", "claim_type")}
    rows: list[int] = []
    lcols = {k: [] for k in ("claim_id", "line_number", "procedure_code", "modifier_1", "modifier_2", "modifier_3",
                             "modifier_4", "revenue_code", "units", "line_charge", "service_date")}
    lrows: list[int] = []
    bad_npis = 0
    for c in claims:
        b, s, p, pay = c["bill"], c["sub"], c["pat"], c["payer"]
        freq_raw = c["freq"]
        freq = freq_raw if freq_raw in ("7", "8") else "1"
        clm01 = c["clm01"]
        if freq == "1" or clm01 not in ctx.claim_ids:
            claim_id = clm01
        else:
            claim_id = f"{clm01}~{freq}~{submitted}"
        if clm01 in ctx.claim_ids and freq == "1":
            dup_ids += 1
        ctx.claim_ids.add(clm01)
        ctype = default_type or ("institutional" if c["c05_2"] == "A" or any("rev" in ln for ln in c["lines"])
                                 else "professional")
        billing_npi = clean_npi(b.get("npi"))
        bad_npis += bool(b.get("npi")) and billing_npi is None
        fac = c.get("77") or c.get("FA") or {}
        facility_npi = clean_npi(fac.get("npi"))
        site = ctx.mapping.site(billing_npi, b.get("tin"), facility_npi, b.get("name"))
        if site.site_id not in sites:
            sites[site.site_id] = (site, {"npi": billing_npi, "tin": (b.get("tin") or "").strip(),
                                          "state": (b.get("state") or "").strip()},
                                   fac.get("row") if not site.unmapped and facility_npi
                                   and facility_npi in ctx.mapping.by_facility else b.get("row", c["row"]))
        pref = ctx.mapping.payer((pay.get("id") or "").strip() or None, fix_text(pay.get("name")))
        if pref.payer_id not in payers:
            payers[pref.payer_id] = (pref, pay.get("row", c["row"]))
        # rendering provider: claim NM1*82, (837I) attending NM1*71, first line NM1*82, else billing
        cands = [c.get("82"), c.get("71") if ctype == "institutional" else None]
        cands += [ln.get("render") for ln in c["lines"]]
        render = None
        for cand in cands:
            if cand:
                v = clean_npi(cand.get("npi"))
                bad_npis += bool(cand.get("npi")) and v is None
                if v:
                    render = (v, cand)
                    break
        if render is None and billing_npi:
            render = (billing_npi, {"name": b.get("name"), "taxonomy": b.get("taxonomy"), "row": b.get("row")})
        if render is not None:
            rnpi, info = render
            if rnpi not in providers:
                providers[rnpi] = (info.get("name") or f"NPI {rnpi}",
                                   specialty(info.get("taxonomy")),
                                   site.site_id, info.get("row") or c["row"])
        # patient: the patient loop, else the subscriber is the patient
        who = p if p else s
        member = (s.get("member") or "").strip()
        parts = [member, (who.get("last") or "").strip().upper(), (who.get("first") or "").strip().upper(),
                 (who.get("dob") or "").strip()]
        patient_id = fix_text("|".join(parts)) if any(parts) else None
        # dates: claim level, else from the lines
        dfrom, dto = c.get("from"), c.get("to")
        line_dates = [ln.get("date") for ln in c["lines"] if ln.get("date")]
        if not dfrom and line_dates:
            dfrom = min(line_dates)
            ends = [ln.get("date_to") or ln.get("date") for ln in c["lines"] if ln.get("date")]
            dto = max(ends)
        cols["claim_id"].append(claim_id)
        cols["patient_control_number"].append(clm01)
        cols["frequency_code"].append(freq)
        cols["original_claim_id"].append(c.get("original"))
        cols["site_id"].append(site.site_id)
        cols["rendering_npi"].append(render[0] if render else None)
        cols["billing_npi"].append(billing_npi)
        cols["payer_id"].append(pref.payer_id)
        cols["patient_id"].append(patient_id)
        cols["member_id"].append(member or None)
        cols["service_date_from"].append(dfrom)
        cols["service_date_to"].append(dto)
        cols["submitted_date"].append(submitted)
        cols["total_charge"].append(c["charge"])
        cols["place_of_service"].append(c["c05_1"] if ctype == "professional" else None)
        cols["type_of_bill"].append(c["c05_1"] + freq_raw if ctype == "institutional" and c["c05_1"] else None)
        cols["prior_auth_number"].append(c.get("auth"))
        cols["claim_type"].append(ctype)
        rows.append(c["row"])
        used: set[int] = set()
        for ln in c["lines"]:
            if "row" not in ln:
                continue          # an LX without SV1/SV2
            lx = ln["lx"]
            num = int(lx) if lx and digits(lx) and 1 <= int(lx) <= 999 and int(lx) not in used else ln["ord"]
            used.add(num)
            proc = (ln.get("proc") or "").split(comp)
            lcols["claim_id"].append(claim_id)
            lcols["line_number"].append(str(num))
            lcols["procedure_code"].append(proc[1] if len(proc) > 1 else None)
            for m in range(4):
                lcols[f"modifier_{m + 1}"].append(proc[2 + m] if len(proc) > 2 + m else None)
            lcols["revenue_code"].append(ln.get("rev"))
            lcols["units"].append(ln.get("units"))
            lcols["line_charge"].append(ln.get("charge"))
            lcols["service_date"].append(ln.get("date"))
            lrows.append(ln["row"])

    frames: dict[str, pl.DataFrame] = {}
    if rows:
        frames["claims"] = frame(cols, rows)
    if lrows:
        frames["claim_lines"] = frame(lcols, lrows)
    if sites:
        frames["sites"] = site_frame(sites)
    if providers:
        pc = {k: [] for k in ("provider_npi", "provider_name", "specialty", "site_id")}
        prow = []
        for pnpi, (pname, spec, sid, prow_) in providers.items():
            pc["provider_npi"].append(pnpi)
            pc["provider_name"].append(pname)
            pc["specialty"].append(spec)
            pc["site_id"].append(sid)
            prow.append(prow_)
        frames["providers"] = frame(pc, prow)
    if payers:
        frames["payers"] = payer_frame(payers)
    for p_, raw in bad_raw:
        # the position and at most the id, never the elements: names, member ids, birth dates
        res.errors.append(Problem("garbage", p_, garbage_message(p_, raw, es, len(bad) - 1)))
    if dup_ids:
        res.warnings.append(Problem("duplicate_claim_ids", base, (
            f"{dup_ids} original claim(s) (frequency 1) reuse a CLM01 already used in this file")))
    res.frames = frames
    res.extras = {"claims": len(rows), "lines": len(lrows),
                  "unmapped_sites": sum(1 for ref, _, _ in sites.values() if ref.unmapped),
                  "unmapped_payers": sum(1 for ref, _ in payers.values() if ref.unmapped)}
    if bad_npis:
        res.extras["malformed_npis"] = int(bad_npis)
    if dup_ids:
        res.extras["duplicate_claim_ids"] = dup_ids
    return res
