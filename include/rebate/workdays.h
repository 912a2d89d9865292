/* Working days on the official calendar: weekends and public holidays off,
 * the State Council's make-up working days (调休) on. The calendar of each
 * year is one file <year>.txt (data/holidays/, compiled in; a folder read
 * at run time adds next year's or replaces a year). A year with no file is
 * counted Monday to Friday and the dates that needed it are provisional
 * (暂按周末计算). See docs/report.md. */
#ifndef REBATE_WORKDAYS_H
#define REBATE_WORKDAYS_H

#include <stdbool.h>
#include <stdint.h>

#include "rebate/error.h"

typedef struct rb_workdays rb_workdays;

/* The compiled-in calendars, then every <year>.txt of dir (NULL or a
 * missing folder: none); a file of dir replaces the compiled-in one of its
 * year. A bad file is RB_E_CONFIG naming the file and line. */
rb_status rb_workdays_load(const char *dir, rb_workdays **out, rb_error *err);

/* Adds the calendar of one year from text (the format of data/holidays);
 * `name` is for messages. Replaces what the calendar held for that year. */
rb_status rb_workdays_add_year(rb_workdays *cal, int year, const char *name, const char *text, rb_error *err);

/* An empty calendar (every year missing), for tests. */
rb_workdays *rb_workdays_new(void);
void rb_workdays_free(rb_workdays *cal);

/* True when the calendar has a file for the year. */
bool rb_workdays_knows_year(const rb_workdays *cal, int year);

/* True when the day (YYYYMMDD) is a working day; *provisional (may be
 * NULL) is set to true when its year has no calendar. */
bool rb_workdays_is_working(const rb_workdays *cal, int32_t day, bool *provisional);

/* The n-th working day after `day` (n = 0: the day itself). *provisional
 * (may be NULL) is set to true when a day counted lies in a year without a
 * calendar; it is never cleared. */
int32_t rb_workdays_after(const rb_workdays *cal, int32_t day, int n, bool *provisional);

/* The year whose calendar the bureau should add on `today`: this year's
 * when it is missing, else from 1 December next year's when it is missing;
 * 0 when nothing is missing. The nightly log warns while it is not 0. */
int rb_workdays_year_to_add(const rb_workdays *cal, int32_t today);

/* Notice days after the as-of date, then this many to the due date. */
#define RB_DUE_WORKING_DAYS 5

/* Calendar arithmetic on YYYYMMDD dates. */
int32_t rb_date_add_days(int32_t day, int n);
int rb_date_weekday(int32_t day); /* 0 = Monday ... 6 = Sunday */

/* "YYYY年M月D日" (what people read); buf holds at least 32 bytes. */
char *rb_date_format_zh(int32_t day, char buf[32]);

#endif
