#include <string.h>

#include "engine/ecs/ecs.h"
#include "engine/ecs/ecs_taskdef.h"
#include "engine/ecs/tag.h"
#include "common/json.h"
#include "common/store.h"
#include "common/banned.h"

#define MAX_TAGS 50

/* 0 when arn names a resource that exists; else the call has failed. */
static int resource_exists(struct sw_engine_call *call, const char *arn)
{
	struct sw_engine *e = call->e;
	struct sw_buf name = SW_BUF_INIT, cluster = SW_BUF_INIT;
	json_t *doc = NULL;
	int found = 0;
	size_t i;

	if (sw_engine_arn_name(arn, "cluster", &name, NULL)) {
		found = sw_engine_state_cluster(&e->st, name.ptr) != NULL;
	} else if (sw_engine_arn_name(arn, "service", &name, &cluster)) {
		for (i = 0; i < e->st.nr_services; i++)
			if (!strcmp(e->st.services[i]->arn, arn) && e->st.services[i]->status != SW_SERVICE_INACTIVE)
				found = 1;
	} else if (sw_engine_arn_name(arn, "task", &name, &cluster)) {
		found = sw_engine_state_task(&e->st, name.ptr) != NULL;
	} else if (sw_engine_arn_name(arn, "task-definition", &name, NULL)) {
		found = sw_ecs_taskdef_get(e, arn, &doc) == 0;
		json_decref(doc);
	} else if (sw_engine_arn_name(arn, "container-instance", &name, &cluster)) {
		found = !strcmp(name.ptr, e->instance_id);
	} else {
		sw_buf_release(&name);
		sw_buf_release(&cluster);
		return SW_FAIL_PARAM(call, "The ARN provided is invalid: %s", arn);
	}
	sw_buf_release(&name);
	sw_buf_release(&cluster);
	if (!found)
		return sw_engine_api_call_fail(call, 400, "ResourceNotFoundException", "The specified resource is not found.");
	return 0;
}

int sw_ecs_op_tag_resource(struct sw_engine_call *call)
{
	const char *arn = sw_engine_api_call_str(call, "resourceArn");
	json_t *tags = sw_engine_api_call_get(call, "tags");
	json_t *have;
	size_t i;

	if (resource_exists(call, arn) < 0)
		return -1;
	for (i = 0; i < json_array_size(tags); i++) {
		const char *k = sw_json_str(json_array_get(tags, i), "key");
		if (!k || !*k)
			return SW_FAIL_PARAM(call, "Tag keys must not be empty.");
		if (!strncmp(k, "aws:", 4))
			return SW_FAIL_PARAM(call, "Tag keys starting with 'aws:' are reserved.");
	}
	have = sw_ecs_tag_get(call->e, arn);
	if (json_array_size(have) + json_array_size(tags) > MAX_TAGS * 2 ||
	    json_array_size(tags) > MAX_TAGS) {
		json_decref(have);
		return SW_FAIL_PARAM(call, "A resource can have at most %d tags.", MAX_TAGS);
	}
	json_decref(have);
	return sw_ecs_tag_put(call->e, arn, tags);
}

int sw_ecs_op_untag_resource(struct sw_engine_call *call)
{
	const char *arn = sw_engine_api_call_str(call, "resourceArn");
	json_t *keys = sw_engine_api_call_get(call, "tagKeys");
	sqlite3_stmt *st = NULL;
	size_t i;
	int ret = 0;

	if (resource_exists(call, arn) < 0)
		return -1;
	if (sw_store_prepare(call->e->db, &st, "DELETE FROM tags WHERE arn = ? AND key = ?") < 0)
		return -1;
	for (i = 0; i < json_array_size(keys); i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, arn, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, json_string_value(json_array_get(keys, i)), -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			ret = sw_store_error(call->e->db, "untag");
			break;
		}
	}
	sqlite3_finalize(st);
	return ret;
}

int sw_ecs_op_list_tags_for_resource(struct sw_engine_call *call)
{
	const char *arn = sw_engine_api_call_str(call, "resourceArn");
	if (resource_exists(call, arn) < 0)
		return -1;
	json_object_set_new(call->out, "tags", sw_ecs_tag_get(call->e, arn));
	return 0;
}
