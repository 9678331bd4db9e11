#include <stddef.h>

#include "engine/ecs/ecs.h"
#include "common/banned.h"

static const struct sw_engine_api_op ecs_ops[] = {
	{ "RegisterTaskDefinition", sw_engine_op_register_task_definition, 0 },
	{ "DescribeTaskDefinition", sw_engine_op_describe_task_definition, 0 },
	{ "ListTaskDefinitions", sw_engine_op_list_task_definitions, 0 },
	{ "ListTaskDefinitionFamilies", sw_engine_op_list_task_definition_families, 0 },
	{ "DeregisterTaskDefinition", sw_engine_op_deregister_task_definition, 0 },
	{ "CreateCluster", sw_engine_op_create_cluster, 0 },
	{ "DescribeClusters", sw_engine_op_describe_clusters, 0 },
	{ "ListClusters", sw_engine_op_list_clusters, 0 },
	{ "DeleteCluster", sw_engine_op_delete_cluster, 0 },
	{ "CreateService", sw_engine_op_create_service, 0 },
	{ "UpdateService", sw_engine_op_update_service, 0 },
	{ "DescribeServices", sw_engine_op_describe_services, 0 },
	{ "ListServices", sw_engine_op_list_services, 0 },
	{ "DeleteService", sw_engine_op_delete_service, 0 },
	{ "RunTask", sw_engine_op_run_task, 0 },
	{ "DescribeTasks", sw_engine_op_describe_tasks, 0 },
	{ "ListTasks", sw_engine_op_list_tasks, 0 },
	{ "StopTask", sw_engine_op_stop_task, 0 },
	{ "ListContainerInstances", sw_engine_op_list_container_instances, 0 },
	{ "DescribeContainerInstances", sw_engine_op_describe_container_instances, 0 },
	{ "TagResource", sw_engine_op_tag_resource, 0 },
	{ "UntagResource", sw_engine_op_untag_resource, 0 },
	{ "ListTagsForResource", sw_engine_op_list_tags_for_resource, 0 },
	{ NULL, NULL, 0 },
};

const struct sw_engine_api sw_engine_ecs_api = {
	"ecs", &sw_aws_ecs_model, SW_SIGV4_JSON, ecs_ops, "InvalidParameterException", NULL, sw_engine_api_json_serve,
	sw_engine_api_json_error,
};
