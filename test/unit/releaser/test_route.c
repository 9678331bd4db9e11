/* An app's target group names: "sw-<app>", cut with a hash when the app's name is long, and the other launch's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "releaser/route.h"
#include "common/banned.h"

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
	/* the alternate (blue/green): within the policy's sw-* and never another app's name */
	sw_buf_reset(&b);
	sw_route_alt_target_group_name("hello", &b);
	assert_string_equal(b.ptr, "sw-2-hello");
	sw_buf_reset(&b);
	sw_route_alt_target_group_name("a23456789012345678901234567890", &b);
	assert_int_equal(b.len, 32);
	assert_int_equal(strncmp(b.ptr, "sw-2-a23456789012345678-", 24), 0);
	sw_buf_release(&b);
}

/* No name holds "--" (CloudFormation and the console refuse one), whatever the app's name. */
static void no_double_hyphen(void **state)
{
	static const char *const apps[] = {
		"my--app", "a---b", "a2345678901234567-9012345678", "a234567890123456789-12345678",
		"a23456789012345678-012345678", "a23456789012345678901234567890-feature-login",
	};
	void (*const names[])(const char *, struct sw_buf *) = {
		sw_route_target_group_name, sw_route_alt_target_group_name, sw_route_target_group_alt_name,
	};
	struct sw_buf b = SW_BUF_INIT, other = SW_BUF_INIT;
	size_t i, j;

	for (i = 0; i < sizeof(apps) / sizeof(apps[0]); i++)
		for (j = 0; j < sizeof(names) / sizeof(names[0]); j++) {
			sw_buf_reset(&b);
			names[j](apps[i], &b);
			if (b.len > 32 || strstr(b.ptr, "--") || b.ptr[b.len - 1] == '-')
				fail_msg("%s of %s: '%s'", j ? "an alternate" : "the name", apps[i], b.ptr);
		}
	/* hashed, single hyphens kept: still distinct from the app without the double one */
	sw_buf_reset(&b);
	sw_route_target_group_name("my--app", &b);
	assert_int_equal(strncmp(b.ptr, "sw-my-app-", 10), 0);
	assert_int_equal(b.len, 18);
	sw_route_target_group_name("my-app", &other);
	assert_string_equal(other.ptr, "sw-my-app");
	sw_buf_release(&b);
	sw_buf_release(&other);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(target_group_names),
		cmocka_unit_test(alternate_target_group_names),
		cmocka_unit_test(no_double_hyphen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
