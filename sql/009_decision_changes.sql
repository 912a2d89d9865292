-- Decisions recorded as changes: a batch of the whole population records a
-- firm's decision only when it differs from the firm's latest recorded one
-- for the year (docs/batch.md, "Decisions kept as changes"), and the full
-- decision set of any batch is rebuilt from the rows up to it. Every batch
-- gets a number in the order batches are made (batch_no), which orders a
-- firm's rows; decisions gain the name decisions.csv printed and the marker
-- GONE for a firm that left the population; the verdict a decision followed
-- (sql/006) is kept.

ALTER TABLE batches ADD COLUMN batch_no INTEGER;
-- Existing batches in the order they were made (rowid: they were only ever
-- inserted).
UPDATE batches SET batch_no = (SELECT count(*) FROM batches AS b WHERE b.rowid <= batches.rowid);
CREATE UNIQUE INDEX batches_by_no ON batches(batch_no);
-- 'all': every decided firm has its row in decisions (every batch recorded
-- before this migration, and every --uscc batch); 'changes': only the firms
-- whose decision changed since the latest batch of the whole population of
-- the same year, and a GONE row for each firm that left it.
ALTER TABLE batches ADD COLUMN decisions_kept TEXT NOT NULL DEFAULT 'all'
    CHECK (decisions_kept = 'all' OR decisions_kept = 'changes');
-- SHA-256 of the decisions.csv published with the batch (NULL before this
-- migration), against which a rebuilt decisions.csv is checked.
ALTER TABLE batches ADD COLUMN decisions_sha256 TEXT;
-- Decisions recorded by this batch (changed firms and GONE rows).
ALTER TABLE batches ADD COLUMN decisions_recorded INTEGER;
-- SHA-256 of everything the decisions of a batch of all firms depend on,
-- as the batch left it: the import the snapshot comes from, the parameter
-- row, and the year's payments (its own included). A nightly run whose
-- inputs have this digest would decide every firm as the batch did.
ALTER TABLE batches ADD COLUMN inputs_sha256 TEXT;

CREATE TABLE decisions_by_firm (
    policy_year    INTEGER NOT NULL,
    uscc           TEXT NOT NULL,
    batch_no       INTEGER NOT NULL,      -- batches.batch_no of the batch that made it
    batch_id       TEXT NOT NULL REFERENCES batches(batch_id),
    outcome        TEXT NOT NULL CHECK (outcome = 'PAY' OR outcome = 'REVIEW' OR outcome = 'REJECT'
                                        OR outcome = 'SKIP' OR outcome = 'GONE'),
    name           TEXT,                  -- as decisions.csv printed it; NULL before this migration
    reasons        TEXT NOT NULL,         -- ';'-separated codes, sorted; '' for PAY and GONE
    headcount_num  INTEGER,               -- NULL when unknown
    headcount_den  INTEGER,
    full_months    INTEGER NOT NULL,
    arrears_fen    INTEGER NOT NULL,
    base_fen       INTEGER NOT NULL,
    layoff_num     INTEGER NOT NULL,
    layoff_den     INTEGER NOT NULL,      -- 0 when the rate is over every cap
    rate_pct       INTEGER NOT NULL,
    amount_fen     INTEGER NOT NULL,
    verdict_id     INTEGER REFERENCES review_verdicts(verdict_id), -- the verdict that applied, if any
    PRIMARY KEY (policy_year, uscc, batch_no)
) WITHOUT ROWID;
INSERT INTO decisions_by_firm
    SELECT b.policy_year, d.uscc, b.batch_no, d.batch_id, d.outcome, NULL, d.reasons, d.headcount_num,
           d.headcount_den, d.full_months, d.arrears_fen, d.base_fen, d.layoff_num, d.layoff_den, d.rate_pct,
           d.amount_fen, d.verdict_id
    FROM decisions AS d JOIN batches AS b ON b.batch_id = d.batch_id;
DROP TABLE decisions;
ALTER TABLE decisions_by_firm RENAME TO decisions;
-- (No index by batch: a batch's rows are read by scanning the year, which
-- only a rebuild does; an index would cost a tenth of the table again.)
