#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "receiver/webhook.h"
#include "receiver/db.h"
#include "common/error.h"
#include "common/event.h"
#include "common/store.h"
#include "common/banned.h"

static void sign(const char *key, const char *data, const char *want)
{
	struct sw_buf b = SW_BUF_INIT;
	sw_webhook_sign(key, data, strlen(data), &b);
	assert_string_equal(b.ptr, want);
	sw_buf_release(&b);
}

/* RFC 4231 HMAC-SHA256 test cases 2 and 4-less ones with printable keys, and a body. */
static void hmac_sha256(void **state)
{
	(void)state;
	sign("Jefe", "what do ya want for nothing?",
	     "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	sign("key", "The quick brown fox jumps over the lazy dog",
	     "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
	sign("", "", "sha256=b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static void backoff(void **state)
{
	(void)state;
	/* base 1 s: 1, 2, 4, 8 ... capped at 300; equal jitter: between half and all of it */
	assert_true(sw_webhook_backoff(1, 1000, 0) == 0.5);
	assert_true(sw_webhook_backoff(1, 1000, 999) > 0.99 && sw_webhook_backoff(1, 1000, 999) <= 1.0);
	assert_true(sw_webhook_backoff(2, 1000, 0) == 1.0);
	assert_true(sw_webhook_backoff(3, 1000, 0) == 2.0);
	assert_true(sw_webhook_backoff(4, 1000, 500) == 4.0 + 2.0);
	assert_true(sw_webhook_backoff(30, 1000, 0) == 150.0);
	assert_true(sw_webhook_backoff(100, 1000, 999) <= 300.0);
	/* the same rnd gives the same schedule */
	assert_true(sw_webhook_backoff(5, 200, 123) == sw_webhook_backoff(5, 200, 123));
}

static void urls(void **state)
{
	char big[SW_WEBHOOK_URL_MAX + 20];

	(void)state;
	assert_true(sw_webhook_url_valid("http://127.0.0.1:9000/hook"));
	assert_true(sw_webhook_url_valid("https://example.com"));
	assert_false(sw_webhook_url_valid("ftp://example.com/"));
	assert_false(sw_webhook_url_valid("http://"));
	assert_false(sw_webhook_url_valid("http:///x"));
	assert_false(sw_webhook_url_valid("http://a b/"));
	assert_false(sw_webhook_url_valid("http://a/\n"));
	assert_false(sw_webhook_url_valid("javascript:alert(1)"));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "http://", 7);
	assert_false(sw_webhook_url_valid(big));
}

/* The store: a webhook gets only the events after it; the secret is not in listings. */
static void store(void **state)
{
	sqlite3 *db = NULL;
	json_t *out = NULL, *list = NULL;
	char *text;

	(void)state;
	assert_int_equal(sw_db_open(&db, ":memory:"), 0);
	assert_true(sw_event_emit(db, "app", "build.started", 0, 1, "admin", "before") > 0);
	assert_int_equal(sw_webhook_add(db, "app", "http://127.0.0.1:1/x", "build.*", "admin", &out), 0);
	assert_int_equal(strlen(json_string_value(json_object_get(out, "secret"))), 64);
	assert_int_equal(sw_webhook_add(db, "app", "gopher://x", NULL, "admin", &list), SW_EINVAL);
	assert_int_equal(sw_webhook_add(db, "app", "http://x/", "Build!", "admin", &list), SW_EINVAL);
	assert_int_equal(sw_webhook_list(db, "app", &list), 0);
	text = json_dumps(list, 0);
	assert_null(strstr(text, json_string_value(json_object_get(out, "secret"))));
	assert_int_equal(json_array_size(json_object_get(list, "webhooks")), 1);
	free(text);
	json_decref(list);
	assert_int_equal(sw_webhook_remove(db, "other", 1), SW_ENOTFOUND);
	assert_int_equal(sw_webhook_remove(db, "app", 1), 0);
	assert_int_equal(sw_webhook_remove(db, "app", 1), SW_ENOTFOUND);
	json_decref(out);
	sw_store_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hmac_sha256),
		cmocka_unit_test(backoff),
		cmocka_unit_test(urls),
		cmocka_unit_test(store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
