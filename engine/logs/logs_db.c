#include <string.h>

#include "engine/logs/logs_db.h"
#include "common/error.h"
#include "common/log.h"
#include "common/store.h"
#include "common/time.h"
#include "common/banned.h"

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

int sw_logs_db_open(struct sw_logs *l, const char *path)
{
	return sw_store_open(&l->db, path, migrations);
}

/* The id of group/stream, creating them when asked. 0, SW_ENOTFOUND or an error. Lock held. */
int sw_logs_db_ensure_stream(struct sw_logs *l, const char *group, const char *stream, int create_group,
			     int retention, long long *id)
{
	sqlite3_stmt *st = NULL;
	int ret = 0, rc;
	long long now = sw_time_now_ms();

	if (create_group) {
		if (sw_store_prepare(l->db, &st, "INSERT OR IGNORE INTO groups (name, created, retention) "
				     "VALUES (?, ?, ?)") < 0)
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

/*
 * Store lines as events of stream (one transaction, lock held), with the container's
 * cursor when container is not NULL. Returns 0 or negative.
 */
int sw_logs_db_store_events(struct sw_logs *l, long long stream, const struct sw_logs_line *lines, size_t n,
			    const char *container, long long cursor_ns, long long same)
{
	sqlite3_stmt *ins = NULL, *upd = NULL, *cur = NULL;
	long long now = sw_time_now_ms(), bytes = 0, first = 0, last = 0;
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

void sw_logs_db_expire(struct sw_logs *l)
{
	long long now = sw_time_now_ms();
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

int sw_logs_db_group_exists(struct sw_logs *l, const char *name)
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

long long sw_logs_db_stream_id(struct sw_logs *l, const char *group, const char *name)
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

int sw_logs_db_cursor_get(struct sw_logs *l, const char *container, long long *stream, long long *ts_ns,
			  long long *same)
{
	sqlite3_stmt *st = NULL;
	int done = 0;

	*stream = *ts_ns = *same = 0;
	if (sw_store_prepare(l->db, &st, "SELECT stream, ts_ns, same, done FROM cursors WHERE container = ?") == 0) {
		sqlite3_bind_text(st, 1, container, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			*stream = sqlite3_column_int64(st, 0);
			*ts_ns = sqlite3_column_int64(st, 1);
			*same = sqlite3_column_int64(st, 2);
			done = sqlite3_column_int(st, 3);
		}
	}
	sqlite3_finalize(st);
	return done;
}

void sw_logs_db_cursor_done(struct sw_logs *l, const char *container, long long stream)
{
	sqlite3_stmt *st = NULL;
	if (sw_store_prepare(l->db, &st, "INSERT INTO cursors (container, stream, ts_ns, same, done) "
			     "VALUES (?1, ?2, 0, 0, 1) ON CONFLICT (container) DO UPDATE SET done = 1") == 0) {
		sqlite3_bind_text(st, 1, container, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, stream);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
}
