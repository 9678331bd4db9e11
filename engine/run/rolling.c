#include "engine/run/rolling.h"
#include "common/banned.h"

int sw_run_rolling_lower(int desired, int min_pct)
{
	long long x = (long long)desired * min_pct;
	return (int)((x + 99) / 100);
}

int sw_run_rolling_upper(int desired, int max_pct)
{
	return (int)((long long)desired * max_pct / 100);
}

static int max_i(int a, int b) { return a > b ? a : b; }
static int min_i(int a, int b) { return a < b ? a : b; }

void sw_run_rolling_step(const struct sw_run_rolling_counts *in, struct sw_run_rolling_step *out)
{
	int lower = sw_run_rolling_lower(in->desired, in->min_pct);
	int upper = sw_run_rolling_upper(in->desired, in->max_pct);
	int primary_after, old_after, healthy, excess;

	if (upper < in->desired && in->max_pct >= 100)
		upper = in->desired;
	out->stop_primary = max_i(0, in->primary - in->desired);
	out->stop_old_unhealthy = in->old - in->old_healthy;
	primary_after = in->primary - out->stop_primary;
	old_after = in->old_healthy;

	/* healthy old tasks may go while the floor holds ... */
	healthy = in->primary_healthy - max_i(0, out->stop_primary - (in->primary - in->primary_healthy)) +
		  in->old_healthy;
	out->stop_old_healthy = max_i(0, min_i(in->old_healthy, healthy - lower));
	/* ... and must go when more run than the ceiling allows */
	excess = primary_after + old_after - out->stop_old_healthy - upper;
	if (excess > 0)
		out->stop_old_healthy = min_i(in->old_healthy, out->stop_old_healthy + excess);
	old_after -= out->stop_old_healthy;

	out->start = 0;
	if (!in->frozen)
		out->start = max_i(0, min_i(in->desired - primary_after, upper - (primary_after + old_after)));
}

int sw_run_rolling_threshold(int desired)
{
	int t = (desired + 1) / 2;
	if (t < 3)
		t = 3;
	if (t > 200)
		t = 200;
	return t;
}

int sw_run_rolling_completed(const struct sw_run_rolling_counts *in, int primary_running, int old_remaining)
{
	return in->primary == in->desired && in->primary_healthy == in->desired &&
	       primary_running == in->desired && in->old == 0 && old_remaining == 0;
}

long long sw_run_rolling_backoff_ms(int failures, long long cap_ms)
{
	long long ms = 1000;
	int i;
	if (failures < 3)
		return 0;
	for (i = 3; i < failures && ms < cap_ms; i++)
		ms *= 2;
	return ms < cap_ms ? ms : cap_ms;
}
