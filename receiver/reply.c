#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "receiver/reply.h"
#include "common/error.h"
#include "common/log.h"
#include "common/time.h"
#include "common/banned.h"

enum MHD_Result sw_reply(struct MHD_Connection *c, unsigned status, const char *content_type,
				const char *body, size_t len, unsigned *status_out)
{
	struct MHD_Response *res;
	enum MHD_Result r;

	res = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!res)
		return MHD_NO;
	MHD_add_response_header(res, "Content-Type", content_type ? content_type : "text/plain; charset=utf-8");
	MHD_add_response_header(res, "Cache-Control", "no-store");
	r = MHD_queue_response(c, status, res);
	MHD_destroy_response(res);
	if (status_out)
		*status_out = status;
	return r;
}

enum MHD_Result sw_reply_json(struct MHD_Connection *c, unsigned status, json_t *o, unsigned *status_out)
{
	struct sw_buf b = SW_BUF_INIT;
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	enum MHD_Result r;

	json_decref(o);
	if (!text)
		return sw_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status_out, "cannot encode JSON");
	sw_buf_addf(&b, "%s\n", text);
	free(text);
	r = sw_reply(c, status, "application/json", b.ptr, b.len, status_out);
	sw_buf_release(&b);
	return r;
}

enum MHD_Result sw_reply_error(struct MHD_Connection *c, unsigned status, unsigned *status_out,
				     const char *fmt, ...)
{
	struct sw_buf msg = SW_BUF_INIT;
	json_t *o;
	char *text;
	enum MHD_Result r;
	va_list ap;

	va_start(ap, fmt);
	sw_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	o = json_pack("{s:s}", "error", msg.ptr);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (!text)
		r = sw_reply(c, status, "application/json", "{\"error\":\"error\"}\n", 18, status_out);
	else {
		struct sw_buf b = SW_BUF_INIT;
		sw_buf_addf(&b, "%s\n", text);
		r = sw_reply(c, status, "application/json", b.ptr, b.len, status_out);
		sw_buf_release(&b);
	}
	free(text);
	json_decref(o);
	sw_buf_release(&msg);
	return r;
}

enum MHD_Result sw_reply_db_error(struct MHD_Connection *c, unsigned *status_out)
{
	sw_log_error("api: %s", sw_error_last());
	return sw_reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, status_out, "database error");
}

enum MHD_Result sw_reply_line(struct MHD_Connection *c, unsigned status, unsigned *status_out,
				  const char *fmt, ...)
{
	struct sw_buf b = SW_BUF_INIT;
	enum MHD_Result r;
	va_list ap;

	va_start(ap, fmt);
	sw_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	sw_buf_addch(&b, '\n');
	r = sw_reply(c, status, NULL, b.ptr, b.len, status_out);
	sw_buf_release(&b);
	return r;
}

enum MHD_Result sw_reply_unauthorized(struct MHD_Connection *c, int json, const char *why, unsigned *status_out)
{
	struct sw_buf b = SW_BUF_INIT;
	struct MHD_Response *res;
	enum MHD_Result r;

	if (json) {
		json_t *o = json_pack("{s:s}", "error", why);
		char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
		sw_buf_addf(&b, "%s\n", text ? text : "{\"error\":\"unauthorized\"}");
		free(text);
		json_decref(o);
	} else {
		sw_buf_addf(&b, "%s\n", why);
	}
	res = MHD_create_response_from_buffer(b.len, b.ptr, MHD_RESPMEM_MUST_COPY);
	sw_buf_release(&b);
	if (!res)
		return MHD_NO;
	MHD_add_response_header(res, "Content-Type", json ? "application/json" : "text/plain; charset=utf-8");
	MHD_add_response_header(res, "WWW-Authenticate", json ? "Bearer realm=\"slipway\"" : "Basic realm=\"slipway\"");
	r = MHD_queue_response(c, MHD_HTTP_UNAUTHORIZED, res);
	MHD_destroy_response(res);
	if (status_out)
		*status_out = MHD_HTTP_UNAUTHORIZED;
	return r;
}

void sw_reply_utf8_clean(struct sw_buf *out, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len = 0, k;
		unsigned cp;

		if (c < 0x80) {
			sw_buf_addch(out, c);
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		}
		if (!len || i + len > n) {
			sw_buf_addch(out, '?');
			i++;
			continue;
		}
		for (k = 1; k < len; k++) {
			unsigned char cc = (unsigned char)s[i + k];
			if ((cc & 0xc0) != 0x80)
				break;
			cp = (cp << 6) | (cc & 0x3f);
		}
		if (k < len || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff)) {
			sw_buf_addch(out, '?');
			i++;
			continue;
		}
		sw_buf_add(out, s + i, len);
		i += len;
	}
}

void sw_reply_json_line(struct sw_buf *out, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text) {
		sw_buf_adds(out, text);
		sw_buf_addch(out, '\n');
		free(text);
	}
}

void sw_reply_text_line(struct sw_buf *out, const char *text, size_t n)
{
	struct sw_buf clean = SW_BUF_INIT;

	sw_reply_utf8_clean(&clean, text, n);
	sw_reply_json_line(out, json_pack("{s:s}", "line", clean.ptr));
	sw_buf_release(&clean);
}

json_t *sw_reply_iso_time(sqlite3_stmt *st, int col)
{
	char out[SW_TIME_ISO_SIZE];

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	return json_string(sw_time_iso(sqlite3_column_double(st, col), out));
}
