#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "receiver/job.h"
#include "receiver/app.h"
#include "receiver/db.h"
#include "builder/build.h"
#include "releaser/command.h"
#include "releaser/releaser.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/gitref.h"
#include "common/event.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/store.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define LOG_LINE_MAX 4096
#define LAND_TIMEOUT_MS 120000   /* a detached push's ref update must land within this */
#define UNWRITTEN_MAX (64 * 1024) /* log lines kept in memory when the log file takes no more */
#define INTERRUPTED_ROLLOUT "interrupted (slipwayd stopped); the rollout resumes when it starts again"

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct job {
	long id;
	char *app;
	char *ref;
	char *commit;
	char *object_dir;
	char *alternates;
	enum job_state state;
	double created;
	double started;
	int log_fd;
	off_t log_size;       /* bytes written to the log so far */
	volatile int cancel;
	int refs;             /* the active list holds one; each follower one */
	struct job *next;
	/* ops (issue 7) */
	char *old_sha;
	char *pushed_by;      /* the pushing token's name, or NULL */
	char *cancelled_by;   /* set by sw_jobs_cancel() (under mu): a user cancelled it */
	int detached;         /* git push -o detach: built from the repo once the ref landed */
	volatile int stop;    /* slipwayd is stopping (cancel is up too); a user's cancel leaves it down */
	/* review apps (issue 8) */
	char *repo_app;       /* whose repository holds the commit (a review app's parent), or NULL */
	/* ops (issue 7): release commands are jobs too */
	const char *kind;     /* "build", or the command's ("rollback", "config", "scale"; static) */
	json_t *request;      /* a command's request (releaser/command.h), or NULL */
	char *what;           /* a command's description ("scale web=4"), or NULL */
	/* full disk: once a log write failed, the lines (bounded) are kept here for the
	 * followers, from log offset unwritten_at; ptr NULL until then */
	struct sw_buf unwritten;
	off_t unwritten_at;
	/* the build deadline (SLIPWAY_BUILD_TIMEOUT), under mu */
	double build_deadline; /* mono_now() by which the image build + push must end; 0: not building */
	int timed_out;        /* the deadline stopped it */
};

struct sw_jobs {
	const struct sw_config *cfg;
	sqlite3 *db;
	pthread_mutex_t mu;
	pthread_cond_t work;     /* a queued job may be runnable, or we stop */
	pthread_cond_t changed;  /* a log grew or a job changed state */
	struct job *head;        /* queued and running jobs, by id (= arrival) */
	int running;
	int stopping;
	pthread_t *workers;
	int nworkers;
	struct sw_strvec held;   /* apps being destroyed: no job may start (sw_jobs_hold_app) */
	struct sw_strvec unrecorded; /* full disk: ids of jobs whose end could not be recorded */
	int commands;            /* ops (issue 7): release commands running on their own threads */
	pthread_cond_t deadlines; /* a build deadline was set, or we stop */
	pthread_t watchdog;      /* stops builds past their deadline (watchdog()) */
	int has_watchdog;
};

struct sw_job_follow {
	struct sw_jobs *jobs;
	struct job *job;      /* NULL when the job was already over at open */
	int fd;
	off_t off;
	int follow;
};

static void unref_locked(struct job *job)
{
	if (--job->refs > 0)
		return;
	if (job->log_fd >= 0)
		close(job->log_fd);
	free(job->app);
	free(job->ref);
	free(job->commit);
	free(job->object_dir);
	free(job->alternates);
	free(job->old_sha);
	free(job->pushed_by);
	free(job->cancelled_by);
	free(job->repo_app);
	json_decref(job->request);
	free(job->what);
	if (job->unwritten.ptr)
		sw_buf_release(&job->unwritten);
	free(job);
}

static void log_path(struct sw_buf *out, const struct sw_config *c, long id)
{
	sw_buf_reset(out);
	sw_buf_addf(out, "%s/%ld.log", c->builds, id);
}

/*
 * The log file takes no more (a full disk): the rest of the log stays in memory for
 * the followers (the pusher still sees why the job failed), bounded, with room kept
 * for the last " !     " lines. Holds mu.
 */
static void keep_unwritten_locked(struct job *job, const char *data, size_t n)
{
	size_t limit = UNWRITTEN_MAX - (strncmp(data, " !     ", 7) ? 4 * LOG_LINE_MAX : 0);

	if (!job->unwritten.ptr) {
		sw_log(SW_LOG_WARN, job->app, job->id, "cannot write the build log: %s; keeping its last lines in memory",
		       job->log_fd >= 0 ? strerror(errno) : "not open");
		sw_buf_init(&job->unwritten, UNWRITTEN_MAX);
		job->unwritten_at = job->log_size;
	}
	if (job->unwritten.len + n <= limit && sw_buf_add(&job->unwritten, data, n) == 0)
		job->log_size += (off_t)n;
}

/* One line into the job's log (cut, flattened, "\n" added), followers woken. Holds mu. */
static void write_line_locked(struct sw_jobs *j, struct job *job, const char *line)
{
	struct sw_buf b = SW_BUF_INIT;
	size_t i, n = strlen(line);
	ssize_t w;

	if (n > LOG_LINE_MAX)
		n = LOG_LINE_MAX;
	sw_buf_add(&b, line, n);
	for (i = 0; i < b.len; i++)
		if (b.ptr[i] == '\n' || b.ptr[i] == '\r')
			b.ptr[i] = ' ';
	sw_buf_addch(&b, '\n');
	w = job->log_fd >= 0 && !job->unwritten.ptr ? write(job->log_fd, b.ptr, b.len) : 0;
	if (w > 0)
		job->log_size += w;
	if (w < (ssize_t)b.len)
		keep_unwritten_locked(job, b.ptr + (w > 0 ? w : 0), b.len - (size_t)(w > 0 ? w : 0));
	pthread_cond_broadcast(&j->changed);
	sw_log(SW_LOG_INFO, job->app, job->id, "%.*s", (int)(b.len - 1), b.ptr);
	sw_buf_release(&b);
}

static void job_log(struct sw_jobs *j, struct job *job, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void job_log(struct sw_jobs *j, struct job *job, const char *fmt, ...)
{
	struct sw_buf b = SW_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sw_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&j->mu);
	write_line_locked(j, job, b.ptr);
	pthread_mutex_unlock(&j->mu);
	sw_buf_release(&b);
}

/* Append a line to the log file of a job that is not in memory (recovery). */
static void append_to_log_file(const struct sw_config *c, long id, const char *line)
{
	struct sw_buf p = SW_BUF_INIT, b = SW_BUF_INIT;
	int fd;

	log_path(&p, c, id);
	fd = open(p.ptr, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0) {
		sw_buf_addf(&b, "%s\n", line);
		(void)!write(fd, b.ptr, b.len);
		close(fd);
	}
	sw_buf_release(&p);
	sw_buf_release(&b);
}

/* The end of job id: failed with reason, or succeeded (with res, may be NULL); release: a command's (0 none). */
static int db_finish(struct sw_jobs *j, long id, const char *reason, const struct sw_build_result *res, int release)
{
	sqlite3_stmt *st = NULL;
	int ret = 0;

	if (sw_store_prepare(j->db, &st,
			     "UPDATE builds SET status = ?, reason = ?, image = ?, digest = ?, size = ?,"
			     " reused = ?, finished_at = ?, release_version = ? WHERE id = ?") < 0)
		return SW_ERROR;
	sqlite3_bind_text(st, 1, reason ? "failed" : "succeeded", -1, SQLITE_STATIC);
	if (reason)
		sqlite3_bind_text(st, 2, reason, -1, SQLITE_TRANSIENT);
	if (res && res->image)
		sqlite3_bind_text(st, 3, res->image, -1, SQLITE_TRANSIENT);
	if (res && res->digest)
		sqlite3_bind_text(st, 4, res->digest, -1, SQLITE_TRANSIENT);
	if (res && res->size >= 0)
		sqlite3_bind_int64(st, 5, res->size);
	sqlite3_bind_int(st, 6, res ? res->reused : 0);
	sqlite3_bind_double(st, 7, sw_db_now());
	if (release > 0)
		sqlite3_bind_int(st, 8, release);
	sqlite3_bind_int64(st, 9, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		ret = sw_store_error(j->db, "record build");
	sqlite3_finalize(st);
	if (ret < 0)
		sw_log_error("build %ld: %s", id, sw_error_last());
	return ret;
}

static void db_started(struct sw_jobs *j, struct job *job)
{
	sqlite3_stmt *st = NULL;

	if (sw_store_prepare(j->db, &st, "UPDATE builds SET status = 'running', started_at = ? WHERE id = ?") < 0)
		return;
	sqlite3_bind_double(st, 1, job->started);
	sqlite3_bind_int64(st, 2, job->id);
	if (sqlite3_step(st) != SQLITE_DONE)
		sw_log(SW_LOG_ERROR, job->app, job->id, "record start: %s", sqlite3_errmsg(j->db));
	sqlite3_finalize(st);
}

struct run_ctx {
	struct sw_jobs *jobs;
	struct job *job;
};

/*
 * Stop a running job the one way: its cancel flag, which the builder polls (the Docker
 * build request is aborted, so the daemon stops the build) and the releaser sees; line
 * tells the followers why. A user's cancel (sw_jobs_cancel) and the build deadline
 * (watchdog) both come here. Holds mu.
 */
static void stop_running_locked(struct sw_jobs *j, struct job *job, const char *line)
{
	job->cancel = 1;
	write_line_locked(j, job, line);
}

/* ---- the build deadline (SLIPWAY_BUILD_TIMEOUT) ------------------------------------ */

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The image build + push of job starts (on): its deadline is set; or ends (off). */
static void build_phase(struct sw_jobs *j, struct job *job, int on)
{
	pthread_mutex_lock(&j->mu);
	job->build_deadline = on ? mono_now() + (double)j->cfg->build_timeout : 0;
	pthread_cond_broadcast(&j->deadlines);
	pthread_mutex_unlock(&j->mu);
}

static void deadline_after(struct timespec *ts, int ms);

/*
 * A thread of sw_jobs: sleeps until the nearest build deadline and stops each build
 * still running past its own, as a user's cancel would (stop_running_locked); run()
 * then fails the job with "build timed out after 60m".
 */
static void *watchdog(void *arg)
{
	struct sw_jobs *j = arg;
	struct timespec until;
	struct job *job;

	pthread_mutex_lock(&j->mu);
	while (!j->stopping) {
		double now = mono_now(), next = 0;

		for (job = j->head; job; job = job->next) {
			if (job->build_deadline <= 0)
				continue;
			if (job->build_deadline > now) {
				if (!next || job->build_deadline < next)
					next = job->build_deadline;
				continue;
			}
			job->build_deadline = 0;
			if (!job->cancel) {   /* else it is being stopped already (a user's cancel, a stop) */
				struct sw_buf line = SW_BUF_INIT;
				job->timed_out = 1;
				sw_buf_addf(&line, "-----> build %ld ran out of time (%s, SLIPWAY_BUILD_TIMEOUT): stopping it",
					    job->id, j->cfg->build_timeout_text);
				stop_running_locked(j, job, line.ptr);
				sw_buf_release(&line);
			}
		}
		if (!next) {
			pthread_cond_wait(&j->deadlines, &j->mu);
			continue;
		}
		deadline_after(&until, (int)((next - now) * 1000) + 1);
		pthread_cond_timedwait(&j->deadlines, &j->mu, &until);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

/* After the build phase: 1 when the deadline stopped it (a stop or a user's cancel says otherwise). */
static int build_timed_out(struct sw_jobs *j, struct job *job)
{
	int yes;
	pthread_mutex_lock(&j->mu);
	yes = job->timed_out && !job->stop && !job->cancelled_by;
	pthread_mutex_unlock(&j->mu);
	return yes;
}

static int report_line(void *ctx, const char *line)
{
	struct run_ctx *rc = ctx;
	job_log(rc->jobs, rc->job, "%s", line);
	return rc->job->cancel ? -1 : 0;
}

/* ---- ops (issue 7): events, cancel, detached pushes ----------------------- */

/*
 * The releaser's lines: stopping the deploy (< 0) is for slipwayd stopping only; a
 * user's cancel is the releaser's to act on (back to the last live release).
 */
static int report_release_line(void *ctx, const char *line)
{
	struct run_ctx *rc = ctx;
	job_log(rc->jobs, rc->job, "%s", line);
	return rc->job->stop ? -1 : 0;
}

/* For the releaser (releaser/runenv.h): 1 and who when a user cancelled the job. */
static int user_cancelled(void *ctx, struct sw_buf *who)
{
	struct run_ctx *rc = ctx;
	int yes = 0;
	pthread_mutex_lock(&rc->jobs->mu);
	if (rc->job->cancelled_by && !rc->job->stop) {
		sw_buf_reset(who);
		sw_buf_adds(who, rc->job->cancelled_by);
		yes = 1;
	}
	pthread_mutex_unlock(&rc->jobs->mu);
	return yes;
}

/* "cancelled by <name>" when a user cancelled job (NULL otherwise); the caller frees. */
static char *cancelled_by(struct sw_jobs *j, struct job *job)
{
	char *by = NULL;
	pthread_mutex_lock(&j->mu);
	if (job->cancelled_by)
		by = xstrdup(job->cancelled_by);
	pthread_mutex_unlock(&j->mu);
	return by;
}

static void db_mark_cancelled(struct sw_jobs *j, long id, const char *by)
{
	sqlite3_stmt *st = NULL;

	if (sw_store_prepare(j->db, &st, "UPDATE builds SET status = 'cancelled', cancelled_by = ? WHERE id = ?") < 0)
		return;
	sqlite3_bind_text(st, 1, by, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		sw_log_error("build %ld: %s", id, sqlite3_errmsg(j->db));
	sqlite3_finalize(st);
}

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
static int wait_landed(struct sw_jobs *j, struct job *job, const char *repo)
{
	struct sw_buf now;
	int waited = 0, ret = SW_ERROR, said = 0;

	sw_buf_init(&now, 256);

	for (;;) {
		if (ref_value(repo, job->ref, &now) < 0)
			goto cleanup;
		if (now.len && strcmp(now.ptr, job->old_sha)) {
			/* landed (or another push landed after ours: our commit is in there too) */
			ret = 0;
			goto cleanup;
		}
		if (job->cancel) {
			ret = sw_error_code(SW_ECANCEL, "cancelled");
			goto cleanup;
		}
		if (waited >= LAND_TIMEOUT_MS) {
			ret = sw_error("the push did not land: %s is still %s%.7s (was it rejected?)", job->ref,
				       now.len ? "at " : "missing", now.ptr);
			goto cleanup;
		}
		if (waited >= 2000 && !said) {
			job_log(j, job, "-----> waiting for the push to land in the repository");
			said = 1;
		}
		usleep(100 * 1000);
		waited += 100;
	}
cleanup:
	sw_buf_release(&now);
	return ret;
}

/* ops (issue 7): "build 12", or "scale web=4 (job 12)" for a command. */
static void job_name(const struct job *job, struct sw_buf *out)
{
	if (job->what)
		sw_buf_addf(out, "%s (job %ld)", job->what, job->id);
	else
		sw_buf_addf(out, "build %ld", job->id);
}

/*
 * ops (issue 7): the end of a job. A user's cancel makes the reason "cancelled by <who>",
 * unless the job succeeded all the same (the cancel came after the verdict; late says
 * what happened). Then the last log line (" !     <reason>" when it failed), the record
 * (res, may be NULL, when it succeeded; release: the release a command made), and a
 * cancel's record and event. 1 when a user cancelled it.
 */
static int conclude(struct sw_jobs *j, struct job *job, struct sw_buf *reason, const struct sw_build_result *res,
		    int release, const char *late)
{
	struct sw_buf name = SW_BUF_INIT;
	char *by = cancelled_by(j, job);
	int cancelled = 0;

	if (by && !reason->len) {
		job_log(j, job, "-----> the cancel by %s came too late: %s", by, late);
	} else if (by) {
		sw_buf_reset(reason);
		sw_buf_addf(reason, "cancelled by %s", by);
		cancelled = 1;
	}
	if (reason->len)
		job_log(j, job, " !     %s", reason->ptr);
	if (db_finish(j, job->id, reason->len ? reason->ptr : NULL, reason->len ? NULL : res, release) < 0) {
		/* a full disk: the pusher is told, the record is fixed once a write works */
		job_name(job, &name);
		job_log(j, job, " !     %s could not be recorded: %s", name.ptr, sw_error_last());
		sw_buf_reset(&name);
		pthread_mutex_lock(&j->mu);
		sw_strvec_pushf(&j->unrecorded, "%ld", job->id);
		pthread_mutex_unlock(&j->mu);
	}
	if (cancelled) {
		job_name(job, &name);
		db_mark_cancelled(j, job->id, by);
		sw_event_emit(j->db, job->app, "build.cancelled", 0, job->id, by, "%s cancelled by %s", name.ptr, by);
	}
	sw_buf_release(&name);
	free(by);
	return cancelled;
}

static void run(struct sw_jobs *j, struct job *job)
{
	struct sw_build_opts o;
	struct sw_build_result res = SW_BUILD_RESULT_INIT;
	struct sw_push_target auth = SW_PUSH_TARGET_INIT;
	struct sw_buf repo = SW_BUF_INIT, reason = SW_BUF_INIT;
	struct run_ctx rc = { j, job };
	struct sw_releaser_push rp;
	const char *branch = sw_gitref_branch(job->ref);
	int r;
	int built = 0;

	db_started(j, job);
	sw_event_emit(j->db, job->app, "build.started", 0, job->id, job->pushed_by, "build %ld of %.7s (%s) started%s",
		      job->id, job->commit, branch ? branch : job->ref, job->detached ? " (detached push)" : "");
	job_log(j, job, "-----> %s: building %.7s (%s), build %ld", job->app, job->commit,
		branch ? branch : job->ref, job->id);
	/* ops (issue 7): a detached push builds from the repository once its ref landed */
	if (job->detached) {
		sw_app_repo_path(&repo, j->cfg, job->repo_app ? job->repo_app : job->app);   /* review apps (issue 8) */
		if (wait_landed(j, job, repo.ptr) < 0) {
			sw_buf_adds(&reason, sw_error_last());
			goto done;
		}
	}
	/* the releaser says where images go (ECR with ECS configured, else the local
	 * registry); the manifest is checked before the build */
	if (sw_releaser_push_target(job->app, &auth) < 0) {
		sw_buf_adds(&reason, sw_error_last());
		goto done;
	}
	sw_app_repo_path(&repo, j->cfg, job->repo_app ? job->repo_app : job->app);   /* review apps (issue 8) */
	memset(&rp, 0, sizeof(rp));
	rp.db = j->db;
	rp.repo_path = repo.ptr;
	rp.object_dir = job->object_dir;
	rp.alternate_dirs = job->alternates;
	rp.app = job->app;
	rp.commit = job->commit;
	rp.branch = branch;
	rp.job_id = job->id;
	rp.created_by = job->pushed_by ? job->pushed_by : "";   /* ops (issue 7): the token's name */
	rp.report = report_release_line;
	rp.report_ctx = &rc;
	rp.cancel = &job->cancel;
	rp.cancelled_by = user_cancelled;   /* ops (issue 7): a user's cancel rolls back */
	rp.cancel_ctx = &rc;
	rp.stopping = &job->stop;
	if (sw_releaser_enabled() && sw_releaser_check_manifest(&rp) < 0) {
		sw_buf_adds(&reason, sw_error_last());
		goto done;
	}
	/* end releaser */
	memset(&o, 0, sizeof(o));
	o.repo_path = repo.ptr;
	o.object_dir = job->object_dir;
	o.alternate_dirs = job->alternates;
	o.commit = job->commit;
	o.app = job->app;
	o.registry = auth.registry;
	o.registry_user = auth.user;
	o.registry_password = auth.password;
	o.report = report_line;
	o.report_ctx = &rc;
	o.cancel = &job->cancel;
	sw_error_clear();
	build_phase(j, job, 1);
	r = sw_build_run(&o, &res);
	build_phase(j, job, 0);
	if (r < 0) {
		if (job->cancel && j->stopping)
			sw_buf_adds(&reason, "interrupted (slipwayd stopped)");
		else if (build_timed_out(j, job))
			sw_buf_addf(&reason, "build timed out after %s", j->cfg->build_timeout_text);
		else
			sw_buf_adds(&reason, *sw_error_last() ? sw_error_last() : "build failed");
	} else if (build_timed_out(j, job)) {
		/* done just as the deadline came: the release goes on */
		pthread_mutex_lock(&j->mu);
		job->cancel = 0;
		pthread_mutex_unlock(&j->mu);
	}
	/* ops (issue 7) */
	if (r == 0) {
		built = 1;
		sw_event_emit(j->db, job->app, "build.succeeded", 0, job->id, job->pushed_by,
			      "build %ld of %.7s succeeded%s", job->id, job->commit, res.reused ? " (image reused)" : "");
	}
	/* releaser (issue 6): the built image becomes release vN, watched until live or failed */
	if (r == 0 && sw_releaser_enabled()) {
		rp.image = res.image;
		rp.digest = res.digest;
		sw_error_clear();
		r = sw_releaser_push(&rp, NULL);
		if (r == SW_ECANCEL)
			sw_buf_adds(&reason, INTERRUPTED_ROLLOUT);
		else if (r < 0)
			sw_buf_adds(&reason, *sw_error_last() ? sw_error_last() : "release failed");
	}
	/* end releaser */
done:
	/* the builder said "-----> build <sha> done in 6.3s" (or "reusing") */
	if (!conclude(j, job, &reason, &res, 0, "the push went live") && !built)   /* ops (issue 7) */
		sw_event_emit(j->db, job->app, "build.failed", 0, job->id, job->pushed_by, "build %ld failed: %s",
			      job->id, reason.ptr);
	sw_build_result_release(&res);
	sw_push_target_release(&auth);
	sw_buf_release(&repo);
	sw_buf_release(&reason);
}

/* The first queued job whose app has no earlier build in the list. Holds mu. */
static struct job *pick_locked(struct sw_jobs *j)
{
	struct job *job, *prev;

	for (job = j->head; job; job = job->next) {
		int blocked = 0;
		if (job->state != JOB_QUEUED)
			continue;
		for (prev = j->head; prev != job; prev = prev->next)
			if (!prev->what && !strcmp(prev->app, job->app)) {   /* a command does not hold builds back */
				blocked = 1;
				break;
			}
		if (!blocked)
			return job;
	}
	return NULL;
}

static void unlink_locked(struct sw_jobs *j, struct job *job)
{
	struct job **pp;

	for (pp = &j->head; *pp; pp = &(*pp)->next)
		if (*pp == job) {
			*pp = job->next;
			job->next = NULL;
			return;
		}
}

/* job ran: it leaves the list (and is freed once its followers are gone). Holds mu. */
static void ended_locked(struct sw_jobs *j, struct job *job)
{
	job->state = JOB_DONE;
	unlink_locked(j, job);
	pthread_cond_broadcast(&j->changed);
	pthread_cond_broadcast(&j->work);
	unref_locked(job);
}

static void *worker(void *arg)
{
	struct sw_jobs *j = arg;
	struct job *job;

	pthread_mutex_lock(&j->mu);
	while (!j->stopping) {
		job = pick_locked(j);
		if (!job) {
			pthread_cond_wait(&j->work, &j->mu);
			continue;
		}
		job->state = JOB_RUNNING;
		job->started = sw_db_now();
		j->running++;
		pthread_mutex_unlock(&j->mu);

		run(j, job);

		pthread_mutex_lock(&j->mu);
		j->running--;
		ended_locked(j, job);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

/* Jobs a previous slipwayd left queued or running: failed, "interrupted". */
static int recover(struct sw_jobs *j)
{
	sqlite3_stmt *st = NULL, *up = NULL;
	int ret = SW_ERROR, rc;

	if (sw_store_prepare(j->db, &st, "SELECT id, app FROM builds WHERE status IN ('queued', 'running')") < 0 ||
	    sw_store_prepare(j->db, &up, "UPDATE builds SET status = 'failed', reason = 'interrupted',"
			     " finished_at = ? WHERE id = ?") < 0)
		goto cleanup;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long id = (long)sqlite3_column_int64(st, 0);
		struct sw_buf line = SW_BUF_INIT;

		sw_buf_addf(&line, " !     interrupted: slipwayd stopped before build %ld finished", id);
		append_to_log_file(j->cfg, id, line.ptr);
		sw_buf_release(&line);
		sqlite3_reset(up);
		sqlite3_bind_double(up, 1, sw_db_now());
		sqlite3_bind_int64(up, 2, id);
		if (sqlite3_step(up) != SQLITE_DONE) {
			sw_store_error(j->db, "mark interrupted build");
			goto cleanup;
		}
		sw_log(SW_LOG_WARN, (const char *)sqlite3_column_text(st, 1), id,
		       "marked failed: interrupted (slipwayd stopped during it)");
	}
	if (rc != SQLITE_DONE) {
		sw_store_error(j->db, "read unfinished builds");
		goto cleanup;
	}
	ret = 0;
cleanup:
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	return ret;
}

int sw_jobs_new(struct sw_jobs **out, const struct sw_config *c, sqlite3 *db)
{
	struct sw_jobs *j = xcalloc(1, sizeof(*j));
	pthread_condattr_t ca;
	int i;

	*out = NULL;
	j->cfg = c;
	j->db = db;
	sw_strvec_init(&j->held);
	sw_strvec_init(&j->unrecorded);
	pthread_mutex_init(&j->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->work, &ca);
	pthread_cond_init(&j->changed, &ca);
	pthread_cond_init(&j->deadlines, &ca);
	pthread_condattr_destroy(&ca);
	if (recover(j) < 0) {
		sw_jobs_free(j);
		return SW_ERROR;
	}
	if (pthread_create(&j->watchdog, NULL, watchdog, j) != 0) {
		sw_error("cannot start the build deadline thread");
		sw_jobs_free(j);
		return SW_ERROR;
	}
	j->has_watchdog = 1;
	j->workers = xcalloc((size_t)c->max_builds, sizeof(*j->workers));
	for (i = 0; i < c->max_builds; i++) {
		if (pthread_create(&j->workers[i], NULL, worker, j) != 0) {
			sw_error("cannot start build worker threads");
			sw_jobs_shutdown(j, 0);
			sw_jobs_free(j);
			return SW_ERROR;
		}
		j->nworkers++;
	}
	*out = j;
	return 0;
}

/* Why a new job waits, or "" when it will start at once. Holds mu. */
static void waiting_reason_locked(struct sw_jobs *j, struct job *job, struct sw_buf *out)
{
	struct job *o, *running = NULL, *last_queued = NULL;
	int ahead = 0;
	double now = sw_db_now();

	for (o = j->head; o && o != job; o = o->next) {
		if (o->what || strcmp(o->app, job->app))   /* a command does not hold builds back */
			continue;
		ahead++;
		if (o->state == JOB_RUNNING)
			running = o;
		else
			last_queued = o;
	}
	if (running && ahead == 1)
		sw_buf_addf(out, "-----> waiting for build %ld (started %.0fs ago)", running->id, now - running->started);
	else if (running)
		sw_buf_addf(out, "-----> waiting for build %ld (started %.0fs ago) and %d more queued before this push",
			    running->id, now - running->started, ahead - 1);
	else if (last_queued)
		sw_buf_addf(out, "-----> waiting for build %ld (queued %.0fs ago)", last_queued->id,
			    now - last_queued->created);
	else if (j->running >= j->cfg->max_builds)
		sw_buf_addf(out, "-----> waiting for a free build slot (%d builds running)", j->running);
}

/* ops (issue 7): 1 when app is held for destruction. Holds mu. */
static int sw_jobs_app_held_locked(struct sw_jobs *j, const char *app)
{
	size_t i;
	for (i = 0; i < j->held.nr; i++)
		if (!strcmp(j->held.v[i], app))
			return 1;
	return 0;
}

/* Jobs whose end could not be recorded (a full disk): failed, now that a write works. Holds mu. */
static void retry_unrecorded_locked(struct sw_jobs *j)
{
	sqlite3_stmt *st = NULL;
	size_t i;

	if (!j->unrecorded.nr || sw_store_prepare(j->db, &st, "UPDATE builds SET status = 'failed', reason = ?,"
				" finished_at = ? WHERE id = ? AND status IN ('queued', 'running')") < 0)
		return;
	for (i = 0; i < j->unrecorded.nr; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, "its end could not be recorded (disk full?)", -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 2, sw_db_now());
		sqlite3_bind_int64(st, 3, strtol(j->unrecorded.v[i], NULL, 10));
		if (sqlite3_step(st) != SQLITE_DONE)
			break;
	}
	sqlite3_finalize(st);
	if (i == j->unrecorded.nr)
		sw_strvec_clear(&j->unrecorded);
}

/*
 * Record a job of kind ("build", or a command's) for req and add it to the list: queued,
 * or (a command) running from now. With mu held; NULL (error slot set) when it may not.
 */
static struct job *add_locked(struct sw_jobs *j, const struct sw_job_request *req, const char *kind)
{
	struct sw_buf path = SW_BUF_INIT;
	sqlite3_stmt *st = NULL;
	struct job *job = NULL, **tail;
	int running = strcmp(kind, "build") != 0;
	double now = sw_db_now();
	long id;

	if (j->stopping) {
		sw_error_code(SW_EUNAVAIL, "slipwayd is stopping; %s again in a moment", running ? "try" : "push");
		goto cleanup;
	}
	/* ops (issue 7): an app being destroyed takes no jobs */
	if (sw_jobs_app_held_locked(j, req->app)) {
		sw_error_code(SW_EEXISTS, "%s is being destroyed", req->app);
		goto cleanup;
	}
	if (sw_store_prepare(j->db, &st,
			     "INSERT INTO builds(app, ref, old_sha, commit_sha, options, status, created_at,"
			     " pushed_by, detached, kind, started_at)"
			     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id") < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, req->app, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, req->ref, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, req->old_sha, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, req->new_sha, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, req->options_json ? req->options_json : "[]", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, running ? "running" : "queued", -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 7, now);
	if (req->pushed_by)
		sqlite3_bind_text(st, 8, req->pushed_by, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 9, req->detach ? 1 : 0);
	sqlite3_bind_text(st, 10, kind, -1, SQLITE_STATIC);
	if (running)
		sqlite3_bind_double(st, 11, now);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sw_store_error(j->db, "record build");
		goto cleanup;
	}
	id = (long)sqlite3_column_int64(st, 0);
	if (sqlite3_step(st) != SQLITE_DONE) {   /* the insert commits here (a full disk fails it) */
		sw_store_error(j->db, "record build");
		goto cleanup;
	}
	retry_unrecorded_locked(j);
	job = xcalloc(1, sizeof(*job));
	job->id = id;
	job->kind = kind;
	job->app = xstrdup(req->app);
	job->ref = xstrdup(req->ref);
	job->commit = xstrdup(req->new_sha);
	/* ops (issue 7): a detached job reads the repository, never the quarantine,
	 * which is gone by the time it runs */
	job->detached = req->detach ? 1 : 0;
	job->object_dir = req->object_dir && !req->detach ? xstrdup(req->object_dir) : NULL;
	job->alternates = req->alternate_dirs && !req->detach ? xstrdup(req->alternate_dirs) : NULL;
	job->old_sha = xstrdup(req->old_sha);
	job->pushed_by = req->pushed_by ? xstrdup(req->pushed_by) : NULL;
	job->repo_app = req->repo_app ? xstrdup(req->repo_app) : NULL;   /* review apps (issue 8) */
	job->state = running ? JOB_RUNNING : JOB_QUEUED;
	job->created = now;
	job->started = now;
	job->refs = 1;
	log_path(&path, j->cfg, job->id);
	job->log_fd = open(path.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (job->log_fd < 0)
		sw_log(SW_LOG_WARN, job->app, job->id, "cannot open %s: %s", path.ptr, strerror(errno));
	for (tail = &j->head; *tail; tail = &(*tail)->next)
		;
	*tail = job;
cleanup:
	if (st)
		sqlite3_finalize(st);
	sw_buf_release(&path);
	return job;
}

long sw_jobs_submit(struct sw_jobs *j, const struct sw_job_request *req)
{
	struct sw_buf why = SW_BUF_INIT;
	struct job *job;
	long id = SW_ERROR;

	pthread_mutex_lock(&j->mu);
	if ((job = add_locked(j, req, "build"))) {
		waiting_reason_locked(j, job, &why);
		if (why.len)
			write_line_locked(j, job, why.ptr);
		id = job->id;
		pthread_cond_broadcast(&j->work);
	} else {
		id = sw_error_last_code() < 0 ? sw_error_last_code() : SW_ERROR;
	}
	pthread_mutex_unlock(&j->mu);
	sw_buf_release(&why);
	return id;
}

/* ---- ops (issue 7): release commands --------------------------------------------- */

struct command_thread {
	struct sw_jobs *jobs;
	struct job *job;
};

static void run_command(struct sw_jobs *j, struct job *job)
{
	struct run_ctx rc = { j, job };
	struct sw_releaser_cancel cancel = { &job->cancel, user_cancelled, &rc, &job->stop };
	struct sw_command_run o;
	struct sw_buf reason = SW_BUF_INIT;
	int version = 0, r;

	memset(&o, 0, sizeof(o));
	o.db = j->db;
	o.app = job->app;
	o.request = job->request;
	o.who = job->pushed_by;
	o.job = job->id;
	o.report = report_release_line;
	o.report_ctx = &rc;
	o.cancel = &cancel;
	sw_error_clear();
	r = job->cancel ? sw_error_code(SW_ECANCEL, "cancelled before it started") : sw_command_run(&o, &version);
	if (r == SW_ECANCEL)
		sw_buf_adds(&reason, INTERRUPTED_ROLLOUT);
	else if (r < 0)
		sw_buf_adds(&reason, *sw_error_last() ? sw_error_last() : "failed");
	conclude(j, job, &reason, NULL, version, version ? "the release went live" : "there was nothing to change");
	sw_buf_release(&reason);
}

static void *command_main(void *arg)
{
	struct command_thread *t = arg;
	struct sw_jobs *j = t->jobs;

	run_command(j, t->job);
	pthread_mutex_lock(&j->mu);
	j->commands--;
	ended_locked(j, t->job);
	pthread_mutex_unlock(&j->mu);
	free(t);
	return NULL;
}

long sw_jobs_start_command(struct sw_jobs *j, const char *app, const json_t *request, const char *by)
{
	struct sw_job_request req;
	struct sw_buf what = SW_BUF_INIT, line = SW_BUF_INIT;
	struct command_thread *t = NULL;
	const char *kind = NULL;
	struct job *job;
	pthread_attr_t attr;
	pthread_t thread;
	long id = SW_ERROR;

	if (sw_command_check(request, &kind, &what) < 0) {
		id = SW_EINVAL;
		goto cleanup;
	}
	if (!sw_releaser_enabled()) {
		id = sw_error_code(SW_EUNAVAIL, "the releaser is off: slipwayd has no ECS to release to");
		goto cleanup;
	}
	memset(&req, 0, sizeof(req));
	req.app = app;
	req.ref = req.old_sha = req.new_sha = "";
	req.pushed_by = by && *by ? by : "api";
	pthread_mutex_lock(&j->mu);
	if (!(job = add_locked(j, &req, kind))) {
		id = sw_error_last_code() < 0 ? sw_error_last_code() : SW_ERROR;
		pthread_mutex_unlock(&j->mu);
		goto cleanup;
	}
	job->request = json_deep_copy(request);
	job->what = sw_buf_detach(&what, NULL);
	sw_buf_addf(&line, "-----> %s: %s, job %ld (`slipway builds:cancel %ld` stops it)", app, job->what, job->id,
		    job->id);
	write_line_locked(j, job, line.ptr);
	id = job->id;
	j->commands++;
	t = xcalloc(1, sizeof(*t));
	t->jobs = j;
	t->job = job;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&thread, &attr, command_main, t) != 0) {
		struct sw_buf reason = SW_BUF_INIT;
		sw_buf_adds(&reason, "cannot start a thread for it");
		write_line_locked(j, job, " !     cannot start a thread for it");
		db_finish(j, id, reason.ptr, NULL, 0);
		j->commands--;
		ended_locked(j, job);
		sw_buf_release(&reason);
		free(t);
		id = sw_error("cannot start a thread for the command");
	}
	pthread_attr_destroy(&attr);
	pthread_mutex_unlock(&j->mu);
cleanup:
	sw_buf_release(&what);
	sw_buf_release(&line);
	return id;
}

int sw_jobs_result(struct sw_jobs *j, long id, struct sw_buf *status, struct sw_buf *reason, int *release)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (release)
		*release = 0;
	if (sw_store_prepare(j->db, &st, "SELECT status, reason, release_version FROM builds WHERE id = ?") < 0)
		return SW_ERROR;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (status)
			sw_buf_adds(status, (const char *)sqlite3_column_text(st, 0));
		if (reason && sqlite3_column_text(st, 1))
			sw_buf_adds(reason, (const char *)sqlite3_column_text(st, 1));
		if (release)
			*release = sqlite3_column_int(st, 2);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? sw_error_code(SW_ENOTFOUND, "no such build: %ld", id)
				 : sw_store_error(j->db, "read build");
}

void sw_jobs_abandon(struct sw_jobs *j, long id)
{
	struct job *job;
	struct sw_buf line = SW_BUF_INIT;

	pthread_mutex_lock(&j->mu);
	for (job = j->head; job && job->id != id; job = job->next)
		;
	if (job && job->state == JOB_QUEUED) {
		sw_buf_addf(&line, " !     the push went away before build %ld started", id);
		write_line_locked(j, job, line.ptr);
		job->state = JOB_DONE;
		unlink_locked(j, job);
		db_finish(j, id, "the push went away before the build started", NULL, 0);
		pthread_cond_broadcast(&j->changed);
		pthread_cond_broadcast(&j->work);
		unref_locked(job);
	}
	pthread_mutex_unlock(&j->mu);
	sw_buf_release(&line);
}

static void deadline_after(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

void sw_jobs_shutdown(struct sw_jobs *j, int grace_secs)
{
	struct timespec until;
	struct job *job;
	int i, all_joined;

	pthread_mutex_lock(&j->mu);
	j->stopping = 1;
	for (job = j->head; job; job = job->next) {
		job->stop = 1;   /* ops (issue 7): before cancel, so nobody takes it for a user's */
		job->cancel = 1;
	}
	pthread_cond_broadcast(&j->work);
	pthread_cond_broadcast(&j->changed);
	pthread_cond_broadcast(&j->deadlines);
	deadline_after(&until, grace_secs * 1000);
	while (j->running > 0 || j->commands > 0)   /* ops (issue 7): commands too */
		if (pthread_cond_timedwait(&j->changed, &j->mu, &until) == ETIMEDOUT)
			break;
	all_joined = j->running == 0;
	/* What is left (queued, or running past the grace period) is interrupted. */
	while ((job = j->head)) {
		struct sw_buf line = SW_BUF_INIT;
		sw_buf_addf(&line, " !     interrupted: slipwayd stopped before build %ld finished", job->id);
		write_line_locked(j, job, line.ptr);
		sw_buf_release(&line);
		db_finish(j, job->id, "interrupted", NULL, 0);
		unlink_locked(j, job);
		if (job->state == JOB_QUEUED) {
			job->state = JOB_DONE;
			unref_locked(job);
		}
		/* a running one stays referenced by its worker (or its command's thread) */
	}
	pthread_cond_broadcast(&j->changed);
	pthread_mutex_unlock(&j->mu);
	for (i = 0; i < j->nworkers; i++) {
		if (all_joined)
			pthread_join(j->workers[i], NULL);
		else
			pthread_detach(j->workers[i]);
	}
	j->nworkers = 0;
	if (j->has_watchdog)   /* it ends as soon as it sees stopping */
		pthread_join(j->watchdog, NULL);
	j->has_watchdog = 0;
}

void sw_jobs_free(struct sw_jobs *j)
{
	int commands;

	if (!j)
		return;
	if (j->nworkers || j->has_watchdog)
		sw_jobs_shutdown(j, 0);
	/* ops (issue 7): a command's thread that outlived the grace period still uses j:
	 * the process is about to end; leave it */
	pthread_mutex_lock(&j->mu);
	commands = j->commands;
	pthread_mutex_unlock(&j->mu);
	if (commands)
		return;
	free(j->workers);
	sw_strvec_clear(&j->held);
	sw_strvec_clear(&j->unrecorded);
	/* Condition variables and the mutex may still be used by detached workers
	 * that outlived the grace period: the process is about to end; leave them. */
	free(j);
}

int sw_job_follow_open(struct sw_jobs *j, long id, int follow, struct sw_job_follow **out)
{
	struct sw_job_follow *f = xcalloc(1, sizeof(*f));
	struct sw_buf path = SW_BUF_INIT;
	struct job *job;

	*out = NULL;
	f->jobs = j;
	f->follow = follow;
	pthread_mutex_lock(&j->mu);
	for (job = j->head; job && job->id != id; job = job->next)
		;
	if (job) {
		job->refs++;
		f->job = job;
	}
	pthread_mutex_unlock(&j->mu);
	log_path(&path, j->cfg, id);
	f->fd = open(path.ptr, O_RDONLY | O_CLOEXEC);
	sw_buf_release(&path);
	if (f->fd < 0) {
		int e = errno;
		sw_job_follow_free(f);
		if (e == ENOENT)
			return sw_error_code(SW_ENOTFOUND, "no log for build %ld", id);
		errno = e;
		return sw_error_errno("open log of build %ld", id);
	}
	*out = f;
	return 0;
}

/* After the end of the log file: the lines kept in memory (keep_unwritten_locked). */
static ssize_t read_unwritten(struct sw_job_follow *f, char *buf, size_t n)
{
	struct job *job = f->job;
	ssize_t r = 0;

	if (!job)
		return 0;
	pthread_mutex_lock(&f->jobs->mu);
	if (job->unwritten.ptr && f->off >= job->unwritten_at &&
	    f->off < job->unwritten_at + (off_t)job->unwritten.len) {
		size_t at = (size_t)(f->off - job->unwritten_at), left = job->unwritten.len - at;
		r = (ssize_t)(n < left ? n : left);
		memcpy(buf, job->unwritten.ptr + at, (size_t)r);
		f->off += r;
	}
	pthread_mutex_unlock(&f->jobs->mu);
	return r;
}

ssize_t sw_job_follow_read(struct sw_job_follow *f, char *buf, size_t n, int timeout_ms)
{
	struct sw_jobs *j = f->jobs;
	struct timespec until;

	if (timeout_ms >= 0)
		deadline_after(&until, timeout_ms);
	for (;;) {
		ssize_t r = read(f->fd, buf, n);
		int end = 0;

		if (r > 0) {
			f->off += r;
			return r;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return sw_error_errno("read build log");
		}
		if ((r = read_unwritten(f, buf, n)) > 0)
			return r;
		if (!f->follow || !f->job)
			return 0;
		pthread_mutex_lock(&j->mu);
		while (f->job->state != JOB_DONE && f->job->log_size <= f->off && !j->stopping) {
			int w = timeout_ms >= 0 ? pthread_cond_timedwait(&j->changed, &j->mu, &until)
						: pthread_cond_wait(&j->changed, &j->mu);
			if (w == ETIMEDOUT) {
				pthread_mutex_unlock(&j->mu);
				return sw_error_code(SW_ETIMEOUT, "nothing new");
			}
		}
		end = (f->job->state == JOB_DONE || j->stopping) && f->job->log_size <= f->off;
		pthread_mutex_unlock(&j->mu);
		if (end)
			return 0;
	}
}

void sw_job_follow_free(struct sw_job_follow *f)
{
	if (!f)
		return;
	if (f->job) {
		pthread_mutex_lock(&f->jobs->mu);
		unref_locked(f->job);
		pthread_mutex_unlock(&f->jobs->mu);
	}
	if (f->fd >= 0)
		close(f->fd);
	free(f);
}

/* ---- ops (issue 7): cancel, hold ----------------------------------------------- */

int sw_jobs_cancel(struct sw_jobs *j, long id, const char *by)
{
	struct sw_buf line = SW_BUF_INIT, reason = SW_BUF_INIT;
	struct job *job;
	int ret = 0;

	pthread_mutex_lock(&j->mu);
	for (job = j->head; job && job->id != id; job = job->next)
		;
	if (!job) {
		ret = sw_error_code(SW_ENOTFOUND, "build %ld is not queued or running", id);
		goto cleanup;
	}
	if (job->cancelled_by) {
		ret = sw_error_code(SW_EEXISTS, "build %ld is being cancelled already (by %s)", id, job->cancelled_by);
		goto cleanup;
	}
	job->cancelled_by = xstrdup(by);
	if (job->state == JOB_QUEUED) {
		job->cancel = 1;
		/* never started: it ends here */
		sw_buf_addf(&reason, "cancelled by %s", by);
		sw_buf_addf(&line, " !     %s", reason.ptr);
		write_line_locked(j, job, line.ptr);
		job->state = JOB_DONE;
		unlink_locked(j, job);
		db_finish(j, id, reason.ptr, NULL, 0);
		db_mark_cancelled(j, id, by);
		pthread_cond_broadcast(&j->changed);
		pthread_cond_broadcast(&j->work);
		sw_event_emit(j->db, job->app, "build.cancelled", 0, id, by, "build %ld cancelled by %s (it was queued)",
			      id, by);
		unref_locked(job);
	} else {
		stop_running_locked(j, job, "-----> cancelling (asked by the API)");
	}
cleanup:
	pthread_mutex_unlock(&j->mu);
	sw_buf_release(&line);
	sw_buf_release(&reason);
	return ret;
}

int sw_jobs_hold_app(struct sw_jobs *j, const char *app)
{
	struct job *job;
	int ret = 0;

	pthread_mutex_lock(&j->mu);
	for (job = j->head; job; job = job->next)
		if (!strcmp(job->app, app))
			break;
	if (job && job->what)   /* ops (issue 7): a release command */
		ret = sw_error_code(SW_EEXISTS, "%s has %s (job %ld) running: cancel it or wait", app, job->what, job->id);
	else if (job)
		ret = sw_error_code(SW_EEXISTS, "%s has build %ld %s: cancel it or wait", app, job->id,
				    job->state == JOB_RUNNING ? "running" : "queued");
	else if (sw_jobs_app_held_locked(j, app))
		ret = sw_error_code(SW_EEXISTS, "%s is being destroyed already", app);
	else
		sw_strvec_push(&j->held, app);
	pthread_mutex_unlock(&j->mu);
	return ret;
}

void sw_jobs_release_app(struct sw_jobs *j, const char *app)
{
	struct sw_strvec keep = SW_STRVEC_INIT;
	size_t i;

	pthread_mutex_lock(&j->mu);
	for (i = 0; i < j->held.nr; i++)
		if (strcmp(j->held.v[i], app))
			sw_strvec_push(&keep, j->held.v[i]);
	sw_strvec_clear(&j->held);
	j->held = keep;
	pthread_mutex_unlock(&j->mu);
}

int sw_jobs_app_busy(struct sw_jobs *j, const char *app, long *id)
{
	struct job *job;
	int busy = 0;

	pthread_mutex_lock(&j->mu);
	for (job = j->head; job; job = job->next)
		if (!strcmp(job->app, app)) {
			busy = 1;
			if (id)
				*id = job->id;
			break;
		}
	pthread_mutex_unlock(&j->mu);
	return busy;
}
