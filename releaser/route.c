#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "releaser/route.h"
#include "releaser/domains.h"
#include "releaser/pager.h"
#include "releaser/review.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/store.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define RULE_ATTEMPTS 5

static const char *str(const json_t *o, const char *k)
{
	return sw_json_str(o, k);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void sw_route_release(struct sw_route *r)
{
	free(r->target_group_arn);
	free(r->rule_arn);
	free(r->host);
	free(r->old_target_group_arn);
	free(r->alt_target_group_arn);
	r->target_group_arn = r->rule_arn = r->host = r->old_target_group_arn = r->alt_target_group_arn = NULL;
}

void sw_route_place_release(struct sw_route_place *p)
{
	free(p->listener_arn);
	free(p->protocol);
	free(p->load_balancer_arn);
	free(p->load_balancer_type);
	free(p->dns_name);
	free(p->vpc_id);
	free(p->subnets);
	free(p->security_groups);
	memset(p, 0, sizeof(*p));
}

/* FNV-1a of s and then tail: keeps distinct long names distinct. */
static unsigned fnv(const char *s, const char *tail)
{
	unsigned h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	for (; tail && *tail; tail++)
		h = (h ^ (unsigned char)*tail) * 16777619u;
	return h;
}

/*
 * prefix + app when that fits ELBv2's 32 characters and holds no "--" (CloudFormation
 * and the console refuse a target group name with one; an app name may have one), else
 * prefix + the app's first letters (a run of '-' kept as one, none at the end) + "-" +
 * the hash of app and salt + suffix. always_hash: the second form only.
 */
static void tg_compose(const char *prefix, const char *app, const char *salt, const char *suffix, int always_hash,
		       struct sw_buf *out)
{
	size_t room = 32 - strlen(prefix) - 9 - strlen(suffix), n = 0;
	const char *p;

	if (!always_hash && strlen(prefix) + strlen(app) <= 32 && !strstr(app, "--")) {
		sw_buf_addf(out, "%s%s", prefix, app);
		return;
	}
	sw_buf_adds(out, prefix);
	for (p = app; *p && n < room; p++) {
		if (*p == '-' && (!n || out->ptr[out->len - 1] == '-'))
			continue;
		sw_buf_addch(out, *p);
		n++;
	}
	while (n && out->ptr[out->len - 1] == '-') {
		sw_buf_setlen(out, out->len - 1);
		n--;
	}
	sw_buf_addf(out, "-%08x%s", fnv(app, salt), suffix);
}

void sw_route_target_group_name(const char *app, struct sw_buf *out)
{
	tg_compose("sw-", app, NULL, "", 0, out);
}

void sw_route_alt_target_group_name(const char *app, struct sw_buf *out)
{
	/* an app name starts with a letter: "sw-2-" is never another app's "sw-<app>" */
	tg_compose("sw-2-", app, NULL, "", 0, out);
}

void sw_route_target_group_alt_name(const char *app, struct sw_buf *out)
{
	tg_compose("sw-", app, "/b", "-b", 1, out);
}

/* The app's first (alt 0) or other (alt 1) target group name. */
static void tg_name(const char *app, int alt, struct sw_buf *out)
{
	if (alt)
		sw_route_target_group_alt_name(app, out);
	else
		sw_route_target_group_name(app, out);
}

int sw_route_on_aws(const struct sw_runenv *e)
{
	const struct sw_aws_endpoint *ep = sw_aws_client_endpoint(e->aws, "elbv2");
	return ep && ep->source && !strcmp(ep->source, "default");
}

int sw_route_quota_line(const char *code, struct sw_buf *out)
{
	static const struct {
		const char *code, *line;
	} quotas[] = {
		{ "TooManyRules", "the listener has reached its quota of rules (100 per Application Load Balancer unless "
				  "raised; ELBv2 TooManyRules): destroy apps or review apps no longer needed, or raise "
				  "\"Rules per Application Load Balancer\" in Service Quotas" },
		{ "TooManyTargetGroups", "the account has reached its quota of target groups (3000 per Region unless raised; "
					 "ELBv2 TooManyTargetGroups): delete unused target groups, or raise \"Target Groups "
					 "per Region\" in Service Quotas" },
		{ "TooManyUniqueTargetGroupsPerLoadBalancer", "the load balancer has reached its quota of target groups "
							      "(100 per Application Load Balancer unless raised; ELBv2 "
							      "TooManyUniqueTargetGroupsPerLoadBalancer): destroy apps or "
							      "review apps no longer needed, or raise the quota in Service "
							      "Quotas" },
		{ "TooManyTargets", "the load balancer has reached its quota of targets (1000 per Application Load "
				    "Balancer unless raised; ELBv2 TooManyTargets): scale apps down, or raise \"Targets "
				    "per Application Load Balancer\" in Service Quotas" },
		{ "TooManyRegistrationsForTargetId", "a target has reached its quota of registrations (100 per "
						     "Application Load Balancer unless raised; ELBv2 "
						     "TooManyRegistrationsForTargetId): fewer apps on that instance, or "
						     "raise the quota in Service Quotas" },
		{ "TargetGroupAssociationLimit", "the target group has reached its quota of load balancers (ELBv2 "
						 "TargetGroupAssociationLimit): it is used by another load balancer" },
		{ "TooManyTags", "the resource has reached its quota of tags (ELBv2 TooManyTags)" },
	};
	size_t i, n;

	sw_buf_reset(out);
	if (!code)
		return 0;
	n = strlen(code);
	if (n > 9 && !strcmp(code + n - 9, "Exception"))
		n -= 9;
	for (i = 0; i < sizeof(quotas) / sizeof(quotas[0]); i++)
		if (strlen(quotas[i].code) == n && !strncmp(quotas[i].code, code, n)) {
			sw_buf_adds(out, quotas[i].line);
			return 1;
		}
	return 0;
}

/* A failed ELBv2 call whose code is a quota's: its line instead of ELBv2's message. */
static int quota_or(int ret, const struct sw_buf *code)
{
	struct sw_buf line = SW_BUF_INIT;
	if (ret < 0 && sw_route_quota_line(code->ptr, &line))
		ret = sw_error_code(SW_EINVAL, "%s", line.ptr);
	sw_buf_release(&line);
	return ret;
}

/* ---- where: the listener, its load balancer, their VPC ---------------------------------- */

/* The items of list joined with ',': member k of each object (k NULL: the strings). */
static char *joined(const json_t *list, const char *k)
{
	struct sw_buf b = SW_BUF_INIT;
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		const char *s = k ? str(v, k) : json_string_value(v);
		if (s && *s)
			sw_buf_addf(&b, "%s%s", b.len ? "," : "", s);
	}
	return b.len ? sw_buf_detach(&b, NULL) : (sw_buf_release(&b), NULL);
}

/* The engine's own load balancer, by the name the engine gives it: its ARN into out. */
static int engine_load_balancer(const struct sw_runenv *e, struct sw_buf *out)
{
	const struct sw_aws_endpoint *ep = sw_aws_client_endpoint(e->aws, "elbv2");
	struct sw_buf code = SW_BUF_INIT;
	json_t *req = json_pack("{s:[s]}", "Names", SW_ROUTE_ENGINE_LB), *resp = NULL;
	int ret = sw_runenv_call(e, "elbv2", "DescribeLoadBalancers", req, &resp, &code, NULL);
	const char *arn = str(json_array_get(json_object_get(resp, "LoadBalancers"), 0), "LoadBalancerArn");

	if ((ret < 0 && !strncmp(code.ptr, "LoadBalancerNotFound", 20)) || (ret == 0 && !arn))
		ret = sw_error_code(SW_ENOTFOUND, "no load balancer named %s (slipway-engine's own) at %s: set "
				    "SLIPWAY_STACK or SLIPWAY_LISTENER_ARN", SW_ROUTE_ENGINE_LB, ep ? ep->url : "?");
	else if (ret == 0)
		sw_buf_adds(out, arn);
	json_decref(req);
	json_decref(resp);
	sw_buf_release(&code);
	return ret;
}

struct first_listener {
	char *arn;
};

static int pick_listener(void *ctx, const json_t *page)
{
	struct first_listener *f = ctx;
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(page, "Listeners"), i, l) {
		const char *p = str(l, "Protocol");
		if (str(l, "ListenerArn") && p && (!strcmp(p, "HTTP") || !strcmp(p, "HTTPS"))) {
			f->arn = xstrdup(str(l, "ListenerArn"));
			return 1;
		}
	}
	return 0;
}

int sw_route_place(const struct sw_runenv *e, struct sw_route_place *out)
{
	const struct sw_settings *s = e->settings;
	struct sw_buf lb = SW_BUF_INIT, code = SW_BUF_INIT;
	json_t *req = NULL, *resp = NULL;
	const json_t *l, *b;
	int ret;

	sw_route_place_release(out);
	if (s->listener_arn) {
		out->listener_arn = xstrdup(s->listener_arn);
	} else if (sw_route_on_aws(e)) {
		ret = sw_error_code(SW_EINVAL, "no listener for the apps: set SLIPWAY_STACK (slipway aws:bootstrap makes "
				    "one) or SLIPWAY_LISTENER_ARN");
		goto cleanup;
	} else {
		struct first_listener f = { NULL };
		if ((ret = engine_load_balancer(e, &lb)) < 0)
			goto cleanup;
		req = json_pack("{s:s}", "LoadBalancerArn", lb.ptr);
		if ((ret = sw_pager_call(e, "elbv2", "DescribeListeners", req, pick_listener, &f, NULL, NULL)) < 0)
			goto cleanup;
		if (!f.arn) {
			ret = sw_error_code(SW_ENOTFOUND, "load balancer %s has no HTTP listener: set SLIPWAY_LISTENER_ARN",
					    SW_ROUTE_ENGINE_LB);
			goto cleanup;
		}
		out->listener_arn = f.arn;
		out->engine = 1;
		json_decref(req);
		req = NULL;
	}
	/* the listener, then its load balancer by ARN: its VPC is the target groups' */
	req = json_pack("{s:[s]}", "ListenerArns", out->listener_arn);
	ret = sw_runenv_call(e, "elbv2", "DescribeListeners", req, &resp, &code, NULL);
	l = json_array_get(json_object_get(resp, "Listeners"), 0);
	if ((ret < 0 && !strncmp(code.ptr, "ListenerNotFound", 16)) || (ret == 0 && !str(l, "LoadBalancerArn"))) {
		ret = sw_error_code(SW_ENOTFOUND, "listener %s (%s) not found", out->listener_arn,
				    sw_settings_from(s, "listener_arn"));
		goto cleanup;
	}
	if (ret < 0)
		goto cleanup;
	out->protocol = dup_or_null(str(l, "Protocol"));
	out->load_balancer_arn = xstrdup(str(l, "LoadBalancerArn"));
	json_decref(req);
	json_decref(resp);
	resp = NULL;
	req = json_pack("{s:[s]}", "LoadBalancerArns", out->load_balancer_arn);
	if ((ret = sw_runenv_call(e, "elbv2", "DescribeLoadBalancers", req, &resp, NULL, NULL)) < 0)
		goto cleanup;
	b = json_array_get(json_object_get(resp, "LoadBalancers"), 0);
	if (!b || !str(b, "VpcId")) {
		ret = sw_error("the listener's load balancer %s has no VPC", out->load_balancer_arn);
		goto cleanup;
	}
	out->vpc_id = xstrdup(str(b, "VpcId"));
	out->load_balancer_type = dup_or_null(str(b, "Type"));
	out->dns_name = dup_or_null(str(b, "DNSName"));
	out->subnets = joined(json_object_get(b, "AvailabilityZones"), "SubnetId");
	out->security_groups = joined(json_object_get(b, "SecurityGroups"), NULL);
	if (s->vpc_id && strcmp(s->vpc_id, out->vpc_id)) {
		const char *from = sw_settings_from(s, "vpc_id");
		int stack = !strncmp(from, "stack ", 6);
		ret = sw_error_code(SW_EINVAL, "%s%s %s is not the VPC of the listener's load balancer (%s): target "
				    "groups go in %s; name the listener of %s, or that VPC", stack ? "the VpcId of " : "",
				    from, s->vpc_id, out->vpc_id, out->vpc_id, s->vpc_id);
		goto cleanup;
	}
	/* the stack's tasks admit traffic from the stack's load balancer alone (its security group) */
	if (s->load_balancer_arn && strcmp(s->load_balancer_arn, out->load_balancer_arn)) {
		ret = sw_error_code(SW_EINVAL, "listener %s (%s) is of load balancer %s, not %s's %s, the only one "
				    "the tasks' security group admits: name a listener of %s, or leave "
				    "SLIPWAY_LISTENER_ARN unset", out->listener_arn, sw_settings_from(s, "listener_arn"),
				    out->load_balancer_arn, sw_settings_from(s, "load_balancer_arn"),
				    s->load_balancer_arn, s->load_balancer_arn);
		goto cleanup;
	}
	ret = 0;
cleanup:
	if (ret < 0)
		sw_route_place_release(out);
	json_decref(req);
	json_decref(resp);
	sw_buf_release(&lb);
	sw_buf_release(&code);
	return ret;
}

/* ---- the target group ------------------------------------------------------------------ */

/* The target group named name: 1 and *out (a new reference), 0 when there is none, < 0 on error. */
static int find_target_group(const struct sw_runenv *e, const char *name, json_t **out)
{
	struct sw_buf code = SW_BUF_INIT;
	json_t *req = json_pack("{s:[s]}", "Names", name), *resp = NULL, *tg;
	int ret = sw_runenv_call(e, "elbv2", "DescribeTargetGroups", req, &resp, &code, NULL);

	*out = NULL;
	json_decref(req);
	if (ret < 0 && !strncmp(code.ptr, "TargetGroupNotFound", 19))
		ret = 0;
	tg = json_array_get(json_object_get(resp, "TargetGroups"), 0);
	if (ret == 0 && tg && str(tg, "TargetGroupArn")) {
		*out = json_incref(tg);
		ret = 1;
	}
	json_decref(resp);
	sw_buf_release(&code);
	return ret;
}

static const char *target_type(const json_t *tg)
{
	return str(tg, "TargetType") ? str(tg, "TargetType") : "instance";
}

static int create_target_group(const struct sw_runenv *e, const char *app, const char *name, int port, const char *path,
			       const char *vpc, const char *type, char **out)
{
	const struct sw_settings *s = e->settings;
	struct sw_buf code = SW_BUF_INIT, delay = SW_BUF_INIT;
	int ret, timeout = s->health_interval_s > 6 ? 5 : s->health_interval_s - 1;
	json_t *req, *resp = NULL;
	const char *arn;

	req = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:s, s:{s:s}}",
			"Name", name, "Protocol", "HTTP", "Port", port, "VpcId", vpc,
			"HealthCheckProtocol", "HTTP", "HealthCheckPath", path,
			"HealthCheckIntervalSeconds", s->health_interval_s,
			"HealthCheckTimeoutSeconds", timeout < 2 ? 2 : timeout,
			"HealthyThresholdCount", 2, "UnhealthyThresholdCount", 3,
			"TargetType", type, "Matcher", "HttpCode", "200-399");
	ret = quota_or(sw_runenv_call(e, "elbv2", "CreateTargetGroup", req, &resp, &code, NULL), &code);
	json_decref(req);
	if (ret < 0)
		goto cleanup;
	arn = str(json_array_get(json_object_get(resp, "TargetGroups"), 0), "TargetGroupArn");
	if (!arn) {
		ret = sw_error("CreateTargetGroup answered no TargetGroupArn");
		goto cleanup;
	}
	*out = xstrdup(arn);
	sw_buf_addf(&delay, "%d", s->deregistration_delay_s);
	req = json_pack("{s:s, s:[{s:s, s:s}]}", "TargetGroupArn", arn, "Attributes",
			"Key", "deregistration_delay.timeout_seconds", "Value", delay.ptr);
	if (sw_runenv_call(e, "elbv2", "ModifyTargetGroupAttributes", req, NULL, NULL, NULL) < 0)
		sw_log(SW_LOG_WARN, app, e->job, "deregistration delay not set: %s", sw_error_last());
	json_decref(req);
cleanup:
	json_decref(resp);
	sw_buf_release(&code);
	sw_buf_release(&delay);
	return ret;
}

/* Target group tg (its arn) health-checks path: ModifyTargetGroup when it checks another. 0 or negative. */
static int ensure_health_path(const struct sw_runenv *e, const json_t *tg, const char *arn, const char *path)
{
	json_t *req;
	int ret;

	if (str(tg, "HealthCheckPath") && !strcmp(str(tg, "HealthCheckPath"), path))
		return 0;
	req = json_pack("{s:s, s:s}", "TargetGroupArn", arn, "HealthCheckPath", path);
	ret = sw_runenv_call(e, "elbv2", "ModifyTargetGroup", req, NULL, NULL, NULL);
	json_decref(req);
	return ret;
}

/*
 * The app's target group of type: its primary name, else its alternate one; one of the
 * other type (found first) becomes out->old_target_group_arn. *created is set when it was
 * made now.
 */
static int ensure_target_group(const struct sw_runenv *e, const char *app, int port, const char *path,
			       const char *vpc, const char *type, struct sw_route *out, int *created)
{
	struct sw_buf name = SW_BUF_INIT, free_name = SW_BUF_INIT;
	json_t *tg = NULL;
	int alt, ret = 0;

	*created = 0;
	for (alt = 0; alt < 2 && !out->target_group_arn; alt++) {
		sw_buf_reset(&name);
		tg_name(app, alt, &name);
		json_decref(tg);
		if ((ret = find_target_group(e, name.ptr, &tg)) < 0)
			goto cleanup;
		if (!ret) {
			if (!free_name.len)
				sw_buf_adds(&free_name, name.ptr);
			continue;
		}
		if (strcmp(target_type(tg), type)) {
			/* made for the other launch: replaced, not reused */
			if (!out->old_target_group_arn)
				out->old_target_group_arn = xstrdup(str(tg, "TargetGroupArn"));
			continue;
		}
		out->target_group_arn = xstrdup(str(tg, "TargetGroupArn"));
		if ((ret = ensure_health_path(e, tg, out->target_group_arn, path)) < 0)
			goto cleanup;
	}
	ret = 0;
	if (out->target_group_arn)
		goto cleanup;
	if (!free_name.len) {
		ret = sw_error("both target group names of %s are taken by target groups of the other type", app);
		goto cleanup;
	}
	if ((ret = create_target_group(e, app, free_name.ptr, port, path, vpc, type, &out->target_group_arn)) == 0)
		*created = 1;
cleanup:
	json_decref(tg);
	sw_buf_release(&name);
	sw_buf_release(&free_name);
	return ret;
}

/*
 * The alternate target group "sw-2-<app>" into out->alt_target_group_arn: made when
 * shifting and missing, kept once made; one of the other type is left alone (NULL).
 * *created is set when it was made now.
 */
static int ensure_alt_target_group(const struct sw_runenv *e, const char *app, int port, const char *path,
				   const char *vpc, const char *type, int shifting, struct sw_route *out, int *created)
{
	struct sw_buf name = SW_BUF_INIT;
	json_t *tg = NULL;
	int ret;

	*created = 0;
	sw_route_alt_target_group_name(app, &name);
	if ((ret = find_target_group(e, name.ptr, &tg)) < 0)
		goto cleanup;
	if (ret && strcmp(target_type(tg), type)) {
		ret = shifting ? sw_error("the alternate target group %s is of type %s, the launch needs %s: set "
					  "`slipway deploy:settings strategy=rolling` for one release, delete %s, "
					  "then the strategy again", name.ptr, target_type(tg), type, name.ptr) : 0;
		goto cleanup;
	}
	if (ret) {
		out->alt_target_group_arn = xstrdup(str(tg, "TargetGroupArn"));
		ret = ensure_health_path(e, tg, out->alt_target_group_arn, path);
		goto cleanup;
	}
	if (shifting && (ret = create_target_group(e, app, name.ptr, port, path, vpc, type,
						   &out->alt_target_group_arn)) == 0)
		*created = 1;
cleanup:
	json_decref(tg);
	sw_buf_release(&name);
	return ret;
}

void sw_route_delete_target_group(const struct sw_runenv *e, const char *app, const char *target_group_arn)
{
	json_t *req = json_pack("{s:s}", "TargetGroupArn", target_group_arn);
	if (sw_runenv_call(e, "elbv2", "DeleteTargetGroup", req, NULL, NULL, NULL) < 0)
		sw_log(SW_LOG_WARN, app, e->job, "target group %s not deleted: %s", target_group_arn, sw_error_last());
	json_decref(req);
}

/* ---- the rules ---------------------------------------------------------------------------- */

/* Does rule r match exactly host (a host-header condition naming it)? */
static int rule_has_host(const json_t *r, const char *host)
{
	const json_t *c, *v;
	size_t i, j;
	json_array_foreach(json_object_get(r, "Conditions"), i, c) {
		const json_t *vals;
		if (!str(c, "Field") || strcmp(str(c, "Field"), "host-header"))
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
	return str(sw_json_find(json_object_get(r, "Actions"), "Type", "forward"), "TargetGroupArn");
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

/* Does rule r forward to w's two target groups, weighted (in either order, any weights)? */
static int rule_weighs(const json_t *r, const struct want *w)
{
	const json_t *fwd = sw_json_find(json_object_get(r, "Actions"), "Type", "forward");
	const json_t *tgs = json_object_get(json_object_get(fwd, "ForwardConfig"), "TargetGroups");
	const char *a = str(json_array_get(tgs, 0), "TargetGroupArn");
	const char *b = str(json_array_get(tgs, 1), "TargetGroupArn");
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
		return rd && str(rd, "Port") && !strcmp(str(rd, "Port"), port);
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

static int gather_rules(void *ctx, const json_t *page)
{
	json_array_extend(ctx, json_object_get(page, "Rules"));
	return 0;
}

/* Every rule of listener (all pages of DescribeRules) into *out, a new array (the caller's). */
static int listener_rules(const struct sw_runenv *e, const char *listener, json_t **out)
{
	json_t *req = json_pack("{s:s, s:i}", "ListenerArn", listener, "PageSize", 400);
	int ret;

	*out = json_array();
	ret = sw_pager_call(e, "elbv2", "DescribeRules", req, gather_rules, *out, NULL, NULL);
	json_decref(req);
	return ret;
}

int sw_route_forward(const struct sw_runenv *e, const char *rule_arn, const char *target_group_arn)
{
	struct sw_buf code = SW_BUF_INIT;
	json_t *req = json_pack("{s:s, s:[{s:s, s:s}]}", "RuleArn", rule_arn, "Actions", "Type", "forward",
				"TargetGroupArn", target_group_arn);
	int ret = quota_or(sw_runenv_call(e, "elbv2", "ModifyRule", req, NULL, &code, NULL), &code);
	json_decref(req);
	sw_buf_release(&code);
	return ret;
}

/* The rules of listener forwarding to from alone: to to instead. */
static int retarget_rules(const struct sw_runenv *e, const char *listener, const char *from, const char *to)
{
	json_t *rules = NULL, *r;
	size_t i;
	int ret = listener_rules(e, listener, &rules);

	json_array_foreach(rules, i, r)
		if (ret == 0 && rule_target(r) && !strcmp(rule_target(r), from) && str(r, "RuleArn"))
			ret = sw_route_forward(e, str(r, "RuleArn"), to);
	json_decref(rules);
	return ret;
}

/*
 * Make sure listener has a rule for host doing what w wants: found by its host (its
 * action put right when it does something else, e.g. forwarding to the target group of
 * the app's other launch), else created after the last priority. *rule_arn (may be NULL)
 * gets the rule's ARN.
 */
static int ensure_host_rule(const struct sw_runenv *e, const char *listener, const char *host, const struct want *w,
			    char **rule_arn)
{
	json_t *rules = NULL, *req = NULL, *r;
	struct sw_buf code = SW_BUF_INIT;
	size_t i;
	int ret, max = 0, attempt;

	if ((ret = listener_rules(e, listener, &rules)) < 0)
		goto cleanup;
	json_array_foreach(rules, i, r) {
		const char *pr = str(r, "Priority");
		int n = pr ? atoi(pr) : 0;
		if (n > max)
			max = n;
	}
	json_array_foreach(rules, i, r) {
		if (!rule_has_host(r, host) || !str(r, "RuleArn"))
			continue;
		if (rule_arn)
			*rule_arn = xstrdup(str(r, "RuleArn"));
		if (!rule_does(r, w)) {
			req = json_pack("{s:s, s:o}", "RuleArn", str(r, "RuleArn"), "Actions", actions_for(rules, w));
			ret = quota_or(sw_runenv_call(e, "elbv2", "ModifyRule", req, NULL, &code, NULL), &code);
		}
		goto cleanup;
	}
	/* a new rule after the last one; another writer may take that priority first */
	for (attempt = 1; attempt <= RULE_ATTEMPTS; attempt++) {
		json_t *created = NULL;
		json_decref(req);
		req = json_pack("{s:s, s:i, s:[{s:s, s:{s:[s]}}], s:o}",
				"ListenerArn", listener, "Priority", max + attempt,
				"Conditions", "Field", "host-header", "HostHeaderConfig", "Values", host,
				"Actions", actions_for(rules, w));
		ret = sw_runenv_call(e, "elbv2", "CreateRule", req, &created, &code, NULL);
		if (ret == 0) {
			const char *arn = str(json_array_get(json_object_get(created, "Rules"), 0), "RuleArn");
			if (rule_arn)
				*rule_arn = xstrdup(arn ? arn : "");
			json_decref(created);
			break;
		}
		if (strncmp(code.ptr, "PriorityInUse", 13))
			break;
	}
	ret = quota_or(ret, &code);
cleanup:
	json_decref(req);
	json_decref(rules);
	sw_buf_release(&code);
	return ret;
}

/* Delete the rules of listener naming host. */
static int remove_host_rules(const struct sw_runenv *e, const char *listener, const char *host)
{
	json_t *rules = NULL, *p, *r;
	size_t i;
	int ret = listener_rules(e, listener, &rules);

	json_array_foreach(rules, i, r) {
		if (ret < 0 || sw_json_bool(r, "IsDefault", 0) || !rule_has_host(r, host) || !str(r, "RuleArn"))
			continue;
		p = json_pack("{s:s}", "RuleArn", str(r, "RuleArn"));
		ret = sw_runenv_call(e, "elbv2", "DeleteRule", p, NULL, NULL, NULL);
		json_decref(p);
	}
	json_decref(rules);
	return ret;
}

/* Is host routed by listener to a target group other than tg (NULL: any)? 1 yes, 0 no, negative on error. */
static int host_taken(const struct sw_runenv *e, const char *listener, const char *host, const char *tg)
{
	json_t *rules = NULL, *r;
	size_t i;
	int ret = listener_rules(e, listener, &rules);

	json_array_foreach(rules, i, r)
		if (ret == 0 && rule_has_host(r, host) && rule_target(r) && (!tg || strcmp(rule_target(r), tg)))
			ret = 1;
	json_decref(rules);
	return ret;
}

/*
 * The listeners an app's rules go on: the main one (sw_route_place: the settings' or the
 * engine's, with its own load balancer and VPC) and, when that one is HTTP, the HTTPS
 * listener of the same load balancer if it has one (the engine's router on
 * SLIPWAY_ROUTER_TLS_PORT). On AWS with a certificate the main listener is the HTTPS one
 * and the stack's HTTP listener redirects every request to it.
 */
struct lbs {
	struct sw_route_place place;
	struct sw_buf https;
	int https_port;
};

static void lbs_release(struct lbs *l)
{
	sw_route_place_release(&l->place);
	sw_buf_release(&l->https);
}

static int pick_https(void *ctx, const json_t *page)
{
	struct lbs *l = ctx;
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(page, "Listeners"), i, x)
		if (!strcmp(sw_json_str_or(x, "Protocol", ""), "HTTPS") && str(x, "ListenerArn")) {
			sw_buf_adds(&l->https, str(x, "ListenerArn"));
			l->https_port = (int)sw_json_int(x, "Port", 443);
			return 1;
		}
	return 0;
}

static int find_listeners(const struct sw_runenv *e, struct lbs *l)
{
	json_t *req;
	int ret;

	memset(l, 0, sizeof(*l));
	sw_buf_init(&l->https, 0);
	if ((ret = sw_route_place(e, &l->place)) < 0)
		return ret;
	if (l->place.protocol && strcmp(l->place.protocol, "HTTP"))
		return 0;
	req = json_pack("{s:s}", "LoadBalancerArn", l->place.load_balancer_arn);
	ret = sw_pager_call(e, "elbv2", "DescribeListeners", req, pick_https, l, NULL, NULL);
	json_decref(req);
	return ret < 0 ? ret : 0;
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
	int ret = ensure_host_rule(e, l->place.listener_arn, host, redirect && l->https.len ? &rd : &fwd, rule_arn);
	if (ret == 0 && l->https.len)
		ret = ensure_host_rule(e, l->https.ptr, host, &fwd, NULL);
	return ret;
}

int sw_route_ensure(const struct sw_runenv *e, const char *app, int port, const char *health_path,
		    const char *target_type, int shifting, struct sw_route *out)
{
	struct sw_buf host = SW_BUF_INIT;
	struct sw_strvec domains = SW_STRVEC_INIT;
	struct lbs l;
	size_t i;
	int ret, created = 0, alt_created = 0, redirect = redirect_on(e->db, app);

	memset(&l, 0, sizeof(l));
	sw_route_release(out);
	/* a review app answers at <slug>.<parent>.<domain>, other apps at <app>.<domain> */
	sw_review_host_label(e->db, app, &host);
	sw_buf_addf(&host, ".%s", e->settings->apps_domain);
	out->host = sw_buf_detach(&host, NULL);
	if ((ret = find_listeners(e, &l)) < 0 ||
	    (ret = ensure_target_group(e, app, port, health_path, l.place.vpc_id, target_type, out, &created)) < 0)
		goto failed;
	/* the alternate: made for a traffic-shifting strategy, kept once made */
	if ((ret = ensure_alt_target_group(e, app, port, health_path, l.place.vpc_id, target_type, shifting, out,
					   &alt_created)) < 0 ||
	    (ret = route_host(e, &l, out->host, out->target_group_arn, out->alt_target_group_arn, redirect,
			      &out->rule_arn)) < 0) {
		/* nothing half made: the target groups made for this rule go */
		struct sw_buf why = SW_BUF_INIT;
		sw_buf_adds(&why, sw_error_last());
		if (created)
			sw_route_delete_target_group(e, app, out->target_group_arn);
		if (alt_created)
			sw_route_delete_target_group(e, app, out->alt_target_group_arn);
		sw_error_code(ret, "%s", why.ptr);
		sw_buf_release(&why);
		goto failed;
	}
	/* the app's custom domains, each a rule of its own beside the app's host */
	sw_domains_of(e->db, app, &domains);
	for (i = 0; i < domains.nr; i++)
		if ((ret = route_host(e, &l, domains.v[i], out->target_group_arn, out->alt_target_group_arn, redirect,
				      NULL)) < 0) {
			sw_error_prefix("domain %s", domains.v[i]);
			goto failed;
		}
	goto cleanup;
failed:
	sw_error_prefix("load balancer");
	sw_route_release(out);
cleanup:
	sw_strvec_clear(&domains);
	lbs_release(&l);
	return ret;
}

/*
 * The target groups rule r forwards to: into tg the one taking the traffic (a weighted
 * rule's heavier), into alt the other of a weighted rule.
 */
static void rule_groups(const json_t *r, struct sw_buf *tg, struct sw_buf *alt)
{
	const json_t *fwd = sw_json_find(json_object_get(r, "Actions"), "Type", "forward");
	const json_t *tgs = json_object_get(json_object_get(fwd, "ForwardConfig"), "TargetGroups");
	const json_t *a = json_array_get(tgs, 0), *b = json_array_get(tgs, 1);

	if (json_array_size(tgs) == 2 && str(a, "TargetGroupArn") && str(b, "TargetGroupArn")) {
		if (sw_json_int(b, "Weight", 0) > sw_json_int(a, "Weight", 0)) {
			const json_t *t = a;
			a = b;
			b = t;
		}
		sw_buf_adds(tg, str(a, "TargetGroupArn"));
		sw_buf_adds(alt, str(b, "TargetGroupArn"));
	} else if (rule_target(r)) {
		sw_buf_adds(tg, rule_target(r));
	} else if (str(a, "TargetGroupArn")) {
		sw_buf_adds(tg, str(a, "TargetGroupArn"));
	}
}

/*
 * The target groups app's host rule forwards to (its own and, weighted, the alternate):
 * the rule on the main listener, or the HTTPS one's when the main one redirects. By the
 * rule, not by name: the app's target group may be under either of its names (a launch
 * change, route.h). 1 with tg (and alt when weighted) appended, 0 when the app has no
 * rule yet (not deployed), negative on error.
 */
static int app_target_groups(const struct sw_runenv *e, const struct lbs *l, const char *app, struct sw_buf *tg,
			     struct sw_buf *alt)
{
	const char *listeners[2] = { l->place.listener_arn, l->https.len ? l->https.ptr : NULL };
	struct sw_buf host = SW_BUF_INIT;
	json_t *rules = NULL, *r;
	size_t i;
	int ret = 0, k;

	sw_review_host_label(e->db, app, &host);
	sw_buf_addf(&host, ".%s", e->settings->apps_domain);
	for (k = 0; k < 2 && listeners[k] && !tg->len; k++) {
		json_decref(rules);
		if ((ret = listener_rules(e, listeners[k], &rules)) < 0)
			break;
		json_array_foreach(rules, i, r)
			if (!tg->len && rule_has_host(r, host.ptr))
				rule_groups(r, tg, alt);
	}
	json_decref(rules);
	sw_buf_release(&host);
	return ret < 0 ? ret : tg->len > 0;
}

int sw_route_domain_add(const struct sw_runenv *e, const char *app, const char *host)
{
	struct sw_buf h = SW_BUF_INIT, tg = SW_BUF_INIT, alt = SW_BUF_INIT, owner = SW_BUF_INIT;
	struct lbs l;
	int ret, have_tg;

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
	if ((ret = find_listeners(e, &l)) < 0 || (ret = have_tg = app_target_groups(e, &l, app, &tg, &alt)) < 0)
		goto lb_error;
	/* a host the load balancer already routes elsewhere (another app's, a review app's) */
	if ((ret = host_taken(e, l.place.listener_arn, h.ptr, have_tg ? tg.ptr : NULL)) != 0) {
		if (ret == 1)
			ret = sw_error_code(SW_EEXISTS, "%s is already routed to another app by the load balancer", h.ptr);
		goto cleanup;
	}
	if ((ret = sw_domains_insert(e->db, app, h.ptr)) != 0)
		goto cleanup;
	/* an app not deployed yet gets the rule with its target group, at its first deploy */
	if (have_tg && (ret = route_host(e, &l, h.ptr, tg.ptr, alt.len ? alt.ptr : NULL, redirect_on(e->db, app),
					 NULL)) < 0) {
		struct sw_buf why = SW_BUF_INIT;
		sw_buf_adds(&why, sw_error_last());
		remove_host_rules(e, l.place.listener_arn, h.ptr);   /* nothing changed */
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
	if ((ret = find_listeners(e, &l)) < 0 || (ret = remove_host_rules(e, l.place.listener_arn, h.ptr)) < 0 ||
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
	int ret, have_tg;

	memset(&l, 0, sizeof(l));
	if (!e->settings->load_balancer) {
		ret = sw_error_code(SW_EINVAL, "apps are not routed through a load balancer here (SLIPWAY_LOAD_BALANCER=none)");
		goto cleanup;
	}
	if ((ret = find_listeners(e, &l)) < 0 || (ret = have_tg = app_target_groups(e, &l, app, &tg, &alt)) < 0) {
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
		ret = route_host(e, &l, hosts.v[i], tg.ptr, alt.len ? alt.ptr : NULL, on, NULL);
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

int sw_route_retarget(const struct sw_runenv *e, const char *from_tg, const char *to_tg)
{
	struct lbs l;
	int ret;

	if ((ret = find_listeners(e, &l)) == 0 && (ret = retarget_rules(e, l.place.listener_arn, from_tg, to_tg)) == 0 &&
	    l.https.len)
		ret = retarget_rules(e, l.https.ptr, from_tg, to_tg);
	lbs_release(&l);
	return ret < 0 ? sw_error_prefix("load balancer") : 0;
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
	/*
	 * no listener configured (route.h: nothing is guessed on AWS): no rule of this
	 * configuration's can be left; teardown took every rule forwarding to the app's
	 * target groups, on whatever listener
	 */
	if ((ret = find_listeners(e, &l)) == SW_EINVAL || ret == SW_ENOTFOUND) {
		sw_log(SW_LOG_WARN, app, e->job, "its hosts' rules not looked for: %s", sw_error_last());
		ret = 1;
	}
	for (i = 0; i < hosts.nr && ret == 0; i++) {
		ret = remove_host_rules(e, l.place.listener_arn, hosts.v[i]);
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
