#ifndef SW_HTTP_H
#define SW_HTTP_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>

#include "common/buf.h"
#include "common/cancel.h"
#include "common/strvec.h"

/*
 * The HTTP client (libcurl), for Docker (over its unix socket), the registry, AWS,
 * slipwayd's own API (hook, CLI). One call per request; bodies can be streamed
 * both ways so nothing large is held in memory.
 *
 * Call sw_http_global_init() once from main() before any thread starts.
 */

/* Fill buf with up to n bytes of request body: bytes written, 0 at the end, < 0 to abort. */
typedef ssize_t (*sw_http_read_fn)(void *ctx, char *buf, size_t n);
/* Take n bytes of response body: 0, or < 0 to abort the transfer. */
typedef int (*sw_http_write_fn)(void *ctx, const char *data, size_t n);

struct sw_http_request {
	const char *method;             /* NULL: GET, or POST when there is a body */
	const char *url;                /* http://host/path (for a unix socket the host is ignored) */
	const char *unix_socket;        /* connect through this socket path instead of TCP */
	const struct sw_strvec *headers;/* "Name: value" lines, may be NULL */
	const void *body;               /* whole request body, body_len bytes ... */
	size_t body_len;
	sw_http_read_fn read;           /* ... or a streamed one, sent chunked */
	void *read_ctx;
	sw_http_write_fn write;         /* stream the response body here (res->body stays empty) */
	void *write_ctx;
	size_t max_body;                /* cap on a buffered response body; 0: 8 MiB */
	long connect_timeout_ms;        /* 0: 5 s */
	long timeout_ms;                /* whole call, 0: no limit (streams) */
	long low_speed_secs;            /* abort when under 1 byte/s for this long; 0: off */
	const struct sw_cancel *cancel; /* non-NULL: polled during the transfer (at least once a
	                                   second, even when nothing moves); raised (any reason)
	                                   aborts it with SW_ECANCEL */
	const char *resolve;            /* "host:port:address": connect there for host (curl's
	                                   CURLOPT_RESOLVE), NULL: DNS */
	int (*allow_addr)(void *ctx, const struct sockaddr *sa);   /* non-NULL: asked before each
	                                   connection with its address; 0 refuses it (SW_EUNAVAIL).
	                                   No proxy is used then */
	void *allow_ctx;
};

struct sw_http_response {
	long status;                    /* set as soon as the status line came (a streaming
	                                   write callback may look at it), final after the call */
	struct sw_strvec headers;       /* "name: value", names lowercased, as received */
	struct sw_buf body;
};

#define SW_HTTP_RESPONSE_INIT { 0, SW_STRVEC_INIT, SW_BUF_INIT }

int sw_http_global_init(void);

/*
 * Perform the request. Returns 0 when an HTTP response arrived (any status: check
 * res->status), or a negative code when none did: SW_EUNAVAIL (cannot connect),
 * SW_ETIMEOUT, SW_ETOOBIG (body cap), SW_ECANCEL (a callback aborted), SW_ERROR.
 * res must be initialised; the caller releases it with sw_http_response_release().
 */
int sw_http_do(const struct sw_http_request *req, struct sw_http_response *res);

void sw_http_response_init(struct sw_http_response *res);
void sw_http_response_release(struct sw_http_response *res);

/* Value of the first header called name (case-insensitive), or NULL. Points into res. */
const char *sw_http_header(const struct sw_http_response *res, const char *name);

/* Percent-encode s (RFC 3986 unreserved kept) onto out. */
void sw_http_urlencode(struct sw_buf *out, const char *s, size_t len);

/*
 * Percent-decode s[0..len) onto out; an escape that is not "%" and two hex digits is
 * kept as it is. plus_is_space: '+' is a space (application/x-www-form-urlencoded),
 * else it stays '+' (a URI's path and query, as SigV4 reads them).
 */
void sw_http_urldecode(struct sw_buf *out, const char *s, size_t len, int plus_is_space);

#endif
