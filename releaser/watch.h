#ifndef SW_WATCH_H
#define SW_WATCH_H

#include "releaser/rollout.h"
#include "releaser/runenv.h"

/*
 * The rollout watcher's loop: poll ECS and ELBv2, feed releaser/rollout.h, print what
 * changed to the pusher (indented, "       web: 1 of 2 new tasks healthy, 2 old
 * running"), sleep with jitter and backoff (rollout.h: 100 ms after a change, up to 2 s
 * while nothing changes, longer while throttled), until the verdict; a rollout that
 * failed because its tasks crashed then says what the last one wrote (crashlog.h). Each
 * poll reads DescribeServices (batches of 10), which says when a rollout is done; the
 * rest only when it can have changed: ListTasks + DescribeTasks of a deployment (every
 * page) when its service reads differently (or every 10 s), DescribeTargetHealth of the
 * web process's target group while one of its running tasks is not yet healthy, the
 * cluster's container instances (every page) at first and then every 10 s while it
 * waits (every 5 s while ECS cannot place a task or no agent is connected: Docker
 * stopped, which stops the deadline; on Fargate only once an EC2 task shows up, as in a
 * rollback from Fargate to EC2). So a poll is one or two requests most of the time, and
 * r->requests counts them.
 * With a traffic-shifting strategy, DescribeServiceDeployments of the load-balanced
 * process's current deployment too, whose lifecycle stage and traffic weight become
 * the push's lines ("web: canary: 10% of web traffic on v8", "web: shifting 100% of web
 * traffic to v8, baking 2m with the old tasks kept", "web: healthy for 2m: stopping the
 * old tasks"); targets are read in both target groups.
 * save() is called whenever the watcher learnt something worth keeping (a deployment
 * id, a crash): the caller stores sw_rollout_to_json() with the release, so a restarted
 * slipwayd resumes from there.
 */

struct sw_watch {
	const char *cluster;
	int version;                    /* N of the release (for events), 0 none */
	const char *target_group_arn;   /* of the load-balanced process, or NULL */
	const char *alt_target_group_arn; /* its alternate (blue/green, linear, canary), or NULL */
	const json_t *strategy;         /* the load-balanced process's (strategy.h), or NULL: rolling */
	struct sw_buf *stage_seen;      /* the last stage line said (caller's), or NULL */
	const char *phase;              /* "rollout", or "rollback" (back to the last live release), for the records */
	int fargate;                    /* the release's launch: container instances only for EC2 tasks seen */
	void (*save)(void *ctx, const struct sw_rollout *r);
	void *save_ctx;
};

/*
 * Watch r to its verdict. Returns the verdict (SW_ROLLOUT_LIVE or SW_ROLLOUT_FAILED,
 * with r->reason), or negative when watching itself failed: SW_ECANCEL, SW_EAUTH (the
 * credentials stopped working), with the error slot set.
 */
int sw_watch_run(const struct sw_runenv *e, struct sw_rollout *r, const struct sw_watch *w);

/*
 * Each poll also goes to the env's observer (runenv.h) as sw_rollout_record(): what the
 * watcher saw, the ECS events new since the last poll, and the verdict so far.
 */

/* One poll, no sleeping (tests and the first look after a restart). Same returns, WAITING included. */
int sw_watch_poll(const struct sw_runenv *e, struct sw_rollout *r, const struct sw_watch *w, int *throttled);

#endif
