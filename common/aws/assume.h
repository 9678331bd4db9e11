#ifndef SW_AWS_ASSUME_H
#define SW_AWS_ASSUME_H

#include <time.h>
#include <jansson.h>

#include "common/aws/creds.h"

/*
 * Temporary credentials from STS for the chain's role profiles: AssumeRole (signed with
 * the source credentials) and AssumeRoleWithWebIdentity (unsigned: the web identity
 * token is the proof).
 *
 * The chain reaches STS through a caller it is given (botocore's client_creator): the
 * AWS client (client.h) hands its own, which calls STS at the client's region and
 * endpoint (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL...). Tests may hand another.
 */
struct sw_aws_sts_caller {
	/*
	 * Call STS operation with params (botocore's shape), signed with signer, or unsigned
	 * when signer is NULL. 0 with *out the answer (a new JSON object, the callee's
	 * json_decref() is the caller's), or negative with one line.
	 */
	int (*call)(void *ctx, const char *operation, const json_t *params, const struct sw_aws_creds *signer,
		    json_t **out);
	void *ctx;
};

/* What to assume. Nothing here is owned. */
struct sw_aws_role {
	const char *role_arn;
	const char *session_name;  /* NULL: "slipway-<seconds since the epoch>" */
	const char *external_id;   /* AssumeRole only; NULL: none */
	long long duration;        /* seconds (900..43200); 0: STS's default, an hour */
};

/*
 * STS AssumeRole as source; out gets the role's credentials (source "assume-role", the
 * answer's Expiration). now names the default session. 0, or negative with STS's line
 * ("sts AssumeRole: AccessDenied: ...") or "sts AssumeRole: the answer has no Credentials".
 */
int sw_aws_assume_role(const struct sw_aws_sts_caller *sts, const struct sw_aws_role *role,
		       const struct sw_aws_creds *source, time_t now, struct sw_aws_creds *out);

/*
 * STS AssumeRoleWithWebIdentity with the token in token_file (read now, at most 64 KiB,
 * trailing blanks dropped); out's source is "assume-role-with-web-identity". 0, or
 * negative with one line ("web_identity_token_file /var/run/token: No such file or
 * directory", STS's line).
 */
int sw_aws_assume_role_web_identity(const struct sw_aws_sts_caller *sts, const struct sw_aws_role *role,
				    const char *token_file, time_t now, struct sw_aws_creds *out);

#endif
