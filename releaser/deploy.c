#include <stdlib.h>
#include <string.h>

#include "releaser/deploy.h"
#include "releaser/appconfig.h"
#include "releaser/formation.h"
#include "releaser/phase.h"
#include "releaser/review.h"
#include "releaser/route.h"
#include "releaser/taskdef.h"
#include "releaser/watch.h"
#include "common/error.h"
#include "common/event.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "common/banned.h"

/* The steps of a rollout, as recorded in the release's state ("phase"). */
#define PHASE_REGISTER "register"
#define PHASE_RELEASE "release"
#define PHASE_SERVICES "services"
#define PHASE_ROLLBACK "rollback"

/* ops (issue 7): the reason of a release a user cancelled starts so */
#define CANCELLED_BY "cancelled by "

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

void sw_deploy_service_name(const char *app, const char *process, struct sw_buf *out)
{
	sw_taskdef_family(app, process, out);
}

void sw_deploy_log_group(const struct sw_runenv *e, const char *app, struct sw_buf *out)
{
	sw_buf_addf(out, "%s%s", e->settings->log_group_prefix, app);
}

const char *sw_deploy_service_owner(const json_t *svc)
{
	const json_t *t;
	size_t i;
	json_array_foreach(json_object_get(svc, "tags"), i, t)
		if (str(t, "key") && !strcmp(str(t, "key"), "slipway:app"))
			return str(t, "value");
	return NULL;
}

int sw_deploy_service_owned(const json_t *svc, const char *app, const char *process)
{
	const char *owner = sw_deploy_service_owner(svc), *name = str(svc, "serviceName");
	if (owner && !strcmp(owner, app))
		return 0;
	if (!owner)
		return sw_error_code(SW_EEXISTS, "%s: the ECS service %s is not managed by slipway (no slipway:app tag): "
				     "rename the process type", process, name ? name : "?");
	return sw_error_code(SW_EEXISTS, "%s: the ECS service %s belongs to app %s (slipway:app tag), not %s: "
			     "rename the process type", process, name ? name : "?", owner, app);
}

static void app_url(const struct sw_runenv *e, const char *app, struct sw_buf *out)
{
	/* review apps (issue 8): {app} is "<slug>.<parent>" for them (releaser/review.h) */
	struct sw_buf label = SW_BUF_INIT;
	sw_review_host_label(e->db, app, &label);
	sw_review_url(e->settings->apps_url, label.ptr, out);
	sw_buf_release(&label);
}

static void human_duration(double s, struct sw_buf *out)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		sw_buf_addf(out, "%.0fs", s);
	else
		sw_buf_addf(out, "%dm%02ds", (int)s / 60, (int)s % 60);
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
	/* ops (issue 7): a release a user cancelled says so, by whom */
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
 * ops (issue 7): 1 when the cancel flag is up because a user cancelled (not because
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

static int register_taskdefs(const struct sw_runenv *e, struct sw_release *r, const struct sw_manifest *m,
			     const struct sw_formation *f)
{
	json_t *arns = json_object(), *reuse = json_object_get(r->state, "reuse");
	struct sw_buf group = SW_BUF_INIT;
	size_t i;
	int ret = 0;

	sw_deploy_log_group(e, r->app, &group);
	ensure_log_group(e, group.ptr);
	for (i = 0; i < m->nr; i++) {
		const struct sw_process *p = &m->procs[i];
		const struct sw_formation_entry *fe = sw_formation_find(f, p->name);
		struct sw_taskdef_opts o;
		json_t *req, *resp = NULL;
		const char *arn;

		if (str(reuse, p->name)) {
			json_object_set_new(arns, p->name, json_string(str(reuse, p->name)));
			continue;
		}
		memset(&o, 0, sizeof(o));
		o.app = r->app;
		o.version = r->version;
		o.proc = p;
		o.image = r->image;
		o.digest = r->digest;
		o.config = r->config;
		o.memory_mb = fe ? fe->memory_mb : p->memory_mb > 0 ? p->memory_mb : e->settings->default_memory_mb;
		o.log_group = group.ptr;
		o.region = sw_aws_client_region(e->aws);
		o.execution_role_arn = e->settings->execution_role_arn;
		o.task_role_arn = e->settings->task_role_arn;
		if (!(req = sw_taskdef_build(&o))) {
			ret = SW_EINVAL;
			goto cleanup;
		}
		ret = sw_runenv_call(e, "ecs", "RegisterTaskDefinition", req, &resp, NULL, NULL);
		json_decref(req);
		if (ret < 0)
			goto cleanup;
		arn = str(json_object_get(resp, "taskDefinition"), "taskDefinitionArn");
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
	return ret;
}

/* ---- step 4: services ---- */

struct svc_spec {
	const char *process;
	const char *taskdef;
	int desired;
	const char *target_group;  /* web: its target group, else NULL */
	int port;
};

static json_t *deployment_config(void)
{
	return json_pack("{s:{s:b, s:b}, s:i, s:i}", "deploymentCircuitBreaker", "enable", 1, "rollback", 1,
			 "maximumPercent", 200, "minimumHealthyPercent", 100);
}

/* Create or update the service of s; its answer goes to the rollout (deployment id). */
static int apply_service(const struct sw_runenv *e, const char *app, const struct svc_spec *s, int exists,
			 struct sw_rollout *ro)
{
	struct sw_buf name = SW_BUF_INIT, code = SW_BUF_INIT;
	json_t *req, *resp = NULL;
	int ret;

	sw_deploy_service_name(app, s->process, &name);
	if (exists)
		req = json_pack("{s:s, s:s, s:s, s:i, s:o}", "cluster", e->settings->cluster, "service", name.ptr,
				"taskDefinition", s->taskdef, "desiredCount", s->desired,
				"deploymentConfiguration", deployment_config());
	else
		req = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:o, s:[{s:s, s:s}]}", "cluster", e->settings->cluster,
				"serviceName", name.ptr, "taskDefinition", s->taskdef, "desiredCount", s->desired,
				"launchType", "EC2", "schedulingStrategy", "REPLICA",
				"deploymentConfiguration", deployment_config(),
				"tags", "key", "slipway:app", "value", app);
	if (s->target_group) {
		json_object_set_new(req, "loadBalancers",
				    json_pack("[{s:s, s:s, s:i}]", "targetGroupArn", s->target_group,
					      "containerName", s->process, "containerPort", s->port));
		json_object_set_new(req, "healthCheckGracePeriodSeconds",
				    json_integer(e->settings->health_grace_s));
	}
	ret = sw_runenv_call(e, "ecs", exists ? "UpdateService" : "CreateService", req, &resp, &code, NULL);
	if (ret < 0 && !exists && !strcmp(code.ptr, "InvalidParameterException") &&
	    strstr(sw_error_last(), "idempotent")) {
		/* created by an earlier attempt that died before recording it */
		json_decref(req);
		req = json_pack("{s:s, s:s, s:s, s:i, s:o}", "cluster", e->settings->cluster, "service", name.ptr,
				"taskDefinition", s->taskdef, "desiredCount", s->desired,
				"deploymentConfiguration", deployment_config());
		ret = sw_runenv_call(e, "ecs", "UpdateService", req, &resp, NULL, NULL);
	}
	if (ret == 0 && ro)
		sw_rollout_services(ro, resp, sw_runenv_now(e), NULL);
	json_decref(req);
	json_decref(resp);
	sw_buf_release(&name);
	sw_buf_release(&code);
	return ret < 0 ? sw_error_prefix("%s", s->process) : 0;
}

/*
 * Which of names (process names) have an ACTIVE service: a JSON object process → true.
 * A service of that name (ACTIVE or DRAINING) that is not the app's own (its slipway:app
 * tag) fails it with SW_EEXISTS: slipway never touches a service it does not own.
 */
static int existing_services(const struct sw_runenv *e, const char *app, const struct sw_strvec *procs,
			     json_t *out)
{
	size_t i, start;
	for (start = 0; start < procs->nr; start += 10) {
		json_t *names = json_array(), *req, *resp = NULL, *svc;
		int ret;
		for (i = start; i < procs->nr && i < start + 10; i++) {
			struct sw_buf n = SW_BUF_INIT;
			sw_deploy_service_name(app, procs->v[i], &n);
			json_array_append_new(names, json_string(n.ptr));
			sw_buf_release(&n);
		}
		req = json_pack("{s:s, s:o, s:[s]}", "cluster", e->settings->cluster, "services", names,
				"include", "TAGS");
		ret = sw_runenv_call(e, "ecs", "DescribeServices", req, &resp, NULL, NULL);
		json_decref(req);
		if (ret < 0)
			return ret;
		json_array_foreach(json_object_get(resp, "services"), i, svc) {
			const char *name = str(svc, "serviceName"), *status = str(svc, "status");
			size_t k;
			if (!name || !status)
				continue;
			for (k = start; k < procs->nr && k < start + 10; k++) {
				struct sw_buf n = SW_BUF_INIT;
				sw_deploy_service_name(app, procs->v[k], &n);
				if (!strcmp(n.ptr, name)) {
					if (strcmp(status, "INACTIVE") &&
					    (ret = sw_deploy_service_owned(svc, app, procs->v[k])) < 0) {
						sw_buf_release(&n);
						json_decref(resp);
						return ret;
					}
					if (!strcmp(status, "ACTIVE"))
						json_object_set_new(out, procs->v[k], json_true());
					else if (!strcmp(status, "DRAINING")) {
						sw_buf_release(&n);
						json_decref(resp);
						return sw_error("service %s is still being deleted (DRAINING); "
								"try again in a minute", name);
					}
				}
				sw_buf_release(&n);
			}
		}
		json_decref(resp);
	}
	return 0;
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
	ret = existing_services(e, app, &procs, exists);
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

static int watch(const struct sw_runenv *e, struct sw_release *r, struct sw_rollout *ro, const char *key)
{
	struct saver sv = { e, r, key };
	struct sw_watch w;
	memset(&w, 0, sizeof(w));
	w.cluster = e->settings->cluster;
	w.version = r->version;
	w.target_group_arn = str(r->state, "target_group");
	w.save = save_rollout;
	w.save_ctx = &sv;
	return sw_watch_run(e, ro, &w);
}

/* ---- step 6: after the verdict ---- */

/* Scale a process's service to 0 and delete it (a process type the app no longer has). */
static void remove_service(const struct sw_runenv *e, const char *app, const char *process)
{
	struct sw_buf name = SW_BUF_INIT;
	json_t *req, *resp = NULL;
	const json_t *svc;
	int ret;

	sw_deploy_service_name(app, process, &name);
	/* never another app's service (or one slipway did not make) of the same name */
	req = json_pack("{s:s, s:[s], s:[s]}", "cluster", e->settings->cluster, "services", name.ptr, "include", "TAGS");
	ret = sw_runenv_call(e, "ecs", "DescribeServices", req, &resp, NULL, NULL);
	json_decref(req);
	svc = json_array_get(json_object_get(resp, "services"), 0);
	if (ret == 0 && svc && str(svc, "status") && strcmp(str(svc, "status"), "INACTIVE") &&
	    sw_deploy_service_owned(svc, app, process) < 0)
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
	finish(e, r, SW_RELEASE_LIVE, NULL);
	human_duration(r->finished_at - r->started_at, &took);
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
	const json_t *ptd = prev ? json_object_get(prev->state, "taskdefs") : NULL;
	const char *name;
	json_t *v;
	int ret;
	struct sw_runenv shielded;

	/* ops (issue 7): a rollback is what a user's cancel asks for: only a stop interrupts it */
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
		json_object_foreach(json_object_get(r->state, "taskdefs"), name, v) {
			const struct sw_formation_entry *pe = sw_formation_find(&pf, name);
			const struct sw_process *pp = prev ? sw_manifest_find(&pm, name) : NULL;
			const struct sw_rollout_proc *fp = NULL;
			struct sw_rollout_proc *rp;
			struct svc_spec s;
			struct sw_buf svc = SW_BUF_INIT;
			size_t i;

			if (!sw_formation_find(&f, name))
				continue;   /* the release process */
			sw_deploy_service_name(r->app, name, &svc);
			for (i = 0; failed && i < failed->nr; i++)
				if (!strcmp(failed->v[i].process, name))
					fp = &failed->v[i];
			memset(&s, 0, sizeof(s));
			s.process = name;
			if (pe && pp && str(ptd, name)) {
				s.taskdef = str(ptd, name);
				s.desired = pe->count;
				if (pp->web && str(prev->state, "target_group")) {
					s.target_group = str(prev->state, "target_group");
					s.port = pp->port;
				}
			} else {
				/* new in r: nothing to return to */
				s.taskdef = json_string_value(v);
				s.desired = 0;
			}
			rp = sw_rollout_add(&rb, name, svc.ptr, s.taskdef, s.desired, pe ? pe->memory_mb : 0);
			rp->load_balanced = s.target_group != NULL;
			rp->container_health = pp && pp->health.command.nr;
			if (fp && fp->rolled_back && fp->restore_taskdef && !strcmp(fp->restore_taskdef, s.taskdef) &&
			    fp->restore_deployment) {
				/* ECS's circuit breaker is already taking it back: watch that */
				rp->deployment = xstrdup(fp->restore_deployment);
			} else if (apply_service(e, r->app, &s, 1, &rb) < 0) {
				sw_log(SW_LOG_ERROR, r->app, e->job, "rollback: %s", sw_error_last());
				sw_buf_addf(&why, "; rollback of %s failed: %s", name, sw_error_last());
			}
			sw_buf_release(&svc);
		}
		json_object_set_new(r->state, "rollback", sw_rollout_to_json(&rb));
		save(e, r);
	}
	ret = watch(e, r, &rb, "rollback");
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
		human_duration((double)(sw_runenv_now(e) - rb.started_at) / 1000.0, &took);
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
		/* ops (issue 7): a user's cancel: back to the last live release, like a failure */
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
	struct sw_rollout ro;
	json_t *exists = json_object();
	const json_t *tds = json_object_get(r->state, "taskdefs");
	size_t i;
	int ret;

	for (i = 0; i < f->nr; i++)
		sw_strvec_push(&procs, f->v[i].process);
	if ((ret = existing_services(e, r->app, &procs, exists)) < 0) {
		/* nothing changed yet (a read): the release failed, unless slipwayd stops or a
		 * user cancelled (sw_deploy_release's cleanup decides those) */
		if (ret != SW_ECANCEL)
			ret = fail_unchanged(e, r);
		sw_strvec_clear(&procs);
		json_decref(exists);
		return ret;
	}
	rollout_settings(e, &ro, m);
	for (i = 0; i < f->nr; i++) {
		const struct sw_process *p = sw_manifest_find(m, f->v[i].process);
		struct sw_buf svc = SW_BUF_INIT;
		struct sw_rollout_proc *rp;
		sw_deploy_service_name(r->app, f->v[i].process, &svc);
		rp = sw_rollout_add(&ro, f->v[i].process, svc.ptr, str(tds, f->v[i].process) ? str(tds, f->v[i].process) : "",
				    f->v[i].count, f->v[i].memory_mb);
		rp->container_health = p && p->health.command.nr;
		rp->load_balanced = p && p->web && str(r->state, "target_group");
		sw_buf_release(&svc);
	}
	/* recorded before any service changes, so a restart knows to watch them */
	json_object_set_new(r->state, "rollout", sw_rollout_to_json(&ro));
	set_phase(e, r, PHASE_SERVICES);
	for (i = 0; i < f->nr; i++) {
		const struct sw_process *p = sw_manifest_find(m, f->v[i].process);
		struct svc_spec s;
		memset(&s, 0, sizeof(s));
		s.process = f->v[i].process;
		s.taskdef = str(tds, s.process);
		s.desired = f->v[i].count;
		if (p && p->web && str(r->state, "target_group")) {
			s.target_group = str(r->state, "target_group");
			s.port = p->port;
		}
		if (!s.taskdef) {
			ret = sw_error("%s: no task definition registered", s.process);
			break;
		}
		if ((ret = apply_service(e, r->app, &s, json_is_true(json_object_get(exists, s.process)), &ro)) < 0)
			break;
	}
	if (ret < 0) {
		/* some services may have changed: treat as a failed rollout */
		struct sw_buf why = SW_BUF_INIT;
		struct sw_release prev;
		int have;
		if (ret == SW_ECANCEL && user_cancelled(e, &why))   /* ops (issue 7) */
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
		ret = conclude(e, r, &ro, watch(e, r, &ro, "rollout"), m, f);
	}
	sw_rollout_release(&ro);
	sw_strvec_clear(&procs);
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
	struct sw_phase ph;
	int ret;

	memset(&ph, 0, sizeof(ph));
	sw_deploy_log_group(e, r->app, &group);
	ph.cluster = e->settings->cluster;
	ph.taskdef = str(json_object_get(r->state, "taskdefs"), "release");
	ph.log_group = group.ptr;
	ph.version = r->version;
	ph.command = rel->command.nr == 3 && !strcmp(rel->command.v[0], "/bin/sh") ? rel->command.v[2]
		   : rel->command.nr ? rel->command.v[0] : NULL;
	if (str(r->state, "release_task"))
		ph.task_arn = xstrdup(str(r->state, "release_task"));
	ph.started = release_task_started;
	ph.started_ctx = &sv;
	ret = sw_phase_run(e, &ph);
	if (ret == SW_ECANCEL && user_cancelled(e, &cancelled)) {
		/* ops (issue 7): a user's cancel: the release task is stopped, no service changed */
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
	return ret;
}

int sw_deploy_release(const struct sw_runenv *e, struct sw_release *r)
{
	struct sw_manifest m = SW_MANIFEST_INIT;
	struct sw_formation f = SW_FORMATION_INIT;
	struct sw_buf desc = SW_BUF_INIT, why = SW_BUF_INIT;
	const struct sw_process *web;
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

	/* a service of our name that another app (or no slipway) owns: refused, nothing changed */
	if ((ret = check_owned(e, r->app, &f)) < 0)
		goto failed_early;
	set_phase(e, r, PHASE_REGISTER);
	if ((ret = register_taskdefs(e, r, &m, &f)) < 0)
		goto failed_early;
	if (e->settings->load_balancer && (web = sw_manifest_web(&m)) && sw_formation_find(&f, web->name)) {
		struct sw_route route = SW_ROUTE_INIT;
		if ((ret = sw_route_ensure(e, r->app, web->port, m.healthcheck_path, &route)) < 0)
			goto failed_early;
		json_object_set_new(r->state, "target_group", json_string(route.target_group_arn));
		save(e, r);
		sw_route_release(&route);
	}
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
	 * ops (issue 7): a user's cancel before any service changed (task definitions, route,
	 * between steps) fails the release here; once services changed, the paths above
	 * rolled back. Only slipwayd stopping leaves it deploying, for the restart to resume.
	 */
	if (ret == SW_ECANCEL && r->status == SW_RELEASE_DEPLOYING && user_cancelled(e, &why)) {
		const char *phase = str(r->state, "phase");
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
	sw_buf_release(&desc);
	return ret;
}

int sw_deploy_resume(const struct sw_runenv *e, struct sw_release *r)
{
	struct sw_manifest m = SW_MANIFEST_INIT;
	struct sw_formation f = SW_FORMATION_INIT;
	const char *phase = str(r->state, "phase");
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
		/* nothing had changed in ECS but task definitions: start the services step over */
		if ((ret = register_taskdefs(e, r, &m, &f)) == 0) {
			const struct sw_process *web = sw_manifest_web(&m);
			if (e->settings->load_balancer && web && sw_formation_find(&f, web->name)) {
				struct sw_route route = SW_ROUTE_INIT;
				if ((ret = sw_route_ensure(e, r->app, web->port, m.healthcheck_path, &route)) == 0)
					json_object_set_new(r->state, "target_group", json_string(route.target_group_arn));
				sw_route_release(&route);
			}
		}
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
			ret = conclude(e, r, &ro, watch(e, r, &ro, "rollout"), &m, &f);
			sw_rollout_release(&ro);
		}
	} else if (!strcmp(phase, PHASE_ROLLBACK)) {
		struct sw_rollout rb;
		struct sw_release prev;
		int to = (int)json_integer_value(json_object_get(r->state, "rollback_to"));
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

/* ---- making releases ---- */

/* The release the next one starts from: the live one, else the newest. 1 found, 0 none. */
static int base_release(const struct sw_runenv *e, const char *app, struct sw_release *out)
{
	int ret = sw_release_load_live(e->db, app, out);
	if (ret == SW_ENOTFOUND)
		ret = sw_release_load_latest(e->db, app, out);
	if (ret == SW_ENOTFOUND)
		return 0;
	return ret < 0 ? ret : 1;
}

static void fill_new(struct sw_release *n, const char *app, enum sw_release_kind kind, const char *desc,
		     const char *created_by, const struct sw_runenv *e)
{
	sw_release_init(n);
	n->app = xstrdup(app);
	n->kind = kind;
	n->description = xstrdup(desc);
	n->created_by = xstrdup(created_by ? created_by : "");
	n->job_id = e->job;
	n->created_at = sw_runenv_seconds(e);
}

static void copy_image(struct sw_release *n, const struct sw_release *from)
{
	n->commit = from->commit ? xstrdup(from->commit) : NULL;
	n->image = from->image ? xstrdup(from->image) : NULL;
	n->digest = from->digest ? xstrdup(from->digest) : NULL;
	json_decref(n->manifest);
	n->manifest = json_deep_copy(from->manifest);
}

static int make_and_deploy(const struct sw_runenv *e, struct sw_release *n, int *version)
{
	int ret;
	if ((ret = sw_release_insert(e->db, n)) < 0)
		return ret;
	if (version)
		*version = n->version;
	sw_log(SW_LOG_INFO, n->app, e->job, "v%d: %s", n->version, n->description);
	sw_event_emit(e->db, n->app, "release.created", n->version, n->job_id, n->created_by, "v%d: %s", n->version,
		      n->description);
	if (n->kind == SW_RELEASE_CONFIG)   /* names only, never values */
		sw_event_emit(e->db, n->app, "config.changed", n->version, n->job_id, n->created_by, "v%d: %s",
			      n->version, n->description);
	else if (n->kind == SW_RELEASE_SCALE)
		sw_event_emit(e->db, n->app, "scale", n->version, n->job_id, n->created_by, "v%d: %s", n->version,
			      n->description);
	return sw_deploy_release(e, n);
}

static int rollback_to(const struct sw_runenv *e, const char *app, int target, int force, const char *created_by,
		       const char *via, int *version)
{
	struct sw_release live, t, n;
	struct sw_manifest tm = SW_MANIFEST_INIT;
	struct sw_formation lf = SW_FORMATION_INIT, tf = SW_FORMATION_INIT, nf = SW_FORMATION_INIT;
	struct sw_buf desc = SW_BUF_INIT;
	struct sw_review rv = SW_REVIEW_INIT;
	int have_live, ret, review;
	size_t i;

	sw_release_init(&live);
	sw_release_init(&t);
	sw_release_init(&n);
	have_live = sw_release_load_live(e->db, app, &live);
	if (have_live < 0 && have_live != SW_ENOTFOUND) {
		ret = have_live;
		goto cleanup;
	}
	/* review apps (issue 8): an earlier life's releases are retired, none runs any more */
	review = sw_review_load(e->db, app, &rv) == 0;
	have_live = have_live == 0 && !(review && sw_review_retired(&rv, live.created_at));
	if (!target) {
		/* the release that was live before the live one */
		struct sw_release *found = NULL;
		int v;
		if (!have_live) {
			ret = sw_error_code(SW_EINVAL, "%s has no live release to roll back from", app);
			goto cleanup;
		}
		for (v = live.version - 1; v > 0 && !found; v--) {
			if (sw_release_load(e->db, app, v, &t) == 0 && t.status == SW_RELEASE_LIVE &&
			    !(review && sw_review_retired(&rv, t.created_at)))
				found = &t;
		}
		if (!found) {
			ret = sw_error_code(SW_EINVAL, "no release before v%d went live", live.version);
			goto cleanup;
		}
	} else if ((ret = sw_release_load(e->db, app, target, &t)) < 0) {
		ret = SW_EINVAL;
		goto cleanup;
	}
	if (have_live && t.version == live.version) {
		ret = sw_error_code(SW_EINVAL, "v%d is already live", t.version);
		goto cleanup;
	}
	if (review && sw_review_retired(&rv, t.created_at)) {
		ret = sw_error_code(SW_EINVAL, "v%d is retired: review app %s was destroyed since, with its image", t.version,
				    app);
		goto cleanup;
	}
	if (t.status != SW_RELEASE_LIVE && !force) {
		ret = sw_error_code(SW_EINVAL, "v%d never went live (%s%s%s); use --force to roll back to it anyway",
				    t.version, sw_release_status_name(t.status), t.reason ? ": " : "",
				    t.reason ? t.reason : "");
		goto cleanup;
	}
	if (!t.image || !t.digest) {
		ret = sw_error_code(SW_EINVAL, "v%d has no image to roll back to", t.version);
		goto cleanup;
	}
	if (have_live && t.version < live.version && sw_release_ran_between(e->db, app, t.version, live.version) == 1)
		sw_runenv_report(e, "-----> note: a release process ran after v%d; what it changed (schema, data) "
				 "is not rolled back", t.version);

	sw_buf_addf(&desc, "rollback to v%d%s%s", t.version, via ? " " : "", via ? via : "");
	fill_new(&n, app, SW_RELEASE_ROLLBACK, desc.ptr, created_by, e);
	copy_image(&n, &t);
	json_decref(n.config);
	n.config = json_deep_copy(t.config);
	n.rollback_of = t.version;
	/* the formation stays the live one for the process types vN has */
	if (sw_manifest_from_json(&tm, t.manifest) < 0 || sw_formation_from_json(&tf, t.formation) < 0 ||
	    (have_live && sw_formation_from_json(&lf, live.formation) < 0)) {
		ret = SW_ERROR;
		goto cleanup;
	}
	sw_formation_plan(&nf, &tm, have_live ? &lf : &tf, e->settings->default_memory_mb);
	for (i = 0; i < nf.nr; i++) {
		const struct sw_formation_entry *src = have_live ? sw_formation_find(&lf, nf.v[i].process) : NULL;
		if (!src)
			src = sw_formation_find(&tf, nf.v[i].process);
		if (src) {
			nf.v[i].count = src->count;
			nf.v[i].memory_mb = src->memory_mb;
			nf.v[i].scaled_count = src->scaled_count;
			nf.v[i].scaled_memory = src->scaled_memory;
		}
	}
	json_decref(n.formation);
	n.formation = sw_formation_to_json(&nf);
	ret = make_and_deploy(e, &n, version);
cleanup:
	sw_release_release(&live);
	sw_release_release(&t);
	sw_release_release(&n);
	sw_manifest_release(&tm);
	sw_formation_release(&lf);
	sw_formation_release(&tf);
	sw_formation_release(&nf);
	sw_buf_release(&desc);
	sw_review_release(&rv);
	return ret;
}

int sw_deploy_rollback(const struct sw_runenv *e, const char *app, int target, int force,
		       const char *created_by, int *version)
{
	if (version)
		*version = 0;
	if (target < 0)
		return sw_error_code(SW_EINVAL, "release versions start at v1");
	if (sw_review_check_active(e->db, app) < 0)
		return SW_EINVAL;
	return rollback_to(e, app, target, force, created_by, NULL, version);
}

struct commit_match {
	const char *commit;
	int live_version;
	int found;
	double since;   /* review apps (issue 8): releases made before this are history */
};

static int match_commit(void *ctx, const struct sw_release *r)
{
	struct commit_match *cm = ctx;
	if (!cm->found && r->status == SW_RELEASE_LIVE && r->version != cm->live_version && r->commit &&
	    !strcmp(r->commit, cm->commit) && r->created_at >= cm->since)
		cm->found = r->version;
	return 0;
}

int sw_deploy_push(const struct sw_runenv *e, const struct sw_push *p, int *version)
{
	struct sw_release base, n;
	struct sw_formation bf = SW_FORMATION_INIT, nf = SW_FORMATION_INIT;
	struct sw_buf desc = SW_BUF_INIT;
	struct commit_match cm = { p->commit, 0, 0, 0 };
	struct sw_review rv = SW_REVIEW_INIT;
	int have, ret, review;
	size_t i;

	if (version)
		*version = 0;
	if (!p->app || !p->commit || !p->image || !p->digest || !p->have_manifest)
		return sw_error_code(SW_EINVAL, "a push release needs app, commit, image, digest and manifest");
	sw_release_init(&base);
	sw_release_init(&n);
	if ((have = base_release(e, p->app, &base)) < 0) {
		ret = have;
		goto cleanup;
	}
	/* review apps (issue 8): the first release after the review app was (re)created starts
	 * from the config copied from its parent then; an earlier life's releases are history */
	review = sw_review_load(e->db, p->app, &rv) == 0 && rv.active;
	if (review && have && base.created_at < rv.created_at)
		have = 0;
	if (review)
		cm.since = rv.created_at;
	/* a commit that was live before (git push -f deploy v5:main): a rollback to it */
	if (have && base.status == SW_RELEASE_LIVE)
		cm.live_version = base.version;
	if ((ret = sw_release_list(e->db, p->app, 0, match_commit, &cm)) < 0)
		goto cleanup;
	if (cm.found) {
		struct sw_buf via = SW_BUF_INIT;
		sw_buf_addf(&via, "(git push of %.7s)", p->commit);
		ret = rollback_to(e, p->app, cm.found, 0, p->created_by, via.ptr, version);
		sw_buf_release(&via);
		goto cleanup;
	}
	if (p->manifest.warning)
		sw_runenv_report(e, "-----> warning: %s", p->manifest.warning);
	if (have && sw_formation_from_json(&bf, base.formation) < 0) {
		ret = sw_error("v%d: stored formation is malformed", base.version);
		goto cleanup;
	}
	sw_formation_plan(&nf, &p->manifest, have ? &bf : NULL, e->settings->default_memory_mb);
	for (i = 0; review && i < nf.nr; i++)   /* review apps: one task a process type, unless scaled */
		if (!nf.v[i].scaled_count)
			nf.v[i].count = 1;
	if (!nf.nr) {
		ret = sw_error_code(SW_EINVAL, "%s: nothing to run (only a release process)", p->manifest.source);
		goto cleanup;
	}
	sw_buf_addf(&desc, "deploy %.7s", p->commit);
	fill_new(&n, p->app, SW_RELEASE_PUSH, desc.ptr, p->created_by, e);
	n.job_id = p->job ? p->job : e->job;
	n.commit = xstrdup(p->commit);
	n.image = xstrdup(p->image);
	n.digest = xstrdup(p->digest);
	if (have) {
		json_decref(n.config);
		n.config = json_deep_copy(base.config);
	} else if (review) {
		json_decref(n.config);
		n.config = json_deep_copy(rv.seed_config);
	}
	json_decref(n.formation);
	n.formation = sw_formation_to_json(&nf);
	json_decref(n.manifest);
	n.manifest = sw_manifest_to_json(&p->manifest);
	ret = make_and_deploy(e, &n, version);
cleanup:
	sw_review_release(&rv);
	sw_release_release(&base);
	sw_release_release(&n);
	sw_formation_release(&bf);
	sw_formation_release(&nf);
	sw_buf_release(&desc);
	return ret;
}

int sw_deploy_config(const struct sw_runenv *e, const char *app, int unset, const char *const *args,
		     size_t nargs, const char *created_by, int *version)
{
	struct sw_release base, n;
	struct sw_buf summary = SW_BUF_INIT;
	json_t *config = NULL;
	int have, ret;

	if (version)
		*version = 0;
	if (sw_review_check_active(e->db, app) < 0)   /* a destroyed review app comes back by a push only */
		return SW_EINVAL;
	sw_release_init(&base);
	sw_release_init(&n);
	if ((have = base_release(e, app, &base)) <= 0) {
		ret = have < 0 ? have : sw_error_code(SW_EINVAL, "%s has no release yet: push it first", app);
		goto cleanup;
	}
	config = json_deep_copy(base.config);
	ret = unset ? sw_appconfig_unset(config, args, nargs, &summary)
		    : sw_appconfig_set(config, args, nargs, &summary);
	if (ret < 0)
		goto cleanup;
	if (ret == 0) {
		sw_runenv_report(e, "-----> no change: the config of v%d already says so", base.version);
		goto cleanup;
	}
	fill_new(&n, app, SW_RELEASE_CONFIG, summary.ptr, created_by, e);
	copy_image(&n, &base);
	json_decref(n.config);
	n.config = config;
	config = NULL;
	json_decref(n.formation);
	n.formation = json_deep_copy(base.formation);
	ret = make_and_deploy(e, &n, version);
cleanup:
	json_decref(config);
	sw_release_release(&base);
	sw_release_release(&n);
	sw_buf_release(&summary);
	return ret;
}

/* Room check for a scale: the cluster's free memory against what the changes add. */
static int check_room(const struct sw_runenv *e, const struct sw_formation *before,
		      const struct sw_formation *after, const struct sw_formation *changes)
{
	struct sw_rollout tmp;
	json_t *req, *list = NULL, *desc = NULL;
	size_t i;
	int ret = 0;

	sw_rollout_init(&tmp, 0, 0);
	req = json_pack("{s:s, s:i}", "cluster", e->settings->cluster, "maxResults", 100);
	if (sw_runenv_call(e, "ecs", "ListContainerInstances", req, &list, NULL, NULL) < 0)
		goto unknown;
	json_decref(req);
	req = json_pack("{s:s, s:O}", "cluster", e->settings->cluster, "containerInstances",
			json_object_get(list, "containerInstanceArns"));
	if (!json_array_size(json_object_get(list, "containerInstanceArns")) ||
	    sw_runenv_call(e, "ecs", "DescribeContainerInstances", req, &desc, NULL, NULL) < 0)
		goto unknown;
	sw_rollout_instances(&tmp, desc);
	for (i = 0; i < changes->nr; i++) {
		const struct sw_formation_entry *a = sw_formation_find(after, changes->v[i].process);
		const struct sw_formation_entry *b = sw_formation_find(before, changes->v[i].process);
		int room = sw_rollout_room(&tmp, a->memory_mb);
		/* same memory: the running tasks stay; new memory: new tasks start beside the old */
		int keep = b && b->memory_mb == a->memory_mb ? b->count : 0;
		if (room >= 0 && a->count > keep + room) {
			ret = sw_error_code(SW_EINVAL, "%s needs %d \xc3\x97 %d MB; the cluster has room for %d",
					    a->process, a->count, a->memory_mb, keep + room);
			break;
		}
	}
	goto cleanup;
unknown:
	sw_log(SW_LOG_WARN, e->app, e->job, "scale: cluster capacity unknown (%s); not checked", sw_error_last());
cleanup:
	json_decref(req);
	json_decref(list);
	json_decref(desc);
	sw_rollout_release(&tmp);
	return ret;
}

int sw_deploy_scale(const struct sw_runenv *e, const char *app, const char *const *args, size_t nargs,
		    const char *created_by, int *version)
{
	struct sw_release base, n;
	struct sw_formation before = SW_FORMATION_INIT, after = SW_FORMATION_INIT, changes = SW_FORMATION_INIT;
	struct sw_buf desc = SW_BUF_INIT;
	json_t *reuse = NULL;
	const json_t *tds;
	size_t i;
	int have, ret;

	if (version)
		*version = 0;
	if (sw_review_check_active(e->db, app) < 0)   /* a destroyed review app comes back by a push only */
		return SW_EINVAL;
	sw_release_init(&base);
	sw_release_init(&n);
	if ((ret = sw_formation_parse(&changes, args, nargs)) < 0)
		goto cleanup;
	if ((have = base_release(e, app, &base)) <= 0) {
		ret = have < 0 ? have : sw_error_code(SW_EINVAL, "%s has no release yet: push it first", app);
		goto cleanup;
	}
	if (sw_formation_from_json(&before, base.formation) < 0 || sw_formation_from_json(&after, base.formation) < 0) {
		ret = sw_error("v%d: stored formation is malformed", base.version);
		goto cleanup;
	}
	if ((ret = sw_formation_apply(&after, &changes)) < 0)
		goto cleanup;
	if (ret == 0) {
		struct sw_buf now = SW_BUF_INIT;
		sw_formation_describe(&after, 1, &now);
		sw_runenv_report(e, "-----> no change: %s already runs %s", app, now.ptr);
		sw_buf_release(&now);
		goto cleanup;
	}
	if ((ret = check_room(e, &before, &after, &changes)) < 0)
		goto cleanup;
	sw_buf_adds(&desc, "scale ");
	for (i = 0; i < nargs; i++)
		sw_buf_addf(&desc, "%s%s", i ? " " : "", args[i]);
	fill_new(&n, app, SW_RELEASE_SCALE, desc.ptr, created_by, e);
	copy_image(&n, &base);
	json_decref(n.config);
	n.config = json_deep_copy(base.config);
	json_decref(n.formation);
	n.formation = sw_formation_to_json(&after);
	/* a process whose memory stays keeps its task definition: its tasks are not replaced */
	reuse = json_object();
	tds = json_object_get(base.state, "taskdefs");
	if (base.status == SW_RELEASE_LIVE)
		for (i = 0; i < after.nr; i++) {
			const struct sw_formation_entry *b = sw_formation_find(&before, after.v[i].process);
			if (b && b->memory_mb == after.v[i].memory_mb && str(tds, after.v[i].process))
				json_object_set_new(reuse, after.v[i].process, json_string(str(tds, after.v[i].process)));
		}
	if (base.status == SW_RELEASE_LIVE && str(tds, "release"))
		json_object_set_new(reuse, "release", json_string(str(tds, "release")));
	json_object_set(n.state, "reuse", reuse);
	ret = make_and_deploy(e, &n, version);
cleanup:
	json_decref(reuse);
	sw_release_release(&base);
	sw_release_release(&n);
	sw_formation_release(&before);
	sw_formation_release(&after);
	sw_formation_release(&changes);
	sw_buf_release(&desc);
	return ret;
}
