"""Check rows of a contract kind with dataframely: good rows typed, bad rows quarantined with
file, row, field, value and the rule they broke."""
from __future__ import annotations

from functools import cache

import dataframely as dy
import polars as pl

from etl.contract import KINDS

RULE_WORDS = {
    "nullability": "is required but empty",
    "dtype": "cannot be read as {type}",
    "regex": "does not have the expected format",
    "min": "is below the allowed minimum ({min})",
    "max": "is above the allowed maximum ({max})",
    "min_length": "is empty",
    "max_length": "is longer than {max_length} characters",
    "nan": "is not a number",
    "inf": "is not a finite number",
    "check__cents": "has more than 2 decimal places (amounts are dollars and cents)",
}
TYPE_WORDS = {pl.Date: "a date (YYYY-MM-DD)", pl.Float64: "a number", pl.Int64: "a whole number"}
# a quarantined row is recorded before pseudonymisation: these fields' values are never quoted or stored
PATIENT_IDENTIFIERS = ("patient_id", "member_id")
QUARANTINE_SCHEMA = {"kind": pl.String, "row_number": pl.Int64, "field": pl.String, "value": pl.String,
                     "rule": pl.String, "message": pl.String}


@cache
def _with_row(kind: str) -> type[dy.Schema]:
    return type(f"{KINDS[kind].__name__}WithRow", (KINDS[kind],), {"source_row": dy.Int64()})


def _normalise(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    """Trim, empty -> null, YYYYMMDD dates -> ISO; every contract column present."""
    cols = KINDS[kind].columns()
    out = [pl.col("_row").cast(pl.Int64).alias("source_row")]
    for name, col in cols.items():
        if name not in frame.columns:
            out.append(pl.lit(None, pl.String).alias(name))
            continue
        e = pl.col(name).cast(pl.String).str.strip_chars()
        e = pl.when(e == "").then(None).otherwise(e)
        if isinstance(col.dtype, pl.Enum):     # codes match whatever their case: co -> CO, Commercial -> commercial
            canonical = {v.lower(): v for v in col.dtype.categories}
            lower = e.str.to_lowercase()
            e = pl.when(lower.is_in(list(canonical))).then(lower.replace(canonical)).otherwise(e)
        if col.dtype == pl.Date:
            e = pl.when(e.str.contains(r"^\d{8}$")).then(
                e.str.slice(0, 4) + "-" + e.str.slice(4, 2) + "-" + e.str.slice(6, 2)).otherwise(e)
        out.append(e.alias(name))
    return frame.select(out)


def _parse_dates(raw: pl.DataFrame, kind: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Dates parsed (polars no longer casts strings to dates); and (source_row, field) that failed."""
    date_cols = [n for n, c in KINDS[kind].columns().items() if c.dtype == pl.Date]
    if not date_cols:
        return raw, pl.DataFrame(schema={"source_row": pl.Int64, "rule_key": pl.String})
    parsed = raw.with_columns([pl.col(n).str.to_date("%Y-%m-%d", strict=False) for n in date_cols])
    fails = [raw.filter(pl.col(n).is_not_null() & parsed[n].is_null())
             .select("source_row", pl.lit(f"{n}|dtype").alias("rule_key")) for n in date_cols]
    return parsed, pl.concat(fails)


def _quotable(field: str, value: str | None, limit: int = 60) -> str | None:
    """The value a quarantine record may quote and store: never a patient identifier, never a value
    that spans fields or lines (an unclosed quote swallows the next fields and rows, patient ids
    included), and a long one cut to its start."""
    if value is None or field in PATIENT_IDENTIFIERS or any(c in value for c in ',\n\r"'):
        return None
    return value if len(value) <= limit else f"{value[:limit]}… ({len(value):,} characters)"


def _bound(value) -> str:
    return f"{value:,.0f}" if isinstance(value, float) and value.is_integer() else str(value)


# Rows of several batches checked as one frame (etl/load.py) carry their batch's index in `_row`'s
# high bits: `paths` names each batch's file, and the messages quote the row within its file.
BATCH_SHIFT = 32
ROW_MASK = (1 << BATCH_SHIFT) - 1


def validate(kind: str, frame: pl.DataFrame, path: str | list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(good rows typed per the contract with `_row`, quarantine records: one per broken rule).

    `path` is the file the rows came from, or a list of files: then each `_row` is
    (index into the list << BATCH_SHIFT) + the row in that file, and so are the good rows' `_row` and
    the records' row_number (the caller splits and decodes them), while each message names the file
    and the row within it."""
    def where(row_no: int) -> str:
        if isinstance(path, str):
            return f"{path}, row {row_no}"
        return f"{path[row_no >> BATCH_SHIFT]}, row {row_no & ROW_MASK}"
    schema = _with_row(kind)
    cols = KINDS[kind].columns()
    raw = _normalise(frame, kind)
    parsed, date_fails = _parse_dates(raw, kind)
    good, failure = schema.filter(parsed, cast=True)
    if date_fails.height:
        good = good.filter(~pl.col("source_row").is_in(date_fails["source_row"].implode()))
    good = good.rename({"source_row": "_row"})
    details = failure.details()
    if details.height == 0 and date_fails.height == 0:
        return good, pl.DataFrame(schema=QUARANTINE_SCHEMA)
    rule_cols = [c for c in details.columns if "|" in c and not c.startswith("source_row|")]
    long = pl.concat([
        (details.select(["source_row"] + rule_cols)
         .unpivot(index="source_row", variable_name="rule_key", value_name="status")
         .filter(pl.col("status").cast(pl.String) == "invalid")
         .drop("status")),
        date_fails]).unique()
    # a date that could not be read is reported as such, not again as "required but empty"; not a
    # number (nan, inf) is reported as such, not again as out of range
    unreadable = date_fails.select("source_row", pl.col("rule_key").str.replace(r"\|dtype$", "|nullability"))
    not_numbers = long.filter(pl.col("rule_key").str.contains(r"\|(nan|inf)$"))
    out_of_range = pl.concat([not_numbers.select("source_row", pl.col("rule_key").str.replace(r"\|(nan|inf)$", bound))
                              for bound in ("|min", "|max")])
    long = long.join(pl.concat([unreadable, out_of_range]), on=["source_row", "rule_key"], how="anti")
    raw_values = raw.filter(pl.col("source_row").is_in(long["source_row"].implode()))
    records = []
    by_row = {r["source_row"]: r for r in raw_values.iter_rows(named=True)}
    for row_no, rule_key in long.sort("source_row").iter_rows():
        field, _, rule = rule_key.partition("|")
        if field not in cols:       # a rule of the whole schema
            field, rule = "row", rule_key
        raw_value = by_row.get(row_no, {}).get(field)
        value = _quotable(field, raw_value)
        words = RULE_WORDS.get(rule, f"breaks rule {rule}")
        if rule == "dtype":
            dtype = cols[field].dtype
            words = words.format(type=TYPE_WORDS.get(dtype, "one of " + ", ".join(dtype.categories)
                                                     if isinstance(dtype, pl.Enum) else str(dtype)))
        elif rule in ("min", "max", "max_length") and field in cols:
            words = words.format(**{rule: _bound(getattr(cols[field], rule))})
        shown = (f"value {value!r} " if value is not None else "" if raw_value is None or field in PATIENT_IDENTIFIERS
                 else "a value spanning fields or lines (an unclosed quote?) ")
        records.append({"kind": kind, "row_number": row_no, "field": field, "value": value, "rule": rule,
                        "message": f"{where(row_no)}, field {field}: {shown}{words}"})
    # a row whose every rule is 'unknown' (dataframely could not evaluate) still failed: keep it
    missing = set(details["source_row"].to_list()) - {r["row_number"] for r in records}
    for row_no in sorted(missing):
        records.append({"kind": kind, "row_number": row_no, "field": "row", "value": None, "rule": "invalid",
                        "message": f"{where(row_no)}: the row could not be read"})
    return good, pl.DataFrame(records, schema=QUARANTINE_SCHEMA)
