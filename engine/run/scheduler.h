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
 * Task lifecycle, as ECS: PROVISIONING -> PENDING (pull, create, start) -> RUNNING
 * -> [DEACTIVATING (load-balancer draining)] -> STOPPING (SIGTERM, SIGKILL after the
 * stop timeout) -> DEPROVISIONING (containers removed) -> STOPPED, with stopCode and
 * stoppedReason. Service rollouts follow deploy.h; the circuit breaker and rollback,
 * placement shortfalls, replacement of failed tasks and the service events are here.
 */

int sw_engine_scheduler_start(struct sw_engine *e);

/*
 * One pass at time now (the thread's body; exposed so tests can drive the scheduler
 * step by step). With the engine lock held. Returns when the next pass is due.
 */
double sw_engine_scheduler_pass(struct sw_engine *e, double now);
void sw_engine_scheduler_stop(struct sw_engine *e);

/*
 * Whether task t of service s (NULL for a standalone task) counts as healthy at time
 * now: RUNNING, its essential containers' health checks passing (or, without any,
 * running for cfg.stable_ms), and every load-balancer target healthy. *next is
 * lowered to when the answer may change by itself. With the engine lock held.
 */
int sw_engine_scheduler_task_healthy(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_task *t,
				     double now, double *next);

#endif
