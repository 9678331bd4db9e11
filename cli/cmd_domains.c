/*
 * Custom domains and their certificates: domains, domains:add, domains:remove — clients
 * of slipwayd's domain API (receiver/api_domains.h).
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
	json_t *d;
	size_t i;
	printf("=== %s domains\n%s (the app's own)\n", app, sw_json_str_or(out, "default", "-"));
	json_array_foreach(json_object_get(out, "domains"), i, d)
		printf("%s\n", json_string_value(d));
}

int sw_cli_cmd_domains(const struct sw_cli_command *cmd, int argc, char **argv)
{
	return sw_cli_app_show(cmd, argc, argv, "/domains", show);
}

/* "HOST [-a APP]": method on /apps/<app>/domains[/HOST]; the exit status. */
static int domain_call(const struct sw_cli_command *cmd, int argc, char **argv, int add)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_buf app = SW_BUF_INIT, path = SW_BUF_INIT;
	const char *flag = NULL;
	json_t *body = NULL, *out = NULL;
	int ret;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 1, 1, &a) < 0)
		return a.exit;
	if ((ret = sw_cli_setup(cmd, &c, flag, &app)))
		goto cleanup;
	sw_buf_addf(&path, "/apps/%s/domains", app.ptr);
	if (add) {
		body = json_pack("{s:s}", "host", a.pos[0]);
	} else {
		sw_buf_addch(&path, '/');
		sw_cli_urlencode(&path, a.pos[0]);
	}
	if ((ret = sw_cli_call(cmd, &c, add ? "POST" : "DELETE", path.ptr, body, &out)))
		goto cleanup;
	if (!add)
		printf("Removed %s from %s\n", a.pos[0], app.ptr);
	else if (sw_json_bool(out, "added", 0))
		printf("Added %s to %s\n", sw_json_str(out, "host"), app.ptr);
	else
		printf("%s is already a domain of %s\n", sw_json_str(out, "host"), app.ptr);
cleanup:
	json_decref(body);
	json_decref(out);
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	sw_buf_release(&path);
	return ret;
}

int sw_cli_cmd_domains_add(const struct sw_cli_command *cmd, int argc, char **argv)
{
	return domain_call(cmd, argc, argv, 1);
}

int sw_cli_cmd_domains_remove(const struct sw_cli_command *cmd, int argc, char **argv)
{
	return domain_call(cmd, argc, argv, 0);
}
