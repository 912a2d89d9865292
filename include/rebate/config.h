/* The INI config file (`rebate nightly --config`, and `--config` wherever a
 * command takes `--db`): one section [rebate] with the database, the inbox,
 * outbox and archive folders, the policy year and the extracts' encoding
 * (required), the notice settings and the fund's own account (optional).
 * Relative paths are relative to the config file's folder. Any mistake is
 * RB_E_CONFIG with one sentence naming the file, line and key. */
#ifndef REBATE_CONFIG_H
#define REBATE_CONFIG_H

#include <stdbool.h>

#include "rebate/error.h"

/* notice_days when the file does not set it, and the most it may be. */
#define RB_CONFIG_DEFAULT_NOTICE_DAYS 5
#define RB_CONFIG_MAX_NOTICE_DAYS 60
/* The fund's own account: digits, as many as a payee's account may have. */
#define RB_CONFIG_ACCOUNT_MIN_DIGITS 8
#define RB_CONFIG_ACCOUNT_MAX_DIGITS 32

/* The settings of a loaded config file. The strings are owned by the
 * struct and freed by rb_config_free; an optional text not given is NULL. */
typedef struct rb_config {
    char *database;          /* the SQLite database file (relative paths already resolved) */
    char *inbox;             /* folder where the three extracts arrive */
    char *outbox;            /* folder where batches are published */
    char *archive;           /* folder where imported extracts are moved */
    int policy_year;         /* the year to run, 2000..9999 (`auto` already resolved) */
    bool policy_year_auto;   /* the file said `auto`: the current calendar year */
    char encoding[8];        /* "auto", "utf-8" or "gb18030", as import --encoding takes it */
    int notice_days;         /* working days of public notice, 0..60 (default 5) */
    char *notice_contact;    /* the contact line printed on the notice, or NULL */
    char *fund_account_name; /* the fund's own account (the bank file's debtor), or NULL */
    char *fund_account;      /* its number, 8-32 digits, or NULL */
    char *fund_bank_name;    /* its bank, or NULL */
    char *fund_bank_code;    /* its bank's CNAPS code, 12 digits, or NULL */
} rb_config;

/* Reads the config file at path into *config (zeroed first; on failure it
 * holds nothing to free). `policy_year = auto` becomes the current calendar
 * year in local time. */
rb_status rb_config_load(const char *path, rb_config *config, rb_error *err);

/* As rb_config_load, with `auto` resolved to current_year (for tests and
 * for reruns that must not depend on the clock). */
rb_status rb_config_load_for_year(const char *path, int current_year, rb_config *config, rb_error *err);

/* Frees the strings of config and zeroes it; safe on a zeroed struct. */
void rb_config_free(rb_config *config);

#endif
