#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "receiver/api.h"
#include "receiver/releases.h"
#include "receiver/reviews.h"
#include "receiver/ops.h"
#include "receiver/db.h"
#include "receiver/app.h"
#include "receiver/auth.h"
#include "receiver/job.h"
#include "common/error.h"
#include "common/gitref.h"
#include "common/lines.h"
#include "common/log.h"
#include "common/store.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_SEGMENTS 6
#define HEARTBEAT_MS 15000
#define MAX_PUSH_OPTIONS 32
#define MAX_PUSH_OPTION_LEN 1024

/* ---- helpers -------------------------------------------------------------- */

void sw_api_utf8_clean(struct sw_buf *out, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len = 0, k;
		unsigned cp;

		if (c < 0x80) {
			sw_buf_addch(out, c);
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		}
		if (!len || i + len > n) {
			sw_buf_addch(out, '?');
			i++;
			continue;
		}
		for (k = 1; k < len; k++) {
			unsigned char cc = (unsigned char)s[i + k];
			if ((cc & 0xc0) != 0x80)
				break;
			cp = (cp << 6) | (cc & 0x3f);
		}
		if (k < len || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff)) {
			sw_buf_addch(out, '?');
			i++;
			continue;
		}
		sw_buf_add(out, s + i, len);
		i += len;
	}
}

json_t *sw_api_iso_time(sqlite3_stmt *st, int col)
{
	char out[32];
	struct tm tm;
	time_t t;

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	t = (time_t)sqlite3_column_double(st, col);
	gmtime_r(&t, &tm);
	strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(out);
}

static json_t *text_or_null(sqlite3_stmt *st, int col)
{
	const char *v = (const char *)sqlite3_column_text(st, col);
	struct sw_buf b = SW_BUF_INIT;
	json_t *j;

	if (!v)
		return json_null();
	sw_api_utf8_clean(&b, v, strlen(v));
	j = json_string(b.ptr);
	sw_buf_release(&b);
	return j;
}

#define BUILD_COLUMNS "id, app, ref, commit_sha, status, reason, image, digest, size, reused, options," \
	" created_at, started_at, finished_at, pushed_by, cancelled_by, detached, kind, release_version"

static json_t *build_json(sqlite3_stmt *st)
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
	json_object_set_new(o, "created_at", sw_api_iso_time(st, 11));
	json_object_set_new(o, "started_at", sw_api_iso_time(st, 12));
	json_object_set_new(o, "finished_at", sw_api_iso_time(st, 13));
	if (sqlite3_column_type(st, 12) != SQLITE_NULL && sqlite3_column_type(st, 13) != SQLITE_NULL)
		json_object_set_new(o, "duration", json_real(sqlite3_column_double(st, 13) -
							      sqlite3_column_double(st, 12)));
	else
		json_object_set_new(o, "duration", json_null());
	/* ops (issue 7) */
	json_object_set_new(o, "pushed_by", text_or_null(st, 14));
	json_object_set_new(o, "cancelled_by", text_or_null(st, 15));
	json_object_set_new(o, "detached", json_boolean(sqlite3_column_int(st, 16)));
	/* ops (issue 7): "build", or a release command's kind ("rollback", "config", "scale"),
	 * and the release it made (null: none) */
	json_object_set_new(o, "kind", text_or_null(st, 17));
	json_object_set_new(o, "release", sqlite3_column_type(st, 18) == SQLITE_NULL ? json_null()
				      : json_integer(sqlite3_column_int(st, 18)));
	return o;
}

/* One build as JSON, or NULL (SW_ENOTFOUND) when there is none with that id (and app). */
static json_t *load_build(sqlite3 *db, long id, const char *app)
{
	sqlite3_stmt *st = NULL;
	json_t *o = NULL;

	if (sw_store_prepare(db, &st, "SELECT " BUILD_COLUMNS " FROM builds WHERE id = ? AND (?2 IS NULL OR app = ?2)") < 0)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	if (app)
		sqlite3_bind_text(st, 2, app, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = build_json(st);
	else
		sw_error_code(SW_ENOTFOUND, "no such build: %ld", id);
	sqlite3_finalize(st);
	return o;
}

static enum MHD_Result db_failed(struct MHD_Connection *c, unsigned *status)
{
	sw_log_error("api: %s", sw_error_last());
	return sw_server_json_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status, "database error");
}

static int app_known(sqlite3 *db, const char *app)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (sw_store_prepare(db, &st, "SELECT 1 FROM apps WHERE name = ?") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	r = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return r;
}

static json_t *app_json(sqlite3 *db, sqlite3_stmt *app_row)
{
	sqlite3_stmt *st = NULL;
	json_t *o = json_object();
	json_t *last = json_null();
	const char *name = (const char *)sqlite3_column_text(app_row, 0);

	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "created_at", sw_api_iso_time(app_row, 1));
	if (sw_store_prepare(db, &st, "SELECT " BUILD_COLUMNS " FROM builds WHERE app = ? ORDER BY id DESC LIMIT 1") == 0) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW) {
			json_decref(last);
			last = build_json(st);
		}
		sqlite3_finalize(st);
	}
	json_object_set_new(o, "last_build", last);
	sw_reviews_app_json(db, name, o);   /* review apps (issue 8): "review": {...} or null */
	return o;
}

/* ---- log streams ---------------------------------------------------------- */

struct log_stream {
	struct sw_job_follow *f;
};

static ssize_t log_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct log_stream *ls = cls;
	ssize_t n = sw_job_follow_read(ls->f, buf, max, -1);

	(void)pos;
	if (n > 0)
		return n;
	return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void log_stream_free(void *cls)
{
	struct log_stream *ls = cls;
	sw_job_follow_free(ls->f);
	free(ls);
}

static enum MHD_Result reply_log(struct sw_server *s, struct MHD_Connection *c, long id, unsigned *status)
{
	const char *follow = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "follow");
	int want_follow = follow && (!strcmp(follow, "1") || !strcmp(follow, "true"));
	struct log_stream *ls = xcalloc(1, sizeof(*ls));
	struct MHD_Response *res;
	enum MHD_Result r;

	if (sw_job_follow_open(s->jobs, id, want_follow, &ls->f) < 0) {
		free(ls);
		return sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "no log for build %ld", id);
	}
	res = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, log_reader, ls, log_stream_free);
	if (!res) {
		log_stream_free(ls);
		return MHD_NO;
	}
	MHD_add_response_header(res, "Content-Type", "text/plain; charset=utf-8");
	MHD_add_response_header(res, "Cache-Control", "no-store");
	if (want_follow)
		MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, 0);
	r = MHD_queue_response(c, MHD_HTTP_OK, res);
	*status = MHD_HTTP_OK;
	MHD_destroy_response(res);
	return r;
}

/* ---- the hook's job stream ------------------------------------------------ */

struct job_stream {
	struct sw_server *srv;
	long id;
	struct sw_job_follow *f;
	struct sw_lines lines;
	struct sw_buf out;
	size_t out_off;
	int phase;   /* 0 head, 1 log lines, 2 verdict, 3 over */
	/* ops (issue 7): a line for the pusher at least every quiet_secs */
	double last_line_at;   /* when the last line went out */
	double quiet_since;    /* when the current silent phase started */
	struct sw_buf last;    /* the last line sent (what is being waited for) */
};

void sw_api_json_line(struct sw_buf *out, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text) {
		sw_buf_adds(out, text);
		sw_buf_addch(out, '\n');
		free(text);
	}
}

static int stream_line(void *ctx, const char *line, size_t len)
{
	struct job_stream *js = ctx;
	struct sw_buf clean = SW_BUF_INIT;

	sw_api_utf8_clean(&clean, line, len);
	sw_api_json_line(&js->out, json_pack("{s:s}", "line", clean.ptr));
	/* ops (issue 7): what is being done now is the last step or phase line */
	js->last_line_at = js->quiet_since = sw_db_now();
	if (!strncmp(clean.ptr, "Step ", 5) || !strncmp(clean.ptr, "----->", 6) || !strncmp(clean.ptr, "       ", 7)) {
		sw_buf_reset(&js->last);
		sw_buf_add(&js->last, clean.ptr, clean.len > 200 ? 200 : clean.len);
	}
	sw_buf_release(&clean);
	return 0;
}

/* ops (issue 7): "       ... still waiting for build 11 (45s)" after a silent stretch. */
static void quiet_line(struct job_stream *js, double now)
{
	struct sw_buf b = SW_BUF_INIT;
	const char *what = js->last.ptr;
	long secs = (long)(now - js->quiet_since);

	while (*what == ' ' || *what == '-' || *what == '>')
		what++;
	if (!*what)
		sw_buf_addf(&b, "       ... still working (%lds without output)", secs);
	else if (!strncmp(what, "waiting ", 8))
		sw_buf_addf(&b, "       ... still %s (%lds)", what, secs);
	else
		sw_buf_addf(&b, "       ... still working on: %s (%lds without output)", what, secs);
	sw_api_json_line(&js->out, json_pack("{s:s}", "line", b.ptr));
	js->last_line_at = now;
	sw_buf_release(&b);
}

static void stream_verdict(struct job_stream *js)
{
	json_t *b = load_build(js->srv->db, js->id, NULL);
	json_t *o = json_object();
	const char *st = b ? json_string_value(json_object_get(b, "status")) : NULL;

	json_object_set_new(o, "build", json_integer(js->id));
	if (st && !strcmp(st, "succeeded")) {
		json_object_set_new(o, "status", json_string("succeeded"));
		json_object_set(o, "image", json_object_get(b, "image"));
		json_object_set(o, "digest", json_object_get(b, "digest"));
		json_object_set(o, "reused", json_object_get(b, "reused"));
	} else {
		json_t *reason = b ? json_object_get(b, "reason") : NULL;
		json_object_set_new(o, "status", json_string("failed"));
		if (reason && json_is_string(reason))
			json_object_set(o, "reason", reason);
		else if (st && (!strcmp(st, "running") || !strcmp(st, "queued")))   /* its end: a full disk */
			json_object_set_new(o, "reason", json_sprintf("build %ld could not be recorded", js->id));
		else
			json_object_set_new(o, "reason", json_string("slipwayd stopped before the build finished"));
	}
	sw_api_json_line(&js->out, o);
	json_decref(b);
}

static ssize_t job_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct job_stream *js = cls;
	char tmp[16384];
	size_t n;

	(void)pos;
	while (js->out_off >= js->out.len) {
		ssize_t r;

		sw_buf_reset(&js->out);
		js->out_off = 0;
		switch (js->phase) {
		case 0:
			sw_api_json_line(&js->out, json_pack("{s:I,s:s}", "build", (json_int_t)js->id, "status", "queued"));
			js->phase = 1;
			break;
		case 1:
			r = sw_job_follow_read(js->f, tmp, sizeof(tmp),
					       js->srv->cfg->quiet_secs * 1000 < HEARTBEAT_MS ?
					       (int)js->srv->cfg->quiet_secs * 1000 : HEARTBEAT_MS);
			if (r > 0) {
				sw_lines_feed(&js->lines, tmp, (size_t)r);
			} else if (r == SW_ETIMEOUT && sw_db_now() - js->last_line_at >= (double)js->srv->cfg->quiet_secs) {
				quiet_line(js, sw_db_now());   /* ops (issue 7) */
			} else if (r == SW_ETIMEOUT) {
				sw_buf_adds(&js->out, "{}\n");
			} else {
				sw_lines_finish(&js->lines);
				js->phase = 2;
			}
			break;
		case 2:
			stream_verdict(js);
			js->phase = 3;
			break;
		default:
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
	}
	n = js->out.len - js->out_off;
	if (n > max)
		n = max;
	memcpy(buf, js->out.ptr + js->out_off, n);
	js->out_off += n;
	return (ssize_t)n;
}

static void job_stream_free(void *cls)
{
	struct job_stream *js = cls;

	if (js->phase < 3)
		sw_jobs_abandon(js->srv->jobs, js->id);
	sw_job_follow_free(js->f);
	sw_lines_release(&js->lines);
	sw_buf_release(&js->out);
	sw_buf_release(&js->last);
	free(js);
}

static const char *json_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* path is an existing directory inside dir (after resolving symlinks and dots). */
static int path_inside(const char *path, const char *dir)
{
	char rp[PATH_MAX], rd[PATH_MAX];
	size_t n;

	if (path[0] != '/' || !realpath(path, rp) || !realpath(dir, rd))
		return 0;
	n = strlen(rd);
	return !strncmp(rp, rd, n) && (rp[n] == '/' || rp[n] == '\0');
}

static int alternates_inside(const char *list, const char *dir)
{
	struct sw_buf one = SW_BUF_INIT;
	const char *p = list;
	int ok = 1, count = 0;

	while (ok && *p) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		sw_buf_reset(&one);
		sw_buf_add(&one, p, n);
		if (n && (++count > 16 || !path_inside(one.ptr, dir)))
			ok = 0;
		p += n;
		if (*p == ':')
			p++;
	}
	sw_buf_release(&one);
	return ok;
}

/* review apps (issue 8): lines for the pusher said before the job's own, as {"line": ...} */
static void add_said_lines(struct sw_buf *out, const struct sw_buf *say)
{
	const char *p = say->len ? say->ptr : NULL;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		struct sw_buf one = SW_BUF_INIT;
		sw_api_utf8_clean(&one, p, nl ? (size_t)(nl - p) : strlen(p));
		sw_api_json_line(out, json_pack("{s:s}", "line", one.ptr));
		sw_buf_release(&one);
		p = nl ? nl + 1 : NULL;
	}
}

static enum MHD_Result handle_job_request(struct sw_server *s, struct MHD_Connection *c,
					  const struct sw_buf *body, unsigned *status)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	struct sw_buf token = SW_BUF_INIT, repo = SW_BUF_INIT, objects = SW_BUF_INIT;
	struct sw_buf review_app = SW_BUF_INIT, say = SW_BUF_INIT;   /* review apps (issue 8) */
	struct sw_job_request req;
	json_t *in = NULL, *opts;
	char *opts_text = NULL;
	struct job_stream *js = NULL;
	struct MHD_Response *res;
	enum MHD_Result ret;
	size_t i;
	long id;

	memset(&req, 0, sizeof(req));
	if (!sw_server_peer_is_loopback(c)) {
		ret = sw_server_json_error(c, MHD_HTTP_FORBIDDEN, status, "job requests come from this machine only");
		goto cleanup;
	}
	if (!auth || sw_auth_parse_header(auth, &token) < 0 || token.len != SW_AUTH_TOKEN_LEN ||
	    !sw_auth_equal(token.ptr, s->hook_secret, SW_AUTH_TOKEN_LEN)) {
		ret = sw_server_unauthorized(c, 1, "bad hook secret", status);
		goto cleanup;
	}
	in = json_loadb(body->ptr, body->len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(in)) {
		ret = sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "want a JSON object");
		goto cleanup;
	}
	req.app = json_str(in, "app");
	req.ref = json_str(in, "ref");
	req.old_sha = json_str(in, "old");
	req.new_sha = json_str(in, "new");
	req.object_dir = json_str(in, "object_dir");
	req.alternate_dirs = json_str(in, "alternate_dirs");
	/* ops (issue 7): who pushed (the token's name), and `git push -o detach` */
	req.pushed_by = json_str(in, "pusher");
	if (req.pushed_by && (strlen(req.pushed_by) > 64 || !*req.pushed_by))
		req.pushed_by = NULL;
	if (!req.app || !sw_app_name_valid(req.app)) {
		ret = sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "invalid app name");
		goto cleanup;
	}
	if (!sw_app_exists(s->cfg, req.app)) {
		ret = sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "no such app: %s", req.app);
		goto cleanup;
	}
	/* review apps (issue 8): another branch deploys to its review app, or (deleted) destroys it */
	if (!req.ref || !sw_gitref_name_valid(req.ref) ||
	    (sw_gitref_classify(req.ref) != SW_GITREF_DEPLOY && sw_gitref_classify(req.ref) != SW_GITREF_BRANCH)) {
		ret = sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "builds are for branches (refs/heads/...)");
		goto cleanup;
	}
	if (!req.old_sha || !req.new_sha || !sw_gitref_is_sha(req.old_sha) || !sw_gitref_is_sha(req.new_sha) ||
	    (sw_gitref_is_null(req.new_sha) && sw_gitref_classify(req.ref) != SW_GITREF_BRANCH)) {
		ret = sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "bad object ids");
		goto cleanup;
	}
	sw_app_repo_path(&repo, s->cfg, req.app);
	sw_buf_addf(&objects, "%s/objects", repo.ptr);
	if ((req.object_dir && !path_inside(req.object_dir, objects.ptr)) ||
	    (req.alternate_dirs && !alternates_inside(req.alternate_dirs, repo.ptr))) {
		ret = sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "object directories outside the app's repository");
		goto cleanup;
	}
	opts = json_object_get(in, "push_options");
	if (opts && !json_is_array(opts)) {
		ret = sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "push_options: want an array of strings");
		goto cleanup;
	}
	if (json_array_size(opts) > MAX_PUSH_OPTIONS) {
		ret = sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "more than %d push options", MAX_PUSH_OPTIONS);
		goto cleanup;
	}
	for (i = 0; i < json_array_size(opts); i++) {
		const char *o = json_string_value(json_array_get(opts, i));
		if (!o || strlen(o) > MAX_PUSH_OPTION_LEN) {
			ret = sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "push_options: want strings of at most %d bytes",
						   MAX_PUSH_OPTION_LEN);
			goto cleanup;
		}
		if (!strcmp(o, "detach"))
			req.detach = 1;   /* ops (issue 7) */
	}
	if (opts) {
		opts_text = json_dumps(opts, JSON_COMPACT);
	} else {
		json_t *none = json_array();
		opts_text = json_dumps(none, JSON_COMPACT);
		json_decref(none);
	}
	req.options_json = opts_text ? opts_text : "[]";

	/* review apps (issue 8): from here on req names the review app (or it was answered) */
	if (sw_gitref_classify(req.ref) == SW_GITREF_BRANCH &&
	    sw_reviews_push(s, c, &req, &review_app, &say, &ret, status))
		goto cleanup;
	id = sw_jobs_submit(s->jobs, &req);
	if (id < 0) {
		unsigned code = sw_error_last_code() == SW_EUNAVAIL ? MHD_HTTP_SERVICE_UNAVAILABLE
								    : MHD_HTTP_INTERNAL_SERVER_ERROR;
		ret = sw_server_json_error(c, code, status, "%s", sw_error_last());
		goto cleanup;
	}
	/* ops (issue 7): a detached push is answered at once; the job goes on */
	if (req.detach) {
		struct sw_buf b = SW_BUF_INIT;
		add_said_lines(&b, &say);   /* review apps (issue 8) */
		sw_buf_addf(&b, "{\"build\":%ld,\"status\":\"queued\",\"detached\":true}\n", id);
		ret = sw_server_reply(c, MHD_HTTP_OK, "application/x-ndjson", b.ptr, b.len, status);
		sw_buf_release(&b);
		goto cleanup;
	}
	js = xcalloc(1, sizeof(*js));
	js->srv = s;
	js->id = id;
	js->last_line_at = js->quiet_since = sw_db_now();
	sw_buf_init(&js->last, 256);
	js->lines = (struct sw_lines)SW_LINES_INIT(stream_line, js, 8192);
	add_said_lines(&js->out, &say);   /* review apps (issue 8): sent first */
	if (sw_job_follow_open(s->jobs, id, 1, &js->f) < 0) {
		ret = sw_server_json_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
		job_stream_free(js);
		goto cleanup;
	}
	res = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, job_reader, js, job_stream_free);
	if (!res) {
		job_stream_free(js);
		ret = MHD_NO;
		goto cleanup;
	}
	MHD_add_response_header(res, "Content-Type", "application/x-ndjson");
	MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)(s->cfg->hook_timeout + 300));
	ret = MHD_queue_response(c, MHD_HTTP_OK, res);
	*status = MHD_HTTP_OK;
	MHD_destroy_response(res);
cleanup:
	free(opts_text);
	json_decref(in);
	sw_buf_release(&review_app);
	sw_buf_release(&say);
	sw_buf_release(&token);
	sw_buf_release(&repo);
	sw_buf_release(&objects);
	return ret;
}

/* ---- routing -------------------------------------------------------------- */

int sw_api_split(const char *path, char *store, size_t storelen, const char **seg, int maxseg)
{
	size_t len = strlen(path);
	int n = 0;
	char *p;

	if (len >= storelen)
		return -1;
	memcpy(store, path, len + 1);
	if (!*store)
		return 0;
	for (p = store;;) {
		char *slash = strchr(p, '/');
		if (n == maxseg)
			return -1;
		if (slash)
			*slash = '\0';
		if (!*p)
			return -1;
		seg[n++] = p;
		if (!slash)
			break;
		p = slash + 1;
	}
	return n;
}

int sw_api_parse_id(const char *s, long long *id)
{
	char *end = NULL;
	long long v;

	if (!s || !*s || strlen(s) > 15 || strspn(s, "0123456789") != strlen(s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v <= 0)
		return -1;
	*id = v;
	return 0;
}

enum MHD_Result sw_api_handle(struct sw_server *s, struct MHD_Connection *c, const char *url,
			      const char *method, const struct sw_buf *body, unsigned *status)
{
	char store[512];
	const char *seg[MAX_SEGMENTS];
	const char *app = NULL;
	struct sw_buf user = SW_BUF_INIT;
	int n, rc;
	long id = 0;
	enum MHD_Result ret;

	if (!strcmp(url, "/internal/v1/jobs")) {
		if (strcmp(method, "POST"))
			return sw_server_json_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
		return handle_job_request(s, c, body, status);
	}
	if (strncmp(url, "/api/v1/", 8))
		return sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
	if (!strcmp(url, "/api/v1/health")) {
		if (strcmp(method, "GET") && strcmp(method, "HEAD"))
			return sw_server_json_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
		return sw_server_reply(c, MHD_HTTP_OK, "application/json", "{\"ok\":true}\n", 12, status);
	}
	if ((rc = sw_server_authenticate(s, c, &user)) < 0) {
		sw_buf_release(&user);
		if (rc == SW_EAUTH)
			return sw_server_unauthorized(c, 1, sw_error_last(), status);
		return db_failed(c, status);
	}
	/* review apps (issue 8): reviews, their settings, sync-config (receiver/reviews.h) */
	if (sw_reviews_match(url, method)) {
		ret = sw_reviews_handle(s, c, url, method, body, user.ptr, status);
		sw_buf_release(&user);
		return ret;
	}
	/* releaser (issue 6): releases, config, scale, rollback, doctor (receiver/releases.h) */
	if (sw_releases_match(url)) {
		ret = sw_releases_handle(s, c, url, method, body, user.ptr, status);
		sw_buf_release(&user);
		return ret;
	}
	/* ops (issue 7): apps create/destroy, events, webhooks, tokens, cancel, ps/run/logs (receiver/ops.h) */
	if (sw_ops_match(url, method)) {
		ret = sw_ops_handle(s, c, url, method, body, user.ptr, status);
		sw_buf_release(&user);
		return ret;
	}
	sw_buf_release(&user);
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return sw_server_json_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
	n = sw_api_split(url + 8, store, sizeof(store), seg, MAX_SEGMENTS);
	if (n <= 0)
		return sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "not found");

	if (!strcmp(seg[0], "apps") && n == 1) {
		sqlite3_stmt *st = NULL;
		json_t *list = json_array();
		/* review apps (issue 8): destroyed ones are history, not apps */
		if (sw_store_prepare(s->db, &st, "SELECT name, created_at FROM apps WHERE name NOT IN"
				     " (SELECT app FROM reviews WHERE status = 'destroyed') ORDER BY name") < 0) {
			json_decref(list);
			return db_failed(c, status);
		}
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(list, app_json(s->db, st));
		sqlite3_finalize(st);
		return sw_server_reply_json(c, MHD_HTTP_OK, json_pack("{s:o}", "apps", list), status);
	}
	if (!strcmp(seg[0], "apps")) {
		app = seg[1];
		if (!sw_app_ref_valid(app))   /* review apps (issue 8): their longer names */
			return sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status,
						    "invalid app name (want 3-30 of a-z, 0-9, '-', starting with a letter)");
		rc = app_known(s->db, app);
		if (rc < 0)
			return db_failed(c, status);
		if (!rc)
			return sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "no such app: %s", app);
		if (n == 2) {
			sqlite3_stmt *st = NULL;
			json_t *o = NULL;
			if (sw_store_prepare(s->db, &st, "SELECT name, created_at FROM apps WHERE name = ?") < 0)
				return db_failed(c, status);
			sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(st) == SQLITE_ROW)
				o = app_json(s->db, st);
			sqlite3_finalize(st);
			if (!o)
				return sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "no such app: %s", app);
			return sw_server_reply_json(c, MHD_HTTP_OK, o, status);
		}
		if (strcmp(seg[2], "builds"))
			return sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
		if (n == 3) {
			sqlite3_stmt *st = NULL;
			json_t *list = json_array();
			if (sw_store_prepare(s->db, &st, "SELECT " BUILD_COLUMNS " FROM builds WHERE app = ?"
					     " ORDER BY id DESC LIMIT " "100") < 0) {
				json_decref(list);
				return db_failed(c, status);
			}
			sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
			while (sqlite3_step(st) == SQLITE_ROW)
				json_array_append_new(list, build_json(st));
			sqlite3_finalize(st);
			return sw_server_reply_json(c, MHD_HTTP_OK, json_pack("{s:o}", "builds", list), status);
		}
		seg[0] = "builds";
		seg[1] = seg[3];
		if (n == 5)
			seg[2] = seg[4];
		n -= 2;
	}
	if (!strcmp(seg[0], "builds") && (n == 2 || n == 3)) {
		json_t *b;
		long long parsed;
		if (sw_api_parse_id(seg[1], &parsed) < 0)
			return sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "no such build: %.40s", seg[1]);
		id = (long)parsed;
		b = load_build(s->db, id, app);
		if (!b)
			return sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "no such build: %ld", id);
		if (n == 2)
			return sw_server_reply_json(c, MHD_HTTP_OK, b, status);
		json_decref(b);
		if (strcmp(seg[2], "log"))
			return sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
		ret = reply_log(s, c, id, status);
		return ret;
	}
	return sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
}
