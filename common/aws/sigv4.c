#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/aws/sigv4.h"
#include "common/error.h"
#include "common/http.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define MAX_AUTH_HEADER 8192

/* One canonical header: lowercase name, values folded and joined with ','. */
struct canon_header {
	char *name;
	struct sw_buf value;
	int seen;
};

struct canon_headers {
	struct canon_header *v;
	size_t nr, alloc;
};

/* ---- helpers ------------------------------------------------------------------ */

void sw_sigv4_uri_encode(struct sw_buf *out, const char *s, size_t len, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '.' || ch == '_' || ch == '~' || (keep_slash && ch == '/')) {
			sw_buf_addch(out, ch);
		} else {
			sw_buf_addch(out, '%');
			sw_buf_addch(out, hex[ch >> 4]);
			sw_buf_addch(out, hex[ch & 15]);
		}
	}
}

void sw_sigv4_amz_date(time_t t, char out[17])
{
	char iso[SW_TIME_ISO_SIZE];
	memcpy(out, sw_time_iso_basic(t, iso), 17);
}

static void hex_of(const unsigned char *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void sw_sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(data ? data : "", len, md, &n, EVP_sha256(), NULL);
	hex_of(md, 32, out);
}

static void hmac(const void *key, size_t keylen, const char *msg, size_t msglen, unsigned char out[32])
{
	unsigned int n = 32;
	HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, msglen, out, &n);
}

/*
 * RFC 3986 remove_dot_segments with runs of '/' collapsed, exactly as botocore's
 * normalize_url_path(): segments "" and "." dropped, ".." pops; a leading '/' kept;
 * a trailing '/' kept when the input ends with one and something is left.
 */
static void normalize_path(struct sw_buf *out, const char *path)
{
	size_t len = strlen(path);
	size_t *starts = NULL, *lens = NULL;
	size_t nr = 0, alloc = 0, alloc2 = 0;
	size_t i = 0, k;

	if (!len) {
		sw_buf_addch(out, '/');
		return;
	}
	while (i <= len) {
		size_t j = i;
		while (j < len && path[j] != '/')
			j++;
		if (j > i && !(j - i == 1 && path[i] == '.')) {
			if (j - i == 2 && path[i] == '.' && path[i + 1] == '.') {
				if (nr)
					nr--;
			} else {
				SW_ALLOC_GROW(starts, nr + 1, alloc);
				SW_ALLOC_GROW(lens, nr + 1, alloc2);
				starts[nr] = i;
				lens[nr] = j - i;
				nr++;
			}
		}
		i = j + 1;
	}
	if (path[0] == '/')
		sw_buf_addch(out, '/');
	for (k = 0; k < nr; k++) {
		if (k)
			sw_buf_addch(out, '/');
		sw_buf_add(out, path + starts[k], lens[k]);
	}
	if (path[len - 1] == '/' && nr)
		sw_buf_addch(out, '/');
	free(starts);
	free(lens);
}

static void canonical_path(struct sw_buf *out, const char *path, unsigned flags)
{
	struct sw_buf raw = SW_BUF_INIT;
	struct sw_buf norm = SW_BUF_INIT;

	if (!path || !*path)
		path = "/";
	if (flags & SW_SIGV4_PATH_DECODED) {
		sw_sigv4_uri_encode(&raw, path, strlen(path), 1);
		path = raw.ptr;
	}
	if (flags & SW_SIGV4_S3) {
		sw_buf_adds(out, path);
	} else {
		normalize_path(&norm, path);
		sw_sigv4_uri_encode(out, norm.ptr, norm.len, 1);
	}
	sw_buf_release(&raw);
	sw_buf_release(&norm);
}

struct qpair {
	char *key;
	char *value;
};

static int qpair_cmp(const void *a, const void *b)
{
	const struct qpair *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : strcmp(x->value, y->value);
}

static void canonical_query(struct sw_buf *out, const char *query)
{
	struct qpair *pairs = NULL;
	size_t nr = 0, alloc = 0, i;
	const char *p = query;

	if (!query || !*query)
		return;
	while (*p) {
		const char *amp = strchr(p, '&');
		size_t n = amp ? (size_t)(amp - p) : strlen(p);
		if (n) {
			const char *eq = memchr(p, '=', n);
			size_t klen = eq ? (size_t)(eq - p) : n;
			struct sw_buf dec = SW_BUF_INIT, enc = SW_BUF_INIT;

			SW_ALLOC_GROW(pairs, nr + 1, alloc);
			sw_http_urldecode(&dec, p, klen, 0);
			sw_sigv4_uri_encode(&enc, dec.ptr, dec.len, 0);
			pairs[nr].key = sw_buf_detach(&enc, NULL);
			sw_buf_reset(&dec);
			if (eq)
				sw_http_urldecode(&dec, eq + 1, n - klen - 1, 0);
			sw_sigv4_uri_encode(&enc, dec.ptr, dec.len, 0);
			pairs[nr].value = sw_buf_detach(&enc, NULL);
			sw_buf_release(&dec);
			nr++;
		}
		p += n;
		if (*p == '&')
			p++;
	}
	if (nr)   /* "&&&" has none, and qsort may not be given NULL */
		qsort(pairs, nr, sizeof(*pairs), qpair_cmp);
	for (i = 0; i < nr; i++) {
		if (i)
			sw_buf_addch(out, '&');
		sw_buf_adds(out, pairs[i].key);
		sw_buf_addch(out, '=');
		sw_buf_adds(out, pairs[i].value);
		free(pairs[i].key);
		free(pairs[i].value);
	}
	free(pairs);
}

static int is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Trim, and fold each run of whitespace to one space (botocore: ' '.join(v.split())). */
static void fold_value(struct sw_buf *out, const char *v)
{
	int pending = 0, any = 0;
	for (; *v; v++) {
		if (is_ws((unsigned char)*v)) {
			pending = any;
			continue;
		}
		if (pending)
			sw_buf_addch(out, ' ');
		pending = 0;
		any = 1;
		sw_buf_addch(out, *v);
	}
}

static char *lowercase(const char *s)
{
	char *r = xstrdup(s);
	char *p;
	for (p = r; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return r;
}

static struct canon_header *canon_find(struct canon_headers *h, const char *lname)
{
	size_t i;
	for (i = 0; i < h->nr; i++)
		if (!strcmp(h->v[i].name, lname))
			return &h->v[i];
	return NULL;
}

static struct canon_header *canon_add(struct canon_headers *h, const char *name, const char *value)
{
	char *lname = lowercase(name);
	struct canon_header *e = canon_find(h, lname);

	if (e) {
		free(lname);
		if (e->seen)
			sw_buf_addch(&e->value, ',');
	} else {
		SW_ALLOC_GROW(h->v, h->nr + 1, h->alloc);
		e = &h->v[h->nr++];
		e->name = lname;
		sw_buf_init(&e->value, 0);
	}
	if (value) {
		fold_value(&e->value, value);
		e->seen = 1;
	} else {
		e->seen = 0;
	}
	return e;
}

static void canon_release(struct canon_headers *h)
{
	size_t i;
	for (i = 0; i < h->nr; i++) {
		free(h->v[i].name);
		sw_buf_release(&h->v[i].value);
	}
	free(h->v);
	h->v = NULL;
	h->nr = h->alloc = 0;
}

static int canon_cmp(const void *a, const void *b)
{
	const struct canon_header *x = a, *y = b;
	return strcmp(x->name, y->name);
}

/* The canonical request, given the headers to sign in their final order. */
static void build_canonical(struct sw_buf *out, const char *method, const struct sw_sigv4_request *req,
			    unsigned flags, const struct canon_headers *h, const char *payload_hash,
			    struct sw_buf *signed_names)
{
	size_t i;

	sw_buf_adds(out, method);
	sw_buf_addch(out, '\n');
	canonical_path(out, req->path, flags);
	sw_buf_addch(out, '\n');
	canonical_query(out, req->query);
	sw_buf_addch(out, '\n');
	for (i = 0; i < h->nr; i++) {
		sw_buf_addf(out, "%s:%s\n", h->v[i].name, h->v[i].value.ptr);
		if (i)
			sw_buf_addch(signed_names, ';');
		sw_buf_adds(signed_names, h->v[i].name);
	}
	sw_buf_addch(out, '\n');
	sw_buf_add(out, signed_names->ptr, signed_names->len);
	sw_buf_addch(out, '\n');
	sw_buf_adds(out, payload_hash);
}

static void build_string_to_sign(struct sw_buf *out, const char *amz_date, const char *scope,
				 const struct sw_buf *canonical)
{
	char hash[65];
	sw_sigv4_sha256_hex(canonical->ptr, canonical->len, hash);
	sw_buf_addf(out, ALGORITHM "\n%s\n%s\n%s", amz_date, scope, hash);
}

/* hex signature of sts with the key derived from secret/date/region/service. */
static void compute_signature(const char *secret, const char *date8, const char *region,
			      const char *service, const struct sw_buf *sts, char out[65])
{
	struct sw_buf k = SW_BUF_INIT;
	unsigned char kd[32], kr[32], ks[32], kk[32], sig[32];

	sw_buf_addf(&k, "AWS4%s", secret);
	hmac(k.ptr, k.len, date8, strlen(date8), kd);
	hmac(kd, 32, region, strlen(region), kr);
	hmac(kr, 32, service, strlen(service), ks);
	hmac(ks, 32, "aws4_request", 12, kk);
	hmac(kk, 32, sts->ptr, sts->len, sig);
	hex_of(sig, 32, out);
	OPENSSL_cleanse(k.ptr, k.len);
	OPENSSL_cleanse(kk, sizeof(kk));
	sw_buf_release(&k);
}

static void payload_hash_of(const struct sw_sigv4_request *req, char out[65])
{
	if (req->payload_hash && strlen(req->payload_hash) < 65) {
		size_t n = strlen(req->payload_hash);
		memcpy(out, req->payload_hash, n + 1);
		return;
	}
	sw_sigv4_sha256_hex(req->body, req->body ? req->body_len : 0, out);
}

/*
 * 1 unless name is an HTTP token (RFC 9110 tchar): the verifier splits SignedHeaders on ';'
 * and the Authorization header on ',' and trims spaces, so a name with one of those (or
 * any other separator) would be signed as one thing and verified as another.
 */
static int bad_header_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	return !n || strspn(name, "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != n;
}

static int bad_text(const char *s)
{
	for (; *s; s++)
		if (*s == '\r' || *s == '\n')
			return 1;
	return 0;
}

/* ---- signing ------------------------------------------------------------------- */

void sw_sigv4_result_init(struct sw_sigv4_result *res)
{
	sw_strvec_init(&res->headers);
	sw_buf_init(&res->canonical_request, 0);
	sw_buf_init(&res->string_to_sign, 0);
	sw_buf_init(&res->authorization, 0);
	res->amz_date[0] = '\0';
}

void sw_sigv4_result_release(struct sw_sigv4_result *res)
{
	sw_strvec_clear(&res->headers);
	sw_buf_release(&res->canonical_request);
	sw_buf_release(&res->string_to_sign);
	sw_buf_release(&res->authorization);
	res->amz_date[0] = '\0';
}

static int never_signed(const char *name, const struct sw_sigv4_params *p, int has_token)
{
	if (!strcasecmp(name, "authorization") || !strcasecmp(name, "x-amz-date") ||
	    !strcasecmp(name, "expect") || !strcasecmp(name, "user-agent") ||
	    !strcasecmp(name, "x-amzn-trace-id"))
		return 1;
	if (has_token && !strcasecmp(name, "x-amz-security-token"))
		return 1;
	if ((p->flags & SW_SIGV4_S3) && !strcasecmp(name, "x-amz-content-sha256"))
		return 1;
	return 0;
}

int sw_sigv4_sign(const struct sw_sigv4_params *p, const struct sw_sigv4_request *req,
		  struct sw_sigv4_result *res)
{
	struct canon_headers h = { NULL, 0, 0 };
	struct sw_buf scope = SW_BUF_INIT;
	struct sw_buf names = SW_BUF_INIT;
	char payload[65], sig[65], date8[9];
	int has_token = p->session_token && *p->session_token;
	int has_host = 0;
	size_t i;
	int ret = SW_EINVAL;

	sw_sigv4_result_release(res);
	if (!req->method || !*req->method) {
		sw_error_code(SW_EINVAL, "sigv4: no method");
		goto cleanup;
	}
	if (!p->access_key_id || !*p->access_key_id || !p->secret_access_key || !*p->secret_access_key) {
		sw_error_code(SW_EINVAL, "sigv4: no credentials");
		goto cleanup;
	}
	if (!p->region || !*p->region || !p->service || !*p->service) {
		sw_error_code(SW_EINVAL, "sigv4: no region or service");
		goto cleanup;
	}
	if (bad_text(p->access_key_id) || bad_text(p->region) || bad_text(p->service) ||
	    (has_token && bad_text(p->session_token)) || bad_text(req->method) ||
	    (req->path && bad_text(req->path)) || (req->query && bad_text(req->query))) {
		sw_error_code(SW_EINVAL, "sigv4: line break in a request field");
		goto cleanup;
	}
	payload_hash_of(req, payload);
	sw_sigv4_amz_date(p->now, res->amz_date);
	memcpy(date8, res->amz_date, 8);
	date8[8] = '\0';

	for (i = 0; i < req->nr_headers; i++) {
		const struct sw_sigv4_header *hd = &req->headers[i];
		if (bad_header_name(hd->name) || !hd->value) {
			sw_error_code(SW_EINVAL, "sigv4: bad header name '%s'", hd->name ? hd->name : "(null)");
			goto cleanup;
		}
		if (bad_text(hd->value)) {
			sw_error_code(SW_EINVAL, "sigv4: line break in the value of header %s", hd->name);
			goto cleanup;
		}
		if (never_signed(hd->name, p, has_token))
			continue;
		if (!strcasecmp(hd->name, "host"))
			has_host = 1;
		canon_add(&h, hd->name, hd->value);
	}
	if (!has_host) {
		sw_error_code(SW_EINVAL, "sigv4: no Host header");
		goto cleanup;
	}
	canon_add(&h, "x-amz-date", res->amz_date);
	sw_strvec_pushf(&res->headers, "X-Amz-Date: %s", res->amz_date);
	if (has_token) {
		if (!(p->flags & SW_SIGV4_UNSIGNED_TOKEN))
			canon_add(&h, "x-amz-security-token", p->session_token);
		sw_strvec_pushf(&res->headers, "X-Amz-Security-Token: %s", p->session_token);
	}
	if (p->flags & SW_SIGV4_S3) {
		canon_add(&h, "x-amz-content-sha256", payload);
		sw_strvec_pushf(&res->headers, "X-Amz-Content-Sha256: %s", payload);
	}
	qsort(h.v, h.nr, sizeof(*h.v), canon_cmp);

	build_canonical(&res->canonical_request, req->method, req, p->flags, &h, payload, &names);
	sw_buf_addf(&scope, "%s/%s/%s/aws4_request", date8, p->region, p->service);
	build_string_to_sign(&res->string_to_sign, res->amz_date, scope.ptr, &res->canonical_request);
	compute_signature(p->secret_access_key, date8, p->region, p->service, &res->string_to_sign, sig);
	sw_buf_addf(&res->authorization, ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
		    p->access_key_id, scope.ptr, names.ptr, sig);
	sw_strvec_pushf(&res->headers, "Authorization: %s", res->authorization.ptr);
	ret = 0;
cleanup:
	canon_release(&h);
	sw_buf_release(&scope);
	sw_buf_release(&names);
	return ret;
}

/* ---- verifying ----------------------------------------------------------------- */

void sw_sigv4_verdict_init(struct sw_sigv4_verdict *v)
{
	v->status = 0;
	v->code = NULL;
	sw_buf_init(&v->message, 0);
	sw_buf_init(&v->access_key_id, 0);
	sw_buf_init(&v->region, 0);
	sw_buf_init(&v->service, 0);
}

void sw_sigv4_verdict_release(struct sw_sigv4_verdict *v)
{
	v->status = 0;
	v->code = NULL;
	sw_buf_release(&v->message);
	sw_buf_release(&v->access_key_id);
	sw_buf_release(&v->region);
	sw_buf_release(&v->service);
}

enum refusal { R_MISSING, R_INCOMPLETE, R_UNKNOWN_KEY, R_SIGNATURE, R_INTERNAL };

static int refuse(const struct sw_sigv4_verifier *v, struct sw_sigv4_verdict *out, enum refusal why,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int refuse(const struct sw_sigv4_verifier *v, struct sw_sigv4_verdict *out, enum refusal why,
		  const char *fmt, ...)
{
	static const struct { const char *json; const char *query; int jstatus, qstatus; } names[] = {
		[R_MISSING] = { "MissingAuthenticationTokenException", "MissingAuthenticationToken", 400, 403 },
		[R_INCOMPLETE] = { "IncompleteSignatureException", "IncompleteSignature", 400, 400 },
		[R_UNKNOWN_KEY] = { "UnrecognizedClientException", "InvalidClientTokenId", 400, 403 },
		[R_SIGNATURE] = { "InvalidSignatureException", "SignatureDoesNotMatch", 400, 403 },
		[R_INTERNAL] = { "InternalFailure", "InternalFailure", 500, 500 },
	};
	va_list ap;
	int query = v->protocol == SW_SIGV4_QUERY;

	out->code = query ? names[why].query : names[why].json;
	out->status = query ? names[why].qstatus : names[why].jstatus;
	sw_buf_reset(&out->message);
	va_start(ap, fmt);
	sw_buf_vaddf(&out->message, fmt, ap);
	va_end(ap);
	return sw_error_code(SW_EAUTH, "%s: %s", out->code, out->message.ptr);
}

static const char *find_header(const struct sw_sigv4_request *req, const char *name)
{
	size_t i;
	for (i = 0; i < req->nr_headers; i++)
		if (req->headers[i].name && !strcasecmp(req->headers[i].name, name))
			return req->headers[i].value ? req->headers[i].value : "";
	return NULL;
}

/* "YYYYMMDDTHHMMSSZ" to a time_t; -1 when it is not exactly that. */
static time_t parse_amz_date(const char *s)
{
	struct tm tm;
	const char *end;
	int i;

	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
		return -1;
	for (i = 0; i < 15; i++)
		if (i != 8 && !isdigit((unsigned char)s[i]))
			return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y%m%dT%H%M%SZ", &tm);
	if (!end || *end)
		return -1;
	return timegm(&tm);
}

/* RFC 1123 "Sun, 30 Aug 2015 12:36:00 GMT" */
static time_t parse_http_date(const char *s)
{
	struct tm tm;
	const char *end;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end || *end)
		return -1;
	return timegm(&tm);
}

static void trim_span(const char **s, size_t *n)
{
	while (*n && is_ws((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_ws((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* What a request's Authorization header and date say, as the verifier reads them. */
struct signed_by {
	const char *auth;                  /* the Authorization header (borrowed from the request) */
	struct sw_buf cred, names, sig;    /* Credential=, SignedHeaders=, Signature= */
	const char *amz_date, *date_hdr;   /* X-Amz-Date, else Date (borrowed) */
	const char *parts[5];              /* Credential's key id/date/region/service/terminator */
	size_t plen[5];
	time_t t;                          /* the request time */
	char amz[17], date8[9];            /* t in SigV4's basic form, and its date */
};

/* Take Credential=, SignedHeaders= and Signature= out of the header; refuse what lacks one. */
static int parse_authorization(const struct sw_sigv4_verifier *v, const struct sw_sigv4_request *req,
			       struct signed_by *a, struct sw_sigv4_verdict *out)
{
	struct sw_buf missing = SW_BUF_INIT;
	const char *p = a->auth;
	int have_cred = 0, have_names = 0, have_sig = 0, ret = 0;

	/* "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." */
	while (is_ws((unsigned char)*p))
		p++;
	if (strncmp(p, ALGORITHM, strlen(ALGORITHM)) || !is_ws((unsigned char)p[strlen(ALGORITHM)]))
		p = NULL;   /* not a SigV4 header at all: AWS lists what is missing and echoes it */
	else
		p += strlen(ALGORITHM);
	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		const char *item = p;
		const char *eq;
		size_t klen;

		trim_span(&item, &n);
		p = comma ? comma + 1 : p + strlen(p);
		if (!n)
			continue;
		eq = memchr(item, '=', n);
		if (!eq) {
			ret = refuse(v, out, R_INCOMPLETE,
				     "'%.*s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.",
				     (int)n, item, a->auth);
			goto cleanup;
		}
		klen = (size_t)(eq - item);
		if (klen == 10 && !strncmp(item, "Credential", 10)) {
			sw_buf_reset(&a->cred);
			sw_buf_add(&a->cred, eq + 1, n - klen - 1);
			have_cred = 1;
		} else if (klen == 13 && !strncmp(item, "SignedHeaders", 13)) {
			sw_buf_reset(&a->names);
			sw_buf_add(&a->names, eq + 1, n - klen - 1);
			have_names = 1;
		} else if (klen == 9 && !strncmp(item, "Signature", 9)) {
			sw_buf_reset(&a->sig);
			sw_buf_add(&a->sig, eq + 1, n - klen - 1);
			have_sig = 1;
		}
	}
	a->amz_date = find_header(req, "x-amz-date");
	a->date_hdr = a->amz_date ? NULL : find_header(req, "date");
	if (!have_cred)
		sw_buf_adds(&missing, "Authorization header requires 'Credential' parameter. ");
	if (!have_sig)
		sw_buf_adds(&missing, "Authorization header requires 'Signature' parameter. ");
	if (!have_names)
		sw_buf_adds(&missing, "Authorization header requires 'SignedHeaders' parameter. ");
	if (!a->amz_date && !a->date_hdr)
		sw_buf_adds(&missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
	if (missing.len)
		ret = refuse(v, out, R_INCOMPLETE, "%sAuthorization=%s", missing.ptr, a->auth);
cleanup:
	sw_buf_release(&missing);
	return ret;
}

/* Credential=AKID/20150830/us-east-1/service/aws4_request: its five parts, into out too. */
static int split_credential(const struct sw_sigv4_verifier *v, struct signed_by *a, struct sw_sigv4_verdict *out)
{
	const char *p = a->cred.ptr;
	int nparts = 0;

	while (nparts < 5) {
		const char *slash = strchr(p, '/');
		a->parts[nparts] = p;
		a->plen[nparts] = slash ? (size_t)(slash - p) : strlen(p);
		nparts++;
		if (!slash)
			break;
		p = slash + 1;
		if (nparts == 5) {
			nparts = 6; /* too many */
			break;
		}
	}
	if (nparts != 5)
		return refuse(v, out, R_INCOMPLETE,
			      "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'",
			      a->cred.ptr);
	sw_buf_add(&out->access_key_id, a->parts[0], a->plen[0]);
	sw_buf_add(&out->region, a->parts[2], a->plen[2]);
	sw_buf_add(&out->service, a->parts[3], a->plen[3]);
	return 0;
}

/* The request time from X-Amz-Date (else Date), in the basic form and as the scope's date. */
static int request_time(const struct sw_sigv4_verifier *v, struct signed_by *a, struct sw_sigv4_verdict *out)
{
	if (a->amz_date) {
		a->t = parse_amz_date(a->amz_date);
		if (a->t == (time_t)-1)
			return refuse(v, out, R_INCOMPLETE,
				      "Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601",
				      a->amz_date);
	} else {
		a->t = parse_http_date(a->date_hdr);
		if (a->t == (time_t)-1)
			return refuse(v, out, R_INCOMPLETE, "Date must be in RFC 1123 format. Got '%s'.", a->date_hdr);
	}
	sw_sigv4_amz_date(a->t, a->amz);
	memcpy(a->date8, a->amz, 8);
	a->date8[8] = '\0';
	return 0;
}

/* The credential's scope (date, terminator, region, service) and the clock skew, as AWS checks them. */
static int check_scope(const struct sw_sigv4_verifier *v, const struct signed_by *a, struct sw_sigv4_verdict *out)
{
	long skew = v->max_skew > 0 ? v->max_skew : 300;
	char nowbuf[17], limbuf[17];

	if (a->plen[1] != 8 || memcmp(a->parts[1], a->date8, 8))
		return refuse(v, out, R_SIGNATURE,
			      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%.*s' != '%s', from '%s'.",
			      (int)a->plen[1], a->parts[1], a->date8, a->amz_date ? a->amz_date : a->date_hdr);
	if (a->plen[4] != 12 || memcmp(a->parts[4], "aws4_request", 12))
		return refuse(v, out, R_SIGNATURE,
			      "Credential should be scoped with a valid terminator: 'aws4_request', not '%.*s'.",
			      (int)a->plen[4], a->parts[4]);
	if (v->region && strcmp(out->region.ptr, v->region))
		return refuse(v, out, R_SIGNATURE, "Credential should be scoped to a valid region, not '%s'.",
			      out->region.ptr);
	if (v->service && strcmp(out->service.ptr, v->service))
		return refuse(v, out, R_SIGNATURE, "Credential should be scoped to correct service: '%s'.", v->service);
	if (a->t < v->now - skew) {
		sw_sigv4_amz_date(v->now, nowbuf);
		sw_sigv4_amz_date(v->now - skew, limbuf);
		return refuse(v, out, R_SIGNATURE, "Signature expired: %s is now earlier than %s (%s - %ld min.)",
			      a->amz, limbuf, nowbuf, skew / 60);
	}
	if (a->t > v->now + skew) {
		sw_sigv4_amz_date(v->now, nowbuf);
		sw_sigv4_amz_date(v->now + skew, limbuf);
		return refuse(v, out, R_SIGNATURE, "Signature not yet current: %s is still later than %s (%s + %ld min.)",
			      a->amz, limbuf, nowbuf, skew / 60);
	}
	return 0;
}

/* Who is it: the key's secret from the store, and the session token it must have sent. */
static int find_secret(const struct sw_sigv4_verifier *v, const struct sw_sigv4_request *req,
		       struct sw_sigv4_verdict *out, struct sw_buf *secret, struct sw_buf *token)
{
	const char *sent;
	int rc;

	if (!v->lookup)
		return refuse(v, out, R_INTERNAL, "No credential store configured.");
	rc = v->lookup(v->lookup_ctx, out->access_key_id.ptr, secret, token);
	if (rc == SW_ENOTFOUND)
		return refuse(v, out, R_UNKNOWN_KEY, "The security token included in the request is invalid.");
	if (rc < 0)
		return refuse(v, out, R_INTERNAL, "An internal error occurred while checking the credentials.");
	sent = find_header(req, "x-amz-security-token");
	if ((token->len && (!sent || strcmp(sent, token->ptr))) || (!token->len && sent && *sent))
		return refuse(v, out, R_UNKNOWN_KEY, "The security token included in the request is invalid.");
	return 0;
}

/* The headers it says it signed, in its order, with the request's values; Host must be one. */
static int signed_headers(const struct sw_sigv4_verifier *v, const struct sw_sigv4_request *req, const char *names,
			  struct canon_headers *h, struct sw_sigv4_verdict *out)
{
	const char *p = names;
	int has_host = 0;
	size_t i;

	while (*p) {
		const char *semi = strchr(p, ';');
		size_t n = semi ? (size_t)(semi - p) : strlen(p);
		char *lname = xstrndup(p, n);
		char *l = lowercase(lname);
		struct canon_header *e;

		free(lname);
		if (!strcmp(l, "host"))
			has_host = 1;
		if (!canon_find(h, l)) {
			e = canon_add(h, l, NULL);
			for (i = 0; i < req->nr_headers; i++) {
				const struct sw_sigv4_header *hd = &req->headers[i];
				if (hd->name && !strcasecmp(hd->name, l)) {
					if (e->seen)
						sw_buf_addch(&e->value, ',');
					fold_value(&e->value, hd->value ? hd->value : "");
					e->seen = 1;
				}
			}
		}
		free(l);
		p += n;
		if (*p == ';')
			p++;
	}
	if (!has_host)
		return refuse(v, out, R_SIGNATURE,
			      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
	return 0;
}

/* Sign the request as the sender should have, and compare in constant time. */
static int check_signature(const struct sw_sigv4_verifier *v, const struct sw_sigv4_request *req,
			   const struct signed_by *a, struct canon_headers *h, const char *secret,
			   struct sw_sigv4_verdict *out)
{
	struct sw_buf canonical = SW_BUF_INIT, sts = SW_BUF_INIT, scope = SW_BUF_INIT, signed_list = SW_BUF_INIT;
	char payload[65], expect[65];
	int ret = 0;

	payload_hash_of(req, payload);
	build_canonical(&canonical, req->method, req, v->flags, h, payload, &signed_list);
	sw_buf_addf(&scope, "%s/%s/%s/aws4_request", a->date8, out->region.ptr, out->service.ptr);
	build_string_to_sign(&sts, a->amz, scope.ptr, &canonical);
	compute_signature(secret, a->date8, out->region.ptr, out->service.ptr, &sts, expect);
	if (a->sig.len != 64 || CRYPTO_memcmp(a->sig.ptr, expect, 64))
		ret = refuse(v, out, R_SIGNATURE,
			     "The request signature we calculated does not match the signature you provided. "
			     "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
	sw_buf_release(&canonical);
	sw_buf_release(&sts);
	sw_buf_release(&scope);
	sw_buf_release(&signed_list);
	return ret;
}

int sw_sigv4_verify(const struct sw_sigv4_verifier *v, const struct sw_sigv4_request *req,
		    struct sw_sigv4_verdict *out)
{
	struct canon_headers h = { NULL, 0, 0 };
	struct signed_by a;
	struct sw_buf secret = SW_BUF_INIT, token = SW_BUF_INIT;
	int ret = SW_EAUTH;

	memset(&a, 0, sizeof(a));
	sw_buf_init(&a.cred, 0);
	sw_buf_init(&a.names, 0);
	sw_buf_init(&a.sig, 0);
	sw_sigv4_verdict_release(out);
	if (!req->method || !*req->method) {
		ret = sw_error_code(SW_EINVAL, "sigv4: no method");
		goto cleanup;
	}
	a.auth = find_header(req, "authorization");
	if (!a.auth) {
		refuse(v, out, R_MISSING, v->protocol == SW_SIGV4_QUERY
		       ? "Request is missing Authentication Token" : "Missing Authentication Token");
		goto cleanup;
	}
	if (strlen(a.auth) > MAX_AUTH_HEADER) {
		refuse(v, out, R_INCOMPLETE, "Authorization header is longer than %d bytes.", MAX_AUTH_HEADER);
		goto cleanup;
	}
	if ((ret = parse_authorization(v, req, &a, out)) < 0 || (ret = split_credential(v, &a, out)) < 0 ||
	    (ret = request_time(v, &a, out)) < 0 || (ret = check_scope(v, &a, out)) < 0 ||
	    (ret = find_secret(v, req, out, &secret, &token)) < 0 ||
	    (ret = signed_headers(v, req, a.names.ptr, &h, out)) < 0 ||
	    (ret = check_signature(v, req, &a, &h, secret.ptr, out)) < 0)
		goto cleanup;
	out->status = 0;
	out->code = NULL;
	ret = 0;
cleanup:
	if (secret.len)
		OPENSSL_cleanse(secret.ptr, secret.len);
	canon_release(&h);
	sw_buf_release(&a.cred);
	sw_buf_release(&a.names);
	sw_buf_release(&a.sig);
	sw_buf_release(&secret);
	sw_buf_release(&token);
	return ret;
}
