#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "common/aws/source.h"
#include "common/aws/endpoint.h"
#include "common/buf.h"
#include "common/env.h"
#include "common/error.h"
#include "common/http.h"
#include "common/json.h"
#include "common/strvec.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_METADATA_BODY (64 * 1024)
#define MAX_TOKEN_FILE (16 * 1024)

int sw_aws_source_env(struct sw_aws_creds *out, struct sw_buf *tried)
{
	const char *akid = sw_env_str("AWS_ACCESS_KEY_ID");
	const char *secret = sw_env_str("AWS_SECRET_ACCESS_KEY");
	const char *token = sw_env_str("AWS_SESSION_TOKEN");

	if (!token)
		token = sw_env_str("AWS_SECURITY_TOKEN");
	if (akid && secret) {
		sw_aws_creds_set(out, akid, secret, token, 0, "environment");
		return 0;
	}
	if (akid || secret)
		return sw_error_code(SW_EINVAL, "partial AWS credentials in the environment: %s is set but %s is not",
				     akid ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
				     akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	sw_buf_adds(tried, "environment (AWS_ACCESS_KEY_ID not set)");
	return 1;
}

int sw_aws_source_keys(struct sw_aws_creds *out, struct sw_buf *tried, const struct sw_aws_ini *ini, const char *path,
		       const char *section, const char *what, const char *source)
{
	const char *akid = sw_aws_ini_get(ini, section, "aws_access_key_id");
	const char *secret = sw_aws_ini_get(ini, section, "aws_secret_access_key");
	const char *token = sw_aws_ini_get(ini, section, "aws_session_token");

	if (!token)
		token = sw_aws_ini_get(ini, section, "aws_security_token");
	sw_buf_addf(tried, "; %s %s ", what, path);
	if (!ini->nr_sections && access(path, F_OK) < 0) {
		sw_buf_adds(tried, "(no such file)");
		return 1;
	}
	if (!sw_aws_ini_has_section(ini, section)) {
		sw_buf_addf(tried, "(no [%s])", section);
		return 1;
	}
	if (akid && *akid && secret && *secret) {
		sw_aws_creds_set(out, akid, secret, token, 0, source);
		return 0;
	}
	if ((akid && *akid) || (secret && *secret))
		return sw_error_code(SW_EINVAL, "%s: [%s] has %s but not %s", path, section,
				     akid && *akid ? "aws_access_key_id" : "aws_secret_access_key",
				     akid && *akid ? "aws_secret_access_key" : "aws_access_key_id");
	sw_buf_addf(tried, "([%s] has no aws_access_key_id)", section);
	return 1;
}

static int parse_credentials_json(struct sw_aws_creds *out, const char *body, size_t len, const char *source,
				  const char *where)
{
	json_error_t jerr;
	json_t *j = json_loadb(body, len, 0, &jerr);
	const char *akid, *secret, *token, *exp, *code;
	double expires = 0;
	int ret = 0;

	if (!json_is_object(j)) {
		ret = sw_error("%s: the answer is not a JSON object", where);
		goto cleanup;
	}
	code = sw_json_str(j, "Code");
	if (code && strcmp(code, "Success")) {
		const char *msg = sw_json_str(j, "Message");
		ret = sw_error("%s: %s%s%s", where, code, msg ? ": " : "", msg ? msg : "");
		goto cleanup;
	}
	akid = sw_json_str(j, "AccessKeyId");
	secret = sw_json_str(j, "SecretAccessKey");
	token = sw_json_str(j, "Token");
	exp = sw_json_str(j, "Expiration");
	if (!akid || !*akid || !secret || !*secret) {
		ret = sw_error("%s: the answer has no AccessKeyId/SecretAccessKey", where);
		goto cleanup;
	}
	if (exp && sw_time_parse_iso(exp, &expires) < 0) {
		ret = sw_error_prefix("%s: Expiration", where);
		goto cleanup;
	}
	sw_aws_creds_set(out, akid, secret, token, (time_t)expires, source);
cleanup:
	json_decref(j);
	return ret;
}

/* http://[::1]:80/x -> "::1"; returns a malloc'd host without port or brackets. */
static char *host_of(const char *url)
{
	char *host = NULL, *path = NULL;
	char *h, *r;
	if (sw_aws_url_split(url, &host, &path, NULL) < 0)
		return NULL;
	free(path);
	h = host;
	if (*h == '[') {
		char *close = strchr(h, ']');
		r = xstrndup(h + 1, close ? (size_t)(close - h - 1) : strlen(h + 1));
	} else {
		char *colon = strchr(h, ':');
		r = xstrndup(h, colon ? (size_t)(colon - h) : strlen(h));
	}
	free(host);
	return r;
}

static int allowed_full_uri(const char *url)
{
	char *host;
	int ok = 0;
	if (!strncasecmp(url, "https://", 8))
		return 1;
	host = host_of(url);
	if (!host)
		return 0;
	if (!strncmp(host, "127.", 4) || !strcmp(host, "::1") || !strcasecmp(host, "localhost") ||
	    !strcmp(host, "169.254.170.2") || !strcmp(host, "169.254.170.23") || !strcasecmp(host, "fd00:ec2::23"))
		ok = 1;
	free(host);
	return ok;
}

int sw_aws_source_read_file(const char *what, const char *path, struct sw_buf *out)
{
	char chunk[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret = 0;
	if (fd < 0)
		return sw_error_errno("%s %s", what, path);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (sw_buf_add(out, chunk, (size_t)n) < 0) {
			ret = sw_error_code(SW_ETOOBIG, "%s %s: larger than %zu bytes", what, path, out->cap);
			break;
		}
	if (n < 0)
		ret = sw_error_errno("%s %s", what, path);
	close(fd);
	OPENSSL_cleanse(chunk, sizeof(chunk));
	sw_buf_rtrim(out);
	return ret;
}

int sw_aws_source_container(const char *container_base, struct sw_aws_creds *out, struct sw_buf *tried)
{
	const char *rel = sw_env_str("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = sw_env_str("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *token_file = sw_env_str("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *token_env = sw_env_str("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	struct sw_buf url = SW_BUF_INIT, token;
	struct sw_strvec headers = SW_STRVEC_INIT;
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	struct sw_http_request req;
	int attempt, ret = 0;

	sw_buf_init(&token, MAX_TOKEN_FILE);
	if (!rel && !full) {
		sw_buf_adds(tried, "; container endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI not set)");
		ret = 1;
		goto cleanup;
	}
	if (rel) {
		sw_buf_addf(&url, "%s%s%s", container_base ? container_base : "http://169.254.170.2",
			    rel[0] == '/' ? "" : "/", rel);
	} else {
		if (!allowed_full_uri(full)) {
			ret = sw_error_code(SW_EINVAL,
					    "AWS_CONTAINER_CREDENTIALS_FULL_URI %s: http is only allowed to loopback, "
					    "169.254.170.2, 169.254.170.23 or fd00:ec2::23 (use https)", full);
			goto cleanup;
		}
		sw_buf_adds(&url, full);
	}
	if (token_file) {
		if ((ret = sw_aws_source_read_file("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file, &token)) < 0)
			goto cleanup;
	} else if (token_env) {
		sw_buf_adds(&token, token_env);
	}
	if (strpbrk(token.ptr, "\r\n")) {
		ret = sw_error_code(SW_EINVAL, "the container authorization token holds a line break");
		goto cleanup;
	}
	if (token.len)
		sw_strvec_pushf(&headers, "Authorization: %s", token.ptr);
	sw_strvec_push(&headers, "Accept: application/json");

	memset(&req, 0, sizeof(req));
	req.url = url.ptr;
	req.headers = &headers;
	req.max_body = MAX_METADATA_BODY;
	req.connect_timeout_ms = 2000;
	req.timeout_ms = 2000;
	/* botocore's ContainerMetadataFetcher: 3 attempts, 1 s apart */
	for (attempt = 1; attempt <= 3; attempt++) {
		ret = sw_http_do(&req, &res);
		if (ret == 0 && res.status == 200)
			break;
		if (ret == 0) {
			ret = sw_error_code(res.status >= 500 ? SW_EUNAVAIL : SW_EAUTH, "answered HTTP %ld", res.status);
			if (res.status < 500)
				break;
		}
		if (attempt < 3)
			sleep(1);
	}
	if (ret < 0) {
		ret = sw_error_prefix("container credentials endpoint %s", url.ptr);
		goto cleanup;
	}
	{
		struct sw_buf where = SW_BUF_INIT;
		sw_buf_addf(&where, "container credentials endpoint %s", url.ptr);
		ret = parse_credentials_json(out, res.body.ptr, res.body.len, "container-endpoint", where.ptr);
		sw_buf_release(&where);
	}
cleanup:
	if (token.len)
		OPENSSL_cleanse(token.ptr, token.len);
	sw_buf_release(&token);
	sw_buf_release(&url);
	sw_strvec_clear(&headers);
	sw_http_response_release(&res);
	return ret;
}

/* AWS_METADATA_SERVICE_TIMEOUT (whole seconds, as botocore reads it) in ms. */
static int imds_timeout_ms(long long *ms)
{
	long long secs = 1;
	int ret = sw_env_int("AWS_METADATA_SERVICE_TIMEOUT", 1, 1, 60, &secs);
	*ms = secs * 1000;
	return ret;
}

/* One IMDS request; res is filled; returns 0 when an HTTP answer came. */
static int imds_request(const char *method, const char *url, const char *header, long timeout_ms,
			struct sw_http_response *res)
{
	struct sw_strvec headers = SW_STRVEC_INIT;
	struct sw_http_request req;
	int ret;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	if (header)
		sw_strvec_push(&headers, header);
	req.headers = &headers;
	req.max_body = MAX_METADATA_BODY;
	req.connect_timeout_ms = timeout_ms;
	req.timeout_ms = timeout_ms;
	if (!strcmp(method, "PUT")) {
		req.body = "";
		req.body_len = 0;
	}
	ret = sw_http_do(&req, res);
	sw_strvec_clear(&headers);
	return ret;
}

int sw_aws_source_imds(const char *imds_endpoint, const struct sw_aws_profile *p, struct sw_aws_creds *out,
		       struct sw_buf *tried)
{
	const char *disabled = getenv("AWS_EC2_METADATA_DISABLED");
	const char *base = imds_endpoint;
	struct sw_buf url = SW_BUF_INIT, hdr = SW_BUF_INIT, role = SW_BUF_INIT, why = SW_BUF_INIT;
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	long long timeout_ms = 0, attempts = 1, a;
	int ret = 1;

	if (disabled && !strcasecmp(disabled, "true")) {
		sw_buf_adds(tried, "; instance metadata (disabled by AWS_EC2_METADATA_DISABLED)");
		goto cleanup;
	}
	if ((ret = imds_timeout_ms(&timeout_ms)) < 0 ||
	    (ret = sw_env_int("AWS_METADATA_SERVICE_NUM_ATTEMPTS", 1, 1, 10, &attempts)) < 0)
		goto cleanup;
	ret = 1;
	if (!base)
		base = sw_env_str("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	if (!base)
		base = sw_aws_profile_get(p, "ec2_metadata_service_endpoint");
	if (!base || !*base)
		base = "http://169.254.169.254";
	sw_buf_adds(&url, base);
	while (url.len && url.ptr[url.len - 1] == '/')
		sw_buf_setlen(&url, url.len - 1);
	base = NULL;

	/* IMDSv2 session token */
	{
		struct sw_buf turl = SW_BUF_INIT;
		int r = SW_ERROR;
		sw_buf_addf(&turl, "%s/latest/api/token", url.ptr);
		for (a = 0; a < attempts; a++) {
			r = imds_request("PUT", turl.ptr, "x-aws-ec2-metadata-token-ttl-seconds: 21600", timeout_ms, &res);
			if (r == 0 && res.status < 500)
				break;
		}
		sw_buf_release(&turl);
		if (r < 0) {
			sw_buf_addf(&why, "%s", sw_error_last());
			goto not_there;
		}
		if (res.status != 200 || !res.body.len || strpbrk(res.body.ptr, "\r\n")) {
			sw_buf_addf(&why, "token request answered HTTP %ld", res.status);
			goto not_there;
		}
		sw_buf_addf(&hdr, "x-aws-ec2-metadata-token: %s", res.body.ptr);
	}

	/* the instance role */
	sw_buf_reset(&role);
	{
		struct sw_buf rurl = SW_BUF_INIT;
		int r;
		sw_buf_addf(&rurl, "%s/latest/meta-data/iam/security-credentials/", url.ptr);
		r = imds_request("GET", rurl.ptr, hdr.ptr, timeout_ms, &res);
		sw_buf_release(&rurl);
		if (r < 0) {
			sw_buf_addf(&why, "%s", sw_error_last());
			goto not_there;
		}
		if (res.status == 404) {
			sw_buf_adds(&why, "the instance has no IAM role");
			goto not_there;
		}
		if (res.status != 200) {
			sw_buf_addf(&why, "role request answered HTTP %ld", res.status);
			goto not_there;
		}
		sw_buf_add(&role, res.body.ptr, strcspn(res.body.ptr, "\r\n"));
		sw_buf_rtrim(&role);
		if (!role.len || strchr(role.ptr, '/')) {
			sw_buf_adds(&why, "no usable role name in the answer");
			goto not_there;
		}
	}

	/* the role's credentials */
	{
		struct sw_buf curl_ = SW_BUF_INIT, where = SW_BUF_INIT;
		int r;
		sw_buf_addf(&curl_, "%s/latest/meta-data/iam/security-credentials/%s", url.ptr, role.ptr);
		r = imds_request("GET", curl_.ptr, hdr.ptr, timeout_ms, &res);
		sw_buf_release(&curl_);
		if (r < 0 || res.status != 200) {
			if (r < 0)
				sw_buf_addf(&why, "%s", sw_error_last());
			else
				sw_buf_addf(&why, "credentials request answered HTTP %ld", res.status);
			goto not_there;
		}
		sw_buf_addf(&where, "instance metadata %s (role %s)", url.ptr, role.ptr);
		ret = parse_credentials_json(out, res.body.ptr, res.body.len, "instance-metadata", where.ptr);
		sw_buf_release(&where);
		if (ret < 0) {
			sw_buf_addf(&why, "%s", sw_error_last());
			goto not_there;
		}
		ret = 0;
		goto cleanup;
	}

not_there:
	sw_buf_addf(tried, "; instance metadata %s (%s)", url.ptr, why.ptr);
	ret = 1;
cleanup:
	if (hdr.len)
		OPENSSL_cleanse(hdr.ptr, hdr.len);
	sw_buf_release(&url);
	sw_buf_release(&hdr);
	sw_buf_release(&role);
	sw_buf_release(&why);
	sw_http_response_release(&res);
	return ret;
}

int sw_aws_imds_get(const char *endpoint, const char *path, struct sw_buf *out)
{
	const char *disabled = getenv("AWS_EC2_METADATA_DISABLED");
	struct sw_buf base = SW_BUF_INIT, url = SW_BUF_INIT, hdr = SW_BUF_INIT;
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	long long timeout_ms = 0;
	int ret;

	if (disabled && !strcasecmp(disabled, "true"))
		return sw_error_code(SW_ENOTFOUND, "instance metadata is disabled by AWS_EC2_METADATA_DISABLED");
	if ((ret = imds_timeout_ms(&timeout_ms)) < 0)
		return ret;
	if (!endpoint)
		endpoint = sw_env_str("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	sw_buf_adds(&base, endpoint ? endpoint : "http://169.254.169.254");
	while (base.len && base.ptr[base.len - 1] == '/')
		sw_buf_setlen(&base, base.len - 1);
	sw_buf_addf(&url, "%s/latest/api/token", base.ptr);
	ret = imds_request("PUT", url.ptr, "x-aws-ec2-metadata-token-ttl-seconds: 21600", timeout_ms, &res);
	if (ret < 0) {
		ret = sw_error_prefix("instance metadata %s", base.ptr);
		goto cleanup;
	}
	if (res.status != 200 || !res.body.len || strpbrk(res.body.ptr, "\r\n")) {
		ret = sw_error_code(SW_EUNAVAIL, "instance metadata %s: token request answered HTTP %ld", base.ptr,
				    res.status);
		goto cleanup;
	}
	sw_buf_addf(&hdr, "x-aws-ec2-metadata-token: %s", res.body.ptr);
	sw_buf_reset(&url);
	sw_buf_addf(&url, "%s%s", base.ptr, path);
	ret = imds_request("GET", url.ptr, hdr.ptr, timeout_ms, &res);
	if (ret < 0) {
		ret = sw_error_prefix("instance metadata %s", base.ptr);
		goto cleanup;
	}
	if (res.status != 200) {
		ret = sw_error_code(res.status == 404 ? SW_ENOTFOUND : SW_EUNAVAIL, "instance metadata %s%s: HTTP %ld",
				    base.ptr, path, res.status);
		goto cleanup;
	}
	sw_buf_add(out, res.body.ptr, res.body.len);
	ret = 0;
cleanup:
	if (hdr.len)
		OPENSSL_cleanse(hdr.ptr, hdr.len);
	sw_buf_release(&base);
	sw_buf_release(&url);
	sw_buf_release(&hdr);
	sw_http_response_release(&res);
	return ret;
}
