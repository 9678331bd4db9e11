#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/logs/logs_api.h"
#include "engine/logs/filter_pattern.h"
#include "engine/logs/logs_db.h"
#include "common/json.h"
#include "common/store.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define SCAN_CAP 100000                     /* rows FilterLogEvents looks at per call */

int sw_logs_op_put_log_events(struct sw_engine_call *c)
{
	struct sw_logs *l = c->ctx;
	const char *group = sw_engine_api_call_str(c, "logGroupName"), *name = sw_engine_api_call_str(c, "logStreamName");
	json_t *events = sw_engine_api_call_get(c, "logEvents"), *ev, *rejected = NULL;
	struct sw_logs_line *lines = NULL;
	long long now = sw_time_now_ms(), prev = 0, id = 0, retention = 0;
	size_t i, n = 0;
	int ret = 0;
	char seq[64];
	sqlite3_stmt *st = NULL;

	lines = xcalloc(json_array_size(events) + 1, sizeof(*lines));
	json_array_foreach(events, i, ev) {
		long long ts = sw_json_int(ev, "timestamp", 0);
		const char *msg = sw_json_str(ev, "message");
		if (i && ts < prev) {
			ret = SW_FAIL_PARAM(c, "Log events in a single PutLogEvents "
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
		lines[n].len = strlen(msg) > SW_LOGS_EVENT_MAX ? SW_LOGS_EVENT_MAX : strlen(msg);
		n++;
	}
	pthread_mutex_lock(&l->lock);
	if (!sw_logs_db_group_exists(l, group)) {
		ret = sw_logs_api_no_group(c);
	} else if (!(id = sw_logs_db_stream_id(l, group, name))) {
		ret = sw_logs_api_no_stream(c);
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
		if (sw_logs_db_store_events(l, id, lines, n, NULL, 0, 0) < 0)
			ret = sw_logs_api_db_error(c);
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

int sw_logs_op_get_log_events(struct sw_engine_call *c)
{
	struct sw_logs *l = c->ctx;
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

	if (!(group = sw_logs_api_group_param(c, &tmp)))
		goto cleanup;
	if (token) {
		if (parse_position(token, 'f', &pts, &pid) == 0) {
			backward = 0;
		} else if (parse_position(token, 'b', &pts, &pid) == 0) {
			backward = 1;
		} else {
			ret = SW_FAIL_PARAM(c, "The specified nextToken is invalid.");
			goto cleanup;
		}
		have_pos = 1;
	} else {
		backward = !head;
	}
	pthread_mutex_lock(&l->lock);
	if (!sw_logs_db_group_exists(l, group)) {
		pthread_mutex_unlock(&l->lock);
		ret = sw_logs_api_no_group(c);
		goto cleanup;
	}
	if (!(id = sw_logs_db_stream_id(l, group, name))) {
		pthread_mutex_unlock(&l->lock);
		ret = sw_logs_api_no_stream(c);
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
			if (json_array_size(events) && bytes > SW_LOGS_PAGE_MAX)
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

/* What FilterLogEvents looks for, and where it got to. */
struct filter {
	const char *group, *prefix;
	json_t *names;                 /* logStreamNames, or NULL */
	long long start, end, limit;
	int have_pos;                  /* nextToken: after (pts, pid) */
	long long pts, pid;
	struct sw_logs_pattern pat;
	int more;                      /* stopped before the end: nextToken at (last_ts, last_id) */
	long long last_ts, last_id;
};

/* The events of the filter's streams after its position that match its pattern, one page. l->lock held. */
static json_t *filter_events(struct sw_logs *l, struct filter *f)
{
	struct sw_buf sql = SW_BUF_INIT;
	json_t *events = json_array(), *v;
	sqlite3_stmt *st = NULL;
	long long scanned = 0;
	size_t i, bytes = 0;

	sw_buf_adds(&sql, "SELECT e.id, e.ts, e.ingest, e.message, s.name FROM events e JOIN streams s ON s.id = e.stream "
		    "WHERE s.grp = ?1 AND e.ts >= ?2 AND e.ts < ?3 AND (?4 = 0 OR (e.ts, e.id) > (?5, ?6)) "
		    "AND (?7 IS NULL OR substr(s.name, 1, length(?7)) = ?7)");
	if (json_array_size(f->names)) {
		sw_buf_adds(&sql, " AND s.name IN (");
		for (i = 0; i < json_array_size(f->names); i++)
			sw_buf_addf(&sql, "%s?%zu", i ? ", " : "", i + 8);
		sw_buf_adds(&sql, ")");
	}
	sw_buf_adds(&sql, " ORDER BY e.ts, e.id");
	if (sw_store_prepare(l->db, &st, sql.ptr) == 0) {
		sqlite3_bind_text(st, 1, f->group, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, f->start);
		sqlite3_bind_int64(st, 3, f->end);
		sqlite3_bind_int(st, 4, f->have_pos);
		sqlite3_bind_int64(st, 5, f->pts);
		sqlite3_bind_int64(st, 6, f->pid);
		sqlite3_bind_text(st, 7, f->prefix, -1, SQLITE_STATIC);
		json_array_foreach(f->names, i, v)
			sqlite3_bind_text(st, (int)i + 8, json_string_value(v), -1, SQLITE_TRANSIENT);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *msg = (const char *)sqlite3_column_text(st, 3);
			char eid[64];
			if ((long long)json_array_size(events) >= f->limit || bytes > SW_LOGS_PAGE_MAX ||
			    scanned >= SCAN_CAP) {
				f->more = 1;
				break;
			}
			scanned++;
			f->last_id = sqlite3_column_int64(st, 0);
			f->last_ts = sqlite3_column_int64(st, 1);
			if (!sw_logs_pattern_match(&f->pat, msg))
				continue;
			bytes += strlen(msg) + 26;
			snprintf(eid, sizeof(eid), "%020lld%020lld", f->last_ts, f->last_id);
			json_array_append_new(events, json_pack("{s:s, s:I, s:s, s:I, s:s}", "logStreamName",
								(const char *)sqlite3_column_text(st, 4),
								"timestamp", (json_int_t)f->last_ts, "message", msg,
								"ingestionTime", (json_int_t)sqlite3_column_int64(st, 2),
								"eventId", eid));
		}
	}
	sqlite3_finalize(st);
	sw_buf_release(&sql);
	return events;
}

/* searchedLogStreams: the filter's streams, searched completely unless it stopped early. l->lock held. */
static json_t *searched_streams(struct sw_logs *l, const struct filter *f)
{
	json_t *searched = json_array(), *v;
	sqlite3_stmt *st = NULL;
	size_t i;

	if (sw_store_prepare(l->db, &st, "SELECT name FROM streams WHERE grp = ?1 AND "
			     "(?2 IS NULL OR substr(name, 1, length(?2)) = ?2) ORDER BY name") == 0) {
		sqlite3_bind_text(st, 1, f->group, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, f->prefix, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(st, 0);
			int listed = !json_array_size(f->names);
			json_array_foreach(f->names, i, v)
				listed |= !strcmp(json_string_value(v), name);
			if (listed)
				json_array_append_new(searched, json_pack("{s:s, s:b}", "logStreamName", name,
									  "searchedCompletely", !f->more));
		}
	}
	sqlite3_finalize(st);
	return searched;
}

/* The request's filter; 0, or -1 with the call failed. */
static int filter_params(struct sw_engine_call *c, struct filter *f, struct sw_buf *tmp)
{
	const char *token = sw_engine_api_call_str(c, "nextToken"), *pattern = sw_engine_api_call_str(c, "filterPattern");
	json_t *jstart = sw_engine_api_call_get(c, "startTime"), *jend = sw_engine_api_call_get(c, "endTime");
	struct sw_buf why = SW_BUF_INIT;
	int ret = 0;

	f->prefix = sw_engine_api_call_str(c, "logStreamNamePrefix");
	f->names = sw_engine_api_call_get(c, "logStreamNames");
	f->start = jstart ? json_integer_value(jstart) : 0;
	f->end = jend ? json_integer_value(jend) : INT64_MAX;
	f->limit = sw_engine_api_call_int(c, "limit", 10000);
	if (!(f->group = sw_logs_api_group_param(c, tmp)))
		ret = -1;
	else if (f->names && f->prefix)
		ret = SW_FAIL_PARAM(c, "You cannot specify both logStreamNames and logStreamNamePrefix.");
	else if (token && parse_position(token, 'f', &f->pts, &f->pid) < 0)
		ret = SW_FAIL_PARAM(c, "The specified nextToken is invalid.");
	else if (pattern && sw_logs_pattern_parse(&f->pat, pattern, &why) < 0)
		ret = SW_FAIL_PARAM(c, "%s", why.ptr);
	f->have_pos = token != NULL;
	sw_buf_release(&why);
	return ret;
}

int sw_logs_op_filter_log_events(struct sw_engine_call *c)
{
	struct sw_logs *l = c->ctx;
	struct filter f = { .pat = SW_LOGS_PATTERN_INIT };
	struct sw_buf tmp = SW_BUF_INIT;
	int ret;

	ret = filter_params(c, &f, &tmp);
	if (ret == 0) {
		pthread_mutex_lock(&l->lock);
		if (!sw_logs_db_group_exists(l, f.group)) {
			ret = sw_logs_api_no_group(c);
		} else {
			json_object_set_new(c->out, "events", filter_events(l, &f));
			json_object_set_new(c->out, "searchedLogStreams", searched_streams(l, &f));
			if (f.more)
				json_object_set_new(c->out, "nextToken", position('f', f.last_ts, f.last_id));
		}
		pthread_mutex_unlock(&l->lock);
	}
	sw_logs_pattern_release(&f.pat);
	sw_buf_release(&tmp);
	return ret;
}
