/* libFuzzer harness: the fuzz input is a bank's answer file, read by
 * rb_bank_answer_load as `rebate reconcile` reads it: the pain.002 reader
 * when it starts with '<', the CSV reader otherwise (both are reached from
 * the seeds). Checked: no crash, leak or sanitizer report; a file that is
 * read gives answers with a reference and a known status; a refused one
 * says why in one sentence. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rebate/answer_set.h"
#include "rebate/bank_answer.h"

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (path[0] == '\0') {
        snprintf(path, sizeof path, "/tmp/rebate-fuzz-answer-%ld.csv", (long)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        abort();
    if (size > 0 && fwrite(data, 1, size, f) != size)
        abort();
    if (fclose(f) != 0)
        abort();
    rb_answer_set set;
    rb_answer_set_init(&set);
    rb_error err = {0};
    rb_status st = rb_bank_answer_load(path, &set, &err);
    if (st == RB_OK) {
        for (size_t i = 0; i < set.n; i++) {
            const rb_answer *a = &set.items[i];
            if (a->reference == NULL || a->reference[0] == '\0' || a->code == NULL || a->reason == NULL ||
                (a->status != RB_ANSWER_PAID && a->status != RB_ANSWER_RETURNED && a->status != RB_ANSWER_PENDING))
                abort();
        }
        if (set.n_problems > 0 && set.problems.len == 0)
            abort();
    } else if (err.message[0] == '\0' || strchr(err.message, '\n') != NULL) {
        abort();
    }
    rb_answer_set_free(&set);
    unlink(path);
    return 0;
}
