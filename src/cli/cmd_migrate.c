/* `rebate migrate (--db DB | --config FILE)`: brings a database made by an
 * older version up to date, as every writing command does first; the
 * read-only commands never migrate and refuse an older database. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "rebate/db.h"

static const char migrate_usage[] =
    "usage: rebate migrate (--db DB | --config FILE)\n"
    "\n"
    "Applies the schema changes of this version to a database made by an\n"
    "older one, in one transaction (of several at once, one does it and the\n"
    "others find it done). Run it as the account that owns the database.\n"
    "Read-only commands (status, explain, params list|show) refuse a\n"
    "database that needs it; the commands that write do it themselves.\n"
    "\n"
    "  --db DB         the database\n"
    "  --config FILE   the config file whose `database` to migrate\n"
    "  -h, --help      show this help\n"
    "\n"
    "Exit status: 0 up to date; 64 bad option; 65 a database of a newer\n"
    "version; 66 no such database; 75 busy; 77 no write access; 78 a bad\n"
    "config file.\n";

int cmd_migrate(int argc, char **argv)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db_option = NULL, *config_option = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case 'd': db_option = optarg; break;
        case 'c': config_option = optarg; break;
        case 'h': fputs(migrate_usage, stdout); return 0;
        case ':': return rb_usage_error("migrate", "option '%s' needs a value", argv[optind - 1]);
        default: return rb_usage_error("migrate", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return rb_usage_error("migrate", "unexpected argument '%s'", argv[optind]);
    rb_error err = {0};
    rb_config config = {0};
    const char *path = NULL;
    int status = rb_cli_database("migrate", db_option, config_option, &config, &path, &err);
    if (status != 0)
        return status;
    int from = 0, to = 0;
    rb_status st = rb_db_migrate(path, &from, &to, &err);
    if (st == RB_OK && from != to)
        printf("migrated database %s from schema version %d to %d\n", path, from, to);
    else if (st == RB_OK)
        printf("database %s is up to date (schema version %d)\n", path, to);
    rb_config_free(&config);
    return rb_exit(st, &err);
}
