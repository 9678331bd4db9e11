#ifndef SW_ROUTE_H
#define SW_ROUTE_H

#include "common/buf.h"
#include "releaser/runenv.h"

/*
 * An app's way in through the load balancer (ELBv2), made once per app and kept in
 * step with its manifest:
 *  - a target group "sw-<app>" (HTTP, instance targets, the web process's health check
 *    path, interval from the settings, matcher 200-399, deregistration delay), which
 *    the web service's tasks register in;
 *  - a rule on the listener: host-header <app>.<apps domain> → forward to it
 *    (<slug>.<parent>.<apps domain> for a review app, releaser/review.h).
 *  - for a traffic-shifting strategy (strategy.h), an alternate target group "sw--<app>"
 *    beside it, and the rule forwarding to both, weighted 1/0: ECS moves the weights
 *    (the rule is ECS's production listener rule, advancedConfiguration); once made it
 *    stays (a weighted rule is never reset), so an app can go back to rolling with its
 *    traffic on either group.
 * Both are looked up by name/host first, so a second deploy (or a restarted slipwayd,
 * or one that crashed half way) finds and reuses them; a changed health check path is
 * modified in place.
 */

struct sw_route {
	char *target_group_arn;
	char *rule_arn;
	char *host;        /* "hello.localhost" */
	char *alt_target_group_arn;  /* the alternate, or NULL */
};

#define SW_ROUTE_INIT { NULL, NULL, NULL, NULL }
void sw_route_release(struct sw_route *r);

/* "sw-<app>", shortened with a hash to ELBv2's 32 characters. Appended to out. */
void sw_route_target_group_name(const char *app, struct sw_buf *out);

/* "sw--<app>": the alternate target group's name. Appended to out. */
void sw_route_alt_target_group_name(const char *app, struct sw_buf *out);

/*
 * Make sure app is routed to a target group with health check path (shifting: and an
 * alternate, see above). 0 with *out
 * filled, or negative with one line ("load balancer: ...").
 */
int sw_route_ensure(const struct sw_runenv *e, const char *app, int port, const char *health_path,
		    int shifting, struct sw_route *out);

#endif
