#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "receiver/api_reviews.h"
#include "receiver/api_releases.h"
#include "receiver/app.h"
#include "receiver/reply.h"
#include "receiver/request.h"
#include "receiver/review_apps.h"
#include "releaser/release.h"
#include "releaser/releaser.h"
#include "releaser/review.h"
#include "common/error.h"
#include "common/log.h"
#include "common/banned.h"

/* "/api/v1/apps/<app>/<rest>" → app and rest; -1 when url is not of that form. */
static int split(const char *url, struct sw_buf *app, struct sw_buf *rest)
{
	const char *p, *slash;
	if (strncmp(url, "/api/v1/apps/", 13))
		return -1;
	p = url + 13;
	if (!(slash = strchr(p, '/')) || slash == p)
		return -1;
	sw_buf_add(app, p, (size_t)(slash - p));
	sw_buf_adds(rest, slash + 1);
	return 0;
}

int sw_api_reviews_match(const char *url, const char *method)
{
	struct sw_buf app = SW_BUF_INIT, rest = SW_BUF_INIT;
	int m = 0;
	(void)method;
	if (split(url, &app, &rest) == 0)
		m = !strcmp(rest.ptr, "reviews") || !strcmp(rest.ptr, "reviews/settings") || !strcmp(rest.ptr, "sync-config");
	sw_buf_release(&app);
	sw_buf_release(&rest);
	return m;
}

static json_t *settings_json(const struct sw_server *s, const char *app, json_t *reviews)
{
	int limit = 0;
	long long idle = 0;
	if (sw_review_settings(s->db, app, &s->cfg->review, &limit, &idle) < 0) {
		json_decref(reviews);
		return NULL;
	}
	return json_pack("{s:s, s:i, s:I, s:o}", "app", app, "limit", limit, "idle_secs", (json_int_t)idle, "reviews",
			 reviews ? reviews : json_array());
}

static enum MHD_Result list(struct sw_server *s, struct MHD_Connection *c, const char *app, unsigned *status)
{
	const char *all = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "all");
	json_t *reviews = NULL;

	if (sw_review_list(s->db, app, all && (!strcmp(all, "1") || !strcmp(all, "true")), sw_review_apps_url(), &reviews) < 0) {
		json_decref(reviews);
		return sw_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
	}
	return sw_reply_json(c, MHD_HTTP_OK, settings_json(s, app, reviews), status);
}

static enum MHD_Result settings(struct sw_server *s, struct MHD_Connection *c, const char *app,
				const struct sw_buf *body, const char *user, unsigned *status)
{
	json_t *in = body->len ? json_loadb(body->ptr, body->len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	json_t *lim, *idle, *reviews = NULL;
	long long idle_secs = -1;
	int limit = -1;
	enum MHD_Result r;

	if (!json_is_object(in)) {
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "want {\"limit\": N, \"idle\": \"7d\"|\"off\"}");
		goto cleanup;
	}
	lim = json_object_get(in, "limit");
	idle = json_object_get(in, "idle");
	if ((!lim && !idle) || json_object_size(in) != (size_t)(!!lim + !!idle)) {
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "want {\"limit\": N, \"idle\": \"7d\"|\"off\"}");
		goto cleanup;
	}
	if (lim && (!json_is_integer(lim) || json_integer_value(lim) < 0 || json_integer_value(lim) > 1000)) {
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "limit: want 0 to 1000 review apps");
		goto cleanup;
	}
	if (lim)
		limit = (int)json_integer_value(lim);
	if (idle && (!json_is_string(idle) || sw_review_parse_duration(json_string_value(idle), &idle_secs) < 0)) {
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "idle: %s",
					 json_is_string(idle) ? sw_error_last() : "want a duration like \"7d\", or \"off\"");
		goto cleanup;
	}
	if (sw_review_settings_save(s->db, app, limit, idle ? idle_secs : -1) < 0 ||
	    sw_review_list(s->db, app, 0, sw_review_apps_url(), &reviews) < 0) {
		json_decref(reviews);
		r = sw_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
		goto cleanup;
	}
	sw_log(SW_LOG_INFO, app, 0, "review app settings changed by %s", user);
	r = sw_reply_json(c, MHD_HTTP_OK, settings_json(s, app, reviews), status);
cleanup:
	json_decref(in);
	return r;
}

static enum MHD_Result sync_config(struct sw_server *s, struct MHD_Connection *c, const struct sw_review *rv,
				   const char *user, unsigned *status)
{
	json_t *cfg = sw_release_config_json(s->db, rv->parent), *req;
	enum MHD_Result r;

	if (!cfg)
		return sw_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status, "%s", sw_error_last());
	if (!json_object_size(json_object_get(cfg, "config"))) {
		json_decref(cfg);
		return sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "%s has no config vars to copy", rv->parent);
	}
	req = json_pack("{s:s, s:O}", "command", "config", "set", json_object_get(cfg, "config"));
	json_decref(cfg);
	r = sw_api_releases_command(s, c, rv->app, req, user, status);
	json_decref(req);
	return r;
}

enum MHD_Result sw_api_reviews_handle(struct sw_server *s, struct MHD_Connection *c, const char *url, const char *method,
				  const struct sw_buf *body, const char *user, unsigned *status)
{
	struct sw_buf app = SW_BUF_INIT, rest = SW_BUF_INIT;
	struct sw_review rv = SW_REVIEW_INIT;
	enum MHD_Result r;
	int is_review, get = !strcmp(method, "GET") || !strcmp(method, "HEAD"), post = !strcmp(method, "POST");

	split(url, &app, &rest);
	if (!sw_app_ref_valid(app.ptr)) {
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status,
					 "invalid app name (want 3-30 of a-z, 0-9, '-', starting with a letter, not ending in '-')");
		goto cleanup;
	}
	is_review = sw_review_load(s->db, app.ptr, &rv) == 0;
	if (!is_review && !sw_app_exists(s->cfg, app.ptr)) {
		r = sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no such app: %s", app.ptr);
		goto cleanup;
	}
	if (!strcmp(rest.ptr, "sync-config")) {
		if (!post)
			r = sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
		else if (!is_review)
			r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "%s is not a review app: sync-config copies"
						 " an app's config into one of its review apps (-a APP-BRANCH)", app.ptr);
		else if (!rv.active)
			r = sw_reply_error(c, MHD_HTTP_CONFLICT, status, "review app %s was destroyed (%s)", app.ptr,
						 rv.destroyed_reason ? rv.destroyed_reason : "");
		else
			r = sync_config(s, c, &rv, user, status);
		goto cleanup;
	}
	if (is_review) {
		r = sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status, "%s is a review app of %s: review apps are an"
					 " app's own (use -a %s)", app.ptr, rv.parent, rv.parent);
		goto cleanup;
	}
	if (!strcmp(rest.ptr, "reviews") && get)
		r = list(s, c, app.ptr, status);
	else if (!strcmp(rest.ptr, "reviews/settings") && post)
		r = settings(s, c, app.ptr, body, user, status);
	else
		r = sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
cleanup:
	sw_review_release(&rv);
	sw_buf_release(&app);
	sw_buf_release(&rest);
	return r;
}

