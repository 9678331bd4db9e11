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
	assert_string_equal(b.ptr, "sw--hello");
	sw_buf_reset(&b);
	sw_route_alt_target_group_name("a23456789012345678901234567890", &b);
	assert_true(b.len <= 32);
	assert_int_equal(strncmp(b.ptr, "sw--a234567890123456789-", 24), 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(target_group_names),
		cmocka_unit_test(alternate_target_group_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
