#ifndef SW_AWS_SOURCE_H
#define SW_AWS_SOURCE_H

#include "common/aws/creds.h"
#include "common/aws/profile.h"
#include "common/buf.h"

/*
 * The credential sources that need no STS: the environment, the access keys of one
 * section of a shared file, the ECS container endpoint and EC2 instance metadata
 * (IMDSv2). The chain (credentials.h) and role profiles' credential_source
 * (provider.h) take them in their own orders.
 *
 * Each returns 0 with out set (out->source names the source), 1 when the source has
 * nothing (tried gets why, "; "-separated, for the "no AWS credentials: ..." line), or a
 * negative code with one line when the source is there but broken (partial keys, a
 * configured container endpoint that refuses).
 */

/* AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN or AWS_SECURITY_TOKEN). */
int sw_aws_source_env(struct sw_aws_creds *out, struct sw_buf *tried);

/*
 * aws_access_key_id / aws_secret_access_key (/ aws_session_token) of section in ini,
 * the file at path; what names it in tried ("shared credentials file"), source is the
 * static name out gets ("shared-credentials-file").
 */
int sw_aws_source_keys(struct sw_aws_creds *out, struct sw_buf *tried, const struct sw_aws_ini *ini, const char *path,
		       const char *section, const char *what, const char *source);

/*
 * The ECS container endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on container_base,
 * NULL: http://169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI (https anywhere;
 * http only to loopback, 169.254.170.2, 169.254.170.23 or [fd00:ec2::23]), with
 * Authorization: from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read each time) or
 * AWS_CONTAINER_AUTHORIZATION_TOKEN. When configured, a failure is an error.
 */
int sw_aws_source_container(const char *container_base, struct sw_aws_creds *out, struct sw_buf *tried);

/*
 * EC2 instance metadata, IMDSv2 only: PUT /latest/api/token (TTL 21600), GET
 * /latest/meta-data/iam/security-credentials/ (the role), GET .../<role> (the JSON).
 * imds_endpoint NULL: $AWS_EC2_METADATA_SERVICE_ENDPOINT, p's ec2_metadata_service_endpoint
 * (p may be NULL), else http://169.254.169.254. AWS_EC2_METADATA_DISABLED=true skips it;
 * AWS_METADATA_SERVICE_TIMEOUT (seconds, default 1) and AWS_METADATA_SERVICE_NUM_ATTEMPTS
 * (default 1) as botocore.
 */
int sw_aws_source_imds(const char *imds_endpoint, const struct sw_aws_profile *p, struct sw_aws_creds *out,
		       struct sw_buf *tried);

/*
 * Read the small file at path (a token) into out, whose cap bounds it; trailing blanks
 * dropped. Messages name it "<what> <path>". 0, or negative with one line.
 */
int sw_aws_source_read_file(const char *what, const char *path, struct sw_buf *out);

/*
 * GET path (e.g. "/latest/meta-data/placement/region") from the EC2 instance metadata
 * service with an IMDSv2 token; the answer's body is appended to out. endpoint NULL:
 * $AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254. Honours
 * AWS_EC2_METADATA_DISABLED and AWS_METADATA_SERVICE_TIMEOUT. Returns 0, SW_ENOTFOUND
 * (disabled, or answered 404) or SW_EUNAVAIL, with the error slot set.
 */
int sw_aws_imds_get(const char *endpoint, const char *path, struct sw_buf *out);

#endif
