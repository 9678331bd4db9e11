#ifndef SW_RUNTASK_H
#define SW_RUNTASK_H

#include <stddef.h>

#include <jansson.h>

#include "releaser/launch.h"
#include "releaser/runenv.h"

/*
 * One ECS task run to its end with its output streamed: RunTask of a task definition
 * (the container's command and environment optionally overridden), its output read
 * from CloudWatch Logs as it comes (awslogs' stream <prefix>/<container>/<task id> in
 * the task definition's log group), DescribeTasks polled with jitter and backoff until
 * the task stops. The one such loop: the release phase (releaser/phase.h) and
 * `slipway run` (tasks.h) both use it.
 *
 *	struct sw_runtask t = SW_RUNTASK_INIT;
 *	t.cluster = "default"; t.taskdef = arn; t.started_by = "slipway-run";
 *	t.output = print_line; t.ctx = me;
 *	if (sw_runtask_run(e, &t) == 0) ... t.exit_code ...
 *	sw_runtask_release(&t);
 */

struct sw_runtask {
	/* in (borrowed) */
	const char *cluster;
	const char *taskdef;          /* task definition ARN (or family:revision) */
	const char *started_by;       /* RunTask's startedBy ("slipway/v7/release", "slipway-run") */
	const json_t *command;        /* array of strings replacing the container's command, or NULL */
	const json_t *env;            /* [{"name", "value"}] added to the container's environment, or NULL */
	const struct sw_launch *launch;  /* how it launches (launch.h); NULL: launchType EC2 */
	/*
	 * Where the output is: NULL log_group reads the task definition (its first
	 * container's name and awslogs options); otherwise log_group, stream_prefix and
	 * container are used as given.
	 */
	const char *log_group;
	const char *stream_prefix;
	const char *container;
	long long timeout_ms;         /* > 0: stop the task (timeout_reason) and return SW_ETIMEOUT after this long */
	const char *timeout_reason;
	int poll_ms;                  /* first delay between polls (0: 500); after output, half of it */
	int max_poll_ms;              /* while nothing happens the delay grows to this (0: 3000) */
	size_t max_line;              /* output lines are cut at this many bytes (0: 2000) */
	/* one line of the task's output (no newline; n bytes, NUL-terminated); NULL: dropped */
	void (*output)(void *ctx, const char *line, size_t n);
	/* RunTask answered (the caller saves the ARN, says what runs) */
	void (*started)(void *ctx, const char *task_arn);
	void *ctx;

	/* in/out: set before the call to keep waiting for a task started earlier (a resumed
	 * release phase); set by RunTask otherwise. Freed by sw_runtask_release(). */
	char *task_arn;

	/* out, once the task stopped (sw_runtask_run returned 0) */
	int exit_code;                /* the container's exit code, -1 when it has none */
	int failed_to_start;          /* stopCode TaskFailedToStart */
	char *stopped_reason;         /* the task's stoppedReason, or NULL */
	char *container_reason;       /* its container's reason, or NULL */
	double seconds;               /* from the call (or the resumed wait) to the verdict */
	int lines;                    /* output lines delivered */

	/* internal */
	char *log_group_owned, *stream_prefix_owned, *container_owned;
};

#define SW_RUNTASK_INIT { .exit_code = -1 }

/*
 * Run t (or wait for t->task_arn) to its end. 0 when the task stopped (t->exit_code,
 * t->failed_to_start, t->stopped_reason tell how; all its output was delivered first);
 * otherwise negative with one line in the error slot, to be prefixed by the caller:
 *   SW_ECANCEL / SW_EAUTH  the cancel token was raised / the credentials stopped working;
 *                          the task is NOT stopped (sw_runtask_stop() does, if wanted)
 *   SW_ETIMEOUT            "still running after 15m00s; stopped"
 *   SW_ERROR               "cannot read the task definition: ...", "cannot start: ...",
 *                          "could not be placed: RESOURCE:MEMORY", "task 3f2a... disappeared"
 */
int sw_runtask_run(const struct sw_runenv *e, struct sw_runtask *t);

/*
 * The RunTask request of t (a new reference): cluster, taskDefinition, count 1,
 * startedBy, the launch (capacityProviderStrategy or launchType, networkConfiguration on
 * Fargate), overrides of the container's command and environment.
 */
json_t *sw_runtask_request(const struct sw_runtask *t);

/*
 * Where a task definition's tasks write: its first container's name and awslogs group
 * and stream prefix (each reset first; "" when not set), from DescribeTaskDefinition. A
 * task's stream is then "<prefix>/<container>/<task id>". 0 or negative.
 */
int sw_runtask_log_names(const struct sw_runenv *e, const char *taskdef, struct sw_buf *group,
			 struct sw_buf *prefix, struct sw_buf *container);

/* StopTask of t->task_arn (if any) with reason; ignores the env's cancel token. Failures are logged. */
void sw_runtask_stop(const struct sw_runenv *e, const struct sw_runtask *t, const char *reason);

/* Frees what sw_runtask_run() set (task_arn included). */
void sw_runtask_release(struct sw_runtask *t);

#endif
