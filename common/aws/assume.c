#include <string.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "common/aws/assume.h"
#include "common/aws/source.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "common/time.h"
#include "common/banned.h"

#define MAX_WEB_TOKEN (64 * 1024)

/* The request both operations share: RoleArn, RoleSessionName, DurationSeconds. */
static json_t *request(const struct sw_aws_role *role, time_t now)
{
	json_t *p = json_object();
	struct sw_buf name = SW_BUF_INIT;

	if (role->session_name && *role->session_name) {
		sw_buf_adds(&name, role->session_name);
	} else {
		sw_buf_addf(&name, "slipway-%lld", (long long)now);
	}
	json_object_set_new(p, "RoleArn", json_string(role->role_arn));
	json_object_set_new(p, "RoleSessionName", json_string(name.ptr));
	if (role->duration > 0)
		json_object_set_new(p, "DurationSeconds", json_integer(role->duration));
	sw_buf_release(&name);
	return p;
}

/* Credentials{AccessKeyId, SecretAccessKey, SessionToken, Expiration} of an answer. */
static int take(const char *operation, const json_t *answer, const char *source, struct sw_aws_creds *out)
{
	const json_t *c = json_object_get(answer, "Credentials");
	const char *akid = sw_json_str(c, "AccessKeyId");
	const char *secret = sw_json_str(c, "SecretAccessKey");
	const char *token = sw_json_str(c, "SessionToken");
	const char *exp = sw_json_str(c, "Expiration");
	double expires = 0;

	if (!akid || !*akid || !secret || !*secret || !token || !exp)
		return sw_error("sts %s: the answer has no Credentials", operation);
	if (sw_time_parse_iso(exp, &expires) < 0)
		return sw_error_prefix("sts %s: Credentials.Expiration", operation);
	sw_aws_creds_set(out, akid, secret, token, (time_t)expires, source);
	return 0;
}

int sw_aws_assume_role(const struct sw_aws_sts_caller *sts, const struct sw_aws_role *role,
		       const struct sw_aws_creds *source, time_t now, struct sw_aws_creds *out)
{
	json_t *params = request(role, now), *answer = NULL;
	int ret;

	if (role->external_id && *role->external_id)
		json_object_set_new(params, "ExternalId", json_string(role->external_id));
	if ((ret = sts->call(sts->ctx, "AssumeRole", params, source, &answer)) == 0)
		ret = take("AssumeRole", answer, "assume-role", out);
	json_decref(params);
	json_decref(answer);
	return ret;
}

int sw_aws_assume_role_web_identity(const struct sw_aws_sts_caller *sts, const struct sw_aws_role *role,
				    const char *token_file, time_t now, struct sw_aws_creds *out)
{
	struct sw_buf token;
	json_t *params = NULL, *answer = NULL;
	int ret;

	sw_buf_init(&token, MAX_WEB_TOKEN);
	if ((ret = sw_aws_source_read_file("web_identity_token_file", token_file, &token)) < 0)
		goto cleanup;
	if (!token.len) {
		ret = sw_error_code(SW_EINVAL, "web_identity_token_file %s is empty", token_file);
		goto cleanup;
	}
	params = request(role, now);
	json_object_set_new(params, "WebIdentityToken", json_string(token.ptr));
	if ((ret = sts->call(sts->ctx, "AssumeRoleWithWebIdentity", params, NULL, &answer)) == 0)
		ret = take("AssumeRoleWithWebIdentity", answer, "assume-role-with-web-identity", out);
cleanup:
	if (token.len)
		OPENSSL_cleanse(token.ptr, token.len);
	sw_buf_release(&token);
	json_decref(params);
	json_decref(answer);
	return ret;
}
