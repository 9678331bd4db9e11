/*
 * events [--tail]: an app's state changes (common/event.h), listed or followed
 * (GET /api/v1/apps/<app>/events[?follow=1], receiver/api_events.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/args.h"
#include "cli/client.h"
#include "cli/output.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "common/banned.h"

static enum sw_cli_style type_style(const char *type)
{
	if (!type)
		return SW_CLI_PLAIN;
	if (strstr(type, "failed") || strstr(type, "crashed") || strstr(type, "cancelled") || strstr(type, "rolled_back") ||
	    strstr(type, "destroyed"))
		return SW_CLI_RED;
	if (strstr(type, "succeeded") || strstr(type, "live") || strstr(type, "created"))
		return SW_CLI_GREEN;
	if (strstr(type, "started") || strstr(type, "deploying") || strstr(type, "queued"))
		return SW_CLI_YELLOW;
	return SW_CLI_CYAN;
}

/* "2026-11-26T10:00:01Z  build.started     v7   build 12 ... (admin)" */
void sw_cli_event_line(const json_t *e, int color, struct sw_buf *out)
{
	const char *type = sw_json_str_or(e, "type", "?");
	struct sw_buf t = SW_BUF_INIT;
	size_t w = strlen(type);

	sw_buf_addf(out, "%s  ", sw_json_str_or(e, "created_at", ""));
	sw_cli_paint(out, color, type_style(type), type);
	while (w++ < 20)
		sw_buf_addch(out, ' ');
	sw_buf_addf(out, "%-5s ", sw_json_str_or(e, "release", ""));
	sw_buf_adds(out, sw_json_str_or(e, "message", ""));
	if (sw_json_str(e, "actor") && !strstr(sw_json_str_or(e, "message", ""), sw_json_str(e, "actor"))) {
		sw_buf_addf(&t, "(%s)", sw_json_str(e, "actor"));
		sw_buf_addch(out, ' ');
		sw_cli_paint(out, color, SW_CLI_DIM, t.ptr);
	}
	sw_buf_release(&t);
}

int sw_cli_cmd_events(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_buf app = SW_BUF_INIT, path = SW_BUF_INIT;
	const char *flag = NULL, *limit_s = NULL, *types = NULL;
	long long limit = 30;
	json_t *out = NULL, *e;
	size_t i;
	int json = 0, follow = 0, ret = 0;
	struct sw_cli_lines lines = { cmd, 0, 0, sw_cli_event_line };
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), SW_CLI_OPT_JSON(&json), { "--tail", 't', NULL, &follow, NULL },
				     { "--follow", 'f', NULL, &follow, NULL }, { "--limit", 'n', &limit_s, NULL, NULL },
				     { "--types", 0, &types, NULL, NULL }, { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 0, 0, &a) < 0)
		return a.exit;
	if (limit_s && (sw_cli_parse_id(limit_s, &limit) < 0 || limit > 1000))
		return sw_cli_usage_error(cmd, "-n: want 1 to 1000");
	if (types && (!*types || strlen(types) > 400 || strspn(types, "abcdefghijklmnopqrstuvwxyz_.*,") != strlen(types)))
		return sw_cli_usage_error(cmd, "--types: want event types or families, like build.*,release.live");
	if ((ret = sw_cli_setup(cmd, &c, flag, &app)))
		goto cleanup;
	sw_buf_addf(&path, "/apps/%s/events?limit=%lld", app.ptr, limit);
	if (types)
		sw_buf_addf(&path, "&types=%s", types);   /* checked above: nothing to encode */
	lines.json = json;
	lines.color = sw_cli_color_on(1);
	if (follow) {
		sw_buf_adds(&path, "&follow=1");
		ret = sw_cli_api_ndjson(&c, "GET", path.ptr, NULL, sw_cli_print_line, &lines);
		if (ret < 0)
			ret = sw_cli_fail(cmd, "%s", sw_error_last());
		goto cleanup;
	}
	if ((ret = sw_cli_call(cmd, &c, "GET", path.ptr, NULL, &out)))
		goto cleanup;
	if (json) {
		ret = sw_cli_print_json(out);
		goto cleanup;
	}
	if (!json_array_size(json_object_get(out, "events")))
		printf("no events for %s yet\n", app.ptr);
	json_array_foreach(json_object_get(out, "events"), i, e)
		sw_cli_print_line(&lines, e);
cleanup:
	json_decref(out);
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	sw_buf_release(&path);
	return ret;
}
