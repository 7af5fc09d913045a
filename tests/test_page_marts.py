"""The page marts (models 15-19) hold what the on-the-fly queries they replace computed: checked on
the demo warehouse (tests/conftest.py demo_db) against the plain SQL over m_claim, m_adjudication,
m_adjustment and remark, and claim_page against claim_list + claim_count."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from conftest import connect
from warehouse import claims, query
from warehouse.query import Filters
from warehouse.refresh import MODEL_FILES
from warehouse.scope import Scope

ALL = Scope.all()


@pytest.fixture(scope="module")
def con(demo_db):
    return connect(demo_db)


def rows(con, sql: str) -> list[tuple]:
    return sorted(con.sql(sql).fetchall(), key=repr)


def test_model_headers_follow_the_refresh_contract():
    for path in MODEL_FILES:
        if not re.match(r"1[5-9]_", path.name):
            continue
        lines = path.read_text().splitlines()
        name = lines[0].removeprefix("-- ").strip()
        assert re.fullmatch(r"m_\w+", name), path.name
        assert lines[1].startswith("-- grain: "), path.name
        refresh = [ln for ln in lines if ln.startswith("-- refresh: ")]
        assert len(refresh) == 1 and re.fullmatch(r"-- refresh: (family \w+|additive \w+(,\w+)*|full)", refresh[0])
        body = "\n".join(ln for ln in lines if not ln.startswith("--"))
        assert body.count(";") == 1 and body.strip().startswith(f"CREATE OR REPLACE TABLE {name} AS"), path.name


@pytest.mark.parametrize("table", ["m_claim", "m_line", "m_claim_code"])
def test_date_ranged_marts_are_stored_in_adjudication_date_order(con, table):
    """A full build writes these marts in initial adjudication date order (NULL last), so a page's
    date range reads only the row groups whose min/max dates overlap it (docs/performance.md)."""
    out_of_order = con.sql(f"""
        SELECT count(*) FROM (
            SELECT initial_adjudication_date AS d,
                   lag(initial_adjudication_date) OVER (ORDER BY rowid) AS prev,
                   lag(initial_adjudication_date IS NULL) OVER (ORDER BY rowid) AS prev_null
            FROM {table})
        WHERE d < prev OR (prev_null AND d IS NOT NULL)""").fetchall()[0][0]
    assert out_of_order == 0
    assert con.sql(f"SELECT count(DISTINCT initial_adjudication_date) FROM {table}").fetchall()[0][0] > 10


def test_catalog_holds_every_claim_attribute_combination(con):
    assert rows(con, "SELECT site_id, rendering_npi, payer_id, payer_class, specialty, claims FROM m_catalog") == \
        rows(con, "SELECT site_id, rendering_npi, payer_id, payer_class, specialty, count(*) FROM m_claim GROUP BY ALL")


def test_remit_days_are_the_distinct_remit_dates(con):
    assert rows(con, "SELECT site_id, payer_id, remit_date, remits FROM m_remit_day") == rows(con, """
        SELECT c.site_id, a.payer_id, a.remit_date, count(*) FROM m_adjudication a
        JOIN m_claim c ON c.claim_id = a.family_id GROUP BY ALL""")


def test_claim_codes_are_the_initial_adjudications_codes(con):
    assert rows(con, "SELECT claim_id, group_code, code, amount FROM m_claim_code WHERE kind = 'carc'") == rows(con, """
        SELECT c.claim_id, j.group_code, j.carc, sum(j.amount) FROM m_claim c
        JOIN m_adjustment j ON j.event_seq = c.initial_seq
        WHERE j.is_denial_class AND j.amount > 0 GROUP BY ALL""")
    assert rows(con, "SELECT claim_id, code, amount FROM m_claim_code WHERE kind = 'rarc'") == rows(con, """
        SELECT DISTINCT c.claim_id, r.rarc, c.denied_dollars FROM m_claim c
        JOIN remark r ON r.event_seq = c.initial_seq WHERE c.initially_denied""")
    assert con.sql("SELECT count(*) FROM m_claim_code").fetchall()[0][0] > 0


def test_line_rollup_counts_each_claim_once_per_key_value(con):
    attrs = "initial_adjudication_date, site_id, rendering_npi, specialty, payer_id, payer_class"
    unnested = "(SELECT *, unnest(modifiers) AS modifier FROM m_line)"
    sums = ("count(DISTINCT claim_id), sum(charge), count(DISTINCT claim_id) FILTER (WHERE is_denied), "
            "sum(denied_dollars)")
    for key_set, keys in (("procedure_code,modifier", "procedure_code, modifier"), ("modifier", "modifier")):
        got = rows(con, f"SELECT {attrs}, {keys}, claims, charge, denied_claims, denied_dollars FROM m_line_rollup "
                        f"WHERE key_set = '{key_set}'")
        assert got == rows(con, f"SELECT {attrs}, {keys}, {sums} FROM {unnested} GROUP BY ALL"), key_set
        assert len(got) > 0
    # the demo has claims with two lines of one code and modifier: the rollup is not a plain line count
    assert con.sql("SELECT count(*) FROM (SELECT claim_id, procedure_code, modifier FROM "
                   f"{unnested} GROUP BY ALL HAVING count(*) > 1)").fetchall()[0][0] > 0


@pytest.mark.parametrize("by, values", [
    (("payer", "procedure_code", "modifier"), {}), (("modifier", "payer"), {"site": None}),
    (("procedure_code", "modifier", "week"), {}), (("procedure_code", "modifier", "root_cause"), {}),
    (("modifier",), {"root_cause": ["authorization"]}), (("modifier",), {"modifier": ["25"]}),
    (("procedure_code",), {}),
    (("provider", "procedure_code"), {"procedure_code": ["99213", "99214"]})])
@pytest.mark.parametrize("basis", ["adjudication", "service"])
def test_line_slices_read_line_claims_with_the_same_numbers(con, monkeypatch, by, values, basis):
    """A slice by procedure code and modifier, or modifier, reads m_line_rollup (no DISTINCT) where
    that is exact, and gives the numbers m_line gives; groups it cannot answer (a line filter, a
    denial attribute, a slice by procedure code alone, the date-of-service basis) read m_line."""
    if "site" in values:
        values = {"site": [con.sql("SELECT min(site_id) FROM m_claim").fetchall()[0][0]]}
    f = Filters.make(values, dt.date(2026, 2, 1), dt.date(2026, 5, 31), basis)
    read = []
    real = query._aggregate

    def spy(con_, mart, *a, **kw):
        read.append(mart)
        return real(con_, mart, *a, **kw)

    monkeypatch.setattr(query, "_aggregate", spy)
    routed = query.kpis(con, scope=ALL, by=by, filters=f)
    monkeypatch.setattr(query, "LINE_ROLLUP_KEY_SETS", {})
    plain = query.kpis(con, scope=ALL, by=by, filters=f)
    assert routed.height > 0 and routed.equals(plain)
    rollup = (basis == "adjudication" and not set(values) & {"procedure_code", "modifier"}
              and "modifier" in by)
    denial = "root_cause" in set(by) | set(values)
    assert ("line_rollup" in read[:len(read) // 2]) == rollup
    assert ("line" in read[:len(read) // 2]) == (not rollup or denial)


@pytest.mark.parametrize("values", [{}, {"modifier": ["25", "59"]}, {"procedure_code": ["99213"], "modifier": ["25"]},
                                    {"root_cause": ["eligibility"]}, {"carc": ["16", "197"]}])
@pytest.mark.parametrize("denied_only", [True, False])
def test_claim_page_is_the_list_and_its_count(con, values, denied_only):
    f = Filters.make(values, dt.date(2026, 3, 1), dt.date(2026, 5, 31))
    frame, total = claims.claim_page(con, scope=ALL, filters=f, limit=25, denied_only=denied_only)
    assert frame.equals(claims.claim_list(con, scope=ALL, filters=f, limit=25, denied_only=denied_only))
    assert total == claims.claim_count(con, scope=ALL, filters=f, denied_only=denied_only)
    assert total >= frame.height
    # the whole selection (no limit, and a limit above its size): its first rows are the limited list
    whole, n = claims.claim_page(con, scope=ALL, filters=f, limit=None, denied_only=denied_only)
    above, m = claims.claim_page(con, scope=ALL, filters=f, limit=total + 1, denied_only=denied_only)
    assert n == m == total == whole.height and above.equals(whole) and whole.head(25).equals(frame)
    site = Scope.sites([con.sql("SELECT min(site_id) FROM m_claim").fetchall()[0][0]])
    frame, total = claims.claim_page(con, scope=site, filters=f, limit=0, denied_only=denied_only)
    assert frame.height == 0 and total == claims.claim_count(con, scope=site, filters=f, denied_only=denied_only)


def test_data_span_ends_at_the_latest_remit_even_a_reversal(tmp_path):
    """The pages' as-of date (catalog.data_span) and the CLI's (query.latest_remit_date) are the same
    day when the latest remit is a reversal (claim status 22): a review found the pages a day behind."""
    import datetime as dt

    from conftest import core_plus
    from warehouse.catalog import data_span
    from warehouse.query import latest_remit_date
    from warehouse.scope import Scope
    con = core_plus(tmp_path, {"remits": "R8D,PAYB,TRN-B9,2026-05-25,C8,22,-100.00,0.00,0,PB-0008,"})
    first, last = data_span(con, scope=Scope.all())
    assert (first, last) == (dt.date(2026, 5, 12), dt.date(2026, 5, 25)) == (first, latest_remit_date(con))
    assert data_span(con, scope=Scope.sites({"S1"}))[1] == dt.date(2026, 5, 21)     # C8 is S2's
