/*
 * SigV4: every case of AWS's own test suite (test/data/aws-sig-v4-test-suite) byte for
 * byte — canonical request, string to sign, Authorization, signed request — and the
 * server-side verifier: accept, bad signature, unknown key, session tokens, clock skew,
 * malformed headers, the JSON and Query error names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "common/aws/sigv4.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define SUITE "test/data/aws-sig-v4-test-suite"
#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TOKEN "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
#define SUITE_TIME ((time_t)1440938160) /* 20150830T123600Z */

static int read_file(const char *path, struct sw_buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;
	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		sw_buf_add(out, chunk, n);
	fclose(f);
	return 0;
}

/* A parsed .req: "METHOD target HTTP/1.1", header lines (a folded continuation line
 * is another value of the same header, as the suite's expected output treats it), body. */
struct parsed_req {
	char *method, *path, *query;
	struct sw_sigv4_header h[32];
	char *names[32], *values[32];
	size_t nr;
	struct sw_buf body;
};

static void parse_req(const char *text, struct parsed_req *r)
{
	const char *eol = strchr(text, '\n');
	const char *line_end = eol ? eol : text + strlen(text);
	const char *sp1 = memchr(text, ' ', (size_t)(line_end - text));
	const char *sp2 = line_end;
	const char *target, *q, *p;

	memset(r, 0, sizeof(*r));
	sw_buf_init(&r->body, 0);
	while (sp2 > sp1 && sp2[-1] != ' ')
		sp2--;
	r->method = xstrndup(text, (size_t)(sp1 - text));
	target = sp1 + 1;
	q = memchr(target, '?', (size_t)(sp2 - 1 - target));
	if (q) {
		r->path = xstrndup(target, (size_t)(q - target));
		r->query = xstrndup(q + 1, (size_t)(sp2 - 1 - q - 1));
	} else {
		r->path = xstrndup(target, (size_t)(sp2 - 1 - target));
		r->query = xstrdup("");
	}
	p = eol ? eol + 1 : line_end;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0) {
			p = e ? e + 1 : p + n;
			sw_buf_adds(&r->body, p);
			break;
		}
		if (p[0] == ' ' || p[0] == '\t') {
			assert_true(r->nr > 0);
			r->names[r->nr] = xstrdup(r->names[r->nr - 1]);
			r->values[r->nr] = xstrndup(p, n);
		} else {
			const char *colon = memchr(p, ':', n);
			assert_non_null(colon);
			r->names[r->nr] = xstrndup(p, (size_t)(colon - p));
			r->values[r->nr] = xstrndup(colon + 1, n - (size_t)(colon - p) - 1);
		}
		r->h[r->nr].name = r->names[r->nr];
		r->h[r->nr].value = r->values[r->nr];
		r->nr++;
		assert_true(r->nr < 32);
		p = e ? e + 1 : p + n;
	}
}

static void free_req(struct parsed_req *r)
{
	size_t i;
	free(r->method);
	free(r->path);
	free(r->query);
	for (i = 0; i < r->nr; i++) {
		free(r->names[i]);
		free(r->values[i]);
	}
	sw_buf_release(&r->body);
}

static int lookup_example(void *ctx, const char *akid, struct sw_buf *secret, struct sw_buf *token)
{
	const char *want_token = ctx;
	if (strcmp(akid, AKID))
		return SW_ENOTFOUND;
	sw_buf_adds(secret, SECRET);
	if (want_token)
		sw_buf_adds(token, want_token);
	return 0;
}

/* Verify the suite's signed request (.sreq) at the suite's time. */
static void verify_sreq(const char *sreq_text, const char *token, int expect_ok)
{
	struct parsed_req r;
	struct sw_sigv4_verifier v = { SW_SIGV4_JSON, "us-east-1", "service", SUITE_TIME, 0, 0,
				       lookup_example, (void *)token };
	struct sw_sigv4_verdict out;
	struct sw_sigv4_request req;
	size_t i;

	parse_req(sreq_text, &r);
	/* The .sreq writes "Authorization: AWS4..." with a space after the colon. */
	for (i = 0; i < r.nr; i++)
		while (r.values[i][0] == ' ' && !strcasecmp(r.names[i], "authorization"))
			memmove(r.values[i], r.values[i] + 1, strlen(r.values[i]));
	memset(&req, 0, sizeof(req));
	req.method = r.method;
	req.path = r.path;
	req.query = r.query;
	req.headers = r.h;
	req.nr_headers = r.nr;
	req.body = r.body.ptr;
	req.body_len = r.body.len;
	sw_sigv4_verdict_init(&out);
	if (expect_ok) {
		if (sw_sigv4_verify(&v, &req, &out) != 0)
			fail_msg("verifier refused a suite request: %s", sw_error_last());
		assert_int_equal(out.status, 0);
		assert_string_equal(out.access_key_id.ptr, AKID);
	} else {
		assert_int_equal(sw_sigv4_verify(&v, &req, &out), SW_EAUTH);
	}
	sw_sigv4_verdict_release(&out);
	free_req(&r);
}

static int run_case(const char *dir, const char *name)
{
	struct sw_buf path = SW_BUF_INIT, req_text = SW_BUF_INIT, creq = SW_BUF_INIT;
	struct sw_buf sts = SW_BUF_INIT, authz = SW_BUF_INIT, sreq = SW_BUF_INIT;
	struct sw_sigv4_params p = { AKID, SECRET, NULL, "us-east-1", "service", SUITE_TIME, 0 };
	struct sw_sigv4_result res;
	struct sw_sigv4_request req;
	struct parsed_req r;
	size_t i;

#define LOAD(buf, ext) \
	do { \
		sw_buf_reset(&path); \
		sw_buf_addf(&path, "%s/%s.%s", dir, name, ext); \
		if (read_file(path.ptr, &buf) < 0) \
			fail_msg("cannot read %s", path.ptr); \
	} while (0)
	LOAD(req_text, "req");
	LOAD(creq, "creq");
	LOAD(sts, "sts");
	LOAD(authz, "authz");
	LOAD(sreq, "sreq");
#undef LOAD

	if (!strcmp(name, "post-sts-header-before"))
		p.session_token = TOKEN;
	if (!strcmp(name, "post-sts-header-after")) {
		p.session_token = TOKEN;
		p.flags = SW_SIGV4_UNSIGNED_TOKEN;
	}
	parse_req(req_text.ptr, &r);
	memset(&req, 0, sizeof(req));
	req.method = r.method;
	req.path = r.path;
	req.query = r.query;
	req.headers = r.h;
	req.nr_headers = r.nr;
	req.body = r.body.ptr;
	req.body_len = r.body.len;

	sw_sigv4_result_init(&res);
	if (sw_sigv4_sign(&p, &req, &res) < 0)
		fail_msg("%s: sign: %s", name, sw_error_last());
	if (strcmp(res.canonical_request.ptr, creq.ptr))
		fail_msg("%s: canonical request\n--- got\n%s\n--- want\n%s", name, res.canonical_request.ptr, creq.ptr);
	if (strcmp(res.string_to_sign.ptr, sts.ptr))
		fail_msg("%s: string to sign\n--- got\n%s\n--- want\n%s", name, res.string_to_sign.ptr, sts.ptr);
	if (strcmp(res.authorization.ptr, authz.ptr))
		fail_msg("%s: authorization\n--- got\n%s\n--- want\n%s", name, res.authorization.ptr, authz.ptr);
	assert_string_equal(res.amz_date, "20150830T123600Z");

	/* The signed request: the .req head plus what the signer adds (the suite writes
	 * "Authorization: " with a space, other added headers without one). */
	{
		struct sw_buf want = SW_BUF_INIT;
		const char *head_end = strstr(req_text.ptr, "\n\n");
		size_t head_len = head_end ? (size_t)(head_end - req_text.ptr) : req_text.len;
		sw_buf_add(&want, req_text.ptr, head_len);
		for (i = 0; i < res.headers.nr; i++) {
			const char *line = res.headers.v[i];
			const char *colon = strchr(line, ':');
			size_t nlen = (size_t)(colon - line);
			/* already in the .req: X-Amz-Date, and the token in the "before" case */
			struct sw_buf probe = SW_BUF_INIT;
			sw_buf_addf(&probe, "\n%.*s:%s", (int)nlen, line, colon + 2);
			if (strstr(want.ptr, probe.ptr)) {
				sw_buf_release(&probe);
				continue;
			}
			sw_buf_release(&probe);
			if (!strncmp(line, "Authorization:", 14))
				sw_buf_addf(&want, "\n%s", line);
			else
				sw_buf_addf(&want, "\n%.*s:%s", (int)nlen, line, colon + 2);
		}
		if (head_end)
			sw_buf_adds(&want, head_end);
		if (strcmp(want.ptr, sreq.ptr))
			fail_msg("%s: signed request\n--- got\n%s\n--- want\n%s", name, want.ptr, sreq.ptr);
		sw_buf_release(&want);
	}

	/* The verifier accepts the suite's signed request. */
	verify_sreq(sreq.ptr, p.session_token, 1);

	sw_sigv4_result_release(&res);
	free_req(&r);
	sw_buf_release(&path);
	sw_buf_release(&req_text);
	sw_buf_release(&creq);
	sw_buf_release(&sts);
	sw_buf_release(&authz);
	sw_buf_release(&sreq);
	return 1;
}

/* Every folder holding <folder>.req is a case; recurse into the others. */
static int walk(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int count = 0;
	assert_non_null(d);
	while ((e = readdir(d))) {
		struct sw_buf sub = SW_BUF_INIT, req = SW_BUF_INIT;
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		sw_buf_addf(&sub, "%s/%s", dir, e->d_name);
		if (stat(sub.ptr, &st) == 0 && S_ISDIR(st.st_mode)) {
			sw_buf_addf(&req, "%s/%s.req", sub.ptr, e->d_name);
			if (stat(req.ptr, &st) == 0)
				count += run_case(sub.ptr, e->d_name);
			else
				count += walk(sub.ptr);
		}
		sw_buf_release(&sub);
		sw_buf_release(&req);
	}
	closedir(d);
	return count;
}

static void official_suite(void **state)
{
	int n = walk(SUITE);
	assert_int_equal(n, 31);
}

/* ---- verifier ----------------------------------------------------------------- */

#define NOW ((time_t)1700000000)

struct signed_req {
	struct sw_sigv4_header h[8];
	size_t nr;
	struct sw_sigv4_result res;
	char *lines[8];
	struct sw_sigv4_request req;
};

/* Sign a small JSON 1.1 POST and lay out the headers as a server would see them. */
static void make_signed(struct signed_req *s, const char *akid, const char *secret, const char *token,
			time_t when, const char *body)
{
	static const struct sw_sigv4_header base[] = {
		{ "Host", "ecs.us-east-1.amazonaws.com" },
		{ "Content-Type", "application/x-amz-json-1.1" },
		{ "X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListClusters" },
	};
	struct sw_sigv4_params p = { akid, secret, token, "us-east-1", "ecs", when, 0 };
	size_t i;

	memset(s, 0, sizeof(*s));
	s->req.method = "POST";
	s->req.path = "/";
	s->req.headers = base;
	s->req.nr_headers = 3;
	s->req.body = body;
	s->req.body_len = strlen(body);
	sw_sigv4_result_init(&s->res);
	assert_int_equal(sw_sigv4_sign(&p, &s->req, &s->res), 0);
	for (i = 0; i < 3; i++)
		s->h[s->nr++] = base[i];
	for (i = 0; i < s->res.headers.nr; i++) {
		const char *line = s->res.headers.v[i];
		const char *colon = strchr(line, ':');
		s->lines[i] = xstrndup(line, (size_t)(colon - line));
		s->h[s->nr].name = s->lines[i];
		s->h[s->nr].value = colon + 2;
		s->nr++;
	}
	s->req.headers = s->h;
	s->req.nr_headers = s->nr;
}

static void free_signed(struct signed_req *s)
{
	size_t i;
	for (i = 0; i < 8; i++)
		free(s->lines[i]);
	sw_sigv4_result_release(&s->res);
}

static int lookup_table(void *ctx, const char *akid, struct sw_buf *secret, struct sw_buf *token)
{
	if (!strcmp(akid, "AKIAGOOD")) {
		sw_buf_adds(secret, "goodsecret");
		return 0;
	}
	if (!strcmp(akid, "ASIATEMP")) {
		sw_buf_adds(secret, "tempsecret");
		sw_buf_adds(token, "the-session-token");
		return 0;
	}
	if (!strcmp(akid, "AKIABROKEN"))
		return SW_ERROR;
	return SW_ENOTFOUND;
}

static int verify_with(enum sw_sigv4_protocol proto, time_t now, const struct sw_sigv4_request *req,
		       struct sw_sigv4_verdict *out)
{
	struct sw_sigv4_verifier v = { proto, "us-east-1", "ecs", now, 0, 0, lookup_table, NULL };
	return sw_sigv4_verify(&v, req, out);
}

static void verify_accepts(void **state)
{
	struct signed_req s;
	struct sw_sigv4_verdict out;
	sw_sigv4_verdict_init(&out);
	make_signed(&s, "AKIAGOOD", "goodsecret", NULL, NOW, "{}");
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW, &s.req, &out), 0);
	assert_int_equal(out.status, 0);
	assert_null(out.code);
	assert_string_equal(out.access_key_id.ptr, "AKIAGOOD");
	assert_string_equal(out.region.ptr, "us-east-1");
	assert_string_equal(out.service.ptr, "ecs");
	/* 4 minutes 59 either way is fine */
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW + 299, &s.req, &out), 0);
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW - 299, &s.req, &out), 0);
	free_signed(&s);

	make_signed(&s, "ASIATEMP", "tempsecret", "the-session-token", NOW, "");
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW, &s.req, &out), 0);
	free_signed(&s);
	sw_sigv4_verdict_release(&out);
}

static void verify_bad_signature(void **state)
{
	struct signed_req s;
	struct sw_sigv4_verdict out;
	sw_sigv4_verdict_init(&out);

	/* wrong secret */
	make_signed(&s, "AKIAGOOD", "not-the-secret", NULL, NOW, "{}");
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW, &s.req, &out), SW_EAUTH);
	assert_int_equal(out.status, 400);
	assert_string_equal(out.code, "InvalidSignatureException");
	assert_string_equal(out.message.ptr,
			    "The request signature we calculated does not match the signature you provided. "
			    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
	assert_non_null(strstr(sw_error_last(), "InvalidSignatureException: The request signature"));
	assert_int_equal(verify_with(SW_SIGV4_QUERY, NOW, &s.req, &out), SW_EAUTH);
	assert_int_equal(out.status, 403);
	assert_string_equal(out.code, "SignatureDoesNotMatch");
	free_signed(&s);

	/* body changed after signing */
	make_signed(&s, "AKIAGOOD", "goodsecret", NULL, NOW, "{\"a\":1}");
	s.req.body = "{\"a\":2}";
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW, &s.req, &out), SW_EAUTH);
	assert_string_equal(out.code, "InvalidSignatureException");
	/* a signed header changed */
	s.req.body = "{\"a\":1}";
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW, &s.req, &out), 0);
	s.h[2].value = "AmazonEC2ContainerServiceV20141113.DeleteCluster";
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW, &s.req, &out), SW_EAUTH);
	free_signed(&s);
	sw_sigv4_verdict_release(&out);
}

static void verify_unknown_key_and_tokens(void **state)
{
	struct signed_req s;
	struct sw_sigv4_verdict out;
	sw_sigv4_verdict_init(&out);

	make_signed(&s, "AKIANOBODY", "x", NULL, NOW, "{}");
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW, &s.req, &out), SW_EAUTH);
	assert_int_equal(out.status, 400);
	assert_string_equal(out.code, "UnrecognizedClientException");
	assert_string_equal(out.message.ptr, "The security token included in the request is invalid.");
	assert_int_equal(verify_with(SW_SIGV4_QUERY, NOW, &s.req, &out), SW_EAUTH);
	assert_int_equal(out.status, 403);
	assert_string_equal(out.code, "InvalidClientTokenId");
	free_signed(&s);

	/* a temporary key without its token, or with another one */
	make_signed(&s, "ASIATEMP", "tempsecret", NULL, NOW, "{}");
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW, &s.req, &out), SW_EAUTH);
	assert_string_equal(out.code, "UnrecognizedClientException");
	free_signed(&s);
	make_signed(&s, "ASIATEMP", "tempsecret", "another-token", NOW, "{}");
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW, &s.req, &out), SW_EAUTH);
	assert_string_equal(out.code, "UnrecognizedClientException");
	free_signed(&s);

	/* the credential store failing is a 500, not a verdict on the client */
	make_signed(&s, "AKIABROKEN", "x", NULL, NOW, "{}");
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW, &s.req, &out), SW_EAUTH);
	assert_int_equal(out.status, 500);
	assert_string_equal(out.code, "InternalFailure");
	free_signed(&s);
	sw_sigv4_verdict_release(&out);
}

static void verify_skew(void **state)
{
	struct signed_req s;
	struct sw_sigv4_verdict out;
	sw_sigv4_verdict_init(&out);
	make_signed(&s, "AKIAGOOD", "goodsecret", NULL, NOW, "{}");

	/* 1700000000 = 20231114T221320Z */
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW + 301, &s.req, &out), SW_EAUTH);
	assert_int_equal(out.status, 400);
	assert_string_equal(out.code, "InvalidSignatureException");
	assert_string_equal(out.message.ptr,
			    "Signature expired: 20231114T221320Z is now earlier than 20231114T221321Z (20231114T221821Z - 5 min.)");
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW - 301, &s.req, &out), SW_EAUTH);
	assert_string_equal(out.message.ptr,
			    "Signature not yet current: 20231114T221320Z is still later than 20231114T221319Z (20231114T220819Z + 5 min.)");
	assert_int_equal(verify_with(SW_SIGV4_QUERY, NOW + 3600, &s.req, &out), SW_EAUTH);
	assert_int_equal(out.status, 403);
	assert_string_equal(out.code, "SignatureDoesNotMatch");
	assert_non_null(strstr(out.message.ptr, "Signature expired: "));
	free_signed(&s);
	sw_sigv4_verdict_release(&out);
}

static void verify_malformed(void **state)
{
	struct sw_sigv4_header h[3] = {
		{ "Host", "ecs.us-east-1.amazonaws.com" },
		{ "X-Amz-Date", "20231114T221320Z" },
		{ "Authorization", "" },
	};
	struct sw_sigv4_request req = { "POST", "/", NULL, h, 2, "{}", 2, NULL };
	struct sw_sigv4_verdict out;
	sw_sigv4_verdict_init(&out);

	/* no Authorization at all */
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW, &req, &out), SW_EAUTH);
	assert_string_equal(out.code, "MissingAuthenticationTokenException");
	assert_string_equal(out.message.ptr, "Missing Authentication Token");
	assert_int_equal(out.status, 400);
	assert_int_equal(verify_with(SW_SIGV4_QUERY, NOW, &req, &out), SW_EAUTH);
	assert_string_equal(out.code, "MissingAuthenticationToken");
	assert_int_equal(out.status, 403);

	/* not SigV4 */
	req.nr_headers = 3;
	h[2].value = "Basic dXNlcjpwYXNz";
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW, &req, &out), SW_EAUTH);
	assert_string_equal(out.code, "IncompleteSignatureException");
	assert_string_equal(out.message.ptr,
			    "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. "
			    "Authorization header requires 'SignedHeaders' parameter. Authorization=Basic dXNlcjpwYXNz");
	assert_int_equal(verify_with(SW_SIGV4_QUERY, NOW, &req, &out), SW_EAUTH);
	assert_string_equal(out.code, "IncompleteSignature");
	assert_int_equal(out.status, 400);

	/* no signature part */
	h[2].value = "AWS4-HMAC-SHA256 Credential=AKIAGOOD/20231114/us-east-1/ecs/aws4_request, SignedHeaders=host;x-amz-date";
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW, &req, &out), SW_EAUTH);
	assert_string_equal(out.code, "IncompleteSignatureException");
	assert_non_null(strstr(out.message.ptr, "requires 'Signature' parameter"));

	/* a part without '=' */
	h[2].value = "AWS4-HMAC-SHA256 Credential=AKIAGOOD/20231114/us-east-1/ecs/aws4_request, SignedHeaders, Signature=00";
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW, &req, &out), SW_EAUTH);
	assert_string_equal(out.code, "IncompleteSignatureException");
	assert_non_null(strstr(out.message.ptr, "'SignedHeaders' not a valid key=value pair (missing equal-sign)"));

	/* short credential */
	h[2].value = "AWS4-HMAC-SHA256 Credential=AKIAGOOD/20231114/us-east-1/ecs, SignedHeaders=host, Signature=00";
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW, &req, &out), SW_EAUTH);
	assert_string_equal(out.code, "IncompleteSignatureException");
	assert_string_equal(out.message.ptr,
			    "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIAGOOD/20231114/us-east-1/ecs'");

	/* scope: date, region, service, terminator */
	h[2].value = "AWS4-HMAC-SHA256 Credential=AKIAGOOD/20231113/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=00";
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW, &req, &out), SW_EAUTH);
	assert_string_equal(out.code, "InvalidSignatureException");
	assert_non_null(strstr(out.message.ptr, "Date in Credential scope does not match"));
	h[2].value = "AWS4-HMAC-SHA256 Credential=AKIAGOOD/20231114/eu-west-1/ecs/aws4_request, SignedHeaders=host, Signature=00";
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW, &req, &out), SW_EAUTH);
	assert_string_equal(out.message.ptr, "Credential should be scoped to a valid region, not 'eu-west-1'.");
	h[2].value = "AWS4-HMAC-SHA256 Credential=AKIAGOOD/20231114/us-east-1/logs/aws4_request, SignedHeaders=host, Signature=00";
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW, &req, &out), SW_EAUTH);
	assert_string_equal(out.message.ptr, "Credential should be scoped to correct service: 'ecs'.");

	/* Host must be signed */
	h[2].value = "AWS4-HMAC-SHA256 Credential=AKIAGOOD/20231114/us-east-1/ecs/aws4_request, SignedHeaders=x-amz-date, Signature=00";
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW, &req, &out), SW_EAUTH);
	assert_string_equal(out.code, "InvalidSignatureException");
	assert_non_null(strstr(out.message.ptr, "'Host'"));

	/* bad date */
	h[1].value = "2023-11-14T22:13:20Z";
	assert_int_equal(verify_with(SW_SIGV4_JSON, NOW, &req, &out), SW_EAUTH);
	assert_string_equal(out.code, "IncompleteSignatureException");
	assert_non_null(strstr(out.message.ptr, "ISO-8601"));
	sw_sigv4_verdict_release(&out);
}

/* Date: header instead of X-Amz-Date (RFC 1123) is accepted when signed. */
static void verify_date_header(void **state)
{
	struct sw_sigv4_header h[2] = { { "Host", "h" }, { "X-Amz-Date", "20150830T123600Z" } };
	struct sw_sigv4_request req = { "GET", "/", NULL, h, 2, NULL, 0, NULL };
	struct sw_sigv4_params p = { AKID, SECRET, NULL, "us-east-1", "service", SUITE_TIME, 0 };
	struct sw_sigv4_verifier v = { SW_SIGV4_JSON, NULL, NULL, SUITE_TIME + 10, 0, 0, lookup_example, NULL };
	struct sw_sigv4_result res;
	struct sw_sigv4_verdict out;
	struct sw_sigv4_header sent[3];
	const char *auth;

	sw_sigv4_result_init(&res);
	sw_sigv4_verdict_init(&out);
	assert_int_equal(sw_sigv4_sign(&p, &req, &res), 0);
	/* Rewrite the signature's x-amz-date into a Date header: the signature stays valid only
	 * if the canonical header value is the same, so sign "date" explicitly. */
	h[1].name = "Date";
	h[1].value = "Sun, 30 Aug 2015 12:36:00 GMT";
	sw_sigv4_result_release(&res);
	sw_sigv4_result_init(&res);
	assert_int_equal(sw_sigv4_sign(&p, &req, &res), 0);
	auth = strchr(res.headers.v[res.headers.nr - 1], ':') + 2;
	sent[0] = h[0];
	sent[1] = h[1];
	sent[2].name = "Authorization";
	sent[2].value = auth;
	req.headers = sent;
	req.nr_headers = 3;
	/* signed "date;host;x-amz-date" but no x-amz-date sent: mismatch, not a crash */
	assert_int_equal(sw_sigv4_verify(&v, &req, &out), SW_EAUTH);
	assert_string_equal(out.code, "InvalidSignatureException");
	sw_sigv4_result_release(&res);
	sw_sigv4_verdict_release(&out);
}

static void sign_rejects_bad_input(void **state)
{
	struct sw_sigv4_header h[2] = { { "Host", "h" }, { "Bad Name", "v" } };
	struct sw_sigv4_request req = { "GET", "/", NULL, h, 1, NULL, 0, NULL };
	struct sw_sigv4_params p = { AKID, SECRET, NULL, "us-east-1", "service", SUITE_TIME, 0 };
	struct sw_sigv4_result res;

	sw_sigv4_result_init(&res);
	req.nr_headers = 0;
	assert_int_equal(sw_sigv4_sign(&p, &req, &res), SW_EINVAL);
	assert_string_equal(sw_error_last(), "sigv4: no Host header");
	req.nr_headers = 2;
	assert_int_equal(sw_sigv4_sign(&p, &req, &res), SW_EINVAL);
	/* a name the verifier would read as two (found by test/fuzz/fuzz_sigv4) */
	h[1].name = ";1;1,";
	assert_int_equal(sw_sigv4_sign(&p, &req, &res), SW_EINVAL);
	h[1].name = "a,b";
	assert_int_equal(sw_sigv4_sign(&p, &req, &res), SW_EINVAL);
	/* a control character the verifier trims off the SignedHeaders list (found by
	 * test/fuzz/fuzz_sigv4: "x-amz-dawsx-a\f" signed, "x-amz-dawsx-a" verified) */
	h[1].name = "X-Amz-Dawsx-A\f";
	assert_int_equal(sw_sigv4_sign(&p, &req, &res), SW_EINVAL);
	assert_string_equal(sw_error_last(), "sigv4: bad header name 'X-Amz-Dawsx-A\f'");
	h[1].name = "X-\x01Y";
	assert_int_equal(sw_sigv4_sign(&p, &req, &res), SW_EINVAL);
	h[1].name = "X-\xe1";
	assert_int_equal(sw_sigv4_sign(&p, &req, &res), SW_EINVAL);
	/* every token character is a name it signs */
	h[1].name = "x!#$%&'*+-.^_`|~09AZaz";
	assert_int_equal(sw_sigv4_sign(&p, &req, &res), 0);
	req.nr_headers = 1;
	p.secret_access_key = "";
	assert_int_equal(sw_sigv4_sign(&p, &req, &res), SW_EINVAL);
	p.secret_access_key = SECRET;
	p.region = NULL;
	assert_int_equal(sw_sigv4_sign(&p, &req, &res), SW_EINVAL);
	p.region = "us-east-1";
	req.path = "/a\r\nb";
	assert_int_equal(sw_sigv4_sign(&p, &req, &res), SW_EINVAL);
	req.path = "/";
	/* names the verifier would split or trim differently: never signed */
	{
		static const char *const bad[] = { "X-A;B", "X-A,B", "X-A=B", " X-A", "X-A ", "X\"A", "X(A)", "X/A",
						   "X\xc3\xa9", "", NULL };
		size_t i;
		req.nr_headers = 2;
		for (i = 0; bad[i]; i++) {
			h[1].name = bad[i];
			assert_int_equal(sw_sigv4_sign(&p, &req, &res), SW_EINVAL);
			assert_non_null(strstr(sw_error_last(), "bad header name"));
		}
		h[1].name = "X-Amz-Meta_Odd!#$%&'*+.^`|~";   /* every tchar: signed */
		assert_int_equal(sw_sigv4_sign(&p, &req, &res), 0);
	}
	sw_sigv4_result_release(&res);
}

static void s3_mode_and_helpers(void **state)
{
	struct sw_sigv4_header h[1] = { { "Host", "bucket.s3.amazonaws.com" } };
	struct sw_sigv4_request req = { "PUT", "/my-object//example//photo.user", NULL, h, 1, "hello", 5, NULL };
	struct sw_sigv4_params p = { AKID, SECRET, NULL, "us-east-1", "s3", SUITE_TIME, SW_SIGV4_S3 };
	struct sw_sigv4_result res;
	struct sw_buf b = SW_BUF_INIT;
	char hash[65], date[17];

	sw_sigv4_result_init(&res);
	assert_int_equal(sw_sigv4_sign(&p, &req, &res), 0);
	/* path kept as is, payload hash signed in x-amz-content-sha256 */
	assert_non_null(strstr(res.canonical_request.ptr, "PUT\n/my-object//example//photo.user\n"));
	assert_non_null(strstr(res.canonical_request.ptr,
			       "x-amz-content-sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\n"));
	assert_string_equal(res.headers.v[1],
			    "X-Amz-Content-Sha256: 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
	sw_sigv4_result_release(&res);

	sw_sigv4_uri_encode(&b, "a b/c~d+é", strlen("a b/c~d+é"), 1);
	assert_string_equal(b.ptr, "a%20b/c~d%2B%C3%A9");
	sw_buf_reset(&b);
	sw_sigv4_uri_encode(&b, "a/b", 3, 0);
	assert_string_equal(b.ptr, "a%2Fb");
	sw_buf_release(&b);
	sw_sigv4_sha256_hex("", 0, hash);
	assert_string_equal(hash, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sw_sigv4_amz_date(0, date);
	assert_string_equal(date, "19700101T000000Z");
}

/* The path is encoded twice for every service but S3 (a %-encoded byte becomes %25..),
 * dot segments and slash runs go, the query is decoded, re-encoded and sorted. */
static void canonical_forms(void **state)
{
	struct sw_sigv4_header h[1] = { { "Host", "h" } };
	struct sw_sigv4_request req = { "GET", "/a%20b/./c/../d//e/", "b=2&a=%7e&a=1&c&%41=x+y", h, 1, NULL, 0, NULL };
	struct sw_sigv4_params p = { AKID, SECRET, NULL, "us-east-1", "service", SUITE_TIME, 0 };
	struct sw_sigv4_result res;

	sw_sigv4_result_init(&res);
	assert_int_equal(sw_sigv4_sign(&p, &req, &res), 0);
	assert_non_null(strstr(res.canonical_request.ptr, "GET\n/a%2520b/d/e/\nA=x%2By&a=1&a=~&b=2&c=\n"));
	sw_sigv4_result_release(&res);
	/* a query of separators only has no pairs: an empty canonical query */
	req.path = "/";
	req.query = "&&&";
	sw_sigv4_result_init(&res);
	assert_int_equal(sw_sigv4_sign(&p, &req, &res), 0);
	assert_non_null(strstr(res.canonical_request.ptr, "GET\n/\n\nhost:h\n"));
	sw_sigv4_result_release(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(official_suite),
		cmocka_unit_test(canonical_forms),
		cmocka_unit_test(s3_mode_and_helpers),
		cmocka_unit_test(sign_rejects_bad_input),
		cmocka_unit_test(verify_accepts),
		cmocka_unit_test(verify_bad_signature),
		cmocka_unit_test(verify_unknown_key_and_tokens),
		cmocka_unit_test(verify_skew),
		cmocka_unit_test(verify_malformed),
		cmocka_unit_test(verify_date_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
