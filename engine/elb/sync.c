#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "engine/elb/sync.h"
#include "engine/elb/health.h"
#include "engine/elb/object.h"
#include "engine/elb/snapshot.h"
#include "engine/elb/target.h"
#include "common/error.h"
#include "common/log.h"
#include "common/strvec.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define TICK_CHANGING_MS 50     /* while a target changes state: added, checked on its way up or down, draining */
#define TICK_ACTIVE_MS 1000     /* while targets exist */
#define TICK_IDLE_MS 10000      /* none: a liveness check of HAProxy */

/*
 * How long a change in HAProxy takes to reach every request under way. A request reads
 * the listener rules (the frontend's map) when its headers are in, and picks a server of
 * the backend they named a moment later; on a loaded machine HAProxy's thread can be put
 * off between the two, and a server's session counter goes up only once one is picked.
 * So a deregistered target leaves its backend only SETTLE_SECONDS after the last change
 * of the rules (traffic moved away from it: a request that read the earlier rules still
 * finds it), and is taken out of HAProxy only PICKED_SECONDS after that, once nothing is
 * in flight on it (a request that picked it at the last moment is counted by then: the
 * pick and the count are one step of HAProxy's, which a loaded machine's scheduler can
 * put off for some milliseconds, not tenths of a second).
 */
#define SETTLE_SECONDS 0.3
#define PICKED_SECONDS 0.1

struct applied {
	unsigned long gen;
	int have_gen;
	double rules_at;        /* when the last change of the rules was applied (sw_time_now) */
	struct sw_strvec frontends, backends;
};

/* Declare frontends, backends and rules (no lock held). 0 when all of it applied. */
static int apply_models(struct sw_elb *elb, struct sw_elb_snapshot *s, struct applied *a)
{
	struct sw_strvec fes = SW_STRVEC_INIT, bes = SW_STRVEC_INIT;
	size_t i, j;
	int ret = 0;

	for (i = 0; i < s->nbe; i++) {
		struct sw_elb_router_backend b = { s->be[i].name, s->be[i].check };
		if (sw_elb_router_set_backend(elb->router, &b) < 0) {
			sw_log_warn("elbv2: router backend %s: %s", b.name, sw_error_last());
			ret = SW_ERROR;
			continue;
		}
		sw_strvec_push(&bes, b.name);
	}
	for (i = 0; i < s->nfe; i++) {
		struct sw_elb_snapshot_frontend *f = &s->fe[i];
		struct sw_elb_router_frontend fe = { f->name, f->port, f->default_backend, f->status, f->type, f->body,
						      f->crt_list };
		struct sw_elb_router_rule *rules = xcalloc(f->nrules + 1, sizeof(*rules));
		if (sw_elb_router_set_frontend(elb->router, &fe) < 0) {
			sw_log_warn("elbv2: router listener %s (port %d): %s", f->name, f->port, sw_error_last());
			ret = SW_ERROR;
			free(rules);
			continue;
		}
		sw_strvec_push(&fes, f->name);
		for (j = 0; j < f->nrules; j++) {
			rules[j].hosts = f->rules[j].hosts.v;
			rules[j].nhosts = f->rules[j].hosts.nr;
			rules[j].paths = f->rules[j].paths.v;
			rules[j].npaths = f->rules[j].paths.nr;
			rules[j].backend = f->rules[j].backend;
			rules[j].backend2 = f->rules[j].backend2;
			rules[j].permille2 = f->rules[j].permille2;
		}
		if (sw_elb_router_set_rules(elb->router, f->name, rules, f->nrules) < 0) {
			sw_log_warn("elbv2: router rules of %s: %s", f->name, sw_error_last());
			ret = SW_ERROR;
		}
		free(rules);
	}
	/* what is gone: listeners first (they reference backends), then target groups */
	for (i = 0; i < a->frontends.nr; i++) {
		int keep = 0;
		for (j = 0; j < fes.nr; j++)
			keep |= !strcmp(fes.v[j], a->frontends.v[i]);
		if (!keep && sw_elb_router_remove_frontend(elb->router, a->frontends.v[i]) < 0) {
			sw_log_warn("elbv2: router: %s", sw_error_last());
			sw_strvec_push(&fes, a->frontends.v[i]);
			ret = SW_ERROR;
		}
	}
	for (i = 0; i < a->backends.nr; i++) {
		int keep = 0;
		for (j = 0; j < bes.nr; j++)
			keep |= !strcmp(bes.v[j], a->backends.v[i]);
		if (!keep && sw_elb_router_remove_backend(elb->router, a->backends.v[i]) < 0) {
			sw_log_warn("elbv2: router: %s", sw_error_last());
			sw_strvec_push(&bes, a->backends.v[i]);
			ret = SW_ERROR;
		}
	}
	sw_strvec_clear(&a->frontends);
	sw_strvec_clear(&a->backends);
	a->frontends = fes;
	a->backends = bes;
	return ret;
}

struct result {
	char *tg_arn, *id;
	int port;
	int applied, applied_draining;
	double drained_at;
	int have_health;
	struct sw_elb_router_health h;
	int removed;
};

/*
 * Can the router reach a container directly ("ip:port")? A connect that succeeds or is
 * refused says the address is routable from here; a timeout or an unreachable network
 * (Docker in a VM, rootless Docker) says use the published port instead.
 */
static int direct_reachable(const char *direct, char *ip, size_t iplen, int *port)
{
	const char *colon = direct ? strrchr(direct, ':') : NULL;
	struct sockaddr_in sa;
	struct pollfd pfd;
	int fd, ok = 0, err = 0;
	socklen_t len = sizeof(err);

	if (!colon || (size_t)(colon - direct) >= iplen)
		return 0;
	memcpy(ip, direct, (size_t)(colon - direct));
	ip[colon - direct] = '\0';
	*port = atoi(colon + 1);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)*port);
	if (*port < 1 || *port > 65535 || inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return 0;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		ok = 1;
	} else if (errno == EINPROGRESS) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 500) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0)
			ok = err == 0 || err == ECONNREFUSED;
	} else {
		ok = errno == ECONNREFUSED;
	}
	close(fd);
	return ok;
}

/* The health of every applied target, one read of HAProxy's stats for all their backends. */
static void read_health(struct sw_elb *elb, struct sw_elb_snapshot *s, struct result *res)
{
	struct sw_strvec backends = SW_STRVEC_INIT;
	struct sw_elb_router_health *h = NULL;
	size_t n = 0, i, k;

	for (i = 0; i < s->nt; i++)   /* the router reads a backend named twice once */
		if (res[i].applied)
			sw_strvec_push(&backends, s->t[i].backend);
	if (!backends.nr)
		goto cleanup;
	if (sw_elb_router_health_read(elb->router, (const char *const *)backends.v, backends.nr, &h, &n) < 0) {
		sw_log_warn("elbv2: router: target health: %s", sw_error_last());
		goto cleanup;
	}
	for (i = 0; i < s->nt; i++) {
		if (!res[i].applied)
			continue;
		for (k = 0; k < n; k++)
			if (!strcmp(h[k].server, s->t[i].server) && !strcmp(h[k].backend, s->t[i].backend)) {
				res[i].h = h[k];
				res[i].h.backend = res[i].h.server = NULL;
				res[i].have_health = 1;
			}
	}
	sw_elb_router_health_free(h, n);
cleanup:
	sw_strvec_clear(&backends);
}

/* The router's servers are the model's targets, nothing else (a target renamed, ...). */
static void prune_servers(struct sw_elb *elb, const struct sw_elb_snapshot *s)
{
	const char **keep = xcalloc(s->nt + 1, sizeof(*keep));
	struct sw_strvec names = SW_STRVEC_INIT;
	size_t i;

	for (i = 0; i < s->nt; i++)
		sw_strvec_pushf(&names, "%s/%s", s->t[i].backend, s->t[i].server);
	for (i = 0; i < names.nr; i++)
		keep[i] = names.v[i];
	if (sw_elb_router_prune(elb->router, keep, names.nr) < 0)
		sw_log_warn("elbv2: router: %s", sw_error_last());
	free(keep);
	sw_strvec_clear(&names);
}

/*
 * Targets onto the router and health back (no lock held). Returns 1 while some target
 * is changing state (not applied yet, on its way in or out of service, draining): the
 * next round comes soon, so what HAProxy decides is known within TICK_CHANGING_MS.
 */
static int apply_targets(struct sw_elb *elb, struct sw_elb_snapshot *s, struct result *res, double rules_at)
{
	double now = sw_time_now();
	size_t i;
	int changing = 0;

	for (i = 0; i < s->nt; i++) {
		struct sw_elb_snapshot_target *t = &s->t[i];
		struct result *r = &res[i];
		r->tg_arn = t->tg_arn;
		r->id = t->id;
		r->port = t->port;
		r->applied = t->applied;
		r->applied_draining = t->applied_draining;
		r->drained_at = t->drained_at;
		if (!t->draining && (!t->applied || t->applied_draining)) {
			char ip[64];
			int port = t->port;
			const char *addr = t->addr;
			if (direct_reachable(t->direct, ip, sizeof(ip), &port))
				addr = ip;
			else
				port = t->port;
			if (sw_elb_router_server_add(elb->router, t->backend, t->server, addr, port) < 0) {
				sw_log_warn("elbv2: router: add %s/%s: %s", t->backend, t->server, sw_error_last());
				continue;
			}
			r->applied = 1;
			r->applied_draining = 0;
		} else if (t->draining && t->applied && !t->applied_draining &&
			   (now >= rules_at + SETTLE_SECONDS || now >= t->drain_until)) {
			if (sw_elb_router_server_drain(elb->router, t->backend, t->server) < 0) {
				sw_log_warn("elbv2: router: drain %s/%s: %s", t->backend, t->server, sw_error_last());
				continue;
			}
			r->applied_draining = 1;
			r->drained_at = now;
		}
	}
	read_health(elb, s, res);
	prune_servers(elb, s);
	/*
	 * Deregistrations: done once nothing is in flight on the target (no current session,
	 * nothing in its queue) PICKED_SECONDS after it left its backend, as ALB ends one with
	 * no in-flight request and no active connection; else when the last request finished,
	 * or at the end of the delay. The task's containers stop only then (run/lifecycle.c).
	 */
	for (i = 0; i < s->nt; i++) {
		struct sw_elb_snapshot_target *t = &s->t[i];
		int late = now >= t->drain_until;
		if (!t->draining) {
			changing |= !res[i].applied || !res[i].have_health || res[i].h.changing ||
				    res[i].h.state == SW_ROUTER_INITIAL;
			continue;
		}
		if (!res[i].applied) {
			res[i].removed = 1;
			continue;
		}
		changing = 1;
		if (!res[i].applied_draining ||
		    (!late && (now < res[i].drained_at + PICKED_SECONDS || !res[i].have_health ||
			       res[i].h.sessions > 0 || res[i].h.queued > 0)))
			continue;
		switch (sw_elb_router_server_remove(elb->router, t->backend, t->server, late)) {
		case 1:
			res[i].removed = 1;
			break;
		case 0:
			break;
		default:
			sw_log_warn("elbv2: router: remove %s/%s: %s", t->backend, t->server, sw_error_last());
		}
	}
	return changing;
}

/* Write the results back (engine lock held). Returns 1 when a target's health changed. */
static int store_results(struct sw_elb *elb, struct sw_elb_snapshot *s, struct result *res)
{
	struct sw_buf desc = SW_BUF_INIT;
	size_t i;
	int changed = 0;

	for (i = 0; i < s->nt; i++) {
		struct sw_elb_target *t = sw_elb_target_find(elb, res[i].tg_arn, res[i].id, res[i].port);
		struct sw_elb_object *tg = sw_elb_object_find(elb, SW_ELB_TG, res[i].tg_arn);
		enum sw_run_target_health before, after;
		const char *st, *why;
		if (!t || !tg)
			continue;
		before = sw_elb_health_describe(elb, tg, t, &st, &why, &desc);
		if (res[i].removed) {
			if (t->draining) {
				sw_elb_target_remove(elb, t);
				changed = 1;
			} else {
				t->applied = 0; /* registered again meanwhile: add it back */
			}
			continue;
		}
		/* a change of draining since the snapshot: keep the flags so it is redone */
		if (t->draining == s->t[i].draining) {
			t->applied = res[i].applied;
			t->applied_draining = res[i].applied_draining;
			t->drained_at = res[i].drained_at;
		}
		if (res[i].have_health) {
			t->have_health = 1;
			t->rstate = res[i].h.state;
			memcpy(t->check_status, res[i].h.check_status, sizeof(t->check_status));
			t->check_code = res[i].h.check_code;
			t->sessions = res[i].h.sessions;
		}
		after = sw_elb_health_describe(elb, tg, t, &st, &why, &desc);
		if (before != after) {
			changed = 1;
			sw_log_info("elbv2: target %s:%d of %s: %s -> %s%s%s (HAProxy: %s %d)", t->id, t->port,
				    sw_elb_object_str(tg, "TargetGroupName"), sw_run_target_health_name(before),
				    sw_run_target_health_name(after), why ? " " : "", why ? why : "", t->check_status,
				    t->check_code);
		}
	}
	sw_buf_release(&desc);
	return changed;
}

/*
 * The snapshot's targets onto the router, their health back into the model. Returns 1
 * when a health changed; *changing as apply_targets says.
 */
static int targets_round(struct sw_elb *elb, struct sw_elb_snapshot *s, double rules_at, int *changing)
{
	struct result *res = xcalloc(s->nt + 1, sizeof(*res));
	int changed;

	*changing = apply_targets(elb, s, res, rules_at);
	pthread_mutex_lock(&elb->e->lock);
	changed = store_results(elb, s, res);
	pthread_mutex_unlock(&elb->e->lock);
	free(res);
	return changed;
}

static void *elb_main(void *arg)
{
	struct sw_elb *elb = arg;
	struct sw_engine *e = elb->e;
	struct applied a;

	memset(&a, 0, sizeof(a));
	sw_strvec_init(&a.frontends);
	sw_strvec_init(&a.backends);
	/* sw_elb_start declared the model before starting the router */
	pthread_mutex_lock(&e->lock);
	a.gen = elb->gen;
	a.have_gen = 1;
	{
		size_t i;
		struct sw_buf b = SW_BUF_INIT;
		for (i = 0; i < elb->nobjs; i++) {
			if (elb->objs[i].kind == SW_ELB_TG) {
				sw_elb_object_backend(elb->objs[i].hex, &b);
				sw_strvec_push(&a.backends, b.ptr);
			} else if (elb->objs[i].kind == SW_ELB_LISTENER) {
				sw_elb_object_frontend(elb->objs[i].hex, &b);
				sw_strvec_push(&a.frontends, b.ptr);
			}
		}
		sw_buf_release(&b);
	}
	pthread_mutex_unlock(&e->lock);

	for (;;) {
		struct sw_elb_snapshot s;
		int changed, models, busy, changing;

		memset(&s, 0, sizeof(s));
		pthread_mutex_lock(&e->lock);
		models = !a.have_gen || a.gen != elb->gen;
		sw_elb_snapshot_take(elb, &s, models);
		busy = elb->ntargets > 0;
		pthread_mutex_unlock(&e->lock);

		/* every round (a second at most while targets exist): a HAProxy that died is back at once */
		if (sw_elb_router_check_alive(elb->router) < 0)
			sw_log_error("elbv2: router: %s", sw_error_last());
		if (models) {
			if (apply_models(elb, &s, &a) == 0) {
				a.gen = s.gen;
				a.have_gen = 1;
				a.rules_at = sw_time_now();
			} else {
				a.have_gen = 0;
			}
		}
		/* rules that did not apply (HAProxy did not answer) may still send traffic to a
		 * deregistered target: it keeps its place until they do, or its delay is over */
		changed = targets_round(elb, &s, a.have_gen ? a.rules_at : sw_time_now(), &changing);
		sw_elb_snapshot_release(&s);
		if (changed)
			sw_run_balancer_changed(e);

		pthread_mutex_lock(&elb->wake_lock);
		if (!elb->wake && !elb->stop) {
			struct timespec until;
			int wait_ms = changing ? TICK_CHANGING_MS : busy || !a.have_gen ? TICK_ACTIVE_MS : TICK_IDLE_MS;
			sw_time_deadline(&until, CLOCK_REALTIME, wait_ms);
			pthread_cond_timedwait(&elb->wake_cond, &elb->wake_lock, &until);
		}
		elb->wake = 0;
		if (elb->stop) {
			pthread_mutex_unlock(&elb->wake_lock);
			break;
		}
		pthread_mutex_unlock(&elb->wake_lock);
	}
	sw_strvec_clear(&a.frontends);
	sw_strvec_clear(&a.backends);
	return NULL;
}

int sw_elb_sync_start(struct sw_elb *elb)
{
	struct sw_elb_snapshot s;
	struct applied a;
	int ret, changing;

	/* the whole model first, so that adopting a running HAProxy keeps every target's state */
	memset(&s, 0, sizeof(s));
	memset(&a, 0, sizeof(a));
	sw_strvec_init(&a.frontends);
	sw_strvec_init(&a.backends);
	pthread_mutex_lock(&elb->e->lock);
	sw_elb_snapshot_take(elb, &s, 1);
	pthread_mutex_unlock(&elb->e->lock);
	ret = apply_models(elb, &s, &a);
	if (ret == 0) {
		size_t i;
		for (i = 0; i < s.nt; i++) {
			char ip[64];
			int port = s.t[i].port;
			if (s.t[i].draining && s.t[i].drain_until <= sw_time_now())
				continue;
			if (direct_reachable(s.t[i].direct, ip, sizeof(ip), &port))
				sw_elb_router_server_add(elb->router, s.t[i].backend, s.t[i].server, ip, port);
			else
				sw_elb_router_server_add(elb->router, s.t[i].backend, s.t[i].server, s.t[i].addr, s.t[i].port);
		}
		for (i = 0; i < s.nt; i++)
			if (s.t[i].draining && s.t[i].drain_until > sw_time_now())
				sw_elb_router_server_drain(elb->router, s.t[i].backend, s.t[i].server);
		ret = sw_elb_router_start(elb->router);
	}
	if (ret == 0) {
		size_t i;
		pthread_mutex_lock(&elb->e->lock);
		for (i = 0; i < s.nt; i++) {
			struct sw_elb_target *t = sw_elb_target_find(elb, s.t[i].tg_arn, s.t[i].id, s.t[i].port);
			if (t && (!t->draining || t->drain_until > sw_time_now())) {
				t->applied = 1;
				t->applied_draining = t->draining;
			}
		}
		pthread_mutex_unlock(&elb->e->lock);
	}
	sw_elb_snapshot_release(&s);
	sw_strvec_clear(&a.frontends);
	sw_strvec_clear(&a.backends);
	if (ret < 0)
		return sw_error_prefix("elbv2");
	/*
	 * The targets' health as the (adopted) HAProxy has it, before the scheduler looks:
	 * an engine restart does not make a serving target "initial" again.
	 */
	memset(&s, 0, sizeof(s));
	pthread_mutex_lock(&elb->e->lock);
	sw_elb_snapshot_take(elb, &s, 0);
	pthread_mutex_unlock(&elb->e->lock);
	targets_round(elb, &s, 0, &changing);
	sw_elb_snapshot_release(&s);
	if (pthread_create(&elb->th, NULL, elb_main, elb) != 0)
		return sw_error("elbv2: cannot start its thread");
	elb->started = 1;
	return 0;
}

void sw_elb_sync_stop(struct sw_elb *elb)
{
	if (!elb || !elb->started)
		return;
	pthread_mutex_lock(&elb->wake_lock);
	elb->stop = 1;
	pthread_cond_signal(&elb->wake_cond);
	pthread_mutex_unlock(&elb->wake_lock);
	pthread_join(elb->th, NULL);
	elb->started = 0;
}
