#ifndef SW_ENGINE_API_HTTPD_H
#define SW_ENGINE_API_HTTPD_H

#include <stddef.h>

#include "common/aws/model.h"
#include "common/aws/sigv4.h"
#include "common/buf.h"
#include "common/strvec.h"
#include "engine/engine.h"
#include "engine/api/call.h"

/*
 * The engine's HTTP front end (libmicrohttpd, a small thread pool on epoll), and how
 * an AWS API plugs into it.
 *
 * An API is a struct sw_engine_api listed in main.c: its botocore model (signing name,
 * protocol, X-Amz-Target prefix, shapes), its operation table and its handler. For each
 * request the server bounds the body (cfg.max_body, 413 past it), picks the API by
 * X-Amz-Target prefix (JSON 1.0/1.1 APIs: ECS, ECR, CloudWatch Logs) or, for a request
 * without X-Amz-Target (Query APIs: ELBv2, form-encoded Action=...), by the service in
 * the SigV4 credential scope; checks the signature (access.h) and the optional
 * throttle (throttle.h), then calls handle(), and tags the response with
 * x-amzn-RequestId. Errors the server itself raises go through the API's error() so
 * they come out in its protocol (JSON {"__type"} or Query XML <ErrorResponse>).
 *
 * Adding an API: define a struct sw_engine_api in its room and add it to the list in
 * main.c; its handle() is sw_engine_api_json_serve (awsjson.h) or
 * sw_engine_api_query_serve (awsquery.h), or a function that ends in one of them.
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
	const char *name;                   /* for logs: "ecs" */
	const struct sw_aws_model *model;   /* signing name, X-Amz-Target prefix, input shapes */
	enum sw_sigv4_protocol protocol;    /* how its errors and signatures are worded */
	const struct sw_engine_api_op *ops; /* ends with { NULL } */
	const char *validation_error;       /* the error code of a request its model refuses */
	void *ctx;                          /* the API's own state (call->ctx), or NULL */
	void (*handle)(const struct sw_engine_api *api, struct sw_engine *e,
		       const struct sw_engine_request *req, struct sw_engine_response *res);
	/* Render an error (auth, throttle, protocol) into res in this API's protocol. */
	void (*error)(const struct sw_engine_api *api, const struct sw_engine_request *req,
		      struct sw_engine_response *res, int status, const char *code, const char *message);
};

struct sw_engine_api_access;
struct sw_engine_api_httpd;

/*
 * Listen on cfg.listen:cfg.port and serve apis (a NULL-terminated list, borrowed
 * for the server's lifetime). access is borrowed too. *out is the caller's, stopped and
 * freed with sw_engine_api_httpd_stop().
 */
int sw_engine_api_httpd_start(struct sw_engine_api_httpd **out, struct sw_engine *e,
			      const struct sw_engine_api *const *apis, const struct sw_engine_api_access *access);
void sw_engine_api_httpd_stop(struct sw_engine_api_httpd *s);

#endif
