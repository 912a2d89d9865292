/* Reading and writing a policy year's parameter row as an INI file
 * (rebate/params_file.h) with libinih. Every key is one row of a table
 * (name, kind, range), as in src/util/config.c, whose line-counting reader
 * this follows: inih's own lines have no numbers, and it would cut a line
 * longer than its buffer without a word. A long legal reference goes on
 * indented continuation lines, joined as written. */
#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "rebate/ini_lines.h"
#include "rebate/money.h"
#include "rebate/params_file.h"

#define SECTION "policy_params"

typedef enum key_kind {
    KEY_INT,    /* digits only, in [min, max] */
    KEY_YUAN,   /* an amount in yuan, stored in fen, in [min, max] fen */
    KEY_CHOICE, /* one of choices */
    KEY_YES_NO, /* yes or no, stored as 1 or 0 */
    KEY_TEXT    /* non-empty text, continued on indented lines */
} key_kind;

typedef struct key {
    const char *name;
    key_kind kind;
    size_t offset; /* in rb_params_row */
    int64_t min, max;
    const char *const *choices;
    size_t size; /* KEY_CHOICE, KEY_TEXT: bytes at offset */
} key;

static const char *const FULL_MONTHS_RULES[] = {"cumulative", "data_year", NULL};
static const char *const LAYOFF_METHODS[] = {"december_stock", "claimants", NULL};
static const char *const HEADCOUNT_BASES[] = {"december", "average", NULL};

#define INT_KEY(name, min, max) {#name, KEY_INT, offsetof(rb_params_row, name), min, max, NULL, 0}
#define CHOICE_KEY(name, choices) \
    {#name, KEY_CHOICE, offsetof(rb_params_row, name), 0, 0, choices, sizeof ((rb_params_row *)0)->name}

/* The ranges: rates are percent of the contributions paid; the layoff
 * figures per mille; headcounts people; months months; the review
 * threshold yuan (at most 100 million). docs/rules.md lists them. */
static const key KEYS[] = {
    {"policy_year", KEY_INT, offsetof(rb_params_row, policy_year), 2000, 9999, NULL, 0},
    INT_KEY(rate_smm_pct, 0, 100),
    INT_KEY(rate_large_pct, 0, 100),
    INT_KEY(layoff_target_permille, 0, 1000),
    INT_KEY(small_unit_layoff_cap_permille, 0, 1000),
    CHOICE_KEY(full_months_rule, FULL_MONTHS_RULES),
    {"tax_account_allowed", KEY_YES_NO, offsetof(rb_params_row, tax_account_allowed), 0, 1, NULL, 0},
    CHOICE_KEY(layoff_method, LAYOFF_METHODS),
    INT_KEY(scope_max_headcount, 1, 100000),
    INT_KEY(small_unit_max_headcount, 1, 100000),
    INT_KEY(min_full_months, 0, 120),
    INT_KEY(large_firm_min_headcount, 1, 10000000),
    {"review_amount", KEY_YUAN, offsetof(rb_params_row, review_amount_fen), 0, INT64_C(10000000000), NULL, 0},
    CHOICE_KEY(headcount_basis, HEADCOUNT_BASES),
    {"legal_reference", KEY_TEXT, offsetof(rb_params_row, legal_reference), 0, 0, NULL,
     sizeof ((rb_params_row *)0)->legal_reference},
};
#define N_KEYS (sizeof KEYS / sizeof KEYS[0])

typedef struct parse_state {
    const char *path;
    rb_ini_lines in; /* the file, line by line */
    rb_params_row *row;
    int seen_line[N_KEYS];
    int last_key;
    rb_error error; /* the first mistake */
} parse_state;

static int key_error(parse_state *ps, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int key_error(parse_state *ps, const char *name, const char *fmt, ...)
{
    char detail[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    rb_fail(&ps->error, RB_E_DATA, "parameter file '%s' line %d, key '%s': %s", ps->path, ps->in.line, name, detail);
    ps->in.stop = true;
    return 0;
}

static bool digits_only(const char *v)
{
    return v[0] != '\0' && strspn(v, "0123456789") == strlen(v) && strlen(v) <= 18;
}

static int apply(parse_state *ps, const key *k, const char *value)
{
    char *base = (char *)ps->row;
    switch (k->kind) {
    case KEY_INT: {
        if (!digits_only(value))
            return key_error(ps, k->name, "'%s' is not a whole number from %" PRId64 " to %" PRId64, value, k->min,
                             k->max);
        int64_t v = 0;
        sscanf(value, "%" SCNd64, &v);
        if (v < k->min || v > k->max)
            return key_error(ps, k->name, "%s is not from %" PRId64 " to %" PRId64, value, k->min, k->max);
        if (k->offset == offsetof(rb_params_row, policy_year))
            ps->row->policy_year = (int)v;
        else
            memcpy(base + k->offset, &v, sizeof v);
        return 1;
    }
    case KEY_YUAN: {
        rb_fen fen = 0;
        char lo[RB_MONEY_BUFSZ], hi[RB_MONEY_BUFSZ];
        if (rb_money_parse(value, strlen(value), &fen) != RB_MONEY_OK || fen < k->min || fen > k->max)
            return key_error(ps, k->name, "'%s' is not an amount in yuan from %s to %s (such as 20000.00)", value,
                             rb_money_format(k->min, lo), rb_money_format(k->max, hi));
        int64_t v = fen;
        memcpy(base + k->offset, &v, sizeof v);
        return 1;
    }
    case KEY_CHOICE:
        for (const char *const *c = k->choices; *c != NULL; c++)
            if (strcmp(*c, value) == 0) {
                snprintf(base + k->offset, k->size, "%s", value);
                return 1;
            }
        return key_error(ps, k->name, "'%s' is not %s or %s", value, k->choices[0], k->choices[1]);
    case KEY_YES_NO: {
        int64_t v = strcmp(value, "yes") == 0 ? 1 : strcmp(value, "no") == 0 ? 0 : -1;
        if (v < 0)
            return key_error(ps, k->name, "'%s' is not yes or no", value);
        memcpy(base + k->offset, &v, sizeof v);
        return 1;
    }
    case KEY_TEXT: {
        char *text = base + k->offset;
        size_t used = strlen(text);
        if (value[0] == '\0')
            return key_error(ps, k->name, "is empty; name the notice(s) the row rests on (number and title)");
        if (used + strlen(value) >= k->size)
            return key_error(ps, k->name, "longer than %zu bytes", k->size - 1);
        memcpy(text + used, value, strlen(value) + 1);
        return 1;
    }
    }
    return key_error(ps, k->name, "has no known kind");
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    parse_state *ps = user;
    if (ps->in.stop)
        return 0;
    int index = -1;
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(KEYS[i].name, name) == 0)
            index = (int)i;
    int previous = ps->last_key;
    ps->last_key = index;
    bool continued = ps->in.line_indented && index >= 0 && index == previous && ps->seen_line[index] != 0 &&
                     ps->seen_line[index] != ps->in.line;
    if (continued && KEYS[index].kind != KEY_TEXT)
        return key_error(ps, name, "an indented line continues its value; only legal_reference may go on");
    if (strcmp(section, SECTION) != 0)
        return section[0] == '\0' ? key_error(ps, name, "it comes before the [%s] section; put it inside", SECTION)
                                  : key_error(ps, name, "it is in section [%s]; every key belongs in [%s]", section,
                                              SECTION);
    if (index < 0)
        return key_error(ps, name, "unknown key; the keys are those of data/params/example-2026.ini");
    if (!continued && ps->seen_line[index] != 0)
        return key_error(ps, name, "given twice (first on line %d)", ps->seen_line[index]);
    if (!continued)
        ps->seen_line[index] = ps->in.line;
    return apply(ps, &KEYS[index], value);
}

rb_status rb_params_file_read(const char *path, rb_params_row *row, rb_error *err)
{
    memset(row, 0, sizeof *row);
    parse_state ps = {.path = path, .row = row, .last_key = -1};
    ps.in.file = fopen(path, "re");
    if (ps.in.file == NULL) {
        if (errno == EACCES)
            return rb_fail(err, RB_E_NOPERM, "cannot read parameter file '%s': no read access to the file", path);
        return rb_fail(err, RB_E_NOINPUT, "cannot read parameter file '%s': %s", path, strerror(errno));
    }
    int rc = ini_parse_stream(rb_ini_read_line, &ps.in, on_key, &ps);
    if (ps.in.too_long_line != 0) /* the reading stopped there: no error after it */
        rb_fail(&ps.error, RB_E_DATA,
                "parameter file '%s' line %d: longer than %d bytes (continue a long legal_reference on indented "
                "lines)",
                path, ps.in.too_long_line, ps.in.too_long_max);
    rb_status st = RB_OK;
    if (ps.in.read_errno != 0)
        st = rb_fail(err, RB_E_NOINPUT, "cannot read parameter file '%s': %s", path, strerror(ps.in.read_errno));
    else if (rc == -2)
        st = rb_fail(err, RB_E_INTERNAL, "out of memory reading parameter file '%s'", path);
    else if (ps.error.status != RB_OK && (rc <= 0 || rc >= ps.in.line))
        st = rb_fail(err, ps.error.status, "%s", ps.error.message);
    else if (rc > 0)
        st = rb_fail(err, RB_E_DATA, "parameter file '%s' line %d: not a 'key = value' line, a [section] or a comment",
                     path, rc);
    else if (ps.error.status != RB_OK)
        st = rb_fail(err, ps.error.status, "%s", ps.error.message);
    for (size_t i = 0; st == RB_OK && i < N_KEYS; i++)
        if (ps.seen_line[i] == 0)
            st = rb_fail(err, RB_E_DATA, "parameter file '%s': key '%s' is missing from section [%s]", path,
                         KEYS[i].name, SECTION);
    fclose(ps.in.file);
    if (st != RB_OK)
        memset(row, 0, sizeof *row);
    return st;
}

/* True when text may be cut before byte at: between two characters, and
 * with no space or tab on either side. */
static bool clean_cut(const char *text, size_t at)
{
    unsigned char next = (unsigned char)text[at], prev = (unsigned char)text[at - 1];
    return (next & 0xC0) != 0x80 && next != ' ' && next != '\t' && prev != ' ' && prev != '\t';
}

void rb_params_file_write(const rb_params_row *r, FILE *out)
{
    char review[RB_MONEY_BUFSZ];
    fprintf(out,
            "[" SECTION "]\n"
            "policy_year = %d\n"
            "rate_smm_pct = %" PRId64 "\n"
            "rate_large_pct = %" PRId64 "\n"
            "layoff_target_permille = %" PRId64 "\n"
            "small_unit_layoff_cap_permille = %" PRId64 "\n"
            "full_months_rule = %s\n"
            "tax_account_allowed = %s\n"
            "layoff_method = %s\n"
            "scope_max_headcount = %" PRId64 "\n"
            "small_unit_max_headcount = %" PRId64 "\n"
            "min_full_months = %" PRId64 "\n"
            "large_firm_min_headcount = %" PRId64 "\n"
            "review_amount = %s\n"
            "headcount_basis = %s\n"
            "legal_reference = ",
            r->policy_year, r->rate_smm_pct, r->rate_large_pct, r->layoff_target_permille,
            r->small_unit_layoff_cap_permille, r->full_months_rule, r->tax_account_allowed ? "yes" : "no",
            r->layoff_method, r->scope_max_headcount, r->small_unit_max_headcount, r->min_full_months,
            r->large_firm_min_headcount, rb_money_format(r->review_amount_fen, review), r->headcount_basis);
    /* Lines of at most about 150 bytes, cut between characters (UTF-8
     * continuation bytes are 10xxxxxx), the rest indented. The reader trims
     * every line, so a cut never has a space or tab beside it, or the file
     * shown would not add back the same text. */
    const char *p = r->legal_reference;
    size_t left = strlen(p);
    bool first = true;
    while (left > 0) {
        size_t n = left < 150 ? left : 150;
        size_t cut = n;
        while (cut > 1 && cut < left && !clean_cut(p, cut))
            cut--;
        if (cut < left && !clean_cut(p, cut)) /* nothing but blanks: the longest cut between characters */
            for (cut = n; cut < left && ((unsigned char)p[cut] & 0xC0) == 0x80;)
                cut++;
        n = cut;
        fprintf(out, "%s%.*s\n", first ? "" : "    ", (int)n, p);
        p += n;
        left -= n;
        first = false;
    }
    if (first)
        fputs("\n", out);
}
