#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "engine/ecs/ecs.h"
#include "engine/ecs/service_deployment.h"
#include "common/banned.h"

int sw_ecs_name_valid(const char *s)
{
	size_t n = strlen(s), i;
	if (n == 0 || n > 255)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

json_t *sw_ecs_failure_json(const char *arn, const char *reason)
{
	return json_pack("{s:s, s:s}", "arn", arn, "reason", reason);
}

void sw_ecs_describe_each(struct sw_engine_call *call, struct sw_engine_cluster *c, json_t *names, const char *key,
			  sw_ecs_describe_fn describe)
{
	json_t *items = json_array(), *failures = json_array();
	struct sw_buf arn = SW_BUF_INIT;
	size_t i;

	for (i = 0; i < json_array_size(names); i++) {
		json_t *item = describe(call, c, json_string_value(json_array_get(names, i)), &arn);
		if (item)
			json_array_append_new(items, item);
		else
			json_array_append_new(failures, sw_ecs_failure_json(arn.ptr, "MISSING"));
	}
	json_object_set_new(call->out, key, items);
	json_object_set_new(call->out, "failures", failures);
	sw_buf_release(&arn);
}

void sw_ecs_arn_of(struct sw_engine *e, struct sw_buf *out, const char *given, const char *fmt, ...)
{
	struct sw_buf resource = SW_BUF_INIT;
	va_list ap;

	sw_buf_reset(out);
	if (!strncmp(given, "arn:", 4)) {
		sw_buf_adds(out, given);
		return;
	}
	va_start(ap, fmt);
	sw_buf_vaddf(&resource, fmt, ap);
	va_end(ap);
	sw_engine_arn(e, out, "ecs", "%s", resource.ptr);
	sw_buf_release(&resource);
}

static const struct sw_engine_api_op ecs_ops[] = {
	{ "RegisterTaskDefinition", sw_ecs_op_register_task_definition, 0 },
	{ "DescribeTaskDefinition", sw_ecs_op_describe_task_definition, 0 },
	{ "ListTaskDefinitions", sw_ecs_op_list_task_definitions, 0 },
	{ "ListTaskDefinitionFamilies", sw_ecs_op_list_task_definition_families, 0 },
	{ "DeregisterTaskDefinition", sw_ecs_op_deregister_task_definition, 0 },
	{ "CreateCluster", sw_ecs_op_create_cluster, 0 },
	{ "DescribeClusters", sw_ecs_op_describe_clusters, 0 },
	{ "ListClusters", sw_ecs_op_list_clusters, 0 },
	{ "DeleteCluster", sw_ecs_op_delete_cluster, 0 },
	{ "PutClusterCapacityProviders", sw_ecs_op_put_cluster_capacity_providers, 0 },
	{ "CreateService", sw_ecs_op_create_service, 0 },
	{ "UpdateService", sw_ecs_op_update_service, 0 },
	{ "DescribeServices", sw_ecs_op_describe_services, 0 },
	{ "DescribeServiceDeployments", sw_ecs_op_describe_service_deployments, 0 },
	{ "ListServices", sw_ecs_op_list_services, 0 },
	{ "DeleteService", sw_ecs_op_delete_service, 0 },
	{ "RunTask", sw_ecs_op_run_task, 0 },
	{ "DescribeTasks", sw_ecs_op_describe_tasks, 0 },
	{ "ListTasks", sw_ecs_op_list_tasks, 0 },
	{ "StopTask", sw_ecs_op_stop_task, 0 },
	{ "ListContainerInstances", sw_ecs_op_list_container_instances, 0 },
	{ "DescribeContainerInstances", sw_ecs_op_describe_container_instances, 0 },
	{ "TagResource", sw_ecs_op_tag_resource, 0 },
	{ "UntagResource", sw_ecs_op_untag_resource, 0 },
	{ "ListTagsForResource", sw_ecs_op_list_tags_for_resource, 0 },
	{ NULL, NULL, 0 },
};

const struct sw_engine_api sw_ecs_api = {
	"ecs", &sw_aws_ecs_model, SW_SIGV4_JSON, ecs_ops, "InvalidParameterException", NULL, sw_engine_api_json_serve,
	sw_engine_api_json_error,
};
