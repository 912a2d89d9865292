/* Tests of the batch (src/output/batch.c, batch_files.c, src/store/ledger.c)
 * through the `rebate run` command: the files and their exact form, reruns
 * that never pay twice, dry runs, single-firm reruns, unwritable outputs,
 * a crash at every step of publication, and a payout.csv changed between
 * its writing and its reading back. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rebate/db.h"
#include "rebate/uscc.h"
#include "test_support.h"

/* Four firms for policy year 2022 (data year 2021, rate 90%):
 *   PAY   91210302MA0000001? : 5 staff, 12 full months of 300.00 -> base 3600.00, amount 3240.00
 *   REJ   arrears of 0.01 in 2021-06
 *   REV   the unit's name differs from the registered one
 *   ACC   an account of 5 digits (ACCOUNT_INVALID) */
static char codes[4][19];
static const char *names[4] = {"鞍山市铁东区晨光商贸有限公司", "鞍山市铁西区红旗五金有限公司",
                               "鞍山市立山区远航物流有限公司", "=鞍山市千山区新星餐饮有限公司"};

static void make_codes(void)
{
    for (int i = 0; i < 4; i++) {
        char first17[18];
        snprintf(first17, sizeof first17, "91210302MA00000%02d", i + 1);
        snprintf(codes[i], sizeof codes[i], "%s%c", first17, rb_uscc_check_char(first17));
    }
}

static void exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK, "%s: %s", sql, msg ? msg : "");
}

static char db_path[4200], out_dir[4400];
static const char *work;

/* The snapshot of the four firms, made as an import makes it; account3 is
 * the bank account of the fourth (invalid at first, corrected later). */
static void write_snapshot(sqlite3 *db, const char *account3)
{
    ts_snapshot *s = ts_snapshot_begin(db);
    for (int i = 0; i < 4; i++) {
        ts_snapshot_exec(s,
                         "INSERT INTO registration VALUES (%Q, %Q, '存续', 'active', '2015-03-01', NULL, '210302',"
                         " 'F5191', 0, %d)",
                         codes[i], names[i], i + 2);
        ts_snapshot_exec(s,
                         "INSERT INTO insured_units VALUES (%Q, 'U%d', %Q, '2015-04-01', '正常', 'active', %Q,"
                         " '中国工商银行鞍山分行', %Q, '对公', '102223000011', %d)",
                         codes[i], i, i == 2 ? "鞍山市立山区远航物流公司" : names[i], names[i],
                         i == 3 ? account3 : "6222020708001234567", i + 2);
        for (int p = 0; p <= 12; p++) {
            int period = p == 0 ? 202012 : 202100 + p;
            long long paid = (i == 1 && period == 202106) ? 14999 : 15000;
            ts_snapshot_month(s, codes[i], period, 5, 15000, paid, 15000, 15000, 0, 2 + i * 13 + p);
        }
    }
    ts_snapshot_publish(s, db);
}

static void make_db(void)
{
    make_codes();
    work = strdup(ts_tmpdir());
    snprintf(db_path, sizeof db_path, "%s/rebate.db", work);
    snprintf(out_dir, sizeof out_dir, "%s/out", work);
    sqlite3 *db = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_db_init(db_path, &db, &err), RB_OK);
    exec_sql(db, "INSERT INTO imports VALUES (1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', 'x', 'auto')");
    exec_sql(db, "INSERT INTO import_files VALUES (1, 'contributions.csv', 'ab', 'utf-8', 52, 52, 0, 0, 0)");
    write_snapshot(db, "12345");
    rb_db_close(db);
}

static void drop_db(void)
{
    ts_rmtree(work);
    free((void *)work);
}

static int run_rebate(char **out, const char *extra1, const char *extra2)
{
    char *err = NULL;
    int rc = ts_run_rebate(out, &err, "run", "--db", db_path, "--year", "2022", "--out", out_dir, "--as-of",
                           "2026-11-27", "--by", "tester", extra1, extra2, (char *)NULL);
    if (rc != 0)
        fprintf(stderr, "rebate run exited %d: %s\n", rc, err ? err : "");
    free(err);
    return rc;
}

static long long db_int(const char *sql)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    long long v = ts_query_int(db, sql);
    sqlite3_close(db);
    return v;
}

static char *batch_file(const char *batch, const char *name)
{
    char path[8400];
    snprintf(path, sizeof path, "%s/%s/%s", out_dir, batch, name);
    return ts_read_file(path, NULL);
}

START_TEST(run_publishes_the_seven_files_with_checksums)
{
    char *out = NULL;
    ck_assert_int_eq(run_rebate(&out, NULL, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "2022-20261127-001"));
    free(out);
    const char *files[] = {"payout.csv", "exceptions.csv", "decisions.csv", "summary.txt",
                           "payout.xlsx", "exceptions.xlsx", "SHA256SUMS"};
    for (size_t i = 0; i < 7; i++) {
        char *text = batch_file("2022-20261127-001", files[i]);
        ck_assert_msg(text != NULL, "%s missing", files[i]);
        free(text);
    }
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "cd '%s/2022-20261127-001' && sha256sum --quiet -c SHA256SUMS", out_dir);
    ck_assert_int_eq(system(cmd), 0);
    /* Nothing but the batch in OUT: no staging folder left. */
    DIR *d = opendir(out_dir);
    int entries = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        entries += e->d_name[0] != '.';
    closedir(d);
    ck_assert_int_eq(entries, 1);
    struct stat sb;
    char dir[8400];
    snprintf(dir, sizeof dir, "%s/2022-20261127-001/payout.csv", out_dir);
    ck_assert_int_eq(stat(dir, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0007, 0);
}
END_TEST

START_TEST(payout_csv_exact_bytes)
{
    ck_assert_int_eq(run_rebate(NULL, NULL, NULL), 0);
    char *payout = batch_file("2022-20261127-001", "payout.csv");
    char expected[4096];
    /* 12 months x (150.00 + 150.00) = 3600.00; 90% = 3240.00. */
    snprintf(expected, sizeof expected,
             "\xEF\xBB\xBF"
             "seq,batch_id,reference,uscc,name,account_name,bank_name,bank_code,bank_account,amount,"
             "amount_in_words,policy_year,purpose\r\n"
             "1,2022-20261127-001,2022-%s-1,%s,%s,%s,中国工商银行鞍山分行,102223000011,6222020708001234567,"
             "3240.00,人民币叁仟贰佰肆拾元整,2022,2022年失业保险稳岗返还\r\n",
             codes[0], codes[0], names[0], names[0]);
    ck_assert_str_eq(payout, expected);
    free(payout);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments"), 1);
    ck_assert_int_eq(db_int("SELECT amount_fen FROM payments"), 324000);
    ck_assert_int_eq(db_int("SELECT total_fen FROM batches"), 324000);
    /* The batch keeps the exact parameter row it used. */
    ck_assert_int_eq(db_int("SELECT params LIKE 'policy_year=2022;rate_smm_pct=90;rate_large_pct=50;%' FROM batches"), 1);
}
END_TEST

START_TEST(decisions_and_exceptions_rows)
{
    ck_assert_int_eq(run_rebate(NULL, NULL, NULL), 0);
    char *decisions = batch_file("2022-20261127-001", "decisions.csv");
    char line[2048];
    snprintf(line, sizeof line, "\r\n%s,%s,PAY,,5,12,0.00,0.00,3600.00,90,3240.00,\r\n", codes[0], names[0]);
    ck_assert_msg(strstr(decisions, line) != NULL, "no PAY row in:\n%s", decisions);
    snprintf(line, sizeof line, "\r\n%s,%s,REJECT,ARREARS;FULL_MONTHS_SHORT,5,11,0.01,0.00,3599.99,90,3239.99,\r\n",
             codes[1], names[1]);
    ck_assert_msg(strstr(decisions, line) != NULL, "no REJECT row in:\n%s", decisions);
    free(decisions);
    char *exceptions = batch_file("2022-20261127-001", "exceptions.csv");
    ck_assert(strncmp(exceptions, "\xEF\xBB\xBFkind,uscc,name,reasons,detail,file,line,amount\r\n", 51) == 0);
    snprintf(line, sizeof line, "ENTERPRISE,%s,%s,NAME_MISMATCH,", codes[2], names[2]);
    ck_assert_msg(strstr(exceptions, line) != NULL, "no NAME_MISMATCH row in:\n%s", exceptions);
    /* The formula guard on a name starting with '='. */
    snprintf(line, sizeof line, "ENTERPRISE,%s,'%s,ACCOUNT_INVALID,", codes[3], names[3]);
    ck_assert_msg(strstr(exceptions, line) != NULL, "no guarded ACCOUNT_INVALID row in:\n%s", exceptions);
    free(exceptions);
    ck_assert_int_eq(db_int("SELECT count(*) FROM decisions"), 4);
}
END_TEST

START_TEST(rerun_never_pays_twice)
{
    ck_assert_int_eq(run_rebate(NULL, NULL, NULL), 0);
    ck_assert_int_eq(run_rebate(NULL, NULL, NULL), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM batches"), 2);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments"), 1);
    char *decisions = batch_file("2022-20261127-002", "decisions.csv");
    char line[512];
    snprintf(line, sizeof line, "\r\n%s,%s,SKIP,ALREADY_PAID,", codes[0], names[0]);
    ck_assert_msg(strstr(decisions, line) != NULL, "no SKIP row in:\n%s", decisions);
    free(decisions);
    char *payout = batch_file("2022-20261127-002", "payout.csv");
    ck_assert_ptr_null(strstr(payout, "\r\n1,"));
    free(payout);
}
END_TEST

START_TEST(dry_run_records_nothing)
{
    char *out = NULL;
    ck_assert_int_eq(run_rebate(&out, "--dry-run", NULL), 0);
    free(out);
    ck_assert_int_eq(db_int("SELECT count(*) FROM batches"), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments"), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM decisions"), 0);
    char *summary = batch_file("PREVIEW-2022-20261127-001", "summary.txt");
    ck_assert_ptr_nonnull(summary);
    ck_assert_ptr_nonnull(strstr(summary, "DRY RUN"));
    free(summary);
    /* A second preview gets its own folder; then a real run is 001. */
    ck_assert_int_eq(run_rebate(NULL, "--dry-run", NULL), 0);
    char *again = batch_file("PREVIEW-2022-20261127-001-2", "payout.csv");
    ck_assert_ptr_nonnull(again);
    free(again);
    ck_assert_int_eq(run_rebate(NULL, NULL, NULL), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments"), 1);
    char *real = batch_file("2022-20261127-001", "payout.csv");
    ck_assert_ptr_nonnull(real);
    free(real);
}
END_TEST

START_TEST(uscc_rerun_after_account_correction_pays_that_firm_only)
{
    ck_assert_int_eq(run_rebate(NULL, NULL, NULL), 0);
    /* The corrected account arrives with the next snapshot. */
    sqlite3 *db = ts_open_db(db_path);
    write_snapshot(db, "6222020708009999999");
    sqlite3_close(db);
    ck_assert_int_eq(run_rebate(NULL, "--uscc", codes[3]), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments"), 2);
    char *decisions = batch_file("2022-20261127-002", "decisions.csv");
    /* Header plus exactly one firm. */
    int rows = 0;
    for (char *p = decisions; (p = strstr(p, "\r\n")) != NULL; p += 2)
        rows++;
    ck_assert_int_eq(rows, 2);
    free(decisions);
    char *payout = batch_file("2022-20261127-002", "payout.csv");
    char ref[64];
    snprintf(ref, sizeof ref, "2022-%s-1", codes[3]);
    ck_assert_ptr_nonnull(strstr(payout, ref));
    ck_assert_ptr_nonnull(strstr(payout, "6222020708009999999"));
    free(payout);
    /* Rerunning the same firm again skips it. */
    ck_assert_int_eq(run_rebate(NULL, "--uscc", codes[3]), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments"), 2);
}
END_TEST

START_TEST(unwritable_out_is_73_and_records_nothing)
{
    /* OUT below a regular file cannot be created, even by root. */
    char blocker[4300];
    snprintf(blocker, sizeof blocker, "%s/blocker", work);
    ts_write_file(work, "blocker", "x", 1);
    snprintf(out_dir, sizeof out_dir, "%s/out", blocker);
    ck_assert_int_eq(run_rebate(NULL, NULL, NULL), 73);
    ck_assert_int_eq(db_int("SELECT count(*) FROM batches"), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments"), 0);
}
END_TEST

/* Runs `rebate run` with a file-size limit, as a full disk would refuse writes. */
static int run_with_file_limit(rlim_t bytes)
{
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit lim = {bytes, bytes};
        setrlimit(RLIMIT_FSIZE, &lim);
        int devnull = open("/dev/null", 1);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execl(REBATE_BINARY, REBATE_BINARY, "run", "--db", db_path, "--year", "2022", "--out", out_dir,
              "--as-of", "2026-11-27", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(full_disk_is_73_records_nothing_and_next_run_succeeds)
{
    ck_assert_int_eq(run_with_file_limit(200), 73);
    ck_assert_int_eq(db_int("SELECT count(*) FROM batches"), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments"), 0);
    ck_assert_int_eq(run_rebate(NULL, NULL, NULL), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments"), 1);
}
END_TEST

static int run_crashing_at(const char *step)
{
    setenv("REBATE_CRASH_AT", step, 1);
    int rc = ts_run_rebate(NULL, NULL, "run", "--db", db_path, "--year", "2022", "--out", out_dir, "--as-of",
                           "2026-11-27", (char *)NULL);
    unsetenv("REBATE_CRASH_AT");
    return rc;
}

static int visible_batches(void)
{
    DIR *d = opendir(out_dir);
    if (d == NULL)
        return 0;
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

START_TEST(crash_at_every_step_leaves_all_or_nothing)
{
    static const struct {
        const char *step;
        int recorded; /* the crash leaves the batch recorded */
    } steps[] = {{"files-open", 0}, {"files-finished", 0}, {"files-written", 0}, {"sums-written", 0},
                 {"before-commit", 0}, {"after-commit", 1}, {"published", 1}};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        drop_db();
        make_db();
        ck_assert_int_eq(run_crashing_at(steps[i].step), -SIGKILL);
        ck_assert_int_eq(db_int("SELECT count(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"), 0);
        ck_assert_int_eq(db_int("SELECT count(*) FROM payments"), steps[i].recorded);
        ck_assert_int_eq(db_int("SELECT count(*) FROM batches"), steps[i].recorded);
        /* Nothing half-written is visible: only a whole batch, or none. */
        ck_assert_int_eq(visible_batches(), strcmp(steps[i].step, "published") == 0);
        /* The next run repairs, and pays nobody twice. */
        ck_assert_int_eq(run_rebate(NULL, NULL, NULL), 0);
        ck_assert_int_eq(db_int("SELECT count(*) FROM payments"), 1);
        ck_assert_int_eq(visible_batches(), 1 + steps[i].recorded);
        char cmd[8400];
        snprintf(cmd, sizeof cmd, "cd '%s' && for d in */; do (cd \"$d\" && sha256sum --quiet -c SHA256SUMS) || exit 1; done",
                 out_dir);
        ck_assert_int_eq(system(cmd), 0);
    }
}
END_TEST

/* While the run is paused with its files written and closed: payout.csv
 * gets its last line a second time, as a disk or a hand might add one. */
static void repeat_the_last_payment(void *ctx)
{
    (void)ctx;
    DIR *d = opendir(out_dir);
    ck_assert_ptr_nonnull(d);
    char path[8400] = "";
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strncmp(e->d_name, ".staging-", 9) == 0)
            snprintf(path, sizeof path, "%s/%s/payout.csv", out_dir, e->d_name);
    closedir(d);
    ck_assert_msg(path[0] != '\0', "no staging folder in %s", out_dir);
    size_t len = 0;
    char *text = ts_read_file(path, &len);
    ck_assert_ptr_nonnull(text);
    ck_assert(len > 2 && text[len - 1] == '\n');
    size_t start = len - 1;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    FILE *f = fopen(path, "ab");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text + start, 1, len - start, f), len - start);
    ck_assert_int_eq(fclose(f), 0);
    free(text);
}

START_TEST(payout_csv_changed_before_its_reading_back_publishes_nothing)
{
    setenv("REBATE_PAUSE_AT", "files-finished", 1);
    ts_on_pause(repeat_the_last_payment, NULL);
    char *err = NULL;
    int rc = ts_run_rebate(NULL, &err, "run", "--db", db_path, "--year", "2022", "--out", out_dir, "--as-of",
                           "2026-11-27", "--by", "tester", (char *)NULL);
    ts_on_pause(NULL, NULL);
    unsetenv("REBATE_PAUSE_AT");
    ck_assert_int_eq(rc, 70);
    ck_assert_msg(strstr(err, "holds 2 payments totalling 648000 fen, not the 1 totalling 324000 fen decided; "
                              "nothing was published") != NULL,
                  "%s", err);
    free(err);
    /* Nothing recorded, nothing visible, no staging folder left. */
    ck_assert_int_eq(db_int("SELECT count(*) FROM batches"), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments"), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM events"), 0);
    ck_assert_int_eq(visible_batches(), 0);
    DIR *d = opendir(out_dir);
    ck_assert_ptr_nonnull(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        ck_assert_msg(strncmp(e->d_name, ".staging-", 9) != 0, "%s left in OUT", e->d_name);
    closedir(d);
    /* The next run publishes the batch, and pays the firm once. */
    ck_assert_int_eq(run_rebate(NULL, NULL, NULL), 0);
    ck_assert_int_eq(db_int("SELECT count(*) FROM payments"), 1);
    ck_assert_int_eq(visible_batches(), 1);
}
END_TEST

START_TEST(year_without_parameters_is_64_and_writes_nothing)
{
    char *err = NULL;
    int rc = ts_run_rebate(NULL, &err, "run", "--db", db_path, "--year", "2019", "--out", out_dir, (char *)NULL);
    ck_assert_int_eq(rc, 64);
    ck_assert_ptr_nonnull(strstr(err, "2019"));
    free(err);
    ck_assert_int_eq(visible_batches(), 0);
}
END_TEST

START_TEST(usage_errors)
{
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "run", "--db", db_path, (char *)NULL), 64);
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "run", "--db", db_path, "--year", "22", "--out", out_dir, (char *)NULL), 64);
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "run", "--db", db_path, "--year", "2022", "--out", out_dir, "--uscc",
                                   "91210302MA0000001X", (char *)NULL),
                     64);
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "run", "--db", db_path, "--year", "2022", "--out", out_dir, "--as-of",
                                   "2026-02-30", (char *)NULL),
                     64);
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "run", "--db", "/nonexistent.db", "--year", "2022", "--out", out_dir,
                                   (char *)NULL),
                     66);
    char *out = NULL;
    ck_assert_int_eq(ts_run_rebate(&out, NULL, "run", "--help", (char *)NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: rebate run --db DB --year Y --out OUT"));
    free(out);
}
END_TEST

static Suite *batch_suite(void)
{
    Suite *s = suite_create("output/batch");
    TCase *tc = tcase_create("batch");
    tcase_add_checked_fixture(tc, make_db, drop_db);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, run_publishes_the_seven_files_with_checksums);
    tcase_add_test(tc, payout_csv_exact_bytes);
    tcase_add_test(tc, decisions_and_exceptions_rows);
    tcase_add_test(tc, rerun_never_pays_twice);
    tcase_add_test(tc, dry_run_records_nothing);
    tcase_add_test(tc, uscc_rerun_after_account_correction_pays_that_firm_only);
    tcase_add_test(tc, unwritable_out_is_73_and_records_nothing);
    tcase_add_test(tc, full_disk_is_73_records_nothing_and_next_run_succeeds);
    tcase_add_test(tc, crash_at_every_step_leaves_all_or_nothing);
    tcase_add_test(tc, payout_csv_changed_before_its_reading_back_publishes_nothing);
    tcase_add_test(tc, year_without_parameters_is_64_and_writes_nothing);
    tcase_add_test(tc, usage_errors);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(batch_suite)
