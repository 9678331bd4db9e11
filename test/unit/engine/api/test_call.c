/* The operation-call helpers (engine/api/call.h): pagination tokens. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine/api/call.h"
#include "common/json.h"
#include "common/banned.h"

static void tokens(void **state)
{
	json_t *o = json_object();
	assert_int_equal(sw_engine_api_token_parse(NULL), 0);
	assert_int_equal(sw_engine_api_token_parse("swtok-20"), 20);
	assert_int_equal(sw_engine_api_token_parse("garbage"), -1);
	assert_int_equal(sw_engine_api_token_parse("swtok--1"), -1);
	sw_engine_api_token_set(o, 0, 10, 10);
	assert_null(json_object_get(o, "nextToken"));
	sw_engine_api_token_set(o, 10, 10, 25);
	assert_string_equal(sw_json_str(o, "nextToken"), "swtok-20");
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tokens),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
