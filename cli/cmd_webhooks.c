/*
 * webhooks, webhooks:add, webhooks:remove, webhooks:deliveries: clients of
 * /api/v1/apps/<app>/webhooks (receiver/api_webhooks.h, receiver/webhook.h).
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


static void show_webhooks(const char *app, const json_t *out)
{
	struct sw_cli_table t;
	json_t *h;
	size_t i;

	sw_cli_table_init(&t, "ID", "URL", "EVENTS", "LAST DELIVERY", "ADDED", NULL);
	json_array_foreach(json_object_get(out, "webhooks"), i, h) {
		struct sw_buf id = SW_BUF_INIT, last = SW_BUF_INIT, added = SW_BUF_INIT;
		const json_t *l = json_object_get(h, "last_delivery");
		sw_buf_addf(&id, "%lld", sw_json_int(h, "id", 0));
		if (json_is_object(l)) {
			sw_buf_adds(&last, sw_json_str_or(l, "status", "?"));
			if (json_is_integer(json_object_get(l, "response_code")))
				sw_buf_addf(&last, " (%lld)", sw_json_int(l, "response_code", 0));
			sw_buf_adds(&last, " ");
			sw_cli_reltime_iso(sw_json_str(l, "at"), &last);
		}
		sw_cli_reltime_iso(sw_json_str(h, "created_at"), &added);
		sw_cli_table_add(&t, id.ptr, sw_json_str(h, "url"),
				 *sw_json_str_or(h, "events", "") ? sw_json_str(h, "events") : "all", last.len ? last.ptr : "-",
				 added.ptr);
		sw_cli_table_style(&t, 3, sw_cli_status_style(json_is_object(l) ? sw_json_str(l, "status") : NULL));
		sw_buf_release(&id);
		sw_buf_release(&last);
		sw_buf_release(&added);
	}
	sw_cli_table_print(&t, "no webhooks: slipway webhooks:add URL");
	sw_cli_table_release(&t);
}

int sw_cli_cmd_webhooks(const struct sw_cli_command *cmd, int argc, char **argv)
{
	return sw_cli_app_show(cmd, argc, argv, "/webhooks", show_webhooks);
}

int sw_cli_cmd_webhooks_add(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_buf app = SW_BUF_INIT, path = SW_BUF_INIT;
	const char *flag = NULL, *events = NULL;
	json_t *out = NULL, *body = NULL;
	int json = 0, ret;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), SW_CLI_OPT_JSON(&json), { "--events", 'e', &events, NULL, NULL },
				     { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 1, 1, &a) < 0)
		return a.exit;
	if (strncmp(a.pos[0], "http://", 7) && strncmp(a.pos[0], "https://", 8))
		return sw_cli_usage_error(cmd, "'%.80s' is not an http:// or https:// URL", a.pos[0]);
	if ((ret = sw_cli_setup(cmd, &c, flag, &app)))
		goto cleanup;
	body = json_pack("{s:s,s:s}", "url", a.pos[0], "events", events ? events : "");
	if (!body) {
		ret = sw_cli_usage_error(cmd, "the URL and events must be UTF-8");
		goto cleanup;
	}
	sw_buf_addf(&path, "/apps/%s/webhooks", app.ptr);
	if ((ret = sw_cli_call(cmd, &c, "POST", path.ptr, body, &out)))
		goto cleanup;
	if (json) {
		ret = sw_cli_print_json(out);
		goto cleanup;
	}
	printf("Added webhook %lld for %s: %s (%s)\n",
	       sw_json_int(json_object_get(out, "webhook"), "id", 0), app.ptr, a.pos[0],
	       events && *events ? events : "all events");
	printf("Secret (shown this once; deliveries carry X-Slipway-Signature: sha256=HMAC-SHA256(secret, body)):\n");
	printf("  %s\n", sw_json_str(out, "secret"));
cleanup:
	json_decref(out);
	json_decref(body);
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	sw_buf_release(&path);
	return ret;
}

int sw_cli_cmd_webhooks_remove(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_buf app = SW_BUF_INIT, path = SW_BUF_INIT;
	const char *flag = NULL;
	long long id;
	int ret;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 1, 1, &a) < 0)
		return a.exit;
	if (sw_cli_parse_id(a.pos[0], &id) < 0)
		return sw_cli_usage_error(cmd, "'%.40s' is not a webhook id (see `slipway webhooks`)", a.pos[0]);
	if ((ret = sw_cli_setup(cmd, &c, flag, &app)))
		goto cleanup;
	sw_buf_addf(&path, "/apps/%s/webhooks/%lld", app.ptr, id);
	if ((ret = sw_cli_call(cmd, &c, "DELETE", path.ptr, NULL, NULL)))
		goto cleanup;
	printf("Removed webhook %lld of %s\n", id, app.ptr);
cleanup:
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	sw_buf_release(&path);
	return ret;
}

int sw_cli_cmd_webhooks_deliveries(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_table t;
	struct sw_cli_args a;
	struct sw_buf app = SW_BUF_INIT, query = SW_BUF_INIT;
	const char *flag = NULL, *limit_s = NULL;
	long long id = 0, limit = 20;
	json_t *out = NULL, *d;
	size_t i;
	int json = 0, ret;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), SW_CLI_OPT_JSON(&json), { "--limit", 'n', &limit_s, NULL, NULL },
				     { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 0, 1, &a) < 0)
		return a.exit;
	if (a.npos && sw_cli_parse_id(a.pos[0], &id) < 0)
		return sw_cli_usage_error(cmd, "'%.40s' is not a webhook id (see `slipway webhooks`)", a.pos[0]);
	if (limit_s && (sw_cli_parse_id(limit_s, &limit) < 0 || limit > 500))
		return sw_cli_usage_error(cmd, "-n: want 1 to 500");
	sw_buf_addf(&query, "?limit=%lld", limit);
	if (id)
		sw_buf_addf(&query, "&webhook=%lld", id);
	if ((ret = sw_cli_app_get(cmd, &c, flag, &app, &out, "/webhooks/deliveries%s", query.ptr)))
		goto cleanup;
	if (json) {
		ret = sw_cli_print_json(out);
		goto cleanup;
	}
	sw_cli_table_init(&t, "ID", "HOOK", "EVENT", "STATUS", "TRIES", "RESULT", "WHEN", NULL);
	json_array_foreach(json_object_get(out, "deliveries"), i, d) {
		struct sw_buf sid = SW_BUF_INIT, hook = SW_BUF_INIT, tries = SW_BUF_INIT, result = SW_BUF_INIT,
			      when = SW_BUF_INIT, ev = SW_BUF_INIT;
		const char *status = sw_json_str(d, "status");
		sw_buf_addf(&sid, "%lld", sw_json_int(d, "id", 0));
		sw_buf_addf(&hook, "%lld", sw_json_int(d, "webhook", 0));
		sw_buf_addf(&ev, "%s #%lld", sw_json_str_or(d, "type", "?"),
			    sw_json_int(d, "event", 0));
		sw_buf_addf(&tries, "%lld", sw_json_int(d, "attempts", 0));
		if (json_is_integer(json_object_get(d, "response_code")))
			sw_buf_addf(&result, "HTTP %lld", sw_json_int(d, "response_code", 0));
		if (sw_json_str(d, "error") && (!result.len || !strstr(sw_json_str(d, "error"), "HTTP")))
			sw_buf_addf(&result, "%s%.60s", result.len ? ": " : "", sw_json_str(d, "error"));
		if (status && !strcmp(status, "pending") && sw_json_str(d, "next_attempt_at")) {
			sw_buf_adds(&when, "next ");
			sw_cli_reltime_iso(sw_json_str(d, "next_attempt_at"), &when);
		} else {
			sw_cli_reltime_iso(sw_json_str_or(d, "finished_at", sw_json_str(d, "created_at")), &when);
		}
		sw_cli_table_add(&t, sid.ptr, hook.ptr, ev.ptr, status, tries.ptr, result.ptr, when.ptr);
		sw_cli_table_style(&t, 3, sw_cli_status_style(status));
		sw_buf_release(&sid);
		sw_buf_release(&hook);
		sw_buf_release(&tries);
		sw_buf_release(&result);
		sw_buf_release(&when);
		sw_buf_release(&ev);
	}
	sw_cli_table_print(&t, "no deliveries yet");
	sw_cli_table_release(&t);
cleanup:
	json_decref(out);
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	sw_buf_release(&query);
	return ret;
}
