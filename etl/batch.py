"""The unit a reader hands to the loader: rows of contract kinds, all still strings."""
from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl


@dataclass
class Batch:
    """What one reader produced from one unit of input (a CSV file, an X12 transaction set).

    frames: contract kind -> frame with the kind's columns (all pl.String, missing columns allowed)
            plus an integer column `_row`: the CSV line number or the X12 segment position that
            the row came from, so a quarantined row can be found in the file.
    error:  when set, the whole unit is unusable and is quarantined with this message (which names
            the file, the transaction and the segment position); `rows_read` then says how many
            input rows it stood for.
    extras: reader-specific facts for the load summary (e.g. {"transactions": 1}).
    rejected: rows the reader itself could not use (a CSV row with more fields than its header, bytes
            that are not UTF-8), one quarantine record each (kind, row_number, field, rule, message);
            they count as rows read and quarantined beside the frames' rows.
    """
    source_file: str
    unit: str
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    error: str | None = None
    rows_read: int = 0
    extras: dict[str, int] = field(default_factory=dict)
    rejected: list[dict] = field(default_factory=list)
