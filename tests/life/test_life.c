/* Unit tests of the batch's life (src/life/life.c) without the command line
 * and without the other stages: a batch and its payments are put in the
 * ledger through store/, and the folder steps and the answer's reader are
 * stand-ins that record what they were asked to do. What the steps write
 * is tested with them (tests/cli/test_batch_life.c runs the whole chain). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rebate/batches.h"
#include "rebate/db.h"
#include "rebate/ledger.h"
#include "rebate/life.h"
#include "rebate/strbuf.h"
#include "test_support.h"

#define BATCH "2022-20261127-001"

static char *base, *folder;
static sqlite3 *db;
static int verified, banks_written, notes_written;
static rb_status bank_result;

static rb_status fake_verify(const rb_batch_record *b, rb_error *err)
{
    (void)err;
    ck_assert_str_eq(b->batch_id, BATCH);
    verified++;
    return RB_OK;
}

static rb_status fake_write_bank(sqlite3 *conn, const rb_batch_record *b, const char *by, const char *at,
                                 const char *staging, rb_error *err)
{
    (void)conn;
    (void)at;
    ck_assert_str_eq(b->folder, folder);
    ck_assert_str_eq(by, "finance");
    banks_written++;
    ck_assert_int_eq(mkdir(staging, 0755), 0);
    if (bank_result != RB_OK)
        return rb_fail(err, bank_result, "the bank folder could not be written");
    return RB_OK;
}

static rb_status fake_write_note(const rb_batch_record *b, const char *by, const char *at, const char *reason,
                                 const char *staging_name, rb_error *err)
{
    (void)at;
    (void)err;
    ck_assert_str_eq(by, "boss");
    ck_assert_str_eq(reason, "wrong year");
    ts_write_file(b->folder, staging_name, "void\n", 5);
    notes_written++;
    return RB_OK;
}

/* The answer of the test: one line per reference in the "file" path names,
 * separated by ';', each reference:status. */
static rb_status fake_read_answers(FILE *f, const char *path, rb_answer_fn fn, void *ctx, rb_error *err)
{
    (void)f;
    char *copy = strdup(path + strlen(path) - strlen(strrchr(path, '/')) + 1);
    long line = 1;
    rb_status st = RB_OK;
    for (char *save = NULL, *item = strtok_r(copy, ";", &save); item != NULL && st == RB_OK;
         item = strtok_r(NULL, ";", &save)) {
        char *colon = strchr(item, ':');
        *colon = '\0';
        st = fn(ctx, ++line, item, colon + 1, "", err);
    }
    free(copy);
    return st;
}

static const rb_life_steps steps = {fake_verify, fake_write_bank, fake_write_note, fake_read_answers};

static void add_payment(rb_ledger *ledger, const char *uscc, rb_fen amount)
{
    char reference[64];
    rb_error err = {0};
    rb_payment_row p = {.uscc = uscc, .attempt = 1, .amount = amount, .account_name = "甲", .bank_account = "6222"};
    ck_assert_int_eq(rb_ledger_add_payment(ledger, BATCH, 2022, &p, reference, &err), RB_OK);
}

static void setup(void)
{
    base = strdup(ts_tmpdir());
    folder = rb_path_joined(base, BATCH);
    ck_assert_int_eq(mkdir(folder, 0755), 0);
    char *db_path = rb_path_joined(base, "rebate.db");
    rb_error err = {0};
    ck_assert_int_eq(rb_db_open(db_path, RB_DB_CREATE, &db, &err), RB_OK);
    free(db_path);
    rb_ledger ledger;
    ck_assert_int_eq(rb_db_begin(db, &err), RB_OK);
    ck_assert_int_eq(rb_ledger_insert_batch(db, BATCH, 2022, "policy_year=2022", 20261127, 1, "all", 0, 0, "clerk",
                                            folder, &err),
                     RB_OK);
    ck_assert_int_eq(rb_ledger_open(db, &ledger, &err), RB_OK);
    add_payment(&ledger, "91110000600037341N", 100000);
    add_payment(&ledger, "91110108MA01QWERT5", 50000);
    rb_ledger_close(&ledger);
    ck_assert_int_eq(rb_ledger_finish_batch(db, BATCH, 2, 2, 150000, "00", &err), RB_OK);
    ck_assert_int_eq(rb_db_commit(db, &err), RB_OK);
    verified = banks_written = notes_written = 0;
    bank_result = RB_OK;
}

static void teardown(void)
{
    rb_db_close(db);
    ts_rmtree(base);
    free(base);
    free(folder);
}

static bool exists_in_folder(const char *name)
{
    char *path = rb_path_joined(folder, name);
    struct stat sb;
    bool found = lstat(path, &sb) == 0;
    free(path);
    return found;
}

START_TEST(approve_runs_the_steps_in_order_and_records)
{
    rb_approve_result r;
    rb_error err = {0};
    ck_assert_int_eq(rb_batch_approve(db, &steps, BATCH, " finance ", &r, &err), RB_OK);
    ck_assert(!r.finished);
    ck_assert_str_eq(r.approved_by, "finance");
    ck_assert_int_eq(r.payments, 2);
    ck_assert_int_eq(r.total, 150000);
    ck_assert_int_eq(verified, 1);
    ck_assert_int_eq(banks_written, 1);
    ck_assert(exists_in_folder("bank"));
    ck_assert(!exists_in_folder(".bank-staging"));
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM payments WHERE state = 'approved'"), 2);
    rb_approve_result_free(&r);
    /* Twice is refused, without another step. */
    ck_assert_int_eq(rb_batch_approve(db, &steps, BATCH, "finance", &r, &err), RB_E_USAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "already approved"));
    ck_assert_int_eq(banks_written, 1);
    rb_approve_result_free(&r);
}
END_TEST

START_TEST(approve_by_the_clerk_who_ran_it_runs_no_step)
{
    rb_approve_result r;
    rb_error err = {0};
    ck_assert_int_eq(rb_batch_approve(db, &steps, BATCH, "Clerk", &r, &err), RB_E_USAGE);
    ck_assert_int_eq(verified + banks_written, 0);
    rb_approve_result_free(&r);
    rb_error_clear(&err);
    ck_assert_int_eq(rb_batch_approve(db, &steps, BATCH, "  ", &r, &err), RB_E_USAGE);
    ck_assert_str_eq(err.message, "the approver's name is empty");
    rb_approve_result_free(&r);
}
END_TEST

START_TEST(a_failed_bank_step_records_nothing_and_leaves_no_staging)
{
    rb_approve_result r;
    rb_error err = {0};
    bank_result = RB_E_CANTWRITE;
    ck_assert_int_eq(rb_batch_approve(db, &steps, BATCH, "finance", &r, &err), RB_E_CANTWRITE);
    ck_assert(!exists_in_folder(".bank-staging"));
    ck_assert(!exists_in_folder("bank"));
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM batches WHERE state = 'published'"), 1);
    rb_approve_result_free(&r);
}
END_TEST

START_TEST(void_writes_the_note_and_records)
{
    rb_void_result r;
    rb_error err = {0};
    ck_assert_int_eq(rb_batch_void(db, &steps, BATCH, "boss", "wrong year", &r, &err), RB_OK);
    ck_assert_int_eq(notes_written, 1);
    ck_assert(exists_in_folder("VOIDED.txt"));
    ck_assert(!exists_in_folder(".VOIDED.txt.staging"));
    ck_assert_int_eq(r.payments, 2);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM payments WHERE state = 'voided'"), 2);
    rb_void_result_free(&r);
    ck_assert_int_eq(rb_batch_void(db, &steps, BATCH, "boss", "wrong year", &r, &err), RB_E_USAGE);
    rb_void_result_free(&r);
}
END_TEST

START_TEST(reconcile_records_all_lines_or_none)
{
    rb_approve_result a;
    rb_reconcile_result r;
    rb_error err = {0};
    ck_assert_int_eq(rb_batch_approve(db, &steps, BATCH, "finance", &a, &err), RB_OK);
    rb_approve_result_free(&a);
    /* The reader is a stand-in: the file only has to exist; its name holds the lines. */
    char *good = rb_path_joined(base, "2022-91110000600037341N-1:paid");
    ts_write_file(base, "2022-91110000600037341N-1:paid", "", 0);
    char *bad = rb_path_joined(base, "2022-91110108MA01QWERT5-1:returned;nobody:paid");
    ts_write_file(base, "2022-91110108MA01QWERT5-1:returned;nobody:paid", "", 0);
    ck_assert_int_eq(rb_batch_reconcile(db, &steps, BATCH, bad, 0, &r, &err), RB_E_DATA);
    ck_assert_ptr_nonnull(strstr(err.message, "reference 'nobody' is not a payment of batch " BATCH));
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM bank_answers"), 0);
    rb_error_clear(&err);
    ck_assert_int_eq(rb_batch_reconcile(db, &steps, BATCH, good, 0, &r, &err), RB_OK);
    ck_assert_int_eq(r.paid, 1);
    ck_assert_int_eq(r.open, 1);
    ck_assert_int_eq(rb_batch_reconcile(db, &steps, BATCH, good, 0, &r, &err), RB_OK);
    ck_assert_int_eq(r.paid_again, 1);
    free(good);
    free(bad);
}
END_TEST

START_TEST(same_person_folds_case_space_and_width)
{
    ck_assert(rb_same_person("zhang", "Zhang "));
    ck_assert(rb_same_person("ｔｅｓｔｅｒ", "tester"));
    ck_assert(!rb_same_person("zhang", "li"));
}
END_TEST

static Suite *life_suite(void)
{
    Suite *s = suite_create("life");
    TCase *tc = tcase_create("life");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, approve_runs_the_steps_in_order_and_records);
    tcase_add_test(tc, approve_by_the_clerk_who_ran_it_runs_no_step);
    tcase_add_test(tc, a_failed_bank_step_records_nothing_and_leaves_no_staging);
    tcase_add_test(tc, void_writes_the_note_and_records);
    tcase_add_test(tc, reconcile_records_all_lines_or_none);
    tcase_add_test(tc, same_person_folds_case_space_and_width);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(life_suite)
