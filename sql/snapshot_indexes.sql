-- The indexes of the snapshot file (sql/snapshot.sql), created once its
-- rows are loaded: one sort each instead of an index update per row.
CREATE INDEX row_errors_by_uscc ON row_errors(uscc);
CREATE INDEX row_errors_by_prefix ON row_errors(uscc_prefix);
