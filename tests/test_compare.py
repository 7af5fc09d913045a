"""warehouse.compare: funnel-plot limits, ranks, movers and rework cost, with numbers worked out by hand."""
from __future__ import annotations

import math

import polars as pl
import pytest

from warehouse import compare


def test_limits_by_hand():
    # p = 0.2, n = 100: standard error sqrt(0.2 * 0.8 / 100) = 0.04
    lo, hi = compare.control_limits(0.2, 100, compare.Z95)
    assert (lo, hi) == pytest.approx((0.2 - 1.96 * 0.04, 0.2 + 1.96 * 0.04))       # 0.1216, 0.2784
    assert (lo, hi) == pytest.approx((0.1216, 0.2784))
    lo, hi = compare.control_limits(0.2, 100, compare.Z998)
    assert (lo, hi) == pytest.approx((0.0764, 0.3236))                                 # ± 3.09 * 0.04
    # p = 0.5, n = 4: se = 0.25; 95% ± 0.49; 99.8% ± 0.7725 is clipped to [0, 1]
    assert compare.control_limits(0.5, 4, compare.Z95) == pytest.approx((0.01, 0.99))
    assert compare.control_limits(0.5, 4, compare.Z998) == (0.0, 1.0)
    assert compare.control_limits(0.2, 0, compare.Z95) == (None, None)
    assert compare.control_limits(None, 10, compare.Z95) == (None, None)


def _sites() -> pl.DataFrame:
    # group: 60 denied of 300 adjudicated = 20%
    return pl.DataFrame({
        "site": ["A", "B", "C", "D", "E"],
        "denial_rate__num": [30.0, 10.0, 14.0, 4.0, 2.0],
        "denial_rate__den": [100.0, 100.0, 91.0, 5.0, 4.0],
    }).with_columns((pl.col("denial_rate__num") / pl.col("denial_rate__den")).alias("denial_rate"))


def test_group_rate_is_sum_over_sum():
    assert compare.group_rate(_sites(), "denial_rate") == pytest.approx(0.2)      # not the mean of rates (0.33)


def test_funnel_signals_by_hand():
    f = {r["site"]: r for r in compare.funnel(_sites(), "denial_rate", adjust=False).to_dicts()}
    # A: 30% of 100; 95% upper limit 27.84%, 99.8% upper 32.36% -> worse at 95% only
    assert f["A"]["hi95"] == pytest.approx(0.2784) and f["A"]["hi998"] == pytest.approx(0.3236)
    assert f["A"]["signal"] == "worse (95%)"
    # B: 10% of 100; 95% lower limit 12.16%, 99.8% lower 7.64% -> better at 95% only
    assert f["B"]["signal"] == "better (95%)"
    # C: 14 of 91 = 15.4%; se = sqrt(.16/91) = 0.04193, 95% lower 0.2 - 0.08219 = 11.78% -> within
    assert f["C"]["lo95"] == pytest.approx(0.2 - 1.96 * math.sqrt(0.16 / 91))
    assert f["C"]["signal"] == "within limits"
    # D: 4 of 5 = 80%; se = sqrt(.16/5) = 0.17889, 99.8% upper 0.2 + 3.09 * 0.17889 = 75.28% -> a real outlier
    assert f["D"]["hi998"] == pytest.approx(0.75275, abs=1e-4)
    assert f["D"]["signal"] == "worse (99.8%)"
    # E: 2 of 4 = 50%, 2.5 times the group rate, but se = 0.2 and the 95% upper limit is 59.2%:
    # a small site is not called an outlier by chance
    assert f["E"]["hi95"] == pytest.approx(0.592)
    assert f["E"]["signal"] == "within limits"
    assert all(r["group_rate"] == pytest.approx(0.2) for r in f.values())


def test_funnel_direction_follows_the_kpi():
    # for a KPI where higher is better, the same position above the limits is "better"
    frame = _sites().rename({"denial_rate__num": "clean_claim_rate__num", "denial_rate__den": "clean_claim_rate__den",
                             "denial_rate": "clean_claim_rate"})
    f = {r["site"]: r for r in compare.funnel(frame, "clean_claim_rate", adjust=False).to_dicts()}
    assert f["A"]["signal"] == "better (95%)" and f["D"]["signal"] == "better (99.8%)"
    assert f["B"]["signal"] == "worse (95%)"


def test_funnel_no_volume_and_non_ratio():
    frame = pl.DataFrame({"site": ["A", "Z"], "denial_rate__num": [1.0, 0.0], "denial_rate__den": [10.0, 0.0],
                          "denial_rate": [0.1, None]})
    f = {r["site"]: r for r in compare.funnel(frame, "denial_rate").to_dicts()}
    assert f["Z"]["signal"] == "no volume" and f["Z"]["lo95"] is None
    with pytest.raises(ValueError):
        compare.funnel(frame, "denied_dollars")


def test_funnel_curve_narrows_with_volume():
    c = compare.funnel_curve(0.2, 400, n_min=4, points=5)
    assert c["n"].to_list() == pytest.approx([4, 12.649, 40, 126.49, 400], rel=1e-3)   # log-spaced
    widths = (c["hi95"] - c["lo95"]).to_list()
    assert widths == sorted(widths, reverse=True)
    assert c.row(2, named=True)["hi95"] == pytest.approx(0.2 + 1.96 * math.sqrt(0.16 / 40))
    assert (c["hi998"] >= c["hi95"]).all()


def test_overdispersion_by_hand():
    # four sites of 1,000 claims at 10%, 15%, 25%, 30%: p = 800 / 4,000 = 20%, s² = 0.16 / 1000 = 0.00016;
    # z = ±0.05/0.012649 = ±3.953 and ±0.1/0.012649 = ±7.906, z² = 15.625 and 62.5: φ = 156.25 / 4 = 39.0625;
    # w = 6,250 each: Σw − Σw²/Σw = 25,000 − 6,250 = 18,750; τ² = (4 × 39.0625 − 3) / 18,750 = 153.25 / 18,750
    frame = pl.DataFrame({"site": ["A", "B", "C", "D"], "denial_rate__num": [100.0, 150.0, 250.0, 300.0],
                          "denial_rate__den": [1000.0] * 4})
    od = compare.overdispersion(frame, "denial_rate")
    assert od["units"] == 4 and od["phi"] == pytest.approx(39.0625)
    assert od["tau2"] == pytest.approx(153.25 / 18750)                                   # 0.0081733
    # at n = 1,000 the variance is 0.00016 + 0.0081733 = 1/120: 95% limits 0.2 ± 1.96 × 0.091287
    f = {r["site"]: r for r in compare.funnel(frame, "denial_rate").to_dicts()}
    assert f["A"]["lo95"] == pytest.approx(0.2 - 1.96 * math.sqrt(1 / 120), abs=1e-6)   # 0.021077
    assert f["A"]["hi95"] == pytest.approx(0.378923, abs=1e-6)
    assert f["A"]["hi998"] == pytest.approx(0.2 + 3.09 * math.sqrt(1 / 120), abs=1e-6)  # 0.482077
    assert {r["signal"] for r in f.values()} == {"within limits"}
    # chance alone: ± 3.09 × 0.012649 = ± 3.9 points, and every site is outside 99.8%
    plain = {r["site"]: r["signal"] for r in compare.funnel(frame, "denial_rate", adjust=False).to_dicts()}
    assert plain == {"A": "better (99.8%)", "B": "better (99.8%)", "C": "worse (99.8%)", "D": "worse (99.8%)"}
    assert compare.funnel_curve(0.2, 1000, n_min=1000, tau2=od["tau2"])["hi95"][0] == pytest.approx(0.378923, abs=1e-6)


def test_overdispersion_none_below_chance_or_three_units():
    # three sites exactly at the group rate: φ = 0, kφ ≤ k − 1, no spread added
    same = pl.DataFrame({"denial_rate__num": [10.0, 20.0, 30.0], "denial_rate__den": [100.0, 200.0, 300.0]})
    assert compare.overdispersion(same, "denial_rate") == {"units": 3, "phi": 0.0, "tau2": 0.0}
    # two sites (and a third without volume): too few to estimate a spread; the limits stay binomial
    two = pl.DataFrame({"denial_rate__num": [10.0, 90.0, 0.0], "denial_rate__den": [100.0, 100.0, 0.0]})
    assert compare.overdispersion(two, "denial_rate") == {"units": 2, "phi": None, "tau2": 0.0}
    assert compare.funnel(two, "denial_rate")["tau2"].to_list() == [0.0, 0.0, 0.0]


def test_overdispersion_winsorised_from_ten_units():
    # nine sites at 20 of 100 and one at 65 of 100: p = 245 / 1,000 = 24.5%, s² = 0.245 × 0.755 / 100;
    # the nine z = −0.045 / s = −1.0463, the outlier's 0.405 / s = 9.4166. From 10 units the lowest and
    # highest 10% (one each) are pulled to their neighbours: all ten z = −1.0463, φ = 0.045² / s² = 1.0947;
    # kφ = 10.95 is below χ²(9)'s 95th percentile (16.92): chance explains the spread, no τ² is added,
    # and the outlier stands out against the binomial limits (99.8% upper 0.245 + 3.09 s = 37.8% < 65%)
    frame = pl.DataFrame({"site": list("ABCDEFGHIJ"), "denial_rate__num": [20.0] * 9 + [65.0],
                          "denial_rate__den": [100.0] * 10})
    s2 = 0.245 * 0.755 / 100
    od = compare.overdispersion(frame, "denial_rate")
    assert od["phi"] == pytest.approx(0.045 ** 2 / s2) and od["phi"] == pytest.approx(1.0947, abs=1e-4)
    assert od["tau2"] == 0.0
    f = {r["site"]: r for r in compare.funnel(frame, "denial_rate").to_dicts()}
    assert f["J"]["hi998"] == pytest.approx(0.245 + 3.09 * math.sqrt(s2))
    assert f["J"]["signal"] == "worse (99.8%)" and f["A"]["signal"] == "within limits"
    # not winsorised, the outlier's own z² (88.7) would give kφ = 98.5, a τ² of 0.0184 and a 99.8% upper
    # limit of 68.5%: it would have hidden itself
    assert (9 * 0.045 ** 2 + 0.405 ** 2) / s2 > compare.chi2_95(9)


def test_chi2_95_against_the_table():
    # χ² 95th percentiles from the table: 5.991 (2 df), 7.815 (3), 14.067 (7), 16.919 (9), 31.410 (20)
    for df, table in ((2, 5.991), (3, 7.815), (7, 14.067), (9, 16.919), (20, 31.410)):
        assert compare.chi2_95(df) == pytest.approx(table, rel=0.01)


def test_rank_follows_good_direction():
    frame = pl.DataFrame({"denial_rate": [0.3, 0.1, None, 0.1], "clean_claim_rate": [0.9, 0.95, 0.8, None]})
    assert compare.rank(frame, "denial_rate").to_list() == [3, 1, None, 1]
    assert compare.rank(frame, "clean_claim_rate").to_list() == [2, 1, 3, None]


def test_rank_leaves_out_a_rate_over_too_few_claims():
    """0 denials of 14 claims is no best site: a count-based rate over fewer than MIN_BAND_VOLUME (30)
    events is not ranked, and the others rank among themselves; a dollar-weighted rate is ranked at any
    volume (its band is not gated either)."""
    frame = pl.DataFrame({"denial_rate": [0.0, 0.12, 0.08, 0.2], "denial_rate__den": [14, 300, 29, 30],
                          "denial_rate_dollars": [0.0, 0.12, 0.08, 0.2],
                          "denial_rate_dollars__den": [1400.0, 30000.0, 2900.0, 3000.0]})
    assert compare.rank(frame, "denial_rate").to_list() == [None, 1, None, 2]
    assert compare.rank(frame, "denial_rate_dollars").to_list() == [1, 3, 2, 4]


def test_movers_by_hand():
    weeks = ["W1", "W2", "W3", "W4"]          # W4 is the week; W1-W3 the baseline
    payer = pl.DataFrame({"payer": ["P1"] * 4 + ["P2"] * 2, "payer_name": ["Acme"] * 4 + ["Beta"] * 2,
                          "week": weeks + ["W1", "W4"], "denied_dollars": [100, 200, 300, 500, 90, 0]})
    site = pl.DataFrame({"site": ["S1", "S1"], "site_name": ["Alpha", "Alpha"], "week": ["W2", "W4"],
                         "denied_dollars": [60, 50]})
    cause = pl.DataFrame({"root_cause": ["authorization"], "week": ["W4"], "denied_dollars": [10.0]})
    mv = compare.movers({"payer": payer, "site": site, "root_cause": cause}, week="W4", baseline_weeks=weeks[:3],
                        names={"authorization": "Authorization"}, top=3)
    rows = mv.to_dicts()
    # P1: 500 vs (100+200+300)/3 = 200 -> +300; P2: 0 vs 90/3 = 30 -> -30; S1: 50 vs 60/3 = 20 -> +30;
    # authorization: 10 vs 0 -> +10 (no baseline: change_pct None)
    assert [(r["dim"], r["value"], r["change"]) for r in rows] == [("payer", "P1", 300.0), ("payer", "P2", -30.0),
                                                                   ("site", "S1", 30.0)]
    assert rows[0]["label"] == "Acme" and rows[0]["baseline_avg"] == 200 and rows[0]["change_pct"] == pytest.approx(1.5)
    full = compare.movers({"root_cause": cause}, week="W4", baseline_weeks=weeks[:3], names={"authorization": "Authorization"})
    assert full.to_dicts()[0]["label"] == "Authorization" and full.to_dicts()[0]["change_pct"] is None
    assert compare.movers({"payer": payer}, week="W4", baseline_weeks=[]).height == 0


def test_rework_cost():
    est = compare.rework_cost(12, cost=40.0)
    assert (est["low"], est["high"], est["point"]) == (12 * 25.0, 12 * 118.0, 480.0)
    assert compare.rework_cost(None)["point"] == 0


def test_rank_skips_days_in_ar_over_a_short_history():
    """A site with fewer than 90 days of charges reads high on days in A/R (query._ar): not ranked."""
    frame = pl.DataFrame({"ar_days": [35.0, 80.0, 42.0], "ar_days__short_history": [False, True, False]})
    assert compare.rank(frame, "ar_days").to_list() == [1, None, 2]


def test_mix_adjusted_by_hand():
    """Three sites, two payer classes. Medicaid (m): 10/50, 2/10, 27/90 -> p_m = 39/150 = 0.26; commercial
    (c): 5/50, 9/90, 1/10 -> p_c = 15/150 = 0.10; group p = 54/300 = 0.18. Expected: A (50·.26 + 50·.10)/100
    = 0.18, B (10·.26 + 90·.10)/100 = 0.116, C (90·.26 + 10·.10)/100 = 0.244. Adjusted = rate − expected + p:
    A .15 − .18 + .18 = .15, B .11 − .116 + .18 = .174, C .28 − .244 + .18 = .216: C's 17-point gap to B as
    billed is 4.2 points once its Medicaid-heavy mix is accounted for."""
    f = pl.DataFrame({"site": ["A", "A", "B", "B", "C", "C", "D"], "payer_class": ["m", "c", "m", "c", "m", "c", "m"],
                      "denial_rate__num": [10, 5, 2, 9, 27, 1, None], "denial_rate__den": [50, 50, 10, 90, 90, 10, 0]})
    out = compare.mix_adjusted(f, "denial_rate", "site", "payer_class")
    assert out["site"].to_list() == ["A", "B", "C"]            # D has no volume
    assert out["denial_rate__observed"].to_list() == pytest.approx([0.15, 0.11, 0.28])
    assert out["denial_rate__expected"].to_list() == pytest.approx([0.18, 0.116, 0.244])
    assert out["denial_rate"].to_list() == pytest.approx([0.15, 0.174, 0.216])
    assert out["denial_rate__den"].to_list() == [100, 100, 100]
    # the adjusted numerators add up to the group's (54), so the funnel's centre line is still p = 18%
    assert out["denial_rate__num"].sum() == pytest.approx(54)
    assert compare.funnel(out, "denial_rate")["group_rate"][0] == pytest.approx(0.18)
    # a claim with no payer class is a class of its own; one class alone: every expected rate is the group's
    one = compare.mix_adjusted(f.with_columns(pl.lit(None, pl.String).alias("payer_class")), "denial_rate", "site",
                               "payer_class")
    assert one["denial_rate__expected"].to_list() == pytest.approx([0.18] * 3)
    assert one["denial_rate"].to_list() == pytest.approx([0.15, 0.11, 0.28])
    assert compare.mix_adjusted(f.head(0), "denial_rate", "site", "payer_class").height == 0
