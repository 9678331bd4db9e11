#ifndef SW_AWS_RETRY_H
#define SW_AWS_RETRY_H

#include <pthread.h>

/*
 * Retries as the SDKs' "standard" mode (AWS SDKs and Tools reference guide, "Retry
 * behavior"; botocore.retries.standard):
 *  - at most max_attempts attempts (3);
 *  - retried: throttling error codes (Throttling, ThrottlingException, ThrottledException,
 *    RequestThrottledException, TooManyRequestsException, ProvisionedThroughputExceeded-
 *    Exception, TransactionInProgressException, RequestLimitExceeded, BandwidthLimitExceeded,
 *    LimitExceededException, RequestThrottled, SlowDown, PriorRequestNotComplete,
 *    EC2ThrottledException, and HTTP 429); transient errors (RequestTimeout,
 *    RequestTimeoutException, PriorRequestNotComplete, HTTP 500/502/503/504, no response:
 *    cannot connect, connection reset, timed out). Never any other 4xx;
 *  - delay before attempt i+1 = random[0,1) * min(base * 2^(i-1), 20 s) — "full jitter" —
 *    with base 1 s after a throttling error and 50 ms after a transient one (botocore's
 *    throttling_base_scale / non_throttling_base_scale); an x-amz-retry-after header (ms)
 *    raises it to at most delay + 5 s;
 *  - a retry quota (token bucket of 500; a retry costs 5 after throttling, 14 otherwise;
 *    a success refunds what its retries cost, a first-try success adds 1), shared by the
 *    calls of one client, so an outage fails fast instead of multiplying the load.
 * Randomness and sleeping are injectable so a schedule repeats in tests.
 */

enum sw_aws_retry_kind {
	SW_AWS_RETRY_NO = 0,       /* success, or an error not worth retrying */
	SW_AWS_RETRY_TRANSIENT,
	SW_AWS_RETRY_THROTTLE,
};

struct sw_aws_retry_options {
	int max_attempts;          /* 0: 3 */
	long throttle_base_ms;     /* 0: 1000 */
	long transient_base_ms;    /* 0: 50 */
	long max_backoff_ms;       /* 0: 20000 */
	double (*random)(void *ctx);          /* in [0, 1); NULL: a per-thread PRNG */
	void (*sleep)(void *ctx, long ms);    /* NULL: nanosleep */
	void *ctx;
	int no_quota;              /* 1: no retry quota */
};

/*
 * Classify an attempt: http_status is 0 when no response arrived, then transport_error is
 * the sw_code the HTTP client returned (SW_EUNAVAIL, SW_ETIMEOUT, ...); error_code is the
 * AWS error code parsed from the answer (may be NULL or "").
 */
enum sw_aws_retry_kind sw_aws_retry_classify(long http_status, const char *error_code, int transport_error);

/* 1 when code is one of the throttling codes above. */
int sw_aws_retry_is_throttle_code(const char *code);

/*
 * Backoff in ms before the next attempt, after attempt number `attempt` (1-based) failed
 * with kind. retry_after_ms < 0 when the answer had no x-amz-retry-after header.
 */
long sw_aws_retry_delay_ms(const struct sw_aws_retry_options *o, enum sw_aws_retry_kind kind, int attempt,
			   long retry_after_ms);

/* Sleep ms through o->sleep (or nanosleep). */
void sw_aws_retry_sleep(const struct sw_aws_retry_options *o, long ms);

/* The retry quota. Caller-owned: _init/_release. Thread-safe. */
struct sw_aws_retry_quota {
	pthread_mutex_t lock;
	int available;
	int max;
};

void sw_aws_retry_quota_init(struct sw_aws_retry_quota *q);
void sw_aws_retry_quota_release(struct sw_aws_retry_quota *q);
/* Take the cost of one retry after kind: returns the cost taken (> 0) or 0 when the quota is empty. */
int sw_aws_retry_quota_acquire(struct sw_aws_retry_quota *q, enum sw_aws_retry_kind kind);
/* The call succeeded: give back what its retries took (spent), or 1 when it needed none. */
void sw_aws_retry_quota_success(struct sw_aws_retry_quota *q, int spent);

#endif
