#ifndef SW_ENGINE_API_SHAPE_H
#define SW_ENGINE_API_SHAPE_H

#include <stddef.h>
#include <jansson.h>

#include "common/buf.h"

/*
 * Input validation against botocore's model (the contract). The tables are generated
 * by engine/gen-shapes.py into engine/shapes_<api>.c (static, read-only data); each
 * API's dispatcher looks its operation up in its table and validates the decoded
 * JSON body before the handler runs, as the real service's front end does:
 * required members, JSON types, enum values, min/max (string/list/map lengths,
 * number ranges). Unknown members are ignored (newer clients send newer fields).
 */

enum sw_engine_shape_type {
	SW_SHAPE_STRING,
	SW_SHAPE_INTEGER,
	SW_SHAPE_LONG,
	SW_SHAPE_DOUBLE,
	SW_SHAPE_BOOLEAN,
	SW_SHAPE_TIMESTAMP,
	SW_SHAPE_BLOB,
	SW_SHAPE_LIST,
	SW_SHAPE_MAP,
	SW_SHAPE_STRUCTURE,
	SW_SHAPE_DOCUMENT,
};

struct sw_engine_shape;

struct sw_engine_member {
	const char *name;
	const struct sw_engine_shape *shape;
	int required;
};

struct sw_engine_shape {
	const char *name;
	enum sw_engine_shape_type type;
	const struct sw_engine_member *members; /* structure */
	size_t nmembers;
	const struct sw_engine_shape *item;     /* list member, map value */
	const struct sw_engine_shape *key;      /* map key */
	const char *const *enums;               /* NULL-terminated, or NULL */
	int has_min, has_max;
	long long min, max;                     /* lengths (string, list, map) or values (numbers) */
};

/* One row per operation; the table ends with { NULL, NULL }. */
struct sw_engine_op_shape {
	const char *operation;
	const struct sw_engine_shape *input;    /* NULL: the operation takes no input */
};

/* The generated tables. */
extern const struct sw_engine_op_shape sw_engine_shapes_ecs[];
extern const struct sw_engine_op_shape sw_engine_shapes_ecr[];

/* The input shape of operation in table, or NULL. */
const struct sw_engine_shape *sw_engine_shape_find(const struct sw_engine_op_shape *table,
						   const char *operation);

/*
 * Check value (a decoded JSON document; NULL counts as an empty object) against
 * shape. Returns 0, or SW_EINVAL with why filled in AWS's wording:
 * "1 validation error detected: Value null at 'serviceName' failed to satisfy
 * constraint: Member must not be null". why is the caller's.
 */
int sw_engine_shape_validate(const struct sw_engine_shape *shape, json_t *value, struct sw_buf *why);

#endif
