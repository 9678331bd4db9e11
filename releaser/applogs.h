#ifndef SW_APPLOGS_H
#define SW_APPLOGS_H

#include <stddef.h>
#include <jansson.h>

#include "common/buf.h"
#include "common/strvec.h"
#include "releaser/runenv.h"

/*
 * An app's output: the CloudWatch Logs group its task definitions write to
 * (names.h's log group; awslogs streams vN/PROCESS/TASK, taskdef.h), read with
 * FilterLogEvents page by page. Logs of failed and rolled-back releases stay in the
 * group: a release filter reaches them. slipwayd merges these lines with its own events
 * (receiver/api_logs.h).
 *
 *	struct sw_applogs l;
 *	sw_applogs_init(&l, e, app, "web", 0);
 *	sw_applogs_read(e, &l, since_ms, 20000, add_line, me);   ... again from l.last_ms to tail
 *	sw_applogs_release(&l);
 */
struct sw_applogs {
	char *group;              /* the app's log group */
	char *process;            /* only this process type's lines, or NULL */
	int release;              /* only vN's lines, or 0 */
	long long last_ms;        /* the newest line's timestamp so far (0 none) */
	struct sw_strvec at_last; /* eventIds of the lines delivered with timestamp last_ms */
};

/* A reader of app's output; process (may be NULL) and release (0: any) filter it. */
void sw_applogs_init(struct sw_applogs *l, const struct sw_runenv *e, const char *app, const char *process,
		     int release);
void sw_applogs_release(struct sw_applogs *l);

/*
 * One line of output: time (seconds since the epoch) and o, a new reference the callee
 * takes: {"ts": "2026-11-26T10:00:01.250Z", "time": 1795687201.25, "process": "web",
 * "task": "3f2a...", "release": "v7", "message": "GET / 200"} ("task" and "release" null
 * for a stream not of the releaser's shape, whose name is then the process).
 */
typedef void (*sw_applogs_line_fn)(void *ctx, double time, json_t *o);

/*
 * The lines from from_ms on, each once (lines at l->last_ms already delivered are
 * skipped), in the order CloudWatch pages them, until there are no more or max lines
 * came. Stops early when the env's cancel token is raised. 0, or negative with one line.
 */
int sw_applogs_read(const struct sw_runenv *e, struct sw_applogs *l, long long from_ms, size_t max,
		    sw_applogs_line_fn line, void *ctx);

/*
 * "vN/PROCESS/TASKID" (awslogs' stream name) → version, process and task id (into the
 * buffers, reset first). 0, or -1 when the name is not of that shape. Pure.
 */
int sw_applogs_parse_stream(const char *stream, int *version, struct sw_buf *process, struct sw_buf *task);

#endif
