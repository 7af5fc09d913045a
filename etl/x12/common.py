"""What the transaction readers share: the read context, the result, frame building."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import polars as pl

from etl.mapping import Mapping, PayerRef, SiteRef
from etl.x12.tokenizer import Problem, digits

# Kinds that are reference lists the reader discovered, not rows read from the file.
REFERENCE_KINDS = ("sites", "providers", "payers")


@dataclass
class ReadContext:
    """Per-file state shared by the transactions of one file."""
    file: str                       # as given to read_x12
    name: str                       # file name used in messages
    mapping: Mapping
    lenient: frozenset[str] = frozenset()
    claim_ids: set[str] = field(default_factory=set)     # 837 claim ids used so far in this file
    hasher: Callable[[], str] | None = None               # returns sha1(file bytes)[:12] (may wait for it)
    _hash: str | None = None

    @property
    def file_hash(self) -> str:
        """sha1(file bytes)[:12], the first part of every remit_claim_id of the file."""
        if self._hash is None:
            self._hash = self.hasher() if self.hasher is not None else "0" * 12
        return self._hash


@dataclass
class Result:
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    extras: dict[str, int] = field(default_factory=dict)

    def fact_rows(self) -> int:
        return sum(df.height for k, df in self.frames.items() if k not in REFERENCE_KINDS)


_DATE8 = r"^\d{8}$"
_NPI = r"^\d{10}$"


def frame(columns: dict[str, list], rows: list[int]) -> pl.DataFrame:
    """All-string frame (values stripped, empty -> null) plus the integer `_row`."""
    schema = {name: pl.String for name in columns}
    schema["_row"] = pl.Int64
    df = pl.DataFrame({**columns, "_row": rows}, schema=schema)
    return df.with_columns(
        pl.when(pl.col(c).str.strip_chars() != "").then(pl.col(c).str.strip_chars()).alias(c) for c in columns)


def iso_date(col: str) -> pl.Expr:
    """CCYYMMDD -> YYYY-MM-DD. Any other value stays as it is, and a CCYYMMDD that is no date
    (20241399) becomes 2024-13-99: the validator rejects both and reports the value."""
    s = pl.col(col)
    return pl.when(s.str.contains(_DATE8)).then(
        pl.concat_str(s.str.slice(0, 4), pl.lit("-"), s.str.slice(4, 2), pl.lit("-"), s.str.slice(6, 2))
    ).otherwise(s).alias(col)


def npi(col: str) -> pl.Expr:
    """A malformed NPI (not 10 digits) becomes null rather than a value nobody can match."""
    s = pl.col(col)
    return pl.when(s.str.contains(_NPI)).then(s).alias(col)


def count_bad_npis(df: pl.DataFrame, cols: list[str]) -> int:
    n = 0
    for c in cols:
        if c in df.columns:
            n += df.select((pl.col(c).is_not_null() & ~pl.col(c).str.contains(_NPI)).sum()).item()
    return int(n)


def clean_npi(v: str | None) -> str | None:
    v = (v or "").strip()
    return v if len(v) == 10 and digits(v) else None


def clean_date(v: str | None) -> str | None:
    """CCYYMMDD (or the start of an RD8 range) -> ISO; other values stay as they are."""
    v = (v or "").strip()
    if len(v) == 8 and digits(v):
        y, m, d = int(v[:4]), int(v[4:6]), int(v[6:])
        if 1 <= m <= 12 and 1 <= d <= (31 if m in (1, 3, 5, 7, 8, 10, 12) else 30 if m != 2 else
                                       29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28):
            return f"{v[:4]}-{v[4:6]}-{v[6:]}"
    return v or None


def date_range(qualifier: str, value: str) -> tuple[str | None, str | None]:
    """DTP date formats: D8 (one date) or RD8 (from-to)."""
    value = (value or "").strip()
    if qualifier == "RD8" or ("-" in value and len(value) == 17):
        a, _, b = value.partition("-")
        return clean_date(a), clean_date(b) or clean_date(a)
    return clean_date(value), None


def site_frame(sites: dict[str, tuple[SiteRef, dict, int]]) -> pl.DataFrame:
    """`sites` rows: one per site this transaction used (mapped or not)."""
    cols: dict[str, list] = {k: [] for k in ("site_id", "site_name", "state", "billing_npi", "tin", "unmapped")}
    rows = []
    for ref, info, row in sites.values():
        cols["site_id"].append(ref.site_id)
        cols["site_name"].append(ref.site_name)
        # a mapped site stands for many NPIs/TINs: its identifiers live in the mapping, not here
        cols["state"].append(info.get("state") if ref.unmapped else None)
        cols["billing_npi"].append(info.get("npi") if ref.unmapped else None)
        cols["tin"].append(info.get("tin") if ref.unmapped else None)
        cols["unmapped"].append("true" if ref.unmapped else "false")
        rows.append(row)
    df = frame(cols, rows)
    return df.with_columns(
        pl.when(pl.col("state").str.contains(r"^[A-Z]{2}$")).then(pl.col("state")).alias("state"),
        pl.when(pl.col("tin").str.contains(r"^\d{9}$")).then(pl.col("tin")).alias("tin"),
        npi("billing_npi"))


def payer_frame(payers: dict[str, tuple[PayerRef, int]]) -> pl.DataFrame:
    cols: dict[str, list] = {k: [] for k in ("payer_id", "payer_name", "payer_class", "unmapped")}
    rows = []
    for ref, row in payers.values():
        cols["payer_id"].append(ref.payer_id)
        cols["payer_name"].append(ref.payer_name)
        cols["payer_class"].append(ref.payer_class)
        cols["unmapped"].append("true" if ref.unmapped else "false")
        rows.append(row)
    return frame(cols, rows)
