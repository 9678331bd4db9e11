#ifndef SW_ENGINE_ECS_ECS_H
#define SW_ENGINE_ECS_ECS_H

#include "engine/api/awsjson.h"
#include "engine/state.h"

/*
 * The ECS API (JSON 1.1, X-Amz-Target AmazonEC2ContainerServiceV20141113.*). ecs.c
 * holds the operation table and what the operations share; the operations live with
 * their noun: ecs_taskdef.c, cluster.c, service.c, task.c, instance.c, tagging.c;
 * how tasks launch (launch type, Fargate capacity providers, awsvpc) is launch.h.
 * Every handler runs with the engine lock held and fails with ECS's own error names
 * (engine/api/call.h).
 */

extern const struct sw_engine_api sw_ecs_api;

/* ---- shared by the operations (ecs.c) ---- */

/* 1 when s is a valid cluster or service name: 1-255 of letters, digits, '-', '_'. */
int sw_ecs_name_valid(const char *s);

/* A failures[] entry: {arn, reason} (new reference). */
json_t *sw_ecs_failure_json(const char *arn, const char *reason);

/*
 * What every Describe* answers: describe(call, c, given, arn) for each string of names
 * (the request's list) returns that item's JSON (a new reference), or NULL with arn set
 * to the ARN to report MISSING; call->out gets key: [the items] and "failures": [...].
 * c is passed through (NULL where the operation has no cluster); arn is the helper's.
 */
typedef json_t *(*sw_ecs_describe_fn)(struct sw_engine_call *call, struct sw_engine_cluster *c, const char *given,
				      struct sw_buf *arn);
void sw_ecs_describe_each(struct sw_engine_call *call, struct sw_engine_cluster *c, json_t *names, const char *key,
			  sw_ecs_describe_fn describe);

/*
 * The ARN of what a request named: given itself when it is an ARN, else this engine's
 * ECS ARN of the resource fmt formats (e.g. "service/%s/%s", cluster, given). out is
 * reset first.
 */
void sw_ecs_arn_of(struct sw_engine *e, struct sw_buf *out, const char *given, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- the operations ---- */

/*
 * The cluster a request names in member (short name or ARN; absent: "default"), in
 * cluster.c. NULL after failing the call with ClusterNotFoundException "Cluster not found.".
 */
struct sw_engine_cluster *sw_ecs_cluster_find(struct sw_engine_call *call, const char *member);

int sw_ecs_op_register_task_definition(struct sw_engine_call *call);
int sw_ecs_op_describe_task_definition(struct sw_engine_call *call);
int sw_ecs_op_list_task_definitions(struct sw_engine_call *call);
int sw_ecs_op_list_task_definition_families(struct sw_engine_call *call);
int sw_ecs_op_deregister_task_definition(struct sw_engine_call *call);

int sw_ecs_op_create_cluster(struct sw_engine_call *call);
int sw_ecs_op_describe_clusters(struct sw_engine_call *call);
int sw_ecs_op_list_clusters(struct sw_engine_call *call);
int sw_ecs_op_delete_cluster(struct sw_engine_call *call);
int sw_ecs_op_put_cluster_capacity_providers(struct sw_engine_call *call);

int sw_ecs_op_create_service(struct sw_engine_call *call);
int sw_ecs_op_update_service(struct sw_engine_call *call);
int sw_ecs_op_describe_services(struct sw_engine_call *call);
int sw_ecs_op_list_services(struct sw_engine_call *call);
int sw_ecs_op_delete_service(struct sw_engine_call *call);

int sw_ecs_op_run_task(struct sw_engine_call *call);
int sw_ecs_op_describe_tasks(struct sw_engine_call *call);
int sw_ecs_op_list_tasks(struct sw_engine_call *call);
int sw_ecs_op_stop_task(struct sw_engine_call *call);

int sw_ecs_op_list_container_instances(struct sw_engine_call *call);
int sw_ecs_op_describe_container_instances(struct sw_engine_call *call);

int sw_ecs_op_tag_resource(struct sw_engine_call *call);
int sw_ecs_op_untag_resource(struct sw_engine_call *call);
int sw_ecs_op_list_tags_for_resource(struct sw_engine_call *call);

#endif
