#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "releaser/push_target.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define PASSWORD_MAX 1024

int sw_push_target_local(const char *home, const char *registry, struct sw_push_target *t)
{
	struct sw_buf path = SW_BUF_INIT, pw = SW_BUF_INIT;
	char tmp[PASSWORD_MAX + 1];
	ssize_t n;
	int fd = -1, ret = SW_ERROR;

	sw_push_target_release(t);
	t->registry = xstrdup(registry);
	sw_buf_addf(&path, "%s/registry/password", home);
	fd = open(path.ptr, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		ret = 0;   /* no password file: a registry without t */
		goto cleanup;
	}
	if (fd < 0) {
		sw_error_errno("registry password %s", path.ptr);
		goto cleanup;
	}
	sw_buf_init(&pw, PASSWORD_MAX);
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		if (sw_buf_add(&pw, tmp, (size_t)n) < 0) {
			sw_error("registry password %s: longer than %d bytes", path.ptr, PASSWORD_MAX);
			goto cleanup;
		}
	sw_buf_rtrim(&pw);
	if (!pw.len) {
		sw_error("registry password %s is empty", path.ptr);
		goto cleanup;
	}
	t->user = xstrdup("AWS");
	t->password = sw_buf_detach(&pw, NULL);
	ret = 0;
cleanup:
	if (fd >= 0)
		close(fd);
	sw_buf_release(&path);
	sw_buf_release(&pw);
	return ret;
}

void sw_push_target_release(struct sw_push_target *t)
{
	free(t->registry);
	free(t->user);
	free(t->password);
	t->registry = t->user = t->password = NULL;
}
