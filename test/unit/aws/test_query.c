/*
 * The AWS Query protocol against ELBv2's botocore model, both directions: parameters to a
 * form and back, a result to XML and back, errors; values typed by the model, percent- and
 * '+'-decoding of forms, and what is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/aws/models.h"
#include "common/aws/query.h"
#include "common/error.h"
#include "common/banned.h"

static const struct sw_aws_model *elbv2 = &sw_aws_elbv2_model;

static void assert_json_equal(const json_t *got, const char *want_text)
{
	json_t *want = json_loads(want_text, 0, NULL);
	char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS), *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(want);
	if (!json_equal(got, want))
		fail_msg("got %s, want %s", g, w);
	free(g);
	free(w);
	json_decref(want);
}

/* Client parameters become a form the server side reads back the same, typed by the model. */
static void params_round_trip(void **state)
{
	const char *in = "{\"Names\": [\"sw-hello\", \"a b&c=d\"], \"PageSize\": 20, \"Marker\": \"x+/=\"}";
	json_t *params = json_loads(in, 0, NULL), *back = NULL;
	struct sw_buf form = SW_BUF_INIT;
	char *action = NULL;
	(void)state;

	assert_int_equal(sw_aws_query_encode(&form, elbv2, "DescribeTargetGroups", params), 0);
	assert_non_null(strstr(form.ptr, "Action=DescribeTargetGroups"));
	assert_non_null(strstr(form.ptr, "Version=2015-12-01"));
	assert_non_null(strstr(form.ptr, "Names.member.1=sw-hello"));
	assert_non_null(strstr(form.ptr, "Names.member.2=a%20b%26c%3Dd"));
	assert_non_null(strstr(form.ptr, "PageSize=20"));
	assert_int_equal(sw_aws_query_parse_params(&action, &back, elbv2, form.ptr, form.len), 0);
	assert_string_equal(action, "DescribeTargetGroups");
	assert_json_equal(back, in);
	free(action);
	json_decref(back);
	json_decref(params);
	sw_buf_release(&form);
}

/* A form as a browser or curl writes it: '+' is a space, %XX a byte, a lone '%' itself. */
static void forms_decoded(void **state)
{
	const char *body = "Action=DescribeTargetGroups&Version=2015-12-01&Names.member.1=a+b%2Bc&"
			   "Names.member.2=100%&Marker=%7e%41";
	json_t *params = NULL;
	char *action = NULL;
	(void)state;

	assert_int_equal(sw_aws_query_parse_params(&action, &params, elbv2, body, strlen(body)), 0);
	assert_json_equal(params, "{\"Names\": [\"a b+c\", \"100%\"], \"Marker\": \"~A\"}");
	free(action);
	json_decref(params);
}

static void bad_requests_refused(void **state)
{
	static const struct {
		const char *body;
		int code;
		const char *says;
	} bad[] = {
		{ "Action=DescribeTargetGroups&Version=2015-12-01&PageSize=many", SW_EINVAL,
		  "Value 'many' at 'PageSize' failed to satisfy constraint: Member must be" },
		{ "Action=DescribeTargetGroups&Version=2015-12-01&Colour=red", SW_EINVAL, "Colour" },
		{ "Version=2015-12-01", SW_ENOTFOUND, "no Action in the request" },
		{ "Action=LaunchRockets&Version=2015-12-01", SW_ENOTFOUND, "Could not find operation LaunchRockets" },
	};
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *params = NULL;
		char *action = NULL;
		if (sw_aws_query_parse_params(&action, &params, elbv2, bad[i].body, strlen(bad[i].body)) != bad[i].code)
			fail_msg("%s: not refused with %d (%s)", bad[i].body, bad[i].code, sw_error_last());
		if (!strstr(sw_error_last(), bad[i].says))
			fail_msg("%s: said '%s'", bad[i].body, sw_error_last());
		assert_null(action);
		assert_null(params);
	}
}

/* The engine's XML answer reads back as the result it rendered, integers and booleans typed. */
static void results_round_trip(void **state)
{
	const char *result = "{\"TargetGroups\": [{\"TargetGroupArn\": \"arn:aws:elasticloadbalancing:tg/sw-hello\","
			     " \"TargetGroupName\": \"sw-hello\", \"Port\": 8080, \"HealthCheckEnabled\": true,"
			     " \"HealthCheckPath\": \"/check?a=1&b=<2>\", \"LoadBalancerArns\": [\"lb-1\", \"lb-2\"]}],"
			     " \"NextMarker\": \"m2\"}";
	json_t *in = json_loads(result, 0, NULL), *out = NULL;
	struct sw_buf xml = SW_BUF_INIT, rid = SW_BUF_INIT, code = SW_BUF_INIT, msg = SW_BUF_INIT;
	(void)state;

	assert_int_equal(sw_aws_query_render(&xml, elbv2, "DescribeTargetGroups", in, "req-1"), 0);
	assert_non_null(strstr(xml.ptr, "<DescribeTargetGroupsResult>"));
	assert_non_null(strstr(xml.ptr, "/check?a=1&amp;b=&lt;2&gt;"));
	assert_int_equal(sw_aws_query_decode(&out, elbv2, "DescribeTargetGroups", xml.ptr, xml.len, &rid), 0);
	assert_json_equal(out, result);
	assert_string_equal(rid.ptr, "req-1");
	json_decref(out);

	sw_buf_reset(&xml);
	sw_buf_reset(&rid);
	sw_aws_query_render_error(&xml, elbv2, "Sender", "TargetGroupNotFound", "One or more target groups not found",
				  "req-2");
	assert_int_equal(sw_aws_query_decode_error(xml.ptr, xml.len, &code, &msg, &rid), 0);
	assert_string_equal(code.ptr, "TargetGroupNotFound");
	assert_string_equal(msg.ptr, "One or more target groups not found");
	assert_string_equal(rid.ptr, "req-2");
	assert_int_equal(sw_aws_query_decode_error("<nope/>", 7, &code, NULL, NULL), SW_ERROR);

	json_decref(in);
	sw_buf_release(&xml);
	sw_buf_release(&rid);
	sw_buf_release(&code);
	sw_buf_release(&msg);
}

/* An answer whose integer is not one is refused, not read as 0. */
static void badly_typed_answer_refused(void **state)
{
	const char *xml = "<DescribeTargetGroupsResponse><DescribeTargetGroupsResult><TargetGroups><member>"
			  "<Port>eighty</Port></member></TargetGroups></DescribeTargetGroupsResult>"
			  "</DescribeTargetGroupsResponse>";
	json_t *out = NULL;
	(void)state;

	assert_int_equal(sw_aws_query_decode(&out, elbv2, "DescribeTargetGroups", xml, strlen(xml), NULL), SW_ERROR);
	assert_non_null(strstr(sw_error_last(), "<Port> holds 'eighty', not "));
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(params_round_trip),
		cmocka_unit_test(forms_decoded),
		cmocka_unit_test(bad_requests_refused),
		cmocka_unit_test(results_round_trip),
		cmocka_unit_test(badly_typed_answer_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
