/* Tests of the safe file steps: modes, refusal of planted symlinks (with
 * the target outside left untouched), a full device, rename that never
 * replaces, tree removal that never follows a link, and a file's copy. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rebate/fsutil.h"
#include "test_support.h"

static char base[4096];

static void setup(void)
{
    snprintf(base, sizeof base, "%s", ts_tmpdir());
}

static void teardown(void)
{
    ts_rmtree(base);
}

/* base/relative into buf. */
static const char *at(char *buf, const char *relative)
{
    snprintf(buf, 4200, "%s/%s", base, relative);
    return buf;
}

static bool exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

static void check_file_holds(const char *path, const char *expected)
{
    size_t len = 0;
    char *data = ts_read_file(path, &len);
    ck_assert_msg(data != NULL, "cannot read %s", path);
    ck_assert_str_eq(data, expected);
    free(data);
}

START_TEST(test_fs_mkdir_creates_0750)
{
    char dir[4200];
    mode_t old = umask(022);
    rb_error err = {0};
    ck_assert_int_eq(rb_fs_mkdir(at(dir, "out"), &err), RB_OK);
    umask(old);
    struct stat sb;
    ck_assert_int_eq(lstat(dir, &sb), 0);
    ck_assert(S_ISDIR(sb.st_mode));
    ck_assert_uint_eq(sb.st_mode & 07777, 0750);
    /* Already there: fine. */
    ck_assert_int_eq(rb_fs_mkdir(dir, &err), RB_OK);
    ck_assert_int_eq(err.status, RB_OK);
}
END_TEST

START_TEST(test_fs_mkdir_refuses_symlink_and_file)
{
    char outside[4200], link[4200], file[4200];
    ck_assert_int_eq(mkdir(at(outside, "outside"), 0700), 0);
    ck_assert_int_eq(symlink(outside, at(link, "out")), 0);
    rb_error err = {0};
    ck_assert_int_eq(rb_fs_mkdir(link, &err), RB_E_CANTWRITE);
    ck_assert_msg(strstr(err.message, link) != NULL && strstr(err.message, "symbolic link") != NULL, "%s",
                  err.message);

    ts_write_file(base, "plain", "x", (size_t)-1);
    rb_error err2 = {0};
    ck_assert_int_eq(rb_fs_mkdir(at(file, "plain"), &err2), RB_E_CANTWRITE);
    ck_assert(strstr(err2.message, file) != NULL);

    /* A missing parent is an error, not created silently. */
    char deep[4200];
    rb_error err3 = {0};
    ck_assert_int_eq(rb_fs_mkdir(at(deep, "no/such"), &err3), RB_E_CANTWRITE);
    ck_assert(strstr(err3.message, "No such file") != NULL);
}
END_TEST

START_TEST(test_fs_create_new_file_0640)
{
    mode_t old = umask(022);
    FILE *f = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_fs_create(base, "payout.csv", &f, &err), RB_OK);
    umask(old);
    ck_assert(f != NULL);
    /* Close-on-exec, so that a child process does not inherit the file. */
    ck_assert(fcntl(fileno(f), F_GETFD) & FD_CLOEXEC);
    ck_assert(fputs("data\n", f) >= 0);
    char path[4200];
    ck_assert_int_eq(rb_fs_close_synced(f, at(path, "payout.csv"), &err), RB_OK);
    struct stat sb;
    ck_assert_int_eq(lstat(path, &sb), 0);
    ck_assert(S_ISREG(sb.st_mode));
    ck_assert_uint_eq(sb.st_mode & 07777, 0640);
    check_file_holds(path, "data\n");
}
END_TEST

START_TEST(test_fs_create_refuses_existing_file)
{
    ts_write_file(base, "payout.csv", "old", (size_t)-1);
    FILE *f = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_fs_create(base, "payout.csv", &f, &err), RB_E_CANTWRITE);
    ck_assert(f == NULL);
    ck_assert(strstr(err.message, "payout.csv") != NULL && strstr(err.message, "File exists") != NULL);
    char path[4200];
    check_file_holds(at(path, "payout.csv"), "old");
}
END_TEST

/* A symlink planted where the file goes: refused, its target untouched. */
START_TEST(test_fs_create_refuses_planted_file_symlink)
{
    char target[4200], link[4200];
    ts_write_file(base, "secret", "keep me", (size_t)-1);
    ck_assert_int_eq(mkdir(at(link, "out"), 0700), 0);
    ck_assert_int_eq(symlink(at(target, "secret"), at(link, "out/payout.csv")), 0);
    FILE *f = NULL;
    rb_error err = {0};
    char dir[4200];
    ck_assert_int_eq(rb_fs_create(at(dir, "out"), "payout.csv", &f, &err), RB_E_CANTWRITE);
    ck_assert(f == NULL);
    check_file_holds(target, "keep me");

    /* A dangling symlink: not created through either. */
    char dangling_target[4200];
    ck_assert_int_eq(symlink(at(dangling_target, "created-through-link"), at(link, "out/sums")), 0);
    rb_error err2 = {0};
    ck_assert_int_eq(rb_fs_create(dir, "sums", &f, &err2), RB_E_CANTWRITE);
    ck_assert(!exists(dangling_target));
}
END_TEST

/* A symlink planted in place of the folder: refused, nothing written outside. */
START_TEST(test_fs_create_refuses_planted_folder_symlink)
{
    char outside[4200], link[4200], probe[4200];
    ck_assert_int_eq(mkdir(at(outside, "outside"), 0700), 0);
    ck_assert_int_eq(symlink(outside, at(link, "staging")), 0);
    FILE *f = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_fs_create(link, "payout.csv", &f, &err), RB_E_CANTWRITE);
    ck_assert(f == NULL);
    ck_assert_msg(strstr(err.message, "symbolic link") != NULL, "%s", err.message);
    ck_assert(!exists(at(probe, "outside/payout.csv")));
}
END_TEST

START_TEST(test_fs_close_synced_full_device)
{
    FILE *f = fopen("/dev/full", "wb");
    ck_assert(f != NULL);
    ck_assert(fputs("a batch file's contents\n", f) >= 0); /* buffered: no error yet */
    rb_error err = {0};
    ck_assert_int_eq(rb_fs_close_synced(f, "/dev/full", &err), RB_E_CANTWRITE);
    ck_assert_msg(strstr(err.message, "'/dev/full'") != NULL &&
                      strstr(err.message, "No space left on device") != NULL,
                  "%s", err.message);
}
END_TEST

/* A stream whose error flag is set by an earlier failed write, with nothing
 * left to flush: still an error. */
START_TEST(test_fs_close_synced_earlier_error)
{
    FILE *f = NULL;
    rb_error err = {0};
    ck_assert_int_eq(rb_fs_create(base, "x", &f, &err), RB_OK);
    /* Reading a write-only stream sets its error flag. */
    ck_assert_int_eq(fgetc(f), EOF);
    ck_assert(ferror(f));
    ck_assert_int_eq(rb_fs_close_synced(f, "x", &err), RB_E_CANTWRITE);
    ck_assert(strstr(err.message, "'x'") != NULL);
}
END_TEST

START_TEST(test_fs_sync_dir)
{
    rb_error err = {0};
    ck_assert_int_eq(rb_fs_sync_dir(base, &err), RB_OK);
    char missing[4200];
    ck_assert_int_eq(rb_fs_sync_dir(at(missing, "missing"), &err), RB_E_CANTWRITE);
    ck_assert(strstr(err.message, missing) != NULL);
}
END_TEST

START_TEST(test_fs_rename_noreplace_moves)
{
    char from[4200], to[4200], probe[4200];
    ck_assert_int_eq(mkdir(at(from, ".staging-1"), 0750), 0);
    ts_write_file(from, "payout.csv", "rows", (size_t)-1);
    rb_error err = {0};
    ck_assert_int_eq(rb_fs_rename_noreplace(from, at(to, "2021-20210301-001"), &err), RB_OK);
    ck_assert(!exists(from));
    check_file_holds(at(probe, "2021-20210301-001/payout.csv"), "rows");

    /* Into another folder, and a bare file. */
    char sub[4200];
    ck_assert_int_eq(mkdir(at(sub, "archive"), 0750), 0);
    ts_write_file(base, "registration.csv", "r", (size_t)-1);
    ck_assert_int_eq(rb_fs_rename_noreplace(at(from, "registration.csv"), at(to, "archive/registration.csv"), &err),
                     RB_OK);
    check_file_holds(to, "r");
}
END_TEST

/* Renaming onto an existing folder (or file) is refused and changes nothing. */
START_TEST(test_fs_rename_noreplace_refuses_existing)
{
    char from[4200], to[4200], probe[4200];
    ck_assert_int_eq(mkdir(at(from, "staging"), 0750), 0);
    ts_write_file(from, "new", "new", (size_t)-1);
    ck_assert_int_eq(mkdir(at(to, "batch"), 0750), 0);
    ts_write_file(to, "old", "old", (size_t)-1);
    rb_error err = {0};
    ck_assert_int_eq(rb_fs_rename_noreplace(from, to, &err), RB_E_CANTWRITE);
    ck_assert_msg(strstr(err.message, "already exists") != NULL, "%s", err.message);
    check_file_holds(at(probe, "staging/new"), "new");
    check_file_holds(at(probe, "batch/old"), "old");
    ck_assert(!exists(at(probe, "batch/new")));

    /* An empty folder in the way: rename(2) would replace it; we must not. */
    char empty[4200];
    ck_assert_int_eq(mkdir(at(empty, "empty"), 0750), 0);
    rb_error err2 = {0};
    ck_assert_int_eq(rb_fs_rename_noreplace(from, empty, &err2), RB_E_CANTWRITE);
    check_file_holds(at(probe, "staging/new"), "new");

    /* A file in the way. */
    ts_write_file(base, "a", "a", (size_t)-1);
    ts_write_file(base, "b", "b", (size_t)-1);
    char a[4200], b[4200];
    rb_error err3 = {0};
    ck_assert_int_eq(rb_fs_rename_noreplace(at(a, "a"), at(b, "b"), &err3), RB_E_CANTWRITE);
    check_file_holds(a, "a");
    check_file_holds(b, "b");

    /* A missing source. */
    rb_error err4 = {0};
    ck_assert_int_eq(rb_fs_rename_noreplace(at(a, "missing"), at(b, "elsewhere"), &err4), RB_E_CANTWRITE);
    ck_assert(strstr(err4.message, "No such file") != NULL);
}
END_TEST

START_TEST(test_fs_remove_tree)
{
    char dir[4200], probe[4200];
    ck_assert_int_eq(mkdir(at(dir, "tree"), 0750), 0);
    ck_assert_int_eq(mkdir(at(probe, "tree/sub"), 0750), 0);
    ck_assert_int_eq(mkdir(at(probe, "tree/sub/deeper"), 0750), 0);
    ts_write_file(dir, "a.csv", "a", (size_t)-1);
    ts_write_file(at(probe, "tree/sub"), "b", "b", (size_t)-1);
    ts_write_file(at(probe, "tree/sub/deeper"), "c", "c", (size_t)-1);
    /* A file without permissions is removed too (removal needs the folder's). */
    ck_assert_int_eq(chmod(at(probe, "tree/a.csv"), 0), 0);
    rb_error err = {0};
    ck_assert_int_eq(rb_fs_remove_tree(dir, &err), RB_OK);
    ck_assert(!exists(dir));
    /* Already gone: nothing to do. */
    ck_assert_int_eq(rb_fs_remove_tree(dir, &err), RB_OK);
    ck_assert_int_eq(err.status, RB_OK);
}
END_TEST

/* Symlinks inside the tree, to a folder and to a file outside: the links go,
 * what they point to stays. */
START_TEST(test_fs_remove_tree_never_follows_links)
{
    char outside[4200], dir[4200], probe[4200];
    ck_assert_int_eq(mkdir(at(outside, "outside"), 0700), 0);
    ts_write_file(outside, "keep", "keep", (size_t)-1);
    ck_assert_int_eq(mkdir(at(dir, "tree"), 0750), 0);
    ck_assert_int_eq(symlink(outside, at(probe, "tree/to-folder")), 0);
    ck_assert_int_eq(symlink(at(outside, "outside/keep"), at(probe, "tree/to-file")), 0);
    ck_assert_int_eq(symlink("/nonexistent", at(probe, "tree/dangling")), 0);
    rb_error err = {0};
    ck_assert_int_eq(rb_fs_remove_tree(dir, &err), RB_OK);
    ck_assert(!exists(dir));
    check_file_holds(at(probe, "outside/keep"), "keep");
}
END_TEST

/* The folder itself a symlink: refused, the target and its contents stay. */
START_TEST(test_fs_remove_tree_refuses_symlinked_top)
{
    char outside[4200], link[4200], probe[4200];
    ck_assert_int_eq(mkdir(at(outside, "outside"), 0700), 0);
    ts_write_file(outside, "keep", "keep", (size_t)-1);
    ck_assert_int_eq(symlink(outside, at(link, "staging")), 0);
    rb_error err = {0};
    ck_assert_int_eq(rb_fs_remove_tree(link, &err), RB_E_CANTWRITE);
    ck_assert(strstr(err.message, "symbolic link") != NULL);
    ck_assert(exists(link));
    check_file_holds(at(probe, "outside/keep"), "keep");

    char file[4200];
    ts_write_file(base, "plain", "p", (size_t)-1);
    rb_error err2 = {0};
    ck_assert_int_eq(rb_fs_remove_tree(at(file, "plain"), &err2), RB_E_CANTWRITE);
    check_file_holds(file, "p");
}
END_TEST

/* A copy holds the same bytes (more than the 1 MiB of a read and write
 * pass); a symlink in place of the source is not followed. */
START_TEST(test_fs_copy_into_copies_and_refuses_a_link)
{
    size_t len = 3 * 1024 * 1024 + 17;
    char *data = malloc(len);
    ck_assert_ptr_nonnull(data);
    for (size_t i = 0; i < len; i++)
        data[i] = (char)('a' + i * 7 % 26);
    ts_write_file(base, "from", data, len);
    char from[4200], to[4200], link[4200];
    int fd = open(at(to, "to"), O_WRONLY | O_CREAT | O_EXCL, 0600);
    ck_assert_int_ge(fd, 0);
    rb_error err = {0};
    ck_assert_int_eq(rb_fs_copy_into(at(from, "from"), fd, to, &err), RB_OK);
    ck_assert_int_eq(close(fd), 0);
    size_t got = 0;
    char *copy = ts_read_file(to, &got);
    ck_assert_uint_eq(got, len);
    ck_assert_mem_eq(copy, data, len);
    free(copy);
    free(data);

    ck_assert_int_eq(symlink(from, at(link, "link")), 0);
    fd = open(at(to, "to2"), O_WRONLY | O_CREAT | O_EXCL, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(rb_fs_copy_into(link, fd, to, &err), RB_E_CANTWRITE);
    ck_assert_int_eq(close(fd), 0);
    check_file_holds(to, "");
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("fsutil");
    TCase *tc = tcase_create("fsutil");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_fs_mkdir_creates_0750);
    tcase_add_test(tc, test_fs_mkdir_refuses_symlink_and_file);
    tcase_add_test(tc, test_fs_create_new_file_0640);
    tcase_add_test(tc, test_fs_create_refuses_existing_file);
    tcase_add_test(tc, test_fs_create_refuses_planted_file_symlink);
    tcase_add_test(tc, test_fs_create_refuses_planted_folder_symlink);
    tcase_add_test(tc, test_fs_close_synced_full_device);
    tcase_add_test(tc, test_fs_close_synced_earlier_error);
    tcase_add_test(tc, test_fs_sync_dir);
    tcase_add_test(tc, test_fs_rename_noreplace_moves);
    tcase_add_test(tc, test_fs_rename_noreplace_refuses_existing);
    tcase_add_test(tc, test_fs_remove_tree);
    tcase_add_test(tc, test_fs_remove_tree_never_follows_links);
    tcase_add_test(tc, test_fs_remove_tree_refuses_symlinked_top);
    tcase_add_test(tc, test_fs_copy_into_copies_and_refuses_a_link);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(make_suite)
