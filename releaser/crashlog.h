#ifndef SW_CRASHLOG_H
#define SW_CRASHLOG_H

#include "releaser/rollout.h"
#include "releaser/runenv.h"

/*
 * Why a release's tasks crashed, in their own words. When a rollout failed because its
 * new tasks stopped (rollout.h: SW_ROLLOUT_CRASHED, or ECS's circuit breaker after
 * crashes), the pusher sees, before the rollback and the rejection, the last stopped
 * task's exit code and the last lines (up to SW_CRASHLOG_LINES) of its output, read
 * from its CloudWatch Logs stream ("<prefix>/<container>/<task id>" in the task
 * definition's awslogs group: runtask.h's sw_runtask_log_names, as the release phase
 * reads its task's output), on the engine and on AWS alike:
 *
 *   -----> web.1a2b exited with code 3 (Essential container in task exited); its last output:
 *          web.1a2b | Error: DATABASE_URL is not set
 *
 * A stream that is empty (the task never started, or wrote nothing) or cannot be read
 * leaves the first line only. Nothing is changed; failures are logged, never fatal.
 */

#define SW_CRASHLOG_LINES 10

/* Report the crash of r's first failed process (if it failed by crashes) to e's pusher. */
void sw_crashlog_report(const struct sw_runenv *e, const struct sw_rollout *r);

/*
 * The pusher's name of a task: "<process>.<first 4 characters of its id>" ("web.1a2b").
 * out is reset first.
 */
void sw_crashlog_task_name(const char *process, const char *task_arn, struct sw_buf *out);

#endif
