#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine/api/awsjson.h"
#include "engine/engine.h"
#include "common/banned.h"

static void arn_names(void **state)
{
	struct sw_buf name = SW_BUF_INIT, cl = SW_BUF_INIT;
	assert_string_equal(sw_engine_arn_name("web", "service", &name, &cl), "web");
	assert_int_equal(cl.len, 0);
	assert_string_equal(sw_engine_arn_name("arn:aws:ecs:us-east-1:000000000000:service/prod/web", "service",
					       &name, &cl), "web");
	assert_string_equal(cl.ptr, "prod");
	assert_string_equal(sw_engine_arn_name("arn:aws:ecs:us-east-1:000000000000:task/default/abc", "task",
					       &name, &cl), "abc");
	assert_string_equal(sw_engine_arn_name("arn:aws:ecs:us-east-1:000000000000:task-definition/web:3",
					       "task-definition", &name, NULL), "web:3");
	assert_null(sw_engine_arn_name("arn:aws:ecs:us-east-1:000000000000:cluster/x", "service", &name, &cl));
	assert_null(sw_engine_arn_name("arn:aws:ecs:broken", "cluster", &name, NULL));
	assert_null(sw_engine_arn_name("arn:aws:ecs:us-east-1:000000000000:service/", "service", &name, &cl));
	sw_buf_release(&name);
	sw_buf_release(&cl);
}

static void tokens(void **state)
{
	json_t *o = json_object();
	assert_int_equal(sw_engine_token_parse(NULL), 0);
	assert_int_equal(sw_engine_token_parse("swtok-20"), 20);
	assert_int_equal(sw_engine_token_parse("garbage"), -1);
	assert_int_equal(sw_engine_token_parse("swtok--1"), -1);
	sw_engine_token_set(o, 0, 10, 10);
	assert_null(json_object_get(o, "nextToken"));
	sw_engine_token_set(o, 10, 10, 25);
	assert_string_equal(json_string_value(json_object_get(o, "nextToken")), "swtok-20");
	json_decref(o);
}

static void ids(void **state)
{
	struct sw_buf b = SW_BUF_INIT;
	sw_engine_uuid(&b);
	assert_int_equal(b.len, 36);
	assert_int_equal(b.ptr[14], '4');
	sw_buf_reset(&b);
	sw_engine_random_digits(&b, 19);
	assert_int_equal(b.len, 19);
	assert_true(b.ptr[0] != '0');
	sw_buf_reset(&b);
	sw_engine_random_hex(&b, 16);
	assert_int_equal(b.len, 32);
	sw_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(arn_names),
		cmocka_unit_test(tokens),
		cmocka_unit_test(ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
