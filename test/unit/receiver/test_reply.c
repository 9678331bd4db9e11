#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "receiver/reply.h"
#include "common/banned.h"

static void clean(const char *in, size_t n, const char *want)
{
	struct sw_buf b = SW_BUF_INIT;
	sw_reply_utf8_clean(&b, in, n);
	assert_string_equal(b.ptr, want);
	sw_buf_release(&b);
}

static void utf8_kept_and_replaced(void **state)
{
	clean("plain", 5, "plain");
	clean("h\xc3\xa9llo \xe2\x86\x92 \xf0\x9f\x9a\x80", 15, "h\xc3\xa9llo \xe2\x86\x92 \xf0\x9f\x9a\x80");
	clean("a\xff" "b", 3, "a?b");
	clean("\xc3", 1, "?");                  /* cut short */
	clean("\xc0\xaf", 2, "??");             /* overlong */
	clean("\xed\xa0\x80", 3, "???");        /* surrogate */
	clean("\xe2\x28\xa1", 3, "?(?");        /* bad continuation */
	clean("\x1b[31mred", 8, "\x1b[31mred"); /* control bytes are valid UTF-8; JSON escapes them */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8_kept_and_replaced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
