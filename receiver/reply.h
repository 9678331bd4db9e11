#ifndef SW_REPLY_H
#define SW_REPLY_H

#include <stddef.h>
#include <sqlite3.h>
#include <jansson.h>
#include <microhttpd.h>

#include "common/buf.h"

/*
 * Answers to slipwayd's HTTP requests, and the JSON text they are made of. Every
 * function that queues a response records its status in *status_out (for the access
 * log; may be NULL) and returns what MHD_queue_response() returned. Nothing here calls
 * back into the files that answer requests (a leaf: reply.c uses MHD, jansson, SQLite).
 */

/* body[0..len) (copied) with status; content_type NULL: text/plain. No caching. */
enum MHD_Result sw_reply(struct MHD_Connection *c, unsigned status, const char *content_type, const char *body,
			 size_t len, unsigned *status_out);

/* o as one compact JSON line with status; takes o's reference (NULL: a 500). */
enum MHD_Result sw_reply_json(struct MHD_Connection *c, unsigned status, json_t *o, unsigned *status_out);

/* {"error": "<message>"} with status. */
enum MHD_Result sw_reply_error(struct MHD_Connection *c, unsigned status, unsigned *status_out, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A 500 "database error" whose cause (the error slot) goes to the server log. */
enum MHD_Result sw_reply_db_error(struct MHD_Connection *c, unsigned *status_out);

/* One text line with status, for git clients (they print it after "fatal: ..."). */
enum MHD_Result sw_reply_line(struct MHD_Connection *c, unsigned status, unsigned *status_out, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A 401 (with WWW-Authenticate for scheme "Basic", or "Bearer" when json), JSON or one text line. */
enum MHD_Result sw_reply_unauthorized(struct MHD_Connection *c, int json, const char *why, unsigned *status_out);

/* Copy s[0..n) to out (appended) with every invalid UTF-8 sequence replaced by '?'. */
void sw_reply_utf8_clean(struct sw_buf *out, const char *s, size_t n);

/* Append o as one compact JSON line ("...\n") to out; takes o's reference (NULL: nothing). */
void sw_reply_json_line(struct sw_buf *out, json_t *o);

/* Append {"line": text} (text cleaned of bad UTF-8) as one JSON line to out. */
void sw_reply_text_line(struct sw_buf *out, const char *text, size_t n);

/* Column col of st (epoch seconds) as an ISO 8601 UTC string, or JSON null. New reference. */
json_t *sw_reply_iso_time(sqlite3_stmt *st, int col);

#endif
