#ifndef SW_REVIEW_APPS_H
#define SW_REVIEW_APPS_H

#include <jansson.h>
#include <microhttpd.h>

#include "common/buf.h"
#include "receiver/job.h"
#include "receiver/server.h"

/*
 * Review apps in slipwayd: every branch pushed to APP other than main/master
 * is deployed as an app of its own, APP-<slug> (names: releaser/review.h), from APP's
 * repository; deleting the branch destroys it.
 *
 * A push (the hook asks POST /internal/v1/jobs with the branch's ref, hook_jobs.h):
 *  - a new branch creates the review app: its name (the slug; with a hash when that
 *    name is taken), its row in apps, the config of APP's live release copied as it is
 *    now (later changes to APP's config stay out: `slipway review:sync-config`), event
 *    review_app.created. Refused with one line past APP's limit (SW_REVIEW_DEFAULT_LIMIT,
 *    SLIPWAY_REVIEW_LIMIT, or the app's own setting);
 *  - then the push is a job of the review app built from APP's repository (releases,
 *    tags review/<slug>/vN), which fails and rejects the push like any other; a failed
 *    deploy never destroys the review app;
 *  - deleting the branch destroys it: services scaled to 0 and deleted, task definitions
 *    deregistered, target group and rule, images and repository, log group
 *    (the releaser's teardown); its records stay as history (status destroyed); the
 *    push says what was removed. Refused while a build of it is queued or running;
 *  - with the releaser off, branches are only stored, as before.
 * A review app with no push for its parent's idle time (SLIPWAY_REVIEW_IDLE or the app's
 * setting, default never) is destroyed by a background sweep (every
 * SLIPWAY_REVIEW_SWEEP_SECS, default 300), with event review_app.destroyed.
 *
 * Their API is receiver/api_reviews.h.
 */

/*
 * The hook's job request (hook_jobs.h) for a branch other than main/master. req names
 * the parent app and the branch's ref. Returns 1 when it answered the request itself (*ret: the
 * branch was stored, deleted, or refused: ndjson lines and a verdict), 0 when req now
 * names the review app (req->app = app->ptr, req->repo_app = the parent) and the job is
 * to be queued, with say holding lines for the pusher before the job's own (one a line).
 */
int sw_review_apps_push(struct sw_server *s, struct MHD_Connection *c, struct sw_job_request *req, struct sw_buf *app,
			struct sw_buf *say, enum MHD_Result *ret, unsigned *status);

/*
 * apps:destroy of parent: its review apps go first (cloud side, then every record of
 * theirs, as the parent's go), what went appended to removed. 0, or negative with one
 * line (SW_EEXISTS when one of them has a build queued or running).
 */
int sw_review_apps_destroy_parent(struct sw_server *s, const char *parent, const char *user, json_t *removed);

/* 1 when app is a review app (active or destroyed) and *why says how to destroy it instead, else 0. */
int sw_review_apps_is_review(sqlite3 *db, const char *app, struct sw_buf *why);

/*
 * A git request (push when receive, else fetch) for app's own repository: 1 when app is
 * a review app (active or destroyed), which has none, with the line that says where its
 * code goes appended to why ("hello-x is a review app of hello (branch x): push the
 * branch to hello.git"); else 0. slipwayd answers it 403 and changes nothing.
 */
int sw_review_apps_git_refusal(sqlite3 *db, const char *app, int receive, struct sw_buf *why);

/* o (an app's JSON, api_apps.h) gets "review": sw_review_to_json() or null. */
void sw_review_apps_json(sqlite3 *db, const char *app, json_t *o);

/* The apps' URL the releaser prints ("http://{app}.localhost:5481"), NULL when it is off. */
const char *sw_review_apps_url(void);

/* The idle sweep's thread (after sw_server_start; s must outlive it). */
int sw_review_apps_start(struct sw_server *s);
void sw_review_apps_stop(void);

#endif
