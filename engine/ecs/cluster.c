#include <stdlib.h>
#include <string.h>

#include "engine/ecs/ecs.h"
#include "engine/ecs/tag.h"
#include "engine/engine_db.h"
#include "common/time.h"
#include "common/xalloc.h"
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

static json_t *cluster_json(struct sw_engine *e, struct sw_engine_cluster *c, int with_tags)
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
	o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:[], s:[], s:[], s:[]}",
		      "clusterArn", c->arn, "clusterName", c->name, "status", c->status,
		      "registeredContainerInstancesCount", strcmp(c->status, "ACTIVE") ? 0 : 1,
		      "runningTasksCount", running, "pendingTasksCount", pending,
		      "activeServicesCount", services, "statistics", "settings", "capacityProviders",
		      "defaultCapacityProviderStrategy");
	if (with_tags)
		json_object_set_new(o, "tags", sw_ecs_tag_get(e, c->arn));
	return o;
}

int sw_ecs_op_create_cluster(struct sw_engine_call *call)
{
	struct sw_engine *e = call->e;
	const char *name = sw_engine_api_call_str(call, "clusterName");
	json_t *tags = sw_engine_api_call_get(call, "tags");
	struct sw_engine_cluster *c;

	if (!name)
		name = "default";
	if (!sw_ecs_name_valid(name))
		return SW_FAIL_PARAM(call, "Cluster name can have up to 255 letters (uppercase and lowercase), "
				     "numbers, hyphens, and underscores.");
	c = sw_engine_state_cluster(&e->st, name);
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
	}
	if (sw_engine_db_save_cluster(e->db, c) < 0)
		return -1;
	if (tags && sw_ecs_tag_put(e, c->arn, tags) < 0)
		return -1;
	json_object_set_new(call->out, "cluster", cluster_json(e, c, 1));
	return 0;
}

int sw_ecs_op_describe_clusters(struct sw_engine_call *call)
{
	struct sw_engine *e = call->e;
	json_t *names = sw_engine_api_call_get(call, "clusters");
	json_t *clusters = json_array(), *failures = json_array(), *deflt = NULL;
	struct sw_buf name = SW_BUF_INIT;
	int with_tags = sw_engine_api_call_has(call, "include", "TAGS");
	size_t i;

	if (json_array_size(names) > 100) {
		json_decref(clusters);
		json_decref(failures);
		return SW_FAIL_PARAM(call, "clusters can have at most 100 items.");
	}
	if (!json_array_size(names)) {
		deflt = json_pack("[s]", "default");
		names = deflt;
	}
	for (i = 0; i < json_array_size(names); i++) {
		const char *given = json_string_value(json_array_get(names, i));
		struct sw_engine_cluster *c = NULL;
		if (sw_engine_arn_name(given, "cluster", &name, NULL))
			c = sw_engine_state_cluster(&e->st, name.ptr);
		if (c) {
			json_array_append_new(clusters, cluster_json(e, c, with_tags));
		} else {
			struct sw_buf arn = SW_BUF_INIT;
			sw_ecs_arn_of(e, &arn, given, "cluster/%s", given);
			json_array_append_new(failures, sw_ecs_failure_json(arn.ptr, "MISSING"));
			sw_buf_release(&arn);
		}
	}
	json_object_set_new(call->out, "clusters", clusters);
	json_object_set_new(call->out, "failures", failures);
	json_decref(deflt);
	sw_buf_release(&name);
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
