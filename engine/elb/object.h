#ifndef SW_ENGINE_ELB_OBJECT_H
#define SW_ENGINE_ELB_OBJECT_H

#include <jansson.h>

#include "common/buf.h"
#include "engine/elb/elb.h"

/*
 * The load balancer's objects: load balancers, target groups, listeners and rules,
 * each kept as its API document (what Describe* answers) with its tags and internals,
 * in memory (elb->objs) and in the elb_objects table. And how they refer to each other:
 * listeners and rules forward to target groups, rules belong to listeners. Callers
 * hold the engine lock; pointers into elb->objs are valid until the next add or remove.
 */

enum sw_elb_kind { SW_ELB_LB, SW_ELB_TG, SW_ELB_LISTENER, SW_ELB_RULE };

struct sw_elb_object {
	enum sw_elb_kind kind;
	char *arn;
	char *hex;        /* the ARN's last component: the router's names */
	double created_at;
	json_t *st;       /* {"doc": <API shape>, "tags": [...], kind-specific internals} */
};

/* The API document of o (borrowed), and one of its strings. */
json_t *sw_elb_object_doc(const struct sw_elb_object *o);
const char *sw_elb_object_str(const struct sw_elb_object *o, const char *key);

/* Lookups: by kind and ARN, by kind and a document member's value, by ARN of any kind. NULL when absent. */
struct sw_elb_object *sw_elb_object_find(struct sw_elb *elb, enum sw_elb_kind kind, const char *arn);
struct sw_elb_object *sw_elb_object_named(struct sw_elb *elb, enum sw_elb_kind kind, const char *key,
					  const char *name);
struct sw_elb_object *sw_elb_object_any(struct sw_elb *elb, const char *arn);

/* Add an object (st is taken over; it holds "doc", "tags" and internals); not saved yet. */
struct sw_elb_object *sw_elb_object_add(struct sw_elb *elb, enum sw_elb_kind kind, const char *arn, json_t *st,
					double created);
/* Write o's row; 0 or negative. */
int sw_elb_object_save(struct sw_elb *elb, const struct sw_elb_object *o);
/* Remove o and its row. */
void sw_elb_object_remove(struct sw_elb *elb, struct sw_elb_object *o);
/* The model changed (not a target): the elb thread applies it. */
void sw_elb_object_changed(struct sw_elb *elb);
/* Read every object from elb_objects (at start). 0 or negative. */
int sw_elb_object_load(struct sw_elb *elb);

/* 1 for the built-in load balancer and listener (slipway's router: never deleted). */
int sw_elb_object_builtin(const struct sw_elb_object *o);

/* The target group an action list forwards to (its first forward action), or NULL. */
const char *sw_elb_object_action_tg(json_t *actions);
/*
 * The target groups a forward action sends to and their weights: 1 (tg[0]) or 2 (a
 * weighted forward, the router's limit), 0 when there is no forward action. Borrowed.
 */
int sw_elb_object_action_weights(json_t *actions, const char *tg[2], long long weight[2]);
/* The listener rule belongs to, or NULL. */
struct sw_elb_object *sw_elb_object_listener_of(struct sw_elb *elb, const struct sw_elb_object *rule);
/* The rules of listener, by priority: an array of *n pointers the caller frees. */
struct sw_elb_object **sw_elb_object_rules(struct sw_elb *elb, const char *listener, size_t *n);
/* The load balancers whose listeners or rules forward to target group tg (new reference: array of ARNs). */
json_t *sw_elb_object_tg_users(struct sw_elb *elb, const char *tg);
/* 1 when some listener or rule forwards to tg. */
int sw_elb_object_tg_in_use(struct sw_elb *elb, const char *tg);
/* A target group attribute as a number ("deregistration_delay.timeout_seconds"), or dflt. */
long long sw_elb_object_tg_attr(const struct sw_elb_object *tg, const char *key, long long dflt);

/* The router's names: a target group's backend "tg-<hex>", a listener's frontend "l-<hex>". */
void sw_elb_object_backend(const char *tg_hex, struct sw_buf *out);
void sw_elb_object_frontend(const char *listener_hex, struct sw_buf *out);

#endif
