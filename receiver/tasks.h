#ifndef SW_TASKS_H
#define SW_TASKS_H

#include <microhttpd.h>
#include <sqlite3.h>

#include "common/buf.h"
#include "common/strvec.h"
#include "receiver/server.h"
#include "releaser/runenv.h"

/*
 * An app's ECS tasks as slipway shows them (issue 7), through the releaser's AWS
 * client conventions (releaser/runenv.h: sw_runenv_call; names from releaser/deploy.h;
 * task definitions from the releases' records), never under the app's release lock: a
 * `ps` or a `run` during a rollout is normal.
 *
 *   GET  /api/v1/apps/<app>/ps
 *        {"tasks": [{"id", "arn", "process", "release": "v7"|null, "kind": service|run|release,
 *                    "status" (ECS lastStatus), "desired", "health", "health_from",
 *                    "started_at", "stopped_at", "stop_reason", "exit_code", "uptime"}]}
 *        running tasks, and those stopped within the last hour, newest first; "health"
 *        is the load balancer's state of the task's target (healthy, unhealthy, initial,
 *        draining, ...; health_from "load balancer") when it is behind one, else its
 *        container health check's status (healthy, unhealthy; "container"), else
 *        "unknown" (health_from null)
 *   POST /api/v1/apps/<app>/run   {"command": ["sh", "-c", "exit 3"], "process": "web",
 *                                  "env": {"K": "V"}}
 *        application/x-ndjson, as it happens:
 *          {"line": "-----> running sh -c 'exit 3' as web.3f2a (v7)"}   about the run
 *          {"out": "text"}                                              the task's output
 *          {}                                                           keepalive (2 s)
 *          {"status": "exited", "exit_code": 3}  or  {"status": "failed", "reason": "..."}
 *        The task is RunTask of the live release's task definition for process (default
 *        web, else the first of the formation), command and env overridden, startedBy
 *        "slipway-run"; its output comes from CloudWatch Logs (stream vN/PROCESS/ID of
 *        the app's log group) in order, through releaser/runtask.h (the loop the release
 *        phase uses too), run by a thread of its own. A client that hangs up (Ctrl-C)
 *        stops the task.
 * Errors before anything started are JSON {"error"}: 400 bad body, 404 no such process,
 * 409 no live release, 503 when this slipwayd has no releaser (no AWS configuration).
 */

/* 1 when the releaser runs (AWS configured): ps/run/logs can work. */
int sw_tasks_available(void);

/*
 * The run environment for app's ps/run/logs: the process's AWS client and the
 * releaser's settings (made once, shared; the caller must not free them), db, no report,
 * the given cancel flag. SW_EUNAVAIL with one line when the releaser is off.
 */
int sw_tasks_env(struct sw_runenv *e, sqlite3 *db, const char *app, volatile int *cancel);

enum MHD_Result sw_tasks_ps(struct sw_server *s, struct MHD_Connection *c, const char *app, unsigned *status);
enum MHD_Result sw_tasks_run(struct sw_server *s, struct MHD_Connection *c, const char *app,
			     const struct sw_buf *body, const char *user, unsigned *status);

/*
 * What the app's releases recorded: every process type (processes) and every task
 * definition ARN (taskdefs) of its last 50 releases, into caller-initialised vectors.
 */
int sw_tasks_known(sqlite3 *db, const char *app, struct sw_strvec *processes, struct sw_strvec *taskdefs);

/*
 * "vN/PROCESS/TASKID" (awslogs' stream name) → version, process and task id (into the
 * buffers, reset first). 0, or -1 when the name is not of that shape. Pure.
 */
int sw_tasks_parse_stream(const char *stream, int *version, struct sw_buf *process, struct sw_buf *task);

#endif
