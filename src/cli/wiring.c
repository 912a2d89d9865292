/* Where the command line joins the stages that do not know each other: the
 * folder steps (output/) and the answer's reader (import/) handed to the
 * batch's life (life/), and the printing of what the library tells. */
#include <stdio.h>

#include "cli/cli.h"
#include "rebate/bank_answer.h"
#include "rebate/batch_folder.h"
#include "rebate/text.h"

const rb_life_steps rb_cli_life_steps = {
    .verify_folder = rb_batch_folder_verify,
    .write_bank = rb_bank_folder_write,
    .write_void_note = rb_void_note_write,
    .read_answers = rb_bank_answer_read,
};

void rb_cli_notify(void *ctx, const char *message)
{
    (void)ctx;
    fprintf(stderr, "rebate: %s\n", message);
}

rb_status rb_cli_check_typed(const char *option, const char *text, size_t max, rb_error *err)
{
    char why[64];
    const char *problem = rb_text_typed_problem(text, max, why);
    return problem == NULL ? RB_OK : rb_fail(err, RB_E_USAGE, "%s %s", option, problem);
}
