#include <stdlib.h>
#include <string.h>

#include "releaser/runtask.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define DEFAULT_POLL_MS 500
#define DEFAULT_MAX_POLL_MS 3000
#define THROTTLED_MAX_POLL_MS 10000
#define DEFAULT_MAX_LINE 2000
#define LOG_PAGES_PER_POLL 20
/* quiet reads of the logs after the task stopped: a task's last lines can reach Logs a
 * second or two after its container stopped (CloudWatch's delivery, the engine's follower
 * on a loaded machine) */
#define DRAIN_POLLS 5
#define DRAIN_MS 400

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

int sw_runtask_log_names(const struct sw_runenv *e, const char *taskdef, struct sw_buf *group,
			 struct sw_buf *prefix, struct sw_buf *container)
{
	json_t *req, *resp = NULL;
	const json_t *cd, *opts;
	int ret;

	req = json_pack("{s:s}", "taskDefinition", taskdef);
	ret = sw_runenv_call(e, "ecs", "DescribeTaskDefinition", req, &resp, NULL, NULL);
	json_decref(req);
	if (ret < 0)
		return ret == SW_ECANCEL || ret == SW_EAUTH ? ret : sw_error_prefix("cannot read the task definition");
	cd = json_array_get(json_object_get(json_object_get(resp, "taskDefinition"), "containerDefinitions"), 0);
	opts = json_object_get(json_object_get(cd, "logConfiguration"), "options");
	sw_buf_reset(group);
	sw_buf_reset(prefix);
	sw_buf_reset(container);
	sw_buf_adds(container, sw_json_str_or(cd, "name", ""));
	sw_buf_adds(group, sw_json_str_or(opts, "awslogs-group", ""));
	sw_buf_adds(prefix, sw_json_str_or(opts, "awslogs-stream-prefix", ""));
	json_decref(resp);
	return 0;
}

/* The container's name and its awslogs group and stream prefix, from the task definition. */
static int resolve_logs(const struct sw_runenv *e, struct sw_runtask *t)
{
	struct sw_buf group = SW_BUF_INIT, prefix = SW_BUF_INIT, container = SW_BUF_INIT;
	int ret;

	if (t->log_group)
		return 0;
	if ((ret = sw_runtask_log_names(e, t->taskdef, &group, &prefix, &container)) < 0)
		goto cleanup;
	t->container_owned = sw_buf_detach(&container, NULL);
	t->log_group_owned = sw_buf_detach(&group, NULL);
	t->stream_prefix_owned = sw_buf_detach(&prefix, NULL);
	t->container = t->container_owned;
	t->log_group = t->log_group_owned;
	t->stream_prefix = t->stream_prefix_owned;
cleanup:
	sw_buf_release(&group);
	sw_buf_release(&prefix);
	sw_buf_release(&container);
	return ret;
}

json_t *sw_runtask_request(const struct sw_runtask *t)
{
	json_t *req = json_pack("{s:s, s:s, s:i, s:s}", "cluster", t->cluster, "taskDefinition", t->taskdef, "count", 1,
				"startedBy", t->started_by ? t->started_by : "slipway");
	if (t->launch)
		sw_launch_apply(t->launch, req, SW_LAUNCH_RUN_TASK);
	else
		json_object_set_new(req, "launchType", json_string("EC2"));
	if (t->command || json_array_size(t->env)) {
		json_t *co = json_pack("{s:s}", "name", t->container && *t->container ? t->container : "app");
		if (t->command)
			json_object_set_new(co, "command", json_deep_copy(t->command));
		if (json_array_size(t->env))
			json_object_set_new(co, "environment", json_deep_copy(t->env));
		json_object_set_new(req, "overrides", json_pack("{s:[o]}", "containerOverrides", co));
	}
	return req;
}

static int start(const struct sw_runenv *e, struct sw_runtask *t)
{
	json_t *req = sw_runtask_request(t), *resp = NULL;
	const json_t *task, *f;
	int ret;

	ret = sw_runenv_call(e, "ecs", "RunTask", req, &resp, NULL, NULL);
	json_decref(req);
	if (ret < 0)
		return ret == SW_ECANCEL || ret == SW_EAUTH ? ret : sw_error_prefix("cannot start");
	task = json_array_get(json_object_get(resp, "tasks"), 0);
	f = json_array_get(json_object_get(resp, "failures"), 0);
	if (!sw_json_str(task, "taskArn")) {
		ret = sw_error_code(SW_ERROR, "could not be placed: %s%s%s",
				    sw_json_str_or(f, "reason", "no task started"),
				    f && sw_json_str(f, "detail") ? " " : "", sw_json_str_or(f, "detail", ""));
		json_decref(resp);
		return ret;
	}
	t->task_arn = xstrdup(sw_json_str(task, "taskArn"));
	json_decref(resp);
	if (t->started)
		t->started(t->ctx, t->task_arn);
	return 0;
}

/* Deliver what the task wrote since *token. Returns how many lines. */
static int stream_logs(const struct sw_runenv *e, struct sw_runtask *t, const char *stream, struct sw_buf *token)
{
	struct sw_buf code = SW_BUF_INIT, line = SW_BUF_INIT;
	size_t max_line = t->max_line ? t->max_line : DEFAULT_MAX_LINE;
	json_t *req, *resp = NULL, *ev;
	size_t i;
	int lines = 0, pages;

	if (!t->log_group || !*t->log_group)
		return 0;
	for (pages = 0; pages < LOG_PAGES_PER_POLL; pages++) {
		const char *next;
		req = json_pack("{s:s, s:s, s:b}", "logGroupName", t->log_group, "logStreamName", stream,
				"startFromHead", 1);
		if (token->len)
			json_object_set_new(req, "nextToken", json_string(token->ptr));
		if (sw_runenv_call(e, "logs", "GetLogEvents", req, &resp, &code, NULL) < 0) {
			/* the stream appears with the first line; anything else is worth a log line */
			if (strcmp(code.ptr, "ResourceNotFoundException") && sw_error_last_code() != SW_ECANCEL)
				sw_log(SW_LOG_DEBUG, e->app, e->job, "task output: %s", sw_error_last());
			json_decref(req);
			break;
		}
		json_decref(req);
		json_array_foreach(json_object_get(resp, "events"), i, ev) {
			const char *msg = sw_json_str(ev, "message");
			size_t n;
			if (!msg)
				continue;
			n = strlen(msg);
			while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
				n--;
			sw_buf_reset(&line);
			sw_buf_add(&line, msg, n > max_line ? max_line : n);
			if (t->output)
				t->output(t->ctx, line.ptr, line.len);
			lines++;
		}
		next = sw_json_str(resp, "nextForwardToken");
		if (!next || !strcmp(next, token->ptr) || !json_array_size(json_object_get(resp, "events"))) {
			if (next) {
				sw_buf_reset(token);
				sw_buf_adds(token, next);
			}
			break;
		}
		sw_buf_reset(token);
		sw_buf_adds(token, next);
		json_decref(resp);
		resp = NULL;
	}
	json_decref(resp);
	sw_buf_release(&code);
	sw_buf_release(&line);
	t->lines += lines;
	return lines;
}

static void stopped(struct sw_runtask *t, const json_t *task)
{
	const json_t *c = json_array_get(json_object_get(task, "containers"), 0), *code = json_object_get(c, "exitCode");
	t->exit_code = json_is_integer(code) ? (int)json_integer_value(code) : -1;
	t->failed_to_start = sw_json_str(task, "stopCode") && !strcmp(sw_json_str(task, "stopCode"), "TaskFailedToStart");
	free(t->stopped_reason);
	free(t->container_reason);
	t->stopped_reason = dup_or_null(sw_json_str(task, "stoppedReason"));
	t->container_reason = dup_or_null(sw_json_str(c, "reason"));
}

int sw_runtask_run(const struct sw_runenv *e, struct sw_runtask *t)
{
	struct sw_buf token = SW_BUF_INIT, stream = SW_BUF_INIT;
	long long start_ms = sw_runenv_now(e);
	long long base = t->poll_ms > 0 ? t->poll_ms : DEFAULT_POLL_MS;
	long long max = t->max_poll_ms > 0 ? t->max_poll_ms : DEFAULT_MAX_POLL_MS;
	long long delay = base;
	const char *task_id;
	json_t *resp = NULL;
	int ret, drained = 0;

	if (max < base)
		max = base;
	t->exit_code = -1;
	t->failed_to_start = 0;
	t->lines = 0;
	if ((ret = resolve_logs(e, t)) < 0)
		goto cleanup;
	if (!t->task_arn && (ret = start(e, t)) < 0)
		goto cleanup;
	task_id = strrchr(t->task_arn, '/') ? strrchr(t->task_arn, '/') + 1 : t->task_arn;
	sw_buf_addf(&stream, "%s/%s/%s", t->stream_prefix ? t->stream_prefix : "", t->container ? t->container : "",
		    task_id);
	for (;;) {
		json_t *req;
		const json_t *task;
		const char *last;
		int throttled = 0, lines = stream_logs(e, t, stream.ptr, &token);

		req = json_pack("{s:s, s:[s]}", "cluster", t->cluster, "tasks", t->task_arn);
		ret = sw_runenv_call(e, "ecs", "DescribeTasks", req, &resp, NULL, &throttled);
		json_decref(req);
		if (ret == SW_ECANCEL || ret == SW_EAUTH)
			goto cleanup;
		/* another failure (throttled, a blip): the next poll tries again */
		task = ret == 0 ? json_array_get(json_object_get(resp, "tasks"), 0) : NULL;
		if (ret == 0 && !task) {
			ret = sw_error("task %s disappeared", task_id);
			goto cleanup;
		}
		last = sw_json_str(task, "lastStatus");
		if (last && !strcmp(last, "STOPPED")) {
			/* the last lines reach Logs a little after the container stops */
			if (lines || drained++ < DRAIN_POLLS) {
				json_decref(resp);
				resp = NULL;
				if ((ret = sw_runenv_sleep(e, DRAIN_MS)) < 0)
					goto cleanup;
				continue;
			}
			stopped(t, task);
			ret = 0;
			goto cleanup;
		}
		json_decref(resp);
		resp = NULL;
		if (t->timeout_ms > 0 && sw_runenv_now(e) - start_ms > t->timeout_ms) {
			long long s = t->timeout_ms / 1000;
			sw_runtask_stop(e, t, t->timeout_reason ? t->timeout_reason : "slipway: timed out");
			ret = sw_error_code(SW_ETIMEOUT, "still running after %lldm%02llds; stopped", s / 60, s % 60);
			goto cleanup;
		}
		if (lines)
			delay = base / 2;
		else if (throttled)
			delay = delay * 2 > THROTTLED_MAX_POLL_MS ? THROTTLED_MAX_POLL_MS : delay * 2;
		else
			delay = delay * 3 / 2 > max ? max : delay * 3 / 2;
		if (delay < 1)
			delay = 1;
		if ((ret = sw_runenv_sleep(e, delay / 2 + (long long)(sw_runenv_random(e) % (unsigned)(delay / 2 + 1)))) < 0)
			goto cleanup;
	}
cleanup:
	t->seconds = (double)(sw_runenv_now(e) - start_ms) / 1000.0;
	json_decref(resp);
	sw_buf_release(&token);
	sw_buf_release(&stream);
	return ret;
}

void sw_runtask_stop(const struct sw_runenv *e, const struct sw_runtask *t, const char *reason)
{
	struct sw_runenv u = *e;
	json_t *req;

	if (!t->task_arn)
		return;
	u.cancel = NULL;   /* stopping the task is what a cancel asks for */
	req = json_pack("{s:s, s:s, s:s}", "cluster", t->cluster, "task", t->task_arn, "reason", reason);
	if (sw_runenv_call(&u, "ecs", "StopTask", req, NULL, NULL, NULL) < 0)
		sw_log(SW_LOG_WARN, e->app, e->job, "cannot stop task %s: %s", t->task_arn, sw_error_last());
	json_decref(req);
}

void sw_runtask_release(struct sw_runtask *t)
{
	if (t->log_group == t->log_group_owned)
		t->log_group = NULL;
	if (t->stream_prefix == t->stream_prefix_owned)
		t->stream_prefix = NULL;
	if (t->container == t->container_owned)
		t->container = NULL;
	free(t->task_arn);
	free(t->stopped_reason);
	free(t->container_reason);
	free(t->log_group_owned);
	free(t->stream_prefix_owned);
	free(t->container_owned);
	t->task_arn = t->stopped_reason = t->container_reason = NULL;
	t->log_group_owned = t->stream_prefix_owned = t->container_owned = NULL;
}
