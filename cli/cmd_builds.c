/*
 * builds, builds:log, builds:cancel: clients of slipwayd's build API
 * (receiver/api_builds.h). A build is named by the app's number (#1 is an app's
 * first; pushes and release commands counted together) with the app from -a or the
 * git remote; with no app to be had, a number is the server-wide id the API's "id"
 * carries (what scripts used before).
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

#define MAX_LOG_LINE (64 * 1024)
#define CANCEL_WAIT_S 120

static int final_status(const char *s)
{
	return s && (!strcmp(s, "succeeded") || !strcmp(s, "failed") || !strcmp(s, "cancelled"));
}

/* The status, and for a failed job which part failed: "build failed", "release failed". */
static void job_status(const json_t *b, struct sw_buf *out)
{
	const char *st = sw_json_str_or(b, "status", "?"), *stage = sw_json_str(b, "failed_stage");
	if (!strcmp(st, "failed") && stage)
		sw_buf_addf(out, "%s failed", stage);
	else
		sw_buf_adds(out, st);
}

int sw_cli_cmd_builds(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_table t;
	struct sw_cli_args a;
	struct sw_buf app = SW_BUF_INIT;
	const char *flag = NULL, *limit_s = NULL;
	long long limit = 20;
	json_t *out = NULL, *b;
	size_t i;
	int json = 0, ret = 0, all = 0;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), SW_CLI_OPT_JSON(&json), { "--limit", 'n', &limit_s, NULL, NULL },
				     { "--all", 0, NULL, &all, NULL }, { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 0, 0, &a) < 0)
		return a.exit;
	if (limit_s && (sw_cli_parse_id(limit_s, &limit) < 0 || limit > 100))
		return sw_cli_usage_error(cmd, "-n: want 1 to 100");
	/* pushes only; --all: release commands too, marked as the release jobs they are */
	if ((ret = sw_cli_app_get(cmd, &c, flag, &app, &out, "/builds?kind=%s", all ? "all" : "build")))
		goto cleanup;
	while (json_array_size(json_object_get(out, "builds")) > (size_t)limit)
		json_array_remove(json_object_get(out, "builds"), json_array_size(json_object_get(out, "builds")) - 1);
	if (json) {
		ret = sw_cli_print_json(out);
		goto cleanup;
	}
	sw_cli_table_init(&t, "#", "STATUS", "WHAT", "BRANCH", "BY", "STARTED", "TOOK", "RELEASE", "NOTE", NULL);
	json_array_foreach(json_object_get(out, "builds"), i, b) {
		struct sw_buf id = SW_BUF_INIT, commit = SW_BUF_INIT, when = SW_BUF_INIT, took = SW_BUF_INIT,
			      note = SW_BUF_INIT, status = SW_BUF_INIT, rel = SW_BUF_INIT;
		json_t *d = json_object_get(b, "duration");
		sw_buf_addf(&id, "%lld", sw_json_int(b, "number", sw_json_int(b, "id", 0)));
		job_status(b, &status);
		if (sw_json_int(b, "release", 0) > 0)
			sw_buf_addf(&rel, "v%lld %s", sw_json_int(b, "release", 0), sw_json_str_or(b, "release_status", ""));
		if (sw_json_str(b, "kind") && strcmp(sw_json_str(b, "kind"), "build")) {
			/* a release command (rollback, config, scale) run as a job */
			sw_buf_addf(&commit, "release job: %s", sw_json_str(b, "kind"));
		} else if (sw_json_str(b, "commit")) {
			sw_buf_addf(&commit, "%.7s", sw_json_str(b, "commit"));
		}
		sw_cli_reltime_iso(sw_json_str_or(b, "started_at", sw_json_str(b, "created_at")), &when);
		if (json_is_number(d))
			sw_time_format_brief(&took, json_number_value(d));
		if (sw_json_str(b, "reason"))
			sw_buf_adds(&note, sw_json_str(b, "reason"));
		else if (sw_json_bool(b, "reused", 0))
			sw_buf_adds(&note, "image reused");
		if (sw_json_bool(b, "detached", 0))
			sw_buf_addf(&note, "%s(detached push)", note.len ? " " : "");
		if (note.len > 60) {
			sw_buf_setlen(&note, 57);
			sw_buf_adds(&note, "...");
		}
		sw_cli_table_add(&t, id.ptr, status.ptr, commit.ptr, sw_json_str(b, "branch"),
				 sw_json_str(b, "pushed_by"), when.ptr, took.ptr, rel.ptr, note.ptr);
		sw_cli_table_style(&t, 1, sw_cli_status_style(sw_json_str(b, "status")));
		sw_buf_release(&status);
		sw_buf_release(&rel);
		sw_buf_release(&id);
		sw_buf_release(&commit);
		sw_buf_release(&when);
		sw_buf_release(&took);
		sw_buf_release(&note);
	}
	sw_cli_table_print(&t, "no builds yet: git push deploy main");
	sw_cli_table_release(&t);
cleanup:
	json_decref(out);
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	return ret;
}

/* "/apps/hello/builds/12" (hello's #12), or "/builds/12" (the server-wide id, with no app). */
static void build_path(struct sw_buf *out, const char *app, long long id, const char *tail)
{
	sw_buf_reset(out);
	if (app)
		sw_buf_addf(out, "/apps/%s", app);
	sw_buf_addf(out, "/builds/%lld%s", id, tail);
}

/*
 * The client, and the app whose number id is (from -a, else the git remote): 0 with app
 * set, or left empty when neither says (id is then the server-wide one); else the exit
 * status after one line.
 */
static int build_setup(const struct sw_cli_command *cmd, struct sw_cli_client *c, const char *flag,
		       struct sw_buf *app)
{
	int ret = sw_cli_setup(cmd, c, NULL, NULL);
	if (ret)
		return ret;
	if (sw_cli_client_app(c, flag, app) < 0) {
		if (flag)
			return sw_cli_usage_error(cmd, "%s", sw_error_last());
		sw_buf_reset(app);
	}
	return 0;
}

struct log_follow {
	struct sw_lines lines;
	long long id;
};

static int log_line(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	sw_cli_out_line(line, len);
	return 0;
}

static int log_data(void *ctx, const char *data, size_t n)
{
	struct log_follow *lf = ctx;
	return sw_lines_feed(&lf->lines, data, n);
}

int sw_cli_cmd_builds_log(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_buf app = SW_BUF_INIT, path = SW_BUF_INIT;
	struct log_follow lf;
	const char *flag = NULL;
	json_t *b = NULL;
	long long id;
	int follow = 0, ret = 0;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), { "--follow", 'f', NULL, &follow, NULL },
				     { "--tail", 't', NULL, &follow, NULL }, { NULL, 0, NULL, NULL, NULL } };

	memset(&lf, 0, sizeof(lf));
	lf.lines = (struct sw_lines)SW_LINES_INIT(log_line, &lf, MAX_LOG_LINE);
	if (sw_cli_args_parse(cmd, argc, argv, opts, 1, 1, &a) < 0)
		return a.exit;
	if (sw_cli_parse_id(a.pos[0], &id) < 0)
		return sw_cli_usage_error(cmd, "'%.40s' is not a build number (like 12)", a.pos[0]);
	lf.id = id;
	if ((ret = build_setup(cmd, &c, flag, &app)))
		goto cleanup;
	build_path(&path, app.len ? app.ptr : NULL, id, "");
	if ((ret = sw_cli_call(cmd, &c, "GET", path.ptr, NULL, &b)))
		goto cleanup;
	build_path(&path, app.len ? app.ptr : NULL, id, follow ? "/log?follow=1" : "/log");
	if (follow && !final_status(sw_json_str(b, "status")))
		sw_cli_spinner_start("build %lld %s", id, sw_json_str_or(b, "status", ""));
	ret = sw_cli_api_stream(&c, "GET", path.ptr, NULL, log_data, &lf);
	if (ret == 0)
		sw_lines_finish(&lf.lines);
	sw_cli_spinner_stop();
	if (ret < 0) {
		ret = sw_cli_fail(cmd, "%s", sw_error_last());
		goto cleanup;
	}
	if (follow) {
		/* the log ended with the build: its verdict is the exit status */
		json_decref(b);
		b = NULL;
		build_path(&path, app.len ? app.ptr : NULL, id, "");
		if ((ret = sw_cli_call(cmd, &c, "GET", path.ptr, NULL, &b)))
			goto cleanup;
		ret = sw_json_str(b, "status") && !strcmp(sw_json_str(b, "status"), "succeeded") ? 0 : 1;
	}
cleanup:
	json_decref(b);
	sw_lines_release(&lf.lines);
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	sw_buf_release(&path);
	return ret;
}

int sw_cli_cmd_builds_cancel(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_buf app = SW_BUF_INIT, path = SW_BUF_INIT;
	const char *flag = NULL;
	json_t *out = NULL, *b = NULL;
	long long id;
	int json = 0, ret = 0, waited = 0;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), SW_CLI_OPT_JSON(&json), { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 1, 1, &a) < 0)
		return a.exit;
	if (sw_cli_parse_id(a.pos[0], &id) < 0)
		return sw_cli_usage_error(cmd, "'%.40s' is not a build number (like 12)", a.pos[0]);
	if ((ret = build_setup(cmd, &c, flag, &app)))
		goto cleanup;
	build_path(&path, app.len ? app.ptr : NULL, id, "/cancel");
	if ((ret = sw_cli_call(cmd, &c, "POST", path.ptr, NULL, &out)))
		goto cleanup;
	/* a running build stops at its next step: wait for its record to say so */
	build_path(&path, app.len ? app.ptr : NULL, id, "");
	sw_cli_spinner_start("cancelling build %lld", id);
	for (;;) {
		struct timespec ts = { 0, 300 * 1000 * 1000 };
		json_decref(b);
		b = NULL;
		if (sw_cli_get(&c, path.ptr, &b) < 0) {
			sw_cli_spinner_stop();
			ret = sw_cli_fail(cmd, "%s", sw_error_last());
			goto cleanup;
		}
		if (final_status(sw_json_str(b, "status")) || waited >= CANCEL_WAIT_S * 1000)
			break;
		nanosleep(&ts, NULL);
		waited += 300;
	}
	sw_cli_spinner_stop();
	if (json) {
		ret = sw_cli_print_json(b);
		goto cleanup;
	}
	if (sw_json_str(b, "status") && !strcmp(sw_json_str(b, "status"), "cancelled")) {
		printf("%s %lld cancelled (%s)\n", sw_json_str_or(b, "kind", "build"), id, sw_json_str_or(b, "reason", ""));
	} else if (final_status(sw_json_str(b, "status"))) {
		ret = sw_cli_fail(cmd, "build %lld %s before the cancel took effect", id, sw_json_str(b, "status"));
	} else {
		ret = sw_cli_fail(cmd, "build %lld is still %s after %ds: `slipway builds:log -f %lld` shows it", id,
				  sw_json_str(b, "status"), CANCEL_WAIT_S, id);
	}
cleanup:
	json_decref(out);
	json_decref(b);
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	sw_buf_release(&path);
	return ret;
}
