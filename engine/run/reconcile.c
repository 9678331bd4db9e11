#include <stdlib.h>
#include <string.h>

#include "engine/run/reconcile.h"
#include "engine/ecs/ecs_taskdef.h"
#include "engine/ecs/launch.h"
#include "engine/ecs/service.h"
#include "engine/ecs/service_event.h"
#include "engine/ecs/tag.h"
#include "engine/ecs/task.h"
#include "engine/engine_db.h"
#include "engine/run/balancer.h"
#include "engine/run/lifecycle.h"
#include "engine/run/placement.h"
#include "engine/run/rolling.h"
#include "engine/run/scheduler.h"
#include "engine/run/shift.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

/* One pass over one service: what was counted, and what was done. */
struct pass {
	struct sw_engine *e;
	struct sw_engine_service *s;
	struct sw_engine_deployment *p;   /* the PRIMARY deployment */
	double now, *next;
	struct sw_run_rolling_counts in;
	struct sw_run_rolling_step step;
	int primary_running;              /* PRIMARY tasks RUNNING */
	int stopping;                     /* tasks on their way to STOPPED */
	int nstopped;                     /* tasks stopped in this pass */
	int nlisted;                      /* ... of which "has stopped" is said now */
	struct sw_buf listed;             /* their " (task <id>)" */
	int changed;                      /* the service is to be saved */
};

static int is_of(struct sw_engine_task *t, struct sw_engine_deployment *d)
{
	return t->deployment && !strcmp(t->deployment, d->id);
}

/* A task of the pass's service that is not STOPPED. */
static int live_task(struct pass *r, struct sw_engine_task *t)
{
	return t->service_id == r->s->id && t->last != SW_TASK_STOPPED;
}

/*
 * Stop t for a deployment's sake. A task registered with a load balancer is
 * deregistered and drained first: "has stopped" is said once its containers are being
 * stopped (lifecycle.c), so the events read in ECS's order — deregistered, begun
 * draining, stopped.
 */
static void stop_for_scaling(struct pass *r, struct sw_engine_task *t)
{
	struct sw_buf reason = SW_BUF_INIT;
	sw_buf_addf(&reason, SW_RUN_SCALING_REASON " (deployment %s)", r->p->id);
	sw_ecs_task_stop(r->e, t, "ServiceSchedulerInitiated", reason.ptr);
	r->nstopped++;
	if (t->lb != SW_TASK_LB_REGISTERED) {
		sw_buf_addf(&r->listed, " (task %s)", t->id);
		r->nlisted++;
	}
	sw_buf_release(&reason);
}

/*
 * The PRIMARY deployment failed: its tasks failed to start (the circuit breaker), or,
 * shifted (shift.h), one failed under production traffic — then it always rolls back,
 * traffic first.
 */
static void trip_breaker(struct sw_engine *e, struct sw_engine_service *s, int shifted)
{
	struct sw_engine_deployment *p = s->deps[0];
	struct sw_buf reason = SW_BUF_INIT;
	const char *what = shifted ? "tasks failed under production traffic" : "tasks failed to start";

	p->rollout = SW_ENGINE_ROLLOUT_FAILED;
	sw_buf_addf(&reason, "ECS deployment circuit breaker: %s.", what);
	sw_engine_set_str(&p->rollout_reason, reason.ptr);
	sw_buf_reset(&reason);
	p->updated_at = sw_time_now();
	sw_ecs_service_event_add(e, s, "(service %s) (deployment %s) deployment failed: %s.", s->name, p->id, what);
	/* back to the last COMPLETED deployment — unless this one already runs its definition
	 * (a failed rollback does not roll back to itself) */
	if ((s->cb_rollback || p->shifting) && s->stable_taskdef && s->stable_deployment &&
	    strcmp(s->stable_deployment, p->id) && strcmp(s->stable_taskdef, p->taskdef)) {
		char *target = xstrdup(s->stable_deployment);
		sw_buf_addf(&reason, "ECS deployment circuit breaker: rolling back to deploymentId %s.", target);
		struct sw_engine_deployment *r = sw_ecs_service_deploy(e, s, s->stable_taskdef, reason.ptr);
		size_t i;
		sw_ecs_service_event_add(e, s, "(service %s) rolling back to deployment %s.", s->name, target);
		/* the last good deployment's tasks still run that definition: they carry on as the rollback's */
		for (i = 0; i < e->st.nr_tasks; i++) {
			struct sw_engine_task *t = e->st.tasks[i];
			if (t->service_id != s->id || !t->desired_running || !t->deployment || strcmp(t->deployment, target))
				continue;
			sw_engine_set_str(&t->deployment, r->id);
			sw_engine_set_str(&t->started_by, r->id);
			sw_ecs_task_save(e, t);
		}
		free(target);
	} else if (p->shifting && !p->aborted) {
		sw_run_shift_return(e, s, p);
	}
	sw_buf_release(&reason);
}

/* The tasks of deployment p that are not STOPPED on each provider of its strategy (caller frees). */
static long long *placed_by_provider(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_deployment *p)
{
	long long *placed = xcalloc(json_array_size(p->strategy) + 1, sizeof(*placed));
	size_t i;

	for (i = 0; i < e->st.nr_tasks; i++) {
		struct sw_engine_task *t = e->st.tasks[i];
		if (t->service_id == s->id && t->last != SW_TASK_STOPPED && t->desired_running && is_of(t, p))
			sw_ecs_launch_count(p->strategy, t->capacity_provider, placed);
	}
	return placed;
}

/* ECS's event for a task that found no room: Fargate's capacity, else the closest container instance's. */
static void unable_to_place(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_deployment *p,
			    const char *short_of)
{
	if (p->launch_type && !strcmp(p->launch_type, "FARGATE"))
		sw_ecs_service_event_add(e, s, "(service %s) was unable to place a task. Reason: "
					 SW_ECS_FARGATE_NO_CAPACITY ". For more information, see the Troubleshooting "
					 "section of the Amazon ECS Developer Guide.", s->name);
	else
		sw_ecs_service_event_add(e, s, "(service %s) was unable to place a task because no container instance "
					 "met all of its requirements. The closest matching (container-instance %s) "
					 "has insufficient %s available. For more information, see the "
					 "Troubleshooting section of the Amazon ECS Developer Guide.",
					 s->name, e->instance_id, short_of ? short_of : "memory");
}

static void start_tasks(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_deployment *p, int want,
			double now, double *next)
{
	struct sw_run_capacity reg = { e->cfg.cpu_units, e->cfg.memory_mb }, rem;
	struct sw_ecs_task_spec spec = { 0 };
	struct sw_buf group = SW_BUF_INIT, list = SW_BUF_INIT;
	json_t *doc = NULL, *tags = NULL;
	const char *short_of = NULL;
	const char *propagate = sw_json_str(s->doc, "propagateTags");
	long long cpu, mem, backoff, *placed = NULL;
	int fit, i;

	backoff = sw_run_rolling_backoff_ms(s->fail_streak, e->cfg.backoff_max_ms);
	if (backoff && now < s->last_fail_at + sw_run_seconds(backoff)) {
		sw_run_scheduler_due(next, s->last_fail_at + sw_run_seconds(backoff));
		if (now >= s->throttle_event_at + sw_run_seconds(e->cfg.event_ms)) {
			sw_ecs_service_event_add(e, s, "(service %s) is unable to consistently start tasks successfully. For "
						 "more information, see the Troubleshooting section of the Amazon ECS "
						 "Developer Guide.", s->name);
			s->throttle_event_at = now;
			sw_engine_db_save_service(e->db, s);
		}
		return;
	}
	if (sw_ecs_taskdef_get(e, p->taskdef, &doc) < 0) {
		sw_log_error("service %s: %s", s->name, sw_error_last());
		return;
	}
	sw_run_placement_remaining(&e->st, &reg, &rem);
	sw_ecs_taskdef_needs(doc, NULL, &cpu, &mem);
	fit = sw_run_placement_fit(&rem, cpu, mem, want, &short_of);
	sw_buf_addf(&group, "service:%s", s->name);
	spec.cluster = s->cluster;
	spec.taskdef = doc;
	spec.group = group.ptr;
	spec.started_by = p->id;
	spec.launch_type = p->launch_type ? p->launch_type : s->launch_type;
	spec.platform_version = p->platform_version;
	spec.network = p->network;
	spec.service_id = s->id;
	spec.deployment = p->id;
	placed = placed_by_provider(e, s, p);
	if (propagate && !strcmp(propagate, "SERVICE"))
		tags = sw_ecs_tag_get(e, s->arn);
	else if (propagate && !strcmp(propagate, "TASK_DEFINITION"))
		tags = sw_ecs_tag_get(e, p->taskdef);
	for (i = 0; i < fit; i++) {
		struct sw_engine_task *t;
		spec.capacity_provider = sw_ecs_launch_pick(p->strategy, placed);
		sw_ecs_launch_count(p->strategy, spec.capacity_provider, placed);
		t = sw_ecs_task_create(e, &spec);
		t->lb_alt = p->alt;
		sw_ecs_task_save(e, t);
		if (json_array_size(tags))
			sw_ecs_tag_put(e, t->arn, tags);
		sw_buf_addf(&list, " (task %s)", t->id);
	}
	if (fit > 0)
		sw_ecs_service_event_add(e, s, "(service %s) has started %d tasks:%s.", s->name, fit, list.ptr);
	if (fit < want) {
		if (now >= s->place_event_at + sw_run_seconds(e->cfg.event_ms)) {
			unable_to_place(e, s, p, short_of);
			s->place_event_at = now;
			s->steady_event_at = 0;
			sw_engine_db_save_service(e->db, s);
		}
		sw_run_scheduler_due(next, s->place_event_at + sw_run_seconds(e->cfg.event_ms));
	}
	json_decref(tags);
	json_decref(doc);
	free(placed);
	sw_buf_release(&group);
	sw_buf_release(&list);
}

/*
 * An older deployment's task counts as healthy when it is, and also when it was healthy
 * and nothing says otherwise now: after an engine restart (or a HAProxy relaunch) its
 * target's health may be unknown for a moment, and a task that served must not be
 * stopped on unknown health.
 */
static int old_healthy(struct pass *r, struct sw_engine_task *t)
{
	if (sw_run_lifecycle_healthy(r->e, r->s, t, r->now, r->next))
		return 1;
	return t->last == SW_TASK_RUNNING && t->healthy_at > 0 && t->health != SW_HEALTH_UNHEALTHY &&
	       (!sw_run_balancer_used(r->s) ||
		(t->lb == SW_TASK_LB_REGISTERED && !sw_run_balancer_unhealthy(r->e, r->s, t)));
}

/* The rolling-update counts (rolling.h) of the service's tasks. */
static void count_tasks(struct pass *r)
{
	struct sw_engine_service *s = r->s;
	size_t i;

	r->in.desired = s->status == SW_SERVICE_ACTIVE ? s->desired : 0;
	r->in.min_pct = s->min_pct;
	r->in.max_pct = s->max_pct;
	r->in.frozen = r->p->rollout == SW_ENGINE_ROLLOUT_FAILED;
	for (i = 0; i < r->e->st.nr_tasks; i++) {
		struct sw_engine_task *t = r->e->st.tasks[i];
		int healthy;
		if (!live_task(r, t))
			continue;
		if (!t->desired_running) {
			r->stopping++;
			continue;
		}
		if (is_of(t, r->p)) {
			healthy = sw_run_lifecycle_healthy(r->e, s, t, r->now, r->next);
			r->in.primary++;
			r->in.primary_healthy += healthy;
			r->primary_running += t->last == SW_TASK_RUNNING;
		} else {
			r->in.old++;
			r->in.old_healthy += old_healthy(r, t);
		}
	}
}

/* PRIMARY tasks beyond the desired count, the unhealthy first, the newest first. */
static void stop_extra_primary(struct pass *r)
{
	int unhealthy = r->in.primary - r->in.primary_healthy;
	int stop_unhealthy = r->step.stop_primary < unhealthy ? r->step.stop_primary : unhealthy;
	int stop_healthy = r->step.stop_primary - stop_unhealthy;
	size_t i;

	for (i = r->e->st.nr_tasks; i-- > 0 && (stop_unhealthy > 0 || stop_healthy > 0);) {
		struct sw_engine_task *t = r->e->st.tasks[i];
		int healthy;
		if (!live_task(r, t) || !t->desired_running || !is_of(t, r->p))
			continue;
		healthy = sw_run_lifecycle_healthy(r->e, r->s, t, r->now, r->next);
		if (!healthy && stop_unhealthy > 0) {
			stop_unhealthy--;
			stop_for_scaling(r, t);
		} else if (healthy && stop_healthy > 0) {
			stop_healthy--;
			stop_for_scaling(r, t);
		}
	}
}

/*
 * Older deployments' tasks: every unhealthy one, and the healthy ones the rolling
 * update lets go; oldest deployment first, j == 0 standing for tasks whose deployment
 * is no longer listed.
 */
static void stop_old(struct pass *r)
{
	struct sw_engine_service *s = r->s;
	size_t i, j;

	for (j = s->nr_deps; j-- > 0;) {
		struct sw_engine_deployment *d = j ? s->deps[j] : NULL;
		for (i = 0; i < r->e->st.nr_tasks; i++) {
			struct sw_engine_task *t = r->e->st.tasks[i];
			if (!live_task(r, t) || !t->desired_running || is_of(t, r->p))
				continue;
			if (d ? !is_of(t, d) : sw_engine_service_deployment(s, t->deployment) != NULL)
				continue;
			if (!old_healthy(r, t)) {
				stop_for_scaling(r, t);
			} else if (t->lb_alt == s->lb_alt && sw_run_shift_holds_blue(r->p)) {
				continue;   /* blue stays until the bake is over */
			} else if (r->step.stop_old_healthy > 0) {
				r->step.stop_old_healthy--;
				stop_for_scaling(r, t);
			}
		}
	}
	if (r->nlisted)
		sw_ecs_service_event_add(r->e, s, "(service %s) has stopped %d running tasks:%s.", s->name, r->nlisted,
					 r->listed.ptr);
}

/* Older deployments with no task left go away. */
static void drop_finished_deployments(struct pass *r)
{
	struct sw_engine_service *s = r->s;
	size_t i, j;

	for (j = s->nr_deps; j-- > 1;) {
		int left = 0;
		for (i = 0; i < r->e->st.nr_tasks && !left; i++)
			left = live_task(r, r->e->st.tasks[i]) && is_of(r->e->st.tasks[i], s->deps[j]);
		if (!left) {
			sw_engine_service_drop_deployment(s, j);
			r->changed = 1;
		}
	}
}

/* The PRIMARY deployment reached its desired count, healthy, with nothing of the others left: COMPLETED. */
static void complete_rollout(struct pass *r)
{
	struct sw_engine_service *s = r->s;
	struct sw_engine_deployment *p = r->p;
	struct sw_buf reason = SW_BUF_INIT;
	int old_remaining = 0;
	size_t i;

	if (p->rollout != SW_ENGINE_ROLLOUT_IN_PROGRESS || s->status != SW_SERVICE_ACTIVE || r->nstopped)
		return;
	for (i = 0; i < r->e->st.nr_tasks; i++)
		if (live_task(r, r->e->st.tasks[i]) && !is_of(r->e->st.tasks[i], p))
			old_remaining++;
	if (!sw_run_rolling_completed(&r->in, r->primary_running, old_remaining) || sw_run_shift_holds_blue(p))
		return;
	p->rollout = SW_ENGINE_ROLLOUT_COMPLETED;
	s->lb_alt = p->alt;
	sw_buf_addf(&reason, "ECS deployment %s completed.", p->id);
	sw_engine_set_str(&p->rollout_reason, reason.ptr);
	p->updated_at = r->now;
	sw_engine_set_str(&s->stable_deployment, p->id);
	sw_engine_set_str(&s->stable_taskdef, p->taskdef);
	sw_ecs_service_event_add(r->e, s, "(service %s) (deployment %s) deployment completed.", s->name, p->id);
	while (s->nr_deps > 1)
		sw_engine_service_drop_deployment(s, s->nr_deps - 1);
	r->changed = 1;
	sw_buf_release(&reason);
}

/* "has reached a steady state.", and again every cfg.steady_ms while it holds. */
static void note_steady_state(struct pass *r)
{
	struct sw_engine_service *s = r->s;
	double every = sw_run_seconds(r->e->cfg.steady_ms);
	int steady = s->status == SW_SERVICE_ACTIVE && r->p->rollout == SW_ENGINE_ROLLOUT_COMPLETED && s->nr_deps == 1 &&
		     r->in.primary == r->in.desired && r->in.primary_healthy == r->in.desired && !r->stopping &&
		     !r->nstopped && r->step.start == 0;

	if (steady) {
		if (!s->steady_event_at || r->now >= s->steady_event_at + every) {
			sw_ecs_service_event_add(r->e, s, "(service %s) has reached a steady state.", s->name);
			s->steady_event_at = r->now;
			r->changed = 1;
		}
		sw_run_scheduler_due(r->next, s->steady_event_at + every);
	} else if (s->steady_event_at && (r->in.primary_healthy < r->in.desired || r->step.start || r->nstopped)) {
		s->steady_event_at = 0;
		r->changed = 1;
	}
}

/* A deleted (DRAINING) service with no task left is INACTIVE. */
static void finish_draining(struct pass *r)
{
	struct sw_engine_service *s = r->s;
	size_t i;

	if (s->status != SW_SERVICE_DRAINING)
		return;
	for (i = 0; i < r->e->st.nr_tasks; i++)
		if (live_task(r, r->e->st.tasks[i]))
			return;
	s->status = SW_SERVICE_INACTIVE;
	s->deleted_at = r->now;
	sw_log_info("%s: service %s is INACTIVE", s->cluster, s->name);
	r->changed = 1;
}

void sw_run_reconcile_service(struct sw_engine *e, struct sw_engine_service *s, double now, double *next)
{
	struct pass r = { .e = e, .s = s, .now = now, .next = next };

	if (s->status == SW_SERVICE_INACTIVE || !s->nr_deps)
		return;
	sw_buf_init(&r.listed, 0);
	r.p = s->deps[0];
	if (s->status == SW_SERVICE_ACTIVE && s->cb_enable && r.p->rollout == SW_ENGINE_ROLLOUT_IN_PROGRESS &&
	    r.p->failed_tasks >= sw_run_rolling_threshold(r.p->desired)) {
		trip_breaker(e, s, 0);
		r.p = s->deps[0];
		r.changed = 1;
	}
	count_tasks(&r);
	if (s->status == SW_SERVICE_ACTIVE && sw_run_shift_holds_blue(r.p)) {
		double stage_at = r.p->stage_at;
		int permille = r.p->permille;
		if (sw_run_shift_step(e, s, r.p, r.in.primary, r.in.primary_healthy, now, next)) {
			trip_breaker(e, s, 1);
			sw_run_scheduler_due(next, now);   /* the rollback's pass comes next */
			sw_engine_db_save_service(e->db, s);
			sw_buf_release(&r.listed);
			return;
		}
		r.changed |= stage_at != r.p->stage_at || permille != r.p->permille;
	}
	sw_run_rolling_step(&r.in, &r.step);
	if (sw_run_shift_holds_blue(r.p) && r.step.start < r.in.desired - r.in.primary)
		r.step.start = r.in.desired - r.in.primary;   /* green beside blue: the whole count at once */
	stop_extra_primary(&r);
	stop_old(&r);
	if (r.step.start > 0 && s->status == SW_SERVICE_ACTIVE)
		start_tasks(e, s, r.p, r.step.start, now, next);
	drop_finished_deployments(&r);
	complete_rollout(&r);
	note_steady_state(&r);
	finish_draining(&r);
	if (r.changed)
		sw_engine_db_save_service(e->db, s);
	sw_buf_release(&r.listed);
}
