#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "releaser/release.h"
#include "common/error.h"
#include "common/store.h"
#include "releaser/tables.h"
#include "common/banned.h"


static char path[] = "/tmp/sw-release-XXXXXX";

static int setup(void **state)
{
	const char *const migrations[] = { sw_tables_migration(1), NULL };
	sqlite3 *db = NULL;
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	if (sw_store_open(&db, path, migrations) < 0)
		return -1;
	*state = db;
	return 0;
}

static int teardown(void **state)
{
	char wal[64];
	sw_store_close(*state);
	unlink(path);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", path);
	unlink(wal);
	return 0;
}

static void new_release(struct sw_release *r, const char *app, const char *desc)
{
	sw_release_init(r);
	r->app = strdup(app);
	r->description = strdup(desc);
	r->kind = SW_RELEASE_PUSH;
	r->commit = strdup("4f2a1c9000000000000000000000000000000000");
	r->image = strdup("127.0.0.1:5000/hello:4f2a1c9000000000000000000000000000000000");
	r->digest = strdup("sha256:0000000000000000000000000000000000000000000000000000000000000001");
	r->created_by = strdup("admin");
	r->created_at = 1700000000.5;
	json_object_set_new(r->config, "SECRET", json_string("hunter2"));
	json_object_set_new(r->formation, "web", json_pack("{s:i, s:i}", "count", 2, "memory", 512));
}

static int count_visit(void *ctx, const struct sw_release *r)
{
	struct sw_buf *b = ctx;
	sw_buf_addf(b, "%s:v%d:%s ", r->app, r->version, sw_release_status_name(r->status));
	return 0;
}

static void numbering_and_status(void **state)
{
	sqlite3 *db = *state;
	struct sw_release a, b, c, got;
	struct sw_buf seen = SW_BUF_INIT;

	new_release(&a, "hello", "deploy 4f2a1c9");
	assert_int_equal(sw_release_insert(db, &a), 0);
	assert_int_equal(a.version, 1);
	new_release(&b, "hello", "set SECRET");
	assert_int_equal(sw_release_insert(db, &b), 0);
	assert_int_equal(b.version, 2);
	new_release(&c, "other", "deploy x");
	assert_int_equal(sw_release_insert(db, &c), 0);
	assert_int_equal(c.version, 1);   /* per app */

	/* no live release yet */
	sw_release_init(&got);
	assert_int_equal(sw_release_load_live(db, "hello", &got), SW_ENOTFOUND);
	assert_string_equal(sw_error_last(), "hello has no live release");

	assert_int_equal(sw_release_set_status(db, &a, SW_RELEASE_DEPLOYING, 1700000001.0), 0);
	assert_true(a.started_at == 1700000001.0);
	a.release_ran = 1;
	json_object_set_new(a.state, "deployments", json_pack("{s:s}", "web", "ecs-svc/1"));
	assert_int_equal(sw_release_set_status(db, &a, SW_RELEASE_LIVE, 1700000042.0), 0);
	assert_true(a.finished_at == 1700000042.0);
	/* a final status never changes */
	assert_int_equal(sw_release_set_status(db, &a, SW_RELEASE_FAILED, 1700000050.0), SW_EINVAL);
	assert_string_equal(sw_error_last(), "hello v1 is live and cannot become failed");
	assert_int_equal(a.status, SW_RELEASE_LIVE);

	/* pending cannot go live without deploying */
	assert_int_equal(sw_release_set_status(db, &b, SW_RELEASE_LIVE, 1700000060.0), SW_EINVAL);
	assert_int_equal(sw_release_set_status(db, &b, SW_RELEASE_DEPLOYING, 1700000060.0), 0);
	b.reason = strdup("web: 3 new tasks stopped (last: Essential container in task exited (exit code 1))");
	b.rolled_back_to = 1;
	assert_int_equal(sw_release_set_status(db, &b, SW_RELEASE_ROLLED_BACK, 1700000075.0), 0);

	assert_int_equal(sw_release_load_live(db, "hello", &got), 0);
	assert_int_equal(got.version, 1);
	assert_int_equal(got.release_ran, 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(got.state, "deployments"), "web")),
			    "ecs-svc/1");
	assert_string_equal(json_string_value(json_object_get(got.config, "SECRET")), "hunter2");
	assert_true(got.created_at == 1700000000.5);

	assert_int_equal(sw_release_load(db, "hello", 2, &got), 0);
	assert_int_equal(got.status, SW_RELEASE_ROLLED_BACK);
	assert_int_equal(got.rolled_back_to, 1);
	assert_string_equal(got.reason, b.reason);
	assert_int_equal(sw_release_load_latest(db, "hello", &got), 0);
	assert_int_equal(got.version, 2);
	assert_int_equal(sw_release_load(db, "hello", 9, &got), SW_ENOTFOUND);
	assert_string_equal(sw_error_last(), "hello has no release v9");
	assert_int_equal(sw_release_load(db, "hello", 0, &got), SW_EINVAL);

	assert_int_equal(sw_release_list(db, "hello", 0, count_visit, &seen), 0);
	assert_string_equal(seen.ptr, "hello:v2:rolled back hello:v1:live ");
	sw_buf_reset(&seen);
	assert_int_equal(sw_release_list(db, "hello", 1, count_visit, &seen), 0);
	assert_string_equal(seen.ptr, "hello:v2:rolled back ");
	sw_buf_reset(&seen);
	/* unfinished releases of every app, oldest first: what a restarted slipwayd resumes */
	assert_int_equal(sw_release_list(db, NULL, 0, count_visit, &seen), 0);
	assert_string_equal(seen.ptr, "other:v1:pending ");

	assert_int_equal(sw_release_ran_between(db, "hello", 0, 2), 1);
	assert_int_equal(sw_release_ran_between(db, "hello", 1, 2), 0);

	sw_buf_release(&seen);
	sw_release_release(&got);
	sw_release_release(&a);
	sw_release_release(&b);
	sw_release_release(&c);
}

static void stale_writer_is_refused(void **state)
{
	sqlite3 *db = *state;
	struct sw_release r, twin;
	new_release(&r, "stale", "deploy");
	assert_int_equal(sw_release_insert(db, &r), 0);
	sw_release_init(&twin);
	assert_int_equal(sw_release_load(db, "stale", r.version, &twin), 0);
	assert_int_equal(sw_release_set_status(db, &r, SW_RELEASE_DEPLOYING, 1.0), 0);
	/* twin still believes it is pending: its write must not land */
	assert_int_equal(sw_release_set_status(db, &twin, SW_RELEASE_FAILED, 2.0), SW_EINVAL);
	assert_string_equal(sw_error_last(), "stale v1 is no longer pending");
	assert_int_equal(twin.status, SW_RELEASE_PENDING);
	assert_true(twin.finished_at == 0);
	sw_release_release(&r);
	sw_release_release(&twin);
}

static void describe_and_json_hide_values(void **state)
{
	struct sw_release r;
	struct sw_buf b = SW_BUF_INIT;
	json_t *j;
	char *s;
	new_release(&r, "hello", "deploy 4f2a1c9");
	r.version = 7;
	json_object_set_new(r.config, "API_KEY", json_string("sk-live-123"));
	sw_release_describe(&r, &b);
	assert_string_equal(b.ptr, "v7 \xc2\xb7 deploy 4f2a1c9 \xc2\xb7 web=2 \xc2\xb7 config: SECRET, API_KEY");
	j = sw_release_to_json(&r);
	s = json_dumps(j, 0);
	assert_null(strstr(s, "hunter2"));
	assert_null(strstr(s, "sk-live"));
	assert_non_null(strstr(s, "\"config_vars\": [\"SECRET\", \"API_KEY\"]"));
	assert_non_null(strstr(s, "\"status\": \"pending\""));
	free(s);
	json_decref(j);
	sw_buf_release(&b);
	sw_release_release(&r);
}

static void insert_needs_pending(void **state)
{
	struct sw_release r;
	new_release(&r, "x", "d");
	r.status = SW_RELEASE_LIVE;
	assert_int_equal(sw_release_insert(*state, &r), SW_EINVAL);
	sw_release_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(numbering_and_status),
		cmocka_unit_test(stale_writer_is_refused),
		cmocka_unit_test(describe_and_json_hide_values),
		cmocka_unit_test(insert_needs_pending),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
