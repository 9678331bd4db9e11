#ifndef SW_ENGINE_API_THROTTLE_H
#define SW_ENGINE_API_THROTTLE_H

#include <pthread.h>

/*
 * The optional request throttle: a token bucket of `burst` tokens refilled at `rate`
 * per second; a request that finds it empty is answered ThrottlingException "Rate
 * exceeded" (as AWS does), so a client's backoff can be tested. rate 0 = off.
 * Caller-owned: _init / _release. Thread-safe.
 */
struct sw_engine_api_throttle {
	pthread_mutex_t lock;
	double rate;
	double burst;
	double tokens;
	double last;          /* time of the last refill, seconds */
};

void sw_engine_api_throttle_init(struct sw_engine_api_throttle *t, double rate, double burst);
void sw_engine_api_throttle_release(struct sw_engine_api_throttle *t);

/* 1 when a request may pass at time now (taking a token), 0 when throttled. */
int sw_engine_api_throttle_take(struct sw_engine_api_throttle *t, double now);

#endif
