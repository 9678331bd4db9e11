#ifndef SW_ENGINE_RUN_SHIFT_H
#define SW_ENGINE_RUN_SHIFT_H

#include "engine/engine.h"

/*
 * Traffic-shifting deployments, as ECS documents its BLUE_GREEN, LINEAR and CANARY
 * strategies (deploymentConfiguration.strategy with a load balancer's
 * advancedConfiguration: an alternate target group and the production listener rule).
 * With the engine lock held; called by reconcile.c (the pass) and ecs/service.c (a new
 * deployment).
 *
 * The blue tasks are the last deployment's, in the target groups production traffic
 * goes to now (the service's lb_alt side); a new deployment's (green) tasks register in
 * the other side. Its lifecycle stages, ECS's names:
 *   SCALE_UP                  green tasks started beside blue, until all D are healthy
 *   PRODUCTION_TRAFFIC_SHIFT  the production rule weighted toward green: BLUE_GREEN all
 *                             at once; CANARY canaryPercent first, the rest after
 *                             canaryBakeTimeInMinutes; LINEAR stepPercent more every
 *                             stepBakeTimeInMinutes
 *   BAKE_TIME                 100% on green, blue kept running, for bakeTimeInMinutes
 *   CLEAN_UP                  blue deregistered, drained and stopped; then COMPLETED
 * (a minute lasts SLIPWAY_ENGINE_BAKE_MINUTE_SECONDS). A green task that fails once
 * production traffic reached green (or the circuit breaker before that) rolls back:
 * the rule goes back to blue at once and a rollback deployment takes the blue tasks
 * over. A newer deployment in the middle does the same first (traffic back to blue);
 * when it runs blue's task definition it is that rollback.
 */

/*
 * The production listener rule and the two target groups ([0] targetGroupArn, [1]
 * alternateTargetGroupArn) of s's first load balancer with an advancedConfiguration.
 * 0, or -1 when it has none. Borrowed from s.
 */
int sw_run_shift_lb(const struct sw_engine_service *s, const char **rule, const char *tg[2]);

/* Production traffic back to the blue side at once; d (the green deployment) is aborted. */
void sw_run_shift_return(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_deployment *d);

/*
 * One pass over p, the shifting PRIMARY deployment in progress: primary and
 * primary_healthy count its tasks. Moves it through its stages, shifting traffic;
 * lowers *next to when it must look again. 1 when p must be rolled back (a green task
 * failed under production traffic), else 0.
 */
int sw_run_shift_step(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_deployment *p,
		      int primary, int primary_healthy, double now, double *next);

/* 1 while p keeps the blue tasks (any stage before CLEAN_UP). */
int sw_run_shift_holds_blue(const struct sw_engine_deployment *p);

/* "10%", "2.5%" of a share in thousandths. */
void sw_run_shift_percent(int permille, struct sw_buf *out);

#endif
