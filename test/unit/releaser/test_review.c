#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "releaser/review.h"
#include "releaser/route.h"
#include "common/buf.h"
#include "releaser/tables.h"
#include "common/error.h"
#include "common/store.h"
#include "common/strvec.h"
#include "common/banned.h"

static void slug_of(const char *branch, struct sw_buf *out)
{
	sw_buf_reset(out);
	sw_review_slug(branch, SW_REVIEW_SLUG_MAX, out);
}

/* A DNS label, an ECS name part, an ECR repository part: a-z 0-9 -, no "-" at the ends. */
static void assert_label(const char *s)
{
	size_t i, n = strlen(s);
	assert_true(n >= 1 && n <= SW_REVIEW_SLUG_MAX);
	assert_true(sw_review_slug_valid(s));
	assert_int_not_equal(s[0], '-');
	assert_int_not_equal(s[n - 1], '-');
	for (i = 0; i < n; i++)
		assert_true((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-');
	assert_null(strstr(s, "--"));
}

static void plain_names(void **state)
{
	struct sw_buf b = SW_BUF_INIT;
	(void)state;
	slug_of("feature/login", &b);
	assert_string_equal(b.ptr, "feature-login");
	slug_of("Feature/Login", &b);
	assert_string_equal(b.ptr, "feature-login");
	slug_of("fix", &b);
	assert_string_equal(b.ptr, "fix");
	slug_of("a//b..c__d", &b);
	assert_string_equal(b.ptr, "a-b-c-d");
	slug_of("/.x._/", &b);   /* not a valid ref, but the slug does not care */
	assert_string_equal(b.ptr, "x");
	slug_of("release/1.2.3", &b);
	assert_string_equal(b.ptr, "release-1-2-3");
	slug_of("JIRA-123_do.the/thing", &b);
	assert_string_equal(b.ptr, "jira-123-do-the-thing");
	/* exactly the limit: kept as it is */
	slug_of("abcdefghijklmnopqrstuvwxyz012345", &b);
	assert_string_equal(b.ptr, "abcdefghijklmnopqrstuvwxyz012345");
	sw_buf_release(&b);
}

static void long_names_are_cut_with_a_hash(void **state)
{
	char a[121], c[121];
	struct sw_buf x = SW_BUF_INIT, y = SW_BUF_INIT;
	(void)state;
	memset(a, 'a', 120);
	a[120] = '\0';
	memcpy(c, a, sizeof(a));
	c[119] = 'b';   /* same first 119 characters */
	slug_of(a, &x);
	slug_of(c, &y);
	assert_int_equal(x.len, SW_REVIEW_SLUG_MAX);
	assert_int_equal(y.len, SW_REVIEW_SLUG_MAX);
	assert_label(x.ptr);
	assert_label(y.ptr);
	assert_string_not_equal(x.ptr, y.ptr);
	assert_int_equal(memcmp(x.ptr, "aaaaaaaaaaaaaaaaaaaaaaa-", 24), 0);
	/* stable: the same branch, the same slug */
	sw_buf_reset(&y);
	sw_review_slug(a, SW_REVIEW_SLUG_MAX, &y);
	assert_string_equal(x.ptr, y.ptr);
	/* one over the limit is cut */
	slug_of("abcdefghijklmnopqrstuvwxyz0123456", &x);
	assert_int_equal(x.len, SW_REVIEW_SLUG_MAX);
	assert_label(x.ptr);
	/* a cut that lands on a "-" does not leave one before the hash */
	slug_of("feature/aaaaaaaaaaaaaa/bbbbbbbbbbbbbbbbbbbbb", &x);
	assert_label(x.ptr);
	/* a smaller budget */
	sw_buf_reset(&x);
	sw_review_slug("feature/login-page", 12, &x);
	assert_int_equal(x.len, 12);
	assert_label(x.ptr);
	sw_buf_release(&x);
	sw_buf_release(&y);
}

static void nothing_left_is_the_hash(void **state)
{
	struct sw_buf x = SW_BUF_INIT, y = SW_BUF_INIT;
	(void)state;
	slug_of("___", &x);
	slug_of("..//..", &y);
	assert_label(x.ptr);
	assert_label(y.ptr);
	assert_int_equal(x.len, 8);
	assert_string_not_equal(x.ptr, y.ptr);
	slug_of("\xc3\xa9t\xc3\xa9", &x);   /* "été": only the t is kept */
	assert_string_equal(x.ptr, "t");
	slug_of("\xe6\x97\xa5\xe6\x9c\xac", &x);
	assert_label(x.ptr);
	sw_buf_release(&x);
	sw_buf_release(&y);
}

static void hashed_variant_tells_apart_what_maps_alike(void **state)
{
	struct sw_buf a = SW_BUF_INIT, b = SW_BUF_INIT, c = SW_BUF_INIT;
	(void)state;
	/* "a/b", "a_b" and "A.B" all map to "a-b": their hashed slugs differ */
	slug_of("a/b", &a);
	slug_of("a_b", &b);
	assert_string_equal(a.ptr, b.ptr);
	sw_buf_reset(&a);
	sw_buf_reset(&b);
	sw_review_slug_hashed("a/b", 0, SW_REVIEW_SLUG_MAX, &a);
	sw_review_slug_hashed("a_b", 0, SW_REVIEW_SLUG_MAX, &b);
	sw_review_slug_hashed("A.B", 0, SW_REVIEW_SLUG_MAX, &c);
	assert_label(a.ptr);
	assert_label(b.ptr);
	assert_label(c.ptr);
	assert_string_not_equal(a.ptr, b.ptr);
	assert_string_not_equal(a.ptr, c.ptr);
	assert_string_not_equal(b.ptr, c.ptr);
	assert_int_equal(strncmp(a.ptr, "a-b-", 4), 0);
	/* a salt gives another one */
	sw_buf_reset(&b);
	sw_review_slug_hashed("a/b", 1, SW_REVIEW_SLUG_MAX, &b);
	assert_string_not_equal(a.ptr, b.ptr);
	sw_buf_release(&a);
	sw_buf_release(&b);
	sw_buf_release(&c);
}

/* Every name derived from a review app fits: ECS (255), target group (32), DNS label (63). */
static void derived_names_fit(void **state)
{
	const char *parent = "abcdefghijklmnopqrstuvwxyz0123";   /* the longest app name: 30 */
	char branch[121];
	struct sw_buf slug = SW_BUF_INIT, app = SW_BUF_INIT, tg = SW_BUF_INIT, other = SW_BUF_INIT;
	size_t i;
	(void)state;
	for (i = 0; i < 120; i++)
		branch[i] = "ab/._-"[i % 6];
	branch[120] = '\0';
	slug_of(branch, &slug);
	assert_label(slug.ptr);
	sw_buf_addf(&app, "%s-%s", parent, slug.ptr);
	assert_true(app.len <= SW_REVIEW_NAME_MAX);
	assert_true(app.len + strlen("-worker") <= 255);
	sw_route_target_group_name(app.ptr, &tg);
	assert_true(tg.len <= 32);
	assert_int_not_equal(tg.ptr[tg.len - 1], '-');
	/* two review apps sharing a long prefix get different target groups */
	sw_buf_reset(&tg);
	sw_route_target_group_name("abcdefghijklmnopqrstuvwxyz0123-feature-login-page-one", &tg);
	sw_route_target_group_name("abcdefghijklmnopqrstuvwxyz0123-feature-login-page-two", &other);
	assert_true(other.len <= 32 && tg.len <= 32);
	assert_string_not_equal(tg.ptr, other.ptr);
	sw_buf_release(&slug);
	sw_buf_release(&app);
	sw_buf_release(&tg);
	sw_buf_release(&other);
}

static void urls_and_durations(void **state)
{
	struct sw_buf b = SW_BUF_INIT;
	long long s = -1;
	(void)state;
	sw_review_url("http://{app}.localhost:5481", "feature-login.hello", &b);
	assert_string_equal(b.ptr, "http://feature-login.hello.localhost:5481");
	assert_int_equal(sw_review_parse_duration("7d", &s), 0);
	assert_int_equal(s, 7 * 86400);
	assert_int_equal(sw_review_parse_duration("12h", &s), 0);
	assert_int_equal(s, 12 * 3600);
	assert_int_equal(sw_review_parse_duration("30m", &s), 0);
	assert_int_equal(s, 1800);
	assert_int_equal(sw_review_parse_duration("45s", &s), 0);
	assert_int_equal(s, 45);
	assert_int_equal(sw_review_parse_duration("3", &s), 0);   /* days unless a unit says */
	assert_int_equal(s, 3 * 86400);
	assert_int_equal(sw_review_parse_duration("30s", &s), 0);
	assert_int_equal(s, 30);
	assert_int_equal(sw_review_parse_duration("off", &s), 0);
	assert_int_equal(s, 0);
	assert_int_equal(sw_review_parse_duration("7x", &s), SW_EINVAL);
	assert_int_equal(sw_review_parse_duration("-1d", &s), SW_EINVAL);
	assert_int_equal(sw_review_parse_duration("", &s), SW_EINVAL);
	assert_int_equal(sw_review_parse_duration("99999999d", &s), SW_EINVAL);
	assert_int_equal(sw_review_parse_duration("3651d", &s), SW_EINVAL);   /* ten years at most */
	assert_int_equal(sw_review_parse_duration("0d", &s), SW_EINVAL);
	assert_int_equal(sw_review_parse_duration("1d12h", &s), 0);          /* compound values too */
	assert_int_equal(s, 36 * 3600);
	sw_buf_release(&b);
}

/* ---- the records ---- */

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
	struct sw_review_defaults dflt = SW_REVIEW_DEFAULTS_INIT;
	int limit = -1;
	long long idle = -1;
	(void)state;

	unsetenv("SLIPWAY_REVIEW_LIMIT");
	unsetenv("SLIPWAY_REVIEW_IDLE");
	assert_int_equal(sw_review_defaults_load(&dflt), 0);
	assert_int_equal(sw_review_settings(db, "hello", &dflt, &limit, &idle), 0);
	assert_int_equal(limit, SW_REVIEW_DEFAULT_LIMIT);
	assert_int_equal(idle, 0);
	setenv("SLIPWAY_REVIEW_LIMIT", "4", 1);
	setenv("SLIPWAY_REVIEW_IDLE", "2d", 1);
	assert_int_equal(sw_review_defaults_load(&dflt), 0);
	assert_int_equal(sw_review_settings(db, "hello", &dflt, &limit, &idle), 0);
	assert_int_equal(limit, 4);
	assert_int_equal(idle, 2 * 86400);
	assert_int_equal(sw_review_settings_save(db, "hello", 20, -1), 0);
	assert_int_equal(sw_review_settings(db, "hello", &dflt, &limit, &idle), 0);
	assert_int_equal(limit, 20);
	assert_int_equal(idle, 2 * 86400);   /* not set for the app: the server's */
	assert_int_equal(sw_review_settings_save(db, "hello", -1, 3600), 0);
	assert_int_equal(sw_review_settings(db, "hello", &dflt, &limit, &idle), 0);
	assert_int_equal(limit, 20);
	assert_int_equal(idle, 3600);
	assert_int_equal(sw_review_settings(db, "other", &dflt, &limit, NULL), 0);
	assert_int_equal(limit, 4);

	/* a malformed server setting is refused with one line naming it, the defaults kept */
	setenv("SLIPWAY_REVIEW_LIMIT", "lots", 1);
	assert_int_equal(sw_review_defaults_load(&dflt), SW_EINVAL);
	assert_string_equal(sw_error_last(), "SLIPWAY_REVIEW_LIMIT: want a whole number from 0 to 10000, not 'lots'");
	assert_int_equal(dflt.limit, 4);
	setenv("SLIPWAY_REVIEW_LIMIT", "4", 1);
	setenv("SLIPWAY_REVIEW_IDLE", "soon", 1);
	assert_int_equal(sw_review_defaults_load(&dflt), SW_EINVAL);
	assert_string_equal(sw_error_last(),
			    "SLIPWAY_REVIEW_IDLE: 'soon' is not a duration (days, or like 7d, 12h, 30m, 45s; or off)");
	assert_int_equal(dflt.idle_secs, 2 * 86400);
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
		cmocka_unit_test(plain_names),
		cmocka_unit_test(long_names_are_cut_with_a_hash),
		cmocka_unit_test(nothing_left_is_the_hash),
		cmocka_unit_test(hashed_variant_tells_apart_what_maps_alike),
		cmocka_unit_test(derived_names_fit),
		cmocka_unit_test(urls_and_durations),
		cmocka_unit_test(records),
		cmocka_unit_test(settings),
		cmocka_unit_test(no_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
