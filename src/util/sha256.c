/* SHA-256 through OpenSSL's EVP interface: of input extracts (recorded with
 * each import) and of every published file (SHA256SUMS). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rebate/sha256.h"

struct rb_sha256 {
    EVP_MD_CTX *ctx;
};

rb_sha256 *rb_sha256_new(void)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL)
        return NULL;
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    /* The context pointer is the whole state: hand it out as the handle. */
    return (rb_sha256 *)ctx;
}

bool rb_sha256_update(rb_sha256 *h, const void *data, size_t len)
{
    return EVP_DigestUpdate((EVP_MD_CTX *)h, data, len) == 1;
}

bool rb_sha256_finish(rb_sha256 *h, char hex[RB_SHA256_HEX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    bool ok = EVP_DigestFinal_ex((EVP_MD_CTX *)h, md, &n) == 1 && n == 32;
    EVP_MD_CTX_free((EVP_MD_CTX *)h);
    if (!ok)
        return false;
    for (unsigned i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return true;
}

void rb_sha256_free(rb_sha256 *h)
{
    EVP_MD_CTX_free((EVP_MD_CTX *)h);
}

rb_status rb_sha256_fd(int fd, const char *path, char hex[RB_SHA256_HEX], rb_error *err)
{
    rb_sha256 *h = rb_sha256_new();
    if (h == NULL)
        return rb_fail(err, RB_E_INTERNAL, "out of memory hashing '%s'", path);
    unsigned char buf[65536];
    bool ok = true, read_error = false;
    for (off_t at = 0; ok;) {
        ssize_t got = pread(fd, buf, sizeof buf, at);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            read_error = got < 0;
            break;
        }
        ok = rb_sha256_update(h, buf, (size_t)got);
        at += got;
    }
    if (read_error || !ok) {
        rb_sha256_free(h);
        return rb_fail(err, read_error ? RB_E_NOINPUT : RB_E_INTERNAL, "cannot read '%s' to hash it", path);
    }
    if (!rb_sha256_finish(h, hex))
        return rb_fail(err, RB_E_INTERNAL, "cannot finish the SHA-256 of '%s'", path);
    return RB_OK;
}

rb_status rb_sha256_file(const char *path, char hex[RB_SHA256_HEX], rb_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rb_fail(err, RB_E_NOINPUT, "cannot read '%s': %s", path, strerror(errno));
    rb_status st = rb_sha256_fd(fd, path, hex, err);
    close(fd);
    return st;
}
