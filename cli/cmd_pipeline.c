/*
 * Pipelines and promotion: pipeline, pipeline:add, pipeline:remove, promote — clients
 * of slipwayd's pipeline API (receiver/api_pipelines.h). promote streams the target's
 * release like a push and exits with its verdict (cmd_release.c follows it).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/args.h"
#include "cli/client.h"
#include "cli/output.h"
#include "common/buf.h"
#include "common/json.h"
#include "common/banned.h"

static void show(const char *app, const json_t *out)
{
	json_t *p, *a;
	size_t i, j;
	(void)app;
	if (!json_array_size(json_object_get(out, "pipelines")))
		printf("(no pipelines: `slipway pipeline:add APP --stage staging`)\n");
	json_array_foreach(json_object_get(out, "pipelines"), i, p) {
		printf("=== %s\n", sw_json_str(p, "name"));
		json_array_foreach(json_object_get(p, "apps"), j, a)
			printf("%-12s %s\n", sw_json_str(a, "stage"), sw_json_str(a, "app"));
	}
}

int sw_cli_cmd_pipeline(const struct sw_cli_command *cmd, int argc, char **argv)
{
	return sw_cli_show(cmd, argc, argv, "/pipelines", show);
}

int sw_cli_cmd_pipeline_add(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	const char *stage = NULL, *pipeline = "main";
	json_t *body = NULL;
	int ret;
	struct sw_cli_opt opts[] = { { "--stage", 's', &stage, NULL, NULL }, { "--pipeline", 'p', &pipeline, NULL, NULL },
				     { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 1, 1, &a) < 0)
		return a.exit;
	if (!stage || (strcmp(stage, "staging") && strcmp(stage, "production")))
		return sw_cli_usage_error(cmd, "want --stage staging or --stage production");
	if ((ret = sw_cli_setup(cmd, &c, NULL, NULL)))
		goto cleanup;
	body = json_pack("{s:s, s:s, s:s}", "app", a.pos[0], "stage", stage, "pipeline", pipeline);
	if ((ret = sw_cli_call(cmd, &c, "POST", "/pipelines", body, NULL)))
		goto cleanup;
	printf("Added %s to pipeline %s as %s\n", a.pos[0], pipeline, stage);
cleanup:
	json_decref(body);
	sw_cli_client_release(&c);
	return ret;
}

int sw_cli_cmd_pipeline_remove(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_args a;
	struct sw_buf path = SW_BUF_INIT;
	int ret;
	struct sw_cli_opt opts[] = { { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 1, 1, &a) < 0)
		return a.exit;
	sw_buf_adds(&path, "/pipelines/");
	sw_cli_urlencode(&path, a.pos[0]);
	if (!(ret = sw_cli_delete(cmd, path.ptr)))
		printf("Removed %s from its pipeline\n", a.pos[0]);
	sw_buf_release(&path);
	return ret;
}

int sw_cli_cmd_promote(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_buf app = SW_BUF_INIT;
	const char *flag = NULL, *to = NULL;
	json_t *body;
	int ret, no_wait = 0;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), { "--to", 0, &to, NULL, NULL },
				     { "--no-wait", 0, NULL, &no_wait, NULL }, { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 0, 1, &a) < 0)
		return a.exit;
	body = json_object();
	if (to)
		json_object_set_new(body, "to", json_string(to));
	if (a.npos) {
		const char *v = a.pos[0][0] == 'v' ? a.pos[0] + 1 : a.pos[0];
		long long n = 0;
		if (sw_cli_parse_id(v, &n) < 0) {
			json_decref(body);
			return sw_cli_usage_error(cmd, "'%s' is not a release (like v12)", a.pos[0]);
		}
		json_object_set_new(body, "version", json_integer(n));
	}
	if ((ret = sw_cli_setup(cmd, &c, flag, &app)) == 0)
		ret = sw_cli_release_follow(cmd, &c, app.ptr, "promote", body, no_wait);
	else
		json_decref(body);
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	return ret;
}
