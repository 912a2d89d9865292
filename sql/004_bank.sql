-- The bank side of a batch's life (docs/batch-life.md): whom the transfers
-- of the bank file are paid from, and the bank's answer for each payment.

-- The debtor of every bank file (pain.001 Dbtr, DbtrAcct, DbtrAgt): one row.
-- The schema requires a debtor account; until the bureau enters its own with
-- `sqlite3 DB "UPDATE bank_debtor SET account = '...', bank_code = '...'"`,
-- the account is the placeholder NOTPROVIDED and the bank fills it in from
-- the channel the file is uploaded through.
CREATE TABLE bank_debtor (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    name      TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 140),
    account   TEXT NOT NULL CHECK (length(account) BETWEEN 1 AND 34),
    bank_code TEXT CHECK (bank_code IS NULL OR (length(bank_code) = 12 AND bank_code NOT GLOB '*[^0-9]*')),
    bank_name TEXT CHECK (bank_name IS NULL OR length(bank_name) BETWEEN 1 AND 140)
);
INSERT INTO bank_debtor (id, name, account) VALUES (1, '鞍山市社会保险事业服务中心', 'NOTPROVIDED');

-- The bank's answer for a payment, as `rebate reconcile` read it: one row
-- per payment, written once (a repeated identical answer changes nothing).
CREATE TABLE bank_answers (
    reference   TEXT PRIMARY KEY REFERENCES payments(reference),
    batch_id    TEXT NOT NULL REFERENCES batches(batch_id),
    status      TEXT NOT NULL CHECK (status IN ('paid', 'returned')),
    reason      TEXT,                     -- the bank's words, when given
    file        TEXT NOT NULL,            -- the answer file's name (no folder)
    line        INTEGER NOT NULL,         -- its line there (the header is line 1)
    run_id      INTEGER REFERENCES runs(run_id),
    recorded_at TEXT NOT NULL             -- ISO 8601, UTC
);
CREATE INDEX bank_answers_by_batch ON bank_answers(batch_id);
