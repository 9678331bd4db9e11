#include <stdlib.h>
#include <string.h>

#include "engine/logs/logs_api.h"
#include "engine/api/awsjson.h"
#include "common/error.h"
#include "common/banned.h"

void sw_logs_api_group_arn(struct sw_engine *e, struct sw_buf *out, const char *name, int star)
{
	sw_buf_reset(out);
	sw_engine_arn(e, out, "logs", "log-group:%s%s", name, star ? ":*" : "");
}

/* logGroupName, or logGroupIdentifier (a name or an ARN). NULL after failing the call. */
const char *sw_logs_api_group_param(struct sw_engine_call *c, struct sw_buf *tmp)
{
	const char *name = sw_engine_api_call_str(c, "logGroupName");
	const char *ident = sw_engine_api_call_str(c, "logGroupIdentifier");
	if (name && ident) {
		SW_FAIL_PARAM(c, "LogGroup name and LogGroup ARN are mutually exclusive "
			      "parameters.");
		return NULL;
	}
	if (ident) {
		const char *p = strstr(ident, ":log-group:");
		sw_buf_reset(tmp);
		if (!p) {
			sw_buf_adds(tmp, ident);
		} else {
			const char *end;
			p += strlen(":log-group:");
			end = strstr(p, ":*");
			sw_buf_add(tmp, p, end ? (size_t)(end - p) : strlen(p));
		}
		name = tmp->ptr;
	}
	if (!name) {
		SW_FAIL_PARAM(c, "Either LogGroup name or LogGroup ARN must be present.");
		return NULL;
	}
	return name;
}

int sw_logs_api_no_group(struct sw_engine_call *c)
{
	return sw_engine_api_call_fail(c, 400, "ResourceNotFoundException", "The specified log group does not exist.");
}

int sw_logs_api_no_stream(struct sw_engine_call *c)
{
	return sw_engine_api_call_fail(c, 400, "ResourceNotFoundException", "The specified log stream does not exist.");
}

int sw_logs_api_db_error(struct sw_engine_call *c)
{
	return sw_engine_api_call_fail(c, 500, "ServiceUnavailableException", "%s", sw_error_last());
}

/* nextToken for the describe calls: a decimal offset. -1 when not one of ours. */
long long sw_logs_api_offset_token(const char *t)
{
	char *end = NULL;
	long long v;
	if (!t)
		return 0;
	v = strtoll(t, &end, 10);
	return !*t || *end || v < 0 ? -1 : v;
}

static const struct sw_engine_api_op logs_ops[] = {
	{ "CreateLogGroup", sw_logs_op_create_log_group, 1 },
	{ "DescribeLogGroups", sw_logs_op_describe_log_groups, 1 },
	{ "DeleteLogGroup", sw_logs_op_delete_log_group, 1 },
	{ "CreateLogStream", sw_logs_op_create_log_stream, 1 },
	{ "DescribeLogStreams", sw_logs_op_describe_log_streams, 1 },
	{ "DeleteLogStream", sw_logs_op_delete_log_stream, 1 },
	{ "PutRetentionPolicy", sw_logs_op_put_retention_policy, 1 },
	{ "DeleteRetentionPolicy", sw_logs_op_delete_retention_policy, 1 },
	{ "PutLogEvents", sw_logs_op_put_log_events, 1 },
	{ "GetLogEvents", sw_logs_op_get_log_events, 1 },
	{ "FilterLogEvents", sw_logs_op_filter_log_events, 1 },
	{ NULL, NULL, 0 },
};

static void logs_handle(const struct sw_engine_api *api, struct sw_engine *e, const struct sw_engine_request *req,
			struct sw_engine_response *res)
{
	if (!api->ctx) {
		sw_engine_api_json_error(api, req, res, 503, "ServiceUnavailableException", "CloudWatch Logs is not running "
					 "in this engine");
		return;
	}
	sw_engine_api_json_serve(api, e, req, res);
}

struct sw_engine_api sw_logs_api = {
	"logs", &sw_aws_logs_model, SW_SIGV4_JSON, logs_ops, "InvalidParameterException", NULL, logs_handle,
	sw_engine_api_json_error,
};
