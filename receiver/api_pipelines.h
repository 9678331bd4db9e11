#ifndef SW_API_PIPELINES_H
#define SW_API_PIPELINES_H

#include <microhttpd.h>

#include "common/buf.h"
#include "receiver/roles.h"
#include "receiver/server.h"

/*
 * Pipelines (receiver/pipeline.h) and promotion over the API (errors {"error": "..."}):
 *   GET    /api/v1/pipelines              {"pipelines": [{"name", "apps": [{"app", "stage"}]}]}
 *   POST   /api/v1/pipelines              {"app", "stage": "staging"|"production", "pipeline"?}
 *                                         (default pipeline "main") → 201 {"app", "pipeline", "stage"}
 *   DELETE /api/v1/pipelines/<app>        → {"app", "removed": true}
 *   POST   /api/v1/apps/<app>/promote     {"to"?, "version"?}: app's live release onto the
 *          next stage's app (or to), a release command of the target (releaser/command.h
 *          "promote"), streamed like POST .../rollback (api_releases.h). Refused (400, one
 *          line, nothing started) when there is no target, app has no live release, or
 *          version is not the live one; 403 when the caller has no deploy role on the
 *          target (the route table checks it on app).
 */

/* 1 when url is one of the endpoints above. */
int sw_api_pipelines_match(const char *url);
enum MHD_Result sw_api_pipelines_handle(struct sw_server *s, struct MHD_Connection *c, const char *url,
					const char *method, const struct sw_buf *body, const struct sw_principal *p,
					unsigned *status);

#endif
