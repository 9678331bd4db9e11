#ifndef SW_ENGINE_ECS_SERVICE_H
#define SW_ENGINE_ECS_SERVICE_H

#include <jansson.h>

#include "engine/engine.h"

/*
 * Services: the API side (service.c: Create/Update/Describe/List/DeleteService)
 * and the helpers the scheduler shares with it. Callers hold the engine lock.
 */

/*
 * Start a new PRIMARY deployment of taskdef (an ARN) on s: the others become ACTIVE,
 * s->taskdef follows. reason: the rolloutStateReason, NULL for ECS's
 * "ECS deployment <id> in progress.". Returns it (owned by s). The caller saves s.
 */
struct sw_engine_deployment *sw_ecs_service_deploy(struct sw_engine *e, struct sw_engine_service *s,
						   const char *taskdef, const char *reason);

/* The Service document DescribeServices returns (new reference). */
json_t *sw_ecs_service_json(struct sw_engine *e, struct sw_engine_service *s, int with_tags);

#endif
