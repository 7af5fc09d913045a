"""warehouse.claims on the hand-made fixture (tests/fixtures/core): the claim list behind a selection,
one claim's story, days to pay and top codes, with contents checked by hand."""
from __future__ import annotations

import datetime as dt

import pytest

from conftest import FIXTURES, app, connect, core_plus
from warehouse import claims, query
from warehouse.query import Filters
from warehouse.scope import Scope

ALL = Scope.all()
W20 = dict(date_from="2026-05-11", date_to="2026-05-17")
D = dt.date


@pytest.fixture(scope="module")
def con(core_db):
    return connect(core_db)


def ids(frame) -> list[str]:
    return frame["claim_id"].to_list()


# ------------------------------------------------------------------ claim list
def test_list_of_the_week(con):
    frame = claims.claim_list(con, scope=ALL, filters=Filters.make(**W20))
    assert sorted(ids(frame)) == sorted(["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10", "REMIT:X11"])
    denied = claims.claim_list(con, scope=ALL, filters=Filters.make(**W20), denied_only=True)
    # by denied dollars, then claim id: C6 250, C1 200, C9 200, C7 120, C2 100 (= $870)
    assert ids(denied) == ["C6", "C1", "C9", "C7", "C2"]
    assert denied["denied_dollars"].sum() == 870
    assert claims.claim_count(con, scope=ALL, filters=Filters.make(**W20), denied_only=True) == 5
    row = denied.row(1, named=True)
    assert (row["site_name"], row["payer_name"], row["root_cause"], row["carc"]) == \
        ("Alpha Orthopedics", "Acme Health", "authorization", "197")
    assert row["carc_description"].startswith("Prior authorization")


@pytest.mark.parametrize("values, expected", [
    ({"site": ["S2"]}, ["C4", "C5", "C6", "C8"]),
    ({"payer": ["PAYB"]}, ["C3", "C5", "C8", "C9"]),
    ({"root_cause": ["authorization"]}, ["C1"]),                 # denial attribute: the claim's own cause
    ({"stage": ["back_end"]}, ["C2", "C6", "C9"]),               # missing info, timely filing, coding
    ({"procedure_code": ["20610"]}, ["C1"]),                     # line attribute: any line of the initial remit
    ({"modifier": ["25"]}, ["C1", "C9"]),                        # 99213-25 on C1, 99214-25 on C9
    ({"carc": ["197"]}, ["C1"]),                                 # a denied line's largest denial CARC
    ({"site": ["S1"], "payer": ["PAYB"]}, ["C3", "C9"]),
])
def test_list_filters_mean_what_they_mean_for_kpis(con, values, expected):
    frame = claims.claim_list(con, scope=ALL, filters=Filters.make(values, **W20))
    assert sorted(ids(frame)) == expected


def test_denied_claims_of_a_code_are_those_whose_line_with_it_was_denied(con):
    """A payer x procedure (or modifier) cell counts a claim as denied for that code when the line
    with the code was denied; its 'list the claims' must list the same claims. C1's 99213-25 line
    was paid (C1 was denied on its 20610 line), C9's 99214-25 line was denied; of the 99213 lines
    only C7's was denied (C1's was paid)."""
    week = Filters.make(**W20)
    by_modifier = Filters.make({"modifier": ["25"]}, **W20)
    assert sorted(ids(claims.claim_list(con, scope=ALL, filters=by_modifier))) == ["C1", "C9"]   # any line
    assert ids(claims.claim_list(con, scope=ALL, filters=by_modifier, denied_only=True)) == ["C9"]
    assert claims.claim_page(con, scope=ALL, filters=by_modifier, denied_only=True)[1] == 1
    assert claims.claim_count(con, scope=ALL, filters=by_modifier, denied_only=True) == 1
    by_code = Filters.make({"procedure_code": ["99213"]}, **W20)
    assert ids(claims.claim_list(con, scope=ALL, filters=by_code, denied_only=True)) == ["C7"]
    assert claims.claim_count(con, scope=ALL, filters=week, denied_only=True) == 5             # no line filter


# tests/fixtures/core_proc_modifier: four PAYA claims at S1, initial remit 05-12 (W20), added to the core
# fixture. Lines of the initial adjudication (procedure-modifier, outcome):
#   P1 $800: 29881-LT denied (CO-197 500), 29877-RT denied (CO-197 300)      claim denied
#   P2 $600: 29881-RT paid 480 (+ CO-45 120)                                 not denied
#   P3 $900: 29881-RT denied (CO-197 500), 29877-LT paid 320 (+ CO-45 80)    claim denied
#   P4 $250: 29881 no modifier paid 120 (+ CO-45 30), 20610-RT denied (CO-197 100)   claim denied
# So P1 has procedure A=29881 with modifier X=LT on one line and B=29877 with Y=RT on another.
# A payer x procedure-modifier cell counts a claim with a line carrying both (m_line_rollup), as the
# claims behind it must (the demo's Summit 29881-RT cell: "9 of 18 denied" listed 12 of 12 claims,
# among them 29881-LT + 29877-RT-59 claims).
PROC_MOD = {   # (procedure, modifier) -> (claims with such a line, those whose such line was denied)
    ("29881", "RT"): (["P2", "P3"], ["P3"]),   # not P1 (29881-LT + 29877-RT) nor P4 (29881 + 20610-RT)
    ("29881", "LT"): (["P1"], ["P1"]),         # not P3 (29881-RT + 29877-LT)
    ("29877", "RT"): (["P1"], ["P1"]),
    ("29877", "LT"): (["P3"], []),             # P3's 29877-LT line was paid; not P1 (its LT line is 29881)
    ("29881", "(none)"): (["P4"], []),
}


@pytest.fixture(scope="module")
def proc_mod_db(tmp_path_factory):
    """The core fixture plus tests/fixtures/core_proc_modifier (same columns as the core files)."""
    rows = {}
    for f in sorted((FIXTURES / "core_proc_modifier").glob("*.csv")):
        header, body = f.read_text().split("\n", 1)
        assert header == (FIXTURES / "core" / f.name).read_text().split("\n", 1)[0], f.name
        rows[f.stem] = body.rstrip("\n")
    tmp = tmp_path_factory.mktemp("proc_mod")
    core_plus(tmp, rows).close()
    return tmp / "w.duckdb"


@pytest.mark.parametrize("code, mod", list(PROC_MOD))
def test_a_procedure_modifier_cell_lists_the_claims_with_one_line_carrying_both(proc_mod_db, code, mod):
    """The claim list behind a payer x procedure-modifier cell (procedure and modifier filters) keeps a
    claim only when ONE line carries both (before: the code on one line and the modifier on another
    was enough: 29881-RT listed P1 and P4, 29877-LT listed P1 as denied). List, page count, claim
    count and the cell's own counts agree, with and without 'Denied only'."""
    con = connect(proc_mod_db)
    any_line, denied = PROC_MOD[(code, mod)]
    f = Filters.make({"payer": ["PAYA"], "procedure_code": [code], "modifier": [mod]}, **W20)
    for denied_only, want in ((False, any_line), (True, denied)):
        frame, total = claims.claim_page(con, scope=ALL, filters=f, denied_only=denied_only)
        assert sorted(ids(frame)) == want, denied_only
        assert total == len(want) == claims.claim_count(con, scope=ALL, filters=f, denied_only=denied_only)
    # the cell: kpis by payer x procedure x modifier (m_line_rollup), and the same slice as filters (m_line)
    cells = query.kpis(con, scope=ALL, by=("payer", "procedure_code", "modifier"),
                       filters=Filters.make({"payer": ["PAYA"]}, **W20), kpi_keys=["claims_adjudicated", "claims_denied"])
    cell = cells.filter((cells["procedure_code"] == code) & (cells["modifier"] == mod)).row(0, named=True)
    assert (cell["claims_adjudicated"], cell["claims_denied"]) == (len(any_line), len(denied))
    filtered = query.kpis(con, scope=ALL, filters=f, kpi_keys=["claims_adjudicated", "claims_denied"]).row(0, named=True)
    assert (filtered["claims_adjudicated"], filtered["claims_denied"]) == (len(any_line), len(denied))
    con.close()


def test_every_line_attribute_is_matched_on_the_same_line(proc_mod_db):
    """Procedure code, modifier and CARC filters together select lines carrying all of them (what a KPI
    filtered by them counts): a 29877 line denied with CARC 197 is P1's only (P3's 29877-LT line was
    paid: CO-45 is no denial, and CO-197 is on its 29881 line); an RT line with CARC 197 on a 29881 line:
    P3; P4's 197 is on its 20610-RT line, not its 29881 one. Two modifiers: lines with either."""
    con = connect(proc_mod_db)

    def listed(values, denied_only=False):
        return sorted(ids(claims.claim_list(con, scope=ALL, filters=Filters.make(values, **W20),
                                            denied_only=denied_only)))

    assert listed({"procedure_code": ["29877"], "carc": ["197"]}) == ["P1"]
    assert listed({"procedure_code": ["29881"], "modifier": ["RT"], "carc": ["197"]}) == ["P3"]
    assert listed({"procedure_code": ["29881"], "modifier": ["LT", "RT"]}) == ["P1", "P2", "P3"]
    assert listed({"procedure_code": ["29881"], "modifier": ["LT", "RT"]}, denied_only=True) == ["P1", "P3"]
    assert listed({"modifier": ["RT"]}, denied_only=True) == ["C1", "P1", "P3", "P4"]   # modifier alone: as before
    # the Denial CARC choices under a procedure and modifier: the CARCs of denied 29881-RT lines only
    assert claims.denial_carcs(con, scope=ALL, filters=Filters.make(
        {"procedure_code": ["29881"], "modifier": ["RT"]}, **W20)) == ["197"]
    con.close()


def test_the_cell_s_claims_on_the_page(monkeypatch, proc_mod_db):
    """The payer drill-down with the filters a click on Acme's 29881-RT cell sets (payer, procedure,
    modifier: bound to the URL): the cell says 1 of 2 claims denied; the list shows P3 (Denied only,
    the default), then P2 and P3 (before: P1 and P3, then P1-P4)."""
    import json
    at = app(monkeypatch, proc_mod_db, "pages/payer_drilldown.py", payer="Acme Health", procedure="29881",
             modifier="RT")
    cells = [cd for c in at.get("plotly_chart") for tr in json.loads(c.proto.spec)["data"]
             for cd in tr.get("customdata") or [] if isinstance(cd, list) and cd[:3] == ["PAYA", "29881", "RT"]]
    assert [cd[3] for cd in cells] == ["1 of 2 claims"]
    assert (at.multiselect(key="procedure").value, at.multiselect(key="modifier").value) == (["29881"], ["RT"])

    def listed():
        return [df for df in at.dataframe if "claim_id" in df.value.columns][0].value["claim_id"].to_list()

    captions = lambda: [c.value for c in at.caption]        # noqa: E731
    assert listed() == ["P3"]
    assert any(c.startswith("1 of 1 claims") for c in captions())
    at.toggle(key="denied_only").set_value(False).run()
    assert not at.exception
    assert sorted(listed()) == ["P2", "P3"]
    assert any(c.startswith("2 of 2 claims") for c in captions())


def test_list_search_sort_basis_and_scope(con):
    assert sorted(ids(claims.claim_list(con, scope=ALL, search="c1"))) == ["C1", "C10", "C12"]
    assert ids(claims.claim_list(con, scope=ALL, search="197")) == ["C1"]          # the denial CARC
    # any denial code of the initial adjudication, as the claim detail writes it: C2's CO-16 is its top
    # CARC, CO-50 its second; its RARC M127; C9's N519 (a review: "CO-197" and "M62" found nothing)
    for text, want in (("CO-197", ["C1"]), ("co 197", ["C1"]), ("CO197", ["C1"]), ("PR-197", []),
                       ("50", ["C2"]), ("CO-50", ["C2"]), ("M127", ["C2"]), ("n519", ["C9"]), ("CO-45", [])):
        assert ids(claims.claim_list(con, scope=ALL, search=text)) == want, text
    pseudonym = claims.claim_detail(con, scope=ALL, claim_id="C7")["claim"]["patient_pseudonym"]
    assert ids(claims.claim_list(con, scope=ALL, search=pseudonym.lower())) == ["C7"]
    by_billed = claims.claim_list(con, scope=ALL, filters=Filters.make(**W20), sort="billed", descending=False, limit=3)
    assert ids(by_billed) == ["REMIT:X11", "C10", "C2"]          # $50, $80, $100 (C2 before C5, same $100)
    service = claims.claim_list(con, scope=ALL, filters=Filters.make(date_from="2026-05-04", date_to="2026-05-04",
                                                                      basis="service"))
    assert sorted(ids(service)) == ["C1", "C2", "C8"]            # date of service 05-04
    s2 = claims.claim_list(con, scope=Scope.sites({"S2"}), filters=Filters.make(**W20))
    assert sorted(ids(s2)) == ["C4", "C5", "C6", "C8"]
    assert claims.claim_list(con, scope=Scope.sites(set())).height == 0
    with pytest.raises(ValueError):
        claims.claim_list(con, scope=ALL, sort="1; DROP TABLE claim")


# ------------------------------------------------------------------ one claim
def test_claim_c1(con):
    d = claims.claim_detail(con, scope=ALL, claim_id="C1")
    c = d["claim"]
    assert (c["site_id"], c["payer_id"], c["billed"], c["denied_dollars"], c["recovered_dollars"]) == \
        ("S1", "PAYA", 300, 200, 200)
    assert c["patient_pseudonym"].startswith("PT-") and c["member_id_masked"] == "****6789"
    assert not any(k for k in c if "name" in k and k not in ("site_name", "payer_name", "provider_name",
                                                             "initial_payer_name"))
    assert (c["initial_payer_name"], c["remit_payers"]) == ("Acme Health", 1)
    assert d["lines"].select("line_number", "procedure_code", "modifiers", "line_charge").rows() == \
        [(1, "99213", "25", 100.0), (2, "20610", "RT", 200.0)]
    adj = d["adjudications"]
    assert adj["remit_date"].to_list() == [D(2026, 5, 12), D(2026, 5, 21)]
    assert adj["is_initial"].to_list() == [True, False] and adj["claim_paid"].to_list() == [80.0, 200.0]
    # which payer sent each remit and which submission it answers (its CLP01), as the card shows them
    assert adj.select("payer_name", "patient_control_number").rows() == [("Acme Health", "C1")] * 2
    r1 = adj["adjudication_id"][0]
    assert c["initial_adjudication_id"] == r1 and "initial_seq" not in c   # shown and exported: the id, not the seq
    cas = d["adjustments"].filter(d["adjustments"]["adjudication_id"] == r1)
    assert cas.select("line_number", "group_code", "carc", "amount", "root_cause").rows() == \
        [(1, "CO", "45", 20.0, "not_denial"), (2, "CO", "197", 200.0, "authorization")]
    assert cas["carc_description"].to_list()[1].startswith("Prior authorization")
    lines = d["adjudication_lines"].filter(d["adjudication_lines"]["adjudication_id"] == r1)
    assert lines.select("line_number", "is_denied").rows() == [(1, False), (2, True)]     # a partial denial
    assert d["appeals"].select("appeal_id", "outcome", "recovered_amount").rows() == [("A1", "won", 200.0)]
    assert d["rejections"].height == 0 and d["write_offs"].height == 0 and d["remarks"].height == 0
    # balance: +300 charges (05-04), −80 paid −20 CO-45 (05-12), −200 paid after the appeal (05-21)
    assert d["balance"].rows() == [(D(2026, 5, 4), 300.0, 300.0), (D(2026, 5, 12), -100.0, 200.0),
                                   (D(2026, 5, 21), -200.0, 0.0)]


def test_claim_c8_reversal(con):
    d = claims.claim_detail(con, scope=ALL, claim_id="C8")
    adj = d["adjudications"]
    # paid (05-12), reversed (status 22, 05-19), re-adjudicated and denied CO-50 (05-19)
    assert adj.select("remit_date", "claim_status", "claim_paid", "is_reversal").rows() == [
        (D(2026, 5, 12), "1", 100.0, False), (D(2026, 5, 19), "22", -100.0, True), (D(2026, 5, 19), "1", 0.0, False)]
    assert adj["status"].to_list()[1] == "reversal of previous payment"
    assert adj["is_initial"].to_list() == [True, False, False]
    assert not d["claim"]["initially_denied"] and d["claim"]["adjudications"] == 2
    assert d["adjustments"].select("group_code", "carc", "amount").rows() == [("CO", "50", 100.0)]
    # the reversal puts the balance back; the denial does not move it
    assert d["balance"].rows() == [(D(2026, 5, 4), 100.0, 100.0), (D(2026, 5, 12), -100.0, 0.0),
                                   (D(2026, 5, 19), 100.0, 100.0)]


def test_corrected_claim_opens_its_family(con):
    d = claims.claim_detail(con, scope=ALL, claim_id="C9-C1")
    assert d["claim"]["claim_id"] == "C9"
    assert d["submissions"].select("claim_id", "kind").rows() == [("C9", "original"), ("C9-C1", "replacement")]
    assert d["remarks"].select("rarc").to_series().to_list() == ["N519"]
    assert d["remarks"]["rarc_description"][0]
    # N519 came on remit R9A (2026-05-13), the first of the family's two: the remark shows that
    # remit's id (a remark keeps only its remit's event_seq since schema 6)
    first = d["adjudications"].filter(d["adjudications"]["remit_date"] == D(2026, 5, 13))
    assert first.height == 1 and d["remarks"]["adjudication_id"].to_list() == first["adjudication_id"].to_list()


def test_rejection_write_off_claim_level_and_remit_only(con):
    c10 = claims.claim_detail(con, scope=ALL, claim_id="C10")
    assert c10["rejections"].select("rejected_date", "status_code").rows() == [(D(2026, 5, 8), "A7:21")]
    c6 = claims.claim_detail(con, scope=ALL, claim_id="C6")
    assert c6["write_offs"].select("amount", "reason").rows() == [(250.0, "timely_filing")]
    assert c6["appeals"]["outcome"].to_list() == ["lost"]
    assert c6["adjustments"].select("line_number", "carc", "root_cause").rows() == [(None, "29", "timely_filing")]
    x11 = claims.claim_detail(con, scope=ALL, claim_id="REMIT:X11")
    assert x11["claim"]["known_from_remit"] and x11["submissions"].height == 0


def test_claim_outside_scope_is_none(con):
    assert claims.claim_detail(con, scope=Scope.sites({"S2"}), claim_id="C1") is None      # C1 is S1's
    assert claims.claim_detail(con, scope=Scope.sites({"S2"}), claim_id="C4") is not None
    assert claims.claim_detail(con, scope=Scope.sites(set()), claim_id="C4") is None
    assert claims.claim_detail(con, scope=ALL, claim_id="NO-SUCH-CLAIM") is None
    assert claims.claim_detail(con, scope=ALL, claim_id="' OR 1=1 --") is None


def test_totals_only_scope_gets_no_claims(con):
    from warehouse.scope import ClaimLevelDenied
    viewer = Scope.sites({"S1", "S2"}, claim_level=False)
    for call in (lambda: claims.claim_list(con, scope=viewer), lambda: claims.claim_count(con, scope=viewer),
                 lambda: claims.claim_detail(con, scope=viewer, claim_id="C1")):
        with pytest.raises(ClaimLevelDenied):
            call()
    assert claims.top_codes(con, scope=viewer, kind="carc").height > 0       # totals stay available


# ------------------------------------------------------------------ days to pay, top codes
def test_days_to_pay(con):
    rows = {r["payer"]: r for r in claims.days_to_pay(con, scope=ALL, filters=Filters.make(**W20)).to_dicts()}
    # PAYA: C1 7, C2 7, C4 7, C6 7, C7 6, C10 7 days (X11 has no submitted date); PAYB: C3 7, C5 6, C8 7, C9 7
    assert rows["PAYA"]["claims_paid_timed"] == 6 and rows["PAYB"]["claims_paid_timed"] == 4
    assert rows["PAYA"]["days_to_pay_median"] == 7 and rows["PAYB"]["days_to_pay_median"] == 7
    # 90th percentile of [6, 7, 7, 7] (interpolated at position 2.7) = 7
    assert rows["PAYB"]["days_to_pay_p90"] == 7
    total = claims.days_to_pay(con, scope=ALL, filters=Filters.make({"site": ["S2"]}, **W20), by=None).to_dicts()[0]
    assert total["claims_paid_timed"] == 4                       # C4, C5, C6, C8
    with pytest.raises(ValueError):
        claims.days_to_pay(con, scope=ALL, by="root_cause")


def test_top_codes(con):
    carc = claims.top_codes(con, scope=ALL, filters=Filters.make(**W20), kind="carc")
    assert carc.filter(carc["payer"] == "PAYA").select("group_code", "code", "claims", "dollars").rows() == [
        ("CO", "29", 1, 250.0), ("CO", "197", 1, 200.0), ("CO", "999", 1, 120.0), ("CO", "16", 1, 60.0),
        ("CO", "50", 1, 40.0)]
    assert carc.filter(carc["payer"] == "PAYB").select("code", "dollars").rows() == [("4", 200.0)]
    assert carc.filter(carc["code"] == "999")["description"][0] is None      # a code in no list
    top2 = claims.top_codes(con, scope=ALL, filters=Filters.make(**W20), kind="carc", limit=2)
    assert top2.filter(top2["payer"] == "PAYA")["code"].to_list() == ["29", "197"]
    rarc = claims.top_codes(con, scope=ALL, filters=Filters.make(**W20), kind="rarc")
    assert rarc.select("payer", "code", "claims", "dollars").rows() == [("PAYA", "M127", 1, 100.0),
                                                                        ("PAYB", "N519", 1, 200.0)]
    assert rarc["payer_name"].to_list() == ["Acme Health", "Medicare Part B"]
    s2 = claims.top_codes(con, scope=Scope.sites({"S2"}), filters=Filters.make(**W20), kind="carc")
    assert s2["code"].to_list() == ["29"]                        # C6 only: scope applies


def test_denial_carcs_offers_every_code_the_claim_filter_can_match(con):
    """The claim list's Denial CARC choices: the largest denial adjustment's CARC of every initially
    denied claim in the selection (C1 197, C2 16 (CO-16 60 over CO-50 40), C6 29, C7 999, C9 4), not
    only the payers' top five codes; the CARC filter itself is left out, the others apply."""
    assert claims.denial_carcs(con, scope=ALL, filters=Filters.make(**W20)) == ["4", "16", "29", "197", "999"]
    assert claims.denial_carcs(con, scope=ALL, filters=Filters.make({"carc": ["29"]}, **W20)) == \
        ["4", "16", "29", "197", "999"]
    assert claims.denial_carcs(con, scope=ALL, filters=Filters.make({"payer": ["PAYB"]}, **W20)) == ["4"]
    assert claims.denial_carcs(con, scope=Scope.sites({"S2"}), filters=Filters.make(**W20)) == ["29"]



def test_denial_carcs_offers_a_second_denied_lines_code(tmp_path):
    """W1's two lines are both denied, CO-197 $100 and CO-50 $50: the claim's CARC is 197, yet the filter
    matches 50 too (it looks at every denied line), so 50 is offered (from a review: it was not)."""
    con = core_plus(tmp_path, {
        "claims": "W1,,1,,S1,1234567893,1111111112,PAYB,MRN-0091,ABC999999991,2026-05-04,,2026-05-05,150.00,11,",
        "claim_lines": "W1,1,99214,,,1,100.00,2026-05-04\nW1,2,99213,,,1,50.00,2026-05-04",
        "remits": "RW1,PAYB,TRN-W1,2026-05-12,W1,1,150.00,0.00,0.00,PB-0191,",
        "remit_lines": "RW1,1,99214,,1,100.00,0.00\nRW1,2,99213,,1,50.00,0.00",
        "remit_adjustments": "RW1,1,CO,197,100.00\nRW1,2,CO,50,50.00"})
    f = Filters.make({"payer": ["PAYB"]}, **W20)
    assert claims.denial_carcs(con, scope=ALL, filters=f) == ["4", "50", "197"]       # C9's 4 is PAYB's too
    listed = claims.claim_list(con, scope=ALL, filters=Filters.make({"payer": ["PAYB"], "carc": ["50"]}, **W20),
                               denied_only=True)
    assert listed["claim_id"].to_list() == ["W1"]


def test_a_credit_balance_is_shown_as_it_nets_in_ar(tmp_path, monkeypatch):
    """An overpayment: X8, one $100 line; the remit of 05-12 pays 120. The balance goes +100 (05-04),
    -120 (05-12) to -20, a credit, as insurance A/R nets it (m_ar_claim); before, the claim page
    clamped it at 0 and the two disagreed."""
    con = core_plus(tmp_path, {
        "claims": "X8,,1,,S1,1234567893,1111111112,PAYB,MRN-0099,ABC999999999,2026-05-04,,2026-05-05,100.00,11,",
        "claim_lines": "X8,1,99213,,,1,100.00,2026-05-04",
        "remits": "RX8,PAYB,TRN-B8,2026-05-12,X8,1,100.00,120.00,0.00,PB-0098,",
        "remit_lines": "RX8,1,99213,,1,100.00,120.00",
    })
    d = claims.claim_detail(con, scope=ALL, claim_id="X8")
    assert d["balance"].rows() == [(D(2026, 5, 4), 100.0, 100.0), (D(2026, 5, 12), -120.0, -20.0)]
    assert con.sql("SELECT balance FROM m_ar_claim WHERE claim_id = 'X8'").fetchall() == [(-20,)]
    con.close()
    at = app(monkeypatch, tmp_path / "w.duckdb", "pages/payer_drilldown.py")
    at.text_input(key="claim").input("X8").run()
    assert not at.exception
    assert [m.value for m in at.metric if m.label == "Insurance balance now"] == ["−$20.00 credit"]
    assert any(c.value.startswith("A credit balance of $20.00") for c in at.caption)


def test_codes_sort_as_the_code_lists_print_them():
    codes = ["B10", "119", "A1", "15", "B7", "4", "N519", "P2", "11", "x?"]
    assert sorted(codes, key=claims.code_order) == ["4", "11", "15", "119", "A1", "B7", "B10", "N519", "P2", "x?"]


def test_a_crossover_awaiting_the_next_payer_says_what_the_balance_holds(tmp_path, monkeypatch):
    """XF1, $300 (line 1 $100, line 2 $200): the primary (19, forwarded) pays line 1 60 (CO-45 20, PR-2 20)
    and denies line 2 (CO-50 200); the secondary has not remitted. Balance 300 - 60 - 20 = $220, open denied
    $200: the $20 coinsurance forwarded to the secondary is the difference, and the claim says so. XF2, the
    same and the secondary's remit (pays the 20): nothing awaits, balance 200 = open. C1 (one payer): 0."""
    first = ("{c}1,PAYB,TRN-{c},2026-05-12,{c},19,300.00,60.00,20.00,PB-{c},")
    con = core_plus(tmp_path, {
        "claims": "\n".join(f"{c},,1,,S1,1234567893,1111111112,PAYB,MRN-00{n},ABC9999999{n},2026-05-04,,2026-05-05,300.00,11,"
                            for n, c in ((81, "XF1"), (82, "XF2"))),
        "claim_lines": "\n".join(f"{c},1,99213,,,1,100.00,2026-05-04\n{c},2,20610,,,1,200.00,2026-05-04" for c in ("XF1", "XF2")),
        "remits": "\n".join(first.format(c=c) for c in ("XF1", "XF2")) + "\nXF22,PAYA,TRN-XF22,2026-05-19,XF2,2,100.00,20.00,0.00,PA-XF2,",
        "remit_lines": "\n".join(f"{c}1,1,99213,,1,100.00,60.00\n{c}1,2,20610,,1,200.00,0.00" for c in ("XF1", "XF2"))
                       + "\nXF22,1,99213,,1,100.00,20.00",
        "remit_adjustments": "\n".join(f"{c}1,1,CO,45,20.00\n{c}1,1,PR,2,20.00\n{c}1,2,CO,50,200.00" for c in ("XF1", "XF2"))
                             + "\nXF22,1,OA,23,80.00",
    })
    got = {}
    for claim in ("XF1", "XF2", "C1"):
        c = claims.claim_detail(con, scope=ALL, claim_id=claim)["claim"]
        got[claim] = (c["open_denied_dollars"], c["forwarded_awaiting"])
    balance = dict(con.sql("SELECT claim_id, balance FROM m_ar_claim WHERE claim_id IN ('XF1', 'XF2')").fetchall())
    assert got == {"XF1": (200, 20), "XF2": (200, 0), "C1": (0, 0)} and balance == {"XF1": 220, "XF2": 200}
    con.close()
    at = app(monkeypatch, tmp_path / "w.duckdb", "pages/payer_drilldown.py")
    at.text_input(key="claim").input("XF1").run()
    assert not at.exception and any("also holds $20.00 of the patient's share" in c.value for c in at.caption)
    at.text_input(key="claim").input("XF2").run()
    assert not at.exception and not any("also holds" in c.value for c in at.caption)
