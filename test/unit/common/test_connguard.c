#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "common/connguard.h"
#include "common/time.h"
#include "common/banned.h"

/* 1 when the guard shut fd's connection down within ms (its peer sees the end). */
static int cut_within(int peer, int ms)
{
	struct pollfd p = { peer, POLLIN, 0 };
	char c;

	return poll(&p, 1, ms) == 1 && recv(peer, &c, 1, MSG_DONTWAIT) == 0;
}

/* A connection that began before the guard saw it (a front door peeked at it first)
 * keeps its clock: it is cut at its deadline from then, not from now. */
static void open_at_keeps_the_clock(void **state)
{
	struct sw_connguard *g;
	int a[2], b[2];
	void *late, *fresh;
	(void)state;
	assert_int_equal(sw_connguard_new(&g, 1000), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
	late = sw_connguard_open_at(g, a[0], sw_time_mono() - 0.9);
	fresh = sw_connguard_open(g, b[0]);
	assert_true(cut_within(a[1], 600));
	assert_false(cut_within(b[1], 300));
	assert_true(cut_within(b[1], 1200));
	sw_connguard_close(g, late);
	sw_connguard_close(g, fresh);
	assert_null(sw_connguard_open_at(NULL, a[0], 0));
	sw_connguard_free(g);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

/* A connection whose headers came is not cut while its request runs. */
static void busy_is_not_cut(void **state)
{
	struct sw_connguard *g;
	int a[2];
	void *slot;
	(void)state;
	assert_int_equal(sw_connguard_new(&g, 300), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
	slot = sw_connguard_open_at(g, a[0], sw_time_mono() - 10);
	sw_connguard_busy(g, slot);
	assert_false(cut_within(a[1], 700));
	sw_connguard_idle(g, slot);   /* the next request's clock: from now */
	assert_true(cut_within(a[1], 1000));
	sw_connguard_close(g, slot);
	sw_connguard_free(g);
	close(a[0]);
	close(a[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open_at_keeps_the_clock),
		cmocka_unit_test(busy_is_not_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
