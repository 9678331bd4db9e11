#ifndef SW_AWS_PROVIDER_H
#define SW_AWS_PROVIDER_H

#include <time.h>

#include "common/aws/assume.h"
#include "common/aws/creds.h"
#include "common/aws/profile.h"
#include "common/buf.h"

/*
 * The credentials one profile of the shared files gives, in botocore's order (its
 * AssumeRoleProvider, then ProfileProviderBuilder's providers):
 *   1. role_arn (and no web_identity_token_file) with source_profile or credential_source
 *      (Environment, Ec2InstanceMetadata, EcsContainer): STS AssumeRole with the source's
 *      credentials, with the profile's role_session_name, external_id and
 *      duration_seconds. A source profile with keys, or without role_arn, gives its own
 *      credentials by 2-6 (AWS_* variables ignored); one with role_arn assumes its own
 *      role first (chains of roles). A cycle is refused; a profile may name itself as
 *      its source when it also holds keys. mfa_serial is refused (no one to type a code);
 *   2. web identity: AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME,
 *      each over the profile's web_identity_token_file, role_arn, role_session_name:
 *      STS AssumeRoleWithWebIdentity (the token file is read at each fetch);
 *   3. SSO (sso_session, sso_start_url): refused in one line naming the alternatives;
 *   4. the credentials file's keys;
 *   5. credential_process (process.h);
 *   6. the config file's keys.
 * A key is read from the credentials file's section, else the config file's (botocore
 * merges the two, the credentials file winning).
 */

struct sw_aws_provider_options {
	struct sw_aws_sts_caller sts;  /* call NULL: role and web identity profiles are refused */
	const char *container_base;    /* for credential_source = EcsContainer (source.h) */
	const char *imds_endpoint;     /* for credential_source = Ec2InstanceMetadata */
	time_t now;                    /* names default role sessions */
	int no_env;                    /* web identity reads no AWS_* variables (a profile named
					  explicitly, as botocore's disable_env_vars) */
};

/*
 * 0 with out set (out->source: "assume-role", "assume-role-with-web-identity",
 * "shared-credentials-file", "custom-process" or "shared-config-file"), 1 when the
 * profile gives nothing (tried gets why, "; "-separated), or negative with one line
 * naming the profile, e.g.
 *   "AWS profile 'deploy': role arn:aws:iam::1:role/x: sts AssumeRole: AccessDenied: ..."
 *   "AWS profile 'corp' uses SSO (sso_session), which slipway does not support: ..."
 */
int sw_aws_provider_profile(const struct sw_aws_provider_options *o, const struct sw_aws_profile *p,
			    struct sw_aws_creds *out, struct sw_buf *tried);

#endif
