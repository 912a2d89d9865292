-- The notice end and due date of every batch that pays (docs/report.md,
-- "Notice and due dates"): the notice_days-th working day after the as-of
-- date, and the 5th working day after that, on the official calendar.
-- dates_provisional = 1 when a year counted had no calendar and was counted
-- Monday to Friday (暂按周末计算). NULL for a batch with no payment and for
-- batches published before this migration.
ALTER TABLE batches ADD COLUMN notice_days INTEGER;
ALTER TABLE batches ADD COLUMN notice_end TEXT;         -- YYYY-MM-DD
ALTER TABLE batches ADD COLUMN due_date TEXT;           -- YYYY-MM-DD
ALTER TABLE batches ADD COLUMN dates_provisional INTEGER NOT NULL DEFAULT 0
    CHECK (dates_provisional = 0 OR dates_provisional = 1);
