#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "hooks/relay.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/http.h"
#include "common/json.h"
#include "common/lines.h"
#include "common/time.h"
#include "common/banned.h"

#define MAX_EVENT_LINE (64 * 1024)

struct relay {
	struct sw_lines lines;
	long build;
	int verdict;            /* -1 none yet, 0 succeeded, 1 failed */
	int detached;           /* the job was queued for a detached push */
	struct sw_buf reason;
	struct sw_buf last;     /* last line written */
	struct sw_buf error;    /* {"error": ...} of a refused request */
};

static double clock_start;   /* sw_relay_start_clock(): when the hook began (monotonic seconds) */

void sw_relay_start_clock(void)
{
	clock_start = sw_time_mono();
}

/*
 * A step of the job ("-----> ...") or of its rollout (indented "       ..."), as
 * opposed to the output of the image build: it gets the time since the push.
 */
static int is_step(const char *s)
{
	return !strncmp(s, "-----> ", 7) || (!strncmp(s, "       ", 7) && s[7] && s[7] != ' ');
}

void sw_relay_say(const char *fmt, ...)
{
	struct sw_buf b = SW_BUF_INIT;
	va_list ap;
	size_t off = 0;

	va_start(ap, fmt);
	sw_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	sw_buf_addch(&b, '\n');
	while (off < b.len) {
		ssize_t n = write(2, b.ptr + off, b.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;   /* the pusher is gone: the job still runs to its end */
		off += (size_t)n;
	}
	sw_buf_release(&b);
}

static int on_event(void *ctx, const char *line, size_t len)
{
	struct relay *r = ctx;
	json_t *o = json_loadb(line, len, 0, NULL);
	const char *s;

	if (!json_is_object(o)) {
		json_decref(o);
		return 0;   /* not ours to judge: skip */
	}
	if ((s = sw_json_str(o, "line"))) {
		if (clock_start > 0 && is_step(s))
			sw_relay_say("%s  +%.1fs", s, sw_time_mono() - clock_start);
		else
			sw_relay_say("%s", s);
		sw_buf_reset(&r->last);
		sw_buf_adds(&r->last, s);
	} else if ((s = sw_json_str(o, "error"))) {
		sw_buf_reset(&r->error);
		sw_buf_adds(&r->error, s);
	} else if ((s = sw_json_str(o, "status"))) {
		/* the app's number of the build (older servers: the id) */
		json_t *b = json_object_get(o, "number");
		if (!json_is_integer(b))
			b = json_object_get(o, "build");
		if (json_is_integer(b))
			r->build = (long)json_integer_value(b);
		if (!strcmp(s, "queued") && sw_json_bool(o, "detached", 0))
			r->detached = 1;
		if (!strcmp(s, "succeeded")) {
			r->verdict = 0;
		} else if (!strcmp(s, "failed")) {
			const char *why = sw_json_str(o, "reason");
			r->verdict = 1;
			sw_buf_reset(&r->reason);
			sw_buf_adds(&r->reason, why ? why : "build failed");
		}
	}
	json_decref(o);
	return 0;
}

static int on_body(void *ctx, const char *data, size_t n)
{
	struct relay *r = ctx;
	return sw_lines_feed(&r->lines, data, n);
}

static json_t *request_body(const struct sw_relay_job *job)
{
	json_t *o = json_object();

	json_object_set_new(o, "app", json_string(job->app));
	json_object_set_new(o, "ref", json_string(job->ref));
	json_object_set_new(o, "old", json_string(job->old_sha));
	json_object_set_new(o, "new", json_string(job->new_sha));
	if (job->object_dir)
		json_object_set_new(o, "object_dir", json_string(job->object_dir));
	if (job->alternate_dirs)
		json_object_set_new(o, "alternate_dirs", json_string(job->alternate_dirs));
	if (job->quarantine)
		json_object_set_new(o, "quarantine_path", json_string(job->quarantine));
	/* an option that is not UTF-8 is not one slipway knows: left out */
	json_object_set_new(o, "push_options", job->push_options ? sw_json_from_strvec(job->push_options) : json_array());
	if (job->pusher && *job->pusher)
		json_object_set_new(o, "pusher", json_string(job->pusher));
	if (job->user && *job->user)
		json_object_set_new(o, "user", json_string(job->user));
	json_object_set_new(o, "token", json_integer(job->token_id));
	return o;
}

int sw_relay_run(const struct sw_relay_job *job)
{
	struct relay r = { SW_LINES_INIT(on_event, NULL, MAX_EVENT_LINE), 0, -1, 0,
			   SW_BUF_INIT, SW_BUF_INIT, SW_BUF_INIT };
	struct sw_http_request req;
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	struct sw_strvec headers = SW_STRVEC_INIT;
	struct sw_buf url = SW_BUF_INIT;
	json_t *body = request_body(job);
	char *text = json_dumps(body, JSON_COMPACT);
	int rc, ret = SW_ERROR;

	r.lines.ctx = &r;
	if (!text) {
		ret = sw_error("cannot encode the job request");
		goto cleanup;
	}
	sw_buf_addf(&url, "%s/internal/v1/jobs", job->url);
	sw_strvec_pushf(&headers, "Authorization: Bearer %s", job->secret);
	sw_strvec_push(&headers, "Content-Type: application/json");
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url.ptr;
	req.headers = &headers;
	req.body = text;
	req.body_len = strlen(text);
	req.write = on_body;
	req.write_ctx = &r;
	req.timeout_ms = job->timeout_secs * 1000;
	req.connect_timeout_ms = 10000;
	rc = sw_http_do(&req, &res);
	sw_lines_finish(&r.lines);
	if (rc == SW_ETIMEOUT) {
		ret = sw_error_code(SW_ETIMEOUT, "gave up waiting for build %ld after %lds (it goes on in slipwayd)",
				    r.build, job->timeout_secs);
		goto cleanup;
	}
	if (rc < 0) {
		ret = sw_error_prefix("cannot reach slipwayd at %s", job->url);
		goto cleanup;
	}
	if (res.status != 200) {
		ret = sw_error("slipwayd refused the build (%ld): %s", res.status,
			       r.error.len ? r.error.ptr : "no reason given");
		goto cleanup;
	}
	if (r.verdict < 0 && r.detached) {
		sw_relay_say("-----> build %ld queued; it runs once this push has landed (detached)", r.build);
		sw_relay_say("       follow it: slipway builds:log --follow %ld -a %s", r.build, job->app);
		ret = 0;
		goto cleanup;
	}
	if (r.verdict < 0) {
		ret = sw_error_code(SW_EUNAVAIL, "lost contact with slipwayd before build %ld finished", r.build);
		goto cleanup;
	}
	if (r.verdict == 1 && r.reason.len && !strstr(r.last.ptr, r.reason.ptr))
		sw_relay_say(" !     %s", r.reason.ptr);
	ret = r.verdict;
cleanup:
	free(text);
	json_decref(body);
	sw_strvec_clear(&headers);
	sw_buf_release(&url);
	sw_http_response_release(&res);
	sw_lines_release(&r.lines);
	sw_buf_release(&r.reason);
	sw_buf_release(&r.last);
	sw_buf_release(&r.error);
	return ret;
}
