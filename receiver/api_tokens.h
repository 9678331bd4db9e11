#ifndef SW_API_TOKENS_H
#define SW_API_TOKENS_H

#include <microhttpd.h>

#include "common/buf.h"
#include "receiver/roles.h"
#include "receiver/server.h"

/*
 * API tokens (receiver/auth.h) over the API; p is who asks (routes.c let it through):
 *   GET    /api/v1/tokens     the asker's live tokens (an admin's: everyone's):
 *          {"tokens": [{"user", "name", "created_at", "count", "app", "role", "expires_at",
 *           "last_used_at", "current"}]}
 *   POST   /api/v1/tokens {"name", "app"?, "role"?, "expires"?: "30d"}
 *          → 201 {"token": {...}, "secret": "..."} (shown once); a token of the asker, no
 *          stronger than they are (403 names the role it would need)
 *   DELETE /api/v1/tokens/<name>[?user=U]   revoke the asker's tokens called name (U's:
 *          admins only); not the one the request uses, not the last admin token (409)
 * seg (n of them) is the path after /api/v1/: "tokens"[, <name>].
 */
enum MHD_Result sw_api_tokens_handle(struct sw_server *s, struct MHD_Connection *c, const char *method,
				     const char **seg, int n, const struct sw_buf *body, const struct sw_principal *p,
				     unsigned *status);

#endif
