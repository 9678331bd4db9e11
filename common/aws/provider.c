#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/aws/process.h"
#include "common/aws/provider.h"
#include "common/aws/source.h"
#include "common/env.h"
#include "common/error.h"
#include "common/strvec.h"
#include "common/banned.h"

#define MAX_ROLE_HOPS 8

/* A key of the profile: the credentials file's section, else the config file's. */
static const char *key(const struct sw_aws_profile *p, const char *name)
{
	const char *v = sw_aws_profile_credential(p, name);
	return v ? v : sw_aws_profile_get(p, name);
}

static int has_keys(const struct sw_aws_profile *p)
{
	return key(p, "aws_access_key_id") || key(p, "aws_secret_access_key");
}

static int has_role(const struct sw_aws_profile *p)
{
	return key(p, "role_arn") && !key(p, "web_identity_token_file");
}

/* The variable when web identity may read the environment and it is set, else the profile's key. */
static const char *web_setting(const struct sw_aws_profile *p, int use_env, const char *var, const char *name)
{
	const char *v = use_env ? sw_env_str(var) : NULL;
	return v ? v : key(p, name);
}

static int web_identity(const struct sw_aws_provider_options *o, const struct sw_aws_profile *p, int use_env,
			struct sw_aws_creds *out)
{
	const char *file = web_setting(p, use_env, "AWS_WEB_IDENTITY_TOKEN_FILE", "web_identity_token_file");
	struct sw_aws_role role;
	char *path;
	int ret;

	if (!file || !*file)
		return 1;
	memset(&role, 0, sizeof(role));
	role.role_arn = web_setting(p, use_env, "AWS_ROLE_ARN", "role_arn");
	role.session_name = web_setting(p, use_env, "AWS_ROLE_SESSION_NAME", "role_session_name");
	if (!role.role_arn || !*role.role_arn)
		return sw_error_code(SW_EINVAL, "AWS profile '%s': web identity token file %s but no role ARN "
				     "(role_arn in the profile, or AWS_ROLE_ARN)", p->name, file);
	if (!o->sts.call)
		return sw_error_code(SW_EINVAL, "AWS profile '%s': web identity needs STS, which this chain cannot call",
				     p->name);
	path = sw_aws_expand_home(file);
	ret = sw_aws_assume_role_web_identity(&o->sts, &role, path, o->now, out);
	free(path);
	if (ret < 0)
		return sw_error_prefix("AWS profile '%s': role %s", p->name, role.role_arn);
	return 0;
}

/* Providers 2-6 of provider.h. use_env: web identity may read AWS_WEB_IDENTITY_TOKEN_FILE etc. */
static int own_credentials(const struct sw_aws_provider_options *o, const struct sw_aws_profile *p, int use_env,
			   struct sw_aws_creds *out, struct sw_buf *tried)
{
	const char *sso = key(p, "sso_session") ? "sso_session" : key(p, "sso_start_url") ? "sso_start_url" : NULL;
	const char *process = key(p, "credential_process");
	int r;

	if ((r = web_identity(o, p, use_env, out)) <= 0)
		return r;
	if (sso)
		return sw_error_code(SW_EINVAL,
				     "AWS profile '%s' uses SSO (%s), which slipway does not support: after `aws sso login "
				     "--profile %s`, use a profile with credential_process = aws configure export-credentials "
				     "--profile %s --format process, or export its keys (eval \"$(aws configure "
				     "export-credentials --profile %s --format env)\"), or use role_arn with source_profile, "
				     "or access keys", p->name, sso, p->name, p->name, p->name);
	r = sw_aws_source_keys(out, tried, &p->credentials, p->credentials_path, p->name, "shared credentials file",
			       "shared-credentials-file");
	if (r <= 0)
		return r;
	if (process && *process) {
		if (sw_aws_process_credentials(process, out) < 0)
			return sw_error_prefix("AWS profile '%s'", p->name);
		return 0;
	}
	return sw_aws_source_keys(out, tried, &p->config, p->config_path, p->config_section, "shared config file",
				  "shared-config-file");
}

/* credential_source = Environment | Ec2InstanceMetadata | EcsContainer (any case, as botocore). */
static int from_credential_source(const struct sw_aws_provider_options *o, const struct sw_aws_profile *p,
				  const char *name, struct sw_aws_creds *out)
{
	struct sw_buf why = SW_BUF_INIT;
	int r;

	if (!strcasecmp(name, "Environment"))
		r = sw_aws_source_env(out, &why);
	else if (!strcasecmp(name, "Ec2InstanceMetadata"))
		r = sw_aws_source_imds(o->imds_endpoint, p, out, &why);
	else if (!strcasecmp(name, "EcsContainer"))
		r = sw_aws_source_container(o->container_base, out, &why);
	else
		r = sw_error_code(SW_EINVAL, "AWS profile '%s': credential_source '%s' is not Environment, "
				  "Ec2InstanceMetadata or EcsContainer", p->name, name);
	if (r > 0)
		r = sw_error_code(SW_ENOTFOUND, "AWS profile '%s': credential_source %s has no credentials: %s", p->name,
				  name, why.ptr + strspn(why.ptr, "; "));
	else if (r < 0 && strncmp(sw_error_last(), "AWS profile", 11))
		r = sw_error_prefix("AWS profile '%s': credential_source %s", p->name, name);
	sw_buf_release(&why);
	return r;
}

static int parse_duration(const struct sw_aws_profile *p, long long *out)
{
	const char *v = key(p, "duration_seconds");
	char *end;
	long long n;

	*out = 0;
	if (!v || !*v)
		return 0;
	n = strtoll(v, &end, 10);
	if (!isdigit((unsigned char)*v) || *end || n < 900 || n > 43200)
		return sw_error_code(SW_EINVAL, "AWS profile '%s': duration_seconds '%s' is not a number of seconds "
				     "from 900 to 43200", p->name, v);
	*out = n;
	return 0;
}

static int assume(const struct sw_aws_provider_options *o, const struct sw_aws_profile *p, struct sw_strvec *visited,
		  struct sw_aws_creds *out);

/* The credentials of p's source_profile, named name. */
static int from_source_profile(const struct sw_aws_provider_options *o, const struct sw_aws_profile *p,
			       const char *name, struct sw_strvec *visited, struct sw_aws_creds *out)
{
	struct sw_aws_profile sp;
	struct sw_buf tried = SW_BUF_INIT;
	size_t i;
	int seen = 0, ret;

	for (i = 0; i < visited->nr; i++)
		seen |= !strcmp(visited->v[i], name);
	if ((ret = sw_aws_profile_load(&sp, name)) < 0)
		goto cleanup;
	if (!sw_aws_profile_exists(&sp)) {
		ret = sw_error_code(SW_EINVAL, "AWS profile '%s': its source_profile '%s' does not exist", p->name, name);
		goto cleanup;
	}
	/* a profile may be its own source only to use its own keys (botocore's rule) */
	if (seen && (strcmp(name, p->name) || !has_keys(&sp))) {
		ret = sw_error_code(SW_EINVAL, "AWS profile '%s': source_profile '%s' makes a cycle", p->name, name);
		goto cleanup;
	}
	if (visited->nr >= MAX_ROLE_HOPS) {
		ret = sw_error_code(SW_EINVAL, "AWS profile '%s': more than %d roles in a chain", p->name, MAX_ROLE_HOPS);
		goto cleanup;
	}
	sw_strvec_push(visited, name);
	if (has_keys(&sp) || !key(&sp, "role_arn")) {
		ret = own_credentials(o, &sp, 0, out, &tried);
		if (ret > 0)
			ret = sw_error_code(SW_ENOTFOUND, "AWS profile '%s': its source_profile '%s' has no credentials",
					    p->name, name);
	} else {
		ret = assume(o, &sp, visited, out);
	}
cleanup:
	sw_aws_profile_release(&sp);
	sw_buf_release(&tried);
	return ret;
}

/* Provider 1: p's role, assumed with its source's credentials. */
static int assume(const struct sw_aws_provider_options *o, const struct sw_aws_profile *p, struct sw_strvec *visited,
		  struct sw_aws_creds *out)
{
	const char *source_profile = key(p, "source_profile");
	const char *credential_source = key(p, "credential_source");
	struct sw_aws_creds source;
	struct sw_aws_role role;
	int ret;

	memset(&role, 0, sizeof(role));
	role.role_arn = key(p, "role_arn");
	role.session_name = key(p, "role_session_name");
	role.external_id = key(p, "external_id");
	sw_aws_creds_init(&source);
	if (source_profile && credential_source) {
		ret = sw_error_code(SW_EINVAL, "AWS profile '%s' has both source_profile and credential_source: keep one",
				    p->name);
		goto cleanup;
	}
	if (!source_profile && !credential_source) {
		ret = sw_error_code(SW_EINVAL, "AWS profile '%s': role_arn needs source_profile or credential_source",
				    p->name);
		goto cleanup;
	}
	if (key(p, "mfa_serial")) {
		ret = sw_error_code(SW_EINVAL, "AWS profile '%s' asks for an MFA code (mfa_serial), which slipway cannot "
				    "prompt for: use a role without MFA, or credential_process", p->name);
		goto cleanup;
	}
	if (!o->sts.call) {
		ret = sw_error_code(SW_EINVAL, "AWS profile '%s': assuming a role needs STS, which this chain cannot call",
				    p->name);
		goto cleanup;
	}
	if ((ret = parse_duration(p, &role.duration)) < 0)
		goto cleanup;
	if (credential_source)
		ret = from_credential_source(o, p, credential_source, &source);
	else
		ret = from_source_profile(o, p, source_profile, visited, &source);
	if (ret < 0)
		goto cleanup;
	if ((ret = sw_aws_assume_role(&o->sts, &role, &source, o->now, out)) < 0)
		ret = sw_error_prefix("AWS profile '%s': role %s", p->name, role.role_arn);
cleanup:
	sw_aws_creds_release(&source);
	return ret;
}

int sw_aws_provider_profile(const struct sw_aws_provider_options *o, const struct sw_aws_profile *p,
			    struct sw_aws_creds *out, struct sw_buf *tried)
{
	struct sw_strvec visited = SW_STRVEC_INIT;
	int ret;

	if (!has_role(p))
		return own_credentials(o, p, !o->no_env, out, tried);
	sw_strvec_push(&visited, p->name);
	ret = assume(o, p, &visited, out);
	sw_strvec_clear(&visited);
	return ret;
}
