#ifndef SW_ROUTE_H
#define SW_ROUTE_H

#include <sqlite3.h>

#include "common/buf.h"
#include "common/strvec.h"
#include "releaser/runenv.h"

/*
 * An app's way in through the load balancer (ELBv2), made once per app and kept in
 * step with its manifest:
 *  - a target group (HTTP, the web process's health check path, interval from the
 *    settings, matcher 200-399, deregistration delay) of the launch's target type
 *    (instance on EC2, ip on Fargate: launch.h), in the VPC of the listener's load
 *    balancer, which the web service's tasks register in;
 *  - a rule on the listener: host-header <app>.<apps domain> → forward to it
 *    (<slug>.<parent>.<apps domain> for a review app, releaser/review.h);
 *  - a rule per custom domain of the app (domains.h) → forward to it too;
 *  - when the listener is HTTP and its load balancer has an HTTPS listener too (the
 *    engine's router with TLS), the same rules there, and on the HTTP one a redirect to
 *    HTTPS instead of the forward when the app's redirect setting is on.
 *  - for a traffic-shifting strategy (strategy.h), an alternate target group "sw-2-<app>"
 *    of the same type beside it, and the rules (the app's host, its domains, on both listeners) forwarding
 *    to both, weighted 1/0: ECS moves the weights of the app's host rule on the main
 *    listener (the rule is ECS's production listener rule, advancedConfiguration; the
 *    engine moves the app's other rules of the same two groups with it); once made a
 *    weighted rule stays (it is never reset), so an app can go back to rolling with its
 *    traffic on either group. One of the other type (the launch changed) is not used:
 *    the rules forward to the new target group alone.
 * Both are looked up by name/host first, so a second deploy (or a restarted slipwayd,
 * or one that crashed half way) finds and reuses them; a changed health check path is
 * modified in place. A target group of the other type (the app's launch changed) is
 * not reused: a new one is made under the app's other name, the rule forwards to it,
 * and the old one is deleted once the release is live (golive.h).
 *
 * Where the listener is: the settings' (SLIPWAY_LISTENER_ARN or the stack's), else,
 * against an endpoint that is not AWS's own (slipway-engine), the listener of the load
 * balancer named "slipway" (the engine's own). On AWS, without one, nothing is guessed:
 * refused in one line. The VPC is always the listener's load balancer's. With a stack,
 * the listener must be of the stack's load balancer (its security group is the only one
 * the stack's tasks admit), whoever named it.
 *
 * An ELBv2 quota reached is one line naming it ("the listener has reached its quota of
 * rules ..."), and a target group made for a rule that could not be made is deleted.
 */

/* The load balancer's name slipway-engine gives its own (engine/elb/elb.c). */
#define SW_ROUTE_ENGINE_LB "slipway"

struct sw_route_place {
	char *listener_arn;
	char *protocol;            /* the listener's: HTTP, HTTPS */
	char *load_balancer_arn;
	char *load_balancer_type;  /* application, network, gateway */
	char *dns_name;
	char *vpc_id;
	char *subnets;             /* the load balancer's, comma-separated */
	char *security_groups;     /* the load balancer's, comma-separated */
	int engine;                /* found by the engine's name, not given */
};

#define SW_ROUTE_PLACE_INIT { NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 }
void sw_route_place_release(struct sw_route_place *p);

/* 1 when the env's ELBv2 endpoint is AWS's own (none configured), 0 for slipway-engine, moto, ... */
int sw_route_on_aws(const struct sw_runenv *e);

/*
 * Find the listener, its load balancer and VPC (DescribeListeners → DescribeLoadBalancers
 * by ARN), as said above. 0, or negative with one line:
 *   "no listener for the apps: set SLIPWAY_STACK (slipway aws:bootstrap) or SLIPWAY_LISTENER_ARN"
 *   "no load balancer named slipway (slipway-engine's own) at http://...: set SLIPWAY_STACK or
 *    SLIPWAY_LISTENER_ARN"
 *   "SLIPWAY_VPC_ID vpc-1 is not the VPC of the listener's load balancer (vpc-2): ..."
 *   "listener arn:... (SLIPWAY_LISTENER_ARN) is of load balancer arn:..., not stack
 *    slipway's arn:..., the only one the tasks' security group admits: ..."
 */
int sw_route_place(const struct sw_runenv *e, struct sw_route_place *out);

struct sw_route {
	char *target_group_arn;
	char *rule_arn;
	char *host;                /* "hello.localhost" */
	char *old_target_group_arn;  /* the app's target group of the other type, to delete once live */
	char *alt_target_group_arn;  /* the alternate of a traffic-shifting strategy, or NULL */
};

#define SW_ROUTE_INIT { NULL, NULL, NULL, NULL, NULL }
void sw_route_release(struct sw_route *r);

/*
 * "sw-<app>", shortened with a hash to ELBv2's 32 characters, and hashed too when app
 * holds "--" (which a target group name may not: the name keeps single hyphens).
 * Appended to out.
 */
void sw_route_target_group_name(const char *app, struct sw_buf *out);

/* "sw-2-<app>": the alternate target group's name (shortened as above). Appended to out. */
void sw_route_alt_target_group_name(const char *app, struct sw_buf *out);

/*
 * The name the app's target group of the other type takes while the one of the first
 * name is still in use (always hashed: "sw-<app, 18 at most>-<8 hex>-b"). Appended to out.
 */
void sw_route_target_group_alt_name(const char *app, struct sw_buf *out);

/*
 * Make sure app is routed to a target group of target_type ("instance" or "ip") with
 * health check path (shifting: and an alternate of the same type, see above). 0 with
 * *out filled, or negative with one line ("load balancer: ...").
 */
int sw_route_ensure(const struct sw_runenv *e, const char *app, int port, const char *health_path,
		    const char *target_type, int shifting, struct sw_route *out);

/* Make rule_arn forward to target_group_arn (a rollback to a release of the other launch). */
int sw_route_forward(const struct sw_runenv *e, const char *rule_arn, const char *target_group_arn);

/*
 * Every other rule forwarding to from_tg alone (the app's domains', its HTTPS listener's)
 * to to_tg instead, on the main listener and the HTTPS one beside it: a rollback to a
 * release of the other launch, after sw_route_forward moved the production rule.
 */
int sw_route_retarget(const struct sw_runenv *e, const char *from_tg, const char *to_tg);

/* Delete a target group no service uses any more; failures are logged, not returned. */
void sw_route_delete_target_group(const struct sw_runenv *e, const char *app, const char *target_group_arn);

/*
 * The line for an ELBv2 quota error code ("TooManyRules", ...) into out (reset first): 1,
 * or 0 when code is not a quota's.
 */
int sw_route_quota_line(const char *code, struct sw_buf *out);

/*
 * `slipway domains:add HOST`: host (sw_domains_check) recorded as app's, with a rule on
 * the listener forwarding it to app's target group (when app has one yet; else its next
 * deploy makes it). 0 added, 1 app had it already, SW_EINVAL / SW_EEXISTS (another app
 * has it, or the load balancer routes it elsewhere) refused with one line, nothing
 * changed; other negatives are the load balancer's.
 */
int sw_route_domain_add(const struct sw_runenv *e, const char *app, const char *host);

/* `slipway domains:remove HOST`: its rules deleted, then its row. SW_ENOTFOUND when not app's. */
int sw_route_domain_remove(const struct sw_runenv *e, const char *app, const char *host);

/*
 * The HTTPS listener apps' certificates go on: the main listener's load balancer's
 * HTTPS listener, when the main one is HTTP (the engine's router on
 * SLIPWAY_ROUTER_TLS_PORT). 1 with its ARN appended to arn and *port (may be NULL) set,
 * 0 when there is none, negative with one line.
 */
int sw_route_https_listener(const struct sw_runenv *e, struct sw_buf *arn, int *port);

/*
 * The app's setting "HTTP requests redirected to HTTPS" (table route_settings), applied
 * at once to a deployed app's rules (its host and domains: a redirect rule on the HTTP
 * listener, the forward rule on the HTTPS one) and at each deploy. SW_EINVAL when on is
 * asked and there is no HTTPS listener.
 */
int sw_route_set_redirect(const struct sw_runenv *e, const char *app, int on);
/*
 * apps:destroy: the rules of app's hosts (its own, its domains) off both listeners, its
 * domains forgotten. Without a listener to find (not configured: sw_route_place refuses)
 * the rules are not looked for, a warning logged: teardown took those forwarding to the
 * app's target groups wherever they were.
 */
int sw_route_forget_app(const struct sw_runenv *e, const char *app);

/* 1 when app's redirect is on. */
int sw_route_redirect_on(sqlite3 *db, const char *app);

#endif
