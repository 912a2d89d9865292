/* Tests of the nightly config file: docs/operations.md's example (inline comments
 * included), every setting's values, and one test per kind of mistake,
 * each checked for status 78 and the exact sentence naming file, line and
 * key. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rebate/config.h"
#include "test_support.h"

/* Loads fixture config/<name> for the year 2021 and expects RB_E_CONFIG
 * with the sentence "config '<path>'<rest>". */
static void check_error(const char *name, const char *rest)
{
    char path[4200];
    snprintf(path, sizeof path, "%s", ts_fixture(name));
    rb_config config;
    rb_error err = {0};
    ck_assert_int_eq(rb_config_load_for_year(path, 2021, &config, &err), RB_E_CONFIG);
    ck_assert_int_eq(err.status, RB_E_CONFIG);
    char expected[4800];
    snprintf(expected, sizeof expected, "config '%s'%s", path, rest);
    ck_assert_str_eq(err.message, expected);
    /* Nothing is left to free after a failure. */
    ck_assert_ptr_null(config.database);
    ck_assert_ptr_null(config.inbox);
    ck_assert_ptr_null(config.outbox);
    ck_assert_ptr_null(config.archive);
}

static char base[4096];

static void setup(void)
{
    snprintf(base, sizeof base, "%s", ts_tmpdir());
}

static void teardown(void)
{
    ts_rmtree(base);
}

/* Writes data to rebate.ini in the test's folder and loads it for 2021. */
static rb_status load_text(const char *data, rb_config *config, rb_error *err, char *path, size_t path_size)
{
    ts_write_file(base, "rebate.ini", data, (size_t)-1);
    snprintf(path, path_size, "%s/rebate.ini", base);
    return rb_config_load_for_year(path, 2021, config, err);
}

START_TEST(test_config_example_of_cli_md)
{
    rb_config config;
    rb_error err = {0};
    ck_assert_int_eq(rb_config_load_for_year(ts_fixture("config/example.ini"), 2024, &config, &err), RB_OK);
    ck_assert_str_eq(config.database, "/var/lib/rebate/rebate.db");
    ck_assert_str_eq(config.inbox, "/var/spool/rebate/inbox");
    ck_assert_str_eq(config.outbox, "/var/spool/rebate/outbox");
    ck_assert_str_eq(config.archive, "/var/spool/rebate/archive");
    /* `auto        ; or 2020 …`: the inline comment is gone. */
    ck_assert_int_eq(config.policy_year, 2024);
    ck_assert(config.policy_year_auto);
    ck_assert_str_eq(config.encoding, "auto");
    ck_assert_int_eq(config.notice_days, 5);
    ck_assert_str_eq(config.notice_contact, "鞍山市社会保险事业服务中心 0412-0000000");
    ck_assert_str_eq(config.fund_account_name, "鞍山市失业保险基金专户");
    ck_assert_str_eq(config.fund_account, "0000000000000000000");
    ck_assert_str_eq(config.fund_bank_name, "中国工商银行股份有限公司鞍山分行");
    ck_assert_str_eq(config.fund_bank_code, "102223000000");
    rb_config_free(&config);
    ck_assert_ptr_null(config.database);
    ck_assert_ptr_null(config.fund_account);
    rb_config_free(&config); /* twice is harmless */
}
END_TEST

/* rb_config_load resolves auto with the clock: the current local year. */
START_TEST(test_config_auto_is_current_year)
{
    time_t now = time(NULL);
    struct tm local;
    ck_assert(localtime_r(&now, &local) != NULL);
    rb_config config;
    rb_error err = {0};
    ck_assert_int_eq(rb_config_load(ts_fixture("config/example.ini"), &config, &err), RB_OK);
    ck_assert_int_eq(config.policy_year, local.tm_year + 1900);
    ck_assert(config.policy_year_auto);
    rb_config_free(&config);
}
END_TEST

/* Any order, comments of both kinds, blank lines, a fixed year, and a `;`
 * without white space before it that belongs to the value. */
START_TEST(test_config_fixed_year_and_values)
{
    rb_config config;
    rb_error err = {0};
    ck_assert_int_eq(rb_config_load_for_year(ts_fixture("config/year_2020.ini"), 2024, &config, &err), RB_OK);
    ck_assert_int_eq(config.policy_year, 2020);
    ck_assert(!config.policy_year_auto);
    ck_assert_str_eq(config.encoding, "gb18030");
    /* Relative paths are relative to the file's own folder. */
    char expected[4400];
    snprintf(expected, sizeof expected, "%s/archive;not-a-comment", ts_fixture("config"));
    ck_assert_str_eq(config.archive, expected);
    snprintf(expected, sizeof expected, "%s/out box", ts_fixture("config"));
    ck_assert_str_eq(config.outbox, expected);
    snprintf(expected, sizeof expected, "%s/inbox", ts_fixture("config"));
    ck_assert_str_eq(config.inbox, expected);
    snprintf(expected, sizeof expected, "%s/rebate.db", ts_fixture("config"));
    ck_assert_str_eq(config.database, expected);
    /* The optional keys left out: their defaults. */
    ck_assert_int_eq(config.notice_days, RB_CONFIG_DEFAULT_NOTICE_DAYS);
    ck_assert_ptr_null(config.notice_contact);
    ck_assert_ptr_null(config.fund_account_name);
    ck_assert_ptr_null(config.fund_account);
    ck_assert_ptr_null(config.fund_bank_name);
    ck_assert_ptr_null(config.fund_bank_code);
    rb_config_free(&config);
}
END_TEST

/* A file saved by a Windows editor: BOM and CRLF. */
START_TEST(test_config_bom_and_crlf)
{
    rb_config config;
    rb_error err = {0};
    char path[4200];
    ck_assert_int_eq(load_text("\xEF\xBB\xBF[rebate]\r\ndatabase = d.db\r\ninbox = in\r\noutbox = out\r\n"
                               "archive = arch\r\npolicy_year = 9999\r\nencoding = utf-8\r\n",
                               &config, &err, path, sizeof path),
                     RB_OK);
    char expected[4400];
    snprintf(expected, sizeof expected, "%s/d.db", base);
    ck_assert_str_eq(config.database, expected);
    snprintf(expected, sizeof expected, "%s/arch", base);
    ck_assert_str_eq(config.archive, expected);
    ck_assert_int_eq(config.policy_year, 9999);
    ck_assert_str_eq(config.encoding, "utf-8");
    rb_config_free(&config);
}
END_TEST

START_TEST(test_config_unknown_key)
{
    check_error("config/unknown_key.ini",
                " line 4, key 'outbx': unknown key (the keys are database, inbox, outbox, archive, policy_year, "
                "encoding, notice_days, notice_contact, holidays, fund_account_name, fund_account, fund_bank_name, "
                "fund_bank_code)");
}
END_TEST

START_TEST(test_config_missing_key)
{
    check_error("config/missing_key.ini", ": key 'archive' is missing from section [rebate]");
}
END_TEST

START_TEST(test_config_key_given_twice)
{
    check_error("config/duplicate_key.ini", " line 7, key 'inbox': given twice (first on line 3)");
}
END_TEST

START_TEST(test_config_bad_year)
{
    check_error("config/bad_year.ini", " line 6, key 'policy_year': '20x0' is not auto or a year from 2000 to 9999");
}
END_TEST

START_TEST(test_config_year_bounds)
{
    static const struct {
        const char *value;
        bool ok;
    } cases[] = {
        {"2000", true}, {"9999", true}, {"1999", false}, {"10000", false}, {"+2020", false},
        {"2020.0", false}, {"AUTO", false}, {"2 020", false}, {"０２０２", false}, {"-2020", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "[rebate]\ndatabase = d\ninbox = i\noutbox = o\narchive = a\npolicy_year = %s\nencoding = auto\n",
                 cases[i].value);
        rb_config config;
        rb_error err = {0};
        char path[4200];
        rb_status st = load_text(text, &config, &err, path, sizeof path);
        ck_assert_msg((st == RB_OK) == cases[i].ok, "policy_year = %s: %s", cases[i].value, err.message);
        if (!cases[i].ok) {
            ck_assert_int_eq(st, RB_E_CONFIG);
            ck_assert(strstr(err.message, "line 6, key 'policy_year'") != NULL);
        }
        rb_config_free(&config);
    }
}
END_TEST

/* A clock gone wrong: auto must still give a year in bounds. */
START_TEST(test_config_auto_out_of_bounds)
{
    rb_config config;
    rb_error err = {0};
    ck_assert_int_eq(rb_config_load_for_year(ts_fixture("config/example.ini"), 1970, &config, &err), RB_E_CONFIG);
    ck_assert_msg(strstr(err.message, " line 6, key 'policy_year': 'auto' gives the current year 1970, not from "
                                      "2000 to 9999") != NULL,
                  "%s", err.message);
}
END_TEST

START_TEST(test_config_bad_encoding)
{
    check_error("config/bad_encoding.ini", " line 7, key 'encoding': 'gbk' is not one of auto, utf-8 or gb18030");
}
END_TEST

START_TEST(test_config_encoding_exact)
{
    rb_config config;
    rb_error err = {0};
    char path[4200];
    ck_assert_int_eq(load_text("[rebate]\ndatabase = d\ninbox = i\noutbox = o\narchive = a\npolicy_year = auto\n"
                               "encoding = UTF-8\n",
                               &config, &err, path, sizeof path),
                     RB_E_CONFIG);
    ck_assert(strstr(err.message, "line 7, key 'encoding': 'UTF-8' is not one of") != NULL);
}
END_TEST

START_TEST(test_config_empty_value)
{
    check_error("config/empty_value.ini", " line 4, key 'outbox': the value is empty; give a path");
}
END_TEST

START_TEST(test_config_key_before_section)
{
    check_error("config/outside_section.ini",
                " line 1, key 'database': it comes before the [rebate] section; put it inside");
}
END_TEST

START_TEST(test_config_key_in_other_section)
{
    check_error("config/other_section.ini",
                " line 10, key 'to': it is in section [mail]; all settings belong in [rebate]");
}
END_TEST

/* inih would glue the indented line to database's value; we refuse it. */
START_TEST(test_config_indented_continuation)
{
    check_error("config/continuation.ini",
                " line 3, key 'database': an indented line continues the value of the line above; start every "
                "setting at the beginning of a line");
}
END_TEST

START_TEST(test_config_line_not_key_value)
{
    check_error("config/syntax.ini", " line 4: not a 'key = value' line, a [section] or a comment");
}
END_TEST

/* The first mistake is the one told, whichever kind it is. */
START_TEST(test_config_first_error_wins)
{
    rb_config config;
    rb_error err = {0};
    char path[4200];
    ck_assert_int_eq(load_text("[rebate]\ndatabase = d\nnonsense\nbogus = 1\n", &config, &err, path, sizeof path),
                     RB_E_CONFIG);
    ck_assert(strstr(err.message, " line 3: not a 'key = value'") != NULL);
    rb_error err2 = {0};
    ck_assert_int_eq(load_text("[rebate]\nbogus = 1\nnonsense\n", &config, &err2, path, sizeof path), RB_E_CONFIG);
    ck_assert_msg(strstr(err2.message, " line 2, key 'bogus': unknown key") != NULL, "%s", err2.message);
}
END_TEST

/* A line longer than inih's buffer would be cut silently: refused. */
START_TEST(test_config_line_too_long)
{
    char text[1024];
    char long_path[400];
    memset(long_path, 'p', sizeof long_path - 1);
    long_path[0] = '/';
    long_path[sizeof long_path - 1] = '\0';
    snprintf(text, sizeof text,
             "[rebate]\ndatabase = d\ninbox = %s\noutbox = o\narchive = a\npolicy_year = auto\nencoding = auto\n",
             long_path);
    rb_config config;
    rb_error err = {0};
    char path[4200];
    ck_assert_int_eq(load_text(text, &config, &err, path, sizeof path), RB_E_CONFIG);
    char expected[4400];
    snprintf(expected, sizeof expected, "config '%s' line 3: longer than 198 bytes", path);
    ck_assert_str_eq(err.message, expected);

    /* 198 bytes and the newline: still fine, and the last line may lack
     * its newline. */
    char fits[200];
    memset(fits, 'f', sizeof fits);
    snprintf(text, sizeof text, "[rebate]\ndatabase = d\ninbox = i\noutbox = o\narchive = a\npolicy_year = auto\n"
                                "encoding = auto\n");
    size_t used = strlen(text);
    memcpy(text + used, "; ", 2);
    memcpy(text + used + 2, fits, 196);
    strcpy(text + used + 198, "\n[rebate]");
    rb_error err2 = {0};
    ck_assert_int_eq(load_text(text, &config, &err2, path, sizeof path), RB_OK);
    rb_config_free(&config);
}
END_TEST

/* A config named without a folder: paths stay as written (relative to the
 * current folder, which is then the file's folder); an absolute path is
 * never changed. */
START_TEST(test_config_relative_to_file)
{
    rb_config config;
    rb_error err = {0};
    char path[4200];
    ck_assert_int_eq(load_text("[rebate]\ndatabase = /abs/d.db\ninbox = ./i\noutbox = ../o\narchive = a/b\n"
                               "policy_year = auto\nencoding = auto\n",
                               &config, &err, path, sizeof path),
                     RB_OK);
    char expected[4400];
    ck_assert_str_eq(config.database, "/abs/d.db");
    snprintf(expected, sizeof expected, "%s/./i", base);
    ck_assert_str_eq(config.inbox, expected);
    snprintf(expected, sizeof expected, "%s/../o", base);
    ck_assert_str_eq(config.outbox, expected);
    snprintf(expected, sizeof expected, "%s/a/b", base);
    ck_assert_str_eq(config.archive, expected);
    rb_config_free(&config);

    char cwd[4096];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(base), 0);
    rb_error err2 = {0};
    rb_status st = rb_config_load_for_year("rebate.ini", 2021, &config, &err2);
    ck_assert_int_eq(chdir(cwd), 0);
    ck_assert_int_eq(st, RB_OK);
    ck_assert_str_eq(config.inbox, "./i");
    ck_assert_str_eq(config.archive, "a/b");
    rb_config_free(&config);
}
END_TEST

/* The optional keys: each bad value refused with the key named. */
START_TEST(test_config_optional_keys_checked)
{
    static const struct {
        const char *line;
        const char *message;
    } cases[] = {
        {"notice_days = 61", "key 'notice_days': '61' is not a whole number from 0 to 60"},
        {"notice_days = -1", "key 'notice_days': '-1' is not a whole number from 0 to 60"},
        {"notice_days = five", "key 'notice_days': 'five' is not a whole number from 0 to 60"},
        {"notice_days =", "key 'notice_days': '' is not a whole number from 0 to 60"},
        {"notice_contact =", "key 'notice_contact': the value is empty; give a text or leave the key out"},
        {"fund_account = 1234567", "key 'fund_account': '1234567' is not 8 to 32 digits"},
        {"fund_account = 6222 0200 1234", "key 'fund_account': '6222 0200 1234' is not 8 to 32 digits"},
        {"fund_account = 123456789012345678901234567890123",
         "key 'fund_account': '123456789012345678901234567890123' is not 8 to 32 digits"},
        {"fund_bank_code = 10222300000", "key 'fund_bank_code': '10222300000' is not 12 digits"},
        {"fund_bank_code = 10222300000X", "key 'fund_bank_code': '10222300000X' is not 12 digits"},
        {"fund_account_name =", "key 'fund_account_name': the value is empty; give a text or leave the key out"},
        {"fund_bank_name =", "key 'fund_bank_name': the value is empty; give a text or leave the key out"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "[rebate]\ndatabase = d\ninbox = i\noutbox = o\narchive = a\npolicy_year = auto\n"
                 "encoding = auto\n%s\n",
                 cases[i].line);
        rb_config config;
        rb_error err = {0};
        char path[4200];
        ck_assert_int_eq(load_text(text, &config, &err, path, sizeof path), RB_E_CONFIG);
        char expected[4800];
        snprintf(expected, sizeof expected, "config '%s' line 8, %s", path, cases[i].message);
        ck_assert_str_eq(err.message, expected);
        ck_assert_ptr_null(config.database);
    }
    /* Bounds that are allowed. */
    rb_config config;
    rb_error err = {0};
    char path[4200];
    ck_assert_int_eq(load_text("[rebate]\ndatabase = d\ninbox = i\noutbox = o\narchive = a\npolicy_year = auto\n"
                               "encoding = auto\nnotice_days = 0\nfund_account = 12345678\n",
                               &config, &err, path, sizeof path),
                     RB_OK);
    ck_assert_int_eq(config.notice_days, 0);
    ck_assert_str_eq(config.fund_account, "12345678");
    rb_config_free(&config);
}
END_TEST

START_TEST(test_config_unreadable)
{
    rb_config config;
    rb_error err = {0};
    const char *dir = base;
    char path[4200];
    snprintf(path, sizeof path, "%s/missing.ini", dir);
    ck_assert_int_eq(rb_config_load_for_year(path, 2021, &config, &err), RB_E_CONFIG);
    char expected[4400];
    snprintf(expected, sizeof expected, "cannot read config '%s': No such file or directory", path);
    ck_assert_str_eq(err.message, expected);

    /* A folder where the file should be. */
    rb_error err2 = {0};
    ck_assert_int_eq(rb_config_load_for_year(dir, 2021, &config, &err2), RB_E_CONFIG);
    ck_assert_msg(strstr(err2.message, "cannot read config") != NULL && strstr(err2.message, "Is a directory"),
                  "%s", err2.message);
}
END_TEST

START_TEST(test_config_empty_file)
{
    rb_config config;
    rb_error err = {0};
    char path[4200];
    ck_assert_int_eq(load_text("", &config, &err, path, sizeof path), RB_E_CONFIG);
    char expected[4400];
    snprintf(expected, sizeof expected, "config '%s': key 'database' is missing from section [rebate]", path);
    ck_assert_str_eq(err.message, expected);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_config_example_of_cli_md);
    tcase_add_test(tc, test_config_auto_is_current_year);
    tcase_add_test(tc, test_config_fixed_year_and_values);
    tcase_add_test(tc, test_config_bom_and_crlf);
    tcase_add_test(tc, test_config_unknown_key);
    tcase_add_test(tc, test_config_missing_key);
    tcase_add_test(tc, test_config_key_given_twice);
    tcase_add_test(tc, test_config_bad_year);
    tcase_add_test(tc, test_config_year_bounds);
    tcase_add_test(tc, test_config_auto_out_of_bounds);
    tcase_add_test(tc, test_config_bad_encoding);
    tcase_add_test(tc, test_config_encoding_exact);
    tcase_add_test(tc, test_config_empty_value);
    tcase_add_test(tc, test_config_key_before_section);
    tcase_add_test(tc, test_config_key_in_other_section);
    tcase_add_test(tc, test_config_indented_continuation);
    tcase_add_test(tc, test_config_line_not_key_value);
    tcase_add_test(tc, test_config_first_error_wins);
    tcase_add_test(tc, test_config_line_too_long);
    tcase_add_test(tc, test_config_relative_to_file);
    tcase_add_test(tc, test_config_optional_keys_checked);
    tcase_add_test(tc, test_config_unreadable);
    tcase_add_test(tc, test_config_empty_file);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(make_suite)
