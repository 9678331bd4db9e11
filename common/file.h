#ifndef SW_FILE_H
#define SW_FILE_H

#include <stddef.h>

/*
 * Files that a reader must never see half-written (HAProxy's configuration and maps,
 * the engine's certificates): the bytes go to "<path>.tmp" (mode 0600, O_CLOEXEC),
 * which is then renamed over path, so path holds the old content or the new, never
 * a part. Nothing is allocated that the caller frees; no fd is left open.
 */

/*
 * Write len bytes of data to path atomically. 0, or negative (SW_ENOTFOUND when the
 * directory is missing, else SW_ERROR) with one line naming the step and the temporary file ("create x.tmp: Permission denied", "write x.tmp: ...",
 * "rename x.tmp: ..."); on failure the temporary file is removed and path is untouched.
 */
int sw_file_write_atomic(const char *path, const void *data, size_t len);

#endif
