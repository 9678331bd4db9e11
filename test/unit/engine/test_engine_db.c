/*
 * The engine's database (engine/engine_db.h): the live state's structs written as
 * documents and read back, member for member, through a real SQLite database.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine/engine_db.h"
#include "common/error.h"
#include "common/store.h"
#include "common/xalloc.h"
#include "common/json.h"
#include "common/banned.h"

static struct sw_engine_task *sample_task(void)
{
	struct sw_engine_task *t = xcalloc(1, sizeof(*t));
	t->arn = xstrdup("arn:aws:ecs:us-east-1:000000000000:task/default/abc");
	t->id = xstrdup("abc");
	t->cluster = xstrdup("default");
	t->taskdef = xstrdup("arn:aws:ecs:us-east-1:000000000000:task-definition/web:3");
	t->family = xstrdup("web");
	t->group = xstrdup("service:web");
	t->started_by = xstrdup("ecs-svc/1");
	t->launch_type = xstrdup("EC2");
	t->service_id = 7;
	t->deployment = xstrdup("ecs-svc/1");
	t->last = SW_TASK_DEACTIVATING;
	t->desired_running = 1;
	t->health = SW_HEALTH_UNHEALTHY;
	t->cpu = 256;
	t->memory = 512;
	t->overrides = json_pack("{s:s}", "cpu", "512");
	t->network_mode = xstrdup("bridge");
	t->created_at = 1700000000.5;
	t->started_at = 1700000010.25;
	t->version = 4;
	t->lb = SW_TASK_LB_DRAINING;
	t->drain_until = 1700000100;
	t->failed = 1;
	t->stop_timeout = 30;
	t->nr_containers = 2;
	t->containers = xcalloc(2, sizeof(*t->containers));
	t->containers[0].name = xstrdup("app");
	t->containers[0].docker_id = xstrdup("cafe");
	t->containers[0].last_status = xstrdup("STOPPED");
	t->containers[0].has_exit = 1;
	t->containers[0].exit_code = 3;
	t->containers[0].health = SW_HEALTH_HEALTHY;
	t->containers[0].essential = 1;
	t->containers[0].memory = 128;
	t->containers[0].bindings = json_pack("[{s:i}]", "hostPort", 32768);
	t->containers[1].name = xstrdup("sidecar");
	t->containers[1].last_status = xstrdup("PENDING");
	return t;
}

static void task_documents_round_trip(void **state)
{
	struct sw_engine_task *t = sample_task(), *back;
	json_t *doc = sw_engine_db_task_doc(t), *again;

	back = sw_engine_db_task_from_doc(doc);
	assert_non_null(back);
	assert_string_equal(back->arn, t->arn);
	assert_string_equal(back->started_by, "ecs-svc/1");
	assert_int_equal(back->service_id, 7);
	assert_int_equal(back->last, SW_TASK_DEACTIVATING);
	assert_int_equal(back->health, SW_HEALTH_UNHEALTHY);
	assert_int_equal(back->lb, SW_TASK_LB_DRAINING);
	assert_true(back->created_at == 1700000000.5);
	assert_true(back->stopped_at == 0);
	assert_int_equal(back->failed, 1);
	assert_int_equal(back->counted, 1);
	assert_null(back->stop_code);
	assert_string_equal(sw_json_str(back->overrides, "cpu"), "512");
	assert_int_equal(back->nr_containers, 2);
	assert_int_equal(back->containers[0].has_exit, 1);
	assert_int_equal(back->containers[0].exit_code, 3);
	assert_int_equal(back->containers[0].health, SW_HEALTH_HEALTHY);
	assert_int_equal(back->containers[0].memory, 128);
	assert_true(json_equal(back->containers[0].bindings, t->containers[0].bindings));
	assert_int_equal(back->containers[1].has_exit, 0);
	assert_null(back->containers[1].docker_id);
	/* and written again, the same document */
	again = sw_engine_db_task_doc(back);
	assert_true(json_equal(doc, again));
	json_decref(doc);
	json_decref(again);
	sw_engine_task_free(t);
	sw_engine_task_free(back);
}

static void a_document_without_its_keys_is_refused(void **state)
{
	json_t *doc = json_pack("{s:s}", "id", "abc");
	assert_null(sw_engine_db_task_from_doc(doc));
	json_decref(doc);
}

static void state_saved_and_loaded(void **state)
{
	struct sw_engine_state st = { 0 }, back = { 0 };
	struct sw_engine_cluster *c = xcalloc(1, sizeof(*c));
	struct sw_engine_service *s = xcalloc(1, sizeof(*s));
	struct sw_engine_deployment *d = xcalloc(1, sizeof(*d));
	struct sw_engine_task *t = sample_task();
	sqlite3 *db = NULL;

	assert_int_equal(sw_engine_db_open(&db, ":memory:"), 0);
	c->name = xstrdup("default");
	c->arn = xstrdup("arn:aws:ecs:us-east-1:000000000000:cluster/default");
	c->status = xstrdup("ACTIVE");
	c->created_at = 1;
	s->arn = xstrdup("arn:aws:ecs:us-east-1:000000000000:service/default/web");
	s->name = xstrdup("web");
	s->cluster = xstrdup("default");
	s->status = SW_SERVICE_DRAINING;
	s->desired = 2;
	s->min_pct = 50;
	s->max_pct = 200;
	s->load_balancers = json_pack("[{s:s}]", "containerName", "app");
	d->id = xstrdup("ecs-svc/1");
	d->taskdef = xstrdup("td:3");
	d->rollout = SW_ENGINE_ROLLOUT_FAILED;
	d->failed_tasks = 3;
	sw_engine_service_push_deployment(s, d);
	sw_engine_state_add_cluster(&st, c);
	sw_engine_state_add_service(&st, s);
	sw_engine_state_add_task(&st, t);
	assert_int_equal(sw_engine_db_save_cluster(db, c), 0);
	assert_int_equal(sw_engine_db_save_service(db, s), 0);
	assert_true(s->id > 0);
	assert_int_equal(sw_engine_db_save_task(db, t), 0);

	assert_int_equal(sw_engine_db_load(db, &back), 0);
	assert_int_equal(back.nr_clusters, 1);
	assert_string_equal(back.clusters[0]->status, "ACTIVE");
	assert_int_equal(back.nr_services, 1);
	assert_int_equal(back.services[0]->id, s->id);
	assert_int_equal(back.services[0]->status, SW_SERVICE_DRAINING);
	assert_int_equal(back.services[0]->min_pct, 50);
	assert_true(json_equal(back.services[0]->load_balancers, s->load_balancers));
	assert_int_equal(back.services[0]->nr_deps, 1);
	assert_int_equal(back.services[0]->deps[0]->status, SW_DEPLOYMENT_PRIMARY);
	assert_int_equal(back.services[0]->deps[0]->rollout, SW_ENGINE_ROLLOUT_FAILED);
	assert_int_equal(back.services[0]->deps[0]->failed_tasks, 3);
	assert_int_equal(back.nr_tasks, 1);
	assert_string_equal(back.tasks[0]->id, "abc");

	assert_int_equal(sw_engine_db_delete_service(db, s->id), 0);
	assert_int_equal(sw_engine_db_delete_task(db, "abc"), 0);
	sw_engine_state_release(&back);
	assert_int_equal(sw_engine_db_load(db, &back), 0);
	assert_int_equal(back.nr_services, 0);
	assert_int_equal(back.nr_tasks, 0);
	sw_engine_state_release(&back);
	sw_engine_state_release(&st);
	sw_store_close(db);
}

static void meta(void **state)
{
	struct sw_buf b = SW_BUF_INIT;
	sqlite3 *db = NULL;
	assert_int_equal(sw_engine_db_open(&db, ":memory:"), 0);
	assert_int_equal(sw_engine_db_meta_get(db, "instance", &b), SW_ENOTFOUND);
	assert_int_equal(sw_engine_db_meta_set(db, "instance", "sw-1"), 0);
	assert_int_equal(sw_engine_db_meta_get(db, "instance", &b), 0);
	assert_string_equal(b.ptr, "sw-1");
	sw_buf_release(&b);
	sw_store_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(task_documents_round_trip),
		cmocka_unit_test(a_document_without_its_keys_is_refused),
		cmocka_unit_test(state_saved_and_loaded),
		cmocka_unit_test(meta),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
