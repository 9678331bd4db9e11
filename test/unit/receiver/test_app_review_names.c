#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "receiver/app.h"
#include "releaser/review.h"
#include "common/buf.h"
#include "common/banned.h"

/* A review app's name, "<app>-<slug>", is one the API takes, never one a push creates. */
static void review_names_are_app_refs(void **state)
{
	struct sw_buf name = SW_BUF_INIT;
	char branch[121];
	(void)state;
	memset(branch, 'q', 120);
	branch[120] = '\0';
	sw_buf_adds(&name, "abcdefghijklmnopqrstuvwxyz0123-");   /* the longest app name */
	sw_review_slug(branch, SW_REVIEW_SLUG_MAX, &name);
	assert_int_equal(name.len, SW_REVIEW_NAME_MAX);
	assert_true(sw_app_ref_valid(name.ptr));
	assert_false(sw_app_name_valid(name.ptr));
	assert_true(sw_app_ref_valid("hello-feature-login"));
	assert_true(sw_app_ref_valid("abc"));
	assert_false(sw_app_ref_valid("ab"));
	assert_false(sw_app_ref_valid("1abc"));
	assert_false(sw_app_ref_valid("abc_def"));
	assert_false(sw_app_ref_valid("abc/def"));
	assert_false(sw_app_ref_valid("abc.git"));
	sw_buf_addch(&name, 'x');   /* 64 */
	assert_false(sw_app_ref_valid(name.ptr));
	sw_buf_release(&name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(review_names_are_app_refs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
