#ifndef SW_ENGINE_API_CALL_H
#define SW_ENGINE_API_CALL_H

#include <jansson.h>

#include "common/buf.h"

/*
 * One operation call, whatever the protocol: the decoded request document in, the
 * response document out, or an AWS error. The protocol's dispatcher (awsjson.h,
 * awsquery.h) makes the call, runs the operation's fn (with the engine lock held
 * unless the operation says otherwise) and renders what it left.
 */

struct sw_engine;
struct sw_engine_request;

struct sw_engine_call {
	struct sw_engine *e;
	const struct sw_engine_request *req;
	void *ctx;                   /* the API's own state (struct sw_engine_api.ctx) */
	const char *operation;
	json_t *in;                  /* the request document (an object; borrowed) */
	json_t *out;                 /* the response document (an empty object to fill) */
	int status;                  /* set by sw_engine_api_call_fail */
	const char *error_type;
	struct sw_buf error_message;
};

typedef int (*sw_engine_api_fn)(struct sw_engine_call *call);

/* One row of an API's operation table; the table ends with { NULL }. */
struct sw_engine_api_op {
	const char *name;            /* "CreateService" */
	sw_engine_api_fn fn;
	int unlocked;                /* 0: fn runs with engine->lock held (most); 1: without */
};

/*
 * A call of api on engine e for request req with its decoded input in (borrowed):
 * out an empty object, no error yet. Caller-owned: _init / _release.
 */
void sw_engine_api_call_init(struct sw_engine_call *call, void *ctx, struct sw_engine *e,
			     const struct sw_engine_request *req, json_t *in);
void sw_engine_api_call_release(struct sw_engine_call *call);

/* The operation called name in ops, or NULL. */
const struct sw_engine_api_op *sw_engine_api_op_find(const struct sw_engine_api_op *ops, const char *name);

/*
 * Run op on call (taking the engine lock unless op->unlocked). Returns 0, or -1 with
 * the call failed: a fn that fails without an AWS error is a 500 (server_error, with
 * the error slot's message), logged.
 */
int sw_engine_api_call_run(struct sw_engine_call *call, const struct sw_engine_api_op *op,
			   const char *server_error);

/*
 * Fail the call with an AWS error: status 400 for client errors, 500 for server
 * errors. Returns -1 so a handler can `return sw_engine_api_call_fail(...)`.
 */
int sw_engine_api_call_fail(struct sw_engine_call *call, int status, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Shorthands for ECS's (and ECR's) common ones. */
#define SW_FAIL_PARAM(call, ...) sw_engine_api_call_fail((call), 400, "InvalidParameterException", __VA_ARGS__)
#define SW_FAIL_CLIENT(call, ...) sw_engine_api_call_fail((call), 400, "ClientException", __VA_ARGS__)
#define SW_FAIL_SERVER(call, ...) sw_engine_api_call_fail((call), 500, "ServerException", __VA_ARGS__)

/* Member access on call->in (NULL / 0 / dflt when absent or null). */
json_t *sw_engine_api_call_get(struct sw_engine_call *call, const char *name);
const char *sw_engine_api_call_str(struct sw_engine_call *call, const char *name);
long long sw_engine_api_call_int(struct sw_engine_call *call, const char *name, long long dflt);
int sw_engine_api_call_bool(struct sw_engine_call *call, const char *name, int dflt);
/* 1 when call->in's array of strings name holds value ("include": "TAGS"), else 0. */
int sw_engine_api_call_has(struct sw_engine_call *call, const char *name, const char *value);

/*
 * Pagination tokens: an opaque string holding an offset into a sorted list.
 * Returns the offset (0 for NULL), or -1 when token is not one of ours.
 */
long long sw_engine_api_token_parse(const char *token);
/* Set out["nextToken"] when more items follow offset + page. */
void sw_engine_api_token_set(json_t *out, long long offset, long long page, long long total);

/*
 * An ECS List call's page: *offset from nextToken, *page from maxResults (dflt when
 * absent). 0, or -1 with the call failed: InvalidParameterException "Invalid
 * nextToken." or "maxResults must be between 1 and 100." (in that order).
 */
int sw_engine_api_call_page(struct sw_engine_call *call, long long dflt, long long *offset, long long *page);

/* Count one more item of a listing in *n: 1 when it falls in the page [offset, offset + page). */
int sw_engine_api_page_count(long long *n, long long offset, long long page);

#endif
