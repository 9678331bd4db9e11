#ifndef SW_PUSH_H
#define SW_PUSH_H

#include "releaser/manifest.h"

/*
 * One push to deploy: made once by the job that runs it (receiver/job.c), lent by pointer
 * to the build (repository, objects, commit), to the releaser and to the deploy
 * (deploy.h), which read it and add what they learn: the image the build made, the
 * manifest the commit holds (read once, however many steps need it).
 */
struct sw_push {
	/* what was pushed */
	char *app;              /* the app it deploys (a review app's own name) */
	char *repo_app;         /* whose repository holds the commit: app, or a review app's parent */
	char *ref;              /* "refs/heads/main" */
	const char *branch;     /* "main": points into ref; NULL for a ref that is no branch */
	char *old_sha;          /* the ref before the push (40 hex, zeros for a new branch) */
	char *commit;           /* the pushed commit, full sha */
	char *created_by;       /* the pushing token's name, "" when unknown */
	long job;               /* slipwayd's job that runs it (receiver/job.h) */

	/* where its objects are */
	char *repo_path;        /* the bare repository of repo_app */
	char *object_dir;       /* the push's quarantine (GIT_OBJECT_DIRECTORY), NULL: the repository's own */
	char *alternate_dirs;   /* GIT_ALTERNATE_OBJECT_DIRECTORIES, or NULL */

	/* what the build made */
	char *image;            /* "<registry>/<app>:<sha>", NULL before */
	char *digest;           /* "sha256:...", NULL before */

	/* when (seconds since the epoch, 0 unknown): the push reached slipwayd, its image
	 * was built, and pushed to the registry; the release records them (release.h) */
	double received_at, built_at, pushed_at;

	/* what the commit says, once sw_push_read_manifest() read it */
	struct sw_manifest manifest;
	int have_manifest;
};

/* Empty: every string NULL, job 0. sw_push_release() frees every string (they are the push's) and the manifest. */
void sw_push_init(struct sw_push *p);
void sw_push_release(struct sw_push *p);

/* Set ref (copied) and branch with it. */
void sw_push_set_ref(struct sw_push *p, const char *ref);

/*
 * Read the manifest from the pushed commit (manifest.h), through the push's objects: the
 * first call reads, later ones return what it found. 0, or negative with one line.
 */
int sw_push_read_manifest(struct sw_push *p);

#endif
