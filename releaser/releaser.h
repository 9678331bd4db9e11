#ifndef SW_RELEASER_H
#define SW_RELEASER_H

#include <sqlite3.h>

#include <jansson.h>

#include "releaser/push.h"
#include "releaser/push_target.h"
#include "releaser/runenv.h"
#include "common/cancel.h"

/*
 * The releaser as slipwayd runs it (one per process):
 *  - the AWS client and the settings (releaser/settings.h), made at start from the
 *    environment and the bootstrap stack's outputs. AWS configuration follows the SDKs; when none is given and
 *    $SLIPWAY_HOME/aws/config exists (scripts/up writes it for slipway-engine), its
 *    profile "slipway" is used. SLIPWAY_RELEASER=off turns the releaser off (pushes
 *    then only build, to the local registry), =on requires it; unset: on when AWS is
 *    configured either way;
 *  - a lock per app: a push's release, a command (config, scale, rollback) and a
 *    resumed rollout of one app happen one at a time, in arrival order;
 *  - a background thread that, at start, finishes the rollouts a previous slipwayd left
 *    unfinished, and then, every few seconds, tags each live release vN in its app's
 *    repository once its commit is there (after the push's ref update has landed —
 *    never from inside pre-receive, where the objects are still quarantined).
 *
 * Every AWS call slipwayd makes is the releaser's. slipwayd (receiver/) reaches it
 * through this header and these only:
 *   push.h, push_target.h              what a job lends the releaser (with a cancel
 *                                      token, common/cancel.h), and gets back
 *   command.h                          release commands (rollback, config, scale)
 *   tasks.h, applogs.h                 ps, one-off runs, app output (on sw_releaser_env())
 *   release.h, review.h                the records the API lists
 *   tables.h                           the releaser's tables in slipwayd's database
 */

struct sw_releaser_opts {
	sqlite3 *db;            /* slipwayd's database, with the releaser's tables (tables.h) */
	const char *home;       /* $SLIPWAY_HOME */
	const char *repos;      /* the directory of the apps' bare repositories (<app>.git) */
	const char *registry;   /* "host:port" of the local registry builds push to without ECR */
};

/*
 * Call once from main() before other threads start (it may set AWS_CONFIG_FILE,
 * AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE for the engine's files, and AWS_REGION from
 * the stack's record; o is copied). With a bootstrap stack (SLIPWAY_STACK, or the record
 * `slipway aws:bootstrap` left in $SLIPWAY_HOME/aws/stack.env), its outputs are read now
 * (settings.h): a stack that is missing, rolled back or failed refuses the start.
 * Starts the background thread. 0 (also when the releaser is off), or negative with one
 * line when it is required but cannot start.
 */
int sw_releaser_start(const struct sw_releaser_opts *o);

/* Stop the background thread (a resumed rollout stays deploying, resumed next start). */
void sw_releaser_stop(void);

/* 1 when pushes are released (sw_releaser_start found AWS), 0 when they only build. */
int sw_releaser_enabled(void);

/*
 * Where app's images go (push_target.h): with the releaser on, ECR's registry for the
 * app's repository (created on first use), user "AWS" and GetAuthorizationToken's
 * password; off, the local registry. t is the caller's (sw_push_target_release). 0 or
 * negative with one line.
 */
int sw_releaser_push_target(const char *app, struct sw_push_target *t);

/*
 * A run environment on the releaser's AWS client and settings for work on app outside
 * its release lock (ps, run, logs: tasks.h, applogs.h): e->db = db, no report, the given
 * cancel token (may be NULL). SW_EUNAVAIL with one line when the releaser is off.
 */
int sw_releaser_env(struct sw_runenv *e, sqlite3 *db, const char *app, struct sw_cancel *cancel);

/*
 * `slipway apps:destroy`'s cloud side (teardown.h) of app, under its release lock, what
 * went appended to removed. With the releaser off, an app that has releases cannot be
 * reached: SW_EUNAVAIL, nothing removed; one without has nothing to remove. 0, or
 * negative with one line (nothing more is removed then: destroy can be retried).
 */
int sw_releaser_teardown(sqlite3 *db, const char *app, json_t *removed);

/*
 * Read the push's manifest (sw_push_read_manifest), before the build, so a broken one
 * fails the push at once; the release uses what this read.
 */
int sw_releaser_check_manifest(struct sw_push *p);

/*
 * Release a push whose image was built (p->image, p->digest): its manifest (read now
 * unless it was), release vN, taken live or failed and rolled back under the app's lock
 * (deploy.h's returns). report gets the pusher's lines, observe (may be NULL) the
 * rollout watcher's records (runenv.h), both with report_ctx. cancel (may be NULL) is the
 * job's token: a user's cancel returns every process to the last live release and fails
 * with "cancelled by <who>" (SW_ERROR); SW_CANCEL_STOP is slipwayd stopping (SW_ECANCEL:
 * the rollout resumes after the restart). *version (may be NULL) gets N, 0 when none.
 */
int sw_releaser_push(struct sw_push *p, sw_runenv_report_fn report, sw_runenv_observe_fn observe, void *report_ctx,
		     struct sw_cancel *cancel, int *version);

/*
 * Run fn(e, ctx) for app under its lock, with a run environment on the process's AWS
 * client and settings (e->db = db, reporting to report and observe, may be NULL; job for
 * the server log). cancel
 * is the caller's token (NULL: only the releaser stopping cancels). When a user's cancel
 * stopped it before fn had anything to undo (while waiting for the lock), the result is
 * SW_ERROR "cancelled by <who>". Returns fn's return otherwise. Its calls wait for an
 * endpoint that does not answer for up to SLIPWAY_STALL_SECONDS (runenv.h: patience_ms).
 */
int sw_releaser_with_app(sqlite3 *db, const char *app, long job, sw_runenv_report_fn report,
			 sw_runenv_observe_fn observe, void *report_ctx, struct sw_cancel *cancel,
			 int (*fn)(const struct sw_runenv *e, void *ctx), void *ctx);

/* `slipway doctor`'s checks (releaser/doctor.h), or one failed check when the releaser is off. New reference. */
json_t *sw_releaser_doctor(void);

/* The settings the releaser runs with (the apps' URL and domain for review apps), NULL when it is off. */
const struct sw_settings *sw_releaser_settings(void);

#endif
