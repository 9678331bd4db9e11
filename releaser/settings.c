#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "releaser/settings.h"
#include "releaser/fargate.h"
#include "common/buf.h"
#include "common/env.h"
#include "common/error.h"
#include "common/xalloc.h"
#include "common/banned.h"

#define MAX_SUBNETS 16          /* awsvpcConfiguration.subnets */
#define MAX_SECURITY_GROUPS 5   /* awsvpcConfiguration.securityGroups */

/* The settings a stack output can give, and the variable that says it first. */
static const struct {
	const char *key;     /* in s->from */
	const char *env;
	const char *output;
	size_t offset;       /* of the char * in struct sw_settings */
} strings[] = {
	{ "cluster", "SLIPWAY_CLUSTER", "Cluster", offsetof(struct sw_settings, cluster) },
	{ "listener_arn", "SLIPWAY_LISTENER_ARN", "ListenerArn", offsetof(struct sw_settings, listener_arn) },
	{ "load_balancer_arn", NULL, "LoadBalancerArn", offsetof(struct sw_settings, load_balancer_arn) },
	{ "vpc_id", "SLIPWAY_VPC_ID", "VpcId", offsetof(struct sw_settings, vpc_id) },
	{ "subnets", "SLIPWAY_SUBNETS", "Subnets", offsetof(struct sw_settings, subnets) },
	{ "security_groups", "SLIPWAY_SECURITY_GROUPS", "TaskSecurityGroup", offsetof(struct sw_settings, security_groups) },
	{ "assign_public_ip", "SLIPWAY_ASSIGN_PUBLIC_IP", "AssignPublicIp", offsetof(struct sw_settings, assign_public_ip) },
	{ "execution_role_arn", "SLIPWAY_EXECUTION_ROLE_ARN", "ExecutionRoleArn",
	  offsetof(struct sw_settings, execution_role_arn) },
	{ "apps_domain", "SLIPWAY_APPS_DOMAIN", "AppsDomain", offsetof(struct sw_settings, apps_domain) },
	{ "task_role_arn", "SLIPWAY_TASK_ROLE_ARN", NULL, offsetof(struct sw_settings, task_role_arn) },
	{ "lb_role_arn", "SLIPWAY_LB_ROLE_ARN", "LoadBalancerRoleArn", offsetof(struct sw_settings, lb_role_arn) },
	{ "apps_url", "SLIPWAY_APPS_URL", NULL, offsetof(struct sw_settings, apps_url) },
	{ "log_group_prefix", "SLIPWAY_LOG_GROUP_PREFIX", NULL, offsetof(struct sw_settings, log_group_prefix) },
};

#define NSTRINGS (sizeof(strings) / sizeof(strings[0]))

static char **field(struct sw_settings *s, size_t i)
{
	return (char **)((char *)s + strings[i].offset);
}

/* "<prefix><one or more of a-z 0-9>": an EC2 resource id (subnet-, sg-, vpc-). */
static int resource_id(const char *s, size_t n, const char *prefix)
{
	size_t i, p = strlen(prefix);
	if (n <= p || n > 64 || strncmp(s, prefix, p))
		return 0;
	for (i = p; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* A comma-separated list of ids with prefix, 1 to max of them, none twice. */
static int id_list(const char *what, const char *v, const char *prefix, size_t max)
{
	const char *p = v;
	size_t n = 0;
	for (;;) {
		size_t len = strcspn(p, ",");
		const char *q;
		if (!resource_id(p, len, prefix))
			return sw_error_code(SW_EINVAL, "%s: '%.*s' is not a %s id (%s...), in '%.80s'", what,
					     (int)(len > 40 ? 40 : len), p, !strcmp(prefix, "sg-") ? "security group" : "subnet",
					     prefix, v);
		for (q = v; q < p; q += strcspn(q, ",") + 1)
			if (strcspn(q, ",") == len && !strncmp(q, p, len))
				return sw_error_code(SW_EINVAL, "%s: %.*s is given twice", what, (int)len, p);
		if (++n > max)
			return sw_error_code(SW_EINVAL, "%s: at most %zu, not more", what, max);
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

int sw_settings_check_role_arn(const char *arn)
{
	const char *p = arn, *role, *name;
	size_t i;

	if (!arn || strncmp(p, "arn:aws", 7))
		goto bad;
	p += 7;
	if (*p == '-')   /* aws-cn, aws-us-gov, ... */
		for (p++; islower((unsigned char)*p) || *p == '-'; p++)
			;
	if (strncmp(p, ":iam::", 6))
		goto bad;
	p += 6;
	for (i = 0; i < 12; i++)
		if (!isdigit((unsigned char)p[i]))
			goto bad;
	p += 12;
	if (strncmp(p, ":role/", 6))
		goto bad;
	role = p + 5;   /* the path, "/" at least */
	name = strrchr(role, '/') + 1;
	if (!*name || strlen(name) > 64 || strlen(arn) > 1600)
		goto bad;
	for (p = role; p < name; p++)
		if (*p < 0x21 || *p > 0x7e)
			goto bad;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("+=,.@_-", *p))
			goto bad;
	return 0;
bad:
	return sw_error_code(SW_EINVAL, "'%.100s' is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)",
			     arn ? arn : "");
}

/* Where the value of setting key came from, for a refusal: "SLIPWAY_SUBNETS", "stack slipway output Subnets". */
static void origin(const struct sw_settings *s, const char *key, struct sw_buf *out)
{
	const char *from = sw_settings_from(s, key);
	size_t i;
	sw_buf_reset(out);
	sw_buf_adds(out, from);
	for (i = 0; i < NSTRINGS; i++)
		if (!strcmp(strings[i].key, key) && !strncmp(from, "stack ", 6) && strings[i].output)
			sw_buf_addf(out, " output %s", strings[i].output);
}

/* The string settings' own rules, each refusal naming where the value came from. */
static int check_strings(const struct sw_settings *s)
{
	struct sw_buf o = SW_BUF_INIT;
	int ret = SW_EINVAL;

	if (s->subnets && (origin(s, "subnets", &o), id_list(o.ptr, s->subnets, "subnet-", MAX_SUBNETS) < 0))
		goto cleanup;
	if (s->security_groups && (origin(s, "security_groups", &o),
				   id_list(o.ptr, s->security_groups, "sg-", MAX_SECURITY_GROUPS) < 0))
		goto cleanup;
	if (s->assign_public_ip && strcmp(s->assign_public_ip, "ENABLED") && strcmp(s->assign_public_ip, "DISABLED")) {
		origin(s, "assign_public_ip", &o);
		sw_error_code(SW_EINVAL, "%s: want ENABLED or DISABLED, not '%.40s'", o.ptr, s->assign_public_ip);
		goto cleanup;
	}
	if (s->vpc_id && !resource_id(s->vpc_id, strlen(s->vpc_id), "vpc-")) {
		origin(s, "vpc_id", &o);
		sw_error_code(SW_EINVAL, "%s: '%.40s' is not a VPC id (vpc-...)", o.ptr, s->vpc_id);
		goto cleanup;
	}
	if (s->execution_role_arn && sw_settings_check_role_arn(s->execution_role_arn) < 0) {
		origin(s, "execution_role_arn", &o);
		sw_error_prefix("%s", o.ptr);
		goto cleanup;
	}
	if (s->task_role_arn && sw_settings_check_role_arn(s->task_role_arn) < 0) {
		sw_error_prefix("SLIPWAY_TASK_ROLE_ARN");
		goto cleanup;
	}
	if (s->lb_role_arn && sw_settings_check_role_arn(s->lb_role_arn) < 0) {
		origin(s, "lb_role_arn", &o);
		sw_error_prefix("%s", o.ptr);
		goto cleanup;
	}
	ret = 0;
cleanup:
	sw_buf_release(&o);
	return ret;
}

static void default_url(struct sw_settings *s, const char *scheme, const char *port)
{
	struct sw_buf url = SW_BUF_INIT;
	sw_buf_addf(&url, "%s://{app}.%s%s%s", scheme, s->apps_domain, port ? ":" : "", port ? port : "");
	free(s->apps_url);
	s->apps_url = sw_buf_detach(&url, NULL);
}

int sw_settings_load(struct sw_settings *s)
{
	const struct {
		const char *name;
		long long dflt, min, max;
		int *out;
	} ints[] = {
		{ "SLIPWAY_DEFAULT_MEMORY", 0, 6, 1024 * 1024, &s->default_memory_mb },
		{ "SLIPWAY_DEPLOY_DEADLINE", 600, 10, 6 * 3600, &s->deadline_s },
		{ "SLIPWAY_STALL_SECONDS", 60, 5, 3600, &s->stall_s },
		{ "SLIPWAY_CRASH_LIMIT", 3, 1, 1000, &s->crash_limit },
		{ "SLIPWAY_HEALTH_INTERVAL", 5, 5, 300, &s->health_interval_s },
		{ "SLIPWAY_HEALTH_GRACE", 30, 0, 7200, &s->health_grace_s },
		{ "SLIPWAY_DEREGISTRATION_DELAY", 10, 0, 3600, &s->deregistration_delay_s },
		{ "SLIPWAY_RELEASE_TIMEOUT", 900, 10, 24 * 3600, &s->release_timeout_s },
	};
	const char *lb = sw_env_str("SLIPWAY_LOAD_BALANCER"), *launch = sw_env_str("SLIPWAY_LAUNCH");
	struct sw_buf port = SW_BUF_INIT;
	long long router_port = 0;
	size_t i;
	int ret = SW_EINVAL;

	sw_settings_release(s);
	s->from = json_object();
	if (lb && strcmp(lb, "elbv2") && strcmp(lb, "none")) {
		sw_error_code(SW_EINVAL, "SLIPWAY_LOAD_BALANCER: want elbv2 or none, not '%.40s'", lb);
		goto cleanup;
	}
	s->load_balancer = !lb || !strcmp(lb, "elbv2");
	if (launch && strcmp(launch, "ec2") && strcmp(launch, "fargate")) {
		sw_error_code(SW_EINVAL, "SLIPWAY_LAUNCH: want ec2 or fargate, not '%.40s'", launch);
		goto cleanup;
	}
	s->launch = !launch ? SW_LAUNCH_AUTO : !strcmp(launch, "fargate") ? SW_LAUNCH_FARGATE : SW_LAUNCH_EC2;
	if (launch)
		json_object_set_new(s->from, "launch", json_string("SLIPWAY_LAUNCH"));
	if (sw_env_int("SLIPWAY_ROUTER_PORT", 5481, 1, 65535, &router_port) < 0)
		goto cleanup;
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		long long v = 0;
		if (sw_env_int(ints[i].name, ints[i].dflt, ints[i].min, ints[i].max, &v) < 0)
			goto cleanup;
		*ints[i].out = (int)v;
	}
	for (i = 0; i < NSTRINGS; i++) {
		if (!strings[i].env || !sw_env_str(strings[i].env))
			continue;
		*field(s, i) = sw_env_strdup(strings[i].env, NULL);
		json_object_set_new(s->from, strings[i].key, json_string(strings[i].env));
	}
	if (check_strings(s) < 0)
		goto cleanup;
	if (s->apps_url && !strstr(s->apps_url, "{app}")) {
		sw_error_code(SW_EINVAL, "SLIPWAY_APPS_URL: must contain {app}");
		goto cleanup;
	}
	if (!s->cluster)
		s->cluster = xstrdup("default");
	if (!s->apps_domain)
		s->apps_domain = xstrdup("localhost");
	if (!s->log_group_prefix)
		s->log_group_prefix = xstrdup("/slipway/");
	if (!s->lb_role_arn)   /* the engine's account; set it on AWS */
		s->lb_role_arn = xstrdup("arn:aws:iam::000000000000:role/ecsInfrastructureRoleForLoadBalancers");
	if (!s->apps_url) {
		sw_buf_addf(&port, "%lld", router_port);
		default_url(s, "http", port.ptr);
	}
	ret = 0;
cleanup:
	if (ret < 0)
		sw_settings_release(s);
	sw_buf_release(&port);
	return ret;
}

int sw_settings_use_stack(struct sw_settings *s, const char *name, const json_t *outputs)
{
	struct sw_buf from = SW_BUF_INIT;
	const char *https = json_string_value(json_object_get(outputs, "HttpsListenerArn"));
	size_t i;
	int ret;

	sw_buf_addf(&from, "stack %s", name);
	free(s->stack);
	s->stack = xstrdup(name);
	for (i = 0; i < NSTRINGS; i++) {
		const char *v = strings[i].output ? json_string_value(json_object_get(outputs, strings[i].output)) : NULL;
		if (!v || !*v || json_object_get(s->from, strings[i].key))
			continue;
		free(*field(s, i));
		*field(s, i) = xstrdup(v);
		json_object_set_new(s->from, strings[i].key, json_string(from.ptr));
	}
	ret = check_strings(s);
	/* on a stack's load balancer the apps answer on its ports (80, 443), not the engine's router's */
	if (ret == 0 && !json_object_get(s->from, "apps_url"))
		default_url(s, https && *https ? "https" : "http", NULL);
	sw_buf_release(&from);
	return ret;
}

int sw_settings_check(const struct sw_settings *s)
{
	int cpu = 0;
	if (s->launch != SW_LAUNCH_FARGATE)
		return 0;
	if (!s->execution_role_arn)
		return sw_error_code(SW_EINVAL, "SLIPWAY_LAUNCH=fargate needs the tasks' execution role (ECR pulls, "
				     "awslogs): set SLIPWAY_EXECUTION_ROLE_ARN or SLIPWAY_STACK");
	if (s->default_memory_mb && sw_fargate_size("SLIPWAY_DEFAULT_MEMORY", s->default_memory_mb, 0, &cpu) < 0)
		return SW_EINVAL;
	return 0;
}

int sw_settings_default_memory(const struct sw_settings *s, int fargate)
{
	if (s->default_memory_mb > 0)
		return s->default_memory_mb;
	return fargate ? SW_FARGATE_DEFAULT_MEMORY_MB : 256;
}

const char *sw_settings_from(const struct sw_settings *s, const char *setting)
{
	const char *v = json_string_value(json_object_get(s->from, setting));
	return v ? v : "default";
}

void sw_settings_release(struct sw_settings *s)
{
	size_t i;
	for (i = 0; i < NSTRINGS; i++)
		free(*field(s, i));
	free(s->stack);
	json_decref(s->from);
	memset(s, 0, sizeof(*s));
}
