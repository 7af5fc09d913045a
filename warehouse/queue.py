"""The denial work queue: every open denial, who owns it, its deadline, and what working it is
expected to recover — triage before resolution (docs/work-queue.md).

- Owner team, stage, soft/hard: from the claim's root cause (the taxonomy).
- Action and deadline: causes fixed by resubmitting (coding, missing information, eligibility,
  coordination of benefits, credentialing, duplicate) call for a corrected claim, due within the
  payer's timely-filing limit from the date of service; the others call for an appeal, due within
  the payer's appeal window from the denial (the initial adjudication). Windows: m_payer_rule.
- Expected recovery = open denied dollars × the historical appeal win ratio for that payer and
  root cause, smoothed toward the payer's ratio (and that toward the overall ratio) with the
  weight of 5 appeals, so a pair with two appeals does not swing between 0 and 1.
- Priority = expected recovery ÷ days left (at least 1): dollars at stake per day remaining, so a
  large denial due soon comes first and a small one with months left comes last. Denials whose
  deadline has passed are `lost` and listed apart.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from warehouse.scope import Scope

CORRECTED_CLAIM_CAUSES = ("coding_modifier", "missing_information", "eligibility", "coordination_of_benefits",
                          "credentialing", "duplicate")
SMOOTHING_APPEALS = 5
QUEUE_COLUMNS = ["rank", "claim_id", "site", "payer", "payer_name", "provider_npi", "root_cause", "sub_cause",
                 "owner_team", "soft_hard", "carc", "status", "action", "denied_on", "deadline", "days_left",
                 "open_denied_dollars", "win_ratio", "expected_recovery", "priority", "lost"]

_SQL = """
WITH win AS (
    -- grain: one row per payer x root cause with decided appeals
    SELECT payer_id, root_cause, count(*) FILTER (WHERE is_won) AS won, count(*) FILTER (WHERE is_decided) AS decided
    FROM m_appeal GROUP BY ALL),
overall AS (SELECT coalesce(sum(won) / nullif(sum(decided), 0), 0.5) AS p FROM win),
payer_win AS (
    SELECT w.payer_id, (sum(w.won) + ? * o.p) / (sum(w.decided) + ?) AS p
    FROM win w, overall o GROUP BY w.payer_id, o.p),
appeal_state AS (
    -- grain: one row per claim with appeals: the latest appeal's outcome
    SELECT claim_id, first(outcome ORDER BY filed_date DESC, appeal_id DESC) AS latest_outcome
    FROM m_appeal GROUP BY 1),
q AS (
    SELECT c.claim_id, c.site_id, c.payer_id, c.rendering_npi, c.root_cause, c.sub_cause, c.owner_team, c.soft_hard,
           c.carc, c.dos, c.initial_adjudication_date AS denied_on, c.open_denied_dollars,
           CASE WHEN list_contains(?::VARCHAR[], c.root_cause) THEN 'corrected claim' ELSE 'appeal' END AS action,
           CASE WHEN a.latest_outcome = 'pending' THEN 'appeal pending'
                WHEN a.latest_outcome = 'lost' THEN 'appeal lost'
                WHEN c.corrected_claims > 0 THEN 'corrected claim sent'
                ELSE 'new' END AS status,
           r.appeal_window_days, r.timely_filing_days,
           (coalesce(w.won, 0) + ? * coalesce(pw.p, o.p)) / (coalesce(w.decided, 0) + ?) AS win_ratio
    FROM m_claim c
    LEFT JOIN m_payer_rule r ON r.payer_id = c.payer_id
    LEFT JOIN win w ON w.payer_id = c.payer_id AND w.root_cause = c.root_cause
    LEFT JOIN payer_win pw ON pw.payer_id = c.payer_id
    LEFT JOIN appeal_state a ON a.claim_id = c.claim_id
    CROSS JOIN overall o
    WHERE c.open_denied_dollars > 0 AND {scope}),
dated AS (
    SELECT *, CASE WHEN action = 'corrected claim' THEN dos + coalesce(timely_filing_days, 365)
                   ELSE denied_on + coalesce(appeal_window_days, 90) END AS deadline
    FROM q)
SELECT d.claim_id, d.site_id AS site, d.payer_id AS payer, p.payer_name, d.rendering_npi AS provider_npi,
       d.root_cause, d.sub_cause, d.owner_team, d.soft_hard, d.carc, d.status, d.action, d.denied_on, d.deadline,
       (d.deadline - ?::DATE) AS days_left, d.open_denied_dollars::DOUBLE AS open_denied_dollars,
       d.win_ratio, round(d.open_denied_dollars * d.win_ratio, 2)::DOUBLE AS expected_recovery,
       d.open_denied_dollars * d.win_ratio / greatest(d.deadline - ?::DATE, 1) AS priority,
       d.deadline < ?::DATE AS lost
FROM dated d LEFT JOIN payer p USING (payer_id)
"""


def work_queue(con: duckdb.DuckDBPyConnection, *, scope: Scope, as_of: dt.date, teams=None, sites=None,
               payers=None, statuses=None) -> pl.DataFrame:
    """Open denials ranked by priority (lost ones last, ranked among themselves by dollars)."""
    scope.require_claim_level()
    frag, scope_params = scope.sql("c.site_id")
    params = [SMOOTHING_APPEALS, SMOOTHING_APPEALS, list(CORRECTED_CLAIM_CAUSES), SMOOTHING_APPEALS,
              SMOOTHING_APPEALS, *scope_params, as_of, as_of, as_of]
    frame = con.sql(_SQL.format(scope=frag), params=params).pl()
    for col, values in (("owner_team", teams), ("site", sites), ("payer", payers), ("status", statuses)):
        if values:
            frame = frame.filter(pl.col(col).is_in(list(values)))
    frame = frame.sort(["lost", "priority", "open_denied_dollars", "claim_id"], descending=[False, True, True, False])
    frame = frame.with_row_index("rank", offset=1).with_columns(pl.col("rank").cast(pl.Int64))
    return frame.select(QUEUE_COLUMNS)
