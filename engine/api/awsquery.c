#include <stdlib.h>
#include <string.h>

#include "engine/api/awsquery.h"
#include "common/aws/query.h"
#include "common/error.h"
#include "common/log.h"
#include "common/banned.h"

void sw_engine_api_query_error(const struct sw_engine_api *api, const struct sw_engine_request *req,
			       struct sw_engine_response *res, int status, const char *code, const char *message)
{
	res->status = status;
	res->content_type = "text/xml";
	sw_buf_reset(&res->body);
	sw_aws_query_render_error(&res->body, api->model, status >= 500 ? "Receiver" : "Sender", code, message,
				  req->request_id);
}

void sw_engine_api_query_serve(const struct sw_engine_api *api, struct sw_engine *e,
			       const struct sw_engine_request *req, struct sw_engine_response *res)
{
	struct sw_engine_call call;
	const struct sw_engine_api_op *op;
	char *action = NULL;
	json_t *params = NULL;
	const char *body = req->body;
	size_t len = req->body_len;
	int rc;

	sw_engine_api_call_init(&call, api->ctx, e, req, NULL);
	if (!len && req->query && *req->query) {
		body = req->query;
		len = strlen(req->query);
	}
	rc = sw_aws_query_parse_params(&action, &params, api->model, body, len);
	if (rc < 0) {
		sw_engine_api_query_error(api, req, res, 400, rc == SW_ENOTFOUND ? "InvalidAction" : "ValidationError",
					  sw_error_last());
		goto cleanup;
	}
	op = sw_engine_api_op_find(api->ops, action);
	if (!op) {
		sw_engine_api_query_error(api, req, res, 400, "InvalidAction",
					  "slipway-engine does not implement this action");
		goto cleanup;
	}
	call.in = params;
	if (sw_engine_api_call_run(&call, op, "InternalFailure") < 0) {
		sw_engine_api_query_error(api, req, res, call.status, call.error_type, call.error_message.ptr);
		goto cleanup;
	}
	res->status = 200;
	res->content_type = "text/xml";
	if (sw_aws_query_render(&res->body, api->model, action, call.out, req->request_id) < 0) {
		sw_log_error("%s: %s", api->name, sw_error_last());
		sw_engine_api_query_error(api, req, res, 500, "InternalFailure", sw_error_last());
	}

cleanup:
	sw_engine_api_call_release(&call);
	json_decref(params);
	free(action);
}
