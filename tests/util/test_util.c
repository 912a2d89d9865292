/* Tests of src/util: USCC check characters, money parsing and printing,
 * dates and periods, trimming, UTF-8 validation and name folding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebate/date.h"
#include "rebate/money.h"
#include "rebate/text.h"
#include "rebate/uscc.h"
#include "test_support.h"

static int for_each_line(const char *fixture, void (*fn)(const char *line))
{
    char *text = ts_read_file(ts_fixture(fixture), NULL);
    ck_assert_msg(text != NULL, "missing fixture %s", fixture);
    int n = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        fn(line);
        n++;
    }
    free(text);
    return n;
}

static void expect_valid(const char *code)
{
    char out[19];
    ck_assert_msg(rb_uscc_normalize(code, strlen(code), out), "%s should be valid", code);
    ck_assert_str_eq(out, code);
}

static void expect_invalid(const char *code)
{
    char out[19];
    ck_assert_msg(!rb_uscc_normalize(code, strlen(code), out), "%s should be invalid", code);
}

START_TEST(uscc_valid_vectors)
{
    ck_assert_int_eq(for_each_line("vectors/uscc_valid.txt", expect_valid), 215);
}
END_TEST

START_TEST(uscc_invalid_vectors)
{
    ck_assert_int_eq(for_each_line("vectors/uscc_invalid.txt", expect_invalid), 12);
}
END_TEST

START_TEST(uscc_lower_case_is_upper_cased)
{
    char out[19];
    ck_assert(rb_uscc_normalize("91110000600037341l", 18, out));
    ck_assert_str_eq(out, "91110000600037341L");
}
END_TEST

START_TEST(uscc_check_char_31_is_zero)
{
    /* 121200004013590816 is in the valid list; find a code whose check sum
     * gives 31 by trying the last data character. */
    char code[19] = "91210302MA0000000";
    int found = 0;
    const char *set = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    for (const char *p = set; *p; p++) {
        code[16] = *p;
        if (rb_uscc_check_char(code) == '0') {
            found = 1;
            break;
        }
    }
    ck_assert(found);
    code[17] = '0';
    code[18] = '\0';
    char out[19];
    ck_assert(rb_uscc_normalize(code, 18, out));
}
END_TEST

START_TEST(uscc_full_width_and_bad_characters)
{
    char out[19];
    ck_assert(!rb_uscc_normalize("９1110000600037341L", strlen("９1110000600037341L"), out));
    ck_assert(!rb_uscc_normalize("91110000600037341", 17, out));
    ck_assert(!rb_uscc_normalize("91110000600037341LL", 19, out));
    ck_assert(!rb_uscc_normalize("9111000060003734\0L", 18, out));
}
END_TEST

static void money_ok(const char *text, rb_fen expected)
{
    rb_fen v = -7;
    ck_assert_msg(rb_money_parse(text, strlen(text), &v) == RB_MONEY_OK, "'%s' should parse", text);
    ck_assert_msg(v == expected, "'%s' gave %lld fen, not %lld", text, (long long)v, (long long)expected);
}

static void money_bad(const char *text, rb_money_result why)
{
    rb_fen v = -7;
    ck_assert_msg(rb_money_parse(text, strlen(text), &v) == why, "'%s' should fail with %d", text, (int)why);
    ck_assert(v == -7);
}

START_TEST(money_parse_accepts_the_spec_forms)
{
    money_ok("0", 0);
    money_ok("0.1", 10);
    money_ok("12.34", 1234);
    money_ok("1234", 123400);
    money_ok("1234.5", 123450);
    money_ok("1234.50", 123450);
    money_ok("007.5", 750);
    money_ok("92233720368547758.07", INT64_MAX);
}
END_TEST

START_TEST(money_parse_refuses_everything_else)
{
    money_bad("", RB_MONEY_EMPTY);
    money_bad("-1", RB_MONEY_FORMAT);
    money_bad("+1", RB_MONEY_FORMAT);
    money_bad(".5", RB_MONEY_FORMAT);
    money_bad("1.", RB_MONEY_FORMAT);
    money_bad("1.234", RB_MONEY_FORMAT);
    money_bad("1e3", RB_MONEY_FORMAT);
    money_bad("1,234.00", RB_MONEY_FORMAT);
    money_bad("１２３", RB_MONEY_FORMAT);
    money_bad("12 3", RB_MONEY_FORMAT);
    money_bad("1.2.3", RB_MONEY_FORMAT);
    money_bad("92233720368547758.08", RB_MONEY_RANGE);
    money_bad("99999999999999999999999999", RB_MONEY_RANGE);
}
END_TEST

START_TEST(money_format_two_decimals)
{
    char buf[RB_MONEY_BUFSZ];
    ck_assert_str_eq(rb_money_format(480000, buf), "4800.00");
    ck_assert_str_eq(rb_money_format(5, buf), "0.05");
    ck_assert_str_eq(rb_money_format(0, buf), "0.00");
    ck_assert_str_eq(rb_money_format(-5, buf), "-0.05");
    ck_assert_str_eq(rb_money_format(INT64_MAX, buf), "92233720368547758.07");
    ck_assert_str_eq(rb_money_format(INT64_MIN, buf), "-92233720368547758.08");
}
END_TEST

START_TEST(dates_real_calendar_only)
{
    int32_t d = 0;
    ck_assert(rb_date_parse("2020-02-29", 10, &d) && d == 20200229);
    ck_assert(rb_date_parse("20200229", 8, &d) && d == 20200229);
    ck_assert(!rb_date_parse("2019-02-29", 10, &d));
    ck_assert(!rb_date_parse("1900-02-29", 10, &d));
    ck_assert(rb_date_parse("2000-02-29", 10, &d));
    ck_assert(!rb_date_parse("20200230", 8, &d));
    ck_assert(!rb_date_parse("2020-13-01", 10, &d));
    ck_assert(!rb_date_parse("2020-00-10", 10, &d));
    ck_assert(!rb_date_parse("2020-04-31", 10, &d));
    ck_assert(!rb_date_parse("2020/01/01", 10, &d));
    ck_assert(!rb_date_parse("2020-1-1", 8, &d));
    ck_assert(!rb_date_parse("", 0, &d));
    char buf[11];
    ck_assert_str_eq(rb_date_format(20200229, buf), "2020-02-29");
}
END_TEST

/* A verdict's day is the day in China (UTC+8): after 16:00 UTC it is the
 * next day there, across a month's and a year's end; anything else is cut
 * to its first ten bytes. */
START_TEST(china_date_of_a_utc_time)
{
    char day[11];
    ck_assert_str_eq(rb_china_date_of_utc("2026-12-03T15:59:59Z", day), "2026-12-03");
    ck_assert_str_eq(rb_china_date_of_utc("2026-12-03T16:00:00Z", day), "2026-12-04");
    ck_assert_str_eq(rb_china_date_of_utc("2026-12-31T23:30:00Z", day), "2027-01-01");
    ck_assert_str_eq(rb_china_date_of_utc("2024-02-28T20:00:00Z", day), "2024-02-29");
    ck_assert_str_eq(rb_china_date_of_utc("2026-12-03", day), "2026-12-03");
    ck_assert_str_eq(rb_china_date_of_utc("", day), "");
    ck_assert_str_eq(rb_china_date_of_utc(NULL, day), "");
}
END_TEST

START_TEST(periods_month_01_to_12)
{
    int32_t p = 0;
    ck_assert(rb_period_parse("201903", 6, &p) && p == 201903);
    ck_assert(rb_period_parse("2019-03", 7, &p) && p == 201903);
    ck_assert(!rb_period_parse("202013", 6, &p));
    ck_assert(!rb_period_parse("202000", 6, &p));
    ck_assert(!rb_period_parse("2020-1", 6, &p));
    ck_assert(!rb_period_parse("20201", 5, &p));
    ck_assert(!rb_period_parse("2020/01", 7, &p));
    ck_assert_int_eq(rb_period_add(202001, -1), 201912);
    ck_assert_int_eq(rb_period_add(201912, 1), 202001);
    ck_assert_int_eq(rb_period_add(202012, -24), 201812);
}
END_TEST

START_TEST(percent_and_ratio_round_half_up)
{
    char buf[RB_MONEY_BUFSZ];
    ck_assert_str_eq(rb_percent_format(3, 8, buf), "37.50");
    ck_assert_str_eq(rb_percent_format(1, 3, buf), "33.33");
    ck_assert_str_eq(rb_percent_format(2, 3, buf), "66.67");
    ck_assert_str_eq(rb_percent_format(1, 20000, buf), "0.01");  /* 0.005% rounds up */
    ck_assert_str_eq(rb_percent_format(1, 20001, buf), "0.00");
    ck_assert_str_eq(rb_percent_format(0, 7, buf), "0.00");
    ck_assert_str_eq(rb_ratio_format(17, 2, buf), "8.50");
    ck_assert_str_eq(rb_ratio_format(21, 2, buf), "10.50");
    ck_assert_str_eq(rb_ratio_format(1, 200, buf), "0.01");
    ck_assert_str_eq(rb_ratio_format(INT64_MAX, INT64_MAX, buf), "1.00");
}
END_TEST

static void trimmed(const char *in, const char *expected)
{
    const char *s = in;
    size_t n = strlen(in);
    rb_text_trim(&s, &n);
    ck_assert_msg(n == strlen(expected) && memcmp(s, expected, n) == 0, "trim '%s'", in);
}

START_TEST(trim_spaces_tabs_ideographic_space)
{
    trimmed("  abc\t", "abc");
    trimmed("\xe3\x80\x80" "某某公司" "\xe3\x80\x80 ", "某某公司");
    trimmed("a b", "a b");
    trimmed(" \t\xe3\x80\x80", "");
    trimmed("", "");
}
END_TEST

START_TEST(utf8_validation)
{
    size_t bad = 0;
    ck_assert(rb_utf8_valid("某某公司", strlen("某某公司"), NULL));
    ck_assert(!rb_utf8_valid("ab\xc0\xaf", 4, &bad));
    ck_assert_uint_eq(bad, 2);
    ck_assert(!rb_utf8_valid("\xed\xa0\x80", 3, &bad)); /* surrogate */
    ck_assert(!rb_utf8_valid("\xe6\x9f", 2, &bad));     /* truncated */
    ck_assert(!rb_utf8_valid("\xc4\xb3\xb3", 3, &bad)); /* GB18030 bytes */
}
END_TEST

START_TEST(names_fold_full_width_and_spaces)
{
    ck_assert(rb_names_equal("某某（鞍山）有限公司", "某某(鞍山)有限公司"));
    ck_assert(rb_names_equal("某某 有限\xe3\x80\x80公司", "某某有限公司"));
    ck_assert(rb_names_equal("ＡＢＣ商贸\xc2\xa0有限公司", "ABC商贸有限公司"));
    ck_assert(!rb_names_equal("ABC商贸有限公司", "abc商贸有限公司"));
    ck_assert(!rb_names_equal("某某有限公司", "某某有限责任公司"));
    /* the folded bytes are compared, not the pieces: a prefix is not equal */
    ck_assert(!rb_names_equal("某某", "某某公司"));
    ck_assert(!rb_names_equal("某某公司", "某某"));
    ck_assert(rb_names_equal("", " \xe3\x80\x80"));
    ck_assert(!rb_names_equal("", "a"));
    /* bytes that are not UTF-8 are compared as they are */
    ck_assert(rb_names_equal("a\xff b", "a\xff" "b"));
    ck_assert(!rb_names_equal("a\xff", "a\xfe"));
    /* ignoring ASCII case too (who approves a batch: rb_same_person) */
    ck_assert(rb_names_equal_ignoring_case("Zhang San", "ｚｈａｎｇsan"));
    ck_assert(rb_names_equal_ignoring_case("张三", " 张三 "));
    ck_assert(!rb_names_equal_ignoring_case("张三", "张四"));
    ck_assert(!rb_names_equal_ignoring_case("zhang", "zhangs"));
}
END_TEST

static Suite *util_suite(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("util");
    tcase_add_test(tc, uscc_valid_vectors);
    tcase_add_test(tc, china_date_of_a_utc_time);
    tcase_add_test(tc, uscc_invalid_vectors);
    tcase_add_test(tc, uscc_lower_case_is_upper_cased);
    tcase_add_test(tc, uscc_check_char_31_is_zero);
    tcase_add_test(tc, uscc_full_width_and_bad_characters);
    tcase_add_test(tc, money_parse_accepts_the_spec_forms);
    tcase_add_test(tc, money_parse_refuses_everything_else);
    tcase_add_test(tc, money_format_two_decimals);
    tcase_add_test(tc, percent_and_ratio_round_half_up);
    tcase_add_test(tc, dates_real_calendar_only);
    tcase_add_test(tc, periods_month_01_to_12);
    tcase_add_test(tc, trim_spaces_tabs_ideographic_space);
    tcase_add_test(tc, utf8_validation);
    tcase_add_test(tc, names_fold_full_width_and_spaces);
    suite_add_tcase(s, tc);
    return s;
}

TS_MAIN(util_suite)
