-- The record of each import. The snapshot itself (registration,
-- insured_units, contribution_months, row_errors, duplicate_rows) lives in
-- its own file beside the database, <db>.snapshot (sql/snapshot.sql), which
-- an import builds whole and renames into place, and which every connection
-- attaches as schema `snapshot`. imports and import_files keep the history
-- of every import that loaded.

CREATE TABLE imports (
    import_id   INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,            -- ISO 8601, UTC
    finished_at TEXT NOT NULL,
    source_dir  TEXT NOT NULL,            -- the DIR given to `import`
    encoding    TEXT NOT NULL             -- as asked: auto | utf-8 | gb18030
);

CREATE TABLE import_files (
    import_id        INTEGER NOT NULL REFERENCES imports(import_id),
    file             TEXT NOT NULL,       -- registration.csv | insured_units.csv | contributions.csv
    sha256           TEXT NOT NULL,       -- of the file's bytes as read, lower-case hex
    encoding         TEXT NOT NULL,       -- as found: utf-8 | utf-8-bom | gb18030
    rows_read        INTEGER NOT NULL,    -- records after the header, blank ones not counted
    rows_loaded      INTEGER NOT NULL,
    rows_rejected    INTEGER NOT NULL,
    rows_duplicate   INTEGER NOT NULL,
    rows_conflicting INTEGER NOT NULL,
    PRIMARY KEY (import_id, file),
    CHECK (rows_read = rows_loaded + rows_rejected + rows_duplicate + rows_conflicting)
);
