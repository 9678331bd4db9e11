#ifndef SW_COMMAND_H
#define SW_COMMAND_H

#include <jansson.h>
#include <sqlite3.h>

#include "common/buf.h"
#include "releaser/releaser.h"

/*
 * A release command from the API (`slipway rollback`, `config:set`, `config:unset`,
 * `scale`, `promote`). slipwayd runs each as a job (receiver/job.h): recorded in the builds table
 * with its kind, its lines in the job's log, cancelled and followed like a build.
 *
 * request: {"command": "config", "set": {"K": "V", ...}} | {"command": "config",
 * "unset": ["K", ...]} | {"command": "scale", "formation": ["web=4", "worker=2:512"]} |
 * {"command": "rollback", "version": 5 (0 or absent: the one before), "force": false} |
 * {"command": "promote", "from": "staging", "version": 12 (0 or absent: the live one)}.
 */

/*
 * Check request: 0 with *kind ("config", "scale", "rollback" or "promote"; static) and what it does
 * in what (appended; config values never: "config:set GREETING TOKEN", "scale web=4",
 * "rollback to v5"), or SW_EINVAL with one line (nothing to run).
 */
int sw_command_check(const json_t *request, const char **kind, struct sw_buf *what);

struct sw_command_run {
	sqlite3 *db;
	const char *app;
	const json_t *request;                  /* passed sw_command_check() */
	const char *who;                        /* the token's name: who made the release */
	long job;                               /* the job's id (the release records it) */
	sw_runenv_report_fn report;             /* the lines a pusher would see */
	sw_runenv_observe_fn observe;           /* the rollout watcher's records (may be NULL) */
	void *report_ctx;                       /* both's */
	struct sw_cancel *cancel;               /* the job's token (may be NULL) */
};

/*
 * Run it to its verdict under the app's release lock, on the calling thread (all
 * borrowed). 0 with *version = the release that went live (0: nothing to change), or
 * negative with the reason in the error slot and *version the failed release (0 none):
 * SW_ECANCEL when slipwayd stopped it (the rollout resumes at the next start), SW_ERROR
 * "cancelled by <who>" when a user did (common/cancel.h: SW_CANCEL_USER), SW_EUNAVAIL
 * when the releaser is off.
 */
int sw_command_run(const struct sw_command_run *o, int *version);

#endif
