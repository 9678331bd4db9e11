#include <stdlib.h>
#include <string.h>

#include "engine/ecs/service.h"
#include "engine/ecs/ecs.h"
#include "engine/ecs/ecs_taskdef.h"
#include "engine/ecs/launch.h"
#include "engine/ecs/service_deployment.h"
#include "engine/ecs/service_event.h"
#include "engine/ecs/tag.h"
#include "engine/engine_db.h"
#include "engine/ecs/task.h"
#include "engine/run/balancer.h"
#include "engine/run/shift.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_LOAD_BALANCERS 5

/*
 * A new deployment while a traffic-shifting one is under way: production traffic goes
 * back to the blue tasks at once (shift.h). 1 when the new deployment runs blue's task
 * definition, so it takes the blue tasks over (a rollback), else 0.
 */
static int interrupt_shift(struct sw_engine *e, struct sw_engine_service *s, const char *taskdef)
{
	struct sw_engine_deployment *cur = s->nr_deps ? s->deps[0] : NULL;

	if (!cur || !cur->shifting || cur->aborted || cur->rollout == SW_ENGINE_ROLLOUT_COMPLETED)
		return 0;
	sw_run_shift_return(e, s, cur);
	if (cur->rollout == SW_ENGINE_ROLLOUT_IN_PROGRESS) {
		cur->rollout = SW_ENGINE_ROLLOUT_FAILED;
		sw_engine_set_str(&cur->rollout_reason, "ECS deployment stopped: a new deployment replaced it; production "
				  "traffic returned to the earlier tasks.");
	}
	return s->stable_taskdef && !strcmp(s->stable_taskdef, taskdef);
}

/* The blue tasks (production side, blue's definition) become d's. */
static void adopt_blue(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_deployment *d)
{
	size_t i;
	for (i = 0; i < e->st.nr_tasks; i++) {
		struct sw_engine_task *t = e->st.tasks[i];
		if (t->service_id != s->id || !t->desired_running || t->last == SW_TASK_STOPPED ||
		    t->lb_alt != s->lb_alt || strcmp(t->taskdef, d->taskdef) || (t->deployment && !strcmp(t->deployment, d->id)))
			continue;
		sw_engine_set_str(&t->deployment, d->id);
		sw_engine_set_str(&t->started_by, d->id);
		sw_ecs_task_save(e, t);
	}
}

struct sw_engine_deployment *sw_ecs_service_deploy(struct sw_engine *e, struct sw_engine_service *s,
						   const char *taskdef, const char *reason)
{
	struct sw_engine_deployment *d = xcalloc(1, sizeof(*d));
	struct sw_buf id = SW_BUF_INIT, msg = SW_BUF_INIT;
	int adopt = interrupt_shift(e, s, taskdef);
	int shifting = s->shifting && s->nr_deps && !adopt;

	sw_buf_adds(&id, "ecs-svc/");
	sw_engine_random_digits(&id, 19);
	d->id = sw_buf_detach(&id, NULL);
	d->taskdef = xstrdup(taskdef);
	d->desired = s->status == SW_SERVICE_ACTIVE ? s->desired : 0;
	d->rollout = SW_ENGINE_ROLLOUT_IN_PROGRESS;
	if (reason)
		sw_buf_adds(&msg, reason);
	else
		sw_buf_addf(&msg, "ECS deployment %s in progress.", d->id);
	d->rollout_reason = sw_buf_detach(&msg, NULL);
	d->created_at = d->updated_at = sw_time_now();
	d->launch_type = xstrdup(s->launch_type ? s->launch_type : "EC2");
	d->strategy = s->strategy ? json_deep_copy(s->strategy) : NULL;
	if (s->platform_version)
		d->platform_version = xstrdup(strcmp(s->platform_version, "LATEST") ? s->platform_version :
					      SW_ECS_FARGATE_LATEST);
	if (json_object_get(s->doc, "networkConfiguration"))
		d->network = json_deep_copy(json_object_get(s->doc, "networkConfiguration"));
	/* a traffic-shifting deployment's tasks go beside the production ones, the others with them */
	d->alt = shifting ? !s->lb_alt : s->lb_alt;
	if (shifting)
		d->shifting = json_deep_copy(s->shifting);
	sw_engine_service_push_deployment(s, d);
	if (adopt)
		adopt_blue(e, s, d);
	sw_engine_set_str(&s->taskdef, taskdef);
	s->steady_event_at = 0;
	s->fail_streak = 0;   /* new code: its launches start without backoff */
	return d;
}

/* RUNNING and pending (PROVISIONING..ACTIVATING) tasks of s (of one deployment, or all for NULL). */
static void counts(struct sw_engine *e, struct sw_engine_service *s, const char *deployment, int *running,
		   int *pending)
{
	size_t i;
	*running = 0;
	*pending = 0;
	for (i = 0; i < e->st.nr_tasks; i++) {
		struct sw_engine_task *t = e->st.tasks[i];
		if (t->service_id != s->id)
			continue;
		if (deployment && (!t->deployment || strcmp(t->deployment, deployment)))
			continue;
		if (t->last == SW_TASK_RUNNING)
			(*running)++;
		else if (t->last < SW_TASK_RUNNING)
			(*pending)++;
	}
}

static json_t *deployment_config_json(struct sw_engine_service *s)
{
	json_t *o = json_pack("{s:{s:b, s:b}, s:i, s:i, s:s}", "deploymentCircuitBreaker", "enable", s->cb_enable,
			      "rollback", s->cb_rollback, "maximumPercent", s->max_pct, "minimumHealthyPercent",
			      s->min_pct, "strategy", "ROLLING");
	if (s->shifting)
		json_object_update(o, s->shifting);
	return o;
}

/*
 * How a service's or a deployment's tasks launch, as ECS shows it: either the
 * capacity provider strategy or the launch type, and Fargate's platform.
 */
static void launch_json(json_t *o, json_t *strategy, const char *launch_type, const char *platform_version)
{
	if (strategy)
		json_object_set(o, "capacityProviderStrategy", strategy);
	else
		json_object_set_new(o, "launchType", json_string(launch_type ? launch_type : "EC2"));
	if (platform_version) {
		json_object_set_new(o, "platformVersion", json_string(platform_version));
		json_object_set_new(o, "platformFamily", json_string(SW_ECS_FARGATE_FAMILY));
	}
}

json_t *sw_ecs_service_json(struct sw_engine *e, struct sw_engine_service *s, int with_tags)
{
	struct sw_buf b = SW_BUF_INIT;
	json_t *o = json_object();
	json_t *deps = json_array();
	const char *key;
	json_t *v;
	int running, pending;
	size_t i;

	/* members echoed as given at creation first; ours override them */
	if (s->doc)
		json_object_foreach(s->doc, key, v)
			json_object_set(o, key, v);
	json_object_set_new(o, "serviceArn", json_string(s->arn));
	json_object_set_new(o, "serviceName", json_string(s->name));
	sw_engine_arn(e, &b, "ecs", "cluster/%s", s->cluster);
	json_object_set_new(o, "clusterArn", json_string(b.ptr));
	json_object_set_new(o, "loadBalancers", s->load_balancers ? json_deep_copy(s->load_balancers) : json_array());
	if (!json_object_get(o, "serviceRegistries"))
		json_object_set_new(o, "serviceRegistries", json_array());
	json_object_set_new(o, "status", json_string(sw_engine_service_status_name(s->status)));
	json_object_set_new(o, "desiredCount", json_integer(s->desired));
	counts(e, s, NULL, &running, &pending);
	json_object_set_new(o, "runningCount", json_integer(running));
	json_object_set_new(o, "pendingCount", json_integer(pending));
	launch_json(o, s->strategy, s->launch_type, s->platform_version);
	if (s->taskdef)
		json_object_set_new(o, "taskDefinition", json_string(s->taskdef));
	json_object_set_new(o, "deploymentConfiguration", deployment_config_json(s));
	for (i = 0; i < s->nr_deps; i++) {
		struct sw_engine_deployment *d = s->deps[i];
		counts(e, s, d->id, &running, &pending);
		json_array_append_new(deps, json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:o, s:o, s:s, s:s}",
						      "id", d->id, "status", sw_engine_deployment_status_name(d->status),
						      "taskDefinition", d->taskdef, "desiredCount", d->desired,
						      "pendingCount", pending, "runningCount", running,
						      "failedTasks", d->failed_tasks,
						      "createdAt", sw_engine_api_json_time(d->created_at),
						      "updatedAt", sw_engine_api_json_time(d->updated_at),
						      "rolloutState", sw_engine_rollout_name(d->rollout),
						      "rolloutStateReason", d->rollout_reason ? d->rollout_reason : ""));
		v = json_array_get(deps, json_array_size(deps) - 1);
		launch_json(v, d->strategy, d->launch_type, d->platform_version);
		if (d->network)
			json_object_set(v, "networkConfiguration", d->network);
	}
	json_object_set_new(o, "deployments", deps);
	if (s->nr_deps) {
		sw_buf_reset(&b);
		sw_ecs_service_deployment_arn(e, s, s->deps[0], &b);
		json_object_set_new(o, "currentServiceDeployment", json_string(b.ptr));
	}
	json_object_set_new(o, "events", sw_ecs_service_event_json(e, s->id));
	json_object_set_new(o, "createdAt", sw_engine_api_json_time(s->created_at));
	if (!json_object_get(o, "placementConstraints"))
		json_object_set_new(o, "placementConstraints", json_array());
	if (!json_object_get(o, "placementStrategy"))
		json_object_set_new(o, "placementStrategy", json_array());
	if (s->grace_s || (s->load_balancers && json_array_size(s->load_balancers)))
		json_object_set_new(o, "healthCheckGracePeriodSeconds", json_integer(s->grace_s));
	json_object_set_new(o, "schedulingStrategy", json_string("REPLICA"));
	json_object_set_new(o, "deploymentController", json_pack("{s:s}", "type", "ECS"));
	sw_buf_reset(&b);
	sw_buf_addf(&b, "arn:aws:iam::%s:root", e->cfg.account);
	json_object_set_new(o, "createdBy", json_string(b.ptr));
	if (!json_object_get(o, "enableECSManagedTags"))
		json_object_set_new(o, "enableECSManagedTags", json_false());
	if (!json_object_get(o, "propagateTags"))
		json_object_set_new(o, "propagateTags", json_string("NONE"));
	json_object_set_new(o, "enableExecuteCommand", json_false());
	if (with_tags)
		json_object_set_new(o, "tags", sw_ecs_tag_get(e, s->arn));
	sw_buf_release(&b);
	return o;
}

/* deploymentConfiguration -> s; -1 with the call failed when invalid. */
static int apply_deployment_config(struct sw_engine_call *call, struct sw_engine_service *s, json_t *dc)
{
	json_t *cb = json_object_get(dc, "deploymentCircuitBreaker");
	json_t *min = json_object_get(dc, "minimumHealthyPercent");
	json_t *max = json_object_get(dc, "maximumPercent");
	int new_min = min ? (int)json_integer_value(min) : s->min_pct;
	int new_max = max ? (int)json_integer_value(max) : s->max_pct;

	if (new_min < 0 || new_min > 100)
		return SW_FAIL_PARAM(call, "minimumHealthyPercent must be between 0 and 100.");
	if (new_max < 100 || new_max > 1000)
		return SW_FAIL_PARAM(call, "maximumPercent must be between 100 and 1000.");
	s->min_pct = new_min;
	s->max_pct = new_max;
	if (cb) {
		s->cb_enable = sw_json_bool(cb, "enable", 0);
		s->cb_rollback = sw_json_bool(cb, "rollback", 0);
	}
	return 0;
}

/* A whole number of minutes member of o within 0..1440 (ECS's bounds), or dflt when absent; -1 when invalid. */
static int minutes(json_t *o, const char *key, int dflt)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return dflt;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1440)
		return -1;
	return (int)json_integer_value(v);
}

/* A percentage member of o: a multiple of 0.1 within lo..100, or dflt when absent; -1 when invalid. */
static double percent(json_t *o, const char *key, double lo, double dflt)
{
	json_t *v = json_object_get(o, key);
	double x, tenths;
	if (!v)
		return dflt;
	if (!json_is_number(v))
		return -1;
	x = json_number_value(v);
	tenths = x * 10.0;
	if (x < lo - 1e-9 || x > 100.0 + 1e-9 || tenths - (double)(long long)(tenths + 0.5) > 1e-6 ||
	    (double)(long long)(tenths + 0.5) - tenths > 1e-6)
		return -1;
	return (double)(long long)(tenths + 0.5) / 10.0;
}

/*
 * The traffic-shifting settings a deploymentConfiguration asks for (BLUE_GREEN,
 * LINEAR, CANARY), checked against the load balancers the service will have: *out is
 * the normalised settings (new reference), NULL for ROLLING; with no strategy member
 * the service's current ones (cur) stay. -1 with the call failed when invalid.
 */
static int check_strategy(struct sw_engine_call *call, json_t *cur, json_t *dc, json_t *lbs, json_t **out)
{
	const char *strategy = dc && json_object_get(dc, "strategy") ? sw_json_str(dc, "strategy") :
			       cur ? sw_json_str(cur, "strategy") : "ROLLING";
	json_t *src = dc && json_object_get(dc, "strategy") ? dc : cur;
	json_t *canary = json_object_get(src, "canaryConfiguration");
	json_t *linear = json_object_get(src, "linearConfiguration");
	int bake = minutes(src, "bakeTimeInMinutes", -2);
	int cbake = minutes(canary, "canaryBakeTimeInMinutes", 10), lbake = minutes(linear, "stepBakeTimeInMinutes", 6);
	double cpct = percent(canary, "canaryPercent", 0.1, 5.0), lpct = percent(linear, "stepPercent", 3.0, 10.0);
	size_t i, n = 0;

	*out = NULL;
	if (!strategy || !strcmp(strategy, "ROLLING"))
		return 0;
	if (strcmp(strategy, "BLUE_GREEN") && strcmp(strategy, "LINEAR") && strcmp(strategy, "CANARY"))
		return SW_FAIL_PARAM(call, "Deployment strategy %s is not valid (ROLLING, BLUE_GREEN, LINEAR, CANARY).",
				     strategy);
	if (bake == -1 || cbake < 0 || lbake < 0)
		return SW_FAIL_PARAM(call, "Bake times are whole minutes from 0 to 1440.");
	if (bake == -2 && !strcmp(strategy, "BLUE_GREEN"))
		return SW_FAIL_PARAM(call, "bakeTimeInMinutes must be specified with the BLUE_GREEN deployment strategy.");
	if (cpct < 0)
		return SW_FAIL_PARAM(call, "canaryPercent must be a multiple of 0.1 from 0.1 to 100.0.");
	if (lpct < 0)
		return SW_FAIL_PARAM(call, "stepPercent must be a multiple of 0.1 from 3.0 to 100.0.");
	for (i = 0; i < json_array_size(lbs); i++) {
		json_t *lb = json_array_get(lbs, i);
		json_t *adv = json_object_get(lb, "advancedConfiguration");
		const char *alt = sw_json_str(adv, "alternateTargetGroupArn");
		const char *rule = sw_json_str(adv, "productionListenerRule");
		if (!adv)
			continue;
		if (!alt || !rule || !sw_json_str(adv, "roleArn"))
			return SW_FAIL_PARAM(call, "advancedConfiguration needs alternateTargetGroupArn, "
					     "productionListenerRule and roleArn.");
		if (!strcmp(alt, sw_json_str(lb, "targetGroupArn")))
			return SW_FAIL_PARAM(call, "The alternate target group must differ from targetGroupArn.");
		if (!call->e->lb->shift)
			return SW_FAIL_PARAM(call, "This engine's load balancer cannot shift traffic.");
		if (call->e->lb->target_group_check(call->e->lb_ctx, alt) < 0 ||
		    call->e->lb->rule_check(call->e->lb_ctx, rule, sw_json_str(lb, "targetGroupArn"), alt) < 0)
			return SW_FAIL_PARAM(call, "%s", sw_error_last());
		n++;
	}
	if (!n)
		return SW_FAIL_PARAM(call, "The %s deployment strategy needs a load balancer with an "
				     "advancedConfiguration (alternate target group, production listener rule).", strategy);
	*out = json_pack("{s:s, s:i}", "strategy", strategy, "bakeTimeInMinutes", bake < 0 ? 0 : bake);
	if (!strcmp(strategy, "CANARY"))
		json_object_set_new(*out, "canaryConfiguration", json_pack("{s:f, s:i}", "canaryPercent", cpct,
									   "canaryBakeTimeInMinutes", cbake));
	if (!strcmp(strategy, "LINEAR"))
		json_object_set_new(*out, "linearConfiguration", json_pack("{s:f, s:i}", "stepPercent", lpct,
									   "stepBakeTimeInMinutes", lbake));
	return 0;
}

/* An ip target group takes awsvpc tasks (their own addresses), an instance one the others. */
static int target_type_check(struct sw_engine_call *call, const char *tg, json_t *doc)
{
	const char *mode = sw_json_str(doc, "networkMode");
	const char *type = call->e->lb->target_type ? call->e->lb->target_type(call->e->lb_ctx, tg) : NULL;
	int awsvpc = mode && !strcmp(mode, "awsvpc");

	if (!mode)
		mode = "bridge";
	if (type && ((awsvpc && !strcmp(type, "instance")) || (!awsvpc && !strcmp(type, "ip"))))
		return SW_FAIL_PARAM(call, "The provided target group %s has target type %s, which is incompatible "
				     "with the %s network mode specified in the task definition.", tg, type, mode);
	return 0;
}

/* Check loadBalancers against the task definition and the balancer. */
static int check_load_balancers(struct sw_engine_call *call, json_t *lbs, json_t *doc)
{
	json_t *cds = json_object_get(doc, "containerDefinitions");
	size_t i, j, k;

	if (json_array_size(lbs) > MAX_LOAD_BALANCERS)
		return SW_FAIL_PARAM(call, "A service can have at most %d load balancers.", MAX_LOAD_BALANCERS);
	for (i = 0; i < json_array_size(lbs); i++) {
		json_t *lb = json_array_get(lbs, i);
		const char *tg = sw_json_str(lb, "targetGroupArn");
		const char *cname = sw_json_str(lb, "containerName");
		json_t *cport = json_object_get(lb, "containerPort");
		int found = 0;

		if (json_object_get(lb, "loadBalancerName"))
			return SW_FAIL_PARAM(call, "Classic Load Balancers are not supported; use targetGroupArn.");
		if (!tg || !cname || !json_is_integer(cport))
			return SW_FAIL_PARAM(call, "loadBalancers need targetGroupArn, containerName and containerPort.");
		for (j = 0; j < json_array_size(cds) && !found; j++) {
			json_t *cd = json_array_get(cds, j);
			json_t *pms = json_object_get(cd, "portMappings");
			if (strcmp(sw_json_str(cd, "name"), cname))
				continue;
			for (k = 0; k < json_array_size(pms); k++)
				if (sw_json_int(json_array_get(pms, k), "containerPort", 0) ==
				    json_integer_value(cport))
					found = 1;
			if (!found)
				return SW_FAIL_PARAM(call, "The container %s did not have a container port %lld defined.",
						     cname, (long long)json_integer_value(cport));
		}
		if (!found)
			return SW_FAIL_PARAM(call, "The container %s does not exist in the task definition.", cname);
		if (call->e->lb->target_group_check(call->e->lb_ctx, tg) < 0)
			return SW_FAIL_PARAM(call, "%s", sw_error_last());
		if (target_type_check(call, tg, doc) < 0)
			return -1;
	}
	return 0;
}

/* The named service in cluster c (live, else the newest INACTIVE), or NULL. */
static struct sw_engine_service *find_service(struct sw_engine *e, struct sw_engine_cluster *c, const char *given)
{
	struct sw_buf name = SW_BUF_INIT, cl = SW_BUF_INIT;
	struct sw_engine_service *s = NULL;
	const char *n = sw_engine_arn_name(given, "service", &name, &cl);

	if (n && (!cl.len || !strcmp(cl.ptr, c->name)))
		s = sw_engine_state_service(&e->st, c->name, n);
	sw_buf_release(&name);
	sw_buf_release(&cl);
	return s;
}

static int taskdef_for_service(struct sw_engine_call *call, const char *ref, json_t **doc)
{
	if (sw_ecs_taskdef_get(call->e, ref, doc) < 0)
		return SW_FAIL_CLIENT(call, "TaskDefinition not found.");
	if (strcmp(sw_json_str(*doc, "status"), "ACTIVE")) {
		json_decref(*doc);
		*doc = NULL;
		return SW_FAIL_CLIENT(call, "TaskDefinition is inactive");
	}
	return 0;
}

int sw_ecs_op_create_service(struct sw_engine_call *call)
{
	static const char *const echoed[] = {
		"placementConstraints", "placementStrategy", "serviceRegistries",
		"propagateTags", "enableECSManagedTags", "role", NULL,
	};
	struct sw_engine *e = call->e;
	struct sw_engine_cluster *c = sw_ecs_cluster_find(call, "cluster");
	const char *name = sw_engine_api_call_str(call, "serviceName");
	const char *ref = sw_engine_api_call_str(call, "taskDefinition");
	const char *token = sw_engine_api_call_str(call, "clientToken");
	const char *launch_type = sw_engine_api_call_str(call, "launchType");
	const char *strategy = sw_engine_api_call_str(call, "schedulingStrategy");
	json_t *controller = sw_engine_api_call_get(call, "deploymentController");
	json_t *lbs = sw_engine_api_call_get(call, "loadBalancers");
	json_t *tags = sw_engine_api_call_get(call, "tags");
	long long desired = sw_engine_api_call_int(call, "desiredCount", 0);
	long long grace = sw_engine_api_call_int(call, "healthCheckGracePeriodSeconds", 0);
	struct sw_engine_service *s = NULL, *existing;
	struct sw_buf arn = SW_BUF_INIT;
	struct sw_ecs_launch launch = { 0 };
	json_t *doc = NULL, *network = NULL;
	const char *const *m;
	int ret = -1;

	if (!c)
		return -1;
	if (!sw_ecs_name_valid(name))
		return SW_FAIL_PARAM(call, "Service name can have up to 255 letters (uppercase and lowercase), "
				     "numbers, hyphens, and underscores.");
	existing = sw_engine_state_service(&e->st, c->name, name);
	if (existing && existing->status == SW_SERVICE_ACTIVE) {
		if (token && existing->client_token && !strcmp(token, existing->client_token)) {
			json_object_set_new(call->out, "service", sw_ecs_service_json(e, existing, 0));
			return 0;
		}
		return SW_FAIL_PARAM(call, "Creation of service was not idempotent.");
	}
	if (existing && existing->status == SW_SERVICE_DRAINING)
		return SW_FAIL_PARAM(call, "Unable to Start a service that is still Draining.");
	if (strategy && strcmp(strategy, "REPLICA"))
		return SW_FAIL_PARAM(call, "schedulingStrategy %s is not supported by this engine (REPLICA).", strategy);
	if (controller && sw_json_str(controller, "type") &&
	    strcmp(sw_json_str(controller, "type"), "ECS"))
		return SW_FAIL_PARAM(call, "deploymentController %s is not supported by this engine (ECS).",
				     sw_json_str(controller, "type"));
	if (launch_type && strcmp(launch_type, "EC2") && strcmp(launch_type, "FARGATE"))
		return SW_FAIL_PARAM(call, "launchType %s is not supported by this engine (EC2, FARGATE).", launch_type);
	if (!ref)
		return SW_FAIL_PARAM(call, "TaskDefinition must be specified.");
	if (desired < 0 || desired > 10000)
		return SW_FAIL_PARAM(call, "desiredCount must be between 0 and 10000.");
	if (grace < 0 || grace > 2147483647)
		return SW_FAIL_PARAM(call, "healthCheckGracePeriodSeconds must not be negative.");
	if (taskdef_for_service(call, ref, &doc) < 0)
		return -1;
	if (sw_ecs_launch_resolve(call, c, doc, launch_type, sw_engine_api_call_get(call, "capacityProviderStrategy"),
				  sw_engine_api_call_str(call, "platformVersion"), &launch) < 0 ||
	    sw_ecs_launch_network(call, doc, sw_engine_api_call_get(call, "networkConfiguration"), launch.launch_type,
				  &network) < 0)
		goto cleanup;
	if (lbs && check_load_balancers(call, lbs, doc) < 0)
		goto cleanup;

	s = xcalloc(1, sizeof(*s));
	s->name = xstrdup(name);
	s->cluster = xstrdup(c->name);
	sw_engine_arn(e, &arn, "ecs", "service/%s/%s", c->name, name);
	s->arn = sw_buf_detach(&arn, NULL);
	s->status = SW_SERVICE_ACTIVE;
	s->desired = (int)desired;
	s->launch_type = xstrdup(launch.launch_type);
	s->strategy = json_incref(launch.strategy);
	s->platform_version = launch.platform_version ? xstrdup(launch.platform_version) : NULL;
	s->min_pct = 100;
	s->max_pct = 200;
	if (apply_deployment_config(call, s, sw_engine_api_call_get(call, "deploymentConfiguration")) < 0)
		goto cleanup;
	s->grace_s = (int)grace;
	s->load_balancers = lbs ? json_deep_copy(lbs) : NULL;
	if (check_strategy(call, NULL, sw_engine_api_call_get(call, "deploymentConfiguration"), lbs, &s->shifting) < 0)
		goto cleanup;
	s->doc = json_object();
	for (m = echoed; *m; m++)
		if (sw_engine_api_call_get(call, *m))
			json_object_set(s->doc, *m, sw_engine_api_call_get(call, *m));
	if (network)
		json_object_set(s->doc, "networkConfiguration", network);
	if (json_object_get(s->doc, "role")) {
		json_object_set(s->doc, "roleArn", json_object_get(s->doc, "role"));
		json_object_del(s->doc, "role");
	}
	s->client_token = token ? xstrdup(token) : NULL;
	s->created_at = s->updated_at = sw_time_now();
	sw_ecs_service_deploy(e, s, sw_json_str(doc, "taskDefinitionArn"), NULL);
	if (sw_engine_db_save_service(e->db, s) < 0)
		goto cleanup;
	sw_ecs_tag_drop(e, s->arn);
	if (tags && sw_ecs_tag_put(e, s->arn, tags) < 0)
		goto cleanup;
	sw_engine_state_add_service(&e->st, s);
	sw_log_info("%s: CreateService %s (%s, desired %d)", c->name, s->name, s->taskdef, s->desired);
	json_object_set_new(call->out, "service", sw_ecs_service_json(e, s, tags != NULL));
	s = NULL;
	sw_engine_wake_locked(e);
	ret = 0;
cleanup:
	if (s) {
		if (s->id)
			sw_engine_db_delete_service(e->db, s->id);
		sw_engine_service_free(s);
	}
	json_decref(doc);
	json_decref(network);
	sw_ecs_launch_release(&launch);
	return ret;
}

/*
 * UpdateService's launch: the strategy or platform version it asks for, else the
 * service's own, resolved again for the (maybe new) task definition doc; and its
 * networkConfiguration checked (*network: as ECS keeps it, when the request has one).
 */
static int update_launch(struct sw_engine_call *call, struct sw_engine_cluster *c, struct sw_engine_service *s,
			 json_t *doc, struct sw_ecs_launch *launch, json_t **network)
{
	json_t *strategy = sw_engine_api_call_get(call, "capacityProviderStrategy");
	const char *platform = sw_engine_api_call_str(call, "platformVersion");
	json_t *netconf = sw_engine_api_call_get(call, "networkConfiguration");
	const char *mode = sw_json_str(doc, "networkMode"), *type = s->launch_type;
	const json_t *req = json_object_get(doc, "requiresCompatibilities"), *v;
	size_t i;

	if (strategy && !json_array_size(strategy) && s->strategy) {
		/* an empty list takes the service back to a launch type (ECS's UpdateService): the
		 * task definition's, FARGATE when it requires it, else EC2 */
		type = "EC2";
		json_array_foreach(req, i, v)
			if (json_is_string(v) && !strcmp(json_string_value(v), "FARGATE"))
				type = "FARGATE";
		strategy = NULL;
	} else if (!strategy || !json_array_size(strategy)) {
		strategy = s->strategy;
	}
	if (!platform && (strategy || strcmp(type ? type : "EC2", "EC2")))
		platform = s->platform_version;
	if (sw_ecs_launch_resolve(call, c, doc, strategy ? NULL : type, strategy, platform, launch) < 0)
		return -1;
	/* the service's own network configuration serves a new revision that has not asked for one */
	if (!netconf && mode && !strcmp(mode, "awsvpc") && json_object_get(s->doc, "networkConfiguration")) {
		json_t *kept = NULL;
		int ret = sw_ecs_launch_network(call, doc, json_object_get(s->doc, "networkConfiguration"),
						launch->launch_type, &kept);
		json_decref(kept);
		return ret;
	}
	if (!netconf && (!mode || strcmp(mode, "awsvpc")))
		return 0;
	return sw_ecs_launch_network(call, doc, netconf, launch->launch_type, network);
}

/* s launches as launch says from now on; 1 when that changed (a new deployment). */
static int apply_launch(struct sw_engine_service *s, struct sw_ecs_launch *launch)
{
	int changed = strcmp(s->launch_type ? s->launch_type : "EC2", launch->launch_type) ||
		      !(s->strategy ? launch->strategy && json_equal(s->strategy, launch->strategy) : !launch->strategy) ||
		      !(s->platform_version ? launch->platform_version && !strcmp(s->platform_version,
										  launch->platform_version) :
					      !launch->platform_version);

	sw_engine_set_str(&s->launch_type, launch->launch_type);
	json_decref(s->strategy);
	s->strategy = json_incref(launch->strategy);
	sw_engine_set_str(&s->platform_version, launch->platform_version);
	return changed;
}

int sw_ecs_op_update_service(struct sw_engine_call *call)
{
	struct sw_engine *e = call->e;
	struct sw_engine_cluster *c = sw_ecs_cluster_find(call, "cluster");
	const char *ref = sw_engine_api_call_str(call, "taskDefinition");
	json_t *desired = sw_engine_api_call_get(call, "desiredCount");
	json_t *grace = sw_engine_api_call_get(call, "healthCheckGracePeriodSeconds");
	json_t *dc = sw_engine_api_call_get(call, "deploymentConfiguration");
	json_t *lbs = sw_engine_api_call_get(call, "loadBalancers");
	json_t *controller = sw_engine_api_call_get(call, "deploymentController");
	int force = sw_engine_api_call_bool(call, "forceNewDeployment", 0);
	struct sw_engine_service *s;
	struct sw_engine_service saved;
	struct sw_ecs_launch launch = { 0 };
	json_t *doc = NULL, *network = NULL, *shifting = NULL;
	const char *new_td = NULL;
	int new_deployment = 0, ret = -1;

	if (!c)
		return -1;
	s = find_service(e, c, sw_engine_api_call_str(call, "service"));
	if (!s)
		return sw_engine_api_call_fail(call, 400, "ServiceNotFoundException", "Service not found.");
	if (s->status != SW_SERVICE_ACTIVE)
		return sw_engine_api_call_fail(call, 400, "ServiceNotActiveException", "Service was not ACTIVE.");
	if (controller)
		return SW_FAIL_PARAM(call, "Updating the deployment controller is not supported.");
	if (desired && (json_integer_value(desired) < 0 || json_integer_value(desired) > 10000))
		return SW_FAIL_PARAM(call, "desiredCount must be between 0 and 10000.");
	if (grace && json_integer_value(grace) < 0)
		return SW_FAIL_PARAM(call, "healthCheckGracePeriodSeconds must not be negative.");
	if (taskdef_for_service(call, ref ? ref : s->taskdef, &doc) < 0) {
		/* an existing service may keep running an INACTIVE definition */
		if (ref)
			return -1;
		call->status = 0;
		call->error_type = NULL;
		if (sw_ecs_taskdef_get(e, s->taskdef, &doc) < 0)
			return SW_FAIL_CLIENT(call, "TaskDefinition not found.");
	}
	if (lbs && check_load_balancers(call, lbs, doc) < 0)
		goto cleanup;
	if (!lbs && s->load_balancers && ref && check_load_balancers(call, s->load_balancers, doc) < 0)
		goto cleanup;
	if (update_launch(call, c, s, doc, &launch, &network) < 0)
		goto cleanup;
	if (check_strategy(call, s->shifting, dc, lbs ? lbs : s->load_balancers, &shifting) < 0)
		goto cleanup;
	saved = *s;
	if (dc && apply_deployment_config(call, s, dc) < 0) {
		s->min_pct = saved.min_pct;
		s->max_pct = saved.max_pct;
		goto cleanup;
	}
	new_td = sw_json_str(doc, "taskDefinitionArn");
	if (ref && strcmp(new_td, s->taskdef))
		new_deployment = 1;
	if (force)
		new_deployment = 1;
	if (lbs) {
		if (!s->load_balancers || !json_equal(lbs, s->load_balancers))
			new_deployment = 1;
		json_decref(s->load_balancers);
		s->load_balancers = json_array_size(lbs) ? json_deep_copy(lbs) : NULL;
	}
	if (network) {
		json_object_set(s->doc, "networkConfiguration", network);
		new_deployment = 1;
	}
	if (apply_launch(s, &launch))
		new_deployment = 1;
	if (desired) {
		s->desired = (int)json_integer_value(desired);
		if (s->nr_deps)
			s->deps[0]->desired = s->desired;
		s->steady_event_at = 0;
	}
	if (grace)
		s->grace_s = (int)json_integer_value(grace);
	json_decref(s->shifting);
	s->shifting = shifting;
	shifting = NULL;
	if (new_deployment)
		sw_ecs_service_deploy(e, s, new_td, NULL);
	s->updated_at = sw_time_now();
	if (sw_engine_db_save_service(e->db, s) < 0)
		goto cleanup;
	sw_log_info("%s: UpdateService %s (%s, desired %d%s)", c->name, s->name, s->taskdef, s->desired,
		    new_deployment ? ", new deployment" : "");
	json_object_set_new(call->out, "service", sw_ecs_service_json(e, s, 0));
	sw_engine_wake_locked(e);
	ret = 0;
cleanup:
	json_decref(doc);
	json_decref(network);
	json_decref(shifting);
	sw_ecs_launch_release(&launch);
	return ret;
}

/* DescribeServices' item: the service given names in c, or NULL with its ARN. */
static json_t *describe_service(struct sw_engine_call *call, struct sw_engine_cluster *c, const char *given,
				struct sw_buf *arn)
{
	struct sw_engine_service *s = find_service(call->e, c, given);

	if (s)
		return sw_ecs_service_json(call->e, s, sw_engine_api_call_has(call, "include", "TAGS"));
	sw_ecs_arn_of(call->e, arn, given, "service/%s/%s", c->name, given);
	return NULL;
}

int sw_ecs_op_describe_services(struct sw_engine_call *call)
{
	struct sw_engine_cluster *c = sw_ecs_cluster_find(call, "cluster");
	json_t *names = sw_engine_api_call_get(call, "services");

	if (!c)
		return -1;
	if (json_array_size(names) == 0)
		return SW_FAIL_PARAM(call, "Services cannot be empty.");
	if (json_array_size(names) > 10)
		return SW_FAIL_PARAM(call, "services can have at most 10 items.");
	sw_ecs_describe_each(call, c, names, "services", describe_service);
	return 0;
}

int sw_ecs_op_list_services(struct sw_engine_call *call)
{
	struct sw_engine *e = call->e;
	struct sw_engine_cluster *c = sw_ecs_cluster_find(call, "cluster");
	const char *launch_type = sw_engine_api_call_str(call, "launchType");
	const char *strategy = sw_engine_api_call_str(call, "schedulingStrategy");
	long long offset, page;
	json_t *arns;
	long long n = 0;
	size_t i;

	if (!c || sw_engine_api_call_page(call, 10, &offset, &page) < 0)
		return -1;
	arns = json_array();
	for (i = 0; i < e->st.nr_services; i++) {
		struct sw_engine_service *s = e->st.services[i];
		if (strcmp(s->cluster, c->name) || s->status == SW_SERVICE_INACTIVE)
			continue;
		if (launch_type && strcmp(s->launch_type, launch_type))
			continue;
		if (strategy && strcmp(strategy, "REPLICA"))
			continue;
		if (sw_engine_api_page_count(&n, offset, page))
			json_array_append_new(arns, json_string(s->arn));
	}
	json_object_set_new(call->out, "serviceArns", arns);
	sw_engine_api_token_set(call->out, offset, page, n);
	return 0;
}

int sw_ecs_op_delete_service(struct sw_engine_call *call)
{
	struct sw_engine *e = call->e;
	struct sw_engine_cluster *c = sw_ecs_cluster_find(call, "cluster");
	int force = sw_engine_api_call_bool(call, "force", 0);
	struct sw_engine_service *s;

	if (!c)
		return -1;
	s = find_service(e, c, sw_engine_api_call_str(call, "service"));
	if (!s || s->status == SW_SERVICE_INACTIVE)
		return sw_engine_api_call_fail(call, 400, "ServiceNotFoundException", "Service not found.");
	if (s->status == SW_SERVICE_ACTIVE) {
		if (s->desired > 0 && !force)
			return SW_FAIL_PARAM(call, "The service cannot be stopped while it is scaled above 0.");
		s->desired = 0;
		s->status = SW_SERVICE_DRAINING;
		s->deleted_at = s->updated_at = sw_time_now();
		if (s->nr_deps)
			s->deps[0]->desired = 0;
		if (sw_engine_db_save_service(e->db, s) < 0)
			return -1;
		sw_log_info("%s: DeleteService %s", c->name, s->name);
		sw_engine_wake_locked(e);
	}
	json_object_set_new(call->out, "service", sw_ecs_service_json(e, s, 0));
	return 0;
}
