#include <stdlib.h>
#include <string.h>

#include "releaser/golive.h"
#include "releaser/names.h"
#include "releaser/formation.h"
#include "releaser/phase.h"
#include "releaser/review.h"
#include "releaser/route.h"
#include "releaser/service.h"
#include "releaser/launch.h"
#include "releaser/ecr.h"
#include "releaser/appsettings.h"
#include "releaser/fargate.h"
#include "releaser/strategy.h"
#include "releaser/taskdef.h"
#include "releaser/watch.h"
#include "common/error.h"
#include "common/event.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

/* The steps of a rollout, as recorded in the release's state ("phase"). */
#define PHASE_REGISTER "register"
#define PHASE_RELEASE "release"
#define PHASE_SERVICES "services"
#define PHASE_ROLLBACK "rollback"

/* the reason of a release a user cancelled starts so */
#define CANCELLED_BY "cancelled by "

static void app_url(const struct sw_runenv *e, const char *app, struct sw_buf *out)
{
	/* {app} is "<slug>.<parent>" for a review app (review.h) */
	struct sw_buf label = SW_BUF_INIT;
	sw_review_host_label(e->db, app, &label);
	sw_review_url(e->settings->apps_url, label.ptr, out);
	sw_buf_release(&label);
}

/* Write r's state; a failure is logged, not fatal (the next save may land). */
static void save(const struct sw_runenv *e, struct sw_release *r)
{
	if (sw_release_save(e->db, r) < 0)
		sw_log(SW_LOG_ERROR, r->app, e->job, "v%d: cannot record the rollout: %s", r->version, sw_error_last());
}

static void set_phase(const struct sw_runenv *e, struct sw_release *r, const char *phase)
{
	json_object_set_new(r->state, "phase", json_string(phase));
	save(e, r);
}

static int parts(const struct sw_release *r, struct sw_manifest *m, struct sw_formation *f)
{
	if (sw_manifest_from_json(m, r->manifest) < 0 || sw_formation_from_json(f, r->formation) < 0) {
		sw_manifest_release(m);
		sw_formation_release(f);
		return sw_error("v%d: stored manifest or formation is malformed", r->version);
	}
	return 0;
}

/* Final status with reason. */
static void finish(const struct sw_runenv *e, struct sw_release *r, enum sw_release_status to, const char *reason)
{
	free(r->reason);
	r->reason = reason ? xstrdup(reason) : NULL;
	json_object_set_new(r->state, "phase", json_string("done"));
	if (sw_release_set_status(e->db, r, to, sw_runenv_seconds(e)) < 0)
		sw_log(SW_LOG_ERROR, r->app, e->job, "v%d: cannot record %s: %s", r->version,
		       sw_release_status_name(to), sw_error_last());
	sw_log(SW_LOG_INFO, r->app, e->job, "v%d %s%s%s", r->version, sw_release_status_name(to),
	       reason ? ": " : "", reason ? reason : "");
	/* a release a user cancelled says so, by whom */
	if (reason && !strncmp(reason, CANCELLED_BY, strlen(CANCELLED_BY)) && to != SW_RELEASE_LIVE) {
		struct sw_buf who = SW_BUF_INIT;
		const char *name = reason + strlen(CANCELLED_BY);
		sw_buf_add(&who, name, strcspn(name, ";"));
		if (to == SW_RELEASE_ROLLED_BACK)
			sw_event_emit(e->db, r->app, "release.rolled_back", r->version, r->job_id, who.ptr,
				      "v%d %s; rolled back to v%d", r->version, reason, r->rolled_back_to);
		else
			sw_event_emit(e->db, r->app, "release.failed", r->version, r->job_id, who.ptr, "v%d %s",
				      r->version, reason);
		sw_buf_release(&who);
		return;
	}
	if (to == SW_RELEASE_LIVE)
		sw_event_emit(e->db, r->app, "release.live", r->version, r->job_id, r->created_by,
			      "v%d live (took %.0fs)", r->version, r->finished_at - r->started_at);
	else if (to == SW_RELEASE_ROLLED_BACK)
		sw_event_emit(e->db, r->app, "release.rolled_back", r->version, r->job_id, r->created_by,
			      "v%d failed, rolled back to v%d: %s", r->version, r->rolled_back_to, reason ? reason : "");
	else
		sw_event_emit(e->db, r->app, "release.failed", r->version, r->job_id, r->created_by,
			      "v%d failed: %s", r->version, reason ? reason : "");
}

/* The release failed before any service changed: recorded failed with the error slot's line. SW_ERROR. */
static int fail_unchanged(const struct sw_runenv *e, struct sw_release *r)
{
	struct sw_buf why = SW_BUF_INIT;
	sw_buf_adds(&why, sw_error_last());
	finish(e, r, SW_RELEASE_FAILED, why.ptr);
	sw_error_code(SW_ERROR, "%s", why.ptr);
	sw_buf_release(&why);
	return SW_ERROR;
}

/*
 * 1 when the cancel token is up because a user cancelled (not because
 * slipwayd stops), with "cancelled by <who>" in why (reset first); 0 otherwise.
 */
static int user_cancelled(const struct sw_runenv *e, struct sw_buf *why)
{
	struct sw_buf who = SW_BUF_INIT;
	int yes = sw_runenv_user_cancel(e, &who);
	if (yes) {
		sw_buf_reset(why);
		sw_buf_addf(why, CANCELLED_BY "%s", who.ptr);
	}
	sw_buf_release(&who);
	return yes;
}

/* ---- step 0: how it launches, and its sizes ---- */

/* The launch a release was made with (launch.h), recorded in its state. */
static int launch_of(const struct sw_release *r, struct sw_launch *l)
{
	return sw_launch_from_json(l, json_object_get(r->state, "launch"));
}

/*
 * How r launches (launch.h), resolved now and recorded in its state, and its formation
 * sized for it: a process nothing sized (memory 0) gets the launch's default memory; on
 * Fargate every size becomes one of Fargate's (formation.h: `scale` refused the sizes it
 * was given that are not; the others move up), what moved said to the pusher. Recorded
 * before anything changes in ECS.
 */
static int prepare(const struct sw_runenv *e, struct sw_release *r, struct sw_formation *f, struct sw_launch *l)
{
	struct sw_strvec notes = SW_STRVEC_INIT;
	size_t i;
	int ret;

	if ((ret = sw_launch_resolve(e, l)) < 0)
		return ret;
	for (i = 0; i < f->nr; i++)
		if (f->v[i].memory_mb <= 0)
			f->v[i].memory_mb = sw_settings_default_memory(e->settings, l->fargate);
	if (l->fargate && (ret = sw_formation_fit_fargate(f, NULL, &notes)) < 0)
		goto cleanup;
	for (i = 0; i < notes.nr; i++)
		sw_runenv_report(e, "-----> note: %s", notes.v[i]);
	json_decref(r->formation);
	r->formation = sw_formation_to_json(f);
	json_object_set_new(r->state, "launch", sw_launch_to_json(l));
	save(e, r);
cleanup:
	sw_strvec_clear(&notes);
	return ret;
}

/* ---- step 1: task definitions and the log group ---- */

/*
 * The app's log group (awslogs needs it before a task starts). A failure is logged, not
 * fatal: the tasks would then fail to start with ECS's own clear reason.
 */
static void ensure_log_group(const struct sw_runenv *e, const char *group)
{
	struct sw_buf code = SW_BUF_INIT;
	json_t *req = json_pack("{s:s}", "logGroupName", group);
	int ret = sw_runenv_call(e, "logs", "CreateLogGroup", req, NULL, &code, NULL);
	json_decref(req);
	if (ret < 0 && strcmp(code.ptr, "ResourceAlreadyExistsException")) {
		sw_log(SW_LOG_WARN, e->app, e->job, "%s", sw_error_last());
	} else if (ret == 0) {
		req = json_pack("{s:s, s:i}", "logGroupName", group, "retentionInDays", 30);
		if (sw_runenv_call(e, "logs", "PutRetentionPolicy", req, NULL, NULL, NULL) < 0)
			sw_log(SW_LOG_WARN, e->app, e->job, "log retention not set: %s", sw_error_last());
		json_decref(req);
	}
	sw_buf_release(&code);
}

/* A task definition refused because slipwayd may not pass its role: the line says which and what to do. */
static int passrole_line(int ret, const struct sw_buf *code, const struct sw_taskdef_opts *o)
{
	if (ret < 0 && !strncmp(code->ptr, "AccessDenied", 12) && strstr(sw_error_last(), "iam:PassRole"))
		return sw_error_code(SW_EINVAL, "%s: slipwayd may not pass the role %s%s%s to ECS (iam:PassRole): allow "
				     "iam:PassRole on it in slipwayd's policy (docs/aws.md)", o->proc->name,
				     o->execution_role_arn ? o->execution_role_arn : "",
				     o->task_role_arn && o->execution_role_arn ? " or " : "",
				     o->task_role_arn ? o->task_role_arn : "");
	return ret;
}

/* May the task definitions recorded for reuse (a scale that keeps sizes) be used with launch l and role? */
static int reusable(const struct sw_release *r, const struct sw_launch *l, const char *role)
{
	const char *mode = sw_json_str(r->state, "reuse_launch"), *was = sw_json_str(r->state, "reuse_task_role");
	return mode && !strcmp(mode, l->fargate ? "fargate" : "ec2") && was && !strcmp(was, role ? role : "");
}

static int register_taskdefs(const struct sw_runenv *e, struct sw_release *r, const struct sw_manifest *m,
			     const struct sw_formation *f, const struct sw_launch *l)
{
	json_t *arns = json_object(), *reuse = json_object_get(r->state, "reuse");
	struct sw_buf group = SW_BUF_INIT, role = SW_BUF_INIT, code = SW_BUF_INIT;
	size_t i;
	int ret;

	sw_names_log_group(e, r->app, &group);
	if ((ret = sw_appsettings_task_role(e->db, r->app, &role)) < 0)
		goto cleanup;
	if (!ret && e->settings->task_role_arn)
		sw_buf_adds(&role, e->settings->task_role_arn);
	if (role.len)
		json_object_set_new(r->state, "task_role", json_string(role.ptr));
	if (!reusable(r, l, role.len ? role.ptr : NULL))
		reuse = NULL;
	ensure_log_group(e, group.ptr);
	ret = 0;
	for (i = 0; i < m->nr; i++) {
		const struct sw_process *p = &m->procs[i];
		const struct sw_formation_entry *fe = sw_formation_find(f, p->name);
		struct sw_taskdef_opts o;
		json_t *req, *resp = NULL;
		const char *arn;

		if (sw_json_str(reuse, p->name)) {
			json_object_set_new(arns, p->name, json_string(sw_json_str(reuse, p->name)));
			continue;
		}
		memset(&o, 0, sizeof(o));
		o.app = r->app;
		o.version = r->version;
		o.proc = p;
		o.image = r->image;
		o.digest = r->digest;
		o.config = r->config;
		o.fargate = l->fargate;
		if (fe) {
			o.memory_mb = fe->memory_mb;
			o.cpu = fe->cpu;
		} else {
			/* the release process: its manifest's memory or the default, a Fargate size there */
			o.memory_mb = p->memory_mb > 0 ? p->memory_mb : sw_settings_default_memory(e->settings, l->fargate);
			if (l->fargate && sw_fargate_memory_at_least(o.memory_mb))
				o.memory_mb = sw_fargate_memory_at_least(o.memory_mb);
		}
		o.log_group = group.ptr;
		o.region = sw_aws_client_region(e->aws);
		o.execution_role_arn = e->settings->execution_role_arn;
		o.task_role_arn = role.len ? role.ptr : NULL;
		if (!(req = sw_taskdef_build(&o))) {
			ret = SW_EINVAL;
			goto cleanup;
		}
		ret = passrole_line(sw_runenv_call(e, "ecs", "RegisterTaskDefinition", req, &resp, &code, NULL), &code, &o);
		json_decref(req);
		if (ret < 0)
			goto cleanup;
		arn = sw_json_str(json_object_get(resp, "taskDefinition"), "taskDefinitionArn");
		if (!arn) {
			json_decref(resp);
			ret = sw_error("RegisterTaskDefinition answered no taskDefinitionArn");
			goto cleanup;
		}
		json_object_set_new(arns, p->name, json_string(arn));
		json_decref(resp);
	}
	json_object_set(r->state, "taskdefs", arns);
	save(e, r);
cleanup:
	json_decref(arns);
	sw_buf_release(&group);
	sw_buf_release(&role);
	sw_buf_release(&code);
	return ret;
}

/* ---- step 2: the web process's way in ---- */

/*
 * A web process that shifts traffic (blue/green, linear, canary) has ECS weigh the listener
 * rule with a role of the listener's account (SLIPWAY_LB_ROLE_ARN, the stack's output). The
 * default names the engine's account: good for the engine's own load balancer only, so with
 * a listener given (SLIPWAY_LISTENER_ARN, a stack) or on AWS, none set is refused before
 * anything is made.
 */
static int check_lb_role(const struct sw_runenv *e, const struct sw_release *r, const struct sw_manifest *m)
{
	const struct sw_process *web = sw_manifest_web(m);
	json_t *strategy;
	int ret = 0;

	if (!e->settings->load_balancer || !web || strcmp(sw_settings_from(e->settings, "lb_role_arn"), "default") ||
	    (!e->settings->listener_arn && !sw_route_on_aws(e)))
		return 0;
	strategy = sw_strategy_effective(e->db, r->app, m->strategy);
	if (sw_strategy_shifts(strategy))
		ret = sw_error_code(SW_EINVAL, "%s: a %s strategy needs the role ECS shifts traffic with: set "
				    "SLIPWAY_LB_ROLE_ARN (an ECS infrastructure role for load balancers) or SLIPWAY_STACK "
				    "(slipway aws:bootstrap makes one), or go back to rolling (slipway deploy:settings "
				    "strategy=rolling)", web->name, sw_json_str_or(strategy, "strategy", "?"));
	json_decref(strategy);
	return ret;
}

/*
 * Its target group (of the launch's type) and host rule (route.h), recorded in r's state;
 * nothing without a load balancer or a web process.
 */
static int ensure_route(const struct sw_runenv *e, struct sw_release *r, const struct sw_manifest *m,
			const struct sw_formation *f, const struct sw_launch *l)
{
	const struct sw_process *web = sw_manifest_web(m);
	struct sw_route route = SW_ROUTE_INIT;
	json_t *strategy;
	int ret;

	if (!e->settings->load_balancer || !web || !sw_formation_find(f, web->name))
		return 0;
	/* how the web process goes live: the manifest's strategy with deploy:settings over it */
	strategy = sw_strategy_effective(e->db, r->app, m->strategy);
	if ((ret = sw_route_ensure(e, r->app, web->port, m->healthcheck_path, l->fargate ? "ip" : "instance",
				   sw_strategy_shifts(strategy), &route)) == 0) {
		json_object_set_new(r->state, "target_group", json_string(route.target_group_arn));
		if (route.rule_arn && *route.rule_arn)
			json_object_set_new(r->state, "rule", json_string(route.rule_arn));
		if (route.old_target_group_arn)
			json_object_set_new(r->state, "old_target_group", json_string(route.old_target_group_arn));
		if (route.alt_target_group_arn) {
			json_object_set_new(r->state, "alt_target_group", json_string(route.alt_target_group_arn));
			json_object_set_new(r->state, "production_rule", json_string(route.rule_arn));
		}
		json_object_set(r->state, "strategy", strategy);
		save(e, r);
		if (sw_strategy_shifts(strategy)) {
			struct sw_buf how = SW_BUF_INIT;
			sw_strategy_describe(strategy, &how);
			sw_runenv_report(e, "       %s: goes live %s", web->name, how.ptr);
			sw_buf_release(&how);
		}
	}
	json_decref(strategy);
	sw_route_release(&route);
	return ret;
}

/* ---- step 4: services ---- */

/* The service request's parts of one process of app, launched as l. */
static void spec_for(const struct sw_runenv *e, const char *app, const char *process, const char *taskdef,
		     int desired, const struct sw_launch *l, struct sw_service_spec *s, struct sw_buf *name)
{
	memset(s, 0, sizeof(*s));
	sw_buf_reset(name);
	sw_names_service(app, process, name);
	s->cluster = e->settings->cluster;
	s->app = app;
	s->process = process;
	s->name = name->ptr;
	s->taskdef = taskdef;
	s->desired = desired;
	s->grace_s = e->settings->health_grace_s;
	s->launch = l;
	s->lb_role_arn = e->settings->lb_role_arn;
}

/* Every service of f's processes that exists is the app's own: before anything changes. */
static int check_owned(const struct sw_runenv *e, const char *app, const struct sw_formation *f)
{
	struct sw_strvec procs = SW_STRVEC_INIT;
	json_t *exists = json_object();
	size_t i;
	int ret;

	for (i = 0; i < f->nr; i++)
		sw_strvec_push(&procs, f->v[i].process);
	ret = sw_service_existing(e, app, &procs, exists);
	sw_strvec_clear(&procs);
	json_decref(exists);
	return ret;
}

static void rollout_settings(const struct sw_runenv *e, struct sw_rollout *ro, const struct sw_manifest *m)
{
	sw_rollout_init(ro, sw_runenv_now(e),
			(m && m->deadline ? m->deadline : e->settings->deadline_s) * 1000LL);
	ro->stall_ms = e->settings->stall_s * 1000LL;
	ro->crash_limit = e->settings->crash_limit;
}

struct saver {
	const struct sw_runenv *e;
	struct sw_release *r;
	const char *key;
};

static void save_rollout(void *ctx, const struct sw_rollout *ro)
{
	struct saver *s = ctx;
	json_object_set_new(s->r->state, s->key, sw_rollout_to_json(ro));
	save(s->e, s->r);
}

/* Watch ro to its verdict; target_group: where the web process's tasks register (NULL: r's). */
static int watch(const struct sw_runenv *e, struct sw_release *r, struct sw_rollout *ro, const char *key,
		 const char *target_group)
{
	struct saver sv = { e, r, key };
	struct sw_buf stage = SW_BUF_INIT;
	struct sw_watch w;
	int ret;
	memset(&w, 0, sizeof(w));
	w.cluster = e->settings->cluster;
	w.version = r->version;
	w.target_group_arn = target_group ? target_group : sw_json_str(r->state, "target_group");
	w.alt_target_group_arn = sw_json_str(r->state, "alt_target_group");
	w.fargate = !strcmp(sw_json_str_or(json_object_get(r->state, "launch"), "mode", "ec2"), "fargate");
	if (!strcmp(key, "rollout"))
		w.strategy = json_object_get(r->state, "strategy");
	w.stage_seen = &stage;
	w.save = save_rollout;
	w.save_ctx = &sv;
	w.phase = key;
	ret = sw_watch_run(e, ro, &w);
	sw_buf_release(&stage);
	return ret;
}

/* ---- step 6: after the verdict ---- */

/* Scale a process's service to 0 and delete it (a process type the app no longer has). */
static void remove_service(const struct sw_runenv *e, const char *app, const char *process)
{
	struct sw_buf name = SW_BUF_INIT;
	json_t *req, *resp = NULL;
	const json_t *svc;
	int ret;

	sw_names_service(app, process, &name);
	/* never another app's service (or one slipway did not make) of the same name */
	req = json_pack("{s:s, s:[s], s:[s]}", "cluster", e->settings->cluster, "services", name.ptr, "include", "TAGS");
	ret = sw_runenv_call(e, "ecs", "DescribeServices", req, &resp, NULL, NULL);
	json_decref(req);
	svc = json_array_get(json_object_get(resp, "services"), 0);
	if (ret == 0 && svc && sw_json_str(svc, "status") && strcmp(sw_json_str(svc, "status"), "INACTIVE") &&
	    sw_names_owned(svc, app, process) < 0)
		ret = -1;
	json_decref(resp);
	if (ret < 0) {
		sw_log(SW_LOG_WARN, app, e->job, "remove %s: %s", name.ptr, sw_error_last());
		sw_buf_release(&name);
		return;
	}
	req = json_pack("{s:s, s:s, s:b}", "cluster", e->settings->cluster, "service", name.ptr, "force", 1);
	if (sw_runenv_call(e, "ecs", "DeleteService", req, NULL, NULL, NULL) < 0)
		sw_log(SW_LOG_WARN, app, e->job, "remove %s: %s", name.ptr, sw_error_last());
	else
		sw_runenv_report(e, "       %s: removed (no longer in the manifest)", process);
	json_decref(req);
	sw_buf_release(&name);
}

static int went_live(const struct sw_runenv *e, struct sw_release *r, const struct sw_release *prev,
		     const struct sw_formation *f, const struct sw_manifest *m)
{
	struct sw_formation pf = SW_FORMATION_INIT;
	struct sw_buf url = SW_BUF_INIT, took = SW_BUF_INIT;
	size_t i;

	if (prev && sw_formation_from_json(&pf, prev->formation) == 0)
		for (i = 0; i < pf.nr; i++)
			if (!sw_formation_find(f, pf.v[i].process))
				remove_service(e, r->app, pf.v[i].process);
	sw_formation_release(&pf);
	/* the app's target group of its earlier launch: no service uses it any more */
	if (sw_json_str(r->state, "old_target_group"))
		sw_route_delete_target_group(e, r->app, sw_json_str(r->state, "old_target_group"));
	finish(e, r, SW_RELEASE_LIVE, NULL);
	sw_ecr_keep(e, r, 1);
	sw_time_format_elapsed(&took, r->finished_at - r->started_at);
	if (sw_manifest_web(m)) {
		app_url(e, r->app, &url);
		sw_runenv_report(e, "-----> v%d is live at %s (took %s)", r->version, url.ptr, took.ptr);
	} else {
		sw_runenv_report(e, "-----> v%d is live (took %s)", r->version, took.ptr);
	}
	sw_buf_release(&url);
	sw_buf_release(&took);
	return 0;
}

/*
 * Whether a rollback's request that failed with ret is asked again: while ECS (or ELBv2)
 * does not answer (each ask waits the env's patience), until the rollout's deadline from
 * the first ask (until) — a rollback ECS never heard of would leave it running the failed
 * release while the record says otherwise. 1 after a second's wait, 0 to give up,
 * SW_ECANCEL when stopped meanwhile.
 */
static int ask_again(const struct sw_runenv *e, int ret, long long until, const char *what)
{
	if (ret != SW_EUNAVAIL || e->patience_ms <= 0 || sw_runenv_now(e) >= until)
		return 0;
	sw_runenv_report(e, "       (%s; asking again for the rollback of %s)", sw_error_last(), what);
	return sw_runenv_sleep(e, 1000) < 0 ? SW_ECANCEL : 1;
}

/* UpdateService of s back to the last live release, asked again as ask_again() says. */
static int apply_rollback(const struct sw_runenv *e, const struct sw_service_spec *s, struct sw_rollout *rb)
{
	long long until = sw_runenv_now(e) + rb->deadline_ms;
	int ret, again = 0;

	while ((ret = sw_service_apply(e, s, 1, NULL, rb)) < 0 && (again = ask_again(e, ret, until, s->process)) != 0)
		if (again < 0)
			return again;
	return ret;
}

/* The production rule back to the last live release's target group, asked again likewise. */
static int forward_back(const struct sw_runenv *e, const char *rule, const char *target_group, const struct sw_rollout *rb)
{
	long long until = sw_runenv_now(e) + rb->deadline_ms;
	int ret, again = 0;

	while ((ret = sw_route_forward(e, rule, target_group)) < 0 &&
	       (again = ask_again(e, ret, until, "the listener rule")) != 0)
		if (again < 0)
			return again;
	return ret;
}

/*
 * The services of r, each back to prev's task definition, count, target group and
 * launch (a process new in r to 0), into rb; what failed is added to why.
 */
static void roll_back_services(const struct sw_runenv *e, struct sw_release *r, const struct sw_release *prev,
			       const struct sw_manifest *pm, const struct sw_formation *pf,
			       const struct sw_formation *f, const struct sw_rollout *failed, struct sw_rollout *rb,
			       struct sw_buf *why)
{
	const json_t *ptd = prev ? json_object_get(prev->state, "taskdefs") : NULL;
	struct sw_launch rl = SW_LAUNCH_INIT, pl = SW_LAUNCH_INIT;
	struct sw_buf svc = SW_BUF_INIT;
	const char *name, *ptg = prev ? sw_json_str(prev->state, "target_group") : NULL;
	const char *rtg = sw_json_str(r->state, "target_group");
	json_t *v;
	int moved;

	if (launch_of(r, &rl) < 0 || (prev && launch_of(prev, &pl) < 0))
		sw_buf_addf(why, "; %s", sw_error_last());
	/* a release of the other launch had its own target group: the rule goes back to prev's */
	moved = prev && (rl.fargate != pl.fargate || (ptg && rtg && strcmp(ptg, rtg)));
	if (ptg && rtg && strcmp(ptg, rtg) && sw_json_str(r->state, "rule") &&
	    forward_back(e, sw_json_str(r->state, "rule"), ptg, rb) < 0)
		sw_buf_addf(why, "; the rule could not go back to v%d's target group: %s", prev->version, sw_error_last());
	/* the app's domains and its HTTPS listener's rules follow the production rule */
	else if (ptg && rtg && strcmp(ptg, rtg) && sw_route_retarget(e, rtg, ptg) < 0)
		sw_buf_addf(why, "; the domains' rules could not go back to v%d's target group: %s", prev->version,
			    sw_error_last());
	json_object_foreach(json_object_get(r->state, "taskdefs"), name, v) {
		const struct sw_formation_entry *pe = sw_formation_find(pf, name);
		const struct sw_process *pp = prev ? sw_manifest_find(pm, name) : NULL;
		const struct sw_rollout_proc *fp = NULL;
		struct sw_rollout_proc *rp;
		struct sw_service_spec s;
		size_t i;

		if (!sw_formation_find(f, name))
			continue;   /* the release process */
		for (i = 0; failed && i < failed->nr; i++)
			if (!strcmp(failed->v[i].process, name))
				fp = &failed->v[i];
		if (pe && pp && sw_json_str(ptd, name)) {
			spec_for(e, r->app, name, sw_json_str(ptd, name), pe->count, &pl, &s, &svc);
			if (pp->web && ptg) {
				s.target_group = ptg;
				s.port = pp->port;
				/* the group the release goes back with, and the strategy that returns
				 * traffic at once (the engine gives the rule back to the blue tasks) */
				s.state = sw_json_str(r->state, "alt_target_group") ? r->state : prev->state;
			}
		} else {
			/* new in r: nothing to return to */
			spec_for(e, r->app, name, json_string_value(v), 0, &rl, &s, &svc);
		}
		rp = sw_rollout_add(rb, name, svc.ptr, s.taskdef, s.desired, pe ? pe->memory_mb : 0);
		rp->load_balanced = s.target_group != NULL;
		rp->container_health = pp && pp->health.command.nr;
		if (!moved && fp && fp->rolled_back && fp->restore_taskdef && !strcmp(fp->restore_taskdef, s.taskdef) &&
		    fp->restore_deployment) {
			/* ECS's circuit breaker is already taking it back: watch that (unless the
			 * launch or the target group moved: then slipway's update takes both back) */
			rp->deployment = xstrdup(fp->restore_deployment);
		} else if (apply_rollback(e, &s, rb) < 0) {
			sw_log(SW_LOG_ERROR, r->app, e->job, "rollback: %s", sw_error_last());
			sw_buf_addf(why, "; rollback of %s failed: %s", name, sw_error_last());
		}
	}
	sw_buf_release(&svc);
	sw_launch_release(&rl);
	sw_launch_release(&pl);
}

/*
 * Return every process of r to prev (the last live release), or scale r's services to 0
 * when there is none; watch that to its end; record r's final status. Returns SW_ERROR
 * with "<reason>; rolled back to vN" in the error slot (or SW_ECANCEL).
 */
static int roll_back(const struct sw_runenv *e, struct sw_release *r, const struct sw_release *prev,
		     struct sw_rollout *failed, const char *reason, struct sw_rollout *resumed)
{
	struct sw_formation f = SW_FORMATION_INIT, pf = SW_FORMATION_INIT;
	struct sw_manifest pm = SW_MANIFEST_INIT;
	struct sw_rollout rb;
	struct sw_buf why = SW_BUF_INIT, took = SW_BUF_INIT;
	int ret;
	struct sw_runenv shielded;

	/* a rollback is what a user's cancel asks for: only a stop interrupts it */
	sw_runenv_shielded(e, &shielded);
	e = &shielded;
	sw_buf_adds(&why, reason);
	if (sw_formation_from_json(&f, r->formation) < 0 ||
	    (prev && parts(prev, &pm, &pf) < 0)) {
		ret = SW_ERROR;
		goto cleanup;
	}
	if (resumed) {
		rb = *resumed;
		memset(resumed, 0, sizeof(*resumed));
		sw_rollout_init(resumed, 0, 0);
	} else {
		rollout_settings(e, &rb, prev ? &pm : NULL);
		if (failed)   /* what the pusher has seen stays seen */
			sw_strvec_pushv(&rb.events_seen, failed->events_seen.v);
		json_object_set_new(r->state, "rollback_to", json_integer(prev ? prev->version : 0));
		{   /* kept with the phase: a resumed rollback records it */
			char *keep = xstrdup(reason);
			free(r->reason);
			r->reason = keep;
		}
		set_phase(e, r, PHASE_ROLLBACK);
		if (prev)
			sw_runenv_report(e, "-----> rolling back to v%d", prev->version);
		else
			sw_runenv_report(e, "-----> stopping v%d (no earlier release went live)", r->version);
		roll_back_services(e, r, prev, &pm, &pf, &f, failed, &rb, &why);
		json_object_set_new(r->state, "rollback", sw_rollout_to_json(&rb));
		save(e, r);
	}
	ret = watch(e, r, &rb, "rollback", prev && sw_json_str(prev->state, "target_group") ? sw_json_str(prev->state, "target_group") : NULL);
	if (ret == SW_ECANCEL || ret == SW_EAUTH) {
		sw_rollout_release(&rb);
		goto cleanup;
	}
	if (!prev) {
		finish(e, r, SW_RELEASE_FAILED, why.ptr);
		sw_error_code(SW_ERROR, "%s", why.ptr);
	} else if (ret == SW_ROLLOUT_LIVE) {
		r->rolled_back_to = prev->version;
		finish(e, r, SW_RELEASE_ROLLED_BACK, why.ptr);
		sw_time_format_elapsed(&took, (double)(sw_runenv_now(e) - rb.started_at) / 1000.0);
		sw_runenv_report(e, "-----> v%d is serving again (rolled back in %s)", prev->version, took.ptr);
		sw_error_code(SW_ERROR, "%s; rolled back to v%d", why.ptr, prev->version);
	} else {
		sw_buf_addf(&why, "; rollback to v%d did not complete: %s", prev->version,
			    ret < 0 ? sw_error_last() : rb.reason.ptr);
		finish(e, r, SW_RELEASE_FAILED, why.ptr);
		sw_error_code(SW_ERROR, "%s", why.ptr);
	}
	ret = SW_ERROR;
	sw_rollout_release(&rb);
cleanup:
	sw_formation_release(&f);
	sw_formation_release(&pf);
	sw_manifest_release(&pm);
	sw_buf_release(&why);
	sw_buf_release(&took);
	return ret;
}

/* The last live release of r's app other than r: 1 and *out, 0 none, negative on error. */
static int previous_live(const struct sw_runenv *e, const struct sw_release *r, struct sw_release *out)
{
	int ret = sw_release_load_live(e->db, r->app, out);
	if (ret == SW_ENOTFOUND)
		return 0;
	if (ret < 0)
		return ret;
	return out->version != r->version;
}

/* From the verdict of ro on: live, or roll back. */
static int conclude(const struct sw_runenv *e, struct sw_release *r, struct sw_rollout *ro, int verdict,
		    const struct sw_manifest *m, const struct sw_formation *f)
{
	struct sw_release prev;
	struct sw_buf cancelled = SW_BUF_INIT;
	struct sw_runenv shielded;
	int have, ret;

	if (verdict == SW_ECANCEL && user_cancelled(e, &cancelled)) {
		/* a user's cancel: back to the last live release, like a failure */
		sw_runenv_report(e, "-----> v%d %s", r->version, cancelled.ptr);
	} else if (verdict == SW_ECANCEL || verdict == SW_EAUTH) {
		sw_buf_release(&cancelled);
		if (verdict == SW_EAUTH)
			sw_error_prefix("watching the rollout");
		return verdict == SW_EAUTH ? SW_ERROR : SW_ECANCEL;
	}
	sw_release_init(&prev);
	if ((have = previous_live(e, r, &prev)) < 0) {
		sw_release_release(&prev);
		sw_buf_release(&cancelled);
		return have;
	}
	sw_runenv_shielded(e, &shielded);   /* live is live: a cancel that comes now is too late */
	if (verdict == SW_ROLLOUT_LIVE)
		ret = went_live(&shielded, r, have ? &prev : NULL, f, m);
	else
		ret = roll_back(e, r, have ? &prev : NULL, ro, cancelled.len ? cancelled.ptr : ro->reason.ptr, NULL);
	sw_release_release(&prev);
	sw_buf_release(&cancelled);
	return ret;
}

static int run_services(const struct sw_runenv *e, struct sw_release *r, const struct sw_manifest *m,
			const struct sw_formation *f)
{
	struct sw_strvec procs = SW_STRVEC_INIT;
	struct sw_launch l = SW_LAUNCH_INIT;
	struct sw_buf name = SW_BUF_INIT;
	struct sw_rollout ro;
	json_t *exists = json_object();
	const json_t *tds = json_object_get(r->state, "taskdefs");
	size_t i;
	int ret;

	for (i = 0; i < f->nr; i++)
		sw_strvec_push(&procs, f->v[i].process);
	if ((ret = launch_of(r, &l)) < 0 || (ret = sw_service_existing(e, r->app, &procs, exists)) < 0) {
		/* nothing changed yet (a read): the release failed, unless slipwayd stops or a
		 * user cancelled (sw_golive_release's cleanup decides those) */
		if (ret != SW_ECANCEL)
			ret = fail_unchanged(e, r);
		sw_strvec_clear(&procs);
		json_decref(exists);
		sw_launch_release(&l);
		return ret;
	}
	rollout_settings(e, &ro, m);
	/* a traffic-shifting strategy's waits come on top of the deadline */
	ro.deadline_ms += sw_strategy_wait_ms(json_object_get(r->state, "strategy"));
	for (i = 0; i < f->nr; i++) {
		const struct sw_process *p = sw_manifest_find(m, f->v[i].process);
		struct sw_buf svc = SW_BUF_INIT;
		struct sw_rollout_proc *rp;
		sw_names_service(r->app, f->v[i].process, &svc);
		rp = sw_rollout_add(&ro, f->v[i].process, svc.ptr, sw_json_str_or(tds, f->v[i].process, ""),
				    f->v[i].count, f->v[i].memory_mb);
		rp->container_health = p && p->health.command.nr;
		rp->load_balanced = p && p->web && sw_json_str(r->state, "target_group");
		sw_buf_release(&svc);
	}
	/* recorded before any service changes, so a restart knows to watch them */
	json_object_set_new(r->state, "rollout", sw_rollout_to_json(&ro));
	set_phase(e, r, PHASE_SERVICES);
	for (i = 0; i < f->nr; i++) {
		const struct sw_process *p = sw_manifest_find(m, f->v[i].process);
		const json_t *svc = json_object_get(exists, f->v[i].process);
		struct sw_service_spec s;
		spec_for(e, r->app, f->v[i].process, sw_json_str(tds, f->v[i].process), f->v[i].count, &l, &s, &name);
		if (p && p->web && sw_json_str(r->state, "target_group")) {
			s.target_group = sw_json_str(r->state, "target_group");
			s.port = p->port;
			s.state = r->state;
		}
		if (!s.taskdef) {
			ret = sw_error("%s: no task definition registered", s.process);
			break;
		}
		if ((ret = sw_service_apply(e, &s, svc != NULL, svc, &ro)) < 0)
			break;
	}
	if (ret < 0) {
		/* some services may have changed: treat as a failed rollout */
		struct sw_buf why = SW_BUF_INIT;
		struct sw_release prev;
		int have;
		if (ret == SW_ECANCEL && user_cancelled(e, &why))
			sw_runenv_report(e, "-----> v%d %s", r->version, why.ptr);
		else
			sw_buf_adds(&why, sw_error_last());
		sw_release_init(&prev);
		have = previous_live(e, r, &prev);
		ret = roll_back(e, r, have > 0 ? &prev : NULL, &ro, why.ptr, NULL);
		sw_release_release(&prev);
		sw_buf_release(&why);
	} else {
		json_object_set_new(r->state, "rollout", sw_rollout_to_json(&ro));
		save(e, r);
		ret = conclude(e, r, &ro, watch(e, r, &ro, "rollout", NULL), m, f);
	}
	sw_rollout_release(&ro);
	sw_strvec_clear(&procs);
	sw_buf_release(&name);
	sw_launch_release(&l);
	json_decref(exists);
	return ret;
}

static void release_task_started(void *ctx, const char *arn)
{
	struct saver *s = ctx;
	json_object_set_new(s->r->state, "release_task", json_string(arn));
	save(s->e, s->r);
}

static int run_release_phase(const struct sw_runenv *e, struct sw_release *r, const struct sw_manifest *m)
{
	const struct sw_process *rel = sw_manifest_find(m, "release");
	struct saver sv = { e, r, NULL };
	struct sw_buf group = SW_BUF_INIT, cancelled = SW_BUF_INIT;
	struct sw_launch l = SW_LAUNCH_INIT;
	struct sw_phase ph;
	int ret;

	if ((ret = launch_of(r, &l)) < 0)
		return fail_unchanged(e, r);
	memset(&ph, 0, sizeof(ph));
	sw_names_log_group(e, r->app, &group);
	ph.cluster = e->settings->cluster;
	ph.launch = &l;
	ph.taskdef = sw_json_str(json_object_get(r->state, "taskdefs"), "release");
	ph.log_group = group.ptr;
	ph.version = r->version;
	ph.command = rel->command.nr == 3 && !strcmp(rel->command.v[0], "/bin/sh") ? rel->command.v[2]
		   : rel->command.nr ? rel->command.v[0] : NULL;
	if (sw_json_str(r->state, "release_task"))
		ph.task_arn = xstrdup(sw_json_str(r->state, "release_task"));
	ph.started = release_task_started;
	ph.started_ctx = &sv;
	ret = sw_phase_run(e, &ph);
	if (ret == SW_ECANCEL && user_cancelled(e, &cancelled)) {
		/* a user's cancel: the release task is stopped, no service changed */
		struct sw_runenv shielded;
		sw_runenv_shielded(e, &shielded);
		if (sw_phase_stop(&shielded, &ph, "slipway: the release was cancelled"))
			sw_runenv_report(&shielded, "       release: stopped (%s)", cancelled.ptr);
		r->release_ran = ph.task_arn != NULL;
		finish(&shielded, r, SW_RELEASE_FAILED, cancelled.ptr);
		sw_error_code(SW_ERROR, "%s", cancelled.ptr);
		ret = SW_ERROR;
	} else if (ret == 0) {
		r->release_ran = 1;
		save(e, r);
	} else if (ret != SW_ECANCEL) {
		/* nothing else changed: the services still run the last live release */
		struct sw_buf why = SW_BUF_INIT;
		sw_buf_adds(&why, sw_error_last());
		r->release_ran = ph.task_arn != NULL;
		finish(e, r, SW_RELEASE_FAILED, why.ptr);
		sw_error_code(SW_ERROR, "%s", why.ptr);
		sw_buf_release(&why);
		ret = SW_ERROR;
	}
	free(ph.task_arn);
	sw_buf_release(&group);
	sw_buf_release(&cancelled);
	sw_launch_release(&l);
	return ret;
}

int sw_golive_release(const struct sw_runenv *e, struct sw_release *r)
{
	struct sw_manifest m = SW_MANIFEST_INIT;
	struct sw_formation f = SW_FORMATION_INIT;
	struct sw_launch l = SW_LAUNCH_INIT;
	struct sw_buf desc = SW_BUF_INIT, why = SW_BUF_INIT;
	int ret;

	if (r->status != SW_RELEASE_PENDING)
		return sw_error_code(SW_EINVAL, "v%d is %s, not pending", r->version, sw_release_status_name(r->status));
	if ((ret = parts(r, &m, &f)) < 0)
		return ret;
	if ((ret = sw_release_set_status(e->db, r, SW_RELEASE_DEPLOYING, sw_runenv_seconds(e))) < 0)
		goto cleanup;
	sw_formation_describe(&f, 0, &desc);
	sw_event_emit(e->db, r->app, "release.deploying", r->version, r->job_id, r->created_by, "v%d deploying (%s)",
		      r->version, desc.len ? desc.ptr : "no processes");
	sw_runenv_report(e, "-----> releasing v%d (%s)", r->version, desc.len ? desc.ptr : "no processes");

	/* how it launches, its sizes; a service of our name that another app (or no slipway)
	 * owns: refused, nothing changed */
	if ((ret = prepare(e, r, &f, &l)) < 0 || (ret = check_owned(e, r->app, &f)) < 0 ||
	    (ret = check_lb_role(e, r, &m)) < 0)
		goto failed_early;
	set_phase(e, r, PHASE_REGISTER);
	if ((ret = register_taskdefs(e, r, &m, &f, &l)) < 0)
		goto failed_early;
	sw_ecr_keep(e, r, 0);
	if ((ret = ensure_route(e, r, &m, &f, &l)) < 0)
		goto failed_early;
	if (sw_manifest_find(&m, "release") && r->kind != SW_RELEASE_SCALE) {
		/* a scale runs the same code and config: no release process */
		set_phase(e, r, PHASE_RELEASE);
		if ((ret = run_release_phase(e, r, &m)) < 0)
			goto cleanup;
	}
	ret = run_services(e, r, &m, &f);
	goto cleanup;

failed_early:
	if (ret != SW_ECANCEL)
		ret = fail_unchanged(e, r);
cleanup:
	/*
	 * A user's cancel before any service changed (task definitions, route,
	 * between steps) fails the release here; once services changed, the paths above
	 * rolled back. Only slipwayd stopping leaves it deploying, for the restart to resume.
	 */
	if (ret == SW_ECANCEL && r->status == SW_RELEASE_DEPLOYING && user_cancelled(e, &why)) {
		const char *phase = sw_json_str(r->state, "phase");
		if (!phase || !strcmp(phase, PHASE_REGISTER) || !strcmp(phase, PHASE_RELEASE)) {
			struct sw_runenv shielded;
			sw_runenv_shielded(e, &shielded);
			finish(&shielded, r, SW_RELEASE_FAILED, why.ptr);
			sw_error_code(SW_ERROR, "%s", why.ptr);
			ret = SW_ERROR;
		}
	}
	sw_buf_release(&why);
	sw_manifest_release(&m);
	sw_formation_release(&f);
	sw_launch_release(&l);
	sw_buf_release(&desc);
	return ret;
}

int sw_golive_resume(const struct sw_runenv *e, struct sw_release *r)
{
	struct sw_manifest m = SW_MANIFEST_INIT;
	struct sw_formation f = SW_FORMATION_INIT;
	const char *phase = sw_json_str(r->state, "phase");
	int ret;

	if (r->status == SW_RELEASE_PENDING) {
		finish(e, r, SW_RELEASE_FAILED, "interrupted before the rollout started (slipwayd restarted)");
		return sw_error_code(SW_ERROR, "%s", r->reason);
	}
	if (r->status != SW_RELEASE_DEPLOYING)
		return sw_error_code(SW_EINVAL, "v%d is %s: nothing to resume", r->version,
				     sw_release_status_name(r->status));
	if ((ret = parts(r, &m, &f)) < 0)
		return ret;
	sw_runenv_report(e, "-----> resuming v%d (%s)", r->version, phase ? phase : "start");
	if (!phase || !strcmp(phase, PHASE_REGISTER)) {
		/* nothing had changed in ECS but task definitions: start the services step over
		 * (from the launch on, when slipwayd stopped before it was recorded) */
		struct sw_launch l = SW_LAUNCH_INIT;
		ret = json_object_get(r->state, "launch") ? launch_of(r, &l) : prepare(e, r, &f, &l);
		if (ret == 0)
			ret = check_lb_role(e, r, &m);
		if (ret == 0 && (ret = register_taskdefs(e, r, &m, &f, &l)) == 0)
			ret = ensure_route(e, r, &m, &f, &l);
		sw_launch_release(&l);
		if (ret == 0 && sw_manifest_find(&m, "release") && r->kind != SW_RELEASE_SCALE)
			ret = run_release_phase(e, r, &m);
		if (ret == 0)
			ret = run_services(e, r, &m, &f);
		else if (ret != SW_ECANCEL && r->status == SW_RELEASE_DEPLOYING)
			ret = fail_unchanged(e, r);
	} else if (!strcmp(phase, PHASE_RELEASE)) {
		if ((ret = run_release_phase(e, r, &m)) == 0)
			ret = run_services(e, r, &m, &f);
	} else if (!strcmp(phase, PHASE_SERVICES)) {
		struct sw_rollout ro;
		if ((ret = sw_rollout_from_json(&ro, json_object_get(r->state, "rollout"))) == 0) {
			ret = conclude(e, r, &ro, watch(e, r, &ro, "rollout", NULL), &m, &f);
			sw_rollout_release(&ro);
		}
	} else if (!strcmp(phase, PHASE_ROLLBACK)) {
		struct sw_rollout rb;
		struct sw_release prev;
		int to = (int)sw_json_int(r->state, "rollback_to", 0);
		sw_release_init(&prev);
		if ((ret = sw_rollout_from_json(&rb, json_object_get(r->state, "rollback"))) == 0) {
			if (to > 0 && (ret = sw_release_load(e->db, r->app, to, &prev)) < 0) {
				sw_rollout_release(&rb);
			} else {
				ret = roll_back(e, r, to > 0 ? &prev : NULL, NULL,
						r->reason ? r->reason : "rollout failed", &rb);
				sw_rollout_release(&rb);
			}
		}
		sw_release_release(&prev);
	} else {
		ret = sw_error("v%d: unknown rollout step '%s'", r->version, phase);
	}
	sw_manifest_release(&m);
	sw_formation_release(&f);
	return ret;
}
