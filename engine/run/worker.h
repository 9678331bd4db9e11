#ifndef SW_ENGINE_RUN_WORKER_H
#define SW_ENGINE_RUN_WORKER_H

#include "engine/engine.h"

/*
 * The workers: a few threads (cfg.workers) that run the slow Docker operations the
 * scheduler decides on (runtime.h), so the scheduler never waits on Docker. A task
 * has at most one job queued or running (t->busy); the job takes the engine lock
 * only to read what it needs and to record what happened, then clears t->busy and
 * wakes the scheduler.
 */

enum sw_run_job_kind {
	SW_JOB_START,    /* pull (prefer cached), create and start the task's containers */
	SW_JOB_TERM,     /* SIGTERM its running containers */
	SW_JOB_KILL,     /* SIGKILL them (stop timeout passed), then inspect */
	SW_JOB_INSPECT,  /* read its containers' state back from Docker */
	SW_JOB_REMOVE,   /* remove its containers: the task is STOPPED as this starts (awsvpc: once they are gone) */
	SW_JOB_RESYNC,   /* compare Docker's list of this engine's containers with the state */
};

/* cfg.workers threads; with 0 (tests only: the environment cannot ask for it) jobs queue and never run. */
int sw_run_worker_start(struct sw_engine *e);
/* Stop the threads (after their current job) and free the queue. */
void sw_run_worker_stop(struct sw_engine *e);

/*
 * Queue a job for t and mark it busy: 1. With the engine lock held. While Docker does
 * not answer (e->docker_down) nothing is queued: 0, t stays as it is and the scheduler
 * looks again when Docker is back.
 */
int sw_run_worker_queue(struct sw_engine *e, struct sw_engine_task *t, enum sw_run_job_kind kind);
/* Queue a resync (at most one pending). With the engine lock held. */
void sw_run_worker_resync(struct sw_engine *e);

#endif
