#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "receiver/hook_jobs.h"
#include "receiver/api_builds.h"
#include "receiver/app.h"
#include "receiver/auth.h"
#include "receiver/roles.h"
#include "receiver/users.h"
#include "receiver/db.h"
#include "receiver/job.h"
#include "receiver/reply.h"
#include "receiver/request.h"
#include "receiver/review_apps.h"
#include "receiver/stream.h"
#include "common/error.h"
#include "common/gitref.h"
#include "common/json.h"
#include "common/lines.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define HEARTBEAT_MS 15000
#define MAX_PUSH_OPTIONS 32
#define MAX_PUSH_OPTION_LEN 1024
#define READ_BYTES 16384

/* ---- the job's stream ---- */

struct job_stream {
	struct sw_server *srv;
	long id;
	long number;           /* the app's number of the job (what the pusher sees) */
	struct sw_job_follow *f;
	struct sw_lines lines;
	struct sw_buf say;     /* lines said before the job's own (a review app's), one a line */
	struct sw_buf *out;    /* while fill_job() runs: where lines go */
	int phase;             /* 0 head, 1 log lines, 2 verdict, 3 over */
	/* a line for the pusher at least every quiet_secs */
	double last_line_at;   /* when the last line went out */
	double quiet_since;    /* when the current silent phase started */
	struct sw_buf last;    /* the last line sent (what is being waited for) */
	long long at;          /* the log's byte offset after the last whole line sent */
};

static int stream_line(void *ctx, const char *line, size_t len)
{
	struct job_stream *js = ctx;
	struct sw_buf clean = SW_BUF_INIT;

	sw_reply_utf8_clean(&clean, line, len);
	/* "at": where a hook that lost us picks the log up again */
	js->at += (long long)len + 1;
	sw_reply_json_line(js->out, json_pack("{s:s,s:I}", "line", clean.ptr, "at", (json_int_t)js->at));
	/* what is being done now is the last step or phase line */
	js->last_line_at = js->quiet_since = sw_time_now();
	if (!strncmp(clean.ptr, "Step ", 5) || !strncmp(clean.ptr, "----->", 6) || !strncmp(clean.ptr, "       ", 7)) {
		sw_buf_reset(&js->last);
		sw_buf_add(&js->last, clean.ptr, clean.len > 200 ? 200 : clean.len);
	}
	sw_buf_release(&clean);
	return 0;
}

/* Each line of say as {"line": ...}. */
static void add_said_lines(struct sw_buf *out, const struct sw_buf *say)
{
	const char *p = say->len ? say->ptr : NULL;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		sw_reply_text_line(out, p, nl ? (size_t)(nl - p) : strlen(p));
		p = nl ? nl + 1 : NULL;
	}
}

/* "       ... still waiting for build 11 (45s)" after a silent stretch. */
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
	sw_reply_json_line(js->out, json_pack("{s:s}", "line", b.ptr));
	js->last_line_at = now;
	sw_buf_release(&b);
}

static void stream_verdict(struct job_stream *js)
{
	json_t *b = sw_api_builds_load(js->srv->db, js->id, NULL);
	json_t *o = json_object();
	const char *st = b ? sw_json_str(b, "status") : NULL;

	json_object_set_new(o, "build", json_integer(js->id));
	json_object_set_new(o, "number", json_integer(js->number));
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
	sw_reply_json_line(js->out, o);
	json_decref(b);
}

/* 1 while the job's record says queued or running. */
static int job_unfinished(const struct job_stream *js)
{
	struct sw_buf st = SW_BUF_INIT;
	int r = sw_jobs_result(js->srv->jobs, js->id, &st, NULL, NULL) == 0 &&
		(!strcmp(st.ptr, "queued") || !strcmp(st.ptr, "running"));

	sw_buf_release(&st);
	return r;
}

static int fill_job(void *ctx, struct sw_buf *out)
{
	struct job_stream *js = ctx;
	long quiet_ms = js->srv->cfg->quiet_secs * 1000;
	char tmp[READ_BYTES];
	ssize_t r;

	js->out = out;
	switch (js->phase) {
	case 0:
		add_said_lines(out, &js->say);
		sw_reply_json_line(out, json_pack("{s:I,s:I,s:s}", "build", (json_int_t)js->id, "number",
						  (json_int_t)js->number, "status", "queued"));
		js->phase = 1;
		return 0;
	case 1:
		r = sw_job_follow_read(js->f, tmp, sizeof(tmp), quiet_ms < HEARTBEAT_MS ? (int)quiet_ms : HEARTBEAT_MS);
		if (r > 0) {
			sw_lines_feed(&js->lines, tmp, (size_t)r);
		} else if (r == SW_ETIMEOUT && sw_time_now() - js->last_line_at >= (double)js->srv->cfg->quiet_secs) {
			quiet_line(js, sw_time_now());
		} else if (r == SW_ETIMEOUT) {
			sw_buf_adds(out, "{}\n");
		} else {
			sw_lines_finish(&js->lines);
			js->phase = 2;
		}
		return 0;
	default:
		/* slipwayd stopping with the job unfinished: no verdict, the hook asks the next one */
		if (!sw_jobs_stopping(js->srv->jobs) || !job_unfinished(js))
			stream_verdict(js);
		js->phase = 3;
		return 1;
	}
}

/* The hook hung up before its job started: the job is dropped. */
static void job_stream_free(void *ctx)
{
	struct job_stream *js = ctx;

	if (js->phase < 3)
		sw_jobs_abandon(js->srv->jobs, js->id);
	sw_job_follow_free(js->f);
	sw_lines_release(&js->lines);
	sw_buf_release(&js->say);
	sw_buf_release(&js->last);
	free(js);
}

/* Follow job id for the hook from byte from of its log, after the lines in say. */
static enum MHD_Result follow_job(struct sw_server *s, struct MHD_Connection *c, long id, long long from,
				  struct sw_buf *say, unsigned *status)
{
	struct job_stream *js = xcalloc(1, sizeof(*js));
	struct sw_stream_body body = { fill_job, job_stream_free, js };

	js->srv = s;
	js->id = id;
	js->number = sw_jobs_number(s->jobs, id);
	js->last_line_at = js->quiet_since = sw_time_now();
	sw_buf_init(&js->last, 256);
	js->lines = (struct sw_lines)SW_LINES_INIT(stream_line, js, 8192);
	js->say = *say;   /* taken */
	js->at = from;
	sw_buf_init(say, 0);
	if (sw_job_follow_open(s->jobs, id, SW_JOB_LOG, 1, from, &js->f) < 0) {
		enum MHD_Result r = sw_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
		job_stream_free(js);
		return r;
	}
	return sw_stream_reply(c, MHD_HTTP_OK, NULL, (int)(s->cfg->hook_timeout + 300), &body, status);
}

/* ---- the request ---- */

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

static unsigned refuse(unsigned http, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A refusal of the request: its HTTP status, the line in the error slot. */
static unsigned refuse(unsigned http, const char *fmt, ...)
{
	struct sw_buf msg = SW_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sw_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	sw_error_code(SW_EINVAL, "%s", msg.ptr);
	sw_buf_release(&msg);
	return http;
}

/* The push options: "detach" noted in req, the list as JSON text into *text (the caller frees). */
static unsigned read_options(const json_t *in, struct sw_job_request *req, char **text)
{
	json_t *opts = json_object_get(in, "push_options");
	size_t i;

	if (opts && !json_is_array(opts))
		return refuse(MHD_HTTP_BAD_REQUEST, "push_options: want an array of strings");
	if (json_array_size(opts) > MAX_PUSH_OPTIONS)
		return refuse(MHD_HTTP_BAD_REQUEST, "more than %d push options", MAX_PUSH_OPTIONS);
	for (i = 0; i < json_array_size(opts); i++) {
		const char *o = json_string_value(json_array_get(opts, i));
		if (!o || strlen(o) > MAX_PUSH_OPTION_LEN)
			return refuse(MHD_HTTP_BAD_REQUEST, "push_options: want strings of at most %d bytes",
				      MAX_PUSH_OPTION_LEN);
		if (!strcmp(o, "detach"))
			req->detach = 1;
	}
	if (opts) {
		*text = json_dumps(opts, JSON_COMPACT);
	} else {
		json_t *none = json_array();
		*text = json_dumps(none, JSON_COMPACT);
		json_decref(none);
	}
	req->options_json = *text ? *text : "[]";
	return 0;
}

/*
 * A hook that lost slipwayd (a restart) and asks again: {"build": <id>, "at": <offset>}
 * beside its request. 0 when it asks afresh, 1 with *id and *from when it resumes a job
 * of this push (the same app and commit), or the HTTP status of a refusal.
 */
static unsigned read_resume(struct sw_server *s, const json_t *in, const struct sw_job_request *req, long *id,
			    long long *from)
{
	json_t *b = json_object_get(in, "build"), *at = json_object_get(in, "at"), *row;
	const char *app, *commit;
	unsigned ret = 1;

	if (!b)
		return 0;
	if (!json_is_integer(b) || json_integer_value(b) <= 0 || (at && (!json_is_integer(at) || json_integer_value(at) < 0)))
		return refuse(MHD_HTTP_BAD_REQUEST, "build: want a job id; at: want a byte offset");
	*id = (long)json_integer_value(b);
	*from = at ? (long long)json_integer_value(at) : 0;
	row = sw_api_builds_load(s->db, *id, NULL);
	app = row ? sw_json_str(row, "app") : NULL;
	commit = row ? sw_json_str(row, "commit") : NULL;
	/* a branch's job is its review app's */
	if (!app || !commit || strcmp(commit, req->new_sha) ||
	    (strcmp(app, req->app) && sw_gitref_classify(req->ref) != SW_GITREF_BRANCH))
		ret = refuse(MHD_HTTP_NOT_FOUND, "no build %ld of %.7s in %s", *id, req->new_sha, req->app);
	json_decref(row);
	return ret;
}

/*
 * The job the hook asks for, from in (borrowed by req): 0, or the HTTP status of a
 * refusal with its line in the error slot. *options is the caller's to free.
 */
static unsigned read_request(struct sw_server *s, const json_t *in, struct sw_job_request *req, char **options)
{
	struct sw_buf repo = SW_BUF_INIT, objects = SW_BUF_INIT;
	unsigned ret = 0;

	req->app = sw_json_str(in, "app");
	req->ref = sw_json_str(in, "ref");
	req->old_sha = sw_json_str(in, "old");
	req->new_sha = sw_json_str(in, "new");
	req->object_dir = sw_json_str(in, "object_dir");
	req->alternate_dirs = sw_json_str(in, "alternate_dirs");
	req->pushed_by = sw_json_str(in, "pusher");   /* the actor: "alice (token ci)" */
	if (req->pushed_by && (strlen(req->pushed_by) >= SW_ACTOR_MAX || !*req->pushed_by))
		req->pushed_by = NULL;
	if (!req->app || !sw_app_name_valid(req->app))
		return refuse(MHD_HTTP_BAD_REQUEST, "invalid app name");
	if (!sw_app_exists(s->cfg, req->app))
		return refuse(MHD_HTTP_NOT_FOUND, "no such app: %s", req->app);
	/* a branch other than main/master deploys to its review app, or (deleted) destroys it */
	if (!req->ref || !sw_gitref_name_valid(req->ref) ||
	    (sw_gitref_classify(req->ref) != SW_GITREF_DEPLOY && sw_gitref_classify(req->ref) != SW_GITREF_BRANCH))
		return refuse(MHD_HTTP_BAD_REQUEST, "builds are for branches (refs/heads/...)");
	if (!req->old_sha || !req->new_sha || !sw_gitref_is_sha(req->old_sha) || !sw_gitref_is_sha(req->new_sha) ||
	    (sw_gitref_is_null(req->new_sha) && sw_gitref_classify(req->ref) != SW_GITREF_BRANCH))
		return refuse(MHD_HTTP_BAD_REQUEST, "bad object ids");
	sw_app_repo_path(&repo, s->cfg, req->app);
	sw_buf_addf(&objects, "%s/objects", repo.ptr);
	if ((req->object_dir && !path_inside(req->object_dir, objects.ptr)) ||
	    (req->alternate_dirs && !alternates_inside(req->alternate_dirs, repo.ptr)))
		ret = refuse(MHD_HTTP_BAD_REQUEST, "object directories outside the app's repository");
	else
		ret = read_options(in, req, options);
	sw_buf_release(&repo);
	sw_buf_release(&objects);
	return ret;
}

void sw_hook_jobs_env(struct sw_server *s, const char *app, const struct sw_principal *p, struct sw_strvec *env)
{
	const struct sw_config *cfg = s->cfg;

	sw_strvec_pushf(env, "REMOTE_USER=%s", p->actor);
	/* who pushes, for the hook's job request (checked again there) */
	sw_strvec_pushf(env, "SLIPWAY_PUSHER_USER=%s", p->user);
	sw_strvec_pushf(env, "SLIPWAY_PUSHER_TOKEN=%lld", p->token_id);
	/* git itself: no system or user config, the push size bound always current */
	sw_strvec_push(env, "GIT_CONFIG_NOSYSTEM=1");
	sw_strvec_pushf(env, "HOME=%s", cfg->home);
	sw_strvec_push(env, "GIT_CONFIG_COUNT=1");
	sw_strvec_push(env, "GIT_CONFIG_KEY_0=receive.maxInputSize");
	sw_strvec_pushf(env, "GIT_CONFIG_VALUE_0=%s", cfg->max_push_size);
	/* for slipway-hook (git passes its environment down to hooks) */
	sw_strvec_pushf(env, "SLIPWAY_URL=%s", s->self_url);
	sw_strvec_pushf(env, "SLIPWAY_HOOK_SECRET=%s", s->hook_secret);
	sw_strvec_pushf(env, "SLIPWAY_APP=%s", app);
	sw_strvec_pushf(env, "SLIPWAY_HOOK_TIMEOUT=%ld", cfg->hook_timeout);
}

/*
 * The pusher named in the request ("user", "token": its id, 0 for an SSH key) acts
 * again, as they are now, and must have deploy on the app: 0, or the status of the
 * refusal with its line in the error slot.
 */
static unsigned check_pusher(struct sw_server *s, const json_t *in, const char *app)
{
	const char *user = sw_json_str(in, "user");
	json_int_t token = json_integer_value(json_object_get(in, "token"));
	struct sw_principal p;
	struct sw_buf why = SW_BUF_INIT;
	int rc;

	if (!user || !sw_user_name_valid(user))
		return refuse(MHD_HTTP_FORBIDDEN, "forbidden: a push without a user");
	rc = token > 0 ? sw_auth_principal(s->db, (long long)token, &p) : sw_users_principal(s->db, user, &p);
	if (rc == 0 && strcmp(p.user, user))
		rc = sw_error_code(SW_EAUTH, "token of another user");
	if (rc < 0)
		return rc == SW_EAUTH ? refuse(MHD_HTTP_FORBIDDEN, "forbidden: %s", sw_error_last())
				      : refuse(MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", sw_error_last());
	rc = sw_roles_check(s->db, &p, app, SW_ROLE_DEPLOY, &why);
	if (rc <= 0) {
		unsigned code = rc < 0 ? refuse(MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", sw_error_last())
				       : refuse(MHD_HTTP_FORBIDDEN, "forbidden: %s", why.ptr);
		sw_buf_release(&why);
		return code;
	}
	sw_buf_release(&why);
	return 0;
}

enum MHD_Result sw_hook_jobs_handle(struct sw_server *s, struct MHD_Connection *c, const struct sw_buf *body,
				    unsigned *status)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	struct sw_buf token = SW_BUF_INIT, review_app = SW_BUF_INIT, say = SW_BUF_INIT;
	struct sw_job_request req;
	json_t *in = NULL;
	char *options = NULL;
	enum MHD_Result ret;
	unsigned refused;
	long id = 0;
	long long from = 0;

	memset(&req, 0, sizeof(req));
	if (!sw_request_from_loopback(c)) {
		ret = sw_reply_error(c, MHD_HTTP_FORBIDDEN, status, "job requests come from this machine only");
		goto cleanup;
	}
	if (!auth || sw_auth_parse_header(auth, &token) < 0 || token.len != SW_AUTH_TOKEN_LEN ||
	    !sw_auth_equal(token.ptr, s->hook_secret, SW_AUTH_TOKEN_LEN)) {
		ret = sw_reply_unauthorized(c, 1, "bad hook secret", status);
		goto cleanup;
	}
	in = json_loadb(body->ptr, body->len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(in)) {
		ret = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "want a JSON object");
		goto cleanup;
	}
	if ((refused = read_request(s, in, &req, &options)) || (refused = check_pusher(s, in, req.app))) {
		ret = sw_reply_error(c, refused, status, "%s", sw_error_last());
		goto cleanup;
	}
	if ((refused = read_resume(s, in, &req, &id, &from)) == 1) {
		ret = follow_job(s, c, id, from, &say, status);
		goto cleanup;
	}
	if (refused) {
		ret = sw_reply_error(c, refused, status, "%s", sw_error_last());
		goto cleanup;
	}
	/* from here on req names the review app of a branch (or it was answered) */
	if (sw_gitref_classify(req.ref) == SW_GITREF_BRANCH &&
	    sw_review_apps_push(s, c, &req, &review_app, &say, &ret, status))
		goto cleanup;
	id = sw_jobs_submit(s->jobs, &req);
	if (id < 0) {
		unsigned code = sw_error_last_code() == SW_EUNAVAIL ? MHD_HTTP_SERVICE_UNAVAILABLE
								    : MHD_HTTP_INTERNAL_SERVER_ERROR;
		ret = sw_reply_error(c, code, status, "%s", sw_error_last());
		goto cleanup;
	}
	if (req.detach) {   /* a detached push is answered at once; the job goes on */
		struct sw_buf b = SW_BUF_INIT;
		add_said_lines(&b, &say);
		sw_buf_addf(&b, "{\"build\":%ld,\"number\":%ld,\"status\":\"queued\",\"detached\":true}\n", id,
			    sw_jobs_number(s->jobs, id));
		ret = sw_reply(c, MHD_HTTP_OK, "application/x-ndjson", b.ptr, b.len, status);
		sw_buf_release(&b);
		goto cleanup;
	}
	ret = follow_job(s, c, id, 0, &say, status);
cleanup:
	free(options);
	json_decref(in);
	sw_buf_release(&review_app);
	sw_buf_release(&say);
	sw_buf_release(&token);
	return ret;
}
