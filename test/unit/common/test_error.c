#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "common/error.h"
#include "common/banned.h"

static void set_prefix_and_fold(void **state)
{
	sw_error_clear();
	assert_string_equal(sw_error_last(), "");
	assert_int_equal(sw_error_code(SW_ENOTFOUND, "no %s", "app"), SW_ENOTFOUND);
	assert_int_equal(sw_error_prefix("build %d", 3), SW_ENOTFOUND);
	assert_string_equal(sw_error_last(), "build 3: no app");
	sw_error("line one\nline two\n");
	assert_string_equal(sw_error_last(), "line one line two");
	errno = ENOENT;
	assert_int_equal(sw_error_errno("open %s", "x"), SW_ENOTFOUND);
	assert_string_equal(sw_error_last(), "open x: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(set_prefix_and_fold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
