#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/api/awsjson.h"
#include "engine/api/shape.h"
#include "common/banned.h"

static const char *json_version(const struct sw_engine_api *api)
{
	return api->model->json_version ? api->model->json_version : "1.1";
}

static void json_body(struct sw_engine_response *res, int status, json_t *doc, const char *version)
{
	char *text = json_dumps(doc, JSON_COMPACT);
	res->status = status;
	res->content_type = !strcmp(version, "1.0") ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1";
	sw_buf_reset(&res->body);
	sw_buf_adds(&res->body, text ? text : "{}");
	free(text);
}

static void json_error(struct sw_engine_response *res, int status, const char *code, const char *message,
		       const char *version)
{
	json_t *doc = json_pack("{s:s, s:s}", "__type", code, "message", message ? message : "");
	json_body(res, status, doc, version);
	sw_strvec_pushf(&res->headers, "x-amzn-ErrorType: %s", code);
	json_decref(doc);
}

void sw_engine_api_json_error(const struct sw_engine_api *api, const struct sw_engine_request *req,
			      struct sw_engine_response *res, int status, const char *code, const char *message)
{
	json_error(res, status, code, message, "1.1");
}

json_t *sw_engine_api_json_time(double t)
{
	/* milliseconds, as AWS sends them */
	return json_real(floor(t * 1000.0 + 0.5) / 1000.0);
}

/* The operation X-Amz-Target names, or NULL. */
static const struct sw_engine_api_op *target_op(const struct sw_engine_api *api, const char *target)
{
	const char *prefix = api->model->target_prefix;
	size_t plen = strlen(prefix);

	if (!target || strncmp(target, prefix, plen) || target[plen] != '.')
		return NULL;
	return sw_engine_api_op_find(api->ops, target + plen + 1);
}

/* The request body as a JSON object (an empty one for no body); NULL with why set. */
static json_t *decode_body(const struct sw_engine_request *req, struct sw_buf *why)
{
	json_error_t jerr;
	json_t *in;

	if (!req->body_len)
		return json_object();
	in = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!in) {
		sw_buf_adds(why, jerr.text);
		return NULL;
	}
	if (!json_is_object(in)) {
		json_decref(in);
		sw_buf_adds(why, "Start of structure or map found where not expected");
		return NULL;
	}
	return in;
}

void sw_engine_api_json_serve(const struct sw_engine_api *api, struct sw_engine *e,
			      const struct sw_engine_request *req, struct sw_engine_response *res)
{
	const struct sw_engine_api_op *op = target_op(api, req->target);
	const char *version = json_version(api);
	struct sw_buf why = SW_BUF_INIT;
	struct sw_engine_call call;
	json_t *in = NULL;

	if (!op) {
		json_error(res, 400, "UnknownOperationException", NULL, version);
		goto cleanup;
	}
	if (strcmp(req->method, "POST")) {
		json_error(res, 400, "SerializationException", "Only POST is supported", version);
		goto cleanup;
	}
	if (!(in = decode_body(req, &why))) {
		json_error(res, 400, "SerializationException", why.ptr, version);
		goto cleanup;
	}
	if (sw_engine_api_shape_validate(api->model, sw_aws_model_input(api->model, op->name), in, &why) < 0) {
		json_error(res, 400, api->validation_error, why.ptr, version);
		goto cleanup;
	}
	sw_engine_api_call_init(&call, api->ctx, e, req, in);
	if (sw_engine_api_call_run(&call, op, "ServerException") < 0)
		json_error(res, call.status, call.error_type, call.error_message.ptr, version);
	else
		json_body(res, 200, call.out, version);
	sw_engine_api_call_release(&call);

cleanup:
	json_decref(in);
	sw_buf_release(&why);
}
