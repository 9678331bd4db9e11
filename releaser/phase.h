#ifndef SW_PHASE_H
#define SW_PHASE_H

#include "releaser/launch.h"
#include "releaser/runenv.h"

/*
 * The release phase: the manifest's `release` process (migrations, ...) run once with
 * RunTask before any service changes, its output streamed to the pusher from CloudWatch
 * Logs as it comes (stream <vN>/release/<task id> of the app's log group), waited for
 * until it stops, bounded by the settings' release timeout (then stopped). The loop is
 * releaser/runtask.h's; this adds the release's wording.
 */

struct sw_phase {
	const char *cluster;
	const char *taskdef;       /* the release process's task definition ARN */
	const struct sw_launch *launch;  /* the release's launch (launch.h); NULL: launchType EC2 */
	const char *log_group;
	int version;               /* vN: the awslogs stream prefix */
	const char *command;       /* for the summary line ("bin/migrate") */
	char *task_arn;            /* set once RunTask answered (the caller frees); a resumed
				      phase passes the task it started before */
	void (*started)(void *ctx, const char *task_arn);  /* RunTask answered (save it) */
	void *started_ctx;
};

/*
 * Run (or, with task_arn set, keep waiting for) the release task. 0 when it exited 0,
 * after "release: bin/migrate ... exit 0 (3.1s)"; otherwise negative with one line:
 * "release: bin/migrate exited with 3", "release: did not start: CannotPullContainerError:
 * ...", "release: could not be placed: RESOURCE:MEMORY", "release: still running after
 * 15m00s; stopped".
 */
int sw_phase_run(const struct sw_runenv *e, struct sw_phase *p);

/*
 * Stop the release task p->task_arn (a user cancelled the release), whatever the env's
 * cancel token says. 1 when there was a task to stop, 0 when none had started.
 */
int sw_phase_stop(const struct sw_runenv *e, const struct sw_phase *p, const char *reason);

#endif
