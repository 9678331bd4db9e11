#include <stdlib.h>
#include <string.h>

#include "releaser/route.h"
#include "releaser/review.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
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
 * With an alternate target group: does rule r forward to both groups, weighted (as ECS
 * leaves the production rule of a blue/green service, either way round)?
 */
static int rule_weighs(const json_t *r, const struct sw_route *route)
{
	const json_t *fwd = sw_json_find(json_object_get(r, "Actions"), "Type", "forward");
	const json_t *tgs = json_object_get(json_object_get(fwd, "ForwardConfig"), "TargetGroups");
	const char *a = sw_json_str(json_array_get(tgs, 0), "TargetGroupArn");
	const char *b = sw_json_str(json_array_get(tgs, 1), "TargetGroupArn");
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

static int ensure_rule(const struct sw_runenv *e, const char *listener, struct sw_route *out)
{
	json_t *p = NULL, *resp = NULL, *r;
	struct sw_buf code = SW_BUF_INIT, prio = SW_BUF_INIT;
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
		if (!rule_has_host(r, out->host) || !sw_json_str(r, "RuleArn"))
			continue;
		out->rule_arn = xstrdup(sw_json_str(r, "RuleArn"));
		/* a weighted rule is ECS's to move (blue/green): left as it is */
		if (out->alt_target_group_arn ? !rule_weighs(r, out) :
		    !rule_target(r) || strcmp(rule_target(r), out->target_group_arn)) {
			p = json_pack("{s:s, s:o}", "RuleArn", out->rule_arn, "Actions", forward_action(out));
			ret = sw_runenv_call(e, "elbv2", "ModifyRule", p, NULL, NULL, NULL);
		}
		goto cleanup;
	}
	/* a new rule after the last one; another writer may take that priority first */
	for (attempt = 1; attempt <= 5; attempt++) {
		json_t *created = NULL;
		sw_buf_reset(&prio);
		sw_buf_addf(&prio, "%d", max + attempt);
		json_decref(p);
		p = json_pack("{s:s, s:i, s:[{s:s, s:{s:[s]}}], s:o}",
			      "ListenerArn", listener, "Priority", max + attempt,
			      "Conditions", "Field", "host-header", "HostHeaderConfig", "Values", out->host,
			      "Actions", forward_action(out));
		ret = sw_runenv_call(e, "elbv2", "CreateRule", p, &created, &code, NULL);
		if (ret == 0) {
			const char *arn = sw_json_str(json_array_get(json_object_get(created, "Rules"), 0), "RuleArn");
			out->rule_arn = xstrdup(arn ? arn : "");
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
	sw_buf_release(&prio);
	return ret;
}

void sw_route_alt_target_group_name(const char *app, struct sw_buf *out)
{
	tg_name("sw--", app, out);   /* an app name starts with a letter: never another app's "sw-<app>" */
}

int sw_route_ensure(const struct sw_runenv *e, const char *app, int port, const char *health_path,
		    int shifting, struct sw_route *out)
{
	struct sw_buf listener = SW_BUF_INIT, vpc = SW_BUF_INIT, host = SW_BUF_INIT;
	int ret;

	sw_route_release(out);
	/* a review app answers at <slug>.<parent>.<domain>, other apps at <app>.<domain> */
	sw_review_host_label(e->db, app, &host);
	sw_buf_addf(&host, ".%s", e->settings->apps_domain);
	out->host = sw_buf_detach(&host, NULL);
	if ((ret = find_listener(e, &listener, &vpc)) < 0 ||
	    (ret = ensure_target_group(e, app, port, health_path, vpc.ptr, sw_route_target_group_name, 1,
					&out->target_group_arn)) < 0 ||
	    /* the alternate: made for a traffic-shifting strategy, kept once made */
	    (ret = ensure_target_group(e, app, port, health_path, vpc.ptr, sw_route_alt_target_group_name, shifting,
					&out->alt_target_group_arn)) < 0 ||
	    (ret = ensure_rule(e, listener.ptr, out)) < 0) {
		sw_error_prefix("load balancer");
		sw_route_release(out);
	}
	sw_buf_release(&listener);
	sw_buf_release(&vpc);
	return ret;
}
