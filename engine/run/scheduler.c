#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "engine/run/scheduler.h"
#include "engine/ecs/tag.h"
#include "engine/engine_db.h"
#include "engine/run/lifecycle.h"
#include "engine/run/reconcile.h"
#include "engine/run/worker.h"
#include "common/error.h"
#include "common/log.h"
#include "common/store.h"
#include "common/time.h"
#include "common/banned.h"

#define IDLE_MAX_SECONDS 3600.0

static pthread_t scheduler_thread;
static int scheduler_running;

static void purge(struct sw_engine *e, double now, double *next)
{
	size_t i;

	for (i = e->st.nr_tasks; i-- > 0;) {
		struct sw_engine_task *t = e->st.tasks[i];
		double until = t->stopped_at + sw_run_seconds(e->cfg.stopped_ttl_ms);
		if (t->last != SW_TASK_STOPPED || t->busy)
			continue;
		if (now < until) {
			sw_run_scheduler_due(next, until);
			continue;
		}
		sw_engine_db_delete_task(e->db, t->id);
		sw_ecs_tag_drop(e, t->arn);
		sw_engine_state_drop_task(&e->st, t);
	}
	for (i = e->st.nr_services; i-- > 0;) {
		struct sw_engine_service *s = e->st.services[i];
		double until = s->deleted_at + sw_run_seconds(e->cfg.inactive_ttl_ms);
		if (s->status != SW_SERVICE_INACTIVE)
			continue;
		if (now < until) {
			sw_run_scheduler_due(next, until);
			continue;
		}
		sw_engine_db_delete_service(e->db, s->id);
		sw_engine_state_drop_service(&e->st, s);
	}
}

double sw_run_scheduler_pass(struct sw_engine *e, double now)
{
	double next = now + IDLE_MAX_SECONDS;
	size_t i, n;

	if (sw_engine_db_begin(e->db) < 0)
		sw_log_warn("scheduler: %s", sw_error_last());
	if (now >= e->resync_at) {
		/* while Docker does not answer, the resync asks it again every second */
		sw_run_worker_resync(e);
		e->resync_at = now + (e->docker_down ? 1.0 : sw_run_seconds(e->cfg.resync_ms));
	}
	sw_run_scheduler_due(&next, e->resync_at);
	n = e->st.nr_tasks;
	for (i = 0; i < n; i++)
		sw_run_lifecycle_advance(e, e->st.tasks[i], now, &next);
	for (i = 0; i < e->st.nr_services; i++)
		sw_run_reconcile_service(e, e->st.services[i], now, &next);
	/* tasks made or stopped just now start moving in this pass */
	for (i = 0; i < e->st.nr_tasks; i++)
		sw_run_lifecycle_advance(e, e->st.tasks[i], now, &next);
	purge(e, now, &next);
	if (sw_engine_db_commit(e->db) < 0) {
		sw_log_error("scheduler: %s", sw_error_last());
		sw_store_exec(e->db, "ROLLBACK");
	}
	return next;
}

static void *scheduler_main(void *arg)
{
	struct sw_engine *e = arg;

	pthread_mutex_lock(&e->lock);
	while (!e->stopping) {
		double now = sw_time_now();
		double next;
		e->wake_pending = 0;
		next = sw_run_scheduler_pass(e, now);
		while (!e->wake_pending && !e->stopping) {
			struct timespec ts;
			double when = next;
			now = sw_time_now();
			if (now >= when)
				break;
			ts.tv_sec = (time_t)floor(when);
			ts.tv_nsec = (long)((when - floor(when)) * 1e9);
			pthread_cond_timedwait(&e->wake, &e->lock, &ts);
		}
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

int sw_run_scheduler_start(struct sw_engine *e)
{
	if (pthread_create(&scheduler_thread, NULL, scheduler_main, e))
		return sw_error("cannot start the scheduler thread");
	scheduler_running = 1;
	return 0;
}

void sw_run_scheduler_stop(struct sw_engine *e)
{
	pthread_mutex_lock(&e->lock);
	e->stopping = 1;
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
	if (scheduler_running)
		pthread_join(scheduler_thread, NULL);
	scheduler_running = 0;
}
