/* Task definitions (engine/ecs/ecs_taskdef.h): what a task of one reserves, task-level sizes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine/ecs/ecs_taskdef.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(task_needs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
