#ifndef SW_ENGINE_ELB_ELB_H
#define SW_ENGINE_ELB_ELB_H

#include "engine/api/awsquery.h"
#include "engine/run/balancer.h"

/*
 * Elastic Load Balancing v2 on one machine: the ELBv2 API (Query protocol, XML
 * answers shaped by botocore's elbv2 model through common/aws/query.h) over the
 * router (router.h, HAProxy), and the engine's load-balancer seam (lb.h) for ECS
 * services created with loadBalancers.
 *
 * The model: load balancers, target groups (health check, deregistration delay),
 * listeners (one frontend each), rules (host-header / path-pattern conditions,
 * forward actions, priorities) and targets, kept in the engine's database (tables
 * elb_objects and elb_targets, migration in db.c) and in memory under this module's
 * own lock. At first start one load balancer exists ("slipway", DNS name localhost)
 * with an HTTP listener on SLIPWAY_ROUTER_PORT (default 5481) whose default action
 * answers 404; apps get a rule per host name (http://APP.localhost:5481/).
 *
 * Environment: SLIPWAY_ROUTER_PORT (5481), SLIPWAY_ROUTER_LISTEN (127.0.0.1),
 * SLIPWAY_ROUTER_THREADS (HAProxy threads; default HAProxy's).
 *
 * One thread of its own (the "elb" thread) applies the model to the router (targets
 * added, drained, removed; rules; a reload for new target groups and listeners),
 * reads target health from HAProxy every second while targets exist (nothing at
 * idle but a liveness check of HAProxy every 10 s), completes deregistrations (at
 * once when no request is in flight, else at the end of the deregistration delay)
 * and tells the scheduler when a target's health changed (sw_run_balancer_changed).
 * The seam functions answer from memory: never a network call under the engine lock.
 *
 * Targets that ECS registers are this machine's instance id and the task's host port,
 * as on AWS; the router dials the container's own address behind that port when it is
 * reachable from here (bridge network), so Docker's userland proxy is not a second
 * proxy on the path, and falls back to the published port otherwise.
 */

struct sw_engine;
struct sw_elbv2;

/*
 * Load the model from e->db's file (its own connection) and create the default load
 * balancer and listener the first time. Nothing runs yet. *out: sw_elbv2_free().
 * Sets sw_engine_elbv2_api.ctx.
 */
int sw_elbv2_new(struct sw_elbv2 **out, struct sw_engine *e);

/* Start (or adopt) HAProxy with the model, then the elb thread. */
int sw_elbv2_start(struct sw_elbv2 *elb);

/* Stop the elb thread. HAProxy keeps running (apps stay reachable across restarts). */
void sw_elbv2_stop(struct sw_elbv2 *elb);

/* Stop HAProxy too (scripts/down): a soft stop, requests in flight finish. */
void sw_elbv2_stop_router(struct sw_elbv2 *elb);

void sw_elbv2_free(struct sw_elbv2 *elb);

/* The API (add to main.c's list) and the seam (sw_run_balancer_set(e, &sw_elbv2_lb_ops, elb)). */
extern struct sw_engine_api sw_engine_elbv2_api;
extern const struct sw_run_balancer_ops sw_elbv2_lb_ops;

#endif
