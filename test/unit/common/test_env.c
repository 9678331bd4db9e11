#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/env.h"
#include "common/error.h"
#include "common/time.h"
#include "common/banned.h"

#define VAR "SW_TEST_ENV_SETTING"

static void set(const char *v)
{
	if (v)
		setenv(VAR, v, 1);
	else
		unsetenv(VAR);
}

static void strings(void **state)
{
	char *s;

	(void)state;
	set(NULL);
	assert_null(sw_env_str(VAR));
	s = sw_env_strdup(VAR, "dflt");
	assert_string_equal(s, "dflt");
	free(s);
	assert_null(sw_env_strdup(VAR, NULL));
	set("");   /* empty is unset */
	assert_null(sw_env_str(VAR));
	set("x y");
	assert_string_equal(sw_env_str(VAR), "x y");
	s = sw_env_strdup(VAR, "dflt");
	assert_string_equal(s, "x y");
	free(s);
	set(NULL);
}

static void whole_numbers(void **state)
{
	static const char *const bad[] = { "abc", "5x",  " 5", "+5", "0x10",
					   "65536", "0", "1.5", "-", "99999999999999999999" };
	long long n = -7;
	size_t i;

	(void)state;
	set(NULL);
	assert_int_equal(sw_env_int(VAR, 5480, 1, 65535, &n), 0);
	assert_int_equal(n, 5480);
	set("");
	assert_int_equal(sw_env_int(VAR, 12, 1, 65535, &n), 0);
	assert_int_equal(n, 12);
	set("8080");
	assert_int_equal(sw_env_int(VAR, 5480, 1, 65535, &n), 0);
	assert_int_equal(n, 8080);
	set("-3");
	assert_int_equal(sw_env_int(VAR, 0, -5, 5, &n), 0);
	assert_int_equal(n, -3);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set(bad[i]);
		n = -7;
		if (sw_env_int(VAR, 5480, 1, 65535, &n) != SW_EINVAL)
			fail_msg("%s=%s was taken", VAR, bad[i]);
		assert_int_equal(n, -7);   /* left as it was */
		assert_non_null(strstr(sw_error_last(), VAR ": want a whole number from 1 to 65535, not '"));
		assert_non_null(strstr(sw_error_last(), bad[i]));
		assert_null(strchr(sw_error_last(), '\n'));
	}
	set(NULL);
}

static void seconds(void **state)
{
	long long ms = -1;

	(void)state;
	set(NULL);
	assert_int_equal(sw_env_seconds(VAR, 40, 0, 86400, &ms), 0);
	assert_int_equal(ms, 40000);
	set("2.5");
	assert_int_equal(sw_env_seconds(VAR, 40, 0, 86400, &ms), 0);
	assert_int_equal(ms, 2500);
	set(".25");
	assert_int_equal(sw_env_seconds(VAR, 40, 0, 86400, &ms), 0);
	assert_int_equal(ms, 250);
	set("0");
	assert_int_equal(sw_env_seconds(VAR, 40, 0, 86400, &ms), 0);
	assert_int_equal(ms, 0);
	set("86401");
	assert_int_equal(sw_env_seconds(VAR, 40, 0, 86400, &ms), SW_EINVAL);
	assert_string_equal(sw_error_last(), VAR ": want seconds from 0 to 86400, not '86401'");
	set("-1");
	assert_int_equal(sw_env_seconds(VAR, 40, 0, 86400, &ms), SW_EINVAL);
	set("nan");
	assert_int_equal(sw_env_seconds(VAR, 40, 0, 86400, &ms), SW_EINVAL);
	set("2s");
	assert_int_equal(sw_env_seconds(VAR, 40, 0, 86400, &ms), SW_EINVAL);
	assert_int_equal(ms, 0);
	set(NULL);
}

static void numbers(void **state)
{
	double x = -1;

	(void)state;
	set(NULL);
	assert_int_equal(sw_env_number(VAR, 0.5, 0, 1e6, &x), 0);
	assert_true(x == 0.5);
	set("4");
	assert_int_equal(sw_env_number(VAR, 0, 0, 1e6, &x), 0);
	assert_true(x == 4);
	set("2.25");
	assert_int_equal(sw_env_number(VAR, 0, 1, 1e6, &x), 0);
	assert_true(x == 2.25);
	set("0.5");
	assert_int_equal(sw_env_number(VAR, 0, 1, 1e6, &x), SW_EINVAL);
	assert_string_equal(sw_error_last(), VAR ": want a number from 1 to 1e+06, not '0.5'");
	assert_true(x == 2.25);
	set("inf");
	assert_int_equal(sw_env_number(VAR, 0, 0, 1e6, &x), SW_EINVAL);
	set("1e3");
	assert_int_equal(sw_env_number(VAR, 0, 0, 1e6, &x), 0);   /* strtod's exponent, after a digit */
	assert_true(x == 1000);
	set(NULL);
}

static void durations(void **state)
{
	static const char *const bad[] = { "0", "0s", "500ms", "-5", "abc", "5x", "25h", "86401", "1e9", " 5", "1d" };
	long long ms = -1;
	size_t i;

	(void)state;
	set(NULL);
	assert_int_equal(sw_env_duration(VAR, 3600000, 1000, 86400000, 0, &ms), 0);
	assert_int_equal(ms, 3600000);
	set("90");
	assert_int_equal(sw_env_duration(VAR, 3600000, 1000, 86400000, 0, &ms), 0);
	assert_int_equal(ms, 90000);
	set("1h30m");
	assert_int_equal(sw_env_duration(VAR, 3600000, 1000, 86400000, 0, &ms), 0);
	assert_int_equal(ms, 5400000);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set(bad[i]);
		if (sw_env_duration(VAR, 3600000, 1000, 86400000, 0, &ms) != SW_EINVAL)
			fail_msg("%s=%s was taken", VAR, bad[i]);
		assert_non_null(strstr(sw_error_last(),
				       VAR ": want seconds or a duration like 30m or 2h, from 1s to 24h, not \""));
		assert_non_null(strstr(sw_error_last(), bad[i]));
	}
	/* days where the setting takes them */
	set("7d");
	assert_int_equal(sw_env_duration(VAR, 0, 1000, 3650LL * 86400000, SW_DURATION_BARE_DAYS, &ms), 0);
	assert_int_equal(ms, 7 * 86400000LL);
	set("3");
	assert_int_equal(sw_env_duration(VAR, 0, 1000, 3650LL * 86400000, SW_DURATION_BARE_DAYS, &ms), 0);
	assert_int_equal(ms, 3 * 86400000LL);
	set("7x");
	assert_int_equal(sw_env_duration(VAR, 0, 1000, 3650LL * 86400000, SW_DURATION_BARE_DAYS, &ms), SW_EINVAL);
	assert_string_equal(sw_error_last(),
			    VAR ": want days or a duration like 30m or 2h, from 1s to 3650d, not \"7x\"");
	set(NULL);
}

static void booleans(void **state)
{
	static const char *const yes[] = { "1", "true", "TRUE", "yes", "On" };
	static const char *const no[] = { "0", "false", "No", "off" };
	int b = -1;
	size_t i;

	(void)state;
	set(NULL);
	assert_int_equal(sw_env_bool(VAR, 1, &b), 0);
	assert_int_equal(b, 1);
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		set(yes[i]);
		assert_int_equal(sw_env_bool(VAR, 0, &b), 0);
		assert_int_equal(b, 1);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		set(no[i]);
		assert_int_equal(sw_env_bool(VAR, 1, &b), 0);
		assert_int_equal(b, 0);
	}
	set("maybe");
	b = -1;
	assert_int_equal(sw_env_bool(VAR, 1, &b), SW_EINVAL);
	assert_int_equal(b, -1);
	assert_string_equal(sw_error_last(), VAR ": want true or false (1/0, yes/no, on/off), not 'maybe'");
	set(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strings),
		cmocka_unit_test(whole_numbers),
		cmocka_unit_test(seconds),
		cmocka_unit_test(numbers),
		cmocka_unit_test(durations),
		cmocka_unit_test(booleans),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
