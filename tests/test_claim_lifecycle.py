"""One claim's lifecycle figures, worked by hand on small added claims: what a payer's remits leave
open (open denied dollars), what was recovered, what was denied after payment, and the insurance
balance the A/R ledger (m_ar_event, m_ar_claim) keeps for it: crossovers, remits from more than one
payer, re-adjudications, reversals, partial wins and patient-liable denials."""
from __future__ import annotations

import datetime as dt

from conftest import core_plus


def _ar_at(con, claim_id: str, day: str):
    return con.sql("SELECT sum(amount) FROM m_ar_event WHERE claim_id = ? AND event_date <= ?",
                   params=[claim_id, day]).fetchall()[0][0]


def test_a_crossover_keeps_the_forwarded_patient_share_in_insurance_ar(tmp_path):
    """CLP02 19 (processed as primary, forwarded to an additional payer): the primary's PR amounts go to
    the secondary payer, so they stay in insurance A/R until the secondary's remit pays, adjusts or
    moves them to the patient. Claim X1, $1,000 (the core fixture plus this claim): the primary (19)
    pays 600, CO-45 250, PR-1 150 -> A/R 150; the secondary (2) pays 100, OA-23 850 (the primary's
    part, never counted), PR-2 50 -> A/R 0. Taking the primary's PR off as well left -100."""
    con = core_plus(tmp_path, {
        "claims": "X1,,1,,S1,1234567893,1111111112,PAYB,MRN-0099,ABC999999999,2026-05-04,,2026-05-05,1000.00,11,",
        "claim_lines": "X1,1,99214,,,1,1000.00,2026-05-04",
        "remits": "RX1,PAYB,TRN-B9,2026-05-12,X1,19,1000.00,600.00,150.00,PB-0099,\n"
                  "RX2,PAYA,TRN-A9,2026-05-19,X1,2,1000.00,100.00,50.00,PA-0099,",
        "remit_lines": "RX1,1,99214,,1,1000.00,600.00\nRX2,1,99214,,1,1000.00,100.00",
        "remit_adjustments": "RX1,1,CO,45,250.00\nRX1,1,PR,1,150.00\nRX2,1,OA,23,850.00\nRX2,1,PR,2,50.00",
    })
    assert (_ar_at(con, "X1", "2026-05-11"), _ar_at(con, "X1", "2026-05-12"), _ar_at(con, "X1", "2026-05-19")) == (1000, 150, 0)
    assert con.sql("SELECT balance FROM m_ar_claim WHERE claim_id = 'X1'").fetchall()[0][0] == 0


CROSSOVER_ROWS = {   # test_a_denial_stays_open_when_another_payer_pays_only_its_share (and test_incremental, test_pages_apptest)
    "claims": "\n".join(f"{c},,1,,S1,1234567893,1111111112,PAYB,MRN-009{n},ABC99999999{n},2026-05-04,,2026-05-05,{t}.00,11,"
                        for n, (c, t) in enumerate([("XC1", 300), ("XC2", 300), ("XC3", 150), ("XC4", 300),
                                                    ("XC5", 300), ("XC6", 300), ("XC7", 300)])),
    "claim_lines": "\n".join([f"{c},1,99213,,,1,100.00,2026-05-04\n{c},2,20610,,,1,200.00,2026-05-04"
                              for c in ("XC1", "XC2", "XC4", "XC5", "XC6", "XC7")] + ["XC3,1,99213,,,1,150.00,2026-05-04"]),
    "remits": "RXC11,PAYB,TRN-B11,2026-05-12,XC1,19,300.00,60.00,20.00,PB-0093,\n"
              "RXC12,PAYA,TRN-A11,2026-05-19,XC1,2,100.00,20.00,0.00,PA-0093,\n"
              "RXC21,PAYB,TRN-B11,2026-05-12,XC2,19,300.00,60.00,20.00,PB-0094,\n"
              "RXC22,PAYA,TRN-A11,2026-05-19,XC2,2,100.00,20.00,0.00,PA-0094,\n"
              "RXC23,PAYB,TRN-B13,2026-06-02,XC2,19,200.00,150.00,0.00,PB-0094,\n"
              "RXC31,PAYB,TRN-B11,2026-05-12,XC3,4,150.00,0.00,0.00,PB-0095,\n"
              "RXC32,PAYA,TRN-A14,2026-05-26,XC3,1,150.00,120.00,0.00,PA-0095,\n"
              "RXC41,PAYB,TRN-B11,2026-05-12,XC4,1,300.00,60.00,20.00,PB-0096,\n"
              "RXC42,PAYA,TRN-A11,2026-05-26,XC4,2,100.00,20.00,0.00,PA-0096,\n"
              "RXC51,PAYB,TRN-B11,2026-05-12,XC5,19,300.00,60.00,20.00,PB-0097,\n"
              "RXC52,PAYA,TRN-A14,2026-05-26,XC5,2,300.00,140.00,0.00,PA-0097,\n"
              "RXC61,PAYB,TRN-B11,2026-05-12,XC6,19,300.00,60.00,20.00,PB-0098,\n"
              "RXC62,PAYA,TRN-A11,2026-05-19,XC6,2,100.00,20.00,0.00,PA-0098,\n"
              "RXC63,PAYB2,TRN-B13,2026-06-02,XC6,1,200.00,150.00,0.00,PB-0098,\n"
              "RXC71,PAYB,TRN-B11,2026-05-12,XC7,19,300.00,60.00,20.00,PB-0099,\n"
              "RXC72,PAYA,TRN-A11,2026-05-19,XC7,2,100.00,20.00,0.00,PA-0099,\n"
              "RXC73,PAYB,TRN-B13,2026-06-02,XC7,19,200.00,120.00,30.00,PB-0099,\n"
              "RXC74,PAYA,TRN-A14,2026-06-12,XC7,2,200.00,30.00,0.00,PA-0099,",
    # the primary's first remit (paid line 1, denied line 2) and the secondary's coinsurance on line 1
    "remit_lines": "\n".join(f"RXC{n}1,1,99213,,1,100.00,60.00\nRXC{n}1,2,20610,,1,200.00,0.00" for n in (1, 2, 4, 5, 6, 7))
                   + "\n" + "\n".join(f"RXC{n}2,1,99213,,1,100.00,20.00" for n in (1, 2, 4, 6, 7))
                   + "\nRXC23,2,20610,,1,200.00,150.00\nRXC31,1,99213,,1,150.00,0.00\nRXC32,1,99213,,1,150.00,120.00"
                     "\nRXC52,1,99213,,1,100.00,20.00\nRXC52,2,20610,,1,200.00,120.00\nRXC63,2,20610,,1,200.00,150.00"
                     "\nRXC73,2,20610,,1,200.00,120.00\nRXC74,2,20610,,1,200.00,30.00",
    "remit_adjustments": "\n".join(f"RXC{n}1,1,CO,45,20.00\nRXC{n}1,1,PR,2,20.00\nRXC{n}1,2,CO,{96 if n == 5 else 50},200.00"
                                    for n in (1, 2, 4, 5, 6, 7))
                         + "\n" + "\n".join(f"RXC{n}2,1,OA,23,80.00" for n in (1, 2, 4, 5, 6, 7))
                         + "\nRXC23,2,CO,45,50.00\nRXC31,1,CO,22,150.00\nRXC32,1,CO,45,30.00\nRXC52,2,CO,45,80.00"
                           "\nRXC63,2,CO,45,50.00\nRXC73,2,CO,45,50.00\nRXC73,2,PR,2,30.00\nRXC74,2,OA,23,170.00",
}


def test_a_denial_stays_open_when_another_payer_pays_only_its_share(tmp_path):
    """With remits from more than one payer, the initial payer's decide, and another payer's only where it
    pays a line the initial adjudication denied. Each claim (but XC3) has a $100 line 1 and a $200 line 2;
    the primary PAYB first pays line 1 60 (CO-45 20, PR-2 20) and denies line 2 (CO-50 200), so $200 denied.
    XC1, a crossover (19): the secondary PAYA pays the coinsurance 20 on line 1 (OA-23 80) and does not
    list line 2: recovered 0 (its share of line 1), open $200 = the balance (300 - 60 - 20 - 20). It read
    recovered $20, open $0, as the secondary's remit was the latest and denies nothing. XC2, the same, then
    PAYB pays line 2 on appeal (150, CO-45 50): recovered 150, open 0, balance 0. XC3: PAYB denies its $150
    line outright (status 4, CO-22: another payer is primary) and PAYA, the right payer, pays 120 (CO-45
    30): a recovery of 120, open 0, balance 0. XC4: no crossover (status 1; the practice bills PAYA
    itself), PAYA pays the coinsurance on line 1: recovered 0, open $200, balance $200 (PAYB's PR-2 20 comes
    back with PAYA's remit, test_a_secondary_billed_by_the_practice_...; it read 180). XC5: Medicare denies line 2
    non-covered (CO-96) and Medicaid, the secondary, pays it 120 (CO-45 80) with the coinsurance 20 on line
    1: recovered 120, open 0, balance 0. XC6: PAYB's appeal payment of line 2 (150, CO-45 50) comes under
    another payer id (PAYB2): it pays the denied line, so recovered 150, open 0. XC7: PAYB pays line 2 on
    appeal and forwards it again (120, CO-45 50, PR-2 30), PAYA pays that coinsurance 30 on line 2:
    recovered 150 of the denied line, open 0, balance 0."""
    con = core_plus(tmp_path, CROSSOVER_ROWS)
    q = ("SELECT c.claim_id, c.initially_denied, c.denied_dollars, c.recovered_dollars, c.open_denied_dollars "
         "FROM m_claim c WHERE claim_id LIKE 'XC%' ORDER BY 1")
    assert con.sql(q).fetchall() == [("XC1", True, 200, 0, 200), ("XC2", True, 200, 150, 0), ("XC3", True, 150, 120, 0),
                                     ("XC4", True, 200, 0, 200), ("XC5", True, 200, 120, 0), ("XC6", True, 200, 150, 0),
                                     ("XC7", True, 200, 150, 0)]
    balance = dict(con.sql("SELECT claim_id, balance FROM m_ar_claim WHERE claim_id LIKE 'XC%'").fetchall())
    assert balance == {"XC1": 200, "XC2": 0, "XC3": 0, "XC4": 200, "XC5": 0, "XC6": 0, "XC7": 0}


def test_a_reversed_crossover_does_not_move_its_patient_share_back(tmp_path):
    """A crossover remit (19) moves no PR (the next payer's share), so its reversal (22) must not move the
    negated PR back either (from a review, 2026-12-07). XR1, $300 (line 1 $100, line 2 $200): PAYB (19)
    pays 60 + 150 (CO-45 20 + 30, PR-2 20 + 20) -> 300 - 210 - 50 = 40; the secondary PAYA (2) pays the
    coinsurance 20 + 20 (OA-23) -> 0; on 07-01 PAYB reverses it all (22: +210 paid, +50 CO-45, PR -40
    not moved) -> 260, and re-adjudicates (19) paying line 1 60 (CO-45 20, PR-2 20) and denying line 2
    (CO-50 200) -> 180: line 2's 200 less the secondary's 20 on it. It read 220 (the reversal's PR put
    40 back that had never been taken off). Denied after payment: PAYB's payments taken back and not
    paid again, 210 - 60 = $150 (the secondary's 40 is not PAYB's), dated 07-01, PAYB's re-adjudication,
    though the secondary sends a remit on 07-15 (it pays 0 on line 1, OA-23 100: the balance stays 180)."""
    con = core_plus(tmp_path, {
        "claims": "XR1,,1,,S1,1234567893,1111111112,PAYB,MRN-0090,ABC999999990,2026-05-04,,2026-05-05,300.00,11,",
        "claim_lines": "XR1,1,99213,,,1,100.00,2026-05-04\nXR1,2,20610,,,1,200.00,2026-05-04",
        "remits": "RXR1,PAYB,TRN-R1,2026-05-12,XR1,19,300.00,210.00,40.00,PB-0090,\n"
                  "RXR2,PAYA,TRN-R2,2026-05-19,XR1,2,300.00,40.00,0.00,PA-0090,\n"
                  "RXR3,PAYB,TRN-R3,2026-07-01,XR1,22,-300.00,-210.00,-40.00,PB-0090,\n"
                  "RXR4,PAYB,TRN-R4,2026-07-01,XR1,19,300.00,60.00,20.00,PB-0090,\n"
                  "RXR5,PAYA,TRN-R5,2026-07-15,XR1,2,100.00,0.00,0.00,PA-0090,",
        "remit_lines": "RXR1,1,99213,,1,100.00,60.00\nRXR1,2,20610,,1,200.00,150.00\n"
                       "RXR2,1,99213,,1,100.00,20.00\nRXR2,2,20610,,1,200.00,20.00\n"
                       "RXR3,1,99213,,1,-100.00,-60.00\nRXR3,2,20610,,1,-200.00,-150.00\n"
                       "RXR4,1,99213,,1,100.00,60.00\nRXR4,2,20610,,1,200.00,0.00\nRXR5,1,99213,,1,100.00,0.00",
        "remit_adjustments": "RXR1,1,CO,45,20.00\nRXR1,1,PR,2,20.00\nRXR1,2,CO,45,30.00\nRXR1,2,PR,2,20.00\n"
                             "RXR2,1,OA,23,80.00\nRXR2,2,OA,23,180.00\n"
                             "RXR3,1,CO,45,-20.00\nRXR3,1,PR,2,-20.00\nRXR3,2,CO,45,-30.00\nRXR3,2,PR,2,-20.00\n"
                             "RXR4,1,CO,45,20.00\nRXR4,1,PR,2,20.00\nRXR4,2,CO,50,200.00\nRXR5,1,OA,23,100.00",
    })
    assert (_ar_at(con, "XR1", "2026-05-12"), _ar_at(con, "XR1", "2026-05-19"), _ar_at(con, "XR1", "2026-07-01")) == (40, 0, 180)
    assert con.sql("SELECT balance FROM m_ar_claim WHERE claim_id = 'XR1'").fetchall()[0][0] == 180
    assert con.sql("SELECT initially_denied, redenied_dollars, redenied_on, last_adjudication_date FROM m_claim "
                   "WHERE claim_id = 'XR1'").fetchall() == [(False, 150, dt.date(2026, 7, 1), dt.date(2026, 7, 15))]
    # the work queue dates the re-denial by PAYB's re-adjudication, not by the secondary's later remit
    assert con.sql("SELECT status, denied_on FROM m_open_denial WHERE claim_id = 'XR1'").fetchall() == [
        ("denied after payment", dt.date(2026, 7, 1))]


SECONDARY_ROWS = {   # test_a_secondary_billed_by_the_practice_brings_... (and test_incremental)
    "claims": "XS1,,1,,S1,1234567893,1111111112,PAYB,MRN-0089,ABC999999989,2026-05-04,,2026-05-05,300.00,11,",
    "claim_lines": "XS1,1,99213,,,1,100.00,2026-05-04\nXS1,2,20610,,,1,200.00,2026-05-04",
    "remits": "RXS1,PAYB,TRN-S1,2026-05-12,XS1,1,300.00,60.00,20.00,PB-0089,\n"
              "RXS2,PAYA,TRN-S2,2026-05-26,XS1,2,100.00,15.00,5.00,PA-0089,\n"
              "RXS3,PAYC,TRN-S3,2026-06-09,XS1,3,100.00,5.00,0.00,PC-0089,\n"
              "RXS4,PAYB,TRN-S4,2026-06-16,XS1,1,200.00,150.00,20.00,PB-0089,\n"
              "RXS5,PAYA,TRN-S5,2026-06-30,XS1,2,200.00,20.00,0.00,PA-0089,",
    "remit_lines": "RXS1,1,99213,,1,100.00,60.00\nRXS1,2,20610,,1,200.00,0.00\nRXS2,1,99213,,1,100.00,15.00\n"
                   "RXS3,1,99213,,1,100.00,5.00\nRXS4,2,20610,,1,200.00,150.00\nRXS5,2,20610,,1,200.00,20.00",
    "remit_adjustments": "RXS1,1,CO,45,20.00\nRXS1,1,PR,2,20.00\nRXS1,2,CO,50,200.00\n"
                         "RXS2,1,OA,23,80.00\nRXS2,1,PR,1,5.00\nRXS3,1,OA,23,95.00\n"
                         "RXS4,2,CO,45,30.00\nRXS4,2,PR,2,20.00\nRXS5,2,OA,23,180.00",
}


def test_a_secondary_billed_by_the_practice_brings_the_patient_share_back_into_insurance_ar(tmp_path):
    """The practice bills the secondary itself: the primary's remit (status 1, not a crossover) moved its PR
    to the patient, and the secondary's remit (status 2 or 3) on that line brings it back, dated that remit.
    XS1, $300 (line 1 $100, line 2 $200), primary PAYB. 05-12 R1 (1): line 1 paid 60, CO-45 20, PR-2 20;
    line 2 denied (CO-50 200) -> 300 - 60 - 20 - 20 = 200. 05-26 R2, the secondary PAYA (2): line 1 paid 15,
    OA-23 80, PR-1 5 -> 200 + 20 back - 15 - 5 = 200 (it read 180: the coinsurance paid by PAYA had already
    left with PAYB's PR, so the balance fell below the $200 denial still open). 06-09 R3, the tertiary PAYC
    (3): line 1 paid 5, OA-23 95 -> + 5 (PAYA's PR) - 5 = 200. 06-16 R4, PAYB's appeal decision (1): line 2
    paid 150, CO-45 30, PR-2 20 -> 0. 06-30 R5, PAYA (2) again, for that new coinsurance: line 2 paid 20,
    OA-23 180 -> + 20 (R4's PR: the line's remit before it is PAYB's) - 20 = 0 (it read -20, a credit).
    Recovered: PAYB's 150 and PAYA's 20 on the denied line (another payer paying a line the initial
    adjudication denied, as XC7), open 0."""
    con = core_plus(tmp_path, SECONDARY_ROWS)
    days = ("2026-05-12", "2026-05-26", "2026-06-09", "2026-06-16", "2026-06-30")
    assert [_ar_at(con, "XS1", d) for d in days] == [200, 200, 200, 0, 0]
    assert con.sql("SELECT event_date, amount FROM m_ar_event WHERE claim_id = 'XS1' AND event = 'rebilled' "
                   "ORDER BY 1").fetchall() == [(dt.date(2026, 5, 26), 20), (dt.date(2026, 6, 9), 5),
                                                (dt.date(2026, 6, 30), 20)]
    assert con.sql("SELECT initially_denied, denied_dollars, recovered_dollars, open_denied_dollars FROM m_claim "
                   "WHERE claim_id = 'XS1'").fetchall() == [(True, 200, 170, 0)]
    assert con.sql("SELECT balance FROM m_ar_claim WHERE claim_id = 'XS1'").fetchall()[0][0] == 0


def _one_line_claim(cid: str, remits: list[tuple]) -> dict[str, str]:
    """Rows of a $100 one-line claim (primary PAYB) and its remits: (remit id, payer, date, status, paid,
    [(line, paid)], [(line or '' for claim level, group, CARC, amount)])."""
    return {
        "claims": f"{cid},,1,,S1,1234567893,1111111112,PAYB,MRN-{cid},ABC{cid},2026-05-04,,2026-05-05,100.00,11,",
        "claim_lines": f"{cid},1,99213,,,1,100.00,2026-05-04",
        "remits": "\n".join(f"{r},{payer},TRN-{r},{d},{cid},{st},100.00,{paid:.2f},0,{payer}-{cid},"
                            for r, payer, d, st, paid, _, _ in remits),
        "remit_lines": "\n".join(f"{r},{n},99213,,1,100.00,{lp:.2f}" for r, _, _, _, _, ls, _ in remits for n, lp in ls),
        "remit_adjustments": "\n".join(f"{r},{n},{g},{c},{a:.2f}" for r, _, _, _, _, _, adj in remits for n, g, c, a in adj),
    }


P1 = [(1, "CO", "45", 20), (1, "PR", "2", 20)]          # the primary's 60 paid: CO-45 20, PR-2 20
SECONDARY_CASES = {  # claim -> (remits, the insurance balance after each remit date), worked by hand below
    "SB1": ([("RSB11", "PAYB", "2026-05-12", 1, 60, [(1, 60)], P1),
             ("RSB12", "PAYA", "2026-05-19", 2, 20, [(1, 20)], [(1, "OA", "23", 80)]),
             ("RSB13", "PAYB", "2026-06-02", 1, 0, [(1, 0)], P1),
             ("RSB14", "PAYA", "2026-06-16", 2, 0, [(1, 0)], [(1, "OA", "23", 100)])], [0, 0, 0, 0]),
    "SB2": ([("RSB21", "PAYB", "2026-05-12", 1, 50, [(1, 50)], [(1, "CO", "45", 20), (1, "PR", "2", 30)]),
             ("RSB22", "PAYA", "2026-05-19", 2, 30, [(1, 30)], [(1, "OA", "23", 70)]),
             ("RSB23", "PAYB", "2026-06-02", 1, 10, [(1, 10)], [(1, "CO", "45", 20), (1, "PR", "2", 20)]),
             ("RSB24", "PAYA", "2026-06-16", 22, -30, [(1, -30)], [(1, "OA", "23", -70)]),
             ("RSB25", "PAYA", "2026-06-16", 2, 20, [(1, 20)], [(1, "OA", "23", 80)])], [0, 0, -10, 0]),
    "SB3": ([("RSB31", "PAYB", "2026-05-12", 1, 50, [(1, 50)], [(1, "CO", "45", 20), (1, "PR", "2", 30)]),
             ("RSB32", "PAYA", "2026-05-19", 2, 30, [(1, 30)], [(1, "OA", "23", 70)]),
             ("RSB33", "PAYB", "2026-06-02", 22, -50, [(1, -50)], [(1, "CO", "45", -20), (1, "PR", "2", -30)]),
             ("RSB34", "PAYB", "2026-06-02", 4, 0, [(1, 0)], [(1, "CO", "22", 100)])], [0, 0, 70]),
    "SB4": ([("RSB41", "PAYB", "2026-05-12", 1, 60, [(1, 60)], P1),
             ("RSB42", "PAYA", "2026-05-19", 2, 20, [(1, 20)], [(1, "OA", "23", 80)]),
             ("RSB43", "PAYB", "2026-06-02", 22, -60, [(1, -60)], [(1, "CO", "45", -20), (1, "PR", "2", -20)]),
             ("RSB44", "PAYA", "2026-06-05", 22, -20, [(1, -20)], [(1, "OA", "23", -80)]),
             ("RSB45", "PAYB", "2026-06-09", 1, 60, [(1, 60)], P1),
             ("RSB46", "PAYA", "2026-06-16", 2, 20, [(1, 20)], [(1, "OA", "23", 80)])], [0, 0, 80, 100, 20, 0]),
    "SB5": ([("RSB51", "PAYB", "2026-05-12", 1, 60, [(1, 60)], P1),
             ("RSB52", "PAYA", "2026-05-19", 2, 15, [(1, 15)], [(1, "OA", "23", 80), (1, "PR", "1", 5)]),
             ("RSB53", "PAYC", "2026-05-26", 3, 3, [(1, 3)], [(1, "OA", "23", 95), (1, "PR", "1", 2)]),
             ("RSB54", "PAYA", "2026-06-09", 2, 0, [(1, 0)], [(1, "OA", "23", 80), (1, "PR", "1", 5)])], [0, 0, 0, 0]),
    "SB6": ([("RSB61", "PAYB", "2026-05-12", 1, 60, [(1, 60)], P1),
             ("RSB63", "PAYC", "2026-05-26", 3, 5, [(1, 5)], [(1, "OA", "23", 95)]),
             ("RSB62", "PAYA", "2026-05-26", 2, 15, [(1, 15)], [(1, "OA", "23", 80), (1, "PR", "1", 5)])], [0, 0]),
    "SB7": ([("RSB72", "PAYA", "2026-05-10", 2, 20, [(1, 20)], [(1, "OA", "23", 80)]),
             ("RSB71", "PAYB", "2026-05-12", 1, 60, [(1, 60)], P1)], [80, 0]),
    "SB8": ([("RSB81", "PAYB", "2026-05-12", 1, 60, [(1, 60)], [(1, "CO", "45", 20), ("", "PR", "1", 20)]),
             ("RSB82", "PAYA", "2026-05-19", 2, 20, [(1, 20)], [(1, "OA", "23", 80)])], [0, 0]),
    "SB9": ([("RSB91", "PAYB", "2026-05-12", 1, 60, [(1, 60)], P1),
             ("RSB92", "PAYA", "2026-05-19", 2, 20, [], [("", "OA", "23", 80)])], [0, 0]),
}


def test_a_patient_share_held_by_the_next_payer_follows_both_payers_remits(tmp_path):
    """The share a secondary was billed for stays insurance A/R while the secondary holds it: re-adjudications
    and reversals on either side move it, and it never comes back twice (a review of the first version, which
    added it back at every secondary remit after another payer's and never took it back). $100, one line;
    the primary PAYB pays 60 with CO-45 20 and PR-2 20 unless said; balances after each remit date.
    SB1: PAYA pays the 20 (0); PAYB re-adjudicates the same (restated: 0); PAYA again, 0 more: 0 (read 20).
    SB2: PR 30, PAYA pays 30 (0); PAYB re-adjudicates PR 20 paying 10 more: PAYA overpaid 10 (-10); PAYA
    reverses (+30) and pays 20: 0 (read 10). SB3: PAYA pays PR 30 (0); PAYB reverses its remit and denies the
    claim as not primary (CO-22): PAYB's 50 and CO-45 20 come back, its PR 30 is no one's held share: 100 - 30
    paid by PAYA = 70 (read 100). SB4: both reverse and pay again: 80 after PAYB's reversal (its 60 and CO-45
    20 back), 100 after PAYA's, 20 after PAYB pays again (PAYA holds its PR 20), 0 (read 100, 120, 20, 20).
    SB5: PAYA pays 15, PR 5; the tertiary PAYC pays 3, PR 2 (it holds PAYA's 5); PAYA re-adjudicates the same:
    0 throughout (read 2). SB6: PAYC's remit loaded before PAYA's the same day: 0 (read -5: PAYC was taken
    for the payer after PAYB). SB7: PAYA's remit dated before PAYB's: 80, then 0 (read -20). SB8: PAYB's PR at
    claim level, PAYA's adjustments on the line: every remit counts at claim level, 0 (read -20). SB9: PAYA's
    remit lists no line (claim-level OA-23): it adjudicates every line, 0 (read -20)."""
    rows: dict[str, str] = {}
    for cid, (remits, _) in SECONDARY_CASES.items():
        for k, v in _one_line_claim(cid, remits).items():
            rows[k] = rows[k] + "\n" + v if rows.get(k) and v else rows.get(k) or v
    con = core_plus(tmp_path, {k: v for k, v in rows.items() if v})
    for cid, (remits, want) in SECONDARY_CASES.items():
        days = sorted({d for _, _, d, *_ in remits})
        assert [_ar_at(con, cid, d) for d in days] == want, cid
    assert con.sql("SELECT count(*) FROM m_ar_claim WHERE claim_id LIKE 'SB%' AND balance <> 0").fetchall() == [(1,)]


def test_a_re_adjudicated_line_counts_its_latest_write_downs_only(tmp_path):
    """A payer that adjudicates a line again without reversing its first remit restates that line: its
    earlier write-downs are added back. X2 ($300: line 1 $100, line 2 $200): R1 pays line 1 80 (CO-45
    20) and denies line 2 (CO-45 50, CO-197 150) -> A/R 150; after the appeal R2 adjudicates line 2
    alone: pays 150, CO-45 50 -> A/R 0 (line 2's first CO-45 50 added back; without it, -50). X3, the
    same first remit, then a reversal (22) of it and a new full remit (paid 230, CO-45 70): after a
    reversal nothing is added back (it undid R1 itself) -> 150, 300, 0."""
    con = core_plus(tmp_path, {
        "claims": "X2,,1,,S1,1234567893,1111111112,PAYA,MRN-0097,ABC999999997,2026-05-04,,2026-05-05,300.00,11,\n"
                  "X3,,1,,S1,1234567893,1111111112,PAYA,MRN-0098,ABC999999998,2026-05-04,,2026-05-05,300.00,11,",
        "claim_lines": "X2,1,99213,,,1,100.00,2026-05-04\nX2,2,20610,,,1,200.00,2026-05-04\n"
                       "X3,1,99213,,,1,100.00,2026-05-04\nX3,2,20610,,,1,200.00,2026-05-04",
        "remits": "RX21,PAYA,TRN-A7,2026-05-12,X2,1,300.00,80.00,0,PA-0097,\n"
                  "RX22,PAYA,TRN-A8,2026-05-19,X2,1,200.00,150.00,0,PA-0097,\n"
                  "RX31,PAYA,TRN-A7,2026-05-12,X3,1,300.00,80.00,0,PA-0098,\n"
                  "RX32,PAYA,TRN-A8,2026-05-19,X3,22,-300.00,-80.00,0,PA-0098,\n"
                  "RX33,PAYA,TRN-A8,2026-05-20,X3,1,300.00,230.00,0,PA-0098,",
        "remit_lines": "RX21,1,99213,,1,100.00,80.00\nRX21,2,20610,,1,200.00,0.00\nRX22,2,20610,,1,200.00,150.00\n"
                       "RX31,1,99213,,1,100.00,80.00\nRX31,2,20610,,1,200.00,0.00\n"
                       "RX32,1,99213,,1,-100.00,-80.00\nRX32,2,20610,,1,-200.00,0.00\n"
                       "RX33,1,99213,,1,100.00,80.00\nRX33,2,20610,,1,200.00,150.00",
        "remit_adjustments": "RX21,1,CO,45,20.00\nRX21,2,CO,45,50.00\nRX21,2,CO,197,150.00\nRX22,2,CO,45,50.00\n"
                             "RX31,1,CO,45,20.00\nRX31,2,CO,45,50.00\nRX31,2,CO,197,150.00\n"
                             "RX32,1,CO,45,-20.00\nRX32,2,CO,45,-50.00\nRX32,2,CO,197,-150.00\n"
                             "RX33,1,CO,45,20.00\nRX33,2,CO,45,50.00",
    })
    assert (_ar_at(con, "X2", "2026-05-12"), _ar_at(con, "X2", "2026-05-19")) == (150, 0)
    assert (_ar_at(con, "X3", "2026-05-12"), _ar_at(con, "X3", "2026-05-19"), _ar_at(con, "X3", "2026-05-20")) == (150, 300, 0)
    assert con.sql("SELECT count(*) FROM m_ar_claim WHERE claim_id IN ('X2', 'X3') AND balance <> 0").fetchall() == [(0,)]


def test_open_denied_leaves_out_the_contractual_part_of_a_denied_line(tmp_path):
    """A denied line that also carries a contractual write-down: X4, one $1,000 line, paid 0, CO-45
    $400 (contract) and CO-197 $600 (no authorization). Denied dollars are the line's charge ($1,000);
    what the payer could still pay is $600, which is also the claim's insurance balance, so open denied
    is $600, not $1,000. A $150 write-off of the denial leaves $450 open; the balance is then $450 too."""
    con = core_plus(tmp_path, {
        "claims": "X4,,1,,S1,1234567893,1111111112,PAYB,MRN-0099,ABC999999999,2026-05-04,,2026-05-05,1000.00,11,",
        "claim_lines": "X4,1,99214,,,1,1000.00,2026-05-04",
        "remits": "RX4,PAYB,TRN-B9,2026-05-12,X4,1,1000.00,0.00,0.00,PB-0099,",
        "remit_lines": "RX4,1,99214,,1,1000.00,0.00",
        "remit_adjustments": "RX4,1,CO,45,400.00\nRX4,1,CO,197,600.00",
    })
    row = con.sql("SELECT initially_denied, denied_dollars, open_denied_dollars FROM m_claim WHERE claim_id = 'X4'").fetchall()
    assert row == [(True, 1000, 600)]
    assert con.sql("SELECT balance FROM m_ar_claim WHERE claim_id = 'X4'").fetchall()[0][0] == 600
    con.close()
    con = core_plus(tmp_path / "wo", {
        "claims": "X4,,1,,S1,1234567893,1111111112,PAYB,MRN-0099,ABC999999999,2026-05-04,,2026-05-05,1000.00,11,",
        "claim_lines": "X4,1,99214,,,1,1000.00,2026-05-04",
        "remits": "RX4,PAYB,TRN-B9,2026-05-12,X4,1,1000.00,0.00,0.00,PB-0099,",
        "remit_lines": "RX4,1,99214,,1,1000.00,0.00",
        "remit_adjustments": "RX4,1,CO,45,400.00\nRX4,1,CO,197,600.00",
        "write_offs": "X4,2026-05-20,150.00,auth_not_obtained",
    })
    assert con.sql("SELECT open_denied_dollars FROM m_claim WHERE claim_id = 'X4'").fetchall()[0][0] == 450
    assert con.sql("SELECT balance FROM m_ar_claim WHERE claim_id = 'X4'").fetchall()[0][0] == 450


def test_open_denied_counts_what_a_partly_won_appeal_still_denies(tmp_path):
    """A partial appeal win: X5, one $200 line. R1 (05-12) denies it: paid 0, CO-50 $200 (medical
    necessity) -> denied $200, open $200. R2 (05-26, the appeal decision) pays 80, CO-45 40 (contract),
    and keeps CO-50 80: the line is paid, so it is no longer denied outright, but the payer still denies
    $80 of it. Open denied = min(80 still denied, 200 denied - 0 write-downs - 80 recovered) - 0 written
    off = $80, which is also the insurance balance (200 - 80 paid - 40 contract). Before, it was $0.
    With a $30 write-off of the rest: min(80, 120) - 30 = $50 open, balance $50. X6, the same but R2 pays
    120 and keeps nothing but CO-45 80 (a full win): open $0, balance $0. X7: R2 pays 80 and moves the
    rest to the patient with PR-204 80 (PR is the patient's, not the payer's): open $0."""
    base = {
        "claims": "X5,,1,,S1,1234567893,1111111112,PAYB,MRN-0099,ABC999999999,2026-05-04,,2026-05-05,200.00,11,\n"
                  "X6,,1,,S1,1234567893,1111111112,PAYB,MRN-0098,ABC999999998,2026-05-04,,2026-05-05,200.00,11,\n"
                  "X7,,1,,S1,1234567893,1111111112,PAYB,MRN-0097,ABC999999997,2026-05-04,,2026-05-05,200.00,11,",
        "claim_lines": "X5,1,99214,,,1,200.00,2026-05-04\nX6,1,99214,,,1,200.00,2026-05-04\n"
                       "X7,1,99214,,,1,200.00,2026-05-04",
        "remits": "RX51,PAYB,TRN-B5,2026-05-12,X5,1,200.00,0.00,0.00,PB-0095,\n"
                  "RX52,PAYB,TRN-B6,2026-05-26,X5,1,200.00,80.00,0.00,PB-0095,\n"
                  "RX61,PAYB,TRN-B5,2026-05-12,X6,1,200.00,0.00,0.00,PB-0096,\n"
                  "RX62,PAYB,TRN-B6,2026-05-26,X6,1,200.00,120.00,0.00,PB-0096,\n"
                  "RX71,PAYB,TRN-B5,2026-05-12,X7,1,200.00,0.00,0.00,PB-0097,\n"
                  "RX72,PAYB,TRN-B6,2026-05-26,X7,1,200.00,80.00,80.00,PB-0097,",
        "remit_lines": "RX51,1,99214,,1,200.00,0.00\nRX52,1,99214,,1,200.00,80.00\n"
                       "RX61,1,99214,,1,200.00,0.00\nRX62,1,99214,,1,200.00,120.00\n"
                       "RX71,1,99214,,1,200.00,0.00\nRX72,1,99214,,1,200.00,80.00",
        "remit_adjustments": "RX51,1,CO,50,200.00\nRX52,1,CO,45,40.00\nRX52,1,CO,50,80.00\n"
                             "RX61,1,CO,50,200.00\nRX62,1,CO,45,80.00\n"
                             "RX71,1,CO,50,200.00\nRX72,1,CO,45,40.00\nRX72,1,PR,204,80.00",
    }
    q = ("SELECT c.claim_id, c.initially_denied, c.denied_dollars, c.recovered_dollars, c.open_denied_dollars, "
         "a.balance FROM m_claim c JOIN m_ar_claim a USING (claim_id) WHERE claim_id IN ('X5', 'X6', 'X7') ORDER BY 1")
    con = core_plus(tmp_path, base)
    assert con.sql(q).fetchall() == [("X5", True, 200, 80, 80, 80), ("X6", True, 200, 120, 0, 0),
                                     ("X7", True, 200, 80, 0, 0)]
    con.close()
    con = core_plus(tmp_path / "wo", {**base, "write_offs": "X5,2026-06-01,30.00,medical_necessity"})
    assert con.sql(q).fetchall()[0] == ("X5", True, 200, 80, 50, 50)


def test_a_reversed_appeal_payment_leaves_the_denial_open(tmp_path):
    """The payer takes back what an appeal paid and sends no new adjudication. X9, one $200 line denied
    CO-50 on 05-12; the appeal remit of 05-26 pays 120 (CO-45 80: a full win, open 0); the reversal
    (status 22) of 06-02 takes back -120 and -80. The last remit event is the reversal: the line is
    denied again, recovered = 120 - 120 = 0, open = 200 - 0 - 0 - 0 = $200 = the balance (200 - 120 - 80
    + 120 + 80). X10, the partial win of X5 (pays 80, CO-45 40, keeps CO-50 80) reversed the same way:
    open $200 = balance. Before, X9 read $0 open and left the work queue, X10 $80."""
    con = core_plus(tmp_path, {
        "claims": "X9,,1,,S1,1234567893,1111111112,PAYB,MRN-0099,ABC999999999,2026-05-04,,2026-05-05,200.00,11,\n"
                  "X10,,1,,S1,1234567893,1111111112,PAYB,MRN-0098,ABC999999998,2026-05-04,,2026-05-05,200.00,11,",
        "claim_lines": "X9,1,99214,,,1,200.00,2026-05-04\nX10,1,99214,,,1,200.00,2026-05-04",
        "remits": "RX91,PAYB,TRN-B5,2026-05-12,X9,1,200.00,0.00,0.00,PB-0095,\n"
                  "RX92,PAYB,TRN-B6,2026-05-26,X9,1,200.00,120.00,0.00,PB-0095,\n"
                  "RX93,PAYB,TRN-B7,2026-06-02,X9,22,-200.00,-120.00,0.00,PB-0095,\n"
                  "RX101,PAYB,TRN-B5,2026-05-12,X10,1,200.00,0.00,0.00,PB-0096,\n"
                  "RX102,PAYB,TRN-B6,2026-05-26,X10,1,200.00,80.00,0.00,PB-0096,\n"
                  "RX103,PAYB,TRN-B7,2026-06-02,X10,22,-200.00,-80.00,0.00,PB-0096,",
        "remit_lines": "RX91,1,99214,,1,200.00,0.00\nRX92,1,99214,,1,200.00,120.00\nRX93,1,99214,,1,-200.00,-120.00\n"
                       "RX101,1,99214,,1,200.00,0.00\nRX102,1,99214,,1,200.00,80.00\nRX103,1,99214,,1,-200.00,-80.00",
        "remit_adjustments": "RX91,1,CO,50,200.00\nRX92,1,CO,45,80.00\nRX93,1,CO,45,-80.00\n"
                             "RX101,1,CO,50,200.00\nRX102,1,CO,45,40.00\nRX102,1,CO,50,80.00\n"
                             "RX103,1,CO,45,-40.00\nRX103,1,CO,50,-80.00",
    })
    q = ("SELECT c.claim_id, c.recovered_dollars, c.open_denied_dollars, a.balance FROM m_claim c "
         "JOIN m_ar_claim a USING (claim_id) WHERE claim_id IN ('X9', 'X10') ORDER BY 1")
    assert con.sql(q).fetchall() == [("X10", 0, 200, 200), ("X9", 0, 200, 200)]


def test_a_patient_liable_denial_is_a_denial_but_not_open(tmp_path):
    """PR-96 / PR-204 stay denials (docs/taxonomy.md): the payer refused and the patient is liable.
    Y1, one $150 line: paid 0, PR-204 150 -> denied $150, root cause non_covered / patient_liable,
    open $0 (the balance moved to the patient: insurance A/R 150 - 150 = 0). Y2, paid 0, PR-1 150 (the
    deductible took it all): allowed 150, not a denial. Y3, a $200 line: paid 0, CO-45 50, PR-96 150 ->
    denied $200, open 200 - 50 (contractual) - 150 (patient's) = $0, balance 0. Before, a PR amount of
    any kind made the line 'allowed', so Y1 and Y3 were not denials at all."""
    con = core_plus(tmp_path, {
        "claims": "Y1,,1,,S1,1234567893,1111111112,PAYB,MRN-0091,ABC999999991,2026-05-04,,2026-05-05,150.00,11,\n"
                  "Y2,,1,,S1,1234567893,1111111112,PAYB,MRN-0092,ABC999999992,2026-05-04,,2026-05-05,150.00,11,\n"
                  "Y3,,1,,S1,1234567893,1111111112,PAYB,MRN-0093,ABC999999993,2026-05-04,,2026-05-05,200.00,11,",
        "claim_lines": "Y1,1,99214,,,1,150.00,2026-05-04\nY2,1,99214,,,1,150.00,2026-05-04\n"
                       "Y3,1,99214,,,1,200.00,2026-05-04",
        "remits": "RY1,PAYB,TRN-Y1,2026-05-12,Y1,1,150.00,0.00,150.00,PB-0191,\n"
                  "RY2,PAYB,TRN-Y1,2026-05-12,Y2,1,150.00,0.00,150.00,PB-0192,\n"
                  "RY3,PAYB,TRN-Y1,2026-05-12,Y3,1,200.00,0.00,150.00,PB-0193,",
        "remit_lines": "RY1,1,99214,,1,150.00,0.00\nRY2,1,99214,,1,150.00,0.00\nRY3,1,99214,,1,200.00,0.00",
        "remit_adjustments": "RY1,1,PR,204,150.00\nRY2,1,PR,1,150.00\nRY3,1,CO,45,50.00\nRY3,1,PR,96,150.00",
    })
    q = ("SELECT c.claim_id, c.initially_denied, c.denied_dollars, c.root_cause, c.sub_cause, c.open_denied_dollars, "
         "a.balance FROM m_claim c JOIN m_ar_claim a USING (claim_id) WHERE claim_id LIKE 'Y%' ORDER BY 1")
    assert con.sql(q).fetchall() == [("Y1", True, 150, "non_covered", "patient_liable", 0, 0),
                                     ("Y2", False, 0, None, None, 0, 0),
                                     ("Y3", True, 200, "non_covered", "patient_liable", 0, 0)]


def test_open_denied_follows_what_the_latest_remit_moved_to_the_patient(tmp_path):
    """Open denied dollars equal the insurance balance when a PR denial is involved (from a review of the
    change above; one $150 line each unless said). Z1: claim-level PR-204 on a remit with a line -> open
    0. Z2: the same on a remit with no lines -> 0. Z3: CO-96 on 05-12, re-adjudicated PR-204 on 05-26 ->
    0 (the latest remit moved it to the patient; it read 150). Z4: PR-204 then reversed (22) with
    nothing after -> 150 (the reversal put it back). Z5: PR-204 on a crossover remit (19: the next
    payer's share) -> 150. Z6: PR-204 then re-adjudicated CO-96 -> 150 (it read 0). Z7, a $200 line:
    PR-96 100, CO-45 50, CO-96 50 -> 50."""
    c = "{},,1,,S1,1234567893,1111111112,PAYB,MRN-00{},ABC9999999{},2026-05-04,,2026-05-05,{}.00,11,"
    con = core_plus(tmp_path, {
        "claims": "\n".join(c.format(z, 90 + i, 90 + i, 200 if z == "Z7" else 150)
                            for i, z in enumerate(["Z1", "Z2", "Z3", "Z4", "Z5", "Z6", "Z7"])),
        "claim_lines": "\n".join(f"{z},1,99214,,,1,{200 if z == 'Z7' else 150}.00,2026-05-04"
                                 for z in ["Z1", "Z2", "Z3", "Z4", "Z5", "Z6", "Z7"]),
        "remits": "RZ1,PAYB,TRN-RZ1,2026-05-12,Z1,1,150.00,0.00,150.00,PB-Z1,\n"
                  "RZ2,PAYB,TRN-RZ2,2026-05-12,Z2,1,150.00,0.00,150.00,PB-Z2,\n"
                  "RZ3a,PAYB,TRN-RZ3a,2026-05-12,Z3,1,150.00,0.00,0.00,PB-Z3,\n"
                  "RZ3b,PAYB,TRN-RZ3b,2026-05-26,Z3,1,150.00,0.00,150.00,PB-Z3,\n"
                  "RZ4a,PAYB,TRN-RZ4a,2026-05-12,Z4,1,150.00,0.00,150.00,PB-Z4,\n"
                  "RZ4b,PAYB,TRN-RZ4b,2026-05-20,Z4,22,-150.00,0.00,-150.00,PB-Z4,\n"
                  "RZ5,PAYB,TRN-RZ5,2026-05-12,Z5,19,150.00,0.00,150.00,PB-Z5,\n"
                  "RZ6a,PAYB,TRN-RZ6a,2026-05-12,Z6,1,150.00,0.00,150.00,PB-Z6,\n"
                  "RZ6b,PAYB,TRN-RZ6b,2026-05-26,Z6,1,150.00,0.00,0.00,PB-Z6,\n"
                  "RZ7,PAYB,TRN-RZ7,2026-05-12,Z7,1,200.00,0.00,100.00,PB-Z7,",
        "remit_lines": "RZ1,1,99214,,1,150.00,0.00\nRZ3a,1,99214,,1,150.00,0.00\nRZ3b,1,99214,,1,150.00,0.00\n"
                       "RZ4a,1,99214,,1,150.00,0.00\nRZ4b,1,99214,,1,-150.00,0.00\nRZ5,1,99214,,1,150.00,0.00\n"
                       "RZ6a,1,99214,,1,150.00,0.00\nRZ6b,1,99214,,1,150.00,0.00\nRZ7,1,99214,,1,200.00,0.00",
        "remit_adjustments": "RZ1,,PR,204,150.00\nRZ2,,PR,204,150.00\nRZ3a,1,CO,96,150.00\nRZ3b,1,PR,204,150.00\n"
                             "RZ4a,1,PR,204,150.00\nRZ4b,1,PR,204,-150.00\nRZ5,1,PR,204,150.00\n"
                             "RZ6a,1,PR,204,150.00\nRZ6b,1,CO,96,150.00\n"
                             "RZ7,1,PR,96,100.00\nRZ7,1,CO,45,50.00\nRZ7,1,CO,96,50.00",
    })
    rows = con.sql("SELECT c.claim_id, c.initially_denied, c.open_denied_dollars, a.balance FROM m_claim c "
                   "JOIN m_ar_claim a USING (claim_id) WHERE claim_id LIKE 'Z%' ORDER BY 1").fetchall()
    assert rows == [("Z1", True, 0, 0), ("Z2", True, 0, 0), ("Z3", True, 0, 0), ("Z4", True, 150, 150),
                    ("Z5", True, 150, 150), ("Z6", True, 150, 150), ("Z7", True, 50, 50)]


def test_a_pr_denial_on_a_paid_line_leaves_the_denied_line_open(tmp_path):
    """Two $100 lines, line 1 denied CO-16 (from a second review): a PR denial elsewhere on the remit is
    not the denied line's. P1: line 2 paid 80 + PR-204 20 -> open 100 (it read 80). P2: the PR-204 20 at
    claim level, line 1 having its own adjustments -> 100. P6: line 2 paid 70 + PR-2 10 + PR-96 20 -> 100.
    P3: both lines CO-16, then re-adjudicated PR-96 100 on line 1 and CO-16 100 on line 2 -> 100 (line 1
    moved to the patient). Each equals the insurance balance."""
    ids = ["P1", "P2", "P3", "P6"]
    c = "{},,1,,S1,1234567893,1111111112,PAYB,MRN-00{},ABC9999999{},2026-05-04,,2026-05-05,200.00,11,"
    con = core_plus(tmp_path, {
        "claims": "\n".join(c.format(z, 60 + i, 60 + i) for i, z in enumerate(ids)),
        "claim_lines": "\n".join(f"{z},1,99214,,,1,100.00,2026-05-04\n{z},2,99213,,,1,100.00,2026-05-04" for z in ids),
        "remits": "RP1,PAYB,TRN-P1,2026-05-12,P1,1,200.00,80.00,20.00,PB-P1,\n"
                  "RP2,PAYB,TRN-P2,2026-05-12,P2,1,200.00,80.00,20.00,PB-P2,\n"
                  "RP3a,PAYB,TRN-P3a,2026-05-12,P3,1,200.00,0.00,0.00,PB-P3,\n"
                  "RP3b,PAYB,TRN-P3b,2026-05-26,P3,1,200.00,0.00,100.00,PB-P3,\n"
                  "RP6,PAYB,TRN-P6,2026-05-12,P6,1,200.00,70.00,30.00,PB-P6,",
        "remit_lines": "RP1,1,99214,,1,100.00,0.00\nRP1,2,99213,,1,100.00,80.00\n"
                       "RP2,1,99214,,1,100.00,0.00\nRP2,2,99213,,1,100.00,80.00\n"
                       "RP3a,1,99214,,1,100.00,0.00\nRP3a,2,99213,,1,100.00,0.00\n"
                       "RP3b,1,99214,,1,100.00,0.00\nRP3b,2,99213,,1,100.00,0.00\n"
                       "RP6,1,99214,,1,100.00,0.00\nRP6,2,99213,,1,100.00,70.00",
        "remit_adjustments": "RP1,1,CO,16,100.00\nRP1,2,PR,204,20.00\nRP2,1,CO,16,100.00\nRP2,,PR,204,20.00\n"
                             "RP3a,1,CO,16,100.00\nRP3a,2,CO,16,100.00\nRP3b,1,PR,96,100.00\nRP3b,2,CO,16,100.00\n"
                             "RP6,1,CO,16,100.00\nRP6,2,PR,2,10.00\nRP6,2,PR,96,20.00",
    })
    rows = con.sql("SELECT c.claim_id, c.open_denied_dollars, a.balance FROM m_claim c "
                   "JOIN m_ar_claim a USING (claim_id) WHERE claim_id LIKE 'P_' ORDER BY 1").fetchall()
    assert rows == [("P1", 100, 100), ("P2", 100, 100), ("P3", 100, 100), ("P6", 100, 100)]
