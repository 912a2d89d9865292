/* SHA256SUMS, the checksum file of a batch folder and of its bank/ folder
 * (docs/formats.md): one line "<64 lower-case hex>  <name>" per file, sorted by
 * name, as `sha256sum -c` reads it. Written and checked here only, for the
 * run's publication and the approval alike. */
#ifndef REBATE_SUMS_H
#define REBATE_SUMS_H

#include <stdbool.h>
#include <stddef.h>

#include "rebate/error.h"
#include "rebate/sha256.h"

/* The SHA-256 of dir/name as written (RB_E_CANTWRITE when it cannot be
 * read back). */
rb_status rb_sums_hash(const char *dir, const char *name, char hex[RB_SHA256_HEX], rb_error *err);

/* Writes dir/SHA256SUMS listing names[i] with digests[i] (names sorted),
 * then fsyncs it and the folder. */
rb_status rb_sums_write(const char *dir, const char *const names[], const char (*digests)[RB_SHA256_HEX], size_t n,
                        rb_error *err);

/* As rb_sums_write, hashing each file of dir first. */
rb_status rb_sums_write_hashing(const char *dir, const char *const names[], size_t n, rb_error *err);

/* Checks dir/SHA256SUMS strictly: every line is "<64 lower-case hex>  <name>"
 * with a name without '/', every file listed is there and matches, and
 * every name of required[] is listed. Anything else is RB_E_DATA naming
 * the file or line, and saying that the folder of batch `batch_id` was
 * changed after publication. */
rb_status rb_sums_check(const char *dir, const char *const required[], size_t n_required, const char *batch_id,
                        rb_error *err);

#endif
