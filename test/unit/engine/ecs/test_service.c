/*
 * Services and tasks on Fargate (engine/ecs/service.c, task.c, cluster.c) without
 * Docker: a cluster with the Fargate capacity providers and a default strategy, an
 * awsvpc service behind an ip target group (a fake balancer that knows target types),
 * ECS's refusals, what DescribeServices / DescribeTasks / DescribeClusters show, the
 * task's address registered as its target, and Fargate's capacity message for what
 * does not fit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine/ecs/ecs.h"
#include "engine/ecs/launch.h"
#include "engine/ecs/service_event.h"
#include "engine/run/balancer.h"
#include "engine/run/scheduler.h"
#include "../fixture.h"
#include "common/json.h"
#include "common/time.h"
#include "common/banned.h"

#define TG_IP "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/ip/0123456789abcdef"
#define TG_INSTANCE "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/inst/0123456789abcdef"

static struct sw_engine e;
static char registered[64];
static int registered_port;

static int fake_check(void *ctx, const char *arn)
{
	return strcmp(arn, TG_IP) && strcmp(arn, TG_INSTANCE) ? -1 : 0;
}

static int fake_register(void *ctx, const struct sw_run_target *t)
{
	memcpy(registered, t->host, strlen(t->host) + 1);
	registered_port = t->port;
	return 0;
}

static int fake_deregister(void *ctx, const struct sw_run_target *t, int *drain)
{
	*drain = 0;
	return 0;
}

static enum sw_run_target_health fake_health(void *ctx, const struct sw_run_target *t, struct sw_buf *reason)
{
	return SW_TARGET_HEALTHY;
}

static const char *fake_type(void *ctx, const char *arn)
{
	return !strcmp(arn, TG_IP) ? "ip" : "instance";
}

static const struct sw_run_balancer_ops fake_ops = {
	"fake", fake_check, fake_register, fake_deregister, fake_health, fake_type, NULL, NULL,
};

/* The call's answer (the caller's reference) or NULL with msg its error. */
static json_t *answer(sw_engine_api_fn fn, const char *json, struct sw_buf *msg)
{
	json_t *out = NULL;
	if (fixture_call(&e, fn, json, &out, msg) < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* The refusal message of a call that must fail. */
static const char *refusal(sw_engine_api_fn fn, const char *json, struct sw_buf *msg)
{
	json_t *out = answer(fn, json, msg);
	assert_null(out);
	return msg->ptr;
}

static const char *detail(json_t *task, const char *name)
{
	json_t *details = json_object_get(json_array_get(json_object_get(task, "attachments"), 0), "details");
	size_t i;
	for (i = 0; i < json_array_size(details); i++)
		if (!strcmp(sw_json_str(json_array_get(details, i), "name"), name))
			return sw_json_str(json_array_get(details, i), "value");
	return NULL;
}

#define NET "\"networkConfiguration\":{\"awsvpcConfiguration\":{\"subnets\":[\"subnet-0aa\",\"subnet-0bb\"]}}"
#define LB(tg) "\"loadBalancers\":[{\"targetGroupArn\":\"" tg "\",\"containerName\":\"web\",\"containerPort\":8080}]"

static void setup_cluster(struct sw_buf *msg)
{
	json_t *out;

	assert_string_equal(refusal(sw_ecs_op_create_cluster, "{\"clusterName\":\"fg\",\"capacityProviders\":[\"EC2X\"]}",
				    msg), "The specified capacity provider was not found. Specify a valid capacity provider "
			    "and try again.");
	out = answer(sw_ecs_op_create_cluster, "{\"clusterName\":\"fg\",\"capacityProviders\":[\"FARGATE\",\"FARGATE_SPOT\"],"
		     "\"defaultCapacityProviderStrategy\":[{\"capacityProvider\":\"FARGATE\",\"weight\":1}]}", msg);
	assert_non_null(out);
	assert_int_equal(json_array_size(json_object_get(json_object_get(out, "cluster"), "capacityProviders")), 2);
	assert_string_equal(sw_json_str(json_object_get(out, "cluster"), "attachmentsStatus"),
			    "UPDATE_COMPLETE");
	json_decref(out);
	/* the same again is the same cluster; different providers are not */
	out = answer(sw_ecs_op_create_cluster, "{\"clusterName\":\"fg\",\"capacityProviders\":[\"FARGATE\",\"FARGATE_SPOT\"],"
		     "\"defaultCapacityProviderStrategy\":[{\"capacityProvider\":\"FARGATE\",\"weight\":1,\"base\":0}]}", msg);
	assert_non_null(out);
	json_decref(out);
	assert_string_equal(refusal(sw_ecs_op_create_cluster, "{\"clusterName\":\"fg\",\"capacityProviders\":[\"FARGATE\"]}",
				    msg), "Arguments on this idempotent request are inconsistent with arguments used in "
			    "previous request(s).");
	out = answer(sw_ecs_op_register_task_definition, "{\"family\":\"web\",\"networkMode\":\"awsvpc\","
		     "\"requiresCompatibilities\":[\"FARGATE\"],\"cpu\":\"256\",\"memory\":\"512\",\"containerDefinitions\":"
		     "[{\"name\":\"web\",\"image\":\"i\",\"portMappings\":[{\"containerPort\":8080}]}]}", msg);
	assert_non_null(out);
	json_decref(out);
}

static void refusals(struct sw_buf *msg)
{
	assert_string_equal(refusal(sw_ecs_op_create_service, "{\"cluster\":\"fg\",\"serviceName\":\"web\","
				    "\"taskDefinition\":\"web\",\"desiredCount\":1}", msg),
			    "Network Configuration must be provided when networkMode 'awsvpc' is specified.");
	assert_string_equal(refusal(sw_ecs_op_create_service, "{\"cluster\":\"fg\",\"serviceName\":\"web\","
				    "\"taskDefinition\":\"web\",\"desiredCount\":1," NET "," LB(TG_INSTANCE) "}", msg),
			    "The provided target group " TG_INSTANCE " has target type instance, which is incompatible "
			    "with the awsvpc network mode specified in the task definition.");
	assert_string_equal(refusal(sw_ecs_op_create_service, "{\"cluster\":\"fg\",\"serviceName\":\"web\","
				    "\"taskDefinition\":\"web\",\"launchType\":\"FARGATE\",\"capacityProviderStrategy\":"
				    "[{\"capacityProvider\":\"FARGATE\",\"weight\":1}]," NET "}", msg),
			    "Specifying both a launch type and capacity provider strategy is not supported. Remove one "
			    "and try again.");
	assert_string_equal(refusal(sw_ecs_op_create_service, "{\"cluster\":\"fg\",\"serviceName\":\"web\","
				    "\"taskDefinition\":\"web\",\"launchType\":\"EC2\",\"networkConfiguration\":"
				    "{\"awsvpcConfiguration\":{\"subnets\":[\"subnet-1\"],\"assignPublicIp\":\"ENABLED\"}}}",
				    msg), "Assign public IP is not supported for this launch type.");
	assert_int_equal(e.st.nr_services, 0);
}

/* DescribeServices: the strategy (no launch type), LATEST and the version it is, the network as ECS keeps it. */
static void service_shown(struct sw_buf *msg)
{
	json_t *out = answer(sw_ecs_op_describe_services, "{\"cluster\":\"fg\",\"services\":[\"web\"]}", msg);
	json_t *s = json_array_get(json_object_get(out, "services"), 0), *d = json_array_get(json_object_get(s,
											       "deployments"), 0);

	assert_null(json_object_get(s, "launchType"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(s, "capacityProviderStrategy"),
									      0), "capacityProvider")), "FARGATE");
	assert_string_equal(sw_json_str(s, "platformVersion"), "LATEST");
	assert_string_equal(sw_json_str(s, "platformFamily"), "Linux");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(s, "networkConfiguration"),
									     "awsvpcConfiguration"), "assignPublicIp")),
			    "DISABLED");
	assert_null(json_object_get(d, "launchType"));
	assert_non_null(json_object_get(d, "capacityProviderStrategy"));
	assert_string_equal(sw_json_str(d, "platformVersion"), SW_ECS_FARGATE_LATEST);
	assert_non_null(json_object_get(d, "networkConfiguration"));
	json_decref(out);
}

/* DescribeTasks: the network interface with the address that was registered, no container instance. */
static void task_shown(struct sw_engine_task *t, struct sw_buf *msg)
{
	struct sw_buf req = SW_BUF_INIT;
	json_t *out, *task, *ni;

	sw_buf_addf(&req, "{\"cluster\":\"fg\",\"tasks\":[\"%s\"]}", t->id);
	out = answer(sw_ecs_op_describe_tasks, req.ptr, msg);
	task = json_array_get(json_object_get(out, "tasks"), 0);
	assert_string_equal(sw_json_str(task, "launchType"), "FARGATE");
	assert_string_equal(sw_json_str(task, "capacityProviderName"), "FARGATE");
	assert_string_equal(sw_json_str(task, "platformVersion"), "1.4.0");
	assert_null(json_object_get(task, "containerInstanceArn"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(task, "attachments"), 0),
							      "status")), "ATTACHED");
	assert_string_equal(detail(task, "privateIPv4Address"), "10.213.9.7");
	assert_string_equal(detail(task, "subnetId"), "subnet-0aa");
	ni = json_array_get(json_object_get(json_array_get(json_object_get(task, "containers"), 0), "networkInterfaces"), 0);
	assert_string_equal(sw_json_str(ni, "privateIpv4Address"), "10.213.9.7");
	assert_string_equal(sw_json_str(ni, "attachmentId"),
			    json_string_value(json_object_get(json_array_get(json_object_get(task, "attachments"), 0),
							      "id")));
	json_decref(out);
	sw_buf_release(&req);
}

static void fargate_service(void **state)
{
	struct sw_buf msg = SW_BUF_INIT;
	struct sw_engine_task *t;
	json_t *out;
	double now = sw_time_now();

	fixture_up(&e, now, 0);
	sw_run_balancer_set(&e, &fake_ops, NULL);
	setup_cluster(&msg);
	refusals(&msg);

	/* neither a launch type nor a strategy: the cluster's default */
	out = answer(sw_ecs_op_create_service, "{\"cluster\":\"fg\",\"serviceName\":\"web\",\"taskDefinition\":\"web\","
		     "\"desiredCount\":1," NET "," LB(TG_IP) "}", &msg);
	assert_non_null(out);
	json_decref(out);
	service_shown(&msg);

	sw_run_scheduler_pass(&e, now);
	assert_int_equal(e.st.nr_tasks, 1);
	t = e.st.tasks[0];
	assert_string_equal(t->capacity_provider, "FARGATE");
	assert_string_equal(t->launch_type, "FARGATE");
	assert_string_equal(sw_json_str(t->eni, "subnetId"), "subnet-0aa");
	/* what the START job does: the container runs, with its address on the Docker network */
	t->busy = 0;
	t->last = SW_TASK_RUNNING;
	t->started_at = now;
	sw_engine_set_str(&t->containers[0].docker_id, "cafe");
	sw_engine_set_str(&t->containers[0].last_status, "RUNNING");
	sw_engine_set_str(&t->containers[0].ip, "10.213.9.7");
	sw_run_scheduler_pass(&e, now + 1);
	assert_string_equal(registered, "10.213.9.7");
	assert_int_equal(registered_port, 8080);
	assert_int_equal(e.st.services[0]->deps[0]->rollout, SW_ENGINE_ROLLOUT_COMPLETED);
	task_shown(t, &msg);

	/* a provider in use stays */
	assert_string_equal(refusal(sw_ecs_op_put_cluster_capacity_providers, "{\"cluster\":\"fg\",\"capacityProviders\":"
				    "[\"FARGATE_SPOT\"],\"defaultCapacityProviderStrategy\":[]}", &msg),
			    "The specified capacity provider is in use and cannot be removed.");
	fixture_down(&e);
	sw_buf_release(&msg);
}

/* Fargate tasks come out of the engine's budget: what does not fit gets Fargate's capacity words. */
static void fargate_capacity(void **state)
{
	struct sw_buf msg = SW_BUF_INIT;
	json_t *out, *list, *stats;
	struct sw_engine_service *s;
	size_t i;
	int found = 0;
	double now = sw_time_now();

	fixture_up(&e, now, 0);
	setup_cluster(&msg);
	/* 4096 MiB: 8 tasks of 512 fit, 2 do not */
	out = answer(sw_ecs_op_run_task, "{\"cluster\":\"fg\",\"taskDefinition\":\"web\",\"count\":10," NET "}", &msg);
	assert_non_null(out);
	assert_int_equal(json_array_size(json_object_get(out, "tasks")), 8);
	assert_int_equal(json_array_size(json_object_get(out, "failures")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(out, "failures"), 0),
							      "reason")), SW_ECS_FARGATE_NO_CAPACITY);
	assert_null(json_object_get(json_array_get(json_object_get(out, "failures"), 0), "arn"));
	json_decref(out);

	out = answer(sw_ecs_op_describe_clusters, "{\"clusters\":[\"fg\"],\"include\":[\"STATISTICS\",\"SETTINGS\"]}",
		     &msg);
	stats = json_object_get(json_array_get(json_object_get(out, "clusters"), 0), "statistics");
	for (i = 0; i < json_array_size(stats); i++)
		if (!strcmp(sw_json_str(json_array_get(stats, i), "name"), "pendingFargateTasksCount"))
			assert_string_equal(sw_json_str(json_array_get(stats, i), "value"), "8");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(json_array_get(
		json_object_get(out, "clusters"), 0), "settings"), 0), "value")), "disabled");
	json_decref(out);

	out = answer(sw_ecs_op_create_service, "{\"cluster\":\"fg\",\"serviceName\":\"big\",\"taskDefinition\":\"web\","
		     "\"desiredCount\":1,\"launchType\":\"FARGATE\"," NET "}", &msg);
	assert_non_null(out);
	assert_string_equal(sw_json_str(json_object_get(out, "service"), "launchType"), "FARGATE");
	json_decref(out);
	sw_run_scheduler_pass(&e, now);
	s = e.st.services[0];
	list = sw_ecs_service_event_json(&e, s->id);
	for (i = 0; i < json_array_size(list); i++)
		if (!strcmp(sw_json_str(json_array_get(list, i), "message"),
			    "(service big) was unable to place a task. Reason: " SW_ECS_FARGATE_NO_CAPACITY ". For more "
			    "information, see the Troubleshooting section of the Amazon ECS Developer Guide."))
			found = 1;
	assert_true(found);
	json_decref(list);
	fixture_down(&e);
	sw_buf_release(&msg);
}

/* UpdateService: a new strategy, platform version or network is a new deployment; EC2 services take none of them. */
static void update_launch(void **state)
{
	struct sw_buf msg = SW_BUF_INIT;
	struct sw_engine_service *s;
	json_t *out;
	double now = sw_time_now();

	fixture_up(&e, now, 0);
	setup_cluster(&msg);
	out = answer(sw_ecs_op_create_service, "{\"cluster\":\"fg\",\"serviceName\":\"web\",\"taskDefinition\":\"web\","
		     "\"desiredCount\":1,\"launchType\":\"FARGATE\"," NET "}", &msg);
	json_decref(out);
	s = e.st.services[0];
	assert_null(s->strategy);
	out = answer(sw_ecs_op_update_service, "{\"cluster\":\"fg\",\"service\":\"web\",\"capacityProviderStrategy\":"
		     "[{\"capacityProvider\":\"FARGATE_SPOT\",\"weight\":1}]}", &msg);
	assert_non_null(out);
	assert_null(json_object_get(json_object_get(out, "service"), "launchType"));
	json_decref(out);
	assert_int_equal(s->nr_deps, 2);
	assert_non_null(s->deps[0]->strategy);
	sw_run_scheduler_pass(&e, now);
	assert_string_equal(e.st.tasks[e.st.nr_tasks - 1]->capacity_provider, "FARGATE_SPOT");

	out = answer(sw_ecs_op_update_service, "{\"cluster\":\"fg\",\"service\":\"web\",\"platformVersion\":\"1.3.0\"}",
		     &msg);
	json_decref(out);
	assert_string_equal(s->deps[0]->platform_version, "1.3.0");
	assert_string_equal(refusal(sw_ecs_op_update_service, "{\"cluster\":\"fg\",\"service\":\"web\","
				    "\"platformVersion\":\"2.0.0\"}", &msg), "The specified platform version does not exist.");
	out = answer(sw_ecs_op_update_service, "{\"cluster\":\"fg\",\"service\":\"web\",\"networkConfiguration\":"
		     "{\"awsvpcConfiguration\":{\"subnets\":[\"subnet-0cc\"]}}}", &msg);
	json_decref(out);
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(s->deps[0]->network,
		"awsvpcConfiguration"), "subnets"), 0)), "subnet-0cc");

	/* a bridge service on the EC2 launch type */
	out = answer(sw_ecs_op_register_task_definition, "{\"family\":\"old\",\"containerDefinitions\":[{\"name\":"
		     "\"web\",\"image\":\"i\",\"memory\":16}]}", &msg);
	json_decref(out);
	out = answer(sw_ecs_op_create_service, "{\"serviceName\":\"old\",\"taskDefinition\":\"old\"}", &msg);
	assert_string_equal(sw_json_str(json_object_get(out, "service"), "launchType"), "EC2");
	json_decref(out);
	assert_string_equal(refusal(sw_ecs_op_update_service, "{\"service\":\"old\"," NET "}", &msg),
			    "Network Configuration is not valid for the given networkMode of this task definition.");
	assert_string_equal(refusal(sw_ecs_op_update_service, "{\"service\":\"old\",\"platformVersion\":\"LATEST\"}",
				    &msg), "The platform version must be null when specifying an EC2 launch type.");
	out = answer(sw_ecs_op_update_service, "{\"service\":\"old\",\"desiredCount\":2}", &msg);
	assert_non_null(out);
	json_decref(out);
	fixture_down(&e);
	sw_buf_release(&msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fargate_service),
		cmocka_unit_test(fargate_capacity),
		cmocka_unit_test(update_launch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
