#include <stdlib.h>
#include <string.h>

#include "releaser/settings.h"
#include "common/buf.h"
#include "common/env.h"
#include "common/error.h"
#include "common/banned.h"

int sw_settings_load(struct sw_settings *s)
{
	const struct {
		const char *name;
		long long dflt, min, max;
		int *out;
	} ints[] = {
		{ "SLIPWAY_DEFAULT_MEMORY", 256, 6, 1024 * 1024, &s->default_memory_mb },
		{ "SLIPWAY_DEPLOY_DEADLINE", 600, 10, 6 * 3600, &s->deadline_s },
		{ "SLIPWAY_STALL_SECONDS", 60, 5, 3600, &s->stall_s },
		{ "SLIPWAY_CRASH_LIMIT", 3, 1, 1000, &s->crash_limit },
		{ "SLIPWAY_HEALTH_INTERVAL", 5, 5, 300, &s->health_interval_s },
		{ "SLIPWAY_HEALTH_GRACE", 30, 0, 7200, &s->health_grace_s },
		{ "SLIPWAY_DEREGISTRATION_DELAY", 10, 0, 3600, &s->deregistration_delay_s },
		{ "SLIPWAY_RELEASE_TIMEOUT", 900, 10, 24 * 3600, &s->release_timeout_s },
	};
	struct sw_buf url = SW_BUF_INIT;
	const char *lb = sw_env_str("SLIPWAY_LOAD_BALANCER");
	long long router_port = 0;
	size_t i;

	sw_settings_release(s);
	if (lb && strcmp(lb, "elbv2") && strcmp(lb, "none"))
		return sw_error_code(SW_EINVAL, "SLIPWAY_LOAD_BALANCER: want elbv2 or none, not '%.40s'", lb);
	if (sw_env_int("SLIPWAY_ROUTER_PORT", 5481, 1, 65535, &router_port) < 0)
		return SW_EINVAL;
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		long long v = 0;
		if (sw_env_int(ints[i].name, ints[i].dflt, ints[i].min, ints[i].max, &v) < 0) {
			sw_settings_release(s);
			return SW_EINVAL;
		}
		*ints[i].out = (int)v;
	}
	s->cluster = sw_env_strdup("SLIPWAY_CLUSTER", "default");
	s->load_balancer = !lb || !strcmp(lb, "elbv2");
	s->listener_arn = sw_env_strdup("SLIPWAY_LISTENER_ARN", NULL);
	s->vpc_id = sw_env_strdup("SLIPWAY_VPC_ID", NULL);
	s->apps_domain = sw_env_strdup("SLIPWAY_APPS_DOMAIN", "localhost");
	sw_buf_addf(&url, "http://{app}.%s:%lld", s->apps_domain, router_port);
	s->apps_url = sw_env_strdup("SLIPWAY_APPS_URL", url.ptr);
	sw_buf_release(&url);
	s->execution_role_arn = sw_env_strdup("SLIPWAY_EXECUTION_ROLE_ARN", NULL);
	s->lb_role_arn = sw_env_strdup("SLIPWAY_LB_ROLE_ARN",
				       "arn:aws:iam::000000000000:role/ecsInfrastructureRoleForLoadBalancers");
	s->task_role_arn = sw_env_strdup("SLIPWAY_TASK_ROLE_ARN", NULL);
	s->log_group_prefix = sw_env_strdup("SLIPWAY_LOG_GROUP_PREFIX", "/slipway/");
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
	free(s->lb_role_arn);
	free(s->task_role_arn);
	free(s->log_group_prefix);
	memset(s, 0, sizeof(*s));
}
