#ifndef SW_API_BUILDS_H
#define SW_API_BUILDS_H

#include <sqlite3.h>
#include <jansson.h>
#include <microhttpd.h>

#include "common/buf.h"
#include "receiver/server.h"

/*
 * Builds (every job: pushes, and release commands, which are jobs too) over the API:
 *   GET  /api/v1/apps/<app>/builds             {"builds": [build...]}  newest first, at most 100
 *   GET  /api/v1/apps/<app>/builds/<id>        build
 *   GET  /api/v1/apps/<app>/builds/<id>/log    text/plain; ?follow=1 streams until the job ends
 *   GET  /api/v1/builds/<id>, /api/v1/builds/<id>/log   the same without the app
 *   POST /api/v1/apps/<app>/builds/<id>/cancel, /api/v1/builds/<id>/cancel
 *        → 202 {"build": 12, "status": "cancelling"|"cancelled", "cancelled_by"}; 409 when
 *        it is over (receiver/job.h: sw_jobs_cancel)
 *   build = {"id", "app", "ref", "branch", "commit",
 *            "status": queued|running|succeeded|failed|cancelled,
 *            "reason", "image", "digest", "size", "reused", "push_options",
 *            "created_at", "started_at", "finished_at", "duration",
 *            "pushed_by", "cancelled_by", "detached",
 *            "kind": build|rollback|config|scale, "release": N|null}
 *   (times ISO 8601 UTC or null)
 */

/* The columns sw_api_builds_row() reads, for "SELECT " SW_BUILD_COLUMNS " FROM builds ...". */
#define SW_BUILD_COLUMNS "id, app, ref, commit_sha, status, reason, image, digest, size, reused, options," \
	" created_at, started_at, finished_at, pushed_by, cancelled_by, detached, kind, release_version"

/* The current row of st (SW_BUILD_COLUMNS) as build JSON. New reference. */
json_t *sw_api_builds_row(sqlite3_stmt *st);

/* Build id (of app, when app is not NULL) as JSON, or NULL (SW_ENOTFOUND) when there is none. */
json_t *sw_api_builds_load(sqlite3 *db, long id, const char *app);

/* GET app's builds (app exists). */
enum MHD_Result sw_api_builds_list(struct sw_server *s, struct MHD_Connection *c, const char *app, unsigned *status);

/* GET build id (of app, or of any app when app is NULL): tail NULL for the build, "log" for its log. */
enum MHD_Result sw_api_builds_get(struct sw_server *s, struct MHD_Connection *c, const char *app, const char *id,
				  const char *tail, unsigned *status);

/* POST .../builds/<id>/cancel (app may be NULL). */
enum MHD_Result sw_api_builds_cancel(struct sw_server *s, struct MHD_Connection *c, const char *app, const char *id,
				     const char *user, unsigned *status);

#endif
