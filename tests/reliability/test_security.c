/* Security: what rebate writes is readable by its owner and group only
 * (database, its -wal/-shm/lock files, batches, archive), whatever the
 * umask; no step follows a symlink planted in the outbox, archive, inbox or
 * beside the database; bank accounts are masked in everything printed on
 * the terminal; every text cell of every CSV written carries the formula
 * guard; and no SQL is built with printf-style formatting. */
#include "night.h"

#include "rebate/uscc.h"

static night n;
static char outside[NIGHT_PATH]; /* where planted symlinks point: must stay untouched */

static char codes[6][19];
/* Bank accounts of the firms, as the extract gives them. */
static const char *const accounts[6] = {"6222020708001111111", "6222020708002222222", "6222020708003333333",
                                        "6222020708004444444", "6222020708005555555", "12345"};

static void make_codes(void)
{
    for (int i = 0; i < 6; i++) {
        char first17[18];
        snprintf(first17, sizeof first17, "91210302MA00000%02d", i + 1);
        snprintf(codes[i], sizeof codes[i], "%s%c", first17, rb_uscc_check_char(first17));
    }
}

/* Months 2020-12 .. 2021-12, all paid: 5 staff, 150.00 + 150.00 a month. */
static void add_months(char *text, size_t size, const char *uscc)
{
    for (int p = 0; p <= 12; p++) {
        size_t len = strlen(text);
        snprintf(text + len, size - len, "%s,%d,5,150,150,150,150,0\n", uscc, p == 0 ? 202012 : 202100 + p);
    }
}

/* Six firms whose text fields start with formula characters:
 *   0 PAY: name and account name "=1+1…", bank "@SUM(A1)…"
 *   1 REVIEW NAME_MISMATCH: registered "-3+4…", unit "+2+3…", bank "+…"
 *   2 REG_MISSING: only a unit, named "@单位三…" (a tab before it is trimmed)
 *   3 DATA_CONFLICT: two unit rows with different accounts
 *   4 PAY with a plain name
 *   5 ACCOUNT_INVALID: a five-digit account
 * and a registration row whose uscc field is "=1+2" (a ROW exception). */
static void write_hostile_extracts(const char *dir)
{
    char reg[8192], units[8192], contributions[65536] = "";
    snprintf(reg, sizeof reg,
             "uscc,name,status,established_on,region_code\n"
             "%s,=1+1鞍山商贸有限公司,存续,2015-03-01,210302\n"
             "%s,-3+4鞍山五金有限公司,存续,2015-03-01,210302\n"
             "%s,鞍山市冲突商贸有限公司,存续,2015-03-01,210302\n"
             "%s,鞍山市平安物流有限公司,存续,2015-03-01,210302\n"
             "%s,鞍山市短号餐饮有限公司,存续,2015-03-01,210302\n"
             "=1+2,\t-负号公司,存续,2015-03-01,210302\n",
             codes[0], codes[1], codes[3], codes[4], codes[5]);
    snprintf(units, sizeof units,
             "uscc,unit_name,insured_on,ui_status,account_name,bank_name,bank_account,bank_code\n"
             "%s,=1+1鞍山商贸有限公司,2015-04-01,正常,=1+1鞍山商贸有限公司,@SUM(A1)银行鞍山分行,%s,102223000011\n"
             "%s,+2+3鞍山五金公司,2015-04-01,正常,-3+4鞍山五金有限公司,+工商银行鞍山分行,%s,102223000011\n"
             "%s,\t@单位三有限公司,2015-04-01,正常,@单位三有限公司,中国银行鞍山分行,%s,\n"
             "%s,鞍山市冲突商贸有限公司,2015-04-01,正常,鞍山市冲突商贸有限公司,中国银行鞍山分行,%s,\n"
             "%s,鞍山市冲突商贸有限公司,2015-04-01,正常,鞍山市冲突商贸有限公司,中国银行鞍山分行,%s,\n"
             "%s,鞍山市平安物流有限公司,2015-04-01,正常,鞍山市平安物流有限公司,中国银行鞍山分行,%s,\n"
             "%s,鞍山市短号餐饮有限公司,2015-04-01,正常,鞍山市短号餐饮有限公司,中国银行鞍山分行,%s,\n",
             codes[0], accounts[0], codes[1], accounts[1], codes[2], accounts[2], codes[3], accounts[3], codes[3],
             accounts[4], codes[4], accounts[4], codes[5], accounts[5]);
    strcpy(contributions, "uscc,period,insured_count,employer_due,employer_paid,employee_due,employee_paid,new_claimants\n");
    for (int i = 0; i < 6; i++)
        add_months(contributions, sizeof contributions, codes[i]);
    ts_write_file(dir, "registration.csv", reg, (size_t)-1);
    ts_write_file(dir, "insured_units.csv", units, (size_t)-1);
    ts_write_file(dir, "contributions.csv", contributions, (size_t)-1);
}

static void setup(void)
{
    make_codes();
    night_make(&n);
    write_hostile_extracts(n.inbox);
    night_path(outside, n.work, "outside");
    ck_assert_int_eq(mkdir(outside, 0700), 0);
    ts_write_file(outside, "keep.txt", "untouched\n", (size_t)-1);
}

static void teardown(void)
{
    ts_rmtree(n.work);
}

/* The folder `outside` still holds exactly keep.txt, unchanged. */
static void assert_outside_untouched(const char *what)
{
    size_t count = 0;
    char **names = night_list(outside, &count);
    ck_assert_msg(count == 1 && strcmp(names[0], "keep.txt") == 0, "%s: something was written outside (%zu entries)",
                  what, count);
    night_list_free(names, count);
    char path[NIGHT_PATH + 16];
    snprintf(path, sizeof path, "%s/keep.txt", outside);
    char *text = ts_read_file(path, NULL);
    ck_assert_msg(text != NULL && strcmp(text, "untouched\n") == 0, "%s: the file outside was changed", what);
    free(text);
}

static int nightly(char **out, char **err)
{
    return ts_run_rebate(out, err, "nightly", "--config", n.config, (char *)NULL);
}

static int run_year(char **err, const char *as_of)
{
    return ts_run_rebate(NULL, err, "run", "--db", n.db, "--year", "2022", "--out", n.outbox, "--as-of", as_of,
                         (char *)NULL);
}

/* ---- modes */

static mode_t mode_of(const char *path)
{
    struct stat sb;
    ck_assert_msg(lstat(path, &sb) == 0, "missing: %s", path);
    return sb.st_mode & 07777;
}

/* Every file of the folder whose name starts with prefix (the database and
 * its companions) has no permission for others. Returns how many. */
static int assert_private_companions(const char *dir, const char *prefix, const char *what)
{
    size_t count = 0;
    int checked = 0;
    char **names = night_list(dir, &count);
    for (size_t i = 0; i < count; i++) {
        if (strncmp(names[i], prefix, strlen(prefix)) != 0)
            continue;
        char path[NIGHT_PATH];
        night_path(path, dir, names[i]);
        ck_assert_msg((mode_of(path) & 0007) == 0, "%s: '%s' has mode %04o", what, names[i], mode_of(path));
        checked++;
    }
    night_list_free(names, count);
    return checked;
}

START_TEST(everything_written_is_for_owner_and_group_only_whatever_the_umask)
{
    /* The worst umask: every mode below is the program's own choice. */
    umask(0);
    /* Killed in the middle of its run: the -wal and -shm files it made,
     * and its staging folder, are left for inspection. */
    setenv("REBATE_CRASH_AT", "files-written", 1);
    ck_assert_int_eq(nightly(NULL, NULL), -SIGKILL);
    unsetenv("REBATE_CRASH_AT");
    char path[NIGHT_PATH + 100];
    snprintf(path, sizeof path, "%s-wal", n.db);
    ck_assert_int_eq(mode_of(path), 0640);
    snprintf(path, sizeof path, "%s-shm", n.db);
    ck_assert_int_eq(mode_of(path), 0640);
    ck_assert_int_eq(mode_of(n.db), 0640);
    snprintf(path, sizeof path, "%s.lock", n.db);
    ck_assert_int_eq(mode_of(path), 0640);
    ck_assert_int_ge(assert_private_companions(n.work, "rebate.db", "killed run"), 4);
    size_t count = 0;
    char **names = night_list(n.outbox, &count);
    ck_assert_int_eq(count, 1);
    ck_assert(strncmp(names[0], ".staging-", 9) == 0);
    night_path(path, n.outbox, names[0]);
    ck_assert_int_eq(mode_of(path), 0750);
    for (int i = 0; i < 3; i++) {
        char file[NIGHT_PATH + 200];
        snprintf(file, sizeof file, "%s/%s", path, night_batch_files[i]);
        ck_assert_int_eq(mode_of(file), 0640);
    }
    night_list_free(names, count);

    /* The next night finishes; its batch and the archive. */
    ck_assert_int_eq(nightly(NULL, NULL), 0);
    ck_assert_int_eq(mode_of(n.db), 0640);
    assert_private_companions(n.work, "rebate.db", "finished night");
    names = night_list(n.outbox, &count);
    ck_assert_int_eq(count, 1);
    night_path(path, n.outbox, names[0]);
    ck_assert_int_eq(mode_of(path), 0750);
    for (int i = 0; i < NIGHT_BATCH_FILES; i++) {
        char file[NIGHT_PATH + 200];
        snprintf(file, sizeof file, "%s/%s", path, night_batch_files[i]);
        ck_assert_int_eq(mode_of(file), 0640);
    }
    night_list_free(names, count);
    ck_assert_int_eq(mode_of(n.archive), 0750);
    names = night_list(n.archive, &count);
    ck_assert_int_eq(count, 1);
    night_path(path, n.archive, names[0]);
    ck_assert_int_eq(mode_of(path), 0750);
    night_list_free(names, count);
    /* A dry run's preview too. */
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "run", "--db", n.db, "--year", "2022", "--out", n.outbox, "--dry-run",
                                   (char *)NULL),
                     0);
    names = night_list(n.outbox, &count);
    for (size_t i = 0; i < count; i++) {
        night_path(path, n.outbox, names[i]);
        ck_assert_int_eq(mode_of(path), 0750);
    }
    night_list_free(names, count);
}
END_TEST

/* ---- symlinks */

START_TEST(symlink_named_like_the_next_staging_folder_is_refused_and_its_target_untouched)
{
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", n.db, n.inbox, (char *)NULL), 0);
    char link[NIGHT_PATH];
    night_path(link, n.outbox, ".staging-2022-20261127-001");
    ck_assert_int_eq(symlink(outside, link), 0);
    char *err = NULL;
    ck_assert_int_eq(run_year(&err, "2026-11-27"), 73);
    ck_assert_msg(strstr(err, ".staging-2022-20261127-001") && strstr(err, "symbolic link"), "message: %s", err);
    free(err);
    assert_outside_untouched("staging symlink");
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM payments"), 0);
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM batches"), 0);
    /* Once a person removed it, the run goes through. */
    ck_assert_int_eq(unlink(link), 0);
    ck_assert_int_eq(run_year(NULL, "2026-11-27"), 0);
    night_check(&n, true, false, "after the staging symlink", NULL);
}
END_TEST

START_TEST(symlink_named_like_the_next_batch_is_refused_and_its_target_untouched)
{
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", n.db, n.inbox, (char *)NULL), 0);
    char link[NIGHT_PATH];
    night_path(link, n.outbox, "2022-20261127-001");
    ck_assert_int_eq(symlink(outside, link), 0);
    char *err = NULL;
    ck_assert_int_eq(run_year(&err, "2026-11-27"), 73);
    ck_assert_msg(strstr(err, "2022-20261127-001") && strstr(err, "already exists"), "message: %s", err);
    free(err);
    assert_outside_untouched("batch symlink");
    ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM payments"), 0);
    /* No staging folder was left behind either. */
    size_t count = 0;
    char **names = night_list(n.outbox, &count);
    night_list_free(names, count);
    ck_assert_int_eq(count, 1);
}
END_TEST

START_TEST(symlinks_named_like_the_next_archive_folders_are_stepped_around)
{
    /* Every name the archive could take in the next minute, and its
     * .moving- twin, is a symlink to outside. */
    ck_assert_int_eq(mkdir(n.archive, 0750), 0);
    time_t now = time(NULL);
    for (int s = 0; s < 60; s++) {
        time_t t = now + s;
        struct tm tm;
        char stamp[32], link[NIGHT_PATH + 64];
        localtime_r(&t, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        snprintf(link, sizeof link, "%s/%s", n.archive, stamp);
        ck_assert_int_eq(symlink(outside, link), 0);
        snprintf(link, sizeof link, "%s/.moving-%s", n.archive, stamp);
        ck_assert_int_eq(symlink(outside, link), 0);
    }
    ck_assert_int_eq(nightly(NULL, NULL), 0);
    assert_outside_untouched("archive symlinks");
    /* The extracts went into a real folder of their own. */
    size_t count = 0, real = 0;
    char **names = night_list(n.archive, &count);
    for (size_t i = 0; i < count; i++) {
        char path[NIGHT_PATH];
        night_path(path, n.archive, names[i]);
        struct stat sb;
        ck_assert_int_eq(lstat(path, &sb), 0);
        if (S_ISDIR(sb.st_mode)) {
            real++;
            char file[NIGHT_PATH + 32];
            snprintf(file, sizeof file, "%s/registration.csv", path);
            ck_assert_int_eq(lstat(file, &sb), 0);
        }
    }
    night_list_free(names, count);
    ck_assert_int_eq(real, 1);
}
END_TEST

START_TEST(symlink_posing_as_an_interrupted_archive_move_is_not_followed)
{
    /* A planted .moving- "folder" holding registration.csv, and the inbox
     * holding the other two: just what a night killed while moving would
     * leave, but through a symlink. */
    ck_assert_int_eq(mkdir(n.archive, 0750), 0);
    char link[NIGHT_PATH + 64], path[NIGHT_PATH];
    snprintf(link, sizeof link, "%s/.moving-20200101-000000", n.archive);
    ck_assert_int_eq(symlink(outside, link), 0);
    night_path(path, n.inbox, "registration.csv");
    ck_assert_int_eq(unlink(path), 0);
    char *err = NULL;
    ck_assert_int_eq(nightly(NULL, &err), 66);
    ck_assert_msg(strstr(err, ".moving-20200101-000000") && strstr(err, "not a folder"), "message: %s", err);
    free(err);
    assert_outside_untouched("planted .moving- symlink");
    size_t count = 0;
    char **names = night_list(n.inbox, &count);
    night_list_free(names, count);
    ck_assert_int_eq(count, 2);
}
END_TEST

START_TEST(symlinked_extract_in_the_inbox_is_refused_unread)
{
    char secret[NIGHT_PATH], path[NIGHT_PATH];
    night_path(secret, outside, "keep.txt");
    night_path(path, n.inbox, "registration.csv");
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(symlink(secret, path), 0);
    char *err = NULL;
    ck_assert_int_eq(nightly(NULL, &err), 66);
    ck_assert_msg(strstr(err, "registration.csv") && strstr(err, "symlink"), "message: %s", err);
    free(err);
    assert_outside_untouched("inbox symlink");
    /* Nothing was imported from it. */
    struct stat sb;
    if (stat(n.db, &sb) == 0)
        ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM imports"), 0);
}
END_TEST

START_TEST(outbox_or_archive_that_is_a_symlink_stops_the_night_before_anything_changes)
{
    static const char *const roles[] = {"outbox", "archive"};
    for (int i = 0; i < 2; i++) {
        char *folder = i == 0 ? n.outbox : n.archive;
        rmdir(folder);
        ck_assert_int_eq(symlink(outside, folder), 0);
        char *err = NULL;
        ck_assert_int_eq(nightly(NULL, &err), 73);
        ck_assert_msg(strstr(err, folder) && strstr(err, "symbolic link"), "%s: %s", roles[i], err);
        free(err);
        assert_outside_untouched(roles[i]);
        ck_assert_int_eq(night_int(n.db, "SELECT count(*) FROM imports"), 0);
        size_t count = 0;
        char **names = night_list(n.inbox, &count);
        night_list_free(names, count);
        ck_assert_int_eq(count, 3);
        ck_assert_int_eq(unlink(folder), 0);
        ck_assert_int_eq(mkdir(folder, 0750), 0);
    }
    ck_assert_int_eq(nightly(NULL, NULL), 0);
}
END_TEST

/* Symlinks planted in place of the database's companion files: whatever
 * rebate does, it must not write through them. */
START_TEST(symlinks_beside_the_database_are_never_written_through)
{
    /* Nights without extracts from here: the planted files are the test. */
    ck_assert_int_eq(nightly(NULL, NULL), 0);
    static const char *const companions[] = {".lock", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof companions / sizeof companions[0]; i++) {
        char link[NIGHT_PATH + 16], target[NIGHT_PATH];
        snprintf(link, sizeof link, "%s%s", n.db, companions[i]);
        night_path(target, outside, "keep.txt");
        unlink(link);
        ck_assert_int_eq(symlink(target, link), 0);
        char *err = NULL;
        int rc = nightly(NULL, &err);
        assert_outside_untouched(companions[i]);
        if (rc != 0)
            ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "%s: exit %d: %s", companions[i], rc, err);
        free(err);
        unlink(link);
    }
    /* The database itself as a symlink: refused. */
    char moved[NIGHT_PATH];
    night_path(moved, outside, "real.db");
    ck_assert_int_eq(rename(n.db, moved), 0);
    ck_assert_int_eq(symlink(moved, n.db), 0);
    struct stat before, after;
    ck_assert_int_eq(stat(moved, &before), 0);
    char *err = NULL;
    ck_assert_int_ne(nightly(NULL, &err), 0);
    free(err);
    ck_assert_int_eq(stat(moved, &after), 0);
    ck_assert(before.st_mtime == after.st_mtime && before.st_size == after.st_size);
}
END_TEST

/* ---- what the terminal shows */

/* Fails when text holds a whole account, or all of it but the last four
 * digits (a mask keeps those only). */
static void assert_no_account(const char *text, const char *what)
{
    if (text == NULL)
        return;
    for (int i = 0; i < 6; i++) {
        size_t len = strlen(accounts[i]);
        if (len < 8)
            continue; /* too short to tell from other numbers */
        ck_assert_msg(strstr(text, accounts[i]) == NULL, "%s shows the account %s:\n%s", what, accounts[i], text);
        if (len >= 12) {
            char head[40];
            snprintf(head, sizeof head, "%.*s", (int)(len - 4), accounts[i]);
            ck_assert_msg(strstr(text, head) == NULL, "%s shows most of the account %s:\n%s", what, accounts[i],
                          text);
        }
    }
}

START_TEST(bank_accounts_are_masked_on_the_terminal)
{
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(nightly(&out, &err), 0);
    assert_no_account(out, "nightly");
    assert_no_account(err, "nightly");
    free(out);
    free(err);
    write_hostile_extracts(n.inbox);
    ck_assert_int_eq(ts_run_rebate(&out, &err, "import", "--db", n.db, n.inbox, (char *)NULL), 0);
    assert_no_account(out, "import");
    assert_no_account(err, "import");
    free(out);
    free(err);
    ck_assert_int_eq(ts_run_rebate(&out, &err, "run", "--db", n.db, "--year", "2022", "--out", n.outbox,
                                   (char *)NULL),
                     0);
    assert_no_account(out, "run");
    assert_no_account(err, "run");
    free(out);
    free(err);
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(ts_run_rebate(&out, &err, "explain", "--db", n.db, "--year", "2022", "--uscc", codes[i],
                                       (char *)NULL),
                         0);
        char what[64];
        snprintf(what, sizeof what, "explain of firm %d", i);
        assert_no_account(out, what);
        assert_no_account(err, what);
        /* Masked, not left out: the last four digits are what a clerk
         * reads back to the caller. */
        char masked[16];
        snprintf(masked, sizeof masked, "****%s", i == 5 ? "" : accounts[i == 3 ? 4 : i] + 15);
        ck_assert_msg(strstr(out, masked) != NULL, "%s does not show %s:\n%s", what, masked, out);
        if (i == 3) {
            /* The conflicting rows name both accounts, masked. */
            ck_assert_msg(strstr(out, "****4444") != NULL && strstr(out, "****5555") != NULL, "%s:\n%s", what, out);
        }
        free(out);
        free(err);
    }
    /* The batch files keep the whole number: finance pays from them. */
    size_t count = 0;
    char **names = night_list(n.outbox, &count);
    char path[NIGHT_PATH + 100];
    snprintf(path, sizeof path, "%s/%s/payout.csv", n.outbox, names[0]);
    night_list_free(names, count);
    char *payout = ts_read_file(path, NULL);
    ck_assert_ptr_nonnull(strstr(payout, accounts[0]));
    free(payout);
}
END_TEST

/* ---- the formula guard */

/* Every cell of a CSV that starts with = + - @ tab or CR must be a number
 * (a money column); returns how many cells carry the guard ('). */
static int assert_guarded(const char *path)
{
    csv_table t;
    ck_assert_msg(csv_table_read(path, &t), "cannot parse %s", path);
    int guarded = 0;
    for (size_t r = 0; r < t.n_rows; r++)
        for (size_t c = 0; c < t.widths[r]; c++) {
            const char *cell = t.rows[r][c];
            if (cell[0] == '\'')
                guarded++;
            if (cell[0] == '\0' || strchr("=+-@\t\r", cell[0]) == NULL)
                continue;
            rb_fen fen = 0;
            ck_assert_msg(cell[0] == '-' && rb_money_parse(cell + 1, strlen(cell + 1), &fen) == RB_MONEY_OK,
                          "%s row %zu column %zu starts with a formula character: %s", path, r + 1, c + 1, cell);
        }
    csv_table_free(&t);
    return guarded;
}

/* True when some cell of the CSV equals text. */
static bool csv_has_cell(const char *path, const char *text)
{
    csv_table t;
    ck_assert(csv_table_read(path, &t));
    bool found = false;
    for (size_t r = 0; r < t.n_rows && !found; r++)
        for (size_t c = 0; c < t.widths[r] && !found; c++)
            found = strcmp(t.rows[r][c], text) == 0;
    csv_table_free(&t);
    return found;
}

START_TEST(formula_guard_covers_every_text_cell_of_every_csv)
{
    /* A preview first, then the night: both pay firm 0. */
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", n.db, n.inbox, (char *)NULL), 0);
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "run", "--db", n.db, "--year", "2022", "--out", n.outbox,
                                   "--dry-run", (char *)NULL),
                     0);
    ck_assert_int_eq(nightly(NULL, NULL), 0);
    size_t count = 0;
    char **names = night_list(n.outbox, &count);
    ck_assert_int_eq(count, 2);
    for (size_t b = 0; b < count; b++) {
        char dir[NIGHT_PATH], path[NIGHT_PATH + 32];
        night_path(dir, n.outbox, names[b]);
        int guarded = 0;
        for (int f = 0; f < 3; f++) {
            snprintf(path, sizeof path, "%s/%s", dir, night_batch_files[f]);
            guarded += assert_guarded(path);
        }
        /* The hostile values are there, guarded, in each file they go to. */
        snprintf(path, sizeof path, "%s/payout.csv", dir);
        ck_assert(csv_has_cell(path, "'=1+1鞍山商贸有限公司"));
        ck_assert(csv_has_cell(path, "'@SUM(A1)银行鞍山分行"));
        snprintf(path, sizeof path, "%s/decisions.csv", dir);
        ck_assert(csv_has_cell(path, "'-3+4鞍山五金有限公司"));
        ck_assert(csv_has_cell(path, "'@单位三有限公司"));
        snprintf(path, sizeof path, "%s/exceptions.csv", dir);
        ck_assert(csv_has_cell(path, "'-3+4鞍山五金有限公司"));
        ck_assert(csv_has_cell(path, "'=1+2"));
        ck_assert_int_ge(guarded, 8);
    }
    night_list_free(names, count);
}
END_TEST

/* ---- SQL is never built with printf-style formatting */

/* The functions that build strings; SQL text passed to one of them is SQL
 * being built rather than a fixed statement with ? parameters. */
static const char *const builders[] = {"snprintf", "sprintf", "vsnprintf", "vsprintf", "asprintf", "vasprintf",
                                       "strcat", "strncat", "strcpy", "memcpy", "rb_strbuf_addf", "rb_strbuf_adds",
                                       "rb_strbuf_add", "sqlite3_mprintf", "sqlite3_vmprintf", "sqlite3_snprintf",
                                       "sqlite3_str_appendf", "sqlite3_str_appendall", "sqlite3_str_append"};
static const char *const sql_words[] = {"SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "PRAGMA", "CREATE",
                                        "DROP", "ALTER", "ATTACH", "WHERE", "VALUES", "VACUUM"};

static bool word_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* True when the text holds an SQL keyword as a whole upper-case word
 * (other than PRAGMA when pragma_too is false). */
static bool has_sql_word(const char *begin, const char *end, bool pragma_too)
{
    for (size_t w = 0; w < sizeof sql_words / sizeof sql_words[0]; w++) {
        if (!pragma_too && strcmp(sql_words[w], "PRAGMA") == 0)
            continue;
        size_t len = strlen(sql_words[w]);
        for (const char *p = begin; p + len <= end; p++)
            if (memcmp(p, sql_words[w], len) == 0 && (p == begin || !word_char(p[-1])) &&
                (p + len == end || !word_char(p[len])))
                return true;
    }
    return false;
}

/* Whether the text's printf conversions are all integer ones (%d, %i, %u,
 * with l/ll/z; %% is no conversion), and whether each of those follows a
 * '?' (a numbered placeholder, "?%zu"). */
static void conversions(const char *begin, const char *end, bool *integers_only, bool *placeholders_only)
{
    *integers_only = *placeholders_only = true;
    for (const char *p = begin; p < end; p++) {
        if (*p != '%')
            continue;
        bool after_mark = p > begin && p[-1] == '?';
        p++;
        if (p < end && *p == '%')
            continue;
        while (p < end && strchr("-+ #0123456789.*lhz", *p) != NULL)
            p++;
        if (p >= end || strchr("diu", *p) == NULL)
            *integers_only = false;
        if (!after_mark)
            *placeholders_only = false;
    }
}

/* The rule: SQL is fixed text with bound parameters. It may be assembled
 * from string literals (an IN list of numbered placeholders "?%zu" for a
 * variable number of values, say), but never given text by a conversion
 * (%s, %c, %Q ...), never open a quoted SQL string for data to follow,
 * and never take a number except as a placeholder's number, or in a
 * PRAGMA, which takes no bound parameter (a number of the program cannot
 * inject anything). */
static bool builds_sql(const char *literals, size_t len)
{
    const char *end = literals + len;
    if (!has_sql_word(literals, end, true))
        return false;
    bool integers_only, placeholders_only;
    conversions(literals, end, &integers_only, &placeholders_only);
    if (!integers_only || memchr(literals, '\'', len) != NULL)
        return true;
    return has_sql_word(literals, end, false) && !placeholders_only;
}

/* Scans C source for a call of a string builder whose arguments hold a
 * string literal with SQL in it; returns the number found and describes
 * the first in *found. Comments are skipped. */
static int sql_built_by_formatting(const char *source, char *found, size_t found_size)
{
    int hits = 0;
    size_t len = strlen(source);
    char *code = malloc(len + 1);
    ck_assert_ptr_nonnull(code);
    /* Blank out comments, keeping line structure and string literals. */
    for (size_t i = 0; i <= len; i++)
        code[i] = source[i];
    for (size_t i = 0; i < len; i++) {
        if (code[i] == '"') {
            for (i++; i < len && code[i] != '"'; i++)
                if (code[i] == '\\')
                    i++;
        } else if (code[i] == '\'') {
            for (i++; i < len && code[i] != '\''; i++)
                if (code[i] == '\\')
                    i++;
        } else if (code[i] == '/' && code[i + 1] == '*') {
            for (; i + 1 < len && !(code[i] == '*' && code[i + 1] == '/'); i++)
                if (code[i] != '\n')
                    code[i] = ' ';
            code[i] = code[i + 1] = ' ';
        } else if (code[i] == '/' && code[i + 1] == '/') {
            for (; i < len && code[i] != '\n'; i++)
                code[i] = ' ';
        }
    }
    for (size_t b = 0; b < sizeof builders / sizeof builders[0]; b++) {
        size_t blen = strlen(builders[b]);
        for (const char *p = code; (p = strstr(p, builders[b])) != NULL; p += blen) {
            const char *q = p + blen;
            if ((p > code && word_char(p[-1])) || word_char(*q))
                continue;
            while (*q == ' ' || *q == '\t' || *q == '\n')
                q++;
            if (*q != '(')
                continue;
            /* The call's arguments, to the matching parenthesis. */
            int depth = 0;
            const char *end = q;
            for (; *end != '\0'; end++) {
                if (*end == '\'') {
                    for (end++; *end != '\0' && *end != '\''; end++)
                        if (*end == '\\' && end[1] != '\0')
                            end++;
                    continue;
                }
                if (*end == '"') {
                    for (end++; *end != '\0' && *end != '"'; end++)
                        if (*end == '\\' && end[1] != '\0')
                            end++;
                    continue;
                }
                if (*end == '(')
                    depth++;
                else if (*end == ')' && --depth == 0)
                    break;
            }
            /* Its string literals, joined as the compiler joins them. */
            char *literals = malloc((size_t)(end - q) + 1);
            ck_assert_ptr_nonnull(literals);
            size_t n_literals = 0;
            for (const char *s = q; s < end; s++) {
                if (*s != '"')
                    continue;
                const char *e = s + 1;
                while (e < end && *e != '"') {
                    if (*e == '\\')
                        e++;
                    e++;
                }
                memcpy(literals + n_literals, s + 1, (size_t)(e - s - 1));
                n_literals += (size_t)(e - s - 1);
                s = e;
            }
            if (builds_sql(literals, n_literals) && hits++ == 0) {
                int line = 1;
                for (const char *c = code; c < p; c++)
                    line += *c == '\n';
                snprintf(found, found_size, "line %d: %s(\"%.*s\" ...)", line, builders[b],
                         (int)(n_literals < 200 ? n_literals : 200), literals);
            }
            free(literals);
        }
    }
    free(code);
    return hits;
}

/* Every .c and .h file under dir (recursively) is scanned. */
static int scan_tree(const char *dir, char *found, size_t found_size, int *files)
{
    int hits = 0;
    size_t count = 0;
    char **names = night_list(dir, &count);
    for (size_t i = 0; i < count; i++) {
        char path[NIGHT_PATH];
        night_path(path, dir, names[i]);
        struct stat sb;
        if (stat(path, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode)) {
            hits += scan_tree(path, found, found_size, files);
            continue;
        }
        size_t len = strlen(names[i]);
        if (len < 2 || names[i][len - 2] != '.' || (names[i][len - 1] != 'c' && names[i][len - 1] != 'h'))
            continue;
        char *source = ts_read_file(path, NULL);
        ck_assert_ptr_nonnull(source);
        char here[1024];
        int n_here = sql_built_by_formatting(source, here, sizeof here);
        if (n_here > 0 && hits == 0 && snprintf(found, found_size, "%s %s", path, here) < 0)
            found[0] = '\0';
        hits += n_here;
        (*files)++;
        free(source);
    }
    night_list_free(names, count);
    return hits;
}

START_TEST(sql_check_catches_statements_built_with_formatting)
{
    char found[2048] = "";
    /* A test that cannot fail is a defect: the check sees these. */
    static const char *const bad[] = {
        "snprintf(sql, sizeof sql, \"SELECT * FROM payments WHERE uscc = '%s'\", uscc);",
        "rb_strbuf_addf(&q,\n    \"DELETE FROM batches\"\n    \" WHERE batch_id = '%s'\", id);",
        "char *sql = sqlite3_mprintf(\"INSERT INTO runs VALUES (%Q)\", who);",
        "strcat(sql, \" WHERE name = '\");",
        "snprintf(sql, sizeof sql, \"PRAGMA key = '%s'\", passphrase);",
        "snprintf(sql, n, \"PRAGMA cache_size = %d; SELECT %d\", a, b);",
        "snprintf(sql, n, \"SELECT * FROM payments WHERE attempt = %d\", attempt);",
        "rb_strbuf_adds(&sql, \"SELECT * FROM payments WHERE state = 'x\");",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(sql_built_by_formatting(bad[i], found, sizeof found) == 1, "missed: %s", bad[i]);
    static const char *const good[] = {
        "sqlite3_prepare_v2(db, \"SELECT count(*) FROM payments WHERE uscc = ?\", -1, &st, NULL);",
        "snprintf(what, sizeof what, \"running sql/%s\", name);",
        "/* snprintf(sql, n, \"SELECT %s\", x) in a comment */",
        "snprintf(sql, sizeof sql, \"PRAGMA user_version = %d\", n);",
        "snprintf(p, sizeof p, \"PRAGMA page_size = 16384;\"\n \"PRAGMA cache_size = -%lld;\", kib);",
        "snprintf(msg, sizeof msg, \"cannot read 'SELECTED.csv'\");",
        "snprintf(buf, n, \"%c\", ')'); sqlite3_prepare_v2(db, \"SELECT 1\", -1, &st, NULL);",
        "rb_strbuf_adds(&sql, \"SELECT uscc FROM row_errors WHERE uscc IN (\");",
        "rb_strbuf_addf(&sql, \"%s?%zu\", i ? \", \" : \"\", i + 1);",
        "rb_strbuf_addf(&sql, \" WHERE uscc IN (?%zu\", i + 1);",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ck_assert_msg(sql_built_by_formatting(good[i], found, sizeof found) == 0, "wrongly flagged: %s", good[i]);
}
END_TEST

START_TEST(no_sql_is_built_with_formatting_in_the_sources)
{
    char found[2048] = "", dir[4200];
    int files = 0, hits = 0;
    static const char *const trees[] = {"src", "include", "bench"};
    for (size_t t = 0; t < sizeof trees / sizeof trees[0]; t++) {
        snprintf(dir, sizeof dir, "%s/%s", REBATE_SOURCE_DIR, trees[t]);
        hits += scan_tree(dir, found, sizeof found, &files);
    }
    ck_assert_int_gt(files, 30);
    ck_assert_msg(hits == 0, "%d SQL statement(s) built with formatting; bind parameters instead. First: %s", hits,
                  found);
}
END_TEST

static Suite *security_suite(void)
{
    Suite *s = suite_create("reliability/security");
    TCase *tc = tcase_create("security");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, everything_written_is_for_owner_and_group_only_whatever_the_umask);
    tcase_add_test(tc, symlink_named_like_the_next_staging_folder_is_refused_and_its_target_untouched);
    tcase_add_test(tc, symlink_named_like_the_next_batch_is_refused_and_its_target_untouched);
    tcase_add_test(tc, symlinks_named_like_the_next_archive_folders_are_stepped_around);
    tcase_add_test(tc, symlink_posing_as_an_interrupted_archive_move_is_not_followed);
    tcase_add_test(tc, symlinked_extract_in_the_inbox_is_refused_unread);
    tcase_add_test(tc, outbox_or_archive_that_is_a_symlink_stops_the_night_before_anything_changes);
    tcase_add_test(tc, symlinks_beside_the_database_are_never_written_through);
    tcase_add_test(tc, bank_accounts_are_masked_on_the_terminal);
    tcase_add_test(tc, formula_guard_covers_every_text_cell_of_every_csv);
    tcase_add_test(tc, sql_check_catches_statements_built_with_formatting);
    tcase_add_test(tc, no_sql_is_built_with_formatting_in_the_sources);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(security_suite)
