/* Dates and periods: strict parsing of the two forms the extracts allow, with
 * the calendar check delegated to the C library's own arithmetic (timegm). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rebate/date.h"

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int digits_value(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

bool rb_date_valid(int y, int m, int d)
{
    if (y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    /* timegm normalises an impossible day (Feb 30 -> Mar 2); a date is real
     * when it comes back unchanged. */
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_hour = 12;
    time_t t = timegm(&tm);
    struct tm back;
    if (gmtime_r(&t, &back) == NULL)
        return false;
    return back.tm_year == y - 1900 && back.tm_mon == m - 1 && back.tm_mday == d;
}

bool rb_date_parse(const char *text, size_t len, int32_t *out)
{
    int y, m, d;
    if (len == 10 && text[4] == '-' && text[7] == '-' && all_digits(text, 4) &&
        all_digits(text + 5, 2) && all_digits(text + 8, 2)) {
        y = digits_value(text, 4);
        m = digits_value(text + 5, 2);
        d = digits_value(text + 8, 2);
    } else if (len == 8 && all_digits(text, 8)) {
        y = digits_value(text, 4);
        m = digits_value(text + 4, 2);
        d = digits_value(text + 6, 2);
    } else {
        return false;
    }
    if (!rb_date_valid(y, m, d))
        return false;
    *out = y * 10000 + m * 100 + d;
    return true;
}

bool rb_period_parse(const char *text, size_t len, int32_t *out)
{
    int y, m;
    if (len == 7 && text[4] == '-' && all_digits(text, 4) && all_digits(text + 5, 2)) {
        y = digits_value(text, 4);
        m = digits_value(text + 5, 2);
    } else if (len == 6 && all_digits(text, 6)) {
        y = digits_value(text, 4);
        m = digits_value(text + 4, 2);
    } else {
        return false;
    }
    if (y < 1000 || m < 1 || m > 12)
        return false;
    *out = y * 100 + m;
    return true;
}

char *rb_date_format(int32_t v, char buf[11])
{
    unsigned y = (unsigned)(v / 10000) % 10000u, m = (unsigned)(v / 100 % 100) % 100u, d = (unsigned)(v % 100) % 100u;
    snprintf(buf, 11, "%04u-%02u-%02u", y, m, d);
    return buf;
}

int32_t rb_date_today(void)
{
    time_t now = time(NULL);
    struct tm tm;
    if (localtime_r(&now, &tm) == NULL)
        return 0;
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

char *rb_china_date_of_utc(const char *iso_utc, char buf[11])
{
    int y, mo, d, h, mi, s;
    char tail;
    struct tm tm = {0};
    if (iso_utc != NULL && sscanf(iso_utc, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &tail) == 7 &&
        tail == 'Z' && rb_date_valid(y, mo, d) && h >= 0 && h < 24) {
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h + 8; /* timegm normalises an hour past 23 into the next day */
        time_t t = timegm(&tm);
        struct tm china;
        if (t != (time_t)-1 && gmtime_r(&t, &china) != NULL && china.tm_year + 1900 <= 9999)
            return rb_date_format((china.tm_year + 1900) * 10000 + (china.tm_mon + 1) * 100 + china.tm_mday, buf);
    }
    snprintf(buf, 11, "%.10s", iso_utc != NULL ? iso_utc : "");
    return buf;
}

char *rb_now_utc(char buf[32])
{
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm) == NULL || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, 32, "unknown");
    return buf;
}

int32_t rb_period_add(int32_t yyyymm, int months)
{
    int index = (yyyymm / 100) * 12 + (yyyymm % 100 - 1) + months;
    return (index / 12) * 100 + index % 12 + 1;
}
