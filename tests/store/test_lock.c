/* Tests of the run lock: a second holder (in this process or another) is
 * refused at once with RB_E_LOCKED; a holder killed with SIGKILL leaves no
 * lock behind; planted symlinks and odd files are refused. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rebate/lock.h"
#include "test_support.h"

static char base[4096];
static char lock_path[4200];

static void setup(void)
{
    snprintf(base, sizeof base, "%s", ts_tmpdir());
    snprintf(lock_path, sizeof lock_path, "%s/rebate.db.lock", base);
}

static void teardown(void)
{
    ts_rmtree(base);
}

/* Runs rb_lock_acquire on lock_path in a child process; returns the status
 * it got (the child's exit status). */
static int acquire_in_child(void)
{
    fflush(NULL);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        rb_lock *lock = NULL;
        rb_error err = {0};
        rb_status st = rb_lock_acquire(lock_path, &lock, &err);
        rb_lock_release(lock);
        _exit((int)st);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

START_TEST(test_lock_acquire_and_release)
{
    rb_lock *lock = NULL;
    rb_error err = {0};
    mode_t old = umask(022);
    ck_assert_int_eq(rb_lock_acquire(lock_path, &lock, &err), RB_OK);
    umask(old);
    ck_assert_ptr_nonnull(lock);
    struct stat sb;
    ck_assert_int_eq(lstat(lock_path, &sb), 0);
    ck_assert(S_ISREG(sb.st_mode));
    ck_assert_uint_eq(sb.st_mode & 07777, 0640);
    rb_lock_release(lock);
    /* The file stays; the lock can be taken again. */
    ck_assert_int_eq(lstat(lock_path, &sb), 0);
    ck_assert_int_eq(rb_lock_acquire(lock_path, &lock, &err), RB_OK);
    rb_lock_release(lock);
    rb_lock_release(NULL);
}
END_TEST

/* A second open of the same file, even in this process, is a second holder. */
START_TEST(test_lock_second_holder_same_process)
{
    rb_lock *first = NULL, *second = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_lock_acquire(lock_path, &first, &err), RB_OK);
    ck_assert_int_eq(rb_lock_acquire(lock_path, &second, &err), RB_E_LOCKED);
    ck_assert_ptr_null(second);
    char expected[4400];
    snprintf(expected, sizeof expected, "another run (process %ld) holds the lock '%s'; try later", (long)getpid(),
             lock_path);
    ck_assert_str_eq(err.message, expected);
    rb_lock_release(first);
    rb_error err2 = {0};
    ck_assert_int_eq(rb_lock_acquire(lock_path, &second, &err2), RB_OK);
    rb_lock_release(second);
}
END_TEST

/* Two processes: while one holds the lock the other is refused at once;
 * after release it gets it. */
START_TEST(test_lock_two_processes)
{
    rb_lock *lock = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_lock_acquire(lock_path, &lock, &err), RB_OK);
    ck_assert_int_eq(acquire_in_child(), RB_E_LOCKED);
    rb_lock_release(lock);
    ck_assert_int_eq(acquire_in_child(), RB_OK);
}
END_TEST

/* A holder killed with SIGKILL never releases anything itself: the kernel
 * drops its flock, so the next run goes ahead. */
START_TEST(test_lock_killed_holder_leaves_no_lock)
{
    int ready[2];
    ck_assert_int_eq(pipe(ready), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        rb_lock *lock = NULL;
        rb_error err = {0};
        char status = rb_lock_acquire(lock_path, &lock, &err) == RB_OK ? 'L' : 'E';
        if (write(ready[1], &status, 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(ready[1]);
    char status = 0;
    ck_assert_int_eq(read(ready[0], &status, 1), 1);
    close(ready[0]);
    ck_assert_int_eq(status, 'L');

    rb_lock *lock = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_lock_acquire(lock_path, &lock, &err), RB_E_LOCKED);
    char named[64];
    snprintf(named, sizeof named, "(process %ld)", (long)pid);
    ck_assert_msg(strstr(err.message, named) != NULL, "%s", err.message);

    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    int wstatus = 0;
    ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
    ck_assert(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL);

    /* The lock file is still there, with the dead holder's pid in it. */
    struct stat sb;
    ck_assert_int_eq(lstat(lock_path, &sb), 0);
    rb_error err2 = {0};
    ck_assert_int_eq(rb_lock_acquire(lock_path, &lock, &err2), RB_OK);
    rb_lock_release(lock);
}
END_TEST

START_TEST(test_lock_database_path)
{
    char db[4200];
    snprintf(db, sizeof db, "%s/rebate.db", base);
    rb_lock *lock = NULL;
    rb_error err = {0};
    /* No database: refused, and no lock file is made beside the path. */
    ck_assert_int_eq(rb_lock_database(db, &lock, &err), RB_E_NOINPUT);
    ck_assert_int_eq(access(lock_path, F_OK), -1);
    ts_init_db(db);
    rb_error_clear(&err);
    ck_assert_int_eq(rb_lock_database(db, &lock, &err), RB_OK);
    /* The same file as lock_path (<database>.lock). */
    ck_assert_int_eq(acquire_in_child(), RB_E_LOCKED);
    rb_lock *again = NULL;
    ck_assert_int_eq(rb_lock_database(db, &again, &err), RB_E_LOCKED);
    ck_assert(strstr(err.message, "rebate.db.lock") != NULL);
    rb_lock_release(lock);
}
END_TEST

/* A symlink planted as the lock file: refused, its target untouched. */
START_TEST(test_lock_refuses_symlink)
{
    ts_write_file(base, "target", "keep", (size_t)-1);
    char target[4200];
    snprintf(target, sizeof target, "%s/target", base);
    ck_assert_int_eq(symlink(target, lock_path), 0);
    rb_lock *lock = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_lock_acquire(lock_path, &lock, &err), RB_E_CANTWRITE);
    ck_assert_ptr_null(lock);
    ck_assert_msg(strstr(err.message, "symbolic link") != NULL, "%s", err.message);
    char *data = ts_read_file(target, NULL);
    ck_assert_str_eq(data, "keep");
    free(data);

    /* Dangling: nothing is created through it either. */
    char dangling[4200], missing[4200];
    snprintf(dangling, sizeof dangling, "%s/dangling.lock", base);
    snprintf(missing, sizeof missing, "%s/created-through-link", base);
    ck_assert_int_eq(symlink(missing, dangling), 0);
    ck_assert_int_eq(rb_lock_acquire(dangling, &lock, &err), RB_E_CANTWRITE);
    struct stat sb;
    ck_assert_int_eq(lstat(missing, &sb), -1);
}
END_TEST

START_TEST(test_lock_refuses_odd_files)
{
    rb_lock *lock = NULL;
    rb_error err = {0};
    ck_assert_int_eq(mkdir(lock_path, 0700), 0);
    ck_assert_int_eq(rb_lock_acquire(lock_path, &lock, &err), RB_E_CANTWRITE);
    ck_assert(strstr(err.message, lock_path) != NULL);

    char fifo[4200];
    snprintf(fifo, sizeof fifo, "%s/fifo.lock", base);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    rb_error err2 = {0};
    ck_assert_int_eq(rb_lock_acquire(fifo, &lock, &err2), RB_E_CANTWRITE);
    ck_assert_msg(strstr(err2.message, "not a regular file") != NULL, "%s", err2.message);
}
END_TEST

START_TEST(test_lock_missing_folder)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/no-such-folder/rebate.db.lock", base);
    rb_lock *lock = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_lock_acquire(path, &lock, &err), RB_E_NOINPUT);
    ck_assert(strstr(err.message, path) != NULL);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("lock");
    TCase *tc = tcase_create("lock");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_lock_acquire_and_release);
    tcase_add_test(tc, test_lock_second_holder_same_process);
    tcase_add_test(tc, test_lock_two_processes);
    tcase_add_test(tc, test_lock_killed_holder_leaves_no_lock);
    tcase_add_test(tc, test_lock_database_path);
    tcase_add_test(tc, test_lock_refuses_symlink);
    tcase_add_test(tc, test_lock_refuses_odd_files);
    tcase_add_test(tc, test_lock_missing_folder);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(make_suite)
