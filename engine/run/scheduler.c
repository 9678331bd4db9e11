#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "engine/run/scheduler.h"
#include "engine/ecs/ecs.h"
#include "engine/ecs/ecs_taskdef.h"
#include "engine/ecs/service.h"
#include "engine/ecs/service_event.h"
#include "engine/ecs/tag.h"
#include "engine/ecs/task.h"
#include "engine/engine_db.h"
#include "engine/run/balancer.h"
#include "engine/run/placement.h"
#include "engine/run/rolling.h"
#include "engine/run/worker.h"
#include "common/error.h"
#include "common/log.h"
#include "common/store.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define IDLE_MAX_SECONDS 3600.0
/* how long past the deregistration delay a task waits for its balancer (advance_task) */
#define DRAIN_SLACK_SECONDS 10.0
/* the stoppedReason of a task a deployment replaced or scaled in */
#define SCALING_REASON "Scaling activity initiated by"

static pthread_t scheduler_thread;
static int scheduler_running;

static void set_next(double *next, double t)
{
	if (t < *next)
		*next = t;
}

static double ms(long long v)
{
	return (double)v / 1000.0;
}

/* ---- tasks ------------------------------------------------------------------------------ */

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

static int has_lb(struct sw_engine_service *s)
{
	return s && s->load_balancers && json_array_size(s->load_balancers) > 0;
}

/* The target for load balancer entry lb of task t; 0, or -1 when it has no address yet. */
static int target_for(struct sw_engine_task *t, json_t *lb, struct sw_engine_target *out)
{
	const char *cname = json_string_value(json_object_get(lb, "containerName"));
	long long cport = json_integer_value(json_object_get(lb, "containerPort"));
	struct sw_engine_container *c = cname ? sw_engine_task_container(t, cname) : NULL;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!c)
		return -1;
	out->target_group_arn = json_string_value(json_object_get(lb, "targetGroupArn"));
	out->task_arn = t->arn;
	out->container_name = c->name;
	if (!strcmp(t->network_mode, "awsvpc")) {
		if (!c->ip)
			return -1;
		out->host = c->ip;
		out->port = (int)cport;
		return 0;
	}
	if (!strcmp(t->network_mode, "host")) {
		out->host = "127.0.0.1";
		out->port = (int)cport;
		return 0;
	}
	for (i = 0; i < json_array_size(c->bindings); i++) {
		json_t *b = json_array_get(c->bindings, i);
		const char *ip = json_string_value(json_object_get(b, "bindIP"));
		if (json_integer_value(json_object_get(b, "containerPort")) != cport)
			continue;
		out->host = !ip || !strcmp(ip, "0.0.0.0") ? "127.0.0.1" : ip;
		out->port = (int)json_integer_value(json_object_get(b, "hostPort"));
		return 0;
	}
	return -1;
}

static void lb_register(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_task *t)
{
	size_t i;
	int ok = 1;

	for (i = 0; i < json_array_size(s->load_balancers); i++) {
		struct sw_engine_target tg;
		if (target_for(t, json_array_get(s->load_balancers, i), &tg) < 0) {
			ok = 0;
			continue;
		}
		if (e->lb->register_target(e->lb_ctx, &tg) < 0) {
			sw_log_warn("task %s: register target: %s", t->id, sw_error_last());
			ok = 0;
			continue;
		}
		sw_ecs_service_event_add(e, s, "(service %s) registered 1 targets in (target-group %s)", s->name,
				    tg.target_group_arn);
	}
	if (ok)
		t->lb = SW_TASK_LB_REGISTERED;
	sw_ecs_task_save(e, t);
}

static void lb_deregister(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_task *t, double now)
{
	int longest = 0;
	size_t i;

	for (i = 0; s && i < json_array_size(s->load_balancers); i++) {
		struct sw_engine_target tg;
		int drain = 0;
		if (target_for(t, json_array_get(s->load_balancers, i), &tg) < 0)
			continue;
		if (e->lb->deregister_target(e->lb_ctx, &tg, &drain) < 0)
			sw_log_warn("task %s: deregister target: %s", t->id, sw_error_last());
		if (drain > longest)
			longest = drain;
		sw_ecs_service_event_add(e, s, "(service %s) deregistered 1 targets in (target-group %s)", s->name,
				    tg.target_group_arn);
	}
	if (s)
		sw_ecs_service_event_add(e, s, "(service %s) has begun draining connections on 1 tasks.", s->name);
	t->lb = SW_TASK_LB_DRAINING;
	t->drain_until = now + longest;
}

/* 1 while some target of t is still draining. */
static int lb_draining(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_task *t)
{
	size_t i;
	for (i = 0; s && i < json_array_size(s->load_balancers); i++) {
		struct sw_engine_target tg;
		if (target_for(t, json_array_get(s->load_balancers, i), &tg) < 0)
			continue;
		if (e->lb->target_health(e->lb_ctx, &tg, NULL) == SW_TARGET_DRAINING)
			return 1;
	}
	return 0;
}

/* The first load-balancer target of t that is unhealthy, or NULL. */
static const char *lb_unhealthy(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_task *t)
{
	size_t i;
	for (i = 0; i < json_array_size(s->load_balancers); i++) {
		struct sw_engine_target tg;
		if (target_for(t, json_array_get(s->load_balancers, i), &tg) < 0)
			continue;
		if (e->lb->target_health(e->lb_ctx, &tg, NULL) == SW_TARGET_UNHEALTHY)
			return tg.target_group_arn;
	}
	return NULL;
}

int sw_engine_scheduler_task_healthy(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_task *t,
				     double now, double *next)
{
	size_t i;

	if (t->last != SW_TASK_RUNNING || !t->desired_running)
		return 0;
	if (update_health(t)) {
		if (t->health != SW_HEALTH_HEALTHY)
			return 0;
	} else if (!has_lb(s) && now < t->started_at + ms(e->cfg.stable_ms)) {
		/* no signal at all: RUNNING for the stable period counts (behind a load
		 * balancer, the target's health is the signal, as with ECS) */
		set_next(next, t->started_at + ms(e->cfg.stable_ms));
		return 0;
	}
	if (has_lb(s)) {
		if (t->lb != SW_TASK_LB_REGISTERED)
			return 0;
		for (i = 0; i < json_array_size(s->load_balancers); i++) {
			struct sw_engine_target tg;
			if (target_for(t, json_array_get(s->load_balancers, i), &tg) < 0 ||
			    e->lb->target_health(e->lb_ctx, &tg, NULL) != SW_TARGET_HEALTHY) {
				set_next(next, now + ms(e->cfg.lb_poll_ms));
				return 0;
			}
		}
	}
	return 1;
}

static void begin_stopping(struct sw_engine *e, struct sw_engine_task *t, double now)
{
	t->last = SW_TASK_STOPPING;
	t->kill_at = now + (double)t->stop_timeout;
	t->term_sent = 1;
	sw_ecs_task_save(e, t);
	sw_engine_job_task(e, t, SW_JOB_TERM);
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
			sw_ecs_service_event_add(e, s, "(service %s) (task %s) failed container health checks.", s->name, t->id);
			sw_ecs_task_stop(e, t, "ServiceSchedulerInitiated", "Task failed container health checks");
			sw_ecs_task_failed(e, t);
			goto cleanup;
		}
		set_next(next, grace_end);
	}
	if (has_lb(s)) {
		if (t->lb == SW_TASK_LB_NONE)
			lb_register(e, s, t);
		set_next(next, now + ms(e->cfg.lb_poll_ms));
		if (t->lb == SW_TASK_LB_REGISTERED && (tg = lb_unhealthy(e, s, t))) {
			if (now >= grace_end) {
				sw_buf_addf(&msg, "Task failed ELB health checks in (target-group %s)", tg);
				sw_ecs_service_event_add(e, s, "(service %s) (task %s) failed ELB health checks in "
						    "(target-group %s).", s->name, t->id, tg);
				sw_ecs_task_stop(e, t, "ServiceSchedulerInitiated", msg.ptr);
				sw_ecs_task_failed(e, t);
				goto cleanup;
			}
			set_next(next, grace_end);
		}
	}
healthy:
	if (!t->healthy_at && sw_engine_scheduler_task_healthy(e, s, t, now, next)) {
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

static void advance_task(struct sw_engine *e, struct sw_engine_task *t, double now, double *next)
{
	struct sw_engine_service *s = t->service_id ? sw_engine_state_service_id(&e->st, t->service_id) : NULL;

	if (t->busy || t->last == SW_TASK_STOPPED)
		return;
	if (any_dirty(t) && t->last >= SW_TASK_PENDING && t->last != SW_TASK_DEPROVISIONING) {
		sw_engine_job_task(e, t, SW_JOB_INSPECT);
		return;
	}
	switch (t->last) {
	case SW_TASK_PROVISIONING:
		if (!t->desired_running) {
			t->last = SW_TASK_DEPROVISIONING;
			sw_ecs_task_save(e, t);
			sw_engine_job_task(e, t, SW_JOB_REMOVE);
			return;
		}
		t->last = SW_TASK_PENDING;
		sw_ecs_task_save(e, t);
		sw_engine_job_task(e, t, SW_JOB_START);
		return;
	case SW_TASK_PENDING:
	case SW_TASK_ACTIVATING:
		if (t->desired_running) {
			sw_engine_job_task(e, t, SW_JOB_START); /* again after a restart: it adopts what exists */
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
			lb_deregister(e, s, t, now);
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
			if (now < t->drain_until + DRAIN_SLACK_SECONDS && lb_draining(e, s, t)) {
				set_next(next, t->drain_until + DRAIN_SLACK_SECONDS < now + ms(e->cfg.lb_poll_ms) ?
					       t->drain_until + DRAIN_SLACK_SECONDS : now + ms(e->cfg.lb_poll_ms));
				return;
			}
			t->lb = SW_TASK_LB_DONE;
			if (s && t->stopped_reason && !strncmp(t->stopped_reason, SCALING_REASON, strlen(SCALING_REASON)))
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
			sw_engine_job_task(e, t, SW_JOB_REMOVE);
			return;
		}
		if (!t->term_sent) {
			t->term_sent = 1;
			sw_engine_job_task(e, t, SW_JOB_TERM);
			return;
		}
		if (now >= t->kill_at) {
			sw_engine_job_task(e, t, SW_JOB_KILL);
			return;
		}
		set_next(next, t->kill_at);
		return;
	case SW_TASK_DEPROVISIONING:
		sw_engine_job_task(e, t, SW_JOB_REMOVE);
		return;
	case SW_TASK_STOPPED:
		return;
	}
}

/* ---- services ------------------------------------------------------------------------------ */

static int is_of(struct sw_engine_task *t, struct sw_engine_deployment *d)
{
	return t->deployment && !strcmp(t->deployment, d->id);
}

static void note_stop(struct sw_buf *list, int *n, struct sw_engine_task *t)
{
	sw_buf_addf(list, " (task %s)", t->id);
	(*n)++;
}

/*
 * Stop t for a deployment's sake. A task registered with a load balancer is
 * deregistered and drained first: "has stopped" is said once its containers are being
 * stopped (advance_task), so the events read in ECS's order — deregistered, begun
 * draining, stopped. nstopped counts every stop; list and nlisted those to say now.
 */
static void stop_for_scaling(struct sw_engine *e, struct sw_engine_task *t, struct sw_engine_deployment *p,
			     int *nstopped, struct sw_buf *list, int *nlisted)
{
	struct sw_buf reason = SW_BUF_INIT;
	sw_buf_addf(&reason, SCALING_REASON " (deployment %s)", p->id);
	sw_ecs_task_stop(e, t, "ServiceSchedulerInitiated", reason.ptr);
	(*nstopped)++;
	if (t->lb != SW_TASK_LB_REGISTERED)
		note_stop(list, nlisted, t);
	sw_buf_release(&reason);
}

static void trip_breaker(struct sw_engine *e, struct sw_engine_service *s)
{
	struct sw_engine_deployment *p = s->deps[0];
	struct sw_buf reason = SW_BUF_INIT;

	p->rollout = SW_ENGINE_ROLLOUT_FAILED;
	sw_engine_set_str(&p->rollout_reason, "ECS deployment circuit breaker: tasks failed to start.");
	p->updated_at = sw_engine_now();
	sw_ecs_service_event_add(e, s, "(service %s) (deployment %s) deployment failed: tasks failed to start.", s->name, p->id);
	/* back to the last COMPLETED deployment — unless this one already runs its definition
	 * (a failed rollback does not roll back to itself) */
	if (s->cb_rollback && s->stable_taskdef && s->stable_deployment && strcmp(s->stable_deployment, p->id) &&
	    strcmp(s->stable_taskdef, p->taskdef)) {
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
	}
	sw_buf_release(&reason);
}

static void start_tasks(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_deployment *p, int want,
			double now, double *next)
{
	struct sw_engine_capacity reg = { e->cfg.cpu_units, e->cfg.memory_mb }, rem;
	struct sw_ecs_task_spec spec = { 0 };
	struct sw_buf group = SW_BUF_INIT, list = SW_BUF_INIT;
	json_t *doc = NULL, *tags = NULL;
	const char *short_of = NULL;
	const char *propagate = json_string_value(json_object_get(s->doc, "propagateTags"));
	long long cpu, mem, backoff;
	int fit, i;

	backoff = sw_engine_deploy_backoff_ms(s->fail_streak, e->cfg.backoff_max_ms);
	if (backoff && now < s->last_fail_at + ms(backoff)) {
		set_next(next, s->last_fail_at + ms(backoff));
		if (now >= s->throttle_event_at + ms(e->cfg.event_ms)) {
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
	sw_engine_placement_remaining(&e->st, &reg, &rem);
	sw_ecs_taskdef_needs(doc, NULL, &cpu, &mem);
	fit = sw_engine_placement_fit(&rem, cpu, mem, want, &short_of);
	sw_buf_addf(&group, "service:%s", s->name);
	spec.cluster = s->cluster;
	spec.taskdef = doc;
	spec.group = group.ptr;
	spec.started_by = p->id;
	spec.launch_type = s->launch_type;
	spec.service_id = s->id;
	spec.deployment = p->id;
	if (propagate && !strcmp(propagate, "SERVICE"))
		tags = sw_ecs_tag_get(e, s->arn);
	else if (propagate && !strcmp(propagate, "TASK_DEFINITION"))
		tags = sw_ecs_tag_get(e, p->taskdef);
	for (i = 0; i < fit; i++) {
		struct sw_engine_task *t = sw_ecs_task_create(e, &spec);
		if (json_array_size(tags))
			sw_ecs_tag_put(e, t->arn, tags);
		sw_buf_addf(&list, " (task %s)", t->id);
	}
	if (fit > 0)
		sw_ecs_service_event_add(e, s, "(service %s) has started %d tasks:%s.", s->name, fit, list.ptr);
	if (fit < want) {
		if (now >= s->place_event_at + ms(e->cfg.event_ms)) {
			sw_ecs_service_event_add(e, s, "(service %s) was unable to place a task because no container instance "
					    "met all of its requirements. The closest matching (container-instance %s) "
					    "has insufficient %s available. For more information, see the "
					    "Troubleshooting section of the Amazon ECS Developer Guide.",
					    s->name, e->instance_id, short_of ? short_of : "memory");
			s->place_event_at = now;
			s->steady_event_at = 0;
			sw_engine_db_save_service(e->db, s);
		}
		set_next(next, s->place_event_at + ms(e->cfg.event_ms));
	}
	json_decref(tags);
	json_decref(doc);
	sw_buf_release(&group);
	sw_buf_release(&list);
}

static void reconcile(struct sw_engine *e, struct sw_engine_service *s, double now, double *next)
{
	struct sw_engine_deploy_counts in = { 0 };
	struct sw_engine_deploy_step step;
	struct sw_engine_deployment *p;
	struct sw_buf stopped = SW_BUF_INIT;
	int primary_running = 0, old_remaining = 0, stopping = 0, nstopped = 0, nlisted = 0, changed = 0;
	int stop_unhealthy_primary, stop_healthy_primary, steady;
	size_t i, j, n;

	if (s->status == SW_SERVICE_INACTIVE || !s->nr_deps)
		return;
	p = s->deps[0];
	if (s->status == SW_SERVICE_ACTIVE && s->cb_enable && p->rollout == SW_ENGINE_ROLLOUT_IN_PROGRESS &&
	    p->failed_tasks >= sw_engine_deploy_threshold(p->desired)) {
		trip_breaker(e, s);
		p = s->deps[0];
		changed = 1;
	}

	in.desired = s->status == SW_SERVICE_ACTIVE ? s->desired : 0;
	in.min_pct = s->min_pct;
	in.max_pct = s->max_pct;
	in.frozen = p->rollout == SW_ENGINE_ROLLOUT_FAILED;
	n = e->st.nr_tasks;
	for (i = 0; i < n; i++) {
		struct sw_engine_task *t = e->st.tasks[i];
		int healthy;
		if (t->service_id != s->id || t->last == SW_TASK_STOPPED)
			continue;
		if (!t->desired_running) {
			stopping++;
			if (!is_of(t, p))
				old_remaining++;
			continue;
		}
		healthy = sw_engine_scheduler_task_healthy(e, s, t, now, next);
		if (is_of(t, p)) {
			in.primary++;
			in.primary_healthy += healthy;
			primary_running += t->last == SW_TASK_RUNNING;
		} else {
			in.old++;
			in.old_healthy += healthy;
			old_remaining++;
		}
	}
	sw_engine_deploy_step(&in, &step);

	/* stops: extra PRIMARY tasks (unhealthy first), old unhealthy, then old healthy oldest first */
	stop_unhealthy_primary = step.stop_primary < in.primary - in.primary_healthy ? step.stop_primary :
				 in.primary - in.primary_healthy;
	stop_healthy_primary = step.stop_primary - stop_unhealthy_primary;
	for (i = n; i-- > 0 && (stop_unhealthy_primary > 0 || stop_healthy_primary > 0);) {
		struct sw_engine_task *t = e->st.tasks[i];
		int healthy;
		if (t->service_id != s->id || !t->desired_running || t->last == SW_TASK_STOPPED || !is_of(t, p))
			continue;
		healthy = sw_engine_scheduler_task_healthy(e, s, t, now, next);
		if (!healthy && stop_unhealthy_primary > 0) {
			stop_unhealthy_primary--;
			stop_for_scaling(e, t, p, &nstopped, &stopped, &nlisted);
		} else if (healthy && stop_healthy_primary > 0) {
			stop_healthy_primary--;
			stop_for_scaling(e, t, p, &nstopped, &stopped, &nlisted);
		}
	}
	/* oldest deployment first; j == 0 stands for tasks whose deployment is no longer listed */
	for (j = s->nr_deps; j-- > 0;) {
		struct sw_engine_deployment *d = j ? s->deps[j] : NULL;
		for (i = 0; i < n; i++) {
			struct sw_engine_task *t = e->st.tasks[i];
			if (t->service_id != s->id || !t->desired_running || t->last == SW_TASK_STOPPED || is_of(t, p))
				continue;
			if (d ? !is_of(t, d) : sw_engine_service_deployment(s, t->deployment) != NULL)
				continue;
			if (!sw_engine_scheduler_task_healthy(e, s, t, now, next)) {
				stop_for_scaling(e, t, p, &nstopped, &stopped, &nlisted);
			} else if (step.stop_old_healthy > 0) {
				step.stop_old_healthy--;
				stop_for_scaling(e, t, p, &nstopped, &stopped, &nlisted);
			}
		}
	}
	if (nlisted)
		sw_ecs_service_event_add(e, s, "(service %s) has stopped %d running tasks:%s.", s->name, nlisted, stopped.ptr);

	if (step.start > 0 && s->status == SW_SERVICE_ACTIVE)
		start_tasks(e, s, p, step.start, now, next);

	/* old deployments with nothing left go away */
	for (j = s->nr_deps; j-- > 1;) {
		int left = 0;
		for (i = 0; i < e->st.nr_tasks && !left; i++)
			left = e->st.tasks[i]->service_id == s->id && e->st.tasks[i]->last != SW_TASK_STOPPED &&
			       is_of(e->st.tasks[i], s->deps[j]);
		if (!left) {
			sw_engine_service_drop_deployment(s, j);
			changed = 1;
		}
	}
	old_remaining = 0;
	for (i = 0; i < e->st.nr_tasks; i++) {
		struct sw_engine_task *t = e->st.tasks[i];
		if (t->service_id == s->id && t->last != SW_TASK_STOPPED && !is_of(t, p))
			old_remaining++;
	}

	if (p->rollout == SW_ENGINE_ROLLOUT_IN_PROGRESS && s->status == SW_SERVICE_ACTIVE &&
	    sw_engine_deploy_completed(&in, primary_running, old_remaining) && !nstopped) {
		p->rollout = SW_ENGINE_ROLLOUT_COMPLETED;
		sw_buf_reset(&stopped);
		sw_buf_addf(&stopped, "ECS deployment %s completed.", p->id);
		sw_engine_set_str(&p->rollout_reason, stopped.ptr);
		p->updated_at = now;
		sw_engine_set_str(&s->stable_deployment, p->id);
		sw_engine_set_str(&s->stable_taskdef, p->taskdef);
		sw_ecs_service_event_add(e, s, "(service %s) (deployment %s) deployment completed.", s->name, p->id);
		while (s->nr_deps > 1)
			sw_engine_service_drop_deployment(s, s->nr_deps - 1);
		changed = 1;
	}

	steady = s->status == SW_SERVICE_ACTIVE && p->rollout == SW_ENGINE_ROLLOUT_COMPLETED && s->nr_deps == 1 &&
		 in.primary == in.desired && in.primary_healthy == in.desired && !stopping && !nstopped &&
		 step.start == 0;
	if (steady) {
		if (!s->steady_event_at || now >= s->steady_event_at + ms(e->cfg.steady_ms)) {
			sw_ecs_service_event_add(e, s, "(service %s) has reached a steady state.", s->name);
			s->steady_event_at = now;
			changed = 1;
		}
		set_next(next, s->steady_event_at + ms(e->cfg.steady_ms));
	} else if (s->steady_event_at && (in.primary_healthy < in.desired || step.start || nstopped)) {
		s->steady_event_at = 0;
		changed = 1;
	}

	if (s->status == SW_SERVICE_DRAINING) {
		int left = 0;
		for (i = 0; i < e->st.nr_tasks && !left; i++)
			left = e->st.tasks[i]->service_id == s->id && e->st.tasks[i]->last != SW_TASK_STOPPED;
		if (!left) {
			s->status = SW_SERVICE_INACTIVE;
			s->deleted_at = now;
			sw_log_info("%s: service %s is INACTIVE", s->cluster, s->name);
			changed = 1;
		}
	}
	if (changed)
		sw_engine_db_save_service(e->db, s);
	sw_buf_release(&stopped);
}

/* ---- purge and the loop ------------------------------------------------------------------- */

static void purge(struct sw_engine *e, double now, double *next)
{
	size_t i;

	for (i = e->st.nr_tasks; i-- > 0;) {
		struct sw_engine_task *t = e->st.tasks[i];
		double until = t->stopped_at + ms(e->cfg.stopped_ttl_ms);
		if (t->last != SW_TASK_STOPPED || t->busy)
			continue;
		if (now < until) {
			set_next(next, until);
			continue;
		}
		sw_engine_db_delete_task(e->db, t->id);
		sw_ecs_tag_drop(e, t->arn);
		sw_engine_state_drop_task(&e->st, t);
	}
	for (i = e->st.nr_services; i-- > 0;) {
		struct sw_engine_service *s = e->st.services[i];
		double until = s->deleted_at + ms(e->cfg.inactive_ttl_ms);
		if (s->status != SW_SERVICE_INACTIVE)
			continue;
		if (now < until) {
			set_next(next, until);
			continue;
		}
		sw_engine_db_delete_service(e->db, s->id);
		sw_engine_state_drop_service(&e->st, s);
	}
}

double sw_engine_scheduler_pass(struct sw_engine *e, double now)
{
	double next = now + IDLE_MAX_SECONDS;
	size_t i, n;

	if (sw_engine_db_begin(e->db) < 0)
		sw_log_warn("scheduler: %s", sw_error_last());
	if (now >= e->resync_at) {
		sw_engine_job_resync(e);
		e->resync_at = now + ms(e->cfg.resync_ms);
	}
	set_next(&next, e->resync_at);
	n = e->st.nr_tasks;
	for (i = 0; i < n; i++)
		advance_task(e, e->st.tasks[i], now, &next);
	for (i = 0; i < e->st.nr_services; i++)
		reconcile(e, e->st.services[i], now, &next);
	/* tasks made or stopped just now start moving in this pass */
	for (i = 0; i < e->st.nr_tasks; i++)
		advance_task(e, e->st.tasks[i], now, &next);
	purge(e, now, &next);
	if (sw_engine_db_commit(e->db) < 0) {
		sw_log_error("scheduler: %s", sw_error_last());
		sw_store_exec(e->db, "ROLLBACK");
	}
	return next;
}

static void *scheduler_main(void *arg)
{
	struct sw_engine *e = arg;

	pthread_mutex_lock(&e->lock);
	while (!e->stopping) {
		double now = sw_engine_now();
		double next;
		e->wake_pending = 0;
		next = sw_engine_scheduler_pass(e, now);
		while (!e->wake_pending && !e->stopping) {
			struct timespec ts;
			double when = next;
			now = sw_engine_now();
			if (now >= when)
				break;
			ts.tv_sec = (time_t)floor(when);
			ts.tv_nsec = (long)((when - floor(when)) * 1e9);
			pthread_cond_timedwait(&e->wake, &e->lock, &ts);
		}
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

int sw_engine_scheduler_start(struct sw_engine *e)
{
	if (pthread_create(&scheduler_thread, NULL, scheduler_main, e))
		return sw_error("cannot start the scheduler thread");
	scheduler_running = 1;
	return 0;
}

void sw_engine_scheduler_stop(struct sw_engine *e)
{
	pthread_mutex_lock(&e->lock);
	e->stopping = 1;
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
	if (scheduler_running)
		pthread_join(scheduler_thread, NULL);
	scheduler_running = 0;
}
