#include <string.h>
#include <jansson.h>

#include "receiver/api_apps.h"
#include "receiver/api_builds.h"
#include "receiver/app.h"
#include "receiver/job.h"
#include "receiver/reply.h"
#include "receiver/request.h"
#include "receiver/review_apps.h"
#include "releaser/releaser.h"
#include "releaser/appsettings.h"
#include "common/error.h"
#include "common/event.h"
#include "common/json.h"
#include "common/log.h"
#include "common/store.h"
#include "common/banned.h"

/* app's newest job (of kind "build" when pushes_only), or JSON null. */
static json_t *newest_job(sqlite3 *db, const char *app, int pushes_only)
{
	sqlite3_stmt *st = NULL;
	json_t *o = NULL;

	if (sw_store_prepare(db, &st, pushes_only ? "SELECT " SW_BUILD_COLUMNS " FROM builds WHERE app = ?"
						     " AND kind = 'build' ORDER BY id DESC LIMIT 1"
						   : "SELECT " SW_BUILD_COLUMNS " FROM builds WHERE app = ?"
						     " ORDER BY id DESC LIMIT 1") == 0) {
		sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW)
			o = sw_api_builds_row(st);
		sqlite3_finalize(st);
	}
	return o ? o : json_null();
}

/* The live release in brief, and whether a release is under way; *any: app has releases. */
static json_t *live_release(sqlite3 *db, const char *app, int *deploying, int *any)
{
	sqlite3_stmt *st = NULL;
	json_t *o = json_null();

	*deploying = *any = 0;
	if (sw_store_prepare(db, &st, "SELECT version, commit_sha, description, created_at, created_by, status"
			     " FROM releases WHERE app = ? ORDER BY version DESC") < 0)
		return o;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(st, 5);
		*any = 1;
		if (status && (!strcmp(status, "pending") || !strcmp(status, "deploying")))
			*deploying = 1;
		if (status && !strcmp(status, "live")) {
			const char *commit = (const char *)sqlite3_column_text(st, 1);
			json_decref(o);
			o = json_pack("{s:i, s:s?, s:s?, s:o, s:s?}", "version", sqlite3_column_int(st, 0), "commit", commit,
				      "description", (const char *)sqlite3_column_text(st, 2), "created_at",
				      sw_reply_iso_time(st, 3), "created_by", (const char *)sqlite3_column_text(st, 4));
			break;
		}
	}
	sqlite3_finalize(st);
	return o;
}

static const char *app_state(const json_t *job, const json_t *live, int deploying, int any_release)
{
	const char *st = json_string_value(json_object_get(job, "status"));

	if (deploying || (st && (!strcmp(st, "queued") || !strcmp(st, "running"))))
		return "deploying";
	if (st && !strcmp(st, "failed"))
		return "failed";
	if (json_is_object(live))
		return "live";
	if (any_release)
		return "failed";   /* releases, none live */
	return json_is_object(job) ? "built" : "new";
}

static json_t *app_json(sqlite3 *db, sqlite3_stmt *app_row)
{
	json_t *o = json_object(), *job, *live;
	const char *name = (const char *)sqlite3_column_text(app_row, 0);
	int deploying = 0, any = 0;

	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "created_at", sw_reply_iso_time(app_row, 1));
	/* the last push, apart from release commands (which are jobs too) */
	json_object_set_new(o, "last_build", newest_job(db, name, 1));
	job = newest_job(db, name, 0);
	live = live_release(db, name, &deploying, &any);
	json_object_set_new(o, "state", json_string(app_state(job, live, deploying, any)));
	json_object_set_new(o, "last_job", job);
	json_object_set_new(o, "live_release", live);
	sw_review_apps_json(db, name, o);   /* "review": {...} or null */
	{   /* the app's own settings (releaser/appsettings.h): {"task_role": ...} */
		json_t *settings = NULL;
		if (sw_appsettings_get(db, name, &settings) == 0) {
			json_object_del(settings, "app");
			json_object_set_new(o, "settings", settings);
		}
	}
	return o;
}

enum MHD_Result sw_api_apps_list(struct sw_server *s, struct MHD_Connection *c, const struct sw_principal *p,
				 unsigned *status)
{
	sqlite3_stmt *st = NULL;
	json_t *list = json_array();
	enum sw_role role;

	/* destroyed review apps are history, not apps */
	if (sw_store_prepare(s->db, &st, "SELECT name, created_at FROM apps WHERE name NOT IN"
			     " (SELECT app FROM reviews WHERE status = 'destroyed') ORDER BY name") < 0) {
		json_decref(list);
		return sw_reply_db_error(c, status);
	}
	/* the apps p has a role on (an admin: all) */
	while (sqlite3_step(st) == SQLITE_ROW)
		if (sw_roles_on_app(s->db, p, (const char *)sqlite3_column_text(st, 0), &role) == 0 && role >= SW_ROLE_READ)
			json_array_append_new(list, app_json(s->db, st));
	sqlite3_finalize(st);
	return sw_reply_json(c, MHD_HTTP_OK, json_pack("{s:o}", "apps", list), status);
}

enum MHD_Result sw_api_apps_show(struct sw_server *s, struct MHD_Connection *c, const char *app, unsigned *status)
{
	sqlite3_stmt *st = NULL;
	json_t *o = NULL;

	if (sw_store_prepare(s->db, &st, "SELECT name, created_at FROM apps WHERE name = ?") < 0)
		return sw_reply_db_error(c, status);
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = app_json(s->db, st);
	sqlite3_finalize(st);
	if (!o)
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no such app: %s", app);
	return sw_reply_json(c, MHD_HTTP_OK, o, status);
}

enum MHD_Result sw_api_apps_create(struct sw_server *s, struct MHD_Connection *c, const struct sw_buf *body,
				  const char *user, unsigned *status)
{
	enum MHD_Result r = MHD_NO;
	json_t *in = sw_request_object(c, body, &r, status), *o;
	const char *name;
	int created = 0, known;

	if (!in)
		return r;
	name = sw_json_str(in, "name");
	if (!name) {
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "want {\"name\": \"APP\"}");
		goto cleanup;
	}
	if (!sw_app_name_valid(name)) {
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status,
					 "invalid app name (want 3-30 of a-z, 0-9, '-', starting with a letter, not ending in '-')");
		goto cleanup;
	}
	known = sw_app_known(s->db, name);
	if (known < 0) {
		r = sw_reply_db_error(c, status);
		goto cleanup;
	}
	if (known && sw_app_exists(s->cfg, name)) {
		r = sw_reply_error(c, MHD_HTTP_CONFLICT, status, "%s exists already", name);
		goto cleanup;
	}
	if (sw_app_ensure(s->cfg, s->db, name, &created) < 0) {
		r = sw_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status, "cannot create %s: %s", name,
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
	r = sw_reply_json(c, MHD_HTTP_CREATED, o, status);
cleanup:
	json_decref(in);
	return r;
}

enum MHD_Result sw_api_apps_destroy(struct sw_server *s, struct MHD_Connection *c, const char *app,
				   const char *user, unsigned *status)
{
	const char *confirm = sw_request_arg(c, "confirm");
	json_t *removed = NULL;
	enum MHD_Result r;
	int known, held = 0, n;

	known = sw_app_known(s->db, app);
	if (known < 0)
		return sw_reply_db_error(c, status);
	if (!known && !sw_app_exists(s->cfg, app))
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no such app: %s", app);
	if (!confirm || strcmp(confirm, app))
		return sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status,
					    "destroying %s removes everything of it: confirm with ?confirm=%s", app, app);
	/* a review app goes with its branch; an app's review apps go with it */
	{
		struct sw_buf why = SW_BUF_INIT;
		if (sw_review_apps_is_review(s->db, app, &why)) {
			r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "%s: delete that branch to destroy it"
						 " (git push deploy :BRANCH)", why.ptr);
			sw_buf_release(&why);
			return r;
		}
		sw_buf_release(&why);
	}
	if (sw_jobs_hold_app(s->jobs, app) < 0)
		return sw_reply_error(c, MHD_HTTP_CONFLICT, status, "%s", sw_error_last());
	held = 1;
	removed = json_array();
	if (sw_review_apps_destroy_parent(s, app, user, removed) < 0) {
		r = sw_reply_error(c, sw_error_last_code() == SW_EEXISTS ? MHD_HTTP_CONFLICT : MHD_HTTP_BAD_GATEWAY,
					 status, "%s", sw_error_last());
		goto cleanup;
	}
	if (sw_releaser_teardown(s->db, app, removed) < 0) {
		r = sw_reply_error(c, sw_error_last_code() == SW_EUNAVAIL ? MHD_HTTP_CONFLICT
						     : MHD_HTTP_BAD_GATEWAY, status, "%s", sw_error_last());
		goto cleanup;
	}
	if (sw_app_remove_repo(s->cfg, app) < 0) {
		r = sw_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
		goto cleanup;
	}
	json_array_append_new(removed, json_string("repository"));
	sw_app_remove_build_logs(s->cfg, s->db, app);
	if ((n = sw_store_exec_text(s->db, "DELETE FROM builds WHERE app = ?", app, "destroy")) < 0)
		goto db_error;
	if (n)
		json_array_append_new(removed, json_string("builds"));
	if ((n = sw_store_exec_text(s->db, "DELETE FROM releases WHERE app = ?", app, "destroy")) < 0)
		goto db_error;
	if (n)
		json_array_append_new(removed, json_string("releases"));
	if ((n = sw_store_exec_text(s->db, "DELETE FROM webhooks WHERE app = ?", app, "destroy")) < 0)
		goto db_error;
	if (n)
		json_array_append_new(removed, json_string("webhooks"));
	if ((n = sw_store_exec_text(s->db, "DELETE FROM domains WHERE app = ?", app, "destroy")) < 0)
		goto db_error;
	if (n)
		json_array_append_new(removed, json_string("domains"));
	if (sw_store_exec_text(s->db, "DELETE FROM pipelines WHERE app = ?", app, "destroy") < 0 ||
	    sw_store_exec_text(s->db, "DELETE FROM certs WHERE app = ?", app, "destroy") < 0 ||
	    sw_store_exec_text(s->db, "DELETE FROM route_settings WHERE app = ?", app, "destroy") < 0 ||
	    sw_store_exec_text(s->db, "DELETE FROM events WHERE app = ?", app, "destroy") < 0 ||
	    sw_roles_forget(s->db, app, NULL) < 0 ||
	    sw_store_exec_text(s->db, "DELETE FROM apps WHERE name = ?", app, "destroy") < 0)
		goto db_error;
	json_array_append_new(removed, json_string("events"));
	sw_event_emit(s->db, app, "app.destroyed", 0, 0, user, "app %s destroyed by %s", app, user);
	sw_log(SW_LOG_INFO, app, 0, "destroyed by %s", user);
	r = sw_reply_json(c, MHD_HTTP_OK, json_pack("{s:s,s:O}", "app", app, "removed", removed), status);
	goto cleanup;
db_error:
	r = sw_reply_db_error(c, status);
cleanup:
	if (held)
		sw_jobs_release_app(s->jobs, app);
	json_decref(removed);
	return r;
}
