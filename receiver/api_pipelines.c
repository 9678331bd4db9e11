#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "receiver/api_pipelines.h"
#include "receiver/api_releases.h"
#include "receiver/app.h"
#include "receiver/pipeline.h"
#include "receiver/reply.h"
#include "receiver/request.h"
#include "receiver/review_apps.h"
#include "receiver/roles.h"
#include "releaser/release.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/banned.h"

/* "/api/v1/apps/<app>/promote": app; -1 when url is not of that form. */
static int promote_app(const char *url, struct sw_buf *app)
{
	const char *p = url + 13, *slash;
	if (strncmp(url, "/api/v1/apps/", 13) || !(slash = strchr(p, '/')) || slash == p || strcmp(slash, "/promote"))
		return -1;
	sw_buf_add(app, p, (size_t)(slash - p));
	return 0;
}

int sw_api_pipelines_match(const char *url)
{
	struct sw_buf app = SW_BUF_INIT;
	int m = !strcmp(url, "/api/v1/pipelines") || !strncmp(url, "/api/v1/pipelines/", 18) ||
		promote_app(url, &app) == 0;
	sw_buf_release(&app);
	return m;
}

/* An app that may be in a pipeline: a valid name, with a repository, not a review app. */
static enum MHD_Result check_app(struct sw_server *s, struct MHD_Connection *c, const char *app, unsigned *status,
				 int *ok)
{
	*ok = 0;
	if (!app || !sw_app_ref_valid(app))
		return sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status,
				      "invalid app name (want 3-30 of a-z, 0-9, '-', starting with a letter)");
	if (sw_review_apps_is_review(s->db, app, NULL))
		return sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "%s is a review app: review apps are in no pipeline",
				      app);
	if (!sw_app_exists(s->cfg, app))
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no such app: %s", app);
	*ok = 1;
	return MHD_YES;
}

static enum MHD_Result add(struct sw_server *s, struct MHD_Connection *c, const struct sw_buf *body,
			   unsigned *status)
{
	enum MHD_Result r = MHD_NO;
	json_t *in = sw_request_object(c, body, &r, status);
	const char *app, *stage, *pipeline;
	int ok;

	if (!in)
		return r;
	app = sw_json_str(in, "app");
	stage = sw_json_str(in, "stage");
	pipeline = sw_json_str_or(in, "pipeline", "main");
	r = check_app(s, c, app, status, &ok);
	if (ok) {
		if (sw_pipeline_add(s->db, app, pipeline, stage) < 0)
			r = sw_reply_error(c, sw_error_last_code() == SW_EINVAL ? MHD_HTTP_BAD_REQUEST
					   : MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
		else
			r = sw_reply_json(c, MHD_HTTP_CREATED, json_pack("{s:s, s:s, s:s}", "app", app, "pipeline", pipeline,
									 "stage", stage), status);
	}
	json_decref(in);
	return r;
}

/* Refuse (400) a promotion of app that cannot start: no target, no live release, not the live version. */
static int promote_check(struct sw_server *s, const char *app, const char *to, int version, struct sw_buf *target,
			 struct sw_release *live)
{
	int ret;
	if (sw_pipeline_target(s->db, app, to, target) < 0)
		return SW_EINVAL;
	if (!sw_app_exists(s->cfg, target->ptr))
		return sw_error_code(SW_EINVAL, "no such app: %s", target->ptr);
	ret = sw_release_load_live(s->db, app, live);
	if (ret == SW_ENOTFOUND)
		return sw_error_code(SW_EINVAL, "%s has no live release to promote", app);
	if (ret < 0)
		return ret;
	if (version && version != live->version)
		return sw_error_code(SW_EINVAL, "v%d of %s is not live (v%d is): only the live release is promoted", version,
				     app, live->version);
	return 0;
}

/*
 * The route table checked p's deploy role on app (the release promoted); the release is
 * made on the target, so p needs deploy there too.
 */
static enum MHD_Result promote(struct sw_server *s, struct MHD_Connection *c, const char *app,
			       const struct sw_buf *body, const struct sw_principal *p, unsigned *status)
{
	enum MHD_Result r = MHD_NO;
	json_t *in = body && body->len ? sw_request_object(c, body, &r, status) : json_object(), *req = NULL;
	struct sw_buf target = SW_BUF_INIT, why = SW_BUF_INIT;
	int may;
	struct sw_release live;
	const json_t *ver;
	int ok;

	sw_release_init(&live);
	if (!in)
		goto cleanup;
	ver = json_object_get(in, "version");
	if ((ver && !json_is_integer(ver)) || json_integer_value(ver) < 0 ||
	    (json_object_get(in, "to") && !sw_json_str(in, "to"))) {
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "want {\"to\": APP, \"version\": N} (both optional)");
		goto cleanup;
	}
	if ((r = check_app(s, c, app, status, &ok)), !ok)
		goto cleanup;
	if (promote_check(s, app, sw_json_str(in, "to"), (int)json_integer_value(ver), &target, &live) < 0) {
		r = sw_reply_error(c, sw_error_last_code() == SW_EINVAL ? MHD_HTTP_BAD_REQUEST
				   : MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
		goto cleanup;
	}
	if ((may = sw_roles_check(s->db, p, target.ptr, SW_ROLE_DEPLOY, &why)) <= 0) {
		r = may < 0 ? sw_reply_db_error(c, status)
			    : sw_reply_error(c, MHD_HTTP_FORBIDDEN, status, "forbidden: %s", why.ptr);
		goto cleanup;
	}
	/* the commit into the target's repository, where the new release is tagged vN */
	if (live.commit && sw_pipeline_bring_commit(s->cfg, app, target.ptr, live.commit) < 0)
		sw_log(SW_LOG_WARN, target.ptr, 0, "promote: %s (the release will not be tagged)", sw_error_last());
	req = json_pack("{s:s, s:s, s:i}", "command", "promote", "from", app, "version", live.version);
	r = sw_api_releases_command(s, c, target.ptr, req, p->actor, status);
cleanup:
	json_decref(in);
	json_decref(req);
	sw_release_release(&live);
	sw_buf_release(&target);
	sw_buf_release(&why);
	return r;
}

enum MHD_Result sw_api_pipelines_handle(struct sw_server *s, struct MHD_Connection *c, const char *url,
					const char *method, const struct sw_buf *body, const struct sw_principal *p,
					unsigned *status)
{
	struct sw_buf app = SW_BUF_INIT;
	enum MHD_Result r;

	if (promote_app(url, &app) == 0) {
		r = strcmp(method, "POST") ? sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed")
					   : promote(s, c, app.ptr, body, p, status);
	} else if (!strcmp(url, "/api/v1/pipelines")) {
		if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) {
			json_t *list = sw_pipeline_list_json(s->db);
			r = list ? sw_reply_json(c, MHD_HTTP_OK, list, status) : sw_reply_db_error(c, status);
		} else if (!strcmp(method, "POST")) {
			r = add(s, c, body, status);
		} else {
			r = sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
		}
	} else if (!strcmp(method, "DELETE") && !strchr(url + 18, '/')) {
		if (sw_pipeline_remove(s->db, url + 18) < 0)
			r = sw_reply_error(c, sw_error_last_code() == SW_ENOTFOUND ? MHD_HTTP_NOT_FOUND
					   : MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
		else
			r = sw_reply_json(c, MHD_HTTP_OK, json_pack("{s:s, s:b}", "app", url + 18, "removed", 1), status);
	} else {
		r = sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
	}
	sw_buf_release(&app);
	return r;
}
