"""The denial work queue: every open denial, who owns it, its deadline, and what working it is
expected to recover — triage before resolution (docs/work-queue.md).

- Owner team, stage, soft/hard: from the claim's root cause (the taxonomy).
- Action and deadline: a pending appeal is followed up ('follow up appeal'), a won appeal whose
  money has not come is chased ('chase payment'); otherwise causes fixed by resubmitting (coding, missing information, eligibility,
  coordination of benefits, credentialing, duplicate) call for a corrected claim, due within the
  payer's timely-filing limit from the date of service; the others call for an appeal, due within
  the payer's appeal window from the denial (the initial adjudication). Once one of the claim's
  appeals was decided, the window runs from the latest decision (the next level's appeal, or the time
  to chase a won appeal's payment); a corrected claim's deadline is then the later of the two. A
  pending appeal is never lost: its deadline is the date to follow it up (APPEAL_FOLLOW_UP_DAYS after
  filing). Windows: m_payer_rule.
- Expected recovery = open denied dollars × the historical appeal win ratio for that payer and
  root cause, smoothed toward the payer's ratio (and that toward the overall ratio) with the
  weight of 5 appeals, so a pair with two appeals does not swing between 0 and 1; 1 once the
  claim's latest appeal was won.
- Priority = expected recovery ÷ days left (at least 1): dollars at stake per day remaining, so a
  large denial due soon comes first and a small one with months left comes last. Denials whose
  deadline has passed (pending appeals excepted) are `lost` and listed apart; a pending appeal past
  its follow-up date is `overdue` (live, never lost) and counted apart from those due soon.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from warehouse.scope import Scope

CORRECTED_CLAIM_CAUSES = ("coding_modifier", "missing_information", "eligibility", "coordination_of_benefits",
                          "credentialing", "duplicate")
SMOOTHING_APPEALS = 5
# a pending appeal is followed up with the payer this many days after it was filed (payers decide most
# first-level appeals within 30-60 days; Medicare's redetermination within 60)
APPEAL_FOLLOW_UP_DAYS = 60
# a queue row's status, from the claim's latest appeal (else its corrected claims), with what it means
STATUSES = {
    "new": "never worked",
    "appeal pending": "an appeal is filed and not decided: never lost; the deadline is the date to follow it up "
                      f"with the payer ({APPEAL_FOLLOW_UP_DAYS} days after filing)",
    "appeal won, still open": "the latest appeal was won and the claim still has open denied dollars: chase the "
                              "payment (win ratio 100%)",
    "appeal partly won": "the latest appeal was decided partly in the provider's favour and part of the denial is "
                         "still open; a next-level appeal may be possible",
    "appeal lost": "the latest appeal was lost; a next-level appeal may be possible",
    "appeal withdrawn": "the latest appeal was withdrawn; the denial is open as before",
    "corrected claim sent": "a replacement claim was submitted and the denial is still open",
    "denied after payment": "paid at first, then denied by a later adjudication (a takeback: a reversal and a "
                            "re-adjudication that denies), never worked; its dollars, cause and date are the "
                            "re-denial's, outside the denial rate and the open denied dollars of the KPIs",
}
QUEUE_COLUMNS = ["rank", "claim_id", "site", "site_name", "payer", "payer_name", "provider_npi", "root_cause", "sub_cause",
                 "owner_team", "soft_hard", "carc", "status", "action", "denied_on", "deadline", "days_left",
                 "open_denied_dollars", "win_ratio", "expected_recovery", "priority", "lost", "overdue"]

_SQL = """
WITH win AS (
    -- grain: one row per payer x root cause with decided appeals
    SELECT payer_id, root_cause, count(*) FILTER (WHERE is_won) AS won, count(*) FILTER (WHERE is_decided) AS decided
    FROM m_appeal GROUP BY ALL),
overall AS (SELECT coalesce(sum(won) / nullif(sum(decided), 0), 0.5) AS p FROM win),
payer_win AS (
    SELECT w.payer_id, (sum(w.won) + ? * o.p) / (sum(w.decided) + ?) AS p
    FROM win w, overall o GROUP BY w.payer_id, o.p),
q AS (
    -- m_open_denial: the open denials with what depends on their own family (status, dates)
    SELECT c.claim_id, c.site_id, c.payer_id, c.rendering_npi, c.root_cause, c.sub_cause, c.owner_team, c.soft_hard,
           c.carc, c.dos, c.denied_on, c.open_denied_dollars,
           CASE WHEN list_contains(?::VARCHAR[], c.root_cause) THEN 'corrected claim' ELSE 'appeal' END AS route,
           c.status, c.appeal_filed, c.last_decided, r.appeal_window_days, r.timely_filing_days,
           CASE WHEN c.status = 'appeal won, still open' THEN 1.0
                ELSE (coalesce(w.won, 0) + ? * coalesce(pw.p, o.p)) / (coalesce(w.decided, 0) + ?) END AS win_ratio
    FROM m_open_denial c
    LEFT JOIN m_payer_rule r ON r.payer_id = c.payer_id
    LEFT JOIN win w ON w.payer_id = c.payer_id AND w.root_cause = c.root_cause
    LEFT JOIN payer_win pw ON pw.payer_id = c.payer_id
    CROSS JOIN overall o
    WHERE {scope}),
dated AS (
    -- the deadline follows the route (corrected claim or appeal); the action says what to do next
    SELECT *, CASE WHEN status = 'appeal pending' THEN 'follow up appeal'
                   WHEN status = 'appeal won, still open' THEN 'chase payment' ELSE route END AS action,
              CASE WHEN status = 'appeal pending' THEN appeal_filed + ?
                   WHEN route = 'corrected claim'
                   THEN greatest(dos + coalesce(timely_filing_days, 365),
                                 last_decided + coalesce(appeal_window_days, 90))
                   ELSE coalesce(last_decided, denied_on) + coalesce(appeal_window_days, 90) END AS deadline
    FROM q)
SELECT d.claim_id, d.site_id AS site, s.site_name, d.payer_id AS payer, p.payer_name, d.rendering_npi AS provider_npi,
       d.root_cause, d.sub_cause, d.owner_team, d.soft_hard, d.carc, d.status, d.action, d.denied_on, d.deadline,
       (d.deadline - ?::DATE) AS days_left, d.open_denied_dollars::DOUBLE AS open_denied_dollars,
       d.win_ratio, round(d.open_denied_dollars * d.win_ratio, 2)::DOUBLE AS expected_recovery,
       d.open_denied_dollars * d.win_ratio / greatest(d.deadline - ?::DATE, 1) AS priority,
       d.deadline < ?::DATE AND d.status <> 'appeal pending' AS lost,
       -- a pending appeal past its follow-up date: still to work (never lost), and late
       d.deadline < ?::DATE AND d.status = 'appeal pending' AS overdue,
       -- for the sidebar's payer class and stage filters (the stage of the root cause, as m_claim's)
       p.payer_class, coalesce(rc.stage, 'payer') AS stage
FROM dated d LEFT JOIN payer p USING (payer_id) LEFT JOIN site s USING (site_id)
     LEFT JOIN root_cause_category rc ON rc.category = d.root_cause
"""


# filter key -> column of the queue (values always bound)
_FILTER_COLUMNS = {"teams": "owner_team", "sites": "site", "payers": "payer", "statuses": "status",
                   "providers": "provider_npi", "root_causes": "root_cause", "payer_classes": "payer_class",
                   "stages": "stage"}


# the queue's order: live denials (lost = false) first, then lost ones (then those without a deadline),
# each by priority, then open dollars, then claim id
_ORDER = "priority DESC NULLS FIRST, open_denied_dollars DESC NULLS FIRST, claim_id"


def _queue_sql(scope: Scope, as_of: dt.date, values: dict) -> tuple[str, list]:
    """The ranked queue (every row, rank over all of them) narrowed by `values`; scope checked."""
    sql, params = _queue_rows_sql(scope, as_of, values)
    return f"SELECT row_number() OVER (ORDER BY lost NULLS LAST, {_ORDER})::BIGINT AS rank, * FROM ({sql})", params


def _queue_rows_sql(scope: Scope, as_of: dt.date, values: dict) -> tuple[str, list]:
    """The queue's rows, unranked, narrowed by `values`; scope checked."""
    scope.require_claim_level()
    frag, scope_params = scope.sql("c.site_id")
    params = [SMOOTHING_APPEALS, SMOOTHING_APPEALS, list(CORRECTED_CLAIM_CAUSES), SMOOTHING_APPEALS,
              SMOOTHING_APPEALS, *scope_params, APPEAL_FOLLOW_UP_DAYS, as_of, as_of, as_of, as_of]
    where = []
    for key, col in _FILTER_COLUMNS.items():
        if values.get(key):
            where.append(f"list_contains(?::VARCHAR[], {col})")
            params.append([str(v) for v in values[key]])
    return f"SELECT * FROM ({_SQL.format(scope=frag)}) WHERE {' AND '.join(where) or 'true'}", params


def work_queue(con: duckdb.DuckDBPyConnection, *, scope: Scope, as_of: dt.date, teams=None, sites=None,
               payers=None, statuses=None, providers=None, root_causes=None, payer_classes=None, stages=None,
               lost: bool | None = None, limit: int | None = None) -> pl.DataFrame:
    """Open denials ranked by priority (lost ones last, ranked among themselves by dollars).

    teams/sites/payers/statuses/providers/root_causes/payer_classes/stages narrow the queue (the rank is within what is
    left); lost=False / True keeps only the live / the lost denials, with their ranks in the whole
    queue; limit keeps the first rows (a page shows the top of a queue of hundreds of thousands)."""
    sql, params = _queue_sql(scope, as_of, {"teams": teams, "sites": sites, "payers": payers, "statuses": statuses,
                                            "providers": providers, "root_causes": root_causes,
                                            "payer_classes": payer_classes, "stages": stages})
    sql = f"SELECT * FROM ({sql})"
    if lost is not None:                # after the ranking: ranks stay those of the whole queue
        sql += " WHERE lost = ?"
        params.append(lost)
    sql += " ORDER BY rank"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return con.sql(f"SELECT {', '.join(QUEUE_COLUMNS)} FROM ({sql})", params=params).pl()


def _summary_columns(due_days: int) -> tuple[list[str], list]:
    """The totals' select list (live, due within `due_days`, overdue, lost) and its parameters. Due:
    live, deadline today or within `due_days`; an overdue follow-up (deadline passed) is not due in
    the next days but late, and counted apart."""
    parts, params = [], []
    for name, cond in (("live", "NOT lost"), ("due", "NOT lost AND days_left BETWEEN 0 AND ?"),
                       ("overdue", "overdue"), ("lost", "lost")):
        parts += [f"count(*) FILTER (WHERE {cond}) AS {name}_denials",
                  # summed as cents (DECIMAL): the same totals on every run, whatever the parallel order
                  f"coalesce(sum(open_denied_dollars::DECIMAL(18, 2)) FILTER (WHERE {cond}), 0)::DOUBLE AS {name}_dollars",
                  f"coalesce(sum(expected_recovery::DECIMAL(18, 2)) FILTER (WHERE {cond}), 0)::DOUBLE AS {name}_expected"]
        params += [due_days] * cond.count("?") * 3
    return parts, params


def queue_summary(con: duckdb.DuckDBPyConnection, *, scope: Scope, as_of: dt.date, due_days: int = 7, teams=None,
                  sites=None, payers=None, statuses=None, providers=None, root_causes=None, payer_classes=None,
                  stages=None) -> dict:
    """The queue's totals (same filters as work_queue): live denials (deadline ahead, or a pending
    appeal's follow-up date passed), those due within `due_days` (from today), the overdue follow-ups,
    and the lost ones; each as denials, open denied dollars and expected recovery."""
    totals, _, _ = queue_page(con, scope=scope, as_of=as_of, limit=0, due_days=due_days, teams=teams, sites=sites,
                              payers=payers, statuses=statuses, providers=providers, root_causes=root_causes,
                              payer_classes=payer_classes, stages=stages)
    return totals


def queue_page(con: duckdb.DuckDBPyConnection, *, scope: Scope, as_of: dt.date, limit: int, due_days: int = 7,
               teams=None, sites=None, payers=None, statuses=None, providers=None,
               root_causes=None, payer_classes=None, stages=None) -> tuple[dict, pl.DataFrame, pl.DataFrame]:
    """What the work-queue page shows, from one evaluation of the ranked queue: (queue_summary(...),
    the first `limit` live denials, the first `limit` lost ones), each list as work_queue(lost=..., limit=...)
    returns it (ranks those of the whole queue)."""
    sql, params = _queue_rows_sql(scope, as_of, {"teams": teams, "sites": sites, "payers": payers,
                                                 "statuses": statuses, "providers": providers,
                                                 "root_causes": root_causes, "payer_classes": payer_classes,
                                                 "stages": stages})
    parts, summary_params = _summary_columns(due_days)
    cols = ", ".join(c for c in QUEUE_COLUMNS if c != "rank")
    # grain: one row per listed denial (the first `limit` live and the first `limit` lost, in the
    # queue's order), each with the totals; one row of totals alone when nothing is listed. A rank is
    # a position in the whole queue: live denials come first, so a lost one's rank is the number of
    # live denials + its place among the lost (no sort of the whole queue: two top-N picks)
    frame = con.sql(f"""
        WITH q AS MATERIALIZED ({sql}),
        totals AS (SELECT {', '.join(parts)} FROM q),
        live AS (SELECT * FROM q WHERE NOT lost ORDER BY {_ORDER} LIMIT ?),
        gone AS (SELECT * FROM q WHERE lost ORDER BY {_ORDER} LIMIT ?),
        top AS (SELECT row_number() OVER (ORDER BY {_ORDER})::BIGINT AS rank, {cols} FROM live
                UNION ALL
                SELECT (row_number() OVER (ORDER BY {_ORDER}) + (SELECT live_denials FROM totals))::BIGINT,
                       {cols} FROM gone)
        SELECT {', '.join(f't.{c}' for c in QUEUE_COLUMNS)}, totals.*
        FROM totals LEFT JOIN top t ON true
        ORDER BY t.rank""", params=[*params, *summary_params, int(limit), int(limit)]).pl()
    totals = {c: frame[c][0] for c in frame.columns if c not in QUEUE_COLUMNS}
    rows = frame.filter(pl.col("rank").is_not_null()).select(QUEUE_COLUMNS)
    return totals, rows.filter(~pl.col("lost")), rows.filter(pl.col("lost"))
