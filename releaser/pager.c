#include <string.h>

#include "releaser/pager.h"
#include "common/error.h"
#include "common/banned.h"

int sw_pager_call(const struct sw_runenv *e, const char *service, const char *op, const json_t *req, sw_pager_fn fn,
		  void *ctx, struct sw_buf *code, int *throttled)
{
	const int elbv2 = !strcmp(service, "elbv2");
	const char *in = elbv2 ? "Marker" : "nextToken", *out = elbv2 ? "NextMarker" : "nextToken";
	struct sw_buf token = SW_BUF_INIT;
	int pages, ret = 0;

	for (pages = 0; pages < SW_PAGER_MAX; pages++) {
		json_t *page = req ? json_deep_copy(req) : json_object(), *resp = NULL;
		const char *next;
		if (token.len)
			json_object_set_new(page, in, json_string(token.ptr));
		ret = sw_runenv_call(e, service, op, page, &resp, code, throttled);
		json_decref(page);
		if (ret < 0)
			break;
		ret = fn(ctx, resp);
		next = json_string_value(json_object_get(resp, out));
		if (ret || !next || !*next || !strcmp(next, token.ptr)) {
			json_decref(resp);
			break;
		}
		sw_buf_reset(&token);
		sw_buf_adds(&token, next);
		json_decref(resp);
	}
	if (pages == SW_PAGER_MAX)
		ret = sw_error_code(SW_ETOOBIG, "%s %s: still more after %d pages", service, op, SW_PAGER_MAX);
	sw_buf_release(&token);
	return ret;
}

struct collect {
	const char *key;
	json_t *out;
};

static int collect_page(void *ctx, const json_t *page)
{
	struct collect *c = ctx;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(page, c->key), i, v)
		if (json_is_string(v) || json_is_object(v))
			json_array_append(c->out, v);
	return 0;
}

int sw_pager_collect_call(const struct sw_runenv *e, const char *service, const char *op, const json_t *req,
			  const char *key, json_t *out, struct sw_buf *code, int *throttled)
{
	struct collect c = { key, out };
	return sw_pager_call(e, service, op, req, collect_page, &c, code, throttled);
}

int sw_pager_batch_call(const struct sw_runenv *e, const char *service, const char *op, const json_t *req,
			const char *key, const json_t *items, size_t batch, const char *out_key, json_t *out,
			struct sw_buf *code, int *throttled)
{
	size_t b, i;
	int ret = 0;

	for (b = 0; b < json_array_size(items) && ret == 0; b += batch) {
		json_t *page = req ? json_deep_copy(req) : json_object(), *list = json_array(), *resp = NULL;
		for (i = b; i < json_array_size(items) && i < b + batch; i++)
			json_array_append(list, json_array_get(items, i));
		json_object_set_new(page, key, list);
		if ((ret = sw_runenv_call(e, service, op, page, &resp, code, throttled)) == 0)
			json_array_extend(out, json_object_get(resp, out_key));
		json_decref(page);
		json_decref(resp);
	}
	return ret;
}
