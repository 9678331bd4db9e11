#ifndef SW_LAUNCH_H
#define SW_LAUNCH_H

#include <jansson.h>

#include "releaser/runenv.h"
#include "releaser/settings.h"

/*
 * How an app's tasks launch, the same for its services, its release process and
 * `slipway run` (shapes from botocore's ecs 2014-11-13 model):
 *
 *   ec2      task definitions in bridge mode with dynamic host ports (taskdef.h), target
 *            groups of type instance (route.h); CreateService / RunTask name the cluster's
 *            default capacity provider strategy when it has one (so managed scaling of an
 *            Auto Scaling group works), else launchType EC2;
 *   fargate  task definitions in awsvpc mode for FARGATE with task-level cpu and memory,
 *            target groups of type ip; CreateService / UpdateService / RunTask carry
 *            networkConfiguration.awsvpcConfiguration (subnets, security groups,
 *            assignPublicIp) and the cluster's FARGATE / FARGATE_SPOT strategy (its default
 *            one when that is Fargate's, else FARGATE alone when the cluster has that
 *            provider), else launchType FARGATE.
 *
 * Which: SLIPWAY_LAUNCH, else the cluster's default capacity provider strategy (FARGATE or
 * FARGATE_SPOT in it: fargate), else ec2. A release records the launch it was made with
 * (golive.h), so a rollback to it, or a resumed rollout, launches the same way.
 */

struct sw_launch {
	int fargate;               /* 1: awsvpc on Fargate; 0: bridge on EC2 */
	char *why;                 /* "SLIPWAY_LAUNCH", "the cluster's default strategy FARGATE", ... */
	json_t *strategy;          /* capacityProviderStrategy to send, or NULL: launch_type */
	char *launch_type;         /* "EC2" / "FARGATE" when there is no strategy */
	json_t *network;           /* {"awsvpcConfiguration": {...}} on Fargate, NULL on EC2 */
};

#define SW_LAUNCH_INIT { 0, NULL, NULL, NULL, NULL }
void sw_launch_release(struct sw_launch *l);

/*
 * Decide from the setting and the cluster (an element of DescribeClusters' "clusters",
 * may be NULL when unknown) who launches: fills fargate, why, strategy, launch_type
 * (out is released first). Pure.
 */
void sw_launch_choose(enum sw_launch_mode mode, const json_t *cluster, struct sw_launch *out);

/*
 * l->network on Fargate from comma-separated subnets and security groups (may be NULL)
 * and assignPublicIp ("ENABLED"/"DISABLED", NULL: DISABLED). SW_EINVAL with one line when
 * there are no subnets ("fargate tasks need subnets: set SLIPWAY_SUBNETS ... or
 * SLIPWAY_STACK"). Nothing on EC2.
 */
int sw_launch_network(struct sw_launch *l, const char *subnets, const char *security_groups,
		      const char *assign_public_ip);

/*
 * The launch of the env's settings now: DescribeClusters of the cluster, sw_launch_choose,
 * then on Fargate the execution role and the network (the settings', else, on the
 * engine, its load balancer's subnet and security group: route.h). 0, or negative with
 * one line ("fargate tasks need an execution role ...").
 */
int sw_launch_resolve(const struct sw_runenv *e, struct sw_launch *out);

/* What a request is. */
enum sw_launch_request {
	SW_LAUNCH_CREATE_SERVICE,
	SW_LAUNCH_UPDATE_SERVICE,
	SW_LAUNCH_RUN_TASK,
};

/*
 * Add l to req: capacityProviderStrategy or launchType (CreateService, RunTask; an
 * UpdateService names the strategy, never a launchType, which ECS cannot change), and
 * networkConfiguration on Fargate.
 */
void sw_launch_apply(const struct sw_launch *l, json_t *req, enum sw_launch_request what);

/* As the release records it: {"mode": "fargate"|"ec2", "why", "strategy", "launch_type", "network"}. */
json_t *sw_launch_to_json(const struct sw_launch *l);

/*
 * Back from a release's record (out released first); a release made before launches
 * were recorded (j NULL) was EC2 by launchType. 0, or SW_EINVAL when j is malformed.
 */
int sw_launch_from_json(struct sw_launch *out, const json_t *j);

#endif
