#ifndef SW_RUNENV_H
#define SW_RUNENV_H

#include <sqlite3.h>
#include <jansson.h>

#include "common/aws/client.h"
#include "common/buf.h"
#include "common/cancel.h"
#include "releaser/settings.h"

/*
 * What one deploy runs with: slipwayd's database and AWS client and settings (shared,
 * borrowed), where the pusher's lines go, a cancel token (common/cancel.h), and the
 * clock, sleep and randomness (injectable, so tests repeat). The caller owns everything
 * it points to.
 */

/* One line for the pusher (no newline). Return < 0 to stop the deploy. */
typedef int (*sw_runenv_report_fn)(void *ctx, const char *line);

/*
 * Beside the lines, what the rollout watcher saw at each poll as one structured record
 * (releaser/rollout.h: sw_rollout_record()), for readers that draw it (the dashboard);
 * record is borrowed.
 */
typedef void (*sw_runenv_observe_fn)(void *ctx, const json_t *record);

struct sw_runenv {
	sqlite3 *db;
	struct sw_aws_client *aws;
	const struct sw_settings *settings;
	sw_runenv_report_fn report;     /* NULL: lines only go to the server log */
	sw_runenv_observe_fn observe;   /* NULL: records go nowhere; called with report_ctx */
	void *report_ctx;
	struct sw_cancel *cancel;       /* any reason raised: stop at the next step (SW_ECANCEL); NULL: never */
	const char *app;                /* for the server log */
	long job;                       /* for the server log, 0 none */
	long long (*now_ms)(void *ctx); /* NULL: CLOCK_REALTIME */
	void (*sleep_ms)(void *ctx, long long ms);  /* NULL: nanosleep in steps, watching cancel */
	unsigned (*random)(void *ctx);  /* NULL: a per-thread PRNG */
	void *clock_ctx;
	/*
	 * A user's cancel is not slipwayd stopping: it asks the deploy to return every
	 * process to the last live release and record "cancelled by <who>"; while it does,
	 * only SW_CANCEL_STOP interrupts it (shielded, sw_runenv_shielded()).
	 */
	int shielded;
	/*
	 * How long a call waits for an AWS endpoint that does not answer (connection
	 * refused or reset, timed out, HTTP 5xx: the engine restarting, an AWS blip): asked
	 * again, with backoff, until it answers or this passes; then the call fails with
	 * SW_EUNAVAIL and the reason in words ("the engine stopped: no answer at ... for
	 * 30s"). 0: the client's own retries only. Deploys wait the stall window.
	 * unreachable_ms (may be NULL) adds up the time so waited (the rollout watcher
	 * pauses its deadline for it).
	 */
	long long patience_ms;
	long long *unreachable_ms;
};

long long sw_runenv_now(const struct sw_runenv *e);
/* Seconds since the epoch (the store's convention). */
double sw_runenv_seconds(const struct sw_runenv *e);
/* Sleep ms; returns SW_ECANCEL early when the cancel token is raised. */
int sw_runenv_sleep(const struct sw_runenv *e, long long ms);
unsigned sw_runenv_random(const struct sw_runenv *e);
int sw_runenv_cancelled(const struct sw_runenv *e);

/*
 * 1 when the cancel is up because a user cancelled (who, reset first, gets the name), 0
 * otherwise (not cancelled, slipwayd is stopping, or e is shielded).
 */
int sw_runenv_user_cancel(const struct sw_runenv *e, struct sw_buf *who);

/*
 * *out = *e, shielded: what runs on out (a rollback after a cancel, a release that went
 * live) is interrupted by slipwayd stopping only.
 */
void sw_runenv_shielded(const struct sw_runenv *e, struct sw_runenv *out);

/* A line for the pusher (and the server log). Returns what report returned (< 0: stop). */
int sw_runenv_report(const struct sw_runenv *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A record for the observer, if any (record borrowed). */
void sw_runenv_observe(const struct sw_runenv *e, const json_t *record);

/*
 * sw_aws_call() with the env's client: 0 and *resp (a new reference the caller
 * json_decref()s; resp may be NULL), or negative with one line in the error slot. When
 * code is non-NULL it receives the AWS error code ("" when none). *throttled (may be
 * NULL) is set to 1 when the call failed on throttling. An endpoint that does not
 * answer is waited for up to e->patience_ms (above).
 */
int sw_runenv_call(const struct sw_runenv *e, const char *service, const char *op, const json_t *params,
		   json_t **resp, struct sw_buf *code, int *throttled);

/*
 * One page of a call that pages with "nextToken" (ECS's List*, CloudWatch Logs'
 * FilterLogEvents): req (the caller's; it gets "nextToken" when token is not empty) as
 * sw_runenv_call() sends it, then token = the answer's "nextToken", empty after the last
 * page or a failure.
 */
int sw_runenv_paged_call(const struct sw_runenv *e, const char *service, const char *op, json_t *req,
			 struct sw_buf *token, json_t **resp);

#endif
