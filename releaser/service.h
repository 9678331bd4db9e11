#ifndef SW_SERVICE_H
#define SW_SERVICE_H

#include <jansson.h>

#include "common/strvec.h"
#include "releaser/launch.h"
#include "releaser/rollout.h"
#include "releaser/runenv.h"

/*
 * The ECS CreateService / UpdateService requests of one process type of a release
 * (botocore's ecs 2014-11-13 CreateServiceRequest, UpdateServiceRequest), as golive.h
 * sends them:
 *
 *  CreateService   cluster, serviceName APP-PROCESS, taskDefinition, desiredCount,
 *                  schedulingStrategy REPLICA, deploymentConfiguration (circuit breaker
 *                  with rollback, 200/100), tags [slipway:app], the launch (launch.h:
 *                  capacityProviderStrategy or launchType, networkConfiguration on
 *                  Fargate); web: loadBalancers [{targetGroupArn, containerName,
 *                  containerPort}] and healthCheckGracePeriodSeconds; with a
 *                  traffic-shifting strategy, deploymentConfiguration's strategy and the
 *                  load balancer's advancedConfiguration (alternate target group,
 *                  production rule, role)
 *  UpdateService   cluster, service, taskDefinition, desiredCount, deploymentConfiguration,
 *                  networkConfiguration on Fargate; web: loadBalancers and the grace
 *                  period; capacityProviderStrategy (with forceNewDeployment, as ECS wants
 *                  it) only when the service's differs from the launch's
 */

struct sw_service_spec {
	const char *cluster;
	const char *app;
	const char *process;
	const char *name;              /* the service: APP-PROCESS (names.h) */
	const char *taskdef;           /* task definition ARN */
	int desired;
	const char *target_group;      /* web: its target group, else NULL */
	int port;                      /* web: the container port */
	int grace_s;                   /* healthCheckGracePeriodSeconds of a web service */
	const struct sw_launch *launch;
	const json_t *state;           /* web: the release's state (its strategy, alternate target
					  group and production rule: strategy.h, route.h), else NULL */
	const char *lb_role_arn;       /* the role ECS shifts traffic with (advancedConfiguration) */
};

/* The CreateService request (new reference). */
json_t *sw_service_create_request(const struct sw_service_spec *s);

/*
 * The UpdateService request for the service as ECS describes it now (svc: an element of
 * DescribeServices' "services"; NULL when unknown, then the launch is not changed).
 * 0 and *out (new reference), or SW_EINVAL with one line when ECS cannot move the
 * service to the launch by an update (a launchType to another launchType: "web: the ECS
 * service hello-web launches with EC2; an update cannot make it FARGATE ...").
 */
int sw_service_update_request(const struct sw_service_spec *s, const json_t *svc, json_t **out);

/*
 * Create (exists 0) or update the service of s, its answer fed to ro (may be NULL: the
 * deployment id). svc: the service as DescribeServices showed it, or NULL: described
 * now when the launch may have to change (SW_EUNAVAIL, nothing sent, when ECS does not
 * answer that). A create that an earlier attempt already made (ECS: "idempotent")
 * becomes an update. 0, or negative with one line prefixed with the process.
 */
int sw_service_apply(const struct sw_runenv *e, const struct sw_service_spec *s, int exists, const json_t *svc,
		     struct sw_rollout *ro);

/*
 * Which of the app's process types (procs) have an ACTIVE service: out (an object) gets
 * process → the service as DescribeServices shows it. A service of that name (ACTIVE or
 * DRAINING) that is not the app's own (its slipway:app tag, names.h) fails it with
 * SW_EEXISTS: slipway never touches a service it does not own; a DRAINING one of the app
 * is SW_ERROR ("still being deleted").
 */
int sw_service_existing(const struct sw_runenv *e, const char *app, const struct sw_strvec *procs, json_t *out);

#endif
