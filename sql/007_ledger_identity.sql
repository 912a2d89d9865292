-- The ledger's identity, and parameter rows that a batch has used kept
-- unchanged by the database itself.
--
-- One database is one ledger. Its identity is a random 128-bit number in
-- hexadecimal, given once (by `rebate init`, or when an older database is
-- migrated) and never changed; the outbox records it in `.rebate-ledger`
-- (docs/operations.md), so that two ledgers can never publish into one
-- outbox. The row is inserted by the program, inside the transaction that
-- applies this migration.
CREATE TABLE IF NOT EXISTS ledger_identity (
    only_row   INTEGER PRIMARY KEY CHECK (only_row = 1),
    ledger_id  TEXT NOT NULL CHECK (length(ledger_id) = 32 AND ledger_id NOT GLOB '*[^0-9a-f]*'),
    created_at TEXT NOT NULL              -- ISO 8601, UTC
);
CREATE TRIGGER IF NOT EXISTS ledger_identity_never_changed BEFORE UPDATE ON ledger_identity
BEGIN
    SELECT RAISE(ABORT, 'the ledger''s identity never changes');
END;
CREATE TRIGGER IF NOT EXISTS ledger_identity_never_deleted BEFORE DELETE ON ledger_identity
BEGIN
    SELECT RAISE(ABORT, 'the ledger''s identity never changes');
END;

-- A parameter row that a batch has used is part of what that batch paid
-- by: it is never edited or removed (a row no batch has used may be
-- replaced by `rebate params add --replace`).
CREATE TRIGGER IF NOT EXISTS policy_params_used_never_updated BEFORE UPDATE ON policy_params
WHEN EXISTS (SELECT 1 FROM batches WHERE batches.policy_year = OLD.policy_year)
BEGIN
    SELECT RAISE(ABORT, 'a parameter row that a batch has used never changes');
END;
CREATE TRIGGER IF NOT EXISTS policy_params_used_never_deleted BEFORE DELETE ON policy_params
WHEN EXISTS (SELECT 1 FROM batches WHERE batches.policy_year = OLD.policy_year)
BEGIN
    SELECT RAISE(ABORT, 'a parameter row that a batch has used never changes');
END;
