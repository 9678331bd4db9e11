#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "releaser/review.h"
#include "common/error.h"
#include "common/store.h"
#include "common/strvec.h"
#include "releaser/tables.h"
#include "common/banned.h"

static sqlite3 *open_db(void)
{
	const char *const migrations[] = { sw_tables_migration(2), NULL };
	sqlite3 *db = NULL;
	assert_int_equal(sw_store_open(&db, ":memory:", migrations), 0);
	return db;
}

static void save_one(sqlite3 *db, const char *app, const char *parent, const char *branch, const char *slug,
		     double at)
{
	struct sw_review r = SW_REVIEW_INIT;
	r.app = (char *)app;
	r.parent = (char *)parent;
	r.branch = (char *)branch;
	r.slug = (char *)slug;
	r.active = 1;
	r.created_at = r.last_push_at = at;
	r.seed_config = json_pack("{s:s}", "GREETING", "hi");
	r.seed_version = 3;
	assert_int_equal(sw_review_save(db, &r), 0);
	json_decref(r.seed_config);
}

static void records(void **state)
{
	sqlite3 *db = open_db();
	struct sw_review r = SW_REVIEW_INIT;
	struct sw_buf label = SW_BUF_INIT, repo = SW_BUF_INIT, prefix = SW_BUF_INIT;
	struct sw_strvec names = SW_STRVEC_INIT;
	json_t *list = NULL;
	(void)state;

	save_one(db, "hello-feature-login", "hello", "feature/login", "feature-login", 100);
	save_one(db, "hello-fix", "hello", "fix", "fix", 200);
	assert_int_equal(sw_review_count_active(db, "hello"), 2);
	assert_int_equal(sw_review_count_active(db, "other"), 0);

	assert_int_equal(sw_review_load(db, "hello-feature-login", &r), 0);
	assert_string_equal(r.parent, "hello");
	assert_string_equal(r.branch, "feature/login");
	assert_true(r.active);
	assert_int_equal(r.seed_version, 3);
	assert_string_equal(json_string_value(json_object_get(r.seed_config, "GREETING")), "hi");
	assert_int_equal(sw_review_find(db, "hello", "fix", &r), 0);
	assert_string_equal(r.app, "hello-fix");
	assert_int_equal(sw_review_load(db, "hello", &r), SW_ENOTFOUND);
	assert_int_equal(sw_review_find(db, "hello", "nope", &r), SW_ENOTFOUND);

	sw_review_host_label(db, "hello-feature-login", &label);
	assert_string_equal(label.ptr, "feature-login.hello");
	sw_buf_reset(&label);
	sw_review_host_label(db, "hello", &label);
	assert_string_equal(label.ptr, "hello");
	sw_review_tag_place(db, "hello-fix", &repo, &prefix);
	assert_string_equal(repo.ptr, "hello");
	assert_string_equal(prefix.ptr, "review/fix/");
	sw_buf_reset(&repo);
	sw_buf_reset(&prefix);
	sw_review_tag_place(db, "hello", &repo, &prefix);
	assert_string_equal(repo.ptr, "hello");
	assert_string_equal(prefix.ptr, "");

	assert_int_equal(sw_review_touch(db, "hello-feature-login", 300), 0);
	assert_int_equal(sw_review_set_destroyed(db, "hello-fix", "branch deleted", 400), 0);
	assert_int_equal(sw_review_count_active(db, "hello"), 1);
	assert_int_equal(sw_review_load(db, "hello-fix", &r), 0);
	assert_false(r.active);
	assert_string_equal(r.destroyed_reason, "branch deleted");

	assert_int_equal(sw_review_list(db, "hello", 0, "http://{app}.localhost:5481", &list), 0);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "url")),
			    "http://feature-login.hello.localhost:5481");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "status")), "active");
	json_decref(list);
	assert_int_equal(sw_review_list(db, "hello", 1, NULL, &list), 0);
	assert_int_equal(json_array_size(list), 2);
	json_decref(list);
	assert_int_equal(sw_review_apps(db, "hello", 0, &names), 0);
	assert_int_equal(names.nr, 2);
	sw_strvec_clear(&names);
	assert_int_equal(sw_review_apps(db, "hello", 1, &names), 0);
	assert_int_equal(names.nr, 1);
	assert_string_equal(names.v[0], "hello-feature-login");

	/* one row per branch: saving it again (re-created) replaces it */
	save_one(db, "hello-fix", "hello", "fix", "fix", 500);
	assert_int_equal(sw_review_count_active(db, "hello"), 2);

	sw_strvec_clear(&names);
	sw_review_release(&r);
	sw_buf_release(&label);
	sw_buf_release(&repo);
	sw_buf_release(&prefix);
	sw_store_close(db);
}

static void settings(void **state)
{
	sqlite3 *db = open_db();
	int limit = -1;
	long long idle = -1;
	(void)state;

	unsetenv("SLIPWAY_REVIEW_LIMIT");
	unsetenv("SLIPWAY_REVIEW_IDLE");
	assert_int_equal(sw_review_settings(db, "hello", &limit, &idle), 0);
	assert_int_equal(limit, SW_REVIEW_DEFAULT_LIMIT);
	assert_int_equal(idle, 0);
	setenv("SLIPWAY_REVIEW_LIMIT", "4", 1);
	setenv("SLIPWAY_REVIEW_IDLE", "2d", 1);
	assert_int_equal(sw_review_settings(db, "hello", &limit, &idle), 0);
	assert_int_equal(limit, 4);
	assert_int_equal(idle, 2 * 86400);
	assert_int_equal(sw_review_settings_save(db, "hello", 20, -1), 0);
	assert_int_equal(sw_review_settings(db, "hello", &limit, &idle), 0);
	assert_int_equal(limit, 20);
	assert_int_equal(idle, 2 * 86400);   /* not set for the app: the server's */
	assert_int_equal(sw_review_settings_save(db, "hello", -1, 3600), 0);
	assert_int_equal(sw_review_settings(db, "hello", &limit, &idle), 0);
	assert_int_equal(limit, 20);
	assert_int_equal(idle, 3600);
	assert_int_equal(sw_review_settings(db, "other", &limit, NULL), 0);
	assert_int_equal(limit, 4);
	unsetenv("SLIPWAY_REVIEW_LIMIT");
	unsetenv("SLIPWAY_REVIEW_IDLE");
	sw_store_close(db);
}

/* A database without the tables (the releaser's test tool's): nothing is a review app. */
static void no_table(void **state)
{
	static const char *const none[] = { "CREATE TABLE x (a);", NULL };
	sqlite3 *db = NULL;
	struct sw_review r = SW_REVIEW_INIT;
	struct sw_buf label = SW_BUF_INIT;
	(void)state;
	assert_int_equal(sw_store_open(&db, ":memory:", none), 0);
	assert_int_equal(sw_review_load(db, "hello-x", &r), SW_ENOTFOUND);
	sw_review_host_label(db, "hello-x", &label);
	assert_string_equal(label.ptr, "hello-x");
	assert_int_equal(sw_review_count_active(db, "hello"), 0);
	sw_buf_release(&label);
	sw_store_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(records),
		cmocka_unit_test(settings),
		cmocka_unit_test(no_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
