/* Listener rules as the router's regular expressions, and health check matchers (engine/elb/router.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/elb/router.h"
#include "common/error.h"
#include "common/banned.h"

static void rule_regex_host_and_path(void **state)
{
	const char *hosts[] = { "Demo.localhost", "*.demo.localhost" };
	const char *paths[] = { "/api/*", "/v?" };
	struct sw_elb_router_rule rule = { hosts, 2, paths, 2, "tg", NULL, 0 };
	char *re = NULL;

	assert_int_equal(sw_elb_router_rule_regex(&rule, &re), 0);
	assert_string_equal(re, "^(?:demo[.]localhost|[^/]*[.]demo[.]localhost)(?:/api/.*|/v.)$");
	free(re);
}

static void rule_regex_defaults(void **state)
{
	const char *hosts[] = { "a.localhost" };
	const char *paths[] = { "/x$y+z" };
	struct sw_elb_router_rule host_only = { hosts, 1, NULL, 0, "tg", NULL, 0 };
	struct sw_elb_router_rule path_only = { NULL, 0, paths, 1, "tg", NULL, 0 };
	char *re = NULL;

	assert_int_equal(sw_elb_router_rule_regex(&host_only, &re), 0);
	assert_string_equal(re, "^(?:a[.]localhost)/.*$");
	free(re);
	assert_int_equal(sw_elb_router_rule_regex(&path_only, &re), 0);
	assert_string_equal(re, "^[^/]*(?:/x[$]y[+]z)$");
	free(re);
}

static void rule_regex_rejects_bad_characters(void **state)
{
	const char *hosts[] = { "a b" };
	const char *paths[] = { "/a;del server" };
	const char *paths2[] = { "/a\\b" };
	struct sw_elb_router_rule r1 = { hosts, 1, NULL, 0, "tg", NULL, 0 };
	struct sw_elb_router_rule r2 = { NULL, 0, paths, 1, "tg", NULL, 0 };
	struct sw_elb_router_rule r3 = { NULL, 0, paths2, 1, "tg", NULL, 0 };
	char *re = NULL;

	assert_int_equal(sw_elb_router_rule_regex(&r1, &re), SW_EINVAL);
	assert_null(re);
	assert_int_equal(sw_elb_router_rule_regex(&r2, &re), SW_EINVAL);
	assert_int_equal(sw_elb_router_rule_regex(&r3, &re), SW_EINVAL);
	assert_non_null(strstr(sw_error_last(), "not allowed"));
}

static void matchers(void **state)
{
	assert_true(sw_elb_router_matcher_valid("200"));
	assert_true(sw_elb_router_matcher_valid("200-299"));
	assert_true(sw_elb_router_matcher_valid("200,302,404-410"));
	assert_false(sw_elb_router_matcher_valid(""));
	assert_false(sw_elb_router_matcher_valid("20"));
	assert_false(sw_elb_router_matcher_valid("200-"));
	assert_false(sw_elb_router_matcher_valid("200,"));
	assert_false(sw_elb_router_matcher_valid("2xx"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rule_regex_host_and_path),
		cmocka_unit_test(rule_regex_defaults),
		cmocka_unit_test(rule_regex_rejects_bad_characters),
		cmocka_unit_test(matchers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
