#ifndef SW_ENGINE_RUN_BALANCER_H
#define SW_ENGINE_RUN_BALANCER_H

#include <jansson.h>

#include "common/buf.h"

/*
 * The load-balancer seam: how the scheduler drives a load balancer for services
 * created with `loadBalancers` ([{targetGroupArn, containerName, containerPort}]).
 * The ELBv2 implementation (engine/elb/seam.c, over the router) provides a struct
 * sw_run_balancer_ops and installs it at start with sw_run_balancer_set() (main.c);
 * until then the engine runs with sw_run_balancer_none, which knows no target group.
 *
 * What the scheduler does with it (lifecycle.c, through the functions at the end):
 *  - CreateService / UpdateService: target_group_check() for every targetGroupArn;
 *    a negative answer refuses the call (InvalidParameterException with the message
 *    it set). With sw_run_balancer_none every target group is unknown, so services with
 *    loadBalancers are refused rather than run without a balancer.
 *  - a task of such a service reaches RUNNING: register() once per load balancer
 *    entry, with the host address and port its container port is reachable on
 *    (bridge: the bind IP and the dynamic host port; awsvpc: the task's own IP, its
 *    first container's on the Docker network, and the container port).
 *  - while it runs: target_health() on every scheduler pass (at least every
 *    SLIPWAY_ENGINE_LB_POLL_SECONDS while such tasks exist). The task counts as
 *    healthy for the deployment only when every target is SW_TARGET_HEALTHY (then at
 *    once: the stable period of tasks without any health check does not apply); after
 *    healthCheckGracePeriodSeconds (counted from the task's start), a target that is
 *    SW_TARGET_UNHEALTHY stops the task with "Task failed ELB health checks in
 *    (target-group <arn>)" and it is replaced.
 *  - before stopping it: deregister() for every target; it answers the draining time
 *    (the target group's deregistration delay, seconds). The task stays in
 *    DEACTIVATING until target_health() no longer says SW_TARGET_DRAINING, then its
 *    containers are stopped. So an implementation says DRAINING until the target no
 *    longer takes requests and none is in flight (ELBv2 ends a drain at once when
 *    nothing is in flight), or until that time has passed and it cut what was left;
 *    the scheduler waits at most 10 s beyond that time for it. Events, as ECS words
 *    and orders them: "deregistered 1 targets", "has begun draining connections on
 *    1 tasks", then, for a task a deployment replaced, "has stopped 1 running tasks"
 *    once it is drained.
 *
 * Contract for implementations:
 *  - every function is called with the engine lock held: be quick, never block on
 *    the network — answer from the balancer's own state (cache), do slow work on
 *    your own thread;
 *  - when a target's health changes, call sw_run_balancer_changed(engine) (any thread,
 *    without the engine lock) so the scheduler looks at once instead of at the next poll;
 *  - never claim health you have not observed: an unknown target is SW_TARGET_UNKNOWN;
 *  - errors: return a negative enum sw_code with the error slot set.
 */

enum sw_run_target_health {
	SW_TARGET_UNKNOWN,     /* not registered / target group unknown */
	SW_TARGET_INITIAL,     /* registered, first checks in progress */
	SW_TARGET_HEALTHY,
	SW_TARGET_UNHEALTHY,
	SW_TARGET_DRAINING,
	SW_TARGET_UNUSED,
};

struct sw_run_target {
	const char *target_group_arn;
	const char *host;          /* "127.0.0.1" or the container's IP */
	int port;
	const char *task_arn;      /* for the balancer's bookkeeping / logs */
	const char *container_name;
};

struct sw_run_balancer_ops {
	const char *name;
	/* 0 when the target group exists and can take targets; else negative with a message */
	int (*target_group_check)(void *ctx, const char *target_group_arn);
	int (*register_target)(void *ctx, const struct sw_run_target *t);
	/* Start deregistration; *drain_seconds = how long connections may drain. */
	int (*deregister_target)(void *ctx, const struct sw_run_target *t, int *drain_seconds);
	/* Current health; reason (may be NULL) gets ELB's reason code, e.g. "Target.FailedHealthChecks". */
	enum sw_run_target_health (*target_health)(void *ctx, const struct sw_run_target *t, struct sw_buf *reason);
	/*
	 * The target group's TargetType ("instance", "ip"), or NULL when unknown. May be
	 * NULL itself (no such check). CreateService / UpdateService refuse an ip target
	 * group for tasks that are not awsvpc and an instance one for tasks that are.
	 */
	const char *(*target_type)(void *ctx, const char *target_group_arn);
	/*
	 * Blue/green, linear and canary deployments (advancedConfiguration of a load
	 * balancer entry). rule_check: 0 when rule_arn is a listener rule forwarding to
	 * tg or alt_tg (or both, weighted), else negative with a message. shift: the
	 * production rule forwards permille thousandths of its requests to to_tg and the
	 * rest to from_tg (0: all to from_tg, 1000: all to to_tg); the router applies it
	 * at runtime. May be NULL (no traffic shifting: such services are refused).
	 */
	int (*rule_check)(void *ctx, const char *rule_arn, const char *tg, const char *alt_tg);
	int (*shift)(void *ctx, const char *rule_arn, const char *from_tg, const char *to_tg, int permille);
};

/* The no-balancer implementation: knows no target group. */
extern const struct sw_run_balancer_ops sw_run_balancer_none;

struct sw_engine;

/* Install ops (with its ctx) as the engine's load balancer. Call before the scheduler starts. */
void sw_run_balancer_set(struct sw_engine *e, const struct sw_run_balancer_ops *ops, void *ctx);

/* A target's health changed: have the scheduler look now. Any thread, without the engine lock. */
void sw_run_balancer_changed(struct sw_engine *e);

const char *sw_run_target_health_name(enum sw_run_target_health h);

/* ---- the scheduler's side: with the engine lock held ---- */

struct sw_engine_service;
struct sw_engine_task;

/* 1 when s has loadBalancers. */
int sw_run_balancer_used(const struct sw_engine_service *s);

/* Register every target of t (RUNNING): t->lb becomes REGISTERED when all took; event per target. */
void sw_run_balancer_register(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_task *t);

/* Deregister every target of t: t->lb DRAINING until t->drain_until (the longest delay from now); events. */
void sw_run_balancer_deregister(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_task *t,
				double now);

/* 1 while some target of t is still draining. */
int sw_run_balancer_draining(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_task *t);

/* The target group of the first target of t that is unhealthy, or NULL. */
const char *sw_run_balancer_unhealthy(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_task *t);

/* 1 when t is registered and every target of t is healthy. */
int sw_run_balancer_healthy(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_task *t);

#endif
