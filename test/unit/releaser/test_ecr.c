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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decode_token),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
