/* The measures of docs/rules.md ("Measures"), each defined in exactly one function
 * here, in integer arithmetic (money in fen, fractions kept as num/den and
 * compared by 128-bit cross-multiplication). rb_decide (decide.c) calls
 * rb_measures_compute and nothing else computes a measure. */
#include <string.h>

#include "rebate/rules.h"
#include "rules/rules_internal.h"

/* "rows of A": contribution rows with period in A01..A12. */
static bool in_data_year(int32_t period, int32_t data_year)
{
    return period >= data_year * 100 + 1 && period <= data_year * 100 + 12;
}

/* unpaid = max(0, due - paid) of one part. */
static rb_fen part_unpaid(rb_fen due, rb_fen paid)
{
    return paid >= due ? 0 : (rb_fen)((rb_wide)due - paid > INT64_MAX ? INT64_MAX : due - paid);
}

/* counted = min(paid, due) of one part: an advance payment counts only up
 * to what was due. */
static rb_fen part_counted(rb_fen due, rb_fen paid)
{
    return paid < due ? paid : due;
}

/* A full month: both parts paid in full (paid >= due) and total due > 0.
 * Both dues are >= 0 (docs/formats.md), so "total > 0" is "either > 0", which
 * cannot overflow. */
static bool is_full_month(const rb_month *m)
{
    return m->employer_paid >= m->employer_due && m->employee_paid >= m->employee_due &&
           (m->employer_due > 0 || m->employee_due > 0);
}

/* Earliest and latest row of A, and the row of (A-1)12; NULL when none. */
struct landmarks {
    const rb_month *first_in_a, *last_in_a, *previous_december;
};

static struct landmarks find_landmarks(const rb_firm_input *firm, int32_t data_year)
{
    struct landmarks l = {NULL, NULL, NULL};
    int32_t previous_december = (data_year - 1) * 100 + 12;
    for (size_t i = 0; i < firm->n_months; i++) {
        const rb_month *m = &firm->months[i];
        if (m->period == previous_december)
            l.previous_december = m;
        if (!in_data_year(m->period, data_year))
            continue;
        if (l.first_in_a == NULL || m->period < l.first_in_a->period)
            l.first_in_a = m;
        if (l.last_in_a == NULL || m->period > l.last_in_a->period)
            l.last_in_a = m;
    }
    return l;
}

/* Σ insured_count over rows of A (the numerator of the average headcount). */
static int64_t insured_count_sum(const rb_firm_input *firm, int32_t data_year)
{
    int64_t sum = 0;
    for (size_t i = 0; i < firm->n_months; i++)
        if (in_data_year(firm->months[i].period, data_year))
            sum = rb_sat_add(sum, firm->months[i].insured_count);
    return sum;
}

static int64_t rows_in_data_year(const rb_firm_input *firm, int32_t data_year)
{
    int64_t rows = 0;
    for (size_t i = 0; i < firm->n_months; i++)
        if (in_data_year(firm->months[i].period, data_year))
            rows++;
    return rows;
}

/* headcount: december basis = insured_count of the latest period of A with
 * a row; average basis = Σ insured_count / rows of A, kept as a fraction.
 * No row in A: unknown. */
static void measure_headcount(const rb_params *params, const rb_firm_input *firm, const struct landmarks *l,
                              rb_measures *m)
{
    m->headcount_known = m->rows_in_a > 0;
    m->headcount_num = 0;
    m->headcount_den = 1;
    m->headcount_period = 0;
    if (!m->headcount_known)
        return;
    if (params->headcount_basis == RB_HEADCOUNT_AVERAGE) {
        m->headcount_num = insured_count_sum(firm, m->data_year);
        m->headcount_den = m->rows_in_a;
    } else {
        m->headcount_num = l->last_in_a->insured_count;
        m->headcount_period = l->last_in_a->period;
    }
}

/* full months: cumulative rule = full months among all rows with period <=
 * A12; data_year rule = full months among rows of A. */
static int64_t measure_full_months(const rb_params *params, const rb_firm_input *firm, int32_t data_year)
{
    int64_t full = 0;
    for (size_t i = 0; i < firm->n_months; i++) {
        const rb_month *mo = &firm->months[i];
        bool counts = params->full_months_rule == RB_FULL_MONTHS_CUMULATIVE ? mo->period <= data_year * 100 + 12
                                                                            : in_data_year(mo->period, data_year);
        if (counts && is_full_month(mo))
            full++;
    }
    return full;
}

/* arrears: Σ unpaid of both parts over rows of A. */
static rb_fen measure_arrears(const rb_firm_input *firm, int32_t data_year)
{
    rb_fen arrears = 0;
    for (size_t i = 0; i < firm->n_months; i++) {
        const rb_month *mo = &firm->months[i];
        if (!in_data_year(mo->period, data_year))
            continue;
        arrears = rb_sat_add(arrears, part_unpaid(mo->employer_due, mo->employer_paid));
        arrears = rb_sat_add(arrears, part_unpaid(mo->employee_due, mo->employee_paid));
    }
    return arrears;
}

/* base: Σ counted of both parts over rows of A. */
static rb_fen measure_base(const rb_firm_input *firm, int32_t data_year)
{
    rb_fen base = 0;
    for (size_t i = 0; i < firm->n_months; i++) {
        const rb_month *mo = &firm->months[i];
        if (!in_data_year(mo->period, data_year))
            continue;
        base = rb_sat_add(base, part_counted(mo->employer_due, mo->employer_paid));
        base = rb_sat_add(base, part_counted(mo->employee_due, mo->employee_paid));
    }
    return base;
}

/* The december_stock figures: start = insured_count at (A-1)12, or where
 * that row is missing (a new unit) at the earliest period of A with a row;
 * end = insured_count of the latest period of A with a row. */
static void measure_stock(const struct landmarks *l, rb_measures *m)
{
    const rb_month *start = l->previous_december ? l->previous_december : l->first_in_a;
    m->layoff_start = start ? start->insured_count : 0;
    m->layoff_start_period = start ? start->period : 0;
    m->layoff_end = l->last_in_a ? l->last_in_a->insured_count : 0;
    m->layoff_end_period = l->last_in_a ? l->last_in_a->period : 0;
}

/* Σ new_claimants over rows of A. */
static int64_t measure_claimants(const rb_firm_input *firm, int32_t data_year)
{
    int64_t claimants = 0;
    for (size_t i = 0; i < firm->n_months; i++)
        if (in_data_year(firm->months[i].period, data_year))
            claimants = rb_sat_add(claimants, firm->months[i].new_claimants);
    return claimants;
}

/* The layoff rate as num/den (den 0 = over every cap).
 * december_stock: (start - end) / start, 0 when start <= end or start = 0.
 * claimants: claimants / (Σ insured_count / rows of A) = claimants × rows /
 * Σ insured_count, whatever the headcount basis; 0 when no claimants; over
 * every cap when the average is 0 and there are claimants.
 * With no row in A the rate is 0 (docs/rules.md). */
static void measure_layoff_rate(const rb_params *params, const rb_firm_input *firm, rb_measures *m)
{
    m->layoff_num = 0;
    m->layoff_den = 1;
    if (m->rows_in_a == 0)
        return;
    if (params->layoff_method == RB_LAYOFF_DECEMBER_STOCK) {
        if (m->layoff_start > 0 && m->layoff_start > m->layoff_end) {
            m->layoff_num = m->layoff_start - m->layoff_end;
            m->layoff_den = m->layoff_start;
        }
        return;
    }
    if (m->claimants <= 0)
        return;
    int64_t count_sum = insured_count_sum(firm, m->data_year);
    rb_wide num = (rb_wide)m->claimants * m->rows_in_a;
    m->layoff_num = num > INT64_MAX ? INT64_MAX : (int64_t)num;
    m->layoff_den = count_sum > 0 ? count_sum : 0;
}

/* headcount <= limit, exactly (headcount known). */
static bool headcount_at_most(const rb_measures *m, int64_t limit)
{
    return rb_frac_cmp(m->headcount_num, m->headcount_den, limit, 1) <= 0;
}

/* The cap: the small-unit cap when headcount <= small_unit_max_headcount,
 * else the layoff target. Headcount unknown (no row in A): the small-unit
 * cap, as for the small firms this program is for; the rate is 0 then, so
 * the choice cannot change a decision. */
static int64_t measure_layoff_cap(const rb_params *params, const rb_measures *m)
{
    if (!m->headcount_known || headcount_at_most(m, params->small_unit_max_headcount))
        return params->small_unit_layoff_cap_permille;
    return params->layoff_target_permille;
}

/* Over the cap: rate × 1000 > cap, exactly: num × 1000 > cap × den. */
static bool measure_over_cap(const rb_measures *m)
{
    if (m->layoff_den == 0)
        return m->layoff_num > 0;
    return (rb_wide)m->layoff_num * 1000 > (rb_wide)m->layoff_cap_permille * m->layoff_den;
}

/* The rate: the large rate when headcount >= large_firm_min_headcount, else
 * the small/medium/micro rate (also when headcount is unknown: base is 0). */
static int32_t measure_rate(const rb_params *params, const rb_measures *m)
{
    if (m->headcount_known &&
        rb_frac_cmp(m->headcount_num, m->headcount_den, params->large_firm_min_headcount, 1) >= 0)
        return params->rate_large_pct;
    return params->rate_smm_pct;
}

/* amount = round_half_up(base × rate / 100) = (base × rate + 50) div 100.
 * With 0 <= rate <= 100 the result is at most base, so it fits. */
static rb_fen measure_amount(rb_fen base, int32_t rate_pct)
{
    if (base <= 0 || rate_pct <= 0)
        return 0;
    return (rb_fen)(((rb_wide)base * rate_pct + 50) / 100);
}

void rb_measures_compute(const rb_params *params, const rb_firm_input *firm, rb_measures *m)
{
    memset(m, 0, sizeof *m);
    m->data_year = params->policy_year - 1;
    struct landmarks l = find_landmarks(firm, m->data_year);
    m->rows_in_a = rows_in_data_year(firm, m->data_year);
    measure_headcount(params, firm, &l, m);
    m->full_months = measure_full_months(params, firm, m->data_year);
    m->arrears = measure_arrears(firm, m->data_year);
    m->base = measure_base(firm, m->data_year);
    measure_stock(&l, m);
    m->claimants = measure_claimants(firm, m->data_year);
    measure_layoff_rate(params, firm, m);
    m->layoff_cap_permille = measure_layoff_cap(params, m);
    m->layoff_over_cap = measure_over_cap(m);
    m->rate_pct = measure_rate(params, m);
    m->amount = measure_amount(m->base, m->rate_pct);
}

bool rb_month_is_full(const rb_month *month)
{
    return is_full_month(month);
}

rb_fen rb_month_counted(const rb_month *month)
{
    return rb_sat_add(part_counted(month->employer_due, month->employer_paid),
                      part_counted(month->employee_due, month->employee_paid));
}

rb_fen rb_month_unpaid(const rb_month *month)
{
    return rb_sat_add(part_unpaid(month->employer_due, month->employer_paid),
                      part_unpaid(month->employee_due, month->employee_paid));
}

bool rb_period_in_data_year(int32_t period, int32_t data_year)
{
    return in_data_year(period, data_year);
}
