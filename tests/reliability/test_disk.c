/* Full disk and unwritable outputs, for the nightly job: a database that
 * cannot grow (SQLite's max_page_count, and a real full file system: a
 * small tmpfs), an outbox on a full file system, a read-only outbox and an
 * outbox below a regular file. Each must end with exit 73, nothing recorded
 * as paid, nothing half-done left, the extracts where they belong, and the
 * next night with space must succeed with the ledger of a night that never
 * failed. The tmpfs and read-only cases need root (mount(2) in a mount
 * namespace of the test's own); without it they say so and pass. */
#define _GNU_SOURCE /* unshare, CLONE_NEWNS */
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

#include "night.h"

#include "cli/cli.h"
#include "rebate/db.h"

static char data_dir[4096], reference_dir[4096];
static char *reference; /* the ledger of a night that never failed */
static night n;
static char mounted[4][NIGHT_PATH];
static int n_mounted;

static void make_data(void)
{
    snprintf(data_dir, sizeof data_dir, "%s", ts_tmpdir());
    night_generate(data_dir, 400, 31);
    night r;
    night_make(&r);
    night_fill_inbox(&r, data_dir);
    ck_assert_int_eq(night_wait(night_spawn(NULL, NULL, "nightly", "--config", r.config, (char *)NULL)), 0);
    reference = night_ledger(r.db);
    snprintf(reference_dir, sizeof reference_dir, "%s", r.work);
}

static void drop_data(void)
{
    ts_rmtree(data_dir);
    ts_rmtree(reference_dir);
    free(reference);
}

static void setup(void)
{
    night_make(&n);
    night_fill_inbox(&n, data_dir);
    n_mounted = 0;
}

static void teardown(void)
{
    for (int i = n_mounted - 1; i >= 0; i--)
        umount2(mounted[i], MNT_DETACH);
    ts_rmtree(n.work);
}

/* Mounts are made in a mount namespace of this test process only (Check
 * runs each test in a child of its own), so they vanish with it. */
static bool may_mount(const char *test)
{
    static int allowed = -1;
    if (allowed < 0)
        allowed = unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
    if (!allowed)
        printf("%s: skipped: mounting a tmpfs needs root (%s)\n", test, strerror(errno));
    return allowed;
}

static void mount_tmpfs(const char *dir, const char *options)
{
    mkdir(dir, 0750);
    ck_assert_msg(mount("tmpfs", dir, "tmpfs", 0, options) == 0, "mount tmpfs on %s: %s", dir, strerror(errno));
    ck_assert_int_eq(chmod(dir, 0750), 0);
    snprintf(mounted[n_mounted++], NIGHT_PATH, "%s", dir);
}

/* Fills the file system of dir, then frees `leave` bytes. */
static void fill(const char *dir, long leave)
{
    char path[NIGHT_PATH + 16];
    snprintf(path, sizeof path, "%s/filler", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    static char block[65536];
    off_t size = 0;
    ssize_t got;
    while ((got = write(fd, block, sizeof block)) > 0)
        size += got;
    while ((got = write(fd, block, 512)) > 0)
        size += got;
    ck_assert_int_eq(errno, ENOSPC);
    ck_assert_int_eq(ftruncate(fd, size > leave ? size - leave : 0), 0);
    close(fd);
}

static void unfill(const char *dir)
{
    char path[NIGHT_PATH + 16];
    snprintf(path, sizeof path, "%s/filler", dir);
    ck_assert_int_eq(unlink(path), 0);
}

static int nightly(char **err)
{
    return ts_run_rebate(NULL, err, "nightly", "--config", n.config, (char *)NULL);
}

/* What a failed night must leave: exit 73 said in one sentence, nothing
 * recorded as paid, nothing half-done in the outbox. */
static void assert_failed_cleanly(int rc, char *err, long long payments_before, const char *what)
{
    ck_assert_msg(rc == 73, "%s: exit %d: %s", what, rc, err ? err : "");
    /* The reason is the last line of standard error. */
    const char *last = err ? err + strlen(err) : NULL;
    while (last != NULL && last > err && last[-1] == '\n')
        last--;
    while (last != NULL && last > err && last[-1] != '\n')
        last--;
    ck_assert_msg(last != NULL && strncmp(last, "rebate: ", 8) == 0, "%s: no message: %s", what, err ? err : "");
    free(err);
    struct stat sb;
    if (stat(n.db, &sb) == 0 && night_int(n.db, "SELECT count(*) FROM sqlite_master WHERE name = 'payments'") > 0)
        ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM payments"), payments_before);
    night_check(&n, true, false, what, NULL);
}

/* The night after, with space: it succeeds and pays what a night that never
 * failed paid. */
static void assert_next_night_succeeds(const char *what, bool one_set)
{
    char *err = NULL;
    int rc = nightly(&err);
    ck_assert_msg(rc == 0, "%s: the next night exited %d: %s", what, rc, err ? err : "");
    free(err);
    night_check(&n, true, one_set, what, NULL);
    char *ledger = night_ledger(n.db);
    ck_assert_msg(strcmp(ledger, reference) == 0, "%s: the ledger differs from a night that never failed", what);
    free(ledger);
}

/* ---- SQLite's max_page_count: a database that cannot grow, anywhere */

static int page_limit;

static int limit_pages(sqlite3 *db, const char **message, const struct sqlite3_api_routines *api)
{
    (void)message, (void)api;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %d", page_limit); /* a number of ours, not data */
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int nightly_in_process(void)
{
    char *argv[] = {"nightly", "--config", n.config, NULL};
    return cmd_nightly(3, argv);
}

START_TEST(database_that_cannot_grow_is_73_and_the_next_night_succeeds)
{
    /* The snapshot is in; then every connection is held to the pages the
     * database has now, plus a few: the run's decisions do not fit. */
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", n.db, n.inbox, (char *)NULL), 0);
    for (int i = 0; i < 3; i++) {
        char path[NIGHT_PATH];
        night_path(path, n.inbox, night_extracts[i]);
        ck_assert_int_eq(unlink(path), 0);
    }
    page_limit = (int)night_int(n.db, "PRAGMA page_count") + 2;
    ck_assert_int_eq(sqlite3_auto_extension((void (*)(void))limit_pages), SQLITE_OK);
    int rc = nightly_in_process();
    sqlite3_reset_auto_extension();
    ck_assert_int_eq(rc, 73);
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM payments"), 0);
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM batches"), 0);
    night_check(&n, true, false, "database full", NULL);
    ck_assert_int_eq(nightly_in_process(), 0);
    char *ledger = night_ledger(n.db);
    ck_assert_str_eq(ledger, reference);
    free(ledger);
}
END_TEST

/* ---- a real full file system (tmpfs) */

/* The names in a folder, one string, for before/after comparisons. */
static char *names_in(const char *dir)
{
    size_t count = 0;
    char **names = night_list(dir, &count);
    char *all = calloc(1, 64 * (count + 1));
    ck_assert_ptr_nonnull(all);
    for (size_t i = 0; i < count; i++) {
        /* The database's -wal and -shm come and go with the connections
         * of this test's own checks (docs/operations.md, "Permissions"). */
        size_t len = strlen(names[i]);
        if (len > 4 && (strcmp(names[i] + len - 4, "-wal") == 0 || strcmp(names[i] + len - 4, "-shm") == 0))
            continue;
        strncat(all, names[i], 60);
        strcat(all, " ");
    }
    night_list_free(names, count);
    return all;
}

START_TEST(database_on_a_full_disk_during_the_import_is_73_and_keeps_the_extracts)
{
    if (!may_mount(__func__))
        return;
    char dir[NIGHT_PATH];
    night_path(dir, n.work, "dbdisk");
    mount_tmpfs(dir, "size=32m,mode=0750");
    night_path(n.db, dir, "rebate.db");
    night_write_config(&n, 2022);
    ts_init_db(n.db);
    /* Night one, with room; night two brings the extracts again, with a
     * blank record more (other bytes, so they are imported, not found the
     * bytes of the last import), and the disk has 64 KiB left: the new
     * snapshot does not fit. */
    ck_assert_int_eq(nightly(NULL), 0);
    long long paid = night_int(n.db, "SELECT count(*) FROM payments");
    night_fill_inbox(&n, data_dir);
    char registration[NIGHT_PATH + 32];
    night_path(registration, n.inbox, "registration.csv");
    FILE *f = fopen(registration, "a");
    ck_assert_ptr_nonnull(f);
    fputs(",,,,,,,\n", f);
    ck_assert_int_eq(fclose(f), 0);
    fill(dir, 64 * 1024);
    char *before = names_in(dir);
    char *err = NULL;
    int rc = nightly(&err);
    /* Nothing of the failed import is left taking space. */
    char *after = names_in(dir);
    ck_assert_str_eq(after, before);
    free(before);
    free(after);
    /* (The checks below open the database too: they need a little room.) */
    unfill(dir);
    assert_failed_cleanly(rc, err, paid, "full disk during the import");
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM imports"), 1);
    /* The import did not commit: the extracts wait in the inbox. */
    size_t count = 0;
    char **names = night_list(n.inbox, &count);
    night_list_free(names, count);
    ck_assert_int_eq(count, 3);
    assert_next_night_succeeds("after the full disk during the import", false);
    names = night_list(n.inbox, &count);
    night_list_free(names, count);
    ck_assert_int_eq(count, 0);
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM imports"), 2);
}
END_TEST

START_TEST(database_on_a_full_disk_during_the_run_is_73_and_records_nothing)
{
    if (!may_mount(__func__))
        return;
    char dir[NIGHT_PATH];
    night_path(dir, n.work, "dbdisk");
    mount_tmpfs(dir, "size=32m,mode=0750");
    night_path(n.db, dir, "rebate.db");
    night_write_config(&n, 2022);
    ts_init_db(n.db);
    /* Night one imports (the extracts go to the archive) but cannot record
     * its decisions; at most a little room is left. */
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", n.db, n.inbox, (char *)NULL), 0);
    for (int i = 0; i < 3; i++) {
        char path[NIGHT_PATH];
        night_path(path, n.inbox, night_extracts[i]);
        ck_assert_int_eq(unlink(path), 0);
    }
    long free_space[] = {0, 24 * 1024, 64 * 1024};
    for (size_t i = 0; i < sizeof free_space / sizeof free_space[0]; i++) {
        fill(dir, free_space[i]);
        char *err = NULL;
        char what[64];
        snprintf(what, sizeof what, "full disk during the run, %ld bytes free", free_space[i]);
        int rc = nightly(&err);
        unfill(dir);
        assert_failed_cleanly(rc, err, 0, what);
        ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM batches"), 0);
    }
    char *err = NULL;
    ck_assert_int_eq(nightly(&err), 0);
    free(err);
    char *ledger = night_ledger(n.db);
    ck_assert_str_eq(ledger, reference);
    free(ledger);
}
END_TEST

START_TEST(outbox_on_a_full_disk_is_73_and_the_next_night_publishes)
{
    if (!may_mount(__func__))
        return;
    ck_assert_int_eq(rmdir(n.outbox), 0);
    mount_tmpfs(n.outbox, "size=64k,mode=0750");
    char *err = NULL;
    int rc = nightly(&err);
    assert_failed_cleanly(rc, err, 0, "full outbox");
    /* The import committed, so its extracts were archived: the next night
     * decides on that snapshot. */
    night_state s;
    night_check(&n, true, true, "full outbox", &s);
    ck_assert_int_eq(s.extracts_archived, 3);
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM batches"), 0);
    ck_assert_int_eq(mount(NULL, n.outbox, NULL, MS_REMOUNT, "size=16m"), 0);
    assert_next_night_succeeds("after the full outbox", true);
}
END_TEST

START_TEST(read_only_outbox_is_73_and_the_next_night_publishes)
{
    if (!may_mount(__func__))
        return;
    ck_assert_int_eq(mount(n.outbox, n.outbox, NULL, MS_BIND, NULL), 0);
    snprintf(mounted[n_mounted++], NIGHT_PATH, "%s", n.outbox);
    ck_assert_int_eq(mount(NULL, n.outbox, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL), 0);
    char *err = NULL;
    int rc = nightly(&err);
    ck_assert_msg(err && strstr(err, "Read-only file system"), "message: %s", err ? err : "");
    assert_failed_cleanly(rc, err, 0, "read-only outbox");
    ck_assert_int_eq(mount(NULL, n.outbox, NULL, MS_REMOUNT | MS_BIND, NULL), 0);
    assert_next_night_succeeds("after the read-only outbox", true);
}
END_TEST

/* ---- anywhere, root or not */

START_TEST(outbox_below_a_regular_file_is_73_and_the_next_night_publishes)
{
    char blocker[NIGHT_PATH], saved[NIGHT_PATH];
    night_path(blocker, n.work, "blocker");
    ts_write_file(n.work, "blocker", "x", 1);
    snprintf(saved, sizeof saved, "%s", n.outbox);
    night_path(n.outbox, blocker, "outbox");
    night_write_config(&n, 2022);
    char *err = NULL;
    int rc = nightly(&err);
    ck_assert_msg(err && strstr(err, n.outbox), "message: %s", err ? err : "");
    ck_assert_int_eq(rc, 73);
    free(err);
    /* Found before the import: nothing changed, the extracts wait. */
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM imports"), 0);
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM payments"), 0);
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM batches"), 0);
    size_t count = 0;
    char **names = night_list(n.inbox, &count);
    night_list_free(names, count);
    ck_assert_int_eq(count, 3);
    snprintf(n.outbox, sizeof n.outbox, "%s", saved);
    night_write_config(&n, 2022);
    night_check(&n, true, true, "outbox below a file", NULL);
    assert_next_night_succeeds("after the outbox below a file", true);
}
END_TEST

static Suite *disk_suite(void)
{
    Suite *s = suite_create("reliability/disk");
    TCase *tc = tcase_create("disk");
    tcase_add_unchecked_fixture(tc, make_data, drop_data);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, database_that_cannot_grow_is_73_and_the_next_night_succeeds);
    tcase_add_test(tc, database_on_a_full_disk_during_the_import_is_73_and_keeps_the_extracts);
    tcase_add_test(tc, database_on_a_full_disk_during_the_run_is_73_and_records_nothing);
    tcase_add_test(tc, outbox_on_a_full_disk_is_73_and_the_next_night_publishes);
    tcase_add_test(tc, read_only_outbox_is_73_and_the_next_night_publishes);
    tcase_add_test(tc, outbox_below_a_regular_file_is_73_and_the_next_night_publishes);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(disk_suite)
