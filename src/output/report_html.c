/* report.html: the review report of a batch, one self-contained page (inline
 * CSS, inline SVG drawn here; no script, font or image from elsewhere) that
 * the bureau's head and finance read before signing. Sections and where
 * each figure comes from: docs/report.md. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rebate/date.h"
#include "rebate/db.h"
#include "rebate/fsutil.h"
#include "rebate/words.h"
#include "rebate/workdays.h"
#include "output/report.h"

#define HTML_BUFFER (256 * 1024)

/* One bar of a chart. */
typedef struct bar {
    const char *label;
    int64_t value;    /* bar length */
    const char *text; /* printed after the bar */
} bar;

static const char *const outcome_colors[] = {"#2f855a", "#b7791f", "#c53030", "#718096"};

/* A horizontal bar chart: label, bar, value text. */
static void svg_hbars(FILE *f, const char *title, const bar *bars, size_t n, const char *const *colors)
{
    const int label_w = 240, bar_w = 400, text_w = 360, row = 24, top = 6;
    int height = top * 2 + (int)n * row;
    int64_t max = 1;
    for (size_t i = 0; i < n; i++)
        if (bars[i].value > max)
            max = bars[i].value;
    fprintf(f, "<svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"", label_w + bar_w + text_w,
            height, label_w + bar_w + text_w, height);
    rb_html_escape(f, title);
    fputs("\" font-size=\"13\">\n", f);
    for (size_t i = 0; i < n; i++) {
        int y = top + (int)i * row;
        int w = (int)((double)bars[i].value / (double)max * bar_w);
        if (bars[i].value > 0 && w < 2)
            w = 2;
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 8, y + 16);
        rb_html_escape(f, bars[i].label);
        fprintf(f, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>", label_w, y + 3, w,
                row - 6, colors[1] ? colors[i % 4] : colors[0]);
        fprintf(f, "<text x=\"%d\" y=\"%d\">", label_w + w + 6, y + 16);
        rb_html_escape(f, bars[i].text);
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
}

/* Vertical bars of the amount histogram. */
static void svg_histogram(FILE *f, const char *title, const bar *bars, size_t n)
{
    const int left = 50, width = 900, plot_h = 220, bottom = 60, top = 20;
    int bw = n ? (width - left - 10) / (int)n : 1;
    int64_t max = 1;
    for (size_t i = 0; i < n; i++)
        if (bars[i].value > max)
            max = bars[i].value;
    fprintf(f, "<svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"", width,
            top + plot_h + bottom, width, top + plot_h + bottom);
    rb_html_escape(f, title);
    fputs("\" font-size=\"12\">\n", f);
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#4a5568\"/>\n", left, top + plot_h,
            width - 5, top + plot_h);
    for (size_t i = 0; i < n; i++) {
        int h = (int)((double)bars[i].value / (double)max * plot_h);
        if (bars[i].value > 0 && h < 2)
            h = 2;
        int x = left + (int)i * bw;
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#3182ce\"/>", x + 2,
                top + plot_h - h, bw - 4, h);
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%lld</text>", x + bw / 2, top + plot_h - h - 4,
                (long long)bars[i].value);
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" transform=\"rotate(-35 %d %d)\">", x + bw / 2 + 4,
                top + plot_h + 16, x + bw / 2 + 4, top + plot_h + 16);
        rb_html_escape(f, bars[i].label);
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
}

static void td(FILE *f, const char *text)
{
    fputs("<td>", f);
    rb_html_escape(f, text);
    fputs("</td>", f);
}

static void td_num(FILE *f, long long v)
{
    fprintf(f, "<td class=\"n\">%lld</td>", v);
}

static void td_money(FILE *f, rb_fen fen)
{
    char buf[RB_MONEY_BUFSZ];
    fprintf(f, "<td class=\"n\">%s</td>", rb_money_format(fen, buf));
}

/* "YYYY年M月D日" with the provisional mark when needed. */
static void zh_date(FILE *f, int32_t day, bool provisional)
{
    char buf[32];
    fputs(rb_date_format_zh(day, buf), f);
    if (provisional)
        fputs("<span class=\"warn\">（暂按周末计算）</span>", f);
}

/* "CODE 标签；CODE 标签" from a ';'-separated list of reason codes. */
static void reasons_text(FILE *f, const char *codes)
{
    if (codes == NULL || *codes == '\0') {
        fputs("—", f);
        return;
    }
    const char *p = codes;
    bool first = true;
    while (*p != '\0') {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *label = NULL;
        for (int i = 0; i < RB_R_COUNT; i++) {
            const char *code = rb_reason_code((rb_reason)i);
            if (strlen(code) == len && memcmp(code, p, len) == 0)
                label = rb_reason_label((rb_reason)i);
        }
        if (!first)
            fputs("；", f);
        first = false;
        fputs("<span class=\"code\">", f);
        fprintf(f, "%.*s", (int)len, p); /* codes are [A-Z_] */
        fputs("</span> ", f);
        rb_html_escape(f, label ? label : "");
        p = end ? end + 1 : p + len;
    }
}

static const char *outcome_label_of(const char *code)
{
    for (int i = 0; i <= RB_OUTCOME_SKIP; i++)
        if (code && strcmp(rb_outcome_code((rb_outcome)i), code) == 0)
            return rb_outcome_label((rb_outcome)i);
    return "";
}

static rb_status section_header(FILE *f, const rb_batch_summary *s, const char *now, rb_error *err)
{
    const rb_params *p = s->params;
    const rb_run_result *r = s->result;
    char day[32], a[RB_MONEY_BUFSZ], b[RB_MONEY_BUFSZ];
    fputs("<h2 id=\"batch\">一、批次信息</h2>\n<table class=\"kv\">\n", f);
    fputs("<tr><th>批次号 batch_id</th><td><span class=\"code\" id=\"batch-id\">", f);
    rb_html_escape(f, s->batch_id);
    fprintf(f, "</span></td><th>范围</th><td>%s</td></tr>\n",
            s->selected ? "指定单位重算（--uscc）" : "全部参保单位");
    fprintf(f, "<tr><th>政策年度 policy_year</th><td>%d</td><th>数据年度 data_year</th><td>%d</td></tr>\n",
            (int)p->policy_year, (int)p->policy_year - 1);
    fprintf(f, "<tr><th>业务日期 as_of</th><td>%s</td><th>导入批次 import_id</th><td>%lld</td></tr>\n",
            rb_date_format_zh(s->as_of, day), (long long)s->import_id);
    fputs("<tr><th>操作人</th><td>", f);
    rb_html_escape(f, s->by);
    fputs("</td><th>生成时间</th><td>", f);
    rb_html_escape(f, now);
    fputs("</td></tr>\n", f);
    const rb_notice_dates *d = s->dates;
    if (r->payments > 0 && d != NULL && d->recorded) {
        fputs("<tr><th>公示截止</th><td id=\"notice-end\">", f);
        zh_date(f, d->notice_end, d->provisional);
        fprintf(f, "（业务日期后第 %d 个工作日）</td><th>拨付期限</th><td id=\"due-date\">", d->notice_days);
        zh_date(f, d->due_date, d->provisional);
        fprintf(f, "（公示截止后第 %d 个工作日）</td></tr>\n", RB_DUE_WORKING_DAYS);
    } else {
        fputs("<tr><th>公示与拨付期限</th><td colspan=\"3\">本批次无拨付，无需公示。</td></tr>\n", f);
    }
    fputs("</table>\n", f);
    if (s->dry_run)
        fputs("<p class=\"warn\">预览（DRY RUN）：本批次仅供核对，未记入台账，不得据此拨付。</p>\n", f);

    fprintf(f, "<h3>政策参数（policy_params %d）</h3>\n<table>\n", (int)p->policy_year);
    fputs("<tr><th>依据</th><td colspan=\"3\">", f);
    rb_html_escape(f, p->legal_reference);
    fputs("</td></tr>\n", f);
    fprintf(f, "<tr><th>返还比例</th><td>中小微企业 %d%%，大型企业 %d%%（参保人数 ≥ %lld 为大型）</td>",
            (int)p->rate_smm_pct, (int)p->rate_large_pct, (long long)p->large_firm_min_headcount);
    fprintf(f, "<th>免申即享范围</th><td>参保人数 ≤ %lld（口径 %s）</td></tr>\n", (long long)p->scope_max_headcount,
            p->headcount_basis == RB_HEADCOUNT_AVERAGE ? "average 年平均" : "december 年末");
    fprintf(f, "<tr><th>裁员率上限</th><td>%lld 人及以下 %s%%，以上 %s%%；口径 %s</td>",
            (long long)p->small_unit_max_headcount, rb_percent_format(p->small_unit_layoff_cap_permille, 1000, a),
            rb_percent_format(p->layoff_target_permille, 1000, b),
            p->layoff_method == RB_LAYOFF_CLAIMANTS ? "claimants 新增领金人数/平均参保人数"
                                                    : "december_stock 年末参保人数降幅");
    fprintf(f, "<th>足额缴费月数</th><td>至少 %lld 个月（%s）</td></tr>\n", (long long)p->min_full_months,
            p->full_months_rule == RB_FULL_MONTHS_CUMULATIVE ? "cumulative 累计" : "data_year 数据年度内");
    fprintf(f, "<tr><th>税务账户</th><td>%s</td><th>复核金额</th><td>超过 %s 元</td></tr>\n</table>\n",
            p->tax_account_allowed ? "允许" : "不允许", rb_money_format(p->review_amount, a));

    fprintf(f, "<h3>输入文件（导入批次 %lld）</h3>\n<table>\n<thead><tr><th>文件</th><th>SHA-256</th><th>编码</th>"
               "<th class=\"n\">读入</th><th class=\"n\">载入</th><th class=\"n\">拒收</th><th class=\"n\">重复</th>"
               "<th class=\"n\">冲突</th></tr></thead>\n<tbody>\n",
            (long long)s->import_id);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT file, sha256, encoding, rows_read, rows_loaded, rows_rejected, rows_duplicate,"
                           " rows_conflicting FROM import_files WHERE import_id = ? ORDER BY file",
                           -1, &q, NULL) != SQLITE_OK)
        return rb_db_fail(s->db, "reading the import record", err);
    sqlite3_bind_int64(q, 1, s->import_id);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        fputs("<tr>", f);
        td(f, (const char *)sqlite3_column_text(q, 0));
        fputs("<td class=\"code\" style=\"word-break:break-all\">", f);
        rb_html_escape(f, (const char *)sqlite3_column_text(q, 1));
        fputs("</td>", f);
        td(f, (const char *)sqlite3_column_text(q, 2));
        for (int c = 3; c <= 7; c++)
            td_num(f, sqlite3_column_int64(q, c));
        fputs("</tr>\n", f);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return rb_db_fail(s->db, "reading the import record", err);
    fputs("</tbody></table>\n<p class=\"note\">读入 = 载入 + 拒收 + 重复 + 冲突；拒收的行见 exceptions.csv 的 ROW 行。</p>\n", f);
    return RB_OK;
}

static void section_totals(FILE *f, const rb_report *report, const rb_batch_summary *s)
{
    const rb_run_result *r = s->result;
    char a[RB_MONEY_BUFSZ], words[RB_WORDS_BUFSZ];
    rb_amount_in_words(r->total, true, words);
    fputs("<h2 id=\"totals\">二、控制总数（与 summary.txt、payout.csv 一致）</h2>\n<table class=\"totals\">\n", f);
    fprintf(f, "<tr><th>拨付笔数</th><td class=\"n\" id=\"total-count\">%lld</td></tr>\n", (long long)r->payments);
    fprintf(f, "<tr><th>拨付总额（元）</th><td class=\"n\" id=\"total-yuan\">%s</td></tr>\n", rb_money_format(r->total, a));
    fputs("<tr><th>金额大写</th><td id=\"total-words\">", f);
    rb_html_escape(f, words);
    fputs("</td></tr>\n", f);
    fprintf(f, "<tr><th>单笔最大（元）</th><td class=\"n\" id=\"largest\">%s</td></tr>\n", rb_money_format(r->largest, a));
    fprintf(f, "<tr><th>中位数（元）</th><td class=\"n\" id=\"median\">%s</td></tr>\n",
            rb_money_format(report->median, a));
    fprintf(f, "<tr><th>决定的单位</th><td class=\"n\">%lld</td></tr>\n</table>\n", (long long)r->firms);
    if (report->n_pays == 0)
        return;
    /* The largest payments, for a look at the firms behind the total. */
    size_t shown = report->n_pays < RB_REPORT_TOP ? report->n_pays : RB_REPORT_TOP;
    size_t *top = malloc(shown * sizeof *top);
    if (top == NULL)
        return; /* the section is a convenience: the table is left out */
    size_t n = 0;
    for (size_t i = 0; i < report->n_pays; i++) {
        /* Insertion into the first `shown`, largest first, ties in notice order. */
        rb_fen a = report->pays[i].amount;
        if (n == shown && report->pays[top[n - 1]].amount >= a)
            continue;
        size_t k = n < shown ? n++ : n - 1;
        while (k > 0 && report->pays[top[k - 1]].amount < a) {
            top[k] = top[k - 1];
            k--;
        }
        top[k] = i;
    }
    fprintf(f, "<h3>金额最大的 %zu 笔拨付（全部 %lld 笔见 payout.csv 和 notice.csv）</h3>\n", shown,
            (long long)r->payments);
    fputs("<table>\n<thead><tr><th>统一社会信用代码</th><th>单位名称</th><th>区县</th>"
          "<th class=\"n\">返还金额（元）</th></tr></thead>\n<tbody>\n",
          f);
    for (size_t i = 0; i < n; i++) {
        const rb_report_payment *p = &report->pays[top[i]];
        fprintf(f, "<tr><td class=\"code\">%s</td>", p->uscc);
        td(f, rb_report_text(report, p->name));
        const char *region = rb_report_region_name((rb_report *)report, p->region);
        fputs("<td>", f);
        rb_html_escape(f, region ? region : "未知区划");
        fprintf(f, " <span class=\"code\">%s</span></td>", p->region);
        td_money(f, p->amount);
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
    free(top);
}

static void section_outcomes(FILE *f, const rb_batch_summary *s)
{
    const rb_run_result *r = s->result;
    fputs("<h2 id=\"outcomes\">三、决定结果与原因</h2>\n", f);
    static const rb_outcome order[] = {RB_OUTCOME_PAY, RB_OUTCOME_REVIEW, RB_OUTCOME_REJECT, RB_OUTCOME_SKIP};
    bar bars[4];
    char labels[4][96], texts[4][64];
    for (int i = 0; i < 4; i++) {
        snprintf(labels[i], sizeof labels[i], "%s %s", rb_outcome_code(order[i]), rb_outcome_label(order[i]));
        int64_t n = r->by_outcome[order[i]];
        snprintf(texts[i], sizeof texts[i], "%lld 家（%.1f%%）", (long long)n,
                 r->firms ? 100.0 * (double)n / (double)r->firms : 0.0);
        bars[i] = (bar){labels[i], n, texts[i]};
    }
    svg_hbars(f, "决定结果", bars, 4, outcome_colors);
    fputs("<table>\n<thead><tr><th>结果</th><th>含义</th><th class=\"n\">单位数</th></tr></thead>\n<tbody>\n", f);
    for (int i = 0; i < 4; i++) {
        fputs("<tr><td class=\"code\">", f);
        fputs(rb_outcome_code(order[i]), f);
        fputs("</td>", f);
        td(f, rb_outcome_label(order[i]));
        td_num(f, r->by_outcome[order[i]]);
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table>\n", f);

    bar rbars[RB_R_COUNT];
    char rlabels[RB_R_COUNT][64], rtexts[RB_R_COUNT][160];
    size_t n = 0;
    for (int i = 0; i < RB_R_COUNT; i++) {
        if (s->reason_counts[i] == 0)
            continue;
        snprintf(rlabels[n], sizeof rlabels[n], "%s", rb_reason_code((rb_reason)i));
        snprintf(rtexts[n], sizeof rtexts[n], "%lld 家　%s", (long long)s->reason_counts[i],
                 rb_reason_label((rb_reason)i));
        rbars[n] = (bar){rlabels[n], s->reason_counts[i], rtexts[n]};
        n++;
    }
    fputs("<h3>原因（一家单位可有多个原因）</h3>\n", f);
    if (n == 0) {
        fputs("<p>本批次没有单位因任何原因未予拨付。</p>\n", f);
        return;
    }
    static const char *const reason_color[] = {"#805ad5", NULL};
    svg_hbars(f, "原因", rbars, n, reason_color);
    fputs("<table>\n<thead><tr><th>原因代码</th><th>说明</th><th class=\"n\">单位数</th></tr></thead>\n<tbody>\n", f);
    for (int i = 0; i < RB_R_COUNT; i++) {
        if (s->reason_counts[i] == 0)
            continue;
        fprintf(f, "<tr><td class=\"code\">%s</td>", rb_reason_code((rb_reason)i));
        td(f, rb_reason_label((rb_reason)i));
        td_num(f, s->reason_counts[i]);
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
}

static void district_label(char *out, size_t size, const rb_report_district *d)
{
    if (d->name)
        snprintf(out, size, "%s %s", d->name, d->code);
    else
        snprintf(out, size, "未知区划 %s", d->code);
}

static rb_status section_districts(FILE *f, const rb_report *report, const rb_batch_summary *s, rb_error *err)
{
    fputs("<h2 id=\"districts\">四、按区县拨付</h2>\n", f);
    if (report->n_districts == 0) {
        fputs("<p>本批次无拨付。</p>\n", f);
        return RB_OK;
    }
    bar *bars = calloc(report->n_districts, sizeof *bars);
    char (*labels)[96] = calloc(report->n_districts, sizeof *labels);
    char (*texts)[64] = calloc(report->n_districts, sizeof *texts);
    if (bars == NULL || labels == NULL || texts == NULL) {
        free(bars);
        free(labels);
        free(texts);
        return rb_fail(err, RB_E_INTERNAL, "out of memory writing the report");
    }
    for (size_t i = 0; i < report->n_districts; i++) {
        const rb_report_district *d = &report->districts[i];
        char a[RB_MONEY_BUFSZ];
        district_label(labels[i], sizeof labels[i], d);
        snprintf(texts[i], sizeof texts[i], "%s 元（%lld 笔）", rb_money_format(d->total, a), (long long)d->count);
        bars[i] = (bar){labels[i], d->total, texts[i]};
    }
    static const char *const color[] = {"#2f855a", NULL};
    svg_hbars(f, "按区县拨付金额", bars, report->n_districts, color);
    free(bars);
    free(labels);
    free(texts);
    fputs("<table>\n<thead><tr><th>区划代码</th><th>区县</th><th class=\"n\">笔数</th><th class=\"n\">金额（元）</th>"
          "<th class=\"n\">占总额</th></tr></thead>\n<tbody>\n",
          f);
    for (size_t i = 0; i < report->n_districts; i++) {
        const rb_report_district *d = &report->districts[i];
        fprintf(f, "<tr><td class=\"code\">%s</td>", d->code);
        if (d->name)
            td(f, d->name);
        else
            td(f, "未知区划");
        td_num(f, d->count);
        td_money(f, d->total);
        fprintf(f, "<td class=\"n\">%.1f%%</td></tr>\n",
                s->result->total ? 100.0 * (double)d->total / (double)s->result->total : 0.0);
    }
    fprintf(f, "<tr><th colspan=\"2\">合计</th>");
    td_num(f, s->result->payments);
    td_money(f, s->result->total);
    fputs("<td class=\"n\">100.0%</td></tr>\n</tbody></table>\n", f);
    fputs("<p class=\"note\">区县取自工商登记的行政区划代码（region_code）；无登记记录的单位取统一社会信用代码第 3-8 位。"
          "区划名称依 GB/T 2260。</p>\n",
          f);
    return RB_OK;
}

/* A step of 1, 2 or 5 times a power of ten yuan, in fen, so that the
 * amounts fall into at most RB_REPORT_BINS bars. */
static rb_fen nice_step(rb_fen lo, rb_fen hi)
{
    static const int mult[] = {1, 2, 5};
    for (rb_fen power = 100;; power *= 10)
        for (int i = 0; i < 3; i++) {
            rb_fen step = power * mult[i];
            if ((hi / step - lo / step) + 1 <= RB_REPORT_BINS)
                return step;
        }
}

static void section_histogram(FILE *f, const rb_report *report)
{
    fputs("<h2 id=\"amounts\">五、金额分布</h2>\n", f);
    if (report->n_pays == 0) {
        fputs("<p>本批次无拨付。</p>\n", f);
        return;
    }
    rb_fen lo = report->pays[0].amount, hi = lo;
    for (size_t i = 0; i < report->n_pays; i++) {
        if (report->pays[i].amount < lo)
            lo = report->pays[i].amount;
        if (report->pays[i].amount > hi)
            hi = report->pays[i].amount;
    }
    rb_fen step = nice_step(lo, hi);
    rb_fen first = lo / step * step;
    size_t n = (size_t)(hi / step - lo / step) + 1;
    int64_t counts[RB_REPORT_BINS] = {0};
    rb_fen sums[RB_REPORT_BINS] = {0};
    for (size_t i = 0; i < report->n_pays; i++) {
        size_t k = (size_t)((report->pays[i].amount - first) / step);
        counts[k]++;
        sums[k] += report->pays[i].amount;
    }
    bar bars[RB_REPORT_BINS];
    char labels[RB_REPORT_BINS][64];
    for (size_t k = 0; k < n; k++) {
        snprintf(labels[k], sizeof labels[k], "%lld–%lld", (long long)((first + (rb_fen)k * step) / 100),
                 (long long)((first + (rb_fen)(k + 1) * step) / 100));
        bars[k] = (bar){labels[k], counts[k], ""};
    }
    svg_histogram(f, "拨付金额分布（元）", bars, n);
    fputs("<table>\n<thead><tr><th>金额区间（元，含下限不含上限）</th><th class=\"n\">笔数</th>"
          "<th class=\"n\">金额（元）</th></tr></thead>\n<tbody>\n",
          f);
    for (size_t k = 0; k < n; k++) {
        fputs("<tr>", f);
        td(f, labels[k]);
        td_num(f, counts[k]);
        td_money(f, sums[k]);
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
}

static rb_status section_exceptions(FILE *f, const rb_report *report, const rb_batch_summary *s, rb_error *err)
{
    fputs("<h2 id=\"exceptions\">六、人工复核（按原因）</h2>\n", f);
    int64_t total = 0;
    for (int i = 0; i < RB_R_COUNT; i++)
        total += report->review_by_reason[i];
    fprintf(f, "<p>需人工复核（REVIEW）的单位共 <b>%lld</b> 家，每家列在其第一个原因（按代码顺序）下，"
               "其全部原因都列出。每个原因最多列 %d 家；全部单位见 exceptions.csv（ENTERPRISE 行）。</p>\n",
            (long long)total, RB_REPORT_LIST_CAP);
    for (int reason = 0; reason < RB_R_COUNT; reason++) {
        if (report->review_by_reason[reason] == 0)
            continue;
        fprintf(f, "<h3><span class=\"code\">%s</span> ", rb_reason_code((rb_reason)reason));
        rb_html_escape(f, rb_reason_label((rb_reason)reason));
        fprintf(f, "（%lld 家）</h3>\n", (long long)report->review_by_reason[reason]);
        fputs("<table class=\"firms\">\n<thead><tr><th>统一社会信用代码</th><th>单位名称</th><th>全部原因代码</th><th>说明</th>"
              "<th class=\"n\">测算金额（元）</th></tr></thead>\n<tbody>\n",
              f);
        for (size_t i = 0; i < report->n_reviews; i++) {
            const rb_report_review *r = &report->reviews[i];
            if ((int)__builtin_ctz(r->reasons) != reason)
                continue;
            char codes[512];
            rb_reasons_format(r->reasons, codes, sizeof codes);
            fprintf(f, "<tr><td class=\"code\">%s</td>", r->uscc);
            td(f, rb_report_text(report, r->name));
            /* The codes only, one a line: the detail sentence beside says
             * what each means. */
            fputs("<td class=\"code\">", f);
            for (char *c = codes; *c != '\0'; c++)
                if (*c == ';')
                    fputs("<br>", f);
                else
                    fputc(*c, f);
            fputs("</td>", f);
            td(f, rb_report_text(report, r->detail));
            td_money(f, r->amount);
            fputs("</tr>\n", f);
        }
        fputs("</tbody></table>\n", f);
        if (report->review_by_reason[reason] > RB_REPORT_LIST_CAP)
            fprintf(f, "<p class=\"note\">另有 %lld 家未列出，见 exceptions.csv。</p>\n",
                    (long long)(report->review_by_reason[reason] - RB_REPORT_LIST_CAP));
    }
    /* The input rows kept out of the snapshot, by rule. */
    fprintf(f, "<h3>导入拒收行（%lld 行）</h3>\n", (long long)s->result->row_errors);
    if (s->result->row_errors == 0 || s->selected) {
        fputs("<p class=\"note\">明细见 exceptions.csv 的 ROW 行。</p>\n", f);
        return RB_OK;
    }
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT rule, count(*) FROM row_errors GROUP BY rule ORDER BY rule", -1, &q,
                           NULL) != SQLITE_OK)
        return rb_db_fail(s->db, "reading the rejected rows", err);
    fputs("<table>\n<thead><tr><th>规则</th><th class=\"n\">行数</th></tr></thead>\n<tbody>\n", f);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        fputs("<tr>", f);
        td(f, (const char *)sqlite3_column_text(q, 0));
        td_num(f, sqlite3_column_int64(q, 1));
        fputs("</tr>\n", f);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return rb_db_fail(s->db, "reading the rejected rows", err);
    fputs("</tbody></table>\n<p class=\"note\">每行的文件、行号和原因见 exceptions.csv 的 ROW 行。</p>\n", f);
    return RB_OK;
}

/* Changes since the previous batch of the same policy year: the latest
 * batch of the year over all firms, not voided, before this one. */
static rb_status section_changes(FILE *f, const rb_batch_summary *s, rb_error *err)
{
    fputs("<h2 id=\"changes\">七、与上一批次相比</h2>\n", f);
    if (s->dry_run) {
        fputs("<p>预览不记入台账，不与上一批次比较。</p>\n", f);
        return RB_OK;
    }
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT batch_id, as_of, state, batch_no FROM batches WHERE policy_year = ?1"
                           " AND batch_id != ?2 AND scope = 'all' AND state != 'voided' ORDER BY rowid DESC LIMIT 1",
                           -1, &q, NULL) != SQLITE_OK)
        return rb_db_fail(s->db, "reading the previous batch", err);
    sqlite3_bind_int(q, 1, s->params->policy_year);
    sqlite3_bind_text(q, 2, s->batch_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    char prev[128] = "";
    int64_t prev_no = 0;
    if (rc == SQLITE_ROW) {
        snprintf(prev, sizeof prev, "%s", (const char *)sqlite3_column_text(q, 0));
        prev_no = sqlite3_column_int64(q, 3);
        fputs("<p>上一批次：<span class=\"code\">", f);
        rb_html_escape(f, prev);
        fputs("</span>（业务日期 ", f);
        rb_html_escape(f, (const char *)sqlite3_column_text(q, 1));
        fputs("，状态 ", f);
        rb_html_escape(f, (const char *)sqlite3_column_text(q, 2));
        fputs("）。</p>\n", f);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return rb_db_fail(s->db, "reading the previous batch", err);
    if (prev[0] == '\0') {
        fprintf(f, "<p>这是 %d 政策年度的第一个批次（作废的批次和指定单位重算的批次不作比较），本批次的 %lld 笔拨付都是新增拨付。</p>\n",
                (int)s->params->policy_year, (long long)s->result->payments);
        return RB_OK;
    }
    /* The latest batches that kept all their decisions, up to the previous
     * batch and before this one (0: none): a firm whose latest row is older
     * was not in it (docs/batch.md, "Decisions kept as changes"). */
    int64_t kept_prev = 0, kept_now = 0;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT coalesce(max(CASE WHEN batch_no <= ?2 THEN batch_no END), 0), coalesce(max(batch_no), 0)"
                           " FROM batches WHERE policy_year = ?1 AND scope = 'all' AND decisions_kept = 'all'"
                           " AND batch_no < ?3",
                           -1, &q, NULL) != SQLITE_OK)
        return rb_db_fail(s->db, "reading the previous batch", err);
    sqlite3_bind_int(q, 1, s->params->policy_year);
    sqlite3_bind_int64(q, 2, prev_no);
    sqlite3_bind_int64(q, 3, s->batch_no);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        kept_prev = sqlite3_column_int64(q, 0);
        kept_now = sqlite3_column_int64(q, 1);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW)
        return rb_db_fail(s->db, "reading the previous batch", err);
    /* Each firm's decision as of the previous batch against its decision
     * now, both read as a rebuilt decisions.csv reads them (the firm's
     * latest row of the batches of all firms up to the batch, voided ones
     * included, since later rows are recorded against them; a PAY of an
     * earlier batch read as SKIP ALREADY_PAID). Only a firm with a row
     * after the previous batch can have changed, so the scan is of those
     * rows, not a join of two whole batches; a --uscc batch compares its
     * own firms. A firm that left is not listed. */
    if (sqlite3_prepare_v2(
            s->db,
            "SELECT * FROM ("
            " SELECT c.uscc, coalesce(r.name, c.name, '') AS name,"
            "  CASE WHEN p.outcome = 'PAY' AND p.batch_no < ?3 THEN 'SKIP' ELSE p.outcome END AS p_outcome,"
            "  CASE WHEN p.outcome = 'PAY' AND p.batch_no < ?3 THEN 'ALREADY_PAID' ELSE p.reasons END AS p_reasons,"
            "  CASE WHEN c.outcome = 'PAY' AND c.batch_no < ?2 THEN 'SKIP' ELSE c.outcome END AS c_outcome,"
            "  CASE WHEN c.outcome = 'PAY' AND c.batch_no < ?2 THEN 'ALREADY_PAID' ELSE c.reasons END AS c_reasons,"
            "  c.amount_fen"
            " FROM decisions c"
            " LEFT JOIN decisions p ON p.policy_year = c.policy_year AND p.uscc = c.uscc AND p.batch_no >= ?4"
            "  AND p.batch_no = (SELECT max(q.batch_no) FROM decisions q JOIN batches qb ON qb.batch_id = q.batch_id"
            "   WHERE q.policy_year = c.policy_year AND q.uscc = c.uscc AND q.batch_no <= ?3 AND qb.scope = 'all')"
            " LEFT JOIN registration r ON r.uscc = c.uscc"
            " WHERE c.policy_year = ?1 AND c.batch_no > ?3 AND c.batch_no <= ?2 AND c.batch_no >= ?5"
            "  AND (c.batch_no = ?2 OR (?6 = 0 AND c.batch_no = ("
            "   SELECT max(q.batch_no) FROM decisions q JOIN batches qb ON qb.batch_id = q.batch_id"
            "   WHERE q.policy_year = c.policy_year AND q.uscc = c.uscc AND q.batch_no <= ?2 AND qb.scope = 'all')))"
            "  AND c.outcome != 'GONE')"
            " WHERE (p_outcome IS NULL OR p_outcome = 'GONE' OR p_outcome != c_outcome OR p_reasons != c_reasons)"
            " AND NOT (p_outcome = 'PAY' AND c_outcome = 'SKIP' AND c_reasons = 'ALREADY_PAID')"
            " ORDER BY c_outcome, uscc",
            -1, &q, NULL) != SQLITE_OK)
        return rb_db_fail(s->db, "comparing with the previous batch", err);
    sqlite3_bind_int(q, 1, s->params->policy_year);
    sqlite3_bind_int64(q, 2, s->batch_no);
    sqlite3_bind_int64(q, 3, prev_no);
    sqlite3_bind_int64(q, 4, kept_prev);
    sqlite3_bind_int64(q, 5, kept_now);
    sqlite3_bind_int(q, 6, s->selected);
    /* transitions[previous][current]: previous 0-3 an outcome, 4 absent. */
    int64_t transitions[5][4] = {{0}};
    int64_t changed = 0, new_pay = 0;
    rb_fen new_pay_sum = 0;
    char *rows = NULL;
    size_t rows_len = 0;
    FILE *mem = open_memstream(&rows, &rows_len);
    if (mem == NULL) {
        sqlite3_finalize(q);
        return rb_fail(err, RB_E_INTERNAL, "out of memory writing the report");
    }
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *pout = (const char *)sqlite3_column_text(q, 2);
        if (pout != NULL && strcmp(pout, "GONE") == 0)
            pout = NULL; /* it had left the population: as new */
        const char *cout = (const char *)sqlite3_column_text(q, 4);
        int pi = 4, ci = 3;
        for (int i = 0; i <= RB_OUTCOME_SKIP; i++) {
            if (pout && strcmp(pout, rb_outcome_code((rb_outcome)i)) == 0)
                pi = i;
            if (cout && strcmp(cout, rb_outcome_code((rb_outcome)i)) == 0)
                ci = i;
        }
        transitions[pi][ci]++;
        if (ci == RB_OUTCOME_PAY) {
            new_pay++;
            new_pay_sum += sqlite3_column_int64(q, 6);
        }
        if (changed++ >= RB_REPORT_LIST_CAP * 4)
            continue;
        fputs("<tr>", mem);
        fprintf(mem, "<td class=\"code\">");
        rb_html_escape(mem, (const char *)sqlite3_column_text(q, 0));
        fputs("</td>", mem);
        td(mem, (const char *)sqlite3_column_text(q, 1));
        fputs("<td>", mem);
        if (pout) {
            fprintf(mem, "<span class=\"code\">%s</span> ", pout);
            rb_html_escape(mem, outcome_label_of(pout));
            fputs("<br>", mem);
            reasons_text(mem, (const char *)sqlite3_column_text(q, 3));
        } else {
            fputs("上批无此单位", mem);
        }
        fputs("</td><td>", mem);
        fprintf(mem, "<span class=\"code\">%s</span> ", cout ? cout : "");
        rb_html_escape(mem, outcome_label_of(cout));
        fputs("<br>", mem);
        reasons_text(mem, (const char *)sqlite3_column_text(q, 5));
        fputs("</td>", mem);
        if (ci == RB_OUTCOME_PAY)
            td_money(mem, sqlite3_column_int64(q, 6));
        else
            fputs("<td></td>", mem);
        fputs("</tr>\n", mem);
    }
    sqlite3_finalize(q);
    bool mem_ok = fclose(mem) == 0;
    if (rc != SQLITE_DONE || !mem_ok) {
        free(rows);
        return rc != SQLITE_DONE ? rb_db_fail(s->db, "comparing with the previous batch", err)
                                 : rb_fail(err, RB_E_INTERNAL, "out of memory writing the report");
    }
    char a[RB_MONEY_BUFSZ];
    fprintf(f, "<p>新增拨付 <b>%lld</b> 笔，共 %s 元（上批未拨付、本批拨付的单位）。结果或原因有变化的单位共 <b>%lld</b> 家"
               "（上批已拨付、本批因“本年度已返还”跳过的不算变化）。</p>\n",
            (long long)new_pay, rb_money_format(new_pay_sum, a), (long long)changed);
    if (changed > 0) {
        fputs("<table>\n<thead><tr><th>上批 \\ 本批</th>", f);
        for (int c = 0; c <= RB_OUTCOME_SKIP; c++)
            fprintf(f, "<th class=\"n\">%s %s</th>", rb_outcome_code((rb_outcome)c), rb_outcome_label((rb_outcome)c));
        fputs("</tr></thead>\n<tbody>\n", f);
        for (int p = 0; p < 5; p++) {
            int64_t row_total = 0;
            for (int c = 0; c < 4; c++)
                row_total += transitions[p][c];
            if (row_total == 0)
                continue;
            if (p < 4)
                fprintf(f, "<tr><th>%s %s</th>", rb_outcome_code((rb_outcome)p), rb_outcome_label((rb_outcome)p));
            else
                fputs("<tr><th>上批无此单位</th>", f);
            for (int c = 0; c < 4; c++)
                td_num(f, transitions[p][c]);
            fputs("</tr>\n", f);
        }
        fputs("</tbody></table>\n", f);
        fprintf(f, "<h3>变化的单位（最多列 %d 家，全部见 decisions.csv）</h3>\n", RB_REPORT_LIST_CAP * 4);
        fputs("<table class=\"firms changes\">\n<thead><tr><th>统一社会信用代码</th><th>单位名称</th><th>上批结果与原因</th><th>本批结果与原因</th>"
              "<th class=\"n\">拨付金额（元）</th></tr></thead>\n<tbody>\n",
              f);
        fwrite(rows, 1, rows_len, f);
        fputs("</tbody></table>\n", f);
    }
    free(rows);
    return RB_OK;
}

rb_status rb_report_write_html(rb_report *report, const char *dir, const rb_batch_summary *s, const char *now,
                               rb_error *err)
{
    FILE *f = NULL;
    rb_strbuf path = RB_STRBUF_INIT;
    if (!rb_strbuf_addf(&path, "%s/report.html", dir))
        return rb_fail(err, RB_E_INTERNAL, "out of memory writing the report");
    rb_status st = rb_fs_create(dir, "report.html", &f, err);
    if (st != RB_OK) {
        rb_strbuf_release(&path);
        return st;
    }
    setvbuf(f, NULL, _IOFBF, HTML_BUFFER);
    char title[256];
    snprintf(title, sizeof title, "%d年失业保险稳岗返还（免申即享）拨付批次审核报告 %s", (int)s->params->policy_year,
             s->batch_id);
    /* Firm tables have fixed columns, so that a name is never squeezed to
     * one character a line by a long detail beside it. */
    rb_html_begin(f, title, ".kv th{width:16%;white-space:nowrap}.totals{width:auto;min-width:50%}"
                            ".totals td{font-size:16px}.totals th{width:12em}"
                            ".firms{table-layout:fixed}.firms th:nth-child(1){width:12.5em}"
                            ".firms th:nth-child(2){width:18%}.firms th:nth-child(3){width:11.5em}"
                            ".firms.changes th:nth-child(3),.firms.changes th:nth-child(4){width:auto}"
                            ".firms th:nth-child(5){width:7.5em}.firms td{overflow-wrap:break-word}"
                            "@media print{.firms{font-size:9pt}}");
    fprintf(f, "<h1>%d年失业保险稳岗返还（免申即享）<br>拨付批次审核报告</h1>\n", (int)s->params->policy_year);
    fputs("<p class=\"note\">批次 <span class=\"code\">", f);
    rb_html_escape(f, s->batch_id);
    fputs("</span>。本页由程序生成，所有数字取自本批次的台账与文件；拨付明细以 payout.csv 为准。</p>\n", f);
    if ((st = section_header(f, s, now, err)) == RB_OK) {
        section_totals(f, report, s);
        section_outcomes(f, s);
        st = section_districts(f, report, s, err);
    }
    if (st == RB_OK) {
        section_histogram(f, report);
        st = section_exceptions(f, report, s, err);
    }
    if (st == RB_OK)
        st = section_changes(f, s, err);
    if (st == RB_OK) {
        fputs("<h2 id=\"files\">八、本批次文件</h2>\n<p>payout.csv（拨付明细表）、exceptions.csv（人工复核）、"
              "decisions.csv（全部决定）、notice.csv 与 notice.html（公示名单）、summary.txt（汇总）、report.html（本报告）；"
              "校验：<span class=\"code\">sha256sum -c SHA256SUMS</span>。</p>\n",
              f);
        fputs("<p class=\"note\">审核人：＿＿＿＿＿＿　　审批人：＿＿＿＿＿＿　　日期：＿＿＿＿＿＿</p>\n</body>\n</html>\n", f);
        st = rb_fs_close_synced(f, path.buf, err);
    } else {
        fclose(f);
    }
    rb_strbuf_release(&path);
    return st;
}
