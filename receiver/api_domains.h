#ifndef SW_API_DOMAINS_H
#define SW_API_DOMAINS_H

#include <microhttpd.h>

#include "common/buf.h"
#include "receiver/server.h"

/*
 * An app's custom domains (releaser/domains.h, route.h) over the API (errors
 * {"error": "..."}; a refused one is a 400 or 409 with one line, nothing changed):
 *   GET    /api/v1/apps/<app>/domains         {"app", "default": "APP.<apps domain>", "domains": [host...]}
 *   POST   /api/v1/apps/<app>/domains         {"host"} → 201 {"app", "host", "added": true|false}
 *   DELETE /api/v1/apps/<app>/domains/<host>  → {"app", "host", "removed": true}
 * and their certificates (releaser/certs.h) and the HTTP to HTTPS redirect (route.h):
 *   GET    /api/v1/apps/<app>/certs           {"app", "certs": [{"host", "arn", "not_after"}], "https_redirect"}
 *   POST   /api/v1/apps/<app>/certs           {"host", "cert": PEM (chain after it), "key": PEM} → 201
 *   DELETE /api/v1/apps/<app>/certs/<host>    → {"app", "host", "removed": true}
 *   POST   /api/v1/apps/<app>/routing         {"https_redirect": true|false}
 */

/* 1 when url is one of the endpoints above. */
int sw_api_domains_match(const char *url);
enum MHD_Result sw_api_domains_handle(struct sw_server *s, struct MHD_Connection *c, const char *url,
				      const char *method, const struct sw_buf *body, const char *user,
				      unsigned *status);

#endif
