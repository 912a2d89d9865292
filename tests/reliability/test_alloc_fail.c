/* Allocation failure test (the model is SQLite's malloc fault tests): for
 * every N, the N-th allocation of an import, of a run and of an approval of
 * a small batch fails (rebate's own through rb_malloc and friends, SQLite's
 * through the same seam), and then: no crash, a clean error status (or
 * success, where the failure was absorbed), nothing half-written (the
 * invariants of night.h on the database and the outbox: the previous
 * snapshot whole, no batch folder without its ledger rows, an approval
 * recorded with its bank folder or its staging one), and the same command
 * run again normally succeeds and reaches the ledger of a night never
 * interrupted. Under ASan (scripts/test.sh) a leak on any of these paths
 * fails the runner at exit.
 *
 * In process, through the library's entry points (rb_import_sized, rb_run,
 * rb_batch_approve), on two firms. Every allocation of rebate's own code is
 * failed in turn. SQLite makes about a hundred times as many (parsing the
 * schema at each open, preparing statements): CI fails every
 * SQLITE_STEP-th of them, the same sample on every run (the runner prints
 * the counts); REBATE_ALLOC_SQLITE_STEP=1 tries them all (some minutes),
 * REBATE_ALLOC_STEP=k every k-th of rebate's own, REBATE_ALLOC_FROM=N
 * starts at N, REBATE_ALLOC_VERBOSE=1 names each attempt. The invariants
 * are checked in process (no cp, cmp or sha256sum per attempt). */
#include "night.h"

#include "import/import_internal.h"
#include "rebate/alloc.h"
#include "rebate/bank_answer.h"
#include "rebate/batch.h"
#include "rebate/batch_folder.h"
#include "rebate/db.h"
#include "rebate/import.h"
#include "rebate/life.h"
#include "rebate/uscc.h"

#define AS_OF 20261127
#define BATCH "2022-20261127-001"
#define SQLITE_STEP 37 /* prime: no step lines up with a statement's allocations */

static char root[NIGHT_PATH];      /* the states and the work folder */
static char work[NIGHT_PATH];      /* where each attempt runs; the states were made
                                    * there too (the ledger records the batch's path) */
static char reference[3][NIGHT_PATH]; /* before import, before run, before approval */
static char *reference_ledger;     /* live payments after an undisturbed run */
static char codes[2][RB_USCC_LEN + 1];

static night night_at(const char *dir)
{
    night n;
    memset(&n, 0, sizeof n);
    snprintf(n.work, sizeof n.work, "%s", dir);
    night_path(n.db, dir, "rebate.db");
    night_path(n.inbox, dir, "inbox");
    night_path(n.outbox, dir, "outbox");
    night_path(n.archive, dir, "archive");
    night_path(n.config, dir, "rebate.ini");
    return n;
}

static void shell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void shell(const char *fmt, ...)
{
    char cmd[4 * NIGHT_PATH];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* ---- files, in process (hundreds of attempts: no cp, cmp or sha256sum) */

static void copy_tree(const char *from, const char *to)
{
    struct stat sb;
    ck_assert_int_eq(stat(from, &sb), 0);
    ck_assert_msg(mkdir(to, sb.st_mode & 07777) == 0, "mkdir %s: %s", to, strerror(errno));
    size_t n = 0;
    char **names = night_list(from, &n);
    for (size_t i = 0; i < n; i++) {
        char a[NIGHT_PATH], b[NIGHT_PATH];
        night_path(a, from, names[i]);
        night_path(b, to, names[i]);
        ck_assert_int_eq(lstat(a, &sb), 0);
        if (S_ISDIR(sb.st_mode)) {
            copy_tree(a, b);
        } else {
            size_t len = 0;
            char *data = ts_read_file(a, &len);
            ck_assert_msg(data != NULL, "cannot read %s", a);
            ts_write_file(to, names[i], data, len);
            free(data);
        }
    }
    night_list_free(names, n);
}

static bool same_file(const char *a, const char *b)
{
    size_t la = 0, lb = 0;
    char *da = ts_read_file(a, &la), *db = ts_read_file(b, &lb);
    bool same = da != NULL && db != NULL && la == lb && memcmp(da, db, la) == 0;
    free(da);
    free(db);
    return same;
}

/* True when dir holds SHA256SUMS, `files` files besides it (or any number
 * when files < 0), and each is listed with its digest. */
static bool sums_hold(const char *dir, int files)
{
    char path[NIGHT_PATH];
    night_path(path, dir, "SHA256SUMS");
    char *sums = ts_read_file(path, NULL);
    if (sums == NULL)
        return false;
    bool ok = true;
    int listed = 0;
    for (char *save = NULL, *line = strtok_r(sums, "\n", &save); ok && line; line = strtok_r(NULL, "\n", &save)) {
        char file[NIGHT_PATH], hex[RB_SHA256_HEX];
        rb_error err = {0};
        ok = strlen(line) > 66 && line[64] == ' ' && line[65] == ' ';
        if (ok) {
            night_path(file, dir, line + 66);
            ok = rb_sha256_file(file, hex, &err) == RB_OK && strncmp(hex, line, 64) == 0;
        }
        listed++;
    }
    free(sums);
    size_t n = 0;
    char **names = night_list(dir, &n);
    night_list_free(names, n);
    return ok && (files < 0 || (listed == files && (int)n == files + 1));
}

/* Two firms paid in 2022 (data year 2021): 12 full months each. The second
 * delivery (`account`) changes the second firm's account. */
static void write_extracts(const char *dir, const char *account)
{
    static const char *names[2] = {"鞍山市铁东区晨光商贸有限公司", "鞍山市铁西区红旗五金有限公司"};
    char text[8192];
    int n = snprintf(text, sizeof text, "uscc,name,status,established_on,region_code,industry_code\n");
    for (int i = 0; i < 2; i++)
        n += snprintf(text + n, sizeof text - n, "%s,%s,存续,2015-03-01,210302,F5191\n", codes[i], names[i]);
    ts_write_file(dir, "registration.csv", text, (size_t)-1);
    n = snprintf(text, sizeof text,
                 "uscc,unit_name,insured_on,ui_status,account_name,bank_name,bank_account,bank_code\n");
    n += snprintf(text + n, sizeof text - n,
                  "%s,%s,2015-04-01,正常,%s,中国工商银行鞍山分行,6222020708001234567,102223000011\n", codes[0],
                  names[0], names[0]);
    n += snprintf(text + n, sizeof text - n, "%s,%s,2015-04-01,正常,%s,中国银行鞍山分行,%s,\n", codes[1], names[1],
                  names[1], account);
    ts_write_file(dir, "insured_units.csv", text, (size_t)-1);
    n = snprintf(text, sizeof text, "uscc,period,insured_count,employer_due,employer_paid,employee_due,employee_paid\n");
    for (int i = 0; i < 2; i++)
        for (int p = 1; p <= 12; p++)
            n += snprintf(text + n, sizeof text - n, "%s,%d,5,150.00,150.00,150.00,150.00\n", codes[i], 202100 + p);
    ts_write_file(dir, "contributions.csv", text, (size_t)-1);
}

/* ---- the three commands, as the CLI runs them (open, act, close) */

static rb_status do_import(const char *dir, rb_error *err)
{
    night n = night_at(dir);
    sqlite3 *db = NULL;
    rb_status st = rb_db_open(n.db, RB_DB_CREATE, &db, err);
    /* The import's own entry point with a sort block of 1 MiB instead of
     * 96: the same code, without touching 96 MiB under ASan 600 times. */
    if (st == RB_OK)
        st = rb_import_sized(db, n.inbox, RB_ENCODING_AUTO, (size_t)1 << 20, NULL, err);
    rb_db_close(db);
    return st;
}

static rb_status do_run(const char *dir, rb_error *err)
{
    night n = night_at(dir);
    sqlite3 *db = NULL;
    rb_status st = rb_db_open(n.db, RB_DB_EXISTING, &db, err);
    if (st == RB_OK) {
        rb_run_options opts = {.policy_year = 2022, .as_of = AS_OF, .out_dir = n.outbox, .by = "张三"};
        rb_run_result result;
        st = rb_run(db, &opts, &result, err);
        rb_run_result_free(&result); /* the published batch's folder */
    }
    rb_db_close(db);
    return st;
}

static rb_status do_approve(const char *dir, rb_error *err)
{
    night n = night_at(dir);
    sqlite3 *db = NULL;
    rb_status st = rb_db_open(n.db, RB_DB_EXISTING, &db, err);
    if (st == RB_OK) {
        /* The folder steps as the command line wires them in. */
        const rb_life_steps steps = {
            .verify_folder = rb_batch_folder_verify,
            .write_bank = rb_bank_folder_write,
            .write_void_note = rb_void_note_write,
            .read_answers = rb_bank_answer_read,
        };
        rb_approve_result result;
        memset(&result, 0, sizeof result);
        st = rb_batch_approve(db, &steps, BATCH, "李四", &result, err);
        rb_approve_result_free(&result);
    }
    rb_db_close(db);
    return st;
}

/* ---- what must hold after a failed attempt (settled: after a normal one) */

static void check_import(const char *what, bool settled)
{
    night n = night_at(work);
    night_check(&n, true, false, what, NULL);
    /* The first delivery's snapshot, whole, until the second is in (an
     * attempt that absorbed its failure and the one after make two more). */
    long long imports = night_int(n.db, "SELECT count(*) FROM imports");
    ck_assert_msg(imports >= 1 && imports <= 3, "%s: %lld imports", what, imports);
    sqlite3 *db = ts_open_db(n.db);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM insured_units"), 2);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM contributions"), 24);
    long long changed = ts_query_int(db, "SELECT count(*) FROM insured_units WHERE bank_account = '0401020309000777'");
    sqlite3_close(db);
    ck_assert_msg(changed == (imports >= 2 ? 1 : 0), "%s: import %lld with the snapshot of the other", what, imports);
    ck_assert_msg(!settled || imports >= 2, "%s: the second import is not in", what);
}

/* The invariants of night.h's night_check for the database and the
 * outbox, in process: every batch folder recorded and whole, its payout
 * matching the ledger; staging folders only while unsettled. */
static void check_run(const char *what, bool settled)
{
    night n = night_at(work);
    sqlite3 *db = night_open_db(n.db);
    char *integrity = night_rows(db, "PRAGMA integrity_check", NULL);
    ck_assert_msg(strcmp(integrity, "ok\n") == 0, "%s: integrity_check: %s", what, integrity);
    free(integrity);
    ck_assert_msg(ts_query_int(db, "SELECT count(*) FROM (SELECT 1 FROM payments WHERE state NOT IN"
                                   " ('voided', 'returned') GROUP BY uscc, policy_year HAVING count(*) > 1)") == 0,
                  "%s: a firm with two live payments", what);
    ck_assert_msg(ts_query_int(db, "SELECT count(*) FROM batches b WHERE payments <>"
                                   " (SELECT count(*) FROM payments p WHERE p.batch_id = b.batch_id)"
                                   " OR total_fen <> (SELECT coalesce(sum(amount_fen), 0) FROM payments p"
                                   " WHERE p.batch_id = b.batch_id)") == 0,
                  "%s: a batch whose recorded totals differ from its payments", what);
    size_t count = 0;
    char **names = night_list(n.outbox, &count);
    for (size_t i = 0; i < count; i++) {
        char dir[NIGHT_PATH];
        night_path(dir, n.outbox, names[i]);
        bool staging = strncmp(names[i], ".staging-", 9) == 0;
        const char *batch_id = staging ? names[i] + 9 : names[i];
        ck_assert_msg(names[i][0] != '.' || staging, "%s: unexpected '%s' in the outbox", what, names[i]);
        char *recorded = night_rows(db, "SELECT count(*) FROM batches WHERE batch_id = ?", batch_id);
        bool in_ledger = strcmp(recorded, "1\n") == 0;
        free(recorded);
        if (staging)
            ck_assert_msg(!settled, "%s: '%s' left after a finished run", what, names[i]);
        if (staging && !in_ledger)
            continue; /* an uncommitted run's leftovers: the next run removes them */
        ck_assert_msg(in_ledger, "%s: batch folder '%s' is not in the ledger", what, names[i]);
        ck_assert_msg(sums_hold(dir, 4), "%s: batch folder '%s' is not whole", what, names[i]);
        long long rows = 0, sum = 0;
        night_payout_totals(dir, &rows, &sum);
        char *ledger = night_rows(db, "SELECT count(*) || ' ' || coalesce(sum(amount_fen), 0) FROM payments"
                                      " WHERE batch_id = ?", batch_id);
        char files[64];
        snprintf(files, sizeof files, "%lld %lld\n", rows, sum);
        ck_assert_msg(strcmp(ledger, files) == 0, "%s: batch %s: payout.csv %s, ledger %s", what, batch_id, files,
                      ledger);
        free(ledger);
    }
    night_list_free(names, count);
    sqlite3_close(db);
    if (settled) {
        char *ledger = night_ledger(n.db);
        ck_assert_msg(strcmp(ledger, reference_ledger) == 0, "%s: ledger\n%s\nexpected\n%s", what, ledger,
                      reference_ledger);
        free(ledger);
        /* The batch, whichever attempt published it, holds the bytes of an
         * undisturbed run (summary.txt has the time it was written). */
        static const char *const same[] = {"payout.csv", "exceptions.csv", "decisions.csv"};
        for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
            char a[NIGHT_PATH + 64], b[NIGHT_PATH + 64];
            snprintf(a, sizeof a, "%s/%s/%s", n.outbox, BATCH, same[i]);
            snprintf(b, sizeof b, "%s/outbox/%s/%s", reference[2], BATCH, same[i]);
            ck_assert_msg(same_file(a, b), "%s: %s differs from an undisturbed run's", what, a);
        }
    }
}

static void check_approve(const char *what, bool settled)
{
    night n = night_at(work);
    char folder[NIGHT_PATH], bank[NIGHT_PATH], staging[NIGHT_PATH];
    night_path(folder, n.outbox, BATCH);
    night_path(bank, folder, "bank");
    night_path(staging, folder, ".bank-staging");
    /* The published files are untouched whatever happened. */
    ck_assert_msg(sums_hold(folder, -1), "%s: the batch folder changed", what);
    sqlite3 *db = night_open_db(n.db);
    char *state = night_rows(db, "SELECT state FROM batches WHERE batch_id = ?", BATCH);
    char *payments = night_rows(db, "SELECT DISTINCT state FROM payments WHERE batch_id = ?", BATCH);
    sqlite3_close(db);
    struct stat sb;
    bool has_bank = stat(bank, &sb) == 0, has_staging = stat(staging, &sb) == 0;
    if (strcmp(state, "approved\n") == 0) {
        ck_assert_msg(strcmp(payments, "approved\n") == 0, "%s: approved batch, payments %s", what, payments);
        /* Recorded: the bank folder is in place, or staged for the next
         * approve to put there (never both, never neither). */
        ck_assert_msg(has_bank != has_staging, "%s: approved with bank/ %d and staging %d", what, has_bank,
                      has_staging);
        if (has_bank)
            ck_assert_msg(sums_hold(bank, -1), "%s: bank/ is not whole", what);
    } else {
        ck_assert_msg(strcmp(state, "published\n") == 0, "%s: batch state %s", what, state);
        ck_assert_msg(strcmp(payments, "published\n") == 0, "%s: published batch, payments %s", what, payments);
        ck_assert_msg(!has_bank, "%s: a bank folder without the approval recorded", what);
        ck_assert_msg(!has_staging, "%s: a staging bank folder left behind", what);
    }
    ck_assert_msg(!settled || (has_bank && !has_staging), "%s: the approval did not finish", what);
    free(state);
    free(payments);
}

/* ---- the loop */

typedef rb_status (*command_fn)(const char *dir, rb_error *err);
typedef void (*check_fn)(const char *what, bool settled);

static void restore(const char *state)
{
    ts_rmtree(work);
    copy_tree(state, work);
}

static uint64_t env_step(const char *name, uint64_t fallback)
{
    const char *v = getenv(name);
    return v != NULL && atoi(v) > 0 ? (uint64_t)atoi(v) : fallback;
}

/* Fails the allocations of `sources` one at a time: the 1st, the
 * (1+step)-th ... up to one beyond the count of an undisturbed attempt. */
static void fail_in_turn(const char *name, const char *state, command_fn command, check_fn check, unsigned sources,
                         uint64_t step)
{
    const char *source_name = sources == RB_ALLOC_OURS ? "rebate's" : "SQLite's";
    rb_error err = {0};
    restore(state);
    rb_alloc_fail_at(0, sources, false);
    ck_assert_msg(command(work, &err) == RB_OK, "%s without failures: %s", name, err.message);
    uint64_t total = rb_alloc_count();
    int failed = 0, absorbed = 0, tried = 0;
    /* One beyond the count: threads can make an attempt allocate more. */
    for (uint64_t at = env_step("REBATE_ALLOC_FROM", 1); at <= total + 1; at += step) {
        char what[160];
        snprintf(what, sizeof what, "%s, %s allocation %llu of %llu failing", name, source_name,
                 (unsigned long long)at, (unsigned long long)total);
        if (getenv("REBATE_ALLOC_VERBOSE")) {
            printf("%s\n", what);
            fflush(stdout);
        }
        restore(state);
        rb_error_clear(&err);
        double started = night_now();
        rb_alloc_fail_at(at, sources, false);
        rb_status st = command(work, &err);
        uint64_t failures = rb_alloc_failures();
        rb_alloc_fail_at(0, RB_ALLOC_ANY, false);
        /* Nothing waits on a busy database: a connection left open by a
         * failing path would make the next attempt wait for its lock. */
        ck_assert_msg(night_now() - started < 5, "%s: took %.1f s (status %d: %s)", what, night_now() - started, st,
                      err.message);
        if (st != RB_OK) {
            ck_assert_msg(failures > 0, "%s: status %d with no allocation failed: %s", what, st, err.message);
            ck_assert_msg(st == RB_E_INTERNAL || st == RB_E_CANTWRITE, "%s: status %d: %s", what, st, err.message);
            ck_assert_msg(err.message[0] != '\0', "%s: status %d without a sentence", what, st);
            failed++;
        } else {
            absorbed += failures > 0;
        }
        tried++;
        if (st == RB_OK) {
            /* Absorbed: the command did its whole work regardless. */
            if (getenv("REBATE_ALLOC_VERBOSE"))
                printf("%s: absorbed (%llu failed)\n", what, (unsigned long long)failures);
            check(what, true);
            continue;
        }
        check(what, false);
        rb_error_clear(&err);
        st = command(work, &err);
        ck_assert_msg(st == RB_OK, "%s: the next %s failed: %s", what, name, err.message);
        check(what, true);
    }
    printf("%s: %llu of %s allocations, %d failed in turn (every %llu-th): %d failed cleanly, %d absorbed\n", name,
           (unsigned long long)total, source_name, tried, (unsigned long long)step, failed, absorbed);
    fflush(stdout);
}

static void fail_every_allocation(const char *name, const char *state, command_fn command, check_fn check)
{
    fail_in_turn(name, state, command, check, RB_ALLOC_OURS, env_step("REBATE_ALLOC_STEP", 1));
    fail_in_turn(name, state, command, check, RB_ALLOC_SQLITE, env_step("REBATE_ALLOC_SQLITE_STEP", SQLITE_STEP));
}

/* The states: 0 after a first import with the second delivery waiting in
 * the inbox, 1 after the second import, 2 after the run. */
static void setup(void)
{
    for (int i = 0; i < 2; i++) {
        char first17[18];
        snprintf(first17, sizeof first17, "91210302MA00000%02d", i + 1);
        snprintf(codes[i], sizeof codes[i], "%s%c", first17, rb_uscc_check_char(first17));
    }
    /* On /dev/shm where there is one: this test is about memory, and the
     * fsyncs of hundreds of attempts on a disk would be most of its time. */
    struct stat sb;
    if (stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0)
        setenv("TMPDIR", "/dev/shm", 1);
    snprintf(root, sizeof root, "%s", ts_tmpdir());
    night_path(work, root, "work");
    for (int s = 0; s < 3; s++) {
        char name[16];
        snprintf(name, sizeof name, "state%d", s);
        night_path(reference[s], root, name);
    }
    night n = night_at(work);
    shell("mkdir -p '%s' '%s'", n.inbox, n.outbox);
    write_extracts(n.inbox, "0401020309000123");
    rb_error err = {0};
    ck_assert_msg(do_import(work, &err) == RB_OK, "%s", err.message);
    write_extracts(n.inbox, "0401020309000777");
    shell("cp -a '%s' '%s'", work, reference[0]);
    ck_assert_msg(do_import(work, &err) == RB_OK, "%s", err.message);
    shell("cp -a '%s' '%s'", work, reference[1]);
    ck_assert_msg(do_run(work, &err) == RB_OK, "%s", err.message);
    shell("cp -a '%s' '%s'", work, reference[2]);
    reference_ledger = night_ledger(n.db);
    ck_assert_msg(strchr(reference_ledger, '\n') != strrchr(reference_ledger, '\n'), "two payments expected: %s",
                  reference_ledger);
}

static void teardown(void)
{
    free(reference_ledger);
    reference_ledger = NULL;
    ts_rmtree(root);
}

START_TEST(every_allocation_of_an_import_fails_in_turn)
{
    fail_every_allocation("import", reference[0], do_import, check_import);
}
END_TEST

START_TEST(every_allocation_of_a_run_fails_in_turn)
{
    fail_every_allocation("run", reference[1], do_run, check_run);
}
END_TEST

START_TEST(every_allocation_of_an_approval_fails_in_turn)
{
    fail_every_allocation("approve", reference[2], do_approve, check_approve);
}
END_TEST

static Suite *alloc_fail_suite(void)
{
    /* Before SQLite's first use in this process. */
    if (!rb_alloc_hook_sqlite())
        fprintf(stderr, "cannot route SQLite's allocations through the seam\n");
    Suite *s = suite_create("reliability/alloc_fail");
    /* One case each, so that CK_RUN_CASE=approve runs one alone. */
    const struct {
        const char *name;
        const TTest *test;
    } cases[] = {
        {"import", every_allocation_of_an_import_fails_in_turn},
        {"run", every_allocation_of_a_run_fails_in_turn},
        {"approve", every_allocation_of_an_approval_fails_in_turn},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 600);
        tcase_add_test(tc, cases[i].test);
        suite_add_tcase(s, tc);
    }
    return s;
}

TS_MAIN(alloc_fail_suite)
