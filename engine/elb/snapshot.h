#ifndef SW_ENGINE_ELB_SNAPSHOT_H
#define SW_ENGINE_ELB_SNAPSHOT_H

#include "common/strvec.h"
#include "engine/elb/elb.h"
#include "engine/elb/router.h"

/*
 * What the router needs of the model, copied out under the engine lock so the elb
 * thread (sync.c) can apply it to HAProxy with no lock held: frontends (listeners and
 * their rules), backends (target groups and their health checks) and targets with
 * what was last applied. Caller-owned: _take / _release.
 */

struct sw_elb_snapshot_rule {
	struct sw_strvec hosts, paths;
	char *backend;
	char *backend2;   /* a weighted forward's second target group, or NULL */
	int permille2;    /* ... and its share of the requests, 1..999 */
};

struct sw_elb_snapshot_frontend {
	char *name;
	int port;
	char *default_backend;
	int status;
	char *type, *body;
	char *crt_list;    /* HTTPS: its certificates' PEM files, one a line; NULL: HTTP */
	struct sw_elb_snapshot_rule *rules;
	size_t nrules;
};

struct sw_elb_snapshot_backend {
	char *name;
	struct sw_elb_router_check check;
	char *path, *matcher;
};

struct sw_elb_snapshot_target {
	char *tg_arn, *id, *addr, *direct, *backend, *server;
	int port, draining, applied, applied_draining;
	double drain_until;
	double drained_at;     /* when the router took it out of its backend, 0 not yet or unknown */
};

struct sw_elb_snapshot {
	unsigned long gen;
	struct sw_elb_snapshot_frontend *fe;
	size_t nfe;
	struct sw_elb_snapshot_backend *be;
	size_t nbe;
	struct sw_elb_snapshot_target *t;
	size_t nt;
};

/* Copy the model (engine lock held); models: frontends and backends too, else targets only. */
void sw_elb_snapshot_take(struct sw_elb *elb, struct sw_elb_snapshot *s, int models);
void sw_elb_snapshot_release(struct sw_elb_snapshot *s);

#endif
