/*
 * ps, run, logs: an app's ECS tasks, one-off runs, and its output with slipway's
 * events (receiver/api_tasks.h, receiver/api_logs.h).
 */
#include <signal.h>
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

static struct sw_cancel interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	sw_cancel_raise(&interrupted, SW_CANCEL_STOP, NULL);   /* lock-free: fine in a handler */
}

/* Ctrl-C raises the client's cancel token: the call in progress ends within a second. */
static void catch_interrupt(struct sw_cli_client *c)
{
	struct sigaction sa;
	sw_cancel_init(&interrupted);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	c->cancel = &interrupted;
}

/* ---- ps ------------------------------------------------------------------------------ */

static void show_ps(const char *app, const json_t *out)
{
	struct sw_cli_table t;
	json_t *task;
	size_t i;

	sw_cli_table_init(&t, "ID", "TYPE", "RELEASE", "STATE", "HEALTH", "SINCE", "NOTE", NULL);
	json_array_foreach(json_object_get(out, "tasks"), i, task) {
		struct sw_buf id = SW_BUF_INIT, since = SW_BUF_INIT, note = SW_BUF_INIT;
		const char *state = sw_json_str(task, "status"), *health = sw_json_str(task, "health");
		const json_t *code = json_object_get(task, "exit_code");
		int stopped = state && !strcmp(state, "STOPPED");

		sw_buf_addf(&id, "%s.%.8s", sw_json_str_or(task, "process", "?"), sw_json_str(task, "id"));
		if (stopped) {
			sw_cli_reltime_iso(sw_json_str(task, "stopped_at"), &since);
			if (json_is_integer(code))
				sw_buf_addf(&note, "exit %lld", (long long)json_integer_value(code));
			if (sw_json_str(task, "stop_reason"))
				sw_buf_addf(&note, "%s%s", note.len ? ": " : "", sw_json_str(task, "stop_reason"));
		} else if (json_is_number(json_object_get(task, "uptime"))) {
			sw_buf_adds(&since, "up ");
			sw_time_format_brief(&since, sw_json_num(task, "uptime", 0));
		}
		if (sw_json_str(task, "desired") && state && strcmp(sw_json_str(task, "desired"), state) && !stopped)
			sw_buf_addf(&note, "%sgoing %s", note.len ? "; " : "", sw_json_str(task, "desired"));
		if (note.len > 70) {
			sw_buf_setlen(&note, 67);
			sw_buf_adds(&note, "...");
		}
		sw_cli_table_add(&t, id.ptr, sw_json_str(task, "kind"), sw_json_str_or(task, "release", "-"), state,
				 health && strcmp(health, "UNKNOWN") && strcmp(health, "unknown") ? health : "-",
				 since.ptr, note.ptr);
		sw_cli_table_style(&t, 3, sw_cli_status_style(state));
		sw_cli_table_style(&t, 4, sw_cli_status_style(health));
		sw_buf_release(&id);
		sw_buf_release(&since);
		sw_buf_release(&note);
	}
	if (json_is_integer(json_object_get(out, "live")))
		printf("=== %s: v%lld live\n", app, sw_json_int(out, "live", 0));
	sw_cli_table_print(&t, "no tasks running or stopped in the last hour");
	sw_cli_table_release(&t);
}

int sw_cli_cmd_ps(const struct sw_cli_command *cmd, int argc, char **argv)
{
	return sw_cli_app_show(cmd, argc, argv, "/ps", show_ps);
}

/* ---- run ------------------------------------------------------------------------------- */

struct run_follow {
	const struct sw_cli_command *cmd;
	int status;       /* exit status once the verdict came; -1 before */
	int started;
};

static int on_run_line(void *ctx, const json_t *l)
{
	struct run_follow *f = ctx;
	const char *line = sw_json_str(l, "line"), *out = sw_json_str(l, "out"), *status = sw_json_str(l, "status");

	if (out) {
		if (!f->started) {
			sw_cli_spinner_stop();
			f->started = 1;
		}
		sw_cli_out_line(out, strlen(out));
	} else if (line) {
		sw_cli_spinner_stop();
		fprintf(stderr, "%s\n", line);
		sw_cli_spinner_start("waiting for the task");
	} else if (status && !strcmp(status, "exited")) {
		sw_cli_spinner_stop();
		f->status = (int)sw_json_int(l, "exit_code", 0) & 0xff;
	} else if (status) {
		sw_cli_spinner_stop();
		f->status = sw_cli_fail(f->cmd, "%s", sw_json_str_or(l, "reason", "the task failed"));
	}
	return 0;
}

int sw_cli_cmd_run(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_strvec envs = SW_STRVEC_INIT;
	struct sw_buf app = SW_BUF_INIT, path = SW_BUF_INIT;
	struct run_follow f = { cmd, -1, 0 };
	const char *flag = NULL, *process = NULL;
	json_t *body = NULL, *command, *env;
	int ret, i;
	size_t k;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), { "--process", 'p', &process, NULL, NULL },
				     { "--env", 'e', NULL, NULL, &envs }, { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse_command(cmd, argc, argv, opts, &a) < 0)
		return a.exit;
	if (!a.nrest)
		return sw_cli_usage_error(cmd, "missing the command to run (slipway run -- CMD ARGS)");
	command = json_array();
	env = json_object();
	body = json_pack("{s:o,s:o}", "command", command, "env", env);
	for (i = 0; i < a.nrest; i++) {
		json_t *s = json_string(a.rest[i]);
		if (!s) {
			ret = sw_cli_usage_error(cmd, "argument %d is not UTF-8", i + 1);
			goto cleanup;
		}
		json_array_append_new(command, s);
	}
	for (k = 0; k < envs.nr; k++) {
		const char *eq = strchr(envs.v[k], '=');
		struct sw_buf name = SW_BUF_INIT;
		json_t *v;
		if (!eq || eq == envs.v[k]) {
			ret = sw_cli_usage_error(cmd, "-e '%.60s': want NAME=value", envs.v[k]);
			goto cleanup;
		}
		sw_buf_add(&name, envs.v[k], (size_t)(eq - envs.v[k]));
		v = json_string(eq + 1);
		if (!v) {
			sw_buf_release(&name);
			ret = sw_cli_usage_error(cmd, "-e %s: the value is not UTF-8", name.ptr);
			goto cleanup;
		}
		json_object_set_new(env, name.ptr, v);
		sw_buf_release(&name);
	}
	if (process)
		json_object_set_new(body, "process", json_string(process));
	if ((ret = sw_cli_setup(cmd, &c, flag, &app)))
		goto cleanup;
	catch_interrupt(&c);
	sw_buf_addf(&path, "/apps/%s/run", app.ptr);
	sw_cli_spinner_start("starting a %s task", process ? process : "one-off");
	ret = sw_cli_api_ndjson(&c, "POST", path.ptr, body, on_run_line, &f);
	sw_cli_spinner_stop();
	if (sw_cancel_raised(&interrupted)) {
		fprintf(stderr, "slipway run: interrupted: the task is being stopped\n");
		ret = 130;
		goto cleanup;
	}
	if (f.status >= 0) {
		ret = f.status;
		goto cleanup;
	}
	if (ret < 0) {
		ret = sw_cli_fail(cmd, "%s", sw_error_last());
		goto cleanup;
	}
	ret = sw_cli_fail(cmd, "the answer ended before the task did (slipwayd stopped?): `slipway ps` shows it");
cleanup:
	json_decref(body);
	sw_strvec_clear(&envs);
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	sw_buf_release(&path);
	return ret;
}

/* ---- logs ------------------------------------------------------------------------------ */

/* "30s", "10m", "2h", "3d", "90" (seconds) → whole seconds (rounded up); -1 when not one. */
static long long parse_since(const char *s)
{
	long long ms = 0;
	if (sw_time_parse_duration(s, SW_DURATION_DAYS, &ms) < 0 || ms < 1)
		return -1;
	return (ms + 999) / 1000;
}

/* "2026-11-26T10:00:01Z web.3f2a v7 | GET / 200": the time to the second */
static void log_line(const json_t *l, int color, struct sw_buf *out)
{
	struct sw_buf who = SW_BUF_INIT;
	const json_t *ev = json_object_get(l, "event");
	const char *ts = sw_json_str(l, "ts");

	if (ts && strlen(ts) >= 19)
		sw_buf_addf(out, "%.19sZ ", ts);
	if (ev) {
		sw_buf_adds(&who, "slipway");
		sw_cli_paint(out, color, SW_CLI_CYAN, who.ptr);
		sw_buf_addf(out, " %s | %s: %s", sw_json_str_or(ev, "release", "-"), sw_json_str_or(ev, "type", "?"),
			    sw_json_str_or(ev, "message", ""));
	} else {
		if (sw_json_str(l, "task") && *sw_json_str(l, "task"))
			sw_buf_addf(&who, "%s.%.4s", sw_json_str_or(l, "process", "?"), sw_json_str(l, "task"));
		else
			sw_buf_adds(&who, sw_json_str_or(l, "process", "?"));
		sw_cli_paint(out, color, SW_CLI_GREEN, who.ptr);
		sw_buf_addf(out, " %s | %s", sw_json_str_or(l, "release", "-"), sw_json_str_or(l, "message", ""));
	}
	sw_buf_release(&who);
}

int sw_cli_cmd_logs(const struct sw_cli_command *cmd, int argc, char **argv)
{
	struct sw_cli_client c = SW_CLI_CLIENT_INIT;
	struct sw_cli_args a;
	struct sw_buf app = SW_BUF_INIT, path = SW_BUF_INIT;
	struct sw_cli_lines f = { cmd, 0, 0, log_line };
	const char *flag = NULL, *process = NULL, *since_s = NULL, *release_s = NULL, *lines_s = NULL;
	long long since = 0, lines = 0, release = 0;
	int json = 0, tail = 0, ret;
	struct sw_cli_opt opts[] = { SW_CLI_OPT_APP(&flag), SW_CLI_OPT_JSON(&json), { "--tail", 't', NULL, &tail, NULL },
				     { "--process", 'p', &process, NULL, NULL }, { "--since", 's', &since_s, NULL, NULL },
				     { "--release", 'r', &release_s, NULL, NULL }, { "--num", 'n', &lines_s, NULL, NULL },
				     { NULL, 0, NULL, NULL, NULL } };

	if (sw_cli_args_parse(cmd, argc, argv, opts, 0, 0, &a) < 0)
		return a.exit;
	if (since_s && (since = parse_since(since_s)) < 0)
		return sw_cli_usage_error(cmd, "--since '%.30s': want a duration like 30s, 10m, 2h, 3d", since_s);
	if (release_s && sw_cli_parse_id(release_s[0] == 'v' ? release_s + 1 : release_s, &release) < 0)
		return sw_cli_usage_error(cmd, "--release '%.30s': want a release like v7", release_s);
	if (lines_s && (sw_cli_parse_id(lines_s, &lines) < 0 || lines > 10000))
		return sw_cli_usage_error(cmd, "-n: want 1 to 10000");
	if (process && (!*process || strlen(process) > 30 ||
			strspn(process, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(process)))
		return sw_cli_usage_error(cmd, "--process '%.30s': not a process name", process);
	if ((ret = sw_cli_setup(cmd, &c, flag, &app)))
		goto cleanup;
	sw_buf_addf(&path, "/apps/%s/logs?lines=%lld", app.ptr, lines ? lines : 100);
	if (since)
		sw_buf_addf(&path, "&since=%lld", since);
	if (release)
		sw_buf_addf(&path, "&release=%lld", release);
	if (process)
		sw_buf_addf(&path, "&process=%s", process);
	if (tail)
		sw_buf_adds(&path, "&tail=1");
	f.json = json;
	f.color = sw_cli_color_on(1);
	if (tail)
		catch_interrupt(&c);
	ret = sw_cli_api_ndjson(&c, "GET", path.ptr, NULL, sw_cli_print_line, &f);
	if (sw_cancel_raised(&interrupted))
		ret = 0;
	else if (ret < 0)
		ret = sw_cli_fail(cmd, "%s", sw_error_last());
cleanup:
	sw_cli_client_release(&c);
	sw_buf_release(&app);
	sw_buf_release(&path);
	return ret;
}
