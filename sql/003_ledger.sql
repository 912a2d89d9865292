-- The ledger of payments, the batches that carry them, the decisions of
-- each batch and the log of runs. One live payment per (uscc, policy year)
-- is enforced here, by the database, not only by code.

-- One row per command that changed or published anything (a log of runs).
CREATE TABLE runs (
    run_id      INTEGER PRIMARY KEY,
    command     TEXT NOT NULL,            -- import | run | nightly | approve | void | reconcile
    started_at  TEXT NOT NULL,            -- ISO 8601, UTC
    finished_at TEXT,
    by_whom     TEXT NOT NULL,
    exit_status INTEGER,
    detail      TEXT                      -- one line: counts, batch id, timings
);

CREATE TABLE batches (
    batch_id      TEXT PRIMARY KEY,       -- <Y>-<YYYYMMDD>-<NNN>
    policy_year   INTEGER NOT NULL REFERENCES policy_params(policy_year),
    params        TEXT NOT NULL,          -- the policy_params row used, as column=value;...
    as_of         TEXT NOT NULL,          -- YYYY-MM-DD the run counts as
    seq           INTEGER NOT NULL,       -- NNN
    scope         TEXT NOT NULL CHECK (scope IN ('all', 'selected')),
    -- (CHECKs of three values or more compare with OR: an IN list makes
    -- SQLite build a temporary table for every row written.)
    state         TEXT NOT NULL CHECK (state = 'published' OR state = 'approved' OR state = 'voided'),
    import_id     INTEGER REFERENCES imports(import_id),
    run_id        INTEGER REFERENCES runs(run_id),
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    folder        TEXT NOT NULL,          -- where it was published
    firms         INTEGER NOT NULL,
    payments      INTEGER NOT NULL,
    total_fen     INTEGER NOT NULL,
    payout_sha256 TEXT NOT NULL,
    approved_by   TEXT,
    approved_at   TEXT,
    voided_by     TEXT,
    voided_at     TEXT,
    void_reason   TEXT
);

CREATE TABLE payments (
    reference    TEXT PRIMARY KEY,        -- <Y>-<uscc>-<attempt>, unique for ever
    uscc         TEXT NOT NULL,
    policy_year  INTEGER NOT NULL,
    attempt      INTEGER NOT NULL CHECK (attempt >= 1),
    batch_id     TEXT NOT NULL REFERENCES batches(batch_id),
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
-- The rule "a firm is never paid twice for a year": at most one payment per
-- firm and year that is not voided or returned.
CREATE UNIQUE INDEX payments_one_live ON payments(uscc, policy_year)
    WHERE state NOT IN ('voided', 'returned');
CREATE INDEX payments_by_batch ON payments(batch_id);

-- The decision of every evaluated firm in every batch, with the measures it
-- was made from (fractions kept exact as numerator/denominator).
CREATE TABLE decisions (
    batch_id       TEXT NOT NULL REFERENCES batches(batch_id),
    uscc           TEXT NOT NULL,
    outcome        TEXT NOT NULL CHECK (outcome = 'PAY' OR outcome = 'REVIEW' OR outcome = 'REJECT'
                                        OR outcome = 'SKIP'),
    reasons        TEXT NOT NULL,         -- ';'-separated codes, sorted; '' for PAY
    headcount_num  INTEGER,               -- NULL when unknown
    headcount_den  INTEGER,
    full_months    INTEGER NOT NULL,
    arrears_fen    INTEGER NOT NULL,
    base_fen       INTEGER NOT NULL,
    layoff_num     INTEGER NOT NULL,
    layoff_den     INTEGER NOT NULL,      -- 0 when the rate is over every cap
    rate_pct       INTEGER NOT NULL,
    amount_fen     INTEGER NOT NULL,
    PRIMARY KEY (batch_id, uscc)
) WITHOUT ROWID;
