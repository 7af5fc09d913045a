"""Where to act, on the hand fixture (tests/fixtures/core.md)."""
from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import polars as pl
import pytest

from conftest import connect, core_plus
from warehouse import action
from warehouse.query import Filters
from warehouse.scope import Scope

ALL = Scope.all()


def test_appeal_timing(core_db):
    r = action.appeal_timing(connect(core_db), scope=ALL).to_dicts()[0]
    assert (r["appeals_filed"], r["appeals_decided"], r["appeals_won"], r["appeals_pending"]) == (3, 2, 1, 1)
    assert r["appeal_win_ratio"] == 0.5 and r["recovered_on_appeal"] == 200
    assert r["median_days_denial_to_appeal"] == 3      # A1 3, A2 4, A3 2 days after the denial
    assert r["median_days_to_decision"] == 4           # A1 5, A3 3 days


def test_appeal_timing_follows_the_date_basis(core_db):
    """The range keeps the appeals filed in it, or on the date-of-service basis the appeals of the
    claims served in it, as the appeal KPIs do: A1 (C1, served 05-04, filed 05-15, won), A2 (C2,
    served 05-04, filed 05-16, pending), A3 (C6, served 05-06, filed 05-16, lost)."""
    con = connect(core_db)

    def row(date_from, date_to, basis):
        frame = action.appeal_timing(con, scope=ALL, filters=Filters.make(date_from=date_from, date_to=date_to,
                                                                          basis=basis))
        r = frame.to_dicts()[0] if frame.height else {}
        return tuple(r.get(k) for k in ("appeals_filed", "appeals_decided", "appeals_won"))
    assert row("2026-05-05", "2026-05-31", "adjudication") == (3, 2, 1)      # all three filed 05-15/16
    assert row("2026-05-05", "2026-05-31", "service") == (1, 1, 0)           # C6 only, served 05-06
    assert row("2026-05-04", "2026-05-04", "service") == (2, 1, 1)           # C1 and C2
    assert row("2026-05-04", "2026-05-04", "adjudication") == (None, None, None)   # none filed that day


def test_appeal_timing_of_the_appeals_decided_in_the_range(core_db):
    """Cohort 'decided': the appeals decided in the range, as the win ratio KPI counts them. A1 (filed
    05-15, decided 05-20, won: 5 days), A3 (filed 05-16, decided 05-19, lost: 3 days); A2 pending is in
    no such range."""
    con = connect(core_db)

    def row(date_from, date_to):
        frame = action.appeal_timing(con, scope=ALL, filters=Filters.make(date_from=date_from, date_to=date_to),
                                     cohort="decided")
        r = frame.to_dicts()[0] if frame.height else {}
        return tuple(r.get(k) for k in ("appeals_decided", "appeals_won", "appeal_win_ratio", "median_days_to_decision",
                                        "appeals_pending"))
    assert row("2026-05-20", "2026-05-31") == (1, 1, 1.0, 5, 0)
    assert row("2026-05-19", "2026-05-19") == (1, 0, 0.0, 3, 0)
    assert row("2026-05-01", "2026-05-31") == (2, 1, 0.5, 4, 0)
    assert row("2026-05-15", "2026-05-18") == (None,) * 5         # filed then, decided later
    with pytest.raises(ValueError):
        action.appeal_timing(con, scope=ALL, cohort="pending")


@pytest.mark.parametrize("by", ["payer", "root_cause"])
def test_decided_cohort_win_ratios_are_the_kpis(demo_db, by):
    """The appeals page's tables (cohort 'decided', the default) show the KPI's win ratio for each row."""
    from warehouse.query import kpis
    con = connect(demo_db)
    f = Filters.make(date_from="2026-01-01", date_to="2026-06-30")
    got = {r[by]: (r["appeals_decided"], r["appeals_won"])
           for r in action.appeal_timing(con, scope=ALL, filters=f, by=by, cohort="decided").to_dicts()}
    want = {r[by]: (r["appeal_win_ratio__den"], r["appeal_win_ratio__num"])
            for r in kpis(con, scope=ALL, by=(by,), filters=f, kpi_keys=["appeal_win_ratio"]).to_dicts()
            if r["appeal_win_ratio__den"]}
    assert len(got) > 3 and got == want


def test_leakage_never_worked(core_db):
    rows = {r["site"]: r for r in action.leakage(connect(core_db), scope=ALL, as_of=dt.date(2026, 6, 30)).to_dicts()}
    assert (rows["S1"]["denied_claims"], rows["S1"]["never_worked_claims"], rows["S1"]["never_worked_dollars"]) == (4, 1, 120)
    assert rows["S1"]["never_worked_open_dollars"] == 120          # C7, never worked: all $120 still open
    assert (rows["S2"]["denied_claims"], rows["S2"]["never_worked_claims"]) == (1, 0)   # C6 appealed, written off
    # 30 days have not passed for any denial on 2026-05-21: nothing counts as leakage yet
    assert action.leakage(connect(core_db), scope=ALL, as_of=dt.date(2026, 5, 21)).height == 0


def test_a_write_off_within_the_window_counts_as_worked_whatever_came_later(tmp_path):
    """C7 (S1, $120, denied 05-14, never appealed or corrected) written off in part on 05-20 (6 days on)
    and again on 07-01: worked within 30 days. The check once read the claim's last write-off date."""
    con = core_plus(tmp_path, {"write_offs": "C7,2026-05-20,20.00,small_balance\nC7,2026-07-01,100.00,small_balance"})
    rows = {r["site"]: r for r in action.leakage(con, scope=ALL, as_of=dt.date(2026, 7, 30)).to_dicts()}
    assert (rows["S1"]["denied_claims"], rows["S1"]["never_worked_claims"]) == (4, 0)


def test_write_offs_by_reason(core_db):
    assert action.write_offs(connect(core_db), scope=ALL).to_dicts() == \
        [{"write_off_reason": "timely_filing", "root_cause": "timely_filing", "claims": 1, "written_off_dollars": 250.0}]
    # the date range selects the claims by their denial (C6: initial adjudication 2026-05-14), or by date
    # of service (2026-05-06) on that basis
    def count(date_from, date_to, basis="adjudication"):
        return action.write_offs(connect(core_db), scope=ALL, filters=Filters.make({}, date_from, date_to, basis)).height
    assert (count("2026-05-14", "2026-05-14"), count("2026-05-01", "2026-05-13"), count("2026-05-15", "2026-05-31")) == (1, 0, 0)
    assert (count("2026-05-06", "2026-05-06", "service"), count("2026-05-07", "2026-05-31", "service")) == (1, 0)


def test_ar_aging_and_oldest_claims(core_db):
    con = connect(core_db)
    aging = action.ar_aging(con, scope=ALL, as_of=dt.date(2026, 5, 21)).to_dicts()
    assert [(r["bucket"], r["claims"], r["ar_balance"], r["denied_balance"]) for r in aging] == [("0-30", 4, 410.0, 220.0)]
    later = {r["bucket"]: r["ar_balance"] for r in action.ar_aging(con, scope=ALL, as_of=dt.date(2026, 7, 1)).to_dicts()}
    assert later == {"31-60": 410.0}                    # DOS 05-04..05-08: 54-58 days old on 07-01
    oldest = action.oldest_open_claims(con, scope=ALL, as_of=dt.date(2026, 5, 21))
    assert oldest["claim_id"].to_list() == ["C2", "C8", "C7", "C12"]
    assert action.oldest_open_claims(con, scope=Scope.sites({"S2"}), as_of=dt.date(2026, 5, 21))["claim_id"].to_list() == ["C8", "C12"]


def test_change_week():
    weeks = [f"2026-W{w:02d}" for w in range(1, 17)]
    flat = pl.DataFrame({"week": weeks, "denial_rate": [0.05, 0.051, 0.049, 0.05] * 4})
    assert action.change_week(flat) is None
    step = pl.DataFrame({"week": weeks, "denial_rate": [0.05, 0.051, 0.049, 0.05, 0.05, 0.052, 0.048, 0.05,
                                                         0.09, 0.091, 0.089, 0.09, 0.09, 0.092, 0.088, 0.09]})
    assert action.change_week(step) == "2026-W09"


def test_data_quality(core_db):
    from warehouse import quality
    con = connect(core_db)
    hist = quality.load_history(con)
    assert hist.height == 12 and hist["balanced"].all() and hist["rows_read"].sum() == 80
    assert quality.quarantined(con).height == 0
    assert quality.unmatched_remits(con, scope=ALL)["claim_id"].to_list() == ["REMIT:X11"]
    assert quality.unmatched_remits(con, scope=Scope.sites({"S2"})).height == 0
    codes = quality.unknown_codes(con, scope=ALL).to_dicts()
    assert codes == [{"code_type": "CARC", "code": "999", "occurrences": 1, "dollars": 120.0}]
    assert quality.unmapped(con).height == 0
    fresh = {r["payer"]: r for r in quality.freshness(con, scope=ALL, as_of=dt.date(2026, 6, 30)).to_dicts()}
    assert fresh["PAYA"]["last_remit"] == dt.date(2026, 5, 21) and fresh["PAYA"]["days_quiet"] == 40
    assert fresh["PAYA"]["gone_quiet"] and fresh["PAYB"]["gone_quiet"]
    assert not any(r["gone_quiet"] for r in quality.freshness(con, scope=ALL, as_of=dt.date(2026, 5, 22)).to_dicts())


def test_unknown_rarc_counts_on_the_claim_of_its_remit(core_db, tmp_path):
    """A remark whose RARC is in no code list counts once, on the claim of the remit it came with
    (found through the remit's event_seq): claim C2 at site S1, so a scope of site S2 sees none."""
    from warehouse import quality
    db = tmp_path / "w.duckdb"
    shutil.copyfile(core_db, db)
    con = duckdb.connect(str(db))
    con.execute("""INSERT INTO remark (line_number, rarc, event_seq)
                   SELECT 1, 'N9999', event_seq FROM m_adjudication
                   WHERE family_id = 'C2'""")
    assert con.sql("SELECT count(*) FROM m_adjudication WHERE family_id = 'C2'").fetchall() == [(1,)]
    codes = quality.unknown_codes(con, scope=ALL).to_dicts()
    assert codes == [{"code_type": "CARC", "code": "999", "occurrences": 1, "dollars": 120.0},
                     {"code_type": "RARC", "code": "N9999", "occurrences": 1, "dollars": None}]
    assert quality.unknown_codes(con, scope=Scope.sites({"S2"})).filter(pl.col("code_type") == "RARC").height == 0
    assert quality.unknown_codes(con, scope=Scope.sites({"S1"})).filter(pl.col("code_type") == "RARC")["code"].to_list() == ["N9999"]


def test_filter_choices_are_scoped(core_db):
    from warehouse import catalog
    con = connect(core_db)
    assert [v for v, _ in catalog.choices(con, scope=Scope.sites({"S2"}), dim="site")] == ["S2"]
    assert "authorization" in [v for v, _ in catalog.choices(con, scope=Scope.sites({"S2"}), dim="root_cause")]
    assert [v for v, _ in catalog.choices(con, scope=Scope.sites({"S2"}), dim="provider")] == ["1234567901"]


def test_two_values_of_one_name_are_told_apart_in_the_choices():
    """Two payers called "Blue Cross" were one choice: the dashboard names a filter value by its label (in
    the widget and the URL), so the second payer's view opened the first's. A shared label gets its id."""
    from warehouse.catalog import _unique_labels
    assert _unique_labels([("BCBS-TX", "Blue Cross"), ("BCBS-IL", "Blue Cross"), ("AETNA", "Aetna")]) == \
        [("BCBS-TX", "Blue Cross (BCBS-TX)"), ("BCBS-IL", "Blue Cross (BCBS-IL)"), ("AETNA", "Aetna")]


def test_unmatched_remit_list_is_claim_level(core_db):
    import pytest
    from warehouse import quality
    from warehouse.scope import ClaimLevelDenied
    viewer = Scope.sites({"S1"}, claim_level=False)
    assert quality.unmatched_remit_count(connect(core_db), scope=viewer) == 1
    with pytest.raises(ClaimLevelDenied):
        quality.unmatched_remits(connect(core_db), scope=viewer)


@pytest.mark.parametrize("days", [0, 5, 30, 90])
@pytest.mark.parametrize("by", ["site", "payer", "root_cause"])
def test_leakage_matches_the_appeal_correction_and_write_off_facts(demo_db, days, by):
    """leakage() reads m_claim's first appeal / first corrected claim / first write-off dates; the
    same answer straight from the appeals and the family's replacement claims."""
    con = connect(demo_db)
    as_of = con.sql("SELECT max(remit_date) FROM adjudication").fetchall()[0][0]
    col = {"site": "site_id", "payer": "payer_id", "root_cause": "root_cause"}[by]
    want = con.sql(f"""
        WITH w AS (
            SELECT c.{col} AS k, c.denied_dollars,
                   EXISTS (SELECT 1 FROM m_appeal a WHERE a.claim_id = c.claim_id
                           AND a.filed_date <= c.initial_adjudication_date + {days})
                   OR EXISTS (SELECT 1 FROM claim s JOIN m_claim_family f USING (claim_id)
                              WHERE f.family_id = c.claim_id AND s.frequency_code = '7'
                                AND s.submitted_date <= c.initial_adjudication_date + {days})
                   OR EXISTS (SELECT 1 FROM write_off w JOIN m_claim_ref r ON r.ref = w.claim_ref
                              WHERE r.family_id = c.claim_id AND w.write_off_date <= c.initial_adjudication_date + {days})
                       AS worked
            FROM m_claim c WHERE c.initially_denied AND c.initial_adjudication_date <= DATE '{as_of}' - {days})
        SELECT k, count(*), count(*) FILTER (WHERE NOT worked),
               round(coalesce(sum(denied_dollars) FILTER (WHERE NOT worked), 0), 2)
        FROM w GROUP BY 1""").fetchall()
    got = action.leakage(con, scope=ALL, as_of=as_of, days=days, by=by)
    assert sorted(want, key=repr) == sorted(
        [(r[by], r["denied_claims"], r["never_worked_claims"], round(r["never_worked_dollars"], 2))
         for r in got.to_dicts()], key=repr)
    if days >= 30:                                  # some denials were worked, so the test can fail
        assert any(n < d for _, d, n, _ in want)


TAKEBACK = {   # X7 (S1, PAYA, $150): paid in full 05-05, then on 05-13 (week 2026-W20) reversed and denied CO-197
    "claims": "X7,,1,,S1,1234567893,1111111112,PAYA,MRN-0097,ABC999999997,2026-05-01,,2026-05-02,150.00,11,",
    "claim_lines": "X7,1,99214,,,1,150.00,2026-05-01",
    "remits": "RX7A,PAYA,TRN-A7,2026-05-05,X7,1,150.00,150.00,0.00,PA-0097,\n"
              "RX7B,PAYA,TRN-A8,2026-05-13,X7,22,-150.00,-150.00,0.00,PA-0097,\n"
              "RX7C,PAYA,TRN-A8,2026-05-13,X7,4,150.00,0.00,0.00,PA-0097,",
    "remit_lines": "RX7A,1,99214,,1,150.00,150.00\nRX7B,1,99214,,1,-150.00,-150.00\nRX7C,1,99214,,1,150.00,0.00",
    "remit_adjustments": "RX7C,1,CO,197,150.00",
}


def test_takebacks_count_the_claims_denied_after_payment_by_their_re_denial(tmp_path):
    """X7 paid $150 on 05-05 and was reversed and denied CO-197 (no authorization: front end) on 05-13; the
    core fixture's C8 (S2, PAYB) paid $100 on 05-12 and was reversed and denied CO-50 (clinical) on 05-19.
    Each counts in the week of its re-denial, with its open dollars; a denial attribute of the filters is the
    re-denial's (X7 is front end, C8 clinical); neither is an initial denial."""
    con = core_plus(tmp_path, TAKEBACK)
    week = lambda a, b, **v: action.takebacks(con, scope=ALL, start=dt.date(2026, 5, a), end=dt.date(2026, 5, b),  # noqa: E731
                                              filters=Filters.make(v))
    assert week(11, 17) == {"claims": 1, "dollars": 150.0}                  # X7
    assert week(18, 24) == {"claims": 1, "dollars": 100.0}                  # C8
    assert week(4, 10) == {"claims": 0, "dollars": 0.0}                     # X7's payment week: nothing taken back yet
    assert week(11, 24, stage=["front_end"]) == {"claims": 1, "dollars": 150.0}
    assert week(11, 24, stage=["clinical"], site=["S2"]) == {"claims": 1, "dollars": 100.0}
    assert week(11, 24, site=["S1"], root_cause=["medical_necessity"]) == {"claims": 0, "dollars": 0.0}
    assert action.takebacks(con, scope=Scope.sites({"S2"}), start=dt.date(2026, 5, 11),
                            end=dt.date(2026, 5, 24)) == {"claims": 1, "dollars": 100.0}
    assert con.sql("SELECT initially_denied, open_denied_dollars, redenial_cause FROM m_claim WHERE claim_id = 'X7'"
                   ).fetchall() == [(False, 0, "authorization")]


def test_a_recoupment_paid_lower_is_no_takeback_and_a_takeback_counts_what_was_paid(tmp_path):
    """X8 ($100): paid $100 on 05-05, reversed on 05-13 and paid again $94 (CO-45 $6 more): nothing is denied,
    so nothing is taken back (least() skipping a missing re-denial read the $6 cut as taken back). X9 ($300):
    paid $120 on 05-05 after a $180 contractual write-down, reversed and denied CO-50 on 05-13: $120 taken
    back, not its $300 charge (a review: the charges read 2.4 times the payments taken back)."""
    con = core_plus(tmp_path, {
        "claims": "X8,,1,,S1,1234567893,1111111112,PAYA,MRN-0098,ABC999999998,2026-05-01,,2026-05-02,100.00,11,\n"
                  "X9,,1,,S1,1234567893,1111111112,PAYA,MRN-0099,ABC999999999,2026-05-01,,2026-05-02,300.00,11,",
        "claim_lines": "X8,1,99213,,,1,100.00,2026-05-01\nX9,1,99214,,,1,300.00,2026-05-01",
        "remits": "RX8A,PAYA,TRN-A7,2026-05-05,X8,1,100.00,100.00,0.00,PA-0098,\n"
                  "RX8B,PAYA,TRN-A8,2026-05-13,X8,22,-100.00,-100.00,0.00,PA-0098,\n"
                  "RX8C,PAYA,TRN-A8,2026-05-13,X8,1,100.00,94.00,0.00,PA-0098,\n"
                  "RX9A,PAYA,TRN-A7,2026-05-05,X9,1,300.00,120.00,0.00,PA-0099,\n"
                  "RX9B,PAYA,TRN-A8,2026-05-13,X9,22,-300.00,-120.00,0.00,PA-0099,\n"
                  "RX9C,PAYA,TRN-A8,2026-05-13,X9,4,300.00,0.00,0.00,PA-0099,",
        "remit_lines": "RX8A,1,99213,,1,100.00,100.00\nRX8B,1,99213,,1,-100.00,-100.00\nRX8C,1,99213,,1,100.00,94.00\n"
                       "RX9A,1,99214,,1,300.00,120.00\nRX9B,1,99214,,1,-300.00,-120.00\nRX9C,1,99214,,1,300.00,0.00",
        "remit_adjustments": "RX8C,1,CO,45,6.00\nRX9A,1,CO,45,180.00\nRX9B,1,CO,45,-180.00\nRX9C,1,CO,50,300.00",
    })
    assert con.sql("SELECT claim_id, redenied_dollars FROM m_claim WHERE claim_id IN ('X8', 'X9') ORDER BY 1").fetchall() \
        == [("X8", 0), ("X9", 120)]
    assert action.takebacks(con, scope=ALL, start=dt.date(2026, 5, 11), end=dt.date(2026, 5, 17)) == \
        {"claims": 1, "dollars": 120.0}
    assert con.sql("SELECT claim_id, open_denied_dollars FROM m_open_denial WHERE claim_id IN ('X8', 'X9')"
                   ).fetchall() == [("X9", 120)]
