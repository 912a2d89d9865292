/* Tests of one database, one ledger (src/store/db.c, src/output/outbox.c,
 * src/cli/cmd_init.c, cmd_migrate.c): init as the only way a database comes
 * to exist, eight inits and eight migrations at once, read-only commands
 * that never migrate, the mistyped database of a night, a second database
 * pointed at the same outbox, and a copied one. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rebate/db.h"
#include "rebate/sql_files.h"
#include "test_support.h"

#define PROCESSES 8

static char work[4096], config[4200], inbox[4200], outbox[4200], archive[4200], db_path[4200];

static void copy_file(const char *from, const char *to_dir, const char *name)
{
    size_t len = 0;
    char *data = ts_read_file(from, &len);
    ck_assert_msg(data != NULL, "cannot read %s", from);
    ts_write_file(to_dir, name, data, len);
    free(data);
}

static void fill_inbox(void)
{
    static const char *const names[] = {"registration.csv", "insured_units.csv", "contributions.csv"};
    for (int i = 0; i < 3; i++) {
        char src[4300];
        snprintf(src, sizeof src, "%s/data/sample/%s", REBATE_SOURCE_DIR, names[i]);
        copy_file(src, inbox, names[i]);
    }
}

/* Writes work/<name> as a nightly config for database db (a path). */
static void write_config(const char *name, const char *db, const char *year)
{
    char text[20000];
    snprintf(text, sizeof text,
             "[rebate]\ndatabase = %s\ninbox = %s\noutbox = %s\narchive = %s\npolicy_year = %s\nencoding = auto\n", db,
             inbox, outbox, archive, year);
    ts_write_file(work, name, text, (size_t)-1);
}

static void setup(void)
{
    snprintf(work, sizeof work, "%s", ts_tmpdir());
    snprintf(config, sizeof config, "%s/rebate.ini", work);
    snprintf(inbox, sizeof inbox, "%s/inbox", work);
    snprintf(outbox, sizeof outbox, "%s/outbox", work);
    snprintf(archive, sizeof archive, "%s/archive", work);
    snprintf(db_path, sizeof db_path, "%s/rebate.db", work);
    ck_assert_int_eq(mkdir(inbox, 0750), 0);
    ck_assert_int_eq(mkdir(outbox, 0750), 0);
    write_config("rebate.ini", db_path, "2022");
}

static void teardown(void)
{
    ts_rmtree(work);
}

/* The names in a folder (dot-names included), sorted, one per line. */
static char *listing(const char *dir)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    size_t cap = 64;
    char *text = calloc(1, cap);
    ck_assert_ptr_nonnull(text);
    for (int i = 0; i < n; i++) {
        size_t need = strlen(text) + strlen(names[i]->d_name) + 2;
        if (need > cap) {
            cap = need * 2;
            text = realloc(text, cap);
            ck_assert_ptr_nonnull(text);
        }
        strcat(text, names[i]->d_name);
        strcat(text, "\n");
        free(names[i]);
    }
    free(names);
    return text;
}

static int entries(const char *dir)
{
    char *text = listing(dir);
    int n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    free(text);
    return n - 2; /* . and .. */
}

/* Starts PROCESSES copies of `rebate args...` held at a gate, opens the
 * gate so that they start together, and collects each one's exit status
 * and standard output. */
static void run_at_once(int status[PROCESSES], char *out[PROCESSES], const char *const *args)
{
    int gate[2];
    ck_assert_int_eq(pipe(gate), 0);
    pid_t pids[PROCESSES];
    char paths[PROCESSES][4300];
    fflush(NULL);
    for (int i = 0; i < PROCESSES; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/out-%d.txt", work, i);
        pids[i] = fork();
        ck_assert(pids[i] >= 0);
        if (pids[i] == 0) {
            close(gate[1]);
            char c;
            while (read(gate[0], &c, 1) < 0 && errno == EINTR)
                ;
            int fd = open(paths[i], O_WRONLY | O_CREAT | O_TRUNC, 0600);
            dup2(fd, 1);
            int null = open("/dev/null", O_WRONLY);
            dup2(null, 2);
            const char *argv[16] = {REBATE_BINARY};
            for (int a = 0; args[a] != NULL && a < 14; a++)
                argv[a + 1] = args[a];
            execv(argv[0], (char *const *)argv);
            _exit(127);
        }
    }
    close(gate[0]);
    close(gate[1]); /* every child's read returns: they start */
    for (int i = 0; i < PROCESSES; i++) {
        int ws = 0;
        while (waitpid(pids[i], &ws, 0) < 0 && errno == EINTR)
            ;
        status[i] = WIFEXITED(ws) ? WEXITSTATUS(ws) : -WTERMSIG(ws);
        out[i] = ts_read_file(paths[i], NULL);
        unlink(paths[i]);
    }
}

/* A database of the previous schema: every migration but the newest
 * applied, as the previous version of rebate left it. */
static int make_previous_schema(const char *path)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL), SQLITE_OK);
    int previous = 0;
    for (size_t i = 0; i < rb_sql_file_count; i++) {
        const char *name = rb_sql_files[i].name;
        if (strlen(name) < 5 || name[3] != '_' || strspn(name, "0123456789") != 3)
            continue;
        int n = atoi(name);
        if (n >= rb_db_schema_version())
            continue;
        ck_assert_msg(sqlite3_exec(db, rb_sql_files[i].text, NULL, NULL, NULL) == SQLITE_OK, "%s: %s", name,
                      sqlite3_errmsg(db));
        if (n > previous)
            previous = n;
    }
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", previous);
    ck_assert_int_eq(sqlite3_exec(db, pragma, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    return previous;
}

static long long user_version(const char *path)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    long long v = ts_query_int(db, "PRAGMA user_version");
    sqlite3_close(db);
    return v;
}

START_TEST(init_creates_the_database_once_and_never_changes_an_existing_one)
{
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(ts_run_rebate(&out, NULL, "init", "--db", db_path, (char *)NULL), 0);
    ck_assert_msg(strstr(out, "ledger ") != NULL, "%s", out);
    free(out);
    struct stat sb;
    ck_assert_int_eq(stat(db_path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0640);
    /* The schema, the seeded parameters and an identity of 32 hex digits. */
    sqlite3 *db = ts_open_db(db_path);
    ck_assert_int_eq(ts_query_int(db, "PRAGMA user_version"), rb_db_schema_version());
    ck_assert_int_ge(ts_query_int(db, "SELECT count(*) FROM policy_params"), 6);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM ledger_identity WHERE length(ledger_id) = 32"), 1);
    /* The identity never changes, whatever client tries. */
    ck_assert_int_ne(sqlite3_exec(db, "UPDATE ledger_identity SET ledger_id = lower(hex(randomblob(16)))", NULL,
                                  NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    /* Beside it only its -wal and -shm files (0640, kept for readers who
     * may not make them); no temporary file is left. */
    ck_assert_int_eq(entries(work), 6); /* inbox, outbox, rebate.ini, rebate.db, -wal, -shm */
    static const char *const sides[] = {"-wal", "-shm"};
    for (int i = 0; i < 2; i++) {
        char side[4300];
        snprintf(side, sizeof side, "%s%s", db_path, sides[i]);
        ck_assert_int_eq(stat(side, &sb), 0);
        ck_assert_int_eq(sb.st_mode & 0777, 0640);
    }

    size_t before_len = 0;
    char *before = ts_read_file(db_path, &before_len);
    ck_assert_int_eq(ts_run_rebate(NULL, &err, "init", "--config", config, (char *)NULL), 73);
    ck_assert_msg(strstr(err, "exists already") && strstr(err, db_path), "%s", err);
    free(err);
    size_t after_len = 0;
    char *after = ts_read_file(db_path, &after_len);
    ck_assert(before_len == after_len && memcmp(before, after, before_len) == 0);
    free(before);
    free(after);

    /* A folder that does not exist: 66, nothing made. */
    char missing[4300];
    snprintf(missing, sizeof missing, "%s/no-such-folder/rebate.db", work);
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "init", "--db", missing, (char *)NULL), 66);
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "init", (char *)NULL), 64);
}
END_TEST

START_TEST(of_eight_inits_of_one_path_at_once_exactly_one_succeeds)
{
    int status[PROCESSES];
    char *out[PROCESSES];
    const char *const args[] = {"init", "--db", db_path, NULL};
    run_at_once(status, out, args);
    int created = 0, refused = 0;
    for (int i = 0; i < PROCESSES; i++) {
        created += status[i] == 0;
        refused += status[i] == 73;
        free(out[i]);
    }
    ck_assert_int_eq(created, 1);
    ck_assert_int_eq(refused, PROCESSES - 1);
    sqlite3 *db = ts_open_db(db_path);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM ledger_identity"), 1);
    sqlite3_close(db);
    ck_assert_int_eq(entries(work), 6); /* the database, its -wal and -shm; no temporary file left */
}
END_TEST

START_TEST(eight_processes_open_an_old_database_at_once_and_one_migrates)
{
    int previous = make_previous_schema(db_path);
    ck_assert_int_lt(previous, rb_db_schema_version());
    int status[PROCESSES];
    char *out[PROCESSES];
    const char *const args[] = {"migrate", "--db", db_path, NULL};
    run_at_once(status, out, args);
    int migrated = 0;
    for (int i = 0; i < PROCESSES; i++) {
        ck_assert_msg(status[i] == 0, "process %d: exit %d", i, status[i]);
        migrated += out[i] != NULL && strstr(out[i], "migrated") != NULL;
        free(out[i]);
    }
    ck_assert_int_eq(migrated, 1);
    ck_assert_int_eq(user_version(db_path), rb_db_schema_version());
    sqlite3 *db = ts_open_db(db_path);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM ledger_identity WHERE length(ledger_id) = 32"), 1);
    sqlite3_close(db);
}
END_TEST

START_TEST(eight_runs_at_once_on_an_old_database_migrate_it_once_and_never_fail_on_it)
{
    /* A writing command migrates when it opens, before it takes the run
     * lock: eight at once all get past the migration; those that then find
     * the lock held say so (75). */
    make_previous_schema(db_path);
    int status[PROCESSES];
    char *out[PROCESSES];
    const char *const args[] = {"run", "--db", db_path, "--year", "2022", "--out", outbox, "--dry-run", NULL};
    run_at_once(status, out, args);
    int done = 0;
    for (int i = 0; i < PROCESSES; i++) {
        ck_assert_msg(status[i] == 0 || status[i] == 75, "process %d: exit %d", i, status[i]);
        done += status[i] == 0;
        free(out[i]);
    }
    ck_assert_int_ge(done, 1);
    ck_assert_int_eq(user_version(db_path), rb_db_schema_version());
    char *text = NULL;
    ck_assert_int_eq(ts_run_rebate(&text, NULL, "migrate", "--db", db_path, (char *)NULL), 0);
    ck_assert_msg(strstr(text, "up to date") != NULL, "%s", text);
    free(text);
}
END_TEST

START_TEST(read_only_commands_refuse_an_old_database_and_never_migrate_it)
{
    int previous = make_previous_schema(db_path);
    char *err = NULL;
    ck_assert_int_eq(ts_run_rebate(NULL, &err, "status", "--db", db_path, (char *)NULL), 65);
    ck_assert_msg(strstr(err, "rebate migrate") != NULL, "%s", err);
    free(err);
    ck_assert_int_eq(ts_run_rebate(NULL, &err, "params", "--db", db_path, "list", (char *)NULL), 65);
    ck_assert_msg(strstr(err, "rebate migrate") != NULL, "%s", err);
    free(err);
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "explain", "--db", db_path, "--year", "2022", "--uscc",
                                   "91110000600037341L", (char *)NULL),
                     65);
    ck_assert_int_eq(user_version(db_path), previous);
    /* A writing command migrates first. */
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "run", "--db", db_path, "--year", "2022", "--out", outbox, "--dry-run",
                                   (char *)NULL),
                     0);
    ck_assert_int_eq(user_version(db_path), rb_db_schema_version());
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "status", "--db", db_path, (char *)NULL), 0);
}
END_TEST

START_TEST(every_command_refuses_a_missing_database_and_creates_nothing)
{
    char *before = listing(work);
    static const char *const commands[][8] = {
        {"status", "--db", NULL},
        {"explain", "--db", NULL, "--year", "2022", "--uscc", "91110000600037341L"},
        {"run", "--db", NULL, "--year", "2022", "--out", "OUT"},
        {"import", "--db", NULL, "INBOX"},
        {"migrate", "--db", NULL},
        {"params", "--db", NULL, "list"},
        {"approve", "--db", NULL, "--batch", "2022-20260101-001", "--by", "x"},
        {"void", "--db", NULL, "--batch", "2022-20260101-001", "--by", "x"},
    };
    char missing[4300];
    snprintf(missing, sizeof missing, "%s/rebate-typo.db", work);
    fill_inbox();
    free(before);
    before = listing(work);
    for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++) {
        const char *a[8];
        for (int i = 0; i < 8; i++)
            a[i] = commands[c][i] == NULL && i == 2 ? missing
                   : commands[c][i] && strcmp(commands[c][i], "OUT") == 0 ? outbox
                   : commands[c][i] && strcmp(commands[c][i], "INBOX") == 0 ? inbox
                                                                            : commands[c][i];
        if (strcmp(a[0], "void") == 0) {
            ck_assert_int_eq(ts_run_rebate(NULL, NULL, a[0], a[1], a[2], a[3], a[4], a[5], a[6], "--reason", "r",
                                           (char *)NULL),
                             66);
            continue;
        }
        int rc = ts_run_rebate(NULL, NULL, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], (char *)NULL);
        ck_assert_msg(rc == 66, "%s: exit %d", a[0], rc);
    }
    char *after = listing(work);
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
}
END_TEST

START_TEST(a_mistyped_database_in_the_config_is_66_and_nothing_is_created_or_published)
{
    /* The ledger exists and has paid once. */
    ts_init_db(db_path);
    fill_inbox();
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "nightly", "--config", config, (char *)NULL), 0);
    ck_assert_int_eq(entries(outbox), 2); /* .rebate-ledger and the batch */
    /* The next night's config points at a path that does not exist. */
    char typo[4300], *err = NULL;
    snprintf(typo, sizeof typo, "%s/rebate-typo.db", work);
    write_config("typo.ini", typo, "2022");
    fill_inbox();
    char *before = listing(work), *outbox_before = listing(outbox);
    char typo_config[4300];
    snprintf(typo_config, sizeof typo_config, "%s/typo.ini", work);
    ck_assert_int_eq(ts_run_rebate(NULL, &err, "nightly", "--config", typo_config, (char *)NULL), 66);
    ck_assert_msg(strstr(err, typo) != NULL && strstr(err, "rebate init") != NULL, "%s", err);
    free(err);
    char *after = listing(work), *outbox_after = listing(outbox);
    ck_assert_str_eq(before, after);             /* nothing created, not even a lock file */
    ck_assert_str_eq(outbox_before, outbox_after); /* nothing published */
    ck_assert_int_eq(entries(inbox), 3);          /* nothing imported or archived */
    free(before);
    free(after);
    free(outbox_before);
    free(outbox_after);
}
END_TEST

START_TEST(a_second_database_pointed_at_the_same_outbox_is_refused_and_changes_nothing)
{
    ts_init_db(db_path);
    fill_inbox();
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "nightly", "--config", config, (char *)NULL), 0);
    char *id = NULL;
    char ledger_file[4300];
    snprintf(ledger_file, sizeof ledger_file, "%s/.rebate-ledger", outbox);
    id = ts_read_file(ledger_file, NULL);
    ck_assert_ptr_nonnull(id);
    ck_assert_int_eq(strlen(id), 33);

    /* Someone makes a second database (init works: it is a new ledger) and
     * points a night at the same outbox, with extracts waiting. */
    char second[4300], second_config[4300], *err = NULL;
    snprintf(second, sizeof second, "%s/second.db", work);
    snprintf(second_config, sizeof second_config, "%s/second.ini", work);
    ts_init_db(second);
    write_config("second.ini", second, "2022");
    fill_inbox();
    char *outbox_before = listing(outbox);
    ck_assert_int_eq(ts_run_rebate(NULL, &err, "nightly", "--config", second_config, (char *)NULL), 73);
    ck_assert_msg(strstr(err, "another ledger") == NULL || strstr(err, "ledger") != NULL, "%s", err);
    ck_assert_msg(strstr(err, outbox) != NULL, "%s", err);
    ck_assert_msg(strstr(err, "move") == NULL && strstr(err, "Move") == NULL, "advises moving: %s", err);
    free(err);
    /* Nothing imported into the second ledger, nothing archived, nothing
     * published. */
    ck_assert_int_eq(entries(inbox), 3);
    char *outbox_after = listing(outbox);
    ck_assert_str_eq(outbox_before, outbox_after);
    free(outbox_after);
    sqlite3 *db = ts_open_db(second);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM imports"), 0);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM batches"), 0);
    sqlite3_close(db);
    /* A manual run of it too, dry or not. */
    ck_assert_int_eq(ts_run_rebate(NULL, &err, "run", "--db", second, "--year", "2022", "--out", outbox, (char *)NULL),
                     73);
    ck_assert_msg(strstr(err, "move") == NULL, "advises moving: %s", err);
    free(err);
    ck_assert_int_eq(
        ts_run_rebate(NULL, NULL, "run", "--db", second, "--year", "2022", "--out", outbox, "--dry-run", (char *)NULL),
        73);
    outbox_after = listing(outbox);
    ck_assert_str_eq(outbox_before, outbox_after);
    free(outbox_after);
    char *id_after = ts_read_file(ledger_file, NULL);
    ck_assert_str_eq(id, id_after);
    free(id);
    free(id_after);
    free(outbox_before);

    /* The outbox of a ledger made before identities existed has batches
     * but no .rebate-ledger: a database that does not know them is refused
     * all the same. */
    ck_assert_int_eq(unlink(ledger_file), 0);
    ck_assert_int_eq(ts_run_rebate(NULL, &err, "run", "--db", second, "--year", "2022", "--out", outbox, (char *)NULL),
                     73);
    ck_assert_msg(strstr(err, "does not know") != NULL, "%s", err);
    free(err);
    ck_assert_int_eq(access(ledger_file, F_OK), -1);
    /* Its own ledger's next run writes it again. */
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "run", "--db", db_path, "--year", "2022", "--out", outbox, (char *)NULL),
                     0);
    ck_assert_int_eq(access(ledger_file, F_OK), 0);
}
END_TEST

START_TEST(previews_and_staging_folders_are_not_batches)
{
    ts_init_db(db_path);
    fill_inbox();
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", db_path, inbox, (char *)NULL), 0);
    char folder[4300];
    snprintf(folder, sizeof folder, "%s/PREVIEW-2022-20260101-001", outbox);
    ck_assert_int_eq(mkdir(folder, 0750), 0);
    snprintf(folder, sizeof folder, "%s/.staging-2022-20260101-009", outbox);
    ck_assert_int_eq(mkdir(folder, 0750), 0);
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "run", "--db", db_path, "--year", "2022", "--out", outbox, (char *)NULL),
                     0);
    /* Any other folder is taken for a batch this ledger does not know. */
    snprintf(folder, sizeof folder, "%s/2022-20260101-001", outbox);
    ck_assert_int_eq(mkdir(folder, 0750), 0);
    char *err = NULL;
    ck_assert_int_eq(ts_run_rebate(NULL, &err, "run", "--db", db_path, "--year", "2022", "--out", outbox, (char *)NULL),
                     73);
    ck_assert_msg(strstr(err, "2022-20260101-001") != NULL, "%s", err);
    free(err);
}
END_TEST

START_TEST(a_copied_database_is_allowed_but_its_status_warns_of_newer_batches)
{
    ts_init_db(db_path);
    fill_inbox();
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "nightly", "--config", config, (char *)NULL), 0);
    /* A copy of the database as it stands (same ledger, same identity). */
    char copy[4300];
    snprintf(copy, sizeof copy, "%s/copy.db", work);
    size_t len = 0;
    char *data = ts_read_file(db_path, &len);
    ts_write_file(work, "copy.db", data, len);
    free(data);
    char *out = NULL;
    ck_assert_int_eq(ts_run_rebate(&out, NULL, "status", "--db", copy, (char *)NULL), 0);
    ck_assert_msg(strstr(out, "warning") == NULL, "%s", out);
    free(out);
    /* The original publishes another batch (a manual run always does). */
    char *run_out = NULL;
    ck_assert_int_eq(
        ts_run_rebate(&run_out, NULL, "run", "--db", db_path, "--year", "2022", "--out", outbox, (char *)NULL), 0);
    free(run_out);
    sqlite3 *db = ts_open_db(db_path);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM batches"), 2);
    sqlite3_close(db);
    ck_assert_int_eq(ts_run_rebate(&out, NULL, "status", "--db", copy, (char *)NULL), 0);
    ck_assert_msg(strstr(out, "warning") != NULL && strstr(out, "does not know") != NULL, "%s", out);
    free(out);
    /* The original's status has nothing to warn of. */
    ck_assert_int_eq(ts_run_rebate(&out, NULL, "status", "--db", db_path, (char *)NULL), 0);
    ck_assert_msg(strstr(out, "warning") == NULL, "%s", out);
    free(out);
    /* The copy cannot publish: the outbox holds a batch it does not know. */
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "run", "--db", copy, "--year", "2022", "--out", outbox, (char *)NULL),
                     73);
}
END_TEST

static Suite *ledger_suite(void)
{
    Suite *s = suite_create("cli/ledger");
    TCase *tc = tcase_create("ledger");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, init_creates_the_database_once_and_never_changes_an_existing_one);
    tcase_add_test(tc, of_eight_inits_of_one_path_at_once_exactly_one_succeeds);
    tcase_add_test(tc, eight_processes_open_an_old_database_at_once_and_one_migrates);
    tcase_add_test(tc, eight_runs_at_once_on_an_old_database_migrate_it_once_and_never_fail_on_it);
    tcase_add_test(tc, read_only_commands_refuse_an_old_database_and_never_migrate_it);
    tcase_add_test(tc, every_command_refuses_a_missing_database_and_creates_nothing);
    tcase_add_test(tc, a_mistyped_database_in_the_config_is_66_and_nothing_is_created_or_published);
    tcase_add_test(tc, a_second_database_pointed_at_the_same_outbox_is_refused_and_changes_nothing);
    tcase_add_test(tc, previews_and_staging_folders_are_not_batches);
    tcase_add_test(tc, a_copied_database_is_allowed_but_its_status_warns_of_newer_batches);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(ledger_suite)
