"""The KPI registry: every measure and KPI defined once, with its words, parts, unit and benchmark.

A *measure* is an additive aggregate over one mart (a count or a sum), with the date that places it
in a period. A *KPI* is a measure, or a ratio `sum(numerator) / nullif(sum(denominator), 0)` of two
measures, so ratios roll up as sum/sum, never as an average of rates. Pages and commands read
labels, definitions and benchmarks from here; docs/metrics.md is checked against it by a test.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Marts a measure can be computed from (warehouse/sql/models). `claim` and `line` both serve the
# claim-cohort measures; `line` is used when a slice or filter names a line attribute.
CLAIM, LINE, APPEAL, AR = "claim", "line", "appeal", "ar"
# `line_rollup` (m_line_rollup: claims per day, site, provider, payer and procedure code and/or
# modifier) serves the line measures of a slice by exactly one of its key sets, without DISTINCT.
LINE_ROLLUP = "line_rollup"


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str                       # count | dollars
    role: str                       # base: denial attributes (root cause, CARC...) do not narrow it
                                    # denial: they do
    dates: dict[str, str]           # date basis -> date column placing a row in a period
    sql: dict[str, str]             # mart -> aggregate expression (absent: not computable there)
    description: str = ""


@dataclass(frozen=True)
class Benchmark:
    good: tuple[float | None, float | None]      # [low, high) of the good band, None = open
    typical: tuple[float | None, float | None]   # the typical band; outside both = concern
    source: str


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    definition: str
    numerator: str                  # measure key
    denominator: str | None         # measure key; None = the KPI is the numerator itself
    unit: str                       # ratio | dollars | count | days
    good_direction: str             # up | down
    benchmark: Benchmark | None = None
    parts_unit: str = ""            # noun for "312 of 2,410 claims"
    scale: float = 1.0              # days in A/R: numerator / (denominator / 90)


_ADJ = {"adjudication": "initial_adjudication_date", "service": "dos"}
_OUTCOME = {"adjudication": "first_outcome_date", "service": "dos"}
_DECIDED = {"adjudication": "decided_date", "service": "dos"}

# one definition for the measure and the KPI that is it
_RECOVERED = ("Payer payments on initially denied claims after their initial adjudication, net of reversals (never below 0 per claim; with more than one payer, the initial payer's and what the others pay on the lines it denied: a secondary's payment of the patient's share of the paid lines is not a recovery), counted in the period of the claim's initial adjudication (not of the payment): a recent week shows little, since its denials have not been worked yet.")

MEASURES: dict[str, Measure] = {m.key: m for m in [
    Measure("claims_adjudicated", "Claims adjudicated", "count", "base", _ADJ,
            {CLAIM: "count(*) FILTER (WHERE adjudicated)", LINE: "count(DISTINCT claim_id)", LINE_ROLLUP: "sum(claims)"},
            "Claims whose initial adjudication falls in the period."),
    Measure("billed_dollars", "Billed dollars", "dollars", "base", _ADJ,
            {CLAIM: "sum(billed) FILTER (WHERE adjudicated)", LINE: "sum(charge)", LINE_ROLLUP: "sum(charge)"},
            "Billed charges of the claims adjudicated in the period."),
    Measure("claims_denied", "Claims initially denied", "count", "denial", _ADJ,
            {CLAIM: "count(*) FILTER (WHERE initially_denied)",
             LINE: "count(DISTINCT claim_id) FILTER (WHERE is_denied)", LINE_ROLLUP: "sum(denied_claims)"},
            "Claims whose initial adjudication denied at least one line."),
    Measure("denied_dollars", "Denied dollars", "dollars", "denial", _ADJ,
            {CLAIM: "sum(denied_dollars)", LINE: "sum(denied_dollars)", LINE_ROLLUP: "sum(denied_dollars)"},
            "Charges of the denied lines on the initial adjudication."),
    Measure("recovered_dollars", "Recovered dollars", "dollars", "denial", _ADJ,
            {CLAIM: "sum(recovered_dollars)"},
            _RECOVERED),
    Measure("open_denied_dollars", "Open denied dollars", "dollars", "denial", _ADJ,
            {CLAIM: "sum(open_denied_dollars)"},
            "Denied dollars not yet recovered or written off."),
    Measure("written_off_dollars", "Written-off dollars", "dollars", "denial", _ADJ,
            {CLAIM: "sum(written_off_dollars) FILTER (WHERE initially_denied)"},
            "Write-offs on initially denied claims."),
    Measure("claims_denied_appealed", "Denied claims appealed", "count", "denial", _ADJ,
            {CLAIM: "count(*) FILTER (WHERE initially_denied AND appealed)"},
            "Initially denied claims with at least one appeal."),
    Measure("claims_with_outcome", "Claims with a first outcome", "count", "base", _OUTCOME,
            {CLAIM: "count(*) FILTER (WHERE first_outcome_date IS NOT NULL)"},
            "Claims whose first outcome (rejection or adjudication) falls in the period."),
    Measure("clean_claims", "Clean claims", "count", "base", _OUTCOME,
            {CLAIM: "count(*) FILTER (WHERE first_outcome_date IS NOT NULL AND NOT rejected_before_adjudication"
                    " AND NOT initially_denied)"},
            "Claims neither rejected before adjudication nor denied on initial adjudication."),
    Measure("claims_rejected", "Claims rejected before adjudication", "count", "base", _OUTCOME,
            {CLAIM: "count(*) FILTER (WHERE rejected_before_adjudication)"},
            "Claims whose first outcome was a rejection (clearinghouse or payer front end)."),
    Measure("appeals_decided", "Appeals decided", "count", "denial", _DECIDED,
            {APPEAL: "count(*) FILTER (WHERE is_decided)"},
            "Appeals the payer decided in the period (won, partly won or lost)."),
    Measure("appeals_won", "Appeals won", "count", "denial", _DECIDED,
            {APPEAL: "count(*) FILTER (WHERE is_won)"},
            "Appeals decided fully or partly in the provider's favour."),
    # A/R measures are computed as of a date (see query.ar_measures), not summed over a period.
    Measure("ar_balance", "Insurance A/R balance", "dollars", "denial", {}, {AR: "ar_balance"},
            "Open insurance balance of claims with date of service on or before the as-of date."),
    Measure("daily_charges_90", "Charges, last 90 days", "dollars", "base", {}, {AR: "charges_90"},
            "Charges with date of service in the 90 days ending on the as-of date."),
    Measure("ar_over_90", "A/R over 90 days", "dollars", "denial", {}, {AR: "ar_over_90"},
            "Part of the A/R balance whose date of service is more than 90 days before the as-of date."),
]}

_MGMA = "MGMA and HFMA published ranges for physician practices"
KPIS: dict[str, Kpi] = {k.key: k for k in [
    Kpi("claims_adjudicated", "Claims adjudicated", "Claims whose initial adjudication falls in the period.",
        "claims_adjudicated", None, "count", "up", parts_unit="claims"),
    Kpi("claims_denied", "Claims denied", "Claims whose initial adjudication denied at least one line (full or partial denial).",
        "claims_denied", None, "count", "down", parts_unit="claims"),
    Kpi("denial_rate", "Denial rate",
        "Initially denied claims / claims whose initial adjudication falls in the period. A claim counts as denied "
        "when its first adjudication denies at least one line; patient responsibility and contractual write-downs are not denials.",
        "claims_denied", "claims_adjudicated", "ratio", "down",
        Benchmark((None, 0.05), (0.05, 0.10), "Industry guidance: under 5% is good, 5-10% typical, over 10% needs action (" + _MGMA + ")"),
        parts_unit="claims"),
    Kpi("billed_dollars", "Billed dollars", "Billed charges of the claims adjudicated in the period.",
        "billed_dollars", None, "dollars", "up"),
    Kpi("denied_dollars", "Denied dollars", "Charges of the lines denied on the claims' initial adjudication; a line's dollars count once however many CARCs it carries.",
        "denied_dollars", None, "dollars", "down"),
    Kpi("denial_rate_dollars", "Denial rate ($)", "Denied dollars / billed charges of the claims adjudicated in the period.",
        "denied_dollars", "billed_dollars", "ratio", "down",
        Benchmark((None, 0.05), (0.05, 0.10), "Same bands as the count-based denial rate (" + _MGMA + ")"),
        parts_unit="dollars"),
    Kpi("clean_claim_rate", "Clean claim rate",
        "Claims neither rejected before adjudication nor denied on initial adjudication / claims whose first outcome "
        "(rejection or adjudication) falls in the period.",
        "clean_claims", "claims_with_outcome", "ratio", "up",
        Benchmark((0.95, None), (0.90, 0.95), "Industry guidance: 95% or better is good; under 90% needs action (" + _MGMA + ")"),
        parts_unit="claims"),
    Kpi("recovered_dollars", "Recovered dollars", _RECOVERED,
        "recovered_dollars", None, "dollars", "up"),
    Kpi("denial_recovery_rate", "Denial recovery rate", "Recovered dollars / denied dollars, for claims initially denied in the period.",
        "recovered_dollars", "denied_dollars", "ratio", "up",
        Benchmark((0.50, None), (0.30, 0.50), "Practice-management guides: recovering half of denied dollars is good; under 30% is typical of unworked denials"),
        parts_unit="dollars"),
    Kpi("open_denied_dollars", "Open denied dollars", "Denied dollars not yet recovered or written off, less the contractual write-downs on the denied lines (never collectible) and the patient-liable denials (PR-96, PR-204: moved to the patient); after a partial win (a paid appeal or corrected claim that still denies part of the line), the denial adjustments the payer keeps, less write-offs; never below 0 per claim; 0 once the claim's latest deciding adjudication (with more than one payer: the initial payer's, or another's that pays a denied line) denies nothing, or once it is voided.",
        "open_denied_dollars", None, "dollars", "down"),
    Kpi("written_off_dollars", "Denials written off", "Write-offs on initially denied claims, counted in the period of the claim's initial adjudication (not of the write-off): the denied money the practice gave up.",
        "written_off_dollars", None, "dollars", "down"),
    Kpi("denial_write_off_rate", "Denial write-off rate", "Written-off dollars / denied dollars, for claims initially denied in the period: the share of denied money given up rather than recovered or still worked.",
        "written_off_dollars", "denied_dollars", "ratio", "down", parts_unit="dollars"),
    Kpi("appeals_decided", "Appeals decided", "Appeals the payer decided in the period (won, partly won or lost); pending and withdrawn appeals are not counted.",
        "appeals_decided", None, "count", "up", parts_unit="appeals"),
    Kpi("appeal_win_ratio", "Appeal win ratio",
        "Appeals decided fully or partly in the provider's favour / appeals decided in the period. Pending appeals are in neither.",
        "appeals_won", "appeals_decided", "ratio", "up",
        Benchmark((0.50, None), (0.35, 0.50), "Industry reports: roughly half of appealed denials are overturned; under 35% suggests weak appeals"),
        parts_unit="appeals"),
    Kpi("appeal_rate", "Appeal rate", "Initially denied claims with an appeal / initially denied claims.",
        "claims_denied_appealed", "claims_denied", "ratio", "up",
        Benchmark((0.50, None), (0.35, 0.50), "Industry reports: 50-65% of denials are never reworked; appealing or reworking half is good"),
        parts_unit="claims"),
    Kpi("ar_balance", "Insurance A/R", "Open insurance balance as of the date: charges − payer payments − patient responsibility − non-denial adjustments − write-offs, summed over claims (a claim's credit balance, an overpayment, nets against the others).",
        "ar_balance", None, "dollars", "down"),
    Kpi("ar_days", "Days in A/R",
        "Insurance A/R balance at the date / average daily charges (charges with date of service in the 90 days ending on the date, divided by 90).",
        "ar_balance", "daily_charges_90", "days", "down",
        Benchmark((None, 40), (40, 50), "HFMA/MGMA: 30-40 days is good for physician practices; over 50 needs action"),
        parts_unit="dollars", scale=90.0),
    Kpi("ar_over_90_pct", "A/R over 90 days", "Share of the insurance A/R balance whose date of service is more than 90 days before the date.",
        "ar_over_90", "ar_balance", "ratio", "down",
        Benchmark((None, 0.15), (0.15, 0.25), "MGMA: under 15% of A/R over 90 days is good"),
        parts_unit="dollars"),
]}

# The KPI fields of the `kpi` command, in order (issue contract: these exact names).
KPI_FIELDS = [
    "claims_adjudicated", "claims_denied", "denial_rate", "billed_dollars", "denied_dollars",
    "denial_rate_dollars", "clean_claim_rate", "recovered_dollars", "denial_recovery_rate",
    "appeals_decided", "appeal_win_ratio", "appeal_rate", "ar_balance", "ar_days", "ar_over_90_pct",
]


def format_value(kpi_key: str, value) -> str:
    """A KPI's value in its unit, the one way every page, export and brief writes it."""
    if value is None:
        return "—"
    unit = KPIS[kpi_key].unit
    if unit == "ratio":
        return f"{value:.1%}"
    if unit == "dollars":
        return f"${value:,.0f}"
    if unit == "days":
        return f"{value:.1f} days"
    return f"{value:,.0f}"


# A rate over fewer events than this gets no benchmark colour: at 30 claims the 95% interval of a 10%
# denial rate spans about ±11 points, wider than the whole typical band (5-10%), so a small site's or
# a quiet week's "good" or "concern" would be chance. Applies to ratio KPIs whose denominator counts
# claims or appeals; the dollar-weighted ones (and A/R days) are not gated (docs/metrics.md).
MIN_BAND_VOLUME = 30
FEW = "too few"


def band(kpi_key: str, value: float | None, volume: float | None = None) -> str | None:
    """'good' | 'typical' | 'concern' for a value against the KPI's benchmark, None if no band.

    `volume`: the KPI's denominator behind the value (e.g. claims adjudicated for the denial rate);
    below MIN_BAND_VOLUME a count-based rate gets FEW ('too few') instead of a band."""
    k = KPIS[kpi_key]
    if k.benchmark is None or value is None:
        return None
    if too_few(kpi_key, volume):
        return FEW
    # judged at the precision it is shown with: 9.996% reads "10.0%", and "10.0%" is a concern
    value = round(value, 3) if k.unit == "ratio" else round(value, 1) if k.unit == "days" else value

    def inside(b):
        lo, hi = b
        return (lo is None or value >= lo) and (hi is None or value < hi)

    if inside(k.benchmark.good):
        return "good"
    if inside(k.benchmark.typical):
        return "typical"
    return "concern"


def too_few(kpi_key: str, volume: float | None) -> bool:
    """True for a count-based rate over fewer than MIN_BAND_VOLUME events: chance, neither banded nor
    ranked (compare.rank). An unknown volume is not too few."""
    return volume is not None and volume < MIN_BAND_VOLUME and counted(kpi_key)


def counted(kpi_key: str) -> bool:
    """True for a ratio KPI whose denominator is a count (claims, appeals): its band needs volume."""
    k = KPIS[kpi_key]
    return k.unit == "ratio" and k.denominator is not None and MEASURES[k.denominator].unit == "count"


def share_of_whole(kpi_key: str) -> bool:
    """True for a ratio whose numerator a denial attribute (root cause, stage, CARC ...) narrows and
    whose denominator it does not (docs/metrics.md, Slicing): under such a filter or slice the value
    is that cause's share of the whole (authorization denials / all claims), which the benchmark,
    set for the whole, does not describe."""
    k = KPIS[kpi_key]
    return (k.denominator is not None and MEASURES[k.numerator].role == "denial"
            and MEASURES[k.denominator].role == "base")


def not_narrowed(kpi_key: str) -> bool:
    """True for a ratio no denial attribute narrows, on either side (clean claim rate: first-pass claims
    / claims with a first outcome): under a root-cause or stage filter it is still the whole slice's."""
    k = KPIS[kpi_key]
    return (k.denominator is not None and MEASURES[k.numerator].role == "base"
            and MEASURES[k.denominator].role == "base")


SHORT_HISTORY_NOTE = ("fewer than 90 days of charges on record: the average daily charge is understated, "
                      "so this reads high; no benchmark colour")


def band_of(kpi_key: str, row: dict) -> str | None:
    """band() of a kpis() row: its value and, when the row carries it, its denominator (`<kpi>__den`);
    none for a cause's share of the whole (`<kpi>__share`, see share_of_whole) and for days in A/R
    over fewer than 90 days of charges (`<kpi>__short_history`: it reads high, docs/metrics.md)."""
    if row.get(f"{kpi_key}__share") or row.get(f"{kpi_key}__short_history"):
        return None
    return band(kpi_key, row.get(kpi_key), row.get(f"{kpi_key}__den"))


def measures_of(kpi_keys) -> list[str]:
    out: list[str] = []
    for key in kpi_keys:
        k = KPIS[key]
        for m in (k.numerator, k.denominator):
            if m and m not in out:
                out.append(m)
    return out
