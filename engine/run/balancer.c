#include <string.h>

#include "engine/run/balancer.h"
#include "engine/ecs/service_event.h"
#include "engine/ecs/task.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/banned.h"

static int none_check(void *ctx, const char *arn)
{
	return sw_error_code(SW_ENOTFOUND, "The target group with targetGroupArn %s does not exist "
			     "(this engine runs without a load balancer)", arn);
}

static int none_register(void *ctx, const struct sw_run_target *t)
{
	return sw_error_code(SW_ENOTFOUND, "no load balancer: cannot register %s:%d", t->host, t->port);
}

static int none_deregister(void *ctx, const struct sw_run_target *t, int *drain_seconds)
{
	*drain_seconds = 0;
	return 0;
}

static enum sw_run_target_health none_health(void *ctx, const struct sw_run_target *t, struct sw_buf *reason)
{
	if (reason)
		sw_buf_adds(reason, "Elb.InternalError");
	return SW_TARGET_UNKNOWN;
}

const struct sw_run_balancer_ops sw_run_balancer_none = {
	"none", none_check, none_register, none_deregister, none_health, NULL, NULL, NULL,
};

void sw_run_balancer_set(struct sw_engine *e, const struct sw_run_balancer_ops *ops, void *ctx)
{
	e->lb = ops ? ops : &sw_run_balancer_none;
	e->lb_ctx = ctx;
}

void sw_run_balancer_changed(struct sw_engine *e)
{
	sw_engine_wake(e);
}

const char *sw_run_target_health_name(enum sw_run_target_health h)
{
	switch (h) {
	case SW_TARGET_INITIAL: return "initial";
	case SW_TARGET_HEALTHY: return "healthy";
	case SW_TARGET_UNHEALTHY: return "unhealthy";
	case SW_TARGET_DRAINING: return "draining";
	case SW_TARGET_UNUSED: return "unused";
	case SW_TARGET_UNKNOWN: break;
	}
	return "unavailable";
}

/* ---- the scheduler's side ------------------------------------------------------------ */

int sw_run_balancer_used(const struct sw_engine_service *s)
{
	return s && s->load_balancers && json_array_size(s->load_balancers) > 0;
}

/* The target for load balancer entry lb of task t; 0, or -1 when it has no address yet. */
static int target_for(struct sw_engine_task *t, json_t *lb, struct sw_run_target *out)
{
	const char *cname = sw_json_str(lb, "containerName");
	long long cport = sw_json_int(lb, "containerPort", 0);
	struct sw_engine_container *c = cname ? sw_engine_task_container(t, cname) : NULL;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!c)
		return -1;
	out->target_group_arn = sw_json_str(lb, "targetGroupArn");
	/* a traffic-shifting deployment's tasks: the alternate target group (advancedConfiguration) */
	if (t->lb_alt && sw_json_str(json_object_get(lb, "advancedConfiguration"), "alternateTargetGroupArn"))
		out->target_group_arn = sw_json_str(json_object_get(lb, "advancedConfiguration"), "alternateTargetGroupArn");
	out->task_arn = t->arn;
	out->container_name = c->name;
	if (!strcmp(t->network_mode, "awsvpc")) {
		if (!sw_engine_task_ip(t))
			return -1;
		out->host = sw_engine_task_ip(t);
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
		const char *ip = sw_json_str(b, "bindIP");
		if (sw_json_int(b, "containerPort", 0) != cport)
			continue;
		out->host = !ip || !strcmp(ip, "0.0.0.0") ? "127.0.0.1" : ip;
		out->port = (int)sw_json_int(b, "hostPort", 0);
		return 0;
	}
	return -1;
}

void sw_run_balancer_register(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_task *t)
{
	size_t i;
	int ok = 1;

	for (i = 0; i < json_array_size(s->load_balancers); i++) {
		struct sw_run_target tg;
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

void sw_run_balancer_deregister(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_task *t, double now)
{
	int longest = 0;
	size_t i;

	for (i = 0; s && i < json_array_size(s->load_balancers); i++) {
		struct sw_run_target tg;
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
int sw_run_balancer_draining(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_task *t)
{
	size_t i;
	for (i = 0; s && i < json_array_size(s->load_balancers); i++) {
		struct sw_run_target tg;
		if (target_for(t, json_array_get(s->load_balancers, i), &tg) < 0)
			continue;
		if (e->lb->target_health(e->lb_ctx, &tg, NULL) == SW_TARGET_DRAINING)
			return 1;
	}
	return 0;
}

/* The first load-balancer target of t that is unhealthy, or NULL. */
const char *sw_run_balancer_unhealthy(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_task *t)
{
	size_t i;
	for (i = 0; i < json_array_size(s->load_balancers); i++) {
		struct sw_run_target tg;
		if (target_for(t, json_array_get(s->load_balancers, i), &tg) < 0)
			continue;
		if (e->lb->target_health(e->lb_ctx, &tg, NULL) == SW_TARGET_UNHEALTHY)
			return tg.target_group_arn;
	}
	return NULL;
}

int sw_run_balancer_healthy(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_task *t)
{
	size_t i;

	if (t->lb != SW_TASK_LB_REGISTERED)
		return 0;
	for (i = 0; i < json_array_size(s->load_balancers); i++) {
		struct sw_run_target tg;
		if (target_for(t, json_array_get(s->load_balancers, i), &tg) < 0 ||
		    e->lb->target_health(e->lb_ctx, &tg, NULL) != SW_TARGET_HEALTHY)
			return 0;
	}
	return 1;
}
