#ifndef SW_ENGINE_RUN_PULL_H
#define SW_ENGINE_RUN_PULL_H

#include "common/buf.h"
#include "engine/engine.h"

/*
 * Images for tasks: used from the local Docker engine when present ("prefer-cached")
 * and pulled otherwise, with ECR's credentials (user AWS, the registry password,
 * engine/ecr/distribution.h) when the image lives in the local registry. Called by the
 * workers without the engine lock.
 */

/*
 * Make image present in Docker; digest (the caller's) gets its repository digest
 * ("sha256:..."), or stays empty when Docker knows none. 0, or negative with Docker's
 * (or the registry's) message, e.g. "manifest unknown". A registry that cannot be
 * reached (refused, reset, timed out, 5xx: a registry restarting) is asked again, with
 * backoff, for up to 30 s, as ECS's agent retries a pull; Docker not answering is not
 * retried here (SW_EUNAVAIL: runtime.h holds the task).
 */
int sw_run_pull_image(struct sw_engine *e, const char *image, struct sw_buf *digest);

#endif
