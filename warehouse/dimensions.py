"""Slicing dimensions and filters: a small declarative registry pairing each key with its column
and its words. Values only ever reach SQL as bound parameters; column names come from here."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dimension:
    key: str            # name in --by and in filters
    label: str
    column: str | None  # column in the marts (None for periods, which use the measure's date)
    kind: str           # period | claim | denial | line
    output: str         # field name in results
    name_table: str | None = None   # reference table giving a display name
    name_field: str | None = None   # field carrying that name in results
    description: str = ""


# the procedure code of the pseudo line of a remit without line detail (model 06, m_line)
CLAIM_LEVEL_PROCEDURE = "(claim level)"

DIMENSIONS: dict[str, Dimension] = {d.key: d for d in [
    Dimension("day", "Day", None, "period", "day", description="Calendar day of the KPI's date."),
    Dimension("week", "Week", None, "period", "week", description="ISO week (Monday start), e.g. 2026-W20."),
    Dimension("month", "Month", None, "period", "month", description="Calendar month, e.g. 2026-05."),
    Dimension("quarter", "Quarter", None, "period", "quarter", description="Calendar quarter, e.g. 2026-Q2."),
    Dimension("site", "Site", "site_id", "claim", "site", "site", "site_name", "Site that rendered the service."),
    Dimension("provider", "Rendering provider", "rendering_npi", "claim", "provider_npi", "rendering_provider", "provider",
              "Rendering provider (NPI), with the provider's name."),
    Dimension("specialty", "Specialty", "specialty", "claim", "specialty", description="Rendering provider's specialty."),
    Dimension("payer", "Payer", "payer_id", "claim", "payer", "payer", "payer_name", "Payer billed."),
    Dimension("payer_class", "Payer class", "payer_class", "claim", "payer_class", description="commercial, medicare, medicaid, ..."),
    Dimension("root_cause", "Root cause", "root_cause", "denial", "root_cause",
              description="Root-cause category of the denial (a claim's: that of its largest denied line)."),
    Dimension("sub_cause", "Sub-cause", "sub_cause", "denial", "sub_cause", description="Finer cause where codes allow (e.g. authorization none on file)."),
    Dimension("stage", "Stage", "stage", "denial", "stage", description="front_end, back_end, clinical or payer."),
    Dimension("owner_team", "Owner team", "owner_team", "denial", "owner_team", description="Team that owns fixing the cause."),
    Dimension("soft_hard", "Soft/hard", "soft_hard", "denial", "soft_hard", description="soft: can be worked; hard: usually written off."),
    Dimension("carc", "CARC", "carc", "line", "carc", "carc", "carc_description",
              description="Reason code of a denied line's largest denial adjustment."),
    Dimension("procedure_code", "Procedure code", "procedure_code", "line", "procedure_code", description="CPT/HCPCS code of the line; (claim level) where the payer's remit adjudicated the claim without line detail."),
    Dimension("modifier", "Modifier", "modifier", "line", "modifier", description="Procedure modifier of the line ((none) if none)."),
]}

DENIAL_KEYS = {k for k, d in DIMENSIONS.items() if d.kind == "denial" or k == "carc"}
LINE_KEYS = {k for k, d in DIMENSIONS.items() if d.kind == "line"}
PERIOD_KEYS = {k for k, d in DIMENSIONS.items() if d.kind == "period"}
NAME_SQL = {  # reference table -> (id column, name expression); fixed, never from input
    "site": ("site_id", "site_name"),
    "rendering_provider": ("provider_npi", "provider_name"),
    "payer": ("payer_id", "payer_name"),
    "carc": ("carc", "description"),
}


def period_expr(key: str, date_col: str) -> str:
    """SQL for a period's start date (sortable); labels are made from it afterwards."""
    unit = {"day": "day", "week": "week", "month": "month", "quarter": "quarter"}[key]
    return f"date_trunc('{unit}', {date_col})::DATE"


def period_label(key: str, start) -> str:
    if start is None:
        return None
    if key == "day":
        return start.isoformat()
    if key == "week":
        y, w, _ = start.isocalendar()
        return f"{y}-W{w:02d}"
    if key == "month":
        return f"{start.year}-{start.month:02d}"
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def period_end(key: str, start):
    import datetime as dt
    if key == "day":
        return start
    if key == "week":
        return start + dt.timedelta(days=6)
    months = 1 if key == "month" else 3
    y, m = start.year, start.month + months
    if m > 12:
        y, m = y + 1, m - 12
    return dt.date(y, m, 1) - dt.timedelta(days=1)


class UnknownDimension(ValueError):
    pass


def check(keys) -> list[str]:
    keys = list(keys)
    bad = [k for k in keys if k not in DIMENSIONS]
    if bad:
        raise UnknownDimension(f"unknown dimension(s) {', '.join(bad)}; known: {', '.join(DIMENSIONS)}")
    return keys
