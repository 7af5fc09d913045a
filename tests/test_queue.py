"""The work queue on the hand fixture (as of 2026-05-21), ranking and deadlines worked out by hand.

Open denials: C2 (PAYA, missing_information: corrected claim; its appeal A2, filed 05-16, is pending, so
it is due for a follow-up 60 days after filing, 07-15, and is never lost) and C7 (PAYA, other: appeal,
due denial 05-14 + 90 = 08-12, never worked). PAYA's appeals: A1 won, A3 lost -> payer ratio
(1 + 5*0.5)/(2 + 5) = 0.5; neither pair has appeals of its own -> 0.5. C2: 100*0.5 = 50 expected, 55
days left -> 0.9091/day; C7: 120*0.5 = 60 expected, 83 days left -> 0.7229/day.
Denied after payment: C8 (PAYB, paid 100 on 05-12, reversed and re-adjudicated denied CO-50 on 05-19:
medical necessity, an appeal), $100 open, deadline 05-19 + 120 = 09-16, 118 days left; PAYB has no
decided appeals -> 0.5: 50 expected -> 0.4237/day, last."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from conftest import connect, core_plus, run_cli
from warehouse.queue import work_queue
from warehouse.scope import ClaimLevelDenied, Scope

AS_OF = dt.date(2026, 5, 21)


def test_ranking_and_deadlines(core_db):
    q = work_queue(connect(core_db), scope=Scope.all(), as_of=AS_OF).to_dicts()
    assert [r["claim_id"] for r in q] == ["C2", "C7", "C8"]
    c2, c7, c8 = q
    assert (c7["action"], c7["deadline"], c7["days_left"], c7["status"]) == ("appeal", dt.date(2026, 8, 12), 83, "new")
    assert (c2["action"], c2["deadline"], c2["days_left"], c2["status"]) == \
        ("follow up appeal", dt.date(2026, 7, 15), 55, "appeal pending")
    assert (c7["expected_recovery"], c2["expected_recovery"]) == (60.0, 50.0)
    assert c7["priority"] == pytest.approx(60 / 83) and c2["priority"] == pytest.approx(50 / 55)
    assert (c7["owner_team"], c2["owner_team"]) == ("billing", "billing")
    assert not c7["lost"]
    # paid, then taken back and denied: in the queue with the re-denial's date, cause and dollars (it was
    # in no denial view and no queue: the initial adjudication paid it)
    assert [c8[k] for k in ("status", "action", "root_cause", "carc", "denied_on", "deadline", "days_left",
                            "open_denied_dollars", "expected_recovery", "owner_team")] == \
        ["denied after payment", "appeal", "medical_necessity", "50", dt.date(2026, 5, 19), dt.date(2026, 9, 16), 118,
         100.0, 50.0, "clinical_documentation"]
    assert c8["priority"] == pytest.approx(50 / 118)


def test_decided_appeals_in_the_queue_run_from_the_decision(tmp_path):
    """X5 (PAYB, Medicare: appeal window 120 days), one $200 line denied CO-50 (medical necessity, an
    appeal) on 05-12; appeal AX5 filed 05-15, decided 05-26 partly won: the remit of 05-26 pays 80 and
    keeps CO-50 80 (tests/test_claim_lifecycle.py works the $80 open out). In the queue as of 05-27: status
    'appeal partly won', deadline from the decision 05-26 + 120 = 09-23 (the next level's window, not
    the first denial's 05-12 + 120 = 09-09), 119 days left, $80 open. X6, the same denial, appeal AX6
    won on 05-26 but no remit has paid it: all $200 open, 'appeal won, still open' (it read 'new'), the
    same deadline, and a win ratio of 1 (the appeal is won): $200 expected."""
    con = core_plus(tmp_path, {
        "claims": "X5,,1,,S1,1234567893,1111111112,PAYB,MRN-0099,ABC999999999,2026-05-04,,2026-05-05,200.00,11,\n"
                  "X6,,1,,S1,1234567893,1111111112,PAYB,MRN-0098,ABC999999998,2026-05-04,,2026-05-05,200.00,11,",
        "claim_lines": "X5,1,99214,,,1,200.00,2026-05-04\nX6,1,99214,,,1,200.00,2026-05-04",
        "remits": "RX51,PAYB,TRN-B5,2026-05-12,X5,1,200.00,0.00,0.00,PB-0095,\n"
                  "RX52,PAYB,TRN-B6,2026-05-26,X5,1,200.00,80.00,0.00,PB-0095,\n"
                  "RX61,PAYB,TRN-B5,2026-05-12,X6,1,200.00,0.00,0.00,PB-0096,",
        "remit_lines": "RX51,1,99214,,1,200.00,0.00\nRX52,1,99214,,1,200.00,80.00\nRX61,1,99214,,1,200.00,0.00",
        "remit_adjustments": "RX51,1,CO,50,200.00\nRX52,1,CO,45,40.00\nRX52,1,CO,50,80.00\nRX61,1,CO,50,200.00",
        "appeals": "AX5,X5,1,2026-05-15,2026-05-26,partially_won,80.00\nAX6,X6,1,2026-05-15,2026-05-26,won,150.00",
    })
    q = {r["claim_id"]: r for r in work_queue(con, scope=Scope.all(), as_of=dt.date(2026, 5, 27)).to_dicts()}
    show = ("action", "status", "deadline", "days_left", "open_denied_dollars")
    assert [q["X5"][k] for k in show] == ["appeal", "appeal partly won", dt.date(2026, 9, 23), 119, 80.0]
    assert [q["X6"][k] for k in show] == ["chase payment", "appeal won, still open", dt.date(2026, 9, 23), 119, 200.0]
    assert q["X5"]["expected_recovery"] == round(80 * q["X5"]["win_ratio"], 2) and q["X5"]["win_ratio"] < 1
    assert (q["X6"]["win_ratio"], q["X6"]["expected_recovery"]) == (1.0, 200.0)


def test_a_decided_appeal_moves_a_corrected_claim_deadline_and_a_new_filing_is_not_lost(tmp_path):
    """X7 (PAYA, commercial: appeal window 90, timely filing 180), one $100 line denied CO-16 (missing
    information: a corrected claim, due DOS 01-05 + 180 = 07-04) on 01-12. Its appeal AX7 was lost on
    06-20: the next action is due from that decision, 06-20 + 90 = 09-18, later than 07-04. As of 07-10
    it is live ('appeal lost', 70 days left); before, it was lost since 07-04. X8, the same denial, its
    level-1 appeal lost 03-01 and a level-2 appeal filed 05-25 still pending: due for follow-up 05-25 +
    60 = 07-24, 14 days left on 07-10, never lost (it was lost before: 01-12 + 90 = 04-12)."""
    con = core_plus(tmp_path, {
        "claims": "X7,,1,,S1,1234567893,1111111112,PAYA,MRN-0099,ABC999999999,2026-01-05,,2026-01-06,100.00,11,\n"
                  "X8,,1,,S1,1234567893,1111111112,PAYA,MRN-0098,ABC999999998,2026-01-05,,2026-01-06,100.00,11,",
        "claim_lines": "X7,1,99213,,,1,100.00,2026-01-05\nX8,1,99213,,,1,100.00,2026-01-05",
        "remits": "RX7,PAYA,TRN-A7,2026-01-12,X7,4,100.00,0.00,0.00,PA-0097,\n"
                  "RX8,PAYA,TRN-A7,2026-01-12,X8,4,100.00,0.00,0.00,PA-0098,",
        "remit_lines": "RX7,1,99213,,1,100.00,0.00\nRX8,1,99213,,1,100.00,0.00",
        "remit_adjustments": "RX7,1,CO,16,100.00\nRX8,1,CO,16,100.00",
        "appeals": "AX7,X7,1,2026-01-20,2026-06-20,lost,0\n"
                   "AX81,X8,1,2026-01-20,2026-03-01,lost,0\nAX82,X8,2,2026-05-25,,pending,",
    })
    q = {r["claim_id"]: r for r in work_queue(con, scope=Scope.all(), as_of=dt.date(2026, 7, 10)).to_dicts()}
    show = ("action", "status", "deadline", "days_left", "lost")
    assert [q["X7"][k] for k in show] == ["corrected claim", "appeal lost", dt.date(2026, 9, 18), 70, False]
    assert [q["X8"][k] for k in show] == ["follow up appeal", "appeal pending", dt.date(2026, 7, 24), 14, False]


def test_past_deadline_is_lost_and_listed_apart(core_db):
    """On 09-01 C7's appeal deadline (08-12) has passed: lost. C2's follow-up date (07-15) has passed
    too, but a filed appeal is never lost: it stays at the top, overdue by 48 days (priority 50/1). C8 (due
    09-16) has 15 days left (50/15)."""
    q = work_queue(connect(core_db), scope=Scope.all(), as_of=dt.date(2026, 9, 1)).to_dicts()
    assert [(r["claim_id"], r["lost"], r["overdue"], r["days_left"]) for r in q] == \
        [("C2", False, True, -48), ("C8", False, False, 15), ("C7", True, False, -20)]


def test_an_overdue_follow_up_is_counted_apart_from_the_due_ones(core_db):
    """C2's pending appeal is due for a follow-up on 07-15 ($100 open, $50 expected). On 07-15 (0 days
    left) it is due in the next 7 days; from 07-16 it is overdue: no longer 'due in the next 7 days'
    (a -1 is not 'within 7 days') but counted apart, and never lost. C7 (appeal, due 08-12) is live
    until then, due in the next 7 days from 08-05, and lost from 08-13. C8 (denied after payment, $100 open,
    $50 expected, due 09-16) is live throughout."""
    from warehouse.queue import queue_summary
    con = connect(core_db)

    def counts(day):
        s = queue_summary(con, scope=Scope.all(), as_of=day, due_days=7)
        return {k: (s[f"{k}_denials"], s[f"{k}_dollars"], s[f"{k}_expected"]) for k in ("live", "due", "overdue", "lost")}
    assert counts(dt.date(2026, 7, 8)) == {"live": (3, 320, 160), "due": (1, 100, 50), "overdue": (0, 0, 0),
                                           "lost": (0, 0, 0)}            # C2: 7 days left
    assert counts(dt.date(2026, 7, 15)) == {"live": (3, 320, 160), "due": (1, 100, 50), "overdue": (0, 0, 0),
                                            "lost": (0, 0, 0)}           # C2: due today
    assert counts(dt.date(2026, 7, 16)) == {"live": (3, 320, 160), "due": (0, 0, 0), "overdue": (1, 100, 50),
                                            "lost": (0, 0, 0)}           # C2: a day overdue
    assert counts(dt.date(2026, 8, 12)) == {"live": (3, 320, 160), "due": (1, 120, 60), "overdue": (1, 100, 50),
                                            "lost": (0, 0, 0)}           # C7 due today, C2 overdue
    assert counts(dt.date(2026, 9, 1)) == {"live": (2, 200, 100), "due": (0, 0, 0), "overdue": (1, 100, 50),
                                           "lost": (1, 120, 60)}
    q = {r["claim_id"]: r for r in work_queue(con, scope=Scope.all(), as_of=dt.date(2026, 7, 16)).to_dicts()}
    assert [(q[c]["overdue"], q[c]["days_left"]) for c in ("C2", "C7")] == [(True, -1), (False, 27)]


def test_scope_and_viewer(core_db):
    # S2's only open denial is C8, denied after payment
    assert work_queue(connect(core_db), scope=Scope.sites({"S2"}), as_of=AS_OF)["claim_id"].to_list() == ["C8"]
    with pytest.raises(ClaimLevelDenied):
        work_queue(connect(core_db), scope=Scope.sites({"S1"}, claim_level=False), as_of=AS_OF)


def test_queue_command_csv(core_db):
    out = run_cli("warehouse", "queue", "--db", str(core_db), "--team", "billing", "--format", "csv",
                  "--as-of", "2026-05-21")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["claim_id"] for r in rows] == ["C2", "C7"] and rows[0]["rank"] == "1"
    none = run_cli("warehouse", "queue", "--db", str(core_db), "--team", "coding", "--format", "csv")
    assert none.returncode == 0 and len(none.stdout.strip().splitlines()) == 1


@pytest.mark.parametrize("values", [{}, {"payers": ("MCR",)}, {"teams": ("billing", "coding")},
                                    {"statuses": ("new",), "root_causes": ("authorization", "eligibility")}])
def test_summary_and_top_rows_agree_with_the_whole_queue(demo_db, values):
    """The page reads the totals and the first rows from the warehouse; both agree with the whole list."""
    from warehouse.queue import queue_page, queue_summary
    con = connect(demo_db)
    as_of = con.sql("SELECT max(remit_date) FROM adjudication").fetchall()[0][0]
    full = work_queue(con, scope=Scope.all(), as_of=as_of, **values)
    assert full.height > 20
    live, lost = full.filter(~full["lost"]), full.filter(full["lost"])
    s = queue_summary(con, scope=Scope.all(), as_of=as_of, due_days=30, **values)
    due = live.filter((live["days_left"] >= 0) & (live["days_left"] <= 30))
    overdue = live.filter(live["overdue"])
    assert (s["live_denials"], s["due_denials"], s["overdue_denials"], s["lost_denials"]) == \
        (live.height, due.height, overdue.height, lost.height)
    assert overdue.height == live.filter(live["days_left"] < 0).height        # overdue: live and past its date
    assert s["overdue_dollars"] == pytest.approx(overdue["open_denied_dollars"].sum())
    assert s["live_dollars"] == pytest.approx(live["open_denied_dollars"].sum())
    assert s["due_expected"] == pytest.approx(due["expected_recovery"].sum())
    assert s["lost_dollars"] == pytest.approx(lost["open_denied_dollars"].sum())
    top = work_queue(con, scope=Scope.all(), as_of=as_of, lost=False, limit=10, **values)
    assert top.equals(live.head(10))
    assert work_queue(con, scope=Scope.all(), as_of=as_of, lost=True, limit=5, **values).equals(lost.head(5))
    # the page's single call: the same totals and the same first rows, ranks those of the whole queue
    totals, top_live, top_lost = queue_page(con, scope=Scope.all(), as_of=as_of, due_days=30, limit=7, **values)
    assert totals == s
    assert top_live.equals(live.head(7)) and top_lost.equals(lost.head(7))


def test_queue_page_of_an_empty_queue(core_db):
    from warehouse.queue import queue_page
    totals, live, lost = queue_page(connect(core_db), scope=Scope.sites({"S2"}), as_of=AS_OF, limit=5,
                                    root_causes=["authorization"])
    assert (live.height, lost.height) == (0, 0) and live.columns == lost.columns
    assert totals == {f"{k}_{m}": 0 for k in ("live", "due", "overdue", "lost")
                      for m in ("denials", "dollars", "expected")}


def test_every_status_the_queue_writes_is_declared_and_explained():
    """The page's status filter and its help, and the CLI's --status help, read queue.STATUSES; the
    model m_open_denial writes the values. They must be the same set, or a status would be unfilterable
    or unexplained."""
    import re
    from warehouse import queue
    from warehouse.schema import SQL_DIR
    sql = (SQL_DIR / "models" / "07b_open_denial.sql").read_text()
    end = sql.index("END AS status")
    case = sql[sql.rindex("CASE WHEN a.latest.outcome", 0, end):end]
    written = set(re.findall(r"(?:THEN|ELSE) '([^']+)'", case))
    assert written == set(queue.STATUSES) and all(queue.STATUSES.values())


def test_a_won_appeal_keeps_its_routes_deadline(tmp_path):
    """'chase payment' names the next step, not the deadline's rule (from a review): X7, CO-16 (missing
    information: the corrected-claim route), date of service 01-05, appeal won 02-01 and not paid. The
    deadline stays the corrected-claim one, the later of 01-05 + PAYA's 180-day timely filing (07-04) and
    02-01 + its 90-day appeal window (05-02): 07-04, 33 days left on 06-01, not lost (with the appeal
    window alone it read 05-02, lost)."""
    con = core_plus(tmp_path, {
        "claims": "X7,,1,,S1,1234567893,1111111112,PAYA,MRN-0099,ABC999999999,2026-01-05,,2026-01-06,100.00,11,",
        "claim_lines": "X7,1,99213,,,1,100.00,2026-01-05",
        "remits": "RX7,PAYA,TRN-A7,2026-01-12,X7,4,100.00,0.00,0.00,PA-0097,",
        "remit_lines": "RX7,1,99213,,1,100.00,0.00",
        "remit_adjustments": "RX7,1,CO,16,100.00",
        "appeals": "AX7,X7,1,2026-01-20,2026-02-01,won,100.00"})
    q = {r["claim_id"]: r for r in work_queue(con, scope=Scope.all(), as_of=dt.date(2026, 6, 1)).to_dicts()}
    assert [q["X7"][k] for k in ("root_cause", "action", "status", "deadline", "days_left", "lost")] == \
        ["missing_information", "chase payment", "appeal won, still open", dt.date(2026, 7, 4), 33, False]


def test_payer_class_and_stage_narrow_the_queue_as_every_other_page(demo_db):
    """The sidebar's payer class and stage narrow the queue to the open denials m_claim puts in them
    (the queue once ignored both, silently), with the claims denied after payment by their re-denial's stage
    (the demo's are CO-50 post-payment reviews: clinical); the CLI takes them too."""
    con = connect(demo_db)
    as_of = con.sql("SELECT max(remit_date) FROM adjudication").fetchall()[0][0]

    def open_claims(where: str, value: str) -> set[str]:
        return {r[0] for r in con.sql(f"SELECT claim_id FROM m_claim WHERE (open_denied_dollars > 0 OR redenied_dollars > 0) "
                                      f"AND {where} = ?", params=[value]).fetchall()}
    for stage in ("front_end", "back_end", "clinical"):
        q = work_queue(con, scope=Scope.all(), as_of=as_of, stages=(stage,))
        assert q.height > 0 and set(q["claim_id"]) == open_claims("coalesce(stage, redenial_stage)", stage)
    redenied = open_claims("redenial_stage", "clinical")
    assert redenied and redenied <= set(work_queue(con, scope=Scope.all(), as_of=as_of, stages=("clinical",))["claim_id"])
    medicare = work_queue(con, scope=Scope.all(), as_of=as_of, payer_classes=("medicare",))
    assert medicare.height > 0 and set(medicare["claim_id"]) == open_claims("payer_class", "medicare")
    both = work_queue(con, scope=Scope.all(), as_of=as_of, payer_classes=("medicare",), stages=("front_end",))
    assert set(both["claim_id"]) == open_claims("payer_class", "medicare") & open_claims("coalesce(stage, redenial_stage)",
                                                                                         "front_end")
    out = run_cli("warehouse", "queue", "--db", str(demo_db), "--stage", "front_end", "--payer-class", "medicare",
                  "--as-of", as_of.isoformat(), "--format", "csv")
    assert out.returncode == 0, out.stderr
    assert {r["claim_id"] for r in csv.DictReader(io.StringIO(out.stdout))} == set(both["claim_id"].head(100))
