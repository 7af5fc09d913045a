-- m_ar_event
-- refresh: transient claim_id
-- grain: one row per event that moves a claim's insurance balance.
--   + billed charges, dated the date of service;
--   − payer payments (every remit event but predeterminations; reversals add back, their
--     amounts being negative), dated the remit date;
--   − amounts moved to the patient (PR group) and adjustments that are not denials (CO-45 and the
--     like), dated the remit date; OA-23 (the prior payer's part) is left out because that payer's
--     own remit already moved the balance; denial adjustments do not move it: a denied balance
--     stays in A/R until it is paid, written off or moved to the patient;
--     a remit forwarded to another payer (crossover: CLP02 19, 20 or 21, processed as primary,
--     secondary or tertiary and forwarded) moves no PR amount: that share is the next payer's to pay,
--     so it stays in insurance A/R until that payer's remit pays it, adjusts it or moves it to the
--     patient (moved out at the first remit, it was taken off twice and left a credit balance); nor
--     does a reversal (22) of such a remit move its PR back (matched to the same payer's remit before
--     it on each line: a Medicare takeback 22 + 19 read the forwarded coinsurance twice);
--   + the patient's share billed to the next payer: when the practice bills a secondary itself, the
--     primary's remit (not a crossover) moved its PR to the patient; once the secondary has remitted on
--     that line, that share is the secondary's to pay. On each line, the shares (PR moved by the latest
--     remit of each payer, 0 once reversed) of the payers billed before the last payer that has remitted
--     on the line are insurance A/R again ('rebilled': each remit dated with what it changed of them, so
--     a reversal or re-adjudication on either side moves them and nothing is brought back twice);
--   + a re-adjudication's restatement: a payer that adjudicates a line again without reversing its
--     earlier remit (a second status-1 remit after an appeal) restates that line's write-downs, so
--     the earlier remit's write-downs of that line are added back, dated the later remit (each line's
--     latest adjudication by a payer is the one that counts; claim-level adjustments count as line
--     0; after a reversal nothing is added back: the reversal already did);
--   − write-offs, dated the write-off date;
--   − a void (frequency 8): the balance the claim still had on the void date.
-- A/R at D is the plain sum of events dated on or before D of claims with date of service on or
-- before D, so it adds up across any slice and by day (credit balances net against debits).
-- Columns: claim_id, event_date, event, amount, and the claim's dos and family_key. The slice
-- columns (site, provider, payer, root cause ...) are the claim's: the models after it join m_claim
-- for them after summing the events per claim and day (59 M events at 10M claims, ~2.3 per claim-day;
-- a full build that carried 11 slice columns on every event took 55-60 s for this model, 12 s without).
-- ev is read twice (the voids sum a void claim's events): NOT MATERIALIZED reads the models again
-- instead of holding every event in memory.
CREATE OR REPLACE TABLE m_ar_event AS
WITH write_down AS NOT MATERIALIZED (   -- the adjustments that move the balance
    SELECT j.family_id, j.remit_date, j.event_seq, coalesce(j.line_number, 0) AS line_key, j.amount, j.group_code,
           j.claim_status
    FROM m_adjustment j
    WHERE j.claim_status <> '25'
      AND ((j.group_code = 'PR' AND j.claim_status NOT IN ('19', '20', '21')) OR j.is_write_down)),
-- only the remits of a claim family and payer with more than one remit can restate (most have one:
-- found by the 40-bit family_key, a collision only adds a family to look at)
again AS (
    SELECT event_seq FROM m_adjudication WHERE claim_status <> '25'
    QUALIFY count(*) OVER (PARTITION BY family_key, payer_id) > 1),
covered AS (      -- the lines each such remit adjudicates, with the payer's remit before it on that line
    SELECT a.family_id, a.remit_date, a.claim_status, c.line_key, a.event_seq,
           lag(a.event_seq) OVER w AS prev_seq, lag(a.claim_status) OVER w AS prev_status
    FROM (SELECT event_seq, line_number AS line_key FROM m_adjudication_line
          WHERE event_seq IN (SELECT event_seq FROM again)
          UNION SELECT event_seq, 0 FROM m_adjustment
          WHERE line_number IS NULL AND event_seq IN (SELECT event_seq FROM again)) c
    JOIN m_adjudication a ON a.event_seq = c.event_seq
    WHERE a.claim_status <> '25'
    WINDOW w AS (PARTITION BY a.family_id, a.payer_id, c.line_key ORDER BY a.remit_date, a.event_seq)),
restated AS (
    SELECT c.family_id, c.remit_date, sum(d.amount) AS amount
    FROM covered c JOIN write_down d ON d.event_seq = c.prev_seq AND d.line_key = c.line_key
    WHERE c.claim_status <> '22' AND c.prev_status <> '22'
    GROUP BY 1, 2),
-- a reversal's lines that take back a crossover remit (19-21) of the same payer: that remit's PR never
-- moved (it was the next payer's), so the reversal's negated PR does not move it back either
reversed_forwarded AS (
    SELECT event_seq, line_key FROM covered WHERE claim_status = '22' AND prev_status IN ('19', '20', '21')),
-- the patient's share held by a next payer (the families with a remit processed as secondary or tertiary
-- and a patient share moved: by the 40-bit family_key, a collision only adds a family to look at)
chain_family AS (
    SELECT DISTINCT family_key FROM m_adjustment
    WHERE group_code = 'PR' AND claim_status NOT IN ('19', '20', '21', '22', '25')
      AND family_key IN (SELECT family_key FROM m_adjudication WHERE claim_status IN ('2', '3', '20', '21'))),
chain_remit AS MATERIALIZED (
    SELECT family_id, payer_id, remit_date, event_seq, claim_status FROM m_adjudication
    WHERE claim_status <> '25' AND family_key IN (SELECT family_key FROM chain_family)),
-- the payers of a family in the order they are billed: primary, secondary, tertiary by the status of
-- their remits (1/19, 2/20, 3/21; a payer with denials or reversals only counts as primary), then by
-- their first remit
payer_order AS (
    SELECT family_id, payer_id,
           row_number() OVER (PARTITION BY family_id ORDER BY
               coalesce(min(CASE WHEN claim_status IN ('1', '19') THEN 1 WHEN claim_status IN ('2', '20') THEN 2
                                 WHEN claim_status IN ('3', '21') THEN 3 END), 1),
               min(remit_date), min(event_seq)) AS chain
    FROM chain_remit GROUP BY family_id, payer_id),
-- the lines each remit adjudicates: its service lines, and line 0 (claim-level adjustments) for every
-- remit; a remit that lists no service line adjudicates every line of its family
listed AS (
    SELECT l.event_seq, l.line_number AS line_key FROM m_adjudication_line l
    WHERE l.event_seq IN (SELECT event_seq FROM chain_remit)
    UNION SELECT event_seq, 0 FROM chain_remit),
line_event AS (
    SELECT r.family_id, c.line_key, r.payer_id, r.remit_date, r.event_seq, r.claim_status
    FROM listed c JOIN chain_remit r ON r.event_seq = c.event_seq
    UNION
    SELECT r.family_id, f.line_key, r.payer_id, r.remit_date, r.event_seq, r.claim_status
    FROM chain_remit r
    JOIN (SELECT DISTINCT r2.family_id, c2.line_key FROM listed c2 JOIN chain_remit r2 ON r2.event_seq = c2.event_seq) f
      ON f.family_id = r.family_id
    WHERE NOT EXISTS (SELECT 1 FROM listed c3 WHERE c3.event_seq = r.event_seq AND c3.line_key <> 0)),
-- what each remit moves to the patient on the line (0 for a crossover: its PR stays, write_down; 0 once
-- reversed: a reversal leaves its payer nothing standing on the line)
line_share AS (
    SELECT e.family_id, e.line_key, e.remit_date, e.event_seq, o.chain,
           CASE WHEN e.claim_status = '22' THEN 0 ELSE coalesce(p.amount, 0) END AS share
    FROM line_event e
    JOIN payer_order o ON o.family_id = e.family_id AND o.payer_id = e.payer_id
    LEFT JOIN (SELECT event_seq, line_key, sum(amount) AS amount FROM write_down
               WHERE group_code = 'PR' AND event_seq IN (SELECT event_seq FROM chain_remit) GROUP BY 1, 2) p
      ON p.event_seq = e.event_seq AND p.line_key = e.line_key),
-- after each remit on a line: each payer's standing share (that of its latest remit on the line), and
-- `held`, the shares of the payers billed before the last payer that has remitted on the line: those
-- went on to that payer, so they are insurance A/R again
standing AS (
    SELECT e.family_id, e.line_key, e.remit_date, e.event_seq, p.chain,
           arg_max(p.share, struct_pack(d := p.remit_date, s := p.event_seq)) AS share
    FROM line_share e JOIN line_share p
      ON p.family_id = e.family_id AND p.line_key = e.line_key
     AND (p.remit_date < e.remit_date OR (p.remit_date = e.remit_date AND p.event_seq <= e.event_seq))
    GROUP BY e.family_id, e.line_key, e.remit_date, e.event_seq, p.chain),
held AS (
    SELECT family_id, line_key, remit_date, event_seq,
           coalesce(sum(share) FILTER (WHERE chain < top), 0) AS held
    FROM (SELECT *, max(chain) OVER (PARTITION BY family_id, line_key, event_seq) AS top FROM standing)
    GROUP BY ALL),
-- dated each remit: what it changed of the held shares
rebilled AS (
    SELECT family_id, remit_date, sum(held - prev_held) AS amount
    FROM (SELECT *, coalesce(lag(held) OVER (PARTITION BY family_id, line_key ORDER BY remit_date, event_seq), 0)
                    AS prev_held FROM held)
    GROUP BY 1, 2 HAVING sum(held - prev_held) <> 0),
ev AS NOT MATERIALIZED (
    SELECT claim_id, dos AS event_date, billed AS amount, 'charge' AS event FROM m_claim
    UNION ALL
    SELECT family_id, remit_date, -claim_paid, 'payment' FROM m_adjudication WHERE claim_status <> '25'
    UNION ALL
    SELECT d.family_id, d.remit_date, -d.amount, CASE WHEN d.group_code = 'PR' THEN 'patient' ELSE 'adjustment' END
    FROM write_down d LEFT JOIN reversed_forwarded f ON d.claim_status = '22' AND d.group_code = 'PR'
                                                    AND f.event_seq = d.event_seq AND f.line_key = d.line_key
    WHERE f.event_seq IS NULL
    UNION ALL
    SELECT family_id, remit_date, amount, 'restated' FROM restated
    UNION ALL
    SELECT family_id, remit_date, amount, 'rebilled' FROM rebilled
    UNION ALL
    SELECT r.family_id, w.write_off_date, -w.amount, 'write_off' FROM write_off w JOIN m_claim_ref r ON r.ref = w.claim_ref),
voids AS (
    SELECT c.claim_id, c.void_date AS event_date, -sum(ev.amount) AS amount, 'void' AS event
    FROM m_claim c JOIN ev ON ev.claim_id = c.claim_id AND ev.event_date <= c.void_date
    WHERE c.void_date IS NOT NULL GROUP BY c.claim_id, c.void_date),
all_ev AS (SELECT * FROM ev UNION ALL SELECT * FROM voids)
SELECT e.claim_id, e.event_date, e.event, e.amount::DECIMAL(18,2) AS amount, c.dos, c.family_key
FROM all_ev e JOIN m_claim c ON c.claim_id = e.claim_id;
