/*
 * keys, keys:add, keys:remove: the SSH keys git over SSH takes for you, clients of
 * /api/v1/keys (receiver/api_users.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/args.h"
#include "cli/client.h"
#include "cli/output.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "common/banned.h"

static void show_keys(const char *app, const json_t *out)
{
	struct sw_cli_table t;
	json_t *k;
	size_t i;

	(void)app;
	sw_cli_table_init(&t, "FINGERPRINT", "TYPE", "COMMENT", "ADDED", "LAST USED", NULL);
	json_array_foreach(json_object_get(out, "keys"), i, k) {
		struct sw_buf added = SW_BUF_INIT, used = SW_BUF_INIT;
		sw_cli_reltime_iso(sw_json_str(k, "created_at"), &added);
		if (sw_json_str(k, "last_used_at"))
			sw_cli_reltime_iso(sw_json_str(k, "last_used_at"), &used);
		sw_cli_table_add(&t, sw_json_str(k, "fingerprint"), sw_json_str(k, "type"), sw_json_str_or(k, "comment", ""),
				 added.ptr, used.len ? used.ptr : "never");
		sw_buf_release(&added);
		sw_buf_release(&used);
	}
	sw_cli_table_print(&t, "no SSH keys: slipway keys:add [~/.ssh/id_ed25519.pub]");
	sw_cli_table_release(&t);
}

int sw_cli_cmd_keys(const struct sw_cli_command *cmd, int argc, char **argv)
{
	return sw_cli_show(cmd, argc, argv, "/keys", show_keys);
}

/* The first line of path that is not empty or a comment, at most 16 KiB. */
static int read_key_file(const char *path, struct sw_buf *line)
{
	char tmp[4096];
	struct sw_buf all = SW_BUF_INIT;
	const char *p;
	size_t n;
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return sw_error_errno("%s", path);
	sw_buf_init(&all, 20 * 1024);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		if (sw_buf_add(&all, tmp, n) < 0) {
			ret = sw_error_code(SW_ETOOBIG, "%s: too big for an SSH public key", path);
			break;
		}
	fclose(f);
	for (p = all.len ? all.ptr : ""; !ret && *p; ) {
		size_t len = strcspn(p, "\n");
		while (*p == ' ' || *p == '\t')
			p++, len--;
		if (len && *p != '#') {
			sw_buf_add(line, p, len);
			sw_buf_rtrim(line);
			break;
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	if (!ret && !line->len)
		ret = sw_error_code(SW_EINVAL, "%s: no key in it", path);
	sw_buf_release(&all);
	return ret;
}

int sw_cli_cmd_keys_add(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_buf path = SW_BUF_INIT, line = SW_BUF_INIT;
	json_t *body = NULL, *out = NULL;
	const char *home = getenv("HOME");
	int json = 0, ret;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_JSON(&json), { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 0, 1, &a) < 0)
		return a.exit;
	if (a.npos) {
		sw_buf_adds(&path, a.pos[0]);
	} else {   /* ~/.ssh/id_ed25519.pub, else ~/.ssh/id_rsa.pub */
		sw_buf_addf(&path, "%s/.ssh/id_ed25519.pub", home ? home : "");
		if (access(path.ptr, R_OK) < 0) {
			sw_buf_reset(&path);
			sw_buf_addf(&path, "%s/.ssh/id_rsa.pub", home ? home : "");
		}
		if (access(path.ptr, R_OK) < 0) {
			ret = sw_cli_fail(cmd, "no ~/.ssh/id_ed25519.pub or ~/.ssh/id_rsa.pub: give the public key's file"
					  " (ssh-keygen -t ed25519 makes one)");
			goto cleanup;
		}
	}
	if (read_key_file(path.ptr, &line) < 0) {
		ret = sw_cli_fail(cmd, "%s", sw_error_last());
		goto cleanup;
	}
	body = json_pack("{s:s}", "key", line.ptr);
	if (!body) {
		ret = sw_cli_fail(cmd, "%s: not text", path.ptr);
		goto cleanup;
	}
	if ((ret = sw_cli_setup(cmd, &c, NULL, NULL)) || (ret = sw_cli_call(cmd, &c, "POST", "/keys", body, &out)))
		goto cleanup;
	if (json)
		ret = sw_cli_print_json(out);
	else
		printf("Added SSH key %s%s%s%s\n", sw_json_str_or(out, "fingerprint", "?"),
		       *sw_json_str_or(out, "comment", "") ? " (" : "", sw_json_str_or(out, "comment", ""),
		       *sw_json_str_or(out, "comment", "") ? ")" : "");
cleanup:
	json_decref(body);
	json_decref(out);
	sw_buf_release(&path);
	sw_buf_release(&line);
	sw_cli_client_release(&c);
	return ret;
}

int sw_cli_cmd_keys_remove(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_args a;
	struct sw_buf path = SW_BUF_INIT;
	const char *p;
	int ret;

	if (sw_cli_args_parse(cmd, argc, argv, NULL, 1, 1, &a) < 0)
		return a.exit;
	p = a.pos[0];
	if (!strncmp(p, "SHA256:", 7))
		p += 7;
	if (!*p || strlen(p) > 60 || strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != strlen(p))
		return sw_cli_usage_error(cmd, "want a key's fingerprint, SHA256:..., as slipway keys lists it");
	/* base64's '+' and '/' go in a path as '-' and '_' */
	sw_buf_adds(&path, "/keys/SHA256:");
	for (; *p; p++)
		sw_buf_addch(&path, *p == '+' ? '-' : *p == '/' ? '_' : *p);
	if (!(ret = sw_cli_delete(cmd, path.ptr)))
		printf("Removed SSH key %s\n", a.pos[0]);
	sw_buf_release(&path);
	return ret;
}
