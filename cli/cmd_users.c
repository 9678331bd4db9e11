/*
 * users, users:create, users:remove, access, access:add, access:remove: clients of
 * /api/v1/users and /api/v1/apps/<app>/access (receiver/api_users.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/args.h"
#include "cli/client.h"
#include "cli/output.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "common/banned.h"

static int check_user_name(const char *n)
{
	size_t len = strlen(n);
	if (len < 1 || len > 32 || n[0] < 'a' || n[0] > 'z' || strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789._-") != len)
		return sw_error_code(SW_EINVAL, "user name: want 1-32 of a-z 0-9 . _ -, starting with a letter");
	return 0;
}

static void show_users(const char *app, const json_t *out)
{
	struct sw_cli_table t;
	json_t *u;
	size_t i;

	(void)app;
	sw_cli_table_init(&t, "USER", "ADMIN", "APPS", "TOKENS", "KEYS", "CREATED", NULL);
	json_array_foreach(json_object_get(out, "users"), i, u) {
		struct sw_buf apps = SW_BUF_INIT, tokens = SW_BUF_INIT, keys = SW_BUF_INIT, when = SW_BUF_INIT;
		sw_buf_addf(&apps, "%lld", sw_json_int(u, "apps", 0));
		sw_buf_addf(&tokens, "%lld", sw_json_int(u, "tokens", 0));
		sw_buf_addf(&keys, "%lld", sw_json_int(u, "keys", 0));
		sw_cli_reltime_iso(sw_json_str(u, "created_at"), &when);
		sw_cli_table_add(&t, sw_json_str(u, "name"), sw_json_bool(u, "admin", 0) ? "yes" : "", apps.ptr, tokens.ptr,
				 keys.ptr, when.ptr);
		sw_buf_release(&apps);
		sw_buf_release(&tokens);
		sw_buf_release(&keys);
		sw_buf_release(&when);
	}
	sw_cli_table_print(&t, NULL);
	sw_cli_table_release(&t);
}

int sw_cli_cmd_users(const struct sw_cli_command *cmd, int argc, char **argv)
{
	return sw_cli_show(cmd, argc, argv, "/users", show_users);
}

int sw_cli_cmd_users_create(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	json_t *out = NULL, *body = NULL, *shown = NULL;
	int json = 0, admin = 0, ret;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_JSON(&json), { "--admin", 0, NULL, &admin, NULL },
				     { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 1, 1, &a) < 0)
		return a.exit;
	if (check_user_name(a.pos[0]) < 0)
		return sw_cli_usage_error(cmd, "%s", sw_error_last());
	body = json_pack("{s:s,s:b}", "name", a.pos[0], "admin", admin);
	if ((ret = sw_cli_setup(cmd, &c, NULL, NULL)) || (ret = sw_cli_call(cmd, &c, "POST", "/users", body, &out)))
		goto cleanup;
	if (json) {
		shown = json_pack("{s:s,s:s}", "user", a.pos[0], "token", sw_json_str_or(out, "token", ""));
		ret = sw_cli_print_json(shown);
	} else {
		printf("Created %s %s; their token (shown this once):\n  %s\n", admin ? "admin" : "user", a.pos[0],
		       sw_json_str_or(out, "token", ""));
		if (!admin)
			printf("Give them a role on an app: slipway access:add %s deploy -a APP\n", a.pos[0]);
	}
cleanup:
	json_decref(out);
	json_decref(body);
	json_decref(shown);
	sw_cli_client_release(&c);
	return ret;
}

int sw_cli_cmd_users_remove(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_args a;
	struct sw_buf path = SW_BUF_INIT;
	int ret;

	if (sw_cli_args_parse(cmd, argc, argv, NULL, 1, 1, &a) < 0)
		return a.exit;
	if (check_user_name(a.pos[0]) < 0)
		return sw_cli_usage_error(cmd, "%s", sw_error_last());
	sw_buf_addf(&path, "/users/%s", a.pos[0]);
	if (!(ret = sw_cli_delete(cmd, path.ptr)))
		printf("Removed user %s (their tokens revoked, their roles and keys gone)\n", a.pos[0]);
	sw_buf_release(&path);
	return ret;
}

static void show_access(const char *app, const json_t *out)
{
	struct sw_cli_table t;
	struct sw_buf admins = SW_BUF_INIT;
	json_t *g;
	size_t i;

	sw_cli_table_init(&t, "USER", "ROLE", "GIVEN", "BY", NULL);
	json_array_foreach(json_object_get(out, "access"), i, g) {
		struct sw_buf when = SW_BUF_INIT;
		sw_cli_reltime_iso(sw_json_str(g, "created_at"), &when);
		sw_cli_table_add(&t, sw_json_str(g, "user"), sw_json_str(g, "role"), when.ptr,
				 sw_json_str_or(g, "created_by", "-"));
		sw_buf_release(&when);
	}
	sw_cli_table_print(&t, "nobody has a role on it but the admins: slipway access:add USER ROLE");
	json_array_foreach(json_object_get(out, "admins"), i, g)
		sw_buf_addf(&admins, "%s%s", i ? ", " : "", json_string_value(g));
	if (admins.len)
		printf("Admins (every app): %s\n", admins.ptr);
	(void)app;
	sw_buf_release(&admins);
	sw_cli_table_release(&t);
}

int sw_cli_cmd_access(const struct sw_cli_command *cmd, int argc, char **argv)
{
	return sw_cli_app_show(cmd, argc, argv, "/access", show_access);
}

int sw_cli_cmd_access_add(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_buf app = SW_BUF_INIT;
	const char *flag = NULL;
	json_t *body = NULL;
	int ret;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 2, 2, &a) < 0)
		return a.exit;
	if (check_user_name(a.pos[0]) < 0)
		return sw_cli_usage_error(cmd, "%s", sw_error_last());
	if (strcmp(a.pos[1], "read") && strcmp(a.pos[1], "deploy") && strcmp(a.pos[1], "operate"))
		return sw_cli_usage_error(cmd, "role: want read, deploy or operate, not '%.20s'", a.pos[1]);
	body = json_pack("{s:s,s:s}", "user", a.pos[0], "role", a.pos[1]);
	if (!(ret = sw_cli_app_call(cmd, &c, flag, &app, "POST", body, NULL, "/access")))
		printf("%s has %s on %s\n", a.pos[0], a.pos[1], app.ptr);
	json_decref(body);
	sw_buf_release(&app);
	sw_cli_client_release(&c);
	return ret;
}

static void access_removed(const char *user, const char *app)
{
	printf("%s has no role on %s any more\n", user, app);
}

int sw_cli_cmd_access_remove(const struct sw_cli_command *cmd, int argc, char **argv)
{
	return sw_cli_app_delete(cmd, argc, argv, "/access", check_user_name, access_removed);
}
