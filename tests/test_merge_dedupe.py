"""The merge's duplicates and conflicts inside one load and against earlier loads, counted per file.

warehouse/ingest.py compares (hashes, ranks) only the rows whose key repeats in the load or is
already loaded, and loads every other row as it is; these counts, worked out by hand, hold either
way. Files of one kind are merged in file order (claims_1 before claims_2); row numbers count the header."""
from __future__ import annotations

import shutil

from conftest import FIXTURES, connect, load

CLAIM_HEAD = ("claim_id,patient_control_number,frequency_code,original_claim_id,site_id,rendering_npi,billing_npi,"
              "payer_id,patient_id,member_id,service_date_from,service_date_to,submitted_date,total_charge,"
              "place_of_service,prior_auth_number\n")
LINE_HEAD = "claim_id,line_number,procedure_code,modifier_1,modifier_2,units,line_charge,service_date\n"
REMIT_HEAD = ("remit_claim_id,payer_id,trace_number,remit_date,patient_control_number,claim_status,claim_charge,"
              "claim_paid,patient_responsibility,payer_claim_number,rendering_npi\n")
RLINE_HEAD = "remit_claim_id,line_number,procedure_code,modifier_1,units,line_charge,line_paid\n"
ADJ_HEAD = "remit_claim_id,line_number,group_code,carc,amount\n"


def claim(cid: str, charge: str) -> str:
    return f"{cid},,1,,S1,1234567893,1111111112,PAYA,MRN-{cid},ABC{cid},2026-05-04,,2026-05-05,{charge},11,\n"


def write(d, name: str, text: str) -> None:
    (d / name).write_text(text)


def folder(tmp_path, name: str, files: dict[str, str], references: bool = False):
    """A folder of input files for one load (with the core fixture's sites, payers and providers)."""
    d = tmp_path / name
    d.mkdir()
    if references:
        for ref in ("sites.csv", "payers.csv", "providers.csv"):
            shutil.copy(FIXTURES / "core" / ref, d / ref)
    for file, text in files.items():
        write(d, file, text)
    return d


def counts(summary) -> dict[str, tuple[int, int, int, int]]:
    return {f.path.rsplit("/", 1)[-1]: (f.rows_read, f.loaded, f.duplicates, f.quarantined) for f in summary.files}


def assert_children_carry_their_remits_event_seq(con) -> None:
    """A remit's lines, adjustments and remarks carry the event_seq of a loaded remit (the only name
    they keep of it, schema 6), also when they arrived with a duplicate of it or in a later load;
    which remit is checked by the callers' joins on it (the CARCs each remit got)."""
    for table in ("adjudication_line", "adjustment"):
        rows, wrong = con.sql(f"""SELECT count(*), count(*) FILTER (WHERE a.event_seq IS NULL)
                                  FROM {table} t LEFT JOIN adjudication a USING (event_seq)""").fetchall()[0]
        assert rows > 0 and wrong == 0, table


def test_duplicates_and_conflicts_within_one_load_and_against_the_warehouse(tmp_path):
    d = tmp_path / "day1"
    d.mkdir()
    for ref in ("sites.csv", "payers.csv", "providers.csv"):
        shutil.copy(FIXTURES / "core" / ref, d / ref)
    write(d, "claims_1.csv", CLAIM_HEAD + claim("N1", "300.00") + claim("N2", "100.00"))
    # N1 again, identical: duplicate; N2 again with another charge: conflict; N3 new
    write(d, "claims_2.csv", CLAIM_HEAD + claim("N1", "300.00") + claim("N2", "999.00") + claim("N3", "50.00"))
    write(d, "claim_lines_1.csv", LINE_HEAD + "N1,1,99213,25,,1,100.00,2026-05-04\nN1,2,20610,RT,,1,200.00,2026-05-04\n")
    # N1/1 identical: duplicate; N1/2 with another charge: conflict; N3/1 new
    write(d, "claim_lines_2.csv", LINE_HEAD + "N1,1,99213,25,,1,100.00,2026-05-04\nN1,2,20610,RT,,1,250.00,2026-05-04\n"
                                             "N3,1,99212,,,1,50.00,2026-05-04\n")
    # RD and RE: the same content twice in one file (a payer sent the claim twice on one ERA): two remits
    write(d, "remits_1.csv", REMIT_HEAD + "RA,PAYA,TRN-1,2026-05-12,N1,1,300.00,80.00,0,PA-1,\n"
                                          "RD,PAYA,TRN-2,2026-05-13,N3,4,50.00,0.00,0,PA-3,\n"
                                          "RE,PAYA,TRN-2,2026-05-13,N3,4,50.00,0.00,0,PA-3,\n")
    # RB is RA's remit sent again (same content, another file): duplicate, and so are its children
    write(d, "remits_2.csv", REMIT_HEAD + "RB,PAYA,TRN-1,2026-05-12,N1,1,300.00,80.00,0,PA-1,\n"
                                          "RC,PAYA,TRN-1,2026-05-12,N3,1,50.00,40.00,0,PA-3,\n")
    write(d, "remit_lines_1.csv", RLINE_HEAD + "RA,1,99213,25,1,100.00,80.00\nRA,2,20610,RT,1,200.00,0.00\n")
    write(d, "remit_lines_2.csv", RLINE_HEAD + "RB,1,99213,25,1,100.00,80.00\nRC,1,99212,,1,50.00,40.00\n")
    write(d, "remit_adjustments_1.csv", ADJ_HEAD + "RA,1,CO,45,20.00\nRA,2,CO,197,200.00\n")
    # RA's first adjustment sent again in another file of the same load: a duplicate too; RB's PR-3
    # is new: RA's, like the rest of RB
    write(d, "remit_adjustments_2.csv", ADJ_HEAD + "RB,1,CO,45,20.00\nRB,2,CO,197,200.00\nRC,1,CO,45,10.00\n"
                                                   "RA,1,CO,45,20.00\nRB,2,PR,3,1.00\n")
    db = tmp_path / "w.duckdb"
    s = load(db, d)
    c = counts(s)
    # (read, loaded, duplicates, quarantined)
    assert c["claims_1.csv"] == (2, 2, 0, 0)
    assert c["claims_2.csv"] == (3, 1, 1, 1)
    assert c["claim_lines_1.csv"] == (2, 2, 0, 0)
    assert c["claim_lines_2.csv"] == (3, 1, 1, 1)
    assert c["remits_1.csv"] == (3, 3, 0, 0)
    assert c["remits_2.csv"] == (2, 1, 1, 0)
    assert c["remit_lines_1.csv"] == (2, 2, 0, 0)
    assert c["remit_lines_2.csv"] == (2, 1, 1, 0)
    assert c["remit_adjustments_1.csv"] == (2, 2, 0, 0)
    assert c["remit_adjustments_2.csv"] == (5, 2, 3, 0)
    con = connect(db)
    try:
        # the first row of a key wins: N2 keeps its first charge, N1/2 its first line charge
        assert con.sql("SELECT claim_id, total_charge FROM claim ORDER BY 1").fetchall() == [
            ("N1", 300), ("N2", 100), ("N3", 50)]
        assert con.sql("SELECT claim_id, line_number, line_charge FROM claim_line ORDER BY 1, 2").fetchall() == [
            ("N1", 1, 100), ("N1", 2, 200), ("N3", 1, 50)]
        # in the order they arrived: file by file, row by row
        assert con.sql("SELECT remit_claim_id FROM adjudication ORDER BY event_seq").fetchall() == [
            ("RA",), ("RD",), ("RE",), ("RC",)]
        assert con.sql("SELECT count(DISTINCT adjudication_id) FROM adjudication").fetchall() == [(4,)]
        assert con.sql("SELECT count(*), sum(amount) FROM adjustment").fetchall() == [(4, 231)]
        assert con.sql("SELECT rule, field, row_number FROM quarantine ORDER BY field").fetchall() == [
            ("conflict", "claim_id", 3), ("conflict", "claim_id/line_number", 3)]
        # RB's PR-3 went to RA (its twin), with RA's event_seq
        assert_children_carry_their_remits_event_seq(con)
        assert con.sql("""SELECT j.group_code || '-' || j.carc FROM adjustment j JOIN adjudication a USING (event_seq)
                          WHERE a.remit_claim_id = 'RA' ORDER BY 1""").fetchall() == [("CO-197",), ("CO-45",), ("PR-3",)]
    finally:
        con.close()

    # a later load: a claim already loaded (duplicate) and a new one; RA's CO-45 on line 1 again
    # (a duplicate) and a PR-2 on line 1 (new: a late child); RA sent again as RF (a duplicate of a
    # loaded remit) with a CO-253 on line 2 (new: RA's child)
    c2 = counts(load(db, folder(tmp_path, "day2", {
        "claims.csv": CLAIM_HEAD + claim("N3", "50.00") + claim("N4", "75.00"),
        "remits.csv": REMIT_HEAD + "RF,PAYA,TRN-1,2026-05-12,N1,1,300.00,80.00,0,PA-1,\n",
        "remit_adjustments.csv": ADJ_HEAD + "RA,1,CO,45,20.00\nRA,1,PR,2,5.00\nRF,2,CO,253,1.00\n"})))
    assert c2["claims.csv"] == (2, 1, 1, 0)
    assert c2["remits.csv"] == (1, 0, 1, 0)
    assert c2["remit_adjustments.csv"] == (3, 2, 1, 0)
    con = connect(db)
    try:
        assert con.sql("SELECT count(*), sum(amount) FROM adjustment").fetchall() == [(6, 237)]
        assert con.sql("SELECT count(*) FROM claim").fetchall() == [(4,)]
        assert_children_carry_their_remits_event_seq(con)
        assert con.sql("""SELECT j.carc FROM adjustment j JOIN adjudication a USING (event_seq)
                          WHERE a.remit_claim_id = 'RA' ORDER BY j.carc""").fetchall() == [
            ("197",), ("2",), ("253",), ("3",), ("45",)]
    finally:
        con.close()


def test_a_remits_adjustments_sent_over_several_files_are_told_apart_by_content(tmp_path):
    """An adjustment has no id of its own: it is its remit, line, group code, CARC, amount and
    quantity, and which occurrence of that content it is within its remit in one file (a payer may
    send the same CO-45 twice on one line). A later file's adjustment for a remit already loaded is
    a duplicate only when that content is already there that many times, wherever it stood in its
    file (by position alone, a late PR-1 first in its file was taken for the CO-45 first in the
    remit's original file and lost)."""
    db = tmp_path / "w.duckdb"
    first = load(db, folder(tmp_path, "day1", {
        "claims.csv": CLAIM_HEAD + claim("N1", "300.00"),
        "remits.csv": REMIT_HEAD + "RA,PAYA,TRN-1,2026-05-12,N1,1,300.00,80.00,0,PA-1,\n",
        "remit_lines.csv": RLINE_HEAD + "RA,1,99213,25,1,100.00,80.00\nRA,2,20610,RT,1,200.00,0.00\n",
        # two identical CO-45 on line 1 (both are real), a CO-197 on line 2
        "remit_adjustments.csv": ADJ_HEAD + "RA,1,CO,45,10.00\nRA,1,CO,45,10.00\nRA,2,CO,197,200.00\n"},
        references=True))
    assert counts(first)["remit_adjustments.csv"] == (3, 3, 0, 0)
    c2 = counts(load(db, folder(tmp_path, "day2", {
        # a late PR-1 on line 1 (first in its file), the CO-197 again (second in its file), then
        # CO-45 three times: two are the loaded ones, the third is one more
        "remit_adjustments_a.csv": ADJ_HEAD + "RA,1,PR,1,7.00\nRA,2,CO,197,200.00\n"
                                              "RA,1,CO,45,10.00\nRA,1,CO,45,10.00\nRA,1,CO,45,10.00\n",
        # the same late PR-1 in a second file of the same load: a duplicate of the first
        "remit_adjustments_b.csv": ADJ_HEAD + "RA,1,PR,1,7.00\n"})))
    assert c2["remit_adjustments_a.csv"] == (5, 2, 3, 0)
    assert c2["remit_adjustments_b.csv"] == (1, 0, 1, 0)
    con = connect(db)
    try:
        assert con.sql("SELECT line_number, group_code, carc, count(*), sum(amount) FROM adjustment "
                       "GROUP BY ALL ORDER BY ALL").fetchall() == [
            (1, "CO", "45", 3, 30), (1, "PR", "1", 1, 7), (2, "CO", "197", 1, 200)]
    finally:
        con.close()


def test_an_adjustments_seq_is_its_place_among_its_remits_adjustments_in_its_file(tmp_path):
    """`seq` (what ranks equal-amount denials: the first in its file wins, model 04) numbers a
    remit's adjustments in one file by row, whatever rows of other remits stand between them; a
    later file numbers that remit's new adjustments from 1 again. It is set when the rows are staged
    (ingest.Stager), not by a window over every staged adjustment."""
    db = tmp_path / "w.duckdb"
    load(db, folder(tmp_path, "day1", {
        "claims.csv": CLAIM_HEAD + claim("N1", "300.00") + claim("N2", "100.00"),
        "remits.csv": REMIT_HEAD + "RA,PAYA,TRN-1,2026-05-12,N1,1,300.00,80.00,0,PA-1,\n"
                                   "RB,PAYA,TRN-1,2026-05-12,N2,1,100.00,0.00,0,PA-2,\n",
        # RA's and RB's rows interleaved
        "remit_adjustments.csv": ADJ_HEAD + "RA,1,CO,45,10.00\nRB,,CO,197,100.00\nRA,1,CO,45,10.00\n"
                                            "RB,,PR,1,5.00\nRA,2,CO,97,200.00\n"},
        references=True))
    load(db, folder(tmp_path, "day2", {"remit_adjustments.csv": ADJ_HEAD + "RB,,OA,23,1.00\nRA,1,PR,2,3.00\n"}))
    con = connect(db)
    try:
        assert con.sql("""SELECT a.remit_claim_id, j.seq, j.group_code || '-' || j.carc, j.amount
                          FROM adjustment j JOIN adjudication a USING (event_seq) ORDER BY ALL""").fetchall() == [
            ("RA", 1, "CO-45", 10), ("RA", 1, "PR-2", 3), ("RA", 2, "CO-45", 10), ("RA", 3, "CO-97", 200),
            ("RB", 1, "CO-197", 100), ("RB", 1, "OA-23", 1), ("RB", 2, "PR-1", 5)]
    finally:
        con.close()


def test_two_files_of_adjustments_in_one_load_number_each_files_rows_apart(tmp_path):
    """The small frames of a load are gathered into one insert (ingest.Stager); `seq` still counts
    a remit's adjustments within each file: file b's PR-2 is RA's first adjustment there, not its third."""
    db = tmp_path / "w.duckdb"
    load(db, folder(tmp_path, "day1", {
        "claims.csv": CLAIM_HEAD + claim("N1", "300.00"),
        "remits.csv": REMIT_HEAD + "RA,PAYA,TRN-1,2026-05-12,N1,1,300.00,80.00,0,PA-1,\n",
        "remit_adjustments_a.csv": ADJ_HEAD + "RA,1,CO,45,10.00\nRA,2,CO,97,200.00\n",
        "remit_adjustments_b.csv": ADJ_HEAD + "RA,1,PR,2,3.00\n"}, references=True))
    con = connect(db)
    try:
        assert con.sql("SELECT seq, group_code || '-' || carc FROM adjustment ORDER BY seq, group_code"
                       ).fetchall() == [(1, "CO-45"), (1, "PR-2"), (2, "CO-97")]
    finally:
        con.close()


def test_the_stager_gathers_small_frames_per_kind_and_keeps_their_order():
    """Frames below the batch size wait (one insert per kind instead of one per file: a day of
    remits comes as many small files); reaching it, or flush(), inserts them in file order."""
    import duckdb
    import polars as pl
    from warehouse import ingest

    con = duckdb.connect()
    ingest.create_stage(con)
    stager = ingest.Stager(con, batch_rows=3)

    def remarks(ids, rows):
        return pl.DataFrame({"remit_claim_id": ids, "line_number": [1] * len(ids), "rarc": ["N130"] * len(ids),
                             "_row": rows}, schema_overrides={"_row": pl.Int64, "line_number": pl.Int64})

    def staged():
        return con.sql("SELECT _file, _row, remit_claim_id, _unit FROM stage_remit_remarks").fetchall()

    stager.add("remit_remarks", remarks(["R1", "R2"], [2, 3]), 1, "file")
    assert staged() == []
    stager.add("remit_remarks", remarks(["R3", "R4"], [2, 3]), 2, "file")      # 4 rows held >= 3
    assert staged() == [(1, 2, "R1", "file"), (1, 3, "R2", "file"), (2, 2, "R3", "file"), (2, 3, "R4", "file")]
    stager.add("remit_remarks", remarks(["R5"], [2]), 3, "ST 0001")
    assert len(staged()) == 4
    stager.flush()
    assert staged()[4:] == [(3, 2, "R5", "ST 0001")]
    stager.flush()                                                              # nothing held: no-op
    assert len(staged()) == 5


def test_a_remit_child_that_names_no_remit_is_quarantined_and_the_rest_loaded(tmp_path):
    """A line, adjustment or remark whose remit_claim_id matches no remit of this load or of the
    warehouse is quarantined (rule unknown_reference) with file, row and value; its siblings load.
    The merge looks for such rows only when a kind's staged rows outnumber those joined to a remit,
    so this pins both sides: none of them (first load) and some (the second)."""
    db = tmp_path / "w.duckdb"
    first = counts(load(db, folder(tmp_path, "day1", {
        "claims.csv": CLAIM_HEAD + claim("N1", "300.00"),
        "remits.csv": REMIT_HEAD + "RA,PAYA,TRN-1,2026-05-12,N1,1,300.00,80.00,0,PA-1,\n",
        "remit_lines.csv": RLINE_HEAD + "RA,1,99213,25,1,100.00,80.00\n",
        "remit_adjustments.csv": ADJ_HEAD + "RA,1,CO,45,20.00\n",
        "remit_remarks.csv": "remit_claim_id,line_number,rarc\nRA,1,N130\n"}, references=True)))
    assert first["remit_lines.csv"] == (1, 1, 0, 0) and first["remit_adjustments.csv"] == (1, 1, 0, 0)
    assert first["remit_remarks.csv"] == (1, 1, 0, 0)
    # day 2: RA is loaded (its late children load), RZ is nowhere
    summary = load(db, folder(tmp_path, "day2", {
        "remit_lines.csv": RLINE_HEAD + "RZ,1,99213,,1,50.00,0.00\nRA,2,20610,RT,1,200.00,0.00\n",
        "remit_adjustments.csv": ADJ_HEAD + "RA,2,CO,197,200.00\nRZ,1,CO,45,5.00\nRZ,,PR,1,1.00\n",
        "remit_remarks.csv": "remit_claim_id,line_number,rarc\nRZ,1,N130\n"}))
    c = counts(summary)
    assert c["remit_lines.csv"] == (2, 1, 0, 1)
    assert c["remit_adjustments.csv"] == (3, 1, 0, 2)
    assert c["remit_remarks.csv"] == (1, 0, 0, 1)
    con = connect(db)
    try:
        assert con.sql("""SELECT parse_path(path)[-2:], kind, row_number, field, value, rule FROM quarantine
                          ORDER BY kind, row_number""").fetchall() == [
            (["day2", "remit_adjustments.csv"], "remit_adjustments", 3, "remit_claim_id", "RZ", "unknown_reference"),
            (["day2", "remit_adjustments.csv"], "remit_adjustments", 4, "remit_claim_id", "RZ", "unknown_reference"),
            (["day2", "remit_lines.csv"], "remit_lines", 2, "remit_claim_id", "RZ", "unknown_reference"),
            (["day2", "remit_remarks.csv"], "remit_remarks", 2, "remit_claim_id", "RZ", "unknown_reference")]
        assert con.sql("SELECT count(*) FROM adjudication_line").fetchall() == [(2,)]
        assert con.sql("SELECT count(*) FROM adjustment").fetchall() == [(2,)]
    finally:
        con.close()
    assert any("remit_claim_id RZ matches no remit row" in m for m in summary.messages)
