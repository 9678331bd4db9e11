#include <stdlib.h>
#include <string.h>

#include "engine/elb/elbv2.h"
#include "engine/elb/router.h"
#include "common/error.h"
#include "common/json.h"
#include "common/strvec.h"
#include "common/time.h"
#include "common/banned.h"

/* Check and normalise rule conditions: host-header and path-pattern. */
static int check_conditions(struct sw_engine_call *c, json_t *conds, json_t **out)
{
	struct sw_strvec hosts = SW_STRVEC_INIT, paths = SW_STRVEC_INIT;
	json_t *cond, *norm = NULL;
	size_t i, j;
	int seen_host = 0, seen_path = 0, ret = -1;

	*out = NULL;
	if (!json_is_array(conds) || json_array_size(conds) == 0) {
		SW_ELB_FAIL(c, "ValidationError", "A rule must have at least one condition");
		goto cleanup;
	}
	norm = json_array();
	json_array_foreach(conds, i, cond) {
		const char *field = sw_json_str(cond, "Field");
		json_t *values = json_object_get(cond, "Values"), *v;
		json_t *cfg = NULL;
		int host;

		if (!field && json_object_get(cond, "HostHeaderConfig"))
			field = "host-header";
		if (!field && json_object_get(cond, "PathPatternConfig"))
			field = "path-pattern";
		if (!field) {
			SW_ELB_FAIL(c, "ValidationError", "A condition field must be specified");
			goto cleanup;
		}
		if (strcmp(field, "host-header") && strcmp(field, "path-pattern")) {
			SW_ELB_FAIL(c, "ValidationError", "Condition field '%s' is not supported by slipway-engine "
				    "(host-header and path-pattern are)", field);
			goto cleanup;
		}
		host = !strcmp(field, "host-header");
		if ((host && seen_host++) || (!host && seen_path++)) {
			SW_ELB_FAIL(c, "ValidationError", "A condition field can be specified only once: '%s'", field);
			goto cleanup;
		}
		cfg = json_object_get(cond, host ? "HostHeaderConfig" : "PathPatternConfig");
		if (json_object_get(cfg, "RegexValues")) {
			SW_ELB_FAIL(c, "ValidationError", "Regex values are not supported by slipway-engine");
			goto cleanup;
		}
		if (json_object_get(cfg, "Values")) {
			if (values && !json_equal(values, json_object_get(cfg, "Values"))) {
				SW_ELB_FAIL(c, "ValidationError", "You cannot specify both 'Values' and '%s' with different "
					    "values", host ? "HostHeaderConfig" : "PathPatternConfig");
				goto cleanup;
			}
			values = json_object_get(cfg, "Values");
		}
		if (!json_array_size(values)) {
			SW_ELB_FAIL(c, "ValidationError", "A '%s' condition must have at least one value", field);
			goto cleanup;
		}
		json_array_foreach(values, j, v) {
			if (!json_is_string(v)) {
				SW_ELB_FAIL(c, "ValidationError", "Condition values must be strings");
				goto cleanup;
			}
			sw_strvec_push(host ? &hosts : &paths, json_string_value(v));
		}
		json_array_append_new(norm, json_pack("{s:s, s:O, s:{s:O}}", "Field", field, "Values", values,
						      host ? "HostHeaderConfig" : "PathPatternConfig", "Values", values));
	}
	{
		/* the router's own check of the patterns */
		struct sw_elb_router_rule rr = { hosts.v, hosts.nr, paths.v, paths.nr, "x", NULL, 0 };
		char *re = NULL;
		if (sw_elb_router_rule_regex(&rr, &re) < 0) {
			SW_ELB_FAIL(c, "ValidationError", "%s", sw_error_last());
			goto cleanup;
		}
		free(re);
	}
	*out = norm;
	norm = NULL;
	ret = 0;

cleanup:
	json_decref(norm);
	sw_strvec_clear(&hosts);
	sw_strvec_clear(&paths);
	return ret;
}

static const char *lb_name_of(struct sw_elb *elb, const char *lb_arn)
{
	struct sw_elb_object *lb = sw_elb_object_find(elb, SW_ELB_LB, lb_arn);
	return lb ? sw_elb_object_str(lb, "LoadBalancerName") : "lb";
}

static json_t *default_rule_doc(const struct sw_elb_object *l)
{
	return json_pack("{s:O, s:s, s:[], s:O, s:b}", "RuleArn", json_object_get(l->st, "default_rule"),
			 "Priority", "default", "Conditions", "Actions",
			 json_object_get(sw_elb_object_doc(l), "DefaultActions"), "IsDefault", 1);
}

static struct sw_elb_object *listener_by_default_rule(struct sw_elb *elb, const char *rule)
{
	size_t i;
	for (i = 0; rule && i < elb->nobjs; i++)
		if (elb->objs[i].kind == SW_ELB_LISTENER &&
		    !strcmp(sw_json_str(elb->objs[i].st, "default_rule"), rule))
			return &elb->objs[i];
	return NULL;
}

int sw_elb_op_create_rule(struct sw_engine_call *c)
{
	struct sw_elb *elb = c->ctx;
	struct sw_elb_object *l, *lb, *o;
	struct sw_buf hex = SW_BUF_INIT, arn = SW_BUF_INIT, prio = SW_BUF_INIT;
	json_t *conds = NULL, *actions = NULL, *doc, *st;
	long long priority = json_integer_value(sw_elb_in(c, "Priority"));
	size_t i;
	int ret = -1;

	if (sw_elb_call_need(c, "ListenerArn") < 0 || sw_elb_call_need(c, "Conditions") < 0 ||
	    sw_elb_call_need(c, "Priority") < 0 || sw_elb_call_need(c, "Actions") < 0)
		return -1;
	l = sw_elb_object_find(elb, SW_ELB_LISTENER, sw_elb_in_str(c, "ListenerArn"));
	if (!l)
		return SW_ELB_FAIL(c, "ListenerNotFound", "One or more listeners not found");
	if (priority < 1 || priority > 50000)
		return SW_ELB_FAIL(c, "ValidationError", "Priority must be between 1 and 50000");
	for (i = 0; i < elb->nobjs; i++)
		if (elb->objs[i].kind == SW_ELB_RULE && atoi(sw_elb_object_str(&elb->objs[i], "Priority")) == priority &&
		    !strcmp(sw_json_str(elb->objs[i].st, "listener"), l->arn))
			return SW_ELB_FAIL(c, "PriorityInUse", "Priority '%lld' is currently in use", priority);
	if (check_conditions(c, sw_elb_in(c, "Conditions"), &conds) < 0 ||
	    sw_elb_listener_actions_check(c, sw_elb_in(c, "Actions"), 1, &actions) < 0)
		goto cleanup;
	lb = sw_elb_object_find(elb, SW_ELB_LB, sw_elb_object_str(l, "LoadBalancerArn"));
	sw_elb_arn_hex(&hex);
	sw_elb_arn_new(elb, &arn, "listener-rule/app/%s/%s/%s/%s", lb_name_of(elb, lb ? lb->arn : ""),
		       lb ? lb->hex : "0", l->hex, hex.ptr);
	sw_buf_addf(&prio, "%lld", priority);
	doc = json_pack("{s:s, s:s, s:O, s:O, s:b}", "RuleArn", arn.ptr, "Priority", prio.ptr, "Conditions", conds,
			"Actions", actions, "IsDefault", 0);
	st = json_pack("{s:o, s:o, s:s}", "doc", doc, "tags", sw_elb_tags_copy(sw_elb_in(c, "Tags")), "listener",
		       l->arn);
	o = sw_elb_object_add(elb, SW_ELB_RULE, arn.ptr, st, sw_time_now());
	if (sw_elb_object_save(elb, o) < 0) {
		sw_elb_call_db_error(c);
		goto cleanup;
	}
	sw_elb_object_changed(elb);
	json_object_set_new(c->out, "Rules", json_pack("[O]", sw_elb_object_doc(o)));
	ret = 0;

cleanup:
	json_decref(conds);
	json_decref(actions);
	sw_buf_release(&hex);
	sw_buf_release(&arn);
	sw_buf_release(&prio);
	return ret;
}

int sw_elb_op_describe_rules(struct sw_engine_call *c)
{
	struct sw_elb *elb = c->ctx;
	const char *listener = sw_elb_in_str(c, "ListenerArn");
	json_t *arns = sw_elb_in(c, "RuleArns"), *all = json_array(), *slice = NULL, *v;
	size_t i, n;
	int ret = 0;

	if (!listener && !json_array_size(arns)) {
		ret = SW_ELB_FAIL(c, "ValidationError", "You must specify either listener ARN or rule ARNs");
		goto cleanup;
	}
	if (listener) {
		struct sw_elb_object *l = sw_elb_object_find(elb, SW_ELB_LISTENER, listener), **rules;
		if (!l) {
			ret = SW_ELB_FAIL(c, "ListenerNotFound", "One or more listeners not found");
			goto cleanup;
		}
		rules = sw_elb_object_rules(elb, l->arn, &n);
		for (i = 0; i < n; i++)
			json_array_append(all, sw_elb_object_doc(rules[i]));
		json_array_append_new(all, default_rule_doc(l));
		free(rules);
	}
	json_array_foreach(arns, i, v) {
		struct sw_elb_object *r = sw_elb_object_find(elb, SW_ELB_RULE, json_string_value(v)), *l;
		if (r) {
			json_array_append(all, sw_elb_object_doc(r));
		} else if ((l = listener_by_default_rule(elb, json_string_value(v)))) {
			json_array_append_new(all, default_rule_doc(l));
		} else {
			ret = SW_ELB_FAIL(c, "RuleNotFound", "One or more rules not found");
			goto cleanup;
		}
	}
	if ((ret = sw_elb_call_page(c, all, &slice)) == 0)
		json_object_set_new(c->out, "Rules", slice);
cleanup:
	json_decref(all);
	return ret;
}

int sw_elb_op_modify_rule(struct sw_engine_call *c)
{
	struct sw_elb *elb = c->ctx;
	struct sw_elb_object *r;
	json_t *conds = NULL, *actions = NULL, *doc;

	if (sw_elb_call_need(c, "RuleArn") < 0)
		return -1;
	r = sw_elb_object_find(elb, SW_ELB_RULE, sw_elb_in_str(c, "RuleArn"));
	if (!r && listener_by_default_rule(elb, sw_elb_in_str(c, "RuleArn")))
		return SW_ELB_FAIL(c, "OperationNotPermitted", "The default rule cannot be modified; modify the listener's "
				   "default actions instead");
	if (!r)
		return SW_ELB_FAIL(c, "RuleNotFound", "One or more rules not found");
	if (sw_elb_in(c, "Conditions") && check_conditions(c, sw_elb_in(c, "Conditions"), &conds) < 0)
		return -1;
	if (sw_elb_in(c, "Actions") && sw_elb_listener_actions_check(c, sw_elb_in(c, "Actions"), 1, &actions) < 0) {
		json_decref(conds);
		return -1;
	}
	doc = json_deep_copy(sw_elb_object_doc(r));
	if (conds)
		json_object_set_new(doc, "Conditions", conds);
	if (actions)
		json_object_set_new(doc, "Actions", actions);
	json_object_set_new(r->st, "doc", doc);
	if (sw_elb_object_save(elb, r) < 0)
		return sw_elb_call_db_error(c);
	sw_elb_object_changed(elb);
	json_object_set_new(c->out, "Rules", json_pack("[O]", sw_elb_object_doc(r)));
	return 0;
}

int sw_elb_op_delete_rule(struct sw_engine_call *c)
{
	struct sw_elb *elb = c->ctx;
	struct sw_elb_object *r;

	if (sw_elb_call_need(c, "RuleArn") < 0)
		return -1;
	r = sw_elb_object_find(elb, SW_ELB_RULE, sw_elb_in_str(c, "RuleArn"));
	if (!r && listener_by_default_rule(elb, sw_elb_in_str(c, "RuleArn")))
		return SW_ELB_FAIL(c, "OperationNotPermitted", "Default rule '%s' cannot be deleted",
				   sw_elb_in_str(c, "RuleArn"));
	if (!r)
		return SW_ELB_FAIL(c, "RuleNotFound", "One or more rules not found");
	sw_elb_object_remove(elb, r);
	sw_elb_object_changed(elb);
	return 0;
}
