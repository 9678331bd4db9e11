#include <stdlib.h>
#include <string.h>

#include "releaser/phase.h"
#include "common/error.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_LOG_LINE 2000

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Stream what the release task has written since *token. Returns how many lines. */
static int stream_logs(const struct sw_runenv *e, struct sw_phase *p, const char *task_id, struct sw_buf *token)
{
	struct sw_buf stream = SW_BUF_INIT, code = SW_BUF_INIT;
	json_t *req, *resp = NULL, *ev;
	size_t i;
	int lines = 0, pages;

	sw_buf_addf(&stream, "v%d/release/%s", p->version, task_id);
	for (pages = 0; pages < 20; pages++) {
		const char *next;
		req = json_pack("{s:s, s:s, s:b}", "logGroupName", p->log_group, "logStreamName", stream.ptr,
				"startFromHead", 1);
		if (token->len)
			json_object_set_new(req, "nextToken", json_string(token->ptr));
		if (sw_runenv_call(e, "logs", "GetLogEvents", req, &resp, &code, NULL) < 0) {
			/* the stream appears with the first line; anything else is worth a log line */
			if (strcmp(code.ptr, "ResourceNotFoundException"))
				sw_log(SW_LOG_WARN, e->app, e->job, "release logs: %s", sw_error_last());
			json_decref(req);
			break;
		}
		json_decref(req);
		json_array_foreach(json_object_get(resp, "events"), i, ev) {
			const char *msg = str(ev, "message");
			size_t n;
			if (!msg)
				continue;
			n = strlen(msg);
			while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
				n--;
			sw_runenv_report(e, "       %.*s", (int)(n > MAX_LOG_LINE ? MAX_LOG_LINE : n), msg);
			lines++;
		}
		next = str(resp, "nextForwardToken");
		if (!next || !strcmp(next, token->ptr) || !json_array_size(json_object_get(resp, "events"))) {
			if (next) {
				sw_buf_reset(token);
				sw_buf_adds(token, next);
			}
			json_decref(resp);
			resp = NULL;
			break;
		}
		sw_buf_reset(token);
		sw_buf_adds(token, next);
		json_decref(resp);
		resp = NULL;
	}
	json_decref(resp);
	sw_buf_release(&stream);
	sw_buf_release(&code);
	return lines;
}

static int run_task(const struct sw_runenv *e, struct sw_phase *p)
{
	struct sw_buf by = SW_BUF_INIT;
	json_t *req, *resp = NULL;
	const json_t *t, *f;
	int ret;

	sw_buf_addf(&by, "slipway/v%d/release", p->version);
	req = json_pack("{s:s, s:s, s:i, s:s, s:s}", "cluster", p->cluster, "taskDefinition", p->taskdef,
			"count", 1, "startedBy", by.ptr, "launchType", "EC2");
	ret = sw_runenv_call(e, "ecs", "RunTask", req, &resp, NULL, NULL);
	json_decref(req);
	sw_buf_release(&by);
	if (ret < 0)
		return sw_error_prefix("release: cannot start");
	t = json_array_get(json_object_get(resp, "tasks"), 0);
	f = json_array_get(json_object_get(resp, "failures"), 0);
	if (!str(t, "taskArn")) {
		ret = sw_error_code(SW_ERROR, "release: could not be placed: %s%s%s",
				    f && str(f, "reason") ? str(f, "reason") : "no task started",
				    f && str(f, "detail") ? " " : "", f && str(f, "detail") ? str(f, "detail") : "");
		json_decref(resp);
		return ret;
	}
	p->task_arn = xstrdup(str(t, "taskArn"));
	json_decref(resp);
	if (p->started)
		p->started(p->started_ctx, p->task_arn);
	return 0;
}

static void stop_task(const struct sw_runenv *e, struct sw_phase *p, const char *why)
{
	json_t *req = json_pack("{s:s, s:s, s:s}", "cluster", p->cluster, "task", p->task_arn, "reason", why);
	if (sw_runenv_call(e, "ecs", "StopTask", req, NULL, NULL, NULL) < 0)
		sw_log(SW_LOG_WARN, e->app, e->job, "release: %s", sw_error_last());
	json_decref(req);
}

int sw_phase_run(const struct sw_runenv *e, struct sw_phase *p)
{
	struct sw_buf token = SW_BUF_INIT;
	long long start = sw_runenv_now(e), delay = 500, quiet_after_stop = 0;
	const char *task_id;
	json_t *resp = NULL;
	int ret = 0, throttled;

	sw_runenv_report(e, "       release: %s", p->command && *p->command ? p->command : "(image command)");
	if (!p->task_arn && (ret = run_task(e, p)) < 0)
		goto cleanup;
	task_id = strrchr(p->task_arn, '/') ? strrchr(p->task_arn, '/') + 1 : p->task_arn;
	for (;;) {
		json_t *req;
		const json_t *t, *c;
		const char *last;
		int lines = stream_logs(e, p, task_id, &token);

		req = json_pack("{s:s, s:[s]}", "cluster", p->cluster, "tasks", p->task_arn);
		ret = sw_runenv_call(e, "ecs", "DescribeTasks", req, &resp, NULL, &throttled);
		json_decref(req);
		if (ret == SW_ECANCEL || ret == SW_EAUTH)
			goto cleanup;
		t = ret == 0 ? json_array_get(json_object_get(resp, "tasks"), 0) : NULL;
		last = str(t, "lastStatus");
		if (ret == 0 && !t) {
			ret = sw_error("release: task %s disappeared", task_id);
			goto cleanup;
		}
		if (last && !strcmp(last, "STOPPED")) {
			const json_t *code;
			/* the last lines reach Logs a little after the container stops */
			if (lines || (quiet_after_stop++ < 2 && sw_runenv_now(e) - start < 10 * 60 * 1000)) {
				json_decref(resp);
				resp = NULL;
				if ((ret = sw_runenv_sleep(e, 300)) < 0)
					goto cleanup;
				continue;
			}
			c = json_array_get(json_object_get(t, "containers"), 0);
			code = json_object_get(c, "exitCode");
			if (str(t, "stopCode") && !strcmp(str(t, "stopCode"), "TaskFailedToStart")) {
				ret = sw_error_code(SW_ERROR, "release: did not start: %s",
						    str(t, "stoppedReason") ? str(t, "stoppedReason") :
						    str(c, "reason") ? str(c, "reason") : "unknown reason");
			} else if (!json_is_integer(code)) {
				ret = sw_error_code(SW_ERROR, "release: %s stopped without an exit code (%s)",
						    p->command ? p->command : "the release process",
						    str(t, "stoppedReason") ? str(t, "stoppedReason") : "no reason given");
			} else if (json_integer_value(code) != 0) {
				ret = sw_error_code(SW_ERROR, "release: '%s' exited with %lld",
						    p->command ? p->command : "the release process",
						    (long long)json_integer_value(code));
			} else {
				long long ms = sw_runenv_now(e) - start;
				sw_runenv_report(e, "       release: %s ... exit 0 (%lld.%llds)",
						 p->command ? p->command : "the release process", ms / 1000, ms % 1000 / 100);
				ret = 0;
			}
			goto cleanup;
		}
		json_decref(resp);
		resp = NULL;
		if (sw_runenv_now(e) - start > (long long)e->settings->release_timeout_s * 1000) {
			stop_task(e, p, "slipway: release phase timed out");
			ret = sw_error_code(SW_ETIMEOUT, "release: still running after %dm%02ds; stopped",
					    e->settings->release_timeout_s / 60, e->settings->release_timeout_s % 60);
			goto cleanup;
		}
		delay = lines ? 500 : throttled ? (delay * 2 > 10000 ? 10000 : delay * 2)
						: (delay * 3 / 2 > 3000 ? 3000 : delay * 3 / 2);
		if ((ret = sw_runenv_sleep(e, delay / 2 + (long long)(sw_runenv_random(e) % (unsigned)(delay / 2 + 1)))) < 0)
			goto cleanup;
	}
cleanup:
	json_decref(resp);
	sw_buf_release(&token);
	return ret;
}
