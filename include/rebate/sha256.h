/* SHA-256 (OpenSSL libcrypto) of byte streams and files, as lower-case hex. */
#ifndef REBATE_SHA256_H
#define REBATE_SHA256_H

#include <stdbool.h>
#include <stddef.h>

#include "rebate/error.h"

#define RB_SHA256_HEX 65 /* 64 hex digits and a NUL */

typedef struct rb_sha256 rb_sha256;

/* A running digest; NULL when memory ran out. */
rb_sha256 *rb_sha256_new(void);
bool rb_sha256_update(rb_sha256 *h, const void *data, size_t len);
/* Writes the hex digest and frees h. */
bool rb_sha256_finish(rb_sha256 *h, char hex[RB_SHA256_HEX]);
/* Frees h without a digest (on error paths). */
void rb_sha256_free(rb_sha256 *h);

/* The digest of a whole file; of an open one from its first byte (read with
 * pread, so another reader of fd is not disturbed; path for messages). */
rb_status rb_sha256_file(const char *path, char hex[RB_SHA256_HEX], rb_error *err);
rb_status rb_sha256_fd(int fd, const char *path, char hex[RB_SHA256_HEX], rb_error *err);

#endif
