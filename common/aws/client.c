#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <libxml/parser.h>

#include "common/aws/client.h"
#include "common/aws/profile.h"
#include "common/aws/query.h"
#include "common/aws/source.h"
#include "common/aws/sigv4.h"
#include "common/error.h"
#include "common/http.h"
#include "common/json.h"
#include "common/strvec.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

struct sw_aws_client {
	char *region;
	struct sw_aws_endpoint endpoints[SW_AWS_NR_SERVICES];
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
	for (i = 0; i < SW_AWS_NR_SERVICES && sw_aws_services[i].name; i++)
		if (name && !strcmp(sw_aws_services[i].name, name))
			return i;
	return -1;
}

static int sts_call(void *ctx, const char *operation, const json_t *params, const struct sw_aws_creds *signer,
		    json_t **out);

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
	for (i = 0; i < SW_AWS_NR_SERVICES; i++)
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
		if (!co.sts.call) {
			co.sts.call = sts_call;
			co.sts.ctx = c;
		}
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
	for (i = 0; i < SW_AWS_NR_SERVICES; i++)
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

/* One sw_aws_call(): what every attempt shares. */
struct call {
	struct sw_aws_client *c;
	const struct sw_aws_service *svc;
	const struct sw_aws_endpoint *ep;
	const char *operation;
	const struct sw_aws_creds *fixed; /* sign with these instead of the chain's ... */
	int anonymous;                    /* ... or not at all (STS AssumeRoleWithWebIdentity) */
	struct sw_buf body, url;
	struct sw_strvec base;   /* Host, Content-Type, X-Amz-Target: sent by every attempt */
	struct sw_buf last;      /* what went wrong the last time, for the final error */
	long long deadline;      /* sw_time_mono_ms() by which the call ends */
	int spent;               /* retry quota taken */
};

static void call_release(struct call *k)
{
	sw_buf_release(&k->body);
	sw_buf_release(&k->url);
	sw_buf_release(&k->last);
	sw_strvec_clear(&k->base);
}

/* Check the call and make the body and the headers every attempt shares. */
static int call_init(struct call *k, struct sw_aws_client *c, const char *service, const char *operation,
		     const json_t *params)
{
	int idx = service_index(service);
	char *text = NULL;

	memset(k, 0, sizeof(*k));
	sw_buf_init(&k->body, 0);
	sw_buf_init(&k->url, 0);
	sw_buf_init(&k->last, 0);
	sw_strvec_init(&k->base);
	k->c = c;
	k->operation = operation;
	k->deadline = sw_time_mono_ms() + c->call_timeout_ms;
	if (idx < 0)
		return sw_error_code(SW_EINVAL, "unknown AWS service '%s' (ecs, ecr, elbv2, logs, cloudformation, sts, acm)",
				     service ? service : "");
	k->svc = &sw_aws_services[idx];
	k->ep = &c->endpoints[idx];
	if (!valid_operation(operation))
		return sw_error_code(SW_EINVAL, "%s: '%s' is not an operation name", k->svc->name,
				     operation ? operation : "");
	if (params && !json_is_object(params))
		return sw_error_code(SW_EINVAL, "%s %s: the parameters must be a JSON object", k->svc->name, operation);

	sw_strvec_pushf(&k->base, "Host: %s", k->ep->host);
	if (k->svc->protocol == SW_AWS_JSON) {
		text = params ? json_dumps(params, JSON_COMPACT) : NULL;
		sw_buf_adds(&k->body, text ? text : "{}");
		free(text);
		sw_strvec_push(&k->base, "Content-Type: application/x-amz-json-1.1");
		sw_strvec_pushf(&k->base, "X-Amz-Target: %s.%s", k->svc->target_prefix, operation);
	} else {
		if (sw_aws_query_encode(&k->body, k->svc->model, operation, params) < 0)
			return sw_error_prefix("%s", k->svc->name);
		sw_strvec_push(&k->base, "Content-Type: application/x-www-form-urlencoded; charset=utf-8");
	}
	sw_buf_addf(&k->url, "%s%s", k->ep->url, strcmp(k->ep->path, "/") ? "" : "/");
	return 0;
}

/* The time left for one more attempt; past the call timeout: SW_ETIMEOUT (the attempt not counted). */
static int time_left(struct call *k, struct sw_aws_result *res, long *remaining)
{
	*remaining = (long)(k->deadline - sw_time_mono_ms());
	if (*remaining > 0)
		return 0;
	res->attempts--;
	return sw_error_code(SW_ETIMEOUT, "%s %s: no answer within the call timeout of %.1f s%s%s", k->svc->name,
			     k->operation, k->c->call_timeout_ms / 1000.0, k->last.len ? "; last: " : "", k->last.ptr);
}

/* The shared headers with SigV4's (signed now, with the credentials of now) and the User-Agent. */
static int sign(struct call *k, struct sw_aws_result *res, struct sw_strvec *all)
{
	struct sw_aws_creds creds;
	struct sw_sigv4_params sp;
	struct sw_sigv4_request sr;
	struct sw_sigv4_result signed_;
	struct sw_sigv4_header hdrs[8];
	char *names[8] = { 0 };
	size_t nr = 0, i;
	int r;

	if (k->anonymous) {
		sw_strvec_pushv(all, k->base.v);
		sw_strvec_push(all, "User-Agent: slipway sw_aws");
		return 0;
	}
	sw_aws_creds_init(&creds);
	if (k->fixed) {
		sw_aws_creds_copy(&creds, k->fixed);
	} else if (sw_aws_credentials_get(k->c->creds, &creds) < 0) {
		r = sw_error_prefix("%s %s", k->svc->name, k->operation);
		if (r == SW_ENOTFOUND)
			r = sw_error_code(SW_EAUTH, "%s", sw_error_last());
		res->attempts--;
		return r;
	}
	memset(&sp, 0, sizeof(sp));
	sp.access_key_id = creds.access_key_id;
	sp.secret_access_key = creds.secret_access_key;
	sp.session_token = creds.session_token;
	sp.region = k->c->region;
	sp.service = k->svc->signing_name;
	sp.now = k->c->now ? k->c->now(k->c->now_ctx) : time(NULL);
	split_headers(&k->base, hdrs, names, &nr);
	memset(&sr, 0, sizeof(sr));
	sr.method = "POST";
	sr.path = k->ep->path;
	sr.headers = hdrs;
	sr.nr_headers = nr;
	sr.body = k->body.ptr;
	sr.body_len = k->body.len;
	sw_sigv4_result_init(&signed_);
	r = sw_sigv4_sign(&sp, &sr, &signed_);
	sw_aws_creds_release(&creds);
	for (i = 0; i < nr; i++)
		free(names[i]);
	if (r < 0) {
		sw_sigv4_result_release(&signed_);
		return sw_error_prefix("%s %s", k->svc->name, k->operation);
	}
	sw_strvec_pushv(all, k->base.v);
	sw_strvec_pushv(all, signed_.headers.v);
	sw_strvec_push(all, "User-Agent: slipway sw_aws");
	sw_sigv4_result_release(&signed_);
	return 0;
}

/* POST it, within the time left. sw_http_do()'s result; no answer is said in k->last. */
static int send_once(struct call *k, const struct sw_strvec *headers, long remaining, struct sw_http_response *http)
{
	struct sw_http_request req;
	int r;

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = k->url.ptr;
	req.headers = headers;
	req.body = k->body.ptr;
	req.body_len = k->body.len;
	req.max_body = k->c->max_response;
	req.connect_timeout_ms = k->c->connect_timeout_ms < remaining ? k->c->connect_timeout_ms : remaining;
	req.timeout_ms = k->c->attempt_timeout_ms < remaining ? k->c->attempt_timeout_ms : remaining;
	r = sw_http_do(&req, http);
	if (r < 0) {
		sw_buf_reset(&k->last);
		if (r == SW_ETIMEOUT)
			sw_buf_addf(&k->last, "no answer from %s within %.1f s", k->url.ptr, req.timeout_ms / 1000.0);
		else
			sw_buf_addf(&k->last, "%s", sw_error_last());
	}
	return r;
}

/* An answer's status and request id into res; its x-amz-retry-after (seconds), -1 when none. */
static long note_answer(const struct sw_http_response *http, struct sw_aws_result *res)
{
	const char *rid = sw_http_header(http, "x-amzn-requestid");
	const char *ra = sw_http_header(http, "x-amz-retry-after");
	long retry_after = -1;

	res->status = http->status;
	if (rid)
		sw_buf_adds(&res->request_id, rid);
	if (ra) {
		char *end;
		long v = strtol(ra, &end, 10);
		if (end != ra && !*end && v >= 0)
			retry_after = v;
	}
	return retry_after;
}

/* A 2xx answer decoded into res->response (JSON 1.1 as it came, Query XML through the model). */
static int take_answer(struct call *k, const struct sw_http_response *http, struct sw_aws_result *res)
{
	json_t *j = NULL;

	if (k->svc->protocol == SW_AWS_JSON) {
		json_error_t jerr;
		j = http->body.len ? json_loadb(http->body.ptr, http->body.len, 0, &jerr) : json_object();
		if (!json_is_object(j)) {
			json_decref(j);
			return sw_error("%s %s: the answer is not a JSON object", k->svc->name, k->operation);
		}
	} else if (sw_aws_query_decode(&j, k->svc->model, k->operation, http->body.ptr, http->body.len,
				       res->request_id.len ? NULL : &res->request_id) < 0) {
		return SW_ERROR;
	}
	res->response = j;
	if (!k->c->retry.no_quota)
		sw_aws_retry_quota_success(&k->c->quota, k->spent);
	return 0;
}

/* An error answer: its code and message into res and k->last; *ret the call's code; whether to retry. */
static enum sw_aws_retry_kind read_error(struct call *k, const struct sw_http_response *http,
					 struct sw_aws_result *res, int *ret)
{
	if (k->svc->protocol == SW_AWS_JSON)
		json_error(http, res);
	else
		sw_aws_query_decode_error(http->body.ptr, http->body.len, &res->error_code, &res->error_message,
					  res->request_id.len ? NULL : &res->request_id);
	fallback_error(http, res);
	sw_buf_reset(&k->last);
	sw_buf_addf(&k->last, "%s%s%s", res->error_code.ptr, res->error_message.len ? ": " : "", res->error_message.ptr);
	*ret = is_auth_code(res->error_code.ptr) ? SW_EAUTH : SW_ERROR;
	if (!k->fixed && !k->anonymous &&
	    (!strncmp(res->error_code.ptr, "ExpiredToken", 12) || !strcmp(res->error_code.ptr, "RequestExpired")))
		sw_aws_credentials_invalidate(k->c->creds);
	return sw_aws_retry_classify(http->status, res->error_code.ptr, 0);
}

/* Wait before the next attempt, when the quota and the time left allow one: 1, else 0 (said in k->last). */
static int wait_to_retry(struct call *k, struct sw_aws_result *res, enum sw_aws_retry_kind kind, long retry_after)
{
	struct sw_aws_client *c = k->c;
	long delay = sw_aws_retry_delay_ms(&c->retry, kind, res->attempts, retry_after);
	int cost = c->retry.no_quota ? 1 : sw_aws_retry_quota_acquire(&c->quota, kind);

	if (!cost) {
		sw_buf_adds(&k->last, " (retry quota exhausted)");
		return 0;
	}
	k->spent += c->retry.no_quota ? 0 : cost;
	if (sw_time_mono_ms() + delay >= k->deadline) {
		sw_buf_addf(&k->last, " (no time left to retry within %.1f s)", c->call_timeout_ms / 1000.0);
		return 0;
	}
	sw_aws_retry_sleep(&c->retry, delay);
	res->backoff_ms += delay;
	return 1;
}

/* One call, signed with the chain's credentials, with fixed ones (fixed set), or unsigned
 * (anonymous). */
static int run_call(struct sw_aws_client *c, const char *service, const char *operation, const json_t *params,
		    const struct sw_aws_creds *fixed, int anonymous, struct sw_aws_result *res)
{
	struct call k;
	struct sw_http_response http = SW_HTTP_RESPONSE_INIT;
	int max_attempts = c->retry.max_attempts > 0 ? c->retry.max_attempts : 3;
	int ret;

	sw_aws_result_release(res);
	ret = call_init(&k, c, service, operation, params);
	k.fixed = fixed;
	k.anonymous = anonymous;
	if (ret < 0)
		goto cleanup;
	for (res->attempts = 1;; res->attempts++) {
		struct sw_strvec headers = SW_STRVEC_INIT;
		enum sw_aws_retry_kind kind;
		long remaining, retry_after = -1;
		int r;

		sw_buf_reset(&res->error_code);
		sw_buf_reset(&res->error_message);
		sw_buf_reset(&res->request_id);
		res->status = 0;
		if ((ret = time_left(&k, res, &remaining)) < 0 || (ret = sign(&k, res, &headers)) < 0)
			goto cleanup;
		r = send_once(&k, &headers, remaining, &http);
		sw_strvec_clear(&headers);
		if (r < 0) {   /* no answer */
			kind = sw_aws_retry_classify(0, NULL, r);
			ret = r;
		} else {
			retry_after = note_answer(&http, res);
			if (http.status >= 200 && http.status < 300) {
				ret = take_answer(&k, &http, res);
				goto cleanup;
			}
			kind = read_error(&k, &http, res, &ret);
		}
		if (kind == SW_AWS_RETRY_NO || res->attempts >= max_attempts || !wait_to_retry(&k, res, kind, retry_after))
			break;
	}
	if (res->attempts > 1)
		sw_error_code(ret, "%s %s: %s (%d attempts)", k.svc->name, operation, k.last.ptr, res->attempts);
	else
		sw_error_code(ret, "%s %s: %s", k.svc->name, operation, k.last.ptr);
cleanup:
	call_release(&k);
	sw_http_response_release(&http);
	return ret;
}

int sw_aws_call(struct sw_aws_client *c, const char *service, const char *operation, const json_t *params,
		struct sw_aws_result *res)
{
	return run_call(c, service, operation, params, NULL, 0, res);
}

/*
 * The chain's way to STS (botocore's client_creator): this client's region and STS
 * endpoint, signed with the source credentials, or unsigned when there are none
 * (AssumeRoleWithWebIdentity). Runs under the chain's lock: it never touches the chain.
 */
static int sts_call(void *ctx, const char *operation, const json_t *params, const struct sw_aws_creds *signer,
		    json_t **out)
{
	struct sw_aws_result res;
	int ret;

	sw_aws_result_init(&res);
	*out = NULL;
	if (strcmp(operation, "AssumeRole") && strcmp(operation, "AssumeRoleWithWebIdentity"))
		return sw_error_code(SW_EINVAL, "sts %s: not an operation of the credential chain", operation);
	ret = run_call(ctx, "sts", !strcmp(operation, "AssumeRole") ? "AssumeRole" : "AssumeRoleWithWebIdentity",
		       params, signer, signer == NULL, &res);
	if (ret == 0) {
		*out = res.response;
		res.response = NULL;
	}
	sw_aws_result_release(&res);
	return ret;
}
