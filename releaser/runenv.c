#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "releaser/runenv.h"
#include "common/aws/endpoint.h"
#include "common/aws/retry.h"
#include "common/error.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"
#include "common/banned.h"

long long sw_runenv_now(const struct sw_runenv *e)
{
	return e->now_ms ? e->now_ms(e->clock_ctx) : sw_time_now_ms();
}

double sw_runenv_seconds(const struct sw_runenv *e)
{
	return (double)sw_runenv_now(e) / 1000.0;
}

int sw_runenv_cancelled(const struct sw_runenv *e)
{
	return e->shielded ? sw_cancel_is(e->cancel, SW_CANCEL_STOP) : sw_cancel_raised(e->cancel);
}

int sw_runenv_user_cancel(const struct sw_runenv *e, struct sw_buf *who)
{
	sw_buf_reset(who);
	return !e->shielded && sw_cancel_by_user(e->cancel, who);
}

void sw_runenv_shielded(const struct sw_runenv *e, struct sw_runenv *out)
{
	*out = *e;
	out->shielded = 1;
}

int sw_runenv_sleep(const struct sw_runenv *e, long long ms)
{
	if (e->sleep_ms) {
		e->sleep_ms(e->clock_ctx, ms);
		return sw_runenv_cancelled(e) ? sw_error_code(SW_ECANCEL, "cancelled") : 0;
	}
	while (ms > 0) {
		long long step = ms > 100 ? 100 : ms;
		struct timespec ts = { (time_t)(step / 1000), (long)(step % 1000) * 1000000L };
		if (sw_runenv_cancelled(e))
			return sw_error_code(SW_ECANCEL, "cancelled");
		nanosleep(&ts, NULL);
		ms -= step;
	}
	return sw_runenv_cancelled(e) ? sw_error_code(SW_ECANCEL, "cancelled") : 0;
}

unsigned sw_runenv_random(const struct sw_runenv *e)
{
	static __thread unsigned seed;
	if (e->random)
		return e->random(e->clock_ctx);
	if (!seed)
		seed = (unsigned)time(NULL) ^ (unsigned)(size_t)&seed;
	return (unsigned)rand_r(&seed);
}

void sw_runenv_observe(const struct sw_runenv *e, const json_t *record)
{
	if (e->observe && record)
		e->observe(e->report_ctx, record);
}

int sw_runenv_report(const struct sw_runenv *e, const char *fmt, ...)
{
	struct sw_buf b = SW_BUF_INIT;
	va_list ap;
	int ret = 0;
	va_start(ap, fmt);
	sw_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (e->report)
		ret = e->report(e->report_ctx, b.ptr);
	else
		sw_log(SW_LOG_INFO, e->app, e->job, "%s", b.ptr);
	sw_buf_release(&b);
	return ret;
}

/* No answer from the endpoint (as opposed to an answer that says no). */
static int unreachable(int ret, const struct sw_aws_result *res)
{
	return ret == SW_EUNAVAIL || ret == SW_ETIMEOUT ||
	       (ret == SW_ERROR && res->status >= 500 && !sw_aws_retry_is_throttle_code(res->error_code.ptr));
}

/*
 * The error slot's line, said in words: who does not answer, for how long, and what was
 * seen; its code SW_EUNAVAIL, which a caller's sw_error_prefix() passes on (the rollback
 * asks again on it).
 */
static void unreachable_reason(const struct sw_runenv *e, const char *service, long long waited_ms)
{
	const struct sw_aws_endpoint *ep = sw_aws_client_endpoint(e->aws, service);
	const char *host = ep ? ep->host : "";
	struct sw_buf why = SW_BUF_INIT, secs = SW_BUF_INIT;
	int local = !strncmp(host, "127.", 4) || !strncmp(host, "localhost", 9) || !strncmp(host, "[::1]", 5);

	sw_buf_adds(&why, sw_error_last());
	sw_time_format_elapsed(&secs, (double)waited_ms / 1000.0);
	if (local)
		sw_error_code(SW_EUNAVAIL, "the engine stopped: slipway-engine did not answer at %s for %s (%s)",
			      ep->url, secs.ptr, why.ptr);
	else
		sw_error_code(SW_EUNAVAIL, "%s did not answer at %s for %s (%s)", service,
			      ep ? ep->url : "its endpoint", secs.ptr, why.ptr);
	sw_buf_release(&why);
	sw_buf_release(&secs);
}

int sw_runenv_call(const struct sw_runenv *e, const char *service, const char *op, const json_t *params,
		   json_t **resp, struct sw_buf *code, int *throttled)
{
	struct sw_aws_result res;
	long long started = sw_runenv_now(e), pause = 250;
	int ret, waits;

	if (resp)
		*resp = NULL;
	if (throttled)
		*throttled = 0;
	if (code)
		sw_buf_reset(code);
	if (sw_runenv_cancelled(e))
		return sw_error_code(SW_ECANCEL, "cancelled");
	sw_aws_result_init(&res);
	for (waits = 0;; waits++) {
		ret = sw_aws_call(e->aws, service, op, params, &res);
		if (ret == 0 || e->patience_ms <= 0 || !unreachable(ret, &res))
			break;
		if (sw_runenv_now(e) - started + pause > e->patience_ms) {
			unreachable_reason(e, service, sw_runenv_now(e) - started);
			ret = SW_EUNAVAIL;
			break;
		}
		sw_log(waits ? SW_LOG_DEBUG : SW_LOG_INFO, e->app, e->job, "%s (waiting for it)", sw_error_last());
		if (sw_runenv_sleep(e, pause) < 0) {
			ret = SW_ECANCEL;
			break;
		}
		pause = pause * 2 > 2000 ? 2000 : pause * 2;
	}
	if (waits && e->unreachable_ms)
		*e->unreachable_ms += sw_runenv_now(e) - started;
	if (ret == 0 && resp) {
		*resp = res.response;
		res.response = NULL;
	}
	if (ret < 0) {
		if (code)
			sw_buf_adds(code, res.error_code.ptr);
		if (throttled)
			*throttled = (res.status == 429 || sw_aws_retry_is_throttle_code(res.error_code.ptr));
		sw_log(SW_LOG_DEBUG, e->app, e->job, "%s", sw_error_last());
	}
	sw_aws_result_release(&res);
	return ret;
}

int sw_runenv_paged_call(const struct sw_runenv *e, const char *service, const char *op, json_t *req,
			 struct sw_buf *token, json_t **resp)
{
	int ret;

	if (token->len)
		json_object_set_new(req, "nextToken", json_string(token->ptr));
	ret = sw_runenv_call(e, service, op, req, resp, NULL, NULL);
	sw_buf_reset(token);
	if (ret == 0 && sw_json_str(*resp, "nextToken"))
		sw_buf_adds(token, sw_json_str(*resp, "nextToken"));
	return ret;
}
