#ifndef SW_STREAM_H
#define SW_STREAM_H

#include <microhttpd.h>

#include "common/buf.h"

/*
 * A streaming response: its body is made as the client takes it. Whenever everything
 * made so far was sent, fill() appends the next bytes to out (it may block while it
 * waits for more: a job's next log line, a task's output, a keepalive's time); done()
 * runs once, when MHD is done with the response (the end was sent, or the client went
 * away), and frees ctx.
 *
 *	struct sw_stream_body b = { fill_lines, free_lines, me };
 *	return sw_stream_reply(c, MHD_HTTP_OK, NULL, 0, &b, status);
 */
struct sw_stream_body {
	/* 0: more to come; 1: out holds the last bytes; < 0: cut the connection */
	int (*fill)(void *ctx, struct sw_buf *out);
	void (*done)(void *ctx);   /* may be NULL */
	void *ctx;
};

/*
 * Queue body with status, Content-Type content_type (NULL: application/x-ndjson) and
 * Cache-Control: no-store. idle_secs is the connection's idle cut-off: 0 none (a stream
 * that follows something as it happens), < 0 the server's default. When MHD cannot make
 * the response, done() has run and MHD_NO is returned.
 */
enum MHD_Result sw_stream_reply(struct MHD_Connection *c, unsigned status, const char *content_type, int idle_secs,
				const struct sw_stream_body *body, unsigned *status_out);

/*
 * The response alone, without headers, for a caller that sets its own (git's CGI
 * response) and queues it. NULL when MHD cannot make one (done() has run). The caller
 * MHD_destroy_response()s it after queueing.
 */
struct MHD_Response *sw_stream_response(const struct sw_stream_body *body);

/*
 * Server-sent events (text/event-stream, what a browser's EventSource reads): a stream
 * answers with them when the request's Accept header asks for them. An event is
 * "id: <id>\n" (a byte offset into what is followed, so a client that reconnects with
 * Last-Event-ID goes on where it stopped), "event: <name>\n", "data: <one line>\n\n";
 * a comment line keeps an idle connection open.
 */
#define SW_STREAM_SSE_TYPE "text/event-stream"

/* 1 when the request's Accept header names text/event-stream. */
int sw_stream_wants_sse(struct MHD_Connection *c);

/* The Last-Event-ID a reconnecting client sent (a non-negative number), or 0. */
long long sw_stream_sse_last_id(struct MHD_Connection *c);

/* One event into out (id < 0: none); data is one line (newlines in it become spaces). */
void sw_stream_sse_event(struct sw_buf *out, const char *event, long long id, const char *data);

/* A comment that keeps the connection open. */
void sw_stream_sse_keepalive(struct sw_buf *out);

/*
 * For fill(): read up to n bytes from read_fn(ctx, buf, n) into out. Returns what
 * read_fn returned (> 0 bytes, 0 end, < 0 error).
 */
long sw_stream_read_into(struct sw_buf *out, size_t n, long (*read_fn)(void *ctx, char *buf, size_t n), void *ctx);

#endif
