#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "receiver/frontdoor.h"
#include "common/error.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define ACCEPT_POLL_MS 250
/* How long a connection may take to send its request head before it goes to MHD as it is. */
#define PEEK_MS 5000
#define PEEK_STACK (256 * 1024)
/* Connections peeked at once; past it (a flood of slow clients) MHD takes them as they are. */
#define PEEK_MAX 256

struct sw_frontdoor {
	int fd;
	struct MHD_Daemon *mhd;
	sw_frontdoor_take_fn take;
	void *ctx;
	atomic_int stop;
	atomic_int peeking;   /* peek threads running */
	pthread_t thread;
};

struct peek {
	struct sw_frontdoor *d;
	int fd;
	struct sockaddr_storage peer;
	socklen_t peer_len;
};

/* "POST " so far (n bytes of it): 1 when data can still be the start of a push. */
static int may_be_push(const char *data, size_t n)
{
	return !memcmp(data, "POST ", n < 5 ? n : 5);
}

/*
 * Peek at the head: 1 with h filled when it is a complete head of a POST to a
 * git-receive-pack path, else 0 (not one, too slow, malformed, or the client gone).
 */
static int peek_push(int fd, struct sw_http_head *h)
{
	char buf[SW_HTTP_HEAD_MAX];
	double until = sw_time_mono() + PEEK_MS / 1000.0;
	ssize_t n, last = 0;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		double left = until - sw_time_mono();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)(left * 1000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0 || !may_be_push(buf, (size_t)n))
			return 0;
		r = sw_http_head_parse(h, buf, (size_t)n);
		if (r < 0)
			return 0;
		if (r > 0) {
			const char *q = strchr(h->target, '?');
			size_t tl = q ? (size_t)(q - h->target) : strlen(h->target);
			return tl > 17 && !memcmp(h->target + tl - 17, "/git-receive-pack", 17);
		}
		if (n == last) {
			/* data waits that is not the whole head: poll says so at once, so wait a little */
			struct timespec ts = { 0, 10 * 1000000L };
			nanosleep(&ts, NULL);
		}
		last = n;
	}
}

static void *look(void *arg)
{
	struct peek *pk = arg;
	struct sw_frontdoor *d = pk->d;
	struct sw_http_head h = SW_HTTP_HEAD_INIT;

	if (peek_push(pk->fd, &h) &&
	    d->take(d->ctx, pk->fd, &h, (const struct sockaddr *)&pk->peer, pk->peer_len) == 1)
		pk->fd = -1;
	/* MHD owns it from here, and closes it whatever happens */
	if (pk->fd >= 0 && MHD_add_connection(d->mhd, pk->fd, (const struct sockaddr *)&pk->peer, pk->peer_len) != MHD_YES)
		sw_log_warn("http: a connection could not be taken: %s", strerror(errno));
	sw_http_head_release(&h);
	free(pk);
	atomic_fetch_sub(&d->peeking, 1);
	return NULL;
}

static void *accept_loop(void *arg)
{
	struct sw_frontdoor *d = arg;
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, PEEK_STACK);
	while (!atomic_load(&d->stop)) {
		struct pollfd p = { d->fd, POLLIN, 0 };
		struct peek *pk;
		pthread_t t;
		int fd;

		sw_pushproc_reap();
		if (poll(&p, 1, ACCEPT_POLL_MS) <= 0)
			continue;
		pk = xcalloc(1, sizeof(*pk));
		pk->peer_len = sizeof(pk->peer);
		fd = accept4(d->fd, (struct sockaddr *)&pk->peer, &pk->peer_len, SOCK_CLOEXEC);
		if (fd < 0) {
			free(pk);
			if (errno == EMFILE || errno == ENFILE || errno == ENOMEM) {
				struct timespec ts = { 0, 100 * 1000000L };
				nanosleep(&ts, NULL);
			}
			continue;
		}
		pk->d = d;
		pk->fd = fd;
		if (atomic_fetch_add(&d->peeking, 1) >= PEEK_MAX || pthread_create(&t, &attr, look, pk) != 0) {
			/* no thread to peek with: MHD takes it as it is */
			atomic_fetch_sub(&d->peeking, 1);
			if (MHD_add_connection(d->mhd, fd, (const struct sockaddr *)&pk->peer, pk->peer_len) != MHD_YES)
				sw_log_warn("http: a connection could not be taken: %s", strerror(errno));
			free(pk);
		}
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

int sw_frontdoor_start(struct sw_frontdoor **out, int listen_fd, struct MHD_Daemon *mhd, sw_frontdoor_take_fn take,
		       void *ctx)
{
	struct sw_frontdoor *d = xcalloc(1, sizeof(*d));

	d->fd = listen_fd;
	d->mhd = mhd;
	d->take = take;
	d->ctx = ctx;
	atomic_init(&d->stop, 0);
	atomic_init(&d->peeking, 0);
	if (pthread_create(&d->thread, NULL, accept_loop, d) != 0) {
		free(d);
		*out = NULL;
		return sw_error("cannot start the accept thread");
	}
	*out = d;
	return 0;
}

void sw_frontdoor_stop(struct sw_frontdoor *d)
{
	if (!d)
		return;
	atomic_store(&d->stop, 1);
	pthread_join(d->thread, NULL);
	close(d->fd);
	/* d stays: a peeking thread may still hand its connection on (the process ends soon) */
}
