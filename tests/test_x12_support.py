"""Helpers shared by the tests/test_x12_*.py modules (and a check that they work)."""
from __future__ import annotations

from pathlib import Path

import dataframely as dy
import polars as pl

from etl.batch import Batch
from etl.contract import KINDS
from etl.mapping import Mapping, load_mapping
from etl.x12 import read_x12

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "x12"
EXAMPLE_CONFIG = ROOT / "docs" / "examples" / "config"
SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "x12-samples"


def read(path: Path | str, mapping: Mapping | None = None, **kw) -> list[Batch]:
    """read_x12 with an empty mapping and strict checks, whatever the environment says."""
    kw.setdefault("lenient", "")
    return list(read_x12(path, mapping=mapping if mapping is not None else Mapping(), **kw))


def example_mapping() -> Mapping:
    return load_mapping(EXAMPLE_CONFIG)


def frames(batches: list[Batch], kind: str) -> pl.DataFrame:
    """All rows of one kind over the batches that loaded (no error)."""
    parts = [b.frames[kind] for b in batches if b.error is None and kind in b.frames]
    return pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()


def validate(kind: str, df: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, int]]:
    """Validate a reader frame against the contract the way the loader will: all-string
    columns cast to the schema. Dates are parsed as ISO dates first (polars 2 does not cast
    strings to dates). Returns (valid rows, {column|rule: count of failing rows})."""
    schema = KINDS[kind]
    cols = schema.columns()
    assert "_row" in df.columns and df.schema["_row"] == pl.Int64, f"{kind}: _row missing or not Int64"
    extra = set(df.columns) - set(cols) - {"_row", "unmapped"}
    assert not extra, f"{kind}: columns not in the contract: {extra}"
    for c in df.columns:
        if c != "_row":
            assert df.schema[c] == pl.String, f"{kind}.{c} is {df.schema[c]}, not String"
    df = df.drop("_row", "unmapped", strict=False)
    df = df.with_columns(pl.lit(None, pl.String).alias(c) for c in cols if c not in df.columns)
    bad_date = pl.lit(False)
    conv = []
    for name, col in cols.items():
        if isinstance(col, dy.Date):
            d = pl.col(name).str.to_date("%Y-%m-%d", strict=False)
            bad_date = bad_date | (pl.col(name).is_not_null() & d.is_null())
            conv.append(d.alias(name))
    df = df.with_columns(_bad=bad_date).with_columns(conv)
    counts: dict[str, int] = {}
    nbad = int(df["_bad"].sum())
    if nbad:
        counts["date|format"] = nbad
    good, failure = schema.filter(df.filter(~pl.col("_bad")).drop("_bad"), cast=True)
    counts.update(failure.counts())
    return good, counts


def invalid(batches: list[Batch]) -> dict[str, dict[str, int]]:
    """{kind: {rule: count}} over every frame of the batches; empty when everything validates."""
    out: dict[str, dict[str, int]] = {}
    for b in batches:
        for kind, df in b.frames.items():
            _, counts = validate(kind, df)
            for rule, n in counts.items():
                out.setdefault(kind, {})
                out[kind][rule] = out[kind].get(rule, 0) + n
    return out


def test_validate_flags_bad_values():
    df = pl.DataFrame({"remit_claim_id": ["a", "b"], "line_number": [None, "x"], "group_code": ["CO", "ZZ"],
                       "carc": ["45", "45"], "amount": ["1.50", "1.50"], "_row": [1, 2]},
                      schema_overrides={"_row": pl.Int64})
    good, counts = validate("remit_adjustments", df)
    assert good.height == 1
    assert counts == {"line_number|dtype": 1, "group_code|dtype": 1}
