-- The snapshot of the three extracts (extracts.md) and the record of each
-- import. An import replaces registration, insured_units, contributions,
-- row_errors and duplicate_rows whole, in one transaction; imports and
-- import_files keep the history of every import that loaded.

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

-- 市场主体登记信息. Dates are 'YYYY-MM-DD'; line is the record's first line.
CREATE TABLE registration (
    uscc               TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    status             TEXT NOT NULL,     -- as given, e.g. 存续（在营、开业、在册）
    status_class       TEXT NOT NULL CHECK (status_class IN ('active', 'inactive', 'suspended')),
    established_on     TEXT NOT NULL,
    deregistered_on    TEXT,
    region_code        TEXT NOT NULL,
    industry_code      TEXT,
    serious_dishonesty INTEGER NOT NULL CHECK (serious_dishonesty IN (0, 1)),
    line               INTEGER NOT NULL
) WITHOUT ROWID;

-- 失业保险参保单位信息.
CREATE TABLE insured_units (
    uscc            TEXT PRIMARY KEY,
    unit_no         TEXT,
    unit_name       TEXT NOT NULL,
    insured_on      TEXT NOT NULL,
    ui_status       TEXT NOT NULL,        -- as given
    ui_status_class TEXT NOT NULL CHECK (ui_status_class IN ('active', 'suspended', 'terminated')),
    account_name    TEXT,
    bank_name       TEXT,
    bank_account    TEXT,                 -- spaces, U+3000 and '-' removed; NULL when empty
    account_source  TEXT NOT NULL CHECK (account_source IN ('对公', '税务')),
    bank_code       TEXT,                 -- 12-digit CNAPS code or NULL
    line            INTEGER NOT NULL
) WITHOUT ROWID;

-- 失业保险缴费明细: one row per firm and month; money in fen.
CREATE TABLE contributions (
    uscc          TEXT NOT NULL,
    period        INTEGER NOT NULL,       -- YYYYMM
    insured_count INTEGER NOT NULL,
    employer_due  INTEGER NOT NULL,
    employer_paid INTEGER NOT NULL,
    employee_due  INTEGER NOT NULL,
    employee_paid INTEGER NOT NULL,
    new_claimants INTEGER NOT NULL,
    line          INTEGER NOT NULL,
    PRIMARY KEY (uscc, period)
) WITHOUT ROWID;

-- Every input row kept out of the snapshot: rows that broke a rule, and
-- conflicting duplicates (rule = 'DATA_CONFLICT'). One row per input record.
CREATE TABLE row_errors (
    error_id    INTEGER PRIMARY KEY,
    file        TEXT NOT NULL,
    line        INTEGER NOT NULL,         -- physical line where the record starts; header = 1
    column_name TEXT,                     -- canonical name; NULL when the whole record is at fault
                                          -- (FIELD_COUNT, or a DATA_CONFLICT row equal to the loaded one)
    value       TEXT,                     -- the offending value as read (decoded, trimmed)
    rule        TEXT NOT NULL,            -- rule code, see docs/import.md
    message     TEXT NOT NULL,            -- the same in one Chinese sentence for reviewers
    uscc_field  TEXT,                     -- the record's uscc field as read, NULL when absent or empty
    uscc        TEXT,                     -- that field upper-cased when it is a valid code
    uscc_prefix TEXT                      -- its first 17 characters upper-cased when it has 18 (valid or not)
);
CREATE INDEX row_errors_by_uscc ON row_errors(uscc);
CREATE INDEX row_errors_by_prefix ON row_errors(uscc_prefix);

-- Exact duplicates: skipped and counted, and kept here so none vanishes.
CREATE TABLE duplicate_rows (
    file       TEXT NOT NULL,
    line       INTEGER NOT NULL,
    first_line INTEGER NOT NULL,          -- the loaded row it repeats
    PRIMARY KEY (file, line)
) WITHOUT ROWID;
-- A later conflicting row turns the duplicates of a loaded row into conflicts.
CREATE INDEX duplicate_rows_by_first_line ON duplicate_rows(file, first_line);
