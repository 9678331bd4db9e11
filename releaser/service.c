#include <string.h>

#include "releaser/service.h"
#include "releaser/names.h"
#include "releaser/strategy.h"
#include "common/error.h"
#include "common/json.h"
#include "common/banned.h"

/* ECS's deploymentConfiguration; the web process's with its strategy (strategy.h). */
static json_t *deployment_config(const struct sw_service_spec *s)
{
	json_t *dc = json_pack("{s:{s:b, s:b}, s:i, s:i}", "deploymentCircuitBreaker", "enable", 1, "rollback", 1,
			       "maximumPercent", 200, "minimumHealthyPercent", 100);
	const json_t *strategy = s->state ? json_object_get(s->state, "strategy") : NULL;
	if (strategy && (sw_json_str(s->state, "alt_target_group") || !sw_strategy_shifts(strategy))) {
		json_t *ecs = sw_strategy_ecs(strategy);
		json_object_update(dc, ecs);
		json_decref(ecs);
	}
	return dc;
}

/* The web process's load balancer: its target group, and the alternate with the production rule. */
static void web_parts(const struct sw_service_spec *s, json_t *req)
{
	const char *alt = s->state ? sw_json_str(s->state, "alt_target_group") : NULL;
	const char *rule = s->state ? sw_json_str(s->state, "production_rule") : NULL;
	json_t *lb;

	if (!s->target_group)
		return;
	lb = json_pack("{s:s, s:s, s:i}", "targetGroupArn", s->target_group, "containerName", s->process,
		       "containerPort", s->port);
	if (alt && rule && s->lb_role_arn)
		json_object_set_new(lb, "advancedConfiguration",
				    json_pack("{s:s, s:s, s:s}", "alternateTargetGroupArn", alt,
					      "productionListenerRule", rule, "roleArn", s->lb_role_arn));
	json_object_set_new(req, "loadBalancers", json_pack("[o]", lb));
	json_object_set_new(req, "healthCheckGracePeriodSeconds", json_integer(s->grace_s));
}

json_t *sw_service_create_request(const struct sw_service_spec *s)
{
	json_t *req = json_pack("{s:s, s:s, s:s, s:i, s:s, s:o, s:[{s:s, s:s}]}", "cluster", s->cluster,
				"serviceName", s->name, "taskDefinition", s->taskdef, "desiredCount", s->desired,
				"schedulingStrategy", "REPLICA", "deploymentConfiguration", deployment_config(s),
				"tags", "key", "slipway:app", "value", s->app);
	if (s->launch)
		sw_launch_apply(s->launch, req, SW_LAUNCH_CREATE_SERVICE);
	web_parts(s, req);
	return req;
}

/* The same providers with the same weights and bases, in order? */
static int same_strategy(const json_t *a, const json_t *b)
{
	size_t i;
	if (json_array_size(a) != json_array_size(b))
		return 0;
	for (i = 0; i < json_array_size(a); i++) {
		const json_t *x = json_array_get(a, i), *y = json_array_get(b, i);
		if (strcmp(sw_json_str_or(x, "capacityProvider", ""), sw_json_str_or(y, "capacityProvider", "")) ||
		    sw_json_int(x, "weight", 0) != sw_json_int(y, "weight", 0) ||
		    sw_json_int(x, "base", 0) != sw_json_int(y, "base", 0))
			return 0;
	}
	return 1;
}

int sw_service_update_request(const struct sw_service_spec *s, const json_t *svc, json_t **out)
{
	const struct sw_launch *l = s->launch;
	const json_t *now = json_object_get(svc, "capacityProviderStrategy");
	const char *type = sw_json_str(svc, "launchType");
	json_t *req;

	*out = NULL;
	if (l && svc && !l->strategy && l->launch_type && !json_array_size(now) && type && strcmp(type, l->launch_type))
		return sw_error_code(SW_EINVAL, "%s: the ECS service %s launches with %s; an update cannot make it %s "
				     "(ECS moves a launch type only to a capacity provider): give the cluster the %s "
				     "capacity provider, or destroy and push the app again", s->process, s->name, type,
				     l->launch_type, !strcmp(l->launch_type, "FARGATE") ? "FARGATE" : "EC2 Auto Scaling");
	req = json_pack("{s:s, s:s, s:s, s:i, s:o}", "cluster", s->cluster, "service", s->name, "taskDefinition",
			s->taskdef, "desiredCount", s->desired, "deploymentConfiguration", deployment_config(s));
	if (l && l->network)
		json_object_set_new(req, "networkConfiguration", json_deep_copy(l->network));
	if (l && svc) {
		if (l->strategy && !same_strategy(now, l->strategy)) {
			json_object_set_new(req, "capacityProviderStrategy", json_deep_copy(l->strategy));
			json_object_set_new(req, "forceNewDeployment", json_true());
		} else if (!l->strategy && json_array_size(now)) {
			/* back to the launch type: ECS takes an empty strategy */
			json_object_set_new(req, "capacityProviderStrategy", json_array());
			json_object_set_new(req, "forceNewDeployment", json_true());
		}
	}
	web_parts(s, req);
	*out = req;
	return 0;
}

/*
 * The service as ECS describes it now into *out (a new reference; NULL when it cannot be
 * read). SW_EUNAVAIL when ECS did not answer (runenv.h: for the env's patience), else 0.
 */
static int describe(const struct sw_runenv *e, const struct sw_service_spec *s, json_t **out)
{
	json_t *req = json_pack("{s:s, s:[s]}", "cluster", s->cluster, "services", s->name), *resp = NULL;
	int ret = sw_runenv_call(e, "ecs", "DescribeServices", req, &resp, NULL, NULL);
	*out = ret == 0 ? json_incref(json_array_get(json_object_get(resp, "services"), 0)) : NULL;
	json_decref(req);
	json_decref(resp);
	return ret == SW_EUNAVAIL ? ret : 0;
}

int sw_service_apply(const struct sw_runenv *e, const struct sw_service_spec *s, int exists, const json_t *svc,
		     struct sw_rollout *ro)
{
	struct sw_buf code = SW_BUF_INIT;
	json_t *req = NULL, *resp = NULL, *described = NULL;
	int ret;

	/* how the service launches now decides what the update says (a rollback from Fargate to
	 * EC2 takes it back to its launch type); an ECS that does not answer would not take
	 * the update either (a rollback asks again) */
	ret = 0;
	if (exists && !svc && s->launch && (ret = describe(e, s, &described)) == 0)
		svc = described;
	if (ret == 0 && exists)
		ret = sw_service_update_request(s, svc, &req);
	else if (ret == 0)
		ret = (req = sw_service_create_request(s)) ? 0 : sw_error("cannot build the CreateService request");
	if (ret == 0)
		ret = sw_runenv_call(e, "ecs", exists ? "UpdateService" : "CreateService", req, &resp, &code, NULL);
	if (ret < 0 && !exists && !strcmp(code.ptr, "InvalidParameterException") && strstr(sw_error_last(), "idempotent")) {
		/* created by an earlier attempt that died before recording it */
		json_decref(req);
		req = NULL;
		json_decref(described);
		if ((ret = describe(e, s, &described)) == 0 &&
		    (ret = sw_service_update_request(s, described, &req)) == 0)
			ret = sw_runenv_call(e, "ecs", "UpdateService", req, &resp, NULL, NULL);
	}
	if (ret == 0 && ro)
		sw_rollout_services(ro, resp, sw_runenv_now(e), NULL);
	json_decref(req);
	json_decref(resp);
	json_decref(described);
	sw_buf_release(&code);
	return ret < 0 ? sw_error_prefix("%s", s->process) : 0;
}

/* The process of procs[start..start+10) whose service is named name, or NULL. */
static const char *process_named(const char *app, const struct sw_strvec *procs, size_t start, const char *name)
{
	size_t k;
	for (k = start; k < procs->nr && k < start + 10; k++) {
		struct sw_buf n = SW_BUF_INIT;
		int same;
		sw_names_service(app, procs->v[k], &n);
		same = !strcmp(n.ptr, name);
		sw_buf_release(&n);
		if (same)
			return procs->v[k];
	}
	return NULL;
}

int sw_service_existing(const struct sw_runenv *e, const char *app, const struct sw_strvec *procs, json_t *out)
{
	size_t i, start;
	int ret = 0;

	/* DescribeServices takes 10 names at a time */
	for (start = 0; start < procs->nr && ret == 0; start += 10) {
		json_t *names = json_array(), *req, *resp = NULL, *svc;
		for (i = start; i < procs->nr && i < start + 10; i++) {
			struct sw_buf n = SW_BUF_INIT;
			sw_names_service(app, procs->v[i], &n);
			json_array_append_new(names, json_string(n.ptr));
			sw_buf_release(&n);
		}
		req = json_pack("{s:s, s:o, s:[s]}", "cluster", e->settings->cluster, "services", names, "include", "TAGS");
		ret = sw_runenv_call(e, "ecs", "DescribeServices", req, &resp, NULL, NULL);
		json_decref(req);
		json_array_foreach(json_object_get(resp, "services"), i, svc) {
			const char *name = sw_json_str(svc, "serviceName"), *status = sw_json_str(svc, "status");
			const char *process = name && status ? process_named(app, procs, start, name) : NULL;
			if (ret < 0 || !process)
				continue;
			if (strcmp(status, "INACTIVE") && (ret = sw_names_owned(svc, app, process)) < 0)
				break;
			if (!strcmp(status, "ACTIVE"))
				json_object_set(out, process, svc);
			else if (!strcmp(status, "DRAINING"))
				ret = sw_error("service %s is still being deleted (DRAINING); try again in a minute", name);
		}
		json_decref(resp);
	}
	return ret;
}
