#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/strvec.h"
#include "common/banned.h"

static void empty_is_terminated(void **state)
{
	struct sw_buf b = SW_BUF_INIT;
	assert_non_null(b.ptr);
	assert_string_equal(b.ptr, "");
	sw_buf_release(&b);
	assert_string_equal(b.ptr, "");
}

static void add_and_format(void **state)
{
	struct sw_buf b = SW_BUF_INIT;
	char *s;
	size_t len;
	assert_int_equal(sw_buf_adds(&b, "abc"), 0);
	assert_int_equal(sw_buf_addf(&b, "-%d-%s", 42, "x"), 0);
	assert_string_equal(b.ptr, "abc-42-x");
	assert_int_equal(b.len, 8);
	sw_buf_consume(&b, 4);
	assert_string_equal(b.ptr, "42-x");
	sw_buf_adds(&b, "  \n");
	sw_buf_rtrim(&b);
	assert_string_equal(b.ptr, "42-x");
	s = sw_buf_detach(&b, &len);
	assert_string_equal(s, "42-x");
	assert_int_equal(len, 4);
	assert_string_equal(b.ptr, "");
	free(s);
}

static void cap_refuses_and_keeps_content(void **state)
{
	struct sw_buf b;
	sw_buf_init(&b, 5);
	assert_int_equal(sw_buf_adds(&b, "1234"), 0);
	assert_int_equal(sw_buf_adds(&b, "56"), SW_ETOOBIG);
	assert_string_equal(b.ptr, "1234");
	assert_int_equal(sw_buf_addch(&b, '5'), 0);
	assert_int_equal(sw_buf_addf(&b, "%d", 6), SW_ETOOBIG);
	assert_string_equal(b.ptr, "12345");
	sw_buf_release(&b);
	assert_int_equal(b.cap, 5);
}

static void large_growth(void **state)
{
	struct sw_buf b = SW_BUF_INIT;
	int i;
	for (i = 0; i < 100000; i++)
		sw_buf_addch(&b, 'a' + i % 26);
	assert_int_equal(b.len, 100000);
	assert_int_equal(b.ptr[100000], '\0');
	assert_int_equal(b.ptr[26], 'a');
	sw_buf_release(&b);
}

static void strvec_basics(void **state)
{
	struct sw_strvec v = SW_STRVEC_INIT;
	assert_null(v.v[0]);
	sw_strvec_pushl(&v, "git", "push", NULL);
	sw_strvec_pushf(&v, "--n=%d", 3);
	assert_int_equal(v.nr, 3);
	assert_string_equal(v.v[2], "--n=3");
	assert_null(v.v[3]);
	sw_strvec_pop(&v);
	assert_int_equal(v.nr, 2);
	assert_null(v.v[2]);
	sw_strvec_clear(&v);
	assert_int_equal(v.nr, 0);
	assert_null(v.v[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_is_terminated),
		cmocka_unit_test(add_and_format),
		cmocka_unit_test(cap_refuses_and_keeps_content),
		cmocka_unit_test(large_growth),
		cmocka_unit_test(strvec_basics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
