#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>

#include "common/http.h"
#include "common/error.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define SW_HTTP_DEFAULT_MAX_BODY (8u << 20)
#define SW_HTTP_MAX_HEADERS 200

struct transfer {
	const struct sw_http_request *req;
	struct sw_http_response *res;
	int overflow;
	int aborted;
	int headers_overflow;
};

int sw_http_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return sw_error("curl_global_init failed");
	return 0;
}

void sw_http_response_init(struct sw_http_response *res)
{
	res->status = 0;
	sw_strvec_init(&res->headers);
	sw_buf_init(&res->body, 0);
}

void sw_http_response_release(struct sw_http_response *res)
{
	sw_strvec_clear(&res->headers);
	sw_buf_release(&res->body);
	res->status = 0;
}

const char *sw_http_header(const struct sw_http_response *res, const char *name)
{
	size_t n = strlen(name);
	size_t i;
	for (i = 0; i < res->headers.nr; i++) {
		const char *h = res->headers.v[i];
		if (!strncasecmp(h, name, n) && h[n] == ':') {
			h += n + 1;
			while (*h == ' ')
				h++;
			return h;
		}
	}
	return NULL;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct transfer *t = ctx;
	size_t n = size * nmemb;

	if (t->req->write) {
		if (t->req->write(t->req->write_ctx, data, n) < 0) {
			t->aborted = 1;
			return 0;
		}
		return n;
	}
	if (sw_buf_add(&t->res->body, data, n) < 0) {
		t->overflow = 1;
		return 0;
	}
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct transfer *t = ctx;
	size_t n = size * nmemb;
	struct sw_buf line = SW_BUF_INIT;
	size_t i;

	/* A new status line (redirect or 100-continue) starts the header list over. */
	if (n >= 5 && !strncmp(data, "HTTP/", 5)) {
		const char *sp = memchr(data, ' ', n);
		sw_strvec_clear(&t->res->headers);
		/* the status is known to streaming write callbacks from here on */
		if (sp && (size_t)(sp - data) + 4 <= n && isdigit((unsigned char)sp[1]) &&
		    isdigit((unsigned char)sp[2]) && isdigit((unsigned char)sp[3]))
			t->res->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
		return n;
	}
	if (!memchr(data, ':', n))
		return n;
	if (t->res->headers.nr >= SW_HTTP_MAX_HEADERS) {
		t->headers_overflow = 1;
		return 0;
	}
	sw_buf_add(&line, data, n);
	sw_buf_rtrim(&line);
	for (i = 0; i < line.len && line.ptr[i] != ':'; i++)
		line.ptr[i] = (char)tolower((unsigned char)line.ptr[i]);
	sw_strvec_push(&t->res->headers, line.ptr);
	sw_buf_release(&line);
	return n;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct transfer *t = ctx;
	if (sw_cancel_raised(t->req->cancel)) {
		t->aborted = 1;
		return 1;
	}
	return 0;
}

static size_t on_read(char *buf, size_t size, size_t nmemb, void *ctx)
{
	struct transfer *t = ctx;
	ssize_t n = t->req->read(t->req->read_ctx, buf, size * nmemb);
	if (n < 0) {
		t->aborted = 1;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)n;
}

/* The caller's say on each address curl is about to connect to (after DNS, redirects, all). */
static curl_socket_t on_open_socket(void *ctx, curlsocktype purpose, struct curl_sockaddr *a)
{
	const struct sw_http_request *req = ctx;

	if (purpose != CURLSOCKTYPE_IPCXN || !req->allow_addr(req->allow_ctx, &a->addr))
		return CURL_SOCKET_BAD;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

int sw_http_do(const struct sw_http_request *req, struct sw_http_response *res)
{
	struct transfer t = { req, res, 0, 0, 0 };
	struct curl_slist *hdrs = NULL, *pins = NULL;
	const char *method = req->method;
	CURL *c = NULL;
	CURLcode cc;
	size_t i;
	int ret = SW_ERROR;

	sw_http_response_release(res);
	res->body.cap = req->max_body ? req->max_body : SW_HTTP_DEFAULT_MAX_BODY;
	c = curl_easy_init();
	if (!c)
		return sw_error("curl_easy_init failed");
	if (!method)
		method = (req->body || req->read) ? "POST" : "GET";

	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 req->connect_timeout_ms ? req->connect_timeout_ms : 5000L);
	if (req->timeout_ms)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	if (req->low_speed_secs) {
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, req->low_speed_secs);
	}
	if (req->unix_socket)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, req->unix_socket);
	if (req->resolve) {   /* the address checked is the one connected to: no DNS in between */
		pins = curl_slist_append(pins, req->resolve);
		curl_easy_setopt(c, CURLOPT_RESOLVE, pins);
	}
	if (req->allow_addr) {   /* straight to it, no proxy from the environment */
		curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
		curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
		curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, (void *)req);
	}
	if (req->cancel) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");

	if (!strcmp(method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (req->read) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, &t);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
	} else if (req->body || strcmp(method, "GET")) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	/* No "Expect: 100-continue" round trip; curl sets a default Content-Type on POST that we blank. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (req->headers)
		for (i = 0; i < req->headers->nr; i++)
			hdrs = curl_slist_append(hdrs, req->headers->v[i]);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
	if (cc == CURLE_OK) {
		ret = 0;
	} else if (t.overflow) {
		ret = sw_error_code(SW_ETOOBIG, "response body larger than %zu bytes", res->body.cap);
	} else if (t.headers_overflow) {
		ret = sw_error_code(SW_ETOOBIG, "more than %d response headers", SW_HTTP_MAX_HEADERS);
	} else if (t.aborted || cc == CURLE_ABORTED_BY_CALLBACK) {
		ret = sw_error_code(SW_ECANCEL, "transfer aborted");
	} else if (cc == CURLE_OPERATION_TIMEDOUT) {
		ret = sw_error_code(SW_ETIMEOUT, "%s", curl_easy_strerror(cc));
	} else if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
		   cc == CURLE_COULDNT_RESOLVE_PROXY) {
		ret = sw_error_code(SW_EUNAVAIL, "cannot connect to %s", req->unix_socket ? req->unix_socket : req->url);
	} else if (cc == CURLE_GOT_NOTHING || cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR ||
		   cc == CURLE_PARTIAL_FILE) {
		ret = sw_error_code(SW_EUNAVAIL, "%s: %s", req->unix_socket ? req->unix_socket : req->url,
				    curl_easy_strerror(cc));
	} else {
		ret = sw_error("%s", curl_easy_strerror(cc));
	}
	curl_slist_free_all(hdrs);
	curl_slist_free_all(pins);
	curl_easy_cleanup(c);
	return ret;
}

void sw_http_urlencode(struct sw_buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			sw_buf_addch(out, ch);
		} else {
			sw_buf_addch(out, '%');
			sw_buf_addch(out, hex[ch >> 4]);
			sw_buf_addch(out, hex[ch & 15]);
		}
	}
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void sw_http_urldecode(struct sw_buf *out, const char *s, size_t len, int plus_is_space)
{
	size_t i;
	for (i = 0; i < len; i++) {
		int hi = i + 2 < len ? hex_digit((unsigned char)s[i + 1]) : -1;
		int lo = i + 2 < len ? hex_digit((unsigned char)s[i + 2]) : -1;
		if (s[i] == '%' && hi >= 0 && lo >= 0) {
			sw_buf_addch(out, hi * 16 + lo);
			i += 2;
		} else if (s[i] == '+' && plus_is_space) {
			sw_buf_addch(out, ' ');
		} else {
			sw_buf_addch(out, s[i]);
		}
	}
}
