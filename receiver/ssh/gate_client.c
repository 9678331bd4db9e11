#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "receiver/ssh/gate_client.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/banned.h"

#define MAX_ANSWER 8192

int sw_ssh_gate_shell_safe(const char *s)
{
	size_t n = strlen(s);
	return n && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._+:=,@-") == n;
}

static int send_request(int fd, const char *text, size_t len, const int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { (void *)text, len };
	struct msghdr m;
	size_t off = 0;

	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (nfds > 0 && nfds <= 8) {   /* the fds go with the first bytes */
		struct cmsghdr *c;
		memset(&control, 0, sizeof(control));
		m.msg_control = control.buf;
		m.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
	}
	while (off < len) {
		ssize_t n;
		iov.iov_base = (void *)(text + off);
		iov.iov_len = len - off;
		n = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sw_error_errno("send to slipwayd");
		off += (size_t)n;
		m.msg_control = NULL;
		m.msg_controllen = 0;
	}
	return 0;
}

int sw_ssh_gate_ask(const char *socket_path, const json_t *request, const int *fds, int nfds, int timeout_ms,
		    json_t **answer)
{
	struct sockaddr_un sa;
	struct sw_buf line = SW_BUF_INIT;
	char *text = NULL, tmp[1024];
	int fd = -1, ret = SW_ERROR;

	*answer = NULL;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return sw_error("socket path too long");
	memcpy(sa.sun_path, socket_path, strlen(socket_path));
	sw_buf_init(&line, MAX_ANSWER);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		sw_error_errno("slipwayd does not answer (is it running?)");
		goto cleanup;
	}
	text = json_dumps(request, JSON_COMPACT);
	if (!text)
		goto cleanup;
	{
		struct sw_buf out = SW_BUF_INIT;
		sw_buf_addf(&out, "%s\n", text);
		ret = send_request(fd, out.ptr, out.len, fds, nfds);
		sw_buf_release(&out);
		if (ret < 0)
			goto cleanup;
		ret = SW_ERROR;
	}
	while (!memchr(line.len ? line.ptr : "", '\n', line.len)) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;
		int r = poll(&p, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			sw_error_code(SW_ETIMEOUT, "slipwayd did not answer in time");
			goto cleanup;
		}
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			sw_error("slipwayd went away");
			goto cleanup;
		}
		if (sw_buf_add(&line, tmp, (size_t)n) < 0) {
			sw_error("slipwayd's answer is too long");
			goto cleanup;
		}
	}
	*answer = json_loadb(line.ptr, (size_t)((char *)memchr(line.ptr, '\n', line.len) - line.ptr), 0, NULL);
	if (!json_is_object(*answer)) {
		json_decref(*answer);
		*answer = NULL;
		sw_error("slipwayd's answer is not JSON");
		goto cleanup;
	}
	ret = 0;
cleanup:
	if (fd >= 0)
		close(fd);
	free(text);
	sw_buf_release(&line);
	return ret;
}
