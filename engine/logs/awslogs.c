#include <stdlib.h>
#include <string.h>

#include "engine/logs/awslogs.h"
#include "engine/logs/follower.h"
#include "engine/logs/logs_db.h"
#include "engine/engine.h"
#include "common/docker.h"
#include "common/error.h"
#include "common/http.h"
#include "common/json.h"
#include "common/log.h"
#include "common/store.h"
#include "common/banned.h"

/* The container definition's logConfiguration, from the task definition (labels). */
static json_t *log_configuration(struct sw_logs *l, json_t *labels)
{
	const char *family = sw_json_str(labels, "com.amazonaws.ecs.task-definition-family");
	const char *version = sw_json_str(labels, "com.amazonaws.ecs.task-definition-version");
	const char *name = sw_json_str(labels, "slipway.container");
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
		if (sw_json_str(cd, "name") &&
		    !strcmp(sw_json_str(cd, "name"), name))
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

/* Remember that container id is not an awslogs one (the list is bounded). */
static void ignore(struct sw_logs *l, const char *id)
{
	pthread_mutex_lock(&l->lock);
	if (l->ignored.len > (1u << 20))
		sw_buf_reset(&l->ignored);
	sw_buf_addf(&l->ignored, "%s\n", id);
	pthread_mutex_unlock(&l->lock);
}

/* The stream id of group/stream, made (and the group too) when missing. l->lock held. */
static int stream_of(struct sw_logs *l, const char *id, const char *group, const char *stream, const char *create,
		     long long *sid)
{
	int rc = sw_logs_db_ensure_stream(l, group, stream, 0, 0, sid);
	if (rc == SW_ENOTFOUND) {
		if (!create || strcmp(create, "true"))
			sw_log_warn("logs: log group %s does not exist (awslogs-create-group is not \"true\"); "
				    "created it for container %.12s", group, id);
		rc = sw_logs_db_ensure_stream(l, group, stream, 1, l->default_retention, sid);
	}
	return rc;
}

void sw_logs_awslogs_follow(struct sw_logs *l, const char *id)
{
	struct sw_buf path = SW_BUF_INIT, stream = SW_BUF_INIT;
	json_t *doc = NULL, *labels, *cfg = NULL, *opts;
	const char *group, *prefix, *create, *task, *name, *driver;
	long long cursor = 0, same = 0, sid = 0;
	int done, tty;

	pthread_mutex_lock(&l->lock);
	done = sw_logs_follower_running(l, id) || is_ignored(l, id) ||
	       sw_logs_db_cursor_get(l, id, &sid, &cursor, &same);
	pthread_mutex_unlock(&l->lock);
	if (done)
		return;

	sw_buf_addf(&path, "/containers/%s/json", id);
	if (sw_docker_json("GET", path.ptr, NULL, &doc) < 0)
		goto cleanup;
	labels = json_object_get(json_object_get(doc, "Config"), "Labels");
	tty = sw_json_bool(json_object_get(doc, "Config"), "Tty", 0);
	cfg = log_configuration(l, labels);
	driver = sw_json_str(cfg, "logDriver");
	if (!driver || strcmp(driver, "awslogs")) {
		ignore(l, id);
		goto cleanup;
	}
	opts = json_object_get(cfg, "options");
	group = sw_json_str(opts, "awslogs-group");
	prefix = sw_json_str(opts, "awslogs-stream-prefix");
	create = sw_json_str(opts, "awslogs-create-group");
	task = sw_json_str(labels, "slipway.task");
	name = sw_json_str(labels, "slipway.container");
	if (!group || !*group) {
		sw_log_warn("logs: container %.12s: awslogs without awslogs-group; its output is not shipped", id);
		goto cleanup;
	}
	if (prefix && *prefix && task && name)
		sw_buf_addf(&stream, "%s/%s/%s", prefix, name, task);
	else
		sw_buf_adds(&stream, id);
	pthread_mutex_lock(&l->lock);
	if (!sid && stream_of(l, id, group, stream.ptr, create, &sid) < 0)
		sw_log_warn("logs: container %.12s: %s", id, sw_error_last());
	else if (sw_logs_follower_running(l, id))
		;
	else if (sw_logs_follower_start(l, id, sid, tty, cursor, same) < 0)
		sw_log_error("%s", sw_error_last());
	else
		sw_log_debug("logs: following container %.12s into %s / %s", id, group, stream.ptr);
	pthread_mutex_unlock(&l->lock);

cleanup:
	json_decref(cfg);
	json_decref(doc);
	sw_buf_release(&path);
	sw_buf_release(&stream);
}

/* Every container of this engine (running or exited): follow what needs it. */
void sw_logs_awslogs_rescan(struct sw_logs *l)
{
	struct sw_buf path = SW_BUF_INIT, filt = SW_BUF_INIT;
	json_t *list = NULL, *c;
	size_t i;

	sw_buf_addf(&filt, "{\"label\":[\"slipway.engine=%s\"]}", l->e->instance);
	sw_buf_adds(&path, "/containers/json?all=1&filters=");
	sw_http_urlencode(&path, filt.ptr, filt.len);
	if (sw_docker_json("GET", path.ptr, NULL, &list) >= 0)
		json_array_foreach(list, i, c)
			if (sw_json_str(c, "Id"))
				sw_logs_awslogs_follow(l, sw_json_str(c, "Id"));
	json_decref(list);
	sw_buf_release(&path);
	sw_buf_release(&filt);
}
