"""Every rule of docs/metrics.md on the hand-made fixture tests/fixtures/core, with values worked
out by hand (see tests/fixtures/core.md for the arithmetic)."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from conftest import connect, kpi_cli, run_cli
from warehouse.metrics import KPI_FIELDS, KPIS
from warehouse.query import Filters, kpis
from warehouse.scope import Scope

W20 = Filters.make(date_from="2026-05-11", date_to="2026-05-17")


@pytest.fixture(scope="module")
def con(core_db):
    return connect(core_db)


def one(con, **kw) -> dict:
    frame = kpis(con, scope=kw.pop("scope", Scope.all()), **kw)
    assert frame.height == 1
    return frame.to_dicts()[0]


def claim(con, claim_id: str) -> dict:
    return con.sql("SELECT * FROM m_claim WHERE claim_id = ?", params=[claim_id]).pl().to_dicts()[0]


def test_week_totals(con):
    r = one(con, filters=W20, as_of=dt.date(2026, 5, 17))
    assert r["claims_adjudicated"] == 11          # C1-C10 families (C9-C1 is C9's) + X11 known from remit
    assert r["claims_denied"] == 5                # C1 partial, C2, C6, C7, C9
    assert r["denial_rate"] == pytest.approx(5 / 11)
    assert r["billed_dollars"] == 1650.00
    assert r["denied_dollars"] == 870.00          # 200 + 100 + 250 + 120 + 200
    assert r["denial_rate_dollars"] == pytest.approx(870 / 1650)
    assert (r["clean_claim_rate__num"], r["clean_claim_rate__den"]) == (5, 10)   # C10's first outcome is W19
    assert r["recovered_dollars"] == 350.00       # C1 200 after appeal, C9 150 on its corrected claim
    assert r["denial_recovery_rate"] == pytest.approx(350 / 870)
    assert (r["appeal_rate__num"], r["appeal_rate__den"]) == (3, 5)
    assert r["appeals_decided"] == 0 and r["appeal_win_ratio"] is None   # decided in W21; none in W20
    assert r["ar_balance"] == 960.00
    assert r["ar_days"] == pytest.approx(960 / (1740 / 90))
    assert r["ar_over_90_pct"] == 0


def test_partial_denial_counts_denied_line_only(con):
    c = claim(con, "C1")
    assert c["initially_denied"] and c["denied_dollars"] == 200 and c["denied_lines"] == 1
    assert (c["root_cause"], c["sub_cause"], c["stage"], c["owner_team"]) == \
        ("authorization", "none_on_file", "front_end", "authorization")


def test_several_carcs_on_one_line_count_once(con):
    c = claim(con, "C2")                         # CO-16 60 + CO-50 40 on a $100 line
    assert c["denied_dollars"] == 100 and c["root_cause"] == "missing_information"


def test_zero_paid_deductible_line_is_not_a_denial(con):
    assert not claim(con, "C3")["initially_denied"]          # paid 0, PR-1 150


def test_co45_only_is_not_a_denial(con):
    assert not claim(con, "C5")["initially_denied"]          # paid 0, CO-45 100 only


def test_claim_denied_outright_denies_all_its_lines(con):
    c = claim(con, "C6")                         # status 4, claim-level CO-29, no SVC
    assert c["initially_denied"] and c["denied_dollars"] == 250 and c["root_cause"] == "timely_filing"
    assert c["soft_hard"] == "hard"


def test_unknown_carc_is_other_and_listed(con):
    c = claim(con, "C7")
    assert c["initially_denied"] and c["root_cause"] == "other"
    unknown = con.sql("SELECT DISTINCT carc FROM m_adjustment WHERE NOT carc_known").fetchall()
    assert unknown == [("999",)]


def test_reversal_is_never_a_new_adjudication_or_denial(con):
    c = claim(con, "C8")                         # paid, reversed (22), re-adjudicated denied
    assert not c["initially_denied"] and c["adjudications"] == 2
    assert c["initial_adjudication_date"] == dt.date(2026, 5, 12)


def test_corrected_claim_joins_its_family_and_recovers(con):
    c = claim(con, "C9")
    assert c["initially_denied"] and c["corrected_claims"] == 1 and c["recovered_dollars"] == 150
    assert con.sql("SELECT count(*) FROM m_claim WHERE claim_id = 'C9-C1'").fetchall() == [(0,)]


def test_rejected_claim_is_not_clean(con):
    c = claim(con, "C10")
    assert c["rejected_before_adjudication"] and not c["initially_denied"]
    assert c["first_outcome_date"] == dt.date(2026, 5, 8)


def test_remit_without_claim_is_counted_and_flagged(con):
    c = claim(con, "REMIT:X11")
    assert c["known_from_remit"] and c["site_id"] == "S1" and c["billed"] == 50


def test_pending_appeal_is_in_neither_side_of_the_win_ratio(con):
    r = one(con, filters=Filters.make(date_from="2026-05-18", date_to="2026-05-24"))
    assert (r["appeal_win_ratio__num"], r["appeal_win_ratio__den"]) == (1, 2)   # A1 won, A3 lost, A2 pending


def test_ar_on_latest_remit_date(con):
    r = one(con)                                 # as of 2026-05-21, the latest remit
    assert r["ar_balance"] == 410.00             # C2 100 + C7 120 + C8 100 (reversed, re-denied) + C12 90
    assert r["ar_days"] == pytest.approx(410 * 90 / 1740)


def test_by_site_sums_to_total(con):
    rows = {r["site"]: r for r in kpis(con, scope=Scope.all(), by=["site"], filters=W20,
                                       as_of=dt.date(2026, 5, 17)).to_dicts()}
    assert (rows["S1"]["claims_adjudicated"], rows["S1"]["claims_denied"]) == (7, 4)
    assert (rows["S2"]["claims_adjudicated"], rows["S2"]["claims_denied"]) == (4, 1)
    assert (rows["S1"]["denied_dollars"], rows["S2"]["denied_dollars"]) == (620, 250)
    assert rows["S1"]["site_name"] == "Alpha Orthopedics"


def test_by_root_cause_rates_add_up_to_total(con):
    frame = kpis(con, scope=Scope.all(), by=["root_cause"], filters=W20)
    rows = {r["root_cause"]: r for r in frame.to_dicts()}
    assert set(rows) == {"authorization", "missing_information", "timely_filing", "other", "coding_modifier"}
    assert all(r["claims_adjudicated"] == 11 for r in rows.values())
    assert sum(r["denied_dollars"] for r in rows.values()) == 870
    assert sum(r["denial_rate"] for r in rows.values()) == pytest.approx(5 / 11)


def test_by_week_places_ar_at_each_week_end(con):
    rows = {r["week"]: r for r in kpis(con, scope=Scope.all(), by=["week"]).to_dicts()}
    assert rows["2026-W19"]["ar_balance"] == 1690       # all but X11 (dated by its remit, 05-14)
    assert rows["2026-W20"]["ar_balance"] == 960
    assert rows["2026-W21"]["ar_balance"] == 410        # measured at the latest remit, 05-21


def test_scope_limits_every_number(con):
    r = one(con, scope=Scope.sites({"S2"}), filters=W20, as_of=dt.date(2026, 5, 17))
    assert (r["claims_adjudicated"], r["claims_denied"], r["denied_dollars"]) == (4, 1, 250)
    assert one(con, scope=Scope.sites(set()), filters=W20)["claims_adjudicated"] == 0


def test_line_slice_by_procedure_and_modifier(con):
    rows = {(r["procedure_code"], r["modifier"]): r
            for r in kpis(con, scope=Scope.all(), by=["procedure_code", "modifier"], filters=W20).to_dicts()}
    assert rows[("99214", "25")]["claims_denied"] == 1 and rows[("99214", "25")]["denied_dollars"] == 200
    assert rows[("20610", "RT")]["denied_dollars"] == 200
    assert rows[("99213", "25")]["claims_denied"] == 0


def test_kpi_command_json_has_every_field(core_db):
    out = run_cli("warehouse", "kpi", "--db", str(core_db), "--by", "site", "--format", "json",
                  "--from", "2026-05-11", "--to", "2026-05-17", "--as-of", "2026-05-17")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [r["site"] for r in rows] == ["S1", "S2"]
    for r in rows:
        assert set(KPI_FIELDS) <= set(r)
    assert rows[0]["denied_dollars"] == 620.0 and rows[1]["claims_adjudicated"] == 4


def test_kpi_command_rejects_unknown_dimension(core_db):
    out = run_cli("warehouse", "kpi", "--db", str(core_db), "--by", "colour")
    assert out.returncode == 2 and "unknown dimension" in out.stderr


def test_kpi_command_warns_of_filter_values_it_does_not_hold(core_db):
    """--filter site=S3 (no such site) used to print headers only, without a word: now stderr names the
    value and the known ones; the known values still apply."""
    out = run_cli("warehouse", "kpi", "--db", str(core_db), "--by", "site", "--filter", "site=S3,S1",
                  "--filter", "root_cause=authorization", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == "warning: --filter site=S3: no such site in this warehouse (known: S1, S2)"
    assert [r["site"] for r in json.loads(out.stdout)] == ["S1"]
    ok = run_cli("warehouse", "kpi", "--db", str(core_db), "--filter", "site=S1", "--filter", "procedure_code=99213")
    assert ok.returncode == 0 and ok.stderr == ""


def test_ar_daily_model_matches_the_kpi(con):
    daily = con.sql("SELECT day, sum(ar_balance) FROM m_ar_daily WHERE day IN ('2026-05-10', '2026-05-17', '2026-05-21') "
                    "GROUP BY day ORDER BY day").fetchall()
    assert [float(v) for _, v in daily] == [1690.0, 960.0, 410.0]


def test_open_denied_dollars(con):
    assert {c: claim(con, c)["open_denied_dollars"] for c in ("C1", "C2", "C6", "C7", "C9")} == \
        {"C1": 0, "C2": 100, "C6": 0, "C7": 120, "C9": 0}   # C9: corrected claim paid 150 + CO-45 50
    r = kpis(con, scope=Scope.all(), filters=W20, kpi_keys=["open_denied_dollars"]).to_dicts()[0]
    assert r["open_denied_dollars"] == 220


def test_the_kpi_command_prints_any_kpi_of_the_registry(core_db):
    """The default rows hold the headline KPIs (the issue's list); --kpis picks others, such as the
    open denied dollars (C2 100 + C7 120 in W20, test_open_denied_dollars), or all of them."""
    week = ["--from", "2026-05-11", "--to", "2026-05-17"]
    assert "open_denied_dollars" not in kpi_cli(core_db, *week)[0]
    assert kpi_cli(core_db, *week, "--kpis", "open_denied_dollars,denial_rate")[0]["open_denied_dollars"] == 220
    every = kpi_cli(core_db, *week, "--kpis", "all")[0]
    assert every["open_denied_dollars"] == 220 and all(k in every for k in KPIS)
    # C6's $250 written off (timely filing) of the week's $870 denied (tests/fixtures/core.md)
    assert every["written_off_dollars"] == 250 and round(every["denial_write_off_rate"], 6) == round(250 / 870, 6)
    bad = run_cli("warehouse", "kpi", "--db", str(core_db), "--kpis", "denial_rte")
    assert bad.returncode == 2 and "unknown KPI denial_rte" in bad.stderr


def test_ar_kpis_alone_by_week_and_site(con):
    by_week = {r["week"]: r for r in kpis(con, scope=Scope.all(), by=["week"], kpi_keys=["ar_balance", "ar_days"],
                                          filters=Filters.make(date_from="2026-05-04", date_to="2026-05-21")).to_dicts()}
    assert {w: r["ar_balance"] for w, r in by_week.items()} == {"2026-W19": 1690, "2026-W20": 960, "2026-W21": 410}
    rows = kpis(con, scope=Scope.all(), by=["week", "site"], kpi_keys=["ar_balance"],
                filters=Filters.make(date_from="2026-05-11", date_to="2026-05-21")).to_dicts()
    got = {(r["week"], r["site"]): r["ar_balance"] for r in rows}
    assert got[("2026-W21", "S1")] == 220 and got[("2026-W21", "S2")] == 190


def test_band_needs_volume_for_count_based_rates():
    """A count-based rate is banded only from MIN_BAND_VOLUME (30) events of its denominator; the
    dollar-weighted rates and A/R days are never gated; without a volume the band is the value's."""
    from warehouse.metrics import FEW, MIN_BAND_VOLUME, band, band_of
    assert MIN_BAND_VOLUME == 30
    assert band("denial_rate", 0.12, 29) == FEW == "too few"
    assert band("denial_rate", 0.12, 30) == "concern"
    assert band("denial_rate", 0.04, 30) == "good"
    assert band("appeal_win_ratio", 2 / 3, 3) == FEW
    assert band("appeal_win_ratio", 2 / 3, None) == "good"
    assert band("denial_rate_dollars", 0.12, 5) == "concern"      # denominator in dollars: no gate
    assert band("ar_days", 65.0, 10) == "concern"
    assert band("denied_dollars", 100.0, 1) is None                 # no benchmark
    assert band_of("clean_claim_rate", {"clean_claim_rate": 0.83, "clean_claim_rate__den": 218}) == "concern"
    assert band_of("clean_claim_rate", {"clean_claim_rate": 0.83, "clean_claim_rate__den": 12}) == FEW
    assert band_of("denial_rate", {"denial_rate": None, "denial_rate__den": 0}) is None
    # judged as shown: 9.96% reads "10.0%", a concern (typical is 5.0% to under 10.0%); 4.996% reads "5.0%"
    assert (band("denial_rate", 0.0996), band("denial_rate", 0.0994), band("denial_rate", 0.04996)) == \
        ("concern", "typical", "typical")
    assert (band("clean_claim_rate", 0.94996), band("ar_days", 39.96)) == ("good", band("ar_days", 40.0))


def test_a_cause_filter_marks_the_ratios_that_become_a_share(con):
    """Filtered or sliced by a denial attribute, a ratio whose numerator it narrows and whose denominator
    it does not (denial rate, denial rate ($), days in A/R) is that cause's share of the whole:
    `<kpi>__share`, and no band; ratios narrowed on both sides (appeal rate) keep theirs. Authorization
    in W20: C1 alone, 1 of 11 claims, $200 of $1,650; unfiltered, 5 of 11 (45.5%: concern)."""
    from warehouse.metrics import band_of
    keys = ["denial_rate", "denial_rate_dollars", "ar_days", "appeal_rate"]
    row = kpis(con, scope=Scope.all(), filters=Filters.make({"root_cause": ["authorization"]}, "2026-05-11", "2026-05-17"),
               kpi_keys=keys).to_dicts()[0]
    assert (row["denial_rate__num"], row["denial_rate__den"], row["denial_rate_dollars__num"]) == (1, 11, 200)
    assert [row.get(f"{k}__share") for k in keys] == [True, True, True, None]
    assert [band_of(k, row) for k in keys] == [None, None, None, "too few"]     # appeal rate 1 of 1: a band, by volume
    by_cause = kpis(con, scope=Scope.all(), by=["root_cause"], filters=W20, kpi_keys=["denial_rate"])
    assert by_cause["denial_rate__share"].to_list() == [True] * by_cause.height
    whole = kpis(con, scope=Scope.all(), filters=W20, kpi_keys=keys).to_dicts()[0]
    assert "denial_rate__share" not in whole and band_of("denial_rate_dollars", whole) == "concern"


def test_a_cause_filter_marks_the_ratio_it_does_not_narrow(con):
    """Clean claim rate is not narrowed by a denial attribute on either side (first-pass claims / claims
    with a first outcome): under the authorization filter it is W20's whole value, marked
    `clean_claim_rate__whole` so the tile can say the filter does not apply to it (a reviewer saw it stay
    84.9% under a stage filter without a word); it keeps its band. Unfiltered: no mark."""
    auth = Filters.make({"root_cause": ["authorization"]}, "2026-05-11", "2026-05-17")
    row = kpis(con, scope=Scope.all(), filters=auth, kpi_keys=["clean_claim_rate", "denial_rate"]).to_dicts()[0]
    whole = kpis(con, scope=Scope.all(), filters=W20, kpi_keys=["clean_claim_rate", "denial_rate"]).to_dicts()[0]
    assert row["clean_claim_rate__whole"] is True and "denial_rate__whole" not in row
    assert (row["clean_claim_rate__num"], row["clean_claim_rate__den"]) == \
        (whole["clean_claim_rate__num"], whole["clean_claim_rate__den"])
    assert "clean_claim_rate__whole" not in whole


def test_a_cause_slice_of_an_empty_range_is_empty_not_an_error(con):
    """By root cause alone over a range with no claims: no rows, with the root_cause column (the base
    measures' one overall row replaced the empty slice and dropped the column: the root causes page
    failed on a custom range past the data)."""
    empty = Filters.make(date_from="2030-01-01", date_to="2030-03-31")
    r = kpis(con, scope=Scope.all(), by=["root_cause"], filters=empty, kpi_keys=["denied_dollars", "denial_rate"])
    assert r.height == 0 and r.columns[0] == "root_cause" and "denial_rate" in r.columns
    whole = kpis(con, scope=Scope.all(), filters=empty, kpi_keys=["denied_dollars", "denial_rate"]).to_dicts()
    assert len(whole) == 1 and whole[0]["denied_dollars"] == 0 and whole[0]["denial_rate"] is None


def test_void_reversal_alone_and_a_status_4_without_a_denial_code(tmp_path):
    """Three shapes a claim-level review built (none is in the demo), worked by hand on the core fixture:
    - X1 ($200, PAYA): denied at claim level (status 4, CO-16 200) on 05-12, voided (frequency 8) 05-20:
      withdrawn, so open denied 0 (it read $200 while its insurance balance read $0).
    - X2 ($300: line 1 $100, line 2 $200): line 1 paid 80 + CO-45 20, line 2 CO-50 200 on 05-12; the whole
      remit reversed (status 22, -80) on 05-19 and nothing after: denied 200, recovered 0 (not -80), open
      200 (it read 280, more than was denied).
    - X3 ($130, one line): status 4 with CO-45 130 alone: denied, root cause 'other' (payer stage, billing,
      soft) as its line in m_line (it had no cause: the causes did not add up to the denied total)."""
    from conftest import core_plus
    con = core_plus(tmp_path, {
        "claims": "X1,,1,,S1,1234567893,1111111112,PAYA,MRN-0101,ABC000000101,2026-05-04,,2026-05-05,200.00,11,\n"
                  "X1-V,X1,8,X1,S1,1234567893,1111111112,PAYA,MRN-0101,ABC000000101,2026-05-04,,2026-05-20,200.00,11,\n"
                  "X2,,1,,S1,1234567893,1111111112,PAYA,MRN-0102,ABC000000102,2026-05-04,,2026-05-05,300.00,11,\n"
                  "X3,,1,,S1,1234567893,1111111112,PAYA,MRN-0103,ABC000000103,2026-05-04,,2026-05-05,130.00,11,",
        "claim_lines": "X1,1,99213,,,1,200.00,2026-05-04\nX2,1,99213,,,1,100.00,2026-05-04\n"
                       "X2,2,99214,,,1,200.00,2026-05-04\nX3,1,99213,,,1,130.00,2026-05-04",
        "remits": "RX1,PAYA,TRN-X1,2026-05-12,X1,4,200.00,0.00,0,PA-0101,\n"
                  "RX2,PAYA,TRN-X2,2026-05-12,X2,1,300.00,80.00,0,PA-0102,\n"
                  "RX2R,PAYA,TRN-X2R,2026-05-19,X2,22,-300.00,-80.00,0,PA-0102,\n"
                  "RX3,PAYA,TRN-X3,2026-05-12,X3,4,130.00,0.00,0,PA-0103,",
        "remit_lines": "RX2,1,99213,,1,100.00,80.00\nRX2,2,99214,,1,200.00,0.00\nRX3,1,99213,,1,130.00,0.00",
        "remit_adjustments": "RX1,,CO,16,200.00\nRX2,1,CO,45,20.00\nRX2,2,CO,50,200.00\nRX3,1,CO,45,130.00",
    })
    x1, x2, x3 = (claim(con, c) for c in ("X1", "X2", "X3"))
    assert (x1["initially_denied"], x1["denied_dollars"], x1["void_date"], x1["open_denied_dollars"]) == \
        (True, 200, dt.date(2026, 5, 20), 0)
    assert (x2["denied_dollars"], x2["recovered_dollars"], x2["open_denied_dollars"]) == (200, 0, 200)
    assert (x3["initially_denied"], x3["denied_dollars"], x3["root_cause"], x3["stage"], x3["owner_team"],
            x3["soft_hard"], x3["carc"]) == (True, 130, "other", "payer", "billing", "soft", None)
    assert con.sql("SELECT root_cause FROM m_line WHERE claim_id = 'X3'").fetchall() == [("other",)]
    # the causes add up to the denied total again
    f = Filters.make(date_from="2026-05-11", date_to="2026-05-17")
    total = kpis(con, scope=Scope.all(), filters=f, kpi_keys=["denied_dollars"]).to_dicts()[0]["denied_dollars"]
    by_cause = kpis(con, scope=Scope.all(), filters=f, by=("root_cause",), kpi_keys=["denied_dollars"])
    assert by_cause["denied_dollars"].sum() == total
    # the work queue lists neither the voided claim nor more than X2's denied dollars
    from warehouse.queue import work_queue
    q = {r["claim_id"]: r["open_denied_dollars"] for r in
         work_queue(con, scope=Scope.all(), as_of=dt.date(2026, 5, 21)).to_dicts()}
    assert "X1" not in q and q["X2"] == 200
