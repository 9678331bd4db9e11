#include <stdlib.h>
#include <string.h>

#include "releaser/crashlog.h"
#include "releaser/runtask.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/banned.h"

/* The last lines reach CloudWatch Logs a little after the container stops (on AWS: seconds). */
#define LOG_TRIES 4
#define LOG_TRY_MS 750
#define LINE_MAX_SHOWN 300

void sw_crashlog_task_name(const char *process, const char *task_arn, struct sw_buf *out)
{
	const char *slash = task_arn ? strrchr(task_arn, '/') : NULL;
	const char *id = slash ? slash + 1 : task_arn ? task_arn : "";
	sw_buf_reset(out);
	sw_buf_addf(out, "%s.%.4s", process, id);
}

/* The failed process whose tasks crashed, or NULL. */
static const struct sw_rollout_proc *crashed(const struct sw_rollout *r)
{
	size_t i;
	if (r->verdict != SW_ROLLOUT_FAILED)
		return NULL;
	for (i = 0; i < r->nr; i++) {
		const struct sw_rollout_proc *p = &r->v[i];
		if (p->why == SW_ROLLOUT_CRASHED || (p->why == SW_ROLLOUT_ECS_FAILED && p->crashes && p->stopped.nr))
			return p->stopped.nr ? p : NULL;
	}
	return NULL;
}

/* The last events of stream (at most SW_CRASHLOG_LINES), as the answer's "events"; NULL when none. */
static json_t *last_events(const struct sw_runenv *e, const char *group, const char *stream)
{
	struct sw_buf code = SW_BUF_INIT;
	json_t *resp = NULL, *events = NULL;
	int try;

	for (try = 0; try < LOG_TRIES && !events; try++) {
		json_t *req = json_pack("{s:s, s:s, s:b, s:i}", "logGroupName", group, "logStreamName", stream,
					"startFromHead", 0, "limit", SW_CRASHLOG_LINES);
		int ret = sw_runenv_call(e, "logs", "GetLogEvents", req, &resp, &code, NULL);
		json_decref(req);
		if (ret == 0 && json_array_size(json_object_get(resp, "events")))
			events = json_incref(json_object_get(resp, "events"));
		json_decref(resp);
		resp = NULL;
		if (ret == SW_ECANCEL || ret == SW_EAUTH)
			break;
		if (ret < 0 && strcmp(code.ptr, "ResourceNotFoundException"))
			sw_log(SW_LOG_DEBUG, e->app, e->job, "crash output: %s", sw_error_last());
		if (!events && try + 1 < LOG_TRIES && sw_runenv_sleep(e, LOG_TRY_MS) < 0)
			break;
	}
	sw_buf_release(&code);
	return events;
}

void sw_crashlog_report(const struct sw_runenv *e, const struct sw_rollout *r)
{
	const struct sw_rollout_proc *p = crashed(r);
	struct sw_buf group = SW_BUF_INIT, prefix = SW_BUF_INIT, container = SW_BUF_INIT;
	struct sw_buf stream = SW_BUF_INIT, name = SW_BUF_INIT, head = SW_BUF_INIT;
	const char *arn, *id;
	json_t *events = NULL, *ev;
	size_t i;

	if (!p)
		return;
	arn = p->stopped.v[p->stopped.nr - 1];
	id = strrchr(arn, '/') ? strrchr(arn, '/') + 1 : arn;
	sw_crashlog_task_name(p->process, arn, &name);
	sw_buf_addf(&head, "-----> %s ", name.ptr);
	if (p->last_exit_code >= 0)
		sw_buf_addf(&head, "exited with code %d", p->last_exit_code);
	else
		sw_buf_adds(&head, "stopped");
	if (p->last_crash)
		sw_buf_addf(&head, " (%s)", p->last_crash);
	if (sw_runtask_log_names(e, p->taskdef, &group, &prefix, &container) == 0 && group.len) {
		sw_buf_addf(&stream, "%s/%s/%s", prefix.ptr, container.ptr, id);
		events = last_events(e, group.ptr, stream.ptr);
	}
	if (events)
		sw_buf_adds(&head, "; its last output:");
	sw_runenv_report(e, "%s", head.ptr);
	json_array_foreach(events, i, ev) {
		const char *msg = sw_json_str(ev, "message");
		size_t n = msg ? strlen(msg) : 0;
		while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
			n--;
		if (msg)
			sw_runenv_report(e, "       %s | %.*s", name.ptr, (int)(n > LINE_MAX_SHOWN ? LINE_MAX_SHOWN : n),
					 msg);
	}
	json_decref(events);
	sw_buf_release(&group);
	sw_buf_release(&prefix);
	sw_buf_release(&container);
	sw_buf_release(&stream);
	sw_buf_release(&name);
	sw_buf_release(&head);
}
