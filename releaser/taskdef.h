#ifndef SW_TASKDEF_H
#define SW_TASKDEF_H

#include <jansson.h>

#include "common/buf.h"
#include "releaser/manifest.h"

/*
 * The ECS RegisterTaskDefinition request of one process type of one release (shapes
 * from botocore's ecs 2014-11-13 model: RegisterTaskDefinitionRequest,
 * ContainerDefinition, PortMapping, HealthCheck, LogConfiguration):
 *
 *  family            APP-PROCESS
 *  EC2               networkMode bridge, requiresCompatibilities [EC2]; the container's
 *                    memory = the formation's MiB (hard limit), its cpu = the formation's
 *                    CPU units when set; web: portMappings [{containerPort, hostPort: 0}]
 *  Fargate           networkMode awsvpc, requiresCompatibilities [FARGATE], task-level
 *                    cpu and memory = the formation's (a Fargate size, fargate.h; the
 *                    smallest CPU for the memory when none is set), executionRoleArn
 *                    required; web: portMappings [{containerPort}] (the task's own address)
 *  one container     named PROCESS, essential, image pinned by digest
 *                    (REPOSITORY@sha256:...),
 *                    command / entryPoint / workingDirectory / user from the manifest,
 *                    environment = manifest defaults, then config vars, then PORT (web)
 *                    and SLIPWAY_APP / SLIPWAY_RELEASE (vN) / SLIPWAY_PROCESS, later
 *                    names overriding earlier ones, sorted by name;
 *                    healthCheck from the manifest;
 *                    awslogs to group LOG_GROUP, stream prefix vN (streams are
 *                    vN/PROCESS/TASK-ID), dockerLabels slipway.app/release/process
 *  tags              slipway:app, slipway:release, slipway:process
 */

struct sw_taskdef_opts {
	const char *app;
	int version;                    /* N of vN */
	const struct sw_process *proc;
	const char *image;              /* "<registry>/<app>:<tag>" (the tag is dropped) or "<registry>/<app>" */
	const char *digest;             /* "sha256:<64 hex>" */
	const json_t *config;           /* {"NAME": "value"}, may be NULL */
	int memory_mb;
	int cpu;                        /* CPU units, 0 = not given */
	int fargate;                    /* awsvpc on Fargate (launch.h), else bridge on EC2 */
	const char *log_group;          /* "/slipway/APP" by convention */
	const char *region;             /* awslogs-region */
	const char *execution_role_arn; /* NULL: none (EC2 instance roles); required on Fargate */
	const char *task_role_arn;      /* NULL: none */
};

/* "APP-PROCESS" into out (appended). */
void sw_taskdef_family(const char *app, const char *process, struct sw_buf *out);

/*
 * "REPOSITORY@DIGEST" from an image name with or without a tag (a ':' after the last '/'
 * starts the tag; a registry's ":port" is kept). SW_EINVAL for a digest that is not
 * sha256:<64 hex>.
 */
int sw_taskdef_pin(const char *image, const char *digest, struct sw_buf *out);

/*
 * The request as a new JSON object (the caller json_decref()s it), or NULL with the
 * error slot set (bad digest, missing option, a size Fargate does not have, no execution
 * role on Fargate).
 */
json_t *sw_taskdef_build(const struct sw_taskdef_opts *o);

#endif
