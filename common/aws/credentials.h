#ifndef SW_AWS_CREDENTIALS_H
#define SW_AWS_CREDENTIALS_H

#include <time.h>

#include "common/buf.h"

/*
 * AWS credentials and the SDKs' default provider chain, in botocore's order:
 *   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN,
 *      or the older AWS_SECURITY_TOKEN);
 *   2. shared credentials file (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials), the
 *      profile's aws_access_key_id / aws_secret_access_key / aws_session_token;
 *   3. shared config file (AWS_CONFIG_FILE, ~/.aws/config), same keys in [profile x];
 *      (credential_process, SSO, assume-role and web-identity profiles are NOT
 *      supported: a profile that has only those is reported, not run);
 *   4. the ECS container endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on
 *      http://169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI (https anywhere; http
 *      only to loopback, 169.254.170.2, 169.254.170.23 or [fd00:ec2::23]), with
 *      Authorization: from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read each time) or
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN. When set, it is final: a failure is an error;
 *   5. EC2 instance metadata, IMDSv2 only: PUT /latest/api/token (TTL 21600), GET
 *      /latest/meta-data/iam/security-credentials/ (the role), GET .../<role> (the JSON).
 *      AWS_EC2_METADATA_DISABLED=true skips it; AWS_EC2_METADATA_SERVICE_ENDPOINT (or
 *      ec2_metadata_service_endpoint in the profile) moves it; AWS_METADATA_SERVICE_TIMEOUT
 *      (seconds, default 1) and AWS_METADATA_SERVICE_NUM_ATTEMPTS (default 1) as botocore.
 * A profile named explicitly (AWS_PROFILE) that exists in neither file is an error.
 *
 * Temporary credentials (container, IMDS) are cached and refreshed ahead of their
 * Expiration: from 15 minutes before it, a refresh is tried and a failure keeps the old
 * ones; from 10 minutes before it, a failed refresh is an error (botocore's advisory and
 * mandatory refresh windows). The cache is shared by threads (one mutex); the chain runs
 * under it, so concurrent callers wait for one fetch instead of each doing one.
 */

/* One set of credentials. Caller-owned: sw_aws_creds_init() / _release() (wipes the secret). */
struct sw_aws_creds {
	char *access_key_id;
	char *secret_access_key;
	char *session_token;   /* NULL when none */
	time_t expiration;     /* 0: does not expire */
	const char *source;    /* static: "environment", "shared-credentials-file",
				  "shared-config-file", "container-endpoint", "instance-metadata", "static" */
};

void sw_aws_creds_init(struct sw_aws_creds *c);
void sw_aws_creds_release(struct sw_aws_creds *c);
/* Deep copy src into dst (dst is released first). */
void sw_aws_creds_copy(struct sw_aws_creds *dst, const struct sw_aws_creds *src);

struct sw_aws_credentials_options {
	const char *profile;          /* NULL: $AWS_PROFILE, else "default" */
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

/*
 * GET path (e.g. "/latest/meta-data/placement/region") from the EC2 instance metadata
 * service with an IMDSv2 token; the answer's body is appended to out. endpoint NULL:
 * $AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254. Honours
 * AWS_EC2_METADATA_DISABLED and AWS_METADATA_SERVICE_TIMEOUT. Returns 0, SW_ENOTFOUND
 * (disabled, or answered 404) or SW_EUNAVAIL, with the error slot set.
 */
int sw_aws_imds_get(const char *endpoint, const char *path, struct sw_buf *out);

#endif
