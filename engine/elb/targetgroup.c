#include <stdlib.h>
#include <string.h>

#include "engine/elb/elbv2.h"
#include "engine/elb/router.h"
#include "engine/elb/target.h"
#include "common/error.h"
#include "common/json.h"
#include "common/time.h"
#include "common/banned.h"

static json_t *tg_out(struct sw_elb *elb, const struct sw_elb_object *tg)
{
	json_t *doc = json_deep_copy(sw_elb_object_doc(tg));
	json_object_set_new(doc, "LoadBalancerArns", sw_elb_object_tg_users(elb, tg->arn));
	return doc;
}

/*
 * Apply the health check members of the request onto doc (create: defaults first).
 * Checks every rule ALB checks.
 */
static int apply_health_check(struct sw_engine_call *c, json_t *doc)
{
	static const char *const ints[] = { "HealthCheckIntervalSeconds", "HealthCheckTimeoutSeconds",
					    "HealthyThresholdCount", "UnhealthyThresholdCount", NULL };
	static const int lo[] = { 5, 2, 2, 2 }, hi[] = { 300, 120, 10, 10 };
	const char *proto = sw_elb_in_str(c, "HealthCheckProtocol"), *port = sw_elb_in_str(c, "HealthCheckPort");
	const char *path = sw_elb_in_str(c, "HealthCheckPath");
	json_t *matcher = sw_elb_in(c, "Matcher");
	int i;

	if (proto && strcmp(proto, "HTTP"))
		return SW_ELB_FAIL(c, "InvalidConfigurationRequest", "Health check protocol '%s' is not supported by "
				   "slipway-engine (HTTP is)", proto);
	if (port) {
		char *end = NULL;
		long p = strtol(port, &end, 10);
		if (strcmp(port, "traffic-port") && (!*port || *end || p < 1 || p > 65535))
			return SW_ELB_FAIL(c, "ValidationError", "Health check port '%s' must be 'traffic-port' or a port "
					   "number between 1 and 65535", port);
		json_object_set_new(doc, "HealthCheckPort", json_string(port));
	}
	if (sw_elb_in(c, "HealthCheckEnabled"))
		json_object_set(doc, "HealthCheckEnabled", sw_elb_in(c, "HealthCheckEnabled"));
	for (i = 0; ints[i]; i++) {
		json_t *v = sw_elb_in(c, ints[i]);
		if (!v)
			continue;
		if (json_integer_value(v) < lo[i] || json_integer_value(v) > hi[i])
			return SW_ELB_FAIL(c, "ValidationError", "%s must be between %d and %d", ints[i], lo[i], hi[i]);
		json_object_set(doc, ints[i], v);
	}
	if (sw_json_int(doc, "HealthCheckTimeoutSeconds", 0) >=
	    sw_json_int(doc, "HealthCheckIntervalSeconds", 0))
		return SW_ELB_FAIL(c, "ValidationError", "Health check timeout '%lld' must be smaller than the interval '%lld'",
				   sw_json_int(doc, "HealthCheckTimeoutSeconds", 0),
				   sw_json_int(doc, "HealthCheckIntervalSeconds", 0));
	if (path) {
		const char *p;
		if (path[0] != '/' || strlen(path) > 1024)
			return SW_ELB_FAIL(c, "ValidationError", "Health check path must begin with a '/' character and have "
					   "at most 1024 characters");
		for (p = path; *p; p++)
			if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '\'' || *p == '"' || *p == '\\' || *p == '#')
				return SW_ELB_FAIL(c, "ValidationError", "Health check path '%s' has a character that is not "
						   "allowed", path);
		json_object_set_new(doc, "HealthCheckPath", json_string(path));
	}
	if (matcher) {
		const char *code = sw_json_str(matcher, "HttpCode");
		if (json_object_get(matcher, "GrpcCode"))
			return SW_ELB_FAIL(c, "ValidationError", "A gRPC matcher is not supported by slipway-engine");
		if (!code || !sw_elb_router_matcher_valid(code))
			return SW_ELB_FAIL(c, "ValidationError", "Health check matcher HTTP code '%s' must be a code like 200, "
					   "a list like 200,202 or a range like 200-299", code ? code : "");
		json_object_set_new(doc, "Matcher", json_pack("{s:s}", "HttpCode", code));
	}
	return 0;
}

static json_t *default_attributes(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "deregistration_delay.timeout_seconds", "300",
			 "stickiness.enabled", "false",
			 "stickiness.type", "lb_cookie",
			 "stickiness.lb_cookie.duration_seconds", "86400",
			 "stickiness.app_cookie.cookie_name", "",
			 "stickiness.app_cookie.duration_seconds", "86400",
			 "load_balancing.algorithm.type", "round_robin",
			 "load_balancing.cross_zone.enabled", "use_load_balancer_configuration",
			 "slow_start.duration_seconds", "0");
}

int sw_elb_op_create_target_group(struct sw_engine_call *c)
{
	struct sw_elb *elb = c->ctx;
	const char *name = sw_elb_in_str(c, "Name"), *proto = sw_elb_in_str(c, "Protocol");
	const char *type = sw_elb_in_str(c, "TargetType");
	const char *version = sw_elb_in_str(c, "ProtocolVersion");
	struct sw_buf hex = SW_BUF_INIT, arn = SW_BUF_INIT;
	struct sw_elb_object *o;
	json_t *doc = NULL;
	int ret = -1;
	double now = sw_time_now();

	if (sw_elb_call_need(c, "Name") < 0 || sw_elb_call_name_check(c, "Target group", name) < 0)
		return -1;
	if (!type)
		type = "instance";
	if (strcmp(type, "instance") && strcmp(type, "ip"))
		return SW_ELB_FAIL(c, "InvalidConfigurationRequest", "Target type '%s' is not supported by slipway-engine "
				   "(instance and ip are)", type);
	if (!proto)
		return SW_ELB_FAIL(c, "ValidationError", "A protocol must be specified");
	if (strcmp(proto, "HTTP"))
		return SW_ELB_FAIL(c, "InvalidConfigurationRequest", "Protocol '%s' is not supported by slipway-engine's "
				   "target groups (HTTP is)", proto);
	if (!sw_elb_in(c, "Port"))
		return SW_ELB_FAIL(c, "ValidationError", "A port must be specified");
	if (version && strcmp(version, "HTTP1"))
		return SW_ELB_FAIL(c, "InvalidConfigurationRequest", "Protocol version '%s' is not supported by "
				   "slipway-engine (HTTP1 is)", version);
	doc = json_pack("{s:s, s:s, s:s, s:O, s:s, s:s, s:s, s:b, s:i, s:i, s:i, s:i, s:s, s:{s:s}, s:s, s:s, s:s}",
			"TargetGroupArn", "", "TargetGroupName", name, "Protocol", proto, "Port", sw_elb_in(c, "Port"),
			"VpcId", sw_elb_in_str(c, "VpcId") ? sw_elb_in_str(c, "VpcId") : SW_ENGINE_VPC_ID,
			"HealthCheckProtocol", "HTTP", "HealthCheckPort", "traffic-port", "HealthCheckEnabled", 1,
			"HealthCheckIntervalSeconds", 30, "HealthCheckTimeoutSeconds", 5, "HealthyThresholdCount", 5,
			"UnhealthyThresholdCount", 2, "HealthCheckPath", "/", "Matcher", "HttpCode", "200",
			"TargetType", type, "ProtocolVersion", "HTTP1", "IpAddressType", "ipv4");
	if (apply_health_check(c, doc) < 0)
		goto cleanup;
	o = sw_elb_object_named(elb, SW_ELB_TG, "TargetGroupName", name);
	if (o) {
		/* ALB answers the existing group when the settings are the same */
		json_t *cmp = json_deep_copy(doc);
		json_object_set(cmp, "TargetGroupArn", json_object_get(sw_elb_object_doc(o), "TargetGroupArn"));
		if (!json_equal(cmp, sw_elb_object_doc(o))) {
			json_decref(cmp);
			SW_ELB_FAIL(c, "DuplicateTargetGroupName", "A target group with the same name '%s' exists, but with "
				    "different settings", name);
			goto cleanup;
		}
		json_decref(cmp);
	} else {
		sw_elb_arn_hex(&hex);
		sw_elb_arn_new(elb, &arn, "targetgroup/%s/%s", name, hex.ptr);
		json_object_set_new(doc, "TargetGroupArn", json_string(arn.ptr));
		o = sw_elb_object_add(elb, SW_ELB_TG, arn.ptr, json_pack("{s:O, s:o, s:o}", "doc", doc, "tags",
							   sw_elb_tags_copy(sw_elb_in(c, "Tags")), "attributes",
									 default_attributes()), now);
		if (sw_elb_object_save(elb, o) < 0) {
			sw_elb_call_db_error(c);
			goto cleanup;
		}
		sw_elb_object_changed(elb);
	}
	json_object_set_new(c->out, "TargetGroups", json_pack("[o]", tg_out(elb, o)));
	ret = 0;

cleanup:
	json_decref(doc);
	sw_buf_release(&hex);
	sw_buf_release(&arn);
	return ret;
}

int sw_elb_op_describe_target_groups(struct sw_engine_call *c)
{
	struct sw_elb *elb = c->ctx;
	const char *lb = sw_elb_in_str(c, "LoadBalancerArn");
	json_t *arns = sw_elb_in(c, "TargetGroupArns"), *names = sw_elb_in(c, "Names");
	json_t *all = json_array(), *slice = NULL, *v;
	size_t i;
	int ret = 0;

	if (lb && !sw_elb_object_find(elb, SW_ELB_LB, lb)) {
		ret = SW_ELB_FAIL(c, "LoadBalancerNotFound", "One or more load balancers not found");
		goto cleanup;
	}
	if (json_array_size(arns) || json_array_size(names)) {
		json_array_foreach(arns, i, v) {
			struct sw_elb_object *o = sw_elb_object_find(elb, SW_ELB_TG, json_string_value(v));
			if (!o) {
				ret = SW_ELB_FAIL(c, "TargetGroupNotFound", "One or more target groups not found");
				goto cleanup;
			}
			json_array_append_new(all, tg_out(elb, o));
		}
		json_array_foreach(names, i, v) {
			struct sw_elb_object *o = sw_elb_object_named(elb, SW_ELB_TG, "TargetGroupName", json_string_value(v));
			if (!o) {
				ret = SW_ELB_FAIL(c, "TargetGroupNotFound", "One or more target groups not found");
				goto cleanup;
			}
			json_array_append_new(all, tg_out(elb, o));
		}
	} else {
		for (i = 0; i < elb->nobjs; i++) {
			json_t *doc, *lbs;
			size_t j;
			int match = !lb;
			if (elb->objs[i].kind != SW_ELB_TG)
				continue;
			doc = tg_out(elb, &elb->objs[i]);
			lbs = json_object_get(doc, "LoadBalancerArns");
			for (j = 0; lb && j < json_array_size(lbs); j++)
				if (!strcmp(json_string_value(json_array_get(lbs, j)), lb))
					match = 1;
			if (match)
				json_array_append(all, doc);
			json_decref(doc);
		}
	}
	if ((ret = sw_elb_call_page(c, all, &slice)) == 0)
		json_object_set_new(c->out, "TargetGroups", slice);
cleanup:
	json_decref(all);
	return ret;
}

int sw_elb_op_modify_target_group(struct sw_engine_call *c)
{
	struct sw_elb *elb = c->ctx;
	struct sw_elb_object *o;
	json_t *doc;

	if (sw_elb_call_need(c, "TargetGroupArn") < 0)
		return -1;
	o = sw_elb_object_find(elb, SW_ELB_TG, sw_elb_in_str(c, "TargetGroupArn"));
	if (!o)
		return SW_ELB_FAIL(c, "TargetGroupNotFound", "One or more target groups not found");
	doc = json_deep_copy(sw_elb_object_doc(o));
	if (apply_health_check(c, doc) < 0) {
		json_decref(doc);
		return -1;
	}
	json_object_set_new(o->st, "doc", doc);
	if (sw_elb_object_save(elb, o) < 0)
		return sw_elb_call_db_error(c);
	sw_elb_object_changed(elb);
	json_object_set_new(c->out, "TargetGroups", json_pack("[o]", tg_out(elb, o)));
	return 0;
}

int sw_elb_op_delete_target_group(struct sw_engine_call *c)
{
	struct sw_elb *elb = c->ctx;
	struct sw_elb_object *o;
	size_t i;

	if (sw_elb_call_need(c, "TargetGroupArn") < 0)
		return -1;
	o = sw_elb_object_find(elb, SW_ELB_TG, sw_elb_in_str(c, "TargetGroupArn"));
	if (!o)
		return 0;
	if (sw_elb_object_tg_in_use(elb, o->arn))
		return SW_ELB_FAIL(c, "ResourceInUse", "Target group '%s' is currently in use by a listener or a rule", o->arn);
	for (i = elb->ntargets; i-- > 0;)
		if (!strcmp(elb->targets[i].tg_arn, o->arn))
			sw_elb_target_remove(elb, &elb->targets[i]);
	sw_elb_object_remove(elb, o);
	sw_elb_object_changed(elb);
	return 0;
}

static json_t *attributes_out(const struct sw_elb_object *tg)
{
	json_t *arr = json_array(), *v;
	const char *k;
	json_object_foreach(json_object_get(tg->st, "attributes"), k, v)
		json_array_append_new(arr, json_pack("{s:s, s:O}", "Key", k, "Value", v));
	return arr;
}

int sw_elb_op_describe_target_group_attributes(struct sw_engine_call *c)
{
	struct sw_elb_object *o;
	if (sw_elb_call_need(c, "TargetGroupArn") < 0)
		return -1;
	o = sw_elb_object_find(c->ctx, SW_ELB_TG, sw_elb_in_str(c, "TargetGroupArn"));
	if (!o)
		return SW_ELB_FAIL(c, "TargetGroupNotFound", "One or more target groups not found");
	json_object_set_new(c->out, "Attributes", attributes_out(o));
	return 0;
}

int sw_elb_op_modify_target_group_attributes(struct sw_engine_call *c)
{
	struct sw_elb_object *o;
	json_t *attrs, *a, *changed;
	size_t i;

	if (sw_elb_call_need(c, "TargetGroupArn") < 0 || sw_elb_call_need(c, "Attributes") < 0)
		return -1;
	o = sw_elb_object_find(c->ctx, SW_ELB_TG, sw_elb_in_str(c, "TargetGroupArn"));
	if (!o)
		return SW_ELB_FAIL(c, "TargetGroupNotFound", "One or more target groups not found");
	attrs = json_object_get(o->st, "attributes");
	changed = json_deep_copy(attrs);
	json_array_foreach(sw_elb_in(c, "Attributes"), i, a) {
		const char *k = sw_json_str(a, "Key");
		const char *v = sw_json_str(a, "Value");
		if (!k || !v || !json_object_get(attrs, k)) {
			json_decref(changed);
			return SW_ELB_FAIL(c, "ValidationError", "Target group attribute key '%s' is not recognized",
					   k ? k : "");
		}
		if (!strcmp(k, "deregistration_delay.timeout_seconds")) {
			char *end = NULL;
			long n = strtol(v, &end, 10);
			if (!*v || *end || n < 0 || n > 3600) {
				json_decref(changed);
				return SW_ELB_FAIL(c, "ValidationError", "'%s' must be an integer between 0 and 3600", k);
			}
		}
		json_object_set_new(changed, k, json_string(v));
	}
	json_object_set_new(o->st, "attributes", changed);
	if (sw_elb_object_save(c->ctx, o) < 0)
		return sw_elb_call_db_error(c);
	json_object_set_new(c->out, "Attributes", attributes_out(o));
	return 0;
}
