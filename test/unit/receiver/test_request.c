#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "receiver/request.h"
#include "common/banned.h"

static void paths_split_into_segments(void **state)
{
	char store[32];
	const char *seg[4];
	(void)state;

	assert_int_equal(sw_request_split("apps/hello/builds", store, sizeof(store), seg, 4), 3);
	assert_string_equal(seg[0], "apps");
	assert_string_equal(seg[1], "hello");
	assert_string_equal(seg[2], "builds");
	assert_int_equal(sw_request_split("", store, sizeof(store), seg, 4), 0);
	assert_int_equal(sw_request_split("apps", store, sizeof(store), seg, 4), 1);
	assert_int_equal(sw_request_split("apps//builds", store, sizeof(store), seg, 4), -1);   /* empty part */
	assert_int_equal(sw_request_split("apps/", store, sizeof(store), seg, 4), -1);
	assert_int_equal(sw_request_split("/apps", store, sizeof(store), seg, 4), -1);
	assert_int_equal(sw_request_split("a/b/c/d", store, sizeof(store), seg, 4), 4);
	assert_int_equal(sw_request_split("a/b/c/d/e", store, sizeof(store), seg, 4), -1);       /* too many */
	assert_int_equal(sw_request_split("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", store, sizeof(store), seg, 4), -1);
}

static void ids(void **state)
{
	long long id = 0;
	(void)state;

	assert_int_equal(sw_request_id("12", &id), 0);
	assert_int_equal(id, 12);
	assert_int_equal(sw_request_id("999999999999999", &id), 0);      /* 15 digits */
	assert_int_equal(sw_request_id("1000000000000000", &id), -1);    /* 16 */
	assert_int_equal(sw_request_id("0", &id), -1);
	assert_int_equal(sw_request_id("", &id), -1);
	assert_int_equal(sw_request_id(NULL, &id), -1);
	assert_int_equal(sw_request_id("-3", &id), -1);
	assert_int_equal(sw_request_id("+3", &id), -1);
	assert_int_equal(sw_request_id("3x", &id), -1);
	assert_int_equal(sw_request_id(" 3", &id), -1);
	assert_int_equal(id, 999999999999999LL);   /* untouched by the refusals */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(paths_split_into_segments),
		cmocka_unit_test(ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
