#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "releaser/teardown.h"
#include "releaser/tasks.h"
#include "releaser/names.h"
#include "releaser/route.h"
#include "releaser/taskdef.h"
#include "releaser/pager.h"
#include "releaser/appsettings.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/strvec.h"
#include "common/banned.h"

/* Codes that mean "already gone" or "not there to begin with". */
static int gone_code(const char *code)
{
	static const char *const ok[] = {
		"ServiceNotFoundException", "ServiceNotActiveException", "ClusterNotFoundException",
		"RepositoryNotFoundException", "ImageNotFoundException", "ResourceNotFoundException",
		"TargetGroupNotFound", "RuleNotFound", "ListenerNotFound", "LoadBalancerNotFound",
		"UnknownOperationException", "InvalidAction", NULL,
	};
	size_t i;
	for (i = 0; ok[i]; i++)
		if (!strcmp(code, ok[i]))
			return 1;
	return 0;
}

/* A call whose "already gone" answers are not errors: 0 done, 1 gone/unsupported, < 0 failed. */
static int call(const struct sw_runenv *e, const char *svc, const char *op, json_t *req, json_t **resp)
{
	struct sw_buf code = SW_BUF_INIT;
	int r = sw_runenv_call(e, svc, op, req, resp, &code, NULL);

	json_decref(req);
	if (r < 0 && gone_code(code.ptr)) {
		sw_log(SW_LOG_DEBUG, e->app, 0, "destroy: %s %s: %s (fine)", svc, op, code.ptr);
		r = 1;
	}
	sw_buf_release(&code);
	return r;
}

/* "3 task definitions" into removed, when n > 0. */
static void note(json_t *removed, const char *what, int n)
{
	struct sw_buf b = SW_BUF_INIT;
	if (n <= 0)
		return;
	sw_buf_addf(&b, "%d %s", n, what);
	json_array_append_new(removed, json_string(b.ptr));
	sw_buf_release(&b);
}

/*
 * "kept ECS service NAME (of app OTHER | not slipway's)" into removed, and a warning:
 * names collide ("a" + "b-web" and "a-b" + "web"), a shared cluster holds others' services.
 */
static void kept(const struct sw_runenv *e, const char *app, const char *what, const char *name, const char *owner,
		 json_t *removed)
{
	struct sw_buf b = SW_BUF_INIT;
	if (owner)
		sw_buf_addf(&b, "kept %s %s (of app %s)", what, name, owner);
	else
		sw_buf_addf(&b, "kept %s %s (not slipway's)", what, name);
	sw_log(SW_LOG_WARN, app, 0, "destroy: %s", b.ptr);
	json_array_append_new(removed, json_string(b.ptr));
	sw_buf_release(&b);
}

/*
 * The app's services, scaled to 0 and deleted; one whose slipway:app tag is missing or
 * names another app is left alone and its process put in foreign (its tasks and task
 * definitions are not ours either).
 */
static int services(const struct sw_runenv *e, const char *app, const struct sw_strvec *procs,
		    struct sw_strvec *foreign, json_t *removed)
{
	struct sw_buf name = SW_BUF_INIT;
	size_t i;
	int n = 0, r = 0;

	for (i = 0; i < procs->nr && r >= 0; i++) {
		json_t *resp = NULL;
		const json_t *svc;
		if (!strcmp(procs->v[i], "release"))
			continue;
		sw_buf_reset(&name);
		sw_names_service(app, procs->v[i], &name);
		r = call(e, "ecs", "DescribeServices", json_pack("{s:s,s:[s],s:[s]}", "cluster", e->settings->cluster,
								 "services", name.ptr, "include", "TAGS"), &resp);
		svc = json_array_get(json_object_get(resp, "services"), 0);
		if (r == 0 && svc && sw_json_str(svc, "status") && strcmp(sw_json_str(svc, "status"), "INACTIVE") &&
		    sw_names_owned(svc, app, procs->v[i]) < 0) {
			kept(e, app, "ECS service", name.ptr, sw_names_owner(svc), removed);
			sw_strvec_push(foreign, procs->v[i]);
		} else if (r == 0 && svc && sw_json_str(svc, "status") && strcmp(sw_json_str(svc, "status"), "INACTIVE")) {
			r = call(e, "ecs", "UpdateService", json_pack("{s:s,s:s,s:i}", "cluster", e->settings->cluster,
								      "service", name.ptr, "desiredCount", 0), NULL);
			if (r >= 0)
				r = call(e, "ecs", "DeleteService", json_pack("{s:s,s:s,s:b}", "cluster", e->settings->cluster,
									      "service", name.ptr, "force", 1), NULL);
			if (r == 0)
				n++;
		}
		json_decref(resp);
	}
	note(removed, n == 1 ? "ECS service" : "ECS services", n);
	sw_buf_release(&name);
	return r < 0 ? r : 0;
}

/*
 * Whether the task family APP-PROCESS is the app's: its newest task definition's
 * slipway:app tag (every slipway task definition has one). 1 ours (or no such family:
 * nothing to remove anyway), 0 not ours (kept is noted), < 0 failed.
 */
static int family_owned(const struct sw_runenv *e, const char *app, const char *family, json_t *removed)
{
	struct sw_buf code = SW_BUF_INIT;
	json_t *req = json_pack("{s:s,s:[s]}", "taskDefinition", family, "include", "TAGS"), *resp = NULL;
	const char *owner;
	int r = sw_runenv_call(e, "ecs", "DescribeTaskDefinition", req, &resp, &code, NULL);

	json_decref(req);
	if (r < 0) {
		/* no such family (ClientException) or already gone: nothing of it to touch */
		r = !strcmp(code.ptr, "ClientException") || gone_code(code.ptr) ? 1 : r;
		goto cleanup;
	}
	owner = sw_names_owner(resp);   /* DescribeTaskDefinition's "tags" are beside it */
	r = owner && !strcmp(owner, app);
	if (!r)
		kept(e, app, "task definitions", family, owner, removed);
cleanup:
	json_decref(resp);
	sw_buf_release(&code);
	return r;
}

/* procs without foreign, and without the families that are not the app's. */
static int own_procs(const struct sw_runenv *e, const char *app, const struct sw_strvec *procs,
		     const struct sw_strvec *foreign, struct sw_strvec *out, json_t *removed)
{
	struct sw_buf family = SW_BUF_INIT;
	size_t i, k;
	int r = 0;

	for (i = 0; i < procs->nr && r >= 0; i++) {
		for (k = 0; k < foreign->nr && strcmp(foreign->v[k], procs->v[i]); k++)
			;
		if (k < foreign->nr)
			continue;
		sw_buf_reset(&family);
		sw_taskdef_family(app, procs->v[i], &family);
		if ((r = family_owned(e, app, family.ptr, removed)) > 0)
			sw_strvec_push(out, procs->v[i]);
	}
	sw_buf_release(&family);
	return r < 0 ? r : 0;
}

/*
 * What teardown does to the ARNs each process type's family lists (its tasks, its task
 * definitions): list(e, family, arns, code) appends every ARN of the family to arns (all
 * pages; code gets an error's AWS code); act(e, family, arn) returns 0 when it acted, 1
 * when it left arn alone (or it was gone already), < 0 when it failed (the sweep stops).
 * The number acted on is noted as one or many.
 */
struct family_sweep {
	int (*list)(const struct sw_runenv *e, const char *family, json_t *arns, struct sw_buf *code);
	int (*act)(const struct sw_runenv *e, const char *family, json_t *arn);
	const char *one, *many;
};

static int sweep_families(const struct sw_runenv *e, const char *app, const struct sw_strvec *procs,
			  const struct family_sweep *s, json_t *removed)
{
	struct sw_buf family = SW_BUF_INIT, code = SW_BUF_INIT;
	size_t i, k;
	int n = 0, r = 0;

	for (i = 0; i < procs->nr && r >= 0; i++) {
		json_t *arns = json_array(), *arn;
		sw_buf_reset(&family);
		sw_taskdef_family(app, procs->v[i], &family);
		r = s->list(e, family.ptr, arns, &code);
		if (r < 0 && gone_code(code.ptr))
			r = 0;
		json_array_foreach(arns, k, arn) {
			if (r < 0)
				break;
			r = s->act(e, family.ptr, arn);
			if (r == 0)
				n++;
		}
		json_decref(arns);
	}
	note(removed, n == 1 ? s->one : s->many, n);
	sw_buf_release(&family);
	sw_buf_release(&code);
	return r < 0 ? r : 0;
}

static int running_tasks(const struct sw_runenv *e, const char *family, json_t *arns, struct sw_buf *code)
{
	json_t *req = json_pack("{s:s,s:s,s:s,s:i}", "cluster", e->settings->cluster, "family", family,
				"desiredStatus", "RUNNING", "maxResults", 100);
	int r = sw_pager_collect_call(e, "ecs", "ListTasks", req, "taskArns", arns, code, NULL);
	json_decref(req);
	return r;
}

static int stop_task(const struct sw_runenv *e, const char *family, json_t *arn)
{
	(void)family;
	return call(e, "ecs", "StopTask", json_pack("{s:s,s:O,s:s}", "cluster", e->settings->cluster, "task", arn,
						      "reason", "slipway: the app was destroyed"), NULL);
}

static int stop_tasks(const struct sw_runenv *e, const char *app, const struct sw_strvec *procs, json_t *removed)
{
	static const struct family_sweep sweep = { running_tasks, stop_task, "task stopped", "tasks stopped" };
	return sweep_families(e, app, procs, &sweep, removed);
}

/* "arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REV" is of exactly family. */
static int arn_of_family(const char *arn, const char *family)
{
	const char *p = strstr(arn, "task-definition/");
	size_t n = strlen(family);
	if (!p)
		return 0;
	p += strlen("task-definition/");
	return !strncmp(p, family, n) && p[n] == ':';
}

static int active_taskdefs(const struct sw_runenv *e, const char *family, json_t *arns, struct sw_buf *code)
{
	json_t *req = json_pack("{s:s,s:s}", "familyPrefix", family, "status", "ACTIVE");
	int r = sw_pager_collect_call(e, "ecs", "ListTaskDefinitions", req, "taskDefinitionArns", arns, code, NULL);
	json_decref(req);
	return r;
}

static int deregister_taskdef(const struct sw_runenv *e, const char *family, json_t *arn)
{
	/* "hello-web" is a prefix of "hello-web2-x" too: exact families only */
	if (!arn_of_family(json_string_value(arn), family))
		return 1;
	return call(e, "ecs", "DeregisterTaskDefinition", json_pack("{s:O}", "taskDefinition", arn), NULL);
}

static int taskdefs(const struct sw_runenv *e, const char *app, const struct sw_strvec *procs, json_t *removed)
{
	static const struct family_sweep sweep = { active_taskdefs, deregister_taskdef, "task definition",
						   "task definitions" };
	return sweep_families(e, app, procs, &sweep, removed);
}

static int forwards_to(const json_t *rule, const char *tg)
{
	const json_t *actions = json_object_get(rule, "Actions"), *a;
	size_t i;
	if (sw_json_find(actions, "TargetGroupArn", tg))
		return 1;
	json_array_foreach(actions, i, a)
		if (sw_json_find(json_object_get(json_object_get(a, "ForwardConfig"), "TargetGroups"), "TargetGroupArn", tg))
			return 1;
	return 0;
}

struct rules_of {
	const struct sw_runenv *e;
	const char *tg;
	int deleted;
};

/* Delete the rules of a page of DescribeRules that forward to the target group. */
static int delete_rules(void *ctx, const json_t *page)
{
	struct rules_of *ro = ctx;
	size_t i;
	json_t *rule;
	json_array_foreach(json_object_get(page, "Rules"), i, rule) {
		int r;
		if (json_is_true(json_object_get(rule, "IsDefault")) || !forwards_to(rule, ro->tg))
			continue;
		if ((r = call(ro->e, "elbv2", "DeleteRule", json_pack("{s:s}", "RuleArn", sw_json_str(rule, "RuleArn")), NULL)) < 0)
			return r;
		ro->deleted += r == 0;
	}
	return 0;
}

struct listeners_of {
	struct rules_of *rules;
};

/* For each listener of a page of DescribeListeners, every page of its rules. */
static int each_listener(void *ctx, const json_t *page)
{
	struct listeners_of *lo = ctx;
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(page, "Listeners"), i, l) {
		json_t *req = json_pack("{s:s, s:i}", "ListenerArn", sw_json_str(l, "ListenerArn"), "PageSize", 400);
		struct sw_buf code = SW_BUF_INIT;
		int r = sw_pager_call(lo->rules->e, "elbv2", "DescribeRules", req, delete_rules, lo->rules, &code, NULL);
		if (r < 0 && gone_code(code.ptr))
			r = 0;
		json_decref(req);
		sw_buf_release(&code);
		if (r)
			return r;
	}
	return 0;
}

/* One of the app's target groups (by name): its rules on every listener of its load balancers, then it. */
static int route_one(const struct sw_runenv *e, const char *name, json_t *removed, int *rules)
{
	json_t *tgs = NULL, *lb;
	const json_t *tg;
	const char *tg_arn;
	size_t i;
	int r;

	r = call(e, "elbv2", "DescribeTargetGroups", json_pack("{s:[s]}", "Names", name), &tgs);
	tg = json_array_get(json_object_get(tgs, "TargetGroups"), 0);
	tg_arn = sw_json_str(tg, "TargetGroupArn");
	if (r != 0 || !tg_arn)
		goto cleanup;
	json_array_foreach(json_object_get(tg, "LoadBalancerArns"), i, lb) {
		struct rules_of ro = { e, tg_arn, 0 };
		struct listeners_of lo = { &ro };
		struct sw_buf code = SW_BUF_INIT;
		json_t *req = json_pack("{s:O}", "LoadBalancerArn", lb);
		r = sw_pager_call(e, "elbv2", "DescribeListeners", req, each_listener, &lo, &code, NULL);
		if (r < 0 && gone_code(code.ptr))
			r = 0;
		*rules += ro.deleted;
		json_decref(req);
		sw_buf_release(&code);
		if (r < 0)
			goto cleanup;
	}
	if ((r = call(e, "elbv2", "DeleteTargetGroup", json_pack("{s:s}", "TargetGroupArn", tg_arn), NULL)) == 0) {
		struct sw_buf b = SW_BUF_INIT;
		sw_buf_addf(&b, "target group %s", name);
		json_array_append_new(removed, json_string(b.ptr));
		sw_buf_release(&b);
	}
cleanup:
	json_decref(tgs);
	return r < 0 ? r : 0;
}

/*
 * Every target group of the app (route.h: the other launch's, and the alternate of a
 * traffic-shifting strategy) and their rules.
 */
static int route(const struct sw_runenv *e, const char *app, json_t *removed)
{
	static void (*const naming[])(const char *, struct sw_buf *) = {
		sw_route_target_group_name, sw_route_target_group_alt_name, sw_route_alt_target_group_name,
	};
	struct sw_buf name = SW_BUF_INIT;
	int r = 0, rules = 0;
	size_t k;

	if (!e->settings->load_balancer)
		return 0;
	for (k = 0; k < sizeof(naming) / sizeof(naming[0]) && r >= 0; k++) {
		sw_buf_reset(&name);
		naming[k](app, &name);
		r = route_one(e, name.ptr, removed, &rules);
	}
	note(removed, rules == 1 ? "listener rule" : "listener rules", rules);
	sw_buf_release(&name);
	return r;
}

static int images(const struct sw_runenv *e, const char *app, json_t *removed)
{
	struct sw_buf code = SW_BUF_INIT;
	json_t *req = json_pack("{s:s,s:i}", "repositoryName", app, "maxResults", 100), *ids = json_array();
	size_t i;
	int n = 0, r = sw_pager_collect_call(e, "ecr", "ListImages", req, "imageIds", ids, &code, NULL);

	if (r < 0 && gone_code(code.ptr))
		r = 1;
	/* BatchDeleteImage takes 100 image ids at a time */
	for (i = 0; r == 0 && i < json_array_size(ids); i += 100) {
		json_t *batch = json_array();
		size_t k;
		for (k = i; k < json_array_size(ids) && k < i + 100; k++)
			json_array_append(batch, json_array_get(ids, k));
		r = call(e, "ecr", "BatchDeleteImage", json_pack("{s:s,s:o}", "repositoryName", app, "imageIds", batch), NULL);
		if (r == 0)
			n += (int)k - (int)i;
	}
	note(removed, n == 1 ? "image" : "images", n);
	if (r >= 0 && call(e, "ecr", "DeleteRepository", json_pack("{s:s,s:b}", "repositoryName", app, "force", 1),
			   NULL) == 0)
		json_array_append_new(removed, json_string("ECR repository"));
	json_decref(req);
	json_decref(ids);
	sw_buf_release(&code);
	return r < 0 ? r : 0;
}

static int log_group(const struct sw_runenv *e, const char *app, json_t *removed)
{
	struct sw_buf group = SW_BUF_INIT;
	int r;

	sw_names_log_group(e, app, &group);
	r = call(e, "logs", "DeleteLogGroup", json_pack("{s:s}", "logGroupName", group.ptr), NULL);
	if (r == 0) {
		struct sw_buf b = SW_BUF_INIT;
		sw_buf_addf(&b, "log group %s", group.ptr);
		json_array_append_new(removed, json_string(b.ptr));
		sw_buf_release(&b);
	}
	sw_buf_release(&group);
	return r < 0 ? r : 0;
}

int sw_teardown_app(const struct sw_runenv *e, const char *app, json_t *removed)
{
	struct sw_strvec procs = SW_STRVEC_INIT, tds = SW_STRVEC_INIT, foreign = SW_STRVEC_INIT, own = SW_STRVEC_INIT;
	int ret;

	if ((ret = sw_tasks_known(e->db, app, &procs, &tds)) < 0)
		goto cleanup;
	sw_strvec_push(&procs, "release");
	/* names collide: only what carries the app's slipway:app tag is the app's to remove */
	if ((ret = services(e, app, &procs, &foreign, removed)) < 0 ||
	    (ret = own_procs(e, app, &procs, &foreign, &own, removed)) < 0 ||
	    (ret = stop_tasks(e, app, &own, removed)) < 0 ||
	    (ret = taskdefs(e, app, &own, removed)) < 0 || (ret = route(e, app, removed)) < 0 ||
	    (ret = images(e, app, removed)) < 0 || (ret = log_group(e, app, removed)) < 0 ||
	    (ret = sw_appsettings_delete(e->db, app)) < 0) {
		sw_error_prefix("destroying %s", app);
		goto cleanup;
	}
	ret = 0;
cleanup:
	sw_strvec_clear(&procs);
	sw_strvec_clear(&tds);
	sw_strvec_clear(&foreign);
	sw_strvec_clear(&own);
	return ret;
}
