#ifndef SW_ENGINE_API_AWSQUERY_H
#define SW_ENGINE_API_AWSQUERY_H

#include "engine/api/httpd.h"

/*
 * The AWS Query protocol, server side (ELBv2): a form-encoded body (or query string)
 * "Action=<Operation>&Version=..&<members>", typed by the API's model
 * (common/aws/query.h); the answer <OperationResponse> XML, errors <ErrorResponse>.
 */

/*
 * Serve a request for api (a struct sw_engine_api's handle()): parse the parameters
 * (InvalidAction for an unknown Action, ValidationError for a parameter the model does
 * not have or a badly typed value), find the operation in api->ops (InvalidAction when
 * the engine does not implement it), run it (call.h) and render its out as the model's
 * XML answer, or its error.
 */
void sw_engine_api_query_serve(const struct sw_engine_api *api, struct sw_engine *e,
			       const struct sw_engine_request *req, struct sw_engine_response *res);

/* The Query protocol's error rendering (for struct sw_engine_api.error). */
void sw_engine_api_query_error(const struct sw_engine_api *api, const struct sw_engine_request *req,
			       struct sw_engine_response *res, int status, const char *code, const char *message);

#endif
