#ifndef SW_HOOK_JOBS_H
#define SW_HOOK_JOBS_H

#include <microhttpd.h>

#include "common/buf.h"
#include "common/strvec.h"
#include "receiver/roles.h"
#include "receiver/server.h"

/*
 * The pre-receive hook's job request (hooks/relay.h is the other side), loopback only,
 * authenticated by the per-run secret:
 *   POST /internal/v1/jobs   Authorization: Bearer $SLIPWAY_HOOK_SECRET
 *   {"app", "ref", "old", "new", "object_dir", "alternate_dirs", "quarantine_path",
 *    "push_options": [...], "pusher": "alice (token ci)", "user": "alice", "token": 17}
 *   The pusher (their token by id, or with "token": 0 the user of an SSH key) must have
 *   the deploy role on the app now: else 403 with the line naming it.
 *   A hook that lost slipwayd (it restarted) asks again with the same request plus
 *   "build": <the id it was told> and "at": <the "at" of the last line it relayed>:
 *   the answer follows that job (the same app and commit, else 404) from there on, its
 *   verdict included, whichever slipwayd ran it. Asked again without "build" (the first
 *   answer never came), a job of the same push still queued or running is followed
 *   instead of a new one.
 *   With the push option "detach" the answer is one line, {"build": 12, "status":
 *   "queued", "detached": true}, and the job builds once the push landed.
 *   While the job is silent for SLIPWAY_QUIET_SECS, a {"line": "       ... still ..."}
 *   says what it waits for.
 *   → 200 application/x-ndjson, one JSON object a line, as things happen:
 *     {"build": 12, "status": "queued"}
 *     {"line": "-----> waiting for build 11 (started 8s ago)", "at": 61}   each log line of
 *                                                 the job, "at": the log's offset after it
 *     {}                                                          keepalive (every 15 s of silence)
 *     {"build": 12, "status": "succeeded", "image": "...", "digest": "..."}   or
 *     {"build": 12, "status": "failed", "reason": "..."}                     (last line)
 *   A hook that disconnects before its job started drops the job.
 *   ref may be any refs/heads/ branch: one other than main/master is a job of its review
 *   app (receiver/review_apps.h), whose lines may come before the "queued" one; a
 *   deleted branch ("new" all zeros) destroys it. Those answers, and the refusals (over
 *   the limit, busy), are lines and a verdict without a build:
 *     {"line": "..."}...  {"status": "succeeded"} | {"status": "failed", "reason": "..."}
 *   Errors before a job: {"error": "..."} with 400, 401, 403, 404, 503.
 */
/*
 * The environment git (http-backend or receive-pack) runs with for a request of app by
 * p, so that its pre-receive hook asks for jobs as p: REMOTE_USER (p's actor),
 * SLIPWAY_PUSHER_USER and SLIPWAY_PUSHER_TOKEN, SLIPWAY_URL, SLIPWAY_HOOK_SECRET,
 * SLIPWAY_APP, SLIPWAY_HOOK_TIMEOUT, and git's own settings. Appended to env.
 */
void sw_hook_jobs_env(struct sw_server *s, const char *app, const struct sw_principal *p, struct sw_strvec *env);

enum MHD_Result sw_hook_jobs_handle(struct sw_server *s, struct MHD_Connection *c, const struct sw_buf *body,
				    unsigned *status);

#endif
