#include <pthread.h>
#include <stdlib.h>

#include "engine/run/worker.h"
#include "engine/run/runtime.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "common/banned.h"

struct queued_job {
	enum sw_run_job_kind kind;
	char *task_id;
	struct queued_job *next;
};

struct sw_run_workers {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct queued_job *head, *tail;
	int stopping;
	int resync_queued;
	int starts_running;
	pthread_t *threads;
	int nr_threads;
};

static void *worker_main(void *arg)
{
	struct sw_engine *e = arg;
	struct sw_run_workers *w = e->workers;

	for (;;) {
		struct queued_job *j, *prev;
		pthread_mutex_lock(&w->lock);
		for (;;) {
			/* STARTs (which may pull for minutes) leave one thread for stops and inspects */
			int max_starts = w->nr_threads > 1 ? w->nr_threads - 1 : 1;
			for (prev = NULL, j = w->head; j; prev = j, j = j->next)
				if (j->kind != SW_JOB_START || w->starts_running < max_starts)
					break;
			if (j || w->stopping)
				break;
			pthread_cond_wait(&w->cond, &w->lock);
		}
		if (w->stopping) {
			pthread_mutex_unlock(&w->lock);
			return NULL;
		}
		if (prev)
			prev->next = j->next;
		else
			w->head = j->next;
		if (w->tail == j)
			w->tail = prev;
		if (j->kind == SW_JOB_RESYNC)
			w->resync_queued = 0;
		if (j->kind == SW_JOB_START)
			w->starts_running++;
		pthread_mutex_unlock(&w->lock);
		if (j->kind == SW_JOB_RESYNC)
			sw_run_runtime_resync(e);
		else
			sw_run_runtime_job(e, j->kind, j->task_id);
		if (j->kind == SW_JOB_START) {
			pthread_mutex_lock(&w->lock);
			w->starts_running--;
			pthread_cond_broadcast(&w->cond);
			pthread_mutex_unlock(&w->lock);
		}
		free(j->task_id);
		free(j);
	}
}

int sw_run_worker_start(struct sw_engine *e)
{
	struct sw_run_workers *w = xcalloc(1, sizeof(*w));
	int i;

	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->threads = xcalloc(e->cfg.workers > 0 ? (size_t)e->cfg.workers : 1, sizeof(*w->threads));
	e->workers = w;
	for (i = 0; i < e->cfg.workers; i++) {
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		if (pthread_create(&w->threads[i], &attr, worker_main, e) == 0)
			w->nr_threads++;
		pthread_attr_destroy(&attr);
	}
	if (!w->nr_threads && e->cfg.workers > 0) {
		sw_log_error("cannot start worker threads");
		return -1;
	}
	return 0;
}

void sw_run_worker_stop(struct sw_engine *e)
{
	struct sw_run_workers *w = e->workers;
	struct queued_job *j;
	int i;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < w->nr_threads; i++)
		pthread_join(w->threads[i], NULL);
	while ((j = w->head)) {
		w->head = j->next;
		free(j->task_id);
		free(j);
	}
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w->threads);
	free(w);
	e->workers = NULL;
}

static void push(struct sw_run_workers *w, struct queued_job *j)
{
	pthread_mutex_lock(&w->lock);
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

int sw_run_worker_queue(struct sw_engine *e, struct sw_engine_task *t, enum sw_run_job_kind kind)
{
	struct queued_job *j;

	if (e->docker_down)
		return 0;
	j = xcalloc(1, sizeof(*j));
	j->kind = kind;
	j->task_id = xstrdup(t->id);
	t->busy = 1;
	push(e->workers, j);
	return 1;
}

void sw_run_worker_resync(struct sw_engine *e)
{
	struct sw_run_workers *w = e->workers;
	struct queued_job *j;
	int queued;

	pthread_mutex_lock(&w->lock);
	queued = w->resync_queued;
	w->resync_queued = 1;
	pthread_mutex_unlock(&w->lock);
	if (queued)
		return;
	j = xcalloc(1, sizeof(*j));
	j->kind = SW_JOB_RESYNC;
	push(w, j);
}
