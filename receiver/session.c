#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "receiver/session.h"
#include "receiver/auth.h"
#include "common/error.h"
#include "common/xalloc.h"
#include "common/banned.h"

struct ticket {
	char hash[SW_AUTH_HASH_LEN + 1];
	struct sw_session_who who;
	double expires;
};

struct session {
	char hash[SW_AUTH_HASH_LEN + 1];
	char csrf[SW_SESSION_SECRET_LEN + 1];
	struct sw_session_who who;
	double created, used;
};

struct sw_sessions {
	pthread_mutex_t mu;
	int ticket_secs;
	double (*now)(void);
	struct ticket tickets[SW_SESSION_MAX_TICKETS];
	int ntickets;
	struct session *sessions;   /* SW_SESSION_MAX_SESSIONS of them */
	int nsessions;
};

static double wall_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct sw_sessions *sw_sessions_new(int ticket_secs, double (*now)(void))
{
	struct sw_sessions *s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	s->ticket_secs = ticket_secs > 0 ? ticket_secs : SW_SESSION_TICKET_SECS;
	s->now = now ? now : wall_clock;
	s->sessions = xcalloc(SW_SESSION_MAX_SESSIONS, sizeof(*s->sessions));
	return s;
}

void sw_sessions_free(struct sw_sessions *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->mu);
	free(s->sessions);
	free(s);
}

int sw_sessions_ticket_secs(const struct sw_sessions *s)
{
	return s->ticket_secs;
}

static int session_live(const struct session *x, double now)
{
	return now - x->used < SW_SESSION_IDLE_SECS && now - x->created < SW_SESSION_MAX_SECS;
}

/* Drop expired tickets and sessions. Holds mu. */
static void sweep_locked(struct sw_sessions *s, double now)
{
	int i, n = 0;
	for (i = 0; i < s->ntickets; i++)
		if (s->tickets[i].expires > now)
			s->tickets[n++] = s->tickets[i];
	s->ntickets = n;
	for (i = n = 0; i < s->nsessions; i++)
		if (session_live(&s->sessions[i], now))
			s->sessions[n++] = s->sessions[i];
	s->nsessions = n;
}

/* The index of the entry whose hash is that of secret, or -1 (every entry is compared). */
static int find_ticket_locked(struct sw_sessions *s, const char *hash)
{
	int i, found = -1;
	for (i = 0; i < s->ntickets; i++)
		if (sw_auth_equal(s->tickets[i].hash, hash, SW_AUTH_HASH_LEN) && found < 0)
			found = i;
	return found;
}

static int find_session_locked(struct sw_sessions *s, const char *hash)
{
	int i, found = -1;
	for (i = 0; i < s->nsessions; i++)
		if (sw_auth_equal(s->sessions[i].hash, hash, SW_AUTH_HASH_LEN) && found < 0)
			found = i;
	return found;
}

static void hash_of(const char *secret, char out[SW_AUTH_HASH_LEN + 1])
{
	/* bounded: a cookie or query value longer than any secret is hashed in part */
	size_t n = strlen(secret);
	sw_auth_hash(secret, n > 4 * SW_SESSION_SECRET_LEN ? 4 * SW_SESSION_SECRET_LEN : n, out);
}

int sw_sessions_ticket(struct sw_sessions *s, const struct sw_session_who *who, struct sw_buf *ticket)
{
	struct ticket t;
	double now = s->now();

	if (sw_auth_token_generate(ticket) < 0)
		return SW_ERROR;
	memset(&t, 0, sizeof(t));
	hash_of(ticket->ptr, t.hash);
	t.who = *who;
	t.expires = now + s->ticket_secs;
	pthread_mutex_lock(&s->mu);
	sweep_locked(s, now);
	if (s->ntickets == SW_SESSION_MAX_TICKETS) {   /* the oldest unused one goes */
		memmove(&s->tickets[0], &s->tickets[1], sizeof(t) * (SW_SESSION_MAX_TICKETS - 1));
		s->ntickets--;
	}
	s->tickets[s->ntickets++] = t;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int sw_sessions_redeem(struct sw_sessions *s, const char *ticket, struct sw_buf *id, struct sw_buf *csrf,
		       int *max_age)
{
	char hash[SW_AUTH_HASH_LEN + 1];
	struct session x;
	double now = s->now();
	int i;

	memset(&x, 0, sizeof(x));
	if (sw_auth_token_generate(id) < 0 || sw_auth_token_generate(csrf) < 0)
		return SW_ERROR;
	hash_of(ticket, hash);
	pthread_mutex_lock(&s->mu);
	sweep_locked(s, now);
	i = find_ticket_locked(s, hash);
	if (i < 0) {
		pthread_mutex_unlock(&s->mu);
		sw_buf_reset(id);
		sw_buf_reset(csrf);
		return sw_error_code(SW_EAUTH, "this sign-in link is not valid: it expired (links last %ds), was used"
				     " already, or was never made; run `slipway dashboard` for a new one", s->ticket_secs);
	}
	/* used once: gone before the session exists */
	x.who = s->tickets[i].who;
	s->tickets[i] = s->tickets[--s->ntickets];
	hash_of(id->ptr, x.hash);
	memcpy(x.csrf, csrf->ptr, SW_SESSION_SECRET_LEN);
	x.created = x.used = now;
	if (s->nsessions == SW_SESSION_MAX_SESSIONS) {   /* the least recently used one goes */
		int oldest = 0;
		for (i = 1; i < s->nsessions; i++)
			if (s->sessions[i].used < s->sessions[oldest].used)
				oldest = i;
		s->sessions[oldest] = s->sessions[--s->nsessions];
	}
	s->sessions[s->nsessions++] = x;
	pthread_mutex_unlock(&s->mu);
	*max_age = SW_SESSION_MAX_SECS;
	return 0;
}

int sw_sessions_check(struct sw_sessions *s, const char *id, struct sw_session_who *who, struct sw_buf *csrf)
{
	char hash[SW_AUTH_HASH_LEN + 1];
	double now = s->now();
	int i;

	if (csrf)
		sw_buf_reset(csrf);
	hash_of(id, hash);
	pthread_mutex_lock(&s->mu);
	sweep_locked(s, now);
	i = find_session_locked(s, hash);
	if (i >= 0) {
		s->sessions[i].used = now;
		if (who)
			*who = s->sessions[i].who;
		if (csrf)
			sw_buf_adds(csrf, s->sessions[i].csrf);
	}
	pthread_mutex_unlock(&s->mu);
	if (i < 0)
		return sw_error_code(SW_EAUTH, "session expired: sign in again with `slipway dashboard`");
	return 0;
}

int sw_sessions_csrf_ok(struct sw_sessions *s, const char *id, const char *token)
{
	char hash[SW_AUTH_HASH_LEN + 1];
	int i, ok = 0;

	if (!token || strlen(token) != SW_SESSION_SECRET_LEN)
		return 0;
	hash_of(id, hash);
	pthread_mutex_lock(&s->mu);
	i = find_session_locked(s, hash);
	if (i >= 0 && session_live(&s->sessions[i], s->now()))
		ok = sw_auth_equal(s->sessions[i].csrf, token, SW_SESSION_SECRET_LEN);
	pthread_mutex_unlock(&s->mu);
	return ok;
}

int sw_sessions_end(struct sw_sessions *s, const char *id)
{
	char hash[SW_AUTH_HASH_LEN + 1];
	int i;

	hash_of(id, hash);
	pthread_mutex_lock(&s->mu);
	i = find_session_locked(s, hash);
	if (i >= 0)
		s->sessions[i] = s->sessions[--s->nsessions];
	pthread_mutex_unlock(&s->mu);
	return i >= 0;
}
