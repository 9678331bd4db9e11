#include <stdlib.h>
#include <string.h>

#include "engine/ecs/task.h"
#include "engine/ecs/ecs.h"
#include "engine/ecs/ecs_taskdef.h"
#include "engine/ecs/launch.h"
#include "engine/ecs/tag.h"
#include "engine/engine_db.h"
#include "engine/run/placement.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_RUN_COUNT 10

int sw_ecs_task_save(struct sw_engine *e, struct sw_engine_task *t)
{
	t->version++;
	return sw_engine_db_save_task(e->db, t);
}

long long sw_ecs_task_stop_timeout(struct sw_engine *e, json_t *taskdef)
{
	json_t *cds = json_object_get(taskdef, "containerDefinitions");
	long long best = -1;
	size_t i;
	for (i = 0; i < json_array_size(cds); i++) {
		json_t *st = json_object_get(json_array_get(cds, i), "stopTimeout");
		if (json_is_integer(st) && json_integer_value(st) > best)
			best = json_integer_value(st);
	}
	return best >= 0 ? best : e->cfg.stop_timeout_s;
}

struct sw_engine_task *sw_ecs_task_create(struct sw_engine *e, const struct sw_ecs_task_spec *spec)
{
	struct sw_engine_task *t = xcalloc(1, sizeof(*t));
	json_t *doc = spec->taskdef;
	json_t *cds = json_object_get(doc, "containerDefinitions");
	struct sw_buf b = SW_BUF_INIT;
	const char *family = sw_json_str(doc, "family");
	size_t i;

	sw_engine_random_hex(&b, 16);
	t->id = sw_buf_detach(&b, NULL);
	sw_engine_arn(e, &b, "ecs", "task/%s/%s", spec->cluster, t->id);
	t->arn = sw_buf_detach(&b, NULL);
	t->cluster = xstrdup(spec->cluster);
	t->taskdef = xstrdup(sw_json_str(doc, "taskDefinitionArn"));
	t->family = xstrdup(family);
	if (spec->group) {
		t->group = xstrdup(spec->group);
	} else {
		sw_buf_addf(&b, "family:%s", family);
		t->group = sw_buf_detach(&b, NULL);
	}
	t->started_by = spec->started_by ? xstrdup(spec->started_by) : NULL;
	t->launch_type = xstrdup(spec->launch_type ? spec->launch_type : "EC2");
	t->service_id = spec->service_id;
	t->deployment = spec->deployment ? xstrdup(spec->deployment) : NULL;
	t->last = SW_TASK_PROVISIONING;
	t->desired_running = 1;
	t->health = SW_HEALTH_UNKNOWN;
	sw_ecs_taskdef_needs(doc, spec->overrides, &t->cpu, &t->memory);
	if (sw_json_str(doc, "cpu"))
		t->task_cpu = xstrdup(sw_json_str(doc, "cpu"));
	if (sw_json_str(doc, "memory"))
		t->task_memory = xstrdup(sw_json_str(doc, "memory"));
	t->overrides = spec->overrides ? json_deep_copy(spec->overrides) : NULL;
	t->network_mode = xstrdup(sw_json_str(doc, "networkMode") ?
				  sw_json_str(doc, "networkMode") : "bridge");
	if (spec->capacity_provider)
		t->capacity_provider = xstrdup(spec->capacity_provider);
	if (spec->platform_version)
		t->platform_version = xstrdup(spec->platform_version);
	if (!strcmp(t->network_mode, "awsvpc"))
		t->eni = sw_ecs_launch_eni(spec->network);
	t->created_at = sw_time_now();
	t->stop_timeout = sw_ecs_task_stop_timeout(e, doc);
	t->nr_containers = json_array_size(cds);
	t->containers = xcalloc(t->nr_containers ? t->nr_containers : 1, sizeof(*t->containers));
	for (i = 0; i < t->nr_containers; i++) {
		json_t *cd = json_array_get(cds, i);
		struct sw_engine_container *c = &t->containers[i];
		c->name = xstrdup(sw_json_str(cd, "name"));
		sw_buf_reset(&b);
		sw_engine_uuid(&b);
		{
			struct sw_buf arn = SW_BUF_INIT;
			sw_engine_arn(e, &arn, "ecs", "container/%s/%s/%s", spec->cluster, t->id, b.ptr);
			c->arn = sw_buf_detach(&arn, NULL);
		}
		c->image = xstrdup(sw_json_str(cd, "image"));
		c->last_status = xstrdup("PENDING");
		c->essential = sw_json_bool(cd, "essential", 0);
		c->has_health_check = json_object_get(cd, "healthCheck") != NULL;
		c->cpu = sw_json_int(cd, "cpu", 0);
		c->memory = sw_json_int(cd, "memory", 0);
		c->memory_reservation = sw_json_int(cd, "memoryReservation", 0);
	}
	sw_buf_release(&b);
	sw_engine_state_add_task(&e->st, t);
	sw_ecs_task_save(e, t);
	sw_engine_wake_locked(e);
	return t;
}

void sw_ecs_task_stop(struct sw_engine *e, struct sw_engine_task *t, const char *stop_code, const char *reason)
{
	if (!t->desired_running || t->last == SW_TASK_STOPPED)
		return;
	t->desired_running = 0;
	if (!t->stop_code)
		sw_engine_set_str(&t->stop_code, stop_code);
	if (!t->stopped_reason)
		sw_engine_set_str(&t->stopped_reason, reason);
	if (!t->stopping_at)
		t->stopping_at = sw_time_now();
	sw_ecs_task_save(e, t);
	sw_engine_wake_locked(e);
}

void sw_ecs_task_failed(struct sw_engine *e, struct sw_engine_task *t)
{
	struct sw_engine_service *s;
	struct sw_engine_deployment *d;

	t->failed = 1;
	if (t->counted)
		return;
	t->counted = 1;
	if (!t->service_id || !(s = sw_engine_state_service_id(&e->st, t->service_id)))
		return;
	d = sw_engine_service_deployment(s, t->deployment);
	if (d && d->rollout == SW_ENGINE_ROLLOUT_IN_PROGRESS) {
		d->failed_tasks++;
		d->updated_at = sw_time_now();
	}
	s->fail_streak++;
	s->last_fail_at = sw_time_now();
	sw_engine_db_save_service(e->db, s);
}

/* ---- JSON ------------------------------------------------------------------------ */

static void set_time(json_t *o, const char *k, double t)
{
	if (t > 0)
		json_object_set_new(o, k, sw_engine_api_json_time(t));
}

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(v));
}

static json_t *overrides_json(struct sw_engine_task *t)
{
	json_t *o = t->overrides ? json_deep_copy(t->overrides) : json_object();
	json_t *cos = json_object_get(o, "containerOverrides");
	size_t i, j;

	if (!cos) {
		cos = json_array();
		json_object_set_new(o, "containerOverrides", cos);
	}
	/* ECS lists every container, with or without an override */
	for (i = 0; i < t->nr_containers; i++) {
		int found = 0;
		for (j = 0; j < json_array_size(cos); j++) {
			const char *n = sw_json_str(json_array_get(cos, j), "name");
			if (n && !strcmp(n, t->containers[i].name))
				found = 1;
		}
		if (!found)
			json_array_append_new(cos, json_pack("{s:s}", "name", t->containers[i].name));
	}
	if (!json_object_get(o, "inferenceAcceleratorOverrides"))
		json_object_set_new(o, "inferenceAcceleratorOverrides", json_array());
	return o;
}

json_t *sw_ecs_task_json(struct sw_engine *e, struct sw_engine_task *t, int with_tags)
{
	struct sw_buf b = SW_BUF_INIT;
	json_t *o = json_object();
	json_t *cs = json_array();
	size_t i;

	set_str(o, "taskArn", t->arn);
	sw_engine_arn(e, &b, "ecs", "cluster/%s", t->cluster);
	set_str(o, "clusterArn", b.ptr);
	sw_buf_reset(&b);
	/* a Fargate task runs on no container instance of the cluster */
	if (!t->platform_version) {
		sw_engine_arn(e, &b, "ecs", "container-instance/%s/%s", t->cluster, e->instance_id);
		set_str(o, "containerInstanceArn", b.ptr);
		sw_buf_reset(&b);
	}
	set_str(o, "taskDefinitionArn", t->taskdef);
	set_str(o, "lastStatus", sw_engine_task_status_name(t->last));
	set_str(o, "desiredStatus", t->desired_running ? "RUNNING" : "STOPPED");
	set_str(o, "healthStatus", sw_engine_health_name(t->health));
	set_str(o, "group", t->group);
	set_str(o, "startedBy", t->started_by);
	set_str(o, "launchType", t->launch_type);
	set_str(o, "capacityProviderName", t->capacity_provider);
	if (t->platform_version) {
		set_str(o, "platformVersion", t->platform_version);
		set_str(o, "platformFamily", SW_ECS_FARGATE_FAMILY);
		json_object_set_new(o, "ephemeralStorage", json_pack("{s:i}", "sizeInGiB", 20));
	}
	sw_buf_addf(&b, "%lld", t->cpu);
	set_str(o, "cpu", t->task_cpu ? t->task_cpu : b.ptr);
	sw_buf_reset(&b);
	sw_buf_addf(&b, "%lld", t->memory);
	set_str(o, "memory", t->task_memory ? t->task_memory : b.ptr);
	sw_buf_reset(&b);
	sw_buf_addf(&b, "%sa", e->cfg.region);
	set_str(o, "availabilityZone", b.ptr);
	sw_buf_reset(&b);
	/* an EC2 task is on a connected instance from the start; a Fargate task once it runs */
	if (!t->platform_version || t->connectivity_at > 0)
		set_str(o, "connectivity", "CONNECTED");
	set_time(o, "connectivityAt", t->connectivity_at);
	set_time(o, "createdAt", t->created_at);
	set_time(o, "pullStartedAt", t->pull_started_at);
	set_time(o, "pullStoppedAt", t->pull_stopped_at);
	set_time(o, "startedAt", t->started_at);
	set_time(o, "stoppingAt", t->stopping_at);
	set_time(o, "executionStoppedAt", t->execution_stopped_at);
	set_time(o, "stoppedAt", t->stopped_at);
	set_str(o, "stopCode", t->stop_code);
	set_str(o, "stoppedReason", t->stopped_reason);
	json_object_set_new(o, "version", json_integer(t->version));
	json_object_set_new(o, "enableExecuteCommand", json_false());
	json_object_set_new(o, "overrides", overrides_json(t));
	json_object_set_new(o, "attributes", json_pack("[{s:s, s:s}]", "name", "ecs.cpu-architecture", "value", "x86_64"));
	for (i = 0; i < t->nr_containers; i++) {
		struct sw_engine_container *c = &t->containers[i];
		json_t *co = json_object();
		set_str(co, "containerArn", c->arn);
		set_str(co, "taskArn", t->arn);
		set_str(co, "name", c->name);
		set_str(co, "image", c->image);
		set_str(co, "imageDigest", c->image_digest);
		set_str(co, "runtimeId", c->docker_id);
		set_str(co, "lastStatus", c->last_status);
		if (c->has_exit)
			json_object_set_new(co, "exitCode", json_integer(c->exit_code));
		set_str(co, "reason", c->reason);
		json_object_set_new(co, "networkBindings", c->bindings ? json_deep_copy(c->bindings) : json_array());
		/* awsvpc: every container is on the task's network interface */
		if (t->eni && sw_engine_task_ip(t))
			json_object_set_new(co, "networkInterfaces",
					    json_pack("[{s:O, s:s}]", "attachmentId", json_object_get(t->eni, "id"),
						      "privateIpv4Address", sw_engine_task_ip(t)));
		else
			json_object_set_new(co, "networkInterfaces", json_array());
		set_str(co, "healthStatus", sw_engine_health_name(c->has_health_check ? c->health : SW_HEALTH_UNKNOWN));
		sw_buf_addf(&b, "%lld", c->cpu);
		set_str(co, "cpu", b.ptr);
		sw_buf_reset(&b);
		if (c->memory) {
			sw_buf_addf(&b, "%lld", c->memory);
			set_str(co, "memory", b.ptr);
			sw_buf_reset(&b);
		}
		if (c->memory_reservation) {
			sw_buf_addf(&b, "%lld", c->memory_reservation);
			set_str(co, "memoryReservation", b.ptr);
			sw_buf_reset(&b);
		}
		json_array_append_new(cs, co);
	}
	json_object_set_new(o, "containers", cs);
	json_object_set_new(o, "attachments", sw_ecs_launch_attachments(e, t));
	if (with_tags)
		json_object_set_new(o, "tags", sw_ecs_tag_get(e, t->arn));
	sw_buf_release(&b);
	return o;
}

/* ---- operations ------------------------------------------------------------------- */

static int check_overrides(struct sw_engine_call *call, json_t *doc, json_t *overrides)
{
	json_t *cos = json_object_get(overrides, "containerOverrides");
	json_t *cds = json_object_get(doc, "containerDefinitions");
	size_t i;

	for (i = 0; i < json_array_size(cos); i++) {
		const char *name = sw_json_str(json_array_get(cos, i), "name");
		if (!name)
			return SW_FAIL_PARAM(call, "Container overrides must name their container.");
		if (!sw_ecs_taskdef_named(cds, name))
			return SW_FAIL_PARAM(call, "Override for container named %s is not a container in the "
					     "TaskDefinition.", name);
	}
	if (sw_json_str(overrides, "cpu") &&
	    sw_ecs_taskdef_size(sw_json_str(overrides, "cpu"), 1) < 0)
		return SW_FAIL_PARAM(call, "Invalid cpu override.");
	if (sw_json_str(overrides, "memory") &&
	    sw_ecs_taskdef_size(sw_json_str(overrides, "memory"), 0) < 0)
		return SW_FAIL_PARAM(call, "Invalid memory override.");
	return 0;
}

int sw_ecs_op_run_task(struct sw_engine_call *call)
{
	struct sw_engine *e = call->e;
	struct sw_engine_cluster *c = sw_ecs_cluster_find(call, "cluster");
	const char *ref = sw_engine_api_call_str(call, "taskDefinition");
	const char *group = sw_engine_api_call_str(call, "group");
	const char *started_by = sw_engine_api_call_str(call, "startedBy");
	const char *launch_type = sw_engine_api_call_str(call, "launchType");
	const char *propagate = sw_engine_api_call_str(call, "propagateTags");
	json_t *overrides = sw_engine_api_call_get(call, "overrides");
	json_t *tags = sw_engine_api_call_get(call, "tags");
	long long count = sw_engine_api_call_int(call, "count", 1);
	struct sw_run_capacity reg, rem;
	struct sw_ecs_task_spec spec = { 0 };
	struct sw_ecs_launch launch = { 0 };
	json_t *doc = NULL, *tasks = NULL, *failures = NULL, *td_tags = NULL, *network = NULL;
	const char *short_of = NULL;
	long long cpu, mem, *placed = NULL;
	int fit, i, ret = -1;

	if (!c)
		return -1;
	if (sw_ecs_taskdef_get(e, ref, &doc) < 0)
		return SW_FAIL_CLIENT(call, "TaskDefinition not found.");
	if (strcmp(sw_json_str(doc, "status"), "ACTIVE")) {
		SW_FAIL_CLIENT(call, "TaskDefinition is inactive");
		goto cleanup;
	}
	if (count < 1 || count > MAX_RUN_COUNT) {
		SW_FAIL_PARAM(call, "count must be between 1 and %d.", MAX_RUN_COUNT);
		goto cleanup;
	}
	if (started_by && strlen(started_by) > 128) {
		SW_FAIL_PARAM(call, "startedBy must be 128 characters or fewer.");
		goto cleanup;
	}
	if (group && strlen(group) > 255) {
		SW_FAIL_PARAM(call, "group must be 255 characters or fewer.");
		goto cleanup;
	}
	if (sw_ecs_launch_resolve(call, c, doc, launch_type, sw_engine_api_call_get(call, "capacityProviderStrategy"),
				  sw_engine_api_call_str(call, "platformVersion"), &launch) < 0 ||
	    sw_ecs_launch_network(call, doc, sw_engine_api_call_get(call, "networkConfiguration"), launch.launch_type,
				  &network) < 0)
		goto cleanup;
	if (overrides && check_overrides(call, doc, overrides) < 0)
		goto cleanup;

	reg.cpu = e->cfg.cpu_units;
	reg.memory = e->cfg.memory_mb;
	sw_run_placement_remaining(&e->st, &reg, &rem);
	sw_ecs_taskdef_needs(doc, overrides, &cpu, &mem);
	fit = sw_run_placement_fit(&rem, cpu, mem, (int)count, &short_of);

	spec.cluster = c->name;
	spec.taskdef = doc;
	spec.overrides = overrides;
	spec.group = group;
	spec.started_by = started_by;
	spec.launch_type = launch.launch_type;
	spec.platform_version = launch.platform_resolved;
	spec.network = network;
	placed = xcalloc(json_array_size(launch.strategy) + 1, sizeof(*placed));
	tasks = json_array();
	failures = json_array();
	if (propagate && !strcmp(propagate, "TASK_DEFINITION"))
		td_tags = sw_ecs_tag_get(e, sw_json_str(doc, "taskDefinitionArn"));
	for (i = 0; i < fit; i++) {
		struct sw_engine_task *t;
		spec.capacity_provider = sw_ecs_launch_pick(launch.strategy, placed);
		sw_ecs_launch_count(launch.strategy, spec.capacity_provider, placed);
		t = sw_ecs_task_create(e, &spec);
		if (td_tags && json_array_size(td_tags))
			sw_ecs_tag_put(e, t->arn, td_tags);
		if (tags)
			sw_ecs_tag_put(e, t->arn, tags);
		json_array_append_new(tasks, sw_ecs_task_json(e, t, tags || td_tags));
		sw_log_info("%s: RunTask %s (%s)", c->name, t->id, t->taskdef);
	}
	for (i = fit; i < count; i++) {
		struct sw_buf arn = SW_BUF_INIT;
		if (!strcmp(launch.launch_type, "FARGATE")) {
			/* Fargate names no instance: the failure has a reason only */
			json_array_append_new(failures, json_pack("{s:s}", "reason", SW_ECS_FARGATE_NO_CAPACITY));
			continue;
		}
		sw_engine_arn(e, &arn, "ecs", "container-instance/%s/%s", c->name, e->instance_id);
		json_array_append_new(failures, sw_ecs_failure_json(arn.ptr, short_of && !strcmp(short_of, "memory") ?
								    "RESOURCE:MEMORY" : "RESOURCE:CPU"));
		sw_buf_release(&arn);
	}
	json_object_set(call->out, "tasks", tasks);
	json_object_set(call->out, "failures", failures);
	ret = 0;
cleanup:
	json_decref(doc);
	json_decref(tasks);
	json_decref(failures);
	json_decref(td_tags);
	json_decref(network);
	free(placed);
	sw_ecs_launch_release(&launch);
	return ret;
}

/* The task a request names (id or ARN) in cluster c, or NULL. */
static struct sw_engine_task *find_task(struct sw_engine *e, struct sw_engine_cluster *c, const char *given,
					struct sw_buf *arn_out)
{
	struct sw_buf name = SW_BUF_INIT, cl = SW_BUF_INIT;
	struct sw_engine_task *t = NULL;
	const char *id = sw_engine_arn_name(given, "task", &name, &cl);

	if (id) {
		t = sw_engine_state_task(&e->st, id);
		if (t && strcmp(t->cluster, c->name))
			t = NULL;
		if (t && cl.len && strcmp(cl.ptr, c->name))
			t = NULL;
	}
	if (arn_out)
		sw_ecs_arn_of(e, arn_out, given, "task/%s/%s", c->name, given);
	sw_buf_release(&name);
	sw_buf_release(&cl);
	return t;
}

/* DescribeTasks' item: the task given names in c, or NULL with its ARN. */
static json_t *describe_task(struct sw_engine_call *call, struct sw_engine_cluster *c, const char *given,
			     struct sw_buf *arn)
{
	struct sw_engine_task *t = find_task(call->e, c, given, arn);

	return t ? sw_ecs_task_json(call->e, t, sw_engine_api_call_has(call, "include", "TAGS")) : NULL;
}

int sw_ecs_op_describe_tasks(struct sw_engine_call *call)
{
	struct sw_engine_cluster *c = sw_ecs_cluster_find(call, "cluster");
	json_t *ids = sw_engine_api_call_get(call, "tasks");

	if (!c)
		return -1;
	if (json_array_size(ids) > 100)
		return SW_FAIL_PARAM(call, "tasks can have at most 100 items.");
	if (json_array_size(ids) == 0)
		return SW_FAIL_PARAM(call, "Tasks cannot be empty.");
	sw_ecs_describe_each(call, c, ids, "tasks", describe_task);
	return 0;
}

int sw_ecs_op_list_tasks(struct sw_engine_call *call)
{
	struct sw_engine *e = call->e;
	struct sw_engine_cluster *c = sw_ecs_cluster_find(call, "cluster");
	const char *family = sw_engine_api_call_str(call, "family");
	const char *service_name = sw_engine_api_call_str(call, "serviceName");
	const char *desired = sw_engine_api_call_str(call, "desiredStatus");
	const char *started_by = sw_engine_api_call_str(call, "startedBy");
	const char *launch_type = sw_engine_api_call_str(call, "launchType");
	const char *instance = sw_engine_api_call_str(call, "containerInstance");
	long long offset, page;
	struct sw_engine_service *s = NULL;
	struct sw_buf name = SW_BUF_INIT, cl = SW_BUF_INIT;
	json_t *arns;
	long long n = 0;
	size_t i;

	if (!c || sw_engine_api_call_page(call, 100, &offset, &page) < 0)
		return -1;
	if (service_name) {
		const char *sn = sw_engine_arn_name(service_name, "service", &name, &cl);
		s = sn ? sw_engine_state_service(&e->st, c->name, sn) : NULL;
		if (!s) {
			sw_buf_release(&name);
			sw_buf_release(&cl);
			return sw_engine_api_call_fail(call, 400, "ServiceNotFoundException", "Service not found.");
		}
	}
	if (instance) {
		const char *id = sw_engine_arn_name(instance, "container-instance", &name, &cl);
		if (!id || strcmp(id, e->instance_id)) {
			sw_buf_release(&name);
			sw_buf_release(&cl);
			return SW_FAIL_PARAM(call, "The referenced container instance was not found.");
		}
	}
	if (!desired)
		desired = "RUNNING";
	arns = json_array();
	for (i = 0; i < e->st.nr_tasks; i++) {
		struct sw_engine_task *t = e->st.tasks[i];
		if (strcmp(t->cluster, c->name))
			continue;
		if (family && strcmp(t->family, family))
			continue;
		if (s && t->service_id != s->id)
			continue;
		if (started_by && (!t->started_by || strcmp(t->started_by, started_by)))
			continue;
		if (launch_type && strcmp(t->launch_type, launch_type))
			continue;
		if (!strcmp(desired, "PENDING") || (!strcmp(desired, "RUNNING") && !t->desired_running) ||
		    (!strcmp(desired, "STOPPED") && t->desired_running))
			continue;
		if (sw_engine_api_page_count(&n, offset, page))
			json_array_append_new(arns, json_string(t->arn));
	}
	json_object_set_new(call->out, "taskArns", arns);
	sw_engine_api_token_set(call->out, offset, page, n);
	sw_buf_release(&name);
	sw_buf_release(&cl);
	return 0;
}

int sw_ecs_op_stop_task(struct sw_engine_call *call)
{
	struct sw_engine *e = call->e;
	struct sw_engine_cluster *c = sw_ecs_cluster_find(call, "cluster");
	const char *given = sw_engine_api_call_str(call, "task");
	const char *reason = sw_engine_api_call_str(call, "reason");
	struct sw_engine_task *t;

	if (!c)
		return -1;
	t = find_task(e, c, given, NULL);
	if (!t)
		return SW_FAIL_PARAM(call, "The referenced task was not found.");
	if (reason && strlen(reason) > 1024)
		return SW_FAIL_PARAM(call, "reason must be 1024 characters or fewer.");
	sw_ecs_task_stop(e, t, "UserInitiated", reason ? reason : "Task stopped by user");
	sw_log_info("%s: StopTask %s", c->name, t->id);
	json_object_set_new(call->out, "task", sw_ecs_task_json(e, t, 0));
	return 0;
}
