#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "releaser/manifest.h"
#include "releaser/strategy.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/banned.h"

static void checks_values(void **state)
{
	(void)state;
	assert_int_equal(sw_strategy_check("x", "strategy", "blue-green"), 1);
	assert_int_equal(sw_strategy_check("x", "bake", "0"), 1);
	assert_int_equal(sw_strategy_check("x", "bake", "1h"), 1);
	assert_int_equal(sw_strategy_check("x", "canary_percent", "2.5"), 1);
	assert_int_equal(sw_strategy_check("x", "step_percent", "3"), 1);
	assert_int_equal(sw_strategy_check("x", "port", "80"), 0);
	assert_int_equal(sw_strategy_check("x", "strategy", "fast"), SW_EINVAL);
	assert_int_equal(sw_strategy_check("x", "bake", "25h"), SW_EINVAL);
	assert_int_equal(sw_strategy_check("x", "canary_bake", "30s"), SW_EINVAL);
	assert_int_equal(sw_strategy_check("x", "canary_percent", "0"), SW_EINVAL);
	assert_int_equal(sw_strategy_check("x", "canary_percent", "100.5"), SW_EINVAL);
	assert_int_equal(sw_strategy_check("x", "canary_percent", "1.25"), SW_EINVAL);
	assert_int_equal(sw_strategy_check("x", "step_percent", "2.9"), SW_EINVAL);
	assert_string_equal(sw_error_last(), "x: step_percent must be 3 to 100 in steps of 0.1, not '2.9'");
}

/* The ECS members, as botocore's model names them, and the waits they add to a deadline. */
static void ecs_shapes(void **state)
{
	json_t *s = json_pack("{s:s, s:s, s:s, s:s}", "strategy", "canary", "canary_percent", "10", "bake", "2m",
			      "canary_bake", "3m");
	json_t *want = json_pack("{s:s, s:i, s:{s:f, s:i}}", "strategy", "CANARY", "bakeTimeInMinutes", 2,
				 "canaryConfiguration", "canaryPercent", 10.0, "canaryBakeTimeInMinutes", 3);
	json_t *got = sw_strategy_ecs(s);
	(void)state;

	assert_true(json_equal(got, want));
	assert_int_equal(sw_strategy_wait_ms(s), 5 * 60000);
	assert_true(sw_strategy_shifts(s));
	json_decref(got);
	json_decref(want);
	json_decref(s);

	s = json_pack("{s:s, s:s}", "strategy", "linear", "step_percent", "40");
	got = sw_strategy_ecs(s);
	want = json_pack("{s:s, s:i, s:{s:f, s:i}}", "strategy", "LINEAR", "bakeTimeInMinutes", 0,
			 "linearConfiguration", "stepPercent", 40.0, "stepBakeTimeInMinutes", 6);
	assert_true(json_equal(got, want));
	assert_int_equal(sw_strategy_wait_ms(s), 3 * 6 * 60000);   /* 40%, 80%, 100% */
	json_decref(got);
	json_decref(want);
	json_decref(s);

	s = json_object();
	got = sw_strategy_ecs(s);
	want = json_pack("{s:s}", "strategy", "ROLLING");
	assert_true(json_equal(got, want));
	assert_false(sw_strategy_shifts(s));
	assert_int_equal(sw_strategy_wait_ms(s), 0);
	json_decref(got);
	json_decref(want);
	json_decref(s);
}

/* A Procfile's "# slipway:" comment sets them too. */
static void procfile_directive(void **state)
{
	struct sw_manifest m = SW_MANIFEST_INIT;
	const char *pf = "# slipway: strategy=blue-green bake=1m\nweb: httpd -f -p $PORT\n";
	struct sw_buf d = SW_BUF_INIT;
	(void)state;

	assert_int_equal(sw_manifest_parse_procfile(&m, "Procfile", pf, strlen(pf), NULL), 0);
	sw_strategy_describe(m.strategy, &d);
	assert_string_equal(d.ptr, "blue-green, bake 1m");
	sw_manifest_release(&m);
	sw_manifest_init(&m);
	pf = "# slipway: strategy=canary canary_bake=2\nweb: httpd\n";
	assert_true(sw_manifest_parse_procfile(&m, "Procfile", pf, strlen(pf), NULL) < 0);
	assert_string_equal(sw_error_last(), "Procfile:1: canary_bake must be whole minutes from 0 to 24h (like 2m or 1h), "
			    "not '2'");
	sw_manifest_release(&m);
	sw_buf_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(checks_values),
		cmocka_unit_test(ecs_shapes),
		cmocka_unit_test(procfile_directive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
