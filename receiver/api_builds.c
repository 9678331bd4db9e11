#include <stdlib.h>
#include <string.h>

#include "receiver/api_builds.h"
#include "receiver/job.h"
#include "receiver/reply.h"
#include "receiver/request.h"
#include "receiver/stream.h"
#include "common/error.h"
#include "common/gitref.h"
#include "common/log.h"
#include "common/store.h"
#include "common/banned.h"

#define LOG_READ_BYTES 16384

static json_t *text_or_null(sqlite3_stmt *st, int col)
{
	const char *v = (const char *)sqlite3_column_text(st, col);
	struct sw_buf b = SW_BUF_INIT;
	json_t *j;

	if (!v)
		return json_null();
	sw_reply_utf8_clean(&b, v, strlen(v));
	j = json_string(b.ptr);
	sw_buf_release(&b);
	return j;
}

json_t *sw_api_builds_row(sqlite3_stmt *st)
{
	const char *ref = (const char *)sqlite3_column_text(st, 2);
	const char *branch = ref ? sw_gitref_branch(ref) : NULL;
	const char *opts = (const char *)sqlite3_column_text(st, 10);
	json_t *o = json_object();
	json_t *options = opts ? json_loads(opts, 0, NULL) : NULL;

	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	json_object_set_new(o, "app", text_or_null(st, 1));
	json_object_set_new(o, "ref", text_or_null(st, 2));
	json_object_set_new(o, "branch", branch ? json_string(branch) : json_null());
	json_object_set_new(o, "commit", text_or_null(st, 3));
	json_object_set_new(o, "status", text_or_null(st, 4));
	json_object_set_new(o, "reason", text_or_null(st, 5));
	json_object_set_new(o, "image", text_or_null(st, 6));
	json_object_set_new(o, "digest", text_or_null(st, 7));
	json_object_set_new(o, "size", sqlite3_column_type(st, 8) == SQLITE_NULL ? json_null()
				    : json_integer(sqlite3_column_int64(st, 8)));
	json_object_set_new(o, "reused", json_boolean(sqlite3_column_int(st, 9)));
	json_object_set_new(o, "push_options", options ? options : json_array());
	json_object_set_new(o, "created_at", sw_reply_iso_time(st, 11));
	json_object_set_new(o, "started_at", sw_reply_iso_time(st, 12));
	json_object_set_new(o, "finished_at", sw_reply_iso_time(st, 13));
	if (sqlite3_column_type(st, 12) != SQLITE_NULL && sqlite3_column_type(st, 13) != SQLITE_NULL)
		json_object_set_new(o, "duration", json_real(sqlite3_column_double(st, 13) -
							      sqlite3_column_double(st, 12)));
	else
		json_object_set_new(o, "duration", json_null());
	/* who pushed, who cancelled, and git push -o detach */
	json_object_set_new(o, "pushed_by", text_or_null(st, 14));
	json_object_set_new(o, "cancelled_by", text_or_null(st, 15));
	json_object_set_new(o, "detached", json_boolean(sqlite3_column_int(st, 16)));
	/* "build", or a release command's kind ("rollback", "config", "scale"),
	 * and the release it made (null: none) */
	json_object_set_new(o, "kind", text_or_null(st, 17));
	json_object_set_new(o, "release", sqlite3_column_type(st, 18) == SQLITE_NULL ? json_null()
				      : json_integer(sqlite3_column_int(st, 18)));
	return o;
}

json_t *sw_api_builds_load(sqlite3 *db, long id, const char *app)
{
	sqlite3_stmt *st = NULL;
	json_t *o = NULL;

	if (sw_store_prepare(db, &st, "SELECT " SW_BUILD_COLUMNS " FROM builds WHERE id = ? AND (?2 IS NULL OR app = ?2)") < 0)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	if (app)
		sqlite3_bind_text(st, 2, app, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = sw_api_builds_row(st);
	else
		sw_error_code(SW_ENOTFOUND, "no such build: %ld", id);
	sqlite3_finalize(st);
	return o;
}

enum MHD_Result sw_api_builds_list(struct sw_server *s, struct MHD_Connection *c, const char *app, unsigned *status)
{
	sqlite3_stmt *st = NULL;
	json_t *list = json_array();

	if (sw_store_prepare(s->db, &st, "SELECT " SW_BUILD_COLUMNS " FROM builds WHERE app = ? ORDER BY id DESC LIMIT 100") < 0) {
		json_decref(list);
		return sw_reply_db_error(c, status);
	}
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(list, sw_api_builds_row(st));
	sqlite3_finalize(st);
	return sw_reply_json(c, MHD_HTTP_OK, json_pack("{s:o}", "builds", list), status);
}

/* ---- a job's log ---- */

static long read_log(void *ctx, char *buf, size_t n)
{
	return (long)sw_job_follow_read(ctx, buf, n, -1);
}

static int fill_log(void *ctx, struct sw_buf *out)
{
	long n = sw_stream_read_into(out, LOG_READ_BYTES, read_log, ctx);
	return n > 0 ? 0 : n == 0 ? 1 : -1;
}

static void free_log(void *ctx)
{
	sw_job_follow_free(ctx);
}

static enum MHD_Result reply_log(struct sw_server *s, struct MHD_Connection *c, long id, unsigned *status)
{
	int follow = sw_request_flag(c, "follow");
	struct sw_job_follow *f = NULL;
	struct sw_stream_body body;

	if (sw_job_follow_open(s->jobs, id, follow, &f) < 0)
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no log for build %ld", id);
	body.fill = fill_log;
	body.done = free_log;
	body.ctx = f;
	return sw_stream_reply(c, MHD_HTTP_OK, "text/plain; charset=utf-8", follow ? 0 : -1, &body, status);
}

enum MHD_Result sw_api_builds_get(struct sw_server *s, struct MHD_Connection *c, const char *app, const char *id_s,
				  const char *tail, unsigned *status)
{
	json_t *b;
	long long parsed;
	long id;

	if (sw_request_id(id_s, &parsed) < 0)
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no such build: %.40s", id_s);
	id = (long)parsed;
	if (!(b = sw_api_builds_load(s->db, id, app)))
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no such build: %ld", id);
	if (!tail)
		return sw_reply_json(c, MHD_HTTP_OK, b, status);
	json_decref(b);
	if (strcmp(tail, "log"))
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
	return reply_log(s, c, id, status);
}

/* ---- cancel ---- */

enum MHD_Result sw_api_builds_cancel(struct sw_server *s, struct MHD_Connection *c, const char *app,
				    const char *id_s, const char *user, unsigned *status)
{
	sqlite3_stmt *st = NULL;
	struct sw_buf st_name = SW_BUF_INIT;
	long long id = 0;
	int found = 0;
	enum MHD_Result r;

	if (sw_request_id(id_s, &id) < 0)
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no such build: %.30s", id_s);
	if (sw_store_prepare(s->db, &st, "SELECT status FROM builds WHERE id = ?1 AND (?2 IS NULL OR app = ?2)") < 0)
		return sw_reply_db_error(c, status);
	sqlite3_bind_int64(st, 1, id);
	if (app)
		sqlite3_bind_text(st, 2, app, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		found = 1;
		sw_buf_adds(&st_name, (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	if (!found) {
		r = sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no such build: %lld", id);
		goto cleanup;
	}
	if (strcmp(st_name.ptr, "queued") && strcmp(st_name.ptr, "running")) {
		r = sw_reply_error(c, MHD_HTTP_CONFLICT, status, "build %lld is %s already: nothing to cancel", id,
					 st_name.ptr);
		goto cleanup;
	}
	if (sw_jobs_cancel(s->jobs, (long)id, user) < 0) {
		r = sw_reply_error(c, MHD_HTTP_CONFLICT, status, "%s", sw_error_last());
		goto cleanup;
	}
	sw_log(SW_LOG_INFO, app, (long)id, "cancel asked by %s", user);
	r = sw_reply_json(c, MHD_HTTP_ACCEPTED, json_pack("{s:I,s:s,s:s}", "build", (json_int_t)id, "status",
						       strcmp(st_name.ptr, "queued") ? "cancelling" : "cancelled",
						       "cancelled_by", user), status);
cleanup:
	sw_buf_release(&st_name);
	return r;
}
