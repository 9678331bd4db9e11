#ifndef SW_ENGINE_RUN_CONTAINER_SPEC_H
#define SW_ENGINE_RUN_CONTAINER_SPEC_H

#include <jansson.h>

#include "common/buf.h"
#include "engine/engine.h"

/*
 * What a task's container definition becomes in Docker (Engine API 1.41,
 * POST /containers/create): command, environment (the definition's, then the
 * task's overrides), labels, published ports, health check, limits, host settings.
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
 * killing the engine never stops an app. awslogs (and every other) log configuration
 * runs on Docker's json-file driver, bounded; CloudWatch Logs (engine/logs) ships it.
 *
 * awsvpc: the task is one network interface. Its first container is on the engine's
 * Docker network with no published port (the task's address is that container's);
 * the others join its network namespace (Docker's "container:<id>"), so the task's
 * containers reach each other on localhost, as on ECS. The first container must
 * therefore be created (and started) first, which the runtime does in order.
 */

/*
 * The container-create body for container definition cd of task t, whose definition
 * is taskdef (t->overrides applied). New reference.
 */
json_t *sw_run_container_spec(struct sw_engine *e, const struct sw_engine_task *t, json_t *taskdef, json_t *cd);

/* Append the Docker container name for container `name` of task t to out. */
void sw_run_container_name(struct sw_buf *out, const struct sw_engine_task *t, json_t *taskdef, const char *name);

#endif
