#ifndef SW_DASHBOARD_H
#define SW_DASHBOARD_H

#include <microhttpd.h>

#include "common/buf.h"
#include "receiver/roles.h"
#include "receiver/server.h"

/*
 * The web dashboard: one page whose script (receiver/dashboard/, built into slipwayd)
 * draws every view from the JSON API, which it calls with the session cookie instead of
 * a token, and the sign-in around it (sessions and tickets: session.h).
 *   GET  /                       the page
 *   GET  /assets/<name>          its script, style sheet and icon (ETag; 304 when unchanged)
 *   GET  /login?ticket=T         a ticket from `slipway dashboard` → 303 to / with the
 *                                session cookie (HttpOnly, SameSite=Strict, Path=/, Secure
 *                                when slipwayd serves TLS); a bad ticket: 403, one line
 *   POST /logout                 X-CSRF-Token: the session's → 204, the session ended
 *                                server-side and the cookie cleared
 *   POST /api/v1/dashboard/tickets   a token caller only (not a session) →
 *                                201 {"ticket", "path": "/login?ticket=...", "expires_in": 60}
 *   GET  /api/v1/session[?app=APP]   the session: {"user", "csrf", "idle_timeout",
 *                                "max_age", "role": what it may do on APP (read, deploy,
 *                                operate, admin, none; on the server: admin or none), for
 *                                the page to show or hide controls; the API decides}
 * Every page and asset answer carries Content-Security-Policy default-src 'self' (no
 * inline script or style, nothing from elsewhere), X-Content-Type-Options nosniff,
 * Referrer-Policy no-referrer (the ticket is in /login's URL) and frame-ancestors 'none'.
 */

#define SW_DASHBOARD_COOKIE "slipway_session"

/* 1 when url is one of the dashboard's own paths (not under /api/). */
int sw_dashboard_serves(const char *url);

/* Answer one of those (its body, bounded, is ignored). */
enum MHD_Result sw_dashboard_handle(struct sw_server *s, struct MHD_Connection *c, const char *url, const char *method,
				    unsigned *status);

/* 1 when url is one of the dashboard's /api/v1 paths (tickets, session). */
int sw_dashboard_api_match(const char *url);

/* Answer one of those. */
enum MHD_Result sw_dashboard_api(struct sw_server *s, struct MHD_Connection *c, const char *url, const char *method,
				 unsigned *status);

/*
 * Who asks an /api/v1 request: the token of its Authorization header, else its session
 * cookie, as the same principal (a session acts as the token it was signed in with, its
 * user limited as that token is, never more: routes.c then checks its role as it checks
 * a token's). A cookie request other than GET or HEAD must carry the session's CSRF
 * token in X-CSRF-Token. 0 with who acts in p; SW_EAUTH (401: no credential, a bad
 * token, an expired session or token), SW_EINVAL (403: a change without the session's
 * CSRF token), SW_ERROR (the store failed); one line each.
 */
int sw_dashboard_authenticate(struct sw_server *s, struct MHD_Connection *c, const char *method, struct sw_principal *p);

#endif
