#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

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

static void base64(void **state)
{
	struct sw_buf b = SW_BUF_INIT;
	sw_engine_base64(&b, "AWS:secret", 10, 0);
	assert_string_equal(b.ptr, "QVdTOnNlY3JldA==");
	sw_buf_reset(&b);
	sw_engine_base64(&b, "\xfb\xff", 2, 1);
	assert_string_equal(b.ptr, "-_8=");
	sw_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(arn_names),
		cmocka_unit_test(ids),
		cmocka_unit_test(base64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
