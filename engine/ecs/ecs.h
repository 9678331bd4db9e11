#ifndef SW_ENGINE_ECS_ECS_H
#define SW_ENGINE_ECS_ECS_H

#include "engine/api/awsjson.h"
#include "engine/state.h"

/*
 * The ECS API (JSON 1.1, X-Amz-Target AmazonEC2ContainerServiceV20141113.*). ecs.c
 * holds the operation table; the operations live with their noun: taskdef.c,
 * cluster.c, service.c, task.c, instance.c, tag.c. Every handler runs with the
 * engine lock held and fails with ECS's own error names (api.h).
 */

extern const struct sw_engine_api sw_engine_ecs_api;

/*
 * The cluster a request names in member (short name or ARN; absent: "default").
 * NULL after failing the call with ClusterNotFoundException "Cluster not found.".
 */
struct sw_engine_cluster *sw_engine_ecs_cluster(struct sw_engine_call *call, const char *member);

/* 1 when s is a valid cluster or service name: 1-255 of letters, digits, '-', '_'. */
int sw_engine_ecs_name_ok(const char *s);

/* JSON renderings shared between operations (new references). */
json_t *sw_engine_ecs_task_json(struct sw_engine *e, struct sw_engine_task *t, int with_tags);
json_t *sw_engine_ecs_failure(const char *arn, const char *reason);

/* The tags of arn as [{key, value}] (new reference; [] when none). */
json_t *sw_engine_tags_get(struct sw_engine *e, const char *arn);
/* Add/replace tags (an array of {key, value}); 0 or negative. */
int sw_engine_tags_put(struct sw_engine *e, const char *arn, json_t *tags);
int sw_engine_tags_drop(struct sw_engine *e, const char *arn);

int sw_engine_op_register_task_definition(struct sw_engine_call *call);
int sw_engine_op_describe_task_definition(struct sw_engine_call *call);
int sw_engine_op_list_task_definitions(struct sw_engine_call *call);
int sw_engine_op_list_task_definition_families(struct sw_engine_call *call);
int sw_engine_op_deregister_task_definition(struct sw_engine_call *call);

int sw_engine_op_create_cluster(struct sw_engine_call *call);
int sw_engine_op_describe_clusters(struct sw_engine_call *call);
int sw_engine_op_list_clusters(struct sw_engine_call *call);
int sw_engine_op_delete_cluster(struct sw_engine_call *call);

int sw_engine_op_create_service(struct sw_engine_call *call);
int sw_engine_op_update_service(struct sw_engine_call *call);
int sw_engine_op_describe_services(struct sw_engine_call *call);
int sw_engine_op_list_services(struct sw_engine_call *call);
int sw_engine_op_delete_service(struct sw_engine_call *call);

int sw_engine_op_run_task(struct sw_engine_call *call);
int sw_engine_op_describe_tasks(struct sw_engine_call *call);
int sw_engine_op_list_tasks(struct sw_engine_call *call);
int sw_engine_op_stop_task(struct sw_engine_call *call);

int sw_engine_op_list_container_instances(struct sw_engine_call *call);
int sw_engine_op_describe_container_instances(struct sw_engine_call *call);

int sw_engine_op_tag_resource(struct sw_engine_call *call);
int sw_engine_op_untag_resource(struct sw_engine_call *call);
int sw_engine_op_list_tags_for_resource(struct sw_engine_call *call);

#endif
