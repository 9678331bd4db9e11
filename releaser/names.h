#ifndef SW_NAMES_H
#define SW_NAMES_H

#include <jansson.h>

#include "common/buf.h"
#include "releaser/runenv.h"

/*
 * What slipway calls an app's things on AWS, and how it tells they are its own:
 *   ECS service and task family  APP-PROCESS (taskdef.h: sw_taskdef_family)
 *   CloudWatch Logs group        <SLIPWAY_LOG_GROUP_PREFIX>APP
 *   ownership                    the "slipway:app" tag on services and task definitions
 * (the target group is route.h's). Names collide ("a" + "b-web" and "a-b" + "web" are
 * both "a-b-web"), and a shared cluster may hold services slipway never made: what does
 * not carry the app's tag is never touched.
 */

/* "APP-PROCESS", appended to out. */
void sw_names_service(const char *app, const char *process, struct sw_buf *out);

/* "<prefix>APP" (the settings' log group prefix), appended to out. */
void sw_names_log_group(const struct sw_runenv *e, const char *app, struct sw_buf *out);

/*
 * The slipway:app tag's value in the "tags" array of svc (an element of DescribeServices'
 * "services" asked with include ["TAGS"], or any ECS answer with one, e.g.
 * DescribeTaskDefinition with include TAGS), borrowed from it; NULL when untagged.
 */
const char *sw_names_owner(const json_t *svc);

/*
 * 0 when svc's slipway:app tag is app; else SW_EEXISTS with one line in the error slot
 * ("PROCESS: the ECS service NAME belongs to app OTHER (slipway:app tag), not APP:
 * rename the process type", or "... is not managed by slipway ...").
 */
int sw_names_owned(const json_t *svc, const char *app, const char *process);

#endif
