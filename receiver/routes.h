#ifndef SW_ROUTES_H
#define SW_ROUTES_H

#include <microhttpd.h>

#include "common/buf.h"
#include "receiver/roles.h"
#include "receiver/server.h"

/*
 * Which file answers which request of slipwayd's JSON API (every one but git's), and the
 * role each needs (the table `rules` in routes.c: a request no row matches is not served;
 * a refusal is 403 {"error": "forbidden: deploy role needed on hello (alice has read)"},
 * before anything changes):
 *   POST /internal/v1/jobs          the pre-receive hook asking for a job (hook_jobs.h)
 *   GET  /api/v1/health             {"ok": true} (no token needed)
 * and, authenticated (Authorization: Bearer <token>, or Basic like git; the token's user
 * is who acts, receiver/roles.h; or the dashboard's session cookie, dashboard.h, acting as
 * the token it was signed in with, a change carrying its CSRF token), under /api/v1/:
 *   apps, apps/<app>                          api_apps.h
 *   apps/<app>/builds..., builds/<id>...      api_builds.h
 *   apps/<app>/events                         api_events.h
 *   apps/<app>/webhooks...                    api_webhooks.h
 *   tokens...                                 api_tokens.h
 *   apps/<app>/ps, apps/<app>/run             api_tasks.h
 *   apps/<app>/logs                           api_logs.h
 *   apps/<app>/settings                       api_settings.h
 *   apps/<app>/releases|config|scale|rollback, doctor   api_releases.h
 *   apps/<app>/reviews..., apps/<app>/sync-config       api_reviews.h
 *   users..., keys..., apps/<app>/access...             api_users.h
 *   dashboard/tickets, session                          dashboard.h
 * Errors are {"error": "..."} with 400 (bad name or id), 401, 403, 404, 405, 409, 413.
 */

/* Answer an /api/ or /internal/ request whose body (bounded) is in body. */
enum MHD_Result sw_routes_handle(struct sw_server *s, struct MHD_Connection *c, const char *url, const char *method,
				 const struct sw_buf *body, unsigned *status);

/*
 * May p fetch (receive 0: read) or push (deploy) app over git, HTTP or SSH? A push to an
 * app that does not exist yet (exists 0) creates it: admin. 1 yes, 0 no with the line in
 * why, SW_ERROR.
 */
int sw_routes_git_check(struct sw_server *s, const struct sw_principal *p, const char *app, int receive, int exists,
			struct sw_buf *why);

#endif
