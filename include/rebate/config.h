/* The INI config file of `rebate nightly` (cli.md): one section [rebate]
 * with the database, the inbox, outbox and archive folders, the policy year
 * and the extracts' encoding. Every key is required; any mistake is
 * RB_E_CONFIG with one sentence naming the file, line and key. */
#ifndef REBATE_CONFIG_H
#define REBATE_CONFIG_H

#include <stdbool.h>

#include "rebate/error.h"

/* The settings of a loaded config file. The strings are owned by the
 * struct and freed by rb_config_free. */
typedef struct rb_config {
    char *database;        /* the SQLite database file */
    char *inbox;           /* folder where the three extracts arrive */
    char *outbox;          /* folder where batches are published */
    char *archive;         /* folder where imported extracts are moved */
    int policy_year;       /* the year to run, 2000..9999 (`auto` already resolved) */
    bool policy_year_auto; /* the file said `auto`: the current calendar year */
    char encoding[8];      /* "auto", "utf-8" or "gb18030", as import --encoding takes it */
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
