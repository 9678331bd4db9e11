#ifndef SW_BUILD_H
#define SW_BUILD_H

#include <stddef.h>

#include "common/cancel.h"

/*
 * One build: a commit of an app's repo → a Docker image in the registry.
 * The tree is streamed from the object database into Docker's POST /build (no
 * checkout, no temp file), the build output goes to report() line by line, the image
 * is tagged <registry>/<app>:<full commit sha> and pushed, and the pushed digest is
 * returned. A commit whose image is already in the registry is not rebuilt.
 *
 * Runs in slipwayd's job thread; the objects of a push that pre-receive has not yet
 * accepted live in git's quarantine, so the caller passes the hook's object directory
 * and alternates (GIT_OBJECT_DIRECTORY / GIT_ALTERNATE_OBJECT_DIRECTORIES).
 */

/* One line for the pusher (no trailing newline). Return < 0 to stop the build. */
typedef int (*sw_build_report_fn)(void *ctx, const char *line);

struct sw_build_opts {
	const char *repo_path;        /* the app's bare repository */
	const char *object_dir;       /* quarantine object dir, or NULL for the repo's own */
	const char *alternate_dirs;   /* ':'-separated extra object dirs, or NULL */
	const char *commit;           /* full hex sha of the commit to build */
	const char *app;
	const char *registry;         /* "host:port" of the registry (ECR's proxy endpoint host) */
	const char *registry_user;    /* basic auth for the registry, or NULL */
	const char *registry_password;
	sw_build_report_fn report;
	void *report_ctx;
	const struct sw_cancel *cancel;         /* non-zero: stop as soon as possible (SW_ECANCEL) */
};

struct sw_build_result {
	char *image;                  /* "<registry>/<app>:<sha>" */
	char *digest;                 /* "sha256:..." as pushed */
	long long size;               /* bytes of the pushed image (sum of layers), -1 unknown */
	int reused;                   /* 1: already in the registry, nothing built */
	double built_at;              /* seconds since the epoch: the image was built (or found) */
	double pushed_at;             /* ... and in the registry */
};

#define SW_BUILD_RESULT_INIT { NULL, NULL, -1, 0, 0, 0 }

/*
 * 0 with *res filled (the caller releases it with sw_build_result_release()), or a
 * negative code with the one-line reason in sw_error_last() ("build failed: The
 * command '/bin/sh -c false' returned a non-zero code: 1", "no Dockerfile at the root
 * of 77e0c1a", "cannot reach Docker at /var/run/docker.sock", ...).
 */
int sw_build_run(const struct sw_build_opts *opts, struct sw_build_result *res);
void sw_build_result_release(struct sw_build_result *res);

#endif
