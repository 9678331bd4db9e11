#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "receiver/door.h"
#include "receiver/pushproc.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "common/strvec.h"
#include "common/banned.h"

#define LISTEN_FD 3
#define PIPE_FD 4
#define HOME_CHECK_MS 5000
#define DRAIN_MS 300   /* what a client sent before our answer is read, so closing does not reset it */

/* What every request hears (git shows a text/plain error body as "remote: ..."). */
static const char NOT_RUNNING[] = "slipway is not running: slipwayd stopped (scripts/up starts it again)\n";

/* $home/door.sock into addr; -1 when the path does not fit. */
static int door_addr(const char *home, struct sockaddr_un *addr)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if ((size_t)snprintf(addr->sun_path, sizeof(addr->sun_path), "%s/door.sock", home) >= sizeof(addr->sun_path))
		return -1;
	return 0;
}

int sw_door_take(const char *home, int *fd)
{
	struct sockaddr_un addr;
	char byte;
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr msg;
	struct cmsghdr *c;
	int s, ret = 0;

	*fd = -1;
	if (door_addr(home, &addr) < 0)
		return 0;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return sw_error_errno("socket");
	if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(s);
		return 0;   /* no door keeper waits: a first start, or one after a clean stop */
	}
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl;
	msg.msg_controllen = sizeof(ctl);
	if (recvmsg(s, &msg, MSG_CMSG_CLOEXEC) == 1 && (c = CMSG_FIRSTHDR(&msg)) && c->cmsg_type == SCM_RIGHTS) {
		memcpy(fd, CMSG_DATA(c), sizeof(int));
		ret = 1;
	}
	close(s);
	return ret;
}

int sw_door_start(const char *program, const char *home, int listen_fd, int *keep)
{
	struct sw_strvec env = SW_STRVEC_INIT;
	int p[2], ret;

	*keep = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return sw_error_errno("pipe");
	sw_strvec_pushf(&env, "SLIPWAY_HOME=%s", home);
	ret = sw_pushproc_spawn(program, listen_fd, p[0], &env, NULL);
	close(p[0]);
	if (ret < 0)
		close(p[1]);
	else
		*keep = p[1];
	sw_strvec_clear(&env);
	return ret;
}

void sw_door_close(int keep, int stopping)
{
	if (keep < 0)
		return;
	if (stopping)
		(void)!write(keep, "q", 1);
	close(keep);
}

/* One client: what it sent read (briefly), the answer, the end. */
static void answer(int c)
{
	char tmp[8192], out[512];
	struct pollfd p = { c, POLLIN, 0 };
	size_t off = 0, n;

	n = (size_t)snprintf(out, sizeof(out), "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
			     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", strlen(NOT_RUNNING), NOT_RUNNING);
	if (poll(&p, 1, DRAIN_MS) > 0)
		(void)!recv(c, tmp, sizeof(tmp), MSG_DONTWAIT);
	while (off < n) {
		ssize_t w = send(c, out + off, n - off, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	shutdown(c, SHUT_WR);
	while (poll(&p, 1, DRAIN_MS) > 0 && recv(c, tmp, sizeof(tmp), 0) > 0)
		;
	close(c);
}

/* Hand the listening socket to the next slipwayd on c. 0 when it took it. */
static int hand_over(int c)
{
	char byte = 'l';
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr msg;
	struct cmsghdr *cm;
	int fd = LISTEN_FD;

	memset(&msg, 0, sizeof(msg));
	memset(ctl, 0, sizeof(ctl));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl;
	msg.msg_controllen = sizeof(ctl);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(c, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/* slipwayd died: answer on its port until the next one takes it, or home is gone. */
static int keep_the_door(const char *home)
{
	struct sockaddr_un addr;
	struct stat st;
	int u, ret = 1;

	if (door_addr(home, &addr) < 0)
		return 2;
	u = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(addr.sun_path);
	if (u < 0 || bind(u, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(u, 4) < 0) {
		sw_log_error("slipway-door: %s: %s", addr.sun_path, strerror(errno));
		return 2;
	}
	sw_log_warn("slipwayd is gone: answering \"slipway is not running\" until it starts again");
	for (;;) {
		struct pollfd p[2] = { { LISTEN_FD, POLLIN, 0 }, { u, POLLIN, 0 } };
		int r = poll(p, 2, HOME_CHECK_MS), c;

		if (r < 0 && errno != EINTR)
			break;
		if (stat(home, &st) < 0) {   /* its home removed: nothing to keep */
			ret = 0;
			break;
		}
		if (r > 0 && (p[1].revents & POLLIN) && (c = accept4(u, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
			int handed = hand_over(c) == 0;
			close(c);
			if (handed) {
				ret = 0;
				break;
			}
		}
		if (r > 0 && (p[0].revents & POLLIN) && (c = accept4(LISTEN_FD, NULL, NULL, SOCK_CLOEXEC)) >= 0)
			answer(c);
	}
	unlink(addr.sun_path);
	close(u);
	return ret;
}

int sw_door_run(const char *home)
{
	char word = 0;
	ssize_t n;

	if (!home || home[0] != '/')
		return 2;
	/* slipwayd's word when it stops on purpose; the end of the pipe without one when it died */
	do {
		n = read(PIPE_FD, &word, 1);
	} while (n < 0 && errno == EINTR);
	close(PIPE_FD);
	if (n == 1)
		return 0;
	return keep_the_door(home);
}
