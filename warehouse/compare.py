"""Comparisons over `kpis()` output: funnel-plot control limits, ranks, the week's biggest movers,
and the estimated cost of reworking denials. Pure functions (no SQL, no streamlit), so the pages,
the weekly brief and the tests share one set of arithmetic (docs/pages.md explains each).
"""
from __future__ import annotations

import math

import polars as pl

from warehouse.metrics import KPIS, too_few

# Two-sided normal quantiles of the funnel plot's limits (Spiegelhalter 2005, "Funnel plots for
# comparing institutional performance"): 95% ≈ 2 standard errors, 99.8% ≈ 3.
Z95 = 1.96
Z998 = 3.09

# Cost of reworking one denied claim: the range quoted across the industry, from MGMA's figure for
# physician practices ($25) to the Change Healthcare Denials Index figure for hospitals ($118).
REWORK_COST_LOW = 25.0
REWORK_COST_HIGH = 118.0
REWORK_COST_DEFAULT = 25.0
REWORK_COST_SOURCE = ("Range of industry estimates of the cost to rework one denied claim: about $25 for a "
                      "physician practice (MGMA) up to about $118 for a hospital (Change Healthcare "
                      "Healthcare Denials Index). Set your own cost per reworked claim: staff time × loaded "
                      "hourly rate + clearinghouse fees.")


# ------------------------------------------------------------------ funnel plots
# Over-dispersion (Spiegelhalter 2005, section 4; the additive random-effects form he recommends when
# volumes are large): between sites of an MSO the rates differ by more than binomial chance (case mix,
# payer mix, specialty), and at volumes in the thousands the plain binomial limits are so narrow that
# most sites fall outside them. The spread beyond chance, tau², is estimated from the sites' own
# z-scores (DerSimonian-Laird) and added to each site's variance, so a site is flagged only when it
# stands out from the between-site spread too. Only when the spread is beyond chance itself: k·φ (the
# sum of squared z-scores) above the 95th percentile of χ² with k − 1 degrees of freedom (Wilson-Hilferty's
# approximation, within 1% from 2 degrees of freedom up), as Spiegelhalter tests it. Needs MIN_UNITS units
# with volume; z-scores are winsorised at WINSOR of each tail (from 10 units up), so one extreme site
# does not widen everyone's limits and hide itself.
MIN_UNITS = 3
WINSOR = 0.1
Z_TEST = 1.645          # one-sided 95%: the over-dispersion test


def chi2_95(df: int) -> float:
    """The 95th percentile of χ² with `df` degrees of freedom (Wilson-Hilferty): df·(1 − 2/(9df) + z·√(2/(9df)))³."""
    c = 2 / (9 * df)
    return df * (1 - c + Z_TEST * math.sqrt(c)) ** 3


def control_limits(p: float | None, n: float | None, z: float, tau2: float = 0.0) -> tuple[float | None, float | None]:
    """Control limits p ± z·sqrt(p(1−p)/n + tau²) (binomial when tau² = 0), clipped to [0, 1];
    (None, None) when n ≤ 0 or p unknown."""
    if p is None or n is None or n <= 0:
        return None, None
    half = z * math.sqrt(p * (1 - p) / n + tau2)
    return max(0.0, p - half), min(1.0, p + half)


def group_rate(frame: pl.DataFrame, kpi: str) -> float | None:
    """The group's rate as sum of numerators / sum of denominators (never a mean of rates)."""
    if frame.height == 0 or f"{kpi}__num" not in frame.columns:
        return None
    num = frame[f"{kpi}__num"].fill_null(0).sum()
    den = frame[f"{kpi}__den"].fill_null(0).sum()
    return float(num) / float(den) if den else None


def overdispersion(frame: pl.DataFrame, kpi: str, p: float | None = None) -> dict:
    """The between-unit spread beyond binomial chance of `kpi` over the rows of a kpis() frame:
    {'units': k (rows with volume), 'phi': the mean squared z-score (1 = binomial), 'tau2': the
    additive variance (0 unless kφ is above chi2_95(k − 1); 0 when p is 0 or 1 or with fewer than
    MIN_UNITS units, where phi is None too)}.
    z_i = (y_i − p)/s_i with s_i² = p(1−p)/n_i; φ = Σz²/k; τ² = (kφ − (k − 1)) / (Σw − Σw²/Σw), w = 1/s²."""
    p = group_rate(frame, kpi) if p is None else p
    pairs = [(float(x or 0), float(n)) for x, n in zip(frame[f"{kpi}__num"], frame[f"{kpi}__den"]) if n]
    k = len(pairs)
    if p is None or k < MIN_UNITS or p <= 0 or p >= 1:
        return {"units": k, "phi": None, "tau2": 0.0}
    var = [p * (1 - p) / n for _, n in pairs]
    z = sorted((x / n - p) / math.sqrt(v) for (x, n), v in zip(pairs, var))
    cut = int(WINSOR * k) if k >= 10 else 0
    if cut:
        z = [min(max(v, z[cut]), z[k - 1 - cut]) for v in z]
    phi = sum(v * v for v in z) / k
    w = [1 / v for v in var]
    spread = sum(w) - sum(x * x for x in w) / sum(w)
    tau2 = max(0.0, (k * phi - (k - 1)) / spread) if spread > 0 and k * phi > chi2_95(k - 1) else 0.0
    return {"units": k, "phi": phi, "tau2": tau2}


def funnel(frame: pl.DataFrame, kpi: str, adjust: bool = True) -> pl.DataFrame:
    """Each row of a kpis() frame (e.g. one per site) placed on the funnel of `kpi` (a ratio KPI).

    Adds: n (the denominator), rate, group_rate, tau2 (the over-dispersion added to every limit when
    `adjust`, else 0; see `overdispersion`), lo95/hi95, lo998/hi998 (limits at that n around the
    group rate) and signal: 'within limits', 'better (95%)', 'better (99.8%)', 'worse (95%)' or
    'worse (99.8%)' — better/worse by the KPI's good direction. Rows with n = 0 get no limits and
    signal 'no volume'."""
    k = KPIS[kpi]
    if k.denominator is None or k.unit != "ratio":
        raise ValueError(f"{kpi} is not a ratio KPI")
    p = group_rate(frame, kpi)
    tau2 = overdispersion(frame, kpi, p)["tau2"] if adjust else 0.0
    rows = []
    for r in frame.iter_rows(named=True):
        n = float(r.get(f"{kpi}__den") or 0)
        x = float(r.get(f"{kpi}__num") or 0)
        rate = x / n if n else None
        lo95, hi95 = control_limits(p, n, Z95, tau2)
        lo998, hi998 = control_limits(p, n, Z998, tau2)
        rows.append({"n": n, "rate": rate, "group_rate": p, "tau2": tau2, "lo95": lo95, "hi95": hi95,
                     "lo998": lo998, "hi998": hi998,
                     "signal": _signal(rate, lo95, hi95, lo998, hi998, k.good_direction)})
    extra = pl.DataFrame(rows, schema={"n": pl.Float64, "rate": pl.Float64, "group_rate": pl.Float64,
                                       "tau2": pl.Float64, "lo95": pl.Float64, "hi95": pl.Float64,
                                       "lo998": pl.Float64, "hi998": pl.Float64, "signal": pl.String})
    return pl.concat([frame, extra], how="horizontal")


def _signal(rate, lo95, hi95, lo998, hi998, good_direction: str) -> str:
    if rate is None or lo95 is None:
        return "no volume"
    high, low = ("worse", "better") if good_direction == "down" else ("better", "worse")
    if rate > hi998:
        return f"{high} (99.8%)"
    if rate < lo998:
        return f"{low} (99.8%)"
    if rate > hi95:
        return f"{high} (95%)"
    if rate < lo95:
        return f"{low} (95%)"
    return "within limits"


def funnel_curve(p: float | None, n_max: float, n_min: float = 1.0, points: int = 80,
                 tau2: float = 0.0) -> pl.DataFrame:
    """The funnel's limit lines: n from n_min to n_max (log-spaced) with lo95/hi95/lo998/hi998."""
    if p is None or n_max <= 0:
        return pl.DataFrame(schema={"n": pl.Float64, "lo95": pl.Float64, "hi95": pl.Float64,
                                    "lo998": pl.Float64, "hi998": pl.Float64})
    n_min = max(min(n_min, n_max), 1.0)
    ns = sorted({n_min * (n_max / n_min) ** (i / (points - 1)) for i in range(points)}) if n_max > n_min else [n_min]
    rows = []
    for n in ns:
        lo95, hi95 = control_limits(p, n, Z95, tau2)
        lo998, hi998 = control_limits(p, n, Z998, tau2)
        rows.append({"n": n, "lo95": lo95, "hi95": hi95, "lo998": lo998, "hi998": hi998})
    return pl.DataFrame(rows)


# ------------------------------------------------------------------ mix adjustment
# A site that bills mostly Medicaid is denied more than one that bills mostly commercial plans, for no
# fault of its own. Its expected rate is what its own mix of claims would give at the group's rate in each
# class: e_u = Σ_c n_uc·p_c / n_u, p_c = Σ_u x_uc / Σ_u n_uc (indirect standardisation). The adjusted
# rate is r_u − e_u + p: the site's rate less what its mix accounts for, on the group rate p's scale. In
# this additive form the adjusted numerators add up to the group's exactly (Σ_u n_u·e_u = Σ x), so the
# funnel's centre line stays p; clipped to [0, 1].
MIX_NONE = "(none)"       # a claim with no class of the mix (no payer class) counts as a class of its own


def mix_adjusted(frame: pl.DataFrame, kpi: str, unit: str, mix: str) -> pl.DataFrame:
    """Each `unit`'s ratio `kpi` adjusted for its mix of `mix` (e.g. each site for its payer classes),
    from a kpis() frame by (unit, mix). One row per unit with volume: `unit`, `<kpi>__num` (the adjusted
    rate × n), `<kpi>__den` (n), `<kpi>` (the adjusted rate), `<kpi>__observed` (its rate as it is) and
    `<kpi>__expected` (the rate its mix gives at the group's rate per class). Empty without volume."""
    num, den = f"{kpi}__num", f"{kpi}__den"
    schema = {unit: frame.schema.get(unit, pl.String), num: pl.Float64, den: pl.Float64, kpi: pl.Float64,
              f"{kpi}__observed": pl.Float64, f"{kpi}__expected": pl.Float64}
    cells = (frame.select(pl.col(unit), pl.col(mix).cast(pl.String).fill_null(MIX_NONE).alias("_class"),
                          pl.col(num).cast(pl.Float64).fill_null(0.0).alias("_x"),
                          pl.col(den).cast(pl.Float64).fill_null(0.0).alias("_n"))
             .filter(pl.col(unit).is_not_null() & (pl.col("_n") > 0)))
    total_n = cells["_n"].sum()
    if cells.height == 0 or not total_n:
        return pl.DataFrame(schema=schema)
    p = cells["_x"].sum() / total_n
    by_class = cells.group_by("_class").agg((pl.col("_x").sum() / pl.col("_n").sum()).alias("_p_class"))
    out = (cells.join(by_class, on="_class", how="left")
           .group_by(unit).agg(pl.col("_x").sum(), pl.col("_n").sum(),
                               (pl.col("_n") * pl.col("_p_class")).sum().alias("_e"))
           .with_columns((pl.col("_x") / pl.col("_n")).alias(f"{kpi}__observed"),
                         (pl.col("_e") / pl.col("_n")).alias(f"{kpi}__expected"))
           .with_columns((pl.col(f"{kpi}__observed") - pl.col(f"{kpi}__expected") + p).clip(0.0, 1.0).alias(kpi))
           .with_columns((pl.col(kpi) * pl.col("_n")).alias(num), pl.col("_n").alias(den))
           .sort(unit))
    return out.select(list(schema)).cast(schema)


# ------------------------------------------------------------------ ranks
def rank(frame: pl.DataFrame, kpi: str) -> pl.Series:
    """1 = best by the KPI's good direction; ties share the best rank; rows without a value have no
    rank (null). A count-based rate over too few events (metrics.too_few of its `<kpi>__den`, when the
    frame has it) is not ranked either: 0 denials of 14 claims is chance, not the best site; nor is days
    in A/R over fewer than 90 days of charges (`<kpi>__short_history`: a new site would rank worst)."""
    desc = KPIS[kpi].good_direction == "up"
    dens = frame[f"{kpi}__den"] if f"{kpi}__den" in frame.columns else [None] * frame.height
    shorts = frame[f"{kpi}__short_history"] if f"{kpi}__short_history" in frame.columns else [None] * frame.height
    values = pl.Series(kpi, [None if too_few(kpi, n) or s else v for v, n, s in zip(frame[kpi], dens, shorts)],
                       dtype=frame[kpi].dtype)
    return values.rank(method="min", descending=desc).cast(pl.Int64).alias(f"{kpi}_rank")


# ------------------------------------------------------------------ movers
def movers(frames: dict[str, pl.DataFrame], *, week: str, baseline_weeks: list[str], kpi: str = "denied_dollars",
           top: int = 5, names: dict[str, str] | None = None) -> pl.DataFrame:
    """The biggest movers of an additive KPI (default denied dollars) this week against its weekly
    average over the baseline weeks, across several dimensions.

    frames: dimension key -> kpis(by=(dim, "week")) covering the week and the baseline weeks; the
    dimension's output column is the value, and its name field (e.g. payer_name) if present gives
    the label. Baseline average = sum over baseline weeks / len(baseline_weeks) (a week without
    rows counts as 0). Returns the `top` rows by absolute change: dim, value, label, this_week,
    baseline_avg, change, change_pct (None when the baseline is 0)."""
    from warehouse.dimensions import DIMENSIONS
    if not baseline_weeks:
        return pl.DataFrame(schema=_MOVER_SCHEMA)
    n = len(baseline_weeks)
    base_set = set(baseline_weeks)
    out = []
    for dim, frame in frames.items():
        d = DIMENSIONS[dim]
        col, name_col = d.output, d.name_field
        if frame.height == 0:
            continue
        acc: dict[str, dict] = {}
        for r in frame.iter_rows(named=True):
            v = r.get(col)
            if v is None:
                continue
            a = acc.setdefault(v, {"this": 0.0, "base": 0.0, "label": r.get(name_col) if name_col else None})
            val = float(r.get(kpi) or 0)
            if r["week"] == week:
                a["this"] += val
            elif r["week"] in base_set:
                a["base"] += val
        for v, a in acc.items():
            avg = a["base"] / n
            change = a["this"] - avg
            label = a["label"] or (names or {}).get(str(v)) or str(v)
            out.append({"dim": dim, "dim_label": d.label, "value": str(v), "label": str(label),
                        "this_week": round(a["this"], 2), "baseline_avg": round(avg, 2),
                        "change": round(change, 2), "change_pct": (change / avg) if avg else None})
    if not out:
        return pl.DataFrame(schema=_MOVER_SCHEMA)
    frame = pl.DataFrame(out, schema=_MOVER_SCHEMA)
    frame = frame.filter(pl.col("change") != 0)
    return (frame.with_columns(pl.col("change").abs().alias("_abs"))
            .sort(["_abs", "dim", "value"], descending=[True, False, False]).head(top).drop("_abs"))


_MOVER_SCHEMA = {"dim": pl.String, "dim_label": pl.String, "value": pl.String, "label": pl.String,
                 "this_week": pl.Float64, "baseline_avg": pl.Float64, "change": pl.Float64, "change_pct": pl.Float64}


# ------------------------------------------------------------------ rework cost
def rework_cost(denied_claims: int | None, *, cost: float = REWORK_COST_DEFAULT, low: float = REWORK_COST_LOW,
                high: float = REWORK_COST_HIGH) -> dict[str, float]:
    """Estimated cost of reworking the denied claims: claims × cost per reworked claim, at the low
    and high ends of the range and at the chosen point cost."""
    n = int(denied_claims or 0)
    return {"claims": n, "low": n * low, "high": n * high, "point": n * cost, "cost": cost,
            "cost_low": low, "cost_high": high}
