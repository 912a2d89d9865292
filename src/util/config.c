/* Loading the config file of `rebate nightly` with libinih. Every setting is
 * one row of a table (name, type, bounds, where it goes), as in Redis's
 * config.c; the checks around inih turn each mistake into one sentence
 * naming the file, line and key:
 * - lines are read through our own reader, so we know the line of every
 *   call and can refuse a line too long for inih's buffer (inih would cut
 *   it silently, and a cut path is a wrong path);
 * - inih joins an indented line to the value above it (multi-line values,
 *   on in Debian's build); we report that instead of taking the joined text;
 * - inline `; comments` need inih's INI_ALLOW_INLINE_COMMENTS, on in
 *   Debian's build (a `;` must follow white space, so `a;b` stays a value). */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rebate/ini_lines.h"
#include "rebate/config.h"
#include "rebate/strbuf.h"

typedef enum setting_type {
    SETTING_PATH,         /* a non-empty path; relative to the config file's folder */
    SETTING_YEAR_OR_AUTO, /* `auto` or a year in [min, max] */
    SETTING_CHOICE,       /* one of choices, exactly */
    SETTING_INT,          /* a whole number in [min, max], digits only */
    SETTING_TEXT,         /* non-empty text of at most max bytes */
    SETTING_DIGITS        /* digits only, from min to max of them */
} setting_type;

typedef struct setting {
    const char *name;           /* the key in [rebate] */
    setting_type type;          /* how the value is read */
    bool required;              /* a missing key is an error */
    size_t offset;              /* where it goes in rb_config */
    int min, max;               /* the bounds of the value (years, number, length) */
    const char *const *choices; /* SETTING_CHOICE: allowed values, NULL-ended */
    size_t size;                /* SETTING_CHOICE: bytes at offset */
} setting;

static const char *const ENCODINGS[] = {"auto", "utf-8", "gb18030", NULL};

/* The settings, in the order the example file lists them (and in which
 * missing keys are reported). The bounds of the fund's account follow the
 * bank file: an account of 8 to 32 digits as a payee's, a
 * CNAPS participant code of 12 digits, names of at most 140 characters
 * (pain.001's Max140Text; counted here in bytes, which is stricter). */
static const setting SETTINGS[] = {
    {"database", SETTING_PATH, true, offsetof(rb_config, database), 0, 0, NULL, 0},
    {"inbox", SETTING_PATH, true, offsetof(rb_config, inbox), 0, 0, NULL, 0},
    {"outbox", SETTING_PATH, true, offsetof(rb_config, outbox), 0, 0, NULL, 0},
    {"archive", SETTING_PATH, true, offsetof(rb_config, archive), 0, 0, NULL, 0},
    {"policy_year", SETTING_YEAR_OR_AUTO, true, offsetof(rb_config, policy_year), 2000, 9999, NULL, 0},
    {"encoding", SETTING_CHOICE, true, offsetof(rb_config, encoding), 0, 0, ENCODINGS,
     sizeof ((rb_config *)0)->encoding},
    {"notice_days", SETTING_INT, false, offsetof(rb_config, notice_days), 0, RB_CONFIG_MAX_NOTICE_DAYS, NULL,
     0},
    {"notice_contact", SETTING_TEXT, false, offsetof(rb_config, notice_contact), 1, 180, NULL, 0},
    {"holidays", SETTING_PATH, false, offsetof(rb_config, holidays), 0, 0, NULL, 0},
    {"fund_account_name", SETTING_TEXT, false, offsetof(rb_config, fund_account_name), 1, 140, NULL, 0},
    {"fund_account", SETTING_DIGITS, false, offsetof(rb_config, fund_account), RB_CONFIG_ACCOUNT_MIN_DIGITS,
     RB_CONFIG_ACCOUNT_MAX_DIGITS, NULL, 0},
    {"fund_bank_name", SETTING_TEXT, false, offsetof(rb_config, fund_bank_name), 1, 140, NULL, 0},
    {"fund_bank_code", SETTING_DIGITS, false, offsetof(rb_config, fund_bank_code), 12, 12, NULL, 0},
};
#define N_SETTINGS (sizeof SETTINGS / sizeof SETTINGS[0])
#define SECTION "rebate"

/* What the parse knows while inih runs. */
typedef struct parse_state {
    const char *path;            /* for messages */
    const char *dir;             /* the config file's folder, for relative paths */
    rb_ini_lines in;             /* the config file, line by line */
    int current_year;            /* what `auto` means */
    rb_config *config;           /* where settings go */
    int seen_line[N_SETTINGS];   /* line of each setting given, 0 when not yet */
    int last_setting;            /* index of the setting on the previous call, -1 */
    int error_line;              /* line of the first error found here, 0 when none */
    rb_error error;              /* its sentence */
} parse_state;

/* Records the first error, at the current line, and stops the parse;
 * returns 0 for inih. */
static int setting_error(parse_state *ps, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int setting_error(parse_state *ps, const char *name, const char *fmt, ...)
{
    char detail[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    ps->error_line = ps->in.line;
    rb_fail(&ps->error, RB_E_CONFIG, "config '%s' line %d, key '%s': %s", ps->path, ps->in.line, name, detail);
    ps->in.stop = true;
    return 0;
}

static int find_setting(const char *name)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (strcmp(SETTINGS[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Reads `auto` or a year of digits only; false when it is neither or out
 * of [min, max]. */
static bool parse_year(const char *value, int current_year, int min, int max, int *year, bool *is_auto)
{
    *is_auto = strcmp(value, "auto") == 0;
    if (*is_auto) {
        *year = current_year;
        return current_year >= min && current_year <= max;
    }
    size_t len = strlen(value);
    if (len == 0 || len > 4 || strspn(value, "0123456789") != len)
        return false;
    *year = atoi(value);
    return *year >= min && *year <= max;
}

/* Records running out of memory as the parse's error; 0 for inih. */
static int out_of_memory(parse_state *ps, rb_strbuf *partial)
{
    rb_strbuf_release(partial);
    ps->error_line = ps->in.line;
    rb_fail(&ps->error, RB_E_INTERNAL, "out of memory reading config '%s'", ps->path);
    ps->in.stop = true;
    return 0;
}

/* Stores the heap string text (taken over) as setting s; 1 for inih. */
static int store_string(parse_state *ps, const setting *s, char *text)
{
    *(char **)((char *)ps->config + s->offset) = text;
    return 1;
}

/* Stores a copy of value as setting s. */
static int store_copy(parse_state *ps, const setting *s, const char *value)
{
    rb_strbuf copy = RB_STRBUF_INIT;
    if (!rb_strbuf_adds(&copy, value))
        return out_of_memory(ps, &copy);
    return store_string(ps, s, copy.buf);
}

/* Checks value and stores it; 0 (with the error recorded) when it is bad. */
static int apply_setting(parse_state *ps, const setting *s, const char *value)
{
    char *base = (char *)ps->config;
    switch (s->type) {
    case SETTING_PATH: {
        if (value[0] == '\0')
            return setting_error(ps, s->name, "the value is empty; give a path");
        /* Relative to the file's own folder, so that the job finds the same
         * files from whatever folder cron or a person starts it in. */
        rb_strbuf path = RB_STRBUF_INIT;
        size_t dir_len = strlen(ps->dir);
        bool ok = value[0] == '/' || strcmp(ps->dir, ".") == 0
                      ? rb_strbuf_adds(&path, value)
                      : rb_strbuf_addf(&path, "%s%s%s", ps->dir, ps->dir[dir_len - 1] == '/' ? "" : "/", value);
        return ok ? store_string(ps, s, path.buf) : out_of_memory(ps, &path);
    }
    case SETTING_TEXT: {
        size_t len = strlen(value);
        if (len < (size_t)s->min)
            return setting_error(ps, s->name, "the value is empty; give a text or leave the key out");
        if (len > (size_t)s->max)
            return setting_error(ps, s->name, "the value is %zu bytes long, more than %d", len, s->max);
        return store_copy(ps, s, value);
    }
    case SETTING_DIGITS: {
        size_t len = strlen(value);
        if (strspn(value, "0123456789") != len || len < (size_t)s->min || len > (size_t)s->max) {
            if (s->min == s->max)
                return setting_error(ps, s->name, "'%s' is not %d digits", value, s->min);
            return setting_error(ps, s->name, "'%s' is not %d to %d digits", value, s->min, s->max);
        }
        return store_copy(ps, s, value);
    }
    case SETTING_INT: {
        size_t len = strlen(value);
        if (len == 0 || len > 6 || strspn(value, "0123456789") != len || atoi(value) < s->min ||
            atoi(value) > s->max)
            return setting_error(ps, s->name, "'%s' is not a whole number from %d to %d", value, s->min, s->max);
        *(int *)(base + s->offset) = atoi(value);
        return 1;
    }
    case SETTING_YEAR_OR_AUTO: {
        int year = 0;
        bool is_auto = false;
        if (!parse_year(value, ps->current_year, s->min, s->max, &year, &is_auto)) {
            if (is_auto)
                return setting_error(ps, s->name, "'auto' gives the current year %d, not from %d to %d",
                                     ps->current_year, s->min, s->max);
            return setting_error(ps, s->name, "'%s' is not auto or a year from %d to %d", value, s->min, s->max);
        }
        *(int *)(base + s->offset) = year;
        ps->config->policy_year_auto = is_auto;
        return 1;
    }
    case SETTING_CHOICE: {
        char allowed[200] = "";
        for (const char *const *c = s->choices; *c != NULL; c++) {
            if (strcmp(*c, value) == 0 && strlen(value) < s->size) {
                memcpy(base + s->offset, value, strlen(value) + 1);
                return 1;
            }
            size_t used = strlen(allowed);
            snprintf(allowed + used, sizeof allowed - used, "%s%s", used ? (c[1] ? ", " : " or ") : "", *c);
        }
        return setting_error(ps, s->name, "'%s' is not one of %s", value, allowed);
    }
    }
    return setting_error(ps, s->name, "has no known type");
}

/* inih's handler: one call per `key = value` line (and per continuation
 * line of a multi-line value). */
static int on_setting(void *user, const char *section, const char *name, const char *value)
{
    parse_state *ps = user;
    if (ps->in.stop)
        return 0;
    int index = find_setting(name);
    int previous = ps->last_setting;
    ps->last_setting = index;
    if (ps->in.line_indented && index >= 0 && index == previous && ps->seen_line[index] != 0 &&
        ps->seen_line[index] != ps->in.line)
        return setting_error(ps, name,
                             "an indented line continues the value of the line above; start every setting "
                             "at the beginning of a line");
    if (strcmp(section, SECTION) != 0) {
        if (section[0] == '\0')
            return setting_error(ps, name, "it comes before the [%s] section; put it inside", SECTION);
        return setting_error(ps, name, "it is in section [%s]; all settings belong in [%s]", section, SECTION);
    }
    if (index < 0) {
        char known[512] = ""; /* today's keys take 161 bytes: room for as many again */
        for (size_t i = 0; i < N_SETTINGS; i++) {
            size_t used = strlen(known);
            snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", SETTINGS[i].name);
        }
        return setting_error(ps, name, "unknown key (the keys are %s)", known);
    }
    if (ps->seen_line[index] != 0) {
        return setting_error(ps, name, "given twice (first on line %d)", ps->seen_line[index]);
    }
    ps->seen_line[index] = ps->in.line;
    return apply_setting(ps, &SETTINGS[index], value);
}

void rb_config_free(rb_config *config)
{
    if (config == NULL)
        return;
    free(config->database);
    free(config->inbox);
    free(config->outbox);
    free(config->archive);
    free(config->notice_contact);
    free(config->holidays);
    free(config->fund_account_name);
    free(config->fund_account);
    free(config->fund_bank_name);
    free(config->fund_bank_code);
    memset(config, 0, sizeof *config);
}

rb_status rb_config_load_for_year(const char *path, int current_year, rb_config *config, rb_error *err)
{
    memset(config, 0, sizeof *config);
    config->notice_days = RB_CONFIG_DEFAULT_NOTICE_DAYS;
    rb_status st = RB_OK;
    rb_strbuf dir = RB_STRBUF_INIT;
    const char *slash = strrchr(path, '/');
    bool dir_ok = slash == NULL ? rb_strbuf_adds(&dir, ".")
                  : slash == path ? rb_strbuf_adds(&dir, "/")
                                  : rb_strbuf_add(&dir, path, (size_t)(slash - path));
    if (!dir_ok) {
        rb_strbuf_release(&dir);
        return rb_fail(err, RB_E_INTERNAL, "out of memory reading config '%s'", path);
    }
    parse_state ps = {
        .path = path,
        .dir = dir.buf,
        .current_year = current_year,
        .config = config,
        .last_setting = -1,
    };
    ps.in.file = fopen(path, "re");
    if (ps.in.file == NULL) {
        int open_errno = errno;
        rb_strbuf_release(&dir);
        if (open_errno == EACCES)
            return rb_fail(err, RB_E_NOPERM, "cannot read config '%s': no read access to the file", path);
        return rb_fail(err, RB_E_CONFIG, "cannot read config '%s': %s", path, strerror(open_errno));
    }

    int rc = ini_parse_stream(rb_ini_read_line, &ps.in, on_setting, &ps);
    if (ps.in.too_long_line != 0) { /* the reading stopped there: no error after it */
        ps.error_line = ps.in.too_long_line;
        rb_fail(&ps.error, RB_E_CONFIG, "config '%s' line %d: longer than %d bytes", path, ps.in.too_long_line,
                ps.in.too_long_max);
    }
    if (ps.in.read_errno != 0) {
        st = rb_fail(err, RB_E_CONFIG, "cannot read config '%s': %s", path, strerror(ps.in.read_errno));
        goto out;
    }
    if (rc == -2) {
        st = rb_fail(err, RB_E_INTERNAL, "out of memory reading config '%s'", path);
        goto out;
    }
    /* inih reports the first line it could not read as `key = value`,
     * `[section]` or a comment; ours may come later or earlier. */
    if (rc > 0 && (ps.error_line == 0 || rc < ps.error_line)) {
        st = rb_fail(err, RB_E_CONFIG,
                     "config '%s' line %d: not a 'key = value' line, a [section] or a comment", path, rc);
        goto out;
    }
    if (ps.error_line != 0) {
        st = rb_fail(err, ps.error.status, "%s", ps.error.message);
        goto out;
    }
    for (size_t i = 0; i < N_SETTINGS; i++) {
        if (SETTINGS[i].required && ps.seen_line[i] == 0) {
            st = rb_fail(err, RB_E_CONFIG, "config '%s': key '%s' is missing from section [%s]", path,
                         SETTINGS[i].name, SECTION);
            goto out;
        }
    }
    /* The calendar folder beside the file unless the file names another
     * (docs/report.md: the bureau adds next year's calendar there). */
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (strcmp(SETTINGS[i].name, "holidays") == 0 && ps.seen_line[i] == 0 &&
            !apply_setting(&ps, &SETTINGS[i], "holidays")) {
            st = rb_fail(err, RB_E_INTERNAL, "out of memory reading config '%s'", path);
            goto out;
        }
out:
    fclose(ps.in.file);
    rb_strbuf_release(&dir);
    if (st != RB_OK)
        rb_config_free(config);
    return st;
}

rb_status rb_config_load(const char *path, rb_config *config, rb_error *err)
{
    time_t now = time(NULL);
    struct tm local;
    if (now == (time_t)-1 || localtime_r(&now, &local) == NULL) {
        memset(config, 0, sizeof *config);
        return rb_fail(err, RB_E_INTERNAL, "cannot read the clock to resolve policy_year = auto");
    }
    return rb_config_load_for_year(path, local.tm_year + 1900, config, err);
}
