-- The append-only event log of a batch's and a payment's life: every state
-- change, every review verdict and every parameter row added, with who, when,
-- from which state to which and why. The program only ever inserts here; the
-- triggers refuse an UPDATE or a DELETE from any client, sqlite3 included.
CREATE TABLE IF NOT EXISTS events (
    event_id   INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,             -- ISO 8601, UTC
    kind       TEXT NOT NULL CHECK (kind = 'batch' OR kind = 'payment' OR kind = 'verdict'
                                    OR kind = 'params'),
    subject    TEXT NOT NULL,             -- batch id, payment reference, '<uscc>/<year>' or the year
    batch_id   TEXT,                      -- the batch concerned, when there is one
    uscc       TEXT,                      -- the firm concerned, when there is one
    from_state TEXT,                      -- NULL when the subject comes into being
    to_state   TEXT NOT NULL,
    by_whom    TEXT NOT NULL,             -- the person (--by), or 'nightly'
    login      TEXT NOT NULL,             -- the login of the process, for the audit
    run_id     INTEGER REFERENCES runs(run_id),
    why        TEXT                       -- reason, note or detail, when given
);
CREATE INDEX IF NOT EXISTS events_by_batch ON events(batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_by_uscc ON events(uscc) WHERE uscc IS NOT NULL;

CREATE TRIGGER IF NOT EXISTS events_never_updated BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'the event log is append-only: an event is never changed');
END;
CREATE TRIGGER IF NOT EXISTS events_never_deleted BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'the event log is append-only: an event is never deleted');
END;
