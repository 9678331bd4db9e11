#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "engine/elb/router.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/strvec.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define CLI_MAX_OUTPUT (8u << 20)
#define CLI_TIMEOUT_MS 10000
#define CLI_BATCH 8000          /* bytes of ';'-joined commands per CLI connection */
#define RELOAD_TIMEOUT_MS 15000
#define NAME_MAX_LEN 64
#define DOWN_INTER_MS 500       /* health-check spacing of a DOWN server (check_args) */

/* ---- the declared model ---------------------------------------------------- */

struct rt_server {
	char *name;
	char *addr;
	int port;
	int draining;
	int ever_up;
	long long added_ms;   /* monotonic; start of its INITIAL period */
	int live;             /* present in the running HAProxy */
};

struct rt_backend {
	char *name;
	struct sw_router_check check; /* path and matcher owned */
	struct rt_server *servers;
	size_t nservers, alloc;
};

struct rt_rule {
	char *regex;
	char *backend;
};

struct rt_frontend {
	char *name;
	int port;
	char *default_backend;
	int fixed_status;
	char *fixed_type;
	char *fixed_body;
	struct rt_rule *rules;
	size_t nrules, alloc;
};

struct sw_router {
	pthread_mutex_t lock;
	char *dir;
	char *listen_addr;
	char *haproxy;
	int nbthread;
	char *cfg_path, *state_path, *pid_path, *sock_path, *master_path, *log_path, *lua_path;
	int lua;                  /* HAProxy has Lua: the watchdog below can run */
	struct rt_backend *backends;
	size_t nbackends, balloc;
	struct rt_frontend *frontends;
	size_t nfrontends, falloc;
	int running;
	pid_t master_pid;
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

const char *sw_router_state_name(enum sw_router_state s)
{
	switch (s) {
	case SW_ROUTER_INITIAL: return "initial";
	case SW_ROUTER_HEALTHY: return "healthy";
	case SW_ROUTER_UNHEALTHY: return "unhealthy";
	case SW_ROUTER_DRAINING: return "draining";
	case SW_ROUTER_UNCHECKED: return "unchecked";
	}
	return "unknown";
}

static int valid_name(const char *what, const char *s)
{
	size_t i, n = s ? strlen(s) : 0;
	if (!n || n > NAME_MAX_LEN)
		return sw_error_code(SW_EINVAL, "router: %s name must have 1 to %d characters", what,
				     NAME_MAX_LEN);
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return sw_error_code(SW_EINVAL, "router: %s name '%s': only letters, digits, '_', '.', '-'",
					     what, s);
	}
	return 0;
}

/* A path or address we put in haproxy.cfg: no blanks, quotes, '#' or backslashes. */
static int valid_cfg_word(const char *what, const char *s)
{
	const char *p;
	if (!s || !*s)
		return sw_error_code(SW_EINVAL, "router: empty %s", what);
	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '\'' || *p == '"' || *p == '\\' ||
		    *p == '#')
			return sw_error_code(SW_EINVAL, "router: %s '%s' has a character HAProxy cannot take",
					     what, s);
	return 0;
}

/* "200", "200-299", "200,302" */
static int valid_matcher(const char *m)
{
	const char *p = m;
	for (;;) {
		int i;
		for (i = 0; i < 3; i++, p++)
			if (*p < '0' || *p > '9')
				goto bad;
		if (*p == '-') {
			p++;
			for (i = 0; i < 3; i++, p++)
				if (*p < '0' || *p > '9')
					goto bad;
		}
		if (!*p)
			return 0;
		if (*p++ != ',')
			goto bad;
	}
bad:
	return sw_error_code(SW_EINVAL, "router: matcher '%s': expected codes like 200, 200-299 or 200,302", m);
}

static int valid_check(const struct sw_router_check *c)
{
	if (!c->enabled)
		return 0;
	if (c->path && (c->path[0] != '/' || valid_cfg_word("health check path", c->path) < 0))
		return sw_error_code(SW_EINVAL, "router: health check path '%s' must start with '/' and have no blank or quote",
				     c->path);
	if (c->matcher && valid_matcher(c->matcher) < 0)
		return SW_EINVAL;
	if (c->interval_ms <= 0 || c->timeout_ms <= 0 || c->healthy_threshold <= 0 ||
	    c->unhealthy_threshold <= 0 || c->port < 0 || c->port > 65535)
		return sw_error_code(SW_EINVAL, "router: health check interval, timeout and thresholds must be positive");
	return 0;
}

static struct rt_backend *find_backend(struct sw_router *r, const char *name)
{
	size_t i;
	for (i = 0; i < r->nbackends; i++)
		if (!strcmp(r->backends[i].name, name))
			return &r->backends[i];
	return NULL;
}

static struct rt_frontend *find_frontend(struct sw_router *r, const char *name)
{
	size_t i;
	for (i = 0; i < r->nfrontends; i++)
		if (!strcmp(r->frontends[i].name, name))
			return &r->frontends[i];
	return NULL;
}

static struct rt_server *find_server(struct rt_backend *be, const char *name)
{
	size_t i;
	for (i = 0; i < be->nservers; i++)
		if (!strcmp(be->servers[i].name, name))
			return &be->servers[i];
	return NULL;
}

static void server_release(struct rt_server *s)
{
	free(s->name);
	free(s->addr);
}

static void backend_release(struct rt_backend *be)
{
	size_t i;
	for (i = 0; i < be->nservers; i++)
		server_release(&be->servers[i]);
	free(be->servers);
	free(be->name);
	free((char *)be->check.path);
	free((char *)be->check.matcher);
}

static void rules_release(struct rt_rule *rules, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(rules[i].regex);
		free(rules[i].backend);
	}
	free(rules);
}

static void frontend_release(struct rt_frontend *fe)
{
	free(fe->name);
	free(fe->default_backend);
	free(fe->fixed_type);
	free(fe->fixed_body);
	rules_release(fe->rules, fe->nrules);
}

/* ---- rules -> regular expressions --------------------------------------------- */

/*
 * One ALB pattern as a regex piece. Characters that mean something to a regex are
 * put in brackets rather than escaped with '\': HAProxy's CLI would eat backslashes.
 */
static int add_pattern(struct sw_buf *re, const char *pat, int host)
{
	const char *p;
	size_t n = strlen(pat);

	if (!n || n > (host ? 128u : 128u))
		return sw_error_code(SW_EINVAL, "%s pattern '%s' must have 1 to 128 characters",
				     host ? "host-header" : "path-pattern", pat);
	for (p = pat; *p; p++) {
		unsigned char c = (unsigned char)*p;
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (c == '*') {
			sw_buf_adds(re, host ? "[^/]*" : ".*");
		} else if (c == '?') {
			sw_buf_adds(re, host ? "[^/]" : ".");
		} else if (alnum || c == '-' || c == '_') {
			sw_buf_addch(re, host && c >= 'A' && c <= 'Z' ? c + 32 : c);
		} else if (c == '.') {
			sw_buf_adds(re, "[.]");
		} else if (!host && (c == '/' || c == '~' || c == '@' || c == ':' || c == '&' ||
				     c == '\'' || c == '"' || c == '=' || c == '%' || c == ',' || c == '!')) {
			sw_buf_addch(re, c);
		} else if (!host && (c == '$' || c == '+')) {
			sw_buf_addch(re, '[');
			sw_buf_addch(re, c);
			sw_buf_addch(re, ']');
		} else {
			return sw_error_code(SW_EINVAL, "%s pattern '%s': character '%c' is not allowed",
					     host ? "host-header" : "path-pattern", pat, c >= ' ' && c < 0x7f ? c : '?');
		}
	}
	return 0;
}

int sw_router_rule_regex(const struct sw_router_rule *rule, char **out)
{
	struct sw_buf re = SW_BUF_INIT;
	size_t i;
	int ret = 0;

	*out = NULL;
	sw_buf_adds(&re, "^");
	if (rule->nhosts) {
		sw_buf_adds(&re, "(?:");
		for (i = 0; i < rule->nhosts; i++) {
			if (i)
				sw_buf_addch(&re, '|');
			if ((ret = add_pattern(&re, rule->hosts[i], 1)) < 0)
				goto cleanup;
		}
		sw_buf_addch(&re, ')');
	} else {
		sw_buf_adds(&re, "[^/]*");
	}
	if (rule->npaths) {
		sw_buf_adds(&re, "(?:");
		for (i = 0; i < rule->npaths; i++) {
			if (i)
				sw_buf_addch(&re, '|');
			if ((ret = add_pattern(&re, rule->paths[i], 0)) < 0)
				goto cleanup;
		}
		sw_buf_addch(&re, ')');
	} else {
		sw_buf_adds(&re, "/.*");
	}
	sw_buf_addch(&re, '$');
	*out = sw_buf_detach(&re, NULL);

cleanup:
	sw_buf_release(&re);
	return ret;
}

/* ---- files ------------------------------------------------------------------------ */

static int write_file(const char *path, const char *data, size_t len)
{
	struct sw_buf tmp = SW_BUF_INIT;
	int fd = -1, ret = SW_ERROR;
	size_t off = 0;

	sw_buf_addf(&tmp, "%s.tmp", path);
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		sw_error_errno("router: create %s", tmp.ptr);
		goto cleanup;
	}
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			sw_error_errno("router: write %s", tmp.ptr);
			goto cleanup;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0) {
		fd = -1;
		sw_error_errno("router: write %s", tmp.ptr);
		goto cleanup;
	}
	fd = -1;
	if (rename(tmp.ptr, path) < 0) {
		sw_error_errno("router: rename %s", tmp.ptr);
		goto cleanup;
	}
	ret = 0;

cleanup:
	if (fd >= 0) {
		close(fd);
		unlink(tmp.ptr);
	}
	sw_buf_release(&tmp);
	return ret;
}

static void map_path(struct sw_router *r, const char *frontend, struct sw_buf *out)
{
	sw_buf_reset(out);
	sw_buf_addf(out, "%s/router-%s.map", r->dir, frontend);
}

static void body_path(struct sw_router *r, const char *frontend, struct sw_buf *out)
{
	sw_buf_reset(out);
	sw_buf_addf(out, "%s/router-%s.body", r->dir, frontend);
}

static int write_map(struct sw_router *r, struct rt_frontend *fe)
{
	struct sw_buf path = SW_BUF_INIT, text = SW_BUF_INIT;
	size_t i;
	int ret;

	map_path(r, fe->name, &path);
	sw_buf_adds(&text, "# generated by slipway-engine: listener rules in priority order\n");
	for (i = 0; i < fe->nrules; i++)
		sw_buf_addf(&text, "%s be_%s\n", fe->rules[i].regex, fe->rules[i].backend);
	ret = write_file(path.ptr, text.ptr, text.len);
	sw_buf_release(&path);
	sw_buf_release(&text);
	return ret;
}

static int write_fixed_body(struct sw_router *r, struct rt_frontend *fe)
{
	struct sw_buf path = SW_BUF_INIT, text = SW_BUF_INIT;
	int ret;

	body_path(r, fe->name, &path);
	if (fe->fixed_body)
		sw_buf_adds(&text, fe->fixed_body);
	else if (fe->fixed_status == 404)
		sw_buf_adds(&text, "<html><body><h1>404 Not Found</h1>\nNo app answers to this host name.\n</body></html>\n");
	else
		sw_buf_addf(&text, "<html><body><h1>%d</h1></body></html>\n", fe->fixed_status);
	ret = write_file(path.ptr, text.ptr, text.len);
	sw_buf_release(&path);
	sw_buf_release(&text);
	return ret;
}

/* ---- the runtime API ------------------------------------------------------------ */

/*
 * One command line (commands joined with ';' are run in order) on a CLI socket;
 * HAProxy answers and closes. out gets the answer (capped).
 */
static int cli(const char *sock, const char *cmd, struct sw_buf *out)
{
	struct sockaddr_un sa;
	struct pollfd pfd;
	size_t len = strlen(cmd), off = 0;
	long long deadline = now_ms() + CLI_TIMEOUT_MS;
	int fd = -1, ret = SW_ERROR;
	char tmp[16384];

	sw_buf_reset(out);
	if (out->cap == 0)
		out->cap = CLI_MAX_OUTPUT;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(sa.sun_path))
		return sw_error("router: socket path too long: %s", sock);
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sw_error_errno("router: socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = sw_error_code(SW_EUNAVAIL, "router: connect %s: %s", sock, strerror(errno));
		goto cleanup;
	}
	while (off < len + 1) {
		ssize_t n = off < len ? send(fd, cmd + off, len - off, MSG_NOSIGNAL)
				      : send(fd, "\n", 1, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = sw_error_code(SW_EUNAVAIL, "router: send to %s: %s", sock, strerror(errno));
			goto cleanup;
		}
		off += (size_t)n;
	}
	/* The master CLI waits for the end of input; the worker's answers either way. */
	shutdown(fd, SHUT_WR);
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		long long left = deadline - now_ms();
		ssize_t n;
		int pr;

		if (left <= 0) {
			ret = sw_error_code(SW_ETIMEOUT, "router: HAProxy did not answer '%.40s' in time", cmd);
			goto cleanup;
		}
		pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			ret = sw_error_errno("router: poll");
			goto cleanup;
		}
		if (pr == 0)
			continue;
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = sw_error_code(SW_EUNAVAIL, "router: read from %s: %s", sock, strerror(errno));
			goto cleanup;
		}
		if (n == 0)
			break;
		if (sw_buf_add(out, tmp, (size_t)n) < 0) {
			ret = sw_error_code(SW_ETOOBIG, "router: HAProxy's answer to '%.40s' is too large", cmd);
			goto cleanup;
		}
	}
	ret = 0;

cleanup:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Run a command whose success prints nothing (set server, enable health, ...). */
static int cli_quiet(struct sw_router *r, const char *cmd)
{
	struct sw_buf out = SW_BUF_INIT;
	int ret = cli(r->sock_path, cmd, &out);
	if (ret == 0) {
		sw_buf_rtrim(&out);
		if (out.len)
			ret = sw_error("router: HAProxy: %s: %s", cmd, out.ptr);
	}
	sw_buf_release(&out);
	return ret;
}

/* "Pid: N" of the worker answering the admin socket, or negative. */
static int worker_pid(struct sw_router *r, long *pid)
{
	struct sw_buf out = SW_BUF_INIT;
	const char *p;
	int ret = cli(r->sock_path, "show info", &out);

	if (ret == 0) {
		p = strstr(out.ptr, "\nPid: ");
		if (!p && !strncmp(out.ptr, "Pid: ", 5))
			p = out.ptr - 1;
		if (p)
			*pid = strtol(p + 6, NULL, 10);
		else
			ret = sw_error("router: HAProxy's show info has no Pid");
	}
	sw_buf_release(&out);
	return ret;
}

/* The "failed" count of the master's reloads ("show proc"), or -1. */
static long master_failed_reloads(struct sw_router *r)
{
	struct sw_buf out = SW_BUF_INIT;
	long failed = -1;
	const char *p;

	if (cli(r->master_path, "show proc", &out) == 0 && (p = strstr(out.ptr, "[failed: ")))
		failed = strtol(p + 9, NULL, 10);
	sw_buf_release(&out);
	return failed;
}

/* Server names HAProxy has, per backend: "be_x/s" lines of `show servers state`. */
static void parse_known(const char *dump, struct sw_strvec *known)
{
	const char *line = dump;
	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t n = eol ? (size_t)(eol - line) : strlen(line);
		if (n && line[0] != '#') {
			char *copy = xstrndup(line, n);
			char *save = NULL, *f[4] = { NULL };
			int i;
			for (i = 0; i < 4; i++)
				f[i] = strtok_r(i ? NULL : copy, " ", &save);
			if (f[3])
				sw_strvec_pushf(known, "%s/%s", f[1], f[3]);
			free(copy);
		}
		line = eol ? eol + 1 : NULL;
	}
}

static int strvec_has(const struct sw_strvec *sv, const char *s)
{
	size_t i;
	for (i = 0; i < sv->nr; i++)
		if (!strcmp(sv->v[i], s))
			return 1;
	return 0;
}

/* ---- the configuration ------------------------------------------------------------ */

/*
 * A server's health-check settings (nothing when the backend has no check). A target
 * comes in DOWN (initial_cmds) and HAProxy would run its first check one whole `inter`
 * later; as an ALB target group does, it is checked at once instead — `downinter`,
 * the spacing while DOWN, is short — and then every `inter`: healthy after
 * `healthy_threshold` passing checks, (threshold - 1) intervals after registration.
 */
static void check_args(struct sw_buf *c, const struct rt_backend *be)
{
	if (!be->check.enabled)
		return;
	sw_buf_addf(c, " check inter %dms downinter %dms rise %d fall %d", be->check.interval_ms,
		    be->check.interval_ms < DOWN_INTER_MS ? be->check.interval_ms : DOWN_INTER_MS,
		    be->check.healthy_threshold, be->check.unhealthy_threshold);
	if (be->check.port)
		sw_buf_addf(c, " port %d", be->check.port);
}

static void gen_server(struct sw_buf *c, const struct rt_backend *be, const struct rt_server *s,
		       int disabled)
{
	sw_buf_addf(c, "    server %s %s:%d", s->name, s->addr, s->port);
	check_args(c, be);
	if (disabled)
		sw_buf_adds(c, " disabled");
	sw_buf_addch(c, '\n');
}

static const char page_503[] =
	"<html><body><h1>503 Service Unavailable</h1>\\nNo healthy target answers for this app right now.\\n</body></html>\\n";
static const char page_400[] =
	"<html><body><h1>400 Bad Request</h1>\\nThe request could not be understood.\\n</body></html>\\n";
static const char page_502[] =
	"<html><body><h1>502 Bad Gateway</h1>\\nThe app sent an invalid response.\\n</body></html>\\n";
static const char page_504[] =
	"<html><body><h1>504 Gateway Timeout</h1>\\nThe app did not answer in time.\\n</body></html>\\n";

/*
 * The whole configuration. Servers HAProxy does not know yet (not in known) are
 * written "disabled": they are brought in DOWN at runtime after the (re)load, so
 * they take traffic only once their checks pass.
 */
static void gen_config(struct sw_router *r, struct sw_buf *c, const struct sw_strvec *known)
{
	struct sw_buf path = SW_BUF_INIT;
	size_t i, j;

	sw_buf_adds(c, "# generated by slipway-engine (engine/router.c): rewritten on every change\n");
	sw_buf_adds(c, "global\n    master-worker\n");
	sw_buf_addf(c, "    stats socket %s mode 600 level admin expose-fd listeners\n", r->sock_path);
	sw_buf_adds(c, "    stats timeout 30s\n");
	sw_buf_addf(c, "    server-state-file %s\n", r->state_path);
	/* noreuseport: a second HAProxy on our port fails instead of sharing it */
	sw_buf_adds(c, "    hard-stop-after 120s\n    maxconn 8192\n    noreuseport\n");
	if (r->lua)
		sw_buf_addf(c, "    lua-load %s\n", r->lua_path);
	if (r->nbthread > 0)
		sw_buf_addf(c, "    nbthread %d\n", r->nbthread);
	sw_buf_adds(c,
		"\ndefaults\n"
		"    mode http\n"
		"    option idle-close-on-response\n"
		"    option redispatch 1\n"
		"    retries 3\n"
		"    retry-on conn-failure empty-response\n"
		"    timeout connect 5s\n"
		"    timeout client 60s\n"
		"    timeout server 60s\n"
		"    timeout http-request 10s\n"
		"    timeout http-keep-alive 60s\n"
		"    timeout queue 10s\n"
		"    load-server-state-from-file global\n");
	sw_buf_addf(c, "    http-error status 503 content-type text/html string \"%s\"\n", page_503);
	sw_buf_addf(c, "    http-error status 400 content-type text/html string \"%s\"\n", page_400);
	sw_buf_addf(c, "    http-error status 502 content-type text/html string \"%s\"\n", page_502);
	sw_buf_addf(c, "    http-error status 504 content-type text/html string \"%s\"\n", page_504);

	for (i = 0; i < r->nfrontends; i++) {
		struct rt_frontend *fe = &r->frontends[i];
		struct sw_buf def = SW_BUF_INIT;

		if (fe->default_backend && find_backend(r, fe->default_backend))
			sw_buf_addf(&def, "be_%s", fe->default_backend);
		else
			sw_buf_addf(&def, "fe_%s_default", fe->name);
		map_path(r, fe->name, &path);
		sw_buf_addf(c, "\nfrontend fe_%s\n", fe->name);
		sw_buf_addf(c, "    bind %s:%d\n", r->listen_addr, fe->port);
		sw_buf_adds(c,
			"    option forwardfor\n"
			"    http-request set-header X-Forwarded-Proto http\n"
			"    http-request set-header X-Forwarded-Port %[dst_port]\n"
			"    unique-id-format %[uuid()]\n"
			"    http-request set-header X-Request-Id %[unique-id]\n"
			"    http-request set-var(txn.sw_path) path\n"
			"    http-request set-var(txn.sw_key) req.hdr(host),regsub(:[0-9]+$,),lower,concat(,txn.sw_path,)\n");
		sw_buf_addf(c, "    use_backend %%[var(txn.sw_key),map_reg(%s,%s)]\n", path.ptr, def.ptr);
		sw_buf_addf(c, "    default_backend %s\n", def.ptr);
		if (!(fe->default_backend && find_backend(r, fe->default_backend))) {
			body_path(r, fe->name, &path);
			sw_buf_addf(c, "\nbackend fe_%s_default\n", fe->name);
			sw_buf_addf(c, "    http-request return status %d content-type \"%s\" file %s\n",
				    fe->fixed_status, fe->fixed_type ? fe->fixed_type : "text/html", path.ptr);
		}
		sw_buf_release(&def);
	}

	for (i = 0; i < r->nbackends; i++) {
		struct rt_backend *be = &r->backends[i];
		sw_buf_addf(c, "\nbackend be_%s\n    balance roundrobin\n", be->name);
		if (be->check.enabled) {
			sw_buf_adds(c, "    option httpchk\n");
			sw_buf_addf(c, "    http-check send meth GET uri '%s' ver HTTP/1.1 hdr Host localhost\n",
				    be->check.path ? be->check.path : "/");
			sw_buf_addf(c, "    http-check expect status %s\n",
				    be->check.matcher ? be->check.matcher : "200");
			sw_buf_addf(c, "    timeout check %dms\n", be->check.timeout_ms);
		}
		for (j = 0; j < be->nservers; j++) {
			struct sw_buf key = SW_BUF_INIT;
			sw_buf_addf(&key, "be_%s/%s", be->name, be->servers[j].name);
			gen_server(c, be, &be->servers[j], !strvec_has(known, key.ptr));
			sw_buf_release(&key);
		}
	}
	sw_buf_release(&path);
}

/* The commands that bring a server in DOWN, checked, without a moment in service. */
static void initial_cmds(struct sw_buf *cmd, const struct rt_backend *be, const struct rt_server *s)
{
	if (cmd->len)
		sw_buf_addch(cmd, ';');
	if (be->check.enabled)
		sw_buf_addf(cmd, "set server be_%s/%s state drain;set server be_%s/%s health down;"
			    "enable health be_%s/%s;set server be_%s/%s state ready",
			    be->name, s->name, be->name, s->name, be->name, s->name, be->name, s->name);
	else
		sw_buf_addf(cmd, "set server be_%s/%s state ready", be->name, s->name);
}

/* Run ';'-joined commands in batches (each prints nothing on success). */
static int run_batches(struct sw_router *r, struct sw_strvec *cmds)
{
	struct sw_buf line = SW_BUF_INIT;
	size_t i;
	int ret = 0;

	for (i = 0; i < cmds->nr && ret == 0; i++) {
		if (line.len && line.len + strlen(cmds->v[i]) > CLI_BATCH) {
			ret = cli_quiet(r, line.ptr);
			sw_buf_reset(&line);
		}
		if (line.len)
			sw_buf_addch(&line, ';');
		sw_buf_adds(&line, cmds->v[i]);
	}
	if (ret == 0 && line.len)
		ret = cli_quiet(r, line.ptr);
	sw_buf_release(&line);
	return ret;
}

/* After a (re)load: servers HAProxy did not know come in DOWN and checked. */
static int bring_in_new_servers(struct sw_router *r, const struct sw_strvec *known)
{
	struct sw_strvec cmds = SW_STRVEC_INIT;
	size_t i, j;
	int ret;

	for (i = 0; i < r->nbackends; i++) {
		struct rt_backend *be = &r->backends[i];
		for (j = 0; j < be->nservers; j++) {
			struct rt_server *s = &be->servers[j];
			struct sw_buf key = SW_BUF_INIT, cmd = SW_BUF_INIT;
			sw_buf_addf(&key, "be_%s/%s", be->name, s->name);
			s->live = 1;
			if (!strvec_has(known, key.ptr)) {
				initial_cmds(&cmd, be, s);
				if (s->draining)
					sw_buf_addf(&cmd, ";set server be_%s/%s state drain", be->name, s->name);
				sw_strvec_push(&cmds, cmd.ptr);
				s->ever_up = 0;
				s->added_ms = now_ms();
			}
			sw_buf_release(&key);
			sw_buf_release(&cmd);
		}
	}
	ret = run_batches(r, &cmds);
	sw_strvec_clear(&cmds);
	return ret;
}

static int write_all_files(struct sw_router *r, const struct sw_strvec *known)
{
	struct sw_buf cfg = SW_BUF_INIT, tmp = SW_BUF_INIT, log = SW_BUF_INIT;
	struct sw_proc p = SW_PROC_INIT;
	size_t i;
	int ret = SW_ERROR, code;

	for (i = 0; i < r->nfrontends; i++)
		if (write_map(r, &r->frontends[i]) < 0 || write_fixed_body(r, &r->frontends[i]) < 0)
			goto cleanup;
	if (r->lua) {
		/*
		 * HAProxy outlives the engine on purpose (the apps stay reachable), but not its
		 * state directory: when haproxy.cfg is gone (SLIPWAY_HOME deleted, a test's temp
		 * dir removed), the worker exits, and the master with it.
		 */
		sw_buf_reset(&tmp);
		sw_buf_addf(&tmp, "-- generated by slipway-engine (engine/router.c)\n"
			    "core.register_task(function()\n"
			    "  while true do\n"
			    "    core.msleep(5000)\n"
			    "    local f = io.open(\"%s\", \"r\")\n"
			    "    if f == nil then os.exit(0) end\n"
			    "    f:close()\n"
			    "  end\n"
			    "end)\n", r->cfg_path);
		if (write_file(r->lua_path, tmp.ptr, tmp.len) < 0)
			goto cleanup;
		sw_buf_reset(&tmp);
	}
	gen_config(r, &cfg, known);
	sw_buf_addf(&tmp, "%s.new", r->cfg_path);
	if (write_file(tmp.ptr, cfg.ptr, cfg.len) < 0)
		goto cleanup;
	/* Check it before HAProxy reloads with it: a bad one would leave it half-reloaded. */
	sw_strvec_pushl(&p.args, r->haproxy, "-c", "-q", "-f", tmp.ptr, NULL);
	sw_buf_init(&log, 64 * 1024);
	p.err_to_out = 1;
	code = sw_proc_run(&p, &log, NULL);
	if (code != 0) {
		sw_buf_rtrim(&log);
		if (code > 0)
			sw_error("router: the generated HAProxy configuration is refused: %s", log.ptr);
		else
			sw_error_prefix("router: %s -c", r->haproxy);
		goto cleanup;
	}
	if (rename(tmp.ptr, r->cfg_path) < 0) {
		sw_error_errno("router: rename %s", tmp.ptr);
		goto cleanup;
	}
	ret = 0;

cleanup:
	sw_proc_release(&p);
	sw_buf_release(&cfg);
	sw_buf_release(&tmp);
	sw_buf_release(&log);
	return ret;
}

static int wait_worker(struct sw_router *r, long old_pid, long failed_before, long *new_pid)
{
	long long deadline = now_ms() + RELOAD_TIMEOUT_MS;
	long pid = 0;

	while (now_ms() < deadline) {
		if (worker_pid(r, &pid) == 0 && pid != old_pid) {
			*new_pid = pid;
			return 0;
		}
		if (failed_before >= 0 && master_failed_reloads(r) > failed_before)
			break;
		sleep_ms(50);
	}
	return sw_error("router: HAProxy did not take the new configuration (it keeps the previous "
			"one); its log: %s", r->log_path);
}

/* Last line of HAProxy's log file, for an error message. */
static void log_tail(struct sw_router *r, struct sw_buf *out)
{
	char tmp[4096];
	int fd = open(r->log_path, O_RDONLY | O_CLOEXEC);
	off_t size;
	ssize_t n;
	char *nl;

	sw_buf_reset(out);
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size > (off_t)sizeof(tmp) - 1)
		lseek(fd, size - (off_t)sizeof(tmp) + 1, SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	n = read(fd, tmp, sizeof(tmp) - 1);
	close(fd);
	if (n <= 0)
		return;
	tmp[n] = '\0';
	while (n > 0 && (tmp[n - 1] == '\n' || tmp[n - 1] == '\r'))
		tmp[--n] = '\0';
	nl = strrchr(tmp, '\n');
	sw_buf_adds(out, nl ? nl + 1 : tmp);
}

/* Reload the running HAProxy with the declared model (lock held). */
static int reload(struct sw_router *r)
{
	struct sw_buf dump = SW_BUF_INIT, out = SW_BUF_INIT;
	struct sw_strvec known = SW_STRVEC_INIT;
	long old_pid = 0, new_pid = 0, failed;
	int ret = SW_ERROR;

	if (worker_pid(r, &old_pid) < 0)
		goto cleanup;
	if (cli(r->sock_path, "show servers state", &dump) < 0)
		goto cleanup;
	if (write_file(r->state_path, dump.ptr, dump.len) < 0)
		goto cleanup;
	parse_known(dump.ptr, &known);
	if (write_all_files(r, &known) < 0)
		goto cleanup;
	failed = master_failed_reloads(r);
	/* SIGUSR2 is the master's reload (its CLI "reload" keeps the connection open). */
	if (r->master_pid <= 0 || kill(r->master_pid, SIGUSR2) < 0) {
		sw_error_errno("router: signal HAProxy's master (%ld)", (long)r->master_pid);
		goto cleanup;
	}
	if (wait_worker(r, old_pid, failed, &new_pid) < 0) {
		struct sw_buf tail = SW_BUF_INIT;
		log_tail(r, &tail);
		if (tail.len)
			sw_error("router: HAProxy refused the new configuration: %s", tail.ptr);
		sw_buf_release(&tail);
		goto cleanup;
	}
	sw_log_info("router: HAProxy reloaded (worker %ld)", new_pid);
	ret = bring_in_new_servers(r, &known);

cleanup:
	sw_buf_release(&dump);
	sw_buf_release(&out);
	sw_strvec_clear(&known);
	return ret;
}

static int read_pidfile(const char *path, pid_t *pid)
{
	char tmp[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, tmp, sizeof(tmp) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	tmp[n] = '\0';
	*pid = (pid_t)strtol(tmp, NULL, 10);
	return *pid > 1 ? 0 : -1;
}

/* Is the HAProxy of this directory running (master alive and answering)? */
static int adoptable(struct sw_router *r)
{
	struct sw_buf out = SW_BUF_INIT;
	pid_t pid;
	int ok;

	if (read_pidfile(r->pid_path, &pid) < 0 || kill(pid, 0) < 0)
		return 0;
	ok = cli(r->master_path, "show proc", &out) == 0 && strstr(out.ptr, "master");
	sw_buf_release(&out);
	if (ok)
		r->master_pid = pid;
	return ok;
}

/* Start a new HAProxy (lock held). */
static int launch(struct sw_router *r)
{
	struct sw_strvec known = SW_STRVEC_INIT;
	struct sw_proc p = SW_PROC_INIT;
	struct sw_buf master = SW_BUF_INIT, tail = SW_BUF_INIT;
	long long deadline;
	long pid = 0;
	int logfd = -1, code = 0, ret = SW_ERROR;

	/* Whatever state a previous HAProxy left is stale now. */
	unlink(r->state_path);
	unlink(r->sock_path);
	unlink(r->master_path);
	if (write_all_files(r, &known) < 0)
		goto cleanup;
	logfd = open(r->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0) {
		sw_error_errno("router: open %s", r->log_path);
		goto cleanup;
	}
	sw_buf_addf(&master, "%s,mode,600", r->master_path);
	sw_strvec_pushl(&p.args, r->haproxy, "-W", "-D", "-S", master.ptr, "-f", r->cfg_path,
			"-p", r->pid_path, NULL);
	p.out = logfd;
	p.err = logfd;
	if (sw_proc_start(&p) < 0 || sw_proc_wait(&p, &code) < 0) {
		sw_error_prefix("router");
		goto cleanup;
	}
	if (code != 0) {
		log_tail(r, &tail);
		sw_error("router: HAProxy did not start (exit %d): %s", code, tail.len ? tail.ptr : r->log_path);
		goto cleanup;
	}
	deadline = now_ms() + RELOAD_TIMEOUT_MS;
	while (worker_pid(r, &pid) < 0) {
		if (now_ms() > deadline) {
			sw_error_prefix("router: HAProxy does not answer on its socket");
			goto cleanup;
		}
		sleep_ms(20);
	}
	if (read_pidfile(r->pid_path, &r->master_pid) < 0) {
		sw_error("router: HAProxy wrote no pid file %s", r->pid_path);
		goto cleanup;
	}
	r->running = 1;
	sw_log_info("router: HAProxy started (master %ld, worker %ld)", (long)r->master_pid, pid);
	ret = bring_in_new_servers(r, &known);

cleanup:
	if (logfd >= 0)
		close(logfd);
	sw_proc_release(&p);
	sw_buf_release(&master);
	sw_buf_release(&tail);
	sw_strvec_clear(&known);
	return ret;
}

/* ---- public --------------------------------------------------------------------- */

int sw_router_new(struct sw_router **out, const struct sw_router_options *opts)
{
	struct sw_router *r;
	struct sockaddr_un sa;

	*out = NULL;
	if (!opts || !opts->dir || valid_cfg_word("directory", opts->dir) < 0)
		return sw_error_code(SW_EINVAL, "router: the state directory must be a path without blanks or quotes");
	if (strlen(opts->dir) + sizeof("/haproxy-master.sock") > sizeof(sa.sun_path))
		return sw_error_code(SW_EINVAL, "router: %s is too long for HAProxy's socket paths (%zu bytes at most)",
				     opts->dir, sizeof(sa.sun_path) - sizeof("/haproxy-master.sock"));
	if (opts->listen_addr && valid_cfg_word("listen address", opts->listen_addr) < 0)
		return SW_EINVAL;
	if (mkdir(opts->dir, 0700) < 0 && errno != EEXIST)
		return sw_error_errno("router: mkdir %s", opts->dir);
	r = xcalloc(1, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->dir = xstrdup(opts->dir);
	r->listen_addr = xstrdup(opts->listen_addr ? opts->listen_addr : "127.0.0.1");
	r->haproxy = xstrdup(opts->haproxy ? opts->haproxy : "haproxy");
	r->nbthread = opts->nbthread;
	{
		struct sw_buf b = SW_BUF_INIT;
		sw_buf_addf(&b, "%s/haproxy.cfg", r->dir);
		r->cfg_path = sw_buf_detach(&b, NULL);
		sw_buf_addf(&b, "%s/haproxy.state", r->dir);
		r->state_path = sw_buf_detach(&b, NULL);
		sw_buf_addf(&b, "%s/haproxy.pid", r->dir);
		r->pid_path = sw_buf_detach(&b, NULL);
		sw_buf_addf(&b, "%s/haproxy.sock", r->dir);
		r->sock_path = sw_buf_detach(&b, NULL);
		sw_buf_addf(&b, "%s/haproxy-master.sock", r->dir);
		r->master_path = sw_buf_detach(&b, NULL);
		sw_buf_addf(&b, "%s/haproxy.log", r->dir);
		r->log_path = sw_buf_detach(&b, NULL);
		sw_buf_addf(&b, "%s/router-watch.lua", r->dir);
		r->lua_path = sw_buf_detach(&b, NULL);
	}
	{
		/* Lua for the watchdog (Debian's HAProxy has it): "Built with Lua" in -vv */
		struct sw_proc p = SW_PROC_INIT;
		struct sw_buf vv = SW_BUF_INIT;
		sw_buf_init(&vv, 256 * 1024);
		sw_strvec_pushl(&p.args, r->haproxy, "-vv", NULL);
		p.err_to_out = 1;
		if (sw_proc_run(&p, &vv, NULL) == 0 && strstr(vv.ptr, "Built with Lua"))
			r->lua = 1;
		sw_proc_release(&p);
		sw_buf_release(&vv);
	}
	*out = r;
	return 0;
}

void sw_router_free(struct sw_router *r)
{
	size_t i;
	if (!r)
		return;
	for (i = 0; i < r->nbackends; i++)
		backend_release(&r->backends[i]);
	free(r->backends);
	for (i = 0; i < r->nfrontends; i++)
		frontend_release(&r->frontends[i]);
	free(r->frontends);
	free(r->dir);
	free(r->listen_addr);
	free(r->haproxy);
	free(r->cfg_path);
	free(r->state_path);
	free(r->pid_path);
	free(r->sock_path);
	free(r->master_path);
	free(r->log_path);
	free(r->lua_path);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static int same_str(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

static int same_check(const struct sw_router_check *a, const struct sw_router_check *b)
{
	if (a->enabled != b->enabled)
		return 0;
	if (!a->enabled)
		return 1;
	return same_str(a->path, b->path) && same_str(a->matcher, b->matcher) && a->port == b->port &&
	       a->interval_ms == b->interval_ms && a->timeout_ms == b->timeout_ms &&
	       a->healthy_threshold == b->healthy_threshold &&
	       a->unhealthy_threshold == b->unhealthy_threshold;
}

int sw_router_set_backend(struct sw_router *r, const struct sw_router_backend *in)
{
	struct rt_backend *be;
	struct sw_router_check old;
	int ret = 0, created = 0;

	if (valid_name("backend", in->name) < 0 || valid_check(&in->check) < 0)
		return SW_EINVAL;
	pthread_mutex_lock(&r->lock);
	be = find_backend(r, in->name);
	if (!be) {
		SW_ALLOC_GROW(r->backends, r->nbackends + 1, r->balloc);
		be = &r->backends[r->nbackends++];
		memset(be, 0, sizeof(*be));
		be->name = xstrdup(in->name);
		created = 1;
	} else if (same_check(&be->check, &in->check)) {
		goto cleanup;
	}
	old = be->check;
	be->check = in->check;
	be->check.path = in->check.path ? xstrdup(in->check.path) : NULL;
	be->check.matcher = in->check.matcher ? xstrdup(in->check.matcher) : NULL;
	if (r->running) {
		/* The servers get the new interval and thresholds with the reload. */
		ret = reload(r);
		if (ret < 0 && created) {
			backend_release(be);
			r->nbackends--;
			created = 0;
		} else if (ret < 0) {
			free((char *)be->check.path);
			free((char *)be->check.matcher);
			be->check = old;
			old.path = old.matcher = NULL;
		}
	}
	if (!created) {
		free((char *)old.path);
		free((char *)old.matcher);
	}

cleanup:
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int sw_router_remove_backend(struct sw_router *r, const char *name)
{
	struct rt_backend *be;
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	be = find_backend(r, name);
	if (be) {
		struct rt_backend gone = *be;
		size_t idx = (size_t)(be - r->backends);
		memmove(be, be + 1, (r->nbackends - idx - 1) * sizeof(*be));
		r->nbackends--;
		if (r->running && (ret = reload(r)) < 0) {
			/* put it back: HAProxy still has it */
			memmove(&r->backends[idx + 1], &r->backends[idx], (r->nbackends - idx) * sizeof(*be));
			r->backends[idx] = gone;
			r->nbackends++;
		} else {
			backend_release(&gone);
		}
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int sw_router_set_frontend(struct sw_router *r, const struct sw_router_frontend *in)
{
	struct rt_frontend *fe, saved;
	int ret = 0, created = 0;

	if (valid_name("frontend", in->name) < 0)
		return SW_EINVAL;
	if (in->port <= 0 || in->port > 65535)
		return sw_error_code(SW_EINVAL, "router: port %d is not a TCP port", in->port);
	if (in->default_backend && valid_name("backend", in->default_backend) < 0)
		return SW_EINVAL;
	if (!in->default_backend && (in->fixed_status < 200 || in->fixed_status > 599))
		return sw_error_code(SW_EINVAL, "router: fixed response status %d is not 2XX to 5XX",
				     in->fixed_status);
	if (in->fixed_type && valid_cfg_word("content type", in->fixed_type) < 0)
		return SW_EINVAL;
	pthread_mutex_lock(&r->lock);
	fe = find_frontend(r, in->name);
	if (fe && fe->port == in->port && same_str(fe->default_backend, in->default_backend) &&
	    fe->fixed_status == in->fixed_status && same_str(fe->fixed_type, in->fixed_type) &&
	    same_str(fe->fixed_body, in->fixed_body))
		goto cleanup;
	if (!fe) {
		SW_ALLOC_GROW(r->frontends, r->nfrontends + 1, r->falloc);
		fe = &r->frontends[r->nfrontends++];
		memset(fe, 0, sizeof(*fe));
		fe->name = xstrdup(in->name);
		created = 1;
	}
	saved = *fe;
	fe->port = in->port;
	fe->default_backend = in->default_backend ? xstrdup(in->default_backend) : NULL;
	fe->fixed_status = in->fixed_status;
	fe->fixed_type = in->fixed_type ? xstrdup(in->fixed_type) : NULL;
	fe->fixed_body = in->fixed_body ? xstrdup(in->fixed_body) : NULL;
	if (r->running && (ret = reload(r)) < 0) {
		free(fe->default_backend);
		free(fe->fixed_type);
		free(fe->fixed_body);
		if (created) {
			free(fe->name);
			r->nfrontends--;
		} else {
			*fe = saved;
		}
	} else if (!created) {
		free(saved.default_backend);
		free(saved.fixed_type);
		free(saved.fixed_body);
	}

cleanup:
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int sw_router_remove_frontend(struct sw_router *r, const char *name)
{
	struct rt_frontend *fe;
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	fe = find_frontend(r, name);
	if (fe) {
		struct rt_frontend gone = *fe;
		size_t idx = (size_t)(fe - r->frontends);
		memmove(fe, fe + 1, (r->nfrontends - idx - 1) * sizeof(*fe));
		r->nfrontends--;
		if (r->running && (ret = reload(r)) < 0) {
			memmove(&r->frontends[idx + 1], &r->frontends[idx], (r->nfrontends - idx) * sizeof(*fe));
			r->frontends[idx] = gone;
			r->nfrontends++;
		} else {
			struct sw_buf path = SW_BUF_INIT;
			map_path(r, gone.name, &path);
			unlink(path.ptr);
			body_path(r, gone.name, &path);
			unlink(path.ptr);
			sw_buf_release(&path);
			frontend_release(&gone);
		}
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

/* Replace the frontend's live map atomically: prepare, add to the new version, commit. */
static int commit_map(struct sw_router *r, struct rt_frontend *fe)
{
	struct sw_buf path = SW_BUF_INIT, out = SW_BUF_INIT, cmd = SW_BUF_INIT;
	struct sw_strvec adds = SW_STRVEC_INIT;
	const char *p;
	unsigned long ver;
	size_t i;
	int ret = SW_ERROR;

	map_path(r, fe->name, &path);
	sw_buf_addf(&cmd, "prepare map %s", path.ptr);
	if (cli(r->sock_path, cmd.ptr, &out) < 0)
		goto cleanup;
	p = strstr(out.ptr, "New version created:");
	if (!p) {
		sw_buf_rtrim(&out);
		sw_error("router: HAProxy: %s: %s", cmd.ptr, out.ptr);
		goto cleanup;
	}
	ver = strtoul(p + strlen("New version created:"), NULL, 10);
	for (i = 0; i < fe->nrules; i++)
		sw_strvec_pushf(&adds, "add map @%lu %s %s be_%s", ver, path.ptr, fe->rules[i].regex,
				fe->rules[i].backend);
	sw_strvec_pushf(&adds, "commit map @%lu %s", ver, path.ptr);
	ret = run_batches(r, &adds);

cleanup:
	sw_buf_release(&path);
	sw_buf_release(&out);
	sw_buf_release(&cmd);
	sw_strvec_clear(&adds);
	return ret;
}

int sw_router_set_rules(struct sw_router *r, const char *frontend,
			const struct sw_router_rule *rules, size_t n)
{
	struct rt_rule *compiled = NULL, *old;
	struct rt_frontend *fe;
	size_t i, oldn;
	int ret = 0;

	compiled = n ? xcalloc(n, sizeof(*compiled)) : NULL;
	for (i = 0; i < n; i++) {
		if (valid_name("backend", rules[i].backend) < 0 ||
		    sw_router_rule_regex(&rules[i], &compiled[i].regex) < 0) {
			ret = SW_EINVAL;
			rules_release(compiled, n);
			return ret;
		}
		compiled[i].backend = xstrdup(rules[i].backend);
	}
	pthread_mutex_lock(&r->lock);
	fe = find_frontend(r, frontend);
	if (!fe) {
		ret = sw_error_code(SW_ENOTFOUND, "router: no frontend %s", frontend);
		rules_release(compiled, n);
		goto cleanup;
	}
	old = fe->rules;
	oldn = fe->nrules;
	fe->rules = compiled;
	fe->nrules = fe->alloc = n;
	if ((ret = write_map(r, fe)) == 0 && r->running)
		ret = commit_map(r, fe);
	if (ret < 0) {
		fe->rules = old;
		fe->nrules = fe->alloc = oldn;
		write_map(r, fe);
		rules_release(compiled, n);
	} else {
		rules_release(old, oldn);
	}

cleanup:
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int sw_router_start(struct sw_router *r)
{
	int ret;

	pthread_mutex_lock(&r->lock);
	if (r->running) {
		ret = 0;
	} else if (adoptable(r)) {
		r->running = 1;
		sw_log_info("router: adopting the running HAProxy (master %ld)", (long)r->master_pid);
		ret = reload(r);
		if (ret < 0)
			r->running = 0;
	} else {
		ret = launch(r);
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int sw_router_check_alive(struct sw_router *r)
{
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	if (r->running && (r->master_pid <= 0 || kill(r->master_pid, 0) < 0)) {
		size_t i, j;
		sw_log_warn("router: HAProxy (master %ld) is gone; starting it again", (long)r->master_pid);
		r->running = 0;
		for (i = 0; i < r->nbackends; i++)
			for (j = 0; j < r->backends[i].nservers; j++)
				r->backends[i].servers[j].live = 0;
		ret = launch(r);
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int sw_router_stop(struct sw_router *r, int wait_ms)
{
	pid_t pid = 0;
	long long deadline;

	pthread_mutex_lock(&r->lock);
	if (r->master_pid > 0)
		pid = r->master_pid;
	else if (read_pidfile(r->pid_path, &pid) < 0)
		pid = 0;
	if (pid > 0 && kill(pid, SIGUSR1) == 0) {
		deadline = now_ms() + wait_ms;
		while (kill(pid, 0) == 0 && now_ms() < deadline)
			sleep_ms(50);
		if (kill(pid, 0) == 0) {
			kill(pid, SIGTERM);
			deadline = now_ms() + 5000;
			while (kill(pid, 0) == 0 && now_ms() < deadline)
				sleep_ms(50);
		}
	}
	unlink(r->pid_path);
	unlink(r->sock_path);
	unlink(r->master_path);
	r->running = 0;
	r->master_pid = 0;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

int sw_router_server_add(struct sw_router *r, const char *backend, const char *server,
			 const char *addr, int port)
{
	struct sw_buf cmd = SW_BUF_INIT, out = SW_BUF_INIT;
	struct rt_backend *be;
	struct rt_server *s;
	int ret = 0;

	if (valid_name("server", server) < 0 || valid_cfg_word("address", addr) < 0)
		return SW_EINVAL;
	if (port <= 0 || port > 65535)
		return sw_error_code(SW_EINVAL, "router: port %d is not a TCP port", port);
	pthread_mutex_lock(&r->lock);
	be = find_backend(r, backend);
	if (!be) {
		ret = sw_error_code(SW_ENOTFOUND, "router: no backend %s", backend);
		goto cleanup;
	}
	s = find_server(be, server);
	if (s) {
		if (strcmp(s->addr, addr) || s->port != port) {
			ret = sw_error_code(SW_EEXISTS, "router: %s/%s is already %s:%d", backend, server,
					    s->addr, s->port);
			goto cleanup;
		}
		if (s->draining) {
			/* Registered again while draining: back in service, checked from scratch. */
			if (r->running && s->live) {
				initial_cmds(&cmd, be, s);
				if ((ret = cli_quiet(r, cmd.ptr)) < 0)
					goto cleanup;
			}
			s->draining = 0;
			s->ever_up = 0;
			s->added_ms = now_ms();
		}
		goto cleanup;
	}
	SW_ALLOC_GROW(be->servers, be->nservers + 1, be->alloc);
	s = &be->servers[be->nservers];
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(server);
	s->addr = xstrdup(addr);
	s->port = port;
	s->added_ms = now_ms();
	if (r->running) {
		/*
		 * A dynamic server gets no idle-connection pool unless told (2.6: pool-max-conn
		 * 0, pool-purge-delay 0): without one every request would open a connection to
		 * the app. These are the values a server from the configuration has.
		 */
		sw_buf_addf(&cmd, "add server be_%s/%s %s:%d pool-max-conn -1 pool-purge-delay 5s", be->name,
			    server, addr, port);
		check_args(&cmd, be);
		if ((ret = cli(r->sock_path, cmd.ptr, &out)) == 0 && !strstr(out.ptr, "New server registered")) {
			sw_buf_rtrim(&out);
			ret = sw_error("router: HAProxy: %s: %s", cmd.ptr, out.ptr);
		}
		if (ret < 0) {
			server_release(s);
			goto cleanup;
		}
		sw_buf_reset(&cmd);
		initial_cmds(&cmd, be, s);
		if ((ret = cli_quiet(r, cmd.ptr)) < 0) {
			/* leave it out of service; it is still in the model so remove can clean up */
			s->live = 1;
			be->nservers++;
			goto cleanup;
		}
		s->live = 1;
	}
	be->nservers++;

cleanup:
	pthread_mutex_unlock(&r->lock);
	sw_buf_release(&cmd);
	sw_buf_release(&out);
	return ret;
}

int sw_router_server_drain(struct sw_router *r, const char *backend, const char *server)
{
	struct sw_buf cmd = SW_BUF_INIT;
	struct rt_backend *be;
	struct rt_server *s;
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	be = find_backend(r, backend);
	s = be ? find_server(be, server) : NULL;
	if (!s) {
		ret = sw_error_code(SW_ENOTFOUND, "router: no server %s/%s", backend, server);
		goto cleanup;
	}
	if (!s->draining && r->running && s->live) {
		sw_buf_addf(&cmd, "set server be_%s/%s state drain", backend, server);
		if ((ret = cli_quiet(r, cmd.ptr)) < 0)
			goto cleanup;
	}
	s->draining = 1;

cleanup:
	pthread_mutex_unlock(&r->lock);
	sw_buf_release(&cmd);
	return ret;
}

int sw_router_server_remove(struct sw_router *r, const char *backend, const char *server, int force)
{
	struct sw_buf cmd = SW_BUF_INIT, out = SW_BUF_INIT;
	struct rt_backend *be;
	struct rt_server *s;
	int ret = 1;

	pthread_mutex_lock(&r->lock);
	be = find_backend(r, backend);
	s = be ? find_server(be, server) : NULL;
	if (!s)
		goto cleanup;
	if (r->running && s->live) {
		sw_buf_addf(&cmd, "set server be_%s/%s state maint", backend, server);
		if (force)
			sw_buf_addf(&cmd, ";shutdown sessions server be_%s/%s", backend, server);
		sw_buf_addf(&cmd, ";del server be_%s/%s", backend, server);
		if ((ret = cli(r->sock_path, cmd.ptr, &out)) < 0)
			goto cleanup;
		if (strstr(out.ptr, "still has connections")) {
			/* maint closes idle connections to the app asynchronously: look again shortly */
			int tries;
			sw_buf_reset(&cmd);
			sw_buf_addf(&cmd, "del server be_%s/%s", backend, server);
			for (tries = 0; tries < 5 && strstr(out.ptr, "still has connections"); tries++) {
				sleep_ms(20);
				if ((ret = cli(r->sock_path, cmd.ptr, &out)) < 0)
					goto cleanup;
			}
		}
		if (!strstr(out.ptr, "Server deleted") && !strstr(out.ptr, "No such server")) {
			if (strstr(out.ptr, "still has connections") || strstr(out.ptr, "not empty")) {
				ret = 0;
				goto cleanup;
			}
			sw_buf_rtrim(&out);
			ret = sw_error("router: HAProxy: del server be_%s/%s: %s", backend, server, out.ptr);
			goto cleanup;
		}
	}
	server_release(s);
	memmove(s, s + 1, (be->nservers - (size_t)(s - be->servers) - 1) * sizeof(*s));
	be->nservers--;
	ret = 1;

cleanup:
	pthread_mutex_unlock(&r->lock);
	sw_buf_release(&cmd);
	sw_buf_release(&out);
	return ret;
}

/* Split one CSV line (HAProxy's stats have no quoted fields) into fields. */
static size_t split_csv(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;
	while (n < max) {
		char *c = strchr(p, ',');
		f[n++] = p;
		if (!c)
			break;
		*c = '\0';
		p = c + 1;
	}
	return n;
}

static int column(char **names, size_t n, const char *want)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!strcmp(names[i], want))
			return (int)i;
	return -1;
}

/* HAProxy's check_status of a check that passed ("L7OK", "L7OKC", "L6OK", "L4OK"). */
static int check_passed(const char *status)
{
	return !strncmp(status, "L7OK", 4) || !strcmp(status, "L6OK") || !strcmp(status, "L4OK");
}

int sw_router_backend_health(struct sw_router *r, const char *backend,
			     struct sw_router_health **out, size_t *nout)
{
	struct sw_buf cmd = SW_BUF_INIT, text = SW_BUF_INIT;
	struct sw_router_health *h = NULL;
	struct rt_backend *be;
	char *hdr[128], *f[128];
	size_t nh = 0, i;
	int c_sv = -1, c_status = -1, c_chk = -1, c_code = -1, c_scur = -1;
	char *line, *save = NULL;
	int ret = 0;

	*out = NULL;
	*nout = 0;
	pthread_mutex_lock(&r->lock);
	be = find_backend(r, backend);
	if (!be) {
		ret = sw_error_code(SW_ENOTFOUND, "router: no backend %s", backend);
		goto cleanup;
	}
	h = be->nservers ? xcalloc(be->nservers, sizeof(*h)) : NULL;
	for (i = 0; i < be->nservers; i++) {
		struct rt_server *s = &be->servers[i];
		h[i].server = xstrdup(s->name);
		h[i].state = s->draining ? SW_ROUTER_DRAINING
			     : !be->check.enabled ? SW_ROUTER_UNCHECKED : SW_ROUTER_INITIAL;
	}
	if (!be->nservers || !r->running)
		goto done;
	sw_buf_addf(&cmd, "show stat be_%s 4 -1", be->name);
	if ((ret = cli(r->sock_path, cmd.ptr, &text)) < 0)
		goto cleanup;
	for (line = strtok_r(text.ptr, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t nf;
		struct rt_server *s;
		struct sw_router_health *e;
		const char *status;

		if (line[0] == '#') {
			nh = split_csv(line + 2, hdr, 128);
			c_sv = column(hdr, nh, "svname");
			c_status = column(hdr, nh, "status");
			c_chk = column(hdr, nh, "check_status");
			c_code = column(hdr, nh, "check_code");
			c_scur = column(hdr, nh, "scur");
			continue;
		}
		if (c_sv < 0 || c_status < 0 || c_chk < 0 || c_code < 0 || c_scur < 0) {
			ret = sw_error("router: HAProxy's stats lack the columns needed");
			goto cleanup;
		}
		nf = split_csv(line, f, 128);
		if (nf < nh)
			continue;
		s = find_server(be, f[c_sv]);
		if (!s)
			continue;
		e = &h[s - be->servers];
		status = f[c_status];
		snprintf(e->check_status, sizeof(e->check_status), "%s", f[c_chk]);
		e->check_code = atoi(f[c_code]);
		e->sessions = atoi(f[c_scur]);
		if (s->draining || !be->check.enabled)
			continue;
		if (!strncmp(status, "UP", 2)) {
			s->ever_up = 1;
			e->state = SW_ROUTER_HEALTHY;
		} else if (!s->ever_up &&
			   (!strcmp(e->check_status, "INI") || !e->check_status[0] || check_passed(e->check_status) ||
			    now_ms() - s->added_ms < (long long)be->check.interval_ms *
			    be->check.unhealthy_threshold + be->check.timeout_ms)) {
			/* never in service yet: initial while its checks start, or pass on the way up */
			e->state = SW_ROUTER_INITIAL;
		} else {
			e->state = SW_ROUTER_UNHEALTHY;
		}
	}
done:
	*out = h;
	*nout = be->nservers;
	h = NULL;

cleanup:
	if (h)
		sw_router_health_free(h, be ? be->nservers : 0);
	pthread_mutex_unlock(&r->lock);
	sw_buf_release(&cmd);
	sw_buf_release(&text);
	return ret;
}

void sw_router_health_free(struct sw_router_health *h, size_t n)
{
	size_t i;
	if (!h)
		return;
	for (i = 0; i < n; i++)
		free(h[i].server);
	free(h);
}
