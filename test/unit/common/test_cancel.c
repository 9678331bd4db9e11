#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "common/cancel.h"
#include "common/error.h"
#include "common/banned.h"

static void fresh_token_is_down(void **state)
{
	struct sw_cancel c;
	struct sw_buf who = SW_BUF_INIT;
	(void)state;
	sw_cancel_init(&c);
	assert_false(sw_cancel_raised(&c));
	assert_false(sw_cancel_who(&c, &who));
	assert_false(sw_cancel_by_user(&c, &who));
	assert_false(sw_cancel_raised(NULL));
	assert_false(sw_cancel_is(NULL, SW_CANCEL_STOP));
	sw_buf_release(&who);
}

static void first_user_wins(void **state)
{
	struct sw_cancel c;
	struct sw_buf who = SW_BUF_INIT;
	(void)state;
	sw_cancel_init(&c);
	assert_int_equal(sw_cancel_raise(&c, SW_CANCEL_USER, "alice"), 0);
	assert_true(sw_cancel_raised(&c));
	assert_true(sw_cancel_by_user(&c, &who));
	assert_string_equal(who.ptr, "alice");
	assert_int_equal(sw_cancel_raise(&c, SW_CANCEL_USER, "bob"), SW_EEXISTS);
	assert_string_equal(sw_error_last(), "being cancelled already (by alice)");
	assert_true(sw_cancel_who(&c, &who));
	assert_string_equal(who.ptr, "alice");
	sw_buf_release(&who);
}

/* A stop after a user's cancel: the user still cancelled, but stopping is what matters now. */
static void stop_outranks_a_user(void **state)
{
	struct sw_cancel c;
	struct sw_buf who = SW_BUF_INIT;
	(void)state;
	sw_cancel_init(&c);
	sw_cancel_raise(&c, SW_CANCEL_USER, "alice");
	sw_cancel_raise(&c, SW_CANCEL_STOP, NULL);
	assert_true(sw_cancel_who(&c, &who));
	assert_string_equal(who.ptr, "alice");
	assert_false(sw_cancel_by_user(&c, &who));
	assert_string_equal(who.ptr, "");
	assert_true(sw_cancel_is(&c, SW_CANCEL_STOP));
	sw_buf_release(&who);
}

static void deadline_can_be_withdrawn(void **state)
{
	struct sw_cancel c;
	(void)state;
	sw_cancel_init(&c);
	sw_cancel_raise(&c, SW_CANCEL_DEADLINE, NULL);
	assert_true(sw_cancel_is(&c, SW_CANCEL_DEADLINE));
	sw_cancel_withdraw(&c, SW_CANCEL_DEADLINE);
	assert_false(sw_cancel_raised(&c));
	/* a stop or a user's cancel is never taken back */
	sw_cancel_raise(&c, SW_CANCEL_DEADLINE, NULL);
	sw_cancel_raise(&c, SW_CANCEL_STOP, NULL);
	sw_cancel_withdraw(&c, SW_CANCEL_DEADLINE);
	sw_cancel_withdraw(&c, SW_CANCEL_STOP);
	assert_true(sw_cancel_is(&c, SW_CANCEL_STOP));
	assert_false(sw_cancel_is(&c, SW_CANCEL_DEADLINE));
}

static void long_names_are_cut(void **state)
{
	struct sw_cancel c;
	struct sw_buf who = SW_BUF_INIT;
	char name[200];
	(void)state;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	sw_cancel_init(&c);
	sw_cancel_raise(&c, SW_CANCEL_USER, name);
	assert_true(sw_cancel_who(&c, &who));
	assert_int_equal(who.len, SW_CANCEL_WHO_MAX);
	sw_buf_release(&who);
}

struct racer {
	struct sw_cancel *c;
	char name[16];
	int won;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	r->won = sw_cancel_raise(r->c, SW_CANCEL_USER, r->name) == 0;
	return NULL;
}

/* Users cancelling at once from many threads: exactly one is recorded, whole. */
static void concurrent_users_one_winner(void **state)
{
	enum { N = 8 };
	struct sw_cancel c;
	struct racer r[N];
	pthread_t t[N];
	struct sw_buf who = SW_BUF_INIT;
	int i, round, winners;
	(void)state;
	for (round = 0; round < 50; round++) {
		sw_cancel_init(&c);
		for (i = 0; i < N; i++) {
			r[i].c = &c;
			r[i].won = 0;
			memset(r[i].name, 'a' + i, 10);
			r[i].name[10] = '\0';
			assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
		}
		winners = 0;
		for (i = 0; i < N; i++) {
			pthread_join(t[i], NULL);
			winners += r[i].won;
		}
		assert_int_equal(winners, 1);
		assert_true(sw_cancel_who(&c, &who));
		for (i = 0; i < N; i++)
			if (r[i].won)
				assert_string_equal(who.ptr, r[i].name);
	}
	sw_buf_release(&who);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fresh_token_is_down),
		cmocka_unit_test(first_user_wins),
		cmocka_unit_test(stop_outranks_a_user),
		cmocka_unit_test(deadline_can_be_withdrawn),
		cmocka_unit_test(long_names_are_cut),
		cmocka_unit_test(concurrent_users_one_winner),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
