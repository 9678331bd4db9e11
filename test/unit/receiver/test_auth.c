#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "receiver/auth.h"
#include "receiver/db.h"
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

static void store_and_check(void **state)
{
	sqlite3 *db = NULL;
	struct sw_buf tok = SW_BUF_INIT, name = SW_BUF_INIT;
	sqlite3_stmt *st = NULL;

	assert_int_equal(sw_db_open(&db, ":memory:"), 0);
	assert_int_equal(sw_auth_token_create(db, "admin", &tok), 0);
	assert_int_equal(sw_auth_check(db, tok.ptr, &name), 0);
	assert_string_equal(name.ptr, "admin");

	/* only the hash is stored */
	assert_int_equal(sw_store_prepare(db, &st, "SELECT hash FROM tokens"), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_not_equal((const char *)sqlite3_column_text(st, 0), tok.ptr);
	assert_int_equal(strlen((const char *)sqlite3_column_text(st, 0)), SW_AUTH_HASH_LEN);
	sqlite3_finalize(st);

	tok.ptr[0] = tok.ptr[0] == 'a' ? 'b' : 'a';
	assert_int_equal(sw_auth_check(db, tok.ptr, &name), SW_EAUTH);
	assert_int_equal(sw_auth_check(db, "", NULL), SW_EAUTH);
	assert_int_equal(sw_auth_token_add(db, "x", "not-a-token"), SW_EINVAL);
	sw_buf_release(&tok);
	sw_buf_release(&name);
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
