#ifndef SW_ENGINE_RUN_RUNTIME_H
#define SW_ENGINE_RUN_RUNTIME_H

#include "engine/engine.h"
#include "engine/run/worker.h"

/*
 * Tasks as Docker containers (common/docker.h, Engine API 1.41): the jobs the workers
 * run (worker.h), called without the engine lock; they take it to read and record
 * state, and work on a copy of the task in between.
 *
 *  START    pull (pull.h), create (container_spec.h) and start the containers; a
 *           repeated START adopts what a START before a crash had created. A failed
 *           pull stops the task with "CannotPullContainerError: <Docker's message>"
 *           (stopCode TaskFailedToStart), and so on for create and start.
 *  TERM, KILL  signal the running containers (KILL: the stop timeout passed)
 *  INSPECT  read the containers' state back (container.h)
 *  REMOVE   remove them: the task is STOPPED
 *  RESYNC   compare Docker's containers labelled for this engine with the state
 */

/* Run one job for the task with that id. */
void sw_run_runtime_job(struct sw_engine *e, enum sw_run_job_kind kind, const char *task_id);

/*
 * Compare Docker's containers labelled for this engine with the state: mark what
 * differs for inspection, remove the containers no live task owns.
 */
void sw_run_runtime_resync(struct sw_engine *e);

#endif
