#ifndef SW_ECR_H
#define SW_ECR_H

#include "common/aws/client.h"
#include "common/buf.h"
#include "releaser/release.h"
#include "releaser/runenv.h"

/*
 * Where builds push, from ECR: the app's repository (created on first use) and
 * GetAuthorizationToken's "AWS:<password>" for the registry at its proxyEndpoint.
 * The same on Amazon ECR and on slipway-engine (whose ECR fronts the local registry).
 */
struct sw_ecr_auth {
	char *registry;   /* "host[:port]" of proxyEndpoint, without the scheme */
	char *user;       /* "AWS" */
	char *password;
};

#define SW_ECR_AUTH_INIT { NULL, NULL, NULL }
void sw_ecr_auth_release(struct sw_ecr_auth *a);

/*
 * Make sure repository exists (CreateRepository, RepositoryAlreadyExistsException is
 * fine) with slipway's lifecycle policy (PutLifecyclePolicy, each time: a policy that
 * cannot be put is logged, not fatal) and fill *out with the registry login. 0, or
 * negative with one line: the failed call's ("ecr CreateRepository: cannot connect to
 * ..."), or "ECR: ..." for a malformed answer.
 */
int sw_ecr_login(struct sw_aws_client *aws, const char *repository, struct sw_ecr_auth *out);

/* Decode GetAuthorizationToken's token ("base64(user:password)"). 0 or SW_EINVAL. */
int sw_ecr_decode_token(const char *token, char **user, char **password);

/*
 * What an app's repository keeps. Every release tags its image (PutImage of the same
 * manifest) with a slot tag, "release-keep-NN" where NN is N modulo 20, moving that tag
 * off the image of release N-20; the release that goes live also takes "release-live".
 * So at most 21 images carry a "release-" tag: those of the last 20 releases (any of
 * them can be rolled back to) and the live one, however old its image. The lifecycle
 * policy (PutLifecyclePolicy):
 *   rule 1  tagged, tagPrefixList ["release-"], imageCountMoreThan 21: never more than
 *           21 such images, so none expires (ECR counts images by push time, and a
 *           rollback re-uses an old image: the tags, not the count, say what is kept);
 *   rule 2  any, sinceImagePushed 7 days: every other image (build tags, untagged) goes
 *           a week after its push. An image rule 1 matches cannot be expired by rule 2
 *           (ECR: "an image that matches the tagging requirements of a higher priority
 *           rule cannot be expired by a rule with a lower priority").
 */
#define SW_ECR_KEEP_RELEASES 20
#define SW_ECR_KEEP_PREFIX "release-"
#define SW_ECR_LIVE_TAG "release-live"
#define SW_ECR_OTHER_DAYS 7

/* The lifecycle policy's text (static storage). */
const char *sw_ecr_lifecycle_policy(void);

/* "release-keep-07" for release 7 (27, 47, ...), appended to out. */
void sw_ecr_keep_tag(int version, struct sw_buf *out);

/*
 * The repository of an image name: "127.0.0.1:5000/hello:4f2a1c9" -> "hello", "host/a/b"
 * -> "a/b" (the part after the registry host, without a tag or digest). Appended to out;
 * SW_EINVAL when image has no registry part.
 */
int sw_ecr_repository_of(const char *image, struct sw_buf *out);

/*
 * Tag r's image so the lifecycle policy keeps it: its slot tag, and the live tag when
 * live. BatchGetImage of the digest, then PutImage of that manifest with the tag (a tag
 * already there is fine). Failures are logged, not returned: a release does not fail
 * because its image could not be tagged (`slipway doctor` checks the policy).
 */
void sw_ecr_keep(const struct sw_runenv *e, const struct sw_release *r, int live);

#endif
