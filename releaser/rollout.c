#include <stdlib.h>
#include <string.h>

#include "releaser/rollout.h"
#include "common/error.h"
#include "common/json.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

/* ECS timestamps may run a little ahead of or behind ours. */
#define SKEW_MS 1000
/*
 * A deployment made by this rollout (not one a change just before made: a scale right
 * after a config change keeps that one) was created after the rollout began, give or
 * take this. Taking an older one for ours would call a scale live before its new tasks
 * are healthy; the other way round costs nothing (its tasks' health decides).
 */
#define FRESH_SKEW_MS 100
/* A service that never shows our deployment as PRIMARY after this is not going to. */
#define STALE_MS (60 * 1000)

void sw_rollout_init(struct sw_rollout *r, long long started_at, long long deadline_ms)
{
	memset(r, 0, sizeof(*r));
	r->started_at = started_at;
	r->deadline_ms = deadline_ms > 0 ? deadline_ms : SW_ROLLOUT_DEFAULT_DEADLINE_MS;
	r->stall_ms = SW_ROLLOUT_DEFAULT_STALL_MS;
	r->crash_limit = SW_ROLLOUT_DEFAULT_CRASH_LIMIT;
	sw_strvec_init(&r->events_seen);
	sw_buf_init(&r->reason, 0);
}

static void clear_tasks(struct sw_rollout_proc *p)
{
	size_t i;
	for (i = 0; i < p->tasks_nr; i++) {
		free(p->tasks[i].arn);
		free(p->tasks[i].instance_arn);
		free(p->tasks[i].instance);
		free(p->tasks[i].ip);
	}
	p->tasks_nr = 0;
}

static void clear_instances(struct sw_rollout *r)
{
	size_t i;
	for (i = 0; i < r->instances_nr; i++) {
		free(r->instances[i].arn);
		free(r->instances[i].ec2_id);
	}
	r->instances_nr = 0;
}

void sw_rollout_release(struct sw_rollout *r)
{
	size_t i;
	for (i = 0; i < r->nr; i++) {
		struct sw_rollout_proc *p = &r->v[i];
		free(p->process);
		free(p->service);
		free(p->taskdef);
		free(p->deployment);
		free(p->restore_deployment);
		free(p->restore_taskdef);
		free(p->failure);
		free(p->last_crash);
		free(p->last_line);
		sw_strvec_clear(&p->stopped);
		clear_tasks(p);
		free(p->tasks);
		sw_strvec_clear(&p->healthy_targets);
		free(p->seen_state);
	}
	free(r->v);
	sw_strvec_clear(&r->events_seen);
	clear_instances(r);
	free(r->instances);
	sw_buf_release(&r->reason);
	sw_rollout_init(r, 0, 0);
}

struct sw_rollout_proc *sw_rollout_add(struct sw_rollout *r, const char *process, const char *service,
				       const char *taskdef, int desired, int memory_mb)
{
	struct sw_rollout_proc *p;
	SW_ALLOC_GROW(r->v, r->nr + 1, r->alloc);
	p = &r->v[r->nr++];
	memset(p, 0, sizeof(*p));
	p->process = xstrdup(process);
	p->service = xstrdup(service);
	p->taskdef = xstrdup(taskdef);
	p->desired = desired;
	p->memory_mb = memory_mb;
	p->shown_running = p->shown_healthy = p->shown_old = -1;
	p->last_exit_code = -1;
	sw_strvec_init(&p->stopped);
	sw_strvec_init(&p->healthy_targets);
	return p;
}

/* The service name in a name or ARN ("arn:aws:ecs:r:a:service/cluster/name", "service/name"). */
static const char *service_name(const char *s)
{
	const char *slash = strrchr(s, '/');
	return slash ? slash + 1 : s;
}

struct sw_rollout_proc *sw_rollout_find(struct sw_rollout *r, const char *service)
{
	size_t i;
	const char *name = service_name(service);
	for (i = 0; i < r->nr; i++)
		if (!strcmp(r->v[i].service, name))
			return &r->v[i];
	return NULL;
}

/* ---- reading ECS's JSON ---- */

/* JSON 1.1 timestamps are seconds since the epoch (with a fraction): → ms, 0 when absent. */
static long long ts_ms(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_number(v) ? (long long)(json_number_value(v) * 1000.0 + 0.5) : 0;
}

static int seen(const struct sw_strvec *v, const char *s)
{
	size_t i;
	for (i = 0; i < v->nr; i++)
		if (!strcmp(v->v[i], s))
			return 1;
	return 0;
}

static void fail_proc(struct sw_rollout_proc *p, enum sw_rollout_why why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail_proc(struct sw_rollout_proc *p, enum sw_rollout_why why, const char *fmt, ...)
{
	struct sw_buf b = SW_BUF_INIT;
	va_list ap;
	if (p->why)
		return;
	va_start(ap, fmt);
	sw_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	p->why = why;
	p->failure = sw_buf_detach(&b, NULL);
}

static void set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? xstrdup(s) : NULL;
}

static void add_line(struct sw_strvec *lines, const char *s)
{
	if (lines)
		sw_strvec_push(lines, s);
}

/* ECS's service events created since the rollout began, oldest first, once each. */
static void service_events(struct sw_rollout *r, struct sw_rollout_proc *p, const json_t *events,
			   long long now, struct sw_strvec *lines)
{
	size_t i = json_array_size(events);
	while (i-- > 0) {
		const json_t *e = json_array_get(events, i);
		const char *id = sw_json_str(e, "id"), *msg = sw_json_str(e, "message");
		long long at = ts_ms(e, "createdAt");
		if (!id || !msg || seen(&r->events_seen, id))
			continue;
		if (at && at < r->started_at - SKEW_MS)
			continue;
		sw_strvec_push(&r->events_seen, id);
		if (strstr(msg, "was unable to place a task"))
			p->unplaced_at = now;
		if (lines) {
			struct sw_buf b = SW_BUF_INIT;
			size_t n = strlen(msg);
			sw_buf_add(&b, msg, n > SW_ROLLOUT_MAX_EVENT_LEN ? SW_ROLLOUT_MAX_EVENT_LEN : n);
			if (n > SW_ROLLOUT_MAX_EVENT_LEN)
				sw_buf_adds(&b, "...");
			sw_strvec_push(lines, b.ptr);
			sw_buf_release(&b);
		}
	}
}

/*
 * What of the service tells that its tasks changed: each deployment's id, status,
 * rolloutState and counts, the service's counts and its newest event. p->changed is
 * set when it reads differently from the last feed (the watcher clears it once it read
 * the tasks).
 */
static void note_state(struct sw_rollout_proc *p, const json_t *svc)
{
	const json_t *d, *ev = json_array_get(json_object_get(svc, "events"), 0);
	struct sw_buf b = SW_BUF_INIT;
	size_t i;

	sw_buf_addf(&b, "%lld/%lld/%lld %s", sw_json_int(svc, "desiredCount", 0), sw_json_int(svc, "runningCount", 0),
		    sw_json_int(svc, "pendingCount", 0), sw_json_str_or(ev, "id", "-"));
	json_array_foreach(json_object_get(svc, "deployments"), i, d)
		sw_buf_addf(&b, " %s:%s:%s:%lld/%lld/%lld/%lld", sw_json_str_or(d, "id", "-"),
			    sw_json_str_or(d, "status", "-"), sw_json_str_or(d, "rolloutState", "-"),
			    sw_json_int(d, "desiredCount", 0), sw_json_int(d, "runningCount", 0),
			    sw_json_int(d, "pendingCount", 0), sw_json_int(d, "failedTasks", 0));
	p->changed |= !p->seen_state || strcmp(p->seen_state, b.ptr);
	free(p->seen_state);
	p->seen_state = sw_buf_detach(&b, NULL);
}

static void one_service(struct sw_rollout *r, const json_t *svc, long long now, struct sw_strvec *lines)
{
	const char *name = sw_json_str(svc, "serviceName"), *status = sw_json_str(svc, "status");
	const json_t *deps = json_object_get(svc, "deployments"), *d;
	const json_t *primary = NULL, *ours = NULL;
	struct sw_rollout_proc *p;
	size_t i;

	if (!name || !(p = sw_rollout_find(r, name)))
		return;
	if (!p->first_seen_at)
		p->first_seen_at = now;
	p->observed = 1;
	service_events(r, p, json_object_get(svc, "events"), now, lines);
	if (status && strcmp(status, "ACTIVE")) {
		fail_proc(p, SW_ROLLOUT_GONE, "%s: service %s is %s", p->process, p->service, status);
		return;
	}
	json_array_foreach(deps, i, d) {
		const char *st = sw_json_str(d, "status");
		if (st && !strcmp(st, "PRIMARY"))
			primary = d;
	}
	if (!p->deployment && primary && sw_json_str(primary, "taskDefinition") &&
	    !strcmp(sw_json_str(primary, "taskDefinition"), p->taskdef) && sw_json_str(primary, "id"))
		p->deployment = xstrdup(sw_json_str(primary, "id"));
	if (p->deployment)
		json_array_foreach(deps, i, d)
			if (sw_json_str(d, "id") && !strcmp(sw_json_str(d, "id"), p->deployment))
				ours = d;

	/* someone forced a new deployment of the same task definition: follow it */
	if (primary && primary != ours && p->deployment && sw_json_str(primary, "id") &&
	    sw_json_str(primary, "taskDefinition") && !strcmp(sw_json_str(primary, "taskDefinition"), p->taskdef) &&
	    !(ours && sw_json_str(ours, "rolloutState") && !strcmp(sw_json_str(ours, "rolloutState"), "FAILED"))) {
		set_str(&p->deployment, sw_json_str(primary, "id"));
		ours = primary;
	}

	p->deployments_nr = (int)json_array_size(deps);
	p->primary_ours = primary && primary == ours;
	p->ours_present = ours != NULL;
	if (p->primary_ours)
		p->seen_ours = 1;

	if (ours && sw_json_str(ours, "rolloutState") && !strcmp(sw_json_str(ours, "rolloutState"), "FAILED")) {
		const char *why = sw_json_str(ours, "rolloutStateReason");
		if (primary && primary != ours) {
			p->rolled_back = 1;
			set_str(&p->restore_deployment, sw_json_str(primary, "id"));
			set_str(&p->restore_taskdef, sw_json_str(primary, "taskDefinition"));
		}
		fail_proc(p, SW_ROLLOUT_ECS_FAILED, "%s: %s", p->process,
			  why && *why ? why : "ECS marked the deployment FAILED");
	} else if (p->seen_ours && primary && primary != ours) {
		p->rolled_back = 1;
		set_str(&p->restore_deployment, sw_json_str(primary, "id"));
		set_str(&p->restore_taskdef, sw_json_str(primary, "taskDefinition"));
		fail_proc(p, SW_ROLLOUT_ECS_FAILED, "%s: deployment %s was replaced by %s (%s)", p->process,
			  p->deployment, sw_json_str_or(primary, "id", "another deployment"),
			  sw_json_str(primary, "taskDefinition") ? service_name(sw_json_str(primary, "taskDefinition")) : "?");
	} else if (p->seen_ours && !primary) {
		fail_proc(p, SW_ROLLOUT_GONE, "%s: service %s has no PRIMARY deployment", p->process, p->service);
	} else if (!p->seen_ours && now - p->first_seen_at > STALE_MS) {
		fail_proc(p, SW_ROLLOUT_ECS_FAILED, "%s: ECS did not start a deployment of %s", p->process,
			  service_name(p->taskdef));
	}

	note_state(p, svc);
	p->new_running = p->new_pending = p->old_running = 0;
	p->completed = p->fresh = p->has_rollout_state = 0;
	p->ours_desired = -1;
	json_array_foreach(deps, i, d) {
		if (d == ours) {
			const char *rs = sw_json_str(d, "rolloutState");
			p->new_running = (int)sw_json_int(d, "runningCount", 0);
			p->new_pending = (int)sw_json_int(d, "pendingCount", 0);
			p->ours_desired = (int)sw_json_int(d, "desiredCount", 0);
			p->completed = rs && !strcmp(rs, "COMPLETED");
			p->has_rollout_state = rs != NULL;
			p->fresh = ts_ms(d, "createdAt") >= r->started_at - FRESH_SKEW_MS;
		} else {
			p->old_running += (int)sw_json_int(d, "runningCount", 0);
		}
	}
}

void sw_rollout_services(struct sw_rollout *r, const json_t *resp, long long now, struct sw_strvec *lines)
{
	const json_t *svc = json_object_get(resp, "service"), *f;
	size_t i;

	if (json_is_object(svc))
		one_service(r, svc, now, lines);
	json_array_foreach(json_object_get(resp, "services"), i, svc)
		one_service(r, svc, now, lines);
	json_array_foreach(json_object_get(resp, "failures"), i, f) {
		const char *arn = sw_json_str(f, "arn"), *reason = sw_json_str(f, "reason");
		struct sw_rollout_proc *p = arn ? sw_rollout_find(r, arn) : NULL;
		if (p)
			fail_proc(p, SW_ROLLOUT_GONE, "%s: service %s %s", p->process, p->service,
				  reason && !strcmp(reason, "MISSING") ? "does not exist"
								       : (reason ? reason : "cannot be described"));
	}
}

/* Why a task stopped, in one line: "Essential container in task exited (exit code 1)". */
static void stop_line(const json_t *t, struct sw_buf *out)
{
	const char *reason = sw_json_str(t, "stoppedReason");
	const json_t *c;
	size_t i;
	sw_buf_adds(out, reason && *reason ? reason : "stopped");
	json_array_foreach(json_object_get(t, "containers"), i, c) {
		const json_t *code = json_object_get(c, "exitCode");
		const char *cr = sw_json_str(c, "reason");
		if (json_is_integer(code) && json_integer_value(code) != 0) {
			sw_buf_addf(out, " (exit code %lld)", (long long)json_integer_value(code));
			break;
		}
		if (cr && *cr) {
			sw_buf_addf(out, " (%s)", cr);
			break;
		}
	}
}

/* The exit code of a stopped task's first container that has one (a failing one first), -1 none. */
static int exit_code(const json_t *t)
{
	const json_t *c;
	size_t i;
	int code = -1;
	json_array_foreach(json_object_get(t, "containers"), i, c) {
		const json_t *v = json_object_get(c, "exitCode");
		if (!json_is_integer(v))
			continue;
		if (json_integer_value(v) != 0)
			return (int)json_integer_value(v);
		if (code < 0)
			code = 0;
	}
	return code;
}

/* A stop that is not the new release's fault: scale-in, a rollback, a person. */
static int ordinary_stop(const json_t *t)
{
	const char *code = sw_json_str(t, "stopCode"), *reason = sw_json_str(t, "stoppedReason");
	if (code && !strcmp(code, "UserInitiated"))
		return 1;
	if (reason && !strncmp(reason, "Scaling activity initiated by", 29))
		return 1;
	return 0;
}

const char *sw_rollout_task_ip(const json_t *task)
{
	const json_t *a, *d, *c;
	size_t i, j;
	json_array_foreach(json_object_get(task, "attachments"), i, a) {
		if (!sw_json_str(a, "type") || strcmp(sw_json_str(a, "type"), "ElasticNetworkInterface"))
			continue;
		json_array_foreach(json_object_get(a, "details"), j, d)
			if (sw_json_str(d, "name") && !strcmp(sw_json_str(d, "name"), "privateIPv4Address") && sw_json_str(d, "value"))
				return sw_json_str(d, "value");
	}
	c = json_array_get(json_object_get(task, "containers"), 0);
	return sw_json_str(json_array_get(json_object_get(c, "networkInterfaces"), 0), "privateIpv4Address");
}

static const char *instance_id(const struct sw_rollout *r, const char *arn)
{
	size_t i;
	if (!arn)
		return NULL;
	for (i = 0; i < r->instances_nr; i++)
		if (!strcmp(r->instances[i].arn, arn))
			return r->instances[i].ec2_id;
	return NULL;
}

void sw_rollout_tasks(struct sw_rollout *r, struct sw_rollout_proc *p, const json_t *resp, long long now)
{
	const json_t *t;
	size_t i;

	clear_tasks(p);
	p->tasks_fed = 1;
	p->tasks_at = now;
	json_array_foreach(json_object_get(resp, "tasks"), i, t) {
		const char *arn = sw_json_str(t, "taskArn"), *last = sw_json_str(t, "lastStatus");
		const char *by = sw_json_str(t, "startedBy"), *td = sw_json_str(t, "taskDefinitionArn");
		if (!arn || !last)
			continue;
		if (p->deployment ? (!by || strcmp(by, p->deployment)) : (!td || strcmp(td, p->taskdef)))
			continue;
		if (!strcmp(last, "STOPPED")) {
			long long stopped = ts_ms(t, "stoppedAt");
			struct sw_buf b = SW_BUF_INIT;
			if (seen(&p->stopped, arn) || ordinary_stop(t) ||
			    (stopped && stopped < r->started_at - SKEW_MS))
				continue;
			sw_strvec_push(&p->stopped, arn);
			p->crashes++;
			stop_line(t, &b);
			set_str(&p->last_crash, b.ptr);
			p->last_exit_code = exit_code(t);
			sw_buf_release(&b);
		} else if (!strcmp(last, "RUNNING")) {
			struct sw_rollout_task *rt;
			const json_t *c = json_array_get(json_object_get(t, "containers"), 0);
			const json_t *nb = json_array_get(json_object_get(c, "networkBindings"), 0);
			const char *h = sw_json_str(t, "healthStatus"), *id;
			SW_ALLOC_GROW(p->tasks, p->tasks_nr + 1, p->tasks_alloc);
			rt = &p->tasks[p->tasks_nr++];
			rt->arn = xstrdup(arn);
			rt->instance_arn = sw_json_str(t, "containerInstanceArn") ?
					   xstrdup(sw_json_str(t, "containerInstanceArn")) : NULL;
			id = instance_id(r, rt->instance_arn);
			rt->instance = id ? xstrdup(id) : NULL;
			rt->host_port = (int)sw_json_int(nb, "hostPort", 0);
			rt->ip = sw_rollout_task_ip(t) ? xstrdup(sw_rollout_task_ip(t)) : NULL;
			if (!h || !strcmp(h, "UNKNOWN"))
				h = sw_json_str(c, "healthStatus");
			rt->container_healthy = h && !strcmp(h, "HEALTHY");
		}
	}
}

void sw_rollout_instances(struct sw_rollout *r, const json_t *resp)
{
	const json_t *ci, *res;
	size_t i, j;
	int listed = 0, connected = 0;

	clear_instances(r);
	r->have_capacity = 1;
	json_array_foreach(json_object_get(resp, "containerInstances"), i, ci) {
		struct sw_rollout_instance *in;
		const char *status = sw_json_str(ci, "status");
		SW_ALLOC_GROW(r->instances, r->instances_nr + 1, r->instances_alloc);
		in = &r->instances[r->instances_nr++];
		in->arn = xstrdup(sw_json_str_or(ci, "containerInstanceArn", ""));
		in->ec2_id = sw_json_str(ci, "ec2InstanceId") ? xstrdup(sw_json_str(ci, "ec2InstanceId")) : NULL;
		in->remaining_mb = 0;
		in->active = (!status || !strcmp(status, "ACTIVE")) &&
			     !json_is_false(json_object_get(ci, "agentConnected"));
		listed += !status || !strcmp(status, "ACTIVE");
		connected += in->active;
		json_array_foreach(json_object_get(ci, "remainingResources"), j, res) {
			const char *n = sw_json_str(res, "name");
			if (n && !strcmp(n, "MEMORY"))
				in->remaining_mb = (int)sw_json_int(res, "integerValue", 0);
		}
	}
	/* no agent to start anything: on the engine, Docker stopped */
	r->agents_down = listed > 0 && connected == 0;
	/* the tasks fed before learn their instance's id */
	for (i = 0; i < r->nr; i++)
		for (j = 0; j < r->v[i].tasks_nr; j++) {
			struct sw_rollout_task *t = &r->v[i].tasks[j];
			const char *id = instance_id(r, t->instance_arn);
			if (id && !t->instance)
				t->instance = xstrdup(id);
		}
}

int sw_rollout_instances_unknown(const struct sw_rollout *r)
{
	size_t i, j;
	for (i = 0; i < r->nr; i++)
		for (j = 0; j < r->v[i].tasks_nr; j++)
			if (r->v[i].tasks[j].instance_arn && !instance_id(r, r->v[i].tasks[j].instance_arn))
				return 1;
	return 0;
}

void sw_rollout_targets(struct sw_rollout *r, struct sw_rollout_proc *p,
			const struct sw_rollout_target *t, size_t n, long long now)
{
	size_t i;
	sw_strvec_clear(&p->healthy_targets);
	p->targets_fed = 1;
	p->targets_at = now;
	for (i = 0; i < n; i++)
		if (t[i].id && t[i].state && !strcmp(t[i].state, "healthy"))
			sw_strvec_pushf(&p->healthy_targets, "%s:%d", t[i].id, t[i].port);
}

/*
 * Is task t's target healthy? Targets are "id:port": an awsvpc task's is its address;
 * otherwise an id that is not an instance id matches by port.
 */
static int target_healthy(const struct sw_rollout_proc *p, const struct sw_rollout_task *t)
{
	size_t i;
	if (t->ip) {
		size_t n = strlen(t->ip);
		for (i = 0; i < p->healthy_targets.nr; i++)
			if (!strncmp(p->healthy_targets.v[i], t->ip, n) && p->healthy_targets.v[i][n] == ':')
				return 1;
		return 0;
	}
	if (!t->host_port)
		return 0;
	for (i = 0; i < p->healthy_targets.nr; i++) {
		const char *s = p->healthy_targets.v[i], *colon = strrchr(s, ':');
		if (!colon || atoi(colon + 1) != t->host_port)
			continue;
		if (!t->instance || strncmp(s, "i-", 2) ||
		    ((size_t)(colon - s) == strlen(t->instance) && !strncmp(s, t->instance, (size_t)(colon - s))))
			return 1;
	}
	return 0;
}

static int healthy_count(const struct sw_rollout_proc *p)
{
	size_t i;
	int n = 0;
	if (!p->container_health && !p->load_balanced)
		return p->new_running;
	if (!p->tasks_fed || (p->load_balanced && !p->targets_fed))
		return 0;
	for (i = 0; i < p->tasks_nr; i++) {
		const struct sw_rollout_task *t = &p->tasks[i];
		if (p->container_health && !t->container_healthy)
			continue;
		if (p->load_balanced && !target_healthy(p, t))
			continue;
		n++;
	}
	return n;
}

int sw_rollout_room(const struct sw_rollout *r, int memory_mb)
{
	size_t i;
	long long n = 0;
	if (!r->have_capacity || memory_mb <= 0)
		return -1;
	for (i = 0; i < r->instances_nr; i++)
		if (r->instances[i].active && r->instances[i].remaining_mb > 0)
			n += r->instances[i].remaining_mb / memory_mb;
	return n > 100000 ? 100000 : (int)n;
}

void sw_rollout_shortfall(const struct sw_rollout *r, const struct sw_rollout_proc *p, struct sw_buf *out)
{
	int room = sw_rollout_room(r, p->memory_mb);
	sw_buf_addf(out, "%s needs %d \xc3\x97 %d MB; ", p->process, p->desired, p->memory_mb);
	if (room < 0)
		sw_buf_addf(out, "only %d could be placed", p->new_running + p->new_pending);
	else
		sw_buf_addf(out, "the cluster has room for %d", p->new_running + room);
	if (p->old_running > 0)
		sw_buf_addf(out, " beside the %d old task%s still running", p->old_running,
			    p->old_running == 1 ? "" : "s");
}

static void counts(const struct sw_rollout_proc *p, struct sw_buf *out)
{
	sw_buf_addf(out, "%d of %d new task%s healthy, %d old running", p->new_healthy,
		    p->desired, p->desired == 1 ? "" : "s", p->old_running);
}

static void progress_line(const struct sw_rollout_proc *p, struct sw_buf *out)
{
	sw_buf_addf(out, "%s: ", p->process);
	counts(p, out);
}

static int proc_live(const struct sw_rollout_proc *p)
{
	int signal = p->container_health || p->load_balanced;
	int all_healthy = p->new_healthy == p->desired && p->new_pending == 0;

	if (!p->primary_ours || p->rolled_back || p->why)
		return 0;
	if (p->ours_desired != p->desired || p->new_running != p->desired)
		return 0;
	if (p->desired == 0)
		return p->deployments_nr == 1;
	if (p->completed && p->fresh)
		return 1;
	if (p->completed)   /* an old COMPLETED: a scale of the same task definition */
		return signal ? all_healthy : p->new_pending == 0;
	/*
	 * Not COMPLETED (yet): the only deployment, every task healthy by a signal we can
	 * see (container health check, load balancer target). Without such a signal,
	 * RUNNING is not healthy: ECS's own COMPLETED (its stability period) decides,
	 * unless the service reports no rolloutState at all.
	 */
	if (p->deployments_nr != 1 || !all_healthy)
		return 0;
	return signal || !p->has_rollout_state;
}

void sw_rollout_pause(struct sw_rollout *r, long long ms)
{
	if (ms > 0)
		r->paused_ms += ms;
}

void sw_rollout_unreachable(struct sw_rollout *r, const char *why)
{
	if (r->verdict != SW_ROLLOUT_WAITING)
		return;
	r->verdict = SW_ROLLOUT_FAILED;
	r->why = SW_ROLLOUT_UNREACHABLE;
	sw_buf_reset(&r->reason);
	sw_buf_adds(&r->reason, why);
}

/*
 * The agents' connection: while every one is disconnected the deadline stops; when that
 * lasts as long as the deadline itself, FAILED. 1 when it failed.
 */
static int agents_check(struct sw_rollout *r, long long now)
{
	if (!r->agents_down) {
		r->agents_down_since = 0;
		r->last_decide_ms = now;
		return 0;
	}
	if (!r->agents_down_since)
		r->agents_down_since = r->last_decide_ms ? r->last_decide_ms : now;
	if (r->last_decide_ms && now > r->last_decide_ms)
		r->paused_ms += now - r->last_decide_ms;
	r->last_decide_ms = now;
	if (now - r->agents_down_since < r->deadline_ms)
		return 0;
	r->verdict = SW_ROLLOUT_FAILED;
	r->why = SW_ROLLOUT_UNREACHABLE;
	sw_buf_reset(&r->reason);
	sw_buf_adds(&r->reason, "Docker stopped: the cluster's container instances have had no agent connected for ");
	sw_time_format_elapsed(&r->reason, (double)(now - r->agents_down_since) / 1000.0);
	return 1;
}

enum sw_rollout_verdict sw_rollout_decide(struct sw_rollout *r, long long now, struct sw_strvec *lines)
{
	struct sw_rollout_proc *failed = NULL, *slow = NULL;
	size_t i;
	int all_live = 1;

	if (r->verdict != SW_ROLLOUT_WAITING)
		return r->verdict;
	if (agents_check(r, now))
		return r->verdict;
	for (i = 0; i < r->nr; i++) {
		struct sw_rollout_proc *p = &r->v[i];
		if (p->why && !failed)
			failed = p;
		if (!p->observed) {
			all_live = 0;
			if (!slow)
				slow = p;
			continue;
		}
		p->new_healthy = healthy_count(p);
		if (p->new_healthy > p->new_running)
			p->new_healthy = p->new_running;
		if (p->new_healthy > 0 && !r->first_healthy_at)
			r->first_healthy_at = now;
		if (p->why != SW_ROLLOUT_GONE &&
		    (p->new_running != p->shown_running || p->new_healthy != p->shown_healthy ||
		     p->old_running != p->shown_old)) {
			struct sw_buf b = SW_BUF_INIT;
			progress_line(p, &b);
			/* the line does not show running-but-not-healthy: say it only when it reads differently */
			if (!p->last_line || strcmp(p->last_line, b.ptr)) {
				add_line(lines, b.ptr);
				set_str(&p->last_line, b.ptr);
			}
			sw_buf_release(&b);
			p->shown_running = p->new_running;
			p->shown_healthy = p->new_healthy;
			p->shown_old = p->old_running;
			p->progress_at = now;
			r->quiet_polls = 0;
		}
		if (!p->why && p->crashes >= r->crash_limit)
			fail_proc(p, SW_ROLLOUT_CRASHED, "%s: %d new task%s stopped (last: %s)", p->process, p->crashes,
				  p->crashes == 1 ? "" : "s", p->last_crash ? p->last_crash : "stopped");
		if (!p->why && p->unplaced_at && now - p->progress_at >= r->stall_ms &&
		    p->new_running + p->new_pending < p->desired) {
			struct sw_buf b = SW_BUF_INIT;
			sw_rollout_shortfall(r, p, &b);
			fail_proc(p, SW_ROLLOUT_NO_CAPACITY, "%s", b.ptr);
			sw_buf_release(&b);
		}
		if (p->why && !failed)
			failed = p;
		p->live = proc_live(p);
		if (!p->live) {
			all_live = 0;
			if (!slow)
				slow = p;
		}
	}
	if (failed) {
		r->verdict = SW_ROLLOUT_FAILED;
		r->why = failed->why;
		sw_buf_reset(&r->reason);
		if (failed->why == SW_ROLLOUT_ECS_FAILED && failed->crashes && failed->last_crash)
			/* ECS gave up first: what the tasks died of says more than its verdict */
			sw_buf_addf(&r->reason, "%s: %d new task%s stopped (last: %s)", failed->process,
				    failed->crashes, failed->crashes == 1 ? "" : "s", failed->last_crash);
		else
			sw_buf_adds(&r->reason, failed->failure);
	} else if (all_live && r->nr) {
		r->verdict = SW_ROLLOUT_LIVE;
	} else if (now - r->started_at - r->paused_ms >= r->deadline_ms) {
		r->verdict = SW_ROLLOUT_FAILED;
		r->why = SW_ROLLOUT_DEADLINE;
		sw_buf_reset(&r->reason);
		if (slow) {
			sw_buf_addf(&r->reason, "%s: not live after ", slow->process);
			sw_time_format_elapsed(&r->reason, (double)((r->deadline_ms + 999) / 1000));
			sw_buf_adds(&r->reason, " (");
			counts(slow, &r->reason);
			sw_buf_adds(&r->reason, ")");
		} else {
			sw_buf_adds(&r->reason, "not live after ");
			sw_time_format_elapsed(&r->reason, (double)((r->deadline_ms + 999) / 1000));
		}
	}
	return r->verdict;
}

/*
 * The delay after a change, and the longest one while nothing changes and nothing is
 * throttled: on the engine the next step of a rollout (a container answering, its
 * target passing its checks, the old one drained) follows a change within a fraction
 * of a second; on AWS the steps take seconds to minutes, and the delay is soon back at
 * the longest.
 */
#define FIRST_MS 100
#define QUICK_POLLS 2      /* quiet polls after a change that still come FIRST_MS apart */
#define QUIET_MAX_MS 2000

long long sw_rollout_next_delay(struct sw_rollout *r, int progressed, int throttled, unsigned rnd)
{
	long long d = r->delay_ms;
	if (throttled) {
		d = d * 2 < 2000 ? 2000 : d * 2;
		if (d > 20000)
			d = 20000;
	} else if (d > QUIET_MAX_MS) {
		/* coming down from a throttled spell gently */
		d = d * 3 / 4 < QUIET_MAX_MS ? QUIET_MAX_MS : d * 3 / 4;
	} else if (progressed || !d || r->quiet_polls <= QUICK_POLLS) {
		d = FIRST_MS;
	} else {
		d = d * 3 / 2 > QUIET_MAX_MS ? QUIET_MAX_MS : d * 3 / 2;
	}
	r->delay_ms = d;
	return d / 2 + (long long)(rnd % (unsigned)(d / 2 + 1));
}

json_t *sw_rollout_describe_request(const struct sw_rollout *r, const char *cluster, size_t batch)
{
	json_t *names, *req;
	size_t i, start = batch * 10;
	if (start >= r->nr)
		return NULL;
	names = json_array();
	for (i = start; i < r->nr && i < start + 10; i++)
		json_array_append_new(names, json_string(r->v[i].service));
	req = json_pack("{s:s, s:o}", "cluster", cluster, "services", names);
	return req;
}

/* ---- resuming ---- */

static void opt_str(json_t *o, const char *key, const char *s)
{
	if (s)
		json_object_set_new(o, key, json_string(s));
}

#define RECORD_MAX_TASKS 50

static const char *task_id(const char *arn)
{
	const char *slash = arn ? strrchr(arn, '/') : NULL;
	return slash ? slash + 1 : (arn ? arn : "");
}

static json_t *proc_record(const struct sw_rollout *r, const struct sw_rollout_proc *p)
{
	json_t *o = json_object(), *tasks = json_array(), *stopped = json_array();
	size_t i;

	json_object_set_new(o, "process", json_string(p->process));
	json_object_set_new(o, "service", json_string(p->service));
	json_object_set_new(o, "desired", json_integer(p->desired));
	json_object_set_new(o, "running", json_integer(p->new_running));
	json_object_set_new(o, "pending", json_integer(p->new_pending));
	json_object_set_new(o, "healthy", json_integer(healthy_count(p)));
	json_object_set_new(o, "old_running", json_integer(p->old_running));
	json_object_set_new(o, "crashes", json_integer(p->crashes));
	json_object_set_new(o, "crash_limit", json_integer(r->crash_limit));
	json_object_set_new(o, "last_crash", p->last_crash ? json_string(p->last_crash) : json_null());
	json_object_set_new(o, "health", json_string(p->load_balanced ? "load balancer"
						     : p->container_health ? "container health check" : "running"));
	json_object_set_new(o, "deployment", p->deployment ? json_string(p->deployment) : json_null());
	json_object_set_new(o, "rolled_back", json_boolean(p->rolled_back));
	json_object_set_new(o, "failure", p->failure ? json_string(p->failure) : json_null());
	for (i = 0; i < p->tasks_nr && i < RECORD_MAX_TASKS; i++) {
		const struct sw_rollout_task *t = &p->tasks[i];
		int healthy = (!p->container_health || t->container_healthy) && (!p->load_balanced || target_healthy(p, t));
		json_array_append_new(tasks, json_pack("{s:s, s:b, s:i}", "id", task_id(t->arn), "healthy", healthy,
						       "port", t->host_port));
	}
	for (i = 0; i < p->stopped.nr && i < RECORD_MAX_TASKS; i++)
		json_array_append_new(stopped, json_string(task_id(p->stopped.v[i])));
	json_object_set_new(o, "tasks", tasks);
	json_object_set_new(o, "stopped", stopped);
	return o;
}

json_t *sw_rollout_record(const struct sw_rollout *r, long long now, const char *phase, int version,
			  const struct sw_strvec *events, size_t events_nr)
{
	static const char *const verdicts[] = { "waiting", "live", "failed" };
	json_t *o = json_object(), *procs = json_array(), *ev = json_array();
	size_t i;

	for (i = 0; i < r->nr; i++)
		json_array_append_new(procs, proc_record(r, &r->v[i]));
	for (i = 0; events && i < events_nr && i < events->nr; i++)
		json_array_append_new(ev, json_string(events->v[i]));
	json_object_set_new(o, "t", json_integer(now));
	json_object_set_new(o, "version", json_integer(version));
	json_object_set_new(o, "phase", json_string(phase ? phase : "rollout"));
	json_object_set_new(o, "verdict", json_string(verdicts[r->verdict <= SW_ROLLOUT_FAILED ? r->verdict : 0]));
	json_object_set_new(o, "reason", r->verdict == SW_ROLLOUT_FAILED && r->reason.len ? json_string(r->reason.ptr)
										       : json_null());
	json_object_set_new(o, "events", ev);
	json_object_set_new(o, "processes", procs);
	return o;
}

json_t *sw_rollout_to_json(const struct sw_rollout *r)
{
	json_t *procs = json_array();
	size_t i;
	for (i = 0; i < r->nr; i++) {
		const struct sw_rollout_proc *p = &r->v[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:b, s:b, s:b, s:i, s:o}",
				      "process", p->process, "service", p->service, "taskdef", p->taskdef,
				      "desired", p->desired, "memory", p->memory_mb,
				      "container_health", p->container_health,
				      "load_balanced", p->load_balanced, "seen_ours", p->seen_ours,
				      "crashes", p->crashes, "stopped", sw_json_from_strvec(&p->stopped));
		opt_str(o, "deployment", p->deployment);
		opt_str(o, "last_crash", p->last_crash);
		json_array_append_new(procs, o);
	}
	return json_pack("{s:I, s:I, s:I, s:I, s:i, s:o, s:o, s:i, s:I}",
			 "started_at", (json_int_t)r->started_at, "deadline_ms", (json_int_t)r->deadline_ms,
			 "stall_ms", (json_int_t)r->stall_ms, "paused_ms", (json_int_t)r->paused_ms,
			 "crash_limit", r->crash_limit,
			 "events_seen", sw_json_from_strvec(&r->events_seen), "processes", procs,
			 "requests", r->requests, "first_healthy_at", (json_int_t)r->first_healthy_at);
}

int sw_rollout_from_json(struct sw_rollout *r, const json_t *j)
{
	const json_t *procs = json_object_get(j, "processes"), *o;
	size_t i;
	if (!json_is_object(j) || !json_is_array(procs) || !json_is_integer(json_object_get(j, "started_at")))
		return sw_error_code(SW_EINVAL, "stored rollout state is malformed");
	sw_rollout_init(r, sw_json_int(j, "started_at", 0),
			sw_json_int(j, "deadline_ms", 0));
	if (json_is_integer(json_object_get(j, "stall_ms")))
		r->stall_ms = sw_json_int(j, "stall_ms", 0);
	if (json_is_integer(json_object_get(j, "paused_ms")))
		r->paused_ms = sw_json_int(j, "paused_ms", 0);
	if (json_is_integer(json_object_get(j, "crash_limit")))
		r->crash_limit = (int)sw_json_int(j, "crash_limit", 0);
	sw_json_to_strvec(&r->events_seen, json_object_get(j, "events_seen"));
	r->requests = (int)sw_json_int(j, "requests", 0);
	r->first_healthy_at = sw_json_int(j, "first_healthy_at", 0);
	json_array_foreach(procs, i, o) {
		struct sw_rollout_proc *p;
		if (!sw_json_str(o, "process") || !sw_json_str(o, "service") || !sw_json_str(o, "taskdef")) {
			sw_rollout_release(r);
			return sw_error_code(SW_EINVAL, "stored rollout state is malformed");
		}
		p = sw_rollout_add(r, sw_json_str(o, "process"), sw_json_str(o, "service"), sw_json_str(o, "taskdef"),
				   (int)sw_json_int(o, "desired", 0), (int)sw_json_int(o, "memory", 0));
		p->container_health = sw_json_bool(o, "container_health", 0);
		p->load_balanced = sw_json_bool(o, "load_balanced", 0);
		p->seen_ours = sw_json_bool(o, "seen_ours", 0);
		p->crashes = (int)sw_json_int(o, "crashes", 0);
		set_str(&p->deployment, sw_json_str(o, "deployment"));
		set_str(&p->last_crash, sw_json_str(o, "last_crash"));
		sw_json_to_strvec(&p->stopped, json_object_get(o, "stopped"));
	}
	return 0;
}
