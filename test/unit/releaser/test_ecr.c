#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "releaser/ecr.h"
#include "releaser/route.h"
#include "releaser/settings.h"
#include "common/error.h"
#include "common/banned.h"

static void decode_token(void **state)
{
	char *user = NULL, *pw = NULL;
	/* base64("AWS:s3cr3t:with:colons") */
	assert_int_equal(sw_ecr_decode_token("QVdTOnMzY3IzdDp3aXRoOmNvbG9ucw==", &user, &pw), 0);
	assert_string_equal(user, "AWS");
	assert_string_equal(pw, "s3cr3t:with:colons");
	free(user);
	free(pw);
	/* base64("AWS:x"), padding of one */
	assert_int_equal(sw_ecr_decode_token("QVdTOng=", &user, &pw), 0);
	assert_string_equal(pw, "x");
	free(user);
	free(pw);
	assert_int_equal(sw_ecr_decode_token("", &user, &pw), SW_EINVAL);
	assert_int_equal(sw_ecr_decode_token("QVdT", &user, &pw), SW_EINVAL);       /* "AWS": no colon */
	assert_string_equal(sw_error_last(), "ECR: authorization token is not user:password");
	assert_int_equal(sw_ecr_decode_token("QVdTOng", &user, &pw), SW_EINVAL);    /* bad length */
	assert_int_equal(sw_ecr_decode_token("!!!!", &user, &pw), SW_EINVAL);
	assert_null(user);
	assert_null(pw);
}

static void target_group_names(void **state)
{
	struct sw_buf b = SW_BUF_INIT;
	sw_route_target_group_name("hello", &b);
	assert_string_equal(b.ptr, "sw-hello");
	sw_buf_reset(&b);
	sw_route_target_group_name("a23456789012345678901234567890", &b);   /* 30 chars */
	assert_true(b.len <= 32);
	assert_int_equal(strncmp(b.ptr, "sw-a2345678901234567890-", 24), 0);
	{
		struct sw_buf other = SW_BUF_INIT;
		sw_route_target_group_name("a23456789012345678901234567891", &other);
		assert_true(other.len <= 32);
		assert_string_not_equal(b.ptr, other.ptr);
		sw_buf_release(&other);
	}
	sw_buf_release(&b);
}

/* The other launch's target group: always hashed, never a name another app's first one can take. */
static void alternate_target_group_names(void **state)
{
	struct sw_buf a = SW_BUF_INIT, b = SW_BUF_INIT;
	sw_route_target_group_alt_name("hello", &a);
	assert_true(a.len <= 32);
	assert_int_equal(strncmp(a.ptr, "sw-hello-", 9), 0);
	assert_int_equal(a.ptr[a.len - 2], '-');
	assert_int_equal(a.ptr[a.len - 1], 'b');
	sw_route_target_group_alt_name("a23456789012345678901234567890-feature-login", &b);   /* a review app */
	assert_int_equal(b.len, 32);
	assert_string_not_equal(a.ptr, b.ptr);
	sw_buf_release(&a);
	sw_buf_release(&b);
}

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
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decode_token),
		cmocka_unit_test(target_group_names),
		cmocka_unit_test(alternate_target_group_names),
		cmocka_unit_test(settings_from_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
