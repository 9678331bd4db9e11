/* credential_process: the command line split as Python's shlex.split() (what botocore
 * uses), its Version 1 JSON, and a real program run through common/proc.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/aws/process.h"
#include "common/error.h"
#include "common/strvec.h"
#include "common/banned.h"

/* Words joined with '|' (the cases below hold no '|'), or "ERR:" and the error. */
static void split(const char *cmd, char *out, size_t n)
{
	struct sw_strvec v = SW_STRVEC_INIT;
	size_t i, len = 0;
	out[0] = '\0';
	if (sw_aws_process_split(cmd, &v) < 0) {
		snprintf(out, n, "ERR:%s", sw_error_last());
		sw_strvec_clear(&v);   /* the words are gone, the array is still the caller's */
		return;
	}
	for (i = 0; i < v.nr; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s", i ? "|" : "", v.v[i]);
	sw_strvec_clear(&v);
}

static void shlex_rules(void **state)
{
	/* (command, shlex.split(command) joined with '|'), checked with Python's shlex */
	static const char *const cases[][2] = {
		{ "/usr/bin/creds", "/usr/bin/creds" },
		{ "  creds   --profile  dev  ", "creds|--profile|dev" },
		{ "creds\t--a\n--b", "creds|--a|--b" },
		{ "'/opt/my tools/creds' x", "/opt/my tools/creds|x" },
		{ "\"/opt/my tools/creds\" x", "/opt/my tools/creds|x" },
		{ "/opt/my\\ tools/creds", "/opt/my tools/creds" },
		{ "a'b c'd", "ab cd" },
		{ "'AKIA'\"PROC\"", "AKIAPROC" },
		{ "\"say \\\"hi\\\"\"", "say \"hi\"" },
		{ "\"back\\\\slash\"", "back\\slash" },
		{ "\"keep \\n and \\$\"", "keep \\n and \\$" },
		{ "'no \\escapes \"here\"'", "no \\escapes \"here\"" },
		{ "a '' b", "a||b" },
		{ "$HOME/creds `id` ; rm", "$HOME/creds|`id`|;|rm" },
		{ "x\\", "ERR:credential_process: no escaped character" },
		{ "x 'open", "ERR:credential_process: no closing quotation" },
		{ "x \"open", "ERR:credential_process: no closing quotation" },
		{ "   ", "ERR:credential_process is empty" },
	};
	char got[256];
	size_t i;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		split(cases[i][0], got, sizeof(got));
		if (strcmp(got, cases[i][1]))
			fail_msg("split(%s) = %s, want %s", cases[i][0], got, cases[i][1]);
	}
}

static void version_1_json(void **state)
{
	struct sw_aws_creds c;
	static const char *const bad[][2] = {
		{ "not json", "credential_process: the output is not a JSON object" },
		{ "{\"AccessKeyId\": \"A\", \"SecretAccessKey\": \"B\"}",
		  "credential_process: the output has no Version (slipway reads Version 1)" },
		{ "{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"B\"}",
		  "credential_process: unsupported Version 2 (slipway reads Version 1)" },
		{ "{\"Version\": \"1\", \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"B\"}",
		  "credential_process: unsupported Version \"1\" (slipway reads Version 1)" },
		{ "{\"Version\": 1, \"SecretAccessKey\": \"B\"}", "credential_process: the output has no AccessKeyId" },
		{ "{\"Version\": 1, \"AccessKeyId\": \"A\"}", "credential_process: the output has no SecretAccessKey" },
		{ "{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"B\", \"Expiration\": \"soon\"}",
		  "credential_process: Expiration: 'soon' is not an ISO 8601 time" },
	};
	size_t i;
	const char *good = "{\"Version\": 1, \"AccessKeyId\": \"AKIA\", \"SecretAccessKey\": \"s\", "
			   "\"SessionToken\": \"t\", \"Expiration\": \"2026-01-02T03:04:05Z\"}";
	const char *plain = "{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"B\"}";

	sw_aws_creds_init(&c);
	assert_int_equal(sw_aws_process_parse(good, strlen(good), &c), 0);
	assert_string_equal(c.access_key_id, "AKIA");
	assert_string_equal(c.secret_access_key, "s");
	assert_string_equal(c.session_token, "t");
	assert_int_equal(c.expiration, 1767323045);
	assert_string_equal(c.source, "custom-process");
	assert_int_equal(sw_aws_process_parse(plain, strlen(plain), &c), 0);
	assert_null(c.session_token);
	assert_int_equal(c.expiration, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(sw_aws_process_parse(bad[i][0], strlen(bad[i][0]), &c) < 0);
		assert_string_equal(sw_error_last(), bad[i][1]);
	}
	sw_aws_creds_release(&c);
}

static void runs_the_program(void **state)
{
	struct sw_aws_creds c;
	sw_aws_creds_init(&c);
	/* no shell: the quoted words reach printf as they are, $HOME unexpanded */
	assert_int_equal(sw_aws_process_credentials("printf '{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":"
						    "\"x\"}' '$HOME'", &c), 0);
	assert_string_equal(c.access_key_id, "$HOME");
	assert_int_equal(sw_aws_process_credentials("sh -c 'echo expired >&2; exit 4'", &c), SW_EAUTH);
	assert_string_equal(sw_error_last(), "credential_process sh: exited with 4: expired");
	assert_true(sw_aws_process_credentials("/nonexistent/creds", &c) < 0);
	assert_non_null(strstr(sw_error_last(), "/nonexistent/creds"));
	sw_aws_creds_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shlex_rules),
		cmocka_unit_test(version_1_json),
		cmocka_unit_test(runs_the_program),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
