#ifndef SW_TEST_UNIT_ENGINE_FIXTURE_H
#define SW_TEST_UNIT_ENGINE_FIXTURE_H

/*
 * An engine for the unit tests that drive the ECS operations and the scheduler
 * without Docker: its database in memory, no workers (worker jobs only queue, the
 * test plays their part), no load balancer, the cluster "default", and a call helper. Include after
 * cmocka.h. The engine struct is the test's; fixture_down() releases what
 * fixture_up() made.
 */
#include <string.h>

#include "engine/api/call.h"
#include "engine/engine_db.h"
#include "engine/run/balancer.h"
#include "engine/run/worker.h"
#include "common/xalloc.h"

static inline void fixture_up(struct sw_engine *e, double now, long long stable_ms)
{
	struct sw_engine_cluster *c = xcalloc(1, sizeof(*c));

	memset(e, 0, sizeof(*e));
	e->cfg.region = "us-east-1";
	e->cfg.account = "000000000000";
	e->cfg.memory_mb = 4096;
	e->cfg.cpu_units = 4096;
	e->cfg.stable_ms = stable_ms;
	e->cfg.event_ms = 60000;
	e->cfg.steady_ms = 3600000;
	e->cfg.resync_ms = 3600000;
	e->cfg.stopped_ttl_ms = 3600000;
	e->cfg.inactive_ttl_ms = 3600000;
	e->cfg.lb_poll_ms = 1000;
	e->cfg.stop_timeout_s = 30;
	e->cfg.workers = 0;
	e->instance = "sw-test";
	e->instance_id = "0123456789abcdef0123456789abcdef";
	e->resync_at = now + 3600;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->wake, NULL);
	assert_int_equal(sw_engine_db_open(&e->db, ":memory:"), 0);
	assert_int_equal(sw_run_worker_start(e), 0);
	sw_run_balancer_set(e, NULL, NULL);
	c->name = xstrdup("default");
	c->arn = xstrdup("arn:aws:ecs:us-east-1:000000000000:cluster/default");
	c->status = xstrdup("ACTIVE");
	sw_engine_state_add_cluster(&e->st, c);
}

static inline void fixture_down(struct sw_engine *e)
{
	sw_run_worker_stop(e);
	sw_engine_state_release(&e->st);
	sqlite3_close(e->db);
}

/*
 * Call operation fn with the JSON request json: 0, or -1 when it failed. *out (if
 * not NULL) gets its answer (the caller's reference), msg (if not NULL) its error
 * message.
 */
static inline int fixture_call(struct sw_engine *e, sw_engine_api_fn fn, const char *json, json_t **out,
			       struct sw_buf *msg)
{
	struct sw_engine_call c;
	int ret;

	memset(&c, 0, sizeof(c));
	c.e = e;
	c.in = json_loads(json, 0, NULL);
	c.out = json_object();
	assert_non_null(c.in);
	ret = fn(&c);
	if (msg) {
		sw_buf_reset(msg);
		sw_buf_adds(msg, c.error_message.len ? c.error_message.ptr : "");
	}
	if (out)
		*out = json_incref(c.out);
	json_decref(c.in);
	json_decref(c.out);
	sw_buf_release(&c.error_message);
	return ret;
}

#endif
