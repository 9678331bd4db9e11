#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <sys/socket.h>

#include "common/connguard.h"
#include "common/error.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define TICK_MS 250

struct slot {
	struct slot *prev, *next;
	int fd;
	int waiting;      /* waiting for a request's headers */
	double since;     /* ... since then (monotonic seconds) */
	int cut;
};

struct sw_connguard {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	struct slot *head;
	double deadline;  /* seconds */
	int stop;
};

static void *watch(void *arg)
{
	struct sw_connguard *g = arg;

	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		struct timespec until;
		double now = sw_time_mono();
		struct slot *s;

		for (s = g->head; s; s = s->next)
			if (s->waiting && !s->cut && now - s->since > g->deadline) {
				/* the server's thread sees the end of its input and closes it itself */
				shutdown(s->fd, SHUT_RDWR);
				s->cut = 1;
			}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->wake, &g->lock, &until);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

int sw_connguard_new(struct sw_connguard **out, long header_ms)
{
	struct sw_connguard *g = xcalloc(1, sizeof(*g));

	*out = NULL;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->wake, NULL);
	g->deadline = (double)header_ms / 1000.0;
	if (pthread_create(&g->thread, NULL, watch, g) != 0) {
		pthread_cond_destroy(&g->wake);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return sw_error("cannot start the connection guard's thread");
	}
	*out = g;
	return 0;
}

void sw_connguard_free(struct sw_connguard *g)
{
	struct slot *s, *next;

	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stop = 1;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->thread, NULL);
	for (s = g->head; s; s = next) {
		next = s->next;
		free(s);
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

void *sw_connguard_open(struct sw_connguard *g, int fd)
{
	return sw_connguard_open_at(g, fd, sw_time_mono());
}

void *sw_connguard_open_at(struct sw_connguard *g, int fd, double since)
{
	struct slot *s;

	if (!g || fd < 0)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	s->waiting = 1;
	s->since = since;
	pthread_mutex_lock(&g->lock);
	s->next = g->head;
	if (g->head)
		g->head->prev = s;
	g->head = s;
	pthread_mutex_unlock(&g->lock);
	return s;
}

static void set_waiting(struct sw_connguard *g, void *slot, int waiting)
{
	struct slot *s = slot;

	if (!g || !s)
		return;
	pthread_mutex_lock(&g->lock);
	s->waiting = waiting;
	s->since = sw_time_mono();
	pthread_mutex_unlock(&g->lock);
}

void sw_connguard_busy(struct sw_connguard *g, void *slot)
{
	set_waiting(g, slot, 0);
}

void sw_connguard_idle(struct sw_connguard *g, void *slot)
{
	set_waiting(g, slot, 1);
}

void sw_connguard_close(struct sw_connguard *g, void *slot)
{
	struct slot *s = slot;

	if (!g || !s)
		return;
	pthread_mutex_lock(&g->lock);
	if (s->prev)
		s->prev->next = s->next;
	else
		g->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	pthread_mutex_unlock(&g->lock);
	free(s);
}
