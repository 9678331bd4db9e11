#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "receiver/stream.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define BLOCK_SIZE 16384

struct stream {
	struct sw_stream_body body;
	struct sw_buf out;      /* made, not sent yet from off on */
	size_t off;
	int over;               /* out holds the last bytes */
};

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	size_t n;

	(void)pos;
	while (st->off >= st->out.len) {
		int r;
		if (st->over)
			return MHD_CONTENT_READER_END_OF_STREAM;
		sw_buf_reset(&st->out);
		st->off = 0;
		r = st->body.fill(st->body.ctx, &st->out);
		if (r < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (r > 0)
			st->over = 1;
	}
	n = st->out.len - st->off;
	if (n > max)
		n = max;
	memcpy(buf, st->out.ptr + st->off, n);
	st->off += n;
	return (ssize_t)n;
}

static void finished(void *cls)
{
	struct stream *st = cls;
	if (st->body.done)
		st->body.done(st->body.ctx);
	sw_buf_release(&st->out);
	free(st);
}

struct MHD_Response *sw_stream_response(const struct sw_stream_body *body)
{
	struct stream *st = xcalloc(1, sizeof(*st));
	struct MHD_Response *res;

	st->body = *body;
	sw_buf_init(&st->out, 0);   /* fill() bounds what it adds at once */
	res = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, BLOCK_SIZE, reader, st, finished);
	if (!res)
		finished(st);
	return res;
}

enum MHD_Result sw_stream_reply(struct MHD_Connection *c, unsigned status, const char *content_type, int idle_secs,
				const struct sw_stream_body *body, unsigned *status_out)
{
	struct MHD_Response *res = sw_stream_response(body);
	enum MHD_Result r;

	if (!res)
		return MHD_NO;
	MHD_add_response_header(res, "Content-Type", content_type ? content_type : "application/x-ndjson");
	MHD_add_response_header(res, "Cache-Control", "no-store");
	if (idle_secs >= 0)
		MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)idle_secs);
	r = MHD_queue_response(c, status, res);
	if (status_out)
		*status_out = status;
	MHD_destroy_response(res);   /* done() comes when MHD is done with it */
	return r;
}

int sw_stream_wants_sse(struct MHD_Connection *c)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
	return accept && strcasestr(accept, SW_STREAM_SSE_TYPE) != NULL;
}

long long sw_stream_sse_last_id(struct MHD_Connection *c)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
	char *end = NULL;
	long long n;

	if (!v || !*v || strlen(v) > 15)
		return 0;
	n = strtoll(v, &end, 10);
	return end && !*end && n > 0 ? n : 0;
}

void sw_stream_sse_event(struct sw_buf *out, const char *event, long long id, const char *data)
{
	size_t at;

	if (id >= 0)
		sw_buf_addf(out, "id: %lld\n", id);
	sw_buf_addf(out, "event: %s\ndata: ", event);
	at = out->len;
	sw_buf_adds(out, data);
	for (; at < out->len; at++)
		if (out->ptr[at] == '\n' || out->ptr[at] == '\r')
			out->ptr[at] = ' ';
	sw_buf_adds(out, "\n\n");
}

void sw_stream_sse_keepalive(struct sw_buf *out)
{
	sw_buf_adds(out, ": keepalive\n\n");
}

long sw_stream_read_into(struct sw_buf *out, size_t n, long (*read_fn)(void *ctx, char *buf, size_t n), void *ctx)
{
	long r;

	if (sw_buf_grow(out, n) < 0)
		return -1;
	r = read_fn(ctx, out->ptr + out->len, n);
	if (r > 0)
		sw_buf_setlen(out, out->len + (size_t)r);
	return r;
}
