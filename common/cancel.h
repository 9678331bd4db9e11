#ifndef SW_CANCEL_H
#define SW_CANCEL_H

#include <stdatomic.h>

#include "common/buf.h"

/*
 * One cancel token: how whoever runs work tells it to stop, and why. A job owns one
 * (receiver/job.c) and lends it to the build (builder/build.h) and the release; slipwayd's
 * streams own one for the client that may hang up; the releaser owns one for itself
 * stopping; an HTTP transfer (common/http.h) polls the one it is given; a program's
 * signal handler raises one (SW_CANCEL_STOP: lock-free, safe in a handler).
 *
 * Reasons add up and are read without locks (C11 atomics), from any thread:
 *   SW_CANCEL_USER      someone cancelled (who: a token's name), e.g. `slipway builds:cancel`;
 *                       a release then returns every process to the last live release
 *   SW_CANCEL_DEADLINE  a deadline passed (the build timeout); may be withdrawn when the
 *                       work ended anyway
 *   SW_CANCEL_STOP      the program is stopping (slipwayd shutting down, a signal): what
 *                       can resume after a restart is left to resume (a rollout stays
 *                       deploying)
 *   SW_CANCEL_GONE      the client that asked went away
 *
 *	struct sw_cancel c;
 *	sw_cancel_init(&c);
 *	... another thread: sw_cancel_raise(&c, SW_CANCEL_USER, "alice");
 *	if (sw_cancel_raised(&c)) ... stop at the next step
 *
 * The token lives as long as the work it was lent to; it holds no resources (nothing to
 * release).
 */

enum sw_cancel_reason {
	SW_CANCEL_USER = 1,
	SW_CANCEL_DEADLINE = 2,
	SW_CANCEL_STOP = 4,
	SW_CANCEL_GONE = 8,
};

#define SW_CANCEL_WHO_MAX 64

struct sw_cancel {
	atomic_uint reasons;            /* enum sw_cancel_reason bits raised */
	atomic_int who_claimed;         /* a user's cancel was taken (the first one wins) */
	atomic_int who_ready;           /* who is written */
	char who[SW_CANCEL_WHO_MAX + 1];
};

void sw_cancel_init(struct sw_cancel *c);

/*
 * Raise reason (one of the above). For SW_CANCEL_USER, who names the user (cut at
 * SW_CANCEL_WHO_MAX): the first user's cancel wins, a second one returns SW_EEXISTS
 * with "being cancelled already (by <who>)" and changes nothing. 0 otherwise.
 */
int sw_cancel_raise(struct sw_cancel *c, enum sw_cancel_reason reason, const char *who);

/* Take back a deadline (or any reason but USER and STOP) that came when the work had ended anyway. */
void sw_cancel_withdraw(struct sw_cancel *c, enum sw_cancel_reason reason);

/* 1 when reason (an OR of reasons) is up. c may be NULL: never. */
int sw_cancel_is(const struct sw_cancel *c, unsigned reasons);

/* 1 when any reason is up: stop at the next step. c may be NULL: never. */
int sw_cancel_raised(const struct sw_cancel *c);

/* 1 when a user cancelled (whatever else happened since), with the name in who (reset first; may be NULL). */
int sw_cancel_who(const struct sw_cancel *c, struct sw_buf *who);

/*
 * 1 when the cancel is a user's and nothing but a user's cancel matters now: a user
 * cancelled and slipwayd is not stopping. who as sw_cancel_who().
 */
int sw_cancel_by_user(const struct sw_cancel *c, struct sw_buf *who);

#endif
