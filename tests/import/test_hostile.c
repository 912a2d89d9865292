/* Hostile inputs to `rebate import` (the catalogue of docs/reliability.md,
 * "Hostile inputs"): each case is fed to the built binary and must end in
 * its expected outcome, a refusal in one sentence with its exit status (the
 * previous snapshot left whole) or a load with the row error recorded, and
 * never in a crash, a hang, unbounded memory or a row silently dropped. The
 * large cases are written at test time; the ones that could exhaust memory
 * or block run the binary under a memory limit and an alarm. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rebate/db.h"
#include "rebate/import.h"
#include "rebate/uscc.h"
#include "test_support.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* Valid codes (the check characters computed by hand, as in test_import.c). */
#define CODE1 "91210302MA0A00001H"
#define CODE2 "91210302MA0A00002L"
#define CODE3 "91210302MA0A00003P"

#define REG_HEADER "uscc,name,status,established_on,deregistered_on,region_code,industry_code,serious_dishonesty\n"
#define UNIT_HEADER \
    "uscc,unit_no,unit_name,insured_on,ui_status,account_name,bank_name,bank_account,account_source,bank_code\n"
#define CONTRIB_HEADER \
    "uscc,period,insured_count,employer_due,employer_paid,employee_due,employee_paid,new_claimants\n"

#define REG_ROW1 CODE1 ",鞍山甲有限公司,存续,2015-03-01,,210302,F5191,0\n"
#define REG_ROW2 CODE2 ",鞍山乙有限公司,在业,2016-05-01,,210303,,\n"
#define UNIT_ROW1 CODE1 ",U001,鞍山甲有限公司,2016-01-01,正常,鞍山甲有限公司,工商银行鞍山分行,6222000011112222,对公,102223000011\n"
#define CONTRIB_ROW1 CODE1 ",202101,5,100.00,100.00,100.00,100.00,0\n"
#define CONTRIB_ROW2 CODE1 ",202102,5,100.00,100.00,100.00,100.00,0\n"

static char root[4096];
static char in_dir[4200];
static char db_path[4200];

static void setup(void)
{
    snprintf(root, sizeof root, "%s", ts_tmpdir());
    snprintf(in_dir, sizeof in_dir, "%s/in", root);
    snprintf(db_path, sizeof db_path, "%s/rebate.db", root);
    ck_assert_int_eq(mkdir(in_dir, 0700), 0);
    ts_init_db(db_path);
}

static void teardown(void)
{
    ts_rmtree(root);
}

static void put(const char *name, const char *data, size_t len)
{
    ts_write_file(in_dir, name, data, len);
}

static void put_good(void)
{
    put("registration.csv", REG_HEADER REG_ROW1 REG_ROW2, (size_t)-1);
    put("insured_units.csv", UNIT_HEADER UNIT_ROW1, (size_t)-1);
    put("contributions.csv", CONTRIB_HEADER CONTRIB_ROW1 CONTRIB_ROW2, (size_t)-1);
}

static char *path_in(const char *name)
{
    static char path[4400];
    snprintf(path, sizeof path, "%s/%s", in_dir, name);
    return path;
}

/* ------------------------------------------------------------ running */

/* `rebate import --db DB [--encoding ENC] DIR`; the exit status, with
 * standard error in *err_text (malloc'ed). */
static int import_cli(const char *encoding, char **err_text)
{
    if (encoding != NULL)
        return ts_run_rebate(NULL, err_text, "import", "--db", db_path, "--encoding", encoding, in_dir, NULL);
    return ts_run_rebate(NULL, err_text, "import", "--db", db_path, in_dir, NULL);
}

static void expect_loaded_with(const char *encoding)
{
    char *err_text = NULL;
    int status = import_cli(encoding, &err_text);
    ck_assert_msg(status == 0, "import exited %d: %s", status, err_text);
    free(err_text);
}

static void expect_loaded(void)
{
    expect_loaded_with(NULL);
}

/* Standard error is one line, "rebate: ..." holding fragment. */
static void expect_one_sentence(const char *err_text, const char *fragment)
{
    ck_assert_ptr_nonnull(err_text);
    size_t len = strlen(err_text);
    ck_assert_msg(len > 0 && err_text[len - 1] == '\n' && strchr(err_text, '\n') == err_text + len - 1,
                  "not one line: '%s'", err_text);
    ck_assert_msg(strncmp(err_text, "rebate: ", 8) == 0, "'%s' does not start with 'rebate: '", err_text);
    ck_assert_msg(strstr(err_text, fragment) != NULL, "'%s' does not say '%s'", err_text, fragment);
}

static void expect_refused_with(const char *encoding, int status, const char *fragment)
{
    char *err_text = NULL;
    int got = import_cli(encoding, &err_text);
    ck_assert_msg(got == status, "import exited %d, expected %d: %s", got, status, err_text);
    expect_one_sentence(err_text, fragment);
    free(err_text);
}

static void expect_refused(int status, const char *fragment)
{
    expect_refused_with(NULL, status, fragment);
}

/* What a bounded run of the binary gave. */
typedef struct bounded_run {
    int status;        /* exit status, or -signal */
    char *err_text;    /* standard error, malloc'ed */
    long max_rss_kb;   /* the child's peak resident memory */
    double seconds;    /* wall time */
} bounded_run;

static char *slurp(int fd)
{
    lseek(fd, 0, SEEK_SET);
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    ssize_t got;
    while ((got = read(fd, buf + n, cap - n - 1)) > 0) {
        n += (size_t)got;
        if (n + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
    }
    buf[n] = '\0';
    return buf;
}

/* Runs the binary with an address-space limit (when address_space > 0 and
 * the build has no AddressSanitizer, whose shadow memory needs terabytes of
 * address space) and an alarm of `seconds`, so that a hang or a runaway
 * allocation ends the child instead of the test. */
static void run_bounded(bounded_run *r, rlim_t address_space, unsigned seconds, const char *arg, ...)
{
    const char *argv[32];
    int argc = 0;
    argv[argc++] = REBATE_BINARY;
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a != NULL && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;

    char err_path[] = "/tmp/rebate-hostile-err-XXXXXX";
    int err_fd = mkstemp(err_path);
    ck_assert_int_ge(err_fd, 0);
    unlink(err_path);
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (address_space > 0 && !UNDER_ASAN) {
            struct rlimit limit = {address_space, address_space};
            if (setrlimit(RLIMIT_AS, &limit) != 0)
                _exit(126);
        }
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(err_fd, 2);
        alarm(seconds); /* kept across exec: SIGALRM ends a hung child */
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    memset(&usage, 0, sizeof usage);
    while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR)
        ;
    clock_gettime(CLOCK_MONOTONIC, &end);
    r->seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    r->max_rss_kb = usage.ru_maxrss;
    r->status = WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
    r->err_text = slurp(err_fd);
    close(err_fd);
}

/* ------------------------------------------------------------ database */

/* Opened as the program opens it, so that the snapshot is found wherever
 * the store keeps it. */
static sqlite3 *open_db(void)
{
    sqlite3 *db = NULL;
    rb_error err;
    rb_error_clear(&err);
    ck_assert_msg(rb_db_open(db_path, RB_DB_EXISTING, &db, &err) == RB_OK, "%s", err.message);
    return db;
}

static long long query_int(const char *sql)
{
    sqlite3 *db = open_db();
    long long v = ts_query_int(db, sql);
    rb_db_close(db);
    return v;
}

static void expect_int(const char *sql, long long expected)
{
    long long got = query_int(sql);
    ck_assert_msg(got == expected, "%s gave %lld, expected %lld", sql, got, expected);
}

static void expect_text(const char *sql, const char *expected)
{
    sqlite3 *db = open_db();
    sqlite3_stmt *st = NULL;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "no row from %s", sql);
    const char *got = (const char *)sqlite3_column_text(st, 0);
    ck_assert_msg(got != NULL && strcmp(got, expected) == 0, "%s gave '%s', expected '%s'", sql, got, expected);
    sqlite3_finalize(st);
    rb_db_close(db);
}

/* Exactly one row error in file at line, with this column (NULL: none) and rule. */
static void expect_row_error(const char *file, long long line, const char *column, const char *rule)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM row_errors WHERE file = '%s' AND line = %lld AND ifnull(column_name, '-') = '%s'"
             " AND rule = '%s'",
             file, line, column ? column : "-", rule);
    expect_int(sql, 1);
}

/* The accounting of one file in the last import: read, loaded, rejected. */
static void expect_accounting(const char *file, long long read, long long loaded, long long rejected)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT rows_read || ',' || rows_loaded || ',' || rows_rejected FROM import_files WHERE file = '%s'"
             " AND import_id = (SELECT max(import_id) FROM imports)",
             file);
    char expected[96];
    snprintf(expected, sizeof expected, "%lld,%lld,%lld", read, loaded, rejected);
    expect_text(sql, expected);
}

/* A good first import, so that a refusal can be seen to change nothing. */
static void first_import(void)
{
    put_good();
    expect_loaded();
    expect_int("SELECT count(*) FROM imports", 1);
}

static void expect_unchanged(void)
{
    expect_int("SELECT count(*) FROM imports", 1);
    expect_int("SELECT count(*) FROM registration", 2);
    expect_int("SELECT count(*) FROM insured_units", 1);
    expect_int("SELECT count(*) FROM contributions", 2);
    expect_int("SELECT count(*) FROM row_errors", 0);
}

/* ------------------------------------------------------------ empty and blank */

START_TEST(hostile_empty_file)
{
    first_import();
    put("insured_units.csv", "", 0);
    expect_refused(65, "cannot import 'insured_units.csv': it has no header");
    expect_unchanged();
}
END_TEST

START_TEST(hostile_header_only)
{
    put_good();
    put("contributions.csv", CONTRIB_HEADER, (size_t)-1);
    expect_loaded();
    expect_accounting("contributions.csv", 0, 0, 0);
    expect_accounting("registration.csv", 2, 2, 0);
    expect_int("SELECT count(*) FROM contributions", 0);
}
END_TEST

/* ------------------------------------------------------------ bytes */

/* Two files joined by `cat`: the second one's BOM and header land mid-file.
 * The BOM is text there (only a leading one is skipped), so the repeated
 * header is a row whose uscc is not a code. */
START_TEST(hostile_bom_and_header_mid_file)
{
    put_good();
    put("registration.csv", "\xEF\xBB\xBF" REG_HEADER REG_ROW1 "\xEF\xBB\xBF" REG_HEADER REG_ROW2, (size_t)-1);
    expect_loaded();
    expect_accounting("registration.csv", 3, 2, 1);
    expect_row_error("registration.csv", 3, "uscc", "USCC_INVALID");
    expect_text("SELECT value FROM row_errors", "\xEF\xBB\xBFuscc");
    expect_text("SELECT group_concat(line) FROM (SELECT line FROM registration ORDER BY line)", "2,4");
}
END_TEST

/* The header again, without a BOM, between rows. */
START_TEST(hostile_header_repeated_mid_file)
{
    put_good();
    put("contributions.csv", CONTRIB_HEADER CONTRIB_ROW1 CONTRIB_HEADER CONTRIB_ROW2, (size_t)-1);
    expect_loaded();
    expect_accounting("contributions.csv", 3, 2, 1);
    expect_row_error("contributions.csv", 3, "uscc", "USCC_INVALID");
}
END_TEST

START_TEST(hostile_nul_byte)
{
    first_import();
    static const char data[] = CONTRIB_HEADER CODE1 ",202101,5,1\0000,1,1,1,0\n";
    put("contributions.csv", data, sizeof data - 1);
    expect_refused(65, "cannot decode 'contributions.csv' line 2: it holds a NUL byte");
    expect_unchanged();
}
END_TEST

/* UTF-16 as Excel's "Unicode text" writes it: NUL bytes everywhere. */
START_TEST(hostile_utf16_file)
{
    first_import();
    static const char data[] = "\xFF\xFEu\0s\0c\0c\0,\0n\0a\0m\0e\0\n\0";
    put("registration.csv", data, sizeof data - 1);
    expect_refused(65, "it holds a NUL byte, so it is not UTF-8 or GB18030 text (UTF-16?)");
    expect_unchanged();
}
END_TEST

/* Overlong, surrogate and truncated UTF-8 with --encoding utf-8. */
START_TEST(hostile_invalid_utf8)
{
    static const char *const bad[] = {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE9\x9E"};
    first_import();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char data[512];
        snprintf(data, sizeof data, REG_HEADER REG_ROW1 CODE2 ",鞍山%s公司,在业,2016-05-01,,210303,,\n", bad[i]);
        put("registration.csv", data, (size_t)-1);
        expect_refused_with("utf-8", 65, "cannot decode 'registration.csv' line 3: it is not valid UTF-8");
        expect_unchanged();
    }
}
END_TEST

/* Bytes neither UTF-8 nor GB18030 (0xFF is no lead byte in either), and a
 * GB18030 file cut inside a character. */
START_TEST(hostile_invalid_gb18030)
{
    first_import();
    put("registration.csv", REG_HEADER CODE2 ",\xB0\xB0\xFF,在业,2016-05-01,,210303,,\n", (size_t)-1);
    expect_refused(65, "cannot decode 'registration.csv': line 2 is not valid UTF-8 and line 2 is not valid GB18030");
    expect_unchanged();
    put("registration.csv", REG_HEADER CODE2 ",\xB0\xB0\xB0", (size_t)-1);
    expect_refused_with("gb18030", 65, "cannot decode 'registration.csv' line 2: it is not valid GB18030");
    expect_unchanged();
}
END_TEST

/* ------------------------------------------------------------ sizes */

#define MIB (1024 * 1024)

/* A 100 MB name, written with a few large writes: the record limit (1 MiB)
 * refuses the file without reading the field into memory, in bounded time.
 * Memory is compared with a good import's in the same build (sanitizers and
 * the store's own buffers are in both). */
START_TEST(hostile_field_of_100_mb)
{
    put_good();
    bounded_run good;
    run_bounded(&good, (rlim_t)1024 * MIB, 120, "import", "--db", db_path, in_dir, NULL);
    ck_assert_msg(good.status == 0, "exit %d: %s", good.status, good.err_text);
    free(good.err_text);

    char *path = path_in("registration.csv");
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_gt(fputs(REG_HEADER REG_ROW1 CODE2 ",", f), 0);
    char *block = malloc(MIB);
    ck_assert_ptr_nonnull(block);
    memset(block, 'x', MIB);
    for (int i = 0; i < 100; i++)
        ck_assert_uint_eq(fwrite(block, 1, MIB, f), MIB);
    free(block);
    ck_assert_int_gt(fputs(",存续,2015-03-01,,210302,,\n", f), 0);
    ck_assert_int_eq(fclose(f), 0);

    bounded_run r;
    run_bounded(&r, (rlim_t)1024 * MIB, 120, "import", "--db", db_path, in_dir, NULL);
    ck_assert_msg(r.status == 65, "exit %d: %s", r.status, r.err_text);
    expect_one_sentence(r.err_text, "cannot read 'registration.csv' line 3: the record starting there is longer "
                                    "than 1048576 bytes");
    free(r.err_text);
    /* Far below the 100 MB of the field; the time bound is loose for a
     * loaded CI machine. */
    ck_assert_msg(r.max_rss_kb < good.max_rss_kb + 32 * 1024, "peak memory %ld KiB, a good import %ld KiB",
                  r.max_rss_kb, good.max_rss_kb);
    ck_assert_msg(r.seconds < 60, "took %.1f s", r.seconds);
    expect_unchanged();
}
END_TEST

/* A name just over the field limit is a row error naming the column; one of
 * exactly RB_IMPORT_FIELD_MAX bytes loads. */
START_TEST(hostile_field_too_long)
{
    put_good();
    size_t cap = 2 * RB_IMPORT_FIELD_MAX + 1024;
    char *data = malloc(cap);
    ck_assert_ptr_nonnull(data);
    char *limit_name = malloc(RB_IMPORT_FIELD_MAX + 2);
    ck_assert_ptr_nonnull(limit_name);
    memset(limit_name, 'n', RB_IMPORT_FIELD_MAX + 1);
    limit_name[RB_IMPORT_FIELD_MAX + 1] = '\0';
    /* line 2: limit + 1 bytes; line 3: the limit exactly. */
    int n = snprintf(data, cap, REG_HEADER CODE1 ",%s,存续,2015-03-01,,210302,,\n" CODE2 ",%s,存续,2015-03-01,,210302,,\n",
                     limit_name, limit_name + 1);
    ck_assert(n > 0 && (size_t)n < cap);
    put("registration.csv", data, (size_t)n);
    free(data);
    free(limit_name);
    expect_loaded();
    expect_accounting("registration.csv", 2, 1, 1);
    expect_row_error("registration.csv", 2, "name", "FIELD_TOO_LONG");
    expect_int("SELECT length(name) FROM registration WHERE uscc = '" CODE2 "'", RB_IMPORT_FIELD_MAX);
    /* The reviewers' sentence quotes the start of the value only. */
    expect_int("SELECT length(message) < 300 FROM row_errors", 1);
    expect_int("SELECT instr(message, '过长（65537字节，每个字段至多65536字节）') > 0 FROM row_errors", 1);
}
END_TEST

/* A name of 10,000 characters (30,000 bytes) is under the limit: loaded whole. */
START_TEST(hostile_name_of_10000_characters)
{
    put_good();
    size_t name_len = 10000 * strlen("鞍");
    char *data = malloc(name_len + 512);
    ck_assert_ptr_nonnull(data);
    char *p = data + sprintf(data, REG_HEADER CODE1 ",");
    for (int i = 0; i < 10000; i++)
        p += sprintf(p, "鞍");
    p += sprintf(p, ",存续,2015-03-01,,210302,,\n");
    put("registration.csv", data, (size_t)(p - data));
    free(data);
    expect_loaded();
    expect_int("SELECT length(name) FROM registration", 10000);
}
END_TEST

/* A record of 100,000 columns where the header has 8: one FIELD_COUNT row
 * error; then a header of 100,000 columns (unknown ones ignored) and a
 * matching row: loaded. */
START_TEST(hostile_100000_columns)
{
    put_good();
    size_t cap = 2 * MIB;
    char *data = malloc(cap);
    ck_assert_ptr_nonnull(data);
    char *p = data + sprintf(data, REG_HEADER CODE2);
    for (int i = 1; i < 100000; i++)
        *p++ = ',';
    *p++ = '\n';
    p += sprintf(p, "%s", REG_ROW1);
    put("registration.csv", data, (size_t)(p - data));

    bounded_run r;
    run_bounded(&r, (rlim_t)1024 * MIB, 120, "import", "--db", db_path, in_dir, NULL);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err_text);
    free(r.err_text);
    expect_accounting("registration.csv", 2, 1, 1);
    expect_row_error("registration.csv", 2, NULL, "FIELD_COUNT");

    p = data + sprintf(data, "uscc,name,status,established_on,region_code");
    for (int i = 5; i < 100000; i++)
        p += sprintf(p, ",c%d", i);
    p += sprintf(p, "\n" CODE1 ",鞍山甲有限公司,存续,2015-03-01,210302");
    for (int i = 5; i < 100000; i++)
        *p++ = ',';
    *p++ = '\n';
    ck_assert((size_t)(p - data) < cap);
    put("registration.csv", data, (size_t)(p - data));
    free(data);
    run_bounded(&r, (rlim_t)1024 * MIB, 120, "import", "--db", db_path, in_dir, NULL);
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err_text);
    free(r.err_text);
    expect_accounting("registration.csv", 1, 1, 0);
}
END_TEST

/* ------------------------------------------------------------ CSV structure */

START_TEST(hostile_unterminated_quote_at_end)
{
    first_import();
    put("contributions.csv", CONTRIB_HEADER CONTRIB_ROW1 CODE1 ",202102,5,\"100.00,100.00,100.00,100.00,0\n",
        (size_t)-1);
    expect_refused(65, "cannot read 'contributions.csv' line 3: the quoted field of the record starting there is "
                       "never closed");
    expect_unchanged();
}
END_TEST

/* Classic Mac line ends: every record would start on line 1 (and two equal
 * rows failed as an internal error before the reader refused lone CRs). */
START_TEST(hostile_cr_only_line_ends)
{
    first_import();
    put("contributions.csv",
        "uscc,period,insured_count,employer_due,employer_paid,employee_due,employee_paid\r" CODE1
        ",202101,5,1,1,1,1\r" CODE1 ",202101,5,1,1,1,1\r" CODE1 ",202101,5,1,1,1,1\r",
        (size_t)-1);
    expect_refused(65, "cannot read 'contributions.csv' line 1: a carriage return without a line feed ends a record");
    expect_unchanged();
}
END_TEST

START_TEST(hostile_same_column_twice)
{
    first_import();
    put("registration.csv", "uscc,name,status,established_on,region_code,统一社会信用代码\n", (size_t)-1);
    expect_refused(65, "names column 'uscc' (统一社会信用代码) twice, in fields 1 and 6");
    expect_unchanged();
}
END_TEST

/* ------------------------------------------------------------ values */

START_TEST(hostile_separators_and_full_width_digits)
{
    put_good();
    put("contributions.csv",
        CONTRIB_HEADER CODE1 ",202101,5,\"1,234.00\",1,1,1,0\n" /* 2 */
        CODE1 ",202102,5,１２,1,1,1,0\n"                          /* 3 */
        CODE1 ",202103,５,1,1,1,1,0\n"                            /* 4 */
        CODE1 ",202104,5,1,234.00,1,1,1,0\n"                      /* 5: the comma splits the field */
        CODE1 ",２０２１０５,5,1,1,1,1,0\n"                       /* 6 */
        CODE1 ",202106,5,1 234.00,1,1,1,0\n",                     /* 7 */
        (size_t)-1);
    expect_loaded();
    expect_accounting("contributions.csv", 6, 0, 6);
    expect_row_error("contributions.csv", 2, "employer_due", "MONEY_INVALID");
    expect_row_error("contributions.csv", 3, "employer_due", "MONEY_INVALID");
    expect_row_error("contributions.csv", 4, "insured_count", "COUNT_INVALID");
    expect_row_error("contributions.csv", 5, NULL, "FIELD_COUNT");
    expect_row_error("contributions.csv", 6, "period", "PERIOD_INVALID");
    expect_row_error("contributions.csv", 7, "employer_due", "MONEY_INVALID");
}
END_TEST

START_TEST(hostile_uscc_lower_case_is_accepted)
{
    put_good();
    put("registration.csv", REG_HEADER "91210302ma0a00001h,鞍山甲有限公司,存续,2015-03-01,,210302,,\n", (size_t)-1);
    expect_loaded();
    expect_text("SELECT uscc FROM registration", CODE1);
}
END_TEST

/* Full-width letters and digits are not a code (no folding of codes): a row
 * error, with the field kept as read for the reviewer. */
START_TEST(hostile_uscc_full_width)
{
    put_good();
    put("registration.csv",
        REG_HEADER "９１２１０３０２ＭＡ０Ａ００００１Ｈ,鞍山甲有限公司,存续,2015-03-01,,210302,,\n" CODE1
                   "\xE3\x80\x80,鞍山甲有限公司,存续,2015-03-01,,210302,,\n",
        (size_t)-1);
    expect_loaded();
    expect_accounting("registration.csv", 2, 1, 1);
    expect_row_error("registration.csv", 2, "uscc", "USCC_INVALID");
    expect_text("SELECT uscc_field FROM row_errors", "９１２１０３０２ＭＡ０Ａ００００１Ｈ");
}
END_TEST

/* The parser of codes never leaves its output unterminated (found by
 * fuzz_parsers: an 18-byte field with a NUL or non-ASCII byte). */
START_TEST(hostile_uscc_with_nul_or_non_ascii_byte)
{
    static const char with_nul[RB_USCC_LEN] = "912103|2MA0A000\t\0H";
    char out[RB_USCC_LEN + 1];
    memset(out, 'Z', sizeof out);
    ck_assert(!rb_uscc_normalize(with_nul, RB_USCC_LEN, out));
    ck_assert_str_eq(out, "");
    memset(out, 'Z', sizeof out);
    ck_assert(!rb_uscc_normalize("91210302MA0A0000\xC3\xA9", RB_USCC_LEN, out));
    ck_assert_str_eq(out, "");
    /* 18 ASCII characters that are no code: kept, upper-cased. */
    ck_assert(!rb_uscc_normalize("91210302ma0a00001x", RB_USCC_LEN, out));
    ck_assert_str_eq(out, "91210302MA0A00001X");
}
END_TEST

START_TEST(hostile_dates_that_do_not_exist)
{
    put_good();
    put("registration.csv",
        REG_HEADER CODE1 ",甲,存续,2019-02-29,,210302,,\n" /* 2 */
        CODE2 ",乙,存续,20200229,,210302,,\n"              /* 3: a leap day */
        CODE3 ",丙,存续,1900-02-29,,210302,,\n",           /* 4: 1900 was no leap year */
        (size_t)-1);
    expect_loaded();
    expect_accounting("registration.csv", 3, 1, 2);
    expect_row_error("registration.csv", 2, "established_on", "DATE_INVALID");
    expect_row_error("registration.csv", 4, "established_on", "DATE_INVALID");
    expect_text("SELECT established_on FROM registration", "2020-02-29");
}
END_TEST

/* A period years ahead is loaded: docs/formats.md does not forbid it, and the
 * rules only count the months of the years they evaluate. */
START_TEST(hostile_period_in_the_future)
{
    put_good();
    put("contributions.csv", CONTRIB_HEADER CODE1 ",209912,5,1,1,1,1,0\n" CODE1 ",9999-12,5,1,1,1,1,0\n",
        (size_t)-1);
    expect_loaded();
    expect_accounting("contributions.csv", 2, 2, 0);
    expect_int("SELECT max(period) FROM contributions", 999912);
}
END_TEST

START_TEST(hostile_negative_headcount)
{
    put_good();
    put("contributions.csv", CONTRIB_HEADER CODE1 ",202101,-5,1,1,1,1,0\n" CODE1 ",202102,5,1,1,1,1,-1\n",
        (size_t)-1);
    expect_loaded();
    expect_row_error("contributions.csv", 2, "insured_count", "COUNT_INVALID");
    expect_row_error("contributions.csv", 3, "new_claimants", "COUNT_INVALID");
}
END_TEST

/* 2^63 - 1 fen loads; 2^63 fen is MONEY_RANGE (never a wrapped number). */
START_TEST(hostile_money_at_2_pow_63_fen)
{
    put_good();
    put("contributions.csv",
        CONTRIB_HEADER CODE1 ",202101,5,92233720368547758.07,1,1,1,0\n" CODE1
        ",202102,5,92233720368547758.08,1,1,1,0\n" CODE1 ",202103,5,1,99999999999999999999999999,1,1,0\n",
        (size_t)-1);
    expect_loaded();
    expect_accounting("contributions.csv", 3, 1, 2);
    expect_int("SELECT employer_due = 9223372036854775807 FROM contributions", 1);
    expect_row_error("contributions.csv", 3, "employer_due", "MONEY_RANGE");
    expect_row_error("contributions.csv", 4, "employer_paid", "MONEY_RANGE");
}
END_TEST

/* ------------------------------------------------------------ the folder */

/* A symlink planted in the inbox is refused, not followed (66), and the file
 * it points to is not read. */
START_TEST(hostile_symlink_extract)
{
    first_import();
    char target[4400];
    snprintf(target, sizeof target, "%s/elsewhere.csv", root);
    FILE *f = fopen(target, "w");
    ck_assert_ptr_nonnull(f);
    fputs(REG_HEADER REG_ROW1, f);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(unlink(path_in("registration.csv")), 0);
    ck_assert_int_eq(symlink(target, path_in("registration.csv")), 0);
    expect_refused(66, "registration.csv': it is a symlink, which is not followed");
    expect_unchanged();
}
END_TEST

START_TEST(hostile_directory_as_extract)
{
    first_import();
    ck_assert_int_eq(unlink(path_in("insured_units.csv")), 0);
    ck_assert_int_eq(mkdir(path_in("insured_units.csv"), 0700), 0);
    expect_refused(66, "insured_units.csv': not a regular file");
    expect_unchanged();
}
END_TEST

/* A FIFO (as root, chmod does not make a file unreadable; a FIFO nobody
 * writes to is the file that cannot be read): refused at once, no hang. */
START_TEST(hostile_fifo_as_extract)
{
    first_import();
    ck_assert_int_eq(unlink(path_in("contributions.csv")), 0);
    ck_assert_int_eq(mkfifo(path_in("contributions.csv"), 0600), 0);
    bounded_run r;
    run_bounded(&r, 0, 30, "import", "--db", db_path, in_dir, NULL);
    ck_assert_msg(r.status == 66, "exit %d: %s", r.status, r.err_text);
    expect_one_sentence(r.err_text, "contributions.csv': not a regular file");
    free(r.err_text);
    expect_unchanged();
}
END_TEST

/* A folder that does not exist: 66, and no database is created. */
START_TEST(hostile_missing_folder)
{
    char missing[4400];
    snprintf(missing, sizeof missing, "%s/no-such-inbox", root);
    char *err_text = NULL;
    int status = ts_run_rebate(NULL, &err_text, "import", "--db", db_path, missing, NULL);
    ck_assert_msg(status == 66, "exit %d: %s", status, err_text);
    expect_one_sentence(err_text, "no-such-inbox': No such file or directory");
    free(err_text);
    char snapshot[4300];
    snprintf(snapshot, sizeof snapshot, "%s.snapshot", db_path);
    ck_assert_int_eq(access(snapshot, F_OK), -1); /* nothing imported */
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("import: hostile inputs");
    TCase *tc = tcase_create("hostile");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, hostile_empty_file);
    tcase_add_test(tc, hostile_header_only);
    tcase_add_test(tc, hostile_bom_and_header_mid_file);
    tcase_add_test(tc, hostile_header_repeated_mid_file);
    tcase_add_test(tc, hostile_nul_byte);
    tcase_add_test(tc, hostile_utf16_file);
    tcase_add_test(tc, hostile_invalid_utf8);
    tcase_add_test(tc, hostile_invalid_gb18030);
    tcase_add_test(tc, hostile_field_of_100_mb);
    tcase_add_test(tc, hostile_field_too_long);
    tcase_add_test(tc, hostile_name_of_10000_characters);
    tcase_add_test(tc, hostile_100000_columns);
    tcase_add_test(tc, hostile_unterminated_quote_at_end);
    tcase_add_test(tc, hostile_cr_only_line_ends);
    tcase_add_test(tc, hostile_same_column_twice);
    tcase_add_test(tc, hostile_separators_and_full_width_digits);
    tcase_add_test(tc, hostile_uscc_lower_case_is_accepted);
    tcase_add_test(tc, hostile_uscc_full_width);
    tcase_add_test(tc, hostile_uscc_with_nul_or_non_ascii_byte);
    tcase_add_test(tc, hostile_dates_that_do_not_exist);
    tcase_add_test(tc, hostile_period_in_the_future);
    tcase_add_test(tc, hostile_negative_headcount);
    tcase_add_test(tc, hostile_money_at_2_pow_63_fen);
    tcase_add_test(tc, hostile_symlink_extract);
    tcase_add_test(tc, hostile_directory_as_extract);
    tcase_add_test(tc, hostile_fifo_as_extract);
    tcase_add_test(tc, hostile_missing_folder);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(make_suite)
