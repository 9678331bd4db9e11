/*
 * The app scripts/bench/router puts in a container: a tiny HTTP/1.1 server (epoll,
 * one thread, keep-alive) answering every request with "ok\n", so that the benchmark
 * measures the router rather than a slow app. Built statically by the benchmark.
 *
 *	router-app PORT
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "common/banned.h"

#define MAX_CONN 4096
#define BUF 8192

static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n";
static const char reply_close[] =
	"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";

struct conn {
	size_t len;
	char buf[BUF];
};

static struct conn *conns[MAX_CONN];

static void drop(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	free(conns[fd]);
	conns[fd] = NULL;
}

/* Answer every complete request in the buffer; 0 to keep the connection, -1 to close. */
static int serve(int fd, struct conn *c)
{
	char *end;
	while ((end = memmem(c->buf, c->len, "\r\n\r\n", 4))) {
		size_t used = (size_t)(end - c->buf) + 4;
		int close_it = memmem(c->buf, used, "Connection: close", 17) != NULL ||
			       memmem(c->buf, used, "HTTP/1.0", 8) != NULL;
		const char *r = close_it ? reply_close : reply;
		size_t n = close_it ? sizeof(reply_close) - 1 : sizeof(reply) - 1;
		if (write(fd, r, n) != (ssize_t)n || close_it)
			return -1;
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
	}
	return c->len == BUF ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct epoll_event ev, events[256];
	int lfd, ep, one = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: router-app PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1024) < 0) {
		perror("router-app: listen");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(ep, events, 256, -1), i;
		for (i = 0; i < n; i++) {
			int fd = events[i].data.fd;
			if (fd == lfd) {
				int c;
				while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					if (c >= MAX_CONN) {
						close(c);
						continue;
					}
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					conns[c] = calloc(1, sizeof(struct conn));
					ev.events = EPOLLIN;
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			{
				struct conn *c = conns[fd];
				ssize_t r;
				if (!c)
					continue;
				r = read(fd, c->buf + c->len, BUF - c->len);
				if (r <= 0) {
					if (r < 0 && errno == EAGAIN)
						continue;
					drop(ep, fd);
					continue;
				}
				c->len += (size_t)r;
				if (serve(fd, c) < 0)
					drop(ep, fd);
			}
		}
	}
}
