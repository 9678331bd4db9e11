#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "receiver/job_parts.h"
#include "receiver/app.h"
#include "receiver/db.h"
#include "releaser/command.h"
#include "releaser/releaser.h"
#include "common/error.h"
#include "common/event.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

/* ---- the build deadline (SLIPWAY_BUILD_TIMEOUT) ---- */

/*
 * A thread of sw_jobs: sleeps until the nearest build deadline (job_run.c sets them)
 * and stops each build still running past its own, as a user's cancel would; the run
 * then fails the job with "build timed out after 60m".
 */
static void *watchdog(void *arg)
{
	struct sw_jobs *j = arg;
	struct timespec until;
	struct job *job;

	pthread_mutex_lock(&j->mu);
	while (!j->stopping) {
		double now = sw_time_mono(), next = 0;

		for (job = j->head; job; job = job->next) {
			if (job->build_deadline <= 0)
				continue;
			if (job->build_deadline > now) {
				if (!next || job->build_deadline < next)
					next = job->build_deadline;
				continue;
			}
			job->build_deadline = 0;
			if (!sw_cancel_raised(&job->cancel)) {   /* else it is being stopped already */
				struct sw_buf line = SW_BUF_INIT;
				sw_cancel_raise(&job->cancel, SW_CANCEL_DEADLINE, NULL);
				sw_buf_addf(&line, "-----> build %ld ran out of time (%s, SLIPWAY_BUILD_TIMEOUT): stopping it",
					    job->number, j->cfg->build_timeout_text);
				sw_job_log_line_locked(j, job, line.ptr);
				sw_buf_release(&line);
			}
		}
		if (!next) {
			pthread_cond_wait(&j->deadlines, &j->mu);
			continue;
		}
		sw_time_deadline(&until, CLOCK_MONOTONIC, (long long)((next - now) * 1000) + 1);
		pthread_cond_timedwait(&j->deadlines, &j->mu, &until);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
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
			if (!prev->what && !strcmp(prev->push.app, job->push.app)) {   /* a command does not hold builds back */
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
	sw_job_unref_locked(job);
}

/*
 * A job on a thread of its own: a push's release (its build slot is free), or a release
 * command. `count` (j->rollouts, j->commands) counts the threads running.
 */
struct job_thread {
	struct sw_jobs *jobs;
	struct job *job;
	void (*run)(struct sw_jobs *j, struct job *job);
	int *count;
};

static void *job_thread_main(void *arg)
{
	struct job_thread *t = arg;
	struct sw_jobs *j = t->jobs;

	t->run(j, t->job);
	pthread_mutex_lock(&j->mu);
	(*t->count)--;
	ended_locked(j, t->job);
	pthread_mutex_unlock(&j->mu);
	free(t);
	return NULL;
}

/* Start run(j, job) on a detached thread, counted in *count. Holds mu. 0, or -1 when it could not start. */
static int start_thread_locked(struct sw_jobs *j, struct job *job, void (*run)(struct sw_jobs *, struct job *),
			       int *count)
{
	struct job_thread *t = xcalloc(1, sizeof(*t));
	pthread_attr_t attr;
	pthread_t thread;
	int ret = 0;

	t->jobs = j;
	t->job = job;
	t->run = run;
	t->count = count;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	(*count)++;
	if (pthread_create(&thread, &attr, job_thread_main, t) != 0) {
		(*count)--;
		free(t);
		ret = -1;
	}
	pthread_attr_destroy(&attr);
	return ret;
}

/*
 * Hand job's release to a thread of its own, once fewer than max_rollouts run (the
 * caller still holds its build slot until then). Holds mu. 0, or -1 when no thread
 * could start: the caller runs the release itself.
 */
static int start_release_locked(struct sw_jobs *j, struct job *job)
{
	int said = 0;

	while (j->rollouts >= j->cfg->max_rollouts && !j->stopping) {
		if (!said) {
			struct sw_buf line = SW_BUF_INIT;
			sw_buf_addf(&line, "-----> waiting for a free rollout slot (%d rollouts running, "
				    "SLIPWAY_MAX_ROLLOUTS)", j->rollouts);
			sw_job_log_line_locked(j, job, line.ptr);
			sw_buf_release(&line);
			said = 1;
		}
		pthread_cond_wait(&j->changed, &j->mu);
	}
	return start_thread_locked(j, job, sw_job_run_release, &j->rollouts);
}

/*
 * A build slot: picks the next push that may start, builds it, and hands its release
 * to a thread of its own (start_release_locked), so the slot serves the next build while
 * the release waits on its rollout. The push stays in the list until its release ended:
 * the app's next push waits for it.
 */
static void *worker(void *arg)
{
	struct sw_jobs *j = arg;
	struct job *job;

	pthread_mutex_lock(&j->mu);
	while (!j->stopping) {
		int release;
		job = pick_locked(j);
		if (!job) {
			pthread_cond_wait(&j->work, &j->mu);
			continue;
		}
		job->state = JOB_RUNNING;
		job->started = sw_time_now();
		j->running++;
		pthread_mutex_unlock(&j->mu);

		release = sw_job_run_build(j, job);

		pthread_mutex_lock(&j->mu);
		if (release && start_release_locked(j, job) == 0) {
			j->running--;
			pthread_cond_broadcast(&j->work);   /* the slot is free */
			continue;
		}
		if (release) {
			pthread_mutex_unlock(&j->mu);
			sw_job_run_release(j, job);
			pthread_mutex_lock(&j->mu);
		}
		j->running--;
		ended_locked(j, job);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

static int recover(struct sw_jobs *j);

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
	double now = sw_time_now();

	for (o = j->head; o && o != job; o = o->next) {
		if (o->what || strcmp(o->push.app, job->push.app))   /* a command does not hold builds back */
			continue;
		ahead++;
		if (o->state == JOB_RUNNING)
			running = o;
		else
			last_queued = o;
	}
	if (running && ahead == 1)
		sw_buf_addf(out, "-----> waiting for build %ld (started %.0fs ago)", running->number, now - running->started);
	else if (running)
		sw_buf_addf(out, "-----> waiting for build %ld (started %.0fs ago) and %d more queued before this push",
			    running->number, now - running->started, ahead - 1);
	else if (last_queued)
		sw_buf_addf(out, "-----> waiting for build %ld (queued %.0fs ago)", last_queued->number,
			    now - last_queued->created);
	else if (j->running >= j->cfg->max_builds)
		sw_buf_addf(out, "-----> waiting for a free build slot (%d builds running)", j->running);
}

/* 1 when app is held for destruction. Holds mu. */
static int held_locked(struct sw_jobs *j, const char *app)
{
	size_t i;
	for (i = 0; i < j->held.nr; i++)
		if (!strcmp(j->held.v[i], app))
			return 1;
	return 0;
}

/* job's push from req: what was pushed and where its objects are. */
static void fill_push(struct sw_jobs *j, struct job *job, const struct sw_job_request *req)
{
	struct sw_push *p = &job->push;
	struct sw_buf repo = SW_BUF_INIT;

	p->app = xstrdup(req->app);
	p->repo_app = xstrdup(req->repo_app ? req->repo_app : req->app);
	sw_push_set_ref(p, req->ref);
	p->old_sha = xstrdup(req->old_sha);
	p->commit = xstrdup(req->new_sha);
	p->created_by = req->pushed_by ? xstrdup(req->pushed_by) : NULL;
	p->job = job->id;
	sw_app_repo_path(&repo, j->cfg, p->repo_app);
	p->repo_path = sw_buf_detach(&repo, NULL);
	/* a detached job reads the repository, never the quarantine, which is gone by the
	 * time it runs */
	job->detached = req->detach ? 1 : 0;
	p->object_dir = req->object_dir && !req->detach ? xstrdup(req->object_dir) : NULL;
	p->alternate_dirs = req->alternate_dirs && !req->detach ? xstrdup(req->alternate_dirs) : NULL;
}

/*
 * A job in memory (id, number) of kind for req, at the end of the list: queued, or
 * running from now; its log kept (a job a restart resumes) or begun. Holds mu.
 */
static struct job *link_locked(struct sw_jobs *j, long id, long number, const struct sw_job_request *req,
			       const char *kind, int running, double created, int keep_log)
{
	struct job *job = xcalloc(1, sizeof(*job)), **tail;

	job->id = id;
	job->number = number;
	job->kind = kind;
	sw_push_init(&job->push);
	job->built = (struct sw_build_result)SW_BUILD_RESULT_INIT;
	fill_push(j, job, req);
	sw_cancel_init(&job->cancel);
	job->state = running ? JOB_RUNNING : JOB_QUEUED;
	job->created = created;
	job->started = sw_time_now();
	job->refs = 1;
	sw_job_log_open(j, job, keep_log);
	for (tail = &j->head; *tail; tail = &(*tail)->next)
		;
	*tail = job;
	return job;
}

/*
 * Record a job of kind ("build", or a command's) for req and add it to the list: queued,
 * or (a command) running from now. With mu held; NULL (error slot set) when it may not.
 */
static struct job *add_locked(struct sw_jobs *j, const struct sw_job_request *req, const char *kind)
{
	int running = strcmp(kind, "build") != 0;
	double now = sw_time_now();
	long id, number = 0;

	if (j->stopping) {
		sw_error_code(SW_EUNAVAIL, "slipwayd is stopping; %s again in a moment", running ? "try" : "push");
		return NULL;
	}
	if (held_locked(j, req->app)) {   /* an app being destroyed takes no jobs */
		sw_error_code(SW_EEXISTS, "%s is being destroyed", req->app);
		return NULL;
	}
	if ((id = sw_job_store_insert(j->db, req, kind, now, &number)) < 0)
		return NULL;
	sw_job_store_retry_locked(j->db, &j->unrecorded);
	/* where its objects wait, for a slipwayd that restarts while its hook waits */
	if (!running && !req->detach && req->object_dir)
		sw_job_push_save(j->cfg, id, req->object_dir, req->alternate_dirs);
	return link_locked(j, id, number, req, kind, running, now, 0);
}

/* A job of the same push (its hook asked again) still queued or running, or NULL. Holds mu. */
static struct job *same_push_locked(struct sw_jobs *j, const struct sw_job_request *req)
{
	struct job *job;

	if (!req->object_dir || req->detach)
		return NULL;
	for (job = j->head; job; job = job->next)
		if (!job->what && job->push.object_dir && !strcmp(job->push.object_dir, req->object_dir) &&
		    !strcmp(job->push.commit, req->new_sha) && !strcmp(job->push.app, req->app))
			return job;
	return NULL;
}

/* ---- recovery: the jobs a previous slipwayd left ---- */

/*
 * A push a previous slipwayd left unfinished goes on: in its release (the releaser
 * resumes the rollout at start; the job waits for its verdict), or built again while
 * its objects are still there (its hook waits; with a detached push, the repository).
 * A release command (command: its kind, static) that made its release waits for that
 * release's verdict the same way. 1 when it goes on, 0 when it cannot (then it is
 * interrupted).
 */
static int resume(struct sw_jobs *j, long id, long number, struct sw_job_request *req, struct sw_strvec *store,
		  int in_release, double created, const char *command)
{
	struct job *job;
	int ret = 1;

	if (!req->detach && !command)
		sw_job_push_load(j->cfg, id, store, &req->object_dir, &req->alternate_dirs);
	pthread_mutex_lock(&j->mu);
	job = link_locked(j, id, number, req, command ? command : "build", in_release, created, 1);
	if (command)
		job->what = xstrdup(command);
	if (!in_release && !sw_app_has_commit(job->push.repo_path, job->push.commit, job->push.object_dir,
					       job->push.alternate_dirs)) {
		ret = 0;
	} else if (in_release) {
		job->in_release = 1;
		sw_job_log_line_locked(j, job, "-----> slipwayd restarted: the release goes on");
		if (start_thread_locked(j, job, sw_job_run_resumed_release, command ? &j->commands : &j->rollouts) < 0)
			ret = 0;
	} else {
		sw_job_log_line_locked(j, job, "-----> slipwayd restarted: building again");
	}
	if (!ret) {
		unlink_locked(j, job);
		job->state = JOB_DONE;
		sw_job_unref_locked(job);
	}
	pthread_mutex_unlock(&j->mu);
	if (ret)
		sw_log(SW_LOG_INFO, req->app, id, "resumed (slipwayd stopped during it)");
	return ret;
}

/* A command's kind as the static string a job holds, or NULL when it is none. */
static const char *command_kind(const char *kind)
{
	static const char *const kinds[] = { "rollback", "config", "scale", NULL };
	int i;

	for (i = 0; kinds[i]; i++)
		if (!strcmp(kinds[i], kind))
			return kinds[i];
	return NULL;
}

/* 1 when job id of app made a release (a command then waits for its verdict). */
static int made_release(struct sw_jobs *j, long id, const char *app)
{
	struct sw_buf st = SW_BUF_INIT, why = SW_BUF_INIT;
	int version = 0, r = app && sw_job_store_release(j->db, app, id, &version, &st, &why, NULL) == 0;

	sw_buf_release(&st);
	sw_buf_release(&why);
	return r;
}

/* Jobs a previous slipwayd left queued or running: resumed when they can be, else failed, "interrupted". */
static int recover(struct sw_jobs *j)
{
	struct sw_strvec todo = SW_STRVEC_INIT;
	size_t i;
	int ret;

	if ((ret = sw_job_store_unfinished(j->db, &todo)) < 0)
		goto cleanup;
	for (i = 0; i < todo.nr; i++) {
		/* "<id> <number> <stage> <app>" */
		char *rest = NULL;
		long id = strtol(todo.v[i], &rest, 10), number = strtol(rest, &rest, 10), n = 0;
		int release = !strncmp(rest, " release ", 9), resumed = 0;
		const char *app = strchr(rest + 1, ' ') + 1;
		struct sw_buf line = SW_BUF_INIT, kind = SW_BUF_INIT;
		struct sw_strvec store = SW_STRVEC_INIT;
		struct sw_job_request req;
		double created = 0;

		if (sw_job_store_request(j->db, id, &req, &store, &n, &kind, &created) == 0) {
			if (!strcmp(kind.ptr, "build"))
				resumed = resume(j, id, number, &req, &store, release, created, NULL);
			else if (command_kind(kind.ptr) && made_release(j, id, req.app))
				resumed = resume(j, id, number, &req, &store, 1, created, command_kind(kind.ptr));
		}
		sw_strvec_clear(&store);
		sw_buf_release(&kind);
		if (resumed)
			continue;
		/* a command stopped in its release: the releaser resumes that release at
		 * start, and the API shows where it went (the build's "release") */
		sw_buf_addf(&line, " !     interrupted: slipwayd stopped before %s %ld finished%s", release ? "job" : "build",
			    number, release ? " (its release's rollout resumes)" : "");
		sw_job_log_append(j->cfg, id, line.ptr);
		sw_buf_release(&line);
		if ((ret = sw_job_store_finish(j->db, id, release ? SW_JOB_INTERRUPTED_RELEASE : "interrupted",
					       release ? "release" : "build", NULL, 0)) < 0)
			goto cleanup;
		sw_log(SW_LOG_WARN, app, id, "marked failed: interrupted (slipwayd stopped during it)");
	}
cleanup:
	sw_strvec_clear(&todo);
	return ret;
}

long sw_jobs_submit(struct sw_jobs *j, const struct sw_job_request *req)
{
	struct sw_buf why = SW_BUF_INIT;
	struct job *job;
	long id = SW_ERROR;

	pthread_mutex_lock(&j->mu);
	if ((job = same_push_locked(j, req))) {
		id = job->id;
	} else if ((job = add_locked(j, req, "build"))) {
		waiting_reason_locked(j, job, &why);
		if (why.len)
			sw_job_log_line_locked(j, job, why.ptr);
		id = job->id;
		pthread_cond_broadcast(&j->work);
	} else {
		id = sw_error_last_code() < 0 ? sw_error_last_code() : SW_ERROR;
	}
	pthread_mutex_unlock(&j->mu);
	sw_buf_release(&why);
	return id;
}

/* ---- release commands ---- */

long sw_jobs_start_command(struct sw_jobs *j, const char *app, const json_t *request, const char *by)
{
	struct sw_job_request req;
	struct sw_buf what = SW_BUF_INIT, line = SW_BUF_INIT;
	const char *kind = NULL;
	struct job *job;
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
	sw_buf_addf(&line, "-----> %s: %s, job %ld (`slipway builds:cancel %ld -a %s` stops it)", app, job->what,
		    job->number, job->number, app);
	sw_job_log_line_locked(j, job, line.ptr);
	id = job->id;
	if (start_thread_locked(j, job, sw_job_run_command, &j->commands) < 0) {
		sw_job_log_line_locked(j, job, " !     cannot start a thread for it");
		sw_job_store_finish(j->db, id, "cannot start a thread for it", "release", NULL, 0);
		ended_locked(j, job);
		id = sw_error("cannot start a thread for the command");
	}
	pthread_mutex_unlock(&j->mu);
cleanup:
	sw_buf_release(&what);
	sw_buf_release(&line);
	return id;
}

int sw_jobs_stopping(struct sw_jobs *j)
{
	int stopping;

	pthread_mutex_lock(&j->mu);
	stopping = j->stopping;
	pthread_mutex_unlock(&j->mu);
	return stopping;
}

long sw_jobs_number(struct sw_jobs *j, long id)
{
	return sw_job_store_number(j->db, id);
}

int sw_jobs_result(struct sw_jobs *j, long id, struct sw_buf *status, struct sw_buf *reason, int *release)
{
	return sw_job_store_result(j->db, id, status, reason, release);
}

void sw_jobs_abandon(struct sw_jobs *j, long id)
{
	struct job *job;
	struct sw_buf line = SW_BUF_INIT;

	pthread_mutex_lock(&j->mu);
	for (job = j->head; job && job->id != id; job = job->next)
		;
	if (job && job->state == JOB_QUEUED) {
		sw_buf_addf(&line, " !     the push went away before build %ld started", job->number);
		sw_job_log_line_locked(j, job, line.ptr);
		job->state = JOB_DONE;
		unlink_locked(j, job);
		sw_job_store_finish(j->db, id, "the push went away before the build started", "build", NULL, 0);
		pthread_cond_broadcast(&j->changed);
		pthread_cond_broadcast(&j->work);
		sw_job_unref_locked(job);
	}
	pthread_mutex_unlock(&j->mu);
	sw_buf_release(&line);
}

void sw_jobs_shutdown(struct sw_jobs *j, int grace_secs)
{
	struct timespec until;
	struct job *job;
	int i, all_joined;

	pthread_mutex_lock(&j->mu);
	j->stopping = 1;
	for (job = j->head; job; job = job->next)
		sw_cancel_raise(&job->cancel, SW_CANCEL_STOP, NULL);
	pthread_cond_broadcast(&j->work);
	pthread_cond_broadcast(&j->changed);
	pthread_cond_broadcast(&j->deadlines);
	sw_time_deadline(&until, CLOCK_MONOTONIC, grace_secs * 1000);
	while (j->running > 0 || j->commands > 0 || j->rollouts > 0)
		if (pthread_cond_timedwait(&j->changed, &j->mu, &until) == ETIMEDOUT)
			break;
	all_joined = j->running == 0;
	/* What is left (queued, or running past the grace period): a push goes on at the next
	 * start (recover), a command is interrupted. */
	while ((job = j->head)) {
		struct sw_buf line = SW_BUF_INIT;
		if (job->what)
			sw_buf_addf(&line, " !     interrupted: slipwayd stopped before job %ld finished", job->number);
		else if (job->state == JOB_QUEUED)
			sw_buf_adds(&line, "-----> slipwayd is stopping: this push goes on when it starts again");
		if (line.len)
			sw_job_log_line_locked(j, job, line.ptr);
		sw_buf_release(&line);
		if (job->what)
			sw_job_store_finish(j->db, job->id, "interrupted", "release", NULL, 0);
		unlink_locked(j, job);
		if (job->state == JOB_QUEUED) {
			job->state = JOB_DONE;
			sw_job_unref_locked(job);
		}
		/* a running one stays referenced by its worker (or its release's, or its command's thread) */
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
	int threads;

	if (!j)
		return;
	if (j->nworkers || j->has_watchdog)
		sw_jobs_shutdown(j, 0);
	/* a command's or a release's thread that outlived the grace period still uses j: the
	 * process is about to end; leave it */
	pthread_mutex_lock(&j->mu);
	threads = j->commands + j->rollouts;
	pthread_mutex_unlock(&j->mu);
	if (threads)
		return;
	free(j->workers);
	sw_strvec_clear(&j->held);
	sw_strvec_clear(&j->unrecorded);
	/* Condition variables and the mutex may still be used by detached workers
	 * that outlived the grace period: the process is about to end; leave them. */
	free(j);
}

/* ---- cancel, hold ---- */

int sw_jobs_cancel(struct sw_jobs *j, long id, const char *by)
{
	struct sw_buf line = SW_BUF_INIT, reason = SW_BUF_INIT;
	struct job *job;
	int ret = 0;

	pthread_mutex_lock(&j->mu);
	for (job = j->head; job && job->id != id; job = job->next)
		;
	if (!job) {
		ret = sw_error_code(SW_ENOTFOUND, "that build is not queued or running");
		goto cleanup;
	}
	if (sw_cancel_raise(&job->cancel, SW_CANCEL_USER, by) < 0) {
		sw_buf_addf(&line, "%s %ld is %s", job->what ? "job" : "build", job->number, sw_error_last());
		ret = sw_error_code(SW_EEXISTS, "%s", line.ptr);
		goto cleanup;
	}
	if (job->state == JOB_QUEUED) {
		/* never started: it ends here */
		sw_buf_addf(&reason, "cancelled by %s", by);
		sw_buf_addf(&line, " !     %s", reason.ptr);
		sw_job_log_line_locked(j, job, line.ptr);
		job->state = JOB_DONE;
		unlink_locked(j, job);
		sw_job_store_finish(j->db, id, reason.ptr, "build", NULL, 0);
		sw_job_store_cancelled(j->db, id, by);
		pthread_cond_broadcast(&j->changed);
		pthread_cond_broadcast(&j->work);
		sw_event_emit(j->db, job->push.app, "build.cancelled", 0, id, by, "build %ld cancelled by %s (it was queued)",
			      job->number, by);
		sw_job_unref_locked(job);
	} else {
		/* the builder polls the token (the Docker build request is aborted, so the
		 * daemon stops the build) and the releaser sees it */
		sw_job_log_line_locked(j, job, "-----> cancelling (asked by the API)");
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
		if (!strcmp(job->push.app, app))
			break;
	if (job && job->what)   /* a release command */
		ret = sw_error_code(SW_EEXISTS, "%s has %s (job %ld) running: cancel it or wait", app, job->what, job->number);
	else if (job)
		ret = sw_error_code(SW_EEXISTS, "%s has build %ld %s: cancel it or wait", app, job->number,
				    job->state == JOB_RUNNING ? "running" : "queued");
	else if (held_locked(j, app))
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
		if (!strcmp(job->push.app, app)) {
			busy = 1;
			if (id)
				*id = job->id;
			break;
		}
	pthread_mutex_unlock(&j->mu);
	return busy;
}
