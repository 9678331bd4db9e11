#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "common/aws/credentials.h"
#include "common/aws/endpoint.h"
#include "common/aws/profile.h"
#include "common/buf.h"
#include "common/env.h"
#include "common/error.h"
#include "common/http.h"
#include "common/json.h"
#include "common/log.h"
#include "common/strvec.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define ADVISORY_REFRESH (15 * 60)
#define MANDATORY_REFRESH (10 * 60)
#define MAX_METADATA_BODY (64 * 1024)
#define MAX_TOKEN_FILE (16 * 1024)

enum source { SRC_NONE, SRC_STATIC, SRC_ENV, SRC_CRED_FILE, SRC_CONFIG_FILE, SRC_CONTAINER, SRC_IMDS };

struct sw_aws_credentials {
	pthread_mutex_t lock;
	char *profile;
	time_t (*now)(void *ctx);
	void *now_ctx;
	char *container_base;
	char *imds_endpoint;
	struct sw_aws_creds cached;
	enum source source;
};

void sw_aws_creds_init(struct sw_aws_creds *c)
{
	memset(c, 0, sizeof(*c));
}

void sw_aws_creds_release(struct sw_aws_creds *c)
{
	if (c->secret_access_key)
		OPENSSL_cleanse(c->secret_access_key, strlen(c->secret_access_key));
	if (c->session_token)
		OPENSSL_cleanse(c->session_token, strlen(c->session_token));
	free(c->access_key_id);
	free(c->secret_access_key);
	free(c->session_token);
	memset(c, 0, sizeof(*c));
}

void sw_aws_creds_copy(struct sw_aws_creds *dst, const struct sw_aws_creds *src)
{
	sw_aws_creds_release(dst);
	dst->access_key_id = src->access_key_id ? xstrdup(src->access_key_id) : NULL;
	dst->secret_access_key = src->secret_access_key ? xstrdup(src->secret_access_key) : NULL;
	dst->session_token = src->session_token ? xstrdup(src->session_token) : NULL;
	dst->expiration = src->expiration;
	dst->source = src->source;
}

static void set_creds(struct sw_aws_creds *c, const char *akid, const char *secret, const char *token,
		      time_t exp, const char *source)
{
	sw_aws_creds_release(c);
	c->access_key_id = xstrdup(akid);
	c->secret_access_key = xstrdup(secret);
	c->session_token = token && *token ? xstrdup(token) : NULL;
	c->expiration = exp;
	c->source = source;
}

static time_t clock_now(const struct sw_aws_credentials *c)
{
	return c->now ? c->now(c->now_ctx) : time(NULL);
}

int sw_aws_credentials_new(struct sw_aws_credentials **out, const struct sw_aws_credentials_options *opt)
{
	struct sw_aws_credentials *c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->lock, NULL);
	sw_aws_creds_init(&c->cached);
	if (opt) {
		c->profile = opt->profile ? xstrdup(opt->profile) : NULL;
		c->now = opt->now;
		c->now_ctx = opt->now_ctx;
		c->container_base = opt->container_base ? xstrdup(opt->container_base) : NULL;
		c->imds_endpoint = opt->imds_endpoint ? xstrdup(opt->imds_endpoint) : NULL;
		if (opt->access_key_id || opt->secret_access_key) {
			if (!opt->access_key_id || !*opt->access_key_id || !opt->secret_access_key ||
			    !*opt->secret_access_key) {
				sw_aws_credentials_free(c);
				*out = NULL;
				return sw_error_code(SW_EINVAL, "static AWS credentials need both a key id and a secret");
			}
			set_creds(&c->cached, opt->access_key_id, opt->secret_access_key, opt->session_token, 0,
				  "static");
			c->source = SRC_STATIC;
		}
	}
	*out = c;
	return 0;
}

void sw_aws_credentials_free(struct sw_aws_credentials *c)
{
	if (!c)
		return;
	sw_aws_creds_release(&c->cached);
	free(c->profile);
	free(c->container_base);
	free(c->imds_endpoint);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void sw_aws_credentials_invalidate(struct sw_aws_credentials *c)
{
	pthread_mutex_lock(&c->lock);
	if (c->source != SRC_STATIC) {
		sw_aws_creds_release(&c->cached);
		c->source = SRC_NONE;
	}
	pthread_mutex_unlock(&c->lock);
}

/* ---- providers: 0 found (out set), 1 not there (tried gets why), < 0 final error ---- */

static int from_environment(struct sw_aws_creds *out, struct sw_buf *tried)
{
	const char *akid = sw_env_str("AWS_ACCESS_KEY_ID");
	const char *secret = sw_env_str("AWS_SECRET_ACCESS_KEY");
	const char *token = sw_env_str("AWS_SESSION_TOKEN");

	if (!token)
		token = sw_env_str("AWS_SECURITY_TOKEN");
	if (akid && secret) {
		set_creds(out, akid, secret, token, 0, "environment");
		return 0;
	}
	if (akid || secret)
		return sw_error_code(SW_EINVAL, "partial AWS credentials in the environment: %s is set but %s is not",
				     akid ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
				     akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	sw_buf_adds(tried, "environment (AWS_ACCESS_KEY_ID not set)");
	return 1;
}

/* Keys of one INI section; what: "shared credentials file", section: as written in the file. */
static int from_ini(struct sw_aws_creds *out, struct sw_buf *tried, const struct sw_aws_ini *ini, const char *path,
		    const char *section, const char *what, const char *source)
{
	const char *akid = sw_aws_ini_get(ini, section, "aws_access_key_id");
	const char *secret = sw_aws_ini_get(ini, section, "aws_secret_access_key");
	const char *token = sw_aws_ini_get(ini, section, "aws_session_token");
	static const char *const unsupported[] = { "credential_process", "role_arn", "sso_session", "sso_start_url",
						   "web_identity_token_file", NULL };
	const char *const *u;

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
		set_creds(out, akid, secret, token, 0, source);
		return 0;
	}
	if ((akid && *akid) || (secret && *secret))
		return sw_error_code(SW_EINVAL, "%s: [%s] has %s but not %s", path, section,
				     akid && *akid ? "aws_access_key_id" : "aws_secret_access_key",
				     akid && *akid ? "aws_secret_access_key" : "aws_access_key_id");
	for (u = unsupported; *u; u++)
		if (sw_aws_ini_get(ini, section, *u)) {
			sw_buf_addf(tried, "([%s] uses %s, which slipway does not support)", section, *u);
			return 1;
		}
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
	set_creds(out, akid, secret, token, (time_t)expires, source);
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

static int read_token_file(const char *path, struct sw_buf *out)
{
	char chunk[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret = 0;
	if (fd < 0)
		return sw_error_errno("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s", path);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (sw_buf_add(out, chunk, (size_t)n) < 0) {
			ret = sw_error_code(SW_ETOOBIG, "%s: larger than %d bytes", path, MAX_TOKEN_FILE);
			break;
		}
	if (n < 0)
		ret = sw_error_errno("read %s", path);
	close(fd);
	sw_buf_rtrim(out);
	return ret;
}

static int from_container(struct sw_aws_credentials *c, struct sw_aws_creds *out, struct sw_buf *tried)
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
		sw_buf_addf(&url, "%s%s%s", c->container_base ? c->container_base : "http://169.254.170.2",
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
		if ((ret = read_token_file(token_file, &token)) < 0)
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

static int from_imds(struct sw_aws_credentials *c, const struct sw_aws_profile *p, struct sw_aws_creds *out,
		     struct sw_buf *tried)
{
	const char *disabled = getenv("AWS_EC2_METADATA_DISABLED");
	const char *base = c->imds_endpoint;
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

/* The whole chain. 0 with out set and *src, or < 0 (error slot set). */
static int resolve_chain(struct sw_aws_credentials *c, struct sw_aws_creds *out, enum source *src)
{
	struct sw_aws_profile p;
	struct sw_buf tried = SW_BUF_INIT;
	int r, ret;

	r = from_environment(out, &tried);
	if (r <= 0) {
		*src = SRC_ENV;
		sw_buf_release(&tried);
		return r;
	}
	if ((ret = sw_aws_profile_load(&p, c->profile)) < 0)
		goto cleanup;
	if (p.explicit_name && !sw_aws_profile_exists(&p)) {
		ret = sw_error_code(SW_ENOTFOUND, "AWS profile '%s' not found in %s or %s", p.name, p.credentials_path,
				    p.config_path);
		goto cleanup;
	}
	r = from_ini(out, &tried, &p.credentials, p.credentials_path, p.name, "shared credentials file",
		     "shared-credentials-file");
	if (r <= 0) {
		*src = SRC_CRED_FILE;
		ret = r;
		goto cleanup;
	}
	r = from_ini(out, &tried, &p.config, p.config_path, p.config_section, "shared config file",
		     "shared-config-file");
	if (r <= 0) {
		*src = SRC_CONFIG_FILE;
		ret = r;
		goto cleanup;
	}
	r = from_container(c, out, &tried);
	if (r <= 0) {
		*src = SRC_CONTAINER;
		ret = r;
		goto cleanup;
	}
	r = from_imds(c, &p, out, &tried);
	if (r <= 0) {
		*src = SRC_IMDS;
		ret = r;
		goto cleanup;
	}
	ret = sw_error_code(SW_ENOTFOUND, "no AWS credentials: %s", tried.ptr);
cleanup:
	sw_aws_profile_release(&p);
	sw_buf_release(&tried);
	return ret;
}

/* Fetch again from the provider the cached credentials came from. */
static int refresh(struct sw_aws_credentials *c, struct sw_aws_creds *out)
{
	struct sw_buf tried = SW_BUF_INIT;
	struct sw_aws_profile p;
	int r;

	if (c->source == SRC_CONTAINER) {
		r = from_container(c, out, &tried);
	} else {
		if (sw_aws_profile_load(&p, c->profile) < 0) {
			sw_aws_profile_release(&p);
			sw_aws_profile_load(&p, "default");
		}
		r = from_imds(c, &p, out, &tried);
		sw_aws_profile_release(&p);
	}
	if (r > 0)
		r = sw_error_code(SW_EUNAVAIL, "%s", tried.ptr + (tried.len > 2 ? 2 : 0));
	sw_buf_release(&tried);
	return r;
}

int sw_aws_credentials_get(struct sw_aws_credentials *c, struct sw_aws_creds *out)
{
	struct sw_aws_creds fresh;
	enum source src = SRC_NONE;
	time_t now;
	int ret = 0;

	sw_aws_creds_init(&fresh);
	pthread_mutex_lock(&c->lock);
	now = clock_now(c);
	if (c->source != SRC_NONE) {
		time_t exp = c->cached.expiration;
		if (!exp || now < exp - ADVISORY_REFRESH)
			goto hand_out;
		if (refresh(c, &fresh) == 0) {
			sw_aws_creds_copy(&c->cached, &fresh);
			goto hand_out;
		}
		if (now < exp - MANDATORY_REFRESH) {
			sw_log_warn("AWS credentials (%s) expire at %ld; refresh failed, keeping them: %s",
				    c->cached.source, (long)exp, sw_error_last());
			goto hand_out;
		}
		ret = sw_error_prefix("AWS credentials from %s expire in %lds and could not be refreshed",
				      c->cached.source, (long)(exp - now));
		sw_aws_creds_release(&c->cached);
		c->source = SRC_NONE;
		goto cleanup;
	}
	if ((ret = resolve_chain(c, &fresh, &src)) < 0)
		goto cleanup;
	sw_aws_creds_copy(&c->cached, &fresh);
	c->source = src;
hand_out:
	sw_aws_creds_copy(out, &c->cached);
	ret = 0;
cleanup:
	pthread_mutex_unlock(&c->lock);
	sw_aws_creds_release(&fresh);
	return ret;
}
