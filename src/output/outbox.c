/* The outbox's ledger identity (rebate/outbox.h): reading and writing
 * OUT/.rebate-ledger, and the batch folders a ledger must know. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rebate/db.h"
#include "rebate/fsutil.h"
#include "rebate/ledger.h"
#include "rebate/outbox.h"
#include "rebate/strbuf.h"

/* Reads the identity recorded in out_dir into id; *present is false when
 * there is no .rebate-ledger. A file that is not one identity line is
 * refused: it cannot be told from another ledger's. */
static rb_status read_identity(const char *out_dir, char id[RB_LEDGER_ID_SIZE], bool *present, rb_error *err)
{
    *present = false;
    rb_strbuf path = RB_STRBUF_INIT;
    if (!rb_strbuf_addf(&path, "%s/" RB_OUTBOX_LEDGER_FILE, out_dir))
        return rb_fail(err, RB_E_INTERNAL, "out of memory reading the outbox's ledger file");
    rb_status st = RB_OK;
    int fd = open(path.buf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == EACCES)
            st = rb_fail(err, RB_E_NOPERM, "cannot read '%s': no read access to the file", path.buf);
        else if (errno != ENOENT)
            st = rb_fail(err, RB_E_CANTWRITE, "cannot read '%s': %s", path.buf, strerror(errno));
        rb_strbuf_release(&path);
        return st;
    }
    char text[80];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    text[n > 0 ? n : 0] = '\0';
    size_t len = n > 0 ? (size_t)n : 0;
    if (len > 0 && text[len - 1] == '\n')
        text[--len] = '\0';
    if (len != RB_LEDGER_ID_SIZE - 1 || strspn(text, "0123456789abcdef") != len)
        st = rb_fail(err, RB_E_CANTWRITE,
                     "'%s' is not a ledger identity (one line of 32 hexadecimal digits); nothing was changed", path.buf);
    else {
        memcpy(id, text, RB_LEDGER_ID_SIZE);
        *present = true;
    }
    rb_strbuf_release(&path);
    return st;
}

/* Writes out_dir/.rebate-ledger whole: a temporary dot-file, synced, then
 * link()ed to the name, which never replaces one written meanwhile. */
static rb_status write_identity(const char *out_dir, const char *id, bool *raced, rb_error *err)
{
    *raced = false;
    rb_strbuf tmp = RB_STRBUF_INIT, path = RB_STRBUF_INIT;
    rb_status st = RB_OK;
    if (!rb_strbuf_addf(&tmp, "%s/" RB_OUTBOX_LEDGER_FILE ".new-XXXXXX", out_dir) ||
        !rb_strbuf_addf(&path, "%s/" RB_OUTBOX_LEDGER_FILE, out_dir)) {
        st = rb_fail(err, RB_E_INTERNAL, "out of memory writing the outbox's ledger file");
        goto out;
    }
    int fd = mkstemp(tmp.buf);
    if (fd < 0) {
        st = rb_fail(err, errno == EACCES ? RB_E_NOPERM : RB_E_CANTWRITE, "cannot write in outbox '%s': %s", out_dir,
                     strerror(errno));
        goto out;
    }
    char line[RB_LEDGER_ID_SIZE + 1];
    snprintf(line, sizeof line, "%s\n", id);
    bool ok = fchmod(fd, 0640) == 0 && write(fd, line, strlen(line)) == (ssize_t)strlen(line) && fsync(fd) == 0;
    close(fd);
    if (!ok)
        st = rb_fail(err, RB_E_CANTWRITE, "cannot write '%s': %s", tmp.buf, strerror(errno));
    else if (link(tmp.buf, path.buf) != 0) {
        if (errno == EEXIST)
            *raced = true;
        else
            st = rb_fail(err, RB_E_CANTWRITE, "cannot write '%s': %s", path.buf, strerror(errno));
    }
    unlink(tmp.buf);
    if (st == RB_OK && !*raced)
        st = rb_fs_sync_dir(out_dir, err);
out:
    rb_strbuf_release(&tmp);
    rb_strbuf_release(&path);
    return st;
}

/* True for a name in OUT that is a batch folder (see outbox.h). */
static bool is_batch_folder(const char *out_dir, const char *name)
{
    if (name[0] == '.' || strncmp(name, "PREVIEW-", 8) == 0)
        return false;
    rb_strbuf path = RB_STRBUF_INIT;
    struct stat sb;
    bool folder = rb_strbuf_addf(&path, "%s/%s", out_dir, name) && lstat(path.buf, &sb) == 0 && S_ISDIR(sb.st_mode);
    rb_strbuf_release(&path);
    return folder;
}

/* Counts the batch folders of out_dir that db's ledger does not know. */
static rb_status unknown_batches(sqlite3 *db, const char *out_dir, int *count, char *first, char *newest,
                                 size_t size, rb_error *err)
{
    *count = 0;
    first[0] = newest[0] = '\0';
    DIR *d = opendir(out_dir);
    if (d == NULL) {
        if (errno == ENOENT)
            return RB_OK;
        return rb_fail(err, errno == EACCES ? RB_E_NOPERM : RB_E_CANTWRITE, "cannot read outbox '%s': %s", out_dir,
                       strerror(errno));
    }
    rb_status st = RB_OK;
    for (struct dirent *e; st == RB_OK && (e = readdir(d)) != NULL;) {
        if (!is_batch_folder(out_dir, e->d_name))
            continue;
        int known = 0;
        if ((st = rb_ledger_has_batch(db, e->d_name, &known, err)) != RB_OK || known)
            continue;
        if (*count == 0 || strcmp(e->d_name, first) < 0)
            snprintf(first, size, "%s", e->d_name);
        if (*count == 0 || strcmp(e->d_name, newest) > 0)
            snprintf(newest, size, "%s", e->d_name);
        (*count)++;
    }
    closedir(d);
    return st;
}

rb_status rb_outbox_check(sqlite3 *db, const char *out_dir, bool claim, rb_error *err)
{
    char mine[RB_LEDGER_ID_SIZE], theirs[RB_LEDGER_ID_SIZE];
    bool present = false;
    const char *db_path = sqlite3_db_filename(db, "main");
    rb_status st = rb_db_ledger_id(db, mine, err);
    if (st == RB_OK)
        st = read_identity(out_dir, theirs, &present, err);
    if (st != RB_OK)
        return st;
    if (present && strcmp(mine, theirs) != 0)
        return rb_fail(err, RB_E_CANTWRITE,
                       "outbox '%s' belongs to ledger %s, but database '%s' is ledger %s; nothing was changed: two "
                       "ledgers never publish into one outbox (check that the database is the one this outbox's "
                       "batches were paid from)",
                       out_dir, theirs, db_path ? db_path : "?", mine);
    int count = 0;
    char first[256], newest[256];
    if ((st = unknown_batches(db, out_dir, &count, first, newest, sizeof first, err)) != RB_OK)
        return st;
    if (count > 0)
        return rb_fail(err, RB_E_CANTWRITE,
                       "outbox '%s' holds %d batch folder(s) that database '%s' does not know (%s%s%s); nothing was "
                       "changed: the database is not the one that published them, or an older copy of it",
                       out_dir, count, db_path ? db_path : "?", first, count > 1 ? " … " : "",
                       count > 1 ? newest : "");
    if (present || !claim)
        return RB_OK;
    bool raced = false;
    struct stat sb;
    if (lstat(out_dir, &sb) != 0)
        return RB_OK; /* made by the run, which claims it then */
    if ((st = write_identity(out_dir, mine, &raced, err)) != RB_OK)
        return st;
    if (raced) /* another ledger's first batch came first: check again */
        return rb_outbox_check(db, out_dir, false, err);
    return RB_OK;
}

rb_status rb_outbox_inspect(sqlite3 *db, const char *out_dir, rb_outbox_report *report, rb_error *err)
{
    memset(report, 0, sizeof *report);
    char mine[RB_LEDGER_ID_SIZE], theirs[RB_LEDGER_ID_SIZE], first[256];
    bool present = false;
    rb_status st = rb_db_ledger_id(db, mine, err);
    if (st == RB_OK)
        st = read_identity(out_dir, theirs, &present, err);
    if (st != RB_OK)
        return st;
    report->other_ledger = present && strcmp(mine, theirs) != 0;
    return unknown_batches(db, out_dir, &report->unknown_batches, first, report->newest_unknown,
                           sizeof report->newest_unknown, err);
}
