#ifndef SW_DOCTOR_H
#define SW_DOCTOR_H

#include <jansson.h>

#include "releaser/runenv.h"

/*
 * `slipway doctor`: read-only checks of what the releaser runs with, one per thing an
 * operator configures:
 *   credentials, region     the AWS client's
 *   stack                   the bootstrap stack's status (when SLIPWAY_STACK is used)
 *   cluster                 ACTIVE
 *   launch                  ec2 or fargate, and why (launch.h)
 *   capacity                EC2: registered container instances (or a capacity provider
 *                           that starts them); Fargate: the FARGATE / FARGATE_SPOT providers
 *   network                 Fargate: the tasks' subnets, security groups, public address
 *   listener                an HTTP(S) listener of an application load balancer, its VPC
 *                           (the target groups'), SLIPWAY_VPC_ID agreeing with it
 *   execution role          set where Fargate needs it, an IAM role ARN of the cluster's
 *                           account; with a stack, its ExecutionRole resource is complete
 *                           (DescribeStackResources) and its policy lets slipwayd pass it.
 *                           IAM itself is not asked: slipwayd's policy has no iam:GetRole
 *                           or iam:SimulatePrincipalPolicy, and a task definition cannot be
 *                           registered as a dry run; a role slipwayd may not pass fails the
 *                           first RegisterTaskDefinition with a line naming iam:PassRole
 *   load balancer role      the role ECS shifts traffic with (blue/green, linear, canary),
 *                           of the cluster's account; none given beside a listener given or
 *                           on AWS is said (such apps' releases are refused)
 *   apps domain             a random name under it resolves (the wildcard record)
 *   repository              ECR answers, a registry login
 *   lifecycle policy        every app repository has slipway's (ecr.h)
 *   logs, docker
 * Returns {"checks": [{"check", "ok", "detail", "fix" (when not ok)}...]}, a new
 * reference. Each failure's fix is one line saying what to do.
 */
json_t *sw_doctor_run(const struct sw_runenv *e);

#endif
