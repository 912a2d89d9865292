/* Concurrency: two nightly jobs at once, run and import against each other,
 * a writer that does not take the run lock, a reader holding a read
 * transaction during a run (WAL), and a lock left by a killed job. The
 * processes really overlap: the test waits until one holds the lock (or is
 * held up on the database) before it starts the other. */
#include "night.h"

#include "rebate/db.h"

static char data_dir[4096];
static night n;

static void make_data(void)
{
    snprintf(data_dir, sizeof data_dir, "%s", ts_tmpdir());
    night_generate(data_dir, 400, 23);
}

static void drop_data(void)
{
    ts_rmtree(data_dir);
}

static void setup(void)
{
    night_make(&n);
    night_fill_inbox(&n, data_dir);
}

static void teardown(void)
{
    ts_rmtree(n.work);
}

/* Runs rebate to the end with stderr captured; returns the exit status. */
static int run_capturing(char **err, const char *arg, ...)
{
    const char *argv[16];
    int argc = 0;
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a != NULL && argc < 15; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    while (argc < 15)
        argv[argc++] = NULL;
    return ts_run_rebate(NULL, err, argv[0], argv[1], argv[2], argv[3], argv[4], argv[5], argv[6], argv[7],
                         argv[8], argv[9], argv[10], argv[11], argv[12], argv[13], argv[14], (char *)NULL);
}

static int run_year(char **err)
{
    return run_capturing(err, "run", "--db", n.db, "--year", "2022", "--out", n.outbox, (char *)NULL);
}

/* One plain sentence on one line, naming the lock (docs/formats.md). */
static void assert_lock_sentence(const char *err)
{
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, "lock") != NULL && strstr(err, "try later") != NULL, "message: %s", err);
    ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "more than one line: %s", err);
}

START_TEST(second_nightly_while_one_runs_exits_75_at_once_and_touches_nothing)
{
    pid_t first = night_spawn(NULL, NULL, "nightly", "--config", n.config, (char *)NULL);
    ck_assert_msg(night_wait_for_lock(first, n.db, 60), "the first nightly never held the lock");
    char *err = NULL;
    double start = night_now();
    ck_assert_int_eq(run_capturing(&err, "nightly", "--config", n.config, (char *)NULL), 75);
    double took = night_now() - start;
    /* It really overlapped: the first one is still at work. */
    ck_assert_int_eq(waitpid(first, NULL, WNOHANG), 0);
    assert_lock_sentence(err);
    free(err);
    ck_assert_int_eq(night_wait(first), 0);
    ck_assert_msg(took < 5, "the second nightly waited %.1f s instead of leaving at once", took);
    /* Only the first night left a trace: one run logged, one batch, the
     * extracts archived once. */
    night_check(&n, true, true, "after two nightly jobs", NULL);
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM runs"), 1);
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM batches"), 1);
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM imports"), 1);
}
END_TEST

START_TEST(run_during_an_import_exits_75_at_once)
{
    /* A first import, so that the run has a database to open. */
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", n.db, n.inbox, (char *)NULL), 0);
    /* One more (blank) line: the second import reads every line again, not
     * only the changed ones, so that it is still at work when the run comes. */
    char path[NIGHT_PATH + 32];
    snprintf(path, sizeof path, "%s/contributions.csv", n.inbox);
    FILE *f = fopen(path, "a");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs("\n", f) >= 0 && fclose(f) == 0, 1);
    pid_t import = night_spawn(NULL, NULL, "import", "--db", n.db, n.inbox, (char *)NULL);
    ck_assert_msg(night_wait_for_lock(import, n.db, 60), "the import never held the lock");
    char *err = NULL;
    ck_assert_int_eq(run_year(&err), 75);
    ck_assert_int_eq(waitpid(import, NULL, WNOHANG), 0);
    assert_lock_sentence(err);
    free(err);
    ck_assert_int_eq(night_wait(import), 0);
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM batches"), 0);
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM runs"), 0);
    /* Once the import is done, the run goes through. */
    ck_assert_int_eq(run_year(NULL), 0);
    ck_assert_int_gt(night_int(n.db, "SELECT count(*) FROM payments"), 0);
}
END_TEST

START_TEST(import_and_nightly_during_a_run_exit_75_and_keep_the_snapshot)
{
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", n.db, n.inbox, (char *)NULL), 0);
    /* Hold the run up inside: a writer outside the lock keeps the database,
     * so the run holds the lock while it waits for its transaction. */
    sqlite3 *writer = night_open_db(n.db);
    char *msg = NULL;
    ck_assert_int_eq(sqlite3_exec(writer, "BEGIN IMMEDIATE", NULL, NULL, &msg), SQLITE_OK);
    pid_t run = night_spawn(NULL, NULL, "run", "--db", n.db, "--year", "2022", "--out", n.outbox, (char *)NULL);
    ck_assert_msg(night_wait_for_lock(run, n.db, 60), "the run never held the lock");
    char *err = NULL;
    ck_assert_int_eq(run_capturing(&err, "import", "--db", n.db, n.inbox, (char *)NULL), 75);
    assert_lock_sentence(err);
    free(err);
    ck_assert_int_eq(run_capturing(&err, "nightly", "--config", n.config, (char *)NULL), 75);
    assert_lock_sentence(err);
    free(err);
    ck_assert_int_eq(waitpid(run, NULL, WNOHANG), 0);
    ck_assert_int_eq(sqlite3_exec(writer, "COMMIT", NULL, NULL, &msg), SQLITE_OK);
    sqlite3_close(writer);
    ck_assert_int_eq(night_wait(run), 0);
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM imports"), 1);
    night_check(&n, true, false, "after the run", NULL);
    /* The refused nightly moved nothing. */
    size_t count = 0;
    char **names = night_list(n.inbox, &count);
    night_list_free(names, count);
    ck_assert_int_eq(count, 3);
}
END_TEST

START_TEST(run_waits_for_a_writer_outside_the_lock_and_succeeds)
{
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", n.db, n.inbox, (char *)NULL), 0);
    sqlite3 *writer = night_open_db(n.db);
    ck_assert_int_eq(sqlite3_exec(writer, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    pid_t run = night_spawn(NULL, NULL, "run", "--db", n.db, "--year", "2022", "--out", n.outbox, (char *)NULL);
    ck_assert(night_wait_for_lock(run, n.db, 60));
    usleep(1000 * 1000);
    ck_assert_int_eq(waitpid(run, NULL, WNOHANG), 0);
    ck_assert_int_eq(sqlite3_exec(writer, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(writer);
    ck_assert_int_eq(night_wait(run), 0);
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM batches"), 1);
}
END_TEST

START_TEST(run_gives_up_with_75_when_a_writer_outside_the_lock_holds_on)
{
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", n.db, n.inbox, (char *)NULL), 0);
    sqlite3 *writer = night_open_db(n.db);
    ck_assert_int_eq(sqlite3_exec(writer, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    char *err = NULL;
    double start = night_now();
    ck_assert_int_eq(run_year(&err), 75);
    double waited = night_now() - start;
    ck_assert_msg(strstr(err, "busy") != NULL && strstr(err, "try later") != NULL, "message: %s", err);
    ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "more than one line: %s", err);
    free(err);
    /* docs/batch.md: it waits up to 10 s for the database. */
    ck_assert_msg(waited > 9, "gave up after %.1f s", waited);
    ck_assert_int_eq(sqlite3_exec(writer, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(writer);
    night_check(&n, true, false, "after the refused run", NULL);
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM batches"), 0);
    size_t count = 0;
    char **names = night_list(n.outbox, &count);
    night_list_free(names, count);
    ck_assert_int_eq(count, 0);
}
END_TEST

/* Reads, in one read transaction, whether every batch visible to the
 * reader is whole: its decisions, payments and recorded totals agree. */
static long long consistent_batches(sqlite3 *db)
{
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM batches b WHERE"
                                      " decisions_recorded <> (SELECT count(*) FROM decisions d WHERE d.batch_id = b.batch_id)"
                                      " OR payments <> (SELECT count(*) FROM payments p WHERE p.batch_id = b.batch_id)"
                                      " OR total_fen <> (SELECT coalesce(sum(amount_fen), 0) FROM payments p"
                                      " WHERE p.batch_id = b.batch_id) OR firms = 0"),
                     0);
    return ts_query_int(db, "SELECT count(*) FROM batches");
}

START_TEST(reader_holding_a_transaction_does_not_block_a_run_and_sees_a_consistent_state)
{
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", n.db, n.inbox, (char *)NULL), 0);
    /* As `sqlite3 DB` would: a read transaction opened before the run. */
    sqlite3 *reader = night_open_db(n.db);
    ck_assert_int_eq(sqlite3_exec(reader, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(ts_query_int(reader, "SELECT count(*) FROM payments"), 0);
    /* A second reader polls while the run works. */
    sqlite3 *poller = night_open_db(n.db);
    pid_t run = night_spawn(NULL, NULL, "run", "--db", n.db, "--year", "2022", "--out", n.outbox, (char *)NULL);
    int polls = 0, status = 0;
    long long seen = 0;
    while (waitpid(run, &status, WNOHANG) == 0) {
        ck_assert_int_eq(sqlite3_exec(poller, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
        seen = consistent_batches(poller);
        ck_assert_int_eq(sqlite3_exec(poller, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
        polls++;
    }
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the run failed beside the readers (status %d)",
                  status);
    ck_assert_int_gt(polls, 0);
    /* The old transaction still sees the state before the run, whole. */
    ck_assert_int_eq(ts_query_int(reader, "SELECT count(*) FROM payments"), 0);
    ck_assert_int_eq(consistent_batches(reader), 0);
    ck_assert_int_eq(sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    /* A new one sees the batch, whole. */
    ck_assert_int_eq(consistent_batches(reader), 1);
    ck_assert_int_gt(ts_query_int(reader, "SELECT count(*) FROM payments"), 0);
    ck_assert_int_le(seen, 1);
    sqlite3_close(poller);
    sqlite3_close(reader);
    night_check(&n, true, false, "after the run beside readers", NULL);
}
END_TEST

START_TEST(lock_left_by_a_killed_night_does_not_block_the_next)
{
    /* Killed in the middle of its run, with the lock, the -wal and the -shm
     * files left behind. */
    setenv("REBATE_CRASH_AT", "files-written", 1);
    ck_assert_int_eq(night_wait(night_spawn(NULL, NULL, "nightly", "--config", n.config, (char *)NULL)), -SIGKILL);
    unsetenv("REBATE_CRASH_AT");
    char lock[NIGHT_PATH + 8];
    snprintf(lock, sizeof lock, "%s.lock", n.db);
    struct stat sb;
    ck_assert_int_eq(stat(lock, &sb), 0);
    ck_assert(!night_lock_held(n.db));
    ck_assert_int_eq(night_wait(night_spawn(NULL, NULL, "nightly", "--config", n.config, (char *)NULL)), 0);
    /* A lock file naming a process that is long gone, or holding rubbish. */
    ts_write_file(n.work, "rebate.db.lock", "999999\n", (size_t)-1);
    ck_assert_int_eq(night_wait(night_spawn(NULL, NULL, "nightly", "--config", n.config, (char *)NULL)), 0);
    ts_write_file(n.work, "rebate.db.lock", "\x01not a pid", (size_t)-1);
    ck_assert_int_eq(night_wait(night_spawn(NULL, NULL, "nightly", "--config", n.config, (char *)NULL)), 0);
    night_check(&n, true, true, "after the stale locks", NULL);
    /* Each night ran; the two after the first changed nothing, so they
     * published no batch (a quiet night, docs/operations.md). */
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM batches"), 1);
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM runs WHERE command = 'nightly' AND exit_status = 0"), 3);
}
END_TEST

static Suite *concurrency_suite(void)
{
    Suite *s = suite_create("reliability/concurrency");
    TCase *tc = tcase_create("concurrency");
    tcase_add_unchecked_fixture(tc, make_data, drop_data);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, second_nightly_while_one_runs_exits_75_at_once_and_touches_nothing);
    tcase_add_test(tc, run_during_an_import_exits_75_at_once);
    tcase_add_test(tc, import_and_nightly_during_a_run_exit_75_and_keep_the_snapshot);
    tcase_add_test(tc, run_waits_for_a_writer_outside_the_lock_and_succeeds);
    tcase_add_test(tc, run_gives_up_with_75_when_a_writer_outside_the_lock_holds_on);
    tcase_add_test(tc, reader_holding_a_transaction_does_not_block_a_run_and_sees_a_consistent_state);
    tcase_add_test(tc, lock_left_by_a_killed_night_does_not_block_the_next);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(concurrency_suite)
