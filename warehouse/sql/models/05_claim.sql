-- m_claim  (the claim lifecycle)
-- refresh: family claim_id
-- grain: one row per claim family: an original claim with its replacements and voids, or a claim
-- known only from its remit (known_from_remit). Everything a KPI counts per claim lives here.
-- Ordered by initial adjudication date (then date of service): a page's date range (13 weeks by
-- default) then reads the few row groups whose min/max dates overlap it. The incremental refresh
-- appends the rows it rebuilds (mostly recent claims); a full refresh restores the order.
--   initial adjudication: the family's first adjudication by remit date, then load order;
--     reversals (22), not-our-claim (23) and predeterminations (25) are never one.
--   initially denied: the initial adjudication has at least one denied line (full or partial).
--   denied dollars: charges of the denied lines of the initial adjudication.
--   root cause: that of the largest denied line (ties: lowest line number); 'other' (its stage,
--     team and soft/hard defaults, as m_line) when the denial carries no denial-class code.
--   the deciding remits: with one payer, all; with more (a secondary, a COB denial sent on), the initial
--     payer's, and another payer's only where it pays a line the initial adjudication denied (decided below).
--   recovered dollars: the deciding payments on the family after the initial adjudication, net
--     of reversals (their amounts are negative), only for initially denied claims; never below 0 (a
--     reversal of the initial adjudication's own payment is not a negative recovery).
--   open denied dollars (only for initially denied claims), by what the family's latest deciding
--     adjudication still denies:
--     - a line denied outright (allowed 0): denied − the contractual write-downs on the denied lines
--       (e.g. CO-45: never collectible, already out of the A/R balance) − the patient-liable denials
--       on the lines the latest adjudication still denies (PR-96, PR-204: moved to the patient, out
--       of the insurance balance too; not on a crossover remit, nor once a reversal took that
--       adjudication back; a PR denial on a line it paid is that line's, not the denied one's)
--       − recovered − written off;
--     - no line denied outright, but denial-class adjustments (not PR) left on the lines it paid in
--       part (a partial appeal win: paid 46.98, CO-B7 68.85 kept): those adjustments, at most
--       denied − the write-downs − recovered, less written off;
--     - nothing denied (the denial was overturned in full or the corrected claim paid): 0.
--     0 once the claim is voided (frequency 8: withdrawn, nothing to collect).
--     Never below 0. A family whose last remit event is a reversal that no adjudication followed counts
--     as still denying a line (the payment it reversed no longer stands).
--   denied after payment (redenied dollars): a claim its initial adjudication did not deny whose latest
--     adjudication denies lines (a payer's takeback: a reversal and a re-adjudication that denies): the
--     payments taken back and not paid again (−(the family's payments after its initial adjudication,
--     reversals negative)), at most the charges of the denied lines − their write-downs − the
--     patient-liable denials on them; less written off, never below 0 (the charges alone overstated it:
--     a claim paid $1,878 of $5,840 after a $3,962 contractual write-down read $5,840 taken back); 0
--     once voided, or while a reversal after that adjudication took it back (nothing stands to appeal). Its cause, stage, team and CARC are those of its largest denied line
--     (redenial_*), its date that adjudication's (redenied_on). Not a denial in the denial rate or open denied dollars (the initial-adjudication
--     cohort): the work queue lists it (model 07b), as money to work.
--   first corrected date: submission date of the family's first replacement claim (frequency 7).
--   clean: reached a first outcome, was not rejected before adjudication, not initially denied.
CREATE OR REPLACE TABLE m_claim AS
WITH roots AS (
    SELECT c.claim_id AS family_id, c.site_id, c.rendering_npi, c.payer_id, c.patient_pseudonym,
           c.service_date_from AS dos, c.submitted_date, c.total_charge AS billed, false AS known_from_remit
    FROM claim c JOIN m_claim_family f ON f.claim_id = c.claim_id AND f.family_id = c.claim_id),
remit_only AS (
    SELECT a.family_id,
           coalesce(p.site_id, s.site_id) AS site_id,
           first(a.rendering_npi ORDER BY a.remit_date, a.event_seq) AS rendering_npi,
           first(a.payer_id ORDER BY a.is_reversal, a.remit_date, a.event_seq) AS payer_id,
           NULL AS patient_pseudonym,
           coalesce(min(a.service_date_from), min(a.remit_date)) AS dos, NULL::DATE AS submitted_date,
           first(a.claim_charge ORDER BY a.is_reversal, a.remit_date, a.event_seq) AS billed, true
    FROM m_adjudication a
    LEFT JOIN rendering_provider p ON p.provider_npi = a.rendering_npi
    LEFT JOIN site s ON s.billing_npi = a.payee_npi
    WHERE a.known_from_remit
    GROUP BY a.family_id, p.site_id, s.site_id
    QUALIFY row_number() OVER (PARTITION BY a.family_id ORDER BY p.site_id, s.site_id) = 1),
families AS (SELECT * FROM roots UNION ALL SELECT * FROM remit_only),
fam_claims AS (
    SELECT f.family_id,
           bool_or(c.prior_auth_number IS NOT NULL AND trim(c.prior_auth_number) <> '') AS has_auth,
           count(*) FILTER (WHERE c.frequency_code = '7') AS corrected_claims,
           min(c.submitted_date) FILTER (WHERE c.frequency_code = '7') AS first_corrected_date,
           min(c.submitted_date) FILTER (WHERE c.frequency_code = '8') AS void_date
    FROM claim c JOIN m_claim_family f USING (claim_id) GROUP BY 1),
-- a remit's event_seq is unique: (remit_date, event_seq) orders a family's remits without ties, and
-- the joins below are on that integer, not on the 32-character adjudication_id
-- (m_claim keeps initial_seq, not the initial remit's 32-character adjudication_id: carried through
-- the ranking and the date-order sort of 10M rows it cost ~8 s of a 10M build; the claim page
-- takes the id from the family's remits, which it reads anyway)
initial_pos AS (
    SELECT family_id, initial.event_seq AS initial_seq,
           initial.claim_status AS initial_status, initial_adjudication_date, last_adjudication_date,
           adjudications, latest_seq, initial.payer_id AS initial_payer, multi_payer
    FROM (SELECT family_id,
                 arg_min(struct_pack(event_seq, claim_status, payer_id), (remit_date, event_seq)) AS initial,
                 min(remit_date) AS initial_adjudication_date,
                 max(remit_date) AS last_adjudication_date,
                 count(*) AS adjudications,
                 arg_max(event_seq, (remit_date, event_seq)) AS latest_seq,
                 min(payer_id) <> max(payer_id) AS multi_payer
          FROM m_adjudication WHERE is_adjudication GROUP BY 1)),
-- A family with remits from more than one payer (a secondary after a crossover, CLP02 19-21, or one the
-- practice billed itself; a coordination-of-benefits denial sent on to the right payer): the deciding
-- remits are the initial payer's, and another payer's only where it pays (or takes back) a line the
-- initial adjudication denied. A secondary's payment of the coinsurance on the lines the primary paid is
-- its share, not a recovery, and its remit often does not list the line the primary denied: counted, a
-- $200 Medicare denial read $20 recovered and $0 open. A Medicaid secondary that pays the denied line,
-- the right payer paying a COB denial, or the primary's appeal payment sent under another payer id do
-- decide (line numbers as the remits give them). One payer: every remit decides, as ever.
-- decided: initial_pos with the latest deciding adjudication (decided_seq, decided_date)
denied_line_no AS (   -- the lines the initial adjudication denied, of multi-payer families only (few)
    SELECT l.family_id, l.line_number, i.initial_payer
    FROM m_adjudication_line l JOIN initial_pos i ON i.initial_seq = l.event_seq
    WHERE i.multi_payer AND l.is_denied),
other_pay AS (        -- another payer's remit events that pay or take back such a line: what they pay on it
    SELECT l.event_seq, sum(l.paid) AS paid_on_denied
    FROM m_adjudication_line l JOIN denied_line_no d USING (family_id, line_number)
    JOIN m_adjudication a ON a.event_seq = l.event_seq
    WHERE l.paid <> 0 AND a.payer_id IS DISTINCT FROM d.initial_payer GROUP BY 1),
multi_latest AS (
    SELECT a.family_id, arg_max(a.event_seq, (a.remit_date, a.event_seq)) AS latest_seq, max(a.remit_date) AS latest_date
    FROM m_adjudication a JOIN initial_pos i USING (family_id)
    WHERE i.multi_payer AND a.is_adjudication
      AND (a.payer_id IS NOT DISTINCT FROM i.initial_payer OR a.event_seq IN (SELECT event_seq FROM other_pay))
    GROUP BY 1),
decided AS (
    SELECT i.*, coalesce(m.latest_seq, i.latest_seq) AS decided_seq,
           coalesce(m.latest_date, i.last_adjudication_date) AS decided_date
    FROM initial_pos i LEFT JOIN multi_latest m USING (family_id)),
-- the family's last reversal (22): when no adjudication followed it, the payment it took back no longer
-- stands, so the latest adjudication does not say what is still denied (still_denied below).
-- Its own scan of the few reversals: the same aggregate with FILTERs over adjudications and reversals
-- together ran out of memory at 10M claims under the 3 GB limit (the plain one spills)
last_reversal AS (
    SELECT a.family_id, max(a.remit_date) AS reversal_date, arg_max(a.event_seq, (a.remit_date, a.event_seq)) AS reversal_seq
    FROM m_adjudication a LEFT JOIN initial_pos t USING (family_id)
    WHERE a.is_reversal AND (NOT coalesce(t.multi_payer, false) OR a.payer_id IS NOT DISTINCT FROM t.initial_payer
                             OR a.event_seq IN (SELECT event_seq FROM other_pay))
    GROUP BY 1),
-- what the latest adjudication still denies, and the patient-liable PR denials on those denied lines
-- (PR-96, PR-204: moved to the patient, not open; model 04)
latest_denied AS (
    SELECT t.family_id, bool_or(l.is_denied) AS still_denied,
           sum(CASE WHEN l.is_denied THEN l.patient_liable END) AS patient_liable
    FROM decided t JOIN m_adjudication_line l ON l.event_seq = t.decided_seq GROUP BY 1),
-- the denial-class adjustments (line and claim level) the latest adjudication keeps against the payer
-- (PR ones moved the amount to the patient: not the payer's to pay)
latest_denial_adj AS (
    SELECT t.family_id, sum(j.amount) AS still_denied_adjusted
    FROM decided t JOIN m_adjustment j ON j.event_seq = t.decided_seq
    WHERE j.is_denial_class AND j.amount > 0 AND j.group_code <> 'PR' GROUP BY 1),
denied AS (
    SELECT l.family_id, sum(l.charge) AS denied_dollars, count(*) AS denied_lines,
           sum(l.written_down) AS denied_written_down,
           arg_max(l.top_denial, (l.charge, -l.line_number)) AS top_denial
    FROM m_adjudication_line l JOIN decided i ON i.initial_seq = l.event_seq
    WHERE l.is_denied GROUP BY 1),
-- the denied lines of a latest adjudication that is not the initial one (denied after payment, above):
-- their charges and what of them is not the payer's to pay, and their largest cause
redenial AS (
    SELECT t.family_id, sum(l.charge) AS charge, sum(l.written_down) AS written_down,
           sum(l.patient_liable) AS patient_liable, arg_max(l.top_denial, (l.charge, -l.line_number)) AS top_denial
    FROM decided t JOIN m_adjudication_line l ON l.event_seq = t.decided_seq
    WHERE t.decided_seq <> t.initial_seq AND l.is_denied GROUP BY 1),
later_paid AS (        -- the deciding payments (above): another payer's only on the denied lines
    SELECT a.family_id,
           sum(CASE WHEN NOT i.multi_payer OR a.payer_id IS NOT DISTINCT FROM i.initial_payer THEN a.claim_paid
                    ELSE coalesce(o.paid_on_denied, 0) END) AS paid_after_initial
    FROM m_adjudication a JOIN decided i USING (family_id)
    LEFT JOIN other_pay o ON o.event_seq = a.event_seq
    WHERE a.claim_status <> '25' AND (a.remit_date, a.event_seq) > (i.initial_adjudication_date, i.initial_seq)
    GROUP BY 1),
rejections AS (
    SELECT r.family_id, min(j.rejected_date) AS first_rejection_date, count(*) AS rejections
    FROM rejection j JOIN m_claim_ref r ON r.ref = j.claim_ref GROUP BY 1),
write_offs AS (
    SELECT r.family_id, sum(w.amount) AS written_off_dollars, min(w.write_off_date) AS first_write_off_date,
           first(w.reason ORDER BY w.write_off_date DESC) AS write_off_reason
    FROM write_off w JOIN m_claim_ref r ON r.ref = w.claim_ref GROUP BY 1),
appeals AS (
    SELECT r.family_id, count(*) AS appeals, min(p.filed_date) AS first_appeal_date
    FROM appeal p JOIN m_claim_ref r ON r.ref = p.claim_ref GROUP BY 1),
base AS (
    SELECT f.*, coalesce(fc.has_auth, false) AS has_auth, coalesce(fc.corrected_claims, 0) AS corrected_claims,
           fc.first_corrected_date, fc.void_date, i.initial_seq, i.initial_adjudication_date, i.last_adjudication_date,
           i.decided_date,
           i.initial_status, coalesce(i.adjudications, 0) AS adjudications,
           i.initial_seq IS NOT NULL AS adjudicated,
           coalesce(d.denied_lines, 0) > 0 AS initially_denied,
           coalesce(d.denied_dollars, 0)::DECIMAL(18,2) AS denied_dollars, coalesce(d.denied_lines, 0) AS denied_lines,
           coalesce(d.denied_written_down, 0) AS denied_written_down,
           d.top_denial,
           -- never below 0: a reversal of the initial adjudication's own payment with nothing after it
           -- took back money that was not a recovery of the denial (it read -$80, and open denied $280 of $200)
           CASE WHEN d.denied_lines > 0 THEN greatest(coalesce(lp.paid_after_initial, 0), 0) ELSE 0 END::DECIMAL(18,2)
               AS recovered_dollars,
           rj.first_rejection_date, coalesce(rj.rejections, 0) AS rejections,
           coalesce(w.written_off_dollars, 0)::DECIMAL(18,2) AS written_off_dollars, w.first_write_off_date, w.write_off_reason,
           coalesce(ap.appeals, 0) AS appeals, ap.first_appeal_date,
           coalesce(ld.still_denied, false) OR coalesce(rv.reversal_seq IS NOT NULL AND (i.decided_seq IS NULL
               OR (rv.reversal_date, rv.reversal_seq) > (i.decided_date, i.decided_seq)), false) AS still_denied,
           coalesce(la.still_denied_adjusted, 0) AS still_denied_adjusted,
           -- what the latest adjudication moved to the patient stands unless a reversal after it took it
           -- back (the same test as above, written twice: a join of initial_pos for it alone ran out of
           -- memory at 10M claims under the 3 GB limit)
           CASE WHEN coalesce(rv.reversal_seq IS NOT NULL AND (i.decided_seq IS NULL
                    OR (rv.reversal_date, rv.reversal_seq) > (i.decided_date, i.decided_seq)), false)
                THEN 0 ELSE coalesce(ld.patient_liable, 0) END AS latest_patient_liable,
           -- (rd.charge IS NOT NULL: least() skips a NULL, so a recoupment re-adjudicated lower, denying
           -- nothing, read its $4.45 cut as taken back)
           CASE WHEN coalesce(d.denied_lines, 0) = 0 AND fc.void_date IS NULL AND rd.charge IS NOT NULL
                     AND NOT coalesce(rv.reversal_seq IS NOT NULL
                                      AND (rv.reversal_date, rv.reversal_seq) > (i.decided_date, i.decided_seq), false)
                THEN greatest(0, least(rd.charge - rd.written_down - rd.patient_liable, -coalesce(lp.paid_after_initial, 0))
                                 - coalesce(w.written_off_dollars, 0))
                ELSE 0 END AS redenied_dollars,
           rd.top_denial AS redenial
    FROM families f
    LEFT JOIN fam_claims fc USING (family_id)
    LEFT JOIN decided i USING (family_id)
    LEFT JOIN denied d USING (family_id)
    LEFT JOIN later_paid lp USING (family_id)
    LEFT JOIN rejections rj USING (family_id)
    LEFT JOIN write_offs w USING (family_id)
    LEFT JOIN appeals ap USING (family_id)
    LEFT JOIN latest_denied ld USING (family_id)
    LEFT JOIN latest_denial_adj la USING (family_id)
    LEFT JOIN last_reversal rv USING (family_id)
    LEFT JOIN redenial rd USING (family_id))
SELECT b.family_id AS claim_id, b.known_from_remit, b.site_id, b.rendering_npi, pr.specialty, b.payer_id,
       py.payer_class, b.patient_pseudonym, b.dos, b.submitted_date, b.billed::DECIMAL(18,2) AS billed,
       b.has_auth, b.corrected_claims, b.first_corrected_date, b.void_date,
       b.initial_seq, b.initial_adjudication_date, b.last_adjudication_date, b.initial_status,
       b.adjudications, b.adjudicated, b.initially_denied, b.denied_dollars, b.denied_lines,
       -- a denied claim whose remit carries no denial-class code (status 4 with CO-45 alone) is 'other',
       -- with that category's defaults, as its lines in m_line: it counted in the denial rate under no cause
       CASE WHEN b.initially_denied THEN coalesce(b.top_denial.category, 'other') END AS root_cause,
       b.top_denial.sub_cause AS sub_cause,
       CASE WHEN b.initially_denied THEN coalesce(b.top_denial.stage, 'payer') END AS stage,
       CASE WHEN b.initially_denied THEN coalesce(b.top_denial.owner_team, 'billing') END AS owner_team,
       CASE WHEN b.initially_denied THEN coalesce(b.top_denial.soft_hard, 'soft') END AS soft_hard,
       b.top_denial.group_code AS denial_group_code, b.top_denial.carc AS carc,
       b.recovered_dollars, b.written_off_dollars, b.first_write_off_date, b.write_off_reason,
       CASE WHEN NOT b.initially_denied OR b.void_date IS NOT NULL THEN 0     -- voided: withdrawn, nothing to collect
            WHEN b.still_denied
            THEN greatest(0, b.denied_dollars - b.denied_written_down - b.latest_patient_liable - b.recovered_dollars
                             - b.written_off_dollars)
            ELSE greatest(0, least(b.still_denied_adjusted, b.denied_dollars - b.denied_written_down - b.recovered_dollars)
                             - b.written_off_dollars)
            END::DECIMAL(18,2) AS open_denied_dollars, b.still_denied,
       coalesce(b.redenied_dollars, 0)::DECIMAL(18,2) AS redenied_dollars,
       CASE WHEN b.redenied_dollars > 0 THEN coalesce(b.redenial.category, 'other') END AS redenial_cause,
       CASE WHEN b.redenied_dollars > 0 THEN b.redenial.sub_cause END AS redenial_sub_cause,
       CASE WHEN b.redenied_dollars > 0 THEN coalesce(b.redenial.stage, 'payer') END AS redenial_stage,
       CASE WHEN b.redenied_dollars > 0 THEN coalesce(b.redenial.owner_team, 'billing') END AS redenial_owner_team,
       CASE WHEN b.redenied_dollars > 0 THEN coalesce(b.redenial.soft_hard, 'soft') END AS redenial_soft_hard,
       CASE WHEN b.redenied_dollars > 0 THEN b.redenial.carc END AS redenial_carc,
       -- the re-denial's date: its deciding adjudication's (a secondary's later remit is not the re-denial)
       CASE WHEN b.redenied_dollars > 0 THEN b.decided_date END AS redenied_on,
       b.appeals, b.appeals > 0 AS appealed, b.first_appeal_date,
       b.first_rejection_date, b.rejections,
       b.first_rejection_date IS NOT NULL
           AND (b.initial_adjudication_date IS NULL OR b.first_rejection_date <= b.initial_adjudication_date)
           AS rejected_before_adjudication,
       CASE WHEN b.first_rejection_date IS NULL THEN b.initial_adjudication_date
            WHEN b.initial_adjudication_date IS NULL THEN b.first_rejection_date
            ELSE least(b.first_rejection_date, b.initial_adjudication_date) END AS first_outcome_date,
       b.initial_adjudication_date - b.submitted_date AS days_to_adjudicate, hash(b.family_id) >> 24 AS family_key
FROM base b
LEFT JOIN rendering_provider pr ON pr.provider_npi = b.rendering_npi
LEFT JOIN payer py ON py.payer_id = b.payer_id
ORDER BY b.initial_adjudication_date, b.dos;
