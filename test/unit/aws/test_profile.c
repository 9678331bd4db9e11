/* The shared config/credentials files: INI rules as botocore's configparser, profiles,
 * [services x] sections with nested keys, and the errors a bad file gets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/aws/profile.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/banned.h"

static void parse_rules(void **state)
{
	static const char text[] =
		"# comment\n"
		"; another\n"
		"[default]\n"
		"Region = us-east-1\n"
		"aws_access_key_id=AKIA1\n"
		"  # indented comment\n"
		"colon: value with ; not a comment  \n"
		"\n"
		"[profile dev]\r\n"
		"region = eu-west-1\r\n"
		"services = local\n"
		"s3 =\n"
		"  addressing_style = path\n"
		"  signature_version = s3v4\n"
		"multi = first\n"
		"    second\n"
		"[services local]\n"
		"ecs =\n"
		"  endpoint_url = http://127.0.0.1:5482\n"
		"elastic_load_balancing_v2 =\n"
		"\tendpoint_url = http://127.0.0.1:5483/elb\n";
	struct sw_aws_ini ini = SW_AWS_INI_INIT;

	assert_int_equal(sw_aws_ini_parse(&ini, text, strlen(text), "config"), 0);
	assert_string_equal(sw_aws_ini_get(&ini, "default", "region"), "us-east-1");
	assert_string_equal(sw_aws_ini_get(&ini, "default", "aws_access_key_id"), "AKIA1");
	assert_string_equal(sw_aws_ini_get(&ini, "default", "colon"), "value with ; not a comment");
	assert_string_equal(sw_aws_ini_get(&ini, "profile dev", "region"), "eu-west-1");
	assert_string_equal(sw_aws_ini_get(&ini, "profile dev", "s3.addressing_style"), "path");
	assert_string_equal(sw_aws_ini_get(&ini, "profile dev", "s3.signature_version"), "s3v4");
	assert_string_equal(sw_aws_ini_get(&ini, "profile dev", "multi"), "first\nsecond");
	assert_string_equal(sw_aws_ini_get(&ini, "services local", "ecs.endpoint_url"), "http://127.0.0.1:5482");
	assert_string_equal(sw_aws_ini_get(&ini, "services local", "elastic_load_balancing_v2.endpoint_url"),
			    "http://127.0.0.1:5483/elb");
	assert_null(sw_aws_ini_get(&ini, "default", "Region"));
	assert_null(sw_aws_ini_get(&ini, "nope", "region"));
	assert_true(sw_aws_ini_has_section(&ini, "services local"));
	assert_false(sw_aws_ini_has_section(&ini, "profile prod"));
	sw_aws_ini_release(&ini);
}

static void parse_errors(void **state)
{
	struct sw_aws_ini ini = SW_AWS_INI_INIT;
	const char *t;

	t = "region = x\n";
	assert_int_equal(sw_aws_ini_parse(&ini, t, strlen(t), "cfg"), SW_EINVAL);
	assert_string_equal(sw_error_last(), "cfg:1: a line before the first [section]");
	sw_aws_ini_release(&ini);

	t = "[default]\nregion = a\njunk line\n";
	assert_int_equal(sw_aws_ini_parse(&ini, t, strlen(t), "cfg"), SW_EINVAL);
	assert_string_equal(sw_error_last(), "cfg:3: not a [section], 'key = value' or comment");
	sw_aws_ini_release(&ini);

	t = "[default]\n[default]\n";
	assert_int_equal(sw_aws_ini_parse(&ini, t, strlen(t), "cfg"), SW_EINVAL);
	assert_string_equal(sw_error_last(), "cfg:2: section [default] already exists");
	sw_aws_ini_release(&ini);

	t = "[default]\nregion = a\nREGION = b\n";
	assert_int_equal(sw_aws_ini_parse(&ini, t, strlen(t), "cfg"), SW_EINVAL);
	assert_string_equal(sw_error_last(), "cfg:3: option 'region' in section [default] already exists");
	sw_aws_ini_release(&ini);

	t = "[default\n";
	assert_int_equal(sw_aws_ini_parse(&ini, t, strlen(t), "cfg"), SW_EINVAL);
	sw_aws_ini_release(&ini);

	t = "[default]\ns3 =\n  novalue\n";
	assert_int_equal(sw_aws_ini_parse(&ini, t, strlen(t), "cfg"), SW_EINVAL);
	assert_string_equal(sw_error_last(), "cfg:2: nested line of 's3' is not 'key = value'");
	sw_aws_ini_release(&ini);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void profiles_from_files(void **state)
{
	char dir[] = "/tmp/sw-aws-profile-XXXXXX";
	struct sw_buf cred = SW_BUF_INIT, conf = SW_BUF_INIT;
	struct sw_aws_profile p;

	assert_non_null(mkdtemp(dir));
	sw_buf_addf(&cred, "%s/credentials", dir);
	sw_buf_addf(&conf, "%s/config", dir);
	write_file(cred.ptr, "[default]\naws_access_key_id = AKIADEF\n[dev]\naws_access_key_id = AKIADEV\n");
	write_file(conf.ptr, "[default]\nregion = us-east-1\n[profile default]\nregion = us-west-2\n"
			     "[profile dev]\nregion = eu-west-1\nservices = loc\n"
			     "[services loc]\necs =\n  endpoint_url = http://127.0.0.1:9\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", cred.ptr, 1);
	setenv("AWS_CONFIG_FILE", conf.ptr, 1);
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_DEFAULT_PROFILE");

	assert_int_equal(sw_aws_profile_load(&p, NULL), 0);
	assert_string_equal(p.name, "default");
	assert_int_equal(p.explicit_name, 0);
	/* [profile default] wins over [default] */
	assert_string_equal(sw_aws_profile_get(&p, "region"), "us-west-2");
	assert_string_equal(sw_aws_profile_credential(&p, "aws_access_key_id"), "AKIADEF");
	assert_null(sw_aws_profile_service_get(&p, "ecs", "endpoint_url"));
	sw_aws_profile_release(&p);

	setenv("AWS_PROFILE", "dev", 1);
	assert_int_equal(sw_aws_profile_load(&p, NULL), 0);
	assert_string_equal(p.name, "dev");
	assert_int_equal(p.explicit_name, 1);
	assert_true(sw_aws_profile_exists(&p));
	assert_string_equal(sw_aws_profile_get(&p, "region"), "eu-west-1");
	assert_string_equal(sw_aws_profile_credential(&p, "aws_access_key_id"), "AKIADEV");
	assert_string_equal(sw_aws_profile_service_get(&p, "ecs", "endpoint_url"), "http://127.0.0.1:9");
	sw_aws_profile_release(&p);

	/* the name passed in beats $AWS_PROFILE; a missing profile loads, and says so */
	assert_int_equal(sw_aws_profile_load(&p, "prod"), 0);
	assert_false(sw_aws_profile_exists(&p));
	assert_null(sw_aws_profile_get(&p, "region"));
	sw_aws_profile_release(&p);

	/* a malformed file is an error naming it and the line */
	write_file(conf.ptr, "[profile dev]\nregion\n");
	assert_int_equal(sw_aws_profile_load(&p, NULL), SW_EINVAL);
	assert_non_null(strstr(sw_error_last(), "/config:2: "));
	sw_aws_profile_release(&p);

	/* missing files are fine */
	setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
	assert_int_equal(sw_aws_profile_load(&p, NULL), 0);
	assert_false(sw_aws_profile_exists(&p));
	sw_aws_profile_release(&p);

	unlink(cred.ptr);
	unlink(conf.ptr);
	rmdir(dir);
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_CONFIG_FILE");
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	sw_buf_release(&cred);
	sw_buf_release(&conf);
}

static void home_expansion(void **state)
{
	char *s;
	setenv("HOME", "/home/u", 1);
	s = sw_aws_expand_home("~/.aws/config");
	assert_string_equal(s, "/home/u/.aws/config");
	free(s);
	s = sw_aws_expand_home("/etc/x");
	assert_string_equal(s, "/etc/x");
	free(s);
	s = sw_aws_expand_home("~other/x");
	assert_string_equal(s, "~other/x");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_rules),
		cmocka_unit_test(parse_errors),
		cmocka_unit_test(profiles_from_files),
		cmocka_unit_test(home_expansion),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
