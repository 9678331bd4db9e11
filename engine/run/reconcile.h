#ifndef SW_ENGINE_RUN_RECONCILE_H
#define SW_ENGINE_RUN_RECONCILE_H

#include "engine/engine.h"

/*
 * A service against its deployments, once per scheduler pass: the rolling update
 * (rolling.h) decides how many PRIMARY tasks to start and which tasks to stop; the
 * deployment circuit breaker fails the PRIMARY deployment and rolls back to the last
 * COMPLETED one; placement shortfalls and the launch backoff of a service whose tasks
 * keep failing hold starts back; a deployment completes, a service reaches its steady
 * state, a deleted one becomes INACTIVE — each with ECS's service event. With the
 * engine lock held.
 */

/* The stoppedReason of a task a deployment replaced or scaled in (lifecycle.c words its event). */
#define SW_RUN_SCALING_REASON "Scaling activity initiated by"

/* Reconcile s at time now; *next is lowered to when it must be looked at again. */
void sw_run_reconcile_service(struct sw_engine *e, struct sw_engine_service *s, double now, double *next);

#endif
