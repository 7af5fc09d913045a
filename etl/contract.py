"""Input contract: the claims-history files a practice can hand us, one schema per kind.

Every kind is a dataframely schema. Readers (CSV/Parquet, X12) produce polars frames with exactly
these column names, every value still a string; `etl.validate` casts and checks them against the
schema and splits good rows from quarantined rows (file, row, field, value, rule).

A file's kind is recognised from its header (see `detect_kind`): the kind whose required columns
are all present and which explains the most columns wins. docs/input-format.md documents every
column below; tests/test_contract.py fails when one is undocumented.
"""
from __future__ import annotations

import datetime as dt

import dataframely as dy
import polars as pl

PAYER_CLASSES = (
    "commercial", "medicare", "medicare_advantage", "medicaid", "managed_medicaid",
    "workers_comp", "self_pay", "other",
)
GROUP_CODES = ("CO", "PR", "OA", "PI", "CR")
# CLP02 claim status codes of an 835 (005010X221A1).
CLAIM_STATUSES = ("1", "2", "3", "4", "19", "20", "21", "22", "23", "25")
FREQUENCY_CODES = ("1", "7", "8")
APPEAL_OUTCOMES = ("won", "partially_won", "lost", "pending", "withdrawn")

_EARLIEST = dt.date(1990, 1, 1)
_LATEST = dt.date(2100, 12, 31)


# An amount is dollars and cents below a trillion: the warehouse stores DECIMAL(18,2), and a bigger
# value (a mis-placed column, `1e30`) is an input error to name, not a load that fails on it.
MONEY_LIMIT = 1e12
ID_MAX_LENGTH = 50     # claim numbers: CLM01 and CLP01 allow 38 characters, a payer claim number 50


def cents(col: pl.Expr) -> pl.Expr:
    # not-a-number and infinity have rules of their own (one message each, not two)
    # in cents: a whole number, up to the float's own rounding (about 2 units in the last place at
    # that size: 1234567890.12 * 100 is 123456789011.99998)
    cents = col * 100
    return col.is_nan() | col.is_infinite() | ((cents - cents.round()).abs() < 1e-6 + 4e-16 * cents.abs())


def _money(description: str, nullable: bool = False, min: float = -MONEY_LIMIT) -> dy.Float64:
    return dy.Float64(nullable=nullable, min=min, max=MONEY_LIMIT, check=cents, description=description)


def _date(description: str, nullable: bool = False) -> dy.Date:
    return dy.Date(nullable=nullable, min=_EARLIEST, max=_LATEST, description=description)


def _text(description: str, nullable: bool = True, **kw) -> dy.String:
    return dy.String(nullable=nullable, description=description, **kw)


_NPI = r"^\d{10}$"
_CARC = r"^([A-Z]?\d{1,3}|[A-Z]\d{1,3}[A-Z]?)$"


class Sites(dy.Schema):
    """One row per practice site (a location or practice the MSO reports on)."""
    site_id = _text("Stable key of the site, chosen by the practice (e.g. `ORTHO-N`).", False, min_length=1)
    site_name = _text("Display name.", False, min_length=1)
    specialty = _text("Main specialty of the site (orthopedics, cardiology, ...).")
    state = _text("Two-letter state.", regex=r"^[A-Z]{2}$")
    billing_npi = _text("Group (type 2) NPI the site bills under.", regex=_NPI)
    tin = _text("Tax identification number the site bills under.", regex=r"^\d{9}$")


class Providers(dy.Schema):
    """One row per rendering provider."""
    provider_npi = _text("Individual (type 1) NPI of the rendering provider.", False, regex=_NPI)
    provider_name = _text("Display name (`Last, First` or as the practice writes it).", False, min_length=1)
    specialty = _text("Specialty, used for fair peer comparison.", False, min_length=1)
    site_id = _text("Home site of the provider.", False, min_length=1)


class Payers(dy.Schema):
    """One row per payer, as the practice groups them."""
    payer_id = _text("Stable key of the payer (the practice's, or the payer ID from the 835).", False, min_length=1)
    payer_name = _text("Display name.", False, min_length=1)
    payer_class = dy.Enum(PAYER_CLASSES, description="One of: " + ", ".join(PAYER_CLASSES) + ".")
    appeal_window_days = dy.Int64(nullable=True, min=1, max=3650,
                                  description="Days after the denial within which a first-level appeal must be filed.")
    timely_filing_days = dy.Int64(nullable=True, min=1, max=3650,
                                  description="Days after the date of service within which a claim must be filed.")


class Claims(dy.Schema):
    """One row per submitted claim (an original, a replacement or a void)."""
    claim_id = _text("Unique key of this submission (the practice's claim number).", False, min_length=1,
                     max_length=ID_MAX_LENGTH)
    patient_control_number = _text("CLM01 as sent to the payer; remits match on it. Blank: same as claim_id.",
                                   max_length=ID_MAX_LENGTH)
    frequency_code = dy.Enum(FREQUENCY_CODES, nullable=True,
                             description="1 original (blank = 1), 7 replacement (corrected claim), 8 void.")
    original_claim_id = _text("For frequency 7/8: the claim_id (or payer claim number) of the claim replaced or voided.")
    site_id = _text("Site that rendered the service.", False, min_length=1)
    rendering_npi = _text("Rendering provider NPI.", False, regex=_NPI)
    billing_npi = _text("Billing provider NPI.", regex=_NPI)
    payer_id = _text("Payer billed (key in the payers list).", False, min_length=1)
    patient_id = _text("The practice's patient identifier; pseudonymised before it reaches the warehouse.", False,
                       min_length=1, max_length=80)
    member_id = _text("Insurance member ID; stored masked (last 4 characters only).", max_length=80)
    service_date_from = _date("First date of service.")
    service_date_to = _date("Last date of service (blank = service_date_from).", True)
    submitted_date = _date("Date the claim was sent to the payer or clearinghouse.")
    total_charge = _money("Billed charge of the claim (not negative).", min=0)
    place_of_service = _text("Two-digit place-of-service code (professional claims).", regex=r"^\d{2}$")
    type_of_bill = _text("Type of bill (institutional claims).", regex=r"^\d{3,4}$")
    prior_auth_number = _text("Prior authorization number sent with the claim (REF*G1), if any.")
    claim_type = dy.Enum(("professional", "institutional"), nullable=True,
                         description="professional (837P/CMS-1500) or institutional (837I/UB-04); blank = professional.")


class ClaimLines(dy.Schema):
    """One row per service line of a submitted claim."""
    claim_id = _text("Claim the line belongs to.", False, min_length=1, max_length=ID_MAX_LENGTH)
    line_number = dy.Int64(min=1, max=999, description="Line number within the claim (1, 2, ...).")
    procedure_code = _text("CPT/HCPCS code (may be blank on an institutional line that has a revenue code).",
                           regex=r"^[A-Z0-9]{4,5}$")
    modifier_1 = _text("First procedure modifier.", regex=r"^[A-Z0-9]{2}$")
    modifier_2 = _text("Second procedure modifier.", regex=r"^[A-Z0-9]{2}$")
    modifier_3 = _text("Third procedure modifier.", regex=r"^[A-Z0-9]{2}$")
    modifier_4 = _text("Fourth procedure modifier.", regex=r"^[A-Z0-9]{2}$")
    revenue_code = _text("Revenue code (institutional lines).", regex=r"^\d{3,4}$")
    units = dy.Float64(nullable=True, min=0, description="Units of service (blank = 1).")
    line_charge = _money("Billed charge of the line (not negative).", min=0)
    service_date = _date("Date of service of the line (blank = the claim's first date of service).", True)

    @dy.rule()
    def procedure_or_revenue_code(cls) -> pl.Expr:
        """A line names its service: a procedure code, or (institutional) a revenue code."""
        return pl.col("procedure_code").is_not_null() | pl.col("revenue_code").is_not_null()


class Rejections(dy.Schema):
    """One row per claim rejected before adjudication (clearinghouse or payer front end, 277CA)."""
    claim_id = _text("Rejected claim (claim_id or patient control number).", False, min_length=1)
    rejected_date = _date("Date of the rejection.")
    status_code = _text("Status category and code as reported, e.g. `A7:21` (277CA STC01).", False, min_length=1)
    reason = _text("Free-text reason, if given.")
    source = _text("Who rejected it: clearinghouse or payer.")


class Remits(dy.Schema):
    """One row per claim payment event on a remittance (an 835 CLP loop, or an export of one)."""
    remit_claim_id = _text("Key of this row within the input files; lines, adjustments and remarks point to it.", False, min_length=1)
    payer_id = _text("Payer that adjudicated.", False, min_length=1)
    trace_number = _text("Check or EFT trace number (TRN02).", False, min_length=1)
    remit_date = _date("Payment or production date of the remittance.")
    patient_control_number = _text("CLP01: the claim's patient control number.", False, min_length=1)
    claim_status = dy.Enum(CLAIM_STATUSES, description="CLP02: 1/2/3 processed, 4 denied, 19/20/21 processed and forwarded, 22 reversal, 23 not our claim, 25 predetermination.")
    claim_charge = _money("CLP03: charge as adjudicated (negative on a reversal).")
    claim_paid = _money("CLP04: paid by this payer (negative on a reversal).")
    patient_responsibility = _money("CLP05: patient responsibility (blank = 0).", True)
    payer_claim_number = _text("CLP07: the payer's claim control number.")
    filing_indicator = _text("CLP06: claim filing indicator (MB, MC, CI, ...).")
    rendering_npi = _text("Rendering provider NPI from the remit (NM1*82), if given.", regex=_NPI)
    payee_npi = _text("Payee NPI (N1*PE), if given.", regex=_NPI)
    service_date_from = _date("Claim service start date from the remit (DTM*232), if given.", True)
    service_date_to = _date("Claim service end date from the remit (DTM*233), if given.", True)
    payment_method = _text("BPR04: CHK, ACH, NON, ...")


class RemitLines(dy.Schema):
    """One row per service line on a remit claim (835 SVC loop)."""
    remit_claim_id = _text("Remit claim the line belongs to.", False, min_length=1)
    line_number = dy.Int64(min=1, max=999, description="The claim line it pays (REF*6R line control number, else its order).")
    procedure_code = _text("Procedure as adjudicated (SVC01-2).", False, min_length=1)
    modifier_1 = _text("First modifier as adjudicated.")
    modifier_2 = _text("Second modifier.")
    modifier_3 = _text("Third modifier.")
    modifier_4 = _text("Fourth modifier.")
    original_procedure_code = _text("Procedure as billed when the payer changed it (SVC06).")
    units = dy.Float64(nullable=True, description="Units paid (SVC05; blank = 1).")
    line_charge = _money("SVC02: line charge.")
    line_paid = _money("SVC03: paid on the line.")
    service_date = _date("DTM*472 service date of the line, if given.", True)


class RemitAdjustments(dy.Schema):
    """One row per adjustment (one CARC/amount/quantity of a CAS segment)."""
    remit_claim_id = _text("Remit claim the adjustment belongs to.", False, min_length=1)
    line_number = dy.Int64(nullable=True, min=1, max=999, description="Line it adjusts; blank for a claim-level adjustment.")
    group_code = dy.Enum(GROUP_CODES, description="CAS01: CO, PR, OA, PI or CR.")
    carc = _text("Claim adjustment reason code.", False, regex=_CARC)
    amount = _money("Adjustment amount (positive reduces payment; negative on a reversal).")
    quantity = dy.Float64(nullable=True, description="Adjusted units, if given.")


class RemitRemarks(dy.Schema):
    """One row per remark code (RARC) on a remit claim or line (MIA/MOA/LQ)."""
    remit_claim_id = _text("Remit claim the remark belongs to.", False, min_length=1)
    line_number = dy.Int64(nullable=True, min=1, max=999, description="Line it applies to; blank for the claim.")
    rarc = _text("Remittance advice remark code (e.g. N4, M127).", False, regex=r"^[A-Z]{1,2}\d{1,4}$")


class Payments(dy.Schema):
    """One row per payer payment: a check or EFT and its trace number (835 BPR/TRN)."""
    payer_id = _text("Payer that paid.", False, min_length=1)
    trace_number = _text("Check or EFT trace number (TRN02).", False, min_length=1)
    payment_date = _date("Payment date (BPR16).", True)
    payment_amount = _money("Total paid to the provider (BPR02), after provider-level adjustments.")
    payment_method = _text("BPR04: CHK, ACH, NON, ...")
    payee_npi = _text("Payee NPI (N1*PE), if given.", regex=_NPI)


class ProviderAdjustments(dy.Schema):
    """One row per provider-level adjustment (835 PLB): never a claim denial."""
    payer_id = _text("Payer that made the adjustment.", False, min_length=1)
    trace_number = _text("Trace number of the remittance it came with.", False, min_length=1)
    remit_date = _date("Date of the remittance.")
    payee_npi = _text("Provider identifier (PLB01).")
    reason_code = _text("PLB adjustment reason (WO, L6, FB, 72, ...).", False, min_length=1)
    reference = _text("Reference identification that came with it.")
    amount = _money("Amount (positive reduces the payment).")


class Appeals(dy.Schema):
    """One row per appeal of a denied claim."""
    appeal_id = _text("Unique key of the appeal.", False, min_length=1)
    claim_id = _text("Appealed claim.", False, min_length=1)
    appeal_level = dy.Int64(min=1, max=5, description="1 first-level (redetermination), 2 second level, 3 external/ALJ ...")
    filed_date = _date("Date the appeal was sent.")
    decided_date = _date("Date the payer decided; blank while pending.", True)
    outcome = dy.Enum(APPEAL_OUTCOMES, nullable=True,
                      description="won, partially_won, lost, pending or withdrawn (blank = pending).")
    recovered_amount = _money("Amount the payer agreed to pay on the appeal (blank = 0).", True)


class WriteOffs(dy.Schema):
    """One row per write-off of a claim balance."""
    claim_id = _text("Claim written off.", False, min_length=1)
    write_off_date = _date("Date of the write-off.")
    amount = _money("Amount written off.")
    reason = _text("Why: timely_filing, no_authorization, not_worth_appeal, appeal_lost, small_balance, other.", False, min_length=1)


# kind key -> schema. The order is also the load order within one batch (references before facts).
KINDS: dict[str, type[dy.Schema]] = {
    "sites": Sites,
    "providers": Providers,
    "payers": Payers,
    "claims": Claims,
    "claim_lines": ClaimLines,
    "rejections": Rejections,
    "remits": Remits,
    "remit_lines": RemitLines,
    "remit_adjustments": RemitAdjustments,
    "remit_remarks": RemitRemarks,
    "payments": Payments,
    "provider_adjustments": ProviderAdjustments,
    "appeals": Appeals,
    "write_offs": WriteOffs,
}


def columns(kind: str) -> dict[str, dy.Column]:
    return KINDS[kind].columns()


def required_columns(kind: str) -> set[str]:
    return {name for name, col in columns(kind).items() if not col.nullable}


def detect_kind(header: list[str]) -> str | None:
    """The kind a header belongs to: all its required columns present, most columns explained."""
    present = {h.strip().lower() for h in header}
    best, best_score = None, 0
    for kind in KINDS:
        if not required_columns(kind) <= present:
            continue
        score = len(present & set(columns(kind)))
        if score > best_score or (score == best_score and best is not None
                                  and len(columns(kind)) < len(columns(best))):
            best, best_score = kind, score
    return best


# "blank = ..." rules of the contract, applied to good rows after validation:
# kind -> column -> a literal value, or ("column", name) to copy another column of the row.
DEFAULTS: dict[str, dict[str, object]] = {
    "claims": {"patient_control_number": ("column", "claim_id"), "frequency_code": "1",
               "service_date_to": ("column", "service_date_from"), "claim_type": "professional"},
    "claim_lines": {"units": 1.0},
    "remits": {"patient_responsibility": 0.0},
    "remit_lines": {"units": 1.0},
    "appeals": {"outcome": "pending", "recovered_amount": 0.0},
}


def apply_defaults(kind: str, frame: pl.DataFrame) -> pl.DataFrame:
    out = []
    for name, value in DEFAULTS.get(kind, {}).items():
        col = pl.col(name)
        if isinstance(frame.schema[name], pl.Enum):
            col = col.cast(pl.String)
        fill = pl.col(value[1]) if isinstance(value, tuple) else pl.lit(value)
        out.append(col.fill_null(fill).alias(name))
    return frame.with_columns(out) if out else frame
