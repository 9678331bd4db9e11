#include <stdio.h>
#include <string.h>

#include "engine/logs/logs_api.h"
#include "engine/logs/logs_db.h"
#include "common/store.h"
#include "common/banned.h"

static int valid_stream_name(struct sw_engine_call *c, const char *name)
{
	if (strchr(name, ':') || strchr(name, '*'))
		return SW_FAIL_PARAM(c, "1 validation error detected: Value "
				     "'%s' at 'logStreamName' failed to satisfy constraint: Member must satisfy "
				     "regular expression pattern: [^:*]*", name);
	return 0;
}

int sw_logs_op_create_log_stream(struct sw_engine_call *c)
{
	struct sw_logs *l = c->ctx;
	const char *group = sw_engine_api_call_str(c, "logGroupName"), *name = sw_engine_api_call_str(c, "logStreamName");
	long long id = 0;
	int ret = 0;

	if (valid_stream_name(c, name) < 0)
		return -1;
	pthread_mutex_lock(&l->lock);
	if (!sw_logs_db_group_exists(l, group))
		ret = sw_logs_api_no_group(c);
	else if (sw_logs_db_stream_id(l, group, name))
		ret = sw_engine_api_call_fail(c, 400, "ResourceAlreadyExistsException",
					      "The specified log stream already exists");
	else if (sw_logs_db_ensure_stream(l, group, name, 0, 0, &id) < 0)
		ret = sw_logs_api_db_error(c);
	pthread_mutex_unlock(&l->lock);
	return ret;
}

int sw_logs_op_delete_log_stream(struct sw_engine_call *c)
{
	struct sw_logs *l = c->ctx;
	const char *group = sw_engine_api_call_str(c, "logGroupName"), *name = sw_engine_api_call_str(c, "logStreamName");
	sqlite3_stmt *st = NULL;
	long long id;
	int ret = 0;

	pthread_mutex_lock(&l->lock);
	if (!sw_logs_db_group_exists(l, group))
		ret = sw_logs_api_no_group(c);
	else if (!(id = sw_logs_db_stream_id(l, group, name)))
		ret = sw_logs_api_no_stream(c);
	else if (sw_store_prepare(l->db, &st, "DELETE FROM streams WHERE id = ?") == 0) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&l->lock);
	return ret;
}

int sw_logs_op_describe_log_streams(struct sw_engine_call *c)
{
	struct sw_logs *l = c->ctx;
	struct sw_buf tmp = SW_BUF_INIT, arn = SW_BUF_INIT, sql = SW_BUF_INIT;
	const char *group, *prefix = sw_engine_api_call_str(c, "logStreamNamePrefix");
	const char *order = sw_engine_api_call_str(c, "orderBy");
	int desc = sw_engine_api_call_bool(c, "descending", 0), by_time = order && !strcmp(order, "LastEventTime");
	long long limit = sw_engine_api_call_int(c, "limit", 50);
	long long off = sw_logs_api_offset_token(sw_engine_api_call_str(c, "nextToken"));
	sqlite3_stmt *st = NULL;
	json_t *streams = NULL;
	long long n = 0;
	int ret = 0;

	if (!(group = sw_logs_api_group_param(c, &tmp)))
		goto cleanup;
	if (off < 0) {
		ret = SW_FAIL_PARAM(c, "The specified nextToken is invalid.");
		goto cleanup;
	}
	if (by_time && prefix) {
		ret = SW_FAIL_PARAM(c, "Cannot order by LastEventTime with a "
				    "logStreamNamePrefix.");
		goto cleanup;
	}
	sw_buf_addf(&sql, "SELECT name, created, first_ts, last_ts, last_ingest, stored, seq FROM streams "
		    "WHERE grp = ?1 AND (?2 IS NULL OR substr(name, 1, length(?2)) = ?2) ORDER BY %s %s, name %s "
		    "LIMIT ?3 OFFSET ?4", by_time ? "COALESCE(last_ts, 0)" : "name", desc ? "DESC" : "ASC",
		    desc ? "DESC" : "ASC");
	pthread_mutex_lock(&l->lock);
	if (!sw_logs_db_group_exists(l, group)) {
		pthread_mutex_unlock(&l->lock);
		ret = sw_logs_api_no_group(c);
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
			sw_logs_api_group_arn(c->e, &arn, group, 0);
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
