#include <stdlib.h>
#include <string.h>

#include "receiver/routes.h"
#include "receiver/api_apps.h"
#include "receiver/api_builds.h"
#include "receiver/api_domains.h"
#include "receiver/api_events.h"
#include "receiver/api_logs.h"
#include "receiver/api_pipelines.h"
#include "receiver/api_releases.h"
#include "receiver/api_reviews.h"
#include "receiver/api_settings.h"
#include "receiver/api_tasks.h"
#include "receiver/api_tokens.h"
#include "receiver/api_webhooks.h"
#include "receiver/api_users.h"
#include "receiver/app.h"
#include "receiver/dashboard.h"
#include "receiver/hook_jobs.h"
#include "receiver/reply.h"
#include "receiver/request.h"
#include "common/error.h"
#include "common/store.h"
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
				  const struct sw_buf *body, const struct sw_principal *p, unsigned *status)
{
	char store[512];
	const char *seg[MAX_OPERATION_SEGMENTS];
	const char *app, *user = p->actor;
	int n, known;

	n = sw_request_split(url + 8, store, sizeof(store), seg, MAX_OPERATION_SEGMENTS);
	if (n <= 0)
		return sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
	if (!strcmp(seg[0], "tokens"))
		return sw_api_tokens_handle(s, c, method, seg, n, body, p, status);
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
					    "invalid app name (want 3-30 of a-z, 0-9, '-', starting with a letter, not ending in '-')");
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

/* The GETs: apps, an app, its builds, a build, its log and its rollout's records. */
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
	if (!strcmp(seg[0], "apps")) {
		app = seg[1];
		if (!sw_app_ref_valid(app))   /* review apps have longer names */
			return sw_reply_error(c, MHD_HTTP_BAD_REQUEST, status,
					      "invalid app name (want 3-30 of a-z, 0-9, '-', starting with a letter, not ending in '-')");
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
		/* apps/<app>/builds/<id>[/log|/rollout] is builds/<id>[/...] of app */
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

/* An authenticated request under /api/v1/ (p: who asks, allowed), to the noun that answers it. */
static enum MHD_Result route(struct sw_server *s, struct MHD_Connection *c, const char *url, const char *method,
			     const struct sw_buf *body, const struct sw_principal *p, unsigned *status)
{
	if (sw_api_users_match(url))
		return sw_api_users_handle(s, c, url, method, body, p, status);
	if (sw_api_reviews_match(url, method))
		return sw_api_reviews_handle(s, c, url, method, body, p->actor, status);
	if (sw_api_releases_match(url))
		return sw_api_releases_handle(s, c, url, method, body, p->actor, status);
	if (!strcmp(url, "/api/v1/apps") && (!strcmp(method, "GET") || !strcmp(method, "HEAD")))
		return sw_api_apps_list(s, c, p, status);
	if (sw_api_domains_match(url))
		return sw_api_domains_handle(s, c, url, method, body, p->actor, status);
	if (sw_api_pipelines_match(url))
		return sw_api_pipelines_handle(s, c, url, method, body, p, status);
	if (is_operation(url, method))
		return operation(s, c, url, method, body, p, status);
	return lookup(s, c, url, method, status);
}

/* ---- who may ask what ----------------------------------------------------------------- */

enum scope {
	ON_ANY,     /* anyone signed in (a token or a session), limited or not */
	ON_USER,    /* any user, about their own things (a write needs a token that is not limited) */
	ON_SERVER,  /* the role on the server (admin) */
	ON_APP,     /* the role on apps/<app> (the second segment) */
	ON_BUILD,   /* the role on the app of builds/<id> */
};

struct rule {
	const char *method;   /* GET also answers HEAD */
	const char *path;     /* under /api/v1/; "*" is one segment */
	enum sw_role need;
	enum scope on;
};

/*
 * Every request of the API and the role it needs (test/integration/receiver/test_roles.py
 * reads this table and asks each route as each role). A request no row matches is not
 * served (404, or 405 when a row of another method matches): a new route needs a row.
 */
static const struct rule rules[] = {
	{ "GET",    "apps",                          SW_ROLE_NONE,    ON_USER },   /* the apps the user has a role on */
	{ "POST",   "apps",                          SW_ROLE_ADMIN,   ON_SERVER },
	{ "GET",    "apps/*",                        SW_ROLE_READ,    ON_APP },
	{ "DELETE", "apps/*",                        SW_ROLE_ADMIN,   ON_SERVER },
	{ "GET",    "apps/*/builds",                 SW_ROLE_READ,    ON_APP },
	{ "GET",    "apps/*/builds/*",               SW_ROLE_READ,    ON_APP },
	{ "GET",    "apps/*/builds/*/log",           SW_ROLE_READ,    ON_APP },
	{ "GET",    "apps/*/builds/*/rollout",       SW_ROLE_READ,    ON_APP },    /* the watcher's records */
	{ "POST",   "apps/*/builds/*/cancel",        SW_ROLE_DEPLOY,  ON_APP },
	{ "GET",    "builds/*",                      SW_ROLE_READ,    ON_BUILD },
	{ "GET",    "builds/*/log",                  SW_ROLE_READ,    ON_BUILD },
	{ "GET",    "builds/*/rollout",              SW_ROLE_READ,    ON_BUILD },
	{ "POST",   "builds/*/cancel",               SW_ROLE_DEPLOY,  ON_BUILD },
	{ "GET",    "apps/*/events",                 SW_ROLE_READ,    ON_APP },
	{ "GET",    "apps/*/ps",                     SW_ROLE_READ,    ON_APP },
	{ "GET",    "apps/*/logs",                   SW_ROLE_READ,    ON_APP },
	{ "POST",   "apps/*/run",                    SW_ROLE_OPERATE, ON_APP },
	{ "GET",    "apps/*/releases",               SW_ROLE_READ,    ON_APP },
	{ "GET",    "apps/*/releases/*",             SW_ROLE_READ,    ON_APP },
	{ "POST",   "apps/*/rollback",               SW_ROLE_DEPLOY,  ON_APP },
	{ "GET",    "apps/*/config",                 SW_ROLE_OPERATE, ON_APP },
	{ "POST",   "apps/*/config",                 SW_ROLE_OPERATE, ON_APP },
	{ "POST",   "apps/*/scale",                  SW_ROLE_OPERATE, ON_APP },
	{ "GET",    "apps/*/deploy-settings",        SW_ROLE_READ,    ON_APP },
	{ "POST",   "apps/*/deploy-settings",        SW_ROLE_OPERATE, ON_APP },
	{ "GET",    "apps/*/settings",               SW_ROLE_READ,    ON_APP },
	{ "POST",   "apps/*/settings",               SW_ROLE_ADMIN,   ON_APP },    /* the IAM role its tasks run as */
	{ "GET",    "apps/*/webhooks",               SW_ROLE_OPERATE, ON_APP },
	{ "POST",   "apps/*/webhooks",               SW_ROLE_OPERATE, ON_APP },
	{ "DELETE", "apps/*/webhooks/*",             SW_ROLE_OPERATE, ON_APP },
	{ "GET",    "apps/*/webhooks/deliveries",    SW_ROLE_OPERATE, ON_APP },
	{ "GET",    "apps/*/reviews",                SW_ROLE_READ,    ON_APP },
	{ "POST",   "apps/*/reviews/settings",       SW_ROLE_OPERATE, ON_APP },
	{ "POST",   "apps/*/sync-config",            SW_ROLE_OPERATE, ON_APP },
	{ "GET",    "apps/*/domains",                SW_ROLE_READ,    ON_APP },
	{ "POST",   "apps/*/domains",                SW_ROLE_OPERATE, ON_APP },
	{ "DELETE", "apps/*/domains/*",              SW_ROLE_OPERATE, ON_APP },
	{ "GET",    "apps/*/certs",                  SW_ROLE_READ,    ON_APP },
	{ "POST",   "apps/*/certs",                  SW_ROLE_OPERATE, ON_APP },
	{ "DELETE", "apps/*/certs/*",                SW_ROLE_OPERATE, ON_APP },
	{ "POST",   "apps/*/routing",                SW_ROLE_OPERATE, ON_APP },    /* the HTTP to HTTPS redirect */
	{ "POST",   "apps/*/promote",                SW_ROLE_DEPLOY,  ON_APP },    /* and deploy on the target */
	{ "GET",    "pipelines",                     SW_ROLE_ADMIN,   ON_SERVER },
	{ "POST",   "pipelines",                     SW_ROLE_ADMIN,   ON_SERVER },
	{ "DELETE", "pipelines/*",                   SW_ROLE_ADMIN,   ON_SERVER },
	{ "GET",    "apps/*/access",                 SW_ROLE_READ,    ON_APP },
	{ "POST",   "apps/*/access",                 SW_ROLE_ADMIN,   ON_APP },
	{ "DELETE", "apps/*/access/*",               SW_ROLE_ADMIN,   ON_APP },
	{ "GET",    "doctor",                        SW_ROLE_ADMIN,   ON_SERVER },
	{ "GET",    "users",                         SW_ROLE_ADMIN,   ON_SERVER },
	{ "POST",   "users",                         SW_ROLE_ADMIN,   ON_SERVER },
	{ "DELETE", "users/*",                       SW_ROLE_ADMIN,   ON_SERVER },
	{ "GET",    "tokens",                        SW_ROLE_NONE,    ON_USER },   /* admins see everyone's */
	{ "POST",   "tokens",                        SW_ROLE_NONE,    ON_USER },   /* no stronger than its user */
	{ "DELETE", "tokens/*",                      SW_ROLE_NONE,    ON_USER },   /* ?user=: admin */
	{ "GET",    "keys",                          SW_ROLE_NONE,    ON_USER },
	{ "POST",   "keys",                          SW_ROLE_NONE,    ON_USER },
	{ "DELETE", "keys/*",                        SW_ROLE_NONE,    ON_USER },
	/* dashboard.h answers these two itself, before the others are authenticated */
	{ "POST",   "dashboard/tickets",             SW_ROLE_NONE,    ON_ANY },    /* a token's: its session acts as it */
	{ "GET",    "session",                       SW_ROLE_NONE,    ON_ANY },    /* the session cookie's */
};

/* Does the path (segments) match the rule's pattern? */
static int path_matches(const char *pattern, const char **seg, int n)
{
	char store[128];
	const char *pat[MAX_OPERATION_SEGMENTS];
	int np = sw_request_split(pattern, store, sizeof(store), pat, MAX_OPERATION_SEGMENTS), i;

	if (np != n)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(pat[i], "*") && strcmp(pat[i], seg[i]))
			return 0;
	return 1;
}

/* The app of build id (into app, "" when there is no such build). */
static int build_app(sqlite3 *db, const char *id, struct sw_buf *app)
{
	sqlite3_stmt *st = NULL;
	long long n = 0;
	int rc;

	if (sw_request_id(id, &n) < 0)
		return 0;
	if (sw_store_prepare(db, &st, "SELECT app FROM builds WHERE id = ?") < 0)
		return SW_ERROR;
	sqlite3_bind_int64(st, 1, n);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		sw_buf_adds(app, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sw_store_error(db, "read builds");
}

/*
 * May p make this request? NULL when yes; else the request is answered (*ret): 403 with
 * one line naming the role needed, 404 or 405 for what no rule knows, 500.
 */
static int authorize(struct sw_server *s, struct MHD_Connection *c, const char *url, const char *method,
		     const struct sw_principal *p, enum MHD_Result *ret, unsigned *status)
{
	char store[512];
	const char *seg[MAX_OPERATION_SEGMENTS];
	const char *m = strcmp(method, "HEAD") ? method : "GET";
	const struct rule *rule = NULL, *other = NULL;
	struct sw_buf why = SW_BUF_INIT, app = SW_BUF_INIT;
	int n = sw_request_split(url + 8, store, sizeof(store), seg, MAX_OPERATION_SEGMENTS), ok = 1;
	size_t i;

	for (i = 0; n > 0 && i < sizeof(rules) / sizeof(rules[0]) && !rule; i++)
		if (path_matches(rules[i].path, seg, n)) {
			if (!strcmp(rules[i].method, m))
				rule = &rules[i];
			else
				other = &rules[i];
		}
	if (!rule) {
		*ret = other ? sw_reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, status, "method not allowed")
			     : sw_reply_error(c, MHD_HTTP_NOT_FOUND, status, "not found");
		return 1;
	}
	switch (rule->on) {
	case ON_ANY:
		break;
	case ON_USER:
		ok = strcmp(m, "GET") && sw_principal_limited(p) ? 0 : 1;
		if (!ok && p->scope_app[0])
			sw_buf_addf(&why, "this token is for %s only: manage tokens and keys with one of your own that"
				    " is not limited", p->scope_app);
		else if (!ok)
			sw_buf_addf(&why, "this token is limited to %s: manage tokens and keys with one of your own that"
				    " is not limited", sw_role_name(p->scope_role));
		break;
	case ON_SERVER:
		ok = sw_roles_check(s->db, p, NULL, rule->need, &why);
		break;
	case ON_APP:
		ok = sw_roles_check(s->db, p, seg[1], rule->need, &why);
		break;
	case ON_BUILD:
		ok = build_app(s->db, seg[1], &app);
		if (ok == 0 && !app.len)   /* no such build: admins hear 404 from the builds, others 403 */
			ok = p->admin && !sw_principal_limited(p) ? 1 : 0;
		else if (ok == 0)
			ok = sw_roles_check(s->db, p, app.ptr, rule->need, &why);
		if (ok == 0 && !why.len)
			sw_buf_addf(&why, "%s role needed on the app of build %.20s", sw_role_name(rule->need), seg[1]);
		break;
	}
	if (ok < 0)
		*ret = sw_reply_db_error(c, status);
	else if (!ok)
		*ret = sw_reply_error(c, MHD_HTTP_FORBIDDEN, status, "forbidden: %s", why.ptr);
	sw_buf_release(&why);
	sw_buf_release(&app);
	return ok <= 0;
}

int sw_routes_git_check(struct sw_server *s, const struct sw_principal *p, const char *app, int receive, int exists,
			struct sw_buf *why)
{
	int rc;

	/* a push to an app that is not there creates it: that is apps:create's role */
	if (receive && !exists) {
		rc = sw_roles_check(s->db, p, NULL, SW_ROLE_ADMIN, why);
		if (rc == 0) {
			struct sw_buf line = SW_BUF_INIT;
			sw_buf_addf(&line, "%s: no app %s yet, and a push that creates one needs the admin role", why->ptr, app);
			sw_buf_reset(why);
			sw_buf_adds(why, line.ptr);
			sw_buf_release(&line);
		}
		return rc;
	}
	return sw_roles_check(s->db, p, app, receive ? SW_ROLE_DEPLOY : SW_ROLE_READ, why);
}

enum MHD_Result sw_routes_handle(struct sw_server *s, struct MHD_Connection *c, const char *url, const char *method,
				 const struct sw_buf *body, unsigned *status)
{
	struct sw_principal p;
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
	/* a token, or the dashboard's session cookie (acting as its token) */
	if ((rc = sw_dashboard_authenticate(s, c, method, &p)) < 0) {
		if (rc == SW_EAUTH)
			return sw_reply_unauthorized(c, 1, sw_error_last(), status);
		if (rc == SW_EINVAL)
			return sw_reply_error(c, MHD_HTTP_FORBIDDEN, status, "%s", sw_error_last());
		return sw_reply_db_error(c, status);
	}
	if (authorize(s, c, url, method, &p, &ret, status))
		return ret;
	return route(s, c, url, method, body, &p, status);
}
