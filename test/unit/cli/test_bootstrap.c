/* `slipway aws:bootstrap`'s pure parts (cli/bootstrap.h): its flags as the template's
 * parameters check them, the parameters of a create and of an update, a stack event as a
 * progress line, and the one line that says why a stack failed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cli/bootstrap.h"
#include "common/error.h"
#include "common/json.h"
#include "common/banned.h"

#define CERT "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

static int check(const char *domain, const char *cert, const char *ec2, const char *region)
{
	struct sw_cli_bootstrap b = SW_CLI_BOOTSTRAP_INIT;
	int ret;
	b.domain = domain;
	b.certificate = cert;
	ret = sw_cli_bootstrap_check(&b, ec2, region);
	sw_cli_bootstrap_release(&b);
	return ret;
}

static void flags(void **state)
{
	static const char *const good_domains[] = { "", "apps.example.com", "x.y", "a-1.b-2.example", NULL };
	static const char *const bad_domains[] = { "Apps.Example.com", "-apps.example.com", "apps..example.com",
						   "apps.example.com.", "apps_example.com", "localhost", "apps.1com",
						   NULL };
	static const char *const good_ec2[] = { "t3.small:0", "t3.small:2", "m7g.large:99", "c6in.2xlarge:1", NULL };
	static const char *const bad_ec2[] = { "t3.small", "t3:2", "t3.small:100", "t3.small:01", "T3.small:1",
					       "t3.small:-1", ":2", "t3.small:", "t3.small :1", NULL };
	const char *const *s;
	struct sw_cli_bootstrap b = SW_CLI_BOOTSTRAP_INIT;

	for (s = good_domains; *s; s++)
		if (check(*s, NULL, NULL, "eu-west-1"))
			fail_msg("domain %s refused: %s", *s, sw_error_last());
	for (s = bad_domains; *s; s++) {
		assert_int_equal(check(*s, NULL, NULL, "eu-west-1"), SW_EINVAL);
		assert_non_null(strstr(sw_error_last(), "want a lowercase DNS name"));
	}
	for (s = good_ec2; *s; s++)
		if (check(NULL, NULL, *s, NULL))
			fail_msg("--ec2 %s refused: %s", *s, sw_error_last());
	for (s = bad_ec2; *s; s++)
		if (check(NULL, NULL, *s, NULL) != SW_EINVAL)
			fail_msg("--ec2 %s accepted", *s);
	assert_int_equal(check(NULL, CERT, NULL, "eu-west-1"), 0);
	assert_int_equal(check(NULL, "arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/abc-123", NULL,
			       "us-gov-west-1"), 0);
	assert_int_equal(check(NULL, "arn:aws:acm:eu-west-1:1234:certificate/abc", NULL, "eu-west-1"), SW_EINVAL);
	assert_int_equal(check(NULL, "arn:aws:iam::123456789012:server-certificate/x", NULL, "eu-west-1"), SW_EINVAL);
	assert_string_equal(sw_error_last(), "--certificate 'arn:aws:iam::123456789012:server-certificate/x': want an "
					     "ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)");
	assert_int_equal(check(NULL, "arn:aws:acm:eu-west-1:123456789012:certificate/", NULL, "eu-west-1"), SW_EINVAL);
	assert_int_equal(check(NULL, CERT, NULL, "us-east-1"), SW_EINVAL);
	assert_string_equal(sw_error_last(), "--certificate is in eu-west-1, the stack goes to us-east-1: the load "
					     "balancer's certificate must be in its region");
	b.stack = "my_stack";
	assert_int_equal(sw_cli_bootstrap_check(&b, NULL, NULL), SW_EINVAL);
	b.stack = "slipway";
	assert_int_equal(sw_cli_bootstrap_check(&b, "t3.medium:2", NULL), 0);
	assert_string_equal(b.ec2_type, "t3.medium");
	assert_string_equal(b.ec2_count, "2");
	sw_cli_bootstrap_release(&b);
}

static void parameters(void **state)
{
	struct sw_cli_bootstrap b = SW_CLI_BOOTSTRAP_INIT;
	json_t *p, *stack;
	char *text;

	/* a new stack: every parameter, the flags' values else the template's defaults */
	b.domain = "apps.example.com";
	b.private_subnets = 1;
	p = sw_cli_bootstrap_parameters(&b, NULL);
	text = json_dumps(p, JSON_COMPACT);
	assert_string_equal(text,
			    "[{\"ParameterKey\":\"Domain\",\"ParameterValue\":\"apps.example.com\"},"
			    "{\"ParameterKey\":\"CertificateArn\",\"ParameterValue\":\"\"},"
			    "{\"ParameterKey\":\"PrivateSubnets\",\"ParameterValue\":\"true\"},"
			    "{\"ParameterKey\":\"Ec2InstanceType\",\"ParameterValue\":\"t3.small\"},"
			    "{\"ParameterKey\":\"Ec2Count\",\"ParameterValue\":\"0\"},"
			    "{\"ParameterKey\":\"Ec2ImageId\",\"ParameterValue\":"
			    "\"/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id\"}]");
	free(text);
	json_decref(p);
	/* an update: what a flag sets, the rest of what the stack has kept; none it lacks */
	stack = json_loads("{\"Parameters\": [{\"ParameterKey\": \"Domain\", \"ParameterValue\": \"old.example.com\"},"
			   "{\"ParameterKey\": \"Ec2Count\", \"ParameterValue\": \"2\"},"
			   "{\"ParameterKey\": \"Retired\", \"ParameterValue\": \"x\"}]}", 0, NULL);
	b.domain = NULL;
	b.certificate = "";
	b.private_subnets = 0;
	p = sw_cli_bootstrap_parameters(&b, stack);
	text = json_dumps(p, JSON_COMPACT);
	assert_string_equal(text,
			    "[{\"ParameterKey\":\"Domain\",\"UsePreviousValue\":true},"
			    "{\"ParameterKey\":\"CertificateArn\",\"ParameterValue\":\"\"},"
			    "{\"ParameterKey\":\"PrivateSubnets\",\"ParameterValue\":\"false\"},"
			    "{\"ParameterKey\":\"Ec2Count\",\"UsePreviousValue\":true}]");
	free(text);
	json_decref(p);
	json_decref(stack);
}

static void event_lines(void **state)
{
	struct sw_buf line = SW_BUF_INIT;
	json_t *ok = json_pack("{s:s,s:s,s:s}", "ResourceStatus", "CREATE_COMPLETE", "ResourceType", "AWS::EC2::VPC",
			       "LogicalResourceId", "Vpc");
	json_t *bad = json_pack("{s:s,s:s,s:s,s:s}", "ResourceStatus", "CREATE_FAILED", "ResourceType",
				"AWS::ElasticLoadBalancingV2::Listener", "LogicalResourceId", "HttpsListener",
				"ResourceStatusReason", "Certificate not found\n(Status Code: 400)");

	sw_cli_bootstrap_event_line(ok, &line);
	assert_string_equal(line.ptr, "  CREATE_COMPLETE       AWS::EC2::VPC                                 Vpc");
	sw_buf_reset(&line);
	sw_cli_bootstrap_event_line(bad, &line);
	assert_string_equal(line.ptr, "  CREATE_FAILED         AWS::ElasticLoadBalancingV2::Listener         HttpsListener"
				      "  Certificate not found (Status Code: 400)");
	json_decref(ok);
	json_decref(bad);
	sw_buf_release(&line);
	assert_true(sw_cli_bootstrap_done("ROLLBACK_COMPLETE"));
	assert_true(sw_cli_bootstrap_done("UPDATE_ROLLBACK_FAILED"));
	assert_false(sw_cli_bootstrap_done("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"));
	assert_true(sw_cli_bootstrap_succeeded("UPDATE_COMPLETE"));
	assert_false(sw_cli_bootstrap_succeeded("UPDATE_ROLLBACK_COMPLETE"));
}

static void failure_lines(void **state)
{
	struct sw_buf out = SW_BUF_INIT;
	json_t *events = json_loads(
		"[{\"LogicalResourceId\": \"slipway\", \"ResourceType\": \"AWS::CloudFormation::Stack\","
		"  \"ResourceStatus\": \"CREATE_IN_PROGRESS\", \"ResourceStatusReason\": \"User Initiated\"},"
		" {\"LogicalResourceId\": \"Cluster\", \"ResourceType\": \"AWS::ECS::Cluster\","
		"  \"ResourceStatus\": \"CREATE_FAILED\", \"ResourceStatusReason\": \"Resource creation cancelled\"},"
		" {\"LogicalResourceId\": \"Listener\", \"ResourceType\": \"AWS::ElasticLoadBalancingV2::Listener\","
		"  \"ResourceStatus\": \"CREATE_FAILED\", \"ResourceStatusReason\": \"Certificate not found\"},"
		" {\"LogicalResourceId\": \"slipway\", \"ResourceType\": \"AWS::CloudFormation::Stack\","
		"  \"ResourceStatus\": \"ROLLBACK_COMPLETE\"}]", 0, NULL);

	sw_cli_bootstrap_failure("slipway", "ROLLBACK_COMPLETE", NULL, events, &out);
	assert_string_equal(out.ptr, "stack slipway failed: Listener (AWS::ElasticLoadBalancingV2::Listener): Certificate "
				     "not found; CloudFormation rolled it back (ROLLBACK_COMPLETE): delete it with `aws "
				     "cloudformation delete-stack --stack-name slipway` and run aws:bootstrap again");
	sw_buf_reset(&out);
	sw_cli_bootstrap_failure("slipway", "UPDATE_ROLLBACK_COMPLETE", NULL, events, &out);
	assert_string_equal(out.ptr, "stack slipway update failed: Listener (AWS::ElasticLoadBalancingV2::Listener): "
				     "Certificate not found; CloudFormation rolled it back to how it was "
				     "(UPDATE_ROLLBACK_COMPLETE)");
	/* only cancelled resources: the first of them; none at all: the stack's own reason */
	json_array_remove(events, 2);
	sw_buf_reset(&out);
	sw_cli_bootstrap_failure("slipway", "ROLLBACK_FAILED", NULL, events, &out);
	assert_non_null(strstr(out.ptr, "failed: Cluster (AWS::ECS::Cluster): Resource creation cancelled; its rollback "
					"failed too (ROLLBACK_FAILED)"));
	json_array_clear(events);
	sw_buf_reset(&out);
	sw_cli_bootstrap_failure("slipway", "UPDATE_ROLLBACK_FAILED", "Role x is invalid", events, &out);
	assert_string_equal(out.ptr, "stack slipway update failed: Role x is invalid; its rollback failed too "
				     "(UPDATE_ROLLBACK_FAILED): see `aws cloudformation continue-update-rollback "
				     "--stack-name slipway`");
	json_decref(events);
	sw_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(flags),
		cmocka_unit_test(parameters),
		cmocka_unit_test(event_lines),
		cmocka_unit_test(failure_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
