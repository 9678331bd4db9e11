/*
 * apps, apps:create, apps:info, apps:destroy: clients of slipwayd's app API
 * (receiver/api_apps.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/args.h"
#include "cli/client.h"
#include "cli/output.h"
#include "cli/remote.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "common/banned.h"

/* "#12 succeeded", "#12 release failed" of a build object (or "" for null). */
static void build_summary(const json_t *b, struct sw_buf *out)
{
	const char *st, *stage;

	if (!json_is_object(b))
		return;
	st = sw_json_str_or(b, "status", "?");
	stage = sw_json_str(b, "failed_stage");
	sw_buf_addf(out, "#%lld ", sw_json_int(b, "number", sw_json_int(b, "id", 0)));
	if (!strcmp(st, "failed") && stage)
		sw_buf_addf(out, "%s failed", stage);
	else
		sw_buf_adds(out, st);
}

/* One row of `slipway apps` (with BRANCH and URL columns when review apps exist). */
static void app_row(struct sw_cli_table *t, const json_t *app, int review_cols, const char *indent)
{
	const json_t *b = json_object_get(app, "last_build"), *rv = json_object_get(app, "review");
	const json_t *live = json_object_get(app, "live_release");
	struct sw_buf push = SW_BUF_INIT, when = SW_BUF_INIT, created = SW_BUF_INIT, rel = SW_BUF_INIT,
		      name = SW_BUF_INIT;
	const char *state = sw_json_str_or(app, "state", "-");

	/* the last push: its number and commit, who and when (release commands are not pushes) */
	if (json_is_object(b)) {
		sw_buf_addf(&push, "#%lld", sw_json_int(b, "number", sw_json_int(b, "id", 0)));
		if (sw_json_str(b, "commit"))
			sw_buf_addf(&push, " %.7s", sw_json_str(b, "commit"));
		sw_cli_reltime_iso(sw_json_str(b, "created_at"), &when);
	}
	if (json_is_object(live))
		sw_buf_addf(&rel, "v%lld", sw_json_int(live, "version", 0));
	sw_cli_reltime_iso(sw_json_str(app, "created_at"), &created);
	sw_buf_addf(&name, "%s%s", indent, sw_json_str_or(app, "name", "?"));
	if (review_cols)
		sw_cli_table_add(t, name.ptr, state, rel.len ? rel.ptr : "-", push.len ? push.ptr : "-",
				 json_is_object(b) ? sw_json_str_or(b, "pushed_by", "") : "", when.ptr, created.ptr,
				 sw_json_str_or(rv, "branch", ""), sw_json_str_or(rv, "url", ""));
	else
		sw_cli_table_add(t, name.ptr, state, rel.len ? rel.ptr : "-", push.len ? push.ptr : "-",
				 json_is_object(b) ? sw_json_str_or(b, "pushed_by", "") : "", when.ptr, created.ptr);
	sw_cli_table_style(t, 1, sw_cli_status_style(!strcmp(state, "failed") ? "failed"
						    : !strcmp(state, "deploying") ? "running"
						    : !strcmp(state, "live") || !strcmp(state, "built") ? "succeeded" : NULL));
	sw_buf_release(&push);
	sw_buf_release(&when);
	sw_buf_release(&created);
	sw_buf_release(&rel);
	sw_buf_release(&name);
}

/* `slipway apps`: review apps listed under their app, with their branch, last push and URL */
static void show_apps(const char *app_none, const json_t *out)
{
	struct sw_cli_table t;
	json_t *app, *rapp;
	size_t i, k;
	int reviews = 0;

	json_array_foreach(json_object_get(out, "apps"), i, app)
		if (json_is_object(json_object_get(app, "review")))
			reviews = 1;
	if (reviews)
		sw_cli_table_init(&t, "NAME", "STATE", "LIVE", "LAST PUSH", "BY", "WHEN", "CREATED", "BRANCH", "URL", NULL);
	else
		sw_cli_table_init(&t, "NAME", "STATE", "LIVE", "LAST PUSH", "BY", "WHEN", "CREATED", NULL);
	json_array_foreach(json_object_get(out, "apps"), i, app) {
		if (json_is_object(json_object_get(app, "review")))
			continue;
		app_row(&t, app, reviews, "");
		json_array_foreach(json_object_get(out, "apps"), k, rapp) {
			const json_t *rv = json_object_get(rapp, "review");
			if (json_is_object(rv) && sw_json_str(rv, "parent") && sw_json_str(app, "name") &&
			    !strcmp(sw_json_str(rv, "parent"), sw_json_str(app, "name")))
				app_row(&t, rapp, reviews, "  \xe2\x94\x94 ");   /* "  └ " */
		}
	}
	sw_cli_table_print(&t, "no apps yet: `slipway apps:create NAME`, or push to a new one");
	sw_cli_table_release(&t);
}

int sw_cli_cmd_apps(const struct sw_cli_command *cmd, int argc, char **argv)
{
	return sw_cli_show(cmd, argc, argv, "/apps", show_apps);
}

static int check_app_name(const char *name)
{
	if (!sw_cli_app_name_valid(name))
		return sw_error_code(SW_EINVAL, "invalid app name '%.60s' (want 3-30 of a-z, 0-9, '-', starting with a letter, not ending in '-')",
				     name);
	return 0;
}

static void created_app(const char *name, const json_t *out)
{
	printf("Created %s\n", name);
	printf("  git remote add deploy %s\n", sw_json_str_or(out, "git_url", ""));
	printf("  git push deploy main\n");
}

int sw_cli_cmd_apps_create(const struct sw_cli_command *cmd, int argc, char **argv)
{
	return sw_cli_create(cmd, argc, argv, "/apps", check_app_name, created_app);
}

static void info_line(const char *key, const char *value)
{
	printf("%-14s%s\n", key, value && *value ? value : "-");
}

int sw_cli_cmd_apps_info(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_buf app = SW_BUF_INIT, path = SW_BUF_INIT, b = SW_BUF_INIT;
	const char *flag = NULL;
	json_t *info = NULL, *rels = NULL, *hooks = NULL, *all = NULL, *live = NULL, *r;
	const json_t *last;
	size_t i;
	int json = 0, ret = 0;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), SW_CLI_OPT_JSON(&json), { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 0, 0, &a) < 0)
		return a.exit;
	if ((ret = sw_cli_setup(cmd, &c, flag, &app)))
		goto cleanup;
	sw_buf_addf(&path, "/apps/%s", app.ptr);
	if ((ret = sw_cli_call(cmd, &c, "GET", path.ptr, NULL, &info)))
		goto cleanup;
	/* releases and webhooks are extras: a server without them still answers info */
	sw_buf_reset(&path);
	sw_buf_addf(&path, "/apps/%s/releases", app.ptr);
	if (sw_cli_get(&c, path.ptr, &rels) < 0)
		rels = NULL;
	sw_buf_reset(&path);
	sw_buf_addf(&path, "/apps/%s/webhooks", app.ptr);
	if (sw_cli_get(&c, path.ptr, &hooks) < 0)
		hooks = NULL;
	json_array_foreach(json_object_get(rels, "releases"), i, r)
		if (!live && sw_json_str(r, "status") && !strcmp(sw_json_str(r, "status"), "live"))
			live = r;
	if (json) {
		all = json_pack("{s:O,s:O,s:O}", "app", info, "releases",
				rels ? json_object_get(rels, "releases") : json_null(), "webhooks",
				hooks ? json_object_get(hooks, "webhooks") : json_null());
		ret = sw_cli_print_json(all);
		goto cleanup;
	}
	printf("=== %s\n", app.ptr);
	sw_buf_reset(&b);
	if (json_is_object(json_object_get(info, "review"))) {
		/* a review app: the parent's repository, the branch, the URL */
		const json_t *rv = json_object_get(info, "review");
		sw_buf_addf(&b, "%s (branch %s)", sw_json_str(rv, "parent"), sw_json_str(rv, "branch"));
		info_line("Review of:", b.ptr);
		info_line("Status:", sw_json_str(rv, "status"));
		info_line("URL:", sw_json_str(rv, "url"));
		sw_buf_reset(&b);
		sw_buf_addf(&b, "%s/%s.git", c.url, sw_json_str(rv, "parent"));
	} else {
		sw_buf_addf(&b, "%s/%s.git", c.url, app.ptr);
	}
	info_line("Git URL:", b.ptr);
	sw_buf_reset(&b);
	sw_cli_reltime_iso(sw_json_str(info, "created_at"), &b);
	info_line("Created:", b.ptr);
	last = json_object_get(info, "last_build");
	sw_buf_reset(&b);
	if (json_is_object(last)) {
		build_summary(last, &b);
		if (sw_json_str(last, "commit"))
			sw_buf_addf(&b, " (%.7s, ", sw_json_str(last, "commit"));
		sw_cli_reltime_iso(sw_json_str(last, "created_at"), &b);
		sw_buf_adds(&b, ")");
		if (sw_json_str(last, "reason"))
			sw_buf_addf(&b, ": %s", sw_json_str(last, "reason"));
	}
	info_line("Last build:", b.ptr);
	sw_buf_reset(&b);
	if (json_is_object(last) && sw_json_str(last, "summary"))
		sw_buf_adds(&b, sw_json_str(last, "summary"));
	info_line("Outcome:", b.ptr);
	info_line("State:", sw_json_str(info, "state"));
	sw_buf_reset(&b);
	if (live) {
		sw_buf_addf(&b, "v%lld: %s", sw_json_int(live, "version", 0), sw_json_str_or(live, "description", ""));
	} else if (rels) {
		sw_buf_adds(&b, "(none live)");
	}
	info_line("Live release:", rels ? b.ptr : "(no releases on this server)");
	sw_buf_reset(&b);
	if (rels)
		sw_buf_addf(&b, "%zu", json_array_size(json_object_get(rels, "releases")));
	info_line("Releases:", b.ptr);
	sw_buf_reset(&b);
	if (hooks)
		sw_buf_addf(&b, "%zu", json_array_size(json_object_get(hooks, "webhooks")));
	info_line("Webhooks:", b.ptr);
	if (json_is_object(json_object_get(info, "settings")))
		info_line("Task role:", sw_json_str_or(json_object_get(info, "settings"), "task_role", "(none)"));
cleanup:
	json_decref(info);
	json_decref(rels);
	json_decref(hooks);
	json_decref(all);
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	sw_buf_release(&path);
	sw_buf_release(&b);
	return ret;
}

int sw_cli_cmd_apps_destroy(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_buf app = SW_BUF_INIT, path = SW_BUF_INIT, what = SW_BUF_INIT;
	const char *flag = NULL, *confirm = NULL;
	json_t *out = NULL, *v;
	size_t i;
	int json = 0, ret = 0;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), SW_CLI_OPT_JSON(&json),
				     { "--confirm", 0, &confirm, NULL, NULL }, { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 0, 1, &a) < 0)
		return a.exit;
	if (a.npos && flag && strcmp(a.pos[0], flag))
		return sw_cli_usage_error(cmd, "two different apps given (%s and %s)", a.pos[0], flag);
	if (a.npos)
		flag = a.pos[0];
	if ((ret = sw_cli_setup(cmd, &c, flag, &app)))
		goto cleanup;
	if (!confirm || strcmp(confirm, app.ptr)) {
		ret = sw_cli_usage_error(cmd, "this removes %s and everything of it for good: pass --confirm %s",
					 app.ptr, app.ptr);
		goto cleanup;
	}
	sw_buf_addf(&path, "/apps/%s?confirm=%s", app.ptr, app.ptr);
	sw_cli_spinner_start("destroying %s", app.ptr);
	ret = sw_cli_api(&c, "DELETE", path.ptr, NULL, &out);
	sw_cli_spinner_stop();
	if (ret < 0) {
		ret = sw_cli_fail(cmd, "%s", sw_error_last());
		goto cleanup;
	}
	if (json) {
		ret = sw_cli_print_json(out);
		goto cleanup;
	}
	json_array_foreach(json_object_get(out, "removed"), i, v)
		sw_buf_addf(&what, "%s%s", i ? ", " : "", json_string_value(v));
	printf("Destroyed %s (removed: %s)\n", app.ptr, what.len ? what.ptr : "nothing else");
cleanup:
	json_decref(out);
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	sw_buf_release(&path);
	sw_buf_release(&what);
	return ret;
}

static void show_settings(const char *app, const json_t *out, int changed)
{
	printf("=== %s settings\n", app);
	info_line("task_role:", sw_json_str_or(out, "task_role", "(none)"));
	if (changed)
		printf("The next release of %s runs with it (push, config:set or rollback).\n", app);
}

/* `slipway apps:settings`: the app's own settings, or set them (KEY=VALUE, an empty VALUE removes). */
int sw_cli_cmd_apps_settings(const struct sw_cli_command *cmd, int argc, char **argv)
{
	static const struct sw_cli_settings settings = { "/settings", "/settings", NULL, show_settings };
	struct sw_cli_args a;
	const char *flag = NULL;
	json_t *body = NULL;
	int i, json = 0;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), SW_CLI_OPT_JSON(&json), { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 0, 1, &a) < 0)
		return a.exit;
	for (i = 0; i < a.npos; i++) {
		const char *eq = strchr(a.pos[i], '=');
		if (!eq || (size_t)(eq - a.pos[i]) != strlen("task_role") || strncmp(a.pos[i], "task_role", 9))
			return sw_cli_usage_error(cmd, "'%.60s': the setting is task_role=ARN (task_role= removes it)",
						  a.pos[i]);
		body = json_pack("{s:s}", "task_role", eq + 1);
	}
	return sw_cli_app_settings(cmd, flag, json, body, &settings);
}
