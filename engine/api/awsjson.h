#ifndef SW_ENGINE_API_AWSJSON_H
#define SW_ENGINE_API_AWSJSON_H

#include <jansson.h>

#include "engine/api/httpd.h"

/*
 * The AWS JSON 1.0/1.1 protocol (ECS, ECR, CloudWatch Logs): POST of a JSON object,
 * the operation in X-Amz-Target ("<target prefix>.<Operation>"), the answer a JSON
 * object, errors {"__type", "message"} with x-amzn-ErrorType.
 */

/*
 * Serve a request for api (a struct sw_engine_api's handle()): decode the body (a JSON
 * object, or empty), find the operation in api->ops (UnknownOperationException),
 * validate it against its input shape in api->model (validation failures answer
 * api->validation_error, 400), run it (call.h) and write the response (200 with its
 * out, or its error).
 */
void sw_engine_api_json_serve(const struct sw_engine_api *api, struct sw_engine *e,
			      const struct sw_engine_request *req, struct sw_engine_response *res);

/* The JSON protocols' error rendering (for struct sw_engine_api.error). */
void sw_engine_api_json_error(const struct sw_engine_api *api, const struct sw_engine_request *req,
			      struct sw_engine_response *res, int status, const char *code, const char *message);

/* A timestamp as the JSON protocols send it: seconds since the epoch (new reference). */
json_t *sw_engine_api_json_time(double t);

#endif
