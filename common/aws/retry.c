#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/aws/retry.h"
#include "common/error.h"
#include "common/banned.h"

#define QUOTA_MAX 500
#define COST_THROTTLE 5
#define COST_OTHER 14

static const char *const throttle_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
	"TooManyRequestsException", "ProvisionedThroughputExceededException",
	"TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
	"LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
	"EC2ThrottledException", NULL,
};

static const char *const transient_codes[] = {
	"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", NULL,
};

static int in_list(const char *const *list, const char *code)
{
	if (!code || !*code)
		return 0;
	for (; *list; list++)
		if (!strcmp(*list, code))
			return 1;
	return 0;
}

int sw_aws_retry_is_throttle_code(const char *code)
{
	return in_list(throttle_codes, code);
}

enum sw_aws_retry_kind sw_aws_retry_classify(long http_status, const char *error_code, int transport_error)
{
	if (http_status == 0) {
		/* no answer: connect failure, reset, timeout are transient; bad input or a
		 * cancelled transfer is not */
		if (transport_error == SW_EUNAVAIL || transport_error == SW_ETIMEOUT)
			return SW_AWS_RETRY_TRANSIENT;
		return SW_AWS_RETRY_NO;
	}
	if (http_status >= 200 && http_status < 300)
		return SW_AWS_RETRY_NO;
	if (in_list(throttle_codes, error_code) || http_status == 429)
		return SW_AWS_RETRY_THROTTLE;
	if (in_list(transient_codes, error_code))
		return SW_AWS_RETRY_TRANSIENT;
	if (http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504)
		return SW_AWS_RETRY_TRANSIENT;
	return SW_AWS_RETRY_NO;
}

/* xorshift64*, seeded per thread from /dev/urandom (or the clock). */
static double default_random(void)
{
	static _Thread_local uint64_t state;
	if (!state) {
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (read(fd, &state, sizeof(state)) != (ssize_t)sizeof(state))
				state = 0;
			close(fd);
		}
		if (!state) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			state = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)getpid();
		}
		if (!state)
			state = 0x9e3779b97f4a7c15ull;
	}
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return (double)((state * 0x2545f4914f6cdd1dull) >> 11) / (double)(1ull << 53);
}

long sw_aws_retry_delay_ms(const struct sw_aws_retry_options *o, enum sw_aws_retry_kind kind, int attempt,
			   long retry_after_ms)
{
	long base = kind == SW_AWS_RETRY_THROTTLE ? (o->throttle_base_ms > 0 ? o->throttle_base_ms : 1000)
						  : (o->transient_base_ms > 0 ? o->transient_base_ms : 50);
	long cap = o->max_backoff_ms > 0 ? o->max_backoff_ms : 20000;
	double r = o->random ? o->random(o->ctx) : default_random();
	double ceiling = (double)base;
	long delay;
	int i;

	if (r < 0 || r >= 1)
		r = 0;
	for (i = 1; i < attempt && ceiling < (double)cap; i++)
		ceiling *= 2;
	if (ceiling > (double)cap)
		ceiling = (double)cap;
	delay = (long)(r * ceiling);
	if (retry_after_ms >= 0) {
		long hi = delay + 5000;
		long ra = retry_after_ms < hi ? retry_after_ms : hi;
		if (ra > delay)
			delay = ra;
	}
	return delay;
}

void sw_aws_retry_sleep(const struct sw_aws_retry_options *o, long ms)
{
	struct timespec ts;
	if (ms <= 0)
		return;
	if (o && o->sleep) {
		o->sleep(o->ctx, ms);
		return;
	}
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void sw_aws_retry_quota_init(struct sw_aws_retry_quota *q)
{
	pthread_mutex_init(&q->lock, NULL);
	q->available = q->max = QUOTA_MAX;
}

void sw_aws_retry_quota_release(struct sw_aws_retry_quota *q)
{
	pthread_mutex_destroy(&q->lock);
}

int sw_aws_retry_quota_acquire(struct sw_aws_retry_quota *q, enum sw_aws_retry_kind kind)
{
	int cost = kind == SW_AWS_RETRY_THROTTLE ? COST_THROTTLE : COST_OTHER;
	int got = 0;
	pthread_mutex_lock(&q->lock);
	if (q->available >= cost) {
		q->available -= cost;
		got = cost;
	}
	pthread_mutex_unlock(&q->lock);
	return got;
}

void sw_aws_retry_quota_success(struct sw_aws_retry_quota *q, int spent)
{
	pthread_mutex_lock(&q->lock);
	q->available += spent > 0 ? spent : 1;
	if (q->available > q->max)
		q->available = q->max;
	pthread_mutex_unlock(&q->lock);
}
