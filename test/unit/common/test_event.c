#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/event.h"
#include "common/store.h"
#include "common/banned.h"

static void types(void **state)
{
	(void)state;
	assert_true(sw_event_type_valid("build.started"));
	assert_true(sw_event_type_valid("release.rolled_back"));
	assert_true(sw_event_type_valid("scale"));
	assert_false(sw_event_type_valid("Build.started"));
	assert_false(sw_event_type_valid("build..started"));
	assert_false(sw_event_type_valid(".build"));
	assert_false(sw_event_type_valid("build."));
	assert_false(sw_event_type_valid("ab"));
	assert_false(sw_event_type_valid("build started"));
	assert_false(sw_event_type_valid(NULL));

	assert_true(sw_event_type_matches(NULL, "build.started"));
	assert_true(sw_event_type_matches("", "build.started"));
	assert_true(sw_event_type_matches("*", "build.started"));
	assert_true(sw_event_type_matches("build.*", "build.started"));
	assert_false(sw_event_type_matches("build.*", "build"));
	assert_false(sw_event_type_matches("build.*", "buildx.started"));
	assert_true(sw_event_type_matches("release.live, build.*", "build.failed"));
	assert_true(sw_event_type_matches("release.live,build.failed", "release.live"));
	assert_false(sw_event_type_matches("release.live", "release.live2"));
	assert_false(sw_event_type_matches("release.live", "release.liv"));
}

static void emit_and_query(void **state)
{
	static const char *const migrations[] = { SW_EVENT_SCHEMA, NULL };
	sqlite3 *db = NULL, *bare = NULL;
	json_t *list = NULL;
	long long a, b, c;
	int i;

	(void)state;
	assert_int_equal(sw_store_open(&db, ":memory:", migrations), 0);
	assert_int_equal(sw_event_init(db), 0);
	a = sw_event_emit(db, "hello", "build.started", 0, 12, "admin", "build %d started", 12);
	b = sw_event_emit(db, "hello", "release.live", 7, 0, NULL, "v7 live\nsecond line\t");
	c = sw_event_emit(db, "other", "build.failed", 0, 13, "ci", "nope");
	assert_true(a > 0 && b > a && c > b);
	assert_true(sw_event_latest() >= c);
	assert_int_equal(sw_event_wait(c - 1, 0), 1);
	assert_int_equal(sw_event_wait(c, 10), 0);
	assert_true(sw_event_emit(db, "hello", "Bad Type", 0, 0, NULL, "x") < 0);

	assert_int_equal(sw_event_query(db, "hello", 0, 100, NULL, &list), 0);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "type")), "build.started");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "build")), 12);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "release")), "v7");
	/* one line, no control characters */
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "message")), "v7 live second line");
	assert_true(json_is_null(json_object_get(json_array_get(list, 1), "actor")));
	json_decref(list);
	/* after a cursor, and filtered */
	assert_int_equal(sw_event_query(db, NULL, a, 100, "build.*", &list), 0);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "app")), "other");
	json_decref(list);
	/* the last N, oldest first */
	for (i = 0; i < 10; i++)
		sw_event_emit(db, "many", "scale", 0, 0, NULL, "n%d", i);
	assert_int_equal(sw_event_query(db, "many", 0, 3, NULL, &list), 0);
	assert_int_equal(json_array_size(list), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "message")), "n7");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 2), "message")), "n9");
	json_decref(list);
	sw_store_close(db);

	/* a database without the table: emit is a no-op */
	assert_int_equal(sw_store_open(&bare, ":memory:", NULL), 0);
	assert_int_equal(sw_event_emit(bare, "x", "build.started", 0, 0, NULL, "x"), 0);
	sw_store_close(bare);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(types),
		cmocka_unit_test(emit_and_query),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
