#ifndef SW_AWS_CREDENTIALS_H
#define SW_AWS_CREDENTIALS_H

#include <time.h>

#include "common/aws/assume.h"
#include "common/aws/creds.h"
#include "common/buf.h"

/*
 * AWS credentials and the SDKs' default provider chain, in botocore's order:
 *   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN,
 *      or the older AWS_SECURITY_TOKEN);
 *   2. the profile (AWS_PROFILE, else default) of the shared files
 *      (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials; AWS_CONFIG_FILE, ~/.aws/config),
 *      provider.h's order: role_arn + source_profile / credential_source (STS AssumeRole),
 *      web identity (AWS_WEB_IDENTITY_TOKEN_FILE or web_identity_token_file: STS
 *      AssumeRoleWithWebIdentity), SSO (refused in one line), the credentials file's
 *      keys, credential_process, the config file's keys;
 *   3. the ECS container endpoint (source.h): AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or
 *      _FULL_URI. When set, it is final: a failure is an error;
 *   4. EC2 instance metadata, IMDSv2 only (source.h). AWS_EC2_METADATA_DISABLED=true
 *      skips it.
 * A profile named explicitly (AWS_PROFILE, or the options' profile) that exists in
 * neither file is an error. A profile named by the options (`slipway aws --profile`) also
 * skips 1 and the AWS_WEB_IDENTITY_* / AWS_ROLE_* variables, as botocore does for a
 * session's own profile (the AWS CLI's --profile).
 *
 * Credentials that expire (roles, credential_process with Expiration, container, IMDS)
 * are cached and refreshed ahead of their Expiration by the provider that gave them:
 * from 15 minutes before it, a refresh is tried and a failure keeps the old ones; from
 * 10 minutes before it, a failed refresh is an error, "AWS credentials from assume-role
 * expire in 300s and could not be refreshed: ..." (botocore's advisory and mandatory
 * refresh windows; for credentials living less than 30 minutes, half and a third of
 * their lifetime). The cache is shared by threads (one mutex); the chain runs under it,
 * so concurrent callers wait for one fetch instead of each doing one.
 */

struct sw_aws_credentials_options {
	const char *profile;          /* NULL: $AWS_PROFILE, else "default"; set: the environment's keys
					 are not read */
	/* The clock used for expiry (NULL: time()). */
	time_t (*now)(void *ctx);
	void *now_ctx;
	/* Where RELATIVE_URI points (NULL: "http://169.254.170.2"). For tests. */
	const char *container_base;
	/* IMDS base URL (NULL: $AWS_EC2_METADATA_SERVICE_ENDPOINT, the profile's
	 * ec2_metadata_service_endpoint, else "http://169.254.169.254"). */
	const char *imds_endpoint;
	/* Fixed credentials: the chain is not consulted (source "static"). */
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;
	/* How role and web identity profiles reach STS (assume.h). sw_aws_client_new() sets
	 * its own when this is unset; a chain made without one refuses those profiles. */
	struct sw_aws_sts_caller sts;
};

/* The chain with its cache: opaque, thread-safe. */
struct sw_aws_credentials;

/* Make a chain (nothing is fetched yet). opt may be NULL. Free with sw_aws_credentials_free(). */
int sw_aws_credentials_new(struct sw_aws_credentials **out, const struct sw_aws_credentials_options *opt);
void sw_aws_credentials_free(struct sw_aws_credentials *c);

/*
 * Current credentials, copied into out (initialised by the caller, released by them).
 * Resolves the chain on first use, refreshes as described above. When nothing is found:
 * SW_ENOTFOUND and one line naming what was tried, e.g.
 *   "no AWS credentials: environment (AWS_ACCESS_KEY_ID not set); shared credentials file
 *    /root/.aws/credentials (no [default]); shared config file /root/.aws/config (no
 *    [default]); container endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI not
 *    set); instance metadata http://169.254.169.254 (cannot connect)"
 * Other failures: SW_EINVAL (malformed file, partial environment, bad FULL_URI), SW_EUNAVAIL
 * (the container endpoint is set but failed), SW_ERROR.
 */
int sw_aws_credentials_get(struct sw_aws_credentials *c, struct sw_aws_creds *out);

/* Forget the cache: the next get resolves the chain again (e.g. after the service said
 * the token expired). */
void sw_aws_credentials_invalidate(struct sw_aws_credentials *c);

#endif
