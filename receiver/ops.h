#ifndef SW_OPS_H
#define SW_OPS_H

#include <jansson.h>
#include <microhttpd.h>

#include "common/buf.h"
#include "receiver/server.h"

/*
 * The operating endpoints of the JSON API (issue 7), authenticated like the rest of
 * /api/v1 (api.c hands requests over after checking the token; user is the token's
 * name: who created, cancelled, revoked). Bodies are JSON objects; errors are
 * {"error": "..."} with 400 (bad input), 404 (no such app/build/webhook/token),
 * 405, 409 (conflict: exists, busy, already finished).
 *
 *   POST   /apps                          {"name"} → 201 app (api.h's shape)
 *   DELETE /apps/<app>?confirm=<app>      → {"app", "removed": ["repository", ...]}
 *          everything of the app goes: its ECS services, task definitions, target group
 *          and rule, images (sw_ops_teardown_releases), its repository, builds and their
 *          logs, releases, webhooks and their deliveries, events (an app.destroyed event
 *          is kept). 409 while it has a queued or running build.
 *   GET    /apps/<app>/events[?after=ID][&limit=N][&types=build.*,release.live][&follow=1]
 *          {"events": [event...]} oldest first (common/event.h's shape; the last N, 100);
 *          with follow=1: application/x-ndjson, one event a line as they happen ({} every
 *          15 s of quiet), until the client hangs up
 *   GET    /apps/<app>/webhooks                         {"webhooks": [...]}
 *   POST   /apps/<app>/webhooks  {"url", "events": "build.*,release.live"|""}
 *          → 201 {"webhook": {...}, "secret": "..."} (the secret is shown this once)
 *   DELETE /apps/<app>/webhooks/<id>
 *   GET    /apps/<app>/webhooks/deliveries[?webhook=ID][&limit=N]   {"deliveries": [...]}
 *   GET    /tokens                       {"tokens": [{"name", "created_at", "current"}]}
 *   POST   /tokens {"name"}              → 201 {"token": {...}, "secret": "..."} (once)
 *   DELETE /tokens/<name>                (not the one the request uses)
 *   POST   /apps/<app>/builds/<id>/cancel, /builds/<id>/cancel
 *          → 202 {"build": 12, "status": "cancelling"|"cancelled"}; 409 when finished
 *   GET    /apps/<app>/ps, POST /apps/<app>/run     receiver/tasks.h
 *   GET    /apps/<app>/logs                          receiver/applogs.h
 */

/* 1 when url (with method) is one of the above. */
int sw_ops_match(const char *url, const char *method);

enum MHD_Result sw_ops_handle(struct sw_server *s, struct MHD_Connection *c, const char *url, const char *method,
			      const struct sw_buf *body, const char *user, unsigned *status);

#endif
