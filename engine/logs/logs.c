#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/logs/logs.h"
#include "engine/engine.h"
#include "common/buf.h"
#include "common/docker.h"
#include "common/error.h"
#include "common/http.h"
#include "common/lines.h"
#include "common/log.h"
#include "common/store.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_EVENT_BYTES (256 * 1024 - 26)   /* CloudWatch: 256 KiB with 26 bytes per event */
#define MAX_PAGE_BYTES (1024 * 1024)
#define RESCAN_SECONDS 30
#define RETENTION_EVERY_SECONDS 3600
#define SCAN_CAP 100000                     /* rows FilterLogEvents looks at per call */

static const char *const migrations[] = {
	/* 1 */
	"CREATE TABLE groups (name TEXT PRIMARY KEY, created INTEGER NOT NULL, retention INTEGER,"
	"  stored INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE streams (id INTEGER PRIMARY KEY, grp TEXT NOT NULL REFERENCES groups (name) ON DELETE CASCADE,"
	"  name TEXT NOT NULL, created INTEGER NOT NULL, first_ts INTEGER, last_ts INTEGER, last_ingest INTEGER,"
	"  stored INTEGER NOT NULL DEFAULT 0, seq INTEGER NOT NULL DEFAULT 1, UNIQUE (grp, name));"
	"CREATE TABLE events (id INTEGER PRIMARY KEY, stream INTEGER NOT NULL REFERENCES streams (id) ON DELETE CASCADE,"
	"  ts INTEGER NOT NULL, ingest INTEGER NOT NULL, message TEXT NOT NULL);"
	"CREATE INDEX events_by_stream ON events (stream, ts, id);"
	"CREATE TABLE cursors (container TEXT PRIMARY KEY, stream INTEGER NOT NULL, ts_ns INTEGER NOT NULL,"
	"  same INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0);",
	NULL,
};

struct follower {
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
	struct follower *next;
};

struct sw_logs {
	struct sw_engine *e;
	pthread_mutex_t lock;  /* db and the followers list */
	sqlite3 *db;
	sqlite3 *engine_db;    /* read-only: task definitions */
	int default_retention;
	struct follower *followers;
	struct sw_buf ignored; /* "\n<id>\n" of containers that are not awslogs */
	pthread_t events_th, keeper_th;
	int started;
	int ever_started;      /* followers may still use the struct: never freed then */
	pthread_mutex_t wake_lock;
	pthread_cond_t wake_cond;
	int stop;
};

static struct sw_logs *the_logs;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- storage ---------------------------------------------------------------------- */

/* The id of group/stream, creating them when asked. 0, SW_ENOTFOUND or an error. Lock held. */
static int ensure_stream(struct sw_logs *l, const char *group, const char *stream, int create_group,
			 int retention, long long *id)
{
	sqlite3_stmt *st = NULL;
	int ret = 0, rc;
	long long now = now_ms();

	if (create_group) {
		if (sw_store_prepare(l->db, &st, "INSERT OR IGNORE INTO groups (name, created, retention) VALUES (?, ?, ?)") < 0)
			return SW_ERROR;
		sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now);
		if (retention > 0)
			sqlite3_bind_int(st, 3, retention);
		else
			sqlite3_bind_null(st, 3);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return sw_store_error(l->db, "create log group");
	}
	if (sw_store_prepare(l->db, &st, "INSERT OR IGNORE INTO streams (grp, name, created) "
			     "SELECT name, ?, ? FROM groups WHERE name = ?") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, group, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sw_store_error(l->db, "create log stream");
	if (sw_store_prepare(l->db, &st, "SELECT id FROM streams WHERE grp = ? AND name = ?") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, stream, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		ret = sw_error_code(SW_ENOTFOUND, "The specified log group does not exist.");
	else
		ret = sw_store_error(l->db, "log stream");
	sqlite3_finalize(st);
	return ret;
}

struct line {
	long long ts_ms;
	char *message;
	size_t len;
};

/*
 * Store lines as events of stream (one transaction, lock held), with the container's
 * cursor when container is not NULL. Returns 0 or negative.
 */
static int store_events(struct sw_logs *l, long long stream, const struct line *lines, size_t n,
			const char *container, long long cursor_ns, long long same)
{
	sqlite3_stmt *ins = NULL, *upd = NULL, *cur = NULL;
	long long now = now_ms(), bytes = 0, first = 0, last = 0;
	size_t i;
	int ret = SW_ERROR;

	if (sw_store_exec(l->db, "BEGIN IMMEDIATE") < 0)
		return SW_ERROR;
	if (sw_store_prepare(l->db, &ins, "INSERT INTO events (stream, ts, ingest, message) VALUES (?, ?, ?, ?)") < 0)
		goto cleanup;
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(ins, 1, stream);
		sqlite3_bind_int64(ins, 2, lines[i].ts_ms);
		sqlite3_bind_int64(ins, 3, now);
		sqlite3_bind_text(ins, 4, lines[i].message, (int)lines[i].len, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			sw_store_error(l->db, "store log events");
			goto cleanup;
		}
		sqlite3_reset(ins);
		bytes += (long long)lines[i].len;
		if (!i || lines[i].ts_ms < first)
			first = lines[i].ts_ms;
		if (!i || lines[i].ts_ms > last)
			last = lines[i].ts_ms;
	}
	if (n) {
		if (sw_store_prepare(l->db, &upd, "UPDATE streams SET first_ts = MIN(COALESCE(first_ts, ?1), ?1), "
				     "last_ts = MAX(COALESCE(last_ts, ?2), ?2), last_ingest = ?3, stored = stored + ?4, "
				     "seq = seq + 1 WHERE id = ?5") < 0)
			goto cleanup;
		sqlite3_bind_int64(upd, 1, first);
		sqlite3_bind_int64(upd, 2, last);
		sqlite3_bind_int64(upd, 3, now);
		sqlite3_bind_int64(upd, 4, bytes);
		sqlite3_bind_int64(upd, 5, stream);
		if (sqlite3_step(upd) != SQLITE_DONE) {
			sw_store_error(l->db, "log stream");
			goto cleanup;
		}
		sqlite3_finalize(upd);
		upd = NULL;
		if (sw_store_prepare(l->db, &upd, "UPDATE groups SET stored = stored + ? WHERE name = "
				     "(SELECT grp FROM streams WHERE id = ?)") < 0)
			goto cleanup;
		sqlite3_bind_int64(upd, 1, bytes);
		sqlite3_bind_int64(upd, 2, stream);
		if (sqlite3_step(upd) != SQLITE_DONE) {
			sw_store_error(l->db, "log group");
			goto cleanup;
		}
	}
	if (container) {
		if (sw_store_prepare(l->db, &cur, "INSERT OR REPLACE INTO cursors (container, stream, ts_ns, same, done) "
				     "VALUES (?, ?, ?, ?, 0)") < 0)
			goto cleanup;
		sqlite3_bind_text(cur, 1, container, -1, SQLITE_STATIC);
		sqlite3_bind_int64(cur, 2, stream);
		sqlite3_bind_int64(cur, 3, cursor_ns);
		sqlite3_bind_int64(cur, 4, same);
		if (sqlite3_step(cur) != SQLITE_DONE) {
			sw_store_error(l->db, "log cursor");
			goto cleanup;
		}
	}
	ret = sw_store_exec(l->db, "COMMIT");

cleanup:
	sqlite3_finalize(ins);
	sqlite3_finalize(upd);
	sqlite3_finalize(cur);
	if (ret < 0)
		sw_store_exec(l->db, "ROLLBACK");
	return ret;
}

static void expire(struct sw_logs *l)
{
	long long now = now_ms();
	sqlite3_stmt *st = NULL;

	pthread_mutex_lock(&l->lock);
	if (sw_store_prepare(l->db, &st, "DELETE FROM events WHERE id IN (SELECT e.id FROM events e "
			     "JOIN streams s ON s.id = e.stream JOIN groups g ON g.name = s.grp "
			     "WHERE g.retention IS NOT NULL AND e.ts < ? - g.retention * 86400000)") == 0) {
		sqlite3_bind_int64(st, 1, now);
		if (sqlite3_step(st) != SQLITE_DONE)
			sw_log_warn("logs: retention: %s", sqlite3_errmsg(l->db));
		else if (sqlite3_changes(l->db) > 0)
			sw_store_exec(l->db, "UPDATE streams SET stored = (SELECT COALESCE(SUM(LENGTH(CAST(message AS BLOB))), 0) "
				      "FROM events WHERE stream = streams.id);"
				      "UPDATE groups SET stored = (SELECT COALESCE(SUM(stored), 0) FROM streams "
				      "WHERE grp = groups.name);");
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&l->lock);
}

/* ---- the awslogs driver: following containers -------------------------------------- */

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
	struct line *lines;
	size_t n, alloc;
	int moved;   /* the cursor moved */
};

/* One complete line of the container (timestamp already split off). */
static void add_line(struct follower *f, struct batch *b, long long ns, const char *msg, size_t len)
{
	struct line *ln;

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
	if (len > MAX_EVENT_BYTES)
		len = MAX_EVENT_BYTES;
	SW_ALLOC_GROW(b->lines, b->n + 1, b->alloc);
	ln = &b->lines[b->n++];
	ln->ts_ms = ns / 1000000;
	ln->message = xmemdup(msg, len);
	ln->len = len;
}

/* One log message from Docker: "<timestamp> <text>", ending in '\n' unless Docker split it. */
static void add_message(struct follower *f, struct batch *b, const char *data, size_t n)
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
		if (f->partial.len < MAX_EVENT_BYTES)
			sw_buf_add(&f->partial, sp, (size_t)(data + n - sp) < MAX_EVENT_BYTES - f->partial.len ?
				   (size_t)(data + n - sp) : MAX_EVENT_BYTES - f->partial.len);
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
	struct follower *f = ctx;
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
		ret = store_events(f->logs, f->stream, b.lines, b.n, f->container, f->cursor_ns, f->count);
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

/* Mark f's container done: its whole life is stored, it is never followed again. l->lock held. */
static void cursor_done(struct sw_logs *l, const struct follower *f)
{
	sqlite3_stmt *st = NULL;
	if (sw_store_prepare(l->db, &st, "INSERT INTO cursors (container, stream, ts_ns, same, done) "
			     "VALUES (?1, ?2, 0, 0, 1) ON CONFLICT (container) DO UPDATE SET done = 1") == 0) {
		sqlite3_bind_text(st, 1, f->container, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, f->stream);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
}

static void follower_free(struct follower *f)
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
		running = json_is_true(json_object_get(json_object_get(doc, "State"), "Running"));
	json_decref(doc);
	sw_buf_release(&path);
	return running;
}

static void *follower_main(void *arg)
{
	struct follower *f = arg;
	struct sw_logs *l = f->logs;
	struct sw_http_request req = { 0 };
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	struct sw_buf path = SW_BUF_INIT, url = SW_BUF_INIT;
	struct follower **pp;
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
			struct line ln = { f->partial_ns / 1000000, f->partial.ptr, f->partial.len };
			store_events(l, f->stream, &ln, 1, NULL, 0, 0);
		}
		cursor_done(l, f);
		pthread_mutex_unlock(&l->lock);
	} else if (rc < 0 || res.status != 200) {
		sw_log_warn("logs: container %.12s: %s", f->container,
			    rc < 0 ? sw_error_last() : res.status == 404 ? "gone" : "Docker refused its logs");
		if (res.status == 404) {
			pthread_mutex_lock(&l->lock);
			cursor_done(l, f);
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

/* The container definition's logConfiguration, from the task definition (labels). */
static json_t *log_configuration(struct sw_logs *l, json_t *labels)
{
	const char *family = json_string_value(json_object_get(labels, "com.amazonaws.ecs.task-definition-family"));
	const char *version = json_string_value(json_object_get(labels, "com.amazonaws.ecs.task-definition-version"));
	const char *name = json_string_value(json_object_get(labels, "slipway.container"));
	sqlite3_stmt *st = NULL;
	json_t *doc = NULL, *cd, *found = NULL;
	size_t i;

	if (!family || !version || !name || !l->engine_db)
		return NULL;
	if (sw_store_prepare(l->engine_db, &st, "SELECT doc FROM taskdefs WHERE family = ? AND revision = ?") < 0)
		return NULL;
	sqlite3_bind_text(st, 1, family, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, strtoll(version, NULL, 10));
	if (sqlite3_step(st) == SQLITE_ROW)
		doc = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
	sqlite3_finalize(st);
	json_array_foreach(json_object_get(doc, "containerDefinitions"), i, cd)
		if (json_string_value(json_object_get(cd, "name")) &&
		    !strcmp(json_string_value(json_object_get(cd, "name")), name))
			found = json_incref(json_object_get(cd, "logConfiguration"));
	json_decref(doc);
	return found;
}

static int is_ignored(struct sw_logs *l, const char *id)
{
	struct sw_buf key = SW_BUF_INIT;
	int yes;
	sw_buf_addf(&key, "\n%s\n", id);
	yes = strstr(l->ignored.ptr, key.ptr) != NULL;
	sw_buf_release(&key);
	return yes;
}

/* Follow container id when it is an awslogs container of ours not followed yet. */
static void maybe_follow(struct sw_logs *l, const char *id)
{
	struct sw_buf path = SW_BUF_INIT, stream = SW_BUF_INIT;
	json_t *doc = NULL, *labels, *cfg = NULL, *opts;
	struct follower *f;
	const char *group, *prefix, *create, *task, *name, *driver;
	sqlite3_stmt *st = NULL;
	long long cursor = 0, same = 0, sid = 0;
	int done = 0, tty;
	pthread_attr_t attr;
	pthread_t th;

	pthread_mutex_lock(&l->lock);
	for (f = l->followers; f; f = f->next)
		if (!strcmp(f->container, id))
			break;
	if (f || is_ignored(l, id)) {
		pthread_mutex_unlock(&l->lock);
		return;
	}
	if (sw_store_prepare(l->db, &st, "SELECT stream, ts_ns, same, done FROM cursors WHERE container = ?") == 0) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			sid = sqlite3_column_int64(st, 0);
			cursor = sqlite3_column_int64(st, 1);
			same = sqlite3_column_int64(st, 2);
			done = sqlite3_column_int(st, 3);
		}
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&l->lock);
	if (done)
		return;

	sw_buf_addf(&path, "/containers/%s/json", id);
	if (sw_docker_json("GET", path.ptr, NULL, &doc) < 0)
		goto cleanup;
	labels = json_object_get(json_object_get(doc, "Config"), "Labels");
	tty = json_is_true(json_object_get(json_object_get(doc, "Config"), "Tty"));
	cfg = log_configuration(l, labels);
	driver = json_string_value(json_object_get(cfg, "logDriver"));
	if (!driver || strcmp(driver, "awslogs")) {
		pthread_mutex_lock(&l->lock);
		if (l->ignored.len > (1u << 20))
			sw_buf_reset(&l->ignored);
		sw_buf_addf(&l->ignored, "%s\n", id);
		pthread_mutex_unlock(&l->lock);
		goto cleanup;
	}
	opts = json_object_get(cfg, "options");
	group = json_string_value(json_object_get(opts, "awslogs-group"));
	prefix = json_string_value(json_object_get(opts, "awslogs-stream-prefix"));
	create = json_string_value(json_object_get(opts, "awslogs-create-group"));
	task = json_string_value(json_object_get(labels, "slipway.task"));
	name = json_string_value(json_object_get(labels, "slipway.container"));
	if (!group || !*group) {
		sw_log_warn("logs: container %.12s: awslogs without awslogs-group; its output is not shipped", id);
		goto cleanup;
	}
	if (prefix && *prefix && task && name)
		sw_buf_addf(&stream, "%s/%s/%s", prefix, name, task);
	else
		sw_buf_adds(&stream, id);
	pthread_mutex_lock(&l->lock);
	if (!sid) {
		int rc = ensure_stream(l, group, stream.ptr, 0, 0, &sid);
		if (rc == SW_ENOTFOUND) {
			if (!create || strcmp(create, "true"))
				sw_log_warn("logs: log group %s does not exist (awslogs-create-group is not \"true\"); "
					    "created it for container %.12s", group, id);
			rc = ensure_stream(l, group, stream.ptr, 1, l->default_retention, &sid);
		}
		if (rc < 0) {
			pthread_mutex_unlock(&l->lock);
			sw_log_warn("logs: container %.12s: %s", id, sw_error_last());
			goto cleanup;
		}
	}
	for (f = l->followers; f; f = f->next)
		if (!strcmp(f->container, id))
			break;
	if (f) {
		pthread_mutex_unlock(&l->lock);
		goto cleanup;
	}
	f = xcalloc(1, sizeof(*f));
	f->logs = l;
	f->container = xstrdup(id);
	f->stream = sid;
	f->tty = tty;
	f->cursor_ns = cursor;
	f->count = same;
	f->skip = same;
	sw_buf_init(&f->partial, 0);
	sw_buf_init(&f->in, 4u << 20);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	if (pthread_create(&th, &attr, follower_main, f) != 0) {
		sw_log_error("logs: cannot start a follower for %.12s", id);
		follower_free(f);
	} else {
		f->next = l->followers;
		l->followers = f;
		sw_log_debug("logs: following container %.12s into %s / %s", id, group, stream.ptr);
	}
	pthread_attr_destroy(&attr);
	pthread_mutex_unlock(&l->lock);

cleanup:
	json_decref(cfg);
	json_decref(doc);
	sw_buf_release(&path);
	sw_buf_release(&stream);
}

/* Every container of this engine (running or exited): follow what needs it. */
static void rescan(struct sw_logs *l)
{
	struct sw_buf path = SW_BUF_INIT, filt = SW_BUF_INIT;
	json_t *list = NULL, *c;
	size_t i;

	sw_buf_addf(&filt, "{\"label\":[\"slipway.engine=%s\"]}", l->e->instance);
	sw_buf_adds(&path, "/containers/json?all=1&filters=");
	sw_http_urlencode(&path, filt.ptr, filt.len);
	if (sw_docker_json("GET", path.ptr, NULL, &list) >= 0)
		json_array_foreach(list, i, c)
			if (json_string_value(json_object_get(c, "Id")))
				maybe_follow(l, json_string_value(json_object_get(c, "Id")));
	json_decref(list);
	sw_buf_release(&path);
	sw_buf_release(&filt);
}

struct events_ctx {
	struct sw_logs *logs;
	struct sw_lines lines;
};

static int on_event_line(void *ctx, const char *line, size_t len)
{
	struct sw_logs *l = ctx;
	json_t *ev = json_loadb(line, len, 0, NULL);
	const char *status = json_string_value(json_object_get(ev, "status"));
	const char *id = json_string_value(json_object_get(ev, "id"));
	if (status && id && !strcmp(status, "start"))
		maybe_follow(l, id);
	json_decref(ev);
	return l->stop ? -1 : 0;
}

static int on_events(void *ctx, const char *data, size_t n)
{
	struct events_ctx *c = ctx;
	return sw_lines_feed(&c->lines, data, n);
}

static int wait_or_stop(struct sw_logs *l, int seconds)
{
	struct timespec until;
	int stop;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;
	pthread_mutex_lock(&l->wake_lock);
	if (!l->stop)
		pthread_cond_timedwait(&l->wake_cond, &l->wake_lock, &until);
	stop = l->stop;
	pthread_mutex_unlock(&l->wake_lock);
	return stop;
}

/* Docker's event stream: a container of ours starts -> follow it at once. */
static void *events_main(void *arg)
{
	struct sw_logs *l = arg;
	struct sw_buf path = SW_BUF_INIT, filt = SW_BUF_INIT, url = SW_BUF_INIT;

	sw_buf_addf(&filt, "{\"type\":[\"container\"],\"event\":[\"start\"],\"label\":[\"slipway.engine=%s\"]}",
		    l->e->instance);
	sw_buf_adds(&path, "/events?filters=");
	sw_http_urlencode(&path, filt.ptr, filt.len);
	while (!l->stop) {
		struct sw_http_request req = { 0 };
		struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
		struct events_ctx ctx = { l, SW_LINES_INIT(on_event_line, l, 64 * 1024) };
		if (sw_docker_prepare(&req, &url, path.ptr) == 0) {
			req.write = on_events;
			req.write_ctx = &ctx;
			sw_http_do(&req, &res);
		}
		sw_lines_release(&ctx.lines);
		sw_http_response_release(&res);
		if (wait_or_stop(l, 2))
			break;
		rescan(l); /* what started while the stream was down */
	}
	sw_buf_release(&path);
	sw_buf_release(&filt);
	sw_buf_release(&url);
	return NULL;
}

static void *keeper_main(void *arg)
{
	struct sw_logs *l = arg;
	long long last_expire = 0;

	rescan(l);
	while (!wait_or_stop(l, RESCAN_SECONDS)) {
		rescan(l);
		if (now_ms() - last_expire >= RETENTION_EVERY_SECONDS * 1000LL) {
			expire(l);
			last_expire = now_ms();
		}
	}
	return NULL;
}

/* ---- the API -------------------------------------------------------------------- */

static int valid_group_name(struct sw_engine_call *c, const char *name)
{
	const char *p;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '-' || *p == '_' || *p == '/' || *p == '#'))
			return sw_engine_api_call_fail(c, 400, "InvalidParameterException", "1 validation error detected: Value "
					      "'%s' at 'logGroupName' failed to satisfy constraint: Member must satisfy "
					      "regular expression pattern: [\\.\\-_/#A-Za-z0-9]+", name);
	return 0;
}

static int valid_stream_name(struct sw_engine_call *c, const char *name)
{
	if (strchr(name, ':') || strchr(name, '*'))
		return sw_engine_api_call_fail(c, 400, "InvalidParameterException", "1 validation error detected: Value "
				      "'%s' at 'logStreamName' failed to satisfy constraint: Member must satisfy "
				      "regular expression pattern: [^:*]*", name);
	return 0;
}

static void group_arn(struct sw_engine *e, struct sw_buf *out, const char *name, int star)
{
	sw_buf_reset(out);
	sw_engine_arn(e, out, "logs", "log-group:%s%s", name, star ? ":*" : "");
}

/* logGroupName, or logGroupIdentifier (a name or an ARN). NULL after failing the call. */
static const char *group_param(struct sw_engine_call *c, struct sw_buf *tmp)
{
	const char *name = sw_engine_api_call_str(c, "logGroupName");
	const char *ident = sw_engine_api_call_str(c, "logGroupIdentifier");
	if (name && ident) {
		sw_engine_api_call_fail(c, 400, "InvalidParameterException", "LogGroup name and LogGroup ARN are mutually exclusive "
			       "parameters.");
		return NULL;
	}
	if (ident) {
		const char *p = strstr(ident, ":log-group:");
		sw_buf_reset(tmp);
		if (!p) {
			sw_buf_adds(tmp, ident);
		} else {
			const char *end;
			p += strlen(":log-group:");
			end = strstr(p, ":*");
			sw_buf_add(tmp, p, end ? (size_t)(end - p) : strlen(p));
		}
		name = tmp->ptr;
	}
	if (!name) {
		sw_engine_api_call_fail(c, 400, "InvalidParameterException", "Either LogGroup name or LogGroup ARN must be present.");
		return NULL;
	}
	return name;
}

static int group_exists(struct sw_logs *l, const char *name)
{
	sqlite3_stmt *st = NULL;
	int found = 0;
	if (sw_store_prepare(l->db, &st, "SELECT 1 FROM groups WHERE name = ?") == 0) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return found;
}

static long long stream_id(struct sw_logs *l, const char *group, const char *name)
{
	sqlite3_stmt *st = NULL;
	long long id = 0;
	if (sw_store_prepare(l->db, &st, "SELECT id FROM streams WHERE grp = ? AND name = ?") == 0) {
		sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			id = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return id;
}

static int no_group(struct sw_engine_call *c)
{
	return sw_engine_api_call_fail(c, 400, "ResourceNotFoundException", "The specified log group does not exist.");
}

static int no_stream(struct sw_engine_call *c)
{
	return sw_engine_api_call_fail(c, 400, "ResourceNotFoundException", "The specified log stream does not exist.");
}

static int db_fail(struct sw_engine_call *c)
{
	return sw_engine_api_call_fail(c, 500, "ServiceUnavailableException", "%s", sw_error_last());
}

static int valid_retention(long long days)
{
	static const int ok[] = { 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
				  2192, 2557, 2922, 3288, 3653 };
	size_t i;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (ok[i] == days)
			return 1;
	return 0;
}

static int op_create_log_group(struct sw_engine_call *c)
{
	struct sw_logs *l = the_logs;
	const char *name = sw_engine_api_call_str(c, "logGroupName");
	sqlite3_stmt *st = NULL;
	int ret = 0;

	if (valid_group_name(c, name) < 0)
		return -1;
	pthread_mutex_lock(&l->lock);
	if (group_exists(l, name)) {
		ret = sw_engine_api_call_fail(c, 400, "ResourceAlreadyExistsException", "The specified log group already exists");
	} else if (sw_store_prepare(l->db, &st, "INSERT INTO groups (name, created) VALUES (?, ?)") < 0) {
		ret = db_fail(c);
	} else {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now_ms());
		if (sqlite3_step(st) != SQLITE_DONE)
			ret = sw_engine_api_call_fail(c, 500, "ServiceUnavailableException", "%s", sqlite3_errmsg(l->db));
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&l->lock);
	return ret;
}

static int op_delete_log_group(struct sw_engine_call *c)
{
	struct sw_logs *l = the_logs;
	const char *name = sw_engine_api_call_str(c, "logGroupName");
	sqlite3_stmt *st = NULL;
	int ret = 0;

	pthread_mutex_lock(&l->lock);
	if (!group_exists(l, name))
		ret = no_group(c);
	else if (sw_store_prepare(l->db, &st, "DELETE FROM groups WHERE name = ?") < 0)
		ret = db_fail(c);
	else {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			ret = sw_engine_api_call_fail(c, 500, "ServiceUnavailableException", "%s", sqlite3_errmsg(l->db));
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&l->lock);
	return ret;
}

/* nextToken for the describe calls: a decimal offset. -1 when not one of ours. */
static long long offset_token(const char *t)
{
	char *end = NULL;
	long long v;
	if (!t)
		return 0;
	v = strtoll(t, &end, 10);
	return !*t || *end || v < 0 ? -1 : v;
}

static int op_describe_log_groups(struct sw_engine_call *c)
{
	struct sw_logs *l = the_logs;
	const char *prefix = sw_engine_api_call_str(c, "logGroupNamePrefix");
	const char *pattern = sw_engine_api_call_str(c, "logGroupNamePattern");
	long long limit = sw_engine_api_call_int(c, "limit", 50), off = offset_token(sw_engine_api_call_str(c, "nextToken"));
	struct sw_buf arn = SW_BUF_INIT, like = SW_BUF_INIT;
	sqlite3_stmt *st = NULL;
	json_t *groups = json_array();
	long long n = 0;
	int rc;

	if (off < 0) {
		json_decref(groups);
		return sw_engine_api_call_fail(c, 400, "InvalidParameterException", "The specified nextToken is invalid.");
	}
	if (prefix && pattern) {
		json_decref(groups);
		return sw_engine_api_call_fail(c, 400, "InvalidParameterException", "LogGroup name prefix and LogGroup name pattern "
				      "are mutually exclusive parameters.");
	}
	pthread_mutex_lock(&l->lock);
	if (sw_store_prepare(l->db, &st, "SELECT name, created, retention, stored FROM groups "
			     "WHERE (?1 IS NULL OR substr(name, 1, length(?1)) = ?1) "
			     "AND (?2 IS NULL OR instr(lower(name), lower(?2)) > 0) ORDER BY name LIMIT ?3 OFFSET ?4") == 0) {
		sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, pattern, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, limit + 1);
		sqlite3_bind_int64(st, 4, off);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(st, 0);
			json_t *g;
			if (++n > limit)
				break;
			g = json_pack("{s:s, s:I, s:i, s:I, s:s}", "logGroupName", name,
				      "creationTime", (json_int_t)sqlite3_column_int64(st, 1), "metricFilterCount", 0,
				      "storedBytes", (json_int_t)sqlite3_column_int64(st, 3), "logGroupClass", "STANDARD");
			if (sqlite3_column_type(st, 2) != SQLITE_NULL)
				json_object_set_new(g, "retentionInDays", json_integer(sqlite3_column_int(st, 2)));
			group_arn(c->e, &arn, name, 1);
			json_object_set_new(g, "arn", json_string(arn.ptr));
			group_arn(c->e, &arn, name, 0);
			json_object_set_new(g, "logGroupArn", json_string(arn.ptr));
			json_array_append_new(groups, g);
		}
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&l->lock);
	json_object_set_new(c->out, "logGroups", groups);
	if (n > limit) {
		sw_buf_addf(&like, "%lld", off + limit);
		json_object_set_new(c->out, "nextToken", json_string(like.ptr));
	}
	sw_buf_release(&arn);
	sw_buf_release(&like);
	return 0;
}

static int op_create_log_stream(struct sw_engine_call *c)
{
	struct sw_logs *l = the_logs;
	const char *group = sw_engine_api_call_str(c, "logGroupName"), *name = sw_engine_api_call_str(c, "logStreamName");
	long long id = 0;
	int ret = 0;

	if (valid_stream_name(c, name) < 0)
		return -1;
	pthread_mutex_lock(&l->lock);
	if (!group_exists(l, group))
		ret = no_group(c);
	else if (stream_id(l, group, name))
		ret = sw_engine_api_call_fail(c, 400, "ResourceAlreadyExistsException", "The specified log stream already exists");
	else if (ensure_stream(l, group, name, 0, 0, &id) < 0)
		ret = db_fail(c);
	pthread_mutex_unlock(&l->lock);
	return ret;
}

static int op_delete_log_stream(struct sw_engine_call *c)
{
	struct sw_logs *l = the_logs;
	const char *group = sw_engine_api_call_str(c, "logGroupName"), *name = sw_engine_api_call_str(c, "logStreamName");
	sqlite3_stmt *st = NULL;
	long long id;
	int ret = 0;

	pthread_mutex_lock(&l->lock);
	if (!group_exists(l, group))
		ret = no_group(c);
	else if (!(id = stream_id(l, group, name)))
		ret = no_stream(c);
	else if (sw_store_prepare(l->db, &st, "DELETE FROM streams WHERE id = ?") == 0) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&l->lock);
	return ret;
}

static int op_describe_log_streams(struct sw_engine_call *c)
{
	struct sw_logs *l = the_logs;
	struct sw_buf tmp = SW_BUF_INIT, arn = SW_BUF_INIT, sql = SW_BUF_INIT;
	const char *group, *prefix = sw_engine_api_call_str(c, "logStreamNamePrefix");
	const char *order = sw_engine_api_call_str(c, "orderBy");
	int desc = sw_engine_api_call_bool(c, "descending", 0), by_time = order && !strcmp(order, "LastEventTime");
	long long limit = sw_engine_api_call_int(c, "limit", 50), off = offset_token(sw_engine_api_call_str(c, "nextToken"));
	sqlite3_stmt *st = NULL;
	json_t *streams = NULL;
	long long n = 0;
	int ret = 0;

	if (!(group = group_param(c, &tmp)))
		goto cleanup;
	if (off < 0) {
		ret = sw_engine_api_call_fail(c, 400, "InvalidParameterException", "The specified nextToken is invalid.");
		goto cleanup;
	}
	if (by_time && prefix) {
		ret = sw_engine_api_call_fail(c, 400, "InvalidParameterException", "Cannot order by LastEventTime with a "
				     "logStreamNamePrefix.");
		goto cleanup;
	}
	sw_buf_addf(&sql, "SELECT name, created, first_ts, last_ts, last_ingest, stored, seq FROM streams "
		    "WHERE grp = ?1 AND (?2 IS NULL OR substr(name, 1, length(?2)) = ?2) ORDER BY %s %s, name %s "
		    "LIMIT ?3 OFFSET ?4", by_time ? "COALESCE(last_ts, 0)" : "name", desc ? "DESC" : "ASC",
		    desc ? "DESC" : "ASC");
	pthread_mutex_lock(&l->lock);
	if (!group_exists(l, group)) {
		pthread_mutex_unlock(&l->lock);
		ret = no_group(c);
		goto cleanup;
	}
	streams = json_array();
	if (sw_store_prepare(l->db, &st, sql.ptr) == 0) {
		sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, limit + 1);
		sqlite3_bind_int64(st, 4, off);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(st, 0);
			char seq[64];
			json_t *s;
			if (++n > limit)
				break;
			snprintf(seq, sizeof(seq), "%049lld", (long long)sqlite3_column_int64(st, 6));
			s = json_pack("{s:s, s:I, s:s, s:I}", "logStreamName", name, "creationTime",
				      (json_int_t)sqlite3_column_int64(st, 1), "uploadSequenceToken", seq,
				      "storedBytes", (json_int_t)sqlite3_column_int64(st, 5));
			if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
				json_object_set_new(s, "firstEventTimestamp", json_integer(sqlite3_column_int64(st, 2)));
				json_object_set_new(s, "lastEventTimestamp", json_integer(sqlite3_column_int64(st, 3)));
				json_object_set_new(s, "lastIngestionTime", json_integer(sqlite3_column_int64(st, 4)));
			}
			group_arn(c->e, &arn, group, 0);
			sw_buf_addf(&arn, ":log-stream:%s", name);
			json_object_set_new(s, "arn", json_string(arn.ptr));
			json_array_append_new(streams, s);
		}
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&l->lock);
	json_object_set_new(c->out, "logStreams", streams);
	streams = NULL;
	if (n > limit) {
		sw_buf_reset(&tmp);
		sw_buf_addf(&tmp, "%lld", off + limit);
		json_object_set_new(c->out, "nextToken", json_string(tmp.ptr));
	}

cleanup:
	json_decref(streams);
	sw_buf_release(&tmp);
	sw_buf_release(&arn);
	sw_buf_release(&sql);
	return ret;
}

static int op_put_retention_policy(struct sw_engine_call *c)
{
	struct sw_logs *l = the_logs;
	const char *group = sw_engine_api_call_str(c, "logGroupName");
	long long days = sw_engine_api_call_int(c, "retentionInDays", 0);
	sqlite3_stmt *st = NULL;
	int ret = 0;

	if (!valid_retention(days))
		return sw_engine_api_call_fail(c, 400, "InvalidParameterException", "1 validation error detected: Value '%lld' at "
				      "'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: "
				      "[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, "
				      "2557, 2922, 3288, 3653]", days);
	pthread_mutex_lock(&l->lock);
	if (!group_exists(l, group))
		ret = no_group(c);
	else if (sw_store_prepare(l->db, &st, "UPDATE groups SET retention = ? WHERE name = ?") == 0) {
		sqlite3_bind_int64(st, 1, days);
		sqlite3_bind_text(st, 2, group, -1, SQLITE_STATIC);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&l->lock);
	if (ret == 0)
		expire(l);
	return ret;
}

static int op_delete_retention_policy(struct sw_engine_call *c)
{
	struct sw_logs *l = the_logs;
	const char *group = sw_engine_api_call_str(c, "logGroupName");
	sqlite3_stmt *st = NULL;
	int ret = 0;

	pthread_mutex_lock(&l->lock);
	if (!group_exists(l, group))
		ret = no_group(c);
	else if (sw_store_prepare(l->db, &st, "UPDATE groups SET retention = NULL WHERE name = ?") == 0) {
		sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&l->lock);
	return ret;
}

static int op_put_log_events(struct sw_engine_call *c)
{
	struct sw_logs *l = the_logs;
	const char *group = sw_engine_api_call_str(c, "logGroupName"), *name = sw_engine_api_call_str(c, "logStreamName");
	json_t *events = sw_engine_api_call_get(c, "logEvents"), *ev, *rejected = NULL;
	struct line *lines = NULL;
	long long now = now_ms(), prev = 0, id = 0, retention = 0;
	size_t i, n = 0;
	int ret = 0;
	char seq[64];
	sqlite3_stmt *st = NULL;

	lines = xcalloc(json_array_size(events) + 1, sizeof(*lines));
	json_array_foreach(events, i, ev) {
		long long ts = json_integer_value(json_object_get(ev, "timestamp"));
		const char *msg = json_string_value(json_object_get(ev, "message"));
		if (i && ts < prev) {
			ret = sw_engine_api_call_fail(c, 400, "InvalidParameterException", "Log events in a single PutLogEvents "
					     "request must be in chronological order.");
			goto cleanup;
		}
		prev = ts;
		if (ts > now + 2 * 3600 * 1000LL) {
			if (!rejected)
				rejected = json_object();
			if (!json_object_get(rejected, "tooNewLogEventStartIndex"))
				json_object_set_new(rejected, "tooNewLogEventStartIndex", json_integer((json_int_t)i));
			continue;
		}
		if (ts < now - 14 * 86400 * 1000LL) {
			if (!rejected)
				rejected = json_object();
			json_object_set_new(rejected, "tooOldLogEventEndIndex", json_integer((json_int_t)i));
			continue;
		}
		lines[n].ts_ms = ts;
		lines[n].message = (char *)msg;
		lines[n].len = strlen(msg) > MAX_EVENT_BYTES ? MAX_EVENT_BYTES : strlen(msg);
		n++;
	}
	pthread_mutex_lock(&l->lock);
	if (!group_exists(l, group)) {
		ret = no_group(c);
	} else if (!(id = stream_id(l, group, name))) {
		ret = no_stream(c);
	} else {
		if (sw_store_prepare(l->db, &st, "SELECT retention FROM groups WHERE name = ?") == 0) {
			sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW)
				retention = sqlite3_column_int64(st, 0);
		}
		sqlite3_finalize(st);
		st = NULL;
		if (retention > 0) {
			size_t keep = 0;
			for (i = 0; i < n; i++) {
				if (lines[i].ts_ms < now - retention * 86400000LL) {
					if (!rejected)
						rejected = json_object();
					json_object_set_new(rejected, "expiredLogEventEndIndex", json_integer((json_int_t)i));
					continue;
				}
				lines[keep++] = lines[i];
			}
			n = keep;
		}
		if (store_events(l, id, lines, n, NULL, 0, 0) < 0)
			ret = db_fail(c);
		else if (sw_store_prepare(l->db, &st, "SELECT seq FROM streams WHERE id = ?") == 0) {
			sqlite3_bind_int64(st, 1, id);
			if (sqlite3_step(st) == SQLITE_ROW) {
				snprintf(seq, sizeof(seq), "%049lld", (long long)sqlite3_column_int64(st, 0));
				json_object_set_new(c->out, "nextSequenceToken", json_string(seq));
			}
		}
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&l->lock);
	if (ret == 0 && rejected) {
		json_object_set_new(c->out, "rejectedLogEventsInfo", rejected);
		rejected = NULL;
	}

cleanup:
	json_decref(rejected);
	free(lines);
	return ret;
}

/* Positions in a stream: (timestamp, id), as tokens "f/<ts>/<id>" and "b/<ts>/<id>". */
static int parse_position(const char *t, char dir, long long *ts, long long *id)
{
	char *end = NULL;
	if (!t || t[0] != dir || t[1] != '/')
		return -1;
	*ts = strtoll(t + 2, &end, 10);
	if (*end != '/')
		return -1;
	*id = strtoll(end + 1, &end, 10);
	return *end ? -1 : 0;
}

static json_t *position(char dir, long long ts, long long id)
{
	char tmp[96];
	snprintf(tmp, sizeof(tmp), "%c/%020lld/%020lld", dir, ts, id);
	return json_string(tmp);
}

static int op_get_log_events(struct sw_engine_call *c)
{
	struct sw_logs *l = the_logs;
	struct sw_buf tmp = SW_BUF_INIT;
	const char *group, *name = sw_engine_api_call_str(c, "logStreamName"), *token = sw_engine_api_call_str(c, "nextToken");
	json_t *jstart = sw_engine_api_call_get(c, "startTime"), *jend = sw_engine_api_call_get(c, "endTime");
	long long start = jstart ? json_integer_value(jstart) : 0;
	long long end = jend ? json_integer_value(jend) : INT64_MAX;
	long long limit = sw_engine_api_call_int(c, "limit", 10000), id, pts = 0, pid = 0;
	int head = sw_engine_api_call_bool(c, "startFromHead", 0), backward, have_pos = 0;
	sqlite3_stmt *st = NULL;
	json_t *events = NULL;
	size_t bytes = 0;
	long long first_ts = 0, first_id = 0, last_ts = 0, last_id = 0;
	int ret = 0, rc;

	if (!(group = group_param(c, &tmp)))
		goto cleanup;
	if (token) {
		if (parse_position(token, 'f', &pts, &pid) == 0) {
			backward = 0;
		} else if (parse_position(token, 'b', &pts, &pid) == 0) {
			backward = 1;
		} else {
			ret = sw_engine_api_call_fail(c, 400, "InvalidParameterException", "The specified nextToken is invalid.");
			goto cleanup;
		}
		have_pos = 1;
	} else {
		backward = !head;
	}
	pthread_mutex_lock(&l->lock);
	if (!group_exists(l, group)) {
		pthread_mutex_unlock(&l->lock);
		ret = no_group(c);
		goto cleanup;
	}
	if (!(id = stream_id(l, group, name))) {
		pthread_mutex_unlock(&l->lock);
		ret = no_stream(c);
		goto cleanup;
	}
	events = json_array();
	if (sw_store_prepare(l->db, &st, backward ?
			     "SELECT id, ts, ingest, message FROM events WHERE stream = ?1 AND ts >= ?2 AND ts < ?3 "
			     "AND (?4 = 0 OR (ts, id) < (?5, ?6)) ORDER BY ts DESC, id DESC LIMIT ?7" :
			     "SELECT id, ts, ingest, message FROM events WHERE stream = ?1 AND ts >= ?2 AND ts < ?3 "
			     "AND (?4 = 0 OR (ts, id) > (?5, ?6)) ORDER BY ts, id LIMIT ?7") == 0) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, start);
		sqlite3_bind_int64(st, 3, end);
		sqlite3_bind_int(st, 4, have_pos);
		sqlite3_bind_int64(st, 5, pts);
		sqlite3_bind_int64(st, 6, pid);
		sqlite3_bind_int64(st, 7, limit);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *msg = (const char *)sqlite3_column_text(st, 3);
			long long eid = sqlite3_column_int64(st, 0), ts = sqlite3_column_int64(st, 1);
			json_t *ev;
			bytes += strlen(msg) + 26;
			if (json_array_size(events) && bytes > MAX_PAGE_BYTES)
				break;
			ev = json_pack("{s:I, s:s, s:I}", "timestamp", (json_int_t)ts, "message", msg,
				       "ingestionTime", (json_int_t)sqlite3_column_int64(st, 2));
			if (backward)
				json_array_insert_new(events, 0, ev);
			else
				json_array_append_new(events, ev);
			if (json_array_size(events) == 1) {
				first_ts = last_ts = ts;
				first_id = last_id = eid;
			}
			if (backward) {
				first_ts = ts;
				first_id = eid;
			} else {
				last_ts = ts;
				last_id = eid;
			}
		}
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&l->lock);
	json_object_set_new(c->out, "events", events);
	if (json_array_size(events)) {
		json_object_set_new(c->out, "nextForwardToken", position('f', last_ts, last_id));
		json_object_set_new(c->out, "nextBackwardToken", position('b', first_ts, first_id));
	} else {
		/* nothing more that way: the same position again (how clients know they are done) */
		json_object_set_new(c->out, "nextForwardToken", position('f', pts, pid));
		json_object_set_new(c->out, "nextBackwardToken", position('b', pts, pid));
	}
	events = NULL;

cleanup:
	json_decref(events);
	sw_buf_release(&tmp);
	return ret;
}

/*
 * A filter pattern as plain terms: every term must appear in the message (quoted
 * phrases are one term); "?term" terms are alternatives (one of them must appear);
 * "-term" must not appear. Case-sensitive, as CloudWatch's. Empty: everything.
 */
struct pattern {
	struct sw_strvec all, any, none;
};

static int pattern_parse(struct pattern *p, const char *s, struct sw_buf *why)
{
	const char *q = s;
	while (*q) {
		struct sw_buf term = SW_BUF_INIT;
		int kind = 0;
		while (*q == ' ' || *q == '\t')
			q++;
		if (!*q)
			break;
		if (*q == '{' || *q == '[') {
			sw_buf_adds(why, "JSON and space-delimited filter patterns are not supported by slipway-engine "
				    "(plain terms are)");
			return -1;
		}
		if (*q == '?') {
			kind = 1;
			q++;
		} else if (*q == '-') {
			kind = 2;
			q++;
		}
		if (*q == '"') {
			const char *e = strchr(q + 1, '"');
			if (!e) {
				sw_buf_adds(why, "Invalid filter pattern: unterminated quoted term");
				sw_buf_release(&term);
				return -1;
			}
			sw_buf_add(&term, q + 1, (size_t)(e - q - 1));
			q = e + 1;
		} else {
			const char *e = q;
			while (*e && *e != ' ' && *e != '\t')
				e++;
			sw_buf_add(&term, q, (size_t)(e - q));
			q = e;
		}
		if (term.len)
			sw_strvec_push(kind == 1 ? &p->any : kind == 2 ? &p->none : &p->all, term.ptr);
		sw_buf_release(&term);
	}
	return 0;
}

static int pattern_match(const struct pattern *p, const char *msg)
{
	size_t i;
	int any = p->any.nr == 0;
	for (i = 0; i < p->all.nr; i++)
		if (!strstr(msg, p->all.v[i]))
			return 0;
	for (i = 0; i < p->none.nr; i++)
		if (strstr(msg, p->none.v[i]))
			return 0;
	for (i = 0; i < p->any.nr && !any; i++)
		if (strstr(msg, p->any.v[i]))
			any = 1;
	return any;
}

static int op_filter_log_events(struct sw_engine_call *c)
{
	struct sw_logs *l = the_logs;
	struct sw_buf tmp = SW_BUF_INIT, why = SW_BUF_INIT, sql = SW_BUF_INIT;
	struct pattern pat = { SW_STRVEC_INIT, SW_STRVEC_INIT, SW_STRVEC_INIT };
	const char *group, *prefix = sw_engine_api_call_str(c, "logStreamNamePrefix"), *token = sw_engine_api_call_str(c, "nextToken");
	json_t *names = sw_engine_api_call_get(c, "logStreamNames"), *jstart = sw_engine_api_call_get(c, "startTime");
	json_t *jend = sw_engine_api_call_get(c, "endTime"), *events = NULL, *searched = NULL, *v;
	long long start = jstart ? json_integer_value(jstart) : 0;
	long long end = jend ? json_integer_value(jend) : INT64_MAX;
	long long limit = sw_engine_api_call_int(c, "limit", 10000), pts = 0, pid = 0, scanned = 0;
	long long last_ts = 0, last_id = 0;
	sqlite3_stmt *st = NULL;
	size_t i, bytes = 0;
	int ret = 0, more = 0, rc, have_pos = 0;

	if (!(group = group_param(c, &tmp)))
		goto cleanup;
	if (names && prefix) {
		ret = sw_engine_api_call_fail(c, 400, "InvalidParameterException", "You cannot specify both logStreamNames and "
				     "logStreamNamePrefix.");
		goto cleanup;
	}
	if (token) {
		if (parse_position(token, 'f', &pts, &pid) < 0) {
			ret = sw_engine_api_call_fail(c, 400, "InvalidParameterException", "The specified nextToken is invalid.");
			goto cleanup;
		}
		have_pos = 1;
	}
	if (sw_engine_api_call_str(c, "filterPattern") && pattern_parse(&pat, sw_engine_api_call_str(c, "filterPattern"), &why) < 0) {
		ret = sw_engine_api_call_fail(c, 400, "InvalidParameterException", "%s", why.ptr);
		goto cleanup;
	}
	sw_buf_adds(&sql, "SELECT e.id, e.ts, e.ingest, e.message, s.name FROM events e JOIN streams s ON s.id = e.stream "
		    "WHERE s.grp = ?1 AND e.ts >= ?2 AND e.ts < ?3 AND (?4 = 0 OR (e.ts, e.id) > (?5, ?6)) "
		    "AND (?7 IS NULL OR substr(s.name, 1, length(?7)) = ?7)");
	if (json_array_size(names)) {
		sw_buf_adds(&sql, " AND s.name IN (");
		for (i = 0; i < json_array_size(names); i++)
			sw_buf_addf(&sql, "%s?%zu", i ? ", " : "", i + 8);
		sw_buf_adds(&sql, ")");
	}
	sw_buf_adds(&sql, " ORDER BY e.ts, e.id");
	pthread_mutex_lock(&l->lock);
	if (!group_exists(l, group)) {
		pthread_mutex_unlock(&l->lock);
		ret = no_group(c);
		goto cleanup;
	}
	events = json_array();
	searched = json_array();
	if (sw_store_prepare(l->db, &st, sql.ptr) == 0) {
		sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, start);
		sqlite3_bind_int64(st, 3, end);
		sqlite3_bind_int(st, 4, have_pos);
		sqlite3_bind_int64(st, 5, pts);
		sqlite3_bind_int64(st, 6, pid);
		sqlite3_bind_text(st, 7, prefix, -1, SQLITE_STATIC);
		json_array_foreach(names, i, v)
			sqlite3_bind_text(st, (int)i + 8, json_string_value(v), -1, SQLITE_TRANSIENT);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *msg = (const char *)sqlite3_column_text(st, 3);
			char eid[64];
			if ((long long)json_array_size(events) >= limit || bytes > MAX_PAGE_BYTES || scanned >= SCAN_CAP) {
				more = 1;
				break;
			}
			scanned++;
			last_id = sqlite3_column_int64(st, 0);
			last_ts = sqlite3_column_int64(st, 1);
			if (!pattern_match(&pat, msg))
				continue;
			bytes += strlen(msg) + 26;
			snprintf(eid, sizeof(eid), "%020lld%020lld", last_ts, last_id);
			json_array_append_new(events, json_pack("{s:s, s:I, s:s, s:I, s:s}", "logStreamName",
								(const char *)sqlite3_column_text(st, 4),
								"timestamp", (json_int_t)last_ts, "message", msg,
								"ingestionTime", (json_int_t)sqlite3_column_int64(st, 2),
								"eventId", eid));
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	/* the streams searched */
	if (sw_store_prepare(l->db, &st, "SELECT name FROM streams WHERE grp = ?1 AND "
			     "(?2 IS NULL OR substr(name, 1, length(?2)) = ?2) ORDER BY name") == 0) {
		sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(st, 0);
			int listed = !json_array_size(names);
			json_array_foreach(names, i, v)
				listed |= !strcmp(json_string_value(v), name);
			if (listed)
				json_array_append_new(searched, json_pack("{s:s, s:b}", "logStreamName", name,
									  "searchedCompletely", !more));
		}
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&l->lock);
	json_object_set_new(c->out, "events", events);
	json_object_set_new(c->out, "searchedLogStreams", searched);
	events = searched = NULL;
	if (more)
		json_object_set_new(c->out, "nextToken", position('f', last_ts, last_id));

cleanup:
	json_decref(events);
	json_decref(searched);
	sw_strvec_clear(&pat.all);
	sw_strvec_clear(&pat.any);
	sw_strvec_clear(&pat.none);
	sw_buf_release(&tmp);
	sw_buf_release(&why);
	sw_buf_release(&sql);
	return ret;
}

static const struct sw_engine_api_op logs_ops[] = {
	{ "CreateLogGroup", op_create_log_group, 1 },
	{ "DescribeLogGroups", op_describe_log_groups, 1 },
	{ "DeleteLogGroup", op_delete_log_group, 1 },
	{ "CreateLogStream", op_create_log_stream, 1 },
	{ "DescribeLogStreams", op_describe_log_streams, 1 },
	{ "DeleteLogStream", op_delete_log_stream, 1 },
	{ "PutRetentionPolicy", op_put_retention_policy, 1 },
	{ "DeleteRetentionPolicy", op_delete_retention_policy, 1 },
	{ "PutLogEvents", op_put_log_events, 1 },
	{ "GetLogEvents", op_get_log_events, 1 },
	{ "FilterLogEvents", op_filter_log_events, 1 },
	{ NULL, NULL, 0 },
};

static void logs_handle(const struct sw_engine_api *api, struct sw_engine *e, const struct sw_engine_request *req,
			struct sw_engine_response *res)
{
	if (!the_logs) {
		sw_engine_api_json_error(api, req, res, 503, "ServiceUnavailableException", "CloudWatch Logs is not running "
					 "in this engine");
		return;
	}
	sw_engine_api_json_serve(api, e, req, res);
}

const struct sw_engine_api sw_engine_logs_api = {
	"logs", &sw_aws_logs_model, SW_SIGV4_JSON, logs_ops, "InvalidParameterException", NULL, logs_handle,
	sw_engine_api_json_error,
};

/* ---- life cycle ------------------------------------------------------------------- */

int sw_logs_new(struct sw_logs **out, struct sw_engine *e)
{
	struct sw_logs *l = xcalloc(1, sizeof(*l));
	struct sw_buf path = SW_BUF_INIT;
	const char *days = getenv("SLIPWAY_LOGS_RETENTION_DAYS");
	int ret = SW_ERROR;

	*out = NULL;
	l->e = e;
	pthread_mutex_init(&l->lock, NULL);
	pthread_mutex_init(&l->wake_lock, NULL);
	pthread_cond_init(&l->wake_cond, NULL);
	sw_buf_init(&l->ignored, 0);
	sw_buf_addch(&l->ignored, '\n');
	l->default_retention = 30;
	if (days && *days) {
		char *end = NULL;
		long v = strtol(days, &end, 10);
		if (*end || v < 0 || (v && !valid_retention(v))) {
			sw_error_code(SW_EINVAL, "SLIPWAY_LOGS_RETENTION_DAYS=%s: expected 0 (never expire) or one of "
				      "CloudWatch's retention periods (1, 3, 5, 7, 14, 30, 60, 90, ...)", days);
			goto cleanup;
		}
		l->default_retention = (int)v;
	}
	sw_buf_addf(&path, "%s/logs.db", e->cfg.state_dir);
	if (sw_store_open(&l->db, path.ptr, migrations) < 0)
		goto cleanup;
	if (sqlite3_open_v2(e->cfg.db_path, &l->engine_db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		sw_error("open %s: %s", e->cfg.db_path, sqlite3_errmsg(l->engine_db));
		goto cleanup;
	}
	sqlite3_busy_timeout(l->engine_db, 10000);
	the_logs = l;
	*out = l;
	l = NULL;
	ret = 0;

cleanup:
	if (ret < 0)
		sw_error_prefix("logs");
	sw_logs_free(l);
	sw_buf_release(&path);
	return ret;
}

int sw_logs_start(struct sw_logs *l)
{
	if (pthread_create(&l->keeper_th, NULL, keeper_main, l) != 0)
		return sw_error("logs: cannot start its threads");
	if (pthread_create(&l->events_th, NULL, events_main, l) != 0) {
		pthread_mutex_lock(&l->wake_lock);
		l->stop = 1;
		pthread_cond_broadcast(&l->wake_cond);
		pthread_mutex_unlock(&l->wake_lock);
		pthread_join(l->keeper_th, NULL);
		return sw_error("logs: cannot start its threads");
	}
	l->started = 1;
	l->ever_started = 1;
	return 0;
}

void sw_logs_stop(struct sw_logs *l)
{
	if (!l || !l->started)
		return;
	pthread_mutex_lock(&l->wake_lock);
	l->stop = 1;
	pthread_cond_broadcast(&l->wake_cond);
	pthread_mutex_unlock(&l->wake_lock);
	pthread_join(l->keeper_th, NULL);
	/* the events thread may be blocked on Docker's stream: it ends with the process */
	pthread_detach(l->events_th);
	l->started = 0;
}

void sw_logs_free(struct sw_logs *l)
{
	if (!l)
		return;
	if (l->ever_started) {
		/* followers and the events thread may still use it; the process is ending */
		sw_logs_stop(l);
		return;
	}
	if (the_logs == l)
		the_logs = NULL;
	sw_store_close(l->db);
	if (l->engine_db)
		sqlite3_close(l->engine_db);
	sw_buf_release(&l->ignored);
	pthread_mutex_destroy(&l->wake_lock);
	pthread_cond_destroy(&l->wake_cond);
	pthread_mutex_destroy(&l->lock);
	free(l);
}
