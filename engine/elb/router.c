#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "engine/elb/router.h"
#include "engine/elb/haproxy.h"
#include "common/error.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

int sw_elb_router_new(struct sw_elb_router **out, const struct sw_elb_router_options *opts)
{
	struct sw_elb_router *r;
	struct sockaddr_un sa;

	*out = NULL;
	if (!opts || !opts->dir || sw_elb_router_word_check("directory", opts->dir) < 0)
		return sw_error_code(SW_EINVAL, "router: the state directory must be a path without blanks or quotes");
	if (strlen(opts->dir) + sizeof("/haproxy-master.sock") > sizeof(sa.sun_path))
		return sw_error_code(SW_EINVAL, "router: %s is too long for HAProxy's socket paths (%zu bytes at most)",
				     opts->dir, sizeof(sa.sun_path) - sizeof("/haproxy-master.sock"));
	if (opts->listen_addr && sw_elb_router_word_check("listen address", opts->listen_addr) < 0)
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

void sw_elb_router_free(struct sw_elb_router *r)
{
	size_t i;
	if (!r)
		return;
	for (i = 0; i < r->nbackends; i++)
		sw_elb_router_backend_release(&r->backends[i]);
	free(r->backends);
	for (i = 0; i < r->nfrontends; i++)
		sw_elb_router_frontend_release(&r->frontends[i]);
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

static int same_check(const struct sw_elb_router_check *a, const struct sw_elb_router_check *b)
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

int sw_elb_router_set_backend(struct sw_elb_router *r, const struct sw_elb_router_backend *in)
{
	struct sw_elb_rt_backend *be;
	struct sw_elb_router_check old;
	int ret = 0, created = 0;

	if (sw_elb_router_name_check("backend", in->name) < 0 || sw_elb_router_check_validate(&in->check) < 0)
		return SW_EINVAL;
	pthread_mutex_lock(&r->lock);
	be = sw_elb_router_backend_find(r, in->name);
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
		ret = sw_elb_haproxy_reload(r);
		if (ret < 0 && created) {
			sw_elb_router_backend_release(be);
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

int sw_elb_router_remove_backend(struct sw_elb_router *r, const char *name)
{
	struct sw_elb_rt_backend *be;
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	be = sw_elb_router_backend_find(r, name);
	if (be) {
		struct sw_elb_rt_backend gone = *be;
		size_t idx = (size_t)(be - r->backends);
		memmove(be, be + 1, (r->nbackends - idx - 1) * sizeof(*be));
		r->nbackends--;
		if (r->running && (ret = sw_elb_haproxy_reload(r)) < 0) {
			/* put it back: HAProxy still has it */
			memmove(&r->backends[idx + 1], &r->backends[idx], (r->nbackends - idx) * sizeof(*be));
			r->backends[idx] = gone;
			r->nbackends++;
		} else {
			sw_elb_router_backend_release(&gone);
		}
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int sw_elb_router_set_frontend(struct sw_elb_router *r, const struct sw_elb_router_frontend *in)
{
	struct sw_elb_rt_frontend *fe, saved;
	int ret = 0, created = 0;

	if (sw_elb_router_name_check("frontend", in->name) < 0)
		return SW_EINVAL;
	if (in->port <= 0 || in->port > 65535)
		return sw_error_code(SW_EINVAL, "router: port %d is not a TCP port", in->port);
	if (in->default_backend && sw_elb_router_name_check("backend", in->default_backend) < 0)
		return SW_EINVAL;
	if (!in->default_backend && (in->fixed_status < 200 || in->fixed_status > 599))
		return sw_error_code(SW_EINVAL, "router: fixed response status %d is not 2XX to 5XX",
				     in->fixed_status);
	if (in->fixed_type && sw_elb_router_word_check("content type", in->fixed_type) < 0)
		return SW_EINVAL;
	if (in->crt_list && (!*in->crt_list || strpbrk(in->crt_list, " \t\r#")))
		return sw_error_code(SW_EINVAL, "router: an HTTPS listener needs certificate files (paths without blanks)");
	pthread_mutex_lock(&r->lock);
	fe = sw_elb_router_frontend_find(r, in->name);
	if (fe && fe->port == in->port && same_str(fe->default_backend, in->default_backend) &&
	    fe->fixed_status == in->fixed_status && same_str(fe->fixed_type, in->fixed_type) &&
	    same_str(fe->fixed_body, in->fixed_body) && same_str(fe->crt_list, in->crt_list))
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
	fe->crt_list = in->crt_list ? xstrdup(in->crt_list) : NULL;
	if (r->running && (ret = sw_elb_haproxy_reload(r)) < 0) {
		free(fe->default_backend);
		free(fe->fixed_type);
		free(fe->fixed_body);
		free(fe->crt_list);
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
		free(saved.crt_list);
	}

cleanup:
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int sw_elb_router_remove_frontend(struct sw_elb_router *r, const char *name)
{
	struct sw_elb_rt_frontend *fe;
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	fe = sw_elb_router_frontend_find(r, name);
	if (fe) {
		struct sw_elb_rt_frontend gone = *fe;
		size_t idx = (size_t)(fe - r->frontends);
		memmove(fe, fe + 1, (r->nfrontends - idx - 1) * sizeof(*fe));
		r->nfrontends--;
		if (r->running && (ret = sw_elb_haproxy_reload(r)) < 0) {
			memmove(&r->frontends[idx + 1], &r->frontends[idx], (r->nfrontends - idx) * sizeof(*fe));
			r->frontends[idx] = gone;
			r->nfrontends++;
		} else {
			struct sw_buf path = SW_BUF_INIT;
			sw_elb_haproxy_map_path(r, gone.name, &path);
			unlink(path.ptr);
			sw_elb_haproxy_hosts_path(r, gone.name, &path);
			unlink(path.ptr);
			sw_elb_haproxy_body_path(r, gone.name, &path);
			unlink(path.ptr);
			sw_buf_release(&path);
			sw_elb_router_frontend_release(&gone);
		}
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

/* Replace a live map atomically: prepare, add the entries ("key value") to the new version, commit. */
static int commit_map(struct sw_elb_router *r, const char *path, const struct sw_strvec *entries)
{
	struct sw_buf out = SW_BUF_INIT, cmd = SW_BUF_INIT;
	struct sw_strvec adds = SW_STRVEC_INIT;
	const char *p;
	unsigned long ver;
	size_t i;
	int ret = SW_ERROR;

	sw_buf_addf(&cmd, "prepare map %s", path);
	if (sw_elb_haproxy_cli(r->sock_path, cmd.ptr, &out) < 0)
		goto cleanup;
	p = strstr(out.ptr, "New version created:");
	if (!p) {
		sw_buf_rtrim(&out);
		sw_error("router: HAProxy: %s: %s", cmd.ptr, out.ptr);
		goto cleanup;
	}
	ver = strtoul(p + strlen("New version created:"), NULL, 10);
	for (i = 0; i < entries->nr; i++)
		sw_strvec_pushf(&adds, "add map @%lu %s %s", ver, path, entries->v[i]);
	sw_strvec_pushf(&adds, "commit map @%lu %s", ver, path);
	ret = sw_elb_haproxy_cli_batches(r, &adds);

cleanup:
	sw_buf_release(&out);
	sw_buf_release(&cmd);
	sw_strvec_clear(&adds);
	return ret;
}

/*
 * Replace the frontend's two live maps. A request looks in the exact map first, so that
 * no request meets a host name moved out of one map and not yet in the other: every rule
 * goes to the regular expressions first, then the exact map changes, then the rules it
 * now holds leave the regular expressions. In between, a request for a host of the old
 * exact map is routed as before the change, any other as after it.
 */
static int commit_maps(struct sw_elb_router *r, struct sw_elb_rt_frontend *fe)
{
	struct sw_buf path = SW_BUF_INIT, hpath = SW_BUF_INIT, value = SW_BUF_INIT;
	struct sw_strvec hosts = SW_STRVEC_INIT, rest = SW_STRVEC_INIT, all = SW_STRVEC_INIT;
	size_t i;
	int ret;

	sw_elb_haproxy_map_entries(fe, &hosts, &rest);
	for (i = 0; i < fe->nrules; i++) {
		sw_buf_reset(&value);
		sw_elb_haproxy_map_value(&fe->rules[i], &value);
		sw_strvec_pushf(&all, "%s %s", fe->rules[i].regex, value.ptr);
	}
	sw_elb_haproxy_map_path(r, fe->name, &path);
	sw_elb_haproxy_hosts_path(r, fe->name, &hpath);
	ret = commit_map(r, path.ptr, &all);
	if (ret == 0)
		ret = commit_map(r, hpath.ptr, &hosts);
	if (ret == 0 && rest.nr < all.nr)
		ret = commit_map(r, path.ptr, &rest);
	sw_buf_release(&path);
	sw_buf_release(&hpath);
	sw_buf_release(&value);
	sw_strvec_clear(&hosts);
	sw_strvec_clear(&rest);
	sw_strvec_clear(&all);
	return ret;
}

/* The router's copy of a rule: its regular expression, its host patterns lowercased. */
static int compile_rule(const struct sw_elb_router_rule *in, struct sw_elb_rt_rule *out)
{
	size_t i;

	if (sw_elb_router_name_check("backend", in->backend) < 0 ||
	    (in->backend2 && sw_elb_router_name_check("backend", in->backend2) < 0))
		return SW_EINVAL;
	if (in->backend2 && (in->permille2 < 1 || in->permille2 > 999))
		return sw_error_code(SW_EINVAL, "router: a second backend's share must be 1..999 thousandths");
	if (sw_elb_router_rule_regex(in, &out->regex) < 0)
		return SW_EINVAL;
	for (i = 0; i < in->nhosts; i++) {
		char *h = xstrdup(in->hosts[i]), *p;
		for (p = h; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		sw_strvec_push(&out->hosts, h);
		free(h);
	}
	out->any_path = !in->npaths;
	out->backend = xstrdup(in->backend);
	if (in->backend2) {
		out->backend2 = xstrdup(in->backend2);
		out->permille2 = in->permille2;
	}
	return 0;
}

int sw_elb_router_set_rules(struct sw_elb_router *r, const char *frontend,
			    const struct sw_elb_router_rule *rules, size_t n)
{
	struct sw_elb_rt_rule *compiled = NULL, *old;
	struct sw_elb_rt_frontend *fe;
	size_t i, oldn;
	int ret = 0;

	compiled = n ? xcalloc(n, sizeof(*compiled)) : NULL;
	for (i = 0; i < n; i++)
		sw_strvec_init(&compiled[i].hosts);
	for (i = 0; i < n; i++) {
		if (compile_rule(&rules[i], &compiled[i]) < 0) {
			sw_elb_router_rules_release(compiled, n);
			return SW_EINVAL;
		}
	}
	pthread_mutex_lock(&r->lock);
	fe = sw_elb_router_frontend_find(r, frontend);
	if (!fe) {
		ret = sw_error_code(SW_ENOTFOUND, "router: no frontend %s", frontend);
		sw_elb_router_rules_release(compiled, n);
		goto cleanup;
	}
	old = fe->rules;
	oldn = fe->nrules;
	fe->rules = compiled;
	fe->nrules = fe->alloc = n;
	if ((ret = sw_elb_haproxy_map_write(r, fe)) == 0 && r->running)
		ret = commit_maps(r, fe);
	if (ret < 0) {
		fe->rules = old;
		fe->nrules = fe->alloc = oldn;
		sw_elb_haproxy_map_write(r, fe);
		sw_elb_router_rules_release(compiled, n);
	} else {
		sw_elb_router_rules_release(old, oldn);
	}

cleanup:
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int sw_elb_router_start(struct sw_elb_router *r)
{
	int ret;

	pthread_mutex_lock(&r->lock);
	if (r->running) {
		ret = 0;
	} else if (sw_elb_haproxy_adoptable(r)) {
		r->running = 1;
		sw_log_info("router: adopting the running HAProxy (master %ld)", (long)r->master_pid);
		ret = sw_elb_haproxy_reload(r);
		if (ret < 0)
			r->running = 0;
	} else {
		ret = sw_elb_haproxy_launch(r);
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int sw_elb_router_check_alive(struct sw_elb_router *r)
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
		ret = sw_elb_haproxy_launch(r);
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int sw_elb_router_stop(struct sw_elb_router *r, int wait_ms)
{
	pid_t pid = 0;
	long long deadline;

	pthread_mutex_lock(&r->lock);
	if (r->master_pid > 0)
		pid = r->master_pid;
	else if (sw_elb_haproxy_read_pidfile(r->pid_path, &pid) < 0)
		pid = 0;
	if (pid > 0 && kill(pid, SIGUSR1) == 0) {
		deadline = sw_time_mono_ms() + wait_ms;
		while (kill(pid, 0) == 0 && sw_time_mono_ms() < deadline)
			sw_elb_router_sleep_ms(50);
		if (kill(pid, 0) == 0) {
			kill(pid, SIGTERM);
			deadline = sw_time_mono_ms() + 5000;
			while (kill(pid, 0) == 0 && sw_time_mono_ms() < deadline)
				sw_elb_router_sleep_ms(50);
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

int sw_elb_router_server_add(struct sw_elb_router *r, const char *backend, const char *server,
			     const char *addr, int port)
{
	struct sw_buf cmd = SW_BUF_INIT, out = SW_BUF_INIT;
	struct sw_elb_rt_backend *be;
	struct sw_elb_rt_server *s;
	int ret = 0;

	if (sw_elb_router_name_check("server", server) < 0 || sw_elb_router_word_check("address", addr) < 0)
		return SW_EINVAL;
	if (port <= 0 || port > 65535)
		return sw_error_code(SW_EINVAL, "router: port %d is not a TCP port", port);
	pthread_mutex_lock(&r->lock);
	be = sw_elb_router_backend_find(r, backend);
	if (!be) {
		ret = sw_error_code(SW_ENOTFOUND, "router: no backend %s", backend);
		goto cleanup;
	}
	s = sw_elb_router_server_find(be, server);
	if (s) {
		if (strcmp(s->addr, addr) || s->port != port) {
			ret = sw_error_code(SW_EEXISTS, "router: %s/%s is already %s:%d", backend, server,
					    s->addr, s->port);
			goto cleanup;
		}
		if (s->draining) {
			/* Registered again while draining: back in service, checked from scratch. */
			if (r->running && s->live) {
				sw_elb_haproxy_initial_cmds(&cmd, be, s);
				if ((ret = sw_elb_haproxy_cli_quiet(r, cmd.ptr)) < 0)
					goto cleanup;
			}
			s->draining = 0;
			s->ever_up = 0;
			s->added_ms = sw_time_mono_ms();
			s->last_check[0] = '\0';
		}
		goto cleanup;
	}
	SW_ALLOC_GROW(be->servers, be->nservers + 1, be->alloc);
	s = &be->servers[be->nservers];
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(server);
	s->addr = xstrdup(addr);
	s->port = port;
	s->added_ms = sw_time_mono_ms();
	if (r->running) {
		/*
		 * A dynamic server gets no idle-connection pool unless told (2.6: pool-max-conn
		 * 0, pool-purge-delay 0): without one every request would open a connection to
		 * the app. These are the values a server from the configuration has.
		 */
		sw_buf_addf(&cmd, "add server be_%s/%s %s:%d pool-max-conn -1 pool-purge-delay 5s", be->name,
			    server, addr, port);
		sw_elb_haproxy_check_args(&cmd, be);
		if ((ret = sw_elb_haproxy_cli(r->sock_path, cmd.ptr, &out)) == 0 && !strstr(out.ptr, "New server registered")) {
			sw_buf_rtrim(&out);
			ret = sw_error("router: HAProxy: %s: %s", cmd.ptr, out.ptr);
		}
		if (ret < 0) {
			sw_elb_router_server_release(s);
			goto cleanup;
		}
		sw_buf_reset(&cmd);
		sw_elb_haproxy_initial_cmds(&cmd, be, s);
		if ((ret = sw_elb_haproxy_cli_quiet(r, cmd.ptr)) < 0) {
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

int sw_elb_router_server_drain(struct sw_elb_router *r, const char *backend, const char *server)
{
	struct sw_buf cmd = SW_BUF_INIT;
	struct sw_elb_rt_backend *be;
	struct sw_elb_rt_server *s;
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	be = sw_elb_router_backend_find(r, backend);
	s = be ? sw_elb_router_server_find(be, server) : NULL;
	if (!s) {
		ret = sw_error_code(SW_ENOTFOUND, "router: no server %s/%s", backend, server);
		goto cleanup;
	}
	if (!s->draining && r->running && s->live) {
		sw_buf_addf(&cmd, "set server be_%s/%s state drain", backend, server);
		if ((ret = sw_elb_haproxy_cli_quiet(r, cmd.ptr)) < 0)
			goto cleanup;
	}
	s->draining = 1;

cleanup:
	pthread_mutex_unlock(&r->lock);
	sw_buf_release(&cmd);
	return ret;
}

int sw_elb_router_server_remove(struct sw_elb_router *r, const char *backend, const char *server, int force)
{
	struct sw_buf cmd = SW_BUF_INIT, out = SW_BUF_INIT;
	struct sw_elb_rt_backend *be;
	struct sw_elb_rt_server *s;
	int ret = 1;

	pthread_mutex_lock(&r->lock);
	be = sw_elb_router_backend_find(r, backend);
	s = be ? sw_elb_router_server_find(be, server) : NULL;
	if (!s)
		goto cleanup;
	if (r->running && s->live) {
		sw_buf_addf(&cmd, "set server be_%s/%s state maint", backend, server);
		if (force)
			sw_buf_addf(&cmd, ";shutdown sessions server be_%s/%s", backend, server);
		sw_buf_addf(&cmd, ";del server be_%s/%s", backend, server);
		if ((ret = sw_elb_haproxy_cli(r->sock_path, cmd.ptr, &out)) < 0)
			goto cleanup;
		if (strstr(out.ptr, "still has connections")) {
			/* maint closes idle connections to the app asynchronously: look again shortly */
			int tries;
			sw_buf_reset(&cmd);
			sw_buf_addf(&cmd, "del server be_%s/%s", backend, server);
			for (tries = 0; tries < 5 && strstr(out.ptr, "still has connections"); tries++) {
				sw_elb_router_sleep_ms(20);
				if ((ret = sw_elb_haproxy_cli(r->sock_path, cmd.ptr, &out)) < 0)
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
	sw_elb_router_server_release(s);
	memmove(s, s + 1, (be->nservers - (size_t)(s - be->servers) - 1) * sizeof(*s));
	be->nservers--;
	ret = 1;

cleanup:
	pthread_mutex_unlock(&r->lock);
	sw_buf_release(&cmd);
	sw_buf_release(&out);
	return ret;
}

int sw_elb_router_prune(struct sw_elb_router *r, const char *const *keep, size_t nkeep)
{
	struct sw_strvec gone_be = SW_STRVEC_INIT, gone_sv = SW_STRVEC_INIT;
	struct sw_buf key = SW_BUF_INIT;
	size_t i, j, k;
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	for (i = 0; i < r->nbackends; i++) {
		for (j = 0; j < r->backends[i].nservers; j++) {
			int kept = 0;
			sw_buf_reset(&key);
			sw_buf_addf(&key, "%s/%s", r->backends[i].name, r->backends[i].servers[j].name);
			for (k = 0; k < nkeep && !kept; k++)
				kept = !strcmp(keep[k], key.ptr);
			if (!kept) {
				sw_strvec_push(&gone_be, r->backends[i].name);
				sw_strvec_push(&gone_sv, r->backends[i].servers[j].name);
			}
		}
	}
	pthread_mutex_unlock(&r->lock);
	for (i = 0; i < gone_sv.nr; i++) {
		sw_log_info("router: %s/%s is no target of the model: removed", gone_be.v[i], gone_sv.v[i]);
		if (sw_elb_router_server_remove(r, gone_be.v[i], gone_sv.v[i], 1) < 0)
			ret = SW_ERROR;
		else if (ret >= 0)
			ret++;
	}
	sw_strvec_clear(&gone_be);
	sw_strvec_clear(&gone_sv);
	sw_buf_release(&key);
	return ret;
}
