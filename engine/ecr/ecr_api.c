#include <string.h>

#include "engine/ecr/ecr_api.h"
#include "engine/ecr/distribution.h"
#include "common/error.h"
#include "common/time.h"
#include "common/banned.h"

#define TOKEN_HOURS 12

int sw_engine_ecr_api_registry_error(struct sw_engine_call *call)
{
	return SW_FAIL_SERVER(call, "%s", sw_error_last());
}

const char *sw_engine_ecr_api_registry_id(struct sw_engine_call *call)
{
	return call->e->cfg.account;
}

int sw_engine_ecr_api_repo_exists(struct sw_engine_call *call, const char *name, int *exists)
{
	json_t *names = NULL;
	size_t i;
	*exists = 0;
	if (sw_engine_ecr_distribution_catalog(call->e, &names) < 0)
		return sw_engine_ecr_api_registry_error(call);
	for (i = 0; i < json_array_size(names); i++)
		if (!strcmp(json_string_value(json_array_get(names, i)), name))
			*exists = 1;
	json_decref(names);
	return 0;
}

int sw_engine_ecr_api_repo_missing(struct sw_engine_call *call, const char *name)
{
	return sw_engine_api_call_fail(call, 400, "RepositoryNotFoundException",
				       "The repository with name '%s' does not exist in the registry with id '%s'", name,
				       sw_engine_ecr_api_registry_id(call));
}

int sw_engine_ecr_api_repo_need(struct sw_engine_call *call, const char **name)
{
	int exists;
	*name = sw_engine_api_call_str(call, "repositoryName");
	if (sw_engine_ecr_api_repo_exists(call, *name, &exists) < 0)
		return -1;
	if (!exists)
		return sw_engine_ecr_api_repo_missing(call, *name);
	return 0;
}

int sw_engine_ecr_api_page(struct sw_engine_call *call, long long dflt, long long max, long long *offset, long long *page)
{
	*offset = sw_engine_api_token_parse(sw_engine_api_call_str(call, "nextToken"));
	*page = sw_engine_api_call_int(call, "maxResults", dflt);
	if (*offset < 0)
		return SW_FAIL_PARAM(call, "Invalid parameter at 'nextToken'");
	if (*page < 1 || *page > max)
		return SW_FAIL_PARAM(call, "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member "
				     "must have value less than or equal to %lld'", max);
	return 0;
}

static int op_get_authorization_token(struct sw_engine_call *call)
{
	struct sw_engine *e = call->e;
	struct sw_buf token = SW_BUF_INIT, endpoint = SW_BUF_INIT;

	sw_engine_ecr_distribution_credential(e, &token);   /* absent: a registry without auth, any password */
	sw_buf_addf(&endpoint, "http://%s", e->cfg.registry_host);
	json_object_set_new(call->out, "authorizationData",
			    json_pack("[{s:s, s:o, s:s}]", "authorizationToken", token.ptr, "expiresAt",
				      sw_engine_api_json_time(sw_time_now() + TOKEN_HOURS * 3600.0), "proxyEndpoint",
				      endpoint.ptr));
	sw_buf_release(&token);
	sw_buf_release(&endpoint);
	return 0;
}

static const struct sw_engine_api_op ecr_ops[] = {
	{ "CreateRepository", sw_engine_ecr_op_create_repository, 1 },
	{ "DescribeRepositories", sw_engine_ecr_op_describe_repositories, 1 },
	{ "DescribeImages", sw_engine_ecr_op_describe_images, 1 },
	{ "ListImages", sw_engine_ecr_op_list_images, 1 },
	{ "BatchGetImage", sw_engine_ecr_op_batch_get_image, 1 },
	{ "BatchDeleteImage", sw_engine_ecr_op_batch_delete_image, 1 },
	{ "GetAuthorizationToken", op_get_authorization_token, 1 },
	{ "PutLifecyclePolicy", sw_engine_ecr_op_put_lifecycle_policy, 1 },
	{ "GetLifecyclePolicy", sw_engine_ecr_op_get_lifecycle_policy, 1 },
	{ "PutImage", sw_engine_ecr_op_put_image, 1 },
	{ NULL, NULL, 0 },
};

const struct sw_engine_api sw_engine_ecr_api = {
	"ecr", &sw_aws_ecr_model, SW_SIGV4_JSON, ecr_ops, "InvalidParameterException", NULL, sw_engine_api_json_serve,
	sw_engine_api_json_error,
};
