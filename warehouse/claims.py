"""Claim-level views for the analyst: the claim list behind any selection, one claim's full story,
days to pay, and the top CARC/RARC codes per payer.

Same contract as warehouse.query: every function takes `scope` by keyword with no default and
applies `scope.sql()` to every query; values reach SQL only as bound parameters; column and table
names come from fixed lists (warehouse.dimensions, the dictionaries below). Filters mean what they
mean for the KPIs (docs/metrics.md):
  - claim attributes (site, provider, payer, payer class, specialty) keep the claims that have them;
  - denial attributes (root cause, sub-cause, stage, owner team, soft/hard) keep the claims whose
    own root cause (that of their largest denied line) has them, so they imply denied claims;
  - line attributes (procedure code, modifier, CARC) keep the claims with at least one line of the
    initial adjudication that has them all, on that one line (query.line_match: procedure 29881 with
    modifier RT needs a 29881-RT line; CARC: a denied line whose largest denial adjustment has it);
    with `denied_only`, a line that has them *and was denied*: the claims a KPI sliced by that
    procedure code and modifier counts as denied (a payer × procedure cell's "87 of 323 denied");
  - the date range applies to the basis date: initial adjudication (default) or date of service.

Patients appear only as their pseudonym and masked member id: the warehouse holds no names.
The claim list and claim detail need a claim-level scope (scope.require_claim_level: the viewer
role sees totals only); days to pay and top codes are totals.
"""
from __future__ import annotations

import re

import duckdb
import polars as pl

from warehouse.dimensions import DIMENSIONS, LINE_KEYS, NAME_SQL
from warehouse.query import Filters, line_match
from warehouse.scope import Scope

BASIS_COLUMN = {"adjudication": "initial_adjudication_date", "service": "dos"}

# claim list: sortable columns (name -> SQL expression on the list's select), fixed
SORTS = {
    "denied_dollars": "c.denied_dollars", "billed": "c.billed", "open_denied_dollars": "c.open_denied_dollars",
    "initial_adjudication_date": "c.initial_adjudication_date", "dos": "c.dos", "claim_id": "c.claim_id",
    "days_to_adjudicate": "c.days_to_adjudicate",
}

# 835 CLP02 claim status codes (X12 005010X221A1)
CLAIM_STATUS = {
    "1": "processed as primary", "2": "processed as secondary", "3": "processed as tertiary",
    "4": "denied", "19": "processed as primary, forwarded", "20": "processed as secondary, forwarded",
    "21": "processed as tertiary, forwarded", "22": "reversal of previous payment",
    "23": "not our claim, forwarded", "25": "predetermination pricing only",
}
GROUP_CODES = {"CO": "contractual obligation", "PR": "patient responsibility", "OA": "other adjustment",
               "PI": "payer initiated", "CR": "correction/reversal"}
FREQUENCY = {"1": "original", "7": "replacement", "8": "void"}


class _Where:
    """WHERE fragments with their bound parameters, in order."""

    def __init__(self):
        self.parts: list[str] = []
        self.params: list = []

    def add(self, fragment: str, *params) -> None:
        self.parts.append(fragment)
        self.params.extend(params)

    def sql(self) -> str:
        return " AND ".join(self.parts) if self.parts else "true"


def _claim_where(w: _Where, *, scope: Scope, filters: Filters, alias: str = "c", dates: bool = True,
                 denied_lines: bool = False) -> None:
    """Scope, filters and the date range on m_claim (aliased `alias`); `denied_lines`: a line
    attribute keeps only claims whose line with it was denied."""
    frag, params = scope.sql(f"{alias}.site_id")
    w.add(frag, *params)
    for key, values in filters.values:
        dim = DIMENSIONS[key]
        if dim.kind == "period" or key in LINE_KEYS:
            continue
        w.add(f"list_contains(?::VARCHAR[], {alias}.{dim.column})", list(values))
    if dates:
        col = f"{alias}.{BASIS_COLUMN[filters.basis]}"
        if filters.date_from:
            w.add(f"{col} >= ?", filters.date_from)
        if filters.date_to:
            w.add(f"{col} <= ?", filters.date_to)
        if filters.date_from or filters.date_to:
            w.add(f"{col} IS NOT NULL")
    # line attributes keep the claims with at least one line of the initial adjudication that has them
    # all (query.line_match, the KPIs' own line matching: procedure 29881 with modifier RT is a
    # 29881-RT line, not a 29881-LT line and a 29877-RT line of one claim), in one pass over m_line.
    # m_line carries its claim's site, provider, payer, payer class, specialty and dates, so the
    # claim's own scope, claim filters and date range are applied to the lines too: the same claims,
    # far fewer lines to match.
    line = line_match(filters, alias="l")
    if line:
        sub = _Where()
        sub.add(line[0], *line[1])
        if denied_lines:
            sub.add("l.is_denied")
        claim_only = filters.without({k for k, d in DIMENSIONS.items() if d.kind != "claim"})
        _claim_where(sub, scope=scope, filters=claim_only, alias="l", dates=dates)
        w.add(f"{alias}.claim_id IN (SELECT l.claim_id FROM m_line l WHERE {sub.sql()})", *sub.params)


# ------------------------------------------------------------------ claim list
_LIST_COLUMNS = """c.claim_id, c.site_id AS site, s.site_name, c.payer_id AS payer, p.payer_name, c.payer_class,
               c.rendering_npi AS provider_npi, rp.provider_name AS provider, c.patient_pseudonym,
               c.dos, c.submitted_date, c.initial_adjudication_date, c.days_to_adjudicate,
               c.billed::DOUBLE AS billed, c.initially_denied, c.denied_dollars::DOUBLE AS denied_dollars,
               c.root_cause, c.stage, c.denial_group_code, c.carc, k.description AS carc_description,
               c.recovered_dollars::DOUBLE AS recovered_dollars, c.written_off_dollars::DOUBLE AS written_off_dollars,
               c.open_denied_dollars::DOUBLE AS open_denied_dollars, c.appeals, c.rejections, c.corrected_claims,
               c.known_from_remit"""
_SELECTED = ("claim_id, site_id, payer_id, payer_class, rendering_npi, patient_pseudonym, dos, submitted_date, "
             "initial_adjudication_date, days_to_adjudicate, billed, initially_denied, denied_dollars, root_cause, "
             "stage, denial_group_code, carc, recovered_dollars, written_off_dollars, open_denied_dollars, appeals, "
             "rejections, corrected_claims, known_from_remit")


_GROUP_CODE = re.compile(r"(CO|PR|OA|PI|CR)\s*-?\s*([A-Z0-9]{1,5})")


def _search_code(text: str) -> tuple[str | None, str]:
    """A claim search read as a denial code: (group code or None, CARC or RARC), as the product writes
    them ("CO-197", "co 197", "197", "M62")."""
    q = text.strip().upper()
    m = _GROUP_CODE.fullmatch(q)
    return (m.group(1), m.group(2)) if m else (None, q)


def claim_page(con: duckdb.DuckDBPyConnection, *, scope: Scope, filters: Filters | None = None,
               limit: int | None = 5000, denied_only: bool = False, search: str | None = None,
               sort: str = "denied_dollars", descending: bool = True) -> tuple[pl.DataFrame, int]:
    """(claim_list(...), how many claims the selection holds before the limit).

    Same arguments and rows as claim_list; the count is claim_count's (with the search applied)."""
    scope.require_claim_level()
    filters = filters or Filters()
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    w = _Where()
    _claim_where(w, scope=scope, filters=filters, denied_lines=denied_only)
    if denied_only:
        w.add("c.initially_denied")
    if search and search.strip():
        q = search.strip()
        group, code = _search_code(q)
        # a code: any denial CARC (with its group code when given: "CO-197") or RARC of the claim's initial
        # adjudication, as the payer drill-down's top codes count them (m_claim_code), not only the top one
        w.add("(c.claim_id ILIKE ? OR lower(coalesce(c.patient_pseudonym, '')) = lower(?) OR c.claim_id IN "
              "(SELECT claim_id FROM m_claim_code WHERE code = ? AND (? IS NULL OR group_code = ?)))",
              f"%{q}%", q, code, group, group)
    order = f"{SORTS[sort]} {'DESC' if descending else 'ASC'} NULLS LAST, c.claim_id"
    lim = ""
    params = list(w.params)
    if limit is not None:
        lim = " LIMIT ?"
        params.append(int(limit))
    names = """LEFT JOIN site s ON s.site_id = c.site_id
        LEFT JOIN payer p ON p.payer_id = c.payer_id
        LEFT JOIN rendering_provider rp ON rp.provider_npi = c.rendering_npi
        LEFT JOIN carc k ON k.carc = c.carc"""
    count_sql = f"SELECT count(*) FROM m_claim c WHERE {w.sql()}"
    if not any(key in LINE_KEYS for key, _ in filters.values):
        # claim attributes only: a count that reads the filter columns alone, and a top-N that reads
        # the listed columns of the first `limit` rows only (faster than materialising the selection)
        # grain: one row per claim family in the selection (the first `limit` by the sort)
        frame = con.sql(f"""
            SELECT {_LIST_COLUMNS}
            FROM (SELECT {_SELECTED} FROM m_claim c WHERE {w.sql()} ORDER BY {order}{lim}) c
            {names}
            ORDER BY {order}""", params=params).pl()
        if limit is not None and frame.height < limit:
            return frame, frame.height
        return frame, con.sql(count_sql, params=w.params).fetchall()[0][0]
    # a line attribute filters through m_line: the selection is found once, then counted and listed
    # grain: one row per claim family in the selection (the first `limit` by the sort), each with the
    # selection's size; names are joined to the listed rows only
    sql = f"""
        WITH sel AS MATERIALIZED (SELECT {_SELECTED} FROM m_claim c WHERE {w.sql()}),
        n AS (SELECT count(*) AS total FROM sel)
        SELECT {_LIST_COLUMNS}, n.total AS _total
        FROM (SELECT * FROM sel c ORDER BY {order}{lim}) c
        CROSS JOIN n
        {names}
        ORDER BY {order}"""
    frame = con.sql(sql, params=params).pl()
    if frame.height:
        total = int(frame["_total"][0])
    elif limit is not None and limit <= 0:      # nothing listed: count without a list
        total = con.sql(count_sql, params=w.params).fetchall()[0][0]
    else:
        total = 0
    return frame.drop("_total"), total


def claim_list(con: duckdb.DuckDBPyConnection, *, scope: Scope, filters: Filters | None = None,
               limit: int | None = 5000, denied_only: bool = False, search: str | None = None,
               sort: str = "denied_dollars", descending: bool = True) -> pl.DataFrame:
    """The claims of a selection, one row per claim family (grain of m_claim), with names.

    denied_only keeps initially denied claims (with a line filter: those whose line with it was
    denied); search matches part of the claim id, or the whole patient
    pseudonym, or a denial code of the initial adjudication: a CARC ("197", or "CO-197" with its group
    code) or a RARC ("M62"). Sorted by `sort` (one of SORTS), then claim id. claim_page gives the
    same rows and the selection's size in one scan."""
    frame, _ = claim_page(con, scope=scope, filters=filters, limit=limit, denied_only=denied_only, search=search,
                          sort=sort, descending=descending)
    return frame


def claim_count(con: duckdb.DuckDBPyConnection, *, scope: Scope, filters: Filters | None = None,
                denied_only: bool = False) -> int:
    """How many claims (families) the selection holds, before any list limit."""
    scope.require_claim_level()
    w = _Where()
    _claim_where(w, scope=scope, filters=filters or Filters(), denied_lines=denied_only)
    if denied_only:
        w.add("c.initially_denied")
    # grain: one row (the count)
    return con.sql(f"SELECT count(*) FROM m_claim c WHERE {w.sql()}", params=w.params).fetchall()[0][0]


def code_order(code: str) -> tuple:
    """Sort key of a CARC or RARC as the code lists print them: 1, 2 ... 300, then A0, A1 ... B1, B2 ...
    B10 (letters, then the number as a number), then anything else as text."""
    m = re.fullmatch(r"([A-Z]*)(\d+)", code)
    return (0, m.group(1), int(m.group(2)), code) if m else (1, "", 0, code)


def denial_carcs(con: duckdb.DuckDBPyConnection, *, scope: Scope, filters: Filters | None = None) -> list[str]:
    """Every code the claim list's Denial CARC filter can match in the selection (its own CARC filter
    left out): the CARC of each denied line's largest denial adjustment (m_line, what the filter
    matches: a claim's second denied line counts too) on the selection's claims, in code order."""
    filters = (filters or Filters()).without({"carc"})
    w = _Where()
    _claim_where(w, scope=scope, filters=filters)
    lw = _Where()          # the same date range on the lines: m_line is stored in date order
    _claim_where(lw, scope=scope, filters=filters.without(set(DIMENSIONS)), alias="l")
    # grain: one row per CARC
    return sorted((c for (c,) in con.sql(
        f"""SELECT DISTINCT l.carc FROM m_line l
            WHERE l.is_denied AND l.carc IS NOT NULL AND {lw.sql()}
              AND l.claim_id IN (SELECT c.claim_id FROM m_claim c WHERE {w.sql()})""",
        params=lw.params + w.params).fetchall()), key=code_order)


# ------------------------------------------------------------------ one claim
def resolve_claim(con: duckdb.DuckDBPyConnection, *, scope: Scope, claim_ref: str) -> str | None:
    """The claim family id for a claim id, a corrected claim's id or a patient control number; None when
    unknown or outside the scope."""
    scope.require_claim_level()
    frag, params = scope.sql("c.site_id")
    # grain: one row per matching claim family (at most one)
    rows = con.sql(f"""
        SELECT c.claim_id FROM m_claim c
        WHERE c.claim_id = coalesce((SELECT family_id FROM m_claim_ref WHERE ref = ?), ?) AND {frag}""",
                   params=[claim_ref, claim_ref] + params).fetchall()
    return rows[0][0] if rows else None


def _forwarded_awaiting(adjudications: pl.DataFrame, adjustments: pl.DataFrame) -> float:
    """The patient's share (PR cost share: deductible, coinsurance, copay) that the family's latest remit
    event forwarded to the next payer when it is a crossover (CLP02 19-21), which has not remitted yet: the
    A/R ledger keeps it in the insurance balance (model 08), so the balance reads above the open denied
    dollars until that payer remits. 0 otherwise."""
    rows = adjudications.filter(pl.col("is_adjudication") | pl.col("is_reversal"))
    if rows.height == 0 or rows["claim_status"][-1] not in ("19", "20", "21"):
        return 0.0
    share = adjustments.filter((pl.col("adjudication_id") == rows["adjudication_id"][-1])
                               & (pl.col("group_code") == "PR") & ~pl.col("is_denial"))["amount"].sum()
    return float(share or 0)


def claim_detail(con: duckdb.DuckDBPyConnection, *, scope: Scope, claim_id: str) -> dict | None:
    """Everything about one claim family, or None for a claim outside the scope (or unknown).

    Keys: claim (dict: the lifecycle row with names), submissions, lines, adjudications,
    adjudication_lines, adjustments, remarks, rejections, appeals, write_offs, balance (frames)."""
    scope.require_claim_level()
    family = resolve_claim(con, scope=scope, claim_ref=claim_id)
    if family is None:
        return None
    frag, sparams = scope.sql("c.site_id")   # every query below re-checks the scope

    def q(sql: str, params: list) -> pl.DataFrame:
        return con.sql(sql, params=params).pl()

    # grain: one row (the claim family)
    header = q(f"""
        SELECT c.claim_id, c.known_from_remit, c.site_id, s.site_name, c.payer_id, p.payer_name, c.payer_class,
               c.rendering_npi, rp.provider_name, c.specialty, c.patient_pseudonym,
               (SELECT first(x.member_id_masked ORDER BY x.submitted_date DESC, x.claim_id DESC)
                  FROM claim x JOIN m_claim_family f USING (claim_id) WHERE f.family_id = ?) AS member_id_masked,
               c.dos, c.submitted_date, c.billed::DOUBLE AS billed, c.has_auth, c.corrected_claims, c.void_date,
               NULL::VARCHAR AS initial_adjudication_id, c.initial_adjudication_date, c.last_adjudication_date, c.initial_status,
               c.adjudications, c.initially_denied, c.denied_dollars::DOUBLE AS denied_dollars, c.denied_lines,
               c.root_cause, c.sub_cause, c.stage, c.owner_team, c.soft_hard, c.denial_group_code, c.carc,
               k.description AS carc_description, c.recovered_dollars::DOUBLE AS recovered_dollars,
               c.written_off_dollars::DOUBLE AS written_off_dollars,
               c.open_denied_dollars::DOUBLE AS open_denied_dollars, c.appeals, c.rejections,
               c.rejected_before_adjudication, c.first_outcome_date, c.days_to_adjudicate, c.initial_seq,
               c.redenied_dollars::DOUBLE AS redenied_dollars, c.redenial_cause, c.redenial_carc, c.redenied_on
        FROM m_claim c
        LEFT JOIN site s ON s.site_id = c.site_id
        LEFT JOIN payer p ON p.payer_id = c.payer_id
        LEFT JOIN rendering_provider rp ON rp.provider_npi = c.rendering_npi
        LEFT JOIN carc k ON k.carc = c.carc
        WHERE c.claim_id = ? AND {frag}""", [family, family] + sparams)
    if header.height == 0:
        return None
    p = [family] + sparams
    scoped = f"EXISTS (SELECT 1 FROM m_claim c WHERE c.claim_id = ? AND {frag})"
    # m_claim names the initial remit by its event_seq; the claim shows (and exports) its id, filled
    # in from the family's remits read below (a lookup of m_adjudication by event_seq alone is a join
    # over the whole table: 0.5-1.3 s at 10M claims)
    out: dict = {"claim": header.to_dicts()[0]}
    initial_seq = out["claim"].pop("initial_seq")
    # grain: one row per submitted claim of the family (original, replacements, voids)
    out["submissions"] = q(f"""
        SELECT x.claim_id, x.frequency_code, x.original_claim_id, x.submitted_date, x.service_date_from,
               x.service_date_to, x.total_charge::DOUBLE AS total_charge, x.prior_auth_number,
               x.place_of_service, x.patient_pseudonym, x.member_id_masked
        FROM claim x JOIN m_claim_family f USING (claim_id)
        WHERE f.family_id = ? AND {scoped}
        ORDER BY x.submitted_date, x.claim_id""", [family] + p)
    out["submissions"] = out["submissions"].with_columns(
        pl.col("frequency_code").replace_strict(FREQUENCY, default=pl.col("frequency_code")).alias("kind"))
    # grain: one row per service line of each submitted claim of the family
    out["lines"] = q(f"""
        SELECT l.claim_id, l.line_number, l.procedure_code,
               concat_ws(' ', l.modifier_1, l.modifier_2, l.modifier_3, l.modifier_4) AS modifiers,
               l.units, l.line_charge::DOUBLE AS line_charge, l.service_date
        FROM claim_line l JOIN m_claim_family f USING (claim_id)
        WHERE f.family_id = ? AND {scoped}
        ORDER BY l.claim_id, l.line_number""", [family] + p)
    # grain: one row per remit claim event (835 CLP) of the family, in the order the payer sent them
    out["adjudications"] = q(f"""
        SELECT a.adjudication_id, a.remit_date, a.claim_status, a.claim_charge::DOUBLE AS claim_charge,
               a.claim_paid::DOUBLE AS claim_paid, a.patient_responsibility::DOUBLE AS patient_responsibility,
               a.payer_id, coalesce(py.payer_name, a.payer_id) AS payer_name, a.patient_control_number,
               a.remit_claim_id, a.payer_claim_number, a.trace_number, a.is_reversal, a.is_adjudication,
               coalesce(a.event_seq = ?, false) AS is_initial
        FROM m_adjudication a LEFT JOIN payer py ON py.payer_id = a.payer_id
        WHERE a.family_id = ? AND {scoped}
        ORDER BY a.remit_date, a.event_seq""", [initial_seq, family] + p)
    initial = out["adjudications"].filter(pl.col("is_initial"))
    out["claim"]["initial_adjudication_id"] = initial["adjudication_id"][0] if initial.height else None
    # whose remits decide what is recovered and still denied when more than one payer sent some (model 05)
    out["claim"]["initial_payer_name"] = initial["payer_name"][0] if initial.height else None
    out["claim"]["remit_payers"] = out["adjudications"].filter(pl.col("is_adjudication"))["payer_id"].n_unique()
    out["adjudications"] = out["adjudications"].with_columns(
        pl.col("claim_status").replace_strict(CLAIM_STATUS, default="other").alias("status"))
    # grain: one row per service line of each remit claim event of the family
    out["adjudication_lines"] = q(f"""
        SELECT a.adjudication_id, l.line_number, l.procedure_code, array_to_string(l.modifiers, ' ') AS modifiers,
               l.charge::DOUBLE AS charge, l.paid::DOUBLE AS paid, l.patient_resp::DOUBLE AS patient_resp,
               l.is_denied, CASE WHEN l.is_denied THEN l.top_denial.category END AS root_cause
        FROM m_adjudication_line l JOIN m_adjudication a ON a.event_seq = l.event_seq AND a.family_id = l.family_id
        WHERE l.family_id = ? AND {scoped}
        ORDER BY l.remit_date, l.event_seq, l.line_number""", [family] + p)
    # grain: one row per adjustment (group code + CARC + amount) on the family's remits
    out["adjustments"] = q(f"""
        SELECT a.adjudication_id, j.line_number, j.group_code, j.carc, k.description AS carc_description,
               j.amount::DOUBLE AS amount, j.category AS root_cause, j.sub_cause, j.stage, j.soft_hard,
               j.is_denial_class AS is_denial
        FROM m_adjustment j JOIN m_adjudication a ON a.event_seq = j.event_seq AND a.family_id = j.family_id
        LEFT JOIN carc k ON k.carc = j.carc
        WHERE j.family_id = ? AND {scoped}
        ORDER BY j.remit_date, j.event_seq, j.line_number NULLS FIRST, j.seq""", [family] + p)
    out["claim"]["forwarded_awaiting"] = _forwarded_awaiting(out["adjudications"], out["adjustments"])
    # grain: one row per remark code on the family's remits
    out["remarks"] = q(f"""
        SELECT a.adjudication_id, r.line_number, r.rarc, d.description AS rarc_description
        FROM remark r JOIN m_adjudication a USING (event_seq)
        LEFT JOIN rarc d ON d.rarc = r.rarc
        WHERE a.family_id = ? AND {scoped}
        ORDER BY a.remit_date, a.event_seq, r.line_number NULLS FIRST, r.rarc""", [family] + p)
    # grain: one row per rejection before adjudication of any claim of the family
    out["rejections"] = q(f"""
        SELECT j.claim_ref, j.rejected_date, j.status_code, j.reason, j.source
        FROM rejection j JOIN m_claim_ref r ON r.ref = j.claim_ref
        WHERE r.family_id = ? AND {scoped} ORDER BY j.rejected_date""", [family] + p)
    # grain: one row per appeal of the family
    out["appeals"] = q(f"""
        SELECT ap.appeal_id, ap.appeal_level, ap.filed_date, ap.decided_date, ap.outcome,
               ap.recovered_amount::DOUBLE AS recovered_amount, ap.days_to_decision
        FROM m_appeal ap WHERE ap.claim_id = ? AND {scoped} ORDER BY ap.filed_date, ap.appeal_id""", [family] + p)
    # grain: one row per write-off of the family
    out["write_offs"] = q(f"""
        SELECT w.claim_ref, w.write_off_date, w.amount::DOUBLE AS amount, w.reason
        FROM write_off w JOIN m_claim_ref r ON r.ref = w.claim_ref
        WHERE r.family_id = ? AND {scoped} ORDER BY w.write_off_date""", [family] + p)
    # grain: one row per date on which the family's insurance balance moved (m_ar_event); a credit
    # (the payer paid more than was owed) is negative, as it nets in insurance A/R
    out["balance"] = q(f"""
        SELECT event_date AS date, sum(amount)::DOUBLE AS change,
               sum(sum(amount)) OVER (ORDER BY event_date)::DOUBLE AS balance
        FROM m_ar_event e
        WHERE e.claim_id = ? AND {scoped}
        GROUP BY event_date ORDER BY event_date""", [family] + p)
    return out


# ------------------------------------------------------------------ days to pay
def days_to_pay(con: duckdb.DuckDBPyConnection, *, scope: Scope, filters: Filters | None = None,
                by: str | None = "payer") -> pl.DataFrame:
    """Days from submission to the initial remit (initial adjudication date − submitted date): the
    median and 90th percentile per `by` (payer, site, provider, payer_class, specialty or None for
    all), over the selection's adjudicated claims that have a submitted date (claims known only
    from a remit have none and are left out)."""
    filters = filters or Filters()
    if by is not None and (by not in DIMENSIONS or DIMENSIONS[by].kind != "claim"):
        raise ValueError("by must be a claim attribute (site, provider, specialty, payer, payer_class) or None")
    w = _Where()
    _claim_where(w, scope=scope, filters=filters)
    w.add("c.days_to_adjudicate IS NOT NULL")
    dim = DIMENSIONS[by] if by else None
    sel = f"c.{dim.column} AS {dim.output}, " if dim else ""
    group = " GROUP BY 1 ORDER BY 1" if dim else ""
    # grain: one row per `by` value (or one row)
    frame = con.sql(f"""
        SELECT {sel}count(*) AS claims_paid_timed,
               round(quantile_cont(c.days_to_adjudicate, 0.5), 1)::DOUBLE AS days_to_pay_median,
               round(quantile_cont(c.days_to_adjudicate, 0.9), 1)::DOUBLE AS days_to_pay_p90
        FROM m_claim c WHERE {w.sql()}{group}""", params=w.params).pl()
    return frame


# ------------------------------------------------------------------ top codes
def top_codes(con: duckdb.DuckDBPyConnection, *, scope: Scope, filters: Filters | None = None,
              kind: str = "carc", by: str | None = "payer", limit: int = 5) -> pl.DataFrame:
    """The most frequent denial codes on the selection's initial adjudications, per `by` value.

    kind='carc': denial-class adjustments (group + CARC) with a positive amount; `claims` counts the
    claims carrying the code, `dollars` sums the adjustment amounts.
    kind='rarc': remark codes on initially denied claims' initial adjudications; `dollars` sums the
    denied dollars of the claims carrying the remark.
    Ranked by claims, then dollars; `limit` codes per `by` value; descriptions from the carc/rarc tables."""
    filters = filters or Filters()
    if kind not in ("carc", "rarc"):
        raise ValueError("kind must be carc or rarc")
    if by is not None and (by not in DIMENSIONS or DIMENSIONS[by].kind not in ("claim", "denial")):
        raise ValueError("by must be a claim or denial attribute, or None")
    w = _Where()
    # the CARC filter names the code itself here: applied to the adjustments, not via lines
    carc_filter = filters.as_dict().get("carc")
    _claim_where(w, scope=scope, filters=filters.without({"carc"}) if kind == "carc" else filters)
    dim = DIMENSIONS[by] if by else None
    by_sel = f"c.{dim.column}" if dim else "'all'"
    # m_claim_code: one row per claim x denial code of its initial adjudication, carrying the claim's
    # attributes and dates, so `claims` (distinct claims carrying the code) is a row count
    if kind == "carc":
        if carc_filter:
            w.add("list_contains(?::VARCHAR[], c.code)", list(carc_filter))
        # grain: one row per (by value, group code, CARC)
        sql = f"""
            SELECT {by_sel} AS by_value, c.group_code, c.code, any_value(k.description) AS description,
                   count(*) AS claims, sum(c.amount)::DOUBLE AS dollars
            FROM m_claim_code c
            LEFT JOIN carc k ON k.carc = c.code
            WHERE c.kind = 'carc' AND {w.sql()}
            GROUP BY 1, 2, 3"""
        cols = ["group_code", "code"]
    else:
        # grain: one row per (by value, RARC); amount = the denied dollars of the (initially denied) claim
        sql = f"""
            SELECT {by_sel} AS by_value, c.code, any_value(d.description) AS description,
                   count(*) AS claims, sum(c.amount)::DOUBLE AS dollars
            FROM m_claim_code c
            LEFT JOIN rarc d ON d.rarc = c.code
            WHERE c.kind = 'rarc' AND {w.sql()}
            GROUP BY 1, 2"""
        cols = ["code"]
    ranked = f"""
        SELECT * FROM ({sql})
        QUALIFY row_number() OVER (PARTITION BY by_value ORDER BY claims DESC, dollars DESC, code) <= ?
        ORDER BY by_value, claims DESC, dollars DESC, code"""
    frame = con.sql(ranked, params=w.params + [int(limit)]).pl()
    out_name = dim.output if dim else "all"
    frame = frame.rename({"by_value": out_name})
    if dim and dim.name_table:
        id_col, name_col = NAME_SQL[dim.name_table]
        # grain: one row per reference entry (names for display)
        names = con.sql(f"SELECT {id_col} AS {out_name}, {name_col} AS {dim.name_field} FROM {dim.name_table}").pl()
        frame = frame.join(names, on=out_name, how="left").select(
            [out_name, dim.name_field] + cols + ["description", "claims", "dollars"])
        frame = frame.sort([out_name, "claims", "dollars"], descending=[False, True, True])
    return frame
