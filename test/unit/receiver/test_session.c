#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "receiver/session.h"
#include "common/error.h"
#include "common/banned.h"

/* The dashboard's tickets and sessions (receiver/session.c) on a clock the test moves. */

static double clock_now = 1700000000.0;
static double test_clock(void)
{
	return clock_now;
}

static struct sw_session_who alice(void)
{
	struct sw_session_who w;
	memset(&w, 0, sizeof(w));
	snprintf(w.user, sizeof(w.user), "alice");
	w.token_id = 7;
	return w;
}

/* A ticket signs in once; the session acts as the ticket's token; a replay is refused. */
static void a_ticket_is_used_once(void **state)
{
	struct sw_sessions *s = sw_sessions_new(60, test_clock);
	struct sw_session_who who = alice(), got;
	struct sw_buf ticket = SW_BUF_INIT, id = SW_BUF_INIT, csrf = SW_BUF_INIT, csrf2 = SW_BUF_INIT;
	int max_age = 0;
	(void)state;

	assert_int_equal(sw_sessions_ticket(s, &who, &ticket), 0);
	assert_int_equal(ticket.len, SW_SESSION_SECRET_LEN);
	assert_int_equal(sw_sessions_redeem(s, ticket.ptr, &id, &csrf, &max_age), 0);
	assert_int_equal(max_age, SW_SESSION_MAX_SECS);
	assert_int_equal(id.len, SW_SESSION_SECRET_LEN);
	assert_string_not_equal(id.ptr, csrf.ptr);
	assert_int_equal(sw_sessions_check(s, id.ptr, &got, &csrf2), 0);
	assert_string_equal(got.user, "alice");
	assert_int_equal(got.token_id, 7);
	assert_string_equal(csrf2.ptr, csrf.ptr);
	/* replayed: refused, and no second session */
	assert_int_equal(sw_sessions_redeem(s, ticket.ptr, &id, &csrf, &max_age), SW_EAUTH);
	assert_non_null(strstr(sw_error_last(), "not valid"));
	assert_int_equal(id.len, 0);
	/* made up: the same */
	assert_int_equal(sw_sessions_redeem(s, "0123", &id, &csrf, &max_age), SW_EAUTH);
	sw_buf_release(&ticket);
	sw_buf_release(&id);
	sw_buf_release(&csrf);
	sw_buf_release(&csrf2);
	sw_sessions_free(s);
}

/* A ticket older than its life is refused. */
static void an_expired_ticket_is_refused(void **state)
{
	struct sw_sessions *s = sw_sessions_new(60, test_clock);
	struct sw_session_who who = alice();
	struct sw_buf ticket = SW_BUF_INIT, id = SW_BUF_INIT, csrf = SW_BUF_INIT;
	int max_age = 0;
	(void)state;

	assert_int_equal(sw_sessions_ticket(s, &who, &ticket), 0);
	clock_now += 61;
	assert_int_equal(sw_sessions_redeem(s, ticket.ptr, &id, &csrf, &max_age), SW_EAUTH);
	sw_buf_release(&ticket);
	sw_buf_release(&id);
	sw_buf_release(&csrf);
	sw_sessions_free(s);
}

/* Sessions end when idle, at their absolute limit, and at sign-out; CSRF tokens are the session's. */
static void sessions_end(void **state)
{
	struct sw_sessions *s = sw_sessions_new(60, test_clock);
	struct sw_session_who who = alice();
	struct sw_buf ticket = SW_BUF_INIT, id = SW_BUF_INIT, csrf = SW_BUF_INIT, other = SW_BUF_INIT,
		      other_csrf = SW_BUF_INIT;
	int max_age = 0, i;
	(void)state;

	assert_int_equal(sw_sessions_ticket(s, &who, &ticket), 0);
	assert_int_equal(sw_sessions_redeem(s, ticket.ptr, &id, &csrf, &max_age), 0);
	assert_int_equal(sw_sessions_ticket(s, &who, &ticket), 0);
	assert_int_equal(sw_sessions_redeem(s, ticket.ptr, &other, &other_csrf, &max_age), 0);
	assert_true(sw_sessions_csrf_ok(s, id.ptr, csrf.ptr));
	assert_false(sw_sessions_csrf_ok(s, id.ptr, other_csrf.ptr));   /* another session's */
	assert_false(sw_sessions_csrf_ok(s, id.ptr, NULL));
	assert_false(sw_sessions_csrf_ok(s, id.ptr, ""));
	/* used every 29 minutes it lives on, up to its absolute limit */
	for (i = 0; i < 24; i++) {
		clock_now += SW_SESSION_IDLE_SECS - 60;
		assert_int_equal(sw_sessions_check(s, id.ptr, NULL, NULL), 0);
	}
	clock_now += SW_SESSION_MAX_SECS - 24 * (SW_SESSION_IDLE_SECS - 60);
	assert_int_equal(sw_sessions_check(s, id.ptr, NULL, NULL), SW_EAUTH);
	/* the other one sat idle all that time */
	assert_int_equal(sw_sessions_check(s, other.ptr, NULL, NULL), SW_EAUTH);
	/* sign-out */
	assert_int_equal(sw_sessions_ticket(s, &who, &ticket), 0);
	assert_int_equal(sw_sessions_redeem(s, ticket.ptr, &id, &csrf, &max_age), 0);
	assert_int_equal(sw_sessions_end(s, id.ptr), 1);
	assert_int_equal(sw_sessions_check(s, id.ptr, NULL, NULL), SW_EAUTH);
	assert_int_equal(sw_sessions_end(s, id.ptr), 0);
	assert_false(sw_sessions_csrf_ok(s, id.ptr, csrf.ptr));
	sw_buf_release(&ticket);
	sw_buf_release(&id);
	sw_buf_release(&csrf);
	sw_buf_release(&other);
	sw_buf_release(&other_csrf);
	sw_sessions_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_ticket_is_used_once),
		cmocka_unit_test(an_expired_ticket_is_refused),
		cmocka_unit_test(sessions_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
