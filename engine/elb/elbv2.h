#ifndef SW_ENGINE_ELB_ELBV2_H
#define SW_ENGINE_ELB_ELBV2_H

#include <jansson.h>

#include "common/buf.h"
#include "engine/api/call.h"
#include "engine/elb/object.h"

/*
 * The ELBv2 API: its operation table (elbv2.c, with AddTags, RemoveTags and
 * DescribeTags), and what the operations share. The operations live with their noun:
 * loadbalancer.c, targetgroup.c, listener.c, rule.c, registration.c. Each runs with
 * the engine lock held on call->ctx (struct sw_elb) and fails with ELBv2's own error
 * codes (400, Sender) unless the database fails (500 InternalFailure).
 */

/* An ELBv2 client error (400) with its code: return SW_ELB_FAIL(c, "TargetGroupNotFound", "..."). */
#define SW_ELB_FAIL(c, code, ...) sw_engine_api_call_fail((c), 400, (code), __VA_ARGS__)

/* The request's member name: a string, or any value; NULL when absent. */
static inline const char *sw_elb_in_str(struct sw_engine_call *c, const char *name)
{
	return sw_engine_api_call_str(c, name);
}

static inline json_t *sw_elb_in(struct sw_engine_call *c, const char *name)
{
	return sw_engine_api_call_get(c, name);
}

/* 0 when the request has member name; else the call fails with AWS's ValidationError. */
int sw_elb_call_need(struct sw_engine_call *c, const char *name);

/* The call fails with a 500 InternalFailure saying the error slot's message. Returns -1. */
int sw_elb_call_db_error(struct sw_engine_call *c);

/* The page of all (Marker, PageSize) as *slice (a new array), NextMarker set. 0 or -1 with the call failed. */
int sw_elb_call_page(struct sw_engine_call *c, json_t *all, json_t **slice);

/* 0 when name is a valid load balancer or target group name (what: "Load balancer"); else the call fails. */
int sw_elb_call_name_check(struct sw_engine_call *c, const char *what, const char *name);

/* A new ARN of this engine's ELBv2: "arn:aws:elasticloadbalancing:<region>:<account>:" + fmt. out is reset. */
void sw_elb_arn_new(struct sw_elb *elb, struct sw_buf *out, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* 16 random hex digits into out (reset first): the last part of new ARNs. */
void sw_elb_arn_hex(struct sw_buf *out);

/* A copy of a request's Tags, or [] (new reference). */
json_t *sw_elb_tags_copy(json_t *tags);

int sw_elb_op_create_load_balancer(struct sw_engine_call *c);
int sw_elb_op_describe_load_balancers(struct sw_engine_call *c);
int sw_elb_op_delete_load_balancer(struct sw_engine_call *c);
int sw_elb_op_create_target_group(struct sw_engine_call *c);
int sw_elb_op_describe_target_groups(struct sw_engine_call *c);
int sw_elb_op_modify_target_group(struct sw_engine_call *c);
int sw_elb_op_delete_target_group(struct sw_engine_call *c);
int sw_elb_op_describe_target_group_attributes(struct sw_engine_call *c);
int sw_elb_op_modify_target_group_attributes(struct sw_engine_call *c);
int sw_elb_op_create_listener(struct sw_engine_call *c);
int sw_elb_op_describe_listeners(struct sw_engine_call *c);
int sw_elb_op_delete_listener(struct sw_engine_call *c);
int sw_elb_op_create_rule(struct sw_engine_call *c);
int sw_elb_op_describe_rules(struct sw_engine_call *c);
int sw_elb_op_modify_rule(struct sw_engine_call *c);
int sw_elb_op_delete_rule(struct sw_engine_call *c);
int sw_elb_op_register_targets(struct sw_engine_call *c);
int sw_elb_op_deregister_targets(struct sw_engine_call *c);
int sw_elb_op_describe_target_health(struct sw_engine_call *c);
/* listener_cert.c: an HTTPS listener's certificates (served by SNI) */
int sw_elb_op_add_listener_certificates(struct sw_engine_call *c);
int sw_elb_op_remove_listener_certificates(struct sw_engine_call *c);
int sw_elb_op_describe_listener_certificates(struct sw_engine_call *c);

/* ---- loadbalancer.c, listener.c: what the built-in load balancer (elb.c) is made with ---- */

/* A new application load balancer called name (not saved yet). */
struct sw_elb_object *sw_elb_loadbalancer_create(struct sw_elb *elb, const char *name, json_t *tags);

/* A new HTTP listener of lb on port with (checked) actions (not saved yet). */
struct sw_elb_object *sw_elb_listener_create(struct sw_elb *elb, struct sw_elb_object *lb, int port, json_t *actions,
					     json_t *tags);

/* The policy an HTTPS listener gets when none is given (ALB's default). */
#define SW_ELB_DEFAULT_SSL_POLICY "ELBSecurityPolicy-2016-08"

/*
 * Make l an HTTPS listener with default certificate cert_arn (an ACM ARN, engine/acm/acm.h)
 * and policy (NULL: the default); its other certificates (st "certificates") kept.
 */
void sw_elb_listener_set_tls(struct sw_elb_object *l, const char *cert_arn, const char *policy);

/* Delete listener l and its rules. */
void sw_elb_listener_delete(struct sw_elb *elb, struct sw_elb_object *l);

/*
 * Check and normalise one action list (as ALB answers it) into *out (new reference).
 * for_rule: rules take forward actions and redirects to HTTPS. 0, or -1 with the call failed.
 */
int sw_elb_listener_actions_check(struct sw_engine_call *c, json_t *actions, int for_rule, json_t **out);

#endif
