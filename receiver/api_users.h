#ifndef SW_API_USERS_H
#define SW_API_USERS_H

#include <microhttpd.h>

#include "common/buf.h"
#include "receiver/roles.h"
#include "receiver/server.h"

/*
 * Users (receiver/users.h) and who has which role on an app (receiver/roles.h) over
 * the API; p is who asks (routes.c checked the role each needs):
 *   GET    /api/v1/users                      {"users": [...]}
 *   POST   /api/v1/users {"name", "admin"?}   → 201 {"user", "token", "admin"}: the user and
 *          its first token (named after it), shown this once
 *   DELETE /api/v1/users/<name>               its tokens revoked, its roles and keys gone
 *   GET    /api/v1/apps/<app>/access          {"app", "access": [{"user", "role", ...}], "admins"}
 *   POST   /api/v1/apps/<app>/access {"user", "role": "read"|"deploy"|"operate"}
 *   DELETE /api/v1/apps/<app>/access/<user>
 *   GET|POST /api/v1/keys, DELETE /api/v1/keys/<fingerprint>   the asker's SSH keys:
 *          {"key": "ssh-ed25519 AAAA... comment"} → 201 {"fingerprint", ...}; the
 *          fingerprint in a path may have '-' and '_' for base64's '+' and '/'
 * A review app has its parent's roles: its own access is refused with that line.
 */
int sw_api_users_match(const char *url);
enum MHD_Result sw_api_users_handle(struct sw_server *s, struct MHD_Connection *c, const char *url, const char *method,
				    const struct sw_buf *body, const struct sw_principal *p, unsigned *status);

#endif
