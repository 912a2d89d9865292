/* File-system steps of safe publication: files and folders created with
 * owner/group-only modes, never through a planted symlink, made durable with
 * fsync before they are renamed into place. */
#ifndef REBATE_FSUTIL_H
#define REBATE_FSUTIL_H

#include <stdio.h>

#include "rebate/error.h"

/* Creates dir (mode 0750) when missing; an existing symlink or non-folder is
 * refused with RB_E_CANTWRITE. */
rb_status rb_fs_mkdir(const char *dir, rb_error *err);

/* Opens dir/name for writing, created new (O_EXCL | O_NOFOLLOW, mode 0640,
 * close-on-exec); an existing name (a symlink included) or a symlink in
 * place of dir is refused with RB_E_CANTWRITE. The caller owns *out and
 * closes it with rb_fs_close_synced. */
rb_status rb_fs_create(const char *dir, const char *name, FILE **out, rb_error *err);

/* fflush + fsync + fclose of a file made by rb_fs_create; RB_E_CANTWRITE on
 * any failure (a full disk shows here). The stream is closed either way. */
rb_status rb_fs_close_synced(FILE *file, const char *path, rb_error *err);

/* fsync of a folder, so that the names in it are durable. */
rb_status rb_fs_sync_dir(const char *dir, rb_error *err);

/* rename(from, to) that refuses to replace an existing `to`, even an empty
 * folder (renameat2 RENAME_NOREPLACE), then syncs the parent folder of `to`
 * (and that of `from` when it is another). */
rb_status rb_fs_rename_noreplace(const char *from, const char *to, rb_error *err);

/* Removes a folder and everything in it without following symlinks (a
 * symlink inside is removed as a name). A missing folder is RB_OK; a
 * symlink or file in its place is refused with RB_E_CANTWRITE. */
rb_status rb_fs_remove_tree(const char *dir, rb_error *err);

/* Copies the bytes of the file from (not through a symlink) into to_fd,
 * an empty file opened for writing (named to in messages): by the kernel
 * (copy_file_range), or read and written where the file system cannot.
 * RB_E_CANTWRITE when either fails. */
rb_status rb_fs_copy_into(const char *from, int to_fd, const char *to, rb_error *err);

#endif
