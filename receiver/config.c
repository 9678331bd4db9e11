#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "receiver/config.h"
#include "receiver/netcheck.h"
#include "common/buf.h"
#include "common/env.h"
#include "common/error.h"
#include "common/time.h"
#include "common/xalloc.h"
#include "common/banned.h"

/* git's size syntax for receive.maxInputSize: digits with an optional k/m/g. */
static int size_valid(const char *s)
{
	size_t n = strspn(s, "0123456789");
	if (!n || n > 15)
		return 0;
	return !s[n] || (strchr("kmgKMG", s[n]) && !s[n + 1]);
}

/*
 * SLIPWAY_BUILD_TIMEOUT: seconds, or a duration with units ("30m", "1h30m": the app
 * manifest's syntax); 1s to 24h, kept in whole seconds (rounded up) and written for
 * people in minutes and seconds ("60m", "1m30s").
 */
static int build_timeout(struct sw_config *c)
{
	struct sw_buf text = SW_BUF_INIT;
	long long ms = 0;

	if (sw_env_duration("SLIPWAY_BUILD_TIMEOUT", 3600 * 1000LL, 1000, 24 * 3600 * 1000LL, 0, &ms) < 0)
		return SW_EINVAL;
	c->build_timeout = (long)((ms + 999) / 1000);
	sw_time_format_minsec(&text, c->build_timeout);
	c->build_timeout_text = sw_buf_detach(&text, NULL);
	return 0;
}

/* The program name in the directory of our own executable (or the bare name). */
static char *next_to_us(const char *name)
{
	struct sw_buf b = SW_BUF_INIT;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return xstrdup(name);
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	sw_buf_addf(&b, "%s/%s", self, name);
	return sw_buf_detach(&b, NULL);
}

/* What slipwayd needs on a network: limits per client, TLS, SSH, where webhooks may go. */
static int network_settings(struct sw_config *c)
{
	long long per_client, header;

	if (sw_env_int("SLIPWAY_CLIENT_CONNECTIONS", 32, 1, 512, &per_client) < 0 ||
	    sw_env_int("SLIPWAY_HEADER_TIMEOUT", 15, 1, 600, &header) < 0 ||
	    sw_env_bool("SLIPWAY_INSECURE_HTTP", 0, &c->insecure_http) < 0)
		return SW_EINVAL;
	c->client_connections = (long)per_client;
	c->header_timeout = (long)header;
	c->tls_cert = sw_env_strdup("SLIPWAY_TLS_CERT", NULL);
	c->tls_key = sw_env_strdup("SLIPWAY_TLS_KEY", NULL);
	if (!c->tls_cert != !c->tls_key)
		return sw_error_code(SW_EINVAL, "SLIPWAY_TLS_CERT and SLIPWAY_TLS_KEY go together: set both or neither");
	c->ssh_socket = sw_env_strdup("SLIPWAY_SSH_SOCKET", NULL);
	if (c->ssh_socket && c->ssh_socket[0] != '/')
		return sw_error_code(SW_EINVAL, "SLIPWAY_SSH_SOCKET: want an absolute path, not \"%.200s\"", c->ssh_socket);
	c->webhook_allow_nets = sw_env_strdup("SLIPWAY_WEBHOOK_ALLOW_NETS", NULL);
	if (c->webhook_allow_nets && sw_netcheck_allow_valid(c->webhook_allow_nets) < 0)
		return SW_EINVAL;
	return 0;
}

int sw_config_load(struct sw_config *c)
{
	struct sw_buf b = SW_BUF_INIT;
	const char *home = sw_env_str("SLIPWAY_HOME");
	const char *v;
	long long port, registry_port, max_builds, max_rollouts, hook, quiet, attempts, backoff, timeout, sweep, ticket;

	if (!home) {
		const char *h = sw_env_str("HOME");
		if (!h)
			return sw_error_code(SW_EINVAL, "SLIPWAY_HOME is not set and neither is HOME");
		sw_buf_addf(&b, "%s/.slipway", h);
	} else if (home[0] != '/') {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)))
			return sw_error_errno("getcwd");
		sw_buf_addf(&b, "%s/%s", cwd, home);
	} else {
		sw_buf_adds(&b, home);
	}
	while (b.len > 1 && b.ptr[b.len - 1] == '/')
		sw_buf_setlen(&b, b.len - 1);
	c->home = sw_buf_detach(&b, NULL);
	sw_buf_addf(&b, "%s/repos", c->home);
	c->repos = sw_buf_detach(&b, NULL);
	sw_buf_addf(&b, "%s/builds", c->home);
	c->builds = sw_buf_detach(&b, NULL);
	sw_buf_addf(&b, "%s/slipwayd.db", c->home);
	c->db_path = sw_buf_detach(&b, NULL);

	/* the hook outlasts the build deadline plus a release (releaser/settings.h: 15m
	 * release phase, 10m rollout by default) with room to spare */
	if (sw_env_int("SLIPWAY_PORT", 5480, 1, 65535, &port) < 0 ||
	    sw_env_int("SLIPWAY_REGISTRY_PORT", 5000, 1, 65535, &registry_port) < 0 ||
	    sw_env_int("SLIPWAY_MAX_BUILDS", 2, 1, 64, &max_builds) < 0 ||
	    sw_env_int("SLIPWAY_MAX_ROLLOUTS", 64, 1, 4096, &max_rollouts) < 0 || build_timeout(c) < 0 ||
	    sw_env_int("SLIPWAY_HOOK_TIMEOUT", c->build_timeout + 3600, 10, 7 * 24 * 3600, &hook) < 0 ||
	    sw_env_int("SLIPWAY_QUIET_SECS", 30, 1, 3600, &quiet) < 0 ||
	    sw_env_int("SLIPWAY_WEBHOOK_ATTEMPTS", 8, 1, 100, &attempts) < 0 ||
	    sw_env_int("SLIPWAY_WEBHOOK_BACKOFF_MS", 1000, 10, 3600 * 1000, &backoff) < 0 ||
	    sw_env_int("SLIPWAY_WEBHOOK_TIMEOUT", 10, 1, 300, &timeout) < 0 ||
	    sw_env_int("SLIPWAY_REVIEW_SWEEP_SECS", 300, 1, 86400, &sweep) < 0 ||
	    sw_env_int("SLIPWAY_DASHBOARD_TICKET_SECS", 60, 1, 600, &ticket) < 0 ||
	    sw_review_defaults_load(&c->review) < 0)
		return SW_EINVAL;
	c->port = (int)port;
	c->registry_port = (int)registry_port;
	c->max_builds = (int)max_builds;
	c->max_rollouts = (int)max_rollouts;
	c->hook_timeout = (long)hook;
	c->quiet_secs = (long)quiet;
	c->webhook_attempts = (long)attempts;
	c->webhook_backoff_ms = (long)backoff;
	c->webhook_timeout_secs = (long)timeout;
	c->review_sweep_secs = (long)sweep;
	c->dashboard_ticket_secs = (long)ticket;

	c->listen = sw_env_strdup("SLIPWAY_LISTEN", "127.0.0.1");
	if ((v = sw_env_str("SLIPWAY_REGISTRY"))) {
		c->registry = xstrdup(v);
	} else {
		sw_buf_addf(&b, "127.0.0.1:%d", c->registry_port);
		c->registry = sw_buf_detach(&b, NULL);
	}
	v = sw_env_str("SLIPWAY_MAX_PUSH_SIZE");
	if (v && !size_valid(v))
		return sw_error_code(SW_EINVAL, "SLIPWAY_MAX_PUSH_SIZE: want a size like 500m or 2g, not \"%.40s\"", v);
	c->max_push_size = xstrdup(v ? v : "2g");
	v = sw_env_str("SLIPWAY_HOOK");
	c->hook = v ? xstrdup(v) : next_to_us("slipway-hook");
	if (c->hook[0] != '/')
		return sw_error_code(SW_EINVAL, "SLIPWAY_HOOK: want an absolute path, not \"%.200s\"", c->hook);
	c->push_program = next_to_us("slipway-push");
	c->door_program = next_to_us("slipway-door");
	return network_settings(c);
}

void sw_config_release(struct sw_config *c)
{
	free(c->home);
	free(c->repos);
	free(c->builds);
	free(c->db_path);
	free(c->listen);
	free(c->registry);
	free(c->max_push_size);
	free(c->build_timeout_text);
	free(c->hook);
	free(c->push_program);
	free(c->door_program);
	free(c->ssh_socket);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->webhook_allow_nets);
	memset(c, 0, sizeof(*c));
}

static int make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return sw_error_errno("mkdir %s", path);
	return 0;
}

int sw_config_make_dirs(const struct sw_config *c)
{
	/* the parent of home may be missing too (SLIPWAY_HOME=/tmp/x/y) */
	struct sw_buf p = SW_BUF_INIT;
	size_t i;
	int r = 0;

	sw_buf_adds(&p, c->home);
	for (i = 1; i < p.len && !r; i++) {
		if (p.ptr[i] != '/')
			continue;
		p.ptr[i] = '\0';
		r = make_dir(p.ptr, 0755);
		p.ptr[i] = '/';
	}
	sw_buf_release(&p);
	if (r < 0 || make_dir(c->home, 0700) < 0 || make_dir(c->repos, 0700) < 0 ||
	    make_dir(c->builds, 0700) < 0)
		return SW_ERROR;
	return 0;
}
