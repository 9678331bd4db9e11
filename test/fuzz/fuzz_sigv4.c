/*
 * SigV4 verification (common/aws/sigv4.c, the embedded engine's check of every AWS
 * call) on a raw HTTP request, and a round trip: whatever request the signer accepts,
 * signed, must pass the verifier. Input: a selector byte, then the request as it comes
 * over the wire ("METHOD target HTTP/1.1", header lines, an empty line, the body).
 * Selector bits: 1 the Query protocol's errors (else JSON's), 2 the path arrives
 * %-decoded (as the engine's HTTP server hands it over), 4 sign it first (the round
 * trip), 8 with a session token.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "test/fuzz/fuzz.h"
#include "common/aws/sigv4.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TOKEN "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
#define NOW ((time_t)1440938160)   /* 20150830T123600Z, the test suite's time */
#define MAX_HEADERS 64

struct request {
	char *method, *path, *query;
	char *names[MAX_HEADERS + 4], *values[MAX_HEADERS + 4];
	struct sw_sigv4_header h[MAX_HEADERS + 4];
	size_t nr;
	const char *body;
	size_t body_len;
};

static char *span(const char *s, const char *e)
{
	return xstrndup(s, (size_t)(e - s));
}

static void add_header(struct request *r, char *name, char *value)
{
	r->names[r->nr] = name;
	r->values[r->nr] = value;
	r->h[r->nr].name = name;
	r->h[r->nr].value = value;
	r->nr++;
}

/* The request line, then "Name: value" lines (leading blanks of a value dropped, as an HTTP server does). */
static void parse(struct request *r, const char *text, size_t len)
{
	const char *end = text + len, *eol = memchr(text, '\n', len), *le, *sp, *target, *q;

	memset(r, 0, sizeof(*r));
	le = eol ? eol : end;
	if (le > text && le[-1] == '\r')
		le--;
	sp = memchr(text, ' ', (size_t)(le - text));
	r->method = span(text, sp ? sp : le);
	target = sp ? sp + 1 : le;
	sp = target;
	while (sp < le && *sp != ' ')
		sp++;
	q = memchr(target, '?', (size_t)(sp - target));
	r->path = span(target, q ? q : sp);
	r->query = q ? span(q + 1, sp) : NULL;
	r->body = "";
	for (text = eol ? eol + 1 : end; text < end; text = eol ? eol + 1 : end) {
		const char *colon, *v;
		eol = memchr(text, '\n', (size_t)(end - text));
		le = eol ? eol : end;
		if (le > text && le[-1] == '\r')
			le--;
		if (le == text) {   /* the empty line: the body follows */
			r->body = eol ? eol + 1 : end;
			r->body_len = (size_t)(end - r->body);
			break;
		}
		colon = memchr(text, ':', (size_t)(le - text));
		if (!colon || r->nr >= MAX_HEADERS)
			continue;
		for (v = colon + 1; v < le && (*v == ' ' || *v == '\t'); v++)
			;
		add_header(r, span(text, colon), span(v, le));
	}
}

static void release(struct request *r)
{
	size_t i;
	for (i = 0; i < r->nr; i++) {
		free(r->names[i]);
		free(r->values[i]);
	}
	free(r->method);
	free(r->path);
	free(r->query);
}

static int lookup(void *ctx, const char *akid, struct sw_buf *secret, struct sw_buf *token)
{
	if (strcmp(akid, AKID))
		return SW_ENOTFOUND;
	sw_buf_adds(secret, SECRET);
	if (ctx)
		sw_buf_adds(token, TOKEN);
	return 0;
}

static void to_sigv4(const struct request *r, struct sw_sigv4_request *req)
{
	memset(req, 0, sizeof(*req));
	req->method = r->method;
	req->path = r->path;
	req->query = r->query;
	req->headers = r->h;
	req->nr_headers = r->nr;
	req->body = r->body;
	req->body_len = r->body_len;
}

/* Drop what the signer makes itself, sign, add its headers: the verifier must take the result. */
static void round_trip(struct request *r, int token, int protocol)
{
	static const char *const made[] = { "authorization", "x-amz-date", "x-amz-security-token", NULL };
	struct sw_sigv4_params p = { AKID, SECRET, token ? TOKEN : NULL, "us-east-1", "ecs", NOW, 0 };
	struct sw_sigv4_verifier v = { protocol, "us-east-1", "ecs", NOW, 0, 0, lookup, token ? "t" : NULL };
	struct sw_sigv4_result res;
	struct sw_sigv4_verdict out;
	struct sw_sigv4_request req;
	size_t i, j, k;

	for (i = j = 0; i < r->nr; i++) {
		for (k = 0; made[k] && strcasecmp(r->names[i], made[k]); k++)
			;
		if (made[k]) {
			free(r->names[i]);
			free(r->values[i]);
			continue;
		}
		r->names[j] = r->names[i];
		r->values[j] = r->values[i];
		r->h[j] = r->h[i];
		j++;
	}
	r->nr = j;
	sw_sigv4_result_init(&res);
	to_sigv4(r, &req);
	if (sw_sigv4_sign(&p, &req, &res) == 0) {
		for (i = 0; i < res.headers.nr; i++) {
			const char *line = res.headers.v[i], *colon = strchr(line, ':');
			add_header(r, span(line, colon), xstrdup(colon + 2));
		}
		to_sigv4(r, &req);
		sw_sigv4_verdict_init(&out);
		if (sw_sigv4_verify(&v, &req, &out) != 0)
			fuzz_fail("the verifier refuses what the signer signed: %s\ncanonical request:\n%s",
				  sw_error_last(), res.canonical_request.ptr);
		sw_sigv4_verdict_release(&out);
	}
	sw_sigv4_result_release(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	unsigned sel = fuzz_byte(&in);
	int protocol = (sel & 1) ? SW_SIGV4_QUERY : SW_SIGV4_JSON;
	struct request r;
	size_t len;
	char *text = fuzz_bytes(&in, &len);

	parse(&r, text, len);
	if (sel & 4) {
		round_trip(&r, sel & 8, protocol);
	} else {
		struct sw_sigv4_verifier v = { protocol, "us-east-1", "service", NOW, 0,
					       (sel & 2) ? SW_SIGV4_PATH_DECODED : 0, lookup,
					       (sel & 8) ? "t" : NULL };
		struct sw_sigv4_verdict out;
		struct sw_sigv4_request req;
		int ret;

		to_sigv4(&r, &req);
		sw_sigv4_verdict_init(&out);
		ret = sw_sigv4_verify(&v, &req, &out);
		if (ret != 0 && ret != SW_EAUTH && ret != SW_EINVAL)
			fuzz_fail("verify returned %d", ret);
		if (ret == SW_EAUTH && (!out.status || !out.code))
			fuzz_fail("refused without a status or code");
		if (ret == 0 && (out.status || strcmp(out.access_key_id.ptr, AKID)))
			fuzz_fail("accepted with status %d for key '%s'", out.status, out.access_key_id.ptr);
		sw_sigv4_verdict_release(&out);
	}
	release(&r);
	free(text);
	return 0;
}
