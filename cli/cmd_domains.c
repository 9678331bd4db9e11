/*
 * Custom domains and their certificates: domains, domains:add, domains:remove, certs,
 * certs:add, certs:remove, certs:redirect — clients of slipwayd's domain API
 * (receiver/api_domains.h).
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
#include "common/time.h"
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

static void domain_added(const char *app, const json_t *out, int changed)
{
	(void)changed;
	if (sw_json_bool(out, "added", 0))
		printf("Added %s to %s\n", sw_json_str(out, "host"), app);
	else
		printf("%s is already a domain of %s\n", sw_json_str(out, "host"), app);
}

int sw_cli_cmd_domains_add(const struct sw_cli_command *cmd, int argc, char **argv)
{
	static const struct sw_cli_settings domains = { "/domains", "/domains", NULL, domain_added };
	struct sw_cli_args a;
	const char *flag = NULL;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 1, 1, &a) < 0)
		return a.exit;
	return sw_cli_app_settings(cmd, flag, 0, json_pack("{s:s}", "host", a.pos[0]), &domains);
}

static void domain_removed(const char *host, const char *app)
{
	printf("Removed %s from %s\n", host, app);
}

int sw_cli_cmd_domains_remove(const struct sw_cli_command *cmd, int argc, char **argv)
{
	return sw_cli_app_delete(cmd, argc, argv, "/domains", NULL, domain_removed);
}

static void show_certs(const char *app, const json_t *out)
{
	struct sw_cli_table t;
	json_t *c;
	size_t i;

	sw_cli_table_init(&t, "HOST", "EXPIRES", "CERTIFICATE", NULL);
	json_array_foreach(json_object_get(out, "certs"), i, c) {
		struct sw_buf when = SW_BUF_INIT;
		sw_cli_reltime(sw_json_num(c, "not_after", 0), sw_time_now(), &when);
		sw_cli_table_add(&t, sw_json_str(c, "host"), when.ptr, sw_json_str(c, "arn"));
		sw_buf_release(&when);
	}
	printf("=== %s certificates (HTTP to HTTPS redirect: %s)\n", app,
	       sw_json_bool(out, "https_redirect", 0) ? "on" : "off");
	sw_cli_table_print(&t, "(none: `slipway certs:add HOST --cert FILE --key FILE`)");
	sw_cli_table_release(&t);
}

int sw_cli_cmd_certs(const struct sw_cli_command *cmd, int argc, char **argv)
{
	return sw_cli_app_show(cmd, argc, argv, "/certs", show_certs);
}

/* A PEM file (at most 64 KiB) into out: 0, or -1 with the error slot set. */
static int read_pem(const char *path, struct sw_buf *out)
{
	FILE *f = fopen(path, "re");
	char tmp[4096];
	size_t n;
	if (!f)
		return sw_error_errno("%s", path);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0 && out->len <= 64 * 1024)
		sw_buf_add(out, tmp, n);
	fclose(f);
	if (out->len > 64 * 1024)
		return sw_error("%s: larger than 64 KiB: not a PEM certificate or key", path);
	return 0;
}

int sw_cli_cmd_certs_add(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_buf app = SW_BUF_INIT, path = SW_BUF_INIT, cert = SW_BUF_INIT, key = SW_BUF_INIT;
	const char *flag = NULL, *cert_file = NULL, *key_file = NULL;
	json_t *body = NULL;
	int ret;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), { "--cert", 0, &cert_file, NULL, NULL },
				     { "--key", 0, &key_file, NULL, NULL }, { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 1, 1, &a) < 0)
		return a.exit;
	if (!cert_file || !key_file)
		return sw_cli_usage_error(cmd, "want --cert FILE and --key FILE");
	if (read_pem(cert_file, &cert) < 0 || read_pem(key_file, &key) < 0) {
		ret = sw_cli_fail(cmd, "%s", sw_error_last());
		goto cleanup;
	}
	if ((ret = sw_cli_setup(cmd, &c, flag, &app)))
		goto cleanup;
	sw_buf_addf(&path, "/apps/%s/certs", app.ptr);
	body = json_pack("{s:s, s:s, s:s}", "host", a.pos[0], "cert", cert.ptr, "key", key.ptr);
	if (!body) {
		ret = sw_cli_fail(cmd, "the certificate or the key is not text (PEM)");
		goto cleanup;
	}
	if ((ret = sw_cli_call(cmd, &c, "POST", path.ptr, body, NULL)))
		goto cleanup;
	printf("Added the certificate of %s to %s\n", a.pos[0], app.ptr);
cleanup:
	json_decref(body);
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	sw_buf_release(&path);
	sw_buf_release(&cert);
	sw_buf_release(&key);
	return ret;
}

static void cert_removed(const char *host, const char *app)
{
	printf("Removed the certificate of %s from %s\n", host, app);
}

int sw_cli_cmd_certs_remove(const struct sw_cli_command *cmd, int argc, char **argv)
{
	return sw_cli_app_delete(cmd, argc, argv, "/certs", NULL, cert_removed);
}

int sw_cli_cmd_certs_redirect(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_buf app = SW_BUF_INIT;
	const char *flag = NULL;
	json_t *body = NULL;
	int ret, on;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 1, 1, &a) < 0)
		return a.exit;
	if (strcmp(a.pos[0], "on") && strcmp(a.pos[0], "off"))
		return sw_cli_usage_error(cmd, "want on or off");
	on = !strcmp(a.pos[0], "on");
	body = json_pack("{s:b}", "https_redirect", on);
	if (!(ret = sw_cli_app_call(cmd, &c, flag, &app, "POST", body, NULL, "/routing")))
		printf("HTTP to HTTPS redirect of %s: %s\n", app.ptr, on ? "on" : "off");
	json_decref(body);
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	return ret;
}
