#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/gitref.h"
#include "common/error.h"
#include "common/banned.h"

#define Z40 "0000000000000000000000000000000000000000"
#define A40 "4f2a1c9e0b8d7a6f5e4d3c2b1a09f8e7d6c5b4a3"
#define B40 "77e0c1a00000000000000000000000000000beef"

static int parse(struct sw_gitref_update *u, const char *line)
{
	return sw_gitref_parse_update(u, line, strlen(line));
}

static void update_lines(void **state)
{
	struct sw_gitref_update u = SW_GITREF_UPDATE_INIT;

	assert_int_equal(parse(&u, A40 " " B40 " refs/heads/main"), 0);
	assert_string_equal(u.old_sha, A40);
	assert_string_equal(u.new_sha, B40);
	assert_string_equal(u.ref, "refs/heads/main");
	assert_int_equal(u.kind, SW_GITREF_DEPLOY);
	assert_false(u.is_delete);
	assert_false(u.is_create);

	assert_int_equal(parse(&u, Z40 " " A40 " refs/heads/master"), 0);
	assert_int_equal(u.kind, SW_GITREF_DEPLOY);
	assert_true(u.is_create);

	assert_int_equal(parse(&u, A40 " " Z40 " refs/heads/main"), 0);
	assert_true(u.is_delete);

	assert_int_equal(parse(&u, Z40 " " A40 " refs/heads/feature/x"), 0);
	assert_int_equal(u.kind, SW_GITREF_BRANCH);
	assert_string_equal(sw_gitref_branch(u.ref), "feature/x");

	assert_int_equal(parse(&u, Z40 " " A40 " refs/tags/v1"), 0);
	assert_int_equal(u.kind, SW_GITREF_TAG);
	assert_null(sw_gitref_branch(u.ref));

	assert_int_equal(parse(&u, Z40 " " A40 " refs/notes/commits"), 0);
	assert_int_equal(u.kind, SW_GITREF_OTHER);
	sw_gitref_update_release(&u);
}

static void bad_update_lines(void **state)
{
	struct sw_gitref_update u = SW_GITREF_UPDATE_INIT;

	assert_int_equal(parse(&u, ""), SW_EINVAL);
	assert_int_equal(parse(&u, A40 " " B40), SW_EINVAL);
	assert_int_equal(parse(&u, A40 "  refs/heads/main"), SW_EINVAL);
	assert_int_equal(parse(&u, "4f2a " B40 " refs/heads/main"), SW_EINVAL);
	assert_int_equal(parse(&u, "4F2A1C9E0B8D7A6F5E4D3C2B1A09F8E7D6C5B4A3 " B40 " refs/heads/main"), SW_EINVAL);
	assert_int_equal(parse(&u, A40 " " B40 " main"), SW_EINVAL);
	assert_int_equal(parse(&u, A40 " " B40 " refs/heads/../x"), SW_EINVAL);
	assert_int_equal(parse(&u, A40 " " B40 " refs/heads/a b"), SW_EINVAL);
	assert_non_null(strstr(sw_error_last(), "invalid ref name"));
	assert_null(u.ref);
	assert_int_equal(sw_gitref_parse_update(&u, A40 " " B40 " refs/heads/m\0x", 96), SW_EINVAL);
	sw_gitref_update_release(&u);
}

static void ref_names(void **state)
{
	assert_true(sw_gitref_name_valid("refs/heads/main"));
	assert_true(sw_gitref_name_valid("refs/heads/feature/x-1"));
	assert_true(sw_gitref_name_valid("refs/tags/v12"));
	assert_true(sw_gitref_name_valid("refs/heads/caf\xc3\xa9"));

	assert_false(sw_gitref_name_valid("main"));
	assert_false(sw_gitref_name_valid("refs/"));
	assert_false(sw_gitref_name_valid("refs"));
	assert_false(sw_gitref_name_valid("refs/heads/"));
	assert_false(sw_gitref_name_valid("refs/heads//x"));
	assert_false(sw_gitref_name_valid("refs/heads/.hidden"));
	assert_false(sw_gitref_name_valid("refs/heads/x.lock"));
	assert_false(sw_gitref_name_valid("refs/heads/x."));
	assert_false(sw_gitref_name_valid("refs/heads/a..b"));
	assert_false(sw_gitref_name_valid("refs/heads/a@{1}"));
	assert_false(sw_gitref_name_valid("refs/heads/a~1"));
	assert_false(sw_gitref_name_valid("refs/heads/a^"));
	assert_false(sw_gitref_name_valid("refs/heads/a:b"));
	assert_false(sw_gitref_name_valid("refs/heads/a?"));
	assert_false(sw_gitref_name_valid("refs/heads/a*"));
	assert_false(sw_gitref_name_valid("refs/heads/a[b"));
	assert_false(sw_gitref_name_valid("refs/heads/a\\b"));
	assert_false(sw_gitref_name_valid("refs/heads/a\tb"));
	assert_false(sw_gitref_name_valid("refs/heads/a\x7f"));
}

static void shas(void **state)
{
	assert_true(sw_gitref_is_sha(A40));
	assert_true(sw_gitref_is_sha(A40 "0123456789abcdef01234567"));  /* 64: SHA-256 */
	assert_false(sw_gitref_is_sha(""));
	assert_false(sw_gitref_is_sha("abc"));
	assert_false(sw_gitref_is_sha(A40 "0"));
	assert_true(sw_gitref_is_null(Z40));
	assert_false(sw_gitref_is_null(A40));
	assert_false(sw_gitref_is_null(""));
	assert_int_equal(sw_gitref_classify("refs/heads/mainline"), SW_GITREF_BRANCH);
	assert_int_equal(sw_gitref_classify("refs/heads/master"), SW_GITREF_DEPLOY);
}

/* What a push may do to a ref (sw_gitref_check_push): 0, or SW_EINVAL with its line. */
static int check(const char *line)
{
	struct sw_gitref_update u = SW_GITREF_UPDATE_INIT;
	int ret;
	assert_int_equal(parse(&u, line), 0);
	ret = sw_gitref_check_push(&u);
	sw_gitref_update_release(&u);
	return ret;
}

static void push_policy(void **state)
{
	(void)state;
	assert_true(sw_gitref_release_tag("v1"));
	assert_true(sw_gitref_release_tag("v123"));
	assert_true(sw_gitref_release_tag("review/feature/v2"));
	assert_true(sw_gitref_release_tag("review/a/b/v2"));
	assert_false(sw_gitref_release_tag("v"));
	assert_false(sw_gitref_release_tag("v1.0"));
	assert_false(sw_gitref_release_tag("v1-rc"));
	assert_false(sw_gitref_release_tag("release-v1"));
	assert_false(sw_gitref_release_tag("review/v1"));
	assert_false(sw_gitref_release_tag("review/x/notes"));

	assert_int_equal(check(A40 " " B40 " refs/heads/main"), 0);
	assert_int_equal(check(A40 " " Z40 " refs/heads/feature"), 0);
	assert_int_equal(check(Z40 " " B40 " refs/tags/v1.0"), 0);
	assert_int_equal(check(Z40 " " B40 " refs/notes/commits"), 0);

	assert_int_equal(check(A40 " " Z40 " refs/heads/main"), SW_EINVAL);
	assert_string_equal(sw_error_last(), "deleting main is refused: slipway deploys from it");
	assert_int_equal(check(A40 " " Z40 " refs/heads/master"), SW_EINVAL);
	assert_int_equal(check(Z40 " " B40 " refs/tags/v1"), SW_EINVAL);
	assert_string_equal(sw_error_last(), "tag v1 is refused: slipway tags its live releases vN (and "
			    "review/<app>/vN); push your tag under another name");
	assert_int_equal(check(A40 " " B40 " refs/tags/v1"), SW_EINVAL);
	assert_int_equal(check(A40 " " Z40 " refs/tags/v1"), SW_EINVAL);
	assert_int_equal(check(Z40 " " B40 " refs/tags/review/x/v3"), SW_EINVAL);
	assert_int_equal(check(Z40 " " B40 " refs/heads/HEAD"), SW_EINVAL);
	assert_string_equal(sw_error_last(), "branch HEAD is refused: HEAD names the checked-out commit, not a branch");
	assert_int_equal(check(Z40 " " B40 " refs/heads/-x"), SW_EINVAL);
	assert_string_equal(sw_error_last(), "branch -x is refused: a name starting with '-' reads as an option");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(update_lines),
		cmocka_unit_test(bad_update_lines),
		cmocka_unit_test(ref_names),
		cmocka_unit_test(shas),
		cmocka_unit_test(push_policy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
