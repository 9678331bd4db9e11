#ifndef SW_API_WEBHOOKS_H
#define SW_API_WEBHOOKS_H

#include <microhttpd.h>

#include "common/buf.h"
#include "receiver/server.h"

/*
 * An app's webhooks (receiver/webhook.h) over the API; user is the token's name:
 *   GET    /api/v1/apps/<app>/webhooks                 {"webhooks": [...]}
 *   POST   /api/v1/apps/<app>/webhooks  {"url", "events": "build.*,release.live"|""}
 *          → 201 {"webhook": {...}, "secret": "..."} (the secret is shown this once)
 *   DELETE /api/v1/apps/<app>/webhooks/<id>
 *   GET    /api/v1/apps/<app>/webhooks/deliveries[?webhook=ID][&limit=N]   {"deliveries": [...]}
 * seg (n of them) is the path after /api/v1/: "apps", <app>, "webhooks"[, ...].
 */
enum MHD_Result sw_api_webhooks_handle(struct sw_server *s, struct MHD_Connection *c, const char *method,
				       const char **seg, int n, const char *app, const struct sw_buf *body,
				       const char *user, unsigned *status);

#endif
