/* Tests of a policy year's parameter file (src/rules/params_file.c) and of
 * `rebate params` (src/cli/cmd_params.c, src/store/params_store.c): the
 * shipped example accepted as shipped, every key checked, a row refused
 * when its year has one, replaced only while no batch used it, the event
 * log, and `policy_year = auto` without a row found before the import. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rebate/params_file.h"
#include "test_support.h"

static char work[4096], db_path[4200];

static void setup(void)
{
    snprintf(work, sizeof work, "%s", ts_tmpdir());
    snprintf(db_path, sizeof db_path, "%s/rebate.db", work);
    ts_init_db(db_path);
}

static void teardown(void)
{
    ts_rmtree(work);
}

static const char *example(void)
{
    static char path[4300];
    snprintf(path, sizeof path, "%s/data/params/example-2026.ini", REBATE_SOURCE_DIR);
    return path;
}

/* The shipped example with one line replaced (key = value), or a line
 * dropped (value NULL), or a line added (key not in the file), written as
 * work/<name>; returns its path. */
static const char *variant(const char *name, const char *key, const char *value)
{
    char *text = ts_read_file(example(), NULL);
    ck_assert_ptr_nonnull(text);
    char *out = malloc(strlen(text) + 4096);
    ck_assert_ptr_nonnull(out);
    out[0] = '\0';
    bool found = false;
    size_t klen = strlen(key);
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line + 1) : strlen(line);
        bool match = strncmp(line, key, klen) == 0 && (line[klen] == ' ' || line[klen] == '=');
        if (match) {
            found = true;
            if (value != NULL)
                sprintf(out + strlen(out), "%s = %s\n", key, value);
            /* a continued value goes with its key */
            while (end && (end[1] == ' ' || end[1] == '\t')) {
                char *next = strchr(end + 1, '\n');
                len = next ? (size_t)(next - line + 1) : strlen(line);
                end = next;
            }
        } else {
            strncat(out, line, len);
        }
        line += len;
    }
    if (!found && value != NULL)
        sprintf(out + strlen(out), "%s = %s\n", key, value);
    ts_write_file(work, name, out, (size_t)-1);
    free(out);
    free(text);
    static char path[4300];
    snprintf(path, sizeof path, "%s/%s", work, name);
    return path;
}

static void expect_refused(const char *path, const char *says)
{
    rb_params_row row;
    rb_error err = {0};
    ck_assert_int_eq(rb_params_file_read(path, &row, &err), RB_E_DATA);
    ck_assert_msg(strstr(err.message, path) != NULL && strstr(err.message, says) != NULL, "%s", err.message);
}

START_TEST(the_shipped_example_is_a_complete_row_for_2026)
{
    rb_params_row row;
    rb_error err = {0};
    ck_assert_msg(rb_params_file_read(example(), &row, &err) == RB_OK, "%s", err.message);
    ck_assert_int_eq(row.policy_year, 2026);
    ck_assert_int_eq(row.rate_smm_pct, 60);
    ck_assert_int_eq(row.rate_large_pct, 30);
    ck_assert_int_eq(row.layoff_target_permille, 55);
    ck_assert_int_eq(row.small_unit_layoff_cap_permille, 200);
    ck_assert_str_eq(row.full_months_rule, "data_year");
    ck_assert_int_eq(row.tax_account_allowed, 1);
    ck_assert_str_eq(row.layoff_method, "claimants");
    ck_assert_int_eq(row.scope_max_headcount, 10);
    ck_assert_int_eq(row.small_unit_max_headcount, 30);
    ck_assert_int_eq(row.min_full_months, 12);
    ck_assert_int_eq(row.large_firm_min_headcount, 300);
    ck_assert_int_eq(row.review_amount_fen, 2000000);
    ck_assert_str_eq(row.headcount_basis, "december");
    /* The continuation line is joined to the reference. */
    ck_assert_msg(strstr(row.legal_reference, "延续至2026年") && strstr(row.legal_reference, "替换本行"), "%s",
                  row.legal_reference);
    /* Every key of the example carries a comment just above it. */
    char *text = ts_read_file(example(), NULL);
    int keys = 0;
    const char *previous = "";
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        bool is_key = line[0] != ';' && line[0] != '[' && line[0] != ' ' && strchr(line, '=') != NULL;
        if (is_key) {
            keys++;
            ck_assert_msg(previous[0] == ';', "the key '%.40s' has no comment above it", line);
        }
        previous = line;
    }
    ck_assert_int_eq(keys, 15);
    free(text);
}
END_TEST

START_TEST(a_row_is_checked_whole_and_each_mistake_is_named_by_file_line_and_key)
{
    expect_refused(variant("a.ini", "rate_smm_pct", "101"), "key 'rate_smm_pct': 101 is not from 0 to 100");
    expect_refused(variant("b.ini", "rate_large_pct", "-1"), "key 'rate_large_pct'");
    expect_refused(variant("c.ini", "layoff_target_permille", "1001"), "key 'layoff_target_permille'");
    expect_refused(variant("d.ini", "full_months_rule", "yearly"), "'yearly' is not cumulative or data_year");
    expect_refused(variant("e.ini", "tax_account_allowed", "1"), "'1' is not yes or no");
    expect_refused(variant("f.ini", "layoff_method", "stock"), "key 'layoff_method'");
    expect_refused(variant("g.ini", "scope_max_headcount", "0"), "key 'scope_max_headcount'");
    expect_refused(variant("h.ini", "min_full_months", "121"), "key 'min_full_months'");
    expect_refused(variant("i.ini", "review_amount", "20000.001"), "key 'review_amount'");
    expect_refused(variant("j.ini", "headcount_basis", "mean"), "key 'headcount_basis'");
    expect_refused(variant("k.ini", "policy_year", "1999"), "key 'policy_year'");
    expect_refused(variant("l.ini", "legal_reference", ""), "key 'legal_reference': is empty");
    expect_refused(variant("m.ini", "rate_smm_pct", "6O"), "'6O' is not a whole number");
    /* Unknown and missing keys, a key given twice. */
    expect_refused(variant("n.ini", "rate_tiny_pct", "5"), "key 'rate_tiny_pct': unknown key");
    expect_refused(variant("o.ini", "min_full_months", NULL), "key 'min_full_months' is missing");
    const char *twice = variant("p.ini", "zzz", NULL);
    FILE *f = fopen(twice, "a");
    fputs("rate_smm_pct = 60\n", f);
    fclose(f);
    expect_refused(twice, "given twice");
    /* A line inih would cut is refused, naming what to do instead. */
    char long_value[300];
    memset(long_value, 'x', sizeof long_value - 1);
    long_value[sizeof long_value - 1] = '\0';
    expect_refused(variant("r.ini", "legal_reference", long_value),
                   "longer than 198 bytes (continue a long legal_reference on indented lines)");
    /* The line is named: the unknown key is the last line of n.ini. */
    rb_params_row row;
    rb_error err = {0};
    char *text = ts_read_file(variant("q.ini", "rate_tiny_pct", "5"), NULL);
    int lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    free(text);
    char says[64];
    snprintf(says, sizeof says, "line %d, key 'rate_tiny_pct'", lines);
    ck_assert_int_eq(rb_params_file_read(variant("q.ini", "rate_tiny_pct", "5"), &row, &err), RB_E_DATA);
    ck_assert_msg(strstr(err.message, says) != NULL, "%s", err.message);
    /* Only the legal reference may continue on an indented line. */
    const char *continued = variant("r.ini", "rate_smm_pct", "60\n    5");
    expect_refused(continued, "only legal_reference may go on");
    /* A key outside [policy_params]. */
    const char *outside = variant("s.ini", "zzz", NULL);
    f = fopen(outside, "a");
    fputs("[other]\nrate_smm_pct = 60\n", f);
    fclose(f);
    expect_refused(outside, "in section [other]");
    /* A file that does not exist. */
    char missing[4300];
    snprintf(missing, sizeof missing, "%s/none.ini", work);
    ck_assert_int_eq(rb_params_file_read(missing, &row, &err), RB_E_NOINPUT);
}
END_TEST

START_TEST(show_prints_a_file_that_add_takes_back)
{
    char *out = NULL;
    ck_assert_int_eq(ts_run_rebate(&out, NULL, "params", "--db", db_path, "show", "2023", (char *)NULL), 0);
    ts_write_file(work, "2023.ini", out, (size_t)-1);
    free(out);
    char path[4300];
    snprintf(path, sizeof path, "%s/2023.ini", work);
    rb_params_row row;
    rb_error err = {0};
    ck_assert_msg(rb_params_file_read(path, &row, &err) == RB_OK, "%s", err.message);
    ck_assert_int_eq(row.policy_year, 2023);
    ck_assert_msg(strstr(row.legal_reference, "月平均参保人数之比"), "%s", row.legal_reference);
    ck_assert_int_eq(ts_run_rebate(&out, NULL, "params", "--db", db_path, "list", (char *)NULL), 0);
    ck_assert_msg(strstr(out, "2020 ") && strstr(out, "2025 "), "%s", out);
    free(out);
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "params", "--db", db_path, "show", "2019", (char *)NULL), 66);
}
END_TEST

/* A long legal_reference is shown on several lines, never cut beside a
 * space (the reader trims every line): whatever the space's place, the file
 * shown reads back to the same text. */
START_TEST(a_long_reference_shown_reads_back_whole)
{
    char *out = NULL;
    ck_assert_int_eq(ts_run_rebate(&out, NULL, "params", "--db", db_path, "show", "2023", (char *)NULL), 0);
    ts_write_file(work, "base.ini", out, (size_t)-1);
    free(out);
    char path[4300];
    snprintf(path, sizeof path, "%s/base.ini", work);
    rb_params_row row;
    rb_error err = {0};
    ck_assert_msg(rb_params_file_read(path, &row, &err) == RB_OK, "%s", err.message);
    for (size_t space = 140; space <= 160; space++) {
        /* ASCII, then Chinese (3 bytes a character) after a run of spaces. */
        size_t len = 0;
        for (; len < 300; len++)
            row.legal_reference[len] = len == space ? ' ' : (char)('a' + len % 26);
        memcpy(row.legal_reference + len, "  第三条 ", 12);
        len += 12;
        for (int i = 0; i < 40; i++, len += 3)
            memcpy(row.legal_reference + len, "条", 3);
        row.legal_reference[len] = '\0';
        char shown[4300];
        snprintf(shown, sizeof shown, "%s/shown.ini", work);
        FILE *f = fopen(shown, "w");
        ck_assert_ptr_nonnull(f);
        rb_params_file_write(&row, f);
        ck_assert_int_eq(fclose(f), 0);
        rb_params_row back;
        ck_assert_msg(rb_params_file_read(shown, &back, &err) == RB_OK, "space at %zu: %s", space, err.message);
        ck_assert_msg(strcmp(back.legal_reference, row.legal_reference) == 0, "space at %zu:\n%s\n%s", space,
                      row.legal_reference, back.legal_reference);
    }
}
END_TEST

START_TEST(add_refuses_an_existing_year_replaces_an_unused_row_and_never_a_used_one)
{
    char *err = NULL, *out = NULL;
    ck_assert_int_eq(ts_run_rebate(&out, &err, "params", "--db", db_path, "add", example(), "--by", "张三",
                                   (char *)NULL),
                     0);
    free(out);
    free(err);
    /* The same year again: 64, nothing changed. */
    const char *richer = variant("richer.ini", "rate_smm_pct", "90");
    ck_assert_int_eq(ts_run_rebate(NULL, &err, "params", "--db", db_path, "add", richer, "--by", "张三", (char *)NULL),
                     64);
    ck_assert_msg(strstr(err, "2026") != NULL, "%s", err);
    free(err);
    sqlite3 *db = ts_open_db(db_path);
    ck_assert_int_eq(ts_query_int(db, "SELECT rate_smm_pct FROM policy_params WHERE policy_year = 2026"), 60);
    sqlite3_close(db);
    /* --replace while no batch used it: replaced, both in the event log. */
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "params", "--db", db_path, "add", richer, "--replace", "--by", "李四",
                                   (char *)NULL),
                     0);
    db = ts_open_db(db_path);
    ck_assert_int_eq(ts_query_int(db, "SELECT rate_smm_pct FROM policy_params WHERE policy_year = 2026"), 90);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM events WHERE kind = 'params' AND subject = '2026'"), 2);
    ck_assert_int_eq(ts_query_int(db, "SELECT count(*) FROM events WHERE kind = 'params' AND to_state = 'replaced'"
                                      " AND by_whom = '李四' AND why LIKE '%rate_smm_pct=90%replacing%rate_smm_pct=60%'"),
                     1);
    sqlite3_close(db);
    /* A seeded row is a default the bureau may replace before its first
     * batch: 2022's, then a batch uses it, and it never changes again. */
    const char *ours_2022 = variant("2022.ini", "policy_year", "2022");
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "params", "--db", db_path, "add", ours_2022, "--replace", "--by", "王五",
                                   (char *)NULL),
                     0);
    char in[4300], outbox[4300];
    snprintf(in, sizeof in, "%s/data/sample", REBATE_SOURCE_DIR);
    snprintf(outbox, sizeof outbox, "%s/outbox", work);
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", db_path, in, (char *)NULL), 0);
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "run", "--db", db_path, "--year", "2022", "--out", outbox, (char *)NULL),
                     0);
    ck_assert_int_eq(ts_run_rebate(NULL, &err, "params", "--db", db_path, "add", ours_2022, "--replace", "--by", "王五",
                                   (char *)NULL),
                     64);
    ck_assert_msg(strstr(err, "never changes") != NULL, "%s", err);
    free(err);
    /* Not even through sqlite3: the database refuses it. */
    db = ts_open_db(db_path);
    ck_assert_int_ne(sqlite3_exec(db, "UPDATE policy_params SET rate_smm_pct = 10 WHERE policy_year = 2022", NULL,
                                  NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_ne(sqlite3_exec(db, "DELETE FROM policy_params WHERE policy_year = 2022", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    /* A mistake in the file: 65, naming the key; nothing stored. */
    const char *bad = variant("bad.ini", "rate_smm_pct", "160");
    ck_assert_int_eq(ts_run_rebate(NULL, &err, "params", "--db", db_path, "add", bad, "--replace", "--by", "x",
                                   (char *)NULL),
                     65);
    ck_assert_msg(strstr(err, "rate_smm_pct") != NULL, "%s", err);
    free(err);
    /* --by is required for add. */
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "params", "--db", db_path, "add", example(), (char *)NULL), 64);
}
END_TEST

/* The night of a year with no row under `policy_year = auto`: refused (78)
 * before anything is imported, naming the fix; once the shipped file is
 * added (for this calendar year), the night runs, with no rebuild. */
START_TEST(policy_year_auto_without_a_row_is_78_before_the_import_and_params_add_fixes_it)
{
    time_t now = time(NULL);
    struct tm local;
    localtime_r(&now, &local);
    int year = local.tm_year + 1900;
    char inbox[4300], outbox[4300], archive[4300], config[4300], text[20000];
    snprintf(inbox, sizeof inbox, "%s/inbox", work);
    snprintf(outbox, sizeof outbox, "%s/outbox", work);
    snprintf(archive, sizeof archive, "%s/archive", work);
    snprintf(config, sizeof config, "%s/rebate.ini", work);
    ck_assert_int_eq(mkdir(inbox, 0750), 0);
    snprintf(text, sizeof text,
             "[rebate]\ndatabase = rebate.db\ninbox = inbox\noutbox = outbox\narchive = archive\n"
             "policy_year = auto\nencoding = auto\n");
    ts_write_file(work, "rebate.ini", text, (size_t)-1);
    static const char *const names[] = {"registration.csv", "insured_units.csv", "contributions.csv"};
    for (int i = 0; i < 3; i++) {
        char src[4300];
        snprintf(src, sizeof src, "%s/data/sample/%s", REBATE_SOURCE_DIR, names[i]);
        size_t len = 0;
        char *data = ts_read_file(src, &len);
        ts_write_file(inbox, names[i], data, len);
        free(data);
    }
    /* The shipped file is for 2026; on another calendar year the test adds
     * the same row for that year. */
    char year_text[16];
    snprintf(year_text, sizeof year_text, "%d", year);
    const char *row = year == 2026 ? example() : variant("this-year.ini", "policy_year", year_text);
    if (year > 2025) {
        char *err = NULL;
        ck_assert_int_eq(ts_run_rebate(NULL, &err, "nightly", "--config", config, (char *)NULL), 78);
        ck_assert_msg(strstr(err, year_text) && strstr(err, "rebate params add") && strstr(err, "rebate.ini"), "%s",
                      err);
        free(err);
        struct stat sb;
        char snapshot[4300];
        snprintf(snapshot, sizeof snapshot, "%s.snapshot", db_path);
        ck_assert_int_ne(stat(snapshot, &sb), 0); /* nothing imported */
        ck_assert_int_ne(stat(archive, &sb), 0);  /* nothing archived */
        char path[4400];
        for (int i = 0; i < 3; i++) {
            snprintf(path, sizeof path, "%s/%s", inbox, names[i]);
            ck_assert_int_eq(stat(path, &sb), 0);
        }
        ck_assert_int_eq(ts_run_rebate(NULL, NULL, "params", "--config", config, "add", row, "--by", "张三",
                                       (char *)NULL),
                         0);
    }
    char *out = NULL;
    ck_assert_int_eq(ts_run_rebate(&out, NULL, "nightly", "--config", config, (char *)NULL), 0);
    char batch[32];
    snprintf(batch, sizeof batch, "batch %d-", year);
    ck_assert_msg(strstr(out, batch) != NULL, "%s", out);
    free(out);
}
END_TEST

static Suite *params_file_suite(void)
{
    Suite *s = suite_create("rules/params_file");
    TCase *tc = tcase_create("params_file");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, the_shipped_example_is_a_complete_row_for_2026);
    tcase_add_test(tc, a_row_is_checked_whole_and_each_mistake_is_named_by_file_line_and_key);
    tcase_add_test(tc, show_prints_a_file_that_add_takes_back);
    tcase_add_test(tc, a_long_reference_shown_reads_back_whole);
    tcase_add_test(tc, add_refuses_an_existing_year_replaces_an_unused_row_and_never_a_used_one);
    tcase_add_test(tc, policy_year_auto_without_a_row_is_78_before_the_import_and_params_add_fixes_it);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(params_file_suite)
