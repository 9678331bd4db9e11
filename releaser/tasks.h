#ifndef SW_TASKS_H
#define SW_TASKS_H

#include <stddef.h>
#include <sqlite3.h>
#include <jansson.h>

#include "common/strvec.h"
#include "releaser/runenv.h"

/*
 * An app's ECS tasks as slipway shows and runs them, through the releaser's run
 * environment (runenv.h): task definitions come from the releases' records (release.h),
 * names from names.h and taskdef.h. Never under the app's release lock: a `ps` or a
 * `run` during a rollout is normal. slipwayd serves them as GET /api/v1/apps/<app>/ps and
 * POST /api/v1/apps/<app>/run (receiver/api_tasks.h).
 */

/*
 * What the app's releases recorded: every process type (processes) and every task
 * definition ARN (taskdefs) of its last 50 releases, into caller-initialised vectors.
 */
int sw_tasks_known(sqlite3 *db, const char *app, struct sw_strvec *processes, struct sw_strvec *taskdefs);

/*
 * `slipway ps`: {"tasks": [task...], "live": N|null} into *out (a new reference), with
 *   task = {"id", "arn", "process", "release": "v7"|null, "kind": service|run|release|task,
 *           "status" (ECS lastStatus), "desired", "health", "health_from", "started_at",
 *           "stopped_at", "stop_reason", "stop_code", "exit_code", "uptime"}
 * running tasks, and those stopped within the last hour, newest first; "health" is the
 * load balancer's state of the task's target (health_from "load balancer") when it is
 * behind one, else its container health check's status ("container"), else "unknown"
 * (health_from null). now: seconds since the epoch. 0, or negative with one line:
 * SW_EUNAVAIL when an ECS call failed, SW_ERROR when the records could not be read.
 */
int sw_tasks_list(const struct sw_runenv *e, const char *app, double now, json_t **out);

/*
 * `slipway run`: a one-off task of the live release's task definition for a process
 * (default web, else the first of the formation), launched as the live release's
 * services are (launch.h: the same capacity provider strategy or launch type and, on
 * Fargate, network configuration), its command and environment overridden, startedBy
 * "slipway-run", its output read from CloudWatch Logs as it comes (runtask.h: the loop
 * the release phase uses too).
 *
 *	struct sw_oneoff o = SW_ONEOFF_INIT;
 *	o.command = cmd; o.output = print_line; o.started = say_started; o.ctx = me;
 *	if (sw_oneoff_plan(db, app, process, &o) == 0 && sw_oneoff_run(e, &o) == 0) ... o.exit_code ...
 *	sw_oneoff_release(&o);
 */
struct sw_oneoff {
	/* in (borrowed) */
	const json_t *command;        /* array of strings */
	const json_t *env;            /* [{"name", "value"}] added to the environment, or NULL */
	int poll_ms;                  /* first delay between polls (0: runtask.h's) */
	size_t max_line;              /* output lines are cut at this many bytes (0: runtask.h's) */
	void (*output)(void *ctx, const char *line, size_t n);
	void (*started)(void *ctx, const char *task_id);   /* RunTask answered */
	void *ctx;
	/* set by sw_oneoff_plan() */
	char *process;
	char *taskdef;                /* the task definition ARN */
	int version;                  /* N of the live release vN */
	json_t *launch;               /* how the live release launches (launch.h's JSON), or NULL */
	/* out, once sw_oneoff_run() returned 0 */
	char *task_id;                /* the last part of the task's ARN, once it started */
	int exit_code;                /* the container's, -1 when it has none */
	int failed_to_start;
	char *stopped_reason;         /* or NULL */
	char *container_reason;       /* or NULL */
};

#define SW_ONEOFF_INIT { .exit_code = -1 }

/*
 * Which task definition runs process (NULL: the default) of app's live release. 0, or
 * negative with one line: SW_EEXISTS "hello has no live release to run from: push
 * first", SW_ENOTFOUND "v7 of hello has no process nope (it has web, worker)", SW_ERROR
 * when the records could not be read.
 */
int sw_oneoff_plan(sqlite3 *db, const char *app, const char *process, struct sw_oneoff *o);

/*
 * Run the planned task to its end (o->exit_code, failed_to_start, stopped_reason tell
 * how). When the env's cancel token is raised (the client went away), the task is stopped
 * and SW_ECANCEL returned. Other failures are negative with one line ("the task could not
 * be placed: ...", when it never started).
 */
int sw_oneoff_run(const struct sw_runenv *e, struct sw_oneoff *o);

/* Frees what plan and run set. */
void sw_oneoff_release(struct sw_oneoff *o);

#endif
