#ifndef SW_ENGINE_API_SHAPE_H
#define SW_ENGINE_API_SHAPE_H

#include <jansson.h>

#include "common/aws/model.h"
#include "common/buf.h"

/*
 * Input validation against botocore's model (the contract), as the real service's
 * front end does it: each API's dispatcher (awsjson.h) looks its operation's input
 * shape up in the API's model (common/aws/model.h, generated from botocore) and
 * validates the decoded JSON body before the handler runs: required members, JSON
 * types, enum values, min/max (string/list/map lengths, number ranges). Unknown
 * members are ignored (newer clients send newer fields).
 */

/*
 * Check value (a decoded JSON document; NULL counts as an empty object) against shape,
 * one of m's shapes (NULL: nothing to check). Returns 0, or SW_EINVAL with why filled in
 * AWS's wording: "1 validation error detected: Value null at 'serviceName' failed to
 * satisfy constraint: Member must not be null". why is the caller's.
 */
int sw_engine_api_shape_validate(const struct sw_aws_model *m, const struct sw_aws_shape *shape, json_t *value,
				 struct sw_buf *why);

#endif
