/* The body shared by the three import harnesses (fuzz_import_*.c): the fuzz
 * input becomes one extract, written into a folder beside two small valid
 * extracts, and rb_import (as rb_import_sized, with a small sort memory)
 * loads the folder into a database opened once. The
 * including file defines FUZZ_EXTRACT (RB_IMPORT_REGISTRATION, ...).
 *
 * Beyond "no crash, no leak, no sanitizer report", every input must end in
 * RB_OK or RB_E_DATA (a refused file, with one sentence naming it), never in
 * an internal error, and a load must account for every row: the snapshot
 * table, row_errors and duplicate_rows hold exactly what the report counts,
 * the stored values obey their column's rule, and every message is UTF-8.
 *
 * The folder and the database live on /dev/shm when it exists (no disk
 * writes, fsync is free), else under $TMPDIR; REBATE_FUZZ_TMP overrides. */
#ifndef REBATE_FUZZ_IMPORT_HARNESS_H
#define REBATE_FUZZ_IMPORT_HARNESS_H

#include <ftw.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import/import_internal.h"
#include "rebate/db.h"
#include "rebate/import.h"
#include "rebate/text.h"
#include "rebate/uscc.h"

#ifndef FUZZ_EXTRACT
#error "define FUZZ_EXTRACT before including import_harness.h"
#endif

/* Valid codes, the same as the import tests use. */
#define FUZZ_CODE1 "91210302MA0A00001H"
#define FUZZ_CODE2 "91210302MA0A00002L"

static const char *const fuzz_valid_extracts[RB_IMPORT_FILE_COUNT] = {
    [RB_IMPORT_REGISTRATION] =
        "uscc,name,status,established_on,deregistered_on,region_code,industry_code,serious_dishonesty\n" FUZZ_CODE1
        ",鞍山甲有限公司,存续,2015-03-01,,210302,F5191,0\n" FUZZ_CODE2 ",鞍山乙有限公司,在业,20100101,,210303,,\n",
    [RB_IMPORT_INSURED_UNITS] =
        "uscc,unit_no,unit_name,insured_on,ui_status,account_name,bank_name,bank_account,account_source,"
        "bank_code\n" FUZZ_CODE1
        ",U001,鞍山甲有限公司,2016-01-01,正常,鞍山甲有限公司,工商银行鞍山分行,6222 0000-1111,对公,102223000011\n",
    [RB_IMPORT_CONTRIBUTIONS] =
        "uscc,period,insured_count,employer_due,employer_paid,employee_due,employee_paid,new_claimants\n" FUZZ_CODE1
        ",202101,5,100.00,100.00,100.00,100.00,0\n" FUZZ_CODE1 ",2021-02,5,100,100.5,100,100,\n",
};

/* The valid extracts as GB18030, for runs with --encoding gb18030 (which
 * holds for every file of the folder). */
static char *fuzz_valid_gb18030[RB_IMPORT_FILE_COUNT];
static size_t fuzz_valid_gb18030_len[RB_IMPORT_FILE_COUNT];
static int fuzz_others_are_gb18030 = -1; /* how the two valid files are written now */

static char fuzz_root[4096];
static char fuzz_in_dir[4200];
static char fuzz_extract_path[4300];
static sqlite3 *fuzz_db;

static void fuzz_die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_import: %s: %s\n", what, detail ? detail : "");
    abort();
}

static void fuzz_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        fuzz_die("cannot write", path);
}

static int fuzz_remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* The folder with whatever the import left in it (the database, its WAL,
 * the snapshot file beside it). */
static void fuzz_remove_all(void)
{
    nftw(fuzz_root, fuzz_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void fuzz_cleanup(void)
{
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++)
        free(fuzz_valid_gb18030[i]);
    rb_db_close(fuzz_db);
    fuzz_db = NULL;
    fuzz_remove_all();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    struct stat sb;
    const char *base = getenv("REBATE_FUZZ_TMP");
    if (base == NULL || *base == '\0')
        base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                                                                                                : getenv("TMPDIR");
    if (base == NULL || *base == '\0')
        base = "/tmp";
    snprintf(fuzz_root, sizeof fuzz_root, "%s/rebate-fuzz-XXXXXX", base);
    if (mkdtemp(fuzz_root) == NULL)
        fuzz_die("mkdtemp", fuzz_root);
    snprintf(fuzz_in_dir, sizeof fuzz_in_dir, "%s/in", fuzz_root);
    if (mkdir(fuzz_in_dir, 0700) != 0)
        fuzz_die("mkdir", fuzz_in_dir);
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", fuzz_in_dir, rb_import_file_name(i));
        if (i == FUZZ_EXTRACT) {
            snprintf(fuzz_extract_path, sizeof fuzz_extract_path, "%s", path);
            continue;
        }
        iconv_t cd = iconv_open("GB18030", "UTF-8");
        if (cd == (iconv_t)-1)
            fuzz_die("iconv_open", "GB18030");
        size_t in_left = strlen(fuzz_valid_extracts[i]), out_size = 2 * in_left, out_left = out_size;
        char *in = (char *)fuzz_valid_extracts[i];
        char *out = fuzz_valid_gb18030[i] = malloc(out_size);
        if (out == NULL || iconv(cd, &in, &in_left, &out, &out_left) == (size_t)-1)
            fuzz_die("iconv", rb_import_file_name(i));
        fuzz_valid_gb18030_len[i] = out_size - out_left;
        iconv_close(cd);
    }
    char db_path[4400];
    snprintf(db_path, sizeof db_path, "%s/rebate.db", fuzz_root);
    rb_error err;
    rb_error_clear(&err);
    if (rb_db_init(db_path, &fuzz_db, &err) != RB_OK)
        fuzz_die("rb_db_open", err.message);
    /* The database is scratch: durability costs time and proves nothing here. */
    if (rb_db_exec(fuzz_db, "PRAGMA synchronous = OFF", "fuzz pragmas", &err) != RB_OK)
        fuzz_die("pragma", err.message);
    atexit(fuzz_cleanup);
    return 0;
}

/* One integer from a query (aborts when the query fails). */
static int64_t fuzz_query_int(const char *sql, const char *file)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(fuzz_db, sql, -1, &stmt, NULL) != SQLITE_OK)
        fuzz_die(sql, sqlite3_errmsg(fuzz_db));
    if (file != NULL)
        sqlite3_bind_text(stmt, 1, file, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_ROW)
        fuzz_die(sql, sqlite3_errmsg(fuzz_db));
    int64_t v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return v;
}

/* Every text of the rows a query returns must be well-formed UTF-8. */
static void fuzz_check_utf8(const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(fuzz_db, sql, -1, &stmt, NULL) != SQLITE_OK)
        fuzz_die(sql, sqlite3_errmsg(fuzz_db));
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(stmt); c++) {
            if (sqlite3_column_type(stmt, c) != SQLITE_TEXT)
                continue;
            const char *text = (const char *)sqlite3_column_text(stmt, c);
            size_t len = (size_t)sqlite3_column_bytes(stmt, c);
            if (!rb_utf8_valid(text, len, NULL))
                fuzz_die("stored text is not UTF-8", sql);
        }
    }
    if (rc != SQLITE_DONE)
        fuzz_die(sql, sqlite3_errmsg(fuzz_db));
    sqlite3_finalize(stmt);
}

/* Every uscc of the snapshot table of the fuzzed extract is a valid code,
 * stored upper-cased. */
static void fuzz_check_codes(const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(fuzz_db, sql, -1, &stmt, NULL) != SQLITE_OK)
        fuzz_die(sql, sqlite3_errmsg(fuzz_db));
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *code = (const char *)sqlite3_column_text(stmt, 0);
        char normal[RB_USCC_LEN + 1];
        if (code == NULL || !rb_uscc_normalize(code, strlen(code), normal) || strcmp(normal, code) != 0)
            fuzz_die("an invalid or lower-case code was loaded", code);
    }
    if (rc != SQLITE_DONE)
        fuzz_die(sql, sqlite3_errmsg(fuzz_db));
    sqlite3_finalize(stmt);
}

static const char *const fuzz_tables[RB_IMPORT_FILE_COUNT] = {"registration", "insured_units", "contributions"};

static const char *const fuzz_table_count_sql[RB_IMPORT_FILE_COUNT] = {
    "SELECT count(*) FROM registration",
    "SELECT count(*) FROM insured_units",
    "SELECT count(*) FROM contributions",
};

static const char *const fuzz_code_sql[RB_IMPORT_FILE_COUNT] = {
    "SELECT uscc FROM registration",
    "SELECT uscc FROM insured_units",
    "SELECT uscc FROM contributions",
};

/* Rows that break a column rule (0 when every stored value is in range). */
static const char *const fuzz_bad_values_sql[RB_IMPORT_FILE_COUNT] = {
    "SELECT count(*) FROM registration WHERE length(region_code) != 6 OR length(established_on) != 10"
    " OR serious_dishonesty NOT IN (0, 1) OR name = '' OR line < 2",
    "SELECT count(*) FROM insured_units WHERE length(insured_on) != 10 OR unit_name = ''"
    " OR (bank_code IS NOT NULL AND length(bank_code) != 12) OR bank_account = ''"
    " OR instr(bank_account, ' ') OR instr(bank_account, '-') OR line < 2",
    "SELECT count(*) FROM contributions WHERE period % 100 NOT BETWEEN 1 AND 12 OR period < 100001"
    " OR insured_count NOT BETWEEN 0 AND 1000000 OR new_claimants NOT BETWEEN 0 AND 1000000"
    " OR employer_due < 0 OR employer_paid < 0 OR employee_due < 0 OR employee_paid < 0 OR line < 2",
};

static void fuzz_check_loaded(const rb_import_report *report)
{
    const rb_import_file_report *f = &report->files[FUZZ_EXTRACT];
    const char *file = rb_import_file_name(FUZZ_EXTRACT);
    if (f->rows_read != f->rows_loaded + f->rows_rejected + f->rows_duplicate + f->rows_conflicting)
        fuzz_die("rows do not add up", file);
    if (fuzz_query_int(fuzz_table_count_sql[FUZZ_EXTRACT], NULL) != f->rows_loaded)
        fuzz_die("loaded rows differ from the snapshot", file);
    if (fuzz_query_int("SELECT count(*) FROM row_errors WHERE file = ?1", file) !=
        f->rows_rejected + f->rows_conflicting)
        fuzz_die("row errors differ from the report", file);
    if (fuzz_query_int("SELECT count(*) FROM row_errors WHERE file = ?1 AND rule = 'DATA_CONFLICT'", file) !=
        f->rows_conflicting)
        fuzz_die("conflicts differ from the report", file);
    if (fuzz_query_int("SELECT count(*) FROM duplicate_rows WHERE file = ?1", file) != f->rows_duplicate)
        fuzz_die("duplicates differ from the report", file);
    /* One account per record: the lines of the loaded, rejected, duplicate
     * and conflicting rows are rows_read different lines. */
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(DISTINCT line) FROM (SELECT line FROM %s UNION ALL SELECT line FROM row_errors"
             " WHERE file = ?1 UNION ALL SELECT line FROM duplicate_rows WHERE file = ?1)",
             fuzz_tables[FUZZ_EXTRACT]);
    if (fuzz_query_int(sql, file) != f->rows_read)
        fuzz_die("two records share a line, or a record is not accounted for", file);
    if (fuzz_query_int(fuzz_bad_values_sql[FUZZ_EXTRACT], NULL) != 0)
        fuzz_die("a stored value breaks its column's rule", file);
    fuzz_check_codes(fuzz_code_sql[FUZZ_EXTRACT]);
    fuzz_check_utf8("SELECT value, message, uscc_field, uscc_prefix FROM row_errors");
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++)
        if (i != FUZZ_EXTRACT && report->files[i].rows_loaded == 0)
            fuzz_die("a valid extract did not load", rb_import_file_name(i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_write(fuzz_extract_path, data, size);
    /* The encoding follows from the size, so a replayed input takes the same
     * path: mostly auto, else one of the explicit decoders. */
    static const rb_encoding encodings[4] = {RB_ENCODING_AUTO, RB_ENCODING_AUTO, RB_ENCODING_UTF8,
                                             RB_ENCODING_GB18030};
    rb_encoding encoding = encodings[size % 4];
    int gb18030 = encoding == RB_ENCODING_GB18030;
    if (gb18030 != fuzz_others_are_gb18030) {
        for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++) {
            if (i == FUZZ_EXTRACT)
                continue;
            char path[4400];
            snprintf(path, sizeof path, "%s/%s", fuzz_in_dir, rb_import_file_name(i));
            if (gb18030)
                fuzz_write(path, fuzz_valid_gb18030[i], fuzz_valid_gb18030_len[i]);
            else
                fuzz_write(path, fuzz_valid_extracts[i], strlen(fuzz_valid_extracts[i]));
        }
        fuzz_others_are_gb18030 = gb18030;
    }
    rb_error err;
    rb_error_clear(&err);
    rb_import_report report;
    memset(&report, 0, sizeof report);
    /* rb_import with the sorter's smallest memory (4 KiB) instead of 96 MB:
     * the same code, but an extract of a few KiB already goes through sorted
     * runs on disk and their merge, and AddressSanitizer's cost of mapping
     * and poisoning a 96 MB block on every run (two runs a second) is gone. */
    rb_status st = rb_import_sized(fuzz_db, fuzz_in_dir, encoding, 4096, &report, &err);
    if (!sqlite3_get_autocommit(fuzz_db))
        fuzz_die("a transaction was left open", err.message);
    switch (st) {
    case RB_OK:
        fuzz_check_loaded(&report);
        break;
    case RB_E_DATA:
        /* One sentence naming the fuzzed file, not one of the valid ones. */
        if (err.message[0] == '\0' || strchr(err.message, '\n') != NULL ||
            strstr(err.message, rb_import_file_name(FUZZ_EXTRACT)) == NULL)
            fuzz_die("a refusal that does not name the file in one line", err.message);
        if (!rb_utf8_valid(err.message, strlen(err.message), NULL))
            fuzz_die("a refusal that is not UTF-8", err.message);
        break;
    default:
        fuzz_die("unexpected status", err.message);
    }
    rb_error_clear(&err);
    /* Keep the history tables from growing over millions of runs. */
    if (rb_db_exec(fuzz_db, "DELETE FROM import_files; DELETE FROM imports;", "fuzz cleanup", &err) != RB_OK)
        fuzz_die("cleanup", err.message);
    return 0;
}

#endif
