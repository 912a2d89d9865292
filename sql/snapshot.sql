-- The snapshot file, <db>.snapshot: the three extracts of the last import
-- (docs/formats.md) as loaded, and every input row kept out of them. Not a
-- migration: `rebate import` builds a new file with this schema
-- (<db>.snapshot.new, no journal, indexes after the load: sql/snapshot_indexes.sql),
-- fsyncs it and renames it over the old one, so that an import is all or
-- nothing without writing the data twice. Every connection of rebate
-- attaches it as schema `snapshot`; in the sqlite3 shell:
--     ATTACH 'rebate.db.snapshot' AS snapshot;
-- Rows are inserted in uscc order, so each table's pages are in key order.

-- Which import this file is: one row, the same as its row of the main
-- database's imports and import_files, so that the two can be matched up
-- after a crash between the rename and the history (rb_db_open repairs it).
CREATE TABLE snapshot_import (
    import_id   INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    source_dir  TEXT NOT NULL,
    encoding    TEXT NOT NULL
);

CREATE TABLE snapshot_import_files (
    import_id        INTEGER NOT NULL REFERENCES snapshot_import(import_id),
    file             TEXT NOT NULL,
    sha256           TEXT NOT NULL,
    encoding         TEXT NOT NULL,
    rows_read        INTEGER NOT NULL,
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
    -- (CHECKs compare with OR: an IN list of three or more values makes
    -- SQLite build a temporary table for every row inserted.)
    status_class       TEXT NOT NULL
                       CHECK (status_class = 'active' OR status_class = 'inactive' OR status_class = 'suspended'),
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
    ui_status_class TEXT NOT NULL
                    CHECK (ui_status_class = 'active' OR ui_status_class = 'suspended' OR ui_status_class = 'terminated'),
    account_name    TEXT,
    bank_name       TEXT,
    bank_account    TEXT,                 -- spaces, U+3000 and '-' removed; NULL when empty
    account_source  TEXT NOT NULL CHECK (account_source IN ('对公', '税务')),
    bank_code       TEXT,                 -- 12-digit CNAPS code or NULL
    line            INTEGER NOT NULL
) WITHOUT ROWID;

-- 失业保险缴费明细: one row per firm holding all its loaded months, packed
-- (a row per month would make 22 million rows for a million firms: ten times
-- the time to write and read, and more space than the extract itself).
-- `months` is how many; `packed` is, for each month in period order, eight
-- unsigned LEB128 varints (7 bits a byte, low first, high bit = more):
--   1. months since the previous month's period (the first: since period
--      0000-01, i.e. year * 12 + month - 1), always >= 1 after the first;
--   2. insured_count;
--   3. employer_due, as zigzag (n << 1 ^ n >> 63) of its difference from the
--      previous month's employer_due (the first: from 0);
--   4. employer_paid, zigzag of its difference from employer_due;
--   5. employee_due, zigzag of its difference from employer_due;
--   6. employee_paid, zigzag of its difference from employee_due;
--   7. new_claimants;
--   8. line, zigzag of its difference from the previous month's line (the
--      first: from 0).
-- Money is integer fen throughout. rebate's connections read it as the
-- table-valued view `contributions` (uscc, period, insured_count,
-- employer_due, employer_paid, employee_due, employee_paid, new_claimants,
-- line), one row per month as the extract had them; `rebate explain` prints
-- a firm's months.
CREATE TABLE contribution_months (
    uscc   TEXT PRIMARY KEY,
    months INTEGER NOT NULL CHECK (months > 0),
    packed BLOB NOT NULL
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

-- Exact duplicates: skipped and counted, and kept here so none vanishes.
CREATE TABLE duplicate_rows (
    file       TEXT NOT NULL,
    line       INTEGER NOT NULL,
    first_line INTEGER NOT NULL,          -- the loaded row it repeats
    PRIMARY KEY (file, line)
) WITHOUT ROWID;

-- The fingerprints of each extract's lines, with which the next import
-- finds the lines whose bytes changed and reads only those, widened to the
-- whole firms on them (docs/import.md, "A night that changed a few
-- lines"): the file's physical lines; for every run of 32 lines in file
-- order, the XXH3-128 hash of its bytes (16 bytes a run, back to back,
-- canonical byte order); a bit a run (low bit first) saying that no record
-- was open where it begins; and the header record, its line and its
-- fields as read (each followed by a NUL byte), which must not change. A
-- snapshot without this table (made before it existed) is simply imported
-- whole the next time.
CREATE TABLE snapshot_lines (
    file        TEXT PRIMARY KEY,
    lines       INTEGER NOT NULL,
    hashes      BLOB NOT NULL,
    starts      BLOB NOT NULL,
    header_line INTEGER NOT NULL,
    header      BLOB NOT NULL
) WITHOUT ROWID;
