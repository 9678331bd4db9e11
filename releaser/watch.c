#include <stdlib.h>
#include <string.h>

#include "releaser/watch.h"
#include "releaser/crashlog.h"
#include "releaser/pager.h"
#include "releaser/strategy.h"
#include "common/error.h"
#include "common/event.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "common/banned.h"

/*
 * How often what a poll does not need is read all the same: a process's tasks (and
 * its targets), whose changes the service itself shows, and the container instances
 * (capacity, instance ids, whether their agent is connected), which change even less.
 */
#define TASKS_EVERY_MS 10000
#define TARGETS_EVERY_MS 1000     /* while a running task's target is not yet healthy */
#define INSTANCES_EVERY_MS 5000   /* while ECS cannot place a task, or no agent is connected */
#define AGENTS_EVERY_MS 10000     /* otherwise while waiting: an agent gone (Docker stopped) stops the deadline */

/*
 * One AWS call of the watcher, counted in r->requests. The service and the operation
 * come right after e, as in sw_runenv_call(), so that test/integration/aws/test_policy.py
 * reads them.
 */
static int call(const struct sw_runenv *e, const char *service, const char *op, struct sw_rollout *r,
		const json_t *req, json_t **resp, int *throttled)
{
	r->requests++;
	return sw_runenv_call(e, service, op, req, resp, NULL, throttled);
}

/* Every page of a list (releaser/pager.h), items of key appended to out, each request counted. */
struct paged {
	struct sw_rollout *r;
	const char *key;
	json_t *out;
};

static int count_page(void *ctx, const json_t *page)
{
	struct paged *c = ctx;
	c->r->requests++;
	json_array_extend(c->out, json_object_get(page, c->key));
	return 0;
}

static int pages_call(const struct sw_runenv *e, const char *service, const char *op, struct sw_rollout *r,
		      const json_t *req, const char *key, json_t *out, int *throttled)
{
	struct paged c = { r, key, out };
	int ret = sw_pager_call(e, service, op, req, count_page, &c, NULL, throttled);
	if (ret < 0)
		r->requests++;   /* the request that failed */
	return ret;
}

/* items in batches of 100 (DescribeTasks, DescribeContainerInstances), every batch counted. */
static int batch_call(const struct sw_runenv *e, const char *service, const char *op, struct sw_rollout *r,
		      const json_t *req, const char *key, const json_t *items, json_t *out, int *throttled)
{
	r->requests += (int)((json_array_size(items) + 99) / 100);
	return sw_pager_batch_call(e, service, op, req, key, items, 100, key, out, NULL, throttled);
}

/*
 * A failed call: stop for cancel and credentials, and for an endpoint that did not
 * answer for as long as the env waits (sw_watch_poll fails the rollout with its words);
 * note throttling, carry on otherwise.
 */
static int call_failed(const struct sw_runenv *e, int ret, int throttled, int *any_throttled, int *errors)
{
	if (ret == SW_ECANCEL || ret == SW_EAUTH || (ret == SW_EUNAVAIL && e->patience_ms > 0))
		return ret;
	if (throttled)
		*any_throttled = 1;
	else
		(*errors)++;
	return 0;
}

/* The task ARNs of deployment, running and stopped, every page. 1 when a call failed in a way to retry. */
static int list_tasks(const struct sw_runenv *e, struct sw_rollout *r, const struct sw_watch *w,
		      const char *deployment, json_t *arns, int *throttled, int *errors)
{
	static const char *const states[] = { "RUNNING", "STOPPED" };
	size_t k;
	for (k = 0; k < 2; k++) {
		json_t *req = json_pack("{s:s, s:s, s:s, s:i}", "cluster", w->cluster, "startedBy", deployment,
					"desiredStatus", states[k], "maxResults", 100);
		int t = 0, ret = pages_call(e, "ecs", "ListTasks", r, req, "taskArns", arns, &t);
		json_decref(req);
		if (ret < 0) {
			if ((ret = call_failed(e, ret, t, throttled, errors)) < 0)
				return ret;
			return 1;
		}
	}
	return 0;
}

/* 1 when the tasks were read (fed), 0 when a call failed (try again next poll), negative to stop. */
static int poll_tasks(const struct sw_runenv *e, struct sw_rollout *r, struct sw_rollout_proc *p,
		      const struct sw_watch *w, long long now, int *throttled, int *errors)
{
	json_t *arns = json_array(), *req = json_pack("{s:s}", "cluster", w->cluster);
	json_t *resp = json_pack("{s:[]}", "tasks");
	int ret, t = 0;

	if ((ret = list_tasks(e, r, w, p->deployment, arns, throttled, errors)) != 0)
		goto cleanup;
	/* no task: no DescribeTasks (a batch of none is not sent), the process fed none */
	if ((ret = batch_call(e, "ecs", "DescribeTasks", r, req, "tasks", arns, json_object_get(resp, "tasks"), &t)) < 0) {
		ret = call_failed(e, ret, t, throttled, errors);
		goto cleanup;
	}
	sw_rollout_tasks(r, p, resp, now);
	ret = 1;
cleanup:
	json_decref(arns);
	json_decref(req);
	json_decref(resp);
	return ret < 0 ? ret : ret == 1;
}

/* The cluster's container instances, every page (on Fargate only once an EC2 task showed up). */
static int poll_instances(const struct sw_runenv *e, struct sw_rollout *r, const struct sw_watch *w,
			  long long now, int *throttled, int *errors)
{
	json_t *req = json_pack("{s:s, s:i}", "cluster", w->cluster, "maxResults", 100), *arns = json_array();
	json_t *all = json_pack("{s:[]}", "containerInstances");
	int ret, t = 0;

	if ((ret = pages_call(e, "ecs", "ListContainerInstances", r, req, "containerInstanceArns", arns, &t)) == 0) {
		r->instances_at = now;
		json_object_del(req, "maxResults");
		ret = batch_call(e, "ecs", "DescribeContainerInstances", r, req, "containerInstances", arns,
			    json_object_get(all, "containerInstances"), &t);
	}
	if (ret < 0)
		ret = call_failed(e, ret, t, throttled, errors);
	else if (json_array_size(arns))
		sw_rollout_instances(r, all);
	json_decref(req);
	json_decref(arns);
	json_decref(all);
	return ret;
}

static int poll_targets(const struct sw_runenv *e, struct sw_rollout *r, struct sw_rollout_proc *p,
			const struct sw_watch *w, long long now, int *throttled, int *errors)
{
	json_t *req = json_pack("{s:s}", "TargetGroupArn", w->target_group_arn), *resp = NULL, *d;
	struct sw_rollout_target *ts = NULL;
	size_t i, n;
	int ret, t = 0;
	if ((ret = call(e, "elbv2", "DescribeTargetHealth", r, req, &resp, &t)) < 0) {
		ret = call_failed(e, ret, t, throttled, errors);
		goto cleanup;
	}
	if (w->alt_target_group_arn) {   /* the new tasks may be in either group */
		json_t *alt = NULL;
		json_object_set_new(req, "TargetGroupArn", json_string(w->alt_target_group_arn));
		if ((ret = call(e, "elbv2", "DescribeTargetHealth", r, req, &alt, &t)) < 0) {
			ret = call_failed(e, ret, t, throttled, errors);
			goto cleanup;
		}
		json_array_extend(json_object_get(resp, "TargetHealthDescriptions"),
				  json_object_get(alt, "TargetHealthDescriptions"));
		json_decref(alt);
	}
	n = json_array_size(json_object_get(resp, "TargetHealthDescriptions"));
	ts = xcalloc(n + 1, sizeof(*ts));
	json_array_foreach(json_object_get(resp, "TargetHealthDescriptions"), i, d) {
		const json_t *tg = json_object_get(d, "Target"), *port = json_object_get(tg, "Port");
		ts[i].id = sw_json_str(tg, "Id");
		ts[i].port = json_is_integer(port) ? (int)json_integer_value(port) : 0;
		ts[i].state = sw_json_str(json_object_get(d, "TargetHealth"), "State");
	}
	sw_rollout_targets(r, p, ts, n, now);
cleanup:
	free(ts);
	json_decref(req);
	json_decref(resp);
	return ret;
}

/*
 * A running task of our deployment that was not there at the last poll,
 * while a crashed one is not yet accounted for, is ECS replacing it: event task.replaced.
 */
static void report_replaced(const struct sw_runenv *e, struct sw_rollout_proc *p, const struct sw_watch *w,
			    const struct sw_strvec *known)
{
	size_t k, i;
	for (k = 0; k < p->tasks_nr && p->replaced < p->crashes; k++) {
		const char *arn = p->tasks[k].arn, *id;
		int seen = 0;
		for (i = 0; i < known->nr && !seen; i++)
			seen = !strcmp(known->v[i], arn);
		if (seen || !arn)
			continue;
		p->replaced++;
		id = strrchr(arn, '/') ? strrchr(arn, '/') + 1 : arn;
		if (e->db)
			sw_event_emit(e->db, e->app, "task.replaced", w->version, e->job, NULL,
				      "%s: task %.8s started in place of a stopped one (%s)", p->process, id,
				      p->last_crash ? p->last_crash : "stopped");
	}
}

/*
 * Does p's state need reading beyond its service? Its tasks when the service reads
 * differently than at the last poll (a task started, stopped, failed; a deployment
 * moved on), when the tasks' container health is awaited, and every TASKS_EVERY_MS
 * anyway; its targets with its tasks, and on every poll while a running task's target
 * is not yet healthy (at most every TARGETS_EVERY_MS: the rollout's end shows in the
 * service, the targets only make the count of healthy tasks).
 */
static int needs_tasks(const struct sw_rollout_proc *p, long long now)
{
	return !p->tasks_fed || p->changed || now - p->tasks_at >= TASKS_EVERY_MS ||
	       (p->container_health && p->new_healthy < p->new_running);
}

static int needs_targets(const struct sw_rollout_proc *p, const struct sw_watch *w, int tasks_read, long long now)
{
	return p->load_balanced && w->target_group_arn &&
	       (tasks_read || !p->targets_fed ||
		(p->new_healthy < p->new_running && now - p->targets_at >= TARGETS_EVERY_MS));
}

/* The processes' tasks and targets, as far as they need reading. */
static int poll_processes(const struct sw_runenv *e, struct sw_rollout *r, const struct sw_watch *w, long long now,
			  int *throttled, int *errors)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < r->nr; i++) {
		struct sw_rollout_proc *p = &r->v[i];
		struct sw_strvec known = SW_STRVEC_INIT;
		int fed_before = p->tasks_fed, read = 0;
		size_t k;
		if (!p->deployment)
			continue;
		if (needs_tasks(p, now)) {
			for (k = 0; k < p->tasks_nr; k++)
				sw_strvec_push(&known, p->tasks[k].arn);
			read = ret = poll_tasks(e, r, p, w, now, throttled, errors);
			if (ret == 1 && fed_before)
				report_replaced(e, p, w, &known);
			sw_strvec_clear(&known);
			if (ret < 0)
				return ret;
			p->changed = 0;
		}
		if (needs_targets(p, w, read, now) && (ret = poll_targets(e, r, p, w, now, throttled, errors)) < 0)
			return ret;
	}
	return 0;
}

/* The load-balanced process's line for a stage of its traffic-shifting deployment (see watch.h). */
static void stage_line(const struct sw_watch *w, const char *process, const char *stage, double weight,
		       struct sw_buf *out)
{
	const char *strategy = sw_json_str(w->strategy, "strategy");
	const char *bake = sw_json_str(w->strategy, "bake");

	if (!strcmp(stage, "SCALE_UP"))
		sw_buf_addf(out, "%s: v%d starting beside the live tasks (%s)", process, w->version, strategy);
	else if (!strcmp(stage, "PRODUCTION_TRAFFIC_SHIFT") && weight < 100.0)
		sw_buf_addf(out, "%s: %s%g%% of %s traffic on v%d", process,
			    strategy && !strcmp(strategy, "canary") ? "canary: " : "", weight, process, w->version);
	else if (!strcmp(stage, "PRODUCTION_TRAFFIC_SHIFT") || !strcmp(stage, "BAKE_TIME"))
		sw_buf_addf(out, "%s: shifting 100%% of %s traffic to v%d, baking %s with the old tasks kept", process,
			    process, w->version, bake ? bake : "0m");
	else if (!strcmp(stage, "CLEAN_UP"))
		sw_buf_addf(out, "%s: v%d healthy for %s: stopping the old tasks", process, w->version, bake ? bake : "0m");
}

/*
 * The shift to 100% and its bake, said before the clean-up's line when both passed
 * between two polls (a short bake): the pusher sees every stage the deployment went through.
 */
static void shift_passed(const struct sw_watch *w, const char *process, const char *cleanup, struct sw_strvec *lines)
{
	struct sw_buf shift = SW_BUF_INIT;
	const char *seen = w->stage_seen->len ? w->stage_seen->ptr : "";

	stage_line(w, process, "BAKE_TIME", 100.0, &shift);
	if (strcmp(seen, shift.ptr) && strcmp(seen, cleanup)) {
		sw_strvec_push(lines, shift.ptr);
		sw_buf_reset(w->stage_seen);
		sw_buf_adds(w->stage_seen, shift.ptr);
	}
	sw_buf_release(&shift);
}

/*
 * A traffic-shifting deployment's stage (DescribeServiceDeployments of the service's
 * current deployment, named in resp): a line when it moved on.
 */
static int poll_stage(const struct sw_runenv *e, struct sw_rollout *r, const struct sw_watch *w, const json_t *resp,
		      struct sw_strvec *lines, int *throttled, int *errors)
{
	json_t *svc, *req, *out = NULL, *sd;
	struct sw_buf line = SW_BUF_INIT;
	size_t i, k;
	int ret = 0, t = 0;

	json_array_foreach(json_object_get(resp, "services"), i, svc) {
		const char *arn = sw_json_str(svc, "currentServiceDeployment");
		for (k = 0; k < r->nr; k++)
			if (r->v[k].load_balanced && r->v[k].deployment && arn &&
			    !strcmp(r->v[k].service, sw_json_str_or(svc, "serviceName", "")))
				break;
		if (k == r->nr)
			continue;
		req = json_pack("{s:[s]}", "serviceDeploymentArns", arn);
		ret = call(e, "ecs", "DescribeServiceDeployments", r, req, &out, &t);
		json_decref(req);
		if (ret < 0) {
			ret = call_failed(e, ret, t, throttled, errors);
			break;
		}
		sd = json_array_get(json_object_get(out, "serviceDeployments"), 0);
		if (sw_json_str(sd, "lifecycleStage"))
			stage_line(w, r->v[k].process, sw_json_str(sd, "lifecycleStage"),
				   json_number_value(json_object_get(json_object_get(sd, "targetServiceRevision"),
								     "requestedProductionTrafficWeight")), &line);
		if (!strcmp(sw_json_str_or(sd, "lifecycleStage", ""), "CLEAN_UP"))
			shift_passed(w, r->v[k].process, line.len ? line.ptr : "", lines);
		if (line.len && strcmp(line.ptr, w->stage_seen->len ? w->stage_seen->ptr : "")) {
			sw_strvec_push(lines, line.ptr);
			sw_buf_reset(w->stage_seen);
			sw_buf_adds(w->stage_seen, line.ptr);
		}
		json_decref(out);
		out = NULL;
		sw_buf_reset(&line);
	}
	sw_buf_release(&line);
	return ret;
}

/*
 * Whether the container instances are read in this poll: at first, then again while
 * waiting (every 10 s; every 5 s while ECS cannot place a task or no agent is connected:
 * Docker stopped, which stops the deadline). On Fargate only once an EC2 task showed up
 * (sw_watch_poll reads them for it): its own tasks run on no container instance.
 */
static int instances_due(const struct sw_rollout *r, const struct sw_watch *w, long long now, int unplaced)
{
	if (!r->instances_at)
		return !w->fargate;
	return now - r->instances_at >= (unplaced || r->agents_down ? INSTANCES_EVERY_MS : AGENTS_EVERY_MS);
}

int sw_watch_poll(const struct sw_runenv *env, struct sw_rollout *r, const struct sw_watch *w, int *throttled)
{
	struct sw_strvec lines = SW_STRVEC_INIT;
	struct sw_runenv counted = *env;
	const struct sw_runenv *e = &counted;
	long long now = sw_runenv_now(env), waited = 0;
	size_t b, i, events_nr = 0;
	int ret = 0, errors = 0, crashes_before[64], unplaced = 0, changed = 0;

	counted.unreachable_ms = &waited;   /* time spent waiting for ECS: not the deadline's */

	for (i = 0; i < r->nr && i < 64; i++)
		crashes_before[i] = r->v[i].crashes;

	*throttled = 0;
	for (b = 0;; b++) {
		json_t *req = sw_rollout_describe_request(r, w->cluster, b), *resp = NULL;
		int t = 0;
		if (!req)
			break;
		ret = call(e, "ecs", "DescribeServices", r, req, &resp, &t);
		json_decref(req);
		if (ret < 0) {
			if ((ret = call_failed(e, ret, t, throttled, &errors)) < 0)
				goto cleanup;
			if (!t)
				sw_runenv_report(e, "       (ECS: %s; retrying)", sw_error_last());
			continue;
		}
		sw_rollout_services(r, resp, now, &lines);
		if (sw_strategy_shifts(w->strategy) && w->stage_seen &&
		    (ret = poll_stage(e, r, w, resp, &lines, throttled, &errors)) < 0) {
			json_decref(resp);
			goto cleanup;
		}
		json_decref(resp);
	}
	events_nr = lines.nr;   /* the lines so far are ECS's events; progress comes after */
	for (i = 0; i < r->nr; i++) {
		unplaced |= r->v[i].unplaced_at != 0;
		changed |= r->v[i].changed;
	}
	/* the instances first: the tasks read next learn their instance's id */
	if (instances_due(r, w, now, unplaced) &&
	    (ret = poll_instances(e, r, w, now, throttled, &errors)) < 0)
		goto cleanup;
	if ((ret = poll_processes(e, r, w, now, throttled, &errors)) < 0)
		goto cleanup;
	/*
	 * a task on an instance that came since: its id (targets are "instance-id:port"); on
	 * Fargate too, for EC2 tasks (a rollback from a release on Fargate to one on EC2)
	 */
	if (sw_rollout_instances_unknown(r) && (ret = poll_instances(e, r, w, now, throttled, &errors)) < 0)
		goto cleanup;
	for (i = 0; i < r->nr && i < 64; i++)
		if (r->v[i].crashes > crashes_before[i] && e->db)
			sw_event_emit(e->db, e->app, "task.crashed", w->version, e->job, NULL, "%s: %s",
				      r->v[i].process, r->v[i].last_crash ? r->v[i].last_crash : "stopped");
	sw_rollout_pause(r, waited);
	ret = (int)sw_rollout_decide(r, now, &lines);
	if (e->observe) {
		json_t *rec = sw_rollout_record(r, now, w->phase, w->version, &lines, events_nr);
		sw_runenv_observe(e, rec);
		json_decref(rec);
	}
	for (i = 0; i < lines.nr; i++)
		if (sw_runenv_report(e, "       %s", lines.v[i]) < 0 && e->cancel)
			sw_cancel_raise(e->cancel, SW_CANCEL_STOP, NULL);   /* the report said stop */
	if (lines.nr || changed)   /* something moved: the next step may follow at once */
		r->quiet_polls = 0;
	else
		r->quiet_polls++;
cleanup:
	if (ret == SW_EUNAVAIL && e->patience_ms > 0) {
		/* ECS did not answer for the whole stall window: said in words (runenv.h) */
		sw_rollout_pause(r, waited);
		sw_rollout_unreachable(r, sw_error_last());
		ret = SW_ROLLOUT_FAILED;
	}
	sw_strvec_clear(&lines);
	return ret;
}

int sw_watch_run(const struct sw_runenv *e, struct sw_rollout *r, const struct sw_watch *w)
{
	char *saved = NULL;
	int ret;

	for (;;) {
		int throttled = 0;
		char *now_state;
		json_t *j;

		ret = sw_watch_poll(e, r, w, &throttled);
		if (ret < 0)
			break;
		/* saved when what it learnt changed (not for the count of requests alone), and at the verdict */
		j = sw_rollout_to_json(r);
		json_object_del(j, "requests");
		now_state = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		if (w->save && (!saved || strcmp(saved, now_state) || ret != SW_ROLLOUT_WAITING))
			w->save(w->save_ctx, r);
		free(saved);
		saved = now_state;
		if (ret != SW_ROLLOUT_WAITING)
			break;
		ret = sw_runenv_sleep(e, sw_rollout_next_delay(r, r->quiet_polls == 0, throttled,
							       sw_runenv_random(e)));
		if (ret < 0)
			break;
	}
	free(saved);
	if (ret == SW_ROLLOUT_FAILED && (!w->phase || !strcmp(w->phase, "rollout")))
		sw_crashlog_report(e, r);   /* tasks that crashed: their last words, before the rollback */
	return ret;
}
