#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "receiver/app.h"
#include "releaser/review.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/banned.h"

static void good_names(void **state)
{
	assert_true(sw_app_name_valid("abc"));
	assert_true(sw_app_name_valid("hello"));
	assert_true(sw_app_name_valid("my-app-2"));
	assert_true(sw_app_name_valid("a12"));
	assert_true(sw_app_name_valid("a------b"));
	assert_true(sw_app_name_valid("abcdefghijklmnopqrstuvwxyz0123")); /* 30 */
}

static void bad_names(void **state)
{
	char longname[201];

	memset(longname, 'a', 200);
	longname[200] = '\0';
	assert_false(sw_app_name_valid(""));
	assert_false(sw_app_name_valid("ab"));                 /* too short */
	assert_false(sw_app_name_valid("abcdefghijklmnopqrstuvwxyz01234")); /* 31 */
	assert_false(sw_app_name_valid(longname));
	assert_false(sw_app_name_valid("A"));
	assert_false(sw_app_name_valid("Hello"));
	assert_false(sw_app_name_valid("1abc"));
	assert_false(sw_app_name_valid("-abc"));
	assert_false(sw_app_name_valid("abc-"));                 /* a name ends in a letter or digit */
	assert_false(sw_app_name_valid("a-------"));
	assert_false(sw_app_name_valid("a b"));
	assert_false(sw_app_name_valid("../x"));
	assert_false(sw_app_name_valid(".."));
	assert_false(sw_app_name_valid("%2e%2e"));
	assert_false(sw_app_name_valid("abc/def"));
	assert_false(sw_app_name_valid("abc.git"));
	assert_false(sw_app_name_valid("abc_def"));
	assert_false(sw_app_name_valid("abc\n"));
	assert_false(sw_app_name_valid("h\xc3\xa9llo"));
}

static void git_paths(void **state)
{
	char app[SW_APP_REF_MAX + 1];
	const char *rest = NULL;

	assert_int_equal(sw_app_parse_git_path("/hello.git/info/refs", app, &rest), 0);
	assert_string_equal(app, "hello");
	assert_string_equal(rest, "/info/refs");
	assert_int_equal(sw_app_parse_git_path("/hello.git", app, &rest), 0);
	assert_string_equal(rest, "");
	assert_int_equal(sw_app_parse_git_path("/my-app.git/git-receive-pack", app, &rest), 0);
	assert_string_equal(app, "my-app");
	assert_string_equal(rest, "/git-receive-pack");
	/* a review app's name is longer than an app's: parsed, so it can be refused by name */
	assert_int_equal(sw_app_parse_git_path("/hello-feature-make-the-login-page-re-0a1b2c3d.git/info/refs", app,
					       &rest), 0);
	assert_string_equal(app, "hello-feature-make-the-login-page-re-0a1b2c3d");
	assert_int_equal(sw_app_parse_git_path("/a123456789012345678901234567890123456789012345678901234567890123.git",
					       app, &rest), SW_EINVAL);

	assert_int_equal(sw_app_parse_git_path("/../x.git/info/refs", app, &rest), SW_EINVAL);
	assert_string_equal(app, "");
	assert_int_equal(sw_app_parse_git_path("/A.git/info/refs", app, &rest), SW_EINVAL);
	assert_int_equal(sw_app_parse_git_path("/a b.git/info/refs", app, &rest), SW_EINVAL);
	assert_int_equal(sw_app_parse_git_path("/...git/info/refs", app, &rest), SW_EINVAL);
	assert_int_equal(sw_app_parse_git_path("/.git/info/refs", app, &rest), SW_EINVAL);
	assert_int_equal(sw_app_parse_git_path("/a/b.git/info/refs", app, &rest), SW_EINVAL);
	assert_int_equal(sw_app_parse_git_path("/hello.gitx/info/refs", app, &rest), SW_ENOTFOUND);
	assert_int_equal(sw_app_parse_git_path("/hello/info/refs", app, &rest), SW_ENOTFOUND);
	assert_int_equal(sw_app_parse_git_path("/", app, &rest), SW_ENOTFOUND);
	assert_int_equal(sw_app_parse_git_path("hello.git", app, &rest), SW_ENOTFOUND);
	assert_non_null(strstr(sw_error_last(), "not found"));
}

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
		cmocka_unit_test(good_names),
		cmocka_unit_test(bad_names),
		cmocka_unit_test(git_paths),
		cmocka_unit_test(review_names_are_app_refs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
