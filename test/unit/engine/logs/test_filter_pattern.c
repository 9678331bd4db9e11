/* FilterLogEvents' filter patterns (engine/logs/filter_pattern.h): terms, alternatives, exclusions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine/logs/filter_pattern.h"
#include "common/banned.h"

static int matches(const char *pattern, const char *msg)
{
	struct sw_logs_pattern p = SW_LOGS_PATTERN_INIT;
	struct sw_buf why = SW_BUF_INIT;
	int ret;

	assert_int_equal(sw_logs_pattern_parse(&p, pattern, &why), 0);
	ret = sw_logs_pattern_match(&p, msg);
	sw_logs_pattern_release(&p);
	sw_buf_release(&why);
	return ret;
}

static void plain_terms(void **state)
{
	assert_true(matches("", "anything"));
	assert_true(matches("ERROR", "an ERROR here"));
	assert_false(matches("ERROR", "an error here"));            /* case-sensitive */
	assert_true(matches("ERROR db", "ERROR: db down"));
	assert_false(matches("ERROR db", "ERROR: cache down"));
	assert_true(matches("\"db down\"", "ERROR: db down"));
	assert_false(matches("\"db down\"", "down db"));
}

static void alternatives_and_exclusions(void **state)
{
	assert_true(matches("?ERROR ?WARN", "WARN: slow"));
	assert_false(matches("?ERROR ?WARN", "INFO: fine"));
	assert_true(matches("GET -health", "GET /"));
	assert_false(matches("GET -health", "GET /health"));
	assert_true(matches("GET ?200 ?204 -health", "GET / 204"));
}

static void refused(void **state)
{
	struct sw_logs_pattern p = SW_LOGS_PATTERN_INIT;
	struct sw_buf why = SW_BUF_INIT;

	assert_int_equal(sw_logs_pattern_parse(&p, "{ $.level = \"error\" }", &why), -1);
	assert_non_null(strstr(why.ptr, "not supported"));
	sw_logs_pattern_release(&p);
	sw_buf_reset(&why);
	assert_int_equal(sw_logs_pattern_parse(&p, "\"open quote", &why), -1);
	assert_non_null(strstr(why.ptr, "unterminated"));
	sw_logs_pattern_release(&p);
	sw_buf_release(&why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_terms),
		cmocka_unit_test(alternatives_and_exclusions),
		cmocka_unit_test(refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
