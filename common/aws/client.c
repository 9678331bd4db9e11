#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <libxml/parser.h>

#include "common/aws/client.h"
#include "common/aws/profile.h"
#include "common/aws/query.h"
#include "common/aws/sigv4.h"
#include "common/error.h"
#include "common/http.h"
#include "common/json.h"
#include "common/strvec.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define NR_SERVICES 4

struct sw_aws_client {
	char *region;
	struct sw_aws_endpoint endpoints[NR_SERVICES];
	struct sw_aws_credentials *creds;
	int own_creds;
	long connect_timeout_ms, attempt_timeout_ms, call_timeout_ms;
	size_t max_response;
	struct sw_aws_retry_options retry;
	struct sw_aws_retry_quota quota;
	time_t (*now)(void *ctx);
	void *now_ctx;
};

int sw_aws_global_init(void)
{
	xmlInitParser();
	return sw_http_global_init();
}

void sw_aws_result_init(struct sw_aws_result *res)
{
	memset(res, 0, sizeof(*res));
	sw_buf_init(&res->request_id, 0);
	sw_buf_init(&res->error_code, 0);
	sw_buf_init(&res->error_message, 0);
}

void sw_aws_result_release(struct sw_aws_result *res)
{
	json_decref(res->response);
	res->response = NULL;
	res->status = 0;
	res->attempts = 0;
	res->backoff_ms = 0;
	sw_buf_release(&res->request_id);
	sw_buf_release(&res->error_code);
	sw_buf_release(&res->error_message);
}

static int service_index(const char *name)
{
	int i;
	for (i = 0; i < NR_SERVICES && sw_aws_services[i].name; i++)
		if (name && !strcmp(sw_aws_services[i].name, name))
			return i;
	return -1;
}

int sw_aws_client_new(struct sw_aws_client **out, const struct sw_aws_client_options *opt)
{
	static const struct sw_aws_client_options defaults;
	struct sw_aws_client *c = xcalloc(1, sizeof(*c));
	struct sw_aws_profile p;
	struct sw_buf region = SW_BUF_INIT;
	int i, ret;

	*out = NULL;
	if (!opt)
		opt = &defaults;
	sw_aws_retry_quota_init(&c->quota);
	c->connect_timeout_ms = opt->connect_timeout_ms > 0 ? opt->connect_timeout_ms : 5000;
	c->attempt_timeout_ms = opt->attempt_timeout_ms > 0 ? opt->attempt_timeout_ms : 30000;
	c->call_timeout_ms = opt->call_timeout_ms > 0 ? opt->call_timeout_ms : 120000;
	c->max_response = opt->max_response ? opt->max_response : (8u << 20);
	c->retry = opt->retry;
	c->now = opt->now;
	c->now_ctx = opt->now_ctx;

	if ((ret = sw_aws_profile_load(&p, opt->profile)) < 0)
		goto cleanup;
	if (opt->region && *opt->region) {
		const char *r;
		for (r = opt->region; *r; r++)
			if (!(islower((unsigned char)*r) || isdigit((unsigned char)*r) || *r == '-')) {
				ret = sw_error_code(SW_EINVAL, "bad AWS region '%s'", opt->region);
				goto cleanup;
			}
		sw_buf_adds(&region, opt->region);
	} else if ((ret = sw_aws_region_resolve(&region, &p)) < 0) {
		/* on EC2 the instance knows its region (botocore's InstanceMetadataRegionFetcher) */
		struct sw_buf why = SW_BUF_INIT, imds = SW_BUF_INIT;
		const char *ep = opt->credentials_options ? opt->credentials_options->imds_endpoint : NULL;
		if (ret != SW_ENOTFOUND)
			goto cleanup;
		sw_buf_adds(&why, sw_error_last());
		if (!ep)
			ep = sw_aws_profile_get(&p, "ec2_metadata_service_endpoint");
		if (sw_aws_imds_get(ep, "/latest/meta-data/placement/region", &imds) == 0 && imds.len &&
		    strspn(imds.ptr, "abcdefghijklmnopqrstuvwxyz0123456789-") == imds.len && imds.len < 64) {
			sw_buf_adds(&region, imds.ptr);
		} else {
			ret = sw_error_code(SW_ENOTFOUND, "%s; %s", why.ptr, sw_error_last());
			sw_buf_release(&why);
			sw_buf_release(&imds);
			goto cleanup;
		}
		sw_buf_release(&why);
		sw_buf_release(&imds);
	}
	c->region = sw_buf_detach(&region, NULL);
	for (i = 0; i < NR_SERVICES; i++)
		if ((ret = sw_aws_endpoint_resolve(&c->endpoints[i], &sw_aws_services[i], c->region, &p,
						   opt->endpoint_url)) < 0)
			goto cleanup;
	if (opt->credentials) {
		c->creds = opt->credentials;
	} else {
		struct sw_aws_credentials_options co;
		memset(&co, 0, sizeof(co));
		if (opt->credentials_options)
			co = *opt->credentials_options;
		if (!co.profile)
			co.profile = opt->profile;
		if ((ret = sw_aws_credentials_new(&c->creds, &co)) < 0)
			goto cleanup;
		c->own_creds = 1;
	}
	*out = c;
	c = NULL;
	ret = 0;
cleanup:
	sw_aws_profile_release(&p);
	sw_buf_release(&region);
	sw_aws_client_free(c);
	return ret;
}

void sw_aws_client_free(struct sw_aws_client *c)
{
	int i;
	if (!c)
		return;
	for (i = 0; i < NR_SERVICES; i++)
		sw_aws_endpoint_release(&c->endpoints[i]);
	if (c->own_creds)
		sw_aws_credentials_free(c->creds);
	sw_aws_retry_quota_release(&c->quota);
	free(c->region);
	free(c);
}

const char *sw_aws_client_region(const struct sw_aws_client *c)
{
	return c->region;
}

const struct sw_aws_endpoint *sw_aws_client_endpoint(const struct sw_aws_client *c, const char *service)
{
	int i = service_index(service);
	return i < 0 ? NULL : &c->endpoints[i];
}

struct sw_aws_credentials *sw_aws_client_credentials(struct sw_aws_client *c)
{
	return c->creds;
}

static int is_auth_code(const char *code)
{
	static const char *const codes[] = {
		"UnrecognizedClientException", "InvalidSignatureException", "SignatureDoesNotMatch",
		"InvalidClientTokenId", "MissingAuthenticationToken", "MissingAuthenticationTokenException",
		"IncompleteSignature", "IncompleteSignatureException", "AccessDenied", "AccessDeniedException",
		"ExpiredToken", "ExpiredTokenException", "RequestExpired", "AuthFailure", NULL,
	};
	const char *const *p;
	for (p = codes; *p; p++)
		if (!strcmp(*p, code))
			return 1;
	return 0;
}

/* Error code and message from a JSON 1.1 error answer (botocore's JSONParser rules). */
static void json_error(const struct sw_http_response *http, struct sw_aws_result *res)
{
	const char *hdr = sw_http_header(http, "x-amzn-errortype");
	json_error_t jerr;
	json_t *j = http->body.len ? json_loadb(http->body.ptr, http->body.len, 0, &jerr) : NULL;
	const char *code = NULL, *msg = NULL;

	if (json_is_object(j)) {
		code = sw_json_str(j, "__type");
		if (!code)
			code = sw_json_str(j, "code");
		msg = sw_json_str(j, "message");
		if (!msg)
			msg = sw_json_str(j, "Message");
	}
	if (code && *code) {
		const char *hash = strrchr(code, '#');
		sw_buf_adds(&res->error_code, hash ? hash + 1 : code);
	} else if (hdr && *hdr) {
		sw_buf_add(&res->error_code, hdr, strcspn(hdr, ":"));
	}
	if (msg)
		sw_buf_adds(&res->error_message, msg);
	json_decref(j);
}

/* No code in the answer: name it by its status, keep the start of the body as the message. */
static void fallback_error(const struct sw_http_response *http, struct sw_aws_result *res)
{
	size_t n;
	if (res->error_code.len)
		return;
	sw_buf_addf(&res->error_code, "HTTP%ld", http->status);
	if (!res->error_message.len && http->body.len) {
		n = http->body.len < 200 ? http->body.len : 200;
		sw_buf_add(&res->error_message, http->body.ptr, n);
	}
}

static int valid_operation(const char *op)
{
	const char *p;
	if (!op || !isupper((unsigned char)*op) || strlen(op) > 100)
		return 0;
	for (p = op; *p; p++)
		if (!isalnum((unsigned char)*p))
			return 0;
	return 1;
}

static void split_headers(const struct sw_strvec *lines, struct sw_sigv4_header *out, char **names, size_t *nr)
{
	size_t i;
	for (i = 0; i < lines->nr; i++) {
		const char *line = lines->v[i];
		const char *colon = strchr(line, ':');
		names[i] = xstrndup(line, (size_t)(colon - line));
		out[i].name = names[i];
		out[i].value = colon + 1 + (colon[1] == ' ');
	}
	*nr = lines->nr;
}

int sw_aws_call(struct sw_aws_client *c, const char *service, const char *operation, const json_t *params,
		struct sw_aws_result *res)
{
	const struct sw_aws_service *svc;
	const struct sw_aws_endpoint *ep;
	struct sw_buf body = SW_BUF_INIT, url = SW_BUF_INIT, last = SW_BUF_INIT;
	struct sw_strvec base = SW_STRVEC_INIT;
	struct sw_http_response http = SW_HTTP_RESPONSE_INIT;
	int max_attempts = c->retry.max_attempts > 0 ? c->retry.max_attempts : 3;
	long deadline = sw_time_mono_ms() + c->call_timeout_ms;
	int spent = 0, ret = SW_ERROR, idx;
	char *text = NULL;

	sw_aws_result_release(res);
	idx = service_index(service);
	if (idx < 0)
		return sw_error_code(SW_EINVAL, "unknown AWS service '%s' (ecs, ecr, elbv2, logs)", service ? service : "");
	svc = &sw_aws_services[idx];
	ep = &c->endpoints[idx];
	if (!valid_operation(operation))
		return sw_error_code(SW_EINVAL, "%s: '%s' is not an operation name", svc->name, operation ? operation : "");
	if (params && !json_is_object(params))
		return sw_error_code(SW_EINVAL, "%s %s: the parameters must be a JSON object", svc->name, operation);

	/* the body and the headers every attempt shares */
	sw_strvec_pushf(&base, "Host: %s", ep->host);
	if (svc->protocol == SW_AWS_JSON) {
		text = params ? json_dumps(params, JSON_COMPACT) : NULL;
		sw_buf_adds(&body, text ? text : "{}");
		sw_strvec_push(&base, "Content-Type: application/x-amz-json-1.1");
		sw_strvec_pushf(&base, "X-Amz-Target: %s.%s", svc->target_prefix, operation);
	} else {
		if (sw_aws_query_encode(&body, &sw_aws_elbv2_model, operation, params) < 0) {
			ret = sw_error_prefix("%s", svc->name);
			goto cleanup;
		}
		sw_strvec_push(&base, "Content-Type: application/x-www-form-urlencoded; charset=utf-8");
	}
	sw_buf_addf(&url, "%s%s", ep->url, strcmp(ep->path, "/") ? "" : "/");

	for (res->attempts = 1;; res->attempts++) {
		struct sw_aws_creds creds;
		struct sw_sigv4_params sp;
		struct sw_sigv4_request sr;
		struct sw_sigv4_result signed_;
		struct sw_sigv4_header hdrs[8];
		char *names[8] = { 0 };
		size_t nr = 0, i;
		struct sw_strvec all = SW_STRVEC_INIT;
		struct sw_http_request req;
		enum sw_aws_retry_kind kind;
		long remaining = deadline - sw_time_mono_ms();
		long retry_after = -1;
		int r;

		sw_buf_reset(&res->error_code);
		sw_buf_reset(&res->error_message);
		sw_buf_reset(&res->request_id);
		res->status = 0;
		if (remaining <= 0) {
			ret = sw_error_code(SW_ETIMEOUT, "%s %s: no answer within the call timeout of %.1f s%s%s",
					    svc->name, operation, c->call_timeout_ms / 1000.0, last.len ? "; last: " : "",
					    last.ptr);
			res->attempts--;
			goto cleanup;
		}

		sw_aws_creds_init(&creds);
		if (sw_aws_credentials_get(c->creds, &creds) < 0) {
			ret = sw_error_prefix("%s %s", svc->name, operation);
			if (ret == SW_ENOTFOUND)
				ret = sw_error_code(SW_EAUTH, "%s", sw_error_last());
			res->attempts--;
			goto cleanup;
		}
		memset(&sp, 0, sizeof(sp));
		sp.access_key_id = creds.access_key_id;
		sp.secret_access_key = creds.secret_access_key;
		sp.session_token = creds.session_token;
		sp.region = c->region;
		sp.service = svc->signing_name;
		sp.now = c->now ? c->now(c->now_ctx) : time(NULL);
		split_headers(&base, hdrs, names, &nr);
		memset(&sr, 0, sizeof(sr));
		sr.method = "POST";
		sr.path = ep->path;
		sr.headers = hdrs;
		sr.nr_headers = nr;
		sr.body = body.ptr;
		sr.body_len = body.len;
		sw_sigv4_result_init(&signed_);
		r = sw_sigv4_sign(&sp, &sr, &signed_);
		sw_aws_creds_release(&creds);
		for (i = 0; i < nr; i++)
			free(names[i]);
		if (r < 0) {
			sw_sigv4_result_release(&signed_);
			ret = sw_error_prefix("%s %s", svc->name, operation);
			goto cleanup;
		}
		sw_strvec_pushv(&all, base.v);
		sw_strvec_pushv(&all, signed_.headers.v);
		sw_strvec_push(&all, "User-Agent: slipway sw_aws");
		sw_sigv4_result_release(&signed_);

		memset(&req, 0, sizeof(req));
		req.method = "POST";
		req.url = url.ptr;
		req.headers = &all;
		req.body = body.ptr;
		req.body_len = body.len;
		req.max_body = c->max_response;
		req.connect_timeout_ms = c->connect_timeout_ms < remaining ? c->connect_timeout_ms : remaining;
		req.timeout_ms = c->attempt_timeout_ms < remaining ? c->attempt_timeout_ms : remaining;
		r = sw_http_do(&req, &http);
		sw_strvec_clear(&all);

		if (r < 0) {
			/* no answer */
			int code = r;
			sw_buf_reset(&last);
			if (code == SW_ETIMEOUT)
				sw_buf_addf(&last, "no answer from %s within %.1f s", url.ptr, req.timeout_ms / 1000.0);
			else
				sw_buf_addf(&last, "%s", sw_error_last());
			kind = sw_aws_retry_classify(0, NULL, code);
			ret = code;
		} else {
			const char *rid = sw_http_header(&http, "x-amzn-requestid");
			const char *ra = sw_http_header(&http, "x-amz-retry-after");
			res->status = http.status;
			if (rid)
				sw_buf_adds(&res->request_id, rid);
			if (ra) {
				char *end;
				long v = strtol(ra, &end, 10);
				if (end != ra && !*end && v >= 0)
					retry_after = v;
			}
			if (http.status >= 200 && http.status < 300) {
				json_t *j = NULL;
				if (svc->protocol == SW_AWS_JSON) {
					json_error_t jerr;
					j = http.body.len ? json_loadb(http.body.ptr, http.body.len, 0, &jerr) : json_object();
					if (!json_is_object(j)) {
						json_decref(j);
						ret = sw_error("%s %s: the answer is not a JSON object", svc->name, operation);
						goto cleanup;
					}
				} else {
					if (sw_aws_query_decode(&j, &sw_aws_elbv2_model, operation, http.body.ptr,
								http.body.len, res->request_id.len ? NULL : &res->request_id) < 0) {
						ret = SW_ERROR;
						goto cleanup;
					}
				}
				res->response = j;
				if (!c->retry.no_quota)
					sw_aws_retry_quota_success(&c->quota, spent);
				ret = 0;
				goto cleanup;
			}
			if (svc->protocol == SW_AWS_JSON)
				json_error(&http, res);
			else
				sw_aws_query_decode_error(http.body.ptr, http.body.len, &res->error_code,
							  &res->error_message, res->request_id.len ? NULL : &res->request_id);
			fallback_error(&http, res);
			sw_buf_reset(&last);
			sw_buf_addf(&last, "%s%s%s", res->error_code.ptr, res->error_message.len ? ": " : "",
				    res->error_message.ptr);
			kind = sw_aws_retry_classify(http.status, res->error_code.ptr, 0);
			ret = is_auth_code(res->error_code.ptr) ? SW_EAUTH : SW_ERROR;
			if (!strncmp(res->error_code.ptr, "ExpiredToken", 12) || !strcmp(res->error_code.ptr, "RequestExpired"))
				sw_aws_credentials_invalidate(c->creds);
		}

		if (kind == SW_AWS_RETRY_NO || res->attempts >= max_attempts)
			break;
		{
			long delay = sw_aws_retry_delay_ms(&c->retry, kind, res->attempts, retry_after);
			int cost = c->retry.no_quota ? 1 : sw_aws_retry_quota_acquire(&c->quota, kind);
			if (!cost) {
				sw_buf_adds(&last, " (retry quota exhausted)");
				break;
			}
			spent += c->retry.no_quota ? 0 : cost;
			if (sw_time_mono_ms() + delay >= deadline) {
				sw_buf_addf(&last, " (no time left to retry within %.1f s)", c->call_timeout_ms / 1000.0);
				break;
			}
			sw_aws_retry_sleep(&c->retry, delay);
			res->backoff_ms += delay;
		}
	}
	/* the final error */
	{
		struct sw_buf tail = SW_BUF_INIT;
		if (res->attempts > 1)
			sw_buf_addf(&tail, " (%d attempts)", res->attempts);
		sw_error_code(ret, "%s %s: %s%s", svc->name, operation, last.ptr, tail.ptr);
		sw_buf_release(&tail);
	}
cleanup:
	free(text);
	sw_buf_release(&body);
	sw_buf_release(&url);
	sw_buf_release(&last);
	sw_strvec_clear(&base);
	sw_http_response_release(&http);
	return ret;
}
