#ifndef SW_API_TOKENS_H
#define SW_API_TOKENS_H

#include <microhttpd.h>

#include "common/buf.h"
#include "receiver/server.h"

/*
 * API tokens (receiver/auth.h) over the API; user is the name of the token the request
 * uses:
 *   GET    /api/v1/tokens            {"tokens": [{"name", "created_at", "count", "current"}]}
 *   POST   /api/v1/tokens {"name"}   → 201 {"token": {...}, "secret": "..."} (shown once)
 *   DELETE /api/v1/tokens/<name>     (not the one the request uses)
 * seg (n of them) is the path after /api/v1/: "tokens"[, <name>].
 */
enum MHD_Result sw_api_tokens_handle(struct sw_server *s, struct MHD_Connection *c, const char *method,
				     const char **seg, int n, const struct sw_buf *body, const char *user,
				     unsigned *status);

#endif
