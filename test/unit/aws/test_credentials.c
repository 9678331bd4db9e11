/* The credential chain in-process (the HTTP sources are covered by
 * test/integration/aws/test_credentials.py): environment, files, static credentials,
 * ISO 8601 expirations, the "nothing found" line, and many threads sharing one chain. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/aws/credentials.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/banned.h"

static void clean_env(void)
{
	static const char *const vars[] = {
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE",
		"AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT", NULL,
	};
	const char *const *v;
	for (v = vars; *v; v++)
		unsetenv(*v);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
}

static void environment_and_static(void **state)
{
	struct sw_aws_credentials *c;
	struct sw_aws_credentials_options o = { 0 };
	struct sw_aws_creds got;

	clean_env();
	sw_aws_creds_init(&got);
	setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	setenv("AWS_SECURITY_TOKEN", "oldtoken", 1);
	assert_int_equal(sw_aws_credentials_new(&c, NULL), 0);
	assert_int_equal(sw_aws_credentials_get(c, &got), 0);
	assert_string_equal(got.access_key_id, "AKIAENV");
	assert_string_equal(got.session_token, "oldtoken");
	assert_string_equal(got.source, "environment");
	/* cached: a change of the environment shows after invalidate */
	setenv("AWS_ACCESS_KEY_ID", "AKIAENV2", 1);
	assert_int_equal(sw_aws_credentials_get(c, &got), 0);
	assert_string_equal(got.access_key_id, "AKIAENV");
	sw_aws_credentials_invalidate(c);
	assert_int_equal(sw_aws_credentials_get(c, &got), 0);
	assert_string_equal(got.access_key_id, "AKIAENV2");
	sw_aws_credentials_free(c);

	o.access_key_id = "AKIASTATIC";
	o.secret_access_key = "s";
	assert_int_equal(sw_aws_credentials_new(&c, &o), 0);
	assert_int_equal(sw_aws_credentials_get(c, &got), 0);
	assert_string_equal(got.access_key_id, "AKIASTATIC");
	assert_null(got.session_token);
	assert_string_equal(got.source, "static");
	sw_aws_credentials_free(c);
	o.secret_access_key = NULL;
	assert_int_equal(sw_aws_credentials_new(&c, &o), SW_EINVAL);
	sw_aws_creds_release(&got);
}

static void nothing_found(void **state)
{
	struct sw_aws_credentials *c;
	struct sw_aws_creds got;
	clean_env();
	sw_aws_creds_init(&got);
	assert_int_equal(sw_aws_credentials_new(&c, NULL), 0);
	assert_int_equal(sw_aws_credentials_get(c, &got), SW_ENOTFOUND);
	assert_string_equal(sw_error_last(),
			    "no AWS credentials: environment (AWS_ACCESS_KEY_ID not set); "
			    "shared credentials file /nonexistent/credentials (no such file); "
			    "shared config file /nonexistent/config (no such file); "
			    "container endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI not set); "
			    "instance metadata (disabled by AWS_EC2_METADATA_DISABLED)");
	assert_null(got.access_key_id);
	sw_aws_credentials_free(c);
}

static void files(void **state)
{
	char dir[] = "/tmp/sw-aws-creds-XXXXXX";
	struct sw_buf cred = SW_BUF_INIT;
	struct sw_aws_credentials *c;
	struct sw_aws_creds got;
	FILE *f;

	clean_env();
	sw_aws_creds_init(&got);
	assert_non_null(mkdtemp(dir));
	sw_buf_addf(&cred, "%s/credentials", dir);
	f = fopen(cred.ptr, "w");
	fputs("[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = filesecret\n"
	      "[half]\naws_access_key_id = AKIAHALF\n", f);
	fclose(f);
	setenv("AWS_SHARED_CREDENTIALS_FILE", cred.ptr, 1);
	assert_int_equal(sw_aws_credentials_new(&c, NULL), 0);
	assert_int_equal(sw_aws_credentials_get(c, &got), 0);
	assert_string_equal(got.access_key_id, "AKIAFILE");
	assert_string_equal(got.source, "shared-credentials-file");
	sw_aws_credentials_free(c);
	setenv("AWS_PROFILE", "half", 1);
	assert_int_equal(sw_aws_credentials_new(&c, NULL), 0);
	assert_int_equal(sw_aws_credentials_get(c, &got), SW_EINVAL);
	assert_non_null(strstr(sw_error_last(), "[half] has aws_access_key_id but not aws_secret_access_key"));
	sw_aws_credentials_free(c);
	unlink(cred.ptr);
	rmdir(dir);
	sw_buf_release(&cred);
	sw_aws_creds_release(&got);
}

static void *hammer(void *arg)
{
	struct sw_aws_credentials *c = arg;
	struct sw_aws_creds got;
	int i, bad = 0;
	sw_aws_creds_init(&got);
	for (i = 0; i < 2000; i++) {
		if (sw_aws_credentials_get(c, &got) < 0 || strcmp(got.access_key_id, "AKIATHREADS"))
			bad++;
		if (i % 100 == 0)
			sw_aws_credentials_invalidate(c);
	}
	sw_aws_creds_release(&got);
	return (void *)(intptr_t)bad;
}

static void threads(void **state)
{
	struct sw_aws_credentials *c;
	pthread_t t[8];
	int i;
	clean_env();
	setenv("AWS_ACCESS_KEY_ID", "AKIATHREADS", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
	assert_int_equal(sw_aws_credentials_new(&c, NULL), 0);
	for (i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, hammer, c);
	for (i = 0; i < 8; i++) {
		void *bad;
		pthread_join(t[i], &bad);
		assert_int_equal((intptr_t)bad, 0);
	}
	sw_aws_credentials_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(environment_and_static),
		cmocka_unit_test(nothing_found),
		cmocka_unit_test(files),
		cmocka_unit_test(threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
