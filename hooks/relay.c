#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "hooks/relay.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/file.h"
#include "common/http.h"
#include "common/json.h"
#include "common/lines.h"
#include "common/time.h"
#include "common/banned.h"

#define MAX_EVENT_LINE (64 * 1024)
/* A reconnect waits this long first, doubling up to RETRY_MAX (seconds). */
#define RETRY_FIRST 0.2
#define RETRY_MAX 2.0
/* An answer silent this long is a slipwayd gone (it says {} at least every 15 s). */
#define SILENCE_SECS 60
/* While slipwayd stays away, a line for the pusher this often (seconds). */
#define QUIET_SECS 30

struct relay {
	struct sw_lines lines;
	long build;             /* the app's number of the job */
	long id;                /* its server-wide id: what a reconnect asks for */
	long long at;           /* the log's offset after the last line relayed */
	double lost;            /* when contact with slipwayd was lost (monotonic), 0 while in contact */
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

	va_start(ap, fmt);
	sw_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	sw_buf_addch(&b, '\n');
	/* a failure means the pusher is gone: the job still runs to its end */
	(void)sw_file_write_all(2, b.ptr, b.len);
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
	if (r->lost > 0) {   /* the first word after a reconnect */
		sw_relay_say("-----> slipwayd is back (after %.1fs): build %ld goes on", sw_time_mono() - r->lost, r->build);
		r->lost = 0;
	}
	if ((s = sw_json_str(o, "line"))) {
		if (clock_start > 0 && is_step(s))
			sw_relay_say("%s  +%.1fs", s, sw_time_mono() - clock_start);
		else
			sw_relay_say("%s", s);
		sw_buf_reset(&r->last);
		sw_buf_adds(&r->last, s);
		if (json_is_integer(json_object_get(o, "at")))
			r->at = (long long)json_integer_value(json_object_get(o, "at"));
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
		if (json_is_integer(json_object_get(o, "build")))
			r->id = (long)json_integer_value(json_object_get(o, "build"));
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

/*
 * One request for the job (a resume of r->id from r->at once known): SW_OK when it was
 * answered to its end (res->status says how), SW_EUNAVAIL when slipwayd could not be
 * reached or the answer broke off before the verdict (try again), other codes to give up.
 */
static int ask(const struct sw_relay_job *job, struct relay *r, double deadline, struct sw_http_response *res)
{
	struct sw_http_request req;
	struct sw_strvec headers = SW_STRVEC_INIT;
	struct sw_buf url = SW_BUF_INIT;
	json_t *body = request_body(job);
	char *text;
	long left_ms = (long)((deadline - sw_time_mono()) * 1000);
	int rc;

	if (r->id > 0) {
		json_object_set_new(body, "build", json_integer(r->id));
		json_object_set_new(body, "at", json_integer(r->at));
	}
	text = json_dumps(body, JSON_COMPACT);
	sw_lines_release(&r->lines);
	r->lines = (struct sw_lines)SW_LINES_INIT(on_event, r, MAX_EVENT_LINE);
	sw_http_response_release(res);
	*res = (struct sw_http_response)SW_HTTP_RESPONSE_INIT;
	sw_buf_addf(&url, "%s/internal/v1/jobs", job->url);
	sw_strvec_pushf(&headers, "Authorization: Bearer %s", job->secret);
	sw_strvec_push(&headers, "Content-Type: application/json");
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url.ptr;
	req.headers = &headers;
	req.body = text;
	req.body_len = text ? strlen(text) : 0;
	req.write = on_body;
	req.write_ctx = r;
	req.timeout_ms = left_ms > 1 ? left_ms : 1;
	req.connect_timeout_ms = 10000;
	req.low_speed_secs = SILENCE_SECS;   /* slipwayd says {} at least every 15 s */
	if (!text)
		rc = sw_error("cannot encode the job request");
	else
		rc = sw_http_do(&req, res);
	sw_lines_finish(&r->lines);
	if (rc < 0 && sw_time_mono() >= deadline)
		rc = SW_ETIMEOUT;
	else if (rc < 0 && text)
		rc = sw_error_code(SW_EUNAVAIL, "cannot reach slipwayd at %s: %s", job->url, sw_error_last());
	else if (rc == 0 && res->status == 503)   /* stopping: the next one takes it */
		rc = sw_error_code(SW_EUNAVAIL, "slipwayd is stopping");
	else if (rc == 0 && res->status == 200 && r->verdict < 0 && !r->detached)
		rc = sw_error_code(SW_EUNAVAIL, "slipwayd went away before build %ld finished", r->build);
	free(text);
	json_decref(body);
	sw_strvec_clear(&headers);
	sw_buf_release(&url);
	return rc;
}

static void pause_for(double secs)
{
	struct timespec ts = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int sw_relay_run(const struct sw_relay_job *job)
{
	struct relay r = { SW_LINES_INIT(on_event, NULL, MAX_EVENT_LINE), 0, 0, 0, 0, -1, 0,
			   SW_BUF_INIT, SW_BUF_INIT, SW_BUF_INIT };
	struct sw_http_response res = SW_HTTP_RESPONSE_INIT;
	double deadline = sw_time_mono() + (double)job->timeout_secs, wait = RETRY_FIRST, said = 0;
	int rc, ret = SW_ERROR;

	/*
	 * slipwayd restarting (an upgrade, a crash) cuts the answer: ask again, backing
	 * off, until our own deadline, and pick the job's log up where it broke off.
	 */
	while ((rc = ask(job, &r, deadline, &res)) == SW_EUNAVAIL) {
		double now = sw_time_mono();
		if (!r.lost) {
			r.lost = said = now;
			sw_relay_say("-----> lost slipwayd (%s); reconnecting", sw_error_last());
		} else if (now - said >= QUIET_SECS) {
			said = now;
			sw_relay_say("       ... still waiting for slipwayd (%.0fs)", now - r.lost);
		}
		if (now + wait >= deadline) {
			rc = SW_ETIMEOUT;
			break;
		}
		pause_for(wait);
		wait = wait * 2 > RETRY_MAX ? RETRY_MAX : wait * 2;
	}
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
	if (r.verdict == 1 && r.reason.len && !strstr(r.last.ptr, r.reason.ptr))
		sw_relay_say(" !     %s", r.reason.ptr);
	ret = r.verdict;
cleanup:
	sw_http_response_release(&res);
	sw_lines_release(&r.lines);
	sw_buf_release(&r.reason);
	sw_buf_release(&r.last);
	sw_buf_release(&r.error);
	return ret;
}
