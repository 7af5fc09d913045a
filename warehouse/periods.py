"""Date presets the pages offer, in ISO weeks (Monday start). No SQL: pure date arithmetic."""
from __future__ import annotations

import datetime as dt

PRESETS = {
    "last_week": "Last complete week",
    "last_4_weeks": "Last 4 complete weeks",
    "last_13_weeks": "Last 13 complete weeks",
    "month": "Month to date",
    "quarter": "Quarter to date",
    "ytd": "Year to date",
    "all": "All history",
    "custom": "Custom range",
}


def last_complete_week(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The latest Monday-Sunday week that ends on or before `as_of`."""
    sunday = as_of - dt.timedelta(days=(as_of.weekday() + 1) % 7)
    return sunday - dt.timedelta(days=6), sunday


def week_label(monday: dt.date) -> str:
    y, w, _ = monday.isocalendar()
    return f"{y}-W{w:02d}"


def iso_week(label: str) -> tuple[dt.date, dt.date]:
    """'2026-W20' -> (Monday, Sunday)."""
    year, _, week = label.upper().partition("-W")
    monday = dt.date.fromisocalendar(int(year), int(week), 1)
    return monday, monday + dt.timedelta(days=6)


def preset_range(preset: str, as_of: dt.date, first: dt.date | None = None) -> tuple[dt.date | None, dt.date | None]:
    mon, sun = last_complete_week(as_of)
    if preset == "last_week":
        return mon, sun
    if preset == "last_4_weeks":
        return mon - dt.timedelta(weeks=3), sun
    if preset == "last_13_weeks":
        return mon - dt.timedelta(weeks=12), sun
    if preset == "month":
        return as_of.replace(day=1), as_of
    if preset == "quarter":
        return dt.date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1), as_of
    if preset == "ytd":
        return dt.date(as_of.year, 1, 1), as_of
    if preset == "all":
        return first, as_of
    raise ValueError(f"unknown preset {preset}")
