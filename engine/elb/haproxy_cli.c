#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "engine/elb/haproxy.h"
#include "common/error.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define CLI_MAX_OUTPUT (8u << 20)
#define CLI_TIMEOUT_MS 10000
#define CLI_BATCH 8000          /* bytes of ';'-joined commands per CLI connection */

/*
 * One command line (commands joined with ';' are run in order) on a CLI socket;
 * HAProxy answers and closes. out gets the answer (capped).
 */
int sw_elb_haproxy_cli(const char *sock, const char *cmd, struct sw_buf *out)
{
	struct sockaddr_un sa;
	struct pollfd pfd;
	size_t len = strlen(cmd), off = 0;
	long long deadline = sw_time_mono_ms() + CLI_TIMEOUT_MS;
	int fd = -1, ret = SW_ERROR;
	char tmp[16384];

	sw_buf_reset(out);
	if (out->cap == 0)
		out->cap = CLI_MAX_OUTPUT;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(sa.sun_path))
		return sw_error("router: socket path too long: %s", sock);
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sw_error_errno("router: socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = sw_error_code(SW_EUNAVAIL, "router: connect %s: %s", sock, strerror(errno));
		goto cleanup;
	}
	while (off < len + 1) {
		ssize_t n = off < len ? send(fd, cmd + off, len - off, MSG_NOSIGNAL)
				      : send(fd, "\n", 1, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = sw_error_code(SW_EUNAVAIL, "router: send to %s: %s", sock, strerror(errno));
			goto cleanup;
		}
		off += (size_t)n;
	}
	/* The master CLI waits for the end of input; the worker's answers either way. */
	shutdown(fd, SHUT_WR);
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		long long left = deadline - sw_time_mono_ms();
		ssize_t n;
		int pr;

		if (left <= 0) {
			ret = sw_error_code(SW_ETIMEOUT, "router: HAProxy did not answer '%.40s' in time", cmd);
			goto cleanup;
		}
		pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			ret = sw_error_errno("router: poll");
			goto cleanup;
		}
		if (pr == 0)
			continue;
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = sw_error_code(SW_EUNAVAIL, "router: read from %s: %s", sock, strerror(errno));
			goto cleanup;
		}
		if (n == 0)
			break;
		if (sw_buf_add(out, tmp, (size_t)n) < 0) {
			ret = sw_error_code(SW_ETOOBIG, "router: HAProxy's answer to '%.40s' is too large", cmd);
			goto cleanup;
		}
	}
	ret = 0;

cleanup:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Run a command whose success prints nothing (set server, enable health, ...). */
int sw_elb_haproxy_cli_quiet(struct sw_elb_router *r, const char *cmd)
{
	struct sw_buf out = SW_BUF_INIT;
	int ret = sw_elb_haproxy_cli(r->sock_path, cmd, &out);
	if (ret == 0) {
		sw_buf_rtrim(&out);
		if (out.len)
			ret = sw_error("router: HAProxy: %s: %s", cmd, out.ptr);
	}
	sw_buf_release(&out);
	return ret;
}

/* Run ';'-joined commands in batches (each prints nothing on success). */
int sw_elb_haproxy_cli_batches(struct sw_elb_router *r, struct sw_strvec *cmds)
{
	struct sw_buf line = SW_BUF_INIT;
	size_t i;
	int ret = 0;

	for (i = 0; i < cmds->nr && ret == 0; i++) {
		if (line.len && line.len + strlen(cmds->v[i]) > CLI_BATCH) {
			ret = sw_elb_haproxy_cli_quiet(r, line.ptr);
			sw_buf_reset(&line);
		}
		if (line.len)
			sw_buf_addch(&line, ';');
		sw_buf_adds(&line, cmds->v[i]);
	}
	if (ret == 0 && line.len)
		ret = sw_elb_haproxy_cli_quiet(r, line.ptr);
	sw_buf_release(&line);
	return ret;
}

/* "Pid: N" of the worker answering the admin socket, or negative. */
int sw_elb_haproxy_worker_pid(struct sw_elb_router *r, long *pid)
{
	struct sw_buf out = SW_BUF_INIT;
	const char *p;
	int ret = sw_elb_haproxy_cli(r->sock_path, "show info", &out);

	if (ret == 0) {
		p = strstr(out.ptr, "\nPid: ");
		if (!p && !strncmp(out.ptr, "Pid: ", 5))
			p = out.ptr - 1;
		if (p)
			*pid = strtol(p + 6, NULL, 10);
		else
			ret = sw_error("router: HAProxy's show info has no Pid");
	}
	sw_buf_release(&out);
	return ret;
}

/* The "failed" count of the master's reloads ("show proc"), or -1. */
long sw_elb_haproxy_failed_reloads(struct sw_elb_router *r)
{
	struct sw_buf out = SW_BUF_INIT;
	long failed = -1;
	const char *p;

	if (sw_elb_haproxy_cli(r->master_path, "show proc", &out) == 0 && (p = strstr(out.ptr, "[failed: ")))
		failed = strtol(p + 9, NULL, 10);
	sw_buf_release(&out);
	return failed;
}

/* Server names HAProxy has, per backend: "be_x/s" lines of `show servers state`. */
void sw_elb_haproxy_known_servers(const char *dump, struct sw_strvec *known)
{
	const char *line = dump;
	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t n = eol ? (size_t)(eol - line) : strlen(line);
		if (n && line[0] != '#') {
			char *copy = xstrndup(line, n);
			char *save = NULL, *f[4] = { NULL };
			int i;
			for (i = 0; i < 4; i++)
				f[i] = strtok_r(i ? NULL : copy, " ", &save);
			if (f[3])
				sw_strvec_pushf(known, "%s/%s", f[1], f[3]);
			free(copy);
		}
		line = eol ? eol + 1 : NULL;
	}
}

int sw_elb_haproxy_has(const struct sw_strvec *sv, const char *s)
{
	size_t i;
	for (i = 0; i < sv->nr; i++)
		if (!strcmp(sv->v[i], s))
			return 1;
	return 0;
}
