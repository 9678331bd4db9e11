#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/elb/haproxy.h"
#include "common/error.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/time.h"
#include "common/banned.h"

/*
 * After a (re)load: servers HAProxy did not know come in DOWN and checked — except
 * those UP at the last health read (a HAProxy that died and was launched again): UP.
 */
static int sw_elb_haproxy_bring_in(struct sw_elb_router *r, const struct sw_strvec *known)
{
	struct sw_strvec cmds = SW_STRVEC_INIT;
	size_t i, j;
	int ret;

	for (i = 0; i < r->nbackends; i++) {
		struct sw_elb_rt_backend *be = &r->backends[i];
		for (j = 0; j < be->nservers; j++) {
			struct sw_elb_rt_server *s = &be->servers[j];
			struct sw_buf key = SW_BUF_INIT, cmd = SW_BUF_INIT;
			sw_buf_addf(&key, "be_%s/%s", be->name, s->name);
			s->live = 1;
			if (!sw_elb_haproxy_has(known, key.ptr) && s->up && !s->draining && be->check.enabled) {
				sw_elb_haproxy_seed_up_cmds(&cmd, be, s);
				sw_strvec_push(&cmds, cmd.ptr);
			} else if (!sw_elb_haproxy_has(known, key.ptr)) {
				sw_elb_haproxy_initial_cmds(&cmd, be, s);
				if (s->draining)
					sw_buf_addf(&cmd, ";set server be_%s/%s state drain", be->name, s->name);
				sw_strvec_push(&cmds, cmd.ptr);
				s->ever_up = 0;
				s->added_ms = sw_time_mono_ms();
				s->last_check[0] = '\0';
			}
			sw_buf_release(&key);
			sw_buf_release(&cmd);
		}
	}
	ret = sw_elb_haproxy_cli_batches(r, &cmds);
	sw_strvec_clear(&cmds);
	return ret;
}

static int wait_worker(struct sw_elb_router *r, long old_pid, long failed_before, long *new_pid)
{
	long long deadline = sw_time_mono_ms() + SW_ELB_ROUTER_RELOAD_TIMEOUT_MS;
	long pid = 0;

	while (sw_time_mono_ms() < deadline) {
		if (sw_elb_haproxy_worker_pid(r, &pid) == 0 && pid != old_pid) {
			*new_pid = pid;
			return 0;
		}
		if (failed_before >= 0 && sw_elb_haproxy_failed_reloads(r) > failed_before)
			break;
		sw_elb_router_sleep_ms(50);
	}
	return sw_error("router: HAProxy did not take the new configuration (it keeps the previous "
			"one); its log: %s", r->log_path);
}

/* Last line of HAProxy's log file, for an error message. */
static void log_tail(struct sw_elb_router *r, struct sw_buf *out)
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
int sw_elb_haproxy_reload(struct sw_elb_router *r)
{
	struct sw_buf dump = SW_BUF_INIT, out = SW_BUF_INIT;
	struct sw_strvec known = SW_STRVEC_INIT;
	long old_pid = 0, new_pid = 0, failed;
	int ret = SW_ERROR;

	if (sw_elb_haproxy_worker_pid(r, &old_pid) < 0)
		goto cleanup;
	if (sw_elb_haproxy_cli(r->sock_path, "show servers state", &dump) < 0)
		goto cleanup;
	if (sw_elb_haproxy_write_file(r->state_path, dump.ptr, dump.len) < 0)
		goto cleanup;
	sw_elb_haproxy_known_servers(dump.ptr, &known);
	if (sw_elb_haproxy_files_write(r, &known) < 0)
		goto cleanup;
	failed = sw_elb_haproxy_failed_reloads(r);
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
	ret = sw_elb_haproxy_bring_in(r, &known);

cleanup:
	sw_buf_release(&dump);
	sw_buf_release(&out);
	sw_strvec_clear(&known);
	return ret;
}

int sw_elb_haproxy_read_pidfile(const char *path, pid_t *pid)
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
int sw_elb_haproxy_adoptable(struct sw_elb_router *r)
{
	struct sw_buf out = SW_BUF_INIT;
	pid_t pid;
	int ok;

	if (sw_elb_haproxy_read_pidfile(r->pid_path, &pid) < 0 || kill(pid, 0) < 0)
		return 0;
	ok = sw_elb_haproxy_cli(r->master_path, "show proc", &out) == 0 && strstr(out.ptr, "master");
	sw_buf_release(&out);
	if (ok)
		r->master_pid = pid;
	return ok;
}

/* Start a new HAProxy (lock held). */
int sw_elb_haproxy_launch(struct sw_elb_router *r)
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
	if (sw_elb_haproxy_files_write(r, &known) < 0)
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
	deadline = sw_time_mono_ms() + SW_ELB_ROUTER_RELOAD_TIMEOUT_MS;
	while (sw_elb_haproxy_worker_pid(r, &pid) < 0) {
		if (sw_time_mono_ms() > deadline) {
			sw_error_prefix("router: HAProxy does not answer on its socket");
			goto cleanup;
		}
		sw_elb_router_sleep_ms(20);
	}
	if (sw_elb_haproxy_read_pidfile(r->pid_path, &r->master_pid) < 0) {
		sw_error("router: HAProxy wrote no pid file %s", r->pid_path);
		goto cleanup;
	}
	r->running = 1;
	sw_log_info("router: HAProxy started (master %ld, worker %ld)", (long)r->master_pid, pid);
	ret = sw_elb_haproxy_bring_in(r, &known);

cleanup:
	if (logfd >= 0)
		close(logfd);
	sw_proc_release(&p);
	sw_buf_release(&master);
	sw_buf_release(&tail);
	sw_strvec_clear(&known);
	return ret;
}
