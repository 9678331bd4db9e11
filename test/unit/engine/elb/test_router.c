/*
 * engine/elb/router.c against a real HAProxy and busybox httpd backends: the router is
 * HAProxy driven through its runtime API, so this is where its behaviour is pinned:
 * targets added and removed under load with no failed request, a slow request
 * finishing on a draining target, 404 / 503 / 400, a reload (new backend) under load,
 * and adopting a running HAProxy after an engine restart. Skipped when haproxy or
 * busybox is not installed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "engine/elb/router.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/proc.h"
#include "common/banned.h"

/* A router call that must succeed; when it does not, its one line says why. */
#define assert_ok(call) \
	do { \
		if ((call) != 0) \
			fail_msg("%s: %s", #call, sw_error_last()); \
	} while (0)

/* ---- helpers for the live tests ---------------------------------------------------- */

/*
 * Nothing this test starts may outlive it (a leaked daemon holding ctest's output pipe
 * hangs the whole run): the apps die with the test (setpriv --pdeathsig), and a
 * watchdog (alarm, or a crash) kills HAProxy by its pid file before exiting.
 */
static char watch_dir[64];
static pid_t watch_apps[3];

static void kill_pidfile(const char *dir)
{
	char path[128], tmp[32];
	ssize_t n;
	int fd;
	snprintf(path, sizeof(path), "%s/haproxy.pid", dir);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	n = read(fd, tmp, sizeof(tmp) - 1);
	close(fd);
	if (n > 0) {
		tmp[n] = '\0';
		if (atoi(tmp) > 1)
			kill((pid_t)atoi(tmp), SIGKILL);
	}
}

static void watchdog(int sig)
{
	int i;
	if (watch_dir[0])
		kill_pidfile(watch_dir);
	for (i = 0; i < 3; i++)
		if (watch_apps[i] > 0)
			kill(watch_apps[i], SIGKILL);
	(void)!write(2, "test_router: watchdog: killed what the test started\n", 52);
	_exit(sig == SIGALRM ? 124 : 128 + sig);
}

struct fixture {
	char dir[64];
	int port;                 /* the router's */
	int app_port[3];
	struct sw_proc app[3];
	struct sw_elb_router *r;
};

static int free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Send raw bytes to 127.0.0.1:port and read the answer until the server closes.
 * Returns the HTTP status (or -1 when no response came) and the body in *body.
 */
static int http_raw(int port, const char *req, struct sw_buf *body)
{
	struct sockaddr_in sa;
	struct sw_buf resp = SW_BUF_INIT;
	char tmp[4096];
	int fd, status = -1;
	size_t off = 0, len = strlen(req);
	const char *p;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	while (off < len) {
		ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t n;
		if (poll(&pfd, 1, 20000) <= 0)
			goto out;
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		sw_buf_add(&resp, tmp, (size_t)n);
	}
	if (resp.len > 12 && !strncmp(resp.ptr, "HTTP/1.", 7))
		status = atoi(resp.ptr + 9);
	if (body) {
		sw_buf_reset(body);
		p = strstr(resp.ptr, "\r\n\r\n");
		if (p)
			sw_buf_adds(body, p + 4);
	}
out:
	if (fd >= 0)
		close(fd);
	sw_buf_release(&resp);
	return status;
}

static int http_get(int port, const char *host, const char *path, struct sw_buf *body)
{
	struct sw_buf req = SW_BUF_INIT;
	int status;
	sw_buf_addf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, host);
	status = http_raw(port, req.ptr, body);
	sw_buf_release(&req);
	return status;
}

static void write_text(const char *path, const char *text, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* App i answers "app<i>" on /, "ok" on /check, and "slow<i>" on /cgi-bin/slow after 2 s. */
static void start_app(struct fixture *f, int i)
{
	char path[128], www[96], body[32];
	snprintf(www, sizeof(www), "%s/www%d", f->dir, i);
	mkdir(www, 0755);
	snprintf(path, sizeof(path), "%s/cgi-bin", www);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/index.html", www);
	snprintf(body, sizeof(body), "app%d\n", i);
	write_text(path, body, 0644);
	snprintf(path, sizeof(path), "%s/check", www);
	write_text(path, "ok\n", 0644);
	snprintf(path, sizeof(path), "%s/cgi-bin/slow", www);
	snprintf(body, sizeof(body), "slow%d", i);
	{
		char script[256];
		snprintf(script, sizeof(script),
			 "#!/bin/sh\nsleep 2\nprintf 'Content-Type: text/plain\\r\\n\\r\\n%s\\n'\n", body);
		write_text(path, script, 0755);
	}
	f->app_port[i] = free_port();
	{
		char addr[32];
		struct sw_proc *p = &f->app[i];
		*p = (struct sw_proc)SW_PROC_INIT;
		snprintf(addr, sizeof(addr), "127.0.0.1:%d", f->app_port[i]);
		sw_strvec_pushl(&p->args, "setpriv", "--pdeathsig", "KILL", "busybox", "httpd", "-f",
				"-p", addr, "-h", www, NULL);
		p->out = SW_PROC_NULL;
		p->err = SW_PROC_NULL;
		assert_int_equal(sw_proc_start(p), 0);
		watch_apps[i] = p->pid;
	}
	{
		long long end = now_ms() + 5000;
		while (http_get(f->app_port[i], "x", "/check", NULL) != 200 && now_ms() < end)
			sleep_ms(20);
	}
}

static void stop_app(struct fixture *f, int i)
{
	int code;
	if (f->app[i].pid > 0) {
		sw_proc_kill(&f->app[i], SIGKILL);
		sw_proc_wait(&f->app[i], &code);
	}
	watch_apps[i] = 0;
	sw_proc_release(&f->app[i]);
}

static int have(const char *prog)
{
	struct sw_proc p = SW_PROC_INIT;
	int code;
	sw_strvec_pushl(&p.args, "sh", "-c", "command -v \"$0\" >/dev/null", prog, NULL);
	code = sw_proc_run(&p, NULL, NULL);
	sw_proc_release(&p);
	return code == 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sw_elb_router_options opts = { 0 };
	int i;

	if (!have("haproxy") || !have("busybox") || !have("setpriv")) {
		free(f);
		*state = NULL;
		return 0;
	}
	snprintf(f->dir, sizeof(f->dir), "/tmp/sw-router-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	memcpy(watch_dir, f->dir, sizeof(watch_dir));
	for (i = 0; i < 3; i++)
		start_app(f, i);
	f->port = free_port();
	opts.dir = f->dir;
	opts.nbthread = 1;
	assert_int_equal(sw_elb_router_new(&f->r, &opts), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct sw_proc rm = SW_PROC_INIT;
	int i;

	if (!f)
		return 0;
	if (f->r) {
		sw_elb_router_stop(f->r, 2000);
		sw_elb_router_free(f->r);
	}
	kill_pidfile(f->dir);
	watch_dir[0] = '\0';
	for (i = 0; i < 3; i++)
		stop_app(f, i);
	sw_strvec_pushl(&rm.args, "rm", "-rf", f->dir, NULL);
	sw_proc_run(&rm, NULL, NULL);
	sw_proc_release(&rm);
	free(f);
	return 0;
}

static struct sw_elb_router_check fast_check(void)
{
	struct sw_elb_router_check c = { 1, "/check", 0, 300, 1000, 2, 2, "200-299" };
	return c;
}

static enum sw_elb_router_state server_state(struct sw_elb_router *r, const char *be, const char *name, int *sessions)
{
	struct sw_elb_router_health *h = NULL;
	size_t n = 0, i;
	enum sw_elb_router_state st = (enum sw_elb_router_state)-1;

	assert_int_equal(sw_elb_router_backend_health(r, be, &h, &n), 0);
	for (i = 0; i < n; i++)
		if (!strcmp(h[i].server, name)) {
			st = h[i].state;
			if (sessions)
				*sessions = h[i].sessions;
		}
	sw_elb_router_health_free(h, n);
	return st;
}

static void wait_state(struct sw_elb_router *r, const char *be, const char *name, enum sw_elb_router_state want)
{
	long long end = now_ms() + 10000;
	enum sw_elb_router_state st;
	while ((st = server_state(r, be, name, NULL)) != want && now_ms() < end)
		sleep_ms(50);
	if (st != want)
		fail_msg("%s/%s is %s, expected %s", be, name, sw_elb_router_state_name(st), sw_elb_router_state_name(want));
}

/* The model most tests start from: one listener, one target group, demo.localhost -> it. */
static void start_demo(struct fixture *f)
{
	struct sw_elb_router_frontend fe = { "main", f->port, NULL, 404, NULL, NULL, NULL };
	struct sw_elb_router_backend be = { "demo", fast_check() };
	const char *hosts[] = { "demo.localhost" };
	struct sw_elb_router_rule rule = { hosts, 1, NULL, 0, "demo", NULL, 0 };

	assert_int_equal(sw_elb_router_set_frontend(f->r, &fe), 0);
	assert_ok(sw_elb_router_set_backend(f->r, &be));
	assert_int_equal(sw_elb_router_set_rules(f->r, "main", &rule, 1), 0);
	if (sw_elb_router_start(f->r) < 0)
		fail_msg("start: %s", sw_error_last());
}

/* ---- a load loop ---------------------------------------------------------------- */

struct load {
	int port;
	const char *host;
	volatile int stop;
	int ok, failed;
	int seen[3];
	char last_failure[128];
	pthread_t th;
};

static void *load_main(void *arg)
{
	struct load *l = arg;
	struct sw_buf body = SW_BUF_INIT;
	while (!l->stop) {
		int st = http_get(l->port, l->host, "/", &body);
		if (st == 200) {
			l->ok++;
			if (!strncmp(body.ptr, "app", 3) && body.ptr[3] >= '0' && body.ptr[3] <= '2')
				l->seen[body.ptr[3] - '0']++;
		} else {
			l->failed++;
			snprintf(l->last_failure, sizeof(l->last_failure), "status %d: %.80s", st, body.ptr);
		}
	}
	sw_buf_release(&body);
	return NULL;
}

static void load_start(struct load *l, int port, const char *host)
{
	memset(l, 0, sizeof(*l));
	l->port = port;
	l->host = host;
	assert_int_equal(pthread_create(&l->th, NULL, load_main, l), 0);
}

static void load_stop(struct load *l)
{
	l->stop = 1;
	pthread_join(l->th, NULL);
}

/* ---- live tests ------------------------------------------------------------------ */

static void unknown_host_404_and_no_target_503(void **state)
{
	struct fixture *f = *state;
	struct sw_buf body = SW_BUF_INIT;

	if (!f)
		skip();
	start_demo(f);
	assert_int_equal(http_get(f->port, "nosuchapp.localhost", "/", &body), 404);
	assert_non_null(strstr(body.ptr, "404"));
	assert_int_equal(http_get(f->port, "demo.localhost:5481", "/", &body), 503);
	assert_non_null(strstr(body.ptr, "No healthy target"));
	/* no Host at all: nothing matches */
	assert_int_equal(http_raw(f->port, "GET / HTTP/1.0\r\n\r\n", &body), 404);
	sw_buf_release(&body);
}

static void targets_come_in_checked_and_balance(void **state)
{
	struct fixture *f = *state;
	struct sw_buf body = SW_BUF_INIT;
	int i, seen[3] = { 0 };

	if (!f)
		skip();
	start_demo(f);
	assert_ok(sw_elb_router_server_add(f->r, "demo", "t0", "127.0.0.1", f->app_port[0]));
	/* not in service before its checks pass */
	assert_int_equal(server_state(f->r, "demo", "t0", NULL), SW_ROUTER_INITIAL);
	assert_int_equal(http_get(f->port, "demo.localhost", "/", &body), 503);
	wait_state(f->r, "demo", "t0", SW_ROUTER_HEALTHY);
	assert_ok(sw_elb_router_server_add(f->r, "demo", "t1", "127.0.0.1", f->app_port[1]));
	wait_state(f->r, "demo", "t1", SW_ROUTER_HEALTHY);
	for (i = 0; i < 20; i++) {
		assert_int_equal(http_get(f->port, "DEMO.localhost:5481", "/", &body), 200);
		seen[body.ptr[3] - '0']++;
	}
	assert_true(seen[0] >= 5 && seen[1] >= 5);
	/* the forwarding headers reach the app: busybox CGI would show them; check via HAProxy's config instead */
	sw_buf_release(&body);
}

static void failing_check_goes_unhealthy(void **state)
{
	struct fixture *f = *state;
	struct sw_elb_router_backend be = { "demo", fast_check() };
	struct sw_elb_router_health *h = NULL;
	size_t n = 0;

	if (!f)
		skip();
	be.check.path = "/nonexistent";
	start_demo(f);
	assert_ok(sw_elb_router_set_backend(f->r, &be)); /* reload: new check path */
	assert_ok(sw_elb_router_server_add(f->r, "demo", "t0", "127.0.0.1", f->app_port[0]));
	wait_state(f->r, "demo", "t0", SW_ROUTER_UNHEALTHY);
	assert_int_equal(sw_elb_router_backend_health(f->r, "demo", &h, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].check_status, "L7STS");
	assert_int_equal(h[0].check_code, 404);
	sw_elb_router_health_free(h, n);
	/* matcher accepting 404: healthy again, after the reload */
	be.check.matcher = "200,404";
	assert_ok(sw_elb_router_set_backend(f->r, &be));
	wait_state(f->r, "demo", "t0", SW_ROUTER_HEALTHY);
}

/*
 * A target is checked as soon as it is added (not one interval later); while its
 * checks pass it is initial, never unhealthy, until it has passed healthy_threshold of
 * them, which come close together (fastinter) while it is on its way up, not one
 * interval apart. In service, it is checked every interval. Here: every 2 s, 3 to go
 * in service, 1 failure to go out.
 */
static void first_check_at_once_and_never_unhealthy_on_the_way_up(void **state)
{
	struct fixture *f = *state;
	struct sw_elb_router_check slow = { 1, "/check", 0, 2000, 500, 3, 1, "200-299" };
	struct sw_elb_router_backend be = { "demo", slow };
	struct sw_elb_router_health *h = NULL;
	long long added, checked = 0, healthy = 0;
	size_t n = 0;

	if (!f)
		skip();
	start_demo(f);
	assert_ok(sw_elb_router_set_backend(f->r, &be));
	assert_ok(sw_elb_router_server_add(f->r, "demo", "t0", "127.0.0.1", f->app_port[0]));
	added = now_ms();
	while (!healthy && now_ms() - added < 10000) {
		assert_int_equal(sw_elb_router_backend_health(f->r, "demo", &h, &n), 0);
		assert_int_equal(n, 1);
		if (!checked && !strcmp(h[0].check_status, "L7OK"))
			checked = now_ms() - added;
		if (h[0].state == SW_ROUTER_HEALTHY)
			healthy = now_ms() - added;
		else if (h[0].state != SW_ROUTER_INITIAL)
			fail_msg("t0 was %s %lld ms after it was added (check %s)", sw_elb_router_state_name(h[0].state),
				 now_ms() - added, h[0].check_status);
		sw_elb_router_health_free(h, n);
		sleep_ms(10);
	}
	if (!checked || checked > 500)
		fail_msg("first passing check %lld ms after the target was added", checked);
	/* 3 passing checks, the last two fastinter (100 ms) apart: far less than one interval */
	if (!healthy || healthy < 200 || healthy > 1500)
		fail_msg("in service %lld ms after it was added", healthy);
}

static void add_and_remove_under_load(void **state)
{
	struct fixture *f = *state;
	struct load l;
	int round;

	if (!f)
		skip();
	start_demo(f);
	assert_ok(sw_elb_router_server_add(f->r, "demo", "t0", "127.0.0.1", f->app_port[0]));
	wait_state(f->r, "demo", "t0", SW_ROUTER_HEALTHY);
	load_start(&l, f->port, "demo.localhost");
	for (round = 0; round < 3; round++) {
		/* roll: the other app comes in, the serving one drains and goes */
		const char *in = round % 2 ? "t0" : "t1", *out = round % 2 ? "t1" : "t0";
		int in_port = f->app_port[round % 2 ? 0 : 1];
		long long end = now_ms() + 10000;
		int r;

		assert_ok(sw_elb_router_server_add(f->r, "demo", in, "127.0.0.1", in_port));
		wait_state(f->r, "demo", in, SW_ROUTER_HEALTHY);
		assert_int_equal(sw_elb_router_server_drain(f->r, "demo", out), 0);
		assert_int_equal(server_state(f->r, "demo", out, NULL), SW_ROUTER_DRAINING);
		while ((r = sw_elb_router_server_remove(f->r, "demo", out, 0)) == 0 && now_ms() < end)
			sleep_ms(20);
		assert_int_equal(r, 1);
	}
	sleep_ms(300);
	load_stop(&l);
	if (l.failed)
		fail_msg("%d of %d requests failed, last: %s", l.failed, l.ok + l.failed, l.last_failure);
	assert_true(l.ok > 50);
	assert_true(l.seen[0] > 0 && l.seen[1] > 0);
}

struct slow {
	int port, status;
	struct sw_buf body;
	pthread_t th;
};

static void *slow_main(void *arg)
{
	struct slow *s = arg;
	s->status = http_get(s->port, "demo.localhost", "/cgi-bin/slow", &s->body);
	return NULL;
}

static void drain_lets_slow_request_finish(void **state)
{
	struct fixture *f = *state;
	struct slow s;
	struct sw_buf body = SW_BUF_INIT;
	int sessions = 0;
	long long end;

	if (!f)
		skip();
	start_demo(f);
	assert_ok(sw_elb_router_server_add(f->r, "demo", "t0", "127.0.0.1", f->app_port[0]));
	wait_state(f->r, "demo", "t0", SW_ROUTER_HEALTHY);
	memset(&s, 0, sizeof(s));
	s.port = f->port;
	assert_int_equal(pthread_create(&s.th, NULL, slow_main, &s), 0);
	end = now_ms() + 3000;
	do {
		sleep_ms(50);
		server_state(f->r, "demo", "t0", &sessions);
	} while (sessions == 0 && now_ms() < end);
	assert_int_equal(sessions, 1);
	/* the new target comes in, the old one drains with the request in flight */
	assert_ok(sw_elb_router_server_add(f->r, "demo", "t1", "127.0.0.1", f->app_port[1]));
	wait_state(f->r, "demo", "t1", SW_ROUTER_HEALTHY);
	assert_int_equal(sw_elb_router_server_drain(f->r, "demo", "t0"), 0);
	assert_int_equal(sw_elb_router_server_remove(f->r, "demo", "t0", 0), 0); /* still in flight */
	assert_int_equal(http_get(f->port, "demo.localhost", "/", &body), 200);
	assert_string_equal(body.ptr, "app1\n");
	pthread_join(s.th, NULL);
	assert_int_equal(s.status, 200);
	assert_string_equal(s.body.ptr, "slow0\n");
	end = now_ms() + 5000;
	while (sw_elb_router_server_remove(f->r, "demo", "t0", 0) == 0 && now_ms() < end)
		sleep_ms(50);
	assert_int_equal(server_state(f->r, "demo", "t0", NULL), (enum sw_elb_router_state)-1);
	sw_buf_release(&s.body);
	sw_buf_release(&body);
}

static void bad_request_400_does_not_disturb(void **state)
{
	struct fixture *f = *state;
	struct sw_buf body = SW_BUF_INIT;
	struct load l;
	int i;

	if (!f)
		skip();
	start_demo(f);
	assert_ok(sw_elb_router_server_add(f->r, "demo", "t0", "127.0.0.1", f->app_port[0]));
	wait_state(f->r, "demo", "t0", SW_ROUTER_HEALTHY);
	load_start(&l, f->port, "demo.localhost");
	for (i = 0; i < 20; i++) {
		assert_int_equal(http_raw(f->port, "GARBAGE\r\n\r\n", &body), 400);
		assert_int_equal(http_raw(f->port, "GET / HTTP/1.1\r\nHost: demo.localhost\r\nContent-Length: x\r\n\r\n", &body), 400);
		assert_int_equal(http_get(f->port, "unknown.localhost", "/", NULL), 404);
	}
	sleep_ms(500);
	load_stop(&l);
	assert_int_equal(l.failed, 0);
	assert_true(l.ok > 10);
	sw_buf_release(&body);
}

static void new_backend_reload_under_load(void **state)
{
	struct fixture *f = *state;
	struct sw_elb_router_backend be2 = { "other", fast_check() };
	const char *hosts[] = { "demo.localhost" }, *hosts2[] = { "other.localhost" };
	const char *paths[] = { "/api/*" };
	struct sw_elb_router_rule rules[2] = {
		{ hosts, 1, paths, 1, "other", NULL, 0 },
		{ hosts, 1, NULL, 0, "demo", NULL, 0 },
	};
	struct sw_elb_router_rule rules2[2] = {
		{ hosts2, 1, NULL, 0, "other", NULL, 0 },
		{ hosts, 1, NULL, 0, "demo", NULL, 0 },
	};
	struct sw_buf body = SW_BUF_INIT;
	struct load l;

	if (!f)
		skip();
	start_demo(f);
	assert_ok(sw_elb_router_server_add(f->r, "demo", "t0", "127.0.0.1", f->app_port[0]));
	wait_state(f->r, "demo", "t0", SW_ROUTER_HEALTHY);
	load_start(&l, f->port, "demo.localhost");
	sleep_ms(200);
	assert_ok(sw_elb_router_set_backend(f->r, &be2)); /* a reload */
	assert_ok(sw_elb_router_server_add(f->r, "other", "o2", "127.0.0.1", f->app_port[2]));
	wait_state(f->r, "other", "o2", SW_ROUTER_HEALTHY);
	/* t0 kept its health over the reload: never went back to INITIAL */
	assert_int_equal(server_state(f->r, "demo", "t0", NULL), SW_ROUTER_HEALTHY);
	assert_int_equal(sw_elb_router_set_rules(f->r, "main", rules, 2), 0);
	assert_int_equal(http_get(f->port, "demo.localhost", "/api/x", &body), 404); /* app2 has no /api/x */
	assert_int_equal(http_get(f->port, "demo.localhost", "/", &body), 200);
	assert_string_equal(body.ptr, "app0\n");
	assert_int_equal(sw_elb_router_set_rules(f->r, "main", rules2, 2), 0);
	assert_int_equal(http_get(f->port, "other.localhost:80", "/", &body), 200);
	assert_string_equal(body.ptr, "app2\n");
	sleep_ms(200);
	load_stop(&l);
	if (l.failed)
		fail_msg("%d of %d requests failed, last: %s", l.failed, l.ok + l.failed, l.last_failure);
	sw_buf_release(&body);
}

/* The text of the file at path into out (reset first). */
static void read_text(const char *path, struct sw_buf *out)
{
	char tmp[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	sw_buf_reset(out);
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		sw_buf_add(out, tmp, (size_t)n);
	close(fd);
}

/* The body of GET host/path through the router, "" when it does not answer 200. */
static const char *route(struct fixture *f, const char *host, const char *path, struct sw_buf *body)
{
	if (http_get(f->port, host, path, body) != 200)
		sw_buf_reset(body);
	return body->ptr;
}

/*
 * Host names of rules with no wildcard and no path go to the exact map only where no
 * rule of higher priority can match them; a request is routed by the first rule that
 * matches, whichever map holds it, and a change of rules moves no request to 404.
 */
static void rules_in_priority_order_exact_and_patterns(void **state)
{
	struct fixture *f = *state;
	struct sw_elb_router_backend be2 = { "other", fast_check() };
	const char *wild[] = { "*.wild.localhost" }, *a_wild[] = { "a.wild.localhost" };
	const char *demo[] = { "Demo.Localhost" }, *x_and_demo[] = { "x.localhost", "demo.localhost" };
	const char *only[] = { "only.localhost" }, *api[] = { "/api/*" }, *p[] = { "/p/*" };
	struct sw_elb_router_rule rules[6] = {
		{ wild, 1, NULL, 0, "other", NULL, 0 },
		{ a_wild, 1, NULL, 0, "demo", NULL, 0 },      /* behind the wildcard */
		{ demo, 1, api, 1, "other", NULL, 0 },
		{ demo, 1, NULL, 0, "demo", NULL, 0 },        /* behind demo + /api/ */
		{ x_and_demo, 2, NULL, 0, "other", NULL, 0 }, /* x exact; demo behind the rules above */
		{ only, 1, NULL, 0, "demo", NULL, 0 },
	};
	struct sw_elb_router_rule rules2[2] = {
		{ NULL, 0, p, 1, "other", NULL, 0 },          /* any host: everything after it is a pattern */
		{ only, 1, NULL, 0, "demo", NULL, 0 },
	};
	struct sw_buf body = SW_BUF_INIT, path = SW_BUF_INIT, hosts = SW_BUF_INIT;
	struct load l;

	if (!f)
		skip();
	start_demo(f);
	assert_int_equal(sw_elb_router_server_add(f->r, "demo", "t0", "127.0.0.1", f->app_port[0]), 0);
	assert_int_equal(sw_elb_router_set_backend(f->r, &be2), 0);
	assert_int_equal(sw_elb_router_server_add(f->r, "other", "o2", "127.0.0.1", f->app_port[2]), 0);
	wait_state(f->r, "demo", "t0", SW_ROUTER_HEALTHY);
	wait_state(f->r, "other", "o2", SW_ROUTER_HEALTHY);
	load_start(&l, f->port, "demo.localhost");
	sleep_ms(100);
	assert_int_equal(sw_elb_router_set_rules(f->r, "main", rules, 6), 0);
	assert_string_equal(route(f, "a.wild.localhost", "/", &body), "app2\n");
	assert_string_equal(route(f, "b.wild.localhost:5481", "/", &body), "app2\n");
	assert_string_equal(route(f, "demo.localhost", "/", &body), "app0\n");
	assert_string_equal(route(f, "DEMO.localhost:80", "/", &body), "app0\n");
	assert_int_equal(http_get(f->port, "demo.localhost", "/api/x", &body), 404);   /* app2's 404 */
	assert_null(strstr(body.ptr, "No app answers"));
	assert_string_equal(route(f, "x.localhost", "/", &body), "app2\n");
	assert_string_equal(route(f, "Only.localhost", "/", &body), "app0\n");
	assert_int_equal(http_get(f->port, "nothing.localhost", "/", &body), 404);
	assert_non_null(strstr(body.ptr, "No app answers"));
	/* only the hosts no earlier rule can match are looked up exactly */
	sw_buf_addf(&path, "%s/router-main.hosts", f->dir);
	read_text(path.ptr, &hosts);
	assert_non_null(strstr(hosts.ptr, "\nx.localhost be_other\n"));
	assert_non_null(strstr(hosts.ptr, "\nonly.localhost be_demo\n"));
	assert_null(strstr(hosts.ptr, "wild"));
	assert_null(strstr(hosts.ptr, "demo.localhost"));
	load_stop(&l);
	if (l.failed)   /* demo.localhost moved from the exact map to the patterns */
		fail_msg("%d of %d requests failed, last: %s", l.failed, l.ok + l.failed, l.last_failure);
	assert_int_equal(sw_elb_router_set_rules(f->r, "main", rules2, 2), 0);
	assert_string_equal(route(f, "only.localhost", "/p/x", &body), "");   /* app2 has no /p/x */
	assert_null(strstr(body.ptr, "No app answers"));
	assert_string_equal(route(f, "only.localhost", "/", &body), "app0\n");
	assert_int_equal(http_get(f->port, "demo.localhost", "/", &body), 404);
	read_text(path.ptr, &hosts);
	assert_null(strstr(hosts.ptr, "only.localhost"));
	sw_buf_release(&body);
	sw_buf_release(&path);
	sw_buf_release(&hosts);
}

/* A weighted forward draws its backend per request, from the exact map and from the patterns. */
static void weighted_rule_splits(void **state)
{
	struct fixture *f = *state;
	struct sw_elb_router_backend be2 = { "other", fast_check() };
	const char *hosts[] = { "demo.localhost" }, *paths[] = { "/*" };
	struct sw_elb_router_rule exact = { hosts, 1, NULL, 0, "demo", "other", 300 };
	struct sw_elb_router_rule pattern = { hosts, 1, paths, 1, "demo", "other", 700 };
	struct sw_buf body = SW_BUF_INIT;
	int round, i, seen[2];

	if (!f)
		skip();
	start_demo(f);
	assert_int_equal(sw_elb_router_server_add(f->r, "demo", "t0", "127.0.0.1", f->app_port[0]), 0);
	assert_int_equal(sw_elb_router_set_backend(f->r, &be2), 0);
	assert_int_equal(sw_elb_router_server_add(f->r, "other", "o2", "127.0.0.1", f->app_port[2]), 0);
	wait_state(f->r, "demo", "t0", SW_ROUTER_HEALTHY);
	wait_state(f->r, "other", "o2", SW_ROUTER_HEALTHY);
	for (round = 0; round < 2; round++) {
		assert_int_equal(sw_elb_router_set_rules(f->r, "main", round ? &pattern : &exact, 1), 0);
		seen[0] = seen[1] = 0;
		for (i = 0; i < 200; i++) {
			const char *b = route(f, "demo.localhost", "/", &body);
			assert_true(!strcmp(b, "app0\n") || !strcmp(b, "app2\n"));
			seen[b[3] == '2']++;
		}
		/* 300 (then 700) in 1000 to other: 60 (140) of 200 expected, far from 0 and 200 */
		if (seen[1] < (round ? 100 : 25) || seen[1] > (round ? 175 : 100))
			fail_msg("round %d: %d of 200 requests went to the second backend", round, seen[1]);
	}
	sw_buf_release(&body);
}

static void adopts_running_haproxy(void **state)
{
	struct fixture *f = *state;
	struct sw_elb_router_options opts = { 0 };
	struct sw_buf body = SW_BUF_INIT;
	struct load l;

	if (!f)
		skip();
	start_demo(f);
	assert_ok(sw_elb_router_server_add(f->r, "demo", "t0", "127.0.0.1", f->app_port[0]));
	wait_state(f->r, "demo", "t0", SW_ROUTER_HEALTHY);
	load_start(&l, f->port, "demo.localhost");
	/* the engine goes away (HAProxy stays) and comes back with the same model + one more target */
	sw_elb_router_free(f->r);
	f->r = NULL;
	opts.dir = f->dir;
	opts.nbthread = 1;
	assert_int_equal(sw_elb_router_new(&f->r, &opts), 0);
	{
		struct sw_elb_router_frontend fe = { "main", f->port, NULL, 404, NULL, NULL, NULL };
		struct sw_elb_router_backend be = { "demo", fast_check() };
		const char *hosts[] = { "demo.localhost" };
		struct sw_elb_router_rule rule = { hosts, 1, NULL, 0, "demo", NULL, 0 };
		assert_int_equal(sw_elb_router_set_frontend(f->r, &fe), 0);
		assert_ok(sw_elb_router_set_backend(f->r, &be));
		assert_int_equal(sw_elb_router_set_rules(f->r, "main", &rule, 1), 0);
		assert_ok(sw_elb_router_server_add(f->r, "demo", "t0", "127.0.0.1", f->app_port[0]));
		assert_ok(sw_elb_router_server_add(f->r, "demo", "t1", "127.0.0.1", f->app_port[1]));
	}
	assert_int_equal(sw_elb_router_start(f->r), 0);
	/* t0 was known to HAProxy: healthy at once; t1 is new: checked first */
	assert_int_equal(server_state(f->r, "demo", "t0", NULL), SW_ROUTER_HEALTHY);
	wait_state(f->r, "demo", "t1", SW_ROUTER_HEALTHY);
	load_stop(&l);
	if (l.failed)
		fail_msg("%d of %d requests failed, last: %s", l.failed, l.ok + l.failed, l.last_failure);
	assert_int_equal(http_get(f->port, "demo.localhost", "/", &body), 200);
	sw_buf_release(&body);
}

static void restarts_dead_haproxy(void **state)
{
	struct fixture *f = *state;
	char pidpath[128], tmp[32];
	struct sw_buf body = SW_BUF_INIT;
	long long end;
	int fd;
	ssize_t n;

	if (!f)
		skip();
	start_demo(f);
	assert_ok(sw_elb_router_server_add(f->r, "demo", "t0", "127.0.0.1", f->app_port[0]));
	wait_state(f->r, "demo", "t0", SW_ROUTER_HEALTHY);
	snprintf(pidpath, sizeof(pidpath), "%s/haproxy.pid", f->dir);
	fd = open(pidpath, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, tmp, sizeof(tmp) - 1);
	close(fd);
	assert_true(n > 0);
	tmp[n] = '\0';
	kill((pid_t)atoi(tmp), SIGKILL);
	end = now_ms() + 3000;
	while (kill((pid_t)atoi(tmp), 0) == 0 && now_ms() < end)
		sleep_ms(20);
	/* its worker goes with it (it watches the master) */
	sleep_ms(300);
	assert_int_equal(sw_elb_router_check_alive(f->r), 0);
	wait_state(f->r, "demo", "t0", SW_ROUTER_HEALTHY);
	assert_int_equal(http_get(f->port, "demo.localhost", "/", &body), 200);
	sw_buf_release(&body);
}

static void exits_when_its_directory_is_gone(void **state)
{
	struct fixture *f = *state;
	char path[128], tmp[32];
	long long end;
	pid_t pid;
	ssize_t n;
	int fd;

	if (!f)
		skip();
	start_demo(f);
	snprintf(path, sizeof(path), "%s/haproxy.pid", f->dir);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, tmp, sizeof(tmp) - 1);
	close(fd);
	assert_true(n > 0);
	tmp[n] = '\0';
	pid = (pid_t)atoi(tmp);
	/* what rm -rf of SLIPWAY_HOME does to it: its configuration disappears */
	snprintf(path, sizeof(path), "%s/haproxy.cfg", f->dir);
	assert_int_equal(unlink(path), 0);
	end = now_ms() + 15000;
	while (kill(pid, 0) == 0 && now_ms() < end)
		sleep_ms(100);
	assert_int_not_equal(kill(pid, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(unknown_host_404_and_no_target_503, setup, teardown),
		cmocka_unit_test_setup_teardown(targets_come_in_checked_and_balance, setup, teardown),
		cmocka_unit_test_setup_teardown(failing_check_goes_unhealthy, setup, teardown),
		cmocka_unit_test_setup_teardown(first_check_at_once_and_never_unhealthy_on_the_way_up, setup, teardown),
		cmocka_unit_test_setup_teardown(add_and_remove_under_load, setup, teardown),
		cmocka_unit_test_setup_teardown(drain_lets_slow_request_finish, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_request_400_does_not_disturb, setup, teardown),
		cmocka_unit_test_setup_teardown(new_backend_reload_under_load, setup, teardown),
		cmocka_unit_test_setup_teardown(rules_in_priority_order_exact_and_patterns, setup, teardown),
		cmocka_unit_test_setup_teardown(weighted_rule_splits, setup, teardown),
		cmocka_unit_test_setup_teardown(adopts_running_haproxy, setup, teardown),
		cmocka_unit_test_setup_teardown(restarts_dead_haproxy, setup, teardown),
		cmocka_unit_test_setup_teardown(exits_when_its_directory_is_gone, setup, teardown),
	};
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, watchdog);
	signal(SIGTERM, watchdog);
	signal(SIGINT, watchdog);
	alarm(240);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
