#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "releaser/route.h"
#include "releaser/domains.h"
#include "releaser/review.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/store.h"
#include "common/xalloc.h"
#include "common/banned.h"

void sw_route_release(struct sw_route *r)
{
	free(r->target_group_arn);
	free(r->rule_arn);
	free(r->host);
	free(r->alt_target_group_arn);
	r->target_group_arn = r->rule_arn = r->host = r->alt_target_group_arn = NULL;
}

/* "<prefix><app>", shortened with a hash to ELBv2's 32 characters (FNV-1a keeps distinct long names distinct). */
static void tg_name(const char *prefix, const char *app, struct sw_buf *out)
{
	size_t n = strlen(app), keep = 32 - strlen(prefix) - 9;
	if (n + strlen(prefix) <= 32) {
		sw_buf_addf(out, "%s%s", prefix, app);
	} else {
		unsigned h = 2166136261u;
		size_t i;
		for (i = 0; i < n; i++)
			h = (h ^ (unsigned char)app[i]) * 16777619u;
		sw_buf_addf(out, "%s%.*s-%08x", prefix, (int)keep, app, h);
	}
}

void sw_route_target_group_name(const char *app, struct sw_buf *out)
{
	tg_name("sw-", app, out);
}

/* The listener (and its VPC): from the settings, else the first load balancer's first listener. */
static int find_listener(const struct sw_runenv *e, struct sw_buf *listener, struct sw_buf *vpc)
{
	json_t *lbs = NULL, *ls = NULL, *lb;
	int ret = 0;

	if (e->settings->listener_arn && e->settings->vpc_id) {
		sw_buf_adds(listener, e->settings->listener_arn);
		sw_buf_adds(vpc, e->settings->vpc_id);
		return 0;
	}
	if ((ret = sw_runenv_call(e, "elbv2", "DescribeLoadBalancers", NULL, &lbs, NULL, NULL)) < 0)
		goto cleanup;
	lb = json_array_get(json_object_get(lbs, "LoadBalancers"), 0);
	if (!lb || !sw_json_str(lb, "LoadBalancerArn")) {
		ret = sw_error_code(SW_ENOTFOUND, "no load balancer found: set SLIPWAY_LISTENER_ARN");
		goto cleanup;
	}
	sw_buf_adds(vpc, e->settings->vpc_id ? e->settings->vpc_id : sw_json_str_or(lb, "VpcId", ""));
	if (e->settings->listener_arn) {
		sw_buf_adds(listener, e->settings->listener_arn);
		goto cleanup;
	}
	{
		json_t *p = json_pack("{s:s}", "LoadBalancerArn", sw_json_str(lb, "LoadBalancerArn"));
		ret = sw_runenv_call(e, "elbv2", "DescribeListeners", p, &ls, NULL, NULL);
		json_decref(p);
	}
	if (ret < 0)
		goto cleanup;
	if (!sw_json_str(json_array_get(json_object_get(ls, "Listeners"), 0), "ListenerArn")) {
		ret = sw_error_code(SW_ENOTFOUND, "load balancer %s has no listener: set SLIPWAY_LISTENER_ARN",
				    sw_json_str(lb, "LoadBalancerArn"));
		goto cleanup;
	}
	sw_buf_adds(listener, sw_json_str(json_array_get(json_object_get(ls, "Listeners"), 0), "ListenerArn"));
cleanup:
	json_decref(lbs);
	json_decref(ls);
	return ret;
}

/*
 * The target group of app named by naming (its production one, or the alternate), in
 * *arn. create: made when missing, else *arn stays NULL when there is none.
 */
static int ensure_target_group(const struct sw_runenv *e, const char *app, int port, const char *path,
			       const char *vpc, void (*naming)(const char *, struct sw_buf *), int create, char **arn)
{
	struct sw_buf name = SW_BUF_INIT, code = SW_BUF_INIT;
	json_t *p = NULL, *resp = NULL, *tg;
	const struct sw_settings *s = e->settings;
	int ret, timeout = s->health_interval_s > 6 ? 5 : s->health_interval_s - 1;

	naming(app, &name);
	p = json_pack("{s:[s]}", "Names", name.ptr);
	ret = sw_runenv_call(e, "elbv2", "DescribeTargetGroups", p, &resp, &code, NULL);
	json_decref(p);
	p = NULL;
	if (ret < 0 && strcmp(code.ptr, "TargetGroupNotFound") && strcmp(code.ptr, "TargetGroupNotFoundException"))
		goto cleanup;
	tg = ret == 0 ? json_array_get(json_object_get(resp, "TargetGroups"), 0) : NULL;
	if (tg && sw_json_str(tg, "TargetGroupArn")) {
		*arn = xstrdup(sw_json_str(tg, "TargetGroupArn"));
		ret = 0;
		if (!sw_json_str(tg, "HealthCheckPath") || strcmp(sw_json_str(tg, "HealthCheckPath"), path)) {
			p = json_pack("{s:s, s:s}", "TargetGroupArn", *arn, "HealthCheckPath", path);
			ret = sw_runenv_call(e, "elbv2", "ModifyTargetGroup", p, NULL, NULL, NULL);
		}
		goto cleanup;
	}
	json_decref(resp);
	resp = NULL;
	ret = 0;
	if (!create)
		goto cleanup;
	p = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:s, s:{s:s}}",
		      "Name", name.ptr, "Protocol", "HTTP", "Port", port, "VpcId", vpc,
		      "HealthCheckProtocol", "HTTP", "HealthCheckPath", path,
		      "HealthCheckIntervalSeconds", s->health_interval_s,
		      "HealthCheckTimeoutSeconds", timeout < 2 ? 2 : timeout,
		      "HealthyThresholdCount", 2, "UnhealthyThresholdCount", 3,
		      "TargetType", "instance", "Matcher", "HttpCode", "200-399");
	if (!*vpc)
		json_object_del(p, "VpcId");
	if ((ret = sw_runenv_call(e, "elbv2", "CreateTargetGroup", p, &resp, NULL, NULL)) < 0)
		goto cleanup;
	tg = json_array_get(json_object_get(resp, "TargetGroups"), 0);
	if (!sw_json_str(tg, "TargetGroupArn")) {
		ret = sw_error("CreateTargetGroup answered no TargetGroupArn");
		goto cleanup;
	}
	*arn = xstrdup(sw_json_str(tg, "TargetGroupArn"));
	json_decref(p);
	{
		struct sw_buf delay = SW_BUF_INIT;
		sw_buf_addf(&delay, "%d", s->deregistration_delay_s);
		p = json_pack("{s:s, s:[{s:s, s:s}]}", "TargetGroupArn", *arn, "Attributes",
			      "Key", "deregistration_delay.timeout_seconds", "Value", delay.ptr);
		sw_buf_release(&delay);
	}
	if (sw_runenv_call(e, "elbv2", "ModifyTargetGroupAttributes", p, NULL, NULL, NULL) < 0)
		sw_log(SW_LOG_WARN, app, e->job, "deregistration delay not set: %s", sw_error_last());
	ret = 0;
cleanup:
	json_decref(p);
	json_decref(resp);
	sw_buf_release(&name);
	sw_buf_release(&code);
	return ret;
}

/* Does rule r match exactly host (a host-header condition naming it)? */
static int rule_has_host(const json_t *r, const char *host)
{
	const json_t *c, *v;
	size_t i, j;
	json_array_foreach(json_object_get(r, "Conditions"), i, c) {
		const json_t *vals;
		if (!sw_json_str(c, "Field") || strcmp(sw_json_str(c, "Field"), "host-header"))
			continue;
		vals = json_object_get(json_object_get(c, "HostHeaderConfig"), "Values");
		if (!json_array_size(vals))
			vals = json_object_get(c, "Values");
		json_array_foreach(vals, j, v)
			if (json_is_string(v) && !strcasecmp(json_string_value(v), host))
				return 1;
	}
	return 0;
}

static const char *rule_target(const json_t *r)
{
	return sw_json_str(sw_json_find(json_object_get(r, "Actions"), "Type", "forward"), "TargetGroupArn");
}

/*
 * What a host's rule does: forward to tg (weighted 1/0 with alt_tg when the app has an
 * alternate target group), or (redirect_port > 0) redirect to HTTPS on that port.
 */
struct want {
	const char *tg;
	const char *alt_tg;
	int redirect_port;
};

static json_t *want_actions(const struct want *w)
{
	char port[16];
	if (w->redirect_port > 0) {
		snprintf(port, sizeof(port), "%d", w->redirect_port);
		return json_pack("[{s:s, s:{s:s, s:s, s:s}}]", "Type", "redirect", "RedirectConfig", "Protocol", "HTTPS",
				 "Port", port, "StatusCode", "HTTP_301");
	}
	if (!w->alt_tg)
		return json_pack("[{s:s, s:s}]", "Type", "forward", "TargetGroupArn", w->tg);
	return json_pack("[{s:s, s:{s:[{s:s, s:i}, {s:s, s:i}]}}]", "Type", "forward", "ForwardConfig", "TargetGroups",
			 "TargetGroupArn", w->tg, "Weight", 1, "TargetGroupArn", w->alt_tg, "Weight", 0);
}

/* Does rule r forward to both of w's groups, weighted (as ECS leaves a blue/green production rule, either way round)? */
static int rule_weighs(const json_t *r, const struct want *w)
{
	const json_t *fwd = sw_json_find(json_object_get(r, "Actions"), "Type", "forward");
	const json_t *tgs = json_object_get(json_object_get(fwd, "ForwardConfig"), "TargetGroups");
	const char *a = sw_json_str(json_array_get(tgs, 0), "TargetGroupArn");
	const char *b = sw_json_str(json_array_get(tgs, 1), "TargetGroupArn");
	if (json_array_size(tgs) != 2 || !a || !b)
		return 0;
	return (!strcmp(a, w->tg) && !strcmp(b, w->alt_tg)) || (!strcmp(b, w->tg) && !strcmp(a, w->alt_tg));
}

/*
 * Does rule r already do what w wants? A weighted rule is ECS's to move (blue/green; the
 * engine moves a domain's and the HTTPS listener's rules of the same two groups with
 * it): any weights are right.
 */
static int rule_does(const json_t *r, const struct want *w)
{
	const json_t *rd;
	char port[16];
	if (w->redirect_port > 0) {
		rd = json_object_get(sw_json_find(json_object_get(r, "Actions"), "Type", "redirect"), "RedirectConfig");
		snprintf(port, sizeof(port), "%d", w->redirect_port);
		return rd && sw_json_str(rd, "Port") && !strcmp(sw_json_str(rd, "Port"), port);
	}
	if (w->alt_tg)
		return rule_weighs(r, w);
	return rule_target(r) && !strcmp(rule_target(r), w->tg);
}

/*
 * The actions a rule for w gets (new reference): a weighted forward takes the weights of
 * a rule of rules already weighted between the same two groups (the app's own host
 * rule, which ECS moves), so a domain added after a blue/green deployment goes where
 * the app's traffic is; else 1/0.
 */
static json_t *actions_for(const json_t *rules, const struct want *w)
{
	const json_t *r;
	size_t i;

	if (w->alt_tg && w->redirect_port <= 0)
		json_array_foreach(rules, i, r)
			if (rule_weighs(r, w))
				return json_deep_copy(json_object_get(r, "Actions"));
	return want_actions(w);
}

/*
 * Make sure listener has a rule for host doing what w wants: found by its host (its
 * action put right when it does something else), else created after the last priority.
 * *rule_arn (may be NULL) gets the rule's ARN.
 */
static int ensure_host_rule(const struct sw_runenv *e, const char *listener, const char *host, const struct want *w,
			    char **rule_arn)
{
	json_t *p = NULL, *resp = NULL, *r;
	struct sw_buf code = SW_BUF_INIT;
	size_t i;
	int ret, max = 0, attempt;

	p = json_pack("{s:s}", "ListenerArn", listener);
	ret = sw_runenv_call(e, "elbv2", "DescribeRules", p, &resp, NULL, NULL);
	json_decref(p);
	p = NULL;
	if (ret < 0)
		goto cleanup;
	json_array_foreach(json_object_get(resp, "Rules"), i, r) {
		const char *pr = sw_json_str(r, "Priority");
		int n = pr ? atoi(pr) : 0;
		if (n > max)
			max = n;
		if (!rule_has_host(r, host) || !sw_json_str(r, "RuleArn"))
			continue;
		if (rule_arn)
			*rule_arn = xstrdup(sw_json_str(r, "RuleArn"));
		if (!rule_does(r, w)) {
			p = json_pack("{s:s, s:o}", "RuleArn", sw_json_str(r, "RuleArn"), "Actions",
				      actions_for(json_object_get(resp, "Rules"), w));
			ret = sw_runenv_call(e, "elbv2", "ModifyRule", p, NULL, NULL, NULL);
		}
		goto cleanup;
	}
	/* a new rule after the last one; another writer may take that priority first */
	for (attempt = 1; attempt <= 5; attempt++) {
		json_t *created = NULL;
		json_decref(p);
		p = json_pack("{s:s, s:i, s:[{s:s, s:{s:[s]}}], s:o}",
			      "ListenerArn", listener, "Priority", max + attempt,
			      "Conditions", "Field", "host-header", "HostHeaderConfig", "Values", host,
			      "Actions", actions_for(json_object_get(resp, "Rules"), w));
		ret = sw_runenv_call(e, "elbv2", "CreateRule", p, &created, &code, NULL);
		if (ret == 0) {
			const char *arn = sw_json_str(json_array_get(json_object_get(created, "Rules"), 0), "RuleArn");
			if (rule_arn)
				*rule_arn = xstrdup(arn ? arn : "");
			json_decref(created);
			break;
		}
		if (strcmp(code.ptr, "PriorityInUse"))
			break;
	}
cleanup:
	json_decref(p);
	json_decref(resp);
	sw_buf_release(&code);
	return ret;
}

/* Delete the rules of listener naming host. */
static int remove_host_rules(const struct sw_runenv *e, const char *listener, const char *host)
{
	json_t *p = json_pack("{s:s}", "ListenerArn", listener), *resp = NULL, *r;
	size_t i;
	int ret = sw_runenv_call(e, "elbv2", "DescribeRules", p, &resp, NULL, NULL);

	json_decref(p);
	json_array_foreach(json_object_get(resp, "Rules"), i, r) {
		if (ret < 0 || sw_json_bool(r, "IsDefault", 0) || !rule_has_host(r, host) || !sw_json_str(r, "RuleArn"))
			continue;
		p = json_pack("{s:s}", "RuleArn", sw_json_str(r, "RuleArn"));
		ret = sw_runenv_call(e, "elbv2", "DeleteRule", p, NULL, NULL, NULL);
		json_decref(p);
	}
	json_decref(resp);
	return ret;
}

/* Is host routed by listener to a target group other than tg (NULL: any)? 1 yes, 0 no, negative on error. */
static int host_taken(const struct sw_runenv *e, const char *listener, const char *host, const char *tg)
{
	json_t *p = json_pack("{s:s}", "ListenerArn", listener), *resp = NULL, *r;
	size_t i;
	int ret = sw_runenv_call(e, "elbv2", "DescribeRules", p, &resp, NULL, NULL);

	json_decref(p);
	json_array_foreach(json_object_get(resp, "Rules"), i, r)
		if (ret == 0 && rule_has_host(r, host) && rule_target(r) && (!tg || strcmp(rule_target(r), tg)))
			ret = 1;
	json_decref(resp);
	return ret;
}

/*
 * The listeners an app's rules go on: the main one (find_listener) and, when that one
 * is HTTP, the HTTPS listener of the same load balancer if it has one (the engine's
 * router on SLIPWAY_ROUTER_TLS_PORT). On AWS with a certificate the main listener is the
 * HTTPS one and the stack's HTTP listener redirects every request to it.
 */
struct lbs {
	struct sw_buf main, vpc, https;
	int https_port;
};

static void lbs_release(struct lbs *l)
{
	sw_buf_release(&l->main);
	sw_buf_release(&l->vpc);
	sw_buf_release(&l->https);
}

static int find_listeners(const struct sw_runenv *e, struct lbs *l)
{
	json_t *p = NULL, *resp = NULL, *me, *x;
	size_t i;
	int ret;

	sw_buf_init(&l->main, 0);
	sw_buf_init(&l->vpc, 0);
	sw_buf_init(&l->https, 0);
	l->https_port = 0;
	if ((ret = find_listener(e, &l->main, &l->vpc)) < 0)
		return ret;
	p = json_pack("{s:[s]}", "ListenerArns", l->main.ptr);
	if ((ret = sw_runenv_call(e, "elbv2", "DescribeListeners", p, &resp, NULL, NULL)) < 0)
		goto cleanup;
	me = json_array_get(json_object_get(resp, "Listeners"), 0);
	if (!sw_json_str(me, "LoadBalancerArn") || strcmp(sw_json_str_or(me, "Protocol", "HTTP"), "HTTP"))
		goto cleanup;
	json_decref(p);
	p = json_pack("{s:s}", "LoadBalancerArn", sw_json_str(me, "LoadBalancerArn"));
	me = NULL;
	json_decref(resp);
	resp = NULL;
	if ((ret = sw_runenv_call(e, "elbv2", "DescribeListeners", p, &resp, NULL, NULL)) < 0)
		goto cleanup;
	json_array_foreach(json_object_get(resp, "Listeners"), i, x)
		if (!l->https.len && !strcmp(sw_json_str_or(x, "Protocol", ""), "HTTPS") && sw_json_str(x, "ListenerArn")) {
			sw_buf_adds(&l->https, sw_json_str(x, "ListenerArn"));
			l->https_port = (int)sw_json_int(x, "Port", 443);
		}
cleanup:
	json_decref(p);
	json_decref(resp);
	return ret;
}

/* app's setting: HTTP requests redirected to HTTPS (when there is an HTTPS listener). */
static int redirect_on(sqlite3 *db, const char *app)
{
	sqlite3_stmt *st = NULL;
	int on = 0;
	if (sqlite3_prepare_v2(db, "SELECT https_redirect FROM route_settings WHERE app = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, app, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			on = sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	return on;
}

/*
 * Route host to tg: a rule on the main listener (forwarding, or redirecting to HTTPS
 * when redirect is on and there is an HTTPS listener) and one on the HTTPS listener.
 */
static int route_host(const struct sw_runenv *e, const struct lbs *l, const char *host, const char *tg,
		      const char *alt_tg, int redirect, char **rule_arn)
{
	struct want fwd = { tg, alt_tg, 0 }, rd = { tg, alt_tg, l->https_port };
	int ret = ensure_host_rule(e, l->main.ptr, host, redirect && l->https.len ? &rd : &fwd, rule_arn);
	if (ret == 0 && l->https.len)
		ret = ensure_host_rule(e, l->https.ptr, host, &fwd, NULL);
	return ret;
}

void sw_route_alt_target_group_name(const char *app, struct sw_buf *out)
{
	tg_name("sw--", app, out);   /* an app name starts with a letter: never another app's "sw-<app>" */
}

int sw_route_ensure(const struct sw_runenv *e, const char *app, int port, const char *health_path,
		    int shifting, struct sw_route *out)
{
	struct sw_buf host = SW_BUF_INIT;
	struct sw_strvec domains = SW_STRVEC_INIT;
	struct lbs l;
	size_t i;
	int ret, redirect = redirect_on(e->db, app);

	sw_route_release(out);
	/* a review app answers at <slug>.<parent>.<domain>, other apps at <app>.<domain> */
	sw_review_host_label(e->db, app, &host);
	sw_buf_addf(&host, ".%s", e->settings->apps_domain);
	out->host = sw_buf_detach(&host, NULL);
	if ((ret = find_listeners(e, &l)) < 0 ||
	    (ret = ensure_target_group(e, app, port, health_path, l.vpc.ptr, sw_route_target_group_name, 1,
					&out->target_group_arn)) < 0 ||
	    /* the alternate: made for a traffic-shifting strategy, kept once made */
	    (ret = ensure_target_group(e, app, port, health_path, l.vpc.ptr, sw_route_alt_target_group_name, shifting,
					&out->alt_target_group_arn)) < 0 ||
	    (ret = route_host(e, &l, out->host, out->target_group_arn, out->alt_target_group_arn, redirect,
			      &out->rule_arn)) < 0) {
		sw_error_prefix("load balancer");
		sw_route_release(out);
		goto cleanup;
	}
	/* the app's custom domains, each a rule of its own beside the app's host */
	sw_domains_of(e->db, app, &domains);
	for (i = 0; i < domains.nr && ret == 0; i++)
		if ((ret = route_host(e, &l, domains.v[i], out->target_group_arn, out->alt_target_group_arn, redirect,
				      NULL)) < 0) {
			sw_error_prefix("load balancer: domain %s", domains.v[i]);
			sw_route_release(out);
		}
cleanup:
	sw_strvec_clear(&domains);
	lbs_release(&l);
	return ret;
}

/*
 * app's target group named by naming (its own, or the alternate), if it has one yet: 1
 * with its ARN appended to arn, 0 none, negative on error.
 */
static int find_target_group(const struct sw_runenv *e, const char *app, void (*naming)(const char *, struct sw_buf *),
			     struct sw_buf *arn)
{
	struct sw_buf name = SW_BUF_INIT, code = SW_BUF_INIT;
	json_t *p, *resp = NULL;
	const char *a;
	int ret;

	naming(app, &name);
	p = json_pack("{s:[s]}", "Names", name.ptr);
	ret = sw_runenv_call(e, "elbv2", "DescribeTargetGroups", p, &resp, &code, NULL);
	if (ret < 0 && (!strcmp(code.ptr, "TargetGroupNotFound") || !strcmp(code.ptr, "TargetGroupNotFoundException")))
		ret = 0;
	else if (ret == 0 && (a = sw_json_str(json_array_get(json_object_get(resp, "TargetGroups"), 0), "TargetGroupArn"))) {
		sw_buf_adds(arn, a);
		ret = 1;
	}
	json_decref(p);
	json_decref(resp);
	sw_buf_release(&name);
	sw_buf_release(&code);
	return ret;
}

int sw_route_domain_add(const struct sw_runenv *e, const char *app, const char *host)
{
	struct sw_buf h = SW_BUF_INIT, tg = SW_BUF_INIT, alt = SW_BUF_INIT, owner = SW_BUF_INIT;
	struct lbs l;
	int ret, have_tg, have_alt = 0;

	memset(&l, 0, sizeof(l));
	if (!e->settings->load_balancer) {
		ret = sw_error_code(SW_EINVAL, "apps are not routed through a load balancer here (SLIPWAY_LOAD_BALANCER=none)");
		goto cleanup;
	}
	if ((ret = sw_domains_check(host, e->settings->apps_domain, &h)) < 0)
		goto cleanup;
	if ((ret = sw_domains_owner(e->db, h.ptr, &owner)) != 0) {
		if (ret == 1)
			ret = strcmp(owner.ptr, app) ? sw_error_code(SW_EEXISTS, "%s is already a domain of %s", h.ptr, owner.ptr)
						     : 1;
		goto cleanup;
	}
	if ((ret = find_listeners(e, &l)) < 0 || (ret = have_tg = find_target_group(e, app, sw_route_target_group_name, &tg)) < 0 ||
	    (ret = have_alt = find_target_group(e, app, sw_route_alt_target_group_name, &alt)) < 0)
		goto lb_error;
	/* a host the load balancer already routes elsewhere (another app's, a review app's) */
	if ((ret = host_taken(e, l.main.ptr, h.ptr, have_tg ? tg.ptr : NULL)) != 0) {
		if (ret == 1)
			ret = sw_error_code(SW_EEXISTS, "%s is already routed to another app by the load balancer", h.ptr);
		goto cleanup;
	}
	if ((ret = sw_domains_insert(e->db, app, h.ptr)) != 0)
		goto cleanup;
	/* an app not deployed yet gets the rule with its target group, at its first deploy */
	if (have_tg && (ret = route_host(e, &l, h.ptr, tg.ptr, have_alt ? alt.ptr : NULL, redirect_on(e->db, app),
					 NULL)) < 0) {
		struct sw_buf why = SW_BUF_INIT;
		sw_buf_adds(&why, sw_error_last());
		remove_host_rules(e, l.main.ptr, h.ptr);   /* nothing changed */
		if (l.https.len)
			remove_host_rules(e, l.https.ptr, h.ptr);
		sw_domains_delete(e->db, app, h.ptr);
		sw_error("%s", why.ptr);
		sw_buf_release(&why);
		goto lb_error;
	}
	goto cleanup;
lb_error:
	sw_error_prefix("load balancer");
cleanup:
	sw_buf_release(&h);
	lbs_release(&l);
	sw_buf_release(&tg);
	sw_buf_release(&alt);
	sw_buf_release(&owner);
	return ret;
}

int sw_route_domain_remove(const struct sw_runenv *e, const char *app, const char *host)
{
	struct sw_buf h = SW_BUF_INIT, owner = SW_BUF_INIT;
	struct lbs l;
	size_t i;
	int ret;

	memset(&l, 0, sizeof(l));
	for (i = 0; host[i] && i < 300; i++)
		sw_buf_addch(&h, host[i] >= 'A' && host[i] <= 'Z' ? (char)(host[i] + 32) : host[i]);
	if ((ret = sw_domains_owner(e->db, h.ptr, &owner)) <= 0 || strcmp(owner.ptr, app)) {
		if (ret >= 0)
			ret = sw_error_code(SW_ENOTFOUND, "%.60s is not a domain of %s", h.ptr, app);
		goto cleanup;
	}
	if ((ret = find_listeners(e, &l)) < 0 || (ret = remove_host_rules(e, l.main.ptr, h.ptr)) < 0 ||
	    (l.https.len && (ret = remove_host_rules(e, l.https.ptr, h.ptr)) < 0)) {
		sw_error_prefix("load balancer");
		goto cleanup;
	}
	ret = sw_domains_delete(e->db, app, h.ptr);
cleanup:
	sw_buf_release(&h);
	lbs_release(&l);
	sw_buf_release(&owner);
	return ret;
}

int sw_route_https_listener(const struct sw_runenv *e, struct sw_buf *arn, int *port)
{
	struct lbs l;
	int ret;

	if (!e->settings->load_balancer)
		return 0;
	ret = find_listeners(e, &l);
	if (ret == 0 && l.https.len) {
		sw_buf_adds(arn, l.https.ptr);
		if (port)
			*port = l.https_port;
		ret = 1;
	}
	lbs_release(&l);
	return ret < 0 ? sw_error_prefix("load balancer") : ret;
}

int sw_route_set_redirect(const struct sw_runenv *e, const char *app, int on)
{
	struct sw_buf tg = SW_BUF_INIT, alt = SW_BUF_INIT, host = SW_BUF_INIT;
	struct sw_strvec hosts = SW_STRVEC_INIT;
	sqlite3_stmt *st = NULL;
	struct lbs l;
	size_t i;
	int ret, have_tg, have_alt = 0;

	memset(&l, 0, sizeof(l));
	if (!e->settings->load_balancer) {
		ret = sw_error_code(SW_EINVAL, "apps are not routed through a load balancer here (SLIPWAY_LOAD_BALANCER=none)");
		goto cleanup;
	}
	if ((ret = find_listeners(e, &l)) < 0 || (ret = have_tg = find_target_group(e, app, sw_route_target_group_name, &tg)) < 0 ||
	    (ret = have_alt = find_target_group(e, app, sw_route_alt_target_group_name, &alt)) < 0) {
		sw_error_prefix("load balancer");
		goto cleanup;
	}
	if (on && !l.https.len) {
		ret = sw_error_code(SW_EINVAL, "the load balancer has no HTTPS listener to redirect to%s",
				    e->settings->listener_arn ? "" : " (HTTP requests are redirected by the stack's)");
		goto cleanup;
	}
	if ((ret = sw_store_prepare(e->db, &st, "INSERT INTO route_settings (app, https_redirect) VALUES (?1, ?2) "
				    "ON CONFLICT(app) DO UPDATE SET https_redirect = excluded.https_redirect")) < 0)
		goto cleanup;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, on ? 1 : 0);
	if ((ret = sw_store_step_done(e->db, st, "route settings")) < 0 || !have_tg)
		goto cleanup;
	/* a deployed app's rules now: its own host and its domains */
	sw_review_host_label(e->db, app, &host);
	sw_buf_addf(&host, ".%s", e->settings->apps_domain);
	sw_strvec_push(&hosts, host.ptr);
	sw_domains_of(e->db, app, &hosts);
	for (i = 0; i < hosts.nr && ret == 0; i++)
		ret = route_host(e, &l, hosts.v[i], tg.ptr, have_alt ? alt.ptr : NULL, on, NULL);
	if (ret < 0)
		sw_error_prefix("load balancer");
cleanup:
	lbs_release(&l);
	sw_strvec_clear(&hosts);
	sw_buf_release(&tg);
	sw_buf_release(&alt);
	sw_buf_release(&host);
	return ret;
}

int sw_route_redirect_on(sqlite3 *db, const char *app)
{
	return redirect_on(db, app);
}

int sw_route_forget_app(const struct sw_runenv *e, const char *app)
{
	struct sw_buf host = SW_BUF_INIT;
	struct sw_strvec hosts = SW_STRVEC_INIT;
	struct lbs l;
	size_t i;
	int ret;

	memset(&l, 0, sizeof(l));
	if (!e->settings->load_balancer)   /* no rules were made */
		return sw_domains_forget_app(e->db, app);
	sw_review_host_label(e->db, app, &host);
	sw_buf_addf(&host, ".%s", e->settings->apps_domain);
	sw_strvec_push(&hosts, host.ptr);
	sw_domains_of(e->db, app, &hosts);
	ret = find_listeners(e, &l);
	for (i = 0; i < hosts.nr && ret == 0; i++) {
		ret = remove_host_rules(e, l.main.ptr, hosts.v[i]);
		if (ret == 0 && l.https.len)
			ret = remove_host_rules(e, l.https.ptr, hosts.v[i]);
	}
	if (ret < 0)
		sw_error_prefix("load balancer");
	else
		ret = sw_domains_forget_app(e->db, app);
	lbs_release(&l);
	sw_strvec_clear(&hosts);
	sw_buf_release(&host);
	return ret;
}
