#ifndef SW_API_APPS_H
#define SW_API_APPS_H

#include <microhttpd.h>

#include "common/buf.h"
#include "receiver/roles.h"
#include "receiver/server.h"

/*
 * Apps over the API; user is the token's name (who created or destroyed):
 *   GET    /api/v1/apps              {"apps": [app...]}   the apps p has a role on (destroyed
 *                                    review apps are left out)
 *   GET    /api/v1/apps/<app>        app
 *   POST   /api/v1/apps  {"name"}    → 201 {"name", "git_url", "created_by"}
 *   DELETE /api/v1/apps/<app>?confirm=<app>   → {"app", "removed": ["repository", ...]}
 *          everything of the app goes: its review apps, its cloud side (the releaser's
 *          teardown: services, task definitions, target group and rule, images, log
 *          group), its repository, builds and their logs, releases, webhooks and their
 *          deliveries, events (an app.destroyed event is kept). 409 while it has a
 *          queued or running job.
 *   app = {"name", "created_at", "review": ...|null,
 *          "last_build": the newest push's build|null (api_builds.h; release commands are
 *          jobs of their own, in "last_job"), "last_job": the newest job of any kind|null,
 *          "live_release": {"version", "commit", "description", "created_at",
 *          "created_by"}|null, "state": "deploying" (a job is queued or running, or a
 *          release is), "failed" (the newest job failed: the live release, if any, still
 *          serves), "live", "built" (builds only: no releaser), or "new" (nothing yet),
 *          "settings": {"task_role": "arn..."|null} (api_settings.h)}
 */
enum MHD_Result sw_api_apps_list(struct sw_server *s, struct MHD_Connection *c, const struct sw_principal *p,
				 unsigned *status);
enum MHD_Result sw_api_apps_show(struct sw_server *s, struct MHD_Connection *c, const char *app, unsigned *status);
enum MHD_Result sw_api_apps_create(struct sw_server *s, struct MHD_Connection *c, const struct sw_buf *body,
				   const char *user, unsigned *status);
enum MHD_Result sw_api_apps_destroy(struct sw_server *s, struct MHD_Connection *c, const char *app, const char *user,
				    unsigned *status);

#endif
