/*
 * Task definitions (engine/ecs/ecs_taskdef.h): what a task of one reserves, task-level
 * sizes, and RegisterTaskDefinition's awsvpc and Fargate rules with ECS's messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine/ecs/ecs_taskdef.h"
#include "engine/ecs/ecs.h"
#include "../fixture.h"
#include "common/json.h"
#include "common/time.h"
#include "common/banned.h"

static void task_needs(void **state)
{
	json_t *doc = json_loads("{\"containerDefinitions\":["
				 "{\"name\":\"a\",\"memory\":128,\"cpu\":256},"
				 "{\"name\":\"b\",\"memoryReservation\":64}]}", 0, NULL);
	json_t *ov = json_loads("{\"containerOverrides\":[{\"name\":\"a\",\"memory\":512}]}", 0, NULL);
	long long cpu, mem;

	sw_ecs_taskdef_needs(doc, NULL, &cpu, &mem);
	assert_int_equal(mem, 192);
	assert_int_equal(cpu, 256);
	sw_ecs_taskdef_needs(doc, ov, &cpu, &mem);
	assert_int_equal(mem, 576);
	json_object_set_new(doc, "memory", json_string("1 GB"));
	json_object_set_new(doc, "cpu", json_string("0.5 vCPU"));
	sw_ecs_taskdef_needs(doc, NULL, &cpu, &mem);
	assert_int_equal(mem, 1024);
	assert_int_equal(cpu, 512);
	assert_int_equal(sw_ecs_taskdef_size("512", 0), 512);
	assert_int_equal(sw_ecs_taskdef_size("2GB", 0), 2048);
	assert_int_equal(sw_ecs_taskdef_size("lots", 0), -1);
	assert_int_equal(sw_ecs_taskdef_size("1 vCPU", 0), -1);
	json_decref(doc);
	json_decref(ov);
}

static struct sw_engine e;

/* Register the definition json; *doc (if not NULL) gets what ECS answers. 0, or -1 with msg its error. */
static int reg(const char *json, json_t **doc, struct sw_buf *msg)
{
	json_t *out = NULL;
	int ret = fixture_call(&e, sw_ecs_op_register_task_definition, json, &out, msg);
	if (doc)
		*doc = json_incref(json_object_get(out, "taskDefinition"));
	json_decref(out);
	return ret;
}

#define WEB "\"containerDefinitions\":[{\"name\":\"web\",\"image\":\"i\",\"portMappings\":[{\"containerPort\":8080}]}]"

static int has(json_t *list, const char *s)
{
	size_t i;
	for (i = 0; i < json_array_size(list); i++)
		if (!strcmp(json_string_value(json_array_get(list, i)), s))
			return 1;
	return 0;
}

static void awsvpc_rules(void **state)
{
	struct sw_buf msg = SW_BUF_INIT;
	json_t *doc = NULL;

	fixture_up(&e, sw_time_now(), 0);
	/* the host port is the container port, given or not */
	assert_int_equal(reg("{\"family\":\"a\",\"networkMode\":\"awsvpc\",\"memory\":\"512\"," WEB "}", &doc, &msg), 0);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(json_array_get(
		json_object_get(doc, "containerDefinitions"), 0), "portMappings"), 0), "hostPort")), 8080);
	/* awsvpc with a task size Fargate has: both compatibilities; bridge: EC2 only */
	assert_true(has(json_object_get(doc, "compatibilities"), "EC2"));
	assert_false(has(json_object_get(doc, "compatibilities"), "FARGATE"));
	json_decref(doc);
	assert_int_equal(reg("{\"family\":\"a\",\"networkMode\":\"awsvpc\",\"cpu\":\"0.25 vCPU\","
			     "\"memory\":\"0.5 GB\"," WEB "}", &doc, &msg), 0);
	assert_true(has(json_object_get(doc, "compatibilities"), "FARGATE"));
	assert_string_equal(sw_json_str(doc, "cpu"), "256");
	assert_string_equal(sw_json_str(doc, "memory"), "512");
	json_decref(doc);
	assert_int_equal(reg("{\"family\":\"a\",\"networkMode\":\"awsvpc\",\"containerDefinitions\":[{\"name\":"
			     "\"web\",\"image\":\"i\",\"memory\":64,\"portMappings\":[{\"containerPort\":8080,"
			     "\"hostPort\":80}]}]}", NULL, &msg), -1);
	assert_string_equal(msg.ptr, "When networkMode=awsvpc, the host ports and container ports in port mappings must "
			    "match.");
	assert_int_equal(reg("{\"family\":\"a\",\"networkMode\":\"awsvpc\",\"containerDefinitions\":[{\"name\":"
			     "\"web\",\"image\":\"i\",\"memory\":64,\"hostname\":\"h\"}]}", NULL, &msg), -1);
	assert_string_equal(msg.ptr, "hostname is not supported on container when networkMode=awsvpc.");
	fixture_down(&e);
	sw_buf_release(&msg);
}

static void fargate_rules(void **state)
{
	struct sw_buf msg = SW_BUF_INIT;
	json_t *doc = NULL;

	fixture_up(&e, sw_time_now(), 0);
	e.cfg.registry_host = "127.0.0.1:5000";
	assert_int_equal(reg("{\"family\":\"f\",\"requiresCompatibilities\":[\"FARGATE\"],\"cpu\":\"256\","
			     "\"memory\":\"512\"," WEB "}", NULL, &msg), -1);
	assert_string_equal(msg.ptr, "Fargate only supports network mode \xe2\x80\x98" "awsvpc" "\xe2\x80\x99" ".");
	assert_int_equal(reg("{\"family\":\"f\",\"requiresCompatibilities\":[\"FARGATE\"],\"networkMode\":"
			     "\"awsvpc\",\"memory\":\"512\"," WEB "}", NULL, &msg), -1);
	assert_string_equal(msg.ptr, "Fargate requires that 'cpu' be defined at the task level.");
	assert_int_equal(reg("{\"family\":\"f\",\"requiresCompatibilities\":[\"FARGATE\"],\"networkMode\":"
			     "\"awsvpc\",\"cpu\":\"256\",\"containerDefinitions\":[{\"name\":\"web\",\"image\":"
			     "\"i\",\"memory\":64}]}", NULL, &msg), -1);
	assert_string_equal(msg.ptr, "Fargate requires that 'memory' be defined at the task level.");
	assert_int_equal(reg("{\"family\":\"f\",\"requiresCompatibilities\":[\"FARGATE\"],\"networkMode\":"
			     "\"awsvpc\",\"cpu\":\"256\",\"memory\":\"4 GB\"," WEB "}", NULL, &msg), -1);
	assert_string_equal(msg.ptr, "No Fargate configuration exists for given values: 256 CPU, 4096 memory. See the "
			    "Amazon ECS documentation for the valid values.");
	assert_int_equal(reg("{\"family\":\"f\",\"requiresCompatibilities\":[\"FARGATE\"],\"networkMode\":"
			     "\"awsvpc\",\"cpu\":\"8192\",\"memory\":\"18432\"," WEB "}", NULL, &msg), -1);
	assert_string_equal(msg.ptr, "No Fargate configuration exists for given values: 8192 CPU, 18432 memory. See the "
			    "Amazon ECS documentation for the valid values.");
	/* images in ECR and logs to CloudWatch need an execution role */
	assert_int_equal(reg("{\"family\":\"f\",\"requiresCompatibilities\":[\"FARGATE\"],\"networkMode\":"
			     "\"awsvpc\",\"cpu\":\"256\",\"memory\":\"512\",\"containerDefinitions\":[{\"name\":"
			     "\"web\",\"image\":\"127.0.0.1:5000/web:v1\"}]}", NULL, &msg), -1);
	assert_string_equal(msg.ptr, "Fargate requires task definition to have execution role ARN to support ECR images.");
	assert_int_equal(reg("{\"family\":\"f\",\"requiresCompatibilities\":[\"FARGATE\"],\"networkMode\":"
			     "\"awsvpc\",\"cpu\":\"256\",\"memory\":\"512\",\"containerDefinitions\":[{\"name\":"
			     "\"web\",\"image\":\"1.dkr.ecr.us-east-1.amazonaws.com/web:v1\"}]}", NULL, &msg), -1);
	assert_string_equal(msg.ptr, "Fargate requires task definition to have execution role ARN to support ECR images.");
	assert_int_equal(reg("{\"family\":\"f\",\"requiresCompatibilities\":[\"FARGATE\"],\"networkMode\":"
			     "\"awsvpc\",\"cpu\":\"256\",\"memory\":\"512\",\"containerDefinitions\":[{\"name\":"
			     "\"web\",\"image\":\"i\",\"logConfiguration\":{\"logDriver\":\"awslogs\","
			     "\"options\":{}}}]}", NULL, &msg), -1);
	assert_string_equal(msg.ptr, "Fargate requires task definition to have execution role ARN to support log driver "
			    "awslogs.");
	assert_int_equal(reg("{\"family\":\"f\",\"requiresCompatibilities\":[\"FARGATE\"],\"networkMode\":"
			     "\"awsvpc\",\"cpu\":\"1024\",\"memory\":\"2048\",\"executionRoleArn\":"
			     "\"arn:aws:iam::000000000000:role/x\",\"containerDefinitions\":[{\"name\":\"web\","
			     "\"image\":\"127.0.0.1:5000/web:v1\"}]}", &doc, &msg), 0);
	assert_true(has(json_object_get(doc, "compatibilities"), "FARGATE"));
	assert_string_equal(sw_json_str(doc, "networkMode"), "awsvpc");
	json_decref(doc);
	fixture_down(&e);
	sw_buf_release(&msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(task_needs),
		cmocka_unit_test(awsvpc_rules),
		cmocka_unit_test(fargate_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
