#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine/run/placement.h"
#include "common/xalloc.h"
#include "common/banned.h"

static struct sw_engine_task *task(enum sw_engine_task_status last, long long cpu, long long mem)
{
	struct sw_engine_task *t = xcalloc(1, sizeof(*t));
	t->arn = xstrdup("arn");
	t->id = xstrdup("id");
	t->cluster = xstrdup("default");
	t->last = last;
	t->cpu = cpu;
	t->memory = mem;
	return t;
}

static void remaining_counts_all_but_stopped(void **state)
{
	struct sw_engine_state st = { 0 };
	struct sw_run_capacity reg = { 2048, 1024 }, rem, used;
	int running, pending;

	sw_engine_state_add_task(&st, task(SW_TASK_RUNNING, 256, 300));
	sw_engine_state_add_task(&st, task(SW_TASK_PROVISIONING, 0, 200));
	sw_engine_state_add_task(&st, task(SW_TASK_STOPPING, 0, 100));   /* still holds its memory */
	sw_engine_state_add_task(&st, task(SW_TASK_STOPPED, 1024, 1000));
	sw_run_placement_used(&st, &used, &running, &pending);
	assert_int_equal(used.memory, 600);
	assert_int_equal(used.cpu, 256);
	assert_int_equal(running, 1);
	assert_int_equal(pending, 1);
	sw_run_placement_remaining(&st, &reg, &rem);
	assert_int_equal(rem.memory, 424);
	assert_int_equal(rem.cpu, 1792);
	sw_engine_state_release(&st);
}

static void fit_says_what_is_short(void **state)
{
	struct sw_run_capacity rem = { 1024, 1000 };
	const char *why = NULL;

	assert_int_equal(sw_run_placement_fit(&rem, 0, 500, 4, &why), 2);
	assert_string_equal(why, "memory");
	why = NULL;
	assert_int_equal(sw_run_placement_fit(&rem, 512, 100, 4, &why), 2);
	assert_string_equal(why, "CPU units");
	why = NULL;
	assert_int_equal(sw_run_placement_fit(&rem, 0, 100, 4, &why), 4);
	assert_null(why);
	assert_int_equal(sw_run_placement_fit(&rem, 0, 2000, 1, &why), 0);
	assert_int_equal(sw_run_placement_fit(&rem, 0, 0, 3, NULL), 3);   /* no reservation: always fits */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(remaining_counts_all_but_stopped),
		cmocka_unit_test(fit_says_what_is_short),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
