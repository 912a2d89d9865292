/* Tests of rb_import (src/import): headers, every row-error rule, the
 * normalised values stored, blank records, line numbers, duplicates and
 * conflicts, the row accounting, GB18030 and UTF-8 twins, and that a
 * refused or missing file changes nothing. */
#include <iconv.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rebate/db.h"
#include "rebate/import.h"
#include "rebate/strbuf.h"
#include "test_support.h"

/* Valid codes (check characters computed by hand from GB 32100-2015). */
#define CODE1 "91210302MA0A00001H"
#define CODE2 "91210302MA0A00002L"
#define CODE3 "91210302MA0A00003P"

#define REG_HEADER "uscc,name,status,established_on,deregistered_on,region_code,industry_code,serious_dishonesty\n"
#define UNIT_HEADER \
    "uscc,unit_no,unit_name,insured_on,ui_status,account_name,bank_name,bank_account,account_source,bank_code\n"
#define CONTRIB_HEADER \
    "uscc,period,insured_count,employer_due,employer_paid,employee_due,employee_paid,new_claimants\n"

#define REG_ROW1 CODE1 ",鞍山甲有限公司,存续,2015-03-01,,210302,F5191,0\n"
#define UNIT_ROW1 CODE1 ",U001,鞍山甲有限公司,2016-01-01,正常,鞍山甲有限公司,工商银行鞍山分行,6222000011112222,对公,102223000011\n"
#define CONTRIB_ROW1 CODE1 ",202101,5,100.00,100.00,100.00,100.00,0\n"

static const char *const good_registration = REG_HEADER REG_ROW1;
static const char *const good_units = UNIT_HEADER UNIT_ROW1;
static const char *const good_contributions = CONTRIB_HEADER CONTRIB_ROW1;

/* One test's folder, extracts and database. */
static char root[4096];
static char in_dir[4200];
static sqlite3 *db;
static rb_error err;
static rb_import_report report;

static void setup(void)
{
    snprintf(root, sizeof root, "%s", ts_tmpdir());
    snprintf(in_dir, sizeof in_dir, "%s/in", root);
    ck_assert_int_eq(mkdir(in_dir, 0700), 0);
    char path[4300];
    snprintf(path, sizeof path, "%s/rebate.db", root);
    rb_error_clear(&err);
    ck_assert_msg(rb_db_init(path, &db, &err) == RB_OK, "%s", err.message);
}

static void teardown(void)
{
    rb_db_close(db);
    db = NULL;
    ts_rmtree(root);
}

static void write_extracts(const char *registration, const char *units, const char *contributions)
{
    if (registration)
        ts_write_file(in_dir, "registration.csv", registration, (size_t)-1);
    if (units)
        ts_write_file(in_dir, "insured_units.csv", units, (size_t)-1);
    if (contributions)
        ts_write_file(in_dir, "contributions.csv", contributions, (size_t)-1);
}

static rb_status import_these(const char *registration, const char *units, const char *contributions)
{
    write_extracts(registration, units, contributions);
    rb_error_clear(&err);
    memset(&report, 0, sizeof report);
    return rb_import(db, in_dir, RB_ENCODING_AUTO, &report, &err);
}

static void import_ok(const char *registration, const char *units, const char *contributions)
{
    ck_assert_msg(import_these(registration, units, contributions) == RB_OK, "import failed: %s", err.message);
}

static long long count(const char *sql)
{
    return ts_query_int(db, sql);
}

/* The first column of the first row as text ("NULL" for NULL); malloc'ed. */
static char *text_of(const char *sql)
{
    sqlite3_stmt *st = NULL;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
    ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "no row from %s", sql);
    const unsigned char *t = sqlite3_column_text(st, 0);
    char *copy = strdup(t ? (const char *)t : "NULL");
    sqlite3_finalize(st);
    return copy;
}

static void expect_text(const char *sql, const char *expected)
{
    char *got = text_of(sql);
    ck_assert_msg(strcmp(got, expected) == 0, "%s gave '%s', expected '%s'", sql, got, expected);
    free(got);
}

/* Exactly one row error, with these values (column/value NULL = SQL NULL). */
static void expect_only_row_error(const char *file, long long line, const char *column, const char *value,
                                  const char *rule)
{
    ck_assert_int_eq(count("SELECT count(*) FROM row_errors"), 1);
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT file || '|' || line || '|' || ifnull(column_name, 'NULL') || '|' || "
                              "ifnull(value, 'NULL') || '|' || rule FROM row_errors");
    char expected[1024];
    snprintf(expected, sizeof expected, "%s|%lld|%s|%s|%s", file, line, column ? column : "NULL",
             value ? value : "NULL", rule);
    expect_text(sql, expected);
}

static const rb_import_file_report *file_report(int which)
{
    return &report.files[which];
}

static void expect_accounting(int which, long long read, long long loaded, long long rejected,
                              long long duplicates, long long conflicting)
{
    const rb_import_file_report *f = file_report(which);
    ck_assert_int_eq(f->rows_read, read);
    ck_assert_int_eq(f->rows_loaded, loaded);
    ck_assert_int_eq(f->rows_rejected, rejected);
    ck_assert_int_eq(f->rows_duplicate, duplicates);
    ck_assert_int_eq(f->rows_conflicting, conflicting);
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT rows_read || ',' || rows_loaded || ',' || rows_rejected || ',' || rows_duplicate || ',' || "
             "rows_conflicting FROM import_files WHERE import_id = %lld AND file = '%s'",
             (long long)report.import_id, f->file);
    char expected[128];
    snprintf(expected, sizeof expected, "%lld,%lld,%lld,%lld,%lld", read, loaded, rejected, duplicates, conflicting);
    expect_text(sql, expected);
}

/* ------------------------------------------------------------ headers */

START_TEST(good_extracts_load)
{
    import_ok(good_registration, good_units, good_contributions);
    ck_assert_int_gt(report.import_id, 0);
    expect_accounting(RB_IMPORT_REGISTRATION, 1, 1, 0, 0, 0);
    expect_accounting(RB_IMPORT_INSURED_UNITS, 1, 1, 0, 0, 0);
    expect_accounting(RB_IMPORT_CONTRIBUTIONS, 1, 1, 0, 0, 0);
    expect_text("SELECT uscc || '|' || name || '|' || status || '|' || status_class || '|' || established_on || '|' "
                "|| ifnull(deregistered_on, 'NULL') || '|' || region_code || '|' || industry_code || '|' || "
                "serious_dishonesty || '|' || line FROM registration",
                CODE1 "|鞍山甲有限公司|存续|active|2015-03-01|NULL|210302|F5191|0|2");
    expect_text("SELECT uscc || '|' || unit_no || '|' || unit_name || '|' || insured_on || '|' || ui_status || '|' "
                "|| ui_status_class || '|' || account_name || '|' || bank_name || '|' || bank_account || '|' || "
                "account_source || '|' || bank_code || '|' || line FROM insured_units",
                CODE1 "|U001|鞍山甲有限公司|2016-01-01|正常|active|鞍山甲有限公司|工商银行鞍山分行|6222000011112222|"
                      "对公|102223000011|2");
    expect_text("SELECT uscc || '|' || period || '|' || insured_count || '|' || employer_due || '|' || "
                "employer_paid || '|' || employee_due || '|' || employee_paid || '|' || new_claimants || '|' || "
                "line FROM contributions",
                CODE1 "|202101|5|10000|10000|10000|10000|0|2");
    expect_text("SELECT encoding FROM imports", "auto");
    expect_text("SELECT group_concat(encoding) FROM import_files", "utf-8,utf-8,utf-8");
    ck_assert_int_eq(count("SELECT count(*) FROM row_errors"), 0);
}
END_TEST

START_TEST(chinese_headers)
{
    import_ok("统一社会信用代码,企业名称,登记状态,成立日期,注销日期,行政区划代码,行业代码,严重失信\n" CODE1
              ",鞍山甲有限公司,存续,2015-03-01,,210302,F5191,是\n",
              "统一社会信用代码,单位编号,单位名称,参保日期,参保状态,账户名称,开户银行,银行账号,账户来源,开户行行号\n" CODE1
              ",U001,鞍山甲有限公司,2016-01-01,暂停缴费,甲,工行,6222 0000,税务,102223000011\n",
              "统一社会信用代码,缴费年月,参保人数,单位应缴,单位实缴,个人应缴,个人实缴,新增领取失业保险金人数\n" CODE1
              ",2021-01,5,100,99.5,100,100,2\n");
    expect_text("SELECT serious_dishonesty FROM registration", "1");
    expect_text("SELECT ui_status_class || account_source || bank_account FROM insured_units", "suspended税务62220000");
    expect_text("SELECT period || ',' || employer_paid || ',' || new_claimants FROM contributions", "202101,9950,2");
}
END_TEST

START_TEST(columns_in_another_order_and_unknown_columns)
{
    import_ok("备注,Region_Code,NAME,USCC,status,established_on,extra\n"
              "x,210303,鞍山乙有限公司," CODE2 ",在业,20190102,y\n",
              "unit_name,ui_status,insured_on,uscc,whatever\n鞍山乙有限公司,终止,2019-02-01," CODE2 ",1\n",
              "employee_paid,employee_due,employer_paid,employer_due,insured_count,period,uscc\n"
              "1,2,3,4,5,202112," CODE2 "\n");
    expect_text("SELECT uscc || name || region_code || established_on || ifnull(industry_code, '-') || "
                "serious_dishonesty FROM registration",
                CODE2 "鞍山乙有限公司2103032019-01-02-0");
    expect_text("SELECT ui_status_class || ifnull(bank_account, '-') || account_source || ifnull(bank_code, '-') "
                "FROM insured_units",
                "terminated-对公-");
    expect_text("SELECT employer_due || ',' || employer_paid || ',' || employee_due || ',' || employee_paid || ',' "
                "|| insured_count || ',' || new_claimants FROM contributions",
                "400,300,200,100,5,0");
}
END_TEST

START_TEST(header_names_are_trimmed_and_lose_a_bom)
{
    import_ok("\"\xEF\xBB\xBFuscc\", name ,\t status,established_on　,region_code\n" CODE1
              ",鞍山甲有限公司,存续,2015-03-01,210302\n",
              good_units, good_contributions);
    expect_accounting(RB_IMPORT_REGISTRATION, 1, 1, 0, 0, 0);
}
END_TEST

START_TEST(blank_lines_before_the_header)
{
    import_ok("\n,,,\n" REG_HEADER REG_ROW1, good_units, good_contributions);
    expect_text("SELECT line FROM registration", "4");
}
END_TEST

static void expect_previous_snapshot_intact(void)
{
    ck_assert_int_eq(count("SELECT count(*) FROM imports"), 1);
    ck_assert_int_eq(count("SELECT count(*) FROM registration"), 1);
    ck_assert_int_eq(count("SELECT count(*) FROM insured_units"), 1);
    ck_assert_int_eq(count("SELECT count(*) FROM contributions"), 2);
    ck_assert_int_eq(count("SELECT count(*) FROM row_errors WHERE line = 4 AND rule = 'MONEY_INVALID'"), 1);
    ck_assert_int_eq(count("SELECT count(*) FROM duplicate_rows WHERE line = 5 AND first_line = 2"), 1);
    ck_assert_int_eq(count("SELECT count(*) FROM row_errors"), 1);
}

/* A first import with a row error and a duplicate, so that a later failure
 * can be seen to leave all of it in place. */
static void first_import(void)
{
    import_ok(good_registration, good_units,
              CONTRIB_HEADER CONTRIB_ROW1 CODE1 ",202102,5,100,100,100,100,0\n" CODE1
              ",202103,5,100,1e3,100,100,0\n" CONTRIB_ROW1);
    expect_previous_snapshot_intact();
}

START_TEST(missing_column_refuses_the_file)
{
    first_import();
    ck_assert_int_eq(import_these(good_registration, good_units,
                                  "uscc,period,insured_count,employer_due,employee_due,employee_paid\n" CODE1
                                  ",202101,5,1,1,1\n"),
                     RB_E_DATA);
    ck_assert_str_eq(err.message,
                     "cannot import 'contributions.csv': its header (line 1) has no column 'employer_paid' (单位实缴)");
    expect_previous_snapshot_intact();
}
END_TEST

START_TEST(column_named_twice_refuses_the_file)
{
    first_import();
    ck_assert_int_eq(import_these("uscc,name,status,established_on,region_code,NAME\n", good_units,
                                  good_contributions),
                     RB_E_DATA);
    ck_assert_str_eq(err.message, "cannot import 'registration.csv': its header (line 1) names column 'name' "
                                  "(企业名称) twice, in fields 2 and 6");
    expect_previous_snapshot_intact();
    ck_assert_int_eq(import_these(good_registration,
                                  "uscc,unit_name,insured_on,ui_status,统一社会信用代码\n", good_contributions),
                     RB_E_DATA);
    ck_assert_str_eq(err.message, "cannot import 'insured_units.csv': its header (line 1) names column 'uscc' "
                                  "(统一社会信用代码) twice, in fields 1 and 5");
    expect_previous_snapshot_intact();
}
END_TEST

START_TEST(empty_file_is_refused)
{
    first_import();
    ck_assert_int_eq(import_these(good_registration, "", good_contributions), RB_E_DATA);
    ck_assert_str_eq(err.message, "cannot import 'insured_units.csv': it has no header (the file is empty or blank)");
    expect_previous_snapshot_intact();
    ck_assert_int_eq(import_these(good_registration, "\r\n,,\n \n", good_contributions), RB_E_DATA);
    expect_previous_snapshot_intact();
}
END_TEST

/* docs/import.md: the files are read registration.csv, insured_units.csv,
 * contributions.csv, and the first refused one is the one reported. */
START_TEST(refused_files_are_reported_in_reading_order)
{
    first_import();
    const char *units = UNIT_HEADER CODE2 ",,鞍山\"乙有限公司,2016-01-01,正常,,,,,\n";
    const char *contributions = CONTRIB_HEADER CODE2 ",202101,5,1,\"1,1,1,0\n";
    ck_assert_int_eq(import_these(REG_HEADER CODE2 ",鞍山\"乙有限公司,存续,2015-03-01,,210302,,\n", units,
                                  contributions),
                     RB_E_DATA);
    ck_assert_str_eq(err.message, "cannot read 'registration.csv' line 2: a quote inside an unquoted field or text "
                                  "after a closing quote (RFC 4180: a field with quotes is quoted whole and its "
                                  "quotes doubled)");
    expect_previous_snapshot_intact();
    ck_assert_int_eq(import_these(good_registration, units, contributions), RB_E_DATA);
    ck_assert_str_eq(err.message, "cannot read 'insured_units.csv' line 2: a quote inside an unquoted field or text "
                                  "after a closing quote (RFC 4180: a field with quotes is quoted whole and its "
                                  "quotes doubled)");
    expect_previous_snapshot_intact();
}
END_TEST

START_TEST(third_file_refused_leaves_everything)
{
    first_import();
    /* Two good files would replace the snapshot, but the third is broken. */
    ck_assert_int_eq(import_these(REG_HEADER CODE2 ",鞍山乙有限公司,存续,2015-03-01,,210302,,\n",
                                  UNIT_HEADER CODE2 ",,鞍山乙有限公司,2016-01-01,正常,,,,,\n",
                                  CONTRIB_HEADER CODE2 ",202101,5,1,1,1,1,0\n" CODE2 ",202102,5,1,\"1,1,1,0\n"),
                     RB_E_DATA);
    ck_assert_str_eq(err.message, "cannot read 'contributions.csv' line 3: the quoted field of the record starting "
                                  "there is never closed");
    expect_previous_snapshot_intact();
    expect_text("SELECT uscc FROM registration", CODE1);
}
END_TEST

START_TEST(undecodable_file_names_the_line)
{
    first_import();
    ck_assert_int_eq(import_these(good_registration, good_units,
                                  CONTRIB_HEADER CONTRIB_ROW1 CODE2 ",202101,5,1,1,1,1,\xFF\n"),
                     RB_E_DATA);
    ck_assert_str_eq(err.message, "cannot decode 'contributions.csv': line 3 is not valid UTF-8 and line 3 is not "
                                  "valid GB18030 (encoding auto)");
    expect_previous_snapshot_intact();
}
END_TEST

START_TEST(write_failure_rolls_back)
{
    first_import();
    /* A write that fails part-way (as a full disk would): no file may grow
     * beyond 256 KiB, which the database stays within but the new snapshot,
     * with three names of 60,000 bytes, does not. Nothing of the new import
     * may remain. */
    size_t name_len = 60000;
    char *name = malloc(name_len + 1);
    ck_assert(name != NULL);
    memset(name, 'x', name_len);
    name[name_len] = '\0';
    rb_strbuf reg = RB_STRBUF_INIT;
    ck_assert(rb_strbuf_adds(&reg, REG_HEADER));
    const char *codes[] = {CODE1, CODE2, CODE3};
    for (int i = 0; i < 3; i++)
        ck_assert(rb_strbuf_addf(&reg, "%s,%s,存续,2015-03-01,,210302,,\n", codes[i], name));
    struct rlimit old, limit;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    limit = old;
    limit.rlim_cur = 256 * 1024;
    signal(SIGXFSZ, SIG_IGN); /* a write beyond the limit fails instead of killing the process */
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &limit), 0);
    rb_status st = import_these(reg.buf, good_units, good_contributions);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_DFL);
    rb_strbuf_release(&reg);
    free(name);
    ck_assert_int_eq(st, RB_E_CANTWRITE);
    ck_assert_msg(strncmp(err.message, "cannot write the database while ", 32) == 0, "%s", err.message);
    ck_assert(sqlite3_get_autocommit(db)); /* no transaction left open */
    expect_previous_snapshot_intact();
    expect_text("SELECT uscc FROM registration", CODE1);
    char unfinished[4300];
    struct stat sb;
    snprintf(unfinished, sizeof unfinished, "%s/rebate.db.snapshot.new", root);
    ck_assert_msg(lstat(unfinished, &sb) != 0, "the unfinished snapshot was left behind");
}
END_TEST

START_TEST(missing_file_is_no_input)
{
    first_import();
    char path[4300];
    snprintf(path, sizeof path, "%s/insured_units.csv", in_dir);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(import_these(NULL, NULL, NULL), RB_E_NOINPUT);
    char expected[4400];
    snprintf(expected, sizeof expected, "cannot read '%s': No such file or directory", path);
    ck_assert_str_eq(err.message, expected);
    expect_previous_snapshot_intact();
}
END_TEST

START_TEST(missing_folder_is_no_input)
{
    rb_error_clear(&err);
    ck_assert_int_eq(rb_import(db, "/nonexistent/rebate-in", RB_ENCODING_AUTO, &report, &err), RB_E_NOINPUT);
    ck_assert_str_eq(err.message, "cannot read folder '/nonexistent/rebate-in': No such file or directory");
    ck_assert_int_eq(count("SELECT count(*) FROM imports"), 0);
}
END_TEST

START_TEST(next_import_replaces_the_snapshot)
{
    first_import();
    import_ok(REG_HEADER CODE2 ",鞍山乙有限公司,存续,2015-03-01,,210302,,\n", good_units, good_contributions);
    ck_assert_int_eq(count("SELECT count(*) FROM imports"), 2);
    expect_text("SELECT group_concat(uscc) FROM registration", CODE2);
    ck_assert_int_eq(count("SELECT count(*) FROM contributions"), 1);
    ck_assert_int_eq(count("SELECT count(*) FROM row_errors"), 0);
    ck_assert_int_eq(count("SELECT count(*) FROM duplicate_rows"), 0);
    ck_assert_int_eq(count("SELECT count(*) FROM import_files"), 6);
}
END_TEST

/* ------------------------------------------------------------ row rules */

static void contributions_row(const char *row)
{
    char text[2048];
    snprintf(text, sizeof text, CONTRIB_HEADER CONTRIB_ROW1 "%s", row);
    import_ok(good_registration, good_units, text);
    expect_accounting(RB_IMPORT_CONTRIBUTIONS, 2, 1, 1, 0, 0);
}

static void registration_row(const char *row)
{
    char text[2048];
    snprintf(text, sizeof text, REG_HEADER REG_ROW1 "%s", row);
    import_ok(text, good_units, good_contributions);
    expect_accounting(RB_IMPORT_REGISTRATION, 2, 1, 1, 0, 0);
}

static void units_row(const char *row)
{
    char text[2048];
    snprintf(text, sizeof text, UNIT_HEADER UNIT_ROW1 "%s", row);
    import_ok(good_registration, text, good_contributions);
    expect_accounting(RB_IMPORT_INSURED_UNITS, 2, 1, 1, 0, 0);
}

START_TEST(rule_field_count)
{
    contributions_row(CODE2 ",202101,5,100,100,100,100\n");
    expect_only_row_error("contributions.csv", 3, NULL, NULL, "FIELD_COUNT");
    expect_text("SELECT uscc_field || ' ' || uscc FROM row_errors", CODE2 " " CODE2);
    expect_text("SELECT message FROM row_errors", "第3行有7个字段，与表头的8列不符，整行未导入");
}
END_TEST

START_TEST(rule_field_count_more_fields)
{
    registration_row(CODE2 ",鞍山乙有限公司,存续,2015-03-01,,210302,F5191,0,extra\n");
    expect_only_row_error("registration.csv", 3, NULL, NULL, "FIELD_COUNT");
}
END_TEST

START_TEST(rule_required_missing)
{
    registration_row(CODE2 ", 　,存续,2015-03-01,,210302,,\n");
    expect_only_row_error("registration.csv", 3, "name", "", "REQUIRED_MISSING");
    expect_text("SELECT message FROM row_errors", "第3行“企业名称”为空（必填项）");
}
END_TEST

START_TEST(rule_required_missing_uscc)
{
    units_row(",,鞍山乙有限公司,2016-01-01,正常,,,,,\n");
    expect_only_row_error("insured_units.csv", 3, "uscc", "", "REQUIRED_MISSING");
    expect_text("SELECT ifnull(uscc_field, 'NULL') || ifnull(uscc, 'NULL') || ifnull(uscc_prefix, 'NULL') FROM "
                "row_errors",
                "NULLNULLNULL");
}
END_TEST

START_TEST(rule_uscc_invalid_check_character)
{
    /* CODE1 with its check character mistyped, in lower case */
    contributions_row("91210302ma0a00001j,202102,5,100,100,100,100,0\n");
    expect_only_row_error("contributions.csv", 3, "uscc", "91210302ma0a00001j", "USCC_INVALID");
    expect_text("SELECT uscc_field || '|' || ifnull(uscc, 'NULL') || '|' || uscc_prefix FROM row_errors",
                "91210302ma0a00001j|NULL|91210302MA0A00001");
    expect_text("SELECT message FROM row_errors",
                "第3行“统一社会信用代码”“91210302ma0a00001j”无效（应为18位统一社会信用代码，校验位正确）");
}
END_TEST

START_TEST(rule_uscc_invalid_length)
{
    contributions_row("91210302MA0A00001,202102,5,100,100,100,100,0\n");
    expect_only_row_error("contributions.csv", 3, "uscc", "91210302MA0A00001", "USCC_INVALID");
    expect_text("SELECT ifnull(uscc_prefix, 'NULL') FROM row_errors", "NULL");
}
END_TEST

START_TEST(rule_uscc_full_width_check_character)
{
    /* 18 characters, the last one full-width: still a mistyped check character. */
    contributions_row("91210302MA0A00001Ｈ,202102,5,100,100,100,100,0\n");
    expect_only_row_error("contributions.csv", 3, "uscc", "91210302MA0A00001Ｈ", "USCC_INVALID");
    expect_text("SELECT uscc_prefix FROM row_errors", "91210302MA0A00001");
}
END_TEST

START_TEST(rule_date_invalid)
{
    registration_row(CODE2 ",鞍山乙有限公司,存续,2015-02-29,,210302,,\n");
    expect_only_row_error("registration.csv", 3, "established_on", "2015-02-29", "DATE_INVALID");
    expect_text("SELECT message FROM row_errors",
                "第3行“成立日期”日期“2015-02-29”无效（应为YYYY-MM-DD或YYYYMMDD格式的真实日期）");
}
END_TEST

START_TEST(rule_date_invalid_optional)
{
    registration_row(CODE2 ",鞍山乙有限公司,注销,2015-02-28,2020/01/01,210302,,\n");
    expect_only_row_error("registration.csv", 3, "deregistered_on", "2020/01/01", "DATE_INVALID");
}
END_TEST

START_TEST(rule_period_invalid)
{
    contributions_row(CODE1 ",202113,5,100,100,100,100,0\n");
    expect_only_row_error("contributions.csv", 3, "period", "202113", "PERIOD_INVALID");
    expect_text("SELECT uscc FROM row_errors", CODE1);
}
END_TEST

START_TEST(rule_money_invalid)
{
    contributions_row(CODE1 ",202102,5,100,1e3,100,100,0\n");
    expect_only_row_error("contributions.csv", 3, "employer_paid", "1e3", "MONEY_INVALID");
    expect_text("SELECT message FROM row_errors",
                "第3行“单位实缴”金额“1e3”格式不正确（应为不带符号的元金额，至多两位小数）");
}
END_TEST

START_TEST(rule_money_invalid_thousands_separator)
{
    contributions_row(CODE1 ",202102,5,\"1,234.00\",100,100,100,0\n");
    expect_only_row_error("contributions.csv", 3, "employer_due", "1,234.00", "MONEY_INVALID");
}
END_TEST

START_TEST(rule_money_invalid_sign)
{
    contributions_row(CODE1 ",202102,5,100,100,-1,100,0\n");
    expect_only_row_error("contributions.csv", 3, "employee_due", "-1", "MONEY_INVALID");
}
END_TEST

START_TEST(rule_money_range)
{
    contributions_row(CODE1 ",202102,5,100,100,100,92233720368547758.08,0\n");
    expect_only_row_error("contributions.csv", 3, "employee_paid", "92233720368547758.08", "MONEY_RANGE");
    expect_text("SELECT message FROM row_errors",
                "第3行“个人实缴”金额“92233720368547758.08”超出可处理的范围（至多92233720368547758.07元）");
}
END_TEST

START_TEST(rule_count_invalid)
{
    contributions_row(CODE1 ",202102,1000001,100,100,100,100,0\n");
    expect_only_row_error("contributions.csv", 3, "insured_count", "1000001", "COUNT_INVALID");
}
END_TEST

START_TEST(rule_count_invalid_full_width)
{
    contributions_row(CODE1 ",202102,5,100,100,100,100,２\n");
    expect_only_row_error("contributions.csv", 3, "new_claimants", "２", "COUNT_INVALID");
}
END_TEST

START_TEST(rule_status_unknown_registration)
{
    registration_row(CODE2 ",鞍山乙有限公司,营业中,2015-02-28,,210302,,\n");
    expect_only_row_error("registration.csv", 3, "status", "营业中", "STATUS_UNKNOWN");
}
END_TEST

START_TEST(rule_status_unknown_unit)
{
    /* ui_status is matched whole, not by its first word */
    units_row(CODE2 ",,鞍山乙有限公司,2016-01-01,正常缴费,,,,,\n");
    expect_only_row_error("insured_units.csv", 3, "ui_status", "正常缴费", "STATUS_UNKNOWN");
}
END_TEST

START_TEST(rule_region_code_invalid)
{
    registration_row(CODE2 ",鞍山乙有限公司,存续,2015-02-28,,21030A,,\n");
    expect_only_row_error("registration.csv", 3, "region_code", "21030A", "REGION_CODE_INVALID");
}
END_TEST

START_TEST(rule_bank_code_invalid)
{
    units_row(CODE2 ",,鞍山乙有限公司,2016-01-01,正常,,,,,10222300001\n");
    expect_only_row_error("insured_units.csv", 3, "bank_code", "10222300001", "BANK_CODE_INVALID");
}
END_TEST

START_TEST(rule_account_source_unknown)
{
    units_row(CODE2 ",,鞍山乙有限公司,2016-01-01,正常,,,6222,个人,\n");
    expect_only_row_error("insured_units.csv", 3, "account_source", "个人", "ACCOUNT_SOURCE_UNKNOWN");
}
END_TEST

START_TEST(rule_dishonesty_value_unknown)
{
    registration_row(CODE2 ",鞍山乙有限公司,存续,2015-02-28,,210302,,true\n");
    expect_only_row_error("registration.csv", 3, "serious_dishonesty", "true", "DISHONESTY_VALUE_UNKNOWN");
}
END_TEST

START_TEST(long_value_is_cut_in_the_message_only)
{
    /* x and 50 × 甲 (151 bytes) as a date: 120 bytes would end inside the 40th
     * 甲, so the message quotes x and 39 × 甲, then "…" */
    char row[1024], fifty[256] = "x", forty[256] = "x";
    for (int i = 0; i < 50; i++) {
        strcat(fifty, "甲");
        if (i < 39)
            strcat(forty, "甲");
    }
    snprintf(row, sizeof row, CODE2 ",鞍山乙有限公司,存续,%s,,210302,,\n", fifty);
    registration_row(row);
    expect_only_row_error("registration.csv", 3, "established_on", fifty, "DATE_INVALID");
    char expected[1024];
    snprintf(expected, sizeof expected, "第3行“成立日期”日期“%s…”无效（应为YYYY-MM-DD或YYYYMMDD格式的真实日期）", forty);
    expect_text("SELECT message FROM row_errors", expected);
}
END_TEST

START_TEST(first_broken_rule_in_column_order)
{
    /* period (2nd column) and employer_paid (5th) are both bad */
    contributions_row(CODE1 ",2021,5,100,x,100,100,0\n");
    expect_only_row_error("contributions.csv", 3, "period", "2021", "PERIOD_INVALID");
}
END_TEST

START_TEST(record_spanning_lines_reports_its_first_line)
{
    import_ok(REG_HEADER CODE2 ",\"鞍山乙\n有限公司\",存续,2015-03-01,,210302,,\n" REG_ROW1, good_units,
              CONTRIB_HEADER CONTRIB_ROW1 CODE1 ",202103,5,\"1\n0\n0\",100,100,100,0\n" CODE1
              ",202104,5,100,100,100,100,0\n");
    expect_text("SELECT group_concat(uscc || ':' || line, ' ') FROM (SELECT * FROM registration ORDER BY line)",
                CODE2 ":2 " CODE1 ":4");
    expect_text("SELECT name FROM registration WHERE uscc = '" CODE2 "'", "鞍山乙\n有限公司");
    expect_accounting(RB_IMPORT_CONTRIBUTIONS, 3, 2, 1, 0, 0);
    expect_text("SELECT group_concat(period || ':' || line) FROM (SELECT * FROM contributions ORDER BY period)",
                "202101:2,202104:6");
    expect_only_row_error("contributions.csv", 3, "employer_due", "1\n0\n0", "MONEY_INVALID");
}
END_TEST

/* ------------------------------------------------------------ values */

START_TEST(values_are_trimmed_and_normalised)
{
    import_ok(REG_HEADER "\t91210302ma0a00001h　, 鞍山甲有限公司　,存续（在营、开业、在册）,20150301 ,,210302,,y\n" CODE2
                         ",鞍山乙有限公司,吊销，未注销,2010-01-01,2020-12-31,210303,,否\n" CODE3
                         ",鞍山丙有限公司,迁出,2010-01-01,,210304,,\n",
              UNIT_HEADER CODE1 ",,甲,2016-01-01,参保缴费,,,\"6222 0000-1111　2222\",,\n" CODE2
                          ",,乙,2016-01-01,注销,,, - -　,,\n",
              CONTRIB_HEADER CODE1 ",2021-01,007,125,0.5,12.3,0,\n");
    expect_text("SELECT group_concat(uscc || ':' || name || ':' || status_class || ':' || established_on || ':' || "
                "ifnull(deregistered_on, '') || ':' || serious_dishonesty, ' ') FROM "
                "(SELECT * FROM registration ORDER BY uscc)",
                CODE1 ":鞍山甲有限公司:active:2015-03-01::1 " CODE2 ":鞍山乙有限公司:inactive:2010-01-01:2020-12-31:0 " CODE3
                      ":鞍山丙有限公司:suspended:2010-01-01::0");
    expect_text("SELECT status FROM registration WHERE uscc = '" CODE1 "'", "存续（在营、开业、在册）");
    expect_text("SELECT group_concat(uscc || ':' || ui_status_class || ':' || ifnull(bank_account, 'NULL') || ':' || "
                "account_source, ' ') FROM (SELECT * FROM insured_units ORDER BY uscc)",
                CODE1 ":active:6222000011112222:对公 " CODE2 ":terminated:NULL:对公");
    expect_text("SELECT period || ',' || insured_count || ',' || employer_due || ',' || employer_paid || ',' || "
                "employee_due || ',' || employee_paid || ',' || new_claimants FROM contributions",
                "202101,7,12500,50,1230,0,0");
}
END_TEST

START_TEST(registration_status_words)
{
    static const char *const statuses[][2] = {
        {"存续", "active"},   {"在业", "active"},     {"开业", "active"},    {"在营", "active"},
        {"在册", "active"},   {"正常", "active"},     {"注销", "inactive"},  {"吊销", "inactive"},
        {"撤销", "inactive"}, {"迁出", "suspended"},  {"停业", "suspended"}, {"歇业", "suspended"},
        {"清算", "suspended"}, {"吊销，未注销", "inactive"},
    };
    rb_strbuf text = RB_STRBUF_INIT, expected = RB_STRBUF_INIT;
    ck_assert(rb_strbuf_adds(&text, "uscc,name,status,established_on,region_code\n"));
    /* one firm per status: codes 91210302MA0B000NN with computed check characters */
    static const char *const codes[] = {
        "91210302MA0B000014", "91210302MA0B000027", "91210302MA0B00003A", "91210302MA0B00004D",
        "91210302MA0B00005G", "91210302MA0B00006K", "91210302MA0B00007N", "91210302MA0B00008R",
        "91210302MA0B00009W", "91210302MA0B000102", "91210302MA0B000115", "91210302MA0B000128",
        "91210302MA0B00013B", "91210302MA0B00014E",
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        ck_assert(rb_strbuf_addf(&text, "%s,某公司,%s,2015-01-01,210302\n", codes[i], statuses[i][0]));
        ck_assert(rb_strbuf_addf(&expected, "%s%s:%s", i ? " " : "", statuses[i][0], statuses[i][1]));
    }
    import_ok(text.buf, good_units, good_contributions);
    expect_accounting(RB_IMPORT_REGISTRATION, 14, 14, 0, 0, 0);
    expect_text("SELECT group_concat(status || ':' || status_class, ' ') FROM (SELECT * FROM registration ORDER BY line)",
                expected.buf);
    rb_strbuf_release(&text);
    rb_strbuf_release(&expected);
}
END_TEST

START_TEST(dishonesty_values)
{
    import_ok("uscc,name,status,established_on,region_code,serious_dishonesty\n" CODE1
              ",甲,存续,2015-01-01,210302,1\n" CODE2 ",乙,存续,2015-01-01,210302,N\n" CODE3
              ",丙,存续,2015-01-01,210302,是\n",
              good_units, good_contributions);
    expect_text("SELECT group_concat(serious_dishonesty) FROM (SELECT * FROM registration ORDER BY line)", "1,0,1");
}
END_TEST

START_TEST(blank_records_are_not_counted)
{
    import_ok(good_registration, good_units,
              CONTRIB_HEADER ",,,,,,,\n" CONTRIB_ROW1 "\n　, ,\t,\"\",,,,\n\r\n,,\n" CODE1
              ",202102,5,100,100,100,100,0\n");
    expect_accounting(RB_IMPORT_CONTRIBUTIONS, 2, 2, 0, 0, 0);
    expect_text("SELECT group_concat(line) FROM (SELECT line FROM contributions ORDER BY line)", "3,8");
}
END_TEST

/* ------------------------------------------------------------ duplicates */

START_TEST(exact_duplicate_is_skipped_and_recorded)
{
    /* equal after parsing: 125 = 125.00, 2021-01 = 202101, new_claimants empty = 0 */
    import_ok(good_registration, good_units,
              CONTRIB_HEADER CODE1 ",202101,5,125,100,100,100,0\n" CODE2 ",202101,5,1,1,1,1,0\n" CODE1
              ",2021-01,05,125.00,100.0,100,100,\n");
    expect_accounting(RB_IMPORT_CONTRIBUTIONS, 3, 2, 0, 1, 0);
    expect_text("SELECT file || ':' || line || ':' || first_line FROM duplicate_rows", "contributions.csv:4:2");
    expect_text("SELECT line FROM contributions WHERE uscc = '" CODE1 "'", "2");
    ck_assert_int_eq(count("SELECT count(*) FROM row_errors"), 0);
}
END_TEST

START_TEST(rejected_row_is_no_duplicate)
{
    import_ok(good_registration, good_units, CONTRIB_HEADER CONTRIB_ROW1 CODE1 ",202101,5,x,100,100,100,0\n");
    expect_accounting(RB_IMPORT_CONTRIBUTIONS, 2, 1, 1, 0, 0);
    expect_only_row_error("contributions.csv", 3, "employer_due", "x", "MONEY_INVALID");
}
END_TEST

START_TEST(conflict_takes_out_every_row_of_the_key)
{
    /* lines 2 and 4 equal, line 5 differs: all three conflict, CODE2 stays */
    import_ok(good_registration, good_units,
              CONTRIB_HEADER CODE1 ",202101,5,100,100,100,100,0\n" CODE2 ",202101,5,1,1,1,1,0\n" CODE1
              ",202101,5,100,100,100,100,0\n" "91210302ma0a00001h,202101,6,100,100,100,100,0\n");
    expect_accounting(RB_IMPORT_CONTRIBUTIONS, 4, 1, 0, 0, 3);
    expect_text("SELECT group_concat(uscc) FROM contributions", CODE2);
    ck_assert_int_eq(count("SELECT count(*) FROM duplicate_rows"), 0);
    expect_text("SELECT group_concat(line || ':' || rule || ':' || uscc || ':' || column_name || ':' || value || ':' "
                "|| uscc_field, ' ') FROM (SELECT * FROM row_errors ORDER BY line)",
                "2:DATA_CONFLICT:" CODE1 ":insured_count:5:" CODE1 " 4:DATA_CONFLICT:" CODE1
                ":insured_count:5:" CODE1 " 5:DATA_CONFLICT:" CODE1 ":insured_count:6:91210302ma0a00001h");
    expect_text("SELECT message FROM row_errors WHERE line = 5",
                "第5行与第2行的统一社会信用代码" CODE1 "、缴费年月202101相同，但“参保人数”不同（“6”与“5”），"
                "数据冲突，同键各行均未导入");
}
END_TEST

START_TEST(conflict_then_a_row_equal_to_the_first)
{
    /* A, B, A: the third equals the first but the key already conflicts */
    import_ok(good_registration, good_units,
              CONTRIB_HEADER CODE1 ",202101,5,100,100,100,100,0\n" CODE1 ",202101,5,100,90,100,100,0\n" CODE1
              ",202101,5,100,100,100,100,0\n" CODE1 ",202102,5,100,100,100,100,0\n");
    expect_accounting(RB_IMPORT_CONTRIBUTIONS, 4, 1, 0, 0, 3);
    expect_text("SELECT group_concat(period) FROM contributions", "202102");
    expect_text("SELECT group_concat(line || ':' || ifnull(column_name, 'NULL') || ':' || ifnull(value, 'NULL'), ' ') "
                "FROM (SELECT * FROM row_errors ORDER BY line)",
                "2:employer_paid:100.00 3:employer_paid:90 4:NULL:NULL");
    ck_assert_int_eq(count("SELECT count(*) FROM row_errors WHERE rule = 'DATA_CONFLICT' AND uscc = '" CODE1 "'"), 3);
}
END_TEST

START_TEST(conflict_in_registration)
{
    import_ok(REG_HEADER REG_ROW1 CODE2 ",鞍山乙有限公司,存续,2015-03-01,,210302,,\n" CODE1
              ",鞍山甲有限责任公司,存续,2015-03-01,,210302,F5191,0\n",
              good_units, good_contributions);
    expect_accounting(RB_IMPORT_REGISTRATION, 3, 1, 0, 0, 2);
    expect_text("SELECT group_concat(uscc) FROM registration", CODE2);
    expect_text("SELECT group_concat(line || ':' || column_name || ':' || value, ' ') FROM "
                "(SELECT * FROM row_errors ORDER BY line)",
                "2:name:鞍山甲有限公司 4:name:鞍山甲有限责任公司");
}
END_TEST

START_TEST(accounting_adds_up)
{
    import_ok(good_registration, good_units,
              CONTRIB_HEADER CONTRIB_ROW1 CONTRIB_ROW1 CODE1 ",202102,5,100,100,100,100,0\n" CODE1
              ",202103,5,100,100,100,100,0\n" CODE1 ",202103,4,100,100,100,100,0\n" CODE1
              ",202104,5,1e2,100,100,100,0\n" CODE1 ",202105,5,100,100,100,100\n" ",,,,,,,\n");
    expect_accounting(RB_IMPORT_CONTRIBUTIONS, 7, 2, 2, 1, 2);
    ck_assert_int_eq(count("SELECT count(*) FROM contributions"), 2);
    ck_assert_int_eq(count("SELECT count(*) FROM duplicate_rows"), 1);
    ck_assert_int_eq(count("SELECT count(*) FROM row_errors WHERE rule = 'DATA_CONFLICT'"), 2);
    ck_assert_int_eq(count("SELECT count(*) FROM row_errors WHERE rule <> 'DATA_CONFLICT'"), 2);
}
END_TEST

/* ------------------------------------------------------------ encodings */

/* The same text in GB18030, converted with iconv. */
static char *to_gb18030(const char *utf8, size_t *out_len)
{
    iconv_t cd = iconv_open("GB18030", "UTF-8");
    ck_assert(cd != (iconv_t)-1);
    size_t in_left = strlen(utf8), cap = in_left * 2 + 16, out_left = cap;
    char *out = malloc(cap);
    ck_assert(out != NULL);
    char *in = (char *)utf8, *o = out;
    ck_assert(iconv(cd, &in, &in_left, &o, &out_left) != (size_t)-1);
    iconv_close(cd);
    *out_len = cap - out_left;
    return out;
}

/* Every row of every snapshot table, as text. */
static void dump_snapshot(sqlite3 *from, rb_strbuf *out)
{
    static const char *const queries[] = {
        "SELECT * FROM registration ORDER BY uscc",
        "SELECT * FROM insured_units ORDER BY uscc",
        "SELECT * FROM contributions ORDER BY uscc, period",
        "SELECT file, line, column_name, value, rule, message, uscc_field, uscc, uscc_prefix FROM row_errors "
        "ORDER BY file, line",
        "SELECT * FROM duplicate_rows ORDER BY file, line",
        "SELECT file, rows_read, rows_loaded, rows_rejected, rows_duplicate, rows_conflicting FROM import_files "
        "WHERE import_id = (SELECT max(import_id) FROM imports) ORDER BY file",
    };
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        sqlite3_stmt *st = NULL;
        ck_assert(sqlite3_prepare_v2(from, queries[q], -1, &st, NULL) == SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(st); c++) {
                const unsigned char *t = sqlite3_column_text(st, c);
                ck_assert(rb_strbuf_addf(out, "%s|", t ? (const char *)t : "NULL"));
            }
            ck_assert(rb_strbuf_addch(out, '\n'));
        }
        sqlite3_finalize(st);
        ck_assert(rb_strbuf_adds(out, "--\n"));
    }
}

START_TEST(gb18030_and_utf8_bom_twins_give_the_same_snapshot)
{
    const char *reg = "统一社会信用代码,企业名称,登记状态,成立日期,行政区划代码,严重失信\n" CODE1
                      ",鞍山甲（集团）有限公司,存续（在营、开业、在册）,2015-03-01,210302,否\n" CODE2
                      ",\"鞍山乙\n有限公司\",吊销，未注销,2015-03-01,210302,是\n" CODE3 ",鞍山丙,营业中,2015-03-01,210302,\n";
    const char *units = "统一社会信用代码,单位名称,参保日期,参保状态,账户名称,银行账号,账户来源\n" CODE1
                        ",鞍山甲（集团）有限公司,2016-01-01,正常,鞍山甲,6222　0000,税务\n" CODE2
                        ",鞍山乙,2016-01-01,暂停缴费,乙,,公司\n";
    const char *contrib = "统一社会信用代码,缴费年月,参保人数,单位应缴,单位实缴,个人应缴,个人实缴\n" CODE1
                          ",202101,5,100,100,100,100\n" CODE1 ",202101,5,100,100,100,100\n" CODE2
                          ",202101,5,100,100,100,100\n" CODE2 ",202101,5,100,１００,100,100\n" CODE3
                          ",202101,5,100,100,100,100\n" CODE3 ",202101,6,100,100,100,100\n";
    /* UTF-8 with a BOM, as Excel writes it */
    rb_strbuf bom = RB_STRBUF_INIT;
    ck_assert(rb_strbuf_adds(&bom, "\xEF\xBB\xBF") && rb_strbuf_adds(&bom, reg));
    rb_strbuf bom_units = RB_STRBUF_INIT, bom_contrib = RB_STRBUF_INIT;
    ck_assert(rb_strbuf_adds(&bom_units, "\xEF\xBB\xBF") && rb_strbuf_adds(&bom_units, units));
    ck_assert(rb_strbuf_adds(&bom_contrib, "\xEF\xBB\xBF") && rb_strbuf_adds(&bom_contrib, contrib));
    import_ok(bom.buf, bom_units.buf, bom_contrib.buf);
    expect_text("SELECT group_concat(encoding) FROM import_files", "utf-8-bom,utf-8-bom,utf-8-bom");
    rb_strbuf utf8_dump = RB_STRBUF_INIT;
    dump_snapshot(db, &utf8_dump);

    size_t n;
    char *gb = to_gb18030(reg, &n);
    ts_write_file(in_dir, "registration.csv", gb, n);
    free(gb);
    gb = to_gb18030(units, &n);
    ts_write_file(in_dir, "insured_units.csv", gb, n);
    free(gb);
    gb = to_gb18030(contrib, &n);
    ts_write_file(in_dir, "contributions.csv", gb, n);
    free(gb);
    rb_error_clear(&err);
    ck_assert_msg(rb_import(db, in_dir, RB_ENCODING_AUTO, &report, &err) == RB_OK, "%s", err.message);
    ck_assert_str_eq(report.files[0].encoding, "gb18030");
    expect_text("SELECT group_concat(encoding) FROM import_files WHERE import_id = 2", "gb18030,gb18030,gb18030");
    rb_strbuf gb_dump = RB_STRBUF_INIT;
    dump_snapshot(db, &gb_dump);
    /* The twins differ only in the recorded encoding and SHA-256, not dumped. */
    ck_assert_str_eq(gb_dump.buf, utf8_dump.buf);
    /* and what was loaded is what the text says */
    expect_text("SELECT name FROM registration WHERE uscc = '" CODE1 "'", "鞍山甲（集团）有限公司");
    expect_text("SELECT name FROM registration WHERE uscc = '" CODE2 "'", "鞍山乙\n有限公司");
    ck_assert_int_eq(count("SELECT count(*) FROM row_errors"), 5);
    rb_strbuf_release(&bom);
    rb_strbuf_release(&bom_units);
    rb_strbuf_release(&bom_contrib);
    rb_strbuf_release(&utf8_dump);
    rb_strbuf_release(&gb_dump);
}
END_TEST

START_TEST(explicit_encoding_overrides_auto)
{
    /* An explicit encoding holds for all three files. */
    size_t n;
    char *gb = to_gb18030(good_registration, &n);
    ts_write_file(in_dir, "registration.csv", gb, n);
    free(gb);
    gb = to_gb18030(good_units, &n);
    ts_write_file(in_dir, "insured_units.csv", gb, n);
    free(gb);
    write_extracts(NULL, NULL, good_contributions); /* ASCII: the same bytes in both */
    rb_error_clear(&err);
    ck_assert_int_eq(rb_import(db, in_dir, RB_ENCODING_UTF8, &report, &err), RB_E_DATA);
    ck_assert_str_eq(err.message, "cannot decode 'registration.csv' line 2: it is not valid UTF-8 (encoding utf-8)");
    ck_assert_int_eq(count("SELECT count(*) FROM imports"), 0);
    rb_error_clear(&err);
    ck_assert_msg(rb_import(db, in_dir, RB_ENCODING_GB18030, &report, &err) == RB_OK, "%s", err.message);
    expect_text("SELECT encoding FROM imports", "gb18030");
    expect_text("SELECT name FROM registration", "鞍山甲有限公司");
}
END_TEST

START_TEST(sha256_of_each_file_is_recorded)
{
    import_ok("uscc,name,status,established_on,region_code\n", good_units, good_contributions);
    /* sha256sum of the 44 bytes of that header line */
    expect_text("SELECT sha256 FROM import_files WHERE file = 'registration.csv'",
                "4b1aa4964e8769bb5494ffeb1860999464e4c9e1b5e17e3b352a2a83057d414c");
}
END_TEST

START_TEST(encoding_names)
{
    rb_encoding e = RB_ENCODING_UTF8;
    ck_assert(rb_encoding_parse("auto", &e) && e == RB_ENCODING_AUTO);
    ck_assert(rb_encoding_parse("UTF-8", &e) && e == RB_ENCODING_UTF8);
    ck_assert(rb_encoding_parse("gb18030", &e) && e == RB_ENCODING_GB18030);
    ck_assert(!rb_encoding_parse("latin1", &e));
    ck_assert_str_eq(rb_encoding_name(RB_ENCODING_GB18030), "gb18030");
    ck_assert_str_eq(rb_import_file_name(RB_IMPORT_CONTRIBUTIONS), "contributions.csv");
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("import/import");
    TCase *tc = tcase_create("import");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, good_extracts_load);
    tcase_add_test(tc, chinese_headers);
    tcase_add_test(tc, columns_in_another_order_and_unknown_columns);
    tcase_add_test(tc, header_names_are_trimmed_and_lose_a_bom);
    tcase_add_test(tc, blank_lines_before_the_header);
    tcase_add_test(tc, missing_column_refuses_the_file);
    tcase_add_test(tc, column_named_twice_refuses_the_file);
    tcase_add_test(tc, empty_file_is_refused);
    tcase_add_test(tc, refused_files_are_reported_in_reading_order);
    tcase_add_test(tc, third_file_refused_leaves_everything);
    tcase_add_test(tc, undecodable_file_names_the_line);
    tcase_add_test(tc, write_failure_rolls_back);
    tcase_add_test(tc, missing_file_is_no_input);
    tcase_add_test(tc, missing_folder_is_no_input);
    tcase_add_test(tc, next_import_replaces_the_snapshot);
    tcase_add_test(tc, rule_field_count);
    tcase_add_test(tc, rule_field_count_more_fields);
    tcase_add_test(tc, rule_required_missing);
    tcase_add_test(tc, rule_required_missing_uscc);
    tcase_add_test(tc, rule_uscc_invalid_check_character);
    tcase_add_test(tc, rule_uscc_invalid_length);
    tcase_add_test(tc, rule_uscc_full_width_check_character);
    tcase_add_test(tc, rule_date_invalid);
    tcase_add_test(tc, rule_date_invalid_optional);
    tcase_add_test(tc, rule_period_invalid);
    tcase_add_test(tc, rule_money_invalid);
    tcase_add_test(tc, rule_money_invalid_thousands_separator);
    tcase_add_test(tc, rule_money_invalid_sign);
    tcase_add_test(tc, rule_money_range);
    tcase_add_test(tc, rule_count_invalid);
    tcase_add_test(tc, rule_count_invalid_full_width);
    tcase_add_test(tc, rule_status_unknown_registration);
    tcase_add_test(tc, rule_status_unknown_unit);
    tcase_add_test(tc, rule_region_code_invalid);
    tcase_add_test(tc, rule_bank_code_invalid);
    tcase_add_test(tc, rule_account_source_unknown);
    tcase_add_test(tc, rule_dishonesty_value_unknown);
    tcase_add_test(tc, long_value_is_cut_in_the_message_only);
    tcase_add_test(tc, first_broken_rule_in_column_order);
    tcase_add_test(tc, record_spanning_lines_reports_its_first_line);
    tcase_add_test(tc, values_are_trimmed_and_normalised);
    tcase_add_test(tc, registration_status_words);
    tcase_add_test(tc, dishonesty_values);
    tcase_add_test(tc, blank_records_are_not_counted);
    tcase_add_test(tc, exact_duplicate_is_skipped_and_recorded);
    tcase_add_test(tc, rejected_row_is_no_duplicate);
    tcase_add_test(tc, conflict_takes_out_every_row_of_the_key);
    tcase_add_test(tc, conflict_then_a_row_equal_to_the_first);
    tcase_add_test(tc, conflict_in_registration);
    tcase_add_test(tc, accounting_adds_up);
    tcase_add_test(tc, gb18030_and_utf8_bom_twins_give_the_same_snapshot);
    tcase_add_test(tc, explicit_encoding_overrides_auto);
    tcase_add_test(tc, sha256_of_each_file_is_recorded);
    tcase_add_test(tc, encoding_names);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(make_suite)
