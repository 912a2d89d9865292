/* The public notice (公示名单) of a batch: notice.csv, one row per payment
 * ordered by district then name, and notice.html, the page a bureau prints
 * and posts (title, notice period, contact line, the table, the total). No
 * bank account and nothing else about a firm is published. */
#include <stdlib.h>
#include <string.h>

#include "rebate/csv_writer.h"
#include "rebate/fsutil.h"
#include "rebate/words.h"
#include "rebate/workdays.h"
#include "output/report.h"

#define NOTICE_BUFFER (256 * 1024)

static const char *const notice_header[] = {"序号", "单位名称", "统一社会信用代码", "所属区县", "返还金额（元）"};

/* The district as the notice prints it: its name, else the code. */
static const char *district_of(rb_report *report, const rb_report_payment *p)
{
    const char *name = rb_report_region_name(report, p->region);
    return name ? name : p->region;
}

static rb_status write_csv(rb_report *report, const char *dir, rb_error *err)
{
    FILE *f = NULL;
    rb_strbuf path = RB_STRBUF_INIT;
    if (!rb_strbuf_addf(&path, "%s/notice.csv", dir))
        return rb_fail(err, RB_E_INTERNAL, "out of memory writing the notice");
    rb_status st = rb_fs_create(dir, "notice.csv", &f, err);
    if (st != RB_OK) {
        rb_strbuf_release(&path);
        return st;
    }
    setvbuf(f, NULL, _IOFBF, NOTICE_BUFFER);
    rb_csv_writer w;
    st = rb_csv_begin(&w, f, path.buf, notice_header, sizeof notice_header / sizeof notice_header[0], err);
    for (size_t i = 0; st == RB_OK && i < report->n_pays; i++) {
        const rb_report_payment *p = &report->pays[i];
        rb_csv_int(&w, (long long)(i + 1));
        rb_csv_text(&w, rb_report_text(report, p->name));
        rb_csv_text(&w, p->uscc);
        rb_csv_text(&w, district_of(report, p));
        rb_csv_money(&w, p->amount);
        rb_csv_end_row(&w);
        if (w.failed)
            st = rb_csv_status(&w, err);
    }
    if (st == RB_OK)
        st = rb_csv_status(&w, err);
    if (st == RB_OK)
        st = rb_fs_close_synced(f, path.buf, err);
    else
        fclose(f);
    rb_strbuf_release(&path);
    return st;
}

static rb_status write_html(rb_report *report, const char *dir, const rb_batch_summary *s, rb_error *err)
{
    FILE *f = NULL;
    rb_strbuf path = RB_STRBUF_INIT;
    if (!rb_strbuf_addf(&path, "%s/notice.html", dir))
        return rb_fail(err, RB_E_INTERNAL, "out of memory writing the notice");
    rb_status st = rb_fs_create(dir, "notice.html", &f, err);
    if (st != RB_OK) {
        rb_strbuf_release(&path);
        return st;
    }
    setvbuf(f, NULL, _IOFBF, NOTICE_BUFFER);
    const rb_run_result *r = s->result;
    char title[256], a[RB_MONEY_BUFSZ], words[RB_WORDS_BUFSZ], from[32], to[32];
    snprintf(title, sizeof title, "%d年失业保险稳岗返还（免申即享）拟拨付单位名单公示", (int)s->params->policy_year);
    rb_html_begin(f, title,
                  "h1{text-align:center;font-size:22px;margin:8px 0 16px}"
                  ".lead{text-indent:2em}.sign{text-align:right;margin-top:24px}"
                  "td.c,th.c{text-align:center;white-space:nowrap}");
    fputs("<h1>", f);
    rb_html_escape(f, title);
    fputs("</h1>\n", f);
    if (s->dry_run)
        fputs("<p class=\"warn\">预览（DRY RUN）：仅供核对，不得张贴。</p>\n", f);
    rb_amount_in_words(r->total, true, words);
    const rb_notice_dates *d = s->dates;
    if (r->payments == 0 || d == NULL || !d->recorded) {
        fputs("<p class=\"lead\">本批次无拟拨付单位。</p>\n", f);
    } else {
        fprintf(f,
                "<p class=\"lead\">根据失业保险稳岗返还政策，经社会保险经办机构数据比对，下列 <b id=\"notice-count\">%lld</b> "
                "家单位符合 %d 年失业保险稳岗返还（免申即享）条件，拟拨付返还资金共计 <b id=\"notice-total\">%s</b> 元（",
                (long long)r->payments, (int)s->params->policy_year, rb_money_format(r->total, a));
        rb_html_escape(f, words);
        fputs("），无需单位申请。现予公示。</p>\n", f);
        fprintf(f, "<p class=\"lead\">公示期：<b id=\"notice-period\">%s至%s</b>", rb_date_format_zh(s->as_of, from),
                rb_date_format_zh(d->notice_end, to));
        if (d->notice_days > 0)
            fprintf(f, "（%d 个工作日）", d->notice_days);
        if (d->provisional)
            fputs("<span class=\"warn\">（暂按周末计算）</span>", f);
        fputs("。公示期内对名单有异议的，请以书面形式向社会保险经办机构反映。</p>\n", f);
    }
    if (s->notice_contact != NULL) {
        fputs("<p class=\"lead\">联系方式：<span id=\"notice-contact\">", f);
        rb_html_escape(f, s->notice_contact);
        fputs("</span></p>\n", f);
    }
    fputs("<table>\n<thead><tr><th class=\"c\">序号</th><th>单位名称</th><th>统一社会信用代码</th><th>所属区县</th>"
          "<th class=\"n\">返还金额（元）</th></tr></thead>\n<tbody>\n",
          f);
    for (size_t i = 0; i < report->n_pays; i++) {
        const rb_report_payment *p = &report->pays[i];
        fprintf(f, "<tr><td class=\"c\">%zu</td><td>", i + 1);
        rb_html_escape(f, rb_report_text(report, p->name));
        fprintf(f, "</td><td class=\"code\">%s</td><td>", p->uscc);
        rb_html_escape(f, district_of(report, p));
        fprintf(f, "</td><td class=\"n\">%s</td></tr>\n", rb_money_format(p->amount, a));
    }
    fprintf(f, "<tr><th colspan=\"4\">合计 %lld 家</th><th class=\"n\">%s</th></tr>\n</tbody></table>\n",
            (long long)r->payments, rb_money_format(r->total, a));
    fputs("<p class=\"note\">批次 <span class=\"code\">", f);
    rb_html_escape(f, s->batch_id);
    fprintf(f, "</span></p>\n<p class=\"sign\">%s</p>\n</body>\n</html>\n", rb_date_format_zh(s->as_of, from));
    st = rb_fs_close_synced(f, path.buf, err);
    rb_strbuf_release(&path);
    return st;
}

rb_status rb_notice_write(rb_report *report, const char *dir, const rb_batch_summary *s, rb_error *err)
{
    rb_status st = write_csv(report, dir, err);
    return st == RB_OK ? write_html(report, dir, s, err) : st;
}
