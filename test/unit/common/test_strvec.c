/* String vectors: always NULL-terminated, strings owned, handed over whole by detach. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/strvec.h"
#include "common/banned.h"

static void pushes_copy_and_terminate(void **state)
{
	struct sw_strvec v = SW_STRVEC_INIT;
	static const char *const more[] = { "d", "e", NULL };
	char word[8] = "mutable";
	size_t i;
	(void)state;

	assert_non_null(v.v);
	assert_null(v.v[0]);   /* empty is a valid argv too */
	sw_strvec_push(&v, word);
	word[0] = 'X';         /* a copy was pushed */
	sw_strvec_pushf(&v, "%s=%d", "PORT", 8080);
	sw_strvec_pushl(&v, "a", "b", "c", NULL);
	sw_strvec_pushv(&v, more);
	for (i = 0; i < 100; i++)   /* growth keeps the terminator */
		sw_strvec_pushf(&v, "%zu", i);
	assert_int_equal(v.nr, 107);
	assert_string_equal(v.v[0], "mutable");
	assert_string_equal(v.v[1], "PORT=8080");
	assert_string_equal(v.v[4], "c");
	assert_string_equal(v.v[6], "e");
	assert_string_equal(v.v[106], "99");
	assert_null(v.v[107]);
	sw_strvec_pop(&v);
	assert_int_equal(v.nr, 106);
	assert_null(v.v[106]);
	sw_strvec_clear(&v);
	assert_int_equal(v.nr, 0);
	assert_null(v.v[0]);
	sw_strvec_pop(&v);   /* popping nothing is nothing */
	assert_int_equal(v.nr, 0);
	sw_strvec_clear(&v);
}

static void detach_hands_over(void **state)
{
	struct sw_strvec v = SW_STRVEC_INIT;
	const char **arr;
	(void)state;

	arr = sw_strvec_detach(&v);   /* even an empty one is the caller's to free */
	assert_non_null(arr);
	assert_null(arr[0]);
	free(arr);
	sw_strvec_pushl(&v, "git", "receive-pack", NULL);
	arr = sw_strvec_detach(&v);
	assert_int_equal(v.nr, 0);
	assert_null(v.v[0]);
	assert_string_equal(arr[0], "git");
	assert_string_equal(arr[1], "receive-pack");
	assert_null(arr[2]);
	free((char *)arr[0]);
	free((char *)arr[1]);
	free(arr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pushes_copy_and_terminate),
		cmocka_unit_test(detach_hands_over),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
