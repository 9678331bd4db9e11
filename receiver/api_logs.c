#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "receiver/api_logs.h"
#include "receiver/app.h"
#include "receiver/db.h"
#include "receiver/reply.h"
#include "receiver/request.h"
#include "receiver/stream.h"
#include "releaser/applogs.h"
#include "releaser/releaser.h"
#include "common/error.h"
#include "common/event.h"
#include "common/json.h"
#include "common/log.h"
#include "common/number.h"
#include "common/strvec.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define DEFAULT_SINCE_S (24 * 3600)
#define DEFAULT_LINES 100
#define MAX_LINES 10000
#define KEEPALIVE_S 15.0
#define TAIL_POLL_MS 1000

struct item {
	double time;
	size_t seq;
	json_t *o;
};

struct logs_stream {
	struct sw_runenv e;
	int have_env;
	struct sw_cancel gone;    /* raised when the client went away */
	char app[SW_APP_REF_MAX + 1];   /* review apps have longer names */
	struct sw_applogs logs;   /* the app's output (releaser/applogs.h), filtered */
	int release;              /* filter, or 0 */
	int tail;
	size_t lines;
	long long start_ms;       /* the window's start */
	long long last_event;     /* newest slipway event id sent */
	int warned;
	int phase;                /* 0 backlog, 1 tail, 2 over */
	struct sw_buf *out;       /* while fill_logs() runs: where lines go */
	double last_sent;
	struct item *items;
	size_t nitems, alloc, seq;
};

static void add_item(struct logs_stream *ls, double time, json_t *o)
{
	SW_ALLOC_GROW(ls->items, ls->nitems + 1, ls->alloc);
	ls->items[ls->nitems].time = time;
	ls->items[ls->nitems].seq = ls->seq++;
	ls->items[ls->nitems].o = o;
	ls->nitems++;
}

static int by_time(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* o (its reference taken) as the next line. */
static void emit_json(struct logs_stream *ls, json_t *o)
{
	sw_reply_json_line(ls->out, o);
	ls->last_sent = sw_time_now();
}

/* Sort what was gathered, send the last `keep` (0: all), drop the rest. */
static void flush_items(struct logs_stream *ls, size_t keep)
{
	size_t i, from = 0;

	if (ls->nitems > 1)
		qsort(ls->items, ls->nitems, sizeof(*ls->items), by_time);
	if (keep && ls->nitems > keep)
		from = ls->nitems - keep;
	for (i = 0; i < ls->nitems; i++) {
		if (i >= from)
			emit_json(ls, ls->items[i].o);
		else
			json_decref(ls->items[i].o);
	}
	ls->nitems = 0;
}

static void add_line(void *ctx, double time, json_t *o)
{
	add_item(ctx, time, o);
}

/* The app's output from `from` ms on, as items. */
static int gather_logs(struct logs_stream *ls, long long from)
{
	return sw_applogs_read(&ls->e, &ls->logs, from, MAX_LINES * 2, add_line, ls);
}

/* slipway's events after last_event (and in the window), as items. */
static void gather_events(struct logs_stream *ls)
{
	json_t *list = NULL, *e;
	size_t i;

	if (sw_event_query(ls->e.db, ls->app, ls->last_event, 1000, NULL, &list) < 0)
		return;
	json_array_foreach(list, i, e) {
		double t = sw_json_num(e, "time", 0);
		const char *rel = sw_json_str(e, "release");
		long long id = sw_json_int(e, "id", 0);
		char ts[SW_TIME_ISO_SIZE];

		if (id > ls->last_event)
			ls->last_event = id;
		if (t * 1000 < (double)ls->start_ms)
			continue;
		if (ls->release && rel && atoi(rel + 1) != ls->release)
			continue;
		add_item(ls, t, json_pack("{s:s,s:f,s:O}", "ts", sw_time_iso_ms((long long)(t * 1000), ts), "time", t, "event", e));
	}
	json_decref(list);
}

static void warn_once(struct logs_stream *ls, const char *why)
{
	struct sw_buf b = SW_BUF_INIT;
	if (ls->warned)
		return;
	ls->warned = 1;
	sw_buf_addf(&b, "app output unavailable: %s", why);
	emit_json(ls, json_pack("{s:s}", "warning", b.ptr));
	sw_buf_release(&b);
}

static void sleep_ms(long long ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* The backlog, then (tail) what comes, or {} after a quiet while. */
static int fill_logs(void *ctx, struct sw_buf *out)
{
	struct logs_stream *ls = ctx;

	ls->out = out;
	while (!out->len) {
		long long seen;

		if (ls->phase == 2)
			return 1;
		if (ls->phase == 0) {
			if (!ls->have_env)
				warn_once(ls, "this slipwayd does not release (no AWS configuration)");
			else if (gather_logs(ls, ls->start_ms) < 0)
				warn_once(ls, sw_error_last());
			gather_events(ls);
			flush_items(ls, ls->lines);
			if (!ls->logs.last_ms)
				ls->logs.last_ms = ls->start_ms;
			ls->phase = ls->tail ? 1 : 2;
			continue;
		}
		seen = sw_event_latest();
		if (ls->have_env && !ls->warned && gather_logs(ls, ls->logs.last_ms) < 0)
			warn_once(ls, sw_error_last());
		gather_events(ls);
		flush_items(ls, 0);
		if (out->len)
			break;
		if (sw_time_now() - ls->last_sent >= KEEPALIVE_S)
			emit_json(ls, json_object());
		else if (ls->have_env && !ls->warned)
			sleep_ms(TAIL_POLL_MS);
		else if (sw_event_wait(seen, TAIL_POLL_MS) < 0)
			ls->phase = 2;   /* slipwayd is stopping */
	}
	return ls->phase == 2 ? 1 : 0;
}

static void logs_free(void *ctx)
{
	struct logs_stream *ls = ctx;
	size_t i;

	sw_cancel_raise(&ls->gone, SW_CANCEL_GONE, NULL);
	for (i = 0; i < ls->nitems; i++)
		json_decref(ls->items[i].o);
	free(ls->items);
	sw_applogs_release(&ls->logs);
	free(ls);
}

static int number_arg(struct MHD_Connection *c, const char *name, long long min, long long max, long long *out)
{
	const char *v = sw_request_arg(c, name);

	if (!v)
		return 0;
	return sw_number_parse(v[0] == 'v' && !strcmp(name, "release") ? v + 1 : v, min, max, out);
}

enum MHD_Result sw_api_logs_get(struct sw_server *s, struct MHD_Connection *c, const char *app, unsigned *status)
{
	const char *process = sw_request_arg(c, "process");
	long long since = DEFAULT_SINCE_S, lines = DEFAULT_LINES, release = 0;
	struct sw_stream_body body = { fill_logs, logs_free, NULL };
	struct logs_stream *ls;

	if (number_arg(c, "since", 1, 366LL * 86400, &since) < 0)
		return sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "since: want seconds (1 to a year)");
	if (number_arg(c, "lines", 1, MAX_LINES, &lines) < 0)
		return sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "lines: want 1 to %d", MAX_LINES);
	if (number_arg(c, "release", 1, 1000000000, &release) < 0)
		return sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "release: want a version like 7 or v7");
	if (process && (!*process || strlen(process) > 30 ||
			strspn(process, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(process)))
		return sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "process: not a process name");
	ls = xcalloc(1, sizeof(*ls));
	memcpy(ls->app, app, strlen(app) + 1);
	sw_cancel_init(&ls->gone);
	if (sw_releaser_env(&ls->e, s->db, app, &ls->gone) == 0) {
		ls->have_env = 1;
		sw_applogs_init(&ls->logs, &ls->e, app, process, (int)release);
	} else {
		ls->e.db = s->db;   /* events only */
		sw_strvec_init(&ls->logs.at_last);
	}
	ls->release = (int)release;
	ls->tail = sw_request_flag(c, "tail");
	ls->lines = (size_t)lines;
	ls->start_ms = (long long)((sw_time_now() - (double)since) * 1000);
	ls->last_sent = sw_time_now();
	body.ctx = ls;
	return sw_stream_reply(c, MHD_HTTP_OK, NULL, ls->tail ? 0 : -1, &body, status);
}
