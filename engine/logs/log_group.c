#include <string.h>

#include "engine/logs/logs_api.h"
#include "engine/logs/logs_db.h"
#include "common/store.h"
#include "common/time.h"
#include "common/banned.h"

static int valid_group_name(struct sw_engine_call *c, const char *name)
{
	const char *p;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '-' || *p == '_' || *p == '/' || *p == '#'))
			return SW_FAIL_PARAM(c, "1 validation error detected: Value "
					     "'%s' at 'logGroupName' failed to satisfy constraint: Member must satisfy "
					     "regular expression pattern: [\\.\\-_/#A-Za-z0-9]+", name);
	return 0;
}

int sw_logs_group_retention_valid(long long days)
{
	static const int ok[] = { 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
				  2192, 2557, 2922, 3288, 3653 };
	size_t i;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (ok[i] == days)
			return 1;
	return 0;
}

int sw_logs_op_create_log_group(struct sw_engine_call *c)
{
	struct sw_logs *l = c->ctx;
	const char *name = sw_engine_api_call_str(c, "logGroupName");
	sqlite3_stmt *st = NULL;
	int ret = 0;

	if (valid_group_name(c, name) < 0)
		return -1;
	pthread_mutex_lock(&l->lock);
	if (sw_logs_db_group_exists(l, name)) {
		ret = sw_engine_api_call_fail(c, 400, "ResourceAlreadyExistsException",
					      "The specified log group already exists");
	} else if (sw_store_prepare(l->db, &st, "INSERT INTO groups (name, created) VALUES (?, ?)") < 0) {
		ret = sw_logs_api_db_error(c);
	} else {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, sw_time_now_ms());
		if (sqlite3_step(st) != SQLITE_DONE)
			ret = sw_engine_api_call_fail(c, 500, "ServiceUnavailableException", "%s", sqlite3_errmsg(l->db));
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&l->lock);
	return ret;
}

int sw_logs_op_describe_log_groups(struct sw_engine_call *c)
{
	struct sw_logs *l = c->ctx;
	const char *prefix = sw_engine_api_call_str(c, "logGroupNamePrefix");
	const char *pattern = sw_engine_api_call_str(c, "logGroupNamePattern");
	long long limit = sw_engine_api_call_int(c, "limit", 50);
	long long off = sw_logs_api_offset_token(sw_engine_api_call_str(c, "nextToken"));
	struct sw_buf arn = SW_BUF_INIT, like = SW_BUF_INIT;
	sqlite3_stmt *st = NULL;
	json_t *groups = json_array();
	long long n = 0;
	int rc;

	if (off < 0) {
		json_decref(groups);
		return SW_FAIL_PARAM(c, "The specified nextToken is invalid.");
	}
	if (prefix && pattern) {
		json_decref(groups);
		return SW_FAIL_PARAM(c, "LogGroup name prefix and LogGroup name pattern "
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
			sw_logs_api_group_arn(c->e, &arn, name, 1);
			json_object_set_new(g, "arn", json_string(arn.ptr));
			sw_logs_api_group_arn(c->e, &arn, name, 0);
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

/* sql (?1: days, ?2: the group) on group, which must exist. 0, or -1 with the call failed. */
static int change_group(struct sw_engine_call *c, const char *group, const char *sql, long long days)
{
	struct sw_logs *l = c->ctx;
	sqlite3_stmt *st = NULL;
	int ret = 0;

	pthread_mutex_lock(&l->lock);
	if (!sw_logs_db_group_exists(l, group)) {
		ret = sw_logs_api_no_group(c);
	} else if (sw_store_prepare(l->db, &st, sql) < 0) {
		ret = sw_logs_api_db_error(c);
	} else {
		sqlite3_bind_int64(st, 1, days);
		sqlite3_bind_text(st, 2, group, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			ret = sw_engine_api_call_fail(c, 500, "ServiceUnavailableException", "%s", sqlite3_errmsg(l->db));
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&l->lock);
	return ret;
}

int sw_logs_op_delete_log_group(struct sw_engine_call *c)
{
	return change_group(c, sw_engine_api_call_str(c, "logGroupName"), "DELETE FROM groups WHERE name = ?2", 0);
}

int sw_logs_op_put_retention_policy(struct sw_engine_call *c)
{
	long long days = sw_engine_api_call_int(c, "retentionInDays", 0);

	if (!sw_logs_group_retention_valid(days))
		return SW_FAIL_PARAM(c, "1 validation error detected: Value "
				     "'%lld' at 'retentionInDays' failed to satisfy constraint: Member must "
				     "satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, "
				     "400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]", days);
	if (change_group(c, sw_engine_api_call_str(c, "logGroupName"),
			 "UPDATE groups SET retention = ?1 WHERE name = ?2", days) < 0)
		return -1;
	sw_logs_db_expire(c->ctx);
	return 0;
}

int sw_logs_op_delete_retention_policy(struct sw_engine_call *c)
{
	return change_group(c, sw_engine_api_call_str(c, "logGroupName"),
			    "UPDATE groups SET retention = NULL WHERE name = ?2", 0);
}
