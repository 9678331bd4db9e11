/*
 * reviews, reviews:settings, review:sync-config: clients of slipwayd's review app API
 * (receiver/api_reviews.h). Review apps themselves come and go with git push.
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
#include "common/time.h"
#include "common/banned.h"

static void settings_line(const char *app, const json_t *out)
{
	long long idle_secs = sw_json_int(out, "idle_secs", 0);
	struct sw_buf idle = SW_BUF_INIT;

	if (idle_secs > 0) {
		sw_time_format_unit(&idle, idle_secs);   /* "7d", "12h", "30m", "45s" */
		printf("%s: at most %lld review apps; one with no push for %s is destroyed\n", app,
		       sw_json_int(out, "limit", 0), idle.ptr);
	} else {
		printf("%s: at most %lld review apps; idle ones are kept (no idle time set)\n", app,
		       sw_json_int(out, "limit", 0));
	}
	sw_buf_release(&idle);
}

int sw_cli_cmd_reviews(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_cli_table t;
	struct sw_buf app = SW_BUF_INIT;
	const char *flag = NULL;
	json_t *out = NULL, *r;
	size_t i;
	int json = 0, all = 0, ret;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), SW_CLI_OPT_JSON(&json), { "--all", 0, NULL, &all, NULL },
				     { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 0, 0, &a) < 0)
		return a.exit;
	if ((ret = sw_cli_app_get(cmd, &c, flag, &app, &out, "/reviews%s", all ? "?all=1" : "")))
		goto cleanup;
	if (json) {
		ret = sw_cli_print_json(out);
		goto cleanup;
	}
	sw_cli_table_init(&t, "REVIEW APP", "BRANCH", "STATUS", "LAST PUSH", "URL", NULL);
	json_array_foreach(json_object_get(out, "reviews"), i, r) {
		struct sw_buf when = SW_BUF_INIT;
		int active = !strcmp(sw_json_str_or(r, "status", ""), "active");
		sw_cli_reltime_iso(sw_json_str(r, "last_push_at"), &when);
		sw_cli_table_add(&t, sw_json_str(r, "app"), sw_json_str(r, "branch"), sw_json_str(r, "status"), when.ptr,
				 active ? sw_json_str(r, "url") : sw_json_str(r, "destroyed_reason"));
		sw_cli_table_style(&t, 2, active ? SW_CLI_GREEN : SW_CLI_DIM);
		sw_buf_release(&when);
	}
	sw_cli_table_print(&t, "(no review apps: push a branch other than main to make one)");
	sw_cli_table_release(&t);
	settings_line(app.ptr, out);
cleanup:
	json_decref(out);
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	return ret;
}

static void show_review_settings(const char *app, const json_t *out, int changed)
{
	(void)changed;
	settings_line(app, out);
}

int sw_cli_cmd_reviews_settings(const struct sw_cli_command *cmd, int argc, char **argv)
{
	static const struct sw_cli_settings settings = { "/reviews", "/reviews/settings", "reviews",
							 show_review_settings };
	struct sw_cli_args a;
	const char *flag = NULL, *limit = NULL, *idle = NULL;
	json_t *body = NULL;
	int json = 0;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), SW_CLI_OPT_JSON(&json), { "--limit", 0, &limit, NULL, NULL },
				     { "--idle", 0, &idle, NULL, NULL }, { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 0, 0, &a) < 0)
		return a.exit;
	if (limit) {
		char *end = NULL;
		long n = strtol(limit, &end, 10);
		if (!*limit || *end || n < 0 || n > 1000)
			return sw_cli_usage_error(cmd, "--limit: want a number of review apps (0 to 1000), not '%.20s'", limit);
		body = json_pack("{s:i}", "limit", (int)n);
	}
	if (idle) {
		if (!body)
			body = json_object();
		json_object_set_new(body, "idle", json_string(idle));
	}
	return sw_cli_app_settings(cmd, flag, json, body, &settings);
}

int sw_cli_cmd_review_sync_config(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_buf app = SW_BUF_INIT;
	const char *flag = NULL;
	int ret, no_wait = 0;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), { "--no-wait", 0, NULL, &no_wait, NULL },
				     { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 0, 0, &a) < 0)
		return a.exit;
	if ((ret = sw_cli_setup(cmd, &c, flag, &app)) == 0)
		ret = sw_cli_release_follow(cmd, &c, app.ptr, "sync-config", json_object(), no_wait);
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	return ret;
}
