/* The run environment: its cancel token (shielded or not), its injectable clock, sleep and randomness, its reports. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "releaser/runenv.h"
#include "common/error.h"
#include "common/json.h"
#include "common/time.h"
#include "common/banned.h"

/* The run environment reads the token: shielded, only a stop cancels it. */
static void runenv_reads_the_token(void **state)
{
	struct sw_cancel c;
	struct sw_runenv e, shielded;
	struct sw_buf who = SW_BUF_INIT;
	(void)state;
	sw_cancel_init(&c);
	memset(&e, 0, sizeof(e));
	e.cancel = &c;
	assert_false(sw_runenv_cancelled(&e));
	sw_cancel_raise(&c, SW_CANCEL_USER, "carol");
	assert_true(sw_runenv_cancelled(&e));
	assert_true(sw_runenv_user_cancel(&e, &who));
	assert_string_equal(who.ptr, "carol");
	sw_runenv_shielded(&e, &shielded);
	assert_false(sw_runenv_cancelled(&shielded));
	assert_false(sw_runenv_user_cancel(&shielded, &who));
	assert_int_equal(sw_runenv_sleep(&shielded, 1), 0);
	assert_int_equal(sw_runenv_sleep(&e, 1), SW_ECANCEL);
	sw_cancel_raise(&c, SW_CANCEL_STOP, NULL);
	assert_true(sw_runenv_cancelled(&shielded));
	assert_false(sw_runenv_user_cancel(&e, &who));
	e.cancel = NULL;
	assert_false(sw_runenv_cancelled(&e));
	sw_buf_release(&who);
}

struct fake_clock {
	long long now;
	long long slept;
	struct sw_cancel *raise_on_sleep;
};

static long long fake_now(void *ctx)
{
	return ((struct fake_clock *)ctx)->now;
}

static void fake_sleep(void *ctx, long long ms)
{
	struct fake_clock *f = ctx;
	f->now += ms;
	f->slept += ms;
	if (f->raise_on_sleep)
		sw_cancel_raise(f->raise_on_sleep, SW_CANCEL_DEADLINE, NULL);
}

static unsigned fake_random(void *ctx)
{
	(void)ctx;
	return 4;   /* chosen by a fair dice roll */
}

/* The clock, sleep and randomness are the env's when given, the real ones otherwise. */
static void clock_sleep_random(void **state)
{
	struct fake_clock f = { 1795687201250LL, 0, NULL };
	struct sw_cancel c;
	struct sw_runenv e;
	long long before, now;
	(void)state;

	memset(&e, 0, sizeof(e));
	before = sw_time_now_ms();
	now = sw_runenv_now(&e);
	assert_true(now >= before && now - before < 5000);

	e.now_ms = fake_now;
	e.sleep_ms = fake_sleep;
	e.random = fake_random;
	e.clock_ctx = &f;
	assert_int_equal(sw_runenv_now(&e), 1795687201250LL);
	assert_true(sw_runenv_seconds(&e) == 1795687201.25);
	assert_int_equal(sw_runenv_sleep(&e, 1500), 0);
	assert_int_equal(f.slept, 1500);
	assert_int_equal(sw_runenv_now(&e), 1795687202750LL);
	assert_int_equal(sw_runenv_random(&e), 4);

	/* a cancel raised while asleep is seen when it wakes */
	sw_cancel_init(&c);
	e.cancel = &c;
	f.raise_on_sleep = &c;
	assert_int_equal(sw_runenv_sleep(&e, 10), SW_ECANCEL);
	assert_string_equal(sw_error_last(), "cancelled");
}

static int collect(void *ctx, const char *line)
{
	struct sw_buf *b = ctx;
	sw_buf_addf(b, "%s|", line);
	return !strcmp(line, "stop") ? -1 : 0;
}

/* Reports go to the env's callback, whose answer comes back (< 0: stop); a cancelled env calls no AWS. */
static void reports_and_cancelled_calls(void **state)
{
	struct sw_buf lines = SW_BUF_INIT, code = SW_BUF_INIT, token = SW_BUF_INIT;
	struct sw_cancel c;
	struct sw_runenv e;
	json_t *resp = (json_t *)&e, *req = json_object();
	int throttled = -1;
	(void)state;

	memset(&e, 0, sizeof(e));
	e.report = collect;
	e.report_ctx = &lines;
	assert_int_equal(sw_runenv_report(&e, "v%d is live", 3), 0);
	assert_true(sw_runenv_report(&e, "stop") < 0);
	assert_string_equal(lines.ptr, "v3 is live|stop|");

	sw_cancel_init(&c);
	sw_cancel_raise(&c, SW_CANCEL_STOP, NULL);
	e.cancel = &c;   /* e.aws is NULL: reaching the client would crash */
	sw_buf_adds(&code, "old");
	assert_int_equal(sw_runenv_call(&e, "ecs", "ListClusters", NULL, &resp, &code, &throttled), SW_ECANCEL);
	assert_null(resp);
	assert_string_equal(code.ptr, "");
	assert_int_equal(throttled, 0);

	/* a paged call sends the token it has and keeps the next page's (none after a failure) */
	sw_buf_adds(&token, "page-2");
	assert_int_equal(sw_runenv_paged_call(&e, "ecs", "ListTasks", req, &token, &resp), SW_ECANCEL);
	assert_string_equal(sw_json_str(req, "nextToken"), "page-2");
	assert_int_equal(token.len, 0);
	json_decref(req);
	sw_buf_release(&lines);
	sw_buf_release(&code);
	sw_buf_release(&token);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(runenv_reads_the_token),
		cmocka_unit_test(clock_sleep_random),
		cmocka_unit_test(reports_and_cancelled_calls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
