#ifndef SW_ENGINE_LOGS_AWSLOGS_H
#define SW_ENGINE_LOGS_AWSLOGS_H

#include "engine/logs/logs.h"

/*
 * The awslogs driver of ECS containers: containers run on Docker's json-file driver
 * (engine/run/container_spec.h); every container of this engine (label
 * slipway.engine) whose container definition says logDriver "awslogs" gets a follower
 * (follower.h) into group awslogs-group, stream <awslogs-stream-prefix>/<container>/
 * <task id> (the container id without a prefix), the group made when missing. Other
 * containers are remembered and left alone. Called without l->lock.
 */

/* Follow container id when it is an awslogs container of ours not followed yet. */
void sw_logs_awslogs_follow(struct sw_logs *l, const char *id);

/* Every container of this engine (running or exited): follow what needs it. */
void sw_logs_awslogs_rescan(struct sw_logs *l);

#endif
