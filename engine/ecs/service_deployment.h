#ifndef SW_ENGINE_ECS_SERVICE_DEPLOYMENT_H
#define SW_ENGINE_ECS_SERVICE_DEPLOYMENT_H

#include <jansson.h>

#include "common/buf.h"
#include "engine/engine.h"

struct sw_engine_call;

/*
 * Service deployments as ECS shows them (DescribeServiceDeployments): one per
 * deployment a service still lists, with its status and lifecycleStage (SCALE_UP,
 * PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME, CLEAN_UP for a traffic-shifting one, see
 * engine/run/shift.h) and the production traffic share it has; DescribeServices
 * names the PRIMARY one as currentServiceDeployment. Deployments a service no longer
 * lists answer MISSING. Callers hold the engine lock.
 */

/* arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<id digits>, appended to out. */
void sw_ecs_service_deployment_arn(struct sw_engine *e, const struct sw_engine_service *s,
				   const struct sw_engine_deployment *d, struct sw_buf *out);

int sw_ecs_op_describe_service_deployments(struct sw_engine_call *call);

#endif
