#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "releaser/ecr.h"
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

/* The lifecycle policy: two rules as ECR reads them; the tags that rule 1 keeps. */
static void lifecycle(void **state)
{
	json_error_t err;
	json_t *p = json_loads(sw_ecr_lifecycle_policy(), 0, &err), *r1, *r2;
	struct sw_buf b = SW_BUF_INIT;

	if (!p)
		fail_msg("the policy is not JSON: %s", err.text);
	assert_int_equal(json_array_size(json_object_get(p, "rules")), 2);
	r1 = json_array_get(json_object_get(p, "rules"), 0);
	r2 = json_array_get(json_object_get(p, "rules"), 1);
	assert_int_equal(json_integer_value(json_object_get(r1, "rulePriority")), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r1, "selection"), "tagStatus")), "tagged");
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(r1, "selection"),
									     "tagPrefixList"), 0)), SW_ECR_KEEP_PREFIX);
	/* more than the slots and the live tag can ever hold: the count never expires one */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r1, "selection"), "countNumber")),
			 SW_ECR_KEEP_RELEASES + 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(r2, "selection"), "tagStatus")), "any");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r2, "selection"), "countType")),
			    "sinceImagePushed");
	assert_true(strlen(sw_ecr_lifecycle_policy()) >= 100);   /* LifecyclePolicyText's min */
	json_decref(p);

	sw_ecr_keep_tag(7, &b);
	assert_string_equal(b.ptr, "release-keep-07");
	sw_buf_reset(&b);
	sw_ecr_keep_tag(27, &b);    /* release 27 takes release 7's slot */
	assert_string_equal(b.ptr, "release-keep-07");
	sw_buf_reset(&b);
	sw_ecr_keep_tag(20, &b);
	assert_string_equal(b.ptr, "release-keep-00");
	assert_int_equal(strncmp(SW_ECR_LIVE_TAG, SW_ECR_KEEP_PREFIX, strlen(SW_ECR_KEEP_PREFIX)), 0);
	sw_buf_release(&b);
}

static void repository_of_image(void **state)
{
	static const struct { const char *image, *repo; } cases[] = {
		{ "127.0.0.1:5000/hello:4f2a1c9", "hello" },
		{ "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hello-feature-x", "hello-feature-x" },
		{ "registry.example.com:443/team/hello:v1", "team/hello" },
		{ "host/a/b@sha256:0000", "a/b" },
	};
	size_t i;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sw_buf b = SW_BUF_INIT;
		assert_int_equal(sw_ecr_repository_of(cases[i].image, &b), 0);
		assert_string_equal(b.ptr, cases[i].repo);
		sw_buf_release(&b);
	}
	{
		struct sw_buf b = SW_BUF_INIT;
		assert_int_equal(sw_ecr_repository_of("hello", &b), SW_EINVAL);
		sw_buf_release(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decode_token),
		cmocka_unit_test(lifecycle),
		cmocka_unit_test(repository_of_image),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
