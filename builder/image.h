#ifndef SW_IMAGE_H
#define SW_IMAGE_H

#include "builder/build.h"
#include "common/http.h"

/*
 * Docker Engine API 1.41 calls of a build (over DOCKER_HOST, common/docker.h):
 * POST /build with the context streamed in, POST /images/{name}/push. Both answer
 * with JSON lines (Docker's jsonmessage stream), handled here line by line:
 *  - "stream" text goes to report() one line at a time, as Docker wrote it;
 *  - "status" lines without progress (e.g. "Pulling from ...") go to report()
 *    during a build; push progress is not relayed;
 *  - "error"/"errorDetail" ends the call with that message as the one-line reason;
 *  - "aux" carries the built image id / the pushed digest.
 * Every response line is bounded (1 MiB; longer ones are cut).
 */

struct sw_image_build_opts {
	const char *tag;              /* name:tag given to the built image */
	const char *dockerfile;       /* its name in the context ("dockerfile"), or NULL: Docker's default */
	sw_http_read_fn read;         /* the build context (tar), pulled as curl sends it */
	void *read_ctx;
	sw_build_report_fn report;
	void *report_ctx;
	const struct sw_cancel *cancel;
};

/*
 * Build. 0 with *image_id ("sha256:...", the caller frees; may be NULL if Docker did
 * not say), or negative with one line: "build failed: The command '/bin/sh -c false'
 * returned a non-zero code: 1" (SW_ERROR), "cannot reach Docker at /var/run/docker.sock"
 * (SW_EUNAVAIL), "cancelled" (SW_ECANCEL). A full disk (Docker's error, or a line of the
 * build's output, says "no space left on device") reads "build failed: out of disk space:
 * <Docker's error> (<that output line>)". When read() fails, its error is kept (the
 * caller's context error) and SW_ECANCEL "transfer aborted" is what comes back here:
 * the caller knows which of its own reads failed.
 */
int sw_image_build(const struct sw_image_build_opts *opts, char **image_id);

/*
 * Push name:tag (name includes the registry host) with the X-Registry-Auth value
 * auth. 0 with *digest ("sha256:...", caller frees), or negative with one line:
 * "push failed: ...", "cannot reach Docker at ...", "cancelled".
 */
int sw_image_push(const char *name, const char *tag, const char *auth, const struct sw_cancel *cancel,
		  sw_build_report_fn report, void *report_ctx, char **digest);

/* Where DOCKER_HOST points, for messages ("/var/run/docker.sock", "tcp://h:2375"). */
const char *sw_image_docker_where(void);

#endif
