/* Benchmark data generator: writes the three extracts of docs/formats.md
 * (registration.csv, insured_units.csv, contributions.csv) for N synthetic
 * firms of Anshan, the same bytes for the same seed, with a few percent of
 * every case the rules treat, fast enough for a million firms in a minute.
 *
 * Each firm draws everything from its own PRNG stream, seeded from (seed,
 * firm index), so a firm's rows do not depend on the other firms or on the
 * order they are written in: --shuffle writes exactly the same rows, only in
 * another order. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "rebate/money.h"
#include "rebate/uscc.h"

static const char usage_text[] =
    "usage: gen_extracts --firms N --out DIR [--seed S] [--policy-year Y] [--shuffle] [--stats]\n"
    "                    [--night K --changed PERMILLE]\n"
    "\n"
    "Writes DIR/registration.csv, DIR/insured_units.csv and DIR/contributions.csv\n"
    "(UTF-8, LF, canonical headers) for N synthetic firms: contributions for the\n"
    "months (Y-2)01..(Y-1)12. The same seed gives the same bytes.\n"
    "\n"
    "  --firms N        number of firms (1 .. 500000000)\n"
    "  --out DIR        output folder, created when missing\n"
    "  --seed S         PRNG seed (default 1)\n"
    "  --policy-year Y  policy year, data year A = Y-1 (default 2024)\n"
    "  --shuffle        the same rows in another (seeded) order\n"
    "  --stats          also print how many firms got each case\n"
    "  --night K        the extracts of night K (2, 3 ...): the first night's, with\n"
    "                   the changes of nights 2..K applied (default 1: no change)\n"
    "  --changed P      per mille of firms changed each night after the first\n"
    "                   (default 10): a new account, a paid arrear, a corrected\n"
    "                   headcount or a new rejected row, a quarter each\n";

/* ---------------------------------------------------------------- PRNG */

/* splitmix64 (Steele, Lea, Flood 2014): one 64-bit word of state, good
 * enough statistically for test data and trivially seeded per firm. */
typedef struct rng {
    uint64_t state;
} rng;

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t rng_next(rng *r)
{
    r->state += 0x9E3779B97F4A7C15ULL;
    return mix64(r->state);
}

/* Uniform in [0, n) by multiply-shift (Lemire); the bias is below 2^-40. */
static uint64_t rng_below(rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

static int64_t rng_range(rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)rng_below(r, (uint64_t)(hi - lo + 1));
}

/* True with probability permille/1000. */
static bool rng_chance(rng *r, unsigned permille)
{
    return rng_below(r, 1000) < permille;
}

/* ---------------------------------------------------------------- cases */

/* Every case the generator plants, with its rate. Population cases are per
 * mille of all firms; the others per mille of insured firms (firms with a
 * unit or contribution rows), each drawn independently, so a firm may carry
 * several. docs/performance.md lists them; --stats prints the counts. */
enum gen_case {
    CASE_REG_ONLY,          /* registration row only: not insured, not evaluated */
    CASE_REG_MISSING,       /* insured, but no registration row */
    CASE_UNIT_MISSING,      /* contributions and registration, no unit row */
    CASE_STOPPED,           /* contribution rows in A-1 only: none in A */
    CASE_SHORT_MONTHS,      /* insured during A: fewer than 12 rows in A */
    CASE_JOINED_PREV_YEAR,  /* insured during A-1: full A, short A-1 */
    CASE_GAP_MONTH,         /* one month of A has no row */
    CASE_ZERO_MONTH,        /* one month of A with nobody insured and nothing due */
    CASE_ARREARS,           /* paid < due in one or two months of A */
    CASE_ARREARS_PREV_ONLY, /* paid < due in a month of A-1 only */
    CASE_OVERPAID,          /* paid > due in a month (advance payment) */
    CASE_LAYOFF,            /* headcount falls by 30-60 % during A */
    CASE_GROWTH,            /* one hire during A */
    CASE_CLAIMANTS,         /* one or two new benefit claimants in a month of A */
    CASE_REG_INACTIVE,      /* 注销, 吊销, 撤销 */
    CASE_REG_SUSPENDED,     /* 停业, 歇业, 清算, 迁出 */
    CASE_DISHONEST,         /* on the serious-dishonesty list */
    CASE_UI_TERMINATED,     /* ui_status 终止 / 注销 */
    CASE_UI_SUSPENDED,      /* ui_status 暂停缴费 */
    CASE_LABOUR_DISPATCH,   /* industry 7263 / L7263 */
    CASE_PAREN_NAME,        /* 字号（鞍山）…: unit/account may use ASCII parentheses */
    CASE_NAME_MISMATCH,     /* unit name is an older name */
    CASE_PAYEE_MISMATCH,    /* account name empty or someone else's */
    CASE_NO_ACCOUNT,        /* empty bank_account */
    CASE_INVALID_ACCOUNT,   /* not 8-32 digits after cleaning */
    CASE_TAX_ACCOUNT,       /* account_source 税务 */
    CASE_SPACED_ACCOUNT,    /* account written with spaces or dashes (valid) */
    CASE_NO_BANK_CODE,      /* empty bank_code (optional) */
    CASE_BAD_DATE,          /* a row with an impossible date */
    CASE_BAD_MONEY,         /* a contribution row with a malformed amount */
    CASE_BAD_CHECK_CHAR,    /* a contribution row whose uscc has a wrong check character */
    CASE_BAD_BANK_CODE,     /* a unit row whose bank_code is not 12 digits */
    CASE_DUP_EXACT,         /* a row repeated, verbatim or in an equal spelling */
    CASE_DUP_CONFLICT,      /* a row repeated with another value */
    CASE_LOWER_CASE,        /* uscc written in lower case (valid) */
    CASE_PADDED,            /* fields padded with spaces or U+3000 (trimmed) */
    CASE_QUOTED,            /* text fields in quotes, a bank name with a comma */
    CASE_BLANK_LINE,        /* an Excel blank record ,,,,, (ignored) */
    CASE_COUNT
};

struct case_info {
    const char *name;
    unsigned permille;
    bool of_all; /* rate of all firms, else of insured firms */
};

static const struct case_info case_table[CASE_COUNT] = {
    [CASE_REG_ONLY] = {"registration_only", 30, true},
    [CASE_REG_MISSING] = {"registration_missing", 10, true},
    [CASE_UNIT_MISSING] = {"unit_missing", 5, true},
    [CASE_STOPPED] = {"no_rows_in_A", 5, false},
    [CASE_SHORT_MONTHS] = {"short_months", 30, false},
    [CASE_JOINED_PREV_YEAR] = {"joined_in_A-1", 40, false},
    [CASE_GAP_MONTH] = {"gap_month", 10, false},
    [CASE_ZERO_MONTH] = {"zero_month", 5, false},
    [CASE_ARREARS] = {"arrears", 30, false},
    [CASE_ARREARS_PREV_ONLY] = {"arrears_A-1_only", 10, false},
    [CASE_OVERPAID] = {"overpaid_month", 5, false},
    [CASE_LAYOFF] = {"headcount_fall", 30, false},
    [CASE_GROWTH] = {"one_hire", 50, false},
    [CASE_CLAIMANTS] = {"new_claimants", 50, false},
    [CASE_REG_INACTIVE] = {"reg_inactive", 20, false},
    [CASE_REG_SUSPENDED] = {"reg_suspended", 10, false},
    [CASE_DISHONEST] = {"dishonest", 10, false},
    [CASE_UI_TERMINATED] = {"ui_terminated", 20, false},
    [CASE_UI_SUSPENDED] = {"ui_suspended", 10, false},
    [CASE_LABOUR_DISPATCH] = {"labour_dispatch", 10, false},
    [CASE_PAREN_NAME] = {"parenthesised_name", 40, false},
    [CASE_NAME_MISMATCH] = {"name_mismatch", 20, false},
    [CASE_PAYEE_MISMATCH] = {"payee_mismatch", 20, false},
    [CASE_NO_ACCOUNT] = {"no_account", 20, false},
    [CASE_INVALID_ACCOUNT] = {"invalid_account", 10, false},
    [CASE_TAX_ACCOUNT] = {"tax_account", 50, false},
    [CASE_SPACED_ACCOUNT] = {"account_with_spaces", 30, false},
    [CASE_NO_BANK_CODE] = {"no_bank_code", 50, false},
    [CASE_BAD_DATE] = {"bad_date_row", 10, false},
    [CASE_BAD_MONEY] = {"bad_money_row", 10, false},
    [CASE_BAD_CHECK_CHAR] = {"bad_check_char_row", 10, false},
    [CASE_BAD_BANK_CODE] = {"bad_bank_code_row", 5, false},
    [CASE_DUP_EXACT] = {"exact_duplicate", 15, false},
    [CASE_DUP_CONFLICT] = {"conflicting_duplicate", 10, false},
    [CASE_LOWER_CASE] = {"lower_case_uscc", 5, false},
    [CASE_PADDED] = {"padded_fields", 10, false},
    [CASE_QUOTED] = {"quoted_fields", 20, false},
    [CASE_BLANK_LINE] = {"blank_record", 1, false},
};

static uint64_t case_counts[CASE_COUNT];

/* ---------------------------------------------------------------- tables */

/* Anshan's districts and counties (GB/T 2260) with their share of firms in
 * per mille; 210300 is the city-level registration authority. */
static const struct {
    const char *code;
    const char *area; /* for names of individual businesses */
    unsigned permille;
} regions[] = {
    {"210302", "铁东区", 200}, {"210303", "铁西区", 150}, {"210304", "立山区", 120},
    {"210311", "千山区", 100}, {"210381", "海城市", 200}, {"210321", "台安县", 80},
    {"210323", "岫岩满族自治县", 80}, {"210300", "铁东区", 70},
};
#define REGION_COUNT (sizeof regions / sizeof regions[0])

/* GB/T 4754-2017 classes common among small firms, with the word a name uses
 * and an older word for a renamed firm. */
static const struct {
    const char *code;
    const char *word;
    const char *old_word;
} industries[] = {
    {"F5123", "果蔬", "农产品"},           {"F5191", "再生资源", "废旧物资"},
    {"F5211", "商贸", "贸易"},             {"F5212", "超市", "商店"},
    {"F5271", "五金", "建材"},             {"H6210", "餐饮", "饭店"},
    {"H6220", "快餐", "餐饮"},             {"E5011", "装饰工程", "装修"},
    {"E4710", "建筑工程", "建筑"},         {"I6513", "网络科技", "软件"},
    {"C3130", "钢材加工", "金属制品"},     {"C3311", "钢结构", "机械"},
    {"C3484", "机械制造", "机械"},         {"G5431", "物流", "运输"},
    {"O8010", "家政服务", "家政"},         {"K7020", "物业管理", "物业"},
    {"L7243", "企业管理咨询", "咨询"},     {"M7320", "检测技术", "技术"},
    {"A0190", "农业发展", "种植"},         {"O8111", "汽车维修", "汽修"},
};
#define INDUSTRY_COUNT (sizeof industries / sizeof industries[0])

/* Characters used in trade names (字号). */
static const char *const syllables[] = {
    "鑫", "华", "兴", "盛", "达", "泰", "恒", "昌", "隆", "宏", "源", "通", "德", "福", "祥",
    "瑞", "丰", "嘉", "诚", "信", "利", "安", "康", "宇", "豪", "金", "辉", "明", "博", "远",
    "鼎", "晟", "正", "阳", "光", "海", "天", "方", "东", "北", "中", "新", "鞍", "钢", "宝",
    "永", "长", "久", "和", "合", "众", "益", "佳", "美", "润", "泽", "汇", "聚", "亿", "万",
    "腾", "飞", "龙", "翔", "锦", "宸", "轩", "逸", "航", "峰", "岭", "山", "川", "林", "森",
    "禾", "谷", "春", "秋", "雨", "雪", "云", "霖", "星", "辰", "晨", "旭", "昊", "睿", "智",
    "慧", "卓", "越", "凯", "优", "品", "尚", "雅", "致", "精", "匠", "创", "启", "领", "锋",
    "立", "义", "仁", "顺", "平", "吉", "庆", "喜", "乐", "欣", "悦", "怡", "馨", "兰", "松",
    "柏", "桦", "枫", "荣", "耀", "威", "振", "强", "盈", "富", "玉", "汉", "唐", "铭", "鹏",
    "骏", "驰", "帆", "舟", "岩", "石", "泉", "溪", "湖", "江", "河", "千", "岫", "凌", "霄",
};
#define SYLLABLE_COUNT (sizeof syllables / sizeof syllables[0])

/* Personal names for payee mismatches (a legal representative's own account). */
static const char *const person_names[] = {"张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆",
                                           "赵磊", "黄敏", "周杰", "吴琳"};
#define PERSON_COUNT (sizeof person_names / sizeof person_names[0])

/* Banks: CNAPS bank code, name, corporate account prefix and length. */
static const struct {
    const char *cnaps_bank;
    const char *name;
    const char *account_prefix;
    int account_len;
} banks[] = {
    {"102", "中国工商银行股份有限公司鞍山", "0704", 19},
    {"103", "中国农业银行股份有限公司鞍山", "0626", 17},
    {"104", "中国银行股份有限公司鞍山", "3190", 16},
    {"105", "中国建设银行股份有限公司鞍山", "2105", 19},
    {"301", "交通银行股份有限公司鞍山", "2180", 19},
    {"313", "鞍山银行股份有限公司", "1010", 18},
    {"403", "中国邮政储蓄银行股份有限公司鞍山", "9210", 18},
    {"308", "招商银行股份有限公司鞍山", "4129", 16},
};
#define BANK_COUNT (sizeof banks / sizeof banks[0])

static const char *const bank_branches[] = {"铁东支行", "铁西支行", "立山支行",   "千山支行",
                                            "海城支行", "台安支行", "岫岩支行",   "胜利路支行",
                                            "园林路支行", "二一九路支行", "建国路支行", "营业部"};
#define BRANCH_COUNT (sizeof bank_branches / sizeof bank_branches[0])

static const char *const active_status[] = {"存续", "存续", "存续", "存续", "存续",
                                            "存续", "存续", "存续", "存续", "存续",
                                            "存续", "存续", "存续", "存续", "存续",
                                            "存续（在营、开业、在册）", "在业", "开业", "在营", "正常"};
static const char *const inactive_status[] = {"注销", "吊销，未注销", "吊销", "撤销"};
static const char *const suspended_status[] = {"停业", "歇业", "清算", "迁出"};
#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- output */

/* One output file: rows are formatted straight into a large buffer that is
 * written with one fwrite when full. With --shuffle, a block of firms' rows
 * is kept, their order permuted, then written. */
#define SINK_FLUSH_BYTES ((size_t)8 << 20)
#define ROW_MAX_BYTES 4096

struct row_span {
    size_t start;
    size_t len;
};

struct sink {
    const char *file_name;
    FILE *file;
    char *text;               /* formatted rows not yet written */
    size_t len, cap;
    struct row_span *rows;    /* rows of text, shuffle mode only */
    size_t row_count, row_cap;
    bool shuffle;
    uint64_t rows_written;    /* data rows, header not counted */
    uint64_t bytes_written;
    bool failed;
};

static bool sink_reserve(struct sink *s, size_t more)
{
    if (s->len + more <= s->cap)
        return true;
    size_t cap = s->cap ? s->cap : SINK_FLUSH_BYTES + ROW_MAX_BYTES;
    while (cap < s->len + more)
        cap *= 2;
    char *text = realloc(s->text, cap);
    if (!text)
        return false;
    s->text = text;
    s->cap = cap;
    return true;
}

static bool sink_write(struct sink *s, const char *bytes, size_t len)
{
    if (len && fwrite(bytes, 1, len, s->file) != len) {
        s->failed = true;
        return false;
    }
    s->bytes_written += len;
    return true;
}

/* Writes what is pending: in shuffle mode the kept rows in a permuted order
 * (rng is the shuffle's own stream, not a firm's). */
static bool sink_flush(struct sink *s, rng *shuffle_rng)
{
    if (!s->shuffle) {
        bool ok = sink_write(s, s->text, s->len);
        s->len = 0;
        return ok;
    }
    for (size_t i = s->row_count; i > 1; i--) {
        size_t j = (size_t)rng_below(shuffle_rng, i);
        struct row_span t = s->rows[i - 1];
        s->rows[i - 1] = s->rows[j];
        s->rows[j] = t;
    }
    /* Gather into runs of up to a megabyte so that fwrite sees big pieces. */
    static char run[1 << 20];
    size_t run_len = 0;
    for (size_t i = 0; i < s->row_count; i++) {
        const struct row_span *r = &s->rows[i];
        if (run_len + r->len > sizeof run) {
            if (!sink_write(s, run, run_len))
                return false;
            run_len = 0;
        }
        memcpy(run + run_len, s->text + r->start, r->len);
        run_len += r->len;
    }
    bool ok = sink_write(s, run, run_len);
    s->len = 0;
    s->row_count = 0;
    return ok;
}

/* Start of a row: room for ROW_MAX_BYTES at the returned cursor. */
static char *row_begin(struct sink *s)
{
    if (!sink_reserve(s, ROW_MAX_BYTES))
        return NULL;
    return s->text + s->len;
}

/* End of a row at cursor p (after its '\n'); blank records do not count. */
static bool row_end(struct sink *s, char *p, bool counts)
{
    size_t start = s->len;
    s->len = (size_t)(p - s->text);
    if (counts)
        s->rows_written++;
    if (s->shuffle) {
        if (s->row_count == s->row_cap) {
            size_t cap = s->row_cap ? s->row_cap * 2 : 65536;
            struct row_span *rows = realloc(s->rows, cap * sizeof *rows);
            if (!rows)
                return false;
            s->rows = rows;
            s->row_cap = cap;
        }
        s->rows[s->row_count++] = (struct row_span){start, s->len - start};
        return true;
    }
    if (s->len >= SINK_FLUSH_BYTES)
        return sink_flush(s, NULL);
    return true;
}

static char *put_str(char *p, const char *str)
{
    size_t n = strlen(str);
    memcpy(p, str, n);
    return p + n;
}

static char *put_uint(char *p, uint64_t v)
{
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = digits[--n];
    return p;
}

static char *put_2digits(char *p, int v)
{
    *p++ = (char)('0' + v / 10);
    *p++ = (char)('0' + v % 10);
    return p;
}

/* Yuan with two decimals from fen, by integer arithmetic only. */
static char *put_money(char *p, rb_fen fen)
{
    p = put_uint(p, (uint64_t)(fen / 100));
    *p++ = '.';
    return put_2digits(p, (int)(fen % 100));
}

/* Yuan as the shortest equal spelling ("75" for 75.00, "75.5" for 75.50):
 * what a duplicate written by another export would look like. */
static char *put_money_short(char *p, rb_fen fen)
{
    p = put_uint(p, (uint64_t)(fen / 100));
    int cents = (int)(fen % 100);
    if (cents == 0)
        return p;
    *p++ = '.';
    *p++ = (char)('0' + cents / 10);
    if (cents % 10)
        *p++ = (char)('0' + cents % 10);
    return p;
}

struct ymd {
    int year, month, day;
};

static char *put_date(char *p, struct ymd d, bool compact)
{
    p = put_uint(p, (uint64_t)d.year);
    if (!compact)
        *p++ = '-';
    p = put_2digits(p, d.month);
    if (!compact)
        *p++ = '-';
    return put_2digits(p, d.day);
}

static char *put_period(char *p, int year, int month, bool dashed)
{
    p = put_uint(p, (uint64_t)year);
    if (dashed)
        *p++ = '-';
    return put_2digits(p, month);
}

/* How a text field is dressed: the import must read all of these the same. */
enum dress { DRESS_PLAIN, DRESS_QUOTED, DRESS_SPACES, DRESS_IDEOGRAPHIC_SPACE };

static char *put_text(char *p, const char *str, enum dress dress)
{
    switch (dress) {
    case DRESS_PLAIN:
        return put_str(p, str);
    case DRESS_QUOTED:
        *p++ = '"';
        for (; *str; str++) {
            if (*str == '"')
                *p++ = '"';
            *p++ = *str;
        }
        *p++ = '"';
        return p;
    case DRESS_SPACES:
        p = put_str(p, " ");
        p = put_str(p, str);
        return put_str(p, "  ");
    case DRESS_IDEOGRAPHIC_SPACE:
        p = put_str(p, "\xE3\x80\x80");
        p = put_str(p, str);
        return put_str(p, "\t");
    }
    return p;
}

/* ---------------------------------------------------------------- firms */

#define MONTHS 24 /* (A-1)01 .. A12 */
#define NAME_MAX_BYTES 256

struct firm {
    rng rng;
    uint64_t index;
    bool has_registration, has_unit, has_contributions;
    bool cases[CASE_COUNT];

    char uscc[RB_USCC_LEN + 1];
    char name[NAME_MAX_BYTES];         /* registered name */
    char unit_name[NAME_MAX_BYTES];
    char account_name[NAME_MAX_BYTES];
    const char *status;
    struct ymd established_on, deregistered_on, insured_on;
    bool deregistered;
    unsigned region, industry;
    const char *industry_code;         /* as written; "" when not given */
    const char *dishonesty;            /* as written: "", "0", "否", "1", "是", "Y" */
    const char *ui_status;
    const char *account_source;        /* "", "对公", "税务" */
    char bank_name[NAME_MAX_BYTES];
    char bank_account[64];
    char bank_code[16];
    char unit_no[16];
    bool compact_dates;                /* YYYYMMDD rather than YYYY-MM-DD */
    bool explicit_zero_claimants;      /* "0" rather than empty */

    /* Where the planted faults go: which file (enum extract, or NO_FILE) and,
     * for contributions, which month. */
    int bad_date_file;
    int bad_money_month, bad_check_month;
    int dup_exact_file, dup_conflict_file, dup_month, conflict_month;
    int lower_case_file, padded_file, quoted_file;

    bool present[MONTHS];
    int insured_count[MONTHS];
    rb_fen employer_due[MONTHS], employer_paid[MONTHS];
    rb_fen employee_due[MONTHS], employee_paid[MONTHS];
    int new_claimants[MONTHS];
};

struct params {
    uint64_t firms;
    uint64_t seed;
    int policy_year;
    int data_year;   /* A = Y - 1 */
    bool shuffle;
    bool stats;
    const char *out_dir;
    uint64_t night;   /* 1: the first night's extracts; K: with nights 2..K's changes */
    uint64_t changed_permille;
};

/* A bijection of [0, 2^29) keyed by the seed, so organisation codes look
 * random yet never repeat: xor, odd multiply, xorshift and add are each
 * invertible modulo 2^29. */
#define ORG_BITS 29
static uint64_t org_permute(uint64_t x, uint64_t seed)
{
    const uint64_t mask = ((uint64_t)1 << ORG_BITS) - 1;
    uint64_t key = mix64(seed);
    x = (x ^ key) & mask;
    x = (x * 0x2545F491ULL) & mask;
    x ^= x >> 13;
    x = (x * 0x1B873593ULL) & mask;
    x ^= x >> 11;
    x = (x + (key >> 32)) & mask;
    return x;
}

static const char uscc_charset[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* GB 11714 check character of an 8-character organisation code body. */
static char org_check_char(const char body[8])
{
    static const int weights[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 8; i++) {
        char c = body[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c - 'A' + 10;
        sum += v * weights[i];
    }
    int check = 11 - sum % 11;
    return check == 10 ? 'X' : check == 11 ? '0' : (char)('0' + check);
}

static void make_uscc(struct firm *f, const struct params *prm, bool new_style, const char *region)
{
    char *u = f->uscc;
    u[0] = '9';
    uint64_t kind = rng_below(&f->rng, 100);
    u[1] = kind < 93 ? '1' : kind < 99 ? '2' : '3'; /* company, individual business, co-operative */
    memcpy(u + 2, region, 6);
    /* Organisation part: "MA" for codes issued since 2015, two digits before;
     * six characters from the unique permuted index; GB 11714 check. */
    char *body = u + 8;
    if (new_style) {
        body[0] = 'M';
        body[1] = 'A';
    } else {
        body[0] = (char)('0' + rng_below(&f->rng, 8));
        body[1] = (char)('0' + rng_below(&f->rng, 10));
    }
    uint64_t serial = org_permute(f->index, prm->seed);
    for (int i = 7; i >= 2; i--) {
        body[i] = uscc_charset[serial % 31];
        serial /= 31;
    }
    body[8] = org_check_char(body);
    u[17] = rb_uscc_check_char(u);
    u[18] = '\0';
}

static size_t append(char *dst, size_t at, const char *src)
{
    size_t n = strlen(src);
    if (at + n >= NAME_MAX_BYTES)
        n = NAME_MAX_BYTES - 1 - at;
    memcpy(dst + at, src, n);
    dst[at + n] = '\0';
    return at + n;
}

static int days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

static struct ymd random_date_in_month(rng *r, int year, int month)
{
    return (struct ymd){year, month, (int)rng_range(r, 1, days_in_month(year, month))};
}

static struct ymd random_date_between_years(rng *r, int first_year, int last_year)
{
    int year = (int)rng_range(r, first_year, last_year);
    return random_date_in_month(r, year, (int)rng_range(r, 1, 12));
}

static bool date_before(struct ymd a, struct ymd b)
{
    if (a.year != b.year)
        return a.year < b.year;
    if (a.month != b.month)
        return a.month < b.month;
    return a.day < b.day;
}

static int period_year(const struct params *prm, int k)
{
    return prm->data_year - 1 + k / 12;
}

static void mark(struct firm *f, enum gen_case c)
{
    f->cases[c] = true;
}

static bool draw(struct firm *f, enum gen_case c)
{
    if (!rng_chance(&f->rng, case_table[c].permille))
        return false;
    mark(f, c);
    return true;
}

/* Staff size: most firms 1-10, some up to 300, a long tail to ~5,000. */
static int draw_headcount(rng *r)
{
    uint64_t band = rng_below(r, 1000);
    if (band < 800) {
        /* skewed to the smallest firms, as the register is */
        int a = (int)rng_below(r, 10), b = (int)rng_below(r, 10);
        return 1 + (a < b ? a : b);
    }
    if (band < 950)
        return (int)rng_range(r, 11, 50);
    if (band < 990)
        return (int)rng_range(r, 51, 300);
    uint64_t u = rng_below(r, 1000);
    return 301 + (int)(4700 * u * u * u / 1000000000);
}

/* 0.5 % of the wage bill, half up: Liaoning's employer and employee rate. */
static rb_fen due_of(int insured_count, rb_fen monthly_wage)
{
    return ((rb_fen)insured_count * monthly_wage * 5 + 500) / 1000;
}

static void make_contributions(struct firm *f, const struct params *prm)
{
    rng *r = &f->rng;
    int first = 0, last = MONTHS - 1;
    uint64_t history = rng_below(r, 1000);
    unsigned stopped = case_table[CASE_STOPPED].permille;
    unsigned shortm = stopped + case_table[CASE_SHORT_MONTHS].permille;
    unsigned joined = shortm + case_table[CASE_JOINED_PREV_YEAR].permille;
    if (history < stopped) {
        mark(f, CASE_STOPPED);
        last = (int)rng_range(r, 2, 11);
    } else if (history < shortm) {
        mark(f, CASE_SHORT_MONTHS);
        first = 12 + (int)rng_range(r, 1, 10);
    } else if (history < joined) {
        mark(f, CASE_JOINED_PREV_YEAR);
        first = (int)rng_range(r, 1, 11);
    }
    if (first > 0) {
        f->insured_on = random_date_in_month(r, period_year(prm, first), first % 12 + 1);
    } else {
        f->insured_on = random_date_between_years(r, 2000, prm->data_year - 2);
    }
    if (date_before(f->insured_on, f->established_on))
        f->established_on = f->insured_on;

    int headcount = draw_headcount(r);
    bool layoff = draw(f, CASE_LAYOFF);
    if (layoff && headcount < 4)
        headcount = (int)rng_range(r, 4, 10);
    rb_fen wage = rng_range(r, 3000, 8000) * 100;
    if (rng_chance(r, 20))
        wage = rng_range(r, 8000, 20000) * 100;
    /* Contribution bases are reset yearly; most rise a little. */
    rb_fen wage_a = wage * (1000 + rng_range(r, 0, 80)) / 1000 / 100 * 100;

    for (int k = 0; k < MONTHS; k++) {
        f->present[k] = k >= first && k <= last;
        f->insured_count[k] = headcount;
        f->new_claimants[k] = 0;
    }
    /* Large firms move a little every month; small ones stay put. */
    if (headcount > 10) {
        int swing = headcount / 20;
        for (int k = 0; k < MONTHS; k++)
            f->insured_count[k] = headcount + (int)rng_range(r, -swing, swing);
    }
    if (layoff) {
        int fall_month = 12 + (int)rng_range(r, 2, 10);
        int fall = headcount * (int)rng_range(r, 30, 60) / 100;
        if (fall < 1)
            fall = 1;
        for (int k = fall_month; k < MONTHS; k++)
            f->insured_count[k] -= fall;
        f->new_claimants[fall_month] = (int)rng_range(r, 1, fall);
    } else if (headcount <= 10 && draw(f, CASE_GROWTH)) {
        int hire_month = 12 + (int)rng_range(r, 1, 11);
        for (int k = hire_month; k < MONTHS; k++)
            f->insured_count[k] += 1;
    }
    if (draw(f, CASE_CLAIMANTS)) {
        int k = 12 + (int)rng_range(r, 0, 11);
        f->new_claimants[k] += rng_chance(r, 800) ? 1 : 2;
    }

    for (int k = 0; k < MONTHS; k++) {
        rb_fen w = k < 12 ? wage : wage_a;
        f->employer_due[k] = f->employer_paid[k] = due_of(f->insured_count[k], w);
        f->employee_due[k] = f->employee_paid[k] = due_of(f->insured_count[k], w);
    }
    int a_first = first > 12 ? first : 12;
    if (last >= 12 && draw(f, CASE_ZERO_MONTH)) {
        int k = (int)rng_range(r, a_first, last);
        f->insured_count[k] = 0;
        f->employer_due[k] = f->employer_paid[k] = 0;
        f->employee_due[k] = f->employee_paid[k] = 0;
        f->new_claimants[k] = 0;
    }
    if (last >= 12 && draw(f, CASE_ARREARS)) {
        int months = rng_chance(r, 700) ? 1 : 2;
        for (int i = 0; i < months; i++) {
            int k = (int)rng_range(r, a_first, last);
            if (rng_chance(r, 600))
                f->employer_paid[k] = 0;
            else
                f->employer_paid[k] = f->employer_due[k] / 2;
            if (rng_chance(r, 500))
                f->employee_paid[k] = 0;
        }
    }
    if (first < 12 && draw(f, CASE_ARREARS_PREV_ONLY)) {
        int k = (int)rng_range(r, first, last < 11 ? last : 11);
        f->employer_paid[k] = f->employer_due[k] / 3;
    }
    if (draw(f, CASE_OVERPAID)) {
        int k = (int)rng_range(r, first, last);
        f->employer_paid[k] = f->employer_due[k] * 2;
        f->employee_paid[k] = f->employee_due[k] * 2;
    }
    if (last >= 12 && a_first < last && draw(f, CASE_GAP_MONTH)) {
        int k = (int)rng_range(r, a_first + 1, last);
        f->present[k] = false;
    }
    f->explicit_zero_claimants = rng_chance(r, 400);
}

static void make_names(struct firm *f)
{
    rng *r = &f->rng;
    char trade[32];
    size_t at = append(trade, 0, syllables[rng_below(r, SYLLABLE_COUNT)]);
    append(trade, at, syllables[rng_below(r, SYLLABLE_COUNT)]);
    const char *word = industries[f->industry].word;
    bool individual = f->uscc[1] == '2';
    bool paren = !individual && draw(f, CASE_PAREN_NAME);

    size_t n = 0;
    f->name[0] = '\0';
    if (individual) {
        n = append(f->name, n, regions[f->region].area);
        n = append(f->name, n, trade);
        n = append(f->name, n, word);
        append(f->name, n, rng_chance(r, 500) ? "店" : "部");
    } else if (paren) {
        n = append(f->name, n, trade);
        n = append(f->name, n, "（鞍山）");
        n = append(f->name, n, word);
        append(f->name, n, "有限公司");
    } else {
        n = append(f->name, n, rng_chance(r, 850) ? "鞍山市" : "鞍山");
        n = append(f->name, n, trade);
        n = append(f->name, n, word);
        append(f->name, n, rng_chance(r, 950) ? "有限公司" : "有限责任公司");
    }
    append(f->unit_name, 0, f->name);
    append(f->account_name, 0, f->name);
    if (paren && rng_chance(r, 500)) {
        /* the agency's system stores ASCII parentheses: equal after folding */
        n = append(f->unit_name, 0, trade);
        n = append(f->unit_name, n, "(鞍山)");
        n = append(f->unit_name, n, word);
        append(f->unit_name, n, "有限公司");
        append(f->account_name, 0, f->unit_name);
    }
    if (draw(f, CASE_NAME_MISMATCH)) {
        /* the unit still carries the name from before a change of name */
        n = append(f->unit_name, 0, "鞍山市");
        n = append(f->unit_name, n, trade);
        n = append(f->unit_name, n, industries[f->industry].old_word);
        append(f->unit_name, n, "有限公司");
    }
}

static void make_account(struct firm *f)
{
    rng *r = &f->rng;
    unsigned bank = (unsigned)rng_below(r, BANK_COUNT);
    size_t n = append(f->bank_name, 0, banks[bank].name);
    append(f->bank_name, n, bank_branches[rng_below(r, BRANCH_COUNT)]);

    /* CNAPS code: bank (3), city (4; 2230 = 鞍山), branch (4), check (1). */
    char *code = f->bank_code;
    memcpy(code, banks[bank].cnaps_bank, 3);
    memcpy(code + 3, "2230", 4);
    for (int i = 7; i < 12; i++)
        code[i] = (char)('0' + rng_below(r, 10));
    code[12] = '\0';
    if (draw(f, CASE_NO_BANK_CODE))
        code[0] = '\0';
    if (draw(f, CASE_BAD_BANK_CODE))
        code[11] = '\0'; /* 11 digits: a row error */

    char digits[40];
    int len = banks[bank].account_len;
    memcpy(digits, banks[bank].account_prefix, 4);
    for (int i = 4; i < len; i++)
        digits[i] = (char)('0' + rng_below(r, 10));
    digits[len] = '\0';
    char *acct = f->bank_account;
    if (draw(f, CASE_NO_ACCOUNT)) {
        acct[0] = '\0';
        f->bank_name[0] = '\0';
        f->bank_code[0] = '\0';
    } else if (draw(f, CASE_INVALID_ACCOUNT)) {
        switch (rng_below(r, 3)) {
        case 0: /* cut short */
            memcpy(acct, digits, 6);
            acct[6] = '\0';
            break;
        case 1: /* a letter typed for a digit */
            strcpy(acct, digits);
            acct[len / 2] = 'O';
            break;
        default: /* full-width digits pasted from a document */
            strcpy(acct, "\xEF\xBC\x90\xEF\xBC\x97\xEF\xBC\x90\xEF\xBC\x94");
            strcat(acct, digits + 4);
            break;
        }
    } else if (draw(f, CASE_SPACED_ACCOUNT)) {
        const char *sep = rng_chance(r, 500) ? " " : "-";
        size_t at = 0;
        for (int i = 0; i < len; i++) {
            if (i && i % 4 == 0)
                acct[at++] = *sep;
            acct[at++] = digits[i];
        }
        acct[at] = '\0';
    } else {
        strcpy(acct, digits);
    }

    uint64_t src = rng_below(r, 1000);
    f->account_source = src < 700 ? "" : "对公";
    if (acct[0] && draw(f, CASE_TAX_ACCOUNT))
        f->account_source = "税务";
    if (draw(f, CASE_PAYEE_MISMATCH)) {
        if (rng_chance(r, 500))
            f->account_name[0] = '\0';
        else
            append(f->account_name, 0, person_names[rng_below(r, PERSON_COUNT)]);
    }
}


enum extract { NO_FILE = -1, FILE_REGISTRATION, FILE_UNITS, FILE_CONTRIBUTIONS, FILE_COUNT };

static const char *const extract_names[FILE_COUNT] = {"registration.csv", "insured_units.csv",
                                                      "contributions.csv"};
static const char *const extract_headers[FILE_COUNT] = {
    "uscc,name,status,established_on,deregistered_on,region_code,industry_code,serious_dishonesty\n",
    "uscc,unit_no,unit_name,insured_on,ui_status,account_name,bank_name,bank_account,"
    "account_source,bank_code\n",
    "uscc,period,insured_count,employer_due,employer_paid,employee_due,employee_paid,"
    "new_claimants\n",
};

/* One of the extracts the firm has, or NO_FILE; contributions weigh most
 * because they hold most of the rows. */
static int pick_file(struct firm *f)
{
    int choices[FILE_COUNT + 2], n = 0;
    if (f->has_registration)
        choices[n++] = FILE_REGISTRATION;
    if (f->has_unit)
        choices[n++] = FILE_UNITS;
    if (f->has_contributions) {
        choices[n++] = FILE_CONTRIBUTIONS;
        choices[n++] = FILE_CONTRIBUTIONS;
        choices[n++] = FILE_CONTRIBUTIONS;
    }
    return n ? choices[rng_below(&f->rng, (uint64_t)n)] : NO_FILE;
}

/* A month that has a row with something due, or -1. */
static int pick_month(struct firm *f)
{
    int months[MONTHS], n = 0;
    for (int k = 0; k < MONTHS; k++)
        if (f->present[k] && f->employer_due[k] > 0)
            months[n++] = k;
    return n ? months[rng_below(&f->rng, (uint64_t)n)] : -1;
}

/* Decides where the bad rows, duplicates and dressing of this firm go. */
static void place_faults(struct firm *f)
{
    f->bad_date_file = f->dup_exact_file = f->dup_conflict_file = NO_FILE;
    f->lower_case_file = f->padded_file = f->quoted_file = NO_FILE;
    f->bad_money_month = f->bad_check_month = f->dup_month = f->conflict_month = -1;

    if (draw(f, CASE_BAD_DATE)) {
        if (f->has_registration && (!f->has_unit || rng_chance(&f->rng, 500)))
            f->bad_date_file = FILE_REGISTRATION;
        else if (f->has_unit)
            f->bad_date_file = FILE_UNITS;
    }
    if (draw(f, CASE_BAD_MONEY))
        f->bad_money_month = pick_month(f);
    if (draw(f, CASE_BAD_CHECK_CHAR))
        f->bad_check_month = pick_month(f);
    if (draw(f, CASE_DUP_EXACT)) {
        f->dup_exact_file = pick_file(f);
        f->dup_month = pick_month(f);
    }
    if (draw(f, CASE_DUP_CONFLICT)) {
        f->dup_conflict_file = pick_file(f);
        f->conflict_month = pick_month(f);
    }
    if (draw(f, CASE_LOWER_CASE))
        f->lower_case_file = pick_file(f);
    if (draw(f, CASE_PADDED))
        f->padded_file = pick_file(f);
    if (draw(f, CASE_QUOTED))
        f->quoted_file = rng_chance(&f->rng, 500) ? FILE_REGISTRATION : FILE_UNITS;
    draw(f, CASE_BLANK_LINE);
}

/* Everything about firm `index`; nothing depends on any other firm. */
static void make_firm(struct firm *f, const struct params *prm, uint64_t index)
{
    memset(f->cases, 0, sizeof f->cases);
    f->index = index;
    f->rng.state = mix64(prm->seed ^ 0x6A09E667F3BCC909ULL) ^ mix64(index + 1);
    rng *r = &f->rng;

    uint64_t population = rng_below(r, 1000);
    unsigned reg_only = case_table[CASE_REG_ONLY].permille;
    unsigned reg_missing = reg_only + case_table[CASE_REG_MISSING].permille;
    unsigned unit_missing = reg_missing + case_table[CASE_UNIT_MISSING].permille;
    f->has_registration = f->has_unit = f->has_contributions = true;
    if (population < reg_only) {
        mark(f, CASE_REG_ONLY);
        f->has_unit = f->has_contributions = false;
    } else if (population < reg_missing) {
        mark(f, CASE_REG_MISSING);
        f->has_registration = false;
    } else if (population < unit_missing) {
        mark(f, CASE_UNIT_MISSING);
        f->has_unit = false;
    }

    uint64_t pick = rng_below(r, 1000), acc = 0;
    f->region = 0;
    for (unsigned i = 0; i < REGION_COUNT; i++) {
        acc += regions[i].permille;
        if (pick < acc) {
            f->region = i;
            break;
        }
    }
    f->established_on = random_date_between_years(r, 1998, prm->data_year - 1);
    make_uscc(f, prm, f->established_on.year >= 2015, regions[f->region].code);
    f->industry = (unsigned)rng_below(r, INDUSTRY_COUNT);
    f->industry_code = rng_chance(r, 50) ? "" : industries[f->industry].code;
    f->compact_dates = rng_chance(r, 100);

    f->status = active_status[rng_below(r, COUNT_OF(active_status))];
    f->deregistered = false;
    if (draw(f, CASE_REG_INACTIVE)) {
        f->status = inactive_status[rng_below(r, COUNT_OF(inactive_status))];
        if (strcmp(f->status, "注销") == 0) {
            f->deregistered = true;
            f->deregistered_on = random_date_in_month(r, prm->policy_year, (int)rng_range(r, 1, 3));
        }
    } else if (draw(f, CASE_REG_SUSPENDED)) {
        f->status = suspended_status[rng_below(r, COUNT_OF(suspended_status))];
    }
    static const char *const honest[] = {"", "", "", "0", "否", "N"};
    static const char *const listed[] = {"1", "是", "Y"};
    f->dishonesty = honest[rng_below(r, COUNT_OF(honest))];
    if (draw(f, CASE_DISHONEST))
        f->dishonesty = listed[rng_below(r, COUNT_OF(listed))];

    make_names(f);
    if (draw(f, CASE_LABOUR_DISPATCH))
        f->industry_code = rng_chance(r, 500) ? "L7263" : "7263";

    f->ui_status = rng_chance(r, 800) ? "正常" : "参保缴费";
    if (draw(f, CASE_UI_TERMINATED))
        f->ui_status = rng_chance(r, 500) ? "终止" : "注销";
    else if (draw(f, CASE_UI_SUSPENDED))
        f->ui_status = "暂停缴费";
    make_account(f);
    char *u = put_str(f->unit_no, "2103");
    uint64_t serial = org_permute(index, prm->seed + 1) % 100000000;
    for (int i = 7; i >= 0; i--) {
        u[i] = (char)('0' + serial % 10);
        serial /= 10;
    }
    u[8] = '\0';

    make_contributions(f, prm);
    place_faults(f);
}

/* ---------------------------------------------------------------- later nights */

/* What a real night changes in a few firms: a new account, an arrear paid,
 * a headcount corrected, a new rejected row. Night k (2..K) changes each
 * firm with probability changed_permille/1000, drawn from a stream of its
 * own seeded from (seed, k, firm), so night K's extracts are night K-1's
 * with one more night of changes, and the first night's rows of every firm
 * not drawn are the same bytes. Returns how many changes were applied. */
static uint64_t firms_changed;

static void change_firm(struct firm *f, const struct params *prm)
{
    bool changed = false;
    for (uint64_t k = 2; k <= prm->night; k++) {
        rng r = {mix64(prm->seed ^ 0x4E6967687400ULL ^ mix64(k)) ^ mix64(f->index + 1)};
        if (!rng_chance(&r, (unsigned)prm->changed_permille))
            continue;
        if (!f->has_contributions && !f->has_unit)
            continue;
        int kind = (int)rng_below(&r, 4);
        int month = -1; /* a month of A with a row */
        for (int tries = 0; tries < 12 && month < 0; tries++) {
            int m = 12 + (int)rng_below(&r, 12);
            if (f->present[m])
                month = m;
        }
        if (kind == 0 && f->has_unit && f->bank_account[0]) { /* a new account */
            size_t len = strlen(f->bank_account);
            for (size_t i = len; i-- > 0;)
                if (f->bank_account[i] >= '0' && f->bank_account[i] <= '9') {
                    f->bank_account[i] = (char)('0' + (f->bank_account[i] - '0' + 1) % 10);
                    break;
                }
            changed = true;
            continue;
        }
        if (kind == 1 && f->has_contributions) { /* an arrear paid */
            bool paid = false;
            for (int m = 12; m < MONTHS && !paid; m++)
                if (f->present[m] && (f->employer_paid[m] < f->employer_due[m] ||
                                      f->employee_paid[m] < f->employee_due[m])) {
                    f->employer_paid[m] = f->employer_due[m];
                    f->employee_paid[m] = f->employee_due[m];
                    paid = true;
                }
            if (paid) {
                changed = true;
                continue;
            }
            kind = 2; /* nothing owed: a month paid late instead becomes a correction */
        }
        if (kind == 3 && month >= 0 && f->bad_money_month < 0 && f->bad_check_month != month) {
            f->bad_money_month = month; /* a new rejected row */
            changed = true;
            continue;
        }
        if (month >= 0) { /* a corrected headcount */
            f->insured_count[month] += f->insured_count[month] > 1 && rng_chance(&r, 500) ? -1 : 1;
            changed = true;
        }
    }
    firms_changed += changed;
}

/* ---------------------------------------------------------------- rows */

static char *put_uscc(char *p, const struct firm *f, int file)
{
    if (f->lower_case_file != file)
        return put_str(p, f->uscc);
    for (int i = 0; i < RB_USCC_LEN; i++) {
        char c = f->uscc[i];
        *p++ = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    return p;
}

static enum dress text_dress(const struct firm *f, int file)
{
    if (f->padded_file == file)
        return (f->index & 1) ? DRESS_SPACES : DRESS_IDEOGRAPHIC_SPACE;
    if (f->quoted_file == file)
        return DRESS_QUOTED;
    return DRESS_PLAIN;
}

/* An impossible date in one of three spellings. */
static char *put_bad_date(char *p, struct ymd d, uint64_t variant)
{
    switch (variant % 3) {
    case 0: /* a day after the end of the month */
        d.day = days_in_month(d.year, d.month) + 1;
        return put_date(p, d, false);
    case 1: /* slashes */
        p = put_uint(p, (uint64_t)d.year);
        *p++ = '/';
        p = put_2digits(p, d.month);
        *p++ = '/';
        return put_2digits(p, d.day);
    default: /* month 13 */
        d.month = 13;
        return put_date(p, d, false);
    }
}

enum reg_variant { REG_AS_IS, REG_OTHER_SPELLING, REG_CONFLICTING, REG_BAD_DATE };

static bool write_registration_row(struct sink *s, const struct firm *f, enum reg_variant v)
{
    char *p = row_begin(s);
    if (!p)
        return false;
    enum dress dress = text_dress(f, FILE_REGISTRATION);
    bool compact = v == REG_OTHER_SPELLING ? !f->compact_dates : f->compact_dates;
    struct ymd established = f->established_on;
    if (v == REG_CONFLICTING)
        established.year -= 1;
    p = put_uscc(p, f, FILE_REGISTRATION);
    *p++ = ',';
    p = put_text(p, f->name, dress);
    *p++ = ',';
    p = put_text(p, f->status, dress == DRESS_QUOTED ? DRESS_PLAIN : dress);
    *p++ = ',';
    if (v == REG_BAD_DATE)
        p = put_bad_date(p, established, f->index);
    else
        p = put_date(p, established, compact);
    *p++ = ',';
    if (f->deregistered)
        p = put_date(p, f->deregistered_on, compact);
    *p++ = ',';
    p = put_str(p, regions[f->region].code[5] == '0' ? "210302" : regions[f->region].code);
    *p++ = ',';
    p = put_str(p, f->industry_code);
    *p++ = ',';
    p = put_str(p, f->dishonesty);
    *p++ = '\n';
    return row_end(s, p, true);
}

enum unit_variant { UNIT_AS_IS, UNIT_OTHER_SPELLING, UNIT_CONFLICTING, UNIT_BAD_DATE };

static bool write_unit_row(struct sink *s, const struct firm *f, enum unit_variant v)
{
    char *p = row_begin(s);
    if (!p)
        return false;
    enum dress dress = text_dress(f, FILE_UNITS);
    if (v == UNIT_OTHER_SPELLING && dress == DRESS_PLAIN)
        dress = DRESS_QUOTED;
    p = put_uscc(p, f, FILE_UNITS);
    *p++ = ',';
    p = put_str(p, f->unit_no);
    *p++ = ',';
    p = put_text(p, f->unit_name, dress);
    *p++ = ',';
    if (v == UNIT_BAD_DATE)
        p = put_bad_date(p, f->insured_on, f->index);
    else
        p = put_date(p, f->insured_on, f->compact_dates);
    *p++ = ',';
    p = put_str(p, f->ui_status);
    *p++ = ',';
    p = put_text(p, f->account_name, f->account_name[0] ? dress : DRESS_PLAIN);
    *p++ = ',';
    if (f->quoted_file == FILE_UNITS && (f->index % 10) == 0 && f->bank_name[0]) {
        /* a bank name with a comma in it, quoted as RFC 4180 wants */
        *p++ = '"';
        p = put_str(p, f->bank_name);
        p = put_str(p, ",对公业务部\"");
    } else {
        p = put_text(p, f->bank_name, f->bank_name[0] ? dress : DRESS_PLAIN);
    }
    *p++ = ',';
    if (v == UNIT_CONFLICTING && f->bank_account[0]) {
        /* the same account with its last character changed */
        size_t len = strlen(f->bank_account);
        memcpy(p, f->bank_account, len);
        p[len - 1] = p[len - 1] == '1' ? '2' : '1';
        p += len;
    } else if (v == UNIT_CONFLICTING) {
        p = put_str(p, "0704123456789012345");
    } else {
        p = put_str(p, f->bank_account);
    }
    *p++ = ',';
    p = put_str(p, f->account_source);
    *p++ = ',';
    p = put_str(p, f->bank_code);
    *p++ = '\n';
    return row_end(s, p, true);
}

enum contribution_variant { CONTRIB_AS_IS, CONTRIB_OTHER_SPELLING, CONTRIB_CONFLICTING,
                            CONTRIB_BAD_MONEY, CONTRIB_BAD_CHECK_CHAR };

/* A malformed amount in one of four spellings. */
static char *put_bad_money(char *p, rb_fen fen, uint64_t variant)
{
    switch (variant % 4) {
    case 0:
        *p++ = '-';
        return put_money(p, fen);
    case 1:
        p = put_money(p, fen);
        return put_str(p, "元");
    case 2:
        p = put_money(p, fen);
        *p++ = '0';
        return p;
    default: { /* full-width digits: U+FF10.. is EF BC 90.. */
        char ascii[32];
        char *end = put_money(ascii, fen);
        for (char *c = ascii; c < end; c++) {
            if (*c == '.') {
                *p++ = '.';
                continue;
            }
            *p++ = '\xEF';
            *p++ = '\xBC';
            *p++ = (char)(0x90 + (*c - '0'));
        }
        return p;
    }
    }
}

static bool write_contribution_row(struct sink *s, const struct firm *f, const struct params *prm,
                                   int k, enum contribution_variant v)
{
    char *p = row_begin(s);
    if (!p)
        return false;
    bool other = v == CONTRIB_OTHER_SPELLING;
    if (v == CONTRIB_BAD_CHECK_CHAR) {
        memcpy(p, f->uscc, 17);
        /* the next character of the set: always wrong, always in the set */
        const char *at = strchr(uscc_charset, f->uscc[17]);
        p[17] = at[1] ? at[1] : uscc_charset[0];
        p += 18;
    } else {
        p = put_uscc(p, f, FILE_CONTRIBUTIONS);
    }
    *p++ = ',';
    p = put_period(p, period_year(prm, k), k % 12 + 1, other);
    *p++ = ',';
    int count = f->insured_count[k] + (v == CONTRIB_CONFLICTING);
    p = put_uint(p, (uint64_t)count);
    *p++ = ',';
    char *(*money)(char *, rb_fen) = other ? put_money_short : put_money;
    p = money(p, f->employer_due[k]);
    *p++ = ',';
    if (v == CONTRIB_BAD_MONEY)
        p = put_bad_money(p, f->employer_paid[k], f->index);
    else
        p = money(p, f->employer_paid[k] + (v == CONTRIB_CONFLICTING ? 100 : 0));
    *p++ = ',';
    p = money(p, f->employee_due[k]);
    *p++ = ',';
    p = money(p, f->employee_paid[k]);
    *p++ = ',';
    if (f->new_claimants[k] || f->explicit_zero_claimants)
        p = put_uint(p, (uint64_t)f->new_claimants[k]);
    *p++ = '\n';
    return row_end(s, p, true);
}

static bool write_blank_record(struct sink *s, int commas)
{
    char *p = row_begin(s);
    if (!p)
        return false;
    for (int i = 0; i < commas; i++)
        *p++ = ',';
    *p++ = '\n';
    return row_end(s, p, false);
}

static bool write_firm(struct sink sinks[FILE_COUNT], const struct firm *f, const struct params *prm)
{
    if (f->has_registration) {
        struct sink *s = &sinks[FILE_REGISTRATION];
        bool ok = write_registration_row(s, f, f->bad_date_file == FILE_REGISTRATION ? REG_BAD_DATE
                                                                                    : REG_AS_IS);
        if (ok && f->dup_exact_file == FILE_REGISTRATION)
            ok = write_registration_row(s, f, (f->index & 1) ? REG_OTHER_SPELLING : REG_AS_IS);
        if (ok && f->dup_conflict_file == FILE_REGISTRATION)
            ok = write_registration_row(s, f, REG_CONFLICTING);
        if (ok && f->cases[CASE_BLANK_LINE])
            ok = write_blank_record(s, 7);
        if (!ok)
            return false;
    }
    if (f->has_unit) {
        struct sink *s = &sinks[FILE_UNITS];
        bool ok = write_unit_row(s, f, f->bad_date_file == FILE_UNITS ? UNIT_BAD_DATE : UNIT_AS_IS);
        if (ok && f->dup_exact_file == FILE_UNITS)
            ok = write_unit_row(s, f, (f->index & 1) ? UNIT_OTHER_SPELLING : UNIT_AS_IS);
        if (ok && f->dup_conflict_file == FILE_UNITS)
            ok = write_unit_row(s, f, UNIT_CONFLICTING);
        if (!ok)
            return false;
    }
    if (f->has_contributions) {
        struct sink *s = &sinks[FILE_CONTRIBUTIONS];
        for (int k = 0; k < MONTHS; k++) {
            if (!f->present[k])
                continue;
            enum contribution_variant v = CONTRIB_AS_IS;
            if (k == f->bad_money_month)
                v = CONTRIB_BAD_MONEY;
            else if (k == f->bad_check_month)
                v = CONTRIB_BAD_CHECK_CHAR;
            if (!write_contribution_row(s, f, prm, k, v))
                return false;
            if (k == f->dup_month && f->dup_exact_file == FILE_CONTRIBUTIONS && v == CONTRIB_AS_IS &&
                !write_contribution_row(s, f, prm, k,
                                        (f->index & 1) ? CONTRIB_OTHER_SPELLING : CONTRIB_AS_IS))
                return false;
            if (k == f->conflict_month && f->dup_conflict_file == FILE_CONTRIBUTIONS &&
                !write_contribution_row(s, f, prm, k, CONTRIB_CONFLICTING))
                return false;
        }
    }
    return true;
}

/* ---------------------------------------------------------------- stats */

/* Counts a firm's cases where they are visible: registration cases only when
 * the firm has a registration row, and nothing but "registration only" for
 * a firm that is not insured. */
static void count_cases(const struct firm *f)
{
    if (f->cases[CASE_REG_ONLY]) {
        case_counts[CASE_REG_ONLY]++;
        return;
    }
    for (int c = 0; c < CASE_COUNT; c++) {
        if (!f->cases[c])
            continue;
        bool registration_case = c == CASE_REG_INACTIVE || c == CASE_REG_SUSPENDED ||
                                 c == CASE_DISHONEST || c == CASE_LABOUR_DISPATCH;
        bool unit_case = c == CASE_UI_TERMINATED || c == CASE_UI_SUSPENDED ||
                         c == CASE_NAME_MISMATCH || c == CASE_PAYEE_MISMATCH ||
                         c == CASE_NO_ACCOUNT || c == CASE_INVALID_ACCOUNT ||
                         c == CASE_TAX_ACCOUNT || c == CASE_SPACED_ACCOUNT ||
                         c == CASE_NO_BANK_CODE || c == CASE_BAD_BANK_CODE;
        if (registration_case && !f->has_registration)
            continue;
        if (unit_case && !f->has_unit)
            continue;
        if (c == CASE_BAD_DATE && f->bad_date_file == NO_FILE)
            continue;
        if ((c == CASE_BAD_MONEY && f->bad_money_month < 0) ||
            (c == CASE_BAD_CHECK_CHAR && f->bad_check_month < 0))
            continue;
        if ((c == CASE_DUP_EXACT && (f->dup_exact_file == NO_FILE ||
                                     (f->dup_exact_file == FILE_CONTRIBUTIONS &&
                                      (f->dup_month < 0 || f->dup_month == f->bad_money_month ||
                                       f->dup_month == f->bad_check_month)))) ||
            (c == CASE_DUP_CONFLICT && (f->dup_conflict_file == NO_FILE ||
                                        (f->dup_conflict_file == FILE_CONTRIBUTIONS &&
                                         f->conflict_month < 0))))
            continue;
        if (c == CASE_BLANK_LINE && !f->has_registration)
            continue;
        case_counts[c]++;
    }
}

/* ---------------------------------------------------------------- main */

static int usage_error(const char *message)
{
    fprintf(stderr, "gen_extracts: %s\n%s", message, usage_text);
    return 64;
}

static bool parse_u64(const char *text, uint64_t *out)
{
    if (!text || !*text)
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || text[0] == '-')
        return false;
    *out = v;
    return true;
}

static int parse_args(int argc, char **argv, struct params *prm)
{
    uint64_t year = 2024;
    prm->seed = 1;
    prm->night = 1;
    prm->changed_permille = 10;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            return -1;
        } else if (strcmp(a, "--shuffle") == 0) {
            prm->shuffle = true;
        } else if (strcmp(a, "--stats") == 0) {
            prm->stats = true;
        } else if (strcmp(a, "--night") == 0) {
            if (!parse_u64(value, &prm->night) || prm->night < 1 || prm->night > 100000)
                return usage_error("--night wants a number from 1 to 100000");
            i++;
        } else if (strcmp(a, "--changed") == 0) {
            if (!parse_u64(value, &prm->changed_permille) || prm->changed_permille > 1000)
                return usage_error("--changed wants a per mille from 0 to 1000");
            i++;
        } else if (strcmp(a, "--firms") == 0) {
            if (!parse_u64(value, &prm->firms) || prm->firms < 1 ||
                prm->firms > 500000000) /* within the 2^29 organisation codes */
                return usage_error("--firms wants a number from 1 to 500000000");
            i++;
        } else if (strcmp(a, "--seed") == 0) {
            if (!parse_u64(value, &prm->seed))
                return usage_error("--seed wants a non-negative integer");
            i++;
        } else if (strcmp(a, "--policy-year") == 0) {
            if (!parse_u64(value, &year) || year < 2002 || year > 9998)
                return usage_error("--policy-year wants a year from 2002 to 9998");
            i++;
        } else if (strcmp(a, "--out") == 0) {
            if (!value || !*value)
                return usage_error("--out wants a folder");
            prm->out_dir = value;
            i++;
        } else {
            fprintf(stderr, "gen_extracts: unknown argument '%s'\n", a);
            return usage_error("see the usage");
        }
    }
    if (!prm->firms)
        return usage_error("--firms is required");
    if (!prm->out_dir)
        return usage_error("--out is required");
    prm->policy_year = (int)year;
    prm->data_year = (int)year - 1;
    return 0;
}

int main(int argc, char **argv)
{
    struct params prm = {0};
    int status = parse_args(argc, argv, &prm);
    if (status)
        return status < 0 ? 0 : status;

    struct sink sinks[FILE_COUNT] = {0};
    uint32_t *order = NULL;
    char path[4096];
    status = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    if (mkdir(prm.out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "gen_extracts: cannot create '%s': %s\n", prm.out_dir, strerror(errno));
        status = 73;
        goto out;
    }
    for (int i = 0; i < FILE_COUNT; i++) {
        struct sink *s = &sinks[i];
        s->file_name = extract_names[i];
        s->shuffle = prm.shuffle;
        snprintf(path, sizeof path, "%s/%s", prm.out_dir, s->file_name);
        s->file = fopen(path, "wb");
        if (!s->file) {
            fprintf(stderr, "gen_extracts: cannot write '%s': %s\n", path, strerror(errno));
            status = 73;
            goto out;
        }
        setvbuf(s->file, NULL, _IONBF, 0); /* we hand fwrite big blocks already */
        if (!sink_write(s, extract_headers[i], strlen(extract_headers[i])))
            goto write_failed;
    }

    /* --shuffle: firms in a seeded permuted order, and the rows of each block
     * of firms permuted among themselves, so rows of one firm end up far apart
     * and duplicates no longer follow the row they repeat. */
    rng shuffle_rng = {mix64(prm.seed ^ 0x5368756666ULL)};
    const uint64_t block_firms = 8192;
    if (prm.shuffle) {
        order = malloc(prm.firms * sizeof *order);
        if (!order) {
            fprintf(stderr, "gen_extracts: out of memory\n");
            status = 70;
            goto out;
        }
        for (uint64_t i = 0; i < prm.firms; i++)
            order[i] = (uint32_t)i;
        for (uint64_t i = prm.firms; i > 1; i--) {
            uint64_t j = rng_below(&shuffle_rng, i);
            uint32_t t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
    }

    static struct firm firm;
    uint64_t insured = 0;
    for (uint64_t i = 0; i < prm.firms; i++) {
        make_firm(&firm, &prm, order ? order[i] : i);
        if (prm.night > 1)
            change_firm(&firm, &prm);
        if (!firm.cases[CASE_REG_ONLY])
            insured++;
        if (prm.stats)
            count_cases(&firm);
        if (!write_firm(sinks, &firm, &prm))
            goto write_failed;
        if (prm.shuffle && ((i + 1) % block_firms == 0 || i + 1 == prm.firms)) {
            for (int k = 0; k < FILE_COUNT; k++)
                if (!sink_flush(&sinks[k], &shuffle_rng))
                    goto write_failed;
        }
    }
    for (int k = 0; k < FILE_COUNT; k++) {
        if (!sink_flush(&sinks[k], &shuffle_rng))
            goto write_failed;
        FILE *file = sinks[k].file;
        sinks[k].file = NULL;
        if (fclose(file) != 0) {
            sinks[k].failed = true;
            goto write_failed;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);

    uint64_t total_bytes = 0;
    for (int k = 0; k < FILE_COUNT; k++)
        total_bytes += sinks[k].bytes_written;
    long long ms = (long long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    printf("gen_extracts: %" PRIu64 " firms (seed %" PRIu64 ", policy year %d%s): "
           "registration %" PRIu64 " rows, insured_units %" PRIu64 " rows, contributions %" PRIu64
           " rows, %" PRIu64 " bytes in %lld.%03lld s\n",
           prm.firms, prm.seed, prm.policy_year, prm.shuffle ? ", shuffled" : "",
           sinks[FILE_REGISTRATION].rows_written, sinks[FILE_UNITS].rows_written,
           sinks[FILE_CONTRIBUTIONS].rows_written, total_bytes, ms / 1000, ms % 1000);
    if (prm.night > 1)
        printf("gen_extracts: night %" PRIu64 ": %" PRIu64 " firms changed since the first night (%" PRIu64
               " per mille a night)\n",
               prm.night, firms_changed, prm.changed_permille);
    if (prm.stats) {
        for (int c = 0; c < CASE_COUNT; c++) {
            uint64_t of = case_table[c].of_all ? prm.firms : insured;
            /* per cent with two decimals, integer arithmetic, half up */
            uint64_t hundredths = of ? (case_counts[c] * 10000 * 2 + of) / (2 * of) : 0;
            printf("  %-24s %10" PRIu64 "  %3" PRIu64 ".%02" PRIu64 " %% of %s firms (planned %u.%u %%)\n",
                   case_table[c].name, case_counts[c], hundredths / 100, hundredths % 100,
                   case_table[c].of_all ? "all" : "insured", case_table[c].permille / 10,
                   case_table[c].permille % 10);
        }
    }
    goto out;

write_failed:
    {
        const char *failed_file = "an output file (out of memory)";
        for (int k = 0; k < FILE_COUNT; k++)
            if (sinks[k].failed)
                failed_file = sinks[k].file_name;
        fprintf(stderr, "gen_extracts: cannot write %s in '%s': %s\n", failed_file, prm.out_dir,
                strerror(errno ? errno : EIO));
    }
    status = 73;
out:
    for (int k = 0; k < FILE_COUNT; k++) {
        if (sinks[k].file)
            fclose(sinks[k].file);
        free(sinks[k].text);
        free(sinks[k].rows);
    }
    free(order);
    return status;
}
