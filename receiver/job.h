#ifndef SW_JOB_H
#define SW_JOB_H

#include <jansson.h>
#include <sqlite3.h>
#include <sys/types.h>

#include "common/buf.h"
#include "receiver/config.h"

/*
 * Jobs: what a push to main/master starts. A job belongs to slipwayd, not to the
 * connection that asked for it: once submitted it runs to the end and is recorded
 * whatever happens to the pusher.
 *
 *  - one job at a time per app, in arrival order; builds of different apps run in
 *    parallel up to c->max_builds (that many worker threads); once a push's image is
 *    pushed, its release runs on a thread of its own (up to c->max_rollouts at once) and
 *    the build slot takes the next build;
 *  - state in SQLite (table builds, see db.h), log in $SLIPWAY_HOME/builds/<id>.log,
 *    one line per event, also copied to the server log with app and id;
 *  - a job that waits says why as the first line of its log
 *    ("-----> waiting for build 12 (started 8s ago)");
 *  - a failed job's last log line is " !     <reason>", and reason is recorded;
 *  - the image build + push of a job has a deadline (c->build_timeout): past it the
 *    build is stopped as sw_jobs_cancel() stops it and the job fails with reason
 *    "build timed out after 60m" (event build.failed);
 *  - at start, the pushes a killed slipwayd left go on: one that made its release waits
 *    for the verdict of that release (the releaser resumes its rollout), one still
 *    building builds again while its objects are there (its quarantine: its hook waits
 *    and reconnects; builds/<id>.push says where); other jobs it left queued or running
 *    are marked failed with reason "interrupted" (app locks live only in memory).
 * A push's job is a build (builder/build.h) and its release (releaser/releaser.h); a
 * release command is a job too (sw_jobs_start_command()).
 */
struct sw_jobs;

struct sw_job_request {
	const char *app;             /* valid, existing app */
	const char *ref;             /* refs/heads/main or refs/heads/master (any refs/heads/
	                                branch for a review app) */
	const char *old_sha;
	const char *new_sha;         /* the commit to build */
	const char *object_dir;      /* the push's quarantine (GIT_OBJECT_DIRECTORY), or NULL */
	const char *alternate_dirs;  /* GIT_ALTERNATE_OBJECT_DIRECTORIES, or NULL */
	const char *options_json;    /* push options as a JSON array of strings ("[]") */
	const char *pushed_by;       /* the pushing token's name (REMOTE_USER), or NULL */
	int detach;                  /* git push -o detach: the hook does not wait; the job
	                                waits for the ref update to land and builds from the
	                                repository (object_dir and alternate_dirs are ignored) */
	const char *repo_app;        /* the app whose repository holds the commit (a review
	                                app's parent), or NULL: app's own */
};

/* Recover interrupted jobs and start the workers. *out is freed by sw_jobs_free(). */
int sw_jobs_new(struct sw_jobs **out, const struct sw_config *c, sqlite3 *db);

/*
 * Queue a job: its id (> 0), or a negative code. A push asked about again (the same
 * quarantine and commit: its hook lost a slipwayd) while its job is queued or running
 * gets that job's id.
 */
long sw_jobs_submit(struct sw_jobs *j, const struct sw_job_request *req);

/*
 * The push that submitted id went away: when the job has not started yet, it is
 * dropped (failed, "the push went away before the build started"). A running job
 * is left to finish.
 */
void sw_jobs_abandon(struct sw_jobs *j, long id);

/*
 * Stop: no new jobs start, running ones are asked to cancel and given grace_secs to
 * end, followers return end-of-log. Pushes stopped so, and those still queued, stay
 * unfinished: the next start resumes them (their hooks reconnect). Release commands
 * still unfinished are marked interrupted.
 */
void sw_jobs_shutdown(struct sw_jobs *j, int grace_secs);

/* 1 once sw_jobs_shutdown() began. */
int sw_jobs_stopping(struct sw_jobs *j);
void sw_jobs_free(struct sw_jobs *j);

/*
 * Cancel job id on behalf of `by` (a token's name): a queued job ends at once; a running
 * one's cancel token is raised (common/cancel.h: the builder stops the Docker build,
 * the releaser returns to the last live release) and it ends with status "cancelled", reason and last log
 * line "cancelled by <by>", event build.cancelled. SW_ENOTFOUND when id is not queued
 * or running, SW_EEXISTS when it is being cancelled already.
 */
int sw_jobs_cancel(struct sw_jobs *j, long id, const char *by);

/*
 * Hold app for destruction: fails (SW_EEXISTS, "hello has build 12 running: cancel it
 * or wait") when it has a job; otherwise no job of app is accepted until
 * sw_jobs_release_app().
 */
int sw_jobs_hold_app(struct sw_jobs *j, const char *app);
void sw_jobs_release_app(struct sw_jobs *j, const char *app);

/*
 * A release command (releaser/command.h's request: rollback, config:set,
 * config:unset, scale) by `by` (a token's name) as a job of app: a row in builds with
 * its kind ("rollback", "config", "scale"; pushes are "build"), its lines in the job's
 * log (the first says its id and how to cancel it), followed, cancelled (back to the
 * last live release, "cancelled by <who>", event build.cancelled) and recovered like a
 * build. It starts at once on a thread of its own: it takes no build slot and does not
 * wait for the app's builds; the releaser's app lock orders it with their releases.
 * Its id (> 0), or SW_EINVAL (a malformed request: one line, nothing recorded),
 * SW_EUNAVAIL (the releaser is off, or slipwayd is stopping), SW_EEXISTS (app is being
 * destroyed), other negative codes.
 */
long sw_jobs_start_command(struct sw_jobs *j, const char *app, const json_t *request, const char *by);

/*
 * Jobs have two names: id, server-wide (the builds table's key, the API's "id", the
 * server log), and number, the app's own (#1 is an app's first job, pushes and release
 * commands counted together): what logs, events and people say. The number of id (> 0),
 * or SW_ENOTFOUND.
 */
long sw_jobs_number(struct sw_jobs *j, long id);

/*
 * The recorded state of job id: status ("queued", "running", "succeeded", "failed",
 * "cancelled") and reason ("" when none) appended to the buffers (may be NULL), and
 * *release (may be NULL) the release a command made (0 none). SW_ENOTFOUND when there is
 * no such job.
 */
int sw_jobs_result(struct sw_jobs *j, long id, struct sw_buf *status, struct sw_buf *reason, int *release);

/* 1 (and *id, may be NULL, of the first) when app has a queued or running job. */
int sw_jobs_app_busy(struct sw_jobs *j, const char *app, long *id);

/*
 * Reading a job's log, or its rollout records (one JSON line per poll of the rollout
 * watcher, releaser/rollout.h: sw_rollout_record). With follow, reads block while the
 * job still runs and nothing new is in the file, and the end of the file is the end of
 * the job.
 */
enum sw_job_file { SW_JOB_LOG, SW_JOB_ROLLOUT };

/* The longest rollout record kept (one line of JSON); longer ones are dropped. */
#define SW_JOB_RECORD_MAX (256 * 1024)

/* The reason recorded for a job slipwayd stopped during its release (the rollout resumes at start). */
#define SW_JOB_INTERRUPTED_RELEASE "interrupted (slipwayd stopped); the rollout resumes when it starts again"
struct sw_job_follow;

/*
 * SW_ENOTFOUND when there is no such file (a job from before rollout records has none).
 * from: the byte offset to start at (a client that reconnects). *out is freed by
 * sw_job_follow_free().
 */
int sw_job_follow_open(struct sw_jobs *j, long id, enum sw_job_file what, int follow, long long from,
		       struct sw_job_follow **out);
/*
 * Bytes read (> 0), 0 at the end, SW_ETIMEOUT when following and nothing new came
 * within timeout_ms (< 0: wait as long as it takes), other negative codes on error.
 */
ssize_t sw_job_follow_read(struct sw_job_follow *f, char *buf, size_t n, int timeout_ms);
void sw_job_follow_free(struct sw_job_follow *f);

#endif
