#ifndef SW_AWS_SIGV4_H
#define SW_AWS_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "common/buf.h"
#include "common/strvec.h"

/*
 * AWS Signature Version 4 (header form, AWS4-HMAC-SHA256), both sides:
 *  - sw_sigv4_sign():   the client (releaser, `slipway aws`) signs a request;
 *  - sw_sigv4_verify(): the embedded engine checks one, answering with AWS's own
 *    error codes and messages.
 * Canonicalisation follows AWS's published rules and botocore.auth.SigV4Auth (the
 * reference): path dot-segments removed, runs of '/' collapsed, then every byte but
 * the unreserved set and '/' percent-encoded (so a path that is already %-encoded on
 * the wire is encoded a second time, as every service but S3 expects); query pairs
 * percent-decoded, re-encoded, sorted by key then value; header names lowercased,
 * values trimmed with inner whitespace runs folded to one space, repeated headers
 * joined with ',' in order. Checked byte for byte against AWS's test suite
 * (test/data/aws-sig-v4-test-suite) and against botocore (test/integration/aws).
 *
 * Time is always passed in (now): nothing in here reads the clock, so a signature
 * repeats in tests. All strings are NUL-terminated; header values may hold any byte
 * but NUL.
 */

/* A request header as name and value (no ':' and no CRLF). Not owned. */
struct sw_sigv4_header {
	const char *name;
	const char *value;
};

/* The request being signed or verified. Nothing here is owned by the struct. */
struct sw_sigv4_request {
	const char *method;      /* "GET", "POST", ... (used as given, upper case) */
	const char *path;        /* as on the wire, %-encoded, without the query; NULL or "" = "/" */
	const char *query;       /* as on the wire, without '?'; NULL or "" = none */
	const struct sw_sigv4_header *headers; /* must contain Host (Host: name[:port]) */
	size_t nr_headers;
	const void *body;        /* the whole body (NULL with body_len 0 = empty) ... */
	size_t body_len;
	const char *payload_hash;/* ... or its lowercase hex SHA-256 when already known
				    (or "UNSIGNED-PAYLOAD"); when set, body is not read */
};

/* Flags for struct sw_sigv4_params.flags */
enum {
	/*
	 * S3-style signing: the path is neither normalised nor encoded a second time, and
	 * an X-Amz-Content-Sha256 header carrying the payload hash is added and signed.
	 * None of the services slipway calls (ECS, ECR, ELBv2, CloudWatch Logs: all
	 * JSON 1.1 or Query) wants this; it exists for S3 and S3-compatible stores.
	 */
	SW_SIGV4_S3 = 1 << 0,
	/* Add X-Amz-Security-Token after signing instead of signing it (the suite's
	 * post-sts-header-after case; a few old services want that). Default: signed. */
	SW_SIGV4_UNSIGNED_TOKEN = 1 << 1,
	/* Verifier only: req->path is already %-decoded (as some HTTP servers hand it
	 * over); it is encoded once more before the usual canonical encoding. */
	SW_SIGV4_PATH_DECODED = 1 << 2,
};

struct sw_sigv4_params {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token; /* NULL or "": none */
	const char *region;        /* "us-east-1" */
	const char *service;       /* signing name: "ecs", "ecr", "elasticloadbalancing", "logs" */
	time_t now;                /* the clock: seconds since the epoch (UTC) */
	unsigned flags;            /* SW_SIGV4_* */
};

/*
 * What sw_sigv4_sign() produces. Caller-owned: sw_sigv4_result_init() before use,
 * sw_sigv4_result_release() after (frees everything inside).
 */
struct sw_sigv4_result {
	/*
	 * "Name: value" lines to add to the request before sending it, in this order:
	 * X-Amz-Date, X-Amz-Security-Token (with a session token), X-Amz-Content-Sha256
	 * (SW_SIGV4_S3 only), Authorization. Ready for struct sw_http_request.headers
	 * (append them to the request's own header lines).
	 */
	struct sw_strvec headers;
	struct sw_buf canonical_request;
	struct sw_buf string_to_sign;
	struct sw_buf authorization;     /* the Authorization header value */
	char amz_date[17];               /* "20150830T123600Z" */
};

void sw_sigv4_result_init(struct sw_sigv4_result *res);
void sw_sigv4_result_release(struct sw_sigv4_result *res);

/*
 * Sign req with p. Every header of req is signed except the ones botocore never signs
 * (Expect, User-Agent, X-Amzn-Trace-Id) and the ones the signer makes itself: Authorization,
 * X-Amz-Date, and (with a session token) X-Amz-Security-Token, (SW_SIGV4_S3)
 * X-Amz-Content-Sha256 — those in req are ignored and must not be sent. req is not
 * modified: the caller sends req's headers plus res->headers.
 * Returns 0, or SW_EINVAL (missing Host, method, credentials, region or service; a header
 * name that is not an HTTP token, e.g. with ':', ';', ',', white space or a control
 * character in it; a CR or LF in a header value, the path, the query or the token) with
 * the error slot set.
 */
int sw_sigv4_sign(const struct sw_sigv4_params *p, const struct sw_sigv4_request *req,
		  struct sw_sigv4_result *res);

/* ---- the server side ---------------------------------------------------------- */

/* Which family of error names the service answers with. */
enum sw_sigv4_protocol {
	SW_SIGV4_JSON,  /* JSON 1.0/1.1 services (ECS, ECR, Logs): InvalidSignatureException, ... */
	SW_SIGV4_QUERY, /* Query services (ELBv2): SignatureDoesNotMatch, InvalidClientTokenId, ... */
};

/*
 * Look up an access key id. Return 0 and append the secret access key to secret
 * (and the session token, when that key is a temporary one, to session_token), or
 * SW_ENOTFOUND when the key is unknown, or another negative code on an internal
 * failure (the request is then refused with InternalFailure / 500). Called at most
 * once per sw_sigv4_verify(), on the caller's thread.
 */
typedef int (*sw_sigv4_lookup_fn)(void *ctx, const char *access_key_id,
				  struct sw_buf *secret, struct sw_buf *session_token);

struct sw_sigv4_verifier {
	enum sw_sigv4_protocol protocol;
	const char *region;   /* expected region in the credential scope; NULL: any */
	const char *service;  /* expected signing name; NULL: any */
	time_t now;           /* the clock, seconds since the epoch (UTC) */
	long max_skew;        /* seconds; 0 = 300 (AWS's 5 minutes) */
	unsigned flags;       /* SW_SIGV4_S3, SW_SIGV4_PATH_DECODED */
	sw_sigv4_lookup_fn lookup;
	void *lookup_ctx;
};

/*
 * The verifier's answer. Caller-owned: sw_sigv4_verdict_init() / _release().
 * When a request is refused, status/code/message are what to answer with:
 *
 *   case                         JSON (status, code)                    Query (status, code)
 *   no Authorization header      400 MissingAuthenticationTokenException 403 MissingAuthenticationToken
 *   malformed Authorization      400 IncompleteSignatureException       400 IncompleteSignature
 *   unknown access key id        400 UnrecognizedClientException        403 InvalidClientTokenId
 *   wrong/missing session token  400 UnrecognizedClientException        403 InvalidClientTokenId
 *   wrong scope (date/region/..) 400 InvalidSignatureException          403 SignatureDoesNotMatch
 *   signature mismatch           400 InvalidSignatureException          403 SignatureDoesNotMatch
 *   date more than max_skew off  400 InvalidSignatureException          403 SignatureDoesNotMatch
 *                                    ("Signature expired: 20150830T123600Z is now earlier than
 *                                      20150830T124100Z (20150830T124600Z - 5 min.)" /
 *                                     "Signature not yet current: ... is still later than ...")
 *   lookup failed internally     500 InternalFailure                    500 InternalFailure
 *
 * JSON services answer {"__type":"<code>","message":"<message>"} (with the
 * x-amzn-ErrorType: <code> header); Query services an <ErrorResponse><Error>
 * <Type>Sender</Type><Code>..</Code><Message>..</Message></Error></ErrorResponse>.
 */
struct sw_sigv4_verdict {
	int status;                   /* 0 when accepted, else the HTTP status to answer */
	const char *code;             /* static string; NULL when accepted */
	struct sw_buf message;        /* AWS's message text; empty when accepted */
	struct sw_buf access_key_id;  /* the signer's key id, once the header could be parsed */
	struct sw_buf region;         /* from the credential scope (same condition) */
	struct sw_buf service;
};

void sw_sigv4_verdict_init(struct sw_sigv4_verdict *v);
void sw_sigv4_verdict_release(struct sw_sigv4_verdict *v);

/*
 * Verify the Authorization header of req (header-signed requests; presigned query
 * URLs are not accepted). The date comes from X-Amz-Date, else Date (RFC 1123).
 * Returns 0 when the signature is good (out->status == 0), SW_EAUTH when the request
 * is refused (out filled as above; the error slot holds "<code>: <message>"), or
 * SW_EINVAL when req itself is unusable (e.g. NULL method).
 * Thread-safe: the verifier holds no state between calls.
 */
int sw_sigv4_verify(const struct sw_sigv4_verifier *v, const struct sw_sigv4_request *req,
		    struct sw_sigv4_verdict *out);

/* ---- helpers both sides use ------------------------------------------------------ */

/* AWS URI-encode: keep A-Z a-z 0-9 - . _ ~ (and '/' when keep_slash), else %XX (upper hex). */
void sw_sigv4_uri_encode(struct sw_buf *out, const char *s, size_t len, int keep_slash);

/* "YYYYMMDDTHHMMSSZ" for t into out (17 bytes with the NUL). */
void sw_sigv4_amz_date(time_t t, char out[17]);

/* Lowercase hex SHA-256 of data into out (65 bytes with the NUL). */
void sw_sigv4_sha256_hex(const void *data, size_t len, char out[65]);

#endif
