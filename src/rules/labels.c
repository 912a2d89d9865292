/* Codes, labels and levels of the reasons as read from the reason table
 * (reasons.c), the outcome codes and labels, and the formatting of a set of
 * reasons. Everything that prints a code or a label reads it from here. */
#include <stdio.h>
#include <string.h>

#include "rebate/rules.h"
#include "rules/rules_internal.h"

static const struct outcome_row {
    const char *code;
    const char *label;
} outcome_table[] = {
    [RB_OUTCOME_PAY] = {"PAY", "拨付"},
    [RB_OUTCOME_REVIEW] = {"REVIEW", "人工复核"},
    [RB_OUTCOME_REJECT] = {"REJECT", "不予返还"},
    [RB_OUTCOME_SKIP] = {"SKIP", "跳过"},
};

const char *rb_reason_code(rb_reason reason)
{
    return (unsigned)reason < RB_R_COUNT ? rb_reason_table[reason].code : "?";
}

const char *rb_reason_label(rb_reason reason)
{
    return (unsigned)reason < RB_R_COUNT ? rb_reason_table[reason].label : "?";
}

rb_reason_level rb_reason_level_of(rb_reason reason)
{
    return (unsigned)reason < RB_R_COUNT ? rb_reason_table[reason].level : RB_LEVEL_REVIEW;
}

const char *rb_outcome_code(rb_outcome outcome)
{
    return (unsigned)outcome <= RB_OUTCOME_SKIP ? outcome_table[outcome].code : "?";
}

const char *rb_outcome_label(rb_outcome outcome)
{
    return (unsigned)outcome <= RB_OUTCOME_SKIP ? outcome_table[outcome].label : "?";
}

char *rb_reasons_format(rb_reason_set set, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    size_t used = 0;
    buf[0] = '\0';
    /* Bit order is code order (rules.h), so this prints them sorted. */
    for (int r = 0; r < RB_R_COUNT; r++) {
        if (!(set & (1u << r)))
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? ";" : "", rb_reason_code((rb_reason)r));
        if (n < 0 || (size_t)n >= size - used) {
            buf[used] = '\0'; /* never a half code */
            break;
        }
        used += (size_t)n;
    }
    return buf;
}

rb_reason rb_reason_from_code(const char *code, size_t len)
{
    for (int r = 0; r < RB_R_COUNT; r++)
        if (strlen(rb_reason_table[r].code) == len && memcmp(rb_reason_table[r].code, code, len) == 0)
            return (rb_reason)r;
    return RB_R_COUNT;
}

bool rb_reasons_parse(const char *text, rb_reason_set *out)
{
    *out = 0;
    const char *p = text;
    while (*p != '\0') {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        rb_reason r = rb_reason_from_code(p, len);
        if (r == RB_R_COUNT)
            return false;
        *out |= 1u << r;
        p += len;
        if (*p == ';')
            p++;
    }
    return true;
}
