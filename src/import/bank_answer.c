/* rb_bank_answer_load: opens the bank's answer, refuses it unread when it
 * is too large, and hands it to the XML or the CSV reader by its first
 * character (after a BOM and white space): '<' is XML. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import/bank_answer_internal.h"
#include "rebate/bank_answer.h"

static bool looks_like_xml(const unsigned char *p, size_t n)
{
    size_t i = 0;
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        i = 3;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    return i < n && p[i] == '<';
}

rb_status rb_bank_answer_load(const char *path, rb_answer_set *set, rb_error *err)
{
    /* A symlink is not followed, whatever the format: the CSV reader, which
     * reads the file again, keeps the extracts' rule (docs/reliability.md). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0 && errno == ELOOP)
        return rb_fail(err, RB_E_NOINPUT,
                       "cannot read bank answer '%s': it is a symlink, which is not followed (name the file itself); "
                       "nothing was recorded",
                       path);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        rb_status st = rb_fail(err, RB_E_NOINPUT, "cannot open bank answer '%s': %s", path,
                               fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return st;
    }
    if (sb.st_size > RB_BANK_ANSWER_MAX_BYTES) {
        close(fd);
        return rb_fail(err, RB_E_DATA,
                       "bank answer '%s' has %lld bytes, more than the %ld MiB a bank answer may have; it was not "
                       "read and nothing was recorded",
                       path, (long long)sb.st_size, RB_BANK_ANSWER_MAX_BYTES >> 20);
    }
    size_t size = (size_t)sb.st_size;
    char *data = malloc(size + 1);
    if (data == NULL) {
        close(fd);
        return rb_fail(err, RB_E_INTERNAL, "out of memory reading bank answer '%s'", path);
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, data + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    rb_status st;
    if (got != size)
        st = rb_fail(err, RB_E_NOINPUT, "cannot read bank answer '%s': %s", path, strerror(errno ? errno : EIO));
    else if (looks_like_xml((const unsigned char *)data, size))
        st = rb_bank_answer_xml(path, data, size, set, err);
    else
        st = rb_bank_answer_csv(path, set, err);
    free(data);
    if (st == RB_OK && set->out_of_memory)
        st = rb_fail(err, RB_E_INTERNAL, "out of memory reading bank answer '%s'", path);
    return st;
}
