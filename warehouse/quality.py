"""Can the numbers be trusted? Load history and accounting, quarantined rows, remits that matched no
claim, codes outside the taxonomy, unmapped NPIs and payers, and freshness per payer and site.

The ledger (loads, files, quarantine) is installation-wide; pages show it to administrators only.
Everything about claims is scoped."""
from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from warehouse.scope import Scope


def load_history(con: duckdb.DuckDBPyConnection, limit: int = 200) -> pl.DataFrame:
    """Grain: one row per file per load, newest first, with its accounting."""
    return con.sql("""
        SELECT r.load_id, r.finished_at, r.command, f.path, f.kinds, f.units AS transactions_or_units,
               f.rows_read, f.rows_loaded, f.duplicates, f.quarantined, f.whole_file_duplicate,
               f.rows_read = f.rows_loaded + f.duplicates + f.quarantined AS balanced
        FROM load_file f JOIN load_run r USING (load_id)
        ORDER BY r.load_id DESC, f.file_seq LIMIT ?""", params=[limit]).pl()


def quarantined(con: duckdb.DuckDBPyConnection, limit: int = 1000, load_id: int | None = None) -> pl.DataFrame:
    """Grain: one row per quarantined row and broken rule."""
    where, params = ("WHERE load_id = ?", [load_id]) if load_id else ("", [])
    return con.sql(f"""SELECT load_id, path, unit, kind, row_number, field, value, rule, message FROM quarantine {where}
                       ORDER BY load_id DESC, path, row_number LIMIT ?""", params=params + [limit]).pl()


def unmatched_remit_count(con: duckdb.DuckDBPyConnection, *, scope: Scope) -> int:
    """How many claims are known only from their remit (a total: every role may see it)."""
    frag, params = scope.sql("site_id")
    return con.sql(f"SELECT count(*) FROM m_claim WHERE known_from_remit AND {frag}", params=params or None).fetchall()[0][0]


def unmatched_remits(con: duckdb.DuckDBPyConnection, *, scope: Scope, limit: int = 1000) -> pl.DataFrame:
    """Claims known only from their remit (no claim file matched them). Grain: claim family.
    Claim level: refused to a totals-only scope."""
    scope.require_claim_level()
    frag, params = scope.sql("site_id")
    return con.sql(f"""SELECT claim_id, site_id AS site, payer_id AS payer, rendering_npi, dos, billed::DOUBLE AS billed,
                              initial_adjudication_date, initially_denied
                       FROM m_claim WHERE known_from_remit AND {frag} ORDER BY initial_adjudication_date DESC LIMIT ?""",
                   params=params + [limit]).pl()


ORPHAN_SCHEMA = {"record": pl.String, "rows": pl.Int64, "dollars": pl.Float64, "first_date": pl.Date,
                 "last_date": pl.Date}


def orphan_follow_ups(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Appeals, write-offs and rejections whose claim reference (claim id or patient control number)
    names no loaded claim. They are kept, and count once their claim is loaded; until then no KPI sees
    them. Installation-wide (no claim, so no site): administrators only. Grain: one row per record kind."""
    # Usually there are none. m_claim counts the appeals and rejections its families carry and sums
    # their write-offs, so equal totals settle it from three columns (0.04 s at 10M claims, where
    # looking every record up among the claim references takes ~0.9 s). Write-offs of no claim that
    # net to $0 pass the sum: they change no figure.
    if con.sql("""SELECT (SELECT count(*) FROM appeal) = coalesce(sum(appeals), 0)
                         AND (SELECT count(*) FROM rejection) = coalesce(sum(rejections), 0)
                         AND (SELECT coalesce(sum(amount), 0) FROM write_off) = coalesce(sum(written_off_dollars), 0)
                  FROM m_claim""").fetchall()[0][0]:
        return pl.DataFrame(schema=ORPHAN_SCHEMA)
    return con.sql("""
        SELECT 'appeal' AS record, count(*) AS rows, sum(recovered_amount)::DOUBLE AS dollars,
               min(filed_date) AS first_date, max(filed_date) AS last_date
        FROM appeal a WHERE NOT EXISTS (SELECT 1 FROM m_claim_ref r WHERE r.ref = a.claim_ref)
        UNION ALL
        SELECT 'write-off', count(*), sum(amount)::DOUBLE, min(write_off_date), max(write_off_date)
        FROM write_off w WHERE NOT EXISTS (SELECT 1 FROM m_claim_ref r WHERE r.ref = w.claim_ref)
        UNION ALL
        SELECT 'rejection', count(*), NULL, min(rejected_date), max(rejected_date)
        FROM rejection j WHERE NOT EXISTS (SELECT 1 FROM m_claim_ref r WHERE r.ref = j.claim_ref)""").pl() \
        .filter(pl.col("rows") > 0).cast(ORPHAN_SCHEMA)


def unknown_codes(con: duckdb.DuckDBPyConnection, *, scope: Scope) -> pl.DataFrame:
    """CARCs and RARCs met on remits that are in no code list: counted with their dollars, never dropped."""
    frag, params = scope.sql("c.site_id")
    # The unknown codes are few (usually none): their rows are selected first (remarks before they are
    # joined to their remits), then only their claims are looked up for the scope. Joined straight to
    # m_claim, DuckDB built its hash table on every claim id instead (0.4-0.8 s of the data-quality
    # page at 10M claims with no unknown code at all; now ~10 ms, docs/performance.md).
    return con.sql(f"""
        WITH j AS MATERIALIZED (SELECT family_id, carc, amount FROM m_adjustment WHERE NOT carc_known),
        r0 AS MATERIALIZED (SELECT event_seq, rarc FROM remark WHERE rarc NOT IN (SELECT rarc FROM rarc)),
        r AS MATERIALIZED (SELECT a.family_id, r0.rarc FROM r0 JOIN m_adjudication a USING (event_seq)),
        c AS MATERIALIZED (SELECT c.claim_id FROM m_claim c
                           WHERE c.claim_id IN (SELECT family_id FROM j UNION ALL SELECT family_id FROM r) AND {frag})
        SELECT 'CARC' AS code_type, j.carc AS code, count(*) AS occurrences, sum(j.amount)::DOUBLE AS dollars
        FROM j JOIN c ON c.claim_id = j.family_id GROUP BY ALL
        UNION ALL
        SELECT 'RARC', r.rarc, count(*), NULL
        FROM r JOIN c ON c.claim_id = r.family_id GROUP BY ALL
        ORDER BY occurrences DESC, code_type, code""", params=params or None).pl()


def unmapped(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Sites, payers and providers created from a file because no mapping named them, and NPIs on
    claims or remits that no provider list knows. Grain: one row per entry."""
    return con.sql("""
        SELECT 'site' AS entry, site_id AS id, site_name AS name, 'named from the file; add it to config/sites.csv' AS note
        FROM site WHERE unmapped
        UNION ALL SELECT 'payer', payer_id, payer_name, 'named from the file; add it to config/payers.csv' FROM payer WHERE unmapped
        UNION ALL SELECT 'provider', provider_npi, provider_name, 'named from the file' FROM rendering_provider WHERE unmapped
        UNION ALL
        SELECT DISTINCT 'provider', c.rendering_npi, NULL, 'NPI on claims or remits but in no provider list'
        FROM m_claim c WHERE c.rendering_npi IS NOT NULL
          AND c.rendering_npi NOT IN (SELECT provider_npi FROM rendering_provider)
        ORDER BY 1, 2""").pl()


def freshness(con: duckdb.DuckDBPyConnection, *, scope: Scope, as_of: dt.date, by: str = "payer") -> pl.DataFrame:
    """Last remit date per payer (or site), the usual gap between remit dates, and a warning when
    the silence is longer than usual: more than twice the 90th-percentile gap and more than 7 days.
    Grain: one row per payer or site."""
    col = {"payer": "c.payer_id", "site": "c.site_id"}[by]
    frag, params = scope.sql("c.site_id")
    # m_remit_day: one row per site x payer x remit date (thousands of rows, not the remits)
    frame = con.sql(f"""
        WITH dates AS (
            SELECT DISTINCT {col} AS key, c.remit_date
            FROM m_remit_day c
            WHERE c.remits > 0 AND c.remit_date <= ? AND {frag}),
        gaps AS (SELECT key, remit_date, remit_date - lag(remit_date) OVER (PARTITION BY key ORDER BY remit_date) AS gap FROM dates)
        SELECT key AS {by}, max(remit_date) AS last_remit, count(*) AS remit_days,
               quantile_cont(gap, 0.9) AS usual_gap_p90, ?::DATE - max(remit_date) AS days_quiet
        FROM gaps GROUP BY key ORDER BY key""", params=[as_of] + params + [as_of]).pl()
    return frame.with_columns(
        ((pl.col("days_quiet") > 7) & (pl.col("days_quiet") > 2 * pl.col("usual_gap_p90").fill_null(7)))
        .alias("gone_quiet"))


def payer_rules(con: duckdb.DuckDBPyConnection, *, scope: Scope) -> pl.DataFrame:
    """The appeal window and timely-filing limit per payer and where each came from (m_payer_rule:
    override file > payers list > class default). Grain: one row per payer; within a site scope, only
    the payers that have claims in it."""
    frag, params = scope.sql("c.site_id")
    visible = "true" if scope.site_ids is None else \
        f"r.payer_id IN (SELECT DISTINCT c.payer_id FROM m_claim c WHERE {frag})"
    return con.sql(f"""
        SELECT r.payer_id AS payer, p.payer_name, p.payer_class, r.appeal_window_days, r.timely_filing_days,
               r.rule_source
        FROM m_payer_rule r LEFT JOIN payer p USING (payer_id)
        WHERE {visible} ORDER BY r.payer_id""", params=params if scope.site_ids is not None else None).pl()
