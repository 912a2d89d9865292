/* The bank's answer as CSV, the way a bank's corporate portal or a
 * spreadsheet exports it (docs/batch-life.md): decoded like the extracts
 * (UTF-8 with or without BOM, else GB18030/GBK, rb_csv_read's care about
 * NULs, broken quoting and huge records), headers in English or Chinese in
 * any order, statuses as ISO codes, words or Chinese. Every bad line is
 * noted with its line and reading goes on, so that one refusal names them
 * all. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "import/bank_answer_internal.h"
#include "import/csv_reader.h"
#include "rebate/text.h"

enum { COL_REFERENCE, COL_STATUS, COL_REASON, COL_AMOUNT, N_COLS };

/* The header names each column may have. */
static const char *const column_names[N_COLS][5] = {
    [COL_REFERENCE] = {"reference", "支付编号", "业务编号", "EndToEndId", NULL},
    [COL_STATUS] = {"status", "状态", "处理结果", "交易状态", NULL},
    [COL_REASON] = {"reason", "原因", "失败原因", "备注", NULL},
    [COL_AMOUNT] = {"amount", "金额", "交易金额", NULL, NULL},
};

typedef struct csv_answer {
    rb_answer_set *set;
    bool have_header;
    bool unusable;            /* the header is missing a column: lines cannot be read */
    long col[N_COLS];         /* index of each column, -1 when absent */
    size_t n_header;
    char buf[3][1024];
} csv_answer;

/* The field trimmed into out (NUL-terminated, cut at size - 1; *cut set). */
static const char *take(const rb_csv_field *f, char *out, size_t size, bool *cut)
{
    const char *start = f->text;
    size_t len = f->len;
    rb_text_trim(&start, &len);
    *cut = len >= size;
    if (*cut)
        len = size - 1;
    memcpy(out, start, len);
    out[len] = '\0';
    return out;
}

/* A cell a spreadsheet would run as a formula is no answer. */
static bool formula_like(const char *text)
{
    return text[0] == '=' || text[0] == '+' || text[0] == '@' || text[0] == '\t' || text[0] == '\r';
}

static rb_status on_header(csv_answer *c, int64_t line, const rb_csv_field *fields, size_t count)
{
    c->have_header = true;
    c->n_header = count;
    for (int k = 0; k < N_COLS; k++)
        c->col[k] = -1;
    for (size_t i = 0; i < count; i++) {
        bool cut;
        const char *name = take(&fields[i], c->buf[0], sizeof c->buf[0], &cut);
        for (int k = 0; k < N_COLS; k++)
            for (int j = 0; column_names[k][j] != NULL; j++)
                if (strcasecmp(name, column_names[k][j]) == 0) {
                    if (c->col[k] >= 0)
                        rb_answer_set_problem(c->set, line, "the header names the column '%s' twice", name);
                    c->col[k] = (long)i;
                }
    }
    if (c->col[COL_REFERENCE] < 0 || c->col[COL_STATUS] < 0) {
        rb_answer_set_problem(c->set, line,
                              "the header must name the reference (reference, 支付编号, 业务编号 or EndToEndId) and "
                              "the status (status, 状态, 处理结果 or 交易状态); it has neither or only one");
        c->unusable = true;
    }
    return RB_OK;
}

static rb_status on_record(void *ctx, int64_t line, const rb_csv_field *fields, size_t count, rb_error *err)
{
    (void)err;
    csv_answer *c = ctx;
    if (!c->have_header)
        return on_header(c, line, fields, count);
    if (c->unusable)
        return RB_OK;
    /* A row of empty cells (",,", as a spreadsheet leaves below the data)
     * says nothing, like a blank line. */
    bool empty = true;
    for (size_t i = 0; i < count && empty; i++) {
        const char *text = fields[i].text;
        size_t len = fields[i].len;
        rb_text_trim(&text, &len);
        empty = len == 0;
    }
    if (empty)
        return RB_OK;
    if (count != c->n_header) {
        rb_answer_set_problem(c->set, line, "%zu fields where the header has %zu", count, c->n_header);
        return RB_OK;
    }
    bool cut_ref, cut_status, cut_reason = false;
    const char *reference = take(&fields[c->col[COL_REFERENCE]], c->buf[0], 128, &cut_ref);
    const char *status_text = take(&fields[c->col[COL_STATUS]], c->buf[1], 64, &cut_status);
    const char *reason = c->col[COL_REASON] >= 0
                             ? take(&fields[c->col[COL_REASON]], c->buf[2], sizeof c->buf[2], &cut_reason)
                             : "";
    if (reference[0] == '\0' || cut_ref) {
        rb_answer_set_problem(c->set, line, reference[0] ? "the reference is too long" : "the reference is empty");
        return RB_OK;
    }
    if (formula_like(reference) || formula_like(status_text) || formula_like(reason)) {
        rb_answer_set_problem(c->set, line, "a cell starts like a spreadsheet formula (=, +, @)");
        return RB_OK;
    }
    if (cut_reason) {
        rb_answer_set_problem(c->set, line, "the reason is longer than %zu bytes", sizeof c->buf[2] - 1);
        return RB_OK;
    }
    rb_answer_status status;
    if (cut_status || !rb_answer_status_parse(status_text, &status)) {
        rb_answer_set_problem(c->set, line,
                              "status '%s' is none of paid, returned, an ISO 20022 code (ACSC, RJCT ...) or "
                              "成功/已到账/交易成功/失败/退回/退票/交易失败",
                              status_text);
        return RB_OK;
    }
    bool has_amount = false;
    rb_fen amount = 0;
    if (c->col[COL_AMOUNT] >= 0) {
        char text[64];
        bool cut;
        take(&fields[c->col[COL_AMOUNT]], text, sizeof text, &cut);
        if (text[0] != '\0') {
            if (cut || rb_money_parse(text, strlen(text), &amount) != RB_MONEY_OK) {
                rb_answer_set_problem(c->set, line, "amount '%s' is not yuan like 3240.00", text);
                return RB_OK;
            }
            has_amount = true;
        }
    }
    rb_answer_set_add(c->set, line, reference, status, status_text, reason, has_amount, amount);
    return RB_OK;
}

rb_status rb_bank_answer_csv(const char *path, rb_answer_set *set, rb_error *err)
{
    csv_answer c;
    memset(&c, 0, sizeof c);
    c.set = set;
    rb_csv_info info;
    const char *slash = strrchr(path, '/');
    rb_error inner = {0};
    rb_status st = rb_csv_read(path, slash ? slash + 1 : path, RB_ENCODING_AUTO, on_record, &c, &info, &inner);
    if (st != RB_OK)
        return rb_fail(err, st, "the bank's answer: %s; nothing was recorded", inner.message);
    snprintf(set->format, sizeof set->format, "CSV (%s)", info.encoding);
    if (!c.have_header)
        rb_answer_set_problem(set, 0, "the file is empty: it needs a header such as reference,status,reason");
    return RB_OK;
}
