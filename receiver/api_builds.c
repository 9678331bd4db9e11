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
#include "common/xalloc.h"
#include "common/banned.h"

#define LOG_READ_BYTES 16384
#define KEEPALIVE_MS 15000

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

/* "v3 live", "build failed: ...", "release v4 failed: ...", for people (CLI, dashboard). */
static json_t *summary(const char *kind, const char *status, const char *stage, const char *reason, int release,
		       const char *release_status)
{
	int command = kind && strcmp(kind, "build");
	const char *why = reason ? reason : "?";

	if (!status)
		return json_null();
	if (!strcmp(status, "queued") || !strcmp(status, "running"))
		return json_string(status);
	if (!strcmp(status, "cancelled"))
		return json_sprintf("%s", why);
	if (!strcmp(status, "succeeded") && release)
		return json_sprintf("v%d %s", release, release_status ? release_status : "live");
	if (!strcmp(status, "succeeded"))
		return json_string(command ? "nothing to change" : "built (no release)");
	/* failed: a restart during the release leaves the rollout to resume: say where it went */
	if (release && release_status && stage && !strcmp(stage, "release") &&
	    !strcmp(reason ? reason : "", SW_JOB_INTERRUPTED_RELEASE))
		return json_sprintf("release v%d interrupted by a restart; resumed: %s", release, release_status);
	if (stage && !strcmp(stage, "release") && release)
		return json_sprintf("release v%d %s: %s", release, release_status ? release_status : "failed", why);
	if (stage && !strcmp(stage, "release"))
		return json_sprintf("release failed: %s", why);
	if (stage && !strcmp(stage, "build"))
		return json_sprintf("build failed: %s", why);
	return json_sprintf("failed: %s", why);
}

json_t *sw_api_builds_row(sqlite3_stmt *st)
{
	const char *ref = (const char *)sqlite3_column_text(st, 2);
	const char *branch = ref ? sw_gitref_branch(ref) : NULL;
	const char *opts = (const char *)sqlite3_column_text(st, 10);
	json_t *o = json_object();
	json_t *options = opts ? json_loads(opts, 0, NULL) : NULL;
	int release = sqlite3_column_type(st, 18) == SQLITE_NULL ? 0 : sqlite3_column_int(st, 18);

	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	json_object_set_new(o, "number", json_integer(sqlite3_column_int64(st, 19)));
	json_object_set_new(o, "app", text_or_null(st, 1));
	json_object_set_new(o, "ref", text_or_null(st, 2));
	json_object_set_new(o, "branch", branch ? json_string(branch) : json_null());
	json_object_set_new(o, "commit", text_or_null(st, 3));
	json_object_set_new(o, "status", text_or_null(st, 4));
	json_object_set_new(o, "failed_stage", text_or_null(st, 20));
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
	 * the release it made (null: none) and where that release is now */
	json_object_set_new(o, "kind", text_or_null(st, 17));
	json_object_set_new(o, "release", release ? json_integer(release) : json_null());
	json_object_set_new(o, "release_status", release ? text_or_null(st, 21) : json_null());
	json_object_set_new(o, "summary", summary((const char *)sqlite3_column_text(st, 17),
						  (const char *)sqlite3_column_text(st, 4),
						  (const char *)sqlite3_column_text(st, 20),
						  (const char *)sqlite3_column_text(st, 5), release,
						  (const char *)sqlite3_column_text(st, 21)));
	return o;
}

json_t *sw_api_builds_load(sqlite3 *db, long n, const char *app)
{
	sqlite3_stmt *st = NULL;
	json_t *o = NULL;

	if (sw_store_prepare(db, &st, app ? "SELECT " SW_BUILD_COLUMNS " FROM builds WHERE app = ?2 AND number = ?1"
					  : "SELECT " SW_BUILD_COLUMNS " FROM builds WHERE id = ?1") < 0)
		return NULL;
	sqlite3_bind_int64(st, 1, n);
	if (app)
		sqlite3_bind_text(st, 2, app, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = sw_api_builds_row(st);
	else
		sw_error_code(SW_ENOTFOUND, "no such build: %ld", n);
	sqlite3_finalize(st);
	return o;
}

enum MHD_Result sw_api_builds_list(struct sw_server *s, struct MHD_Connection *c, const char *app, unsigned *status)
{
	const char *kind = sw_request_arg(c, "kind");
	sqlite3_stmt *st = NULL;
	json_t *list;
	const char *where;

	/* pushes and release commands apart, or every job */
	if (!kind || !strcmp(kind, "all"))
		where = "";
	else if (!strcmp(kind, "build"))
		where = " AND kind = 'build'";
	else if (!strcmp(kind, "release"))
		where = " AND kind <> 'build'";
	else
		return sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "kind: want build, release or all");
	{
		struct sw_buf q = SW_BUF_INIT;
		sw_buf_addf(&q, "SELECT " SW_BUILD_COLUMNS " FROM builds WHERE app = ?%s ORDER BY id DESC LIMIT 100", where);
		if (sw_store_prepare(s->db, &st, q.ptr) < 0) {
			sw_buf_release(&q);
			return sw_reply_db_error(c, status);
		}
		sw_buf_release(&q);
	}
	list = json_array();
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(list, sw_api_builds_row(st));
	sqlite3_finalize(st);
	return sw_reply_json(c, MHD_HTTP_OK, json_pack("{s:o}", "builds", list), status);
}

/* ---- a job's log, and its rollout records ---- */

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

/*
 * A job's file as lines: the log as server-sent events ("line"), its rollout records as
 * NDJSON or events ("rollout"); events end with "end" (the build as it ended).
 */
struct file_stream {
	sqlite3 *db;
	long id;
	struct sw_job_follow *f;
	enum sw_job_file what;
	int sse, follow;
	long long off;          /* bytes of the file consumed (event ids) */
	struct sw_buf pending;  /* a line not complete yet (bounded) */
	int skipping;           /* inside a line past the bound: dropped to its end */
};

static void emit_line(struct file_stream *fs, const char *line, size_t len, struct sw_buf *out)
{
	struct sw_buf data = SW_BUF_INIT, clean = SW_BUF_INIT;

	if (fs->what == SW_JOB_LOG) {
		char *text;
		json_t *o;
		sw_reply_utf8_clean(&clean, line, len);
		o = json_pack("{s:s}", "line", clean.ptr);
		text = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (text)
			sw_stream_sse_event(out, "line", fs->off, text);
		free(text);
	} else if (fs->sse) {
		sw_buf_add(&data, line, len);
		sw_stream_sse_event(out, "rollout", fs->off, data.ptr);
	} else {
		sw_buf_add(out, line, len);
		sw_buf_addch(out, '\n');
	}
	sw_buf_release(&data);
	sw_buf_release(&clean);
}

static void feed(struct file_stream *fs, const char *p, size_t n, struct sw_buf *out)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) : n;
		if (!fs->skipping && sw_buf_add(&fs->pending, p, take) < 0) {
			sw_buf_reset(&fs->pending);   /* over the bound: this line is dropped */
			fs->skipping = 1;
		}
		fs->off += (long long)take;
		if (!nl)
			return;
		fs->off++;
		if (!fs->skipping)
			emit_line(fs, fs->pending.ptr, fs->pending.len, out);
		sw_buf_reset(&fs->pending);
		fs->skipping = 0;
		p = nl + 1;
		n -= take + 1;
	}
}

/* The last bytes: for events, "end" with the job as it ended, so the page can say what failed. */
static int fill_end(struct file_stream *fs, struct sw_buf *out)
{
	json_t *b;
	char *text;

	if (!fs->sse)
		return 1;
	b = sw_api_builds_load(fs->db, fs->id, NULL);
	text = b ? json_dumps(b, JSON_COMPACT) : NULL;
	sw_stream_sse_event(out, "end", -1, text ? text : "{}");
	free(text);
	json_decref(b);
	return 1;
}

static int fill_file(void *ctx, struct sw_buf *out)
{
	struct file_stream *fs = ctx;
	char chunk[LOG_READ_BYTES];
	ssize_t r = sw_job_follow_read(fs->f, chunk, sizeof(chunk), fs->follow ? KEEPALIVE_MS : -1);

	if (r == SW_ETIMEOUT) {
		if (fs->sse)
			sw_stream_sse_keepalive(out);
		else
			sw_buf_adds(out, "{}\n");
		return 0;
	}
	if (r > 0) {
		feed(fs, chunk, (size_t)r, out);
		return 0;
	}
	if (r < 0)
		return -1;
	return fill_end(fs, out);
}

static void free_file(void *ctx)
{
	struct file_stream *fs = ctx;
	sw_job_follow_free(fs->f);
	sw_buf_release(&fs->pending);
	free(fs);
}

/* No rollout file (a job from before them): the end event only. */
static int fill_nothing(void *ctx, struct sw_buf *out)
{
	return fill_end(ctx, out);
}

static enum MHD_Result reply_file(struct sw_server *s, struct MHD_Connection *c, long id, enum sw_job_file what,
				  unsigned *status)
{
	int sse = sw_stream_wants_sse(c), follow = sse || sw_request_flag(c, "follow");
	struct sw_job_follow *f = NULL;
	struct sw_stream_body body;
	struct file_stream *fs;

	if (what == SW_JOB_LOG && !sse) {   /* the log as text, as it always was */
		if (sw_job_follow_open(s->jobs, id, SW_JOB_LOG, follow, 0, &f) < 0)
			return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no log for that build");
		body.fill = fill_log;
		body.done = free_log;
		body.ctx = f;
		return sw_stream_reply(c, MHD_HTTP_OK, "text/plain; charset=utf-8", follow ? 0 : -1, &body, status);
	}
	if (sw_job_follow_open(s->jobs, id, what, follow, sse ? sw_stream_sse_last_id(c) : 0, &f) < 0) {
		if (sw_error_last_code() != SW_ENOTFOUND || what == SW_JOB_LOG)
			return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "%s", sw_error_last());
		f = NULL;   /* a job from before rollout records: none, and its end */
	}
	fs = xcalloc(1, sizeof(*fs));
	fs->db = s->db;
	fs->id = id;
	fs->f = f;
	fs->what = what;
	fs->sse = sse;
	fs->follow = follow;
	fs->off = sse ? sw_stream_sse_last_id(c) : 0;
	sw_buf_init(&fs->pending, SW_JOB_RECORD_MAX);
	body.fill = f ? fill_file : fill_nothing;
	body.done = free_file;
	body.ctx = fs;
	return sw_stream_reply(c, MHD_HTTP_OK, sse ? SW_STREAM_SSE_TYPE : NULL, follow ? 0 : -1, &body, status);
}

enum MHD_Result sw_api_builds_get(struct sw_server *s, struct MHD_Connection *c, const char *app, const char *id_s,
				  const char *tail, unsigned *status)
{
	json_t *b;
	long long parsed;
	long id;

	if (sw_request_id(id_s, &parsed) < 0)
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no such build: %.40s", id_s);
	if (!(b = sw_api_builds_load(s->db, (long)parsed, app)))
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no such build: %s%lld", app ? "#" : "", parsed);
	id = (long)json_integer_value(json_object_get(b, "id"));
	if (!tail)
		return sw_reply_json(c, MHD_HTTP_OK, b, status);
	json_decref(b);
	if (!strcmp(tail, "log"))
		return reply_file(s, c, id, SW_JOB_LOG, status);
	if (!strcmp(tail, "rollout"))
		return reply_file(s, c, id, SW_JOB_ROLLOUT, status);
	return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
}

/* ---- cancel ---- */

enum MHD_Result sw_api_builds_cancel(struct sw_server *s, struct MHD_Connection *c, const char *app,
				    const char *id_s, const char *user, unsigned *status)
{
	sqlite3_stmt *st = NULL;
	struct sw_buf st_name = SW_BUF_INIT;
	long long n = 0, id = 0, number = 0;
	int found = 0;
	enum MHD_Result r;

	if (sw_request_id(id_s, &n) < 0)
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no such build: %.30s", id_s);
	/* under apps/<app>/ the app's number, else the server-wide id */
	if (sw_store_prepare(s->db, &st, app ? "SELECT status, id, number FROM builds WHERE number = ?1 AND app = ?2"
					     : "SELECT status, id, number FROM builds WHERE id = ?1") < 0)
		return sw_reply_db_error(c, status);
	sqlite3_bind_int64(st, 1, n);
	if (app)
		sqlite3_bind_text(st, 2, app, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		found = 1;
		sw_buf_adds(&st_name, (const char *)sqlite3_column_text(st, 0));
		id = sqlite3_column_int64(st, 1);
		number = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	if (!found) {
		r = sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no such build: %s%lld", app ? "#" : "", n);
		goto cleanup;
	}
	if (strcmp(st_name.ptr, "queued") && strcmp(st_name.ptr, "running")) {
		r = sw_reply_error(c, MHD_HTTP_CONFLICT, status, "build %lld is %s already: nothing to cancel", number,
					 st_name.ptr);
		goto cleanup;
	}
	if (sw_jobs_cancel(s->jobs, (long)id, user) < 0) {
		r = sw_reply_error(c, MHD_HTTP_CONFLICT, status, "%s", sw_error_last());
		goto cleanup;
	}
	sw_log(SW_LOG_INFO, app, (long)id, "cancel asked by %s", user);
	r = sw_reply_json(c, MHD_HTTP_ACCEPTED, json_pack("{s:I,s:I,s:s,s:s}", "build", (json_int_t)id, "number",
						       (json_int_t)number, "status",
						       strcmp(st_name.ptr, "queued") ? "cancelling" : "cancelled",
						       "cancelled_by", user), status);
cleanup:
	sw_buf_release(&st_name);
	return r;
}
