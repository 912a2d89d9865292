-- Closing the loops of a batch's life (docs/batch-life.md): review verdicts
-- and the reasons they may clear, a batch's two further states (`settled`
-- once the bank answered every payment, `closed` when it has no payment),
-- the verdict each decision followed, and the end of the placeholder debtor
-- (the fund's account now comes from the config file at approval).

-- The review reasons a person's verdict may clear (docs/rules.md, "Review
-- verdicts"): data beside the parameters, so that a change of policy is a
-- row, not a new program. Where the money goes (NO_ACCOUNT, ACCOUNT_INVALID,
-- PAYEE_MISMATCH, TRANSFER_RETURNED, UNIT_MISSING) and the data-quality
-- reasons are cleared only by corrected data, so they are not here.
CREATE TABLE clearable_reasons (
    code TEXT PRIMARY KEY,
    why  TEXT NOT NULL                    -- what the reviewer checks
) WITHOUT ROWID;
INSERT INTO clearable_reasons (code, why) VALUES
    ('REG_MISSING', '核实企业的登记信息（如在外地登记）'),
    ('REG_SUSPENDED', '核实迁出、停业、歇业或清算的实际情况'),
    ('UI_SUSPENDED', '核实暂停缴费的原因'),
    ('LAYOFF_HIGH', '核实减少的人员是否为退休、死亡、合同到期或辞职'),
    ('LABOUR_DISPATCH', '企业已申请，核实实际用工单位'),
    ('NAME_MISMATCH', '核实参保单位名称与登记名称为同一企业'),
    ('AMOUNT_HIGH', '核实返还金额');

-- A person's verdict on a REVIEW firm for a policy year: never changed or
-- deleted; the latest for a firm and year supersedes the earlier. It covers
-- the reasons and the amount of the decision it was given on.
CREATE TABLE review_verdicts (
    verdict_id  INTEGER PRIMARY KEY,
    uscc        TEXT NOT NULL CHECK (length(uscc) = 18),
    policy_year INTEGER NOT NULL,
    verdict     TEXT NOT NULL CHECK (verdict = 'accept' OR verdict = 'reject'),
    reasons     TEXT NOT NULL,            -- the covered reasons, ';'-separated, sorted
    amount_fen  INTEGER NOT NULL,         -- the covered amount
    import_id   INTEGER REFERENCES imports(import_id), -- the snapshot it was given on
    at          TEXT NOT NULL,            -- ISO 8601, UTC
    by_whom     TEXT NOT NULL CHECK (length(trim(by_whom)) > 0),
    login       TEXT NOT NULL,
    note        TEXT NOT NULL CHECK (length(trim(note)) > 0)
);
CREATE INDEX review_verdicts_by_firm ON review_verdicts(policy_year, uscc, verdict_id);
CREATE TRIGGER review_verdicts_never_updated BEFORE UPDATE ON review_verdicts
BEGIN
    SELECT RAISE(ABORT, 'a review verdict is never changed: record a new one');
END;
CREATE TRIGGER review_verdicts_never_deleted BEFORE DELETE ON review_verdicts
BEGIN
    SELECT RAISE(ABORT, 'a review verdict is never deleted: record a new one');
END;

-- SQLite cannot change a CHECK in place: batches is rebuilt (create the new
-- table, copy, drop, rename), and with it the tables that refer to it, so
-- that the foreign keys, which stay enforced during the migration, always
-- point at a table holding the rows. Children are dropped before parents.
CREATE TABLE batches_new (
    batch_id      TEXT PRIMARY KEY,
    policy_year   INTEGER NOT NULL REFERENCES policy_params(policy_year),
    params        TEXT NOT NULL,
    as_of         TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    scope         TEXT NOT NULL CHECK (scope IN ('all', 'selected')),
    -- (CHECKs of three values or more compare with OR: an IN list makes
    -- SQLite build a temporary table for every row written.)
    state         TEXT NOT NULL CHECK (state = 'published' OR state = 'approved' OR state = 'voided'
                                       OR state = 'settled' OR state = 'closed'),
    import_id     INTEGER REFERENCES imports(import_id),
    run_id        INTEGER REFERENCES runs(run_id),
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    folder        TEXT NOT NULL,
    firms         INTEGER NOT NULL,
    payments      INTEGER NOT NULL,
    total_fen     INTEGER NOT NULL,
    payout_sha256 TEXT NOT NULL,
    approved_by   TEXT,
    approved_at   TEXT,
    voided_by     TEXT,
    voided_at     TEXT,
    void_reason   TEXT,
    created_login TEXT,                   -- the login of the process that ran it (audit)
    settled_at    TEXT,                   -- when the bank had answered every payment
    -- The fund's own account the bank file pays from (pain.001 Dbtr, DbtrAcct,
    -- DbtrAgt), as the config file gave it at approval: kept, so that a bank
    -- folder written again after a crash carries the same debtor.
    debtor_name      TEXT,
    debtor_account   TEXT,
    debtor_bank_name TEXT,
    debtor_bank_code TEXT
);
INSERT INTO batches_new (batch_id, policy_year, params, as_of, seq, scope, state, import_id, run_id, created_at,
                         created_by, folder, firms, payments, total_fen, payout_sha256, approved_by, approved_at,
                         voided_by, voided_at, void_reason)
    SELECT batch_id, policy_year, params, as_of, seq, scope, state, import_id, run_id, created_at, created_by,
           folder, firms, payments, total_fen, payout_sha256, approved_by, approved_at, voided_by, voided_at,
           void_reason
    FROM batches;

CREATE TABLE payments_new (
    reference    TEXT PRIMARY KEY,
    uscc         TEXT NOT NULL,
    policy_year  INTEGER NOT NULL,
    attempt      INTEGER NOT NULL CHECK (attempt >= 1),
    batch_id     TEXT NOT NULL REFERENCES batches_new(batch_id),
    amount_fen   INTEGER NOT NULL CHECK (amount_fen > 0),
    account_name TEXT,
    bank_name    TEXT,
    bank_code    TEXT,
    bank_account TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state = 'published' OR state = 'approved' OR state = 'paid'
                                      OR state = 'returned' OR state = 'voided'),
    state_at     TEXT NOT NULL,
    UNIQUE (uscc, policy_year, attempt)
);
INSERT INTO payments_new SELECT * FROM payments;

CREATE TABLE decisions_new (
    batch_id       TEXT NOT NULL REFERENCES batches_new(batch_id),
    uscc           TEXT NOT NULL,
    outcome        TEXT NOT NULL CHECK (outcome = 'PAY' OR outcome = 'REVIEW' OR outcome = 'REJECT'
                                        OR outcome = 'SKIP'),
    reasons        TEXT NOT NULL,
    headcount_num  INTEGER,
    headcount_den  INTEGER,
    full_months    INTEGER NOT NULL,
    arrears_fen    INTEGER NOT NULL,
    base_fen       INTEGER NOT NULL,
    layoff_num     INTEGER NOT NULL,
    layoff_den     INTEGER NOT NULL,
    rate_pct       INTEGER NOT NULL,
    amount_fen     INTEGER NOT NULL,
    verdict_id     INTEGER REFERENCES review_verdicts(verdict_id), -- the verdict that applied, if any
    PRIMARY KEY (batch_id, uscc)
) WITHOUT ROWID;
INSERT INTO decisions_new (batch_id, uscc, outcome, reasons, headcount_num, headcount_den, full_months, arrears_fen,
                           base_fen, layoff_num, layoff_den, rate_pct, amount_fen)
    SELECT batch_id, uscc, outcome, reasons, headcount_num, headcount_den, full_months, arrears_fen, base_fen,
           layoff_num, layoff_den, rate_pct, amount_fen
    FROM decisions;

CREATE TABLE bank_answers_new (
    reference   TEXT PRIMARY KEY REFERENCES payments_new(reference),
    batch_id    TEXT NOT NULL REFERENCES batches_new(batch_id),
    status      TEXT NOT NULL CHECK (status IN ('paid', 'returned')),
    reason      TEXT,
    file        TEXT NOT NULL,
    line        INTEGER NOT NULL,
    run_id      INTEGER REFERENCES runs(run_id),
    recorded_at TEXT NOT NULL
);
INSERT INTO bank_answers_new SELECT * FROM bank_answers;

DROP TABLE bank_answers;
DROP TABLE decisions;
DROP TABLE payments;
DROP TABLE batches;
-- Renaming rewrites the references of the other new tables to the final names.
ALTER TABLE batches_new RENAME TO batches;
ALTER TABLE payments_new RENAME TO payments;
ALTER TABLE decisions_new RENAME TO decisions;
ALTER TABLE bank_answers_new RENAME TO bank_answers;

CREATE UNIQUE INDEX payments_one_live ON payments(uscc, policy_year)
    WHERE state NOT IN ('voided', 'returned');
CREATE INDEX payments_by_batch ON payments(batch_id);
CREATE INDEX bank_answers_by_batch ON bank_answers(batch_id);
-- A firm's latest decision per year (status --uscc, the quiet night).
CREATE INDEX decisions_by_uscc ON decisions(uscc);

-- The placeholder debtor is retired: approve takes the fund's account from
-- the config file (fund_account_name, fund_account, fund_bank_name,
-- fund_bank_code) and refuses without it, so the bank file never carries a
-- placeholder.
DROP TABLE bank_debtor;
