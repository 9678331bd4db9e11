#include <errno.h>
#include <netinet/in.h>
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

#define CLIENT_BUCKETS 256

/* A client address (IPv4 or IPv6, as bytes) and its connections now. */
struct client {
	struct client *next;
	int family;
	unsigned char addr[16];
	int n;
};

/* A push served by slipway-push: its client counts until the process ends. */
struct push {
	pid_t pid;
	struct sockaddr_storage peer;
};

/*
 * A connection handed to MHD whose start MHD has not told yet (by fd): it stays counted
 * through the hand-over, and MHD's connection keeps its accept time. seq 0: none.
 */
struct handoff {
	unsigned long long seq;
	double t0;
	struct sockaddr_storage peer;
};

struct sw_frontdoor {
	int fd;
	struct MHD_Daemon *mhd;
	struct sw_connguard *guard;
	int per_client;
	sw_frontdoor_take_fn take;
	void *ctx;
	atomic_int stop;
	atomic_int peeking;   /* peek threads running */
	pthread_t thread;
	pthread_mutex_t mu;   /* the three tables below */
	struct client *clients[CLIENT_BUCKETS];
	struct push *pushes;
	size_t npushes, pushes_cap;
	pid_t early[64];      /* pushes reaped before push_started() recorded them (rare) */
	size_t nearly;
	struct handoff *handoffs;   /* by fd */
	size_t nhandoffs;
	unsigned long long seq;
};

struct peek {
	struct sw_frontdoor *d;
	int fd;
	double t0;            /* accepted at (sw_time_mono()) */
	void *slot;           /* its guard slot while we hold it */
	struct sockaddr_storage peer;
	socklen_t peer_len;
};

/* ---- connections per client address ---- */

/* peer's address bytes into addr: their length, 0 when it is no IP address (not counted). */
static size_t client_key(const struct sockaddr *peer, unsigned char addr[16])
{
	if (peer->sa_family == AF_INET) {
		memcpy(addr, &((const struct sockaddr_in *)peer)->sin_addr, 4);
		return 4;
	}
	if (peer->sa_family == AF_INET6) {
		memcpy(addr, &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
		return 16;
	}
	return 0;
}

/*
 * peer's count by delta. With limit > 0, a count already at limit is not raised: -1.
 * Else 0.
 */
static int client_count(struct sw_frontdoor *d, const struct sockaddr *peer, int delta, int limit)
{
	unsigned char addr[16];
	size_t len = client_key(peer, addr), i;
	unsigned h = 5381;
	struct client **pp, *c;
	int ret = 0;

	if (!len)
		return 0;
	for (i = 0; i < len; i++)
		h = h * 33 + addr[i];
	pthread_mutex_lock(&d->mu);
	for (pp = &d->clients[h % CLIENT_BUCKETS]; (c = *pp); pp = &c->next)
		if (c->family == peer->sa_family && !memcmp(c->addr, addr, len))
			break;
	if (!c && delta > 0) {
		c = xcalloc(1, sizeof(*c));
		c->family = peer->sa_family;
		memcpy(c->addr, addr, len);
		*pp = c;
	}
	if (!c)
		goto cleanup;
	if (delta > 0 && limit > 0 && c->n >= limit) {
		ret = -1;
		goto cleanup;
	}
	c->n += delta;
	if (c->n <= 0) {   /* gone: the table holds only addresses with connections */
		*pp = c->next;
		free(c);
	}
cleanup:
	pthread_mutex_unlock(&d->mu);
	return ret;
}

void sw_frontdoor_client(struct sw_frontdoor *d, const struct sockaddr *peer, int delta)
{
	if (d && peer)
		client_count(d, peer, delta, 0);
}

/* A push process of peer's (counted already) runs as pid. */
static void push_started(struct sw_frontdoor *d, pid_t pid, const struct sockaddr_storage *peer)
{
	size_t i;

	pthread_mutex_lock(&d->mu);
	for (i = 0; i < d->nearly; i++)
		if (d->early[i] == pid) {   /* over already: its count goes at once */
			d->early[i] = d->early[--d->nearly];
			pthread_mutex_unlock(&d->mu);
			client_count(d, (const struct sockaddr *)peer, -1, 0);
			return;
		}
	if (d->npushes == d->pushes_cap) {
		d->pushes_cap = d->pushes_cap ? d->pushes_cap * 2 : 16;
		d->pushes = xrealloc(d->pushes, d->pushes_cap * sizeof(*d->pushes));
	}
	d->pushes[d->npushes].pid = pid;
	d->pushes[d->npushes].peer = *peer;
	d->npushes++;
	pthread_mutex_unlock(&d->mu);
}

/* sw_pushproc_reap()'s report: the push of pid ended, its client counts one less. */
static void push_ended(void *ctx, pid_t pid)
{
	struct sw_frontdoor *d = ctx;
	struct sockaddr_storage peer;
	size_t i;
	int found = 0;

	pthread_mutex_lock(&d->mu);
	for (i = 0; i < d->npushes; i++)
		if (d->pushes[i].pid == pid) {
			peer = d->pushes[i].peer;
			d->pushes[i] = d->pushes[--d->npushes];
			found = 1;
			break;
		}
	if (!found && d->nearly < sizeof(d->early) / sizeof(d->early[0]))
		d->early[d->nearly++] = pid;   /* push_started() is about to record it */
	pthread_mutex_unlock(&d->mu);
	if (found)
		client_count(d, (const struct sockaddr *)&peer, -1, 0);
}

double sw_frontdoor_started(struct sw_frontdoor *d, int fd)
{
	double t = 0;

	if (d && fd >= 0) {
		pthread_mutex_lock(&d->mu);
		if ((size_t)fd < d->nhandoffs && d->handoffs[fd].seq) {
			t = d->handoffs[fd].t0;
			d->handoffs[fd].seq = 0;
		}
		pthread_mutex_unlock(&d->mu);
	}
	return t > 0 ? t : sw_time_mono();
}

/*
 * MHD takes pk's connection as it is: its count goes on (MHD's connection notices end
 * it), its guard slot is MHD's to open again from the same accept time.
 */
static void to_mhd(struct sw_frontdoor *d, struct peek *pk)
{
	struct sockaddr_storage stale;
	unsigned long long mine;
	int fd = pk->fd, had_stale = 0, failed;

	sw_connguard_close(d->guard, pk->slot);
	pk->slot = NULL;
	pthread_mutex_lock(&d->mu);
	if ((size_t)fd >= d->nhandoffs) {
		size_t n = (size_t)fd + 64;
		d->handoffs = xrealloc(d->handoffs, n * sizeof(*d->handoffs));
		memset(d->handoffs + d->nhandoffs, 0, (n - d->nhandoffs) * sizeof(*d->handoffs));
		d->nhandoffs = n;
	}
	/* one handed over on this fd before that MHD never started (it closed it
	 * failing): its fd is reused, so it is gone */
	if (d->handoffs[fd].seq) {
		stale = d->handoffs[fd].peer;
		had_stale = 1;
	}
	mine = ++d->seq;
	d->handoffs[fd].seq = mine;
	d->handoffs[fd].t0 = pk->t0;
	d->handoffs[fd].peer = pk->peer;
	pthread_mutex_unlock(&d->mu);
	if (had_stale)
		client_count(d, (const struct sockaddr *)&stale, -1, 0);
	/* MHD owns it from here, and closes it whatever happens */
	failed = MHD_add_connection(d->mhd, fd, (const struct sockaddr *)&pk->peer, pk->peer_len) != MHD_YES;
	pk->fd = -1;
	if (!failed)
		return;
	sw_log_warn("http: a connection could not be taken: %s", strerror(errno));
	pthread_mutex_lock(&d->mu);
	failed = d->handoffs[fd].seq == mine;   /* (else a later hand-over released it already) */
	if (failed)
		d->handoffs[fd].seq = 0;
	pthread_mutex_unlock(&d->mu);
	if (failed)
		client_count(d, (const struct sockaddr *)&pk->peer, -1, 0);
}

/* pk's connection ends here, unserved (its client gone, or cut by the guard). */
static void drop(struct sw_frontdoor *d, struct peek *pk)
{
	sw_connguard_close(d->guard, pk->slot);
	pk->slot = NULL;
	close(pk->fd);
	pk->fd = -1;
	client_count(d, (const struct sockaddr *)&pk->peer, -1, 0);
}

/* ---- peeking ---- */

/* "POST " so far (n bytes of it): 1 when data can still be the start of a push. */
static int may_be_push(const char *data, size_t n)
{
	return !memcmp(data, "POST ", n < 5 ? n : 5);
}

/*
 * Peek at the head: 1 with h filled when it is a complete head of a POST to a
 * git-receive-pack path, -1 when the client is gone before a byte (or the guard cut it),
 * else 0 (not one, too slow, malformed).
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
		if (n <= 0)
			return last ? 0 : -1;
		if (!may_be_push(buf, (size_t)n))
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
	int r = peek_push(pk->fd, &h);
	pid_t pid = 0;

	if (r == 1) {
		/* the head is all there: the deadline is met, and take() may close the fd */
		sw_connguard_close(d->guard, pk->slot);
		pk->slot = NULL;
		if (d->take(d->ctx, pk->fd, &h, (const struct sockaddr *)&pk->peer, pk->peer_len, &pid) == 1) {
			push_started(d, pid, &pk->peer);   /* its count stays until it ends */
			pk->fd = -1;
		}
	}
	if (r < 0)
		drop(d, pk);
	else if (pk->fd >= 0)
		to_mhd(d, pk);
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

		sw_pushproc_reap(push_ended, d);
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
		/* one over its address's limit: closed at once, unread (as MHD does) */
		if (client_count(d, (const struct sockaddr *)&pk->peer, 1, d->per_client) < 0) {
			close(fd);
			free(pk);
			continue;
		}
		pk->d = d;
		pk->fd = fd;
		pk->t0 = sw_time_mono();
		pk->slot = sw_connguard_open_at(d->guard, fd, pk->t0);
		if (atomic_fetch_add(&d->peeking, 1) >= PEEK_MAX || pthread_create(&t, &attr, look, pk) != 0) {
			/* no thread to peek with: MHD takes it as it is */
			atomic_fetch_sub(&d->peeking, 1);
			to_mhd(d, pk);
			free(pk);
		}
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

int sw_frontdoor_start(struct sw_frontdoor **out, int listen_fd, struct MHD_Daemon *mhd, struct sw_connguard *guard,
		       int per_client, sw_frontdoor_take_fn take, void *ctx)
{
	struct sw_frontdoor *d = xcalloc(1, sizeof(*d));

	d->fd = listen_fd;
	d->mhd = mhd;
	d->guard = guard;
	d->per_client = per_client;
	pthread_mutex_init(&d->mu, NULL);
	d->take = take;
	d->ctx = ctx;
	atomic_init(&d->stop, 0);
	atomic_init(&d->peeking, 0);
	/* set before the first connection: MHD's notices may ask for it at once */
	*out = d;
	if (pthread_create(&d->thread, NULL, accept_loop, d) != 0) {
		pthread_mutex_destroy(&d->mu);
		free(d);
		*out = NULL;
		return sw_error("cannot start the accept thread");
	}
	return 0;
}

void sw_frontdoor_stop(struct sw_frontdoor *d)
{
	if (!d || atomic_exchange(&d->stop, 1))
		return;
	pthread_join(d->thread, NULL);
	close(d->fd);
	/* d stays: a peeking thread may still hand its connection on (the process ends soon) */
}
