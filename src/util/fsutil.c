/* The file-system steps of safe publication (see fsutil.h): modes that keep
 * payee bank details from other users, no step that follows a symlink
 * someone planted in the output folder, and fsync before a rename so that a
 * batch that appears is whole after a crash. */
#define _GNU_SOURCE /* renameat2 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rebate/alloc.h"
#include "rebate/fsutil.h"

/* Deep enough for any batch folder; a limit keeps a hostile tree from
 * exhausting file descriptors. */
#define REMOVE_TREE_MAX_DEPTH 32

rb_status rb_fs_mkdir(const char *dir, rb_error *err)
{
    if (mkdir(dir, 0750) == 0)
        return RB_OK;
    if (errno != EEXIST)
        return rb_fail(err, RB_E_CANTWRITE, "cannot create folder '%s': %s", dir, strerror(errno));
    struct stat sb;
    if (lstat(dir, &sb) != 0)
        return rb_fail(err, RB_E_CANTWRITE, "cannot create folder '%s': %s", dir, strerror(errno));
    if (S_ISLNK(sb.st_mode))
        return rb_fail(err, RB_E_CANTWRITE, "refusing folder '%s': it is a symbolic link", dir);
    if (!S_ISDIR(sb.st_mode))
        return rb_fail(err, RB_E_CANTWRITE, "cannot create folder '%s': something else than a folder is there",
                       dir);
    return RB_OK;
}

rb_status rb_fs_create(const char *dir, const char *name, FILE **out, rb_error *err)
{
    *out = NULL;
    rb_status st = RB_OK;
    int file_fd = -1;
    /* The folder itself must not be a symlink either: open it first without
     * following one, then create the file relative to it. */
    int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir_fd < 0) {
        int open_errno = errno;
        struct stat sb;
        /* O_DIRECTORY | O_NOFOLLOW on a symlink fails with ENOTDIR. */
        bool is_link = lstat(dir, &sb) == 0 && S_ISLNK(sb.st_mode);
        st = rb_fail(err, RB_E_CANTWRITE, "cannot create '%s/%s': folder '%s': %s", dir, name, dir,
                     is_link ? "it is a symbolic link" : strerror(open_errno));
        goto out;
    }
    /* O_EXCL also refuses an existing symlink, dangling or not. */
    file_fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (file_fd < 0) {
        st = rb_fail(err, RB_E_CANTWRITE, "cannot create '%s/%s': %s", dir, name, strerror(errno));
        goto out;
    }
    FILE *file = fdopen(file_fd, "wb");
    if (file == NULL) {
        st = rb_fail(err, RB_E_CANTWRITE, "cannot create '%s/%s': %s", dir, name, strerror(errno));
        close(file_fd);
        unlinkat(dir_fd, name, 0); /* ours: made by O_EXCL just now */
        goto out;
    }
    *out = file;
out:
    if (dir_fd >= 0)
        close(dir_fd);
    return st;
}

rb_status rb_fs_close_synced(FILE *file, const char *path, rb_error *err)
{
    rb_status st = RB_OK;
    if (fflush(file) != 0)
        st = rb_fail(err, RB_E_CANTWRITE, "cannot write '%s': %s", path, strerror(errno));
    else if (fsync(fileno(file)) != 0)
        st = rb_fail(err, RB_E_CANTWRITE, "cannot write '%s' to disk: %s", path, strerror(errno));
    else if (ferror(file))
        st = rb_fail(err, RB_E_CANTWRITE, "cannot write '%s': a write failed", path);
    /* Closed either way; fclose's own error (e.g. NFS) counts too. */
    if (fclose(file) != 0 && st == RB_OK)
        st = rb_fail(err, RB_E_CANTWRITE, "cannot close '%s': %s", path, strerror(errno));
    return st;
}

rb_status rb_fs_sync_dir(const char *dir, rb_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return rb_fail(err, RB_E_CANTWRITE, "cannot open folder '%s' to sync it: %s", dir, strerror(errno));
    rb_status st = RB_OK;
    /* Some file systems cannot fsync a folder (EINVAL): their names are
     * then as durable as they get. */
    if (fsync(fd) != 0 && errno != EINVAL)
        st = rb_fail(err, RB_E_CANTWRITE, "cannot sync folder '%s': %s", dir, strerror(errno));
    close(fd);
    return st;
}

/* The folder holding path into parent: "." for a bare name, "/" for a
 * name in the root; trailing slashes of path are ignored. */
static void parent_of(const char *path, char *parent, size_t size)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    while (len > 0 && path[len - 1] != '/')
        len--;
    while (len > 1 && path[len - 1] == '/')
        len--;
    if (len == 0)
        snprintf(parent, size, ".");
    else
        snprintf(parent, size, "%.*s", (int)len, path);
}

rb_status rb_fs_rename_noreplace(const char *from, const char *to, rb_error *err)
{
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) != 0) {
        if (errno == EEXIST)
            return rb_fail(err, RB_E_CANTWRITE, "cannot move '%s' to '%s': '%s' already exists", from, to, to);
        return rb_fail(err, RB_E_CANTWRITE, "cannot move '%s' to '%s': %s", from, to, strerror(errno));
    }
    char to_parent[PATH_MAX], from_parent[PATH_MAX];
    parent_of(to, to_parent, sizeof to_parent);
    parent_of(from, from_parent, sizeof from_parent);
    rb_status st = rb_fs_sync_dir(to_parent, err);
    /* Moved between folders: the old name's removal is made durable too. */
    if (st == RB_OK && strcmp(to_parent, from_parent) != 0)
        st = rb_fs_sync_dir(from_parent, err);
    return st;
}

/* Removes name in the folder parent_fd: a folder with its contents, anything
 * else (a symlink included) as a name only. */
static rb_status remove_at(int parent_fd, const char *name, const char *top, int depth, rb_error *err)
{
    rb_status st = RB_OK;
    DIR *dir = NULL;
    int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOTDIR || errno == ELOOP) {
            /* A file or symlink: unlink the name, never what it points to. */
            if (unlinkat(parent_fd, name, 0) != 0 && errno != ENOENT)
                return rb_fail(err, RB_E_CANTWRITE, "cannot remove '%s' in '%s': %s", name, top, strerror(errno));
            return RB_OK;
        }
        if (errno == ENOENT)
            return RB_OK;
        return rb_fail(err, RB_E_CANTWRITE, "cannot remove '%s' in '%s': %s", name, top, strerror(errno));
    }
    if (depth > REMOVE_TREE_MAX_DEPTH) {
        close(fd);
        return rb_fail(err, RB_E_CANTWRITE, "cannot remove '%s': folders nested deeper than %d", top,
                       REMOVE_TREE_MAX_DEPTH);
    }
    dir = fdopendir(fd);
    if (dir == NULL) {
        st = rb_fail(err, RB_E_CANTWRITE, "cannot read folder '%s' in '%s': %s", name, top, strerror(errno));
        close(fd);
        return st;
    }
    struct dirent *entry;
    errno = 0;
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        if ((st = remove_at(dirfd(dir), entry->d_name, top, depth + 1, err)) != RB_OK)
            goto out;
        errno = 0;
    }
    if (errno != 0) {
        st = rb_fail(err, RB_E_CANTWRITE, "cannot read folder '%s' in '%s': %s", name, top, strerror(errno));
        goto out;
    }
    if (unlinkat(parent_fd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
        st = rb_fail(err, RB_E_CANTWRITE, "cannot remove folder '%s' in '%s': %s", name, top, strerror(errno));
out:
    closedir(dir);
    return st;
}

rb_status rb_fs_remove_tree(const char *dir, rb_error *err)
{
    struct stat sb;
    if (lstat(dir, &sb) != 0) {
        if (errno == ENOENT)
            return RB_OK; /* nothing to remove: cleanup after a step that never ran */
        return rb_fail(err, RB_E_CANTWRITE, "cannot remove '%s': %s", dir, strerror(errno));
    }
    /* The caller means a folder: a symlink or file in its place is left
     * alone and reported, rather than removed by a name it did not mean. */
    if (S_ISLNK(sb.st_mode))
        return rb_fail(err, RB_E_CANTWRITE, "refusing to remove '%s': it is a symbolic link", dir);
    if (!S_ISDIR(sb.st_mode))
        return rb_fail(err, RB_E_CANTWRITE, "refusing to remove '%s': it is not a folder", dir);
    return remove_at(AT_FDCWD, dir, dir, 0, err);
}

static bool write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

rb_status rb_fs_copy_into(const char *from, int to_fd, const char *to, rb_error *err)
{
    int in = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0)
        return rb_fail(err, RB_E_CANTWRITE, "cannot read '%s' to copy it: %s", from, strerror(errno));
    rb_status st = RB_OK;
    bool by_kernel = true;
    char *buf = NULL;
    for (;;) {
        ssize_t n;
        if (by_kernel) {
            n = copy_file_range(in, NULL, to_fd, NULL, (size_t)1 << 30, 0);
            if (n < 0 && (errno == ENOSYS || errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP) &&
                lseek(to_fd, 0, SEEK_CUR) == 0) {
                by_kernel = false; /* a file system without it: read and write */
                continue;
            }
        } else {
            if (buf == NULL && (buf = rb_malloc(1 << 20)) == NULL) {
                st = rb_fail(err, RB_E_INTERNAL, "out of memory copying '%s'", from);
                break;
            }
            n = read(in, buf, 1 << 20);
            if (n > 0 && !write_all(to_fd, buf, (size_t)n))
                n = -1;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = rb_fail(err, RB_E_CANTWRITE, "cannot write '%s': %s", to, strerror(errno));
            break;
        }
        if (n == 0)
            break;
    }
    free(buf);
    close(in);
    return st;
}
