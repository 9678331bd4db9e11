#ifndef SW_TEARDOWN_H
#define SW_TEARDOWN_H

#include <jansson.h>

#include "releaser/runenv.h"

/*
 * `slipway apps:destroy`'s cloud side: everything the releaser made for an app, found
 * by the releaser's own names (names.h, taskdef.h, route.h) and
 * the releases' records, removed through its AWS calls (sw_runenv_call):
 *   - ECS services APP-PROCESS: scaled to 0 and deleted (force);
 *   - tasks still running in the app's families (one-off runs, a release phase): stopped;
 *   - every ACTIVE task definition of the families APP-PROCESS: deregistered;
 *   - the web process's target group and the listener rules forwarding to it (ELBv2);
 *   - the ECR repository APP: its images deleted, then the repository;
 *   - the CloudWatch Logs group of the app.
 * What is already gone is fine (a second destroy after a half-done one finishes the
 * job); an operation the endpoint does not have (the engine has no ECR DeleteRepository
 * or Logs groups yet) is skipped. Run it under the releaser's app lock
 * (sw_releaser_with_app), so that no release of the app is in flight.
 * What went is appended to removed (strings). 0, or negative with one line.
 */
int sw_teardown_app(const struct sw_runenv *e, const char *app, json_t *removed);

#endif
