#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/run/runtime.h"
#include "engine/ecs/ecs_taskdef.h"
#include "engine/ecs/task.h"
#include "engine/engine_db.h"
#include "engine/run/container.h"
#include "engine/run/container_spec.h"
#include "engine/run/pull.h"
#include "common/docker.h"
#include "common/error.h"
#include "common/http.h"
#include "common/json.h"
#include "common/log.h"
#include "common/strvec.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define START_TRIES 3   /* a task's containers created again when the host port was taken */

/* Copy of a task (and its containers), independent of the state. */
static struct sw_engine_task *task_copy(const struct sw_engine_task *t)
{
	json_t *doc = sw_engine_db_task_doc(t);
	struct sw_engine_task *c = sw_engine_db_task_from_doc(doc);
	json_decref(doc);
	return c;
}

/* ---- jobs ------------------------------------------------------------------------------ */

/* Look the task up again after the lock was dropped. */
static struct sw_engine_task *relock(struct sw_engine *e, const char *id)
{
	pthread_mutex_lock(&e->lock);
	return sw_engine_state_task(&e->st, id);
}

static void done(struct sw_engine *e, struct sw_engine_task *t)
{
	if (t) {
		t->busy = 0;
		sw_ecs_task_save(e, t);
	}
	sw_engine_wake_locked(e);
	pthread_mutex_unlock(&e->lock);
}

/* Does Docker answer at all? A failed call is Docker's refusal, or Docker gone. */
static int docker_answers(void)
{
	struct sw_buf saved = SW_BUF_INIT;
	json_t *doc = NULL;
	int ret;

	sw_buf_adds(&saved, sw_error_last());
	ret = sw_docker_json("GET", "/version", NULL, &doc);
	json_decref(doc);
	sw_error("%s", saved.ptr);   /* the caller's reason stays the last error */
	sw_buf_release(&saved);
	return ret != SW_EUNAVAIL && ret != SW_ETIMEOUT;
}

void sw_run_runtime_docker_lost(struct sw_engine *e)
{
	if (e->docker_down)
		return;
	e->docker_down = 1;
	e->docker_down_at = sw_time_now();
	e->resync_at = 0;   /* the scheduler asks Docker again every second */
	sw_log_warn("Docker does not answer (%s): tasks wait for it", sw_error_last());
	sw_engine_wake_locked(e);
}

/*
 * A START that Docker did not answer: the task stays PENDING (not busy), to start again
 * once Docker answers; what the START made so far is adopted then.
 */
static void hold_start(struct sw_engine *e, const char *id, const char *reason)
{
	struct sw_engine_task *t = relock(e, id);

	if (t)
		sw_log_info("task %s: %s; it stays PENDING until Docker answers", t->id, reason);
	sw_run_runtime_docker_lost(e);
	done(e, t);
}

static void fail_start(struct sw_engine *e, const char *id, size_t idx, const char *reason)
{
	struct sw_engine_task *t;
	size_t i;

	if (!docker_answers()) {
		hold_start(e, id, reason);
		return;
	}
	t = relock(e, id);
	if (t) {
		sw_log_warn("task %s: %s", t->id, reason);
		if (idx < t->nr_containers)
			sw_engine_set_str(&t->containers[idx].reason, reason);
		for (i = 0; i < t->nr_containers; i++)
			if (strcmp(t->containers[i].last_status, "RUNNING"))
				sw_engine_set_str(&t->containers[i].last_status, "STOPPED");
		sw_ecs_task_stop(e, t, "TaskFailedToStart", reason);
		sw_ecs_task_failed(e, t);
		t->last = SW_TASK_STOPPING;
		t->kill_at = sw_time_now();
		t->term_sent = 0;
		for (i = 0; i < t->nr_containers; i++)
			if (t->containers[i].docker_id)
				t->containers[i].dirty = 1;
	}
	done(e, t);
}

/*
 * A START begins: the task's definition (*taskdef, the caller's) and a copy of the task
 * to work on without the lock, the pull's start noted. NULL (the job is done) when the
 * task is not to start.
 */
static struct sw_engine_task *start_snapshot(struct sw_engine *e, const char *id, json_t **taskdef)
{
	struct sw_engine_task *t = relock(e, id), *snap;

	*taskdef = NULL;
	if (!t || !t->desired_running || sw_ecs_taskdef_get(e, t->taskdef, taskdef) < 0) {
		if (t && t->desired_running)
			sw_ecs_task_stop(e, t, "TaskFailedToStart", "CannotStartContainerError: task definition not found");
		done(e, t);
		return NULL;
	}
	if (!t->pull_started_at) {
		t->pull_started_at = sw_time_now();
		sw_ecs_task_save(e, t);
	}
	snap = task_copy(t);
	pthread_mutex_unlock(&e->lock);
	return snap;
}

/* Every container's image present in Docker, the digests recorded. 0, or -1 with the task failed. */
static int pull_images(struct sw_engine *e, const char *id, const struct sw_engine_task *snap)
{
	struct sw_buf *digests = xcalloc(snap->nr_containers + 1, sizeof(*digests));
	struct sw_buf msg = SW_BUF_INIT;
	struct sw_engine_task *t;
	size_t i, n = snap->nr_containers;
	int ret = 0;

	for (i = 0; i < n && ret == 0; i++) {
		sw_buf_init(&digests[i], 0);
		if (sw_run_pull_image(e, snap->containers[i].image, &digests[i]) < 0) {
			sw_buf_addf(&msg, "CannotPullContainerError: %s", sw_error_last());
			fail_start(e, id, i, msg.ptr);
			ret = -1;
		}
	}
	if (ret == 0) {
		t = relock(e, id);
		if (t) {
			t->pull_stopped_at = sw_time_now();
			for (i = 0; i < n && i < t->nr_containers; i++)
				if (digests[i].len)
					sw_engine_set_str(&t->containers[i].image_digest, digests[i].ptr);
			sw_ecs_task_save(e, t);
		}
		pthread_mutex_unlock(&e->lock);
	}
	for (i = 0; i < n; i++)
		sw_buf_release(&digests[i]);
	free(digests);
	sw_buf_release(&msg);
	return ret;
}

/*
 * Container i of the task created, or adopted when a START before a crash made it
 * (same task, same name); its id recorded. 0, or -1 with the task failed.
 */
static int create_container(struct sw_engine *e, const char *id, struct sw_engine_task *snap, json_t *taskdef,
			    size_t i)
{
	json_t *cd = sw_ecs_taskdef_named(json_object_get(taskdef, "containerDefinitions"), snap->containers[i].name);
	struct sw_buf name = SW_BUF_INIT, path = SW_BUF_INIT, msg = SW_BUF_INIT;
	struct sw_engine_task *t;
	json_t *spec, *out = NULL;
	const char *cid;
	int ret;

	if (!cd) {
		fail_start(e, id, i, "CannotCreateContainerError: container not in the task definition");
		return -1;
	}
	sw_run_container_name(&name, snap, taskdef, snap->containers[i].name);
	sw_buf_adds(&path, "/containers/create?name=");
	sw_http_urlencode(&path, name.ptr, name.len);
	spec = sw_run_container_spec(e, snap, taskdef, cd);
	ret = sw_docker_json("POST", path.ptr, spec, &out);
	json_decref(spec);
	if (ret == SW_EEXISTS) {
		json_decref(out);
		out = NULL;
		sw_buf_reset(&path);
		sw_buf_addf(&path, "/containers/%s/json", name.ptr);
		ret = sw_docker_json("GET", path.ptr, NULL, &out);
	}
	cid = sw_json_str(out, "Id");
	if (ret < 0 || !cid) {
		sw_buf_addf(&msg, "CannotCreateContainerError: %s", ret < 0 ? sw_error_last() : "no container id");
		fail_start(e, id, i, msg.ptr);
		ret = -1;
	} else {
		sw_engine_set_str(&snap->containers[i].docker_id, cid);
		t = relock(e, id);
		if (t && i < t->nr_containers) {
			sw_engine_set_str(&t->containers[i].docker_id, cid);
			sw_ecs_task_save(e, t);
		}
		pthread_mutex_unlock(&e->lock);
		ret = 0;
	}
	json_decref(out);
	sw_buf_release(&name);
	sw_buf_release(&path);
	sw_buf_release(&msg);
	return ret;
}

/*
 * A start refused because the host port Docker picked is taken (by a process Docker does
 * not know: another Docker engine's proxy, a restarted dockerd's allocator starting
 * over): the task's containers are removed, to be created again on other ports. 1 when
 * that is the case.
 */
static int port_taken(struct sw_engine *e, const char *id, struct sw_engine_task *snap, int tries)
{
	const char *msg = sw_error_last();
	struct sw_engine_task *t;
	size_t i;

	if (tries >= START_TRIES || (!strstr(msg, "address already in use") && !strstr(msg, "port is already allocated")))
		return 0;
	sw_log_info("task %s: %s; creating its containers again", snap->id, msg);
	for (i = 0; i < snap->nr_containers; i++) {
		if (snap->containers[i].docker_id)
			sw_run_container_call("DELETE", snap->containers[i].docker_id, "?force=1&v=1");
		sw_engine_set_str(&snap->containers[i].docker_id, NULL);
	}
	t = relock(e, id);
	for (i = 0; t && i < t->nr_containers; i++)
		sw_engine_set_str(&t->containers[i].docker_id, NULL);
	if (t)
		sw_ecs_task_save(e, t);
	pthread_mutex_unlock(&e->lock);
	return 1;
}

/* The created containers started and inspected; the task RUNNING. Or failed to start: 1 to create them again. */
static int start_containers(struct sw_engine *e, const char *id, struct sw_engine_task *snap, int tries)
{
	size_t i, n = snap->nr_containers;
	struct sw_run_observed *obs = xcalloc(n + 1, sizeof(*obs));
	struct sw_buf msg = SW_BUF_INIT;
	struct sw_engine_task *t;
	int again = 0;

	for (i = 0; i < n; i++) {
		if (sw_run_container_call("POST", snap->containers[i].docker_id, "/start") < 0) {
			if ((again = port_taken(e, id, snap, tries)))
				goto cleanup;
			sw_buf_addf(&msg, "CannotStartContainerError: %s", sw_error_last());
			fail_start(e, id, i, msg.ptr);
			goto cleanup;
		}
	}
	for (i = 0; i < n; i++)
		sw_run_container_inspect(snap->containers[i].docker_id, &obs[i]);
	t = relock(e, id);
	if (t) {
		double now = sw_time_now();
		for (i = 0; i < n && i < t->nr_containers; i++)
			sw_run_container_apply(&t->containers[i], &obs[i]);
		t->last = SW_TASK_RUNNING;
		t->started_at = now;
		t->connectivity_at = now;
		sw_log_info("task %s (%s) RUNNING", t->id, t->family);
	}
	done(e, t);

cleanup:
	for (i = 0; i < n; i++)
		sw_run_container_observed_release(&obs[i]);
	free(obs);
	sw_buf_release(&msg);
	return again;
}

/* START: pull (prefer cached), create and start the task's containers. */
static void job_start(struct sw_engine *e, const char *id)
{
	json_t *taskdef = NULL;
	struct sw_engine_task *snap = start_snapshot(e, id, &taskdef);
	size_t i;
	int tries = 0;

	if (!snap)
		return;
	if (pull_images(e, id, snap) == 0) {
		do {
			for (i = 0; i < snap->nr_containers; i++)
				if (create_container(e, id, snap, taskdef, i) < 0)
					break;
		} while (i == snap->nr_containers && start_containers(e, id, snap, ++tries));
	}
	json_decref(taskdef);
	sw_engine_task_free(snap);
}

static void job_signal(struct sw_engine *e, const char *id, const char *signal)
{
	struct sw_engine_task *t = relock(e, id), *snap = t ? task_copy(t) : NULL;
	struct sw_buf path = SW_BUF_INIT;
	size_t i;

	pthread_mutex_unlock(&e->lock);
	for (i = 0; snap && i < snap->nr_containers; i++) {
		struct sw_engine_container *c = &snap->containers[i];
		if (!c->docker_id || !strcmp(c->last_status, "STOPPED"))
			continue;
		sw_buf_reset(&path);
		sw_buf_addf(&path, "/kill?signal=%s", signal);
		sw_run_container_call("POST", c->docker_id, path.ptr);  /* 409: not running; 404: gone */
	}
	t = relock(e, id);
	if (t) {
		/* look again: the die events may have come and gone already */
		for (i = 0; i < t->nr_containers; i++)
			if (t->containers[i].docker_id && strcmp(t->containers[i].last_status, "STOPPED"))
				t->containers[i].dirty = 1;
		if (!strcmp(signal, "SIGKILL"))
			t->kill_at = sw_time_now() + 10;
	}
	done(e, t);
	sw_buf_release(&path);
	sw_engine_task_free(snap);
}

static void job_inspect(struct sw_engine *e, const char *id)
{
	struct sw_engine_task *t = relock(e, id), *snap = t ? task_copy(t) : NULL;
	struct sw_run_observed *obs = NULL;
	int *ok = NULL, lost = 0;
	size_t i, n = snap ? snap->nr_containers : 0;

	if (t)
		for (i = 0; i < t->nr_containers; i++)
			t->containers[i].dirty = 0;
	pthread_mutex_unlock(&e->lock);
	obs = xcalloc(n ? n : 1, sizeof(*obs));
	ok = xcalloc(n ? n : 1, sizeof(*ok));
	for (i = 0; i < n; i++) {
		int ret;
		if (!snap->containers[i].docker_id)
			continue;
		ret = sw_run_container_inspect(snap->containers[i].docker_id, &obs[i]);
		ok[i] = ret == 0;
		lost |= ret == SW_EUNAVAIL || ret == SW_ETIMEOUT;
	}
	t = relock(e, id);
	if (lost)   /* what was not seen is compared again when Docker is back (resync) */
		sw_run_runtime_docker_lost(e);
	for (i = 0; t && i < n && i < t->nr_containers; i++)
		if (ok[i])
			sw_run_container_apply(&t->containers[i], &obs[i]);
	done(e, t);
	for (i = 0; i < n; i++)
		sw_run_container_observed_release(&obs[i]);
	free(obs);
	free(ok);
	sw_engine_task_free(snap);
}

/* t is STOPPED: its containers are (or are about to be) gone. Engine lock held. */
static void mark_stopped(struct sw_engine *e, struct sw_engine_task *t)
{
	double now = sw_time_now();
	size_t i;

	for (i = 0; i < t->nr_containers; i++)
		sw_engine_set_str(&t->containers[i].last_status, "STOPPED");
	t->last = SW_TASK_STOPPED;
	t->stopped_at = now;
	if (!t->execution_stopped_at)
		t->execution_stopped_at = now;
	sw_ecs_task_save(e, t);
	sw_log_info("task %s (%s) STOPPED: %s", t->id, t->family, t->stopped_reason ? t->stopped_reason : "");
}

/*
 * A task whose containers all stopped (DEPROVISIONING) leaves them. A task without a
 * network interface of its own (bridge, host, none) has nothing else to give back: it
 * is STOPPED at once, as
 * ECS's agent reports a task STOPPED once its containers stopped and removes them
 * later, so the service (a deployment's end) does not wait for Docker to delete them;
 * one that failed to go is then left to the resync, which removes containers no live
 * task owns. Any other (awsvpc) is STOPPED once they are gone.
 */
static void job_remove(struct sw_engine *e, const char *id)
{
	struct sw_engine_task *t = relock(e, id), *snap = t ? task_copy(t) : NULL;
	size_t i;
	int failed = 0, lost = 0, early = t && (!t->network_mode || strcmp(t->network_mode, "awsvpc"));

	if (early) {
		mark_stopped(e, t);
		sw_engine_wake_locked(e);
	}
	pthread_mutex_unlock(&e->lock);
	for (i = 0; snap && i < snap->nr_containers; i++) {
		int ret;
		if (!snap->containers[i].docker_id)
			continue;
		ret = sw_run_container_call("DELETE", snap->containers[i].docker_id, "?force=1&v=1");
		if (ret < 0 && ret != SW_ENOTFOUND) {
			sw_log_warn("task %s: remove container: %s", snap->id, sw_error_last());
			failed = 1;
			lost |= ret == SW_EUNAVAIL || ret == SW_ETIMEOUT;
		}
	}
	t = relock(e, id);
	if (lost)
		sw_run_runtime_docker_lost(e);
	if (t && !failed && !early)
		mark_stopped(e, t);
	done(e, t);
	sw_engine_task_free(snap);
}

void sw_run_runtime_job(struct sw_engine *e, enum sw_run_job_kind kind, const char *task_id)
{
	switch (kind) {
	case SW_JOB_START: job_start(e, task_id); break;
	case SW_JOB_TERM: job_signal(e, task_id, "SIGTERM"); break;
	case SW_JOB_KILL: job_signal(e, task_id, "SIGKILL"); break;
	case SW_JOB_INSPECT: job_inspect(e, task_id); break;
	case SW_JOB_REMOVE: job_remove(e, task_id); break;
	case SW_JOB_RESYNC: sw_run_runtime_resync(e); break;
	}
}
/* ---- resync ----------------------------------------------------------------------------- */

static const char *label(json_t *c, const char *name)
{
	return sw_json_str(json_object_get(c, "Labels"), name);
}

/* c (a container of this engine Docker lists) against the state: what differs is looked at. Lock held. */
static void resync_listed(struct sw_engine *e, json_t *c, struct sw_strvec *orphans)
{
	const char *cid = sw_json_str(c, "Id");
	const char *tid = label(c, "slipway.task");
	const char *cname = label(c, "slipway.container");
	const char *state = sw_json_str(c, "State");
	const char *status = sw_json_str(c, "Status");
	struct sw_engine_task *t = tid ? sw_engine_state_task(&e->st, tid) : NULL;
	struct sw_engine_container *tc = t && cname ? sw_engine_task_container(t, cname) : NULL;
	int running, healthy, unhealthy;

	if (!cid || (t && t->busy))
		return;
	if (!t || !tc || t->last == SW_TASK_STOPPED || (tc->docker_id && strcmp(tc->docker_id, cid))) {
		sw_strvec_push(orphans, cid);
		return;
	}
	if (!tc->docker_id)
		return;   /* created just before a crash; START will adopt it */
	running = state && (!strcmp(state, "running") || !strcmp(state, "restarting") || !strcmp(state, "paused"));
	healthy = status && strstr(status, "(healthy)") != NULL;
	unhealthy = status && strstr(status, "(unhealthy)") != NULL;
	if (e->docker_down && !running && !strcmp(tc->last_status, "RUNNING") && status &&
	    !strncmp(status, "Exited (", 8)) {
		/* stopped while Docker was away (it restarted without it): said at once, as below */
		struct sw_run_observed o = { 0 };
		o.found = 1;
		o.status = xstrdup("STOPPED");
		o.has_exit = 1;
		o.exit_code = atoi(status + 8);
		sw_run_container_apply(tc, &o);
		sw_run_container_observed_release(&o);
		sw_engine_wake_locked(e);
		return;
	}
	if (running != !strcmp(tc->last_status, "RUNNING") ||
	    (healthy && tc->health != SW_HEALTH_HEALTHY) || (unhealthy && tc->health != SW_HEALTH_UNHEALTHY)) {
		tc->dirty = 1;
		sw_engine_wake_locked(e);
	}
}

/* A container the state holds that Docker does not list. Lock held. */
static void resync_missing(struct sw_engine *e, struct sw_engine_container *tc)
{
	struct sw_run_observed gone = { 0 };

	sw_engine_wake_locked(e);
	if (!e->docker_down) {
		tc->dirty = 1;   /* an inspect says what became of it */
		return;
	}
	/*
	 * Gone while Docker was away (it restarted without it): said at once, so the task
	 * stops and its targets go in the pass that follows, before any new task starts.
	 */
	gone.status = xstrdup("STOPPED");
	gone.reason = xstrdup("Container no longer exists in Docker");
	sw_run_container_apply(tc, &gone);
	sw_run_container_observed_release(&gone);
}

void sw_run_runtime_resync(struct sw_engine *e)
{
	struct sw_buf path = SW_BUF_INIT, filt = SW_BUF_INIT;
	struct sw_strvec orphans = SW_STRVEC_INIT;
	json_t *list = NULL;
	size_t i, j, k;
	int ret;

	sw_buf_addf(&filt, "{\"label\":[\"slipway.engine=%s\"]}", e->instance);
	sw_buf_adds(&path, "/containers/json?all=1&filters=");
	sw_http_urlencode(&path, filt.ptr, filt.len);
	if ((ret = sw_docker_json("GET", path.ptr, NULL, &list)) < 0 || !json_is_array(list)) {
		pthread_mutex_lock(&e->lock);
		if (ret == SW_EUNAVAIL || ret == SW_ETIMEOUT)
			sw_run_runtime_docker_lost(e);
		else
			sw_log_warn("resync: %s", ret < 0 ? sw_error_last() : "Docker's list is not an array");
		pthread_mutex_unlock(&e->lock);
		goto cleanup;
	}
	pthread_mutex_lock(&e->lock);
	for (i = 0; i < json_array_size(list); i++)
		resync_listed(e, json_array_get(list, i), &orphans);
	/* containers the state thinks exist but Docker does not list */
	for (i = 0; i < e->st.nr_tasks; i++) {
		struct sw_engine_task *t = e->st.tasks[i];
		if (t->last == SW_TASK_STOPPED || t->busy)
			continue;
		for (j = 0; j < t->nr_containers; j++) {
			struct sw_engine_container *tc = &t->containers[j];
			int seen = 0;
			if (!tc->docker_id || !strcmp(tc->last_status, "STOPPED"))
				continue;
			for (k = 0; k < json_array_size(list) && !seen; k++)
				seen = !strcmp(tc->docker_id, sw_json_str(json_array_get(list, k), "Id"));
			if (!seen)
				resync_missing(e, tc);
		}
	}
	if (e->docker_down) {
		/* every container is accounted for: new ones may start now */
		sw_log_info("Docker answers again (after %.0fs)", sw_time_now() - e->docker_down_at);
		e->docker_down = 0;
		sw_engine_wake_locked(e);
	}
	pthread_mutex_unlock(&e->lock);
	for (i = 0; i < orphans.nr; i++) {
		sw_log_info("removing container %.12s (no live task of this engine owns it)", orphans.v[i]);
		sw_run_container_call("DELETE", orphans.v[i], "?force=1&v=1");
	}
cleanup:
	json_decref(list);
	sw_strvec_clear(&orphans);
	sw_buf_release(&path);
	sw_buf_release(&filt);
}
