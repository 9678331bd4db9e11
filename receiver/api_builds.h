#ifndef SW_API_BUILDS_H
#define SW_API_BUILDS_H

#include <sqlite3.h>
#include <jansson.h>
#include <microhttpd.h>

#include "common/buf.h"
#include "receiver/server.h"

/*
 * Builds (every job: pushes, and release commands, which are jobs too) over the API.
 * A job has the app's number (#1 is an app's first job; pushes and release commands
 * are counted together) and a server-wide id; under apps/<app>/ a job is named by its
 * number, under builds/ by its id (what scripts used before jobs had numbers):
 *   GET  /api/v1/apps/<app>/builds[?kind=build|release]   {"builds": [build...]} newest
 *        first, at most 100: every job, or the pushes only, or the release commands only
 *   GET  /api/v1/apps/<app>/builds/<N>         build
 *   GET  /api/v1/apps/<app>/builds/<N>/log     text/plain; ?follow=1 streams until the job
 *        ends; asked with Accept: text/event-stream, server-sent events: "line" ({"line"}),
 *        then "end" (the build) (receiver/stream.h)
 *   GET  /api/v1/apps/<app>/builds/<N>/rollout  the rollout watcher's records, one per poll
 *        (releaser/rollout.h: sw_rollout_record), NDJSON, or server-sent events "rollout"
 *        then "end" with Accept: text/event-stream; ?follow=1 (events always) until the
 *        job ends
 *   GET  /api/v1/builds/<id>, /api/v1/builds/<id>/log   the same by id
 *   POST /api/v1/apps/<app>/builds/<N>/cancel, /api/v1/builds/<id>/cancel
 *        → 202 {"build": id, "number": N, "status": "cancelling"|"cancelled",
 *        "cancelled_by"}; 409 when it is over (receiver/job.h: sw_jobs_cancel)
 *   build = {"id", "number", "app", "ref", "branch", "commit",
 *            "status": queued|running|succeeded|failed|cancelled,
 *            "failed_stage": build|release|null (which part failed: the image build or
 *            the release), "reason", "image", "digest", "size", "reused", "push_options",
 *            "created_at", "started_at", "finished_at", "duration",
 *            "pushed_by", "cancelled_by", "detached",
 *            "kind": build|rollback|config|scale, "release": N|null (the release it made),
 *            "release_status": that release's status now ("superseded": it went live, a
 *            later one is live now; it may have gone live after
 *            the job was interrupted: its rollout resumes at start), "summary": one line
 *            for people ("v3 live", "build failed: ...", "release v4 failed: ...")}
 *   (times ISO 8601 UTC or null)
 */

/* The columns sw_api_builds_row() reads, for "SELECT " SW_BUILD_COLUMNS " FROM builds ...". */
#define SW_BUILD_COLUMNS "id, app, ref, commit_sha, status, reason, image, digest, size, reused, options," \
	" created_at, started_at, finished_at, pushed_by, cancelled_by, detached, kind," \
	" COALESCE(release_version, (SELECT MAX(r.version) FROM releases r WHERE r.app = builds.app" \
	"  AND r.job_id = builds.id)), number, failed_stage," \
	" (SELECT CASE WHEN r.status = 'live' AND EXISTS (SELECT 1 FROM releases n WHERE n.app = r.app" \
	"  AND n.status = 'live' AND n.version > r.version) THEN 'superseded' ELSE r.status END" \
	"  FROM releases r WHERE r.app = builds.app AND r.job_id = builds.id ORDER BY r.version DESC LIMIT 1)"

/* The current row of st (SW_BUILD_COLUMNS) as build JSON. New reference. */
json_t *sw_api_builds_row(sqlite3_stmt *st);

/*
 * A build as JSON, or NULL (SW_ENOTFOUND) when there is none: app's number n (app not
 * NULL), or the one with id n (app NULL).
 */
json_t *sw_api_builds_load(sqlite3 *db, long n, const char *app);

/* GET app's builds (app exists). */
enum MHD_Result sw_api_builds_list(struct sw_server *s, struct MHD_Connection *c, const char *app, unsigned *status);

/*
 * GET build id (app's number id, or of any app by id when app is NULL): tail NULL for the
 * build, "log" for its log, "rollout" for its rollout records.
 */
enum MHD_Result sw_api_builds_get(struct sw_server *s, struct MHD_Connection *c, const char *app, const char *id,
				  const char *tail, unsigned *status);

/* POST .../builds/<id>/cancel (app may be NULL). */
enum MHD_Result sw_api_builds_cancel(struct sw_server *s, struct MHD_Connection *c, const char *app, const char *id,
				     const char *user, unsigned *status);

#endif
