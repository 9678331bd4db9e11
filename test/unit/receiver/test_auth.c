#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <stdlib.h>
#include <unistd.h>

#include "receiver/auth.h"
#include "receiver/db.h"
#include "receiver/roles.h"
#include "receiver/users.h"
#include "common/error.h"
#include "common/store.h"
#include "common/banned.h"

static void hash_is_sha256_hex(void **state)
{
	char h[SW_AUTH_HASH_LEN + 1];

	sw_auth_hash("abc", 3, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sw_auth_hash("", 0, h);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void constant_time_equal(void **state)
{
	assert_true(sw_auth_equal("abcdef", "abcdef", 6));
	assert_false(sw_auth_equal("abcdef", "abcdeg", 6));
	assert_false(sw_auth_equal("xbcdef", "abcdef", 6));
	assert_true(sw_auth_equal("abc", "abd", 2));   /* only n bytes count */
	assert_true(sw_auth_equal("", "", 0));
}

static void generated_tokens(void **state)
{
	struct sw_buf a = SW_BUF_INIT, b = SW_BUF_INIT;
	size_t i;

	assert_int_equal(sw_auth_token_generate(&a), 0);
	assert_int_equal(sw_auth_token_generate(&b), 0);
	assert_int_equal(a.len, SW_AUTH_TOKEN_LEN);
	for (i = 0; i < a.len; i++)
		assert_non_null(strchr("0123456789abcdef", a.ptr[i]));
	assert_string_not_equal(a.ptr, b.ptr);
	sw_buf_release(&a);
	sw_buf_release(&b);
}

static void parse_headers(void **state)
{
	struct sw_buf t = SW_BUF_INIT;

	/* "git:s3cret" and "x:" */
	assert_int_equal(sw_auth_parse_header("Basic Z2l0OnMzY3JldA==", &t), 0);
	assert_string_equal(t.ptr, "s3cret");
	assert_int_equal(sw_auth_parse_header("basic Z2l0OnMzY3JldA==", &t), 0);
	assert_string_equal(t.ptr, "s3cret");
	/* user name ignored, a ':' in the password kept: "u:a:b" */
	assert_int_equal(sw_auth_parse_header("Basic dTphOmI=", &t), 0);
	assert_string_equal(t.ptr, "a:b");
	assert_int_equal(sw_auth_parse_header("Bearer tok123", &t), 0);
	assert_string_equal(t.ptr, "tok123");

	assert_int_equal(sw_auth_parse_header("Basic eDo=", &t), SW_EAUTH);       /* "x:" empty password */
	assert_int_equal(sw_auth_parse_header("Basic bm9jb2xvbg==", &t), SW_EAUTH); /* "nocolon" */
	assert_int_equal(sw_auth_parse_header("Basic !!!!", &t), SW_EAUTH);
	assert_int_equal(sw_auth_parse_header("Basic abc", &t), SW_EAUTH);
	assert_int_equal(sw_auth_parse_header("Bearer ", &t), SW_EAUTH);
	assert_int_equal(sw_auth_parse_header("Digest x", &t), SW_EAUTH);
	assert_int_equal(sw_auth_parse_header("", &t), SW_EAUTH);
	sw_buf_release(&t);
}

static const struct sw_token_spec admin_spec = { "admin", "admin", NULL, SW_ROLE_NONE, 0, NULL };

static void store_and_check(void **state)
{
	sqlite3 *db = NULL;
	struct sw_buf tok = SW_BUF_INIT;
	struct sw_principal p;
	sqlite3_stmt *st = NULL;

	assert_int_equal(sw_db_open(&db, ":memory:"), 0);
	assert_int_equal(sw_auth_token_create(db, &admin_spec, &tok), 0);
	assert_int_equal(sw_auth_check(db, tok.ptr, &p), 0);
	assert_string_equal(p.user, "admin");
	assert_string_equal(p.actor, "admin");
	assert_true(p.admin);
	assert_int_equal(sw_roles_on_server(&p), SW_ROLE_ADMIN);

	/* only the hash is stored */
	assert_int_equal(sw_store_prepare(db, &st, "SELECT hash FROM tokens"), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_not_equal((const char *)sqlite3_column_text(st, 0), tok.ptr);
	assert_int_equal(strlen((const char *)sqlite3_column_text(st, 0)), SW_AUTH_HASH_LEN);
	sqlite3_finalize(st);

	tok.ptr[0] = tok.ptr[0] == 'a' ? 'b' : 'a';
	assert_int_equal(sw_auth_check(db, tok.ptr, &p), SW_EAUTH);
	assert_string_equal(sw_error_last(), "bad token");
	assert_int_equal(sw_auth_check(db, "", NULL), SW_EAUTH);
	assert_int_equal(sw_auth_token_add(db, &admin_spec, "not-a-token"), SW_EINVAL);
	sw_buf_release(&tok);
	sw_store_close(db);
}

/* A revoked token stays revoked, even when the same secret is added again (admin-token). */
static void revoked_stays_revoked(void **state)
{
	sqlite3 *db = NULL;
	struct sw_buf a = SW_BUF_INIT, b = SW_BUF_INIT;
	struct sw_token_spec second = { "admin", "spare", NULL, SW_ROLE_NONE, 0, NULL };

	assert_int_equal(sw_db_open(&db, ":memory:"), 0);
	assert_int_equal(sw_auth_token_create(db, &admin_spec, &a), 0);
	/* the last admin token cannot go */
	assert_int_equal(sw_auth_token_revoke(db, "admin", "admin"), SW_EEXISTS);
	assert_int_equal(sw_auth_token_state(db, a.ptr), 1);
	assert_int_equal(sw_auth_token_create(db, &second, &b), 0);
	assert_int_equal(sw_auth_token_revoke(db, "admin", "admin"), 1);
	assert_int_equal(sw_auth_check(db, a.ptr, NULL), SW_EAUTH);
	assert_string_equal(sw_error_last(), "token revoked");
	assert_int_equal(sw_auth_token_add(db, &admin_spec, a.ptr), 0);
	assert_int_equal(sw_auth_token_state(db, a.ptr), SW_EAUTH);
	assert_int_equal(sw_auth_token_revoke(db, "admin", "admin"), SW_ENOTFOUND);
	assert_int_equal(sw_auth_token_state(db, b.ptr), 1);
	sw_buf_release(&a);
	sw_buf_release(&b);
	sw_store_close(db);
}

/* Tokens made before users existed belong to the admin user after the migration. */
static void old_tokens_are_the_admins(void **state)
{
	sqlite3 *db = NULL;
	struct sw_principal p;
	char hash[SW_AUTH_HASH_LEN + 1], path[] = "/tmp/test_auth.XXXXXX";
	const char *token = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	struct sw_buf sql = SW_BUF_INIT;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	/* a database of seven migrations (before users, pipelines, domains and app settings), the tokens table as it was, one token "ci" */
	assert_int_equal(sw_db_open(&db, path), 0);
	assert_int_equal(sw_store_exec(db, "DROP TABLE tokens; DROP TABLE users; DROP TABLE access; DROP TABLE ssh_keys;"
				       " DROP TABLE pipelines; DROP TABLE domains; DROP TABLE certs; DROP TABLE route_settings;"
				       " DROP TABLE app_settings;"
				       "CREATE TABLE tokens (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
				       " hash TEXT NOT NULL UNIQUE, created_at REAL NOT NULL); PRAGMA user_version=7;"), 0);
	sw_auth_hash(token, strlen(token), hash);
	sw_buf_addf(&sql, "INSERT INTO tokens(name, hash, created_at) VALUES ('ci', '%s', 1)", hash);
	assert_int_equal(sw_store_exec(db, sql.ptr), 0);
	sw_store_close(db);
	db = NULL;
	assert_int_equal(sw_db_open(&db, path), 0);
	assert_int_equal(sw_auth_check(db, token, &p), 0);
	assert_string_equal(p.user, "admin");
	assert_true(p.admin);
	assert_string_equal(p.actor, "admin (token ci)");
	sw_store_close(db);
	unlink(path);
	sw_buf_release(&sql);
}

static void scoped_tokens(void **state)
{
	sqlite3 *db = NULL;
	struct sw_buf t = SW_BUF_INIT, why = SW_BUF_INIT;
	struct sw_principal p;
	struct sw_token_spec ci = { "alice", "ci", "hello", SW_ROLE_DEPLOY, 0, NULL };
	struct sw_token_spec old = { "alice", "old", NULL, SW_ROLE_NONE, 1.0, NULL };
	enum sw_role r;

	assert_int_equal(sw_db_open(&db, ":memory:"), 0);
	assert_int_equal(sw_users_create(db, "alice", 0, "test"), 0);
	assert_int_equal(sw_users_create(db, "alice", 0, "test"), SW_EEXISTS);
	assert_int_equal(sw_users_create(db, "Alice", 0, "test"), SW_EINVAL);
	assert_int_equal(sw_roles_grant(db, "hello", "alice", SW_ROLE_OPERATE, "test"), 0);
	assert_int_equal(sw_roles_grant(db, "other", "alice", SW_ROLE_OPERATE, "test"), 0);
	assert_int_equal(sw_auth_token_create(db, &ci, &t), 0);
	assert_int_equal(sw_auth_check(db, t.ptr, &p), 0);
	assert_string_equal(p.actor, "alice (token ci)");
	assert_true(sw_principal_limited(&p));
	assert_int_equal(sw_roles_on_app(db, &p, "hello", &r), 0);
	assert_int_equal(r, SW_ROLE_DEPLOY);   /* operate, cut to the token's deploy */
	assert_int_equal(sw_roles_on_app(db, &p, "other", &r), 0);
	assert_int_equal(r, SW_ROLE_NONE);     /* the token is for hello only */
	assert_int_equal(sw_roles_check(db, &p, "other", SW_ROLE_READ, &why), 0);
	assert_string_equal(why.ptr, "read role needed on other (alice has none; this token is for hello only)");
	assert_int_equal(sw_roles_check(db, &p, "hello", SW_ROLE_OPERATE, &why), 0);
	assert_string_equal(why.ptr, "operate role needed on hello (alice has deploy with this token)");
	assert_int_equal(sw_roles_check(db, &p, NULL, SW_ROLE_ADMIN, &why), 0);
	assert_string_equal(why.ptr, "admin role needed (alice is not an admin)");
	/* expired */
	assert_int_equal(sw_auth_token_create(db, &old, &t), 0);
	assert_int_equal(sw_auth_check(db, t.ptr, &p), SW_EAUTH);
	assert_string_equal(sw_error_last(), "token expired");
	/* a removed user's tokens are revoked */
	assert_int_equal(sw_auth_token_create(db, &admin_spec, &t), 0);
	assert_int_equal(sw_users_remove(db, "admin"), SW_EEXISTS);   /* the last admin */
	assert_int_equal(sw_users_remove(db, "alice"), 0);
	assert_int_equal(sw_users_remove(db, "alice"), SW_ENOTFOUND);
	assert_int_equal(sw_auth_principal(db, 1, &p), SW_EAUTH);
	sw_buf_release(&t);
	sw_buf_release(&why);
	sw_store_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hash_is_sha256_hex),
		cmocka_unit_test(constant_time_equal),
		cmocka_unit_test(generated_tokens),
		cmocka_unit_test(parse_headers),
		cmocka_unit_test(store_and_check),
		cmocka_unit_test(revoked_stays_revoked),
		cmocka_unit_test(old_tokens_are_the_admins),
		cmocka_unit_test(scoped_tokens),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
