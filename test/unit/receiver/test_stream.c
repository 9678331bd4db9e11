#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "receiver/stream.h"
#include "common/error.h"
#include "common/http.h"
#include "common/banned.h"

/*
 * The streaming-response helper on a real libmicrohttpd daemon (loopback, a port of the
 * kernel's choosing) read by slipway's HTTP client: what fill() makes arrives in order,
 * the headers are the helper's, and done() runs once, also when the client hangs up.
 */

static atomic_int done_calls;

struct counter {
	int next;
	int last;        /* fill() says "that was the end" after this many lines */
	int endless;     /* never ends (the client must hang up) */
};

static struct counter counter;

static int fill_lines(void *ctx, struct sw_buf *out)
{
	struct counter *k = ctx;
	if (k->endless) {
		struct timespec ts = { 0, 10 * 1000000L };
		nanosleep(&ts, NULL);
		sw_buf_addf(out, "{\"n\":%d}\n", k->next++);
		return 0;
	}
	sw_buf_addf(out, "{\"n\":%d}\n", k->next++);
	return k->next > k->last ? 1 : 0;
}

static void done(void *ctx)
{
	(void)ctx;
	atomic_fetch_add(&done_calls, 1);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct sw_stream_body body = { fill_lines, done, &counter };
	unsigned status = 0;
	(void)cls; (void)url; (void)method; (void)version; (void)upload; (void)upload_size;
	if (!*con_cls) {   /* the head: answer on the next call */
		*con_cls = &counter;
		return MHD_YES;
	}
	return sw_stream_reply(c, MHD_HTTP_OK, NULL, 0, &body, &status);
}

static struct MHD_Daemon *start(int *port)
{
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
						NULL, NULL, on_request, NULL, MHD_OPTION_END);
	const union MHD_DaemonInfo *info;
	assert_non_null(d);
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	*port = info->port;
	return d;
}

static void wait_done(int want)
{
	int i;
	for (i = 0; i < 200 && atomic_load(&done_calls) < want; i++) {
		struct timespec ts = { 0, 10 * 1000000L };
		nanosleep(&ts, NULL);
	}
	assert_int_equal(atomic_load(&done_calls), want);
}

static void lines_in_order_then_done(void **state)
{
	struct sw_http_request req;
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	struct sw_buf url = SW_BUF_INIT;
	struct MHD_Daemon *d;
	int port;
	(void)state;

	counter = (struct counter){ 0, 3, 0 };
	atomic_store(&done_calls, 0);
	d = start(&port);
	sw_buf_addf(&url, "http://127.0.0.1:%d/x", port);
	memset(&req, 0, sizeof(req));
	req.url = url.ptr;
	req.timeout_ms = 5000;
	assert_int_equal(sw_http_do(&req, &res), 0);
	assert_int_equal(res.status, 200);
	assert_string_equal(res.body.ptr, "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
	assert_string_equal(sw_http_header(&res, "content-type"), "application/x-ndjson");
	assert_string_equal(sw_http_header(&res, "cache-control"), "no-store");
	wait_done(1);
	sw_http_response_release(&res);
	sw_buf_release(&url);
	MHD_stop_daemon(d);
}

static int take_two(void *ctx, const char *data, size_t n)
{
	struct sw_buf *b = ctx;
	sw_buf_add(b, data, n);
	return memchr(b->ptr, '\n', b->len) && strchr(strchr(b->ptr, '\n') + 1, '\n') ? -1 : 0;
}

/* A client that hangs up: done() still runs, once. */
static void client_gone_still_done(void **state)
{
	struct sw_http_request req;
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	struct sw_buf url = SW_BUF_INIT, got = SW_BUF_INIT;
	struct MHD_Daemon *d;
	int port;
	(void)state;

	counter = (struct counter){ 0, 0, 1 };
	atomic_store(&done_calls, 0);
	d = start(&port);
	sw_buf_addf(&url, "http://127.0.0.1:%d/x", port);
	memset(&req, 0, sizeof(req));
	req.url = url.ptr;
	req.timeout_ms = 5000;
	req.write = take_two;
	req.write_ctx = &got;
	assert_int_equal(sw_http_do(&req, &res), SW_ECANCEL);   /* we hung up after two lines */
	assert_int_equal(strncmp(got.ptr, "{\"n\":0}\n{\"n\":1}\n", 16), 0);
	wait_done(1);
	sw_http_response_release(&res);
	sw_buf_release(&url);
	sw_buf_release(&got);
	MHD_stop_daemon(d);
}

static long read_chars(void *ctx, char *buf, size_t n)
{
	int *left = ctx;
	size_t i;
	if (!*left)
		return 0;
	for (i = 0; i < n && *left; i++, (*left)--)
		buf[i] = 'x';
	return (long)i;
}

static void read_into_appends(void **state)
{
	struct sw_buf out = SW_BUF_INIT;
	int left = 10;
	(void)state;
	sw_buf_adds(&out, "ab");
	assert_int_equal(sw_stream_read_into(&out, 4, read_chars, &left), 4);
	assert_int_equal(sw_stream_read_into(&out, 100, read_chars, &left), 6);
	assert_int_equal(sw_stream_read_into(&out, 100, read_chars, &left), 0);
	assert_string_equal(out.ptr, "abxxxxxxxxxx");
	sw_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_in_order_then_done),
		cmocka_unit_test(client_gone_still_done),
		cmocka_unit_test(read_into_appends),
	};
	sw_http_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
