#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/run/rolling.h"
#include "common/banned.h"

static struct sw_run_rolling_step step_of(int desired, int min, int max, int primary, int primary_healthy, int old,
					  int old_healthy, int frozen)
{
	struct sw_run_rolling_counts in = { desired, min, max, primary, primary_healthy, old, old_healthy, frozen };
	struct sw_run_rolling_step out;
	sw_run_rolling_step(&in, &out);
	return out;
}

static void threshold_is_half_clamped(void **state)
{
	assert_int_equal(sw_run_rolling_threshold(0), 3);
	assert_int_equal(sw_run_rolling_threshold(1), 3);
	assert_int_equal(sw_run_rolling_threshold(2), 3);
	assert_int_equal(sw_run_rolling_threshold(6), 3);
	assert_int_equal(sw_run_rolling_threshold(7), 4);   /* 3.5 rounds up */
	assert_int_equal(sw_run_rolling_threshold(10), 5);
	assert_int_equal(sw_run_rolling_threshold(399), 200);
	assert_int_equal(sw_run_rolling_threshold(1000), 200);
}

static void bounds_round_as_ecs(void **state)
{
	assert_int_equal(sw_run_rolling_lower(4, 50), 2);
	assert_int_equal(sw_run_rolling_lower(3, 50), 2);   /* ceil */
	assert_int_equal(sw_run_rolling_upper(3, 150), 4);  /* floor */
	assert_int_equal(sw_run_rolling_upper(2, 200), 4);
	assert_int_equal(sw_run_rolling_lower(0, 100), 0);
}

static void first_deployment_starts_all(void **state)
{
	struct sw_run_rolling_step s = step_of(4, 100, 200, 0, 0, 0, 0, 0);
	assert_int_equal(s.start, 4);
	assert_int_equal(s.stop_old_healthy, 0);
	assert_int_equal(s.stop_primary, 0);
}

static void make_one_break_one(void **state)
{
	/* 100/200 with 2 old healthy: start 2 new, keep the old */
	struct sw_run_rolling_step s = step_of(2, 100, 200, 0, 0, 2, 2, 0);
	assert_int_equal(s.start, 2);
	assert_int_equal(s.stop_old_healthy, 0);
	/* new ones running, not yet healthy: nothing more */
	s = step_of(2, 100, 200, 2, 0, 2, 2, 0);
	assert_int_equal(s.start, 0);
	assert_int_equal(s.stop_old_healthy, 0);
	/* one new healthy: one old may go */
	s = step_of(2, 100, 200, 2, 1, 2, 2, 0);
	assert_int_equal(s.stop_old_healthy, 1);
	/* all new healthy: the old go */
	s = step_of(2, 100, 200, 2, 2, 1, 1, 0);
	assert_int_equal(s.stop_old_healthy, 1);
}

static void no_surge_stops_first(void **state)
{
	/* min 50, max 100, 4 old healthy: stop 2 and start 2 in their place */
	struct sw_run_rolling_step s = step_of(4, 50, 100, 0, 0, 4, 4, 0);
	assert_int_equal(s.stop_old_healthy, 2);
	assert_int_equal(s.start, 2);
	s = step_of(4, 50, 100, 0, 0, 2, 2, 0);
	assert_int_equal(s.start, 2);
	assert_int_equal(s.stop_old_healthy, 0);
	/* min 0: everything old may stop at once */
	s = step_of(2, 0, 100, 0, 0, 2, 2, 0);
	assert_int_equal(s.stop_old_healthy, 2);
}

static void unhealthy_old_always_go(void **state)
{
	struct sw_run_rolling_step s = step_of(2, 100, 200, 0, 0, 2, 0, 0);
	assert_int_equal(s.stop_old_unhealthy, 2);
	assert_int_equal(s.start, 2);
}

static void frozen_launches_nothing(void **state)
{
	struct sw_run_rolling_step s = step_of(2, 100, 200, 0, 0, 2, 2, 1);
	assert_int_equal(s.start, 0);
	assert_int_equal(s.stop_old_healthy, 0);
}

static void scale_in_stops_extra(void **state)
{
	struct sw_run_rolling_step s = step_of(2, 100, 200, 4, 4, 0, 0, 0);
	assert_int_equal(s.stop_primary, 2);
	assert_int_equal(s.start, 0);
	s = step_of(0, 100, 200, 3, 3, 0, 0, 0);
	assert_int_equal(s.stop_primary, 3);
}

static void over_the_ceiling_old_go(void **state)
{
	/* desired lowered to 1 mid-rollout: 2 new healthy + 2 old healthy > 2 allowed */
	struct sw_run_rolling_step s = step_of(1, 100, 200, 1, 1, 3, 3, 0);
	assert_int_equal(s.stop_old_healthy, 3);
}

static void completion(void **state)
{
	struct sw_run_rolling_counts in = { 2, 100, 200, 2, 2, 0, 0, 0 };
	assert_true(sw_run_rolling_completed(&in, 2, 0));
	assert_false(sw_run_rolling_completed(&in, 2, 1));   /* an old task is still stopping */
	in.primary_healthy = 1;
	assert_false(sw_run_rolling_completed(&in, 2, 0));
	/* capacity for 2 of 4: never complete */
	in.desired = 4;
	in.primary_healthy = 2;
	assert_false(sw_run_rolling_completed(&in, 2, 0));
}

static void backoff(void **state)
{
	assert_int_equal(sw_run_rolling_backoff_ms(0, 300000), 0);
	assert_int_equal(sw_run_rolling_backoff_ms(2, 300000), 0);
	assert_int_equal(sw_run_rolling_backoff_ms(3, 300000), 1000);
	assert_int_equal(sw_run_rolling_backoff_ms(5, 300000), 4000);
	assert_int_equal(sw_run_rolling_backoff_ms(50, 300000), 300000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(threshold_is_half_clamped),
		cmocka_unit_test(bounds_round_as_ecs),
		cmocka_unit_test(first_deployment_starts_all),
		cmocka_unit_test(make_one_break_one),
		cmocka_unit_test(no_surge_stops_first),
		cmocka_unit_test(unhealthy_old_always_go),
		cmocka_unit_test(frozen_launches_nothing),
		cmocka_unit_test(scale_in_stops_extra),
		cmocka_unit_test(over_the_ceiling_old_go),
		cmocka_unit_test(completion),
		cmocka_unit_test(backoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
