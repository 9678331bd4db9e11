/* Region and endpoint resolution, in the SDKs' order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/aws/endpoint.h"
#include "common/aws/profile.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/banned.h"

static char dir[] = "/tmp/sw-aws-endpoint-XXXXXX";
static struct sw_buf conf = SW_BUF_INIT;

static void write_config(const char *text)
{
	FILE *f = fopen(conf.ptr, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void clean_env(void)
{
	static const char *const vars[] = {
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL",
		"AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2",
		"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", NULL,
	};
	const char *const *v;
	for (v = vars; *v; v++)
		unsetenv(*v);
	setenv("AWS_CONFIG_FILE", conf.ptr, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
}

static int setup(void **state)
{
	assert_non_null(mkdtemp(dir));
	sw_buf_addf(&conf, "%s/config", dir);
	return 0;
}

static int teardown(void **state)
{
	unlink(conf.ptr);
	rmdir(dir);
	sw_buf_release(&conf);
	return 0;
}

static void services_table(void **state)
{
	const struct sw_aws_service *s = sw_aws_service_find("elbv2");
	assert_non_null(s);
	assert_string_equal(s->signing_name, "elasticloadbalancing");
	assert_int_equal(s->protocol, SW_AWS_QUERY);
	assert_string_equal(s->api_version, "2015-12-01");
	s = sw_aws_service_find("ecr");
	assert_string_equal(s->endpoint_prefix, "api.ecr");
	assert_string_equal(s->signing_name, "ecr");
	assert_string_equal(s->target_prefix, "AmazonEC2ContainerRegistry_V20150921");
	s = sw_aws_service_find("logs");
	assert_string_equal(s->env_suffix, "CLOUDWATCH_LOGS");
	assert_string_equal(s->target_prefix, "Logs_20140328");
	assert_string_equal(sw_aws_service_find("ecs")->target_prefix, "AmazonEC2ContainerServiceV20141113");
	assert_null(sw_aws_service_find("s3"));
	assert_null(sw_aws_service_find(NULL));
}

static void region_order(void **state)
{
	struct sw_aws_profile p;
	struct sw_buf r = SW_BUF_INIT;

	clean_env();
	write_config("[default]\nregion = eu-central-1\n[profile other]\nregion = ap-south-1\n");
	assert_int_equal(sw_aws_profile_load(&p, NULL), 0);
	assert_int_equal(sw_aws_region_resolve(&r, &p), 0);
	assert_string_equal(r.ptr, "eu-central-1");
	sw_buf_reset(&r);
	setenv("AWS_DEFAULT_REGION", "us-west-1", 1);
	assert_int_equal(sw_aws_region_resolve(&r, &p), 0);
	assert_string_equal(r.ptr, "us-west-1");
	sw_buf_reset(&r);
	setenv("AWS_REGION", "us-east-2", 1);
	assert_int_equal(sw_aws_region_resolve(&r, &p), 0);
	assert_string_equal(r.ptr, "us-east-2");
	sw_buf_reset(&r);
	setenv("AWS_REGION", "us-east-1.evil.com/", 1);
	assert_int_equal(sw_aws_region_resolve(&r, &p), SW_EINVAL);
	sw_aws_profile_release(&p);

	clean_env();
	write_config("[default]\n");
	assert_int_equal(sw_aws_profile_load(&p, NULL), 0);
	assert_int_equal(sw_aws_region_resolve(&r, &p), SW_ENOTFOUND);
	assert_non_null(strstr(sw_error_last(), "no AWS region: set AWS_REGION"));
	sw_aws_profile_release(&p);
	sw_buf_release(&r);
}

static void check(const char *service, const char *url, const char *host, const char *path, const char *source)
{
	struct sw_aws_profile p;
	struct sw_aws_endpoint e;
	assert_int_equal(sw_aws_profile_load(&p, NULL), 0);
	if (sw_aws_endpoint_resolve(&e, sw_aws_service_find(service), "us-east-1", &p, NULL) < 0)
		fail_msg("%s: %s", service, sw_error_last());
	assert_string_equal(e.url, url);
	assert_string_equal(e.host, host);
	assert_string_equal(e.path, path);
	assert_string_equal(e.source, source);
	sw_aws_endpoint_release(&e);
	sw_aws_profile_release(&p);
}

static void endpoint_order(void **state)
{
	clean_env();
	write_config("[default]\nendpoint_url = http://profile-global:1\nservices = s\n"
		     "[services s]\necs =\n  endpoint_url = http://services-ecs:2/\n"
		     "cloudwatch_logs =\n  endpoint_url = https://services-logs:443/p\n");
	/* 3. services section, 4. profile endpoint_url */
	check("ecs", "http://services-ecs:2", "services-ecs:2", "/", "services section");
	check("logs", "https://services-logs:443/p", "services-logs", "/p", "services section");
	check("ecr", "http://profile-global:1", "profile-global:1", "/", "profile endpoint_url");
	/* 2. AWS_ENDPOINT_URL beats the config file */
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5482", 1);
	check("ecs", "http://127.0.0.1:5482", "127.0.0.1:5482", "/", "AWS_ENDPOINT_URL");
	/* 1. the service's own variable beats everything */
	setenv("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", "http://LOCALHOST:80/", 1);
	check("elbv2", "http://LOCALHOST:80", "localhost", "/", "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2");
	setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://logs.local:9000", 1);
	check("logs", "http://logs.local:9000", "logs.local:9000", "/", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS");
	check("ecs", "http://127.0.0.1:5482", "127.0.0.1:5482", "/", "AWS_ENDPOINT_URL");
	/* ignore_configured_endpoint_urls: all of it is skipped */
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	check("ecs", "https://ecs.us-east-1.amazonaws.com", "ecs.us-east-1.amazonaws.com", "/", "default");
	check("ecr", "https://api.ecr.us-east-1.amazonaws.com", "api.ecr.us-east-1.amazonaws.com", "/", "default");
	check("elbv2", "https://elasticloadbalancing.us-east-1.amazonaws.com",
	      "elasticloadbalancing.us-east-1.amazonaws.com", "/", "default");
	check("logs", "https://logs.us-east-1.amazonaws.com", "logs.us-east-1.amazonaws.com", "/", "default");
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	write_config("[default]\nignore_configured_endpoint_urls = true\n");
	check("ecs", "https://ecs.us-east-1.amazonaws.com", "ecs.us-east-1.amazonaws.com", "/", "default");
}

static void endpoint_errors_and_defaults(void **state)
{
	struct sw_aws_endpoint e;
	struct sw_aws_profile p;

	clean_env();
	write_config("[default]\nservices = missing\n");
	assert_int_equal(sw_aws_profile_load(&p, NULL), 0);
	assert_int_equal(sw_aws_endpoint_resolve(&e, sw_aws_service_find("ecs"), "us-east-1", &p, NULL), SW_EINVAL);
	assert_non_null(strstr(sw_error_last(), "services section 'missing', which does not exist"));
	sw_aws_profile_release(&p);

	clean_env();
	write_config("[default]\n");
	setenv("AWS_ENDPOINT_URL_ECS", "ftp://x", 1);
	assert_int_equal(sw_aws_endpoint_resolve(&e, sw_aws_service_find("ecs"), "us-east-1", NULL, NULL), SW_EINVAL);
	assert_string_equal(sw_error_last(), "endpoint from AWS_ENDPOINT_URL_ECS: 'ftp://x' is not an http:// or https:// URL");
	setenv("AWS_ENDPOINT_URL_ECS", "http://a b", 1);
	assert_int_equal(sw_aws_endpoint_resolve(&e, sw_aws_service_find("ecs"), "us-east-1", NULL, NULL), SW_EINVAL);
	setenv("AWS_ENDPOINT_URL_ECS", "http://user@host/", 1);
	assert_int_equal(sw_aws_endpoint_resolve(&e, sw_aws_service_find("ecs"), "us-east-1", NULL, NULL), SW_EINVAL);
	/* an explicit URL wins over the bad variable */
	assert_int_equal(sw_aws_endpoint_resolve(&e, sw_aws_service_find("ecs"), "us-east-1", NULL,
						 "https://[::1]:8443/x/"), 0);
	assert_string_equal(e.host, "[::1]:8443");
	assert_string_equal(e.path, "/x");
	assert_string_equal(e.source, "explicit");
	sw_aws_endpoint_release(&e);
	unsetenv("AWS_ENDPOINT_URL_ECS");

	assert_int_equal(sw_aws_endpoint_resolve(&e, sw_aws_service_find("ecr"), "cn-north-1", NULL, NULL), 0);
	assert_string_equal(e.url, "https://api.ecr.cn-north-1.amazonaws.com.cn");
	sw_aws_endpoint_release(&e);
	assert_int_equal(sw_aws_endpoint_resolve(&e, sw_aws_service_find("ecr"), NULL, NULL, NULL), SW_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(services_table),
		cmocka_unit_test(region_order),
		cmocka_unit_test(endpoint_order),
		cmocka_unit_test(endpoint_errors_and_defaults),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
