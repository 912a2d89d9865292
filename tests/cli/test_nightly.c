/* Tests of `rebate nightly` (src/cli/cmd_nightly.c): the whole night on the
 * sample extracts, a night with an empty inbox, the lock, the archive, a
 * refused extract, an incomplete inbox and config errors. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rebate/lock.h"
#include "test_support.h"

static char work[4096], config[4200], inbox[4200], outbox[4200], archive[4200], db_path[4200];

static void copy_sample(const char *name)
{
    char src[4300];
    snprintf(src, sizeof src, "%s/data/sample/%s", REBATE_SOURCE_DIR, name);
    size_t len = 0;
    char *data = ts_read_file(src, &len);
    ck_assert_msg(data != NULL, "cannot read %s", src);
    ts_write_file(inbox, name, data, len);
    free(data);
}

static void write_config(const char *year)
{
    char text[20000];
    snprintf(text, sizeof text,
             "[rebate]\ndatabase = %s\ninbox = %s\noutbox = %s\narchive = %s\npolicy_year = %s\nencoding = auto\n"
             /* no notice period, so that a batch can be approved at once */
             "notice_days = 0\nfund_account_name = 鞍山市失业保险基金专户\nfund_account = 2102020000000000001\n"
             "fund_bank_name = 中国工商银行股份有限公司鞍山分行\nfund_bank_code = 102223000000\n",
             db_path, inbox, outbox, archive, year);
    ts_write_file(work, "rebate.ini", text, (size_t)-1);
}

static void setup(void)
{
    snprintf(work, sizeof work, "%s", ts_tmpdir());
    snprintf(config, sizeof config, "%s/rebate.ini", work);
    snprintf(inbox, sizeof inbox, "%s/inbox", work);
    snprintf(outbox, sizeof outbox, "%s/outbox", work);
    snprintf(archive, sizeof archive, "%s/archive", work);
    snprintf(db_path, sizeof db_path, "%s/rebate.db", work);
    mkdir(inbox, 0750);
    mkdir(outbox, 0750);
    write_config("2022");
    ts_init_db(db_path);
    copy_sample("registration.csv");
    copy_sample("insured_units.csv");
    copy_sample("contributions.csv");
}

static void teardown(void)
{
    ts_rmtree(work);
}

/* Entries of a folder not starting with '.', and the last one's name. */
static int count_entries(const char *dir, char *last, size_t last_size)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0;
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        n++;
        if (last && strcmp(e->d_name, last) > 0)
            snprintf(last, last_size, "%s", e->d_name);
    }
    closedir(d);
    return n;
}

/* The database exists (made by init) and nothing was imported into it. */
static void db_path_has_no_import(void)
{
    char snapshot[4300];
    snprintf(snapshot, sizeof snapshot, "%s.snapshot", db_path);
    ck_assert_int_eq(access(snapshot, F_OK), -1);
}

static int nightly(char **out, char **err)
{
    return ts_run_rebate(out, err, "nightly", "--config", config, (char *)NULL);
}

START_TEST(night_on_the_sample_imports_archives_and_publishes)
{
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(nightly(&out, &err), 0);
    ck_assert_msg(strstr(out, "nightly import") && strstr(out, "nightly archive") && strstr(out, "nightly run") &&
                      strstr(out, "nightly publish") && strstr(out, "nightly done"),
                  "log lines missing:\n%s", out);
    ck_assert_ptr_nonnull(strstr(out, "registration.csv: read "));
    free(out);
    free(err);
    ck_assert_int_eq(count_entries(inbox, NULL, 0), 0);
    char stamp[256] = "";
    ck_assert_int_eq(count_entries(archive, stamp, sizeof stamp), 1);
    char archived[4600];
    snprintf(archived, sizeof archived, "%s/%s", archive, stamp);
    ck_assert_int_eq(count_entries(archived, NULL, 0), 3);
    char batch[256] = "";
    ck_assert_int_eq(count_entries(outbox, batch, sizeof batch), 1);
    ck_assert_msg(strncmp(batch, "2022-", 5) == 0, "batch folder %s", batch);
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "cd '%s/%s' && sha256sum --quiet -c SHA256SUMS", outbox, batch);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(night_without_extracts_still_evaluates_and_pays_nobody_twice)
{
    ck_assert_int_eq(nightly(NULL, NULL), 0);
    char *out = NULL;
    ck_assert_int_eq(nightly(&out, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "no new extracts"));
    /* Every firm decided again, none differently (the firms paid the night
     * before are now ALREADY_PAID, which their payment brings about): no
     * batch. */
    ck_assert_msg(strstr(out, "no decision changed, no batch published") != NULL, "%s", out);
    free(out);
    ck_assert_int_eq(count_entries(outbox, NULL, 0), 1);
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM payments"),
                     ts_query_int(db, "SELECT count(DISTINCT uscc) FROM payments"));
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM imports"), 1);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM runs WHERE command = 'nightly' AND exit_status = 0"), 2);
    sqlite3_close(db);
}
END_TEST

/* A week of nights on the same extracts: one batch, not seven, and status
 * shows one thing waiting (its approval), not a pile of empty batches. */
START_TEST(a_week_of_unchanged_nights_publishes_one_batch)
{
    ck_assert_int_eq(nightly(NULL, NULL), 0);
    for (int night = 2; night <= 7; night++) {
        copy_sample("registration.csv");
        copy_sample("insured_units.csv");
        copy_sample("contributions.csv");
        char *out = NULL, *err = NULL;
        ck_assert_msg(nightly(&out, &err) == 0, "night %d: %s", night, err);
        ck_assert_msg(strstr(out, "no decision changed, no batch published") != NULL, "night %d: %s", night, out);
        free(out);
        free(err);
    }
    ck_assert_int_eq(count_entries(outbox, NULL, 0), 1);
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM batches"), 1);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM runs WHERE command = 'nightly' AND exit_status = 0"), 7);
    /* The same bytes again are not imported again. */
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM imports"), 1);
    sqlite3_close(db);
    char *out = NULL;
    ck_assert_int_eq(ts_run_rebate(&out, NULL, "status", "--db", db_path, (char *)NULL), 0);
    char *first = strstr(out, "待审批 to approve");
    ck_assert_msg(first != NULL && strstr(first + 1, "待审批 to approve") == NULL, "%s", out);
    free(out);
}
END_TEST

/* The same extracts again: not imported, nothing decided, no batch. After
 * a void the inputs differ: every firm is decided and the firms of the
 * voided batch are paid again; a night changing nothing after that one
 * decides every firm (the batch was approved since) but publishes nothing,
 * and the night after knows it without deciding. */
START_TEST(nights_that_change_nothing_publish_nothing)
{
    char *out = NULL;
    ck_assert_int_eq(nightly(NULL, NULL), 0);
    char first[256] = "";
    ck_assert_int_eq(count_entries(outbox, first, sizeof first), 1);
    copy_sample("registration.csv");
    copy_sample("insured_units.csv");
    copy_sample("contributions.csv");
    ck_assert_int_eq(nightly(&out, NULL), 0);
    ck_assert_msg(strstr(out, "the extracts are the bytes of import 1: the snapshot stays as it is") != NULL, "%s",
                  out);
    ck_assert_msg(strstr(out, "are those batch 2022-") != NULL, "%s", out);
    free(out);
    ck_assert_int_eq(count_entries(inbox, NULL, 0), 0);
    ck_assert_int_eq(count_entries(outbox, NULL, 0), 1);

    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "void", "--db", db_path, "--batch", first, "--by", "tester",
                                   "--reason", "test", (char *)NULL),
                     0);
    ck_assert_int_eq(nightly(&out, NULL), 0);
    ck_assert_msg(strstr(out, "nightly publish") != NULL, "%s", out);
    free(out);
    char second[256] = "";
    ck_assert_int_eq(count_entries(outbox, second, sizeof second), 2);
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM payments WHERE batch_id = '%s'", second);
    long long repaid = ts_query_int(db, sql);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM payments WHERE batch_id = '%s'", first);
    ck_assert_int_eq(repaid, ts_query_int(db, sql));
    ck_assert_int_gt(repaid, 0);
    sqlite3_close(db);

    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "approve", "--config", config, "--batch", second, "--by", "finance",
                                   (char *)NULL),
                     0);
    ck_assert_int_eq(nightly(&out, NULL), 0);
    ck_assert_msg(strstr(out, "no decision changed since the last batch: no batch published") != NULL, "%s", out);
    free(out);
    ck_assert_int_eq(nightly(&out, NULL), 0);
    ck_assert_msg(strstr(out, "no decision changed, no batch published") != NULL, "%s", out);
    free(out);
    ck_assert_int_eq(count_entries(outbox, NULL, 0), 2);
}
END_TEST

START_TEST(second_nightly_exits_75_and_touches_nothing)
{
    rb_lock *lock = NULL;
    rb_error e = {0};
    ck_assert_int_eq(rb_lock_database(db_path, &lock, &e), RB_OK);
    char *err = NULL;
    /* The lock is flock(2) on its own open file: the child cannot take it. */
    ck_assert_int_eq(nightly(NULL, &err), 75);
    ck_assert_ptr_nonnull(strstr(err, "lock"));
    free(err);
    rb_lock_release(lock);
    ck_assert_int_eq(count_entries(inbox, NULL, 0), 3);
    ck_assert_int_eq(count_entries(outbox, NULL, 0), 0);
    db_path_has_no_import();
    /* Once released, the next night runs. */
    ck_assert_int_eq(nightly(NULL, NULL), 0);
}
END_TEST

START_TEST(refused_extract_is_archived_as_refused_and_keeps_the_snapshot)
{
    ck_assert_int_eq(nightly(NULL, NULL), 0);
    /* The next night's contributions lack the employer_paid column. */
    ts_write_file(inbox, "registration.csv", "uscc,name,status,established_on,region_code\n", (size_t)-1);
    ts_write_file(inbox, "insured_units.csv", "uscc,unit_name,insured_on,ui_status\n", (size_t)-1);
    ts_write_file(inbox, "contributions.csv", "uscc,period,insured_count,employer_due,employee_due,employee_paid\n",
                  (size_t)-1);
    char *err = NULL;
    ck_assert_int_eq(nightly(NULL, &err), 65);
    ck_assert_msg(strstr(err, "contributions.csv") && strstr(err, "employer_paid"), "message: %s", err);
    free(err);
    ck_assert_int_eq(count_entries(inbox, NULL, 0), 0);
    char last[256] = "";
    ck_assert_int_eq(count_entries(archive, last, sizeof last), 2);
    ck_assert_msg(strstr(last, "-refused") != NULL, "archive %s", last);
    sqlite3 *db = NULL;
    db = ts_open_db(db_path); /* the snapshot attached */
    ck_assert_int_gt(ts_query_int(db, "SELECT count(*) FROM contributions"), 0);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM imports"), 1);
    sqlite3_close(db);
    ck_assert_int_eq(count_entries(outbox, NULL, 0), 1);
}
END_TEST

START_TEST(incomplete_inbox_is_66_and_moves_nothing)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/insured_units.csv", inbox);
    ck_assert_int_eq(remove(path), 0);
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(nightly(&out, &err), 66);
    /* The error once, on standard error; standard output only says the
     * night failed (the journal collects both streams). */
    const char *first = strstr(err, "insured_units.csv");
    ck_assert_ptr_nonnull(first);
    ck_assert_ptr_null(strstr(first + 1, "insured_units.csv"));
    ck_assert_ptr_null(strstr(out, "insured_units.csv"));
    ck_assert_msg(strstr(out, "nightly failed") && strstr(out, "exit 66"), "no failure line:\n%s", out);
    free(out);
    free(err);
    ck_assert_int_eq(count_entries(inbox, NULL, 0), 2);
    ck_assert_int_eq(count_entries(outbox, NULL, 0), 0);
}
END_TEST

START_TEST(config_errors_are_78)
{
    ts_write_file(work, "rebate.ini", "[rebate]\ndatabase = x.db\n", (size_t)-1);
    char *err = NULL;
    ck_assert_int_eq(nightly(NULL, &err), 78);
    ck_assert_ptr_nonnull(strstr(err, "rebate.ini"));
    free(err);
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "nightly", "--config", "/nonexistent/rebate.ini", (char *)NULL), 78);
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "nightly", (char *)NULL), 64);
    ck_assert_int_eq(count_entries(inbox, NULL, 0), 3);
}
END_TEST

START_TEST(year_without_parameters_is_64)
{
    write_config("2019");
    char *err = NULL;
    ck_assert_int_eq(nightly(NULL, &err), 64);
    ck_assert_ptr_nonnull(strstr(err, "2019"));
    free(err);
    ck_assert_int_eq(count_entries(outbox, NULL, 0), 0);
}
END_TEST

static Suite *nightly_suite(void)
{
    Suite *s = suite_create("cli/nightly");
    TCase *tc = tcase_create("nightly");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, night_on_the_sample_imports_archives_and_publishes);
    tcase_add_test(tc, night_without_extracts_still_evaluates_and_pays_nobody_twice);
    tcase_add_test(tc, a_week_of_unchanged_nights_publishes_one_batch);
    tcase_add_test(tc, nights_that_change_nothing_publish_nothing);
    tcase_add_test(tc, second_nightly_exits_75_and_touches_nothing);
    tcase_add_test(tc, refused_extract_is_archived_as_refused_and_keeps_the_snapshot);
    tcase_add_test(tc, incomplete_inbox_is_66_and_moves_nothing);
    tcase_add_test(tc, config_errors_are_78);
    tcase_add_test(tc, year_without_parameters_is_64);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(nightly_suite)
