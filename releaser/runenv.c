#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "releaser/runenv.h"
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

int sw_runenv_call(const struct sw_runenv *e, const char *service, const char *op, const json_t *params,
		   json_t **resp, struct sw_buf *code, int *throttled)
{
	struct sw_aws_result res;
	int ret;

	if (resp)
		*resp = NULL;
	if (throttled)
		*throttled = 0;
	if (code)
		sw_buf_reset(code);
	if (sw_runenv_cancelled(e))
		return sw_error_code(SW_ECANCEL, "cancelled");
	sw_aws_result_init(&res);
	ret = sw_aws_call(e->aws, service, op, params, &res);
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
