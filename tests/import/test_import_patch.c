/* Tests of the patched import (rb_import_report.patched): when a night's
 * extracts have as many physical lines as the last import's and differ only
 * in some lines' bytes, rb_import copies the last snapshot and reads again
 * only the firms on the changed lines. Whichever path it takes, the snapshot
 * (every table of it, the view contributions, row errors without their ids,
 * duplicates), the import's record and the report's row accounting must be
 * exactly those of a full import of the same night into a new database.
 * Shown for 20 seeded random first nights, each followed by a night that
 * changes a few lines (which must be patched) and a night of edits all over
 * every file, and for nights that must take the full path or that press on
 * the patch: a line inserted or removed, a changed header, records over two
 * lines, an unchanged night, codes moved to firms at the other end of a
 * file, GB18030 extracts. */
#include <iconv.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "import/line_prints.h"
#include "rebate/db.h"
#include "rebate/import.h"
#include "rebate/strbuf.h"
#include "rebate/uscc.h"
#include "test_support.h"

/* Random nights: how many, and the most records a night that changes
 * nothing (or one line) may check in a file: a few blocks of lines, not the
 * file. */
#define ROUNDS 20
#define FEW_RECORDS 150

/* ------------------------------------------------------------ random numbers */

/* splitmix64: the same numbers from the same seed on every machine. */
typedef struct rng {
    uint64_t state;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* 0 .. n-1 */
static int rng_below(rng *r, int n)
{
    return (int)(rng_next(r) % (uint64_t)n);
}

static bool rng_percent(rng *r, int percent)
{
    return rng_below(r, 100) < percent;
}

static bool rng_permille(rng *r, int permille)
{
    return rng_below(r, 1000) < permille;
}

/* ck_assert reports every success to the runner (a write to its pipe):
 * too slow for each byte written or read. NEED fails the same way, and
 * talks to the runner only then. */
#define NEED(cond)                                                          \
    do {                                                                    \
        if (!(cond))                                                        \
            ck_abort_msg("%s:%d: %s is false", __FILE__, __LINE__, #cond); \
    } while (0)

#define COUNT_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define PICK(r, list) ((list)[rng_below((r), COUNT_OF(list))])

/* ------------------------------------------------------------ the extracts' columns */

/* As docs/formats.md and src/import/extracts.c name them. */
typedef enum col_type {
    T_USCC, T_TEXT, T_DATE, T_STATUS, T_REGION, T_DISHONESTY, T_UI_STATUS, T_ACCOUNT, T_SOURCE, T_BANK_CODE,
    T_PERIOD, T_COUNT, T_MONEY
} col_type;

typedef struct column {
    const char *name, *alias;
    bool required;
    col_type type;
} column;

enum { R_USCC, R_NAME, R_STATUS, R_ESTABLISHED, R_DEREGISTERED, R_REGION, R_INDUSTRY, R_DISHONESTY };
enum { U_USCC, U_UNIT_NO, U_UNIT_NAME, U_INSURED_ON, U_UI_STATUS, U_ACCOUNT_NAME, U_BANK_NAME, U_BANK_ACCOUNT,
       U_SOURCE, U_BANK_CODE };
enum { C_USCC, C_PERIOD, C_COUNT, C_EMPLOYER_DUE, C_EMPLOYER_PAID, C_EMPLOYEE_DUE, C_EMPLOYEE_PAID, C_CLAIMANTS };

static const column registration_columns[] = {
    {"uscc", "统一社会信用代码", true, T_USCC},
    {"name", "企业名称", true, T_TEXT},
    {"status", "登记状态", true, T_STATUS},
    {"established_on", "成立日期", true, T_DATE},
    {"deregistered_on", "注销日期", false, T_DATE},
    {"region_code", "行政区划代码", true, T_REGION},
    {"industry_code", "行业代码", false, T_TEXT},
    {"serious_dishonesty", "严重失信", false, T_DISHONESTY},
};

static const column unit_columns[] = {
    {"uscc", "统一社会信用代码", true, T_USCC},
    {"unit_no", "单位编号", false, T_TEXT},
    {"unit_name", "单位名称", true, T_TEXT},
    {"insured_on", "参保日期", true, T_DATE},
    {"ui_status", "参保状态", true, T_UI_STATUS},
    {"account_name", "账户名称", false, T_TEXT},
    {"bank_name", "开户银行", false, T_TEXT},
    {"bank_account", "银行账号", false, T_ACCOUNT},
    {"account_source", "账户来源", false, T_SOURCE},
    {"bank_code", "开户行行号", false, T_BANK_CODE},
};

static const column contribution_columns[] = {
    {"uscc", "统一社会信用代码", true, T_USCC},
    {"period", "缴费年月", true, T_PERIOD},
    {"insured_count", "参保人数", true, T_COUNT},
    {"employer_due", "单位应缴", true, T_MONEY},
    {"employer_paid", "单位实缴", true, T_MONEY},
    {"employee_due", "个人应缴", true, T_MONEY},
    {"employee_paid", "个人实缴", true, T_MONEY},
    {"new_claimants", "新增领取失业保险金人数", false, T_COUNT},
};

static const struct {
    const column *columns;
    int n;
} extract_columns[RB_IMPORT_FILE_COUNT] = {
    [RB_IMPORT_REGISTRATION] = {registration_columns, COUNT_OF(registration_columns)},
    [RB_IMPORT_INSURED_UNITS] = {unit_columns, COUNT_OF(unit_columns)},
    [RB_IMPORT_CONTRIBUTIONS] = {contribution_columns, COUNT_OF(contribution_columns)},
};

enum { REG = RB_IMPORT_REGISTRATION, UNITS = RB_IMPORT_INSURED_UNITS, CONTRIB = RB_IMPORT_CONTRIBUTIONS };

/* A row's cells: the spec columns in the order above, then NOTE, a column
 * the import does not know (a clerk's remark), which a file may have
 * anywhere. */
#define MAX_COLS 11
#define NOTE 10
#define NOTE_NAME "备注"
#define CELL 112

/* ------------------------------------------------------------ words */

static const char *const name_places[] = {"鞍山", "鞍山市铁东区", "海城", "台安县", "岫岩"};
static const char *const name_words[] = {"华兴", "鑫源", "宏达", "泰和", "恒通", "\"老字号\"", "永盛,联合", "德顺祥"};
static const char *const name_kinds[] = {"有限公司", "商贸有限公司", "科技有限公司", "（集团）有限公司", "餐饮店"};
/* The first four are the usual ones. */
static const char *const good_statuses[] = {"存续", "在业", "开业", "存续（在营、开业、在册）",
                                            "吊销，未注销", "注销", "停业", "正常"};
static const char *const good_ui_statuses[] = {"正常", "参保缴费", "暂停缴费", "终止", "注销"};
static const char *const regions[] = {"210302", "210303", "210304", "210311", "210321", "210323", "210381"};
static const char *const industries[] = {"F5191", "C1810", "I6510", "E4890", "H6210", ""};
static const char *const bank_names[] = {"中国工商银行鞍山分行", "中国建设银行鞍山铁东支行", "鞍山银行营业部",
                                         "中国农业银行海城支行", ""};
static const char *const sources[] = {"", "对公", "税务"};
/* Blank records: no record at all, or one whose fields are all empty once
 * trimmed. The first is empty: never the last line of a file without a
 * final line end (that would take a line away). */
static const char *const blanks[] = {"", "   ", ",,,", " ,\t, ,", "\"\",,", "\t", ",\"　\","};

static const char *const bad_dates[] = {"2021-02-30", "2021/03/01", "20211301", "2021-3-1", "二〇二一年"};
static const char *const bad_periods[] = {"202113", "202100", "21-03", "2021.03"};
static const char *const bad_money[] = {"1,234.00", "-5.00", "12.345", "１００", "1e3", "¥100", "92233720368547758.08"};
static const char *const bad_counts[] = {"-1", "1000001", "五", "1.5"};
static const char *const bad_statuses[] = {"营业中", "active"};
static const char *const bad_ui_statuses[] = {"正常缴费", "参保"};
static const char *const bad_regions[] = {"21030", "2103021", "21O302"};
static const char *const bad_bank_codes[] = {"10222300001", "1022230000１1"};
static const char *const bad_sources[] = {"个人", "对私"};
static const char *const bad_dishonesty[] = {"true", "2"};

/* ------------------------------------------------------------ cells */

static void cellf(char *cell, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void cellf(char *cell, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cell, CELL, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= CELL)
        ck_abort_msg("a generated value does not fit a cell: %s", cell);
}

static void set_cell(char *cell, const char *text)
{
    cellf(cell, "%s", text);
}

/* The code set of GB 32100-2015, in ASCII order. */
static const char code_set[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* The check character as docs/formats.md computes it (weights 3^i mod 31). */
static char check_char(const char first17[17])
{
    static const int weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (int)(strchr(code_set, first17[i]) - code_set) * weights[i];
    int c = 31 - sum % 31;
    return code_set[c == 31 ? 0 : c];
}

/* Firm `index`'s code: unique by its characters 9-11, so that the firms'
 * order is their codes' order. */
static void make_code(rng *r, int index, char out[RB_USCC_LEN + 1])
{
    memcpy(out, "91210302", 8);
    out[8] = code_set[index / (31 * 31) % 31];
    out[9] = code_set[index / 31 % 31];
    out[10] = code_set[index % 31];
    for (int i = 11; i < 17; i++)
        out[i] = code_set[rng_below(r, 31)];
    out[17] = check_char(out);
    out[18] = '\0';
    char normal[RB_USCC_LEN + 1];
    ck_assert_msg(rb_uscc_normalize(out, RB_USCC_LEN, normal), "the generated code %s is not valid", out);
}

static void lower_ascii(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

static void swap_ascii_case(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
        else if (*s >= 'a' && *s <= 'z')
            *s = (char)(*s - 'a' + 'A');
}

static int random_date(rng *r, int from_year, int years)
{
    return (from_year + rng_below(r, years)) * 10000 + (1 + rng_below(r, 12)) * 100 + 1 + rng_below(r, 28);
}

static void random_name(rng *r, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s%s%s", PICK(r, name_places), PICK(r, name_words), PICK(r, name_kinds));
    NEED(n > 0 && (size_t)n < cap);
}

static void random_digits(rng *r, char *out, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = (char)('0' + rng_below(r, 10));
    out[n] = '\0';
}

/* Each value in one of the ways the import reads as the same value. */

static void render_code(rng *r, const char *code, char *cell)
{
    set_cell(cell, code);
    if (rng_percent(r, 10))
        lower_ascii(cell);
}

static void render_date(rng *r, int ymd, char *cell)
{
    if (rng_percent(r, 75))
        cellf(cell, "%04d-%02d-%02d", ymd / 10000, ymd / 100 % 100, ymd % 100);
    else
        cellf(cell, "%08d", ymd);
}

/* A month as year * 12 + month - 1. */
static void render_period(rng *r, int month, char *cell)
{
    if (rng_percent(r, 70))
        cellf(cell, "%04d%02d", month / 12, month % 12 + 1);
    else
        cellf(cell, "%04d-%02d", month / 12, month % 12 + 1);
}

static void render_money(rng *r, long long fen, char *cell)
{
    long long yuan = fen / 100, cents = fen % 100;
    const char *zero = rng_percent(r, 5) ? "0" : "";
    if (cents == 0 && rng_percent(r, 40))
        cellf(cell, "%s%lld", zero, yuan);
    else if (cents % 10 == 0 && rng_percent(r, 40))
        cellf(cell, "%s%lld.%lld", zero, yuan, cents / 10);
    else
        cellf(cell, "%s%lld.%02lld", zero, yuan, cents);
}

static void render_count(rng *r, long long n, char *cell)
{
    if (rng_percent(r, 10))
        cellf(cell, "0%lld", n);
    else
        cellf(cell, "%lld", n);
}

static void render_dishonesty(rng *r, bool dishonest, char *cell)
{
    static const char *const yes[] = {"1", "是", "Y", "y"};
    static const char *const no[] = {"0", "否", "N", "n", "", "0"};
    set_cell(cell, dishonest ? PICK(r, yes) : PICK(r, no));
}

/* Digits grouped by fours with nothing, spaces, dashes or U+3000 between,
 * which the import removes. */
static void render_account(rng *r, const char *digits, char *cell)
{
    static const char *const separators[] = {"", " ", "-", "　"};
    const char *sep = PICK(r, separators);
    rb_strbuf s = RB_STRBUF_INIT;
    for (size_t i = 0; digits[i] != '\0'; i++) {
        if (i > 0 && i % 4 == 0)
            NEED(rb_strbuf_adds(&s, sep));
        NEED(rb_strbuf_addch(&s, digits[i]));
    }
    set_cell(cell, s.buf);
    rb_strbuf_release(&s);
}

static void render_source(rng *r, const char *source, char *cell)
{
    set_cell(cell, strcmp(source, "对公") == 0 && rng_percent(r, 50) ? "" : source);
}

/* Spaces, a tab or U+3000 around a value, which the import trims. */
static void pad(rng *r, char *cell)
{
    static const char *const pads[] = {" ", "  ", "\t", "　"};
    const char *p = PICK(r, pads);
    char copy[CELL];
    set_cell(copy, cell);
    if (strlen(copy) + 2 * strlen(p) < CELL)
        cellf(cell, "%s%s%s", p, copy, rng_percent(r, 50) ? p : "");
}

/* ------------------------------------------------------------ firms */

typedef struct firm {
    char code[RB_USCC_LEN + 1];
    uint64_t seed; /* its months' values */
    char name[80];
    const char *status, *region, *industry, *ui_status, *bank_name, *source;
    int established, deregistered, insured_on; /* YYYYMMDD, 0: none */
    bool dishonest;
    char unit_no[12], account[24], bank_code[16];
    int first_month, n_months; /* months as year * 12 + month - 1 */
    int base_count;
    bool in[RB_IMPORT_FILE_COUNT]; /* has rows in each extract */
} firm;

typedef struct world {
    rng r;
    int n_firms;
    firm *firms;
} world;

static void world_init(world *w, uint64_t seed, int n_firms)
{
    w->r.state = seed;
    w->n_firms = n_firms;
    w->firms = calloc((size_t)n_firms, sizeof *w->firms);
    ck_assert_ptr_nonnull(w->firms);
    rng *r = &w->r;
    for (int i = 0; i < n_firms; i++) {
        firm *f = &w->firms[i];
        make_code(r, i, f->code);
        f->seed = rng_next(r);
        random_name(r, f->name, sizeof f->name);
        f->status = rng_percent(r, 80) ? good_statuses[rng_below(r, 4)] : PICK(r, good_statuses);
        f->established = random_date(r, 2000, 21);
        f->deregistered = strcmp(f->status, "注销") == 0 || rng_percent(r, 3) ? random_date(r, 2021, 2) : 0;
        f->region = PICK(r, regions);
        f->industry = PICK(r, industries);
        f->dishonest = rng_percent(r, 3);
        if (rng_percent(r, 80))
            snprintf(f->unit_no, sizeof f->unit_no, "U%06d", i + 1);
        f->insured_on = random_date(r, 2005, 16);
        f->ui_status = rng_percent(r, 85) ? good_ui_statuses[rng_below(r, 2)] : PICK(r, good_ui_statuses);
        f->bank_name = PICK(r, bank_names);
        if (rng_percent(r, 95))
            random_digits(r, f->account, 16 + rng_below(r, 4));
        f->source = rng_percent(r, 80) ? "对公" : "税务";
        if (rng_percent(r, 70))
            random_digits(r, f->bank_code, 12);
        f->first_month = rng_percent(r, 80) ? 2020 * 12 + 11 - rng_below(r, 4) : 2021 * 12 + rng_below(r, 7);
        f->n_months = rng_percent(r, 85) ? 12 + rng_below(r, 3) : 1 + rng_below(r, 6);
        f->base_count = rng_percent(r, 90) ? 1 + rng_below(r, 12) : rng_below(r, 40);
        f->in[REG] = rng_percent(r, 95);
        f->in[UNITS] = rng_percent(r, 93);
        f->in[CONTRIB] = rng_percent(r, 95);
    }
}

static void world_free(world *w)
{
    free(w->firms);
    w->firms = NULL;
}

/* The values of a firm's month m (0 = its first; any m, also one a night's
 * edit moved out of its range). */
typedef struct month_values {
    long long count, employer_due, employer_paid, employee_due, employee_paid, claimants;
} month_values;

static month_values values_of(const firm *f, int m)
{
    rng h = {f->seed ^ ((uint64_t)(m + 100) * 0xD1B54A32D192ED03u)};
    uint64_t x = rng_next(&h);
    month_values v;
    v.count = f->base_count + (long long)(x % 3) - 1;
    if (v.count < 0)
        v.count = 0;
    v.employer_due = v.count * 4800 + (long long)(x >> 8 & 0xFF);
    v.employer_paid = (x >> 16) % 10 == 0 ? v.employer_due / 2 : v.employer_due;
    v.employee_due = v.count * 1200 + (long long)((x >> 24) % 3) * 50;
    v.employee_paid = (x >> 32) % 15 == 0 ? 0 : v.employee_due;
    v.claimants = (x >> 40) % 25 == 0 ? 1 : 0;
    return v;
}

/* ------------------------------------------------------------ lines and nights */

typedef enum line_kind {
    LINE_ROW,   /* cells, written as the file's columns say */
    LINE_BLANK, /* text: a blank record */
    LINE_RAW    /* text as a test wrote it (may hold line breaks); random edits leave it */
} line_kind;

typedef struct line {
    line_kind kind;
    bool crlf;       /* ends with \r\n, not \n */
    int field_delta; /* -1 or +1: a field dropped or added (FIELD_COUNT) */
    bool invalid;    /* a value was made to break its rule */
    int firm, month; /* the firm (and month of contributions) the row was made for */
    int partner;     /* the line it was made to repeat or conflict with, else -1 */
    unsigned quoted; /* a bit per cell: written quoted though it need not be */
    union {
        char cell[MAX_COLS][CELL]; /* LINE_ROW: values in spec order, [NOTE] the unknown column's */
        char text[MAX_COLS * CELL];
    };
} line;

typedef struct extract {
    int file;            /* RB_IMPORT_* */
    int order[MAX_COLS]; /* the file's columns left to right: a spec column or NOTE */
    int n_order;
    char header[800];    /* the header line as written */
    char pre[2][800];    /* the lines before the header (blank, unless a test writes there) */
    int n_pre;
    bool bom, crlf, final_newline; /* crlf: the line end of the header and the lines before it */
    line *lines;         /* the lines after the header */
    int n, cap;
} extract;

typedef struct night {
    extract x[RB_IMPORT_FILE_COUNT];
} night;

static int push_line(extract *x)
{
    if (x->n == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 256;
        x->lines = realloc(x->lines, (size_t)x->cap * sizeof *x->lines);
        ck_assert_ptr_nonnull(x->lines);
    }
    line *ln = &x->lines[x->n];
    memset(ln, 0, sizeof *ln);
    ln->firm = ln->partner = -1;
    return x->n++;
}

/* A new line at `at`, the later ones moved down; partners follow. */
static line *insert_line(extract *x, int at)
{
    push_line(x);
    memmove(&x->lines[at + 1], &x->lines[at], (size_t)(x->n - 1 - at) * sizeof *x->lines);
    for (int i = 0; i < x->n; i++)
        if (x->lines[i].partner >= at)
            x->lines[i].partner++;
    memset(&x->lines[at], 0, sizeof x->lines[at]);
    x->lines[at].firm = x->lines[at].partner = -1;
    return &x->lines[at];
}

static void remove_line(extract *x, int at)
{
    memmove(&x->lines[at], &x->lines[at + 1], (size_t)(x->n - 1 - at) * sizeof *x->lines);
    x->n--;
    for (int i = 0; i < x->n; i++)
        if (x->lines[i].partner == at)
            x->lines[i].partner = -1;
        else if (x->lines[i].partner > at)
            x->lines[i].partner--;
}

/* Line i becomes a copy of row j (its line end kept). */
static void copy_row(extract *x, int i, int j)
{
    bool crlf = x->lines[i].crlf;
    x->lines[i] = x->lines[j];
    x->lines[i].crlf = crlf;
    x->lines[i].partner = j;
}

static bool has_column(const extract *x, int c)
{
    for (int i = 0; i < x->n_order; i++)
        if (x->order[i] == c)
            return true;
    return false;
}

static col_type column_type(int file, int c)
{
    return extract_columns[file].columns[c].type;
}

/* A valid row of firm k (month m for contributions), each value written
 * in one of its ways; the line end is left as it was. */
static void fill_valid(const world *w, rng *r, int file, int k, int m, line *ln)
{
    const firm *f = &w->firms[k];
    bool crlf = ln->crlf;
    memset(ln, 0, sizeof *ln);
    ln->kind = LINE_ROW;
    ln->crlf = crlf;
    ln->firm = k;
    ln->month = m;
    ln->partner = -1;
    render_code(r, f->code, ln->cell[0]);
    char (*c)[CELL] = ln->cell;
    switch (file) {
    case REG:
        set_cell(c[R_NAME], f->name);
        set_cell(c[R_STATUS], f->status);
        render_date(r, f->established, c[R_ESTABLISHED]);
        if (f->deregistered)
            render_date(r, f->deregistered, c[R_DEREGISTERED]);
        set_cell(c[R_REGION], f->region);
        set_cell(c[R_INDUSTRY], f->industry);
        render_dishonesty(r, f->dishonest, c[R_DISHONESTY]);
        break;
    case UNITS:
        set_cell(c[U_UNIT_NO], f->unit_no);
        set_cell(c[U_UNIT_NAME], f->name);
        render_date(r, f->insured_on, c[U_INSURED_ON]);
        set_cell(c[U_UI_STATUS], f->ui_status);
        set_cell(c[U_ACCOUNT_NAME], f->name);
        set_cell(c[U_BANK_NAME], f->bank_name);
        render_account(r, f->account, c[U_BANK_ACCOUNT]);
        render_source(r, f->source, c[U_SOURCE]);
        set_cell(c[U_BANK_CODE], f->bank_code);
        break;
    default: {
        month_values v = values_of(f, m);
        render_period(r, f->first_month + m, c[C_PERIOD]);
        render_count(r, v.count, c[C_COUNT]);
        render_money(r, v.employer_due, c[C_EMPLOYER_DUE]);
        render_money(r, v.employer_paid, c[C_EMPLOYER_PAID]);
        render_money(r, v.employee_due, c[C_EMPLOYEE_DUE]);
        render_money(r, v.employee_paid, c[C_EMPLOYEE_PAID]);
        if (v.claimants == 0 && rng_percent(r, 60))
            set_cell(c[C_CLAIMANTS], "");
        else
            render_count(r, v.claimants, c[C_CLAIMANTS]);
        break;
    }
    }
    if (rng_percent(r, 30))
        cellf(c[NOTE], "备注%d", rng_below(r, 1000));
    for (int i = 0; i < MAX_COLS; i++) {
        if (rng_percent(r, 8))
            ln->quoted |= 1u << i;
        if (rng_percent(r, 3))
            pad(r, c[i]);
    }
}

static void set_blank(rng *r, line *ln, bool last_without_end)
{
    ln->kind = LINE_BLANK;
    ln->field_delta = 0;
    ln->invalid = false;
    ln->partner = -1;
    const char *t = last_without_end ? blanks[1 + rng_below(r, COUNT_OF(blanks) - 1)] : PICK(r, blanks);
    cellf(ln->text, "%s", t);
}

static void set_raw(line *ln, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_raw(line *ln, const char *fmt, ...)
{
    ln->kind = LINE_RAW;
    ln->partner = -1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(ln->text, sizeof ln->text, fmt, ap);
    va_end(ap);
    ck_assert(n >= 0 && (size_t)n < sizeof ln->text);
}

/* A code that is not valid: a mistyped check character, a character
 * short, a letter outside the set, a full-width check character. */
static void bad_code(rng *r, const char *code, char *cell)
{
    char c[RB_USCC_LEN + 1];
    memcpy(c, code, sizeof c);
    switch (rng_below(r, 4)) {
    case 0:
        do
            c[17] = code_set[rng_below(r, 31)];
        while (c[17] == code[17]);
        set_cell(cell, c);
        break;
    case 1:
        c[17] = '\0';
        set_cell(cell, c);
        break;
    case 2:
        c[9] = 'O';
        set_cell(cell, c);
        break;
    default:
        c[17] = '\0';
        cellf(cell, "%sＸ", c);
        break;
    }
    if (rng_percent(r, 20))
        lower_ascii(cell);
}

/* The row breaks one rule: a field too many or too few, a required field
 * empty, or a value of one of the file's columns that its rule refuses. */
static void make_invalid(const world *w, rng *r, const extract *x, line *ln)
{
    ln->invalid = true;
    if (rng_percent(r, 12)) {
        ln->field_delta = rng_percent(r, 50) ? 1 : -1;
        return;
    }
    const column *cols = extract_columns[x->file].columns;
    int candidates[MAX_COLS], n = 0;
    for (int i = 0; i < x->n_order; i++) {
        int c = x->order[i];
        if (c != NOTE && (cols[c].required || (cols[c].type != T_TEXT && cols[c].type != T_ACCOUNT)))
            candidates[n++] = c;
    }
    ck_assert_int_gt(n, 0);
    int c = candidates[rng_below(r, n)];
    char *cell = ln->cell[c];
    if (cols[c].required && rng_percent(r, 8)) {
        set_cell(cell, rng_percent(r, 50) ? "" : "　");
        return;
    }
    switch (cols[c].type) {
    case T_USCC: bad_code(r, w->firms[ln->firm].code, cell); break;
    case T_TEXT: set_cell(cell, ""); break; /* a required one */
    case T_DATE: set_cell(cell, PICK(r, bad_dates)); break;
    case T_STATUS: set_cell(cell, PICK(r, bad_statuses)); break;
    case T_REGION: set_cell(cell, PICK(r, bad_regions)); break;
    case T_DISHONESTY: set_cell(cell, PICK(r, bad_dishonesty)); break;
    case T_UI_STATUS: set_cell(cell, PICK(r, bad_ui_statuses)); break;
    case T_SOURCE: set_cell(cell, PICK(r, bad_sources)); break;
    case T_BANK_CODE: set_cell(cell, PICK(r, bad_bank_codes)); break;
    case T_PERIOD: set_cell(cell, PICK(r, bad_periods)); break;
    case T_COUNT: set_cell(cell, PICK(r, bad_counts)); break;
    case T_MONEY: set_cell(cell, PICK(r, bad_money)); break;
    case T_ACCOUNT: break;
    }
}

/* One value of the row changed into another valid one (an amount, a name,
 * a status ...): a duplicate so edited conflicts. */
static void change_value(rng *r, const extract *x, line *ln)
{
    static const int reg_cols[] = {R_NAME, R_STATUS, R_ESTABLISHED, R_REGION, R_DISHONESTY};
    static const int unit_cols[] = {U_UNIT_NAME, U_INSURED_ON, U_UI_STATUS, U_BANK_NAME, U_SOURCE, U_BANK_CODE};
    static const int contrib_cols[] = {C_EMPLOYER_DUE, C_EMPLOYER_PAID, C_EMPLOYEE_DUE, C_EMPLOYEE_PAID, C_CLAIMANTS};
    int c = -1;
    for (int tries = 0; tries < 8 && (c < 0 || !has_column(x, c)); tries++)
        c = x->file == REG ? PICK(r, reg_cols) : x->file == UNITS ? PICK(r, unit_cols) : PICK(r, contrib_cols);
    char *cell = ln->cell[c];
    switch (column_type(x->file, c)) {
    case T_TEXT: {
        char name[80];
        random_name(r, name, sizeof name);
        set_cell(cell, name);
        break;
    }
    case T_STATUS: set_cell(cell, PICK(r, good_statuses)); break;
    case T_DATE: render_date(r, random_date(r, 2000, 21), cell); break;
    case T_REGION: set_cell(cell, PICK(r, regions)); break;
    case T_DISHONESTY: render_dishonesty(r, rng_percent(r, 50), cell); break;
    case T_UI_STATUS: set_cell(cell, PICK(r, good_ui_statuses)); break;
    case T_SOURCE: set_cell(cell, PICK(r, sources)); break;
    case T_BANK_CODE: random_digits(r, cell, 12); break;
    case T_MONEY: render_money(r, rng_below(r, 1000000), cell); break;
    case T_COUNT: render_count(r, rng_below(r, 4), cell); break;
    default: break;
    }
}

/* The header line of columns `order`: style 0 canonical names, 1 in upper
 * case, 2 the Chinese aliases, 3 any of those per column; padded names
 * now and then when padded. */
static void build_header(rng *r, const int *order, int n_order, int file, int style, bool padded, char *out,
                         size_t cap)
{
    rb_strbuf h = RB_STRBUF_INIT;
    for (int i = 0; i < n_order; i++) {
        int c = order[i];
        int s = style == 3 ? rng_below(r, 3) : style;
        char name[64];
        if (c == NOTE)
            snprintf(name, sizeof name, "%s", NOTE_NAME);
        else
            snprintf(name, sizeof name, "%s",
                     s == 2 ? extract_columns[file].columns[c].alias : extract_columns[file].columns[c].name);
        if (s == 1)
            swap_ascii_case(name);
        bool p = padded && rng_percent(r, 10);
        NEED(rb_strbuf_addf(&h, "%s%s%s%s", i ? "," : "", p ? " " : "", name, p ? " " : ""));
    }
    ck_assert(h.len < cap);
    memcpy(out, h.buf, h.len + 1);
    rb_strbuf_release(&h);
}

typedef struct gen_options {
    bool plain; /* canonical headers, spec order, every column, no BOM, no line before the header */
    bool note;  /* with plain: the unknown column last in every file */
    int reg_pre; /* lines before registration.csv's header; -1: at random */
} gen_options;

/* Firm k's row (or month m's), and now and then a row breaking a rule, an
 * exact duplicate, a conflicting row or a blank line after it. */
static void gen_rows(world *w, extract *x, int k, int m)
{
    rng *r = &w->r;
    int i = push_line(x);
    x->lines[i].crlf = x->crlf != rng_percent(r, 3);
    fill_valid(w, r, x->file, k, m, &x->lines[i]);
    if (rng_percent(r, 3)) {
        make_invalid(w, r, x, &x->lines[i]);
    } else if (rng_percent(r, 4)) {
        int d = push_line(x);
        x->lines[d].crlf = x->crlf;
        fill_valid(w, r, x->file, k, m, &x->lines[d]);
        x->lines[d].partner = i;
    } else if (rng_percent(r, 3)) {
        int d = push_line(x);
        x->lines[d].crlf = x->crlf;
        fill_valid(w, r, x->file, k, m, &x->lines[d]);
        change_value(r, x, &x->lines[d]);
        x->lines[d].partner = i;
    }
    if (rng_percent(r, 2)) {
        int b = push_line(x);
        x->lines[b].crlf = x->crlf;
        set_blank(r, &x->lines[b], false);
        x->lines[b].firm = k;
        x->lines[b].month = m + 1;
    }
}

/* One extract of a first night: a header (its columns, names and order at
 * random unless plain), then each firm's rows together, in period order,
 * the firms in a random order or in code order, then a few corrections. */
static void gen_extract(world *w, const gen_options *o, int file, extract *x)
{
    rng *r = &w->r;
    memset(x, 0, sizeof *x);
    x->file = file;
    int n_cols = extract_columns[file].n;
    for (int c = 0; c < n_cols; c++)
        if (o->plain || extract_columns[file].columns[c].required || !rng_percent(r, 10))
            x->order[x->n_order++] = c;
    if (!o->plain && rng_percent(r, 30))
        for (int i = x->n_order - 1; i > 0; i--) {
            int j = rng_below(r, i + 1), t = x->order[i];
            x->order[i] = x->order[j];
            x->order[j] = t;
        }
    if (o->plain ? o->note : rng_percent(r, 30)) {
        int at = o->plain ? x->n_order : rng_below(r, x->n_order + 1);
        memmove(&x->order[at + 1], &x->order[at], (size_t)(x->n_order - at) * sizeof x->order[0]);
        x->order[at] = NOTE;
        x->n_order++;
    }
    build_header(r, x->order, x->n_order, file, o->plain ? 0 : rng_below(r, 4), !o->plain, x->header,
                 sizeof x->header);
    if (file == REG && o->reg_pre >= 0)
        x->n_pre = o->reg_pre;
    else
        x->n_pre = !o->plain && rng_percent(r, 20) ? 1 + rng_below(r, 2) : 0;
    for (int i = 0; i < x->n_pre; i++)
        snprintf(x->pre[i], sizeof x->pre[i], "%s", i % 2 ? " ,," : "");
    x->bom = !o->plain && rng_percent(r, 25);
    x->crlf = !o->plain && rng_percent(r, 20);

    int *firm_order = malloc((size_t)w->n_firms * sizeof *firm_order);
    ck_assert_ptr_nonnull(firm_order);
    for (int i = 0; i < w->n_firms; i++)
        firm_order[i] = i;
    if (!rng_percent(r, 30))
        for (int i = w->n_firms - 1; i > 0; i--) {
            int j = rng_below(r, i + 1), t = firm_order[i];
            firm_order[i] = firm_order[j];
            firm_order[j] = t;
        }
    for (int i = 0; i < w->n_firms; i++) {
        int k = firm_order[i];
        if (!w->firms[k].in[file])
            continue;
        if (file == CONTRIB)
            for (int m = 0; m < w->firms[k].n_months; m++)
                gen_rows(w, x, k, m);
        else
            gen_rows(w, x, k, 0);
    }
    free(firm_order);
    /* Corrections appended at the end, as an agency adds them: copies of
     * rows from anywhere above (exact duplicates, or conflicting ones)
     * and months that firms' groups above lack. */
    for (int late = x->n / 100 + 1; late > 0 && x->n > 0; late--) {
        int j = rng_below(r, x->n);
        if (x->lines[j].kind != LINE_ROW)
            continue;
        int i = push_line(x);
        x->lines[i].crlf = x->crlf;
        int k = x->lines[j].firm, kind = rng_below(r, 10);
        if (kind < 5) {
            copy_row(x, i, j);
        } else {
            int m = kind < 8 ? x->lines[j].month : w->firms[k].n_months + rng_below(r, 3);
            fill_valid(w, r, file, k, m, &x->lines[i]);
            if (kind < 8) {
                change_value(r, x, &x->lines[i]);
                x->lines[i].partner = j;
            }
        }
    }
    x->final_newline = o->plain || x->n == 0 || x->lines[x->n - 1].kind != LINE_ROW || !rng_percent(r, 20);
}

static void gen_night(world *w, const gen_options *o, night *n)
{
    for (int f = 0; f < RB_IMPORT_FILE_COUNT; f++)
        gen_extract(w, o, f, &n->x[f]);
}

static void night_copy(night *dst, const night *src)
{
    *dst = *src;
    for (int f = 0; f < RB_IMPORT_FILE_COUNT; f++) {
        extract *x = &dst->x[f];
        x->cap = x->n > 0 ? x->n : 1;
        x->lines = malloc((size_t)x->cap * sizeof *x->lines);
        ck_assert_ptr_nonnull(x->lines);
        memcpy(x->lines, src->x[f].lines, (size_t)x->n * sizeof *x->lines);
    }
}

static void night_free(night *n)
{
    for (int f = 0; f < RB_IMPORT_FILE_COUNT; f++) {
        free(n->x[f].lines);
        n->x[f].lines = NULL;
    }
}

/* ------------------------------------------------------------ writing */

static void render_cell(rb_strbuf *out, const char *s, bool quoted)
{
    if (!quoted && strpbrk(s, ",\"\r\n") == NULL) {
        NEED(rb_strbuf_adds(out, s));
        return;
    }
    NEED(rb_strbuf_addch(out, '"'));
    for (; *s; s++)
        NEED(*s == '"' ? rb_strbuf_adds(out, "\"\"") : rb_strbuf_addch(out, *s));
    NEED(rb_strbuf_addch(out, '"'));
}

/* The line's text, without its line end. */
static void render_line(const extract *x, const line *ln, rb_strbuf *out)
{
    if (ln->kind != LINE_ROW) {
        NEED(rb_strbuf_adds(out, ln->text));
        return;
    }
    int n = x->n_order + (ln->field_delta < 0 ? -1 : 0);
    for (int i = 0; i < n; i++) {
        int c = x->order[i];
        if (i > 0)
            NEED(rb_strbuf_addch(out, ','));
        render_cell(out, ln->cell[c], (ln->quoted >> c) & 1);
    }
    if (ln->field_delta > 0)
        NEED(rb_strbuf_adds(out, ",多余"));
}

static void render_extract(const extract *x, rb_strbuf *out)
{
    const char *eol = x->crlf ? "\r\n" : "\n";
    if (x->bom)
        NEED(rb_strbuf_adds(out, "\xEF\xBB\xBF"));
    for (int i = 0; i < x->n_pre; i++)
        NEED(rb_strbuf_adds(out, x->pre[i]) && rb_strbuf_adds(out, eol));
    NEED(rb_strbuf_adds(out, x->header) && rb_strbuf_adds(out, eol));
    for (int i = 0; i < x->n; i++) {
        render_line(x, &x->lines[i], out);
        if (i < x->n - 1 || x->final_newline)
            NEED(rb_strbuf_adds(out, x->lines[i].crlf ? "\r\n" : "\n"));
    }
}

/* The same text in GB18030 (malloc'ed), converted with iconv. */
static char *to_gb18030(const char *utf8, size_t len, size_t *out_len)
{
    iconv_t cd = iconv_open("GB18030", "UTF-8");
    ck_assert(cd != (iconv_t)-1);
    size_t in_left = len, cap = len * 2 + 16, out_left = cap;
    char *out = malloc(cap);
    ck_assert_ptr_nonnull(out);
    char *in = (char *)utf8, *o = out;
    ck_assert(iconv(cd, &in, &in_left, &o, &out_left) != (size_t)-1);
    ck_assert_uint_eq(in_left, 0);
    iconv_close(cd);
    *out_len = cap - out_left;
    return out;
}

static void write_night(const night *n, const char *dir, bool gb18030)
{
    for (int f = 0; f < RB_IMPORT_FILE_COUNT; f++) {
        rb_strbuf t = RB_STRBUF_INIT;
        render_extract(&n->x[f], &t);
        if (gb18030) {
            size_t len = 0;
            char *gb = to_gb18030(t.buf, t.len, &len);
            ts_write_file(dir, rb_import_file_name(f), gb, len);
            free(gb);
        } else {
            ts_write_file(dir, rb_import_file_name(f), t.buf, t.len);
        }
        rb_strbuf_release(&t);
    }
}

/* The physical lines of file f (a line ends with \n; bytes after the last
 * \n are one more) that differ between nights a and b, or -1 when b has
 * another number of lines; *lines: how many b has. */
static long changed_lines(const night *a, const night *b, int f, long *lines)
{
    rb_strbuf ta = RB_STRBUF_INIT, tb = RB_STRBUF_INIT;
    render_extract(&a->x[f], &ta);
    render_extract(&b->x[f], &tb);
    long changed = 0, n = 0;
    size_t i = 0, j = 0;
    while (i < ta.len || j < tb.len) {
        if (i >= ta.len || j >= tb.len) {
            changed = -1;
            break;
        }
        size_t ie = i, je = j;
        while (ie < ta.len && ta.buf[ie] != '\n')
            ie++;
        while (je < tb.len && tb.buf[je] != '\n')
            je++;
        ie += ie < ta.len; /* with its \n, if it has one */
        je += je < tb.len;
        if (ie - i != je - j || memcmp(ta.buf + i, tb.buf + j, ie - i) != 0)
            changed++;
        n++;
        i = ie;
        j = je;
    }
    rb_strbuf_release(&ta);
    rb_strbuf_release(&tb);
    *lines = n;
    return changed;
}

/* ------------------------------------------------------------ a night's edits */

typedef enum edit_kind {
    E_VALUE,      /* an amount, a name, a status ... */
    E_COUNT,      /* a headcount */
    E_ACCOUNT,    /* an account number */
    E_INVALID,    /* the row made to break a rule */
    E_VALID,      /* the row written valid again */
    E_OTHER_CODE, /* its code changed into another firm's */
    E_COPY_FAR,   /* the line made a copy of another row anywhere in the file */
    E_BLANK,      /* the line made blank */
    E_UNBLANK,    /* a blank line made a row */
    E_LOOK,       /* the same values written otherwise: quotes, spaces, case of the code, line end */
    E_PERIOD,     /* a month moved to another period */
    E_NOTE,       /* the unknown column's value */
    EDIT_KINDS
} edit_kind;

static const int edit_weights[EDIT_KINDS] = {22, 8, 6, 12, 8, 7, 4, 4, 4, 12, 7, 4};

static edit_kind random_edit(rng *r)
{
    int total = 0;
    for (int k = 0; k < EDIT_KINDS; k++)
        total += edit_weights[k];
    int x = rng_below(r, total);
    for (int k = 0; k < EDIT_KINDS; k++) {
        if (x < edit_weights[k])
            return (edit_kind)k;
        x -= edit_weights[k];
    }
    return E_VALUE;
}

static void look_change(rng *r, const extract *x, line *ln)
{
    int c = x->order[rng_below(r, x->n_order)];
    switch (rng_below(r, 4)) {
    case 0: ln->quoted ^= 1u << c; break;
    case 1: pad(r, ln->cell[c]); break;
    case 2: ln->crlf = !ln->crlf; break;
    default: swap_ascii_case(ln->cell[0]); break;
    }
}

static void apply_edit(world *w, extract *x, int i, edit_kind kind)
{
    rng *r = &w->r;
    line *ln = &x->lines[i];
    bool last_without_end = i == x->n - 1 && !x->final_newline;
    if (ln->kind == LINE_RAW)
        return;
    if (ln->kind == LINE_BLANK) {
        if (kind == E_UNBLANK || rng_percent(r, 50)) {
            int k = ln->firm >= 0 ? ln->firm : rng_below(r, w->n_firms);
            fill_valid(w, r, x->file, k, rng_below(r, w->firms[k].n_months + 1), ln);
        } else {
            set_blank(r, ln, last_without_end);
        }
        return;
    }
    switch (kind) {
    case E_VALUE: change_value(r, x, ln); break;
    case E_COUNT:
        if (x->file == CONTRIB)
            render_count(r, rng_below(r, 41), ln->cell[C_COUNT]);
        else
            change_value(r, x, ln);
        break;
    case E_ACCOUNT:
        if (x->file == UNITS) {
            char digits[24];
            random_digits(r, digits, 16 + rng_below(r, 4));
            render_account(r, digits, ln->cell[U_BANK_ACCOUNT]);
        } else {
            change_value(r, x, ln);
        }
        break;
    case E_INVALID: make_invalid(w, r, x, ln); break;
    case E_VALID: fill_valid(w, r, x->file, ln->firm, ln->month, ln); break;
    case E_OTHER_CODE: {
        int k = rng_below(r, w->n_firms);
        render_code(r, w->firms[k].code, ln->cell[0]);
        ln->firm = k;
        break;
    }
    case E_COPY_FAR:
        for (int tries = 0; tries < 32; tries++) {
            int j = rng_below(r, x->n);
            if (j != i && x->lines[j].kind == LINE_ROW) {
                copy_row(x, i, j);
                break;
            }
        }
        break;
    case E_BLANK: set_blank(r, ln, last_without_end); break;
    case E_UNBLANK:
    case E_LOOK: look_change(r, x, ln); break;
    case E_PERIOD:
        if (x->file == CONTRIB) {
            const firm *f = &w->firms[ln->firm];
            int m = rng_below(r, f->n_months + 4) - 2;
            render_period(r, f->first_month + m, ln->cell[C_PERIOD]);
            ln->month = m;
        } else {
            change_value(r, x, ln);
        }
        break;
    case E_NOTE:
        if (has_column(x, NOTE))
            cellf(ln->cell[NOTE], "备注%d", rng_below(r, 1000));
        else
            look_change(r, x, ln);
        break;
    case EDIT_KINDS: break;
    }
}

/* A row made as a duplicate, a conflict or broken: edited with care. */
static bool marked(const extract *x, int i)
{
    const line *ln = &x->lines[i];
    return ln->kind == LINE_ROW && (ln->invalid || (ln->partner >= 0 && ln->partner < x->n));
}

/* Line i of a marked row edited: a broken row written valid, a duplicate
 * made to conflict, a conflict resolved by copying the row it conflicts
 * with. */
static void edit_marked(world *w, extract *x, int i)
{
    line *ln = &x->lines[i];
    if (ln->invalid)
        apply_edit(w, x, i, E_VALID);
    else if (rng_percent(&w->r, 50) || x->lines[ln->partner].kind != LINE_ROW)
        change_value(&w->r, x, ln);
    else
        copy_row(x, i, ln->partner);
}

/* Scattered in-place edits: in file f each line is edited with
 * probability permille[f]/1000, a marked row three times as often; the
 * last line sometimes loses or gains its line end. Never adds or removes a
 * physical line. */
static void edit_night(world *w, night *n, const int permille[RB_IMPORT_FILE_COUNT])
{
    rng *r = &w->r;
    for (int f = 0; f < RB_IMPORT_FILE_COUNT; f++) {
        extract *x = &n->x[f];
        if (permille[f] == 0)
            continue;
        for (int i = 0; i < x->n; i++) {
            if (marked(x, i) && rng_permille(r, 3 * permille[f]))
                edit_marked(w, x, i);
            else if (rng_permille(r, permille[f]))
                apply_edit(w, x, i, random_edit(r));
        }
        if (x->n > 0 && x->lines[x->n - 1].kind == LINE_ROW && rng_percent(r, 10))
            x->final_newline = !x->final_newline;
    }
}

/* A few in-place edits of one file, in at most `windows` places of ten
 * lines, none among its first hundred lines: a change any patching import
 * should patch rather than read everything (it reads again whole runs of
 * RB_PRINT_LINES lines around a changed line, and reads everything when
 * too large a share of the runs changed: src/import/patch.c). */
static void edit_sparse(world *w, extract *x, int edits, int windows)
{
    rng *r = &w->r;
    int lo = x->n / 10 > 100 ? x->n / 10 : 100;
    ck_assert_msg(x->n >= lo + 20, "%s is too short for edits past its top", rb_import_file_name(x->file));
    int starts[2];
    for (int k = 0; k < windows && k < 2; k++)
        starts[k] = lo + rng_below(r, x->n - lo - 10);
    for (int e = 0; e < edits; e++) {
        int i = starts[e % (windows < 2 ? windows : 2)] + rng_below(r, 10);
        if (marked(x, i) && rng_percent(r, 50))
            edit_marked(w, x, i);
        else
            apply_edit(w, x, i, random_edit(r));
    }
}

/* ------------------------------------------------------------ comparing databases */

static char *query_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "no row from %s", sql);
    const unsigned char *t = sqlite3_column_text(st, 0);
    char *copy = strdup(t ? (const char *)t : "NULL");
    ck_assert_ptr_nonnull(copy);
    sqlite3_finalize(st);
    return copy;
}

/* Every row of a query, its columns separated by '|', NULL as NULL. */
static void dump_query(sqlite3 *db, const char *sql, rb_strbuf *out)
{
    sqlite3_stmt *st = NULL;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            const unsigned char *t = sqlite3_column_text(st, c);
            NEED(rb_strbuf_adds(out, c ? "|" : "") && rb_strbuf_adds(out, t ? (const char *)t : "NULL"));
        }
        NEED(rb_strbuf_addch(out, '\n'));
    }
    ck_assert_msg(rc == SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_finalize(st);
}

/* Columns that name the import or number its row errors, which differ
 * between two databases by design: left out of the comparison. */
static bool excluded_column(const char *name)
{
    static const char *const names[] = {"error_id", "import_id", "started_at", "finished_at", "source_dir"};
    for (int i = 0; i < COUNT_OF(names); i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

/* The snapshot attached to db as text: its schema and format, every row of
 * every table in the order of all its columns (so rows are compared as
 * multisets: row_errors without error_id), and the view contributions. */
static void dump_snapshot(sqlite3 *db, rb_strbuf *out)
{
    static const char *const required[] = {"snapshot_import", "snapshot_import_files", "registration",
                                           "insured_units", "contribution_months", "row_errors", "duplicate_rows"};
    for (int i = 0; i < COUNT_OF(required); i++) {
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM snapshot.sqlite_schema WHERE type = 'table' AND name = '%s'",
                 required[i]);
        ck_assert_msg(ts_query_int(db, sql) == 1, "the snapshot has no table %s", required[i]);
    }
    NEED(rb_strbuf_adds(out, "== schema\n"));
    dump_query(db,
               "SELECT type, name, tbl_name, sql FROM snapshot.sqlite_schema"
               " WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name",
               out);
    dump_query(db, "PRAGMA snapshot.user_version", out);

    char *tables[64];
    int n_tables = 0;
    sqlite3_stmt *st = NULL;
    ck_assert(sqlite3_prepare_v2(db,
                                 "SELECT name FROM snapshot.sqlite_schema WHERE type = 'table'"
                                 " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                                 -1, &st, NULL) == SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        ck_assert_int_lt(n_tables, COUNT_OF(tables));
        tables[n_tables] = strdup((const char *)sqlite3_column_text(st, 0));
        ck_assert_ptr_nonnull(tables[n_tables]);
        n_tables++;
    }
    sqlite3_finalize(st);

    for (int t = 0; t < n_tables; t++) {
        rb_strbuf select = RB_STRBUF_INIT, order = RB_STRBUF_INIT, sql = RB_STRBUF_INIT;
        ck_assert(sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?1, 'snapshot') ORDER BY cid", -1, &st,
                                     NULL) == SQLITE_OK);
        sqlite3_bind_text(st, 1, tables[t], -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *col = (const char *)sqlite3_column_text(st, 0);
            if (excluded_column(col))
                continue;
            NEED(rb_strbuf_addf(&select, "%squote(\"%s\")", select.len ? ", " : "", col));
            NEED(rb_strbuf_addf(&order, "%s\"%s\"", order.len ? ", " : "", col));
        }
        sqlite3_finalize(st);
        NEED(rb_strbuf_addf(out, "== %s\n", tables[t]));
        if (select.len > 0) {
            NEED(rb_strbuf_addf(&sql, "SELECT %s FROM snapshot.\"%s\" ORDER BY %s", select.buf, tables[t],
                                     order.buf));
            dump_query(db, sql.buf, out);
        }
        rb_strbuf_release(&select);
        rb_strbuf_release(&order);
        rb_strbuf_release(&sql);
        free(tables[t]);
    }
    NEED(rb_strbuf_adds(out, "== the view contributions\n"));
    dump_query(db,
               "SELECT uscc, period, insured_count, employer_due, employer_paid, employee_due, employee_paid,"
               " new_claimants, line FROM contributions ORDER BY uscc, period, line",
               out);
}

/* Fails naming the table and the first line where two dumps differ. */
static void expect_same(const char *label, const char *what, const char *got, const char *got_name,
                        const char *expected, const char *expected_name)
{
    if (strcmp(got, expected) == 0)
        return;
    size_t i = 0, start = 0, section = 0;
    int line = 1;
    while (got[i] != '\0' && got[i] == expected[i]) {
        if (got[i] == '\n') {
            start = i + 1;
            line++;
            if (strncmp(got + start, "== ", 3) == 0)
                section = start;
        }
        i++;
    }
    int s = (int)strcspn(expected + section, "\n");
    int g = (int)strcspn(got + start, "\n"), e = (int)strcspn(expected + start, "\n");
    ck_abort_msg("%s: %s differs (in '%.*s', line %d of the dump):\n  %s: %.*s\n  %s: %.*s", label, what, s,
                 expected + section, line, got_name, g > 400 ? 400 : g, got + start, expected_name,
                 e > 400 ? 400 : e, expected + start);
}

/* A report's files as the history's queries below print them. */
static void dump_report(const rb_import_report *rep, rb_strbuf *out)
{
    static const int by_name[] = {RB_IMPORT_CONTRIBUTIONS, RB_IMPORT_INSURED_UNITS, RB_IMPORT_REGISTRATION};
    for (int i = 0; i < COUNT_OF(by_name); i++) {
        const rb_import_file_report *f = &rep->files[by_name[i]];
        NEED(rb_strbuf_addf(out, "%s|%s|%s|%lld|%lld|%lld|%lld|%lld\n", f->file ? f->file : "NULL", f->sha256,
                                 f->encoding, (long long)f->rows_read, (long long)f->rows_loaded,
                                 (long long)f->rows_rejected, (long long)f->rows_duplicate,
                                 (long long)f->rows_conflicting));
    }
}

#define FILE_COLUMNS \
    "file, sha256, encoding, rows_read, rows_loaded, rows_rejected, rows_duplicate, rows_conflicting"

/* The import's rows of import_files and of the snapshot's own record say
 * what its report says, and the snapshot names this import, not the one it
 * may have been copied from. */
static void check_record(const char *label, const char *which, sqlite3 *db, const rb_import_report *rep,
                         rb_encoding asked)
{
    rb_strbuf from_report = RB_STRBUF_INIT, history = RB_STRBUF_INIT, own = RB_STRBUF_INIT;
    char sql[400];
    dump_report(rep, &from_report);
    snprintf(sql, sizeof sql, "SELECT " FILE_COLUMNS " FROM main.import_files WHERE import_id = %lld ORDER BY file",
             (long long)rep->import_id);
    dump_query(db, sql, &history);
    expect_same(label, which, history.buf, "import_files", from_report.buf, "the report");
    snprintf(sql, sizeof sql, "SELECT " FILE_COLUMNS " FROM snapshot_import_files WHERE import_id = %lld ORDER BY file",
             (long long)rep->import_id);
    dump_query(db, sql, &own);
    expect_same(label, which, own.buf, "snapshot_import_files", from_report.buf, "the report");
    ck_assert_msg(ts_query_int(db, "SELECT count(*) FROM snapshot_import_files") == RB_IMPORT_FILE_COUNT,
                  "%s: %s: the snapshot records files of another import too", label, which);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM snapshot_import WHERE import_id = %lld", (long long)rep->import_id);
    ck_assert_msg(ts_query_int(db, "SELECT count(*) FROM snapshot_import") == 1 && ts_query_int(db, sql) == 1,
                  "%s: %s: the snapshot does not record import %lld (alone)", label, which, (long long)rep->import_id);
    snprintf(sql, sizeof sql,
             "SELECT (SELECT encoding FROM main.imports WHERE import_id = %lld) || '|' ||"
             " (SELECT encoding FROM snapshot_import)",
             (long long)rep->import_id);
    char *encodings = query_text(db, sql), expected[64];
    snprintf(expected, sizeof expected, "%s|%s", rb_encoding_name(asked), rb_encoding_name(asked));
    ck_assert_msg(strcmp(encodings, expected) == 0, "%s: %s: encodings asked recorded as %s, not %s", label, which,
                  encodings, expected);
    free(encodings);
    rb_strbuf_release(&from_report);
    rb_strbuf_release(&history);
    rb_strbuf_release(&own);
}

/* The report of the import into the nights' database against a full
 * import's: the files' encodings, digests and row accounting. */
static void compare_reports(const char *label, const rb_import_report *a, const rb_import_report *b)
{
    ck_assert_msg(!b->patched, "%s: an import into a new database says it patched a snapshot", label);
    for (int f = 0; f < RB_IMPORT_FILE_COUNT; f++) {
        const rb_import_file_report *x = &a->files[f], *y = &b->files[f];
        const char *name = rb_import_file_name(f);
        ck_assert_msg(x->file != NULL && strcmp(x->file, name) == 0 && y->file != NULL && strcmp(y->file, name) == 0,
                      "%s: the report's file %d is not %s", label, f, name);
        ck_assert_msg(strcmp(x->encoding, y->encoding) == 0, "%s: %s found as %s, by a full import as %s", label, name,
                      x->encoding, y->encoding);
        ck_assert_msg(strcmp(x->sha256, y->sha256) == 0, "%s: %s's SHA-256 %s, by a full import %s", label, name,
                      x->sha256, y->sha256);
#define SAME_COUNT(field)                                                                                   \
    ck_assert_msg(x->field == y->field, "%s: %s " #field " %lld, by a full import %lld", label, name,        \
                  (long long)x->field, (long long)y->field)
        SAME_COUNT(rows_read);
        SAME_COUNT(rows_loaded);
        SAME_COUNT(rows_rejected);
        SAME_COUNT(rows_duplicate);
        SAME_COUNT(rows_conflicting);
#undef SAME_COUNT
    }
}

/* records_checked: every record on the full path, at most every one when
 * patched. */
static void check_records_checked(const char *label, const rb_import_report *a, const rb_import_report *b)
{
    for (int f = 0; f < RB_IMPORT_FILE_COUNT; f++) {
        const rb_import_file_report *x = &a->files[f], *y = &b->files[f];
        const char *name = rb_import_file_name(f);
        ck_assert_msg(y->records_checked == y->rows_read, "%s: a full import of %s checked %lld of its %lld records",
                      label, name, (long long)y->records_checked, (long long)y->rows_read);
        ck_assert_msg(x->records_checked >= 0 && x->records_checked <= x->rows_read,
                      "%s: %s: %lld records checked of the %lld read", label, name, (long long)x->records_checked,
                      (long long)x->rows_read);
        if (!a->patched)
            ck_assert_msg(x->records_checked == x->rows_read,
                          "%s: %s was imported whole (not patched), yet %lld of its %lld records were checked", label,
                          name, (long long)x->records_checked, (long long)x->rows_read);
    }
}

/* ------------------------------------------------------------ a database of nights and a fresh one */

typedef struct pair {
    char root[4096];
    char dir[4200];    /* the night's extracts */
    char a_path[4300]; /* the database every night is imported into */
    sqlite3 *a;
    int fresh;         /* new databases made for full imports */
} pair;

static void pair_open(pair *p)
{
    snprintf(p->root, sizeof p->root, "%s", ts_tmpdir());
    snprintf(p->dir, sizeof p->dir, "%s/inbox", p->root);
    ck_assert_int_eq(mkdir(p->dir, 0700), 0);
    snprintf(p->a_path, sizeof p->a_path, "%s/nights.db", p->root);
    rb_error err;
    rb_error_clear(&err);
    ck_assert_msg(rb_db_init(p->a_path, &p->a, &err) == RB_OK, "%s", err.message);
    p->fresh = 0;
}

static void pair_close(pair *p)
{
    rb_db_close(p->a);
    p->a = NULL;
    ts_rmtree(p->root);
}

static void import_dir(sqlite3 *db, const char *dir, rb_encoding e, rb_import_report *rep, const char *label,
                       const char *which)
{
    rb_error err;
    rb_error_clear(&err);
    memset(rep, 0, sizeof *rep);
    rb_status st = rb_import(db, dir, e, rep, &err);
    ck_assert_msg(st == RB_OK, "%s: the import into %s failed (%d): %s", label, which, (int)st, err.message);
}

/* The first night, imported whole into the pair's database. */
static void first_night(pair *p, const night *n, bool gb18030, rb_encoding e, rb_import_report *rep)
{
    write_night(n, p->dir, gb18030);
    import_dir(p->a, p->dir, e, rep, "night 1", "a new database");
    ck_assert_msg(!rep->patched, "the first import into a new database says it patched a snapshot");
    for (int f = 0; f < RB_IMPORT_FILE_COUNT; f++)
        ck_assert_int_eq(rep->files[f].records_checked, rep->files[f].rows_read);
}

/* Writes night n, imports it into the pair's database (after the nights
 * before) and into a new database, and requires from both the same
 * snapshot, history and row accounting; then that the first import
 * patched (expect_patched 1) or read every line (0) or either (-1). The
 * first import's report in *out (may be NULL). */
static void check_night(pair *p, const night *n, bool gb18030, rb_encoding e, int expect_patched, const char *label,
                        rb_import_report *out)
{
    write_night(n, p->dir, gb18030);
    rb_import_report ra, rb;
    import_dir(p->a, p->dir, e, &ra, label, "the database of the nights before");
    char b_path[4400];
    snprintf(b_path, sizeof b_path, "%s/fresh-%d.db", p->root, ++p->fresh);
    sqlite3 *b = NULL;
    rb_error err;
    rb_error_clear(&err);
    ck_assert_msg(rb_db_init(b_path, &b, &err) == RB_OK, "%s", err.message);
    import_dir(b, p->dir, e, &rb, label, "a new database");

    compare_reports(label, &ra, &rb);
    for (int f = 0; f < RB_IMPORT_FILE_COUNT; f++)
        ck_assert_msg(rb.files[f].rows_loaded > 0, "%s: nothing loaded from %s: the night proves nothing", label,
                      rb_import_file_name(f));

    rb_strbuf da = RB_STRBUF_INIT, dfull = RB_STRBUF_INIT, again = RB_STRBUF_INIT;
    dump_snapshot(p->a, &da);
    dump_snapshot(b, &dfull);
    expect_same(label, "the snapshot", da.buf, "this import", dfull.buf, "a full import");
    /* The file on disk, as the next command opens it: the same, and sound. */
    sqlite3 *reader = ts_open_db(p->a_path);
    dump_snapshot(reader, &again);
    expect_same(label, "the snapshot as a new connection reads it", again.buf, "a new connection", da.buf,
                "the importing connection");
    char *integrity = query_text(reader, "PRAGMA snapshot.integrity_check");
    ck_assert_msg(strcmp(integrity, "ok") == 0, "%s: the snapshot file is damaged: %s", label, integrity);
    free(integrity);
    sqlite3_close(reader);
    check_record(label, "the import of the nights' database", p->a, &ra, e);
    check_record(label, "the full import", b, &rb, e);
    /* Which path was taken, last: a wrong snapshot says more than a wrong flag. */
    check_records_checked(label, &ra, &rb);
    if (expect_patched >= 0)
        ck_assert_msg(ra.patched == (expect_patched == 1), "%s: the import %s, it should have %s", label,
                      ra.patched ? "patched the last snapshot" : "read every line",
                      expect_patched ? "patched the last snapshot" : "read every line");

    rb_strbuf_release(&da);
    rb_strbuf_release(&dfull);
    rb_strbuf_release(&again);
    rb_db_close(b);
    if (out)
        *out = ra;
}

/* Line i is a valid row made as such (not as a duplicate or conflict), of
 * another firm than not_firm (when >= 0). */
static bool is_valid_row(const extract *x, int i, int not_firm)
{
    const line *ln = &x->lines[i];
    return ln->kind == LINE_ROW && !ln->invalid && ln->field_delta == 0 && ln->partner < 0 && ln->firm != not_firm;
}

/* The first such row from line `from` on going by step (1 or -1), or -1. */
static int valid_row(const extract *x, int from, int step, int not_firm)
{
    for (int i = from; i >= 0 && i < x->n; i += step)
        if (is_valid_row(x, i, not_firm))
            return i;
    return -1;
}

/* ------------------------------------------------------------ random nights */

/* The lines changed in each file from night a to night b, requiring (of
 * the test's own edits) that each file kept its number of lines. */
static void count_changes(const night *a, const night *b, const char *label, long changed[RB_IMPORT_FILE_COUNT],
                          long lines[RB_IMPORT_FILE_COUNT])
{
    for (int f = 0; f < RB_IMPORT_FILE_COUNT; f++) {
        changed[f] = changed_lines(a, b, f, &lines[f]);
        ck_assert_msg(changed[f] >= 0, "%s: the test's edits changed the number of lines of %s", label,
                      rb_import_file_name(f));
    }
}

/* Each round: a first night, imported whole; a night that changes a few
 * lines of contributions.csv, which must be patched; then a night of edits
 * scattered over every file, patched or not as the import finds best. */
START_TEST(random_nights_patch_like_a_full_import)
{
    int round = _i;
    uint64_t seed = 0x5EED0000u + (uint64_t)round * 7919u;
    int n_firms = 100 + round * 53 % 301;
    /* The scattered night edits 1-5 % of every file's lines; in every
     * fifth round 30 % of two files' lines, the third file as it was. */
    static const int rates[] = {10, 20, 30, 50};
    bool heavy = round % 5 == 4;
    int permille[RB_IMPORT_FILE_COUNT];
    for (int f = 0; f < RB_IMPORT_FILE_COUNT; f++)
        permille[f] = !heavy ? rates[round % 4] : f == round / 5 % RB_IMPORT_FILE_COUNT ? 0 : 300;

    world w;
    world_init(&w, seed, n_firms);
    gen_options o = {.plain = false, .note = false, .reg_pre = -1};
    night prev;
    gen_night(&w, &o, &prev);
    pair p;
    pair_open(&p);
    rb_import_report rep;
    first_night(&p, &prev, false, RB_ENCODING_AUTO, &rep);
    const rb_import_file_report *c = &rep.files[RB_IMPORT_CONTRIBUTIONS];
    ck_assert_msg(c->rows_rejected > 0 && c->rows_duplicate > 0 && c->rows_conflicting > 0,
                  "round %d: the first night has no rejected, duplicate or conflicting months to patch", round);

    char label[200];
    long changed[RB_IMPORT_FILE_COUNT], lines[RB_IMPORT_FILE_COUNT];

    night sparse;
    night_copy(&sparse, &prev);
    int edits = 2 + rng_below(&w.r, 7);
    edit_sparse(&w, &sparse.x[CONTRIB], edits, 1 + rng_below(&w.r, 2));
    snprintf(label, sizeof label, "round %d (seed %#llx, %d firms), night 2: %d edits of contributions.csv", round,
             (unsigned long long)seed, n_firms, edits);
    count_changes(&prev, &sparse, label, changed, lines);
    check_night(&p, &sparse, false, RB_ENCODING_AUTO, 1, label, &rep);
    const rb_import_file_report *cf = &rep.files[RB_IMPORT_CONTRIBUTIONS];
    if (changed[CONTRIB] > 0)
        ck_assert_msg(cf->records_checked >= 1 && cf->records_checked * 2 < cf->rows_read,
                      "%s: %ld of the %ld lines of contributions.csv changed, %lld of its %lld records were checked",
                      label, changed[CONTRIB], lines[CONTRIB], (long long)cf->records_checked,
                      (long long)cf->rows_read);
    for (int f = 0; f < RB_IMPORT_FILE_COUNT; f++)
        if (f != CONTRIB)
            ck_assert_msg(rep.files[f].records_checked <= FEW_RECORDS,
                          "%s: %s did not change, yet %lld of its records were checked", label,
                          rb_import_file_name(f), (long long)rep.files[f].records_checked);

    night scattered;
    night_copy(&scattered, &sparse);
    edit_night(&w, &scattered, permille);
    snprintf(label, sizeof label, "round %d (seed %#llx, %d firms), night 3: edits %d/%d/%d per mille", round,
             (unsigned long long)seed, n_firms, permille[0], permille[1], permille[2]);
    count_changes(&sparse, &scattered, label, changed, lines);
    check_night(&p, &scattered, false, RB_ENCODING_AUTO, -1, label, &rep);
    for (int f = 0; f < RB_IMPORT_FILE_COUNT; f++)
        if (rep.patched && changed[f] == 0)
            ck_assert_msg(rep.files[f].records_checked <= FEW_RECORDS,
                          "%s: %s did not change, yet %lld of its records were checked", label,
                          rb_import_file_name(f), (long long)rep.files[f].records_checked);

    night_free(&prev);
    night_free(&sparse);
    night_free(&scattered);
    pair_close(&p);
    world_free(&w);
}
END_TEST

/* ------------------------------------------------------------ the full path */

START_TEST(a_line_inserted_or_removed_takes_the_full_path)
{
    world w;
    world_init(&w, 0xA11CE, 220);
    gen_options o = {.reg_pre = -1};
    night n1, n2, n3, n4, n5, n6;
    gen_night(&w, &o, &n1);
    pair p;
    pair_open(&p);
    rb_import_report rep;
    first_night(&p, &n1, false, RB_ENCODING_AUTO, &rep);

    /* A month after a firm's last, in the middle of contributions.csv. */
    night_copy(&n2, &n1);
    extract *c = &n2.x[CONTRIB];
    int at = valid_row(c, c->n / 2, 1, -1);
    ck_assert_int_ge(at, 0);
    int k = c->lines[at].firm;
    line *added = insert_line(c, at);
    added->crlf = c->crlf;
    fill_valid(&w, &w.r, CONTRIB, k, w.firms[k].n_months, added);
    check_night(&p, &n2, false, RB_ENCODING_AUTO, 0, "a line inserted into contributions.csv", NULL);

    /* A few lines edited in place after that night: patched again. */
    night_copy(&n3, &n2);
    edit_sparse(&w, &n3.x[CONTRIB], 4, 2);
    check_night(&p, &n3, false, RB_ENCODING_AUTO, 1, "edits in place after a line was inserted", NULL);

    night_copy(&n4, &n3);
    remove_line(&n4.x[REG], n4.x[REG].n / 3);
    check_night(&p, &n4, false, RB_ENCODING_AUTO, 0, "a line removed from registration.csv", NULL);

    /* A blank record added at the end of insured_units.csv. */
    night_copy(&n5, &n4);
    extract *u = &n5.x[UNITS];
    int b = push_line(u);
    set_raw(&u->lines[b], ",,,");
    check_night(&p, &n5, false, RB_ENCODING_AUTO, 0, "a blank line added at the end of insured_units.csv", NULL);

    /* A line removed and another inserted far below: as many lines as the
     * night before, but every line between them moved by one. */
    night_copy(&n6, &n5);
    c = &n6.x[CONTRIB];
    remove_line(c, c->n / 5);
    at = valid_row(c, 4 * c->n / 5, 1, -1);
    ck_assert_int_ge(at, 0);
    k = c->lines[at].firm;
    added = insert_line(c, at);
    fill_valid(&w, &w.r, CONTRIB, k, -1, added);
    check_night(&p, &n6, false, RB_ENCODING_AUTO, -1, "a line removed and another inserted in contributions.csv",
                NULL);

    night_free(&n1);
    night_free(&n2);
    night_free(&n3);
    night_free(&n4);
    night_free(&n5);
    night_free(&n6);
    pair_close(&p);
    world_free(&w);
}
END_TEST

/* Rebuilds x's header from `order` in the first of the styles that gives
 * other text than it has. */
static void rewrite_header(rng *r, const extract *x, const int *order, char *out, size_t cap)
{
    static const int styles[] = {2, 0, 1};
    char text[sizeof x->header];
    for (int i = 0; i < COUNT_OF(styles); i++) {
        build_header(r, order, x->n_order, x->file, styles[i], false, text, sizeof text);
        if (strcmp(text, x->header) != 0)
            break;
    }
    ck_assert_msg(strcmp(text, x->header) != 0 && strlen(text) < cap, "no other header for %s",
                  rb_import_file_name(x->file));
    memcpy(out, text, strlen(text) + 1);
}

START_TEST(a_changed_header_takes_the_full_path)
{
    world w;
    world_init(&w, 0xB0B, 180);
    gen_options o = {.reg_pre = 1}; /* a blank line before registration.csv's header */
    night n1, n2, n3, n4, n5;
    gen_night(&w, &o, &n1);
    pair p;
    pair_open(&p);
    rb_import_report rep;
    first_night(&p, &n1, false, RB_ENCODING_AUTO, &rep);
    static const int few[RB_IMPORT_FILE_COUNT] = {10, 10, 10};

    /* insured_units.csv's header in other words, the same columns. */
    night_copy(&n2, &n1);
    extract *u = &n2.x[UNITS];
    rewrite_header(&w.r, u, u->order, u->header, sizeof u->header);
    edit_night(&w, &n2, few);
    check_night(&p, &n2, false, RB_ENCODING_AUTO, 0, "insured_units.csv's header in other words", NULL);

    /* contributions.csv's header names employer_due where employee_due is
     * and the other way round: the other lines' bytes as they were, their
     * meaning not. */
    night_copy(&n3, &n2);
    extract *c = &n3.x[CONTRIB];
    int swapped[MAX_COLS], due = -1, employee = -1;
    memcpy(swapped, c->order, sizeof swapped);
    for (int i = 0; i < c->n_order; i++) {
        if (swapped[i] == C_EMPLOYER_DUE)
            due = i;
        if (swapped[i] == C_EMPLOYEE_DUE)
            employee = i;
    }
    ck_assert(due >= 0 && employee >= 0);
    swapped[due] = C_EMPLOYEE_DUE;
    swapped[employee] = C_EMPLOYER_DUE;
    char header[800];
    build_header(&w.r, swapped, c->n_order, CONTRIB, 0, false, header, sizeof header);
    memcpy(c->header, header, sizeof header);
    check_night(&p, &n3, false, RB_ENCODING_AUTO, 0, "two of contributions.csv's column names swapped", NULL);

    night_copy(&n4, &n3);
    edit_sparse(&w, &n4.x[CONTRIB], 4, 2);
    check_night(&p, &n4, false, RB_ENCODING_AUTO, 1, "a few edits in place after a changed header", NULL);

    /* The blank line before registration.csv's header becomes a header:
     * the old header is a record now. */
    night_copy(&n5, &n4);
    extract *g = &n5.x[REG];
    ck_assert_int_eq(g->n_pre, 1);
    rewrite_header(&w.r, g, g->order, g->pre[0], sizeof g->pre[0]);
    check_night(&p, &n5, false, RB_ENCODING_AUTO, 0, "a header on the line before registration.csv's header", NULL);

    night_free(&n1);
    night_free(&n2);
    night_free(&n3);
    night_free(&n4);
    night_free(&n5);
    pair_close(&p);
    world_free(&w);
}
END_TEST

/* ------------------------------------------------------------ records over two lines */

/* The first of two neighbouring valid rows at or after the middle of a
 * plain file (line i on physical line i + 2), on the two sides of a
 * boundary between the import's runs of lines (src/import/line_prints.h)
 * or within a run. */
static int neighbour_rows(const extract *x, bool across_runs)
{
    for (int i = x->n / 2; i + 1 < x->n; i++)
        if (valid_row(x, i, 1, -1) == i && valid_row(x, i + 1, 1, -1) == i + 1 &&
            ((i + 2) % RB_PRINT_LINES == 0) == across_runs)
            return i;
    ck_abort_msg("no two neighbouring valid rows in %s", rb_import_file_name(x->file));
    return -1;
}

/* Row ln's text with an empty note (the last column, as plain files with
 * a note have it), so that a test can write the note after it. */
static void row_text(const extract *x, const line *ln, char *out, size_t cap)
{
    line copy = *ln;
    copy.cell[NOTE][0] = '\0';
    copy.quoted &= ~(1u << NOTE);
    rb_strbuf t = RB_STRBUF_INIT;
    render_line(x, &copy, &t);
    ck_assert(t.len < cap && t.len > 0 && t.buf[t.len - 1] == ',');
    memcpy(out, t.buf, t.len + 1);
    rb_strbuf_release(&t);
}

/* Loop 0: each record over two lines within a run of lines the import
 * fingerprints; loop 1: starting on the last line of a run, ending on the
 * first of the next. */
START_TEST(records_over_two_lines_changed_in_place)
{
    bool across_runs = _i == 1;
    world w;
    world_init(&w, 0xC0FFEE, 600); /* 600 firms: a changed run of lines is a small share of every file */
    gen_options o = {.plain = true, .note = true, .reg_pre = 0};
    night base, n1, n2, n3, n4, n5;
    gen_night(&w, &o, &base);
    int ri = neighbour_rows(&base.x[REG], across_runs), ci = neighbour_rows(&base.x[CONTRIB], across_runs);
    const char *code_a = w.firms[base.x[REG].lines[ri].firm].code;
    const char *code_b = w.firms[base.x[REG].lines[ri + 1].firm].code;
    char month_a[400], month_b[400], month_a2[400];
    row_text(&base.x[CONTRIB], &base.x[CONTRIB].lines[ci], month_a, sizeof month_a);
    row_text(&base.x[CONTRIB], &base.x[CONTRIB].lines[ci + 1], month_b, sizeof month_b);
    line changed = base.x[CONTRIB].lines[ci];
    render_money(&w.r, 765432, changed.cell[C_EMPLOYER_PAID]);
    row_text(&base.x[CONTRIB], &changed, month_a2, sizeof month_a2);
    /* Plain files: the header on line 1, each line of `base` one line. */
    long reg_line = ri + 2, contrib_line = ci + 2;

    /* A name over two lines; a note over two lines, the month of the
     * second line gone into it. */
    night_copy(&n1, &base);
    set_raw(&n1.x[REG].lines[ri], "%s,\"鞍山乙", code_a);
    set_raw(&n1.x[REG].lines[ri + 1], "有限公司\",存续,2015-03-01,,210302,F5191,0,");
    set_raw(&n1.x[CONTRIB].lines[ci], "%s\"第一行", month_a);
    set_raw(&n1.x[CONTRIB].lines[ci + 1], "第二行\"");
    pair p;
    pair_open(&p);
    rb_import_report rep;
    first_night(&p, &n1, false, RB_ENCODING_AUTO, &rep);

    /* Only the second lines change. */
    night_copy(&n2, &n1);
    set_raw(&n2.x[REG].lines[ri + 1], "无限公司\",存续,2015-03-01,,210302,F5191,0,");
    set_raw(&n2.x[CONTRIB].lines[ci + 1], "第二行（改）\"");
    check_night(&p, &n2, false, RB_ENCODING_AUTO, -1, "the second lines of two records changed", NULL);
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM registration WHERE uscc = '%s' AND line = %ld AND name = '鞍山乙'"
             " || char(10) || '无限公司'", code_a, reg_line);
    ck_assert_msg(ts_query_int(p.a, sql) == 1, "the name over two lines is not loaded from line %ld", reg_line);

    /* The second lines break the records: a date, a field too many. */
    night_copy(&n3, &n2);
    set_raw(&n3.x[REG].lines[ri + 1], "无限公司\",存续,2015-02-30,,210302,F5191,0,");
    set_raw(&n3.x[CONTRIB].lines[ci + 1], "第二行\",多余");
    check_night(&p, &n3, false, RB_ENCODING_AUTO, -1, "the second lines of two records broken", NULL);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM row_errors WHERE file = 'registration.csv' AND line = %ld"
             " AND rule = 'DATE_INVALID' AND column_name = 'established_on'", reg_line);
    ck_assert_msg(ts_query_int(p.a, sql) == 1, "the date on a record's second line is not an error of line %ld",
                  reg_line);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM row_errors WHERE file = 'contributions.csv' AND line = %ld"
             " AND rule = 'FIELD_COUNT'", contrib_line);
    ck_assert_msg(ts_query_int(p.a, sql) == 1,
                  "the field too many on a record's second line is not an error of line %ld", contrib_line);

    /* Each record split into two: a record starts where none did. */
    night_copy(&n4, &n3);
    set_raw(&n4.x[REG].lines[ri], "%s,鞍山乙有限公司,存续,2015-03-01,,210302,F5191,0,", code_a);
    set_raw(&n4.x[REG].lines[ri + 1], "%s,\"鞍山丙\"\"联合\"\",有限公司\",在业,20160501,,210303,,是,备注", code_b);
    set_raw(&n4.x[CONTRIB].lines[ci], "%s第一行", month_a);
    set_raw(&n4.x[CONTRIB].lines[ci + 1], "%s第二行", month_b);
    check_night(&p, &n4, false, RB_ENCODING_AUTO, -1, "two records over two lines split into four", NULL);

    /* Joined again, the first line changed too: firm B's code, another
     * amount; the note only a line break. */
    night_copy(&n5, &n4);
    set_raw(&n5.x[REG].lines[ri], "%s,\"鞍山乙", code_b);
    set_raw(&n5.x[REG].lines[ri + 1], "有限公司\",存续,2015-03-01,,210302,F5191,0,");
    set_raw(&n5.x[CONTRIB].lines[ci], "%s\"", month_a2);
    set_raw(&n5.x[CONTRIB].lines[ci + 1], "\"");
    check_night(&p, &n5, false, RB_ENCODING_AUTO, -1, "records joined over two lines again, their first lines changed",
                NULL);

    check_night(&p, &n1, false, RB_ENCODING_AUTO, -1, "back to the first night", NULL);

    night_free(&base);
    night_free(&n1);
    night_free(&n2);
    night_free(&n3);
    night_free(&n4);
    night_free(&n5);
    pair_close(&p);
    world_free(&w);
}
END_TEST

/* ------------------------------------------------------------ an unchanged night */

static void expect_few_checked(const char *label, const rb_import_report *rep)
{
    for (int f = 0; f < RB_IMPORT_FILE_COUNT; f++)
        ck_assert_msg(rep->files[f].records_checked <= FEW_RECORDS,
                      "%s: %s did not change, yet %lld of its %lld records were checked", label,
                      rb_import_file_name(f), (long long)rep->files[f].records_checked,
                      (long long)rep->files[f].rows_read);
}

START_TEST(an_unchanged_night_checks_few_records)
{
    world w;
    world_init(&w, 0xD00D, 400);
    gen_options o = {.reg_pre = -1};
    night n1, n2;
    gen_night(&w, &o, &n1);
    pair p;
    pair_open(&p);
    rb_import_report rep;
    first_night(&p, &n1, false, RB_ENCODING_AUTO, &rep);

    check_night(&p, &n1, false, RB_ENCODING_AUTO, 1, "the same night again", &rep);
    expect_few_checked("the same night again", &rep);

    /* One amount and one status changed. */
    night_copy(&n2, &n1);
    extract *c = &n2.x[CONTRIB], *g = &n2.x[REG];
    int i = valid_row(c, c->n / 2, 1, -1), j = valid_row(g, g->n / 2, 1, -1);
    ck_assert(i >= 0 && j >= 0);
    render_money(&w.r, 123456, c->lines[i].cell[C_EMPLOYER_PAID]);
    set_cell(g->lines[j].cell[R_STATUS], "歇业");
    check_night(&p, &n2, false, RB_ENCODING_AUTO, 1, "one amount and one status changed", &rep);
    const rb_import_file_report *cf = &rep.files[RB_IMPORT_CONTRIBUTIONS], *rf = &rep.files[RB_IMPORT_REGISTRATION];
    ck_assert_msg(cf->records_checked >= 1 && cf->records_checked * 4 <= cf->rows_read,
                  "one line of contributions.csv changed: %lld of its %lld records checked",
                  (long long)cf->records_checked, (long long)cf->rows_read);
    ck_assert_msg(rf->records_checked >= 1 && rf->records_checked <= FEW_RECORDS,
                  "one line of registration.csv changed: %lld of its %lld records checked",
                  (long long)rf->records_checked, (long long)rf->rows_read);
    ck_assert_msg(rep.files[RB_IMPORT_INSURED_UNITS].records_checked <= FEW_RECORDS,
                  "insured_units.csv did not change, yet %lld of its records were checked",
                  (long long)rep.files[RB_IMPORT_INSURED_UNITS].records_checked);

    check_night(&p, &n2, false, RB_ENCODING_AUTO, 1, "the same night again after a patched one", &rep);
    expect_few_checked("the same night again after a patched one", &rep);

    night_free(&n1);
    night_free(&n2);
    pair_close(&p);
    world_free(&w);
}
END_TEST

/* ------------------------------------------------------------ codes moved far away */

START_TEST(a_code_moved_to_a_firm_far_away)
{
    world w;
    world_init(&w, 0xE0E0, 600); /* 600 firms: two changed runs of lines are a small share of every file */
    gen_options o = {.reg_pre = -1};
    night n1, n2, n3, n4;
    gen_night(&w, &o, &n1);

    /* contributions.csv: a valid month of X a fifth into the file (past the
     * header's lines); the last valid row of another firm Y in the same
     * period, near the bottom. */
    extract *c = &n1.x[CONTRIB];
    int lx = valid_row(c, c->n / 5, 1, -1);
    ck_assert_int_ge(lx, 0);
    int fx = c->lines[lx].firm, px = w.firms[fx].first_month + c->lines[lx].month, ly = -1;
    for (int i = c->n - 1; i > lx && ly < 0; i--)
        if (is_valid_row(c, i, fx) && w.firms[c->lines[i].firm].first_month + c->lines[i].month == px)
            ly = i;
    ck_assert_msg(ly > lx + c->n / 2, "no row of the same period at the other end of contributions.csv");
    int fy = c->lines[ly].firm;
    /* registration.csv and insured_units.csv: a valid row a fifth into the
     * file and the last valid row, of two firms. */
    extract *g = &n1.x[REG], *u = &n1.x[UNITS];
    int rx = valid_row(g, g->n / 5, 1, -1), ux = valid_row(u, u->n / 5, 1, -1);
    ck_assert(rx >= 0 && ux >= 0);
    int ry = valid_row(g, g->n - 1, -1, g->lines[rx].firm), uy = valid_row(u, u->n - 1, -1, u->lines[ux].firm);
    ck_assert(ry > rx + g->n / 2 && uy > ux + u->n / 2 && rx >= 100 && ux >= 100);

    pair p;
    pair_open(&p);
    rb_import_report rep;
    first_night(&p, &n1, false, RB_ENCODING_AUTO, &rep);

    /* X's month and registration row take the codes of rows at the other
     * end (conflicts), a unit row becomes a copy of the last one (a
     * duplicate whose first line is now far above it). */
    night_copy(&n2, &n1);
    set_cell(n2.x[CONTRIB].lines[lx].cell[C_USCC], w.firms[fy].code);
    lower_ascii(n2.x[CONTRIB].lines[lx].cell[C_USCC]);
    set_cell(n2.x[REG].lines[rx].cell[R_USCC], w.firms[n1.x[REG].lines[ry].firm].code);
    copy_row(&n2.x[UNITS], ux, uy);
    check_night(&p, &n2, false, RB_ENCODING_AUTO, 1, "codes changed into those of firms at the other end", NULL);

    /* The conflicts become exact duplicates, the duplicate a conflict. */
    night_copy(&n3, &n2);
    copy_row(&n3.x[CONTRIB], lx, ly);
    copy_row(&n3.x[REG], rx, ry);
    render_account(&w.r, "6222000011112222333", n3.x[UNITS].lines[ux].cell[U_BANK_ACCOUNT]);
    check_night(&p, &n3, false, RB_ENCODING_AUTO, 1, "far conflicts made duplicates, a duplicate a conflict", NULL);

    /* The rows at the bottom take X's codes: the firms swap their rows. */
    night_copy(&n4, &n3);
    set_cell(n4.x[CONTRIB].lines[ly].cell[C_USCC], w.firms[fx].code);
    lower_ascii(n4.x[CONTRIB].lines[ly].cell[C_USCC]);
    set_cell(n4.x[REG].lines[ry].cell[R_USCC], w.firms[n1.x[REG].lines[rx].firm].code);
    check_night(&p, &n4, false, RB_ENCODING_AUTO, 1, "the rows at the other end take the first firms' codes", NULL);

    check_night(&p, &n1, false, RB_ENCODING_AUTO, 1, "back to the first night", NULL);

    night_free(&n1);
    night_free(&n2);
    night_free(&n3);
    night_free(&n4);
    pair_close(&p);
    world_free(&w);
}
END_TEST

/* ------------------------------------------------------------ GB18030 */

/* GB18030 extracts (the nights written in UTF-8, converted with iconv),
 * read as gb18030 and as auto: a few lines of every file changed, then
 * edits all over, then a few lines again; with auto also the same lines
 * in UTF-8 and back. */
START_TEST(gb18030_nights_patched)
{
    world w;
    world_init(&w, 0x6B18030, 600); /* 600 firms: a changed run of lines is a small share of every file */
    gen_options o = {.reg_pre = -1};
    static const int scattered[RB_IMPORT_FILE_COUNT] = {20, 20, 20};
    night n1, n2, n3, n4;
    gen_night(&w, &o, &n1);
    night_copy(&n2, &n1);
    edit_sparse(&w, &n2.x[REG], 3, 1);
    edit_sparse(&w, &n2.x[UNITS], 2, 1);
    edit_sparse(&w, &n2.x[CONTRIB], 5, 2);
    night_copy(&n3, &n2);
    edit_night(&w, &n3, scattered);
    night_copy(&n4, &n3);
    edit_sparse(&w, &n4.x[REG], 2, 1);
    edit_sparse(&w, &n4.x[CONTRIB], 3, 1);
    const night *nights[] = {&n2, &n3, &n4};
    static const char *const what[] = {"a few lines of each file changed", "edits all over",
                                       "a few lines changed again"};

    for (int asked = 0; asked < 2; asked++) {
        rb_encoding e = asked == 0 ? RB_ENCODING_GB18030 : RB_ENCODING_AUTO;
        char label[200];
        pair p;
        pair_open(&p);
        rb_import_report rep;
        first_night(&p, &n1, true, e, &rep);
        for (int k = 0; k < COUNT_OF(nights); k++) {
            snprintf(label, sizeof label, "GB18030 night %d read as %s: %s", k + 2, rb_encoding_name(e), what[k]);
            /* A night of a few changed lines is patched, asked for gb18030
             * or auto (a file found GB18030 still has bytes that are not
             * UTF-8, so auto decodes it as before). */
            check_night(&p, nights[k], true, e, k != 1 ? 1 : -1, label, &rep);
            for (int f = 0; f < RB_IMPORT_FILE_COUNT; f++)
                if (e == RB_ENCODING_GB18030 || f == RB_IMPORT_REGISTRATION) /* its names are never ASCII */
                    ck_assert_msg(strcmp(rep.files[f].encoding, "gb18030") == 0, "%s: %s found as %s", label,
                                  rb_import_file_name(f), rep.files[f].encoding);
        }
        if (e == RB_ENCODING_AUTO) {
            /* The same lines in UTF-8: every line with Chinese in it
             * changed, and the encoding found; then back. */
            check_night(&p, &n4, false, e, -1, "night 4 in UTF-8 after GB18030", &rep);
            ck_assert_msg(strncmp(rep.files[RB_IMPORT_REGISTRATION].encoding, "utf-8", 5) == 0,
                          "registration.csv in UTF-8 found as %s", rep.files[RB_IMPORT_REGISTRATION].encoding);
            check_night(&p, &n3, true, e, -1, "night 3 in GB18030 after UTF-8", NULL);
        }
        pair_close(&p);
    }
    night_free(&n1);
    night_free(&n2);
    night_free(&n3);
    night_free(&n4);
    world_free(&w);
}
END_TEST

/* Whether the cells of ln that x writes are ASCII. */
static bool ascii_row(const extract *x, const line *ln)
{
    for (int i = 0; i < x->n_order; i++)
        for (const char *b = ln->cell[x->order[i]]; *b; b++)
            if ((unsigned char)*b >= 0x80)
                return false;
    return true;
}

/* Makes a plain extract pure ASCII, so that auto finds it UTF-8: rows
 * holding other bytes (values such as "１００", U+3000 around a value)
 * written again, blank lines with U+3000 made commas. */
static void ascii_only(world *w, extract *x)
{
    for (const char *b = x->header; *b; b++)
        ck_assert_msg((unsigned char)*b < 0x80, "the header of %s is not ASCII", rb_import_file_name(x->file));
    for (int i = 0; i < x->n; i++) {
        line *ln = &x->lines[i];
        if (ln->kind == LINE_BLANK && strcmp(ln->text, ",\"　\",") == 0)
            set_cell(ln->text, ",,,");
        while (ln->kind == LINE_ROW && !ascii_row(x, ln))
            fill_valid(w, &w->r, x->file, ln->firm, ln->month, ln);
    }
}

/* auto: one line of an ASCII contributions.csv written in GB18030 makes the
 * whole file GB18030 (it is no longer UTF-8), and the line after back
 * makes it UTF-8 again; the encoding found is the full import's. */
START_TEST(one_line_changes_the_encoding_auto_finds)
{
    world w;
    world_init(&w, 0xA070, 300);
    gen_options o = {.plain = true, .note = false, .reg_pre = 0};
    night n1, n2;
    gen_night(&w, &o, &n1);
    ascii_only(&w, &n1.x[CONTRIB]);
    pair p;
    pair_open(&p);
    rb_import_report rep;
    first_night(&p, &n1, false, RB_ENCODING_AUTO, &rep);
    ck_assert_str_eq(rep.files[RB_IMPORT_CONTRIBUTIONS].encoding, "utf-8");

    night_copy(&n2, &n1);
    extract *c = &n2.x[CONTRIB];
    int i = valid_row(c, c->n / 2, 1, -1);
    ck_assert_int_ge(i, 0);
    set_cell(c->lines[i].cell[C_EMPLOYER_PAID], "\xA3\xB1\xA3\xB0\xA3\xB0"); /* "１００" in GB18030 */
    check_night(&p, &n2, false, RB_ENCODING_AUTO, -1, "one line of an ASCII contributions.csv in GB18030", &rep);
    ck_assert_str_eq(rep.files[RB_IMPORT_CONTRIBUTIONS].encoding, "gb18030");
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM row_errors WHERE file = 'contributions.csv' AND line = %d"
             " AND rule = 'MONEY_INVALID' AND column_name = 'employer_paid' AND value = '１００'", i + 2);
    ck_assert_msg(ts_query_int(p.a, sql) == 1, "the amount in GB18030 is not a row error of line %d", i + 2);

    check_night(&p, &n1, false, RB_ENCODING_AUTO, -1, "that line in UTF-8 again", &rep);
    ck_assert_str_eq(rep.files[RB_IMPORT_CONTRIBUTIONS].encoding, "utf-8");

    night_free(&n1);
    night_free(&n2);
    pair_close(&p);
    world_free(&w);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("import/import_patch");
    TCase *tc = tcase_create("patch");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, random_nights_patch_like_a_full_import, 0, ROUNDS);
    tcase_add_test(tc, a_line_inserted_or_removed_takes_the_full_path);
    tcase_add_test(tc, a_changed_header_takes_the_full_path);
    tcase_add_loop_test(tc, records_over_two_lines_changed_in_place, 0, 2);
    tcase_add_test(tc, an_unchanged_night_checks_few_records);
    tcase_add_test(tc, a_code_moved_to_a_firm_far_away);
    tcase_add_test(tc, gb18030_nights_patched);
    tcase_add_test(tc, one_line_changes_the_encoding_auto_finds);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(make_suite)
