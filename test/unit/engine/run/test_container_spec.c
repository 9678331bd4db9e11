#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine/run/container_spec.h"
#include "common/xalloc.h"
#include "common/json.h"
#include "common/banned.h"

/* An engine and a task "abc" of family web in network mode mode (the test's structs). */
static void setup(struct sw_engine *e, struct sw_engine_task *t, const char *mode)
{
	memset(e, 0, sizeof(*e));
	memset(t, 0, sizeof(*t));
	e->instance = "sw-test";
	e->cfg.region = "us-east-1";
	e->cfg.account = "000000000000";
	e->cfg.bind_ip = "127.0.0.1";
	t->id = "abc";
	t->arn = "arn:aws:ecs:us-east-1:000000000000:task/default/abc";
	t->cluster = "default";
	t->family = "web";
	t->network_mode = (char *)mode;
}

/* The container-create body a task definition becomes (Docker Engine API 1.41). */
static void spec_from_definition(void **state)
{
	struct sw_engine e;
	struct sw_engine_task t;
	json_t *td = json_loads(
		"{\"family\":\"web\",\"revision\":3,\"containerDefinitions\":[{\"name\":\"app\",\"image\":\"img:1\","
		"\"memory\":128,\"memoryReservation\":64,\"cpu\":0,\"essential\":true,\"command\":[\"httpd\"],"
		"\"entryPoint\":[\"/bin/sh\",\"-c\"],"
		"\"environment\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":\"2\"}],"
		"\"portMappings\":[{\"containerPort\":8080,\"hostPort\":0,\"protocol\":\"tcp\"}],"
		"\"healthCheck\":{\"command\":[\"CMD-SHELL\",\"true\"],\"interval\":5,\"timeout\":2,\"retries\":3,"
		"\"startPeriod\":1},\"dockerLabels\":{\"x\":\"y\"}}]}", 0, NULL);
	json_t *cd = json_array_get(json_object_get(td, "containerDefinitions"), 0);
	json_t *spec, *host;
	struct sw_buf name = SW_BUF_INIT;

	setup(&e, &t, "bridge");
	t.stop_timeout = 30;
	t.overrides = json_loads("{\"containerOverrides\":[{\"name\":\"app\",\"command\":[\"echo\",\"hi\"],"
				 "\"environment\":[{\"name\":\"B\",\"value\":\"3\"}]}]}", 0, NULL);

	spec = sw_run_container_spec(&e, &t, td, cd);
	host = json_object_get(spec, "HostConfig");
	assert_string_equal(sw_json_str(spec, "Image"), "img:1");
	assert_string_equal(json_string_value(json_array_get(json_object_get(spec, "Cmd"), 0)), "echo");
	assert_string_equal(json_string_value(json_array_get(json_object_get(spec, "Entrypoint"), 0)), "/bin/sh");
	assert_int_equal(json_array_size(json_object_get(spec, "Env")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(spec, "Env"), 1)), "B=3");
	assert_int_equal(sw_json_int(host, "Memory", 0), 128 * 1048576LL);
	assert_int_equal(sw_json_int(host, "MemoryReservation", 0), 64 * 1048576LL);
	assert_int_equal(sw_json_int(host, "CpuShares", 0), 2);
	assert_string_equal(sw_json_str(json_object_get(host, "RestartPolicy"), "Name"), "no");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
		json_object_get(json_object_get(host, "PortBindings"), "8080/tcp"), 0), "HostPort")), "");
	assert_int_equal(sw_json_int(json_object_get(spec, "Healthcheck"), "Interval", 0),
			 5000000000LL);
	assert_string_equal(sw_json_str(json_object_get(spec, "Labels"), "slipway.engine"),
			    "sw-test");
	assert_string_equal(sw_json_str(json_object_get(spec, "Labels"), "slipway.task"), "abc");
	assert_string_equal(sw_json_str(json_object_get(spec, "Labels"), "x"), "y");
	assert_string_equal(sw_json_str(json_object_get(spec, "Labels"),
							      "com.amazonaws.ecs.task-definition-version"), "3");
	sw_run_container_name(&name, &t, td, "app");
	assert_string_equal(name.ptr, "ecs-web-3-app-abc");
	sw_buf_release(&name);
	json_decref(spec);
	json_decref(t.overrides);
	json_decref(td);
}

/*
 * awsvpc: the first container on the Docker network with no published port, the
 * others in its network namespace with no network settings of their own.
 */
static void awsvpc_namespace(void **state)
{
	struct sw_engine e;
	struct sw_engine_task t;
	struct sw_engine_container cs[2];
	json_t *td = json_loads(
		"{\"family\":\"web\",\"revision\":1,\"networkMode\":\"awsvpc\",\"containerDefinitions\":["
		"{\"name\":\"app\",\"image\":\"img:1\",\"portMappings\":[{\"containerPort\":8080,\"hostPort\":8080}]},"
		"{\"name\":\"side\",\"image\":\"img:2\",\"portMappings\":[{\"containerPort\":9000,\"hostPort\":9000}],"
		"\"dnsServers\":[\"10.0.0.2\"]}]}", 0, NULL);
	json_t *cds = json_object_get(td, "containerDefinitions");
	json_t *first, *second;

	setup(&e, &t, "awsvpc");
	memset(cs, 0, sizeof(cs));
	t.containers = cs;
	t.nr_containers = 2;
	cs[0].name = "app";
	cs[0].docker_id = "f00d";
	cs[1].name = "side";

	first = sw_run_container_spec(&e, &t, td, json_array_get(cds, 0));
	second = sw_run_container_spec(&e, &t, td, json_array_get(cds, 1));
	assert_string_equal(sw_json_str(json_object_get(first, "HostConfig"), "NetworkMode"),
			    "bridge");
	assert_int_equal(json_object_size(json_object_get(json_object_get(first, "HostConfig"), "PortBindings")), 0);
	assert_non_null(json_object_get(json_object_get(first, "ExposedPorts"), "8080/tcp"));
	assert_string_equal(sw_json_str(json_object_get(second, "HostConfig"), "NetworkMode"),
			    "container:f00d");
	assert_null(json_object_get(second, "ExposedPorts"));
	assert_null(json_object_get(json_object_get(second, "HostConfig"), "PortBindings"));
	assert_null(json_object_get(json_object_get(second, "HostConfig"), "Dns"));
	json_decref(first);
	json_decref(second);
	json_decref(td);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spec_from_definition),
		cmocka_unit_test(awsvpc_namespace),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
