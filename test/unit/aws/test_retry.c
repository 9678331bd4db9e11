/* The standard retry mode: what is retried, the backoff schedule with injected randomness,
 * the retry quota. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/aws/retry.h"
#include "common/error.h"
#include "common/banned.h"

static void classify(void **state)
{
	assert_int_equal(sw_aws_retry_classify(200, NULL, 0), SW_AWS_RETRY_NO);
	assert_int_equal(sw_aws_retry_classify(400, "ThrottlingException", 0), SW_AWS_RETRY_THROTTLE);
	assert_int_equal(sw_aws_retry_classify(400, "Throttling", 0), SW_AWS_RETRY_THROTTLE);
	assert_int_equal(sw_aws_retry_classify(400, "TooManyRequestsException", 0), SW_AWS_RETRY_THROTTLE);
	assert_int_equal(sw_aws_retry_classify(503, "RequestLimitExceeded", 0), SW_AWS_RETRY_THROTTLE);
	assert_int_equal(sw_aws_retry_classify(400, "LimitExceededException", 0), SW_AWS_RETRY_THROTTLE);
	assert_int_equal(sw_aws_retry_classify(429, "", 0), SW_AWS_RETRY_THROTTLE);
	assert_int_equal(sw_aws_retry_classify(400, "RequestTimeout", 0), SW_AWS_RETRY_TRANSIENT);
	assert_int_equal(sw_aws_retry_classify(500, "InternalFailure", 0), SW_AWS_RETRY_TRANSIENT);
	assert_int_equal(sw_aws_retry_classify(502, NULL, 0), SW_AWS_RETRY_TRANSIENT);
	assert_int_equal(sw_aws_retry_classify(503, "ServiceUnavailable", 0), SW_AWS_RETRY_TRANSIENT);
	assert_int_equal(sw_aws_retry_classify(504, NULL, 0), SW_AWS_RETRY_TRANSIENT);
	assert_int_equal(sw_aws_retry_classify(0, NULL, SW_EUNAVAIL), SW_AWS_RETRY_TRANSIENT);
	assert_int_equal(sw_aws_retry_classify(0, NULL, SW_ETIMEOUT), SW_AWS_RETRY_TRANSIENT);
	/* never the other client errors */
	assert_int_equal(sw_aws_retry_classify(400, "ClusterNotFoundException", 0), SW_AWS_RETRY_NO);
	assert_int_equal(sw_aws_retry_classify(400, "InvalidParameterException", 0), SW_AWS_RETRY_NO);
	assert_int_equal(sw_aws_retry_classify(403, "AccessDeniedException", 0), SW_AWS_RETRY_NO);
	assert_int_equal(sw_aws_retry_classify(404, NULL, 0), SW_AWS_RETRY_NO);
	assert_int_equal(sw_aws_retry_classify(501, NULL, 0), SW_AWS_RETRY_NO);
	assert_int_equal(sw_aws_retry_classify(0, NULL, SW_ETOOBIG), SW_AWS_RETRY_NO);
	assert_int_equal(sw_aws_retry_classify(0, NULL, SW_ECANCEL), SW_AWS_RETRY_NO);
}

static double seq_random(void *ctx)
{
	static const double values[] = { 0.5, 0.25, 0.999, 0.0, 0.75 };
	int *i = ctx;
	return values[(*i)++ % 5];
}

static void schedule(void **state)
{
	int i = 0;
	struct sw_aws_retry_options o = { 0 };
	o.random = seq_random;
	o.ctx = &i;

	/* throttling: rand * min(1 s * 2^(n-1), 20 s) */
	assert_int_equal(sw_aws_retry_delay_ms(&o, SW_AWS_RETRY_THROTTLE, 1, -1), 500);   /* 0.5 * 1000 */
	assert_int_equal(sw_aws_retry_delay_ms(&o, SW_AWS_RETRY_THROTTLE, 2, -1), 500);   /* 0.25 * 2000 */
	assert_int_equal(sw_aws_retry_delay_ms(&o, SW_AWS_RETRY_THROTTLE, 3, -1), 3996);  /* 0.999 * 4000 */
	assert_int_equal(sw_aws_retry_delay_ms(&o, SW_AWS_RETRY_THROTTLE, 4, -1), 0);     /* 0.0 * 8000 */
	assert_int_equal(sw_aws_retry_delay_ms(&o, SW_AWS_RETRY_THROTTLE, 10, -1), 15000); /* 0.75 * 20 s cap */
	/* transient: base 50 ms */
	i = 0;
	assert_int_equal(sw_aws_retry_delay_ms(&o, SW_AWS_RETRY_TRANSIENT, 1, -1), 25);
	assert_int_equal(sw_aws_retry_delay_ms(&o, SW_AWS_RETRY_TRANSIENT, 2, -1), 25);
	assert_int_equal(sw_aws_retry_delay_ms(&o, SW_AWS_RETRY_TRANSIENT, 3, -1), 199);
	/* x-amz-retry-after raises the delay, to at most delay + 5 s */
	i = 0;
	assert_int_equal(sw_aws_retry_delay_ms(&o, SW_AWS_RETRY_THROTTLE, 1, 2000), 2000);
	i = 0;
	assert_int_equal(sw_aws_retry_delay_ms(&o, SW_AWS_RETRY_THROTTLE, 1, 60000), 5500);
	i = 0;
	assert_int_equal(sw_aws_retry_delay_ms(&o, SW_AWS_RETRY_THROTTLE, 1, 10), 500);
	/* bases and cap are options */
	o.throttle_base_ms = 100;
	o.max_backoff_ms = 300;
	i = 0;
	assert_int_equal(sw_aws_retry_delay_ms(&o, SW_AWS_RETRY_THROTTLE, 1, -1), 50);
	assert_int_equal(sw_aws_retry_delay_ms(&o, SW_AWS_RETRY_THROTTLE, 5, -1), 75);
}

static void default_random_is_jitter(void **state)
{
	struct sw_aws_retry_options o = { 0 };
	long lo = 100000, hi = -1;
	int k;
	for (k = 0; k < 2000; k++) {
		long d = sw_aws_retry_delay_ms(&o, SW_AWS_RETRY_THROTTLE, 2, -1);
		assert_true(d >= 0 && d < 2000);
		if (d < lo)
			lo = d;
		if (d > hi)
			hi = d;
	}
	/* full jitter spreads over the whole [0, 2 s) window */
	assert_true(lo < 100);
	assert_true(hi > 1900);
}

static void quota(void **state)
{
	struct sw_aws_retry_quota q;
	int k, got = 0;
	sw_aws_retry_quota_init(&q);
	for (k = 0; k < 200; k++)
		got += sw_aws_retry_quota_acquire(&q, SW_AWS_RETRY_THROTTLE) > 0;
	assert_int_equal(got, 100); /* 500 / 5 */
	assert_int_equal(sw_aws_retry_quota_acquire(&q, SW_AWS_RETRY_TRANSIENT), 0);
	sw_aws_retry_quota_success(&q, 14);
	assert_int_equal(sw_aws_retry_quota_acquire(&q, SW_AWS_RETRY_TRANSIENT), 14);
	sw_aws_retry_quota_success(&q, 0);
	assert_int_equal(q.available, 1);
	for (k = 0; k < 1000; k++)
		sw_aws_retry_quota_success(&q, 0);
	assert_int_equal(q.available, 500);
	sw_aws_retry_quota_release(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(classify),
		cmocka_unit_test(schedule),
		cmocka_unit_test(default_random_is_jitter),
		cmocka_unit_test(quota),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
