#ifndef SW_MANIFEST_H
#define SW_MANIFEST_H

#include <stddef.h>

#include <git2.h>
#include <jansson.h>

#include "common/buf.h"
#include "common/strvec.h"

/*
 * The app manifest: which process types an app has and how each one runs.
 *
 * Read from the root of the pushed commit's tree, first match wins:
 *  1. docker-compose.yml | docker-compose.yaml | compose.yaml | compose.yml (compose.c):
 *     each service that builds the pushed tree (`build: .`) is a process type.
 *  2. Procfile (`web: cmd`, `worker: cmd`, `release: cmd`): each line is a process type
 *     running the built image with `/bin/sh -c cmd` (so $PORT expands at run time).
 *  3. Dockerfile alone: one `web` process running the image's own command.
 *
 * Settings slipway needs beyond those formats:
 *  - compose: a top-level extension key
 *        x-slipway:
 *          healthcheck_path: /check     # HTTP health check of the web process (default "/")
 *          deadline: 5m                 # rollout deadline (default 10m)
 *          strategy: canary             # how the web process goes live (releaser/strategy.h:
 *          canary_percent: 10           #   strategy, bake, canary_percent, canary_bake,
 *          bake: 2m                     #   step_percent, step_bake)
 *  - Procfile / Dockerfile apps: a comment directive, in the Procfile or (without one)
 *    the Dockerfile, which Docker itself ignores:
 *        # slipway: healthcheck_path=/check port=8080 deadline=5m
 *        # slipway: strategy=canary canary_percent=10 bake=2m
 *
 * The web process: in a Procfile / Dockerfile app the one named `web`; in compose the
 * service named `web`, else the only service that has `ports`. It listens on its port
 * (compose `ports`/`expose`, else the directive's port=, else the Dockerfile's first
 * EXPOSE, else 8080, as the quick start's httpd) and gets PORT=<port> in its environment.
 *
 * The process type `release` is not a service: it runs once before go-live.
 *
 * Errors are one line ("docker-compose.yml:7:14: deploy.replicas must be a whole number,
 * not 'two'"); what is not supported is named in one warning line (m->warning), never
 * ignored silently.
 */

#define SW_MANIFEST_DEFAULT_PORT 8080
#define SW_MANIFEST_MAX_FILE (256 * 1024)   /* a manifest file larger than this is refused */
#define SW_MANIFEST_MAX_PROCESSES 20
#define SW_MANIFEST_MIN_MEMORY_MB 6         /* ECS refuses less for a container */

struct sw_healthcheck {
	struct sw_strvec command;  /* ECS form: {"CMD-SHELL", "..."} or {"CMD", ...}; empty: none */
	int interval;              /* seconds, 0 = ECS default (30) */
	int timeout;               /* seconds, 0 = ECS default (5) */
	int retries;               /* 0 = ECS default (3) */
	int start_period;          /* seconds, 0 = none */
};

struct sw_process {
	char *name;                /* "web", "worker", "release", a compose service name */
	struct sw_strvec command;  /* empty: the image's own CMD */
	struct sw_strvec entrypoint; /* empty: the image's own ENTRYPOINT */
	struct sw_strvec env;      /* "K=V" defaults from the manifest, in order */
	char *workdir;             /* NULL: the image's */
	char *user;                /* NULL: the image's */
	int web;                   /* 1: routed through the load balancer */
	int port;                  /* container port (web only), 0 none */
	int count;                 /* replicas from the manifest, -1 not given */
	int memory_mb;             /* memory from the manifest, 0 not given */
	struct sw_healthcheck health;
};

struct sw_manifest {
	char *source;              /* "docker-compose.yml", "Procfile", "Dockerfile" */
	struct sw_process *procs;
	size_t nr, alloc;
	char *healthcheck_path;    /* never NULL after a successful parse ("/" by default) */
	int deadline;              /* rollout deadline in seconds, 0 = the default */
	char *warning;             /* one line naming what is ignored, or NULL */
	json_t *strategy;          /* the web process's deployment strategy keys (strategy.h), or NULL */
};

#define SW_MANIFEST_INIT { NULL, NULL, 0, 0, NULL, 0, NULL, NULL }

void sw_manifest_init(struct sw_manifest *m);
void sw_manifest_release(struct sw_manifest *m);

/* The process named name, or NULL. */
struct sw_process *sw_manifest_find(const struct sw_manifest *m, const char *name);
/* The web process, or NULL. */
struct sw_process *sw_manifest_web(const struct sw_manifest *m);

/*
 * Read the manifest of commit (full hex sha) from repo's object database (which may be
 * a quarantine: open repo the way the builder does). 0, or negative with one line:
 * "no Dockerfile at the root of 4f2a1c9", "Procfile:3: ...", "docker-compose.yml:7:14: ...".
 * m must be initialised; on failure it is left empty.
 */
int sw_manifest_read(struct sw_manifest *m, git_repository *repo, const char *commit);

/*
 * The pure parsers under sw_manifest_read. dockerfile may be NULL (then no EXPOSE /
 * directive is read from it). name is the file name used in messages.
 */
int sw_manifest_parse_procfile(struct sw_manifest *m, const char *name, const char *text,
			       size_t len, const char *dockerfile);
int sw_manifest_parse_dockerfile(struct sw_manifest *m, const char *dockerfile);
/* The first port EXPOSEd in the Dockerfile's last stage, or 0. */
int sw_manifest_dockerfile_port(const char *dockerfile);
/* compose.c */
int sw_manifest_parse_compose(struct sw_manifest *m, const char *name, const char *text,
			      size_t len, const char *dockerfile);

/*
 * Process type names: letters, digits, '-' and '_', starting with a letter or digit,
 * 1-30 characters (they become part of ECS family and service names). 0 or SW_EINVAL.
 */
int sw_manifest_check_name(const char *name);

/*
 * "512m", "1g", "1.5GiB", "536870912" (bytes) → MiB, rounded up (compose's byte values).
 * 0 or SW_EINVAL.
 */
int sw_manifest_parse_memory(const char *s, long long *mib);

/*
 * The manifest as JSON (stored with each release, so rollback, config and scale need no
 * tree), and back. to_json returns a new reference; from_json fills an initialised m.
 */
json_t *sw_manifest_to_json(const struct sw_manifest *m);
int sw_manifest_from_json(struct sw_manifest *m, const json_t *j);

/* Internal to manifest.c / compose.c: add a process (name copied), NULL-safe init. */
struct sw_process *sw_manifest_add(struct sw_manifest *m, const char *name);
/* Apply one directive key=value (shared by Procfile / Dockerfile). */
int sw_manifest_directive(struct sw_manifest *m, const char *where, const char *key,
			  const char *value, struct sw_strvec *ignored);

#endif
