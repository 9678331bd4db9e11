#ifndef SW_DOCTOR_H
#define SW_DOCTOR_H

#include <jansson.h>

#include "releaser/runenv.h"

/*
 * `slipway doctor`: read-only checks of what the releaser runs with, one per thing an
 * operator configures: credentials, region, the ECS cluster (ACTIVE, with instances),
 * the load balancer's listener, ECR (repositories, a registry login), CloudWatch Logs,
 * Docker. Returns {"checks": [{"check", "ok", "detail", "fix" (when not ok)}...]}, a new
 * reference.
 */
json_t *sw_doctor_run(const struct sw_runenv *e);

#endif
