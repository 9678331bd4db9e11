#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <cmocka.h>

#include "releaser/rollout.h"
#include "common/error.h"
#include "common/banned.h"

#define DIR_DATA "test/unit/releaser/data/rollout"

static json_t *load(const char *name)
{
	char path[256];
	json_error_t err;
	json_t *j;
	snprintf(path, sizeof(path), "%s/%s", DIR_DATA, name);
	j = json_load_file(path, 0, &err);
	if (!j)
		fail_msg("%s:%d: %s", path, err.line, err.text);
	return j;
}

static const char *why_name(enum sw_rollout_why w)
{
	switch (w) {
	case SW_ROLLOUT_OK: return "ok";
	case SW_ROLLOUT_ECS_FAILED: return "ecs_failed";
	case SW_ROLLOUT_CRASHED: return "crashed";
	case SW_ROLLOUT_NO_CAPACITY: return "no_capacity";
	case SW_ROLLOUT_DEADLINE: return "deadline";
	case SW_ROLLOUT_GONE: return "gone";
	case SW_ROLLOUT_UNREACHABLE: return "unreachable";
	}
	return "?";
}

static const char *verdict_name(enum sw_rollout_verdict v)
{
	return v == SW_ROLLOUT_LIVE ? "live" : v == SW_ROLLOUT_FAILED ? "failed" : "waiting";
}

static void setup_rollout(struct sw_rollout *r, const json_t *sc)
{
	const json_t *p;
	size_t i;
	sw_rollout_init(r, json_integer_value(json_object_get(sc, "started_at")),
			json_integer_value(json_object_get(sc, "deadline_ms")));
	if (json_object_get(sc, "stall_ms"))
		r->stall_ms = json_integer_value(json_object_get(sc, "stall_ms"));
	json_array_foreach(json_object_get(sc, "processes"), i, p) {
		struct sw_rollout_proc *rp = sw_rollout_add(r,
			json_string_value(json_object_get(p, "process")),
			json_string_value(json_object_get(p, "service")),
			json_string_value(json_object_get(p, "taskdef")),
			(int)json_integer_value(json_object_get(p, "desired")),
			(int)json_integer_value(json_object_get(p, "memory")));
		rp->container_health = json_is_true(json_object_get(p, "container_health"));
		rp->load_balanced = json_is_true(json_object_get(p, "load_balanced"));
	}
}

/* Feed one recorded poll and check what the pusher sees and the verdict. */
static void replay_step(struct sw_rollout *r, const char *name, size_t n, const json_t *step)
{
	struct sw_strvec lines = SW_STRVEC_INIT;
	long long now = json_integer_value(json_object_get(step, "now"));
	const json_t *v, *want = json_object_get(step, "lines"), *l;
	const char *key, *expect = json_string_value(json_object_get(step, "verdict"));
	enum sw_rollout_verdict got;
	size_t i;

	if ((v = json_object_get(step, "update_service")))
		sw_rollout_services(r, v, now, &lines);
	if ((v = json_object_get(step, "services")))
		sw_rollout_services(r, v, now, &lines);
	if ((v = json_object_get(step, "instances")))
		sw_rollout_instances(r, v);
	json_object_foreach(json_object_get(step, "tasks"), key, v) {
		struct sw_rollout_proc *p = NULL;
		for (i = 0; i < r->nr; i++)
			if (!strcmp(r->v[i].process, key))
				p = &r->v[i];
		assert_non_null(p);
		sw_rollout_tasks(r, p, v, now);
	}
	json_object_foreach(json_object_get(step, "targets"), key, v) {
		struct sw_rollout_proc *p = NULL;
		const json_t *d = json_object_get(v, "TargetHealthDescriptions"), *t;
		struct sw_rollout_target *ts = calloc(json_array_size(d) + 1, sizeof(*ts));
		for (i = 0; i < r->nr; i++)
			if (!strcmp(r->v[i].process, key))
				p = &r->v[i];
		assert_non_null(p);
		json_array_foreach(d, i, t) {
			ts[i].id = json_string_value(json_object_get(json_object_get(t, "Target"), "Id"));
			ts[i].port = (int)json_integer_value(json_object_get(json_object_get(t, "Target"), "Port"));
			ts[i].state = json_string_value(json_object_get(json_object_get(t, "TargetHealth"), "State"));
		}
		sw_rollout_targets(r, p, ts, json_array_size(d), now);
		free(ts);
	}
	got = sw_rollout_decide(r, now, &lines);

	if (lines.nr != json_array_size(want)) {
		struct sw_buf b = SW_BUF_INIT;
		for (i = 0; i < lines.nr; i++)
			sw_buf_addf(&b, "  %s\n", lines.v[i]);
		fail_msg("%s step %zu: %zu lines, want %zu:\n%s", name, n, lines.nr, json_array_size(want), b.ptr);
	}
	json_array_foreach(want, i, l)
		if (strcmp(lines.v[i], json_string_value(l)))
			fail_msg("%s step %zu line %zu:\n got  %s\n want %s", name, n, i, lines.v[i],
				 json_string_value(l));
	if (strcmp(verdict_name(got), expect))
		fail_msg("%s step %zu: verdict %s, want %s (%s)", name, n, verdict_name(got), expect, r->reason.ptr);
	if (got == SW_ROLLOUT_FAILED) {
		const char *reason = json_string_value(json_object_get(step, "reason"));
		const char *why = json_string_value(json_object_get(step, "why"));
		const char *rb = json_string_value(json_object_get(step, "rolled_back"));
		if (!reason || strcmp(r->reason.ptr, reason))
			fail_msg("%s step %zu: reason\n got  %s\n want %s", name, n, r->reason.ptr, reason);
		if (!why || strcmp(why_name(r->why), why))
			fail_msg("%s step %zu: why %s, want %s", name, n, why_name(r->why), why);
		for (i = 0; i < r->nr; i++)
			if (r->v[i].why) {
				if (rb && (!r->v[i].rolled_back || strcmp(r->v[i].restore_deployment, rb)))
					fail_msg("%s: expected ECS's rollback to %s", name, rb);
				if (!rb && r->v[i].rolled_back)
					fail_msg("%s: unexpected rollback", name);
			}
	}
	sw_strvec_clear(&lines);
}

static void replay(const char *file)
{
	json_t *sc = load(file);
	struct sw_rollout r;
	const json_t *step;
	size_t i;
	setup_rollout(&r, sc);
	json_array_foreach(json_object_get(sc, "steps"), i, step)
		replay_step(&r, file, i + 1, step);
	/* a verdict, once reached, stays */
	if (r.verdict != SW_ROLLOUT_WAITING) {
		enum sw_rollout_verdict v = r.verdict;
		assert_int_equal(sw_rollout_decide(&r, r.started_at + 3600 * 1000LL, NULL), v);
	}
	sw_rollout_release(&r);
	json_decref(sc);
}

static void recorded_scenarios(void **state)
{
	DIR *d = opendir(DIR_DATA);
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".json"))
			continue;
		replay(e->d_name);
		n++;
	}
	closedir(d);
	assert_true(n >= 11);
}

/* A slipwayd restarted mid-rollout: the state saved after step 2 resumes without repeating events. */
static void resume_from_saved_state(void **state)
{
	json_t *sc = load("live.json"), *saved;
	const json_t *steps = json_object_get(sc, "steps");
	struct sw_rollout r, again;
	size_t i;

	setup_rollout(&r, sc);
	replay_step(&r, "live.json", 1, json_array_get(steps, 0));
	replay_step(&r, "live.json", 2, json_array_get(steps, 1));
	saved = sw_rollout_to_json(&r);
	sw_rollout_release(&r);

	assert_int_equal(sw_rollout_from_json(&again, saved), 0);
	assert_string_equal(again.v[0].deployment, "ecs-svc/222");
	assert_int_equal(again.started_at, json_integer_value(json_object_get(sc, "started_at")));
	{
		/* the restarted watcher prints its progress line once, then the rest as recorded */
		struct sw_strvec lines = SW_STRVEC_INIT;
		const json_t *s3 = json_array_get(steps, 2);
		long long now = json_integer_value(json_object_get(s3, "now"));
		sw_rollout_services(&again, json_object_get(s3, "services"), now, &lines);
		assert_int_equal(sw_rollout_decide(&again, now, &lines), SW_ROLLOUT_WAITING);
		assert_int_equal(lines.nr, 1);
		assert_string_equal(lines.v[0], "web: 1 of 2 new tasks healthy, 2 old running");
		sw_strvec_clear(&lines);
	}
	for (i = 3; i < json_array_size(steps); i++)
		replay_step(&again, "live.json (resumed)", i + 1, json_array_get(steps, i));
	assert_int_equal(again.verdict, SW_ROLLOUT_LIVE);
	sw_rollout_release(&again);
	json_decref(saved);
	json_decref(sc);

	saved = json_pack("{s:s}", "started_at", "yesterday");
	assert_int_equal(sw_rollout_from_json(&again, saved), SW_EINVAL);
	json_decref(saved);
}

static void crash_count_survives_restart(void **state)
{
	json_t *sc = load("crash_loop.json"), *saved;
	const json_t *steps = json_object_get(sc, "steps");
	struct sw_rollout r, again;
	setup_rollout(&r, sc);
	replay_step(&r, "crash_loop.json", 1, json_array_get(steps, 0));
	replay_step(&r, "crash_loop.json", 2, json_array_get(steps, 1));
	assert_int_equal(r.v[0].crashes, 1);
	saved = sw_rollout_to_json(&r);
	assert_int_equal(sw_rollout_from_json(&again, saved), 0);
	assert_int_equal(again.v[0].crashes, 1);
	again.v[0].shown_running = 1;  /* as if its line had been printed */
	again.v[0].shown_healthy = 1;
	again.v[0].shown_old = 2;
	replay_step(&again, "crash_loop.json (resumed)", 3, json_array_get(steps, 2));
	sw_rollout_release(&r);
	sw_rollout_release(&again);
	json_decref(saved);
	json_decref(sc);
}

static void backoff_schedule(void **state)
{
	struct sw_rollout r;
	long long got[12];
	int i;
	sw_rollout_init(&r, 0, 0);
	/* rnd = 0: the fixed half of each delay; quiet_polls as watch.c counts them */
	got[0] = sw_rollout_next_delay(&r, 1, 0, 0);
	assert_int_equal(r.delay_ms, 100);
	assert_int_equal(got[0], 50);
	for (i = 1; i < 12; i++) {
		r.quiet_polls = i;
		got[i] = sw_rollout_next_delay(&r, 0, 0, 0);
	}
	/* 100 (twice more) → 150 → 225 → 337 → 505 → 757 → 1135 → 1702 → 2000 (cap) → 2000 */
	assert_int_equal(got[1], 50);
	assert_int_equal(got[2], 50);
	assert_int_equal(got[3], 75);
	assert_int_equal(got[4], 112);
	assert_int_equal(got[5], 168);
	assert_int_equal(got[9], 851);
	assert_int_equal(got[10], 1000);
	assert_int_equal(got[11], 1000);
	/* a change takes it back to 100 ms */
	r.quiet_polls = 0;
	assert_int_equal(sw_rollout_next_delay(&r, 1, 0, 0), 50);
	r.quiet_polls = 5;
	/* throttling doubles (at least 2 s) up to 20 s */
	assert_int_equal(sw_rollout_next_delay(&r, 0, 1, 0), 1000);
	assert_int_equal(r.delay_ms, 2000);
	for (i = 0; i < 6; i++)
		sw_rollout_next_delay(&r, 0, 1, 0);
	assert_int_equal(r.delay_ms, 20000);
	/* then comes down gently: 15000, 11250, 8437, 6327, 4745, 3558, 2668, 2001, 2000 */
	sw_rollout_next_delay(&r, 1, 0, 0);
	assert_int_equal(r.delay_ms, 15000);
	sw_rollout_next_delay(&r, 0, 0, 0);
	assert_int_equal(r.delay_ms, 11250);
	for (i = 0; i < 6; i++)
		sw_rollout_next_delay(&r, 0, 0, 0);
	assert_int_equal(r.delay_ms, 2001);
	sw_rollout_next_delay(&r, 0, 0, 0);
	assert_int_equal(r.delay_ms, 2000);
	/* jitter: the random half is bounded by the delay */
	r.delay_ms = 1500;
	assert_int_equal(sw_rollout_next_delay(&r, 0, 0, 12345), 1000 + 12345 % 1001);
	r.delay_ms = 1500;
	assert_true(sw_rollout_next_delay(&r, 0, 0, 0xffffffffu) <= 2000);
	sw_rollout_release(&r);
}

static void describe_batches_of_ten(void **state)
{
	struct sw_rollout r;
	json_t *req;
	int i;
	char name[32];
	sw_rollout_init(&r, 0, 0);
	for (i = 0; i < 23; i++) {
		snprintf(name, sizeof(name), "app-p%d", i);
		sw_rollout_add(&r, name + 4, name, "arn:td", 1, 256);
	}
	req = sw_rollout_describe_request(&r, "default", 0);
	assert_int_equal(json_array_size(json_object_get(req, "services")), 10);
	assert_string_equal(json_string_value(json_object_get(req, "cluster")), "default");
	assert_string_equal(json_string_value(json_array_get(json_object_get(req, "services"), 0)), "app-p0");
	json_decref(req);
	req = sw_rollout_describe_request(&r, "default", 2);
	assert_int_equal(json_array_size(json_object_get(req, "services")), 3);
	assert_string_equal(json_string_value(json_array_get(json_object_get(req, "services"), 2)), "app-p22");
	json_decref(req);
	assert_null(sw_rollout_describe_request(&r, "default", 3));
	assert_non_null(sw_rollout_find(&r, "arn:aws:ecs:us-east-1:000000000000:service/default/app-p7"));
	assert_null(sw_rollout_find(&r, "app-p99"));
	sw_rollout_release(&r);
}

static void room_and_shortfall(void **state)
{
	json_t *ci = load("no_capacity.json");
	const json_t *inst = json_object_get(json_array_get(json_object_get(ci, "steps"), 0), "instances");
	struct sw_rollout r;
	struct sw_rollout_proc *p;
	struct sw_buf b = SW_BUF_INIT;
	sw_rollout_init(&r, 0, 0);
	p = sw_rollout_add(&r, "worker", "hello-worker", "arn:td", 3, 200);
	assert_int_equal(sw_rollout_room(&r, 512), -1);
	sw_rollout_shortfall(&r, p, &b);
	assert_string_equal(b.ptr, "worker needs 3 \xc3\x97 200 MB; only 0 could be placed");
	sw_rollout_instances(&r, inst);
	assert_int_equal(sw_rollout_room(&r, 512), 1);
	assert_int_equal(sw_rollout_room(&r, 100), 5);
	assert_int_equal(sw_rollout_room(&r, 1024), 0);
	sw_buf_reset(&b);
	sw_rollout_shortfall(&r, p, &b);
	assert_string_equal(b.ptr, "worker needs 3 \xc3\x97 200 MB; the cluster has room for 2");
	sw_buf_release(&b);
	sw_rollout_release(&r);
	json_decref(ci);
}

static void desired_zero(void **state)
{
	struct sw_rollout r;
	json_t *resp = json_loads(
		"{\"services\": [{\"serviceName\": \"hello-worker\", \"status\": \"ACTIVE\", \"deployments\": ["
		"{\"id\": \"ecs-svc/9\", \"status\": \"PRIMARY\", \"taskDefinition\": \"arn:td:2\", \"desiredCount\": 0,"
		" \"runningCount\": 0, \"pendingCount\": 0, \"rolloutState\": \"COMPLETED\", \"createdAt\": 1}]}]}",
		0, NULL);
	sw_rollout_init(&r, 1000, 0);
	sw_rollout_add(&r, "worker", "hello-worker", "arn:td:2", 0, 256);
	sw_rollout_services(&r, resp, 2000, NULL);
	assert_int_equal(sw_rollout_decide(&r, 2000, NULL), SW_ROLLOUT_LIVE);
	sw_rollout_release(&r);
	json_decref(resp);
}

/*
 * The deadline does not count the time ECS did not answer nor the time no agent was
 * connected (Docker stopped on the engine); agents down as long as the deadline fail
 * it in words, and so does ECS not answering (sw_rollout_unreachable).
 */
static void deadline_stops_while_unreachable(void **state)
{
	struct sw_rollout r;
	json_t *svc = json_loads(
		"{\"services\": [{\"serviceName\": \"hello-web\", \"status\": \"ACTIVE\", \"deployments\": ["
		"{\"id\": \"ecs-svc/9\", \"status\": \"PRIMARY\", \"taskDefinition\": \"arn:td:2\", \"desiredCount\": 1,"
		" \"runningCount\": 0, \"pendingCount\": 1, \"rolloutState\": \"IN_PROGRESS\", \"createdAt\": 1}]}]}",
		0, NULL);
	json_t *down = json_loads("{\"containerInstances\": [{\"containerInstanceArn\": \"arn:ci\", \"status\": \"ACTIVE\","
				  " \"agentConnected\": false}]}", 0, NULL);
	json_t *up = json_loads("{\"containerInstances\": [{\"containerInstanceArn\": \"arn:ci\", \"status\": \"ACTIVE\","
				" \"agentConnected\": true}]}", 0, NULL);
	json_t *saved;
	(void)state;

	sw_rollout_init(&r, 0, 120000);
	sw_rollout_add(&r, "web", "hello-web", "arn:td:2", 1, 256);
	sw_rollout_services(&r, svc, 1000, NULL);
	sw_rollout_instances(&r, up);
	assert_int_equal(sw_rollout_decide(&r, 1000, NULL), SW_ROLLOUT_WAITING);
	/* 30 s waiting for ECS, then no agent from 1 s to 100 s: 119 s that do not count */
	sw_rollout_pause(&r, 30000);
	sw_rollout_instances(&r, down);
	assert_int_equal(sw_rollout_decide(&r, 50000, NULL), SW_ROLLOUT_WAITING);
	assert_int_equal(sw_rollout_decide(&r, 90000, NULL), SW_ROLLOUT_WAITING);
	sw_rollout_instances(&r, up);
	assert_int_equal(sw_rollout_decide(&r, 100000, NULL), SW_ROLLOUT_WAITING);
	assert_int_equal(r.paused_ms, 30000 + 89000);
	/* kept across a restart of slipwayd */
	saved = sw_rollout_to_json(&r);
	sw_rollout_release(&r);
	assert_int_equal(sw_rollout_from_json(&r, saved), 0);
	assert_int_equal(r.paused_ms, 119000);
	json_decref(saved);
	sw_rollout_services(&r, svc, 238000, NULL);
	sw_rollout_instances(&r, up);
	assert_int_equal(sw_rollout_decide(&r, 238000, NULL), SW_ROLLOUT_WAITING);
	assert_int_equal(sw_rollout_decide(&r, 240000, NULL), SW_ROLLOUT_FAILED);
	assert_int_equal(r.why, SW_ROLLOUT_DEADLINE);
	sw_rollout_release(&r);

	/* no agent for as long as the deadline: failed, saying Docker stopped */
	sw_rollout_init(&r, 0, 60000);
	sw_rollout_add(&r, "web", "hello-web", "arn:td:2", 1, 256);
	sw_rollout_services(&r, svc, 1000, NULL);
	sw_rollout_instances(&r, down);
	assert_int_equal(sw_rollout_decide(&r, 1000, NULL), SW_ROLLOUT_WAITING);
	assert_int_equal(sw_rollout_decide(&r, 60000, NULL), SW_ROLLOUT_WAITING);
	assert_int_equal(sw_rollout_decide(&r, 61500, NULL), SW_ROLLOUT_FAILED);
	assert_int_equal(r.why, SW_ROLLOUT_UNREACHABLE);
	assert_non_null(strstr(r.reason.ptr, "Docker stopped: the cluster's container instances have had no agent "
				"connected for 1m"));
	sw_rollout_release(&r);

	/* ECS did not answer for the stall window */
	sw_rollout_init(&r, 0, 60000);
	sw_rollout_add(&r, "web", "hello-web", "arn:td:2", 1, 256);
	sw_rollout_unreachable(&r, "the engine stopped: slipway-engine did not answer at http://127.0.0.1:1 for 30s");
	assert_int_equal(sw_rollout_decide(&r, 2000, NULL), SW_ROLLOUT_FAILED);
	assert_int_equal(r.why, SW_ROLLOUT_UNREACHABLE);
	assert_non_null(strstr(r.reason.ptr, "the engine stopped"));
	sw_rollout_release(&r);
	json_decref(svc);
	json_decref(down);
	json_decref(up);
}

/* The service as ECS describes it: one PRIMARY deployment of arn:td:2 created at created (s). */
static json_t *one_service(int running, const char *state, const char *event, double created)
{
	return json_pack("{s:[{s:s, s:s, s:i, s:i, s:i, s:[{s:s, s:s, s:s, s:i, s:i, s:i, s:s, s:f}], "
			 "s:[{s:s, s:s, s:f}]}]}", "services", "serviceName", "hello-web", "status", "ACTIVE",
			 "desiredCount", 1, "runningCount", running, "pendingCount", 1 - running, "deployments", "id",
			 "ecs-svc/2", "status", "PRIMARY", "taskDefinition", "arn:td:2", "desiredCount", 1,
			 "runningCount", running, "pendingCount", 1 - running, "rolloutState", state, "createdAt", created,
			 "events", "id", event, "message", "(service hello-web) has started 1 tasks.", "createdAt",
			 created);
}

/* A rollout of hello's load-balanced web process to arn:td:2 that began at 10 s. */
static struct sw_rollout_proc *web_rollout(struct sw_rollout *r)
{
	struct sw_rollout_proc *p;
	sw_rollout_init(r, 10000, 0);
	p = sw_rollout_add(r, "web", "hello-web", "arn:td:2", 1, 256);
	p->load_balanced = 1;
	return p;
}

/* What the watcher reads again: only a service that reads differently marks its tasks worth reading. */
static void change_tells_what_to_read(void **state)
{
	struct sw_rollout r;
	struct sw_rollout_proc *p;
	json_t *pending = one_service(0, "IN_PROGRESS", "e1", 10.0), *running = one_service(1, "IN_PROGRESS", "e1", 10.0);
	json_t *tasks = json_loads("{\"tasks\": [{\"taskArn\": \"arn:task/t1\", \"lastStatus\": \"RUNNING\","
				   " \"startedBy\": \"ecs-svc/2\", \"containerInstanceArn\": \"arn:ci/1\","
				   " \"containers\": [{\"networkBindings\": [{\"hostPort\": 32000}]}]}]}", 0, NULL);
	json_t *inst = json_loads("{\"containerInstances\": [{\"containerInstanceArn\": \"arn:ci/1\","
				  " \"ec2InstanceId\": \"i-1\", \"status\": \"ACTIVE\"}]}", 0, NULL);
	struct sw_rollout_target healthy = { "i-1", 32000, "healthy" };

	p = web_rollout(&r);
	sw_rollout_services(&r, pending, 10100, NULL);
	assert_true(p->changed);   /* the first look */
	p->changed = 0;            /* (the watcher read the tasks) */
	sw_rollout_services(&r, pending, 10200, NULL);
	assert_false(p->changed);
	sw_rollout_services(&r, running, 10300, NULL);
	assert_true(p->changed);
	/* a task on an instance not fed yet: its id comes with the instances */
	sw_rollout_tasks(&r, p, tasks, 10300);
	assert_int_equal(p->tasks_at, 10300);
	assert_true(sw_rollout_instances_unknown(&r));
	assert_null(p->tasks[0].instance);
	sw_rollout_instances(&r, inst);
	assert_false(sw_rollout_instances_unknown(&r));
	assert_string_equal(p->tasks[0].instance, "i-1");
	/* the moment a new task was first seen healthy is kept, and survives a restart */
	assert_int_equal(sw_rollout_decide(&r, 10300, NULL), SW_ROLLOUT_WAITING);
	assert_int_equal(r.first_healthy_at, 0);
	sw_rollout_targets(&r, p, &healthy, 1, 10400);
	sw_rollout_decide(&r, 10400, NULL);
	assert_int_equal(r.first_healthy_at, 10400);
	r.requests = 7;
	{
		json_t *saved = sw_rollout_to_json(&r);
		struct sw_rollout again;
		assert_int_equal(sw_rollout_from_json(&again, saved), 0);
		assert_int_equal(again.first_healthy_at, 10400);
		assert_int_equal(again.requests, 7);
		sw_rollout_release(&again);
		json_decref(saved);
	}
	sw_rollout_release(&r);
	json_decref(pending);
	json_decref(running);
	json_decref(tasks);
	json_decref(inst);
}

/*
 * A scale right after a config change: the deployment ECS shows COMPLETED is the one
 * the change made 0.8 s before the scale began, not the scale's: live only once the new
 * task is healthy too. One created as the rollout began is its own: COMPLETED is live.
 */
static void completed_deployment_of_an_earlier_change_is_not_ours(void **state)
{
	struct sw_rollout r;
	json_t *earlier = one_service(1, "COMPLETED", "e1", 9.2), *ours = one_service(1, "COMPLETED", "e1", 10.02);

	web_rollout(&r);
	sw_rollout_services(&r, earlier, 10100, NULL);
	assert_int_equal(sw_rollout_decide(&r, 10100, NULL), SW_ROLLOUT_WAITING);
	sw_rollout_release(&r);
	web_rollout(&r);
	sw_rollout_services(&r, ours, 10100, NULL);
	assert_int_equal(sw_rollout_decide(&r, 10100, NULL), SW_ROLLOUT_LIVE);
	sw_rollout_release(&r);
	json_decref(earlier);
	json_decref(ours);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(recorded_scenarios),
		cmocka_unit_test(resume_from_saved_state),
		cmocka_unit_test(crash_count_survives_restart),
		cmocka_unit_test(backoff_schedule),
		cmocka_unit_test(describe_batches_of_ten),
		cmocka_unit_test(room_and_shortfall),
		cmocka_unit_test(desired_zero),
		cmocka_unit_test(deadline_stops_while_unreachable),
		cmocka_unit_test(change_tells_what_to_read),
		cmocka_unit_test(completed_deployment_of_an_earlier_change_is_not_ours),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
