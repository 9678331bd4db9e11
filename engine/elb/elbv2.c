#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/elb/elbv2.h"
#include "engine/api/awsquery.h"
#include "common/error.h"
#include "common/banned.h"

#define PAGE_DEFAULT 400

/* AWS's message for a missing required member ("targetGroupArn"). */
int sw_elb_call_need(struct sw_engine_call *c, const char *name)
{
	char lower[64];
	if (json_object_get(c->in, name))
		return 0;
	snprintf(lower, sizeof(lower), "%s", name);
	if (lower[0] >= 'A' && lower[0] <= 'Z')
		lower[0] = (char)(lower[0] + 32);
	return SW_ELB_FAIL(c, "ValidationError", "1 validation error detected: Value null at '%s' failed to satisfy "
			   "constraint: Member must not be null", lower);
}

int sw_elb_call_db_error(struct sw_engine_call *c)
{
	return sw_engine_api_call_fail(c, 500, "InternalFailure", "%s", sw_error_last());
}

/* Marker/PageSize over a list: the slice to answer and NextMarker. */
int sw_elb_call_page(struct sw_engine_call *c, json_t *all, json_t **slice)
{
	const char *marker = sw_elb_in_str(c, "Marker");
	long long size = json_integer_value(sw_elb_in(c, "PageSize"));
	long long off = 0;
	size_t i, n = json_array_size(all);
	char *end = NULL;

	if (sw_elb_in(c, "PageSize") && (size < 1 || size > 400))
		return SW_ELB_FAIL(c, "ValidationError", "Page size must be between 1 and 400");
	if (!size)
		size = PAGE_DEFAULT;
	if (marker) {
		off = strtoll(marker, &end, 10);
		if (!*marker || *end || off < 0)
			return SW_ELB_FAIL(c, "ValidationError", "Invalid marker '%s'", marker);
	}
	*slice = json_array();
	for (i = (size_t)off; i < n && i < (size_t)(off + size); i++)
		json_array_append(*slice, json_array_get(all, i));
	if ((size_t)(off + size) < n) {
		char tmp[32];
		snprintf(tmp, sizeof(tmp), "%lld", off + size);
		json_object_set_new(c->out, "NextMarker", json_string(tmp));
	}
	return 0;
}

int sw_elb_call_name_check(struct sw_engine_call *c, const char *what, const char *name)
{
	size_t i, n = strlen(name);
	if (n < 1 || n > 32)
		return SW_ELB_FAIL(c, "ValidationError", "%s name '%s' must have between 1 and 32 characters", what, name);
	for (i = 0; i < n; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-'))
			return SW_ELB_FAIL(c, "ValidationError", "%s name '%s' can only contain characters that are "
					   "alphanumeric characters or hyphens(-)", what, name);
	}
	if (name[0] == '-' || name[n - 1] == '-')
		return SW_ELB_FAIL(c, "ValidationError", "%s name '%s' cannot begin or end with '-'", what, name);
	return 0;
}

void sw_elb_arn_new(struct sw_elb *elb, struct sw_buf *out, const char *fmt, ...)
{
	va_list ap;
	struct sw_buf res = SW_BUF_INIT;
	va_start(ap, fmt);
	sw_buf_vaddf(&res, fmt, ap);
	va_end(ap);
	sw_buf_reset(out);
	sw_engine_arn(elb->e, out, "elasticloadbalancing", "%s", res.ptr);
	sw_buf_release(&res);
}

void sw_elb_arn_hex(struct sw_buf *out)
{
	sw_buf_reset(out);
	sw_engine_random_hex(out, 8);
}

json_t *sw_elb_tags_copy(json_t *tags)
{
	return tags && json_is_array(tags) ? json_deep_copy(tags) : json_array();
}

/* ---- tags ---------------------------------------------------------------------- */

static int not_found_for(struct sw_engine_call *c, const char *arn)
{
	if (arn && strstr(arn, ":targetgroup/"))
		return SW_ELB_FAIL(c, "TargetGroupNotFound", "One or more target groups not found");
	if (arn && strstr(arn, ":listener-rule/"))
		return SW_ELB_FAIL(c, "RuleNotFound", "One or more rules not found");
	if (arn && strstr(arn, ":listener/"))
		return SW_ELB_FAIL(c, "ListenerNotFound", "One or more listeners not found");
	return SW_ELB_FAIL(c, "LoadBalancerNotFound", "One or more load balancers not found");
}

/* AddTags / RemoveTags: ResourceArns (and what) given, each naming something; else the call fails. */
static int tag_call(struct sw_engine_call *c, const char *what)
{
	json_t *v;
	size_t i;

	if (sw_elb_call_need(c, "ResourceArns") < 0 || sw_elb_call_need(c, what) < 0)
		return -1;
	json_array_foreach(sw_elb_in(c, "ResourceArns"), i, v)
		if (!sw_elb_object_any(c->ctx, json_string_value(v)))
			return not_found_for(c, json_string_value(v));
	return 0;
}

/* Take the tag whose Key is key (a JSON string) out of tags, if there is one. */
static void tag_remove(json_t *tags, const json_t *key)
{
	size_t k;
	for (k = 0; k < json_array_size(tags); k++)
		if (json_equal(json_object_get(json_array_get(tags, k), "Key"), key)) {
			json_array_remove(tags, k);
			return;
		}
}

/* AddTags (add: each of Tags added or replaced) or RemoveTags (each of TagKeys) on every ResourceArns. */
static int change_tags(struct sw_engine_call *c, int add)
{
	const char *what = add ? "Tags" : "TagKeys";
	json_t *v, *t;
	size_t i, j;

	if (tag_call(c, what) < 0)
		return -1;
	json_array_foreach(sw_elb_in(c, "ResourceArns"), i, v) {
		struct sw_elb_object *o = sw_elb_object_any(c->ctx, json_string_value(v));
		json_t *tags = json_object_get(o->st, "tags");
		json_array_foreach(sw_elb_in(c, what), j, t) {
			json_t *key = add ? json_object_get(t, "Key") : t;
			if (add && !json_is_string(key))
				return SW_ELB_FAIL(c, "ValidationError", "A tag key must be specified");
			tag_remove(tags, key);
			if (add)
				json_array_append(tags, t);
		}
		if (sw_elb_object_save(c->ctx, o) < 0)
			return sw_elb_call_db_error(c);
	}
	return 0;
}

static int op_add_tags(struct sw_engine_call *c)
{
	return change_tags(c, 1);
}

static int op_remove_tags(struct sw_engine_call *c)
{
	return change_tags(c, 0);
}

static int op_describe_tags(struct sw_engine_call *c)
{
	json_t *list = json_array(), *v;
	size_t i;

	if (sw_elb_call_need(c, "ResourceArns") < 0) {
		json_decref(list);
		return -1;
	}
	json_array_foreach(sw_elb_in(c, "ResourceArns"), i, v) {
		struct sw_elb_object *o = sw_elb_object_any(c->ctx, json_string_value(v));
		if (!o) {
			json_decref(list);
			return not_found_for(c, json_string_value(v));
		}
		json_array_append_new(list, json_pack("{s:s, s:O}", "ResourceArn", o->arn, "Tags",
						      json_object_get(o->st, "tags")));
	}
	json_object_set_new(c->out, "TagDescriptions", list);
	return 0;
}

/* ---- the API --------------------------------------------------------------------- */

static const struct sw_engine_api_op ops[] = {
	{ "CreateLoadBalancer", sw_elb_op_create_load_balancer, 0 },
	{ "DescribeLoadBalancers", sw_elb_op_describe_load_balancers, 0 },
	{ "DeleteLoadBalancer", sw_elb_op_delete_load_balancer, 0 },
	{ "CreateTargetGroup", sw_elb_op_create_target_group, 0 },
	{ "DescribeTargetGroups", sw_elb_op_describe_target_groups, 0 },
	{ "ModifyTargetGroup", sw_elb_op_modify_target_group, 0 },
	{ "DeleteTargetGroup", sw_elb_op_delete_target_group, 0 },
	{ "DescribeTargetGroupAttributes", sw_elb_op_describe_target_group_attributes, 0 },
	{ "ModifyTargetGroupAttributes", sw_elb_op_modify_target_group_attributes, 0 },
	{ "CreateListener", sw_elb_op_create_listener, 0 },
	{ "DescribeListeners", sw_elb_op_describe_listeners, 0 },
	{ "DeleteListener", sw_elb_op_delete_listener, 0 },
	{ "AddListenerCertificates", sw_elb_op_add_listener_certificates, 0 },
	{ "RemoveListenerCertificates", sw_elb_op_remove_listener_certificates, 0 },
	{ "DescribeListenerCertificates", sw_elb_op_describe_listener_certificates, 0 },
	{ "CreateRule", sw_elb_op_create_rule, 0 },
	{ "DescribeRules", sw_elb_op_describe_rules, 0 },
	{ "ModifyRule", sw_elb_op_modify_rule, 0 },
	{ "DeleteRule", sw_elb_op_delete_rule, 0 },
	{ "RegisterTargets", sw_elb_op_register_targets, 0 },
	{ "DeregisterTargets", sw_elb_op_deregister_targets, 0 },
	{ "DescribeTargetHealth", sw_elb_op_describe_target_health, 0 },
	{ "AddTags", op_add_tags, 0 },
	{ "RemoveTags", op_remove_tags, 0 },
	{ "DescribeTags", op_describe_tags, 0 },
	{ NULL, NULL, 0 },
};

static void elbv2_handle(const struct sw_engine_api *api, struct sw_engine *e, const struct sw_engine_request *req,
			 struct sw_engine_response *res)
{
	if (!api->ctx) {
		sw_engine_api_query_error(api, req, res, 503, "ServiceUnavailable", "ELBv2 is not running in this engine");
		return;
	}
	sw_engine_api_query_serve(api, e, req, res);
}

struct sw_engine_api sw_elb_api = {
	"elbv2", &sw_aws_elbv2_model, SW_SIGV4_QUERY, ops, "ValidationError", NULL, elbv2_handle,
	sw_engine_api_query_error,
};
