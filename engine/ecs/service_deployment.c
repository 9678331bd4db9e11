#include <stdlib.h>
#include <string.h>

#include "engine/ecs/service_deployment.h"
#include "engine/ecs/ecs.h"
#include "engine/api/awsjson.h"
#include "common/json.h"
#include "common/xalloc.h"
#include "common/banned.h"

void sw_ecs_service_deployment_arn(struct sw_engine *e, const struct sw_engine_service *s,
				   const struct sw_engine_deployment *d, struct sw_buf *out)
{
	const char *digits = strchr(d->id, '/');
	sw_engine_arn(e, out, "ecs", "service-deployment/%s/%s/%s", s->cluster, s->name, digits ? digits + 1 : d->id);
}

/* ServiceDeploymentStatus of d. */
static const char *status_of(const struct sw_engine_service *s, const struct sw_engine_deployment *d)
{
	if (d->rollout == SW_ENGINE_ROLLOUT_COMPLETED)
		return "SUCCESSFUL";
	if (d->rollout == SW_ENGINE_ROLLOUT_IN_PROGRESS)
		return "IN_PROGRESS";
	if (!d->aborted)
		return "STOPPED";
	return s->deps[0]->rollout == SW_ENGINE_ROLLOUT_IN_PROGRESS ? "ROLLBACK_IN_PROGRESS" : "ROLLBACK_SUCCESSFUL";
}

static json_t *deployment_json(struct sw_engine *e, struct sw_engine_service *s, struct sw_engine_deployment *d)
{
	struct sw_buf arn = SW_BUF_INIT;
	json_t *o = json_object(), *rev;
	size_t i;
	int running = 0, pending = 0;

	for (i = 0; i < e->st.nr_tasks; i++) {
		struct sw_engine_task *t = e->st.tasks[i];
		if (t->service_id != s->id || !t->deployment || strcmp(t->deployment, d->id))
			continue;
		running += t->last == SW_TASK_RUNNING;
		pending += t->last < SW_TASK_RUNNING;
	}
	sw_ecs_service_deployment_arn(e, s, d, &arn);
	json_object_set_new(o, "serviceDeploymentArn", json_string(arn.ptr));
	json_object_set_new(o, "serviceArn", json_string(s->arn));
	sw_buf_reset(&arn);
	sw_engine_arn(e, &arn, "ecs", "cluster/%s", s->cluster);
	json_object_set_new(o, "clusterArn", json_string(arn.ptr));
	json_object_set_new(o, "createdAt", sw_engine_api_json_time(d->created_at));
	json_object_set_new(o, "startedAt", sw_engine_api_json_time(d->created_at));
	json_object_set_new(o, "updatedAt", sw_engine_api_json_time(d->updated_at));
	if (d->rollout != SW_ENGINE_ROLLOUT_IN_PROGRESS)
		json_object_set_new(o, "finishedAt", sw_engine_api_json_time(d->updated_at));
	rev = json_pack("{s:s, s:i, s:i, s:i}", "arn", d->taskdef, "requestedTaskCount", d->desired,
			"runningTaskCount", running, "pendingTaskCount", pending);
	if (d->shifting)
		json_object_set_new(rev, "requestedProductionTrafficWeight", json_real(d->permille / 10.0));
	json_object_set_new(o, "targetServiceRevision", rev);
	json_object_set_new(o, "status", json_string(status_of(s, d)));
	if (d->rollout_reason)
		json_object_set_new(o, "statusReason", json_string(d->rollout_reason));
	if (d->stage)
		json_object_set_new(o, "lifecycleStage", json_string(d->stage));
	json_object_set_new(o, "deploymentConfiguration",
			    d->shifting ? json_deep_copy(d->shifting) : json_pack("{s:s}", "strategy", "ROLLING"));
	sw_buf_release(&arn);
	return o;
}

/* The service and deployment an ARN names, or NULL. */
static struct sw_engine_deployment *find(struct sw_engine *e, const char *arn, struct sw_engine_service **out)
{
	const char *p = arn ? strstr(arn, ":service-deployment/") : NULL;
	char *copy, *cluster, *service, *digits;
	struct sw_engine_deployment *d = NULL;
	size_t i;

	*out = NULL;
	if (!p)
		return NULL;
	copy = xstrdup(p + strlen(":service-deployment/"));
	cluster = copy;
	service = strchr(cluster, '/');
	digits = service ? strchr(service + 1, '/') : NULL;
	if (digits) {
		*service++ = '\0';
		*digits++ = '\0';
		*out = sw_engine_state_service(&e->st, cluster, service);
		for (i = 0; *out && i < (*out)->nr_deps && !d; i++) {
			const char *id = strchr((*out)->deps[i]->id, '/');
			if (id && !strcmp(id + 1, digits))
				d = (*out)->deps[i];
		}
	}
	free(copy);
	return d;
}

int sw_ecs_op_describe_service_deployments(struct sw_engine_call *call)
{
	json_t *arns = sw_engine_api_call_get(call, "serviceDeploymentArns");
	json_t *list = json_array(), *failures = json_array();
	size_t i;

	if (json_array_size(arns) == 0 || json_array_size(arns) > 20) {
		json_decref(list);
		json_decref(failures);
		return SW_FAIL_PARAM(call, "serviceDeploymentArns must have 1 to 20 items.");
	}
	for (i = 0; i < json_array_size(arns); i++) {
		const char *arn = json_string_value(json_array_get(arns, i));
		struct sw_engine_service *s;
		struct sw_engine_deployment *d = find(call->e, arn, &s);
		if (d)
			json_array_append_new(list, deployment_json(call->e, s, d));
		else
			json_array_append_new(failures, sw_ecs_failure_json(arn ? arn : "", "MISSING"));
	}
	json_object_set_new(call->out, "serviceDeployments", list);
	json_object_set_new(call->out, "failures", failures);
	return 0;
}
