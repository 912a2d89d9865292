/* The `rebate` executable: the table of sub-commands and the dispatch, and
 * nothing else; every command lives in src/cli/cmd_<name>.c. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"import", cmd_import, "load the three extracts of DIR into the database"},
    {"run", cmd_run, "decide every firm for a policy year and publish a batch"},
    {"explain", cmd_explain, "explain one firm's decision, measure by measure"},
    {"nightly", cmd_nightly, "the job cron runs: import, run, publish, archive"},
    {"words", cmd_words, "write an amount in capital Chinese numerals"},
    {"review", cmd_review, "record a person's verdict on a REVIEW firm"},
    {"approve", cmd_approve, "finance's sign-off of a batch; writes the bank file"},
    {"void", cmd_void, "refuse a batch before sign-off"},
    {"reconcile", cmd_reconcile, "read the bank's answer for a batch"},
    {"status", cmd_status, "what waits for whom; where a batch or a firm stands"},
    {"init", cmd_init, "create the database: schema, parameters, the ledger's identity"},
    {"migrate", cmd_migrate, "bring a database made by an older version up to date"},
    {"params", cmd_params, "list, show or add the policy parameters of a year"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: rebate <command> [options]\n"
                 "       rebate --version | --help\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'rebate <command> --help' describes each command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 64;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("rebate %s\n", REBATE_VERSION);
        return rb_finish_stdout(0);
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return rb_finish_stdout(0);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return rb_finish_stdout(commands[i].fn(argc - 1, argv + 1));
    fprintf(stderr, "rebate: '%s' is not a command; see 'rebate --help'\n", argv[1]);
    return 64;
}
