/* One firm's month of contributions as the snapshot stores it (packed per
 * firm, rebate/snapshot.h) and the rules read it. A plain row of the store,
 * so that the store needs nothing of the stages above it. */
#ifndef REBATE_MONTHS_H
#define REBATE_MONTHS_H

#include <stdint.h>

#include "rebate/money.h"

/* One loaded contribution row; money in fen. */
typedef struct rb_month {
    int32_t period;        /* YYYYMM */
    int64_t insured_count;
    rb_fen employer_due, employer_paid, employee_due, employee_paid;
    int64_t new_claimants;
    int64_t line;          /* line in contributions.csv */
} rb_month;

#endif
