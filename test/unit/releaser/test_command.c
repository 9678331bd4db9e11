/* Release commands from the API, checked before they become a job: kind, what they do (no config values), refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "releaser/command.h"
#include "common/error.h"
#include "common/banned.h"

static void check(const char *request, int want, const char *kind, const char *what)
{
	json_t *req = json_loads(request, 0, NULL);
	struct sw_buf w = SW_BUF_INIT;
	const char *k = NULL;
	int r;

	assert_non_null(req);
	r = sw_command_check(req, &k, &w);
	if (r != want)
		fail_msg("%s: %d (%s), want %d", request, r, sw_error_last(), want);
	if (kind)
		assert_string_equal(k, kind);
	if (what && want == 0)
		assert_string_equal(w.ptr, what);
	if (what && want < 0)
		assert_string_equal(sw_error_last(), what);
	sw_buf_release(&w);
	json_decref(req);
}

static void commands_taken(void **state)
{
	(void)state;
	check("{\"command\": \"config\", \"set\": {\"GREETING\": \"hi\", \"TOKEN\": \"s3cret\"}}", 0, "config",
	      "config:set GREETING TOKEN");   /* names, never values */
	check("{\"command\": \"config\", \"unset\": [\"GREETING\"]}", 0, "config", "config:unset GREETING");
	check("{\"command\": \"scale\", \"formation\": [\"web=4\", \"worker=2:512\"]}", 0, "scale",
	      "scale web=4 worker=2:512");
	check("{\"command\": \"rollback\"}", 0, "rollback", "rollback");
	check("{\"command\": \"rollback\", \"version\": 5, \"force\": true}", 0, "rollback", "rollback to v5");
	check("{\"command\": \"promote\", \"from\": \"shop\", \"version\": 3}", 0, "promote", "promote v3 of shop");
}

static void commands_refused(void **state)
{
	(void)state;
	check("[]", SW_EINVAL, NULL, "want a JSON object");
	check("{\"command\": \"promote\"}", SW_EINVAL, "promote", "promote: want \"from\": the app to promote from");
	check("{}", SW_EINVAL, NULL, "want {\"command\": \"config\"|\"scale\"|\"rollback\"|\"promote\", ...}");
	check("{\"command\": \"deploy\"}", SW_EINVAL, NULL, "unknown command 'deploy'");
	check("{\"command\": \"config\"}", SW_EINVAL, "config", "config: want \"set\": {...} or \"unset\": [...]");
	check("{\"command\": \"config\", \"set\": {\"A\": \"1\"}, \"unset\": [\"B\"]}", SW_EINVAL, "config",
	      "config: want \"set\": {...} or \"unset\": [...]");
	check("{\"command\": \"config\", \"set\": {\"A\": 1}}", SW_EINVAL, "config", "config: the value of A must be a string");
	check("{\"command\": \"config\", \"unset\": []}", SW_EINVAL, "config", "config: \"unset\" must be a list of names");
	check("{\"command\": \"scale\", \"formation\": \"web=4\"}", SW_EINVAL, "scale",
	      "scale: want \"formation\": [\"web=4\", ...]");
	check("{\"command\": \"rollback\", \"version\": \"v5\"}", SW_EINVAL, "rollback",
	      "rollback: \"version\" must be a release number");
	check("{\"command\": \"rollback\", \"force\": 1}", SW_EINVAL, "rollback", "rollback: \"force\" must be true or false");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(commands_taken),
		cmocka_unit_test(commands_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
