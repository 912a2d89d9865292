/* `rebate init (--db DB | --config FILE)` and `rebate migrate (--db DB |
 * --config FILE)`: the database itself. init is the only way one comes to
 * exist (schema, seeded parameter rows, the ledger's random identity), so
 * that a mistyped path in a config can never start a second ledger; migrate
 * brings one made by an older version up to date, as every writing command
 * does first (the read-only commands never migrate and refuse an older
 * one). */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "rebate/db.h"

static const char init_description[] =
    "Creates the database DB (or the config's `database`): the schema, the\n"
    "seeded policy parameters and the ledger's identity, a random number the\n"
    "outbox records so that no other database can publish into it. Every\n"
    "other command refuses a database that does not exist (exit 66). Run it\n"
    "once, as the account that will own the database.\n"
    "\n";

static const char init_footer[] =
    "Exit status: 0 created; 64 bad option; 66 the folder does not exist;\n"
    "73 the database exists already (nothing changed); 77 no write access\n"
    "to the folder; 78 a bad config file.\n";

static const char migrate_description[] =
    "Applies the schema changes of this version to a database made by an\n"
    "older one, in one transaction (of several at once, one does it and the\n"
    "others find it done). Run it as the account that owns the database.\n"
    "The read-only commands (status, explain, params list|show) refuse a\n"
    "database that needs it; the commands that write do it themselves.\n"
    "\n";

static const char migrate_footer[] =
    "Exit status: 0 up to date; 64 bad option; 65 a database of a newer\n"
    "version; 66 no such database; 75 busy; 77 no write access; 78 a bad\n"
    "config file.\n";

/* What the command does to the database at path, printing one line. */
typedef rb_status (*database_action)(const char *path, rb_error *err);

static rb_status init_database(const char *path, rb_error *err)
{
    sqlite3 *db = NULL;
    char id[RB_LEDGER_ID_SIZE];
    rb_status st = rb_db_init(path, &db, err);
    if (st == RB_OK)
        st = rb_db_ledger_id(db, id, err);
    rb_db_close(db);
    if (st == RB_OK)
        printf("created database %s (schema version %d), ledger %s\n", path, rb_db_schema_version(), id);
    return st;
}

static rb_status migrate_database(const char *path, rb_error *err)
{
    int from = 0, to = 0;
    rb_status st = rb_db_migrate(path, &from, &to, err);
    if (st == RB_OK && from != to)
        printf("migrated database %s from schema version %d to %d\n", path, from, to);
    else if (st == RB_OK)
        printf("database %s is up to date (schema version %d)\n", path, to);
    return st;
}

static int database_command(const char *name, const char *description, const char *footer, database_action action,
                            int argc, char **argv)
{
    const rb_option options[] = {RB_OPT_END};
    const rb_command_line line = {.name = name, .synopsis = "(--db DB | --config FILE)", .description = description,
                                  .options = options, .footer = footer, .db_help = "the database"};
    rb_session s;
    int status = rb_session_start(&s, &line, argc, argv);
    if (status >= 0)
        return status;
    /* Not rb_session_open: these commands make or change the database
     * itself, before anything else may open it. */
    return rb_session_end(&s, action(s.db_path, &s.err), NULL);
}

int cmd_init(int argc, char **argv)
{
    return database_command("init", init_description, init_footer, init_database, argc, argv);
}

int cmd_migrate(int argc, char **argv)
{
    return database_command("migrate", migrate_description, migrate_footer, migrate_database, argc, argv);
}
