/* Kill test of `rebate nightly`: SIGKILL at random instants spread over the
 * import, the archive move, the run and the publication (and at every named
 * crash point), then the invariants of night.h after each kill, and a final
 * clean night that must reach the ledger of a night never interrupted.
 *
 * The size is set by the environment, so that scripts/kill_test.sh runs the
 * long version with the same code: REBATE_KILLS (kills, default 16),
 * REBATE_KILL_FIRMS (firms generated, default 300), REBATE_KILL_SEED (the
 * seed of the random delays: a number replays a run; "random" draws one
 * from the clock for local soak runs; default the fixed FIXED_SEED, so CI
 * draws the same delays every time). The seed is printed before the first
 * kill. */
#include "night.h"

static int env_int(const char *name, int fallback)
{
    const char *v = getenv(name);
    return v != NULL && atoi(v) > 0 ? atoi(v) : fallback;
}

/* The delays' seed CI uses (any number; changing it is a new test). */
#define FIXED_SEED 20261203u

/* REBATE_KILL_SEED: a positive number, "random" (from the clock), or unset
 * (FIXED_SEED). */
static unsigned kill_seed(void)
{
    const char *v = getenv("REBATE_KILL_SEED");
    if (v != NULL && strcmp(v, "random") == 0)
        return (unsigned)(time(NULL) % 1000000) + 1;
    return (unsigned)env_int("REBATE_KILL_SEED", (int)FIXED_SEED);
}

static char data_dir[4096];
/* The ledger of a night never interrupted, and its timings. */
static char *reference;
static double uninterrupted, import, run;

static char *reference_ledger(double *seconds, double *import_seconds, double *run_seconds);

static void make_data(void)
{
    snprintf(data_dir, sizeof data_dir, "%s", ts_tmpdir());
    night_generate(data_dir, env_int("REBATE_KILL_FIRMS", 300), 11);
    reference = reference_ledger(&uninterrupted, &import, &run);
}

static void drop_data(void)
{
    ts_rmtree(data_dir);
    free(reference);
}

/* The seconds a nightly log line reports at its end: "... (S s)". */
static double logged_seconds(const char *log, const char *line_start)
{
    const char *line = log ? strstr(log, line_start) : NULL;
    const char *end = line ? strchr(line, '\n') : NULL;
    const char *open = end ? end : NULL;
    while (open != NULL && open > line && *open != '(')
        open--;
    double seconds = -1;
    ck_assert_msg(open != NULL && open > line && sscanf(open, "(%lf s)", &seconds) == 1,
                  "no line '%s' with a time in:\n%s", line_start, log ? log : "");
    return seconds;
}

/* A night never interrupted: its ledger, how long it took, and how long its
 * import and its run took (from its log); the fastest of two, as the
 * machine may be busy with other work. */
static char *reference_ledger(double *seconds, double *import_seconds, double *run_seconds)
{
    char *ledger = NULL;
    for (int i = 0; i < 2; i++) {
        night n;
        night_make(&n);
        night_fill_inbox(&n, data_dir);
        char log[NIGHT_PATH];
        night_path(log, n.work, "nightly.log");
        double start = night_now();
        ck_assert_int_eq(night_wait(night_spawn(log, NULL, "nightly", "--config", n.config, (char *)NULL)), 0);
        double took = night_now() - start;
        char *text = ts_read_file(log, NULL);
        double import = logged_seconds(text, "nightly import   import "), run = logged_seconds(text, "nightly run ");
        free(text);
        if (i == 0 || took < *seconds) {
            *seconds = took;
            *import_seconds = import;
            *run_seconds = run;
        }
        night_check(&n, true, true, "uninterrupted night", NULL);
        char *this_ledger = night_ledger(n.db);
        ck_assert_msg(strchr(this_ledger, '\n') != NULL, "the reference night paid nobody");
        ck_assert_msg(ledger == NULL || strcmp(ledger, this_ledger) == 0, "two uninterrupted nights differ");
        free(ledger);
        ledger = this_ledger;
        ts_rmtree(n.work);
    }
    return ledger;
}

/* The clean night after the kills: it must finish, leave nothing
 * half-done, and the ledger must be that of the uninterrupted night. */
static void finish_and_compare(const night *n, const char *reference, const char *what)
{
    char err_path[NIGHT_PATH];
    night_path(err_path, n->work, "final.err");
    int rc = night_wait(night_spawn(NULL, err_path, "nightly", "--config", n->config, (char *)NULL));
    char *err = ts_read_file(err_path, NULL);
    ck_assert_msg(rc == 0, "%s: the clean night after it exited %d: %s", what, rc, err ? err : "");
    free(err);
    night_state s;
    night_check(n, true, true, what, &s);
    ck_assert_msg(s.extracts_archived == 3 && s.extracts_in_inbox == 0, "%s: the extracts are not all archived", what);
    char *ledger = night_ledger(n->db);
    ck_assert_msg(strcmp(ledger, reference) == 0, "%s: the ledger differs from the uninterrupted night's", what);
    free(ledger);
}

enum phase { PH_IMPORT, PH_ARCHIVE, PH_RUN, PH_PUBLISH, PH_AFTER, PH_COUNT };
static const char *const phase_names[PH_COUNT] = {
    "import (before its commit)", "between the import's commit and the end of the archive move",
    "run (before the ledger's commit)", "between the commit and the rename into place", "after publishing"};

/* Where a kill landed, from what it left compared with the state before. */
static enum phase classify(const night_state *before, const night_state *after)
{
    if (before->extracts_in_inbox > 0 && after->imports == before->imports)
        return PH_IMPORT;
    if (after->imports > before->imports && after->extracts_archived < 3)
        return PH_ARCHIVE;
    if (after->staging_committed > before->staging_committed)
        return PH_PUBLISH;
    if (after->visible > before->visible)
        return PH_AFTER;
    return PH_RUN;
}

START_TEST(random_kills_keep_every_invariant)
{
    int target = env_int("REBATE_KILLS", 16);
    unsigned seed = kill_seed();
    printf("kill test: seed %u (REBATE_KILL_SEED=%u replays these delays)\n", seed, seed);
    fflush(stdout);
    srand(seed);
    double wall = night_now();
    int kills = 0, finished = 0, rounds = 0, by_phase[PH_COUNT] = {0};
    while (kills < target) {
        night n;
        night_make(&n);
        night_fill_inbox(&n, data_dir);
        rounds++;
        /* Up to four kills in a row on the same spool, as nights would
         * follow each other: each restart repairs what the last one left. */
        int in_round = 1 + rand() % 4;
        for (int k = 0; k < in_round && kills < target; k++) {
            night_state before, after;
            night_check(&n, false, true, "before a kill", &before);
            /* Two in three kills of a night with extracts aim at the import
             * (a delay drawn over the time before the run), the others at the run
             * (drawn over the run's length, counted from the log line that
             * ends the import and the archive move: the machine's speed
             * varies, so that instant is read, not guessed). */
            double u = rand() / ((double)RAND_MAX + 1);
            bool aim_at_run = before.extracts_in_inbox == 0 || rand() % 3 == 0;
            double delay = aim_at_run ? run * 1.1 * u : (uninterrupted - run) * 1.1 * u;
            char log[NIGHT_PATH];
            night_path(log, n.work, "night.log");
            pid_t pid = night_spawn(log, NULL, "nightly", "--config", n.config, (char *)NULL);
            bool exited = false;
            int status = 0;
            while (aim_at_run && !exited) {
                char *text = ts_read_file(log, NULL);
                bool imported = text && (strstr(text, "extracts moved to") || strstr(text, "no new extracts"));
                free(text);
                if (imported)
                    break;
                exited = waitpid(pid, &status, WNOHANG) == pid;
                if (!exited)
                    usleep(500);
            }
            double deadline = night_now() + delay;
            while (!exited && night_now() < deadline) {
                exited = waitpid(pid, &status, WNOHANG) == pid;
                if (!exited)
                    usleep(500);
            }
            char what[256];
            if (exited) {
                ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                              "round %d: a night that was not killed failed (status %d)", rounds, status);
                finished++;
                night_check(&n, true, true, "a night that finished before its kill", NULL);
                break;
            }
            kill(pid, SIGKILL);
            int rc = night_wait(pid);
            if (rc == 0) {
                /* It finished between the last look and the signal. */
                finished++;
                break;
            }
            ck_assert_int_eq(rc, -SIGKILL);
            kills++;
            snprintf(what, sizeof what, "kill %d (round %d, %.3f s in, seed %u)", kills, rounds, delay, seed);
            night_check(&n, false, true, what, &after);
            by_phase[classify(&before, &after)]++;
        }
        char what[128];
        snprintf(what, sizeof what, "round %d (seed %u)", rounds, seed);
        finish_and_compare(&n, reference, what);
        ts_rmtree(n.work);
    }
    printf("kill test: %d kills survived in %d rounds (%d nights finished before their kill), %d firms, "
           "uninterrupted night %.2f s (import %.2f s, run %.2f s), wall time %.1f s, seed %u\n",
           kills, rounds, finished, env_int("REBATE_KILL_FIRMS", 300), uninterrupted, import, run, night_now() - wall, seed);
    for (int p = 0; p < PH_COUNT; p++)
        printf("  killed %-62s %d\n", phase_names[p], by_phase[p]);
    fflush(stdout);
    /* The draw covers the phases: a kill before the import's commit and
     * one in the run or publication at least. */
    ck_assert_int_gt(by_phase[PH_IMPORT], 0);
    ck_assert_int_gt(by_phase[PH_RUN] + by_phase[PH_PUBLISH] + by_phase[PH_AFTER], 0);
}
END_TEST

/* Every named crash point of the nightly path, one clean round each. */
START_TEST(kill_at_every_named_point)
{
    /* The points of `run` are each tested in tests/output/test_batch.c;
     * here those of the night's own windows and one inside the run. */
    static const char *const points[] = {"extracts-moving", "files-written", "after-commit", "published"};
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
        night n;
        night_make(&n);
        night_fill_inbox(&n, data_dir);
        setenv("REBATE_CRASH_AT", points[i], 1);
        int rc = night_wait(night_spawn(NULL, NULL, "nightly", "--config", n.config, (char *)NULL));
        unsetenv("REBATE_CRASH_AT");
        ck_assert_msg(rc == -SIGKILL, "%s: exit %d, not killed", points[i], rc);
        night_state s;
        night_check(&n, false, true, points[i], &s);
        if (strcmp(points[i], "extracts-moving") == 0)
            /* One extract moved, two still in the inbox. */
            ck_assert(s.extracts_moving == 1 && s.extracts_in_inbox == 2 && s.batches == 0);
        else if (strcmp(points[i], "after-commit") == 0)
            ck_assert(s.staging_committed == 1 && s.visible == 0);
        else if (strcmp(points[i], "published") == 0)
            ck_assert(s.visible == 1);
        else
            ck_assert(s.batches == 0 && s.visible == 0 && s.extracts_archived == 3);
        finish_and_compare(&n, reference, points[i]);
        ts_rmtree(n.work);
    }
}
END_TEST

/* The import committed but the night died before the archive move: the
 * extracts are still in the inbox, and the next night finds them the bytes
 * of the last import: it keeps the snapshot, archives them and runs.
 * Nobody is paid twice. */
START_TEST(extracts_left_in_the_inbox_after_the_import_are_not_imported_again)
{
    night n;
    night_make(&n);
    night_fill_inbox(&n, data_dir);
    ck_assert_int_eq(night_wait(night_spawn(NULL, NULL, "import", "--db", n.db, n.inbox, (char *)NULL)), 0);
    night_state s;
    night_check(&n, false, true, "import committed, extracts in the inbox", &s);
    ck_assert(s.imports == 1 && s.extracts_in_inbox == 3);
    finish_and_compare(&n, reference, "the night after");
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM imports"), 1);
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM import_files"), 3);
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM batches"), 1);
    ts_rmtree(n.work);
}
END_TEST

static Suite *kill_suite(void)
{
    Suite *s = suite_create("reliability/kill");
    TCase *tc = tcase_create("kill");
    tcase_add_unchecked_fixture(tc, make_data, drop_data);
    /* Generous: the long version sets REBATE_KILLS to hundreds. */
    tcase_set_timeout(tc, 120 + 10 * env_int("REBATE_KILLS", 16));
    tcase_add_test(tc, random_kills_keep_every_invariant);
    if (getenv("REBATE_KILLS") == NULL) {
        tcase_add_test(tc, kill_at_every_named_point);
        tcase_add_test(tc, extracts_left_in_the_inbox_after_the_import_are_not_imported_again);
    }
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(kill_suite)
