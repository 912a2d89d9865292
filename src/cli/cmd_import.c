/* `rebate import --db DB [--encoding auto|utf-8|gb18030] DIR`: loads the
 * three extracts of DIR into the database (rb_import) and prints each
 * file's row accounting. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "rebate/db.h"
#include "rebate/import.h"
#include "rebate/lock.h"

static const char import_description[] =
    "Reads DIR/registration.csv, DIR/insured_units.csv and DIR/contributions.csv\n"
    "and replaces the snapshot in the SQLite database DB (made by rebate init)\n"
    "in one transaction: a file that is refused leaves the previous snapshot whole.\n"
    "A row that breaks a rule is not loaded but kept in the table row_errors;\n"
    "every file's rows are accounted for on standard output.\n"
    "\n";

static const char import_footer[] =
    "Columns, by canonical name (any case) or Chinese alias, in any order;\n"
    "* marks a required column, other columns are ignored:\n"
    "  registration.csv   uscc* 统一社会信用代码, name* 企业名称, status* 登记状态,\n"
    "                     established_on* 成立日期, deregistered_on 注销日期,\n"
    "                     region_code* 行政区划代码, industry_code 行业代码,\n"
    "                     serious_dishonesty 严重失信\n"
    "  insured_units.csv  uscc* 统一社会信用代码, unit_no 单位编号, unit_name* 单位名称,\n"
    "                     insured_on* 参保日期, ui_status* 参保状态, account_name 账户名称,\n"
    "                     bank_name 开户银行, bank_account 银行账号, account_source 账户来源,\n"
    "                     bank_code 开户行行号\n"
    "  contributions.csv  uscc* 统一社会信用代码, period* 缴费年月, insured_count* 参保人数,\n"
    "                     employer_due* 单位应缴, employer_paid* 单位实缴,\n"
    "                     employee_due* 个人应缴, employee_paid* 个人实缴,\n"
    "                     new_claimants 新增领取失业保险金人数\n"
    "\n"
    "Exit status: 0 done (rows with errors do not fail an import), 64 usage,\n"
    "65 a file refused (missing or doubled column, undecodable, broken CSV),\n"
    "66 a folder or file missing, 70 internal error, 73 cannot write the database,\n"
    "75 another run or import holds the lock, or the database is busy.\n";

static void print_report(const char *dir, const rb_import_report *report)
{
    printf("Imported '%s' as import %lld.\n", dir, (long long)report->import_id);
    printf("%-18s %-10s %11s %11s %11s %11s %11s\n", "file", "encoding", "read", "loaded", "rejected", "duplicates",
           "conflicting");
    long long total[5] = {0};
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++) {
        const rb_import_file_report *f = &report->files[i];
        long long row[5] = {f->rows_read, f->rows_loaded, f->rows_rejected, f->rows_duplicate,
                            f->rows_conflicting};
        printf("%-18s %-10s %11lld %11lld %11lld %11lld %11lld\n", f->file, f->encoding, row[0], row[1], row[2],
               row[3], row[4]);
        for (int k = 0; k < 5; k++)
            total[k] += row[k];
    }
    printf("%-18s %-10s %11lld %11lld %11lld %11lld %11lld\n", "total", "", total[0], total[1], total[2], total[3],
           total[4]);
    printf("SHA-256:\n");
    for (int i = 0; i < RB_IMPORT_FILE_COUNT; i++)
        printf("%s  %s\n", report->files[i].sha256, report->files[i].file);
    if (report->patched)
        printf("Only changed lines: %lld of %lld records read again (the firms on them); the rest kept from the "
               "last import.\n",
               (long long)rb_import_records_checked(report), total[0]);
}

/* --encoding, checked as it is read. */
typedef struct encoding_option {
    rb_encoding encoding;
    bool given;
} encoding_option;

static int take_encoding(void *value, const char *arg)
{
    encoding_option *e = value;
    if (!rb_encoding_parse(arg, &e->encoding))
        return rb_usage_error("import", "'%s' is not an encoding (auto, utf-8 or gb18030)", arg);
    e->given = true;
    return 0;
}

int cmd_import(int argc, char **argv)
{
    encoding_option encoding = {RB_ENCODING_AUTO, false};
    const rb_option options[] = {
        {"encoding", "ENC", RB_OPT_CALL, &encoding, false,
         "auto (default): UTF-8 when the file is valid UTF-8, else\nGB18030; utf-8 (a BOM is allowed) or gb18030 to "
         "insist\n(default with --config: its encoding)",
         take_encoding},
        RB_OPT_END,
    };
    const rb_command_line line = {.name = "import", .synopsis = "--db DB [--encoding auto|utf-8|gb18030] DIR",
                                  .description = import_description, .footer = import_footer, .options = options,
                                  .operand = "DIR", .min_operands = 1, .max_operands = 1,
                                  .missing_operand = "the folder DIR holding the extracts is required",
                                  .extra_operand = "one folder only; '%s' is one too many",
                                  .db_help = "the database (made by rebate init)"};
    rb_session s;
    int status = rb_session_start(&s, &line, argc, argv);
    if (status >= 0)
        return status;
    if (!encoding.given && s.config_path != NULL)
        rb_encoding_parse(s.config.encoding, &encoding.encoding); /* checked by the config's loader */
    const char *dir = argv[s.first_operand];
    rb_import_report report;
    /* Look for the extracts first, so that a wrong folder creates no
     * database. Then the lock of run and nightly: an import while either
     * works exits 75 at once instead of waiting on the database, and a run
     * never starts while an import replaces the snapshot. */
    rb_status st = rb_import_check(dir, &s.err);
    if (st == RB_OK && (st = rb_session_open(&s, RB_DB_EXISTING, true, NULL, NULL)) == RB_OK &&
        (st = rb_import(s.db, dir, encoding.encoding, &report, &s.err)) == RB_OK)
        print_report(dir, &report);
    return rb_session_end(&s, st, NULL);
}
