#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/api/throttle.h"
#include "common/banned.h"

static void bucket(void **state)
{
	struct sw_engine_api_throttle t;
	int i, ok = 0;

	sw_engine_api_throttle_init(&t, 2, 4);
	for (i = 0; i < 10; i++)
		ok += sw_engine_api_throttle_take(&t, 100.0);
	assert_int_equal(ok, 4);                        /* the burst */
	assert_int_equal(sw_engine_api_throttle_take(&t, 100.4), 0);
	assert_int_equal(sw_engine_api_throttle_take(&t, 100.5), 1);   /* 2/s refills one in 0.5 s */
	assert_int_equal(sw_engine_api_throttle_take(&t, 100.5), 0);
	assert_int_equal(sw_engine_api_throttle_take(&t, 200.0), 1);   /* refill caps at the burst */
	sw_engine_api_throttle_release(&t);

	sw_engine_api_throttle_init(&t, 0, 1);              /* off */
	for (i = 0; i < 100; i++)
		assert_int_equal(sw_engine_api_throttle_take(&t, 1.0), 1);
	sw_engine_api_throttle_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bucket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
