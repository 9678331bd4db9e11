#ifndef SW_ENGINE_ELB_ELB_H
#define SW_ENGINE_ELB_ELB_H

#include <pthread.h>

#include "engine/api/awsquery.h"
#include "engine/run/balancer.h"

/*
 * Elastic Load Balancing v2 on one machine: the ELBv2 API (Query protocol, XML
 * answers shaped by botocore's elbv2 model through common/aws/query.h) over the
 * router (router.h, HAProxy), and the engine's load-balancer seam (engine/run/balancer.h) for ECS
 * services created with loadBalancers.
 *
 * The model: load balancers, target groups (health check, deregistration delay),
 * listeners (one frontend each), rules (host-header / path-pattern conditions,
 * forward actions, priorities) and targets, kept in the engine's database (tables
 * elb_objects and elb_targets, migrations in engine/engine_db.c) and in memory under
 * the engine lock. At first start one load balancer exists ("slipway", DNS name
 * localhost) with an HTTP listener on SLIPWAY_ROUTER_PORT (default 5481) whose default action
 * answers 404; apps get a rule per host name (http://APP.localhost:5481/). With a router
 * certificate (SLIPWAY_ROUTER_TLS_CERT, imported into the engine's ACM store, acm/acm.h)
 * an HTTPS listener on SLIPWAY_ROUTER_TLS_PORT (5484) too; an HTTPS listener's
 * certificates (its default one, AddListenerCertificates' others, and with a local CA
 * one issued per host its rules route that none names) reach HAProxy as a crt-list.
 *
 * Settings (engine/engine_config.h): SLIPWAY_ROUTER_PORT (5481), SLIPWAY_ROUTER_LISTEN
 * (127.0.0.1), SLIPWAY_ROUTER_THREADS (HAProxy threads; default HAProxy's),
 * SLIPWAY_ROUTER_TLS_PORT (5484), SLIPWAY_ROUTER_TLS_CERT, SLIPWAY_ROUTER_TLS_CA.
 *
 * Its files: elb.c (this module's life), object.c and target.c (the model and its
 * rows), health.c (a target's health as ALB states it), elbv2.c and one file per noun
 * (loadbalancer.c, targetgroup.c, listener.c, rule.c, registration.c: the API),
 * seam.c (the balancer ECS services use), snapshot.c and sync.c (the elb thread),
 * router*.c and haproxy_*.c (the data plane).
 *
 * One thread of its own (the "elb" thread) applies the model to the router (targets
 * added, drained, removed; rules; a reload for new target groups and listeners),
 * reads target health from HAProxy (every 50 ms while a target changes state: added,
 * on its way in or out of service, draining; every second while targets exist;
 * nothing at idle but a liveness check of HAProxy every 10 s), completes
 * deregistrations (at once when nothing is in flight on the target, else when its last
 * request ended, or at the end of the deregistration delay) and tells the scheduler
 * when a target's health changed (sw_run_balancer_changed).
 * The seam functions answer from memory: never a network call under the engine lock.
 *
 * Targets that ECS registers are this machine's instance id and the task's host port,
 * as on AWS; the router dials the container's own address behind that port when it is
 * reachable from here (bridge network), so Docker's userland proxy is not a second
 * proxy on the path, and falls back to the published port otherwise.
 */

/*
 * Locking: the model (objects, targets) is guarded by the engine lock (e->lock), like
 * the rest of the engine's state, and written through the engine's connection
 * (e->db): the scheduler calls the seam inside its pass transaction, so a target it
 * registers commits together with the task that carries it. The elb thread takes
 * the engine lock only to copy the model out and to write results back; the router
 * (HAProxy) is called with no lock held.
 */

struct sw_elb_object;
struct sw_elb_target;
struct sw_elb_router;

/* The module's state (one per engine); its members belong to the files of engine/elb. */
struct sw_elb {
	struct sw_engine *e;
	struct sw_elb_router *router;
	char *ec2_id;          /* this machine as an EC2 instance id, "i-..." */
	char *target_addr;     /* where instance targets are reached */
	struct sw_elb_object *objs;
	size_t nobjs, aobjs;
	struct sw_elb_target *targets;
	size_t ntargets, atargets;
	unsigned long gen;     /* bumped on every change of the model (not of targets) */
	/* the elb thread */
	pthread_t th;
	int started;
	pthread_mutex_t wake_lock;
	pthread_cond_t wake_cond;
	int wake;
	int stop;
};

/*
 * Load the model from e->db and create the built-in load balancer and listener the
 * first time. Nothing runs yet. *out: sw_elb_free(). Sets sw_elb_api.ctx.
 */
int sw_elb_new(struct sw_elb **out, struct sw_engine *e);

/* Start (or adopt) HAProxy with the model, then the elb thread. */
int sw_elb_start(struct sw_elb *elb);

/* Stop the elb thread. HAProxy keeps running (apps stay reachable across restarts). */
void sw_elb_stop(struct sw_elb *elb);

/* Stop HAProxy too (scripts/down): a soft stop, requests in flight finish. */
void sw_elb_stop_router(struct sw_elb *elb);

void sw_elb_free(struct sw_elb *elb);

/* The API (add to main.c's list) and the balancer (sw_run_balancer_set(e, &sw_elb_balancer_ops, elb)). */
extern struct sw_engine_api sw_elb_api;
extern const struct sw_run_balancer_ops sw_elb_balancer_ops;

/* Wake the elb thread: the model or a target changed. Any thread, with or without the engine lock. */
static inline void sw_elb_wake(struct sw_elb *elb)
{
	pthread_mutex_lock(&elb->wake_lock);
	elb->wake = 1;
	pthread_cond_signal(&elb->wake_cond);
	pthread_mutex_unlock(&elb->wake_lock);
}

#endif
