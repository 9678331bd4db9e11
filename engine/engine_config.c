#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine_config.h"
#include "common/buf.h"
#include "common/env.h"
#include "common/error.h"
#include "common/xalloc.h"
#include "common/banned.h"

static long long machine_memory_mb(void)
{
	long pages = sysconf(_SC_PHYS_PAGES);
	long size = sysconf(_SC_PAGESIZE);
	if (pages <= 0 || size <= 0)
		return 1024;
	return (long long)pages * size / (1024 * 1024);
}

/*
 * A TLS file setting: name's value, else $SLIPWAY_HOME/tls/<dflt> when that exists (what
 * scripts/tls-ca makes), else NULL (the router answers HTTP only). A file named in the
 * environment that is not there is refused with one line.
 */
static int tls_file(struct sw_engine_config *c, const char *name, const char *dflt, char **out)
{
	struct sw_buf def = SW_BUF_INIT;
	const char *set = sw_env_str(name);
	struct stat st;
	int ret = 0;

	sw_buf_addf(&def, "%s/tls/%s", c->home, dflt);
	*out = xstrdup(set ? set : def.ptr);
	if (stat(*out, &st) < 0) {
		if (set)
			ret = sw_error_code(SW_EINVAL, "%s: %s: no such file", name, set);
		free(*out);
		*out = NULL;
	}
	sw_buf_release(&def);
	return ret;
}

int sw_engine_config_load(struct sw_engine_config *c)
{
	struct sw_buf b = SW_BUF_INIT;
	const char *home = sw_env_str("SLIPWAY_HOME");
	long long x;

	memset(c, 0, sizeof(*c));
	if (home) {
		c->home = xstrdup(home);
	} else {
		const char *h = sw_env_str("HOME");
		sw_buf_addf(&b, "%s/.slipway", h ? h : "/root");
		c->home = sw_buf_detach(&b, NULL);
	}
	sw_buf_addf(&b, "%s/engine", c->home);
	c->state_dir = sw_buf_detach(&b, NULL);
	sw_buf_addf(&b, "%s/engine.db", c->state_dir);
	c->db_path = sw_buf_detach(&b, NULL);
	sw_buf_addf(&b, "%s/aws", c->home);
	c->aws_dir = sw_buf_detach(&b, NULL);
	c->listen = sw_env_strdup("SLIPWAY_ENGINE_LISTEN", "127.0.0.1");
	c->region = sw_env_strdup("SLIPWAY_ENGINE_REGION", sw_env_str("AWS_REGION") ? sw_env_str("AWS_REGION") : "us-east-1");
	c->account = sw_env_strdup("SLIPWAY_ENGINE_ACCOUNT", "000000000000");
	c->bind_ip = sw_env_strdup("SLIPWAY_ENGINE_BIND_IP", "127.0.0.1");
	c->router_listen = sw_env_strdup("SLIPWAY_ROUTER_LISTEN", "127.0.0.1");
	c->access_key_id = sw_env_strdup("SLIPWAY_ENGINE_ACCESS_KEY_ID", NULL);
	c->secret_access_key = sw_env_strdup("SLIPWAY_ENGINE_SECRET_ACCESS_KEY", NULL);
	if (sw_env_str("SLIPWAY_ENGINE_REGISTRY_PASSWORD_FILE")) {
		c->registry_password_file = sw_env_strdup("SLIPWAY_ENGINE_REGISTRY_PASSWORD_FILE", NULL);
	} else {
		sw_buf_addf(&b, "%s/registry/password", c->home);
		c->registry_password_file = sw_buf_detach(&b, NULL);
	}

	if (sw_env_int("SLIPWAY_ENGINE_PORT", 5482, 1, 65535, &x) < 0)
		goto fail;
	c->port = (int)x;
	if (sw_env_int("SLIPWAY_REGISTRY_PORT", 5000, 1, 65535, &x) < 0)
		goto fail;
	c->registry_port = (int)x;
	sw_buf_addf(&b, "127.0.0.1:%d", c->registry_port);
	c->registry_host = sw_buf_detach(&b, NULL);
	if (sw_env_int("SLIPWAY_ENGINE_MEMORY_MB", machine_memory_mb(), 1, 1LL << 30, &c->memory_mb) < 0 ||
	    sw_env_int("SLIPWAY_ENGINE_CPU_UNITS", 1024LL * sysconf(_SC_NPROCESSORS_ONLN), 1, 1LL << 30,
		   &c->cpu_units) < 0 ||
	    sw_env_seconds("SLIPWAY_ENGINE_STABLE_SECONDS", 40, 0, 86400, &c->stable_ms) < 0 ||
	    sw_env_seconds("SLIPWAY_ENGINE_EVENT_SECONDS", 60, 0, 86400, &c->event_ms) < 0 ||
	    sw_env_seconds("SLIPWAY_ENGINE_STEADY_SECONDS", 21600, 0, 7 * 86400, &c->steady_ms) < 0 ||
	    sw_env_seconds("SLIPWAY_ENGINE_RESYNC_SECONDS", 60, 0, 86400, &c->resync_ms) < 0 ||
	    sw_env_seconds("SLIPWAY_ENGINE_STOPPED_TTL_SECONDS", 3600, 0, 30 * 86400, &c->stopped_ttl_ms) < 0 ||
	    sw_env_seconds("SLIPWAY_ENGINE_INACTIVE_TTL_SECONDS", 3600, 0, 30 * 86400, &c->inactive_ttl_ms) < 0 ||
	    sw_env_int("SLIPWAY_ENGINE_STOP_TIMEOUT", 30, 0, 3600, &c->stop_timeout_s) < 0 ||
	    sw_env_seconds("SLIPWAY_ENGINE_BACKOFF_MAX_SECONDS", 300, 0, 86400, &c->backoff_max_ms) < 0 ||
	    sw_env_seconds("SLIPWAY_ENGINE_LB_POLL_SECONDS", 2, 0, 3600, &c->lb_poll_ms) < 0 ||
	    sw_env_seconds("SLIPWAY_ENGINE_BAKE_MINUTE_SECONDS", 60, 0, 3600, &c->bake_minute_ms) < 0 ||
	    sw_env_int("SLIPWAY_ENGINE_WORKERS", 3, 1, 64, &x) < 0)
		goto fail;
	c->workers = (int)x;
	if (c->resync_ms < 1000)
		c->resync_ms = 1000;
	if (c->lb_poll_ms < 100)
		c->lb_poll_ms = 100;
	if (sw_env_int("SLIPWAY_ENGINE_MAX_BODY", 1 << 20, 1024, 64LL << 20, &c->max_body) < 0 ||
	    sw_env_int("SLIPWAY_ENGINE_CLIENT_CONNECTIONS", 128, 1, 512, &c->client_connections) < 0 ||
	    sw_env_int("SLIPWAY_ENGINE_HEADER_TIMEOUT", 15, 1, 600, &x) < 0)
		goto fail;
	c->header_timeout_ms = x * 1000;
	if (sw_env_int("SLIPWAY_ROUTER_PORT", 5481, 1, 65535, &x) < 0)
		goto fail;
	c->router_port = (int)x;
	if (sw_env_int("SLIPWAY_ROUTER_THREADS", 0, 0, 64, &x) < 0)
		goto fail;
	c->router_threads = (int)x;
	if (sw_env_int("SLIPWAY_ROUTER_TLS_PORT", 5484, 1, 65535, &x) < 0)
		goto fail;
	c->router_tls_port = (int)x;
	if (tls_file(c, "SLIPWAY_ROUTER_TLS_CERT", "router.pem", &c->router_tls_cert) < 0 ||
	    tls_file(c, "SLIPWAY_ROUTER_TLS_CA", "ca-sign.pem", &c->router_tls_ca) < 0)
		goto fail;

	if (sw_env_number("SLIPWAY_ENGINE_THROTTLE_RATE", 0, 0, 1e6, &c->throttle_rate) < 0 ||
	    sw_env_number("SLIPWAY_ENGINE_THROTTLE_BURST", c->throttle_rate * 2 < 1 ? 1 : c->throttle_rate * 2, 1, 1e6,
			  &c->throttle_burst) < 0)
		goto fail;
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
	free(c->router_tls_cert);
	free(c->router_tls_ca);
	free(c->access_key_id);
	free(c->secret_access_key);
	memset(c, 0, sizeof(*c));
}
