/* The bootstrap stack as slipwayd reads it (common/aws/stack.h): a DescribeStacks answer
 * as CloudFormation writes it, decoded through the CloudFormation model, into outputs or
 * a one-line refusal; the record aws:bootstrap leaves for slipwayd. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/aws/query.h"
#include "common/aws/stack.h"
#include "common/error.h"
#include "common/json.h"
#include "common/banned.h"

/* A DescribeStacks answer in CloudFormation's XML (the shape of its API reference's example). */
static json_t *answer(const char *status, const char *reason)
{
	char xml[4096];
	json_t *j = NULL;
	snprintf(xml, sizeof(xml),
		 "<DescribeStacksResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">"
		 "<DescribeStacksResult><Stacks><member>"
		 "<StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/slipway/4e2d3c1b</StackId>"
		 "<StackName>slipway</StackName><CreationTime>2026-01-01T10:00:00.000Z</CreationTime>"
		 "<StackStatus>%s</StackStatus>%s%s%s"
		 "<Parameters><member><ParameterKey>Domain</ParameterKey><ParameterValue>apps.example.com"
		 "</ParameterValue></member></Parameters>"
		 "<Capabilities><member>CAPABILITY_IAM</member></Capabilities>"
		 "<Outputs>"
		 "<member><OutputKey>Cluster</OutputKey><OutputValue>slipway</OutputValue>"
		 "<Description>the ECS cluster</Description></member>"
		 "<member><OutputKey>Subnets</OutputKey><OutputValue>subnet-1,subnet-2</OutputValue></member>"
		 "</Outputs></member></Stacks></DescribeStacksResult>"
		 "<ResponseMetadata><RequestId>b9b4b068-3a41-11e5-94eb-example</RequestId></ResponseMetadata>"
		 "</DescribeStacksResponse>",
		 status, reason ? "<StackStatusReason>" : "", reason ? reason : "", reason ? "</StackStatusReason>" : "");
	assert_int_equal(sw_aws_query_decode(&j, &sw_aws_cloudformation_model, "DescribeStacks", xml, strlen(xml), NULL),
			 0);
	return j;
}

static void outputs_of_a_usable_stack(void **state)
{
	static const char *const usable[] = { "CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE",
					      "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", NULL };
	const char *const *s;
	for (s = usable; *s; s++) {
		json_t *a = answer(*s, NULL), *out = NULL;
		assert_int_equal(sw_aws_stack_outputs_from(a, "slipway", "eu-west-1", &out), 0);
		assert_int_equal(json_object_size(out), 2);
		assert_string_equal(sw_json_str(out, "Cluster"), "slipway");
		assert_string_equal(sw_json_str(out, "Subnets"), "subnet-1,subnet-2");
		json_decref(out);
		json_decref(a);
	}
}

static void refusals(void **state)
{
	static const char *const cases[][3] = {
		{ "ROLLBACK_COMPLETE", NULL,
		  "CloudFormation stack 'slipway' is ROLLBACK_COMPLETE: its creation failed and CloudFormation rolled it "
		  "back; delete it with `aws cloudformation delete-stack --stack-name slipway` and run slipway "
		  "aws:bootstrap again" },
		{ "UPDATE_ROLLBACK_FAILED", "Resource Listener failed to roll back",
		  "CloudFormation stack 'slipway' is UPDATE_ROLLBACK_FAILED: Resource Listener failed to roll back" },
		{ "CREATE_FAILED", NULL, "CloudFormation stack 'slipway' is CREATE_FAILED" },
		{ "CREATE_IN_PROGRESS", NULL,
		  "CloudFormation stack 'slipway' is CREATE_IN_PROGRESS: wait until it is done (aws cloudformation "
		  "describe-stacks --stack-name slipway)" },
		{ "ROLLBACK_IN_PROGRESS", NULL,
		  "CloudFormation stack 'slipway' is ROLLBACK_IN_PROGRESS: wait until it is done (aws cloudformation "
		  "describe-stacks --stack-name slipway)" },
		{ "DELETE_IN_PROGRESS", NULL,
		  "CloudFormation stack 'slipway' is DELETE_IN_PROGRESS: it is being deleted or is gone" },
	};
	size_t i;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *a = answer(cases[i][0], cases[i][1]), *out = NULL;
		assert_int_equal(sw_aws_stack_outputs_from(a, "slipway", "eu-west-1", &out), SW_ERROR);
		assert_null(out);
		assert_string_equal(sw_error_last(), cases[i][2]);
		json_decref(a);
	}
	{
		json_t *a = answer("CREATE_COMPLETE", NULL), *out = NULL;
		assert_int_equal(sw_aws_stack_outputs_from(a, "other", "eu-west-1", &out), SW_ENOTFOUND);
		assert_string_equal(sw_error_last(), "CloudFormation stack 'other' not found in eu-west-1: create it with "
						     "`slipway aws:bootstrap --stack other`");
		json_decref(a);
	}
}

static void names(void **state)
{
	assert_true(sw_aws_stack_name_valid("slipway"));
	assert_true(sw_aws_stack_name_valid("Slipway-2"));
	assert_false(sw_aws_stack_name_valid(""));
	assert_false(sw_aws_stack_name_valid("2slipway"));
	assert_false(sw_aws_stack_name_valid("slip_way"));
	assert_false(sw_aws_stack_name_valid("slip way"));
	assert_false(sw_aws_stack_name_valid(NULL));
	{
		char longest[130];
		memset(longest, 'a', 128);
		longest[128] = '\0';
		assert_true(sw_aws_stack_name_valid(longest));
		longest[128] = 'a';
		longest[129] = '\0';
		assert_false(sw_aws_stack_name_valid(longest));
	}
}

static void record(void **state)
{
	char dir[] = "/tmp/sw-aws-stack-XXXXXX";
	struct sw_buf home = SW_BUF_INIT, path = SW_BUF_INIT;
	char *name = NULL, *region = NULL;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	sw_buf_addf(&home, "%s/home", dir);
	assert_int_equal(sw_aws_stack_record_read(home.ptr, &name, &region), SW_ENOTFOUND);
	assert_int_equal(sw_aws_stack_record_write(home.ptr, "slipway-prod", "eu-west-1"), 0);
	assert_int_equal(sw_aws_stack_record_read(home.ptr, &name, &region), 0);
	assert_string_equal(name, "slipway-prod");
	assert_string_equal(region, "eu-west-1");
	free(name);
	free(region);
	assert_int_equal(sw_aws_stack_record_write(home.ptr, "bad name", "eu-west-1"), SW_EINVAL);
	sw_aws_stack_record_path(home.ptr, &path);
	f = fopen(path.ptr, "w");
	fputs("SLIPWAY_STACK=x;rm\n", f);
	fclose(f);
	assert_int_equal(sw_aws_stack_record_read(home.ptr, &name, &region), SW_EINVAL);
	assert_null(name);
	unlink(path.ptr);
	sw_buf_reset(&path);
	sw_buf_addf(&path, "%s/aws", home.ptr);
	rmdir(path.ptr);
	rmdir(home.ptr);
	rmdir(dir);
	sw_buf_release(&home);
	sw_buf_release(&path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(outputs_of_a_usable_stack),
		cmocka_unit_test(refusals),
		cmocka_unit_test(names),
		cmocka_unit_test(record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
