"""The work queue on the hand fixture (as of 2026-05-21), ranking and deadlines worked out by hand.

Open denials: C2 (PAYA, missing_information: corrected claim, due DOS 05-04 + 180 = 10-31, appeal
pending) and C7 (PAYA, other: appeal, due denial 05-14 + 90 = 08-12, never worked). PAYA's appeals:
A1 won, A3 lost -> payer ratio (1 + 5*0.5)/(2 + 5) = 0.5; neither pair has appeals of its own ->
0.5. C7: 120*0.5 = 60 expected, 83 days left -> 0.7229/day; C2: 50 expected, 163 days -> 0.3067."""
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
    assert [r["claim_id"] for r in q] == ["C7", "C2"]
    c7, c2 = q
    assert (c7["action"], c7["deadline"], c7["days_left"], c7["status"]) == ("appeal", dt.date(2026, 8, 12), 83, "new")
    assert (c2["action"], c2["deadline"], c2["days_left"], c2["status"]) == \
        ("corrected claim", dt.date(2026, 10, 31), 163, "appeal pending")
    assert (c7["expected_recovery"], c2["expected_recovery"]) == (60.0, 50.0)
    assert c7["priority"] == pytest.approx(60 / 83) and c2["priority"] == pytest.approx(50 / 163)
    assert (c7["owner_team"], c2["owner_team"]) == ("billing", "billing")
    assert not c7["lost"]


def test_decided_appeals_in_the_queue_run_from_the_decision(tmp_path):
    """X5 (PAYB, Medicare: appeal window 120 days), one $200 line denied CO-50 (medical necessity, an
    appeal) on 05-12; appeal AX5 filed 05-15, decided 05-26 partly won: the remit of 05-26 pays 80 and
    keeps CO-50 80 (tests/test_ar_marts.py works the $80 open out). In the queue as of 05-27: status
    'appeal partly won', deadline from the decision 05-26 + 120 = 09-23 (the next level's window, not
    the first denial's 05-12 + 120 = 09-09), 119 days left, $80 open. X6, the same denial, appeal AX6
    won on 05-26 but no remit has paid it: all $200 open, 'appeal won, not yet paid' (it read 'new'),
    the same deadline."""
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
    assert [q["X6"][k] for k in show] == ["appeal", "appeal won, not yet paid", dt.date(2026, 9, 23), 119, 200.0]
    assert q["X5"]["expected_recovery"] == round(80 * q["X5"]["win_ratio"], 2)


def test_past_deadline_is_lost_and_listed_apart(core_db):
    q = work_queue(connect(core_db), scope=Scope.all(), as_of=dt.date(2026, 9, 1)).to_dicts()
    assert [(r["claim_id"], r["lost"]) for r in q] == [("C2", False), ("C7", True)]


def test_scope_and_viewer(core_db):
    assert work_queue(connect(core_db), scope=Scope.sites({"S2"}), as_of=AS_OF).height == 0
    with pytest.raises(ClaimLevelDenied):
        work_queue(connect(core_db), scope=Scope.sites({"S1"}, claim_level=False), as_of=AS_OF)


def test_queue_command_csv(core_db):
    out = run_cli("warehouse", "queue", "--db", str(core_db), "--team", "billing", "--format", "csv",
                  "--as-of", "2026-05-21")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["claim_id"] for r in rows] == ["C7", "C2"] and rows[0]["rank"] == "1"
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
    due = live.filter(live["days_left"] <= 30)
    assert (s["live_denials"], s["due_denials"], s["lost_denials"]) == (live.height, due.height, lost.height)
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
    totals, live, lost = queue_page(connect(core_db), scope=Scope.sites({"S2"}), as_of=AS_OF, limit=5)
    assert (live.height, lost.height) == (0, 0) and live.columns == lost.columns
    assert totals == {f"{k}_{m}": 0 for k in ("live", "due", "lost") for m in ("denials", "dollars", "expected")}
