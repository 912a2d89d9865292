/* The run lock (see lock.h): flock(LOCK_EX | LOCK_NB) on a lock file. flock
 * rather than a PID file: the kernel releases it when the holder exits or
 * is killed, so there is no stale lock to detect or clean up. The holder
 * writes its process id into the file, only so that the refusal can say
 * which process holds it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rebate/alloc.h"
#include "rebate/lock.h"

struct rb_lock {
    int fd; /* the open lock file; closing it releases the lock */
};

/* The process id a holder wrote into the file, or 0 when unknown (it may
 * not have written it yet). */
static long holder_pid(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *end = NULL;
    long pid = strtol(buf, &end, 10);
    return end != buf && (*end == '\n' || *end == '\0') && pid > 0 ? pid : 0;
}

rb_status rb_lock_acquire(const char *path, rb_lock **out, rb_error *err)
{
    *out = NULL;
    rb_status st = RB_OK;
    /* O_RDWR, not O_WRONLY: opening a FIFO planted there must not block. */
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0) {
        if (errno == ENOENT)
            return rb_fail(err, RB_E_NOINPUT, "cannot create lock file '%s': its folder does not exist", path);
        if (errno == ELOOP)
            return rb_fail(err, RB_E_CANTWRITE, "refusing lock file '%s': it is a symbolic link", path);
        return rb_fail(err, RB_E_CANTWRITE, "cannot open lock file '%s': %s", path, strerror(errno));
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        st = rb_fail(err, RB_E_CANTWRITE, "cannot open lock file '%s': %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(sb.st_mode)) {
        st = rb_fail(err, RB_E_CANTWRITE, "refusing lock file '%s': it is not a regular file", path);
        goto fail;
    }
    int rc;
    while ((rc = flock(fd, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR)
        ;
    if (rc != 0) {
        if (errno == EWOULDBLOCK) {
            long pid = holder_pid(fd);
            if (pid > 0)
                st = rb_fail(err, RB_E_LOCKED, "another run (process %ld) holds the lock '%s'; try later", pid, path);
            else
                st = rb_fail(err, RB_E_LOCKED, "another run holds the lock '%s'; try later", path);
        } else {
            st = rb_fail(err, RB_E_CANTWRITE, "cannot lock '%s': %s", path, strerror(errno));
        }
        goto fail;
    }
    rb_lock *lock = rb_malloc(sizeof *lock);
    if (lock == NULL) {
        st = rb_fail(err, RB_E_INTERNAL, "out of memory taking the lock '%s'", path);
        goto fail;
    }
    lock->fd = fd;
    /* Best effort: the pid is for the message of a refused run only. */
    char pid_text[32];
    int len = snprintf(pid_text, sizeof pid_text, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid_text, (size_t)len, 0) != (ssize_t)len) {
        /* Not fatal: a refused run then just does not name us. */
    }
    *out = lock;
    return RB_OK;
fail:
    close(fd);
    return st;
}

rb_status rb_lock_database(const char *database, rb_lock **out, rb_error *err)
{
    *out = NULL;
    size_t len = strlen(database);
    char *path = rb_malloc(len + sizeof ".lock");
    if (path == NULL)
        return rb_fail(err, RB_E_INTERNAL, "out of memory taking the lock of '%s'", database);
    memcpy(path, database, len);
    memcpy(path + len, ".lock", sizeof ".lock");
    rb_status st = rb_lock_acquire(path, out, err);
    free(path);
    return st;
}

void rb_lock_release(rb_lock *lock)
{
    if (lock == NULL)
        return;
    /* Closing the only descriptor of the open file releases the flock. */
    close(lock->fd);
    free(lock);
}
