/* The official working-day calendar: one file per year (data/holidays/,
 * compiled in, plus a folder read at run time), and counting the n-th
 * working day after a date. Format of a year's file:
 *
 *     # comment
 *     2021-02-07 班 春节调休上班
 *     2021-02-11 休 春节
 *
 * 休 = a day off (public holiday or bridged day), 班 = a make-up working day,
 * which must be a Saturday or Sunday; days not listed follow the week. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebate/data_files.h"
#include "rebate/date.h"
#include "rebate/strbuf.h"
#include "rebate/workdays.h"

#define FIRST_YEAR 1900
#define LAST_YEAR 2199
#define YEARS (LAST_YEAR - FIRST_YEAR + 1)
#define MAX_FILE_BYTES (256 * 1024)

/* One listed day: its date and whether it is worked. */
typedef struct listed_day {
    int32_t day;
    bool working;
} listed_day;

struct rb_workdays {
    bool known[YEARS];
    listed_day *days; /* sorted by day */
    size_t n, alloc;
};

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int32_t civil_from_days(int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    return (int32_t)(y * 10000 + m * 100 + d);
}

int32_t rb_date_add_days(int32_t day, int n)
{
    return civil_from_days(days_from_civil(day / 10000, day / 100 % 100, day % 100) + n);
}

int rb_date_weekday(int32_t day)
{
    int64_t z = days_from_civil(day / 10000, day / 100 % 100, day % 100);
    /* 1970-01-01 was a Thursday (3). */
    int64_t w = (z + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

char *rb_date_format_zh(int32_t day, char buf[32])
{
    snprintf(buf, 32, "%d年%d月%d日", (int)(day / 10000), (int)(day / 100 % 100), (int)(day % 100));
    return buf;
}

rb_workdays *rb_workdays_new(void)
{
    return calloc(1, sizeof(rb_workdays));
}

void rb_workdays_free(rb_workdays *cal)
{
    if (cal == NULL)
        return;
    free(cal->days);
    free(cal);
}

bool rb_workdays_knows_year(const rb_workdays *cal, int year)
{
    return cal != NULL && year >= FIRST_YEAR && year <= LAST_YEAR && cal->known[year - FIRST_YEAR];
}

static int compare_days(const void *a, const void *b)
{
    int32_t x = ((const listed_day *)a)->day, y = ((const listed_day *)b)->day;
    return (x > y) - (x < y);
}

static const listed_day *find_day(const rb_workdays *cal, int32_t day)
{
    listed_day key = {.day = day};
    return cal->n ? bsearch(&key, cal->days, cal->n, sizeof key, compare_days) : NULL;
}

bool rb_workdays_is_working(const rb_workdays *cal, int32_t day, bool *provisional)
{
    bool weekday = rb_date_weekday(day) < 5;
    if (!rb_workdays_knows_year(cal, day / 10000)) {
        if (provisional)
            *provisional = true;
        return weekday;
    }
    const listed_day *d = find_day(cal, day);
    return d != NULL ? d->working : weekday;
}

int32_t rb_workdays_after(const rb_workdays *cal, int32_t day, int n, bool *provisional)
{
    int32_t d = day;
    for (int counted = 0; counted < n;) {
        d = rb_date_add_days(d, 1);
        if (rb_workdays_is_working(cal, d, provisional))
            counted++;
    }
    return d;
}

int rb_workdays_year_to_add(const rb_workdays *cal, int32_t today)
{
    int year = today / 10000;
    if (!rb_workdays_knows_year(cal, year))
        return year;
    if (today % 10000 >= 1201 && !rb_workdays_knows_year(cal, year + 1))
        return year + 1;
    return 0;
}

/* Removes the listed days of a year. */
static void drop_year(rb_workdays *cal, int year)
{
    size_t kept = 0;
    for (size_t i = 0; i < cal->n; i++)
        if (cal->days[i].day / 10000 != year)
            cal->days[kept++] = cal->days[i];
    cal->n = kept;
}

rb_status rb_workdays_add_year(rb_workdays *cal, int year, const char *name, const char *text, rb_error *err)
{
    if (year < FIRST_YEAR || year > LAST_YEAR)
        return rb_fail(err, RB_E_CONFIG, "holiday calendar '%s': the year %d is out of range", name, year);
    /* Parse into a list of its own first: a bad file changes nothing. */
    listed_day *days = NULL;
    size_t n = 0, alloc = 0;
    int line = 0;
    const char *p = text;
    rb_status st = RB_OK;
    while (*p != '\0' && st == RB_OK) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *next = end ? end + 1 : p + len;
        line++;
        if (len > 0 && p[len - 1] == '\r')
            len--;
        size_t lead = 0;
        if (line == 1 && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
            lead = 3;
        while (lead < len && (p[lead] == ' ' || p[lead] == '\t'))
            lead++;
        if (lead == len || p[lead] == '#') {
            p = next;
            continue;
        }
        const char *s = p + lead;
        size_t rest = len - lead;
        int32_t day = 0;
        if (rest < 10 || !rb_date_parse(s, 10, &day)) {
            st = rb_fail(err, RB_E_CONFIG, "holiday calendar '%s' line %d: expected a date such as %d-10-01 first",
                         name, line, year);
            break;
        }
        if (day / 10000 != year) {
            st = rb_fail(err, RB_E_CONFIG, "holiday calendar '%s' line %d: %.10s is not in %d", name, line, s, year);
            break;
        }
        size_t i = 10;
        size_t gap = i;
        while (i < rest && (s[i] == ' ' || s[i] == '\t'))
            i++;
        bool working;
        if (i > gap && rest - i >= 3 && memcmp(s + i, "休", 3) == 0)
            working = false;
        else if (i > gap && rest - i >= 3 && memcmp(s + i, "班", 3) == 0)
            working = true;
        else {
            st = rb_fail(err, RB_E_CONFIG,
                         "holiday calendar '%s' line %d: after the date write 休 (a day off) or 班 (a make-up "
                         "working day)", name, line);
            break;
        }
        i += 3;
        if (i < rest && s[i] != ' ' && s[i] != '\t') {
            st = rb_fail(err, RB_E_CONFIG, "holiday calendar '%s' line %d: a space must follow 休 or 班", name, line);
            break;
        }
        if (working && rb_date_weekday(day) < 5) {
            st = rb_fail(err, RB_E_CONFIG,
                         "holiday calendar '%s' line %d: %.10s is a weekday; only a Saturday or Sunday can be a "
                         "make-up working day (班)", name, line, s);
            break;
        }
        for (size_t k = 0; k < n; k++)
            if (days[k].day == day) {
                st = rb_fail(err, RB_E_CONFIG, "holiday calendar '%s' line %d: %.10s is listed twice", name, line, s);
                break;
            }
        if (st != RB_OK)
            break;
        if (n == alloc) {
            size_t grown = alloc ? alloc * 2 : 64;
            listed_day *more = realloc(days, grown * sizeof *more);
            if (more == NULL) {
                st = rb_fail(err, RB_E_INTERNAL, "out of memory reading holiday calendar '%s'", name);
                break;
            }
            days = more;
            alloc = grown;
        }
        days[n].day = day;
        days[n].working = working;
        n++;
        p = next;
    }
    if (st == RB_OK) {
        drop_year(cal, year);
        if (cal->n + n > cal->alloc) {
            size_t grown = cal->n + n + 64;
            listed_day *more = realloc(cal->days, grown * sizeof *more);
            if (more == NULL)
                st = rb_fail(err, RB_E_INTERNAL, "out of memory reading holiday calendar '%s'", name);
            else {
                cal->days = more;
                cal->alloc = grown;
            }
        }
    }
    if (st == RB_OK) {
        if (n > 0)
            memcpy(cal->days + cal->n, days, n * sizeof *days);
        cal->n += n;
        qsort(cal->days, cal->n, sizeof *cal->days, compare_days);
        cal->known[year - FIRST_YEAR] = true;
    }
    free(days);
    return st;
}

/* The year of a file name "YYYY.txt", or 0. */
static int year_of_name(const char *name)
{
    if (strlen(name) != 8 || strcmp(name + 4, ".txt") != 0)
        return 0;
    int y = 0;
    for (int i = 0; i < 4; i++) {
        if (name[i] < '0' || name[i] > '9')
            return 0;
        y = y * 10 + (name[i] - '0');
    }
    return y;
}

static rb_status read_text(const char *path, rb_strbuf *out, rb_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return rb_fail(err, RB_E_CONFIG, "cannot read holiday calendar '%s': %s", path, strerror(errno));
    char buf[8192];
    size_t got;
    rb_status st = RB_OK;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        if (out->len + got > MAX_FILE_BYTES) {
            st = rb_fail(err, RB_E_CONFIG, "holiday calendar '%s' is too large to be a calendar", path);
            break;
        }
        if (!rb_strbuf_add(out, buf, got)) {
            st = rb_fail(err, RB_E_INTERNAL, "out of memory reading holiday calendar '%s'", path);
            break;
        }
    }
    if (st == RB_OK && ferror(f))
        st = rb_fail(err, RB_E_CONFIG, "cannot read holiday calendar '%s'", path);
    fclose(f);
    if (st == RB_OK && memchr(out->buf, '\0', out->len) != NULL)
        st = rb_fail(err, RB_E_CONFIG, "holiday calendar '%s' is not a text file", path);
    return st;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(a, b);
}

rb_status rb_workdays_load(const char *dir, rb_workdays **out, rb_error *err)
{
    *out = NULL;
    rb_workdays *cal = rb_workdays_new();
    if (cal == NULL)
        return rb_fail(err, RB_E_INTERNAL, "out of memory loading the holiday calendars");
    rb_status st = RB_OK;
    for (size_t i = 0; i < rb_holiday_files_count && st == RB_OK; i++) {
        int year = year_of_name(rb_holiday_files[i].name);
        if (year != 0)
            st = rb_workdays_add_year(cal, year, rb_holiday_files[i].name, rb_holiday_files[i].text, err);
    }
    DIR *d = (st == RB_OK && dir != NULL) ? opendir(dir) : NULL;
    if (st == RB_OK && dir != NULL && d == NULL && errno != ENOENT)
        st = rb_fail(err, RB_E_CONFIG, "cannot read the holiday calendar folder '%s': %s", dir, strerror(errno));
    if (d != NULL) {
        /* Read in name order, so that messages come out the same each time. */
        char names[YEARS][9];
        size_t count = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (year_of_name(e->d_name) != 0 && count < YEARS)
                memcpy(names[count++], e->d_name, 9);
        closedir(d);
        qsort(names, count, sizeof names[0], compare_names);
        for (size_t i = 0; i < count && st == RB_OK; i++) {
            rb_strbuf path = RB_STRBUF_INIT, text = RB_STRBUF_INIT;
            if (!rb_strbuf_addf(&path, "%s/%s", dir, names[i]))
                st = rb_fail(err, RB_E_INTERNAL, "out of memory loading the holiday calendars");
            if (st == RB_OK)
                st = read_text(path.buf, &text, err);
            if (st == RB_OK)
                st = rb_workdays_add_year(cal, year_of_name(names[i]), path.buf, text.buf, err);
            rb_strbuf_release(&path);
            rb_strbuf_release(&text);
        }
    }
    if (st != RB_OK) {
        rb_workdays_free(cal);
        return st;
    }
    *out = cal;
    return RB_OK;
}
