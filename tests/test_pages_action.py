"""The "where to act" pages (issue 5) through Streamlit's AppTest (rendering on every warehouse is in
test_pages_apptest.py, for every page): what each shows equals the KPI command / the warehouse function for the same
filters, with the hand values of tests/fixtures/core.md and docs/work-queue.md.

Core fixture, default range (last 13 complete weeks through Sun 2026-05-17), latest remit 2026-05-21."""
from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from conftest import app, connect, displayed, kpi_cli
from warehouse import action, claims, periods, quality
from warehouse.query import Filters
from warehouse.queue import work_queue
from warehouse.scope import Scope

AS_OF = dt.date(2026, 5, 21)
RANGE = periods.preset_range("last_13_weeks", AS_OF)          # 2026-02-16 .. 2026-05-17
ALL = Scope.all()


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def texts(at) -> str:
    return "\n".join([c.value for c in at.caption] + [m.value for m in at.markdown])


def frame_with(at, *cols):
    """The first dataframe shown that has all these columns (as pandas)."""
    for df in at.dataframe:
        if all(c in df.value.columns for c in cols):
            return df.value
    raise AssertionError(f"no table with {cols}")


def core_filters(**values) -> Filters:
    return Filters.make(values, RANGE[0], RANGE[1])


# ------------------------------------------------------------------ the new warehouse functions, by hand
def test_ar_denied_share_by_hand(core_db):
    con = connect(core_db)
    # 05-17: C1 200 + C2 100 + C6 250 + C7 120 + C9 200 = 870 denied of 960 (C12 90 is not denied)
    r = action.ar_denied_share(con, scope=ALL, as_of=dt.date(2026, 5, 17)).to_dicts()[0]
    assert (r["ar_balance"], r["denied_balance"]) == (960.0, 870.0) and r["denied_share"] == pytest.approx(870 / 960)
    # 05-21: C2 100 + C7 120 of 410 (C8's balance is denied on a re-adjudication, not initially)
    r = action.ar_denied_share(con, scope=ALL, as_of=AS_OF).to_dicts()[0]
    assert (r["ar_balance"], r["denied_balance"]) == (410.0, 220.0)
    r = action.ar_denied_share(con, scope=Scope.sites({"S2"}), as_of=AS_OF).to_dicts()[0]
    assert (r["ar_balance"], r["denied_balance"]) == (190.0, 0.0)        # C8 100 + C12 90
    assert r["denied_only"] == ""
    # a root-cause filter keeps only claims with a denial: the share is 100% by construction, and says so
    # (a review read "Denied share of A/R 100.0%" under it as a finding); C2 100 is the missing-information one
    r = action.ar_denied_share(con, scope=ALL, as_of=AS_OF, filters=core_filters(root_cause=["missing_information"])).to_dicts()[0]
    assert (r["ar_balance"], r["denied_balance"], r["denied_share"], r["denied_only"]) == (100.0, 100.0, 1.0, "Root cause")
    r = action.ar_denied_share(con, scope=ALL, as_of=AS_OF, filters=core_filters(carc=["50"])).to_dicts()[0]
    assert r["denied_only"] == ""                                          # the CARC filter does not narrow A/R


def test_payer_rules_by_hand(core_db):
    con = connect(core_db)
    rules = quality.payer_rules(con, scope=ALL).to_dicts()
    assert [(r["payer"], r["appeal_window_days"], r["timely_filing_days"], r["rule_source"]) for r in rules] == \
        [("PAYA", 90, 180, "payers list"), ("PAYB", 120, 365, "payers list")]
    assert quality.payer_rules(con, scope=Scope.sites({"NOPE"})).height == 0


# ------------------------------------------------------------------ root causes
def test_root_causes_equal_kpi_command(monkeypatch, core_db):
    at = app(monkeypatch, core_db, "pages/root_causes.py")
    m = metrics(at)
    # W20 denials: C1 auth 200, C2 missing_information 100, C6 timely_filing 250 (hard), C7 other 120 (payer
    # stage), C9 coding_modifier 200 -> $870; practice stages 870 - 120 = 750; soft 870 - 250 = 620
    assert (m["Denied dollars"], m["Practice-controlled"], m["Soft (workable)"], m["Hard (usually written off)"]) == \
        ("$870", "$750", "$620", "$250")
    table = frame_with(at, "root_cause", "owner_team", "cum_share")
    expected = {r["root_cause"]: r for r in kpi_cli(core_db, "--by", "root_cause", "--from", str(RANGE[0]),
                                                    "--to", str(RANGE[1]))}
    assert table["root_cause"].tolist() == ["timely_filing", "authorization", "coding_modifier", "other",
                                            "missing_information"]           # Pareto order (ties by name)
    for r in table.to_dict("records"):
        assert r["denied_dollars"] == pytest.approx(displayed("denied_dollars", expected[r["root_cause"]]["denied_dollars"]))
        assert r["denial_rate"] == displayed("denial_rate", expected[r["root_cause"]]["denial_rate"]) == 0.091  # 1 of 11
    # shown rounded to 0.1 point (0.2874 -> 0.287), not cut
    assert table["cum_share"].tolist() == pytest.approx([0.287, 0.517, 0.747, 0.885, 1.0])
    teams = dict(zip(table["root_cause"], table["owner_team"]))
    assert teams["authorization"] == "authorization" and teams["coding_modifier"] == "coding"
    # CARCs within the chosen cause (default: the largest) and the claims behind it
    carcs = frame_with(at, "carc", "carc_description")
    assert carcs[["carc", "denied_dollars"]].values.tolist() == [["29", 250.0]]
    listed = frame_with(at, "claim_id", "root_cause")
    assert listed["claim_id"].tolist() == ["C6"]
    at.selectbox(key="rc_cause").set_value("missing_information").run()
    assert frame_with(at, "carc", "carc_description")[["carc", "denied_dollars"]].values.tolist() == [["16", 100.0]]
    assert frame_with(at, "claim_id", "root_cause")["claim_id"].tolist() == ["C2"]
    assert at.selectbox(key="rc_week").options == ["(whole range)", "2026-W20"]    # weeks with claims
    at.selectbox(key="rc_week").set_value("2026-W20").run()
    assert frame_with(at, "claim_id", "root_cause")["claim_id"].tolist() == ["C2"]
    assert "Claims denied for Missing information, week 2026-W20" in texts(at)     # the label; the value stays the code


def test_root_causes_follow_a_filter(monkeypatch, core_db):
    at = app(monkeypatch, core_db, "pages/root_causes.py")
    at.sidebar.multiselect(key="site").set_value(["S2"]).run()
    m = metrics(at)
    assert m["Denied dollars"] == "$250" and m["Hard (usually written off)"] == "$250"   # C6 only


# ------------------------------------------------------------------ providers
def test_provider_scorecard_equals_kpi_command(monkeypatch, core_db):
    at = app(monkeypatch, core_db, "pages/providers.py")
    card = {r["provider_npi"]: r for r in frame_with(at, "provider_npi", "medical_necessity_per_100").to_dict("records")}
    expected = {r["provider_npi"]: r for r in kpi_cli(core_db, "--by", "provider", "--from", str(RANGE[0]),
                                                      "--to", str(RANGE[1]))}
    doc = {r["provider_npi"]: r for r in kpi_cli(core_db, "--by", "provider", "--from", str(RANGE[0]), "--to",
                                                 str(RANGE[1]), "--filter", "root_cause=missing_information")}
    assert set(card) == set(expected) == {"1234567893", "1234567901"}
    for npi, exp in expected.items():
        for key in ("claims_adjudicated", "denial_rate", "denied_dollars", "clean_claim_rate"):
            assert card[npi][key] == pytest.approx(displayed(key, exp[key])), (npi, key)
        assert card[npi]["missing_information_per_100"] == pytest.approx(100 * doc[npi]["denial_rate"])
    # Ortho (S1): 4 of 7 denied, C2 missing_information -> 100/7 = 14.3 per 100; no medical-necessity denial
    ann = card["1234567893"]
    assert (ann["claims_adjudicated"], ann["denied_dollars"]) == (7, 620)
    assert ann["missing_information_per_100"] == pytest.approx(100 / 7) and ann["medical_necessity_per_100"] == 0
    assert card["1234567901"]["missing_information_per_100"] == 0
    # the claims behind a modifier: equal to the claim list for the same filters
    mod = at.selectbox(key="pv_mod").value
    listed = frame_with(at, "claim_id", "denied_dollars")["claim_id"].tolist()
    want = claims.claim_list(connect(core_db), scope=ALL, filters=core_filters(modifier=[mod]), denied_only=True)
    assert listed == want["claim_id"].to_list() and listed


# ------------------------------------------------------------------ appeals
def test_appeals_equal_kpis_and_functions(monkeypatch, core_db):
    at = app(monkeypatch, core_db, "pages/appeals.py")
    m = metrics(at)
    exp = kpi_cli(core_db, "--from", str(RANGE[0]), "--to", str(RANGE[1]))[0]
    assert m["Appeal rate"] == "60.0%" == f"{exp['appeal_rate']:.1%}"              # C1, C2, C6 of 5 denied
    assert m["Appeal win ratio"] == "—" and m["Appeals decided"] == "0"          # A1, A3 decided in W21
    assert m["Recovered dollars"] == "$350"                                      # C1 200 + C9 150
    # A1 and A3 were decided on 05-20 and 05-19, after the range: no decision time in it yet (over the
    # appeals filed in it, the pending A2 left out, the median read 4 days)
    assert m["Days to appeal"] == "3 days" and m["Days to decision"] == "—"
    assert "median of 0 decided; 1 filed in the range still pending" in texts(at)
    # the tables count the appeals decided in the range by default, as the tiles: none
    assert any("No data for appeals decided in this date range by payer" in i.value for i in at.info)
    at.radio(key="ap_cohort").set_value("filed").run()
    assert not at.exception
    by_payer = frame_with(at, "payer", "appeals_filed", "appeal_win_ratio")
    want = action.appeal_timing(connect(core_db), scope=ALL, filters=core_filters(), by="payer")
    assert sorted(by_payer["appeals_filed"]) == sorted(want["appeals_filed"].to_list()) == [3]
    # the bars are named as the tables name their rows: root causes in words (they showed the codes)
    import json
    bars = {json.loads(c.proto.spec)["layout"]["title"]["text"]: json.loads(c.proto.spec)["data"][0]["y"]
            for c in at.get("plotly_chart") if "Appeal win ratio by" in c.proto.spec}
    assert sorted(bars["Appeal win ratio by root cause"]) == ["Authorization and referral", "Missing information",
                                                              "Timely filing"]         # A1 C1, A2 C2, A3 C6
    assert bars["Appeal win ratio by appeal level"] == ["Level 1"]
    # leakage: no denial is 30 days old on 05-21; with 5 days C7 ($120, never worked) is
    assert "$0 of denials not worked within 30 days" in texts(at)
    at.number_input(key="lk_days").set_value(5).run()
    assert not at.exception
    leak = action.leakage(connect(core_db), scope=ALL, as_of=AS_OF, days=5, filters=core_filters())
    assert leak["never_worked_dollars"].sum() == 120 and leak["never_worked_open_dollars"].sum() == 120
    assert "$120 of denials not worked within 5 days" in texts(at)
    assert "Of them, $120 is still open denied dollars" in texts(at)
    sites = frame_with(at, "site", "never_worked_dollars")
    assert dict(zip(sites["site"], sites["never_worked_dollars"])) == {"S1": 120.0, "S2": 0.0}
    # all history: A1 (won, 5 days) and A3 (lost, 3 days) decided; the tables as the tiles count them
    at.selectbox(key="range").set_value("all").run()
    at.radio(key="ap_cohort").set_value("decided").run()
    m = metrics(at)
    assert (m["Appeal win ratio"], m["Appeals decided"], m["Days to decision"]) == ("50.0%", "2", "4 days")
    by_payer = frame_with(at, "payer", "appeals_decided", "appeal_win_ratio")
    assert "appeals_filed" not in by_payer.columns and "appeals_pending" not in by_payer.columns
    assert by_payer[["appeals_decided", "appeal_win_ratio"]].values.tolist() == [[2, 0.5]]
    at.selectbox(key="range").set_value("last_13_weeks").run()
    # write-offs and why: C6 timely filing $250
    wo = frame_with(at, "write_off_reason", "written_off_dollars")
    assert wo.values.tolist() == [["timely_filing", "timely_filing", 1, 250.0]]


# ------------------------------------------------------------------ A/R
def test_ar_equals_kpis_and_functions(monkeypatch, core_db):
    at = app(monkeypatch, core_db, "pages/ar.py")
    m = metrics(at)
    assert (m["Insurance A/R"], m["Days in A/R"]) == ("$960", "49.7 days")        # at 05-17 (core.md)
    assert m["Denied share of A/R"] == "90.6%" and "$870 of $960" in texts(at)
    aging = frame_with(at, "bucket", "ar_balance", "denied_balance")
    want = {r["bucket"]: r for r in action.ar_aging(connect(core_db), scope=ALL, as_of=RANGE[1]).to_dicts()}
    assert dict(zip(aging["bucket"], aging["ar_balance"])) == \
        {"0-30": 960.0, "31-60": 0.0, "61-90": 0.0, "91-120": 0.0, "over 120": 0.0}
    assert want["0-30"]["ar_balance"] == 960 and want["0-30"]["denied_balance"] == 870
    oldest = frame_with(at, "claim_id", "age_days", "balance")
    want = action.oldest_open_claims(connect(core_db), scope=ALL, as_of=RANGE[1], limit=50)
    assert oldest["claim_id"].tolist() == want["claim_id"].to_list()
    # the whole history: A/R at the latest remit (core.md: $410)
    at.sidebar.selectbox(key="range").set_value("all").run()
    assert metrics(at)["Insurance A/R"] == "$410" and metrics(at)["Denied share of A/R"] == "53.7%"


# ------------------------------------------------------------------ work queue
def test_work_queue_ranked_as_by_hand(monkeypatch, core_db):
    at = app(monkeypatch, core_db, "pages/work_queue.py")
    m = metrics(at)
    q = frame_with(at, "rank", "claim_id", "expected_recovery")
    # C2's appeal is pending: follow it up 60 days after filing (07-15, 55 days, 50/55 a day) before C7 (60/83);
    # C8, paid and then taken back and denied on 05-19 (tests/test_queue.py), last (50/118)
    assert q["claim_id"].tolist() == ["C2", "C7", "C8"] and q["expected_recovery"].tolist() == [50.0, 60.0, 50.0]
    assert q["days_left"].tolist() == [55, 83, 118]
    # the money, the deadline and the action come first, in view without scrolling (a review at 1440 px)
    assert list(q.columns[:8]) == ["rank", "claim_id", "open_denied_dollars", "expected_recovery", "days_left",
                                   "deadline", "action", "overdue_flag"]
    want = work_queue(connect(core_db), scope=ALL, as_of=AS_OF)
    assert q["claim_id"].tolist() == want["claim_id"].to_list()
    assert (m["Open denied dollars in the queue"], m["Expected recovery"], m["Due in the next 7 days"],
            m["Lost (deadline passed)"]) == ("$320", "$160", "$0", "$0")
    assert "expected recovery ÷ days left" in texts(at)
    at.multiselect(key="wq_team").set_value(["coding"]).run()
    assert metrics(at)["Open denied dollars in the queue"] == "$0" and not at.exception
    at.multiselect(key="wq_team").set_value([]).run()
    at.multiselect(key="wq_status").set_value(["new"]).run()
    assert frame_with(at, "rank", "claim_id")["claim_id"].tolist() == ["C7"]
    at.multiselect(key="wq_status").set_value(["denied after payment"]).run()
    assert frame_with(at, "rank", "claim_id")["claim_id"].tolist() == ["C8"]
    at.multiselect(key="wq_status").set_value([]).run()
    # the sidebar's stage narrows the queue as every page: C2's cause (missing information) is back end,
    # C7's (other) the payer's, C8's re-denial (medical necessity) clinical
    at.multiselect(key="stage").set_value(["back_end"]).run()
    assert frame_with(at, "rank", "claim_id")["claim_id"].tolist() == ["C2"]
    at.multiselect(key="stage").set_value(["payer"]).run()
    assert frame_with(at, "rank", "claim_id")["claim_id"].tolist() == ["C7"]
    at.multiselect(key="stage").set_value(["clinical"]).run()
    assert frame_with(at, "rank", "claim_id")["claim_id"].tolist() == ["C8"]


def test_long_work_queue_draws_the_top_and_downloads_all(monkeypatch, core_db):
    """A queue longer than ui_tables.LIST_ROWS draws its first rows by rank; the tiles count every denial;
    "Prepare downloads" reads the whole list and the CSV holds all of it."""
    from pages import ui_tables
    monkeypatch.setattr(ui_tables, "LIST_ROWS", 1)
    at = app(monkeypatch, core_db, "pages/work_queue.py")
    assert frame_with(at, "rank", "claim_id")["claim_id"].tolist() == ["C2"]             # first by rank: C2 (test_work_queue_ranked_as_by_hand)
    assert metrics(at)["Open denied dollars in the queue"] == "$320"          # C7 $120 + C2 $100 + C8 $100
    assert any("The first 1 of 3 by rank" in c.value for c in at.caption)
    ids = lambda: [b.proto.id for b in at.get("download_button")]   # noqa: E731
    assert not any("wq-live-x-csv" in i for i in ids())
    prepare = at.button(key="wq-live-prepare")
    assert prepare.label == "Prepare downloads (3 rows)"
    prepare.click().run()
    assert not at.exception and any("wq-live-x-csv" in i for i in ids())
    # another filter (two of the three denials): the prepared download was for the old list, so it is asked for again
    at.multiselect(key="wq_status").set_value(["new", "appeal pending"]).run()
    assert not any("wq-live-x-csv" in i for i in ids())
    assert at.button(key="wq-live-prepare").label == "Prepare downloads (2 rows)"


def test_work_queue_viewer_sees_a_message(monkeypatch, core_db):
    from pages import ui_access
    from warehouse.access import User
    viewer_scope = Scope.sites({"S1", "S2"}, claim_level=False)
    monkeypatch.setattr(ui_access, "current_scope", lambda *a, **k: viewer_scope)
    monkeypatch.setattr(ui_access, "viewer", lambda *a, **k: User("vic", "Vic", "viewer", frozenset({"S1", "S2"})))
    at = app(monkeypatch, core_db, "pages/work_queue.py")
    assert not at.exception and not at.dataframe
    assert any("totals only" in w.value for w in at.warning)


# ------------------------------------------------------------------ data quality
def test_data_quality_equals_functions(monkeypatch, core_db):
    at = app(monkeypatch, core_db, "pages/data_quality.py")
    m = metrics(at)
    assert (m["Files"], m["Rows read"], m["Rows quarantined"]) == ("12", "80", "0")
    hist = frame_with(at, "rows_read", "rows_loaded", "balanced")
    assert hist["balanced"].all() and len(hist) == 12
    assert frame_with(at, "claim_id", "initially_denied")["claim_id"].tolist() == ["REMIT:X11"]
    assert frame_with(at, "code_type", "code")[["code", "dollars"]].values.tolist() == [["999", 120.0]]
    rules = frame_with(at, "rule_source")
    assert rules[["payer", "appeal_window_days", "rule_source"]].values.tolist() == \
        [["PAYA", 90, "payers list"], ["PAYB", 120, "payers list"]]
    fresh = frame_with(at, "payer", "last_remit", "gone_quiet")
    assert not fresh["gone_quiet"].any() and any("within its usual rhythm" in s.value for s in at.success)
    # payers and sites by name, first (ids hidden: a reviewer found 'BCX' and 'ORTHO-N' in these tables)
    assert fresh.columns[0] == "payer_name" and sorted(fresh["payer_name"]) == ["Acme Health", "Medicare Part B"]
    sites = frame_with(at, "site", "last_remit")
    assert sites.columns[0] == "site_name" and sorted(sites["site_name"]) == ["Alpha Orthopedics", "Beta Family Medicine"]


def test_large_table_prepares_excel_on_request(monkeypatch, core_db):
    """Above EAGER_EXCEL_ROWS the page shows "Prepare Excel" instead of writing the workbook on
    every view; its click builds it for exactly these rows and the Excel download appears."""
    from pages import ui_tables
    monkeypatch.setattr(ui_tables, "EAGER_EXCEL_ROWS", 0)           # every table counts as large here
    at = app(monkeypatch, core_db, "pages/work_queue.py")
    ids = lambda: [b.proto.id for b in at.get("download_button")]   # noqa: E731
    assert any("wq-live-x-csv" in i for i in ids()) and not any("wq-live-x-xlsx" in i for i in ids())
    prepare = at.button(key="wq-live-x-xlsx-prepare")
    assert prepare.label == "Prepare Excel (3 rows)"
    prepare.click().run()
    assert not at.exception
    assert any("wq-live-x-xlsx" in i for i in ids())
    # another selection (other rows) asks again
    at.multiselect(key="wq_status").set_value(["new"]).run()
    at.multiselect(key="wq_status").set_value([]).run()
    assert any("wq-live-x-xlsx" in i for i in ids())            # same rows again: still prepared
    at.multiselect(key="wq_status").set_value(["new"]).run()
    assert not any("wq-live-x-xlsx" in i and "prepare" not in i for i in ids())


def test_work_queue_flags_overdue_follow_ups_and_names_teams(monkeypatch, tmp_path):
    """From a review: an overdue follow-up showed a plain negative 'days left' and counted in 'Due in the
    next 7 days', and the Team picker showed front_desk while the table shows 'Front desk'. The core
    fixture plus a claim paid on 07-20, so the queue is as of 07-20: C2's pending appeal was due for a
    follow-up on 07-15 (-5 days: overdue, $100 open, $50 expected), C7's appeal is due 08-12 (23 days), C8's
    (denied after payment, clinical documentation's) 09-16 (58 days). Nothing is due in the next 7 days; C2
    is counted apart as overdue and flagged in the table."""
    from conftest import core_plus
    core_plus(tmp_path, {
        "claims": "X9,,1,,S1,1234567893,1111111112,PAYA,MRN-0099,ABC999999999,2026-07-10,,2026-07-11,100.00,11,",
        "claim_lines": "X9,1,99213,,,1,100.00,2026-07-10",
        "remits": "RX9,PAYA,TRN-A9,2026-07-20,X9,1,100.00,100.00,0.00,PA-0099,",
        "remit_lines": "RX9,1,99213,,1,100.00,100.00"}).close()
    db = tmp_path / "w.duckdb"
    at = app(monkeypatch, db, "pages/work_queue.py")
    m = metrics(at)
    assert (m["Open denied dollars in the queue"], m["Expected recovery"], m["Due in the next 7 days"],
            m["Overdue follow-ups"], m["Lost (deadline passed)"]) == ("$320", "$160", "$0", "$100", "$0")
    assert "1 pending appeal, $50 expected" in [c.value for c in at.caption]
    q = frame_with(at, "rank", "claim_id", "overdue_flag")
    assert q["claim_id"].tolist() == ["C2", "C7", "C8"] and q["days_left"].tolist() == [-5, 23, 58]
    assert [list(f) for f in q["overdue_flag"]] == [["overdue"], [], []]
    # the Team picker shows the table's words; its value (and the URL) stays the code
    picker = at.multiselect(key="wq_team")
    assert picker.options == ["Front desk", "Authorization", "Coding", "Billing", "Clinical documentation"]
    picker.set_value(["front_desk"]).run()
    assert metrics(at)["Open denied dollars in the queue"] == "$0" and not at.exception
    # a link with the code opens the picker on it: wq_team=billing (C2's and C7's, not C8's)
    at = app(monkeypatch, db, "pages/work_queue.py", wq_team="billing")
    assert at.multiselect(key="wq_team").value == ["billing"]
    assert metrics(at)["Open denied dollars in the queue"] == "$220"
    at = app(monkeypatch, db, "pages/work_queue.py", wq_team="coding")
    assert at.multiselect(key="wq_team").value == ["coding"] and metrics(at)["Open denied dollars in the queue"] == "$0"


# ------------------------------------------------------------------ heatmaps (ui_matrix.matrix_figure)
def test_a_one_cell_heatmap_has_no_broken_scale():
    """Narrowed to one payer and one cause (a click on Summit × Authorization), the payer × cause heatmap
    is one cell: its colour bar read '$205,244 / $205,243 / $205,243' and the label '$205,243' spilled out
    of its 34 px square (from a review). One value: no colour bar, the cell in the top colour (range 0 to
    the value, white text); a label too wide for the square is shortened ('$205k'; the hover keeps
    the exact value)."""
    from pages import ui_matrix
    fig = ui_matrix.matrix_figure(["Authorization"], ["Summit"], [[205_243.4]], [["$205,243"]], [[["SUMMIT", "authorization"]]],
                           "%{y}", zmin=0, tickformat="$,.0f", cell=34)
    t = fig.data[0]
    assert (t.marker.showscale, t.marker.cmin, t.marker.cmax) == (False, 0, 205_243.4)
    assert t.text == ("$205k",) and t.textfont.color == ("white",) and t.customdata[0] == ["SUMMIT", "authorization"]
    # several values: the scale from zmin (plotly dropped a cmin given without a cmax: it started at the
    # lowest cell, not at the $0 asked for) to the highest; one label too wide: every amount of $1,000 or
    # more is written short, in one format (it read '$205k' beside '$12,874'); smaller ones as they are
    fig = ui_matrix.matrix_figure(["a", "b", "c", "d"], ["p", "q"], [[205_243, 12_874, None, 999_999], [1_200, 99_688, 5, None]],
                           [["$205,243", "$12,874", "", "$999,999"], ["$1,200", "$99,688", "$5", ""]],
                           [[1, 2, 3, 4], [5, 6, 7, 8]], "", zmin=0, cell=34)
    t = fig.data[0]
    assert (t.marker.showscale, t.marker.cmin, t.marker.cmax) == (True, 0, 999_999)
    assert t.text == ("$205k", "$12.9k", "$1M", "$1.2k", "$99.7k", "$5")
    assert t.textfont.color == ("#1f2328", "#1f2328", "white", "#1f2328", "#1f2328", "#1f2328")
    # rates keep their text (they fit), and the caller's range
    fig = ui_matrix.matrix_figure(["a", "b"], ["p"], [[0.444, 1.0]], [["44.4%", "100.0%"]], [[1, 2]], "", zmin=0, zmax=1)
    assert fig.data[0].text == ("44.4%", "100.0%") and (fig.data[0].marker.cmin, fig.data[0].marker.cmax) == (0, 1)
    # all cells alike, no zmin: a range plotly can draw, the cells at its top, no bar
    fig = ui_matrix.matrix_figure(["a", "b"], ["p"], [[0.25, 0.25]], [["25.0%", "25.0%"]], [[1, 2]], "")
    assert (fig.data[0].marker.showscale, fig.data[0].marker.cmin, fig.data[0].marker.cmax) == (False, -0.75, 0.25)


def test_a_heatmap_keeps_its_columns_in_a_narrow_chart():
    """At 1,000 px (a ~540 px chart) the payer × cause heatmap's 11 columns overprinted their labels: the
    colour bar beside the cells took ~80 px and a payer's 31 characters a third of the width (from a
    review). The bar lies under the cells, long names are shortened on the axes only (hover and clicks
    keep the categories whole), and the figure tells chart() the width below which its labels are hidden."""
    from pages import ui_matrix
    payers = ["Veterans Community Care Network", "Acme"]
    causes = [f"cause {i}" for i in range(11)]
    fig = ui_matrix.matrix_figure(causes, payers, [[1_000.0 * (i + j + 1) for j in range(11)] for i in range(2)],
                           [["$12,874"] * 11] * 2, [[[p, c] for c in causes] for p in payers], "%{y}",
                           zmin=0, tickformat="$,.0f", cell=34)
    bar = fig.data[0].marker.colorbar
    assert (bar.orientation, bar.yref, bar.tickformat) == ("h", "container", "$~s")
    assert fig.layout.yaxis.tickvals == tuple(payers) and fig.layout.yaxis.ticktext[0] == "Veterans Community Care N…"
    assert set(fig.data[0].y) == set(payers) and fig.data[0].customdata[0] == ["Veterans Community Care Network", "cause 0"]
    need = fig.layout.meta[ui_matrix.TEXT_MIN_WIDTH]
    assert 540 < need < 980                   # labels hidden at 1,000 px, shown at 1,440 px (a ~980 px chart)
    few = ui_matrix.matrix_figure(causes[:3], payers, [[1.0, 2.0, 3.0]] * 2, [["$1", "$2", "$3"]] * 2, [[1, 2, 3]] * 2, "")
    assert few.layout.meta[ui_matrix.TEXT_MIN_WIDTH] < need
    # drawn no wider than its squares ~4 px apart need (stretched across a 1,100 px chart, 11 columns read
    # as thin strips: a review): 20 + 156 px of payer names + 11 × 38 + the slant of the last names past
    # the right edge; never narrower than its labels need (they would be hidden), nor than the colour bar
    widest = fig.layout.meta[ui_matrix.MAX_WIDTH]
    assert need + 8 <= widest < 800 and widest >= 20 + 26 * 6 + 11 * 38
    assert few.layout.meta[ui_matrix.MAX_WIDTH] == 26 * 6 + 280
    # column names slanted while a narrow chart leaves them room; upright for 20 procedure codes, whose
    # slanted names printed over each other at 1,000 px (every one is named: plotly skipped every other)
    assert fig.layout.xaxis.tickangle == -45 and fig.layout.xaxis.tickvals == tuple(causes)
    codes = [f"2988{i}-RT" for i in range(20)]
    many = ui_matrix.matrix_figure(codes, payers, [[0.5] * 20] * 2, [["50.0%"] * 20] * 2, [[1] * 20] * 2, "", zmin=0, zmax=1)
    assert many.layout.xaxis.tickangle == -90 and len(many.layout.xaxis.ticktext) == 20


def test_the_payer_cause_heatmap_of_one_cell_on_the_page(monkeypatch, core_db):
    """The payer drill-down narrowed to Acme Health (PAYA) and authorization (by a link, as a click on
    that cell does): one cell, C1's $200 denied, drawn without a colour bar."""
    import json
    at = app(monkeypatch, core_db, "pages/payer_drilldown.py", payer="Acme Health",
             root_cause="Authorization and referral")
    heat = [c for c in at.get("plotly_chart") if c.proto.id.endswith("pd-heat")][0]
    cells = [t for t in json.loads(heat.proto.spec)["data"] if t.get("marker", {}).get("symbol") == "square"]
    assert len(cells) == 1 and cells[0]["text"] == ["$200"]
    assert (cells[0]["marker"]["showscale"], cells[0]["marker"]["cmin"], cells[0]["marker"]["cmax"]) == (False, 0, 200)
    # the chart's element is held to the figure's width (ui.chart): one column of payer names and a cell
    want = json.loads(heat.proto.spec)["layout"]["meta"]["max_width"]
    styles = [h.proto.body for h in at.get("html") if ".st-key-pd-heat{" in h.proto.body]
    assert len(styles) == 1 and f"max-width:{want}px;" in styles[0], styles


def test_money_puts_the_sign_before_the_dollar():
    """A reversal's amounts in the claim detail read −$5,840.00, as the tables write them, not $-5,840.00."""
    from pages.ui_action import money
    assert [money(-2920), money(-5840.0, cents=True), money(1234.5, cents=True), money(0), money(None)] == \
        ["−$2,920", "−$5,840.00", "$1,234.50", "$0", "—"]


def test_a_work_queue_link_with_an_unknown_team_says_so(monkeypatch, core_db):
    """?wq_team=nope&wq_team=billing: the picker keeps Billing, a warning names 'nope', and the address
    keeps only the known team (it kept 'nope' silently)."""
    at = app(monkeypatch, core_db, "pages/work_queue.py", wq_team=["nope", "billing"])
    assert at.multiselect(key="wq_team").value == ["billing"]
    assert [w.value.split(",")[0] for w in at.warning] == ["This link names a team 'nope'"]
    assert at.query_params["wq_team"] in ("billing", ["billing"])          # one value: AppTest gives it bare
