#ifndef SW_ENGINE_ECS_TAG_H
#define SW_ENGINE_ECS_TAG_H

#include <jansson.h>

#include "engine/engine.h"

/*
 * Resource tags (ECS's {key, value}), kept in the tags table by ARN. The operations
 * that change them are in tagging.c; resources carry theirs from creation
 * (CreateService, RunTask, RegisterTaskDefinition, ...). Callers hold the engine lock.
 */

/* The tags of arn as [{key, value}] (new reference; [] when none). */
json_t *sw_ecs_tag_get(struct sw_engine *e, const char *arn);

/* Add or replace tags (an array of {key, value}); 0 or negative. */
int sw_ecs_tag_put(struct sw_engine *e, const char *arn, json_t *tags);

/* Drop every tag of arn; 0 or negative. */
int sw_ecs_tag_drop(struct sw_engine *e, const char *arn);

#endif
