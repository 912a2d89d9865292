/* A policy year's parameter row written as an INI file by the bureau
 * (`rebate params add FILE`; data/params/example-2026.ini, docs/rules.md):
 * one section [policy_params] with every key, each checked against its
 * range; the whole file is refused at its first mistake, named by file,
 * line and key. */
#ifndef REBATE_PARAMS_FILE_H
#define REBATE_PARAMS_FILE_H

#include "rebate/error.h"
#include "rebate/params_store.h"

/* Reads path into *row. A mistake is RB_E_DATA (RB_E_NOINPUT for a file
 * that cannot be read, RB_E_NOPERM without read access). */
rb_status rb_params_file_read(const char *path, rb_params_row *row, rb_error *err);

/* Writes row as a file rb_params_file_read accepts (what `params show`
 * prints). */
void rb_params_file_write(const rb_params_row *row, FILE *out);

#endif
