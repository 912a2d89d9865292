/* Chinese words for the numbers explain prints beside the measures:
 * periods ("2020年12月") and permille caps as percents ("20%", "5.5%"),
 * by integer arithmetic. Two-decimal fractions are rb_ratio_format and
 * rb_percent_format of money.h. */
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
