#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "receiver/ops.h"
#include "receiver/api.h"
#include "receiver/app.h"
#include "receiver/api_logs.h"
#include "receiver/api_tasks.h"
#include "receiver/reviews.h"
#include "releaser/releaser.h"
#include "receiver/auth.h"
#include "receiver/db.h"
#include "receiver/job.h"
#include "receiver/webhook.h"
#include "common/error.h"
#include "common/event.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/store.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_SEGMENTS 7
#define KEEPALIVE_MS 15000
#define TOKEN_NAME_CHARS "abcdefghijklmnopqrstuvwxyz0123456789-_."

/* ---- small helpers ------------------------------------------------------------- */

static enum MHD_Result db_failed(struct MHD_Connection *c, unsigned *status)
{
	sw_log_error("api: %s", sw_error_last());
	return sw_server_json_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status, "database error");
}

/* Split "a/b/c" (after /api/v1/) into segments copied into store; -1 on empty parts. */
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

static const char *arg(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

static int arg_true(struct MHD_Connection *c, const char *name)
{
	const char *v = arg(c, name);
	return v && (!strcmp(v, "1") || !strcmp(v, "true"));
}

/* The request body as a JSON object; NULL (and a 400 queued) otherwise. */
static json_t *body_object(struct MHD_Connection *c, const struct sw_buf *body, enum MHD_Result *r, unsigned *status)
{
	json_t *in = body->len ? json_loadb(body->ptr, body->len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (!json_is_object(in)) {
		json_decref(in);
		*r = sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "want a JSON object as the body");
		return NULL;
	}
	return in;
}

/* ---- match ------------------------------------------------------------------------ */

int sw_ops_match(const char *url, const char *method)
{
	char store[512];
	const char *seg[MAX_SEGMENTS];
	int n;

	if (strncmp(url, "/api/v1/", 8))
		return 0;
	n = sw_api_split(url + 8, store, sizeof(store), seg, MAX_SEGMENTS);
	if (n <= 0)
		return 0;
	if (!strcmp(seg[0], "tokens"))
		return n <= 2;
	if (!strcmp(seg[0], "builds"))
		return n == 3 && !strcmp(seg[2], "cancel");
	if (strcmp(seg[0], "apps"))
		return 0;
	if (n == 1)
		return !strcmp(method, "POST");
	if (n == 2)
		return !strcmp(method, "DELETE");
	if (!strcmp(seg[2], "events") || !strcmp(seg[2], "webhooks"))
		return 1;
	if (n == 3 && (!strcmp(seg[2], "ps") || !strcmp(seg[2], "run") || !strcmp(seg[2], "logs")))
		return 1;
	if (!strcmp(seg[2], "builds") && n == 5 && !strcmp(seg[4], "cancel"))
		return 1;
	return 0;
}

/* ---- apps ------------------------------------------------------------------------- */

static enum MHD_Result app_create(struct sw_server *s, struct MHD_Connection *c, const struct sw_buf *body,
				  const char *user, unsigned *status)
{
	enum MHD_Result r = MHD_NO;
	json_t *in = body_object(c, body, &r, status), *o;
	const char *name;
	int created = 0, known;

	if (!in)
		return r;
	name = json_string_value(json_object_get(in, "name"));
	if (!name) {
		r = sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "want {\"name\": \"APP\"}");
		goto cleanup;
	}
	if (!sw_app_name_valid(name)) {
		r = sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status,
					 "invalid app name (want 3-30 of a-z, 0-9, '-', starting with a letter)");
		goto cleanup;
	}
	known = app_known(s->db, name);
	if (known < 0) {
		r = db_failed(c, status);
		goto cleanup;
	}
	if (known && sw_app_exists(s->cfg, name)) {
		r = sw_server_json_error(c, MHD_HTTP_CONFLICT, status, "%s exists already", name);
		goto cleanup;
	}
	if (sw_app_ensure(s->cfg, s->db, name, &created) < 0) {
		r = sw_server_json_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status, "cannot create %s: %s", name,
					 sw_error_last());
		goto cleanup;
	}
	sw_event_emit(s->db, name, "app.created", 0, 0, user, "app %s created by %s", name, user);
	{
		struct sw_buf u = SW_BUF_INIT;
		sw_buf_addf(&u, "%s/%s.git", s->self_url, name);
		o = json_pack("{s:s,s:s,s:s}", "name", name, "git_url", u.ptr, "created_by", user);
		sw_buf_release(&u);
	}
	r = sw_server_reply_json(c, MHD_HTTP_CREATED, o, status);
cleanup:
	json_decref(in);
	return r;
}

/* The build logs of app's builds (before their rows go). */
static void remove_build_logs(struct sw_server *s, const char *app)
{
	sqlite3_stmt *st = NULL;
	struct sw_buf p = SW_BUF_INIT;

	if (sw_store_prepare(s->db, &st, "SELECT id FROM builds WHERE app = ?") < 0)
		return;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		sw_buf_reset(&p);
		sw_buf_addf(&p, "%s/%lld.log", s->cfg->builds, (long long)sqlite3_column_int64(st, 0));
		unlink(p.ptr);
	}
	sqlite3_finalize(st);
	sw_buf_release(&p);
}

/* The repository: renamed away first (so a push cannot find half of it), then removed. */
static int remove_repo(struct sw_server *s, const char *app)
{
	struct sw_buf repo = SW_BUF_INIT, trash = SW_BUF_INIT;
	struct sw_proc p = SW_PROC_INIT;
	int ret = 0;

	sw_app_repo_path(&repo, s->cfg, app);
	sw_buf_addf(&trash, "%s/.destroyed-%s-%ld", s->cfg->repos, app, (long)getpid());
	if (rename(repo.ptr, trash.ptr) < 0) {
		if (errno != ENOENT)
			ret = sw_error_errno("remove %s", repo.ptr);
		goto cleanup;
	}
	sw_strvec_pushl(&p.args, "rm", "-rf", "--", trash.ptr, NULL);
	if (sw_proc_run(&p, NULL, NULL) != 0)
		sw_log_warn("destroy %s: could not remove %s", app, trash.ptr);
cleanup:
	sw_proc_release(&p);
	sw_buf_release(&repo);
	sw_buf_release(&trash);
	return ret;
}

static enum MHD_Result app_destroy(struct sw_server *s, struct MHD_Connection *c, const char *app,
				   const char *user, unsigned *status)
{
	const char *confirm = arg(c, "confirm");
	json_t *removed = NULL;
	enum MHD_Result r;
	int known, held = 0, n;

	known = app_known(s->db, app);
	if (known < 0)
		return db_failed(c, status);
	if (!known && !sw_app_exists(s->cfg, app))
		return sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "no such app: %s", app);
	if (!confirm || strcmp(confirm, app))
		return sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status,
					    "destroying %s removes everything of it: confirm with ?confirm=%s", app, app);
	/* review apps (issue 8): one goes with its branch; an app's go with it */
	{
		struct sw_buf why = SW_BUF_INIT;
		if (sw_reviews_is_review(s->db, app, &why)) {
			r = sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "%s: delete that branch to destroy it"
						 " (git push deploy :BRANCH)", why.ptr);
			sw_buf_release(&why);
			return r;
		}
		sw_buf_release(&why);
	}
	if (sw_jobs_hold_app(s->jobs, app) < 0)
		return sw_server_json_error(c, MHD_HTTP_CONFLICT, status, "%s", sw_error_last());
	held = 1;
	removed = json_array();
	if (sw_reviews_destroy_parent(s, app, user, removed) < 0) {
		r = sw_server_json_error(c, sw_error_last_code() == SW_EEXISTS ? MHD_HTTP_CONFLICT : MHD_HTTP_BAD_GATEWAY,
					 status, "%s", sw_error_last());
		goto cleanup;
	}
	if (sw_releaser_teardown(s->db, app, removed) < 0) {
		r = sw_server_json_error(c, sw_error_last_code() == SW_EUNAVAIL ? MHD_HTTP_CONFLICT
						     : MHD_HTTP_BAD_GATEWAY, status, "%s", sw_error_last());
		goto cleanup;
	}
	if (remove_repo(s, app) < 0) {
		r = sw_server_json_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
		goto cleanup;
	}
	json_array_append_new(removed, json_string("repository"));
	remove_build_logs(s, app);
	if ((n = sw_store_exec_text(s->db, "DELETE FROM builds WHERE app = ?", app, "destroy")) < 0)
		goto db_error;
	if (n)
		json_array_append_new(removed, json_pack("s", "builds"));
	if ((n = sw_store_exec_text(s->db, "DELETE FROM releases WHERE app = ?", app, "destroy")) < 0)
		goto db_error;
	if (n)
		json_array_append_new(removed, json_string("releases"));
	if ((n = sw_store_exec_text(s->db, "DELETE FROM webhooks WHERE app = ?", app, "destroy")) < 0)
		goto db_error;
	if (n)
		json_array_append_new(removed, json_string("webhooks"));
	if (sw_store_exec_text(s->db, "DELETE FROM events WHERE app = ?", app, "destroy") < 0 ||
	    sw_store_exec_text(s->db, "DELETE FROM apps WHERE name = ?", app, "destroy") < 0)
		goto db_error;
	json_array_append_new(removed, json_string("events"));
	sw_event_emit(s->db, app, "app.destroyed", 0, 0, user, "app %s destroyed by %s", app, user);
	sw_log(SW_LOG_INFO, app, 0, "destroyed by %s", user);
	r = sw_server_reply_json(c, MHD_HTTP_OK, json_pack("{s:s,s:O}", "app", app, "removed", removed), status);
	goto cleanup;
db_error:
	r = db_failed(c, status);
cleanup:
	if (held)
		sw_jobs_release_app(s->jobs, app);
	json_decref(removed);
	return r;
}

/* ---- events ----------------------------------------------------------------------- */

struct event_stream {
	sqlite3 *db;
	char app[SW_APP_REF_MAX + 1];   /* review apps (issue 8): their longer names */
	char *types;
	long long after;
	struct sw_buf out;
	size_t off;
};

static ssize_t event_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct event_stream *es = cls;
	size_t n;

	(void)pos;
	while (es->off >= es->out.len) {
		long long seen = sw_event_latest();
		json_t *list = NULL, *e;
		size_t i;

		sw_buf_reset(&es->out);
		es->off = 0;
		if (sw_event_query(es->db, es->app, es->after, 100, NULL, &list) < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		json_array_foreach(list, i, e) {
			const char *type = json_string_value(json_object_get(e, "type"));
			char *text;
			es->after = (long long)json_integer_value(json_object_get(e, "id"));
			if (es->types && !sw_event_type_matches(es->types, type ? type : ""))
				continue;
			text = json_dumps(e, JSON_COMPACT);
			if (text) {
				sw_buf_adds(&es->out, text);
				sw_buf_addch(&es->out, '\n');
				free(text);
			}
		}
		json_decref(list);
		if (es->out.len)
			break;
		switch (sw_event_wait(seen, KEEPALIVE_MS)) {
		case 0:
			sw_buf_adds(&es->out, "{}\n");
			break;
		case -1:
			return MHD_CONTENT_READER_END_OF_STREAM;   /* slipwayd is stopping */
		default:
			break;
		}
	}
	n = es->out.len - es->off;
	if (n > max)
		n = max;
	memcpy(buf, es->out.ptr + es->off, n);
	es->off += n;
	return (ssize_t)n;
}

static void event_stream_free(void *cls)
{
	struct event_stream *es = cls;
	free(es->types);
	sw_buf_release(&es->out);
	free(es);
}

static enum MHD_Result events_get(struct sw_server *s, struct MHD_Connection *c, const char *app, unsigned *status)
{
	const char *after_s = arg(c, "after"), *limit_s = arg(c, "limit"), *types = arg(c, "types");
	long long after = 0, limit = 100;
	json_t *list = NULL;

	if (after_s && strcmp(after_s, "0") && sw_api_parse_id(after_s, &after) < 0)
		return sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "after: want an event id");
	if (limit_s && (sw_api_parse_id(limit_s, &limit) < 0 || limit > 1000))
		return sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "limit: want 1 to 1000");
	if (types && strlen(types) > 400)
		return sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "types: too long");
	if (arg_true(c, "follow")) {
		struct event_stream *es = xcalloc(1, sizeof(*es));
		struct MHD_Response *res;
		enum MHD_Result r;
		json_t *last = NULL;

		sw_buf_init(&es->out, 0);

		es->db = s->db;
		memcpy(es->app, app, strlen(app) + 1);
		es->types = types && *types ? xstrdup(types) : NULL;
		/* start with the last `limit` events (or those after `after`) */
		if (!after && sw_event_query(s->db, app, 0, (int)limit, NULL, &last) == 0 && json_array_size(last)) {
			json_t *first = json_array_get(last, 0);
			after = (long long)json_integer_value(json_object_get(first, "id")) - 1;
		} else if (!after) {
			after = sw_event_latest();
		}
		json_decref(last);
		es->after = after;
		res = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, event_reader, es, event_stream_free);
		if (!res) {
			event_stream_free(es);
			return MHD_NO;
		}
		MHD_add_response_header(res, "Content-Type", "application/x-ndjson");
		MHD_add_response_header(res, "Cache-Control", "no-store");
		MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, 0);
		r = MHD_queue_response(c, MHD_HTTP_OK, res);
		*status = MHD_HTTP_OK;
		MHD_destroy_response(res);
		return r;
	}
	if (sw_event_query(s->db, app, after, (int)limit, types && *types ? types : NULL, &list) < 0)
		return db_failed(c, status);
	return sw_server_reply_json(c, MHD_HTTP_OK, json_pack("{s:o}", "events", list), status);
}

/* ---- webhooks ---------------------------------------------------------------------- */

static enum MHD_Result webhooks(struct sw_server *s, struct MHD_Connection *c, const char *method, const char **seg,
				int n, const char *app, const struct sw_buf *body, const char *user, unsigned *status)
{
	json_t *out = NULL, *in = NULL;
	enum MHD_Result r = MHD_NO;
	long long id = 0;

	if (n == 3 && !strcmp(method, "GET")) {
		if (sw_webhook_list(s->db, app, &out) < 0)
			return db_failed(c, status);
		return sw_server_reply_json(c, MHD_HTTP_OK, out, status);
	}
	if (n == 3 && !strcmp(method, "POST")) {
		const char *url, *types;
		json_t *ev;

		if (!(in = body_object(c, body, &r, status)))
			return r;
		url = json_string_value(json_object_get(in, "url"));
		ev = json_object_get(in, "events");
		types = json_string_value(ev);
		if (!url || (ev && !json_is_null(ev) && !types)) {
			r = sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status,
						 "want {\"url\": \"https://...\", \"events\": \"build.*,release.live\"}");
		} else if (sw_webhook_add(s->db, app, url, types, user, &out) < 0) {
			r = sw_error_last_code() == SW_EINVAL
				    ? sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "%s", sw_error_last())
				    : db_failed(c, status);
		} else {
			json_t *hook = json_object_get(out, "webhook");
			sw_event_emit(s->db, app, "webhook.added", 0, 0, user, "webhook %lld added for %s (%s)",
				      (long long)json_integer_value(json_object_get(hook, "id")), url,
				      types && *types ? types : "all events");
			r = sw_server_reply_json(c, MHD_HTTP_CREATED, out, status);
		}
		json_decref(in);
		return r;
	}
	if (n == 4 && !strcmp(seg[3], "deliveries") && !strcmp(method, "GET")) {
		const char *w = arg(c, "webhook"), *l = arg(c, "limit");
		long long limit = 50;
		if (w && sw_api_parse_id(w, &id) < 0)
			return sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "webhook: want an id");
		if (l && (sw_api_parse_id(l, &limit) < 0 || limit > 500))
			return sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status, "limit: want 1 to 500");
		if (sw_webhook_deliveries(s->db, app, id, (int)limit, &out) < 0)
			return sw_error_last_code() == SW_ENOTFOUND
				       ? sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "%s", sw_error_last())
				       : db_failed(c, status);
		return sw_server_reply_json(c, MHD_HTTP_OK, out, status);
	}
	if (n == 4 && !strcmp(method, "DELETE")) {
		if (sw_api_parse_id(seg[3], &id) < 0)
			return sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "%s has no webhook %.30s", app, seg[3]);
		if (sw_webhook_remove(s->db, app, id) < 0)
			return sw_error_last_code() == SW_ENOTFOUND
				       ? sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "%s", sw_error_last())
				       : db_failed(c, status);
		sw_event_emit(s->db, app, "webhook.removed", 0, 0, user, "webhook %lld removed", id);
		return sw_server_reply_json(c, MHD_HTTP_OK, json_pack("{s:I,s:b}", "webhook", (json_int_t)id, "removed", 1), status);
	}
	if (n == 3 || n == 4)
		return sw_server_json_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
	return sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
}

/* ---- tokens ----------------------------------------------------------------------- */

static int token_name_valid(const char *name)
{
	size_t n = strlen(name);
	return n >= 1 && n <= 64 && strspn(name, TOKEN_NAME_CHARS) == n;
}

static enum MHD_Result tokens(struct sw_server *s, struct MHD_Connection *c, const char *method, const char **seg,
			      int n, const struct sw_buf *body, const char *user, unsigned *status)
{
	sqlite3_stmt *st = NULL;
	enum MHD_Result r = MHD_NO;

	if (n == 1 && !strcmp(method, "GET")) {
		json_t *list = json_array();
		if (sw_store_prepare(s->db, &st, "SELECT name, MIN(created_at), COUNT(*) FROM tokens GROUP BY name"
				     " ORDER BY MIN(created_at), name") < 0) {
			json_decref(list);
			return db_failed(c, status);
		}
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(st, 0);
			char when[32];
			struct tm tm;
			time_t t = (time_t)sqlite3_column_double(st, 1);
			gmtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
			json_array_append_new(list, json_pack("{s:s,s:s,s:i,s:b}", "name", name ? name : "", "created_at",
							      when, "count", sqlite3_column_int(st, 2), "current",
							      name && !strcmp(name, user)));
		}
		sqlite3_finalize(st);
		return sw_server_reply_json(c, MHD_HTTP_OK, json_pack("{s:o}", "tokens", list), status);
	}
	if (n == 1 && !strcmp(method, "POST")) {
		struct sw_buf token = SW_BUF_INIT;
		json_t *in = body_object(c, body, &r, status);
		const char *name;
		int exists = 0;

		if (!in)
			return r;
		name = json_string_value(json_object_get(in, "name"));
		if (!name || !token_name_valid(name)) {
			r = sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status,
						 "token name: want 1-64 of a-z 0-9 - _ . ({\"name\": \"ci\"})");
			goto post_done;
		}
		if (sw_store_prepare(s->db, &st, "SELECT 1 FROM tokens WHERE name = ?") < 0) {
			r = db_failed(c, status);
			goto post_done;
		}
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		exists = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		if (exists) {
			r = sw_server_json_error(c, MHD_HTTP_CONFLICT, status, "a token called %s exists already", name);
			goto post_done;
		}
		if (sw_auth_token_create(s->db, name, &token) < 0) {
			r = db_failed(c, status);
			goto post_done;
		}
		sw_event_emit(s->db, NULL, "token.created", 0, 0, user, "token %s created by %s", name, user);
		r = sw_server_reply_json(c, MHD_HTTP_CREATED, json_pack("{s:{s:s,s:s},s:s}", "token", "name", name, "created_by",
							      user, "secret", token.ptr), status);
post_done:
		sw_buf_release(&token);
		json_decref(in);
		return r;
	}
	if (n == 2 && !strcmp(method, "DELETE")) {
		const char *name = seg[1];
		int changed;
		if (!token_name_valid(name))
			return sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "no token called %.64s", name);
		if (!strcmp(name, user))
			return sw_server_json_error(c, MHD_HTTP_CONFLICT, status,
						    "%s is the token this request uses: revoke it with another token", name);
		if (sw_store_prepare(s->db, &st, "DELETE FROM tokens WHERE name = ?") < 0)
			return db_failed(c, status);
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return db_failed(c, status);
		}
		changed = sqlite3_changes(s->db);
		sqlite3_finalize(st);
		if (!changed)
			return sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "no token called %s", name);
		sw_event_emit(s->db, NULL, "token.revoked", 0, 0, user, "token %s revoked by %s", name, user);
		return sw_server_reply_json(c, MHD_HTTP_OK, json_pack("{s:s,s:b}", "token", name, "revoked", 1), status);
	}
	if (n <= 2)
		return sw_server_json_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
	return sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
}

/* ---- cancel ----------------------------------------------------------------------- */

static enum MHD_Result build_cancel(struct sw_server *s, struct MHD_Connection *c, const char *app,
				    const char *id_s, const char *user, unsigned *status)
{
	sqlite3_stmt *st = NULL;
	struct sw_buf st_name = SW_BUF_INIT;
	long long id = 0;
	int found = 0;
	enum MHD_Result r;

	if (sw_api_parse_id(id_s, &id) < 0)
		return sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "no such build: %.30s", id_s);
	if (sw_store_prepare(s->db, &st, "SELECT status FROM builds WHERE id = ?1 AND (?2 IS NULL OR app = ?2)") < 0)
		return db_failed(c, status);
	sqlite3_bind_int64(st, 1, id);
	if (app)
		sqlite3_bind_text(st, 2, app, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		found = 1;
		sw_buf_adds(&st_name, (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	if (!found) {
		r = sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "no such build: %lld", id);
		goto cleanup;
	}
	if (strcmp(st_name.ptr, "queued") && strcmp(st_name.ptr, "running")) {
		r = sw_server_json_error(c, MHD_HTTP_CONFLICT, status, "build %lld is %s already: nothing to cancel", id,
					 st_name.ptr);
		goto cleanup;
	}
	if (sw_jobs_cancel(s->jobs, (long)id, user) < 0) {
		r = sw_server_json_error(c, MHD_HTTP_CONFLICT, status, "%s", sw_error_last());
		goto cleanup;
	}
	sw_log(SW_LOG_INFO, app, (long)id, "cancel asked by %s", user);
	r = sw_server_reply_json(c, MHD_HTTP_ACCEPTED, json_pack("{s:I,s:s,s:s}", "build", (json_int_t)id, "status",
						       strcmp(st_name.ptr, "queued") ? "cancelling" : "cancelled",
						       "cancelled_by", user), status);
cleanup:
	sw_buf_release(&st_name);
	return r;
}

/* ---- dispatch ----------------------------------------------------------------------- */

enum MHD_Result sw_ops_handle(struct sw_server *s, struct MHD_Connection *c, const char *url, const char *method,
			      const struct sw_buf *body, const char *user, unsigned *status)
{
	char store[512];
	const char *seg[MAX_SEGMENTS];
	const char *app;
	int n, known;

	n = sw_api_split(url + 8, store, sizeof(store), seg, MAX_SEGMENTS);
	if (n <= 0)
		return sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
	if (!strcmp(seg[0], "tokens"))
		return tokens(s, c, method, seg, n, body, user, status);
	if (!strcmp(seg[0], "builds")) {
		if (strcmp(method, "POST"))
			return sw_server_json_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
		return build_cancel(s, c, NULL, seg[1], user, status);
	}
	if (n == 1)
		return app_create(s, c, body, user, status);
	app = seg[1];
	if (!sw_app_ref_valid(app))   /* review apps (issue 8): their longer names */
		return sw_server_json_error(c, MHD_HTTP_BAD_REQUEST, status,
					    "invalid app name (want 3-30 of a-z, 0-9, '-', starting with a letter)");
	if (n == 2)
		return app_destroy(s, c, app, user, status);
	known = app_known(s->db, app);
	if (known < 0)
		return db_failed(c, status);
	if (!known)
		return sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "no such app: %s", app);
	if (!strcmp(seg[2], "events")) {
		if (n != 3)
			return sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
		if (strcmp(method, "GET"))
			return sw_server_json_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
		return events_get(s, c, app, status);
	}
	if (!strcmp(seg[2], "webhooks"))
		return webhooks(s, c, method, seg, n, app, body, user, status);
	/* ps, run, logs: receiver/tasks.h, receiver/applogs.h */
	if (n == 3 && !strcmp(seg[2], "ps"))
		return strcmp(method, "GET") ? sw_server_json_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed")
					     : sw_api_tasks_ps(s, c, app, status);
	if (n == 3 && !strcmp(seg[2], "run"))
		return strcmp(method, "POST") ? sw_server_json_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed")
					      : sw_api_tasks_run(s, c, app, body, user, status);
	if (n == 3 && !strcmp(seg[2], "logs"))
		return strcmp(method, "GET") ? sw_server_json_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed")
					     : sw_api_logs_get(s, c, app, status);
	if (!strcmp(seg[2], "builds") && n == 5) {
		if (strcmp(method, "POST"))
			return sw_server_json_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
		return build_cancel(s, c, app, seg[3], user, status);
	}
	return sw_server_json_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
}
