#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "common/aws/process.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "common/proc.h"
#include "common/time.h"
#include "common/banned.h"

#define MAX_OUTPUT (64 * 1024)
#define MAX_STDERR (4 * 1024)

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int sw_aws_process_split(const char *command, struct sw_strvec *argv)
{
	struct sw_buf word = SW_BUF_INIT;
	const char *p = command;
	size_t before = argv->nr;
	int in_word = 0, ret = 0;

	while (*p) {
		char c = *p++;
		if (is_blank(c)) {
			if (in_word)
				sw_strvec_push(argv, word.ptr);
			sw_buf_reset(&word);
			in_word = 0;
			continue;
		}
		in_word = 1;
		if (c == '\\') {
			if (!*p) {
				ret = sw_error_code(SW_EINVAL, "credential_process: no escaped character");
				goto cleanup;
			}
			sw_buf_addch(&word, *p++);
		} else if (c == '\'') {
			const char *end = strchr(p, '\'');
			if (!end) {
				ret = sw_error_code(SW_EINVAL, "credential_process: no closing quotation");
				goto cleanup;
			}
			sw_buf_add(&word, p, (size_t)(end - p));
			p = end + 1;
		} else if (c == '"') {
			while (*p && *p != '"') {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				sw_buf_addch(&word, *p++);
			}
			if (!*p) {
				ret = sw_error_code(SW_EINVAL, "credential_process: no closing quotation");
				goto cleanup;
			}
			p++;
		} else {
			sw_buf_addch(&word, c);
		}
	}
	if (in_word)
		sw_strvec_push(argv, word.ptr);
	if (argv->nr == before)
		ret = sw_error_code(SW_EINVAL, "credential_process is empty");
cleanup:
	if (ret < 0)
		while (argv->nr > before)
			sw_strvec_pop(argv);
	sw_buf_release(&word);
	return ret;
}

int sw_aws_process_parse(const char *text, size_t len, struct sw_aws_creds *out)
{
	json_error_t jerr;
	json_t *j = json_loadb(text, len, 0, &jerr);
	json_t *version;
	const char *akid, *secret, *exp;
	double expires = 0;
	int ret = 0;

	if (!json_is_object(j)) {
		ret = sw_error("credential_process: the output is not a JSON object");
		goto cleanup;
	}
	version = json_object_get(j, "Version");
	if (!version) {
		ret = sw_error("credential_process: the output has no Version (slipway reads Version 1)");
		goto cleanup;
	}
	if (!json_is_number(version) || json_number_value(version) != 1) {
		char *v = json_dumps(version, JSON_ENCODE_ANY | JSON_COMPACT);
		ret = sw_error("credential_process: unsupported Version %s (slipway reads Version 1)", v ? v : "?");
		free(v);
		goto cleanup;
	}
	akid = sw_json_str(j, "AccessKeyId");
	secret = sw_json_str(j, "SecretAccessKey");
	if (!akid || !*akid || !secret || !*secret) {
		ret = sw_error("credential_process: the output has no %s", !akid || !*akid ? "AccessKeyId" : "SecretAccessKey");
		goto cleanup;
	}
	exp = sw_json_str(j, "Expiration");
	if (exp && sw_time_parse_iso(exp, &expires) < 0) {
		ret = sw_error_prefix("credential_process: Expiration");
		goto cleanup;
	}
	sw_aws_creds_set(out, akid, secret, sw_json_str(j, "SessionToken"), (time_t)expires, "custom-process");
cleanup:
	json_decref(j);
	return ret;
}

int sw_aws_process_credentials(const char *command, struct sw_aws_creds *out)
{
	struct sw_proc p = SW_PROC_INIT;
	struct sw_buf output, errors;
	int code, ret;

	sw_buf_init(&output, MAX_OUTPUT);
	sw_buf_init(&errors, MAX_STDERR);
	if ((ret = sw_aws_process_split(command, &p.args)) < 0)
		goto cleanup;
	code = sw_proc_run(&p, &output, &errors);
	if (code == SW_ETOOBIG && output.len == MAX_OUTPUT) {
		ret = sw_error_code(SW_ETOOBIG, "credential_process %s: printed more than %d bytes", p.args.v[0],
				    MAX_OUTPUT);
		goto cleanup;
	}
	if (code < 0 && code != SW_ETOOBIG) {
		ret = sw_error_prefix("credential_process");
		goto cleanup;
	}
	if (code > 0) {
		sw_buf_rtrim(&errors);
		ret = sw_error_code(SW_EAUTH, "credential_process %s: exited with %d%s%.*s", p.args.v[0], code,
				    errors.len ? ": " : "", (int)strcspn(errors.ptr, "\n"), errors.ptr);
		goto cleanup;
	}
	ret = sw_aws_process_parse(output.ptr, output.len, out);
cleanup:
	sw_proc_release(&p);
	sw_buf_release(&output);
	sw_buf_release(&errors);
	return ret;
}
