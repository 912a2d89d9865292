/* The database a command works on, from `--db DB` or `--config FILE` (the
 * config's `database` key), for the commands written before the common
 * option table: one of the two, never both. */
#include <stdio.h>

#include "cli/cli.h"

int rb_cli_database(const char *command, const char *db_option, const char *config_option, rb_config *config,
                    const char **path, rb_error *err)
{
    *path = NULL;
    if (db_option != NULL && config_option != NULL)
        return rb_usage_error(command, "give --db DB or --config FILE, not both");
    if (db_option == NULL && config_option == NULL)
        return rb_usage_error(command, "--db DB or --config FILE is required");
    if (db_option != NULL) {
        *path = db_option;
        return 0;
    }
    rb_status st = rb_config_load(config_option, config, err);
    if (st != RB_OK)
        return rb_exit(st, err);
    *path = config->database;
    return 0;
}
