#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ecs/launch.h"
#include "common/aws/fargate.h"
#include "common/xalloc.h"
#include "common/json.h"
#include "common/banned.h"

int sw_ecs_launch_fargate_size(long long cpu, long long memory_mb)
{
	return sw_aws_fargate_valid(cpu, memory_mb);
}

int sw_ecs_launch_provider_known(const char *name)
{
	return name && (!strcmp(name, "FARGATE") || !strcmp(name, "FARGATE_SPOT"));
}

static int in_list(json_t *list, const char *s)
{
	size_t i;
	for (i = 0; i < json_array_size(list); i++)
		if (json_string_value(json_array_get(list, i)) && !strcmp(json_string_value(json_array_get(list, i)), s))
			return 1;
	return 0;
}

int sw_ecs_launch_check_strategy(struct sw_engine_call *call, json_t *providers, json_t *strategy)
{
	size_t i, j, bases = 0, weighted = 0;

	for (i = 0; i < json_array_size(strategy); i++) {
		json_t *item = json_array_get(strategy, i);
		const char *name = sw_json_str(item, "capacityProvider");
		if (!name || !in_list(providers, name))
			return SW_FAIL_PARAM(call, "The specified capacity provider strategy cannot contain a capacity "
					     "provider that is not associated with the cluster. Associate the capacity "
					     "provider with the cluster or specify a valid capacity provider and try again.");
		for (j = 0; j < i; j++)
			if (!strcmp(name, sw_json_str(json_array_get(strategy, j), "capacityProvider")))
				return SW_FAIL_PARAM(call, "The specified capacity provider strategy cannot contain duplicate "
						     "capacity providers.");
		bases += sw_json_int(item, "base", 0) > 0;
		weighted += sw_json_int(item, "weight", 0) > 0;
	}
	if (bases > 1)
		return SW_FAIL_PARAM(call, "The specified capacity provider strategy cannot contain more than one capacity "
				     "provider with a base defined.");
	if (json_array_size(strategy) > 1 && !weighted)
		return SW_FAIL_PARAM(call, "The specified capacity provider strategy must contain at least one capacity "
				     "provider with a weight greater than zero.");
	return 0;
}

json_t *sw_ecs_launch_strategy_json(json_t *strategy)
{
	json_t *out = json_array();
	size_t i;

	for (i = 0; i < json_array_size(strategy); i++) {
		json_t *item = json_array_get(strategy, i);
		json_array_append_new(out, json_pack("{s:O, s:I, s:I}", "capacityProvider",
						     json_object_get(item, "capacityProvider"), "weight",
						     (json_int_t)sw_json_int(item, "weight", 0), "base",
						     (json_int_t)sw_json_int(item, "base", 0)));
	}
	return out;
}

const char *sw_ecs_launch_pick(json_t *strategy, const long long *placed)
{
	size_t i, best = 0, n = json_array_size(strategy);
	double best_share = 0;
	int found = 0;

	if (!n)
		return NULL;
	/* a base is filled first */
	for (i = 0; i < n; i++)
		if (placed[i] < sw_json_int(json_array_get(strategy, i), "base", 0))
			return sw_json_str(json_array_get(strategy, i), "capacityProvider");
	/* then the provider whose share of the tasks beyond the bases, with one more, is lowest */
	for (i = 0; i < n; i++) {
		json_t *item = json_array_get(strategy, i);
		long long weight = sw_json_int(item, "weight", 0);
		long long beyond = placed[i] - sw_json_int(item, "base", 0);
		double share;
		if (weight <= 0)
			continue;
		share = (double)(beyond + 1) / (double)weight;
		if (!found || share < best_share) {
			best = i;
			best_share = share;
			found = 1;
		}
	}
	return sw_json_str(json_array_get(strategy, best), "capacityProvider");
}

void sw_ecs_launch_count(json_t *strategy, const char *provider, long long *placed)
{
	size_t i;
	for (i = 0; provider && i < json_array_size(strategy); i++)
		if (!strcmp(sw_json_str(json_array_get(strategy, i), "capacityProvider"), provider))
			placed[i]++;
}

void sw_ecs_launch_release(struct sw_ecs_launch *l)
{
	free(l->launch_type);
	json_decref(l->strategy);
	free(l->platform_version);
	free(l->platform_resolved);
	memset(l, 0, sizeof(*l));
}

/* The platform version asked for Fargate (NULL: LATEST) into out; -1 with the call failed when unknown. */
static int resolve_platform(struct sw_engine_call *call, json_t *taskdef, const char *asked, struct sw_ecs_launch *out)
{
	const char *resolved;
	const char *cpu_units = sw_json_str(taskdef, "cpu");
	/* registered definitions hold task-level cpu as a number of units (ecs_taskdef.c) */
	long long cpu = cpu_units ? strtoll(cpu_units, NULL, 10) : 0;

	if (!asked || !strcmp(asked, "LATEST"))
		resolved = SW_ECS_FARGATE_LATEST;
	else if (!strcmp(asked, "1.4.0") || !strcmp(asked, "1.3.0"))
		resolved = asked;
	else
		return sw_engine_api_call_fail(call, 400, "PlatformUnknownException",
					       "The specified platform version does not exist.");
	/* the 8 and 16 vCPU sizes came with 1.4.0 */
	if (!strcmp(resolved, "1.3.0") && cpu >= 8192)
		return sw_engine_api_call_fail(call, 400, "PlatformTaskDefinitionIncompatibilityException",
					       "The specified platform version does not satisfy the required capabilities "
					       "of the task definition.");
	out->platform_version = xstrdup(asked ? asked : "LATEST");
	out->platform_resolved = xstrdup(resolved);
	return 0;
}

int sw_ecs_launch_resolve(struct sw_engine_call *call, const struct sw_engine_cluster *c, json_t *taskdef,
			  const char *launch_type, json_t *strategy, const char *platform_version,
			  struct sw_ecs_launch *out)
{
	const char *type;

	memset(out, 0, sizeof(*out));
	if (strategy && !json_array_size(strategy))
		strategy = NULL;
	if (launch_type && strategy)
		return SW_FAIL_PARAM(call, "Specifying both a launch type and capacity provider strategy is not supported. "
				     "Remove one and try again.");
	if (!launch_type && !strategy && json_array_size(c->default_strategy))
		strategy = c->default_strategy;
	if (strategy && sw_ecs_launch_check_strategy(call, c->capacity_providers, strategy) < 0)
		return -1;
	/* the engine's providers are Fargate's */
	type = strategy ? "FARGATE" : launch_type ? launch_type : "EC2";
	if (strcmp(type, "EC2") && strcmp(type, "FARGATE"))
		return SW_FAIL_PARAM(call, "launchType %s is not supported by this engine (EC2, FARGATE).", type);
	if (!strcmp(type, "FARGATE")) {
		if (!in_list(json_object_get(taskdef, "compatibilities"), "FARGATE"))
			return SW_FAIL_PARAM(call, "Task definition does not support launch_type FARGATE.");
		if (resolve_platform(call, taskdef, platform_version, out) < 0)
			return -1;
	} else if (platform_version) {
		return SW_FAIL_PARAM(call, "The platform version must be null when specifying an EC2 launch type.");
	}
	out->launch_type = xstrdup(type);
	out->strategy = strategy ? sw_ecs_launch_strategy_json(strategy) : NULL;
	return 0;
}

/* 1 when id is prefix and 1 to 32 letters and digits ("subnet-0abc", "sg-12"). */
static int id_valid(const char *id, const char *prefix)
{
	size_t n = strlen(prefix), i;
	if (!id || strncmp(id, prefix, n) || !id[n] || strlen(id + n) > 32)
		return 0;
	for (i = n; id[i]; i++)
		if (!isalnum((unsigned char)id[i]))
			return 0;
	return 1;
}

/* The awsvpcConfiguration's subnets and security groups checked. */
static int check_ids(struct sw_engine_call *call, json_t *awsvpc)
{
	json_t *subnets = json_object_get(awsvpc, "subnets"), *sgs = json_object_get(awsvpc, "securityGroups");
	size_t i;

	if (!json_array_size(subnets))
		return SW_FAIL_PARAM(call, "subnets can not be empty.");
	if (json_array_size(subnets) > 16)
		return SW_FAIL_PARAM(call, "subnets can have at most 16 items.");
	if (json_array_size(sgs) > 5)
		return SW_FAIL_PARAM(call, "securityGroups can have at most 5 items.");
	for (i = 0; i < json_array_size(subnets); i++) {
		const char *id = json_string_value(json_array_get(subnets, i));
		if (!id_valid(id, "subnet-"))
			return SW_FAIL_PARAM(call, "Error retrieving subnet information for [%s]: The subnet ID '%s' is "
					     "malformed (ErrorCode: InvalidSubnetID.Malformed)", id ? id : "", id ? id : "");
	}
	for (i = 0; i < json_array_size(sgs); i++) {
		const char *id = json_string_value(json_array_get(sgs, i));
		if (!id_valid(id, "sg-"))
			return SW_FAIL_PARAM(call, "Error retrieving security group information for [%s]: The security "
					     "group '%s' is malformed (ErrorCode: InvalidGroupId.Malformed)", id ? id : "",
					     id ? id : "");
	}
	return 0;
}

int sw_ecs_launch_network(struct sw_engine_call *call, json_t *taskdef, json_t *netconf, const char *launch_type,
			  json_t **normalized)
{
	const char *mode = sw_json_str(taskdef, "networkMode");
	json_t *awsvpc = json_object_get(netconf, "awsvpcConfiguration");
	const char *assign = sw_json_str(awsvpc, "assignPublicIp");
	json_t *copy;

	*normalized = NULL;
	if (!mode || strcmp(mode, "awsvpc")) {
		if (netconf)
			return SW_FAIL_PARAM(call, "Network Configuration is not valid for the given networkMode of this "
					     "task definition.");
		return 0;
	}
	if (!awsvpc)
		return SW_FAIL_PARAM(call, "Network Configuration must be provided when networkMode 'awsvpc' is specified.");
	if (check_ids(call, awsvpc) < 0)
		return -1;
	if (assign && !strcmp(assign, "ENABLED") && launch_type && strcmp(launch_type, "FARGATE"))
		return SW_FAIL_PARAM(call, "Assign public IP is not supported for this launch type.");
	copy = json_deep_copy(netconf);
	awsvpc = json_object_get(copy, "awsvpcConfiguration");
	if (!json_array_size(json_object_get(awsvpc, "securityGroups")))
		json_object_set_new(awsvpc, "securityGroups", json_pack("[s]", SW_ENGINE_SECURITY_GROUP_ID));
	if (!assign)
		json_object_set_new(awsvpc, "assignPublicIp", json_string("DISABLED"));
	*normalized = copy;
	return 0;
}

json_t *sw_ecs_launch_eni(json_t *netconf)
{
	const char *subnet = json_string_value(json_array_get(json_object_get(json_object_get(netconf,
									"awsvpcConfiguration"), "subnets"), 0));
	struct sw_buf id = SW_BUF_INIT, eni = SW_BUF_INIT, mac = SW_BUF_INIT, hex = SW_BUF_INIT;
	json_t *o;
	size_t i;

	sw_engine_uuid(&id);
	sw_buf_adds(&eni, "eni-");
	sw_engine_random_hex(&hex, 9);
	sw_buf_add(&eni, hex.ptr, 17);
	sw_buf_reset(&hex);
	sw_engine_random_hex(&hex, 5);
	sw_buf_adds(&mac, "02");     /* a locally administered address, as EC2 gives */
	for (i = 0; i < 5; i++)
		sw_buf_addf(&mac, ":%.2s", hex.ptr + 2 * i);
	o = json_pack("{s:s, s:s, s:s, s:s}", "id", id.ptr, "subnetId", subnet ? subnet : SW_ENGINE_SUBNET_ID,
		      "networkInterfaceId", eni.ptr, "macAddress", mac.ptr);
	sw_buf_release(&id);
	sw_buf_release(&eni);
	sw_buf_release(&mac);
	sw_buf_release(&hex);
	return o;
}

static void detail(json_t *details, const char *name, const char *value)
{
	json_array_append_new(details, json_pack("{s:s, s:s}", "name", name, "value", value));
}

json_t *sw_ecs_launch_attachments(struct sw_engine *e, const struct sw_engine_task *t)
{
	const char *ip = sw_engine_task_ip(t);
	const char *status;
	json_t *details, *list = json_array();
	struct sw_buf dns = SW_BUF_INIT;
	const char *p;

	if (!t->eni)
		return list;
	if (t->last == SW_TASK_STOPPED)
		status = "DELETED";
	else if (t->last >= SW_TASK_DEPROVISIONING)
		status = "DETACHING";
	else
		status = ip ? "ATTACHED" : "PRECREATED";
	details = json_array();
	detail(details, "subnetId", sw_json_str(t->eni, "subnetId"));
	if (ip) {
		sw_buf_adds(&dns, "ip-");
		for (p = ip; *p; p++)
			sw_buf_addch(&dns, *p == '.' ? '-' : *p);
		if (!strcmp(e->cfg.region, "us-east-1"))
			sw_buf_adds(&dns, ".ec2.internal");
		else
			sw_buf_addf(&dns, ".%s.compute.internal", e->cfg.region);
		detail(details, "networkInterfaceId", sw_json_str(t->eni, "networkInterfaceId"));
		detail(details, "macAddress", sw_json_str(t->eni, "macAddress"));
		detail(details, "privateDnsName", dns.ptr);
		detail(details, "privateIPv4Address", ip);
	}
	json_array_append_new(list, json_pack("{s:O, s:s, s:s, s:o}", "id", json_object_get(t->eni, "id"), "type",
					      "ElasticNetworkInterface", "status", status, "details", details));
	sw_buf_release(&dns);
	return list;
}
