#ifndef SW_ENGINE_API_AWSJSON_H
#define SW_ENGINE_API_AWSJSON_H

#include <stddef.h>
#include <jansson.h>

#include "common/aws/sigv4.h"
#include "common/buf.h"
#include "common/strvec.h"
#include "engine/engine.h"
#include "engine/api/shape.h"

/*
 * How an AWS API plugs into the engine's HTTP server (server.h), and the JSON 1.1
 * protocol most of them speak.
 *
 * An API is a struct sw_engine_api listed in main.c. The server picks it for a request
 * by X-Amz-Target prefix (JSON 1.0/1.1 APIs: ECS, ECR, CloudWatch Logs), or, for a
 * request without X-Amz-Target (Query APIs: ELBv2, form-encoded Action=...), by the
 * service name in the SigV4 credential scope. The server checks the signature (against
 * the API's signing name and protocol) and the optional throttle first, then calls
 * handle(). Errors the server itself raises go through the API's error() so they come
 * out in its protocol (JSON {"__type"} or Query XML <ErrorResponse>).
 *
 * Adding an API (issue 5: elbv2.c, logs.c): define a struct sw_engine_api in its own
 * file and add it to the list in main.c. A JSON API's handle() is usually one call
 * to sw_engine_json_serve() with its operation table.
 */

struct sw_engine_request {
	const char *method;
	const char *path;            /* as received, %-decoded by the HTTP library */
	const char *query;           /* raw query string without '?', or "" */
	const struct sw_sigv4_header *headers;
	size_t nr_headers;
	const char *target;          /* X-Amz-Target or NULL */
	const char *content_type;    /* or NULL */
	const char *body;            /* NUL-terminated, body_len bytes */
	size_t body_len;
	const char *request_id;      /* a UUID, also sent back as x-amzn-RequestId */
	const char *access_key_id;   /* the verified signer */
};

struct sw_engine_response {
	int status;
	const char *content_type;    /* static string */
	struct sw_buf body;
	struct sw_strvec headers;    /* extra "Name: value" lines */
};

struct sw_engine_api {
	const char *name;            /* for logs: "ecs" */
	const char *signing_name;    /* SigV4 scope service: "ecs", "ecr", "elasticloadbalancing", "logs" */
	const char *target_prefix;   /* "AmazonEC2ContainerServiceV20141113"; NULL for a Query API */
	enum sw_sigv4_protocol protocol;
	void *ctx;                   /* the API's own state, or NULL */
	void (*handle)(const struct sw_engine_api *api, struct sw_engine *e,
		       const struct sw_engine_request *req, struct sw_engine_response *res);
	/* Render an error (auth, throttle, protocol) into res in this API's protocol. */
	void (*error)(const struct sw_engine_api *api, const struct sw_engine_request *req,
		      struct sw_engine_response *res, int status, const char *code, const char *message);
};

/* ---- JSON 1.1 --------------------------------------------------------------------- */

/* One JSON operation call: the handler reads in and fills out, or fails. */
struct sw_engine_call {
	struct sw_engine *e;
	const struct sw_engine_request *req;
	const char *operation;
	json_t *in;                  /* the request document (an object; borrowed) */
	json_t *out;                 /* the response document (an empty object to fill) */
	int status;                  /* set by sw_engine_fail */
	const char *error_type;
	struct sw_buf error_message;
};

typedef int (*sw_engine_json_fn)(struct sw_engine_call *call);

struct sw_engine_json_op {
	const char *name;            /* "CreateService" */
	sw_engine_json_fn fn;
	int unlocked;                /* 0: fn runs with engine->lock held (most); 1: without */
};

/*
 * Serve a JSON 1.0/1.1 request of model's service (its X-Amz-Target prefix and JSON
 * version): decode the body (a JSON object, or empty), find the operation in ops
 * (UnknownOperationException), validate it against its input shape in model
 * (validation failures answer validation_error, 400), run its fn and write the
 * response (200 with out, or the error fn set).
 */
void sw_engine_json_serve(struct sw_engine *e, const struct sw_engine_request *req,
			  struct sw_engine_response *res, const struct sw_aws_model *model,
			  const struct sw_engine_json_op *ops, const char *validation_error);

/* The JSON protocols' error rendering (for struct sw_engine_api.error). */
void sw_engine_json_error(const struct sw_engine_api *api, const struct sw_engine_request *req,
			  struct sw_engine_response *res, int status, const char *code, const char *message);

/*
 * Fail the call with an AWS error: status 400 for client errors, 500 for
 * ServerException. Returns -1 so a handler can `return sw_engine_fail(...)`.
 */
int sw_engine_fail(struct sw_engine_call *call, int status, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Shorthands for the common ones. */
#define SW_FAIL_PARAM(call, ...) sw_engine_fail((call), 400, "InvalidParameterException", __VA_ARGS__)
#define SW_FAIL_CLIENT(call, ...) sw_engine_fail((call), 400, "ClientException", __VA_ARGS__)
#define SW_FAIL_SERVER(call, ...) sw_engine_fail((call), 500, "ServerException", __VA_ARGS__)

/* Member access on call->in (NULL / 0 / dflt when absent). */
const char *sw_engine_in_str(struct sw_engine_call *call, const char *name);
long long sw_engine_in_int(struct sw_engine_call *call, const char *name, long long dflt);
int sw_engine_in_bool(struct sw_engine_call *call, const char *name, int dflt);
json_t *sw_engine_in(struct sw_engine_call *call, const char *name);
/* 1 when call->in's array of strings name holds value ("include": "TAGS"), else 0. */
int sw_engine_in_has(struct sw_engine_call *call, const char *name, const char *value);

/*
 * Pagination tokens: an opaque string holding an offset into a sorted list.
 * Returns the offset (0 for NULL), or -1 when token is not one of ours.
 */
long long sw_engine_token_parse(const char *token);
/* Set out["nextToken"] when more items follow offset + page. */
void sw_engine_token_set(json_t *out, long long offset, long long page, long long total);
/*
 * An ECS List call's page: *offset from nextToken, *page from maxResults (dflt when
 * absent). 0, or -1 with the call failed: InvalidParameterException "Invalid
 * nextToken." or "maxResults must be between 1 and 100." (in that order).
 */
int sw_engine_page(struct sw_engine_call *call, long long dflt, long long *offset, long long *page);

/* A timestamp as the JSON protocols send it: seconds since the epoch. */
json_t *sw_engine_json_time(double t);

#endif
