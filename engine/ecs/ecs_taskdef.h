#ifndef SW_ENGINE_ECS_ECS_TASKDEF_H
#define SW_ENGINE_ECS_ECS_TASKDEF_H

#include <jansson.h>

#include "engine/engine.h"

/*
 * Task definitions: revisions per family, ACTIVE or INACTIVE, kept in the taskdefs
 * table as the TaskDefinition document DescribeTaskDefinition returns (defaults
 * filled in: essential, cpu, health-check interval/timeout/retries, ...).
 * Callers hold the engine lock.
 */

/*
 * Resolve ref ("family" = its latest ACTIVE revision, "family:3", or the full ARN)
 * to its document: *doc is a new reference the caller json_decref()s.
 * SW_ENOTFOUND when there is no such definition.
 */
int sw_ecs_taskdef_get(struct sw_engine *e, const char *ref, json_t **doc);

/*
 * What a task of doc (with TaskOverride overrides, may be NULL) reserves on the
 * container instance: memory in MiB (task-level memory, else the sum of each
 * container's memory or memoryReservation) and CPU units (task-level cpu, else the
 * sum of the containers' cpu).
 */
void sw_ecs_taskdef_needs(json_t *doc, json_t *overrides, long long *cpu, long long *memory_mb);

/*
 * The first object of list (a task definition's containerDefinitions, a task's
 * containerOverrides) whose "name" is name: borrowed; NULL when there is none.
 */
json_t *sw_ecs_taskdef_named(json_t *list, const char *name);

/* Parse a task-level size: "512", "0.5 GB" / "1 GB" (-> MiB), "1 vCPU" (-> units). -1 if bad. */
long long sw_ecs_taskdef_size(const char *s, int is_cpu);

#endif
