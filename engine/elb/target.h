#ifndef SW_ENGINE_ELB_TARGET_H
#define SW_ENGINE_ELB_TARGET_H

#include "common/buf.h"
#include "engine/elb/object.h"
#include "engine/elb/router.h"

/*
 * The targets registered with target groups (by the API's RegisterTargets or by ECS
 * through the balancer, seam.c), in memory (elb->targets) and in the elb_targets
 * table, with what the elb thread last applied to the router and read back from it.
 * Callers hold the engine lock.
 */

struct sw_elb_target {
	char *tg_arn;
	char *id;
	int port;
	char *addr;            /* where the target is: this machine (127.0.0.1) or its IP */
	char *direct;          /* the container behind a published port, "ip:port", or NULL */
	char *task;            /* the ECS task id it stands for (seam.c), or NULL (RegisterTargets) */
	int draining;
	double registered_at;
	double drain_until;
	/* what the router did and said (elb thread) */
	int applied;
	int applied_draining;
	double drained_at;     /* when the router took it out of its backend (0: not yet, or before a restart) */
	int have_health;
	enum sw_elb_router_state rstate;
	char check_status[16];
	int check_code;
	int sessions;
};

struct sw_elb_target *sw_elb_target_find(struct sw_elb *elb, const char *tg, const char *id, int port);

/*
 * Register (or re-register a draining) target id:port of target group tg, reached at
 * addr (direct: the container behind a published port, "ip:port", or NULL), for ECS
 * task `task` (its id, or NULL). A target of another task on the same id:port (a host
 * port Docker handed out again after that task's container went) becomes this task's:
 * reached at the new address, checked from scratch, under the new task's server name.
 * 0 or negative with the error slot set.
 */
int sw_elb_target_register(struct sw_elb *elb, const char *tg, const char *id, int port, const char *addr,
			   const char *direct, const char *task);

/* Start deregistering t: draining for tg's deregistration delay. 0 or negative. */
int sw_elb_target_deregister(struct sw_elb *elb, const struct sw_elb_object *tg, struct sw_elb_target *t);

/* Remove t and its row. */
void sw_elb_target_remove(struct sw_elb *elb, struct sw_elb_target *t);

/* Read every target from elb_targets (at start). 0 or negative. */
int sw_elb_target_load(struct sw_elb *elb);

/*
 * The router's server name for target t: "<task id>_<port>" for a task's (so a host
 * port used again by another task never shares a name), else "<id>_<port>"; sanitised.
 */
void sw_elb_target_server(const struct sw_elb_target *t, struct sw_buf *out);

#endif
