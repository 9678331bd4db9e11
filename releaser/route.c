#include <stdlib.h>
#include <string.h>

#include "releaser/route.h"
#include "releaser/pager.h"
#include "releaser/review.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
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

void sw_route_target_group_name(const char *app, struct sw_buf *out)
{
	if (strlen(app) + 3 <= 32)
		sw_buf_addf(out, "sw-%s", app);
	else
		sw_buf_addf(out, "sw-%.20s-%08x", app, fnv(app, NULL));
}

void sw_route_alt_target_group_name(const char *app, struct sw_buf *out)
{
	/* an app name starts with a letter: never another app's "sw-<app>" */
	if (strlen(app) + 4 <= 32)
		sw_buf_addf(out, "sw--%s", app);
	else
		sw_buf_addf(out, "sw--%.19s-%08x", app, fnv(app, NULL));
}

void sw_route_target_group_alt_name(const char *app, struct sw_buf *out)
{
	sw_buf_addf(out, "sw-%.18s-%08x-b", app, fnv(app, "/b"));
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
		if (!str(tg, "HealthCheckPath") || strcmp(str(tg, "HealthCheckPath"), path)) {
			json_t *req = json_pack("{s:s, s:s}", "TargetGroupArn", out->target_group_arn, "HealthCheckPath", path);
			ret = sw_runenv_call(e, "elbv2", "ModifyTargetGroup", req, NULL, NULL, NULL);
			json_decref(req);
			if (ret < 0)
				goto cleanup;
		}
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
 * The alternate target group "sw--<app>" into out->alt_target_group_arn: made when
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
		ret = 0;
		if (!str(tg, "HealthCheckPath") || strcmp(str(tg, "HealthCheckPath"), path)) {
			json_t *req = json_pack("{s:s, s:s}", "TargetGroupArn", out->alt_target_group_arn,
						"HealthCheckPath", path);
			ret = sw_runenv_call(e, "elbv2", "ModifyTargetGroup", req, NULL, NULL, NULL);
			json_decref(req);
		}
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

/* ---- the rule ---------------------------------------------------------------------------- */

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
 * With an alternate target group: does rule r forward to both groups, weighted (as ECS
 * leaves the production rule of a blue/green service, either way round)?
 */
static int rule_weighs(const json_t *r, const struct sw_route *route)
{
	const json_t *fwd = sw_json_find(json_object_get(r, "Actions"), "Type", "forward");
	const json_t *tgs = json_object_get(json_object_get(fwd, "ForwardConfig"), "TargetGroups");
	const char *a = str(json_array_get(tgs, 0), "TargetGroupArn");
	const char *b = str(json_array_get(tgs, 1), "TargetGroupArn");
	if (json_array_size(tgs) != 2 || !a || !b)
		return 0;
	return (!strcmp(a, route->target_group_arn) && !strcmp(b, route->alt_target_group_arn)) ||
	       (!strcmp(b, route->target_group_arn) && !strcmp(a, route->alt_target_group_arn));
}

/* The rule's forward action: to the target group, or weighted 1/0 with the alternate. */
static json_t *forward_action(const struct sw_route *route)
{
	if (!route->alt_target_group_arn)
		return json_pack("[{s:s, s:s}]", "Type", "forward", "TargetGroupArn", route->target_group_arn);
	return json_pack("[{s:s, s:{s:[{s:s, s:i}, {s:s, s:i}]}}]", "Type", "forward", "ForwardConfig", "TargetGroups",
			 "TargetGroupArn", route->target_group_arn, "Weight", 1,
			 "TargetGroupArn", route->alt_target_group_arn, "Weight", 0);
}

struct rules_seen {
	const char *host;
	int max;                /* the highest priority on the listener */
	char *arn;              /* the rule for host */
	json_t *rule;           /* it */
};

static int see_rules(void *ctx, const json_t *page)
{
	struct rules_seen *s = ctx;
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(page, "Rules"), i, r) {
		const char *pr = str(r, "Priority");
		int n = pr ? atoi(pr) : 0;
		if (n > s->max)
			s->max = n;
		if (!s->arn && rule_has_host(r, s->host) && str(r, "RuleArn")) {
			s->arn = xstrdup(str(r, "RuleArn"));
			s->rule = json_deep_copy(r);
		}
	}
	return 0;
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

static int ensure_rule(const struct sw_runenv *e, const char *listener, struct sw_route *out)
{
	struct rules_seen seen = { out->host, 0, NULL, NULL };
	const char *target;
	struct sw_buf code = SW_BUF_INIT;
	json_t *req = json_pack("{s:s, s:i}", "ListenerArn", listener, "PageSize", 400);
	int ret, attempt;

	ret = sw_pager_call(e, "elbv2", "DescribeRules", req, see_rules, &seen, NULL, NULL);
	json_decref(req);
	req = NULL;
	if (ret < 0)
		goto cleanup;
	if (seen.arn) {
		out->rule_arn = seen.arn;
		seen.arn = NULL;
		target = rule_target(seen.rule);
		/* a weighted rule is ECS's to move (blue/green): left as it is */
		if (out->alt_target_group_arn ? !rule_weighs(seen.rule, out) :
		    !target || strcmp(target, out->target_group_arn)) {
			json_decref(req);
			req = json_pack("{s:s, s:o}", "RuleArn", out->rule_arn, "Actions", forward_action(out));
			ret = quota_or(sw_runenv_call(e, "elbv2", "ModifyRule", req, NULL, &code, NULL), &code);
		}
		goto cleanup;
	}
	/* a new rule after the last one; another writer may take that priority first */
	for (attempt = 1; attempt <= RULE_ATTEMPTS; attempt++) {
		json_t *created = NULL;
		json_decref(req);
		req = json_pack("{s:s, s:i, s:[{s:s, s:{s:[s]}}], s:o}",
				"ListenerArn", listener, "Priority", seen.max + attempt,
				"Conditions", "Field", "host-header", "HostHeaderConfig", "Values", out->host,
				"Actions", forward_action(out));
		ret = sw_runenv_call(e, "elbv2", "CreateRule", req, &created, &code, NULL);
		if (ret == 0) {
			const char *arn = str(json_array_get(json_object_get(created, "Rules"), 0), "RuleArn");
			out->rule_arn = xstrdup(arn ? arn : "");
			json_decref(created);
			break;
		}
		if (strncmp(code.ptr, "PriorityInUse", 13))
			break;
	}
	ret = quota_or(ret, &code);
cleanup:
	json_decref(req);
	free(seen.arn);
	json_decref(seen.rule);
	sw_buf_release(&code);
	return ret;
}

int sw_route_ensure(const struct sw_runenv *e, const char *app, int port, const char *health_path,
		    const char *target_type, int shifting, struct sw_route *out)
{
	struct sw_route_place place = SW_ROUTE_PLACE_INIT;
	struct sw_buf host = SW_BUF_INIT;
	int ret, created = 0, alt_created = 0;

	sw_route_release(out);
	/* a review app answers at <slug>.<parent>.<domain>, other apps at <app>.<domain> */
	sw_review_host_label(e->db, app, &host);
	sw_buf_addf(&host, ".%s", e->settings->apps_domain);
	out->host = sw_buf_detach(&host, NULL);
	if ((ret = sw_route_place(e, &place)) < 0 ||
	    (ret = ensure_target_group(e, app, port, health_path, place.vpc_id, target_type, out, &created)) < 0)
		goto failed;
	if ((ret = ensure_alt_target_group(e, app, port, health_path, place.vpc_id, target_type, shifting, out,
					   &alt_created)) < 0 ||
	    (ret = ensure_rule(e, place.listener_arn, out)) < 0) {
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
	sw_route_place_release(&place);
	return 0;
failed:
	sw_error_prefix("load balancer");
	sw_route_release(out);
	sw_route_place_release(&place);
	return ret;
}
