#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "releaser/tasks.h"
#include "releaser/release.h"
#include "releaser/runtask.h"
#include "releaser/rollout.h"
#include "releaser/pager.h"
#include "releaser/taskdef.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_RELEASES_LOOKED_AT 50
#define STOPPED_WINDOW_S 3600

/* ---- what the releases say: task definitions → process and release ---------------- */

struct known_td {
	char *arn;
	char *process;
	int version;
};

struct app_tds {
	struct known_td *v;
	size_t nr, alloc;
	struct sw_strvec processes;   /* every process type any release had */
	int live;                     /* live version, 0 none */
	json_t *live_taskdefs;        /* {"web": arn} of the live release (a reference) */
	json_t *live_launch;          /* its launch (launch.h), a reference, or NULL */
	char *target_group;           /* the web process's target group (newest release's), or NULL */
};

static void app_tds_release(struct app_tds *t)
{
	size_t i;
	for (i = 0; i < t->nr; i++) {
		free(t->v[i].arn);
		free(t->v[i].process);
	}
	free(t->v);
	sw_strvec_clear(&t->processes);
	json_decref(t->live_taskdefs);
	json_decref(t->live_launch);
	free(t->target_group);
	memset(t, 0, sizeof(*t));
}

static void add_process(struct app_tds *t, const char *p)
{
	size_t i;
	for (i = 0; i < t->processes.nr; i++)
		if (!strcmp(t->processes.v[i], p))
			return;
	sw_strvec_push(&t->processes, p);
}

static int visit_release(void *ctx, const struct sw_release *r)
{
	struct app_tds *t = ctx;
	const char *k;
	json_t *v;

	json_object_foreach(json_object_get(r->state, "taskdefs"), k, v) {
		size_t i;
		int seen = 0;
		if (!json_is_string(v))
			continue;
		add_process(t, k);
		for (i = 0; i < t->nr; i++)
			if (!strcmp(t->v[i].arn, json_string_value(v)))
				seen = 1;   /* newest first: the newest release using it wins */
		if (seen)
			continue;
		SW_ALLOC_GROW(t->v, t->nr + 1, t->alloc);
		t->v[t->nr].arn = xstrdup(json_string_value(v));
		t->v[t->nr].process = xstrdup(k);
		t->v[t->nr].version = r->version;
		t->nr++;
	}
	json_object_foreach(r->formation, k, v)
		add_process(t, k);
	if (!t->target_group && sw_json_str(r->state, "target_group"))
		t->target_group = xstrdup(sw_json_str(r->state, "target_group"));
	if (!t->live && r->status == SW_RELEASE_LIVE) {
		t->live = r->version;
		t->live_taskdefs = json_incref(json_object_get(r->state, "taskdefs"));
		t->live_launch = json_incref(json_object_get(r->state, "launch"));
	}
	return 0;
}

static int load_tds(sqlite3 *db, const char *app, struct app_tds *t)
{
	memset(t, 0, sizeof(*t));
	sw_strvec_init(&t->processes);
	return sw_release_list(db, app, MAX_RELEASES_LOOKED_AT, visit_release, t);
}

static const struct known_td *find_td(const struct app_tds *t, const char *arn)
{
	size_t i;
	for (i = 0; arn && i < t->nr; i++)
		if (!strcmp(t->v[i].arn, arn))
			return &t->v[i];
	return NULL;
}

int sw_tasks_known(sqlite3 *db, const char *app, struct sw_strvec *processes, struct sw_strvec *taskdefs)
{
	struct app_tds t;
	size_t i;
	int ret = load_tds(db, app, &t);

	for (i = 0; ret == 0 && i < t.processes.nr; i++)
		sw_strvec_push(processes, t.processes.v[i]);
	for (i = 0; ret == 0 && i < t.nr; i++)
		sw_strvec_push(taskdefs, t.v[i].arn);
	app_tds_release(&t);
	return ret;
}

/* ---- ps ---------------------------------------------------------------------------- */

/* ECS's time (seconds since the epoch, with a fraction) as ISO 8601 in whole seconds, or null. */
static json_t *iso_or_null(const json_t *t)
{
	char out[SW_TIME_ISO_SIZE];
	return json_is_number(t) ? json_string(sw_time_iso(json_number_value(t), out)) : json_null();
}

/* s as a JSON string, or null when there is none. */
static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static const char *task_id_of(const char *arn)
{
	const char *s = arn ? strrchr(arn, '/') : NULL;
	return s ? s + 1 : arn;
}

/*
 * HEALTH: the load balancer's view of the task's target (healthy, unhealthy, initial,
 * draining, ...) when it is behind one, else its container health check's status
 * (lowercased), else "unknown".
 */
static void task_health(json_t *o, const json_t *t, const char *target_state)
{
	const char *c = sw_json_str(t, "healthStatus");
	struct sw_buf low = SW_BUF_INIT;
	size_t i;

	if (target_state) {
		json_object_set_new(o, "health", json_string(target_state));
		json_object_set_new(o, "health_from", json_string("load balancer"));
		return;
	}
	if (c && strcmp(c, "UNKNOWN")) {
		for (i = 0; c[i]; i++)
			sw_buf_addch(&low, c[i] >= 'A' && c[i] <= 'Z' ? (char)(c[i] - 'A' + 'a') : c[i]);
		json_object_set_new(o, "health", json_string(low.ptr));
		json_object_set_new(o, "health_from", json_string("container"));
	} else {
		json_object_set_new(o, "health", json_string("unknown"));
		json_object_set_new(o, "health_from", json_null());
	}
	sw_buf_release(&low);
}

static json_t *task_json(const char *app, const json_t *t, const struct app_tds *tds, double now,
			 const char *target_state)
{
	const struct known_td *td = find_td(tds, sw_json_str(t, "taskDefinitionArn"));
	const json_t *c = json_array_get(json_object_get(t, "containers"), 0);
	const char *group = sw_json_str(t, "group"), *by = sw_json_str(t, "startedBy");
	json_t *o = json_object(), *started = json_object_get(t, "startedAt"), *stopped = json_object_get(t, "stoppedAt");
	struct sw_buf process = SW_BUF_INIT, rel = SW_BUF_INIT;
	const char *kind = "service";

	if (td) {
		sw_buf_adds(&process, td->process);
		sw_buf_addf(&rel, "v%d", td->version);
	} else if (group) {
		/* "service:APP-web" / "family:APP-web" */
		const char *colon = strchr(group, ':');
		const char *fam = colon ? colon + 1 : group;
		size_t n = strlen(app);
		if (!strncmp(fam, app, n) && fam[n] == '-')
			sw_buf_adds(&process, fam + n + 1);
	}
	if (by && !strncmp(by, "slipway-run", 11))
		kind = "run";
	else if ((by && strstr(by, "/release")) || !strcmp(process.ptr, "release"))
		kind = "release";
	else if (group && strncmp(group, "service:", 8))
		kind = "task";
	json_object_set_new(o, "id", json_string(task_id_of(sw_json_str(t, "taskArn"))));
	json_object_set_new(o, "arn", json_string(sw_json_str_or(t, "taskArn", "")));
	json_object_set_new(o, "process", process.len ? json_string(process.ptr) : json_null());
	json_object_set_new(o, "release", rel.len ? json_string(rel.ptr) : json_null());
	json_object_set_new(o, "kind", json_string(kind));
	json_object_set_new(o, "status", json_string(sw_json_str_or(t, "lastStatus", "UNKNOWN")));
	json_object_set_new(o, "desired", json_string(sw_json_str_or(t, "desiredStatus", "UNKNOWN")));
	task_health(o, t, target_state);
	json_object_set_new(o, "started_at", iso_or_null(started));
	json_object_set_new(o, "stopped_at", iso_or_null(stopped));
	json_object_set_new(o, "stop_reason", string_or_null(sw_json_str(t, "stoppedReason")));
	json_object_set_new(o, "stop_code", string_or_null(sw_json_str(t, "stopCode")));
	json_object_set_new(o, "exit_code", json_is_integer(json_object_get(c, "exitCode"))
				   ? json_integer(sw_json_int(c, "exitCode", 0)) : json_null());
	if (json_is_number(started))
		json_object_set_new(o, "uptime", json_real((json_is_number(stopped) ? json_number_value(stopped) : now) -
							   json_number_value(started)));
	else
		json_object_set_new(o, "uptime", json_null());
	sw_buf_release(&process);
	sw_buf_release(&rel);
	return o;
}

/* ListTasks of one family and desired status, appended to arns (deduplicated). */
static int list_family(const struct sw_runenv *e, const char *family, const char *desired, struct sw_strvec *arns)
{
	json_t *req = json_pack("{s:s,s:s,s:s,s:i}", "cluster", e->settings->cluster, "family", family, "desiredStatus",
				desired, "maxResults", 100), *found = json_array(), *a;
	size_t i, k;
	int ret = sw_pager_collect_call(e, "ecs", "ListTasks", req, "taskArns", found, NULL, NULL);

	json_array_foreach(found, i, a) {
		int dup = 0;
		for (k = 0; k < arns->nr && !dup; k++)
			dup = !strcmp(arns->v[k], json_string_value(a));
		if (!dup)
			sw_strvec_push(arns, json_string_value(a));
	}
	json_decref(req);
	json_decref(found);
	return ret;
}

/* ---- ps: the load balancer's view of the tasks ------------------------------------------- */

struct target_view {
	json_t *instances;   /* containerInstanceArn -> EC2 instance id */
	json_t *targets;     /* "instance-id:port" -> state */
};

/*
 * What the web process's target group says of its targets, and which EC2 instance each
 * container instance is, so a task (container instance, host port) finds its target.
 * Failures leave the view empty (ps then shows container health): logged, not fatal.
 */
static void load_targets(const struct sw_runenv *e, const char *target_group, json_t *const *tasks, size_t n,
			 struct target_view *v)
{
	json_t *req, *resp = NULL, *arns = json_array(), *d;
	size_t i, b;

	v->instances = json_object();
	v->targets = json_object();
	if (!target_group)
		goto cleanup;
	for (i = 0; i < n; i++) {
		const char *ci = sw_json_str(tasks[i], "containerInstanceArn");
		size_t k;
		json_t *a;
		int dup = 0;
		if (!ci || !strcmp(sw_json_str_or(tasks[i], "lastStatus", ""), "STOPPED"))
			continue;
		json_array_foreach(arns, k, a)
			dup |= !strcmp(json_string_value(a), ci);
		if (!dup)
			json_array_append_new(arns, json_string(ci));
	}
	/* EC2 tasks: which instance each container instance is (DescribeContainerInstances takes 100) */
	for (b = 0; b < json_array_size(arns); b += 100) {
		json_t *batch = json_array();
		for (i = b; i < json_array_size(arns) && i < b + 100; i++)
			json_array_append(batch, json_array_get(arns, i));
		req = json_pack("{s:s, s:o}", "cluster", e->settings->cluster, "containerInstances", batch);
		if (sw_runenv_call(e, "ecs", "DescribeContainerInstances", req, &resp, NULL, NULL) < 0) {
			json_decref(req);
			sw_log(SW_LOG_WARN, e->app, 0, "ps: %s", sw_error_last());
			goto cleanup;
		}
		json_decref(req);
		json_array_foreach(json_object_get(resp, "containerInstances"), i, d)
			if (sw_json_str(d, "containerInstanceArn") && sw_json_str(d, "ec2InstanceId"))
				json_object_set_new(v->instances, sw_json_str(d, "containerInstanceArn"),
						    json_string(sw_json_str(d, "ec2InstanceId")));
		json_decref(resp);
		resp = NULL;
	}
	req = json_pack("{s:s}", "TargetGroupArn", target_group);
	if (sw_runenv_call(e, "elbv2", "DescribeTargetHealth", req, &resp, NULL, NULL) < 0) {
		json_decref(req);
		sw_log(SW_LOG_WARN, e->app, 0, "ps: %s", sw_error_last());
		goto cleanup;
	}
	json_decref(req);
	json_array_foreach(json_object_get(resp, "TargetHealthDescriptions"), i, d) {
		const json_t *tg = json_object_get(d, "Target"), *port = json_object_get(tg, "Port");
		const char *state = sw_json_str(json_object_get(d, "TargetHealth"), "State");
		struct sw_buf key = SW_BUF_INIT;
		if (!sw_json_str(tg, "Id") || !json_is_integer(port) || !state)
			continue;
		/* instance targets by "instance:port", ip targets (awsvpc tasks) by their address */
		sw_buf_addf(&key, "%s:%lld", sw_json_str(tg, "Id"), (long long)json_integer_value(port));
		json_object_set_new(v->targets, key.ptr, json_string(state));
		json_object_set_new(v->targets, sw_json_str(tg, "Id"), json_string(state));
		sw_buf_release(&key);
	}
cleanup:
	json_decref(resp);
	json_decref(arns);
}

/* The state of t's target, or NULL when it has none (not behind the balancer, stopped). */
static const char *target_state(const struct target_view *v, const json_t *t)
{
	const json_t *c = json_array_get(json_object_get(t, "containers"), 0);
	const json_t *b = json_array_get(json_object_get(c, "networkBindings"), 0), *port = json_object_get(b, "hostPort");
	const char *ci = sw_json_str(t, "containerInstanceArn"), *ec2 = ci ? sw_json_str(v->instances, ci) : NULL, *state;
	const char *ip = sw_rollout_task_ip(t);
	struct sw_buf key = SW_BUF_INIT;

	if (!strcmp(sw_json_str(t, "lastStatus") ? sw_json_str(t, "lastStatus") : "", "STOPPED"))
		return NULL;
	if (ip)
		return sw_json_str(v->targets, ip);
	if (!ec2 || !json_is_integer(port))
		return NULL;
	sw_buf_addf(&key, "%s:%lld", ec2, (long long)json_integer_value(port));
	state = sw_json_str(v->targets, key.ptr);
	sw_buf_release(&key);
	return state;
}

static double started_of(const json_t *t)
{
	const json_t *s = json_object_get(t, "startedAt");
	if (!json_is_number(s))
		s = json_object_get(t, "createdAt");
	return json_is_number(s) ? json_number_value(s) : 0;
}

static int by_started_desc(const void *a, const void *b)
{
	double x = started_of(*(json_t *const *)a), y = started_of(*(json_t *const *)b);
	return x < y ? 1 : x > y ? -1 : 0;
}

int sw_tasks_list(const struct sw_runenv *e, const char *app, double now, json_t **out)
{
	struct app_tds tds;
	struct sw_strvec arns = SW_STRVEC_INIT;
	struct sw_buf family = SW_BUF_INIT;
	json_t **raw = NULL, *list;
	struct target_view view = { NULL, NULL };
	size_t nraw = 0, alloc = 0, i, j;
	int ret;

	*out = NULL;
	if ((ret = load_tds(e->db, app, &tds)) < 0)
		goto cleanup;
	add_process(&tds, "release");
	for (i = 0; i < tds.processes.nr; i++) {
		sw_buf_reset(&family);
		sw_taskdef_family(app, tds.processes.v[i], &family);
		if (list_family(e, family.ptr, "RUNNING", &arns) < 0 || list_family(e, family.ptr, "STOPPED", &arns) < 0) {
			ret = sw_error_code(SW_EUNAVAIL, "%s", sw_error_last());
			goto cleanup;
		}
	}
	for (i = 0; i < arns.nr; i += 100) {
		json_t *req = json_pack("{s:s,s:[]}", "cluster", e->settings->cluster, "tasks"), *resp = NULL, *t;
		for (j = i; j < arns.nr && j < i + 100; j++)
			json_array_append_new(json_object_get(req, "tasks"), json_string(arns.v[j]));
		ret = sw_runenv_call(e, "ecs", "DescribeTasks", req, &resp, NULL, NULL);
		json_decref(req);
		if (ret < 0) {
			ret = sw_error_code(SW_EUNAVAIL, "%s", sw_error_last());
			goto cleanup;
		}
		json_array_foreach(json_object_get(resp, "tasks"), j, t) {
			const json_t *stopped = json_object_get(t, "stoppedAt");
			if (json_is_number(stopped) && now - json_number_value(stopped) > STOPPED_WINDOW_S)
				continue;
			SW_ALLOC_GROW(raw, nraw + 1, alloc);
			raw[nraw++] = json_incref(t);
		}
		json_decref(resp);
	}
	if (nraw)
		qsort(raw, nraw, sizeof(*raw), by_started_desc);
	load_targets(e, tds.target_group, raw, nraw, &view);   /* HEALTH from the load balancer */
	list = json_array();
	for (i = 0; i < nraw; i++)
		json_array_append_new(list, task_json(app, raw[i], &tds, now, target_state(&view, raw[i])));
	*out = json_pack("{s:o,s:o}", "tasks", list, "live", tds.live ? json_integer(tds.live) : json_null());
	ret = 0;
cleanup:
	for (i = 0; i < nraw; i++)
		json_decref(raw[i]);
	free(raw);
	json_decref(view.instances);
	json_decref(view.targets);
	app_tds_release(&tds);
	sw_strvec_clear(&arns);
	sw_buf_release(&family);
	return ret;
}

/* ---- run ------------------------------------------------------------------------------ */

int sw_oneoff_plan(sqlite3 *db, const char *app, const char *process, struct sw_oneoff *o)
{
	struct app_tds tds;
	const char *k;
	json_t *v;
	int ret;

	if ((ret = load_tds(db, app, &tds)) < 0)
		goto cleanup;
	if (!tds.live || !json_object_size(tds.live_taskdefs)) {
		ret = sw_error_code(SW_EEXISTS, "%s has no live release to run from: push first", app);
		goto cleanup;
	}
	if (!process) {
		process = json_object_get(tds.live_taskdefs, "web") ? "web" : NULL;
		json_object_foreach(tds.live_taskdefs, k, v)
			if (!process && strcmp(k, "release"))
				process = k;
	}
	if (!process || !sw_json_str(tds.live_taskdefs, process)) {
		struct sw_buf names = SW_BUF_INIT;
		json_object_foreach(tds.live_taskdefs, k, v)
			sw_buf_addf(&names, "%s%s", names.len ? ", " : "", k);
		ret = sw_error_code(SW_ENOTFOUND, "v%d of %s has no process %s (it has %s)", tds.live, app,
				    process ? process : "to run", names.ptr);
		sw_buf_release(&names);
		goto cleanup;
	}
	o->process = xstrdup(process);
	o->taskdef = xstrdup(sw_json_str(tds.live_taskdefs, process));
	o->version = tds.live;
	o->launch = json_incref(tds.live_launch);
	ret = 0;
cleanup:
	app_tds_release(&tds);
	return ret;
}

static void oneoff_output(void *ctx, const char *line, size_t n)
{
	struct sw_oneoff *o = ctx;
	if (o->output)
		o->output(o->ctx, line, n);
}

static void oneoff_started(void *ctx, const char *task_arn)
{
	struct sw_oneoff *o = ctx;
	free(o->task_id);
	o->task_id = xstrdup(task_id_of(task_arn));
	if (o->started)
		o->started(o->ctx, o->task_id);
}

int sw_oneoff_run(const struct sw_runenv *e, struct sw_oneoff *o)
{
	struct sw_runtask t = SW_RUNTASK_INIT;
	struct sw_launch l = SW_LAUNCH_INIT;
	int ret;

	if ((ret = sw_launch_from_json(&l, o->launch)) < 0)
		return ret;
	t.launch = &l;
	t.cluster = e->settings->cluster;
	t.taskdef = o->taskdef;
	t.started_by = "slipway-run";
	t.command = o->command;
	t.env = o->env;
	t.poll_ms = o->poll_ms;
	t.max_poll_ms = o->poll_ms;
	t.max_line = o->max_line;
	t.output = oneoff_output;
	t.started = oneoff_started;
	t.ctx = o;
	ret = sw_runtask_run(e, &t);
	if (ret == SW_ECANCEL) {
		/* the client went away (Ctrl-C): the task goes with it */
		if (t.task_arn) {
			sw_runtask_stop(e, &t, "slipway run: the client went away");
			sw_log(SW_LOG_INFO, e->app, 0, "run: task %s stopped (the client went away)", o->task_id);
		}
	} else if (ret < 0 && !t.task_arn) {
		struct sw_buf why = SW_BUF_INIT;
		sw_buf_adds(&why, sw_error_last());
		ret = sw_error_code(ret, "the task %s", why.ptr);
		sw_buf_release(&why);
	} else if (ret == 0) {
		o->exit_code = t.exit_code;
		o->failed_to_start = t.failed_to_start;
		o->stopped_reason = t.stopped_reason ? xstrdup(t.stopped_reason) : NULL;
		o->container_reason = t.container_reason ? xstrdup(t.container_reason) : NULL;
	}
	sw_runtask_release(&t);
	sw_launch_release(&l);
	return ret;
}

void sw_oneoff_release(struct sw_oneoff *o)
{
	free(o->process);
	free(o->taskdef);
	free(o->task_id);
	free(o->stopped_reason);
	free(o->container_reason);
	json_decref(o->launch);
	o->launch = NULL;
	o->process = o->taskdef = o->task_id = o->stopped_reason = o->container_reason = NULL;
}
