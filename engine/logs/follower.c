#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/logs/follower.h"
#include "engine/logs/logs_db.h"
#include "common/docker.h"
#include "common/error.h"
#include "common/http.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "common/banned.h"

struct sw_logs_follower {
	struct sw_logs *logs;
	char *container;      /* Docker id */
	long long stream;     /* streams.id */
	int tty;
	/*
	 * The cursor: the timestamp of the last line taken (stored, or skipped as empty),
	 * and how many lines carried exactly that timestamp. Resuming with since=cursor,
	 * Docker sends those lines again: the first `skip` of them are dropped.
	 */
	long long cursor_ns;
	long long count;
	long long skip;
	/* parsing the multiplexed stream */
	struct sw_buf in;
	struct sw_buf partial;      /* a line Docker split (no '\n' yet) */
	long long partial_ns;
	struct sw_logs_follower *next;
};

/* RFC 3339 with nanoseconds ("2026-11-26T10:00:00.123456789Z") -> ns since the epoch. */
static int parse_ts(const char *s, size_t n, long long *ns)
{
	struct tm tm;
	long long frac = 0;
	int digits = 0;
	const char *p = s, *end = s + n;
	char tmp[32];

	if (n < 20 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	memset(&tm, 0, sizeof(tm));
	if (sscanf(tmp, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	p = s + 19;
	if (p < end && *p == '.') {
		for (p++; p < end && *p >= '0' && *p <= '9'; p++)
			if (digits < 9) {
				frac = frac * 10 + (*p - '0');
				digits++;
			}
	}
	while (digits++ < 9)
		frac *= 10;
	if (p >= end || *p != 'Z')
		return -1;
	*ns = (long long)timegm(&tm) * 1000000000LL + frac;
	return 0;
}

struct batch {
	struct sw_logs_line *lines;
	size_t n, alloc;
	int moved;   /* the cursor moved */
};

/* One complete line of the container (timestamp already split off). */
static void add_line(struct sw_logs_follower *f, struct batch *b, long long ns, const char *msg, size_t len)
{
	struct sw_logs_line *ln;

	/* resuming: what the cursor says was taken already */
	if (ns < f->cursor_ns)
		return;
	if (ns == f->cursor_ns && f->skip > 0) {
		f->skip--;
		return;
	}
	if (ns == f->cursor_ns) {
		f->count++;
	} else {
		f->cursor_ns = ns;
		f->count = 1;
		f->skip = 0;
	}
	b->moved = 1;
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		len--;
	if (!len)
		return;
	if (len > SW_LOGS_EVENT_MAX)
		len = SW_LOGS_EVENT_MAX;
	SW_ALLOC_GROW(b->lines, b->n + 1, b->alloc);
	ln = &b->lines[b->n++];
	ln->ts_ms = ns / 1000000;
	ln->message = xmemdup(msg, len);
	ln->len = len;
}

/* One log message from Docker: "<timestamp> <text>", ending in '\n' unless Docker split it. */
static void add_message(struct sw_logs_follower *f, struct batch *b, const char *data, size_t n)
{
	const char *sp = memchr(data, ' ', n < 40 ? n : 40);
	long long ns;
	int complete = n && data[n - 1] == '\n';

	if (!sp || parse_ts(data, (size_t)(sp - data), &ns) < 0)
		return;
	sp++;
	if (!f->partial.len)
		f->partial_ns = ns;
	if (!complete || f->partial.len) {
		if (f->partial.len < SW_LOGS_EVENT_MAX)
			sw_buf_add(&f->partial, sp, (size_t)(data + n - sp) < SW_LOGS_EVENT_MAX - f->partial.len ?
				   (size_t)(data + n - sp) : SW_LOGS_EVENT_MAX - f->partial.len);
		if (!complete)
			return;
		add_line(f, b, f->partial_ns, f->partial.ptr, f->partial.len);
		sw_buf_reset(&f->partial);
		return;
	}
	add_line(f, b, ns, sp, (size_t)(data + n - sp));
}

static void batch_release(struct batch *b)
{
	size_t i;
	for (i = 0; i < b->n; i++)
		free(b->lines[i].message);
	free(b->lines);
}

/* Docker's log stream arrives here: frames (8-byte header) or, with a TTY, raw lines. */
static int on_logs(void *ctx, const char *data, size_t n)
{
	struct sw_logs_follower *f = ctx;
	struct batch b = { NULL, 0, 0, 0 };
	size_t off = 0;
	int ret = 0;

	if (sw_buf_add(&f->in, data, n) < 0)
		return -1;
	if (f->tty) {
		char *nl;
		while ((nl = memchr(f->in.ptr + off, '\n', f->in.len - off))) {
			add_message(f, &b, f->in.ptr + off, (size_t)(nl - f->in.ptr - off) + 1);
			off = (size_t)(nl - f->in.ptr) + 1;
		}
	} else {
		while (f->in.len - off >= 8) {
			const unsigned char *h = (const unsigned char *)f->in.ptr + off;
			size_t size = ((size_t)h[4] << 24) | ((size_t)h[5] << 16) | ((size_t)h[6] << 8) | h[7];
			if (f->in.len - off - 8 < size)
				break;
			if (h[0] == 1 || h[0] == 2)
				add_message(f, &b, f->in.ptr + off + 8, size);
			off += 8 + size;
		}
	}
	sw_buf_consume(&f->in, off);
	if (b.moved) {
		/* the lines and the cursor in one transaction: a restart neither loses nor repeats */
		pthread_mutex_lock(&f->logs->lock);
		ret = sw_logs_db_store_events(f->logs, f->stream, b.lines, b.n, f->container, f->cursor_ns, f->count);
		pthread_mutex_unlock(&f->logs->lock);
		if (ret < 0) {
			/* stop here: the follower starts again from the stored cursor */
			sw_log_error("logs: container %.12s: %s", f->container, sw_error_last());
			ret = -1;
		}
	}
	batch_release(&b);
	return ret;
}

static void follower_free(struct sw_logs_follower *f)
{
	if (!f)
		return;
	free(f->container);
	sw_buf_release(&f->in);
	sw_buf_release(&f->partial);
	free(f);
}

static int container_running(const char *id)
{
	struct sw_buf path = SW_BUF_INIT;
	json_t *doc = NULL;
	int running = 0;
	sw_buf_addf(&path, "/containers/%s/json", id);
	if (sw_docker_json("GET", path.ptr, NULL, &doc) >= 0)
		running = sw_json_bool(json_object_get(doc, "State"), "Running", 0);
	json_decref(doc);
	sw_buf_release(&path);
	return running;
}

static void *follower_main(void *arg)
{
	struct sw_logs_follower *f = arg;
	struct sw_logs *l = f->logs;
	struct sw_http_request req = { 0 };
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	struct sw_buf path = SW_BUF_INIT, url = SW_BUF_INIT;
	struct sw_logs_follower **pp;
	int rc;

	sw_buf_addf(&path, "/containers/%s/logs?follow=1&stdout=1&stderr=1&timestamps=1", f->container);
	if (f->cursor_ns > 0)
		sw_buf_addf(&path, "&since=%lld.%09lld", f->cursor_ns / 1000000000LL, f->cursor_ns % 1000000000LL);
	rc = sw_docker_prepare(&req, &url, path.ptr);
	if (rc == 0) {
		req.write = on_logs;
		req.write_ctx = f;
		req.max_body = 1;
		rc = sw_http_do(&req, &res);
	}
	if (rc == 0 && res.status == 200 && !container_running(f->container)) {
		/* the whole life of the container is stored: never follow it again */
		pthread_mutex_lock(&l->lock);
		if (f->partial.len) {
			struct sw_logs_line ln = { f->partial_ns / 1000000, f->partial.ptr, f->partial.len };
			sw_logs_db_store_events(l, f->stream, &ln, 1, NULL, 0, 0);
		}
		sw_logs_db_cursor_done(l, f->container, f->stream);
		pthread_mutex_unlock(&l->lock);
	} else if (rc < 0 || res.status != 200) {
		sw_log_warn("logs: container %.12s: %s", f->container,
			    rc < 0 ? sw_error_last() : res.status == 404 ? "gone" : "Docker refused its logs");
		if (res.status == 404) {
			pthread_mutex_lock(&l->lock);
			sw_logs_db_cursor_done(l, f->container, f->stream);
			pthread_mutex_unlock(&l->lock);
		}
	}
	pthread_mutex_lock(&l->lock);
	for (pp = &l->followers; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	pthread_mutex_unlock(&l->lock);
	follower_free(f);
	sw_http_response_release(&res);
	sw_buf_release(&path);
	sw_buf_release(&url);
	return NULL;
}

int sw_logs_follower_running(struct sw_logs *l, const char *id)
{
	struct sw_logs_follower *f;
	for (f = l->followers; f; f = f->next)
		if (!strcmp(f->container, id))
			return 1;
	return 0;
}

int sw_logs_follower_start(struct sw_logs *l, const char *id, long long stream, int tty, long long cursor_ns,
			   long long same)
{
	struct sw_logs_follower *f = xcalloc(1, sizeof(*f));
	pthread_attr_t attr;
	pthread_t th;
	int ret = 0;

	f->logs = l;
	f->container = xstrdup(id);
	f->stream = stream;
	f->tty = tty;
	f->cursor_ns = cursor_ns;
	f->count = same;
	f->skip = same;
	sw_buf_init(&f->partial, 0);
	sw_buf_init(&f->in, 4u << 20);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	if (pthread_create(&th, &attr, follower_main, f) != 0) {
		ret = sw_error("logs: cannot start a follower for %.12s", id);
		follower_free(f);
	} else {
		f->next = l->followers;
		l->followers = f;
	}
	pthread_attr_destroy(&attr);
	return ret;
}
