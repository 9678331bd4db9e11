#ifndef SW_ENGINE_ELB_HEALTH_H
#define SW_ENGINE_ELB_HEALTH_H

#include "common/buf.h"
#include "engine/elb/target.h"
#include "engine/run/balancer.h"

/*
 * A target's health as ALB states it (DescribeTargetHealth's State, Reason and
 * Description), from the target's registration and what HAProxy last said about it
 * (the elb thread reads it, sync.c). The same answer serves the API, the balancer
 * ECS services use (seam.c) and the elb thread's log of changes. Engine lock held.
 */

/*
 * The health of target t (NULL: not registered) of target group tg: *state ("initial",
 * "healthy", "unhealthy", "draining", "unused", "unavailable"), *reason (NULL when
 * healthy, else ALB's code, e.g. "Target.FailedHealthChecks") and desc (the caller's,
 * reset: ALB's description). Returns the same as the balancer's enum.
 */
enum sw_run_target_health sw_elb_health_describe(struct sw_elb *elb, const struct sw_elb_object *tg,
						 const struct sw_elb_target *t, const char **state,
						 const char **reason, struct sw_buf *desc);

#endif
