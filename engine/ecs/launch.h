#ifndef SW_ENGINE_ECS_LAUNCH_H
#define SW_ENGINE_ECS_LAUNCH_H

#include <jansson.h>

#include "engine/api/call.h"
#include "engine/engine.h"

/*
 * How tasks launch, as ECS decides it for CreateService, UpdateService and RunTask:
 * a launchType (EC2 or FARGATE) or a capacity provider strategy (the cluster's
 * FARGATE / FARGATE_SPOT providers; the cluster's default strategy when a request
 * names neither), the Fargate platform version, the Fargate task sizes, and the
 * awsvpc network configuration. UpdateService with an empty capacityProviderStrategy
 * takes a service on a strategy back to a launch type, as ECS does: FARGATE when the
 * task definition requires it, else EC2 (engine/ecs/service.c).
 *
 * Every task runs on this machine whatever its launch type: a Fargate task reserves
 * its task-level cpu and memory from the same budget as an EC2 task (run/placement.h),
 * and ECS's Fargate capacity message is what a task that does not fit gets.
 *
 * The engine has one "VPC" (engine.h: SW_ENGINE_VPC_ID, _SUBNET_ID, _SECURITY_GROUP_ID).
 * EC2 is not here to say which subnets and security groups exist, so any well-formed
 * id is taken ("subnet-" or "sg-" and 1 to 32 letters and digits); a task's network
 * interface is on the first subnet it was given and has its container's address on
 * the engine's Docker network.
 *
 * Callers hold the engine lock. Functions taking a call fail it with ECS's error and
 * message and return -1.
 */

/* The platform version Fargate's LATEST is, and what Fargate tasks report as their family. */
#define SW_ECS_FARGATE_LATEST "1.4.0"
#define SW_ECS_FARGATE_FAMILY "Linux"

/* ECS's words for a Fargate task that does not fit (RunTask's failure reason, the service event's). */
#define SW_ECS_FARGATE_NO_CAPACITY \
	"Capacity is unavailable at this time. Please try again later or in a different availability zone"

/* 1 when cpu units and memory MiB make one of Fargate's task sizes, else 0 (the table: common/aws/fargate.h). */
int sw_ecs_launch_fargate_size(long long cpu, long long memory_mb);

/* 1 for the capacity providers the engine has: FARGATE and FARGATE_SPOT. */
int sw_ecs_launch_provider_known(const char *name);

/*
 * Check a capacity provider strategy against the providers associated with a cluster
 * (providers: array of names, may be NULL): every provider associated, none twice, at
 * most one with a base, some weight above 0 when there are several.
 */
int sw_ecs_launch_check_strategy(struct sw_engine_call *call, json_t *providers, json_t *strategy);

/* The strategy as ECS shows it (weight and base filled in, 0 when absent): a new reference. */
json_t *sw_ecs_launch_strategy_json(json_t *strategy);

/*
 * The provider of strategy the next task goes to, given placed[i] tasks already on
 * strategy item i: a provider's base first, then the weights' shares. Pure; borrowed.
 */
const char *sw_ecs_launch_pick(json_t *strategy, const long long *placed);

/* One more task on provider (may be NULL: none) in placed[], as sw_ecs_launch_pick counts them. */
void sw_ecs_launch_count(json_t *strategy, const char *provider, long long *placed);

/* How a service or a task launches. Caller-owned: zeroed, then sw_ecs_launch_release(). */
struct sw_ecs_launch {
	char *launch_type;        /* "EC2" or "FARGATE": the launchType, or what the providers launch */
	json_t *strategy;         /* the capacity provider strategy, or NULL when launched by launchType */
	char *platform_version;   /* Fargate: as asked ("LATEST" when not); NULL on EC2 */
	char *platform_resolved;  /* Fargate: the version that runs ("1.4.0"); NULL on EC2 */
};

void sw_ecs_launch_release(struct sw_ecs_launch *l);

/*
 * Resolve a request's launchType / capacityProviderStrategy / platformVersion (each
 * may be NULL) on cluster c for task definition taskdef: the two are exclusive; with
 * neither, the cluster's default strategy, else EC2. Then the task definition must
 * support the launch type, and a platform version is for Fargate only.
 */
int sw_ecs_launch_resolve(struct sw_engine_call *call, const struct sw_engine_cluster *c, json_t *taskdef,
			  const char *launch_type, json_t *strategy, const char *platform_version,
			  struct sw_ecs_launch *out);

/*
 * Check a request's networkConfiguration (may be NULL) against the task definition's
 * network mode and the launch type: awsvpc needs one, with subnets; other modes take
 * none; assignPublicIp is Fargate's. *normalized (when netconf is given and valid) is
 * it as ECS shows it: assignPublicIp DISABLED and the engine's security group when
 * absent (new reference; NULL without netconf).
 */
int sw_ecs_launch_network(struct sw_engine_call *call, json_t *taskdef, json_t *netconf, const char *launch_type,
			  json_t **normalized);

/*
 * The network interface of a new awsvpc task with networkConfiguration netconf (may
 * be NULL): {id, subnetId, networkInterfaceId, macAddress}, made up (new reference).
 */
json_t *sw_ecs_launch_eni(json_t *netconf);

/* The task's attachments (DescribeTasks): its network interface in awsvpc mode, else []. New reference. */
json_t *sw_ecs_launch_attachments(struct sw_engine *e, const struct sw_engine_task *t);

#endif
