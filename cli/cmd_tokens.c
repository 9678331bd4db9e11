/*
 * tokens, tokens:create, tokens:revoke, login: API tokens (receiver/api_tokens.h), each
 * a user's, and where the CLI and git keep one (~/.netrc, cli/netrc.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/args.h"
#include "cli/client.h"
#include "cli/netrc.h"
#include "cli/output.h"
#include "cli/remote.h"
#include "common/buf.h"
#include "common/env.h"
#include "common/error.h"
#include "common/json.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define TOKEN_NAME_CHARS "abcdefghijklmnopqrstuvwxyz0123456789-_."

static int check_token_name(const char *n)
{
	size_t len = strlen(n);
	if (len < 1 || len > 64 || strspn(n, TOKEN_NAME_CHARS) != len)
		return sw_error_code(SW_EINVAL, "token name: want 1-64 of a-z 0-9 - _ .");
	return 0;
}

static void show_tokens(const char *app_none, const json_t *out)
{
	struct sw_cli_table t;
	json_t *tk;
	size_t i;

	(void)app_none;
	sw_cli_table_init(&t, "USER", "NAME", "LIMITS", "CREATED", "LAST USED", "EXPIRES", "", NULL);
	json_array_foreach(json_object_get(out, "tokens"), i, tk) {
		struct sw_buf when = SW_BUF_INIT, used = SW_BUF_INIT, expires = SW_BUF_INIT, limits = SW_BUF_INIT;
		sw_cli_reltime_iso(sw_json_str(tk, "created_at"), &when);
		if (sw_json_str(tk, "last_used_at"))
			sw_cli_reltime_iso(sw_json_str(tk, "last_used_at"), &used);
		if (sw_json_str(tk, "expires_at"))
			sw_buf_adds(&expires, sw_json_str(tk, "expires_at"));
		if (sw_json_str(tk, "app"))
			sw_buf_addf(&limits, "app %s", sw_json_str(tk, "app"));
		if (sw_json_str(tk, "role"))
			sw_buf_addf(&limits, "%srole %s", limits.len ? ", " : "", sw_json_str(tk, "role"));
		sw_cli_table_add(&t, sw_json_str_or(tk, "user", "-"), sw_json_str(tk, "name"), limits.len ? limits.ptr : "-",
				 when.ptr, used.len ? used.ptr : "never", expires.len ? expires.ptr : "never",
				 sw_json_bool(tk, "current", 0) ? "(this one)" : "");
		sw_buf_release(&when);
		sw_buf_release(&used);
		sw_buf_release(&expires);
		sw_buf_release(&limits);
	}
	sw_cli_table_print(&t, NULL);
	sw_cli_table_release(&t);
}

int sw_cli_cmd_tokens(const struct sw_cli_command *cmd, int argc, char **argv)
{
	return sw_cli_show(cmd, argc, argv, "/tokens", show_tokens);
}

int sw_cli_cmd_tokens_create(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	const char *app = NULL, *role = NULL, *expires = NULL;
	json_t *body = NULL, *out = NULL;
	int json = 0, ret;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_JSON(&json), { "--app", 'a', &app, NULL, NULL },
				     { "--role", 0, &role, NULL, NULL }, { "--expires", 0, &expires, NULL, NULL },
				     { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 1, 1, &a) < 0)
		return a.exit;
	if (check_token_name(a.pos[0]) < 0)
		return sw_cli_usage_error(cmd, "%s", sw_error_last());
	if (role && strcmp(role, "read") && strcmp(role, "deploy") && strcmp(role, "operate") && strcmp(role, "admin"))
		return sw_cli_usage_error(cmd, "role: want read, deploy, operate or admin, not '%.20s'", role);
	body = json_pack("{s:s}", "name", a.pos[0]);
	if (app)
		json_object_set_new(body, "app", json_string(app));
	if (role)
		json_object_set_new(body, "role", json_string(role));
	if (expires)
		json_object_set_new(body, "expires", json_string(expires));
	if ((ret = sw_cli_setup(cmd, &c, NULL, NULL)) || (ret = sw_cli_call(cmd, &c, "POST", "/tokens", body, &out)))
		goto cleanup;
	if (json)
		ret = sw_cli_print_json(out);
	else
		printf("Created token %s%s%s%s%s (shown this once):\n  %s\n", a.pos[0], app ? " for " : "", app ? app : "",
		       role ? " as " : "", role ? role : "", sw_json_str(out, "secret"));
cleanup:
	json_decref(body);
	json_decref(out);
	sw_cli_client_release(&c);
	return ret;
}

int sw_cli_cmd_tokens_revoke(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_args a;
	struct sw_buf path = SW_BUF_INIT;
	const char *user = NULL;
	int ret = 0;
	struct sw_cli_opt opts[] = { { "--user", 0, &user, NULL, NULL }, { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 1, 1, &a) < 0)
		return a.exit;
	if (check_token_name(a.pos[0]) < 0)
		return sw_cli_usage_error(cmd, "%s", sw_error_last());
	sw_buf_addf(&path, "/tokens/%s", a.pos[0]);
	if (user) {
		sw_buf_adds(&path, "?user=");
		sw_cli_urlencode(&path, user);
	}
	if (!(ret = sw_cli_delete(cmd, path.ptr)))
		printf("Revoked token %s%s%s\n", a.pos[0], user ? " of " : "", user ? user : "");
	sw_buf_release(&path);
	return ret;
}

/* ---- login -------------------------------------------------------------------------- */

/* A line from fd (no echo when it is a terminal), bounded. */
static int read_secret(struct sw_buf *out, int prompt)
{
	struct termios old, quiet;
	int tty = isatty(0), fd = 0, restore = 0, ret = 0;
	char ch;

	sw_buf_reset(out);
	if (prompt && tty) {
		fputs("Token: ", stderr);
		fflush(stderr);
		if (tcgetattr(fd, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
		}
	}
	for (;;) {
		ssize_t n = read(fd, &ch, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || ch == '\n')
			break;
		if (out->len >= 1024) {
			ret = sw_error_code(SW_ETOOBIG, "that is not a token (too long)");
			break;
		}
		sw_buf_addch(out, ch);
	}
	if (restore) {
		tcsetattr(fd, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	sw_buf_rtrim(out);
	return ret;
}

static int save_url(const char *url)
{
	struct sw_buf dir = SW_BUF_INIT, path = SW_BUF_INIT, text = SW_BUF_INIT;
	int ret = 0;

	sw_cli_config_dir(&dir);
	if (!dir.len)
		goto cleanup;
	if (!sw_env_str("XDG_CONFIG_HOME")) {   /* ~/.config/slipway: make ~/.config first */
		struct sw_buf parent = SW_BUF_INIT;
		sw_buf_addf(&parent, "%s/.config", sw_env_str("HOME"));
		mkdir(parent.ptr, 0700);
		sw_buf_release(&parent);
	}
	if (mkdir(dir.ptr, 0700) < 0 && errno != EEXIST) {
		ret = sw_error_errno("mkdir %s", dir.ptr);
		goto cleanup;
	}
	sw_buf_addf(&path, "%s/url", dir.ptr);
	sw_buf_addf(&text, "%s\n", url);
	ret = sw_netrc_write(path.ptr, text.ptr, text.len);
cleanup:
	sw_buf_release(&dir);
	sw_buf_release(&path);
	sw_buf_release(&text);
	return ret;
}

int sw_cli_cmd_login(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_buf url = SW_BUF_INIT, token = SW_BUF_INIT, path = SW_BUF_INIT, text = SW_BUF_INIT,
		      updated = SW_BUF_INIT;
	struct sw_cli_url u;
	const char *flag_token = NULL;
	int ret = 0;
	struct sw_cli_opt opts[] = { { "--token", 0, &flag_token, NULL, NULL }, { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 0, 1, &a) < 0)
		return a.exit;
	if (a.npos) {
		sw_buf_adds(&url, a.pos[0]);
		while (url.len && url.ptr[url.len - 1] == '/')
			sw_buf_setlen(&url, url.len - 1);
	} else if (sw_cli_server_url(&url) < 0) {
		ret = sw_cli_fail(cmd, "%s", sw_error_last());
		goto cleanup;
	}
	if (sw_cli_url_parse(url.ptr, &u) < 0) {
		ret = sw_cli_usage_error(cmd, "'%.100s' is not an http(s) URL", url.ptr);
		goto cleanup;
	}
	if (flag_token)
		sw_buf_adds(&token, flag_token);
	else if (read_secret(&token, 1) < 0) {
		ret = sw_cli_fail(cmd, "%s", sw_error_last());
		goto cleanup;
	}
	if (!token.len || strspn(token.ptr, "0123456789abcdefABCDEF") != token.len) {
		ret = sw_cli_fail(cmd, "that is not a slipway token (hex digits, as `slipway tokens:create` prints)");
		goto cleanup;
	}
	/* the token must work before anything is written */
	c.url = xstrdup(url.ptr);
	c.token = xstrdup(token.ptr);
	c.token_from = "login";
	if (sw_cli_get(&c, "/tokens", NULL) < 0) {
		ret = sw_cli_fail(cmd, "%s", sw_error_last());
		goto cleanup;
	}
	if (sw_netrc_path(&path) < 0 || sw_netrc_read(path.ptr, &text) < 0 ||
	    sw_netrc_set(text.ptr, u.host, "slipway", token.ptr, &updated) < 0 ||
	    sw_netrc_write(path.ptr, updated.ptr, updated.len) < 0) {
		ret = sw_cli_fail(cmd, "%s", sw_error_last());
		goto cleanup;
	}
	if (a.npos && save_url(url.ptr) < 0) {
		ret = sw_cli_fail(cmd, "%s", sw_error_last());
		goto cleanup;
	}
	printf("Logged in to %s: the token is in %s for %s (mode 0600); git push over HTTP uses it too.\n", url.ptr,
	       path.ptr, u.host);
	if (sw_env_str("SLIPWAY_TOKEN"))
		printf("Note: SLIPWAY_TOKEN is set and wins over it.\n");
cleanup:
	sw_cli_client_release(&c);
	sw_buf_release(&url);
	sw_buf_release(&token);
	sw_buf_release(&path);
	sw_buf_release(&text);
	sw_buf_release(&updated);
	return ret;
}
