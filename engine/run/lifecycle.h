#ifndef SW_ENGINE_RUN_LIFECYCLE_H
#define SW_ENGINE_RUN_LIFECYCLE_H

#include "engine/engine.h"

/*
 * A task's lifecycle, as ECS's: PROVISIONING -> PENDING (pull, create, start) ->
 * RUNNING -> [DEACTIVATING (load-balancer draining)] -> STOPPING (SIGTERM, SIGKILL
 * after the stop timeout) -> DEPROVISIONING (containers removed) -> STOPPED, with
 * stopCode and stoppedReason. The scheduler moves each task one step per pass as far
 * as it can without Docker, queueing the worker job (worker.h) the next step needs;
 * while RUNNING it watches exits, health checks and load-balancer targets.
 * All calls with the engine lock held.
 */

/* Move t along its lifecycle at time now; *next is lowered to when it must be looked at again. */
void sw_run_lifecycle_advance(struct sw_engine *e, struct sw_engine_task *t, double now, double *next);

/*
 * Whether task t of service s (NULL for a standalone task) counts as healthy at time
 * now: RUNNING, its essential containers' health checks passing (or, without any,
 * running for cfg.stable_ms), and every load-balancer target healthy. *next is
 * lowered to when the answer may change by itself.
 */
int sw_run_lifecycle_healthy(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_task *t,
			     double now, double *next);

#endif
