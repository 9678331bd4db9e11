#include <stdlib.h>
#include <string.h>

#include "engine/ecs/ecs.h"
#include "engine/ecs/launch.h"
#include "engine/ecs/tag.h"
#include "engine/engine_db.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/json.h"
#include "common/banned.h"

struct sw_engine_cluster *sw_ecs_cluster_find(struct sw_engine_call *call, const char *member)
{
	const char *given = sw_engine_api_call_str(call, member);
	struct sw_buf name = SW_BUF_INIT;
	struct sw_engine_cluster *c = NULL;

	if (!given || !*given)
		given = "default";
	if (sw_engine_arn_name(given, "cluster", &name, NULL))
		c = sw_engine_state_cluster(&call->e->st, name.ptr);
	sw_buf_release(&name);
	if (!c || strcmp(c->status, "ACTIVE")) {
		sw_engine_api_call_fail(call, 400, "ClusterNotFoundException", "Cluster not found.");
		return NULL;
	}
	return c;
}

/* What DescribeClusters' include adds (and CreateCluster / PutClusterCapacityProviders answer with). */
enum {
	CLUSTER_TAGS = 1,
	CLUSTER_SETTINGS = 2,
	CLUSTER_STATISTICS = 4,
	CLUSTER_ATTACHMENTS = 8,
	CLUSTER_CONFIGURATIONS = 16,
};

/* ECS's statistics: tasks and services by launch type. */
static json_t *statistics_json(struct sw_engine *e, struct sw_engine_cluster *c)
{
	static const char *const names[] = {
		"runningEC2TasksCount", "runningFargateTasksCount", "pendingEC2TasksCount", "pendingFargateTasksCount",
		"activeEC2ServiceCount", "activeFargateServiceCount", "drainingEC2ServiceCount",
		"drainingFargateServiceCount",
	};
	int n[8] = { 0 };
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < e->st.nr_tasks; i++) {
		struct sw_engine_task *t = e->st.tasks[i];
		int fargate = t->launch_type && !strcmp(t->launch_type, "FARGATE");
		if (strcmp(t->cluster, c->name))
			continue;
		if (t->last == SW_TASK_RUNNING)
			n[0 + fargate]++;
		else if (t->last < SW_TASK_RUNNING)
			n[2 + fargate]++;
	}
	for (i = 0; i < e->st.nr_services; i++) {
		struct sw_engine_service *s = e->st.services[i];
		int fargate = s->launch_type && !strcmp(s->launch_type, "FARGATE");
		if (strcmp(s->cluster, c->name))
			continue;
		if (s->status == SW_SERVICE_ACTIVE)
			n[4 + fargate]++;
		else if (s->status == SW_SERVICE_DRAINING)
			n[6 + fargate]++;
	}
	for (i = 0; i < 8; i++) {
		struct sw_buf v = SW_BUF_INIT;
		sw_buf_addf(&v, "%d", n[i]);
		json_array_append_new(list, json_pack("{s:s, s:s}", "name", names[i], "value", v.ptr));
		sw_buf_release(&v);
	}
	return list;
}

static json_t *cluster_json(struct sw_engine *e, struct sw_engine_cluster *c, int include)
{
	int running = 0, pending = 0, services = 0;
	size_t i;
	json_t *o;

	for (i = 0; i < e->st.nr_tasks; i++) {
		struct sw_engine_task *t = e->st.tasks[i];
		if (strcmp(t->cluster, c->name))
			continue;
		if (t->last == SW_TASK_RUNNING)
			running++;
		else if (t->last < SW_TASK_RUNNING)
			pending++;
	}
	for (i = 0; i < e->st.nr_services; i++)
		if (!strcmp(e->st.services[i]->cluster, c->name) && e->st.services[i]->status == SW_SERVICE_ACTIVE)
			services++;
	o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:[], s:[], s:o, s:o}",
		      "clusterArn", c->arn, "clusterName", c->name, "status", c->status,
		      "registeredContainerInstancesCount", strcmp(c->status, "ACTIVE") ? 0 : 1,
		      "runningTasksCount", running, "pendingTasksCount", pending,
		      "activeServicesCount", services, "statistics", "settings", "capacityProviders",
		      c->capacity_providers ? json_deep_copy(c->capacity_providers) : json_array(),
		      "defaultCapacityProviderStrategy", sw_ecs_launch_strategy_json(c->default_strategy));
	if (include & CLUSTER_SETTINGS)
		json_object_set_new(o, "settings", c->settings ? json_deep_copy(c->settings) :
				    json_pack("[{s:s, s:s}]", "name", "containerInsights", "value", "disabled"));
	if (include & CLUSTER_STATISTICS)
		json_object_set_new(o, "statistics", statistics_json(e, c));
	if ((include & CLUSTER_ATTACHMENTS) && c->capacity_providers) {
		/* Fargate's providers attach nothing to the cluster (Auto Scaling groups' would) */
		json_object_set_new(o, "attachments", json_array());
		json_object_set_new(o, "attachmentsStatus", json_string("UPDATE_COMPLETE"));
	}
	if ((include & CLUSTER_CONFIGURATIONS) && c->configuration)
		json_object_set(o, "configuration", c->configuration);
	if (include & CLUSTER_TAGS)
		json_object_set_new(o, "tags", sw_ecs_tag_get(e, c->arn));
	return o;
}

/* capacityProviders and defaultCapacityProviderStrategy of a request: each provider one of ours, the strategy theirs. */
static int check_providers(struct sw_engine_call *call, json_t *providers, json_t *strategy)
{
	size_t i;

	for (i = 0; i < json_array_size(providers); i++)
		if (!sw_ecs_launch_provider_known(json_string_value(json_array_get(providers, i))))
			return SW_FAIL_PARAM(call, "The specified capacity provider was not found. Specify a valid capacity "
					     "provider and try again.");
	return sw_ecs_launch_check_strategy(call, providers, strategy);
}

/* Replace *slot with a copy of v (NULL or an empty array: none). */
static void set_json(json_t **slot, json_t *v)
{
	json_decref(*slot);
	*slot = v && !(json_is_array(v) && !json_array_size(v)) ? json_deep_copy(v) : NULL;
}

/* 1 when the request's value of a list member (absent: none) is what c holds. */
static int same_list(json_t *given, json_t *held)
{
	json_t *a = given && json_array_size(given) ? given : NULL;
	return (!a && !held) || (a && held && json_equal(a, held));
}

int sw_ecs_op_create_cluster(struct sw_engine_call *call)
{
	struct sw_engine *e = call->e;
	const char *name = sw_engine_api_call_str(call, "clusterName");
	json_t *tags = sw_engine_api_call_get(call, "tags");
	json_t *providers = sw_engine_api_call_get(call, "capacityProviders");
	json_t *strategy = sw_engine_api_call_get(call, "defaultCapacityProviderStrategy");
	struct sw_engine_cluster *c;

	if (!name)
		name = "default";
	if (!sw_ecs_name_valid(name))
		return SW_FAIL_PARAM(call, "Cluster name can have up to 255 letters (uppercase and lowercase), "
				     "numbers, hyphens, and underscores.");
	if (check_providers(call, providers, strategy) < 0)
		return -1;
	c = sw_engine_state_cluster(&e->st, name);
	if (c && !strcmp(c->status, "ACTIVE") && (providers || strategy)) {
		/* an existing cluster is answered as it is, unless the request says otherwise */
		json_t *held = sw_ecs_launch_strategy_json(c->default_strategy);
		json_t *asked = sw_ecs_launch_strategy_json(strategy);
		int same = same_list(providers, c->capacity_providers) && json_equal(held, asked);
		json_decref(held);
		json_decref(asked);
		if (!same)
			return SW_FAIL_PARAM(call, "Arguments on this idempotent request are inconsistent with arguments "
					     "used in previous request(s).");
	}
	if (!c) {
		struct sw_buf arn = SW_BUF_INIT;
		c = xcalloc(1, sizeof(*c));
		c->name = xstrdup(name);
		sw_engine_arn(e, &arn, "ecs", "cluster/%s", name);
		c->arn = sw_buf_detach(&arn, NULL);
		c->status = xstrdup("ACTIVE");
		c->created_at = sw_time_now();
		sw_engine_state_add_cluster(&e->st, c);
	} else if (strcmp(c->status, "ACTIVE")) {
		sw_engine_set_str(&c->status, "ACTIVE");
		sw_ecs_tag_drop(e, c->arn);
		set_json(&c->capacity_providers, NULL);
		set_json(&c->default_strategy, NULL);
		set_json(&c->settings, NULL);
		set_json(&c->configuration, NULL);
	}
	if (providers || strategy) {
		set_json(&c->capacity_providers, providers);
		set_json(&c->default_strategy, strategy);
	}
	if (sw_engine_api_call_get(call, "settings"))
		set_json(&c->settings, sw_engine_api_call_get(call, "settings"));
	if (sw_engine_api_call_get(call, "configuration"))
		set_json(&c->configuration, sw_engine_api_call_get(call, "configuration"));
	if (sw_engine_db_save_cluster(e->db, c) < 0)
		return -1;
	if (tags && sw_ecs_tag_put(e, c->arn, tags) < 0)
		return -1;
	json_object_set_new(call->out, "cluster", cluster_json(e, c, CLUSTER_TAGS | CLUSTER_SETTINGS |
							       CLUSTER_ATTACHMENTS | CLUSTER_CONFIGURATIONS));
	return 0;
}

/* 1 when a service or a task of cluster c that is not over launches on provider (strategy / task). */
static int provider_in_use(struct sw_engine *e, struct sw_engine_cluster *c, const char *provider)
{
	size_t i, j;

	for (i = 0; i < e->st.nr_services; i++) {
		struct sw_engine_service *s = e->st.services[i];
		if (strcmp(s->cluster, c->name) || s->status == SW_SERVICE_INACTIVE)
			continue;
		for (j = 0; j < json_array_size(s->strategy); j++)
			if (!strcmp(sw_json_str(json_array_get(s->strategy, j), "capacityProvider"),
				    provider))
				return 1;
	}
	for (i = 0; i < e->st.nr_tasks; i++) {
		struct sw_engine_task *t = e->st.tasks[i];
		if (!strcmp(t->cluster, c->name) && t->last != SW_TASK_STOPPED && t->capacity_provider &&
		    !strcmp(t->capacity_provider, provider))
			return 1;
	}
	return 0;
}

int sw_ecs_op_put_cluster_capacity_providers(struct sw_engine_call *call)
{
	struct sw_engine *e = call->e;
	struct sw_engine_cluster *c = sw_ecs_cluster_find(call, "cluster");
	json_t *providers = sw_engine_api_call_get(call, "capacityProviders");
	json_t *strategy = sw_engine_api_call_get(call, "defaultCapacityProviderStrategy");
	size_t i;

	if (!c || check_providers(call, providers, strategy) < 0)
		return -1;
	for (i = 0; i < json_array_size(c->capacity_providers); i++) {
		const char *held = json_string_value(json_array_get(c->capacity_providers, i));
		size_t j;
		int kept = 0;
		for (j = 0; j < json_array_size(providers); j++)
			kept |= !strcmp(held, json_string_value(json_array_get(providers, j)));
		if (!kept && provider_in_use(e, c, held))
			return sw_engine_api_call_fail(call, 400, "ResourceInUseException",
						       "The specified capacity provider is in use and cannot be removed.");
	}
	set_json(&c->capacity_providers, providers);
	set_json(&c->default_strategy, strategy);
	if (sw_engine_db_save_cluster(e->db, c) < 0)
		return -1;
	json_object_set_new(call->out, "cluster", cluster_json(e, c, CLUSTER_SETTINGS | CLUSTER_ATTACHMENTS |
							       CLUSTER_CONFIGURATIONS));
	return 0;
}

/* The include flags of a DescribeClusters request. */
static int include_flags(struct sw_engine_call *call)
{
	return (sw_engine_api_call_has(call, "include", "TAGS") ? CLUSTER_TAGS : 0) |
	       (sw_engine_api_call_has(call, "include", "SETTINGS") ? CLUSTER_SETTINGS : 0) |
	       (sw_engine_api_call_has(call, "include", "STATISTICS") ? CLUSTER_STATISTICS : 0) |
	       (sw_engine_api_call_has(call, "include", "ATTACHMENTS") ? CLUSTER_ATTACHMENTS : 0) |
	       (sw_engine_api_call_has(call, "include", "CONFIGURATIONS") ? CLUSTER_CONFIGURATIONS : 0);
}

/* DescribeClusters' item: the cluster given names, or NULL with its ARN (no cluster is passed in). */
static json_t *describe_cluster(struct sw_engine_call *call, struct sw_engine_cluster *unused, const char *given,
				struct sw_buf *arn)
{
	struct sw_engine_cluster *c = NULL;
	struct sw_buf name = SW_BUF_INIT;

	(void)unused;
	if (sw_engine_arn_name(given, "cluster", &name, NULL))
		c = sw_engine_state_cluster(&call->e->st, name.ptr);
	sw_buf_release(&name);
	if (c)
		return cluster_json(call->e, c, include_flags(call));
	sw_ecs_arn_of(call->e, arn, given, "cluster/%s", given);
	return NULL;
}

int sw_ecs_op_describe_clusters(struct sw_engine_call *call)
{
	json_t *names = sw_engine_api_call_get(call, "clusters");
	json_t *deflt = NULL;

	if (json_array_size(names) > 100)
		return SW_FAIL_PARAM(call, "clusters can have at most 100 items.");
	if (!json_array_size(names)) {
		deflt = json_pack("[s]", "default");
		names = deflt;
	}
	sw_ecs_describe_each(call, NULL, names, "clusters", describe_cluster);
	json_decref(deflt);
	return 0;
}

int sw_ecs_op_list_clusters(struct sw_engine_call *call)
{
	struct sw_engine *e = call->e;
	long long offset, page;
	json_t *arns;
	long long n = 0;
	size_t i;

	if (sw_engine_api_call_page(call, 100, &offset, &page) < 0)
		return -1;
	arns = json_array();
	for (i = 0; i < e->st.nr_clusters; i++) {
		if (strcmp(e->st.clusters[i]->status, "ACTIVE"))
			continue;
		if (sw_engine_api_page_count(&n, offset, page))
			json_array_append_new(arns, json_string(e->st.clusters[i]->arn));
	}
	json_object_set_new(call->out, "clusterArns", arns);
	sw_engine_api_token_set(call->out, offset, page, n);
	return 0;
}

int sw_ecs_op_delete_cluster(struct sw_engine_call *call)
{
	struct sw_engine *e = call->e;
	struct sw_engine_cluster *c = sw_ecs_cluster_find(call, "cluster");
	size_t i;

	if (!c)
		return -1;
	for (i = 0; i < e->st.nr_services; i++)
		if (!strcmp(e->st.services[i]->cluster, c->name) && e->st.services[i]->status != SW_SERVICE_INACTIVE)
			return sw_engine_api_call_fail(call, 400, "ClusterContainsServicesException",
						       "The Cluster cannot be deleted while Services are active.");
	for (i = 0; i < e->st.nr_tasks; i++)
		if (!strcmp(e->st.tasks[i]->cluster, c->name) && e->st.tasks[i]->last != SW_TASK_STOPPED)
			return sw_engine_api_call_fail(call, 400, "ClusterContainsTasksException",
						       "The Cluster cannot be deleted while Tasks are active.");
	if (!strcmp(c->name, "default"))
		return SW_FAIL_PARAM(call, "The default cluster of this engine cannot be deleted.");
	sw_engine_set_str(&c->status, "INACTIVE");
	if (sw_engine_db_save_cluster(e->db, c) < 0)
		return -1;
	json_object_set_new(call->out, "cluster", cluster_json(e, c, 0));
	return 0;
}
