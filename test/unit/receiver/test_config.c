/* slipwayd's settings: SLIPWAY_BUILD_TIMEOUT and the hook timeout that follows it; malformed ones refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "receiver/config.h"
#include "common/error.h"
#include "common/banned.h"

static int setup(void **state)
{
	(void)state;
	setenv("SLIPWAY_HOME", "/tmp/sw-test-config", 1);
	setenv("SLIPWAY_HOOK", "/usr/bin/true", 1);
	unsetenv("SLIPWAY_BUILD_TIMEOUT");
	unsetenv("SLIPWAY_HOOK_TIMEOUT");
	return 0;
}

/* Load with SLIPWAY_BUILD_TIMEOUT=value (NULL: unset): 0 and the seconds, text and hook timeout. */
static int load(const char *value, long *secs, char *text, size_t n, long *hook)
{
	struct sw_config c = SW_CONFIG_INIT;
	int r;

	if (value)
		setenv("SLIPWAY_BUILD_TIMEOUT", value, 1);
	else
		unsetenv("SLIPWAY_BUILD_TIMEOUT");
	r = sw_config_load(&c);
	if (r == 0) {
		*secs = c.build_timeout;
		snprintf(text, n, "%s", c.build_timeout_text);
		*hook = c.hook_timeout;
	}
	sw_config_release(&c);
	return r;
}

static void build_timeout_values(void **state)
{
	static const struct {
		const char *value;
		long secs;
		const char *text;
	} cases[] = {
		{ NULL, 3600, "60m" },      /* the default */
		{ "", 3600, "60m" },
		{ "5", 5, "5s" },           /* bare seconds */
		{ "90", 90, "1m30s" },
		{ "3600", 3600, "60m" },
		{ "45s", 45, "45s" },
		{ "30m", 1800, "30m" },
		{ "1h30m", 5400, "90m" },
		{ "2h", 7200, "120m" },
		{ "1.5", 2, "2s" },         /* rounded up to whole seconds */
		{ "1500ms", 2, "2s" },
		{ "24h", 86400, "1440m" },
	};
	char text[32];
	long secs = 0, hook = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (load(cases[i].value, &secs, text, sizeof(text), &hook) < 0)
			fail_msg("%s: %s", cases[i].value ? cases[i].value : "(unset)", sw_error_last());
		assert_int_equal(secs, cases[i].secs);
		assert_string_equal(text, cases[i].text);
		assert_int_equal(hook, cases[i].secs + 3600);   /* the hook outlasts build + release */
	}
}

static void build_timeout_refused(void **state)
{
	static const char *bad[] = { "0", "0s", "500ms", "-5", "abc", "5x", "25h", "86401", "1e9", " 5" };
	char text[32];
	long secs = 0, hook = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (load(bad[i], &secs, text, sizeof(text), &hook) != SW_EINVAL)
			fail_msg("SLIPWAY_BUILD_TIMEOUT=%s was taken", bad[i]);
		assert_non_null(strstr(sw_error_last(), "SLIPWAY_BUILD_TIMEOUT: want seconds or a duration"));
		assert_non_null(strstr(sw_error_last(), bad[i]));
	}
}

static void hook_timeout_set_wins(void **state)
{
	char text[32];
	long secs = 0, hook = 0;

	(void)state;
	setenv("SLIPWAY_HOOK_TIMEOUT", "600", 1);
	assert_int_equal(load("30m", &secs, text, sizeof(text), &hook), 0);
	assert_int_equal(hook, 600);
	unsetenv("SLIPWAY_HOOK_TIMEOUT");
}

/* Every setting under one policy: a malformed one stops slipwayd with one line naming it. */
static void malformed_settings_refused(void **state)
{
	static const struct {
		const char *name, *value, *says;
	} bad[] = {
		{ "SLIPWAY_PORT", "http", "SLIPWAY_PORT: want a whole number from 1 to 65535, not 'http'" },
		{ "SLIPWAY_MAX_BUILDS", "0", "SLIPWAY_MAX_BUILDS: want a whole number from 1 to 64, not '0'" },
		{ "SLIPWAY_REVIEW_SWEEP_SECS", "5m", "SLIPWAY_REVIEW_SWEEP_SECS: want a whole number from 1 to 86400, not '5m'" },
		{ "SLIPWAY_REVIEW_LIMIT", "-1", "SLIPWAY_REVIEW_LIMIT: want a whole number from 0 to 10000, not '-1'" },
		{ "SLIPWAY_REVIEW_IDLE", "soon",
		  "SLIPWAY_REVIEW_IDLE: 'soon' is not a duration (days, or like 7d, 12h, 30m, 45s; or off)" },
		{ "SLIPWAY_MAX_PUSH_SIZE", "lots", "SLIPWAY_MAX_PUSH_SIZE: want a size like 500m or 2g, not \"lots\"" },
	};
	struct sw_config c = SW_CONFIG_INIT;
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv(bad[i].name, bad[i].value, 1);
		assert_int_equal(sw_config_load(&c), SW_EINVAL);
		assert_string_equal(sw_error_last(), bad[i].says);
		sw_config_release(&c);
		unsetenv(bad[i].name);
	}
	setenv("SLIPWAY_REVIEW_SWEEP_SECS", "2", 1);
	setenv("SLIPWAY_REVIEW_IDLE", "1d12h", 1);
	assert_int_equal(sw_config_load(&c), 0);
	assert_int_equal(c.review_sweep_secs, 2);
	assert_int_equal(c.review.idle_secs, 36 * 3600);
	assert_int_equal(c.review.limit, 10);
	sw_config_release(&c);
	unsetenv("SLIPWAY_REVIEW_SWEEP_SECS");
	unsetenv("SLIPWAY_REVIEW_IDLE");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(build_timeout_values, setup),
		cmocka_unit_test_setup(build_timeout_refused, setup),
		cmocka_unit_test_setup(hook_timeout_set_wins, setup),
		cmocka_unit_test_setup(malformed_settings_refused, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
