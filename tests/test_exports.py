"""The CSV and Excel exports (pages/ui_tables.py: export_buttons, export_workbook) read as the tables on the
screen: the same headers (the column config the table is drawn with), codes by their labels, money, rates,
counts, days and dates in Excel formats from that config (a KPI's from its unit in the registry), no member
id and no remit hash. Each test runs a page in AppTest on the core fixture (tests/fixtures/core) and opens
the bytes the download button would send with polars / openpyxl."""
from __future__ import annotations

import io
import re

import openpyxl
import polars as pl
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from conftest import app, registered_pages


@pytest.fixture
def files(monkeypatch) -> dict[str, bytes]:
    """Every file a download button hands to Streamlit's media storage in the test, by file id."""
    stored: dict[str, bytes] = {}
    keep = MemoryMediaFileStorage.load_and_get_id

    def load_and_get_id(self, data, mimetype, kind, filename=None):
        file_id = keep(self, data, mimetype, kind, filename)
        stored[file_id] = data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", load_and_get_id)
    return stored


def button(at, key: str):
    found = [b for b in at.get("download_button") if b.proto.id.endswith(key)]
    assert len(found) == 1, [b.proto.id for b in at.get("download_button")]
    return found[0]


def download(at, files, key: str) -> bytes:
    """The bytes of the download button whose key is `key`."""
    return files[button(at, key).proto.url.rsplit("/", 1)[-1].split(".")[0]]


def csv_of(at, files, key: str) -> pl.DataFrame:
    return pl.read_csv(io.BytesIO(download(at, files, key)), infer_schema=False)


def sheet(at, files, key: str, title: str | None = None):
    wb = openpyxl.load_workbook(io.BytesIO(download(at, files, key)))
    return wb[title] if title else wb.worksheets[0]


def header_row(ws) -> list[str]:
    return [c.value for c in ws[1]]


def cell(ws, column: str, row: int = 2):
    """The cell under header `column` in worksheet row `row` (2: the first data row)."""
    return ws.cell(row=row, column=header_row(ws).index(column) + 1)


RAW = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$|__")      # a column's internal name: payer_name, denial_rate__num


# ------------------------------------------------------------------ the payer drill-down
def test_claim_list_exports_under_the_screens_headers(monkeypatch, core_db, files):
    """The claim list (denied only, by denied dollars: C6 first, $250 timely filing at Acme Health, S2) as
    the table titles it: 'Claim', 'Days to pay' (days_to_adjudicate), 'Billed', 'Denied'; the columns it
    hides (site, payer, provider ids) under their words; root cause and stage by their labels."""
    at = app(monkeypatch, core_db, "pages/payer_drilldown.py")
    csv = csv_of(at, files, "pd-claims-x-csv")
    assert csv.columns == [
        "Claim", "Denied", "Open denied", "Root cause", "Denial group code", "CARC", "CARC description", "Payer name",
        "Site name", "Date of service", "Initial adjudication date", "Site ID", "Payer ID", "Payer class",
        "Provider NPI", "Provider", "Patient pseudonym", "Submitted date", "Days to pay", "Billed",
        "Initially denied", "Stage", "Recovered", "Written off", "Appeals", "Rejections", "Corrected claims",
        "Known from remit"]
    first = csv.row(0, named=True)
    assert (first["Claim"], first["Site ID"], first["Payer ID"], first["Payer name"], first["Date of service"],
            first["Days to pay"], first["Denied"], first["Root cause"], first["Stage"], first["Payer class"]) == \
        ("C6", "S2", "PAYA", "Acme Health", "2026-05-06", "7", "250.0", "Timely filing", "Back end", "Commercial")
    ws = sheet(at, files, "pd-claims-x-xlsx")
    assert header_row(ws) == csv.columns
    billed, days, dos = cell(ws, "Billed"), cell(ws, "Days to pay"), cell(ws, "Date of service")
    assert (billed.value, billed.number_format) == (250, "$#,##0.00")
    assert (days.value, days.number_format) == (7, "#,##0")
    assert (dos.value.date().isoformat(), dos.number_format, dos.is_date) == ("2026-05-06", "yyyy-mm-dd", True)
    assert cell(ws, "Root cause").value == "Timely filing"


def test_payer_scorecard_workbook_writes_rates_money_counts_and_days_in_their_formats(monkeypatch, core_db, files):
    """Acme Health (PAYA): 4 of 7 claims denied, $670 denied, days to pay 7 (median) over 6 timed claims,
    days in A/R 57.5: the rate as 0.0%, dollars as $#,##0.00, counts as #,##0, days as the table shows them
    (registry unit days: 0.0; the page's '%.0f' medians: 0). Each band pill says whose band it is."""
    at = app(monkeypatch, core_db, "pages/payer_drilldown.py")
    ws = sheet(at, files, "pd-card-x-xlsx")
    assert header_row(ws) == [
        "Payer ID", "Payer", "Claims adjudicated", "Denial rate", "Denial rate: band", "Denial rate: parts",
        "Denied dollars", "Denial rate ($)", "Denial rate ($): band", "Clean claim rate", "Clean claim rate: band",
        "Clean claim rate: parts", "Days to pay (median)", "Days to pay (90th pct)", "Claims timed", "Days in A/R",
        "Days in A/R: band", "Appeal win ratio", "Appeal win ratio: band", "Appeal win ratio: parts",
        "Recovered dollars", "Open denied dollars"]
    assert [cell(ws, h).value for h in ("Payer ID", "Payer", "Denial rate: band", "Denial rate: parts")] == \
        ["PAYA", "Acme Health", "too few", "4 of 7 claims"]
    formats = {h: (cell(ws, h).value, cell(ws, h).number_format) for h in
               ("Claims adjudicated", "Denial rate", "Denied dollars", "Days to pay (median)", "Claims timed",
                "Days in A/R")}
    assert formats == {"Claims adjudicated": (7, "#,##0"), "Denial rate": (pytest.approx(4 / 7), "0.0%"),
                       "Denied dollars": (670, "$#,##0.00"), "Days to pay (median)": (7, "0"),
                       "Claims timed": (6, "#,##0"), "Days in A/R": (pytest.approx(57.479, abs=1e-3), "0.0")}
    csv = csv_of(at, files, "pd-card-x-csv")
    assert csv.columns == header_row(ws) and not [c for c in csv.columns if RAW.search(c)]


def test_top_carc_and_chart_data_exports(monkeypatch, core_db, files):
    """The top-CARC table under its titles ('Adjusted $' in dollars, 'Claims' a count), and the data behind
    the payer × root cause chart (no table on the screen) under the registry's words: the ratio's parts
    and its share-of-the-whole flag named, not `denial_rate__num` or `denial_rate__share`."""
    at = app(monkeypatch, core_db, "pages/payer_drilldown.py")
    ws = sheet(at, files, "pd-carc-x-xlsx")
    assert header_row(ws) == ["Payer ID", "Payer", "Group", "CARC", "Claims", "Adjusted $", "Description"]
    assert [(cell(ws, h).value, cell(ws, h).number_format) for h in ("CARC", "Claims", "Adjusted $")] == \
        [("29", "General"), (1, "#,##0"), (250, "$#,##0.00")]
    heat = sheet(at, files, "pd-heat-x-xlsx")
    assert header_row(heat) == ["Payer ID", "Payer name", "Root cause", "Denied dollars", "Denial rate",
                                "Denial rate: Claims initially denied", "Denial rate: Claims adjudicated",
                                "Denial rate: share of the whole", "Claims denied"]
    # PAYA's authorization denials: 1 of its 7 claims, $200
    assert [(cell(heat, h).value, cell(heat, h).number_format) for h in
            ("Root cause", "Denied dollars", "Denial rate", "Denial rate: Claims initially denied",
             "Denial rate: Claims adjudicated", "Denial rate: share of the whole")] == \
        [("Authorization and referral", "General"), (200, "$#,##0.00"), (pytest.approx(1 / 7), "0.0%"), (1, "#,##0"), (7, "#,##0"),
         (True, "General")]


def test_whole_claim_workbook_names_remits_and_leaves_out_the_member_id(monkeypatch, core_db, files):
    """C8's three remits: R8A paid on 05-12, then on 05-19 a reversal (status 22) and its re-adjudication
    (status 1, CO-50): every sheet names a remit as its tab does, numbered (two share a day), never by its
    32-hex key; the masked member id the header shows is in no sheet; C1's contractual write-down (CO-45,
    not a denial) reads '—' for soft/hard, as on the screen, not 'none'."""
    at = app(monkeypatch, core_db, "pages/payer_drilldown.py")
    at.text_input(key="claim").input("C8").run()
    assert not at.exception
    wb = openpyxl.load_workbook(io.BytesIO(download(at, files, "pd-detail-all")))
    assert wb.sheetnames == ["Submissions", "Lines", "Adjudications", "Adjudication lines", "Adjustments", "Remarks",
                             "Rejections", "Appeals", "Write-offs", "Balance", "Claim"]
    remits = ["Remit 1 · 2026-05-12 · status 1 (processed as primary) · initial adjudication",
              "Remit 2 · 2026-05-19 · status 22 (reversal of previous payment) · reversal",
              "Remit 3 · 2026-05-19 · status 1 (processed as primary)"]
    adjudications = wb["Adjudications"]
    assert header_row(adjudications)[:3] == ["Remit", "Remit date", "Claim status"]
    assert [r[0].value for r in adjudications.iter_rows(min_row=2)] == remits
    assert [(c.value, c.number_format) for c in (cell(adjudications, "Claim paid", 3), cell(adjudications, "Remit date", 3))] \
        == [(-100, "$#,##0.00"), (cell(adjudications, "Remit date", 3).value, "yyyy-mm-dd")]
    adjustments = wb["Adjustments"]
    assert header_row(adjustments) == ["Remit", "Line", "Group", "CARC", "Description", "Amount", "Root cause",
                                       "Sub cause", "Stage", "Soft/hard", "Denial"]
    assert [(cell(adjustments, h).value) for h in ("Remit", "Group", "CARC", "Amount")] == [remits[2], "CO", "50", 100]
    # a remit line's root cause by its label too (it was written as its code, 'medical_necessity')
    lines = wb["Adjudication lines"]
    causes = [r[header_row(lines).index("Root cause")].value for r in lines.iter_rows(min_row=2)]
    assert "Medical necessity" in causes and not [c for c in causes if c and re.fullmatch(r"[a-z_]+", c)]
    tab = csv_of(at, files, "pd-detail-remit-lines-x-csv")            # the Adjudications tab's own download
    assert "Medical necessity" in tab["Root cause"].to_list()
    assert not [c for c in tab["Root cause"].drop_nulls() if re.fullmatch(r"[a-z_]+", c)]
    claim = wb["Claim"]
    assert cell(claim, "Initial adjudication").value == remits[0] and cell(claim, "Claim ID").value == "C8"
    values = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [v for v in values if re.fullmatch(r"[0-9a-f]{32}", v) or "****" in v or "member" in v.lower()]
    assert "****" in "\n".join(m.value for m in at.markdown)          # the screen shows the masked member id
    # paid, then taken back and denied: the screen says so, as the work queue lists it (tests/test_queue.py)
    assert ("Not denied on its initial adjudication; **denied after payment** on 2026-05-19: $100.00 open, root "
            "cause **Medical necessity**, CARC 50.") in "\n".join(m.value for m in at.markdown)
    assert [x.value for x in at.metric if x.label.startswith("Open denied")] == ["$100.00"]
    assert [x.label for x in at.metric if x.label.startswith("Open denied")] == ["Open denied after payment"]
    at.text_input(key="claim").input("C1").run()
    wb = openpyxl.load_workbook(io.BytesIO(download(at, files, "pd-detail-all")))
    co45 = [dict(zip(header_row(wb["Adjustments"]), (c.value for c in r))) for r in wb["Adjustments"].iter_rows(min_row=2)]
    assert [(r["CARC"], r["Root cause"], r["Stage"], r["Soft/hard"]) for r in co45 if r["CARC"] == "45"] == \
        [("45", "Not a denial", "—", "—")]


def test_no_export_of_any_page_carries_a_member_id_or_an_internal_name(monkeypatch, core_db, files):
    """Every download of every page (the payer drill-down with claim C1 open): no masked member id, no
    header written as an internal column name (snake_case or a kpis() helper's `__`)."""
    checked = 0
    for page in registered_pages():
        at = app(monkeypatch, core_db, page)
        if page == "pages/payer_drilldown.py":
            at.text_input(key="claim").input("C1").run()
        for b in at.get("download_button"):
            data = files.get(b.proto.url.rsplit("/", 1)[-1].split(".")[0])
            if not isinstance(data, bytes):
                continue                       # the weekly brief (HTML, built on click)
            if b.proto.url.endswith(".csv"):
                frame = pl.read_csv(io.BytesIO(data), infer_schema=False)
                headers, cells = frame.columns, [v for col in frame.iter_columns() for v in col.drop_nulls()]
            else:
                wb = openpyxl.load_workbook(io.BytesIO(data))
                headers = [h for ws in wb.worksheets for h in header_row(ws)]
                cells = [str(c.value) for ws in wb.worksheets for r in ws.iter_rows(min_row=2) for c in r]
            assert not [h for h in headers if RAW.search(str(h)) or "member" in str(h).lower()], (page, b.proto.id)
            assert not [v for v in cells if "****" in v], (page, b.proto.id)
            checked += 1
    assert checked >= 60


# ------------------------------------------------------------------ the work queue: its whole list
def test_work_queue_downloads_its_whole_list_under_the_tables_headers(monkeypatch, core_db, files):
    """A queue longer than the rows drawn: the prepared download of the whole list (a frame no table drew)
    writes the headers of the table above it: 'Open denied' in dollars, 'Win ratio' a percent, the
    deadline a date. C2 first (rank 1): $100 open, win ratio 50%, due 2026-07-15, of three (C2, C7, C8: test_pages_action)."""
    from pages import ui_tables
    monkeypatch.setattr(ui_tables, "LIST_ROWS", 1)
    at = app(monkeypatch, core_db, "pages/work_queue.py")
    at.button(key="wq-live-prepare").click().run()
    csv = csv_of(at, files, "wq-live-x-csv")
    assert csv.height == 3 and csv.columns[:14] == ["Rank", "Claim", "Open denied", "Expected recovery", "Days left",
                                                    "Deadline", "Action", "Payer", "Site", "Root cause",
                                                    "Owner team", "Win ratio", "Priority ($/day)", "Status"]
    # the site by its name, as the table shows it, and its id under its own words (it read 'Site' over the ids)
    assert "Payer ID" in csv.columns and "Site ID" in csv.columns
    assert csv.select("Claim", "Site", "Site ID").row(0) == ("C2", "Alpha Orthopedics", "S1")
    ws = sheet(at, files, "wq-live-x-xlsx")
    assert [(cell(ws, h).value, cell(ws, h).number_format) for h in ("Claim", "Open denied", "Win ratio", "Rank")] == \
        [("C2", "General"), (100, "$#,##0.00"), (0.5, "0.0%"), (1, "#,##0")]
    deadline = cell(ws, "Deadline")
    assert (deadline.value.date().isoformat(), deadline.number_format) == ("2026-07-15", "yyyy-mm-dd")


def test_the_lost_list_downloads_what_its_table_shows(monkeypatch, demo, files):
    """The lost denials' table shows no expected recovery or priority (nothing to expect past the deadline):
    its downloads leave them out too; they carried them unformatted, the priority headed 'Priority' where the
    live list says 'Priority ($/day)' (a review). Every lost denial of the demo, in the Excel as in the CSV."""
    from pages import ui_tables
    from warehouse import queue
    from warehouse.scope import Scope
    from warehouse.store import open_snapshot
    monkeypatch.setattr(ui_tables, "LIST_ROWS", 5)
    monkeypatch.setattr(ui_tables, "EAGER_EXCEL_ROWS", 10_000_000)
    at = app(monkeypatch, demo, "pages/work_queue.py")
    at.button(key="wq-lost-prepare").click().run()
    csv = csv_of(at, files, "wq-lost-x-csv")
    con, _ = open_snapshot(demo)
    as_of = con.sql("SELECT max(remit_date) FROM adjudication").fetchall()[0][0]
    lost = queue.work_queue(con, scope=Scope.all(), as_of=as_of, lost=True)
    assert csv.height == lost.height > 5
    assert not {"Expected recovery", "Priority", "Priority ($/day)", "Overdue"} & set(csv.columns)
    assert csv.columns[:4] == ["Rank", "Claim", "Open denied", "Days left"] and {"Site ID", "Site"} <= set(csv.columns)
    ws = sheet(at, files, "wq-lost-x-xlsx")
    assert header_row(ws) == csv.columns
    assert cell(ws, "Open denied").number_format == "$#,##0.00" and ws.max_row == lost.height + 1


def test_the_payer_procedure_download_says_it_holds_every_cell(monkeypatch, core_db, files):
    """The payer × procedure chart draws the 20 codes with the most denied dollars; its downloads hold every
    cell, and the caption and the buttons say so (a review took the file for the chart's cells)."""
    import re as _re
    at = app(monkeypatch, core_db, "pages/payer_drilldown.py")
    said = [c.value for c in at.caption if "The downloads hold every payer × code cell" in c.value]
    assert len(said) == 1
    n = int(_re.search(r"every payer × code cell \(([\d,]+)\)", said[0]).group(1).replace(",", ""))
    csv = csv_of(at, files, "pd-proc-x-csv")
    assert csv.height == n > 0
    assert button(at, "pd-proc-x-csv").label == "Download every payer × code cell (CSV)"
    # counts as whole numbers, the denial rate's parts too (they read '1.0' and '16.0': a review); C6's
    # claim-level denial at PAYA: 1 of 2 claims adjudicated at claim level (X11 paid), $250
    row = csv.filter(pl.col("Procedure code") == "(claim level)").row(0, named=True)
    assert (row["Claims adjudicated"], row["Claims denied"], row["Denial rate: Claims initially denied"],
            row["Denial rate: Claims adjudicated"], row["Denial rate"], row["Denied dollars"]) == \
        ("2", "1", "1", "2", "0.5", "250.0")
    ws = sheet(at, files, "pd-proc-x-xlsx")
    assert (cell(ws, "Claims adjudicated").number_format, cell(ws, "Denial rate: Claims adjudicated").number_format) == \
        ("#,##0", "#,##0")


# ------------------------------------------------------------------ the helpers a page names a table with
def test_kpi_units_give_the_excel_formats():
    """A KPI column's format comes from its unit in the registry (ut.kpi_column), as on the screen."""
    from pages import ui_tables as ut
    got = {k: ut.excel_format(ut.kpi_column(k), pl.Float64) for k in
           ("denial_rate", "denied_dollars", "ar_days", "claims_adjudicated")}
    assert got == {"denial_rate": "0.0%", "denied_dollars": "$#,##0.00", "ar_days": "0.0", "claims_adjudicated": "#,##0"}
    assert ut.excel_format(ut.kpi_column("claims_adjudicated"), pl.Int64) == "#,##0"
    assert ut.excel_format("Label only", pl.Float64) == "General" and ut.excel_format(None, pl.Int32) == "#,##0"
    assert ut.excel_format(None, pl.Date) == "yyyy-mm-dd" and ut.excel_format(None, pl.String) is None


def _one_table_export(db: str, claim: str) -> None:
    """A page drawing one claim's adjustments with its own titles and exporting them by name."""
    import streamlit as st

    from pages import ui_tables as ut
    from warehouse import claims
    from warehouse.scope import Scope
    from warehouse.store import open_snapshot
    con, _ = open_snapshot(db)
    d = claims.claim_detail(con, scope=Scope.all(), claim_id=claim)
    config = {"line_number": "Line", "group_code": "Group", "carc_description": st.column_config.TextColumn("Description"),
              "amount": st.column_config.NumberColumn("Amount", format="dollar")}
    adjustments = ut.with_remits(d["adjustments"], ut.remit_labels(d["adjudications"]))
    ut.table(adjustments, column_config=config)
    ut.export_buttons(adjustments, f"claim-{claim}-adjustments", "adj-x", what="adjustments")
    ut.export_buttons(d["appeals"], f"claim-{claim}-appeals", "appeals-x", what="appeals")


def test_a_named_export_says_what_it_holds(core_db, files):
    """export_buttons(..., what=...) names its table on both buttons, and a table drawn with a page's own
    titles exports under them (C8's one adjustment, on its third remit)."""
    at = AppTest.from_function(_one_table_export, kwargs={"db": str(core_db), "claim": "C8"}, default_timeout=60)
    at.run()
    assert not at.exception
    assert [button(at, k).proto.label for k in ("adj-x-csv", "adj-x-xlsx", "appeals-x-csv")] == \
        ["Download adjustments (CSV)", "Download adjustments (Excel)", "Download appeals (CSV)"]
    csv = csv_of(at, files, "adj-x-csv")
    assert csv.columns == ["Remit", "Line", "Group", "CARC", "Description", "Amount", "Root cause", "Sub cause",
                           "Stage", "Soft/hard", "Denial"]
    assert csv.select("Remit", "CARC", "Amount").row(0) == \
        ("Remit 3 · 2026-05-19 · status 1 (processed as primary)", "50", "100.0")
    ws = sheet(at, files, "adj-x-xlsx")
    assert (cell(ws, "Amount").value, cell(ws, "Amount").number_format) == (100, "$#,##0.00")
    assert csv_of(at, files, "appeals-x-csv").height == 0           # C8 was never appealed: headers only


# ------------------------------------------------------------------ the claim list: its whole selection
def test_claim_list_downloads_the_whole_selection_on_request(monkeypatch, core_db, files):
    """A selection longer than the list drawn (CLAIM_LIST_ROWS, 5,000; here 2): the buttons first say they
    hold the first rows; "Prepare downloads" reads the whole selection (the core fixture's 5 denied
    claims of the range: C1, C2, C6, C7, C9) under the table's headers (a reviewer: capped at 5,000)."""
    from pages import ui_tables
    monkeypatch.setattr(ui_tables, "CLAIM_LIST_ROWS", 2)
    at = app(monkeypatch, core_db, "pages/payer_drilldown.py")
    assert button(at, "pd-claims-x-csv").proto.label == "Download the first 2 claims (CSV)"
    assert csv_of(at, files, "pd-claims-x-csv").height == 2
    at.button(key="pd-claims-prepare").click().run()
    assert not at.exception
    assert button(at, "pd-claims-x-csv").proto.label == "Download all 5 claims (CSV)"
    csv = csv_of(at, files, "pd-claims-x-csv")
    assert sorted(csv["Claim"]) == ["C1", "C2", "C6", "C7", "C9"] and "Days to pay" in csv.columns
    assert csv.columns[:3] == ["Claim", "Denied", "Open denied"]          # as the table, the whole list too


def test_root_cause_claims_download_the_whole_selection_on_request(monkeypatch, demo_db, files):
    """The root causes' inline claim list (ui_action.claim_table, 500 rows drawn; here 3) says its files
    hold the first rows, and offers the whole selection, as the payer drill-down's list (a review found
    the files stopping at 500 of 559 claims without a word): every claim of the caption's count."""
    import re

    from pages import ui_action
    monkeypatch.setattr(ui_action, "CLAIM_TABLE_ROWS", 3)
    at = app(monkeypatch, demo_db, "pages/root_causes.py")
    total = int(next(m.group(1) for c in at.caption if (m := re.match(r"3 of ([\d,]+) claims", c.value)))
                .replace(",", ""))
    assert total > 3
    assert button(at, "rc-claims-x-csv").proto.label == "Download the first 3 claims (CSV)"
    assert csv_of(at, files, "rc-claims-x-csv").height == 3
    at.button(key="rc-claims-prepare").click().run()
    assert not at.exception
    assert button(at, "rc-claims-x-csv").proto.label == f"Download all {total:,} claims (CSV)"
    every = csv_of(at, files, "rc-claims-x-csv")
    assert every.height == total and every["Claim"].n_unique() == total


def test_a_short_table_is_drawn_whole(monkeypatch):
    """Streamlit's automatic height shows 10 rows: a 12-payer scorecard hid two payers behind an inner
    scroll (a review). Up to 25 rows a table gets the height of all its rows (35 px each and the
    header, 3 px of border); 10 or fewer keep the automatic height, a long one its 10-row window, and a
    height the page asks for is kept."""
    from pages import ui_tables
    asked = []
    monkeypatch.setattr(ui_tables.st, "dataframe", lambda data, **kw: asked.append(kw.get("height")))
    for rows in (10, 12, 25, 26):
        ui_tables.dataframe(pl.DataFrame({"n": list(range(rows))}))
    ui_tables.dataframe(pl.DataFrame({"n": list(range(12))}), height=200)
    assert asked == [None, 13 * 35 + 3, 26 * 35 + 3, None, 200]
