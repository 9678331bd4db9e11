#include "engine/api/throttle.h"
#include "common/banned.h"

void sw_engine_api_throttle_init(struct sw_engine_api_throttle *t, double rate, double burst)
{
	pthread_mutex_init(&t->lock, NULL);
	t->rate = rate;
	t->burst = burst < 1 ? 1 : burst;
	t->tokens = t->burst;
	t->last = 0;
}

void sw_engine_api_throttle_release(struct sw_engine_api_throttle *t)
{
	pthread_mutex_destroy(&t->lock);
}

int sw_engine_api_throttle_take(struct sw_engine_api_throttle *t, double now)
{
	int ok;

	if (t->rate <= 0)
		return 1;
	pthread_mutex_lock(&t->lock);
	if (t->last > 0 && now > t->last) {
		t->tokens += (now - t->last) * t->rate;
		if (t->tokens > t->burst)
			t->tokens = t->burst;
	}
	t->last = now;
	ok = t->tokens >= 1;
	if (ok)
		t->tokens -= 1;
	pthread_mutex_unlock(&t->lock);
	return ok;
}
