#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine_config.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/xalloc.h"
#include "common/banned.h"

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static char *env_dup(const char *name, const char *dflt)
{
	const char *v = env(name);
	return v ? xstrdup(v) : dflt ? xstrdup(dflt) : NULL;
}

static int env_ll(const char *name, long long dflt, long long min, long long max, long long *out)
{
	const char *v = env(name);
	char *end = NULL;
	long long x;

	if (!v) {
		*out = dflt;
		return 0;
	}
	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno || end == v || *end || x < min || x > max)
		return sw_error_code(SW_EINVAL, "%s=%s: expected a whole number from %lld to %lld", name, v, min, max);
	*out = x;
	return 0;
}

/* Seconds (fractions allowed) into milliseconds. */
static int env_ms(const char *name, double dflt_s, double max_s, long long *out)
{
	const char *v = env(name);
	char *end = NULL;
	double x;

	if (!v) {
		*out = (long long)llround(dflt_s * 1000);
		return 0;
	}
	errno = 0;
	x = strtod(v, &end);
	if (errno || end == v || *end || !(x >= 0) || x > max_s)
		return sw_error_code(SW_EINVAL, "%s=%s: expected seconds from 0 to %.0f", name, v, max_s);
	*out = (long long)llround(x * 1000);
	return 0;
}

static long long machine_memory_mb(void)
{
	long pages = sysconf(_SC_PHYS_PAGES);
	long size = sysconf(_SC_PAGESIZE);
	if (pages <= 0 || size <= 0)
		return 1024;
	return (long long)pages * size / (1024 * 1024);
}

int sw_engine_config_load(struct sw_engine_config *c)
{
	struct sw_buf b = SW_BUF_INIT;
	const char *home = env("SLIPWAY_HOME");
	long long x;
	char *end;
	const char *v;

	memset(c, 0, sizeof(*c));
	if (home) {
		c->home = xstrdup(home);
	} else {
		const char *h = env("HOME");
		sw_buf_addf(&b, "%s/.slipway", h ? h : "/root");
		c->home = sw_buf_detach(&b, NULL);
	}
	sw_buf_addf(&b, "%s/engine", c->home);
	c->state_dir = sw_buf_detach(&b, NULL);
	sw_buf_addf(&b, "%s/engine.db", c->state_dir);
	c->db_path = sw_buf_detach(&b, NULL);
	sw_buf_addf(&b, "%s/aws", c->home);
	c->aws_dir = sw_buf_detach(&b, NULL);
	c->listen = env_dup("SLIPWAY_ENGINE_LISTEN", "127.0.0.1");
	c->region = env_dup("SLIPWAY_ENGINE_REGION", env("AWS_REGION") ? env("AWS_REGION") : "us-east-1");
	c->account = env_dup("SLIPWAY_ENGINE_ACCOUNT", "000000000000");
	c->bind_ip = env_dup("SLIPWAY_ENGINE_BIND_IP", "127.0.0.1");
	c->router_listen = env_dup("SLIPWAY_ROUTER_LISTEN", "127.0.0.1");
	c->access_key_id = env_dup("SLIPWAY_ENGINE_ACCESS_KEY_ID", NULL);
	c->secret_access_key = env_dup("SLIPWAY_ENGINE_SECRET_ACCESS_KEY", NULL);
	if (env("SLIPWAY_ENGINE_REGISTRY_PASSWORD_FILE")) {
		c->registry_password_file = env_dup("SLIPWAY_ENGINE_REGISTRY_PASSWORD_FILE", NULL);
	} else {
		sw_buf_addf(&b, "%s/registry/password", c->home);
		c->registry_password_file = sw_buf_detach(&b, NULL);
	}

	if (env_ll("SLIPWAY_ENGINE_PORT", 5482, 1, 65535, &x) < 0)
		goto fail;
	c->port = (int)x;
	if (env_ll("SLIPWAY_REGISTRY_PORT", 5000, 1, 65535, &x) < 0)
		goto fail;
	c->registry_port = (int)x;
	sw_buf_addf(&b, "127.0.0.1:%d", c->registry_port);
	c->registry_host = sw_buf_detach(&b, NULL);
	if (env_ll("SLIPWAY_ENGINE_MEMORY_MB", machine_memory_mb(), 1, 1LL << 30, &c->memory_mb) < 0 ||
	    env_ll("SLIPWAY_ENGINE_CPU_UNITS", 1024LL * sysconf(_SC_NPROCESSORS_ONLN), 1, 1LL << 30,
		   &c->cpu_units) < 0 ||
	    env_ms("SLIPWAY_ENGINE_STABLE_SECONDS", 40, 86400, &c->stable_ms) < 0 ||
	    env_ms("SLIPWAY_ENGINE_EVENT_SECONDS", 60, 86400, &c->event_ms) < 0 ||
	    env_ms("SLIPWAY_ENGINE_STEADY_SECONDS", 21600, 7 * 86400, &c->steady_ms) < 0 ||
	    env_ms("SLIPWAY_ENGINE_RESYNC_SECONDS", 60, 86400, &c->resync_ms) < 0 ||
	    env_ms("SLIPWAY_ENGINE_STOPPED_TTL_SECONDS", 3600, 30 * 86400, &c->stopped_ttl_ms) < 0 ||
	    env_ms("SLIPWAY_ENGINE_INACTIVE_TTL_SECONDS", 3600, 30 * 86400, &c->inactive_ttl_ms) < 0 ||
	    env_ll("SLIPWAY_ENGINE_STOP_TIMEOUT", 30, 0, 3600, &c->stop_timeout_s) < 0 ||
	    env_ms("SLIPWAY_ENGINE_BACKOFF_MAX_SECONDS", 300, 86400, &c->backoff_max_ms) < 0 ||
	    env_ms("SLIPWAY_ENGINE_LB_POLL_SECONDS", 2, 3600, &c->lb_poll_ms) < 0 ||
	    env_ll("SLIPWAY_ENGINE_WORKERS", 3, 1, 64, &x) < 0)
		goto fail;
	c->workers = (int)x;
	if (c->resync_ms < 1000)
		c->resync_ms = 1000;
	if (c->lb_poll_ms < 100)
		c->lb_poll_ms = 100;
	if (env_ll("SLIPWAY_ENGINE_MAX_BODY", 1 << 20, 1024, 64LL << 20, &c->max_body) < 0)
		goto fail;
	if (env_ll("SLIPWAY_ROUTER_PORT", 5481, 1, 65535, &x) < 0)
		goto fail;
	c->router_port = (int)x;
	if (env_ll("SLIPWAY_ROUTER_THREADS", 0, 0, 64, &x) < 0)
		goto fail;
	c->router_threads = (int)x;

	c->throttle_rate = 0;
	if ((v = env("SLIPWAY_ENGINE_THROTTLE_RATE"))) {
		c->throttle_rate = strtod(v, &end);
		if (end == v || *end || !(c->throttle_rate >= 0) || c->throttle_rate > 1e6) {
			sw_error_code(SW_EINVAL, "SLIPWAY_ENGINE_THROTTLE_RATE=%s: expected requests per second", v);
			goto fail;
		}
	}
	c->throttle_burst = c->throttle_rate * 2 < 1 ? 1 : c->throttle_rate * 2;
	if ((v = env("SLIPWAY_ENGINE_THROTTLE_BURST"))) {
		c->throttle_burst = strtod(v, &end);
		if (end == v || *end || !(c->throttle_burst >= 1) || c->throttle_burst > 1e6) {
			sw_error_code(SW_EINVAL, "SLIPWAY_ENGINE_THROTTLE_BURST=%s: expected a number >= 1", v);
			goto fail;
		}
	}
	if (!c->access_key_id != !c->secret_access_key) {
		sw_error_code(SW_EINVAL, "set both SLIPWAY_ENGINE_ACCESS_KEY_ID and SLIPWAY_ENGINE_SECRET_ACCESS_KEY, "
			      "or neither");
		goto fail;
	}
	sw_buf_release(&b);
	return 0;

fail:
	sw_buf_release(&b);
	sw_engine_config_release(c);
	return SW_EINVAL;
}

void sw_engine_config_release(struct sw_engine_config *c)
{
	free(c->home);
	free(c->state_dir);
	free(c->db_path);
	free(c->aws_dir);
	free(c->listen);
	free(c->region);
	free(c->account);
	free(c->registry_host);
	free(c->registry_password_file);
	free(c->bind_ip);
	free(c->router_listen);
	free(c->access_key_id);
	free(c->secret_access_key);
	memset(c, 0, sizeof(*c));
}
