#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "receiver/db.h"
#include "receiver/roles.h"
#include "receiver/ssh_keys.h"
#include "receiver/users.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/store.h"
#include "common/banned.h"

/* Keys and fingerprints as ssh-keygen -lf printed them. */
static const char ed25519[] =
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIVaTxKWsNFL/Z4esIFrc0CKMkrRdiVHr3WIgTDMbeWv alice@laptop\n";
static const char rsa[] =
	"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDBylr3RieF1iLg5EjtdUuNlx0BlgB8pPwyXtJryll+DfcFSepRjP0DKCn6J2wWwZtOcs9yCPFh"
	"+fb9R7VMDBU+N7WF1LRyql97RRWXX6+bj+fx65BQ0NaNbnIxREtTZ4mn6HWtedOASP6arMG7LD1diTH5RFuFIxLquOW5GJcshw== r";
static const char ecdsa[] =
	"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBIO+loC/bQQQqNxYYfWv/44h0KPdRp31oIO3diT6"
	"leOvLQ01kQS++xyhOytD4GsJPn64tKPVIGq2iLm8+2Tuv9U=";

static void fingerprints(void **state)
{
	struct sw_ssh_key k;

	sw_ssh_key_init(&k);
	assert_int_equal(sw_ssh_key_parse(&k, ed25519), 0);
	assert_string_equal(k.type.ptr, "ssh-ed25519");
	assert_string_equal(k.comment.ptr, "alice@laptop");
	assert_string_equal(k.fingerprint, "SHA256:KE3QrW5TSvWKNLOcAPw7YrScNuihVWWDASeUTRyLum8");
	assert_int_equal(sw_ssh_key_parse(&k, rsa), 0);
	assert_string_equal(k.fingerprint, "SHA256:GGE2zbjrWgeRr3/x64VUNRtsCGuu2LbujW1TwPnjXEs");
	assert_int_equal(sw_ssh_key_parse(&k, ecdsa), 0);
	assert_string_equal(k.fingerprint, "SHA256:3TR7wI6ulkBhWYcCgTpBQvtewSeFVtGMTKN2+Jo5QBQ");
	assert_string_equal(k.comment.ptr, "");
	sw_ssh_key_release(&k);
}

static void refused(void **state)
{
	static const char *const bad[] = {
		"",                                           /* nothing */
		"ssh-dss AAAAB3NzaC1kc3MAAACBAP== x",          /* a type OpenSSH no longer takes */
		"ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIIVaTxKWsNFL/Z4esIFrc0CKMkrRdiVHr3WIgTDMbeWv x",   /* ed25519 data */
		"ssh-ed25519 AAAA!!!! x",                     /* not base64 */
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIVaTxKWsNFL/Z4esIFrc0CKMkrRdiVHr3WIgTDMbeWv a\nssh-ed25519 b",
		"command=\"sh\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIVaTxKWsNFL/Z4esIFrc0CKMkrRdiVHr3WIgTDMbeWv x",
		"-----BEGIN OPENSSH PRIVATE KEY-----",
		NULL,
	};
	struct sw_ssh_key k;
	size_t i;

	sw_ssh_key_init(&k);
	for (i = 0; bad[i]; i++) {
		assert_int_equal(sw_ssh_key_parse(&k, bad[i]), SW_EINVAL);
		assert_null(strchr(sw_error_last(), '\n'));
	}
	assert_int_equal(sw_ssh_key_parse(&k, bad[6]), SW_EINVAL);
	assert_non_null(strstr(sw_error_last(), "private key"));
	sw_ssh_key_release(&k);
}

static void owners(void **state)
{
	sqlite3 *db = NULL;
	struct sw_ssh_key k;
	struct sw_buf who = SW_BUF_INIT;
	char fp[SW_SSH_FINGERPRINT_MAX + 1];

	assert_int_equal(sw_db_open(&db, ":memory:"), 0);
	assert_int_equal(sw_users_create(db, "alice", 0, "t"), 0);
	assert_int_equal(sw_users_create(db, "bob", 0, "t"), 0);
	sw_ssh_key_init(&k);
	assert_int_equal(sw_ssh_key_parse(&k, ed25519), 0);
	assert_int_equal(sw_ssh_keys_add(db, "alice", &k), 0);
	assert_int_equal(sw_ssh_keys_add(db, "bob", &k), SW_EEXISTS);   /* one key, one user */
	assert_int_equal(sw_ssh_keys_owner(db, "ssh-ed25519", k.blob64.ptr, &who, fp), 1);
	assert_string_equal(who.ptr, "alice");
	assert_string_equal(fp, k.fingerprint);
	assert_int_equal(sw_ssh_keys_owner(db, "ssh-rsa", k.blob64.ptr, &who, fp), 0);
	assert_int_equal(sw_ssh_keys_remove(db, "bob", k.fingerprint), SW_ENOTFOUND);
	assert_int_equal(sw_ssh_keys_remove(db, "alice", k.fingerprint), 0);
	assert_int_equal(sw_ssh_keys_owner(db, "ssh-ed25519", k.blob64.ptr, &who, fp), 0);
	sw_ssh_key_release(&k);
	sw_buf_release(&who);
	sw_store_close(db);
}

/* A review app has its parent's roles. */
static void review_apps_inherit(void **state)
{
	sqlite3 *db = NULL;
	struct sw_principal p;
	enum sw_role r;

	assert_int_equal(sw_db_open(&db, ":memory:"), 0);
	assert_int_equal(sw_users_create(db, "alice", 0, "t"), 0);
	assert_int_equal(sw_roles_grant(db, "hello", "alice", SW_ROLE_DEPLOY, "t"), 0);
	assert_int_equal(sw_store_exec(db, "INSERT INTO reviews(app, parent, branch, slug, status, created_at, last_push_at)"
				       " VALUES ('hello-x', 'hello', 'x', 'x', 'active', 1, 1)"), 0);
	assert_int_equal(sw_users_principal(db, "alice", &p), 0);
	assert_int_equal(sw_roles_on_app(db, &p, "hello-x", &r), 0);
	assert_int_equal(r, SW_ROLE_DEPLOY);
	assert_int_equal(sw_roles_on_app(db, &p, "hellox", &r), 0);
	assert_int_equal(r, SW_ROLE_NONE);
	/* a token for hello reaches its review apps too */
	snprintf(p.scope_app, sizeof(p.scope_app), "hello");
	assert_int_equal(sw_roles_on_app(db, &p, "hello-x", &r), 0);
	assert_int_equal(r, SW_ROLE_DEPLOY);
	assert_int_equal(sw_roles_revoke(db, "hello", "alice"), 1);
	assert_int_equal(sw_roles_on_app(db, &p, "hello-x", &r), 0);
	assert_int_equal(r, SW_ROLE_NONE);
	sw_store_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fingerprints),
		cmocka_unit_test(refused),
		cmocka_unit_test(owners),
		cmocka_unit_test(review_apps_inherit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
