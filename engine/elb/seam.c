#include <stdlib.h>
#include <string.h>

#include "engine/elb/elb.h"
#include "engine/elb/health.h"
#include "engine/elb/target.h"
#include "common/error.h"
#include "common/json.h"
#include "common/banned.h"

/* The task id in a task ARN (or the string itself), NULL for NULL. */
static const char *task_id(const char *arn)
{
	return arn && strrchr(arn, '/') ? strrchr(arn, '/') + 1 : arn;
}

/* t's target, NULL when not registered or when its id:port is another task's now. */
static struct sw_elb_target *seam_target(struct sw_elb *elb, const struct sw_run_target *t,
					 struct sw_elb_object **tg_out)
{
	struct sw_elb_object *tg = sw_elb_object_find(elb, SW_ELB_TG, t->target_group_arn);
	struct sw_elb_target *target;
	const char *type, *task = task_id(t->task_arn);
	*tg_out = tg;
	if (!tg)
		return NULL;
	type = sw_elb_object_str(tg, "TargetType");
	target = sw_elb_target_find(elb, tg->arn, type && !strcmp(type, "ip") ? t->host : elb->ec2_id, t->port);
	if (target && target->task && task && strcmp(target->task, task))
		return NULL;
	return target;
}

static int seam_check(void *ctx, const char *arn)
{
	struct sw_elb *elb = ctx;
	if (!sw_elb_object_find(elb, SW_ELB_TG, arn))
		return sw_error_code(SW_ENOTFOUND, "The target group with targetGroupArn %s does not exist.", arn);
	if (!sw_elb_object_tg_in_use(elb, arn))
		return sw_error_code(SW_EINVAL, "The target group with targetGroupArn %s does not have an associated "
				     "load balancer.", arn);
	return 0;
}

/*
 * The container behind a published host port (bridge mode): "ip:containerPort", so
 * the router can talk to it without Docker's userland proxy in between (as an ALB
 * talks to its target). NULL when there is none, or when the target group checks
 * health on an explicit port (a port of the instance). Engine lock held.
 */
static char *container_direct(struct sw_elb *elb, const struct sw_elb_object *tg, const struct sw_run_target *t)
{
	const char *slash = t->task_arn ? strrchr(t->task_arn, '/') : NULL;
	const char *hc = sw_elb_object_str(tg, "HealthCheckPort");
	struct sw_engine_task *task;
	struct sw_buf out = SW_BUF_INIT;
	size_t i, j;

	if (!slash || !t->container_name || (hc && strcmp(hc, "traffic-port")))
		return NULL;
	task = sw_engine_state_task(&elb->e->st, slash + 1);
	if (!task || !task->network_mode || strcmp(task->network_mode, "bridge"))
		return NULL;
	for (i = 0; i < task->nr_containers; i++) {
		struct sw_engine_container *c = &task->containers[i];
		if (strcmp(c->name, t->container_name) || !c->ip || !*c->ip)
			continue;
		for (j = 0; j < json_array_size(c->bindings); j++) {
			json_t *b = json_array_get(c->bindings, j);
			if (sw_json_int(b, "hostPort", 0) != t->port)
				continue;
			sw_buf_addf(&out, "%s:%lld", c->ip,
				    sw_json_int(b, "containerPort", 0));
			return sw_buf_detach(&out, NULL);
		}
	}
	return NULL;
}

static int seam_register(void *ctx, const struct sw_run_target *t)
{
	struct sw_elb *elb = ctx;
	struct sw_elb_object *tg = sw_elb_object_find(elb, SW_ELB_TG, t->target_group_arn);
	const char *type, *host, *task;
	char *direct;
	int ret;

	if (!tg)
		return sw_error_code(SW_ENOTFOUND, "target group %s does not exist", t->target_group_arn);
	if (!t->host || t->port < 1 || t->port > 65535)
		return sw_error_code(SW_EINVAL, "target %s:%d is not an address", t->host ? t->host : "?", t->port);
	type = sw_elb_object_str(tg, "TargetType");
	host = !strcmp(t->host, "0.0.0.0") ? "127.0.0.1" : t->host;
	task = task_id(t->task_arn);
	if (type && !strcmp(type, "ip"))
		return sw_elb_target_register(elb, tg->arn, host, t->port, host, NULL, task);
	direct = container_direct(elb, tg, t);
	ret = sw_elb_target_register(elb, tg->arn, elb->ec2_id, t->port, host, direct, task);
	free(direct);
	return ret;
}

static int seam_deregister(void *ctx, const struct sw_run_target *t, int *drain_seconds)
{
	struct sw_elb *elb = ctx;
	struct sw_elb_object *tg = NULL;
	struct sw_elb_target *target = seam_target(elb, t, &tg);

	*drain_seconds = 0;
	if (!target)
		return 0;
	*drain_seconds = (int)sw_elb_object_tg_attr(tg, "deregistration_delay.timeout_seconds", 300);
	return sw_elb_target_deregister(elb, tg, target);
}

static enum sw_run_target_health seam_health(void *ctx, const struct sw_run_target *t, struct sw_buf *reason)
{
	struct sw_elb *elb = ctx;
	struct sw_elb_object *tg = NULL;
	struct sw_elb_target *target = seam_target(elb, t, &tg);
	struct sw_buf desc = SW_BUF_INIT;
	const char *state, *why;
	enum sw_run_target_health h;

	if (!tg) {
		if (reason)
			sw_buf_adds(reason, "Target.NotRegistered");
		return SW_TARGET_UNKNOWN;
	}
	h = sw_elb_health_describe(elb, tg, target, &state, &why, &desc);
	if (reason && why)
		sw_buf_adds(reason, why);
	sw_buf_release(&desc);
	return h;
}

static const char *seam_target_type(void *ctx, const char *arn)
{
	struct sw_elb_object *tg = sw_elb_object_find(ctx, SW_ELB_TG, arn);
	const char *type = tg ? sw_elb_object_str(tg, "TargetType") : NULL;
	return tg && !type ? "instance" : type;
}

static int seam_rule_check(void *ctx, const char *rule_arn, const char *tg, const char *alt_tg)
{
	struct sw_elb_object *rule = sw_elb_object_find(ctx, SW_ELB_RULE, rule_arn);
	const char *tgs[2];
	long long w[2];
	int n, i;

	if (!rule)
		return sw_error_code(SW_ENOTFOUND, "The production listener rule %s does not exist.", rule_arn);
	n = sw_elb_object_action_weights(json_object_get(sw_elb_object_doc(rule), "Actions"), tgs, w);
	for (i = 0; i < n; i++)
		if (strcmp(tgs[i], tg) && strcmp(tgs[i], alt_tg))
			break;
	if (!n || i < n)
		return sw_error_code(SW_EINVAL, "The production listener rule %s must forward to the target group %s "
				     "or its alternate %s.", rule_arn, tg, alt_tg);
	return 0;
}

/* 1 when rule o forwards to exactly the two groups a and b (weighted, either way round). */
static int forwards_to_pair(const struct sw_elb_object *o, const char *a, const char *b)
{
	const char *tgs[2];
	long long w[2];
	int n = sw_elb_object_action_weights(json_object_get(sw_elb_object_doc(o), "Actions"), tgs, w);
	return n == 2 && ((!strcmp(tgs[0], a) && !strcmp(tgs[1], b)) || (!strcmp(tgs[0], b) && !strcmp(tgs[1], a)));
}

/* Rule o's forward set to the two weights. */
static int set_weights(struct sw_elb *elb, struct sw_elb_object *o, const char *from_tg, long long wf,
		       const char *to_tg, long long wt)
{
	/* both groups stay in the forward (the one at weight 0 too), as ECS leaves the rule */
	json_t *action = json_pack("{s:s, s:{s:[{s:s, s:I}, {s:s, s:I}], s:{s:b}}}", "Type", "forward", "ForwardConfig",
				   "TargetGroups", "TargetGroupArn", from_tg, "Weight", wf, "TargetGroupArn", to_tg, "Weight",
				   wt, "TargetGroupStickinessConfig", "Enabled", 0);
	json_t *doc = json_deep_copy(sw_elb_object_doc(o));

	json_object_set_new(doc, "Actions", json_pack("[o]", action));
	json_object_set_new(o->st, "doc", doc);
	return sw_elb_object_save(elb, o) < 0 ? SW_ERROR : 0;
}

/*
 * The production rule's weights, and the same on every other rule of its load balancer
 * that forwards to the same two groups (an app's custom domains, its rules on the HTTPS
 * listener): they serve the same tasks, so they shift with it.
 */
static int seam_shift(void *ctx, const char *rule_arn, const char *from_tg, const char *to_tg, int permille)
{
	struct sw_elb *elb = ctx;
	struct sw_elb_object *rule = sw_elb_object_find(elb, SW_ELB_RULE, rule_arn), *l, *ol;
	const char *lb;
	long long wf = permille <= 0 ? 1 : permille >= 1000 ? 0 : 1000 - permille;
	long long wt = permille <= 0 ? 0 : permille >= 1000 ? 1 : permille;
	size_t i;

	if (!rule)
		return sw_error_code(SW_ENOTFOUND, "listener rule %s does not exist", rule_arn);
	if (set_weights(elb, rule, from_tg, wf, to_tg, wt) < 0)
		return SW_ERROR;
	l = sw_elb_object_listener_of(elb, rule);
	lb = l ? sw_elb_object_str(l, "LoadBalancerArn") : NULL;
	for (i = 0; lb && i < elb->nobjs; i++) {
		struct sw_elb_object *o = &elb->objs[i];
		if (o->kind != SW_ELB_RULE || o == rule || !forwards_to_pair(o, from_tg, to_tg))
			continue;
		ol = sw_elb_object_listener_of(elb, o);
		if (ol && sw_elb_object_str(ol, "LoadBalancerArn") && !strcmp(sw_elb_object_str(ol, "LoadBalancerArn"), lb) &&
		    set_weights(elb, o, from_tg, wf, to_tg, wt) < 0)
			return SW_ERROR;
	}
	sw_elb_object_changed(elb);
	return 0;
}

const struct sw_run_balancer_ops sw_elb_balancer_ops = {
	"elbv2", seam_check, seam_register, seam_deregister, seam_health, seam_target_type, seam_rule_check, seam_shift,
};
