/* Tests of the inputs' digest of src/store/decision_log.c: it is the
 * SHA-256 of exactly the bytes the first version hashed one value at a time
 * ("import=<id>\n", the parameter text and its NUL, then per query its name
 * and NUL and "<type>:<length>:<bytes>" per value), so a digest an older
 * version recorded with a batch still compares equal; and a change of any
 * value changes it. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebate/decision_log.h"
#include "rebate/sha256.h"
#include "test_support.h"

/* The payment and verdict columns the digest reads, without the ledger's
 * constraints: values of every type, long ones included. */
static sqlite3 *open_inputs(void)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "CREATE TABLE payments (uscc, attempt, state, reference, bank_account,"
                                  " account_name, policy_year);"
                                  "CREATE TABLE review_verdicts (verdict_id, policy_year);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO payments VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL),
                     SQLITE_OK);
    static char long_account[100000];
    memset(long_account, '7', sizeof long_account - 1);
    for (int i = 0; i < 6000; i++) {
        char uscc[32], reference[64];
        snprintf(uscc, sizeof uscc, "91210302MA%08dX", i);
        snprintf(reference, sizeof reference, "2024-%s-%d", uscc, 1 + i % 3);
        sqlite3_bind_text(st, 1, uscc, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 2, 1 + i % 3);
        sqlite3_bind_text(st, 3, i % 5 == 0 ? "returned" : "published", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, reference, -1, SQLITE_TRANSIENT);
        if (i == 4321)
            sqlite3_bind_text(st, 5, long_account, -1, SQLITE_STATIC); /* longer than a block */
        else
            sqlite3_bind_text(st, 5, "6222 0202 0011 2233 445", -1, SQLITE_STATIC);
        if (i % 7 == 0)
            sqlite3_bind_null(st, 6);
        else if (i % 11 == 0)
            sqlite3_bind_text(st, 6, "", -1, SQLITE_STATIC);
        else
            sqlite3_bind_text(st, 6, "鞍山市恒通商贸有限公司", -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 7, i % 13 == 0 ? 2023 : 2024);
        ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "INSERT INTO review_verdicts VALUES (3, 2024), (1, 2024), (2, 2023), (12, 2024)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    return db;
}

/* The first version's digest, one update per piece. */
static void reference_digest(sqlite3 *db, int32_t year, int64_t import_id, const char *params, char hex[65])
{
    rb_sha256 *h = rb_sha256_new();
    ck_assert_ptr_nonnull(h);
    char head[64];
    int n = snprintf(head, sizeof head, "import=%lld\n", (long long)import_id);
    ck_assert(rb_sha256_update(h, head, (size_t)n));
    ck_assert(rb_sha256_update(h, params, strlen(params) + 1));
    static const char *const queries[][2] = {
        {"SELECT uscc, attempt, state, reference, bank_account, account_name FROM main.payments"
         " WHERE policy_year = ? ORDER BY rowid",
         "digesting the payments"},
        {"SELECT verdict_id FROM main.review_verdicts WHERE policy_year = ? ORDER BY verdict_id",
         "digesting the review verdicts"},
    };
    for (int q = 0; q < 2; q++) {
        sqlite3_stmt *st = NULL;
        ck_assert_int_eq(sqlite3_prepare_v2(db, queries[q][0], -1, &st, NULL), SQLITE_OK);
        sqlite3_bind_int(st, 1, year);
        ck_assert(rb_sha256_update(h, queries[q][1], strlen(queries[q][1]) + 1));
        while (sqlite3_step(st) == SQLITE_ROW)
            for (int c = 0; c < sqlite3_column_count(st); c++) {
                char tag[32];
                int type = sqlite3_column_type(st, c);
                const unsigned char *v = sqlite3_column_text(st, c);
                int len = sqlite3_column_bytes(st, c);
                int m = snprintf(tag, sizeof tag, "%d:%d:", type, len);
                ck_assert(rb_sha256_update(h, tag, (size_t)m));
                if (len > 0)
                    ck_assert(rb_sha256_update(h, v, (size_t)len));
            }
        sqlite3_finalize(st);
    }
    ck_assert(rb_sha256_finish(h, hex));
}

START_TEST(inputs_digest_is_the_first_versions)
{
    sqlite3 *db = open_inputs();
    const char *params = "policy_year=2024 rate=0.6";
    char want[65], got[65];
    rb_error err = {0};
    reference_digest(db, 2024, 42, params, want);
    ck_assert_int_eq(rb_decision_log_inputs_sha256(db, 2024, 42, params, got, &err), RB_OK);
    ck_assert_str_eq(got, want);
    /* Another year reads other rows; one value changed changes it. */
    reference_digest(db, 2023, 42, params, want);
    ck_assert_int_eq(rb_decision_log_inputs_sha256(db, 2023, 42, params, got, &err), RB_OK);
    ck_assert_str_eq(got, want);
    char before[65];
    ck_assert_int_eq(rb_decision_log_inputs_sha256(db, 2024, 42, params, before, &err), RB_OK);
    ck_assert_int_eq(sqlite3_exec(db, "UPDATE payments SET state = 'paid' WHERE rowid = 5000", NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(rb_decision_log_inputs_sha256(db, 2024, 42, params, got, &err), RB_OK);
    ck_assert_str_ne(got, before);
    reference_digest(db, 2024, 42, params, want);
    ck_assert_str_eq(got, want);
    sqlite3_close(db);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("decision_log");
    TCase *tc = tcase_create("inputs");
    tcase_add_test(tc, inputs_digest_is_the_first_versions);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(make_suite)
