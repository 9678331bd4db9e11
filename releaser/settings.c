#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "releaser/settings.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/xalloc.h"
#include "common/banned.h"

static char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? xstrdup(v) : def ? xstrdup(def) : NULL;
}

static int env_int(const char *name, int def, int min, int max, int *out)
{
	const char *v = getenv(name);
	char *end = NULL;
	long n;
	if (!v || !*v) {
		*out = def;
		return 0;
	}
	n = strtol(v, &end, 10);
	if (!isdigit((unsigned char)v[0]) || !end || *end || n < min || n > max)
		return sw_error_code(SW_EINVAL, "%s: want a whole number from %d to %d, not '%.40s'", name, min,
				     max, v);
	*out = (int)n;
	return 0;
}

int sw_settings_load(struct sw_settings *s)
{
	struct sw_buf url = SW_BUF_INIT;
	const char *router = getenv("SLIPWAY_ROUTER_PORT");

	sw_settings_release(s);
	s->cluster = env_or("SLIPWAY_CLUSTER", "default");
	{
		const char *lb = getenv("SLIPWAY_LOAD_BALANCER");
		if (lb && *lb && strcmp(lb, "elbv2") && strcmp(lb, "none")) {
			sw_settings_release(s);
			return sw_error_code(SW_EINVAL, "SLIPWAY_LOAD_BALANCER: want elbv2 or none, not '%.40s'", lb);
		}
		s->load_balancer = !lb || !*lb || !strcmp(lb, "elbv2");
	}
	s->listener_arn = env_or("SLIPWAY_LISTENER_ARN", NULL);
	s->vpc_id = env_or("SLIPWAY_VPC_ID", NULL);
	s->apps_domain = env_or("SLIPWAY_APPS_DOMAIN", "localhost");
	sw_buf_addf(&url, "http://{app}.%s:%s", s->apps_domain, router && *router ? router : "5481");
	s->apps_url = env_or("SLIPWAY_APPS_URL", url.ptr);
	sw_buf_release(&url);
	s->execution_role_arn = env_or("SLIPWAY_EXECUTION_ROLE_ARN", NULL);
	s->task_role_arn = env_or("SLIPWAY_TASK_ROLE_ARN", NULL);
	s->log_group_prefix = env_or("SLIPWAY_LOG_GROUP_PREFIX", "/slipway/");
	if (env_int("SLIPWAY_DEFAULT_MEMORY", 256, 6, 1024 * 1024, &s->default_memory_mb) < 0 ||
	    env_int("SLIPWAY_DEPLOY_DEADLINE", 600, 10, 6 * 3600, &s->deadline_s) < 0 ||
	    env_int("SLIPWAY_STALL_SECONDS", 60, 5, 3600, &s->stall_s) < 0 ||
	    env_int("SLIPWAY_CRASH_LIMIT", 3, 1, 1000, &s->crash_limit) < 0 ||
	    env_int("SLIPWAY_HEALTH_INTERVAL", 5, 5, 300, &s->health_interval_s) < 0 ||
	    env_int("SLIPWAY_HEALTH_GRACE", 30, 0, 7200, &s->health_grace_s) < 0 ||
	    env_int("SLIPWAY_DEREGISTRATION_DELAY", 10, 0, 3600, &s->deregistration_delay_s) < 0 ||
	    env_int("SLIPWAY_RELEASE_TIMEOUT", 900, 10, 24 * 3600, &s->release_timeout_s) < 0) {
		sw_settings_release(s);
		return SW_EINVAL;
	}
	if (!strstr(s->apps_url, "{app}")) {
		sw_settings_release(s);
		return sw_error_code(SW_EINVAL, "SLIPWAY_APPS_URL: must contain {app}");
	}
	return 0;
}

void sw_settings_release(struct sw_settings *s)
{
	free(s->cluster);
	free(s->listener_arn);
	free(s->vpc_id);
	free(s->apps_domain);
	free(s->apps_url);
	free(s->execution_role_arn);
	free(s->task_role_arn);
	free(s->log_group_prefix);
	memset(s, 0, sizeof(*s));
}
