"""The weekly review numbers and the one-page brief (`python -m warehouse brief`)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

import polars as pl
import pytest

from conftest import connect, run_cli
from warehouse import brief, periods
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
    assert ar.endswith("<td>49.7 days<div class='note'>−28.4 days</div></td></tr>"), ar
    assert "class='note good'" not in ar and "class='note bad'" not in ar
    # W21 holds no claim adjudicated: no change is coloured (it read "good" for denied dollars $0 against $870)
    assert "note good" not in html and "note bad" not in html


def test_the_brief_colours_the_change_from_the_week_before(con):
    """As the page: W20's denied dollars ($870) against W19's ($0) are red, the 13-week average's change
    grey; recovered and open denied dollars follow a week's denials over time: never coloured, and said
    why (a review: they read "bad" every week)."""
    html = brief.render_html(brief.weekly_review(con, scope=Scope.all(), filters=None, week_start=dt.date(2026, 5, 11)))
    denied = re.search(r"Denied dollars</td>.*?</tr>", html).group(0)
    assert denied.endswith("<td>$0<div class='note bad'>+$870</div></td><td>$0<div class='note'>+$870</div></td></tr>") \
        or "<div class='note bad'>+$870</div></td><td>" in denied, denied
    for label in ("Recovered dollars", "Open denied dollars"):
        row = re.search(label + r"</td>.*?</tr>", html).group(0)
        assert "note good" not in row and "note bad" not in row, row
    assert "their changes are not coloured" in html
    # the numbers under the week before and the average are this week's changes, and the headers say so
    # (a review read '−1.7 pts' under 'Week before' as that week's own change)
    assert html.count("under it: this week's change") == 2
    assert "Under the week before and the 13-week average: this week's change from them" in html


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
    # a thin week (the CLI writes complete weeks only: W21 is the fixture's current week)
    w21 = brief.render_html(brief.weekly_review(connect(core_db), scope=Scope.all(), filters=None,
                                                week_start=dt.date(2026, 5, 18)))
    assert "Week 2026-W21 holds 0 claims adjudicated against 11 a week on average before it" in w21


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
    # none in the green or red that mean good and bad on the dashboard (authorization was drawn green)
    from warehouse.brief_figures import _good_or_bad
    assert not [c for c, v in colours.items() if _good_or_bad(v)]
    assert _good_or_bad("#2CA02C") and _good_or_bad("rgb(228,26,28)") and not _good_or_bad("#1F77B4")
    r = brief.weekly_review(con, scope=Scope.all(), filters=None, week_start=dt.date(2026, 5, 11))
    fig = brief.cause_trend_figure(r)
    shown = {t.customdata[0][0]: t.marker.color for t in fig.data if t.customdata[0][0] is not None}
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


# ------------------------------------------------------------------ the rework cost, the file name, the chart
def test_the_rework_range_holds_the_point_estimate():
    """Cost 25 with Low 40 read 'point $5,000, range $8,000 – $12,000' on the page (from a review): the
    range is widened to the point, and Low above High swapped, each with a note saying so."""
    est, note = brief.rework_estimate(200, cost=50, low=40, high=60)
    assert (est["point"], est["low"], est["high"], note) == (10_000, 8_000, 12_000, None)
    est, note = brief.rework_estimate(200, cost=25, low=40, high=60)
    assert (est["point"], est["low"], est["high"], est["cost_low"]) == (5_000, 5_000, 12_000, 25)
    assert note == "$25 per claim is below Low ($40): the range starts at $25 to hold the point estimate."
    est, note = brief.rework_estimate(10, cost=70.5, low=60, high=40)
    assert (est["low"], est["high"], est["point"]) == (400, 705, 705)
    assert note == ("Low was above High: read as $40 – $60. $70.50 per claim is above High ($60): the range ends "
                    "at $70.50 to hold the point estimate.")
    assert brief.rework_estimate(None, cost=25, low=25, high=25)[0]["point"] == 0


def test_the_brief_uses_the_rework_cost_range_it_is_given(con):
    """W20: 5 denied claims. At $50 (range $40 – $60): $250, $200 – $300; at $25 with Low 40 the range
    starts at the point: $125 – $300, with the page's note."""
    r = brief.weekly_review(con, scope=Scope.all(), filters=None, week_start=dt.date(2026, 5, 11))
    html = brief.render_html(r, rework_cost=50, rework_low=40, rework_high=60)
    assert "$200 – $300\n(at $40–$60 per claim); point estimate\n<b>$250</b> at $50 per claim." in html
    assert "the range starts at" not in html
    html = brief.render_html(r, rework_cost=25, rework_low=40, rework_high=60)
    assert "$125 – $300\n(at $25–$60 per claim)" in html and "<b>$125</b> at $25 per claim" in html
    assert "$25 per claim is below Low ($40): the range starts at $25 to hold the point estimate." in html


def test_the_brief_header_says_filters_apart_from_the_reader_s_access(con):
    """'scope: all sites · Site: Valley Gastroenterology' read as a contradiction (a browser review): the
    filters are named as filters, the signed-in user's access as access."""
    r = brief.weekly_review(con, scope=Scope.all(), filters=Filters.make({"site": ["S1"]}),
                            week_start=dt.date(2026, 5, 11))
    html = brief.render_html(r, scope_label="all sites", filter_text="Site: Alpha Orthopedics")
    assert "Site: Alpha Orthopedics (filters) · data access: all sites" in html and "· scope: " not in html


def test_the_brief_tells_an_owner_where_the_definitions_are(con):
    """It cited 'see docs/metrics.md', which the owner who gets the file cannot open: the brief carries
    each definition, its benchmark bands in words and the source, and says the dashboard shows them on hover."""
    r = brief.weekly_review(con, scope=Scope.all(), filters=None, week_start=dt.date(2026, 5, 11))
    html = brief.render_html(r)
    assert "docs/" not in html
    assert "on the dashboard, hover any number (or the question-mark\nicon beside it)" in html
    assert ("<li><b>Denial rate</b>: Initially denied claims / claims whose initial adjudication falls in the "
            "period.") in html
    assert ("Benchmark: good under 5.0%, typical 5.0% to under 10.0%, otherwise a concern. Source: Industry guidance: "
            "under 5% is good, 5-10% typical, over 10% needs action (MGMA and HFMA published ranges for physician "
            "practices).</li>") in html
    assert "Benchmark: good 95.0% or more, typical 90.0% to under 95.0%, otherwise a concern." in html
    assert "<li><b>Denied dollars</b>: Charges of the lines denied" in html      # no benchmark: no band line


def test_the_brief_file_name_names_its_scope():
    """weekly-brief-<week>.html whatever the filter: several sites' briefs overwrote each other."""
    w = "2026-W20"
    assert brief.file_name(w) == brief.file_name(w, Filters(), Scope.all()) == "weekly-brief-2026-W20-all-sites.html"
    assert brief.file_name(w, Filters.make({"site": ["S1"]}), Scope.all()) == "weekly-brief-2026-W20-S1.html"
    assert brief.file_name(w, None, Scope.sites({"S2", "S1"})) == "weekly-brief-2026-W20-S1_S2.html"
    # the filter names the sites within a scope; every other filter and the basis follow
    assert brief.file_name(w, Filters.make({"payer": ["PAYA"], "site": ["S1"], "root_cause": ["authorization"]},
                                           basis="service"), Scope.sites({"S1", "S2"})) == \
        "weekly-brief-2026-W20-S1-payer-PAYA-root_cause-authorization-service-basis.html"
    # safe characters only: a site id with a space, a slash and an accent
    assert brief.file_name(w, Filters.make({"site": ["ORTHO N/1", "Sé"]})) == "weekly-brief-2026-W20-ORTHO_N_1_S.html"
    many = Filters.make({"payer": [f"PAYER{i:03d}" for i in range(40)]})
    name = brief.file_name(w, many)
    assert len(name) <= 160 and re.fullmatch(r"weekly-brief-2026-W20-all-sites-payer-PAYER000_[\w-]+-[0-9a-f]{8}\.html",
                                              name), name
    fewer = Filters.make({"payer": [f"PAYER{i:03d}" for i in range(39)]})
    assert brief.file_name(w, fewer) != name                # cut alike, told apart by the hash


def test_the_cause_trend_has_room_for_its_plot_and_legend(con):
    """The 13-week chart by root cause was a ~70 px sliver above a legend of every cause in a scroll box
    (from a review): five causes by name, the rest as 'Other causes', the legend at the figure's foot.
    Eight causes by hand: a 80, b 70 ... h 10 over two weeks; f, g, h (30 + 20 + 10) are 'other'."""
    r = brief.weekly_review(con, scope=Scope.all(), filters=None, week_start=dt.date(2026, 5, 11))
    weeks = r.trend["week"].to_list()
    causes = list("abcdefgh")
    rows = [{"week": weeks[-1], "root_cause": c, "denied_dollars": 80.0 - 10 * i} for i, c in enumerate(causes)]
    rows += [{"week": weeks[-2], "root_cause": "h", "denied_dollars": 5.0}]
    trend = pl.DataFrame(rows).with_columns(pl.col("root_cause").str.to_uppercase().alias("label"))
    fig = brief.cause_trend_figure(dataclasses.replace(r, by_cause_trend=trend,
                                                       cause_labels={c: c.upper() for c in causes}))
    assert [t.name for t in fig.data] == ["A", "B", "C", "D", "E", "Other causes"]
    other = fig.data[-1]
    assert list(other.y[-2:]) == [5.0, 60.0] and sum(other.y) == 65.0 and other.customdata[0][0] is None
    assert "F, G, H" in other.hovertemplate
    assert fig.layout.height == 380
    assert (fig.layout.legend.orientation, fig.layout.legend.yref, fig.layout.legend.y) == ("h", "container", 0)
    # six causes or fewer: each by name, no 'other'
    six = dataclasses.replace(r, by_cause_trend=trend.filter(pl.col("root_cause") <= "f"),
                              cause_labels={c: c.upper() for c in causes})
    assert [t.name for t in brief.cause_trend_figure(six).data] == ["A", "B", "C", "D", "E", "F"]


def test_brief_cli_takes_the_rework_range_and_a_folder(core_db, tmp_path):
    res = run_cli("warehouse", "brief", "--db", str(core_db), "--week", "2026-W20", "--out", str(tmp_path) + "/",
                  "--filter", "site=S1", "--rework-cost", "50", "--rework-low", "40", "--rework-high", "60")
    assert res.returncode == 0, res.stderr
    html = (tmp_path / "weekly-brief-2026-W20-S1.html").read_text()     # S1: 4 denied claims
    assert "$160 – $240\n(at $40–$60 per claim); point estimate\n<b>$200</b> at $50 per claim." in html
    bad = run_cli("warehouse", "brief", "--db", str(core_db), "--out", str(tmp_path / "b.html"), "--rework-low", "-1")
    assert bad.returncode == 2 and "--rework-low -1" in bad.stderr and not (tmp_path / "b.html").exists()


# ------------------------------------------------------------------ the page's download
def _downloads(monkeypatch) -> dict:
    """file name -> the callable of each deferred download the page registers (the brief is built only
    when clicked: Streamlit keeps its callable in the run's media file manager)."""
    from streamlit.runtime.media_file_manager import MediaFileManager
    seen = {}
    add = MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        seen[file_name] = data_callable
        return add(self, data_callable, mimetype, coordinates, file_name, **kw)
    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return seen


def test_the_downloaded_brief_is_the_pages_rework_cost_and_scope(monkeypatch, core_db):
    """Low 40 and High 60 on the page read 'Range $8,000 – $12,000' there, while the downloaded brief kept
    '$25–$118 per claim' (from a review). Opened from a link with cost 50, Low 40, High 60 (the three sit
    in the URL): W20's 5 denied claims cost $250, $200 – $300, on the page and in the brief. Cost 25
    under Low 40: the range starts at $25, said on the page and in the brief. Filtered to S1 (4 denied
    claims) the file is named for it."""
    from conftest import app
    seen = _downloads(monkeypatch)
    at = app(monkeypatch, core_db, "pages/weekly_review.py", rework_cost="50", rework_low="40", rework_high="60")
    point = [m for m in at.metric if m.label == "Point estimate"][0]
    assert point.value == "$250"
    assert "Range $200 – $300: 5 denied claims × $40 – $60 per claim." in [c.value for c in at.caption]
    assert not at.warning
    html = seen["weekly-brief-2026-W20-all-sites.html"]().decode()
    assert "$200 – $300\n(at $40–$60 per claim); point estimate\n<b>$250</b> at $50 per claim." in html
    at.number_input(key="rework_cost").set_value(25.0).run()
    assert [w.value for w in at.warning] == [
        "$25 per claim is below Low ($40): the range starts at $25 to hold the point estimate."]
    assert "Range $125 – $300: 5 denied claims × $25 – $60 per claim." in [c.value for c in at.caption]
    html = seen["weekly-brief-2026-W20-all-sites.html"]().decode()
    assert "$125 – $300\n(at $25–$60 per claim)" in html and "the range starts at $25" in html
    at.sidebar.multiselect(key="site").set_value(["S1"]).run()
    assert not at.exception
    html = seen["weekly-brief-2026-W20-S1.html"]().decode()
    assert "$100 – $240\n(at $25–$60 per claim); point estimate\n<b>$100</b> at $25 per claim." in html


def test_the_brief_refuses_a_week_not_complete_and_says_when_a_week_is_empty(core_db, tmp_path):
    """The core fixture's data runs through Thu 2026-05-21 (latest remit): W21 (05-18 to 05-24) is not
    complete, nor is any later week; a week with no claims for the filters says so and lists no movers
    (a review: a brief of every value at $0 against its average, as five "movers")."""
    for week in ("2026-W21", "2027-W10"):
        res = run_cli("warehouse", "brief", "--db", str(core_db), "--week", week, "--out", str(tmp_path / "x.html"))
        assert res.returncode == 2 and f"week {week} is not complete: the data runs through Thu 21 May 2026 " \
            "(latest remit); the last complete week is 2026-W20" in res.stderr, res.stderr
    assert not (tmp_path / "x.html").exists()
    html, review = brief.build(connect(core_db), scope=Scope.all(), week="2026-W18")
    assert not review.has_data
    assert "No claims were adjudicated in week 2026-W18 for these filters" in html
    assert "No claims adjudicated this week for these filters: no movers." in html



def test_the_date_of_service_default_week_is_the_latest_mature_one():
    """Claims adjudicated by week of service: 100 a week, then 95 (W45), 60, 30, 3 (W48) as the last weeks fill
    in. The latest week with at least 90% of the 13 weeks before it is W45 (95 against 100); a young warehouse
    where no week qualifies keeps the last complete week."""
    counts = {periods.week_label(dt.date(2026, 8, 3) + dt.timedelta(weeks=i)): 100 for i in range(14)}
    counts |= {"2026-W45": 95, "2026-W46": 60, "2026-W47": 30, "2026-W48": 3}
    latest = dt.date(2026, 11, 23)                                   # W48's Monday
    assert periods.week_label(brief.mature_week(counts, latest)) == "2026-W45"
    assert brief.mature_week({"2026-W48": 3}, latest) == latest


def test_the_brief_names_the_claims_taken_back_in_its_week(tmp_path):
    """X7 (tests/test_action.py), paid $150 on 05-05, was reversed and denied on 05-13: the brief of W20 says
    so in the page's words; W19's says nothing of it."""
    from conftest import core_plus
    from test_action import TAKEBACK
    con = core_plus(tmp_path, TAKEBACK)
    html, review = brief.build(con, scope=Scope.all(), week="2026-W20")
    assert review.takebacks == {"claims": 1, "dollars": 150.0}
    assert ("Taken back: 1 claim paid earlier was reversed and denied this week, $150 of payments taken back and not "
            "paid again. The denial KPIs count initial denials only; the work queue lists these claims as &#x27;denied "
            "after payment&#x27;.") in html
    # first in its section, before the charts
    assert html.index("Taken back") < html.index("<div class=\"grid pb\">", html.index("Where the money leaks"))
    html, review = brief.build(con, scope=Scope.all(), week="2026-W19")
    assert review.takebacks == {"claims": 0, "dollars": 0.0} and "Taken back" not in html
