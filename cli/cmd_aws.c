/*
 * slipway aws <service> <Operation> [JSON|-]: one AWS call with the SDK-style
 * configuration (credentials chain, region, endpoints). How operators check their setup,
 * and how the signer is tested end to end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "cli/cli.h"
#include "common/aws/client.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/banned.h"

#define MAX_PARAMS (1u << 20)

static int read_stdin(struct sw_buf *out)
{
	char chunk[8192];
	ssize_t n;
	while ((n = read(0, chunk, sizeof(chunk))) > 0)
		if (sw_buf_add(out, chunk, (size_t)n) < 0)
			return sw_error_code(SW_ETOOBIG, "the parameters on stdin are larger than %u bytes", MAX_PARAMS);
	if (n < 0)
		return sw_error_errno("read stdin");
	return 0;
}

int sw_cli_cmd_aws(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_aws_client_options opt;
	struct sw_aws_client *aws = NULL;
	struct sw_aws_result res;
	struct sw_buf text;
	json_t *params = NULL;
	const char *pos[3] = { NULL, NULL, NULL };
	int npos = 0, i, ret = 1;
	char *out;

	memset(&opt, 0, sizeof(opt));
	sw_buf_init(&text, MAX_PARAMS);
	sw_aws_result_init(&res);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;
		if (!strcmp(a, "--region"))
			slot = &opt.region;
		else if (!strcmp(a, "--profile"))
			slot = &opt.profile;
		else if (!strcmp(a, "--endpoint-url"))
			slot = &opt.endpoint_url;
		if (slot) {
			if (i + 1 >= argc) {
				ret = sw_cli_usage_error(cmd, "%s needs a value", a);
				goto cleanup;
			}
			*slot = argv[++i];
			continue;
		}
		if (a[0] == '-' && a[1] == '-') {
			ret = sw_cli_usage_error(cmd, "unknown option %s", a);
			goto cleanup;
		}
		if (npos == 3) {
			ret = sw_cli_usage_error(cmd, "too many arguments");
			goto cleanup;
		}
		pos[npos++] = a;
	}
	if (npos < 2) {
		ret = sw_cli_usage_error(cmd, "a service and an operation are needed");
		goto cleanup;
	}
	if (!sw_aws_service_find(pos[0])) {
		ret = sw_cli_usage_error(cmd, "unknown service '%s' (ecs, ecr, elbv2, logs, cloudformation, sts, acm)", pos[0]);
		goto cleanup;
	}
	if (pos[2]) {
		json_error_t jerr;
		if (!strcmp(pos[2], "-")) {
			if (read_stdin(&text) < 0) {
				ret = sw_cli_fail(cmd, "%s", sw_error_last());
				goto cleanup;
			}
		} else if (sw_buf_adds(&text, pos[2]) < 0) {
			ret = sw_cli_usage_error(cmd, "the parameters are larger than %u bytes", MAX_PARAMS);
			goto cleanup;
		}
		params = json_loadb(text.ptr, text.len, 0, &jerr);
		if (!params) {
			ret = sw_cli_usage_error(cmd, "the parameters are not JSON: %s (line %d, column %d)", jerr.text,
						 jerr.line, jerr.column);
			goto cleanup;
		}
		if (!json_is_object(params)) {
			ret = sw_cli_usage_error(cmd, "the parameters must be a JSON object");
			goto cleanup;
		}
	}
	if (sw_aws_client_new(&aws, &opt) < 0) {
		ret = sw_cli_fail(cmd, "%s", sw_error_last());
		goto cleanup;
	}
	if (sw_aws_call(aws, pos[0], pos[1], params, &res) < 0) {
		ret = sw_cli_fail(cmd, "%s", sw_error_last());
		goto cleanup;
	}
	out = json_dumps(res.response, JSON_INDENT(2));
	if (out) {
		fputs(out, stdout);
		fputc('\n', stdout);
		free(out);
	}
	ret = fflush(stdout) == 0 ? 0 : 1;
cleanup:
	json_decref(params);
	sw_aws_result_release(&res);
	sw_aws_client_free(aws);
	sw_buf_release(&text);
	return ret;
}
