/* `rebate words AMOUNT`: prints an amount in yuan in capital Chinese numerals
 * exactly as the payout file writes it, for finance staff who fill in a
 * voucher by hand. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "rebate/money.h"
#include "rebate/text.h"
#include "rebate/words.h"

static const char words_description[] =
    "Prints AMOUNT, in yuan, in capital Chinese numerals (人民币大写) as the\n"
    "payout file writes it: 'rebate words 1234.56' prints\n"
    "人民币壹仟贰佰叁拾肆元伍角陆分.\n"
    "\n"
    "AMOUNT is written as in the extracts: digits with up to two decimals\n"
    "(1234, 1234.5, 1234.56), no sign, no thousands separators.\n";

/* Only --help: getopt would take a signed amount ("-5") for an option, and
 * it must be refused as a bad amount instead, so the loop below reads the
 * arguments itself and the table serves --help. */
static const rb_option words_options[] = {RB_OPT_END};
static const rb_command_line words_line = {
    .name = "words",
    .synopsis = "AMOUNT",
    .description = words_description,
    .options = words_options,
};

int cmd_words(int argc, char **argv)
{
    const char *amount = NULL;
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)) {
            rb_opts_help(&words_line, stdout);
            return 0;
        }
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = true;
            continue;
        }
        /* Anything else, "-5" included, is taken as the amount, so that a
         * signed amount is reported as a bad amount, not an unknown option. */
        if (amount != NULL)
            return rb_usage_error("words", "takes one AMOUNT, but '%s' follows '%s'", arg, amount);
        amount = arg;
    }
    if (amount == NULL)
        return rb_usage_error("words", "AMOUNT is missing");

    /* The extracts' trimming (spaces, tabs, U+3000) applies here too. */
    const char *text = amount;
    size_t len = strlen(amount);
    rb_text_trim(&text, &len);
    rb_fen fen = 0;
    switch (rb_money_parse(text, len, &fen)) {
    case RB_MONEY_OK:
        break;
    case RB_MONEY_RANGE:
        return rb_usage_error("words", "'%s' is more than the largest amount, 92233720368547758.07 yuan", amount);
    case RB_MONEY_EMPTY:
    case RB_MONEY_FORMAT:
    default:
        return rb_usage_error("words",
                              "'%s' is not an amount in yuan (digits with up to two decimals, such as 1234.56)",
                              amount);
    }
    char words[RB_WORDS_BUFSZ];
    if (!rb_amount_in_words(fen, true, words)) {
        fprintf(stderr, "rebate words: cannot write '%s' in words\n", amount);
        return RB_E_INTERNAL;
    }
    printf("%s\n", words);
    return 0;
}
