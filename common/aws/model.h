#ifndef SW_AWS_MODEL_H
#define SW_AWS_MODEL_H

#include <stddef.h>

/*
 * AWS service models as static C tables: botocore's service-2.json (the contract),
 * compiled by common/aws/gen_model.py into common/aws/<service>_model.c (generated,
 * committed: building needs neither Python nor botocore). One format for every
 * reader:
 *  - the Query protocol, both directions (query.h): member wire names, flattened
 *    lists, result wrappers, error codes;
 *  - the engine's input validation of JSON requests (engine/api/shape.h): required
 *    members, types, enum values, min/max.
 *
 * Every shape reachable from an operation or an error is one entry of shapes[],
 * scalars included; members refer to their shape by its index. The tables are
 * read-only data: nothing here is freed.
 */

enum sw_aws_type {
	SW_AWS_T_STRING, SW_AWS_T_INTEGER, SW_AWS_T_LONG, SW_AWS_T_BOOLEAN, SW_AWS_T_DOUBLE,
	SW_AWS_T_TIMESTAMP, SW_AWS_T_BLOB,
	SW_AWS_T_STRUCTURE, SW_AWS_T_LIST, SW_AWS_T_MAP,
	SW_AWS_T_DOCUMENT,   /* a free-form JSON document (a structure marked "document") */
};

/* The index of no shape: an operation without input or output. */
#define SW_AWS_NO_SHAPE 0xffff

struct sw_aws_member {
	const char *name;      /* JSON name (NULL for a list element, a map key or value) */
	const char *xml_name;  /* wire name: locationName, else name; "member", "key", "value" */
	unsigned short shape;  /* index into model->shapes */
	unsigned char required;
};

struct sw_aws_shape {
	const char *name;
	unsigned char type;        /* enum sw_aws_type */
	unsigned char flattened;   /* Query: a list or map without its wrapper element */
	unsigned char has_min, has_max;
	const struct sw_aws_member *members; /* structure: its members; list: [0] the element;
						map: [0] key, [1] value */
	unsigned short nr_members;
	const char *const *enums;  /* NULL-terminated allowed values of a string, or NULL */
	long long min, max;        /* lengths (string, list, map) or values (numbers) */
};

struct sw_aws_operation {
	const char *name;
	unsigned short input, output; /* shape indexes, SW_AWS_NO_SHAPE when none */
	const char *result_wrapper;   /* Query: "DescribeTargetGroupsResult"; else NULL */
};

struct sw_aws_error {
	const char *shape;   /* "TargetGroupNotFoundException" */
	const char *code;    /* on the wire: "TargetGroupNotFound" */
	int status;          /* 400 */
	int sender;          /* 1: <Type>Sender</Type>, 0: Receiver */
};

struct sw_aws_model {
	const char *service;       /* botocore's name: "elbv2" */
	const char *api_version;   /* "2015-12-01" */
	const char *protocol;      /* "query", "json" */
	const char *signing_name;  /* the SigV4 scope's service: "elasticloadbalancing" */
	const char *target_prefix; /* JSON: X-Amz-Target's "AmazonEC2ContainerServiceV20141113"; else NULL */
	const char *json_version;  /* JSON: "1.1"; else NULL */
	const char *xml_namespace; /* Query: the answers' xmlns; else NULL */
	const struct sw_aws_shape *shapes;
	size_t nr_shapes;
	const struct sw_aws_operation *operations;
	size_t nr_operations;
	const struct sw_aws_error *errors;
	size_t nr_errors;
};

/* The operation called name, or NULL. */
const struct sw_aws_operation *sw_aws_model_operation(const struct sw_aws_model *m, const char *name);

/* Look an error up by shape name ("TargetGroupNotFoundException") or wire code. NULL if none. */
const struct sw_aws_error *sw_aws_model_error(const struct sw_aws_model *m, const char *name);

/* The shape at index i (a member's or an operation's), or NULL for SW_AWS_NO_SHAPE or out of range. */
const struct sw_aws_shape *sw_aws_model_shape(const struct sw_aws_model *m, unsigned i);

/* The input shape of operation, or NULL when there is no such operation or it takes no input. */
const struct sw_aws_shape *sw_aws_model_input(const struct sw_aws_model *m, const char *operation);

/* The models compiled in (sw_aws_elbv2_model, ...). */
#include "common/aws/models.h"

#endif
