/* Files and directories: create with parents, remove trees, read and write whole files. */
#ifndef CHIMERA_UTIL_FS_H
#define CHIMERA_UTIL_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/buf.h"

/* Create PATH and missing parents with MODE. Existing directories are fine; a file in the way is ERR_IO. */
int fs_mkdir_p(const char *path, mode_t mode);

/*
 * Remove PATH and everything under it, read-only directories included. Missing is fine.
 * Refuses (ERR_BUSY) to cross into another filesystem mounted inside.
 */
int fs_rm_rf(const char *path);

/*
 * Write all LEN bytes of DATA to FD, retrying short writes and EINTR. Returns 0, or ERR_IO
 * naming NAME (the file behind FD) with errno's text; the caller still owns and closes FD.
 */
int fs_write_all(int fd, const void *data, size_t len, const char *name);

/* Write LEN bytes to PATH through a synced temporary file and rename, with MODE. Returns 0 or ERR_IO. */
int fs_write_file(const char *path, const void *data, size_t len, mode_t mode);

/* Append the contents of PATH to OUT. Returns 0, ERR_NOTFOUND, ERR_IO or a buf error. */
int fs_read_file(const char *path, struct buf *out);

bool fs_exists(const char *path);

/* True when PATH is DIR or lies under it (textual check on absolute paths). */
bool fs_path_under(const char *path, const char *dir);

#endif
