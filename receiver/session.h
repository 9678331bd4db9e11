#ifndef SW_SESSION_H
#define SW_SESSION_H

#include "common/buf.h"

/*
 * The dashboard's sign-in: one-time tickets and browser sessions, kept in memory (a
 * restarted slipwayd signs everyone out; nothing of them is on disk).
 *
 *  ticket   made for a caller of the API that authenticated with a token (`slipway
 *           dashboard`): 32 random bytes as hex, valid ticket_secs (60 by default), and
 *           used once. Redeeming it (GET /login?ticket=, receiver/dashboard.h) makes a
 *           session; an expired, used or unknown ticket is refused the same way.
 *  session  its id (the cookie's value) and its CSRF token, each 32 random bytes as
 *           hex; who it acts as (the token the ticket was made with, struct
 *           sw_session_who); it ends SW_SESSION_IDLE_SECS after its last request,
 *           SW_SESSION_MAX_SECS after sign-in whatever happens, or at sign-out.
 * Ticket and session ids are kept as their SHA-256 only and compared in constant time,
 * as tokens are (receiver/auth.h). Bounded: at most SW_SESSION_MAX_TICKETS unused
 * tickets and SW_SESSION_MAX_SESSIONS sessions (past that the oldest goes). Safe to
 * call from any thread.
 */

#define SW_SESSION_IDLE_SECS (30 * 60)
#define SW_SESSION_MAX_SECS (12 * 60 * 60)
#define SW_SESSION_TICKET_SECS 60
#define SW_SESSION_MAX_TICKETS 256
#define SW_SESSION_MAX_SESSIONS 1024
#define SW_SESSION_SECRET_LEN 64   /* hex digits of a ticket, a session id, a CSRF token */
#define SW_SESSION_USER_MAX 64

/* Who a session acts as: the token its ticket was asked with. */
struct sw_session_who {
	char user[SW_SESSION_USER_MAX + 1];  /* the token's user (today: the token's name) */
	long long token_id;                  /* the tokens table's id of it */
};

struct sw_sessions;

/*
 * An empty store; tickets live ticket_secs (<= 0: SW_SESSION_TICKET_SECS). now (NULL:
 * the wall clock) gives seconds, for tests. Freed by sw_sessions_free().
 */
struct sw_sessions *sw_sessions_new(int ticket_secs, double (*now)(void));
void sw_sessions_free(struct sw_sessions *s);

/* How long a ticket lives, in seconds. */
int sw_sessions_ticket_secs(const struct sw_sessions *s);

/* A new ticket for who into ticket (reset first). 0, or SW_ERROR (no randomness). */
int sw_sessions_ticket(struct sw_sessions *s, const struct sw_session_who *who, struct sw_buf *ticket);

/*
 * Use ticket: 0 with a new session's id and CSRF token (reset first) and *max_age, the
 * seconds it lives at most; SW_EAUTH with one line when the ticket is not a live one
 * (expired, used before, never made: the line does not say which).
 */
int sw_sessions_redeem(struct sw_sessions *s, const char *ticket, struct sw_buf *id, struct sw_buf *csrf,
		       int *max_age);

/*
 * The session with this id, if it is live: 0 with who (may be NULL) and its CSRF token
 * (csrf may be NULL; reset first), and its idle time restarts; SW_EAUTH ("session
 * expired, sign in again with `slipway dashboard`") otherwise.
 */
int sw_sessions_check(struct sw_sessions *s, const char *id, struct sw_session_who *who, struct sw_buf *csrf);

/* 1 when token is the CSRF token of session id (constant time), 0 otherwise. */
int sw_sessions_csrf_ok(struct sw_sessions *s, const char *id, const char *token);

/* End session id (sign-out): 1 when it was live, 0 when not. */
int sw_sessions_end(struct sw_sessions *s, const char *id);

#endif
