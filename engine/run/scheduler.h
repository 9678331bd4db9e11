#ifndef SW_ENGINE_RUN_SCHEDULER_H
#define SW_ENGINE_RUN_SCHEDULER_H

#include "engine/engine.h"

/*
 * The scheduler: one thread that reconciles, in passes, services -> deployments ->
 * tasks -> containers. A pass runs with the engine lock held and never calls Docker:
 * it decides, queues worker jobs (worker.h) and records state; then the thread sleeps
 * until woken (an API call, a Docker event, a finished job, a balancer change) or
 * until the earliest deadline it computed (stable period, grace period, stop timeout,
 * draining, event repeat, launch backoff, periodic resync, purge). Idle, it does
 * nothing.
 *
 * A pass moves every task along its lifecycle (lifecycle.h), reconciles every service
 * with its deployments (reconcile.h), then purges what has been STOPPED or INACTIVE
 * longer than cfg.stopped_ttl_ms / cfg.inactive_ttl_ms.
 */

int sw_run_scheduler_start(struct sw_engine *e);
void sw_run_scheduler_stop(struct sw_engine *e);

/*
 * One pass at time now (the thread's body; exposed so tests can drive the scheduler
 * step by step). With the engine lock held. Returns when the next pass is due.
 */
double sw_run_scheduler_pass(struct sw_engine *e, double now);

/* Lower *next (when the pass after this one is due) to t. */
static inline void sw_run_scheduler_due(double *next, double t)
{
	if (t < *next)
		*next = t;
}

/* Milliseconds (the configuration's unit) in seconds (the clock's). */
static inline double sw_run_seconds(long long ms)
{
	return (double)ms / 1000.0;
}

#endif
