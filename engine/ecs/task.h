#ifndef SW_ENGINE_ECS_TASK_H
#define SW_ENGINE_ECS_TASK_H

#include <jansson.h>

#include "engine/engine.h"

/*
 * Tasks: creation and the desired-state changes the API and the scheduler make.
 * The lifecycle itself (PROVISIONING -> ... -> STOPPED) is driven by the scheduler
 * (engine/run/lifecycle.c) and the workers (engine/run/runtime.c). All calls with the
 * engine lock held.
 */

struct sw_ecs_task_spec {
	const char *cluster;      /* cluster name */
	json_t *taskdef;          /* the TaskDefinition document (borrowed) */
	json_t *overrides;        /* TaskOverride (borrowed) or NULL */
	const char *group;        /* NULL: "family:<family>" */
	const char *started_by;   /* or NULL */
	const char *launch_type;  /* NULL: EC2 */
	const char *capacity_provider; /* the provider it launches on, or NULL (by launchType) */
	const char *platform_version;  /* Fargate's, resolved ("1.4.0"), or NULL */
	json_t *network;          /* networkConfiguration (borrowed): awsvpc tasks get an interface */
	long long service_id;     /* 0 for a standalone task */
	const char *deployment;   /* the deployment id (service tasks) */
};

/*
 * Create a task in PROVISIONING (resources reserved from now on), add it to the
 * state, save it and wake the scheduler. Returns the task (owned by the state).
 */
struct sw_engine_task *sw_ecs_task_create(struct sw_engine *e, const struct sw_ecs_task_spec *spec);

/*
 * Set desiredStatus STOPPED with ECS's stopCode and stoppedReason (kept from the
 * first call when called again) and wake the scheduler.
 */
void sw_ecs_task_stop(struct sw_engine *e, struct sw_engine_task *t, const char *stop_code, const char *reason);

/*
 * The task failed (did not start, essential container exited, failed health checks):
 * count it once for its deployment's circuit breaker and its service's launch backoff.
 */
void sw_ecs_task_failed(struct sw_engine *e, struct sw_engine_task *t);

/* Bump the version and save. */
int sw_ecs_task_save(struct sw_engine *e, struct sw_engine_task *t);

/* The Task document DescribeTasks returns (new reference). */
json_t *sw_ecs_task_json(struct sw_engine *e, struct sw_engine_task *t, int with_tags);

/* Seconds between SIGTERM and SIGKILL for t: the largest stopTimeout of its definition, or the default. */
long long sw_ecs_task_stop_timeout(struct sw_engine *e, json_t *taskdef);

#endif
