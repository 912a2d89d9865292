/* The figures of the review report and the public notice, gathered while
 * the firms are decided (payments, firms for review by reason) and
 * completed from the snapshot (each payment's district), plus the HTML
 * helpers both pages use. */
#include <stdlib.h>
#include <string.h>

#include "rebate/data_files.h"
#include "rebate/db.h"
#include "output/batch_files.h"
#include "output/report.h"

void rb_report_init(rb_report *report)
{
    memset(report, 0, sizeof *report);
    rb_strbuf_init(&report->text);
}

void rb_report_release(rb_report *report)
{
    rb_strbuf_release(&report->text);
    free(report->pays);
    free(report->reviews);
    free(report->districts);
    free(report->regions_text);
    free(report->regions);
    memset(report, 0, sizeof *report);
}

/* Adds text with its NUL; *offset is where it starts. */
static bool add_text(rb_report *report, const char *text, size_t *offset)
{
    *offset = report->text.len;
    return rb_strbuf_add(&report->text, text ? text : "", strlen(text ? text : "") + 1);
}

static bool grow(void **items, size_t *alloc, size_t n, size_t size)
{
    if (n < *alloc)
        return true;
    size_t grown = *alloc ? *alloc * 2 : 1024;
    void *more = realloc(*items, grown * size);
    if (more == NULL)
        return false;
    *items = more;
    *alloc = grown;
    return true;
}

bool rb_report_add(rb_report *report, const rb_params *params, const rb_firm_input *firm,
                   const rb_decision *decision, const char *name)
{
    if (decision->outcome == RB_OUTCOME_PAY) {
        if (!grow((void **)&report->pays, &report->alloc_pays, report->n_pays, sizeof *report->pays))
            return false;
        rb_report_payment *p = &report->pays[report->n_pays];
        memset(p, 0, sizeof *p);
        memcpy(p->uscc, firm->uscc, sizeof p->uscc);
        p->amount = decision->measures.amount;
        if (!add_text(report, name, &p->name))
            return false;
        report->n_pays++;
        return true;
    }
    if (decision->outcome != RB_OUTCOME_REVIEW || decision->reasons == 0)
        return true;
    int first = __builtin_ctz(decision->reasons);
    if (report->review_by_reason[first]++ >= RB_REPORT_LIST_CAP)
        return true;
    if (!grow((void **)&report->reviews, &report->alloc_reviews, report->n_reviews, sizeof *report->reviews))
        return false;
    rb_report_review *r = &report->reviews[report->n_reviews];
    memset(r, 0, sizeof *r);
    memcpy(r->uscc, firm->uscc, sizeof r->uscc);
    r->reasons = decision->reasons;
    r->amount = decision->measures.amount;
    rb_strbuf detail = RB_STRBUF_INIT;
    bool ok = rb_decision_detail(params, firm, decision, &detail) && add_text(report, name, &r->name) &&
              add_text(report, detail.buf, &r->detail);
    rb_strbuf_release(&detail);
    if (ok)
        report->n_reviews++;
    return ok;
}

/* The district a code names, for sorting: six digits, or "" when none. */
static bool six_digits(const char *s, size_t n)
{
    if (s == NULL || n != 6)
        return false;
    for (size_t i = 0; i < 6; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static const rb_report *sorting; /* qsort's comparator has no context argument */

static int compare_payments(const void *a, const void *b)
{
    const rb_report_payment *x = a, *y = b;
    int c = strcmp(x->region, y->region);
    if (c == 0)
        c = strcmp(rb_report_text(sorting, x->name), rb_report_text(sorting, y->name));
    return c != 0 ? c : strcmp(x->uscc, y->uscc);
}

static int compare_fen(const void *a, const void *b)
{
    rb_fen x = *(const rb_fen *)a, y = *(const rb_fen *)b;
    return (x > y) - (x < y);
}

/* Parses data/regions.tsv once into (code, name) pairs: "code<TAB>name"
 * lines, '#' comments. */
static bool load_regions(rb_report *report)
{
    if (report->regions_text != NULL)
        return true;
    const char *text = rb_region_names_text();
    report->regions_text = strdup(text);
    if (report->regions_text == NULL)
        return false;
    size_t lines = 1;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    report->regions = calloc(lines, sizeof *report->regions);
    if (report->regions == NULL)
        return false;
    char *p = report->regions_text;
    while (*p != '\0') {
        char *end = strchr(p, '\n');
        char *next = end ? end + 1 : p + strlen(p);
        if (end)
            *end = '\0';
        size_t len = strlen(p);
        if (len > 0 && p[len - 1] == '\r')
            p[--len] = '\0';
        if (len > 7 && p[0] != '#' && p[6] == '\t') {
            p[6] = '\0';
            report->regions[report->n_regions][0] = p;
            report->regions[report->n_regions][1] = p + 7;
            report->n_regions++;
        }
        p = next;
    }
    return true;
}

const char *rb_report_region_name(rb_report *report, const char *code)
{
    if (!load_regions(report))
        return NULL;
    for (size_t i = 0; i < report->n_regions; i++)
        if (strcmp(report->regions[i][0], code) == 0)
            return report->regions[i][1];
    return NULL;
}

rb_status rb_report_prepare(rb_report *report, sqlite3 *db, rb_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT region_code FROM registration WHERE uscc = ?", -1, &st, NULL) != SQLITE_OK)
        return rb_db_fail(db, "reading the registration's region codes", err);
    rb_fen *amounts = report->n_pays ? malloc(report->n_pays * sizeof *amounts) : NULL;
    if (report->n_pays && amounts == NULL) {
        sqlite3_finalize(st);
        return rb_fail(err, RB_E_INTERNAL, "out of memory preparing the report");
    }
    rb_status status = RB_OK;
    for (size_t i = 0; i < report->n_pays; i++) {
        rb_report_payment *p = &report->pays[i];
        amounts[i] = p->amount;
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, p->uscc, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        const char *code = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
        if (six_digits(code, code ? strlen(code) : 0))
            memcpy(p->region, code, 6);
        else
            memcpy(p->region, p->uscc + 2, 6);
        p->region[6] = '\0';
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            status = rb_db_fail(db, "reading the registration's region codes", err);
            break;
        }
    }
    sqlite3_finalize(st);
    if (status != RB_OK) {
        free(amounts);
        return status;
    }
    if (report->n_pays > 0) {
        qsort(amounts, report->n_pays, sizeof *amounts, compare_fen);
        report->median = amounts[(report->n_pays - 1) / 2];
        if (report->n_pays % 2 == 0)
            /* The mean of the two middle payments, rounded down to the fen. */
            report->median = amounts[report->n_pays / 2 - 1] +
                             (amounts[report->n_pays / 2] - amounts[report->n_pays / 2 - 1]) / 2;
    }
    free(amounts);
    sorting = report;
    if (report->n_pays > 1)
        qsort(report->pays, report->n_pays, sizeof *report->pays, compare_payments);
    sorting = NULL;
    size_t districts_alloc = 0;
    for (size_t i = 0; i < report->n_pays; i++) {
        const rb_report_payment *p = &report->pays[i];
        if (report->n_districts == 0 || strcmp(report->districts[report->n_districts - 1].code, p->region) != 0) {
            if (!grow((void **)&report->districts, &districts_alloc, report->n_districts,
                      sizeof *report->districts))
                return rb_fail(err, RB_E_INTERNAL, "out of memory preparing the report");
            rb_report_district *d = &report->districts[report->n_districts++];
            memset(d, 0, sizeof *d);
            memcpy(d->code, p->region, sizeof d->code);
        }
        rb_report_district *d = &report->districts[report->n_districts - 1];
        d->count++;
        d->total += p->amount;
    }
    for (size_t i = 0; i < report->n_districts; i++)
        report->districts[i].name = rb_report_region_name(report, report->districts[i].code);
    return RB_OK;
}

void rb_html_escape(FILE *f, const char *text)
{
    if (text == NULL)
        return;
    for (const char *p = text; *p != '\0'; p++) {
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            /* Control characters other than tab and line ends have no place
             * in a page (and make the HTML invalid). */
            if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
                fputc(' ', f);
            else
                fputc(*p, f);
        }
    }
}

/* Shared by both pages: screen and print (A4, page numbers in the bottom
 * margin box, which Chromium prints since version 131; no row cut across
 * pages). Fonts are the machine's own: nothing is fetched. */
static const char base_css[] =
    "*{box-sizing:border-box}"
    "body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"Microsoft YaHei\",\"SimSun\",sans-serif;"
    "font-size:14px;line-height:1.5;color:#1a1a1a;margin:24px auto;max-width:1000px;padding:0 16px}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;border-bottom:2px solid #2c5282;padding-bottom:2px;"
    "margin:28px 0 10px;color:#2c5282}h3{font-size:15px;margin:16px 0 6px}"
    "table{border-collapse:collapse;width:100%;margin:6px 0 12px}"
    "th,td{border:1px solid #b8c2cc;padding:3px 6px;text-align:left;vertical-align:top}"
    "th{background:#edf2f7;font-weight:600;white-space:nowrap}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "code,.code{font-family:\"DejaVu Sans Mono\",Consolas,monospace;font-size:12px}"
    ".note{color:#4a5568;font-size:13px}.warn{color:#9b2c2c;font-weight:600}"
    "svg{display:block;max-width:100%;height:auto;margin:6px 0}"
    "tr{break-inside:avoid;page-break-inside:avoid}thead{display:table-header-group}"
    "h2,h3{break-after:avoid;page-break-after:avoid}"
    "@page{size:A4;margin:16mm 12mm 18mm 12mm;"
    "@bottom-center{content:\"第 \" counter(page) \" 页，共 \" counter(pages) \" 页\";font-size:9pt;color:#555}}"
    "@media print{body{margin:0;max-width:none;padding:0;font-size:11pt}"
    "h2{margin-top:16px}svg{max-width:100%}.noprint{display:none}}";

void rb_html_begin(FILE *f, const char *title, const char *extra_css)
{
    fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          f);
    rb_html_escape(f, title);
    fprintf(f, "</title>\n<style>%s%s</style>\n</head>\n<body>\n", base_css, extra_css ? extra_css : "");
}
