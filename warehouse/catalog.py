"""What a user may pick from: filter choices and the warehouse's state, always within a scope."""
from __future__ import annotations

import datetime as dt

import duckdb

from warehouse.scope import Scope

# dimension -> SQL listing (value, label) within a scope; the scope fragment is appended. Fixed text.
# Claim attributes come from m_catalog (one row per site x provider x payer x payer class x
# specialty combination with its claim count, a few hundred rows), not from a scan of the claims.
_CHOICES = {
    "site": "SELECT DISTINCT c.site_id, coalesce(s.site_name, c.site_id) FROM m_catalog c "
            "LEFT JOIN site s USING (site_id) WHERE c.site_id IS NOT NULL AND c.claims > 0 AND {scope} ORDER BY 2",
    "provider": "SELECT DISTINCT c.rendering_npi, coalesce(p.provider_name, c.rendering_npi) FROM m_catalog c "
                "LEFT JOIN rendering_provider p ON p.provider_npi = c.rendering_npi "
                "WHERE c.rendering_npi IS NOT NULL AND c.claims > 0 AND {scope} ORDER BY 2",
    "payer": "SELECT DISTINCT c.payer_id, coalesce(p.payer_name, c.payer_id) FROM m_catalog c "
             "LEFT JOIN payer p USING (payer_id) WHERE c.payer_id IS NOT NULL AND c.claims > 0 AND {scope} ORDER BY 2",
    "payer_class": "SELECT DISTINCT payer_class, payer_class FROM m_catalog c "
                   "WHERE payer_class IS NOT NULL AND c.claims > 0 AND {scope} ORDER BY 1",
    "specialty": "SELECT DISTINCT specialty, specialty FROM m_catalog c "
                 "WHERE specialty IS NOT NULL AND c.claims > 0 AND {scope} ORDER BY 1",
    "root_cause": "SELECT category, label FROM root_cause_category WHERE category <> 'not_denial' ORDER BY 1",
    "stage": "SELECT DISTINCT stage, stage FROM root_cause_category WHERE stage <> 'none' ORDER BY 1",
    "owner_team": "SELECT DISTINCT owner_team, owner_team FROM root_cause_category WHERE owner_team <> 'none' ORDER BY 1",
}


def choices(con: duckdb.DuckDBPyConnection, *, scope: Scope, dim: str) -> list[tuple[str, str]]:
    """(value, label) pairs a filter on `dim` may offer; only values inside the scope."""
    if dim not in _CHOICES:
        raise ValueError(f"no choice list for {dim}; known: {', '.join(_CHOICES)}")
    template = _CHOICES[dim]
    if "{scope}" not in template:          # taxonomy lists: the same for every scope
        return _unique_labels(con.sql(template).fetchall())
    frag, params = scope.sql("c.site_id")
    return _unique_labels(con.sql(template.format(scope=frag), params=params or None).fetchall())


def _unique_labels(rows) -> list[tuple[str, str]]:
    """(value, label) with a label two values share told apart by the value ('Blue Cross (BCBS-TX)'):
    the dashboard's filters and links name a value by its label, and two payers called "Blue Cross"
    would otherwise be one choice, the second's numbers reached through the first's name."""
    counts: dict[str, int] = {}
    for _, label in rows:
        counts[str(label)] = counts.get(str(label), 0) + 1
    return [(str(v), f"{label} ({v})" if counts[str(label)] > 1 else str(label)) for v, label in rows]


def data_span(con: duckdb.DuckDBPyConnection, *, scope: Scope) -> tuple[dt.date | None, dt.date | None]:
    """First initial-adjudication date and latest remit date visible in the scope. The latest remit is
    that of any remit claim event, a reversal or a predetermination too, as `query.latest_remit_date`
    (the CLI's default as-of): the pages' "data through ... (latest remit)" and their A/R as-of date
    once stopped at the latest adjudication, a day before the CLI when a reversal came last."""
    frag, params = scope.sql("site_id")
    # grain: one row; the latest date from the remit-day mart (site x payer x day), not the claims
    rows = con.sql(f"SELECT (SELECT min(initial_adjudication_date) FROM m_claim WHERE {frag}), "
                   f"(SELECT max(remit_date) FROM m_remit_day WHERE {frag})",
                   params=(params + params) or None).fetchall()
    first, last = rows[0] if rows else (None, None)
    return first, last


def state(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.sql("SELECT key, value FROM meta").fetchall())
