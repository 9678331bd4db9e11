#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "receiver/job_parts.h"
#include "receiver/db.h"
#include "releaser/command.h"
#include "releaser/releaser.h"
#include "common/error.h"
#include "common/event.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define LAND_TIMEOUT_MS 120000   /* a detached push's ref update must land within this */

struct run_ctx {
	struct sw_jobs *jobs;
	struct job *job;
};

void sw_job_name(const struct job *job, struct sw_buf *out)
{
	if (job->what)
		sw_buf_addf(out, "%s (job %ld)", job->what, job->number);
	else
		sw_buf_addf(out, "build %ld", job->number);
}

/* The builder's lines; any cancel (a user's, the deadline, a stop) stops the build. */
static int report_build_line(void *ctx, const char *line)
{
	struct run_ctx *rc = ctx;
	sw_job_log(rc->jobs, rc->job, "%s", line);
	return sw_cancel_raised(&rc->job->cancel) ? -1 : 0;
}

/*
 * The releaser's lines: stopping the deploy (< 0) is for slipwayd stopping only; a
 * user's cancel is the releaser's to act on (back to the last live release).
 */
static int report_release_line(void *ctx, const char *line)
{
	struct run_ctx *rc = ctx;
	sw_job_log(rc->jobs, rc->job, "%s", line);
	return sw_cancel_is(&rc->job->cancel, SW_CANCEL_STOP) ? -1 : 0;
}

/* The rollout watcher's records, beside the lines: the job's .rollout file. */
static void observe_release(void *ctx, const json_t *record)
{
	struct run_ctx *rc = ctx;
	sw_job_rollout_record(rc->jobs, rc->job, record);
}

/* ---- the build deadline (SLIPWAY_BUILD_TIMEOUT) ---- */

/* The image build + push of job starts (on): its deadline is set, for job.c's watchdog; or ends (off). */
static void build_phase(struct sw_jobs *j, struct job *job, int on)
{
	pthread_mutex_lock(&j->mu);
	job->build_deadline = on ? sw_time_mono() + (double)j->cfg->build_timeout : 0;
	pthread_cond_broadcast(&j->deadlines);
	pthread_mutex_unlock(&j->mu);
}

/* After the build phase: 1 when the deadline stopped it (a stop or a user's cancel says otherwise). */
static int build_timed_out(const struct job *job)
{
	return sw_cancel_is(&job->cancel, SW_CANCEL_DEADLINE) &&
	       !sw_cancel_is(&job->cancel, SW_CANCEL_STOP | SW_CANCEL_USER);
}

/* ---- detached pushes ---- */

/* What `git rev-parse --verify` says ref is in repo ("" when it does not exist). */
static int ref_value(const char *repo, const char *ref, struct sw_buf *out)
{
	struct sw_proc p = SW_PROC_INIT;
	int r;

	sw_buf_reset(out);
	sw_strvec_pushl(&p.args, "git", "--git-dir", repo, "rev-parse", "-q", "--verify", "--end-of-options", ref, NULL);
	sw_strvec_pushl(&p.env, "GIT_CONFIG_NOSYSTEM=1", "GIT_DIR", "GIT_OBJECT_DIRECTORY",
			"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH", NULL);
	r = sw_proc_run(&p, out, NULL);
	sw_proc_release(&p);
	sw_buf_rtrim(out);
	if (r > 0)
		sw_buf_reset(out);
	return r < 0 ? r : 0;
}

/*
 * A detached push: the hook returned at once, so the objects were still in git's
 * quarantine when the job was queued. git moves them into the repository and then
 * updates the ref, after the hook exits: wait for the ref to move off old_sha, then
 * build from the repository itself.
 */
static int wait_landed(struct sw_jobs *j, struct job *job)
{
	const struct sw_push *p = &job->push;
	struct sw_buf now;
	int waited = 0, ret = SW_ERROR, said = 0;

	sw_buf_init(&now, 256);
	for (;;) {
		if (ref_value(p->repo_path, p->ref, &now) < 0)
			goto cleanup;
		if (now.len && strcmp(now.ptr, p->old_sha)) {
			/* landed (or another push landed after ours: our commit is in there too) */
			ret = 0;
			goto cleanup;
		}
		if (sw_cancel_raised(&job->cancel)) {
			ret = sw_error_code(SW_ECANCEL, "cancelled");
			goto cleanup;
		}
		if (waited >= LAND_TIMEOUT_MS) {
			ret = sw_error("the push did not land: %s is still %s%.7s (was it rejected?)", p->ref,
				       now.len ? "at " : "missing", now.ptr);
			goto cleanup;
		}
		if (waited >= 2000 && !said) {
			sw_job_log(j, job, "-----> waiting for the push to land in the repository");
			said = 1;
		}
		usleep(100 * 1000);
		waited += 100;
	}
cleanup:
	sw_buf_release(&now);
	return ret;
}

/* ---- the end of a job ---- */

/*
 * A user's cancel makes the reason "cancelled by <who>", unless the job succeeded all
 * the same (the cancel came after the verdict; late says what happened). Then the last
 * log line (" !     <reason>" when it failed), the record (stage: which part failed,
 * "build" or "release"; res, may be NULL: what the build made; release: the release a
 * command made), and a cancel's record and event. 1 when a user cancelled it.
 */
static int conclude(struct sw_jobs *j, struct job *job, struct sw_buf *reason, const char *stage,
		    const struct sw_build_result *res, int release, const char *late)
{
	struct sw_buf name = SW_BUF_INIT, by = SW_BUF_INIT;
	int cancelled = 0;

	/* a push slipwayd stopped (a restart, an upgrade) is left unfinished: the next start
	 * resumes it, and its hook, reconnecting, follows it there */
	if (!job->what && reason->len && sw_cancel_is(&job->cancel, SW_CANCEL_STOP) &&
	    !sw_cancel_is(&job->cancel, SW_CANCEL_USER)) {
		sw_job_log(j, job, "-----> slipwayd is stopping: this push goes on when it starts again");
		return 0;
	}
	if (sw_cancel_who(&job->cancel, &by) && !reason->len) {
		sw_job_log(j, job, "-----> the cancel by %s came too late: %s", by.ptr, late);
	} else if (by.len) {
		sw_buf_reset(reason);
		sw_buf_addf(reason, "cancelled by %s", by.ptr);
		cancelled = 1;
	}
	if (reason->len)
		sw_job_log(j, job, " !     %s", reason->ptr);
	if (sw_job_store_finish(j->db, job->id, reason->len ? reason->ptr : NULL, stage, res, release) < 0) {
		/* a full disk: the pusher is told, the record is fixed once a write works */
		sw_job_name(job, &name);
		sw_job_log(j, job, " !     %s could not be recorded: %s", name.ptr, sw_error_last());
		sw_buf_reset(&name);
		pthread_mutex_lock(&j->mu);
		sw_strvec_pushf(&j->unrecorded, "%ld", job->id);
		pthread_mutex_unlock(&j->mu);
	}
	if (cancelled) {
		sw_job_name(job, &name);
		sw_job_store_cancelled(j->db, job->id, by.ptr);
		sw_event_emit(j->db, job->push.app, "build.cancelled", 0, job->id, by.ptr, "%s cancelled by %s", name.ptr,
			      by.ptr);
	}
	sw_buf_release(&name);
	sw_buf_release(&by);
	return cancelled;
}

/* ---- a push: build, then release ---- */

/* The image build + push, with its deadline. 0 with res, or negative with why in reason. */
static int build(struct sw_jobs *j, struct job *job, const struct sw_push_target *target, struct run_ctx *rc,
		 struct sw_build_result *res, struct sw_buf *reason)
{
	struct sw_build_opts o;
	int r;

	memset(&o, 0, sizeof(o));
	o.repo_path = job->push.repo_path;
	o.object_dir = job->push.object_dir;
	o.alternate_dirs = job->push.alternate_dirs;
	o.commit = job->push.commit;
	o.app = job->push.app;
	o.registry = target->registry;
	o.registry_user = target->user;
	o.registry_password = target->password;
	o.report = report_build_line;
	o.report_ctx = rc;
	o.cancel = &job->cancel;   /* any reason raised stops the build */
	sw_error_clear();
	build_phase(j, job, 1);
	r = sw_build_run(&o, res);
	build_phase(j, job, 0);
	if (r < 0) {
		if (sw_cancel_is(&job->cancel, SW_CANCEL_STOP))
			sw_buf_adds(reason, "interrupted (slipwayd stopped)");
		else if (build_timed_out(job))
			sw_buf_addf(reason, "build timed out after %s", j->cfg->build_timeout_text);
		else
			sw_buf_adds(reason, *sw_error_last() ? sw_error_last() : "build failed");
		return r;
	}
	if (build_timed_out(job))   /* done just as the deadline came: the release goes on */
		sw_cancel_withdraw(&job->cancel, SW_CANCEL_DEADLINE);
	sw_event_emit(j->db, job->push.app, "build.succeeded", 0, job->id, job->push.created_by,
		      "build %ld of %.7s succeeded%s", job->number, job->push.commit, res->reused ? " (image reused)" : "");
	return 0;
}

int sw_job_run_build(struct sw_jobs *j, struct job *job)
{
	struct sw_push *p = &job->push;
	struct sw_build_result res = SW_BUILD_RESULT_INIT;
	struct sw_push_target target = SW_PUSH_TARGET_INIT;
	struct sw_buf reason = SW_BUF_INIT;
	struct run_ctx rc = { j, job };
	int built = 0, release = 0;

	sw_job_store_started(j->db, job);
	sw_event_emit(j->db, p->app, "build.started", 0, job->id, p->created_by, "build %ld of %.7s (%s) started%s",
		      job->number, p->commit, p->branch ? p->branch : p->ref, job->detached ? " (detached push)" : "");
	sw_job_log(j, job, "-----> %s: building %.7s (%s), build %ld", p->app, p->commit, p->branch ? p->branch : p->ref,
		   job->number);
	if (job->detached && wait_landed(j, job) < 0) {
		sw_buf_adds(&reason, sw_error_last());
		goto done;
	}
	/* the releaser says where images go (ECR with ECS configured, else the local
	 * registry); the manifest is read before the build, so a broken one fails at once */
	if (sw_releaser_push_target(p->app, &target) < 0 ||
	    (sw_releaser_enabled() && sw_releaser_check_manifest(p) < 0)) {
		sw_buf_adds(&reason, sw_error_last());
		goto done;
	}
	if (build(j, job, &target, &rc, &res, &reason) < 0)
		goto done;
	built = 1;
	/* the built image becomes release vN, watched until live or failed: the caller runs that */
	if (sw_releaser_enabled()) {
		p->image = xstrdup(res.image);
		p->digest = xstrdup(res.digest);
		p->received_at = job->created;
		p->built_at = res.built_at;
		p->pushed_at = res.pushed_at;
		job->built = res;
		memset(&res, 0, sizeof(res));
		pthread_mutex_lock(&j->mu);
		job->in_release = 1;
		pthread_mutex_unlock(&j->mu);
		release = 1;
		goto cleanup;
	}
done:
	/* the builder said "-----> build <sha> done in 6.3s" (or "reusing") */
	if (!conclude(j, job, &reason, built ? "release" : "build", built ? &res : NULL, 0, "the push went live") &&
	    !built)
		sw_event_emit(j->db, p->app, "build.failed", 0, job->id, p->created_by, "build %ld failed: %s", job->number,
			      reason.ptr);
cleanup:
	sw_build_result_release(&res);
	sw_push_target_release(&target);
	sw_buf_release(&reason);
	return release;
}

void sw_job_run_release(struct sw_jobs *j, struct job *job)
{
	struct sw_buf reason = SW_BUF_INIT;
	struct run_ctx rc = { j, job };
	int r;

	sw_error_clear();
	r = sw_releaser_push(&job->push, report_release_line, observe_release, &rc, &job->cancel, NULL);
	if (r == SW_ECANCEL)
		sw_buf_adds(&reason, SW_JOB_INTERRUPTED_RELEASE);
	else if (r < 0)
		sw_buf_adds(&reason, *sw_error_last() ? sw_error_last() : "release failed");
	conclude(j, job, &reason, "release", &job->built, 0, "the push went live");
	sw_build_result_release(&job->built);
	sw_buf_release(&reason);
}

/* ---- a release command ---- */

void sw_job_run_command(struct sw_jobs *j, struct job *job)
{
	struct run_ctx rc = { j, job };
	struct sw_command_run o;
	struct sw_buf reason = SW_BUF_INIT;
	int version = 0, r;

	memset(&o, 0, sizeof(o));
	o.db = j->db;
	o.app = job->push.app;
	o.request = job->request;
	o.who = job->push.created_by;
	o.job = job->id;
	o.report = report_release_line;
	o.observe = observe_release;
	o.report_ctx = &rc;
	o.cancel = &job->cancel;
	sw_error_clear();
	r = sw_cancel_raised(&job->cancel) ? sw_error_code(SW_ECANCEL, "cancelled before it started")
					   : sw_command_run(&o, &version);
	if (r == SW_ECANCEL)
		sw_buf_adds(&reason, SW_JOB_INTERRUPTED_RELEASE);
	else if (r < 0)
		sw_buf_adds(&reason, *sw_error_last() ? sw_error_last() : "failed");
	conclude(j, job, &reason, "release", NULL, version, version ? "the release went live" : "there was nothing to change");
	sw_buf_release(&reason);
}

/* ---- a push's release a restart interrupted ---- */

#define RESUMED_POLL_MS 250

void sw_job_run_resumed_release(struct sw_jobs *j, struct job *job)
{
	struct sw_buf status = SW_BUF_INIT, reason = SW_BUF_INIT;
	struct sw_build_result res = SW_BUILD_RESULT_INIT;
	int version = 0, said = 0, r;

	/* the releaser's background thread resumes the rollout; its verdict is this job's */
	for (;;) {
		struct timespec ts = { 0, RESUMED_POLL_MS * 1000000L };
		sw_buf_reset(&status);
		sw_buf_reset(&reason);
		sw_build_result_release(&res);
		r = sw_job_store_release(j->db, job->push.app, job->id, &version, &status, &reason, &res);
		if (r < 0) {
			sw_buf_reset(&reason);
			sw_buf_adds(&reason, sw_error_last());
			break;
		}
		if (!said++)
			sw_job_log(j, job, "-----> v%d: its rollout resumed (slipwayd restarted during it)", version);
		if (strcmp(status.ptr, "pending") && strcmp(status.ptr, "deploying"))
			break;
		if (sw_cancel_is(&job->cancel, SW_CANCEL_STOP)) {
			sw_buf_reset(&reason);
			sw_buf_adds(&reason, SW_JOB_INTERRUPTED_RELEASE);
			break;
		}
		nanosleep(&ts, NULL);
	}
	if (r == 0 && !strcmp(status.ptr, "live")) {
		sw_buf_reset(&reason);
		sw_job_log(j, job, "-----> v%d is live (its rollout went on after slipwayd restarted)", version);
	} else if (r == 0 && !reason.len) {
		sw_buf_addf(&reason, "v%d %s", version, status.ptr);
	}
	if (job->what)   /* a command: its release is what it made */
		conclude(j, job, &reason, "release", NULL, r == 0 ? version : 0, "the release went live");
	else
		conclude(j, job, &reason, "release", &res, 0, "the push went live");
	sw_build_result_release(&res);
	sw_buf_release(&status);
	sw_buf_release(&reason);
}
