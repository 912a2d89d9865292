/* The account model (docs/operations.md, "Permissions"), tested with real
 * accounts: the database and its folder belong to another user (files
 * 0640, folders 0750), and a member of their group, with no write access
 * anywhere, runs the read-only commands (status, explain, params list and
 * show, words); the commands that write are refused with exit 77 and one
 * sentence naming the file and the access missing, never 70. The test
 * creates a group and a user (groupadd, useradd) and removes them; without
 * root it is skipped. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_support.h"

static char work[4096], srv[4200], bin[4200], db_path[4300], config[4300], inbox[4300], outbox[4300],
    archive[4300];
static char group_name[32], user_name[32];
static gid_t group_id;
static uid_t member_uid;
static gid_t member_gid;
static bool ready; /* root, accounts made */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Runs the copied binary with args, as uid with the groups of user (or,
 * for the owner, as root with primary group gid so that what it makes
 * belongs to the group, as the rebate account's files do). Captures
 * standard output and error. */
static int run_as(bool member, char **out, char **err, const char *const *args)
{
    char out_path[] = "/tmp/rebate-perm-out-XXXXXX", err_path[] = "/tmp/rebate-perm-err-XXXXXX";
    int out_fd = mkstemp(out_path), err_fd = mkstemp(err_path);
    ck_assert(out_fd >= 0 && err_fd >= 0);
    unlink(out_path);
    unlink(err_path);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        dup2(out_fd, 1);
        dup2(err_fd, 2);
        if (member) {
            if (initgroups(user_name, member_gid) != 0 || setgid(member_gid) != 0 || setuid(member_uid) != 0)
                _exit(126);
            setenv("LOGNAME", user_name, 1);
            setenv("USER", user_name, 1);
        } else if (setgroups(1, &group_id) != 0 || setgid(group_id) != 0) {
            _exit(126);
        }
        umask(027);
        const char *argv[20] = {bin};
        for (int i = 0; args[i] != NULL && i < 18; i++)
            argv[i + 1] = args[i];
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    lseek(out_fd, 0, SEEK_SET);
    lseek(err_fd, 0, SEEK_SET);
    /* Read back through /proc: the files have no name any more. */
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", out_fd);
    if (out)
        *out = ts_read_file(proc, NULL);
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", err_fd);
    if (err)
        *err = ts_read_file(proc, NULL);
    close(out_fd);
    close(err_fd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

#define MEMBER(out, err, ...) run_as(true, out, err, (const char *const[]){__VA_ARGS__, NULL})
#define OWNER(out, err, ...) run_as(false, out, err, (const char *const[]){__VA_ARGS__, NULL})

static void copy(const char *from, const char *to, mode_t mode)
{
    size_t len = 0;
    char *data = ts_read_file(from, &len);
    ck_assert_msg(data != NULL, "cannot read %s", from);
    int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ck_assert(fd >= 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
    ck_assert_int_eq(chmod(to, mode), 0);
    free(data);
}

static void setup(void)
{
    ready = false;
    if (geteuid() != 0 || access("/usr/sbin/useradd", X_OK) != 0 || access("/usr/sbin/groupadd", X_OK) != 0)
        return;
    snprintf(group_name, sizeof group_name, "rbtg%ld", (long)getpid());
    snprintf(user_name, sizeof user_name, "rbtu%ld", (long)getpid());
    ck_assert_int_eq(sh("groupadd %s", group_name), 0);
    ck_assert_int_eq(sh("useradd -M -U -G %s -s /usr/sbin/nologin %s", group_name, user_name), 0);
    struct group *g = getgrnam(group_name);
    struct passwd *pw = getpwnam(user_name);
    ck_assert(g != NULL && pw != NULL);
    group_id = g->gr_gid;
    member_uid = pw->pw_uid;
    member_gid = pw->pw_gid;
    ck_assert_int_ne(member_gid, group_id); /* a member through a supplementary group */

    snprintf(work, sizeof work, "%s", ts_tmpdir());
    ck_assert_int_eq(chmod(work, 0755), 0); /* the way in, as /var/lib is */
    snprintf(bin, sizeof bin, "%s/rebate", work);
    copy(REBATE_BINARY, bin, 0755);
    snprintf(srv, sizeof srv, "%s/srv", work);
    ck_assert_int_eq(mkdir(srv, 0750), 0);
    ck_assert_int_eq(chown(srv, 0, group_id), 0);
    ck_assert_int_eq(chmod(srv, 0750), 0);
    snprintf(db_path, sizeof db_path, "%s/rebate.db", srv);
    snprintf(config, sizeof config, "%s/rebate.ini", srv);
    snprintf(inbox, sizeof inbox, "%s/inbox", srv);
    snprintf(outbox, sizeof outbox, "%s/outbox", srv);
    snprintf(archive, sizeof archive, "%s/archive", srv);
    char text[4000];
    snprintf(text, sizeof text,
             "[rebate]\ndatabase = rebate.db\ninbox = inbox\noutbox = outbox\narchive = archive\n"
             "policy_year = 2022\nencoding = auto\n");
    ts_write_file(srv, "rebate.ini", text, (size_t)-1);
    ck_assert_int_eq(chown(config, 0, group_id), 0);
    ck_assert_int_eq(chmod(config, 0640), 0);
    ready = true;
}

static void teardown(void)
{
    if (!ready)
        return;
    sh("userdel %s 2>/dev/null", user_name);
    sh("groupdel %s 2>/dev/null", group_name);
    ts_rmtree(work);
}

/* The night of the owner: init, the sample's extracts, nightly. */
static void owner_night(void)
{
    ck_assert_int_eq(OWNER(NULL, NULL, "init", "--config", config), 0);
    ck_assert_int_eq(OWNER(NULL, NULL, "migrate", "--config", config), 0);
    for (const char *d = inbox; d; d = d == inbox ? outbox : NULL) {
        ck_assert_int_eq(mkdir(d, 0750), 0);
        ck_assert_int_eq(chown(d, 0, group_id), 0);
    }
    static const char *const names[] = {"registration.csv", "insured_units.csv", "contributions.csv"};
    for (int i = 0; i < 3; i++) {
        char from[4300], to[4400];
        snprintf(from, sizeof from, "%s/data/sample/%s", REBATE_SOURCE_DIR, names[i]);
        snprintf(to, sizeof to, "%s/%s", inbox, names[i]);
        copy(from, to, 0640);
    }
    char *err = NULL;
    int rc = OWNER(NULL, &err, "nightly", "--config", config);
    ck_assert_msg(rc == 0, "nightly: exit %d: %s", rc, err);
    free(err);
    struct stat sb;
    ck_assert_int_eq(stat(db_path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0640);
    ck_assert_int_eq(sb.st_gid, group_id);
}

static char *paid_firm(void)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT uscc FROM payments ORDER BY uscc LIMIT 1", -1, &q, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    char *uscc = strdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(db);
    return uscc;
}

/* The member's read-only commands all answer, and leave nothing behind. */
static void member_reads(const char *when)
{
    char *before = NULL, *after = NULL, *out = NULL, *err = NULL;
    sh("ls -laR --time-style=+ '%s' > '%s/ls-before'", srv, work);
    char *uscc = paid_firm();
    int rc = MEMBER(&out, &err, "status", "--db", db_path);
    ck_assert_msg(rc == 0 && strstr(out, "2022-") != NULL, "%s: status: exit %d: %s", when, rc, err);
    free(out);
    free(err);
    rc = MEMBER(&out, &err, "explain", "--db", db_path, "--year", "2022", "--uscc", uscc);
    ck_assert_msg(rc == 0 && strlen(out) > 100, "%s: explain: exit %d: %s", when, rc, err);
    free(out);
    free(err);
    rc = MEMBER(&out, &err, "status", "--db", db_path, "--uscc", uscc);
    ck_assert_msg(rc == 0, "%s: status --uscc: exit %d: %s", when, rc, err);
    free(out);
    free(err);
    rc = MEMBER(&out, &err, "params", "--db", db_path, "list");
    ck_assert_msg(rc == 0 && strstr(out, "2022") != NULL, "%s: params list: exit %d: %s", when, rc, err);
    free(out);
    free(err);
    rc = MEMBER(&out, &err, "params", "--config", config, "show", "2022");
    ck_assert_msg(rc == 0 && strstr(out, "policy_year = 2022") != NULL, "%s: params show: exit %d: %s", when, rc,
                  err);
    free(out);
    free(err);
    ck_assert_int_eq(MEMBER(NULL, NULL, "words", "1234.56"), 0);
    free(uscc);
    sh("ls -laR --time-style=+ '%s' > '%s/ls-after'", srv, work);
    char path[4300];
    snprintf(path, sizeof path, "%s/ls-before", work);
    before = ts_read_file(path, NULL);
    snprintf(path, sizeof path, "%s/ls-after", work);
    after = ts_read_file(path, NULL);
    ck_assert_msg(strcmp(before, after) == 0, "%s: the member changed the folder:\n%s\n%s", when, before, after);
    free(before);
    free(after);
}

/* A writing command of the member: 77, one sentence naming the file or
 * folder and the access missing. */
static void member_refused(const char *what, const char *names, const char *const *args)
{
    char *err = NULL;
    int rc = run_as(true, NULL, &err, args);
    ck_assert_msg(rc == 77, "%s: exit %d (expected 77): %s", what, rc, err);
    ck_assert_msg(strstr(err, names) != NULL && strstr(err, "access") != NULL, "%s: %s", what, err);
    ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "%s: not one line: %s", what, err);
    free(err);
}

START_TEST(a_group_member_reads_without_write_access_and_is_refused_writes_with_77)
{
    if (!ready) {
        fprintf(stderr, "test_permissions: skipped (needs root to create a user and a group)\n");
        return;
    }
    owner_night();
    /* After a writing command the database stays in WAL mode with its
     * -wal (emptied) and -shm kept beside it, 0640 in the group: the
     * member reads through them without writing. */
    char side[4400];
    snprintf(side, sizeof side, "%s-wal", db_path);
    struct stat sb;
    ck_assert_int_eq(stat(side, &sb), 0);
    ck_assert_int_eq(sb.st_size, 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0640);
    ck_assert_int_eq(sb.st_gid, group_id);
    snprintf(side, sizeof side, "%s-shm", db_path);
    ck_assert_int_eq(stat(side, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0640);
    ck_assert_int_eq(sb.st_gid, group_id);
    member_reads("after the night");

    /* While the owner holds it open in WAL mode (a night under way), the
     * member reads through the -shm file it may not write. */
    sqlite3 *held = NULL;
    ck_assert_int_eq(sqlite3_open(db_path, &held), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(held, "PRAGMA wal_autocheckpoint = 0; BEGIN;"
                                        " INSERT INTO runs (command, started_at, by_whom) VALUES ('t', 'now', 't');"
                                        " COMMIT;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    snprintf(side, sizeof side, "%s-wal", db_path);
    ck_assert_int_eq(stat(side, &sb), 0);
    ck_assert_int_gt(sb.st_size, 0); /* the change is in the WAL only */
    member_reads("while the owner holds the database in WAL mode");
    sqlite3_close(held);

    /* The owner's sqlite3 session, the last connection, removes the -wal
     * and -shm files as it closes: the member cannot make the -shm file
     * and is told so (77); the owner's next command brings them back. */
    ck_assert_int_eq(sqlite3_open(db_path, &held), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(held, "SELECT count(*) FROM runs", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(held);
    ck_assert_int_eq(access(side, F_OK), -1);
    member_refused("status on a WAL database without -shm", db_path,
                   (const char *const[]){"status", "--db", db_path, NULL});
    ck_assert_int_eq(OWNER(NULL, NULL, "migrate", "--db", db_path), 0);
    member_reads("after the owner's next command");

    /* The writing commands: refused with 77, never 70, nothing changed. */
    char *uscc = paid_firm();
    member_refused("run", db_path,
                   (const char *const[]){"run", "--db", db_path, "--year", "2022", "--out", outbox, NULL});
    member_refused("run --dry-run", db_path,
                   (const char *const[]){"run", "--db", db_path, "--year", "2022", "--out", outbox, "--dry-run",
                                         NULL});
    /* The member's own copy of the extracts, which it may read. */
    char extracts[4300];
    snprintf(extracts, sizeof extracts, "%s/extracts", work);
    ck_assert_int_eq(mkdir(extracts, 0755), 0);
    static const char *const names[] = {"registration.csv", "insured_units.csv", "contributions.csv"};
    for (int i = 0; i < 3; i++) {
        char from[4300], to[4400];
        snprintf(from, sizeof from, "%s/data/sample/%s", REBATE_SOURCE_DIR, names[i]);
        snprintf(to, sizeof to, "%s/%s", extracts, names[i]);
        copy(from, to, 0644);
    }
    member_refused("import", db_path, (const char *const[]){"import", "--db", db_path, extracts, NULL});
    member_refused("nightly", db_path, (const char *const[]){"nightly", "--config", config, NULL});
    member_refused("migrate", db_path, (const char *const[]){"migrate", "--db", db_path, NULL});
    char example[4300];
    snprintf(example, sizeof example, "%s/data/params/example-2026.ini", REBATE_SOURCE_DIR);
    char row[4300];
    snprintf(row, sizeof row, "%s/example-2026.ini", work);
    copy(example, row, 0644);
    member_refused("params add", db_path,
                   (const char *const[]){"params", "--db", db_path, "add", row, "--by", "member", NULL});
    char second[4400];
    snprintf(second, sizeof second, "%s/second.db", srv);
    member_refused("init", srv, (const char *const[]){"init", "--db", second, NULL});
    free(uscc);
    member_reads("after the refused writes");

    /* No read access to the database: 77 naming it. */
    ck_assert_int_eq(chmod(db_path, 0600), 0);
    char *err = NULL;
    ck_assert_int_eq(MEMBER(NULL, &err, "status", "--db", db_path), 77);
    ck_assert_msg(strstr(err, db_path) && strstr(err, "no read access"), "%s", err);
    free(err);
    ck_assert_int_eq(chmod(db_path, 0640), 0);
    /* Nor to the snapshot of the extracts beside it. */
    char snapshot[4400];
    snprintf(snapshot, sizeof snapshot, "%s.snapshot", db_path);
    ck_assert_int_eq(chmod(snapshot, 0600), 0);
    ck_assert_int_eq(MEMBER(NULL, &err, "status", "--db", db_path), 77);
    ck_assert_msg(strstr(err, snapshot) && strstr(err, "no read access"), "%s", err);
    free(err);
    ck_assert_int_eq(chmod(snapshot, 0640), 0);
    /* A config it may not read: 77 too. */
    ck_assert_int_eq(chmod(config, 0600), 0);
    ck_assert_int_eq(MEMBER(NULL, &err, "params", "--config", config, "list"), 77);
    ck_assert_msg(strstr(err, config) && strstr(err, "no read access"), "%s", err);
    free(err);
    ck_assert_int_eq(chmod(config, 0640), 0);
}
END_TEST

static Suite *permissions_suite(void)
{
    Suite *s = suite_create("reliability/permissions");
    TCase *tc = tcase_create("permissions");
    /* Unchecked: made and removed by the runner itself, so that the
     * accounts go even when the test fails. */
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, a_group_member_reads_without_write_access_and_is_refused_writes_with_77);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(permissions_suite)
