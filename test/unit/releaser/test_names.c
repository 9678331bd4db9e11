#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "releaser/names.h"
#include "common/error.h"
#include "common/banned.h"

/* An app's AWS names, and how slipway knows its own (the slipway:app tag). */

static void names(void **state)
{
	struct sw_settings settings = SW_SETTINGS_INIT;
	struct sw_runenv e;
	struct sw_buf b = SW_BUF_INIT;
	(void)state;

	sw_names_service("hello", "web", &b);
	assert_string_equal(b.ptr, "hello-web");
	sw_buf_reset(&b);
	memset(&e, 0, sizeof(e));
	settings.log_group_prefix = "/slipway/";
	e.settings = &settings;
	sw_names_log_group(&e, "hello", &b);
	assert_string_equal(b.ptr, "/slipway/hello");
	sw_buf_release(&b);
}

static void ownership(void **state)
{
	json_t *ours = json_pack("{s:s, s:[{s:s,s:s},{s:s,s:s}]}", "serviceName", "a-b-web", "tags", "key", "other",
				 "value", "x", "key", "slipway:app", "value", "a-b");
	json_t *theirs = json_pack("{s:s, s:[{s:s,s:s}]}", "serviceName", "a-b-web", "tags", "key", "slipway:app",
				   "value", "a");
	json_t *untagged = json_pack("{s:s}", "serviceName", "a-b-web");
	(void)state;

	assert_string_equal(sw_names_owner(ours), "a-b");
	assert_int_equal(sw_names_owned(ours, "a-b", "web"), 0);
	assert_int_equal(sw_names_owned(theirs, "a-b", "web"), SW_EEXISTS);
	assert_string_equal(sw_error_last(), "web: the ECS service a-b-web belongs to app a (slipway:app tag), not a-b:"
			    " rename the process type");
	assert_null(sw_names_owner(untagged));
	assert_int_equal(sw_names_owned(untagged, "a-b", "web"), SW_EEXISTS);
	assert_non_null(strstr(sw_error_last(), "is not managed by slipway"));
	json_decref(ours);
	json_decref(theirs);
	json_decref(untagged);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names),
		cmocka_unit_test(ownership),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
