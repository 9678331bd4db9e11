#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "engine/api/shape.h"
#include "common/error.h"
#include "common/banned.h"

static int check(const char *table_op, const char *json, const char **why_out)
{
	static struct sw_buf why = SW_BUF_INIT;
	const struct sw_aws_shape *s = sw_aws_model_input(&sw_aws_ecs_model, table_op);
	json_t *doc = json_loads(json, 0, NULL);
	int ret;
	assert_non_null(s);
	assert_non_null(doc);
	sw_buf_reset(&why);
	ret = sw_engine_api_shape_validate(&sw_aws_ecs_model, s, doc, &why);
	json_decref(doc);
	*why_out = why.ptr;
	return ret;
}

static void required_members(void **state)
{
	const char *why;
	assert_int_equal(check("CreateService", "{}", &why), SW_EINVAL);
	assert_string_equal(why, "1 validation error detected: Value null at 'serviceName' failed to satisfy "
				 "constraint: Member must not be null");
	assert_int_equal(check("CreateService", "{\"serviceName\":\"web\"}", &why), 0);
	assert_int_equal(check("RegisterTaskDefinition", "{\"family\":\"f\",\"containerDefinitions\":"
			       "[{\"name\":\"a\",\"healthCheck\":{}}]}", &why), SW_EINVAL);
	assert_non_null(strstr(why, "'containerDefinitions.1.member.healthCheck.command'"));
}

static void types(void **state)
{
	const char *why;
	assert_int_equal(check("CreateService", "{\"serviceName\":\"web\",\"desiredCount\":\"2\"}", &why), SW_EINVAL);
	assert_non_null(strstr(why, "'desiredCount'"));
	assert_non_null(strstr(why, "Member must be an integer"));
	assert_int_equal(check("CreateService", "{\"serviceName\":1}", &why), SW_EINVAL);
	assert_int_equal(check("UpdateService", "{\"service\":\"s\",\"forceNewDeployment\":\"yes\"}", &why), SW_EINVAL);
	assert_non_null(strstr(why, "boolean"));
	assert_int_equal(check("DescribeServices", "{\"services\":\"web\"}", &why), SW_EINVAL);
	assert_non_null(strstr(why, "a list"));
	assert_int_equal(check("DescribeServices", "{\"services\":[\"web\", 3]}", &why), SW_EINVAL);
	assert_non_null(strstr(why, "'services.2.member'"));
	assert_int_equal(check("CreateService", "{\"serviceName\":\"web\",\"desiredCount\":99999999999}", &why),
			 SW_EINVAL);
}

static void enums_and_unknown_members(void **state)
{
	const char *why;
	assert_int_equal(check("ListTasks", "{\"desiredStatus\":\"GONE\"}", &why), SW_EINVAL);
	assert_non_null(strstr(why, "enum value set: [RUNNING, PENDING, STOPPED]"));
	assert_int_equal(check("ListTasks", "{\"desiredStatus\":\"STOPPED\",\"somethingNew\":1}", &why), 0);
	assert_null(sw_aws_model_input(&sw_aws_ecs_model, "NoSuchOperation"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(required_members),
		cmocka_unit_test(types),
		cmocka_unit_test(enums_and_unknown_members),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
