/*
 * The release commands: releases, releases:info, rollback, config, config:set,
 * config:unset, scale, doctor — clients of slipwayd's release API
 * (receiver/api_releases.h). Commands that make a release stream its rollout like a push
 * and exit with its verdict: 0 live (or nothing to change), 1 failed (the reason on
 * stderr), unless --no-wait.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/args.h"
#include "cli/client.h"
#include "cli/output.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "common/lines.h"
#include "common/time.h"
#include "common/banned.h"

static void formation(const json_t *f, int memory, struct sw_buf *out)
{
	const char *k;
	json_t *v;
	int first = 1;
	json_object_foreach((json_t *)f, k, v) {
		sw_buf_addf(out, "%s%s=%lld", first ? "" : " ", k, sw_json_int(v, "count", 0));
		if (memory)
			sw_buf_addf(out, ":%lldMB", sw_json_int(v, "memory", 0));
		if (memory && sw_json_int(v, "cpu", 0) > 0)
			sw_buf_addf(out, ":%lldcpu", sw_json_int(v, "cpu", 0));
		first = 0;
	}
}

/* "v7" or "7" → 7; 0 when it is not a release number. */
static int version_arg(const char *s)
{
	char *end = NULL;
	long v;
	if (s[0] == 'v')
		s++;
	v = strtol(s, &end, 10);
	return *s && end && !*end && v > 0 && v < 1000000000 ? (int)v : 0;
}

static void show_releases(const char *app, const json_t *out)
{
	struct sw_cli_table t;
	json_t *r;
	size_t i;

	sw_cli_table_init(&t, "RELEASE", "STATUS", "WHAT", "PROCESSES", "WHEN", "TOOK", "BY", "REASON", NULL);
	int current_seen = 0; /* newest first: the first live release is the one serving */
	json_array_foreach(json_object_get(out, "releases"), i, r) {
		struct sw_buf v = SW_BUF_INIT, f = SW_BUF_INIT, when = SW_BUF_INIT, took = SW_BUF_INIT;
		const char *status = sw_json_str(r, "status");
		if (status && !strcmp(status, "live") && current_seen++)
			status = "superseded";
		sw_buf_addf(&v, "v%lld", sw_json_int(r, "version", 0));
		formation(json_object_get(r, "formation"), 0, &f);
		sw_cli_reltime(sw_json_num(r, "created_at", 0), sw_time_now(), &when);
		if (sw_json_num(r, "started_at", 0) > 0 && sw_json_num(r, "finished_at", 0) > 0)
			sw_time_format_brief(&took, sw_json_num(r, "finished_at", 0) - sw_json_num(r, "started_at", 0));
		sw_cli_table_add(&t, v.ptr, status, sw_json_str(r, "description"), f.ptr, when.ptr, took.ptr,
				 sw_json_str(r, "created_by"), sw_json_str(r, "reason"));
		sw_cli_table_style(&t, 1, sw_cli_status_style(status));
		sw_buf_release(&v);
		sw_buf_release(&f);
		sw_buf_release(&when);
		sw_buf_release(&took);
	}
	sw_cli_table_print(&t, "(no releases yet: git push to make the first)");
	sw_cli_table_release(&t);
}

int sw_cli_cmd_releases(const struct sw_cli_command *cmd, int argc, char **argv)
{
	return sw_cli_app_show(cmd, argc, argv, "/releases", show_releases);
}

/*
 * When each step of the release ended, from the push (or from the release's making):
 *   phases:       +1.5s  build (1.5s)
 *                 +1.6s  push (0.1s) ...
 */
static void print_phases(const json_t *r)
{
	static const char *const keys[] = { "build", "push", "registered", "first_healthy", "live" };
	static const char *const names[] = { "build", "push", "registered", "first healthy", "live" };
	const json_t *ph = json_object_get(r, "phases");
	double origin = sw_json_num(ph, "received", 0), prev;
	size_t i;
	int first = 1;

	if (origin <= 0)
		origin = sw_json_num(r, "created_at", 0);
	prev = origin;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		double at = sw_json_num(ph, keys[i], 0);
		if (at <= 0)
			continue;
		printf("%s+%.2fs  %s (%.2fs)\n", first ? "phases:       " : "              ", at - origin, names[i],
		       at - prev);
		prev = at;
		first = 0;
	}
	if (sw_json_int(r, "aws_requests", 0) > 0)
		printf("watched with: %lld AWS requests\n", sw_json_int(r, "aws_requests", 0));
}

int sw_cli_cmd_releases_info(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_buf app = SW_BUF_INIT, b = SW_BUF_INIT;
	const char *flag = NULL;
	json_t *r = NULL, *v;
	size_t i;
	int json = 0, ret, version;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), SW_CLI_OPT_JSON(&json), { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 1, 1, &a) < 0)
		return a.exit;
	if (!(version = version_arg(a.pos[0])))
		return sw_cli_usage_error(cmd, "'%s' is not a release (like v7)", a.pos[0]);
	if ((ret = sw_cli_app_get(cmd, &c, flag, &app, &r, "/releases/%d", version)))
		goto cleanup;
	if (json) {
		ret = sw_cli_print_json(r);
		goto cleanup;
	}
	printf("=== %s v%d\n", app.ptr, version);
	printf("status:       %s\n", sw_json_str(r, "status"));
	if (sw_json_str(r, "reason"))
		printf("reason:       %s\n", sw_json_str(r, "reason"));
	if (sw_json_int(r, "rolled_back_to", 0))
		printf("running:      v%lld (rolled back to it)\n",
		       sw_json_int(r, "rolled_back_to", 0));
	printf("what:         %s (%s)\n", sw_json_str(r, "description"), sw_json_str(r, "kind"));
	printf("made by:      %s\n", *sw_json_str_or(r, "created_by", "") ? sw_json_str(r, "created_by") : "-");
	printf("commit:       %s\n", sw_json_str_or(r, "commit", "-"));
	printf("image:        %s\n", sw_json_str_or(r, "image", "-"));
	printf("digest:       %s\n", sw_json_str_or(r, "digest", "-"));
	formation(json_object_get(r, "formation"), 1, &b);
	printf("processes:    %s\n", b.len ? b.ptr : "-");
	sw_buf_reset(&b);
	json_array_foreach(json_object_get(r, "config_vars"), i, v)
		sw_buf_addf(&b, "%s%s", i ? ", " : "", json_string_value(v));
	printf("config vars:  %s\n", b.len ? b.ptr : "(none)");
	sw_buf_reset(&b);
	sw_cli_reltime(sw_json_num(r, "created_at", 0), sw_time_now(), &b);
	printf("created:      %s\n", b.ptr);
	if (sw_json_num(r, "duration", 0) > 0) {
		sw_buf_reset(&b);
		sw_time_format_brief(&b, sw_json_num(r, "duration", 0));
		printf("rollout took: %s\n", b.ptr);
	}
	print_phases(r);
	printf("release proc: %s\n", sw_json_bool(r, "release_ran", 0) ? "ran" : "-");
	printf("tagged:       %s\n", sw_json_bool(r, "tagged", 0) ? "yes" : "no");
cleanup:
	json_decref(r);
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	sw_buf_release(&b);
	return ret;
}

/* ---- commands that make a release ---- */

struct follow {
	const struct sw_cli_command *cmd;
	int no_wait;
	int status;           /* the exit status once the verdict came; -1 before */
	long long job;        /* the job's id ({"job": id}), 0 before */
	long lines;           /* log lines shown */
};

/* slipwayd gone before the verdict (a restart): how long to wait for it, and the pauses. */
#define REATTACH_SECS 900
#define REATTACH_FIRST 0.2
#define REATTACH_MAX 2.0

static int on_line(void *ctx, const json_t *l)
{
	struct follow *f = ctx;
	const char *line = sw_json_str(l, "line"), *status = sw_json_str(l, "status");
	if (json_is_integer(json_object_get(l, "job")))
		f->job = json_integer_value(json_object_get(l, "job"));
	if (line) {
		f->lines++;
		sw_cli_out_line(line, strlen(line));
		if (f->no_wait && !strncmp(line, "-----> releasing v", 18)) {
			printf("(not waiting: `slipway releases:info v%d` tells how it ends)\n", atoi(line + 18));
			f->status = 0;
			return -1;
		}
		return 0;
	}
	if (!status)
		return 0;   /* a keepalive */
	sw_cli_spinner_stop();
	if (!strcmp(status, "live") || !strcmp(status, "unchanged"))
		f->status = 0;
	else
		f->status = sw_cli_fail(f->cmd, "%s", sw_json_str_or(l, "reason", "failed"));
	return 0;
}

struct rest {
	struct sw_lines lines;
	long skip;            /* lines shown before the connection broke */
};

static int rest_line(void *ctx, const char *line, size_t len)
{
	struct rest *r = ctx;
	if (r->skip > 0)
		r->skip--;
	else
		sw_cli_out_line(line, len);
	return 0;
}

static int rest_data(void *ctx, const char *data, size_t n)
{
	struct rest *r = ctx;
	return sw_lines_feed(&r->lines, data, n);
}

static void pause_for(double secs)
{
	struct timespec ts = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };
	nanosleep(&ts, NULL);
}

/*
 * The answer broke off before the verdict (slipwayd restarting): wait for the job to end
 * in whichever slipwayd runs (it resumes the release), backing off, then show the rest
 * of its log and its verdict. The exit status.
 */
static int reattach(const struct sw_cli_client *c, struct follow *f)
{
	struct sw_buf path = SW_BUF_INIT;
	struct rest r = { SW_LINES_INIT(rest_line, NULL, 64 * 1024), f->lines };
	double deadline = sw_time_mono() + REATTACH_SECS, wait = REATTACH_FIRST;
	const char *st = NULL;
	json_t *b = NULL;
	int ret;

	r.lines.ctx = &r;
	printf("-----> lost the connection to slipwayd; following job %lld once it is back\n", f->job);
	sw_buf_addf(&path, "/builds/%lld", f->job);
	for (;;) {
		json_decref(b);
		b = NULL;
		if (sw_cli_get(c, path.ptr, &b) == 0 && (st = sw_json_str(b, "status")) && strcmp(st, "queued") &&
		    strcmp(st, "running"))
			break;
		if (sw_time_mono() + wait > deadline) {
			ret = sw_cli_fail(f->cmd, "lost the connection to slipwayd and it did not come back in %ds: "
					  "`slipway releases` tells how it ends", REATTACH_SECS);
			goto cleanup;
		}
		pause_for(wait);
		wait = wait * 2 > REATTACH_MAX ? REATTACH_MAX : wait * 2;
	}
	sw_buf_adds(&path, "/log");
	if (sw_cli_api_stream(c, "GET", path.ptr, NULL, rest_data, &r) == 0)
		sw_lines_finish(&r.lines);
	if (!strcmp(st, "succeeded"))
		ret = 0;
	else
		ret = sw_cli_fail(f->cmd, "%s", sw_json_str_or(b, "reason", st));
cleanup:
	json_decref(b);
	sw_lines_release(&r.lines);
	sw_buf_release(&path);
	return ret;
}

/* POST body to /apps/<app>/<what> and follow the rollout to its verdict. */
static int run(const struct sw_cli_command *cmd, const struct sw_cli_client *c, const char *app, const char *what,
	       json_t *body, int no_wait)
{
	struct sw_buf path = SW_BUF_INIT;
	struct follow f = { cmd, no_wait, -1, 0, 0 };
	int ret;
	sw_buf_addf(&path, "/apps/%s/%s", app, what);
	sw_cli_spinner_start("%s: %s", app, what);
	ret = sw_cli_post_stream(c, path.ptr, body, on_line, &f);
	sw_cli_spinner_stop();
	json_decref(body);
	sw_buf_release(&path);
	if (f.status >= 0)
		return f.status;
	if (f.job > 0 && !no_wait)
		return reattach(c, &f);
	if (ret < 0)
		return sw_cli_fail(cmd, "%s", sw_error_last());
	return sw_cli_fail(cmd, "the answer ended before the verdict (slipwayd stopped?): "
			   "`slipway releases` tells how it ends");
}

/* review:sync-config (cmd_review.c) follows its release the same way. */
int sw_cli_release_follow(const struct sw_cli_command *cmd, const struct sw_cli_client *c, const char *app,
			  const char *what, json_t *body, int no_wait)
{
	return run(cmd, c, app, what, body, no_wait);
}

/* run() for the app of -a (or of the git remote): the exit status. body is stolen. */
static int run_for_app(const struct sw_cli_command *cmd, const char *flag, const char *what, json_t *body,
		       int no_wait)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_buf app = SW_BUF_INIT;
	int ret;

	if ((ret = sw_cli_setup(cmd, &c, flag, &app)) == 0)
		ret = run(cmd, &c, app.ptr, what, body, no_wait);
	else
		json_decref(body);
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	return ret;
}

int sw_cli_cmd_rollback(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_args a;
	const char *flag = NULL;
	int no_wait = 0, force = 0, version = 0;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), { "--force", 0, NULL, &force, NULL },
				     { "--no-wait", 0, NULL, &no_wait, NULL }, { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 0, 1, &a) < 0)
		return a.exit;
	if (a.npos && !(version = version_arg(a.pos[0])))
		return sw_cli_usage_error(cmd, "'%s' is not a release (like v5)", a.pos[0]);
	return run_for_app(cmd, flag, "rollback", json_pack("{s:i, s:b}", "version", version, "force", force),
			   no_wait);
}

static void show_deploy_settings(const char *app, const json_t *out, int changed)
{
	const char *k;
	json_t *v;

	(void)changed;
	if (!json_object_size(json_object_get(out, "settings")))
		printf("%s: no deploy settings (the manifest's apply; rolling by default)\n", app);
	json_object_foreach(json_object_get(out, "settings"), k, v)
		printf("%s=%s\n", k, json_string_value(v));
}

int sw_cli_cmd_deploy_settings(const struct sw_cli_command *cmd, int argc, char **argv)
{
	static const struct sw_cli_settings settings = { "/deploy-settings", "/deploy-settings", NULL,
							 show_deploy_settings };
	struct sw_cli_args a;
	const char *flag = NULL;
	json_t *body = NULL;
	int json = 0, i;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), SW_CLI_OPT_JSON(&json), { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 0, 20, &a) < 0)
		return a.exit;
	for (i = 0; i < a.npos; i++)
		if (!strchr(a.pos[i], '=') || a.pos[i][0] == '=')
			return sw_cli_usage_error(cmd, "want KEY=VALUE, not '%.40s'", a.pos[i]);
	if (a.npos) {
		body = json_pack("{s:[]}", "set");
		for (i = 0; i < a.npos; i++)
			json_array_append_new(json_object_get(body, "set"), json_string(a.pos[i]));
	}
	return sw_cli_app_settings(cmd, flag, json, body, &settings);
}

int sw_cli_cmd_config(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_buf app = SW_BUF_INIT;
	const char *flag = NULL, *k;
	json_t *out = NULL, *v;
	int ret, shell = 0, json = 0;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), SW_CLI_OPT_JSON(&json), { "--shell", 's', NULL, &shell, NULL },
				     { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 0, 0, &a) < 0)
		return a.exit;
	if ((ret = sw_cli_app_get(cmd, &c, flag, &app, &out, "/config")))
		goto cleanup;
	if (json) {
		ret = sw_cli_print_json(out);
		goto cleanup;
	}
	if (!shell)
		printf("=== %s config vars (v%lld)\n", app.ptr, sw_json_int(out, "version", 0));
	json_object_foreach(json_object_get(out, "config"), k, v)
		printf(shell ? "%s=%s\n" : "%s: %s\n", k, json_string_value(v));
cleanup:
	json_decref(out);
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	return ret;
}

/* config:set's NAME=value arguments as an object: 0, or the exit status of the usage error. */
static int config_pairs(const struct sw_cli_command *cmd, const struct sw_cli_args *a, json_t **out)
{
	json_t *vals = json_object();
	int i, ret;

	for (i = 0; i < a->npos; i++) {
		const char *eq = strchr(a->pos[i], '=');
		struct sw_buf name = SW_BUF_INIT;
		json_t *val;
		if (!eq || eq == a->pos[i]) {
			json_decref(vals);
			return sw_cli_usage_error(cmd, "'%s': expected NAME=value", a->pos[i]);
		}
		sw_buf_add(&name, a->pos[i], (size_t)(eq - a->pos[i]));
		val = json_string(eq + 1);
		if (!val || json_object_get(vals, name.ptr)) {
			ret = sw_cli_usage_error(cmd, val ? "%s is given twice" : "the value of %s is not UTF-8", name.ptr);
			json_decref(val);
			json_decref(vals);
			sw_buf_release(&name);
			return ret;
		}
		json_object_set_new(vals, name.ptr, val);
		sw_buf_release(&name);
	}
	*out = vals;
	return 0;
}

/*
 * "[-a APP] [--no-wait] ARG...": the arguments under key (a list, or NAME=value pairs
 * as an object for config:set), POSTed to /apps/<app>/<what> and followed.
 */
static int release_command(const struct sw_cli_command *cmd, int argc, char **argv, const char *what,
			   const char *key, int pairs)
{
	struct sw_cli_args a;
	const char *flag = NULL;
	json_t *vals = NULL;
	int ret, no_wait = 0, i;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), { "--no-wait", 0, NULL, &no_wait, NULL },
				     { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 1, SW_CLI_MAX_POS, &a) < 0)
		return a.exit;
	if (pairs && (ret = config_pairs(cmd, &a, &vals)))
		return ret;
	if (!pairs) {
		vals = json_array();
		for (i = 0; i < a.npos; i++)
			json_array_append_new(vals, json_string(a.pos[i]));
	}
	return run_for_app(cmd, flag, what, json_pack("{s:o}", key, vals), no_wait);
}

int sw_cli_cmd_config_set(const struct sw_cli_command *cmd, int argc, char **argv)
{
	return release_command(cmd, argc, argv, "config", "set", 1);
}

int sw_cli_cmd_config_unset(const struct sw_cli_command *cmd, int argc, char **argv)
{
	return release_command(cmd, argc, argv, "config", "unset", 0);
}

int sw_cli_cmd_scale(const struct sw_cli_command *cmd, int argc, char **argv)
{
	return release_command(cmd, argc, argv, "scale", "formation", 0);
}

int sw_cli_cmd_doctor(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	json_t *out = NULL, *ch;
	size_t i;
	int ret = 0, json = 0, color = sw_cli_color_on(1);
	struct sw_cli_opt opts[] = { SW_CLI_OPT_JSON(&json), { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 0, 0, &a) < 0)
		return a.exit;
	if (sw_cli_client_init(&c) < 0)
		return sw_cli_fail(cmd, "%s", sw_error_last());
	if (sw_cli_get(&c, "/doctor", &out) < 0) {
		ret = sw_cli_fail(cmd, "%s", sw_error_last());
		goto cleanup;
	}
	json_array_foreach(json_object_get(out, "checks"), i, ch)
		if (!sw_json_bool(ch, "ok", 0))
			ret = 1;
	if (json) {
		if (sw_cli_print_json(out))
			ret = 1;
		goto cleanup;
	}
	json_array_foreach(json_object_get(out, "checks"), i, ch) {
		int ok = sw_json_bool(ch, "ok", 0);
		struct sw_buf line = SW_BUF_INIT;
		sw_cli_paint(&line, color, ok ? SW_CLI_GREEN : SW_CLI_RED, ok ? "ok  " : "FAIL");
		sw_buf_addf(&line, "  %-12s %s", sw_json_str(ch, "check"), sw_json_str_or(ch, "detail", ""));
		if (!ok && sw_json_str(ch, "fix"))
			sw_buf_addf(&line, "\n      %-12s fix: %s", "", sw_json_str(ch, "fix"));
		printf("%s\n", line.ptr);
		sw_buf_release(&line);
	}
cleanup:
	json_decref(out);
	sw_cli_client_release(&c);
	return ret;
}
