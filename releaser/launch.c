#include <stdlib.h>
#include <string.h>

#include "releaser/launch.h"
#include "releaser/route.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "common/xalloc.h"
#include "common/banned.h"

void sw_launch_release(struct sw_launch *l)
{
	free(l->why);
	free(l->launch_type);
	json_decref(l->strategy);
	json_decref(l->network);
	memset(l, 0, sizeof(*l));
}

static int fargate_provider(const char *name)
{
	return name && (!strcmp(name, "FARGATE") || !strcmp(name, "FARGATE_SPOT"));
}

/* Does the strategy name a Fargate provider? Does it name another? */
static void strategy_kinds(const json_t *strategy, int *fargate, int *other)
{
	size_t i;
	json_t *item;
	*fargate = *other = 0;
	json_array_foreach(strategy, i, item) {
		if (fargate_provider(sw_json_str(item, "capacityProvider")))
			*fargate = 1;
		else
			*other = 1;
	}
}

/* The strategy as a request gives it: capacityProvider, weight and base (when not 0). */
static json_t *strategy_request(const json_t *strategy)
{
	json_t *out = json_array(), *item;
	size_t i;
	json_array_foreach(strategy, i, item) {
		json_t *o = json_pack("{s:s, s:I}", "capacityProvider", sw_json_str_or(item, "capacityProvider", ""),
				      "weight", (json_int_t)sw_json_int(item, "weight", 0));
		if (sw_json_int(item, "base", 0) > 0)
			json_object_set_new(o, "base", json_integer(sw_json_int(item, "base", 0)));
		json_array_append_new(out, o);
	}
	return out;
}

static int has_provider(const json_t *cluster, const char *name)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(cluster, "capacityProviders"), i, p)
		if (json_is_string(p) && !strcmp(json_string_value(p), name))
			return 1;
	return 0;
}

void sw_launch_choose(enum sw_launch_mode mode, const json_t *cluster, struct sw_launch *out)
{
	const json_t *dflt = json_object_get(cluster, "defaultCapacityProviderStrategy");
	struct sw_buf why = SW_BUF_INIT;
	int fargate_items = 0, other_items = 0;
	size_t i;
	json_t *item;

	sw_launch_release(out);
	strategy_kinds(dflt, &fargate_items, &other_items);
	if (mode == SW_LAUNCH_AUTO) {
		out->fargate = fargate_items;
		if (json_array_size(dflt)) {
			sw_buf_adds(&why, "the cluster's default capacity provider strategy (");
			json_array_foreach(dflt, i, item)
				sw_buf_addf(&why, "%s%s", i ? ", " : "", sw_json_str_or(item, "capacityProvider", "?"));
			sw_buf_adds(&why, ")");
		} else {
			sw_buf_adds(&why, cluster ? "the cluster has no default capacity provider strategy"
					  : "the cluster was not described");
		}
	} else {
		out->fargate = mode == SW_LAUNCH_FARGATE;
		sw_buf_adds(&why, "SLIPWAY_LAUNCH");
	}
	out->why = sw_buf_detach(&why, NULL);
	if (out->fargate) {
		if (fargate_items && !other_items)
			out->strategy = strategy_request(dflt);
		else if (has_provider(cluster, "FARGATE"))
			out->strategy = json_pack("[{s:s, s:i}]", "capacityProvider", "FARGATE", "weight", 1);
		else
			out->launch_type = xstrdup("FARGATE");
	} else {
		if (json_array_size(dflt) && !fargate_items)
			out->strategy = strategy_request(dflt);
		else
			out->launch_type = xstrdup("EC2");
	}
}

/* "a,b" → ["a", "b"] */
static json_t *split_list(const char *s)
{
	json_t *out = json_array();
	while (s && *s) {
		size_t n = strcspn(s, ",");
		if (n)
			json_array_append_new(out, json_stringn(s, n));
		s += n + (s[n] == ',');
	}
	return out;
}

int sw_launch_network(struct sw_launch *l, const char *subnets, const char *security_groups,
		      const char *assign_public_ip)
{
	json_t *vpc;

	json_decref(l->network);
	l->network = NULL;
	if (!l->fargate)
		return 0;
	if (!subnets || !*subnets)
		return sw_error_code(SW_EINVAL, "fargate tasks need subnets: set SLIPWAY_SUBNETS (and "
				     "SLIPWAY_SECURITY_GROUPS), or SLIPWAY_STACK");
	vpc = json_pack("{s:o, s:s}", "subnets", split_list(subnets), "assignPublicIp",
			assign_public_ip ? assign_public_ip : "DISABLED");
	if (security_groups && *security_groups)
		json_object_set_new(vpc, "securityGroups", split_list(security_groups));
	l->network = json_pack("{s:o}", "awsvpcConfiguration", vpc);
	return 0;
}

int sw_launch_resolve(const struct sw_runenv *e, struct sw_launch *out)
{
	const struct sw_settings *s = e->settings;
	struct sw_route_place place = SW_ROUTE_PLACE_INIT;
	json_t *req = json_pack("{s:[s]}", "clusters", s->cluster), *resp = NULL;
	const json_t *cluster;
	const char *subnets = s->subnets, *groups = s->security_groups;
	int ret;

	sw_launch_release(out);
	if ((ret = sw_runenv_call(e, "ecs", "DescribeClusters", req, &resp, NULL, NULL)) < 0)
		goto cleanup;
	cluster = json_array_get(json_object_get(resp, "clusters"), 0);
	if (!cluster || !sw_json_str(cluster, "status") || strcmp(sw_json_str(cluster, "status"), "ACTIVE")) {
		ret = sw_error_code(SW_ERROR, "ECS cluster %s (%s) %s", s->cluster, sw_settings_from(s, "cluster"),
				    cluster ? "is not ACTIVE" : "not found");
		goto cleanup;
	}
	sw_launch_choose(s->launch, cluster, out);
	if (!out->fargate)
		goto cleanup;
	if (!s->execution_role_arn) {
		ret = sw_error_code(SW_EINVAL, "fargate tasks need an execution role (ECR pulls, awslogs): set "
				    "SLIPWAY_EXECUTION_ROLE_ARN or SLIPWAY_STACK");
		goto cleanup;
	}
	if (!subnets && s->load_balancer && !sw_route_on_aws(e)) {
		/* on the engine: its load balancer's subnet and security group */
		if ((ret = sw_route_place(e, &place)) < 0)
			goto cleanup;
		if (place.engine) {
			subnets = place.subnets;
			groups = groups ? groups : place.security_groups;
		}
	}
	ret = sw_launch_network(out, subnets, groups, s->assign_public_ip);
cleanup:
	if (ret < 0)
		sw_launch_release(out);
	sw_route_place_release(&place);
	json_decref(req);
	json_decref(resp);
	return ret;
}

void sw_launch_apply(const struct sw_launch *l, json_t *req, enum sw_launch_request what)
{
	if (l->strategy)
		json_object_set_new(req, "capacityProviderStrategy", json_deep_copy(l->strategy));
	else if (what != SW_LAUNCH_UPDATE_SERVICE && l->launch_type)
		json_object_set_new(req, "launchType", json_string(l->launch_type));
	if (l->network)
		json_object_set_new(req, "networkConfiguration", json_deep_copy(l->network));
}

json_t *sw_launch_to_json(const struct sw_launch *l)
{
	json_t *o = json_pack("{s:s, s:s}", "mode", l->fargate ? "fargate" : "ec2", "why", l->why ? l->why : "");
	if (l->strategy)
		json_object_set_new(o, "strategy", json_deep_copy(l->strategy));
	if (l->launch_type)
		json_object_set_new(o, "launch_type", json_string(l->launch_type));
	if (l->network)
		json_object_set_new(o, "network", json_deep_copy(l->network));
	return o;
}

int sw_launch_from_json(struct sw_launch *out, const json_t *j)
{
	const char *mode = sw_json_str(j, "mode");

	sw_launch_release(out);
	if (!j) {
		out->launch_type = xstrdup("EC2");
		out->why = xstrdup("made before launches were recorded");
		return 0;
	}
	if (!mode || (strcmp(mode, "ec2") && strcmp(mode, "fargate")) ||
	    (json_object_get(j, "strategy") && !json_is_array(json_object_get(j, "strategy"))) ||
	    (json_object_get(j, "network") && !json_is_object(json_object_get(j, "network"))))
		return sw_error_code(SW_EINVAL, "stored launch is malformed");
	out->fargate = !strcmp(mode, "fargate");
	out->why = xstrdup(sw_json_str_or(j, "why", ""));
	if (json_object_get(j, "strategy"))
		out->strategy = json_deep_copy(json_object_get(j, "strategy"));
	if (sw_json_str(j, "launch_type"))
		out->launch_type = xstrdup(sw_json_str(j, "launch_type"));
	if (json_object_get(j, "network"))
		out->network = json_deep_copy(json_object_get(j, "network"));
	if (!out->strategy && !out->launch_type)
		out->launch_type = xstrdup(out->fargate ? "FARGATE" : "EC2");
	return 0;
}
