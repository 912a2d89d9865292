/* Calendar dates and contribution periods as the extracts write them.
 * A date is kept as the integer YYYYMMDD, a period as YYYYMM, so that both
 * compare and sort as numbers and print back unambiguously. */
#ifndef REBATE_DATE_H
#define REBATE_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* `YYYY-MM-DD` or `YYYYMMDD`, a real calendar date (year 1000-9999).
 * Returns false and leaves *out alone otherwise. */
bool rb_date_parse(const char *text, size_t len, int32_t *out_yyyymmdd);

/* `YYYYMM` or `YYYY-MM`, month 01-12 (year 1000-9999). */
bool rb_period_parse(const char *text, size_t len, int32_t *out_yyyymm);

/* True when y/m/d names a day of the Gregorian calendar. */
bool rb_date_valid(int y, int m, int d);

/* Writes YYYYMMDD as "YYYY-MM-DD" into buf (11 bytes); returns buf. */
char *rb_date_format(int32_t yyyymmdd, char buf[11]);

/* Today's date in local time, as YYYYMMDD. */
int32_t rb_date_today(void);

/* The current time as ISO 8601 UTC ("2026-11-27T20:18:07Z") in buf (32 bytes). */
char *rb_now_utc(char buf[32]);

/* The date in China (UTC+8, which keeps no summer time) of an ISO 8601 UTC
 * time such as rb_now_utc writes, "YYYY-MM-DD" in buf (11 bytes): the day a
 * clerk in the bureau saw it happen, whatever the server's time zone. A
 * text that is no such time gives its first 10 bytes. Returns buf. */
char *rb_china_date_of_utc(const char *iso_utc, char buf[11]);

/* The period `months` months after (before, if negative) yyyymm. */
int32_t rb_period_add(int32_t yyyymm, int months);

#endif
