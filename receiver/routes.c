#include <string.h>

#include "receiver/routes.h"
#include "receiver/api_apps.h"
#include "receiver/api_builds.h"
#include "receiver/api_events.h"
#include "receiver/api_logs.h"
#include "receiver/api_releases.h"
#include "receiver/api_reviews.h"
#include "receiver/api_settings.h"
#include "receiver/api_tasks.h"
#include "receiver/api_tokens.h"
#include "receiver/api_webhooks.h"
#include "receiver/app.h"
#include "receiver/dashboard.h"
#include "receiver/hook_jobs.h"
#include "receiver/reply.h"
#include "receiver/request.h"
#include "common/error.h"
#include "common/banned.h"

#define MAX_OPERATION_SEGMENTS 7
#define MAX_LOOKUP_SEGMENTS 6

/* The requests of any method under /api/v1/ that the nouns below answer (the rest are GETs). */
static int is_operation(const char *url, const char *method)
{
	char store[512];
	const char *seg[MAX_OPERATION_SEGMENTS];
	int n;

	if (strncmp(url, "/api/v1/", 8))
		return 0;
	n = sw_request_split(url + 8, store, sizeof(store), seg, MAX_OPERATION_SEGMENTS);
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
	if (n == 3 && (!strcmp(seg[2], "ps") || !strcmp(seg[2], "run") || !strcmp(seg[2], "logs") ||
		       !strcmp(seg[2], "settings")))
		return 1;
	if (!strcmp(seg[2], "builds") && n == 5 && !strcmp(seg[4], "cancel"))
		return 1;
	return 0;
}

static enum MHD_Result operation(struct sw_server *s, struct MHD_Connection *c, const char *url, const char *method,
				  const struct sw_buf *body, const char *user, unsigned *status)
{
	char store[512];
	const char *seg[MAX_OPERATION_SEGMENTS];
	const char *app;
	int n, known;

	n = sw_request_split(url + 8, store, sizeof(store), seg, MAX_OPERATION_SEGMENTS);
	if (n <= 0)
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
	if (!strcmp(seg[0], "tokens"))
		return sw_api_tokens_handle(s, c, method, seg, n, body, user, status);
	if (!strcmp(seg[0], "builds")) {
		if (strcmp(method, "POST"))
			return sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
		return sw_api_builds_cancel(s, c, NULL, seg[1], user, status);
	}
	if (n == 1)
		return sw_api_apps_create(s, c, body, user, status);
	app = seg[1];
	if (!sw_app_ref_valid(app))   /* review apps have longer names */
		return sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status,
					    "invalid app name (want 3-30 of a-z, 0-9, '-', starting with a letter)");
	if (n == 2)
		return sw_api_apps_destroy(s, c, app, user, status);
	known = sw_app_known(s->db, app);
	if (known < 0)
		return sw_reply_db_error(c, status);
	if (!known)
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no such app: %s", app);
	if (!strcmp(seg[2], "events")) {
		if (n != 3)
			return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
		if (strcmp(method, "GET"))
			return sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
		return sw_api_events_get(s, c, app, status);
	}
	if (!strcmp(seg[2], "webhooks"))
		return sw_api_webhooks_handle(s, c, method, seg, n, app, body, user, status);
	/* ps, run, logs: api_tasks.h, api_logs.h */
	if (n == 3 && !strcmp(seg[2], "ps"))
		return strcmp(method, "GET") ? sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed")
					     : sw_api_tasks_ps(s, c, app, status);
	if (n == 3 && !strcmp(seg[2], "run"))
		return strcmp(method, "POST") ? sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed")
					      : sw_api_tasks_run(s, c, app, body, user, status);
	if (n == 3 && !strcmp(seg[2], "settings"))
		return sw_api_settings_handle(s, c, method, app, body, user, status);
	if (n == 3 && !strcmp(seg[2], "logs"))
		return strcmp(method, "GET") ? sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed")
					     : sw_api_logs_get(s, c, app, status);
	if (!strcmp(seg[2], "builds") && n == 5) {
		if (strcmp(method, "POST"))
			return sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
		return sw_api_builds_cancel(s, c, app, seg[3], user, status);
	}
	return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
}

/* The GETs: apps, an app, its builds, a build and its log. */
static enum MHD_Result lookup(struct sw_server *s, struct MHD_Connection *c, const char *url, const char *method,
			      unsigned *status)
{
	char store[512];
	const char *seg[MAX_LOOKUP_SEGMENTS];
	const char *app = NULL;
	int n, rc;

	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
	n = sw_request_split(url + 8, store, sizeof(store), seg, MAX_LOOKUP_SEGMENTS);
	if (n <= 0)
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
	if (!strcmp(seg[0], "apps") && n == 1)
		return sw_api_apps_list(s, c, status);
	if (!strcmp(seg[0], "apps")) {
		app = seg[1];
		if (!sw_app_ref_valid(app))   /* review apps have longer names */
			return sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status,
					      "invalid app name (want 3-30 of a-z, 0-9, '-', starting with a letter)");
		rc = sw_app_known(s->db, app);
		if (rc < 0)
			return sw_reply_db_error(c, status);
		if (!rc)
			return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "no such app: %s", app);
		if (n == 2)
			return sw_api_apps_show(s, c, app, status);
		if (strcmp(seg[2], "builds"))
			return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
		if (n == 3)
			return sw_api_builds_list(s, c, app, status);
		/* apps/<app>/builds/<id>[/log] is builds/<id>[/log] of app */
		seg[0] = "builds";
		seg[1] = seg[3];
		if (n == 5)
			seg[2] = seg[4];
		n -= 2;
	}
	if (!strcmp(seg[0], "builds") && (n == 2 || n == 3))
		return sw_api_builds_get(s, c, app, seg[1], n == 3 ? seg[2] : NULL, status);
	return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
}

/* An authenticated request under /api/v1/ (user: the token's name), to the noun that answers it. */
static enum MHD_Result route(struct sw_server *s, struct MHD_Connection *c, const char *url, const char *method,
			     const struct sw_buf *body, const char *user, unsigned *status)
{
	if (sw_api_reviews_match(url, method))
		return sw_api_reviews_handle(s, c, url, method, body, user, status);
	if (sw_api_releases_match(url))
		return sw_api_releases_handle(s, c, url, method, body, user, status);
	if (is_operation(url, method))
		return operation(s, c, url, method, body, user, status);
	return lookup(s, c, url, method, status);
}

enum MHD_Result sw_routes_handle(struct sw_server *s, struct MHD_Connection *c, const char *url, const char *method,
				 const struct sw_buf *body, unsigned *status)
{
	struct sw_buf user = SW_BUF_INIT;
	enum MHD_Result ret;
	int rc;

	if (!strcmp(url, "/internal/v1/jobs")) {
		if (strcmp(method, "POST"))
			return sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
		return sw_hook_jobs_handle(s, c, body, status);
	}
	if (strncmp(url, "/api/v1/", 8))
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
	if (!strcmp(url, "/api/v1/health")) {
		if (strcmp(method, "GET") && strcmp(method, "HEAD"))
			return sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed");
		return sw_reply(c, MHD_HTTP_OK, "application/json", "{\"ok\":true}\n", 12, status);
	}
	if (sw_dashboard_api_match(url))   /* sign-in links and the session: dashboard.h */
		return sw_dashboard_api(s, c, url, method, status);
	/* a token, or the dashboard's session cookie (acting as the same user) */
	if ((rc = sw_dashboard_authenticate(s, c, method, &user)) < 0) {
		sw_buf_release(&user);
		if (rc == SW_EAUTH)
			return sw_reply_unauthorized(c, 1, sw_error_last(), status);
		if (rc == SW_EINVAL)
			return sw_reply_error(c, MHD_HTTP_FORBIDDEN, status, "%s", sw_error_last());
		return sw_reply_db_error(c, status);
	}
	ret = route(s, c, url, method, body, user.ptr, status);
	sw_buf_release(&user);
	return ret;
}
