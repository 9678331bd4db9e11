/* The chain's profile providers in order (provider.h), roles assumed through an STS
 * caller that counts and answers here (the real STS path runs against moto in
 * test/integration/aws/test_role_credentials.py), and an assumed role's refresh and
 * expiry on an injected clock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/aws/credentials.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/time.h"
#include "common/banned.h"

#define T0 1800000000

struct fake_sts {
	int calls;
	int fail;
	long life;               /* seconds the credentials it hands out live */
	time_t now;
	char op[64], signer[64], role[128], session[64];
};

static int fake_call(void *ctx, const char *operation, const json_t *params, const struct sw_aws_creds *signer,
		     json_t **out)
{
	struct fake_sts *f = ctx;
	char exp[SW_TIME_ISO_SIZE], akid[32];

	f->calls++;
	snprintf(f->op, sizeof(f->op), "%s", operation);
	snprintf(f->signer, sizeof(f->signer), "%s", signer ? signer->access_key_id : "(unsigned)");
	snprintf(f->role, sizeof(f->role), "%s", json_string_value(json_object_get(params, "RoleArn")));
	snprintf(f->session, sizeof(f->session), "%s", json_string_value(json_object_get(params, "RoleSessionName")));
	if (f->fail)
		return sw_error_code(SW_EUNAVAIL, "sts %s: cannot connect to http://sts.example/", operation);
	snprintf(akid, sizeof(akid), "ASIA%d", f->calls);
	*out = json_pack("{s:{s:s,s:s,s:s,s:s}}", "Credentials", "AccessKeyId", akid, "SecretAccessKey", "rolesecret",
			 "SessionToken", "roletoken", "Expiration", sw_time_iso((double)(f->now + f->life), exp));
	return 0;
}

static time_t fake_now(void *ctx)
{
	return ((struct fake_sts *)ctx)->now;
}

static char dir[] = "/tmp/sw-aws-provider-XXXXXX";

static void write_file(const char *name, const char *text)
{
	struct sw_buf path = SW_BUF_INIT;
	FILE *f;
	sw_buf_addf(&path, "%s/%s", dir, name);
	f = fopen(path.ptr, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	sw_buf_release(&path);
}

static int setup(void **state)
{
	static const char *const vars[] = {
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", NULL,
	};
	const char *const *v;
	struct sw_buf path = SW_BUF_INIT;

	for (v = vars; *v; v++)
		unsetenv(*v);
	if (!mkdtemp(dir))
		return -1;
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	sw_buf_addf(&path, "%s/config", dir);
	setenv("AWS_CONFIG_FILE", path.ptr, 1);
	sw_buf_reset(&path);
	sw_buf_addf(&path, "%s/credentials", dir);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path.ptr, 1);
	sw_buf_release(&path);
	write_file("token", "web-identity-token\n");
	/* every profile has more than one source: which one wins is the test */
	write_file("credentials", "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = basesecret\n"
				  "[deploy]\naws_access_key_id = AKIAIGNORED\naws_secret_access_key = x\n"
				  "[web]\naws_access_key_id = AKIAIGNORED\naws_secret_access_key = x\n"
				  "[keys]\naws_access_key_id = AKIACREDFILE\naws_secret_access_key = x\n");
	{
		struct sw_buf config = SW_BUF_INIT;
		sw_buf_addf(&config,
			    "[profile deploy]\nrole_arn = arn:aws:iam::1:role/deployer\nsource_profile = base\n"
			    "credential_process = false\n"
			    "[profile web]\nrole_arn = arn:aws:iam::1:role/web\nweb_identity_token_file = %s/token\n"
			    "role_session_name = web-session\n"
			    "[profile keys]\ncredential_process = false\n"
			    "aws_access_key_id = AKIACONFIG\naws_secret_access_key = x\n"
			    "[profile proc]\ncredential_process = printf '{\"Version\":1,\"AccessKeyId\":\"AKIAPROC\","
			    "\"SecretAccessKey\":\"x\"}'\naws_access_key_id = AKIACONFIG\naws_secret_access_key = x\n"
			    "[profile config]\naws_access_key_id = AKIACONFIG\naws_secret_access_key = x\n"
			    "[profile nosts]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n"
			    "[profile badduration]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n"
			    "duration_seconds = 60\n"
			    "[profile nosource]\nrole_arn = arn:aws:iam::1:role/x\n"
			    "[profile empty]\nregion = us-east-1\n"
			    "[profile badsource]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = empty\n"
			    "[profile goodbye]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = missing\n"
			    "[profile ec2]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Ec2InstanceMetadata\n"
			    "[profile typo]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Ec2\n", dir);
		write_file("config", config.ptr);
		sw_buf_release(&config);
	}
	return 0;
}

static int teardown(void **state)
{
	static const char *const names[] = { "config", "credentials", "token", NULL };
	const char *const *n;
	for (n = names; *n; n++) {
		struct sw_buf path = SW_BUF_INIT;
		sw_buf_addf(&path, "%s/%s", dir, *n);
		unlink(path.ptr);
		sw_buf_release(&path);
	}
	return rmdir(dir);
}

/* A chain for profile with the fake STS (sts NULL: none), its credentials in got. */
static int get(const char *profile, struct fake_sts *sts, struct sw_aws_creds *got)
{
	struct sw_aws_credentials_options o;
	struct sw_aws_credentials *c;
	int ret;

	memset(&o, 0, sizeof(o));
	setenv("AWS_PROFILE", profile, 1);
	if (sts) {
		o.sts.call = fake_call;
		o.sts.ctx = sts;
		o.now = fake_now;
		o.now_ctx = sts;
	}
	assert_int_equal(sw_aws_credentials_new(&c, &o), 0);
	ret = sw_aws_credentials_get(c, got);
	sw_aws_credentials_free(c);
	unsetenv("AWS_PROFILE");
	return ret;
}

static void order(void **state)
{
	struct fake_sts sts = { 0, 0, 3600, T0, "", "", "", "" };
	struct sw_aws_creds got;

	sw_aws_creds_init(&got);
	/* 1. role_arn + source_profile beats the profile's own keys and credential_process */
	assert_int_equal(get("deploy", &sts, &got), 0);
	assert_string_equal(got.source, "assume-role");
	assert_string_equal(got.access_key_id, "ASIA1");
	assert_int_equal(got.expiration, T0 + 3600);
	assert_string_equal(sts.op, "AssumeRole");
	assert_string_equal(sts.signer, "AKIABASE");
	assert_string_equal(sts.role, "arn:aws:iam::1:role/deployer");
	assert_string_equal(sts.session, "slipway-1800000000");
	/* 2. web identity (role_arn with a token file) beats the keys, and is not signed */
	assert_int_equal(get("web", &sts, &got), 0);
	assert_string_equal(got.source, "assume-role-with-web-identity");
	assert_string_equal(sts.op, "AssumeRoleWithWebIdentity");
	assert_string_equal(sts.signer, "(unsigned)");
	assert_string_equal(sts.session, "web-session");
	/* ... and AWS_ROLE_ARN / AWS_ROLE_SESSION_NAME beat the profile's */
	setenv("AWS_ROLE_ARN", "arn:aws:iam::1:role/from-env", 1);
	setenv("AWS_ROLE_SESSION_NAME", "env-session", 1);
	assert_int_equal(get("web", &sts, &got), 0);
	assert_string_equal(sts.role, "arn:aws:iam::1:role/from-env");
	assert_string_equal(sts.session, "env-session");
	unsetenv("AWS_ROLE_ARN");
	unsetenv("AWS_ROLE_SESSION_NAME");
	/* 4. the credentials file beats credential_process and the config file */
	assert_int_equal(get("keys", &sts, &got), 0);
	assert_string_equal(got.access_key_id, "AKIACREDFILE");
	assert_string_equal(got.source, "shared-credentials-file");
	/* 5. credential_process beats the config file's keys */
	assert_int_equal(get("proc", &sts, &got), 0);
	assert_string_equal(got.access_key_id, "AKIAPROC");
	assert_string_equal(got.source, "custom-process");
	/* 6. the config file */
	assert_int_equal(get("config", &sts, &got), 0);
	assert_string_equal(got.source, "shared-config-file");
	/* the environment's keys come before all of them */
	setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	assert_int_equal(get("deploy", &sts, &got), 0);
	assert_string_equal(got.source, "environment");
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	assert_int_equal(sts.calls, 3);
	sw_aws_creds_release(&got);
}

static void refusals(void **state)
{
	struct fake_sts sts = { 0, 0, 3600, T0, "", "", "", "" };
	struct sw_aws_creds got;
	static const char *const cases[][2] = {
		{ "badduration", "AWS profile 'badduration': duration_seconds '60' is not a number of seconds from 900 "
				 "to 43200" },
		{ "nosource", "AWS profile 'nosource': role_arn needs source_profile or credential_source" },
		{ "badsource", "AWS profile 'badsource': its source_profile 'empty' has no credentials" },
		{ "goodbye", "AWS profile 'goodbye': its source_profile 'missing' does not exist" },
		{ "ec2", "AWS profile 'ec2': credential_source Ec2InstanceMetadata has no credentials: instance metadata "
			 "(disabled by AWS_EC2_METADATA_DISABLED)" },
		{ "typo", "AWS profile 'typo': credential_source 'Ec2' is not Environment, Ec2InstanceMetadata or "
			  "EcsContainer" },
	};
	size_t i;

	sw_aws_creds_init(&got);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(get(cases[i][0], &sts, &got) < 0);
		assert_string_equal(sw_error_last(), cases[i][1]);
	}
	assert_int_equal(sts.calls, 0);
	/* a chain that cannot reach STS says so rather than skipping the role */
	assert_true(get("nosts", NULL, &got) < 0);
	assert_string_equal(sw_error_last(), "AWS profile 'nosts': assuming a role needs STS, which this chain cannot call");
	sw_aws_creds_release(&got);
}

static void assumed_role_refresh_and_expiry(void **state)
{
	struct fake_sts sts = { 0, 0, 900, T0, "", "", "", "" };   /* STS's shortest role session */
	struct sw_aws_credentials_options o;
	struct sw_aws_credentials *c;
	struct sw_aws_creds got;

	sw_aws_creds_init(&got);
	memset(&o, 0, sizeof(o));
	o.sts.call = fake_call;
	o.sts.ctx = &sts;
	o.now = fake_now;
	o.now_ctx = &sts;
	setenv("AWS_PROFILE", "deploy", 1);
	assert_int_equal(sw_aws_credentials_new(&c, &o), 0);
	assert_int_equal(sw_aws_credentials_get(c, &got), 0);
	assert_string_equal(got.access_key_id, "ASIA1");
	/* cached until half its life is left (15 minutes' credentials: refreshed 450 s ahead) */
	sts.now = T0 + 440;
	assert_int_equal(sw_aws_credentials_get(c, &got), 0);
	assert_int_equal(sts.calls, 1);
	sts.now = T0 + 460;
	assert_int_equal(sw_aws_credentials_get(c, &got), 0);
	assert_string_equal(got.access_key_id, "ASIA2");
	assert_int_equal(got.expiration, T0 + 460 + 900);
	/* STS down: inside the advisory window the old role stays in use ... */
	sts.fail = 1;
	sts.now = T0 + 460 + 460;
	assert_int_equal(sw_aws_credentials_get(c, &got), 0);
	assert_string_equal(got.access_key_id, "ASIA2");
	/* ... inside the mandatory one (a third of its life) it is one line */
	sts.now = T0 + 460 + 700;
	assert_int_equal(sw_aws_credentials_get(c, &got), SW_EUNAVAIL);
	assert_string_equal(sw_error_last(), "AWS credentials from assume-role expire in 200s and could not be "
					     "refreshed: AWS profile 'deploy': role arn:aws:iam::1:role/deployer: sts "
					     "AssumeRole: cannot connect to http://sts.example/");
	/* STS back: a new role session */
	sts.fail = 0;
	assert_int_equal(sw_aws_credentials_get(c, &got), 0);
	assert_string_equal(got.access_key_id, "ASIA5");
	sw_aws_credentials_free(c);
	unsetenv("AWS_PROFILE");
	sw_aws_creds_release(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(order),
		cmocka_unit_test(refusals),
		cmocka_unit_test(assumed_role_refresh_and_expiry),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
