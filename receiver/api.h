#ifndef SW_API_H
#define SW_API_H

#include <jansson.h>
#include <microhttpd.h>

#include "common/buf.h"
#include "receiver/server.h"

/*
 * The JSON API (Authorization: Bearer <token>, or Basic like git), all GET:
 *   /api/v1/health                            {"ok": true}            (no token needed)
 *   /api/v1/apps                              {"apps": [app...]}
 *   /api/v1/apps/<app>                        app
 *   /api/v1/apps/<app>/builds                 {"builds": [build...]}  newest first, at most 100
 *   /api/v1/apps/<app>/builds/<id>            build
 *   /api/v1/apps/<app>/builds/<id>/log        text/plain; ?follow=1 streams until the build ends
 *   /api/v1/builds/<id>, /api/v1/builds/<id>/log   the same without the app
 *   app   = {"name", "created_at", "last_build": build|null}
 *   build = {"id", "app", "ref", "branch", "commit",
 *            "status": queued|running|succeeded|failed|cancelled,
 *            "reason", "image", "digest", "size", "reused", "push_options",
 *            "created_at", "started_at", "finished_at", "duration",
 *            "pushed_by", "cancelled_by", "detached"}   (times ISO 8601 UTC or null)
 * More endpoints (POST/DELETE too): receiver/releases.h (the releaser's), receiver/ops.h.
 * Errors: {"error": "..."} with 400 (bad name or id), 401, 404, 405, 413.
 *
 * And the pre-receive hook's job request (loopback only, per-run secret):
 *   POST /internal/v1/jobs   Authorization: Bearer $SLIPWAY_HOOK_SECRET
 *   {"app", "ref", "old", "new", "object_dir", "alternate_dirs", "quarantine_path",
 *    "push_options": [...], "pusher": "<token name>"}
 *   With the push option "detach" the answer is one line, {"build": 12, "status":
 *   "queued", "detached": true}, and the job builds once the push landed.
 *   While the job is silent for SLIPWAY_QUIET_SECS, a {"line": "       ... still ..."}
 *   says what it waits for.
 *   → 200 application/x-ndjson, one JSON object a line, as things happen:
 *     {"build": 12, "status": "queued"}
 *     {"line": "-----> waiting for build 11 (started 8s ago)"}   each log line of the job
 *     {}                                                          keepalive (every 15 s of silence)
 *     {"build": 12, "status": "succeeded", "image": "...", "digest": "..."}   or
 *     {"build": 12, "status": "failed", "reason": "..."}                     (last line)
 *   A hook that disconnects before its job started drops the job.
 *   review apps (issue 8): ref may be any refs/heads/ branch; one other than main/master
 *   is a job of its review app (receiver/reviews.h), whose lines may come before the
 *   "queued" one; a deleted branch ("new" all zeros) destroys it. Those answers, and the
 *   refusals (over the limit, busy), are lines and a verdict without a build:
 *     {"line": "..."}...  {"status": "succeeded"} | {"status": "failed", "reason": "..."}
 */

/* Handle an /api/ or /internal/ request whose body (bounded) is in body; queues the response. */
enum MHD_Result sw_api_handle(struct sw_server *s, struct MHD_Connection *c, const char *url,
			      const char *method, const struct sw_buf *body, unsigned *status);

/* Copy s[0..n) to out (appended) with every invalid UTF-8 sequence replaced by '?'. */
void sw_api_utf8_clean(struct sw_buf *out, const char *s, size_t n);

/*
 * Split path "a/b/c" (after /api/v1/) into at most maxseg segments, copied into store
 * (seg[] points into it): their count, 0 for "", -1 for an empty part, too many parts or
 * a path longer than store.
 */
int sw_api_split(const char *path, char *store, size_t storelen, const char **seg, int maxseg);

/* A positive decimal id of at most 15 digits (s may be NULL): 0 with *id, else -1. */
int sw_api_parse_id(const char *s, long long *id);

/* Column col of st (epoch seconds) as an ISO 8601 UTC string, or JSON null. New reference. */
json_t *sw_api_iso_time(sqlite3_stmt *st, int col);

/* Append o as one compact JSON line ("...\n") to out; takes o's reference (NULL: nothing). */
void sw_api_json_line(struct sw_buf *out, json_t *o);

#endif
