/*
 * The load-balancer seam (engine/run/balancer.h) as the scheduler drives it, with a fake
 * balancer: targets registered with the task's host port, health gating the rollout,
 * the grace period, "Task failed ELB health checks", and deregistration + draining
 * before the containers are stopped. No Docker: worker jobs only queue (0 workers) and
 * the test plays the START job's part.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine/api/awsjson.h"
#include "engine/ecs/ecs.h"
#include "engine/engine_db.h"
#include "engine/ecs/service_event.h"
#include "engine/run/balancer.h"
#include "engine/run/scheduler.h"
#include "engine/run/worker.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "../fixture.h"
#include "common/json.h"
#include "common/banned.h"

#define TG "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef"

struct fake_lb {
	int registered, deregistered;
	char host[64];
	int port;
	enum sw_run_target_health health;    /* what every target reports */
	enum sw_run_target_health unhealthy_port_health;
	int unhealthy_port;              /* this one port reports unhealthy_port_health */
	int draining_port;               /* another port deregistered: draining until cleared */
};

static int fake_check(void *ctx, const char *arn)
{
	return strcmp(arn, TG) ? -1 : 0;
}

static int fake_register(void *ctx, const struct sw_run_target *t)
{
	struct fake_lb *f = ctx;
	f->registered++;
	memcpy(f->host, t->host, strlen(t->host) + 1);
	f->port = t->port;
	return 0;
}

static int fake_deregister(void *ctx, const struct sw_run_target *t, int *drain)
{
	struct fake_lb *f = ctx;
	f->deregistered++;
	if (t->port == f->unhealthy_port)
		f->unhealthy_port_health = SW_TARGET_DRAINING;   /* as ELB reports it from now on */
	else
		f->draining_port = t->port;
	*drain = 5;
	return 0;
}

static enum sw_run_target_health fake_health(void *ctx, const struct sw_run_target *t, struct sw_buf *reason)
{
	struct fake_lb *f = ctx;
	if (t->port == f->draining_port)
		return SW_TARGET_DRAINING;
	return t->port == f->unhealthy_port ? f->unhealthy_port_health : f->health;
}

static const struct sw_run_balancer_ops fake_ops = {
	"fake", fake_check, fake_register, fake_deregister, fake_health, NULL, NULL, NULL,
};

static struct sw_engine e;
static struct fake_lb fake;

static int call(sw_engine_api_fn fn, const char *json)
{
	return fixture_call(&e, fn, json, NULL, NULL);
}

/* What the START job would do: the container runs, published on host port `port`. */
static void started(struct sw_engine_task *t, double now, int port)
{
	t->busy = 0;
	t->last = SW_TASK_RUNNING;
	t->started_at = now;
	sw_engine_set_str(&t->containers[0].docker_id, "cafe");
	sw_engine_set_str(&t->containers[0].last_status, "RUNNING");
	t->containers[0].bindings = json_pack("[{s:s, s:i, s:i, s:s}]", "bindIP", "127.0.0.1", "containerPort", 8080,
					      "hostPort", port, "protocol", "tcp");
}

static struct sw_engine_service *service(void)
{
	return e.st.nr_services ? e.st.services[0] : NULL;
}

static void engine_up(double now, long long stable_ms)
{
	memset(&fake, 0, sizeof(fake));
	fixture_up(&e, now, stable_ms);
}

static void engine_down(void)
{
	fixture_down(&e);
}

static void seam(void **state)
{
	struct sw_engine_service *s;
	struct sw_engine_task *t0, *t1;
	double now = sw_time_now();

	engine_up(now, 0);
	/* without a balancer, loadBalancers are refused */
	sw_run_balancer_set(&e, NULL, NULL);
	assert_int_equal(call(sw_ecs_op_register_task_definition,
			      "{\"family\":\"web\",\"containerDefinitions\":[{\"name\":\"web\",\"image\":\"i\","
			      "\"memory\":16,\"portMappings\":[{\"containerPort\":8080}]}]}"), 0);
	assert_int_equal(call(sw_ecs_op_create_service, "{\"serviceName\":\"web\",\"taskDefinition\":\"web\","
			      "\"desiredCount\":2,\"loadBalancers\":[{\"targetGroupArn\":\"" TG "\","
			      "\"containerName\":\"web\",\"containerPort\":8080}]}"), -1);
	assert_null(service());

	sw_run_balancer_set(&e, &fake_ops, &fake);
	assert_int_equal(call(sw_ecs_op_create_service, "{\"serviceName\":\"web\",\"taskDefinition\":\"web\","
			      "\"desiredCount\":2,\"healthCheckGracePeriodSeconds\":30,\"loadBalancers\":"
			      "[{\"targetGroupArn\":\"" TG "\",\"containerName\":\"web\",\"containerPort\":8080}]}"), 0);
	s = service();
	assert_non_null(s);

	sw_run_scheduler_pass(&e, now);
	assert_int_equal(e.st.nr_tasks, 2);
	t0 = e.st.tasks[0];
	t1 = e.st.tasks[1];
	assert_int_equal(t0->last, SW_TASK_PENDING);
	assert_true(t0->busy);                       /* START queued */
	started(t0, now, 30001);
	started(t1, now, 30002);

	/* RUNNING: registered with the host port; initial targets do not count as healthy */
	fake.health = SW_TARGET_INITIAL;
	sw_run_scheduler_pass(&e, now + 1);
	assert_int_equal(fake.registered, 2);
	assert_string_equal(fake.host, "127.0.0.1");
	assert_int_equal(t0->lb, SW_TASK_LB_REGISTERED);
	assert_int_equal(s->deps[0]->rollout, SW_ENGINE_ROLLOUT_IN_PROGRESS);
	assert_int_equal(t0->healthy_at, 0);

	fake.health = SW_TARGET_HEALTHY;
	sw_run_scheduler_pass(&e, now + 2);
	assert_int_equal(s->deps[0]->rollout, SW_ENGINE_ROLLOUT_COMPLETED);
	assert_int_equal(fake.registered, 2);       /* once per task */

	/* an unhealthy target inside the grace period: kept */
	fake.unhealthy_port = 30001;
	fake.unhealthy_port_health = SW_TARGET_UNHEALTHY;
	sw_run_scheduler_pass(&e, now + 10);
	assert_true(t0->desired_running);
	/* after it: stopped with ECS's reason, deregistered, draining */
	sw_run_scheduler_pass(&e, now + 31);
	assert_false(t0->desired_running);
	assert_string_equal(t0->stopped_reason, "Task failed ELB health checks in (target-group " TG ")");
	assert_string_equal(t0->stop_code, "ServiceSchedulerInitiated");
	assert_int_equal(fake.deregistered, 1);
	assert_int_equal(t0->last, SW_TASK_DEACTIVATING);
	assert_int_equal(t0->lb, SW_TASK_LB_DRAINING);
	assert_true(t1->desired_running);
	/* a replacement was started (capacity allows), the other task untouched */
	assert_int_equal(e.st.nr_tasks, 3);

	/* draining holds the containers ... */
	sw_run_scheduler_pass(&e, now + 32);
	assert_int_equal(t0->last, SW_TASK_DEACTIVATING);
	assert_false(t0->busy);
	/* ... past the 5 s deregistration delay too, while the balancer says draining (it
	 * may still route requests there: a lagging router) ... */
	sw_run_scheduler_pass(&e, now + 37);
	assert_int_equal(t0->last, SW_TASK_DEACTIVATING);
	assert_false(t0->busy);
	/* ... but not forever: 10 s past the delay, a balancer that does not answer is not waited for */
	sw_run_scheduler_pass(&e, now + 46.5);
	assert_int_equal(t0->last, SW_TASK_STOPPING);
	assert_true(t0->busy);                      /* SIGTERM queued */

	engine_down();
}

/* The message of the service's i-th newest event. */
static const char *event(struct sw_engine_service *s, size_t i, struct sw_buf *out)
{
	json_t *list = sw_ecs_service_event_json(&e, s->id);
	sw_buf_reset(out);
	if (i < json_array_size(list))
		sw_buf_adds(out, sw_json_str(json_array_get(list, i), "message"));
	json_decref(list);
	return out->ptr;
}

/*
 * A rolling update behind the balancer, with ECS's 40 s stable period configured: the
 * old task goes as soon as the new target is healthy (the target is the signal, there
 * is no stable period to wait), its target is deregistered and drained before its
 * containers are stopped, and the events read in ECS's order: deregistered, begun
 * draining, then (once drained) stopped.
 */
static void rollout(void **state)
{
	struct sw_engine_service *s;
	struct sw_engine_task *t0, *t1;
	struct sw_buf msg = SW_BUF_INIT, want = SW_BUF_INIT;
	double now = sw_time_now();
	size_t i;

	engine_up(now, 40000);
	sw_run_balancer_set(&e, &fake_ops, &fake);
	assert_int_equal(call(sw_ecs_op_register_task_definition,
			      "{\"family\":\"web\",\"containerDefinitions\":[{\"name\":\"web\",\"image\":\"i:1\","
			      "\"memory\":16,\"portMappings\":[{\"containerPort\":8080}]}]}"), 0);
	assert_int_equal(call(sw_ecs_op_create_service, "{\"serviceName\":\"web\",\"taskDefinition\":\"web:1\","
			      "\"desiredCount\":1,\"loadBalancers\":[{\"targetGroupArn\":\"" TG "\","
			      "\"containerName\":\"web\",\"containerPort\":8080}]}"), 0);
	s = service();
	fake.health = SW_TARGET_HEALTHY;
	sw_run_scheduler_pass(&e, now);
	t0 = e.st.tasks[0];
	started(t0, now, 30001);
	sw_run_scheduler_pass(&e, now + 1);
	assert_int_equal(t0->lb, SW_TASK_LB_REGISTERED);
	assert_int_equal(s->deps[0]->rollout, SW_ENGINE_ROLLOUT_COMPLETED);   /* at once, not after 40 s */

	/* v2: its target turns healthy 2 s after it starts */
	assert_int_equal(call(sw_ecs_op_register_task_definition,
			      "{\"family\":\"web\",\"containerDefinitions\":[{\"name\":\"web\",\"image\":\"i:2\","
			      "\"memory\":16,\"portMappings\":[{\"containerPort\":8080}]}]}"), 0);
	assert_int_equal(call(sw_ecs_op_update_service, "{\"service\":\"web\",\"taskDefinition\":\"web:2\"}"), 0);
	sw_run_scheduler_pass(&e, now + 2);
	assert_int_equal(e.st.nr_tasks, 2);
	t1 = e.st.tasks[1];
	started(t1, now + 2, 30002);
	fake.unhealthy_port = 30002;
	fake.unhealthy_port_health = SW_TARGET_INITIAL;
	sw_run_scheduler_pass(&e, now + 3);
	assert_int_equal(t1->lb, SW_TASK_LB_REGISTERED);
	assert_true(t0->desired_running);
	fake.unhealthy_port_health = SW_TARGET_HEALTHY;
	sw_run_scheduler_pass(&e, now + 4);

	/* the old task: deregistered and draining, its containers still up, not yet "stopped" */
	assert_false(t0->desired_running);
	assert_int_equal(t0->last, SW_TASK_DEACTIVATING);
	assert_false(t0->busy);
	assert_string_equal(event(s, 0, &msg), "(service web) has begun draining connections on 1 tasks.");
	assert_string_equal(event(s, 1, &msg), "(service web) deregistered 1 targets in (target-group " TG ")");
	for (i = 0; i < 6; i++)
		assert_null(strstr(event(s, i, &msg), "has stopped"));
	assert_int_equal(s->deps[0]->rollout, SW_ENGINE_ROLLOUT_IN_PROGRESS);

	/* drained: now stopped, and said so */
	fake.draining_port = 0;
	sw_run_scheduler_pass(&e, now + 5);
	assert_int_equal(t0->last, SW_TASK_STOPPING);
	assert_true(t0->busy);                      /* SIGTERM queued */
	sw_buf_addf(&want, "(service web) has stopped 1 running tasks: (task %s).", t0->id);
	assert_string_equal(event(s, 0, &msg), want.ptr);
	assert_int_equal(strncmp(t0->stopped_reason, "Scaling activity initiated by (deployment ecs-svc/", 50), 0);

	/* its containers exit at SIGTERM and are removed: COMPLETED, 6 s in */
	t0->busy = 0;
	sw_engine_set_str(&t0->containers[0].last_status, "STOPPED");
	sw_run_scheduler_pass(&e, now + 5.5);
	assert_int_equal(t0->last, SW_TASK_DEPROVISIONING);
	t0->busy = 0;
	t0->last = SW_TASK_STOPPED;
	t0->stopped_at = now + 6;
	sw_run_scheduler_pass(&e, now + 6);
	assert_int_equal(s->nr_deps, 1);
	assert_int_equal(s->deps[0]->rollout, SW_ENGINE_ROLLOUT_COMPLETED);

	engine_down();
	sw_buf_release(&msg);
	sw_buf_release(&want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seam),
		cmocka_unit_test(rollout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
