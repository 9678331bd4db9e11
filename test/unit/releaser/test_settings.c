/* The releaser's settings from the environment: defaults, values, and one line naming a bad one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "releaser/settings.h"
#include "common/error.h"
#include "common/banned.h"

static void settings_from_env(void **state)
{
	struct sw_settings s = SW_SETTINGS_INIT;
	unsetenv("SLIPWAY_CLUSTER");
	unsetenv("SLIPWAY_APPS_URL");
	setenv("SLIPWAY_ROUTER_PORT", "6000", 1);
	setenv("SLIPWAY_CRASH_LIMIT", "5", 1);
	assert_int_equal(sw_settings_load(&s), 0);
	assert_string_equal(s.cluster, "default");
	assert_string_equal(s.apps_url, "http://{app}.localhost:6000");
	assert_int_equal(s.crash_limit, 5);
	assert_int_equal(s.deadline_s, 600);
	assert_int_equal(s.load_balancer, 1);
	assert_null(s.listener_arn);
	sw_settings_release(&s);

	setenv("SLIPWAY_CRASH_LIMIT", "lots", 1);
	assert_int_equal(sw_settings_load(&s), SW_EINVAL);
	assert_string_equal(sw_error_last(), "SLIPWAY_CRASH_LIMIT: want a whole number from 1 to 1000, not 'lots'");
	unsetenv("SLIPWAY_CRASH_LIMIT");
	setenv("SLIPWAY_LOAD_BALANCER", "alb", 1);
	assert_int_equal(sw_settings_load(&s), SW_EINVAL);
	assert_string_equal(sw_error_last(), "SLIPWAY_LOAD_BALANCER: want elbv2 or none, not 'alb'");
	setenv("SLIPWAY_LOAD_BALANCER", "none", 1);
	setenv("SLIPWAY_APPS_URL", "https://apps.example.com", 1);
	assert_int_equal(sw_settings_load(&s), SW_EINVAL);
	assert_string_equal(sw_error_last(), "SLIPWAY_APPS_URL: must contain {app}");
	setenv("SLIPWAY_APPS_URL", "https://{app}.apps.example.com", 1);
	assert_int_equal(sw_settings_load(&s), 0);
	assert_int_equal(s.load_balancer, 0);
	sw_settings_release(&s);
	unsetenv("SLIPWAY_LOAD_BALANCER");
	unsetenv("SLIPWAY_APPS_URL");
}

/* The router's port goes into the apps' URL: a port it is, or slipwayd does not start. */
static void router_port_checked(void **state)
{
	struct sw_settings s = SW_SETTINGS_INIT;
	(void)state;
	unsetenv("SLIPWAY_APPS_URL");
	setenv("SLIPWAY_APPS_DOMAIN", "apps.test", 1);
	setenv("SLIPWAY_ROUTER_PORT", "80", 1);
	assert_int_equal(sw_settings_load(&s), 0);
	assert_string_equal(s.apps_url, "http://{app}.apps.test:80");
	assert_string_equal(s.apps_domain, "apps.test");
	sw_settings_release(&s);
	setenv("SLIPWAY_ROUTER_PORT", "5481/x", 1);
	assert_int_equal(sw_settings_load(&s), SW_EINVAL);
	assert_string_equal(sw_error_last(), "SLIPWAY_ROUTER_PORT: want a whole number from 1 to 65535, not '5481/x'");
	assert_null(s.cluster);   /* nothing half-made */
	unsetenv("SLIPWAY_ROUTER_PORT");
	unsetenv("SLIPWAY_APPS_DOMAIN");
	assert_int_equal(sw_settings_load(&s), 0);
	assert_string_equal(s.apps_url, "http://{app}.localhost:5481");
	sw_settings_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(settings_from_env),
		cmocka_unit_test(router_port_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
