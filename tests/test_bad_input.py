"""Bad input, file by file (cases from an audit of the loader): every row loaded, a duplicate or
quarantined alone with file, row and field named; a bad file never stops the others; a file whose
rows were quarantined is read again when it is loaded again."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl

from conftest import FIXTURES, connect, load, run_cli

CLAIMS_HEADER = ("claim_id,patient_control_number,frequency_code,original_claim_id,site_id,rendering_npi,"
                 "billing_npi,payer_id,patient_id,member_id,service_date_from,service_date_to,submitted_date,"
                 "total_charge,place_of_service,prior_auth_number")


def claim(claim_id: str, charge: str = "100.00", frequency: str = "1") -> str:
    return f"{claim_id},,{frequency},,S1,1234567893,1111111112,PAYA,MRN-9{claim_id},ABC9{claim_id},2026-05-04,,2026-05-05,{charge},11,"


def folder(tmp_path: Path, name: str, files: dict[str, str | bytes]) -> Path:
    d = tmp_path / name
    d.mkdir()
    for fname, body in files.items():
        (d / fname).write_bytes(body if isinstance(body, bytes) else body.encode())
    return d


def core(tmp_path: Path) -> Path:
    db = tmp_path / "w.duckdb"
    load(db, FIXTURES / "core")
    return db


def quarantined(db: Path, load_id: int) -> list[tuple]:
    return connect(db).sql("SELECT row_number, field, rule, message FROM quarantine WHERE load_id = ? "
                           "ORDER BY row_number, field", params=[load_id]).fetchall()


def balanced(summary) -> bool:
    return all(f.rows_read == f.loaded + f.duplicates + f.quarantined for f in summary.files)


def test_quarantined_rows_are_read_again_when_their_file_is_loaded_again(tmp_path):
    db = core(tmp_path)
    lines = folder(tmp_path, "lines", {"lines.csv": "claim_id,line_number,procedure_code,units,line_charge\n"
                                                    "N1,1,99213,1,60.00\nN1,2,99214,1,40.00\n"})
    first = load(db, lines)
    assert (first.total("quarantined"), first.total("loaded")) == (2, 0)
    assert quarantined(db, first.load_id)[0][3].endswith(
        "claim_id N1 is not a loaded claim (once it is, load this file again: the rows it quarantined are read again)")
    load(db, folder(tmp_path, "claim", {"claims.csv": f"{CLAIMS_HEADER}\n{claim('N1')}\n"}))
    again = load(db, lines)                 # the same bytes: read again, since rows of it were quarantined
    assert not again.files[0].whole_file_duplicate
    assert (again.total("loaded"), again.total("quarantined")) == (2, 0) and balanced(again)
    third = load(db, lines)                 # nothing quarantined the last time: skipped whole
    assert third.files[0].whole_file_duplicate and third.total("duplicates") == 2
    assert connect(db).sql("SELECT count(*), sum(line_charge) FROM claim_line WHERE claim_id = 'N1'").fetchall() \
        == [(2, 100)]


def test_amounts_out_of_range_not_numbers_or_past_cents_are_quarantined_not_fatal(tmp_path):
    db = core(tmp_path)
    rows = [claim("A1", "10000000000000000000"), claim("A2", "inf"), claim("A3", "nan"), claim("A4", "12.349"),
            claim("A5", "-5.00"), claim("A6", "12.3400"), claim("X" * 300)]
    s = load(db, folder(tmp_path, "amounts", {"claims.csv": CLAIMS_HEADER + "\n" + "\n".join(rows) + "\n"}))
    assert (s.total("rows_read"), s.total("loaded"), s.total("quarantined")) == (7, 1, 6) and balanced(s)
    got = quarantined(db, s.load_id)
    assert [(r[0], r[1], r[2]) for r in got] == [
        (2, "total_charge", "max"), (3, "total_charge", "inf"), (4, "total_charge", "nan"),
        (5, "total_charge", "check__cents"), (6, "total_charge", "min"), (8, "claim_id", "max_length"),
        (8, "member_id", "max_length"), (8, "patient_id", "max_length")]      # claim() derives both from the id
    assert got[0][3].endswith("field total_charge: value '10000000000000000000' is above the allowed maximum "
                              "(1,000,000,000,000)")
    assert got[1][3].endswith("value 'inf' is not a finite number")
    assert got[2][3].endswith("value 'nan' is not a number")
    assert got[3][3].endswith("value '12.349' has more than 2 decimal places (amounts are dollars and cents)")
    assert got[4][3].endswith("value '-5.00' is below the allowed minimum (0)")
    assert got[5][3].endswith(f"value '{'X' * 60}… (300 characters)' is longer than 50 characters")
    assert connect(db).sql("SELECT total_charge FROM claim WHERE claim_id = 'A6'").fetchall()[0][0] == Decimal("12.34")


def test_a_ragged_row_or_bytes_not_utf8_quarantine_that_row_alone(tmp_path):
    db = core(tmp_path)
    body = (CLAIMS_HEADER + "\n" + claim("G1") + "\n" + claim("G2") + ",extra\n").encode() \
        + claim("G\xe93").encode("latin-1") + b"\n" + claim("G4").encode() + b"\n"
    s = load(db, folder(tmp_path, "ragged", {"claims.csv": body}))
    assert (s.total("rows_read"), s.total("loaded"), s.total("quarantined")) == (4, 2, 2) and balanced(s)
    path = str(tmp_path / "ragged" / "claims.csv")
    assert quarantined(db, s.load_id) == [
        (3, "row", "fields", f"{path}, row 3: 17 fields where the header has 16 (a value with a comma must be in quotes)"),
        (4, "claim_id", "encoding", f"{path}, row 4, field claim_id: bytes that are not UTF-8 (the file is in another "
                                    "encoding; save it as UTF-8)")]
    assert connect(db).sql("SELECT claim_id, source_row FROM claim WHERE claim_id LIKE 'G%' ORDER BY 1").fetchall() \
        == [("G1", 2), ("G4", 5)]


def test_header_problems_name_the_kind_and_column(tmp_path):
    db = core(tmp_path)
    no_submitted = CLAIMS_HEADER.replace(",submitted_date", "")
    s = load(db, folder(tmp_path, "headers", {
        "a_missing.csv": no_submitted + "\n" + claim("H1").replace(",2026-05-05,", ",", 1) + "\n",
        "b_twice.csv": CLAIMS_HEADER + ",claim_id\n" + claim("H2") + ",H2b\n",
        "c_words.csv": CLAIMS_HEADER.replace("claim_id,", "Claim ID,", 1).replace("frequency_code", "Frequency-Code")
        + "\n" + claim("H3", frequency="7").replace(",7,,", ",7,C1,") + "\n",
        "d_empty.csv": "",
    }))
    assert [(f.rows_read, f.loaded, f.quarantined) for f in s.files] == [(1, 0, 1), (1, 0, 1), (1, 1, 0), (1, 0, 1)]
    msgs = [m for _, _, _, m in quarantined(db, s.load_id)]
    assert msgs[0].endswith("a_missing.csv: header looks like claims but lacks the required column(s) submitted_date "
                            "(docs/input-format.md) (1 row)")
    assert msgs[1].endswith("b_twice.csv: the header names claim_id more than once: which column to read is ambiguous "
                            "(1 row)")
    assert msgs[2].endswith("d_empty.csv: the file is empty (not even a header): nothing to load; was the transfer "
                            "cut short? (1 row)")


def test_codes_match_whatever_their_case_and_list_the_allowed_values(tmp_path):
    db = core(tmp_path)
    s = load(db, folder(tmp_path, "codes", {
        "remits.csv": "remit_claim_id,payer_id,trace_number,remit_date,patient_control_number,claim_status,"
                      "claim_charge,claim_paid\nK1,PAYA,TRN-K,2026-05-20,C2,4,100.00,0\n",
        "adj.csv": "remit_claim_id,line_number,group_code,carc,amount\nK1,,co,16,100.00\nK1,,XX,16,1.00\n"}))
    assert (s.total("loaded"), s.total("quarantined")) == (2, 1) and balanced(s)
    assert connect(db).sql("SELECT group_code FROM adjustment WHERE carc = '16' AND amount = 100").fetchall() == [("CO",)]
    assert quarantined(db, s.load_id)[0][3].endswith("field group_code: value 'XX' cannot be read as one of "
                                                     "CO, PR, OA, PI, CR")


def test_a_conflict_within_one_load_says_so(tmp_path):
    db = core(tmp_path)
    s = load(db, folder(tmp_path, "conflict", {"claims.csv": f"{CLAIMS_HEADER}\n{claim('F1')}\n{claim('F1', '99.00')}\n"
                                                             f"{claim('C1', '1.00')}\n"}))
    msgs = [m for _, _, _, m in quarantined(db, s.load_id)]
    assert msgs[0].endswith("row 3: claim_id F1 comes earlier in this load with different values; send a "
                            "replacement claim (frequency 7) or correct the file")
    assert msgs[1].endswith("row 4: claim_id C1 was already loaded with different values; send a replacement "
                            "claim (frequency 7) or correct the file")


def test_parquet_dates_written_as_timestamps_read_as_dates(tmp_path):
    db = core(tmp_path)
    d = tmp_path / "pq"
    d.mkdir()
    base = dict(zip(CLAIMS_HEADER.split(","), claim("P1").split(",")))
    frame = pl.DataFrame([base]).with_columns(
        pl.lit(dt.datetime(2026, 5, 4)).alias("service_date_from"),
        pl.lit(dt.datetime(2026, 5, 5, 0, 0)).alias("submitted_date"), pl.lit(100.0).alias("total_charge"))
    frame.write_parquet(d / "claims.parquet")
    s = load(db, d)
    assert (s.total("loaded"), s.total("quarantined")) == (1, 0)
    assert connect(db).sql("SELECT service_date_from, submitted_date FROM claim WHERE claim_id = 'P1'").fetchall() \
        == [(dt.date(2026, 5, 4), dt.date(2026, 5, 5))]


def test_an_unreadable_file_is_named_and_the_rest_loads(tmp_path):
    db = tmp_path / "w.duckdb"
    d = tmp_path / "in"
    d.mkdir()
    for f in ("sites.csv", "payers.csv", "providers.csv", "claims.csv"):
        (d / f).write_bytes((FIXTURES / "core" / f).read_bytes())
    (d / "zz_link.csv").symlink_to(tmp_path / "nowhere.csv")
    r = run_cli("etl", "load", "--db", str(db), str(d))
    assert r.returncode == 3, r.stderr
    assert f"quarantined: {d / 'zz_link.csv'}: cannot be read (No such file or directory)" in r.stdout
    assert "Traceback" not in r.stderr
    assert connect(db).sql("SELECT count(*) FROM claim").fetchall()[0][0] > 0


def test_an_appeal_of_no_loaded_claim_is_listed_until_its_claim_arrives(tmp_path):
    from warehouse import quality
    db = core(tmp_path)
    s = load(db, folder(tmp_path, "appeal", {
        "appeals.csv": "appeal_id,claim_id,appeal_level,filed_date,decided_date,outcome,recovered_amount\n"
                       "AP-O1,O1,1,2026-05-20,2026-06-01,won,75.00\n",
        "write_offs.csv": "claim_id,write_off_date,amount,reason\nO1,2026-06-02,25.00,other\n"}))
    assert s.total("loaded") == 2
    assert quality.orphan_follow_ups(connect(db)).select("record", "rows", "dollars").rows() == [
        ("appeal", 1, 75.0), ("write-off", 1, 25.0)]
    load(db, folder(tmp_path, "claim", {"claims.csv": f"{CLAIMS_HEADER}\n{claim('O1')}\n"}))
    con = connect(db)
    assert quality.orphan_follow_ups(con).height == 0
    assert con.sql("SELECT appeals, written_off_dollars FROM m_claim WHERE claim_id = 'O1'").fetchall() == [(1, 25)]


def test_a_quarantined_patient_identifier_is_never_quoted_or_stored(tmp_path):
    """A row is checked before its patient id is pseudonymised: a bad patient or member id is named
    by its field, without its value (NM109 allows 80 characters; these have 90)."""
    db = core(tmp_path)
    pid, mid = "MRN-" + "7" * 86, "MEM-" + "8" * 86
    row = claim("Q1").replace("MRN-9Q1", pid).replace("ABC9Q1", mid)
    s = load(db, folder(tmp_path, "pid", {"claims.csv": f"{CLAIMS_HEADER}\n{row}\n"}))
    assert s.total("quarantined") == 1
    got = connect(db).sql("SELECT field, value, message FROM quarantine WHERE load_id = ? ORDER BY field",
                          params=[s.load_id]).fetchall()
    assert [(f, v) for f, v, _ in got] == [("member_id", None), ("patient_id", None)]
    assert got[1][2].endswith("row 2, field patient_id: is longer than 80 characters")
    assert not any(pid in m or mid in m for m in s.messages)


def test_the_row_by_row_reader_streams_a_big_file_in_batches(tmp_path, monkeypatch):
    """A file the fast reader refuses is read in batches (never whole as Python lists); rows keep their
    numbers across batches and the file stays one tabular unit."""
    import etl.readers
    monkeypatch.setattr(etl.readers, "ROWS_PER_BATCH", 2)
    db = core(tmp_path)
    rows = [claim(f"B{i}") for i in range(5)]
    rows[3] += ",extra"
    s = load(db, folder(tmp_path, "big", {"claims.csv": CLAIMS_HEADER + "\n" + "\n".join(rows) + "\n"}))
    assert (s.total("loaded"), s.total("quarantined"), s.files[0].units) == (4, 1, 1)
    assert [r[0] for r in quarantined(db, s.load_id)] == [5]
    assert connect(db).sql("SELECT list(source_row ORDER BY claim_id) FROM claim WHERE claim_id LIKE 'B%'").fetchall() \
        == [([2, 3, 4, 6],)]
    assert connect(db).sql("SELECT format FROM load_file WHERE load_id = ?", params=[s.load_id]).fetchall() \
        == [("tabular",)]


def test_a_file_quarantined_for_a_bad_value_is_not_read_again_over_newer_rows(tmp_path):
    """Only rows quarantined for a parent not yet loaded are retried: appeals take the latest row, so
    Monday's file read again would put a decided appeal back to pending (found by the review)."""
    db = core(tmp_path)
    head = "appeal_id,claim_id,appeal_level,filed_date,decided_date,outcome,recovered_amount\n"
    mon = folder(tmp_path, "mon", {"appeals.csv": head + "AP-M,C1,2,2026-05-20,,pending,\nAP-X,C1,2,2026-13-01,,pending,\n"})
    assert load(db, mon).total("quarantined") == 1
    load(db, folder(tmp_path, "wed", {"appeals.csv": head + "AP-M,C1,2,2026-05-20,2026-05-27,won,150.00\n"}))
    again = load(db, mon)
    assert again.files[0].whole_file_duplicate
    assert connect(db).sql("SELECT outcome, recovered_amount FROM appeal WHERE appeal_id = 'AP-M'").fetchall() \
        == [("won", Decimal("150.00"))]


def test_the_row_by_row_reader_numbers_blank_lines_and_keeps_rows_read_before_an_error(tmp_path):
    """A ragged row sends the file to the row-by-row reader: a blank line is a row (as the fast reader
    counts it), and an unclosed quote that runs past a field's size ends the file as one quarantined
    unit without losing the rows read before it (found by the review)."""
    import csv
    db = core(tmp_path)
    limit = csv.field_size_limit(200)          # an unclosed quote then swallows more than a field may hold
    try:
        body = (CLAIMS_HEADER + "\n" + claim("L1") + "\n\n" + claim("L2") + ",extra\n" + claim("L3") + "\n"
                + claim("L4").replace(",11,", ',"11,', 1) + "\n" + "\n".join(claim(f"M{i}") for i in range(5)) + "\n")
        s = load(db, folder(tmp_path, "blank", {"claims.csv": body}))
    finally:
        csv.field_size_limit(limit)
    got = quarantined(db, s.load_id)
    # row 3 is the blank line (required fields empty), row 4 the ragged one; L1 and L3 load; the rest
    # from row 6 on cannot be read (the quote never closes) and is one quarantined unit
    assert {r[0] for r in got if r[0] is not None} == {3, 4}
    assert any(r[0] == 4 and r[2] == "fields" for r in got)
    assert any(r[0] is None and "cannot be read as CSV from row 6 on" in r[3]
               and "its last 6 lines are quarantined unread" in r[3] for r in got)
    # rows 2-11 of the file: L1, L3 loaded; rows 3 and 4 quarantined alone; L4 and M0-M4 (6 lines) as a unit
    f = s.files[0]
    assert (f.rows_read, f.loaded, f.quarantined) == (10, 2, 8)
    assert connect(db).sql("SELECT list(claim_id ORDER BY claim_id) FROM claim WHERE claim_id SIMILAR TO '[LM][0-9]'"
                           ).fetchall() == [(["L1", "L3"],)]
    assert balanced(s)


def test_a_value_swallowed_by_an_unclosed_quote_is_never_quoted(tmp_path):
    """An unclosed quote reads the next fields and rows into one value, patient ids included: the
    message says so without the value, and the quarantine stores none."""
    db = core(tmp_path)
    bad = claim("U1").replace(",1111111112,", ',"1111111112,', 1)
    s = load(db, folder(tmp_path, "quote", {"claims.csv": f"{CLAIMS_HEADER}\n{bad}\n{claim('U2')}\n{claim('U3')}\n"}))
    got = connect(db).sql("SELECT field, value, message FROM quarantine WHERE load_id = ?", params=[s.load_id]).fetchall()
    assert got and all("MRN-9U" not in (v or "") + m and "ABC9U" not in (v or "") + m for _, v, m in got)
    assert any(f == "billing_npi" and v is None and "a value spanning fields or lines (an unclosed quote?)" in m
               for f, v, m in got)
    assert balanced(s)


def test_a_file_without_a_header_is_not_quoted_and_big_amounts_keep_their_cents(tmp_path):
    db = core(tmp_path)
    s = load(db, folder(tmp_path, "nohead", {"claims.csv": claim("N1") + "\n" + claim("N2") + "\n",
                                             "big.csv": f"{CLAIMS_HEADER}\n{claim('N3', '1234567890.12')}\n"}))
    msg = quarantined(db, s.load_id)[0][3]
    assert "MRN-9N1" not in msg and "the first row matches no input kind (0 of its 16 names are input-format " \
                                   "columns; is the header missing?)" in msg
    assert connect(db).sql("SELECT total_charge FROM claim WHERE claim_id = 'N3'").fetchall() \
        == [(Decimal("1234567890.12"),)]


def test_a_write_off_taken_back_and_a_reason_outside_the_list_load_as_sent(tmp_path):
    """docs/input-format.md, write_offs: C6's $250 write-off (05-20) taken back on 05-21 (-250) returns
    $250 to insurance A/R ($410 -> $660 at 05-21, tests/fixtures/core.md) and to C6's open denied dollars
    (0 -> 250), and the week's written-off dollars net to 0; C7's write-off under the practice's own
    code 'SMBAL' loads and is shown as sent."""
    from warehouse.query import Filters, kpis
    from warehouse.scope import Scope
    db = core(tmp_path)
    s = load(db, folder(tmp_path, "wo", {"write_offs.csv": "claim_id,write_off_date,amount,reason\n"
                                                           "C6,2026-05-21,-250.00,timely_filing\n"
                                                           "C7,2026-05-21,20.00,SMBAL\n"}))
    assert (s.total("loaded"), s.total("quarantined")) == (2, 0)
    con = connect(db)
    week = Filters.make(date_from="2026-05-11", date_to="2026-05-17")
    r = kpis(con, scope=Scope.all(), filters=week, kpi_keys=["written_off_dollars", "open_denied_dollars"]).to_dicts()[0]
    # the W20 cohort: written off 250 - 250 + 20; open C2 100 + C6 250 + C7 (120 - 20)
    assert (r["written_off_dollars"], r["open_denied_dollars"]) == (20, 450)
    # A/R at 05-21: 410 + 250 (C6 back) - 20 (C7)
    assert kpis(con, scope=Scope.all(), as_of="2026-05-21", kpi_keys=["ar_balance"])["ar_balance"].to_list() == [640]
    assert con.sql("SELECT claim_id, write_off_reason FROM m_claim WHERE claim_id IN ('C6', 'C7') ORDER BY 1"
                   ).fetchall() == [("C6", "timely_filing"), ("C7", "SMBAL")]


def test_lines_are_counted_as_the_row_by_row_reader_splits_them(tmp_path):
    """The rest of a file after a csv.Error counts as its lines, as csv's line_num counts them: LF, CRLF
    and a lone CR (inside a quoted value) each end one (found by a review: a lone CR made it 9 of 10)."""
    import io
    from etl.readers import _line_count
    for i, data in enumerate([b"a\nb\nc", b"a\r\nb\r\n", b'h\n"x\ry",1\nz\n', b"a\rb\r", b""]):
        p = tmp_path / f"f{i}.csv"
        p.write_bytes(data)
        with io.TextIOWrapper(open(p, "rb"), encoding="utf-8", newline="") as text:
            assert _line_count(p) == sum(1 for _ in text) == [3, 2, 4, 2, 0][i]


def _three_transaction_835(tmp_path: Path) -> Path:
    """One interchange, three 835 transactions of one claim each (C3001-C3003); the second
    transaction's service date (segment 31) is 2024-13-40."""
    src = (FIXTURES / "x12" / "two_interchanges.x12").read_text().split("IEA*1*000004007~")[0]
    head, tx = src.split("ST*835*0001*005010X221A1~")
    tx = "ST*835*0001*005010X221A1~" + tx.split("GE*")[0]

    def transaction(n: int, pcn: str, date: str) -> str:
        return (tx.replace("ST*835*0001", f"ST*835*000{n}").replace("SE*16*0001", f"SE*16*000{n}")
                .replace("C2002", pcn).replace("UHC0000202", "UHC" + pcn).replace("DTM*472*20240321", f"DTM*472*{date}"))

    d = tmp_path / "era"
    d.mkdir()
    (d / "three.835").write_text(head + transaction(1, "C3001", "20240321") + transaction(2, "C3002", "20241340")
                                 + transaction(3, "C3003", "20240322") + "GE*3*1~IEA*1*000004007~")
    return d


def test_a_bad_row_in_one_835_transaction_names_that_transaction_when_the_file_is_checked_at_once(tmp_path, monkeypatch):
    """A file's transactions are validated together (one check per kind, etl/load.py CHECK_ROWS) and
    handed back per transaction: the bad date is quarantined under transaction 2 with its segment
    number, the other transactions' lines load, and the counts add up (15 rows read = 10 loaded + 4
    duplicates (the payer and payee named again in transactions 2 and 3) + 1 quarantined)."""
    import etl.load as loader
    calls = []
    real = loader.validate
    monkeypatch.setattr(loader, "validate", lambda kind, frame, path: calls.append(kind) or real(kind, frame, path))
    db = tmp_path / "w.duckdb"
    summary = load(db, _three_transaction_835(tmp_path), command="demo")
    assert sorted(calls) == sorted(set(calls))           # one check per kind, not per transaction
    assert (summary.total("rows_read"), summary.total("loaded"), summary.total("duplicates"),
            summary.total("quarantined")) == (15, 10, 4, 1)
    con = connect(db)
    try:
        assert con.sql("SELECT unit, kind, row_number, field, value, rule FROM quarantine").fetchall() == [
            ("ST*835*0002 (segments 19-34)", "remit_lines", 31, "service_date", "2024-13-40", "dtype")]
        assert con.sql("""SELECT a.patient_control_number, l.service_date::VARCHAR FROM adjudication_line l
                          JOIN adjudication a USING (event_seq) ORDER BY 1""").fetchall() == [
            ("C3001", "2024-03-21"), ("C3003", "2024-03-22")]
        assert con.sql("SELECT patient_control_number FROM adjudication ORDER BY 1").fetchall() == [
            ("C3001",), ("C3002",), ("C3003",)]
    finally:
        con.close()
