/* The columns of the three extracts (docs/formats.md), the check of each field,
 * the header matching and the reviewers' sentences for rejected rows; the
 * extracts' file names and the encodings' names. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "import/extracts.h"
#include "rebate/date.h"
#include "rebate/import.h"
#include "rebate/money.h"
#include "rebate/text.h"
#include "rebate/uscc.h"

#define COUNT_MAX 1000000

static const rb_column registration_columns[] = {
    {"uscc", "统一社会信用代码", true, RB_COL_USCC},
    {"name", "企业名称", true, RB_COL_TEXT},
    {"status", "登记状态", true, RB_COL_REG_STATUS},
    {"established_on", "成立日期", true, RB_COL_DATE},
    {"deregistered_on", "注销日期", false, RB_COL_DATE},
    {"region_code", "行政区划代码", true, RB_COL_REGION_CODE},
    {"industry_code", "行业代码", false, RB_COL_TEXT},
    {"serious_dishonesty", "严重失信", false, RB_COL_DISHONESTY},
};

static const rb_column insured_unit_columns[] = {
    {"uscc", "统一社会信用代码", true, RB_COL_USCC},
    {"unit_no", "单位编号", false, RB_COL_TEXT},
    {"unit_name", "单位名称", true, RB_COL_TEXT},
    {"insured_on", "参保日期", true, RB_COL_DATE},
    {"ui_status", "参保状态", true, RB_COL_UI_STATUS},
    {"account_name", "账户名称", false, RB_COL_TEXT},
    {"bank_name", "开户银行", false, RB_COL_TEXT},
    {"bank_account", "银行账号", false, RB_COL_BANK_ACCOUNT},
    {"account_source", "账户来源", false, RB_COL_ACCOUNT_SOURCE},
    {"bank_code", "开户行行号", false, RB_COL_BANK_CODE},
};

static const rb_column contribution_columns[] = {
    {"uscc", "统一社会信用代码", true, RB_COL_USCC},
    {"period", "缴费年月", true, RB_COL_PERIOD},
    {"insured_count", "参保人数", true, RB_COL_COUNT},
    {"employer_due", "单位应缴", true, RB_COL_MONEY},
    {"employer_paid", "单位实缴", true, RB_COL_MONEY},
    {"employee_due", "个人应缴", true, RB_COL_MONEY},
    {"employee_paid", "个人实缴", true, RB_COL_MONEY},
    {"new_claimants", "新增领取失业保险金人数", false, RB_COL_COUNT},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The INSERTs list the table's columns in the order the values are made:
 * spec columns in order, a status's class right after the status. */
const rb_extract rb_extracts[] = {
    [RB_IMPORT_REGISTRATION] =
        {"registration.csv", "registration", registration_columns, N(registration_columns), 1, 9,
         "INSERT INTO registration (uscc, name, status, status_class, established_on, deregistered_on,"
         " region_code, industry_code, serious_dishonesty, line)"
         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
         "SELECT uscc, name, status, status_class, established_on, deregistered_on, region_code,"
         " industry_code, serious_dishonesty, line FROM registration WHERE uscc = ?1",
         "DELETE FROM registration WHERE uscc IN (SELECT uscc FROM temp.import_conflict_keys)"},
    [RB_IMPORT_INSURED_UNITS] =
        {"insured_units.csv", "insured_units", insured_unit_columns, N(insured_unit_columns), 1, 11,
         "INSERT INTO insured_units (uscc, unit_no, unit_name, insured_on, ui_status, ui_status_class,"
         " account_name, bank_name, bank_account, account_source, bank_code, line)"
         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
         "SELECT uscc, unit_no, unit_name, insured_on, ui_status, ui_status_class, account_name,"
         " bank_name, bank_account, account_source, bank_code, line FROM insured_units WHERE uscc = ?1",
         "DELETE FROM insured_units WHERE uscc IN (SELECT uscc FROM temp.import_conflict_keys)"},
    [RB_IMPORT_CONTRIBUTIONS] =
        {"contributions.csv", "contributions", contribution_columns, N(contribution_columns), 2, 8,
         "INSERT INTO contributions (uscc, period, insured_count, employer_due, employer_paid,"
         " employee_due, employee_paid, new_claimants, line)"
         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
         "SELECT uscc, period, insured_count, employer_due, employer_paid, employee_due,"
         " employee_paid, new_claimants, line FROM contributions WHERE uscc = ?1 AND period = ?2",
         "DELETE FROM contributions WHERE (uscc, period) IN"
         " (SELECT uscc, period FROM temp.import_conflict_keys)"},
};

static bool all_ascii_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool text_is(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(s, word, n) == 0;
}

static bool starts_with(const char *s, size_t n, const char *word)
{
    size_t k = strlen(word);
    return k <= n && memcmp(s, word, k) == 0;
}

static void set_text(rb_value *v, const char *text, size_t len)
{
    v->type = RB_VALUE_TEXT;
    v->text = text;
    v->len = len;
}

static void set_int(rb_value *v, int64_t i)
{
    v->type = RB_VALUE_INT;
    v->integer = i;
}

static void set_null(rb_value *v)
{
    v->type = RB_VALUE_NULL;
}

/* Registration status: classified by the word it starts with, so that
 * `存续（在营、开业、在册）` is active and `吊销，未注销` inactive. */
static const char *registration_class(const char *s, size_t n)
{
    static const char *const active[] = {"存续", "在业", "开业", "在营", "在册", "正常"};
    static const char *const inactive[] = {"注销", "吊销", "撤销"};
    static const char *const suspended[] = {"迁出", "停业", "歇业", "清算"};
    for (size_t i = 0; i < N(active); i++)
        if (starts_with(s, n, active[i]))
            return "active";
    for (size_t i = 0; i < N(inactive); i++)
        if (starts_with(s, n, inactive[i]))
            return "inactive";
    for (size_t i = 0; i < N(suspended); i++)
        if (starts_with(s, n, suspended[i]))
            return "suspended";
    return NULL;
}

static const char *unit_class(const char *s, size_t n)
{
    if (text_is(s, n, "正常") || text_is(s, n, "参保缴费"))
        return "active";
    if (text_is(s, n, "暂停缴费"))
        return "suspended";
    if (text_is(s, n, "终止") || text_is(s, n, "注销"))
        return "terminated";
    return NULL;
}

/* An integer 0..COUNT_MAX of ASCII digits (leading zeros allowed). */
static bool parse_count(const char *s, size_t n, int64_t *out)
{
    if (n == 0 || !all_ascii_digits(s, n))
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v = v * 10 + (s[i] - '0');
        if (v > COUNT_MAX)
            return false;
    }
    *out = v;
    return true;
}

/* The account number without ASCII spaces, U+3000 and '-'. */
static bool strip_account(const char *s, size_t n, rb_strbuf *out)
{
    for (size_t i = 0; i < n;) {
        if (s[i] == ' ' || s[i] == '-') {
            i++;
        } else if (n - i >= 3 && memcmp(s + i, "\xE3\x80\x80", 3) == 0) {
            i += 3;
        } else {
            if (!rb_strbuf_addch(out, s[i]))
                return false;
            i++;
        }
    }
    return true;
}

const char *rb_field_parse(const rb_column *column, const char *text, size_t len, rb_value *out,
                           rb_field_scratch *scratch, bool *out_of_memory)
{
    *out_of_memory = false;
    if (len > RB_IMPORT_FIELD_MAX)
        return RB_ROW_FIELD_TOO_LONG;
    if (len == 0) {
        if (column->required)
            return RB_ROW_REQUIRED_MISSING;
        switch (column->kind) {
        case RB_COL_COUNT:
        case RB_COL_DISHONESTY:
            set_int(out, 0);
            break;
        case RB_COL_ACCOUNT_SOURCE:
            set_text(out, "对公", strlen("对公"));
            break;
        default:
            set_null(out);
            if (rb_column_stored_count(column) == 2)
                set_null(out + 1);
            break;
        }
        return NULL;
    }
    switch (column->kind) {
    case RB_COL_USCC:
        if (!rb_uscc_normalize(text, len, scratch->small))
            return RB_ROW_USCC_INVALID;
        set_text(out, scratch->small, RB_USCC_LEN);
        return NULL;
    case RB_COL_TEXT:
        set_text(out, text, len);
        return NULL;
    case RB_COL_DATE: {
        int32_t date;
        if (!rb_date_parse(text, len, &date))
            return RB_ROW_DATE_INVALID;
        rb_date_format(date, scratch->small);
        set_text(out, scratch->small, 10);
        return NULL;
    }
    case RB_COL_PERIOD: {
        int32_t period;
        if (!rb_period_parse(text, len, &period))
            return RB_ROW_PERIOD_INVALID;
        set_int(out, period);
        return NULL;
    }
    case RB_COL_MONEY: {
        rb_fen fen;
        switch (rb_money_parse(text, len, &fen)) {
        case RB_MONEY_OK:
            set_int(out, fen);
            return NULL;
        case RB_MONEY_RANGE:
            return RB_ROW_MONEY_RANGE;
        default:
            return RB_ROW_MONEY_INVALID;
        }
    }
    case RB_COL_COUNT: {
        int64_t count;
        if (!parse_count(text, len, &count))
            return RB_ROW_COUNT_INVALID;
        set_int(out, count);
        return NULL;
    }
    case RB_COL_REG_STATUS:
    case RB_COL_UI_STATUS: {
        const char *cls = column->kind == RB_COL_REG_STATUS ? registration_class(text, len) : unit_class(text, len);
        if (cls == NULL)
            return RB_ROW_STATUS_UNKNOWN;
        set_text(out, text, len);
        set_text(out + 1, cls, strlen(cls));
        return NULL;
    }
    case RB_COL_ACCOUNT_SOURCE:
        if (!text_is(text, len, "对公") && !text_is(text, len, "税务"))
            return RB_ROW_ACCOUNT_SOURCE_UNKNOWN;
        set_text(out, text, len);
        return NULL;
    case RB_COL_DISHONESTY:
        if (text_is(text, len, "1") || text_is(text, len, "是") || text_is(text, len, "Y") ||
            text_is(text, len, "y")) {
            set_int(out, 1);
            return NULL;
        }
        if (text_is(text, len, "0") || text_is(text, len, "否") || text_is(text, len, "N") ||
            text_is(text, len, "n")) {
            set_int(out, 0);
            return NULL;
        }
        return RB_ROW_DISHONESTY_VALUE_UNKNOWN;
    case RB_COL_REGION_CODE:
        if (len != 6 || !all_ascii_digits(text, len))
            return RB_ROW_REGION_CODE_INVALID;
        set_text(out, text, len);
        return NULL;
    case RB_COL_BANK_CODE:
        if (len != 12 || !all_ascii_digits(text, len))
            return RB_ROW_BANK_CODE_INVALID;
        set_text(out, text, len);
        return NULL;
    case RB_COL_BANK_ACCOUNT:
        rb_strbuf_reset(scratch->account);
        if (!strip_account(text, len, scratch->account)) {
            *out_of_memory = true;
            return NULL;
        }
        if (scratch->account->len == 0)
            set_null(out);
        else
            set_text(out, scratch->account->buf, scratch->account->len);
        return NULL;
    }
    return NULL;
}

/* A header name as matched: trimmed, without a leading U+FEFF. */
static void header_name(const char **s, size_t *n)
{
    rb_text_trim(s, n);
    while (*n >= 3 && memcmp(*s, "\xEF\xBB\xBF", 3) == 0) {
        *s += 3;
        *n -= 3;
        rb_text_trim(s, n);
    }
}

rb_status rb_header_match(const rb_extract *x, const rb_csv_field *fields, size_t count, int64_t line,
                          long position[RB_EXTRACT_MAX_COLUMNS], rb_error *err)
{
    for (size_t c = 0; c < x->n_columns; c++)
        position[c] = -1;
    for (size_t i = 0; i < count; i++) {
        const char *s = fields[i].text;
        size_t n = fields[i].len;
        header_name(&s, &n);
        for (size_t c = 0; c < x->n_columns; c++) {
            const rb_column *col = &x->columns[c];
            bool canonical = strlen(col->name) == n && strncasecmp(s, col->name, n) == 0;
            if (!canonical && !text_is(s, n, col->alias))
                continue;
            if (position[c] >= 0)
                return rb_fail(err, RB_E_DATA,
                               "cannot import '%s': its header (line %lld) names column '%s' (%s) twice, "
                               "in fields %ld and %zu",
                               x->file, (long long)line, col->name, col->alias, position[c] + 1, i + 1);
            position[c] = (long)i;
        }
    }
    for (size_t c = 0; c < x->n_columns; c++)
        if (x->columns[c].required && position[c] < 0)
            return rb_fail(err, RB_E_DATA, "cannot import '%s': its header (line %lld) has no column '%s' (%s)",
                           x->file, (long long)line, x->columns[c].name, x->columns[c].alias);
    return RB_OK;
}

#define MESSAGE_VALUE_MAX 120 /* bytes of a value quoted in a message */

bool rb_message_quote(rb_strbuf *msg, const char *value, size_t len)
{
    if (len <= MESSAGE_VALUE_MAX)
        return rb_strbuf_add(msg, value, len);
    size_t cut = MESSAGE_VALUE_MAX;
    while (cut > 0 && ((unsigned char)value[cut] & 0xC0) == 0x80)
        cut--; /* do not split a character */
    return rb_strbuf_add(msg, value, cut) && rb_strbuf_adds(msg, "…");
}

/* What a good value of each kind looks like, for the reviewers' sentences. */
static const char *expected_form(const rb_column *column)
{
    switch (column->kind) {
    case RB_COL_USCC:
        return "应为18位统一社会信用代码，校验位正确";
    case RB_COL_DATE:
        return "应为YYYY-MM-DD或YYYYMMDD格式的真实日期";
    case RB_COL_PERIOD:
        return "应为YYYYMM或YYYY-MM格式，月份01至12";
    case RB_COL_MONEY:
        return "应为不带符号的元金额，至多两位小数";
    case RB_COL_COUNT:
        return "应为0至1000000的整数";
    case RB_COL_REG_STATUS:
        return "应以存续、在业、开业、在营、在册、正常、注销、吊销、撤销、迁出、停业、歇业或清算开头";
    case RB_COL_UI_STATUS:
        return "应为正常、参保缴费、暂停缴费、终止或注销";
    case RB_COL_ACCOUNT_SOURCE:
        return "应为对公或税务，空为对公";
    case RB_COL_DISHONESTY:
        return "应为1、是、Y、0、否、N或空";
    case RB_COL_REGION_CODE:
        return "应为6位数字";
    case RB_COL_BANK_CODE:
        return "应为12位数字";
    default:
        return "";
    }
}

bool rb_row_error_message(rb_strbuf *msg, const char *rule, int64_t line, const rb_column *column,
                          const char *value, size_t value_len, size_t fields, size_t header_fields)
{
    if (strcmp(rule, RB_ROW_FIELD_COUNT) == 0)
        return rb_strbuf_addf(msg, "第%lld行有%zu个字段，与表头的%zu列不符，整行未导入", (long long)line, fields,
                              header_fields);
    if (strcmp(rule, RB_ROW_REQUIRED_MISSING) == 0)
        return rb_strbuf_addf(msg, "第%lld行“%s”为空（必填项）", (long long)line, column->alias);
    const char *what = "";
    if (strcmp(rule, RB_ROW_MONEY_INVALID) == 0 || strcmp(rule, RB_ROW_MONEY_RANGE) == 0)
        what = "金额";
    else if (strcmp(rule, RB_ROW_DATE_INVALID) == 0)
        what = "日期";
    bool ok = rb_strbuf_addf(msg, "第%lld行“%s”%s“", (long long)line, column->alias, what) &&
              rb_message_quote(msg, value, value_len);
    if (!ok)
        return false;
    if (strcmp(rule, RB_ROW_FIELD_TOO_LONG) == 0)
        return rb_strbuf_addf(msg, "”过长（%zu字节，每个字段至多%d字节），整行未导入", value_len, RB_IMPORT_FIELD_MAX);
    if (strcmp(rule, RB_ROW_MONEY_RANGE) == 0)
        return rb_strbuf_adds(msg, "”超出可处理的范围（至多92233720368547758.07元）");
    if (strcmp(rule, RB_ROW_MONEY_INVALID) == 0)
        return rb_strbuf_addf(msg, "”格式不正确（%s）", expected_form(column));
    if (strcmp(rule, RB_ROW_STATUS_UNKNOWN) == 0 || strcmp(rule, RB_ROW_ACCOUNT_SOURCE_UNKNOWN) == 0 ||
        strcmp(rule, RB_ROW_DISHONESTY_VALUE_UNKNOWN) == 0)
        return rb_strbuf_addf(msg, "”无法识别（%s）", expected_form(column));
    return rb_strbuf_addf(msg, "”无效（%s）", expected_form(column));
}

bool rb_uscc_field_prefix(const char *text, size_t len, rb_strbuf *out)
{
    rb_strbuf_reset(out);
    size_t chars = 0, cut = 0;
    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)text[i] & 0xC0) == 0x80)
            continue; /* a continuation byte: not a new character */
        if (chars == 17)
            cut = i;
        chars++;
    }
    if (chars != 18)
        return true;
    for (size_t i = 0; i < cut; i++) {
        char c = text[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!rb_strbuf_addch(out, c))
            return false;
    }
    return true;
}

/* The names of include/rebate/import.h that say what an extract is and
 * how it is decoded (here, not in import.c, so that the reading of a
 * night's changed lines shares them without depending on the import). */
bool rb_encoding_parse(const char *text, rb_encoding *out)
{
    if (strcasecmp(text, "auto") == 0)
        *out = RB_ENCODING_AUTO;
    else if (strcasecmp(text, "utf-8") == 0 || strcasecmp(text, "utf8") == 0)
        *out = RB_ENCODING_UTF8;
    else if (strcasecmp(text, "gb18030") == 0 || strcasecmp(text, "gbk") == 0)
        *out = RB_ENCODING_GB18030;
    else
        return false;
    return true;
}

const char *rb_encoding_name(rb_encoding encoding)
{
    switch (encoding) {
    case RB_ENCODING_UTF8:
        return "utf-8";
    case RB_ENCODING_GB18030:
        return "gb18030";
    default:
        return "auto";
    }
}

const char *rb_import_file_name(int file)
{
    return file >= 0 && file < RB_IMPORT_FILE_COUNT ? rb_extracts[file].file : NULL;
}
