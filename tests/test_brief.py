"""The weekly review numbers and the one-page brief (`python -m warehouse brief`)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from conftest import connect, run_cli
from warehouse import brief
from warehouse.query import Filters
from warehouse.scope import Scope


@pytest.fixture(scope="module")
def con(core_db):
    return connect(core_db)


def test_week_numbers_by_hand(con):
    r = brief.weekly_review(con, scope=Scope.all(), filters=None, week_start=dt.date(2026, 5, 11))
    t = r.this
    assert r.week == "2026-W20" and r.week_end == dt.date(2026, 5, 17)
    assert (t["claims_adjudicated"], t["claims_denied"], t["billed_dollars"], t["denied_dollars"]) == (11, 5, 1650, 870)
    assert (t["clean_claim_rate__num"], t["clean_claim_rate__den"]) == (5, 10)
    assert (t["recovered_dollars"], t["ar_days__num"]) == (350, 960)
    assert t["ar_days"] == pytest.approx(960 / (1740 / 90))              # 49.655
    # C2 100 + C7 120 open; C1 recovered, C6 written off, C9 paid on its corrected claim
    assert t["open_denied_dollars"] == 220
    assert r.previous["week"] == "2026-W19" and r.previous["ar_days__num"] == 1690
    assert r.baseline_weeks == [] and r.movers.height == 0                # nothing adjudicated before W20
    assert {s["stage"]: s["denied_dollars"] for s in r.by_stage.to_dicts()} == \
        {"front_end": 200, "back_end": 550, "clinical": 0, "payer": 120}   # auth; missing info+timely+coding; other
    assert r.by_cause["root_cause"].to_list()[0] == "timely_filing" and r.by_cause["denied_dollars"].sum() == 870
    assert r.trend.height == brief.TREND_WEEKS and r.trend["week"].to_list()[-1] == "2026-W20"


def test_baseline_and_movers_by_hand(con):
    # W21 against W20 (the only earlier week ending after the first adjudication, 05-12)
    r = brief.weekly_review(con, scope=Scope.all(), filters=None, week_start=dt.date(2026, 5, 18))
    assert r.baseline_weeks == ["2026-W20"]
    b = r.baseline
    assert b["denial_rate"] == pytest.approx(5 / 11) and (b["denial_rate__num"], b["denial_rate__den"]) == (5, 11)
    assert b["denied_dollars"] == 870 and b["ar_days"] == pytest.approx(960 * 90 / 1740)
    assert (r.this["appeal_win_ratio__num"], r.this["appeal_win_ratio__den"]) == (1, 2)   # A1 won, A3 lost
    mv = {(m["dim"], m["value"]): m["change"] for m in r.movers.to_dicts()}
    # nothing adjudicated in W21: each mover is minus its W20 denied dollars
    assert mv[("payer", "PAYA")] == -670 and mv[("site", "S1")] == -620
    assert list(mv.values())[0] == -670 and r.movers.height == 5
    # the download keeps the codes beside the names
    first = r.movers_export.row(0, named=True)
    assert r.movers_export.columns == ["dimension", "code", "dimension_label", "name", "this_week", "baseline_avg", "change"]
    assert (first["dimension"], first["code"], first["name"], first["this_week"], first["change"]) == \
        ("payer", "PAYA", "Acme Health", 0, -670)


def test_brief_does_not_colour_a_short_history_change(con):
    """W21's days in A/R (21.2: $600 A/R over the same fewer-than-90 days of charges) against the 13-week
    average (W20's 49.7) is a fall of 28.4 days, but both read high for a short history (docs/metrics.md):
    the brief shows the change without the good/bad colour it gives denied dollars ($0 against $870)."""
    r = brief.weekly_review(con, scope=Scope.all(), filters=None, week_start=dt.date(2026, 5, 18))
    assert r.this["ar_days__short_history"] is True
    html = brief.render_html(r)
    ar = re.search(r"Days in A/R</td>.*?</tr>", html).group(0)
    assert ar.endswith("<td>49.7 days<div class='note '>−28.4 days</div></td></tr>"), ar
    denied = re.search(r"Denied dollars</td>.*?</tr>", html).group(0)
    assert denied.endswith("<td>$870<div class='note good'>−$870</div></td></tr>"), denied


def test_filters_narrow_the_review(con):
    r = brief.weekly_review(con, scope=Scope.all(), filters=Filters.make({"site": ["S2"]}),
                            week_start=dt.date(2026, 5, 11))
    assert (r.this["claims_adjudicated"], r.this["claims_denied"], r.this["denied_dollars"]) == (4, 1, 250)
    scoped = brief.weekly_review(con, scope=Scope.sites({"S1"}), filters=None, week_start=dt.date(2026, 5, 11))
    assert (scoped.this["claims_adjudicated"], scoped.this["denied_dollars"]) == (7, 620)


def test_brief_cli_writes_self_contained_html(core_db, tmp_path):
    out = tmp_path / "brief.html"
    res = run_cli("warehouse", "brief", "--db", str(core_db), "--week", "2026-W20", "--out", str(out))
    assert res.returncode == 0, res.stderr
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and "week 2026-W20" in html
    # self-contained: plotly.js inlined once, nothing fetched from elsewhere
    assert not re.search(r"<script[^>]+src=[\"']?https?:", html, re.I)
    assert not re.search(r"<link[^>]+href=[\"']?https?:", html, re.I)
    assert html.count("<script") >= 5 and "Plotly.newPlot" in html
    # the week's numbers, formatted as on the page
    for text in ("45.5%", "5 of 11 claims", "52.7%", "$870 of $1,650", "50.0%", "5 of 10 claims", "49.7 days",
                 "$870", "$350", "$220", "11 claims adjudicated, 5 denied", "$1,650 billed"):
        assert text in html, text
    # rework cost: 5 denied claims × $25–$118, point at $25
    assert "$125 – $590" in html and "<b>$125</b>" in html
    assert 'class="warn"' not in html                       # W20: no earlier week, so no thin-week note
    w21 = tmp_path / "w21.html"
    assert run_cli("warehouse", "brief", "--db", str(core_db), "--week", "2026-W21", "--out", str(w21)).returncode == 0
    assert "Week 2026-W21 holds 0 claims adjudicated against 11 a week on average before it" in w21.read_text()


def test_brief_cli_filters_default_week_and_errors(core_db, empty_db, tmp_path):
    out = tmp_path / "s2.html"
    res = run_cli("warehouse", "brief", "--db", str(core_db), "--out", str(out), "--filter", "site=S2",
                  "--rework-cost", "40")
    assert res.returncode == 0, res.stderr
    html = out.read_text()
    assert "week 2026-W20" in html                        # the last complete week before the latest remit (05-21)
    assert "4 claims adjudicated, 1 denied" in html and "site: S2" in html and "<b>$40</b>" in html
    bad = run_cli("warehouse", "brief", "--db", str(core_db), "--out", str(out), "--filter", "colour=red")
    assert bad.returncode == 2 and "unknown dimension" in bad.stderr
    empty = run_cli("warehouse", "brief", "--db", str(empty_db), "--out", str(tmp_path / "e.html"))
    assert empty.returncode == 2 and "no adjudicated claims" in empty.stderr
    # the other commands are still there
    assert run_cli("warehouse", "kpi", "--db", str(core_db), "--format", "json").returncode == 0


def test_every_root_cause_has_its_own_colour(con):
    """The 13-week chart by root cause gives each cause one colour, the same in every week and chart:
    plotly's default colorway (10 colours) gave two of the taxonomy's causes the same blue."""
    from warehouse import taxonomy
    causes = taxonomy.load_tables()["categories"]["category"].to_list()
    colours = brief.cause_colours(causes)
    assert len(causes) > 10 and len(set(colours.values())) == len(causes)
    assert brief.cause_colours(["timely_filing", "new_cause"])["timely_filing"] == colours["timely_filing"]
    r = brief.weekly_review(con, scope=Scope.all(), filters=None, week_start=dt.date(2026, 5, 11))
    fig = brief.cause_trend_figure(r)
    shown = {t.customdata[0][0]: t.marker.color for t in fig.data}
    assert shown and shown == {c: colours[c] for c in shown}


def test_the_weeks_a_week_is_compared_with():
    """The '13-week average' of a week (the weekly review's baseline, the Overview's and the weekly
    review's thin-week note): the 13 weeks before it that reach into the data, so the Overview and
    the weekly review average the same weeks."""
    w21 = dt.date(2026, 5, 18)
    assert brief.baseline_weeks(w21, dt.date(2026, 5, 11)) == [("2026-W20", dt.date(2026, 5, 11))]
    assert brief.baseline_weeks(w21, dt.date(2026, 5, 10)) == [("2026-W19", dt.date(2026, 5, 4)),
                                                               ("2026-W20", dt.date(2026, 5, 11))]
    assert brief.baseline_weeks(w21, None) == []
    long = brief.baseline_weeks(w21, dt.date(2025, 1, 1))
    assert len(long) == 13 and long[0] == ("2026-W08", dt.date(2026, 2, 16)) and long[-1][0] == "2026-W20"


def test_a_thin_week_is_flagged(con):
    """Under half the 13-week average of claims adjudicated: W21 has none against W20's 11; W20 has no
    earlier week to compare with, so no note."""
    w21 = brief.weekly_review(con, scope=Scope.all(), filters=None, week_start=dt.date(2026, 5, 18))
    note = brief.thin_week_note(w21)
    assert note.startswith("Week 2026-W21 holds 0 claims adjudicated against 11 a week on average before it:")
    assert "date-of-service" in brief.thin_week_note(w21, "service") and "short week" in note
    w20 = brief.weekly_review(con, scope=Scope.all(), filters=None, week_start=dt.date(2026, 5, 11))
    assert brief.thin_week_note(w20) is None
    assert brief.thin_week_note(dataclasses.replace(w21, this={**w21.this, "claims_adjudicated": 6})) is None  # 6 >= 5.5


def test_movers_leave_out_a_dimension_pinned_to_one_value(con):
    """With one payer picked (or a one-site scope), that payer (site) would be its own biggest mover."""
    w21 = dt.date(2026, 5, 18)
    r = brief.weekly_review(con, scope=Scope.all(), filters=Filters.make({"payer": ["PAYA"]}), week_start=w21)
    assert r.movers.height and set(r.movers["dim"]) <= {"site", "root_cause"}
    r = brief.weekly_review(con, scope=Scope.sites({"S1"}), filters=None, week_start=w21)
    assert r.movers.height and set(r.movers["dim"]) <= {"payer", "root_cause"}
    r = brief.weekly_review(con, scope=Scope.all(), filters=Filters.make({"payer": ["PAYA", "PAYB"]}), week_start=w21)
    assert "payer" in set(r.movers["dim"])                              # two payers: still compared


def test_a_change_below_display_precision_has_no_minus():
    """'−0.0 days' read as a fall that is not there (the weekly review, W40): a change that rounds to
    nothing is written '+0.0 days', which the tiles show with no arrow."""
    assert brief.format_delta("ar_days", 65.01, 65.04) == "+0.0 days"
    assert brief.format_delta("ar_days", 65.0, 65.2) == "−0.2 days"
    assert brief.format_delta("denial_rate", 0.1, 0.10004) == "+0.0 pts"
    assert brief.format_delta("denied_dollars", 100.2, 100.4) == "+$0"
    assert brief.format_delta("denied_dollars", 100, 220) == "−$120"


def test_a_cause_share_is_drawn_without_benchmark_shading(con):
    """Filtered to a root cause, the weekly denial rate is that cause's share of the whole
    (`denial_rate__share`): its trend has no good/typical/concern shading behind it, as its tile has no
    band (from a review); unfiltered, the three bands are there."""
    week = dt.date(2026, 5, 11)
    cause = brief.weekly_review(con, scope=Scope.all(), filters=Filters.make({"root_cause": ["authorization"]}),
                                week_start=week)
    assert cause.this.get("denial_rate__share") and not brief.trend_figure(cause, "denial_rate").layout.shapes
    whole = brief.weekly_review(con, scope=Scope.all(), filters=None, week_start=week)
    assert len(brief.trend_figure(whole, "denial_rate").layout.shapes) == 3
    assert brief.trend_figure(cause, "appeal_rate").layout.shapes                    # narrowed on both sides
