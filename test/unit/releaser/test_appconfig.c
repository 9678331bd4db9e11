#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "releaser/appconfig.h"
#include "common/error.h"
#include "common/banned.h"

static void names(void **state)
{
	assert_int_equal(sw_appconfig_check_name("DATABASE_URL"), 0);
	assert_int_equal(sw_appconfig_check_name("_x1"), 0);
	assert_int_equal(sw_appconfig_check_name("1X"), SW_EINVAL);
	assert_int_equal(sw_appconfig_check_name("A-B"), SW_EINVAL);
	assert_int_equal(sw_appconfig_check_name(""), SW_EINVAL);
	assert_int_equal(sw_appconfig_check_name("PORT"), SW_EINVAL);
	assert_string_equal(sw_error_last(), "PORT is set by slipway itself");
	assert_int_equal(sw_appconfig_check_name("SLIPWAY_RELEASE"), SW_EINVAL);
}

static void set_and_unset(void **state)
{
	json_t *c = json_object();
	struct sw_buf s = SW_BUF_INIT;
	const char *set1[] = { "A=1", "B=two words", "C=x=y", "EMPTY=" };
	const char *set2[] = { "A=1", "B=changed" };
	const char *bad[] = { "D=4", "bad name=1" };
	const char *dup[] = { "D=4", "D=5" };
	const char *unset1[] = { "C", "EMPTY" };
	const char *unset_missing[] = { "A", "NOPE" };

	assert_int_equal(sw_appconfig_set(c, set1, 4, &s), 4);
	assert_string_equal(s.ptr, "set A, B, C, EMPTY");  /* names only, never values */
	assert_string_equal(json_string_value(json_object_get(c, "C")), "x=y");
	assert_string_equal(json_string_value(json_object_get(c, "EMPTY")), "");
	sw_buf_reset(&s);
	assert_int_equal(sw_appconfig_set(c, set2, 2, &s), 1);  /* A is unchanged */
	sw_buf_reset(&s);

	assert_int_equal(sw_appconfig_set(c, bad, 2, &s), SW_EINVAL);
	assert_null(json_object_get(c, "D"));   /* nothing changed */
	assert_int_equal(s.len, 0);
	assert_int_equal(sw_appconfig_set(c, dup, 2, &s), SW_EINVAL);
	assert_string_equal(sw_error_last(), "D is given twice");
	{
		const char *noeq[] = { "JUSTNAME" };
		assert_int_equal(sw_appconfig_set(c, noeq, 1, &s), SW_EINVAL);
		assert_string_equal(sw_error_last(), "'JUSTNAME': expected NAME=value");
	}
	{
		const char *latin1[] = { "X=\xff" };
		assert_int_equal(sw_appconfig_set(c, latin1, 1, &s), SW_EINVAL);
		assert_string_equal(sw_error_last(), "the value of X is not valid UTF-8");
	}

	assert_int_equal(sw_appconfig_unset(c, unset_missing, 2, &s), SW_ENOTFOUND);
	assert_string_equal(sw_error_last(), "NOPE is not set");
	assert_non_null(json_object_get(c, "A"));
	assert_int_equal(sw_appconfig_unset(c, unset1, 2, &s), 2);
	assert_string_equal(s.ptr, "unset C, EMPTY");
	assert_int_equal(json_object_size(c), 2);
	assert_int_equal(sw_appconfig_check(c), 0);

	sw_buf_release(&s);
	json_decref(c);
}

static void size_bound(void **state)
{
	json_t *c = json_object();
	char *big = malloc(SW_APPCONFIG_MAX_BYTES + 8);
	const char *args[1];
	memcpy(big, "BIG=", 4);
	memset(big + 4, 'x', SW_APPCONFIG_MAX_BYTES);
	big[SW_APPCONFIG_MAX_BYTES + 4] = '\0';
	args[0] = big;
	assert_int_equal(sw_appconfig_set(c, args, 1, NULL), SW_ETOOBIG);
	assert_string_equal(sw_error_last(), "config vars take more than 32 KB");
	assert_int_equal(json_object_size(c), 0);
	free(big);
	json_decref(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names),
		cmocka_unit_test(set_and_unset),
		cmocka_unit_test(size_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
