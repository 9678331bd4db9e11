#ifndef SW_ROUTE_H
#define SW_ROUTE_H

#include <sqlite3.h>

#include "common/buf.h"
#include "common/strvec.h"
#include "releaser/runenv.h"

/*
 * An app's way in through the load balancer (ELBv2), made once per app and kept in
 * step with its manifest:
 *  - a target group "sw-<app>" (HTTP, instance targets, the web process's health check
 *    path, interval from the settings, matcher 200-399, deregistration delay), which
 *    the web service's tasks register in;
 *  - a rule on the listener: host-header <app>.<apps domain> → forward to it
 *    (<slug>.<parent>.<apps domain> for a review app, releaser/review.h);
 *  - a rule per custom domain of the app (domains.h) → forward to it too;
 *  - when the listener is HTTP and its load balancer has an HTTPS listener too (the
 *    engine's router with TLS), the same rules there, and on the HTTP one a redirect to
 *    HTTPS instead of the forward when the app's redirect setting is on.
 *  - for a traffic-shifting strategy (strategy.h), an alternate target group "sw--<app>"
 *    beside it, and the rules (the app's host, its domains, on both listeners) forwarding
 *    to both, weighted 1/0: ECS moves the weights of the app's host rule on the main
 *    listener (the rule is ECS's production listener rule, advancedConfiguration; the
 *    engine moves the app's other rules of the same two groups with it); once made a
 *    weighted rule stays (it is never reset), so an app can go back to rolling with its
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
/* apps:destroy: the rules of app's hosts (its own, its domains) off both listeners, its domains forgotten. */
int sw_route_forget_app(const struct sw_runenv *e, const char *app);

/* 1 when app's redirect is on. */
int sw_route_redirect_on(sqlite3 *db, const char *app);

#endif
