/*
 * sw-aws-testtool: common/aws exposed to the python integration tests
 * (test/integration/aws). One JSON object per line on stdin, one JSON answer per line on
 * stdout. Bodies travel as base64 ("body_b64"). Ops:
 *   sign         method path query headers[[n,v]] body_b64 akid secret token region service now flags
 *                -> headers[[n,v]] canonical_request string_to_sign authorization
 *   verify       protocol(json|query) method path query headers body_b64 now region service
 *                keys{akid:{secret,token}} -> ok status code message akid
 *   creds_new    container_base imds_endpoint profile   (one chain kept across lines)
 *   creds_get    now -> ok akid secret token expiration source | ok=false error code
 *   call         service operation params endpoint_url region random max_attempts
 *                connect_timeout_ms attempt_timeout_ms call_timeout_ms now
 *                -> ok response attempts backoff_ms status error_code error_message request_id error
 *   query_encode operation params -> body
 *   query_decode operation xml -> ok response request_id | error
 *   query_error  xml -> ok code message request_id
 *   query_parse  body -> ok action params | error code
 *   query_render operation result request_id -> ok xml
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "common/aws/client.h"
#include "common/aws/credentials.h"
#include "common/aws/query.h"
#include "common/aws/sigv4.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/xalloc.h"
#include "common/banned.h"

static struct sw_aws_credentials *chain;
static time_t fake_now;

static const char *str(json_t *req, const char *key)
{
	return json_string_value(json_object_get(req, key));
}

static void b64_decode(const char *in, struct sw_buf *out)
{
	size_t n = strlen(in);
	unsigned char *buf;
	int len;
	if (!n)
		return;
	buf = xmalloc(n);
	len = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)n);
	if (len > 0) {
		if (n >= 1 && in[n - 1] == '=')
			len--;
		if (n >= 2 && in[n - 2] == '=')
			len--;
		sw_buf_add(out, buf, (size_t)len);
	}
	free(buf);
}

struct req_parts {
	struct sw_sigv4_request r;
	struct sw_sigv4_header h[256];
	struct sw_buf body;
};

static void load_request(json_t *req, struct req_parts *p)
{
	json_t *headers = json_object_get(req, "headers"), *pair;
	size_t i;

	memset(&p->r, 0, sizeof(p->r));
	sw_buf_init(&p->body, 0);
	p->r.method = str(req, "method");
	p->r.path = str(req, "path");
	p->r.query = str(req, "query");
	json_array_foreach(headers, i, pair) {
		if (i >= 256)
			break;
		p->h[i].name = json_string_value(json_array_get(pair, 0));
		p->h[i].value = json_string_value(json_array_get(pair, 1));
		p->r.nr_headers = i + 1;
	}
	p->r.headers = p->h;
	if (str(req, "body_b64"))
		b64_decode(str(req, "body_b64"), &p->body);
	p->r.body = p->body.ptr;
	p->r.body_len = p->body.len;
	p->r.payload_hash = str(req, "payload_hash");
}

static json_t *op_sign(json_t *req)
{
	struct req_parts p;
	struct sw_sigv4_params sp;
	struct sw_sigv4_result res;
	json_t *out, *hs;
	size_t i;

	load_request(req, &p);
	memset(&sp, 0, sizeof(sp));
	sp.access_key_id = str(req, "akid");
	sp.secret_access_key = str(req, "secret");
	sp.session_token = str(req, "token");
	sp.region = str(req, "region");
	sp.service = str(req, "service");
	sp.now = (time_t)json_integer_value(json_object_get(req, "now"));
	sp.flags = (unsigned)json_integer_value(json_object_get(req, "flags"));
	sw_sigv4_result_init(&res);
	if (sw_sigv4_sign(&sp, &p.r, &res) < 0) {
		out = json_pack("{s:b,s:s}", "ok", 0, "error", sw_error_last());
		goto done;
	}
	hs = json_array();
	for (i = 0; i < res.headers.nr; i++) {
		const char *line = res.headers.v[i];
		const char *colon = strchr(line, ':');
		json_array_append_new(hs, json_pack("[s#,s]", line, (int)(colon - line), colon + 2));
	}
	out = json_pack("{s:b,s:o,s:s,s:s,s:s}", "ok", 1, "headers", hs, "canonical_request",
			res.canonical_request.ptr, "string_to_sign", res.string_to_sign.ptr, "authorization",
			res.authorization.ptr);
done:
	sw_sigv4_result_release(&res);
	sw_buf_release(&p.body);
	return out;
}

static int lookup_keys(void *ctx, const char *akid, struct sw_buf *secret, struct sw_buf *token)
{
	json_t *k = json_object_get((json_t *)ctx, akid);
	if (!k)
		return SW_ENOTFOUND;
	sw_buf_adds(secret, json_string_value(json_object_get(k, "secret")));
	if (json_string_value(json_object_get(k, "token")))
		sw_buf_adds(token, json_string_value(json_object_get(k, "token")));
	return 0;
}

static json_t *op_verify(json_t *req)
{
	struct req_parts p;
	struct sw_sigv4_verifier v;
	struct sw_sigv4_verdict out;
	json_t *ans;
	const char *proto = str(req, "protocol");

	load_request(req, &p);
	memset(&v, 0, sizeof(v));
	v.protocol = proto && !strcmp(proto, "query") ? SW_SIGV4_QUERY : SW_SIGV4_JSON;
	v.region = str(req, "region");
	v.service = str(req, "service");
	v.now = (time_t)json_integer_value(json_object_get(req, "now"));
	v.lookup = lookup_keys;
	v.lookup_ctx = json_object_get(req, "keys");
	sw_sigv4_verdict_init(&out);
	if (sw_sigv4_verify(&v, &p.r, &out) == 0)
		ans = json_pack("{s:b,s:s}", "ok", 1, "akid", out.access_key_id.ptr);
	else if (out.code)
		ans = json_pack("{s:b,s:i,s:s,s:s}", "ok", 0, "status", out.status, "code", out.code, "message",
				out.message.ptr);
	else
		ans = json_pack("{s:b,s:s}", "ok", 0, "error", sw_error_last());
	sw_sigv4_verdict_release(&out);
	sw_buf_release(&p.body);
	return ans;
}

static time_t now_fn(void *ctx)
{
	return fake_now ? fake_now : time(NULL);
}

static json_t *op_creds_new(json_t *req)
{
	struct sw_aws_credentials_options o;
	memset(&o, 0, sizeof(o));
	o.container_base = str(req, "container_base");
	o.imds_endpoint = str(req, "imds_endpoint");
	o.profile = str(req, "profile");
	o.now = now_fn;
	sw_aws_credentials_free(chain);
	chain = NULL;
	if (sw_aws_credentials_new(&chain, &o) < 0)
		return json_pack("{s:b,s:s}", "ok", 0, "error", sw_error_last());
	return json_pack("{s:b}", "ok", 1);
}

static json_t *op_creds_get(json_t *req)
{
	struct sw_aws_creds c;
	json_t *ans;
	if (!chain)
		return json_pack("{s:b,s:s}", "ok", 0, "error", "creds_new first");
	fake_now = (time_t)json_integer_value(json_object_get(req, "now"));
	sw_aws_creds_init(&c);
	if (sw_aws_credentials_get(chain, &c) < 0)
		ans = json_pack("{s:b,s:s,s:i}", "ok", 0, "error", sw_error_last(), "code", sw_error_last_code());
	else
		ans = json_pack("{s:b,s:s,s:s,s:s?,s:I,s:s}", "ok", 1, "akid", c.access_key_id, "secret",
				c.secret_access_key, "token", c.session_token, "expiration", (json_int_t)c.expiration,
				"source", c.source);
	sw_aws_creds_release(&c);
	return ans;
}

static double fixed_random(void *ctx)
{
	return *(double *)ctx;
}

static json_t *op_call(json_t *req)
{
	struct sw_aws_client_options o;
	struct sw_aws_client *c = NULL;
	struct sw_aws_result res;
	double r = json_number_value(json_object_get(req, "random"));
	json_t *ans;
	int rc;

	memset(&o, 0, sizeof(o));
	o.region = str(req, "region");
	o.endpoint_url = str(req, "endpoint_url");
	o.connect_timeout_ms = (long)json_integer_value(json_object_get(req, "connect_timeout_ms"));
	o.attempt_timeout_ms = (long)json_integer_value(json_object_get(req, "attempt_timeout_ms"));
	o.call_timeout_ms = (long)json_integer_value(json_object_get(req, "call_timeout_ms"));
	o.retry.max_attempts = (int)json_integer_value(json_object_get(req, "max_attempts"));
	if (json_object_get(req, "random")) {
		o.retry.random = fixed_random;
		o.retry.ctx = &r;
	}
	fake_now = (time_t)json_integer_value(json_object_get(req, "now"));
	o.now = now_fn;
	sw_aws_result_init(&res);
	if (sw_aws_client_new(&c, &o) < 0) {
		ans = json_pack("{s:b,s:s}", "ok", 0, "error", sw_error_last());
		goto done;
	}
	rc = sw_aws_call(c, str(req, "service"), str(req, "operation"), json_object_get(req, "params"), &res);
	if (rc == 0)
		ans = json_pack("{s:b,s:O,s:i,s:I,s:I,s:s}", "ok", 1, "response", res.response, "attempts",
				res.attempts, "backoff_ms", (json_int_t)res.backoff_ms, "status", (json_int_t)res.status,
				"request_id", res.request_id.ptr);
	else
		ans = json_pack("{s:b,s:s,s:i,s:i,s:I,s:I,s:s,s:s,s:s}", "ok", 0, "error", sw_error_last(), "code", rc,
				"attempts", res.attempts, "backoff_ms", (json_int_t)res.backoff_ms, "status",
				(json_int_t)res.status, "error_code", res.error_code.ptr, "error_message",
				res.error_message.ptr, "request_id", res.request_id.ptr);
done:
	sw_aws_result_release(&res);
	sw_aws_client_free(c);
	return ans;
}

static json_t *op_query(json_t *req, const char *op)
{
	const struct sw_aws_model *m = &sw_aws_elbv2_model;
	struct sw_buf b = SW_BUF_INIT, c2 = SW_BUF_INIT, r = SW_BUF_INIT;
	json_t *ans;

	if (!strcmp(op, "query_encode")) {
		if (sw_aws_query_encode(&b, m, str(req, "operation"), json_object_get(req, "params")) < 0)
			ans = json_pack("{s:b,s:s}", "ok", 0, "error", sw_error_last());
		else
			ans = json_pack("{s:b,s:s}", "ok", 1, "body", b.ptr);
	} else if (!strcmp(op, "query_decode")) {
		json_t *j = NULL;
		const char *xml = str(req, "xml");
		if (sw_aws_query_decode(&j, m, str(req, "operation"), xml, strlen(xml), &r) < 0)
			ans = json_pack("{s:b,s:s}", "ok", 0, "error", sw_error_last());
		else
			ans = json_pack("{s:b,s:o,s:s}", "ok", 1, "response", j, "request_id", r.ptr);
	} else if (!strcmp(op, "query_error")) {
		const char *xml = str(req, "xml");
		int rc = sw_aws_query_decode_error(xml, strlen(xml), &b, &c2, &r);
		ans = json_pack("{s:b,s:s,s:s,s:s}", "ok", rc == 0, "code", b.ptr, "message", c2.ptr, "request_id", r.ptr);
	} else if (!strcmp(op, "query_parse")) {
		char *action = NULL;
		json_t *params = NULL;
		const char *body = str(req, "body");
		int rc = sw_aws_query_parse_params(&action, &params, m, body, strlen(body));
		if (rc < 0)
			ans = json_pack("{s:b,s:s,s:i}", "ok", 0, "error", sw_error_last(), "code", rc);
		else
			ans = json_pack("{s:b,s:s,s:o}", "ok", 1, "action", action, "params", params);
		free(action);
	} else {
		if (sw_aws_query_render(&b, m, str(req, "operation"), json_object_get(req, "result"),
					str(req, "request_id")) < 0)
			ans = json_pack("{s:b,s:s}", "ok", 0, "error", sw_error_last());
		else
			ans = json_pack("{s:b,s:s}", "ok", 1, "xml", b.ptr);
	}
	sw_buf_release(&b);
	sw_buf_release(&c2);
	sw_buf_release(&r);
	return ans;
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (sw_aws_global_init() < 0)
		return 1;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		json_error_t jerr;
		json_t *req = json_loadb(line, (size_t)n, 0, &jerr);
		json_t *ans;
		const char *op = str(req, "op");
		char *text;

		sw_error_clear();
		if (!op)
			ans = json_pack("{s:b,s:s}", "ok", 0, "error", "bad request line");
		else if (!strcmp(op, "sign"))
			ans = op_sign(req);
		else if (!strcmp(op, "verify"))
			ans = op_verify(req);
		else if (!strcmp(op, "creds_new"))
			ans = op_creds_new(req);
		else if (!strcmp(op, "creds_get"))
			ans = op_creds_get(req);
		else if (!strcmp(op, "call"))
			ans = op_call(req);
		else if (!strncmp(op, "query_", 6))
			ans = op_query(req, op);
		else
			ans = json_pack("{s:b,s:s}", "ok", 0, "error", "unknown op");
		text = json_dumps(ans, JSON_COMPACT);
		puts(text ? text : "{\"ok\":false}");
		fflush(stdout);
		free(text);
		json_decref(ans);
		json_decref(req);
	}
	free(line);
	sw_aws_credentials_free(chain);
	return 0;
}
