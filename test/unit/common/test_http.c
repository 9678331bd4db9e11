/* The percent-encoding helpers of common/http.h (the transfer itself is tested end to end). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/http.h"
#include "common/banned.h"

static void decoded(const char *in, int plus_is_space, const char *want)
{
	struct sw_buf b = SW_BUF_INIT;
	sw_http_urldecode(&b, in, strlen(in), plus_is_space);
	assert_string_equal(b.ptr, want);
	sw_buf_release(&b);
}

static void decoding(void **state)
{
	(void)state;
	decoded("a%20b%2Fc", 0, "a b/c");
	decoded("%7e%7E", 0, "~~");
	decoded("a+b", 0, "a+b");       /* a URI's '+' */
	decoded("a+b", 1, "a b");       /* a form's '+' */
	decoded("100%", 0, "100%");     /* broken escapes stay */
	decoded("%4", 0, "%4");
	decoded("%zz%41", 0, "%zzA");
	decoded("", 1, "");
}

static void round_trip(void **state)
{
	const char *s = "a b/c~d+é&=";
	struct sw_buf enc = SW_BUF_INIT, dec = SW_BUF_INIT;

	(void)state;
	sw_http_urlencode(&enc, s, strlen(s));
	assert_string_equal(enc.ptr, "a%20b%2Fc~d%2B%C3%A9%26%3D");
	sw_http_urldecode(&dec, enc.ptr, enc.len, 1);
	assert_string_equal(dec.ptr, s);
	sw_buf_release(&enc);
	sw_buf_release(&dec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decoding),
		cmocka_unit_test(round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
