/* `rebate init (--db DB | --config FILE)`: the only way a database comes to
 * exist (schema, seeded parameter rows, the ledger's random identity), so
 * that a mistyped path in a config can never start a second ledger. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "rebate/db.h"

static const char init_usage[] =
    "usage: rebate init (--db DB | --config FILE)\n"
    "\n"
    "Creates the database DB (or the config's `database`): the schema, the\n"
    "seeded policy parameters and the ledger's identity, a random number the\n"
    "outbox records so that no other database can publish into it. Every\n"
    "other command refuses a database that does not exist (exit 66).\n"
    "\n"
    "  --db DB         the database to create (mode 0640)\n"
    "  --config FILE   the config file whose `database` to create\n"
    "  -h, --help      show this help\n"
    "\n"
    "Exit status: 0 created; 64 bad option; 66 the folder does not exist;\n"
    "73 the database exists already (nothing changed); 77 no write access\n"
    "to the folder; 78 a bad config file.\n";

int cmd_init(int argc, char **argv)
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
        case 'h': fputs(init_usage, stdout); return 0;
        case ':': return rb_usage_error("init", "option '%s' needs a value", argv[optind - 1]);
        default: return rb_usage_error("init", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return rb_usage_error("init", "unexpected argument '%s'", argv[optind]);
    rb_error err = {0};
    rb_config config = {0};
    const char *path = NULL;
    int status = rb_cli_database("init", db_option, config_option, &config, &path, &err);
    if (status != 0)
        return status;
    sqlite3 *db = NULL;
    char id[RB_LEDGER_ID_SIZE];
    rb_status st = rb_db_init(path, &db, &err);
    if (st == RB_OK)
        st = rb_db_ledger_id(db, id, &err);
    rb_db_close(db);
    if (st == RB_OK)
        printf("created database %s (schema version %d), ledger %s\n", path, rb_db_schema_version(), id);
    rb_config_free(&config);
    return rb_exit(st, &err);
}
