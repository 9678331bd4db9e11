#ifndef SW_API_SETTINGS_H
#define SW_API_SETTINGS_H

#include <microhttpd.h>

#include "common/buf.h"
#include "receiver/server.h"

/*
 * An app's own settings over the API (releaser/appsettings.h keeps them):
 *
 *   GET  /api/v1/apps/<app>/settings                {"app", "task_role": "arn..."|null}
 *   POST /api/v1/apps/<app>/settings  {"task_role": "arn:aws:iam::123456789012:role/NAME"}
 *        ("" or null removes it) → the settings as GET shows them; 400 with one line for
 *        anything else or a malformed ARN, nothing changed. Not a release: the next
 *        release of the app (push, config:set, rollback) runs with it.
 * user is the token's name (the server log says who changed what).
 */
enum MHD_Result sw_api_settings_handle(struct sw_server *s, struct MHD_Connection *c, const char *method,
				       const char *app, const struct sw_buf *body, const char *user, unsigned *status);

#endif
