/* SHA256SUMS of a batch folder and of its bank/ folder (rebate/sums.h):
 * the one writer and the one strict checker. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebate/alloc.h"
#include "rebate/fsutil.h"
#include "rebate/strbuf.h"
#include "rebate/sums.h"

#define SUMS_FILE "SHA256SUMS"

static rb_status out_of_memory(rb_error *err)
{
    return rb_fail(err, RB_E_INTERNAL, "out of memory");
}

rb_status rb_sums_hash(const char *dir, const char *name, char hex[RB_SHA256_HEX], rb_error *err)
{
    rb_strbuf path = RB_STRBUF_INIT;
    if (!rb_path_join(&path, dir, name))
        return out_of_memory(err);
    rb_status st = rb_sha256_file(path.buf, hex, err);
    if (st == RB_E_NOINPUT)
        st = rb_fail(err, RB_E_CANTWRITE, "cannot read back '%s'", path.buf);
    rb_strbuf_release(&path);
    return st;
}

rb_status rb_sums_write(const char *dir, const char *const names[], const char (*digests)[RB_SHA256_HEX], size_t n,
                        rb_error *err)
{
    rb_strbuf path = RB_STRBUF_INIT;
    FILE *f = NULL;
    if (!rb_path_join(&path, dir, SUMS_FILE))
        return out_of_memory(err);
    rb_status st = rb_fs_create(dir, SUMS_FILE, &f, err);
    if (st == RB_OK) {
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%s  %s\n", digests[i], names[i]);
        /* A failed write shows in the close's check. */
        if ((st = rb_fs_close_synced(f, path.buf, err)) == RB_OK)
            st = rb_fs_sync_dir(dir, err);
    }
    rb_strbuf_release(&path);
    return st;
}

rb_status rb_sums_write_hashing(const char *dir, const char *const names[], size_t n, rb_error *err)
{
    char (*digests)[RB_SHA256_HEX] = rb_calloc(n ? n : 1, sizeof *digests);
    if (digests == NULL)
        return out_of_memory(err);
    rb_status st = RB_OK;
    for (size_t i = 0; i < n && st == RB_OK; i++)
        st = rb_sums_hash(dir, names[i], digests[i], err);
    if (st == RB_OK)
        st = rb_sums_write(dir, names, (const char(*)[RB_SHA256_HEX])digests, n, err);
    free(digests);
    return st;
}

/* Checks one line (without its newline) of the file: its name into *name
 * (pointing into line) when it is well formed and its file matches. */
static rb_status check_line(const char *dir, const char *sums, char *line, size_t len, int line_no,
                            const char *batch_id, const char **name, rb_error *err)
{
    if (len < 67 || strspn(line, "0123456789abcdef") != 64 || strncmp(line + 64, "  ", 2) != 0 ||
        len - 66 >= 256 || strchr(line + 66, '/') != NULL)
        return rb_fail(err, RB_E_DATA, "'%s' line %d is not a checksum line; the folder of batch %s was changed", sums,
                       line_no, batch_id);
    line[64] = '\0';
    *name = line + 66;
    rb_strbuf path = RB_STRBUF_INIT;
    char actual[RB_SHA256_HEX];
    if (!rb_path_join(&path, dir, *name))
        return out_of_memory(err);
    rb_status st = RB_OK;
    if (rb_sha256_file(path.buf, actual, NULL) != RB_OK)
        st = rb_fail(err, RB_E_DATA, "'%s' is listed in SHA256SUMS but cannot be read; refusing batch %s", path.buf,
                     batch_id);
    else if (strcmp(actual, line) != 0)
        st = rb_fail(err, RB_E_DATA, "'%s' does not match its SHA256SUMS: it was changed after batch %s was published",
                     path.buf, batch_id);
    rb_strbuf_release(&path);
    return st;
}

rb_status rb_sums_check(const char *dir, const char *const required[], size_t n_required, const char *batch_id,
                        rb_error *err)
{
    rb_strbuf sums = RB_STRBUF_INIT;
    if (!rb_path_join(&sums, dir, SUMS_FILE))
        return out_of_memory(err);
    bool *listed = rb_calloc(n_required ? n_required : 1, sizeof *listed);
    FILE *f = listed != NULL ? fopen(sums.buf, "r") : NULL;
    rb_status st = RB_OK;
    if (listed == NULL) {
        st = out_of_memory(err);
        goto out;
    }
    if (f == NULL) {
        st = rb_fail(err, RB_E_DATA, "cannot read '%s': %s; the folder of batch %s was changed after it was published",
                     sums.buf, strerror(errno), batch_id);
        goto out;
    }
    char line[1024];
    int line_no = 0;
    while (st == RB_OK && fgets(line, sizeof line, f) != NULL) {
        line_no++;
        size_t len = strlen(line);
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        const char *name = NULL;
        st = check_line(dir, sums.buf, line, len, line_no, batch_id, &name, err);
        for (size_t i = 0; name != NULL && i < n_required; i++)
            listed[i] = listed[i] || strcmp(name, required[i]) == 0;
    }
    if (st == RB_OK && ferror(f))
        st = rb_fail(err, RB_E_DATA, "cannot read '%s'", sums.buf);
    for (size_t i = 0; st == RB_OK && i < n_required; i++)
        if (!listed[i])
            st = rb_fail(err, RB_E_DATA, "'%s/SHA256SUMS' does not list %s; the folder of batch %s was changed", dir,
                         required[i], batch_id);
out:
    if (f != NULL)
        fclose(f);
    free(listed);
    rb_strbuf_release(&sums);
    return st;
}
