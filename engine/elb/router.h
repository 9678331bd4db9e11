#ifndef SW_ENGINE_ELB_ROUTER_H
#define SW_ENGINE_ELB_ROUTER_H

#include <stddef.h>

/*
 * The router: the load balancer's data plane. Not a proxy of our own: Debian's
 * HAProxy 2.6, which the engine starts (master-worker, daemonised, so it outlives an
 * engine restart) and then drives only through its runtime API (the admin stats
 * socket; the master CLI for reloads). The ELBv2 side (object.c, target.c) holds the
 * load balancer's model in SQLite and the elb thread (sync.c) declares it here; the
 * router turns it into HAProxy state (router.c: these calls; router_rule.c,
 * router_health.c, router_model.c and haproxy_*.c behind them, haproxy.h).
 *
 * What maps to what:
 *   listener      -> a frontend bound to 127.0.0.1:port (or listen_addr), with
 *                    X-Forwarded-For/-Proto/-Port and X-Request-Id added; an HTTPS
 *                    one terminates TLS with its certificates (crt-list, SNI)
 *   rules         -> two maps per frontend, value the backend ("be_x"), or for a
 *                    weighted forward "be_x:be_y:N": be_y takes N of every 1000
 *                    requests (rand(1000) drawn per request). The exact map (map_str,
 *                    a tree lookup), key "<host without port, lowercased>", holds the
 *                    host names of rules with no wildcard and no path that no rule of
 *                    higher priority can match; the regex map, key "<host><path>",
 *                    the other rules, ordered by priority, first match wins, looked
 *                    up only when the host is not in the exact map. Both replaced at
 *                    runtime (prepare/add/commit map, in an order that sends no
 *                    request to neither) — so a traffic shift (blue/green, canary,
 *                    linear) is runtime-only too
 *   default action-> the map's default value: a target group's backend or a
 *                    fixed-response backend (404 page for unknown hosts)
 *   target group  -> a backend (roundrobin) with the group's HTTP health check
 *   target        -> a server, added at runtime (add server) DOWN, checked at once, in
 *                    service after `healthy_threshold` consecutive passing checks,
 *                    out after `unhealthy_threshold` failing ones; the checks of a
 *                    server changing state come 100 ms apart (fastinter, downinter),
 *                    those of a server in a steady state one interval apart;
 *                    drained (state drain) and removed (state maint + del server) at
 *                    runtime
 *   no healthy target -> 503 with a short page; a request HAProxy cannot parse -> 400
 *
 * Design choice: backends exist in the configuration file (HAProxy 2.6 can add
 * servers at runtime, not backends, and a health check's path, matcher and timeout
 * are backend settings). So creating or deleting a target group, changing its health
 * check, or adding a listener rewrites the configuration and reloads HAProxy,
 * seamlessly: the master re-executes, the new worker takes the listening sockets over
 * (expose-fd listeners), the server state (health, drain) is carried over through a
 * server-state file dumped just before, old workers finish their requests
 * (idle-close-on-response, hard-stop-after). Everything that happens during a
 * rollout — targets registered, drained, removed, health read, rules changed — is
 * runtime-only: no reload, no dropped connection.
 *
 * Servers added at runtime get the idle-connection pool a configured server has
 * (pool-max-conn -1, pool-purge-delay 5s; HAProxy 2.6 gives dynamic servers none, and
 * every request would open a connection to the app).
 *
 * HAProxy outlives the engine (daemonised; an engine restart adopts it through the pid
 * file and the master socket, then reloads it with the declared model and the dumped
 * server state), but not its directory: a Lua task exits it once haproxy.cfg is gone
 * (a deleted SLIPWAY_HOME or test directory), when HAProxy has Lua (Debian's has).
 *
 * Files (dir is $SLIPWAY_HOME/engine): haproxy.cfg, haproxy.state, haproxy.pid,
 * haproxy.sock (admin), haproxy-master.sock, haproxy.log (its start-up output),
 * router-<frontend>.hosts and .map (its rules), router-<frontend>.body, router-<frontend>.crtlist,
 * router-watch.lua.
 *
 * All functions are thread-safe (one lock per router) and return 0 or a negative
 * enum sw_code with the message in the error slot. Strings passed in are copied.
 * Names (frontend, backend, server ids) are 1..64 of [A-Za-z0-9_.-].
 */

struct sw_elb_router;

struct sw_elb_router_options {
	const char *dir;          /* where the files above live (created if missing) */
	const char *listen_addr;  /* address frontends bind to; NULL: "127.0.0.1" */
	const char *haproxy;      /* program; NULL: "haproxy" from PATH */
	int nbthread;             /* HAProxy threads; 0: HAProxy's default */
};

/* A target group's health check (ALB semantics). */
struct sw_elb_router_check {
	int enabled;              /* 0: no checks, a target is in service once added */
	const char *path;         /* "/" when NULL */
	int port;                 /* 0: the target's own (traffic) port */
	int interval_ms;
	int timeout_ms;
	int healthy_threshold;    /* passing checks to go in service */
	int unhealthy_threshold;  /* failing checks to go out of service */
	const char *matcher;      /* "200", "200-299", "200,302"; NULL: "200" */
};

/* A backend (target group). */
struct sw_elb_router_backend {
	const char *name;
	struct sw_elb_router_check check;
};

/* A listener. Its default action is a backend, or else a fixed response. */
struct sw_elb_router_frontend {
	const char *name;
	int port;
	const char *default_backend;  /* NULL: answer the fixed response below */
	int fixed_status;             /* e.g. 404 */
	const char *fixed_type;       /* Content-Type; NULL: text/html */
	const char *fixed_body;       /* NULL: a short page naming the status */
	const char *crt_list;         /* HTTPS: the certificates' PEM files (certificate, chain, key),
					 one a line, the default first (HAProxy picks one by SNI);
					 NULL: plain HTTP */
};

/*
 * A listener rule: matches when the host (port removed, case-insensitive) matches one
 * of hosts AND the path matches one of paths; an empty list matches anything. ALB
 * wildcards: '*' any run of characters, '?' one character. Rules are given in
 * priority order (the first that matches wins).
 */
/*
 * A rule's backend named SW_ELB_ROUTER_REDIRECT "<port>-<301|302>" redirects to HTTPS on
 * that port (host, path and query kept): the router has such a backend for each HTTPS
 * frontend's port.
 */
#define SW_ELB_ROUTER_REDIRECT "rd-https-"

struct sw_elb_router_rule {
	const char *const *hosts;
	size_t nhosts;
	const char *const *paths;
	size_t npaths;
	const char *backend;
	const char *backend2;     /* NULL, or a second backend taking permille2 of the requests */
	int permille2;            /* 1..999 with backend2 (each request draws: no stickiness) */
};

enum sw_elb_router_state {
	SW_ROUTER_INITIAL,    /* registered, not yet passed its first healthy_threshold checks */
	SW_ROUTER_HEALTHY,
	SW_ROUTER_UNHEALTHY,
	SW_ROUTER_DRAINING,   /* sw_elb_router_server_drain() was called */
	SW_ROUTER_UNCHECKED,  /* the backend has no health check: in service */
};

const char *sw_elb_router_state_name(enum sw_elb_router_state s);

/* What HAProxy says about one server. */
struct sw_elb_router_health {
	char *backend;           /* owned by the array (sw_elb_router_health_free) */
	char *server;            /* likewise */
	enum sw_elb_router_state state;
	char check_status[16];   /* HAProxy's: "L7OK", "L7STS", "L4CON", "L4TOUT", "INI", ... */
	int check_code;          /* HTTP status of the last check, 0 when none */
	int sessions;            /* requests in flight on it (current sessions, scur) */
	int queued;              /* requests waiting for it (its queue, qcur) */
	int changing;            /* a check went against its state: the next ones come fastinter apart */
};

/* Allocate a router for opts (copied). Nothing starts yet. *out: sw_elb_router_free(). */
int sw_elb_router_new(struct sw_elb_router **out, const struct sw_elb_router_options *opts);

/*
 * Free the router. HAProxy keeps running (the apps stay reachable while the engine
 * restarts); sw_elb_router_stop() stops it.
 */
void sw_elb_router_free(struct sw_elb_router *r);

/*
 * Declare the model (before or after start). Before start these only record; after
 * it they apply at once. set_backend on an existing name updates it (a reload only
 * when the check's path, matcher or timeout changed; thresholds and interval apply
 * to targets added afterwards, then to all at the next reload). remove_backend drops
 * its servers too. Rules referencing a backend that does not exist route to the
 * frontend's default.
 */
int sw_elb_router_set_backend(struct sw_elb_router *r, const struct sw_elb_router_backend *be);
int sw_elb_router_remove_backend(struct sw_elb_router *r, const char *name);
int sw_elb_router_set_frontend(struct sw_elb_router *r, const struct sw_elb_router_frontend *fe);
int sw_elb_router_remove_frontend(struct sw_elb_router *r, const char *name);
/* Replace all rules of a frontend (atomic at runtime: a request sees old or new). */
int sw_elb_router_set_rules(struct sw_elb_router *r, const char *frontend,
			    const struct sw_elb_router_rule *rules, size_t n);

/*
 * Start: adopt the HAProxy this directory's pid file and master socket name when it
 * still runs (an engine restart), else start one; then bring it to the declared
 * model. Targets that HAProxy did not know start out INITIAL (DOWN until checked).
 */
int sw_elb_router_start(struct sw_elb_router *r);

/*
 * Make sure HAProxy still runs; restart it (with the declared model) when it died.
 * Cheap (a signal 0 to the master); meant for a periodic tick.
 */
int sw_elb_router_check_alive(struct sw_elb_router *r);

/* Stop HAProxy: a soft stop (requests in flight finish) for up to wait_ms, then TERM. */
int sw_elb_router_stop(struct sw_elb_router *r, int wait_ms);

/*
 * Targets. add: a new server DOWN (INITIAL) until it passes the backend's check;
 * adding an existing one that is draining puts it back in service (ALB re-register).
 * drain: no new requests, those in flight finish. remove: out of HAProxy once no
 * request is in flight; returns 1 when removed, 0 when requests are still in flight
 * (call again later; force=1 cuts them). Unknown server: remove returns 1.
 */
int sw_elb_router_server_add(struct sw_elb_router *r, const char *backend, const char *server,
			     const char *addr, int port);
int sw_elb_router_server_drain(struct sw_elb_router *r, const char *backend, const char *server);
int sw_elb_router_server_remove(struct sw_elb_router *r, const char *backend, const char *server,
				int force);

/*
 * Remove (cutting what is in flight) every server that keep (entries "backend/server")
 * does not hold: the router's servers are then the targets of the model, whatever
 * happened to a target's name (a host port another task registered again). Returns
 * how many went, or negative.
 */
int sw_elb_router_prune(struct sw_elb_router *r, const char *const *keep, size_t nkeep);

/*
 * Read the health of every server of backend from HAProxy (show stat). *out is an
 * array of *n entries, freed with sw_elb_router_health_free(*out, *n).
 */
int sw_elb_router_backend_health(struct sw_elb_router *r, const char *backend,
				 struct sw_elb_router_health **out, size_t *n);

/*
 * The same for several backends at once, over one connection to HAProxy's socket (a
 * few when there are many): the servers of each backend in turn; backends that do
 * not exist are skipped.
 */
int sw_elb_router_health_read(struct sw_elb_router *r, const char *const *backends, size_t nbackends,
			      struct sw_elb_router_health **out, size_t *n);
void sw_elb_router_health_free(struct sw_elb_router_health *h, size_t n);

/* 1 when m is a health check matcher HAProxy takes: "200", "200-299", "200,302". */
int sw_elb_router_matcher_valid(const char *m);

/*
 * The regular expression a rule's host and path patterns become (exposed for tests):
 * "^(?:h1|h2)(?:p1|p2)$" over "<host><path>". SW_EINVAL for a pattern with a
 * character ALB does not allow.
 */
int sw_elb_router_rule_regex(const struct sw_elb_router_rule *rule, char **out);

#endif
