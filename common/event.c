#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "common/event.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "common/store.h"
#include "common/time.h"
#include "common/banned.h"

static pthread_mutex_t bus_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bus_cond;
static pthread_once_t bus_once = PTHREAD_ONCE_INIT;
static long long bus_latest;
static int bus_interrupted;

static void bus_init(void)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&bus_cond, &ca);
	pthread_condattr_destroy(&ca);
}

static void bus_publish(long long id)
{
	pthread_once(&bus_once, bus_init);
	pthread_mutex_lock(&bus_mu);
	if (id > bus_latest)
		bus_latest = id;
	pthread_cond_broadcast(&bus_cond);
	pthread_mutex_unlock(&bus_mu);
}

/* Printable one-line copy: control characters become spaces, cut at the cap. */
static void one_line(struct sw_buf *out, const char *s)
{
	size_t i, n = strlen(s);
	if (n > SW_EVENT_MESSAGE_MAX)
		n = SW_EVENT_MESSAGE_MAX;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		sw_buf_addch(out, c < 0x20 || c == 0x7f ? ' ' : c);
	}
	sw_buf_rtrim(out);
}

long long sw_event_emit(sqlite3 *db, const char *app, const char *type, int release, long long build,
			const char *actor, const char *fmt, ...)
{
	struct sw_buf raw = SW_BUF_INIT, msg = SW_BUF_INIT;
	sqlite3_stmt *st = NULL;
	long long id = 0;
	va_list ap;

	va_start(ap, fmt);
	sw_buf_vaddf(&raw, fmt, ap);
	va_end(ap);
	one_line(&msg, raw.ptr);
	if (!sw_event_type_valid(type)) {
		id = sw_error_code(SW_EINVAL, "bad event type: %.60s", type);
		sw_log(SW_LOG_WARN, app, build, "event not recorded: %s", sw_error_last());
		goto cleanup;
	}
	if (sqlite3_prepare_v2(db, "INSERT INTO events(app, type, release, build, actor, message, created_at)"
			       " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id", -1, &st, NULL) != SQLITE_OK) {
		const char *m = sqlite3_errmsg(db);
		if (m && strstr(m, "no such table")) {
			id = 0;   /* a database without events (a test tool's) */
			goto cleanup;
		}
		id = sw_store_error(db, "record event");
		sw_log(SW_LOG_WARN, app, build, "event %s not recorded: %s", type, sw_error_last());
		goto cleanup;
	}
	if (app)
		sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_TRANSIENT);
	if (release > 0)
		sqlite3_bind_int(st, 3, release);
	if (build > 0)
		sqlite3_bind_int64(st, 4, build);
	if (actor && *actor)
		sqlite3_bind_text(st, 5, actor, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, msg.ptr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 7, sw_time_now());
	if (sqlite3_step(st) != SQLITE_ROW) {
		id = sw_store_error(db, "record event");
		sw_log(SW_LOG_WARN, app, build, "event %s not recorded: %s", type, sw_error_last());
		goto cleanup;
	}
	id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	sw_log(SW_LOG_DEBUG, app, build, "event %lld %s: %s", id, type, msg.ptr);
	bus_publish(id);
cleanup:
	if (st)
		sqlite3_finalize(st);
	sw_buf_release(&raw);
	sw_buf_release(&msg);
	return id;
}

int sw_event_init(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	long long max = 0;

	if (sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(id), 0) FROM events", -1, &st, NULL) != SQLITE_OK)
		return sw_store_error(db, "read events");
	if (sqlite3_step(st) == SQLITE_ROW)
		max = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	bus_publish(max);
	return 0;
}

long long sw_event_latest(void)
{
	long long v;
	pthread_once(&bus_once, bus_init);
	pthread_mutex_lock(&bus_mu);
	v = bus_latest;
	pthread_mutex_unlock(&bus_mu);
	return v;
}

void sw_event_interrupt(void)
{
	pthread_once(&bus_once, bus_init);
	pthread_mutex_lock(&bus_mu);
	bus_interrupted = 1;
	pthread_cond_broadcast(&bus_cond);
	pthread_mutex_unlock(&bus_mu);
}

int sw_event_wait(long long after, int timeout_ms)
{
	struct timespec until;
	int newer;

	pthread_once(&bus_once, bus_init);
	if (timeout_ms >= 0) {
		sw_time_deadline(&until, CLOCK_MONOTONIC, timeout_ms);
	}
	pthread_mutex_lock(&bus_mu);
	while (bus_latest <= after && !bus_interrupted) {
		int w = timeout_ms >= 0 ? pthread_cond_timedwait(&bus_cond, &bus_mu, &until)
					: pthread_cond_wait(&bus_cond, &bus_mu);
		if (w == ETIMEDOUT)
			break;
	}
	newer = bus_latest > after ? 1 : bus_interrupted ? -1 : 0;
	pthread_mutex_unlock(&bus_mu);
	return newer;
}

int sw_event_type_valid(const char *type)
{
	size_t i, n = type ? strlen(type) : 0;

	if (n < 3 || n > 40 || type[0] == '.' || type[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = type[i];
		if (!((c >= 'a' && c <= 'z') || c == '.' || c == '_'))
			return 0;
		if (c == '.' && type[i + 1] == '.')
			return 0;
	}
	return 1;
}

static int one_pattern_matches(const char *p, size_t n, const char *type)
{
	size_t tl = strlen(type);

	if (n == 1 && p[0] == '*')
		return 1;
	if (n >= 2 && p[n - 2] == '.' && p[n - 1] == '*')   /* "build.*": the family */
		return tl > n - 2 && !strncmp(type, p, n - 1);
	return tl == n && !strncmp(type, p, n);
}

int sw_event_type_matches(const char *patterns, const char *type)
{
	const char *p = patterns;

	if (!p || !*p)
		return 1;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		while (n && *p == ' ') {
			p++;
			n--;
		}
		while (n && p[n - 1] == ' ')
			n--;
		if (n && one_pattern_matches(p, n, type))
			return 1;
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
}

static json_t *iso(double t)
{
	char out[SW_TIME_ISO_SIZE];
	return json_string(sw_time_iso(t, out));
}

static json_t *text(sqlite3_stmt *st, int col)
{
	const char *v = (const char *)sqlite3_column_text(st, col);
	json_t *j = v ? json_string(v) : NULL;
	return j ? j : json_null();
}

int sw_event_query(sqlite3 *db, const char *app, long long after, int limit, const char *types, json_t **out)
{
	/* newest-first when there is no cursor (the last `limit`), oldest-first after one */
	static const char *const sql_tail =
		"SELECT id, app, type, release, build, actor, message, created_at FROM events"
		" WHERE (?1 IS NULL OR app = ?1) AND id > ?2 ORDER BY id DESC";
	static const char *const sql_after =
		"SELECT id, app, type, release, build, actor, message, created_at FROM events"
		" WHERE (?1 IS NULL OR app = ?1) AND id > ?2 ORDER BY id ASC";
	sqlite3_stmt *st = NULL;
	json_t *list = json_array();
	int rc, kept = 0;

	*out = NULL;
	if (limit <= 0)
		limit = 100;
	if (sw_store_prepare(db, &st, after > 0 ? sql_after : sql_tail) < 0) {
		json_decref(list);
		return SW_ERROR;
	}
	if (app)
		sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, after);
	while (kept < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 2);
		json_t *o;
		char rel[24];

		if (types && !sw_event_type_matches(types, type ? type : ""))
			continue;
		o = json_object();
		json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
		json_object_set_new(o, "type", text(st, 2));
		json_object_set_new(o, "app", text(st, 1));
		if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
			snprintf(rel, sizeof(rel), "v%d", sqlite3_column_int(st, 3));
			json_object_set_new(o, "release", json_string(rel));
		} else {
			json_object_set_new(o, "release", json_null());
		}
		json_object_set_new(o, "build", sqlite3_column_type(st, 4) == SQLITE_NULL ? json_null()
					   : json_integer(sqlite3_column_int64(st, 4)));
		json_object_set_new(o, "actor", text(st, 5));
		json_object_set_new(o, "message", text(st, 6));
		json_object_set_new(o, "created_at", iso(sqlite3_column_double(st, 7)));
		json_object_set_new(o, "time", json_real(sqlite3_column_double(st, 7)));
		if (after > 0)
			json_array_append_new(list, o);
		else
			json_array_insert_new(list, 0, o);
		kept++;
	}
	sqlite3_finalize(st);
	*out = list;
	return 0;
}
