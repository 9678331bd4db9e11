#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "releaser/appsettings.h"
#include "releaser/review.h"
#include "releaser/tables.h"
#include "common/error.h"
#include "common/store.h"
#include "common/banned.h"

#define ROLE "arn:aws:iam::123456789012:role/hello-app"

/* An app's task role: set, shown, refused when malformed, removed; a review app runs as its app's. */
static void task_role(void **state)
{
	const char *const migrations[] = { sw_tables_migration(2), sw_tables_migration(5), NULL };
	struct sw_review rv = SW_REVIEW_INIT;
	struct sw_buf b = SW_BUF_INIT;
	sqlite3 *db = NULL;
	json_t *out = NULL, *in;

	assert_int_equal(sw_store_open(&db, ":memory:", migrations), 0);
	assert_int_equal(sw_appsettings_get(db, "hello", &out), 0);
	assert_true(json_is_null(json_object_get(out, "task_role")));
	json_decref(out);
	assert_int_equal(sw_appsettings_task_role(db, "hello", &b), 0);

	in = json_pack("{s:s}", "task_role", ROLE);
	assert_int_equal(sw_appsettings_set(db, "hello", in), 0);
	json_decref(in);
	assert_int_equal(sw_appsettings_get(db, "hello", &out), 0);
	assert_string_equal(json_string_value(json_object_get(out, "task_role")), ROLE);
	json_decref(out);

	/* a review app of hello without its own */
	rv.app = (char *)"hello-feature-x";
	rv.parent = (char *)"hello";
	rv.branch = (char *)"feature/x";
	rv.slug = (char *)"feature-x";
	rv.active = 1;
	rv.seed_config = json_object();
	assert_int_equal(sw_review_save(db, &rv), 0);
	json_decref(rv.seed_config);
	assert_int_equal(sw_appsettings_task_role(db, "hello-feature-x", &b), 1);
	assert_string_equal(b.ptr, ROLE);

	/* refused: nothing changes */
	in = json_pack("{s:s}", "task_role", "arn:aws:iam::123456789012:user/x");
	assert_int_equal(sw_appsettings_set(db, "hello", in), SW_EINVAL);
	assert_string_equal(sw_error_last(), "task_role: 'arn:aws:iam::123456789012:user/x' is not an IAM role ARN "
			    "(arn:aws:iam::123456789012:role/NAME)");
	json_decref(in);
	in = json_pack("{s:s}", "task-role", ROLE);
	assert_int_equal(sw_appsettings_set(db, "hello", in), SW_EINVAL);
	json_decref(in);
	sw_buf_reset(&b);
	assert_int_equal(sw_appsettings_task_role(db, "hello", &b), 1);
	assert_string_equal(b.ptr, ROLE);

	/* removed with "" (or null) */
	in = json_pack("{s:s}", "task_role", "");
	assert_int_equal(sw_appsettings_set(db, "hello", in), 0);
	json_decref(in);
	sw_buf_reset(&b);
	assert_int_equal(sw_appsettings_task_role(db, "hello-feature-x", &b), 0);
	assert_int_equal(sw_appsettings_delete(db, "hello"), 0);
	sw_buf_release(&b);
	sw_store_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(task_role),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
