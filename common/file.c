#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "common/file.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/banned.h"

int sw_file_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

int sw_file_write_atomic(const char *path, const void *data, size_t len)
{
	struct sw_buf tmp = SW_BUF_INIT;
	int fd, ret = 0;

	sw_buf_addf(&tmp, "%s.tmp", path);
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = sw_error_errno("create %s", tmp.ptr);
		goto cleanup;
	}
	if (sw_file_write_all(fd, data, len) < 0)
		ret = sw_error_errno("write %s", tmp.ptr);
	if (close(fd) < 0 && ret == 0)
		ret = sw_error_errno("write %s", tmp.ptr);
	if (ret == 0 && rename(tmp.ptr, path) < 0)
		ret = sw_error_errno("rename %s", tmp.ptr);
	if (ret < 0)
		unlink(tmp.ptr);
cleanup:
	sw_buf_release(&tmp);
	return ret;
}
