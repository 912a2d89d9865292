/* Decisions kept as changes (src/output/batch.c, src/store/decision_log.c,
 * src/output/decisions_rebuild.c): on generated nights with random changes
 * (bench/gen_extracts --night K), a batch records far fewer decisions than
 * firms, its decisions.csv is byte for byte the one deciding every firm from
 * scratch gives (a dry run on the same snapshot and ledger), and at the end
 * every batch's decisions.csv (the oldest included, a voided one and a
 * --uscc one) is rebuilt from the ledger byte for byte, matching the SHA-256
 * recorded with it. Each batch's report.html counts the changes since the
 * previous batch it names (the latest of all firms not voided) exactly as
 * the two batches' decisions.csv differ, voided batches and a --uscc batch
 * between them included. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#define FIRMS "3000"
#define NIGHTS 5

static const char *work;
static char db[4300], out[4300], previews[4300];

static void generate(int night)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "'%s' --firms " FIRMS " --seed 4711 --policy-year 2024 --out '%s/night%d' --night %d --changed 30 %s"
             " >/dev/null",
             REBATE_GEN_EXTRACTS, work, night, night, night % 2 ? "--shuffle" : "");
    ck_assert_int_eq(system(cmd), 0);
}

static char *read_text(const char *dir, const char *batch, const char *file)
{
    char path[9000];
    snprintf(path, sizeof path, "%s/%s/%s", dir, batch, file);
    char *text = ts_read_file(path, NULL);
    ck_assert_msg(text != NULL, "missing %s", path);
    return text;
}

/* The id of the batch run on day as_of (the first of that day). */
static void batch_of_day(int day, char id[64])
{
    snprintf(id, 64, "2024-202611%02d-001", day);
}

static void run(int day, const char *extra, char id[64])
{
    char as_of[16];
    snprintf(as_of, sizeof as_of, "2026-11-%02d", day);
    char *err = NULL;
    int rc = extra ? ts_run_rebate(NULL, &err, "run", "--db", db, "--year", "2024", "--out", out, "--as-of", as_of,
                                   "--uscc", extra, (char *)NULL)
                   : ts_run_rebate(NULL, &err, "run", "--db", db, "--year", "2024", "--out", out, "--as-of", as_of,
                                   (char *)NULL);
    ck_assert_msg(rc == 0, "run on %s: %s", as_of, err ? err : "");
    free(err);
    batch_of_day(day, id);
}

/* Decides every firm from scratch on the same snapshot and ledger. */
static void preview(int day)
{
    char as_of[16];
    snprintf(as_of, sizeof as_of, "2026-11-%02d", day);
    ck_assert_int_eq(ts_run_rebate(NULL, NULL, "run", "--db", db, "--year", "2024", "--out", previews, "--as-of",
                                   as_of, "--dry-run", (char *)NULL),
                     0);
}

static void rebuild_and_compare(const char *batch)
{
    char rebuilt[4400];
    snprintf(rebuilt, sizeof rebuilt, "%s/rebuilt-%s.csv", work, batch);
    char *report = NULL;
    ck_assert_int_eq(ts_run_rebate(&report, NULL, "status", "--db", db, "--batch", batch, "--decisions", rebuilt,
                                   (char *)NULL),
                     0);
    ck_assert_msg(strstr(report, "matches the one recorded") != NULL, "%s: %s", batch, report);
    free(report);
    char *a = ts_read_file(rebuilt, NULL);
    char *b = read_text(out, batch, "decisions.csv");
    ck_assert_msg(a != NULL && strcmp(a, b) == 0, "the decisions.csv rebuilt for %s differs", batch);
    free(a);
    free(b);
}

/* One row of decisions.csv as the report compares it. */
typedef struct firm_row {
    char uscc[19], outcome[8], reasons[128];
    long long amount_fen;
} firm_row;

/* The next field of a CSV line at *p (quotes undone), into buf. */
static void next_field(const char **p, char *buf, size_t size)
{
    size_t n = 0;
    const char *s = *p;
    bool quoted = *s == '"';
    if (quoted)
        s++;
    for (; *s != '\0'; s++) {
        if (quoted && *s == '"' && s[1] == '"')
            s++;
        else if (quoted && *s == '"') {
            quoted = false;
            continue;
        } else if (!quoted && (*s == ',' || *s == '\r' || *s == '\n'))
            break;
        if (n + 1 < size)
            buf[n++] = *s;
    }
    buf[n] = '\0';
    *p = *s == ',' ? s + 1 : s;
}

static void copy_field(char *to, size_t size, const char *field)
{
    size_t len = strlen(field);
    ck_assert_uint_lt(len, size);
    memcpy(to, field, len + 1);
}

/* The rows of a batch's decisions.csv, in its (uscc) order. */
static firm_row *read_rows(const char *batch, size_t *count)
{
    char *text = read_text(out, batch, "decisions.csv");
    size_t n = 0, alloc = 4096;
    firm_row *rows = malloc(alloc * sizeof *rows);
    ck_assert_ptr_nonnull(rows);
    const char *line = strchr(text, '\n');
    while (line != NULL && line[1] != '\0') {
        const char *p = line + 1;
        char f[12][256];
        for (int i = 0; i < 12; i++)
            next_field(&p, f[i], sizeof f[i]);
        if (n == alloc) {
            alloc *= 2;
            rows = realloc(rows, alloc * sizeof *rows);
            ck_assert_ptr_nonnull(rows);
        }
        firm_row *r = &rows[n++];
        copy_field(r->uscc, sizeof r->uscc, f[0]);
        copy_field(r->outcome, sizeof r->outcome, f[2]);
        copy_field(r->reasons, sizeof r->reasons, f[3]);
        long long yuan = 0, cents = 0;
        ck_assert_int_eq(sscanf(f[10], "%lld.%lld", &yuan, &cents), 2);
        r->amount_fen = yuan * 100 + cents;
        ck_assert(n == 1 || strcmp(rows[n - 2].uscc, r->uscc) < 0);
        line = strchr(p, '\n');
    }
    free(text);
    *count = n;
    return rows;
}

/* report.html of batch names previous and counts, since it, the new
 * payments and the changed firms that the two decisions.csv give: a firm
 * not in the previous one, or with another outcome or reasons (a firm paid
 * before and skipped as ALREADY_PAID now aside). */
static void check_report_changes(const char *batch, const char *previous)
{
    size_t n_prev = 0, n_now = 0;
    firm_row *before = read_rows(previous, &n_prev), *now = read_rows(batch, &n_now);
    long long changed = 0, new_pay = 0, new_pay_fen = 0;
    size_t j = 0;
    for (size_t i = 0; i < n_now; i++) {
        const firm_row *c = &now[i];
        while (j < n_prev && strcmp(before[j].uscc, c->uscc) < 0)
            j++;
        const firm_row *p = j < n_prev && strcmp(before[j].uscc, c->uscc) == 0 ? &before[j] : NULL;
        bool differs = p == NULL || strcmp(p->outcome, c->outcome) != 0 || strcmp(p->reasons, c->reasons) != 0;
        if (p != NULL && strcmp(p->outcome, "PAY") == 0 && strcmp(c->outcome, "SKIP") == 0 &&
            strcmp(c->reasons, "ALREADY_PAID") == 0)
            differs = false;
        if (!differs)
            continue;
        changed++;
        if (strcmp(c->outcome, "PAY") == 0) {
            new_pay++;
            new_pay_fen += c->amount_fen;
        }
    }
    free(before);
    free(now);
    char *report = read_text(out, batch, "report.html");
    char expected[512];
    snprintf(expected, sizeof expected, "上一批次：<span class=\"code\">%s</span>", previous);
    ck_assert_msg(strstr(report, expected) != NULL, "%s: the report does not name %s", batch, previous);
    snprintf(expected, sizeof expected, "新增拨付 <b>%lld</b> 笔，共 %lld.%02lld 元", new_pay, new_pay_fen / 100,
             new_pay_fen % 100);
    ck_assert_msg(strstr(report, expected) != NULL, "%s: expected \"%s\"", batch, expected);
    snprintf(expected, sizeof expected, "结果或原因有变化的单位共 <b>%lld</b> 家", changed);
    ck_assert_msg(strstr(report, expected) != NULL, "%s: expected \"%s\"", batch, expected);
    ck_assert_int_gt(changed, 0);
    free(report);
}

START_TEST(changes_only_and_every_batch_rebuilt)
{
    work = ts_tmpdir();
    snprintf(db, sizeof db, "%s/rebate.db", work);
    snprintf(out, sizeof out, "%s/out", work);
    snprintf(previews, sizeof previews, "%s/previews", work);
    char ids[NIGHTS + 2][64];
    int n_ids = 0;
    long long firms = 0;
    char standing[64] = "", before[64] = ""; /* the latest batch of all firms not voided, now and before */
    ts_init_db(db);
    for (int night = 1; night <= NIGHTS; night++) {
        generate(night);
        char data[4300];
        snprintf(data, sizeof data, "%s/night%d", work, night);
        ck_assert_int_eq(ts_run_rebate(NULL, NULL, "import", "--db", db, data, (char *)NULL), 0);
        int day = night + 1;
        preview(day);
        run(day, NULL, ids[n_ids]);
        const char *batch = ids[n_ids++];
        /* The same bytes as deciding every firm from scratch. */
        char preview_name[128];
        snprintf(preview_name, sizeof preview_name, "PREVIEW-%s", batch);
        char *full = read_text(previews, preview_name, "decisions.csv");
        char *kept = read_text(out, batch, "decisions.csv");
        ck_assert_msg(strcmp(full, kept) == 0, "night %d: decisions.csv differs from deciding every firm", night);
        free(full);
        free(kept);
        if (standing[0] != '\0')
            check_report_changes(batch, standing);
        snprintf(before, sizeof before, "%s", standing);
        snprintf(standing, sizeof standing, "%s", batch);

        sqlite3 *conn = ts_open_db(db);
        char sql[512];
        snprintf(sql, sizeof sql, "SELECT firms FROM batches WHERE batch_id = '%s'", batch);
        firms = ts_query_int(conn, sql);
        snprintf(sql, sizeof sql, "SELECT count(*) FROM decisions WHERE batch_id = '%s'", batch);
        long long recorded = ts_query_int(conn, sql);
        snprintf(sql, sizeof sql, "SELECT decisions_recorded FROM batches WHERE batch_id = '%s'", batch);
        ck_assert_int_eq(ts_query_int(conn, sql), recorded);
        if (night == 1)
            ck_assert_int_eq(recorded, firms);
        else if (night != 3 && night != 4) /* (they pay again the firms of a voided batch) */
            ck_assert_msg(recorded * 10 < firms, "night %d recorded %lld decisions for %lld firms", night, recorded,
                          firms);
        sqlite3_close(conn);

        if (night == 2) {
            /* Void the first night's batch (this one pays nobody new, so
             * it was closed at once): its firms are paid again the next
             * night. */
            char *void_err = NULL;
            int rc = ts_run_rebate(NULL, &void_err, "void", "--db", db, "--batch", ids[0], "--by", "tester", "--reason",
                                   "test", (char *)NULL);
            ck_assert_msg(rc == 0, "void exited %d: %s", rc, void_err);
            free(void_err);
        }
        if (night == 3) {
            /* Void this night's batch too (it pays the first night's firms
             * again): the next night's report compares with night 2's,
             * over it. */
            char *void_err = NULL;
            int rc = ts_run_rebate(NULL, &void_err, "void", "--db", db, "--batch", batch, "--by", "tester", "--reason",
                                   "test", (char *)NULL);
            ck_assert_msg(rc == 0, "void exited %d: %s", rc, void_err);
            free(void_err);
            snprintf(standing, sizeof standing, "%s", before);
        }
        if (night == 4) {
            /* A --uscc batch between two batches of all firms. */
            sqlite3 *c = ts_open_db(db);
            sqlite3_stmt *st = NULL;
            ck_assert_int_eq(sqlite3_prepare_v2(c, "SELECT uscc FROM decisions WHERE outcome = 'REVIEW' LIMIT 1", -1,
                                                &st, NULL),
                             SQLITE_OK);
            ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
            char uscc[32];
            snprintf(uscc, sizeof uscc, "%s", (const char *)sqlite3_column_text(st, 0));
            sqlite3_finalize(st);
            sqlite3_close(c);
            char as_of[16];
            snprintf(as_of, sizeof as_of, "2026-11-%02d", day);
            ck_assert_int_eq(ts_run_rebate(NULL, NULL, "run", "--db", db, "--year", "2024", "--out", out, "--as-of",
                                           as_of, "--uscc", uscc, (char *)NULL),
                             0);
            snprintf(ids[n_ids++], 64, "2024-202611%02d-002", day);
        }
    }
    ck_assert_int_gt(firms, 2500);
    /* Every batch, the oldest first, rebuilt from the ledger. */
    for (int i = 0; i < n_ids; i++)
        rebuild_and_compare(ids[i]);
    /* A decision altered in the ledger no longer rebuilds what was published. */
    sqlite3 *conn = ts_open_db(db);
    ck_assert_int_eq(sqlite3_exec(conn,
                                  "UPDATE decisions SET amount_fen = amount_fen + 1 WHERE batch_no = 1 AND uscc ="
                                  " (SELECT min(uscc) FROM decisions WHERE batch_no = 1 AND outcome = 'REVIEW')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_changes(conn), 1);
    sqlite3_close(conn);
    char *err = NULL, rebuilt[4400];
    snprintf(rebuilt, sizeof rebuilt, "%s/tampered.csv", work);
    ck_assert_int_eq(ts_run_rebate(NULL, &err, "status", "--db", db, "--batch", ids[0], "--decisions", rebuilt,
                                   (char *)NULL),
                     65);
    ck_assert_msg(strstr(err, "the decisions.csv rebuilt for batch") != NULL && strstr(err, "not the") != NULL, "%s",
                  err);
    free(err);
    err = NULL;
    ck_assert_int_eq(ts_run_rebate(NULL, &err, "status", "--db", db, "--decisions", rebuilt, (char *)NULL), 64);
    free(err);
    ts_rmtree(work);
}
END_TEST

static Suite *decision_changes_suite(void)
{
    Suite *s = suite_create("output/decision_changes");
    TCase *tc = tcase_create("nights");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, changes_only_and_every_batch_rebuilt);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(decision_changes_suite)
