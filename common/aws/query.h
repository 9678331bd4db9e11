#ifndef SW_AWS_QUERY_H
#define SW_AWS_QUERY_H

#include <stddef.h>
#include <jansson.h>

#include "common/buf.h"

/*
 * The AWS Query protocol (ELBv2), both directions, typed by the service model the way
 * botocore's QuerySerializer / QueryParser are:
 *  - client: JSON parameters -> form body ("Action=..&Version=..&Names.member.1=.."),
 *            XML answer (libxml2) -> JSON, XML error -> code + message;
 *  - server (the embedded engine): form body -> JSON parameters, JSON result -> XML
 *            answer, code + message -> XML error.
 * JSON shapes are botocore's: member names as in the model, lists as arrays, maps as
 * objects, integers/longs as JSON integers, booleans as JSON booleans, doubles as reals,
 * timestamps and blobs as the strings on the wire (ISO 8601 / base64).
 *
 * The model tables are generated from botocore (common/aws/gen_query_model.py) and
 * committed: sw_aws_elbv2_model is the one slipway uses.
 */

enum sw_aws_type {
	SW_AWS_T_STRING, SW_AWS_T_INTEGER, SW_AWS_T_LONG, SW_AWS_T_BOOLEAN, SW_AWS_T_DOUBLE,
	SW_AWS_T_TIMESTAMP, SW_AWS_T_BLOB,
	SW_AWS_T_STRUCTURE, SW_AWS_T_LIST, SW_AWS_T_MAP,
};

/* A member's type; for STRUCTURE/LIST/MAP, shape indexes model->shapes. */
struct sw_aws_ref {
	unsigned char type;
	unsigned short shape;
};

struct sw_aws_member {
	const char *name;     /* JSON name (NULL for a list element / map key or value) */
	const char *xml_name; /* wire name: locationName, else name; "member", "key", "value" */
	struct sw_aws_ref ref;
};

struct sw_aws_shape {
	const char *name;
	unsigned char type;        /* SW_AWS_T_STRUCTURE, _LIST or _MAP */
	unsigned char flattened;
	const struct sw_aws_member *members; /* structure: its members; list: [0] the element;
						map: [0] key, [1] value */
	unsigned short nr_members;
};

struct sw_aws_operation {
	const char *name;
	struct sw_aws_ref input, output;
	const char *result_wrapper;  /* "DescribeTargetGroupsResult" */
};

struct sw_aws_error {
	const char *shape;   /* "TargetGroupNotFoundException" */
	const char *code;    /* on the wire: "TargetGroupNotFound" */
	int status;          /* 400 */
	int sender;          /* 1: <Type>Sender</Type>, 0: Receiver */
};

struct sw_aws_model {
	const char *service;
	const char *api_version;
	const char *xml_namespace;
	const struct sw_aws_shape *shapes;
	size_t nr_shapes;
	const struct sw_aws_operation *operations;
	size_t nr_operations;
	const struct sw_aws_error *errors;
	size_t nr_errors;
};

extern const struct sw_aws_model sw_aws_elbv2_model;

const struct sw_aws_operation *sw_aws_model_operation(const struct sw_aws_model *m, const char *name);
/* Look an error up by shape name ("TargetGroupNotFoundException") or wire code. NULL if none. */
const struct sw_aws_error *sw_aws_model_error(const struct sw_aws_model *m, const char *name);

/* ---- client side ---- */

/*
 * Append the form body for operation with params (a JSON object, or NULL for none):
 * "Action=<op>&Version=<api_version>&..." percent-encoded as AWS wants. Returns 0, or
 * SW_EINVAL with "<Operation>: unknown parameter 'X'" / "'X.Y' must be an integer" etc.
 */
int sw_aws_query_encode(struct sw_buf *out, const struct sw_aws_model *m, const char *operation,
			const json_t *params);

/*
 * Parse a successful answer to operation into *out (a new JSON object the caller
 * json_decref()s): the members of <OpResult>. request_id (may be NULL) gets
 * ResponseMetadata/RequestId. Returns 0 or SW_ERROR ("elbv2 answer: ...").
 */
int sw_aws_query_decode(json_t **out, const struct sw_aws_model *m, const char *operation,
			const char *xml, size_t len, struct sw_buf *request_id);

/*
 * Parse <ErrorResponse><Error><Code/><Message/></Error><RequestId/></ErrorResponse>
 * (also <Response><Errors><Error>, as EC2 writes it). Returns 0 when a code was found,
 * else SW_ERROR. Any of the bufs may be NULL.
 */
int sw_aws_query_decode_error(const char *xml, size_t len, struct sw_buf *code, struct sw_buf *message,
			      struct sw_buf *request_id);

/* ---- server side (the engine) ---- */

/*
 * Parse a form body ("Action=..&Version=..&..") into the operation name (*action, caller
 * frees) and its parameters (*params, a new JSON object typed by the input shape; caller
 * json_decref()s). Unknown parameters and badly typed values are refused: SW_EINVAL with a
 * message fit for a ValidationError; a missing or unknown Action: SW_ENOTFOUND (answer
 * InvalidAction). body is at most len bytes; the caller bounds len.
 */
int sw_aws_query_parse_params(char **action, json_t **params, const struct sw_aws_model *m,
			      const char *body, size_t len);

/* Append the XML answer for operation with result (the output shape as JSON). */
int sw_aws_query_render(struct sw_buf *out, const struct sw_aws_model *m, const char *operation,
			const json_t *result, const char *request_id);

/* Append an <ErrorResponse> (type "Sender" or "Receiver"). */
void sw_aws_query_render_error(struct sw_buf *out, const struct sw_aws_model *m, const char *type,
			       const char *code, const char *message, const char *request_id);

#endif
