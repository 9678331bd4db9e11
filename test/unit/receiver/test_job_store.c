#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "receiver/app.h"
#include "receiver/db.h"
#include "receiver/job_parts.h"
#include "common/error.h"
#include "common/store.h"
#include "common/banned.h"

/* Jobs' rows in the builds table (receiver/job_store.c), on slipwayd's real schema. */

static sqlite3 *open_db(void)
{
	sqlite3 *db = NULL;
	assert_int_equal(sw_db_open(&db, ":memory:"), 0);
	assert_int_equal(sw_app_record(db, "hello"), 0);
	return db;
}

static void push_request(struct sw_job_request *req)
{
	memset(req, 0, sizeof(*req));
	req->app = "hello";
	req->ref = "refs/heads/main";
	req->old_sha = "0000000000000000000000000000000000000000";
	req->new_sha = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	req->pushed_by = "alice";
}

static void a_push_from_queued_to_succeeded(void **state)
{
	struct sw_job_request req;
	struct sw_build_result res = { "127.0.0.1:5000/hello:aaaa", "sha256:1234", 42, 1, 0, 0 };
	struct sw_buf status = SW_BUF_INIT, reason = SW_BUF_INIT;
	sqlite3 *db = open_db();
	int release = -1;
	long id, number = 0;
	(void)state;

	push_request(&req);
	id = sw_job_store_insert(db, &req, "build", 1700000000.0, &number);
	assert_true(id > 0);
	assert_int_equal(number, 1);   /* the app's first */
	assert_int_equal(sw_job_store_number(db, id), 1);
	assert_int_equal(sw_job_store_result(db, id, &status, &reason, &release), 0);
	assert_string_equal(status.ptr, "queued");
	assert_string_equal(reason.ptr, "");
	assert_int_equal(release, 0);
	assert_int_equal(sw_job_store_finish(db, id, NULL, NULL, &res, 0), 0);
	sw_buf_reset(&status);
	assert_int_equal(sw_job_store_result(db, id, &status, NULL, NULL), 0);
	assert_string_equal(status.ptr, "succeeded");
	assert_int_equal(sw_job_store_result(db, id + 1, NULL, NULL, NULL), SW_ENOTFOUND);
	sw_buf_release(&status);
	sw_buf_release(&reason);
	sw_store_close(db);
}

/* A command runs from the start, records the release it made; a cancel says who. */
static void a_command_and_a_cancel(void **state)
{
	struct sw_job_request req;
	struct sw_buf status = SW_BUF_INIT, reason = SW_BUF_INIT;
	struct sw_strvec unfinished = SW_STRVEC_INIT;
	sqlite3 *db = open_db();
	int release = 0;
	long cmd, push, n_cmd = 0, n_push = 0, n_other = 0;
	(void)state;

	memset(&req, 0, sizeof(req));
	req.app = "hello";
	req.ref = req.old_sha = req.new_sha = "";
	req.pushed_by = "bob";
	cmd = sw_job_store_insert(db, &req, "scale", 1700000000.0, &n_cmd);
	push_request(&req);
	push = sw_job_store_insert(db, &req, "build", 1700000001.0, &n_push);
	/* numbered per app: another app starts at 1 again */
	assert_int_equal(sw_app_record(db, "other"), 0);
	req.app = "other";
	assert_true(sw_job_store_insert(db, &req, "build", 1700000002.0, &n_other) > push);
	assert_int_equal(n_cmd, 1);
	assert_int_equal(n_push, 2);
	assert_int_equal(n_other, 1);
	req.app = "hello";
	assert_int_equal(sw_job_store_result(db, cmd, &status, NULL, NULL), 0);
	assert_string_equal(status.ptr, "running");
	assert_int_equal(sw_job_store_unfinished(db, &unfinished), 0);
	assert_int_equal(unfinished.nr, 3);   /* "<id> <number> <stage> <app>", in no particular order */
	assert_int_equal(strtol(unfinished.v[0], NULL, 10) + strtol(unfinished.v[1], NULL, 10) +
			 strtol(unfinished.v[2], NULL, 10), cmd + push + push + 1);
	{
		/* a command is in its release from the start; a push has made no release yet */
		char want_cmd[64], want_push[64];
		size_t i, found = 0;
		snprintf(want_cmd, sizeof(want_cmd), "%ld 1 release hello", cmd);
		snprintf(want_push, sizeof(want_push), "%ld 2 build hello", push);
		for (i = 0; i < unfinished.nr; i++)
			found += !strcmp(unfinished.v[i], want_cmd) || !strcmp(unfinished.v[i], want_push);
		assert_int_equal(found, 2);
	}
	assert_int_equal(sw_job_store_finish(db, push + 1, "interrupted", "build", NULL, 0), 0);

	assert_int_equal(sw_job_store_finish(db, cmd, NULL, NULL, NULL, 7), 0);
	assert_int_equal(sw_job_store_finish(db, push, "cancelled by carol", "build", NULL, 0), 0);
	sw_job_store_cancelled(db, push, "carol");
	sw_buf_reset(&status);
	assert_int_equal(sw_job_store_result(db, cmd, &status, NULL, &release), 0);
	assert_string_equal(status.ptr, "succeeded");
	assert_int_equal(release, 7);
	sw_buf_reset(&status);
	assert_int_equal(sw_job_store_result(db, push, &status, &reason, NULL), 0);
	assert_string_equal(status.ptr, "cancelled");
	assert_string_equal(reason.ptr, "cancelled by carol");
	sw_strvec_clear(&unfinished);
	assert_int_equal(sw_job_store_unfinished(db, &unfinished), 0);
	assert_int_equal(unfinished.nr, 0);
	sw_strvec_clear(&unfinished);
	sw_buf_release(&status);
	sw_buf_release(&reason);
	sw_store_close(db);
}

/* Ends that could not be recorded are failed once a write works; the list empties. */
static void unrecorded_ends_are_retried(void **state)
{
	struct sw_job_request req;
	struct sw_buf status = SW_BUF_INIT, reason = SW_BUF_INIT;
	struct sw_strvec ids = SW_STRVEC_INIT;
	sqlite3 *db = open_db();
	long id, number = 0;
	(void)state;

	push_request(&req);
	id = sw_job_store_insert(db, &req, "build", 1700000000.0, &number);
	sw_strvec_pushf(&ids, "%ld", id);
	sw_job_store_retry_locked(db, &ids);
	assert_int_equal(ids.nr, 0);
	assert_int_equal(sw_job_store_result(db, id, &status, &reason, NULL), 0);
	assert_string_equal(status.ptr, "failed");
	assert_string_equal(reason.ptr, "its end could not be recorded (disk full?)");
	sw_strvec_clear(&ids);
	sw_buf_release(&status);
	sw_buf_release(&reason);
	sw_store_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_push_from_queued_to_succeeded),
		cmocka_unit_test(a_command_and_a_cancel),
		cmocka_unit_test(unrecorded_ends_are_retried),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
