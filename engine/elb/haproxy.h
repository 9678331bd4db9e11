#ifndef SW_ENGINE_ELB_HAPROXY_H
#define SW_ENGINE_ELB_HAPROXY_H

#include <pthread.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/strvec.h"
#include "engine/elb/router.h"

/*
 * Inside the router (router.h): the model it was declared (struct sw_elb_router, under
 * its lock), and how it keeps HAProxy to it —
 *  router_model.c    lookups, releases and checks of the declared model;
 *  haproxy_config.c  the files HAProxy reads: haproxy.cfg, the rule maps, the fixed
 *                    responses' bodies, the Lua watchdog;
 *  haproxy_cli.c     the runtime API (the admin and master sockets);
 *  haproxy_process.c starting, adopting and reloading HAProxy.
 * Functions taking a struct sw_elb_router are called with its lock held.
 */

#define SW_ELB_ROUTER_NAME_MAX 64
#define SW_ELB_ROUTER_RELOAD_TIMEOUT_MS 15000

struct sw_elb_rt_server {
	char *name;
	char *addr;
	int port;
	int draining;
	int ever_up;
	long long added_ms;   /* monotonic; start of its INITIAL period */
	int live;             /* present in the running HAProxy */
	int up;               /* UP at the last health read: a relaunched HAProxy starts it UP */
	char last_check[16];  /* the last finished check's status and code ("" before one), */
	int last_code;        /* shown while the next one is under way */
};

struct sw_elb_rt_backend {
	char *name;
	struct sw_elb_router_check check; /* path and matcher owned */
	struct sw_elb_rt_server *servers;
	size_t nservers, alloc;
};

struct sw_elb_rt_rule {
	char *regex;
	struct sw_strvec hosts;   /* its host-header patterns, lowercased (owned); none: any host */
	int any_path;             /* no path-pattern condition */
	char *backend;
	char *backend2;   /* NULL, or a weighted forward's second backend */
	int permille2;
};

/* A rule's map value: "be_<backend>", or "be_<backend>:be_<backend2>:<permille2>". */
void sw_elb_haproxy_map_value(const struct sw_elb_rt_rule *rule, struct sw_buf *out);

struct sw_elb_rt_frontend {
	char *name;
	int port;
	char *default_backend;
	int fixed_status;
	char *fixed_type;
	char *fixed_body;
	char *crt_list;           /* HTTPS: PEM paths, one a line; NULL: HTTP */
	struct sw_elb_rt_rule *rules;
	size_t nrules, alloc;
};

struct sw_elb_router {
	pthread_mutex_t lock;
	char *dir;
	char *listen_addr;
	char *haproxy;
	int nbthread;
	char *cfg_path, *state_path, *pid_path, *sock_path, *master_path, *log_path, *lua_path;
	int lua;                  /* HAProxy has Lua: the watchdog below can run */
	struct sw_elb_rt_backend *backends;
	size_t nbackends, balloc;
	struct sw_elb_rt_frontend *frontends;
	size_t nfrontends, falloc;
	int running;
	pid_t master_pid;
};

/* ---- router_model.c ---- */

void sw_elb_router_sleep_ms(int ms);

/* 0, or SW_EINVAL with a message: a name (frontend, backend, server), a word of haproxy.cfg, a health check. */
int sw_elb_router_name_check(const char *what, const char *s);
int sw_elb_router_word_check(const char *what, const char *s);
int sw_elb_router_check_validate(const struct sw_elb_router_check *c);

struct sw_elb_rt_backend *sw_elb_router_backend_find(struct sw_elb_router *r, const char *name);
struct sw_elb_rt_frontend *sw_elb_router_frontend_find(struct sw_elb_router *r, const char *name);
struct sw_elb_rt_server *sw_elb_router_server_find(struct sw_elb_rt_backend *be, const char *name);

void sw_elb_router_server_release(struct sw_elb_rt_server *s);
void sw_elb_router_backend_release(struct sw_elb_rt_backend *be);
void sw_elb_router_rules_release(struct sw_elb_rt_rule *rules, size_t n);
void sw_elb_router_frontend_release(struct sw_elb_rt_frontend *fe);

/* ---- haproxy_config.c ---- */

/* sw_file_write_atomic() (common/file.h), its error line prefixed "router: ". 0 or SW_ERROR. */
int sw_elb_haproxy_write_file(const char *path, const char *data, size_t len);
/* The files of a frontend: its rule map, its fixed response's body (out reset first). */
void sw_elb_haproxy_map_path(struct sw_elb_router *r, const char *frontend, struct sw_buf *out);
void sw_elb_haproxy_body_path(struct sw_elb_router *r, const char *frontend, struct sw_buf *out);
void sw_elb_haproxy_hosts_path(struct sw_elb_router *r, const char *frontend, struct sw_buf *out);
/*
 * fe's rules as the entries ("key value") of its two maps. hosts: the exact host names a
 * hash lookup routes (map_str), each to the first rule in priority order that can match
 * a request for that host (no earlier rule can); rest: the other rules' regular
 * expressions (map_reg, in priority order), looked up only when the host is not in hosts.
 * The caller clears both.
 */
void sw_elb_haproxy_map_entries(const struct sw_elb_rt_frontend *fe, struct sw_strvec *hosts, struct sw_strvec *rest);
/* Write fe's rule maps (its exact hosts and its other rules). 0 or negative. */
int sw_elb_haproxy_map_write(struct sw_elb_router *r, struct sw_elb_rt_frontend *fe);
/* Append a server's health-check settings of be (nothing when be has no check). */
void sw_elb_haproxy_check_args(struct sw_buf *c, const struct sw_elb_rt_backend *be);
/* Append (';'-joined) the commands that bring server s in DOWN and checked. */
void sw_elb_haproxy_initial_cmds(struct sw_buf *cmd, const struct sw_elb_rt_backend *be,
				 const struct sw_elb_rt_server *s);
/*
 * Append the commands that bring server s in UP (its last known health) and checked:
 * in service at once, out after the backend's unhealthy threshold of failed checks.
 */
void sw_elb_haproxy_seed_up_cmds(struct sw_buf *cmd, const struct sw_elb_rt_backend *be,
				 const struct sw_elb_rt_server *s);
/*
 * Write every file for the declared model (servers not in known written "disabled"),
 * haproxy.cfg last, checked by `haproxy -c` first. 0 or negative.
 */
int sw_elb_haproxy_files_write(struct sw_elb_router *r, const struct sw_strvec *known);

/* ---- haproxy_cli.c ---- */

/* One command line (';'-joined commands run in order) on a CLI socket; out gets the answer (capped). */
int sw_elb_haproxy_cli(const char *sock, const char *cmd, struct sw_buf *out);
/* A command whose success prints nothing (set server, enable health, ...), on the admin socket. */
int sw_elb_haproxy_cli_quiet(struct sw_elb_router *r, const char *cmd);
/* Commands in batches of one CLI connection each, each printing nothing on success. */
int sw_elb_haproxy_cli_batches(struct sw_elb_router *r, struct sw_strvec *cmds);
/* The pid of the worker answering the admin socket. 0 or negative. */
int sw_elb_haproxy_worker_pid(struct sw_elb_router *r, long *pid);
/* The "failed" count of the master's reloads, or -1. */
long sw_elb_haproxy_failed_reloads(struct sw_elb_router *r);
/* The "be_x/s" servers of a `show servers state` dump, into known. */
void sw_elb_haproxy_known_servers(const char *dump, struct sw_strvec *known);
/* 1 when sv holds s. */
int sw_elb_haproxy_has(const struct sw_strvec *sv, const char *s);

/* ---- haproxy_process.c ---- */

/* Reload the running HAProxy with the declared model (server state carried over). 0 or negative. */
int sw_elb_haproxy_reload(struct sw_elb_router *r);
/*
 * Start a new HAProxy (master-worker, daemonised). Servers come in DOWN and checked,
 * but those UP at the last health read of a HAProxy that died come in UP. 0 or negative.
 */
int sw_elb_haproxy_launch(struct sw_elb_router *r);
/* 1 when the HAProxy of this directory runs (master alive and answering); r->master_pid set. */
int sw_elb_haproxy_adoptable(struct sw_elb_router *r);
/* The pid in path, 0; or -1. */
int sw_elb_haproxy_read_pidfile(const char *path, pid_t *pid);

#endif
