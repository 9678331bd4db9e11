/* Whole numbers from people and programs: digits only, in range, or refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/number.h"
#include "common/banned.h"

static void digits_in_range(void **state)
{
	static const struct {
		const char *in;
		long long min, max, want;
	} ok[] = {
		{ "1", 1, SW_NUMBER_ID_MAX, 1 },
		{ "12", 1, SW_NUMBER_ID_MAX, 12 },
		{ "007", 1, 10, 7 },
		{ "0", 0, 5, 0 },
		{ "999999999999999", 1, SW_NUMBER_ID_MAX, SW_NUMBER_ID_MAX },
		{ "1000000000", 1, 1000000000, 1000000000 },
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		long long v = -1;
		if (sw_number_parse(ok[i].in, ok[i].min, ok[i].max, &v) < 0)
			fail_msg("'%s' refused", ok[i].in);
		assert_int_equal(v, ok[i].want);
	}
}

static void anything_else_refused(void **state)
{
	static const char *const bad[] = {
		"", "0", "-1", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "12a", "#12", "v7",
		"1000000000000000",      /* 16 digits */
		"99999999999999999999",  /* would overflow */
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long long v = 42;
		if (sw_number_parse(bad[i], 1, SW_NUMBER_ID_MAX, &v) == 0)
			fail_msg("'%s' taken as %lld", bad[i], v);
		assert_int_equal(v, 42);   /* untouched */
	}
	assert_int_equal(sw_number_parse(NULL, 0, 10, NULL), -1);
	assert_int_equal(sw_number_parse("11", 0, 10, NULL), -1);   /* over max */
	assert_int_equal(sw_number_parse("4", 5, 10, NULL), -1);    /* under min */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(digits_in_range),
		cmocka_unit_test(anything_else_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
