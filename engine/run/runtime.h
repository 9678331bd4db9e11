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
 *           (stopCode TaskFailedToStart), and so on for create and start — unless
 *           Docker itself stopped answering: then the task stays PENDING, Docker is
 *           marked down (sw_run_runtime_docker_lost) and START runs again once it
 *           answers (a START adopts what the one before made).
 *  TERM, KILL  signal the running containers (KILL: the stop timeout passed)
 *  INSPECT  read the containers' state back (container.h)
 *  REMOVE   remove them: the task is STOPPED
 *  RESYNC   compare Docker's containers labelled for this engine with the state
 */

/* Run one job for the task with that id. */
void sw_run_runtime_job(struct sw_engine *e, enum sw_run_job_kind kind, const char *task_id);

/*
 * Compare Docker's containers labelled for this engine with the state: mark what
 * differs for inspection, remove the containers no live task owns. When Docker does
 * not answer it is marked down; when it answers again after being down, this
 * comparison (every container gone meanwhile found) comes before Docker is marked up,
 * so no new container starts before the old ones are accounted for.
 */
void sw_run_runtime_resync(struct sw_engine *e);

/*
 * Docker does not answer: e->docker_down (engine.h) set, with a line in the log.
 * Engine lock held.
 */
void sw_run_runtime_docker_lost(struct sw_engine *e);

#endif
