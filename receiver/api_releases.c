#include <stdlib.h>
#include <string.h>

#include "receiver/api_releases.h"
#include "receiver/app.h"
#include "receiver/job.h"
#include "receiver/reply.h"
#include "receiver/review_apps.h"
#include "receiver/stream.h"
#include "releaser/releaser.h"
#include "releaser/release.h"
#include "releaser/review.h"
#include "releaser/strategy.h"
#include "common/error.h"
#include "common/json.h"
#include "common/lines.h"
#include "common/strvec.h"
#include "common/log.h"
#include "common/number.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define KEEPALIVE_MS 15000
#define LINE_MAX_BYTES (64 * 1024)

/* "/api/v1/apps/<app>/<what>[/<rest>]" → app and what (and rest, may be ""). */
static int split(const char *url, struct sw_buf *app, struct sw_buf *what, struct sw_buf *rest)
{
	const char *p = url + strlen("/api/v1/apps/"), *slash;
	if (strncmp(url, "/api/v1/apps/", 13))
		return -1;
	if (!(slash = strchr(p, '/')))
		return -1;
	sw_buf_add(app, p, (size_t)(slash - p));
	p = slash + 1;
	slash = strchr(p, '/');
	sw_buf_add(what, p, slash ? (size_t)(slash - p) : strlen(p));
	if (slash)
		sw_buf_adds(rest, slash + 1);
	return 0;
}

int sw_api_releases_match(const char *url)
{
	struct sw_buf app = SW_BUF_INIT, what = SW_BUF_INIT, rest = SW_BUF_INIT;
	int m = 0;
	if (!strcmp(url, "/api/v1/doctor"))
		return 1;
	if (split(url, &app, &what, &rest) == 0)
		m = !strcmp(what.ptr, "releases") || !strcmp(what.ptr, "config") || !strcmp(what.ptr, "scale") ||
		    !strcmp(what.ptr, "rollback") || !strcmp(what.ptr, "deploy-settings");
	sw_buf_release(&app);
	sw_buf_release(&what);
	sw_buf_release(&rest);
	return m;
}

/*
 * The config var names r changed against the release before it (names only, never
 * values): {"against": N|null, "added": [...], "removed": [...], "changed": [...]}.
 */
static json_t *config_changes(sqlite3 *db, const struct sw_release *r)
{
	json_t *out = json_pack("{s:n, s:[], s:[], s:[]}", "against", "added", "removed", "changed"), *v;
	struct sw_release prev;
	const char *k;

	sw_release_init(&prev);
	if (r->version > 1 && sw_release_load(db, r->app, r->version - 1, &prev) == 0) {
		json_object_set_new(out, "against", json_integer(prev.version));
		json_object_foreach(r->config, k, v) {
			json_t *was = json_object_get(prev.config, k);
			if (!was)
				json_array_append_new(json_object_get(out, "added"), json_string(k));
			else if (!json_equal(was, v))
				json_array_append_new(json_object_get(out, "changed"), json_string(k));
		}
		json_object_foreach(prev.config, k, v)
			if (!json_object_get(r->config, k))
				json_array_append_new(json_object_get(out, "removed"), json_string(k));
	} else {
		json_object_foreach(r->config, k, v)
			json_array_append_new(json_object_get(out, "added"), json_string(k));
	}
	sw_release_release(&prev);
	return out;
}

/* The reason shown for a live release whose commit never reached the repository. */
#define NOT_IN_REPO "commit not in the repository: push it again to tag it"

/*
 * A live release not tagged because its commit never reached the repository (its push's
 * connection went away, or the ref update failed, after it went live): its reason says
 * so, once its job is over (until then the ref may still land). A later push of the
 * commit brings it in, and the releaser tags it.
 */
static void flag_untagged(struct sw_server *s, const char *app, json_t *r)
{
	struct sw_buf repo = SW_BUF_INIT, job = SW_BUF_INIT;
	const char *commit = sw_json_str(r, "commit"), *st = sw_json_str(r, "status");
	long id = (long)sw_json_int(r, "job_id", 0);

	/* (a review app's commits are in its parent's repository, tagged review/<slug>/vN) */
	if (!st || strcmp(st, "live") || sw_json_bool(r, "tagged", 0) || !commit || sw_json_str(r, "reason") ||
	    !sw_app_name_valid(app) || sw_review_apps_is_review(s->db, app, NULL))
		return;
	if (id > 0 && sw_jobs_result(s->jobs, id, &job, NULL, NULL) == 0 &&
	    (!strcmp(job.ptr, "queued") || !strcmp(job.ptr, "running")))
		goto cleanup;
	sw_app_repo_path(&repo, s->cfg, app);
	if (!sw_app_has_commit(repo.ptr, commit, NULL, NULL))
		json_object_set_new(r, "reason", json_string(NOT_IN_REPO));
cleanup:
	sw_buf_release(&repo);
	sw_buf_release(&job);
}

/* o (a new reference), or a 500 with the error slot's line when it is NULL. */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, json_t *o, unsigned *status)
{
	if (!o)
		return sw_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
	return sw_reply_json(c, code, o, status);
}

/*
 * A command runs as a job (receiver/job.h); its answer follows the job's log, each line
 * as {"line": ...}, then the verdict from the job's record.
 */
struct stream {
	struct sw_jobs *jobs;
	long id;
	struct sw_job_follow *f;
	struct sw_lines lines;
	struct sw_buf *out;     /* while fill_command() runs: where lines go */
	int started;            /* {"job": id} went out */
	int stops_push;         /* a rollback that cancelled the app's push under way: it follows that job */
};

static int stream_line(void *ctx, const char *line, size_t len)
{
	struct stream *st = ctx;
	sw_reply_text_line(st->out, line, len);
	return 0;
}

/* The last line: {"status": "live"|"unchanged"|"failed", "version": N, "reason": ..., "job": id}. */
static void add_verdict(struct stream *st, struct sw_buf *out)
{
	struct sw_buf status = SW_BUF_INIT, reason = SW_BUF_INIT;
	int version = 0;

	if (sw_jobs_result(st->jobs, st->id, &status, &reason, &version) < 0) {
		sw_buf_reset(&reason);
		sw_buf_adds(&reason, sw_error_last());
	}
	if (st->stops_push && !strcmp(status.ptr, "cancelled"))   /* the live release serves on */
		sw_reply_json_line(out, json_pack("{s:s, s:I}", "status", "unchanged", "job", (json_int_t)st->id));
	else if (!strcmp(status.ptr, "succeeded") && version)
		sw_reply_json_line(out, json_pack("{s:s, s:i, s:I}", "status", "live", "version", version, "job",
						  (json_int_t)st->id));
	else if (!strcmp(status.ptr, "succeeded"))
		sw_reply_json_line(out, json_pack("{s:s, s:I}", "status", "unchanged", "job", (json_int_t)st->id));
	else
		sw_reply_json_line(out, json_pack("{s:s, s:i, s:s, s:I}", "status", "failed", "version", version, "reason",
						  reason.len ? reason.ptr : "slipwayd is stopping: the rollout resumes when it"
						  " starts again", "job", (json_int_t)st->id));
	sw_buf_release(&status);
	sw_buf_release(&reason);
}

static int fill_command(void *ctx, struct sw_buf *out)
{
	struct stream *st = ctx;
	char chunk[4096];
	ssize_t r;

	if (!st->started) {   /* clients that know it get the id first */
		st->started = 1;
		sw_reply_json_line(out, json_pack("{s:I}", "job", (json_int_t)st->id));
		return 0;
	}
	st->out = out;
	r = sw_job_follow_read(st->f, chunk, sizeof(chunk), KEEPALIVE_MS);
	if (r == SW_ETIMEOUT) {
		sw_buf_adds(out, "{}\n");
	} else if (r > 0) {
		sw_lines_feed(&st->lines, chunk, (size_t)r);
	} else {
		/* the job ended (or slipwayd stops, or the log cannot be read) */
		sw_lines_finish(&st->lines);
		add_verdict(st, out);
		return 1;
	}
	return 0;
}

static void stream_free(void *ctx)
{
	struct stream *st = ctx;
	sw_job_follow_free(st->f);
	sw_lines_release(&st->lines);
	free(st);
}

/*
 * GET /api/v1/apps/<app>/deploy-settings: {"app", "settings": {key: value}} (the app's
 * own, releaser/strategy.h); POST with {"set": ["strategy=canary", "bake=", ...]}
 * changes them (a bad one: 400 with one line, nothing changed) and answers the same.
 */
static enum MHD_Result deploy_settings(struct sw_server *s, struct MHD_Connection *c, const char *app,
				       const struct sw_buf *body, const char *user, unsigned *status)
{
	json_t *in = body && body->len ? json_loadb(body->ptr, body->len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	json_t *set = json_object_get(in, "set"), *v, *out;
	struct sw_strvec pairs = SW_STRVEC_INIT;
	enum MHD_Result r;
	size_t i;

	if (body && (!json_is_array(set) || !json_array_size(set) || json_array_size(set) > 20)) {
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "want {\"set\": [\"strategy=canary\", ...]}");
		goto cleanup;
	}
	json_array_foreach(set, i, v) {
		if (!json_is_string(v)) {
			r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "want {\"set\": [\"strategy=canary\", ...]}");
			goto cleanup;
		}
		sw_strvec_push(&pairs, json_string_value(v));
	}
	if (body && sw_strategy_settings_save(s->db, app, (const char *const *)pairs.v, pairs.nr) < 0) {
		r = sw_reply_error(c, sw_error_last_code() == SW_EINVAL ? MHD_HTTP_BAD_REQUEST
				   : MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
		goto cleanup;
	}
	if (body)
		sw_log(SW_LOG_INFO, app, 0, "deploy settings changed by %s", user);
	out = sw_strategy_settings_load(s->db, app);
	if (!out) {
		r = sw_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
		goto cleanup;
	}
	r = sw_reply_json(c, MHD_HTTP_OK, json_pack("{s:s, s:o}", "app", app, "settings", out), status);
cleanup:
	sw_strvec_clear(&pairs);
	json_decref(in);
	return r;
}

static enum MHD_Result run_command(struct sw_server *s, struct MHD_Connection *c, const char *app,
				   const char *command, const struct sw_buf *body, const char *user, unsigned *status)
{
	json_error_t err;
	json_t *req = body && body->len ? json_loadb(body->ptr, body->len, JSON_REJECT_DUPLICATES, &err) : json_object();
	enum MHD_Result r;

	if (!json_is_object(req)) {
		json_decref(req);
		return sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "want a JSON object");
	}
	json_object_set_new(req, "command", json_string(command));
	r = sw_api_releases_command(s, c, app, req, user, status);
	json_decref(req);
	return r;
}

enum MHD_Result sw_api_releases_command(struct sw_server *s, struct MHD_Connection *c, const char *app,
					const json_t *req, const char *user, unsigned *status)
{
	struct sw_stream_body body;
	struct stream *st;
	long id = 0, busy = 0;
	int stops_push = 0;

	/*
	 * `slipway rollback` (no version) while a job of app is under way — a push baking
	 * its blue/green or canary release — cancels it: the releaser gives the traffic back
	 * to the live release at once. The rollback follows that job.
	 */
	if (!strcmp(sw_json_str_or(req, "command", ""), "rollback") && !sw_json_int(req, "version", 0) &&
	    sw_jobs_app_busy(s->jobs, app, &busy) && busy > 0) {
		int cancelled = sw_jobs_cancel(s->jobs, busy, user);
		if (cancelled == 0 || cancelled == SW_EEXISTS) {
			id = busy;
			stops_push = 1;
		}
	}
	/* a job of app, cancelled and followed by its id like a build */
	if (!id)
		id = sw_jobs_start_command(s->jobs, app, req, user);
	if (id < 0)
		return sw_reply_error(c, id == SW_EUNAVAIL ? MHD_HTTP_SERVICE_UNAVAILABLE
				      : id == SW_EEXISTS ? MHD_HTTP_CONFLICT
				      : id == SW_EINVAL ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_INTERNAL_SERVER_ERROR,
				      status, "%s", sw_error_last());
	st = xcalloc(1, sizeof(*st));
	st->jobs = s->jobs;
	st->id = id;
	st->stops_push = stops_push;
	st->lines = (struct sw_lines)SW_LINES_INIT(stream_line, st, LINE_MAX_BYTES);
	if (sw_job_follow_open(s->jobs, id, SW_JOB_LOG, 1, 0, &st->f) < 0) {
		stream_free(st);
		return sw_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
	}
	body.fill = fill_command;
	body.done = stream_free;
	body.ctx = st;
	return sw_stream_reply(c, MHD_HTTP_OK, NULL, 0, &body, status);
}

enum MHD_Result sw_api_releases_handle(struct sw_server *s, struct MHD_Connection *c, const char *url,
				   const char *method, const struct sw_buf *body, const char *user, unsigned *status)
{
	struct sw_buf app = SW_BUF_INIT, what = SW_BUF_INIT, rest = SW_BUF_INIT;
	int get = !strcmp(method, "GET") || !strcmp(method, "HEAD"), post = !strcmp(method, "POST");
	enum MHD_Result r;

	if (!strcmp(url, "/api/v1/doctor")) {
		if (!get)
			return sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
		return reply(c, MHD_HTTP_OK, sw_releaser_doctor(), status);
	}
	split(url, &app, &what, &rest);
	/* review apps have longer names, and no repository of their own */
	if (!sw_app_ref_valid(app.ptr)) {
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status,
					 "invalid app name (want 3-30 of a-z, 0-9, '-', starting with a letter, not ending in '-')");
		goto cleanup;
	}
	if (!sw_app_exists(s->cfg, app.ptr) && !sw_review_apps_is_review(s->db, app.ptr, NULL)) {
		r = sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no such app: %s", app.ptr);
		goto cleanup;
	}
	if (!strcmp(what.ptr, "releases") && get && !rest.len) {
		json_t *list = sw_release_list_json(s->db, app.ptr, 100), *one;
		size_t i;
		sw_review_retire_json(s->db, app.ptr, list);   /* a destroyed review app's are retired */
		json_array_foreach(json_object_get(list, "releases"), i, one)
			flag_untagged(s, app.ptr, one);
		r = reply(c, MHD_HTTP_OK, list, status);
	} else if (!strcmp(what.ptr, "releases") && get && !strchr(rest.ptr, '/')) {
		long long n = 0;
		struct sw_release rel;
		if (sw_number_parse(rest.ptr[0] == 'v' ? rest.ptr + 1 : rest.ptr, 1, 1000000000, &n) < 0) {
			r = sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no such release: %.40s", rest.ptr);
			goto cleanup;
		}
		sw_release_init(&rel);
		if (sw_release_load(s->db, app.ptr, (int)n, &rel) == 0) {
			json_t *one = sw_release_to_json(&rel);
			json_object_set_new(one, "config_changes", config_changes(s->db, &rel));
			if (rel.job_id > 0 && sw_jobs_number(s->jobs, rel.job_id) > 0)
				json_object_set_new(one, "job_number", json_integer(sw_jobs_number(s->jobs, rel.job_id)));
			sw_review_retire_json(s->db, app.ptr, one);
			flag_untagged(s, app.ptr, one);
			r = reply(c, MHD_HTTP_OK, one, status);
		} else {
			r = sw_reply_error(c, sw_error_last_code() == SW_ENOTFOUND ? MHD_HTTP_NOT_FOUND
							: MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
		}
		sw_release_release(&rel);
	} else if (!strcmp(what.ptr, "deploy-settings") && (get || post) && !rest.len) {
		r = deploy_settings(s, c, app.ptr, post ? body : NULL, user, status);
	} else if (!strcmp(what.ptr, "config") && get && !rest.len) {
		r = reply(c, MHD_HTTP_OK, sw_release_config_json(s->db, app.ptr), status);
	} else if ((!strcmp(what.ptr, "config") || !strcmp(what.ptr, "scale") || !strcmp(what.ptr, "rollback")) &&
		   post && !rest.len) {
		r = run_command(s, c, app.ptr, what.ptr, body, user, status);
	} else if (get || post) {
		r = sw_reply_error(c, rest.len ? MHD_HTTP_NOT_FOUND : MHD_HTTP_METHOD_NOT_ALLOWED, status,
					 rest.len ? "not found" : "method not allowed");
	} else {
		r = sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
	}
cleanup:
	sw_buf_release(&app);
	sw_buf_release(&what);
	sw_buf_release(&rest);
	return r;
}
