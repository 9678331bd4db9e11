#ifndef SW_FILE_H
#define SW_FILE_H

#include <stddef.h>

/*
 * Files that a reader must never see half-written (HAProxy's configuration and maps,
 * the engine's certificates): the bytes go to "<path>.tmp" (mode 0600, O_CLOEXEC),
 * which is then renamed over path, so path holds the old content or the new, never
 * a part. Nothing is allocated that the caller frees; no fd is left open.
 * sw_file_write_all() is the write loop under it, for any fd.
 */

/*
 * Write len bytes of data to path atomically. 0, or negative (SW_ENOTFOUND when the
 * directory is missing, else SW_ERROR) with one line naming the step and the temporary file ("create x.tmp: Permission denied", "write x.tmp: ...",
 * "rename x.tmp: ..."); on failure the temporary file is removed and path is untouched.
 */
int sw_file_write_atomic(const char *path, const void *data, size_t len);

/*
 * Write all len bytes of data to fd, again after EINTR or a short write. 0, or -1 with
 * errno set (EIO when write() wrote nothing); the error slot is left alone.
 */
int sw_file_write_all(int fd, const void *data, size_t len);

#endif
