#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "engine/api/awsjson.h"
#include "common/error.h"
#include "common/log.h"
#include "common/banned.h"

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

void sw_engine_json_error(const struct sw_engine_api *api, const struct sw_engine_request *req,
			  struct sw_engine_response *res, int status, const char *code, const char *message)
{
	json_error(res, status, code, message, "1.1");
}

int sw_engine_fail(struct sw_engine_call *call, int status, const char *type, const char *fmt, ...)
{
	va_list ap;
	call->status = status;
	call->error_type = type;
	sw_buf_reset(&call->error_message);
	va_start(ap, fmt);
	sw_buf_vaddf(&call->error_message, fmt, ap);
	va_end(ap);
	return -1;
}

json_t *sw_engine_in(struct sw_engine_call *call, const char *name)
{
	json_t *v = json_object_get(call->in, name);
	return v && !json_is_null(v) ? v : NULL;
}

const char *sw_engine_in_str(struct sw_engine_call *call, const char *name)
{
	return json_string_value(sw_engine_in(call, name));
}

long long sw_engine_in_int(struct sw_engine_call *call, const char *name, long long dflt)
{
	json_t *v = sw_engine_in(call, name);
	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

int sw_engine_in_bool(struct sw_engine_call *call, const char *name, int dflt)
{
	json_t *v = sw_engine_in(call, name);
	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

int sw_engine_in_has(struct sw_engine_call *call, const char *name, const char *value)
{
	json_t *list = sw_engine_in(call, name);
	size_t i;
	for (i = 0; i < json_array_size(list); i++)
		if (!strcmp(json_string_value(json_array_get(list, i)), value))
			return 1;
	return 0;
}

long long sw_engine_token_parse(const char *token)
{
	char *end = NULL;
	long long x;
	if (!token || !*token)
		return 0;
	if (strncmp(token, "swtok-", 6))
		return -1;
	x = strtoll(token + 6, &end, 10);
	if (end == token + 6 || *end || x < 0)
		return -1;
	return x;
}

void sw_engine_token_set(json_t *out, long long offset, long long page, long long total)
{
	struct sw_buf b = SW_BUF_INIT;
	if (offset + page >= total)
		return;
	sw_buf_addf(&b, "swtok-%lld", offset + page);
	json_object_set_new(out, "nextToken", json_string(b.ptr));
	sw_buf_release(&b);
}

int sw_engine_page(struct sw_engine_call *call, long long dflt, long long *offset, long long *page)
{
	*offset = sw_engine_token_parse(sw_engine_in_str(call, "nextToken"));
	*page = sw_engine_in_int(call, "maxResults", dflt);
	if (*offset < 0)
		return SW_FAIL_PARAM(call, "Invalid nextToken.");
	if (*page < 1 || *page > 100)
		return SW_FAIL_PARAM(call, "maxResults must be between 1 and 100.");
	return 0;
}

json_t *sw_engine_json_time(double t)
{
	/* milliseconds, as AWS sends them */
	return json_real(floor(t * 1000.0 + 0.5) / 1000.0);
}

void sw_engine_json_serve(struct sw_engine *e, const struct sw_engine_request *req,
			  struct sw_engine_response *res, const struct sw_aws_model *model,
			  const struct sw_engine_json_op *ops, const char *validation_error)
{
	const char *target_prefix = model->target_prefix;
	const char *json_version = model->json_version;
	struct sw_engine_call call = { 0 };
	const struct sw_engine_json_op *op = NULL;
	const struct sw_aws_shape *shape;
	struct sw_buf why = SW_BUF_INIT;
	json_error_t jerr;
	json_t *in = NULL;
	const char *name;
	size_t plen = strlen(target_prefix);
	int ret;

	sw_buf_init(&call.error_message, 0);
	if (!req->target || strncmp(req->target, target_prefix, plen) || req->target[plen] != '.') {
		json_error(res, 400, "UnknownOperationException", NULL, json_version);
		goto cleanup;
	}
	name = req->target + plen + 1;
	for (op = ops; op->name; op++)
		if (!strcmp(op->name, name))
			break;
	if (!op->name) {
		json_error(res, 400, "UnknownOperationException", NULL, json_version);
		goto cleanup;
	}
	if (strcmp(req->method, "POST")) {
		json_error(res, 400, "SerializationException", "Only POST is supported", json_version);
		goto cleanup;
	}
	if (req->body_len) {
		in = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
		if (!in) {
			json_error(res, 400, "SerializationException", jerr.text, json_version);
			goto cleanup;
		}
		if (!json_is_object(in)) {
			json_error(res, 400, "SerializationException",
				   "Start of structure or map found where not expected", json_version);
			goto cleanup;
		}
	} else {
		in = json_object();
	}
	shape = sw_aws_model_input(model, op->name);
	if (sw_engine_shape_validate(model, shape, in, &why) < 0) {
		json_error(res, 400, validation_error, why.ptr, json_version);
		goto cleanup;
	}

	call.e = e;
	call.req = req;
	call.operation = op->name;
	call.in = in;
	call.out = json_object();
	if (!op->unlocked)
		pthread_mutex_lock(&e->lock);
	ret = op->fn(&call);
	if (!op->unlocked)
		pthread_mutex_unlock(&e->lock);
	if (ret < 0) {
		if (!call.error_type)
			sw_engine_fail(&call, 500, "ServerException", "%s", sw_error_last());
		if (call.status >= 500)
			sw_log_error("%s: %s: %s", op->name, call.error_type, call.error_message.ptr);
		json_error(res, call.status, call.error_type, call.error_message.ptr, json_version);
	} else {
		json_body(res, 200, call.out, json_version);
	}

cleanup:
	json_decref(call.out);
	json_decref(in);
	sw_buf_release(&call.error_message);
	sw_buf_release(&why);
}
