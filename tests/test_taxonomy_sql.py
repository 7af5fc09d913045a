"""The warehouse's SQL classification (sql/models/03_adjustment.sql) equals the taxonomy's
reference classifier for every rule's own case, loaded through the real loader."""
from __future__ import annotations

import polars as pl

from conftest import FIXTURES, connect, load
from warehouse import taxonomy


def test_sql_matches_reference_classifier(tmp_path):
    rules = taxonomy.load_tables()["rules"]
    cases = set()
    for r in rules.iter_rows(named=True):
        group = r["group_code"] if r["group_code"] != "*" else "CO"
        carc = r["carc"] if r["carc"] != "*" else "16"
        rarc = r["rarc"] if r["rarc"] != "*" else None
        for auth in (True, False):
            cases.add((group, carc, rarc, auth))
    cases.add(("CO", "999", None, False))          # unknown code
    cases = sorted(cases, key=str)
    d = tmp_path / "in"
    d.mkdir()
    core = FIXTURES / "core"
    for f in ("sites.csv", "providers.csv", "payers.csv"):
        (d / f).write_text((core / f).read_text())
    claims = ["claim_id,site_id,rendering_npi,payer_id,patient_id,service_date_from,submitted_date,total_charge,prior_auth_number"]
    lines = ["claim_id,line_number,procedure_code,line_charge"]
    remits = ["remit_claim_id,payer_id,trace_number,remit_date,patient_control_number,claim_status,claim_charge,claim_paid"]
    adjs = ["remit_claim_id,line_number,group_code,carc,amount"]
    rems = ["remit_claim_id,line_number,rarc"]
    for i, (group, carc, rarc, auth) in enumerate(cases):
        cid = f"T{i}"
        claims.append(f"{cid},S1,1234567893,PAYA,P{i},2026-05-04,2026-05-05,10.00,{'AUTH1' if auth else ''}")
        lines.append(f"{cid},1,99213,10.00")
        remits.append(f"R{i},PAYA,TRN1,2026-05-12,{cid},1,10.00,0.00")
        adjs.append(f"R{i},1,{group},{carc},10.00")
        if rarc:
            rems.append(f"R{i},1,{rarc}")
    for name, rows in (("claims", claims), ("claim_lines", lines), ("remits", remits),
                       ("remit_adjustments", adjs), ("remit_remarks", rems)):
        (d / f"{name}.csv").write_text("\n".join(rows) + "\n")
    db = tmp_path / "w.duckdb"
    s = load(db, d)
    assert s.total("quarantined") == 0, s.messages[:5]
    got = {r["claim"]: r for r in connect(db).sql(
        "SELECT a.patient_control_number AS claim, j.category, j.sub_cause, j.soft_hard, j.carc_known "
        "FROM m_adjustment j JOIN adjudication a USING (event_seq)").pl().to_dicts()}
    mismatches = []
    for i, (group, carc, rarc, auth) in enumerate(cases):
        ref = taxonomy.classify(group, carc, rarc, auth)
        g = got[f"T{i}"]
        if (g["category"], g["sub_cause"] or "", g["soft_hard"], g["carc_known"]) != \
                (ref.category, ref.sub_cause or "", ref.soft_hard, ref.known):
            mismatches.append(((group, carc, rarc, auth), g, ref))
    assert not mismatches, mismatches[:5]
    assert len(cases) > 500
