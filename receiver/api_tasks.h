#ifndef SW_API_TASKS_H
#define SW_API_TASKS_H

#include <jansson.h>
#include <microhttpd.h>

#include "common/buf.h"
#include "receiver/server.h"

/*
 * An app's ECS tasks over the API: what they are is the releaser's (releaser/tasks.h),
 * this is their HTTP side.
 *
 *   GET  /api/v1/apps/<app>/ps
 *        {"tasks": [task...], "live": N|null} as releaser/tasks.h's sw_tasks_list()
 *   POST /api/v1/apps/<app>/run   {"command": ["sh", "-c", "exit 3"], "process": "web",
 *                                  "env": {"K": "V"}}
 *        application/x-ndjson, as it happens:
 *          {"line": "-----> running sh -c 'exit 3' as web.3f2a (v7)"}   about the run
 *          {"out": "text"}                                              the task's output
 *          {}                                                           keepalive (2 s)
 *          {"status": "exited", "exit_code": 3}  or  {"status": "failed", "reason": "..."}
 *        The task (releaser/tasks.h: sw_oneoff_run) runs on a thread of its own; a client
 *        that hangs up (Ctrl-C) stops it.
 * Errors before anything started are JSON {"error"}: 400 bad body, 404 no such process,
 * 409 no live release, 502 an ECS call failed, 503 when this slipwayd has no releaser
 * (no AWS configuration).
 */

enum MHD_Result sw_api_tasks_ps(struct sw_server *s, struct MHD_Connection *c, const char *app, unsigned *status);
enum MHD_Result sw_api_tasks_run(struct sw_server *s, struct MHD_Connection *c, const char *app,
				 const struct sw_buf *body, const char *user, unsigned *status);

/*
 * The run request's body, checked as sw_api_tasks_run() checks it before anything starts
 * (exposed for test/fuzz): 0 with *in the decoded object (a new reference: "command" a
 * non-empty array of strings, "process" absent or a process name, "env" absent or an
 * object of NAME: "value") and *env its variables as ECS overrides, [{"name", "value"}]
 * (a new reference, maybe empty); the caller json_decref()s both. Else SW_EINVAL with
 * the line to answer 400 with, and nothing to free.
 */
int sw_api_tasks_run_body(const struct sw_buf *body, json_t **in, json_t **env);

#endif
