/* Tests of the `rebate import` command (src/cli/cmd_import.c) through the
 * built binary: --help, usage errors (64), missing input (66), a refused
 * file (65), the printed row accounting, and the sample extracts. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_support.h"

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

/* The snapshot file an import makes beside the database. */
static const char *snapshot_path(void)
{
    static char path[4300];
    snprintf(path, sizeof path, "%s.snapshot", db_path);
    return path;
}

static void teardown(void)
{
    ts_rmtree(root);
}

#define CODE1 "91210302MA0A00001H"
#define CODE2 "91210302MA0A00002L"

static const char registration[] = "uscc,name,status,established_on,region_code\n" CODE1 ",甲,存续,2015-03-01,210302\n";
static const char units[] = "uscc,unit_name,insured_on,ui_status\n" CODE1 ",甲,2016-01-01,正常\n" CODE2
                            ",乙,2016-01-01,x\n";
static const char contributions[] = "uscc,period,insured_count,employer_due,employer_paid,employee_due,employee_paid\n" CODE1
                                    ",202101,5,1,1,1,1\n" CODE1 ",202101,5,1,1,1,1\n" CODE1 ",202102,5,1,1,1,1\n" CODE1
                                    ",202102,6,1,1,1,1\n";

static void write_extracts(void)
{
    ts_write_file(in_dir, "registration.csv", registration, (size_t)-1);
    ts_write_file(in_dir, "insured_units.csv", units, (size_t)-1);
    ts_write_file(in_dir, "contributions.csv", contributions, (size_t)-1);
}

/* Runs of spaces become one space, so the table is compared by content. */
static char *squeeze(const char *text)
{
    char *out = malloc(strlen(text) + 1), *o = out;
    ck_assert(out != NULL);
    for (const char *p = text; *p; p++)
        if (!(*p == ' ' && o > out && o[-1] == ' '))
            *o++ = *p;
    *o = '\0';
    return out;
}

static void expect_usage_error(const char *first, const char *second, const char *third, const char *says)
{
    char *out = NULL, *err = NULL;
    int status = ts_run_rebate(&out, &err, "import", first, second, third, (const char *)NULL);
    ck_assert_msg(status == 64, "status %d for import %s %s %s", status, first ? first : "", second ? second : "",
                  third ? third : "");
    ck_assert_str_eq(out, "");
    ck_assert_msg(strncmp(err, "rebate import: ", 15) == 0 && strstr(err, says) != NULL, "stderr: %s", err);
    ck_assert_msg(strstr(err, "; see 'rebate import --help'\n") != NULL, "stderr: %s", err);
    ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "more than one line: %s", err);
    free(out);
    free(err);
}

START_TEST(help_names_every_column)
{
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(ts_run_rebate(&out, &err, "import", "--help", (const char *)NULL), 0);
    ck_assert_msg(strncmp(out, "usage: rebate import --db DB [--encoding auto|utf-8|gb18030] DIR\n", 65) == 0, "%s",
                  out);
    static const char *const columns[] = {
        "uscc* 统一社会信用代码", "name* 企业名称", "status* 登记状态", "established_on* 成立日期",
        "deregistered_on 注销日期", "region_code* 行政区划代码", "industry_code 行业代码",
        "serious_dishonesty 严重失信", "unit_no 单位编号", "unit_name* 单位名称", "insured_on* 参保日期",
        "ui_status* 参保状态", "account_name 账户名称", "bank_name 开户银行", "bank_account 银行账号",
        "account_source 账户来源", "bank_code 开户行行号", "period* 缴费年月", "insured_count* 参保人数",
        "employer_due* 单位应缴", "employer_paid* 单位实缴", "employee_due* 个人应缴", "employee_paid* 个人实缴",
        "new_claimants 新增领取失业保险金人数",
    };
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
        ck_assert_msg(strstr(out, columns[i]) != NULL, "--help does not name %s", columns[i]);
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
}
END_TEST

START_TEST(usage_errors_exit_64)
{
    expect_usage_error(NULL, NULL, NULL, "--db DB is required");
    expect_usage_error(in_dir, NULL, NULL, "--db DB is required");
    expect_usage_error("--db", db_path, NULL, "the folder DIR holding the extracts is required");
    expect_usage_error("--encoding", "latin1", in_dir, "'latin1' is not an encoding");
    expect_usage_error("--bogus", in_dir, NULL, "unknown option '--bogus'");
    expect_usage_error(in_dir, "--db", NULL, "option '--db' needs a value");
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(ts_run_rebate(&out, &err, "import", "--db", db_path, in_dir, root, (const char *)NULL), 64);
    ck_assert_msg(strstr(err, "one folder only") != NULL, "%s", err);
    free(out);
    free(err);
    ck_assert_int_eq(access(snapshot_path(), F_OK), -1); /* nothing imported */
}
END_TEST

START_TEST(missing_folder_exits_66_and_creates_nothing)
{
    char missing[4300], expected[4400];
    snprintf(missing, sizeof missing, "%s/none", root);
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(ts_run_rebate(&out, &err, "import", "--db", db_path, missing, (const char *)NULL), 66);
    snprintf(expected, sizeof expected, "rebate: cannot read folder '%s': No such file or directory\n", missing);
    ck_assert_str_eq(err, expected);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(access(snapshot_path(), F_OK), -1);
    free(out);
    free(err);
}
END_TEST

START_TEST(missing_file_exits_66_naming_it)
{
    ts_write_file(in_dir, "registration.csv", registration, (size_t)-1);
    ts_write_file(in_dir, "contributions.csv", contributions, (size_t)-1);
    char *out = NULL, *err = NULL, expected[4400];
    ck_assert_int_eq(ts_run_rebate(&out, &err, "import", "--db", db_path, in_dir, (const char *)NULL), 66);
    snprintf(expected, sizeof expected, "rebate: cannot read '%s/insured_units.csv': No such file or directory\n",
             in_dir);
    ck_assert_str_eq(err, expected);
    free(out);
    free(err);
}
END_TEST

START_TEST(refused_file_exits_65_and_keeps_the_snapshot)
{
    write_extracts();
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(ts_run_rebate(&out, &err, "import", "--db", db_path, in_dir, (const char *)NULL), 0);
    free(out);
    free(err);
    ts_write_file(in_dir, "contributions.csv",
                  "uscc,period,insured_count,employer_due,employee_due,employee_paid\n" CODE1 ",202101,5,1,1,1\n",
                  (size_t)-1);
    ck_assert_int_eq(ts_run_rebate(&out, &err, "import", "--db", db_path, in_dir, (const char *)NULL), 65);
    ck_assert_str_eq(err, "rebate: cannot import 'contributions.csv': its header (line 1) has no column "
                          "'employer_paid' (单位实缴)\n");
    ck_assert_str_eq(out, "");
    free(out);
    free(err);
    sqlite3 *db = NULL;
    db = ts_open_db(db_path); /* the snapshot attached */
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM imports"), 1);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM contributions"), 1);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM row_errors"), 3);
    sqlite3_close(db);
}
END_TEST

START_TEST(prints_the_accounting)
{
    write_extracts();
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(ts_run_rebate(&out, &err, "import", "--db", db_path, "--encoding", "utf-8", in_dir,
                                   (const char *)NULL),
                     0);
    ck_assert_str_eq(err, "");
    char expected[8192];
    snprintf(expected, sizeof expected,
             "Imported '%s' as import 1.\n"
             "file encoding read loaded rejected duplicates conflicting\n"
             "registration.csv utf-8 1 1 0 0 0\n"
             "insured_units.csv utf-8 2 1 1 0 0\n"
             "contributions.csv utf-8 4 1 0 1 2\n"
             "total 7 3 1 1 2\n"
             "SHA-256:\n"
             "3396a2c0188103f67b415fba8376865fc062e3b7f43076f0e8c3b9cfcc374a80 registration.csv\n"
             "a16cf5c92ed79b708b092e7c8a370eebdf25bbeec71b5a18259583766d10e9a0 insured_units.csv\n"
             "33a2507a81e8a4ee46cee8fdc27aa891b5b82be4376d8c9fb6137f93185f5764 contributions.csv\n",
             in_dir);
    char *got = squeeze(out);
    ck_assert_str_eq(got, expected);
    free(got);
    free(out);
    free(err);
    /* A second import is import 2 and the database has the recorded encoding. */
    ck_assert_int_eq(ts_run_rebate(&out, &err, "import", "--db", db_path, in_dir, (const char *)NULL), 0);
    ck_assert_msg(strncmp(strstr(out, "as import "), "as import 2.", 12) == 0, "%s", out);
    free(out);
    free(err);
    sqlite3 *db = NULL;
    ck_assert(sqlite3_open(db_path, &db) == SQLITE_OK);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM imports WHERE encoding = 'utf-8' AND import_id = 1"), 1);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM imports WHERE encoding = 'auto' AND import_id = 2"), 1);
    sqlite3_close(db);
}
END_TEST

START_TEST(sample_extracts_import)
{
    const char *sample = REBATE_SOURCE_DIR "/data/sample";
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(ts_run_rebate(&out, &err, "import", "--db", db_path, sample, (const char *)NULL), 0);
    char *got = squeeze(out);
    /* the counts of data/sample/README.md */
    ck_assert_msg(strstr(got, "registration.csv utf-8-bom 39 38 1 0 0\n"
                              "insured_units.csv gb18030 39 38 1 0 0\n"
                              "contributions.csv utf-8 947 942 2 1 2\n"
                              "total 1025 1018 4 1 2\n") != NULL,
                  "%s", got);
    free(got);
    free(out);
    free(err);
    sqlite3 *db = NULL;
    db = ts_open_db(db_path); /* the snapshot attached */
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM row_errors WHERE file = 'registration.csv' AND line = 39 "
                                      "AND rule = 'DATE_INVALID'"),
                     1);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM row_errors WHERE file = 'contributions.csv' AND line = 284 "
                                      "AND rule = 'MONEY_INVALID' AND value = '1,234.00'"),
                     1);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM row_errors WHERE line = 329 AND rule = 'USCC_INVALID' "
                                      "AND uscc IS NULL AND uscc_prefix = '91210323MA0006Y37'"),
                     1);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM row_errors WHERE file = 'insured_units.csv' AND line = 17 "
                                      "AND rule = 'STATUS_UNKNOWN'"),
                     1);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM row_errors WHERE rule = 'DATA_CONFLICT' AND uscc = "
                                      "'91210381MA000DUAYG'"),
                     2);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM duplicate_rows WHERE line = 187 AND first_line = 186"), 1);
    /* the lower-case code of firm 9 was upper-cased, the full-width name kept */
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM insured_units WHERE uscc = '91210304MA0005W4D1'"), 1);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM registration WHERE name = '天成（鞍山）装饰工程有限公司'"), 1);
    sqlite3_close(db);
}
END_TEST

START_TEST(explicit_encoding_reaches_every_file)
{
    /* The sample mixes encodings, so insisting on one refuses a file. */
    const char *sample = REBATE_SOURCE_DIR "/data/sample";
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(ts_run_rebate(&out, &err, "import", "--db", db_path, "--encoding", "utf-8", sample,
                                   (const char *)NULL),
                     65);
    ck_assert_str_eq(err, "rebate: cannot decode 'insured_units.csv' line 1: it is not valid UTF-8 (encoding utf-8)\n");
    free(out);
    free(err);
    ck_assert_int_eq(ts_run_rebate(&out, &err, "import", "--db", db_path, "--encoding", "gb18030", sample,
                                   (const char *)NULL),
                     65);
    ck_assert_msg(strstr(err, "'registration.csv'") != NULL, "%s", err);
    free(out);
    free(err);
}
END_TEST

/* An import killed half-way (a crash, a power cut) leaves the previous
 * snapshot: SQLite rolls the unfinished transaction back on the next open. */
START_TEST(killed_import_leaves_the_snapshot)
{
    write_extracts();
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(ts_run_rebate(&out, &err, "import", "--db", db_path, in_dir, (const char *)NULL), 0);
    free(out);
    free(err);

    /* 600,000 rows: seconds of work, killed after a fifth of a second */
    char path[4300];
    snprintf(path, sizeof path, "%s/contributions.csv", in_dir);
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fputs("uscc,period,insured_count,employer_due,employer_paid,employee_due,employee_paid\n", f);
    for (int i = 0; i < 600000; i++)
        fprintf(f, "%s,%d%02d,5,1,1,1,1\n", i % 2 ? CODE1 : CODE2, 1000 + i / 24, i % 12 + 1);
    ck_assert_int_eq(fclose(f), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execl(REBATE_BINARY, REBATE_BINARY, "import", "--db", db_path, in_dir, (char *)NULL);
        _exit(127);
    }
    usleep(200 * 1000);
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the import ended before it was killed");

    sqlite3 *db = NULL;
    db = ts_open_db(db_path); /* the snapshot attached */
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM imports"), 1);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM contributions"), 1);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM row_errors"), 3);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"), 1);
    sqlite3_close(db);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("import/cmd_import");
    TCase *tc = tcase_create("cmd_import");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, help_names_every_column);
    tcase_add_test(tc, usage_errors_exit_64);
    tcase_add_test(tc, missing_folder_exits_66_and_creates_nothing);
    tcase_add_test(tc, missing_file_exits_66_naming_it);
    tcase_add_test(tc, refused_file_exits_65_and_keeps_the_snapshot);
    tcase_add_test(tc, prints_the_accounting);
    tcase_add_test(tc, sample_extracts_import);
    tcase_add_test(tc, explicit_encoding_reaches_every_file);
    tcase_add_test(tc, killed_import_leaves_the_snapshot);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(make_suite)
