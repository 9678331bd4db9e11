#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli/bootstrap.h"
#include "common/aws/stack.h"
#include "common/error.h"
#include "common/json.h"
#include "common/xalloc.h"
#include "common/banned.h"

/* The template's parameters and their defaults (scripts/aws/slipway.yml; test_bootstrap.py
 * checks them against it). A new stack gets every one (a flag's value, else the default),
 * so that later updates can keep any of them with UsePreviousValue. */
static const struct {
	const char *key, *dflt;
} template_parameters[] = {
	{ "Domain", "" },
	{ "CertificateArn", "" },
	{ "PrivateSubnets", "false" },
	{ "Ec2InstanceType", "t3.small" },
	{ "Ec2Count", "0" },
	{ "Ec2ImageId", "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id" },
	{ NULL, NULL },
};

static int only(const char *s, size_t n, const char *set)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!s[i] || !strchr(set, s[i]))
			return 0;
	return 1;
}

#define LOWER_DIGITS "abcdefghijklmnopqrstuvwxyz0123456789"

/* Domain's AllowedPattern: dot-separated labels of [a-z0-9-] (1-63, no '-' at either end),
 * at least two, the last starting with a letter; 253 at most. */
static int valid_domain(const char *d)
{
	const char *p = d;
	int labels = 0;

	if (strlen(d) > 253)
		return 0;
	for (;;) {
		size_t n = strcspn(p, ".");
		if (n < 1 || n > 63 || !only(p, n, LOWER_DIGITS "-") || p[0] == '-' || p[n - 1] == '-')
			return 0;
		labels++;
		if (!p[n])
			return labels >= 2 && islower((unsigned char)p[0]);
		p += n + 1;
	}
}

/* arn:aws[a-z-]*:acm:REGION:ACCOUNT(12 digits):certificate/[0-9a-f-]+; *region_start/len: its region. */
static int valid_certificate(const char *arn, const char **region, size_t *region_len)
{
	const char *p = arn, *r, *acct, *id;
	size_t n;

	if (strncmp(p, "arn:aws", 7))
		return 0;
	p += 7;
	n = strcspn(p, ":");
	if (!only(p, n, "abcdefghijklmnopqrstuvwxyz-") || strncmp(p + n, ":acm:", 5))
		return 0;
	r = p + n + 5;
	n = strcspn(r, ":");
	if (!n || !only(r, n, LOWER_DIGITS "-") || r[n] != ':')
		return 0;
	*region = r;
	*region_len = n;
	acct = r + n + 1;
	if (strcspn(acct, ":") != 12 || !only(acct, 12, "0123456789") || strncmp(acct + 12, ":certificate/", 13))
		return 0;
	id = acct + 12 + 13;
	return *id && only(id, strlen(id), "0123456789abcdef-");
}

static int parse_ec2(struct sw_cli_bootstrap *b, const char *spec)
{
	const char *colon = strrchr(spec, ':');
	const char *type_end, *count;
	size_t tlen, dot;

	if (!colon)
		goto bad;
	tlen = (size_t)(colon - spec);
	count = colon + 1;
	type_end = memchr(spec, '.', tlen);
	dot = type_end ? (size_t)(type_end - spec) : 0;
	/* Ec2InstanceType: [a-z][a-z0-9-]*\.[a-z0-9]+ ; Ec2Count: 0 or 1-99 without a leading 0 */
	if (!tlen || !islower((unsigned char)spec[0]) || !dot || !only(spec, dot, LOWER_DIGITS "-") ||
	    dot + 1 >= tlen || !only(spec + dot + 1, tlen - dot - 1, LOWER_DIGITS))
		goto bad;
	if (!*count || strlen(count) > 2 || !only(count, strlen(count), "0123456789") ||
	    (count[0] == '0' && count[1]))
		goto bad;
	b->ec2_type = xstrndup(spec, tlen);
	b->ec2_count = xstrdup(count);
	return 0;
bad:
	return sw_error_code(SW_EINVAL, "--ec2 '%s': want TYPE:N, an EC2 instance type and a count from 0 to 99 "
			     "(e.g. t3.small:2; TYPE:0 removes the EC2 capacity)", spec);
}

int sw_cli_bootstrap_check(struct sw_cli_bootstrap *b, const char *ec2, const char *region)
{
	const char *cert_region = NULL;
	size_t cert_region_len = 0;

	if (!sw_aws_stack_name_valid(b->stack))
		return sw_error_code(SW_EINVAL, "--stack '%s': a stack name is a letter, then letters, digits and '-' "
				     "(at most 128)", b->stack);
	if (b->domain && *b->domain && !valid_domain(b->domain))
		return sw_error_code(SW_EINVAL, "--domain '%s': want a lowercase DNS name such as apps.example.com",
				     b->domain);
	if (b->certificate && *b->certificate) {
		if (!valid_certificate(b->certificate, &cert_region, &cert_region_len))
			return sw_error_code(SW_EINVAL, "--certificate '%s': want an ACM certificate ARN "
					     "(arn:aws:acm:REGION:ACCOUNT:certificate/ID)", b->certificate);
		if (region && (strlen(region) != cert_region_len || strncmp(region, cert_region, cert_region_len)))
			return sw_error_code(SW_EINVAL, "--certificate is in %.*s, the stack goes to %s: the load "
					     "balancer's certificate must be in its region", (int)cert_region_len,
					     cert_region, region);
	}
	if (ec2 && parse_ec2(b, ec2) < 0)
		return SW_EINVAL;
	return 0;
}

void sw_cli_bootstrap_release(struct sw_cli_bootstrap *b)
{
	free(b->ec2_type);
	free(b->ec2_count);
	b->ec2_type = b->ec2_count = NULL;
}

/* The flag's value for a template parameter, or NULL when no flag sets it. */
static const char *flag_value(const struct sw_cli_bootstrap *b, const char *key)
{
	if (!strcmp(key, "Domain"))
		return b->domain;
	if (!strcmp(key, "CertificateArn"))
		return b->certificate;
	if (!strcmp(key, "PrivateSubnets"))
		return b->private_subnets < 0 ? NULL : b->private_subnets ? "true" : "false";
	if (!strcmp(key, "Ec2InstanceType"))
		return b->ec2_type;
	if (!strcmp(key, "Ec2Count"))
		return b->ec2_count;
	return NULL;
}

static int stack_has(const json_t *stack, const char *key)
{
	size_t i;
	const json_t *p;
	json_array_foreach(json_object_get(stack, "Parameters"), i, p) {
		const char *k = sw_json_str(p, "ParameterKey");
		if (k && !strcmp(k, key))
			return 1;
	}
	return 0;
}

json_t *sw_cli_bootstrap_parameters(const struct sw_cli_bootstrap *b, const json_t *stack)
{
	json_t *out = json_array();
	size_t i;

	for (i = 0; template_parameters[i].key; i++) {
		const char *k = template_parameters[i].key, *v = flag_value(b, k);
		if (!v && !stack)
			v = template_parameters[i].dflt;
		if (v)
			json_array_append_new(out, json_pack("{s:s,s:s}", "ParameterKey", k, "ParameterValue", v));
		else if (stack_has(stack, k))
			json_array_append_new(out, json_pack("{s:s,s:b}", "ParameterKey", k, "UsePreviousValue", 1));
	}
	return out;
}

static void add_clean(struct sw_buf *out, const char *s)
{
	for (; *s; s++)
		sw_buf_addch(out, (unsigned char)*s < ' ' || *s == 0x7f ? ' ' : *s);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

void sw_cli_bootstrap_event_line(const json_t *e, struct sw_buf *out)
{
	const char *status = sw_json_str_or(e, "ResourceStatus", "?");
	const char *reason = sw_json_str(e, "ResourceStatusReason");

	sw_buf_addf(out, "  %-20s  %-44s  ", status, sw_json_str_or(e, "ResourceType", "?"));
	add_clean(out, sw_json_str_or(e, "LogicalResourceId", "?"));
	if (reason && *reason && (strstr(status, "FAILED") || strstr(status, "ROLLBACK_IN_PROGRESS"))) {
		sw_buf_adds(out, "  ");
		add_clean(out, reason);
	}
	sw_buf_rtrim(out);
}

int sw_cli_bootstrap_done(const char *status)
{
	return status && (ends_with(status, "_COMPLETE") || ends_with(status, "_FAILED"));
}

int sw_cli_bootstrap_succeeded(const char *status)
{
	return status && (!strcmp(status, "CREATE_COMPLETE") || !strcmp(status, "UPDATE_COMPLETE"));
}

static int cancelled(const char *reason)
{
	return reason && (strstr(reason, "cancelled") || strstr(reason, "canceled"));
}

/* The first resource (not the stack) that failed; one that was only cancelled if none else. */
static const json_t *first_failure(const json_t *events)
{
	const json_t *e, *found = NULL;
	size_t i;

	json_array_foreach(events, i, e) {
		const char *status = sw_json_str_or(e, "ResourceStatus", "");
		const char *type = sw_json_str_or(e, "ResourceType", "");
		if (!ends_with(status, "_FAILED") || !strcmp(type, "AWS::CloudFormation::Stack"))
			continue;
		if (!cancelled(sw_json_str(e, "ResourceStatusReason")))
			return e;
		if (!found)
			found = e;
	}
	return found;
}

void sw_cli_bootstrap_failure(const char *stack, const char *status, const char *stack_reason, const json_t *events,
			      struct sw_buf *out)
{
	const json_t *e = first_failure(events);
	int update = !strncmp(status, "UPDATE_", 7);

	sw_buf_addf(out, "stack %s %s: ", stack, update ? "update failed" : "failed");
	if (e) {
		add_clean(out, sw_json_str_or(e, "LogicalResourceId", "?"));
		sw_buf_addf(out, " (%s): ", sw_json_str_or(e, "ResourceType", "?"));
		add_clean(out, sw_json_str_or(e, "ResourceStatusReason", "no reason given"));
	} else {
		add_clean(out, stack_reason && *stack_reason ? stack_reason : "no reason given");
	}
	if (!strcmp(status, "ROLLBACK_COMPLETE"))
		sw_buf_addf(out, "; CloudFormation rolled it back (ROLLBACK_COMPLETE): delete it with `aws cloudformation "
			    "delete-stack --stack-name %s` and run aws:bootstrap again", stack);
	else if (!strcmp(status, "ROLLBACK_FAILED"))
		sw_buf_addf(out, "; its rollback failed too (ROLLBACK_FAILED): delete it with `aws cloudformation "
			    "delete-stack --stack-name %s` and run aws:bootstrap again", stack);
	else if (!strcmp(status, "UPDATE_ROLLBACK_COMPLETE"))
		sw_buf_adds(out, "; CloudFormation rolled it back to how it was (UPDATE_ROLLBACK_COMPLETE)");
	else if (!strcmp(status, "UPDATE_ROLLBACK_FAILED"))
		sw_buf_addf(out, "; its rollback failed too (UPDATE_ROLLBACK_FAILED): see `aws cloudformation "
			    "continue-update-rollback --stack-name %s`", stack);
	else
		sw_buf_addf(out, " (%s)", status);
}
