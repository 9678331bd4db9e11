#include <string.h>

#include "engine/run/lifecycle.h"
#include "engine/ecs/service_event.h"
#include "engine/ecs/task.h"
#include "engine/engine_db.h"
#include "engine/run/balancer.h"
#include "engine/run/reconcile.h"
#include "engine/run/scheduler.h"
#include "engine/run/worker.h"
#include "common/banned.h"

/* How long past the deregistration delay a task waits for its balancer (sw_run_lifecycle_advance). */
#define DRAIN_SLACK_SECONDS 10.0

static int any_dirty(struct sw_engine_task *t)
{
	size_t i;
	for (i = 0; i < t->nr_containers; i++)
		if (t->containers[i].dirty && t->containers[i].docker_id)
			return 1;
	return 0;
}

/* Every container stopped, never started, or never created. */
static int all_stopped(struct sw_engine_task *t)
{
	size_t i;
	for (i = 0; i < t->nr_containers; i++) {
		struct sw_engine_container *c = &t->containers[i];
		if (c->docker_id && !strcmp(c->last_status, "RUNNING"))
			return 0;
	}
	return 1;
}

/* Task health from its essential containers' health checks; 1 when any has one. */
static int update_health(struct sw_engine_task *t)
{
	int has = 0, unhealthy = 0, all_healthy = 1;
	enum sw_engine_health h;
	size_t i;

	for (i = 0; i < t->nr_containers; i++) {
		struct sw_engine_container *c = &t->containers[i];
		if (!c->essential || !c->has_health_check)
			continue;
		has = 1;
		if (c->health == SW_HEALTH_UNHEALTHY)
			unhealthy = 1;
		if (c->health != SW_HEALTH_HEALTHY)
			all_healthy = 0;
	}
	h = !has ? SW_HEALTH_UNKNOWN : unhealthy ? SW_HEALTH_UNHEALTHY : all_healthy ? SW_HEALTH_HEALTHY :
	    SW_HEALTH_UNKNOWN;
	if (t->last != SW_TASK_RUNNING && t->last != SW_TASK_PENDING && t->last != SW_TASK_ACTIVATING)
		return has;   /* a stopping task keeps its last health, as ECS reports it */
	t->health = h;
	return has;
}

int sw_run_lifecycle_healthy(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_task *t,
			     double now, double *next)
{
	if (t->last != SW_TASK_RUNNING || !t->desired_running)
		return 0;
	if (update_health(t)) {
		if (t->health != SW_HEALTH_HEALTHY)
			return 0;
	} else if (!sw_run_balancer_used(s) && now < t->started_at + sw_run_seconds(e->cfg.stable_ms)) {
		/* no signal at all: RUNNING for the stable period counts (behind a load
		 * balancer, the target's health is the signal, as with ECS) */
		sw_run_scheduler_due(next, t->started_at + sw_run_seconds(e->cfg.stable_ms));
		return 0;
	}
	if (sw_run_balancer_used(s) && !sw_run_balancer_healthy(e, s, t)) {
		if (t->lb == SW_TASK_LB_REGISTERED)
			sw_run_scheduler_due(next, now + sw_run_seconds(e->cfg.lb_poll_ms));
		return 0;
	}
	return 1;
}

static void begin_stopping(struct sw_engine *e, struct sw_engine_task *t, double now)
{
	t->last = SW_TASK_STOPPING;
	t->kill_at = now + (double)t->stop_timeout;
	sw_ecs_task_save(e, t);
	t->term_sent = sw_run_worker_queue(e, t, SW_JOB_TERM);   /* 0: Docker is down, sent later */
}

/* RUNNING and meant to run: exits, health checks, targets. */
static void check_running(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_task *t, double now,
			  double *next)
{
	struct sw_buf msg = SW_BUF_INIT;
	double grace_end;
	const char *tg;
	size_t i;

	for (i = 0; i < t->nr_containers; i++) {
		struct sw_engine_container *c = &t->containers[i];
		if (c->essential && !strcmp(c->last_status, "STOPPED")) {
			sw_ecs_task_stop(e, t, "EssentialContainerExited", "Essential container in task exited");
			sw_ecs_task_failed(e, t);
			return;
		}
	}
	update_health(t);
	if (!s || s->status == SW_SERVICE_INACTIVE)
		goto healthy;
	grace_end = t->started_at + (double)s->grace_s;
	if (t->health == SW_HEALTH_UNHEALTHY) {
		if (now >= grace_end) {
			sw_ecs_service_event_add(e, s, "(service %s) (task %s) failed container health checks.", s->name,
						 t->id);
			sw_ecs_task_stop(e, t, "ServiceSchedulerInitiated", "Task failed container health checks");
			sw_ecs_task_failed(e, t);
			goto cleanup;
		}
		sw_run_scheduler_due(next, grace_end);
	}
	if (sw_run_balancer_used(s)) {
		if (t->lb == SW_TASK_LB_NONE)
			sw_run_balancer_register(e, s, t);
		sw_run_scheduler_due(next, now + sw_run_seconds(e->cfg.lb_poll_ms));
		if (t->lb == SW_TASK_LB_REGISTERED && (tg = sw_run_balancer_unhealthy(e, s, t))) {
			if (now >= grace_end) {
				sw_buf_addf(&msg, "Task failed ELB health checks in (target-group %s)", tg);
				sw_ecs_service_event_add(e, s, "(service %s) (task %s) failed ELB health checks in "
							 "(target-group %s).", s->name, t->id, tg);
				sw_ecs_task_stop(e, t, "ServiceSchedulerInitiated", msg.ptr);
				sw_ecs_task_failed(e, t);
				goto cleanup;
			}
			sw_run_scheduler_due(next, grace_end);
		}
	}
healthy:
	if (!t->healthy_at && sw_run_lifecycle_healthy(e, s, t, now, next)) {
		t->healthy_at = now;
		sw_ecs_task_save(e, t);
		if (s && s->fail_streak) {
			s->fail_streak = 0;
			sw_engine_db_save_service(e->db, s);
		}
	}
cleanup:
	sw_buf_release(&msg);
}

void sw_run_lifecycle_advance(struct sw_engine *e, struct sw_engine_task *t, double now, double *next)
{
	struct sw_engine_service *s = t->service_id ? sw_engine_state_service_id(&e->st, t->service_id) : NULL;

	if (t->busy || t->last == SW_TASK_STOPPED)
		return;
	if (any_dirty(t) && t->last >= SW_TASK_PENDING && t->last != SW_TASK_DEPROVISIONING) {
		sw_run_worker_queue(e, t, SW_JOB_INSPECT);
		return;
	}
	switch (t->last) {
	case SW_TASK_PROVISIONING:
		if (!t->desired_running) {
			t->last = SW_TASK_DEPROVISIONING;
			sw_ecs_task_save(e, t);
			sw_run_worker_queue(e, t, SW_JOB_REMOVE);
			return;
		}
		t->last = SW_TASK_PENDING;
		sw_ecs_task_save(e, t);
		sw_run_worker_queue(e, t, SW_JOB_START);
		return;
	case SW_TASK_PENDING:
	case SW_TASK_ACTIVATING:
		if (t->desired_running) {
			sw_run_worker_queue(e, t, SW_JOB_START); /* again after a restart: it adopts what exists */
			return;
		}
		begin_stopping(e, t, now);
		return;
	case SW_TASK_RUNNING:
		if (t->desired_running)
			check_running(e, s, t, now, next);
		if (t->desired_running)
			return;
		if (t->lb == SW_TASK_LB_REGISTERED) {
			sw_run_balancer_deregister(e, s, t, now);
			t->last = SW_TASK_DEACTIVATING;
			sw_ecs_task_save(e, t);
		} else {
			begin_stopping(e, t, now);
			return;
		}
		/* fall through */
	case SW_TASK_DEACTIVATING:
		if (t->lb == SW_TASK_LB_DRAINING) {
			/*
			 * The containers stop once the balancer is done with the target: nothing in
			 * flight, or the deregistration delay over (it then cuts what is left and
			 * drops the target). Not before: a balancer that has not applied the
			 * deregistration yet still routes requests here. DRAIN_SLACK_SECONDS past
			 * the delay bounds the wait for a balancer that does not answer.
			 */
			if (now < t->drain_until + DRAIN_SLACK_SECONDS && sw_run_balancer_draining(e, s, t)) {
				double poll = now + sw_run_seconds(e->cfg.lb_poll_ms);
				double slack = t->drain_until + DRAIN_SLACK_SECONDS;
				sw_run_scheduler_due(next, slack < poll ? slack : poll);
				return;
			}
			t->lb = SW_TASK_LB_DONE;
			if (s && t->stopped_reason &&
			    !strncmp(t->stopped_reason, SW_RUN_SCALING_REASON, strlen(SW_RUN_SCALING_REASON)))
				sw_ecs_service_event_add(e, s, "(service %s) has stopped 1 running tasks: (task %s).", s->name,
							 t->id);
		}
		begin_stopping(e, t, now);
		return;
	case SW_TASK_STOPPING:
		if (all_stopped(t)) {
			t->last = SW_TASK_DEPROVISIONING;
			t->execution_stopped_at = now;
			sw_ecs_task_save(e, t);
			sw_run_worker_queue(e, t, SW_JOB_REMOVE);
			return;
		}
		if (!t->term_sent) {
			t->term_sent = sw_run_worker_queue(e, t, SW_JOB_TERM);
			return;
		}
		if (now >= t->kill_at) {
			sw_run_worker_queue(e, t, SW_JOB_KILL);
			return;
		}
		sw_run_scheduler_due(next, t->kill_at);
		return;
	case SW_TASK_DEPROVISIONING:
		sw_run_worker_queue(e, t, SW_JOB_REMOVE);
		return;
	case SW_TASK_STOPPED:
		return;
	}
}
