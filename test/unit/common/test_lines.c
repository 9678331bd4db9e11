#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/lines.h"
#include "common/strvec.h"
#include "common/banned.h"

static int collect(void *ctx, const char *line, size_t len)
{
	struct sw_strvec *v = ctx;
	assert_int_equal(strlen(line), len);
	sw_strvec_push(v, line);
	return 0;
}

static void splits_across_chunks(void **state)
{
	struct sw_strvec got = SW_STRVEC_INIT;
	struct sw_lines l = SW_LINES_INIT(collect, &got, 100);
	sw_lines_feed(&l, "ab", 2);
	sw_lines_feed(&l, "c\r\nde\n\nf", 8);
	sw_lines_finish(&l);
	assert_int_equal(got.nr, 4);
	assert_string_equal(got.v[0], "abc");
	assert_string_equal(got.v[1], "de");
	assert_string_equal(got.v[2], "");
	assert_string_equal(got.v[3], "f");
	sw_lines_release(&l);
	sw_strvec_clear(&got);
}

static void long_lines_are_cut(void **state)
{
	struct sw_strvec got = SW_STRVEC_INIT;
	struct sw_lines l = SW_LINES_INIT(collect, &got, 4);
	sw_lines_feed(&l, "123456789", 9);
	sw_lines_feed(&l, "0\nxy\n", 5);
	sw_lines_finish(&l);
	assert_int_equal(got.nr, 2);
	assert_string_equal(got.v[0], "1234");
	assert_string_equal(got.v[1], "xy");
	assert_true(l.partial.alloc <= 64);
	sw_lines_release(&l);
	sw_strvec_clear(&got);
}

static int stop_at_two(void *ctx, const char *line, size_t len)
{
	int *n = ctx;
	return ++*n == 2 ? -7 : 0;
}

static void callback_error_stops(void **state)
{
	int n = 0;
	struct sw_lines l = SW_LINES_INIT(stop_at_two, &n, 10);
	assert_int_equal(sw_lines_feed(&l, "a\nb\nc\n", 6), -7);
	assert_int_equal(n, 2);
	sw_lines_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(splits_across_chunks),
		cmocka_unit_test(long_lines_are_cut),
		cmocka_unit_test(callback_error_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
