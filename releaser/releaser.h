#ifndef SW_RELEASER_H
#define SW_RELEASER_H

#include <sqlite3.h>

#include <jansson.h>

#include "releaser/push_target.h"
#include "releaser/runenv.h"

/*
 * The releaser as slipwayd runs it (one per process):
 *  - the AWS client and the settings (releaser/settings.h), made at start from the
 *    environment. AWS configuration follows the SDKs; when none is given and
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
 */

struct sw_releaser_opts {
	sqlite3 *db;            /* slipwayd's database (migrated with sw_releaser_migration()) */
	const char *home;       /* $SLIPWAY_HOME */
	const char *repos;      /* the directory of the apps' bare repositories (<app>.git) */
	const char *registry;   /* "host:port" of the local registry builds push to without ECR */
};

/*
 * Call once from main() before other threads start (it may set AWS_CONFIG_FILE,
 * AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE for the engine's files; o is copied).
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
 * cancel flag (may be NULL). SW_EUNAVAIL with one line when the releaser is off.
 */
int sw_releaser_env(struct sw_runenv *e, sqlite3 *db, const char *app, volatile int *cancel);

/*
 * `slipway apps:destroy`'s cloud side (teardown.h) of app, under its release lock, what
 * went appended to removed. With the releaser off, an app that has releases cannot be
 * reached: SW_EUNAVAIL, nothing removed; one without has nothing to remove. 0, or
 * negative with one line (nothing more is removed then: destroy can be retried).
 */
int sw_releaser_teardown(sqlite3 *db, const char *app, json_t *removed);

/* A push whose image was built: release it (the job's last step). */
struct sw_releaser_push {
	sqlite3 *db;
	const char *repo_path;        /* the app's bare repository */
	const char *object_dir;       /* the push's quarantine, as the builder got it */
	const char *alternate_dirs;
	const char *app;
	const char *commit;
	const char *branch;
	const char *image;
	const char *digest;
	long job_id;
	const char *created_by;
	sw_runenv_report_fn report;
	void *report_ctx;
	volatile int *cancel;
	/* ops (issue 7): telling a user's cancel from a stop (releaser/runenv.h); may be NULL */
	int (*cancelled_by)(void *ctx, struct sw_buf *who);
	void *cancel_ctx;
	volatile int *stopping;
};

/*
 * Read the manifest from the pushed commit, make release vN and take it live (or fail
 * and roll back): deploy.h's returns. *version (may be NULL) gets N, 0 when none.
 * With cancelled_by set, a cancel it says a user made returns every process to the last
 * live release and fails with "cancelled by <who>" (SW_ERROR); any other cancel is
 * slipwayd stopping (SW_ECANCEL: the rollout resumes after the restart).
 */
int sw_releaser_push(const struct sw_releaser_push *p, int *version);

/* Read the manifest only, before the build, so a broken one fails the push at once. */
int sw_releaser_check_manifest(const struct sw_releaser_push *p);

/*
 * Run fn(e, ctx) for app under its lock, with a run environment on the process's AWS
 * client and settings (e->db = db, reporting to report). For work slipwayd does on an
 * app outside a job (resumed rollouts, teardown). Returns fn's return.
 */
int sw_releaser_with_app(sqlite3 *db, const char *app, long job, sw_runenv_report_fn report, void *report_ctx,
			 volatile int *cancel, int (*fn)(const struct sw_runenv *e, void *ctx), void *ctx);

/*
 * ops (issue 7): how a job (receiver/job.h) stops what it runs in the releaser, as in
 * releaser/runenv.h: cancel is the flag (NULL: slipwayd stopping); when cancelled_by(ctx)
 * says a user raised it, every process returns to the last live release and the result
 * is SW_ERROR "cancelled by <who>" (also when the cancel came while waiting for the app's
 * lock); otherwise a cancel is slipwayd stopping (SW_ECANCEL). While going back, only
 * *stopping (may be NULL) interrupts. All borrowed.
 */
struct sw_releaser_cancel {
	volatile int *cancel;
	int (*cancelled_by)(void *ctx, struct sw_buf *who);
	void *ctx;
	volatile int *stopping;
};

/* sw_releaser_with_app() for a job: cancel (may be NULL: none but slipwayd stopping) as above. */
int sw_releaser_with_job(sqlite3 *db, const char *app, long job, sw_runenv_report_fn report, void *report_ctx,
			 const struct sw_releaser_cancel *cancel, int (*fn)(const struct sw_runenv *e, void *ctx),
			 void *ctx);

/* `slipway doctor`'s checks (releaser/doctor.h), or one failed check when the releaser is off. New reference. */
json_t *sw_releaser_doctor(void);

/* Tag live releases whose commit is in their repository (the background thread's pass). */
int sw_releaser_tag_pending(sqlite3 *db, const char *repos);

/* review apps (issue 8): the settings the releaser runs with (apps URL and domain), NULL when it is off. */
const struct sw_settings *sw_releaser_settings(void);

#endif
