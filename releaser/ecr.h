#ifndef SW_ECR_H
#define SW_ECR_H

#include "common/aws/client.h"

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
 * fine) and fill *out with the registry login. 0, or negative with one line: the
 * failed call's ("ecr CreateRepository: cannot connect to ..."), or "ECR: ..." for a
 * malformed answer.
 */
int sw_ecr_login(struct sw_aws_client *aws, const char *repository, struct sw_ecr_auth *out);

/* Decode GetAuthorizationToken's token ("base64(user:password)"). 0 or SW_EINVAL. */
int sw_ecr_decode_token(const char *token, char **user, char **password);

#endif
