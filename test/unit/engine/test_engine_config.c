#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/engine_config.h"
#include "common/error.h"
#include "common/banned.h"

/* The settings these tests set; each test starts with none of them. */
static const char *const vars[] = {
	"SLIPWAY_HOME", "SLIPWAY_ENGINE_PORT", "SLIPWAY_ENGINE_STABLE_SECONDS", "SLIPWAY_ENGINE_WORKERS",
	"SLIPWAY_ENGINE_THROTTLE_RATE", "SLIPWAY_ENGINE_THROTTLE_BURST", "SLIPWAY_ROUTER_LISTEN",
};

static int clear(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	setenv("SLIPWAY_HOME", "/tmp/sw-test-engine-config", 1);
	return 0;
}

static void defaults_and_values(void **state)
{
	struct sw_engine_config c;

	(void)state;
	assert_int_equal(sw_engine_config_load(&c), 0);
	assert_int_equal(c.port, 5482);
	assert_int_equal(c.stable_ms, 40000);
	assert_int_equal(c.workers, 3);
	assert_true(c.throttle_rate == 0);
	assert_true(c.throttle_burst == 1);
	assert_string_equal(c.router_listen, "127.0.0.1");
	assert_string_equal(c.state_dir, "/tmp/sw-test-engine-config/engine");
	sw_engine_config_release(&c);

	setenv("SLIPWAY_ENGINE_PORT", "6000", 1);
	setenv("SLIPWAY_ENGINE_STABLE_SECONDS", "0.5", 1);
	setenv("SLIPWAY_ENGINE_THROTTLE_RATE", "2.5", 1);
	setenv("SLIPWAY_ROUTER_LISTEN", "", 1);   /* empty is unset */
	assert_int_equal(sw_engine_config_load(&c), 0);
	assert_int_equal(c.port, 6000);
	assert_int_equal(c.stable_ms, 500);
	assert_true(c.throttle_rate == 2.5);
	assert_true(c.throttle_burst == 5);   /* twice the rate */
	assert_string_equal(c.router_listen, "127.0.0.1");
	sw_engine_config_release(&c);
}

static void refuse(const char *name, const char *value, const char *line)
{
	struct sw_engine_config c;

	setenv(name, value, 1);
	assert_int_equal(sw_engine_config_load(&c), SW_EINVAL);
	assert_string_equal(sw_error_last(), line);
	unsetenv(name);
}

/* A malformed setting is refused with one line naming it (slipway-engine then exits). */
static void malformed_refused(void **state)
{
	(void)state;
	refuse("SLIPWAY_ENGINE_PORT", "x", "SLIPWAY_ENGINE_PORT: want a whole number from 1 to 65535, not 'x'");
	refuse("SLIPWAY_ENGINE_PORT", "70000", "SLIPWAY_ENGINE_PORT: want a whole number from 1 to 65535, not '70000'");
	refuse("SLIPWAY_ENGINE_WORKERS", "+3", "SLIPWAY_ENGINE_WORKERS: want a whole number from 1 to 64, not '+3'");
	refuse("SLIPWAY_ENGINE_STABLE_SECONDS", "-1",
	       "SLIPWAY_ENGINE_STABLE_SECONDS: want seconds from 0 to 86400, not '-1'");
	refuse("SLIPWAY_ENGINE_THROTTLE_RATE", "fast",
	       "SLIPWAY_ENGINE_THROTTLE_RATE: want a number from 0 to 1e+06, not 'fast'");
	refuse("SLIPWAY_ENGINE_THROTTLE_BURST", "0.5",
	       "SLIPWAY_ENGINE_THROTTLE_BURST: want a number from 1 to 1e+06, not '0.5'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(defaults_and_values, clear),
		cmocka_unit_test_setup(malformed_refused, clear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
