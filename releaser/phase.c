#include <stdlib.h>
#include <string.h>

#include "releaser/phase.h"
#include "releaser/runtask.h"
#include "common/error.h"
#include "common/xalloc.h"
#include "common/banned.h"

struct phase_out {
	const struct sw_runenv *e;
	struct sw_phase *p;
};

static void phase_output(void *ctx, const char *line, size_t n)
{
	struct phase_out *o = ctx;
	sw_runenv_report(o->e, "       %.*s", (int)n, line);
}

static void phase_started(void *ctx, const char *task_arn)
{
	struct phase_out *o = ctx;
	o->p->task_arn = xstrdup(task_arn);
	if (o->p->started)
		o->p->started(o->p->started_ctx, task_arn);
}

int sw_phase_run(const struct sw_runenv *e, struct sw_phase *p)
{
	struct sw_runtask t = SW_RUNTASK_INIT;
	struct sw_buf by = SW_BUF_INIT, prefix = SW_BUF_INIT;
	struct phase_out o = { e, p };
	const char *what = p->command ? p->command : "the release process";
	int ret;

	sw_runenv_report(e, "       release: %s", p->command && *p->command ? p->command : "(image command)");
	sw_buf_addf(&by, "slipway/v%d/release", p->version);
	sw_buf_addf(&prefix, "v%d", p->version);
	t.cluster = p->cluster;
	t.taskdef = p->taskdef;
	t.launch = p->launch;
	t.started_by = by.ptr;
	t.log_group = p->log_group;
	t.stream_prefix = prefix.ptr;
	t.container = "release";
	t.timeout_ms = (long long)e->settings->release_timeout_s * 1000;
	t.timeout_reason = "slipway: release phase timed out";
	t.output = phase_output;
	t.started = phase_started;
	t.ctx = &o;
	if (p->task_arn)
		t.task_arn = xstrdup(p->task_arn);   /* resumed: keep waiting for it */
	ret = sw_runtask_run(e, &t);
	if (ret == SW_ECANCEL || ret == SW_EAUTH) {
		/* the task runs on; a resumed slipwayd waits for it, a user's cancel stops it */
	} else if (ret < 0) {
		ret = sw_error_prefix("release");
	} else if (t.failed_to_start) {
		ret = sw_error_code(SW_ERROR, "release: did not start: %s",
				    t.stopped_reason ? t.stopped_reason : t.container_reason ? t.container_reason
											     : "unknown reason");
	} else if (t.exit_code < 0) {
		ret = sw_error_code(SW_ERROR, "release: %s stopped without an exit code (%s)", what,
				    t.stopped_reason ? t.stopped_reason : "no reason given");
	} else if (t.exit_code != 0) {
		ret = sw_error_code(SW_ERROR, "release: '%s' exited with %d", what, t.exit_code);
	} else {
		long long ms = (long long)(t.seconds * 1000);
		sw_runenv_report(e, "       release: %s ... exit 0 (%lld.%llds)", what, ms / 1000, ms % 1000 / 100);
	}
	sw_runtask_release(&t);
	sw_buf_release(&by);
	sw_buf_release(&prefix);
	return ret;
}

int sw_phase_stop(const struct sw_runenv *e, const struct sw_phase *p, const char *reason)
{
	struct sw_runtask t = SW_RUNTASK_INIT;
	if (!p->task_arn)
		return 0;
	t.cluster = p->cluster;
	t.task_arn = xstrdup(p->task_arn);
	sw_runtask_stop(e, &t, reason);
	sw_runtask_release(&t);
	return 1;
}
