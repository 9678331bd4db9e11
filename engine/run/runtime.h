#ifndef SW_ENGINE_RUN_RUNTIME_H
#define SW_ENGINE_RUN_RUNTIME_H

#include <jansson.h>

#include "common/buf.h"
#include "engine/engine.h"
#include "engine/run/worker.h"

/*
 * Tasks as Docker containers (common/docker.h, Engine API 1.41). Called by the
 * workers without the engine lock; they take it to read and record state.
 *
 * Every container carries the labels
 *	slipway.engine=<instance>   (this engine: several engines share one Docker
 *	                             engine and never touch each other's containers)
 *	slipway.task=<task id>, slipway.container=<container name>
 *	com.amazonaws.ecs.{cluster,task-arn,container-name,task-definition-family,
 *	                   task-definition-version}   (as the ECS agent sets them)
 * and a name derived from the task (ecs-<family>-<revision>-<container>-<task id>),
 * so a START repeated after a crash adopts what it had created instead of making a
 * duplicate. Containers run detached from the engine (no --rm, restart policy "no"):
 * killing the engine never stops an app.
 *
 * Images are used from the local Docker engine when present ("prefer-cached") and
 * pulled otherwise, with the ECR credentials (user AWS, the registry password) when
 * the image lives in the local registry. A failed pull stops the task with
 * "CannotPullContainerError: <Docker's message>" (stopCode TaskFailedToStart).
 * awslogs (and every other) log configuration runs on Docker's json-file driver,
 * bounded; the configuration stays in the task definition for the log shipper.
 */

/* Run one job for the task with that id (worker.h). */
void sw_engine_runtime_task_job(struct sw_engine *e, enum sw_engine_job_kind kind, const char *task_id);

/* Compare Docker's containers labelled for this engine with the state; remove orphans. */
void sw_engine_runtime_resync(struct sw_engine *e);

/*
 * The container-create body for container definition cd of a task (exposed for
 * tests). overrides is the task's TaskOverride or NULL. New reference.
 */
json_t *sw_engine_runtime_spec(struct sw_engine *e, const struct sw_engine_task *t, json_t *taskdef, json_t *cd);

/* The Docker container name for container `name` of task t. */
void sw_engine_runtime_name(struct sw_buf *out, const struct sw_engine_task *t, json_t *taskdef, const char *name);

/* Standard base64 of data onto out (url: the URL-safe alphabet, as X-Registry-Auth wants). */
void sw_engine_base64(struct sw_buf *out, const void *data, size_t len, int url);

/* The registry password for user AWS ($SLIPWAY_HOME/registry/password), or SW_ENOTFOUND. */
int sw_engine_registry_password(struct sw_engine *e, struct sw_buf *out);

#endif
