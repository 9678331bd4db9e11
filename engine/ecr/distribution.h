#ifndef SW_ENGINE_ECR_DISTRIBUTION_H
#define SW_ENGINE_ECR_DISTRIBUTION_H

#include <jansson.h>

#include "common/http.h"
#include "engine/engine.h"

/*
 * The local registry's HTTP API (CNCF Distribution, /v2/...) on
 * 127.0.0.1:$SLIPWAY_REGISTRY_PORT, with basic auth AWS:<password> when the password
 * file exists. ECR (ecr_api.c, repository.c, ecr_image.c) is a view of it, not a second copy. Called without the
 * engine lock.
 */

/*
 * One call: method on path ("/v2/_catalog?n=100"), optional Accept header and body.
 * res is the caller's (initialised; released with sw_http_response_release).
 * Returns 0 when the registry answered (check res->status), or a negative code.
 */
int sw_engine_ecr_distribution_call(struct sw_engine *e, const char *method, const char *path, const char *accept,
				    const char *content_type, const void *body, size_t body_len,
				    struct sw_http_response *res);

/* The registry password for user AWS (cfg.registry_password_file) into out, or SW_ENOTFOUND. */
int sw_engine_ecr_distribution_password(struct sw_engine *e, struct sw_buf *out);

/*
 * Append base64("AWS:<password>") to out: the registry's basic-auth credential, which is
 * also ECR's authorization token. 0, or the negative code of sw_engine_ecr_distribution_password()
 * when the password file cannot be read (a registry without auth: the password is then
 * empty, and what is appended takes any). The copies of the password are wiped.
 */
int sw_engine_ecr_distribution_credential(struct sw_engine *e, struct sw_buf *out);

/* Every repository name in the catalog, in order (new reference: an array of strings). */
int sw_engine_ecr_distribution_catalog(struct sw_engine *e, json_t **names);

/* The tags of repo (new reference: array of strings; [] for a repository without tags). */
int sw_engine_ecr_distribution_tags(struct sw_engine *e, const char *repo, json_t **tags);

/*
 * Create repo in the registry (it has no "create repository" call: a small blob is
 * uploaded to it, which makes it appear in the catalog).
 */
int sw_engine_ecr_distribution_create(struct sw_engine *e, const char *repo);

/* A manifest as the registry answered it. Caller-owned: sw_engine_ecr_manifest_release(). */
struct sw_engine_ecr_manifest {
	long status;          /* 200: found (the rest is filled), 404: none */
	char *digest;
	char *media_type;
	char *body;
	json_t *doc;          /* body parsed, or NULL */
};

void sw_engine_ecr_manifest_release(struct sw_engine_ecr_manifest *m);

/*
 * GET the manifest of repo at reference (a tag or a digest), accepting accept (NULL:
 * every manifest type the engine knows). 0 (m->status says whether it was found), or
 * negative when the registry did not answer.
 */
int sw_engine_ecr_distribution_manifest(struct sw_engine *e, const char *repo, const char *reference,
					const char *accept, struct sw_engine_ecr_manifest *m);

#endif
