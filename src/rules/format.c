/* Chinese words for the numbers explain prints beside the measures:
 * periods ("2020年12月") and permille caps as percents ("20%", "5.5%"),
 * by integer arithmetic. Two-decimal fractions are rb_ratio_format and
 * rb_percent_format of money.h. Bank accounts are masked to their last four
 * digits: explain is read out on the phone. */
#include <stdio.h>
#include <string.h>

#include "rules/rules_internal.h"

bool rb_period_words(int32_t period, rb_strbuf *out)
{
    return rb_strbuf_addf(out, "%d年%d月", (int)(period / 100), (int)(period % 100));
}

bool rb_permille_words(int64_t permille, rb_strbuf *out)
{
    if (permille % 10 == 0)
        return rb_strbuf_addf(out, "%lld%%", (long long)(permille / 10));
    return rb_strbuf_addf(out, "%lld.%lld%%", (long long)(permille / 10), (long long)(permille % 10));
}

const char *rb_account_masked(const char *account, char buf[RB_ACCOUNT_MASKED_BUFSZ])
{
    buf[0] = '\0';
    if (account == NULL || account[0] == '\0')
        return buf;
    size_t digits = 0;
    for (const char *p = account; *p != '\0'; p++)
        digits += *p >= '0' && *p <= '9';
    /* Fewer than RB_ACCOUNT_MIN_DIGITS is no real account, and its last
     * four would give most of it away. */
    char last[RB_ACCOUNT_SHOWN_DIGITS + 1] = "";
    if (digits >= RB_ACCOUNT_MIN_DIGITS) {
        size_t seen = 0;
        for (const char *p = account; *p != '\0'; p++)
            if (*p >= '0' && *p <= '9' && seen++ >= digits - RB_ACCOUNT_SHOWN_DIGITS)
                last[seen - 1 - (digits - RB_ACCOUNT_SHOWN_DIGITS)] = *p;
    }
    snprintf(buf, RB_ACCOUNT_MASKED_BUFSZ, "****%s", last);
    return buf;
}
