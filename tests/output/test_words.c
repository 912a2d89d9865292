/* Tests of rb_amount_in_words: the examples of docs/formats.md and the task, the
 * zero rules at the 万, 亿 and 元 places, 万亿 and past 10^16 yuan, the largest
 * int64 amount, every row of the collected vectors, and the variants that
 * are our form (the PBoC-optional 零 always written). */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebate/words.h"
#include "test_support.h"

typedef struct words_case {
    rb_fen fen;
    const char *words; /* without the 人民币 prefix */
} words_case;

static void check_words(rb_fen fen, const char *expected)
{
    char buf[RB_WORDS_BUFSZ];
    ck_assert_msg(rb_amount_in_words(fen, false, buf), "refused %" PRId64, fen);
    ck_assert_msg(strcmp(buf, expected) == 0, "%" PRId64 " fen: got %s, expected %s", fen, buf, expected);
    char with_prefix[RB_WORDS_BUFSZ + 16];
    snprintf(with_prefix, sizeof with_prefix, "人民币%s", expected);
    ck_assert(rb_amount_in_words(fen, true, buf));
    ck_assert_msg(strcmp(buf, with_prefix) == 0, "%" PRId64 " fen: got %s, expected %s", fen, buf, with_prefix);
}

static void check_cases(const words_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        check_words(cases[i].fen, cases[i].words);
}

#define CHECK_CASES(cases) check_cases(cases, sizeof cases / sizeof cases[0])

START_TEST(test_words_examples_of_outputs_md)
{
    static const words_case cases[] = {
        {480000, "肆仟捌佰元整"},
        {100405, "壹仟零肆元零伍分"},
        {168032, "壹仟陆佰捌拾元零叁角贰分"},
        {10700053, "壹拾万零柒仟元零伍角叁分"},
        {190397100, "壹佰玖拾万零叁仟玖佰柒拾壹元整"},
        {43, "肆角叁分"},
        {3, "叁分"},
        {0, "零元整"},
        {200000000000000, "贰万亿元整"},
        {120, "壹元贰角"},
        {10000010, "壹拾万元零壹角"},
        {100010000, "壹佰万零壹佰元整"},
    };
    CHECK_CASES(cases);
}
END_TEST

START_TEST(test_words_below_one_yuan)
{
    static const words_case cases[] = {
        {1, "壹分"},     {10, "壹角"},       {11, "壹角壹分"}, {9, "玖分"},
        {90, "玖角"},    {99, "玖角玖分"},   {100, "壹元整"},  {101, "壹元零壹分"},
        {110, "壹元壹角"}, {199, "壹元玖角玖分"},
    };
    CHECK_CASES(cases);
}
END_TEST

START_TEST(test_words_zero_at_wan_place)
{
    static const words_case cases[] = {
        {1000100, "壹万零壹元整"},           /* 1,0001: zeros run through the 万 place */
        {10000000, "壹拾万元整"},            /* trailing zeros give nothing */
        {5005000, "伍万零伍拾元整"},
        {10345300, "壹拾万零叁仟肆佰伍拾叁元整"}, /* zero at the 万 place: 零 written */
        {1000000, "壹万元整"},
        {1000001, "壹万元零壹分"},
        {1100000, "壹万壹仟元整"},
        {10010000, "壹拾万零壹佰元整"},
    };
    CHECK_CASES(cases);
}
END_TEST

START_TEST(test_words_zero_at_yi_place)
{
    static const words_case cases[] = {
        {100000000100, "壹拾亿零壹元整"},
        {10000000000, "壹亿元整"},
        {100001000000, "壹拾亿零壹万元整"},
        {10000500000, "壹亿零伍仟元整"},
        {201234000000, "贰拾亿零壹仟贰佰叁拾肆万元整"}, /* zero at the 亿 place: 零 written */
        {981000502212, "玖拾捌亿壹仟万零伍仟零贰拾贰元壹角贰分"},
        {15000635500, "壹亿伍仟万零陆仟叁佰伍拾伍元整"},
    };
    CHECK_CASES(cases);
}
END_TEST

START_TEST(test_words_zero_at_yuan_place_before_jiao)
{
    static const words_case cases[] = {
        {168032, "壹仟陆佰捌拾元零叁角贰分"},
        {101010, "壹仟零壹拾元零壹角"},
        {1000050, "壹万元零伍角"},
        {608900, "陆仟零捌拾玖元整"},
        {6089, "陆拾元零捌角玖分"},
        {1050, "壹拾元零伍角"},
    };
    CHECK_CASES(cases);
}
END_TEST

START_TEST(test_words_wan_yi)
{
    static const words_case cases[] = {
        {100000000000000, "壹万亿元整"},
        {100000000000100, "壹万亿零壹元整"},
        {123450000000000, "壹万贰仟叁佰肆拾伍亿元整"},
        {100010000000000, "壹万零壹亿元整"},
        {1200001241242100, "壹拾贰万亿零壹仟贰佰肆拾壹万贰仟肆佰贰拾壹元整"},
        {1200000000242100, "壹拾贰万亿零贰仟肆佰贰拾壹元整"},
        {999999999999999999, "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"},
    };
    CHECK_CASES(cases);
}
END_TEST

/* Past 10^16 yuan the number of 亿 has a 亿 group of its own (see words.c). */
START_TEST(test_words_past_ten_to_sixteen_yuan)
{
    static const words_case cases[] = {
        {1000000000000000000, "壹亿亿元整"},
        {1000000000000000100, "壹亿亿零壹元整"},
        {1000100000000000000, "壹亿零壹万亿元整"},
        {1000000001000000000, "壹亿亿零壹仟万元整"},
        {1234567891234567800, "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖亿壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元整"},
        {9090909090909090909, "玖亿零玖佰零玖万零玖佰零玖亿零玖佰零玖万零玖佰零玖元零玖分"},
    };
    CHECK_CASES(cases);
}
END_TEST

START_TEST(test_words_largest_amount)
{
    check_words(INT64_MAX, "玖亿贰仟贰佰叁拾叁万柒仟贰佰零叁亿陆仟捌佰伍拾肆万柒仟柒佰伍拾捌元零柒分");
    char buf[RB_WORDS_BUFSZ];
    ck_assert(rb_amount_in_words(INT64_MAX - 7, true, buf));
    ck_assert_str_eq(buf, "人民币玖亿贰仟贰佰叁拾叁万柒仟贰佰零叁亿陆仟捌佰伍拾肆万柒仟柒佰伍拾捌元整");
}
END_TEST

START_TEST(test_words_negative_refused)
{
    char buf[RB_WORDS_BUFSZ];
    strcpy(buf, "junk");
    ck_assert(!rb_amount_in_words(-1, false, buf));
    ck_assert_str_eq(buf, "");
    strcpy(buf, "junk");
    ck_assert(!rb_amount_in_words(INT64_MIN, true, buf));
    ck_assert_str_eq(buf, "");
}
END_TEST

/* Splits a tab-separated line in place into at most max fields. */
static size_t split_tabs(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        fields[n++] = p;
        char *tab = strchr(p, '\t');
        if (tab == NULL)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    return n;
}

/* amount_in_fen as written in the vector files; false when it is negative
 * or beyond int64. */
static bool parse_fen(const char *text, rb_fen *out)
{
    if (text[0] < '0' || text[0] > '9')
        return false;
    char *end = NULL;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end != '\0' || v > (unsigned long long)INT64_MAX || strlen(text) > 19)
        return false;
    *out = (rb_fen)v;
    return true;
}

START_TEST(test_words_every_vector)
{
    size_t len = 0;
    char *data = ts_read_file(ts_fixture("vectors/amount_in_words.tsv"), &len);
    ck_assert(data != NULL);
    int rows = 0;
    for (char *line = strtok(data, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *fields[2];
        ck_assert_uint_eq(split_tabs(line, fields, 2), 2);
        rb_fen fen = 0;
        ck_assert_msg(parse_fen(fields[0], &fen), "bad amount %s", fields[0]);
        check_words(fen, fields[1]);
        rows++;
    }
    ck_assert_int_eq(rows, 57);
    free(data);
}
END_TEST

static int count_ling(const char *s)
{
    int n = 0;
    for (const char *p = strstr(s, "零"); p != NULL; p = strstr(p + 1, "零"))
        n++;
    return n;
}

/* Our form of a row of amount_in_words_variants.tsv: the note lists the other
 * legal renderings ("other renderings: A | B") or the renderings in the main
 * conventions (元, no 角整, no 零 below one yuan, X万Y亿: "main-convention
 * rendering(s): A | B"); among those, ours is the one with the most 零, since
 * docs/formats.md writes every optional 零. Returns false for rows with neither
 * (negatives, 亿亿, beyond int64): those are checked by hand elsewhere. */
static bool variant_expected(const char *text, const char *note, char *out, size_t out_size)
{
    const char *candidates[8];
    size_t n = 0;
    static char list[2048];
    const char *marker = NULL;
    bool include_text = false;
    if ((marker = strstr(note, "main-convention rendering")) != NULL) {
        include_text = false;
    } else if ((marker = strstr(note, "other renderings")) != NULL) {
        include_text = true;
    } else {
        return false;
    }
    const char *colon = strchr(marker, ':');
    ck_assert(colon != NULL);
    snprintf(list, sizeof list, "%s", colon + 2);
    if (include_text)
        candidates[n++] = text;
    for (char *p = list; p != NULL && n < 8;) {
        char *bar = strstr(p, " | ");
        if (bar)
            *bar = '\0';
        candidates[n++] = p;
        p = bar ? bar + 3 : NULL;
    }
    int best = -1, best_count = -1, ties = 0;
    for (size_t i = 0; i < n; i++) {
        int c = count_ling(candidates[i]);
        if (c > best_count) {
            best_count = c;
            best = (int)i;
            ties = 0;
        } else if (c == best_count) {
            ties++;
        }
    }
    ck_assert_msg(ties == 0, "no single 零 form among the renderings of %s", text);
    snprintf(out, out_size, "%s", candidates[best]);
    return true;
}

START_TEST(test_words_variants_in_our_form)
{
    size_t len = 0;
    char *data = ts_read_file(ts_fixture("vectors/amount_in_words_variants.tsv"), &len);
    ck_assert(data != NULL);
    int checked = 0, negatives = 0, rows = 0;
    char *save = NULL;
    bool header = true;
    for (char *line = strtok_r(data, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        if (header) {
            header = false;
            continue;
        }
        rows++;
        char *fields[4];
        ck_assert_uint_eq(split_tabs(line, fields, 4), 4);
        char buf[RB_WORDS_BUFSZ];
        if (fields[0][0] == '-') {
            ck_assert(!rb_amount_in_words(-atoll(fields[0] + 1), false, buf));
            negatives++;
            continue;
        }
        rb_fen fen = 0;
        char expected[512];
        if (!parse_fen(fields[0], &fen) || !variant_expected(fields[1], fields[3], expected, sizeof expected))
            continue;
        check_words(fen, expected);
        checked++;
    }
    ck_assert_int_eq(rows, 80);
    ck_assert_int_eq(negatives, 4);
    /* 80 rows less 4 negatives, 2 亿亿 rows within int64 (hand-checked in
     * test_words_past_ten_to_sixteen_yuan) and 3 beyond int64. */
    ck_assert_int_eq(checked, 71);
    free(data);
}
END_TEST

/* The rows of the variants file where the PBoC allows two forms, written out
 * by hand: ours writes the 零 in every one of them. */
START_TEST(test_words_variants_optional_zero_by_hand)
{
    static const words_case cases[] = {
        {1200001241242100, "壹拾贰万亿零壹仟贰佰肆拾壹万贰仟肆佰贰拾壹元整"},
        {1200000000242100, "壹拾贰万亿零贰仟肆佰贰拾壹元整"},
        {981000502212, "玖拾捌亿壹仟万零伍仟零贰拾贰元壹角贰分"},
        {190397100, "壹佰玖拾万零叁仟玖佰柒拾壹元整"},
        {10345300, "壹拾万零叁仟肆佰伍拾叁元整"},
        {15000635500, "壹亿伍仟万零陆仟叁佰伍拾伍元整"},
        {168032, "壹仟陆佰捌拾元零叁角贰分"},
        {10700053, "壹拾万零柒仟元零伍角叁分"},
        {123456789099, "壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元零玖角玖分"},
        {101010, "壹仟零壹拾元零壹角"},
        {980000500000, "玖拾捌亿零伍仟元整"},
        {90888820, "玖拾万零捌仟捌佰捌拾捌元贰角"},
        {2, "贰分"},
        {123456789123400, "壹万贰仟叁佰肆拾伍亿陆仟柒佰捌拾玖万壹仟贰佰叁拾肆元整"},
        {70987654321, "柒亿零玖佰捌拾柒万陆仟伍佰肆拾叁元贰角壹分"},
    };
    CHECK_CASES(cases);
}
END_TEST

/* `rebate words`: prints the payout file's form with a newline. */
START_TEST(test_cmd_words_prints_amount)
{
    static const struct {
        const char *arg, *expected;
    } cases[] = {
        {"1234.56", "人民币壹仟贰佰叁拾肆元伍角陆分\n"},
        {"4800", "人民币肆仟捌佰元整\n"},
        {"4800.00", "人民币肆仟捌佰元整\n"},
        {"0.5", "人民币伍角\n"},
        {"0", "人民币零元整\n"},
        {"007.50", "人民币柒元伍角\n"},
        {"1680.32", "人民币壹仟陆佰捌拾元零叁角贰分\n"},
        {"92233720368547758.07", "人民币玖亿贰仟贰佰叁拾叁万柒仟贰佰零叁亿陆仟捌佰伍拾肆万柒仟柒佰伍拾捌元零柒分\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = NULL, *err = NULL;
        int status = ts_run_rebate(&out, &err, "words", cases[i].arg, NULL);
        ck_assert_msg(status == 0, "words %s: status %d, %s", cases[i].arg, status, err);
        ck_assert_str_eq(out, cases[i].expected);
        ck_assert_str_eq(err, "");
        free(out);
        free(err);
    }
}
END_TEST

/* A bad amount: exit 64 and one line on standard error naming the value. */
START_TEST(test_cmd_words_bad_amount)
{
    static const char *const bad[] = {"-5", "+5", "1,234.00", "1 234", "1.234", "12.", ".5", "abc",
                                      "1e3", "１２", "92233720368547758.08", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = NULL, *err = NULL;
        int status = ts_run_rebate(&out, &err, "words", bad[i], NULL);
        ck_assert_msg(status == 64, "words %s: status %d", bad[i], status);
        ck_assert_str_eq(out, "");
        char quoted[128];
        snprintf(quoted, sizeof quoted, "'%s'", bad[i]);
        ck_assert_msg(strstr(err, quoted) != NULL, "words %s: message %s", bad[i], err);
        ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "not one line: %s", err);
        free(out);
        free(err);
    }
    char *err = NULL;
    ck_assert_int_eq(ts_run_rebate(NULL, &err, "words", "", NULL), 64);
    ck_assert(strstr(err, "''") != NULL);
    free(err);
}
END_TEST

START_TEST(test_cmd_words_arguments)
{
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(ts_run_rebate(&out, &err, "words", NULL), 64);
    ck_assert(strstr(err, "AMOUNT") != NULL);
    free(out);
    free(err);
    ck_assert_int_eq(ts_run_rebate(&out, &err, "words", "1", "2", NULL), 64);
    ck_assert_str_eq(out, "");
    free(out);
    free(err);
    ck_assert_int_eq(ts_run_rebate(&out, &err, "words", "--help", NULL), 0);
    ck_assert(strncmp(out, "usage: rebate words AMOUNT\n", 27) == 0);
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
    ck_assert_int_eq(ts_run_rebate(&out, &err, "words", "--", "12", NULL), 0);
    ck_assert_str_eq(out, "人民币壹拾贰元整\n");
    free(out);
    free(err);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("words");
    TCase *tc = tcase_create("words");
    tcase_add_test(tc, test_words_examples_of_outputs_md);
    tcase_add_test(tc, test_words_below_one_yuan);
    tcase_add_test(tc, test_words_zero_at_wan_place);
    tcase_add_test(tc, test_words_zero_at_yi_place);
    tcase_add_test(tc, test_words_zero_at_yuan_place_before_jiao);
    tcase_add_test(tc, test_words_wan_yi);
    tcase_add_test(tc, test_words_past_ten_to_sixteen_yuan);
    tcase_add_test(tc, test_words_largest_amount);
    tcase_add_test(tc, test_words_negative_refused);
    tcase_add_test(tc, test_words_every_vector);
    tcase_add_test(tc, test_words_variants_in_our_form);
    tcase_add_test(tc, test_words_variants_optional_zero_by_hand);
    suite_add_tcase(s, tc);
    TCase *cmd = tcase_create("cmd_words");
    tcase_add_test(cmd, test_cmd_words_prints_amount);
    tcase_add_test(cmd, test_cmd_words_bad_amount);
    tcase_add_test(cmd, test_cmd_words_arguments);
    suite_add_tcase(s, cmd);
    return s;
}

TS_MAIN(make_suite)
