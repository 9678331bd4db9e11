#include <string.h>
#include <arpa/inet.h>

#include "engine/elb/elbv2.h"
#include "engine/elb/health.h"
#include "engine/elb/target.h"
#include "common/json.h"
#include "common/banned.h"

/* Where a target is reached: an instance target is this machine; an ip target its IP. */
static int target_addr(struct sw_engine_call *c, const struct sw_elb_object *tg, const char *id, const char **addr)
{
	struct sw_elb *elb = c->ctx;
	const char *type = sw_elb_object_str(tg, "TargetType");
	if (type && !strcmp(type, "ip")) {
		struct in_addr a;
		if (inet_pton(AF_INET, id, &a) != 1)
			return SW_ELB_FAIL(c, "ValidationError", "The IP address '%s' is not a valid IPv4 address", id);
		*addr = id;
		return 0;
	}
	if (strcmp(id, elb->ec2_id))
		return SW_ELB_FAIL(c, "InvalidTarget", "The following targets are not valid instances: '%s' (this machine "
				   "is instance '%s')", id, elb->ec2_id);
	*addr = elb->target_addr;
	return 0;
}

/* The port of one entry of Targets: its own Port, else the target group's. */
static int target_port(const struct sw_elb_object *tg, const json_t *target)
{
	json_t *port = json_object_get(target, "Port");
	return port ? (int)json_integer_value(port) : (int)sw_json_int(sw_elb_object_doc(tg), "Port", 0);
}

/*
 * The target group of a RegisterTargets / DeregisterTargets call, with its Targets
 * checked: every one well formed, then (registering) every one a target this machine
 * reaches, or (deregistering) every one registered. NULL with the call failed.
 */
static struct sw_elb_object *targets_call(struct sw_engine_call *c, int registering)
{
	struct sw_elb_object *tg;
	json_t *v;
	size_t i;

	if (sw_elb_call_need(c, "TargetGroupArn") < 0 || sw_elb_call_need(c, "Targets") < 0)
		return NULL;
	tg = sw_elb_object_find(c->ctx, SW_ELB_TG, sw_elb_in_str(c, "TargetGroupArn"));
	if (!tg) {
		SW_ELB_FAIL(c, "TargetGroupNotFound", "One or more target groups not found");
		return NULL;
	}
	json_array_foreach(sw_elb_in(c, "Targets"), i, v) {
		const char *id = sw_json_str(v, "Id");
		json_t *port = json_object_get(v, "Port");
		if (!id) {
			SW_ELB_FAIL(c, "ValidationError", "1 validation error detected: Value null at "
				    "'targets.%zu.member.id' failed to satisfy constraint: Member must not be null", i + 1);
			return NULL;
		}
		if (port && (json_integer_value(port) < 1 || json_integer_value(port) > 65535)) {
			SW_ELB_FAIL(c, "ValidationError", "Port must be between 1 and 65535");
			return NULL;
		}
		if (!registering && !sw_elb_target_find(c->ctx, tg->arn, id, target_port(tg, v))) {
			SW_ELB_FAIL(c, "InvalidTarget", "The following targets are not registered in target group '%s': '%s'",
				    tg->arn, id);
			return NULL;
		}
	}
	if (registering) {
		json_array_foreach(sw_elb_in(c, "Targets"), i, v) {
			const char *addr = NULL;
			if (target_addr(c, tg, sw_json_str(v, "Id"), &addr) < 0)
				return NULL;
		}
	}
	return tg;
}

/*
 * RegisterTargets and DeregisterTargets: the whole call checked first (nothing changes
 * when one target is wrong), then each target registered or deregistered.
 */
static int change_targets(struct sw_engine_call *c, int registering)
{
	struct sw_elb *elb = c->ctx;
	struct sw_elb_object *tg = targets_call(c, registering);
	json_t *v;
	size_t i;

	if (!tg)
		return -1;
	json_array_foreach(sw_elb_in(c, "Targets"), i, v) {
		const char *id = sw_json_str(v, "Id"), *addr = NULL;
		int port = target_port(tg, v), ret = 0;
		struct sw_elb_target *t;

		if (registering) {
			target_addr(c, tg, id, &addr);
			ret = sw_elb_target_register(elb, tg->arn, id, port, addr, NULL, NULL);
		} else if ((t = sw_elb_target_find(elb, tg->arn, id, port))) {
			ret = sw_elb_target_deregister(elb, tg, t);
		}
		if (ret < 0)
			return sw_elb_call_db_error(c);
	}
	return 0;
}

int sw_elb_op_register_targets(struct sw_engine_call *c)
{
	return change_targets(c, 1);
}

int sw_elb_op_deregister_targets(struct sw_engine_call *c)
{
	return change_targets(c, 0);
}

static json_t *health_doc(struct sw_elb *elb, const struct sw_elb_object *tg, const char *id, int port,
			  const struct sw_elb_target *t)
{
	struct sw_buf desc = SW_BUF_INIT, hcport = SW_BUF_INIT;
	const char *state, *reason, *p = sw_elb_object_str(tg, "HealthCheckPort");
	json_t *th, *doc;

	sw_elb_health_describe(elb, tg, t, &state, &reason, &desc);
	th = json_pack("{s:s}", "State", state);
	if (reason) {
		json_object_set_new(th, "Reason", json_string(reason));
		json_object_set_new(th, "Description", json_string(desc.ptr));
	}
	if (!p || !strcmp(p, "traffic-port"))
		sw_buf_addf(&hcport, "%d", port);
	else
		sw_buf_adds(&hcport, p);
	doc = json_pack("{s:{s:s, s:i}, s:s, s:o}", "Target", "Id", id, "Port", port, "HealthCheckPort", hcport.ptr,
			"TargetHealth", th);
	sw_buf_release(&desc);
	sw_buf_release(&hcport);
	return doc;
}

int sw_elb_op_describe_target_health(struct sw_engine_call *c)
{
	struct sw_elb *elb = c->ctx;
	struct sw_elb_object *tg;
	json_t *list = json_array(), *v;
	size_t i;

	if (sw_elb_call_need(c, "TargetGroupArn") < 0) {
		json_decref(list);
		return -1;
	}
	tg = sw_elb_object_find(elb, SW_ELB_TG, sw_elb_in_str(c, "TargetGroupArn"));
	if (!tg) {
		json_decref(list);
		return SW_ELB_FAIL(c, "TargetGroupNotFound", "One or more target groups not found");
	}
	if (json_array_size(sw_elb_in(c, "Targets"))) {
		json_array_foreach(sw_elb_in(c, "Targets"), i, v) {
			const char *id = sw_json_str(v, "Id");
			int port = target_port(tg, v);
			if (!id) {
				json_decref(list);
				return SW_ELB_FAIL(c, "ValidationError", "A target ID must be specified");
			}
			json_array_append_new(list, health_doc(elb, tg, id, port, sw_elb_target_find(elb, tg->arn, id, port)));
		}
	} else {
		for (i = 0; i < elb->ntargets; i++) {
			struct sw_elb_target *t = &elb->targets[i];
			if (!strcmp(t->tg_arn, tg->arn))
				json_array_append_new(list, health_doc(elb, tg, t->id, t->port, t));
		}
	}
	json_object_set_new(c->out, "TargetHealthDescriptions", list);
	return 0;
}
