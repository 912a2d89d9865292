/* Rules as data: runs every case of tests/fixtures/rules/cases.txt through
 * rb_decide (each case = the baseline firm plus its differences, expected
 * outcome, reasons and amount written by hand), one Check test per case,
 * and checks that the cases cover every reason code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebate/db.h"
#include "rebate/money.h"
#include "rebate/rules.h"
#include "test_support.h"

#define MAX_CASES 256
#define MAX_LINES 64
#define MAX_MONTHS 64

typedef struct case_def {
    char name[128];
    int line;              /* of the `case` line */
    char *lines[MAX_LINES];/* the directives after it */
    int line_no[MAX_LINES];
    int n_lines;
} case_def;

static case_def cases[MAX_CASES];
static int n_cases;
static rb_params year_params[2030 - 2020];

/* The whole fixture is read before the suite runs. */
static void load_cases(void)
{
    char *text = ts_read_file(ts_fixture("rules/cases.txt"), NULL);
    if (text == NULL) {
        fprintf(stderr, "cannot read tests/fixtures/rules/cases.txt\n");
        exit(1);
    }
    int line_no = 0;
    case_def *c = NULL;
    for (char *line = text, *end; line != NULL; line = end ? end + 1 : NULL) {
        end = strchr(line, '\n');
        if (end)
            *end = '\0';
        line_no++;
        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (strncmp(line, "case ", 5) == 0) {
            if (n_cases == MAX_CASES) {
                fprintf(stderr, "too many cases\n");
                exit(1);
            }
            c = &cases[n_cases++];
            snprintf(c->name, sizeof c->name, "%s", line + 5);
            c->line = line_no;
            continue;
        }
        if (c == NULL || c->n_lines == MAX_LINES) {
            fprintf(stderr, "cases.txt: directive outside a case or too many: %s\n", line);
            exit(1);
        }
        c->line_no[c->n_lines] = line_no;
        c->lines[c->n_lines++] = strdup(line);
    }
    free(text);
}

static void load_params(void)
{
    const char *dir = ts_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/params.db", dir);
    sqlite3 *db = NULL;
    rb_error err = {0};
    if (rb_db_init(path, &db, &err) != RB_OK) {
        fprintf(stderr, "%s\n", err.message);
        exit(1);
    }
    for (int y = 2020; y <= 2025; y++)
        if (rb_params_load(db, y, &year_params[y - 2020], &err) != RB_OK) {
            fprintf(stderr, "%s\n", err.message);
            exit(1);
        }
    rb_db_close(db);
    ts_rmtree(dir);
}

/* ---- building the firm of a case ---------------------------------------- */

typedef struct built {
    char text[MAX_LINES][512]; /* copies of the directives the strings point into */
    rb_params params;
    rb_firm_input firm;
    rb_month months[MAX_MONTHS];
    size_t n_months;
} built;

static rb_reason_set reasons_of(const char *list, const char *where);

static rb_fen yuan(const char *text, const char *where)
{
    rb_fen fen = 0;
    ck_assert_msg(rb_money_parse(text, strlen(text), &fen) == RB_MONEY_OK, "%s: bad money '%s'", where, text);
    return fen;
}

static rb_month baseline_month(int32_t period)
{
    rb_month m = {period, 8, 10000, 10000, 5000, 5000, 0, 0};
    return m;
}

/* "A05" -> period; "P12" month of A-1; "N01" month of Y. */
static int32_t period_of(const char *code, int32_t data_year, const char *where)
{
    ck_assert_msg(strlen(code) == 3 && (code[0] == 'P' || code[0] == 'A' || code[0] == 'N'), "%s: bad period %s",
                  where, code);
    int month = atoi(code + 1);
    ck_assert_msg(month >= 1 && month <= 12, "%s: bad month %s", where, code);
    int32_t year = data_year + (code[0] == 'P' ? -1 : code[0] == 'N' ? 1 : 0);
    return year * 100 + month;
}

/* "A01-A06" or "A05": the first and last period. */
static void range_of(const char *spec, int32_t data_year, int32_t *first, int32_t *last, const char *where)
{
    char a[8] = "", b[8] = "";
    if (sscanf(spec, "%3s-%3s", a, b) == 2) {
        *first = period_of(a, data_year, where);
        *last = period_of(b, data_year, where);
    } else {
        *first = *last = period_of(spec, data_year, where);
    }
    ck_assert_msg(*first <= *last && *first / 100 == *last / 100, "%s: bad range %s", where, spec);
}

static rb_month *find_or_add(built *b, int32_t period)
{
    size_t i = 0;
    while (i < b->n_months && b->months[i].period < period)
        i++;
    if (i < b->n_months && b->months[i].period == period)
        return &b->months[i];
    ck_assert(b->n_months < MAX_MONTHS);
    memmove(&b->months[i + 1], &b->months[i], (b->n_months - i) * sizeof b->months[0]);
    b->n_months++;
    b->months[i] = baseline_month(period);
    return &b->months[i];
}

static void drop_months(built *b, int32_t first, int32_t last)
{
    size_t kept = 0;
    for (size_t i = 0; i < b->n_months; i++)
        if (b->months[i].period < first || b->months[i].period > last)
            b->months[kept++] = b->months[i];
    b->n_months = kept;
}

static void set_month_field(rb_month *m, const char *assignment, const char *where)
{
    const char *eq = strchr(assignment, '=');
    ck_assert_msg(eq != NULL, "%s: expected FIELD=VALUE, got %s", where, assignment);
    size_t klen = (size_t)(eq - assignment);
    const char *value = eq + 1;
    if (klen == 5 && strncmp(assignment, "count", 5) == 0)
        m->insured_count = atoll(value);
    else if (klen == 9 && strncmp(assignment, "claimants", 9) == 0)
        m->new_claimants = atoll(value);
    else if (klen == 6 && strncmp(assignment, "er_due", 6) == 0)
        m->employer_due = yuan(value, where);
    else if (klen == 7 && strncmp(assignment, "er_paid", 7) == 0)
        m->employer_paid = yuan(value, where);
    else if (klen == 6 && strncmp(assignment, "ee_due", 6) == 0)
        m->employee_due = yuan(value, where);
    else if (klen == 7 && strncmp(assignment, "ee_paid", 7) == 0)
        m->employee_paid = yuan(value, where);
    else
        ck_abort_msg("%s: unknown month field %s", where, assignment);
}

/* "KEY rest of line": splits off the key; the value is the rest after one
 * space ("" when nothing; "(null)" for NULL). */
static const char *field_value(char *rest, char **key)
{
    *key = rest;
    char *space = strchr(rest, ' ');
    if (space == NULL)
        return "";
    *space = '\0';
    const char *value = space + 1;
    return strcmp(value, "(null)") == 0 ? NULL : value;
}

static void set_param(rb_params *p, const char *key, const char *value, const char *where)
{
    if (strcmp(key, "scope_max_headcount") == 0)
        p->scope_max_headcount = atoll(value);
    else if (strcmp(key, "rate_smm_pct") == 0)
        p->rate_smm_pct = atoi(value);
    else if (strcmp(key, "headcount_basis") == 0 && strcmp(value, "average") == 0)
        p->headcount_basis = RB_HEADCOUNT_AVERAGE;
    else
        ck_abort_msg("%s: unknown parameter override %s %s", where, key, value);
}

static const char baseline_name[] = "鞍山市铁东区某某商贸有限公司";

static void build_case(const case_def *c, built *b)
{
    char where[256];
    memset(b, 0, sizeof *b);
    int32_t year = 2021;
    for (int i = 0; i < c->n_lines; i++)
        if (strncmp(c->lines[i], "year ", 5) == 0)
            year = atoi(c->lines[i] + 5);
    ck_assert_msg(year >= 2020 && year <= 2025, "case %s: no parameter row for %d", c->name, year);
    b->params = year_params[year - 2020];
    int32_t data_year = year - 1;

    rb_firm_input *f = &b->firm;
    strcpy(f->uscc, "91110000600037341L");
    f->has_registration = true;
    f->reg_name = baseline_name;
    f->reg_status = "存续";
    f->reg_class = RB_REG_ACTIVE;
    f->industry_code = "F5191";
    f->has_unit = true;
    f->unit_name = baseline_name;
    f->ui_status = "正常";
    f->ui_class = RB_UI_ACTIVE;
    f->account_name = baseline_name;
    f->bank_name = "中国工商银行鞍山分行";
    f->bank_account = "6222020700001234567";
    f->next_attempt = 1;
    b->months[b->n_months++] = baseline_month((data_year - 1) * 100 + 12);
    for (int m = 1; m <= 12; m++)
        b->months[b->n_months++] = baseline_month(data_year * 100 + m);

    for (int i = 0; i < c->n_lines; i++) {
        snprintf(where, sizeof where, "case %s (cases.txt line %d)", c->name, c->line_no[i]);
        snprintf(b->text[i], sizeof b->text[i], "%s", c->lines[i]);
        char *line = b->text[i];
        char *key;
        if (strncmp(line, "year ", 5) == 0 || strncmp(line, "expect ", 7) == 0 ||
            strncmp(line, "measure ", 8) == 0) {
            continue;
        } else if (strncmp(line, "param ", 6) == 0) {
            char copy[256];
            snprintf(copy, sizeof copy, "%s", line + 6);
            const char *value = field_value(copy, &key);
            set_param(&b->params, key, value ? value : "", where);
        } else if (strncmp(line, "month ", 6) == 0 || strncmp(line, "drop ", 5) == 0) {
            bool drop = line[0] == 'd';
            char copy[256];
            snprintf(copy, sizeof copy, "%s", line + (drop ? 5 : 6));
            char *save = NULL, *spec = strtok_r(copy, " ", &save);
            int32_t first, last;
            range_of(spec, data_year, &first, &last, where);
            if (drop) {
                drop_months(b, first, last);
                continue;
            }
            char *assignments[8];
            int n = 0;
            for (char *a = strtok_r(NULL, " ", &save); a && n < 8; a = strtok_r(NULL, " ", &save))
                assignments[n++] = a;
            for (int32_t p = first; p <= last; p++) {
                rb_month *m = find_or_add(b, p);
                for (int k = 0; k < n; k++)
                    set_month_field(m, assignments[k], where);
            }
        } else if (strcmp(line, "reg none") == 0) {
            f->has_registration = false;
            f->reg_name = f->reg_status = f->industry_code = NULL;
        } else if (strcmp(line, "unit none") == 0) {
            f->has_unit = false;
            f->unit_name = f->ui_status = f->account_name = f->bank_name = f->bank_account = NULL;
        } else if (strncmp(line, "reg ", 4) == 0) {
            const char *value = field_value(line + 4, &key);
            if (strcmp(key, "name") == 0) {
                f->reg_name = value;
            } else if (strcmp(key, "industry") == 0) {
                f->industry_code = value;
            } else if (strcmp(key, "dishonest") == 0) {
                f->dishonest = strcmp(value, "1") == 0;
            } else if (strcmp(key, "status") == 0 && strcmp(value, "inactive") == 0) {
                f->reg_class = RB_REG_INACTIVE;
                f->reg_status = "注销";
            } else if (strcmp(key, "status") == 0 && strcmp(value, "suspended") == 0) {
                f->reg_class = RB_REG_SUSPENDED;
                f->reg_status = "停业";
            } else {
                ck_abort_msg("%s: unknown reg directive", where);
            }
        } else if (strncmp(line, "unit ", 5) == 0) {
            const char *value = field_value(line + 5, &key);
            if (strcmp(key, "name") == 0) {
                f->unit_name = value;
            } else if (strcmp(key, "account_name") == 0) {
                f->account_name = value;
            } else if (strcmp(key, "bank_account") == 0) {
                f->bank_account = value;
            } else if (strcmp(key, "source") == 0) {
                f->tax_account = strcmp(value, "税务") == 0;
            } else if (strcmp(key, "ui") == 0 && strcmp(value, "suspended") == 0) {
                f->ui_class = RB_UI_SUSPENDED;
                f->ui_status = "暂停缴费";
            } else if (strcmp(key, "ui") == 0 && strcmp(value, "terminated") == 0) {
                f->ui_class = RB_UI_TERMINATED;
                f->ui_status = "终止";
            } else {
                ck_abort_msg("%s: unknown unit directive", where);
            }
        } else if (strncmp(line, "row_errors ", 11) == 0) {
            f->row_errors = atoll(line + 11);
        } else if (strncmp(line, "conflicts ", 10) == 0) {
            f->conflicts = atoll(line + 10);
        } else if (strcmp(line, "ledger already_paid") == 0) {
            f->already_paid = true;
            f->paid_reference = "2021-91110000600037341L-1";
            f->next_attempt = 2;
        } else if (strcmp(line, "ledger transfer_returned") == 0) {
            f->transfer_returned = true;
            f->next_attempt = 2;
        } else if (strncmp(line, "verdict ", 8) == 0) {
            /* verdict accept|reject REASONS AMOUNT: the latest review verdict */
            char copy[256], *save = NULL;
            snprintf(copy, sizeof copy, "%s", line + 8);
            char *kind = strtok_r(copy, " ", &save), *reasons = strtok_r(NULL, " ", &save),
                 *money = strtok_r(NULL, " ", &save);
            ck_assert_msg(kind && reasons && money, "%s: verdict accept|reject REASONS AMOUNT", where);
            f->verdict.id = 7;
            f->verdict.accept = strcmp(kind, "accept") == 0;
            f->verdict.covered = reasons_of(reasons, where);
            f->verdict.amount = yuan(money, where);
            f->verdict.by = "王复核";
            f->verdict.at = "2021-06-01T08:00:00Z";
            f->verdict.note = "核实为退休";
        } else {
            ck_abort_msg("%s: unknown directive '%s'", where, line);
        }
    }
    f->months = b->months;
    f->n_months = b->n_months;
}

/* ---- expectations --------------------------------------------------------- */

static rb_outcome outcome_of(const char *code, const char *where)
{
    for (int o = RB_OUTCOME_PAY; o <= RB_OUTCOME_SKIP; o++)
        if (strcmp(code, rb_outcome_code((rb_outcome)o)) == 0)
            return (rb_outcome)o;
    ck_abort_msg("%s: unknown outcome %s", where, code);
    return RB_OUTCOME_PAY;
}

static rb_reason_set reasons_of(const char *list, const char *where)
{
    rb_reason_set set = 0;
    if (strcmp(list, "-") == 0)
        return 0;
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", list);
    for (char *save = NULL, *code = strtok_r(copy, ";", &save); code; code = strtok_r(NULL, ";", &save)) {
        int found = -1;
        for (int r = 0; r < RB_R_COUNT; r++)
            if (strcmp(code, rb_reason_code((rb_reason)r)) == 0)
                found = r;
        ck_assert_msg(found >= 0, "%s: unknown reason %s", where, code);
        set |= 1u << found;
    }
    return set;
}

static void check_measure(const rb_measures *m, const char *key, const char *value, const char *where)
{
    long long n = 0, d = 0;
    if (strcmp(key, "headcount") == 0) {
        if (strcmp(value, "unknown") == 0) {
            ck_assert_msg(!m->headcount_known, "%s: headcount should be unknown", where);
            return;
        }
        ck_assert_msg(m->headcount_known, "%s: headcount unknown", where);
        if (sscanf(value, "%lld/%lld", &n, &d) != 2)
            d = 1, n = atoll(value);
        ck_assert_msg(m->headcount_num == n && m->headcount_den == d, "%s: headcount %lld/%lld, expected %s",
                      where, (long long)m->headcount_num, (long long)m->headcount_den, value);
    } else if (strcmp(key, "layoff") == 0) {
        ck_assert_msg(sscanf(value, "%lld/%lld", &n, &d) == 2, "%s: layoff wants num/den", where);
        ck_assert_msg(m->layoff_num == n && m->layoff_den == d, "%s: layoff %lld/%lld, expected %s", where,
                      (long long)m->layoff_num, (long long)m->layoff_den, value);
    } else if (strcmp(key, "full_months") == 0) {
        ck_assert_msg(m->full_months == atoll(value), "%s: full months %lld, expected %s", where,
                      (long long)m->full_months, value);
    } else if (strcmp(key, "arrears") == 0) {
        ck_assert_msg(m->arrears == yuan(value, where), "%s: arrears %lld fen, expected %s", where,
                      (long long)m->arrears, value);
    } else if (strcmp(key, "base") == 0) {
        ck_assert_msg(m->base == yuan(value, where), "%s: base %lld fen, expected %s", where, (long long)m->base,
                      value);
    } else if (strcmp(key, "cap") == 0) {
        ck_assert_msg(m->layoff_cap_permille == atoll(value), "%s: cap %lld, expected %s", where,
                      (long long)m->layoff_cap_permille, value);
    } else if (strcmp(key, "rate") == 0) {
        ck_assert_msg(m->rate_pct == atoi(value), "%s: rate %d, expected %s", where, (int)m->rate_pct, value);
    } else if (strcmp(key, "over_cap") == 0) {
        ck_assert_msg(m->layoff_over_cap == (strcmp(value, "yes") == 0), "%s: over_cap %d, expected %s", where,
                      (int)m->layoff_over_cap, value);
    } else {
        ck_abort_msg("%s: unknown measure %s", where, key);
    }
}

START_TEST(rules_case)
{
    const case_def *c = &cases[_i];
    static built b; /* large: kept off the stack */
    build_case(c, &b);
    rb_decision d;
    rb_decide(&b.params, &b.firm, &d);
    int expects = 0;
    char where[256], got[512], want[512], amount[RB_MONEY_BUFSZ];
    for (int i = 0; i < c->n_lines; i++) {
        snprintf(where, sizeof where, "case %s (cases.txt line %d)", c->name, c->line_no[i]);
        char copy[1024];
        snprintf(copy, sizeof copy, "%s", c->lines[i]);
        char *save = NULL, *word = strtok_r(copy, " ", &save);
        if (strcmp(word, "expect") == 0) {
            expects++;
            char *outcome = strtok_r(NULL, " ", &save), *reasons = strtok_r(NULL, " ", &save),
                 *money = strtok_r(NULL, " ", &save);
            ck_assert_msg(outcome && reasons && money, "%s: expect OUTCOME REASONS AMOUNT", where);
            rb_reasons_format(d.reasons, got, sizeof got);
            rb_reasons_format(reasons_of(reasons, where), want, sizeof want);
            ck_assert_msg(d.outcome == outcome_of(outcome, where) && strcmp(got, want) == 0,
                          "%s: got %s %s, expected %s %s", where, rb_outcome_code(d.outcome), got[0] ? got : "-",
                          outcome, reasons);
            ck_assert_msg(d.measures.amount == yuan(money, where), "%s: amount %s, expected %s", where,
                          rb_money_format(d.measures.amount, amount), money);
        } else if (strcmp(word, "measure") == 0) {
            char *key = strtok_r(NULL, " ", &save), *value = strtok_r(NULL, " ", &save);
            ck_assert_msg(key && value, "%s: measure KEY VALUE", where);
            check_measure(&d.measures, key, value, where);
        }
    }
    ck_assert_msg(expects == 1, "case %s has %d expect lines", c->name, expects);
    /* The listed reasons are always among those that apply. */
    ck_assert((d.reasons & ~d.applicable) == 0);
}
END_TEST

/* Every reason code is expected by at least one case. */
START_TEST(cases_cover_every_reason)
{
    rb_reason_set covered = 0;
    for (int c = 0; c < n_cases; c++)
        for (int i = 0; i < cases[c].n_lines; i++) {
            char copy[1024];
            snprintf(copy, sizeof copy, "%s", cases[c].lines[i]);
            char *save = NULL, *word = strtok_r(copy, " ", &save);
            if (strcmp(word, "expect") == 0) {
                strtok_r(NULL, " ", &save);
                covered |= reasons_of(strtok_r(NULL, " ", &save), cases[c].name);
            }
        }
    for (int r = 0; r < RB_R_COUNT; r++)
        ck_assert_msg(covered & (1u << r), "no case expects %s", rb_reason_code((rb_reason)r));
    ck_assert_int_ge(n_cases, 100);
}
END_TEST

static Suite *cases_suite(void)
{
    load_cases();
    load_params();
    Suite *s = suite_create("rules/cases");
    TCase *tc = tcase_create("cases");
    tcase_add_loop_test(tc, rules_case, 0, n_cases);
    tcase_add_test(tc, cases_cover_every_reason);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(cases_suite)
