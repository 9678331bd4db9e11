#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "engine/api/call.h"
#include "engine/engine.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/banned.h"

void sw_engine_api_call_init(struct sw_engine_call *call, void *ctx, struct sw_engine *e,
			     const struct sw_engine_request *req, json_t *in)
{
	memset(call, 0, sizeof(*call));
	call->e = e;
	call->req = req;
	call->ctx = ctx;
	call->in = in;
	call->out = json_object();
	sw_buf_init(&call->error_message, 0);
}

void sw_engine_api_call_release(struct sw_engine_call *call)
{
	json_decref(call->out);
	sw_buf_release(&call->error_message);
	memset(call, 0, sizeof(*call));
}

const struct sw_engine_api_op *sw_engine_api_op_find(const struct sw_engine_api_op *ops, const char *name)
{
	for (; ops && ops->name; ops++)
		if (name && !strcmp(ops->name, name))
			return ops;
	return NULL;
}

int sw_engine_api_call_run(struct sw_engine_call *call, const struct sw_engine_api_op *op,
			   const char *server_error)
{
	int ret;

	call->operation = op->name;
	if (!op->unlocked)
		pthread_mutex_lock(&call->e->lock);
	ret = op->fn(call);
	if (!op->unlocked)
		pthread_mutex_unlock(&call->e->lock);
	if (ret < 0 && !call->error_type)
		sw_engine_api_call_fail(call, 500, server_error, "%s", sw_error_last());
	if (call->error_type && call->status >= 500)
		sw_log_error("%s: %s: %s", op->name, call->error_type, call->error_message.ptr);
	return call->error_type ? -1 : 0;
}

int sw_engine_api_call_fail(struct sw_engine_call *call, int status, const char *type, const char *fmt, ...)
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

json_t *sw_engine_api_call_get(struct sw_engine_call *call, const char *name)
{
	json_t *v = json_object_get(call->in, name);
	return v && !json_is_null(v) ? v : NULL;
}

const char *sw_engine_api_call_str(struct sw_engine_call *call, const char *name)
{
	return sw_json_str(call->in, name);
}

long long sw_engine_api_call_int(struct sw_engine_call *call, const char *name, long long dflt)
{
	return sw_json_int(call->in, name, dflt);
}

int sw_engine_api_call_bool(struct sw_engine_call *call, const char *name, int dflt)
{
	return sw_json_bool(call->in, name, dflt);
}

int sw_engine_api_call_has(struct sw_engine_call *call, const char *name, const char *value)
{
	json_t *list = sw_engine_api_call_get(call, name);
	size_t i;
	for (i = 0; i < json_array_size(list); i++)
		if (!strcmp(json_string_value(json_array_get(list, i)), value))
			return 1;
	return 0;
}

long long sw_engine_api_token_parse(const char *token)
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

void sw_engine_api_token_set(json_t *out, long long offset, long long page, long long total)
{
	struct sw_buf b = SW_BUF_INIT;
	if (offset + page >= total)
		return;
	sw_buf_addf(&b, "swtok-%lld", offset + page);
	json_object_set_new(out, "nextToken", json_string(b.ptr));
	sw_buf_release(&b);
}

int sw_engine_api_call_page(struct sw_engine_call *call, long long dflt, long long *offset, long long *page)
{
	*offset = sw_engine_api_token_parse(sw_engine_api_call_str(call, "nextToken"));
	*page = sw_engine_api_call_int(call, "maxResults", dflt);
	if (*offset < 0)
		return SW_FAIL_PARAM(call, "Invalid nextToken.");
	if (*page < 1 || *page > 100)
		return SW_FAIL_PARAM(call, "maxResults must be between 1 and 100.");
	return 0;
}

int sw_engine_api_page_count(long long *n, long long offset, long long page)
{
	long long i = (*n)++;
	return i >= offset && i < offset + page;
}
