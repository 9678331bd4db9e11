#include <string.h>

#include "engine/ecs/ecs.h"
#include "engine/run/placement.h"
#include "common/banned.h"

static json_t *resource(const char *name, long long value)
{
	return json_pack("{s:s, s:s, s:f, s:I, s:I}", "name", name, "type", "INTEGER", "doubleValue", 0.0,
			 "longValue", (json_int_t)0, "integerValue", (json_int_t)value);
}

static json_t *resources(long long cpu, long long memory)
{
	json_t *a = json_array();
	json_array_append_new(a, resource("CPU", cpu));
	json_array_append_new(a, resource("MEMORY", memory));
	json_array_append_new(a, json_pack("{s:s, s:s, s:f, s:I, s:I, s:[sssss]}", "name", "PORTS", "type",
					   "STRINGSET", "doubleValue", 0.0, "longValue", (json_int_t)0,
					   "integerValue", (json_int_t)0, "stringSetValue", "22", "2375", "2376",
					   "51678", "51679"));
	json_array_append_new(a, json_pack("{s:s, s:s, s:f, s:I, s:I, s:[]}", "name", "PORTS_UDP", "type",
					   "STRINGSET", "doubleValue", 0.0, "longValue", (json_int_t)0,
					   "integerValue", (json_int_t)0, "stringSetValue"));
	return a;
}

static void instance_arn(struct sw_engine *e, struct sw_engine_cluster *c, struct sw_buf *out)
{
	sw_engine_arn(e, out, "ecs", "container-instance/%s/%s", c->name, e->instance_id);
}

static json_t *instance_json(struct sw_engine *e, struct sw_engine_cluster *c)
{
	struct sw_run_capacity reg = { e->cfg.cpu_units, e->cfg.memory_mb }, rem;
	struct sw_run_capacity used;
	struct sw_buf arn = SW_BUF_INIT, ec2 = SW_BUF_INIT, docker = SW_BUF_INIT;
	int running = 0, pending = 0;
	json_t *o;

	sw_run_placement_used(&e->st, &used, &running, &pending);
	sw_run_placement_remaining(&e->st, &reg, &rem);
	instance_arn(e, c, &arn);
	sw_buf_addf(&ec2, "i-%.17s", e->instance_id);
	sw_buf_addf(&docker, "DockerVersion: %s", e->docker_version[0] ? e->docker_version : "unknown");
	o = json_pack("{s:s, s:s, s:I, s:{s:s, s:s, s:s}, s:o, s:o, s:s, s:b, s:i, s:i, s:o, s:[]}",
		      "containerInstanceArn", arn.ptr, "ec2InstanceId", ec2.ptr, "version", (json_int_t)1,
		      "versionInfo", "agentVersion", "slipway-engine", "agentHash", "slipway",
		      "dockerVersion", docker.ptr,
		      "remainingResources", resources(rem.cpu, rem.memory),
		      "registeredResources", resources(reg.cpu, reg.memory),
		      "status", "ACTIVE", "agentConnected", !e->docker_down, "runningTasksCount", running,
		      "pendingTasksCount", pending, "registeredAt", sw_engine_api_json_time(e->started_at),
		      "attachments");
	json_object_set_new(o, "attributes",
			    json_pack("[{s:s}, {s:s}, {s:s}, {s:s}, {s:s, s:s}]",
				      "name", "ecs.capability.docker-remote-api.1.41",
				      "name", "com.amazonaws.ecs.capability.docker-remote-api.1.41",
				      "name", "ecs.capability.container-health-check",
				      "name", "com.amazonaws.ecs.capability.task-iam-role",
				      "name", "ecs.os-type", "value", "linux"));
	sw_buf_release(&arn);
	sw_buf_release(&ec2);
	sw_buf_release(&docker);
	return o;
}

int sw_ecs_op_list_container_instances(struct sw_engine_call *call)
{
	struct sw_engine_cluster *c = sw_ecs_cluster_find(call, "cluster");
	const char *status = sw_engine_api_call_str(call, "status");
	long long offset = sw_engine_api_token_parse(sw_engine_api_call_str(call, "nextToken"));
	struct sw_buf arn = SW_BUF_INIT;
	json_t *arns;

	if (!c)
		return -1;
	if (offset < 0)
		return SW_FAIL_PARAM(call, "Invalid nextToken.");
	arns = json_array();
	if (offset == 0 && (!status || !strcmp(status, "ACTIVE"))) {
		instance_arn(call->e, c, &arn);
		json_array_append_new(arns, json_string(arn.ptr));
	}
	json_object_set_new(call->out, "containerInstanceArns", arns);
	sw_buf_release(&arn);
	return 0;
}

/* DescribeContainerInstances' item: this machine's instance when given names it, else NULL with the ARN. */
static json_t *describe_instance(struct sw_engine_call *call, struct sw_engine_cluster *c, const char *given,
				 struct sw_buf *arn)
{
	struct sw_buf name = SW_BUF_INIT, cl = SW_BUF_INIT;
	const char *id = sw_engine_arn_name(given, "container-instance", &name, &cl);
	json_t *out = NULL;

	if (id && !strcmp(id, call->e->instance_id))
		out = instance_json(call->e, c);
	else
		sw_ecs_arn_of(call->e, arn, given, "container-instance/%s/%s", c->name, given);
	sw_buf_release(&name);
	sw_buf_release(&cl);
	return out;
}

int sw_ecs_op_describe_container_instances(struct sw_engine_call *call)
{
	struct sw_engine_cluster *c = sw_ecs_cluster_find(call, "cluster");
	json_t *ids = sw_engine_api_call_get(call, "containerInstances");

	if (!c)
		return -1;
	if (json_array_size(ids) > 100)
		return SW_FAIL_PARAM(call, "containerInstances can have at most 100 items.");
	sw_ecs_describe_each(call, c, ids, "containerInstances", describe_instance);
	return 0;
}
